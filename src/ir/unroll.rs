//! Substitution and unrolling on the typed program: fixing a symbolic length,
//! inlining let-function calls, unrolling sums and products over concrete
//! ranges, and the definition of a sequence element at a concrete time.
//! Derive, simplify's proofs and export all see recurrences through these.

use super::build::{add, add_opt, eye, mul, nested_deeper_than, num, relabel, zeros};
use super::{CmpOp, Dim, DimId, Expr, Op, Program, SeqId, SeqPiece, Shape};
use crate::span::Span;
use num_rational::BigRational;
use num_traits::ToPrimitive;

/// An expression that cannot be unrolled (too deep, a range too long), with
/// the span it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct UnrollError {
    pub span: Span,
    pub message: String,
}

type R<T> = Result<T, UnrollError>;

fn err<T>(span: Span, message: impl Into<String>) -> R<T> {
    Err(UnrollError {
        span,
        message: message.into(),
    })
}

/// Nesting bound for every recursive walk: deeper input is an error, not a stack overflow.
pub const MAX_DEPTH: usize = 400;
/// Bound on unrolled sums and products.
const MAX_UNROLL: i64 = 64;

/// Evaluates an integer-valued scalar expression (times, bounds, indices).
pub fn const_int(prog: &Program, e: &Expr) -> Option<i64> {
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
pub fn subst(e: &Expr, target: &Op, value: &Expr, depth: usize) -> R<Expr> {
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
pub fn substitute_dim(e: &Expr, dim: DimId, value: u64) -> Expr {
    let fix = |d: Dim| d.substituted(|id| (id == dim).then_some(value));
    let shape = Shape::new(fix(e.shape.rows), fix(e.shape.cols));
    let op = match &e.op {
        Op::DimValue(d) if d.syms().contains(&dim) => match fix(*d) {
            Dim::Const(v) => Op::Num(BigRational::from_integer(v.into())),
            other => Op::DimValue(other),
        },
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
pub fn fix_dim(prog: &Program, dim: DimId, value: u64) -> Program {
    let mut p = prog.clone();
    if let Some(d) = p.dims.get_mut(dim) {
        d.value = Some(value);
    }
    p
}

/// Inlines let-function calls, unrolls concrete sums/products and makes
/// sequence times literal, so later passes see plain graph references.
pub fn expand(prog: &Program, e: &Expr, depth: usize) -> R<Expr> {
    if depth > MAX_DEPTH {
        return err(e.span, "expression nested too deeply to differentiate");
    }
    let args = || -> R<Vec<Expr>> { e.args.iter().map(|a| expand(prog, a, depth + 1)).collect() };
    match &e.op {
        Op::CallLet(id) => {
            let decl = &prog.lets[*id];
            let mut body = decl.body.clone();
            for (p, a) in decl.params.iter().zip(args()?) {
                body = subst(&body, &Op::Local(*p), &a, 0)?;
            }
            expand(prog, &body, depth + 1)
        }
        Op::SeqAt(id) => {
            let t = expand(prog, &e.args[0], depth + 1)?;
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
                expand(prog, &e.args[0], depth + 1)?,
                expand(prog, &e.args[1], depth + 1)?,
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
                let term = expand(prog, &term, depth + 1)?;
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
                let body = expand(prog, &e.args[0], depth + 1)?;
                return Ok(Expr::new(e.op.clone(), vec![body], e.shape, e.span));
            };
            if n as i64 > MAX_UNROLL {
                return err(e.span, "range too long to unroll");
            }
            let mut acc: Option<Expr> = None;
            for t in 1..=n as i64 {
                let term = subst(&e.args[0], &Op::Idx(*i), &num(t, e.span), 0)?;
                acc = add_opt(acc, expand(prog, &term, depth + 1)?);
            }
            Ok(acc.unwrap_or_else(|| zeros(e.shape, e.span)))
        }
        _ => Ok(Expr::new(e.op.clone(), args()?, e.shape, e.span)),
    }
}

/// The definition of sequence element `seq[t]` as written (its time made
/// literal), not yet expanded; None for a given element.
pub fn seq_body(prog: &Program, s: SeqId, t: i64, span: Span) -> R<Option<Expr>> {
    let Some(i) = piece_at(prog, s, t) else {
        return Ok(None);
    };
    match &prog.seqs[s].pieces[i] {
        SeqPiece::Defined { local, body, .. } => {
            Ok(Some(subst(body, &Op::Local(*local), &num(t, span), 0)?))
        }
        _ => Ok(None),
    }
}

/// Which `Defined` piece gives `seq[t]` (the first whose guard holds; none where a value is given at t).
pub fn piece_at(prog: &Program, s: SeqId, t: i64) -> Option<usize> {
    let seq = &prog.seqs[s];
    if seq
        .pieces
        .iter()
        .any(|p| matches!(p, SeqPiece::GivenAt { at, .. } if *at == t))
    {
        return None;
    }
    for (i, p) in seq.pieces.iter().enumerate() {
        if let SeqPiece::Defined { local, guard, .. } = p {
            let ok = match guard {
                None => true,
                Some((op, bound)) => {
                    let b = relabel(bound, &|n: &Expr| match n.op {
                        Op::Local(l) if l == *local => Some(num(t, n.span)),
                        _ => None,
                    });
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
                return Some(i);
            }
        }
    }
    None
}

/// `e` with let-function calls inlined, sums and products over concrete
/// ranges unrolled and sequence times made literal (for proofs).
pub fn expand_concrete(prog: &Program, e: &Expr) -> R<Expr> {
    if nested_deeper_than(e, MAX_DEPTH) {
        return err(e.span, "expression nested too deeply");
    }
    expand(prog, e, 0)
}

/// The definition of sequence element `seq[t]`, expanded; None for a given element.
pub fn seq_definition(prog: &Program, seq: SeqId, t: i64) -> R<Option<Expr>> {
    match seq_body(prog, seq, t, prog.seqs[seq].span)? {
        Some(b) => Ok(Some(expand(prog, &b, 0)?)),
        None => Ok(None),
    }
}
