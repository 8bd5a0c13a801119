//! `[a; b; …]`: blocks stacked on top of each other. Every block needs the
//! same number of columns; the rows of the stack are the sum of the blocks'
//! rows (a dimension sum such as `n + p`).

use super::*;
use crate::ir::{Expr, Op};

impl<'a> Resolver<'a> {
    pub(super) fn stack(&mut self, blocks: Vec<Expr>, span: Span) -> Option<Expr> {
        let first = blocks[0].shape;
        for (i, b) in blocks.iter().enumerate().skip(1) {
            if !self.prog.same_dim(b.shape.cols, first.cols) {
                self.push(ResolveError::StackColumns {
                    at: b.span,
                    first: self.shape_name(first),
                    shape: self.shape_name(b.shape),
                    index: i + 1,
                });
                return None;
            }
        }
        let mut rows = Dim::Const(0);
        for b in &blocks {
            match rows.plus(b.shape.rows) {
                Ok(r) => rows = r,
                Err(_) => {
                    self.push(ResolveError::DimSumTooComplex {
                        at: span,
                        most: ir::MAX_DIM_TERMS,
                    });
                    return None;
                }
            }
        }
        Some(Expr::new(
            Op::Stack,
            blocks,
            Shape::new(rows, first.cols),
            span,
        ))
    }
}
