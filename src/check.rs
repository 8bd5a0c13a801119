//! Verdicts: runs every statement of a resolved program and decides each
//! claim, chain step and derived result as `proved`, `checked`, `refuted` or
//! `unknown`. Proofs come from exact evaluation, the exact 1-D procedure or
//! egg; only numbers refute. Every `proved` is still sampled, and a
//! contradiction is reported as an internal error, never as a verdict.

use crate::derive;
use crate::eval::{self, Ball, EvalError, IdxEnv, Instance, Matrix, Plan, SampleOptions, Scalar};
use crate::ir::{
    Activation, Dim, DimId, Expect, Expr, IdxId, Op, Program, Relation, SeqId, SeqPiece, VarId,
    WorkKind,
};
use crate::ir::{build::relabel, unroll};
use crate::lecture::{self, BackwardPass, PassLine};
use crate::represent::{self, Decision, Representation};
use crate::simplify::{self, Budget, ProofOutcome};
use num_rational::BigRational;
use std::collections::BTreeSet;

/// How a statement came out; the words are part of the interface.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    Proved,
    Checked,
    Refuted,
    Unknown,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Proved => "proved",
            Verdict::Checked => "checked",
            Verdict::Refuted => "refuted",
            Verdict::Unknown => "unknown",
        }
    }
}

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

/// One `=` (or inequality) of a claim.
#[derive(Clone, Debug)]
pub struct StepReport {
    pub line: usize,
    pub verdict: Verdict,
    pub detail: String,
    /// The rewrite chain behind a `proved`, for `--explain`.
    pub explanation: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct DerivedResult {
    /// As written: `grad(J, b2)`.
    pub of: String,
    /// The derivative node itself (for `∂J/∂b2` headings).
    pub node: Expr,
    pub result: Expr,
    pub verdict: Verdict,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    Derive {
        adjoints: Vec<(String, Expr)>,
        results: Vec<DerivedResult>,
        /// The order the adjoints and results are printed in.
        order: Vec<PassLine>,
        note: Option<String>,
    },
    Show {
        result: Expr,
        verdict: Verdict,
        detail: String,
    },
    Claim {
        name: Option<String>,
        expect: Expect,
        verdict: Verdict,
        met: bool,
        detail: String,
        steps: Vec<StepReport>,
    },
    Represent {
        activation: Activation,
        /// `representable`, `not representable` or `unknown`
        verdict: &'static str,
        detail: String,
        network: Option<String>,
    },
    /// A `plot`: its values and picture (written by the caller to its path).
    Plot(crate::plot::PlotReport),
}

#[derive(Clone, Debug)]
pub struct WorkReport {
    pub line: usize,
    /// The statement's first source line, trimmed.
    pub source: String,
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
pub struct FileReport {
    pub file: String,
    pub items: Vec<WorkReport>,
    /// Contradictions between a proof and the numbers: bugs, reported loudly.
    pub internal_errors: Vec<String>,
    /// Whether proofs carry their rewrite chains (`--explain`).
    pub explain: bool,
}

impl FileReport {
    /// True when some claim's verdict misses its expectation.
    pub fn any_unmet(&self) -> bool {
        !self.internal_errors.is_empty()
            || self
                .items
                .iter()
                .any(|w| matches!(w.outcome, Outcome::Claim { met: false, .. }))
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
                    let path = crate::plot::path_for(&opts.plot_dir, file, w.line);
                    Outcome::Plot(crate::plot::run(prog, p, opts.seed, path))
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
    internal: Vec<String>,
}

/// Points closer than this to a kink are redrawn.
const KINK_TOL: f64 = 1e-4;
/// Redraws allowed per sample point (kinks, undefined values, assumptions).
const REDRAWS: u32 = 25;

/// Symbolic lengths are also checked beyond the unroll bound, up to this.
const MAX_LENGTH: u64 = 20;
/// Exact arithmetic is tried at points whose variables have at most this
/// many entries in all; larger points are float64 (exact linear algebra and
/// forward-mode derivatives over large rationals cost too much).
const EXACT_ENTRIES: usize = 16;
/// Length combinations drawn beyond the unroll bound (one point each).
const EXTRA_LENGTHS: u32 = 3;

/// What the numbers of a check depend on, found by walking the expressions
/// and every definition they reach.
struct Facts {
    /// Nodes visited (each definition once): a measure of a point's cost.
    nodes: usize,
    /// A relu/step/abs/max/min/indicator is reached.
    kinks: bool,
    /// A declared `fun` is reached.
    funs: bool,
    /// Dimensions that appear in a reached shape.
    size_dims: BTreeSet<DimId>,
    /// Singular values are reached: float64 cannot resolve them for
    /// products of matrices of mixed magnitudes, so points stay unit-scale.
    singular: bool,
    /// Variables reached.
    vars: BTreeSet<VarId>,
}

impl Facts {
    fn of(prog: &Program, roots: &[&Expr]) -> Facts {
        use crate::ir::ElemFn;
        let mut f = Facts {
            nodes: 0,
            kinks: false,
            funs: false,
            size_dims: BTreeSet::new(),
            singular: false,
            vars: BTreeSet::new(),
        };
        let mut lets = BTreeSet::new();
        let mut seqs = BTreeSet::new();
        let mut stack: Vec<&Expr> = roots.to_vec();
        while let Some(e) = stack.pop() {
            f.nodes += 1;
            for d in [e.shape.rows, e.shape.cols] {
                if let Dim::Sym(id) = d {
                    f.size_dims.insert(id);
                }
            }
            match &e.op {
                Op::Let(l) | Op::CallLet(l) if lets.insert(*l) => {
                    stack.push(&prog.lets[*l].body);
                }
                Op::SeqAt(s) if seqs.insert(*s) => {
                    let decl = &prog.seqs[*s];
                    for d in [decl.shape.rows, decl.shape.cols] {
                        if let Dim::Sym(id) = d {
                            f.size_dims.insert(id);
                        }
                    }
                    for p in &decl.pieces {
                        if let SeqPiece::Defined { body, guard, .. } = p {
                            stack.push(body);
                            if let Some((_, g)) = guard {
                                stack.push(g);
                            }
                        }
                    }
                }
                Op::Var(v) => {
                    f.vars.insert(*v);
                    let s = prog.vars[*v].shape;
                    for d in [s.rows, s.cols] {
                        if let Dim::Sym(id) = d {
                            f.size_dims.insert(id);
                        }
                    }
                }
                Op::Fun(_) | Op::FunPrime(_) => f.funs = true,
                Op::Smin | Op::Smax => f.singular = true,
                Op::Max | Op::Min | Op::Indicator(_) => f.kinks = true,
                Op::Elem(g) | Op::ElemPrime(g)
                    if matches!(g, ElemFn::Relu | ElemFn::Step | ElemFn::Abs) =>
                {
                    f.kinks = true
                }
                _ => {}
            }
            stack.extend(e.args.iter());
        }
        f
    }
}

/// What the agreeing points covered.
#[derive(Default)]
struct Coverage {
    exact: usize,
    float: usize,
    /// Of the `float` points, those that float64 agreement alone passed.
    screened: usize,
    sizes: BTreeSet<Vec<usize>>,
    lengths: BTreeSet<Vec<u64>>,
}

impl Coverage {
    fn points(&self) -> usize {
        self.exact + self.float
    }
    fn add(&mut self, inst: &Instance, size_dims: &[DimId], lens: &[u64], exact: bool) {
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
    fn summary(&self, prog: &Program, size_dims: &[DimId], tdims: &[DimId], eq: bool) -> String {
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
fn compress(vals: &BTreeSet<u64>) -> String {
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
fn on_kink(
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
enum Sampled {
    /// All points agreed: how many, and in which arithmetic.
    Agree {
        points: usize,
        /// every point was exact
        exact: bool,
        /// `12 sampled points (arithmetic); sizes …; lengths …`
        summary: String,
    },
    Counterexample(String),
    Undetermined(String),
}

impl<'a> Checker<'a> {
    fn claim(&mut self, line: usize, c: &crate::ir::Claim) -> Outcome {
        let mut steps = Vec::new();
        let mut prev = &c.first;
        for (k, step) in c.steps.iter().enumerate() {
            let salt = (line as u64) << 16 | k as u64;
            steps.push(self.step(prev, step.relation, &step.rhs, step.line, salt));
            prev = &step.rhs;
        }
        let verdict = if steps.iter().any(|s| s.verdict == Verdict::Refuted) {
            Verdict::Refuted
        } else if steps.iter().any(|s| s.verdict == Verdict::Unknown) {
            Verdict::Unknown
        } else if steps.iter().all(|s| s.verdict == Verdict::Proved) {
            Verdict::Proved
        } else {
            Verdict::Checked
        };
        let detail = if steps.len() == 1 {
            steps[0].detail.clone()
        } else {
            match steps.iter().position(|s| s.verdict == Verdict::Refuted) {
                Some(i) => format!(
                    "step {} (line {}) is the first wrong step: {}",
                    i + 1,
                    steps[i].line,
                    steps[i].detail
                ),
                None => {
                    let words: Vec<String> = steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| format!("step {} {}", i + 1, s.verdict.word()))
                        .collect();
                    words.join(", ")
                }
            }
        };
        let met = match c.expect {
            Expect::Holds => matches!(verdict, Verdict::Proved | Verdict::Checked),
            Expect::Refuted => verdict == Verdict::Refuted,
        };
        Outcome::Claim {
            name: c.name.clone(),
            expect: c.expect,
            verdict,
            met,
            detail,
            steps,
        }
    }

    fn step(
        &mut self,
        lhs: &Expr,
        rel: Relation,
        rhs: &Expr,
        line: usize,
        salt: u64,
    ) -> StepReport {
        let report = |verdict, detail: String, explanation| StepReport {
            line,
            verdict,
            detail,
            explanation,
        };
        let prog = self.prog;
        if !prog.same_shape(lhs.shape, rhs.shape) {
            return report(
                Verdict::Refuted,
                format!(
                    "the sides have different shapes: left {}, right {}",
                    prog.shape_name(lhs.shape),
                    prog.shape_name(rhs.shape)
                ),
                vec![],
            );
        }
        if let Relation::Cmp(op) = rel {
            if !lhs.shape.is_scalar() {
                return report(
                    Verdict::Unknown,
                    format!(
                        "an inequality compares scalars; both sides are {}",
                        prog.shape_name(lhs.shape)
                    ),
                    vec![],
                );
            }
            return match self.sample(lhs, rhs, Compare::Cmp(op), salt) {
                Sampled::Agree { summary, .. } => {
                    report(Verdict::Checked, format!("holds at {summary}"), vec![])
                }
                Sampled::Counterexample(c) => report(Verdict::Refuted, c, vec![]),
                Sampled::Undetermined(r) => report(Verdict::Unknown, r, vec![]),
            };
        }

        // A proof first: exact evaluation, the exact 1-D procedure, then egg.
        let mut proof: Option<(String, Vec<String>, Vec<String>)> = None;
        // Exact evaluation of a closed claim is its own confirmation.
        let mut closed_proof = false;
        let mut not_proved = String::new();
        if is_closed(prog, lhs) && is_closed(prog, rhs) {
            let inst = eval::sample(prog, &self.sample_opts(salt, 0, vec![], true));
            if let Ok(inst) = inst {
                let l = eval::eval::<BigRational>(prog, &inst, lhs, &Vec::new(), 0.0);
                let r = eval::eval::<BigRational>(prog, &inst, rhs, &Vec::new(), 0.0);
                if let (Ok(l), Ok(r)) = (&l, &r) {
                    if l == r {
                        closed_proof = true;
                        proof = Some((
                            format!("exact evaluation: both sides are {}", fmt_generic(l)),
                            vec![],
                            vec![],
                        ));
                    } else {
                        return report(
                            Verdict::Refuted,
                            format!(
                                "exact evaluation: left = {}, right = {}, difference = {}",
                                fmt_generic(l),
                                fmt_generic(r),
                                fmt_generic(&sub_exact(l, r))
                            ),
                            vec![],
                        );
                    }
                }
            }
        }
        if proof.is_none()
            && let Some(x) = represent::claim_variable(prog, lhs, rhs)
        {
            match represent::decide_equal(prog, lhs, rhs, x) {
                Decision::Holds { detail } => {
                    proof = Some((format!("exact 1-D procedure: {detail}"), vec![], vec![]))
                }
                Decision::Fails { at, lhs: l, rhs: r } => {
                    return report(
                        Verdict::Refuted,
                        format!("exact 1-D procedure: at {at}: left = {l}, right = {r}"),
                        vec![],
                    );
                }
                Decision::Unknown { reason } => not_proved = format!("1-D procedure: {reason}"),
            }
        }
        if proof.is_none() && time_dims(prog, &[lhs, rhs]).is_empty() {
            match simplify::prove_equal(prog, lhs, rhs, &self.opts.budget) {
                ProofOutcome::Proved {
                    explanation,
                    rules,
                    facts,
                } => {
                    let mut d = format!("equality saturation with {} rewrite rule(s)", rules.len());
                    if !facts.is_empty() {
                        let facts = crate::render::facts::fact_texts(prog, &facts);
                        d.push_str(&format!(", using {}", facts.join("; ")));
                    }
                    proof = Some((d, explanation, rules));
                }
                ProofOutcome::Unknown { reason } => {
                    if not_proved.is_empty() {
                        not_proved = reason;
                    }
                }
            }
        }

        // The numbers, always.
        match (self.sample(lhs, rhs, Compare::Eq, salt), proof) {
            (Sampled::Counterexample(c), Some((how, _, rules))) => {
                self.internal.push(format!(
                    "line {line}: a proof ({how}; rules: {}) is contradicted by the numbers: {c}",
                    if rules.is_empty() {
                        "none".into()
                    } else {
                        rules.join(", ")
                    }
                ));
                report(
                    Verdict::Unknown,
                    format!("internal error: proof contradicted by a numeric counterexample: {c}"),
                    vec![],
                )
            }
            (Sampled::Counterexample(c), None) => report(Verdict::Refuted, c, vec![]),
            (Sampled::Agree { summary, .. }, Some((how, expl, _))) => report(
                Verdict::Proved,
                format!("{how}; confirmed at {summary}"),
                expl,
            ),
            (Sampled::Undetermined(r), Some((how, expl, _))) if closed_proof => report(
                Verdict::Proved,
                format!("{how}; the exact evaluation is the confirmation (sampling: {r})"),
                expl,
            ),
            // A proof nothing numeric confirms could be a wrong rule exactly
            // where the numbers cannot look.
            (Sampled::Undetermined(r), Some((how, _, _))) => report(
                Verdict::Unknown,
                format!("{how}, but no numeric confirmation: {r}"),
                vec![],
            ),
            (Sampled::Agree { summary, .. }, None) => report(
                Verdict::Checked,
                format!(
                    "equal at {summary}{}",
                    if not_proved.is_empty() {
                        String::new()
                    } else {
                        format!("; not proved: {not_proved}")
                    }
                ),
                vec![],
            ),
            (Sampled::Undetermined(r), None) => report(Verdict::Unknown, r, vec![]),
        }
    }

    fn sample_opts(
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
    fn sample(&self, lhs: &Expr, rhs: &Expr, cmp: Compare, salt: u64) -> Sampled {
        let prog = self.prog;
        let tdims = time_dims(prog, &[lhs, rhs]);
        let facts = Facts::of(prog, &[lhs, rhs]);
        let size_dims: Vec<DimId> = facts
            .size_dims
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
                        compare_all::<BigRational>(prog, &inst, lhs, rhs, cmp, &idxs, 0.0)
                    } else {
                        Err(EvalError::NotExact)
                    };
                    if want_exact && result == Err(EvalError::NotExact) {
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
                            return Sampled::Counterexample(counterexample(
                                prog, lhs, rhs, &tdims, lens, &inst, &mismatch,
                            ));
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
                    return Sampled::Counterexample(counterexample(
                        prog, lhs, rhs, &tdims, &c.lens, &c.inst, &mismatch,
                    ));
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
                    return Sampled::Counterexample(counterexample(
                        prog, lhs, rhs, &tdims, &c.lens, &c.inst, &mismatch,
                    ));
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

    fn derive(
        &mut self,
        line: usize,
        of: Option<&Expr>,
        items: &[crate::ir::DeriveItem],
    ) -> Outcome {
        let prog = self.prog;
        let mut roots: Vec<&Expr> = items.iter().map(|i| &i.expr).collect();
        roots.extend(of);
        let tdims = time_dims(prog, &roots);
        if tdims.is_empty() {
            return self.derive_fixed(line, of, items);
        }
        // A symbolic length: the backward pass is derived and checked for
        // every unrolled length, and shown for a short one.
        let shown = SHOWN_LENGTH.min(self.opts.unroll).max(1);
        let mut shown_outcome = None;
        let mut problems = Vec::new();
        for len in 1..=self.opts.unroll.max(1) {
            let fixed = tdims
                .iter()
                .fold(prog.clone(), |p, &d| unroll::fix_dim(&p, d, len));
            let fix = |e: &Expr| {
                tdims
                    .iter()
                    .fold(e.clone(), |e, &d| unroll::substitute_dim(&e, d, len))
            };
            let items_t: Vec<crate::ir::DeriveItem> = items
                .iter()
                .map(|i| crate::ir::DeriveItem {
                    expr: fix(&i.expr),
                    text: i.text.clone(),
                })
                .collect();
            let of_t = of.map(fix);
            let mut sub = Checker {
                prog: &fixed,
                opts: self.opts,
                internal: Vec::new(),
            };
            let outcome = sub.derive_fixed(line, of_t.as_ref(), &items_t);
            self.internal.extend(sub.internal);
            if let Outcome::Derive { results, .. } = &outcome {
                for r in results.iter().filter(|r| r.verdict != Verdict::Checked) {
                    problems.push(format!(
                        "at {}: {}: {}",
                        lengths_at(prog, &tdims, len),
                        r.of,
                        r.detail
                    ));
                }
            }
            if len == shown {
                shown_outcome = Some(outcome);
            }
        }
        let Some(Outcome::Derive {
            adjoints,
            mut results,
            order,
            note,
        }) = shown_outcome
        else {
            unreachable!("the shown length is within 1..=unroll")
        };
        let unroll = self.opts.unroll.max(1);
        // One result per item, in order; headings use the node as written.
        for (r, item) in results.iter_mut().zip(items) {
            r.node = item.expr.clone();
            if problems.is_empty() {
                r.detail = format!(
                    "{}, for every {} in 1..{unroll}",
                    r.detail,
                    lengths_name(prog, &tdims)
                );
            } else {
                r.verdict = Verdict::Unknown;
                r.detail = problems.join("; ");
            }
        }
        let mut notes = vec![format!(
            "{} is symbolic: the backward pass is shown unrolled for {}; it was derived and checked for every {} in 1..{unroll}",
            lengths_name(prog, &tdims),
            lengths_at(prog, &tdims, shown),
            lengths_name(prog, &tdims),
        )];
        notes.extend(note);
        Outcome::Derive {
            adjoints,
            results,
            order,
            note: Some(notes.join("; ")),
        }
    }

    /// `derive` on a program whose lengths are all fixed.
    fn derive_fixed(
        &mut self,
        line: usize,
        of: Option<&Expr>,
        items: &[crate::ir::DeriveItem],
    ) -> Outcome {
        let prog = self.prog;
        let mut note = None;
        let wrts: Vec<Expr> = items
            .iter()
            .map(|i| {
                i.expr
                    .args
                    .get(1)
                    .cloned()
                    .unwrap_or_else(|| i.expr.clone())
            })
            .collect();
        let pass: Result<BackwardPass, String> = match of {
            Some(f) if items.iter().all(|i| i.expr.op == Op::Grad) => {
                lecture::backward_pass(prog, f, &wrts, &self.opts.budget).map_err(|e| e.message)
            }
            _ => Err(String::new()),
        };
        let (adjoints, raw_results) = match &pass {
            Ok(p) => {
                if p.budget_hit {
                    note = Some(
                        "a simplification budget was hit; the best form found so far is shown"
                            .to_string(),
                    );
                }
                (
                    p.adjoints.clone(),
                    p.results.iter().cloned().map(Ok).collect::<Vec<_>>(),
                )
            }
            Err(why) => {
                if !why.is_empty() {
                    note = Some(format!("derived item by item: {why}"));
                }
                let rs = items
                    .iter()
                    .map(|i| {
                        derive::differentiate(prog, &i.expr)
                            .map(|d| simplify::simplify(prog, &d, &self.opts.budget).expr)
                            .map_err(|e| e.message)
                    })
                    .collect();
                (vec![], rs)
            }
        };
        let order = match &pass {
            Ok(p) => p.order.clone(),
            Err(_) => (0..items.len()).map(PassLine::Result).collect(),
        };
        // The named adjoints become definitions of their own, so the numbers
        // compute each once (a backward pass through time reuses δ1 in every δk).
        let augmented = with_adjoint_lets(prog, &adjoints);
        let mut verifier = Checker {
            prog: &augmented.0,
            opts: self.opts,
            internal: Vec::new(),
        };
        let mut results = Vec::new();
        for (k, (item, res)) in items.iter().zip(raw_results).enumerate() {
            let salt = (line as u64) << 16 | 0x8000 | k as u64;
            match res {
                Ok(result) => {
                    let as_lets = adjoints_to_lets(&result, augmented.1);
                    let (verdict, detail) =
                        verifier.verify_derived(line, &item.expr, &as_lets, salt);
                    results.push(DerivedResult {
                        of: item.text.clone(),
                        node: item.expr.clone(),
                        result,
                        verdict,
                        detail,
                    });
                }
                Err(why) => results.push(DerivedResult {
                    of: item.text.clone(),
                    node: item.expr.clone(),
                    result: item.expr.clone(),
                    verdict: Verdict::Unknown,
                    detail: format!("could not derive: {why}"),
                }),
            }
        }
        self.internal.extend(verifier.internal);
        Outcome::Derive {
            adjoints,
            results,
            order,
            note,
        }
    }

    /// A derived result must agree with forward-mode derivatives and with
    /// central finite differences of the forward definition.
    fn verify_derived(
        &mut self,
        line: usize,
        node: &Expr,
        result: &Expr,
        salt: u64,
    ) -> (Verdict, String) {
        let exact = match self.sample(node, result, Compare::Eq, salt) {
            Sampled::Counterexample(c) => {
                self.internal.push(format!(
                    "line {line}: a derived result disagrees with forward-mode derivatives: {c}"
                ));
                return (
                    Verdict::Unknown,
                    format!(
                        "internal error: the derivation disagrees with forward-mode derivatives: {c}"
                    ),
                );
            }
            Sampled::Undetermined(r) => return (Verdict::Unknown, r),
            Sampled::Agree { exact, .. } => exact,
        };
        // Finite differences need a plain derivative node.
        let fd_points = if node.args.len() == 2 && matches!(node.op, Op::Grad | Op::Jac | Op::D) {
            match self.finite_differences(node, result, salt) {
                Ok(n) => n,
                Err(c) => {
                    self.internal.push(format!(
                        "line {line}: a derived result disagrees with finite differences: {c}"
                    ));
                    return (
                        Verdict::Unknown,
                        format!(
                            "internal error: the derivation disagrees with finite differences: {c}"
                        ),
                    );
                }
            }
        } else {
            0
        };
        (
            Verdict::Checked,
            if fd_points > 0 {
                format!(
                    "agrees with forward-mode derivatives ({}) and with central finite differences (eps 1e-6, atol 1e-5, rtol 1e-3; float64, or ball arithmetic at {FD_BITS} bits where float64 does not pass) at {fd_points} points",
                    arith(exact)
                )
            } else {
                format!(
                    "agrees with forward-mode derivatives at the sampled points ({})",
                    arith(exact)
                )
            },
        )
    }

    fn finite_differences(&self, node: &Expr, result: &Expr, salt: u64) -> Result<usize, String> {
        let prog = self.prog;
        let (f, wrt) = (&node.args[0], &node.args[1]);
        let tdims = time_dims(prog, &[node, result]);
        let lengths: Vec<u64> = if tdims.is_empty() {
            vec![0]
        } else {
            (1..=self.opts.unroll).collect()
        };
        let mut points = 0;
        for &len in &lengths {
            let overrides: Vec<(DimId, u64)> = tdims.iter().map(|&d| (d, len)).collect();
            for draw in 0..self.opts.samples.min(3) {
                for retry in 0..REDRAWS {
                    let d = 7919 + draw * (REDRAWS + 1) + retry;
                    let Ok(inst) =
                        eval::sample(prog, &self.sample_opts(salt, d, overrides.clone(), false))
                    else {
                        continue;
                    };
                    let idxs = free_idxs(&[node, result]);
                    let envs = idx_envs(prog, &inst, &idxs);
                    let mut ok = true;
                    for env in &envs {
                        match certified_fd(prog, &inst, f, wrt, result, env) {
                            Some(Ok(())) => {}
                            Some(Err(text)) => return Err(text),
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok {
                        points += 1;
                        break;
                    }
                }
            }
        }
        Ok(points)
    }

    fn show(&mut self, line: usize, e: &Expr) -> Outcome {
        let prog = self.prog;
        let simplified = derive::eliminate_derivatives(prog, e)
            .map(|d| simplify::simplify(prog, &d, &self.opts.budget));
        match simplified {
            Ok(s) => {
                let salt = (line as u64) << 16 | 0x4000;
                let (verdict, detail) = match self.sample(e, &s.expr, Compare::Eq, salt) {
                    Sampled::Agree { points, exact, .. } => (
                        Verdict::Checked,
                        format!(
                            "the simplified form equals the expression at {points} sampled points ({})",
                            arith(exact)
                        ),
                    ),
                    Sampled::Counterexample(c) => {
                        self.internal.push(format!(
                            "line {line}: simplification changed the value: {c}"
                        ));
                        (
                            Verdict::Unknown,
                            format!("internal error: simplification changed the value: {c}"),
                        )
                    }
                    Sampled::Undetermined(r) => (Verdict::Unknown, r),
                };
                let detail = if s.budget_hit {
                    format!(
                        "{detail}; a simplification budget was hit, the best form found so far is shown"
                    )
                } else {
                    detail
                };
                Outcome::Show {
                    result: s.expr,
                    verdict,
                    detail,
                }
            }
            Err(err) => Outcome::Show {
                result: e.clone(),
                verdict: Verdict::Unknown,
                detail: format!("could not derive: {}", err.message),
            },
        }
    }

    fn represent(&mut self, target: &Expr, var: Option<VarId>, activation: Activation) -> Outcome {
        let Some(var) = var else {
            return Outcome::Represent {
                activation,
                verdict: "unknown",
                detail: "the target has no variable".into(),
                network: None,
            };
        };
        match represent::represent(self.prog, target, var, activation) {
            Representation::Representable { network, detail } => Outcome::Represent {
                activation,
                verdict: "representable",
                detail,
                network: Some(represent::render_network(&network)),
            },
            Representation::NotRepresentable { reason } => Outcome::Represent {
                activation,
                verdict: "not representable",
                detail: reason,
                network: None,
            },
            Representation::Unknown { reason } => Outcome::Represent {
                activation,
                verdict: "unknown",
                detail: reason,
                network: None,
            },
        }
    }
}

/// Central finite differences of `f` in ball arithmetic against the derived
/// `result` at one point: rounding cannot cancel away a large `f`, so only
/// the truncation error of the step remains, which the gradcheck-style
/// tolerance covers. None when the point cannot be used (near a kink,
/// undefined, or a value beyond float64 to compare).
fn certified_fd(
    prog: &Program,
    inst: &Instance,
    f: &Expr,
    wrt: &Expr,
    result: &Expr,
    env: &IdxEnv,
) -> Option<Result<(), String>> {
    // float64 first: a pass there is final (the derived result was already
    // certified against forward-mode derivatives); only a point it cannot
    // pass, where rounding may be what differs, pays for ball arithmetic.
    if let (Ok(fd), Ok(r)) = (
        eval::finite_difference(prog, inst, f, wrt, env),
        eval::eval::<f64>(prog, inst, result, env, KINK_TOL),
    ) {
        let fd = reshape_like(fd, &r);
        if fd.data.iter().chain(&r.data).all(|x| x.is_finite()) && eval::close(&r, &fd, 1e-5, 1e-3)
        {
            return Some(Ok(()));
        }
    }
    // In ball arithmetic rounding is gone, so a step that still differs
    // is retried ten thousand times smaller: what remains then is the
    // truncation error of a steep function, not the derivation.
    let mut last = None;
    for (den, bits) in [(1_000_000u64, FD_BITS), (10_000_000_000, 2 * FD_BITS)] {
        let eps = BigRational::new(1.into(), den.into());
        let (both, _) = eval::ball::with_precision(bits, || {
            let fd = eval::finite_difference_in::<Ball>(
                prog,
                inst,
                f,
                wrt,
                env,
                &Ball::from_rational(&eps),
            )?;
            let r = eval::eval::<Ball>(prog, inst, result, env, KINK_TOL)?;
            Ok::<_, EvalError>((to_f64(&fd), to_f64(&r)))
        });
        let (fd, r) = both.ok()?;
        let fd = reshape_like(fd, &r);
        if fd.data.iter().chain(&r.data).any(|x| !x.is_finite()) {
            return None;
        }
        if eval::close(&r, &fd, 1e-5, 1e-3) {
            return Some(Ok(()));
        }
        last = Some(format!(
            "derived {} but finite differences give {}",
            fmt_f64(&r),
            fmt_f64(&fd)
        ));
    }
    last.map(Err)
}

#[derive(Clone, Copy)]
enum Compare {
    Eq,
    Cmp(crate::ir::CmpOp),
}

/// Evaluates both sides for every assignment of the free `idx` variables;
/// `Ok(Some(text))` describes the first mismatch.
///
/// Exact arithmetic decides by equality; numeric decisions go through
/// [`certify`] instead, so rounding never decides a verdict.
fn compare_all<S: Scalar>(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    cmp: Compare,
    idxs: &[IdxId],
    kink_tol: f64,
) -> Result<Option<String>, EvalError> {
    for env in idx_envs(prog, inst, idxs) {
        let l = eval::eval::<S>(prog, inst, lhs, &env, kink_tol)?;
        let r = eval::eval::<S>(prog, inst, rhs, &env, kink_tol)?;
        let bad = l.dims() != r.dims()
            || l.data.iter().zip(&r.data).any(|(a, b)| {
                let o = a.cmp_value(b);
                match cmp {
                    Compare::Eq => o != std::cmp::Ordering::Equal,
                    Compare::Cmp(op) => !cmp_holds(op, o),
                }
            });
        if bad {
            let diff = l
                .data
                .iter()
                .zip(&r.data)
                .map(|(a, b)| a.sub(b).to_f64().abs())
                .fold(0.0, f64::max);
            return Ok(Some(format!(
                "{}left = {}, right = {} (largest difference {})",
                idx_note(prog, &env),
                fmt_generic(&l),
                fmt_generic(&r),
                sig(diff)
            )));
        }
    }
    Ok(None)
}

/// [`compare_all`] in certified ball arithmetic (see [`compare_certified`]),
/// with at most `max_bits` of working precision.
fn certify(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    cmp: Compare,
    idxs: &[IdxId],
    max_bits: u64,
) -> Result<Option<String>, EvalError> {
    for env in idx_envs(prog, inst, idxs) {
        if let Some(m) = compare_certified(prog, inst, lhs, rhs, cmp, &env, max_bits)? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// The largest working precision of the certified comparison.
const MAX_BITS: u64 = 4096;
/// The largest working precision spent on a point where float64 differed.
const DOUBTFUL_BITS: u64 = 384;

/// Working precisions (bits) of the certified comparison, tried in turn
/// while undecided. Past the last one the point is redrawn. The first one
/// resolves relative differences down to about 10^-50, well below the
/// 30 digits that count as agreement.
const PRECISIONS: [u64; 6] = [192, 384, 768, 1536, 3072, 4096];
/// Points of one check that are certified whatever the float64 screen says.
const CERTIFIED_POINTS: usize = 2;
/// Screened points kept as candidates for certification.
const CANDIDATES: usize = 6;
/// Points where float64 saw a difference that are kept for certification.
const MAX_DIFFERING: usize = 64;
/// Certified agreements (or undecided attempts) at such points after which
/// the remaining ones are taken to be float64's rounding too.
const DIFFERING_POINTS: usize = 4;
/// Orders mixed-magnitude points after every unit-scale one.
const WIDE_COST: usize = 1 << 20;
/// A float64 difference (relative to the values) that rounding is unlikely
/// to explain.
const CLEAR_DIFFERENCE: f64 = 1e-6;
/// Points float64 could not evaluate that are tried in ball arithmetic.
const UNEVALUATED_TRIES: usize = 2;

/// Keeps `list` sorted by cost with at most `cap` entries; among equal
/// costs the earlier point stays first, so the choice is deterministic.
fn keep_cheapest(list: &mut Vec<Candidate>, c: Candidate, cap: usize) {
    let at = list.partition_point(|x| x.cost <= c.cost);
    if at < cap {
        list.insert(at, c);
        list.truncate(cap);
    }
}

/// A point the float64 screen passed, kept for certification.
struct Candidate {
    /// Entries of the inputs plus sizes and lengths: what evaluation costs.
    cost: usize,
    inst: Instance,
    lens: Vec<u64>,
}

/// The text of a counterexample: lengths, the values of the inputs the
/// claim depends on, then the mismatch.
fn counterexample(
    prog: &Program,
    lhs: &Expr,
    rhs: &Expr,
    tdims: &[DimId],
    lens: &[u64],
    inst: &Instance,
    mismatch: &str,
) -> String {
    let vars = free_inputs(prog, &[lhs, rhs]);
    let at: Vec<String> = tdims
        .iter()
        .zip(lens)
        .map(|(t, l)| format!("{} = {l}", prog.dims[*t].name))
        .collect();
    // The sizes the claim's shapes use (lengths are named above); a
    // dimension with a fixed value is part of the file, not of the point.
    let dims: Vec<DimId> = Facts::of(prog, &[lhs, rhs])
        .size_dims
        .into_iter()
        .filter(|d| !tdims.contains(d) && prog.dims[*d].value.is_none())
        .collect();
    let values = inst.describe(prog, &dims, &vars.0, &vars.1);
    format!(
        "counterexample{}: {}{}{}",
        if at.is_empty() {
            String::new()
        } else {
            format!(" at {}", at.join(", "))
        },
        values,
        if values.is_empty() { "" } else { "; " },
        mismatch
    )
}
/// Relative agreement (to the larger side's magnitude) at which the float64
/// screen passes a point without certifying it.
const SCREEN_RTOL: f64 = 1e-10;

/// The float64 screen: true when both sides evaluate finitely and agree
/// entrywise to `SCREEN_RTOL` relative to the largest magnitude on either
/// side or 1, whichever is larger (an inequality: holds with that margin). Anything else, an
/// evaluation error included, sends the point to certified evaluation.
fn float_screen(
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
enum Screen {
    Pass,
    /// Not passed, by this much relative to the values' size.
    Differ(f64),
}

/// Agreement that counts as equality at a point: significant digits.
const AGREE_DIGITS: u32 = 30;
/// Precision of the certified finite differences.
const FD_BITS: u64 = 128;

/// How certified enclosures of the two sides relate.
enum Certified {
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
fn compare_certified(
    prog: &Program,
    inst: &Instance,
    lhs: &Expr,
    rhs: &Expr,
    cmp: Compare,
    env: &IdxEnv,
    max_bits: u64,
) -> Result<Option<String>, EvalError> {
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

fn certified_relation(l: &Matrix<Ball>, r: &Matrix<Ball>, cmp: Compare) -> Certified {
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

fn certified_mismatch(
    prog: &Program,
    env: &IdxEnv,
    l: &Matrix<Ball>,
    r: &Matrix<Ball>,
    bits: u64,
) -> String {
    let diff = l
        .data
        .iter()
        .zip(&r.data)
        .map(|(a, b)| Scalar::sub(a, b))
        .max_by(|a, b| a.abs_cmp(b))
        .unwrap_or_else(Ball::zero);
    let show = |m: &Matrix<Ball>| fmt_matrix(m, Ball::show_sig);
    format!(
        "{}left = {}, right = {} (largest difference {}, certified in ball arithmetic at {bits} bits)",
        idx_note(prog, env),
        show(l),
        show(r),
        diff.abs_value().show_sig()
    )
}

/// `at i = 2: ` for the free indices of a mismatch.
fn idx_note(prog: &Program, env: &IdxEnv) -> String {
    let at: Vec<String> = env
        .iter()
        .map(|(i, v)| format!("{} = {v}", prog.idxs[*i].name))
        .collect();
    if at.is_empty() {
        String::new()
    } else {
        format!("at {}: ", at.join(", "))
    }
}

fn cmp_holds(op: crate::ir::CmpOp, o: std::cmp::Ordering) -> bool {
    use crate::ir::CmpOp;
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
    }
}

/// Every assignment of the given idx variables over their ranges (one empty env if none).
fn idx_envs(prog: &Program, inst: &Instance, idxs: &[IdxId]) -> Vec<IdxEnv> {
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

fn to_f64<S: Scalar>(m: &Matrix<S>) -> Matrix<f64> {
    Matrix {
        rows: m.rows,
        cols: m.cols,
        data: m.data.iter().map(|x| x.to_f64()).collect(),
    }
}

fn reshape_like(m: Matrix<f64>, like: &Matrix<f64>) -> Matrix<f64> {
    if m.data.len() == like.data.len() {
        Matrix {
            rows: like.rows,
            cols: like.cols,
            data: m.data,
        }
    } else {
        m
    }
}

fn sub_exact(a: &Matrix<BigRational>, b: &Matrix<BigRational>) -> Matrix<BigRational> {
    if a.data.len() != b.data.len() {
        return a.clone();
    }
    Matrix {
        rows: a.rows,
        cols: a.cols,
        data: a.data.iter().zip(&b.data).map(|(x, y)| x - y).collect(),
    }
}

/// Exact values with more bits than this are shown as 4-digit decimals: a
/// fraction with a 40-digit denominator is exact but unreadable.
const READABLE_BITS: u64 = 40;

fn fmt_generic<S: Scalar>(m: &Matrix<S>) -> String {
    fmt_matrix(m, |x| {
        if x.bits() > READABLE_BITS {
            sig(x.to_f64())
        } else {
            x.show()
        }
    })
}

fn fmt_f64(m: &Matrix<f64>) -> String {
    fmt_matrix(m, |x| sig(*x))
}

pub use crate::eval::sig;

/// `3`, `[1, 2]` for a column, `[[1, 2], [3, 4]]` for a matrix.
pub fn fmt_matrix<S>(m: &Matrix<S>, f: impl Fn(&S) -> String) -> String {
    if m.rows == 1 && m.cols == 1 {
        return f(&m.data[0]);
    }
    if m.cols == 1 {
        let v: Vec<String> = m.data.iter().map(&f).collect();
        return format!("[{}]", v.join(", "));
    }
    let rows: Vec<String> = (0..m.rows)
        .map(|r| {
            let v: Vec<String> = (0..m.cols).map(|c| f(&m.data[r * m.cols + c])).collect();
            format!("[{}]", v.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
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

/// The lets, sequences and let-functions an expression reaches, transitively.
struct Reach {
    lets: BTreeSet<usize>,
    seqs: BTreeSet<SeqId>,
    vars: BTreeSet<VarId>,
    dims: BTreeSet<DimId>,
    funs: bool,
    idx: bool,
}

fn reach(prog: &Program, roots: &[&Expr]) -> Reach {
    let mut r = Reach {
        lets: BTreeSet::new(),
        seqs: BTreeSet::new(),
        vars: BTreeSet::new(),
        dims: BTreeSet::new(),
        funs: false,
        idx: false,
    };
    let mut stack: Vec<&Expr> = roots.to_vec();
    while let Some(e) = stack.pop() {
        match &e.op {
            Op::Let(l) | Op::CallLet(l) if r.lets.insert(*l) => {
                stack.push(&prog.lets[*l].body);
            }
            Op::SeqAt(s) if r.seqs.insert(*s) => {
                for p in &prog.seqs[*s].pieces {
                    if let SeqPiece::Defined { body, guard, .. } = p {
                        stack.push(body);
                        if let Some((_, g)) = guard {
                            stack.push(g);
                        }
                    }
                }
            }
            Op::Var(v) => {
                r.vars.insert(*v);
            }
            Op::DimValue(Dim::Sym(d)) => {
                r.dims.insert(*d);
            }
            Op::Fun(_) | Op::FunPrime(_) => r.funs = true,
            Op::Idx(_) => r.idx = true,
            _ => {}
        }
        stack.extend(e.args.iter());
    }
    r
}

/// A closed expression has no inputs at all: it evaluates to one exact value.
fn is_closed(prog: &Program, e: &Expr) -> bool {
    let r = reach(prog, &[e]);
    r.vars.is_empty()
        && r.seqs.iter().all(|s| {
            prog.seqs[*s]
                .pieces
                .iter()
                .all(|p| matches!(p, SeqPiece::Defined { .. }))
        })
        && r.seqs.is_empty()
        && !r.funs
        && !r.idx
        && r.dims.iter().all(|d| prog.dims[*d].value.is_some())
        && !e.any(&|n| matches!(n.op, Op::Eye | Op::Ones | Op::Zeros) && !fixed_shape(prog, n))
}

fn fixed_shape(prog: &Program, e: &Expr) -> bool {
    prog.dim_value(e.shape.rows).is_some() && prog.dim_value(e.shape.cols).is_some()
}

/// The unrolled length a symbolic-length `derive` is displayed for.
const SHOWN_LENGTH: u64 = 3;

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

/// The program with each named adjoint δk added as a `let` (returned with
/// the id of δ1's let), so a derived result can be evaluated directly.
fn with_adjoint_lets(prog: &Program, adjoints: &[(String, Expr)]) -> (Program, usize) {
    let mut aug = prog.clone();
    let base = aug.lets.len();
    for (name, e) in adjoints {
        aug.lets.push(crate::ir::LetDecl {
            name: name.clone(),
            params: Vec::new(),
            is_function: false,
            body: adjoints_to_lets(e, base),
            span: e.span,
        });
    }
    (aug, base)
}

/// Replaces each `Op::Adjoint(k)` by a reference to the let `base + k`.
fn adjoints_to_lets(e: &Expr, base: usize) -> Expr {
    relabel(e, &|n: &Expr| match n.op {
        Op::Adjoint(k) => Some(Expr::leaf(Op::Let(base + k), n.shape, n.span)),
        _ => None,
    })
}

/// Symbolic dimensions used as values (lengths such as `T`): unrolled 1..=N.
fn time_dims(prog: &Program, roots: &[&Expr]) -> Vec<DimId> {
    reach(prog, roots)
        .dims
        .into_iter()
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
fn free_inputs(prog: &Program, roots: &[&Expr]) -> (Vec<VarId>, Vec<SeqId>) {
    let r = reach(prog, roots);
    let seqs = r
        .seqs
        .into_iter()
        .filter(|s| {
            prog.seqs[*s]
                .pieces
                .iter()
                .any(|p| !matches!(p, SeqPiece::Defined { .. }))
        })
        .collect();
    (r.vars.into_iter().collect(), seqs)
}
