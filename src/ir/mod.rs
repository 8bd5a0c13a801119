//! The typed program: every name resolved to a declaration, every expression
//! node carrying its shape. This is what derive, simplify, lecture, eval,
//! check and represent consume; `resolve` is the only producer. Building
//! expressions is [`build`]; substituting and unrolling them is [`unroll`].
//!
//! Expressions are uniform trees (`Op` + `args`) so that passes which walk
//! them (derivation, evaluation, conversion to egg, printing) need one match
//! per operator and one generic recursion.

use crate::span::Span;

pub mod vocab;
pub use crate::syntax::ast::CmpOp;
use num_rational::BigRational;

pub mod reach;

pub type DimId = usize;
pub type VarId = usize;
pub type LetId = usize;
pub type SeqId = usize;
pub type FunId = usize;
pub type IdxId = usize;
pub type LocalId = usize;

pub mod dim;
pub use dim::{Dim, DimTooComplex, MAX_DIM_TERMS};

/// `(rows, cols)`; a scalar is `(1, 1)`, a vector `(n, 1)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Shape {
    pub rows: Dim,
    pub cols: Dim,
}

impl Shape {
    pub const SCALAR: Shape = Shape {
        rows: Dim::Const(1),
        cols: Dim::Const(1),
    };
    pub fn new(rows: Dim, cols: Dim) -> Shape {
        Shape { rows, cols }
    }
    pub fn vector(n: Dim) -> Shape {
        Shape::new(n, Dim::Const(1))
    }
    pub fn is_scalar(&self) -> bool {
        self.rows == Dim::Const(1) && self.cols == Dim::Const(1)
    }
    pub fn is_column(&self) -> bool {
        self.cols == Dim::Const(1)
    }
    pub fn transposed(&self) -> Shape {
        Shape::new(self.cols, self.rows)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Attr {
    Onehot,
    Simplex,
    /// `mat[N, C]`: every row one-hot
    OnehotRows,
    /// `mat[N, C]`: every row a simplex (entries > 0, row sums 1)
    SimplexRows,
    Positive,
    Symmetric,
    Spd,
    Invertible,
}

#[derive(Clone, Debug)]
pub struct DimDecl {
    pub name: String,
    /// `dim T = 5`
    pub value: Option<u64>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct VarDecl {
    pub name: String,
    pub shape: Shape,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// A named intermediate `let z1 = ...` or a function `let f(x: vec[2]) = ...`.
#[derive(Clone, Debug)]
pub struct LetDecl {
    pub name: String,
    /// Parameters of a let-function, as locals (empty for a plain let).
    pub params: Vec<LocalId>,
    pub is_function: bool,
    pub body: Expr,
    pub span: Span,
}

/// A sequence over integer time: `var x[t]`, `var h[0]`, `let z[t] = ...`,
/// `let h[t] = ... for t >= 1`, `let D[k] = ...`. One name may combine
/// given elements (from `var`) and defined ones (from `let`).
#[derive(Clone, Debug)]
pub struct SeqDecl {
    pub name: String,
    pub shape: Shape,
    pub pieces: Vec<SeqPiece>,
    pub span: Span,
}

// A program holds a handful of pieces per sequence: boxing the large
// variant would buy nothing and cost an indirection on every lookup.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum SeqPiece {
    /// `var x[t]`: an independent variable at every time.
    GivenEvery { attrs: Vec<Attr>, span: Span },
    /// `var h[0]`: an independent variable at time `at`.
    GivenAt {
        at: i64,
        attrs: Vec<Attr>,
        span: Span,
    },
    /// `let z[t] = body` (for every t where body is defined) or with a guard
    /// `for t >= 1`.
    Defined {
        local: LocalId,
        guard: Option<(CmpOp, Expr)>,
        body: Expr,
        span: Span,
    },
}

#[derive(Clone, Debug)]
pub enum FunKind {
    /// `fun g: elementwise`: scalar → scalar applied entrywise; `g'` its derivative.
    Elementwise,
    /// `fun L: vec[n] -> scalar`; `L'` is its gradient (same shape as the input).
    Map { from: Shape, to: Shape },
}

#[derive(Clone, Debug)]
pub struct FunDecl {
    pub name: String,
    pub kind: FunKind,
    pub span: Span,
}

/// `idx i, j: k` — an integer ranging over 1..=range.
#[derive(Clone, Debug)]
pub struct IdxDecl {
    pub name: String,
    pub range: Dim,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum LocalKind {
    /// A parameter of a let-function.
    Param(Shape),
    /// An integer bound by `sum(t in ...)`, `prod(k in ...)` or an indexed `let`.
    Int,
}

/// A name bound inside an expression or definition; it shadows outer names.
#[derive(Clone, Debug)]
pub struct LocalDecl {
    pub name: String,
    pub kind: LocalKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Assumption {
    pub lhs: Expr,
    pub op: CmpOp,
    pub rhs: Expr,
    pub span: Span,
}

pub use vocab::ElemFn;

/// An operator node. The comment on each variant lists its `args`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Op {
    // ---- leaves (no args)
    /// An exact scalar constant.
    Num(BigRational),
    Var(VarId),
    /// A plain named intermediate.
    Let(LetId),
    /// A bound name: let-function parameter, or integer bound by sum/prod/indexed let.
    Local(LocalId),
    /// An `idx` variable (integer in 1..=range).
    Idx(IdxId),
    /// A dimension used as a scalar value, e.g. `sum(v) / n`.
    DimValue(Dim),
    /// The constant π.
    Pi,
    /// `eye(n)`, `ones(n)`, `zeros(m, n)`: the size is the node's shape.
    Eye,
    Ones,
    Zeros,
    /// A named adjoint `δk` of a backward pass (index into that pass's list).
    Adjoint(usize),

    // ---- references with arguments
    /// A call of a let-function: args = actual arguments.
    CallLet(LetId),
    /// A sequence element: [time] (an integer-valued scalar expression).
    SeqAt(SeqId),
    /// A component: [base, i] for a vector, [base, i, j] for a matrix (1-based).
    Component,
    /// A literal matrix: entries row-major, each a scalar expression.
    Literal {
        rows: usize,
        cols: usize,
    },

    // ---- arithmetic
    /// [a]
    Neg,
    /// [a, b], same shapes
    Add,
    Sub,
    /// [a, b] matrix product, inner dimensions equal
    Mul,
    /// [a, b] where exactly one side is 1×1 and the other is not: scalar times matrix
    Scale,
    /// [a, b] elementwise, same shapes
    Hadamard,
    HadDiv,
    /// [a, s] with s scalar
    Div,
    /// [base, exponent], both scalar
    Pow,
    /// [a, p] elementwise power, p scalar
    ElemPow,
    /// [A] square matrix to a positive integer power (`M^2`)
    MatPow(u32),
    /// [a]
    Transpose,
    /// [A] square
    Inv,
    /// [a, b, …] blocks with one column count stacked on top of each other: `[h; x]`
    Stack,
    /// [a] the row block `from + 1 ..= from + count` of `a`: printed `a[1:n]`,
    /// `a[n+1:n+p]` (the adjoint of a stack splits this way)
    Rows {
        from: Dim,
        count: Dim,
    },

    // ---- elementwise
    /// [a]
    Elem(ElemFn),
    /// [a] derivative of a built-in elementwise function (`relu'`, `tanh'`).
    ElemPrime(ElemFn),
    /// [a, b] elementwise
    Max,
    Min,
    /// [lhs, rhs] elementwise 0/1
    Indicator(CmpOp),
    /// [i, j] Kronecker delta of two integers
    Delta,

    // ---- reductions and structure
    /// [v] vector → vector
    Softmax,
    /// [v] vector → scalar
    LogSumExp,
    /// [S] mat[N, C] → mat[N, C], the softmax of every row
    SoftmaxRows,
    /// [S] mat[N, C] → vec[N], the logsumexp of every row
    LseRows,
    /// [a] sum of all entries
    Sum,
    /// [a] Euclidean / Frobenius
    Norm,
    /// [A]
    Tr,
    Det,
    LogDet,
    /// [v] vector → diagonal matrix
    Diag,
    /// [A] smallest / largest singular value
    Smin,
    Smax,

    // ---- declared functions
    /// [x]: `g(x)` elementwise, or `L(v)`
    Fun(FunId),
    /// [x]: `g'(x)` elementwise, or `L'(v)` the gradient of L at v
    FunPrime(FunId),

    // ---- binders
    /// [body]: `sum(j, body)` over the idx variable's range
    SumIdx(IdxId),
    /// [from, to, body]: `sum(t in from..to, body)`
    SumRange(LocalId),
    /// [from, to, body]: ordered product; `downto` multiplies from `from` down to `to`
    ProdRange {
        local: LocalId,
        downto: bool,
    },

    // ---- derivatives: [f, wrt] where wrt is Var, Let, SeqAt or a Component of one of them
    /// gradient of a scalar, shape of wrt
    Grad,
    /// Jacobian of a vector w.r.t. a vector, len(f) × len(wrt)
    Jac,
    /// Hessian of a scalar w.r.t. a vector
    Hess,
    /// derivative of a scalar w.r.t. a scalar
    D,
}

/// A typed expression node.
#[derive(Clone, Debug)]
pub struct Expr {
    pub op: Op,
    pub args: Vec<Expr>,
    pub shape: Shape,
    pub span: Span,
}

impl Expr {
    pub fn new(op: Op, args: Vec<Expr>, shape: Shape, span: Span) -> Expr {
        Expr {
            op,
            args,
            shape,
            span,
        }
    }
    pub fn leaf(op: Op, shape: Shape, span: Span) -> Expr {
        Expr::new(op, Vec::new(), shape, span)
    }
    /// Visits every node, parents before children.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        for a in &self.args {
            a.walk(f);
        }
    }
    /// True when some node satisfies `pred`.
    pub fn any(&self, pred: &impl Fn(&Expr) -> bool) -> bool {
        pred(self) || self.args.iter().any(|a| a.any(pred))
    }
}

/// Structural equality ignoring spans.
impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.op == other.op && self.shape == other.shape && self.args == other.args
    }
}
impl Eq for Expr {}
impl std::hash::Hash for Expr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.shape.hash(state);
        self.args.hash(state);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Activation {
    Step,
    Relu,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Expect {
    Holds,
    Refuted,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Relation {
    Eq,
    Cmp(CmpOp),
}

/// One `= rhs` (or inequality) of a claim: compares the previous expression with `rhs`.
#[derive(Clone, Debug)]
pub struct Step {
    pub relation: Relation,
    pub rhs: Expr,
    /// 1-based line of the step's relation sign.
    pub line: usize,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Claim {
    pub name: Option<String>,
    pub first: Expr,
    pub steps: Vec<Step>,
    pub expect: Expect,
}

/// One `derive` target: `grad(J, b2)`, or any derivative expression.
#[derive(Clone, Debug)]
pub struct DeriveItem {
    /// The derivative expression, e.g. `Grad [J, b2]`.
    pub expr: Expr,
    /// As the user would write it: `grad(J, b2)`.
    pub text: String,
}

#[derive(Clone, Debug)]
pub enum WorkKind {
    /// `derive J wrt b2, U` (items share one backward pass when `of` is set).
    Derive {
        of: Option<Expr>,
        items: Vec<DeriveItem>,
    },
    Show(Expr),
    Claim(Claim),
    /// `represent TARGET with ACT`: `var` is the target's single scalar variable.
    Represent {
        target: Expr,
        var: Option<VarId>,
        activation: Activation,
    },
    Plot(Plot),
}

/// One line of a `plot`: a scalar expression and its source text.
#[derive(Clone, Debug)]
pub struct PlotLine {
    pub expr: Expr,
    /// As written: `norm(grad(loss, h[0]))`.
    pub text: String,
}

/// `plot A, B over T in a..b`: each expression evaluated at every length
/// `T = a..=b` (both ends included, 1 <= a <= b).
#[derive(Clone, Debug)]
pub struct Plot {
    pub lines: Vec<PlotLine>,
    /// The symbolic length plotted against.
    pub over: DimId,
    pub from: u64,
    pub to: u64,
}

/// A statement that produces a result, in source order.
#[derive(Clone, Debug)]
pub struct Work {
    pub kind: WorkKind,
    /// 1-based line where the statement starts.
    pub line: usize,
    pub span: Span,
}

/// The resolved program of one file.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub dims: Vec<DimDecl>,
    pub vars: Vec<VarDecl>,
    pub lets: Vec<LetDecl>,
    pub seqs: Vec<SeqDecl>,
    pub funs: Vec<FunDecl>,
    pub idxs: Vec<IdxDecl>,
    pub locals: Vec<LocalDecl>,
    pub assumes: Vec<Assumption>,
    pub work: Vec<Work>,
}

impl Program {
    /// The fixed value of a dimension, if it has one.
    pub fn dim_value(&self, d: Dim) -> Option<u64> {
        d.size_with(|id| self.dims[id].value)
    }
    /// The name a dimension is written with: `n`, `3`, `n + p`, `2 n`.
    pub fn dim_name(&self, d: Dim) -> String {
        d.written(|id| self.dims[id].name.clone())
    }
    /// `scalar`, `vec[n]`, `mat[m, n]` (a row vector is `mat[1, n]`).
    pub fn shape_name(&self, s: Shape) -> String {
        if s.is_scalar() {
            "scalar".to_string()
        } else if s.is_column() {
            format!("vec[{}]", self.dim_name(s.rows))
        } else {
            format!("mat[{}, {}]", self.dim_name(s.rows), self.dim_name(s.cols))
        }
    }
    /// Two dimensions are the same when they are the same symbol or have the same value.
    /// Fixed dimensions count by their value, so `n + T` with `dim T = 2` is `n + 2`.
    pub fn same_dim(&self, a: Dim, b: Dim) -> bool {
        a == b || {
            let fixed = |id: DimId| self.dims[id].value;
            a.substituted(fixed) == b.substituted(fixed)
        }
    }
    pub fn same_shape(&self, a: Shape, b: Shape) -> bool {
        self.same_dim(a.rows, b.rows) && self.same_dim(a.cols, b.cols)
    }
    pub fn var_has(&self, v: VarId, a: Attr) -> bool {
        self.vars[v].attrs.contains(&a)
    }
}

pub mod build;
pub mod unroll;
