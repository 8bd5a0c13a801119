//! Certified arbitrary-precision arithmetic: every value is an interval
//! `[lo, hi]` with dyadic end points (`m·2^e`, `m` a big integer) that is
//! proven to contain the true value.
//!
//! Every operation rounds its lower end down and its upper end up, so the
//! enclosure property survives any chain of operations. The elementary
//! functions are computed from their series with a rigorous bound on the
//! truncated tail (exp: Taylor after halving the argument; log: the atanh
//! series; sin/cos: Taylor after reduction by an enclosure of π/2;
//! tanh: from exp; sqrt: the integer square root, rounded outward).
//!
//! The working precision (mantissa bits) is a per-thread setting
//! ([`with_precision`]): the evaluator is generic over the scalar type and
//! has no place for a context, and a caller refines by evaluating again at
//! a higher precision.
//!
//! Comparisons are decided only when the enclosures separate. An operation
//! whose outcome depends on an undecided comparison (division by an
//! enclosure of zero, log of an enclosure reaching zero, a kink argument
//! whose sign is unknown) fails with an error that starts with
//! [`UNDECIDED`]: more precision may decide it.

use super::EvalError;
use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Prefix of the errors that a higher precision may resolve.
pub const UNDECIDED: &str = "not decided at this precision";
/// Precision a thread starts with.
pub const DEFAULT_PRECISION: u64 = 128;
/// Arguments of exp (and the like) beyond 2^EXP_LIMIT_BITS are refused:
/// the result's exponent would not fit.
const EXP_LIMIT_BITS: i64 = 40;

/// The last sin/cos computed: argument, precision, (sin, cos).
type TrigMemo = (Dy, u64, (Ball, Ball));

thread_local! {
    static PRECISION: Cell<u64> = const { Cell::new(DEFAULT_PRECISION) };
    /// Set when a float approximation with a stated tolerance entered a
    /// value (singular values): refining the precision cannot narrow it.
    static APPROXIMATED: Cell<bool> = const { Cell::new(false) };
    static PI: RefCell<HashMap<u64, Ball>> = RefCell::new(HashMap::new());
    static LN2: RefCell<HashMap<u64, Ball>> = RefCell::new(HashMap::new());
    static LAST_TRIG: RefCell<Option<TrigMemo>> = const { RefCell::new(None) };
}

/// Runs `f` with the given working precision (bits of mantissa); clears
/// and reports whether a float approximation entered any value.
pub fn with_precision<T>(bits: u64, f: impl FnOnce() -> T) -> (T, bool) {
    let old = PRECISION.with(|p| p.replace(bits.max(16)));
    let old_approx = APPROXIMATED.with(|a| a.replace(false));
    let r = f();
    PRECISION.with(|p| p.set(old));
    let approx = APPROXIMATED.with(|a| a.replace(old_approx));
    (r, approx)
}

pub fn precision() -> u64 {
    PRECISION.with(|p| p.get())
}

fn undecided(what: &str) -> EvalError {
    EvalError::Undefined(format!("{UNDECIDED}: {what}"))
}

/// True for the errors that more precision may resolve.
pub fn is_undecided(e: &EvalError) -> bool {
    match e {
        EvalError::Undefined(m) => m.starts_with(UNDECIDED),
        EvalError::NearKink => true,
        _ => false,
    }
}

fn undefined(what: &str) -> EvalError {
    EvalError::Undefined(what.to_string())
}

/// The dyadic number `m·2^e`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dy {
    m: BigInt,
    e: i64,
}

impl Dy {
    fn zero() -> Dy {
        Dy {
            m: BigInt::zero(),
            e: 0,
        }
    }
    fn int(i: i64) -> Dy {
        Dy {
            m: BigInt::from(i),
            e: 0,
        }
    }
    fn pow2(e: i64, negative: bool) -> Dy {
        Dy {
            m: if negative {
                -BigInt::one()
            } else {
                BigInt::one()
            },
            e,
        }
    }
    fn is_zero(&self) -> bool {
        self.m.is_zero()
    }
    fn signum(&self) -> i32 {
        match self.m.sign() {
            Sign::Minus => -1,
            Sign::NoSign => 0,
            Sign::Plus => 1,
        }
    }
    /// `|x| < 2^top` and (for x ≠ 0) `|x| ≥ 2^(top-1)`.
    fn top(&self) -> i64 {
        if self.is_zero() {
            i64::MIN / 4
        } else {
            self.e + self.m.bits() as i64
        }
    }
    fn neg(&self) -> Dy {
        Dy {
            m: -&self.m,
            e: self.e,
        }
    }
    fn abs(&self) -> Dy {
        Dy {
            m: self.m.abs(),
            e: self.e,
        }
    }
    /// Rounded to `prec` bits of mantissa, up (towards +∞) or down.
    fn round(mut self, prec: u64, up: bool) -> Dy {
        let b = self.m.bits();
        if b <= prec {
            return self;
        }
        let k = b - prec;
        let inexact = self.m.trailing_zeros().is_some_and(|z| z < k);
        // `>>` on a BigInt rounds towards −∞.
        self.m >>= k;
        if up && inexact {
            self.m += 1;
        }
        self.e += k as i64;
        self
    }
    /// Exact sum; the exponent gap must be moderate (see `add`).
    fn add_exact(a: &Dy, b: &Dy) -> Dy {
        if a.is_zero() {
            return b.clone();
        }
        if b.is_zero() {
            return a.clone();
        }
        if a.e <= b.e {
            Dy {
                m: &a.m + (&b.m << (b.e - a.e) as u64),
                e: a.e,
            }
        } else {
            Dy {
                m: (&a.m << (a.e - b.e) as u64) + &b.m,
                e: b.e,
            }
        }
    }
    /// Sum rounded in the given direction. A summand far below the other's
    /// last bit is replaced by a bound on the rounding side (0 or a power of
    /// two just below the precision), so huge exponent gaps cost nothing.
    fn add(a: &Dy, b: &Dy, prec: u64, up: bool) -> Dy {
        if a.is_zero() {
            return b.clone().round(prec, up);
        }
        if b.is_zero() {
            return a.clone().round(prec, up);
        }
        let lim = a.top().max(b.top()) - prec as i64 - 4;
        if a.top() >= lim && b.top() >= lim {
            return Dy::add_exact(a, b).round(prec, up);
        }
        let proxy = |x: &Dy| -> Dy {
            if x.top() >= lim {
                return x.clone();
            }
            let positive = x.signum() > 0;
            if positive == up {
                // |x| < 2^(lim-1): the bound is on the rounding side.
                Dy::pow2(lim - 1, !positive)
            } else {
                Dy::zero()
            }
        };
        Dy::add_exact(&proxy(a), &proxy(b)).round(prec, up)
    }
    fn sub(a: &Dy, b: &Dy, prec: u64, up: bool) -> Dy {
        Dy::add(a, &b.neg(), prec, up)
    }
    fn mul(a: &Dy, b: &Dy, prec: u64, up: bool) -> Dy {
        Dy {
            m: &a.m * &b.m,
            e: a.e + b.e,
        }
        .round(prec, up)
    }
    /// Quotient rounded in the given direction; `b` is non-zero.
    fn div(a: &Dy, b: &Dy, prec: u64, up: bool) -> Dy {
        if a.is_zero() {
            return Dy::zero();
        }
        let s = (prec as i64 + 2 + b.m.bits() as i64 - a.m.bits() as i64).max(0) as u64;
        let num = &a.m << s;
        let (mut q, r) = num.div_mod_floor(&b.m);
        if up && !r.is_zero() {
            q += 1;
        }
        Dy {
            m: q,
            e: a.e - b.e - s as i64,
        }
        .round(prec, up)
    }
    fn cmp(a: &Dy, b: &Dy) -> Ordering {
        let (sa, sb) = (a.signum(), b.signum());
        if sa != sb {
            return sa.cmp(&sb);
        }
        if sa == 0 {
            return Ordering::Equal;
        }
        let (ta, tb) = (a.top(), b.top());
        let by_size = if ta > tb + 1 {
            Some(Ordering::Greater)
        } else if tb > ta + 1 {
            Some(Ordering::Less)
        } else {
            None
        };
        match by_size {
            Some(o) if sa > 0 => o,
            Some(o) => o.reverse(),
            None => Dy::add_exact(a, &b.neg()).signum().cmp(&0),
        }
    }
    fn min(a: Dy, b: Dy) -> Dy {
        if Dy::cmp(&a, &b) == Ordering::Greater {
            b
        } else {
            a
        }
    }
    fn max(a: Dy, b: Dy) -> Dy {
        if Dy::cmp(&a, &b) == Ordering::Less {
            b
        } else {
            a
        }
    }
    /// The rational rounded to `prec` bits.
    fn from_rational(r: &BigRational, prec: u64, up: bool) -> Dy {
        let (n, d) = (r.numer(), r.denom());
        if n.is_zero() {
            return Dy::zero();
        }
        let k = prec as i64 + 2 + d.bits() as i64 - n.bits() as i64;
        let (num, den) = if k >= 0 {
            (n << k as u64, d.clone())
        } else {
            (n.clone(), d << (-k) as u64)
        };
        let (mut q, rem) = num.div_mod_floor(&den);
        if up && !rem.is_zero() {
            q += 1;
        }
        Dy { m: q, e: -k }.round(prec, up)
    }
    fn to_rational(&self) -> BigRational {
        if self.e >= 0 {
            BigRational::from_integer(&self.m << self.e as u64)
        } else {
            BigRational::new(self.m.clone(), BigInt::one() << (-self.e) as u64)
        }
    }
    pub fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let sh = self.m.bits().saturating_sub(60);
        let m = (&self.m >> sh).to_f64().unwrap_or(0.0);
        ldexp(m, self.e.saturating_add(sh as i64))
    }
    /// The integer value, when it is one and fits.
    fn to_i64(&self) -> Option<i64> {
        if self.is_zero() {
            return Some(0);
        }
        if self.e >= 0 {
            if self.top() > 62 {
                return None;
            }
            (&self.m << self.e as u64).to_i64()
        } else {
            let k = (-self.e) as u64;
            if self.m.bits() < k || ((&self.m >> k) << k) != self.m {
                return None;
            }
            (&self.m >> k).to_i64()
        }
    }
    /// A point between two numbers: their exact midpoint, or (for a huge
    /// exponent gap) half their sum rounded, which still lies between them.
    fn mid(a: &Dy, b: &Dy) -> Dy {
        let gap = (a.top() - b.top()).abs();
        let s = if a.is_zero() || b.is_zero() || gap < 100_000 {
            Dy::add_exact(a, b)
        } else {
            let bits = a.m.bits().max(b.m.bits()) + 64;
            Dy::add(a, b, bits, false)
        };
        Dy { m: s.m, e: s.e - 1 }
    }
}

/// `x·2^k` in floating point, saturating.
fn ldexp(mut x: f64, k: i64) -> f64 {
    let mut k = k.clamp(-2300, 2300);
    while k > 1000 {
        x *= 2f64.powi(1000);
        k -= 1000;
    }
    while k < -1000 {
        x *= 2f64.powi(-1000);
        k += 1000;
    }
    x * 2f64.powi(k as i32)
}

/// A closed interval that contains the true value.
#[derive(Clone, Debug, PartialEq)]
pub struct Ball {
    lo: Dy,
    hi: Dy,
}

impl Ball {
    fn point(d: Dy) -> Ball {
        Ball {
            lo: d.clone(),
            hi: d,
        }
    }
    pub fn zero() -> Ball {
        Ball::point(Dy::zero())
    }
    pub fn one() -> Ball {
        Ball::point(Dy::int(1))
    }
    pub fn from_i64(i: i64) -> Ball {
        Ball::point(Dy::int(i))
    }
    /// The rational, rounded outward at the current precision.
    pub fn from_rational(r: &BigRational) -> Ball {
        let p = precision();
        Ball {
            lo: Dy::from_rational(r, p, false),
            hi: Dy::from_rational(r, p, true),
        }
    }
    /// A float approximation known only to within `err`: the enclosure
    /// `[x - err, x + err]`, marked as approximate.
    pub fn from_f64_approx(x: f64, err: f64) -> Result<Ball, EvalError> {
        let (Some(xr), Some(er)) = (BigRational::from_float(x), BigRational::from_float(err))
        else {
            return Err(undefined("non-finite float approximation"));
        };
        APPROXIMATED.with(|a| a.set(true));
        let p = precision() + 64;
        let x = Dy::from_rational(&xr, p, false);
        let e = Dy::from_rational(&er.abs(), p, true);
        Ok(Ball {
            lo: Dy::sub(&x, &e, p, false),
            hi: Dy::add(&x, &e, p, true),
        })
    }
    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }
    pub fn is_exact_zero(&self) -> bool {
        self.lo.is_zero() && self.hi.is_zero()
    }
    /// True when the enclosure does not contain zero.
    pub fn excludes_zero(&self) -> bool {
        self.lo.signum() > 0 || self.hi.signum() < 0
    }
    /// Zero is decided: excluded, or the value is exactly zero.
    pub fn sign_known(&self) -> bool {
        self.excludes_zero() || self.is_exact_zero()
    }
    /// Ordering of the values when the enclosures separate; Equal when
    /// they overlap (undecided, or equal points).
    pub fn cmp_value(&self, o: &Ball) -> Ordering {
        if Dy::cmp(&self.hi, &o.lo) == Ordering::Less {
            Ordering::Less
        } else if Dy::cmp(&self.lo, &o.hi) == Ordering::Greater {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }
    /// True when the enclosures share no point: the values certainly differ.
    pub fn disjoint(&self, o: &Ball) -> bool {
        self.cmp_value(o) != Ordering::Equal
    }
    /// `self ≤ o` certainly / `self < o` certainly.
    pub fn certainly_le(&self, o: &Ball) -> bool {
        Dy::cmp(&self.hi, &o.lo) != Ordering::Greater
    }
    pub fn certainly_lt(&self, o: &Ball) -> bool {
        Dy::cmp(&self.hi, &o.lo) == Ordering::Less
    }
    /// Midpoint as a float (for display and pivoting).
    pub fn to_f64(&self) -> f64 {
        let (a, b) = (self.lo.to_f64(), self.hi.to_f64());
        if a == b { a } else { a / 2.0 + b / 2.0 }
    }
    /// Compares the midpoints' magnitudes (for picking the largest
    /// difference to show).
    pub fn abs_cmp(&self, o: &Ball) -> Ordering {
        let m = |b: &Ball| Dy::mid(&b.lo, &b.hi).abs();
        Dy::cmp(&m(self), &m(o))
    }
    /// The enclosure of `|x|`.
    pub fn abs_value(&self) -> Ball {
        if self.lo.signum() >= 0 {
            self.clone()
        } else if self.hi.signum() <= 0 {
            self.neg()
        } else {
            Ball {
                lo: Dy::zero(),
                hi: Dy::max(self.lo.abs(), self.hi.abs()),
            }
        }
    }
    /// The midpoint with 4 significant digits, in the style of the
    /// report's numbers, also beyond the range of float64 (`1.234e-500`).
    pub fn show_sig(&self) -> String {
        let f = self.to_f64();
        if f == 0.0 && self.is_exact_zero() {
            return "0".into();
        }
        if f.is_finite() && f != 0.0 && f.abs() >= 1e-300 && f.abs() <= 1e300 {
            return super::sig(f);
        }
        let mid = Dy::mid(&self.lo, &self.hi);
        if mid.is_zero() {
            return "0".into();
        }
        let sh = mid.m.bits().saturating_sub(60);
        let top = (&mid.m >> sh).to_f64().unwrap_or(1.0);
        let log10 = top.abs().log10() + (mid.e + sh as i64) as f64 * std::f64::consts::LOG10_2;
        let exp = log10.floor();
        let mant = 10f64.powf(log10 - exp) * top.signum();
        format!("{mant:.3}e{exp}")
    }
    /// Upper bound of `|x|`.
    fn mag(&self) -> Dy {
        Dy::max(self.lo.abs(), self.hi.abs())
    }
    /// Lower bound of `|x|` (0 when the enclosure contains 0).
    fn mig(&self) -> Dy {
        if self.excludes_zero() {
            Dy::min(self.lo.abs(), self.hi.abs())
        } else {
            Dy::zero()
        }
    }
    /// Whether two enclosures overlap and agree to `digits` significant
    /// digits: the width of their hull is at most `10^-digits` times the
    /// smallest magnitude in the hull, or, when the hull contains zero,
    /// times `scale` (a lower bound of the magnitude the values are
    /// measured against).
    pub fn agree(&self, o: &Ball, digits: u32, scale: &Ball) -> bool {
        if self.disjoint(o) {
            return false;
        }
        let hull = Ball {
            lo: Dy::min(self.lo.clone(), o.lo.clone()),
            hi: Dy::max(self.hi.clone(), o.hi.clone()),
        };
        let p = precision() + 64;
        let width = Dy::sub(&hull.hi, &hull.lo, p, true);
        if width.is_zero() {
            return true;
        }
        let against = if hull.excludes_zero() {
            hull.mig()
        } else {
            scale.mig()
        };
        let ten = Dy {
            m: BigInt::from(10).pow(digits),
            e: 0,
        };
        let scaled = Dy::mul(&width, &ten, p, true);
        Dy::cmp(&scaled, &against) != Ordering::Greater
    }
    /// The larger of 1 and the magnitudes (lower bounds) of the entries:
    /// the scale a value indistinguishable from zero is measured against.
    pub fn scale_of<'a>(entries: impl IntoIterator<Item = &'a Ball>) -> Ball {
        let mut s = Dy::int(1);
        for x in entries {
            s = Dy::max(s, x.mig());
        }
        Ball::point(s)
    }

    pub fn add_p(&self, o: &Ball, p: u64) -> Ball {
        Ball {
            lo: Dy::add(&self.lo, &o.lo, p, false),
            hi: Dy::add(&self.hi, &o.hi, p, true),
        }
    }
    pub fn neg(&self) -> Ball {
        Ball {
            lo: self.hi.neg(),
            hi: self.lo.neg(),
        }
    }
    pub fn sub_p(&self, o: &Ball, p: u64) -> Ball {
        self.add_p(&o.neg(), p)
    }
    pub fn mul_p(&self, o: &Ball, p: u64) -> Ball {
        let m = |a: &Dy, b: &Dy, up: bool| Dy::mul(a, b, p, up);
        if self.is_point() {
            let a = &self.lo;
            let (x, y) = if a.signum() >= 0 {
                (&o.lo, &o.hi)
            } else {
                (&o.hi, &o.lo)
            };
            return Ball {
                lo: m(a, x, false),
                hi: m(a, y, true),
            };
        }
        if o.is_point() {
            return o.mul_p(self, p);
        }
        // Sign cases: which end points give the extremes.
        let (a, b) = (self, o);
        let pos = |x: &Ball| x.lo.signum() >= 0;
        let neg = |x: &Ball| x.hi.signum() <= 0;
        let ends = if pos(a) {
            if pos(b) {
                Some((&a.lo, &b.lo, &a.hi, &b.hi))
            } else if neg(b) {
                Some((&a.hi, &b.lo, &a.lo, &b.hi))
            } else {
                Some((&a.hi, &b.lo, &a.hi, &b.hi))
            }
        } else if neg(a) {
            if pos(b) {
                Some((&a.lo, &b.hi, &a.hi, &b.lo))
            } else if neg(b) {
                Some((&a.hi, &b.hi, &a.lo, &b.lo))
            } else {
                Some((&a.lo, &b.hi, &a.lo, &b.lo))
            }
        } else if pos(b) {
            Some((&a.lo, &b.hi, &a.hi, &b.hi))
        } else if neg(b) {
            Some((&a.hi, &b.lo, &a.lo, &b.lo))
        } else {
            None
        };
        if let Some((l1, l2, h1, h2)) = ends {
            return Ball {
                lo: m(l1, l2, false),
                hi: m(h1, h2, true),
            };
        }
        let pairs = [
            (&self.lo, &o.lo),
            (&self.lo, &o.hi),
            (&self.hi, &o.lo),
            (&self.hi, &o.hi),
        ];
        let lo = pairs
            .iter()
            .map(|(a, b)| m(a, b, false))
            .reduce(Dy::min)
            .unwrap_or_else(Dy::zero);
        let hi = pairs
            .iter()
            .map(|(a, b)| m(a, b, true))
            .reduce(Dy::max)
            .unwrap_or_else(Dy::zero);
        Ball { lo, hi }
    }
    pub fn div_p(&self, o: &Ball, p: u64) -> Result<Ball, EvalError> {
        if o.is_exact_zero() {
            return Err(undefined("division by zero"));
        }
        if !o.excludes_zero() {
            return Err(undecided("the divisor's enclosure contains zero"));
        }
        if o.is_point() {
            let b = &o.lo;
            let (x, y) = if b.signum() > 0 {
                (&self.lo, &self.hi)
            } else {
                (&self.hi, &self.lo)
            };
            return Ok(Ball {
                lo: Dy::div(x, b, p, false),
                hi: Dy::div(y, b, p, true),
            });
        }
        let one = Dy::int(1);
        let recip = Ball {
            lo: Dy::div(&one, &o.hi, p, false),
            hi: Dy::div(&one, &o.lo, p, true),
        };
        Ok(self.mul_p(&recip, p))
    }
    fn scale2(&self, k: i64) -> Ball {
        Ball {
            lo: Dy {
                m: self.lo.m.clone(),
                e: self.lo.e + k,
            },
            hi: Dy {
                m: self.hi.m.clone(),
                e: self.hi.e + k,
            },
        }
    }
    /// Widened by `[-t, t]`.
    fn widen(&self, t: &Dy, p: u64) -> Ball {
        Ball {
            lo: Dy::sub(&self.lo, t, p, false),
            hi: Dy::add(&self.hi, t, p, true),
        }
    }

    pub fn exp(&self) -> Result<Ball, EvalError> {
        let p = precision();
        if self.hi.top() > EXP_LIMIT_BITS {
            return Err(undefined("exp overflows"));
        }
        if self.lo.top() > EXP_LIMIT_BITS {
            return Err(undefined("exp underflows"));
        }
        let lo = exp_point(&self.lo, p);
        if self.is_point() {
            return Ok(lo);
        }
        Ok(Ball {
            lo: lo.lo,
            hi: exp_point(&self.hi, p).hi,
        })
    }
    pub fn log(&self) -> Result<Ball, EvalError> {
        let p = precision();
        if self.hi.signum() <= 0 {
            return Err(undefined("log of a non-positive number"));
        }
        if self.lo.signum() <= 0 {
            return Err(undecided("the enclosure of a log argument reaches zero"));
        }
        if self.lo.top().abs() > EXP_LIMIT_BITS * 1000
            || self.hi.top().abs() > EXP_LIMIT_BITS * 1000
        {
            return Err(undefined("log argument out of range"));
        }
        let lo = log_point(&self.lo, p);
        if self.is_point() {
            return Ok(lo);
        }
        Ok(Ball {
            lo: lo.lo,
            hi: log_point(&self.hi, p).hi,
        })
    }
    pub fn sqrt(&self) -> Result<Ball, EvalError> {
        let p = precision();
        if self.hi.signum() < 0 {
            return Err(undefined("sqrt of a negative number"));
        }
        if self.lo.signum() < 0 {
            return Err(undecided(
                "the enclosure of a sqrt argument contains negatives",
            ));
        }
        Ok(Ball {
            lo: sqrt_dir(&self.lo, p, false),
            hi: sqrt_dir(&self.hi, p, true),
        })
    }
    pub fn tanh(&self) -> Result<Ball, EvalError> {
        let p = precision();
        let lo = tanh_point(&self.lo, p);
        if self.is_point() {
            return Ok(lo);
        }
        Ok(Ball {
            lo: lo.lo,
            hi: tanh_point(&self.hi, p).hi,
        })
    }
    /// sin or cos: the value at the midpoint, widened by the radius (both
    /// functions are 1-Lipschitz).
    fn trig(&self, cos: bool) -> Result<Ball, EvalError> {
        let p = precision();
        let mid = if self.is_point() {
            self.lo.clone()
        } else {
            Dy::mid(&self.lo, &self.hi)
        };
        let (s, c) = sin_cos_point(&mid, p)?;
        let v = if cos { c } else { s };
        if self.is_point() {
            return Ok(v);
        }
        let rad = Dy::max(
            Dy::sub(&self.hi, &mid, p, true),
            Dy::sub(&mid, &self.lo, p, true),
        );
        Ok(v.widen(&rad, p))
    }
    pub fn sin(&self) -> Result<Ball, EvalError> {
        self.trig(false)
    }
    pub fn cos(&self) -> Result<Ball, EvalError> {
        self.trig(true)
    }
    /// erf is increasing: the enclosure of its end points' values.
    pub fn erf(&self) -> Result<Ball, EvalError> {
        let p = precision();
        let lo = erf_point(&self.lo, p);
        if self.is_point() {
            return Ok(lo);
        }
        Ok(Ball {
            lo: lo.lo,
            hi: erf_point(&self.hi, p).hi,
        })
    }
    /// An enclosure of π at the working precision.
    pub fn pi() -> Ball {
        pi(precision())
    }
    /// `x^y` for a real exponent: `exp(y·log x)`, with `0^y = 0` for y > 0.
    pub fn powf(&self, y: &Ball) -> Result<Ball, EvalError> {
        let p = precision();
        if self.is_exact_zero() {
            return if y.lo.signum() > 0 {
                Ok(Ball::zero())
            } else if y.hi.signum() <= 0 {
                Err(undefined("power undefined"))
            } else {
                Err(undecided("the sign of an exponent of zero"))
            };
        }
        if y.is_point()
            && y.lo
                == (Dy {
                    m: BigInt::one(),
                    e: -1,
                })
        {
            return self.sqrt();
        }
        if self.hi.signum() <= 0 {
            return Err(undefined("power undefined"));
        }
        self.log()?.mul_p(y, p).exp()
    }
    /// The integer value of an exact point of moderate size (a larger
    /// exponent goes through `powf`, whose range is checked).
    pub fn as_int(&self) -> Option<i64> {
        if self.is_point() {
            self.lo.to_i64().filter(|n| n.unsigned_abs() <= 1 << 32)
        } else {
            None
        }
    }
    /// The exact end points, for tests.
    pub fn bounds(&self) -> (BigRational, BigRational) {
        (self.lo.to_rational(), self.hi.to_rational())
    }
    /// Whether the enclosure contains the rational.
    pub fn contains_rational(&self, r: &BigRational) -> bool {
        let (lo, hi) = self.bounds();
        &lo <= r && r <= &hi
    }
}

/// The Taylor series of exp at a dyadic point `r` (|r| ≤ 1), summed in
/// fixed point with `w` fractional bits and split into its even and odd
/// terms (with the signs of cos and sin when `alternate`), each enclosed.
///
/// Term n is `T_n = [[T_(n-1)·r]/n]` with each `[·]` (a floor or a
/// truncation) erring by less than one unit,
/// and an earlier error shrinks by |r|/n ≤ 1, so `T_n` is off by at most 2n
/// units and the sums by at most n(n+1). The series stops once `T_n` is
/// below two units; the tail beyond it is at most |T_n| (exp with |r| ≤ 1/2:
/// 2|T_n||r|/(n+1); sin and cos: the Lagrange remainder).
fn taylor_fixed(r: &Dy, w: u64, alternate: bool) -> (Ball, Ball) {
    let one = BigInt::one() << w;
    let mut t = one.clone();
    let mut even = one;
    let mut odd = BigInt::zero();
    let mut n: u64 = 0;
    while n < 1_000_000 {
        n += 1;
        t *= &r.m;
        t = if r.e >= 0 {
            t << r.e as u64
        } else {
            t >> (-r.e) as u64
        };
        t /= n;
        let negative = alternate && (n / 2) % 2 == 1;
        match (n.is_multiple_of(2), negative) {
            (true, false) => even += &t,
            (true, true) => even -= &t,
            (false, false) => odd += &t,
            (false, true) => odd -= &t,
        }
        if t.bits() <= 1 {
            break;
        }
    }
    let err = BigInt::from(n) * BigInt::from(n + 1) + t.abs() + BigInt::from(2 * n + 2);
    let enclose = |x: BigInt| Ball {
        lo: Dy {
            m: &x - &err,
            e: -(w as i64),
        },
        hi: Dy {
            m: x + &err,
            e: -(w as i64),
        },
    };
    (enclose(even), enclose(odd))
}

/// Enclosure of exp(d) for a dyadic point d (|d| ≤ 2^EXP_LIMIT_BITS):
/// the series at d/2^k with |d/2^k| < 1/4, squared k times.
fn exp_point(d: &Dy, p: u64) -> Ball {
    if d.is_zero() {
        return Ball::one();
    }
    let k = (d.top() + 2).max(0);
    let w = p + k as u64 + 24;
    let r = Dy {
        m: d.m.clone(),
        e: d.e - k,
    };
    let (even, odd) = taylor_fixed(&r, w, false);
    let mut s = even.add_p(&odd, w);
    for _ in 0..k {
        s = s.mul_p(&s, w);
    }
    s
}

/// Σ z^(2k+1)/(2k+1) (atanh) or the alternating series (atan) for an
/// enclosure z with |z| ≤ 1/3, tail included.
fn arc_series(z: &Ball, w: u64, alternating: bool) -> Ball {
    if z.is_exact_zero() {
        return Ball::zero();
    }
    let z2 = z.mul_p(z, w);
    let mut pw = z.clone();
    let mut sum = z.clone();
    let stop = z.mag().top() - w as i64 - 4;
    for k in 1..100_000i64 {
        pw = pw.mul_p(&z2, w);
        let term = pw
            .div_p(&Ball::from_i64(2 * k + 1), w)
            .unwrap_or_else(|_| Ball::zero());
        sum = if alternating && k % 2 == 1 {
            sum.sub_p(&term, w)
        } else {
            sum.add_p(&term, w)
        };
        if pw.mag().top() < stop {
            break;
        }
    }
    // The tail from z^(2k+3) on is at most |z|^(2k+3)/(1 - z²) ≤ 2|pw||z²|.
    let tail = Dy::mul(&pw.mag(), &z2.mag(), w, true);
    sum.widen(
        &Dy {
            m: tail.m,
            e: tail.e + 1,
        },
        w,
    )
}

/// log 2 = 2·atanh(1/3), cached per precision.
fn ln2(w: u64) -> Ball {
    if let Some(b) = LN2.with(|c| c.borrow().get(&w).cloned()) {
        return b;
    }
    let third = Ball::one()
        .div_p(&Ball::from_i64(3), w + 8)
        .unwrap_or_else(|_| Ball::zero());
    let v = arc_series(&third, w + 8, false).scale2(1);
    LN2.with(|c| c.borrow_mut().insert(w, v.clone()));
    v
}

/// π = 16·atan(1/5) − 4·atan(1/239), cached per precision.
fn pi(w: u64) -> Ball {
    if let Some(b) = PI.with(|c| c.borrow().get(&w).cloned()) {
        return b;
    }
    let w2 = w + 8;
    let inv = |n: i64| {
        Ball::one()
            .div_p(&Ball::from_i64(n), w2)
            .unwrap_or_else(|_| Ball::zero())
    };
    let a = arc_series(&inv(5), w2, true).scale2(4);
    let b = arc_series(&inv(239), w2, true).scale2(2);
    let v = a.sub_p(&b, w2);
    PI.with(|c| c.borrow_mut().insert(w, v.clone()));
    v
}

/// Enclosure of log(d) for a dyadic point d > 0.
fn log_point(d: &Dy, p: u64) -> Ball {
    let w = p + 16;
    let b = d.m.bits() as i64;
    // d = x·2^n with x in [3/4, 3/2).
    let mut x = Dy {
        m: d.m.clone(),
        e: -b,
    };
    let mut n = d.e + b;
    if Dy::cmp(
        &x,
        &Dy {
            m: BigInt::from(3),
            e: -2,
        },
    ) == Ordering::Less
    {
        x.e += 1;
        n -= 1;
    }
    let xb = Ball::point(x);
    let z = xb
        .sub_p(&Ball::one(), w)
        .div_p(&xb.add_p(&Ball::one(), w), w)
        .unwrap_or_else(|_| Ball::zero());
    let lx = arc_series(&z, w, false).scale2(1);
    if n == 0 {
        return lx;
    }
    let extra = 64 - (n.unsigned_abs().leading_zeros() as u64);
    let l2 = ln2(w + extra);
    lx.add_p(&l2.mul_p(&Ball::from_i64(n), w + extra), w)
}

/// √d rounded in the given direction (d ≥ 0).
fn sqrt_dir(d: &Dy, p: u64, up: bool) -> Dy {
    if d.is_zero() {
        return Dy::zero();
    }
    let b = d.m.bits() as i64;
    let mut s = (2 * (p as i64 + 2) - b).max(0);
    if (d.e - s) % 2 != 0 {
        s += 1;
    }
    let n = &d.m << s as u64;
    let mut r = n.sqrt();
    if up && &r * &r != n {
        r += 1;
    }
    Dy {
        m: r,
        e: (d.e - s) / 2,
    }
    .round(p, up)
}

/// Enclosure of tanh(d) for a dyadic point d.
fn tanh_point(d: &Dy, p: u64) -> Ball {
    if d.is_zero() {
        return Ball::zero();
    }
    let a = d.abs();
    let t = if a.top() > 24 {
        // tanh a ≥ 1 − 2e^(−2a) ≥ 1 − 2^(1 − 2^top) since a ≥ 2^(top−1).
        let top = a.top().min(EXP_LIMIT_BITS);
        Ball {
            lo: Dy::sub(&Dy::int(1), &Dy::pow2(1 - (1i64 << top), false), p, false),
            hi: Dy::int(1),
        }
    } else {
        let w = p + 16 + (-a.top()).max(0) as u64;
        let e = exp_point(
            &Dy {
                m: a.m.clone(),
                e: a.e + 1,
            },
            w,
        );
        // 1 − 2/(e + 1): e occurs once, so interval arithmetic is sharp.
        let q = Ball::from_i64(2)
            .div_p(&e.add_p(&Ball::one(), w), w)
            .unwrap_or_else(|_| Ball::zero());
        let t = Ball::one().sub_p(&q, w);
        Ball {
            lo: t.lo,
            hi: Dy::min(t.hi, Dy::int(1)),
        }
    };
    if d.signum() < 0 { t.neg() } else { t }
}

/// Enclosure of erf(d) for a dyadic point d. For x = |d| with x² ≥ (p + 8)
/// ln 2: [1 − 2^(−p−8), 1], since 0 < erfc(x) < e^(−x²) for x ≥ 1.
/// Otherwise the series erf(x) = (2/√π) e^(−x²) Σ 2ⁿ x^(2n+1)/(1·3⋯(2n+1)),
/// whose terms are all positive (no cancellation); once the ratio of
/// consecutive terms 2x²/(2n + 3) is at most 1/2, the tail after a term is
/// at most that term.
fn erf_point(d: &Dy, p: u64) -> Ball {
    if d.is_zero() {
        return Ball::zero();
    }
    let a = d.abs();
    let xf = a.to_f64();
    let t = if xf >= 1.0 && xf * xf >= (p as f64 + 9.0) * 0.7 {
        Ball {
            lo: Dy::sub(&Dy::int(1), &Dy::pow2(-(p as i64) - 8, false), p, false),
            hi: Dy::int(1),
        }
    } else {
        let terms = 4.0 * xf * xf + p as f64 + 64.0;
        let w = p + 24 + terms.log2().ceil() as u64;
        let x = Ball::point(a.clone());
        let two_x2 = x.mul_p(&x, w).scale2(1);
        let mut term = x.clone();
        let mut sum = x.clone();
        let mut n: i64 = 0;
        loop {
            n += 1;
            term = term
                .mul_p(&two_x2, w)
                .div_p(&Ball::from_i64(2 * n + 1), w)
                .unwrap_or_else(|_| Ball::zero());
            sum = sum.add_p(&term, w);
            let ratio_small = (2 * n + 3) as f64 >= 4.0 * xf * xf + 4.0;
            if ratio_small && term.hi.top() < sum.lo.top() - w as i64 {
                break;
            }
        }
        let sum = Ball {
            lo: sum.lo,
            hi: Dy::add(&sum.hi, &term.hi, w, true),
        };
        let x2 = two_x2.scale2(-1);
        let g = Ball {
            lo: exp_point(&x2.hi.neg(), w).lo,
            hi: exp_point(&x2.lo.neg(), w).hi,
        };
        let pw = pi(w);
        let root_pi = Ball {
            lo: sqrt_dir(&pw.lo, w, false),
            hi: sqrt_dir(&pw.hi, w, true),
        };
        let v = g
            .mul_p(&sum, w)
            .scale2(1)
            .div_p(&root_pi, w)
            .unwrap_or_else(|_| Ball::zero());
        Ball {
            lo: v.lo,
            hi: Dy::min(v.hi, Dy::int(1)),
        }
    };
    if d.signum() < 0 { t.neg() } else { t }
}

/// Enclosures of sin(d) and cos(d) for a dyadic point d: reduced by a
/// multiple of an enclosure of π/2 to r with |r| ≤ 1, the series at the
/// midpoint of r, widened by its radius (sin and cos are 1-Lipschitz).
/// The last argument is remembered: a dual number asks for both.
fn sin_cos_point(d: &Dy, p: u64) -> Result<(Ball, Ball), EvalError> {
    if d.is_zero() {
        return Ok((Ball::zero(), Ball::one()));
    }
    if d.top() > 50 {
        return Err(EvalError::Unsupported(
            "sin/cos of an argument beyond 2^50".into(),
        ));
    }
    if let Some(hit) = LAST_TRIG.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(x, q, _)| x == d && *q == p)
            .map(|(_, _, v)| v.clone())
    }) {
        return Ok(hit);
    }
    let w = p + 24 + d.top().unsigned_abs().min(8192);
    let (mid, rad, k) = if d.top() <= 0 {
        (d.clone(), None, 0i64)
    } else {
        let k = (d.to_f64() / std::f64::consts::FRAC_PI_2).round() as i64;
        let half_pi = pi(w).scale2(-1);
        let r = Ball::point(d.clone()).sub_p(&half_pi.mul_p(&Ball::from_i64(k), w), w);
        let mid = Dy::mid(&r.lo, &r.hi);
        let rad = Dy::max(Dy::sub(&r.hi, &mid, w, true), Dy::sub(&mid, &r.lo, w, true));
        (mid, Some(rad), k)
    };
    let (mut cos, mut sin) = taylor_fixed(&mid, w, true);
    if let Some(rad) = rad {
        sin = sin.widen(&rad, w);
        cos = cos.widen(&rad, w);
    }
    let v = match k.rem_euclid(4) {
        0 => (sin, cos),
        1 => (cos, sin.neg()),
        2 => (sin.neg(), cos.neg()),
        _ => (cos.neg(), sin),
    };
    LAST_TRIG.with(|c| *c.borrow_mut() = Some((d.clone(), p, v.clone())));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> BigRational {
        BigRational::new(BigInt::from(n), BigInt::from(d))
    }

    /// A decimal constant as a rational (the digits given are exact).
    fn dec(s: &str) -> BigRational {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let neg = int.starts_with('-');
        let digits: BigInt = format!("{}{}", int.trim_start_matches('-'), frac)
            .parse()
            .unwrap();
        let r = BigRational::new(digits, BigInt::from(10).pow(frac.len() as u32));
        if neg { -r } else { r }
    }

    /// The constant given to 40 digits lies within 1e-39 of the enclosure,
    /// and the enclosure is narrow.
    fn near(b: &Ball, digits: &str, bits: u64) {
        let v = dec(digits);
        let (lo, hi) = b.bounds();
        let slack = q(1, 1) / BigRational::from_integer(BigInt::from(10).pow(39));
        assert!(
            lo.clone() - &slack <= v && v <= hi.clone() + &slack,
            "{digits} not in [{}, {}]",
            lo.to_f64().unwrap(),
            hi.to_f64().unwrap()
        );
        let width = hi - lo;
        let rel = BigRational::from_integer(BigInt::one())
            / BigRational::from_integer(BigInt::one() << (bits - 8));
        assert!(
            width <= rel * (v.abs() + BigRational::one()),
            "{digits}: too wide"
        );
    }

    #[test]
    fn right_shift_rounds_down() {
        assert_eq!(BigInt::from(-5) >> 1u64, BigInt::from(-3));
        assert_eq!(BigInt::from(5) >> 1u64, BigInt::from(2));
    }

    #[test]
    fn rational_operations_contain_the_exact_result() {
        for bits in [16u64, 64, 128, 300] {
            with_precision(bits, || {
                let vals = [
                    q(1, 3),
                    q(-7, 5),
                    q(22, 7),
                    q(-1, 1_000_003),
                    q(10i64.pow(18), 3),
                ];
                for a in &vals {
                    for b in &vals {
                        let (x, y) = (Ball::from_rational(a), Ball::from_rational(b));
                        let p = precision();
                        assert!(x.add_p(&y, p).contains_rational(&(a + b)));
                        assert!(x.sub_p(&y, p).contains_rational(&(a - b)));
                        assert!(x.mul_p(&y, p).contains_rational(&(a * b)));
                        assert!(x.div_p(&y, p).unwrap().contains_rational(&(a / b)));
                        let wide = x.add_p(&Ball::from_rational(&q(1, 1 << 20)).neg(), p);
                        let w2 = Ball {
                            lo: wide.lo.clone(),
                            hi: x.hi.clone(),
                        };
                        assert!(w2.mul_p(&y, p).contains_rational(&(a * b)));
                        assert!(w2.div_p(&y, p).unwrap().contains_rational(&(a / b)));
                    }
                }
                // Huge exponent gaps: 10^300 + 10^-300 − 10^300 is tiny but positive.
                let big =
                    Ball::from_rational(&BigRational::from_integer(BigInt::from(10).pow(300)));
                let tiny = Ball::from_rational(
                    &(q(1, 1) / BigRational::from_integer(BigInt::from(10).pow(300))),
                );
                let s = big.add_p(&tiny, bits).sub_p(&big, bits);
                let tiny_exact = q(1, 1) / BigRational::from_integer(BigInt::from(10).pow(300));
                assert!(s.contains_rational(&tiny_exact) && s.hi.signum() > 0);
            });
        }
    }

    #[test]
    fn square_roots_bracket_the_exact_root() {
        with_precision(128, || {
            let two = Ball::from_i64(2).sqrt().unwrap();
            let (lo, hi) = two.bounds();
            assert!(&lo * &lo <= q(2, 1) && q(2, 1) <= &hi * &hi);
            assert!(
                Ball::from_rational(&q(9, 4))
                    .sqrt()
                    .unwrap()
                    .contains_rational(&q(3, 2))
            );
            near(&two, "1.414213562373095048801688724209698078569", 128);
            assert!(Ball::from_i64(-1).sqrt().is_err());
        });
    }

    #[test]
    fn transcendentals_contain_known_constants() {
        for bits in [128u64, 256, 1024] {
            with_precision(bits, || {
                let one = Ball::one();
                near(
                    &one.exp().unwrap(),
                    "2.718281828459045235360287471352662497757",
                    bits,
                );
                near(
                    &Ball::from_i64(2).log().unwrap(),
                    "0.6931471805599453094172321214581765680755",
                    bits,
                );
                near(
                    &Ball::from_i64(10).log().unwrap(),
                    "2.302585092994045684017991454684364207601",
                    bits,
                );
                near(&pi(bits), "3.141592653589793238462643383279502884197", bits);
                near(
                    &one.sin().unwrap(),
                    "0.8414709848078965066525023216302989996226",
                    bits,
                );
                near(
                    &one.cos().unwrap(),
                    "0.5403023058681397174009366074429766037323",
                    bits,
                );
                near(
                    &one.tanh().unwrap(),
                    "0.7615941559557648881194582826047935904128",
                    bits,
                );
                near(
                    &Ball::from_i64(-3).tanh().unwrap(),
                    "-0.9950547536867304513318801852554884750978",
                    bits,
                );
                near(
                    &Ball::from_i64(10).sin().unwrap(),
                    "-0.5440211108893698134047476618513772816836",
                    bits,
                );
                near(
                    &Ball::from_i64(-100).cos().unwrap(),
                    "0.8623188722876839341019385139508425355100",
                    bits,
                );
                near(
                    &Ball::from_rational(&q(1, 2))
                        .powf(&Ball::from_rational(&q(1, 3)))
                        .unwrap(),
                    "0.7937005259840997373758528196361541301957",
                    bits,
                );
                // exp(−20) and log of a tiny number.
                near(
                    &Ball::from_i64(-20).exp().unwrap(),
                    "0.000000002061153622438557827965940380155",
                    bits,
                );
                let e1000 = Ball::from_i64(1000).exp().unwrap();
                let back = e1000.log().unwrap();
                assert!(back.contains_rational(&q(1000, 1)));
                assert!(back.agree(&Ball::from_i64(1000), 30, &Ball::one()));
            });
        }
    }

    #[test]
    fn exact_identities_hold_inside_the_enclosures() {
        with_precision(128, || {
            let x = Ball::from_rational(&q(3, 7));
            let p = precision();
            // exp(x)·exp(−x) = 1, sin² + cos² = 1, log(exp(x)) = x.
            let e = x.exp().unwrap().mul_p(&x.neg().exp().unwrap(), p);
            assert!(e.contains_rational(&q(1, 1)));
            let s = x.sin().unwrap();
            let c = x.cos().unwrap();
            assert!(
                s.mul_p(&s, p)
                    .add_p(&c.mul_p(&c, p), p)
                    .contains_rational(&q(1, 1))
            );
            assert!(x.exp().unwrap().log().unwrap().contains_rational(&q(3, 7)));
            // tanh of a tiny argument keeps its relative accuracy.
            let tiny = Ball::from_rational(
                &(q(1, 1) / BigRational::from_integer(BigInt::from(10).pow(40))),
            );
            let t = tiny.tanh().unwrap();
            assert!(t.agree(&tiny, 30, &Ball::one()));
            assert!(t.excludes_zero());
        });
    }

    #[test]
    fn comparisons_decide_only_separated_enclosures() {
        with_precision(128, || {
            let a = Ball::from_rational(&q(1, 3));
            let b = a.add_p(&Ball::from_rational(&q(1, 1 << 30)), 128);
            assert!(a.certainly_lt(&b) && a.disjoint(&b));
            let third = Ball::one().div_p(&Ball::from_i64(3), 128).unwrap();
            assert!(!third.is_point() && !third.disjoint(&a));
            assert!(third.agree(&a, 30, &Ball::one()));
            assert!(!Ball::from_rational(&q(1, 3)).agree(
                &Ball::from_rational(
                    &(q(1, 3) + BigRational::new(BigInt::one(), BigInt::one() << 100u32))
                ),
                30,
                &Ball::one()
            ));
            let z = a.sub_p(&third, 128);
            assert!(!z.sign_known());
            assert!(Ball::one().div_p(&z, 128).is_err_and(|e| is_undecided(&e)));
            assert!(
                Ball::one()
                    .div_p(&Ball::zero(), 128)
                    .is_err_and(|e| !is_undecided(&e))
            );
        });
    }
}
