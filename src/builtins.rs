//! The names of the language's built-in functions, shared by the parser (a
//! built-in name followed by `(` is a call) and the resolver (none of them
//! can be declared). A new built-in function's name goes here.

/// Every built-in function name; none of them can be declared.
pub const RESERVED: &[&str] = &[
    "relu",
    "step",
    "sigmoid",
    "tanh",
    "exp",
    "log",
    "sqrt",
    "abs",
    "max",
    "min",
    "softmax",
    "logsumexp",
    "sum",
    "prod",
    "norm",
    "tr",
    "det",
    "logdet",
    "inv",
    "diag",
    "eye",
    "ones",
    "zeros",
    "smin",
    "smax",
    "grad",
    "jac",
    "hess",
    "d",
    "delta",
];
