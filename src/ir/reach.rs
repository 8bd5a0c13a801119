//! What an expression reaches: one walk over its nodes and every definition
//! they use (lets, let-functions, the defined pieces of sequences, each
//! once), collecting the inputs, dimensions and kinds of operator met on
//! the way. Check (what the numbers depend on, which inputs a
//! counterexample lists) and plot (which sizes a picture names) read it.

use super::{Dim, DimId, ElemFn, Expr, LetId, Op, Program, SeqId, SeqPiece, Shape, VarId};
use std::collections::BTreeSet;

/// Everything reached from a set of root expressions.
#[derive(Clone, Debug, Default)]
pub struct Reach {
    /// Nodes visited, each definition's body once: a measure of a point's
    /// evaluation cost.
    pub nodes: usize,
    /// Lets and let-functions used.
    pub lets: BTreeSet<LetId>,
    /// Sequences indexed.
    pub seqs: BTreeSet<SeqId>,
    /// Variables read.
    pub vars: BTreeSet<VarId>,
    /// Symbolic dimensions in the shape of some reached node, variable or
    /// sequence.
    pub shape_dims: BTreeSet<DimId>,
    /// Symbolic dimensions used as values anywhere (`sum(v) / n`, `h[T]`).
    pub value_dims: BTreeSet<DimId>,
    /// Of those, the ones used as sequence lengths: in the time of a
    /// sequence element or a bound of `sum(t in …)`/`prod(k in …)`. Only
    /// these are unrolled; a dimension used only as a scalar value is a
    /// size like any other.
    pub length_dims: BTreeSet<DimId>,
    /// A declared `fun` (or its derivative) is applied.
    pub funs: bool,
    /// A free or bound `idx` variable is read.
    pub idx: bool,
    /// A relu/step/abs/max/min/indicator is applied: the value has kinks.
    pub kinks: bool,
    /// Singular values are taken.
    pub singular: bool,
}

impl Reach {
    fn add_shape(&mut self, s: Shape) {
        for d in [s.rows, s.cols] {
            self.shape_dims.extend(d.syms());
        }
    }

    /// Symbolic dimensions used in a shape or as a value.
    pub fn dims(&self) -> BTreeSet<DimId> {
        self.shape_dims.union(&self.value_dims).copied().collect()
    }
}

/// Walks `roots` and every definition they reach, transitively.
pub fn reach(prog: &Program, roots: &[&Expr]) -> Reach {
    let mut r = Reach::default();
    // Each node with whether it sits in a length position.
    let mut stack: Vec<(&Expr, bool)> = roots.iter().map(|e| (*e, false)).collect();
    while let Some((e, in_length)) = stack.pop() {
        r.nodes += 1;
        r.add_shape(e.shape);
        match &e.op {
            Op::Let(l) | Op::CallLet(l) if r.lets.insert(*l) => {
                stack.push((&prog.lets[*l].body, in_length));
            }
            Op::SeqAt(s) if r.seqs.insert(*s) => {
                let decl = &prog.seqs[*s];
                r.add_shape(decl.shape);
                for p in &decl.pieces {
                    if let SeqPiece::Defined { body, guard, .. } = p {
                        stack.push((body, false));
                        stack.extend(guard.as_ref().map(|(_, g)| (g, true)));
                    }
                }
            }
            Op::Var(v) => {
                r.vars.insert(*v);
                r.add_shape(prog.vars[*v].shape);
            }
            Op::DimValue(Dim::Sym(d)) => {
                r.value_dims.insert(*d);
                if in_length {
                    r.length_dims.insert(*d);
                }
            }
            Op::Fun(_) | Op::FunPrime(_) => r.funs = true,
            Op::Idx(_) => r.idx = true,
            Op::Smin | Op::Smax => r.singular = true,
            Op::Max | Op::Min | Op::Indicator(_) => r.kinks = true,
            Op::Elem(ElemFn::Relu | ElemFn::Step | ElemFn::Abs)
            | Op::ElemPrime(ElemFn::Relu | ElemFn::Step | ElemFn::Abs) => r.kinks = true,
            _ => {}
        }
        // The time of a sequence element and the bounds of a range.
        let times = match e.op {
            Op::SeqAt(_) => 1,
            Op::SumRange(_) | Op::ProdRange { .. } => 2,
            _ => 0,
        };
        stack.extend(
            e.args
                .iter()
                .enumerate()
                .map(|(k, a)| (a, in_length || k < times)),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::WorkKind;

    /// The roots of the file's first claim, and what they reach.
    fn claim_reach(src: &str) -> (Program, Reach) {
        let (_, prog) = crate::load("t.grad", src.as_bytes()).unwrap();
        let WorkKind::Claim(c) = &prog.work[0].kind else {
            panic!("the first statement is a claim")
        };
        let roots = [&c.first, &c.steps[0].rhs];
        let r = reach(&prog, &roots);
        (prog, r)
    }

    fn names(prog: &Program, dims: &BTreeSet<DimId>) -> Vec<String> {
        dims.iter().map(|d| prog.dims[*d].name.clone()).collect()
    }

    /// Through a let, a recurrence's defined pieces and its guard: the
    /// given elements' variables, the sizes of their shapes, the length
    /// used as a value, and a kink inside the recurrence.
    #[test]
    fn a_recurrence_is_followed_into_its_definitions() {
        let (prog, r) = claim_reach(
            "dim n, m, T\nvar U: mat[n, n]\nvar x[t]: vec[n]\nvar h[0]: vec[n]\nvar w: vec[m]\n\
             let h[t] = relu(U h[t - 1] + x[t]) for t >= 1\nlet J = sum(h[T])\n\
             claim J + 0 = J\n",
        );
        assert_eq!(names(&prog, &r.shape_dims), ["n"]);
        assert_eq!(names(&prog, &r.value_dims), ["T"]);
        assert_eq!(names(&prog, &r.length_dims), ["T"]);
        let vars: Vec<&str> = r.vars.iter().map(|v| prog.vars[*v].name.as_str()).collect();
        assert_eq!(vars, ["U"], "w is not reached; x and h are sequences");
        assert_eq!(r.seqs.len(), 2);
        assert_eq!(r.lets.len(), 1);
        assert!(r.kinks && !r.funs && !r.singular && !r.idx);
        // The sides are walked once each, the definitions once in all.
        let (_, twice) = claim_reach("dim n\nvar x: vec[n]\nlet s = sum(x)\nclaim s + s = 2 s\n");
        assert_eq!(twice.lets.len(), 1);
        assert!(twice.nodes < 12, "{} nodes", twice.nodes);
    }

    /// A dimension used as a scalar value is a value dimension, not a
    /// length; only the time of an element or a range bound makes one.
    #[test]
    fn a_dimension_used_as_a_value_is_not_a_length() {
        let (prog, r) = claim_reach(
            "dim n, T, K\nvar x: vec[n]\nvar y[t]: scalar\n\
             claim sum(x) / n + y[T] + sum(k in 1..K, k) = sum(x) / n + y[T] + sum(k in 1..K, k)\n",
        );
        assert_eq!(names(&prog, &r.value_dims), ["n", "T", "K"]);
        assert_eq!(names(&prog, &r.length_dims), ["T", "K"]);
    }
}
