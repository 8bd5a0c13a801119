//! The exact 1-D procedure of Question 1: decides which scalar functions of
//! one variable a one-hidden-layer step or ReLU network represents exactly
//! (constructing and verifying the network), and decides 1-D equality claims
//! with kinks (step, relu, abs, max/min, indicators) everywhere, breakpoints
//! included, with symbolic parameters ordered by the program's `assume`s.
//!
//! Every function is turned into an exact piecewise polynomial
//! ([`piecewise`]); equality is then a comparison of polynomials on every
//! piece and at every breakpoint.

mod piecewise;
mod poly;

use crate::ir::{self, ElemFn, Expr, LocalId, Op, Program, Shape, VarId};
use crate::span::Span;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use piecewise::{Ctx, Pw};
use poly::{Poly, Q};
use std::collections::{BTreeSet, HashMap};

/// One hidden unit `w · g(b + v x)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub w: BigRational,
    pub b: BigRational,
    pub v: BigRational,
}

/// `f(x) = w0 + Σ wᵢ g(bᵢ + vᵢ x)` with `g` the activation.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub activation: ir::Activation,
    pub w0: BigRational,
    pub units: Vec<Unit>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Representation {
    /// `detail`: how it was verified, e.g. "network proved equal to the target on all 5 pieces and 2 breakpoints".
    Representable { network: Network, detail: String },
    /// `reason`, e.g. "target has slope -1 on (-inf, 1) but every step network is piecewise constant".
    NotRepresentable { reason: String },
    /// outside the procedure's fragment (e.g. exp(x)), with the reason
    Unknown { reason: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// holds for every real x (and every parameter value allowed by the assumes)
    Holds { detail: String },
    /// fails at an explicit point: `at` describes x (and the parameter order case), with both sides' values
    Fails {
        at: String,
        lhs: String,
        rhs: String,
    },
    /// outside the fragment
    Unknown { reason: String },
}

/// The outcome of comparing two functions that are both in the fragment.
enum Verdict {
    Holds {
        pieces: usize,
        bps: usize,
        case: Option<String>,
    },
    Fails {
        at: String,
        lhs: String,
        rhs: String,
    },
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn agreement(pieces: usize, bps: usize) -> String {
    if pieces == 1 && bps == 0 {
        "on the single piece (-inf, inf)".to_string()
    } else {
        format!(
            "on all {} and {}",
            plural(pieces, "piece"),
            plural(bps, "breakpoint")
        )
    }
}

/// Decides `lhs = rhs` for all x, where both sides are scalar 1-D functions of the scalar variable
/// `var` with other scalar variables as symbolic parameters whose order is fixed by `prog.assumes`.
pub fn decide_equal(prog: &Program, lhs: &ir::Expr, rhs: &ir::Expr, var: ir::VarId) -> Decision {
    let ctx = Ctx::new(prog, var);
    if let Some(a) = &ctx.assume_on_x {
        return Decision::Unknown {
            reason: format!("the assume {a} restricts {} itself", ctx.name(var)),
        };
    }
    match decide(&ctx, lhs, rhs) {
        Ok(Verdict::Holds { pieces, bps, case }) => Decision::Holds {
            detail: format!(
                "both sides are equal {}{} (exact piecewise-polynomial comparison in {})",
                agreement(pieces, bps),
                case.map_or_else(String::new, |c| format!(", case {c}")),
                ctx.name(var)
            ),
        },
        Ok(Verdict::Fails { at, lhs, rhs }) => Decision::Fails { at, lhs, rhs },
        Err(reason) => Decision::Unknown { reason },
    }
}

/// A place where the two sides differ as polynomials.
#[derive(Clone, Copy)]
enum Loc {
    Piece(usize),
    Point(usize),
}

fn decide(ctx: &Ctx, lhs: &Expr, rhs: &Expr) -> Result<Verdict, String> {
    let l = ctx.to_pw_top(lhs)?;
    let r = ctx.to_pw_top(rhs)?;
    let (l, r) = ctx.merge(&l, &r)?;
    let n = l.bps.len();
    let mut diffs = Vec::new();
    for i in 0..=n {
        if l.pieces[i] != r.pieces[i] {
            diffs.push(Loc::Piece(i));
        }
        if i < n && l.at[i] != r.at[i] {
            diffs.push(Loc::Point(i));
        }
    }
    let symbolic_bps = l.bps.iter().any(|b| b.as_const().is_none());
    let case = (symbolic_bps && n >= 2).then(|| {
        l.bps
            .iter()
            .map(|b| ctx.fmt(b))
            .collect::<Vec<_>>()
            .join(" < ")
    });
    if diffs.is_empty() {
        return Ok(Verdict::Holds {
            pieces: n + 1,
            bps: n,
            case,
        });
    }
    witness(ctx, &l, &r, &diffs, case.as_deref())
}

/// Candidate rationals strictly inside `(lo, hi)`, simple ones first.
fn points_in(lo: Option<&Q>, hi: Option<&Q>) -> Vec<Q> {
    let int = |i: i64| Q::from_integer(i.into());
    let mut out: Vec<Q> = Vec::new();
    match (lo, hi) {
        (None, None) => {
            out.push(int(0));
            for k in 1..20 {
                out.push(int(k));
                out.push(int(-k));
            }
        }
        (None, Some(h)) => {
            let top = h.ceil() - Q::one();
            for k in 0..40 {
                out.push(&top - int(k));
            }
        }
        (Some(l), None) => {
            let bottom = l.floor() + Q::one();
            for k in 0..40 {
                out.push(&bottom + int(k));
            }
        }
        (Some(l), Some(h)) => {
            let first = l.floor() + Q::one();
            if &first < h {
                out.push(first);
            }
            for k in 2..42 {
                out.push(l + (h - l) / int(k));
            }
        }
    }
    out
}

/// Finds concrete values (parameters satisfying the assumes, then `x`) where
/// the two sides differ; only such a point refutes.
fn witness(
    ctx: &Ctx,
    l: &Pw,
    r: &Pw,
    diffs: &[Loc],
    case: Option<&str>,
) -> Result<Verdict, String> {
    let x = ctx.x;
    let mut params: BTreeSet<VarId> = BTreeSet::new();
    for p in l
        .pieces
        .iter()
        .chain(&l.at)
        .chain(&l.bps)
        .chain(&r.pieces)
        .chain(&r.at)
    {
        params.extend(p.vars());
    }
    let Some(forms) = &ctx.assume_forms else {
        return Err("the sides differ symbolically, but some assume is outside the fragment, so no parameter values can be checked against it".to_string());
    };
    params.remove(&x);
    // Parameters that only occur in assumes still need values to check them.
    let shown: Vec<VarId> = params.iter().copied().collect();
    for (f, _) in forms {
        params.extend(f.vars());
    }
    params.remove(&x);
    let params: Vec<VarId> = params.into_iter().collect();
    let grid: Vec<Q> = [0, 1, -1, 2, -2, 3, -3, 4, -4]
        .iter()
        .map(|i| Q::from_integer((*i).into()))
        .collect();
    let mut idx = vec![0usize; params.len()];
    const MAX_TRIES: usize = 100_000;
    for _ in 0..MAX_TRIES {
        let mut vals: HashMap<VarId, Q> = params
            .iter()
            .zip(&idx)
            .map(|(v, i)| (*v, grid[*i].clone()))
            .collect();
        if let Some(found) = try_assignment(ctx, l, r, diffs, case, &shown, &mut vals, forms) {
            return Ok(found);
        }
        // next assignment (odometer); stop after the last
        let mut k = 0;
        loop {
            if k == idx.len() {
                return Err(no_witness(ctx, l, r, diffs));
            }
            idx[k] += 1;
            if idx[k] < grid.len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
    Err(no_witness(ctx, l, r, diffs))
}

fn no_witness(ctx: &Ctx, l: &Pw, r: &Pw, diffs: &[Loc]) -> String {
    let place = match diffs[0] {
        Loc::Piece(i) => format!(
            "on {} the sides are {} and {}",
            ctx.interval(i.checked_sub(1).map(|k| &l.bps[k]), l.bps.get(i)),
            ctx.fmt(&l.pieces[i]),
            ctx.fmt(&r.pieces[i])
        ),
        Loc::Point(i) => format!(
            "at {} = {} the sides are {} and {}",
            ctx.name(ctx.x),
            ctx.fmt(&l.bps[i]),
            ctx.fmt(&l.at[i]),
            ctx.fmt(&r.at[i])
        ),
    };
    format!("{place}, but no parameter values allowed by the assumes were found where they differ")
}

#[allow(clippy::too_many_arguments)]
fn try_assignment(
    ctx: &Ctx,
    l: &Pw,
    r: &Pw,
    diffs: &[Loc],
    case: Option<&str>,
    params: &[VarId],
    vals: &mut HashMap<VarId, Q>,
    forms: &[(Poly, bool)],
) -> Option<Verdict> {
    // Strictly inside every assume, so the parameters are a generic point of the case.
    for (f, _) in forms {
        if !f.eval(vals)?.is_positive() {
            return None;
        }
    }
    let bps: Vec<Q> = l.bps.iter().map(|b| b.eval(vals)).collect::<Option<_>>()?;
    if bps.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    let x = ctx.x;
    for loc in diffs {
        let (xv, lv, rv) = match *loc {
            Loc::Point(i) => {
                vals.insert(x, bps[i].clone());
                (bps[i].clone(), l.at[i].eval(vals)?, r.at[i].eval(vals)?)
            }
            Loc::Piece(i) => {
                let lo = i.checked_sub(1).map(|k| &bps[k]);
                let found = points_in(lo, bps.get(i)).into_iter().find_map(|p| {
                    vals.insert(x, p.clone());
                    let (a, b) = (l.pieces[i].eval(vals)?, r.pieces[i].eval(vals)?);
                    (a != b).then_some((p, a, b))
                });
                found?
            }
        };
        if lv == rv {
            continue;
        }
        let xname = ctx.name(x);
        let mut at = match *loc {
            Loc::Point(i) if l.bps[i].as_const().is_none() => {
                format!("{xname} = {}", ctx.fmt(&l.bps[i]))
            }
            _ => format!("{xname} = {xv}"),
        };
        if !params.is_empty() {
            let list: Vec<String> = params
                .iter()
                .map(|p| format!("{} = {}", ctx.name(*p), vals[p]))
                .collect();
            at.push_str(&format!(", with {}", list.join(", ")));
        }
        if let Some(c) = case {
            at.push_str(&format!(" (case {c})"));
        }
        return Some(Verdict::Fails {
            at,
            lhs: lv.to_string(),
            rhs: rv.to_string(),
        });
    }
    None
}

/// Can a one-hidden-layer network with activation `act` represent `target(var)` exactly?
pub fn represent(
    prog: &Program,
    target: &ir::Expr,
    var: ir::VarId,
    act: ir::Activation,
) -> Representation {
    match represent_inner(prog, target, var, act) {
        Ok(r) => r,
        Err(reason) => Representation::Unknown { reason },
    }
}

/// The four kinds of 1-D targets the procedure tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Constant on every piece (any values at the breakpoints).
    PiecewiseConstant,
    /// Linear on every piece, some slope nonzero, and continuous.
    ContinuousPiecewiseLinear,
    /// Linear on every piece, some slope nonzero, with a discontinuity.
    PiecewiseLinearWithJumps,
    /// A polynomial of degree >= 2 on some piece.
    NotPiecewiseLinear,
}

/// The target as exact numbers, with the evidence `represent` reasons from.
struct Analysis {
    bps: Vec<Q>,
    slopes: Vec<Q>,
    values: Vec<Q>,
    at: Vec<Q>,
    /// `degree 2 on (-inf, inf)`
    degree: Option<(u32, String)>,
    /// `slope -1 on (-inf, 1)`
    slope: Option<String>,
    /// `jumps at x = 2 (from 0 to 1)`, `has the value 1 at x = 0 but tends to 0 on both sides`
    discontinuity: Option<String>,
}

fn analyse(ctx: &Ctx, target: &Expr) -> Result<Analysis, String> {
    let var = ctx.x;
    let pw = ctx.simplify(&ctx.to_pw_top(target)?);
    let xname = ctx.name(var);
    let others: BTreeSet<VarId> = pw
        .pieces
        .iter()
        .chain(&pw.at)
        .chain(&pw.bps)
        .flat_map(Poly::vars)
        .filter(|v| *v != var)
        .collect();
    if let Some(v) = others.iter().next() {
        return Err(format!(
            "the target depends on {} as well as {xname}",
            ctx.name(*v)
        ));
    }
    let n = pw.bps.len();
    let number = |p: &Poly| p.as_const().ok_or("a value is not a number");
    let bps: Vec<Q> = pw.bps.iter().map(number).collect::<Result<_, _>>()?;
    let at: Vec<Q> = pw.at.iter().map(number).collect::<Result<_, _>>()?;
    let interval = |i: usize| ctx.interval(i.checked_sub(1).map(|k| &pw.bps[k]), pw.bps.get(i));
    let degree = (0..=n)
        .find(|&i| pw.pieces[i].degree_in(var) >= 2)
        .map(|i| {
            let d = pw.pieces[i].degree_in(var);
            (d, format!("degree {d} on {}", interval(i)))
        });
    let coeff = |i: usize, k: u32| number(&pw.pieces[i].coeff_in(var, k));
    let mut slopes = Vec::new();
    let mut values = Vec::new();
    if degree.is_none() {
        for i in 0..=n {
            slopes.push(coeff(i, 1)?);
            values.push(coeff(i, 0)?);
        }
    }
    let slope = (0..slopes.len())
        .find(|&i| !slopes[i].is_zero())
        .map(|i| format!("slope {} on {}", slopes[i], interval(i)));
    let mut discontinuity = None;
    if degree.is_none() {
        for i in 0..n {
            let left = &values[i] + &slopes[i] * &bps[i];
            let right = &values[i + 1] + &slopes[i + 1] * &bps[i];
            if left != right {
                discontinuity = Some(format!(
                    "jumps at {xname} = {} (from {left} to {right})",
                    bps[i]
                ));
                break;
            }
            if at[i] != left {
                discontinuity = Some(format!(
                    "has the value {} at {xname} = {} but tends to {left} on both sides",
                    at[i], bps[i]
                ));
                break;
            }
        }
    }
    Ok(Analysis {
        bps,
        slopes,
        values,
        at,
        degree,
        slope,
        discontinuity,
    })
}

/// Which of the four kinds the 1-D function `target(var)` is, with the
/// evidence: e.g. `(NotPiecewiseLinear, "degree 2 on (-inf, inf)")`,
/// `(PiecewiseLinearWithJumps, "slope 1 on (0, 2); jumps at x = 2 (from 2 to 0)")`.
/// `Err` says why the target is outside the fragment.
pub fn classify(
    prog: &Program,
    target: &ir::Expr,
    var: ir::VarId,
) -> Result<(Class, String), String> {
    let a = analyse(&Ctx::new(prog, var), target)?;
    Ok(match (a.degree, a.slope, a.discontinuity) {
        (Some((_, d)), _, _) => (Class::NotPiecewiseLinear, d),
        (None, Some(s), None) => (Class::ContinuousPiecewiseLinear, s),
        (None, Some(s), Some(j)) => (Class::PiecewiseLinearWithJumps, format!("{s}; {j}")),
        (None, None, j) => (
            Class::PiecewiseConstant,
            format!(
                "constant on each of {}{}",
                plural(a.bps.len() + 1, "piece"),
                j.map_or_else(String::new, |j| format!("; {j}"))
            ),
        ),
    })
}

fn represent_inner(
    prog: &Program,
    target: &Expr,
    var: VarId,
    act: ir::Activation,
) -> Result<Representation, String> {
    let ctx = Ctx::new(prog, var);
    let a = analyse(&ctx, target)?;
    let (kind, shape) = match act {
        ir::Activation::Step => ("step", "piecewise constant"),
        ir::Activation::Relu => ("relu", "piecewise linear"),
    };
    let not = |reason: String| Ok(Representation::NotRepresentable { reason });
    // Evidence, strongest first: a degree >= 2, then (per activation) a slope or a jump.
    if let Some((_, d)) = &a.degree {
        return not(format!(
            "target has {d} but every {kind} network is {shape}"
        ));
    }
    let network = match act {
        ir::Activation::Step => {
            if let Some(s) = &a.slope {
                return not(format!(
                    "target has {s} but every step network is piecewise constant"
                ));
            }
            step_network(&a.bps, &a.values, &a.at)
        }
        ir::Activation::Relu => {
            if let Some(j) = &a.discontinuity {
                let joint = if j.starts_with("jumps") {
                    " but"
                } else {
                    ", and"
                };
                return not(format!(
                    "target {j}{joint} every relu network is continuous"
                ));
            }
            relu_network(&a.bps, &a.slopes, &a.values, &a.at)
        }
    };
    let net_expr = network_expr(&network, var);
    match decide(&ctx, target, &net_expr)? {
        Verdict::Holds { pieces, bps, .. } => Ok(Representation::Representable {
            network,
            detail: format!(
                "network proved equal to the target {}",
                agreement(pieces, bps)
            ),
        }),
        Verdict::Fails { at, lhs, rhs } => Err(format!(
            "internal error: the constructed network differs from the target at {at} ({lhs} vs {rhs})"
        )),
    }
}

/// `w0 + Σ` of units so that the value is `pieces[i]` between breakpoints
/// and `at[i]` at `bps[i]`: `step(x - p)` switches on at `p` itself and
/// `1 - step(p - x) = 1{x > p}` just after it.
fn step_network(bps: &[Q], pieces: &[Q], at: &[Q]) -> Network {
    let mut w0 = pieces[0].clone();
    let mut units = Vec::new();
    for (i, p) in bps.iter().enumerate() {
        let onto = &at[i] - &pieces[i];
        if !onto.is_zero() {
            units.push(Unit {
                w: onto,
                b: -p,
                v: Q::one(),
            });
        }
        let after = &pieces[i + 1] - &at[i];
        if !after.is_zero() {
            w0 += &after;
            units.push(Unit {
                w: -after,
                b: p.clone(),
                v: -Q::one(),
            });
        }
    }
    Network {
        activation: ir::Activation::Step,
        w0,
        units,
    }
}

/// A continuous piecewise-linear function with slopes `s[i]` and intercepts
/// `t[i]`: `f(p1) - s0 relu(p1 - x) + s1 relu(x - p1) + Σ (s_i - s_{i-1}) relu(x - p_i)`.
fn relu_network(bps: &[Q], s: &[Q], t: &[Q], at: &[Q]) -> Network {
    let (p1, w0) = match bps.first() {
        Some(p) => (p.clone(), at[0].clone()),
        None => (Q::zero(), t[0].clone()),
    };
    let mut units = Vec::new();
    let mut push = |w: Q, b: Q, v: Q| {
        if !w.is_zero() {
            units.push(Unit { w, b, v });
        }
    };
    push(-&s[0], p1.clone(), -Q::one());
    push(s[1.min(s.len() - 1)].clone(), -&p1, Q::one());
    for i in 1..bps.len() {
        push(&s[i + 1] - &s[i], -&bps[i], Q::one());
    }
    Network {
        activation: ir::Activation::Relu,
        w0,
        units,
    }
}

/// The network as an expression in `var`, `w0 + Σ wᵢ·g(bᵢ + vᵢ·var)`.
pub fn network_expr(n: &Network, var: VarId) -> Expr {
    let sp = Span::default();
    let num = |q: &Q| Expr::leaf(Op::Num(q.clone()), Shape::SCALAR, sp);
    let bin = |op: Op, a: Expr, b: Expr| Expr::new(op, vec![a, b], Shape::SCALAR, sp);
    let g = match n.activation {
        ir::Activation::Step => ElemFn::Step,
        ir::Activation::Relu => ElemFn::Relu,
    };
    let mut e = num(&n.w0);
    for u in &n.units {
        let x = Expr::leaf(Op::Var(var), Shape::SCALAR, sp);
        let arg = bin(Op::Add, num(&u.b), bin(Op::Mul, num(&u.v), x));
        let unit = Expr::new(Op::Elem(g), vec![arg], Shape::SCALAR, sp);
        e = bin(Op::Add, e, bin(Op::Mul, num(&u.w), unit));
    }
    e
}

/// A rational with a Unicode minus.
fn q_text(q: &Q) -> String {
    if q.is_negative() {
        format!("−{}", -q)
    } else {
        q.to_string()
    }
}

/// `c·x` for a nonzero coefficient (its sign included): `x`, `−x`, `3x`, `(1/2)x`.
fn x_term(c: &Q) -> String {
    let mag = c.abs();
    let sign = if c.is_negative() { "−" } else { "" };
    if mag.is_one() {
        format!("{sign}x")
    } else if mag.is_integer() {
        format!("{sign}{mag}x")
    } else {
        format!("{sign}({mag})x")
    }
}

/// The network in the lecture's notation, e.g.
/// `f(x) = 1 + 1·g(x) − 1·g(x − 2) − 3·g(x − 5)`.
pub fn render_network(n: &Network) -> String {
    let mut s = String::from("f(x) = ");
    let mut first = true;
    if !n.w0.is_zero() || n.units.is_empty() {
        s.push_str(&q_text(&n.w0));
        first = false;
    }
    for u in &n.units {
        let arg = if u.v.is_zero() {
            q_text(&u.b)
        } else if u.b.is_zero() {
            x_term(&u.v)
        } else if u.v.is_positive() {
            let op = if u.b.is_negative() { "−" } else { "+" };
            format!("{} {op} {}", x_term(&u.v), u.b.abs())
        } else {
            format!("{} − {}", q_text(&u.b), x_term(&-&u.v))
        };
        let mag = u.w.abs();
        let mag = if mag.is_integer() {
            mag.to_string()
        } else {
            format!("({mag})")
        };
        match (first, u.w.is_negative()) {
            (true, false) => {}
            (true, true) => s.push('−'),
            (false, false) => s.push_str(" + "),
            (false, true) => s.push_str(" − "),
        }
        first = false;
        s.push_str(&format!("{mag}·g({arg})"));
    }
    // The weights themselves, as the question's w0 + Σ wi g(bi + vi x) names them.
    let list = |f: &dyn Fn(&Unit) -> &Q| {
        n.units
            .iter()
            .map(|u| q_text(f(u)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    s.push_str(&format!(
        "  [w0 = {}; w = ({}); b = ({}); v = ({})]",
        q_text(&n.w0),
        list(&|u| &u.w),
        list(&|u| &u.b),
        list(&|u| &u.v)
    ));
    s
}

/// Which scalar variable a claim is 1-D in, if the claim is in the fragment: the unique scalar var
/// that occurs inside a step/relu/indicator/abs/max/min argument, else None.
///
/// When several variables occur in kink arguments (`step(x - a)`, `1{x < b}`),
/// the variable is the one that occurs in every kink argument; failing that,
/// the one left over when the parameters named in `assume`s are set aside.
pub fn claim_variable(prog: &Program, lhs: &ir::Expr, rhs: &ir::Expr) -> Option<ir::VarId> {
    let mut kinks: Vec<BTreeSet<VarId>> = Vec::new();
    for e in [lhs, rhs] {
        scan(prog, e, &HashMap::new(), &mut kinks, 0)?;
    }
    let unique = |s: &mut dyn Iterator<Item = VarId>| match (s.next(), s.next()) {
        (Some(v), None) => Some(v),
        _ => None,
    };
    let union: BTreeSet<VarId> = kinks.iter().flatten().copied().collect();
    if let Some(v) = unique(&mut union.iter().copied()) {
        return Some(v);
    }
    let mut common = union.clone();
    for k in &kinks {
        common.retain(|v| k.contains(v));
    }
    if let Some(v) = unique(&mut common.iter().copied()) {
        return Some(v);
    }
    let mut assumed = BTreeSet::new();
    for a in &prog.assumes {
        for e in [&a.lhs, &a.rhs] {
            e.walk(&mut |n| {
                if let Op::Var(v) = n.op {
                    assumed.insert(v);
                }
            });
        }
    }
    unique(&mut union.difference(&assumed).copied())
}

/// Checks that `e` is in the fragment and returns the variables it depends on;
/// each kinked function adds the variables of its arguments to `kinks`.
/// Let-functions are followed with each parameter standing for its
/// argument's variables.
fn scan(
    prog: &Program,
    e: &Expr,
    env: &HashMap<LocalId, BTreeSet<VarId>>,
    kinks: &mut Vec<BTreeSet<VarId>>,
    depth: usize,
) -> Option<BTreeSet<VarId>> {
    if depth > 200 || !e.shape.is_scalar() {
        return None;
    }
    let d = depth + 1;
    let mut vars = BTreeSet::new();
    match &e.op {
        Op::Num(_) => {}
        Op::Var(v) => {
            vars.insert(*v);
        }
        Op::DimValue(dim) => {
            prog.dim_value(*dim)?;
        }
        Op::Local(l) => vars.extend(env.get(l)?.iter().copied()),
        Op::Let(id) => {
            vars = scan(prog, &prog.lets.get(*id)?.body, &HashMap::new(), kinks, d)?;
        }
        Op::CallLet(id) => {
            let decl = prog.lets.get(*id)?;
            if decl.params.len() != e.args.len() {
                return None;
            }
            let mut inner = HashMap::new();
            for (p, a) in decl.params.iter().zip(&e.args) {
                inner.insert(*p, scan(prog, a, env, kinks, d)?);
            }
            vars = scan(prog, &decl.body, &inner, kinks, d)?;
        }
        op => {
            let kink = matches!(
                op,
                Op::Elem(ElemFn::Step | ElemFn::Relu | ElemFn::Abs)
                    | Op::ElemPrime(ElemFn::Step | ElemFn::Relu)
                    | Op::Indicator(_)
                    | Op::Max
                    | Op::Min
            );
            let plain = matches!(
                op,
                Op::Neg
                    | Op::Add
                    | Op::Sub
                    | Op::Mul
                    | Op::Scale
                    | Op::Hadamard
                    | Op::Div
                    | Op::HadDiv
                    | Op::Pow
                    | Op::ElemPow
                    | Op::Transpose
                    | Op::Sum
                    | Op::Literal { rows: 1, cols: 1 }
            );
            if !kink && !plain {
                return None;
            }
            for a in &e.args {
                vars.extend(scan(prog, a, env, kinks, d)?);
            }
            if kink {
                kinks.push(vars.clone());
            }
        }
    }
    Some(vars)
}

#[cfg(test)]
mod tests;
