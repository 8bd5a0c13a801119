//! The `plot` statement: scalar expressions drawn against a symbolic length
//! over a range of positive integers.

use super::*;
use crate::ir::{Op, PlotLine, WorkKind};
use num_traits::{One, Signed, ToPrimitive};
use std::collections::HashSet;

/// Most lengths one plot evaluates (each one is a full evaluation).
pub const MAX_PLOT_LENGTHS: u64 = 1000;
/// Largest length a plot evaluates (a recurrence is evaluated step by step).
pub const MAX_PLOT_LENGTH: u64 = 10_000;
/// Most time steps one plot evaluates in all (the sum of its lengths): every
/// length is evaluated from the start, so this bounds its running time
/// (some seconds).
pub const MAX_PLOT_STEPS: u64 = 250_000;

impl<'a> Resolver<'a> {
    pub(super) fn plot_stmt(
        &mut self,
        exprs: &'a [ast::Expr],
        over: &ast::Ident,
        from: &ast::Expr,
        to: &ast::Expr,
    ) -> Option<WorkKind> {
        let dim = self.plot_length(over);
        let (a, b) = (self.plot_end(from), self.plot_end(to));
        let mut lines = Vec::new();
        let mut ok = true;
        for e in exprs {
            let Some(ir) = self.expr(e) else {
                ok = false;
                continue;
            };
            let t = self.short(e.span);
            if !ir.shape.is_scalar() {
                let shape = self.shape_name(ir.shape);
                self.push(ResolveError::PlotNonScalar {
                    at: e.span,
                    expr: t,
                    shape,
                });
                ok = false;
                continue;
            }
            if let Some(d) = dim
                && !self.depends_on_dim(&ir, d)
            {
                self.push(ResolveError::PlotConstant {
                    at: e.span,
                    expr: t,
                    length: over.node.clone(),
                });
                ok = false;
                continue;
            }
            lines.push(PlotLine {
                expr: ir,
                text: self.text(e.span),
            });
        }
        let (a, b) = (a?, b?);
        let range = from.span.join(to.span);
        if a > b {
            self.push(ResolveError::PlotEmptyRange {
                at: range,
                from: a,
                to: b,
            });
            return None;
        }
        if b > MAX_PLOT_LENGTH {
            self.push(ResolveError::PlotTooLong {
                at: range,
                to: self.short(to.span),
            });
            return None;
        }
        if b - a + 1 > MAX_PLOT_LENGTHS {
            self.push(ResolveError::PlotTooManyLengths {
                at: range,
                from: a,
                to: b,
            });
            return None;
        }
        let steps = (a..=b).sum::<u64>();
        if steps > MAX_PLOT_STEPS {
            self.push(ResolveError::PlotTooManySteps {
                at: range,
                from: a,
                to: b,
                steps,
            });
            return None;
        }
        let over = dim?;
        ok.then_some(WorkKind::Plot(ir::Plot {
            lines,
            over,
            from: a,
            to: b,
        }))
    }

    /// The symbolic length after `over`: a declared dimension without a value.
    fn plot_length(&mut self, over: &ast::Ident) -> Option<ir::DimId> {
        let n = over.node.as_str();
        match self.names.get(n).copied() {
            Some((Sym::Dim(id), first)) => match self.prog.dims[id].value {
                None => Some(id),
                Some(v) => {
                    self.push(ResolveError::PlotFixedLength {
                        at: over.span,
                        name: n.to_string(),
                        value: v,
                        declaration: first,
                    });
                    None
                }
            },
            Some((Sym::Broken, _)) => None,
            Some((_, first)) => {
                self.push(ResolveError::PlotNotLength {
                    at: over.span,
                    name: n.to_string(),
                    declaration: first,
                });
                None
            }
            None => {
                let suggestion = self.suggest(n, false);
                self.push(ResolveError::PlotUnknownLength {
                    at: over.span,
                    name: short_name(n),
                    suggestion,
                });
                None
            }
        }
    }

    /// One end of a plot's range: a positive integer literal.
    fn plot_end(&mut self, e: &ast::Expr) -> Option<u64> {
        let value = match &e.node {
            // A positive integer too large for u64 is simply too long.
            ast::ExprKind::Num(r) if r.denom().is_one() && r.numer().is_positive() => {
                Some(r.numer().to_u64().unwrap_or(u64::MAX))
            }
            _ => None,
        };
        match value {
            Some(v) => Some(v),
            None => {
                let expr = self.short(e.span);
                self.push(ResolveError::PlotEndNotInteger { at: e.span, expr });
                None
            }
        }
    }

    /// Whether a resolved expression depends on a dimension: uses it as a
    /// value or in a shape, here or in a definition it reaches.
    fn depends_on_dim(&self, e: &ir::Expr, d: ir::DimId) -> bool {
        let sym = Dim::Sym(d);
        let mut lets = HashSet::new();
        let mut seqs = HashSet::new();
        let mut stack = vec![e];
        while let Some(n) = stack.pop() {
            if n.shape.rows == sym || n.shape.cols == sym || n.op == Op::DimValue(sym) {
                return true;
            }
            match &n.op {
                Op::Let(l) | Op::CallLet(l) if lets.insert(*l) => {
                    stack.extend(self.lets[*l].body.as_ref());
                }
                Op::SeqAt(s) if seqs.insert(*s) => {
                    if let Some(def) = &self.seqs[*s].def {
                        stack.extend(def.body.as_ref());
                        stack.extend(def.guard_ir.as_ref().map(|(_, g)| g));
                    }
                }
                _ => {}
            }
            stack.extend(n.args.iter());
        }
        false
    }
}
