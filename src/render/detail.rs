//! The words of a verdict's grounds: proofs, counterexamples (with the
//! values check computed, formatted here), the claim and internal-error
//! details, and the answers of `represent`. Every output format prints
//! these texts (LaTeX sets them as prose).

use crate::check::{
    ClaimDetail, Confirmation, Contradiction, Counterexample, Detail, InternalError, Proof,
    ProofMethod, Sides,
};
use crate::eval::{Ball, Matrix, Scalar, sig};
use crate::represent::{self, Representation};
use num_rational::BigRational;
use std::fmt;

/// Exact values with more bits than this are shown as 4-digit decimals: a
/// fraction with a 40-digit denominator is exact but unreadable.
const READABLE_BITS: u64 = 40;

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

fn fmt_exact(m: &Matrix<BigRational>) -> String {
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

fn fmt_ball(m: &Matrix<Ball>) -> String {
    fmt_matrix(m, Ball::show_sig)
}

/// How the proof was found: `equality saturation with 8 rewrite rule(s),
/// using sum(y) = 1 (onehot, simplex or softmax)`.
impl fmt::Display for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            ProofMethod::ExactEvaluation(v) => {
                write!(f, "exact evaluation: both sides are {}", fmt_exact(v))
            }
            ProofMethod::OneD(detail) => write!(f, "exact 1-D procedure: {detail}"),
            ProofMethod::Saturation => {
                write!(
                    f,
                    "equality saturation with {} rewrite rule(s)",
                    self.rules.len()
                )?;
                if !self.facts.is_empty() {
                    write!(f, ", using {}", self.facts.join("; "))?;
                }
                Ok(())
            }
        }
    }
}

/// `counterexample at T = 2: n = 1, x = 3; at i = 1: left = 2, right = 3
/// (largest difference 1)`, or the exact procedures' own forms.
impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (left, right, tail) = match &self.sides {
            Sides::Closed {
                left,
                right,
                difference,
            } => {
                return write!(
                    f,
                    "exact evaluation: left = {}, right = {}, difference = {}",
                    fmt_exact(left),
                    fmt_exact(right),
                    fmt_exact(difference)
                );
            }
            Sides::OneD { at, left, right } => {
                return write!(
                    f,
                    "exact 1-D procedure: at {at}: left = {left}, right = {right}"
                );
            }
            Sides::FiniteDifferences { derived, finite } => {
                return write!(
                    f,
                    "derived {} but finite differences give {}",
                    fmt_f64(derived),
                    fmt_f64(finite)
                );
            }
            Sides::Exact {
                left,
                right,
                largest_difference,
            } => (fmt_exact(left), fmt_exact(right), sig(*largest_difference)),
            Sides::Certified {
                left,
                right,
                largest_difference,
                bits,
            } => (
                fmt_ball(left),
                fmt_ball(right),
                format!(
                    "{}, certified in ball arithmetic at {bits} bits",
                    largest_difference.show_sig()
                ),
            ),
        };
        f.write_str("counterexample")?;
        if !self.lengths.is_empty() {
            let at: Vec<String> = self
                .lengths
                .iter()
                .map(|(t, l)| format!("{t} = {l}"))
                .collect();
            write!(f, " at {}", at.join(", "))?;
        }
        let values: Vec<String> = self.point.iter().map(|e| e.to_string()).collect();
        write!(f, ": {}", values.join(", "))?;
        if !values.is_empty() {
            f.write_str("; ")?;
        }
        if !self.at.is_empty() {
            let at: Vec<String> = self.at.iter().map(|(i, v)| format!("{i} = {v}")).collect();
            write!(f, "at {}: ", at.join(", "))?;
        }
        write!(
            f,
            "left = {left}, right = {right} (largest difference {tail})"
        )
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Note(s) => f.write_str(s),
            Detail::Refuted(c) => write!(f, "{c}"),
            Detail::Proof { proof, numbers } => match numbers {
                Confirmation::Confirmed(s) => write!(f, "{proof}; confirmed at {s}"),
                Confirmation::ExactIsConfirmation(r) => write!(
                    f,
                    "{proof}; the exact evaluation is the confirmation (sampling: {r})"
                ),
                Confirmation::Unconfirmed(r) => {
                    write!(f, "{proof}, but no numeric confirmation: {r}")
                }
            },
            Detail::Contradicted {
                what,
                counterexample,
            } => {
                let what = match what {
                    Contradiction::Proof => "proof contradicted by a numeric counterexample",
                    Contradiction::ForwardMode => {
                        "the derivation disagrees with forward-mode derivatives"
                    }
                    Contradiction::FiniteDifferences => {
                        "the derivation disagrees with finite differences"
                    }
                    Contradiction::Simplification => "simplification changed the value",
                };
                write!(f, "internal error: {what}: {counterexample}")
            }
            Detail::AtLengths(problems) => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "at {}: {}: {}", p.lengths, p.of, p.detail)?;
                }
                Ok(())
            }
            Detail::Remark(d, remark) => write!(f, "{d}{remark}"),
        }
    }
}

impl fmt::Display for ClaimDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimDetail::Step(d) => write!(f, "{d}"),
            ClaimDetail::FirstWrong { step, line, detail } => {
                write!(
                    f,
                    "step {step} (line {line}) is the first wrong step: {detail}"
                )
            }
            ClaimDetail::Steps(verdicts) => {
                let words: Vec<String> = verdicts
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("step {} {}", i + 1, v.word()))
                    .collect();
                f.write_str(&words.join(", "))
            }
        }
    }
}

/// `line 3: a derived result disagrees with finite differences: …`.
impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, c) = (self.line, &self.counterexample);
        match (self.what, &self.proof) {
            (Contradiction::Proof, Some(p)) => {
                let rules = if p.rules.is_empty() {
                    "none".to_string()
                } else {
                    p.rules.join(", ")
                };
                write!(
                    f,
                    "line {line}: a proof ({p}; rules: {rules}) is contradicted by the numbers: {c}"
                )
            }
            (Contradiction::Proof, None) => {
                write!(
                    f,
                    "line {line}: a proof is contradicted by the numbers: {c}"
                )
            }
            (Contradiction::ForwardMode, _) => write!(
                f,
                "line {line}: a derived result disagrees with forward-mode derivatives: {c}"
            ),
            (Contradiction::FiniteDifferences, _) => write!(
                f,
                "line {line}: a derived result disagrees with finite differences: {c}"
            ),
            (Contradiction::Simplification, _) => {
                write!(f, "line {line}: simplification changed the value: {c}")
            }
        }
    }
}

/// `representable`, `not representable` or `unknown`.
pub fn represent_word(a: &Representation) -> &'static str {
    match a {
        Representation::Representable { .. } => "representable",
        Representation::NotRepresentable { .. } => "not representable",
        Representation::Unknown { .. } => "unknown",
    }
}

/// How the answer was found, or why there is none.
pub fn represent_detail(a: &Representation) -> &str {
    match a {
        Representation::Representable { detail, .. } => detail,
        Representation::NotRepresentable { reason } | Representation::Unknown { reason } => reason,
    }
}

/// The network of a representable target, in the lecture's notation.
pub fn represent_network(a: &Representation) -> Option<String> {
    match a {
        Representation::Representable { network, .. } => Some(represent::render_network(network)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{PointEntry, PointValue};

    fn q(n: i64, d: i64) -> BigRational {
        BigRational::new(n.into(), d.into())
    }

    fn column(xs: &[BigRational]) -> Matrix<BigRational> {
        Matrix {
            rows: xs.len(),
            cols: 1,
            data: xs.to_vec(),
        }
    }

    /// Lengths, sizes, values, index and both sides, in that order; a
    /// fraction too long to read is a 4-digit decimal.
    #[test]
    fn a_sampled_counterexample_names_the_whole_point() {
        let c = Counterexample {
            lengths: vec![("T".into(), 3)],
            point: vec![
                PointEntry::Size {
                    name: "n".into(),
                    value: 2,
                },
                PointEntry::Value {
                    name: "x".into(),
                    value: PointValue::Exact(column(&[q(1, 2), q(-3, 1)])),
                },
                PointEntry::More {
                    count: 4,
                    of: "h".into(),
                },
            ],
            at: vec![("i".into(), 2), ("j".into(), 1)],
            sides: Sides::Exact {
                left: column(&[q(1, 3)]),
                right: column(&[q(1, 1 << 50)]),
                largest_difference: 1.0 / 3.0,
            },
        };
        assert_eq!(
            c.to_string(),
            "counterexample at T = 3: n = 2, x = [1/2, -3], … (4 more elements of h); \
             at i = 2, j = 1: left = 1/3, right = 8.882e-16 (largest difference 0.3333)"
        );
    }

    #[test]
    fn a_closed_refutation_and_an_unconfirmed_proof() {
        let c = Counterexample {
            lengths: vec![],
            point: vec![],
            at: vec![],
            sides: Sides::Closed {
                left: column(&[q(1, 1)]),
                right: column(&[q(2, 1)]),
                difference: column(&[q(-1, 1)]),
            },
        };
        assert_eq!(
            c.to_string(),
            "exact evaluation: left = 1, right = 2, difference = -1"
        );
        let proof = Proof {
            method: ProofMethod::Saturation,
            rules: vec!["add-comm".into(), "mul-one".into()],
            facts: vec!["x > 0".into(), "y > 0".into()],
            explanation: vec!["x + y".into()],
        };
        let d = Detail::Proof {
            proof: proof.clone(),
            numbers: Confirmation::Unconfirmed("no point".into()),
        };
        assert_eq!(
            d.to_string(),
            "equality saturation with 2 rewrite rule(s), using x > 0; y > 0, but no numeric confirmation: no point"
        );
        let e = InternalError {
            line: 7,
            what: Contradiction::Proof,
            proof: Some(proof),
            counterexample: c,
        };
        assert_eq!(
            e.to_string(),
            "line 7: a proof (equality saturation with 2 rewrite rule(s), using x > 0; y > 0; rules: add-comm, mul-one) is contradicted by the numbers: exact evaluation: left = 1, right = 2, difference = -1"
        );
    }
}
