use super::*;
use crate::derive::testkit::*;
use crate::derive::{differentiate, had, mul, sub, transpose};
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
                assert!(facts.iter().any(|f| f.contains("sum = 1")), "{facts:?}");
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
