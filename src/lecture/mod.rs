//! The lecture-form backward pass of a `derive J wrt X1, X2, …` statement,
//! the stage after simplify: one reverse sweep ([`crate::derive`]) whose
//! adjoints are simplified ([`crate::simplify`], with the user's budget) as
//! they are met, named δ1, δ2, … when used more than once, with the terms
//! several gradients share named too, and the order the pass is printed in
//! computed once ([`BackwardPass::order`]). Check verifies it, render and
//! export print it; derive and simplify know nothing of it.
//!
//! How a pass is written (which adjoints get a name, which are inlined) is
//! decided here; a new simplification belongs in simplify's rules.

mod memo;
mod order;
mod share;

pub use order::{PassLine, backward_order};

use crate::derive::{self, DeriveError, SharedSweep};
use crate::ir::build::{nested_deeper_than, relabel, zeros};
use crate::ir::unroll::MAX_DEPTH;
use crate::ir::{Expr, Op, Program};
use crate::simplify::Budget;
use memo::Simplifier;

/// The backward pass for `derive J wrt X1, X2, …`: reverse mode over the let-DAG, written as a
/// lecture writes it. Adjoints used more than once are named δ1, δ2, … in backward order and
/// referenced by `Op::Adjoint(k)` (index into `adjoints`).
#[derive(Clone, Debug)]
pub struct BackwardPass {
    pub adjoints: Vec<(String, Expr)>,
    pub results: Vec<Expr>,
    /// The order the lines are printed in (`backward_order` of the above).
    pub order: Vec<PassLine>,
    pub budget_hit: bool,
}

impl BackwardPass {
    fn new(adjoints: Vec<(String, Expr)>, results: Vec<Expr>, budget_hit: bool) -> Self {
        let order = backward_order(
            &adjoints.iter().map(|(_, e)| e).collect::<Vec<_>>(),
            &results.iter().collect::<Vec<_>>(),
        );
        BackwardPass {
            adjoints,
            results,
            order,
            budget_hit,
        }
    }

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

/// The backward pass of scalar `f` w.r.t. `wrts`, written as a lecture
/// writes it; every simplification runs within `budget`.
pub fn backward_pass(
    prog: &Program,
    f: &Expr,
    wrts: &[Expr],
    budget: &Budget,
) -> Result<BackwardPass, DeriveError> {
    let mut s = Simplifier::new(prog, budget);
    let span = f.span;
    let f = derive::eliminate_derivatives(prog, f)?;
    if !f.shape.is_scalar() {
        return Err(DeriveError {
            span,
            message: "derive … wrt needs a scalar function".into(),
        });
    }
    // Tentative adjoints, one per processed node; names are decided at the end.
    let mut defs: Vec<Expr> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let sweep = derive::shared_reverse(prog, &f, wrts, span, &mut |a| {
        let a = s.simplify(a, &names);
        if a.args.is_empty() {
            // A name or a constant is clearer inline.
            a
        } else {
            defs.push(a.clone());
            names.push(format!("δ{}", defs.len()));
            Expr::leaf(Op::Adjoint(defs.len() - 1), a.shape, span)
        }
    })?;
    let adjs = match sweep {
        SharedSweep::Adjoints(adjs) => adjs,
        SharedSweep::PerGradient => {
            // One wrt is an intermediate node: each gradient is its own pass.
            let mut results = Vec::new();
            for w in wrts {
                let g = derive::gradient(prog, &f, w, w.span)?;
                results.push(s.simplify(g, &[]));
            }
            return Ok(BackwardPass::new(vec![], results, s.budget_hit));
        }
    };
    let mut results = Vec::new();
    for (a, w) in adjs.into_iter().zip(wrts) {
        let res = match a {
            Some(a) => s.simplify_sum(a, &names),
            None => zeros(w.shape, span),
        };
        results.push(res);
    }
    let (adjoints, results) = name_adjoints(&mut s, defs, results, &names);
    let (adjoints, results) = share::share_common_terms(adjoints, results);
    Ok(BackwardPass::new(adjoints, results, s.budget_hit))
}

/// Names the adjoints used more than once and writes the others into their
/// uses; `names` are the tentative names of `defs` (δk for `defs[k - 1]`).
fn name_adjoints(
    s: &mut Simplifier,
    defs: Vec<Expr>,
    mut results: Vec<Expr>,
    names: &[String],
) -> (Vec<(String, Expr)>, Vec<Expr>) {
    // A scalar adjoint can hide a cancellation: logistic regression's
    // p (δ1 − δ1 p) x is (p − s) x once δ1 is written out. Keep the
    // written-out form when it simplifies to something smaller.
    for res in results.iter_mut() {
        let scalar_ref = |n: &Expr| matches!(n.op, Op::Adjoint(k) if defs[k].shape.is_scalar());
        if !res.any(&scalar_ref) {
            continue;
        }
        let inlined = inline_scalar_adjoints(res, &defs);
        let candidate = s.simplify(inlined, names);
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
                s.simplify(y, &final_names)
            } else {
                y
            }
        })
        .collect();
    (adjoints, results)
}

/// `e` with each scalar adjoint replaced by its definition (one level).
fn inline_scalar_adjoints(e: &Expr, defs: &[Expr]) -> Expr {
    relabel(e, &|n: &Expr| match n.op {
        Op::Adjoint(k) if defs[k].shape.is_scalar() => Some(defs[k].clone()),
        _ => None,
    })
}

pub(super) fn node_count(e: &Expr) -> usize {
    let mut n = 0;
    e.walk(&mut |_| n += 1);
    n
}

pub(super) fn subst_adjoints(e: &Expr, map: &[Result<usize, Expr>]) -> Expr {
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

pub(super) fn count_adjoints(e: &Expr, counts: &mut [usize]) {
    e.walk(&mut |n| {
        if let Op::Adjoint(k) = n.op {
            counts[k] += 1;
        }
    });
}
