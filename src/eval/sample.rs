//! Sample points: sizes for the symbolic dimensions, values for every
//! variable and given sequence element, and a concrete smooth function for
//! every declared `fun`, all honouring the declared attributes and `assume`s.
//!
//! Every drawn value is a rational and its nearest float, so one instance can
//! be evaluated both exactly and in floating point. Exact draws are rationals
//! `p/q` (one random `q` in 256..=1024 per point) of unit or mixed magnitude;
//! float draws are the nearest doubles and therefore exactly representable.
//! A [`Plan`] says which sizes, scale and `fun` family a point gets.

use super::linalg::Matrix;
use super::scalar::Scalar;
use super::{EvalError, IdxEnv, eval};
use crate::ir::{self, Attr, CmpOp, FunKind, Program, SeqPiece, Shape};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Rejection sampling gives up after this many draws.
const MAX_TRIES: u32 = 200;
/// Largest size drawn for a symbolic dimension (sizes are 1..=MAX_SIZE).
pub const MAX_SIZE: u64 = 8;
/// Number of size configurations before they repeat with new random sizes:
/// all ones, all distinct, all equal, then independent draws.
pub const SIZE_CONFIGS: u32 = 3;

/// How one point is drawn beyond its seed: the sizes of the symbolic
/// dimensions, the scale of the entries and the family of each `fun`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// 0: every symbolic dimension is 1; 1: distinct sizes; 2: all equal
    /// (2..=MAX_SIZE); 3 and up: each independently in 1..=MAX_SIZE.
    pub sizes: u32,
    /// Entries of mixed magnitude, 10⁻³ to 10³ (else magnitude 10⁻³ to 3).
    pub wide: bool,
    /// Which float family instantiates each `fun` (exact instances are
    /// always polynomials).
    pub family: u32,
}

/// SplitMix64: small, fast and reproducible across platforms.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform integer in `lo..=hi`.
    pub fn int_in(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1).max(1) as u64;
        lo + (self.next_u64() % span) as i64
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Combines seed parts into one well-mixed seed.
fn mix(parts: &[u64]) -> u64 {
    let mut r = Rng::new(0x6772_6164_7072_6f6f);
    let mut h = 0;
    for &p in parts {
        r.0 ^= p.wrapping_add(h);
        h = r.next_u64();
    }
    h
}

fn ratio(n: i64, d: i64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

/// A drawn value, exactly and as floats.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub exact: Matrix<BigRational>,
    pub float: Matrix<f64>,
}

impl Value {
    pub fn from_exact(exact: Matrix<BigRational>) -> Value {
        let float = exact.map(|x| ToPrimitive::to_f64(x).unwrap_or(f64::NAN));
        Value { exact, float }
    }
    pub fn to<S: Scalar>(&self) -> Matrix<S> {
        Matrix::new(
            self.exact.rows,
            self.exact.cols,
            self.exact
                .data
                .iter()
                .zip(&self.float.data)
                .map(|(e, f)| S::from_value(e, *f))
                .collect(),
        )
    }
}

/// A coefficient of a drawn function.
#[derive(Clone, Debug, PartialEq)]
pub struct Coef {
    pub exact: BigRational,
    pub float: f64,
}

impl Coef {
    fn get<S: Scalar>(&self) -> S {
        S::from_value(&self.exact, self.float)
    }
}

/// The concrete function drawn for one `fun` declaration. Exact instances
/// are polynomials of degree 3 to 6 (so claims about unspecified functions
/// can be evaluated exactly, and a claim true only for quadratics fails);
/// float instances come from several non-polynomial families.
// One instance per declared `fun`: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum FunInst {
    Elementwise(ElemInst),
    Map(MapFn),
}

/// The families of an elementwise `fun`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemFamily {
    /// `Σ_k c_k z^k` (exact instances).
    Poly,
    /// `c0·tanh(c1·z + c2) + c3·z + c4`
    Tanh,
    /// `c0·sin(c1·z + c2) + c3·z + c4·tanh(z)` (a bounded derivative, so
    /// recurrences of it do not overflow)
    Sin,
    /// `c0·exp(c1·tanh(z + c2)) + c3·z`
    ExpTanh,
}

/// One elementwise instance: its family and coefficients.
#[derive(Clone, Debug)]
pub struct ElemInst {
    pub family: ElemFamily,
    c: Vec<Coef>,
}

/// `L(x)_j = Σ_i a_ji·φ(b_ji·x_i + c_ji) + m_jᵀx + ½ xᵀQ_j x + r_j·ρ(w_jᵀx + s_j)`
/// with φ = sin, ρ = tanh (float) or φ(u) = u³/6, ρ(u) = u³/6 (exact); x is
/// the flattened input. The last term couples all inputs non-quadratically.
#[derive(Clone, Debug)]
pub struct MapFn {
    exact: bool,
    n_in: usize,
    n_out: usize,
    a: Vec<Coef>,
    b: Vec<Coef>,
    c: Vec<Coef>,
    m: Vec<Coef>,
    /// n_out blocks of a symmetric n_in × n_in matrix.
    q: Vec<Coef>,
    w: Vec<Coef>,
    s: Vec<Coef>,
    r: Vec<Coef>,
}

impl FunInst {
    /// φ or φ' of the map family.
    fn phi<S: Scalar>(exact: bool, u: &S, prime: bool) -> Result<S, EvalError> {
        match (exact, prime) {
            (false, false) => u.sin(),
            (false, true) => u.cos(),
            (true, false) => u.mul(u).mul(u).div(&S::from_i64(6)),
            (true, true) => u.mul(u).div(&S::from_i64(2)),
        }
    }
    /// ρ or ρ' of the map family's coupling term.
    fn rho<S: Scalar>(exact: bool, u: &S, prime: bool) -> Result<S, EvalError> {
        match (exact, prime) {
            (false, false) => u.tanh(),
            (false, true) => {
                let t = u.tanh()?;
                Ok(S::one().sub(&t.mul(&t)))
            }
            (true, _) => Self::phi(true, u, prime),
        }
    }

    /// `g(z)` (or `g'(z)`) for one entry of an elementwise function.
    pub fn apply_elem<S: Scalar>(&self, z: &S, prime: bool) -> Result<S, EvalError> {
        let FunInst::Elementwise(ElemInst { family, c }) = self else {
            return Err(EvalError::Unsupported(
                "a map function applied elementwise".into(),
            ));
        };
        let k = |i: usize| c[i].get::<S>();
        match family {
            ElemFamily::Poly => {
                // Horner, for the polynomial or its derivative.
                let mut acc = S::zero();
                if prime {
                    for i in (1..c.len()).rev() {
                        acc = acc.mul(z).add(&k(i).mul(&S::from_i64(i as i64)));
                    }
                } else {
                    for i in (0..c.len()).rev() {
                        acc = acc.mul(z).add(&k(i));
                    }
                }
                Ok(acc)
            }
            ElemFamily::Tanh => {
                let t = k(1).mul(z).add(&k(2)).tanh()?;
                if prime {
                    Ok(k(0).mul(&k(1)).mul(&S::one().sub(&t.mul(&t))).add(&k(3)))
                } else {
                    Ok(k(0).mul(&t).add(&k(3).mul(z)).add(&k(4)))
                }
            }
            ElemFamily::Sin => {
                let u = k(1).mul(z).add(&k(2));
                let t = z.tanh()?;
                if prime {
                    Ok(k(0)
                        .mul(&k(1))
                        .mul(&u.cos()?)
                        .add(&k(3))
                        .add(&k(4).mul(&S::one().sub(&t.mul(&t)))))
                } else {
                    Ok(k(0).mul(&u.sin()?).add(&k(3).mul(z)).add(&k(4).mul(&t)))
                }
            }
            ElemFamily::ExpTanh => {
                let t = z.add(&k(2)).tanh()?;
                let e = k(1).mul(&t).exp()?;
                if prime {
                    Ok(k(0)
                        .mul(&k(1))
                        .mul(&e)
                        .mul(&S::one().sub(&t.mul(&t)))
                        .add(&k(3)))
                } else {
                    Ok(k(0).mul(&e).add(&k(3).mul(z)))
                }
            }
        }
    }

    /// The map family's parameters, for an input of `len` entries.
    fn map_for(&self, len: usize) -> Result<&MapFn, EvalError> {
        let FunInst::Map(f) = self else {
            return Err(EvalError::Unsupported(
                "an elementwise function applied as a map".into(),
            ));
        };
        if len != f.n_in {
            return Err(EvalError::Unsupported(format!(
                "function expects {} inputs, got {len}",
                f.n_in
            )));
        }
        Ok(f)
    }

    /// `w_jᵀx + s_j` of the coupling term.
    fn coupling<S: Scalar>(f: &MapFn, j: usize, x: &[S]) -> S {
        let mut u = f.s[j].get::<S>();
        for (i, xi) in x.iter().enumerate() {
            u = u.add(&f.w[j * f.n_in + i].get::<S>().mul(xi));
        }
        u
    }

    /// `L(x)` as a flat vector of `n_out` entries.
    pub fn apply_map<S: Scalar>(&self, x: &[S]) -> Result<Vec<S>, EvalError> {
        let f = self.map_for(x.len())?;
        let MapFn {
            exact,
            n_in,
            n_out,
            a,
            b,
            c,
            m,
            q,
            r,
            ..
        } = f;
        let mut out = Vec::with_capacity(*n_out);
        for j in 0..*n_out {
            let mut acc = S::zero();
            for i in 0..*n_in {
                let k = j * n_in + i;
                let u = b[k].get::<S>().mul(&x[i]).add(&c[k].get::<S>());
                acc = acc.add(&a[k].get::<S>().mul(&Self::phi(*exact, &u, false)?));
                acc = acc.add(&m[k].get::<S>().mul(&x[i]));
                let mut qx = S::zero();
                for l in 0..*n_in {
                    qx = qx.add(&q[j * n_in * n_in + i * n_in + l].get::<S>().mul(&x[l]));
                }
                acc = acc.add(&x[i].mul(&qx).div(&S::from_i64(2))?);
            }
            let u = Self::coupling(f, j, x);
            acc = acc.add(&r[j].get::<S>().mul(&Self::rho(*exact, &u, false)?));
            out.push(acc);
        }
        Ok(out)
    }

    /// `L'(x)`: the gradient of a scalar-valued map, flat, same length as x.
    pub fn apply_map_grad<S: Scalar>(&self, x: &[S]) -> Result<Vec<S>, EvalError> {
        let f = self.map_for(x.len())?;
        let MapFn {
            exact,
            n_in,
            n_out,
            a,
            b,
            c,
            m,
            q,
            w,
            r,
            ..
        } = f;
        if *n_out != 1 {
            return Err(EvalError::Unsupported(
                "L' is the gradient of a scalar-valued function".into(),
            ));
        }
        let u = Self::coupling(f, 0, x);
        let coupled = r[0].get::<S>().mul(&Self::rho(*exact, &u, true)?);
        let mut out = Vec::with_capacity(*n_in);
        for i in 0..*n_in {
            let bi = b[i].get::<S>();
            let u = bi.mul(&x[i]).add(&c[i].get::<S>());
            let mut g = a[i]
                .get::<S>()
                .mul(&bi)
                .mul(&Self::phi(*exact, &u, true)?)
                .add(&m[i].get::<S>());
            // Q is symmetric, so the gradient of ½ xᵀQx is Qx.
            for l in 0..*n_in {
                g = g.add(&q[i * n_in + l].get::<S>().mul(&x[l]));
            }
            g = g.add(&coupled.mul(&w[i].get::<S>()));
            out.push(g);
        }
        Ok(out)
    }
}

/// How to draw one sample point.
#[derive(Clone, Debug, Default)]
pub struct SampleOptions {
    pub seed: u64,
    /// which draw (0, 1, 2, ...): different draws give different points and fun instances
    pub draw: u32,
    /// fixed sizes for some dims (the checker sets time dims like T to 1..6 this way)
    pub dim_overrides: Vec<(ir::DimId, u64)>,
    /// draw exact rationals and polynomial `fun`s (else doubles and non-polynomial `fun`s)
    pub exact: bool,
}

/// Concrete values for one sample point: dimension sizes, every variable's
/// value, every sequence's given elements (drawn lazily, deterministically per
/// (seq, time, seed, draw)), each declared `fun` instantiated with a random
/// smooth function, all honouring attributes and `assume`s.
#[derive(Debug)]
pub struct Instance {
    pub exact: bool,
    /// Entries of mixed magnitude (see [`Plan::wide`]).
    pub wide: bool,
    /// The denominator of this point's entries.
    den: i64,
    seed: u64,
    draw: u32,
    /// Which rejection-sampling attempt produced the values (part of the
    /// seed of lazily drawn sequence elements).
    attempt: u32,
    dims: Vec<usize>,
    vars: Vec<Value>,
    funs: Vec<FunInst>,
    seq_given: Mutex<HashMap<(ir::SeqId, i64), Arc<Value>>>,
}

impl Instance {
    pub fn dim(&self, d: ir::Dim) -> usize {
        d.size_with(|id| Some(self.dims.get(id).copied().unwrap_or(1) as u64))
            .unwrap_or(1) as usize
    }
    /// `(rows, cols)` of a shape at this instance.
    pub fn shape_dims(&self, s: Shape) -> (usize, usize) {
        (self.dim(s.rows), self.dim(s.cols))
    }
    /// The size of every dimension (fixed ones included), in declaration order.
    pub fn sizes(&self) -> &[usize] {
        &self.dims
    }
    /// A random direction for every variable that can move within its
    /// attributes (none for `onehot`; symmetric for `symmetric`/`spd`; sum
    /// zero for `simplex`): a kink argument that is exactly zero at the
    /// point but changes along it is a point on a kink, not a structural zero.
    pub fn directions(&self, prog: &Program, salt: u64) -> Vec<(ir::VarId, Matrix<BigRational>)> {
        let mut rng = Rng::new(mix(&[self.seed, self.draw as u64, 0xd1, salt]));
        let mut out = Vec::new();
        for (v, decl) in prog.vars.iter().enumerate() {
            let Some(val) = self.vars.get(v) else {
                continue;
            };
            let has = |a: Attr| decl.attrs.contains(&a);
            if has(Attr::Onehot) || has(Attr::OnehotRows) {
                continue;
            }
            let (r, c) = (val.exact.rows, val.exact.cols);
            let mut d = Matrix::new(
                r,
                c,
                (0..r * c)
                    .map(|_| {
                        let k = rng.int_in(1, 1000) * if rng.int_in(0, 1) == 1 { 1 } else { -1 };
                        ratio(k, 1)
                    })
                    .collect(),
            );
            if (has(Attr::Symmetric) || has(Attr::Spd)) && r == c {
                for i in 0..r {
                    for j in 0..i {
                        d.data[i * c + j] = d.data[j * c + i].clone();
                    }
                }
            }
            if has(Attr::Simplex) && !d.data.is_empty() {
                let total = d
                    .data
                    .iter()
                    .fold(<BigRational as Zero>::zero(), |a, b| a + b);
                let mean = total / ratio(d.data.len() as i64, 1);
                for x in &mut d.data {
                    *x -= &mean;
                }
            }
            if has(Attr::SimplexRows) && c > 0 {
                for row in d.data.chunks_mut(c) {
                    let total = row.iter().fold(<BigRational as Zero>::zero(), |a, b| a + b);
                    let mean = total / ratio(c as i64, 1);
                    for x in row {
                        *x -= &mean;
                    }
                }
            }
            out.push((v, d));
        }
        out
    }
    pub fn var(&self, v: ir::VarId) -> &Value {
        &self.vars[v]
    }
    /// Replaces a variable's value (e.g. to evaluate at a chosen point).
    pub fn set_var(&mut self, v: ir::VarId, value: Matrix<BigRational>) {
        self.vars[v] = Value::from_exact(value);
    }
    pub fn fun(&self, f: ir::FunId) -> &FunInst {
        &self.funs[f]
    }
    /// Replaces a given sequence element.
    pub fn set_seq(&mut self, s: ir::SeqId, t: i64, value: Matrix<BigRational>) {
        self.cache()
            .insert((s, t), Arc::new(Value::from_exact(value)));
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<(ir::SeqId, i64), Arc<Value>>> {
        // A poisoned lock only means another thread panicked mid-insert of a
        // complete value; the map itself is still consistent.
        self.seq_given.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The given element `s[t]`, drawn on first use.
    pub fn seq_given(&self, prog: &Program, s: ir::SeqId, t: i64) -> Result<Arc<Value>, EvalError> {
        if let Some(v) = self.cache().get(&(s, t)) {
            return Ok(v.clone());
        }
        let decl = &prog.seqs[s];
        let attrs = decl
            .pieces
            .iter()
            .find_map(|p| match p {
                SeqPiece::GivenAt { at, attrs, .. } if *at == t => Some(attrs),
                _ => None,
            })
            .or_else(|| {
                decl.pieces.iter().find_map(|p| match p {
                    SeqPiece::GivenEvery { attrs, .. } => Some(attrs),
                    _ => None,
                })
            })
            .ok_or_else(|| EvalError::Unsupported(format!("{}[{t}] is not given", decl.name)))?;
        let mut rng = Rng::new(mix(&[
            self.seed,
            self.draw as u64,
            self.attempt as u64,
            0x5e9,
            s as u64,
            t as u64,
        ]));
        let (r, c) = self.shape_dims(decl.shape);
        let v = Arc::new(Value::from_exact(draw_value(
            &mut rng, r, c, attrs, self.exact, self.wide, self.den,
        )?));
        self.cache().insert((s, t), v.clone());
        Ok(v)
    }

    /// The sizes `dims`, then the values of `vars` and of the drawn
    /// elements of `seqs`: what a counterexample depends on. Sequences
    /// longer than `MAX_LISTED_TIMES` elements keep their ends only.
    pub fn point(
        &self,
        prog: &Program,
        dims: &[ir::DimId],
        vars: &[ir::VarId],
        seqs: &[ir::SeqId],
    ) -> Vec<PointEntry> {
        let mut parts = Vec::new();
        for &id in dims {
            if let Some(d) = prog.dims.get(id) {
                parts.push(PointEntry::Size {
                    name: d.name.clone(),
                    value: self.dim(ir::Dim::Sym(id)),
                });
            }
        }
        for &v in vars {
            if let (Some(decl), Some(val)) = (prog.vars.get(v), self.vars.get(v)) {
                parts.push(self.entry(decl.name.clone(), val));
            }
        }
        let cache = self.cache();
        for &s in seqs {
            let mut times: Vec<i64> = cache.keys().filter(|k| k.0 == s).map(|k| k.1).collect();
            times.sort_unstable();
            let name = prog.seqs.get(s).map_or("?", |d| d.name.as_str());
            // A long sequence is summarised: its first and last elements
            // reproduce the point together with the seed.
            let shown = |t: &i64| self.entry(format!("{name}[{t}]"), &cache[&(s, *t)]);
            if times.len() > MAX_LISTED_TIMES {
                let (head, tail) = (&times[..3], &times[times.len() - 2..]);
                parts.extend(head.iter().map(shown));
                parts.push(PointEntry::More {
                    count: times.len() - 5,
                    of: name.to_string(),
                });
                parts.extend(tail.iter().map(shown));
            } else {
                parts.extend(times.iter().map(shown));
            }
        }
        parts
    }

    /// [`Instance::point`] as text: `n = 2, x = [1, 2]`.
    pub fn describe(
        &self,
        prog: &Program,
        dims: &[ir::DimId],
        vars: &[ir::VarId],
        seqs: &[ir::SeqId],
    ) -> String {
        let parts: Vec<String> = self
            .point(prog, dims, vars, seqs)
            .iter()
            .map(|e| e.to_string())
            .collect();
        parts.join(", ")
    }

    fn entry(&self, name: String, v: &Value) -> PointEntry {
        let value = if self.exact {
            PointValue::Exact(v.exact.clone())
        } else {
            PointValue::Float(v.float.clone())
        };
        PointEntry::Value { name, value }
    }
}

/// One part of a sample point: a size, or an input's value.
#[derive(Clone, Debug, PartialEq)]
pub enum PointEntry {
    /// `n = 3`
    Size { name: String, value: usize },
    /// `x = [1, 2]`, `h[0] = 0.5`
    Value { name: String, value: PointValue },
    /// `… (4 more elements of h)`
    More { count: usize, of: String },
}

/// An input's value as the point holds it: exact when the point is exact.
#[derive(Clone, Debug, PartialEq)]
pub enum PointValue {
    Exact(Matrix<BigRational>),
    Float(Matrix<f64>),
}

/// Exact values written exactly, floats to 4 significant digits.
impl std::fmt::Display for PointEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PointEntry::Size { name, value } => write!(f, "{name} = {value}"),
            PointEntry::Value { name, value } => {
                let shown = match value {
                    PointValue::Exact(m) => show_matrix(&m.map(|x| x.to_string())),
                    PointValue::Float(m) => show_matrix(&m.map(|x| round_sig(*x, 4))),
                };
                write!(f, "{name} = {shown}")
            }
            PointEntry::More { count, of } => write!(f, "… ({count} more elements of {of})"),
        }
    }
}

/// Elements of one sequence listed in full in a counterexample.
const MAX_LISTED_TIMES: usize = 8;

/// A computed value for messages (counterexamples): exact values written
/// exactly, floats (and the value parts of duals) to 4 significant digits.
pub fn show_value<S: Scalar>(m: &Matrix<S>) -> String {
    if S::EXACT && S::DEPTH == 0 {
        show_matrix(&m.map(|x| x.show()))
    } else {
        show_matrix(&m.map(|x| round_sig(x.to_f64(), 4)))
    }
}

/// Writes out matrices of up to 64 entries; larger ones are summarised.
pub fn show_matrix(m: &Matrix<String>) -> String {
    if m.is_scalar() {
        return m.data[0].clone();
    }
    if m.len() > 64 {
        return format!("<{}x{} matrix, first entry {}>", m.rows, m.cols, m.data[0]);
    }
    let row = |i: usize| m.data[i * m.cols..(i + 1) * m.cols].join(", ");
    if m.cols == 1 {
        format!("[{}]", m.data.join(", "))
    } else {
        let rows: Vec<String> = (0..m.rows).map(|i| format!("[{}]", row(i))).collect();
        format!("[{}]", rows.join(", "))
    }
}

/// A float rounded to `sig` significant digits, without trailing zeros.
pub fn round_sig(x: f64, sig: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-4..4).contains(&mag) {
        return format!("{:.*e}", (sig - 1) as usize, x);
    }
    let decimals = (sig - 1 - mag).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Largest value (in entries) drawn or built; fixed dimensions can be large
/// enough that a dense value would not fit in memory.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Err(Unsupported) for a value too large to build densely.
pub fn check_size(rows: usize, cols: usize) -> Result<(), EvalError> {
    match rows.checked_mul(cols) {
        Some(n) if n <= MAX_ENTRIES => Ok(()),
        _ => Err(EvalError::Unsupported(format!(
            "a {rows}x{cols} value is too large to evaluate numerically"
        ))),
    }
}

/// One entry. The point's denominator `q` (drawn from 256..=1024 per point,
/// shared by its entries so exact sums stay small) gives unit entries
/// `p/q` of magnitude 1/q to 3 (thousands of values, so a non-zero
/// polynomial of degree d vanishes at a random point with probability at
/// most about d/6000), and wide entries `(p/q)·10^e` with `p/q` in [1, 10)
/// and `e` in -3..=3. Float draws are the nearest double, so they are
/// exact rationals too.
///
/// Positive entries at wide points go further, all of a point's together:
/// the point's denominator picks mixed (`e` in -3..=3), tiny (-12..=-4) or
/// huge (4..=12), so a claim that fails only for p < 10⁻⁴ or p > 10⁴, or
/// for a product of several small entries, meets such a point.
fn draw_entry(rng: &mut Rng, exact: bool, positive: bool, wide: bool, q: i64) -> BigRational {
    let negative = !positive && rng.int_in(0, 1) == 1;
    let mut v = if wide {
        let (lo, hi) = match (positive, q % 3) {
            (true, 1) => (-12, -4),
            (true, 2) => (4, 12),
            _ => (-3, 3),
        };
        let e = rng.int_in(lo, hi);
        let p = rng.int_in(q, 10 * q - 1);
        let ten = BigInt::from(10).pow(e.unsigned_abs() as u32);
        if e >= 0 {
            BigRational::new(BigInt::from(p) * ten, BigInt::from(q))
        } else {
            BigRational::new(BigInt::from(p), BigInt::from(q) * ten)
        }
    } else {
        ratio(rng.int_in(1, 3 * q), q)
    };
    if negative {
        v = -v;
    }
    if exact { v } else { to_double(&v) }
}

/// The rational value of the double nearest to `v`.
fn to_double(v: &BigRational) -> BigRational {
    let f = ToPrimitive::to_f64(v).unwrap_or(0.0);
    BigRational::from_float(f).unwrap_or_else(|| v.clone())
}

/// A coefficient uniform in [lo, hi] with denominator `den`.
fn draw_coef_den(rng: &mut Rng, lo: f64, hi: f64, den: i64) -> Coef {
    let k = rng.int_in(
        (lo * den as f64).ceil() as i64,
        (hi * den as f64).floor() as i64,
    );
    let exact = ratio(k, den);
    Coef {
        float: ToPrimitive::to_f64(&exact).unwrap_or(0.0),
        exact,
    }
}

/// A coefficient uniform in [lo, hi] (multiples of 1/64 when exact, so
/// polynomial instances stay cheap; dyadic 2⁻²⁰ otherwise).
fn draw_coef(rng: &mut Rng, exact: bool, lo: f64, hi: f64) -> Coef {
    draw_coef_den(rng, lo, hi, if exact { 64 } else { 1 << 20 })
}

/// A diagonal factor of spd and invertible matrices: `p/q` in [1, 2),
/// times `10^(e/2)` with `e` in -3..=3 on wide points, so the pivots of one
/// matrix spread over a factor of up to 2000 (condition numbers up to a few
/// 10⁶ for spd `P C P`, 10³ for invertible `L P U`).
fn draw_pivot(rng: &mut Rng, exact: bool, wide: bool, q: i64) -> BigRational {
    let v = ratio(rng.int_in(q, 2 * q - 1), q);
    let v = if wide {
        let e = rng.int_in(-3, 3);
        // 10^(e/2) as a rational: 10^(e div 2), times 3.16 for odd e.
        let half = if e.rem_euclid(2) == 1 {
            ratio(316, 100)
        } else {
            ratio(1, 1)
        };
        let ten = BigRational::from_integer(BigInt::from(10));
        let p = e.div_euclid(2);
        let scale = if p >= 0 {
            num_traits::pow(ten, p as usize)
        } else {
            num_traits::pow(ten, (-p) as usize).recip()
        };
        v * half * scale
    } else {
        v
    };
    if exact { v } else { to_double(&v) }
}

/// A unit triangular matrix (lower, or upper when `upper`) whose other
/// entries have magnitude below 1/n: well conditioned for every n.
fn unit_triangular(rng: &mut Rng, n: usize, q: i64, upper: bool) -> Matrix<BigRational> {
    let mut m = Matrix::zeros(n, n);
    let scale = ratio(1, 3 * n.max(1) as i64);
    for i in 0..n {
        m.data[i * n + i] = ratio(1, 1);
        for j in 0..n {
            if (upper && j > i) || (!upper && j < i) {
                m.data[i * n + j] = draw_entry(rng, true, false, false, q) * &scale;
            }
        }
    }
    m
}

fn random_matrix(
    rng: &mut Rng,
    rows: usize,
    cols: usize,
    exact: bool,
    positive: bool,
    wide: bool,
    q: i64,
) -> Matrix<BigRational> {
    Matrix::new(
        rows,
        cols,
        (0..rows * cols)
            .map(|_| draw_entry(rng, exact, positive, wide, q))
            .collect(),
    )
}

/// A value of shape rows × cols satisfying every attribute (unit scale).
pub fn draw_matrix(
    rng: &mut Rng,
    rows: usize,
    cols: usize,
    attrs: &[Attr],
    exact: bool,
) -> Result<Matrix<BigRational>, EvalError> {
    let q = rng.int_in(256, 1024);
    draw_value(rng, rows, cols, attrs, exact, false, q)
}

/// A value satisfying every attribute, drawn up to the attribute's
/// boundary: simplex entries near 0, positive entries tiny and huge, spd
/// matrices built as `P C P` and invertible ones as `L P U` from well
/// conditioned unit triangular factors and a diagonal `P` of spread pivots,
/// so they are non-singular by construction and their condition numbers
/// reach about 10⁶ on wide points.
/// `k` positive entries summing to 1 exactly (their floats are the nearest
/// doubles) in both arithmetics. On wide points each weight has its own
/// magnitude 10⁻¹²..10³, so entries reach far towards 0 (near a vertex or
/// an edge).
fn simplex_weights(rng: &mut Rng, k: usize, wide: bool, q: i64) -> Vec<BigRational> {
    let w: Vec<BigRational> = (0..k)
        .map(|_| {
            let v = draw_entry(rng, true, true, false, q);
            if wide {
                let e = rng.int_in(-12, 3);
                let ten = BigRational::from_integer(BigInt::from(10));
                if e >= 0 {
                    v * num_traits::pow(ten, e as usize)
                } else {
                    v / num_traits::pow(ten, (-e) as usize)
                }
            } else {
                v
            }
        })
        .collect();
    let total = w.iter().fold(<BigRational as Zero>::zero(), |a, b| a + b);
    w.into_iter().map(|x| x / &total).collect()
}

pub fn draw_value(
    rng: &mut Rng,
    rows: usize,
    cols: usize,
    attrs: &[Attr],
    exact: bool,
    wide: bool,
    q: i64,
) -> Result<Matrix<BigRational>, EvalError> {
    check_size(rows, cols)?;
    let has = |a: Attr| attrs.contains(&a);
    let positive = has(Attr::Positive);
    let square = rows == cols;
    let n = rows;
    for _ in 0..MAX_TRIES {
        let mut m = if has(Attr::Onehot) {
            let mut m = Matrix::zeros(rows, cols);
            let k = rng.int_in(0, (rows * cols) as i64 - 1) as usize;
            m.data[k] = ratio(1, 1);
            m
        } else if has(Attr::OnehotRows) {
            let mut m = Matrix::zeros(rows, cols);
            for r in 0..rows {
                let k = rng.int_in(0, cols as i64 - 1) as usize;
                m.data[r * cols + k] = ratio(1, 1);
            }
            m
        } else if has(Attr::Simplex) {
            Matrix::new(rows, cols, simplex_weights(rng, rows * cols, wide, q))
        } else if has(Attr::SimplexRows) {
            let mut data = Vec::with_capacity(rows * cols);
            for _ in 0..rows {
                data.extend(simplex_weights(rng, cols, wide, q));
            }
            Matrix::new(rows, cols, data)
        } else if has(Attr::Spd) && square && !positive {
            // P C P with C = L Lᵀ, L unit lower triangular with entries
            // below 1/n (well conditioned), P a diagonal of spread pivots.
            let c = unit_triangular(rng, n, q, false);
            let c = c.matmul(&c.transpose())?;
            let p: Vec<BigRational> = (0..n).map(|_| draw_pivot(rng, true, wide, q)).collect();
            let s = Matrix::new(
                n,
                n,
                (0..n * n)
                    .map(|e| &c.data[e] * &p[e / n] * &p[e % n])
                    .collect(),
            );
            if exact { s } else { s.map(to_double) }
        } else if has(Attr::Invertible) && square && !positive && !has(Attr::Symmetric) {
            // L P U with L, U unit triangular (entries below 1/n) and P a
            // diagonal of spread pivots of either sign.
            let lo = unit_triangular(rng, n, q, false);
            let up = unit_triangular(rng, n, q, true);
            let mut lp = lo;
            for j in 0..n {
                let mut p = draw_pivot(rng, true, wide, q);
                if rng.int_in(0, 1) == 1 {
                    p = -p;
                }
                for i in 0..n {
                    lp.data[i * n + j] *= &p;
                }
            }
            let m = lp.matmul(&up)?;
            if exact { m } else { m.map(to_double) }
        } else {
            random_matrix(rng, rows, cols, exact, positive, wide, q)
        };
        if (has(Attr::Symmetric) || has(Attr::Spd)) && square {
            for i in 0..rows {
                for j in 0..i {
                    m.data[i * cols + j] = m.data[j * cols + i].clone();
                }
            }
        }
        if (has(Attr::Invertible) || has(Attr::Spd)) && square && m.det()?.is_zero() {
            continue;
        }
        return Ok(m);
    }
    Err(EvalError::Undefined(format!(
        "no {rows}x{cols} value satisfying {attrs:?} found in {MAX_TRIES} draws"
    )))
}

fn draw_fun(
    rng: &mut Rng,
    kind: &FunKind,
    dims: &dyn Fn(Shape) -> usize,
    exact: bool,
    family: u32,
) -> Result<FunInst, EvalError> {
    Ok(match kind {
        FunKind::Elementwise => {
            let sign = |rng: &mut Rng, c: Coef| {
                if rng.int_in(0, 1) == 1 {
                    Coef {
                        exact: -c.exact,
                        float: -c.float,
                    }
                } else {
                    c
                }
            };
            if exact {
                // Degree 3 to 6 with a non-zero leading coefficient.
                let degree = rng.int_in(3, 6) as usize;
                let mut c: Vec<Coef> = (0..degree)
                    .map(|_| draw_coef(rng, true, -1.0, 1.0))
                    .collect();
                let lead = draw_coef(rng, true, 0.25, 1.0);
                c.push(sign(rng, lead));
                FunInst::Elementwise(ElemInst {
                    family: ElemFamily::Poly,
                    c,
                })
            } else {
                let family = match family % 3 {
                    0 => ElemFamily::Tanh,
                    1 => ElemFamily::Sin,
                    _ => ElemFamily::ExpTanh,
                };
                let a = draw_coef(rng, false, 0.5, 1.5);
                let a = sign(rng, a);
                let c = vec![
                    a,
                    draw_coef(rng, false, 0.5, 1.5),
                    draw_coef(rng, false, -0.5, 0.5),
                    draw_coef(rng, false, -0.5, 0.5),
                    draw_coef(rng, false, -0.5, 0.5),
                ];
                FunInst::Elementwise(ElemInst { family, c })
            }
        }
        FunKind::Map { from, to } => {
            let n_in = dims(*from);
            let n_out = dims(*to);
            check_size(n_out.saturating_mul(n_in), n_in)?;
            let mut many = |n: usize, lo: f64, hi: f64| -> Vec<Coef> {
                (0..n).map(|_| draw_coef(rng, exact, lo, hi)).collect()
            };
            let a = many(n_out * n_in, -1.0, 1.0);
            let b = many(n_out * n_in, 0.5, 1.5);
            let c = many(n_out * n_in, -1.0, 1.0);
            let m = many(n_out * n_in, -0.5, 0.5);
            let mut q = many(n_out * n_in * n_in, -0.5, 0.5);
            let w = many(n_out * n_in, -1.0, 1.0);
            let s = many(n_out, -0.5, 0.5);
            let r = many(n_out, 0.25, 1.0);
            for j in 0..n_out {
                for i in 0..n_in {
                    for l in 0..i {
                        q[j * n_in * n_in + i * n_in + l] =
                            q[j * n_in * n_in + l * n_in + i].clone();
                    }
                }
            }
            FunInst::Map(MapFn {
                exact,
                n_in,
                n_out,
                a,
                b,
                c,
                m,
                q,
                w,
                s,
                r,
            })
        }
    })
}

/// Sizes of the symbolic dimensions for a size configuration (see
/// [`Plan::sizes`]); fixed dimensions and overrides keep their value.
fn draw_sizes(prog: &Program, opts: &SampleOptions, plan: &Plan, rng: &mut Rng) -> Vec<usize> {
    let fixed = |id: usize| -> Option<u64> {
        opts.dim_overrides
            .iter()
            .find(|(d, _)| *d == id)
            .map(|(_, v)| *v)
            .or(prog.dims[id].value)
    };
    let symbolic: Vec<usize> = (0..prog.dims.len())
        .filter(|&i| fixed(i).is_none())
        .collect();
    let mut dims: Vec<usize> = (0..prog.dims.len())
        .map(|i| fixed(i).unwrap_or(1) as usize)
        .collect();
    match plan.sizes {
        0 => {}
        1 => {
            // Distinct from each other and from the fixed sizes, so a
            // swapped dimension cannot hide.
            let taken: Vec<u64> = (0..prog.dims.len()).filter_map(fixed).collect();
            let mut pool: Vec<u64> = (2..=MAX_SIZE).filter(|v| !taken.contains(v)).collect();
            // More dimensions than sizes up to MAX_SIZE: larger ones.
            let more = symbolic.len().saturating_sub(pool.len());
            pool.extend(((MAX_SIZE + 1)..).filter(|v| !taken.contains(v)).take(more));
            rng.shuffle(&mut pool);
            for (&i, &v) in symbolic.iter().zip(&pool) {
                dims[i] = v as usize;
            }
        }
        2 => {
            let v = rng.int_in(2, MAX_SIZE as i64) as usize;
            for &i in &symbolic {
                dims[i] = v;
            }
        }
        _ => {
            for &i in &symbolic {
                dims[i] = rng.int_in(1, MAX_SIZE as i64) as usize;
            }
        }
    }
    dims
}

/// The plan the plain [`sample`] uses for a draw: sizes cycle through the
/// configurations (distinct first), unit-scale entries.
pub fn default_plan(draw: u32) -> Plan {
    Plan {
        // Distinct sizes first, all ones last.
        sizes: (draw + 1) % (SIZE_CONFIGS + 2),
        wide: false,
        family: draw,
    }
}

/// Draws an instance with the default plan of its draw.
pub fn sample(prog: &Program, opts: &SampleOptions) -> Result<Instance, EvalError> {
    sample_with(prog, opts, &default_plan(opts.draw))
}

/// Draws an instance: sizes per the plan's configuration, values honouring
/// every attribute, and `assume`s met strictly inside their region. An
/// assumption with a scalar variable alone on one side is met by
/// construction (`w > 5` draws `w = 5 + gap`, `a < b` draws `b = a + gap`
/// with a positive gap of mixed magnitude); the others by rejection.
pub fn sample_with(
    prog: &Program,
    opts: &SampleOptions,
    plan: &Plan,
) -> Result<Instance, EvalError> {
    let mut rng = Rng::new(mix(&[opts.seed, opts.draw as u64]));
    // Sizes have their own stream, so the values drawn do not depend on
    // which sizes were fixed (a plot keeps its variables across lengths).
    let mut size_rng = Rng::new(mix(&[opts.seed, opts.draw as u64, 0x5123]));
    let dims = draw_sizes(prog, opts, plan, &mut size_rng);
    let mut inst = Instance {
        exact: opts.exact,
        wide: plan.wide,
        den: 256,
        seed: opts.seed,
        draw: opts.draw,
        attempt: 0,
        dims,
        vars: Vec::new(),
        funs: Vec::new(),
        seq_given: Mutex::new(HashMap::new()),
    };
    let funs = {
        let dims = |s: Shape| {
            let (r, c) = inst.shape_dims(s);
            r * c
        };
        prog.funs
            .iter()
            .map(|f| draw_fun(&mut rng, &f.kind, &dims, opts.exact, plan.family))
            .collect::<Result<_, _>>()?
    };
    inst.funs = funs;
    for attempt in 0..MAX_TRIES {
        inst.attempt = attempt;
        inst.den = rng.int_in(256, 1024);
        inst.cache().clear();
        let mut vars = Vec::with_capacity(prog.vars.len());
        for v in &prog.vars {
            let (r, c) = inst.shape_dims(v.shape);
            vars.push(Value::from_exact(draw_value(
                &mut rng, r, c, &v.attrs, opts.exact, plan.wide, inst.den,
            )?));
        }
        inst.vars = vars;
        if !construct_assumptions(prog, &mut inst, &mut rng)? {
            continue;
        }
        if assumptions_hold(prog, &inst)? {
            return Ok(inst);
        }
    }
    Err(EvalError::Undefined(format!(
        "no point satisfying the assumptions found in {MAX_TRIES} draws"
    )))
}

/// A scalar variable alone on one side of an assumption, with the other
/// side free of it (and of definitions, which might use it).
fn lone_var(prog: &Program, side: &ir::Expr, other: &ir::Expr) -> Option<ir::VarId> {
    let ir::Op::Var(v) = side.op else {
        return None;
    };
    let decl = prog.vars.get(v)?;
    let uses = other.any(&|e| {
        matches!(
            e.op,
            ir::Op::Var(w) if w == v
        ) || matches!(e.op, ir::Op::Let(_) | ir::Op::CallLet(_) | ir::Op::SeqAt(_))
    });
    (side.shape.is_scalar() && !decl.attrs.contains(&Attr::Onehot) && !uses).then_some(v)
}

/// Sets each lone variable of an assumption to the other side plus or minus
/// a positive gap of mixed magnitude, or, when assumptions bound it from
/// both sides, to a point of the interval drawn near either end or inside
/// it (fractions of its width from 10⁻⁶ to 1). False when a bound cannot
/// be evaluated or a constructed value breaks its `positive` attribute
/// (the attempt is redrawn). The remaining assumptions are checked by
/// rejection.
fn construct_assumptions(
    prog: &Program,
    inst: &mut Instance,
    rng: &mut Rng,
) -> Result<bool, EvalError> {
    // `v > e` / `v < e`, or `e < v` / `e > v`: (v, e, v is above e).
    fn lone<'p>(prog: &Program, a: &'p ir::Assumption) -> Option<(ir::VarId, &'p ir::Expr, bool)> {
        if let Some(v) = lone_var(prog, &a.lhs, &a.rhs) {
            Some((v, &a.rhs, matches!(a.op, CmpOp::Gt | CmpOp::Ge)))
        } else {
            lone_var(prog, &a.rhs, &a.lhs)
                .map(|v| (v, &a.lhs, matches!(a.op, CmpOp::Lt | CmpOp::Le)))
        }
    }
    let mut done: Vec<ir::VarId> = Vec::new();
    for a in &prog.assumes {
        let Some((v, other, above)) = lone(prog, a) else {
            continue;
        };
        if done.contains(&v) {
            continue;
        }
        let Some(bound) = bound_value(prog, inst, other)? else {
            return Ok(false);
        };
        // The tightest bound on the other side that evaluates now.
        let mut opposite: Option<BigRational> = None;
        for b in &prog.assumes {
            let Some((w, o, above2)) = lone(prog, b) else {
                continue;
            };
            if w != v || above2 == above {
                continue;
            }
            if let Some(x) = bound_value(prog, inst, o)? {
                opposite = Some(match opposite {
                    Some(y) if (above && y < x) || (!above && y > x) => y,
                    _ => x,
                });
            }
        }
        let width = opposite.map(|o| &o - &bound).filter(|w| {
            if above {
                w.is_positive()
            } else {
                w.is_negative()
            }
        });
        let mut value = match width {
            Some(w) => {
                let t = draw_entry(rng, true, true, false, inst.den) / ratio(3, 1);
                let e = rng.int_in(0, 6) as usize;
                let t = t / num_traits::pow(BigRational::from_integer(BigInt::from(10)), e);
                let t = if rng.int_in(0, 1) == 1 {
                    ratio(1, 1) - t
                } else {
                    t
                };
                &bound + w * t
            }
            None => {
                let gap = draw_entry(rng, true, true, true, inst.den);
                if above { bound + gap } else { bound - gap }
            }
        };
        if !inst.exact {
            value = to_double(&value);
        }
        if prog.vars[v].attrs.contains(&Attr::Positive) && !value.is_positive() {
            return Ok(false);
        }
        inst.set_var(v, Matrix::scalar(value));
        done.push(v);
    }
    Ok(true)
}

/// The value of an assumption's bound at the point (None when undefined).
fn bound_value(
    prog: &Program,
    inst: &Instance,
    e: &ir::Expr,
) -> Result<Option<BigRational>, EvalError> {
    let env: IdxEnv = Vec::new();
    match eval::<BigRational>(prog, inst, e, &env, 0.0) {
        Ok(m) => Ok(Some(m.data[0].clone())),
        Err(EvalError::NotExact) => match eval::<f64>(prog, inst, e, &env, 0.0) {
            Ok(m) => Ok(BigRational::from_float(m.data[0])),
            Err(EvalError::Undefined(_)) => Ok(None),
            Err(e) => Err(e),
        },
        Err(EvalError::Undefined(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Strict: a point on an assumption's boundary (`p = 1` for `p <= 1`) is
/// redrawn, because a wrong formula can agree with a right one there.
fn cmp_holds(op: CmpOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Lt | CmpOp::Le => o == Less,
        CmpOp::Gt | CmpOp::Ge => o == Greater,
    }
}

fn holds_in<S: Scalar>(
    prog: &Program,
    inst: &Instance,
    a: &ir::Assumption,
) -> Result<bool, EvalError> {
    let env: IdxEnv = Vec::new();
    let l = eval::<S>(prog, inst, &a.lhs, &env, 0.0)?;
    let r = eval::<S>(prog, inst, &a.rhs, &env, 0.0)?;
    if l.dims() != r.dims() {
        return Err(EvalError::Unsupported(
            "assumption compares different shapes".into(),
        ));
    }
    Ok(l.data
        .iter()
        .zip(&r.data)
        .all(|(x, y)| cmp_holds(a.op, x.cmp_value(y))))
}

/// Whether every `assume` holds; an undefined side counts as not holding.
fn assumptions_hold(prog: &Program, inst: &Instance) -> Result<bool, EvalError> {
    for a in &prog.assumes {
        let r = if inst.exact {
            match holds_in::<BigRational>(prog, inst, a) {
                Err(EvalError::NotExact) => holds_in::<f64>(prog, inst, a),
                r => r,
            }
        } else {
            holds_in::<f64>(prog, inst, a)
        };
        match r {
            Ok(true) => {}
            Ok(false) | Err(EvalError::Undefined(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
