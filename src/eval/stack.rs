//! Stacks `[a; b]` and their row blocks, in every arithmetic: the entries
//! are only moved, never combined.

use super::linalg::Matrix;
use super::scalar::Scalar;
use super::{Ev, R, arg, unsupported};
use crate::ir::{Dim, Expr};

impl<'a, S: Scalar> Ev<'a, S> {
    /// `[a; b; …]`: the blocks' rows one after another (entries are row-major).
    pub(super) fn stack(&mut self, blocks: &[Expr]) -> R<Matrix<S>> {
        let mut out: Option<Matrix<S>> = None;
        for b in blocks {
            let m = self.eval(b)?;
            out = Some(match out {
                None => m,
                Some(mut acc) => {
                    if acc.cols != m.cols {
                        return unsupported("stacked blocks with different column counts");
                    }
                    acc.rows += m.rows;
                    acc.data.extend(m.data);
                    acc
                }
            });
        }
        out.map_or_else(|| unsupported("an empty stack"), Ok)
    }

    /// Rows `from + 1 ..= from + count` of `a`.
    pub(super) fn rows(&mut self, a: &[Expr], from: Dim, count: Dim) -> R<Matrix<S>> {
        let m = self.eval(arg(a, 0)?)?;
        let (from, count) = (self.inst.dim(from), self.inst.dim(count));
        if from + count > m.rows {
            return unsupported("a row block outside its matrix");
        }
        let cols = m.cols;
        let data = m.data[from * cols..(from + count) * cols].to_vec();
        Ok(Matrix::new(count, cols, data))
    }
}
