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
    /// Symbolic dimensions used as values (lengths such as `T`).
    pub value_dims: BTreeSet<DimId>,
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
            if let Dim::Sym(id) = d {
                self.shape_dims.insert(id);
            }
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
    let mut stack: Vec<&Expr> = roots.to_vec();
    while let Some(e) = stack.pop() {
        r.nodes += 1;
        r.add_shape(e.shape);
        match &e.op {
            Op::Let(l) | Op::CallLet(l) if r.lets.insert(*l) => {
                stack.push(&prog.lets[*l].body);
            }
            Op::SeqAt(s) if r.seqs.insert(*s) => {
                let decl = &prog.seqs[*s];
                r.add_shape(decl.shape);
                for p in &decl.pieces {
                    if let SeqPiece::Defined { body, guard, .. } = p {
                        stack.push(body);
                        stack.extend(guard.as_ref().map(|(_, g)| g));
                    }
                }
            }
            Op::Var(v) => {
                r.vars.insert(*v);
                r.add_shape(prog.vars[*v].shape);
            }
            Op::DimValue(Dim::Sym(d)) => {
                r.value_dims.insert(*d);
            }
            Op::Fun(_) | Op::FunPrime(_) => r.funs = true,
            Op::Idx(_) => r.idx = true,
            Op::Smin | Op::Smax => r.singular = true,
            Op::Max | Op::Min | Op::Indicator(_) => r.kinks = true,
            Op::Elem(ElemFn::Relu | ElemFn::Step | ElemFn::Abs)
            | Op::ElemPrime(ElemFn::Relu | ElemFn::Step | ElemFn::Abs) => r.kinks = true,
            _ => {}
        }
        stack.extend(e.args.iter());
    }
    r
}
