//! Reverse mode in denominator layout: adjoints of graph nodes, accumulated
//! from their consumers, so a gradient keeps the user's let names. A new
//! operator's reverse rule is one arm of [`Reverse::bp`].

use super::graph::{Graph, Key, wrt_key};
use super::{R, err};
use crate::ir::build::*;
use crate::ir::unroll::{MAX_DEPTH, const_int};
use crate::ir::{self, CmpOp, Dim, ElemFn, Expr, Op, Program, Shape, build};
use crate::span::Span;
use num_rational::BigRational;
use std::collections::HashMap;

/// `‖v‖^2` with a literal 2.
fn b_is_norm_squared(b: &Expr, p: &Expr) -> bool {
    b.op == Op::Norm && num_val(p).is_some_and(|r| *r == BigRational::from_integer(2.into()))
}

/// `(m ones(C)) ones(C)ᵀ`: each row of `m` replaced by its sum, repeated.
pub(super) fn row_sums_spread(m: Expr) -> Expr {
    let c = m.shape.cols;
    let sp = m.span;
    spread_rows(mul(m, ones(Shape::vector(c), sp)), c)
}

/// `v ones(C)ᵀ`: the column `v` repeated `C` times.
pub(super) fn spread_rows(v: Expr, c: ir::Dim) -> Expr {
    let sp = v.span;
    mul(v, transpose(ones(Shape::vector(c), sp)))
}

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

    /// Does `e` denote softmax(z) or softmax_rows(z)? Returns z and whether
    /// it is the batch one (looking through one let that is not the variable).
    fn softmax_arg(&mut self, e: &Expr) -> R<Option<(Expr, bool)>> {
        let is_softmax = |op: &Op| matches!(op, Op::Softmax | Op::SoftmaxRows);
        if is_softmax(&e.op) {
            return Ok(Some((e.args[0].clone(), e.op == Op::SoftmaxRows)));
        }
        if let Some(k @ Key::Let(_)) = self.g.key_of(e)?
            && !self.g.is_wrt(k)
            && let Some(b) = self.g.body(k)?
            && is_softmax(&b.op)
        {
            return Ok(Some((b.args[0].clone(), b.op == Op::SoftmaxRows)));
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
        self.bp_arith(e, val, a, depth + 1)
    }

    /// `bp` for sums, products and quotients; `d` is the depth of `e`'s arguments.
    fn bp_arith(&mut self, e: &Expr, val: &Expr, a: Expr, d: usize) -> R<()> {
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
            _ => return self.bp_powers(e, val, a, d),
        }
        Ok(())
    }

    /// `bp` for powers, transposes and inverses; `d` is the depth of `e`'s arguments.
    fn bp_powers(&mut self, e: &Expr, val: &Expr, a: Expr, d: usize) -> R<()> {
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
            _ => return self.bp_elementwise(e, val, a, d),
        }
        Ok(())
    }

    /// `bp` for elementwise functions and their derivatives, max and min;
    /// `d` is the depth of `e`'s arguments.
    fn bp_elementwise(&mut self, e: &Expr, val: &Expr, a: Expr, d: usize) -> R<()> {
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
            Op::Elem(f) => {
                let z = x(0);
                if *f == ElemFn::Log
                    && let Some((arg, rows)) = self.softmax_arg(&z)?
                {
                    // log-softmax: ∂/∂z Σ c∘log softmax(z) = c − softmax(z) sum(c),
                    // row by row for softmax_rows: C − P ∘ ((C ones) onesᵀ).
                    // Sound for every z, and avoids dividing by the softmax.
                    if self.g.depends(&arg, 0)? {
                        let t = if rows {
                            sub(a.clone(), had(z.clone(), row_sums_spread(a)))
                        } else {
                            sub(a.clone(), scale(sum_all(a), z.clone()))
                        };
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
                for p in &params {
                    if self.g.depends(p, 0)? {
                        return err(
                            e.span,
                            format!(
                                "the derivative of {}' with respect to its parameter is not supported",
                                f.name()
                            ),
                        );
                    }
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
            _ => return self.bp_reductions(e, val, a, d),
        }
        Ok(())
    }

    /// `bp` for reductions, softmax and matrix functions; `d` is the depth of `e`'s arguments.
    fn bp_reductions(&mut self, e: &Expr, val: &Expr, a: Expr, d: usize) -> R<()> {
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
            Op::SoftmaxRows => {
                // row by row (diag(p) − p pᵀ) a: P ∘ A − P ∘ (((P ∘ A) ones) onesᵀ)
                let p = val.clone();
                let pa = had(p.clone(), a);
                let t = sub(pa.clone(), had(p, row_sums_spread(pa)));
                go!(x(0), t);
            }
            Op::LseRows => {
                // row i gets a_i softmax(s_i): (a onesᵀ) ∘ softmax_rows(S)
                let z = x(0);
                let (sh, s) = (z.shape, un(Op::SoftmaxRows, z.clone(), z.shape));
                go!(z, had(spread_rows(a, sh.cols), s));
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
            _ => return self.bp_structure(e, a, d),
        }
        Ok(())
    }

    /// `bp` for declared functions, literals, components and the rest (none
    /// written with the value); `d` is the depth of `e`'s arguments.
    fn bp_structure(&mut self, e: &Expr, a: Expr, d: usize) -> R<()> {
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
            Op::Stack => {
                let mut from = Dim::Const(0);
                for b in &e.args {
                    go!(b.clone(), rows(a.clone(), from, b.shape.rows));
                    from = match from.plus(b.shape.rows) {
                        Ok(f) => f,
                        Err(_) => return err(e.span, "this stack's rows are too complex"),
                    };
                }
            }
            Op::Rows { from, count } => {
                // Zeros above and below the block.
                let base = x(0);
                let cols = base.shape.cols;
                let below = from
                    .plus(*count)
                    .ok()
                    .and_then(|end| base.shape.rows.minus(end));
                let Some(below) = below else {
                    return err(e.span, "this row block's rows are too complex");
                };
                let mut blocks = Vec::new();
                for (d, block) in [(*from, None), (*count, Some(a.clone())), (below, None)] {
                    if d != Dim::Const(0) {
                        blocks.push(block.unwrap_or_else(|| zeros(Shape::new(d, cols), e.span)));
                    }
                }
                let Some(padded) = build::stack(blocks, e.span) else {
                    return err(e.span, "this row block's rows are too complex");
                };
                go!(base, padded);
            }
            Op::Component => {
                let lit = self.component_adjoint(e, a)?;
                go!(x(0), lit);
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

    /// The adjoint of `x` from that of its component `x[i, j]`: a literal
    /// with `a` at (i, j) and zeros elsewhere (concrete sizes and indices).
    fn component_adjoint(&self, e: &Expr, a: Expr) -> R<Expr> {
        let base = &e.args[0];
        let (Some(rows), Some(cols)) = (
            self.g.prog.dim_value(base.shape.rows),
            self.g.prog.dim_value(base.shape.cols),
        ) else {
            return err(
                e.span,
                "differentiating through a component of a symbolic-size value needs its unit vector, which results cannot write yet (claims about it are still checked numerically)",
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
        Ok(lit)
    }
}

/// Reverse sweep from `f` (seeded with `seed`) down to `wrt`; returns the adjoint of
/// `wrt` (None when `f` does not depend on it).
pub(super) fn reverse(
    prog: &Program,
    f: &Expr,
    wrt: Key,
    seed: Expr,
    span: Span,
) -> R<Option<Expr>> {
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

pub(super) fn grad(prog: &Program, f: &Expr, wrt: &Expr, span: Span) -> R<Expr> {
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

/// What one reverse sweep for several variables at once yields.
#[derive(Debug)]
pub enum SharedSweep {
    /// Some variable is an intermediate node or a component of one: each
    /// gradient needs its own sweep ([`crate::derive::gradient`]).
    PerGradient,
    /// The adjoint of each variable, in order (None: `f` does not depend on it).
    Adjoints(Vec<Option<Expr>>),
}

/// One reverse sweep from scalar `f` (with no derivative nodes left) to all
/// of `wrts` at once. Each intermediate node's accumulated adjoint is handed
/// to `name`, in backward order, and what `name` returns is propagated to
/// the node's inputs in its place: the lecture-form pass simplifies the
/// adjoint there and refers to it by a name (δk).
pub fn shared_reverse(
    prog: &Program,
    f: &Expr,
    wrts: &[Expr],
    span: Span,
    name: &mut dyn FnMut(Expr) -> Expr,
) -> R<SharedSweep> {
    let mut keys = Vec::new();
    for w in wrts {
        let (k, comp) = wrt_key(prog, w)?;
        if !comp.is_empty() || !matches!(k, Key::Var(_)) {
            return Ok(SharedSweep::PerGradient);
        }
        keys.push(k);
    }
    let Some(&first) = keys.first() else {
        return Ok(SharedSweep::Adjoints(Vec::new()));
    };
    let mut g = Graph::new(prog, first, span);
    g.also = keys[1..].to_vec();
    let fe = g.expand(f, 0)?;
    let order = g.topo(&fe)?;
    let mut r = Reverse {
        g: &mut g,
        adj: HashMap::new(),
    };
    r.bp(&fe, &fe, num(1, span), 0)?;
    for k in order.iter().rev() {
        if keys.contains(k) {
            continue;
        }
        let Some(a) = r.adj.remove(k) else { continue };
        let Some(body) = r.g.body(*k)? else { continue };
        let handle = name(a);
        let val = r.g.key_expr(*k);
        r.bp(&body, &val, handle, 0)?;
    }
    Ok(SharedSweep::Adjoints(
        keys.iter().map(|k| r.adj.remove(k)).collect(),
    ))
}

/// The adjoint `a` times f′ (elementwise), as the backward pass writes it:
/// nothing for a zero derivative, `a ./ d` for f′ = 1 ./ d (or 1/d).
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
