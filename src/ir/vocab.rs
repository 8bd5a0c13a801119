//! The vocabulary of built-in elementwise functions: one row per function.
//!
//! A row says everything every stage needs to know of the function: how a
//! file spells it and how many scalar parameters follow the argument
//! (`leaky_relu(z, a)`), where it is defined and what its values are known
//! to be (facts the e-graph may use), whether it has a kink, its value in
//! any arithmetic the evaluator has (through [`Arith`]), its derivative as
//! an expression in the lecture's form (σ(1 − σ), 1 − tanh², 1{h > 0}),
//! its second derivative, its derivatives with respect to its parameters,
//! and its LaTeX and NumPy spellings.
//!
//! A new built-in is one row of [`elem_fns!`] plus its tests: resolve,
//! derive, eval, simplify, render and export read the table. A row with a
//! field missing does not compile.

use super::build::{
    add, bin, div, had, haddiv, ind0, mul, neg, num, num_r, ones, scale, sub, un, zeros,
};
use super::{CmpOp, Expr, Op};
use num_rational::BigRational;
use std::cmp::Ordering;

/// The arithmetic a built-in's value may use. The evaluator implements it
/// for every number type it has (float64, exact rationals, certified balls,
/// dual numbers), so a row's value is written once for all of them.
pub trait Arith: Clone + Sized {
    type Err;
    fn zero() -> Self;
    fn one() -> Self;
    fn int(i: i64) -> Self;
    fn add(&self, o: &Self) -> Self;
    fn sub(&self, o: &Self) -> Self;
    fn mul(&self, o: &Self) -> Self;
    fn neg(&self) -> Self;
    /// An error when the divisor is zero.
    fn div(&self, o: &Self) -> Result<Self, Self::Err>;
    fn exp(&self) -> Result<Self, Self::Err>;
    fn log(&self) -> Result<Self, Self::Err>;
    fn sqrt(&self) -> Result<Self, Self::Err>;
    fn tanh(&self) -> Result<Self, Self::Err>;
    fn erf(&self) -> Result<Self, Self::Err>;
    fn pi() -> Result<Self, Self::Err>;
    /// The sign of the value (of its value part, for dual numbers).
    fn sign(&self) -> Ordering;
}

/// Where a built-in is defined.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Domain {
    /// Every real argument.
    All,
    /// Positive arguments only, as far as proofs may assume (`log`, and
    /// `sqrt`, whose derivative needs z > 0).
    Positive,
}

/// What every value of a built-in is known to be: facts the e-graph's
/// analysis may use (they hold for every argument in the domain and every
/// parameter value).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Range {
    Any,
    /// Every value is > 0 (`exp`, `softplus`).
    Positive,
    /// Every value is in (0, 1) (`sigmoid`), so `1 − σ(z)` is positive too.
    Unit,
}

/// Checks an argument against a kink at 0: the evaluator's tolerance for
/// points that land near a non-differentiable point.
pub type KinkCheck<'k, A> = &'k dyn Fn(&A) -> Result<(), <A as Arith>::Err>;

fn half() -> BigRational {
    BigRational::new(1.into(), 2.into())
}

/// `1{a <= 0}`, the other side of a kink at 0.
fn at_most_zero(a: &Expr) -> Expr {
    ind0(CmpOp::Le, a.clone())
}

/// `e^{z}` elementwise.
fn exp_of(z: &Expr) -> Expr {
    un(Op::Elem(ElemFn::Exp), z.clone(), z.shape)
}

fn sigmoid_of(z: &Expr) -> Expr {
    un(Op::Elem(ElemFn::Sigmoid), z.clone(), z.shape)
}

/// `e^{−z²}` (c = 1) or `e^{−z²/2}` (c = 2) elementwise.
fn gauss(z: &Expr, c: i64) -> Expr {
    let sq = had(z.clone(), z.clone());
    let arg = if c == 1 {
        neg(sq)
    } else {
        scale(num_r(BigRational::new((-1).into(), c.into()), z.span), sq)
    };
    exp_of(&arg)
}

/// A scalar constant `sqrt(k π)` (k = 1 or 2).
fn sqrt_pi(k: i64, z: &Expr) -> Expr {
    let pi = Expr::leaf(Op::Pi, super::Shape::SCALAR, z.span);
    let kp = if k == 1 { pi } else { mul(num(k, z.span), pi) };
    un(Op::Elem(ElemFn::Sqrt), kp, super::Shape::SCALAR)
}

fn sigmoid_value<A: Arith>(z: &A) -> Result<A, A::Err> {
    // Stable on both sides: never exponentiate a large positive number.
    if z.sign() == Ordering::Less {
        let e = z.exp()?;
        e.div(&A::one().add(&e))
    } else {
        A::one().div(&A::one().add(&z.neg().exp()?))
    }
}

/// log(1 + e^z) without overflow: max(z, 0) + log(1 + e^{−|z|}).
fn softplus_value<A: Arith>(z: &A) -> Result<A, A::Err> {
    if z.sign() == Ordering::Greater {
        Ok(z.add(&A::one().add(&z.neg().exp()?).log()?))
    } else {
        A::one().add(&z.exp()?).log()
    }
}

/// Φ(z) = (1 + erf(z/√2))/2, the standard normal distribution function.
fn normal_cdf<A: Arith>(z: &A) -> Result<A, A::Err> {
    let r2 = A::int(2).sqrt()?;
    let e = z.div(&r2)?.erf()?;
    A::one().add(&e).div(&A::int(2))
}

/// φ(z) = e^{−z²/2}/√(2π), the standard normal density.
fn normal_pdf<A: Arith>(z: &A) -> Result<A, A::Err> {
    let g = z.mul(z).div(&A::int(2))?.neg().exp()?;
    g.div(&A::int(2).mul(&A::pi()?).sqrt()?)
}

fn indicator<A: Arith>(b: bool) -> A {
    if b { A::one() } else { A::zero() }
}

macro_rules! elem_fns {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            name: $name:literal,
            latex: $latex:literal,
            numpy: $numpy:literal,
            params: $params:literal,
            default: $default:expr,
            domain: $domain:expr,
            range: $range:expr,
            kink: $kink:literal,
            prime_named: $named:literal,
            value: |$vz:ident, $vp:ident, $vk:ident| $value:expr,
            prime_value: |$pz:ident, $pp:ident, $pk:ident| $prime_value:expr,
            prime: |$dz:ident, $dy:ident, $dp:ident| $prime:expr,
            second: |$sz:ident, $sy:ident, $sp:ident| $second:expr,
            dparams: |$qz:ident, $qy:ident, $qp:ident| $dparams:expr,
        }
    )*) => {
        /// Built-in elementwise functions: an argument and `params` scalar
        /// parameters (`Op::Elem(f)`'s args, in that order).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum ElemFn {
            $( $(#[$doc])* $variant, )*
        }

        impl ElemFn {
            /// Every built-in elementwise function, in table order.
            pub const ALL: &'static [ElemFn] = &[$(ElemFn::$variant),*];

            /// The spelling in files, in text output and in the e-graph.
            pub fn name(self) -> &'static str {
                match self { $(ElemFn::$variant => $name,)* }
            }

            /// The function looked up by its spelling.
            pub fn from_name(name: &str) -> Option<ElemFn> {
                match name { $($name => Some(ElemFn::$variant),)* _ => None }
            }

            /// The LaTeX spelling of the function's name.
            pub fn latex(self) -> &'static str {
                match self { $(ElemFn::$variant => $latex,)* }
            }

            /// A NumPy expression for the value: `{z}` is the argument,
            /// `{p0}` the first parameter.
            pub fn numpy(self) -> &'static str {
                match self { $(ElemFn::$variant => $numpy,)* }
            }

            /// How many scalar parameters follow the argument.
            pub fn params(self) -> usize {
                match self { $(ElemFn::$variant => $params,)* }
            }

            /// The value of the parameter when a call leaves it out.
            pub fn default_param(self) -> Option<BigRational> {
                let d: Option<(i64, i64)> = match self { $(ElemFn::$variant => $default,)* };
                d.map(|(n, m)| BigRational::new(n.into(), m.into()))
            }

            pub fn domain(self) -> Domain {
                match self { $(ElemFn::$variant => $domain,)* }
            }

            pub fn range(self) -> Range {
                match self { $(ElemFn::$variant => $range,)* }
            }

            /// True when the function is not differentiable at 0 (the
            /// sampler keeps away from it; a difference only there may be
            /// `checked`).
            pub fn has_kink(self) -> bool {
                match self { $(ElemFn::$variant => $kink,)* }
            }

            /// True when a derivative is written `f′(z)` (gelu′(z)) rather
            /// than expanded (σ(z)(1 − σ(z))): the expansion is not what a
            /// lecture writes.
            pub fn prime_named(self) -> bool {
                match self { $(ElemFn::$variant => $named,)* }
            }

            /// f(z; p) in any arithmetic; `kink` is called on an argument
            /// near a kink.
            #[allow(unused_variables)]
            pub fn value<A: Arith>(self, z: &A, p: &[A], kink: KinkCheck<'_, A>) -> Result<A, A::Err> {
                match self {
                    $(ElemFn::$variant => { let ($vz, $vp, $vk) = (z, p, kink); $value })*
                }
            }

            /// ∂f/∂z at z in any arithmetic.
            #[allow(unused_variables)]
            pub fn prime_value<A: Arith>(self, z: &A, p: &[A], kink: KinkCheck<'_, A>) -> Result<A, A::Err> {
                match self {
                    $(ElemFn::$variant => { let ($pz, $pp, $pk) = (z, p, kink); $prime_value })*
                }
            }

            /// ∂f/∂z as an expression of the argument `z`, the node `y =
            /// f(z; p)` itself and the parameters, in the form a lecture
            /// writes (with `y` where the lecture uses the output).
            #[allow(unused_variables)]
            pub fn prime(self, z: &Expr, y: &Expr, p: &[Expr]) -> Expr {
                match self {
                    $(ElemFn::$variant => { let ($dz, $dy, $dp) = (z, y, p); $prime })*
                }
            }

            /// ∂²f/∂z² as an expression of `z`, the node `yp = f′(z; p)` and
            /// the parameters; `None` where it is zero.
            #[allow(unused_variables)]
            pub fn second(self, z: &Expr, yp: &Expr, p: &[Expr]) -> Option<Expr> {
                match self {
                    $(ElemFn::$variant => { let ($sz, $sy, $sp) = (z, yp, p); $second })*
                }
            }

            /// ∂f/∂p_k for each parameter, elementwise (the shape of `z`).
            #[allow(unused_variables)]
            pub fn dparams(self, z: &Expr, y: &Expr, p: &[Expr]) -> Vec<Expr> {
                match self {
                    $(ElemFn::$variant => { let ($qz, $qy, $qp) = (z, y, p); $dparams })*
                }
            }
        }
    };
}

elem_fns! {
    /// max(z, 0)
    Relu {
        name: "relu",
        latex: r"\operatorname{relu}",
        numpy: "np.maximum({z}, 0)",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: true,
        prime_named: false,
        value: |z, p, kink| {
            kink(z)?;
            Ok(if z.sign() == Ordering::Greater { z.clone() } else { A::zero() })
        },
        prime_value: |z, p, kink| {
            kink(z)?;
            Ok(indicator(z.sign() == Ordering::Greater))
        },
        // relu(z) > 0 exactly when z > 0
        prime: |z, y, p| ind0(CmpOp::Gt, y.clone()),
        second: |z, yp, p| None,
        dparams: |z, y, p| Vec::new(),
    }
    /// 1{z >= 0}
    Step {
        name: "step",
        latex: r"\operatorname{step}",
        numpy: "np.where({z} >= 0, 1.0, 0.0)",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: true,
        prime_named: false,
        value: |z, p, kink| {
            kink(z)?;
            Ok(indicator(z.sign() != Ordering::Less))
        },
        prime_value: |z, p, kink| Ok(A::zero()),
        prime: |z, y, p| zeros(z.shape, z.span),
        second: |z, yp, p| None,
        dparams: |z, y, p| Vec::new(),
    }
    /// 1/(1 + e^{−z})
    Sigmoid {
        name: "sigmoid",
        latex: r"\operatorname{sigmoid}",
        numpy: "sigmoid({z})",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Unit,
        kink: false,
        prime_named: false,
        value: |z, p, kink| sigmoid_value(z),
        prime_value: |z, p, kink| {
            let s = sigmoid_value(z)?;
            Ok(s.mul(&A::one().sub(&s)))
        },
        prime: |z, y, p| had(y.clone(), sub(ones(z.shape, z.span), y.clone())),
        // σ'' = σ'(1 − 2σ)
        second: |z, yp, p| Some(had(
            yp.clone(),
            sub(ones(z.shape, z.span), scale(num(2, z.span), sigmoid_of(z))),
        )),
        dparams: |z, y, p| Vec::new(),
    }
    Tanh {
        name: "tanh",
        latex: r"\tanh",
        numpy: "np.tanh({z})",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: false,
        prime_named: false,
        value: |z, p, kink| z.tanh(),
        prime_value: |z, p, kink| {
            let t = z.tanh()?;
            Ok(A::one().sub(&t.mul(&t)))
        },
        prime: |z, y, p| sub(ones(z.shape, z.span), had(y.clone(), y.clone())),
        // tanh'' = −2 tanh ∘ tanh'
        second: |z, yp, p| {
            let t = un(Op::Elem(ElemFn::Tanh), z.clone(), z.shape);
            Some(neg(scale(num(2, z.span), had(t, yp.clone()))))
        },
        dparams: |z, y, p| Vec::new(),
    }
    Exp {
        name: "exp",
        latex: r"\exp",
        numpy: "np.exp({z})",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Positive,
        kink: false,
        prime_named: false,
        value: |z, p, kink| z.exp(),
        prime_value: |z, p, kink| z.exp(),
        prime: |z, y, p| y.clone(),
        second: |z, yp, p| Some(exp_of(z)),
        dparams: |z, y, p| Vec::new(),
    }
    Log {
        name: "log",
        latex: r"\log",
        numpy: "np.log({z})",
        params: 0,
        default: None,
        domain: Domain::Positive,
        range: Range::Any,
        kink: false,
        prime_named: false,
        value: |z, p, kink| z.log(),
        prime_value: |z, p, kink| A::one().div(z),
        prime: |z, y, p| haddiv(ones(z.shape, z.span), z.clone()),
        second: |z, yp, p| Some(neg(haddiv(
            ones(z.shape, z.span),
            had(z.clone(), z.clone()),
        ))),
        dparams: |z, y, p| Vec::new(),
    }
    Sqrt {
        name: "sqrt",
        latex: r"\sqrt{\cdot}",
        numpy: "np.sqrt({z})",
        params: 0,
        default: None,
        domain: Domain::Positive,
        range: Range::Any,
        kink: false,
        prime_named: false,
        value: |z, p, kink| z.sqrt(),
        prime_value: |z, p, kink| {
            let s = z.sqrt()?;
            A::one().div(&s.add(&s))
        },
        prime: |z, y, p| haddiv(ones(z.shape, z.span), scale(num(2, z.span), y.clone())),
        // sqrt'' = −1/(4 z^{3/2})
        second: |z, yp, p| {
            let three_halves = num_r(BigRational::new(3.into(), 2.into()), z.span);
            let zp = bin(Op::ElemPow, z.clone(), three_halves, z.shape);
            Some(neg(haddiv(
                ones(z.shape, z.span),
                scale(num(4, z.span), zp),
            )))
        },
        dparams: |z, y, p| Vec::new(),
    }
    Abs {
        name: "abs",
        latex: r"\left|\cdot\right|",
        numpy: "np.abs({z})",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: true,
        prime_named: false,
        value: |z, p, kink| {
            kink(z)?;
            Ok(match z.sign() {
                Ordering::Greater => z.clone(),
                Ordering::Less => z.neg(),
                Ordering::Equal => A::zero(),
            })
        },
        prime_value: |z, p, kink| {
            kink(z)?;
            Ok(match z.sign() {
                Ordering::Greater => A::one(),
                Ordering::Less => A::one().neg(),
                Ordering::Equal => A::zero(),
            })
        },
        prime: |z, y, p| sub(ind0(CmpOp::Gt, z.clone()), ind0(CmpOp::Lt, z.clone())),
        second: |z, yp, p| None,
        dparams: |z, y, p| Vec::new(),
    }
    /// log(1 + e^z)
    Softplus {
        name: "softplus",
        latex: r"\operatorname{softplus}",
        numpy: "np.logaddexp(0, {z})",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Positive,
        kink: false,
        prime_named: false,
        value: |z, p, kink| softplus_value(z),
        prime_value: |z, p, kink| sigmoid_value(z),
        prime: |z, y, p| sigmoid_of(z),
        second: |z, yp, p| {
            let s = sigmoid_of(z);
            Some(had(s.clone(), sub(ones(z.shape, z.span), s)))
        },
        dparams: |z, y, p| Vec::new(),
    }
    /// log σ(z) = −softplus(−z)
    LogSigmoid {
        name: "log_sigmoid",
        latex: r"\log\sigma",
        numpy: "-np.logaddexp(0, -({z}))",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: false,
        prime_named: false,
        value: |z, p, kink| Ok(softplus_value(&z.neg())?.neg()),
        prime_value: |z, p, kink| sigmoid_value(&z.neg()),
        prime: |z, y, p| sub(ones(z.shape, z.span), sigmoid_of(z)),
        second: |z, yp, p| {
            let s = sigmoid_of(z);
            Some(neg(had(s.clone(), sub(ones(z.shape, z.span), s))))
        },
        dparams: |z, y, p| Vec::new(),
    }
    /// z σ(z), also called swish
    Silu {
        name: "silu",
        latex: r"\operatorname{silu}",
        numpy: "({z}) * sigmoid({z})",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: false,
        prime_named: true,
        value: |z, p, kink| Ok(z.mul(&sigmoid_value(z)?)),
        prime_value: |z, p, kink| {
            let s = sigmoid_value(z)?;
            Ok(s.add(&z.mul(&s).mul(&A::one().sub(&s))))
        },
        // σ(z) + z ∘ σ(z) ∘ (1 − σ(z))
        prime: |z, y, p| {
            let s = sigmoid_of(z);
            let o = ones(z.shape, z.span);
            add(s.clone(), had(z.clone(), had(s.clone(), sub(o, s))))
        },
        // σ(1 − σ)(2 + z(1 − 2σ))
        second: |z, yp, p| {
            let s = sigmoid_of(z);
            let o = || ones(z.shape, z.span);
            let ds = had(s.clone(), sub(o(), s.clone()));
            let k = sub(o(), scale(num(2, z.span), s));
            Some(had(ds, add(scale(num(2, z.span), o()), had(z.clone(), k))))
        },
        dparams: |z, y, p| Vec::new(),
    }
    /// z Φ(z), with Φ the standard normal distribution function (exact, not
    /// the tanh approximation)
    Gelu {
        name: "gelu",
        latex: r"\operatorname{gelu}",
        numpy: "({z}) * (1 + erf(({z}) / np.sqrt(2))) / 2",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: false,
        prime_named: true,
        value: |z, p, kink| Ok(z.mul(&normal_cdf(z)?)),
        prime_value: |z, p, kink| Ok(normal_cdf(z)?.add(&z.mul(&normal_pdf(z)?))),
        // Φ(z) + z ∘ φ(z), with Φ(z) = (1 + erf(z/√2))/2 and φ(z) = e^{−z²/2}/√(2π)
        prime: |z, y, p| {
            let cdf = scale(
                num_r(half(), z.span),
                add(
                    ones(z.shape, z.span),
                    un(Op::Elem(ElemFn::Erf), div(z.clone(), un(Op::Elem(ElemFn::Sqrt), num(2, z.span), super::Shape::SCALAR)), z.shape),
                ),
            );
            let pdf = div(gauss(z, 2), sqrt_pi(2, z));
            add(cdf, had(z.clone(), pdf))
        },
        // φ(z)(2 − z²)
        second: |z, yp, p| {
            let pdf = div(gauss(z, 2), sqrt_pi(2, z));
            let k = sub(scale(num(2, z.span), ones(z.shape, z.span)), had(z.clone(), z.clone()));
            Some(had(pdf, k))
        },
        dparams: |z, y, p| Vec::new(),
    }
    /// The error function (2/√π) ∫₀^z e^{−t²} dt
    Erf {
        name: "erf",
        latex: r"\operatorname{erf}",
        numpy: "erf({z})",
        params: 0,
        default: None,
        domain: Domain::All,
        range: Range::Any,
        kink: false,
        prime_named: false,
        value: |z, p, kink| z.erf(),
        prime_value: |z, p, kink| {
            let g = z.mul(z).neg().exp()?;
            g.mul(&A::int(2)).div(&A::pi()?.sqrt()?)
        },
        // (2/√π) e^{−z²}
        prime: |z, y, p| div(scale(num(2, z.span), gauss(z, 1)), sqrt_pi(1, z)),
        // −2z ∘ erf′(z)
        second: |z, yp, p| Some(neg(scale(num(2, z.span), had(z.clone(), yp.clone())))),
        dparams: |z, y, p| Vec::new(),
    }
    /// z for z > 0, a z otherwise
    LeakyRelu {
        name: "leaky_relu",
        latex: r"\operatorname{leaky\_relu}",
        numpy: "np.where({z} > 0, {z}, ({p0}) * ({z}))",
        params: 1,
        default: Some((1, 100)),
        domain: Domain::All,
        range: Range::Any,
        kink: true,
        prime_named: false,
        value: |z, p, kink| {
            kink(z)?;
            Ok(if z.sign() == Ordering::Greater { z.clone() } else { p[0].mul(z) })
        },
        prime_value: |z, p, kink| {
            kink(z)?;
            Ok(if z.sign() == Ordering::Greater { A::one() } else { p[0].clone() })
        },
        // 1{z > 0} + a 1{z <= 0}
        prime: |z, y, p| add(
            ind0(CmpOp::Gt, z.clone()),
            scale(p[0].clone(), at_most_zero(z)),
        ),
        second: |z, yp, p| None,
        // ∂/∂a = z ∘ 1{z <= 0}
        dparams: |z, y, p| vec![had(z.clone(), at_most_zero(z))],
    }
    /// z for z > 0, a (e^z − 1) otherwise
    Elu {
        name: "elu",
        latex: r"\operatorname{elu}",
        numpy: "np.where({z} > 0, {z}, ({p0}) * np.expm1(np.minimum({z}, 0)))",
        params: 1,
        default: Some((1, 1)),
        domain: Domain::All,
        range: Range::Any,
        kink: true,
        prime_named: true,
        value: |z, p, kink| {
            kink(z)?;
            if z.sign() == Ordering::Greater {
                Ok(z.clone())
            } else {
                Ok(p[0].mul(&z.exp()?.sub(&A::one())))
            }
        },
        prime_value: |z, p, kink| {
            kink(z)?;
            if z.sign() == Ordering::Greater {
                Ok(A::one())
            } else {
                Ok(p[0].mul(&z.exp()?))
            }
        },
        // 1{z > 0} + a 1{z <= 0} ∘ e^z
        prime: |z, y, p| add(
            ind0(CmpOp::Gt, z.clone()),
            scale(p[0].clone(), had(at_most_zero(z), exp_of(z))),
        ),
        second: |z, yp, p| Some(scale(p[0].clone(), had(at_most_zero(z), exp_of(z)))),
        // ∂/∂a = 1{z <= 0} ∘ (e^z − 1)
        dparams: |z, y, p| vec![had(at_most_zero(z), sub(exp_of(z), ones(z.shape, z.span)))],
    }
}

impl ElemFn {
    /// ∂f/∂z as derivations write it: `f′(z; p)` for a function whose
    /// expansion a lecture does not write, else [`ElemFn::prime`]. `args`
    /// are the node's arguments and `y` the node itself.
    pub fn written_prime(self, args: &[Expr], y: &Expr) -> Expr {
        if self.prime_named() {
            Expr::new(Op::ElemPrime(self), args.to_vec(), y.shape, y.span)
        } else {
            self.prime(&args[0], y, &args[1..])
        }
    }
}

impl std::fmt::Display for ElemFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ElemFn {
    type Err = ();
    fn from_str(s: &str) -> Result<ElemFn, ()> {
        ElemFn::from_name(s).ok_or(())
    }
}
