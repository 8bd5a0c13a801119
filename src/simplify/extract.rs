//! Extraction in the user's vocabulary: let names and adjoint names are the
//! cheapest terms (later, downstream names slightly cheaper, so `1{h > 0}`
//! beats `1{z1 > 0}`), then the smallest expression, written in the order a
//! lecture writes it (the derivative factor of a Hadamard product last).

use super::lang::{Mx, MxGraph};
use egg::{CostFunction, Id, Language};
use std::collections::HashSet;

pub struct LectureCost<'a> {
    pub egraph: &'a MxGraph,
    /// Classes holding an indicator: written on the right of `∘`.
    pub indicators: HashSet<Id>,
}

impl<'a> LectureCost<'a> {
    pub fn new(egraph: &'a MxGraph) -> Self {
        let indicators = egraph
            .classes()
            .filter(|c| {
                c.nodes
                    .iter()
                    .any(|n| matches!(n, Mx::IndGt(_) | Mx::IndGe(_) | Mx::IndLt(_) | Mx::IndLe(_)))
            })
            .map(|c| c.id)
            .collect();
        LectureCost { egraph, indicators }
    }
}

impl CostFunction<Mx> for LectureCost<'_> {
    type Cost = f64;

    fn cost<C>(&mut self, enode: &Mx, mut costs: C) -> f64
    where
        C: FnMut(Id) -> f64,
    {
        let own = match enode {
            Mx::Other(s, kids) if kids.is_empty() => {
                let e = &self.egraph.analysis.table.entries[s];
                if e.facts.ones || e.facts.zeros || e.facts.eye {
                    // Constants read at a glance: w ∘ (1 − h∘h) beats w − w ∘ (h∘h).
                    0.9
                } else if e.facts.named {
                    // Prefer downstream names (larger rank) by a hair.
                    1.0 - 1e-6 * (e.rank.min(1_000_000) as f64 / 1_000_000.0) - 1e-7
                } else {
                    1.0
                }
            }
            Mx::Had([a, _]) if self.indicators.contains(&self.egraph.find(*a)) => 1.001,
            // A negation is a sign, not a full operation: −y + ŷ loses to ŷ − y only by this.
            Mx::Neg(_) => 1.0,
            Mx::Add(_) => 1.0005,
            // A scalar factor reads best in front of the whole product:
            // 2 Aᵀ e rather than Aᵀ (2 e).
            Mx::Scale([s, m]) => return 1.0 + costs(*s) + 0.9999 * costs(*m),
            _ => 1.0,
        };
        enode.fold(own, |acc, id| acc + costs(id))
    }
}
