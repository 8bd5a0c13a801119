//! Derived results: a `derive` statement's backward pass (unrolled for
//! every length when one is symbolic), each result cross-checked against
//! forward-mode derivatives and central finite differences.

use super::verdict::{Contradiction, Counterexample, Detail, InternalError, LengthProblem, Sides};
use super::*;
use crate::eval::{self, Ball};
use crate::ir::{build::relabel, unroll};
use crate::lecture::{self, BackwardPass, PassLine};
use num_rational::BigRational;

impl Checker<'_> {
    pub(super) fn derive(
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
                    problems.push(LengthProblem {
                        lengths: lengths_at(prog, &tdims, len),
                        of: r.of.clone(),
                        detail: r.detail.clone(),
                    });
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
                let every = format!(", for every {} in 1..{unroll}", lengths_name(prog, &tdims));
                r.detail = Detail::Remark(Box::new(r.detail.clone()), every);
            } else {
                r.verdict = Verdict::Unknown;
                r.detail = Detail::AtLengths(problems.clone());
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
    pub(super) fn derive_fixed(
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
        // The named adjoints become definitions of their own, so the numbers
        let order = match &pass {
            Ok(p) => p.order.clone(),
            Err(_) => (0..items.len()).map(PassLine::Result).collect(),
        };
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
                        result: Some(result),
                        verdict,
                        detail,
                    });
                }
                Err(why) => results.push(DerivedResult {
                    of: item.text.clone(),
                    node: item.expr.clone(),
                    result: None,
                    verdict: Verdict::Unknown,
                    detail: Detail::Note(format!("could not derive: {why}")),
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
    pub(super) fn verify_derived(
        &mut self,
        line: usize,
        node: &Expr,
        result: &Expr,
        salt: u64,
    ) -> (Verdict, Detail) {
        let exact = match self.sample(node, result, Compare::Eq, salt) {
            Sampled::Counterexample(c) => {
                return self.contradicted(line, Contradiction::ForwardMode, *c);
            }
            Sampled::Undetermined(r) => return (Verdict::Unknown, Detail::Note(r)),
            Sampled::Agree { exact, .. } => exact,
        };
        // Finite differences need a plain derivative node.
        let fd_points = if node.args.len() == 2 && matches!(node.op, Op::Grad | Op::Jac | Op::D) {
            match self.finite_differences(node, result, salt) {
                Ok(n) => n,
                Err(c) => return self.contradicted(line, Contradiction::FiniteDifferences, *c),
            }
        } else {
            0
        };
        (
            Verdict::Checked,
            Detail::Note(if fd_points > 0 {
                format!(
                    "agrees with forward-mode derivatives ({}) and with central finite differences (eps 1e-6, atol 1e-5, rtol 1e-3; float64, or ball arithmetic at {FD_BITS} bits where float64 does not pass) at {fd_points} points",
                    arith(exact)
                )
            } else {
                format!(
                    "agrees with forward-mode derivatives at the sampled points ({})",
                    arith(exact)
                )
            }),
        )
    }

    /// A result the numbers contradict: an internal error, and `unknown`.
    pub(super) fn contradicted(
        &mut self,
        line: usize,
        what: Contradiction,
        counterexample: Counterexample,
    ) -> (Verdict, Detail) {
        self.internal.push(InternalError {
            line,
            what,
            proof: None,
            counterexample: counterexample.clone(),
        });
        (
            Verdict::Unknown,
            Detail::Contradicted {
                what,
                counterexample,
            },
        )
    }

    pub(super) fn finite_differences(
        &self,
        node: &Expr,
        result: &Expr,
        salt: u64,
    ) -> Result<usize, Box<Counterexample>> {
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
}

/// Central finite differences of `f` in ball arithmetic against the derived
/// `result` at one point: rounding cannot cancel away a large `f`, so only
/// the truncation error of the step remains, which the gradcheck-style
/// tolerance covers. None when the point cannot be used (near a kink,
/// undefined, or a value beyond float64 to compare).
pub(super) fn certified_fd(
    prog: &Program,
    inst: &Instance,
    f: &Expr,
    wrt: &Expr,
    result: &Expr,
    env: &IdxEnv,
) -> Option<Result<(), Box<Counterexample>>> {
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
        last = Some(Box::new(Counterexample {
            lengths: vec![],
            point: vec![],
            at: vec![],
            sides: Sides::FiniteDifferences {
                derived: r,
                finite: fd,
            },
        }));
    }
    last.map(Err)
}

/// Precision of the certified finite differences.
pub(super) const FD_BITS: u64 = 128;

pub(super) fn to_f64<S: Scalar>(m: &Matrix<S>) -> Matrix<f64> {
    Matrix {
        rows: m.rows,
        cols: m.cols,
        data: m.data.iter().map(|x| x.to_f64()).collect(),
    }
}

pub(super) fn reshape_like(m: Matrix<f64>, like: &Matrix<f64>) -> Matrix<f64> {
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

/// The unrolled length a symbolic-length `derive` is displayed for.
pub(super) const SHOWN_LENGTH: u64 = 3;

/// The program with each named adjoint δk added as a `let` (returned with
/// the id of δ1's let), so a derived result can be evaluated directly.
pub(super) fn with_adjoint_lets(prog: &Program, adjoints: &[(String, Expr)]) -> (Program, usize) {
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
pub(super) fn adjoints_to_lets(e: &Expr, base: usize) -> Expr {
    relabel(e, &|n: &Expr| match n.op {
        Op::Adjoint(k) => Some(Expr::leaf(Op::Let(base + k), n.shape, n.span)),
        _ => None,
    })
}
