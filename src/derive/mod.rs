//! Symbolic matrix calculus on the typed program: turns `grad`/`jac`/`hess`/`d`
//! nodes into ordinary IR expressions with no derivative nodes left.
//!
//! Gradients use reverse mode (`reverse.rs`) in denominator layout over the
//! let-DAG (`graph.rs`): every `let` (and every concrete sequence element) is
//! a node whose adjoint is accumulated from its consumers, so results keep
//! the user's let names. Jacobians use forward mode (`forward.rs`), which
//! yields the lecture's `D[T-1] U ⋯ D[0] U` forms directly. Derive does not
//! simplify: the lecture-form backward pass of a `derive` statement
//! (`crate::lecture`) calls [`shared_reverse`] and simplifies what it gets.
//!
//! A new built-in elementwise function is one row of [`crate::ir::vocab`]
//! (its derivatives included); a new operator needs a rule in
//! `Reverse::bp` and one in `Forward::tangent_val`.

mod forward;
mod graph;
mod reverse;

use crate::ir::unroll::{MAX_DEPTH, UnrollError, subst};
use crate::ir::{Expr, Op, Program, Shape, build::nested_deeper_than};
use crate::span::Span;

use graph::wrt_key;
pub use reverse::{SharedSweep, shared_reverse};

/// Why a derivative cannot be written, at the span of the node it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct DeriveError {
    pub span: Span,
    pub message: String,
}

impl From<UnrollError> for DeriveError {
    fn from(e: UnrollError) -> Self {
        DeriveError {
            span: e.span,
            message: e.message,
        }
    }
}

type R<T> = Result<T, DeriveError>;

fn err<T>(span: Span, message: impl Into<String>) -> R<T> {
    Err(DeriveError {
        span,
        message: message.into(),
    })
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
        Op::Grad => reverse::grad(prog, &f, wrt, sp),
        Op::Jac => forward::jac(prog, &f, wrt, sp),
        Op::Hess => {
            let gr = reverse::grad(prog, &f, wrt, sp)?;
            forward::jac(prog, &gr, wrt, sp)
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
                    let jm = forward::jac(prog, &f.args[0], &base, sp)?;
                    let mut args = vec![jm, f.args[1].clone()];
                    args.extend(j);
                    return Ok(Expr::new(Op::Component, args, Shape::SCALAR, sp));
                }
            }
            reverse::grad(prog, &f, wrt, sp)
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

fn elim(prog: &Program, e: &Expr, depth: usize) -> R<Expr> {
    if depth > MAX_DEPTH {
        return err(e.span, "expression nested too deeply");
    }
    if !e.any(&|x| is_derivative(prog, x)) {
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
    if let Op::CallLet(id) = e.op {
        // A gradient at a point (`let G(w) = grad(J(w), w)`): the call is
        // inlined, so the derivative is taken at the node passed in (resolve
        // accepts only variables and named intermediates there).
        let decl = &prog.lets[id];
        let mut body = decl.body.clone();
        for (p, a) in decl.params.iter().zip(&args) {
            body = subst(&body, &Op::Local(*p), a, 0)?;
        }
        return elim(prog, &body, depth + 1);
    }
    Ok(Expr::new(e.op.clone(), args, e.shape, e.span))
}

/// A derivative node, or a let-function call whose body holds one.
fn is_derivative(prog: &Program, e: &Expr) -> bool {
    match e.op {
        Op::Grad | Op::Jac | Op::Hess | Op::D => true,
        Op::CallLet(id) => prog.lets[id].body.any(&|x| is_derivative(prog, x)),
        _ => false,
    }
}

/// The gradient of scalar `f` w.r.t. `wrt` (a variable, let name, sequence
/// element or a component of one), by reverse mode; not simplified.
pub fn gradient(prog: &Program, f: &Expr, wrt: &Expr, span: Span) -> Result<Expr, DeriveError> {
    reverse::grad(prog, f, wrt, span)
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
pub(crate) mod tests;
