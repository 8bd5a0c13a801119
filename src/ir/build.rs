//! Smart constructors for IR expressions, and generic rewrites of a tree.
//!
//! The constructors fold the trivial cases (1·x, x + 0, −−x) that
//! mechanical differentiation produces, so results stay close to lecture
//! form before egg ever sees them. Every stage that builds expressions
//! (derive, the lecture-form pass, export) builds them here.

use super::{CmpOp, Dim, Expr, Op, Shape};
use crate::span::Span;
use num_rational::BigRational;
use num_traits::Zero;

pub fn num_r(r: BigRational, span: Span) -> Expr {
    Expr::leaf(Op::Num(r), Shape::SCALAR, span)
}
pub fn num(c: i64, span: Span) -> Expr {
    num_r(BigRational::from_integer(c.into()), span)
}
pub fn num_val(e: &Expr) -> Option<&BigRational> {
    match &e.op {
        Op::Num(r) => Some(r),
        _ => None,
    }
}
pub fn is_num(e: &Expr, c: i64) -> bool {
    num_val(e).is_some_and(|r| *r == BigRational::from_integer(c.into()))
}
pub fn is_ones(e: &Expr) -> bool {
    matches!(e.op, Op::Ones) || (e.shape.is_scalar() && is_num(e, 1))
}
pub fn ones(shape: Shape, span: Span) -> Expr {
    if shape.is_scalar() {
        num(1, span)
    } else {
        Expr::leaf(Op::Ones, shape, span)
    }
}
pub fn eye(n: Dim, span: Span) -> Expr {
    if n == Dim::Const(1) {
        num(1, span)
    } else {
        Expr::leaf(Op::Eye, Shape::new(n, n), span)
    }
}
pub fn zeros(shape: Shape, span: Span) -> Expr {
    if shape.is_scalar() {
        num(0, span)
    } else {
        Expr::leaf(Op::Zeros, shape, span)
    }
}
pub fn is_zero(e: &Expr) -> bool {
    matches!(e.op, Op::Zeros) || is_num(e, 0)
}
pub fn neg(a: Expr) -> Expr {
    match &a.op {
        Op::Num(r) => num_r(-r.clone(), a.span),
        Op::Neg => a.args.into_iter().next().unwrap(),
        Op::Zeros => a,
        _ => {
            let (s, sp) = (a.shape, a.span);
            Expr::new(Op::Neg, vec![a], s, sp)
        }
    }
}
pub fn add(a: Expr, b: Expr) -> Expr {
    if is_zero(&a) {
        return b;
    }
    if is_zero(&b) {
        return a;
    }
    if let (Some(x), Some(y)) = (num_val(&a), num_val(&b)) {
        return num_r(x + y, a.span);
    }
    if b.op == Op::Neg {
        return sub(a, b.args.into_iter().next().unwrap());
    }
    let (s, sp) = (a.shape, a.span);
    Expr::new(Op::Add, vec![a, b], s, sp)
}
pub fn sub(a: Expr, b: Expr) -> Expr {
    if is_zero(&b) {
        return a;
    }
    if is_zero(&a) {
        return neg(b);
    }
    if let (Some(x), Some(y)) = (num_val(&a), num_val(&b)) {
        return num_r(x - y, a.span);
    }
    let (s, sp) = (a.shape, a.span);
    Expr::new(Op::Sub, vec![a, b], s, sp)
}
/// `b^p` for a scalar, with `b^1 = b` and `b^0 = 1` folded.
pub fn pow(b: Expr, p: Expr) -> Expr {
    match num_val(&p) {
        Some(r) if num_traits::One::is_one(r) => b,
        Some(r) if num_traits::Zero::is_zero(r) => num(1, b.span),
        _ => bin(Op::Pow, b, p, Shape::SCALAR),
    }
}

/// Matrix product; a 1×1 factor next to a non-scalar becomes a Scale.
pub fn mul(a: Expr, b: Expr) -> Expr {
    if a.shape.is_scalar() && !b.shape.is_scalar() {
        return scale(a, b);
    }
    if b.shape.is_scalar() && !a.shape.is_scalar() {
        return scale(b, a);
    }
    if a.op == Op::Eye || (a.shape.is_scalar() && is_num(&a, 1)) {
        return b;
    }
    if b.op == Op::Eye || (b.shape.is_scalar() && is_num(&b, 1)) {
        return a;
    }
    let shape = Shape::new(a.shape.rows, b.shape.cols);
    if is_zero(&a) || is_zero(&b) {
        return zeros(shape, a.span);
    }
    if let (Some(x), Some(y)) = (num_val(&a), num_val(&b)) {
        return num_r(x * y, a.span);
    }
    let sp = a.span;
    Expr::new(Op::Mul, vec![a, b], shape, sp)
}
/// Scalar `s` times `m` (either may be the scalar).
pub fn scale(s: Expr, m: Expr) -> Expr {
    let (s, m) = if s.shape.is_scalar() { (s, m) } else { (m, s) };
    if m.shape.is_scalar() {
        return mul(s, m);
    }
    if is_num(&s, 1) {
        return m;
    }
    if is_num(&s, -1) {
        return neg(m);
    }
    if is_zero(&s) || is_zero(&m) {
        return zeros(m.shape, m.span);
    }
    if s.op == Op::Neg {
        return neg(scale(s.args.into_iter().next().unwrap(), m));
    }
    let (sh, sp) = (m.shape, m.span);
    Expr::new(Op::Scale, vec![s, m], sh, sp)
}
pub fn had(a: Expr, b: Expr) -> Expr {
    if a.shape.is_scalar() && b.shape.is_scalar() {
        return mul(a, b);
    }
    if is_ones(&a) {
        return b;
    }
    if is_ones(&b) {
        return a;
    }
    if is_zero(&a) || is_zero(&b) {
        return zeros(a.shape, a.span);
    }
    if a.op == Op::Neg {
        return neg(had(a.args.into_iter().next().unwrap(), b));
    }
    if b.op == Op::Neg {
        return neg(had(a, b.args.into_iter().next().unwrap()));
    }
    let (s, sp) = (a.shape, a.span);
    Expr::new(Op::Hadamard, vec![a, b], s, sp)
}
pub fn haddiv(a: Expr, b: Expr) -> Expr {
    if a.shape.is_scalar() && b.shape.is_scalar() {
        return div(a, b);
    }
    if a.op == Op::Neg {
        return neg(haddiv(a.args.into_iter().next().unwrap(), b));
    }
    let (s, sp) = (a.shape, a.span);
    Expr::new(Op::HadDiv, vec![a, b], s, sp)
}
pub fn div(a: Expr, s: Expr) -> Expr {
    if is_num(&s, 1) {
        return a;
    }
    if let (Some(x), Some(y)) = (num_val(&a), num_val(&s))
        && !y.is_zero()
    {
        return num_r(x / y, a.span);
    }
    if a.op == Op::Neg {
        return neg(div(a.args.into_iter().next().unwrap(), s));
    }
    let (sh, sp) = (a.shape, a.span);
    Expr::new(Op::Div, vec![a, s], sh, sp)
}
pub fn transpose(a: Expr) -> Expr {
    if a.shape.is_scalar() {
        return a;
    }
    match a.op {
        Op::Transpose => a.args.into_iter().next().unwrap(),
        Op::Eye | Op::Diag => a,
        Op::Zeros | Op::Ones => Expr::leaf(a.op, a.shape.transposed(), a.span),
        Op::Neg => neg(transpose(a.args.into_iter().next().unwrap())),
        _ => {
            let (s, sp) = (a.shape.transposed(), a.span);
            Expr::new(Op::Transpose, vec![a], s, sp)
        }
    }
}
pub fn un(op: Op, a: Expr, shape: Shape) -> Expr {
    let sp = a.span;
    Expr::new(op, vec![a], shape, sp)
}
pub fn bin(op: Op, a: Expr, b: Expr, shape: Shape) -> Expr {
    let sp = a.span;
    Expr::new(op, vec![a, b], shape, sp)
}
pub fn indicator(op: CmpOp, a: Expr, b: Expr) -> Expr {
    let s = a.shape;
    bin(Op::Indicator(op), a, b, s)
}
/// `1{a op 0}` with a zero of a's shape.
pub fn ind0(op: CmpOp, a: Expr) -> Expr {
    let z = zeros(a.shape, a.span);
    indicator(op, a, z)
}
pub fn sum_all(a: Expr) -> Expr {
    if a.shape.is_scalar() {
        return a;
    }
    un(Op::Sum, a, Shape::SCALAR)
}
pub fn diag(v: Expr) -> Expr {
    if v.shape.is_scalar() {
        return v;
    }
    let n = v.shape.rows;
    un(Op::Diag, v, Shape::new(n, n))
}
/// ⟨m, a⟩ = sum(m ∘ a), written `mᵀ a` for vectors as lectures do.
pub fn inner(m: Expr, a: Expr) -> Expr {
    if m.shape.is_column() {
        mul(transpose(m), a)
    } else {
        sum_all(had(m, a))
    }
}
pub fn add_opt(acc: Option<Expr>, e: Expr) -> Option<Expr> {
    Some(match acc {
        None => e,
        Some(x) => add(x, e),
    })
}

/// `e` with every node for which `f` gives a replacement replaced.
pub fn relabel(e: &Expr, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
    if let Some(r) = f(e) {
        return r;
    }
    Expr::new(
        e.op.clone(),
        e.args.iter().map(|a| relabel(a, f)).collect(),
        e.shape,
        e.span,
    )
}

/// Whether `e` nests deeper than `limit` (checked without recursion).
pub fn nested_deeper_than(e: &Expr, limit: usize) -> bool {
    let mut stack = vec![(e, 0usize)];
    while let Some((n, d)) = stack.pop() {
        if d > limit {
            return true;
        }
        stack.extend(n.args.iter().map(|a| (a, d + 1)));
    }
    false
}

/// `[a; b; …]` of blocks with one column count.
pub fn stack(blocks: Vec<Expr>, span: Span) -> Option<Expr> {
    let cols = blocks.first()?.shape.cols;
    let mut rows = Dim::Const(0);
    for b in &blocks {
        rows = rows.plus(b.shape.rows).ok()?;
    }
    Some(Expr::new(Op::Stack, blocks, Shape::new(rows, cols), span))
}

/// Rows `from + 1 ..= from + count` of `a`; a block of a stack, all of `a`
/// and a block of zeros are taken directly.
pub fn rows(a: Expr, from: Dim, count: Dim) -> Expr {
    let shape = Shape::new(count, a.shape.cols);
    if from == Dim::Const(0) && count == a.shape.rows {
        return a;
    }
    if matches!(a.op, Op::Zeros | Op::Ones) {
        return if shape.is_scalar() {
            num(if a.op == Op::Ones { 1 } else { 0 }, a.span)
        } else {
            Expr::leaf(a.op, shape, a.span)
        };
    }
    if a.op == Op::Stack {
        let mut at = Dim::Const(0);
        for b in &a.args {
            if at == from && b.shape.rows == count {
                return b.clone();
            }
            match at.plus(b.shape.rows) {
                Ok(next) => at = next,
                Err(_) => break,
            }
        }
    }
    if let Op::Rows { from: inner, .. } = a.op
        && let Ok(start) = inner.plus(from)
    {
        let base = a.args.into_iter().next().unwrap();
        return rows(base, start, count);
    }
    let sp = a.span;
    Expr::new(Op::Rows { from, count }, vec![a], shape, sp)
}
