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
    /// Size configurations at which a side was undefined, with how many
    /// draws were: one never defined, over several draws, is named.
    undefined: std::collections::BTreeMap<Vec<usize>, u32>,
    /// The sizes of the value dimensions at the agreeing points.
    defined: BTreeSet<Vec<usize>>,
}

impl Coverage {
    pub(super) fn points(&self) -> usize {
        self.exact + self.float
    }
    pub(super) fn add(
        &mut self,
        inst: &Instance,
        dims: (&[DimId], &[DimId]),
        lens: &[u64],
        exact: bool,
    ) {
        if exact {
            self.exact += 1;
        } else {
            self.float += 1;
        }
        let (size_dims, value_dims) = dims;
        self.sizes.insert(config(inst, size_dims));
        self.defined.insert(config(inst, value_dims));
        self.lengths.insert(lens.to_vec());
    }
    /// A draw at which a side was undefined.
    pub(super) fn add_undefined(&mut self, inst: &Instance, value_dims: &[DimId]) {
        if !value_dims.is_empty() {
            *self.undefined.entry(config(inst, value_dims)).or_default() += 1;
        }
    }
    /// `n = 1` for each size configuration at which no draw was defined
    /// (a variance's `/(n - 1)` at n = 1), over at least
    /// [`UNDEFINED_DRAWS`] draws, so that values merely unlucky are not
    /// taken for a size.
    fn undefined_sizes(&self, prog: &Program, value_dims: &[DimId]) -> Vec<String> {
        self.undefined
            .iter()
            .filter(|(c, k)| **k >= UNDEFINED_DRAWS && !self.defined.contains(*c))
            .map(|(c, _)| {
                value_dims
                    .iter()
                    .zip(c)
                    .map(|(d, v)| format!("{} = {v}", prog.dims[*d].name))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect()
    }
    /// `12 sampled points (exact rational arithmetic at 8, ball arithmetic
    /// … at 4); sizes n, m in 6 configurations from 1 to 8; lengths T = 1..6, 9, 20`
    pub(super) fn summary(
        &self,
        prog: &Program,
        dims: (&[DimId], &[DimId]),
        tdims: &[DimId],
        eq: bool,
    ) -> String {
        let (size_dims, value_dims) = dims;
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
            let undefined = self.undefined_sizes(prog, value_dims);
            if !undefined.is_empty() {
                s.push_str(&format!(
                    "; undefined at {}, so those sizes are not counted",
                    undefined.join(" and at ")
                ));
            }
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

/// The sizes of `size_dims` at a point.
fn config(inst: &Instance, size_dims: &[DimId]) -> Vec<usize> {
    let sizes = inst.sizes();
    size_dims
        .iter()
        .map(|d| sizes.get(*d).copied().unwrap_or(0))
        .collect()
}

/// Draws without a defined value after which a size configuration is
/// named as one where a side is undefined.
pub(super) const UNDEFINED_DRAWS: u32 = 3;

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
        let mut run = Run::new(self, lhs, rhs, cmp);
        match run.sample_all(salt) {
            Some(c) => Sampled::Counterexample(c),
            None => run.conclude(),
        }
    }
}

/// The points of one round of the schedule: their lengths, how many, and
/// the first plan index.
struct Round {
    lens: Vec<u64>,
    points: u32,
    first: u32,
}

/// What one drawn point came to.
enum Tried {
    /// Counted, or kept for certification: go on to the next point.
    Settled,
    /// Not usable: draw again.
    Redraw,
    /// The sides differ there, exactly or certified.
    Differs(Box<(Instance, Mismatch)>),
}

/// The state of one sampled comparison.
struct Run<'c> {
    ck: &'c Checker<'c>,
    lhs: &'c Expr,
    rhs: &'c Expr,
    cmp: Compare,
    facts: Reach,
    tdims: Vec<DimId>,
    /// The free symbolic sizes (not lengths) the sides' shapes use or
    /// read as values.
    size_dims: Vec<DimId>,
    /// Of those, the ones read as values (`sum(v) / n`): a size at which a
    /// side is undefined is named by these.
    value_dims: Vec<DimId>,
    idxs: Vec<IdxId>,
    exact_on: bool,
    /// The smallest total size (sizes plus lengths) at which exact
    /// arithmetic outgrew its budget: larger points go to float64 at once.
    exact_fail: Option<usize>,
    cov: Coverage,
    last_problem: String,
    /// An evaluation failed for a reason no other point can change (an
    /// unsupported construct, a value over the size budget, with every
    /// size and length fixed): drawing again would only repeat it.
    hopeless: bool,
    /// Points the float64 screen passed, cheapest first.
    candidates: Vec<Candidate>,
    /// Points where float64 saw a difference, clearest first.
    differing: Vec<Candidate>,
    /// Points float64 could not evaluate, cheapest first.
    unevaluated: Vec<Candidate>,
}

impl<'c> Run<'c> {
    fn new(ck: &'c Checker<'c>, lhs: &'c Expr, rhs: &'c Expr, cmp: Compare) -> Run<'c> {
        let prog = ck.prog;
        let facts = reach(prog, &[lhs, rhs]);
        let tdims = lengths_of(prog, &facts);
        // Sizes of shapes and sizes used as values: drawn together, so a
        // value `n` is the length of every `vec[n]` at the same point.
        let size_dims: Vec<DimId> = facts
            .shape_dims
            .union(&facts.value_dims)
            .copied()
            .filter(|d| !tdims.contains(d) && prog.dims[*d].value.is_none())
            .collect();
        let value_dims = size_dims
            .iter()
            .copied()
            .filter(|d| facts.value_dims.contains(d))
            .collect();
        Run {
            ck,
            lhs,
            rhs,
            cmp,
            value_dims,
            facts,
            tdims,
            size_dims,
            idxs: free_idxs(&[lhs, rhs]),
            exact_on: matches!(cmp, Compare::Eq),
            exact_fail: None,
            cov: Coverage::default(),
            last_problem: String::new(),
            hopeless: false,
            candidates: Vec::new(),
            differing: Vec::new(),
            unevaluated: Vec::new(),
        }
    }

    /// Which lengths are sampled, and how many points at each.
    fn schedule(&self, salt: u64) -> Vec<Round> {
        let opts = self.ck.opts;
        let unroll = opts.unroll.max(1);
        let samples = opts.samples.max(1);
        let mut schedule = Vec::new();
        if self.tdims.is_empty() {
            let factor = if self.facts.nodes <= 30 {
                8
            } else if self.facts.nodes <= 300 {
                2
            } else {
                1
            };
            schedule.push(Round {
                lens: vec![],
                points: samples * factor,
                first: 0,
            });
            return schedule;
        }
        let mut rng = eval::sample::Rng::new(mix(opts.seed, salt ^ 0x1e_6e74));
        for len in 1..=unroll {
            let mut a = vec![len];
            for _ in 1..self.tdims.len() {
                // Odd rounds keep the other lengths different from this
                // one, so lengths that only ever agree cannot hide.
                let mut v = rng.int_in(1, unroll as i64) as u64;
                while unroll > 1 && len % 2 == 1 && v == len {
                    v = rng.int_in(1, unroll as i64) as u64;
                }
                a.push(v);
            }
            schedule.push(Round {
                lens: a,
                points: samples,
                first: 0,
            });
        }
        let hi = MAX_LENGTH.max(unroll + 1) as i64;
        for k in 0..EXTRA_LENGTHS {
            let lens = self
                .tdims
                .iter()
                .map(|_| rng.int_in(unroll as i64 + 1, hi) as u64)
                .collect();
            schedule.push(Round {
                lens,
                points: 1,
                first: 3 + k,
            });
        }
        schedule
    }

    /// Every round of the schedule, then certification of the points the
    /// screen could not decide and of a few it passed; the first
    /// counterexample found.
    fn sample_all(&mut self, salt: u64) -> Option<Box<Counterexample>> {
        for (round, r) in self.schedule(salt).iter().enumerate() {
            let salt = salt ^ ((round as u64) << 40);
            for p in 0..r.points {
                if let Some(c) = self.point(r, salt, p) {
                    return Some(c);
                }
                if self.hopeless {
                    break;
                }
            }
            if self.hopeless {
                break;
            }
            if round == 0
                && self.cov.points() == 0
                && self.differing.is_empty()
                && self.unevaluated.is_empty()
            {
                // Nothing evaluates at the first length: stop early.
                break;
            }
        }
        if let Some(c) = self.certify_doubtful() {
            return Some(c);
        }
        self.certify_screened()
    }

    /// Point `p` of a round, redrawn until it settles.
    fn point(&mut self, r: &Round, salt: u64, p: u32) -> Option<Box<Counterexample>> {
        let q = r.first + p;
        let wide = (q / 2) % 2 == 1 && !self.facts.singular;
        // Odd points instantiate `fun`s with non-polynomial families.
        let float_funs = self.facts.funs && q % 2 == 1;
        let overrides: Vec<(DimId, u64)> = self.tdims.iter().copied().zip(r.lens.clone()).collect();
        for retry in 0..REDRAWS {
            if self.hopeless {
                return None;
            }
            // A wide point that failed twice is redrawn at unit scale:
            // mixed magnitudes that leave a domain (a softmax underflowing
            // into a log) do so systematically.
            let plan = Plan {
                sizes: q,
                wide: wide && retry < 2,
                family: q,
            };
            let d = p * (REDRAWS + 1) + retry;
            let want_exact = self.exact_on && !float_funs;
            let opts = self.ck.sample_opts(salt, d, overrides.clone(), want_exact);
            let inst = match eval::sample_with(self.ck.prog, &opts, &plan) {
                Ok(i) => i,
                Err(e) => {
                    self.last_problem = eval_problem(&e);
                    continue;
                }
            };
            match self.try_point(inst, &r.lens, d, want_exact, plan.sizes) {
                Tried::Settled => break,
                Tried::Redraw => {}
                Tried::Differs(found) => {
                    let (inst, m) = *found;
                    return Some(self.counterexample(&r.lens, &inst, m));
                }
            }
        }
        None
    }

    /// One drawn point: exactly where affordable, else through the screen.
    fn try_point(
        &mut self,
        inst: Instance,
        lens: &[u64],
        d: u32,
        want_exact: bool,
        plan_sizes: u32,
    ) -> Tried {
        let prog = self.ck.prog;
        let total: usize = self
            .size_dims
            .iter()
            .map(|d| inst.sizes().get(*d).copied().unwrap_or(1))
            .sum::<usize>()
            + lens.iter().sum::<u64>() as usize;
        let entries: usize = self
            .facts
            .vars
            .iter()
            .map(|v| {
                let (r, c) = inst.shape_dims(prog.vars[*v].shape);
                r * c
            })
            .sum();
        let want_exact =
            want_exact && entries <= EXACT_ENTRIES && self.exact_fail.is_none_or(|f| total < f);
        if want_exact {
            let (lhs, rhs) = (self.lhs, self.rhs);
            match compare_all(prog, &inst, lhs, rhs, self.cmp, &self.idxs, 0.0) {
                Err(EvalError::NotExact) => {
                    // Transcendental (or too large even at size 1): the
                    // rest of the check is float64.
                    if plan_sizes == 0 || self.size_dims.is_empty() {
                        self.exact_on = false;
                    }
                    self.exact_fail = Some(self.exact_fail.map_or(total, |f| f.min(total)));
                }
                result => return self.settle_exact(inst, lens, d, result),
            }
        }
        self.screen(inst, lens, entries + total)
    }

    /// Records why a point failed; an unsupported evaluation with nothing
    /// left to vary (no symbolic size or length) ends the sampling.
    fn note_failure(&mut self, e: &EvalError) {
        self.last_problem = eval_problem(e);
        if matches!(e, EvalError::Unsupported(_))
            && self.size_dims.is_empty()
            && self.tdims.is_empty()
        {
            self.hopeless = true;
        }
    }

    /// An exact comparison's result at a point.
    fn settle_exact(
        &mut self,
        inst: Instance,
        lens: &[u64],
        d: u32,
        result: Result<Option<Mismatch>, EvalError>,
    ) -> Tried {
        let prog = self.ck.prog;
        // A mismatch at an exact point on a kink says nothing (the two
        // sides may take different one-sided values). An agreement there
        // is one point among many drawn from thousands of values per
        // entry, so it is kept.
        if self.facts.kinks
            && matches!(result, Ok(Some(_)))
            && on_kink(prog, &inst, self.lhs, self.rhs, &self.idxs, d)
        {
            self.last_problem = "every point drawn was on a kink".into();
            return Tried::Redraw;
        }
        match result {
            Ok(None) => {
                self.cov
                    .add(&inst, (&self.size_dims, &self.value_dims), lens, true);
                Tried::Settled
            }
            Ok(Some(m)) => Tried::Differs(Box::new((inst, m))),
            Err(e) => {
                if matches!(e, EvalError::Undefined(_)) {
                    self.cov.add_undefined(&inst, &self.value_dims);
                }
                self.note_failure(&e);
                Tried::Redraw
            }
        }
    }

    /// Certified evaluation is costly, so every point is screened in
    /// float64 first. Points the screen passes and points it cannot decide
    /// (a difference, or an evaluation error that may be float64's own)
    /// are kept, cheapest first, and a few of each are certified after the
    /// loop: every counterexample and every point counted as
    /// undecided-then-agreeing is certified; the rest count as screened
    /// only.
    fn screen(&mut self, inst: Instance, lens: &[u64], cost: usize) -> Tried {
        let prog = self.ck.prog;
        let screen = float_screen(prog, &inst, self.lhs, self.rhs, self.cmp, &self.idxs);
        let c = Candidate {
            cost,
            inst,
            lens: lens.to_vec(),
        };
        match screen {
            Ok(Screen::Pass) => {
                self.cov
                    .add(&c.inst, (&self.size_dims, &self.value_dims), lens, false);
                self.cov.screened += 1;
                keep_cheapest(&mut self.candidates, c, CANDIDATES);
                Tried::Settled
            }
            Err(e) => {
                if matches!(e, EvalError::Undefined(_)) {
                    self.cov.add_undefined(&c.inst, &self.value_dims);
                }
                self.note_failure(&e);
                keep_cheapest(&mut self.unevaluated, c, UNEVALUATED_TRIES);
                Tried::Redraw
            }
            Ok(Screen::Differ(m)) => {
                // Clear differences first (they are likely real and
                // decided at once), then unit-scale points: a real
                // difference shows there too, and is decided cheaply.
                let faint = m <= CLEAR_DIFFERENCE;
                let c = Candidate {
                    cost: c.cost
                        + usize::from(c.inst.wide) * WIDE_COST
                        + usize::from(faint) * 2 * WIDE_COST,
                    ..c
                };
                keep_cheapest(&mut self.differing, c, MAX_DIFFERING);
                Tried::Settled
            }
        }
    }

    /// The points the screen could not decide, cheapest first: where
    /// float64 saw a difference, until a few agree once certified (what
    /// float64 saw was its own rounding); where float64 could not
    /// evaluate, the cheapest few. A certified difference is a
    /// counterexample.
    fn certify_doubtful(&mut self) -> Option<Box<Counterexample>> {
        let prog = self.ck.prog;
        let (mut agreed, mut undecided) = (0, 0);
        let differing = std::mem::take(&mut self.differing);
        let unevaluated = std::mem::take(&mut self.unevaluated);
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
            let (lhs, rhs) = (self.lhs, self.rhs);
            match certify(prog, &c.inst, lhs, rhs, self.cmp, &self.idxs, max_bits) {
                Ok(None) => {
                    self.cov
                        .add(&c.inst, (&self.size_dims, &self.value_dims), &c.lens, false);
                    agreed += usize::from(differs);
                }
                Err(e) if differs => {
                    undecided += 1;
                    self.last_problem = eval_problem(&e);
                }
                Ok(Some(m)) => return Some(self.counterexample(&c.lens, &c.inst, m)),
                Err(e) => self.last_problem = eval_problem(&e),
            }
        }
        None
    }

    /// Certifies the cheapest screened points, the second one at a
    /// different size configuration or length where there is one, so that
    /// a difference below the screen's tolerance is still found.
    fn certify_screened(&mut self) -> Option<Box<Counterexample>> {
        let prog = self.ck.prog;
        let candidates = std::mem::take(&mut self.candidates);
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
            let (lhs, rhs) = (self.lhs, self.rhs);
            match certify(prog, &c.inst, lhs, rhs, self.cmp, &self.idxs, MAX_BITS) {
                Ok(None) => {
                    self.cov.screened -= 1;
                    certified += 1;
                }
                Ok(Some(m)) => return Some(self.counterexample(&c.lens, &c.inst, m)),
                Err(e) => self.last_problem = eval_problem(&e),
            }
        }
        None
    }

    /// What the points came to when none differed.
    fn conclude(self) -> Sampled {
        let cov = &self.cov;
        if cov.exact == 0 && cov.float > 0 && cov.float == cov.screened {
            return Sampled::Undetermined(format!(
                "float64 agreed at {} points but none could be certified ({})",
                cov.float, self.last_problem
            ));
        }
        if cov.points() == 0 {
            return Sampled::Undetermined(format!(
                "no sample point could be evaluated ({})",
                if self.last_problem.is_empty() {
                    "no valid point found".into()
                } else {
                    self.last_problem
                }
            ));
        }
        Sampled::Agree {
            points: cov.points(),
            exact: cov.float == 0,
            summary: cov.summary(
                self.ck.prog,
                (&self.size_dims, &self.value_dims),
                &self.tdims,
                matches!(self.cmp, Compare::Eq),
            ),
        }
    }

    /// A counterexample at `inst`: lengths, the sizes and values of the
    /// inputs the sides depend on, then the mismatch.
    fn counterexample(&self, lens: &[u64], inst: &Instance, m: Mismatch) -> Box<Counterexample> {
        let prog = self.ck.prog;
        let (vars, seqs) = free_inputs(prog, &self.facts);
        let lengths = self
            .tdims
            .iter()
            .zip(lens)
            .map(|(t, l)| (prog.dims[*t].name.clone(), *l))
            .collect();
        // The sizes the claim's shapes use (lengths are named above); a
        // dimension with a fixed value is part of the file, not of the point.
        Box::new(Counterexample {
            lengths,
            point: inst.point(prog, &self.size_dims, &vars, &seqs),
            at: m.at,
            sides: m.sides,
        })
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
