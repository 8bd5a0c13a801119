//! The sampled comparison of two expressions: a schedule of lengths, sizes
//! and scales, exact arithmetic where it is affordable, a float64 screen
//! elsewhere, and certification in ball arithmetic of every point that
//! decides something.

use super::certify::*;
use super::verdict::Counterexample;
use super::*;
use crate::eval::{self, Plan, SampleOptions};
use std::collections::BTreeSet;

/// Symbolic lengths are also checked beyond the unroll bound, up to this.
pub(super) const MAX_LENGTH: u64 = 20;
/// Exact arithmetic is tried at points whose variables have at most this
/// many entries in all; larger points are float64 (exact linear algebra and
/// forward-mode derivatives over large rationals cost too much).
pub(super) const EXACT_ENTRIES: usize = 16;
/// Length combinations drawn beyond the unroll bound (one point each).
pub(super) const EXTRA_LENGTHS: u32 = 3;

/// What the agreeing points covered.
#[derive(Default)]
pub(super) struct Coverage {
    exact: usize,
    float: usize,
    /// Of the `float` points, those that float64 agreement alone passed.
    screened: usize,
    sizes: BTreeSet<Vec<usize>>,
    lengths: BTreeSet<Vec<u64>>,
}

impl Coverage {
    pub(super) fn points(&self) -> usize {
        self.exact + self.float
    }
    pub(super) fn add(&mut self, inst: &Instance, size_dims: &[DimId], lens: &[u64], exact: bool) {
        if exact {
            self.exact += 1;
        } else {
            self.float += 1;
        }
        let sizes = inst.sizes();
        self.sizes.insert(
            size_dims
                .iter()
                .map(|d| sizes.get(*d).copied().unwrap_or(0))
                .collect(),
        );
        self.lengths.insert(lens.to_vec());
    }
    /// `12 sampled points (exact rational arithmetic at 8, ball arithmetic
    /// … at 4); sizes n, m in 6 configurations from 1 to 8; lengths T = 1..6, 9, 20`
    pub(super) fn summary(
        &self,
        prog: &Program,
        size_dims: &[DimId],
        tdims: &[DimId],
        eq: bool,
    ) -> String {
        let _ = eq;
        let mut parts = Vec::new();
        if self.exact > 0 {
            parts.push(format!("exact rational arithmetic at {}", self.exact));
        }
        let certified = self.float - self.screened;
        if certified > 0 {
            parts.push(format!(
                "ball arithmetic certified to {AGREE_DIGITS} significant digits at {certified}"
            ));
        }
        if self.screened > 0 {
            parts.push(format!(
                "float64 agreement to a relative {SCREEN_RTOL:e} at {}",
                self.screened
            ));
        }
        let arith = if parts.len() == 1 && self.screened == 0 {
            arith(self.float == 0)
        } else {
            parts.join(", ")
        };
        let mut s = format!("{} sampled points ({arith})", self.points());
        if !size_dims.is_empty() {
            let all: Vec<usize> = self.sizes.iter().flatten().copied().collect();
            let (lo, hi) = (
                all.iter().min().copied().unwrap_or(0),
                all.iter().max().copied().unwrap_or(0),
            );
            let k = self.sizes.len();
            s.push_str(&format!(
                "; sizes {} in {k} configuration{} from {lo} to {hi}",
                lengths_name(prog, size_dims),
                if k == 1 { "" } else { "s" }
            ));
        }
        if tdims.len() == 1 {
            let vals: BTreeSet<u64> = self
                .lengths
                .iter()
                .filter_map(|l| l.first())
                .copied()
                .collect();
            s.push_str(&format!(
                "; lengths {} = {}",
                lengths_name(prog, tdims),
                compress(&vals)
            ));
        } else if tdims.len() > 1 {
            let all: Vec<u64> = self.lengths.iter().flatten().copied().collect();
            s.push_str(&format!(
                "; lengths {} in {} combinations from {} to {}, each on its own",
                lengths_name(prog, tdims),
                self.lengths.len(),
                all.iter().min().copied().unwrap_or(0),
                all.iter().max().copied().unwrap_or(0)
            ));
        }
        s
    }
}

/// `1..6, 9, 20`
pub(super) fn compress(vals: &BTreeSet<u64>) -> String {
    let v: Vec<u64> = vals.iter().copied().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        parts.push(if j >= i + 2 {
            format!("{}..{}", v[i], v[j])
        } else if j == i + 1 {
            format!("{}, {}", v[i], v[j])
        } else {
            v[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// Whether an exact point lies on a kink of either side for some index
/// assignment (see [`eval::probe_kinks`]).
pub(super) fn on_kink(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    idxs: &[IdxId],
    salt: u32,
) -> bool {
    let dirs = inst.directions(prog, salt as u64);
    idx_envs(prog, inst, idxs).iter().any(|env| {
        eval::probe_kinks(prog, inst, &[lhs, rhs], env, &dirs) == Err(EvalError::NearKink)
    })
}

/// What a numeric comparison found.
pub(super) enum Sampled {
    /// All points agreed: how many, and in which arithmetic.
    Agree {
        points: usize,
        /// every point was exact
        exact: bool,
        /// `12 sampled points (arithmetic); sizes …; lengths …`
        summary: String,
    },
    Counterexample(Box<Counterexample>),
    Undetermined(String),
}

impl Checker<'_> {
    pub(super) fn sample_opts(
        &self,
        salt: u64,
        draw: u32,
        dim_overrides: Vec<(DimId, u64)>,
        exact: bool,
    ) -> SampleOptions {
        SampleOptions {
            seed: mix(self.opts.seed, salt),
            draw,
            dim_overrides,
            exact,
        }
    }

    /// Compares two expressions at sampled points, for every value of the
    /// free `idx` variables and every length: each symbolic length takes
    /// every value 1..=unroll (the others drawn independently beside it),
    /// then values beyond the bound up to [`MAX_LENGTH`]. Each point has
    /// its own size configuration (all ones, distinct, equal, independent
    /// 1..=8), entry scale (unit or mixed 10⁻³..10³) and `fun` family.
    /// Exact arithmetic is tried first at every point and hands over to
    /// float64 when a value outgrows the exact budget; an exact point on a
    /// kink is redrawn.
    pub(super) fn sample(&self, lhs: &Expr, rhs: &Expr, cmp: Compare, salt: u64) -> Sampled {
        let prog = self.prog;
        let tdims = time_dims(prog, &[lhs, rhs]);
        let facts = reach(prog, &[lhs, rhs]);
        let size_dims: Vec<DimId> = facts
            .shape_dims
            .iter()
            .copied()
            .filter(|d| !tdims.contains(d) && prog.dims[*d].value.is_none())
            .collect();
        let unroll = self.opts.unroll.max(1);
        let samples = self.opts.samples.max(1);
        // (lengths of the time dims, points, first plan index)
        let mut schedule: Vec<(Vec<u64>, u32, u32)> = Vec::new();
        if tdims.is_empty() {
            let factor = if facts.nodes <= 30 {
                8
            } else if facts.nodes <= 300 {
                2
            } else {
                1
            };
            schedule.push((vec![], samples * factor, 0));
        } else {
            let mut rng = eval::sample::Rng::new(mix(self.opts.seed, salt ^ 0x1e_6e74));
            for len in 1..=unroll {
                let mut a = vec![len];
                for _ in 1..tdims.len() {
                    // Odd rounds keep the other lengths different from this
                    // one, so lengths that only ever agree cannot hide.
                    let mut v = rng.int_in(1, unroll as i64) as u64;
                    while unroll > 1 && len % 2 == 1 && v == len {
                        v = rng.int_in(1, unroll as i64) as u64;
                    }
                    a.push(v);
                }
                schedule.push((a, samples, 0));
            }
            let hi = MAX_LENGTH.max(unroll + 1) as i64;
            for k in 0..EXTRA_LENGTHS {
                let a = tdims
                    .iter()
                    .map(|_| rng.int_in(unroll as i64 + 1, hi) as u64)
                    .collect();
                schedule.push((a, 1, 3 + k));
            }
        }
        let idxs = free_idxs(&[lhs, rhs]);
        let mut exact_on = matches!(cmp, Compare::Eq);
        // The smallest total size (sizes plus lengths) at which exact
        // arithmetic outgrew its budget: larger points go to float64 at once.
        let mut exact_fail: Option<usize> = None;
        let mut cov = Coverage::default();
        let mut last_problem = String::new();
        // Points the float64 screen passed / could not decide, cheapest first.
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut differing: Vec<Candidate> = Vec::new();
        let mut unevaluated: Vec<Candidate> = Vec::new();
        for (round, (lens, n, first)) in schedule.iter().enumerate() {
            let overrides: Vec<(DimId, u64)> = tdims.iter().copied().zip(lens.clone()).collect();
            let salt = salt ^ ((round as u64) << 40);
            for p in 0..*n {
                let q = first + p;
                let wide = (q / 2) % 2 == 1 && !facts.singular;
                // Odd points instantiate `fun`s with non-polynomial families.
                let float_funs = facts.funs && q % 2 == 1;
                for retry in 0..REDRAWS {
                    // A wide point that failed twice is redrawn at unit
                    // scale: mixed magnitudes that leave a domain (a
                    // softmax underflowing into a log) do so systematically.
                    let plan = Plan {
                        sizes: q,
                        wide: wide && retry < 2,
                        family: q,
                    };
                    let d = p * (REDRAWS + 1) + retry;
                    let want_exact = exact_on && !float_funs;
                    let inst = match eval::sample_with(
                        prog,
                        &self.sample_opts(salt, d, overrides.clone(), want_exact),
                        &plan,
                    ) {
                        Ok(i) => i,
                        Err(e) => {
                            last_problem = eval_problem(&e);
                            continue;
                        }
                    };
                    let total: usize = size_dims
                        .iter()
                        .map(|d| inst.sizes().get(*d).copied().unwrap_or(1))
                        .sum::<usize>()
                        + lens.iter().sum::<u64>() as usize;
                    let entries: usize = facts
                        .vars
                        .iter()
                        .map(|v| {
                            let (r, c) = inst.shape_dims(prog.vars[*v].shape);
                            r * c
                        })
                        .sum();
                    let want_exact = want_exact
                        && entries <= EXACT_ENTRIES
                        && exact_fail.is_none_or(|f| total < f);
                    let mut exact_used = want_exact;
                    let mut result = if want_exact {
                        compare_all(prog, &inst, lhs, rhs, cmp, &idxs, 0.0)
                    } else {
                        Err(EvalError::NotExact)
                    };
                    if want_exact && matches!(result, Err(EvalError::NotExact)) {
                        // Transcendental (or too large even at size 1):
                        // the rest of the check is float64.
                        if plan.sizes == 0 || size_dims.is_empty() {
                            exact_on = false;
                        }
                        exact_fail = Some(exact_fail.map_or(total, |f| f.min(total)));
                        exact_used = false;
                    }
                    let mut screened = false;
                    if !exact_used {
                        // Certified evaluation is costly, so every point is
                        // screened in float64 first. Points the screen passes
                        // and points it cannot decide (a difference, or an
                        // evaluation error that may be float64's own) are
                        // kept, cheapest first, and a few of each are
                        // certified after the loop: every counterexample and
                        // every point counted as undecided-then-agreeing is
                        // certified; the rest count as screened only.
                        let cost = entries + total;
                        let screen = float_screen(prog, &inst, lhs, rhs, cmp, &idxs);
                        if screen == Ok(Screen::Pass) {
                            screened = true;
                            result = Ok(None);
                        } else {
                            let failed = screen.is_err();
                            if let Err(e) = &screen {
                                last_problem = eval_problem(e);
                            }
                            let c = Candidate {
                                cost,
                                inst,
                                lens: lens.clone(),
                            };
                            if failed {
                                keep_cheapest(&mut unevaluated, c, UNEVALUATED_TRIES);
                            } else {
                                // Clear differences first (they are
                                // likely real and decided at once), then
                                // unit-scale points: a real difference shows
                                // there too, and is decided cheaply.
                                let faint = !matches!(screen, Ok(Screen::Differ(m)) if m > CLEAR_DIFFERENCE);
                                let c = Candidate {
                                    cost: c.cost
                                        + usize::from(c.inst.wide) * WIDE_COST
                                        + usize::from(faint) * 2 * WIDE_COST,
                                    ..c
                                };
                                keep_cheapest(&mut differing, c, MAX_DIFFERING);
                            }
                            if failed {
                                continue;
                            }
                            break;
                        }
                    }
                    // A mismatch at an exact point on a kink says nothing
                    // (the two sides may take different one-sided values).
                    // An agreement there is one point among many drawn
                    // from thousands of values per entry, so it is kept.
                    if exact_used
                        && facts.kinks
                        && matches!(result, Ok(Some(_)))
                        && on_kink(prog, &inst, lhs, rhs, &idxs, d)
                    {
                        last_problem = "every point drawn was on a kink".into();
                        continue;
                    }
                    match result {
                        Ok(None) => {
                            cov.add(&inst, &size_dims, lens, exact_used);
                            if screened {
                                cov.screened += 1;
                                keep_cheapest(
                                    &mut candidates,
                                    Candidate {
                                        cost: entries + total,
                                        inst,
                                        lens: lens.clone(),
                                    },
                                    CANDIDATES,
                                );
                            }
                            break;
                        }
                        Ok(Some(mismatch)) => {
                            return Sampled::Counterexample(Box::new(counterexample(
                                prog, lhs, rhs, &tdims, lens, &inst, mismatch,
                            )));
                        }
                        Err(e) => last_problem = eval_problem(&e),
                    }
                }
            }
            if round == 0 && cov.points() == 0 && differing.is_empty() && unevaluated.is_empty() {
                // Nothing evaluates at the first length: stop early.
                break;
            }
        }
        // The points the screen could not decide, cheapest first: where
        // float64 saw a difference, until a few agree once certified (what
        // float64 saw was its own rounding); where float64 could not
        // evaluate, the cheapest few. A certified difference is a
        // counterexample.
        let (mut agreed, mut undecided) = (0, 0);
        let doubtful = differing
            .iter()
            .map(|c| (c, true))
            .chain(unevaluated.iter().map(|c| (c, false)));
        for (c, differs) in doubtful {
            if differs && (agreed >= DIFFERING_POINTS || undecided >= DIFFERING_POINTS) {
                continue;
            }
            // A point where float64 differs may need many bits to agree
            // (heavy cancellation); past a moderate precision it is left
            // uncounted rather than paid for.
            let max_bits = if differs { DOUBTFUL_BITS } else { MAX_BITS };
            match certify(prog, &c.inst, lhs, rhs, cmp, &idxs, max_bits) {
                Ok(None) => {
                    cov.add(&c.inst, &size_dims, &c.lens, false);
                    agreed += usize::from(differs);
                }
                Err(e) if differs => {
                    undecided += 1;
                    last_problem = eval_problem(&e);
                }
                Ok(Some(mismatch)) => {
                    return Sampled::Counterexample(Box::new(counterexample(
                        prog, lhs, rhs, &tdims, &c.lens, &c.inst, mismatch,
                    )));
                }
                Err(e) => last_problem = eval_problem(&e),
            }
        }
        // Certify the cheapest screened points, the second one at a
        // different size configuration or length where there is one, so
        // that a difference below the screen's tolerance is still found.
        let mut shapes: Vec<(&[usize], &[u64])> = Vec::new();
        let (mut first, mut rest) = (Vec::new(), Vec::new());
        for c in &candidates {
            let shape = (c.inst.sizes(), c.lens.as_slice());
            if shapes.contains(&shape) {
                rest.push(c);
            } else {
                shapes.push(shape);
                first.push(c);
            }
        }
        let mut certified = 0;
        for c in first.into_iter().chain(rest) {
            if certified >= CERTIFIED_POINTS {
                break;
            }
            match certify(prog, &c.inst, lhs, rhs, cmp, &idxs, MAX_BITS) {
                Ok(None) => {
                    cov.screened -= 1;
                    certified += 1;
                }
                Ok(Some(mismatch)) => {
                    return Sampled::Counterexample(Box::new(counterexample(
                        prog, lhs, rhs, &tdims, &c.lens, &c.inst, mismatch,
                    )));
                }
                Err(e) => last_problem = eval_problem(&e),
            }
        }
        if cov.exact == 0 && cov.float > 0 && cov.float == cov.screened {
            return Sampled::Undetermined(format!(
                "float64 agreed at {} points but none could be certified ({})",
                cov.float, last_problem
            ));
        }
        if cov.points() == 0 {
            return Sampled::Undetermined(format!(
                "no sample point could be evaluated ({})",
                if last_problem.is_empty() {
                    "no valid point found".into()
                } else {
                    last_problem
                }
            ));
        }
        Sampled::Agree {
            points: cov.points(),
            exact: cov.float == 0,
            summary: cov.summary(prog, &size_dims, &tdims, matches!(cmp, Compare::Eq)),
        }
    }
}

/// Points of one check that are certified whatever the float64 screen says.
pub(super) const CERTIFIED_POINTS: usize = 2;
/// Screened points kept as candidates for certification.
pub(super) const CANDIDATES: usize = 6;
/// Points where float64 saw a difference that are kept for certification.
pub(super) const MAX_DIFFERING: usize = 64;
/// Certified agreements (or undecided attempts) at such points after which
/// the remaining ones are taken to be float64's rounding too.
pub(super) const DIFFERING_POINTS: usize = 4;
/// Orders mixed-magnitude points after every unit-scale one.
pub(super) const WIDE_COST: usize = 1 << 20;
/// A float64 difference (relative to the values) that rounding is unlikely
/// to explain.
pub(super) const CLEAR_DIFFERENCE: f64 = 1e-6;
/// Points float64 could not evaluate that are tried in ball arithmetic.
pub(super) const UNEVALUATED_TRIES: usize = 2;

/// Keeps `list` sorted by cost with at most `cap` entries; among equal
/// costs the earlier point stays first, so the choice is deterministic.
pub(super) fn keep_cheapest(list: &mut Vec<Candidate>, c: Candidate, cap: usize) {
    let at = list.partition_point(|x| x.cost <= c.cost);
    if at < cap {
        list.insert(at, c);
        list.truncate(cap);
    }
}

/// A point the float64 screen passed, kept for certification.
pub(super) struct Candidate {
    /// Entries of the inputs plus sizes and lengths: what evaluation costs.
    cost: usize,
    inst: Instance,
    lens: Vec<u64>,
}

/// A counterexample: lengths, the sizes and values of the inputs the
/// claim depends on, then the mismatch.
pub(super) fn counterexample(
    prog: &Program,
    lhs: &Expr,
    rhs: &Expr,
    tdims: &[DimId],
    lens: &[u64],
    inst: &Instance,
    mismatch: Mismatch,
) -> Counterexample {
    let r = reach(prog, &[lhs, rhs]);
    let (vars, seqs) = free_inputs(prog, &r);
    let lengths = tdims
        .iter()
        .zip(lens)
        .map(|(t, l)| (prog.dims[*t].name.clone(), *l))
        .collect();
    // The sizes the claim's shapes use (lengths are named above); a
    // dimension with a fixed value is part of the file, not of the point.
    let dims: Vec<DimId> = r
        .shape_dims
        .into_iter()
        .filter(|d| !tdims.contains(d) && prog.dims[*d].value.is_none())
        .collect();
    Counterexample {
        lengths,
        point: inst.point(prog, &dims, &vars, &seqs),
        at: mismatch.at,
        sides: mismatch.sides,
    }
}
