//! Forward mode: the tangent ∂u/∂x of every graph node u, producers first,
//! which yields Jacobians in the lecture's `D[T-1] U ⋯ D[0] U` form. A new
//! operator's tangent rule is one arm of `Forward::tangent_val`.

use super::graph::{Graph, Key, wrt_key};
use super::reverse::reverse;
use super::{R, err};
use crate::ir::build::*;
use crate::ir::unroll::MAX_DEPTH;
use crate::ir::{self, CmpOp, Dim, ElemFn, Expr, Op, Program, Shape, build};
use crate::span::Span;
use std::collections::HashMap;

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
        // t(i): tangent of argument i
        let mut ts = Vec::new();
        for a in &e.args {
            ts.push(self.tangent(a, d)?);
        }
        self.tangent_rule(e, val, &ts)
    }

    /// The tangent of `e` from its arguments' tangents `ts`: sums, products
    /// and elementwise functions.
    fn tangent_rule(&mut self, e: &Expr, val: &Expr, ts: &[Option<Expr>]) -> R<Option<Expr>> {
        let x = |i: usize| e.args[i].clone();
        let sp = e.span;
        let t = |i: usize| ts[i].clone();
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
            _ => return self.tangent_rule_more(e, val, ts),
        })
    }

    /// `tangent_rule` for functions, reductions and powers.
    fn tangent_rule_more(&mut self, e: &Expr, val: &Expr, ts: &[Option<Expr>]) -> R<Option<Expr>> {
        let x = |i: usize| e.args[i].clone();
        let sp = e.span;
        let t = |i: usize| ts[i].clone();
        Ok(match &e.op {
            Op::Fun(id) => {
                let z = x(0);
                let p = un(Op::FunPrime(*id), z.clone(), z.shape);
                match self.g.prog.funs[*id].kind {
                    ir::FunKind::Elementwise => t(0).map(|tz| mul(dg(p), tz)),
                    ir::FunKind::Map { .. } => t(0).map(|tz| mul(transpose(p), tz)),
                }
            }
            Op::Softmax | Op::LogSumExp | Op::SoftmaxRows | Op::LseRows => {
                softmax_tangent(e, val, t(0))
            }
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
            Op::Stack => {
                let Some(cols) = ts.iter().flatten().map(|t| t.shape.cols).next() else {
                    return Ok(None);
                };
                let blocks = e
                    .args
                    .iter()
                    .zip(ts)
                    .map(|(b, t)| {
                        t.clone()
                            .unwrap_or_else(|| zeros(Shape::new(b.shape.rows, cols), sp))
                    })
                    .collect();
                match build::stack(blocks, sp) {
                    Some(s) => Some(s),
                    None => return err(sp, "this stack's rows are too complex"),
                }
            }
            Op::Rows { from, count } => t(0).map(|ta| build::rows(ta, *from, *count)),
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

/// Tangents of the softmax family, given the argument's tangent.
fn softmax_tangent(e: &Expr, val: &Expr, tz: Option<Expr>) -> Option<Expr> {
    let z = e.args[0].clone();
    let jacobian = |s: Expr| sub(dg(s.clone()), mul(s.clone(), transpose(s)));
    match &e.op {
        Op::Softmax => tz.map(|tz| mul(jacobian(val.clone()), tz)),
        Op::LogSumExp => tz.map(|tz| mul(transpose(un(Op::Softmax, z.clone(), z.shape)), tz)),
        // A batch of one row is the vector case; rows of one entry
        // have softmax 1 and logsumexp equal to the entry.
        Op::SoftmaxRows if z.shape.is_column() => None,
        Op::SoftmaxRows => tz.map(|tz| mul(jacobian(colv(val.clone())), tz)),
        Op::LseRows if z.shape.is_column() => tz,
        Op::LseRows => tz.map(|tz| mul(un(Op::SoftmaxRows, z.clone(), z.shape), tz)),
        _ => None,
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

pub(super) fn jac(prog: &Program, f: &Expr, wrt: &Expr, span: Span) -> R<Expr> {
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

/// The sum of two optional tangents (None: zero).
fn lin(acc: Option<Expr>, f: Option<Expr>) -> Option<Expr> {
    match (acc, f) {
        (a, None) => a,
        (None, Some(f)) => Some(f),
        (Some(a), Some(f)) => Some(add(a, f)),
    }
}

/// A row vector's tangent is that of its entries as a column.
fn colv(v: Expr) -> Expr {
    if !v.shape.is_column() && v.shape.rows == Dim::Const(1) {
        transpose(v)
    } else {
        v
    }
}

fn dg(v: Expr) -> Expr {
    diag(colv(v))
}
