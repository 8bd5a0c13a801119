//! Dimensions of shapes: a literal size, a declared dimension, or a sum of
//! integer multiples of declared dimensions (`n + p`, `2 n`, `4 n + 1`).
//!
//! Every dimension is kept in one canonical form so that structural equality
//! is equality of the sizes for all values of the symbols: a sum is a
//! constant plus terms `coeff · sym` sorted by symbol, merged, with nonzero
//! coefficients; a sum that is just a constant is [`Dim::Const`] and one that
//! is a single symbol is [`Dim::Sym`]. Thus `n + p` = `p + n` and `2 n` =
//! `n + n`. A sum holds at most [`MAX_DIM_TERMS`] symbols, so `Dim` stays
//! `Copy`.

use super::DimId;

/// The most distinct symbols one dimension sum may name.
pub const MAX_DIM_TERMS: usize = 4;

/// A dimension in a shape.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Dim {
    Const(u64),
    Sym(DimId),
    /// Anything else: always at least two terms, or one term with a
    /// coefficient above 1 or a constant added.
    Sum(DimSum),
}

/// `konst + Σ coeffs[i] · syms[i]` for `i < len`; unused slots are 0. Kept
/// small (symbols, coefficients and the constant of a sum below 2^16) so
/// that shapes stay cheap to copy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct DimSum {
    konst: u16,
    len: u8,
    syms: [u16; MAX_DIM_TERMS],
    coeffs: [u16; MAX_DIM_TERMS],
}

/// A dimension sum that names more than [`MAX_DIM_TERMS`] symbols, or whose
/// constant or a coefficient is 2^16 or more.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DimTooComplex;

impl Dim {
    /// The canonical dimension `konst + Σ coeff · sym`.
    pub fn linear(
        konst: u64,
        terms: impl IntoIterator<Item = (DimId, u64)>,
    ) -> Result<Dim, DimTooComplex> {
        let mut ts: Vec<(DimId, u64)> = terms.into_iter().filter(|t| t.1 != 0).collect();
        ts.sort_by_key(|t| t.0);
        let mut merged: Vec<(DimId, u64)> = Vec::new();
        for (s, c) in ts {
            match merged.last_mut() {
                Some(last) if last.0 == s => last.1 = last.1.checked_add(c).ok_or(DimTooComplex)?,
                _ => merged.push((s, c)),
            }
        }
        match (konst, merged.as_slice()) {
            (k, []) => Ok(Dim::Const(k)),
            (0, [(s, 1)]) => Ok(Dim::Sym(*s)),
            _ if merged.len() > MAX_DIM_TERMS => Err(DimTooComplex),
            _ => {
                let small = |v: u64| u16::try_from(v).map_err(|_| DimTooComplex);
                let (mut syms, mut coeffs) = ([0; MAX_DIM_TERMS], [0; MAX_DIM_TERMS]);
                for (i, (s, c)) in merged.iter().enumerate() {
                    syms[i] = small(*s as u64)?;
                    coeffs[i] = small(*c)?;
                }
                Ok(Dim::Sum(DimSum {
                    konst: small(konst)?,
                    len: merged.len() as u8,
                    syms,
                    coeffs,
                }))
            }
        }
    }

    /// The constant part and the `(symbol, coefficient)` terms.
    pub fn parts(&self) -> (u64, Vec<(DimId, u64)>) {
        match *self {
            Dim::Const(c) => (c, Vec::new()),
            Dim::Sym(s) => (0, vec![(s, 1)]),
            Dim::Sum(d) => {
                let n = d.len as usize;
                let terms = d.syms[..n].iter().zip(&d.coeffs[..n]);
                let terms = terms.map(|(&s, &c)| (s as DimId, c as u64)).collect();
                (d.konst as u64, terms)
            }
        }
    }

    /// The symbols this dimension mentions.
    pub fn syms(&self) -> Vec<DimId> {
        self.parts().1.into_iter().map(|t| t.0).collect()
    }

    /// `self + other`.
    pub fn plus(self, other: Dim) -> Result<Dim, DimTooComplex> {
        let (a, mut ta) = self.parts();
        let (b, tb) = other.parts();
        ta.extend(tb);
        Dim::linear(a.checked_add(b).ok_or(DimTooComplex)?, ta)
    }

    /// `self - other` when every coefficient stays non-negative.
    pub fn minus(self, other: Dim) -> Option<Dim> {
        let (a, ta) = self.parts();
        let (b, tb) = other.parts();
        let mut terms = Vec::new();
        for (s, c) in ta {
            let d = tb.iter().find(|t| t.0 == s).map_or(0, |t| t.1);
            terms.push((s, c.checked_sub(d)?));
        }
        if tb.iter().any(|t| !terms.iter().any(|u| u.0 == t.0)) {
            return None;
        }
        Dim::linear(a.checked_sub(b)?, terms).ok()
    }

    /// The size when every symbol has one (`None` when `size` has none for
    /// some symbol, or on overflow).
    pub fn size_with(&self, size: impl Fn(DimId) -> Option<u64>) -> Option<u64> {
        let (k, ts) = self.parts();
        ts.into_iter()
            .try_fold(k, |acc, (s, c)| acc.checked_add(size(s)?.checked_mul(c)?))
    }

    /// Replaces the symbols `size` knows by their values.
    pub fn substituted(&self, size: impl Fn(DimId) -> Option<u64>) -> Dim {
        let (mut k, ts) = self.parts();
        let mut rest = Vec::new();
        for (s, c) in ts {
            match size(s)
                .and_then(|v| v.checked_mul(c))
                .and_then(|v| k.checked_add(v))
            {
                Some(v) => k = v,
                None => rest.push((s, c)),
            }
        }
        // Fewer terms than before: never too complex.
        Dim::linear(k, rest).unwrap_or(*self)
    }

    /// How it is written: `n`, `3`, `n + p`, `2 n + 1`.
    pub fn written(&self, name: impl Fn(DimId) -> String) -> String {
        let (k, ts) = self.parts();
        let mut out: Vec<String> = ts
            .into_iter()
            .map(|(s, c)| match c {
                1 => name(s),
                _ => format!("{c} {}", name(s)),
            })
            .collect();
        if k != 0 || out.is_empty() {
            out.push(k.to_string());
        }
        out.join(" + ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_are_equal() {
        let n_p = Dim::linear(0, [(0, 1), (1, 1)]).unwrap();
        let p_n = Dim::linear(0, [(1, 1), (0, 1)]).unwrap();
        assert_eq!(n_p, p_n);
        assert_eq!(Dim::Sym(0).plus(Dim::Sym(0)), Dim::linear(0, [(0, 2)]));
        assert_eq!(Dim::linear(0, [(3, 1)]), Ok(Dim::Sym(3)));
        assert_eq!(Dim::linear(4, []), Ok(Dim::Const(4)));
        assert!(Dim::linear(0, (0..5).map(|s| (s, 1))).is_err());
        let two_n_1 = Dim::linear(1, [(0, 2)]).unwrap();
        assert_eq!(two_n_1.written(|_| "n".into()), "2 n + 1");
        assert_eq!(two_n_1.size_with(|_| Some(3)), Some(7));
        assert_eq!(
            n_p.substituted(|s| (s == 1).then_some(5)),
            Dim::linear(5, [(0, 1)]).unwrap()
        );
    }
}
