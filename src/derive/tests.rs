use super::testkit::*;
use super::*;
use crate::ir::build::*;
use crate::ir::unroll::substitute_dim;
use crate::lecture::BackwardPass;

/// The lecture-form pass with the default budget.
fn backward_pass(prog: &Program, f: &Expr, wrts: &[Expr]) -> Result<BackwardPass, DeriveError> {
    crate::lecture::backward_pass(prog, f, wrts, &Default::default())
}
use crate::ir::{Attr, CmpOp, Dim, ElemFn, FunKind, LocalKind, SeqDecl, SeqPiece};

/// grad(f, v) from `differentiate` agrees with central differences at random points.
fn check_grad(b: &B, f: &Expr, v: &Expr, seeds: u64) {
    let Op::Var(vid) = v.op else { panic!() };
    let d = differentiate(&b.p, &d2(Op::Grad, f.clone(), v.clone())).expect("differentiates");
    assert!(!d.any(&|x| matches!(x.op, Op::Grad | Op::Jac | Op::Hess | Op::D)));
    assert_eq!(d.shape, v.shape);
    for s in 1..=seeds {
        let env = sample(&b.p, &mut Rng(0x9e3779b97f4a7c15 ^ s));
        let got = eval(&b.p, &d, &env);
        let want = fd_grad(&b.p, f, vid, &env);
        assert!(
            close(&got, &want, 1e-4),
            "grad mismatch\n got {got}\nwant {want}\n{d:?}"
        );
    }
}

fn check_jac(b: &B, f: &Expr, v: &Expr) {
    let Op::Var(vid) = v.op else { panic!() };
    let d = differentiate(&b.p, &d2(Op::Jac, f.clone(), v.clone())).expect("differentiates");
    for s in 1..=3 {
        let env = sample(&b.p, &mut Rng(0x1234567 ^ s));
        let got = eval(&b.p, &d, &env);
        let want = fd_jac(&b.p, f, vid, &env);
        assert!(
            close(&got, &want, 1e-4),
            "jac mismatch\n got {got}\nwant {want}"
        );
    }
}

fn setup() -> (B, Dim, Dim) {
    let mut b = B::default();
    let n = b.dim("n", 3);
    let m = b.dim("m", 2);
    (b, n, m)
}

#[test]
fn elementwise_functions_match_finite_differences() {
    let (mut b, n, _) = setup();
    let x = b.var("x", Shape::vector(n), vec![]);
    let w = b.var("w", Shape::vector(n), vec![]);
    let p = b.var("p", Shape::vector(n), vec![Attr::Positive]);
    for f in [
        ElemFn::Relu,
        ElemFn::Sigmoid,
        ElemFn::Tanh,
        ElemFn::Exp,
        ElemFn::Abs,
        ElemFn::Step,
    ] {
        let e = mul(transpose(w.clone()), ef(f, x.clone()));
        check_grad(&b, &e, &x, 3);
    }
    for f in [ElemFn::Log, ElemFn::Sqrt] {
        let e = mul(transpose(w.clone()), ef(f, p.clone()));
        check_grad(&b, &e, &p, 3);
    }
    for f in [ElemFn::Sigmoid, ElemFn::Tanh, ElemFn::Exp] {
        let e = mul(transpose(w.clone()), op1(Op::ElemPrime(f), x.clone()));
        check_grad(&b, &e, &x, 2);
    }
}

#[test]
fn arithmetic_matches_finite_differences() {
    let (mut b, n, m) = setup();
    let a = b.var("A", Shape::new(m, n), vec![]);
    let x = b.var("x", Shape::vector(n), vec![]);
    let y = b.var("y", Shape::vector(n), vec![]);
    let p = b.var("p", Shape::vector(n), vec![Attr::Positive]);
    let s = b.var("s", Shape::SCALAR, vec![]);
    let sp = b.var("t", Shape::SCALAR, vec![Attr::Positive]);
    let ax = mul(a.clone(), x.clone());
    let f1 = mul(transpose(ax.clone()), ax.clone());
    check_grad(&b, &f1, &a, 2);
    check_grad(&b, &f1, &x, 2);
    let f2 = sum_all(haddiv(had(x.clone(), y.clone()), p.clone()));
    check_grad(&b, &f2, &x, 2);
    check_grad(&b, &f2, &p, 2);
    let f3 = sum_all(div(scale(s.clone(), x.clone()), sp.clone()));
    check_grad(&b, &f3, &s, 2);
    check_grad(&b, &f3, &sp, 2);
    let f4 = op2(Op::Pow, sp.clone(), s.clone());
    check_grad(&b, &f4, &sp, 2);
    check_grad(&b, &f4, &s, 2);
    let f5 = sum_all(op2(Op::ElemPow, p.clone(), sp.clone()));
    check_grad(&b, &f5, &p, 2);
    check_grad(&b, &f5, &sp, 2);
    let f6 = sub(
        neg(sum_all(x.clone())),
        mul(transpose(y.clone()), x.clone()),
    );
    check_grad(&b, &f6, &x, 2);
    let f7 = sum_all(op2(Op::Max, x.clone(), y.clone()));
    check_grad(&b, &f7, &x, 2);
    check_grad(&b, &f7, &y, 2);
    let f8 = sum_all(op2(Op::Min, x.clone(), y.clone()));
    check_grad(&b, &f8, &y, 2);
}

#[test]
fn matrix_functions_match_finite_differences() {
    let (mut b, n, _) = setup();
    let a = b.var("A", Shape::new(n, n), vec![Attr::Invertible]);
    let s = b.var("S", Shape::new(n, n), vec![Attr::Spd]);
    let x = b.var("x", Shape::vector(n), vec![]);
    let w = b.var("w", Shape::vector(n), vec![]);
    check_grad(&b, &op1(Op::Tr, mul(a.clone(), a.clone())), &a, 2);
    check_grad(&b, &op1(Op::Det, a.clone()), &a, 2);
    check_grad(&b, &op1(Op::LogDet, s.clone()), &s, 2);
    let quad = mul(
        mul(transpose(x.clone()), op1(Op::Inv, a.clone())),
        w.clone(),
    );
    check_grad(&b, &quad, &a, 2);
    check_grad(&b, &quad, &x, 2);
    let mp = mul(
        mul(transpose(x.clone()), op1(Op::MatPow(3), a.clone())),
        w.clone(),
    );
    check_grad(&b, &mp, &a, 2);
    check_grad(&b, &op1(Op::Norm, x.clone()), &x, 2);
    check_grad(&b, &op1(Op::Norm, a.clone()), &a, 2);
    let dg = mul(
        mul(transpose(w.clone()), op1(Op::Diag, x.clone())),
        w.clone(),
    );
    check_grad(&b, &dg, &x, 2);
    check_grad(&b, &op1(Op::LogSumExp, x.clone()), &x, 2);
    let sm = mul(transpose(w.clone()), op1(Op::Softmax, x.clone()));
    check_grad(&b, &sm, &x, 2);
    let lit = Expr::new(
        Op::Literal { rows: 2, cols: 1 },
        vec![op1(Op::Sum, x.clone()), op1(Op::Norm, x.clone())],
        Shape::vector(Dim::Const(2)),
        SP,
    );
    check_grad(&b, &op1(Op::Sum, had(lit.clone(), lit)), &x, 2);
    let comp = Expr::new(
        Op::Component,
        vec![x.clone(), num(2, SP)],
        Shape::SCALAR,
        SP,
    );
    check_grad(&b, &mul(comp.clone(), op1(Op::Sum, x.clone())), &x, 2);
}

/// Question 3 by hand: the network, its loss, and the lecture's gradients.
pub(crate) fn q3() -> (B, Vec<Expr>) {
    let mut b = B::default();
    let n = b.dim("n", 4);
    let m = b.dim("m", 3);
    let k = b.dim("k", 3);
    let x = b.var("x", Shape::vector(n), vec![]);
    let w = b.var("W", Shape::new(m, n), vec![]);
    let b1 = b.var("b1", Shape::vector(m), vec![]);
    let u = b.var("U", Shape::new(k, m), vec![]);
    let b2 = b.var("b2", Shape::vector(k), vec![]);
    let y = b.var("y", Shape::vector(k), vec![Attr::Onehot]);
    let z1 = b.let_("z1", add(mul(w.clone(), x.clone()), b1.clone()));
    let h = b.let_("h", ef(ElemFn::Relu, z1));
    let z2 = b.let_("z2", add(mul(u.clone(), h.clone()), b2.clone()));
    let yhat = b.let_("yhat", op1(Op::Softmax, z2));
    let j = b.let_(
        "J",
        neg(op1(Op::Sum, had(y.clone(), ef(ElemFn::Log, yhat.clone())))),
    );
    (b, vec![j, b2, u, b1, w, h, yhat, y, x])
}

#[test]
fn q3_gradients_match_finite_differences() {
    let (b, v) = q3();
    for wrt in &v[1..5] {
        check_grad(&b, &v[0], wrt, 3);
    }
}

#[test]
fn q3_gradient_keeps_let_names_and_log_softmax_form() {
    let (b, v) = q3();
    let d = differentiate(&b.p, &d2(Op::Grad, v[0].clone(), v[1].clone())).unwrap();
    // −y − yhat sum(−y): the log-softmax form, no division by yhat.
    assert!(!d.any(&|e| e.op == Op::HadDiv));
    assert!(d.any(&|e| e.op == Op::Let(3)));
    let dw = differentiate(&b.p, &d2(Op::Grad, v[0].clone(), v[4].clone())).unwrap();
    // 1{h > 0}, written with the let name h
    assert!(dw.any(&|e| matches!(e.op, Op::Indicator(CmpOp::Gt)) && e.args[0].op == Op::Let(1)));
    // grad w.r.t. the let h: h is the variable, upstream fixed
    let dh = differentiate(&b.p, &d2(Op::Grad, v[0].clone(), v[5].clone())).unwrap();
    assert_eq!(dh.shape, v[5].shape);
    assert!(!dh.any(&|e| e.op == Op::Var(1)));
}

#[test]
fn jacobian_of_softmax_and_a_layer() {
    let (mut b, n, m) = setup();
    let z = b.var("z", Shape::vector(n), vec![]);
    let a = b.var("A", Shape::new(m, n), vec![]);
    let s = b.let_("s", op1(Op::Softmax, z.clone()));
    check_jac(&b, &s, &z);
    let layer = ef(ElemFn::Tanh, mul(a.clone(), ef(ElemFn::Sigmoid, z.clone())));
    check_jac(&b, &layer, &z);
    let prod = had(
        z.clone(),
        haddiv(
            ef(ElemFn::Exp, z.clone()),
            add(ones(z.shape, SP), ef(ElemFn::Exp, z.clone())),
        ),
    );
    check_jac(&b, &prod, &z);
    // through row vectors: tanh((zᵀ B)ᵀ) ∘ (sum(zᵀ) zᵀ)ᵀ
    let bm = b.var("B", Shape::new(n, n), vec![]);
    let zt = transpose(z.clone());
    let row = mul(zt.clone(), bm);
    let f = had(
        ef(ElemFn::Tanh, transpose(row)),
        transpose(scale(op1(Op::Sum, zt.clone()), ef(ElemFn::Sigmoid, zt))),
    );
    check_jac(&b, &f, &z);
    // jac(s, z) is written with the let name: diag(s) − s sᵀ
    let j = differentiate(&b.p, &d2(Op::Jac, s.clone(), z.clone())).unwrap();
    assert_eq!(j.op, Op::Sub);
    assert_eq!(j.args[0].op, Op::Diag);
}

#[test]
fn hessian_and_scalar_derivative() {
    let (mut b, n, _) = setup();
    let x = b.var("x", Shape::vector(n), vec![]);
    let f = mul(transpose(x.clone()), ef(ElemFn::Tanh, x.clone()));
    let hs = differentiate(&b.p, &d2(Op::Hess, f.clone(), x.clone())).unwrap();
    let gr = differentiate(&b.p, &d2(Op::Grad, f.clone(), x.clone())).unwrap();
    let Op::Var(vid) = x.op else { panic!() };
    let env = sample(&b.p, &mut Rng(77));
    let want = fd_jac(&b.p, &gr, vid, &env);
    assert!(close(&eval(&b.p, &hs, &env), &want, 1e-4));
    // d(s[2], x[3]) = jac(s, x)[2, 3]
    let s = op1(Op::Softmax, x.clone());
    let comp = |e: Expr, i: i64| Expr::new(Op::Component, vec![e, num(i, SP)], Shape::SCALAR, SP);
    let dd = differentiate(&b.p, &d2(Op::D, comp(s.clone(), 2), comp(x.clone(), 3))).unwrap();
    let j = fd_jac(&b.p, &s, vid, &env);
    assert!((eval(&b.p, &dd, &env)[(0, 0)] - j[(1, 2)]).abs() < 1e-6);
}

#[test]
fn declared_functions_and_calls() {
    let (mut b, n, _) = setup();
    let x = b.var("x", Shape::vector(n), vec![]);
    let gf = b.fun("g", FunKind::Elementwise);
    let lf = b.fun(
        "L",
        FunKind::Map {
            from: Shape::vector(n),
            to: Shape::SCALAR,
        },
    );
    let f = op1(Op::Fun(lf), op1(Op::Fun(gf), x.clone()));
    let f = Expr::new(f.op.clone(), f.args.clone(), Shape::SCALAR, SP);
    check_grad(&b, &f, &x, 2);
    // let q(v: vec[n]) = sum(v .* v); f = q(tanh(x))
    let param = b.local("v", LocalKind::Param(Shape::vector(n)));
    let pv = Expr::leaf(Op::Local(param), Shape::vector(n), SP);
    b.p.lets.push(crate::ir::LetDecl {
        name: "q".into(),
        params: vec![param],
        is_function: true,
        body: op1(Op::Sum, had(pv.clone(), pv)),
        span: SP,
    });
    let call = Expr::new(
        Op::CallLet(b.p.lets.len() - 1),
        vec![ef(ElemFn::Tanh, x.clone())],
        Shape::SCALAR,
        SP,
    );
    check_grad(&b, &call, &x, 2);
}

/// A small RNN: z[t] = W x[t] + U h[t], h[t] = g(z[t-1]) for t >= 1, loss = L(h[T]).
fn rnn(t_value: Option<u64>) -> (B, Expr, Expr, Expr, Expr) {
    let mut b = B::default();
    let n = b.dim("n", 2);
    let p = b.dim("p", 3);
    let tdim = match t_value {
        Some(v) => b.dim("T", v),
        None => b.sym_dim("T"),
    };
    let w = b.var("W", Shape::new(n, p), vec![]);
    let u = b.var("U", Shape::new(n, n), vec![]);
    let gf = b.fun("g", FunKind::Elementwise);
    let lf = b.fun(
        "L",
        FunKind::Map {
            from: Shape::vector(n),
            to: Shape::SCALAR,
        },
    );
    let tl = b.local("t", LocalKind::Int);
    let tl2 = b.local("t", LocalKind::Int);
    let tv = |l| Expr::leaf(Op::Local(l), Shape::SCALAR, SP);
    let at = |s: usize, t: Expr, sh: Shape| Expr::new(Op::SeqAt(s), vec![t], sh, SP);
    // seq 0 = x, 1 = h, 2 = z
    let vn = Shape::vector(n);
    b.p.seqs.push(SeqDecl {
        name: "x".into(),
        shape: Shape::vector(p),
        pieces: vec![SeqPiece::GivenEvery {
            attrs: vec![],
            span: SP,
        }],
        span: SP,
    });
    let zt = add(
        mul(w.clone(), at(0, tv(tl), Shape::vector(p))),
        mul(u.clone(), at(1, tv(tl), vn)),
    );
    let hbody = op1(Op::Fun(gf), at(2, sub(tv(tl2), num(1, SP)), vn));
    b.p.seqs.push(SeqDecl {
        name: "h".into(),
        shape: vn,
        pieces: vec![
            SeqPiece::GivenAt {
                at: 0,
                attrs: vec![],
                span: SP,
            },
            SeqPiece::Defined {
                local: tl2,
                guard: Some((CmpOp::Ge, num(1, SP))),
                body: hbody,
                span: SP,
            },
        ],
        span: SP,
    });
    b.p.seqs.push(SeqDecl {
        name: "z".into(),
        shape: vn,
        pieces: vec![SeqPiece::Defined {
            local: tl,
            guard: None,
            body: zt,
            span: SP,
        }],
        span: SP,
    });
    let ht = at(1, Expr::leaf(Op::DimValue(tdim), Shape::SCALAR, SP), vn);
    let loss = b.let_(
        "loss",
        Expr::new(Op::Fun(lf), vec![ht.clone()], Shape::SCALAR, SP),
    );
    let h0 = at(1, num(0, SP), vn);
    (
        b,
        loss,
        u,
        w,
        Expr::new(Op::Jac, vec![ht, h0], Shape::new(n, n), SP),
    )
}

#[test]
fn recurrence_gradients_match_finite_differences() {
    for t in 1..=4 {
        let (b, loss, u, w, jac_node) = rnn(Some(t));
        check_grad(&b, &loss, &u, 2);
        check_grad(&b, &loss, &w, 2);
        // jac(h[T], h[0]) against differences in the given h[0]
        let jm = differentiate(&b.p, &jac_node).unwrap();
        let env = sample(&b.p, &mut Rng(5));
        let got = eval(&b.p, &jm, &env);
        let h = 1e-5;
        let f = &jac_node.args[0];
        for j in 0..2 {
            let mut e1 = env.clone();
            let mut e2 = env.clone();
            e1.seqs.get_mut(&(1, 0)).unwrap()[j] += h;
            e2.seqs.get_mut(&(1, 0)).unwrap()[j] -= h;
            let col = (eval(&b.p, f, &e1) - eval(&b.p, f, &e2)) / (2.0 * h);
            for i in 0..2 {
                assert!((got[(i, j)] - col[i]).abs() < 1e-5, "T={t}");
            }
        }
    }
}

#[test]
fn symbolic_time_asks_for_a_concrete_t() {
    let (b, loss, u, _, _) = rnn(None);
    let e = differentiate(&b.p, &d2(Op::Grad, loss, u)).unwrap_err();
    assert!(e.message.contains("concrete T"), "{}", e.message);
    let (b, _, _, _, jac_node) = rnn(None);
    let h_t = jac_node.args[0].clone();
    let tdim = match h_t.args[0].op {
        Op::DimValue(Dim::Sym(d)) => d,
        _ => panic!(),
    };
    // unrolled by the caller: T = 3
    let fixed = substitute_dim(&jac_node, tdim, 3);
    assert!(differentiate(&b.p, &fixed).is_ok());
}

#[test]
fn concrete_sums_and_products_unroll() {
    let (mut b, n, _) = setup();
    let x = b.var("x", Shape::vector(n), vec![]);
    let a = b.var("A", Shape::new(n, n), vec![]);
    let t = b.local("t", LocalKind::Int);
    let tv = Expr::leaf(Op::Local(t), Shape::SCALAR, SP);
    let body = scale(tv.clone(), ef(ElemFn::Tanh, x.clone()));
    let s = Expr::new(
        Op::SumRange(t),
        vec![num(1, SP), num(3, SP), body],
        x.shape,
        SP,
    );
    check_grad(&b, &op1(Op::Sum, s), &x, 2);
    let k = b.local("k", LocalKind::Int);
    let pr = Expr::new(
        Op::ProdRange {
            local: k,
            downto: false,
        },
        vec![num(1, SP), num(3, SP), a.clone()],
        a.shape,
        SP,
    );
    check_grad(&b, &op1(Op::Tr, pr), &a, 2);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let (mut b, n, _) = setup();
    let x = b.var("x", Shape::vector(n), vec![]);
    let mut e = x.clone();
    for _ in 0..5000 {
        e = Expr::new(Op::Neg, vec![e], x.shape, SP);
    }
    let f = Expr::new(Op::Sum, vec![e], Shape::SCALAR, SP);
    let r = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || differentiate(&b.p, &d2(Op::Grad, f, x)))
        .unwrap()
        .join()
        .unwrap();
    assert!(r.is_err());
}

#[test]
fn q3_backward_pass_names_the_shared_adjoints() {
    let (b, v) = q3();
    let show = |e: &Expr| crate::simplify::tests::show(&b.p, e);
    let bp = backward_pass(&b.p, &v[0], &v[1..5]).unwrap();
    assert!(!bp.budget_hit);
    let adj: Vec<(String, String)> = bp
        .adjoints
        .iter()
        .map(|(n, e)| (n.clone(), show(e)))
        .collect();
    assert_eq!(
        adj,
        vec![
            ("δ1".to_string(), "(yhat - y)".to_string()),
            ("δ2".to_string(), "((Uᵀ δ1) ∘ 1{h > 0})".to_string()),
        ]
    );
    let res: Vec<String> = bp.results.iter().map(show).collect();
    assert_eq!(res, vec!["δ1", "(δ1 hᵀ)", "δ2", "(δ2 xᵀ)"]);
    // expanded results agree with finite differences
    for (r, w) in bp.results.iter().zip(&v[1..5]) {
        let Op::Var(vid) = w.op else { panic!() };
        let env = sample(&b.p, &mut Rng(99));
        let got = eval(&b.p, &bp.expand(r), &env);
        assert!(close(&got, &fd_grad(&b.p, &v[0], vid, &env), 1e-4));
    }
}

#[test]
fn backward_pass_through_a_recurrence_and_a_single_wrt() {
    let (b, loss, u, w, _) = rnn(Some(3));
    let bp = backward_pass(&b.p, &loss, &[u.clone(), w.clone()]).unwrap();
    for (r, x) in bp.results.iter().zip([&u, &w]) {
        let Op::Var(vid) = x.op else { panic!() };
        let env = sample(&b.p, &mut Rng(3));
        let got = eval(&b.p, &bp.expand(r), &env);
        assert!(close(&got, &fd_grad(&b.p, &loss, vid, &env), 1e-4));
    }
    let (b, v) = q3();
    let one = backward_pass(&b.p, &v[0], &v[1..2]).unwrap();
    assert!(one.adjoints.is_empty(), "a single use is inlined");
    assert_eq!(
        crate::simplify::tests::show(&b.p, &one.results[0]),
        "(yhat - y)"
    );
}

/// An L-layer tanh MLP: h_i = tanh(W_i h_{i-1}), J = sum(h_L).
fn mlp(layers: usize) -> (B, Expr, Vec<Expr>) {
    let mut b = B::default();
    let n = b.dim("n", 3);
    let x = b.var("x", Shape::vector(n), vec![]);
    let mut h = x;
    let mut ws = Vec::new();
    for i in 0..layers {
        let w = b.var(&format!("W{i}"), Shape::new(n, n), vec![]);
        let z = b.let_(&format!("z{i}"), mul(w.clone(), h));
        h = b.let_(&format!("h{i}"), ef(ElemFn::Tanh, z));
        ws.push(w);
    }
    let j = b.let_("J", op1(Op::Sum, h));
    (b, j, ws)
}

#[test]
fn deep_network_backward_pass_is_linear_and_correct() {
    let (b, j, ws) = mlp(3);
    let bp = backward_pass(&b.p, &j, &ws).unwrap();
    for (r, w) in bp.results.iter().zip(&ws) {
        let Op::Var(vid) = w.op else { panic!() };
        let env = sample(&b.p, &mut Rng(11));
        assert!(close(
            &eval(&b.p, &bp.expand(r), &env),
            &fd_grad(&b.p, &j, vid, &env),
            1e-4
        ));
    }
    let time = |l: usize| {
        let (b, j, ws) = mlp(l);
        let t = std::time::Instant::now();
        let bp = backward_pass(&b.p, &j, &ws).unwrap();
        assert_eq!(bp.results.len(), l);
        t.elapsed()
    };
    let (t1, t4) = (time(100), time(400));
    // linear growth: 4× the layers may not cost much more than 4× the time
    assert!(
        t4 < t1 * 10 + std::time::Duration::from_millis(50),
        "{t1:?} vs {t4:?}"
    );
}

/// Timing probe for release builds: `cargo test --release --lib timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let (b, v) = q3();
    let t = std::time::Instant::now();
    let n = 50;
    for _ in 0..n {
        let bp = backward_pass(&b.p, &v[0], &v[1..5]).unwrap();
        assert_eq!(bp.adjoints.len(), 2);
    }
    println!("q3 backward pass: {:?}", t.elapsed() / n);
    let t = std::time::Instant::now();
    for _ in 0..n {
        for w in &v[1..5] {
            let g = differentiate(&b.p, &d2(Op::Grad, v[0].clone(), w.clone())).unwrap();
            crate::simplify::simplify(&b.p, &g, &Default::default());
        }
    }
    println!("q3 four grads + simplify: {:?}", t.elapsed() / n);
    let (b, j, ws) = mlp(1000);
    let t = std::time::Instant::now();
    backward_pass(&b.p, &j, &ws).unwrap();
    println!("mlp 1000: {:?}", t.elapsed());
}

#[test]
fn long_let_chains_do_not_recurse_deeply() {
    // only the first layer is the variable: every let depends on it through the chain
    let (b, j, ws) = mlp(1500);
    let g = differentiate(&b.p, &d2(Op::Grad, j.clone(), ws[0].clone()));
    assert!(g.unwrap_err().message.contains("too deeply"));
    let bp = backward_pass(&b.p, &j, &ws[..1]).unwrap();
    assert_eq!(bp.results.len(), 1);
    let (b, j, ws) = mlp(4);
    let g = differentiate(&b.p, &d2(Op::Grad, j.clone(), ws[0].clone())).unwrap();
    let Op::Var(vid) = ws[0].op else { panic!() };
    let env = sample(&b.p, &mut Rng(8));
    assert!(close(
        &eval(&b.p, &g, &env),
        &fd_grad(&b.p, &j, vid, &env),
        1e-4
    ));
}
