//! The comparison of two expressions at one sample point: exactly, by the
//! float64 screen, or certified in ball arithmetic (disjoint enclosures
//! refute, agreement to 30 digits confirms).

use super::verdict::Sides;
use super::*;
use crate::eval::{self, Ball};
use num_rational::BigRational;

/// Where two sides differ at a point, and their values.
pub(super) struct Mismatch {
    /// The free `idx` variables' values.
    pub(super) at: Vec<(String, i64)>,
    pub(super) sides: Sides,
}

#[derive(Clone, Copy)]
pub(super) enum Compare {
    Eq,
    Cmp(crate::ir::CmpOp),
}

/// Evaluates both sides for every assignment of the free `idx` variables;
/// `Ok(Some(text))` describes the first mismatch.
///
/// Exact arithmetic decides by equality; numeric decisions go through
/// [`certify`] instead, so rounding never decides a verdict.
pub(super) fn compare_all(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    cmp: Compare,
    idxs: &[IdxId],
    kink_tol: f64,
) -> Result<Option<Mismatch>, EvalError> {
    for env in idx_envs(prog, inst, idxs) {
        let l = eval::eval::<BigRational>(prog, inst, lhs, &env, kink_tol)?;
        let r = eval::eval::<BigRational>(prog, inst, rhs, &env, kink_tol)?;
        let bad = l.dims() != r.dims()
            || l.data.iter().zip(&r.data).any(|(a, b)| {
                let o = a.cmp_value(b);
                match cmp {
                    Compare::Eq => o != std::cmp::Ordering::Equal,
                    Compare::Cmp(op) => !cmp_holds(op, o),
                }
            });
        if bad {
            let largest_difference = l
                .data
                .iter()
                .zip(&r.data)
                .map(|(a, b)| a.sub(b).to_f64().abs())
                .fold(0.0, f64::max);
            return Ok(Some(Mismatch {
                at: idx_values(prog, &env),
                sides: Sides::Exact {
                    left: l,
                    right: r,
                    largest_difference,
                },
            }));
        }
    }
    Ok(None)
}

/// [`compare_all`] in certified ball arithmetic (see [`compare_certified`]),
/// with at most `max_bits` of working precision.
pub(super) fn certify(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    cmp: Compare,
    idxs: &[IdxId],
    max_bits: u64,
) -> Result<Option<Mismatch>, EvalError> {
    for env in idx_envs(prog, inst, idxs) {
        if let Some(m) = compare_certified(prog, inst, lhs, rhs, cmp, &env, max_bits)? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// The largest working precision of the certified comparison.
pub(super) const MAX_BITS: u64 = 4096;
/// The largest working precision spent on a point where float64 differed.
pub(super) const DOUBTFUL_BITS: u64 = 384;

/// Working precisions (bits) of the certified comparison, tried in turn
/// while undecided. Past the last one the point is redrawn. The first one
/// resolves relative differences down to about 10^-50, well below the
/// 30 digits that count as agreement.
pub(super) const PRECISIONS: [u64; 6] = [192, 384, 768, 1536, 3072, 4096];
/// Relative agreement (to the larger side's magnitude) at which the float64
/// screen passes a point without certifying it.
pub(super) const SCREEN_RTOL: f64 = 1e-10;

/// The float64 screen: true when both sides evaluate finitely and agree
/// entrywise to `SCREEN_RTOL` relative to the largest magnitude on either
/// side or 1, whichever is larger (an inequality: holds with that margin). Anything else, an
/// evaluation error included, sends the point to certified evaluation.
pub(super) fn float_screen(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    cmp: Compare,
    idxs: &[IdxId],
) -> Result<Screen, EvalError> {
    let mut worst = Screen::Pass;
    for env in idx_envs(prog, inst, idxs) {
        let l = eval::eval::<f64>(prog, inst, lhs, &env, KINK_TOL)?;
        let r = eval::eval::<f64>(prog, inst, rhs, &env, KINK_TOL)?;
        if l.dims() != r.dims() {
            return Ok(Screen::Differ(f64::INFINITY));
        }
        let scale = l
            .data
            .iter()
            .chain(&r.data)
            .fold(0.0f64, |m, x| m.max(x.abs()));
        if !scale.is_finite() {
            return Ok(Screen::Differ(0.0));
        }
        // Against at least 1, the size of the sampled inputs, as the
        // certified comparison measures a value near zero: float64's
        // rounding of O(1) terms that cancel is not a difference.
        let against = scale.max(1.0);
        let tol = SCREEN_RTOL * against;
        for (a, b) in l.data.iter().zip(&r.data) {
            // How far the pair is from passing, relative to `against`
            // (0 for an inequality that holds but without the margin).
            let miss = match cmp {
                Compare::Eq => ((a - b).abs() > tol).then(|| (a - b).abs() / against),
                Compare::Cmp(op) => {
                    let slack = match op {
                        crate::ir::CmpOp::Le | crate::ir::CmpOp::Lt => b - a,
                        crate::ir::CmpOp::Ge | crate::ir::CmpOp::Gt => a - b,
                    };
                    (slack <= tol).then(|| (-slack).max(0.0) / against)
                }
            };
            if let Some(m) = miss {
                worst = match worst {
                    Screen::Differ(w) if w >= m => worst,
                    _ => Screen::Differ(m),
                };
            }
        }
    }
    Ok(worst)
}

/// What the float64 screen saw at a point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Screen {
    Pass,
    /// Not passed, by this much relative to the values' size.
    Differ(f64),
}

/// Agreement that counts as equality at a point: significant digits.
pub(super) const AGREE_DIGITS: u32 = 30;
/// How certified enclosures of the two sides relate.
pub(super) enum Certified {
    /// Some entry certainly differs (enclosures disjoint) / the inequality
    /// certainly fails.
    Differ,
    /// Every entry agrees to `AGREE_DIGITS` digits / the inequality
    /// certainly holds.
    Agree,
    Undecided(&'static str),
}

/// Decides one point in ball arithmetic, doubling the precision from 192
/// up to 4096 bits while undecided.
///
/// `Differ` needs disjoint enclosures: a proven non-zero difference.
/// `Agree` needs overlapping enclosures whose hull is narrower than
/// 10^-30 of its smallest magnitude; when the hull contains zero (a value
/// exactly or nearly zero) its width is measured against the larger of 1
/// (the size of the sampled inputs) and the magnitudes of all entries of
/// both sides. An enclosure that contains a kink, a zero divisor or the
/// edge of a domain is undecided at that precision. Undecided at the last
/// precision is an error (the caller redraws), never a verdict. Singular
/// values come from float64 linear algebra with a stated tolerance, which
/// more precision cannot narrow: such a point is not refined.
pub(super) fn compare_certified(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    cmp: Compare,
    env: &IdxEnv,
    max_bits: u64,
) -> Result<Option<Mismatch>, EvalError> {
    let mut why = String::new();
    for &bits in PRECISIONS.iter().filter(|&&b| b <= max_bits) {
        let (outcome, approx) = eval::ball::with_precision(bits, || {
            let l = eval::eval::<Ball>(prog, inst, lhs, env, 0.0)?;
            let r = eval::eval::<Ball>(prog, inst, rhs, env, 0.0)?;
            let verdict = certified_relation(&l, &r, cmp);
            let text = matches!(verdict, Certified::Differ)
                .then(|| certified_mismatch(prog, env, &l, &r, bits));
            Ok::<_, EvalError>((verdict, text))
        });
        match outcome {
            Ok((Certified::Differ, text)) => return Ok(text),
            Ok((Certified::Agree, _)) => return Ok(None),
            Ok((Certified::Undecided(w), _)) => why = w.to_string(),
            Err(e) if eval::ball::is_undecided(&e) => why = eval_problem(&e),
            Err(e) => return Err(e),
        }
        if approx {
            break;
        }
    }
    Err(EvalError::Undefined(format!(
        "not decided in ball arithmetic up to {max_bits} bits ({why})"
    )))
}

pub(super) fn certified_relation(l: &Matrix<Ball>, r: &Matrix<Ball>, cmp: Compare) -> Certified {
    use crate::ir::CmpOp;
    if l.dims() != r.dims() {
        return Certified::Differ;
    }
    let scale = Ball::scale_of(l.data.iter().chain(&r.data));
    let agree = |a: &Ball, b: &Ball| a.agree(b, AGREE_DIGITS, &scale);
    match cmp {
        Compare::Eq => {
            let pairs = || l.data.iter().zip(&r.data);
            if pairs().any(|(a, b)| a.disjoint(b)) {
                Certified::Differ
            } else if pairs().all(|(a, b)| agree(a, b)) {
                Certified::Agree
            } else {
                Certified::Undecided("the enclosures overlap but agree to fewer than 30 digits")
            }
        }
        Compare::Cmp(op) => {
            let (a, b) = (&l.data[0], &r.data[0]);
            // A non-strict inequality also holds on agreement to 30 digits,
            // the standard of an equality.
            let (holds, fails) = match op {
                CmpOp::Le => (a.certainly_le(b) || agree(a, b), b.certainly_lt(a)),
                CmpOp::Lt => (a.certainly_lt(b), b.certainly_le(a)),
                CmpOp::Ge => (b.certainly_le(a) || agree(a, b), a.certainly_lt(b)),
                CmpOp::Gt => (b.certainly_lt(a), a.certainly_le(b)),
            };
            if fails {
                Certified::Differ
            } else if holds {
                Certified::Agree
            } else {
                Certified::Undecided("the enclosures of the two sides overlap")
            }
        }
    }
}

pub(super) fn certified_mismatch(
    prog: &Program,
    env: &IdxEnv,
    l: &Matrix<Ball>,
    r: &Matrix<Ball>,
    bits: u64,
) -> Mismatch {
    let diff = l
        .data
        .iter()
        .zip(&r.data)
        .map(|(a, b)| Scalar::sub(a, b))
        .max_by(|a, b| a.abs_cmp(b))
        .unwrap_or_else(Ball::zero);
    Mismatch {
        at: idx_values(prog, env),
        sides: Sides::Certified {
            left: l.clone(),
            right: r.clone(),
            largest_difference: diff.abs_value(),
            bits,
        },
    }
}

/// The free indices of a mismatch by name: `i = 2`.
fn idx_values(prog: &Program, env: &IdxEnv) -> Vec<(String, i64)> {
    env.iter()
        .map(|(i, v)| (prog.idxs[*i].name.clone(), *v))
        .collect()
}

pub(super) fn cmp_holds(op: crate::ir::CmpOp, o: std::cmp::Ordering) -> bool {
    use crate::ir::CmpOp;
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
    }
}
