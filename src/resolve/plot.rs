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
                let s = self.shape_name(ir.shape);
                self.err(
                    e.span,
                    format!("`plot` draws scalars; `{t}` is {s}"),
                    format!("this is {s}; a norm such as `norm(…)` is a scalar"),
                );
                ok = false;
                continue;
            }
            if let Some(d) = dim
                && !self.depends_on_dim(&ir, d)
            {
                let name = over.node.clone();
                self.err(
                    e.span,
                    format!(
                        "`{t}` does not depend on `{name}`: there is nothing to plot against it"
                    ),
                    format!("the same value for every `{name}`"),
                );
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
            self.err(
                range,
                format!("empty range `{a}..{b}`: a plot needs a range `a..b` with a <= b"),
                "no length in this range",
            );
            return None;
        }
        if b > MAX_PLOT_LENGTH {
            self.err(
                range,
                format!(
                    "a plot evaluates lengths up to {MAX_PLOT_LENGTH}, not {}",
                    self.short(to.span)
                ),
                "too long",
            );
            return None;
        }
        if b - a + 1 > MAX_PLOT_LENGTHS {
            self.err(
                range,
                format!(
                    "the range `{a}..{b}` has {} lengths; a plot evaluates at most {MAX_PLOT_LENGTHS}",
                    b - a + 1
                ),
                "too many lengths",
            );
            return None;
        }
        let steps = (a..=b).sum::<u64>();
        if steps > MAX_PLOT_STEPS {
            self.err(
                range,
                format!(
                    "the lengths `{a}..{b}` add up to {steps} time steps; a plot evaluates at most {MAX_PLOT_STEPS} (draw a shorter range)"
                ),
                "too long to evaluate",
            );
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
                    self.err_note(
                        over.span,
                        format!("`{n}` is fixed to {v}; a plot runs over a symbolic length (declare it `dim {n}`)"),
                        "not a symbolic length",
                        (first, format!("`{n}` fixed here")),
                    );
                    None
                }
            },
            Some((Sym::Broken, _)) => None,
            Some((_, first)) => {
                self.err_note(
                    over.span,
                    format!("`{n}` is not a length: a plot runs over a symbolic length declared with `dim`"),
                    "expected a length such as `T`",
                    (first, format!("`{n}` declared here")),
                );
                None
            }
            None => {
                let hint = self.suggest(n, false);
                self.err(
                    over.span,
                    format!("unknown length `{}`: a plot runs over a symbolic length declared with `dim`", short_name(n)),
                    hint.unwrap_or_else(|| "not declared".to_string()),
                );
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
                let t = self.short(e.span);
                self.err(
                    e.span,
                    format!("a plot's range runs over positive integers, such as `1..40`; `{t}` is not one"),
                    "expected a positive integer",
                );
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
