//! Dense matrices over any [`Scalar`] and the linear algebra the language
//! needs (products, determinant, inverse, singular values).
//!
//! Determinant and inverse are one generic Gaussian elimination rather than
//! calls into nalgebra: the same code must run on exact rationals (so closed
//! expressions evaluate exactly) and on dual numbers (so `grad(logdet(X), X)`
//! is differentiated through the elimination itself). Pivots are chosen by
//! magnitude of the float value, which is what keeps floats stable and is
//! harmless for exact arithmetic. Only singular values, which are used in
//! numeric claims alone, go through nalgebra on the float values.

use super::EvalError;
use super::scalar::Scalar;
use std::cmp::Ordering;

/// Dense row-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix<S> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<S>,
}

fn shape_err(what: &str, a: (usize, usize), b: (usize, usize)) -> EvalError {
    EvalError::Unsupported(format!(
        "{what}: shapes {}x{} and {}x{} do not fit",
        a.0, a.1, b.0, b.1
    ))
}

impl<S> Matrix<S> {
    pub fn new(rows: usize, cols: usize, data: Vec<S>) -> Matrix<S> {
        debug_assert_eq!(rows * cols, data.len());
        Matrix { rows, cols, data }
    }
    pub fn dims(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    pub fn is_scalar(&self) -> bool {
        self.rows == 1 && self.cols == 1
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn get(&self, i: usize, j: usize) -> &S {
        &self.data[i * self.cols + j]
    }
    pub fn map<T>(&self, f: impl FnMut(&S) -> T) -> Matrix<T> {
        Matrix::new(self.rows, self.cols, self.data.iter().map(f).collect())
    }
    pub fn try_map<T>(
        &self,
        f: impl FnMut(&S) -> Result<T, EvalError>,
    ) -> Result<Matrix<T>, EvalError> {
        Ok(Matrix::new(
            self.rows,
            self.cols,
            self.data.iter().map(f).collect::<Result<_, _>>()?,
        ))
    }
}

impl<S: Scalar> Matrix<S> {
    pub fn scalar(s: S) -> Matrix<S> {
        Matrix::new(1, 1, vec![s])
    }
    pub fn zeros(rows: usize, cols: usize) -> Matrix<S> {
        Matrix::new(rows, cols, vec![S::zero(); rows * cols])
    }
    pub fn filled(rows: usize, cols: usize, s: S) -> Matrix<S> {
        Matrix::new(rows, cols, vec![s; rows * cols])
    }
    pub fn identity(n: usize) -> Matrix<S> {
        let mut m = Matrix::zeros(n, n);
        for i in 0..n {
            m.data[i * n + i] = S::one();
        }
        m
    }
    /// The single entry of a 1×1 matrix.
    pub fn as_scalar(&self) -> Result<&S, EvalError> {
        if self.is_scalar() {
            Ok(&self.data[0])
        } else {
            Err(EvalError::Unsupported(format!(
                "expected a scalar, found a {}x{} matrix",
                self.rows, self.cols
            )))
        }
    }
    /// Entrywise combination of two matrices of the same shape.
    pub fn zip(
        &self,
        o: &Matrix<S>,
        what: &str,
        mut f: impl FnMut(&S, &S) -> Result<S, EvalError>,
    ) -> Result<Matrix<S>, EvalError> {
        if self.dims() != o.dims() {
            return Err(shape_err(what, self.dims(), o.dims()));
        }
        let data = self
            .data
            .iter()
            .zip(&o.data)
            .map(|(a, b)| f(a, b))
            .collect::<Result<_, _>>()?;
        Ok(Matrix::new(self.rows, self.cols, data))
    }
    pub fn add(&self, o: &Matrix<S>) -> Result<Matrix<S>, EvalError> {
        self.zip(o, "sum", |a, b| Ok(a.add(b)))
    }
    pub fn sub(&self, o: &Matrix<S>) -> Result<Matrix<S>, EvalError> {
        self.zip(o, "difference", |a, b| Ok(a.sub(b)))
    }
    pub fn scale(&self, s: &S) -> Matrix<S> {
        self.map(|a| s.mul(a))
    }
    pub fn neg(&self) -> Matrix<S> {
        self.map(|a| a.neg())
    }
    pub fn transpose(&self) -> Matrix<S> {
        let mut data = Vec::with_capacity(self.data.len());
        for j in 0..self.cols {
            for i in 0..self.rows {
                data.push(self.get(i, j).clone());
            }
        }
        Matrix::new(self.cols, self.rows, data)
    }
    pub fn matmul(&self, o: &Matrix<S>) -> Result<Matrix<S>, EvalError> {
        if self.cols != o.rows {
            return Err(shape_err("product", self.dims(), o.dims()));
        }
        super::sample::check_size(self.rows, o.cols)?;
        let mut data = Vec::with_capacity(self.rows * o.cols);
        for i in 0..self.rows {
            for j in 0..o.cols {
                let mut acc = S::zero();
                for k in 0..self.cols {
                    acc = acc.add(&self.get(i, k).mul(o.get(k, j)));
                }
                data.push(acc);
            }
        }
        Ok(Matrix::new(self.rows, o.cols, data))
    }
    pub fn sum(&self) -> S {
        self.data.iter().fold(S::zero(), |acc, x| acc.add(x))
    }
    pub fn trace(&self) -> Result<S, EvalError> {
        self.square("tr")?;
        Ok((0..self.rows).fold(S::zero(), |acc, i| acc.add(self.get(i, i))))
    }
    fn square(&self, what: &str) -> Result<usize, EvalError> {
        if self.rows == self.cols {
            Ok(self.rows)
        } else {
            Err(EvalError::Unsupported(format!(
                "{what} of a non-square {}x{} matrix",
                self.rows, self.cols
            )))
        }
    }

    /// Index of the pivot row for column `c` among rows `c..`: the largest
    /// float magnitude among entries that are not (negligibly) zero.
    fn pivot(a: &[Vec<S>], c: usize, scale: f64) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (r, row) in a.iter().enumerate().skip(c) {
            let x = &row[c];
            let negligible = if S::EXACT {
                x.is_zero_value()
            } else if S::CERTIFIED {
                // Only an entry certainly non-zero may be a pivot.
                !x.sign_known() || x.is_const_zero()
            } else {
                x.to_f64().abs() <= 1e-12 * scale
            };
            if negligible {
                continue;
            }
            let mag = x.to_f64().abs();
            if best.is_none_or(|(_, m)| mag.partial_cmp(&m) == Some(Ordering::Greater)) {
                best = Some((r, mag));
            }
        }
        best.map(|(r, _)| r)
    }

    /// Without a pivot a certified column must be exactly zero; an entry
    /// whose enclosure merely contains zero leaves the rank undecided.
    fn no_pivot(a: &[Vec<S>], c: usize) -> Result<(), EvalError> {
        if S::CERTIFIED && a.iter().skip(c).any(|row| !row[c].is_const_zero()) {
            return Err(EvalError::Undefined(format!(
                "{}: a pivot's enclosure contains zero",
                super::ball::UNDECIDED
            )));
        }
        Ok(())
    }

    fn rows_of(&self) -> Vec<Vec<S>> {
        self.data
            .chunks(self.cols.max(1))
            .map(|r| r.to_vec())
            .collect()
    }

    fn magnitude(&self) -> f64 {
        self.data
            .iter()
            .map(|x| x.to_f64().abs())
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE)
    }

    /// Determinant by elimination with partial pivoting.
    pub fn det(&self) -> Result<S, EvalError> {
        let n = self.square("det")?;
        let scale = self.magnitude();
        let mut a = self.rows_of();
        let mut det = S::one();
        for c in 0..n {
            let Some(p) = Self::pivot(&a, c, scale) else {
                Self::no_pivot(&a, c)?;
                return Ok(S::zero());
            };
            if p != c {
                a.swap(p, c);
                det = det.neg();
            }
            det = det.mul(&a[c][c]);
            let (top, below) = a.split_at_mut(c + 1);
            let pivot_row = &top[c];
            for row in below.iter_mut() {
                let f = row[c].div(&pivot_row[c])?;
                if f.is_const_zero() {
                    continue;
                }
                for (x, p) in row.iter_mut().zip(pivot_row).skip(c) {
                    *x = x.sub(&f.mul(p));
                }
            }
        }
        Ok(det)
    }

    /// Inverse by Gauss–Jordan elimination; Undefined when singular.
    pub fn inverse(&self) -> Result<Matrix<S>, EvalError> {
        let n = self.square("inv")?;
        let scale = self.magnitude();
        let mut a = self.rows_of();
        let mut inv = Matrix::<S>::identity(n).rows_of();
        for c in 0..n {
            let Some(p) = Self::pivot(&a, c, scale) else {
                Self::no_pivot(&a, c)?;
                return Err(EvalError::Undefined("inverse of a singular matrix".into()));
            };
            a.swap(p, c);
            inv.swap(p, c);
            let piv = a[c][c].clone();
            for k in 0..n {
                a[c][k] = a[c][k].div(&piv)?;
                inv[c][k] = inv[c][k].div(&piv)?;
            }
            for r in 0..n {
                if r == c {
                    continue;
                }
                let f = a[r][c].clone();
                if f.is_const_zero() {
                    continue;
                }
                for k in 0..n {
                    let t = f.mul(&a[c][k]);
                    a[r][k] = a[r][k].sub(&t);
                    let t = f.mul(&inv[c][k]);
                    inv[r][k] = inv[r][k].sub(&t);
                }
            }
        }
        Ok(Matrix::new(n, n, inv.into_iter().flatten().collect()))
    }

    /// Singular values of the float values, largest first (derivative parts
    /// are dropped: singular values appear only in numeric inequalities).
    pub fn singular_values(&self) -> Result<Vec<f64>, EvalError> {
        if self.is_empty() {
            return Err(EvalError::Unsupported(
                "singular values of an empty matrix".into(),
            ));
        }
        if S::EXACT {
            return Err(EvalError::NotExact);
        }
        let m = nalgebra::DMatrix::from_row_iterator(
            self.rows,
            self.cols,
            self.data.iter().map(|x| x.to_f64()),
        );
        if m.iter().any(|x| !x.is_finite()) {
            return Err(EvalError::Undefined("non-finite matrix entry".into()));
        }
        let mut sv: Vec<f64> = m.singular_values().iter().copied().collect();
        sv.sort_by(|a, b| b.partial_cmp(a).unwrap_or(Ordering::Equal));
        Ok(sv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigInt;
    use num_rational::BigRational;

    fn q(n: i64) -> BigRational {
        BigRational::from_integer(BigInt::from(n))
    }

    #[test]
    fn exact_det_and_inverse() {
        let a = Matrix::new(3, 3, [0, 2, 1, 1, 1, 0, 3, 0, 1].map(q).to_vec());
        assert_eq!(a.det().unwrap(), q(-5));
        let inv = a.inverse().unwrap();
        assert_eq!(a.matmul(&inv).unwrap(), Matrix::identity(3));
        let s = Matrix::new(2, 2, [1, 2, 2, 4].map(q).to_vec());
        assert_eq!(s.det().unwrap(), q(0));
        assert!(matches!(s.inverse(), Err(EvalError::Undefined(_))));
    }

    #[test]
    fn singular_values_of_a_diagonal() {
        let a = Matrix::new(2, 2, vec![3.0, 0.0, 0.0, -2.0]);
        let sv = a.singular_values().unwrap();
        assert!((sv[0] - 3.0).abs() < 1e-12 && (sv[1] - 2.0).abs() < 1e-12);
        let e = Matrix::new(1, 1, vec![q(1)]);
        assert_eq!(e.singular_values(), Err(EvalError::NotExact));
    }
}
