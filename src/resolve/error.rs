//! Every resolve error as data: one variant per kind of mistake, with the
//! names, shapes (as written in reports, e.g. `vec[n]`), quoted source text
//! and spans it needs. The words a user reads are written by
//! [`crate::diagnostics`], not here.

use crate::span::Span;

/// One input error found while resolving names and shapes; `at` is the
/// offending text. Each variant's doc shows an input that triggers it.
#[derive(Debug, Clone, PartialEq)]
pub enum ResolveError {
    /// A built-in function's name declared: `var exp: scalar`.
    ReservedName { at: Span, name: String },
    /// A built-in function's name bound as a parameter or range variable:
    /// `sum(exp in 1..3, x)`.
    ReservedLocal { at: Span, name: String },
    /// One name declared twice: `var x: scalar` and `dim x`.
    Duplicate { at: Span, name: String, first: Span },
    /// A function parameter listed twice: `let f(a: scalar, a: scalar) = a`.
    DuplicateParameter { at: Span, name: String, first: Span },
    /// `dim n = 0`.
    DimNotPositive {
        at: Span,
        name: String,
        value: String,
    },
    /// `dim n = 1000000`.
    DimTooLarge { at: Span, name: String },
    /// A declared name that is not a dimension used as one: `var x: vec[y]`.
    NotADimension {
        at: Span,
        name: String,
        declared: Span,
    },
    /// `var x: vec[q]` without `dim q`.
    UndeclaredDimension {
        at: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// A literal size that is not positive: `var x: vec[0]`.
    SizeNotPositive { at: Span },
    /// A literal size too large: `var x: vec[1000000]`.
    SizeTooLarge { at: Span, value: String },
    /// A dimension sum naming too many symbols (or too large a size):
    /// `var x: vec[a + b + c + d + e]`.
    DimSumTooComplex { at: Span, most: usize },
    /// Blocks of a stack with different column counts: `[a; A]` with
    /// `a: vec[n]`, `A: mat[n, m]`. `index` is the 1-based block that differs.
    StackColumns {
        at: Span,
        first: String,
        shape: String,
        index: usize,
    },
    /// `var x: vec[n] sparse`.
    UnknownAttribute { at: Span, name: String },
    /// An attribute on a type it does not describe: `var A: mat[n, m] spd`.
    AttributeMisfit { at: Span, attr: String, ty: String },
    /// A sequence element at a time outside 0..=100000: `var h[1000000]: vec[n]`.
    TimeNotInteger { at: Span },
    /// Two elements of one sequence declared with different shapes:
    /// `var h[0]: vec[n]` and `var h[1]: vec[m]`.
    SequenceShapes {
        at: Span,
        name: String,
        shape: String,
        earlier: String,
        first: Span,
    },
    /// A guard on a definition without a time index: `let a = 1 for t >= 1`.
    GuardWithoutTime { at: Span },
    /// A guard on another variable than the time index: `let h[t] = x for s >= 1`.
    GuardVariable { at: Span, time: String, var: String },
    /// `var h[0]` and a `let h[t]` that also covers time 0.
    GivenAndDefined {
        at: Span,
        name: String,
        time: i64,
        guarded: bool,
        given: Span,
    },
    /// A recurrence whose definition uses itself before any shape is known:
    /// `let h[t] = h[t - 1] for t >= 1` with no `var h[0]`.
    SequenceShapeUnknown { at: Span, name: String },
    /// A sequence defined with another shape than its declaration: `var h[0]:
    /// vec[n]` and `let h[t] = 1 for t >= 1`.
    SequenceDefinitionShape {
        at: Span,
        name: String,
        shape: String,
        declared: String,
        declaration: Span,
    },
    /// Definitions that depend on each other in a circle (`let a = b`, `let b = a`),
    /// or a recurrence at the same time step (`let h[t] = h[t] + 1`);
    /// `steps` are the cycle's further links, (where, user, used).
    Cycle {
        at: Span,
        path: Vec<String>,
        recurrence: bool,
        steps: Vec<(Span, String, String)>,
    },
    /// `assume x < 1` with a vector `x`.
    AssumeNonScalar {
        at: Span,
        expr: String,
        shape: String,
    },
    /// `derive x + 1`: not a derivative.
    DeriveNotDerivative { at: Span, expr: String },
    /// `claim a: …` twice.
    DuplicateClaimName { at: Span, name: String, first: Span },
    /// An inequality between a vector and a matrix: `claim x <= A`.
    InequalityShapes {
        at: Span,
        lhs: String,
        rhs: String,
        rel: String,
    },
    /// `represent x with tanh`.
    UnsupportedActivation { at: Span, name: String },
    /// `represent v with relu` with a vector `v`.
    RepresentNonScalar { at: Span, shape: String },
    /// `represent x + y with relu`: not exactly one variable.
    RepresentVariables { at: Span, names: Vec<String> },
    /// `represent v[1] with relu`: the one variable is a vector.
    RepresentVectorVariable {
        at: Span,
        name: String,
        shape: String,
    },
    /// An expression nested more than 2000 levels (through `let`s).
    TooDeep { at: Span },
    /// A function used without arguments: `show f` for `let f(u: scalar) = u`
    /// or `fun f`, or `show exp`.
    FunctionAsValue {
        at: Span,
        name: String,
        function: Callee,
    },
    /// `show h` for a sequence `h`.
    SequenceWithoutTime { at: Span, name: String },
    /// `show r` with no `r` declared.
    UnknownName {
        at: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// `show a[1]` with a scalar `a`.
    IndexScalar { at: Span, expr: String },
    /// `show x[1, 2]` with a vector `x`.
    IndexCount {
        at: Span,
        expr: String,
        shape: String,
        want: usize,
        got: usize,
    },
    /// `x[i]` with `idx i: k` and `x: vec[n]`.
    IndexRangeMismatch {
        at: Span,
        index: String,
        range: String,
        expr: String,
        entries: String,
    },
    /// `x[0]`, or `x[4]` with `x: vec[3]`.
    IndexOutOfRange {
        at: Span,
        index: String,
        expr: String,
        entries: String,
    },
    /// `h[t, 1]` for a sequence `h`.
    SequenceIndexCount { at: Span, name: String, got: usize },
    /// An index, time or bound that is not an integer expression: `x[1.5]`.
    NotInteger {
        at: Span,
        role: IntegerRole,
        expr: String,
    },
    /// `x + y` with `x: vec[n]`, `y: vec[m]` (`subtract` for `-`).
    AddShapes {
        at: Span,
        subtract: bool,
        lhs: String,
        rhs: String,
    },
    /// A scalar added to a vector or matrix: `1 - v`; `fix` is what to write.
    Broadcast {
        at: Span,
        subtract: bool,
        lhs: String,
        rhs: String,
        fix: String,
    },
    /// `x .* y` or `x ./ y` with different shapes (`divide` for `./`).
    ElementwiseShapes {
        at: Span,
        divide: bool,
        lhs: String,
        rhs: String,
    },
    /// `x / v` with a vector `v`.
    DivideByNonScalar { at: Span, divisor: String },
    /// `W y` with `W: mat[m, n]`, `y: vec[k]`.
    MulShapes {
        at: Span,
        lhs: String,
        rhs: String,
        inner_lhs: String,
        inner_rhs: String,
    },
    /// `x ^ v` with a vector `v`.
    ExponentNotScalar { at: Span, shape: String },
    /// `v ^ 2` with a vector `v`.
    VectorPower { at: Span, shape: String },
    /// `A ^ 2` with `A: mat[m, n]`.
    NonsquarePower { at: Span, shape: String },
    /// `A ^ 0` for a square matrix `A`.
    MatrixPowerZero { at: Span, size: String },
    /// `A ^ a` or `A ^ 2000`: a matrix power needs a small constant integer.
    MatrixPowerNotConstant { at: Span, shape: String },
    /// An empty matrix literal (only built by the AST directly: the grammar
    /// has no `[]`).
    EmptyLiteral { at: Span },
    /// A ragged matrix literal that reached resolution (the parser reports
    /// `[[1, 2], [3]]` itself).
    RaggedLiteral {
        at: Span,
        row: usize,
        len: usize,
        cols: usize,
    },
    /// A matrix literal with more than 100000 rows or columns.
    LiteralTooLarge { at: Span },
    /// `[x, 1]` with a vector `x`.
    LiteralEntryNotScalar { at: Span, shape: String },
    /// `1{x > y}` with `x: vec[n]`, `y: vec[m]`.
    IndicatorShapes {
        at: Span,
        lhs: String,
        rhs: String,
        op: String,
    },
    /// `prod(j, x[j])` or `prod(A)`: a product needs an integer range
    /// (`binder` when it binds an `idx` variable).
    ProdWithoutRange { at: Span, binder: bool },
    /// `sum(j, x[j])` where `j` is not an `idx` variable.
    SumOverNonIndex { at: Span, name: String },
    /// `prod(k in 1..3, v)` with a vector `v`.
    ProductFactorsNotSquare { at: Span, shape: String },
    /// `f'(x)` for `let f(u: scalar) = …`.
    PrimeOfLet { at: Span, name: String },
    /// `show foo(x)` with no function `foo`.
    UnknownFunction {
        at: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// `x(1, 2)` with a variable `x`.
    CallNonFunction {
        at: Span,
        name: String,
        what: NameKind,
    },
    /// `exp(a, b)`: wrong number of arguments (`expected` lists the allowed counts).
    Arity {
        at: Span,
        name: String,
        expected: Vec<usize>,
        got: usize,
    },
    /// `f(v)` with `let f(u: scalar) = …` and a vector `v`.
    ArgumentShape {
        at: Span,
        function: String,
        param: String,
        want: String,
        got: String,
        declaration: Span,
    },
    /// `L(x)` with `fun L: vec[n] -> scalar` and `x: vec[m]`.
    FunArgumentShape {
        at: Span,
        function: String,
        want: String,
        got: String,
        declaration: Span,
    },
    /// `softmax'(z)`: a prime on a function that is not elementwise.
    PrimeNotElementwise { at: Span, name: String },
    /// `leaky_relu(z, v)` with a vector `v`: a built-in's parameter is a scalar.
    ParameterNotScalar { at: Span, function: String },
    /// `max(x, y)` with different shapes.
    ArgumentShapes {
        at: Span,
        function: String,
        lhs: String,
        rhs: String,
    },
    /// `max(z, 0)` with a vector `z`: the scalar is not broadcast; `fix`
    /// is the call with a constant of z's shape (`max(z, zeros(k))`).
    ArgumentScalar {
        at: Span,
        function: String,
        lhs: String,
        rhs: String,
        fix: String,
    },
    /// `softmax(S)` with a matrix `S` (or a row): `fix` says what to write
    /// (`softmax_rows(S)` for the rows of a batch, `softmax(zᵀ)` for a row).
    NeedsVectorBatch {
        at: Span,
        function: String,
        shape: String,
        fix: String,
    },
    /// `softmax(A)` with a matrix `A`.
    NeedsVector {
        at: Span,
        function: String,
        shape: String,
    },
    /// `sum(a, b, c)`.
    SumArity { at: Span, got: usize },
    /// `tr(A)` with `A: mat[m, n]`.
    NeedsSquare {
        at: Span,
        function: String,
        shape: String,
    },
    /// `eye(x)`: not a dimension.
    DimArgument {
        at: Span,
        function: String,
        expr: String,
    },
    /// `grad(J, W x)`: not a variable or named intermediate.
    WrtNotVariable { at: Span, expr: String },
    /// `G(2 w)` where `G` differentiates with respect to its parameter: the
    /// point must be a variable or a named intermediate.
    PointNotNamed {
        at: Span,
        function: String,
        param: String,
        expr: String,
    },
    /// `grad(W x, W)`: a non-scalar function.
    GradNonScalar {
        at: Span,
        expr: String,
        shape: String,
    },
    /// `jac(J, x)` with a scalar `J`.
    JacNonVector {
        at: Span,
        expr: String,
        shape: String,
    },
    /// `jac(z, W)` with a matrix `W`.
    JacWrtNonVector {
        at: Span,
        expr: String,
        shape: String,
    },
    /// `hess(z, x)` with a vector `z`.
    HessNonScalar {
        at: Span,
        expr: String,
        shape: String,
    },
    /// `hess(J, W)` with a matrix `W`.
    HessWrtNonVector {
        at: Span,
        expr: String,
        shape: String,
    },
    /// `d(z, x)` with a vector `z` or `x`.
    DNonScalar {
        at: Span,
        expr: String,
        shape: String,
    },
    /// `plot x over T in 1..3` with a vector `x`.
    PlotNonScalar {
        at: Span,
        expr: String,
        shape: String,
    },
    /// A plotted expression that does not depend on the length.
    PlotConstant {
        at: Span,
        expr: String,
        length: String,
    },
    /// `plot … over T in 5..2`.
    PlotEmptyRange { at: Span, from: u64, to: u64 },
    /// `plot … over T in 1..20000`.
    PlotTooLong { at: Span, to: String },
    /// A range of more than 1000 lengths: `plot … over T in 9000..10000`.
    PlotTooManyLengths { at: Span, from: u64, to: u64 },
    /// A range whose lengths add up to too many time steps: `… in 1..1000`.
    PlotTooManySteps {
        at: Span,
        from: u64,
        to: u64,
        steps: u64,
    },
    /// `plot … over T` with `dim T = 5`.
    PlotFixedLength {
        at: Span,
        name: String,
        value: u64,
        declaration: Span,
    },
    /// `plot … over x` with a variable `x`.
    PlotNotLength {
        at: Span,
        name: String,
        declaration: Span,
    },
    /// `plot … over S` with no `dim S`.
    PlotUnknownLength {
        at: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// `plot … over T in 0..3` or `in a..3`: not a positive integer.
    PlotEndNotInteger { at: Span, expr: String },
}

/// What kind of function was used as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callee {
    /// A `let` function of this many parameters.
    Let { arity: usize },
    /// A declared `fun`.
    Fun,
    /// A built-in such as `exp`.
    Builtin,
}

/// What a name that was called stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Dimension,
    Variable,
    Let,
    Sequence,
    Index,
    Bound,
}

/// Where an integer expression was needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerRole {
    Index,
    TimeIndex,
    GuardBound,
    DeltaArgument,
    /// A bound of a ranged `sum` (or `prod`, when `prod`).
    RangeBound {
        prod: bool,
    },
}

impl ResolveError {
    /// The offending text.
    pub fn span(&self) -> Span {
        use ResolveError::*;
        match self {
            ReservedName { at, .. }
            | ReservedLocal { at, .. }
            | Duplicate { at, .. }
            | DuplicateParameter { at, .. }
            | DimNotPositive { at, .. }
            | DimTooLarge { at, .. }
            | NotADimension { at, .. }
            | UndeclaredDimension { at, .. }
            | SizeNotPositive { at }
            | SizeTooLarge { at, .. }
            | DimSumTooComplex { at, .. }
            | StackColumns { at, .. }
            | UnknownAttribute { at, .. }
            | AttributeMisfit { at, .. }
            | TimeNotInteger { at }
            | SequenceShapes { at, .. }
            | GuardWithoutTime { at }
            | GuardVariable { at, .. }
            | GivenAndDefined { at, .. }
            | SequenceShapeUnknown { at, .. }
            | SequenceDefinitionShape { at, .. }
            | Cycle { at, .. }
            | AssumeNonScalar { at, .. }
            | DeriveNotDerivative { at, .. }
            | DuplicateClaimName { at, .. }
            | InequalityShapes { at, .. }
            | UnsupportedActivation { at, .. }
            | RepresentNonScalar { at, .. }
            | RepresentVariables { at, .. }
            | RepresentVectorVariable { at, .. }
            | TooDeep { at }
            | FunctionAsValue { at, .. }
            | SequenceWithoutTime { at, .. }
            | UnknownName { at, .. }
            | IndexScalar { at, .. }
            | IndexCount { at, .. }
            | IndexRangeMismatch { at, .. }
            | IndexOutOfRange { at, .. }
            | SequenceIndexCount { at, .. }
            | NotInteger { at, .. }
            | AddShapes { at, .. }
            | Broadcast { at, .. }
            | ElementwiseShapes { at, .. }
            | DivideByNonScalar { at, .. }
            | MulShapes { at, .. }
            | ExponentNotScalar { at, .. }
            | VectorPower { at, .. }
            | NonsquarePower { at, .. }
            | MatrixPowerZero { at, .. }
            | MatrixPowerNotConstant { at, .. }
            | EmptyLiteral { at }
            | RaggedLiteral { at, .. }
            | LiteralTooLarge { at }
            | LiteralEntryNotScalar { at, .. }
            | IndicatorShapes { at, .. }
            | ProdWithoutRange { at, .. }
            | SumOverNonIndex { at, .. }
            | ProductFactorsNotSquare { at, .. }
            | PrimeOfLet { at, .. }
            | UnknownFunction { at, .. }
            | CallNonFunction { at, .. }
            | Arity { at, .. }
            | ArgumentShape { at, .. }
            | FunArgumentShape { at, .. }
            | PrimeNotElementwise { at, .. }
            | ParameterNotScalar { at, .. }
            | ArgumentShapes { at, .. }
            | ArgumentScalar { at, .. }
            | NeedsVectorBatch { at, .. }
            | NeedsVector { at, .. }
            | SumArity { at, .. }
            | NeedsSquare { at, .. }
            | DimArgument { at, .. }
            | WrtNotVariable { at, .. }
            | PointNotNamed { at, .. }
            | GradNonScalar { at, .. }
            | JacNonVector { at, .. }
            | JacWrtNonVector { at, .. }
            | HessNonScalar { at, .. }
            | HessWrtNonVector { at, .. }
            | DNonScalar { at, .. }
            | PlotNonScalar { at, .. }
            | PlotConstant { at, .. }
            | PlotEmptyRange { at, .. }
            | PlotTooLong { at, .. }
            | PlotTooManyLengths { at, .. }
            | PlotTooManySteps { at, .. }
            | PlotFixedLength { at, .. }
            | PlotNotLength { at, .. }
            | PlotUnknownLength { at, .. }
            | PlotEndNotInteger { at, .. } => *at,
        }
    }
}
