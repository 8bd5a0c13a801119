//! Naming the terms a backward pass repeats: a term that several gradients
//! (or a gradient and the next adjoint) share becomes an adjoint of its own.

use super::order::{PassLine, backward_order};
use super::{count_adjoints, node_count, subst_adjoints};
use crate::ir::unroll::MAX_DEPTH;
use crate::ir::{Expr, Op, Shape};
use std::collections::HashMap;

type ConsKey = (Op, Shape, Vec<usize>);

/// Every node of a pass hash-consed, with the expressions (owners) containing it.
struct Cons {
    ids: HashMap<ConsKey, usize>,
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

fn lookup(e: &Expr, c: &Cons) -> Option<usize> {
    if let Some(id) = c.by_addr.get(&(e as *const Expr)) {
        return Some(*id);
    }
    let kids: Option<Vec<usize>> = e.args.iter().map(|a| lookup(a, c)).collect();
    c.ids.get(&(e.op.clone(), e.shape, kids?)).copied()
}

/// The shared terms named so far, in order, and each one's index by node id.
#[derive(Default)]
struct Fresh {
    terms: Vec<Expr>,
    index: HashMap<usize, usize>,
}

/// `e` with its outermost shared terms (top-down) replaced by new adjoints
/// numbered from `base`; `top`: `e` itself stays (it is an adjoint's body).
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

/// A term that several gradients (or a gradient and the next adjoint) share
/// is the adjoint of a node the user did not name, such as the
/// pre-activation inside `a1 = tanh(W1 x + b1)`: a lecture names it
/// (`δ2 = (W2ᵀ δ1) ∘ (1 − a1 ∘ a1)`, `∂J/∂b1 = δ2`, `∂J/∂W1 = δ2 xᵀ`). Such
/// terms become adjoints, small adjoints then used once are written into
/// their one use, and all are numbered in the order the pass is printed.
pub(super) fn share_common_terms(
    adjoints: Vec<(String, Expr)>,
    results: Vec<Expr>,
) -> (Vec<(String, Expr)>, Vec<Expr>) {
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
    // Replace the outermost shared terms, top-down, by new adjoints.
    let base = adjoints.len();
    let mut fresh = Fresh::default();
    // A whole result may itself be the shared term (∂J/∂b1 = δ).
    let results: Vec<Expr> = results
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
    inline_and_number(defs, results)
}

/// Writes small adjoints used once into their use and numbers the others
/// δ1, δ2, … in the order the pass is printed.
fn inline_and_number(
    mut defs: Vec<Expr>,
    mut results: Vec<Expr>,
) -> (Vec<(String, Expr)>, Vec<Expr>) {
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
