//! The results of a run: each statement's [`Outcome`], the [`Verdict`] of
//! every claim, chain step and derived result, and the file's report. A
//! verdict's grounds are data: a [`Proof`], a [`Counterexample`] with the
//! values check computed, a [`Representation`]; `render` words them.

use crate::eval::{Ball, Matrix, PointEntry};
use crate::ir::{Activation, Expect, Expr};
use crate::represent::Representation;
use num_rational::BigRational;

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

/// One `=` (or inequality) of a claim.
#[derive(Clone, Debug)]
pub struct StepReport {
    pub line: usize,
    pub verdict: Verdict,
    pub detail: Detail,
}

impl StepReport {
    /// The rewrite chain behind a `proved`, for `--explain` (none for a
    /// proof the numbers did not confirm).
    pub fn explanation(&self) -> &[String] {
        match &self.detail {
            Detail::Proof {
                proof,
                numbers: Confirmation::Confirmed(_) | Confirmation::ExactIsConfirmation(_),
            } => &proof.explanation,
            _ => &[],
        }
    }
}

/// A proof found symbolically.
#[derive(Clone, Debug)]
pub struct Proof {
    pub method: ProofMethod,
    /// The rewrite rules egg used (none for the other methods).
    pub rules: Vec<String>,
    /// The facts the rules' conditions relied on, e.g. `sum(y) = 1 (onehot,
    /// simplex or softmax)`.
    pub facts: Vec<String>,
    /// The rewrite chain, one rewrite a line.
    pub explanation: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum ProofMethod {
    /// Both sides of a closed claim evaluate to this exact value.
    ExactEvaluation(Matrix<BigRational>),
    /// The exact 1-D procedure, with its account of why.
    OneD(String),
    /// Equality saturation with egg.
    Saturation,
}

/// What the sampled numbers said of a proof.
#[derive(Clone, Debug)]
pub enum Confirmation {
    /// Every point agreed: what they covered.
    Confirmed(String),
    /// A closed claim, exactly evaluated, where sampling decided nothing
    /// (why not).
    ExactIsConfirmation(String),
    /// No point could confirm it (why not).
    Unconfirmed(String),
}

/// Numbers that tell two sides apart: the point and both sides' values.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The lengths of the point (`T = 3`).
    pub lengths: Vec<(String, u64)>,
    /// The sizes and input values the sides depend on.
    pub point: Vec<PointEntry>,
    /// The free `idx` variables' values where the sides differ (`i = 2`).
    pub at: Vec<(String, i64)>,
    pub sides: Sides,
}

/// Both sides' values, as the arithmetic that told them apart has them.
#[derive(Clone, Debug)]
pub enum Sides {
    /// Exact rational arithmetic at a sampled point; the largest entrywise
    /// difference in float64.
    Exact {
        left: Matrix<BigRational>,
        right: Matrix<BigRational>,
        largest_difference: f64,
    },
    /// Ball arithmetic at `bits` bits of precision: some entries'
    /// enclosures are disjoint.
    Certified {
        left: Matrix<Ball>,
        right: Matrix<Ball>,
        largest_difference: Ball,
        bits: u64,
    },
    /// Exact evaluation of a closed claim.
    Closed {
        left: Matrix<BigRational>,
        right: Matrix<BigRational>,
        difference: Matrix<BigRational>,
    },
    /// The exact 1-D procedure: the point and both sides' values as it
    /// states them.
    OneD {
        at: String,
        left: String,
        right: String,
    },
    /// A derived result against central finite differences (float64
    /// values of the certified computation).
    FiniteDifferences {
        derived: Matrix<f64>,
        finite: Matrix<f64>,
    },
}

/// Which result the numbers contradicted: a bug, never a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contradiction {
    /// A step's proof.
    Proof,
    /// A derived result, by forward-mode derivatives.
    ForwardMode,
    /// A derived result, by finite differences.
    FiniteDifferences,
    /// A `show`'s simplified form, by the expression.
    Simplification,
}

/// The grounds of a verdict.
#[derive(Clone, Debug)]
pub enum Detail {
    /// Check's own words: a reason, or what the agreeing points covered.
    Note(String),
    /// The numbers refute.
    Refuted(Counterexample),
    /// A proof, and what the numbers said of it.
    Proof { proof: Proof, numbers: Confirmation },
    /// A result the numbers contradict: an internal error.
    Contradicted {
        what: Contradiction,
        counterexample: Counterexample,
    },
    /// The unrolled lengths at which a derived result was not checked.
    AtLengths(Vec<LengthProblem>),
    /// A detail followed by a remark.
    Remark(Box<Detail>, String),
}

/// A derived result at one unrolled length.
#[derive(Clone, Debug)]
pub struct LengthProblem {
    /// `T = 3`
    pub lengths: String,
    /// The result as written: `grad(J, W)`.
    pub of: String,
    pub detail: Detail,
}

/// A claim's grounds: its one step's, or what its chain's steps came to.
#[derive(Clone, Debug)]
pub enum ClaimDetail {
    Step(Detail),
    /// The first refuted step of a chain (numbered from 1).
    FirstWrong {
        step: usize,
        line: usize,
        detail: Detail,
    },
    /// Every step's verdict, in order.
    Steps(Vec<Verdict>),
}

/// A proof or derived result contradicted by the numbers.
#[derive(Clone, Debug)]
pub struct InternalError {
    pub line: usize,
    pub what: Contradiction,
    /// The contradicted proof, for [`Contradiction::Proof`].
    pub proof: Option<Proof>,
    pub counterexample: Counterexample,
}

#[derive(Clone, Debug)]
pub struct DerivedResult {
    /// As written: `grad(J, b2)`.
    pub of: String,
    /// The derivative node itself (for `∂J/∂b2` headings).
    pub node: Expr,
    /// `None` when the derivative could not be written (the detail says
    /// why): the question is never printed as its own answer.
    pub result: Option<Expr>,
    pub verdict: Verdict,
    pub detail: Detail,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    Derive {
        adjoints: Vec<(String, Expr)>,
        results: Vec<DerivedResult>,
        /// The order the adjoints and results are printed in.
        order: Vec<crate::lecture::PassLine>,
        note: Option<String>,
    },
    Show {
        result: Expr,
        verdict: Verdict,
        detail: Detail,
    },
    Claim {
        name: Option<String>,
        expect: Expect,
        verdict: Verdict,
        met: bool,
        detail: ClaimDetail,
        steps: Vec<StepReport>,
    },
    Represent {
        activation: Activation,
        answer: Representation,
    },
    /// A `plot`: its values (the plot stage draws them).
    Plot(super::plot::PlotReport),
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
    pub internal_errors: Vec<InternalError>,
    /// Whether proofs carry their rewrite chains (`--explain`).
    pub explain: bool,
}

impl FileReport {
    /// True when some claim's verdict misses its expectation, or a `derive`
    /// could not write one of its results.
    pub fn any_unmet(&self) -> bool {
        !self.internal_errors.is_empty()
            || self.items.iter().any(|w| match &w.outcome {
                Outcome::Claim { met, .. } => !met,
                Outcome::Derive { results, .. } => results.iter().any(|r| r.result.is_none()),
                _ => false,
            })
    }
}
