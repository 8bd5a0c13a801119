//! Simplification and proof by equality saturation (egg): lecture-form
//! terms for derived gradients, and `prove_equal` for claims. Every run is
//! bounded (nodes, iterations, time); running out is reported, never guessed.
//! Results are data (terms, rule names, [`Fact`]s); render writes them.
//! The language is `lang.rs`, a new rule is one line of `rules.rs`, the
//! cost of a lecture form is `extract.rs`.

pub mod extract;
pub mod lang;
pub mod rules;

use crate::derive::eliminate_derivatives;
use crate::ir::{self, Op, Program};
use egg::{FlatTerm, Id, Language, RecExpr, Runner, StopReason};
use lang::{MxAnalysis, MxGraph, ToEgg};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Budget {
    pub max_nodes: usize,
    pub max_iters: usize,
    pub time_limit: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_nodes: 10_000,
            max_iters: 30,
            // A backstop only: the node and iteration limits, which do not
            // depend on the machine's speed, are meant to stop a run first,
            // so the same file prints the same result everywhere.
            time_limit: Duration::from_millis(3000),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Simplified {
    pub expr: ir::Expr,
    pub budget_hit: bool,
}

/// A side condition a proof relied on: the conditional rule and the term
/// the condition is about (None when the rule names none, or the proof was
/// too large to read terms off). `render::facts` writes it as text.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub rule: String,
    pub term: Option<ir::Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProofOutcome {
    /// `explanation`: egg's explanation as readable lines (rule names), `rules`: the rule names
    /// used, `facts`: side-condition facts relied on (each once).
    Proved {
        explanation: Vec<String>,
        rules: Vec<String>,
        facts: Vec<Fact>,
    },
    Unknown {
        reason: String,
    },
}

/// How many let definitions a proof may unfold (each is one union).
const MAX_UNFOLD: usize = 400;

/// Terms to add, with the let definitions they mention unfolded (let name ≡ definition).
struct Prepared {
    roots: Vec<RecExpr<lang::Mx>>,
    lets: Vec<(RecExpr<lang::Mx>, RecExpr<lang::Mx>)>,
    analysis: MxAnalysis,
}

/// A named node whose definition may be unioned with it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Named {
    Let(ir::LetId),
    /// A sequence element at a literal time (proofs only).
    Seq(ir::SeqId, i64),
}

fn prepare(
    prog: &Program,
    exprs: &[&ir::Expr],
    unfold_depth: usize,
    adjoint_names: &[String],
    unfold_seqs: bool,
) -> Prepared {
    let mut conv = ToEgg::new(prog, adjoint_names);
    let mut roots = Vec::new();
    let mut frontier: Vec<(Named, ir::Expr)> = Vec::new();
    let collect = |e: &ir::Expr, out: &mut Vec<(Named, ir::Expr)>| {
        e.walk(&mut |n| match &n.op {
            Op::Let(l) => out.push((Named::Let(*l), n.clone())),
            Op::SeqAt(s) if unfold_seqs => {
                if let Some(t) = crate::ir::unroll::const_int(prog, &n.args[0]) {
                    out.push((Named::Seq(*s, t), n.clone()));
                }
            }
            _ => {}
        })
    };
    for e in exprs {
        let mut rec = RecExpr::default();
        conv.add(e, &mut rec);
        roots.push(rec);
        collect(e, &mut frontier);
    }
    let mut done: HashSet<Named> = HashSet::new();
    let mut lets = Vec::new();
    for _ in 0..unfold_depth {
        let mut next = Vec::new();
        for (named, node) in frontier.drain(..) {
            if done.len() >= MAX_UNFOLD || !done.insert(named) {
                continue;
            }
            let body = match named {
                Named::Let(l) if !prog.lets[l].is_function => {
                    let Ok(b) = eliminate_derivatives(prog, &prog.lets[l].body) else {
                        continue;
                    };
                    if unfold_seqs {
                        crate::ir::unroll::expand_concrete(prog, &b).unwrap_or(b)
                    } else {
                        b
                    }
                }
                Named::Seq(s, t) => match crate::ir::unroll::seq_definition(prog, s, t) {
                    Ok(Some(b)) => match eliminate_derivatives(prog, &b) {
                        Ok(b) => b,
                        Err(_) => continue,
                    },
                    _ => continue,
                },
                _ => continue,
            };
            let (mut a, mut b) = (RecExpr::default(), RecExpr::default());
            conv.add(&node, &mut a);
            conv.add(&body, &mut b);
            collect(&body, &mut next);
            lets.push((a, b));
        }
        frontier = next;
    }
    Prepared {
        roots,
        lets,
        analysis: MxAnalysis::new(conv.table),
    }
}

fn load(p: Prepared, explain: bool) -> (MxGraph, Vec<Id>, Vec<RecExpr<lang::Mx>>) {
    let mut g = MxGraph::new(p.analysis);
    if explain {
        g = g.with_explanations_enabled();
    }
    let ids = p.roots.iter().map(|r| g.add_expr(r)).collect();
    for (name, body) in &p.lets {
        let (a, b) = (g.add_expr(name), g.add_expr(body));
        g.union_trusted(a, b, "let-definition");
    }
    g.rebuild();
    (g, ids, p.roots)
}

fn runner(g: MxGraph, budget: &Budget) -> Runner<lang::Mx, MxAnalysis> {
    Runner::default()
        .with_egraph(g)
        .with_node_limit(budget.max_nodes)
        .with_iter_limit(budget.max_iters)
        .with_time_limit(budget.time_limit)
}

fn hit(r: &Option<StopReason>) -> bool {
    matches!(
        r,
        Some(StopReason::NodeLimit(_) | StopReason::IterationLimit(_) | StopReason::TimeLimit(_))
    )
}

/// Lecture-form simplification: prefer let names in scope (h, yhat) over their definitions, no
/// needless expansion.
pub fn simplify(prog: &Program, e: &ir::Expr, budget: &Budget) -> Simplified {
    simplify_named(prog, e, budget, &[])
}

/// `simplify` for an expression that refers to named adjoints (`Op::Adjoint(k)` is `names[k]`).
pub fn simplify_named(
    prog: &Program,
    e: &ir::Expr,
    budget: &Budget,
    names: &[String],
) -> Simplified {
    let Ok(e2) = eliminate_derivatives(prog, e) else {
        // Also reached for input nested too deeply to convert safely.
        return Simplified {
            expr: e.clone(),
            budget_hit: false,
        };
    };
    let p = prepare(prog, &[&e2], 1, names, false);
    let (g, ids, _) = load(p, false);
    let r = runner(g, budget).run(rules::rules());
    if !r.egraph.analysis.errors.is_empty() {
        // A rule built an ill-typed term or merged different values: nothing
        // the e-graph says can be trusted, so the input stays as it is.
        return Simplified {
            expr: e2,
            budget_hit: false,
        };
    }
    let root = r.egraph.find(ids[0]);
    let cost = extract::LectureCost::new(&r.egraph);
    let ex = egg::Extractor::new(&r.egraph, cost);
    let (_, best) = ex.find_best(root);
    let expr = lang::to_ir(&r.egraph.analysis.table, &best, e.span);
    Simplified {
        expr,
        budget_hit: hit(&r.stop_reason),
    }
}

/// Largest pair of terms (in e-nodes) whose proof is explained step by step.
const MAX_FLAT_EXPLANATION: usize = 400;

/// A flat term as an IR expression.
fn term_expr(table: &lang::Table, t: &FlatTerm<lang::Mx>) -> ir::Expr {
    fn add(t: &FlatTerm<lang::Mx>, rec: &mut RecExpr<lang::Mx>) -> Id {
        let ids: Vec<Id> = t.children.iter().map(|c| add(c, rec)).collect();
        let mut k = 0;
        let node = t.node.clone().map_children(|_| {
            k += 1;
            ids[k - 1]
        });
        rec.add(node)
    }
    let mut rec = RecExpr::default();
    add(t, &mut rec);
    lang::to_ir(table, &rec, crate::span::Span::new(0, 0))
}

fn add_fact(facts: &mut Vec<Fact>, f: Fact) {
    if !facts.contains(&f) {
        facts.push(f);
    }
}

/// The rules (and facts, without their terms) of a tree explanation, each
/// shared subtree visited once.
fn tree_rules(
    trees: &[std::rc::Rc<egg::TreeTerm<lang::Mx>>],
    seen: &mut HashSet<*const egg::TreeTerm<lang::Mx>>,
    rules: &mut BTreeSet<String>,
    facts: &mut Vec<Fact>,
) {
    for t in trees {
        if !seen.insert(std::rc::Rc::as_ptr(t)) {
            continue;
        }
        for r in [t.forward_rule, t.backward_rule].into_iter().flatten() {
            let r = r.to_string();
            if rules::fact_subject(&r).is_some() {
                add_fact(
                    facts,
                    Fact {
                        rule: r.clone(),
                        term: None,
                    },
                );
            }
            rules.insert(r);
        }
        for c in &t.child_proofs {
            tree_rules(c, seen, rules, facts);
        }
    }
}

/// Records the rules of one explanation step and, for a conditional rule, the
/// fact it relied on, read off the term the rule matched.
fn collect_rules(
    prev: &FlatTerm<lang::Mx>,
    cur: &FlatTerm<lang::Mx>,
    rules: &mut BTreeSet<String>,
    facts: &mut Vec<Fact>,
    table: &lang::Table,
) {
    for (r, matched) in [(cur.forward_rule, prev), (cur.backward_rule, cur)] {
        let Some(r) = r else { continue };
        let r = r.to_string();
        if let Some(path) = rules::fact_subject(&r) {
            let at = |path: &[usize]| {
                let mut t = matched;
                for &i in path {
                    t = t.children.get(i)?;
                }
                Some(term_expr(table, t))
            };
            let term = path.and_then(at);
            add_fact(
                facts,
                Fact {
                    rule: r.clone(),
                    term,
                },
            );
        }
        rules.insert(r);
    }
    if prev.children.len() == cur.children.len() {
        for (p, c) in prev.children.iter().zip(&cur.children) {
            collect_rules(p, c, rules, facts, table);
        }
    }
}

/// Tries to show a = b with sound rules (both sides may contain derivative nodes: they are
/// eliminated first). Failing to prove is Unknown, never a refutation.
pub fn prove_equal(prog: &Program, a: &ir::Expr, b: &ir::Expr, budget: &Budget) -> ProofOutcome {
    let unknown = |reason: String| ProofOutcome::Unknown { reason };
    let (a2, b2) = match (
        eliminate_derivatives(prog, a),
        eliminate_derivatives(prog, b),
    ) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return unknown(format!("cannot derive: {}", e.message)),
    };
    if !prog.same_shape(a2.shape, b2.shape) {
        return unknown(format!(
            "the sides have different shapes ({} and {})",
            prog.shape_name(a2.shape),
            prog.shape_name(b2.shape)
        ));
    }
    // Proofs see through concrete sums, products and sequence elements.
    let a2 = crate::ir::unroll::expand_concrete(prog, &a2).unwrap_or(a2);
    let b2 = crate::ir::unroll::expand_concrete(prog, &b2).unwrap_or(b2);
    let p = prepare(prog, &[&a2, &b2], 64, &[], true);
    let (g, ids, roots) = load(p, true);
    let (ia, ib) = (ids[0], ids[1]);
    let mut r = runner(g, budget)
        .with_hook(move |r| {
            if r.egraph.find(ia) == r.egraph.find(ib) {
                Err("proved".into())
            } else {
                Ok(())
            }
        })
        .run(rules::rules());
    if let Some(e) = r.egraph.analysis.errors.first() {
        return unknown(format!("internal error: {e}"));
    }
    if r.egraph.find(ia) != r.egraph.find(ib) {
        let why = match &r.stop_reason {
            Some(StopReason::Saturated) => {
                "the rules saturated without showing the sides equal".to_string()
            }
            _ => format!(
                "not shown equal within {} e-nodes / {} iterations / {} ms",
                budget.max_nodes,
                budget.max_iters,
                budget.time_limit.as_millis()
            ),
        };
        return unknown(why);
    }
    let mut ex = r.explain_equivalence(&roots[0], &roots[1]);
    let mut rules = BTreeSet::new();
    let mut facts = Vec::new();
    let size = roots[0].as_ref().len() + roots[1].as_ref().len();
    let explanation = if size <= MAX_FLAT_EXPLANATION {
        let table = &r.egraph.analysis.table;
        let flat = ex.make_flat_explanation().clone();
        for w in flat.windows(2) {
            collect_rules(&w[0], &w[1], &mut rules, &mut facts, table);
        }
        ex.get_flat_strings()
    } else {
        // A flat explanation rewrites the whole term at every step, quadratic
        // in its size; the shared tree names the same rules.
        let mut seen = HashSet::new();
        tree_rules(&ex.explanation_trees, &mut seen, &mut rules, &mut facts);
        vec![format!(
            "(rewrite chain not listed: the terms have {size} nodes; rules used: {})",
            rules.iter().cloned().collect::<Vec<_>>().join(", ")
        )]
    };
    ProofOutcome::Proved {
        explanation,
        rules: rules.into_iter().collect(),
        facts,
    }
}

#[cfg(test)]
pub(crate) mod tests;
