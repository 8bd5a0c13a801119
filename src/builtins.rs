//! The names of the language's built-in functions, shared by the parser (a
//! built-in name followed by `(` is a call) and the resolver (none of them
//! can be declared). An elementwise built-in is named by its row in
//! [`crate::ir::vocab`]; the other built-in names go here.

/// Every built-in name that is not an elementwise function (those are the
/// rows of [`crate::ir::vocab`]); none of them can be declared.
const RESERVED: &[&str] = &[
    "pi",
    "max",
    "min",
    "softmax",
    "logsumexp",
    "softmax_rows",
    "logsumexp_rows",
    "log_softmax",
    "mean",
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

/// Whether `name` is built in (a function or the constant `pi`), so that it
/// cannot be declared.
pub fn is_builtin(name: &str) -> bool {
    RESERVED.contains(&name) || crate::ir::ElemFn::from_name(name).is_some()
}

/// Every built-in name, for suggestions.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    RESERVED
        .iter()
        .copied()
        .chain(crate::ir::ElemFn::ALL.iter().map(|f| f.name()))
}
