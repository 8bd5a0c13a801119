//! Sample points: sizes for the symbolic dimensions, values for every
//! variable and given sequence element, and a concrete smooth function for
//! every declared `fun`, all honouring the declared attributes and `assume`s.
//!
//! Every drawn value is a rational and its nearest float, so one instance can
//! be evaluated both exactly and in floating point. Float draws are dyadic
//! (multiples of 2⁻²⁰) and therefore exactly representable; exact draws are
//! small quarters so exact evaluation stays cheap.

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
/// Denominator of float-mode draws (dyadic, so exact as f64).
const FLOAT_DEN: i64 = 1 << 20;
/// Denominator of exact-mode draws.
const EXACT_DEN: i64 = 4;

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

/// The concrete function drawn for one `fun` declaration. Float instances
/// use tanh / sin; exact instances use polynomials of the same shape so that
/// claims about unspecified functions can still be evaluated exactly.
// One instance per declared `fun`: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum FunInst {
    /// `g(z) = a·ψ(b·z + c) + d·z + e` with ψ = tanh (float) or ψ(u) = u²/2 (exact).
    Elementwise {
        exact: bool,
        a: Coef,
        b: Coef,
        c: Coef,
        d: Coef,
        e: Coef,
    },
    Map(MapFn),
}

/// `L(x)_j = Σ_i a_ji·φ(b_ji·x_i + c_ji) + m_jᵀx + ½ xᵀQ_j x` with
/// φ = sin (float) or φ(u) = u³/6 (exact); x is the flattened input.
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
}

impl FunInst {
    /// ψ or ψ' of the elementwise family.
    fn psi<S: Scalar>(exact: bool, u: &S, prime: bool) -> Result<S, EvalError> {
        match (exact, prime) {
            (false, false) => u.tanh(),
            (false, true) => {
                let t = u.tanh()?;
                Ok(S::one().sub(&t.mul(&t)))
            }
            (true, false) => u.mul(u).div(&S::from_i64(2)),
            (true, true) => Ok(u.clone()),
        }
    }
    /// φ or φ' of the map family.
    fn phi<S: Scalar>(exact: bool, u: &S, prime: bool) -> Result<S, EvalError> {
        match (exact, prime) {
            (false, false) => u.sin(),
            (false, true) => u.cos(),
            (true, false) => u.mul(u).mul(u).div(&S::from_i64(6)),
            (true, true) => u.mul(u).div(&S::from_i64(2)),
        }
    }

    /// `g(z)` (or `g'(z)`) for one entry of an elementwise function.
    pub fn apply_elem<S: Scalar>(&self, z: &S, prime: bool) -> Result<S, EvalError> {
        let FunInst::Elementwise {
            exact,
            a,
            b,
            c,
            d,
            e,
        } = self
        else {
            return Err(EvalError::Unsupported(
                "a map function applied elementwise".into(),
            ));
        };
        let (a, b, c, d) = (a.get::<S>(), b.get::<S>(), c.get::<S>(), d.get::<S>());
        let u = b.mul(z).add(&c);
        if prime {
            Ok(a.mul(&b).mul(&Self::psi(*exact, &u, true)?).add(&d))
        } else {
            Ok(a.mul(&Self::psi(*exact, &u, false)?)
                .add(&d.mul(z))
                .add(&e.get::<S>()))
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

    /// `L(x)` as a flat vector of `n_out` entries.
    pub fn apply_map<S: Scalar>(&self, x: &[S]) -> Result<Vec<S>, EvalError> {
        let MapFn {
            exact,
            n_in,
            n_out,
            a,
            b,
            c,
            m,
            q,
        } = self.map_for(x.len())?;
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
            out.push(acc);
        }
        Ok(out)
    }

    /// `L'(x)`: the gradient of a scalar-valued map, flat, same length as x.
    pub fn apply_map_grad<S: Scalar>(&self, x: &[S]) -> Result<Vec<S>, EvalError> {
        let MapFn {
            exact,
            n_in,
            n_out,
            a,
            b,
            c,
            m,
            q,
        } = self.map_for(x.len())?;
        if *n_out != 1 {
            return Err(EvalError::Unsupported(
                "L' is the gradient of a scalar-valued function".into(),
            ));
        }
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
    /// draw variable values as small exact rationals (k/4 in [-3, 3] etc.) so exact evaluation works
    pub exact: bool,
}

/// Concrete values for one sample point: dimension sizes, every variable's
/// value, every sequence's given elements (drawn lazily, deterministically per
/// (seq, time, seed, draw)), each declared `fun` instantiated with a random
/// smooth function, all honouring attributes and `assume`s.
#[derive(Debug)]
pub struct Instance {
    pub exact: bool,
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
        match d {
            ir::Dim::Const(c) => c as usize,
            ir::Dim::Sym(id) => self.dims.get(id).copied().unwrap_or(1),
        }
    }
    /// `(rows, cols)` of a shape at this instance.
    pub fn shape_dims(&self, s: Shape) -> (usize, usize) {
        (self.dim(s.rows), self.dim(s.cols))
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
        let v = Arc::new(Value::from_exact(draw_matrix(
            &mut rng, r, c, attrs, self.exact,
        )?));
        self.cache().insert((s, t), v.clone());
        Ok(v)
    }

    /// Human-readable listing of the dims and the values of the given vars
    /// and the drawn elements of the given sequences, for counterexamples.
    /// Sequences longer than `MAX_LISTED_TIMES` elements show their ends only.
    pub fn describe(&self, prog: &Program, vars: &[ir::VarId], seqs: &[ir::SeqId]) -> String {
        let mut parts = Vec::new();
        for (id, d) in prog.dims.iter().enumerate() {
            parts.push(format!("{} = {}", d.name, self.dim(ir::Dim::Sym(id))));
        }
        for &v in vars {
            if let (Some(decl), Some(val)) = (prog.vars.get(v), self.vars.get(v)) {
                parts.push(format!("{} = {}", decl.name, self.show_value(val)));
            }
        }
        let cache = self.cache();
        for &s in seqs {
            let mut times: Vec<i64> = cache.keys().filter(|k| k.0 == s).map(|k| k.1).collect();
            times.sort_unstable();
            let name = prog.seqs.get(s).map_or("?", |d| d.name.as_str());
            // A long sequence is summarised: its first and last elements
            // reproduce the point together with the seed.
            let shown = |t: &i64| format!("{name}[{t}] = {}", self.show_value(&cache[&(s, *t)]));
            if times.len() > MAX_LISTED_TIMES {
                let (head, tail) = (&times[..3], &times[times.len() - 2..]);
                parts.extend(head.iter().map(shown));
                parts.push(format!("… ({} more elements of {name})", times.len() - 5));
                parts.extend(tail.iter().map(shown));
            } else {
                parts.extend(times.iter().map(shown));
            }
        }
        parts.join(", ")
    }

    fn show_value(&self, v: &Value) -> String {
        if self.exact {
            show_matrix(&v.exact.map(|x| x.to_string()))
        } else {
            show_matrix(&v.float.map(|x| round_sig(*x, 4)))
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

/// One entry: small quarters (exact) or dyadic floats in [-2, 2].
fn draw_entry(rng: &mut Rng, exact: bool, positive: bool) -> BigRational {
    if exact {
        let k = if positive {
            rng.int_in(1, 12)
        } else {
            rng.int_in(-12, 12)
        };
        ratio(k, EXACT_DEN)
    } else {
        let k = if positive {
            rng.int_in(FLOAT_DEN / 10, 2 * FLOAT_DEN)
        } else {
            rng.int_in(-2 * FLOAT_DEN, 2 * FLOAT_DEN)
        };
        ratio(k, FLOAT_DEN)
    }
}

/// A coefficient uniform in [lo, hi].
fn draw_coef(rng: &mut Rng, exact: bool, lo: f64, hi: f64) -> Coef {
    let den = if exact { EXACT_DEN } else { FLOAT_DEN };
    let k = rng.int_in(
        (lo * den as f64).ceil() as i64,
        (hi * den as f64).floor() as i64,
    );
    let exact_v = ratio(k, den);
    Coef {
        float: ToPrimitive::to_f64(&exact_v).unwrap_or(0.0),
        exact: exact_v,
    }
}

/// A value of shape rows × cols satisfying every attribute.
pub fn draw_matrix(
    rng: &mut Rng,
    rows: usize,
    cols: usize,
    attrs: &[Attr],
    exact: bool,
) -> Result<Matrix<BigRational>, EvalError> {
    check_size(rows, cols)?;
    let has = |a: Attr| attrs.contains(&a);
    let positive = has(Attr::Positive);
    let square = rows == cols;
    for _ in 0..MAX_TRIES {
        let mut m = if has(Attr::Onehot) {
            let mut m = Matrix::zeros(rows, cols);
            let k = rng.int_in(0, (rows * cols) as i64 - 1) as usize;
            m.data[k] = ratio(1, 1);
            m
        } else if has(Attr::Simplex) {
            let (lo, hi) = if exact {
                (1, 8)
            } else {
                (FLOAT_DEN / 10, FLOAT_DEN)
            };
            let w: Vec<BigRational> = (0..rows * cols)
                .map(|_| ratio(rng.int_in(lo, hi), 1))
                .collect();
            let total = w.iter().fold(<BigRational as Zero>::zero(), |a, b| a + b);
            Matrix::new(rows, cols, w.into_iter().map(|x| x / &total).collect())
        } else if has(Attr::Spd) && square {
            let b = Matrix::new(
                rows,
                cols,
                (0..rows * cols)
                    .map(|_| draw_entry(rng, exact, positive))
                    .collect(),
            );
            let mut s = b.matmul(&b.transpose())?;
            for i in 0..rows {
                s.data[i * cols + i] += ratio(rows as i64, 1);
            }
            s
        } else {
            Matrix::new(
                rows,
                cols,
                (0..rows * cols)
                    .map(|_| draw_entry(rng, exact, positive))
                    .collect(),
            )
        };
        if has(Attr::Symmetric) && square && !has(Attr::Spd) {
            for i in 0..rows {
                for j in 0..i {
                    m.data[i * cols + j] = m.data[j * cols + i].clone();
                }
            }
        }
        if has(Attr::Invertible) && square && !has(Attr::Spd) {
            let det = m.det()?;
            if det.abs() < ratio(1, 2) {
                continue;
            }
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
) -> Result<FunInst, EvalError> {
    Ok(match kind {
        FunKind::Elementwise => {
            let negate = rng.int_in(0, 1) == 1;
            let (alo, ahi) = if exact { (0.25, 0.75) } else { (0.5, 1.5) };
            let mut a = draw_coef(rng, exact, alo, ahi);
            if negate {
                a.exact = -a.exact;
                a.float = -a.float;
            }
            FunInst::Elementwise {
                exact,
                a,
                b: draw_coef(rng, exact, 0.5, 1.5),
                c: draw_coef(rng, exact, -0.5, 0.5),
                d: draw_coef(rng, exact, -0.5, 0.5),
                e: draw_coef(rng, exact, -0.5, 0.5),
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
            })
        }
    })
}

/// Draws an instance. Symbolic dims get small distinct sizes (2, 3, 4, ...
/// shuffled by the seed, distinct from each other and from fixed dims so a
/// swapped dimension cannot hide); fixed dims their value. Assumptions are
/// met by rejection sampling.
pub fn sample(prog: &Program, opts: &SampleOptions) -> Result<Instance, EvalError> {
    let mut rng = Rng::new(mix(&[opts.seed, opts.draw as u64]));
    let fixed = |id: usize| -> Option<u64> {
        opts.dim_overrides
            .iter()
            .find(|(d, _)| *d == id)
            .map(|(_, v)| *v)
            .or(prog.dims[id].value)
    };
    let taken: Vec<u64> = (0..prog.dims.len()).filter_map(fixed).collect();
    let symbolic: Vec<usize> = (0..prog.dims.len())
        .filter(|&i| fixed(i).is_none())
        .collect();
    let mut pool: Vec<u64> = (2u64..)
        .filter(|v| !taken.contains(v))
        .take(symbolic.len())
        .collect();
    rng.shuffle(&mut pool);
    let mut dims = vec![0usize; prog.dims.len()];
    for (i, d) in dims.iter_mut().enumerate() {
        if let Some(v) = fixed(i) {
            *d = v as usize;
        }
    }
    for (&i, &v) in symbolic.iter().zip(&pool) {
        dims[i] = v as usize;
    }
    let mut inst = Instance {
        exact: opts.exact,
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
            .map(|f| draw_fun(&mut rng, &f.kind, &dims, opts.exact))
            .collect::<Result<_, _>>()?
    };
    inst.funs = funs;
    for attempt in 0..MAX_TRIES {
        inst.attempt = attempt;
        inst.cache().clear();
        let mut vars = Vec::with_capacity(prog.vars.len());
        for v in &prog.vars {
            let (r, c) = inst.shape_dims(v.shape);
            vars.push(Value::from_exact(draw_matrix(
                &mut rng, r, c, &v.attrs, opts.exact,
            )?));
        }
        inst.vars = vars;
        if assumptions_hold(prog, &inst)? {
            return Ok(inst);
        }
    }
    Err(EvalError::Undefined(format!(
        "no point satisfying the assumptions found in {MAX_TRIES} draws"
    )))
}

fn cmp_holds(op: CmpOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
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
