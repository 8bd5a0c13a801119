//! Numeric evaluation of typed expressions at a sampled [`Instance`], generic
//! over the arithmetic ([`Scalar`]): `f64` for sampling, `BigRational` for
//! exact evaluation, and dual numbers for derivatives.
//!
//! Derivatives (`grad`, `jac`, `hess`, `d`) are evaluated by forward mode:
//! for each entry of the node differentiated against, the function is
//! evaluated again one dual level up with that entry's derivative part set to
//! one. This is deliberately independent of the symbolic `derive` stage, so
//! the numeric check is a real cross-check; [`finite_difference`] is a second,
//! derivative-free one.
//!
//! Sequences are memoised per (sequence, time) and recurrences are filled in
//! increasing time order, so `h[1000]` costs linear time and bounded stack.
//!
//! Kinks follow the language's conventions (`relu'(0) = 0`, `step' = 0`,
//! `abs'(0) = 0`). In floating point a kink argument within `kink_tol` of
//! its kink (but not a structural exact zero) is reported as
//! [`EvalError::NearKink`] so the caller can redraw the point; exact
//! arithmetic passes `kink_tol = 0` and decides every comparison exactly.
//! Named adjoints (`Op::Adjoint`) have no value here: the caller inlines
//! their definitions first.

pub mod ball;
pub mod linalg;
pub mod sample;
pub mod scalar;
mod stack;

pub use ball::Ball;
pub use linalg::Matrix;
pub use sample::{
    Instance, Plan, PointEntry, PointValue, SampleOptions, sample, sample_with, show_value,
};
pub use scalar::{Dual, Scalar};

use crate::ir::{self, CmpOp, Expr, FunKind, Op, Program, SeqPiece};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// log/sqrt of a non-positive, division by zero, singular inverse, logdet of non-positive det...
    Undefined(String),
    /// a transcendental function in exact arithmetic
    NotExact,
    /// derivatives nested deeper than supported, a time index out of range of a sequence, ...
    Unsupported(String),
    /// a step/relu/abs/max/min/indicator argument within `kink_tol` of its kink (f64 only; the
    /// caller redraws the point so finite differences stay valid)
    NearKink,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Undefined(m) => write!(f, "undefined: {m}"),
            EvalError::NotExact => write!(f, "not computable in exact arithmetic"),
            EvalError::Unsupported(m) => write!(f, "{m}"),
            EvalError::NearKink => write!(f, "point too close to a kink"),
        }
    }
}

impl std::error::Error for EvalError {}

/// Integer values of `idx` variables / int locals that are free in the expression.
pub type IdxEnv = Vec<(ir::IdxId, i64)>;

type R<T> = Result<T, EvalError>;

/// Nesting of let / sequence / call evaluations allowed before giving up
/// (keeps the stack bounded for recurrences without a base case).
const MAX_NEST: usize = 64;
/// Longest sum, product or recurrence evaluated.
const MAX_RANGE: i64 = 1_000_000;
/// Largest exact number (numerator plus denominator bits) kept before exact
/// arithmetic hands over to floating point: long recurrences of rational
/// functions double their digits at every step.
const MAX_EXACT_BITS: u64 = 1 << 12;
/// Total bits of exact values one evaluation may compute before handing over
/// to floating point: bounds the cost of exact arithmetic (bigint gcds) in
/// a deterministic way.
const MAX_EXACT_WORK: u64 = 1 << 16;
/// Relative error a singular value from float64 linear algebra is taken to
/// have, per row or column, relative to the largest singular value.
pub const SV_RTOL: f64 = 1e-12;
/// Step of the central differences.
const FD_EPS: f64 = 1e-6;
/// Kink tolerance of finite differences: a kink closer than this could be
/// crossed by the ±eps steps.
const FD_KINK_TOL: f64 = 1e-4;

fn unsupported<T>(msg: impl Into<String>) -> R<T> {
    Err(EvalError::Unsupported(msg.into()))
}

/// Evaluates `expr` at the instance. Deterministic. f64 and exact share this one generic code path.
pub fn eval<S: Scalar>(
    prog: &Program,
    inst: &Instance,
    expr: &Expr,
    idx: &IdxEnv,
    kink_tol: f64,
) -> R<Matrix<S>> {
    Ev::<S>::new(prog, inst, idx, kink_tol).eval(expr)
}

/// Whether an exact point lies on a kink: evaluates `exprs` exactly with
/// every variable moving along `dirs` (a dual number per entry) and reports
/// [`EvalError::NearKink`] when a relu/step/abs/max/min/indicator argument
/// is exactly at its kink but moves along the direction. Structural zeros
/// (`1{relu(z) > 0}` at a negative z) stay put and are not reported.
pub fn probe_kinks(
    prog: &Program,
    inst: &Instance,
    exprs: &[&Expr],
    idx: &IdxEnv,
    dirs: &[(ir::VarId, Matrix<num_rational::BigRational>)],
) -> R<()> {
    use num_rational::BigRational;
    let base = Ev::<BigRational>::new(prog, inst, idx, 0.0);
    let mut ev = base.spawn(|x| x.lift());
    // Exact values: only an exact zero is below this.
    ev.kink_tol = f64::MIN_POSITIVE;
    for (v, d) in dirs {
        let val = inst.var(*v).to::<BigRational>();
        if val.data.len() != d.data.len() {
            continue;
        }
        let data = val
            .data
            .iter()
            .zip(&d.data)
            .map(|(x, dx)| Dual {
                v: x.clone(),
                d: dx.clone(),
            })
            .collect();
        ev.set_override(&Target::Var(*v), Matrix::new(val.rows, val.cols, data));
    }
    for e in exprs {
        ev.eval(e)?;
    }
    Ok(())
}

/// Central finite differences of scalar/vector `f` w.r.t. the wrt node (same wrt forms as
/// `grad`), eps 1e-6, in f64: the independent cross-check of derived gradients. A scalar `f`
/// gives the gradient layout (shape of wrt), a vector `f` the Jacobian layout.
pub fn finite_difference(
    prog: &Program,
    inst: &Instance,
    f: &Expr,
    wrt: &Expr,
    idx: &IdxEnv,
) -> R<Matrix<f64>> {
    finite_difference_in::<f64>(prog, inst, f, wrt, idx, &FD_EPS)
}

/// Central finite differences with step `eps` in any arithmetic (certified
/// arithmetic removes the rounding noise that cancels in `f(x+h) − f(x−h)`
/// when `f` is large).
pub fn finite_difference_in<S: Scalar>(
    prog: &Program,
    inst: &Instance,
    f: &Expr,
    wrt: &Expr,
    idx: &IdxEnv,
    eps: &S,
) -> R<Matrix<S>> {
    let mut ev = Ev::<S>::new(prog, inst, idx, FD_KINK_TOL);
    let (target, base, entries) = ev.wrt_target(wrt)?;
    let two_eps = eps.add(eps);
    let mut derivs = Vec::with_capacity(entries.len());
    for &k in &entries {
        let side = |delta: &S| -> R<Matrix<S>> {
            let mut child = ev.spawn(|x: &S| x.clone());
            let mut v = base.clone();
            v.data[k] = v.data[k].add(delta);
            child.set_override(&target, v);
            child.eval(f)
        };
        let plus = side(eps)?;
        let minus = side(&eps.neg())?;
        derivs.push(plus.zip(&minus, "finite difference", |a, b| a.sub(b).div(&two_eps))?);
    }
    let whole = entries.len() == base.len() && !matches!(wrt.op, Op::Component);
    if derivs.first().is_none_or(|d| d.is_scalar()) {
        let data = derivs.iter().map(|d| d.data[0].clone()).collect();
        if whole {
            Ok(Matrix::new(base.rows, base.cols, data))
        } else {
            Ok(Matrix::new(entries.len(), 1, data))
        }
    } else {
        Ok(jacobian(&derivs))
    }
}

/// torch.autograd.gradcheck-style closeness: |a-b| <= atol + rtol*|b| entrywise (atol 1e-5, rtol 1e-3).
/// A number with 4 significant digits (`0.7616`, `1.000e20`): the style
/// of every number in a report.
pub fn sig(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - mag).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub fn close(a: &Matrix<f64>, b: &Matrix<f64>, atol: f64, rtol: f64) -> bool {
    a.dims() == b.dims()
        && a.data
            .iter()
            .zip(&b.data)
            .all(|(x, y)| (x - y).abs() <= atol + rtol * y.abs())
}

/// Columns `derivs[k]` (derivative of flattened f w.r.t. entry k) as a len(f) × len(wrt) matrix.
fn jacobian<S: Scalar>(derivs: &[Matrix<S>]) -> Matrix<S> {
    let m = derivs.first().map_or(0, |d| d.len());
    let n = derivs.len();
    let mut data = Vec::with_capacity(m * n);
    for i in 0..m {
        for d in derivs {
            data.push(d.data[i].clone());
        }
    }
    Matrix::new(m, n, data)
}

/// Which lets and sequences (transitively) depend on an `idx` variable, so
/// their memo entries must be keyed by the index values.
struct Deps {
    let_idx: Vec<bool>,
    seq_idx: Vec<bool>,
}

impl Deps {
    fn new(prog: &Program) -> Deps {
        if prog.idxs.is_empty() {
            // Nothing can depend on an index: skip walking every definition
            // (an evaluator is made per sample point).
            return Deps {
                let_idx: vec![false; prog.lets.len()],
                seq_idx: vec![false; prog.seqs.len()],
            };
        }
        #[derive(Default)]
        struct Refs {
            idx: bool,
            lets: Vec<usize>,
            seqs: Vec<usize>,
        }
        fn refs(e: &Expr, r: &mut Refs) {
            e.walk(&mut |n| match n.op {
                Op::Idx(_) => r.idx = true,
                Op::Let(l) | Op::CallLet(l) => r.lets.push(l),
                Op::SeqAt(s) => r.seqs.push(s),
                _ => {}
            });
        }
        let let_refs: Vec<Refs> = prog
            .lets
            .iter()
            .map(|l| {
                let mut r = Refs::default();
                refs(&l.body, &mut r);
                r
            })
            .collect();
        let seq_refs: Vec<Refs> = prog
            .seqs
            .iter()
            .map(|s| {
                let mut r = Refs::default();
                for p in &s.pieces {
                    if let SeqPiece::Defined { guard, body, .. } = p {
                        refs(body, &mut r);
                        if let Some((_, g)) = guard {
                            refs(g, &mut r);
                        }
                    }
                }
                r
            })
            .collect();
        let mut let_idx: Vec<bool> = let_refs.iter().map(|r| r.idx).collect();
        let mut seq_idx: Vec<bool> = seq_refs.iter().map(|r| r.idx).collect();
        // Monotone fixpoint: at most (#lets + #seqs) rounds.
        loop {
            let mut changed = false;
            let dep = |r: &Refs, li: &[bool], si: &[bool]| {
                r.lets.iter().any(|&l| li.get(l).copied().unwrap_or(false))
                    || r.seqs.iter().any(|&s| si.get(s).copied().unwrap_or(false))
            };
            for i in 0..let_idx.len() {
                if !let_idx[i] && dep(&let_refs[i], &let_idx, &seq_idx) {
                    let_idx[i] = true;
                    changed = true;
                }
            }
            for i in 0..seq_idx.len() {
                if !seq_idx[i] && dep(&seq_refs[i], &let_idx, &seq_idx) {
                    seq_idx[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Deps { let_idx, seq_idx }
    }
}

#[derive(Clone, Debug)]
enum LocalVal<S> {
    Int(i64),
    Mat(Matrix<S>),
}

/// A node treated as an input by a derivative.
#[derive(Clone, Debug)]
enum Target {
    Var(ir::VarId),
    Let(ir::LetId),
    Seq(ir::SeqId, i64),
}

#[derive(Clone, Copy)]
enum DerivKind {
    Grad,
    Jac,
    D,
}

/// Piece of a sequence selected at one time.
enum Piece<'p> {
    Given,
    Defined {
        local: ir::LocalId,
        body: &'p Expr,
        /// Lowest time from which the recurrence is filled in order.
        base: Option<i64>,
    },
}

/// One evaluation at one arithmetic level: memo tables and the overrides of
/// the derivatives being taken.
struct Ev<'a, S: Scalar> {
    prog: &'a Program,
    inst: &'a Instance,
    kink_tol: f64,
    deps: Rc<Deps>,
    idx: Vec<(ir::IdxId, i64)>,
    locals: Vec<(ir::LocalId, LocalVal<S>)>,
    /// Converted variable values (overridden ones included).
    vars: Vec<Option<Matrix<S>>>,
    var_over: Vec<(ir::VarId, Matrix<S>)>,
    let_over: Vec<(ir::LetId, Matrix<S>)>,
    seq_over: Vec<(ir::SeqId, i64, Matrix<S>)>,
    lets: HashMap<(ir::LetId, Vec<i64>), Matrix<S>>,
    seqs: HashMap<(ir::SeqId, i64, Vec<i64>), Matrix<S>>,
    /// Elements whose evaluation failed for a reason that does not depend on
    /// how deep the evaluation was: asked again, they fail at once instead
    /// of recomputing the recurrence below them.
    seq_fails: HashMap<(ir::SeqId, i64, Vec<i64>), EvalError>,
    /// Bits of all exact values computed so far (see MAX_EXACT_WORK).
    /// Shared with the child evaluators of derivatives: one budget per call.
    exact_work: Rc<std::cell::Cell<u64>>,
    nest: usize,
}

impl<'a, S: Scalar> Ev<'a, S> {
    fn new(prog: &'a Program, inst: &'a Instance, idx: &IdxEnv, kink_tol: f64) -> Self {
        Ev {
            prog,
            inst,
            kink_tol,
            deps: Rc::new(Deps::new(prog)),
            idx: idx.clone(),
            locals: Vec::new(),
            vars: vec![None; prog.vars.len()],
            var_over: Vec::new(),
            let_over: Vec::new(),
            seq_over: Vec::new(),
            lets: HashMap::new(),
            seqs: HashMap::new(),
            seq_fails: HashMap::new(),
            exact_work: Rc::new(std::cell::Cell::new(0)),
            nest: 0,
        }
    }

    /// A fresh evaluator (empty memo) with this one's environment and
    /// overrides converted by `f` (a lift for derivatives, a copy for
    /// finite differences).
    fn spawn<T: Scalar>(&self, f: impl Fn(&S) -> T) -> Ev<'a, T> {
        let conv = |m: &Matrix<S>| m.map(&f);
        let mut child = Ev::<T> {
            prog: self.prog,
            inst: self.inst,
            kink_tol: self.kink_tol,
            deps: self.deps.clone(),
            idx: self.idx.clone(),
            locals: self
                .locals
                .iter()
                .map(|(l, v)| {
                    let v = match v {
                        LocalVal::Int(i) => LocalVal::Int(*i),
                        LocalVal::Mat(m) => LocalVal::Mat(conv(m)),
                    };
                    (*l, v)
                })
                .collect(),
            vars: vec![None; self.prog.vars.len()],
            var_over: Vec::new(),
            let_over: self.let_over.iter().map(|(l, m)| (*l, conv(m))).collect(),
            seq_over: self
                .seq_over
                .iter()
                .map(|(s, t, m)| (*s, *t, conv(m)))
                .collect(),
            lets: HashMap::new(),
            seqs: HashMap::new(),
            seq_fails: HashMap::new(),
            exact_work: Rc::clone(&self.exact_work),
            nest: self.nest,
        };
        for (v, m) in &self.var_over {
            child.set_override(&Target::Var(*v), conv(m));
        }
        child
    }

    fn set_override(&mut self, t: &Target, m: Matrix<S>) {
        match *t {
            Target::Var(v) => {
                self.var_over.retain(|(w, _)| *w != v);
                self.vars[v] = Some(m.clone());
                self.var_over.push((v, m));
            }
            Target::Let(l) => {
                self.let_over.retain(|(w, _)| *w != l);
                self.let_over.push((l, m));
            }
            Target::Seq(s, time) => {
                self.seq_over.retain(|(w, u, _)| (*w, *u) != (s, time));
                self.seq_over.push((s, time, m));
            }
        }
    }

    fn dims(&self, s: ir::Shape) -> (usize, usize) {
        self.inst.shape_dims(s)
    }

    /// Dimensions of a constant to build (bounded in size).
    fn build_dims(&self, s: ir::Shape) -> R<(usize, usize)> {
        let (r, c) = self.dims(s);
        sample::check_size(r, c)?;
        Ok((r, c))
    }

    /// NearKink when a kink argument is close to, but not exactly at, its
    /// kink. An exact zero is almost always structural (`1{h > 0}` with
    /// `h = relu(z)` is 0 for every negative z, and stays 0 under
    /// perturbation), so it is evaluated with the kink conventions, as in
    /// exact arithmetic; a random point landing exactly on a kink is
    /// improbable with dyadic draws. An exact zero that moves with the
    /// input being differentiated (a non-zero derivative part) is a real
    /// kink, though.
    fn kink(&self, diff: &S) -> R<()> {
        // Certified arithmetic: an enclosure that contains the kink without
        // being exactly at it is undecided (more precision, or a redraw).
        if !diff.sign_known() {
            return Err(EvalError::NearKink);
        }
        let d = diff.to_f64().abs();
        if self.kink_tol > 0.0 && d < self.kink_tol && !diff.is_const_zero() {
            Err(EvalError::NearKink)
        } else {
            Ok(())
        }
    }

    fn enter(&mut self) -> R<()> {
        self.nest += 1;
        if self.nest > MAX_NEST {
            self.nest -= 1;
            return unsupported(
                "evaluation nested too deeply (a recursive definition without a base case?)",
            );
        }
        Ok(())
    }

    fn idx_value(&self, i: ir::IdxId) -> R<i64> {
        match self.idx.iter().rev().find(|(j, _)| *j == i) {
            Some((_, v)) => Ok(*v),
            None => unsupported(format!(
                "index {} has no value",
                self.prog.idxs.get(i).map_or("?", |d| d.name.as_str())
            )),
        }
    }

    fn local(&self, l: ir::LocalId) -> R<&LocalVal<S>> {
        match self.locals.iter().rev().find(|(k, _)| *k == l) {
            Some((_, v)) => Ok(v),
            None => unsupported(format!(
                "{} has no value here",
                self.prog.locals.get(l).map_or("?", |d| d.name.as_str())
            )),
        }
    }

    /// The current value of every bound index, innermost binding first
    /// among shadowed ones, in index order.
    fn idx_key(&self) -> Vec<i64> {
        let mut ids: Vec<ir::IdxId> = self.idx.iter().map(|(i, _)| *i).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .flat_map(|i| [i as i64, self.idx_value(i).unwrap_or(0)])
            .collect()
    }

    fn let_key(&self, l: ir::LetId) -> (ir::LetId, Vec<i64>) {
        let k = if self.deps.let_idx.get(l).copied().unwrap_or(false) {
            self.idx_key()
        } else {
            Vec::new()
        };
        (l, k)
    }

    fn seq_key(&self, s: ir::SeqId, t: i64) -> (ir::SeqId, i64, Vec<i64>) {
        let k = if self.deps.seq_idx.get(s).copied().unwrap_or(false) {
            self.idx_key()
        } else {
            Vec::new()
        };
        (s, t, k)
    }

    /// Evaluates one node. Kept small: the recursion of recurrences and
    /// nested definitions passes through here, so its stack frame matters.
    fn eval(&mut self, e: &Expr) -> R<Matrix<S>> {
        let m = self.eval_node(e)?;
        if S::EXACT {
            let bits: u64 = m.data.iter().map(|x| x.bits()).sum();
            self.exact_work.set(self.exact_work.get() + bits);
            if self.exact_work.get() > MAX_EXACT_WORK
                || m.data.iter().any(|x| x.bits() > MAX_EXACT_BITS)
            {
                return Err(EvalError::NotExact);
            }
        }
        Ok(m)
    }

    fn eval_node(&mut self, e: &Expr) -> R<Matrix<S>> {
        match &e.op {
            Op::Var(v) => self.var(*v),
            Op::Let(l) => self.let_value(*l),
            Op::SeqAt(s) => self.seq_at_expr(*s, e),
            Op::Add => self.binary(&e.args, |x, y| x.add(y)),
            Op::Sub => self.binary(&e.args, |x, y| x.sub(y)),
            Op::Mul | Op::Scale => self.binary(&e.args, mul_any),
            _ => self.eval_op(e),
        }
    }

    #[inline(never)]
    fn seq_at_expr(&mut self, s: ir::SeqId, e: &Expr) -> R<Matrix<S>> {
        let t = self.eval_int(arg(&e.args, 0)?)?;
        self.seq_at(s, t)
    }

    #[inline(never)]
    fn eval_op(&mut self, e: &Expr) -> R<Matrix<S>> {
        let a = &e.args;
        match &e.op {
            Op::Num(r) => Ok(Matrix::scalar(S::from_rational(r))),
            Op::Local(l) => match self.local(*l)? {
                LocalVal::Int(i) => Ok(Matrix::scalar(S::from_i64(*i))),
                LocalVal::Mat(m) => Ok(m.clone()),
            },
            Op::Idx(i) => Ok(Matrix::scalar(S::from_i64(self.idx_value(*i)?))),
            Op::DimValue(d) => Ok(Matrix::scalar(S::from_i64(self.inst.dim(*d) as i64))),
            Op::Pi => Ok(Matrix::scalar(S::pi()?)),
            Op::Eye => {
                let (r, c) = self.build_dims(e.shape)?;
                if r != c {
                    return unsupported("eye of a non-square shape");
                }
                Ok(Matrix::identity(r))
            }
            Op::Ones => {
                let (r, c) = self.build_dims(e.shape)?;
                Ok(Matrix::filled(r, c, S::one()))
            }
            Op::Zeros => {
                let (r, c) = self.build_dims(e.shape)?;
                Ok(Matrix::zeros(r, c))
            }
            Op::Adjoint(k) => unsupported(format!(
                "the adjoint δ{} has no value outside its backward pass",
                k + 1
            )),
            Op::CallLet(l) => self.call_let(*l, a),
            Op::Component => self.component(a),
            Op::Literal { rows, cols } => self.literal(*rows, *cols, a),
            Op::Neg => Ok(self.eval(arg(a, 0)?)?.neg()),
            Op::Hadamard => self.binary(a, |x, y| x.zip(y, "product", |p, q| Ok(p.mul(q)))),
            Op::HadDiv => self.binary(a, |x, y| x.zip(y, "quotient", |p, q| p.div(q))),
            Op::Div => self.binary(a, |x, y| {
                let s = y.as_scalar()?;
                x.try_map(|p| p.div(s))
            }),
            Op::Pow => self.binary(a, |x, y| {
                Ok(Matrix::scalar(pow(x.as_scalar()?, y.as_scalar()?)?))
            }),
            Op::ElemPow => self.binary(a, |x, y| {
                let p = y.as_scalar()?;
                x.try_map(|b| pow(b, p))
            }),
            Op::MatPow(n) => {
                let m = self.eval(arg(a, 0)?)?;
                if m.rows != m.cols {
                    return unsupported("power of a non-square matrix");
                }
                let mut acc = Matrix::identity(m.rows);
                for _ in 0..*n {
                    acc = acc.matmul(&m)?;
                }
                Ok(acc)
            }
            Op::Transpose => Ok(self.eval(arg(a, 0)?)?.transpose()),
            Op::Inv => self.eval(arg(a, 0)?)?.inverse(),
            _ => self.eval_elementwise(e),
        }
    }

    #[inline(never)]
    fn eval_elementwise(&mut self, e: &Expr) -> R<Matrix<S>> {
        let a = &e.args;
        match &e.op {
            Op::Elem(f) => {
                let x = self.eval(arg(a, 0)?)?;
                let p = self.elem_params(a)?;
                let kink = |z: &S| self.kink(z);
                x.try_map(|z| f.value(z, &p, &kink))
            }
            Op::ElemPrime(f) => {
                let x = self.eval(arg(a, 0)?)?;
                let p = self.elem_params(a)?;
                let kink = |z: &S| self.kink(z);
                x.try_map(|z| f.prime_value(z, &p, &kink))
            }
            Op::Max | Op::Min => {
                let want = if e.op == Op::Max {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                let x = self.eval(arg(a, 0)?)?;
                let y = self.eval(arg(a, 1)?)?;
                x.zip(&y, "max/min", |p, q| {
                    self.kink(&p.sub(q))?;
                    // Ties take the second argument (only reachable exactly), so
                    // a derivative goes to q there as `derive` sends it:
                    // ∂max(p, q)/∂p = 1{p > q}, and max(z, 0)' = relu'(0) = 0.
                    Ok(if p.cmp_value(q) == want {
                        p.clone()
                    } else {
                        q.clone()
                    })
                })
            }
            Op::Indicator(op) => {
                let x = self.eval(arg(a, 0)?)?;
                let y = self.eval(arg(a, 1)?)?;
                x.zip(&y, "indicator", |p, q| {
                    self.kink(&p.sub(q))?;
                    Ok(indicator(cmp_holds(*op, p.cmp_value(q))))
                })
            }
            Op::Delta => {
                let i = self.eval_int(arg(a, 0)?)?;
                let j = self.eval_int(arg(a, 1)?)?;
                Ok(Matrix::scalar(indicator(i == j)))
            }
            Op::Softmax => softmax(&self.eval(arg(a, 0)?)?),
            Op::LogSumExp => Ok(Matrix::scalar(logsumexp(&self.eval(arg(a, 0)?)?)?)),
            Op::SoftmaxRows => {
                let m = self.eval(arg(a, 0)?)?;
                let mut out = Vec::with_capacity(m.data.len());
                for row in rows_of(&m) {
                    out.extend(softmax(&row)?.data);
                }
                Ok(Matrix::new(m.rows, m.cols, out))
            }
            Op::LseRows => {
                let m = self.eval(arg(a, 0)?)?;
                let out: R<Vec<S>> = rows_of(&m).iter().map(logsumexp).collect();
                Ok(Matrix::new(m.rows, 1, out?))
            }
            _ => self.eval_reduction(e),
        }
    }

    #[inline(never)]
    fn eval_reduction(&mut self, e: &Expr) -> R<Matrix<S>> {
        let a = &e.args;
        match &e.op {
            Op::Sum => Ok(Matrix::scalar(self.eval(arg(a, 0)?)?.sum())),
            Op::Norm => {
                let v = self.eval(arg(a, 0)?)?;
                let sq = v.data.iter().fold(S::zero(), |acc, x| acc.add(&x.mul(x)));
                Ok(Matrix::scalar(sq.sqrt()?))
            }
            Op::Tr => Ok(Matrix::scalar(self.eval(arg(a, 0)?)?.trace()?)),
            Op::Det => Ok(Matrix::scalar(self.eval(arg(a, 0)?)?.det()?)),
            Op::LogDet => {
                let d = self.eval(arg(a, 0)?)?.det()?;
                if d.sign() != Ordering::Greater {
                    return Err(EvalError::Undefined(
                        "logdet of a matrix with non-positive determinant".into(),
                    ));
                }
                Ok(Matrix::scalar(d.log()?))
            }
            Op::Diag => {
                let v = self.eval(arg(a, 0)?)?;
                if v.rows != 1 && v.cols != 1 {
                    return unsupported("diag of a matrix (expects a vector)");
                }
                let n = v.len();
                sample::check_size(n, n)?;
                let mut m = Matrix::zeros(n, n);
                for (i, x) in v.data.into_iter().enumerate() {
                    m.data[i * n + i] = x;
                }
                Ok(m)
            }
            Op::Smin | Op::Smax => {
                let m = self.eval(arg(a, 0)?)?;
                let sv = m.singular_values()?;
                let x = if e.op == Op::Smax {
                    sv[0]
                } else {
                    sv[sv.len() - 1]
                };
                // Float linear algebra: certified arithmetic takes the value
                // as known to within a backward-stable SVD's error bound.
                let err = SV_RTOL * (m.rows.max(m.cols) as f64) * sv[0] + f64::MIN_POSITIVE;
                Ok(Matrix::scalar(S::from_f64_approx(x, err)?))
            }
            _ => self.eval_rest(e),
        }
    }

    #[inline(never)]
    fn eval_rest(&mut self, e: &Expr) -> R<Matrix<S>> {
        let a = &e.args;
        match &e.op {
            Op::Fun(f) => self.fun(*f, e, false),
            Op::FunPrime(f) => self.fun(*f, e, true),
            Op::SumIdx(i) => self.sum_idx(*i, e),
            Op::SumRange(l) => self.sum_range(*l, e),
            Op::ProdRange { local, downto } => self.prod_range(*local, *downto, e),
            Op::Grad => self.derivative(DerivKind::Grad, arg(a, 0)?, arg(a, 1)?),
            Op::Jac => self.derivative(DerivKind::Jac, arg(a, 0)?, arg(a, 1)?),
            Op::D => self.derivative(DerivKind::D, arg(a, 0)?, arg(a, 1)?),
            Op::Hess => {
                // hess(f, x) = jac(grad(f, x), x)
                let (f, x) = (arg(a, 0)?, arg(a, 1)?);
                let g = Expr::new(Op::Grad, vec![f.clone(), x.clone()], x.shape, f.span);
                self.derivative(DerivKind::Jac, &g, x)
            }
            Op::Stack => self.stack(a),
            Op::Rows { from, count } => self.rows(a, *from, *count),
            // Var, Let, SeqAt and the common arithmetic are handled in `eval`.
            _ => unsupported(format!("operator {:?} is not evaluated here", e.op)),
        }
    }

    #[inline(never)]
    fn binary(
        &mut self,
        a: &[Expr],
        f: impl FnOnce(&Matrix<S>, &Matrix<S>) -> R<Matrix<S>>,
    ) -> R<Matrix<S>> {
        let x = self.eval(arg(a, 0)?)?;
        let y = self.eval(arg(a, 1)?)?;
        f(&x, &y)
    }

    /// An integer-valued scalar expression (time, index, range bound).
    fn eval_int(&mut self, e: &Expr) -> R<i64> {
        let a = &e.args;
        let int = match &e.op {
            Op::Num(r) if r.is_integer() => {
                Matrix::scalar(S::from_rational(r)).data[0].as_int_const()
            }
            Op::Local(l) => match self.local(*l)? {
                LocalVal::Int(i) => Some(*i),
                LocalVal::Mat(_) => None,
            },
            Op::Idx(i) => Some(self.idx_value(*i)?),
            Op::DimValue(d) => Some(self.inst.dim(*d) as i64),
            Op::Add => self
                .eval_int(arg(a, 0)?)?
                .checked_add(self.eval_int(arg(a, 1)?)?),
            Op::Sub => self
                .eval_int(arg(a, 0)?)?
                .checked_sub(self.eval_int(arg(a, 1)?)?),
            Op::Neg => self.eval_int(arg(a, 0)?)?.checked_neg(),
            _ => None,
        };
        if let Some(i) = int {
            return Ok(i);
        }
        let m = self.eval(e)?;
        let s = m.as_scalar()?;
        if let Some(i) = s.as_int_const() {
            return Ok(i);
        }
        let x = s.to_f64();
        let r = x.round();
        if (x - r).abs() > 1e-9 || r.abs() > 1e15 {
            return unsupported(format!("{x} is used as an index but is not an integer"));
        }
        Ok(r as i64)
    }

    fn var(&mut self, v: ir::VarId) -> R<Matrix<S>> {
        if v >= self.vars.len() {
            return unsupported("unknown variable");
        }
        if let Some(m) = &self.vars[v] {
            return Ok(m.clone());
        }
        let m = self.inst.var(v).to::<S>();
        self.vars[v] = Some(m.clone());
        Ok(m)
    }

    fn let_value(&mut self, l: ir::LetId) -> R<Matrix<S>> {
        if let Some((_, m)) = self.let_over.iter().find(|(k, _)| *k == l) {
            return Ok(m.clone());
        }
        let Some(decl) = self.prog.lets.get(l) else {
            return unsupported("unknown definition");
        };
        if decl.is_function {
            return unsupported(format!("{} is a function and needs arguments", decl.name));
        }
        let key = self.let_key(l);
        if let Some(m) = self.lets.get(&key) {
            return Ok(m.clone());
        }
        self.enter()?;
        let saved = std::mem::take(&mut self.locals);
        let r = self.eval(&decl.body);
        self.locals = saved;
        self.nest -= 1;
        let m = r?;
        self.lets.insert(key, m.clone());
        Ok(m)
    }

    fn call_let(&mut self, l: ir::LetId, args: &[Expr]) -> R<Matrix<S>> {
        let Some(decl) = self.prog.lets.get(l) else {
            return unsupported("unknown definition");
        };
        if decl.params.len() != args.len() {
            return unsupported(format!(
                "{} takes {} arguments, got {}",
                decl.name,
                decl.params.len(),
                args.len()
            ));
        }
        if decl
            .body
            .any(&|x| matches!(x.op, Op::Grad | Op::Jac | Op::Hess | Op::D))
        {
            // A gradient at a point: the derivative is taken at the node the
            // caller passed, so the call is evaluated as its inlined body.
            let mut body = decl.body.clone();
            for (p, x) in decl.params.iter().zip(args) {
                body = ir::unroll::subst(&body, &Op::Local(*p), x, 0)
                    .or_else(|e| unsupported(e.message))?;
            }
            self.enter()?;
            let r = self.eval(&body);
            self.nest -= 1;
            return r;
        }
        let mut bound = Vec::with_capacity(args.len());
        for (p, x) in decl.params.iter().zip(args) {
            bound.push((*p, LocalVal::Mat(self.eval(x)?)));
        }
        self.enter()?;
        let saved = std::mem::replace(&mut self.locals, bound);
        let r = self.eval(&decl.body);
        self.locals = saved;
        self.nest -= 1;
        r
    }

    /// Which piece defines `s[t]`: a value given at exactly t, else a
    /// definition whose guard holds, else a value given at every time.
    fn piece(&mut self, s: ir::SeqId, t: i64) -> R<Piece<'a>> {
        let prog = self.prog;
        let Some(decl) = prog.seqs.get(s) else {
            return unsupported("unknown sequence");
        };
        if decl
            .pieces
            .iter()
            .any(|p| matches!(p, SeqPiece::GivenAt { at, .. } if *at == t))
        {
            return Ok(Piece::Given);
        }
        for p in &decl.pieces {
            let SeqPiece::Defined {
                local, guard, body, ..
            } = p
            else {
                continue;
            };
            let mut base = None;
            if let Some((op, g)) = guard {
                let saved = std::mem::replace(&mut self.locals, vec![(*local, LocalVal::Int(t))]);
                let bound = self.eval_int(g);
                self.locals = saved;
                let bound = bound?;
                if !cmp_holds(*op, t.cmp(&bound)) {
                    continue;
                }
                base = match op {
                    CmpOp::Ge => Some(bound),
                    CmpOp::Gt => Some(bound + 1),
                    _ => None,
                };
            }
            // A value given at an earlier time is also a base case.
            let given_below = decl
                .pieces
                .iter()
                .filter_map(|p| match p {
                    SeqPiece::GivenAt { at, .. } if *at < t => Some(*at + 1),
                    _ => None,
                })
                .max();
            base = base.max(given_below);
            return Ok(Piece::Defined {
                local: *local,
                body,
                base,
            });
        }
        if decl
            .pieces
            .iter()
            .any(|p| matches!(p, SeqPiece::GivenEvery { .. }))
        {
            return Ok(Piece::Given);
        }
        unsupported(format!("{}[{t}] is not defined", decl.name))
    }

    fn seq_at(&mut self, s: ir::SeqId, t: i64) -> R<Matrix<S>> {
        if let Some((_, _, m)) = self.seq_over.iter().find(|(k, u, _)| (*k, *u) == (s, t)) {
            return Ok(m.clone());
        }
        let key = self.seq_key(s, t);
        if let Some(m) = self.seqs.get(&key) {
            return Ok(m.clone());
        }
        if let Some(e) = self.seq_fails.get(&key) {
            return Err(e.clone());
        }
        let m = match self.seq_compute(s, t) {
            Ok(m) => m,
            Err(e) => {
                if matches!(
                    e,
                    EvalError::NotExact | EvalError::Undefined(_) | EvalError::NearKink
                ) {
                    self.seq_fails.insert(key, e.clone());
                }
                return Err(e);
            }
        };
        self.seqs.insert(key, m.clone());
        Ok(m)
    }

    fn seq_compute(&mut self, s: ir::SeqId, t: i64) -> R<Matrix<S>> {
        Ok(match self.piece(s, t)? {
            Piece::Given => self.inst.seq_given(self.prog, s, t)?.to::<S>(),
            Piece::Defined { local, body, base } => {
                if let Some(lo) = base
                    && let Err(e) = self.fill_from(s, lo, t)
                    && e == EvalError::NotExact
                {
                    // Exact numbers outgrew their budget on the way up: the
                    // caller switches to floats, so stop here rather than
                    // recurse down the whole sequence.
                    return Err(e);
                }
                self.enter()?;
                let saved = std::mem::replace(&mut self.locals, vec![(local, LocalVal::Int(t))]);
                let r = self.eval(body);
                self.locals = saved;
                self.nest -= 1;
                r?
            }
        })
    }

    /// Evaluates `s[j]` for the not yet memoised times `j` just below `t`
    /// (down to `lo`) in increasing order, so the recursion for `s[t]` finds
    /// its predecessors ready and stays shallow. An error is returned; most are left for the
    /// direct evaluation to report if that element is really needed.
    fn fill_from(&mut self, s: ir::SeqId, lo: i64, t: i64) -> R<()> {
        if t.saturating_sub(lo) < 2 || t.saturating_sub(lo) > MAX_RANGE {
            return Ok(());
        }
        let mut j = t - 1;
        while j >= lo && !self.seqs.contains_key(&self.seq_key(s, j)) {
            j -= 1;
        }
        for i in j + 1..t {
            self.seq_at(s, i)?;
        }
        Ok(())
    }

    fn component(&mut self, a: &[Expr]) -> R<Matrix<S>> {
        let base = self.eval(arg(a, 0)?)?;
        let k = self.component_index(&base, a)?;
        Ok(Matrix::scalar(base.data[k].clone()))
    }

    /// Flat index of the (1-based) component `a[1..]` of `base`.
    fn component_index(&mut self, base: &Matrix<S>, a: &[Expr]) -> R<usize> {
        let out = |i: i64, n: usize| i < 1 || i as usize > n;
        match a.len() {
            2 => {
                let i = self.eval_int(&a[1])?;
                let n = base.len();
                if base.rows != 1 && base.cols != 1 {
                    return unsupported("a matrix entry needs two indices");
                }
                if out(i, n) {
                    return unsupported(format!("index {i} is out of range 1..{n}"));
                }
                Ok(i as usize - 1)
            }
            3 => {
                let i = self.eval_int(&a[1])?;
                let j = self.eval_int(&a[2])?;
                if out(i, base.rows) || out(j, base.cols) {
                    return unsupported(format!(
                        "entry [{i}, {j}] is out of range of a {}x{} matrix",
                        base.rows, base.cols
                    ));
                }
                Ok((i as usize - 1) * base.cols + (j as usize - 1))
            }
            _ => unsupported("malformed component"),
        }
    }

    fn literal(&mut self, rows: usize, cols: usize, a: &[Expr]) -> R<Matrix<S>> {
        if a.len() != rows * cols {
            return unsupported("malformed matrix literal");
        }
        let mut data = Vec::with_capacity(a.len());
        for x in a {
            data.push(self.eval(x)?.as_scalar()?.clone());
        }
        Ok(Matrix::new(rows, cols, data))
    }

    /// The scalar parameters of a built-in (`a` in `leaky_relu(z, a)`).
    fn elem_params(&mut self, args: &[Expr]) -> R<Vec<S>> {
        let mut p = Vec::with_capacity(args.len().saturating_sub(1));
        for x in args.iter().skip(1) {
            p.push(self.eval(x)?.as_scalar()?.clone());
        }
        Ok(p)
    }

    fn fun(&mut self, f: ir::FunId, e: &Expr, prime: bool) -> R<Matrix<S>> {
        let Some(decl) = self.prog.funs.get(f) else {
            return unsupported("unknown function");
        };
        let x = self.eval(arg(&e.args, 0)?)?;
        let inst = self.inst.fun(f);
        match decl.kind {
            FunKind::Elementwise => x.try_map(|z| inst.apply_elem(z, prime)),
            FunKind::Map { .. } if prime => {
                let g = inst.apply_map_grad(&x.data)?;
                Ok(Matrix::new(x.rows, x.cols, g))
            }
            FunKind::Map { to, .. } => {
                let out = inst.apply_map(&x.data)?;
                let (r, c) = self.dims(to);
                if r * c != out.len() {
                    return unsupported("function output has the wrong size");
                }
                Ok(Matrix::new(r, c, out))
            }
        }
    }

    fn sum_idx(&mut self, i: ir::IdxId, e: &Expr) -> R<Matrix<S>> {
        let Some(decl) = self.prog.idxs.get(i) else {
            return unsupported("unknown index");
        };
        let n = self.inst.dim(decl.range) as i64;
        let body = arg(&e.args, 0)?;
        let (r, c) = self.build_dims(body.shape)?;
        let mut acc = Matrix::zeros(r, c);
        for v in 1..=n {
            self.idx.push((i, v));
            let x = self.eval(body);
            self.idx.pop();
            acc = acc.add(&x?)?;
        }
        Ok(acc)
    }

    fn range(&mut self, e: &Expr) -> R<(i64, i64)> {
        let from = self.eval_int(arg(&e.args, 0)?)?;
        let to = self.eval_int(arg(&e.args, 1)?)?;
        if to.saturating_sub(from).saturating_abs() > MAX_RANGE {
            return unsupported(format!("range {from}..{to} is too long to evaluate"));
        }
        Ok((from, to))
    }

    fn with_int_local(&mut self, l: ir::LocalId, t: i64, body: &Expr) -> R<Matrix<S>> {
        self.locals.push((l, LocalVal::Int(t)));
        let r = self.eval(body);
        self.locals.pop();
        r
    }

    fn sum_range(&mut self, l: ir::LocalId, e: &Expr) -> R<Matrix<S>> {
        let (from, to) = self.range(e)?;
        let body = arg(&e.args, 2)?;
        let (r, c) = self.build_dims(body.shape)?;
        let mut acc = Matrix::zeros(r, c);
        for t in from..=to {
            let x = self.with_int_local(l, t, body)?;
            acc = acc.add(&x)?;
        }
        Ok(acc)
    }

    fn prod_range(&mut self, l: ir::LocalId, downto: bool, e: &Expr) -> R<Matrix<S>> {
        let (from, to) = self.range(e)?;
        let body = arg(&e.args, 2)?;
        let times: Vec<i64> = if downto {
            (to..=from).rev().collect()
        } else {
            (from..=to).collect()
        };
        let mut acc: Option<Matrix<S>> = None;
        for t in times {
            let x = self.with_int_local(l, t, body)?;
            acc = Some(match acc {
                None => x,
                Some(p) => mul_any(&p, &x)?,
            });
        }
        match acc {
            Some(m) => Ok(m),
            None => {
                let (r, c) = self.build_dims(body.shape)?;
                if r != c {
                    return unsupported("empty product of non-square factors");
                }
                Ok(Matrix::identity(r))
            }
        }
    }

    /// The node a derivative is taken against: its target, its current value
    /// and the flat entries to perturb (all, or one component).
    fn wrt_target(&mut self, wrt: &Expr) -> R<(Target, Matrix<S>, Vec<usize>)> {
        let (target, value) = match &wrt.op {
            Op::Var(v) => (Target::Var(*v), self.var(*v)?),
            Op::Let(l) => (Target::Let(*l), self.let_value(*l)?),
            Op::SeqAt(s) => {
                let t = self.eval_int(arg(&wrt.args, 0)?)?;
                (Target::Seq(*s, t), self.seq_at(*s, t)?)
            }
            Op::Component => {
                let base = arg(&wrt.args, 0)?;
                if matches!(base.op, Op::Component) {
                    return unsupported("cannot differentiate with respect to this expression");
                }
                let (target, value, _) = self.wrt_target(base)?;
                let k = self.component_index(&value, &wrt.args)?;
                return Ok((target, value, vec![k]));
            }
            _ => {
                return unsupported(
                    "derivatives are taken with respect to a variable, a let name, a sequence element or a component of one",
                );
            }
        };
        let all = (0..value.len()).collect();
        Ok((target, value, all))
    }

    fn derivative(&mut self, kind: DerivKind, f: &Expr, wrt: &Expr) -> R<Matrix<S>> {
        if S::DEPTH >= 2 {
            return unsupported("derivatives nested more than twice");
        }
        let (target, base, entries) = self.wrt_target(wrt)?;
        // One forward pass per entry, each as large as `f`: a budget on the
        // whole Jacobian keeps `jac(softmax(z), z)` at k = 10^5 from running
        // for hours.
        let (fr, fc) = self.dims(f.shape);
        sample::check_size(entries.len(), fr.saturating_mul(fc))?;
        let mut derivs = Vec::with_capacity(entries.len());
        for &k in &entries {
            let mut child = self.spawn(|x: &S| x.lift());
            let mut v = base.map(|x| x.lift());
            v.data[k] = S::make_dual(&base.data[k], &S::one())?;
            child.set_override(&target, v);
            let out = child.eval(f)?;
            derivs.push(out.try_map(S::deriv_part)?);
        }
        let whole = !matches!(wrt.op, Op::Component);
        match kind {
            DerivKind::Grad | DerivKind::D => {
                if derivs.iter().any(|d| !d.is_scalar()) {
                    return unsupported("grad and d need a scalar function");
                }
                let data: Vec<S> = derivs.into_iter().map(|d| d.data[0].clone()).collect();
                if matches!(kind, DerivKind::D) && data.len() != 1 {
                    return unsupported("d(f, x) needs a scalar x (or a component x[i])");
                }
                if whole {
                    Ok(Matrix::new(base.rows, base.cols, data))
                } else {
                    Ok(Matrix::new(data.len(), 1, data))
                }
            }
            DerivKind::Jac => Ok(jacobian(&derivs)),
        }
    }
}

fn arg(a: &[Expr], i: usize) -> R<&Expr> {
    a.get(i)
        .ok_or_else(|| EvalError::Unsupported("operator is missing an argument".into()))
}

fn indicator<S: Scalar>(b: bool) -> S {
    if b { S::one() } else { S::zero() }
}

fn cmp_holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

/// Matrix product, where a 1×1 factor scales the other.
fn mul_any<S: Scalar>(x: &Matrix<S>, y: &Matrix<S>) -> R<Matrix<S>> {
    if x.is_scalar() && y.rows != 1 {
        Ok(y.scale(&x.data[0]))
    } else if y.is_scalar() && x.cols != 1 {
        Ok(x.scale(&y.data[0]))
    } else {
        x.matmul(y)
    }
}

fn softmax<S: Scalar>(v: &Matrix<S>) -> R<Matrix<S>> {
    let m = max_entry(v)?;
    let ex = v.try_map(|x| x.sub(&m).exp())?;
    let total = ex.sum();
    ex.try_map(|x| x.div(&total))
}

fn logsumexp<S: Scalar>(v: &Matrix<S>) -> R<S> {
    let m = max_entry(v)?;
    let total = v.try_map(|x| x.sub(&m).exp())?.sum();
    Ok(m.add(&total.log()?))
}

/// The rows of `m`, each a 1×cols matrix.
fn rows_of<S: Scalar>(m: &Matrix<S>) -> Vec<Matrix<S>> {
    (0..m.rows)
        .map(|r| Matrix::new(1, m.cols, m.data[r * m.cols..(r + 1) * m.cols].to_vec()))
        .collect()
}

fn max_entry<S: Scalar>(v: &Matrix<S>) -> R<S> {
    let mut it = v.data.iter();
    let first = it
        .next()
        .ok_or_else(|| EvalError::Unsupported("softmax of an empty vector".into()))?;
    Ok(it
        .fold(first, |m, x| {
            if x.cmp_value(m) == Ordering::Greater {
                x
            } else {
                m
            }
        })
        .clone())
}

/// `b^p` for scalars: integer exponents by repeated squaring (exact), others
/// through `powf`.
fn pow<S: Scalar>(b: &S, p: &S) -> R<S> {
    let Some(n) = p.as_int_const() else {
        return b.powf(p);
    };
    // An exact power is computed only when its result fits the exact
    // budget (`s^1000000000` would have billions of bits).
    if S::EXACT && b.bits().saturating_mul(n.unsigned_abs()) > 4 * MAX_EXACT_BITS {
        return Err(EvalError::NotExact);
    }
    let mut result = S::one();
    let mut base = b.clone();
    let mut e = n.unsigned_abs();
    while e > 0 {
        if e & 1 == 1 {
            result = result.mul(&base);
        }
        e >>= 1;
        if e > 0 {
            base = base.mul(&base);
        }
    }
    if n < 0 {
        S::one().div(&result)
    } else {
        Ok(result)
    }
}

#[cfg(test)]
mod tests;
