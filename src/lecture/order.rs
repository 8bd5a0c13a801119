//! The order a lecture prints a backward pass in, computed once by the
//! lecture-form pass and carried in its result.

use crate::ir::{Expr, Op};

/// One line of a printed backward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PassLine {
    Adjoint(usize),
    Result(usize),
}

/// The order a lecture writes a backward pass in: each gradient right after
/// the adjoints it needs (`δ1`, `∂J/∂b2`, `∂J/∂U`, `δ2`, `∂J/∂b1`, …), each
/// adjoint after the ones it is built from.
pub fn backward_order(adjoints: &[&Expr], results: &[&Expr]) -> Vec<PassLine> {
    fn refs(e: &Expr) -> Vec<usize> {
        let mut ks = Vec::new();
        e.walk(&mut |n| {
            if let Op::Adjoint(k) = n.op {
                ks.push(k);
            }
        });
        ks.sort_unstable();
        ks.dedup();
        ks
    }
    fn emit(k: usize, adjoints: &[&Expr], done: &mut [bool], out: &mut Vec<PassLine>) {
        // Iterative: a backward pass through time chains δ1000 → … → δ1.
        let mut stack = vec![(k, false)];
        while let Some((k, expanded)) = stack.pop() {
            if k >= adjoints.len() || done[k] {
                continue;
            }
            if expanded {
                done[k] = true;
                out.push(PassLine::Adjoint(k));
            } else {
                stack.push((k, true));
                for j in refs(adjoints[k]).into_iter().rev() {
                    if !done[j] {
                        stack.push((j, false));
                    }
                }
            }
        }
    }
    let mut done = vec![false; adjoints.len()];
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for k in refs(r) {
            emit(k, adjoints, &mut done, &mut out);
        }
        out.push(PassLine::Result(i));
    }
    for k in 0..adjoints.len() {
        emit(k, adjoints, &mut done, &mut out);
    }
    out
}
