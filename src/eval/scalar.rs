//! The arithmetic the evaluator is generic over: `f64` (fast sampling),
//! `BigRational` (exact evaluation of closed expressions), [`Ball`]
//! (certified enclosures in arbitrary precision) and `Dual<S>` (forward-mode
//! derivatives over any of them).
//!
//! Nested derivatives need duals of duals. To keep monomorphisation finite
//! every scalar names the type one derivative level up (`Lifted`):
//! `f64 → Dual<f64> → Dual<Dual<f64>> → itself` (and the same chain over
//! `BigRational`); the last level refuses to lift at run time, so at most two
//! derivatives can be nested.

use super::EvalError;
use super::ball::{self, Ball};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt::Debug;

pub trait Scalar: Clone + Debug + 'static {
    /// The scalar one derivative level up.
    type Lifted: Scalar;
    /// How many dual layers this type has (f64 and BigRational: 0).
    const DEPTH: u32;
    /// True for exact (rational) arithmetic: comparisons and pivots are exact.
    const EXACT: bool;
    /// True for certified enclosures: a comparison is decided only when the
    /// enclosures separate (see [`Scalar::sign_known`]).
    const CERTIFIED: bool = false;

    fn from_rational(r: &BigRational) -> Self;
    /// A sampled input, given both exactly and as the nearest float; each
    /// arithmetic picks its own representation so no conversion is needed.
    fn from_value(exact: &BigRational, float: f64) -> Self;
    fn from_i64(i: i64) -> Self;
    /// Only float-based arithmetics accept a float (singular values).
    fn from_f64(x: f64) -> Result<Self, EvalError>;
    /// A float known only to within `err` (singular values from float
    /// linear algebra): certified arithmetic encloses `x ± err`.
    fn from_f64_approx(x: f64, err: f64) -> Result<Self, EvalError> {
        let _ = err;
        Self::from_f64(x)
    }
    /// False when the sign of the value is not decided (a certified
    /// enclosure that contains zero without being exactly zero, or an exact
    /// zero that moves with the input being differentiated).
    fn sign_known(&self) -> bool {
        true
    }
    fn zero() -> Self;
    fn one() -> Self;
    fn add(&self, o: &Self) -> Self;
    fn sub(&self, o: &Self) -> Self;
    fn mul(&self, o: &Self) -> Self;
    /// Err(Undefined) when the divisor's value is zero.
    fn div(&self, o: &Self) -> Result<Self, EvalError>;
    fn neg(&self) -> Self;
    /// The value part as a float.
    fn to_f64(&self) -> f64;
    /// Exact comparison of the value parts (derivative parts are ignored).
    fn cmp_value(&self, o: &Self) -> Ordering;
    /// Some(n) when the value is the integer n and every derivative part is 0,
    /// so that `x^n` may be computed by repeated multiplication.
    fn as_int_const(&self) -> Option<i64>;
    /// True when the value and every derivative part are exactly zero.
    fn is_const_zero(&self) -> bool;
    fn exp(&self) -> Result<Self, EvalError>;
    fn log(&self) -> Result<Self, EvalError>;
    fn sqrt(&self) -> Result<Self, EvalError>;
    fn tanh(&self) -> Result<Self, EvalError>;
    fn sin(&self) -> Result<Self, EvalError>;
    fn cos(&self) -> Result<Self, EvalError>;
    /// The error function.
    fn erf(&self) -> Result<Self, EvalError>;
    /// The constant π.
    fn pi() -> Result<Self, EvalError>;
    /// `self^p` for a real exponent (base must be positive unless p is an integer).
    fn powf(&self, p: &Self) -> Result<Self, EvalError>;
    /// Embeds a value one level up with derivative part 0.
    fn lift(&self) -> Self::Lifted;
    /// The value one level up with the given derivative part.
    fn make_dual(v: &Self, d: &Self) -> Result<Self::Lifted, EvalError>;
    /// The derivative part of a value one level up.
    fn deriv_part(l: &Self::Lifted) -> Result<Self, EvalError>;
    /// Exact text for rationals, the float otherwise.
    fn show(&self) -> String;

    /// Size of an exact value in bits (0 for floats): exact arithmetic gives
    /// up once numbers grow past a budget instead of running for minutes.
    fn bits(&self) -> u64 {
        0
    }

    fn sign(&self) -> Ordering {
        self.cmp_value(&<Self as Scalar>::zero())
    }
    fn is_zero_value(&self) -> bool {
        self.sign() == Ordering::Equal
    }
}

fn undefined(what: &str) -> EvalError {
    EvalError::Undefined(what.to_string())
}

fn finite(x: f64, what: &str) -> Result<f64, EvalError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(undefined(what))
    }
}

impl Scalar for f64 {
    type Lifted = Dual<f64>;
    const DEPTH: u32 = 0;
    const EXACT: bool = false;

    fn from_rational(r: &BigRational) -> Self {
        ToPrimitive::to_f64(r).unwrap_or(f64::NAN)
    }
    fn from_value(_exact: &BigRational, float: f64) -> Self {
        float
    }
    fn from_i64(i: i64) -> Self {
        i as f64
    }
    fn from_f64(x: f64) -> Result<Self, EvalError> {
        Ok(x)
    }
    fn zero() -> Self {
        0.0
    }
    fn one() -> Self {
        1.0
    }
    fn add(&self, o: &Self) -> Self {
        self + o
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn div(&self, o: &Self) -> Result<Self, EvalError> {
        if *o == 0.0 {
            Err(undefined("division by zero"))
        } else {
            Ok(self / o)
        }
    }
    fn neg(&self) -> Self {
        -self
    }
    fn to_f64(&self) -> f64 {
        *self
    }
    fn cmp_value(&self, o: &Self) -> Ordering {
        self.partial_cmp(o).unwrap_or(Ordering::Equal)
    }
    fn as_int_const(&self) -> Option<i64> {
        if self.fract() == 0.0 && self.abs() < 1e15 {
            Some(*self as i64)
        } else {
            None
        }
    }
    fn is_const_zero(&self) -> bool {
        *self == 0.0
    }
    fn exp(&self) -> Result<Self, EvalError> {
        finite(f64::exp(*self), "exp overflows")
    }
    fn log(&self) -> Result<Self, EvalError> {
        if *self <= 0.0 {
            Err(undefined("log of a non-positive number"))
        } else {
            Ok(f64::ln(*self))
        }
    }
    fn sqrt(&self) -> Result<Self, EvalError> {
        if *self < 0.0 {
            Err(undefined("sqrt of a negative number"))
        } else {
            Ok(f64::sqrt(*self))
        }
    }
    fn tanh(&self) -> Result<Self, EvalError> {
        Ok(f64::tanh(*self))
    }
    fn sin(&self) -> Result<Self, EvalError> {
        Ok(f64::sin(*self))
    }
    fn cos(&self) -> Result<Self, EvalError> {
        Ok(f64::cos(*self))
    }
    fn erf(&self) -> Result<Self, EvalError> {
        Ok(libm::erf(*self))
    }
    fn pi() -> Result<Self, EvalError> {
        Ok(std::f64::consts::PI)
    }
    fn powf(&self, p: &Self) -> Result<Self, EvalError> {
        finite(f64::powf(*self, *p), "power undefined")
    }
    fn lift(&self) -> Dual<f64> {
        Dual { v: *self, d: 0.0 }
    }
    fn make_dual(v: &Self, d: &Self) -> Result<Dual<f64>, EvalError> {
        Ok(Dual { v: *v, d: *d })
    }
    fn deriv_part(l: &Dual<f64>) -> Result<Self, EvalError> {
        Ok(l.d)
    }
    fn show(&self) -> String {
        format!("{self}")
    }
}

/// Exact square root of a non-negative rational when numerator and
/// denominator are perfect squares.
fn exact_sqrt(r: &BigRational) -> Option<BigRational> {
    if r.is_negative() {
        return None;
    }
    let n = r.numer().sqrt();
    let d = r.denom().sqrt();
    if &(&n * &n) == r.numer() && &(&d * &d) == r.denom() {
        Some(BigRational::new(n, d))
    } else {
        None
    }
}

impl Scalar for BigRational {
    type Lifted = Dual<BigRational>;
    const DEPTH: u32 = 0;
    const EXACT: bool = true;

    fn from_rational(r: &BigRational) -> Self {
        r.clone()
    }
    fn from_value(exact: &BigRational, _float: f64) -> Self {
        exact.clone()
    }
    fn bits(&self) -> u64 {
        self.numer().bits() + self.denom().bits()
    }
    fn from_i64(i: i64) -> Self {
        BigRational::from_integer(BigInt::from(i))
    }
    fn from_f64(_x: f64) -> Result<Self, EvalError> {
        Err(EvalError::NotExact)
    }
    fn zero() -> Self {
        <BigRational as Zero>::zero()
    }
    fn one() -> Self {
        <BigRational as One>::one()
    }
    fn add(&self, o: &Self) -> Self {
        self + o
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn div(&self, o: &Self) -> Result<Self, EvalError> {
        if o.is_zero() {
            Err(undefined("division by zero"))
        } else {
            Ok(self / o)
        }
    }
    fn neg(&self) -> Self {
        -self
    }
    fn to_f64(&self) -> f64 {
        ToPrimitive::to_f64(self).unwrap_or(f64::NAN)
    }
    fn cmp_value(&self, o: &Self) -> Ordering {
        self.cmp(o)
    }
    fn as_int_const(&self) -> Option<i64> {
        if self.is_integer() {
            self.numer().to_i64()
        } else {
            None
        }
    }
    fn is_const_zero(&self) -> bool {
        self.is_zero()
    }
    fn exp(&self) -> Result<Self, EvalError> {
        if self.is_zero() {
            Ok(<Self as Scalar>::one())
        } else {
            Err(EvalError::NotExact)
        }
    }
    fn log(&self) -> Result<Self, EvalError> {
        if !self.is_positive() {
            Err(undefined("log of a non-positive number"))
        } else if self.is_one() {
            Ok(<Self as Scalar>::zero())
        } else {
            Err(EvalError::NotExact)
        }
    }
    fn sqrt(&self) -> Result<Self, EvalError> {
        if self.is_negative() {
            Err(undefined("sqrt of a negative number"))
        } else {
            exact_sqrt(self).ok_or(EvalError::NotExact)
        }
    }
    fn tanh(&self) -> Result<Self, EvalError> {
        if self.is_zero() {
            Ok(<Self as Scalar>::zero())
        } else {
            Err(EvalError::NotExact)
        }
    }
    fn sin(&self) -> Result<Self, EvalError> {
        self.tanh()
    }
    fn cos(&self) -> Result<Self, EvalError> {
        if self.is_zero() {
            Ok(<Self as Scalar>::one())
        } else {
            Err(EvalError::NotExact)
        }
    }
    fn erf(&self) -> Result<Self, EvalError> {
        self.tanh()
    }
    fn pi() -> Result<Self, EvalError> {
        Err(EvalError::NotExact)
    }
    fn powf(&self, p: &Self) -> Result<Self, EvalError> {
        // Integer exponents are handled by the caller; a square root is the
        // one fractional power that is often exact.
        if *p == BigRational::new(BigInt::from(1), BigInt::from(2)) {
            return Scalar::sqrt(self);
        }
        if self.is_one() {
            return Ok(<Self as Scalar>::one());
        }
        Err(EvalError::NotExact)
    }
    fn lift(&self) -> Dual<BigRational> {
        Dual {
            v: self.clone(),
            d: <Self as Scalar>::zero(),
        }
    }
    fn make_dual(v: &Self, d: &Self) -> Result<Dual<BigRational>, EvalError> {
        Ok(Dual {
            v: v.clone(),
            d: d.clone(),
        })
    }
    fn deriv_part(l: &Dual<BigRational>) -> Result<Self, EvalError> {
        Ok(l.d.clone())
    }
    fn show(&self) -> String {
        format!("{self}")
    }
}

impl Scalar for Ball {
    type Lifted = Dual<Ball>;
    const DEPTH: u32 = 0;
    const EXACT: bool = false;
    const CERTIFIED: bool = true;

    fn from_rational(r: &BigRational) -> Self {
        Ball::from_rational(r)
    }
    fn from_value(exact: &BigRational, _float: f64) -> Self {
        Ball::from_rational(exact)
    }
    fn from_i64(i: i64) -> Self {
        Ball::from_i64(i)
    }
    fn from_f64(x: f64) -> Result<Self, EvalError> {
        Ball::from_f64_approx(x, 0.0)
    }
    fn from_f64_approx(x: f64, err: f64) -> Result<Self, EvalError> {
        Ball::from_f64_approx(x, err)
    }
    fn zero() -> Self {
        Ball::zero()
    }
    fn one() -> Self {
        Ball::one()
    }
    fn add(&self, o: &Self) -> Self {
        self.add_p(o, ball::precision())
    }
    fn sub(&self, o: &Self) -> Self {
        self.sub_p(o, ball::precision())
    }
    fn mul(&self, o: &Self) -> Self {
        self.mul_p(o, ball::precision())
    }
    fn div(&self, o: &Self) -> Result<Self, EvalError> {
        self.div_p(o, ball::precision())
    }
    fn neg(&self) -> Self {
        Ball::neg(self)
    }
    fn to_f64(&self) -> f64 {
        Ball::to_f64(self)
    }
    fn cmp_value(&self, o: &Self) -> Ordering {
        Ball::cmp_value(self, o)
    }
    fn as_int_const(&self) -> Option<i64> {
        self.as_int()
    }
    fn is_const_zero(&self) -> bool {
        self.is_exact_zero()
    }
    fn sign_known(&self) -> bool {
        Ball::sign_known(self)
    }
    fn exp(&self) -> Result<Self, EvalError> {
        Ball::exp(self)
    }
    fn log(&self) -> Result<Self, EvalError> {
        Ball::log(self)
    }
    fn sqrt(&self) -> Result<Self, EvalError> {
        Ball::sqrt(self)
    }
    fn tanh(&self) -> Result<Self, EvalError> {
        Ball::tanh(self)
    }
    fn sin(&self) -> Result<Self, EvalError> {
        Ball::sin(self)
    }
    fn cos(&self) -> Result<Self, EvalError> {
        Ball::cos(self)
    }
    fn erf(&self) -> Result<Self, EvalError> {
        Ball::erf(self)
    }
    fn pi() -> Result<Self, EvalError> {
        Ok(Ball::pi())
    }
    fn powf(&self, p: &Self) -> Result<Self, EvalError> {
        Ball::powf(self, p)
    }
    fn lift(&self) -> Dual<Ball> {
        Dual {
            v: self.clone(),
            d: Ball::zero(),
        }
    }
    fn make_dual(v: &Self, d: &Self) -> Result<Dual<Ball>, EvalError> {
        Ok(Dual {
            v: v.clone(),
            d: d.clone(),
        })
    }
    fn deriv_part(l: &Dual<Ball>) -> Result<Self, EvalError> {
        Ok(l.d.clone())
    }
    fn show(&self) -> String {
        format!("{}", Ball::to_f64(self))
    }
}

/// A forward-mode dual number `v + d·ε` with `ε² = 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dual<S> {
    pub v: S,
    pub d: S,
}

/// How a dual over `Self` lifts one level further. Implemented for the base
/// arithmetics (lifting to dual-of-dual) and for their duals (the top level,
/// which refuses to lift).
pub trait DualBase: Scalar {
    type Up: Scalar;
    fn up_lift(x: &Dual<Self>) -> Self::Up;
    fn up_dual(v: &Dual<Self>, d: &Dual<Self>) -> Result<Self::Up, EvalError>;
    fn up_deriv(l: &Self::Up) -> Result<Dual<Self>, EvalError>;
}

fn too_deep() -> EvalError {
    EvalError::Unsupported("derivatives nested more than twice".to_string())
}

macro_rules! dual_base {
    ($base:ty) => {
        impl DualBase for $base {
            type Up = Dual<Dual<$base>>;
            fn up_lift(x: &Dual<Self>) -> Self::Up {
                Dual {
                    v: x.clone(),
                    d: Dual::<$base>::zero(),
                }
            }
            fn up_dual(v: &Dual<Self>, d: &Dual<Self>) -> Result<Self::Up, EvalError> {
                Ok(Dual {
                    v: v.clone(),
                    d: d.clone(),
                })
            }
            fn up_deriv(l: &Self::Up) -> Result<Dual<Self>, EvalError> {
                Ok(l.d.clone())
            }
        }
        impl DualBase for Dual<$base> {
            // The top of the chain: lifting again would need a third layer.
            type Up = Dual<Dual<$base>>;
            fn up_lift(x: &Dual<Self>) -> Self::Up {
                x.clone()
            }
            fn up_dual(_v: &Dual<Self>, _d: &Dual<Self>) -> Result<Self::Up, EvalError> {
                Err(too_deep())
            }
            fn up_deriv(_l: &Self::Up) -> Result<Dual<Self>, EvalError> {
                Err(too_deep())
            }
        }
    };
}
dual_base!(f64);
dual_base!(BigRational);
dual_base!(Ball);

impl<S: DualBase> Scalar for Dual<S> {
    type Lifted = S::Up;
    const DEPTH: u32 = S::DEPTH + 1;
    const EXACT: bool = S::EXACT;
    const CERTIFIED: bool = S::CERTIFIED;

    fn bits(&self) -> u64 {
        self.v.bits().max(self.d.bits())
    }
    fn from_rational(r: &BigRational) -> Self {
        S::from_rational(r).lift_const()
    }
    fn from_value(exact: &BigRational, float: f64) -> Self {
        S::from_value(exact, float).lift_const()
    }
    fn from_i64(i: i64) -> Self {
        S::from_i64(i).lift_const()
    }
    fn from_f64(x: f64) -> Result<Self, EvalError> {
        Ok(S::from_f64(x)?.lift_const())
    }
    fn from_f64_approx(x: f64, err: f64) -> Result<Self, EvalError> {
        Ok(S::from_f64_approx(x, err)?.lift_const())
    }
    fn sign_known(&self) -> bool {
        // In certified arithmetic an exact zero that moves with the input
        // being differentiated is a real kink, not a structural zero.
        self.v.sign_known() && !(S::CERTIFIED && self.v.is_const_zero() && !self.d.is_const_zero())
    }
    fn zero() -> Self {
        S::zero().lift_const()
    }
    fn one() -> Self {
        S::one().lift_const()
    }
    fn add(&self, o: &Self) -> Self {
        Dual {
            v: self.v.add(&o.v),
            d: self.d.add(&o.d),
        }
    }
    fn sub(&self, o: &Self) -> Self {
        Dual {
            v: self.v.sub(&o.v),
            d: self.d.sub(&o.d),
        }
    }
    fn mul(&self, o: &Self) -> Self {
        Dual {
            v: self.v.mul(&o.v),
            d: self.v.mul(&o.d).add(&self.d.mul(&o.v)),
        }
    }
    fn div(&self, o: &Self) -> Result<Self, EvalError> {
        let v = self.v.div(&o.v)?;
        let d = self.d.sub(&v.mul(&o.d)).div(&o.v)?;
        Ok(Dual { v, d })
    }
    fn neg(&self) -> Self {
        Dual {
            v: self.v.neg(),
            d: self.d.neg(),
        }
    }
    fn to_f64(&self) -> f64 {
        self.v.to_f64()
    }
    fn cmp_value(&self, o: &Self) -> Ordering {
        self.v.cmp_value(&o.v)
    }
    fn as_int_const(&self) -> Option<i64> {
        if self.d.is_const_zero() {
            self.v.as_int_const()
        } else {
            None
        }
    }
    fn is_const_zero(&self) -> bool {
        self.v.is_const_zero() && self.d.is_const_zero()
    }
    fn exp(&self) -> Result<Self, EvalError> {
        let e = self.v.exp()?;
        let d = self.d.mul(&e);
        Ok(Dual { v: e, d })
    }
    fn log(&self) -> Result<Self, EvalError> {
        Ok(Dual {
            v: self.v.log()?,
            d: self.d.div(&self.v)?,
        })
    }
    fn sqrt(&self) -> Result<Self, EvalError> {
        let s = self.v.sqrt()?;
        let d = self.d.div(&s.add(&s))?;
        Ok(Dual { v: s, d })
    }
    fn tanh(&self) -> Result<Self, EvalError> {
        let t = self.v.tanh()?;
        let d = self.d.mul(&S::one().sub(&t.mul(&t)));
        Ok(Dual { v: t, d })
    }
    fn sin(&self) -> Result<Self, EvalError> {
        Ok(Dual {
            v: self.v.sin()?,
            d: self.d.mul(&self.v.cos()?),
        })
    }
    fn cos(&self) -> Result<Self, EvalError> {
        Ok(Dual {
            v: self.v.cos()?,
            d: self.d.mul(&self.v.sin()?).neg(),
        })
    }
    fn erf(&self) -> Result<Self, EvalError> {
        // erf′(x) = 2 e^{−x²}/√π
        let g = self.v.mul(&self.v).neg().exp()?;
        let k = g.add(&g).div(&S::pi()?.sqrt()?)?;
        Ok(Dual {
            v: self.v.erf()?,
            d: self.d.mul(&k),
        })
    }
    fn pi() -> Result<Self, EvalError> {
        Ok(Dual {
            v: S::pi()?,
            d: S::zero(),
        })
    }
    fn powf(&self, p: &Self) -> Result<Self, EvalError> {
        // d(x^p) = p x^(p-1) dx + x^p log(x) dp
        let v = self.v.powf(&p.v)?;
        let mut d = p.v.mul(&self.v.powf(&p.v.sub(&S::one()))?).mul(&self.d);
        if !p.d.is_const_zero() {
            d = d.add(&v.mul(&self.v.log()?).mul(&p.d));
        }
        Ok(Dual { v, d })
    }
    fn lift(&self) -> S::Up {
        S::up_lift(self)
    }
    fn make_dual(v: &Self, d: &Self) -> Result<S::Up, EvalError> {
        S::up_dual(v, d)
    }
    fn deriv_part(l: &S::Up) -> Result<Self, EvalError> {
        S::up_deriv(l)
    }
    fn show(&self) -> String {
        format!("{} + {}ε", self.v.show(), self.d.show())
    }
}

impl<S: Scalar> Dual<S> {
    /// Not through `Scalar::lift` so it also works at the top level.
    fn lift_const_of(v: S) -> Self {
        Dual { v, d: S::zero() }
    }
}

trait LiftConst: Scalar + Sized {
    fn lift_const(self) -> Dual<Self> {
        Dual::lift_const_of(self)
    }
}
impl<S: Scalar> LiftConst for S {}

/// Every scalar type is an arithmetic for the built-in functions' table.
impl<S: Scalar> crate::ir::vocab::Arith for S {
    type Err = EvalError;
    fn zero() -> Self {
        <S as Scalar>::zero()
    }
    fn one() -> Self {
        <S as Scalar>::one()
    }
    fn int(i: i64) -> Self {
        S::from_i64(i)
    }
    fn add(&self, o: &Self) -> Self {
        Scalar::add(self, o)
    }
    fn sub(&self, o: &Self) -> Self {
        Scalar::sub(self, o)
    }
    fn mul(&self, o: &Self) -> Self {
        Scalar::mul(self, o)
    }
    fn neg(&self) -> Self {
        Scalar::neg(self)
    }
    fn div(&self, o: &Self) -> Result<Self, EvalError> {
        Scalar::div(self, o)
    }
    fn exp(&self) -> Result<Self, EvalError> {
        Scalar::exp(self)
    }
    fn log(&self) -> Result<Self, EvalError> {
        Scalar::log(self)
    }
    fn sqrt(&self) -> Result<Self, EvalError> {
        Scalar::sqrt(self)
    }
    fn tanh(&self) -> Result<Self, EvalError> {
        Scalar::tanh(self)
    }
    fn erf(&self) -> Result<Self, EvalError> {
        Scalar::erf(self)
    }
    fn pi() -> Result<Self, EvalError> {
        <S as Scalar>::pi()
    }
    fn sign(&self) -> Ordering {
        Scalar::sign(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> BigRational {
        BigRational::new(BigInt::from(n), BigInt::from(d))
    }

    #[test]
    fn dual_product_and_quotient_rules() {
        let x = Dual { v: 3.0, d: 1.0 };
        let y = x.mul(&x).div(&Dual::from_i64(2)).unwrap();
        assert_eq!(y, Dual { v: 4.5, d: 3.0 });
        let r = Dual::<f64>::one().div(&x).unwrap();
        assert_eq!(r.d, -1.0 / 9.0);
    }

    #[test]
    fn second_derivative_through_nested_duals() {
        // f(x) = x^3 at x = 2: f'' = 12.
        let x: Dual<Dual<f64>> = Dual {
            v: Dual { v: 2.0, d: 1.0 },
            d: Dual { v: 1.0, d: 0.0 },
        };
        let f = x.mul(&x).mul(&x);
        assert_eq!(f.d.d, 12.0);
        assert!(Dual::<Dual<f64>>::make_dual(&f, &f).is_err());
    }

    #[test]
    fn exact_arithmetic_refuses_transcendentals() {
        assert_eq!(q(1, 2).exp(), Err(EvalError::NotExact));
        assert_eq!(Scalar::sqrt(&q(9, 4)), Ok(q(3, 2)));
        assert_eq!(Scalar::sqrt(&q(2, 1)), Err(EvalError::NotExact));
        assert!(matches!(q(0, 1).log(), Err(EvalError::Undefined(_))));
        assert!(matches!(
            q(1, 1).div(&q(0, 1)),
            Err(EvalError::Undefined(_))
        ));
        let d = Dual {
            v: q(1, 3),
            d: q(1, 1),
        };
        assert_eq!(d.mul(&d).d, q(2, 3));
    }
}
