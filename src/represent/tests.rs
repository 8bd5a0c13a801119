use super::*;
use crate::ir::{Activation, Assumption, CmpOp, LetDecl, LocalDecl, LocalKind, VarDecl};

const X: VarId = 0;
const A: VarId = 1;
const B: VarId = 2;
const C: VarId = 3;

fn sp() -> Span {
    Span::default()
}
fn node(op: Op, args: Vec<Expr>) -> Expr {
    Expr::new(op, args, Shape::SCALAR, sp())
}
fn num(n: i64) -> Expr {
    node(Op::Num(Q::from_integer(n.into())), vec![])
}
fn var(v: VarId) -> Expr {
    node(Op::Var(v), vec![])
}
fn add(a: Expr, b: Expr) -> Expr {
    node(Op::Add, vec![a, b])
}
fn sub(a: Expr, b: Expr) -> Expr {
    node(Op::Sub, vec![a, b])
}
fn mul(a: Expr, b: Expr) -> Expr {
    node(Op::Mul, vec![a, b])
}
fn neg(a: Expr) -> Expr {
    node(Op::Neg, vec![a])
}
fn pow(a: Expr, n: i64) -> Expr {
    node(Op::Pow, vec![a, num(n)])
}
fn elem(f: ElemFn, a: Expr) -> Expr {
    node(Op::Elem(f), vec![a])
}
fn ind(op: CmpOp, a: Expr, b: Expr) -> Expr {
    node(Op::Indicator(op), vec![a, b])
}
fn max(a: Expr, b: Expr) -> Expr {
    node(Op::Max, vec![a, b])
}

/// `var x: scalar`, `var a, b, c: scalar`, `let f(u: scalar) = (-c) step(u - b) + c step(u - a)`,
/// and the given assumes.
fn program(assumes: &[(VarId, CmpOp, VarId)]) -> Program {
    let mut p = Program::default();
    for n in ["x", "a", "b", "c"] {
        p.vars.push(VarDecl {
            name: n.to_string(),
            shape: Shape::SCALAR,
            attrs: vec![],
            span: sp(),
        });
    }
    p.locals.push(LocalDecl {
        name: "u".to_string(),
        kind: LocalKind::Param(Shape::SCALAR),
        span: sp(),
    });
    let u = || node(Op::Local(0), vec![]);
    let body = add(
        mul(neg(var(C)), elem(ElemFn::Step, sub(u(), var(B)))),
        mul(var(C), elem(ElemFn::Step, sub(u(), var(A)))),
    );
    p.lets.push(LetDecl {
        name: "f".to_string(),
        params: vec![0],
        is_function: true,
        body,
        span: sp(),
    });
    for (l, op, r) in assumes {
        p.assumes.push(Assumption {
            lhs: var(*l),
            op: *op,
            rhs: var(*r),
            span: sp(),
        });
    }
    p
}

fn f_of_x() -> Expr {
    node(Op::CallLet(0), vec![var(X)])
}

/// `3 x + 1`
fn linear() -> Expr {
    add(mul(num(3), var(X)), num(1))
}
/// `max(1 - x, 0)`
fn hinge() -> Expr {
    max(sub(num(1), var(X)), num(0))
}
/// `2 x^2 - x + 1`
fn quadratic() -> Expr {
    add(sub(mul(num(2), pow(var(X), 2)), var(X)), num(1))
}
/// `1{0 <= x} 1{x < 2} - 3 1{x >= 5}`
fn staircase() -> Expr {
    sub(
        mul(
            ind(CmpOp::Le, num(0), var(X)),
            ind(CmpOp::Lt, var(X), num(2)),
        ),
        mul(num(3), ind(CmpOp::Ge, var(X), num(5))),
    )
}

fn not_repr(r: Representation) -> String {
    match r {
        Representation::NotRepresentable { reason } => reason,
        other => panic!("expected not representable, got {other:?}"),
    }
}

fn repr(r: Representation) -> (String, String) {
    match r {
        Representation::Representable { network, detail } => (render_network(&network), detail),
        other => panic!("expected representable, got {other:?}"),
    }
}

#[test]
fn linear_is_not_a_step_network() {
    let p = program(&[]);
    assert_eq!(
        not_repr(represent(&p, &linear(), X, Activation::Step)),
        "target has slope 3 on (-inf, inf) but every step network is piecewise constant"
    );
}

#[test]
fn hinge_is_not_a_step_network() {
    let p = program(&[]);
    assert_eq!(
        not_repr(represent(&p, &hinge(), X, Activation::Step)),
        "target has slope -1 on (-inf, 1) but every step network is piecewise constant"
    );
}

#[test]
fn quadratic_is_not_piecewise_linear() {
    let p = program(&[]);
    assert_eq!(
        not_repr(represent(&p, &quadratic(), X, Activation::Step)),
        "target has degree 2 on (-inf, inf) but every step network is piecewise constant"
    );
    assert_eq!(
        not_repr(represent(&p, &quadratic(), X, Activation::Relu)),
        "target has degree 2 on (-inf, inf) but every relu network is piecewise linear"
    );
}

#[test]
fn staircase_is_a_step_network() {
    let p = program(&[]);
    let (net, detail) = repr(represent(&p, &staircase(), X, Activation::Step));
    assert_eq!(
        net,
        "f(x) = 1·g(x) − 1·g(x − 2) − 3·g(x − 5)  [w0 = 0; w = (1, −1, −3); b = (0, −2, −5); v = (1, 1, 1)]"
    );
    assert_eq!(
        detail,
        "network proved equal to the target on all 4 pieces and 3 breakpoints"
    );
}

#[test]
fn linear_and_hinge_are_relu_networks() {
    let p = program(&[]);
    let (net, detail) = repr(represent(&p, &linear(), X, Activation::Relu));
    assert_eq!(
        net,
        "f(x) = 1 − 3·g(−x) + 3·g(x)  [w0 = 1; w = (−3, 3); b = (0, 0); v = (−1, 1)]"
    );
    assert_eq!(
        detail,
        "network proved equal to the target on all 2 pieces and 1 breakpoint"
    );
    let (net, detail) = repr(represent(&p, &hinge(), X, Activation::Relu));
    assert_eq!(
        net,
        "f(x) = 1·g(1 − x)  [w0 = 0; w = (1); b = (1); v = (−1)]"
    );
    assert_eq!(
        detail,
        "network proved equal to the target on all 2 pieces and 1 breakpoint"
    );
}

#[test]
fn relu_networks_are_continuous() {
    let p = program(&[]);
    let jump = ind(CmpOp::Ge, var(X), num(2));
    assert_eq!(
        not_repr(represent(&p, &jump, X, Activation::Relu)),
        "target jumps at x = 2 (from 0 to 1) but every relu network is continuous"
    );
    // 1 only at x = 0: a step network isolates the point, a relu network cannot.
    let spike = mul(
        ind(CmpOp::Le, var(X), num(0)),
        ind(CmpOp::Ge, var(X), num(0)),
    );
    assert_eq!(
        not_repr(represent(&p, &spike, X, Activation::Relu)),
        "target has the value 1 at x = 0 but tends to 0 on both sides, and every relu network is continuous"
    );
    let (net, _) = repr(represent(&p, &spike, X, Activation::Step));
    assert_eq!(
        net,
        "f(x) = −1 + 1·g(x) + 1·g(−x)  [w0 = −1; w = (1, 1); b = (0, 0); v = (1, −1)]"
    );
}

#[test]
fn piecewise_linear_with_several_kinks_is_a_relu_network() {
    // |x - 1| + 2 relu(x - 3) - x/2: slopes -3/2, 1/2, 5/2
    let p = program(&[]);
    let half = node(Op::Div, vec![var(X), num(2)]);
    let t = sub(
        add(
            elem(ElemFn::Abs, sub(var(X), num(1))),
            mul(num(2), elem(ElemFn::Relu, sub(var(X), num(3)))),
        ),
        half,
    );
    let (net, detail) = repr(represent(&p, &t, X, Activation::Relu));
    assert_eq!(
        net,
        "f(x) = −1/2 + (3/2)·g(1 − x) + (1/2)·g(x − 1) + 2·g(x − 3)  [w0 = −1/2; w = (3/2, 1/2, 2); b = (1, −1, −3); v = (−1, 1, 1)]"
    );
    assert_eq!(
        detail,
        "network proved equal to the target on all 3 pieces and 2 breakpoints"
    );
}

#[test]
fn lecture_construction_holds_everywhere() {
    let p = program(&[(A, CmpOp::Lt, B)]);
    let rhs = mul(
        mul(var(C), ind(CmpOp::Le, var(A), var(X))),
        ind(CmpOp::Lt, var(X), var(B)),
    );
    assert_eq!(claim_variable(&p, &f_of_x(), &rhs), Some(X));
    match decide_equal(&p, &f_of_x(), &rhs, X) {
        Decision::Holds { detail } => assert_eq!(
            detail,
            "both sides are equal on all 3 pieces and 2 breakpoints, case a < b (exact piecewise-polynomial comparison in x)"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn closed_interval_variant_fails_at_b() {
    let p = program(&[(A, CmpOp::Lt, B)]);
    let rhs = mul(
        mul(var(C), ind(CmpOp::Le, var(A), var(X))),
        ind(CmpOp::Le, var(X), var(B)),
    );
    match decide_equal(&p, &f_of_x(), &rhs, X) {
        Decision::Fails { at, lhs, rhs } => {
            assert_eq!(at, "x = b, with a = -1, b = 0, c = 1 (case a < b)");
            assert_eq!((lhs.as_str(), rhs.as_str()), ("0", "1"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn order_without_assume_is_unknown() {
    let p = program(&[]);
    let rhs = mul(
        mul(var(C), ind(CmpOp::Le, var(A), var(X))),
        ind(CmpOp::Lt, var(X), var(B)),
    );
    match decide_equal(&p, &f_of_x(), &rhs, X) {
        Decision::Unknown { reason } => {
            assert_eq!(reason, "the order of a and b is not fixed by any assume")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn chained_assumes_order_breakpoints() {
    // a < b and b < c give a < c: step(x - a) - step(x - c) = 1{a <= x} 1{x < c}
    let p = program(&[(A, CmpOp::Lt, B), (C, CmpOp::Gt, B)]);
    let lhs = sub(
        elem(ElemFn::Step, sub(var(X), var(A))),
        elem(ElemFn::Step, sub(var(X), var(C))),
    );
    let rhs = mul(
        ind(CmpOp::Le, var(A), var(X)),
        ind(CmpOp::Lt, var(X), var(C)),
    );
    assert!(matches!(
        decide_equal(&p, &lhs, &rhs, X),
        Decision::Holds { .. }
    ));
}

#[test]
fn value_at_a_kink_decides() {
    let p = program(&[]);
    let lhs = elem(ElemFn::Step, var(X));
    let rhs = ind(CmpOp::Gt, var(X), num(0));
    assert_eq!(
        decide_equal(&p, &lhs, &rhs, X),
        Decision::Fails {
            at: "x = 0".to_string(),
            lhs: "1".to_string(),
            rhs: "0".to_string()
        }
    );
    // A difference on a piece is reported at a point inside it.
    let lhs = elem(ElemFn::Relu, sub(var(X), num(1)));
    let rhs = elem(ElemFn::Relu, var(X));
    assert_eq!(
        decide_equal(&p, &lhs, &rhs, X),
        Decision::Fails {
            at: "x = 1/2".to_string(),
            lhs: "0".to_string(),
            rhs: "1/2".to_string()
        }
    );
}

#[test]
fn identities_of_kinked_functions_hold() {
    let p = program(&[]);
    let abs = elem(ElemFn::Abs, var(X));
    let relus = add(elem(ElemFn::Relu, var(X)), elem(ElemFn::Relu, neg(var(X))));
    assert!(matches!(
        decide_equal(&p, &abs, &relus, X),
        Decision::Holds { .. }
    ));
    let mx = max(var(X), neg(var(X)));
    assert!(matches!(
        decide_equal(&p, &abs, &mx, X),
        Decision::Holds { .. }
    ));
    // x = relu(x) - relu(-x)
    let x = sub(elem(ElemFn::Relu, var(X)), elem(ElemFn::Relu, neg(var(X))));
    assert!(matches!(
        decide_equal(&p, &var(X), &x, X),
        Decision::Holds { .. }
    ));
}

#[test]
fn outside_the_fragment_is_unknown() {
    let p = program(&[]);
    let e = elem(ElemFn::Exp, var(X));
    match represent(&p, &e, X, Activation::Relu) {
        Representation::Unknown { reason } => {
            assert_eq!(
                reason,
                "exp(…) is outside the piecewise-polynomial fragment"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decide_equal(&p, &e, &var(X), X),
        Decision::Unknown { .. }
    ));
    assert_eq!(claim_variable(&p, &e, &var(X)), None);
    // A kink of a quadratic argument is outside too.
    let e = elem(ElemFn::Step, pow(var(X), 2));
    assert!(matches!(
        represent(&p, &e, X, Activation::Step),
        Representation::Unknown { .. }
    ));
}

#[test]
fn target_with_parameters_is_unknown() {
    let p = program(&[]);
    let e = mul(var(C), var(X));
    match represent(&p, &e, X, Activation::Relu) {
        Representation::Unknown { reason } => {
            assert_eq!(reason, "the target depends on c as well as x")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn claim_variable_needs_a_kink() {
    let p = program(&[]);
    assert_eq!(claim_variable(&p, &linear(), &var(X)), None);
    assert_eq!(claim_variable(&p, &hinge(), &num(0)), Some(X));
}

#[test]
fn plain_lets_are_inlined() {
    // let z = relu(x - 1); represent z + z with relu
    let mut p = program(&[]);
    p.lets.push(LetDecl {
        name: "z".to_string(),
        params: vec![],
        is_function: false,
        body: elem(ElemFn::Relu, sub(var(X), num(1))),
        span: sp(),
    });
    let z = || node(Op::Let(1), vec![]);
    let (net, _) = repr(represent(&p, &add(z(), z()), X, Activation::Relu));
    assert_eq!(
        net,
        "f(x) = 2·g(x − 1)  [w0 = 0; w = (2); b = (−1); v = (1)]"
    );
}

#[test]
fn parameters_only_in_pieces_get_values() {
    // c step(x) = step(x) fails for c != 1; a and b (assumed a < b) are not shown.
    let p = program(&[(A, CmpOp::Lt, B)]);
    let lhs = mul(var(C), elem(ElemFn::Step, var(X)));
    let rhs = elem(ElemFn::Step, var(X));
    assert_eq!(
        decide_equal(&p, &lhs, &rhs, X),
        Decision::Fails {
            at: "x = 0, with c = 0".to_string(),
            lhs: "0".to_string(),
            rhs: "1".to_string()
        }
    );
    let rhs = mul(elem(ElemFn::Step, var(X)), var(C));
    assert!(matches!(
        decide_equal(&p, &lhs, &rhs, X),
        Decision::Holds { .. }
    ));
}

#[test]
fn kink_sign_of_a_parameter_needs_an_assume() {
    let p = program(&[]);
    let e = elem(ElemFn::Relu, var(C));
    match decide_equal(&p, &e, &var(C), X) {
        Decision::Unknown { reason } => {
            assert_eq!(reason, "the sign of c is not fixed by any assume")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_nesting_is_unknown_not_a_crash() {
    let p = program(&[]);
    let mut e = var(X);
    for _ in 0..1000 {
        e = neg(e);
    }
    assert!(matches!(
        represent(&p, &e, X, Activation::Relu),
        Representation::Unknown { .. }
    ));
    assert_eq!(claim_variable(&p, &e, &e), None);
}

#[test]
fn claim_variable_is_the_one_in_every_kink() {
    // Without `assume a < b`, x is still the only variable in every kink argument.
    let p = program(&[]);
    let rhs = mul(
        mul(var(C), ind(CmpOp::Le, var(A), var(X))),
        ind(CmpOp::Lt, var(X), var(B)),
    );
    assert_eq!(claim_variable(&p, &f_of_x(), &rhs), Some(X));
    // step(a) step(x - b): no variable in every kink, and none is assumed.
    let e = mul(
        elem(ElemFn::Step, var(A)),
        elem(ElemFn::Step, sub(var(X), var(B))),
    );
    assert_eq!(claim_variable(&p, &e, &num(0)), None);
    // With `assume a < b` the parameters are known and x is left.
    let p = program(&[(A, CmpOp::Lt, B)]);
    assert_eq!(claim_variable(&p, &e, &num(0)), Some(X));
}

#[test]
fn assumed_signs_decide_kinks_of_parameters() {
    let mut p = program(&[]);
    p.assumes.push(Assumption {
        lhs: var(C),
        op: CmpOp::Gt,
        rhs: num(0),
        span: sp(),
    });
    let lhs = mul(elem(ElemFn::Relu, var(C)), elem(ElemFn::Step, var(X)));
    let rhs = mul(var(C), elem(ElemFn::Step, var(X)));
    assert!(matches!(
        decide_equal(&p, &lhs, &rhs, X),
        Decision::Holds { .. }
    ));
    // a <= b leaves a = b open, so the breakpoints' order is not fixed.
    let p = program(&[(A, CmpOp::Le, B)]);
    let lhs = sub(
        elem(ElemFn::Step, sub(var(X), var(A))),
        elem(ElemFn::Step, sub(var(X), var(B))),
    );
    assert!(matches!(
        decide_equal(&p, &lhs, &num(0), X),
        Decision::Unknown { .. }
    ));
}

#[test]
fn classification_of_each_kind() {
    let p = program(&[]);
    let class = |e: &Expr| classify(&p, e, X).unwrap();
    assert_eq!(
        class(&staircase()),
        (
            Class::PiecewiseConstant,
            "constant on each of 4 pieces; jumps at x = 0 (from 0 to 1)".to_string()
        )
    );
    assert_eq!(
        class(&hinge()),
        (
            Class::ContinuousPiecewiseLinear,
            "slope -1 on (-inf, 1)".to_string()
        )
    );
    // x 1{x < 2}: slope 1 then a drop from 2 to 0
    let e = mul(var(X), ind(CmpOp::Lt, var(X), num(2)));
    assert_eq!(
        class(&e),
        (
            Class::PiecewiseLinearWithJumps,
            "slope 1 on (-inf, 2); jumps at x = 2 (from 2 to 0)".to_string()
        )
    );
    assert_eq!(
        class(&quadratic()),
        (
            Class::NotPiecewiseLinear,
            "degree 2 on (-inf, inf)".to_string()
        )
    );
    assert_eq!(
        not_repr(represent(&p, &e, X, Activation::Relu)),
        "target jumps at x = 2 (from 2 to 0) but every relu network is continuous"
    );
}
