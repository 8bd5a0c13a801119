//! Symbolic matrix calculus on the typed program: turns `grad`/`jac`/`hess`/`d`
//! nodes into ordinary IR expressions, and writes the backward pass of a
//! `derive` statement the way a lecture does.
//!
//! Gradients use reverse mode in denominator layout over the let-DAG: every
//! `let` (and every concrete sequence element) is a node whose adjoint is
//! accumulated from its consumers, so results keep the user's let names.
//! Jacobians use forward mode (∂u/∂x for every node u), which yields the
//! lecture's `D[T-1] U ⋯ D[0] U` forms directly.

use crate::ir::{self, CmpOp, Dim, ElemFn, Expr, Op, Program, Shape};
use crate::span::Span;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq)]
pub struct DeriveError {
    pub span: Span,
    pub message: String,
}

type R<T> = Result<T, DeriveError>;

fn err<T>(span: Span, message: impl Into<String>) -> R<T> {
    Err(DeriveError {
        span,
        message: message.into(),
    })
}

/// Nesting bound for every recursive walk: deeper input is an error, not a stack overflow.
const MAX_DEPTH: usize = 400;
/// Bound on unrolled sums and products.
const MAX_UNROLL: i64 = 64;

// ---------------------------------------------------------------- constructors
// Small smart constructors: they fold the trivial cases (1·x, x + 0, −−x) that
// mechanical differentiation produces, so results stay close to lecture form
// before egg ever sees them.

pub(crate) fn num_r(r: BigRational, span: Span) -> Expr {
    Expr::leaf(Op::Num(r), Shape::SCALAR, span)
}
pub(crate) fn num(c: i64, span: Span) -> Expr {
    num_r(BigRational::from_integer(c.into()), span)
}
fn num_val(e: &Expr) -> Option<&BigRational> {
    match &e.op {
        Op::Num(r) => Some(r),
        _ => None,
    }
}
fn is_num(e: &Expr, c: i64) -> bool {
    num_val(e).is_some_and(|r| *r == BigRational::from_integer(c.into()))
}
fn is_ones(e: &Expr) -> bool {
    matches!(e.op, Op::Ones) || (e.shape.is_scalar() && is_num(e, 1))
}
pub(crate) fn ones(shape: Shape, span: Span) -> Expr {
    if shape.is_scalar() {
        num(1, span)
    } else {
        Expr::leaf(Op::Ones, shape, span)
    }
}
fn eye(n: Dim, span: Span) -> Expr {
    if n == Dim::Const(1) {
        num(1, span)
    } else {
        Expr::leaf(Op::Eye, Shape::new(n, n), span)
    }
}
pub(crate) fn zeros(shape: Shape, span: Span) -> Expr {
    if shape.is_scalar() {
        num(0, span)
    } else {
        Expr::leaf(Op::Zeros, shape, span)
    }
}
fn is_zero(e: &Expr) -> bool {
    matches!(e.op, Op::Zeros) || is_num(e, 0)
}
pub(crate) fn neg(a: Expr) -> Expr {
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
pub(crate) fn add(a: Expr, b: Expr) -> Expr {
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
pub(crate) fn sub(a: Expr, b: Expr) -> Expr {
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
fn pow(b: Expr, p: Expr) -> Expr {
    match num_val(&p) {
        Some(r) if num_traits::One::is_one(r) => b,
        Some(r) if num_traits::Zero::is_zero(r) => num(1, b.span),
        _ => bin(Op::Pow, b, p, Shape::SCALAR),
    }
}

/// `‖v‖^2` with a literal 2.
fn b_is_norm_squared(b: &Expr, p: &Expr) -> bool {
    b.op == Op::Norm && num_val(p).is_some_and(|r| *r == BigRational::from_integer(2.into()))
}

/// Matrix product; a 1×1 factor next to a non-scalar becomes a Scale.
pub(crate) fn mul(a: Expr, b: Expr) -> Expr {
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
pub(crate) fn scale(s: Expr, m: Expr) -> Expr {
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
pub(crate) fn had(a: Expr, b: Expr) -> Expr {
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
pub(crate) fn haddiv(a: Expr, b: Expr) -> Expr {
    if a.shape.is_scalar() && b.shape.is_scalar() {
        return div(a, b);
    }
    if a.op == Op::Neg {
        return neg(haddiv(a.args.into_iter().next().unwrap(), b));
    }
    let (s, sp) = (a.shape, a.span);
    Expr::new(Op::HadDiv, vec![a, b], s, sp)
}
pub(crate) fn div(a: Expr, s: Expr) -> Expr {
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
pub(crate) fn transpose(a: Expr) -> Expr {
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
pub(crate) fn un(op: Op, a: Expr, shape: Shape) -> Expr {
    let sp = a.span;
    Expr::new(op, vec![a], shape, sp)
}
pub(crate) fn bin(op: Op, a: Expr, b: Expr, shape: Shape) -> Expr {
    let sp = a.span;
    Expr::new(op, vec![a, b], shape, sp)
}
fn indicator(op: CmpOp, a: Expr, b: Expr) -> Expr {
    let s = a.shape;
    bin(Op::Indicator(op), a, b, s)
}
/// `1{a op 0}` with a zero of a's shape.
pub(crate) fn ind0(op: CmpOp, a: Expr) -> Expr {
    let z = zeros(a.shape, a.span);
    indicator(op, a, z)
}
fn sum_all(a: Expr) -> Expr {
    if a.shape.is_scalar() {
        return a;
    }
    un(Op::Sum, a, Shape::SCALAR)
}
fn diag(v: Expr) -> Expr {
    if v.shape.is_scalar() {
        return v;
    }
    let n = v.shape.rows;
    un(Op::Diag, v, Shape::new(n, n))
}
/// ⟨m, a⟩ = sum(m ∘ a), written `mᵀ a` for vectors as lectures do.
fn inner(m: Expr, a: Expr) -> Expr {
    if m.shape.is_column() {
        mul(transpose(m), a)
    } else {
        sum_all(had(m, a))
    }
}
fn add_opt(acc: Option<Expr>, e: Expr) -> Option<Expr> {
    Some(match acc {
        None => e,
        Some(x) => add(x, e),
    })
}

// ---------------------------------------------------------------- expansion

/// Evaluates an integer-valued scalar expression (times, bounds, indices).
pub(crate) fn const_int(prog: &Program, e: &Expr) -> Option<i64> {
    match &e.op {
        Op::Num(r) if r.is_integer() => r.to_integer().to_i64(),
        Op::DimValue(d) => prog.dim_value(*d).and_then(|v| i64::try_from(v).ok()),
        Op::Add => Some(const_int(prog, &e.args[0])? + const_int(prog, &e.args[1])?),
        Op::Sub => Some(const_int(prog, &e.args[0])? - const_int(prog, &e.args[1])?),
        Op::Mul | Op::Scale => Some(const_int(prog, &e.args[0])? * const_int(prog, &e.args[1])?),
        Op::Neg => Some(-const_int(prog, &e.args[0])?),
        _ => None,
    }
}

/// Replaces `Local(local)` (or `Idx(idx)`) by `value` everywhere in `e`.
fn subst(e: &Expr, target: &Op, value: &Expr, depth: usize) -> R<Expr> {
    if depth > MAX_DEPTH {
        return err(e.span, "expression nested too deeply to differentiate");
    }
    if e.op == *target {
        return Ok(value.clone());
    }
    let args = e
        .args
        .iter()
        .map(|a| subst(a, target, value, depth + 1))
        .collect::<R<Vec<_>>>()?;
    Ok(Expr::new(e.op.clone(), args, e.shape, e.span))
}

/// Replaces a symbolic dimension by a value everywhere in `e` (shapes, `DimValue`):
/// callers unroll statements over a symbolic length with it (T = 1..6).
pub fn substitute_dim(e: &Expr, dim: ir::DimId, value: u64) -> Expr {
    let fix = |d: Dim| {
        if d == Dim::Sym(dim) {
            Dim::Const(value)
        } else {
            d
        }
    };
    let shape = Shape::new(fix(e.shape.rows), fix(e.shape.cols));
    let op = match &e.op {
        Op::DimValue(d) if *d == Dim::Sym(dim) => Op::Num(BigRational::from_integer(value.into())),
        o => o.clone(),
    };
    Expr::new(
        op,
        e.args
            .iter()
            .map(|a| substitute_dim(a, dim, value))
            .collect(),
        shape,
        e.span,
    )
}

/// The program with a symbolic dimension fixed to `value` (in every let,
/// sequence and shape at once): how a caller unrolls `T = 1..6` before
/// differentiating through a recurrence.
pub fn fix_dim(prog: &Program, dim: ir::DimId, value: u64) -> Program {
    let mut p = prog.clone();
    if let Some(d) = p.dims.get_mut(dim) {
        d.value = Some(value);
    }
    p
}

/// `e` with let-function calls inlined, sums and products over concrete
/// ranges unrolled and sequence times made literal (for proofs).
pub fn expand_concrete(prog: &Program, e: &Expr) -> Result<Expr, DeriveError> {
    if nested_deeper_than(e, MAX_DEPTH) {
        return err(e.span, "expression nested too deeply");
    }
    Graph::new(prog, Key::Var(usize::MAX), e.span).expand(e, 0)
}

/// The definition of sequence element `seq[t]`, expanded; None for a given element.
pub fn seq_definition(prog: &Program, seq: ir::SeqId, t: i64) -> Result<Option<Expr>, DeriveError> {
    Graph::new(prog, Key::Var(usize::MAX), prog.seqs[seq].span).body(Key::Seq(seq, t))
}

/// A node of the computation graph whose adjoint is accumulated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Key {
    Var(ir::VarId),
    Let(ir::LetId),
    Seq(ir::SeqId, i64),
}

struct Graph<'p> {
    prog: &'p Program,
    /// The variable (everything upstream of it is fixed).
    wrt: Key,
    /// Further variables of a shared backward pass (all independent variables).
    also: Vec<Key>,
    bodies: HashMap<Key, Option<Expr>>,
    deps: HashMap<Key, bool>,
    span: Span,
}

impl<'p> Graph<'p> {
    fn new(prog: &'p Program, wrt: Key, span: Span) -> Self {
        Graph {
            prog,
            wrt,
            also: Vec::new(),
            bodies: HashMap::new(),
            deps: HashMap::new(),
            span,
        }
    }

    fn is_wrt(&self, k: Key) -> bool {
        k == self.wrt || self.also.contains(&k)
    }

    /// Inlines let-function calls, unrolls concrete sums/products and makes
    /// sequence times literal, so later passes see plain graph references.
    fn expand(&self, e: &Expr, depth: usize) -> R<Expr> {
        if depth > MAX_DEPTH {
            return err(e.span, "expression nested too deeply to differentiate");
        }
        let prog = self.prog;
        let args =
            || -> R<Vec<Expr>> { e.args.iter().map(|a| self.expand(a, depth + 1)).collect() };
        match &e.op {
            Op::CallLet(id) => {
                let decl = &prog.lets[*id];
                let mut body = decl.body.clone();
                for (p, a) in decl.params.iter().zip(args()?) {
                    body = subst(&body, &Op::Local(*p), &a, 0)?;
                }
                self.expand(&body, depth + 1)
            }
            Op::SeqAt(id) => {
                let t = self.expand(&e.args[0], depth + 1)?;
                let t = match const_int(prog, &t) {
                    Some(v) => num(v, t.span),
                    None => t,
                };
                Ok(Expr::new(Op::SeqAt(*id), vec![t], e.shape, e.span))
            }
            Op::Component => {
                let mut a = args()?;
                for i in a.iter_mut().skip(1) {
                    if let Some(v) = const_int(prog, i) {
                        *i = num(v, i.span);
                    }
                }
                Ok(Expr::new(Op::Component, a, e.shape, e.span))
            }
            Op::SumRange(l) | Op::ProdRange { local: l, .. } => {
                let (from, to) = (
                    self.expand(&e.args[0], depth + 1)?,
                    self.expand(&e.args[1], depth + 1)?,
                );
                let (Some(a), Some(b)) = (const_int(prog, &from), const_int(prog, &to)) else {
                    return Ok(Expr::new(
                        e.op.clone(),
                        vec![from, to, e.args[2].clone()],
                        e.shape,
                        e.span,
                    ));
                };
                let downto = matches!(e.op, Op::ProdRange { downto: true, .. });
                let ts: Vec<i64> = if downto {
                    (b..=a).rev().collect()
                } else {
                    (a..=b).collect()
                };
                if ts.len() as i64 > MAX_UNROLL {
                    return err(e.span, "range too long to unroll");
                }
                let is_sum = matches!(e.op, Op::SumRange(_));
                let mut acc: Option<Expr> = None;
                for t in ts {
                    let term = subst(&e.args[2], &Op::Local(*l), &num(t, e.span), 0)?;
                    let term = self.expand(&term, depth + 1)?;
                    acc = Some(match acc {
                        None => term,
                        Some(x) if is_sum => add(x, term),
                        Some(x) => mul(x, term),
                    });
                }
                Ok(acc.unwrap_or_else(|| {
                    if is_sum {
                        zeros(e.shape, e.span)
                    } else {
                        eye(e.shape.rows, e.span)
                    }
                }))
            }
            Op::SumIdx(i) => {
                let Some(n) = prog.dim_value(prog.idxs[*i].range) else {
                    let body = self.expand(&e.args[0], depth + 1)?;
                    return Ok(Expr::new(e.op.clone(), vec![body], e.shape, e.span));
                };
                if n as i64 > MAX_UNROLL {
                    return err(e.span, "range too long to unroll");
                }
                let mut acc: Option<Expr> = None;
                for t in 1..=n as i64 {
                    let term = subst(&e.args[0], &Op::Idx(*i), &num(t, e.span), 0)?;
                    acc = add_opt(acc, self.expand(&term, depth + 1)?);
                }
                Ok(acc.unwrap_or_else(|| zeros(e.shape, e.span)))
            }
            _ => Ok(Expr::new(e.op.clone(), args()?, e.shape, e.span)),
        }
    }

    /// The graph node an expression refers to, if it is one.
    fn key_of(&self, e: &Expr) -> R<Option<Key>> {
        Ok(match &e.op {
            Op::Var(v) => Some(Key::Var(*v)),
            Op::Let(l) => Some(Key::Let(*l)),
            Op::SeqAt(s) => match const_int(self.prog, &e.args[0]) {
                Some(t) => Some(Key::Seq(*s, t)),
                None => {
                    // A symbolic time: only an independent (given) sequence is safe.
                    let seq = &self.prog.seqs[*s];
                    let defined = seq
                        .pieces
                        .iter()
                        .any(|p| matches!(p, ir::SeqPiece::Defined { .. }));
                    if defined
                        || std::iter::once(&self.wrt)
                            .chain(&self.also)
                            .any(|k| matches!(k, Key::Seq(w, _) if w == s))
                    {
                        return err(
                            e.span,
                            format!(
                                "differentiating through {}[…] at a symbolic time needs a concrete T",
                                seq.name
                            ),
                        );
                    }
                    None
                }
            },
            _ => None,
        })
    }

    /// The defining expression of a graph node (None for an independent one).
    fn body(&mut self, k: Key) -> R<Option<Expr>> {
        if let Some(b) = self.bodies.get(&k) {
            return Ok(b.clone());
        }
        let prog = self.prog;
        let raw = match k {
            Key::Var(_) => None,
            Key::Let(l) => {
                let d = &prog.lets[l];
                if d.is_function {
                    None
                } else {
                    Some(d.body.clone())
                }
            }
            Key::Seq(s, t) => {
                let seq = &prog.seqs[s];
                let tv = num(t, self.span);
                let mut found = None;
                if !seq
                    .pieces
                    .iter()
                    .any(|p| matches!(p, ir::SeqPiece::GivenAt { at, .. } if *at == t))
                {
                    for p in &seq.pieces {
                        if let ir::SeqPiece::Defined {
                            local, guard, body, ..
                        } = p
                        {
                            let ok = match guard {
                                None => true,
                                Some((op, bound)) => {
                                    let b = subst(bound, &Op::Local(*local), &tv, 0)?;
                                    match const_int(prog, &b) {
                                        Some(b) => match op {
                                            CmpOp::Lt => t < b,
                                            CmpOp::Le => t <= b,
                                            CmpOp::Gt => t > b,
                                            CmpOp::Ge => t >= b,
                                        },
                                        None => false,
                                    }
                                }
                            };
                            if ok {
                                found = Some(subst(body, &Op::Local(*local), &tv, 0)?);
                                break;
                            }
                        }
                    }
                }
                found
            }
        };
        let b = match raw {
            Some(b) => Some(self.expand(&b, 0)?),
            None => None,
        };
        self.bodies.insert(k, b.clone());
        Ok(b)
    }

    /// Does the value of node `k` change with the variable?
    fn key_depends(&mut self, k: Key, depth: usize) -> R<bool> {
        if self.is_wrt(k) {
            return Ok(true);
        }
        if let Some(d) = self.deps.get(&k) {
            return Ok(*d);
        }
        if depth > MAX_DEPTH {
            return err(self.span, "computation graph too deep to differentiate");
        }
        // Cycle guard: a node under evaluation counts as independent.
        self.deps.insert(k, false);
        let d = match self.body(k)? {
            Some(b) => self.depends(&b, depth + 1)?,
            None => false,
        };
        self.deps.insert(k, d);
        Ok(d)
    }

    fn depends(&mut self, e: &Expr, depth: usize) -> R<bool> {
        if depth > MAX_DEPTH {
            return err(e.span, "expression nested too deeply to differentiate");
        }
        if let Some(k) = self.key_of(e)? {
            return self.key_depends(k, depth + 1);
        }
        for a in &e.args {
            if self.depends(a, depth + 1)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Graph nodes reachable from `e` that depend on the variable, producers first.
    /// Iterative, and dependencies are settled children-first, so a long chain of
    /// lets (a deep network) never recurses deeply.
    fn topo(&mut self, e: &Expr) -> R<Vec<Key>> {
        let mut post = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<(Key, bool)> = Vec::new();
        let mut roots = Vec::new();
        self.collect_keys(e, &mut roots, 0)?;
        for r in roots.into_iter().rev() {
            stack.push((r, false));
        }
        while let Some((k, done)) = stack.pop() {
            if done {
                post.push(k);
                continue;
            }
            if !seen.insert(k) {
                continue;
            }
            stack.push((k, true));
            if self.is_wrt(k) {
                continue;
            }
            if let Some(b) = self.body(k)? {
                let mut ks = Vec::new();
                self.collect_keys(&b, &mut ks, 0)?;
                for c in ks.into_iter().rev() {
                    if !seen.contains(&c) {
                        stack.push((c, false));
                    }
                }
            }
        }
        let mut order = Vec::new();
        for k in post {
            if self.key_depends(k, 0)? {
                order.push(k);
            }
        }
        Ok(order)
    }

    fn collect_keys(&self, e: &Expr, out: &mut Vec<Key>, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return err(e.span, "expression nested too deeply to differentiate");
        }
        if let Some(k) = self.key_of(e)? {
            out.push(k);
            return Ok(());
        }
        for a in &e.args {
            self.collect_keys(a, out, depth + 1)?;
        }
        Ok(())
    }

    fn key_expr(&self, k: Key) -> Expr {
        let p = self.prog;
        match k {
            Key::Var(v) => Expr::leaf(Op::Var(v), p.vars[v].shape, self.span),
            Key::Let(l) => Expr::leaf(Op::Let(l), p.lets[l].body.shape, self.span),
            Key::Seq(s, t) => Expr::new(
                Op::SeqAt(s),
                vec![num(t, self.span)],
                p.seqs[s].shape,
                self.span,
            ),
        }
    }
}

// ---------------------------------------------------------------- reverse mode

/// One reverse sweep: adjoints of graph nodes, keyed, accumulated from consumers.
struct Reverse<'g, 'p> {
    g: &'g mut Graph<'p>,
    adj: HashMap<Key, Expr>,
}

impl Reverse<'_, '_> {
    fn give(&mut self, k: Key, a: Expr) {
        let v = match self.adj.remove(&k) {
            None => a,
            Some(x) => add(x, a),
        };
        self.adj.insert(k, v);
    }

    /// Does `e` denote softmax(z)? Returns z (looking through one let that is not the variable).
    fn softmax_arg(&mut self, e: &Expr) -> R<Option<Expr>> {
        if e.op == Op::Softmax {
            return Ok(Some(e.args[0].clone()));
        }
        if let Some(k @ Key::Let(_)) = self.g.key_of(e)?
            && !self.g.is_wrt(k)
            && let Some(b) = self.g.body(k)?
            && b.op == Op::Softmax
        {
            return Ok(Some(b.args[0].clone()));
        }
        Ok(None)
    }

    /// Adds the contributions of `e`, whose adjoint is `a` and whose value is
    /// written `val` (a let name when `e` is a let's body), to its inputs.
    fn bp(&mut self, e: &Expr, val: &Expr, a: Expr, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return err(e.span, "expression nested too deeply to differentiate");
        }
        if !self.g.depends(e, 0)? {
            return Ok(());
        }
        if let Some(k) = self.g.key_of(e)? {
            self.give(k, a);
            return Ok(());
        }
        let d = depth + 1;
        let x = |i: usize| e.args[i].clone();
        macro_rules! go {
            ($arg:expr, $adj:expr) => {{
                let arg: Expr = $arg;
                if self.g.depends(&arg, 0)? {
                    let adj = $adj;
                    self.bp(&arg, &arg, adj, d)?;
                }
            }};
        }
        match &e.op {
            Op::Neg => go!(x(0), neg(a)),
            Op::Add => {
                go!(x(0), a.clone());
                go!(x(1), a);
            }
            Op::Sub => {
                go!(x(0), a.clone());
                go!(x(1), neg(a));
            }
            Op::Mul => {
                go!(x(0), mul(a.clone(), transpose(x(1))));
                go!(x(1), mul(transpose(x(0)), a));
            }
            Op::Scale => {
                let (s, m) = if x(0).shape.is_scalar() {
                    (x(0), x(1))
                } else {
                    (x(1), x(0))
                };
                go!(m.clone(), scale(s.clone(), a.clone()));
                go!(s, inner(m, a));
            }
            Op::Hadamard => {
                go!(x(0), had(a.clone(), x(1)));
                go!(x(1), had(a, x(0)));
            }
            Op::HadDiv => {
                go!(x(0), haddiv(a.clone(), x(1)));
                go!(x(1), neg(haddiv(had(a, x(0)), had(x(1), x(1)))));
            }
            Op::Div => {
                go!(x(0), div(a.clone(), x(1)));
                go!(x(1), neg(div(inner(x(0), a), mul(x(1), x(1)))));
            }
            Op::Pow if b_is_norm_squared(&x(0), &x(1)) => {
                // ‖v‖² = vᵀv: its gradient 2v is defined at v = 0 too,
                // where the chain through ‖v‖ would divide by zero.
                let v = x(0).args[0].clone();
                go!(v.clone(), scale(mul(a, num(2, e.span)), v));
            }
            Op::Pow => {
                let (b, p) = (x(0), x(1));
                let pm1 = sub(p.clone(), num(1, e.span));
                let bpm1 = pow(b.clone(), pm1);
                go!(b.clone(), mul(a.clone(), mul(p.clone(), bpm1)));
                go!(
                    p,
                    mul(
                        a,
                        mul(val.clone(), un(Op::Elem(ElemFn::Log), b, Shape::SCALAR))
                    )
                );
            }
            Op::ElemPow => {
                let (u, p) = (x(0), x(1));
                let pm1 = sub(p.clone(), num(1, e.span));
                let upm1 = if num_val(&pm1).is_some_and(num_traits::One::is_one) {
                    u.clone()
                } else {
                    bin(Op::ElemPow, u.clone(), pm1, u.shape)
                };
                go!(u.clone(), had(a.clone(), scale(p.clone(), upm1)));
                go!(
                    p,
                    sum_all(had(
                        a,
                        had(val.clone(), un(Op::Elem(ElemFn::Log), u.clone(), u.shape))
                    ))
                );
            }
            Op::MatPow(k) => {
                let m = x(0);
                let pow = |i: u32| -> Expr {
                    match i {
                        0 => eye(m.shape.rows, e.span),
                        1 => m.clone(),
                        _ => un(Op::MatPow(i), m.clone(), m.shape),
                    }
                };
                let mut acc = None;
                for i in 0..*k {
                    let t = mul(mul(transpose(pow(i)), a.clone()), transpose(pow(k - 1 - i)));
                    acc = add_opt(acc, t);
                }
                if let Some(t) = acc {
                    go!(m, t);
                }
            }
            Op::Transpose => go!(x(0), transpose(a)),
            Op::Inv => {
                let it = transpose(val.clone());
                go!(x(0), neg(mul(mul(it.clone(), a), it)));
            }
            Op::Elem(f) => {
                let z = x(0);
                if *f == ElemFn::Log
                    && let Some(arg) = self.softmax_arg(&z)?
                {
                    // log-softmax: ∂/∂z Σ c∘log softmax(z) = c − softmax(z) sum(c).
                    // Sound for every z, and avoids dividing by the softmax.
                    if self.g.depends(&arg, 0)? {
                        let t = sub(a.clone(), scale(sum_all(a), z.clone()));
                        self.bp(&arg, &arg, t, d)?;
                    }
                    return Ok(());
                }
                let params: Vec<Expr> = e.args[1..].to_vec();
                if let Some(c) = times_prime(a.clone(), f.written_prime(&e.args, val)) {
                    go!(z.clone(), c);
                }
                for (k, dp) in f.dparams(&z, val, &params).into_iter().enumerate() {
                    go!(params[k].clone(), inner(dp, a.clone()));
                }
            }
            Op::ElemPrime(f) => {
                let z = x(0);
                let params: Vec<Expr> = e.args[1..].to_vec();
                if !params.is_empty() && params.iter().any(|p| self.g.depends(p, 0).unwrap_or(true))
                {
                    return err(
                        e.span,
                        format!(
                            "the derivative of {}' with respect to its parameter is not supported",
                            f.name()
                        ),
                    );
                }
                let second = f.second(&z, val, &params);
                if let Some(s) = second {
                    go!(z, had(a, s));
                }
            }
            Op::Max | Op::Min => {
                // A tie sends the derivative to q, as the evaluator's tie takes
                // q's value: ∂max(p, q)/∂p = 1{p > q}, so max(z, 0)' = 0 at 0.
                let (p, q) = (x(0), x(1));
                let (o1, o2) = if e.op == Op::Max {
                    (CmpOp::Gt, CmpOp::Le)
                } else {
                    (CmpOp::Lt, CmpOp::Ge)
                };
                go!(
                    p.clone(),
                    had(a.clone(), indicator(o1, p.clone(), q.clone()))
                );
                go!(q.clone(), had(a, indicator(o2, p, q)));
            }
            Op::Indicator(_) | Op::Delta => {}
            Op::Softmax => {
                // (diag(s) − s sᵀ) a = s ∘ a − s (sᵀ a)
                let s = val.clone();
                let t = sub(had(s.clone(), a.clone()), scale(inner(s.clone(), a), s));
                go!(x(0), t);
            }
            Op::LogSumExp => {
                let z = x(0);
                let s = un(Op::Softmax, z.clone(), z.shape);
                go!(z, scale(a, s));
            }
            Op::Sum => {
                let u = x(0);
                let o = ones(u.shape, e.span);
                go!(u, scale(a, o));
            }
            Op::Norm => {
                let u = x(0);
                go!(u.clone(), scale(a, div(u, val.clone())));
            }
            Op::Tr => {
                let m = x(0);
                let i = eye(m.shape.rows, e.span);
                go!(m, scale(a, i));
            }
            Op::Det => {
                let m = x(0);
                let it = transpose(un(Op::Inv, m.clone(), m.shape));
                go!(m, scale(mul(a, val.clone()), it));
            }
            Op::LogDet => {
                let m = x(0);
                let it = transpose(un(Op::Inv, m.clone(), m.shape));
                go!(m, scale(a, it));
            }
            Op::Diag => {
                // The diagonal of the adjoint, as a vector: (a ∘ I) 1.
                let v = x(0);
                let n = v.shape.rows;
                let t = mul(had(a, eye(n, e.span)), ones(v.shape, e.span));
                go!(v, t);
            }
            Op::Fun(id) => {
                let z = x(0);
                let t = match self.g.prog.funs[*id].kind {
                    ir::FunKind::Elementwise => had(a, un(Op::FunPrime(*id), z.clone(), z.shape)),
                    ir::FunKind::Map { .. } => scale(a, un(Op::FunPrime(*id), z.clone(), z.shape)),
                };
                go!(z, t);
            }
            Op::Literal { rows, cols } => {
                for r in 0..*rows {
                    for c in 0..*cols {
                        let entry = &e.args[r * cols + c];
                        let mut idx = vec![a.clone(), num(r as i64 + 1, e.span)];
                        if !a.shape.is_column() {
                            idx.push(num(c as i64 + 1, e.span));
                        }
                        let comp = if a.shape.is_scalar() {
                            a.clone()
                        } else {
                            Expr::new(Op::Component, idx, Shape::SCALAR, e.span)
                        };
                        go!(entry.clone(), comp);
                    }
                }
            }
            Op::Component => {
                let base = x(0);
                let (Some(rows), Some(cols)) = (
                    self.g.prog.dim_value(base.shape.rows),
                    self.g.prog.dim_value(base.shape.cols),
                ) else {
                    return err(
                        e.span,
                        "differentiating through a component of a symbolic-size value is not supported; use jac or d",
                    );
                };
                let i = const_int(self.g.prog, &e.args[1]);
                let j = if e.args.len() > 2 {
                    const_int(self.g.prog, &e.args[2])
                } else {
                    Some(1)
                };
                let (Some(i), Some(j)) = (i, j) else {
                    return err(
                        e.span,
                        "differentiating through a symbolic component is not supported; use jac or d",
                    );
                };
                let mut entries = Vec::new();
                for r in 1..=rows as i64 {
                    for c in 1..=cols as i64 {
                        entries.push(if r == i && c == j {
                            a.clone()
                        } else {
                            num(0, e.span)
                        });
                    }
                }
                let lit = Expr::new(
                    Op::Literal {
                        rows: rows as usize,
                        cols: cols as usize,
                    },
                    entries,
                    base.shape,
                    e.span,
                );
                go!(base, lit);
            }
            Op::FunPrime(_) => {
                return err(
                    e.span,
                    "the derivative of a declared function's derivative is unknown",
                );
            }
            Op::Smin | Op::Smax => {
                return err(
                    e.span,
                    "smin/smax are for numeric claims only and have no derivative here",
                );
            }
            Op::SumIdx(_) | Op::SumRange(_) | Op::ProdRange { .. } => {
                return err(
                    e.span,
                    "differentiating through a sum or product over a symbolic range needs a concrete range",
                );
            }
            Op::Grad | Op::Jac | Op::Hess | Op::D => {
                return err(e.span, "internal: derivative node left inside a derivative");
            }
            _ => {
                return err(e.span, format!("cannot differentiate {:?}", e.op));
            }
        }
        Ok(())
    }
}

/// The adjoint `a` times f′ (elementwise), as the backward pass writes it:
/// nothing for a zero derivative, `a ./ d` for f′ = 1 ./ d.
fn times_prime(a: Expr, prime: Expr) -> Option<Expr> {
    if is_zero(&prime) {
        return None;
    }
    let one_over = match prime.op {
        Op::HadDiv => is_ones(&prime.args[0]),
        Op::Div => is_num(&prime.args[0], 1),
        _ => false,
    };
    if one_over {
        return Some(haddiv(a, prime.args[1].clone()));
    }
    Some(had(a, prime))
}

/// The graph node denoted by a `wrt` argument, and the component indices when it is `x[i]`.
fn wrt_key(prog: &Program, wrt: &Expr) -> R<(Key, Vec<Expr>)> {
    let g = Graph::new(prog, Key::Var(usize::MAX), wrt.span);
    let w = g.expand(wrt, 0)?;
    match &w.op {
        Op::Var(v) => Ok((Key::Var(*v), vec![])),
        Op::Let(l) if !prog.lets[*l].is_function => Ok((Key::Let(*l), vec![])),
        Op::SeqAt(s) => match const_int(prog, &w.args[0]) {
            Some(t) => Ok((Key::Seq(*s, t), vec![])),
            None => err(
                wrt.span,
                format!(
                    "a derivative w.r.t. {}[…] at a symbolic time needs a concrete T",
                    prog.seqs[*s].name
                ),
            ),
        },
        Op::Component => {
            let (k, more) = wrt_key(prog, &w.args[0])?;
            if !more.is_empty() {
                return err(wrt.span, "a component of a component is not a variable");
            }
            Ok((k, w.args[1..].to_vec()))
        }
        _ => err(
            wrt.span,
            "a derivative is taken w.r.t. a variable, a let name, a sequence element or a component of one",
        ),
    }
}

/// Reverse sweep from `f` (seeded with `seed`) down to `wrt`; returns the adjoint of
/// `wrt` (None when `f` does not depend on it).
fn reverse(prog: &Program, f: &Expr, wrt: Key, seed: Expr, span: Span) -> R<Option<Expr>> {
    let mut g = Graph::new(prog, wrt, span);
    let f = g.expand(f, 0)?;
    let order = g.topo(&f)?;
    let mut r = Reverse {
        g: &mut g,
        adj: HashMap::new(),
    };
    r.bp(&f, &f, seed, 0)?;
    for k in order.iter().rev() {
        if *k == wrt {
            continue;
        }
        let Some(a) = r.adj.remove(k) else { continue };
        if nested_deeper_than(&a, MAX_DEPTH) {
            return err(
                span,
                "the derivative nests too deeply to write as one expression; `derive … wrt` names the adjoints of a deep network",
            );
        }
        if let Some(body) = r.g.body(*k)? {
            let val = r.g.key_expr(*k);
            r.bp(&body, &val, a, 0)?;
        }
    }
    Ok(r.adj.remove(&wrt))
}

// ---------------------------------------------------------------- forward mode

struct Forward<'g, 'p> {
    g: &'g mut Graph<'p>,
    n: Dim,
    tangents: HashMap<Key, Option<Expr>>,
}

impl Forward<'_, '_> {
    fn key_tangent(&mut self, k: Key, depth: usize) -> R<Option<Expr>> {
        if k == self.g.wrt {
            return Ok(Some(eye(self.n, self.g.span)));
        }
        if let Some(t) = self.tangents.get(&k) {
            return Ok(t.clone());
        }
        let t = match self.g.body(k)? {
            Some(b) if self.g.key_depends(k, 0)? => {
                let val = self.g.key_expr(k);
                self.tangent_val(&b, &val, depth + 1)?
            }
            _ => None,
        };
        self.tangents.insert(k, t.clone());
        Ok(t)
    }

    /// ∂e/∂x as a len(e) × len(x) matrix (None when e does not depend on x).
    fn tangent(&mut self, e: &Expr, depth: usize) -> R<Option<Expr>> {
        self.tangent_val(e, e, depth)
    }

    /// `tangent`, where the value of `e` is written `val` (a let name for a let's body).
    fn tangent_val(&mut self, e: &Expr, val: &Expr, depth: usize) -> R<Option<Expr>> {
        if depth > MAX_DEPTH {
            return err(e.span, "expression nested too deeply to differentiate");
        }
        if !self.g.depends(e, 0)? {
            return Ok(None);
        }
        if let Some(k) = self.g.key_of(e)? {
            return self.key_tangent(k, depth + 1);
        }
        if !(e.shape.is_column() || e.shape.rows == Dim::Const(1)) {
            return err(
                e.span,
                "a Jacobian through a matrix-valued intermediate is not supported (it is a 3-tensor)",
            );
        }
        let d = depth + 1;
        let x = |i: usize| e.args[i].clone();
        let sp = e.span;
        // t(i): tangent of argument i
        let mut ts = Vec::new();
        for a in &e.args {
            ts.push(self.tangent(a, d)?);
        }
        let t = |i: usize| ts[i].clone();
        let lin = |acc: Option<Expr>, f: Option<Expr>| match (acc, f) {
            (a, None) => a,
            (None, Some(f)) => Some(f),
            (Some(a), Some(f)) => Some(add(a, f)),
        };
        // A row vector's tangent is that of its entries as a column.
        let colv = |v: Expr| {
            if !v.shape.is_column() && v.shape.rows == Dim::Const(1) {
                transpose(v)
            } else {
                v
            }
        };
        let dg = |v: Expr| diag(colv(v));
        Ok(match &e.op {
            Op::Neg => t(0).map(neg),
            Op::Add => lin(t(0), t(1)),
            Op::Sub => lin(t(0), t(1).map(neg)),
            Op::Transpose => t(0),
            Op::Mul => {
                let (a, b) = (x(0), x(1));
                let ta = match t(0) {
                    None => None,
                    // a row times a column (an inner product), or a column times a scalar
                    Some(ta) if a.shape.rows == Dim::Const(1) => {
                        Some(mul(transpose(b.clone()), ta))
                    }
                    Some(ta) if b.shape.is_scalar() => Some(mul(ta, b.clone())),
                    Some(_) => {
                        return err(
                            sp,
                            "a Jacobian through a matrix-valued intermediate is not supported (it is a 3-tensor)",
                        );
                    }
                };
                lin(ta, t(1).map(|tb| mul(a, tb)))
            }
            Op::Scale => {
                let (si, mi) = if x(0).shape.is_scalar() {
                    (0, 1)
                } else {
                    (1, 0)
                };
                let (s, m) = (x(si), x(mi));
                lin(
                    t(mi).map(|tm| scale(s, tm)),
                    t(si).map(|tsv| mul(colv(m), tsv)),
                )
            }
            Op::Hadamard => lin(
                t(0).map(|ta| mul(dg(x(1)), ta)),
                t(1).map(|tb| mul(dg(x(0)), tb)),
            ),
            Op::HadDiv => lin(
                t(0).map(|ta| mul(dg(haddiv(ones(x(1).shape, sp), x(1))), ta)),
                t(1).map(|tb| neg(mul(dg(haddiv(x(0), had(x(1), x(1)))), tb))),
            ),
            Op::Div => lin(
                t(0).map(|ta| div(ta, x(1))),
                t(1).map(|tb| neg(mul(div(x(0), mul(x(1), x(1))), tb))),
            ),
            Op::Elem(f) => {
                if (1..e.args.len()).any(|k| t(k).is_some()) {
                    return err(
                        e.span,
                        format!(
                            "the Jacobian of {} with respect to its parameter is not supported",
                            f.name()
                        ),
                    );
                }
                let p = f.written_prime(&e.args, val);
                t(0).and_then(|tz| {
                    if is_zero(&p) {
                        None
                    } else {
                        Some(mul(dg(p), tz))
                    }
                })
            }
            Op::Fun(id) => {
                let z = x(0);
                let p = un(Op::FunPrime(*id), z.clone(), z.shape);
                match self.g.prog.funs[*id].kind {
                    ir::FunKind::Elementwise => t(0).map(|tz| mul(dg(p), tz)),
                    ir::FunKind::Map { .. } => t(0).map(|tz| mul(transpose(p), tz)),
                }
            }
            Op::Softmax => t(0).map(|tz| {
                let s = val.clone();
                let j = sub(dg(s.clone()), mul(s.clone(), transpose(s)));
                mul(j, tz)
            }),
            Op::LogSumExp => t(0).map(|tz| {
                let s = un(Op::Softmax, x(0), x(0).shape);
                mul(transpose(s), tz)
            }),
            Op::Sum => t(0).map(|tz| mul(transpose(colv(ones(x(0).shape, sp))), tz)),
            Op::Norm => t(0).map(|tz| mul(transpose(colv(div(x(0), val.clone()))), tz)),
            Op::Pow => {
                let (b, p) = (x(0), x(1));
                let pm1 = sub(p.clone(), num(1, sp));
                lin(
                    t(0).map(|tb| mul(mul(p.clone(), pow(b.clone(), pm1)), tb)),
                    t(1).map(|tp| {
                        mul(
                            mul(
                                e.clone(),
                                un(Op::Elem(ElemFn::Log), b.clone(), Shape::SCALAR),
                            ),
                            tp,
                        )
                    }),
                )
            }
            Op::ElemPow if t(1).is_none() => {
                let (u, p) = (x(0), x(1));
                let pm1 = sub(p.clone(), num(1, sp));
                t(0).map(|tu| mul(dg(scale(p, bin(Op::ElemPow, u.clone(), pm1, u.shape))), tu))
            }
            Op::Max | Op::Min => {
                // Ties go to the second argument, as in reverse mode.
                let (o1, o2) = if e.op == Op::Max {
                    (CmpOp::Gt, CmpOp::Le)
                } else {
                    (CmpOp::Lt, CmpOp::Ge)
                };
                lin(
                    t(0).map(|ta| mul(dg(indicator(o1, x(0), x(1))), ta)),
                    t(1).map(|tb| mul(dg(indicator(o2, x(0), x(1))), tb)),
                )
            }
            Op::Indicator(_) | Op::Delta => None,
            _ => {
                // Fall back to reverse mode for a scalar node: its tangent is its gradientᵀ.
                if e.shape.is_scalar() {
                    let wrt = self.g.wrt;
                    let gr = reverse(self.g.prog, e, wrt, num(1, sp), sp)?;
                    gr.map(transpose)
                } else {
                    return err(sp, format!("cannot take a Jacobian through {:?}", e.op));
                }
            }
        })
    }
}

fn len_of(shape: Shape) -> Option<Dim> {
    if shape.is_column() {
        Some(shape.rows)
    } else if shape.rows == Dim::Const(1) {
        Some(shape.cols)
    } else {
        None
    }
}

// ---------------------------------------------------------------- entry points

fn grad(prog: &Program, f: &Expr, wrt: &Expr, span: Span) -> R<Expr> {
    if !f.shape.is_scalar() {
        return err(span, "grad needs a scalar function; use jac for a vector");
    }
    // Linearity over a symbolic-range sum: differentiate term by term.
    if let Op::SumIdx(_) = f.op {
        let inner = grad(prog, &f.args[0], wrt, span)?;
        return Ok(Expr::new(f.op.clone(), vec![inner], wrt.shape, span));
    }
    if let Op::SumRange(_) = f.op {
        let g = Graph::new(prog, Key::Var(usize::MAX), span);
        let (a, b) = (g.expand(&f.args[0], 0)?, g.expand(&f.args[1], 0)?);
        if const_int(prog, &a).is_none() || const_int(prog, &b).is_none() {
            let inner = grad(prog, &f.args[2], wrt, span)?;
            return Ok(Expr::new(f.op.clone(), vec![a, b, inner], wrt.shape, span));
        }
    }
    let (k, comp) = wrt_key(prog, wrt)?;
    let base_shape = if comp.is_empty() {
        wrt.shape
    } else {
        wrt.args[0].shape
    };
    let g = reverse(prog, f, k, num(1, span), span)?.unwrap_or_else(|| zeros(base_shape, span));
    if comp.is_empty() {
        Ok(g)
    } else {
        let mut args = vec![g];
        args.extend(comp);
        Ok(Expr::new(Op::Component, args, Shape::SCALAR, span))
    }
}

fn jac(prog: &Program, f: &Expr, wrt: &Expr, span: Span) -> R<Expr> {
    let (k, comp) = wrt_key(prog, wrt)?;
    if !comp.is_empty() {
        return err(
            span,
            "jac is taken w.r.t. a whole vector; use d for a component",
        );
    }
    let (Some(m), Some(n)) = (len_of(f.shape), len_of(wrt.shape)) else {
        return err(span, "jac needs a vector function of a vector");
    };
    let mut g = Graph::new(prog, k, span);
    let fe = g.expand(f, 0)?;
    let order = g.topo(&fe)?;
    let mut fw = Forward {
        g: &mut g,
        n,
        tangents: HashMap::new(),
    };
    // Producers first, so each tangent finds its inputs' tangents memoised.
    for k in order {
        fw.key_tangent(k, 0)?;
    }
    let t = fw.tangent(&fe, 0)?;
    Ok(t.unwrap_or_else(|| zeros(Shape::new(m, n), span)))
}

/// The derivative that a Grad/Jac/Hess/D node denotes, as an IR expression with NO derivative
/// nodes left (except symbolic derivatives of declared funs: Op::FunPrime).
/// Semantics: Grad → shape of wrt (denominator layout); Jac → len(f)×len(wrt);
/// Hess = jac(grad); D → scalar.
pub fn differentiate(prog: &Program, node: &Expr) -> Result<Expr, DeriveError> {
    if node.args.len() != 2 {
        return err(node.span, "a derivative takes a function and a variable");
    }
    let f = eliminate_derivatives(prog, &node.args[0])?;
    let wrt = &node.args[1];
    let sp = node.span;
    match node.op {
        Op::Grad => grad(prog, &f, wrt, sp),
        Op::Jac => jac(prog, &f, wrt, sp),
        Op::Hess => {
            let gr = grad(prog, &f, wrt, sp)?;
            jac(prog, &gr, wrt, sp)
        }
        Op::D => {
            if !f.shape.is_scalar() {
                return err(sp, "d needs a scalar on the left; use jac for a vector");
            }
            // d(f[i], x[j]) = jac(f, x)[i, j]
            if f.op == Op::Component && f.args.len() == 2 && f.args[0].shape.is_column() {
                let (_, comp) = wrt_key(prog, wrt)?;
                let (base, j) = if comp.is_empty() {
                    (wrt.clone(), None)
                } else {
                    (wrt.args[0].clone(), Some(comp[0].clone()))
                };
                if base.shape.is_column() && !base.shape.is_scalar() {
                    let jm = jac(prog, &f.args[0], &base, sp)?;
                    let mut args = vec![jm, f.args[1].clone()];
                    args.extend(j);
                    return Ok(Expr::new(Op::Component, args, Shape::SCALAR, sp));
                }
            }
            grad(prog, &f, wrt, sp)
        }
        _ => err(sp, "not a derivative node"),
    }
}

/// Replaces every derivative node inside `e` by its derivative (bottom-up).
pub fn eliminate_derivatives(prog: &Program, e: &Expr) -> Result<Expr, DeriveError> {
    if nested_deeper_than(e, MAX_DEPTH) {
        return err(e.span, "expression nested too deeply to differentiate");
    }
    elim(prog, e, 0)
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

fn elim(prog: &Program, e: &Expr, depth: usize) -> R<Expr> {
    if depth > MAX_DEPTH {
        return err(e.span, "expression nested too deeply");
    }
    if !e.any(&|x| matches!(x.op, Op::Grad | Op::Jac | Op::Hess | Op::D)) {
        return Ok(e.clone());
    }
    if matches!(e.op, Op::Grad | Op::Jac | Op::Hess | Op::D) {
        return differentiate(prog, e);
    }
    let args = e
        .args
        .iter()
        .map(|a| elim(prog, a, depth + 1))
        .collect::<R<Vec<_>>>()?;
    Ok(Expr::new(e.op.clone(), args, e.shape, e.span))
}

// ---------------------------------------------------------------- backward pass

/// The backward pass for `derive J wrt X1, X2, …`: reverse mode over the let-DAG, written as a
/// lecture writes it. Adjoints used more than once are named δ1, δ2, … in backward order and
/// referenced by `Op::Adjoint(k)` (index into `adjoints`).
#[derive(Clone, Debug)]
pub struct BackwardPass {
    pub adjoints: Vec<(String, Expr)>,
    pub results: Vec<Expr>,
    pub budget_hit: bool,
}

impl BackwardPass {
    /// Inlines the Adjoint references of `e` (for numeric checks).
    pub fn expand(&self, e: &Expr) -> Expr {
        let mut memo: Vec<Option<Expr>> = vec![None; self.adjoints.len()];
        self.expand_memo(e, &mut memo, 0)
    }

    fn expand_memo(&self, e: &Expr, memo: &mut Vec<Option<Expr>>, depth: usize) -> Expr {
        if let Op::Adjoint(k) = e.op
            && k < self.adjoints.len()
            && depth < MAX_DEPTH
        {
            if let Some(x) = &memo[k] {
                return x.clone();
            }
            let x = self.expand_memo(&self.adjoints[k].1, memo, depth + 1);
            memo[k] = Some(x.clone());
            return x;
        }
        if !e.any(&|n| matches!(n.op, Op::Adjoint(_))) {
            return e.clone();
        }
        let args = e
            .args
            .iter()
            .map(|a| self.expand_memo(a, memo, depth + 1))
            .collect();
        Expr::new(e.op.clone(), args, e.shape, e.span)
    }
}

/// Whether egg can improve `e`: a plain product of names, transposes, Hadamard
/// factors and indicators is already in lecture form, and skipping it keeps a
/// deep network's backward pass linear.
fn worth_simplifying(e: &Expr) -> bool {
    e.any(&|n| match n.op {
        Op::Neg | Op::Sum | Op::Scale | Op::HadDiv | Op::Div | Op::Eye | Op::Add => true,
        Op::Transpose => !n.args[0].args.is_empty() && !matches!(n.args[0].op, Op::SeqAt(_)),
        Op::Num(_) => !is_num(n, 0),
        _ => false,
    })
}

fn simplify_local(prog: &Program, e: Expr, names: &[String], hit: &mut bool) -> Expr {
    SIMPLIFY_MEMO.with(|m| simplify_memo(prog, e, names, hit, &mut m.borrow_mut()))
}

thread_local! {
    /// Lecture-form simplifications of backward-pass templates, for one
    /// `backward_pass` at a time (cleared at its start).
    static SIMPLIFY_MEMO: std::cell::RefCell<HashMap<String, (Expr, bool)>> =
        std::cell::RefCell::new(HashMap::new());
}

/// Time steps of a placeholder sequence element: far below any real time.
const PLACEHOLDER_TIME: i64 = -1_000_000_000;

/// The rewrite rules see a sequence element or a named adjoint only as an
/// opaque leaf with its shape and its sequence's attributes, so the backward
/// pass at step t and at step t − 1 simplify the same way. Each expression is
/// simplified as a template (elements and adjoints renumbered in their
/// original order) and the result reused for every step: a T-step pass costs
/// a bounded number of egg runs instead of one per step.
fn simplify_memo(
    prog: &Program,
    e: Expr,
    names: &[String],
    hit: &mut bool,
    memo: &mut HashMap<String, (Expr, bool)>,
) -> Expr {
    if !worth_simplifying(&e) {
        return e;
    }
    let mut elems: Vec<(ir::SeqId, BigRational, Expr)> = Vec::new();
    let mut adjs: Vec<usize> = Vec::new();
    e.walk(&mut |n| match &n.op {
        Op::SeqAt(sq) => {
            if let Some(t) = n.args.first().and_then(num_val)
                && !elems.iter().any(|(s2, t2, _)| s2 == sq && t2 == t)
            {
                elems.push((*sq, t.clone(), n.clone()));
            }
        }
        Op::Adjoint(k) if !adjs.contains(k) => adjs.push(*k),
        _ => {}
    });
    elems.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    adjs.sort_unstable();
    let placeholder_time = |i: usize| PLACEHOLDER_TIME + i as i64;
    let template = relabel(&e, &|n: &Expr| match &n.op {
        Op::SeqAt(sq) => {
            let t = n.args.first().and_then(num_val)?;
            let i = elems.iter().position(|(s2, t2, _)| s2 == sq && t2 == t)?;
            Some(Expr::new(
                n.op.clone(),
                vec![num(placeholder_time(i), n.span)],
                n.shape,
                n.span,
            ))
        }
        Op::Adjoint(k) => {
            let i = adjs.iter().position(|j| j == k)?;
            Some(Expr::leaf(Op::Adjoint(i), n.shape, n.span))
        }
        _ => None,
    });
    let key = structure_key(&template);
    let (simplified, budget_hit) = match memo.get(&key) {
        Some(r) => r.clone(),
        None => {
            let tnames: Vec<String> = adjs
                .iter()
                .map(|k| {
                    names
                        .get(*k)
                        .cloned()
                        .unwrap_or_else(|| format!("δ{}", k + 1))
                })
                .collect();
            let s = crate::simplify::simplify_named(
                prog,
                &template,
                &crate::simplify::Budget::default(),
                &tnames,
            );
            memo.insert(key, (s.expr.clone(), s.budget_hit));
            (s.expr, s.budget_hit)
        }
    };
    *hit |= budget_hit;
    relabel(&simplified, &|n: &Expr| match &n.op {
        Op::SeqAt(_) => {
            let t = n.args.first().and_then(num_val)?.to_integer().to_i64()?;
            let i = usize::try_from(t - PLACEHOLDER_TIME).ok()?;
            elems.get(i).map(|(_, _, orig)| orig.clone())
        }
        Op::Adjoint(i) => adjs
            .get(*i)
            .map(|k| Expr::leaf(Op::Adjoint(*k), n.shape, n.span)),
        _ => None,
    })
}

/// `e` with every node for which `f` gives a replacement replaced.
pub(crate) fn relabel(e: &Expr, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
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

/// Operators, shapes and structure of an expression, without source spans.
fn structure_key(e: &Expr) -> String {
    let mut out = String::new();
    let mut stack = vec![Some(e)];
    while let Some(x) = stack.pop() {
        match x {
            None => out.push(')'),
            Some(x) => {
                out.push_str(&format!("({:?}:{:?}", x.op, x.shape));
                stack.push(None);
                for a in x.args.iter().rev() {
                    stack.push(Some(a));
                }
            }
        }
    }
    out
}

/// A gradient collected from many uses (one per time step) is a long sum:
/// simplified as a whole, egg reorders its terms by commutativity, so each
/// term is simplified alone and the sum keeps the backward-pass order.
fn simplify_sum(prog: &Program, e: Expr, names: &[String], hit: &mut bool) -> Expr {
    let mut terms = Vec::new();
    let mut stack = vec![&e];
    while let Some(x) = stack.pop() {
        if x.op == Op::Add && x.args.len() == 2 {
            stack.push(&x.args[1]);
            stack.push(&x.args[0]);
        } else {
            terms.push(x.clone());
        }
    }
    if terms.len() < 3 {
        return simplify_local(prog, e, names, hit);
    }
    let (shape, span) = (e.shape, e.span);
    terms
        .into_iter()
        .map(|t| simplify_local(prog, t, names, hit))
        .reduce(|acc, t| Expr::new(Op::Add, vec![acc, t], shape, span))
        .expect("at least three terms")
}

/// `e` with each scalar adjoint replaced by its definition (one level).
fn inline_scalar_adjoints(e: &Expr, defs: &[Expr]) -> Expr {
    relabel(e, &|n: &Expr| match n.op {
        Op::Adjoint(k) if defs[k].shape.is_scalar() => Some(defs[k].clone()),
        _ => None,
    })
}

fn node_count(e: &Expr) -> usize {
    let mut n = 0;
    e.walk(&mut |_| n += 1);
    n
}

fn subst_adjoints(e: &Expr, map: &[Result<usize, Expr>]) -> Expr {
    if let Op::Adjoint(k) = e.op {
        return match &map[k] {
            Ok(j) => Expr::leaf(Op::Adjoint(*j), e.shape, e.span),
            Err(x) => x.clone(),
        };
    }
    if !e.any(&|n| matches!(n.op, Op::Adjoint(_))) {
        return e.clone();
    }
    Expr::new(
        e.op.clone(),
        e.args.iter().map(|a| subst_adjoints(a, map)).collect(),
        e.shape,
        e.span,
    )
}

fn count_adjoints(e: &Expr, counts: &mut [usize]) {
    e.walk(&mut |n| {
        if let Op::Adjoint(k) = n.op {
            counts[k] += 1;
        }
    });
}

pub fn backward_pass(prog: &Program, f: &Expr, wrts: &[Expr]) -> Result<BackwardPass, DeriveError> {
    SIMPLIFY_MEMO.with(|m| m.borrow_mut().clear());
    let span = f.span;
    let f = eliminate_derivatives(prog, f)?;
    if !f.shape.is_scalar() {
        return err(span, "derive … wrt needs a scalar function");
    }
    let mut keys = Vec::new();
    for w in wrts {
        let (k, comp) = wrt_key(prog, w)?;
        if !comp.is_empty() || !matches!(k, Key::Var(_)) {
            // One wrt is an intermediate node: each gradient is its own pass.
            let mut hit = false;
            let mut results = Vec::new();
            for w in wrts {
                let g = grad(prog, &f, w, w.span)?;
                results.push(simplify_local(prog, g, &[], &mut hit));
            }
            return Ok(BackwardPass {
                adjoints: vec![],
                results,
                budget_hit: hit,
            });
        }
        keys.push(k);
    }
    let Some(&first) = keys.first() else {
        return Ok(BackwardPass {
            adjoints: vec![],
            results: vec![],
            budget_hit: false,
        });
    };
    let mut g = Graph::new(prog, first, span);
    g.also = keys[1..].to_vec();
    let fe = g.expand(&f, 0)?;
    let order = g.topo(&fe)?;
    let mut r = Reverse {
        g: &mut g,
        adj: HashMap::new(),
    };
    r.bp(&fe, &fe, num(1, span), 0)?;
    // Tentative adjoints, one per processed node; names are decided at the end.
    let mut defs: Vec<Expr> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut hit = false;
    for k in order.iter().rev() {
        if keys.contains(k) {
            continue;
        }
        let Some(a) = r.adj.remove(k) else { continue };
        let Some(body) = r.g.body(*k)? else { continue };
        let a = simplify_local(prog, a, &names, &mut hit);
        let handle = if a.args.is_empty() {
            // A name or a constant is clearer inline.
            a
        } else {
            defs.push(a.clone());
            names.push(format!("δ{}", defs.len()));
            Expr::leaf(Op::Adjoint(defs.len() - 1), a.shape, span)
        };
        let val = r.g.key_expr(*k);
        r.bp(&body, &val, handle, 0)?;
    }
    let mut results = Vec::new();
    for (k, w) in keys.iter().zip(wrts) {
        let res = match r.adj.remove(k) {
            Some(a) => simplify_sum(prog, a, &names, &mut hit),
            None => zeros(w.shape, span),
        };
        results.push(res);
    }
    // A scalar adjoint can hide a cancellation: logistic regression's
    // p (δ1 − δ1 p) x is (p − s) x once δ1 is written out. Keep the
    // written-out form when it simplifies to something smaller.
    for res in results.iter_mut() {
        let scalar_ref = |n: &Expr| matches!(n.op, Op::Adjoint(k) if defs[k].shape.is_scalar());
        if !res.any(&scalar_ref) {
            continue;
        }
        let inlined = inline_scalar_adjoints(res, &defs);
        let candidate = simplify_local(prog, inlined, &names, &mut hit);
        if node_count(&candidate) < node_count(res) {
            *res = candidate;
        }
    }
    // Name the adjoints used more than once; inline the others, in backward
    // order so an inlined adjoint's own references are already resolved.
    let mut counts = vec![0usize; defs.len()];
    for d in &defs {
        count_adjoints(d, &mut counts);
    }
    for x in &results {
        count_adjoints(x, &mut counts);
    }
    let mut map: Vec<Result<usize, Expr>> = Vec::with_capacity(defs.len());
    let mut adjoints = Vec::new();
    for (i, d) in defs.iter().enumerate() {
        let d = subst_adjoints(d, &map);
        // Inlining a chain of single-use adjoints (a deep network w.r.t. its
        // first layer) would nest without bound: name them past a depth.
        if counts[i] > 1 || nested_deeper_than(&d, 24) {
            adjoints.push((format!("δ{}", adjoints.len() + 1), d));
            map.push(Ok(adjoints.len() - 1));
        } else {
            map.push(Err(d));
        }
    }
    // A result that received an inlined adjoint is simplified once more:
    // Aᵀ δ with δ = 2 e reads 2 Aᵀ e.
    let final_names: Vec<String> = adjoints.iter().map(|(n, _)| n.clone()).collect();
    let results = results
        .iter()
        .map(|x| {
            let inlines = x.any(&|n| matches!(n.op, Op::Adjoint(k) if map[k].is_err()));
            let y = subst_adjoints(x, &map);
            if inlines {
                simplify_local(prog, y, &final_names, &mut hit)
            } else {
                y
            }
        })
        .collect();
    let (adjoints, results) = share_common_terms(adjoints, results);
    Ok(BackwardPass {
        adjoints,
        results,
        budget_hit: hit,
    })
}

/// A term that several gradients (or a gradient and the next adjoint) share
/// is the adjoint of a node the user did not name, such as the
/// pre-activation inside `a1 = tanh(W1 x + b1)`: a lecture names it
/// (`δ2 = (W2ᵀ δ1) ∘ (1 − a1 ∘ a1)`, `∂J/∂b1 = δ2`, `∂J/∂W1 = δ2 xᵀ`). Such
/// terms become adjoints, small adjoints then used once are written into
/// their one use, and all are numbered in the order the pass is printed.
fn share_common_terms(
    adjoints: Vec<(String, Expr)>,
    results: Vec<Expr>,
) -> (Vec<(String, Expr)>, Vec<Expr>) {
    // Hash-cons every node; record which expressions (owners) contain it.
    type Key = (Op, Shape, Vec<usize>);
    struct Cons {
        ids: HashMap<Key, usize>,
        /// The id of each node visited, by address, so the replacement walk
        /// finds it without re-hashing the subtree (linear in the pass).
        by_addr: HashMap<*const Expr, usize>,
        size: Vec<usize>,
        /// The first expression a node was met in, and whether another has it too.
        owners: Vec<(usize, bool)>,
    }
    fn cons(e: &Expr, owner: usize, c: &mut Cons, depth: usize) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut kids = Vec::with_capacity(e.args.len());
        for a in &e.args {
            kids.push(cons(a, owner, c, depth + 1)?);
        }
        let size = 1 + kids.iter().map(|k| c.size[*k]).sum::<usize>();
        let next = c.size.len();
        let id = *c.ids.entry((e.op.clone(), e.shape, kids)).or_insert(next);
        if id == next {
            c.size.push(size);
            c.owners.push((owner, false));
        } else if c.owners[id].0 != owner {
            c.owners[id].1 = true;
        }
        c.by_addr.insert(e as *const Expr, id);
        Some(id)
    }
    let mut c = Cons {
        ids: HashMap::new(),
        by_addr: HashMap::new(),
        size: Vec::new(),
        owners: Vec::new(),
    };
    let exprs: Vec<&Expr> = results
        .iter()
        .chain(adjoints.iter().map(|(_, e)| e))
        .collect();
    for (owner, e) in exprs.iter().enumerate() {
        if cons(e, owner, &mut c, 0).is_none() {
            return (adjoints, results);
        }
    }
    // A term worth a name: shared by two expressions and more than a
    // transposed name or a sequence element.
    let share = |e: &Expr| -> Option<usize> {
        if e.args.is_empty() || matches!(e.op, Op::Adjoint(_) | Op::Transpose | Op::SeqAt(_)) {
            return None;
        }
        let id = lookup(e, &c)?;
        (c.owners[id].1 && c.size[id] >= 4).then_some(id)
    };
    fn lookup(e: &Expr, c: &Cons) -> Option<usize> {
        if let Some(id) = c.by_addr.get(&(e as *const Expr)) {
            return Some(*id);
        }
        let kids: Option<Vec<usize>> = e.args.iter().map(|a| lookup(a, c)).collect();
        c.ids.get(&(e.op.clone(), e.shape, kids?)).copied()
    }
    // Replace the outermost shared terms, top-down, by new adjoints.
    let base = adjoints.len();
    /// The shared terms named so far, in order, and each one's index by node id.
    #[derive(Default)]
    struct Fresh {
        terms: Vec<Expr>,
        index: HashMap<usize, usize>,
    }
    let mut fresh = Fresh::default();
    fn replace(
        e: &Expr,
        top: bool,
        base: usize,
        fresh: &mut Fresh,
        shared: &dyn Fn(&Expr) -> Option<usize>,
    ) -> Expr {
        if !top && let Some(id) = shared(e) {
            let next = fresh.terms.len();
            let k = *fresh.index.entry(id).or_insert(next);
            if k == next {
                fresh.terms.push(e.clone());
            }
            return Expr::leaf(Op::Adjoint(base + k), e.shape, e.span);
        }
        Expr::new(
            e.op.clone(),
            e.args
                .iter()
                .map(|a| replace(a, false, base, fresh, shared))
                .collect(),
            e.shape,
            e.span,
        )
    }
    // A whole result may itself be the shared term (∂J/∂b1 = δ).
    let mut results: Vec<Expr> = results
        .iter()
        .map(|r| replace(r, false, base, &mut fresh, &share))
        .collect();
    let mut defs: Vec<Expr> = adjoints
        .iter()
        .map(|(_, d)| replace(d, true, base, &mut fresh, &share))
        .collect();
    if fresh.terms.is_empty() {
        return (adjoints, results);
    }
    let mut k = 0;
    while k < fresh.terms.len() {
        let body = fresh.terms[k].clone();
        let d = replace(&body, true, base, &mut fresh, &share);
        defs.push(d);
        k += 1;
    }
    // Write small adjoints used once into their use.
    let mut counts = vec![0usize; defs.len()];
    for e in results.iter().chain(&defs) {
        count_adjoints(e, &mut counts);
    }
    let mut map: Vec<Result<usize, Expr>> = (0..defs.len()).map(Ok).collect();
    for k in 0..defs.len() {
        if counts[k] == 1 && node_count(&defs[k]) <= 8 {
            map[k] = Err(defs[k].clone());
        }
    }
    // Resolve inlined bodies that themselves refer to inlined adjoints.
    for k in 0..defs.len() {
        if let Err(body) = &map[k] {
            let b = subst_adjoints(body, &map);
            map[k] = Err(b);
        }
    }
    for e in results.iter_mut().chain(defs.iter_mut()) {
        *e = subst_adjoints(e, &map);
    }
    // Number the remaining adjoints in printing order.
    let kept: Vec<bool> = map.iter().map(|m| m.is_ok()).collect();
    let order = backward_order(
        &defs.iter().collect::<Vec<_>>(),
        &results.iter().collect::<Vec<_>>(),
    );
    let mut renum: Vec<Result<usize, Expr>> = Vec::with_capacity(defs.len());
    for d in &defs {
        renum.push(Err(d.clone()));
    }
    let mut out = Vec::new();
    for line in &order {
        if let PassLine::Adjoint(k) = line
            && kept[*k]
        {
            renum[*k] = Ok(out.len());
            out.push(*k);
        }
    }
    let adjoints = out
        .iter()
        .enumerate()
        .map(|(i, k)| (format!("δ{}", i + 1), subst_adjoints(&defs[*k], &renum)))
        .collect();
    let results = results.iter().map(|r| subst_adjoints(r, &renum)).collect();
    (adjoints, results)
}

/// One line of a printed backward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PassLine {
    Adjoint(usize),
    Result(usize),
}

/// The order a lecture writes a backward pass in: each gradient right after
/// the adjoints it needs (`δ1`, `∂J/∂b2`, `∂J/∂U`, `δ2`, `∂J/∂b1`, …), each
/// adjoint after the ones it is built from.
pub fn backward_order(adjoints: &[&Expr], results: &[&Expr]) -> Vec<PassLine> {
    fn refs(e: &Expr) -> Vec<usize> {
        let mut ks = Vec::new();
        e.walk(&mut |n| {
            if let Op::Adjoint(k) = n.op {
                ks.push(k);
            }
        });
        ks.sort_unstable();
        ks.dedup();
        ks
    }
    fn emit(k: usize, adjoints: &[&Expr], done: &mut [bool], out: &mut Vec<PassLine>) {
        // Iterative: a backward pass through time chains δ1000 → … → δ1.
        let mut stack = vec![(k, false)];
        while let Some((k, expanded)) = stack.pop() {
            if k >= adjoints.len() || done[k] {
                continue;
            }
            if expanded {
                done[k] = true;
                out.push(PassLine::Adjoint(k));
            } else {
                stack.push((k, true));
                for j in refs(adjoints[k]).into_iter().rev() {
                    if !done[j] {
                        stack.push((j, false));
                    }
                }
            }
        }
    }
    let mut done = vec![false; adjoints.len()];
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for k in refs(r) {
            emit(k, adjoints, &mut done, &mut out);
        }
        out.push(PassLine::Result(i));
    }
    for k in 0..adjoints.len() {
        emit(k, adjoints, &mut done, &mut out);
    }
    out
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
pub(crate) mod tests;
