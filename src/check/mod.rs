//! Verdicts: runs every statement of a resolved program and decides each
//! claim, chain step and derived result as `proved`, `checked`, `refuted` or
//! `unknown`. Proofs come from exact evaluation, the exact 1-D procedure or
//! egg; only numbers refute. Every `proved` is still sampled, and a
//! contradiction is reported as an internal error, never as a verdict.
//!
//! This module is the entry ([`check_program`]) and runs `show` and
//! `represent`; [`verdict`] holds the result types, `claims` claims and
//! chains, `derived` the cross-check of derived results, `numeric` the
//! sampled comparison, `certify` the comparison at one point, and [`plot`]
//! the values of a `plot` statement.

mod certify;
mod claims;
mod derived;
mod numeric;
pub mod plot;
pub mod verdict;

pub use verdict::{
    ClaimDetail, Confirmation, Contradiction, Counterexample, DerivedResult, Detail, FileReport,
    InternalError, LengthProblem, Outcome, Proof, ProofMethod, Sides, StepReport, Verdict,
    WorkReport,
};

use crate::derive;
use crate::eval::{EvalError, IdxEnv, Instance, Matrix, Scalar};
use crate::ir::reach::{Reach, reach};
use crate::ir::{Activation, DimId, Expr, IdxId, Op, Program, SeqId, SeqPiece, VarId, WorkKind};
use crate::represent::{self, Representation};
use crate::simplify::{self, Budget};
use certify::{AGREE_DIGITS, Compare};
use numeric::Sampled;

/// Settings of one run: reproducible numeric checks.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// sample points per check (per unrolled length)
    pub samples: u32,
    /// symbolic lengths such as `T` are checked for 1..=unroll
    pub unroll: u64,
    pub explain: bool,
    pub budget: Budget,
    /// where `plot` statements' pictures go (empty: the current directory)
    pub plot_dir: std::path::PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 0,
            samples: 5,
            unroll: 6,
            explain: false,
            budget: Budget::default(),
            plot_dir: std::path::PathBuf::new(),
        }
    }
}

/// Runs every statement of `prog` in source order.
pub fn check_program(file: &str, src: &str, prog: &Program, opts: &Options) -> FileReport {
    let mut checker = Checker {
        prog,
        opts,
        internal: Vec::new(),
    };
    let items = prog
        .work
        .iter()
        .map(|w| {
            let source = src[w.span.start.min(src.len())..w.span.end.min(src.len())]
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let outcome = match &w.kind {
                WorkKind::Derive { of, items } => checker.derive(w.line, of.as_ref(), items),
                WorkKind::Show(e) => checker.show(w.line, e),
                WorkKind::Claim(c) => checker.claim(w.line, c),
                WorkKind::Represent {
                    target,
                    var,
                    activation,
                } => checker.represent(target, *var, *activation),
                WorkKind::Plot(p) => {
                    let path = plot::path_for(&opts.plot_dir, file, w.line);
                    Outcome::Plot(plot::run(prog, p, opts.seed, path))
                }
            };
            WorkReport {
                line: w.line,
                source,
                outcome,
            }
        })
        .collect();
    FileReport {
        file: file.to_string(),
        items,
        internal_errors: checker.internal,
        explain: opts.explain,
    }
}

struct Checker<'a> {
    prog: &'a Program,
    opts: &'a Options,
    internal: Vec<InternalError>,
}

/// Points closer than this to a kink are redrawn.
const KINK_TOL: f64 = 1e-4;
/// Redraws allowed per sample point (kinks, undefined values, assumptions).
const REDRAWS: u32 = 25;

impl Checker<'_> {
    fn show(&mut self, line: usize, e: &Expr) -> Outcome {
        let prog = self.prog;
        let simplified = derive::eliminate_derivatives(prog, e)
            .map(|d| simplify::simplify(prog, &d, &self.opts.budget));
        let s = match simplified {
            Ok(s) => s,
            Err(err) => {
                return Outcome::Show {
                    result: e.clone(),
                    verdict: Verdict::Unknown,
                    detail: Detail::Note(format!("could not derive: {}", err.message)),
                };
            }
        };
        let salt = (line as u64) << 16 | 0x4000;
        let (verdict, detail) = match self.sample(e, &s.expr, Compare::Eq, salt) {
            Sampled::Agree { points, exact, .. } => (
                Verdict::Checked,
                Detail::Note(format!(
                    "the simplified form equals the expression at {points} sampled points ({})",
                    arith(exact)
                )),
            ),
            Sampled::Counterexample(c) => {
                self.contradicted(line, Contradiction::Simplification, *c)
            }
            Sampled::Undetermined(r) => (Verdict::Unknown, Detail::Note(r)),
        };
        let detail = if s.budget_hit {
            let hit = "; a simplification budget was hit, the best form found so far is shown";
            Detail::Remark(Box::new(detail), hit.to_string())
        } else {
            detail
        };
        Outcome::Show {
            result: s.expr,
            verdict,
            detail,
        }
    }

    fn represent(&mut self, target: &Expr, var: Option<VarId>, activation: Activation) -> Outcome {
        let answer = match var {
            Some(var) => represent::represent(self.prog, target, var, activation),
            None => Representation::Unknown {
                reason: "the target has no variable".into(),
            },
        };
        Outcome::Represent { activation, answer }
    }
}

/// Every assignment of the given idx variables over their ranges (one empty env if none).
fn idx_envs(prog: &Program, inst: &Instance, idxs: &[IdxId]) -> Vec<IdxEnv> {
    let ranges: Vec<i64> = idxs
        .iter()
        .map(|&i| inst.dim(prog.idxs[i].range) as i64)
        .collect();
    let total = ranges
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n as usize));
    if total.is_none_or(|t| t > MAX_IDX_ENVS) {
        return sampled_idx_envs(idxs, &ranges);
    }
    let mut envs: Vec<IdxEnv> = vec![Vec::new()];
    for &i in idxs {
        let n = inst.dim(prog.idxs[i].range) as i64;
        envs = envs
            .into_iter()
            .flat_map(|env| {
                (1..=n).map(move |v| {
                    let mut e = env.clone();
                    e.push((i, v));
                    e
                })
            })
            .collect();
    }
    envs
}

/// Index values tried at one point: every combination up to this many,
/// beyond it (`idx i, j, k: N` with N = 1000) a sample of them.
const MAX_IDX_ENVS: usize = 512;

/// [`MAX_IDX_ENVS`] combinations of index values: the corners (every index
/// first, every index last) and the rest drawn by a fixed hash, so the same
/// file gives the same combinations.
fn sampled_idx_envs(idxs: &[IdxId], ranges: &[i64]) -> Vec<IdxEnv> {
    let mut envs: Vec<IdxEnv> = vec![
        idxs.iter().map(|&i| (i, 1)).collect(),
        idxs.iter().zip(ranges).map(|(&i, &n)| (i, n)).collect(),
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while envs.len() < MAX_IDX_ENVS {
        let env = idxs
            .iter()
            .zip(ranges)
            .map(|(&i, &n)| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (i, 1 + ((state >> 33) % n.max(1) as u64) as i64)
            })
            .collect();
        envs.push(env);
    }
    envs
}

fn arith(exact: bool) -> String {
    if exact {
        "exact rational arithmetic".into()
    } else {
        format!("ball arithmetic, certified to {AGREE_DIGITS} significant digits")
    }
}

fn eval_problem(e: &EvalError) -> String {
    match e {
        EvalError::Undefined(s) => format!("undefined: {s}"),
        EvalError::NotExact => "not exact".into(),
        EvalError::Unsupported(s) => s.clone(),
        EvalError::NearKink => "every point drawn was too close to a kink".into(),
    }
}

/// SplitMix64 finaliser: an independent seed per statement and step.
fn mix(seed: u64, salt: u64) -> u64 {
    let mut z = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `T` (or `T, S` when several lengths are unrolled together).
fn lengths_name(prog: &Program, dims: &[DimId]) -> String {
    dims.iter()
        .map(|d| prog.dims[*d].name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `T = 3` for each unrolled length.
fn lengths_at(prog: &Program, dims: &[DimId], len: u64) -> String {
    dims.iter()
        .map(|d| format!("{} = {len}", prog.dims[*d].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Symbolic lengths (`T` in `h[T]`, `sum(t in 1..T, …)`): unrolled 1..=N.
/// A dimension used only as a scalar value (`sum(v) / n`) is not one: it
/// is drawn as a size, like the dimensions of shapes.
fn time_dims(prog: &Program, roots: &[&Expr]) -> Vec<DimId> {
    lengths_of(prog, &reach(prog, roots))
}

/// [`time_dims`] of what has been reached.
fn lengths_of(prog: &Program, r: &Reach) -> Vec<DimId> {
    r.length_dims
        .iter()
        .copied()
        .filter(|d| prog.dims[*d].value.is_none())
        .collect()
}

/// Free `idx` variables (not bound by `sum(j, …)`), in order of first appearance.
fn free_idxs(roots: &[&Expr]) -> Vec<IdxId> {
    fn go(e: &Expr, bound: &mut Vec<IdxId>, out: &mut Vec<IdxId>) {
        match &e.op {
            Op::Idx(i) if !bound.contains(i) && !out.contains(i) => out.push(*i),
            Op::SumIdx(i) => {
                bound.push(*i);
                for a in &e.args {
                    go(a, bound, out);
                }
                bound.pop();
                return;
            }
            _ => {}
        }
        for a in &e.args {
            go(a, bound, out);
        }
    }
    let mut out = Vec::new();
    for r in roots {
        go(r, &mut Vec::new(), &mut out);
    }
    out
}

/// Variables and given sequences a counterexample should list.
fn free_inputs(prog: &Program, r: &Reach) -> (Vec<VarId>, Vec<SeqId>) {
    let seqs = r
        .seqs
        .iter()
        .copied()
        .filter(|s| {
            prog.seqs[*s]
                .pieces
                .iter()
                .any(|p| !matches!(p, SeqPiece::Defined { .. }))
        })
        .collect();
    (r.vars.iter().copied().collect(), seqs)
}
