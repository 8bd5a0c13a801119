use super::*;
use crate::derive::differentiate;
use crate::derive::testkit::*;
use crate::ir::build::{had, mul, sub, transpose};
use crate::ir::{CmpOp, Expr, Op};

/// A compact printer so failures are readable.
pub(crate) fn show(p: &Program, e: &Expr) -> String {
    let a = |i: usize| show(p, &e.args[i]);
    match &e.op {
        Op::Var(v) => p.vars[*v].name.clone(),
        Op::Let(l) => p.lets[*l].name.clone(),
        Op::Num(c) => c.to_string(),
        Op::Adjoint(k) => format!("δ{}", k + 1),
        Op::Ones => "ones".into(),
        Op::Zeros => "0".into(),
        Op::Eye => "I".into(),
        Op::Add => format!("({} + {})", a(0), a(1)),
        Op::Sub => format!("({} - {})", a(0), a(1)),
        Op::Neg => format!("-{}", a(0)),
        Op::Mul | Op::Scale => format!("({} {})", a(0), a(1)),
        Op::Hadamard => format!("({} ∘ {})", a(0), a(1)),
        Op::HadDiv => format!("({} ./ {})", a(0), a(1)),
        Op::Transpose => format!("{}ᵀ", a(0)),
        Op::Indicator(CmpOp::Gt) => format!("1{{{} > {}}}", a(0), a(1)),
        op => format!(
            "{op:?}({})",
            e.args
                .iter()
                .map(|x| show(p, x))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn q3_simplified(wrt: usize) -> (B, Vec<Expr>, String) {
    let (b, v) = crate::derive::tests::q3();
    let g = differentiate(&b.p, &d2(Op::Grad, v[0].clone(), v[wrt].clone())).unwrap();
    let s = simplify(&b.p, &g, &Budget::default());
    assert!(!s.budget_hit);
    let txt = show(&b.p, &s.expr);
    (b, v, txt)
}

#[test]
fn q3_gradients_simplify_to_lecture_forms() {
    assert_eq!(q3_simplified(1).2, "(yhat - y)");
    assert_eq!(q3_simplified(2).2, "((yhat - y) hᵀ)");
    assert_eq!(q3_simplified(5).2, "(Uᵀ (yhat - y))");
    assert_eq!(q3_simplified(3).2, "((Uᵀ (yhat - y)) ∘ 1{h > 0})");
    assert_eq!(q3_simplified(4).2, "(((Uᵀ (yhat - y)) ∘ 1{h > 0}) xᵀ)");
}

fn zeros_like(e: &Expr) -> Expr {
    Expr::leaf(Op::Zeros, e.shape, SP)
}

#[test]
fn q3_claims_are_proved_and_mistakes_are_not() {
    let (mut b, v) = crate::derive::tests::q3();
    let (j, b2, u, b1, w, h, yhat, y, x) = (
        &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
    );
    let delta1 = b.let_("delta1", sub(yhat.clone(), y.clone()));
    let ind = op2(Op::Indicator(CmpOp::Gt), h.clone(), zeros_like(h));
    let delta2 = b.let_(
        "delta2",
        had(mul(transpose(u.clone()), delta1.clone()), ind),
    );
    let g = |wrt: &Expr| d2(Op::Grad, j.clone(), wrt.clone());
    let budget = Budget::default();
    let good = [
        (g(b2), delta1.clone()),
        (g(u), mul(delta1.clone(), transpose(h.clone()))),
        (g(h), mul(transpose(u.clone()), delta1.clone())),
        (g(b1), delta2.clone()),
        (g(w), mul(delta2.clone(), transpose(x.clone()))),
    ];
    for (l, r) in &good {
        match prove_equal(&b.p, l, r, &budget) {
            ProofOutcome::Proved {
                explanation,
                rules,
                facts,
            } => {
                assert!(!explanation.is_empty());
                assert!(rules.iter().any(|r| r == "sum-one"), "{rules:?}");
                let facts = crate::render::facts::fact_texts(&b.p, &facts);
                assert!(facts.iter().any(|f| f.contains("sum(y) = 1")), "{facts:?}");
            }
            o => panic!("not proved: {} = {}: {o:?}", show(&b.p, l), show(&b.p, r)),
        }
    }
    let bad = [
        (g(u), mul(h.clone(), transpose(delta1.clone()))),
        (g(b1), mul(transpose(u.clone()), delta1.clone())),
        (g(w), mul(x.clone(), transpose(delta2.clone()))),
    ];
    for (l, r) in &bad {
        assert!(matches!(
            prove_equal(&b.p, l, r, &budget),
            ProofOutcome::Unknown { .. }
        ));
    }
}

// Rule soundness on random values: tests/soundness.rs.
mod soundness;

// ---------------------------------------------------------------- on parsed files

const Q3: &str = include_str!("testdata/q3_backprop.grad");
const SOFTMAX: &str = include_str!("testdata/q3_softmax_derivation.grad");

/// (line, step index, expect, outcome) for every equality step of every claim.
fn prove_file(src: &str) -> (Program, Vec<(usize, usize, ir::Expect, ProofOutcome)>) {
    let (_, prog) = crate::load("t.grad", src.as_bytes()).expect("loads");
    let mut out = Vec::new();
    for w in &prog.work {
        if let ir::WorkKind::Claim(c) = &w.kind {
            let mut prev = &c.first;
            for (i, s) in c.steps.iter().enumerate() {
                if s.relation == ir::Relation::Eq {
                    let o = prove_equal(&prog, prev, &s.rhs, &Budget::default());
                    out.push((s.line, i, c.expect, o));
                }
                prev = &s.rhs;
            }
        }
    }
    (prog, out)
}

#[test]
fn q3_file_claims() {
    let (_, res) = prove_file(Q3);
    assert_eq!(res.len(), 8);
    for (line, _, expect, o) in &res {
        let proved = matches!(o, ProofOutcome::Proved { .. });
        assert_eq!(proved, *expect == ir::Expect::Holds, "line {line}: {o:?}");
    }
}

#[test]
fn q3_file_derive_statement() {
    let (_, prog) = crate::load("t.grad", Q3.as_bytes()).unwrap();
    let w = prog.work.iter().find_map(|w| match &w.kind {
        ir::WorkKind::Derive { of: Some(f), items } => Some((f.clone(), items.clone())),
        _ => None,
    });
    let (f, items) = w.expect("a derive statement");
    let wrts: Vec<Expr> = items.iter().map(|i| i.expr.args[1].clone()).collect();
    let bp = crate::lecture::backward_pass(&prog, &f, &wrts, &Default::default()).unwrap();
    let adj: Vec<String> = bp
        .adjoints
        .iter()
        .map(|(n, e)| format!("{n} = {}", show(&prog, e)))
        .collect();
    assert_eq!(adj, ["δ1 = (yhat - y)", "δ2 = ((Uᵀ δ1) ∘ 1{h > 0})"]);
    let res: Vec<String> = bp.results.iter().map(|e| show(&prog, e)).collect();
    assert_eq!(res, ["δ1", "(δ1 hᵀ)", "δ2", "(δ2 xᵀ)"]);
}

#[test]
fn softmax_derivation_file() {
    let (_, res) = prove_file(SOFTMAX);
    // the two component forms, jac(yhat, z) = diag(yhat) − yhat yhatᵀ and the four matrix-form chain steps
    let proved: Vec<usize> = res
        .iter()
        .filter(|r| matches!(r.3, ProofOutcome::Proved { .. }))
        .map(|r| r.0)
        .collect();
    assert_eq!(proved.len(), 7, "{proved:?}");
    assert!(
        res.iter()
            .all(|r| r.2 == ir::Expect::Holds || matches!(r.3, ProofOutcome::Unknown { .. }))
    );
    for (line, step, expect, o) in &res {
        eprintln!(
            "line {line} step {step} {expect:?}: {}",
            match o {
                ProofOutcome::Proved { rules, facts, .. } => format!("proved {rules:?} {facts:?}"),
                ProofOutcome::Unknown { reason } => format!("unknown: {reason}"),
            }
        );
    }
}

/// Every derivative, derive statement and claim of every example file goes
/// through derive, simplify and prove without a panic; a symbolic T is
/// unrolled by substituting values, as the checker does.
#[test]
fn all_example_files_run_through() {
    let files = [
        include_str!("testdata/q1_step_activation.grad"),
        include_str!("testdata/q2_relu_xor.grad"),
        Q3,
        SOFTMAX,
        include_str!("testdata/rnn_bptt.grad"),
    ];
    let budget = Budget {
        time_limit: std::time::Duration::from_millis(100),
        ..Budget::default()
    };
    for src in files {
        let (_, prog) = crate::load("t.grad", src.as_bytes()).expect("loads");
        let symbolic: Vec<usize> = (0..prog.dims.len())
            .filter(|d| prog.dims[*d].value.is_none() && prog.dims[*d].name == "T")
            .collect();
        let variants: Vec<Option<(usize, u64)>> = match symbolic.first() {
            None => vec![None],
            Some(&d) => (1..=3u64).map(|t| Some((d, t))).collect(),
        };
        for w in &prog.work {
            for v in &variants {
                let fix = |e: &Expr| match v {
                    None => e.clone(),
                    Some((d, t)) => crate::ir::unroll::substitute_dim(e, *d, *t),
                };
                match &w.kind {
                    ir::WorkKind::Derive { of, items } => {
                        for it in items {
                            if let Ok(d) =
                                crate::derive::eliminate_derivatives(&prog, &fix(&it.expr))
                            {
                                simplify(&prog, &d, &budget);
                            }
                        }
                        if let Some(f) = of {
                            let wrts: Vec<Expr> =
                                items.iter().map(|i| fix(&i.expr.args[1])).collect();
                            let _ = crate::lecture::backward_pass(
                                &prog,
                                &fix(f),
                                &wrts,
                                &Default::default(),
                            );
                        }
                    }
                    ir::WorkKind::Show(e) => {
                        simplify(&prog, &fix(e), &budget);
                    }
                    ir::WorkKind::Claim(c) => {
                        let mut prev = fix(&c.first);
                        for s in &c.steps {
                            let r = fix(&s.rhs);
                            if s.relation == ir::Relation::Eq {
                                let o = prove_equal(&prog, &prev, &r, &budget);
                                if c.expect == ir::Expect::Refuted {
                                    // a refuted claim's last step must never be proved
                                    if std::ptr::eq(s, c.steps.last().unwrap()) {
                                        assert!(matches!(o, ProofOutcome::Unknown { .. }), "{o:?}");
                                    }
                                }
                            }
                            prev = r;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

const TEXTBOOK: &str = "\
dim n, k\n\
var x: vec[n]\n\
var A: mat[n, n]\n\
var S: mat[n, n] spd\n\
var z: vec[k]\n\
var y: vec[k] onehot\n\
var w: vec[n]\n\
let s = softmax(z)\n\
let h = tanh(A x)\n\
let f = w^T h\n\
derive jac(s, z)\n\
derive grad(f, x)\n\
derive grad(f, A)\n\
derive hess(x^T A x, x)\n\
derive grad(logdet(S), S)\n\
derive grad(det(A), A)\n\
derive grad(norm(x), x)\n\
derive grad(sum(sigmoid(x)), x)\n\
derive grad(logsumexp(z), z)\n\
derive grad(-sum(y .* log(softmax(z))), z)\n\
derive grad(x^T A x, x)\n\
derive grad(tr(A^-1), A)\n\
";

#[test]
fn textbook_gradients_in_lecture_form() {
    let (_, prog) = crate::load("t.grad", TEXTBOOK.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
    let mut got = Vec::new();
    for w in &prog.work {
        if let ir::WorkKind::Derive { items, .. } = &w.kind {
            for it in items {
                let d = crate::derive::differentiate(&prog, &it.expr).unwrap();
                let s = simplify(&prog, &d, &Budget::default());
                got.push(format!("{} = {}", it.text, show(&prog, &s.expr)));
            }
        }
    }
    let want = [
        "jac(s, z) = (Diag(s) - (s sᵀ))",
        "grad(f, x) = (Aᵀ (w ∘ (ones - (h ∘ h))))",
        "grad(f, A) = ((w ∘ (ones - (h ∘ h))) xᵀ)",
        "hess(x^T A x, x) = (A + Aᵀ)",
        "grad(logdet(S), S) = Inv(S)",
        "grad(det(A), A) = (Det(A) Inv(A)ᵀ)",
        "grad(norm(x), x) = Div(x, Norm(x))",
        "grad(sum(sigmoid(x)), x) = (Elem(Sigmoid)(x) ∘ (ones - Elem(Sigmoid)(x)))",
        "grad(logsumexp(z), z) = Softmax(z)",
        "grad(-sum(y .* log(softmax(z))), z) = (Softmax(z) - y)",
        "grad(x^T A x, x) = ((A + Aᵀ) x)",
    ];
    assert_eq!(&got[..want.len()], &want[..]);
}

/// The BPTT closed forms hold for every unrolled T; the slide's version with one
/// factor Uᵀ too many is never proved; the backward pass has one δ per time step.
#[test]
fn rnn_closed_forms_are_proved_for_unrolled_t() {
    let (_, base) =
        crate::load("t.grad", include_str!("testdata/rnn_bptt.grad").as_bytes()).unwrap();
    let d = (0..base.dims.len())
        .find(|d| base.dims[*d].name == "T")
        .unwrap();
    for t in 1..=3u64 {
        let prog = crate::ir::unroll::fix_dim(&base, d, t);
        let mut proved = Vec::new();
        for w in &prog.work {
            match &w.kind {
                ir::WorkKind::Derive { of: Some(f), items } => {
                    let wrts: Vec<Expr> = items.iter().map(|i| i.expr.args[1].clone()).collect();
                    let bp = crate::lecture::backward_pass(&prog, f, &wrts, &Default::default())
                        .unwrap();
                    assert_eq!(bp.adjoints.len(), t as usize);
                    let last = show(&prog, &bp.adjoints[t as usize - 1].1);
                    if t > 1 {
                        assert!(last.starts_with("((Uᵀ δ"), "{last}");
                    }
                }
                ir::WorkKind::Claim(c) if c.steps[0].relation == ir::Relation::Eq => {
                    let o = prove_equal(&prog, &c.first, &c.steps[0].rhs, &Budget::default());
                    proved.push((c.expect, matches!(o, ProofOutcome::Proved { .. })));
                }
                _ => {}
            }
        }
        assert_eq!(
            proved,
            [
                (ir::Expect::Holds, true),
                (ir::Expect::Holds, true),
                (ir::Expect::Refuted, false)
            ],
            "T = {t}"
        );
    }
}

// ---------------------------------------------------------------- one identity per rule
//
// Each rule's intended identity is proved, and for every conditional rule a
// near miss (the same shape of term without the fact) is not.

const DECLS: &str = "\
dim n\n\
var A, B, C: mat[n, n]\n\
var P, Q: mat[n, n] invertible\n\
var S: mat[n, n] symmetric\n\
var x, u, w: vec[n]\n\
var p: vec[n] positive\n\
var y: vec[n] onehot\n\
var z: vec[n]\n\
var s, t: scalar\n\
var r: scalar positive\n\
idx i, j: n\n";

fn identity(claim: &str) -> ProofOutcome {
    let src = format!("{DECLS}claim {claim}\n");
    let (_, prog) =
        crate::load("t.grad", src.as_bytes()).unwrap_or_else(|e| panic!("{claim}: {e:?}"));
    let c = prog
        .work
        .iter()
        .find_map(|w| match &w.kind {
            ir::WorkKind::Claim(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a claim");
    let o = prove_equal(&prog, &c.first, &c.steps[0].rhs, &Budget::default());
    if let ProofOutcome::Unknown { reason } = &o {
        assert!(!reason.contains("internal error"), "{claim}: {reason}");
    }
    o
}

macro_rules! proves {
    ($name:ident, $claim:expr) => {
        #[test]
        fn $name() {
            let o = identity($claim);
            assert!(
                matches!(o, ProofOutcome::Proved { .. }),
                "{}: {o:?}",
                $claim
            );
        }
    };
}

macro_rules! does_not_prove {
    ($name:ident, $claim:expr) => {
        #[test]
        fn $name() {
            let o = identity($claim);
            assert!(
                matches!(o, ProofOutcome::Unknown { .. }),
                "{}: {o:?}",
                $claim
            );
        }
    };
}

mod identities {
    use super::*;

    proves!(add_comm, "A + B = B + A");
    proves!(add_assoc, "(A + B) + C = A + (B + C)");
    proves!(sub_as_add_neg, "A - B = A + (-B)");
    proves!(neg_neg, "-(-A) = A");
    proves!(neg_add, "-(A + B) = -A - B");
    proves!(add_zero, "A + zeros(n, n) = A");
    proves!(add_neg_self, "A - A = zeros(n, n)");
    does_not_prove!(add_neg_self_partial, "inv(A) - inv(A) = zeros(n, n)");
    does_not_prove!(sub_self_partial, "1 / s - 1 / s = 0");
    proves!(add_self, "A + A = 2 A");
    proves!(sub_factor_right, "s - s t = s (1 - t)");
    proves!(sub_factor_left, "s - t s = (1 - t) s");
    proves!(mul_assoc, "(A B) C = A (B C)");
    proves!(mul_distrib_left, "A (B + C) = A B + A C");
    proves!(mul_distrib_right, "(A + B) C = A C + B C");
    does_not_prove!(mul_comm, "A B = B A");
    proves!(mul_neg_left, "(-A) B = -(A B)");
    proves!(mul_neg_right, "A (-B) = -(A B)");
    proves!(mul_eye_left, "eye(n) A = A");
    proves!(mul_eye_right, "A eye(n) = A");
    proves!(mul_scalar_comm, "s t = t s");
    proves!(mul_scalar_row, "s x^T = (s x)^T");
    proves!(mul_one, "1 * s = s");
    proves!(mul_one_right, "s * 1 = s");
    proves!(scale_one, "1 A = A");
    proves!(scale_minus_one, "-1 A = -A");
    proves!(scale_zero, "0 A = zeros(n, n)");
    does_not_prove!(scale_zero_partial, "0 inv(A) = zeros(n, n)");
    does_not_prove!(scale_zero_division, "0 (x ./ u) = zeros(n, 1)");
    does_not_prove!(scale_zero_undefined, "0 * (1 / 0) = 0");
    proves!(scale_scale, "s (t A) = (s t) A");
    proves!(scale_add, "s (A + B) = s A + s B");
    proves!(scale_mul_left, "(s A) B = s (A B)");
    proves!(scale_mul_right, "A (s B) = s (A B)");
    proves!(scale_had, "(s x) .* u = s (x .* u)");
    proves!(tr_tr, "(A^T)^T = A");
    proves!(tr_mul, "(A B)^T = B^T A^T");
    does_not_prove!(tr_mul_unreversed, "(A B)^T = A^T B^T");
    proves!(tr_add, "(A + B)^T = A^T + B^T");
    proves!(tr_sub, "(A - B)^T = A^T - B^T");
    proves!(tr_neg, "(-A)^T = -(A^T)");
    proves!(tr_scale, "(s A)^T = s A^T");
    proves!(tr_had, "(A .* B)^T = A^T .* B^T");
    proves!(tr_scalar, "(x^T u)^T = x^T u");
    proves!(tr_symmetric, "S^T = S");
    does_not_prove!(tr_not_symmetric, "A^T = A");
    proves!(tr_inv, "inv(A)^T = inv(A^T)");
    proves!(inv_inv, "inv(inv(P)) = P");
    does_not_prove!(inv_inv_plain, "inv(inv(A)) = A");
    proves!(inv_mul_self, "inv(P) P = eye(n)");
    proves!(inv_mul_self_product, "inv(P Q) (P Q) = eye(n)");
    proves!(inv_mul_self_diag, "inv(diag(p)) diag(p) = eye(n)");
    does_not_prove!(inv_mul_self_plain, "inv(A) A = eye(n)");
    does_not_prove!(inv_mul_self_rank_one, "inv(x u^T) (x u^T) = eye(n)");
    does_not_prove!(inv_mul_self_diag_plain, "inv(diag(x)) diag(x) = eye(n)");
    does_not_prove!(inv_mul_self_sum, "inv(P + Q) (P + Q) = eye(n)");
    proves!(mul_inv_self, "P inv(P) = eye(n)");
    does_not_prove!(mul_inv_self_plain, "A inv(A) = eye(n)");
    proves!(had_comm, "x .* u = u .* x");
    proves!(had_assoc, "(x .* u) .* w = x .* (u .* w)");
    proves!(had_distrib, "x .* (u + w) = x .* u + x .* w");
    proves!(had_neg, "(-x) .* u = -(x .* u)");
    proves!(had_ones, "x .* ones(n) = x");
    proves!(had_onehot_self, "y .* y = y");
    does_not_prove!(had_self_plain, "x .* x = x");
    proves!(had_scalar, "s .* t = s t");
    proves!(had_cancel, "p .* (x ./ p) = x");
    does_not_prove!(had_cancel_plain, "u .* (x ./ u) = x");
    proves!(haddiv_cancel, "(x .* p) ./ p = x");
    does_not_prove!(haddiv_cancel_plain, "(x .* u) ./ u = x");
    proves!(haddiv_self, "p ./ p = ones(n)");
    does_not_prove!(haddiv_self_plain, "x ./ x = ones(n)");
    proves!(haddiv_neg, "(-x) ./ p = -(x ./ p)");
    proves!(div_self, "r / r = 1");
    does_not_prove!(div_self_plain, "s / s = 1");
    does_not_prove!(div_self_zero, "(s - s) / (s - s) = 1");
    proves!(div_one, "s / 1 = s");
    proves!(div_cancel, "r (s / r) = s");
    does_not_prove!(div_cancel_plain, "t (s / t) = s");
    proves!(div_cancel_mul, "(s r) / r = s");
    does_not_prove!(div_cancel_mul_plain, "(s t) / t = s");
    proves!(div_neg, "(-s) / t = -(s / t)");
    proves!(sum_add, "sum(x + u) = sum(x) + sum(u)");
    proves!(sum_scalar_and_vector, "sum(s) + sum(x) = s + sum(x)");
    proves!(sum_neg, "sum(-x) = -sum(x)");
    proves!(sum_scale, "sum(s x) = s sum(x)");
    proves!(sum_scalar, "sum(s) = s");
    proves!(sum_one_onehot, "sum(y) = 1");
    proves!(sum_one_softmax, "sum(softmax(z)) = 1");
    does_not_prove!(sum_one_plain, "sum(x) = 1");
    does_not_prove!(sum_one_partial, "sum(softmax(log(x))) = 1");
    proves!(inner_as_sum, "x^T u = sum(x .* u)");
    proves!(diag_mul_vec, "diag(x) u = x .* u");
    proves!(
        relu_indicator,
        "1{relu(x) > zeros(n, 1)} = 1{x > zeros(n, 1)}"
    );
    proves!(log_exp, "log(exp(s)) = s");
    proves!(exp_log, "exp(log(r)) = r");
    does_not_prove!(exp_log_plain, "exp(log(s)) = s");
    does_not_prove!(sqrt_square, "sqrt(s^2) = s");
    does_not_prove!(log_product, "log(s t) = log(s) + log(t)");
    proves!(at_add, "(x + u)[i] = x[i] + u[i]");
    proves!(at_sub, "(x - u)[i] = x[i] - u[i]");
    proves!(at_neg, "(-x)[i] = -x[i]");
    proves!(at_scale, "(s x)[i] = s x[i]");
    proves!(at_had, "(x .* u)[i] = x[i] u[i]");
    proves!(at_haddiv, "(x ./ p)[i] = x[i] / p[i]");
    proves!(at_ones, "ones(n)[i] = 1");
    proves!(at_add_2, "(A + B)[i, j] = A[i, j] + B[i, j]");
    proves!(at_sub_2, "(A - B)[i, j] = A[i, j] - B[i, j]");
    proves!(at_neg_2, "(-A)[i, j] = -A[i, j]");
    proves!(at_scale_2, "(s A)[i, j] = s A[i, j]");
    proves!(at_had_2, "(A .* B)[i, j] = A[i, j] B[i, j]");
    proves!(at_transpose, "(A^T)[i, j] = A[j, i]");
    proves!(at_diag, "diag(x)[i, j] = x[i] delta(i, j)");
    proves!(at_outer, "(x u^T)[i, j] = x[i] u[j]");
    proves!(at_eye, "eye(n)[i, j] = delta(i, j)");
    proves!(delta_self, "delta(i, i) = 1");
    proves!(delta_comm, "delta(i, j) = delta(j, i)");
    proves!(mul_neg_factor, "-(A B) = A (-B)");
}
