//! The lecture-form pass's simplifier: every adjoint and gradient goes
//! through egg with the user's budget, memoised by structure so a T-step
//! backward pass costs a bounded number of egg runs.

use crate::ir::build::{is_num, num, num_val, relabel};
use crate::ir::{Expr, Op, Program, SeqId};
use crate::simplify::{self, Budget};
use num_rational::BigRational;
use num_traits::ToPrimitive;
use std::collections::HashMap;

/// Time steps of a placeholder sequence element: far below any real time.
const PLACEHOLDER_TIME: i64 = -1_000_000_000;

/// Simplifies the expressions of one backward pass (the memo lives as long
/// as the pass) and records whether any run hit the budget.
pub(super) struct Simplifier<'a> {
    prog: &'a Program,
    budget: &'a Budget,
    memo: HashMap<String, (Expr, bool)>,
    pub(super) budget_hit: bool,
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

/// `e` as a template: its sequence elements (at literal times) and adjoints
/// renumbered in their original order, and what the numbers stand for.
struct Template {
    expr: Expr,
    elems: Vec<(SeqId, BigRational, Expr)>,
    adjs: Vec<usize>,
}

impl Template {
    fn of(e: &Expr) -> Template {
        let mut elems: Vec<(SeqId, BigRational, Expr)> = Vec::new();
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
        let expr = relabel(e, &|n: &Expr| match &n.op {
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
        Template { expr, elems, adjs }
    }

    /// `t` (a simplified template) with the original elements and adjoints back.
    fn fill(&self, t: &Expr) -> Expr {
        relabel(t, &|n: &Expr| match &n.op {
            Op::SeqAt(_) => {
                let t = n.args.first().and_then(num_val)?.to_integer().to_i64()?;
                let i = usize::try_from(t - PLACEHOLDER_TIME).ok()?;
                self.elems.get(i).map(|(_, _, orig)| orig.clone())
            }
            Op::Adjoint(i) => self
                .adjs
                .get(*i)
                .map(|k| Expr::leaf(Op::Adjoint(*k), n.shape, n.span)),
            _ => None,
        })
    }
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

impl<'a> Simplifier<'a> {
    pub(super) fn new(prog: &'a Program, budget: &'a Budget) -> Self {
        Simplifier {
            prog,
            budget,
            memo: HashMap::new(),
            budget_hit: false,
        }
    }

    /// The rewrite rules see a sequence element or a named adjoint only as an
    /// opaque leaf with its shape and its sequence's attributes, so the backward
    /// pass at step t and at step t − 1 simplify the same way. Each expression is
    /// simplified as a template (elements and adjoints renumbered in their
    /// original order) and the result reused for every step: a T-step pass costs
    /// a bounded number of egg runs instead of one per step.
    pub(super) fn simplify(&mut self, e: Expr, names: &[String]) -> Expr {
        if !worth_simplifying(&e) {
            return e;
        }
        let template = Template::of(&e);
        let key = structure_key(&template.expr);
        let (simplified, budget_hit) = match self.memo.get(&key) {
            Some(r) => r.clone(),
            None => {
                let tnames: Vec<String> = template
                    .adjs
                    .iter()
                    .map(|k| {
                        names
                            .get(*k)
                            .cloned()
                            .unwrap_or_else(|| format!("δ{}", k + 1))
                    })
                    .collect();
                let s = simplify::simplify_named(self.prog, &template.expr, self.budget, &tnames);
                self.memo.insert(key, (s.expr.clone(), s.budget_hit));
                (s.expr, s.budget_hit)
            }
        };
        self.budget_hit |= budget_hit;
        template.fill(&simplified)
    }

    /// A gradient collected from many uses (one per time step) is a long sum:
    /// simplified as a whole, egg reorders its terms by commutativity, so each
    /// term is simplified alone and the sum keeps the backward-pass order.
    pub(super) fn simplify_sum(&mut self, e: Expr, names: &[String]) -> Expr {
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
            return self.simplify(e, names);
        }
        let (shape, span) = (e.shape, e.span);
        terms
            .into_iter()
            .map(|t| self.simplify(t, names))
            .reduce(|acc, t| Expr::new(Op::Add, vec![acc, t], shape, span))
            .expect("at least three terms")
    }
}
