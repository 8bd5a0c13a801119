//! Multivariate polynomials with exact rational coefficients: the values a
//! piecewise function takes on one piece. The variable `x` of the 1-D
//! procedure and the symbolic parameters are all plain [`VarId`]s.

use crate::ir::VarId;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub(crate) type Q = BigRational;

/// A monomial: variables with positive exponents, sorted by variable.
type Mono = Vec<(VarId, u32)>;

/// A polynomial; zero coefficients are never stored, so structural equality
/// is equality of polynomials.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub(crate) struct Poly {
    terms: BTreeMap<Mono, Q>,
}

fn mono_mul(a: &Mono, b: &Mono) -> Mono {
    let mut out: Mono = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
            out.push(a[i]);
            i += 1;
        } else if i == a.len() || b[j].0 < a[i].0 {
            out.push(b[j]);
            j += 1;
        } else {
            out.push((a[i].0, a[i].1 + b[j].1));
            i += 1;
            j += 1;
        }
    }
    out
}

impl Poly {
    pub fn zero() -> Poly {
        Poly::default()
    }

    pub fn constant(c: Q) -> Poly {
        let mut terms = BTreeMap::new();
        if !c.is_zero() {
            terms.insert(Vec::new(), c);
        }
        Poly { terms }
    }

    pub fn int(i: i64) -> Poly {
        Poly::constant(Q::from_integer(i.into()))
    }

    pub fn var(v: VarId) -> Poly {
        let mut terms = BTreeMap::new();
        terms.insert(vec![(v, 1)], Q::one());
        Poly { terms }
    }

    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The value when the polynomial is a constant.
    pub fn as_const(&self) -> Option<Q> {
        match self.terms.len() {
            0 => Some(Q::zero()),
            1 => self.terms.get(&Vec::new()).cloned(),
            _ => None,
        }
    }

    fn add_term(&mut self, m: Mono, c: Q) {
        if c.is_zero() {
            return;
        }
        match self.terms.entry(m) {
            Entry::Vacant(e) => {
                e.insert(c);
            }
            Entry::Occupied(mut e) => {
                *e.get_mut() += c;
                if e.get().is_zero() {
                    e.remove();
                }
            }
        }
    }

    pub fn add(&self, o: &Poly) -> Poly {
        let mut out = self.clone();
        for (m, c) in &o.terms {
            out.add_term(m.clone(), c.clone());
        }
        out
    }

    pub fn neg(&self) -> Poly {
        Poly {
            terms: self.terms.iter().map(|(m, c)| (m.clone(), -c)).collect(),
        }
    }

    pub fn sub(&self, o: &Poly) -> Poly {
        self.add(&o.neg())
    }

    pub fn scale(&self, k: &Q) -> Poly {
        if k.is_zero() {
            return Poly::zero();
        }
        Poly {
            terms: self.terms.iter().map(|(m, c)| (m.clone(), c * k)).collect(),
        }
    }

    pub fn mul(&self, o: &Poly) -> Poly {
        let mut out = Poly::zero();
        for (ma, ca) in &self.terms {
            for (mb, cb) in &o.terms {
                out.add_term(mono_mul(ma, mb), ca * cb);
            }
        }
        out
    }

    /// Degree in the variable `v`.
    pub fn degree_in(&self, v: VarId) -> u32 {
        self.terms
            .keys()
            .map(|m| m.iter().find(|(w, _)| *w == v).map_or(0, |(_, e)| *e))
            .max()
            .unwrap_or(0)
    }

    /// Total degree (over all variables).
    pub fn total_degree(&self) -> u32 {
        self.terms
            .keys()
            .map(|m| m.iter().map(|(_, e)| e).sum())
            .max()
            .unwrap_or(0)
    }

    /// The coefficient of `v^k`, a polynomial in the other variables.
    pub fn coeff_in(&self, v: VarId, k: u32) -> Poly {
        let mut out = Poly::zero();
        for (m, c) in &self.terms {
            let e = m.iter().find(|(w, _)| *w == v).map_or(0, |(_, e)| *e);
            if e == k {
                let rest: Mono = m.iter().filter(|(w, _)| *w != v).copied().collect();
                out.add_term(rest, c.clone());
            }
        }
        out
    }

    /// The coefficient of a monomial of degree one in `v` and nothing else.
    pub fn linear_coeff(&self, v: VarId) -> Q {
        self.terms
            .get(&vec![(v, 1)])
            .cloned()
            .unwrap_or_else(Q::zero)
    }

    /// `self` with `v` replaced by `q`.
    pub fn subst(&self, v: VarId, q: &Poly) -> Poly {
        let deg = self.degree_in(v);
        let mut out = Poly::zero();
        let mut power = Poly::int(1);
        for k in 0..=deg {
            out = out.add(&self.coeff_in(v, k).mul(&power));
            if k < deg {
                power = power.mul(q);
            }
        }
        out
    }

    pub fn has_var(&self, v: VarId) -> bool {
        self.terms.keys().any(|m| m.iter().any(|(w, _)| *w == v))
    }

    pub fn vars(&self) -> BTreeSet<VarId> {
        self.terms
            .keys()
            .flat_map(|m| m.iter().map(|(w, _)| *w))
            .collect()
    }

    /// The value at a full assignment, `None` when a variable has no value.
    pub fn eval(&self, vals: &HashMap<VarId, Q>) -> Option<Q> {
        let mut sum = Q::zero();
        for (m, c) in &self.terms {
            let mut t = c.clone();
            for (v, e) in m {
                let val = vals.get(v)?;
                for _ in 0..*e {
                    t *= val;
                }
            }
            sum += t;
        }
        Some(sum)
    }

    /// Readable form with ASCII signs, highest degree first: `2 x^2 - x + 1`.
    pub fn render(&self, name: &dyn Fn(VarId) -> String) -> String {
        if self.terms.is_empty() {
            return "0".to_string();
        }
        let mut terms: Vec<(&Mono, &Q)> = self.terms.iter().collect();
        terms.sort_by(|a, b| {
            let da: u32 = a.0.iter().map(|(_, e)| e).sum();
            let db: u32 = b.0.iter().map(|(_, e)| e).sum();
            db.cmp(&da).then_with(|| a.0.cmp(b.0))
        });
        let mut s = String::new();
        for (i, (m, c)) in terms.iter().enumerate() {
            let neg = c.is_negative();
            let mag = c.abs();
            if i == 0 {
                if neg {
                    s.push('-');
                }
            } else {
                s.push_str(if neg { " - " } else { " + " });
            }
            let factors: Vec<String> = m
                .iter()
                .map(|(v, e)| {
                    if *e == 1 {
                        name(*v)
                    } else {
                        format!("{}^{}", name(*v), e)
                    }
                })
                .collect();
            if factors.is_empty() {
                s.push_str(&mag.to_string());
            } else {
                if !mag.is_one() {
                    s.push_str(&mag.to_string());
                    s.push(' ');
                }
                s.push_str(&factors.join(" "));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn arithmetic_and_rendering() {
        let x = Poly::var(0);
        let p = x.mul(&x).scale(&q(2, 1)).sub(&x).add(&Poly::int(1));
        let name = |v: VarId| ["x", "a"][v].to_string();
        assert_eq!(p.render(&name), "2 x^2 - x + 1");
        assert_eq!(p.degree_in(0), 2);
        assert_eq!(p.coeff_in(0, 1), Poly::int(-1));
        // p(a + 1) = 2a^2 + 3a + 2
        let s = p.subst(0, &Poly::var(1).add(&Poly::int(1)));
        assert_eq!(s.render(&name), "2 a^2 + 3 a + 2");
        assert_eq!(p.sub(&p), Poly::zero());
        let mut vals = HashMap::new();
        vals.insert(0, q(1, 2));
        assert_eq!(p.eval(&vals), Some(q(1, 1)));
    }
}
