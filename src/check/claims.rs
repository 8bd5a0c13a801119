//! Claims and chains: each step of `claim a = b = c` is proved (exact
//! evaluation, the exact 1-D procedure, egg) and always sampled; the
//! claim's verdict is its steps' verdicts combined.

use super::verdict::{
    ClaimDetail, Confirmation, Contradiction, Counterexample, Detail, InternalError, Proof,
    ProofMethod, Sides,
};
use super::*;
use crate::eval;
use crate::ir::{Claim, Expect, Relation};
use crate::represent::Decision;
use crate::simplify::ProofOutcome;
use num_rational::BigRational;

/// What the symbolic attempts at a step found before the numbers.
enum Attempt {
    /// A proof; `closed` when it is the exact evaluation of a closed claim.
    Proved { proof: Proof, closed: bool },
    /// The step is wrong, without sampling.
    Refuted(Counterexample),
    /// No proof: why not (may be empty).
    NotProved(String),
}

impl Checker<'_> {
    pub(super) fn claim(&mut self, line: usize, c: &Claim) -> Outcome {
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
            ClaimDetail::Step(steps[0].detail.clone())
        } else {
            match steps.iter().position(|s| s.verdict == Verdict::Refuted) {
                Some(i) => ClaimDetail::FirstWrong {
                    step: i + 1,
                    line: steps[i].line,
                    detail: steps[i].detail.clone(),
                },
                None => ClaimDetail::Steps(steps.iter().map(|s| s.verdict).collect()),
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

    /// One step `lhs rel rhs`: its shapes, then a proof, then the numbers.
    fn step(
        &mut self,
        lhs: &Expr,
        rel: Relation,
        rhs: &Expr,
        line: usize,
        salt: u64,
    ) -> StepReport {
        let report = |verdict, detail| StepReport {
            line,
            verdict,
            detail,
        };
        let prog = self.prog;
        if !prog.same_shape(lhs.shape, rhs.shape) {
            return report(
                Verdict::Refuted,
                Detail::Note(format!(
                    "the sides have different shapes: left {}, right {}",
                    prog.shape_name(lhs.shape),
                    prog.shape_name(rhs.shape)
                )),
            );
        }
        if let Relation::Cmp(op) = rel {
            if !lhs.shape.is_scalar() {
                return report(
                    Verdict::Unknown,
                    Detail::Note(format!(
                        "an inequality compares scalars; both sides are {}",
                        prog.shape_name(lhs.shape)
                    )),
                );
            }
            return match self.sample(lhs, rhs, Compare::Cmp(op), salt) {
                Sampled::Agree { summary, .. } => report(
                    Verdict::Checked,
                    Detail::Note(format!("holds at {summary}")),
                ),
                Sampled::Counterexample(c) => report(Verdict::Refuted, Detail::Refuted(*c)),
                Sampled::Undetermined(r) => report(Verdict::Unknown, Detail::Note(r)),
            };
        }
        let proof = match self.attempt_proof(lhs, rhs, salt) {
            Attempt::Refuted(c) => return report(Verdict::Refuted, Detail::Refuted(c)),
            Attempt::Proved { proof, closed } => Ok((proof, closed)),
            Attempt::NotProved(why) => Err(why),
        };
        // The numbers, always.
        let sampled = self.sample(lhs, rhs, Compare::Eq, salt);
        let (verdict, detail) = self.conclude(line, sampled, proof);
        report(verdict, detail)
    }

    /// A proof first: exact evaluation, the exact 1-D procedure, then egg.
    fn attempt_proof(&self, lhs: &Expr, rhs: &Expr, salt: u64) -> Attempt {
        let prog = self.prog;
        if is_closed(prog, lhs)
            && is_closed(prog, rhs)
            && let Some(a) = self.evaluate_closed(lhs, rhs, salt)
        {
            return a;
        }
        let mut not_proved = String::new();
        if let Some(x) = represent::claim_variable(prog, lhs, rhs) {
            match represent::decide_equal(prog, lhs, rhs, x) {
                Decision::Holds { detail } => {
                    return Attempt::Proved {
                        proof: Proof {
                            method: ProofMethod::OneD(detail),
                            rules: vec![],
                            facts: vec![],
                            explanation: vec![],
                        },
                        closed: false,
                    };
                }
                Decision::Fails { at, lhs: l, rhs: r } => {
                    return Attempt::Refuted(Counterexample {
                        lengths: vec![],
                        point: vec![],
                        at: vec![],
                        sides: Sides::OneD {
                            at,
                            left: l,
                            right: r,
                        },
                    });
                }
                Decision::Unknown { reason } => not_proved = format!("1-D procedure: {reason}"),
            }
        }
        if time_dims(prog, &[lhs, rhs]).is_empty() {
            match simplify::prove_equal(prog, lhs, rhs, &self.opts.budget) {
                ProofOutcome::Proved {
                    explanation,
                    rules,
                    facts,
                } => {
                    return Attempt::Proved {
                        proof: Proof {
                            method: ProofMethod::Saturation,
                            rules,
                            facts: crate::render::facts::fact_texts(prog, &facts),
                            explanation,
                        },
                        closed: false,
                    };
                }
                ProofOutcome::Unknown { reason } => {
                    if not_proved.is_empty() {
                        not_proved = reason;
                    }
                }
            }
        }
        Attempt::NotProved(not_proved)
    }

    /// Exact evaluation of a closed step, which is its own confirmation;
    /// None when either side does not evaluate.
    fn evaluate_closed(&self, lhs: &Expr, rhs: &Expr, salt: u64) -> Option<Attempt> {
        let prog = self.prog;
        let inst = eval::sample(prog, &self.sample_opts(salt, 0, vec![], true)).ok()?;
        let l = eval::eval::<BigRational>(prog, &inst, lhs, &Vec::new(), 0.0).ok()?;
        let r = eval::eval::<BigRational>(prog, &inst, rhs, &Vec::new(), 0.0).ok()?;
        Some(if l == r {
            Attempt::Proved {
                proof: Proof {
                    method: ProofMethod::ExactEvaluation(l),
                    rules: vec![],
                    facts: vec![],
                    explanation: vec![],
                },
                closed: true,
            }
        } else {
            let difference = sub_exact(&l, &r);
            Attempt::Refuted(Counterexample {
                lengths: vec![],
                point: vec![],
                at: vec![],
                sides: Sides::Closed {
                    left: l,
                    right: r,
                    difference,
                },
            })
        })
    }

    /// The verdict of a step from the numbers and its proof (and whether
    /// that is the exact evaluation of a closed step), or why there is none.
    fn conclude(
        &mut self,
        line: usize,
        sampled: Sampled,
        proof: Result<(Proof, bool), String>,
    ) -> (Verdict, Detail) {
        let proved = |proof, numbers| Detail::Proof { proof, numbers };
        match (sampled, proof) {
            (Sampled::Counterexample(c), Ok((proof, _))) => {
                self.internal.push(InternalError {
                    line,
                    what: Contradiction::Proof,
                    proof: Some(proof),
                    counterexample: (*c).clone(),
                });
                (
                    Verdict::Unknown,
                    Detail::Contradicted {
                        what: Contradiction::Proof,
                        counterexample: *c,
                    },
                )
            }
            (Sampled::Counterexample(c), _) => (Verdict::Refuted, Detail::Refuted(*c)),
            (Sampled::Agree { summary, .. }, Ok((proof, _))) => (
                Verdict::Proved,
                proved(proof, Confirmation::Confirmed(summary)),
            ),
            (Sampled::Undetermined(r), Ok((proof, true))) => (
                Verdict::Proved,
                proved(proof, Confirmation::ExactIsConfirmation(r)),
            ),
            // A proof nothing numeric confirms could be a wrong rule exactly
            // where the numbers cannot look.
            (Sampled::Undetermined(r), Ok((proof, false))) => (
                Verdict::Unknown,
                proved(proof, Confirmation::Unconfirmed(r)),
            ),
            (Sampled::Agree { summary, .. }, Err(why)) => (
                Verdict::Checked,
                Detail::Note(format!(
                    "equal at {summary}{}",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!("; not proved: {why}")
                    }
                )),
            ),
            (Sampled::Undetermined(r), _) => (Verdict::Unknown, Detail::Note(r)),
        }
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
        && r.value_dims.iter().all(|d| prog.dims[*d].value.is_some())
        && !e.any(&|n| matches!(n.op, Op::Eye | Op::Ones | Op::Zeros) && !fixed_shape(prog, n))
}

fn fixed_shape(prog: &Program, e: &Expr) -> bool {
    prog.dim_value(e.shape.rows).is_some() && prog.dim_value(e.shape.cols).is_some()
}
