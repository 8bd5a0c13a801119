//! Tests of the evaluator and sampler on hand-built typed programs.

use super::*;
use crate::ir::ElemFn;
use crate::ir::{
    Attr, Dim, DimDecl, FunDecl, LetDecl, LocalDecl, LocalKind, SeqDecl, Shape, VarDecl,
};
use crate::span::Span;
use num_bigint::BigInt;
use num_rational::BigRational;

fn q(n: i64, d: i64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

fn sp() -> Span {
    Span::default()
}

const SC: Shape = Shape::SCALAR;

fn vshape(d: Dim) -> Shape {
    Shape::vector(d)
}

fn mshape(r: Dim, c: Dim) -> Shape {
    Shape::new(r, c)
}

fn c(n: u64) -> Dim {
    Dim::Const(n)
}

/// Builds programs and expressions by hand.
#[derive(Default)]
struct B {
    p: Program,
}

fn node(op: Op, args: Vec<Expr>, shape: Shape) -> Expr {
    Expr::new(op, args, shape, sp())
}

fn num(n: i64) -> Expr {
    node(Op::Num(q(n, 1)), vec![], SC)
}

fn rat(n: i64, d: i64) -> Expr {
    node(Op::Num(q(n, d)), vec![], SC)
}

/// Shape of a matrix product (a scalar factor scales the other).
fn mul(a: Expr, b: Expr) -> Expr {
    if a.shape.is_scalar() || b.shape.is_scalar() {
        let s = if a.shape.is_scalar() {
            b.shape
        } else {
            a.shape
        };
        return node(Op::Scale, vec![a, b], s);
    }
    let s = Shape::new(a.shape.rows, b.shape.cols);
    node(Op::Mul, vec![a, b], s)
}

fn add(a: Expr, b: Expr) -> Expr {
    let s = a.shape;
    node(Op::Add, vec![a, b], s)
}

fn sub(a: Expr, b: Expr) -> Expr {
    let s = a.shape;
    node(Op::Sub, vec![a, b], s)
}

fn had(a: Expr, b: Expr) -> Expr {
    let s = a.shape;
    node(Op::Hadamard, vec![a, b], s)
}

fn neg(a: Expr) -> Expr {
    let s = a.shape;
    node(Op::Neg, vec![a], s)
}

fn tr(a: Expr) -> Expr {
    let s = a.shape.transposed();
    node(Op::Transpose, vec![a], s)
}

fn elem(f: ElemFn, a: Expr) -> Expr {
    let s = a.shape;
    node(Op::Elem(f), vec![a], s)
}

fn un(op: Op, a: Expr, s: Shape) -> Expr {
    node(op, vec![a], s)
}

fn grad(f: Expr, x: Expr) -> Expr {
    let s = x.shape;
    node(Op::Grad, vec![f, x], s)
}

fn lit(rows: usize, cols: usize, v: &[i64]) -> Expr {
    node(
        Op::Literal { rows, cols },
        v.iter().map(|&x| num(x)).collect(),
        mshape(c(rows as u64), c(cols as u64)),
    )
}

impl B {
    fn dim(&mut self, name: &str, value: Option<u64>) -> Dim {
        self.p.dims.push(DimDecl {
            name: name.into(),
            value,
            span: sp(),
        });
        Dim::Sym(self.p.dims.len() - 1)
    }
    fn var(&mut self, name: &str, shape: Shape, attrs: &[Attr]) -> Expr {
        self.p.vars.push(VarDecl {
            name: name.into(),
            shape,
            attrs: attrs.to_vec(),
            span: sp(),
        });
        node(Op::Var(self.p.vars.len() - 1), vec![], shape)
    }
    fn let_(&mut self, name: &str, body: Expr) -> Expr {
        let shape = body.shape;
        self.p.lets.push(LetDecl {
            name: name.into(),
            params: vec![],
            is_function: false,
            body,
            span: sp(),
        });
        node(Op::Let(self.p.lets.len() - 1), vec![], shape)
    }
    fn local(&mut self, name: &str, kind: LocalKind) -> LocalId {
        self.p.locals.push(LocalDecl {
            name: name.into(),
            kind,
            span: sp(),
        });
        self.p.locals.len() - 1
    }
    fn int_local(&mut self, name: &str) -> (LocalId, Expr) {
        let l = self.local(name, LocalKind::Int);
        (l, node(Op::Local(l), vec![], SC))
    }
    fn fun(&mut self, name: &str, kind: FunKind) -> FunId {
        self.p.funs.push(FunDecl {
            name: name.into(),
            kind,
            span: sp(),
        });
        self.p.funs.len() - 1
    }
    fn seq(&mut self, name: &str, shape: Shape) -> SeqId {
        self.p.seqs.push(SeqDecl {
            name: name.into(),
            shape,
            pieces: vec![],
            span: sp(),
        });
        self.p.seqs.len() - 1
    }
    fn at(&self, s: SeqId, t: Expr) -> Expr {
        node(Op::SeqAt(s), vec![t], self.p.seqs[s].shape)
    }
    fn sample(&self, seed: u64, draw: u32, exact: bool) -> Instance {
        sample(
            &self.p,
            &SampleOptions {
                seed,
                draw,
                dim_overrides: vec![],
                exact,
            },
        )
        .expect("sample")
    }
}

use crate::ir::{FunId, LocalId, SeqId};

fn ev_exact(b: &B, inst: &Instance, e: &Expr) -> R<Matrix<BigRational>> {
    eval::<BigRational>(&b.p, inst, e, &vec![], 0.0)
}

fn ev_f64(b: &B, inst: &Instance, e: &Expr) -> R<Matrix<f64>> {
    eval::<f64>(&b.p, inst, e, &vec![], 1e-9)
}

fn qm(rows: usize, cols: usize, v: &[BigRational]) -> Matrix<BigRational> {
    Matrix::new(rows, cols, v.to_vec())
}

fn qs(v: &[i64]) -> Vec<BigRational> {
    v.iter().map(|&x| q(x, 1)).collect()
}

/// Question 2: `w2ᵀ relu(W1 x + b1) + b2` classifies the XOR points exactly.
#[test]
fn xor_network_evaluates_exactly() {
    let mut b = B::default();
    let w1 = b.let_("W1", lit(2, 2, &[1, 1, -1, -1]));
    let b1 = b.let_("b1", lit(2, 1, &[0, 0]));
    let w2 = b.let_("w2", lit(2, 1, &[1, 1]));
    let b2 = b.let_("b2", num(-1));
    let x = b.local("x", LocalKind::Param(vshape(c(2))));
    let xe = node(Op::Local(x), vec![], vshape(c(2)));
    let body = add(
        mul(
            tr(w2.clone()),
            elem(ElemFn::Relu, add(mul(w1.clone(), xe), b1.clone())),
        ),
        b2,
    );
    b.p.lets.push(LetDecl {
        name: "f".into(),
        params: vec![x],
        is_function: true,
        body,
        span: sp(),
    });
    let f = b.p.lets.len() - 1;
    let inst = b.sample(1, 0, true);
    let call = |p: &[i64]| node(Op::CallLet(f), vec![lit(2, 1, p)], SC);
    for (p, want) in [([1, 1], 1), ([1, -1], -1), ([-1, 1], -1), ([-1, -1], 1)] {
        assert_eq!(ev_exact(&b, &inst, &call(&p)).unwrap().data, qs(&[want]));
    }
    // The student's version without bias gives 2, not 1.
    let wrong = mul(tr(w2), elem(ElemFn::Relu, mul(w1, lit(2, 1, &[1, 1]))));
    assert_eq!(ev_exact(&b, &inst, &wrong).unwrap().data, qs(&[2]));
    // The same in floating point: the relu arguments exactly at the kink
    // at [1, -1] follow the convention, as in exact arithmetic.
    assert_eq!(ev_f64(&b, &inst, &call(&[1, 1])).unwrap().data, vec![1.0]);
    assert_eq!(ev_f64(&b, &inst, &call(&[1, -1])).unwrap().data, vec![-1.0]);
}

/// The Q3 network; returns (builder, x, W, b1, U, b2, y, h, yhat, J).
struct Q3 {
    b: B,
    w: Expr,
    x: Expr,
    u: Expr,
    y: Expr,
    h: Expr,
    z2: Expr,
    yhat: Expr,
    j: Expr,
}

fn q3() -> Q3 {
    let mut b = B::default();
    let n = b.dim("n", None);
    let m = b.dim("m", None);
    let k = b.dim("k", None);
    let x = b.var("x", vshape(n), &[]);
    let w = b.var("W", mshape(m, n), &[]);
    let b1 = b.var("b1", vshape(m), &[]);
    let u = b.var("U", mshape(k, m), &[]);
    let b2 = b.var("b2", vshape(k), &[]);
    let y = b.var("y", vshape(k), &[Attr::Onehot]);
    let z1 = b.let_("z1", add(mul(w.clone(), x.clone()), b1));
    let h = b.let_("h", elem(ElemFn::Relu, z1));
    let z2 = b.let_("z2", add(mul(u.clone(), h.clone()), b2));
    let yhat = b.let_("yhat", un(Op::Softmax, z2.clone(), vshape(k)));
    let j = b.let_(
        "J",
        neg(un(
            Op::Sum,
            had(y.clone(), elem(ElemFn::Log, yhat.clone())),
            SC,
        )),
    );
    Q3 {
        b,
        w,
        x,
        u,
        y,
        h,
        z2,
        yhat,
        j,
    }
}

/// Draws until the point is away from every kink.
fn off_kink<T>(mut f: impl FnMut(u32) -> R<T>) -> T {
    for draw in 0..50 {
        match f(draw) {
            Err(EvalError::NearKink) => continue,
            r => return r.unwrap(),
        }
    }
    panic!("every draw near a kink");
}

#[test]
fn softmax_cross_entropy_gradient_is_yhat_minus_y() {
    let t = q3();
    for draw in 0..5 {
        let inst = t.b.sample(7, draw, false);
        let g = ev_f64(&t.b, &inst, &grad(t.j.clone(), t.z2.clone())).unwrap();
        let want = ev_f64(&t.b, &inst, &sub(t.yhat.clone(), t.y.clone())).unwrap();
        assert!(close(&g, &want, 1e-12, 1e-9), "{g:?} vs {want:?}");
    }
}

#[test]
fn gradient_through_a_let_treats_it_as_the_input() {
    // grad(J, h) = Uᵀ (yhat − y), and grad(J, U) = (yhat − y) hᵀ.
    let t = q3();
    off_kink(|draw| {
        let inst = t.b.sample(3, draw, false);
        let delta = sub(t.yhat.clone(), t.y.clone());
        let gh = ev_f64(&t.b, &inst, &grad(t.j.clone(), t.h.clone()))?;
        let want = ev_f64(&t.b, &inst, &mul(tr(t.u.clone()), delta.clone()))?;
        assert!(close(&gh, &want, 1e-12, 1e-9));
        let gu = ev_f64(&t.b, &inst, &grad(t.j.clone(), t.u.clone()))?;
        let want = ev_f64(&t.b, &inst, &mul(delta.clone(), tr(t.h.clone())))?;
        assert!(close(&gu, &want, 1e-12, 1e-9));
        // The swapped layout has the transposed shape.
        let wrong = ev_f64(&t.b, &inst, &mul(t.h.clone(), tr(delta)))?;
        assert_ne!(wrong.dims(), gu.dims());
        Ok(())
    });
}

#[test]
fn duals_agree_with_finite_differences() {
    let t = q3();
    off_kink(|draw| {
        let inst = t.b.sample(11, draw, false);
        let exact = ev_f64(&t.b, &inst, &grad(t.j.clone(), t.w.clone()))?;
        let fd = finite_difference(&t.b.p, &inst, &t.j, &t.w, &vec![])?;
        assert_eq!(exact.dims(), fd.dims());
        assert!(close(&fd, &exact, 1e-5, 1e-3), "{fd:?} vs {exact:?}");
        // A vector function gives the Jacobian layout.
        let jac = ev_f64(
            &t.b,
            &inst,
            &node(Op::Jac, vec![t.yhat.clone(), t.x.clone()], SC),
        )?;
        let fd = finite_difference(&t.b.p, &inst, &t.yhat, &t.x, &vec![])?;
        assert!(close(&fd, &jac, 1e-5, 1e-3));
        assert_eq!(jac.rows, inst.dim(t.y.shape.rows));
        Ok(())
    });
}

#[test]
fn hessian_of_a_quadratic_form_is_a_plus_a_transpose() {
    let mut b = B::default();
    let n = b.dim("n", None);
    let x = b.var("x", vshape(n), &[]);
    let a = b.var("A", mshape(n, n), &[]);
    let f = mul(mul(tr(x.clone()), a.clone()), x.clone());
    let hess = node(Op::Hess, vec![f, x], mshape(n, n));
    for draw in 0..3 {
        let inst = b.sample(5, draw, true);
        let h = ev_exact(&b, &inst, &hess).unwrap();
        let want = ev_exact(&b, &inst, &add(a.clone(), tr(a.clone()))).unwrap();
        assert_eq!(h, want);
    }
    // A third nested derivative is refused rather than silently wrong.
    let inst = b.sample(5, 0, true);
    let xv = node(Op::Var(0), vec![], vshape(n));
    let inner = grad(mul(tr(xv.clone()), xv.clone()), xv.clone());
    let g3 = node(Op::Hess, vec![un(Op::Sum, inner, SC), xv], mshape(n, n));
    assert!(matches!(
        ev_exact(&b, &inst, &g3),
        Err(EvalError::Unsupported(_))
    ));
}

/// The BPTT program of the optional question.
struct Rnn {
    b: B,
    t_dim: usize,
    u: Expr,
    h: SeqId,
    loss: Expr,
    /// `D[k] = diag(g'(z[k]))`
    dk: SeqId,
    n: Dim,
}

fn rnn() -> Rnn {
    let mut b = B::default();
    let n = b.dim("n", None);
    let p = b.dim("p", None);
    let t_dim = b.dim("T", None);
    let w = b.var("W", mshape(n, p), &[]);
    let u = b.var("U", mshape(n, n), &[]);
    let x = b.seq("x", vshape(p));
    b.p.seqs[x].pieces.push(SeqPiece::GivenEvery {
        attrs: vec![],
        span: sp(),
    });
    let h = b.seq("h", vshape(n));
    b.p.seqs[h].pieces.push(SeqPiece::GivenAt {
        at: 0,
        attrs: vec![],
        span: sp(),
    });
    let g = b.fun("g", FunKind::Elementwise);
    let l_fun = b.fun(
        "L",
        FunKind::Map {
            from: vshape(n),
            to: SC,
        },
    );
    let z = b.seq("z", vshape(n));
    let (tl, te) = b.int_local("t");
    let zbody = add(mul(w, b.at(x, te.clone())), mul(u.clone(), b.at(h, te)));
    b.p.seqs[z].pieces.push(SeqPiece::Defined {
        local: tl,
        guard: None,
        body: zbody,
        span: sp(),
    });
    let (tl2, te2) = b.int_local("t");
    let hbody = node(Op::Fun(g), vec![b.at(z, sub(te2, num(1)))], vshape(n));
    b.p.seqs[h].pieces.push(SeqPiece::Defined {
        local: tl2,
        guard: Some((CmpOp::Ge, num(1))),
        body: hbody,
        span: sp(),
    });
    let tv = node(Op::DimValue(t_dim), vec![], SC);
    let loss = b.let_("loss", node(Op::Fun(l_fun), vec![b.at(h, tv)], SC));
    let dk = b.seq("D", mshape(n, n));
    let (kl, ke) = b.int_local("k");
    let dbody = un(
        Op::Diag,
        node(Op::FunPrime(g), vec![b.at(z, ke)], vshape(n)),
        mshape(n, n),
    );
    b.p.seqs[dk].pieces.push(SeqPiece::Defined {
        local: kl,
        guard: None,
        body: dbody,
        span: sp(),
    });
    let Dim::Sym(t_dim) = t_dim else {
        unreachable!()
    };
    Rnn {
        b,
        t_dim,
        u,
        h,
        loss,
        dk,
        n,
    }
}

fn rnn_instance(p: &Program, t_dim: usize, t: u64, draw: u32) -> Instance {
    sample(
        p,
        &SampleOptions {
            seed: 42,
            draw,
            dim_overrides: vec![(t_dim, t)],
            exact: false,
        },
    )
    .unwrap()
}

#[test]
fn long_recurrence_is_linear_and_does_not_overflow_the_stack() {
    // Run with the default 2 MB stack of a spawned thread.
    let r = rnn();
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let inst = rnn_instance(&r.b.p, r.t_dim, 1000, 0);
            let g = eval::<f64>(
                &r.b.p,
                &inst,
                &grad(r.loss.clone(), r.u.clone()),
                &vec![],
                1e-9,
            )
            .unwrap();
            assert_eq!(g.dims(), (inst.dim(r.n), inst.dim(r.n)));
            assert!(g.data.iter().all(|x| x.is_finite()));
            // Asking for a late element first also works.
            let tv = num(999);
            let h = eval::<f64>(&r.b.p, &inst, &r.b.at(r.h, tv), &vec![], 1e-9).unwrap();
            assert!(h.data.iter().all(|x| x.is_finite()));
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn recurrence_without_base_case_is_an_error_not_a_crash() {
    let mut b = B::default();
    let s = b.seq("s", SC);
    let (tl, te) = b.int_local("t");
    let body = elem(ElemFn::Tanh, add(b.at(s, sub(te, num(1))), num(1)));
    b.p.seqs[s].pieces.push(SeqPiece::Defined {
        local: tl,
        guard: None,
        body,
        span: sp(),
    });
    let e = b.at(s, num(5));
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let inst = b.sample(0, 0, false);
            ev_f64(&b, &inst, &e)
        })
        .unwrap();
    assert!(matches!(
        handle.join().unwrap(),
        Err(EvalError::Unsupported(_))
    ));
}

/// The closed form of BPTT from the lecture holds at every sampled point,
/// and the slide's version with one factor too many does not.
#[test]
fn bptt_closed_form_matches_forward_mode() {
    let r = rnn();
    let mut b = r.b;
    let tv = node(Op::DimValue(Dim::Sym(r.t_dim)), vec![], SC);
    let n = r.n;
    let (tl, te) = b.int_local("t");
    let (kl, ke) = b.int_local("k");
    let g_ht = grad(r.loss.clone(), b.at(r.h, tv.clone()));
    let closed = |b: &B, from: Expr, with_d: bool| {
        let factor = mul(tr(r.u.clone()), b.at(r.dk, ke.clone()));
        let prod = node(
            Op::ProdRange {
                local: kl,
                downto: false,
            },
            vec![from, sub(tv.clone(), num(1)), factor],
            mshape(n, n),
        );
        let mut term = mul(prod, g_ht.clone());
        if with_d {
            term = mul(b.at(r.dk, sub(te.clone(), num(1))), term);
        }
        let term = mul(term, tr(b.at(r.h, sub(te.clone(), num(1)))));
        node(
            Op::SumRange(tl),
            vec![num(1), tv.clone(), term],
            mshape(n, n),
        )
    };
    let right = closed(&b, te.clone(), true);
    let slide = closed(&b, sub(te.clone(), num(1)), false);
    let lhs = grad(r.loss.clone(), r.u.clone());
    for t in 1..=4 {
        let inst = rnn_instance(&b.p, r.t_dim, t, t as u32);
        let l = ev_f64(&b, &inst, &lhs).unwrap();
        let rr = ev_f64(&b, &inst, &right).unwrap();
        assert!(close(&rr, &l, 1e-10, 1e-8), "T = {t}: {rr:?} vs {l:?}");
        let s = ev_f64(&b, &inst, &slide).unwrap();
        assert!(!close(&s, &l, 1e-5, 1e-3), "T = {t}");
        let fd = finite_difference(&b.p, &inst, &r.loss, &r.u, &vec![]).unwrap();
        assert!(close(&fd, &l, 1e-5, 1e-3));
    }
}

/// A program with no variables, to evaluate closed expressions.
fn closed_eval(e: &Expr) -> R<Matrix<BigRational>> {
    let b = B::default();
    let inst = b.sample(0, 0, true);
    ev_exact(&b, &inst, e)
}

#[test]
fn each_operator_evaluates_exactly() {
    let a = lit(2, 2, &[2, 1, 1, 3]);
    let m2 = mshape(c(2), c(2));
    let v = lit(2, 1, &[3, 4]);
    let cases: Vec<(Expr, Matrix<BigRational>)> = vec![
        (un(Op::Det, a.clone(), SC), qm(1, 1, &qs(&[5]))),
        (un(Op::Tr, a.clone(), SC), qm(1, 1, &qs(&[5]))),
        (
            un(Op::Inv, a.clone(), m2),
            qm(2, 2, &[q(3, 5), q(-1, 5), q(-1, 5), q(2, 5)]),
        ),
        (un(Op::Norm, v.clone(), SC), qm(1, 1, &qs(&[5]))),
        (un(Op::Sum, v.clone(), SC), qm(1, 1, &qs(&[7]))),
        (un(Op::Diag, v.clone(), m2), qm(2, 2, &qs(&[3, 0, 0, 4]))),
        (tr(v.clone()), qm(1, 2, &qs(&[3, 4]))),
        (mul(tr(v.clone()), v.clone()), qm(1, 1, &qs(&[25]))),
        (
            mul(v.clone(), tr(v.clone())),
            qm(2, 2, &qs(&[9, 12, 12, 16])),
        ),
        (mul(rat(1, 2), v.clone()), qm(2, 1, &[q(3, 2), q(2, 1)])),
        (
            node(Op::Div, vec![v.clone(), num(3)], vshape(c(2))),
            qm(2, 1, &[q(1, 1), q(4, 3)]),
        ),
        (
            node(
                Op::HadDiv,
                vec![v.clone(), lit(2, 1, &[2, 8])],
                vshape(c(2)),
            ),
            qm(2, 1, &[q(3, 2), q(1, 2)]),
        ),
        (
            node(Op::Pow, vec![num(2), num(-3)], SC),
            qm(1, 1, &[q(1, 8)]),
        ),
        (
            node(Op::Pow, vec![rat(9, 4), rat(1, 2)], SC),
            qm(1, 1, &[q(3, 2)]),
        ),
        (
            node(Op::ElemPow, vec![v.clone(), num(2)], vshape(c(2))),
            qm(2, 1, &qs(&[9, 16])),
        ),
        (
            un(Op::MatPow(2), a.clone(), m2),
            qm(2, 2, &qs(&[5, 5, 5, 10])),
        ),
        (un(Op::MatPow(0), a.clone(), m2), Matrix::identity(2)),
        (
            elem(ElemFn::Relu, lit(3, 1, &[-1, 0, 2])),
            qm(3, 1, &qs(&[0, 0, 2])),
        ),
        (
            elem(ElemFn::Step, lit(3, 1, &[-1, 0, 2])),
            qm(3, 1, &qs(&[0, 1, 1])),
        ),
        (
            un(
                Op::ElemPrime(ElemFn::Relu),
                lit(3, 1, &[-1, 0, 2]),
                vshape(c(3)),
            ),
            qm(3, 1, &qs(&[0, 0, 1])),
        ),
        (
            un(
                Op::ElemPrime(ElemFn::Abs),
                lit(3, 1, &[-1, 0, 2]),
                vshape(c(3)),
            ),
            qm(3, 1, &qs(&[-1, 0, 1])),
        ),
        (
            un(Op::ElemPrime(ElemFn::Step), lit(1, 1, &[0]), SC),
            qm(1, 1, &qs(&[0])),
        ),
        (
            elem(ElemFn::Abs, lit(2, 1, &[-3, 2])),
            qm(2, 1, &qs(&[3, 2])),
        ),
        (
            node(
                Op::Max,
                vec![lit(2, 1, &[1, 5]), lit(2, 1, &[2, 4])],
                vshape(c(2)),
            ),
            qm(2, 1, &qs(&[2, 5])),
        ),
        (
            node(
                Op::Min,
                vec![lit(2, 1, &[1, 5]), lit(2, 1, &[2, 4])],
                vshape(c(2)),
            ),
            qm(2, 1, &qs(&[1, 4])),
        ),
        (
            node(
                Op::Indicator(CmpOp::Gt),
                vec![lit(3, 1, &[-1, 0, 2]), lit(3, 1, &[0, 0, 0])],
                vshape(c(3)),
            ),
            qm(3, 1, &qs(&[0, 0, 1])),
        ),
        (
            node(
                Op::Indicator(CmpOp::Le),
                vec![lit(3, 1, &[-1, 0, 2]), lit(3, 1, &[0, 0, 0])],
                vshape(c(3)),
            ),
            qm(3, 1, &qs(&[1, 1, 0])),
        ),
        (
            node(Op::Delta, vec![num(2), num(2)], SC),
            qm(1, 1, &qs(&[1])),
        ),
        (
            node(Op::Delta, vec![num(1), num(2)], SC),
            qm(1, 1, &qs(&[0])),
        ),
        (
            node(Op::Component, vec![v.clone(), num(2)], SC),
            qm(1, 1, &qs(&[4])),
        ),
        (
            node(Op::Component, vec![a.clone(), num(2), num(1)], SC),
            qm(1, 1, &qs(&[1])),
        ),
        (node(Op::Eye, vec![], m2), Matrix::identity(2)),
        (node(Op::Ones, vec![], vshape(c(2))), qm(2, 1, &qs(&[1, 1]))),
        (
            node(Op::Zeros, vec![], mshape(c(1), c(2))),
            qm(1, 2, &qs(&[0, 0])),
        ),
        (
            un(Op::Softmax, lit(2, 1, &[0, 0]), vshape(c(2))),
            qm(2, 1, &[q(1, 2), q(1, 2)]),
        ),
        (elem(ElemFn::Sigmoid, num(0)), qm(1, 1, &[q(1, 2)])),
        (
            un(Op::LogDet, node(Op::Eye, vec![], m2), SC),
            qm(1, 1, &qs(&[0])),
        ),
    ];
    for (e, want) in cases {
        assert_eq!(closed_eval(&e).as_ref(), Ok(&want), "{:?}", e.op);
    }
    // Partial and transcendental functions.
    let undefined = |e: &Expr| matches!(closed_eval(e), Err(EvalError::Undefined(_)));
    assert!(undefined(&node(Op::Div, vec![num(1), num(0)], SC)));
    assert!(undefined(&elem(ElemFn::Log, num(-1))));
    assert!(undefined(&un(Op::LogDet, lit(2, 2, &[0, 1, 1, 0]), SC)));
    assert!(undefined(&un(Op::Inv, lit(2, 2, &[1, 2, 2, 4]), m2)));
    assert_eq!(
        closed_eval(&elem(ElemFn::Exp, num(1))),
        Err(EvalError::NotExact)
    );
    assert_eq!(
        closed_eval(&un(Op::Smax, a.clone(), SC)),
        Err(EvalError::NotExact)
    );
    assert!(matches!(
        closed_eval(&node(Op::Component, vec![v.clone(), num(3)], SC)),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn floats_singular_values_and_stable_softmax() {
    let b = B::default();
    let inst = b.sample(0, 0, false);
    let a = lit(2, 2, &[3, 0, 0, -2]);
    let f = |e: &Expr| ev_f64(&b, &inst, e).unwrap().data;
    assert_eq!(f(&un(Op::Smax, a.clone(), SC)), vec![3.0]);
    assert!((f(&un(Op::Smin, a.clone(), SC))[0] - 2.0).abs() < 1e-12);
    let big = lit(2, 1, &[1000, 1000]);
    assert_eq!(
        f(&un(Op::Softmax, big.clone(), vshape(c(2)))),
        vec![0.5, 0.5]
    );
    let lse = f(&un(Op::LogSumExp, big, SC))[0];
    assert!((lse - (1000.0 + 2f64.ln())).abs() < 1e-9);
    assert!((f(&elem(ElemFn::Sigmoid, num(-800)))[0]).abs() < 1e-300);
    // A relu argument near its kink is reported so the caller can redraw;
    // one exactly on it (structural zeros such as 1{relu(-1) > 0}) is not.
    let tiny = rat(1, 1 << 40);
    for e in [
        elem(ElemFn::Relu, tiny.clone()),
        elem(ElemFn::Step, neg(tiny.clone())),
        elem(ElemFn::Abs, tiny.clone()),
        node(Op::Max, vec![tiny.clone(), num(0)], SC),
        node(Op::Indicator(CmpOp::Gt), vec![tiny.clone(), num(0)], SC),
        un(Op::ElemPrime(ElemFn::Relu), tiny.clone(), SC),
    ] {
        assert_eq!(
            ev_f64(&b, &inst, &e),
            Err(EvalError::NearKink),
            "{:?}",
            e.op
        );
        // Exact arithmetic has no tolerance.
        assert!(ev_exact(&b, &inst, &e).is_ok());
    }
    let structural = node(
        Op::Indicator(CmpOp::Gt),
        vec![elem(ElemFn::Relu, num(-1)), num(0)],
        SC,
    );
    assert_eq!(f(&structural), vec![0.0]);
    assert_eq!(f(&elem(ElemFn::Relu, num(0))), vec![0.0]);
    // A zero that moves with the variable differentiated is a real kink.
    let mut b = B::default();
    let x = b.var("x", SC, &[]);
    let mut inst = b.sample(0, 0, false);
    inst.set_var(0, qm(1, 1, &qs(&[0])));
    let d = node(Op::D, vec![elem(ElemFn::Relu, x.clone()), x.clone()], SC);
    assert_eq!(ev_f64(&b, &inst, &d), Err(EvalError::NearKink));
    assert_eq!(ev_exact(&b, &inst, &d).unwrap().data, qs(&[0]));
    let d = node(
        Op::D,
        vec![elem(ElemFn::Relu, sub(x.clone(), x.clone())), x.clone()],
        SC,
    );
    assert_eq!(ev_f64(&b, &inst, &d).unwrap().data, vec![0.0]);
}

#[test]
fn sums_and_products_over_ranges() {
    let mut b = B::default();
    let (tl, te) = b.int_local("t");
    let m2 = mshape(c(2), c(2));
    // M[t] = [[1, t], [0, 1]] · [[1, 0], [1, 1]] does not commute across t.
    let mt = mul(
        node(
            Op::Literal { rows: 2, cols: 2 },
            vec![num(1), te.clone(), num(0), num(1)],
            m2,
        ),
        lit(2, 2, &[1, 0, 1, 1]),
    );
    let prod = |from: i64, to: i64, downto: bool| {
        node(
            Op::ProdRange { local: tl, downto },
            vec![num(from), num(to), mt.clone()],
            m2,
        )
    };
    let inst = b.sample(0, 0, true);
    let at = |t: i64| ev_exact(&b, &inst, &prod(t, t, false)).unwrap();
    let m1 = at(1);
    let m2v = at(2);
    let m3 = at(3);
    let up = ev_exact(&b, &inst, &prod(1, 3, false)).unwrap();
    assert_eq!(up, m1.matmul(&m2v).unwrap().matmul(&m3).unwrap());
    let down = ev_exact(&b, &inst, &prod(3, 1, true)).unwrap();
    assert_eq!(down, m3.matmul(&m2v).unwrap().matmul(&m1).unwrap());
    assert_ne!(up, down);
    // Empty product: identity; empty sum: zeros of the body's shape.
    assert_eq!(
        ev_exact(&b, &inst, &prod(3, 2, false)).unwrap(),
        Matrix::identity(2)
    );
    let sum = |from: i64, to: i64| {
        node(
            Op::SumRange(tl),
            vec![num(from), num(to), mul(te.clone(), lit(2, 1, &[1, 2]))],
            vshape(c(2)),
        )
    };
    assert_eq!(
        ev_exact(&b, &inst, &sum(1, 4)).unwrap(),
        qm(2, 1, &qs(&[10, 20]))
    );
    assert_eq!(
        ev_exact(&b, &inst, &sum(1, 0)).unwrap(),
        qm(2, 1, &qs(&[0, 0]))
    );
}

#[test]
fn softmax_component_derivatives_with_indices() {
    let mut b = B::default();
    let k = b.dim("k", None);
    let z = b.var("z", vshape(k), &[]);
    let yhat = b.let_("yhat", un(Op::Softmax, z.clone(), vshape(k)));
    b.p.idxs.push(crate::ir::IdxDecl {
        name: "i".into(),
        range: k,
        span: sp(),
    });
    b.p.idxs.push(crate::ir::IdxDecl {
        name: "j".into(),
        range: k,
        span: sp(),
    });
    let (i, j) = (node(Op::Idx(0), vec![], SC), node(Op::Idx(1), vec![], SC));
    let comp = |v: &Expr, ix: &Expr| node(Op::Component, vec![v.clone(), ix.clone()], SC);
    let lhs = node(Op::D, vec![comp(&yhat, &i), comp(&z, &j)], SC);
    let rhs = mul(
        comp(&yhat, &i),
        sub(
            node(Op::Delta, vec![i.clone(), j.clone()], SC),
            comp(&yhat, &j),
        ),
    );
    let wrong = mul(comp(&yhat, &i), sub(num(1), comp(&yhat, &j)));
    let inst = b.sample(9, 0, false);
    let n = inst.dim(k) as i64;
    let mut differs = false;
    for iv in 1..=n {
        for jv in 1..=n {
            let env = vec![(0, iv), (1, jv)];
            let l = eval::<f64>(&b.p, &inst, &lhs, &env, 1e-9).unwrap();
            let r = eval::<f64>(&b.p, &inst, &rhs, &env, 1e-9).unwrap();
            assert!(close(&l, &r, 1e-12, 1e-9));
            let w = eval::<f64>(&b.p, &inst, &wrong, &env, 1e-9).unwrap();
            differs |= !close(&l, &w, 1e-5, 1e-3);
        }
    }
    assert!(differs);
    // A free index without a value is an error, not a panic.
    assert!(matches!(
        eval::<f64>(&b.p, &inst, &lhs, &vec![], 1e-9),
        Err(EvalError::Unsupported(_))
    ));
    // sum(j, ·) runs over the index's range: Σ_j yhat[j] = 1.
    let s = node(Op::SumIdx(1), vec![comp(&yhat, &j)], SC);
    let total = eval::<f64>(&b.p, &inst, &s, &vec![], 1e-9).unwrap();
    assert!((total.data[0] - 1.0).abs() < 1e-12);
}

/// Question 1's construction of one constant piece, at exact points.
#[test]
fn step_construction_holds_under_the_assumption() {
    let mut b = B::default();
    let x = b.var("x", SC, &[]);
    let a = b.var("a", SC, &[]);
    let bv = b.var("b", SC, &[]);
    let cv = b.var("c", SC, &[]);
    b.p.assumes.push(crate::ir::Assumption {
        lhs: a.clone(),
        op: CmpOp::Lt,
        rhs: bv.clone(),
        span: sp(),
    });
    let step = |e: Expr| elem(ElemFn::Step, e);
    let lhs = add(
        mul(neg(cv.clone()), step(sub(x.clone(), bv.clone()))),
        mul(cv.clone(), step(sub(x.clone(), a.clone()))),
    );
    let ind = |op, l: Expr, r: Expr| node(Op::Indicator(op), vec![l, r], SC);
    let rhs = mul(
        mul(cv.clone(), ind(CmpOp::Le, a.clone(), x.clone())),
        ind(CmpOp::Lt, x.clone(), bv.clone()),
    );
    for draw in 0..40 {
        let inst = b.sample(3, draw, true);
        let (av, bvv) = (&inst.var(1).exact.data[0], &inst.var(2).exact.data[0]);
        assert!(av < bvv, "assume a < b violated");
        assert_eq!(ev_exact(&b, &inst, &lhs), ev_exact(&b, &inst, &rhs));
    }
    // Without the assumption the identity fails somewhere (a > b).
    b.p.assumes.clear();
    let fails = (0..40).any(|draw| {
        let inst = b.sample(3, draw, true);
        ev_exact(&b, &inst, &lhs) != ev_exact(&b, &inst, &rhs)
    });
    assert!(fails);
}

fn is_symmetric(m: &Matrix<BigRational>) -> bool {
    m.rows == m.cols && *m == m.transpose()
}

#[test]
fn sampler_honours_attributes() {
    use num_traits::{One, Signed, Zero};
    let mut b = B::default();
    let n = b.dim("n", None);
    let k = b.dim("k", None);
    let t5 = b.dim("T", Some(5));
    for (name, attrs) in [
        ("y", vec![Attr::Onehot]),
        ("p", vec![Attr::Simplex]),
        ("w", vec![Attr::Positive]),
    ] {
        b.var(name, vshape(k), &attrs);
    }
    b.var("S", mshape(n, n), &[Attr::Symmetric]);
    b.var("P", mshape(n, n), &[Attr::Spd]);
    b.var("A", mshape(n, n), &[Attr::Invertible]);
    for exact in [true, false] {
        for draw in 0..20 {
            let inst = b.sample(17, draw, exact);
            // Sizes 1..=8; distinct from each other and from the fixed
            // T = 5 first, all ones last.
            for d in [n, k] {
                assert!((1..=8).contains(&inst.dim(d)));
            }
            match draw % 5 {
                4 => assert_eq!((inst.dim(n), inst.dim(k)), (1, 1)),
                0 => {
                    assert_ne!(inst.dim(n), inst.dim(k), "symbolic dims must differ");
                    assert!(inst.dim(n) != 5 && inst.dim(k) != 5);
                }
                _ => {}
            }
            assert_eq!(inst.dim(t5), 5);
            let y = &inst.var(0).exact;
            assert_eq!(y.data.iter().filter(|v| v.is_one()).count(), 1);
            assert!(y.data.iter().all(|v| v.is_one() || v.is_zero()));
            let p = &inst.var(1).exact;
            assert!(p.data.iter().all(|v| v.is_positive()));
            assert!(p.sum().is_one());
            assert!(inst.var(2).exact.data.iter().all(|v| v.is_positive()));
            assert!(is_symmetric(&inst.var(3).exact));
            let spd = &inst.var(4).exact;
            assert!(is_symmetric(spd));
            // Positive definite: every leading principal minor is positive.
            for m in 1..=spd.rows {
                let minor = Matrix::new(
                    m,
                    m,
                    (0..m * m).map(|e| spd.get(e / m, e % m).clone()).collect(),
                );
                assert!(minor.det().unwrap().is_positive());
            }
            assert!(!inst.var(5).exact.det().unwrap().is_zero());
            // Unit-scale entries: magnitude 1/1024 to 3.
            let w = &inst.var(2).exact;
            assert!(w.data.iter().all(|v| *v <= q(3, 1) && *v >= q(1, 1024)));
            // Floats are the rationals' nearest values.
            assert_eq!(
                inst.var(2).float.data[0],
                inst.var(2).exact.data[0].to_f64()
            );
        }
    }
}

#[test]
fn sampling_is_deterministic_per_seed_and_draw() {
    let r = rnn();
    let x = 0; // the sequence `x`
    let all_vars: Vec<usize> = (0..r.b.p.vars.len()).collect();
    let show = |seed: u64, draw: u32| {
        let inst = sample(
            &r.b.p,
            &SampleOptions {
                seed,
                draw,
                dim_overrides: vec![(r.t_dim, 3)],
                exact: false,
            },
        )
        .unwrap();
        let v = eval::<f64>(&r.b.p, &inst, &r.loss, &vec![], 1e-9).unwrap();
        let dims: Vec<usize> = (0..r.b.p.dims.len()).collect();
        (inst.describe(&r.b.p, &dims, &all_vars, &[x, r.h]), v)
    };
    let (d1, v1) = show(5, 0);
    let (d2, v2) = show(5, 0);
    assert_eq!(d1, d2);
    assert_eq!(v1, v2);
    let (d3, v3) = show(5, 1);
    assert_ne!(d1, d3);
    assert_ne!(v1, v3);
    let (d4, _) = show(6, 0);
    assert_ne!(d1, d4);
    assert!(
        d1.contains("T = 3") && d1.contains("U = [[") && d1.contains("x[2] = ["),
        "{d1}"
    );
}

#[test]
fn describe_writes_exact_and_rounded_values() {
    let mut b = B::default();
    let v = b.var("v", vshape(c(2)), &[]);
    let s = b.var("s", SC, &[]);
    let _ = (v, s);
    let mut inst = b.sample(0, 0, true);
    inst.set_var(0, qm(2, 1, &[q(1, 3), q(-2, 1)]));
    inst.set_var(1, qm(1, 1, &[q(3, 4)]));
    assert_eq!(
        inst.describe(&b.p, &[], &[0, 1], &[]),
        "v = [1/3, -2], s = 3/4"
    );
    let mut inst = b.sample(0, 0, false);
    inst.set_var(0, qm(2, 1, &[q(1, 3), q(-20000, 3)]));
    inst.set_var(1, qm(1, 1, &[q(3, 4)]));
    assert_eq!(
        inst.describe(&b.p, &[], &[0, 1], &[]),
        "v = [0.3333, -6667], s = 0.75"
    );
    let m = qm(2, 2, &[q(1, 2), q(0, 1), q(-3, 1), q(7, 3)]);
    assert_eq!(show_value(&m), "[[1/2, 0], [-3, 7/3]]");
    let m = Matrix::new(1, 2, vec![1.0 / 3.0, 123456.0]);
    assert_eq!(show_value(&m), "[[0.3333, 1.235e5]]");
    assert_eq!(show_value(&Matrix::scalar(2.5e-7)), "2.500e-7");
}

/// The example files, resolved by the real front end and every claim
/// evaluated numerically: claims expected to hold agree at every point,
/// claims expected to be refuted disagree at some point.
mod files {
    use super::*;
    use crate::ir::{Claim, Expect, Relation, WorkKind};

    /// Both sides of every step at one point: Some(true/false), or None
    /// when a side cannot be evaluated there (near a kink, undefined, not
    /// exact).
    fn steps_hold<S: Scalar>(
        p: &Program,
        inst: &Instance,
        claim: &Claim,
        env: &IdxEnv,
    ) -> Option<bool> {
        let tol = if S::EXACT { 0.0 } else { 1e-7 };
        let mut prev = &claim.first;
        for step in &claim.steps {
            let l = eval::<S>(p, inst, prev, env, tol);
            let r = eval::<S>(p, inst, &step.rhs, env, tol);
            let (l, r) = match (l, r) {
                (Ok(l), Ok(r)) => (l, r),
                (Err(EvalError::NearKink | EvalError::Undefined(_) | EvalError::NotExact), _)
                | (_, Err(EvalError::NearKink | EvalError::Undefined(_) | EvalError::NotExact)) => {
                    return None;
                }
                (Err(e), _) | (_, Err(e)) => panic!("{e}"),
            };
            let ok = l.dims() == r.dims()
                && l.data.iter().zip(&r.data).all(|(a, b)| {
                    let (x, y) = (a.to_f64(), b.to_f64());
                    // Floats get a little slack; exact values none.
                    let slack = if S::EXACT { 0.0 } else { 1e-9 + 1e-7 * y.abs() };
                    let o = a.cmp_value(b);
                    match step.relation {
                        Relation::Eq => o == std::cmp::Ordering::Equal || (x - y).abs() <= slack,
                        Relation::Cmp(CmpOp::Le | CmpOp::Lt) => x <= y + slack,
                        Relation::Cmp(CmpOp::Ge | CmpOp::Gt) => x >= y - slack,
                    }
                });
            if !ok {
                return Some(false);
            }
            prev = &step.rhs;
        }
        Some(true)
    }

    fn idx_envs(p: &Program, inst: &Instance, e: &Claim) -> Vec<IdxEnv> {
        let mut used = Vec::new();
        let mut note = |x: &Expr| {
            x.walk(&mut |n| {
                if let Op::Idx(i) = n.op
                    && !used.contains(&i)
                {
                    used.push(i);
                }
            })
        };
        note(&e.first);
        e.steps.iter().for_each(|s| note(&s.rhs));
        let mut envs: Vec<IdxEnv> = vec![vec![]];
        for i in used {
            let n = inst.dim(p.idxs[i].range) as i64;
            envs = envs
                .into_iter()
                .flat_map(|env| {
                    (1..=n).map(move |v| {
                        let mut env = env.clone();
                        env.push((i, v));
                        env
                    })
                })
                .collect();
        }
        envs
    }

    fn check_file(name: &str, src: &str) -> usize {
        let (_, p) = crate::load(name, src.as_bytes()).expect("example resolves");
        let t_dim = p.dims.iter().position(|d| d.name == "T");
        let mut claims = 0;
        for w in &p.work {
            let WorkKind::Claim(claim) = &w.kind else {
                continue;
            };
            claims += 1;
            let mut evaluated = 0;
            let mut failed = false;
            for draw in 0..16u32 {
                let overrides = t_dim
                    .map(|t| vec![(t, 1 + draw as u64 % 4)])
                    .unwrap_or_default();
                let exact = draw % 2 == 0;
                let inst = sample(
                    &p,
                    &SampleOptions {
                        seed: 2024,
                        draw,
                        dim_overrides: overrides,
                        exact,
                    },
                )
                .unwrap();
                for env in idx_envs(&p, &inst, claim) {
                    let r = if exact {
                        steps_hold::<BigRational>(&p, &inst, claim, &env)
                    } else {
                        steps_hold::<f64>(&p, &inst, claim, &env)
                    };
                    match r {
                        Some(true) => evaluated += 1,
                        Some(false) => {
                            evaluated += 1;
                            failed = true;
                        }
                        None => {}
                    }
                }
            }
            assert!(evaluated > 0, "{name}:{}: never evaluated", w.line);
            match claim.expect {
                Expect::Holds => assert!(!failed, "{name}:{}: claim fails", w.line),
                Expect::Refuted => assert!(failed, "{name}:{}: never refuted", w.line),
            }
        }
        claims
    }

    #[test]
    fn example_claims_evaluate_as_expected() {
        let files = [
            ("q1", include_str!("testdata/q1_step_activation.grad")),
            ("q2", include_str!("testdata/q2_relu_xor.grad")),
            ("q3", include_str!("testdata/q3_backprop.grad")),
            ("q3s", include_str!("testdata/q3_softmax_derivation.grad")),
            ("rnn", include_str!("testdata/rnn_bptt.grad")),
        ];
        let total: usize = files.iter().map(|(n, s)| check_file(n, s)).sum();
        assert!(total >= 20, "{total} claims");
    }
}

/// `g'` and `L'` of the drawn instances are the derivatives of `g` and `L`,
/// in floats and exactly.
#[test]
fn declared_functions_have_consistent_derivatives() {
    let mut b = B::default();
    let n = b.dim("n", None);
    let v = b.var("v", vshape(n), &[]);
    let s = b.var("s", SC, &[]);
    let g = b.fun("g", FunKind::Elementwise);
    let l = b.fun(
        "L",
        FunKind::Map {
            from: vshape(n),
            to: SC,
        },
    );
    let gs = node(Op::Fun(g), vec![s.clone()], SC);
    let gps = node(Op::FunPrime(g), vec![s.clone()], SC);
    let lv = node(Op::Fun(l), vec![v.clone()], SC);
    let lpv = node(Op::FunPrime(l), vec![v.clone()], vshape(n));
    let dg = node(Op::D, vec![gs.clone(), s.clone()], SC);
    let gl = grad(lv.clone(), v.clone());
    // Second derivatives through the instances: d(g'(s), s) by duals of duals.
    let d2 = node(Op::D, vec![dg.clone(), s.clone()], SC);
    let d2p = node(Op::D, vec![gps.clone(), s.clone()], SC);
    for draw in 0..6 {
        let inst = b.sample(8, draw, false);
        let f = |e: &Expr| ev_f64(&b, &inst, e).unwrap();
        assert!(close(&f(&dg), &f(&gps), 1e-12, 1e-10));
        assert!(close(&f(&gl), &f(&lpv), 1e-12, 1e-10));
        assert!(close(&f(&d2), &f(&d2p), 1e-12, 1e-10));
        let fd = finite_difference(&b.p, &inst, &lv, &v, &vec![]).unwrap();
        assert!(close(&fd, &f(&lpv), 1e-5, 1e-3));
        // The drawn functions are not linear.
        assert_ne!(f(&d2).data[0], 0.0);
        let inst = b.sample(8, draw, true);
        let e = |x: &Expr| ev_exact(&b, &inst, x).unwrap();
        assert_eq!(e(&dg), e(&gps));
        assert_eq!(e(&gl), e(&lpv));
        assert_eq!(e(&d2), e(&d2p));
    }
    // Different draws give different functions.
    let at = |draw| ev_f64(&b, &b.sample(8, draw, false), &gs).unwrap();
    assert_ne!(at(0), at(1));
}

/// Derivatives with respect to a component of a sequence element and to a
/// given initial element agree with finite differences.
#[test]
fn derivatives_with_respect_to_sequence_elements() {
    let r = rnn();
    let b = &r.b;
    let tv = node(Op::DimValue(Dim::Sym(r.t_dim)), vec![], SC);
    let ht = b.at(r.h, tv.clone());
    let h0 = b.at(r.h, num(0));
    let inst = rnn_instance(&b.p, r.t_dim, 3, 0);
    let g = ev_f64(b, &inst, &grad(r.loss.clone(), ht.clone())).unwrap();
    let comp = node(Op::Component, vec![ht.clone(), num(2)], SC);
    let d = ev_f64(b, &inst, &node(Op::D, vec![r.loss.clone(), comp], SC)).unwrap();
    assert_eq!(d.data[0], g.data[1]);
    let jac = ev_f64(
        b,
        &inst,
        &node(Op::Jac, vec![ht.clone(), h0.clone()], mshape(r.n, r.n)),
    )
    .unwrap();
    let fd = finite_difference(&b.p, &inst, &ht, &h0, &vec![]).unwrap();
    assert!(close(&fd, &jac, 1e-5, 1e-3), "{fd:?} vs {jac:?}");
    // h[T] at T = 3 depends on h[0] through three steps: not the identity.
    assert_ne!(jac, Matrix::identity(jac.rows));
    // A time outside the sequence is an error.
    let before = b.at(r.h, num(-1));
    assert!(matches!(
        ev_f64(b, &inst, &before),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn values_too_large_to_build_are_errors() {
    let mut b = B::default();
    let n = b.dim("n", Some(100_000));
    b.var("W", mshape(n, n), &[]);
    let r = sample(&b.p, &SampleOptions::default());
    assert!(matches!(r, Err(EvalError::Unsupported(_))));
    let mut b = B::default();
    let n = b.dim("n", Some(100_000));
    let inst = b.sample(0, 0, false);
    let eye = node(Op::Eye, vec![], mshape(n, n));
    assert!(matches!(
        ev_f64(&b, &inst, &eye),
        Err(EvalError::Unsupported(_))
    ));
    let ones = node(Op::Ones, vec![], vshape(n));
    assert_eq!(
        ev_f64(&b, &inst, &un(Op::Sum, ones, SC)).unwrap().data,
        vec![1e5]
    );
}
