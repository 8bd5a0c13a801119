//! Test support shared by derive and simplify: a hand-built program builder and
//! a small f64 evaluator, so every derivative and rewrite rule is checked
//! against numbers (central finite differences, random points).

use crate::ir::*;
use crate::span::Span;
use nalgebra::DMatrix;
use num_traits::ToPrimitive;
use std::collections::HashMap;

pub type M = DMatrix<f64>;

pub const SP: Span = Span { start: 0, end: 0 };

#[derive(Default)]
pub struct B {
    pub p: Program,
}

impl B {
    pub fn dim(&mut self, name: &str, value: u64) -> Dim {
        self.p.dims.push(DimDecl {
            name: name.into(),
            value: Some(value),
            span: SP,
        });
        Dim::Sym(self.p.dims.len() - 1)
    }
    pub fn sym_dim(&mut self, name: &str) -> Dim {
        self.p.dims.push(DimDecl {
            name: name.into(),
            value: None,
            span: SP,
        });
        Dim::Sym(self.p.dims.len() - 1)
    }
    pub fn var(&mut self, name: &str, shape: Shape, attrs: Vec<Attr>) -> Expr {
        self.p.vars.push(VarDecl {
            name: name.into(),
            shape,
            attrs,
            span: SP,
        });
        Expr::leaf(Op::Var(self.p.vars.len() - 1), shape, SP)
    }
    pub fn let_(&mut self, name: &str, body: Expr) -> Expr {
        let shape = body.shape;
        self.p.lets.push(LetDecl {
            name: name.into(),
            params: vec![],
            is_function: false,
            body,
            span: SP,
        });
        Expr::leaf(Op::Let(self.p.lets.len() - 1), shape, SP)
    }
    pub fn fun(&mut self, name: &str, kind: FunKind) -> FunId {
        self.p.funs.push(FunDecl {
            name: name.into(),
            kind,
            span: SP,
        });
        self.p.funs.len() - 1
    }
    pub fn local(&mut self, name: &str, kind: LocalKind) -> LocalId {
        self.p.locals.push(LocalDecl {
            name: name.into(),
            kind,
            span: SP,
        });
        self.p.locals.len() - 1
    }
}

pub fn op1(op: Op, a: Expr) -> Expr {
    let s = match op {
        Op::Sum | Op::LogSumExp | Op::Norm | Op::Tr | Op::Det | Op::LogDet => Shape::SCALAR,
        Op::Diag => Shape::new(a.shape.rows, a.shape.rows),
        Op::Transpose => a.shape.transposed(),
        _ => a.shape,
    };
    Expr::new(op, vec![a], s, SP)
}
pub fn op2(op: Op, a: Expr, b: Expr) -> Expr {
    let s = match op {
        Op::Mul => Shape::new(a.shape.rows, b.shape.cols),
        Op::Scale if a.shape.is_scalar() => b.shape,
        _ => a.shape,
    };
    Expr::new(op, vec![a, b], s, SP)
}
pub fn ef(f: ElemFn, a: Expr) -> Expr {
    op1(Op::Elem(f), a)
}
pub fn d2(op: Op, f: Expr, x: Expr) -> Expr {
    let shape = match op {
        Op::Grad => x.shape,
        Op::Jac => Shape::new(f.shape.rows, x.shape.rows),
        Op::Hess => Shape::new(x.shape.rows, x.shape.rows),
        _ => Shape::SCALAR,
    };
    Expr::new(op, vec![f, x], shape, SP)
}
/// Values for variables and given sequence elements, fixed smooth functions for `fun`s.
#[derive(Clone, Default)]
pub struct Env {
    pub vars: HashMap<VarId, M>,
    pub seqs: HashMap<(SeqId, i64), M>,
    pub adjoints: Vec<M>,
}

pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        self.next() * 2.0 - 1.0
    }
}

pub fn dimv(p: &Program, d: Dim) -> usize {
    p.dim_value(d).expect("test dims are concrete") as usize
}

/// Random values respecting declared attributes.
pub fn sample(p: &Program, rng: &mut Rng) -> Env {
    let mut env = Env::default();
    for (i, v) in p.vars.iter().enumerate() {
        let (r, c) = (dimv(p, v.shape.rows), dimv(p, v.shape.cols));
        let mut m = M::from_fn(r, c, |_, _| rng.normal());
        if v.attrs.contains(&Attr::Onehot) {
            m = M::zeros(r, c);
            let k = (rng.next() * r as f64) as usize % r;
            m[(k, 0)] = 1.0;
        }
        if v.attrs.contains(&Attr::Simplex) {
            m = m.map(|x| x.abs() + 0.1);
            let s = m.sum();
            m /= s;
        }
        if v.attrs.contains(&Attr::Positive) {
            m = m.map(|x| x.abs() + 0.2);
        }
        if v.attrs.contains(&Attr::Symmetric) {
            m = (&m + m.transpose()) * 0.5;
        }
        if v.attrs.contains(&Attr::Spd) {
            m = &m * m.transpose() + M::identity(r, r) * (r as f64);
        }
        if v.attrs.contains(&Attr::Invertible) {
            m += M::identity(r, r) * (r as f64 + 1.0);
        }
        env.vars.insert(i, m);
    }
    for (i, s) in p.seqs.iter().enumerate() {
        let (r, c) = (dimv(p, s.shape.rows), dimv(p, s.shape.cols));
        for t in -1..12 {
            env.seqs
                .insert((i, t), M::from_fn(r, c, |_, _| rng.normal()));
        }
    }
    env
}

fn g(x: f64) -> f64 {
    x + 0.5 * x.sin()
}
fn g1(x: f64) -> f64 {
    1.0 + 0.5 * x.cos()
}

pub fn scalar(x: f64) -> M {
    M::from_element(1, 1, x)
}

fn int(p: &Program, e: &Expr, env: &Env, locals: &HashMap<Op, f64>) -> i64 {
    eval_in(p, e, env, locals)[(0, 0)].round() as i64
}

pub fn eval(p: &Program, e: &Expr, env: &Env) -> M {
    eval_in(p, e, env, &HashMap::new())
}

fn softmax(v: &M) -> M {
    let mx = v.max();
    let e = v.map(|x| (x - mx).exp());
    let s = e.sum();
    e / s
}

pub fn eval_in(p: &Program, e: &Expr, env: &Env, locals: &HashMap<Op, f64>) -> M {
    let ev = |i: usize| eval_in(p, &e.args[i], env, locals);
    let (r, c) = (dimv(p, e.shape.rows), dimv(p, e.shape.cols));
    let ew = |m: M, f: &dyn Fn(f64) -> f64| m.map(f);
    match &e.op {
        Op::Num(x) => scalar(x.to_f64().unwrap()),
        Op::Var(v) => env.vars[v].clone(),
        Op::Let(l) => eval_in(p, &p.lets[*l].body, env, locals),
        Op::Local(_) | Op::Idx(_) => scalar(locals[&e.op]),
        Op::DimValue(d) => scalar(dimv(p, *d) as f64),
        Op::Eye => M::identity(r, c),
        Op::Ones => M::from_element(r, c, 1.0),
        Op::Zeros => M::zeros(r, c),
        Op::Adjoint(k) => env.adjoints[*k].clone(),
        Op::SeqAt(s) => {
            let t = int(p, &e.args[0], env, locals);
            let seq = &p.seqs[*s];
            for piece in &seq.pieces {
                if let SeqPiece::GivenAt { at, .. } = piece
                    && *at == t
                {
                    return env.seqs[&(*s, t)].clone();
                }
            }
            for piece in &seq.pieces {
                if let SeqPiece::Defined {
                    local, guard, body, ..
                } = piece
                {
                    let mut l2 = locals.clone();
                    l2.insert(Op::Local(*local), t as f64);
                    let ok = match guard {
                        None => true,
                        Some((op, b)) => {
                            let b = int(p, b, env, &l2);
                            match op {
                                CmpOp::Lt => t < b,
                                CmpOp::Le => t <= b,
                                CmpOp::Gt => t > b,
                                CmpOp::Ge => t >= b,
                            }
                        }
                    };
                    if ok {
                        return eval_in(p, body, env, &l2);
                    }
                }
            }
            env.seqs[&(*s, t)].clone()
        }
        Op::Component => {
            let b = ev(0);
            let i = int(p, &e.args[1], env, locals) as usize - 1;
            let j = if e.args.len() > 2 {
                int(p, &e.args[2], env, locals) as usize - 1
            } else {
                0
            };
            scalar(b[(i, j)])
        }
        Op::Literal { rows, cols } => M::from_fn(*rows, *cols, |i, j| {
            eval_in(p, &e.args[i * cols + j], env, locals)[(0, 0)]
        }),
        Op::Neg => -ev(0),
        Op::Add => ev(0) + ev(1),
        Op::Sub => ev(0) - ev(1),
        Op::Mul => ev(0) * ev(1),
        Op::Scale => {
            let (a, b) = (ev(0), ev(1));
            if e.args[0].shape.is_scalar() {
                b * a[(0, 0)]
            } else {
                a * b[(0, 0)]
            }
        }
        Op::Hadamard => ev(0).component_mul(&ev(1)),
        Op::HadDiv => ev(0).component_div(&ev(1)),
        Op::Div => ev(0) / ev(1)[(0, 0)],
        Op::Pow => scalar(ev(0)[(0, 0)].powf(ev(1)[(0, 0)])),
        Op::ElemPow => {
            let q = ev(1)[(0, 0)];
            ev(0).map(|x| x.powf(q))
        }
        Op::MatPow(k) => {
            let m = ev(0);
            let mut acc = M::identity(m.nrows(), m.nrows());
            for _ in 0..*k {
                acc = &acc * &m;
            }
            acc
        }
        Op::Transpose => ev(0).transpose(),
        Op::Inv => ev(0).try_inverse().expect("invertible"),
        Op::Elem(f) | Op::ElemPrime(f) => {
            let m = ev(0);
            let p: Vec<f64> = (1..e.args.len()).map(|k| ev(k)[(0, 0)]).collect();
            let no_kink = |_: &f64| Ok(());
            if matches!(e.op, Op::Elem(_)) {
                ew(m, &|x| f.value(&x, &p, &no_kink).unwrap_or(f64::NAN))
            } else {
                ew(m, &|x| f.prime_value(&x, &p, &no_kink).unwrap_or(f64::NAN))
            }
        }
        Op::Max => ev(0).zip_map(&ev(1), f64::max),
        Op::Min => ev(0).zip_map(&ev(1), f64::min),
        Op::Indicator(op) => ev(0).zip_map(&ev(1), |a, b| {
            let t = match op {
                CmpOp::Lt => a < b,
                CmpOp::Le => a <= b,
                CmpOp::Gt => a > b,
                CmpOp::Ge => a >= b,
            };
            if t { 1.0 } else { 0.0 }
        }),
        Op::Delta => scalar(
            if int(p, &e.args[0], env, locals) == int(p, &e.args[1], env, locals) {
                1.0
            } else {
                0.0
            },
        ),
        Op::Softmax => softmax(&ev(0)),
        Op::LogSumExp => {
            let v = ev(0);
            let mx = v.max();
            scalar(mx + v.map(|x| (x - mx).exp()).sum().ln())
        }
        Op::Sum => scalar(ev(0).sum()),
        Op::Norm => scalar(ev(0).norm()),
        Op::Tr => scalar(ev(0).trace()),
        Op::Det => scalar(ev(0).determinant()),
        Op::LogDet => scalar(ev(0).determinant().ln()),
        Op::Diag => M::from_diagonal(&ev(0).column(0).into_owned()),
        Op::Fun(id) => match p.funs[*id].kind {
            FunKind::Elementwise => ev(0).map(g),
            FunKind::Map { .. } => scalar(ev(0).map(g).sum() + 0.3 * ev(0).norm_squared()),
        },
        Op::FunPrime(id) => match p.funs[*id].kind {
            FunKind::Elementwise => ev(0).map(g1),
            FunKind::Map { .. } => ev(0).map(g1) + ev(0) * 0.6,
        },
        Op::SumIdx(i) => {
            let n = dimv(p, p.idxs[*i].range);
            let mut acc = M::zeros(r, c);
            for t in 1..=n {
                let mut l2 = locals.clone();
                l2.insert(Op::Idx(*i), t as f64);
                acc += eval_in(p, &e.args[0], env, &l2);
            }
            acc
        }
        Op::SumRange(l) => {
            let (a, b) = (
                int(p, &e.args[0], env, locals),
                int(p, &e.args[1], env, locals),
            );
            let mut acc = M::zeros(r, c);
            for t in a..=b {
                let mut l2 = locals.clone();
                l2.insert(Op::Local(*l), t as f64);
                acc += eval_in(p, &e.args[2], env, &l2);
            }
            acc
        }
        Op::ProdRange { local, downto } => {
            let (a, b) = (
                int(p, &e.args[0], env, locals),
                int(p, &e.args[1], env, locals),
            );
            let ts: Vec<i64> = if *downto {
                (b..=a).rev().collect()
            } else {
                (a..=b).collect()
            };
            let mut acc = M::identity(r, c);
            for t in ts {
                let mut l2 = locals.clone();
                l2.insert(Op::Local(*local), t as f64);
                acc *= eval_in(p, &e.args[2], env, &l2);
            }
            acc
        }
        Op::CallLet(id) => {
            let d = &p.lets[*id];
            let mut env2 = env.clone();
            // parameters are bound through a private variable table
            let mut l2 = locals.clone();
            let _ = &mut l2;
            let mut body = d.body.clone();
            for (k, (param, a)) in d.params.iter().zip(&e.args).enumerate() {
                let vid = 1_000_000 + k;
                env2.vars.insert(vid, eval_in(p, a, env, locals));
                body = replace(&body, &Op::Local(*param), &Op::Var(vid));
            }
            eval_in(p, &body, &env2, locals)
        }
        op => panic!("test evaluator: {op:?}"),
    }
}

fn replace(e: &Expr, from: &Op, to: &Op) -> Expr {
    let op = if e.op == *from {
        to.clone()
    } else {
        e.op.clone()
    };
    Expr::new(
        op,
        e.args.iter().map(|a| replace(a, from, to)).collect(),
        e.shape,
        e.span,
    )
}

/// Central finite difference of scalar `f` w.r.t. variable `v`: a matrix of v's shape.
pub fn fd_grad(p: &Program, f: &Expr, v: VarId, env: &Env) -> M {
    let x = env.vars[&v].clone();
    let h = 1e-5;
    M::from_fn(x.nrows(), x.ncols(), |i, j| {
        let mut e1 = env.clone();
        let mut e2 = env.clone();
        e1.vars.get_mut(&v).unwrap()[(i, j)] += h;
        e2.vars.get_mut(&v).unwrap()[(i, j)] -= h;
        (eval(p, f, &e1)[(0, 0)] - eval(p, f, &e2)[(0, 0)]) / (2.0 * h)
    })
}

/// Central finite-difference Jacobian of vector `f` w.r.t. vector variable `v`.
pub fn fd_jac(p: &Program, f: &Expr, v: VarId, env: &Env) -> M {
    let x = env.vars[&v].clone();
    let fx = eval(p, f, env);
    let h = 1e-5;
    let mut out = M::zeros(fx.len(), x.len());
    for j in 0..x.len() {
        let mut e1 = env.clone();
        let mut e2 = env.clone();
        e1.vars.get_mut(&v).unwrap()[j] += h;
        e2.vars.get_mut(&v).unwrap()[j] -= h;
        let d = (eval(p, f, &e1) - eval(p, f, &e2)) / (2.0 * h);
        for i in 0..fx.len() {
            out[(i, j)] = d[i];
        }
    }
    out
}

pub fn close(a: &M, b: &M, tol: f64) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())))
}
