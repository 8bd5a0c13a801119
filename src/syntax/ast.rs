//! The untyped syntax tree of a `.grad` file, exactly as written, with spans.
//! Names are plain strings here; `resolve` decides what each one means.

use crate::span::{Span, Spanned};
use num_bigint::BigInt;
use num_rational::BigRational;

pub type Ident = Spanned<String>;

#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub stmts: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    /// The whole statement, continuation lines included.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `dim n, m, k` or `dim T = 5`
    Dim(Vec<DimItem>),
    /// `var a, b: scalar`, `var y: vec[k] onehot`, `var x[t]: vec[p]`, `var h[0]: vec[n]`
    Var {
        items: Vec<VarItem>,
        ty: TypeExpr,
        attrs: Vec<Ident>,
    },
    /// `assume a < b`
    Assume {
        lhs: Expr,
        op: Spanned<CmpOp>,
        rhs: Expr,
    },
    /// `let z1 = W x + b1`, `let f(x: vec[2]) = ...`, `let D[k] = ...`,
    /// `let h[t] = g(z[t - 1]) for t >= 1`
    Let {
        name: Ident,
        form: LetForm,
        value: Expr,
        guard: Option<Guard>,
    },
    /// `fun g: elementwise`, `fun L: vec[n] -> scalar`
    Fun { name: Ident, sig: FunSig },
    /// `idx i, j: k`
    Idx { names: Vec<Ident>, range: DimRef },
    /// `derive J wrt b2, U` or `derive jac(yhat, z2), grad(J, W)`
    Derive(DeriveSpec),
    /// `show EXPR`
    Show(Expr),
    /// `claim [name:] EXPR (= EXPR)* [expect refuted]`, or one inequality.
    Claim(Claim),
    /// `represent TARGET with step`
    Represent { target: Expr, activation: Ident },
    /// `plot EXPR over T in a..b`, or `plot A, B over T in a..b` (one line each).
    Plot {
        exprs: Vec<Expr>,
        over: Ident,
        from: Expr,
        to: Expr,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DimItem {
    pub name: Ident,
    pub value: Option<Spanned<BigInt>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VarItem {
    pub name: Ident,
    pub seq: Option<SeqIndex>,
}

/// The bracket after a sequence variable's name in `var`.
#[derive(Debug, Clone, PartialEq)]
pub enum SeqIndex {
    /// `var x[t]`: given at every time step.
    Every(Ident),
    /// `var h[0]`: given at one time step.
    At(Spanned<BigInt>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Scalar(Span),
    Vec(DimRef, Span),
    Mat(DimRef, DimRef, Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Scalar(s) | TypeExpr::Vec(_, s) | TypeExpr::Mat(_, _, s) => *s,
        }
    }
}

/// A dimension as written in a type: a declared name or a literal size.
#[derive(Debug, Clone, PartialEq)]
pub enum DimRef {
    Name(Ident),
    Lit(Spanned<BigInt>),
    /// `n + p`, `4 n`: two or more terms, or a term with a coefficient.
    Sum(Vec<DimTerm>, Span),
}

/// One term of a dimension sum: `k`, `n` or `k n` (at least one part is set).
#[derive(Debug, Clone, PartialEq)]
pub struct DimTerm {
    pub coeff: Option<Spanned<BigInt>>,
    pub name: Option<Ident>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetForm {
    /// `let z1 = ...`
    Plain,
    /// `let f(x: vec[2], s: scalar) = ...`
    Function(Vec<Param>),
    /// `let D[k] = ...`, `let h[t] = ...`
    Indexed(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

/// `for t >= 1` after an indexed `let`.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    pub var: Ident,
    pub op: Spanned<CmpOp>,
    pub bound: Expr,
    pub span: Span,
}

// One per `fun` declaration: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum FunSig {
    Elementwise,
    Map { from: TypeExpr, to: TypeExpr },
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeriveSpec {
    /// `derive J wrt b2, U, b1, W`
    Wrt { f: Expr, wrt: Vec<Expr> },
    /// `derive jac(yhat, z2)`, comma-separated
    Exprs(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub name: Option<Ident>,
    pub first: Expr,
    /// One entry per `=` (a chain) or a single inequality.
    pub steps: Vec<ClaimStep>,
    /// Span of `expect refuted` when present.
    pub expect_refuted: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimStep {
    pub rel: Spanned<Rel>,
    pub rhs: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rel {
    Eq,
    Cmp(CmpOp),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

pub type Expr = Spanned<ExprKind>;

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// An exact number: `0.5` is 1/2.
    Num(BigRational),
    Name(String),
    /// `x[i]`, `A[i, j]`, `x[t - 1]`, `softmax(z)[o]` (no space before `[`).
    Index {
        base: Box<Expr>,
        indices: Vec<Expr>,
    },
    /// `f(a, b)`; `prime` for `g'(z)`.
    Call {
        func: Ident,
        prime: bool,
        args: Vec<Expr>,
    },
    /// `sum(j, e)`, `sum(t in a..b, e)`, `prod(k in a..b, M)`, `prod(k in b downto a, M)`
    Bound {
        kind: BoundKind,
        var: Ident,
        range: BoundRange,
        body: Box<Expr>,
    },
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x^2`, `A^-1`; `elementwise` for `.^`.
    Pow {
        base: Box<Expr>,
        exp: Box<Expr>,
        elementwise: bool,
    },
    /// `A^T`, `Aᵀ`, `A'` (`A^-T` is `Transpose(Pow(A, -1))`).
    Transpose(Box<Expr>),
    /// `[1, -1]`
    Vector(Vec<Expr>),
    /// `[[1, 1], [-1, -1]]`
    Matrix(Vec<Vec<Expr>>),
    /// `[a; b]`: blocks stacked on top of each other (two or more).
    Stack(Vec<Expr>),
    /// `1{lhs op rhs}`
    Indicator {
        lhs: Box<Expr>,
        op: CmpOp,
        rhs: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoundKind {
    Sum,
    Prod,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BoundRange {
    /// `sum(j, e)`: the range of the `idx` variable.
    Idx,
    /// `t in a..b` (up) or `k in b downto a` (down); both ends included.
    Ints {
        from: Box<Expr>,
        to: Box<Expr>,
        downto: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    /// `*`, `·` or juxtaposition
    Mul,
    /// `.*`, `∘`, `⊙`
    Hadamard,
    /// `./`
    HadDiv,
    /// `/`
    Div,
}
