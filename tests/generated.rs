//! Generated expressions: thousands of random well-shaped expressions over
//! the built-ins (depth up to 6) are derived symbolically and compared with
//! forward-mode derivatives and central finite differences. No disagreement
//! is allowed.

use gradproof::derive;
use gradproof::eval::{self, EvalError, SampleOptions};
use gradproof::ir::{Dim, ElemFn, Expr, Op, Program, Shape};
use gradproof::span::Span;
use num_rational::BigRational;

const HEADER: &str = "dim n\nvar x: vec[n]\nvar u: vec[n]\nvar p: vec[n] positive\nvar W: mat[n, n]\nvar A: mat[n, n]\nvar s: scalar\n";

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Scalar,
    Vector,
    Matrix,
}

struct Gen<'a> {
    prog: &'a Program,
    rng: Rng,
    n: Dim,
}

impl Gen<'_> {
    fn var(&self, name: &str) -> Expr {
        let id = self.prog.vars.iter().position(|v| v.name == name).unwrap();
        Expr::leaf(Op::Var(id), self.prog.vars[id].shape, Span::default())
    }
    fn node(op: Op, args: Vec<Expr>, shape: Shape) -> Expr {
        Expr::new(op, args, shape, Span::default())
    }
    fn shape(&self, k: Kind) -> Shape {
        match k {
            Kind::Scalar => Shape::SCALAR,
            Kind::Vector => Shape::vector(self.n),
            Kind::Matrix => Shape::new(self.n, self.n),
        }
    }
    fn num(&mut self) -> Expr {
        let k = self.rng.below(7) as i64 - 3;
        Self::node(
            Op::Num(BigRational::from_integer(k.into())),
            vec![],
            Shape::SCALAR,
        )
    }

    fn int(&self, k: i64) -> Expr {
        Self::node(
            Op::Num(BigRational::from_integer(k.into())),
            vec![],
            Shape::SCALAR,
        )
    }

    /// `M Mᵀ + I`: symmetric positive definite, so `inv` and `logdet` are defined.
    fn gram(&mut self, depth: u32) -> Expr {
        let sh = self.shape(Kind::Matrix);
        let m = self.expr(Kind::Matrix, depth);
        let mt = Self::node(Op::Transpose, vec![m.clone()], sh);
        let mmt = Self::node(Op::Mul, vec![m, mt], sh);
        let eye = Self::node(Op::Eye, vec![], sh);
        Self::node(Op::Add, vec![mmt, eye], sh)
    }

    fn expr(&mut self, k: Kind, depth: u32) -> Expr {
        let sh = self.shape(k);
        if depth == 0 || self.rng.below(5) == 0 {
            return match k {
                Kind::Scalar => match self.rng.below(3) {
                    0 => self.var("s"),
                    1 => self.num(),
                    _ => {
                        let x = self.var("x");
                        Self::node(Op::Sum, vec![x], Shape::SCALAR)
                    }
                },
                Kind::Vector => {
                    let k = self.rng.below(3) as usize;
                    self.var(["x", "u", "p"][k])
                }
                Kind::Matrix => {
                    let k = self.rng.below(2) as usize;
                    self.var(["W", "A"][k])
                }
            };
        }
        let d = depth - 1;
        match k {
            Kind::Scalar => match self.rng.below(13) {
                9 => Self::node(Op::Det, vec![self.expr(Kind::Matrix, d)], sh),
                10 => {
                    // a quotient whose denominator cannot vanish: 1 + e²
                    let e = self.expr(Kind::Scalar, d);
                    let sq = Self::node(Op::Pow, vec![e, self.int(2)], sh);
                    let den = Self::node(Op::Add, vec![self.int(1), sq], sh);
                    Self::node(Op::Div, vec![self.expr(Kind::Scalar, d), den], sh)
                }
                11 => Self::node(Op::Neg, vec![self.expr(Kind::Scalar, d)], sh),
                12 => {
                    let m = self.gram(d);
                    Self::node(Op::LogDet, vec![m], sh)
                }
                0 => Self::node(Op::Sum, vec![self.expr(Kind::Vector, d)], sh),
                1 => {
                    let a = self.expr(Kind::Vector, d);
                    let b = self.expr(Kind::Vector, d);
                    let at = Self::node(Op::Transpose, vec![a], Shape::new(Dim::Const(1), self.n));
                    Self::node(Op::Mul, vec![at, b], sh)
                }
                2 => Self::node(
                    Op::Mul,
                    vec![self.expr(Kind::Scalar, d), self.expr(Kind::Scalar, d)],
                    sh,
                ),
                3 => Self::node(
                    Op::Add,
                    vec![self.expr(Kind::Scalar, d), self.expr(Kind::Scalar, d)],
                    sh,
                ),
                4 => Self::node(Op::LogSumExp, vec![self.expr(Kind::Vector, d)], sh),
                5 => Self::node(Op::Tr, vec![self.expr(Kind::Matrix, d)], sh),
                6 => Self::node(Op::Elem(ElemFn::Tanh), vec![self.expr(Kind::Scalar, d)], sh),
                7 => Self::node(Op::Norm, vec![self.expr(Kind::Vector, d)], sh),
                _ => {
                    let e = self.expr(Kind::Scalar, d);
                    Self::node(
                        Op::Pow,
                        vec![
                            e,
                            Self::node(Op::Num(BigRational::from_integer(2.into())), vec![], sh),
                        ],
                        sh,
                    )
                }
            },
            Kind::Vector => match self.rng.below(16) {
                11 => Self::node(Op::Elem(ElemFn::Abs), vec![self.expr(Kind::Vector, d)], sh),
                12 => Self::node(
                    Op::Max,
                    vec![self.expr(Kind::Vector, d), self.expr(Kind::Vector, d)],
                    sh,
                ),
                13 => Self::node(
                    Op::Min,
                    vec![self.expr(Kind::Vector, d), self.expr(Kind::Vector, d)],
                    sh,
                ),
                14 => {
                    let e = Self::node(Op::Elem(ElemFn::Exp), vec![self.expr(Kind::Vector, d)], sh);
                    Self::node(Op::Elem(ElemFn::Sqrt), vec![e], sh)
                }
                15 => Self::node(
                    Op::ElemPow,
                    vec![self.expr(Kind::Vector, d), self.int(3)],
                    sh,
                ),
                0 => Self::node(
                    Op::Mul,
                    vec![self.expr(Kind::Matrix, d), self.expr(Kind::Vector, d)],
                    sh,
                ),
                1 => Self::node(
                    Op::Add,
                    vec![self.expr(Kind::Vector, d), self.expr(Kind::Vector, d)],
                    sh,
                ),
                2 => Self::node(
                    Op::Sub,
                    vec![self.expr(Kind::Vector, d), self.expr(Kind::Vector, d)],
                    sh,
                ),
                3 => Self::node(
                    Op::Hadamard,
                    vec![self.expr(Kind::Vector, d), self.expr(Kind::Vector, d)],
                    sh,
                ),
                4 => Self::node(
                    Op::Scale,
                    vec![self.expr(Kind::Scalar, d), self.expr(Kind::Vector, d)],
                    sh,
                ),
                5 => Self::node(Op::Softmax, vec![self.expr(Kind::Vector, d)], sh),
                6 => Self::node(
                    Op::Elem(ElemFn::Sigmoid),
                    vec![self.expr(Kind::Vector, d)],
                    sh,
                ),
                7 => Self::node(Op::Elem(ElemFn::Relu), vec![self.expr(Kind::Vector, d)], sh),
                8 => {
                    // log and division only where the argument is known positive
                    let e = Self::node(Op::Elem(ElemFn::Exp), vec![self.expr(Kind::Vector, d)], sh);
                    let v = self.expr(Kind::Vector, d);
                    Self::node(Op::HadDiv, vec![v, e], sh)
                }
                9 => {
                    let pv = self.var("p");
                    Self::node(
                        Op::Elem(ElemFn::Log),
                        vec![Self::node(Op::Hadamard, vec![pv.clone(), pv], sh)],
                        sh,
                    )
                }
                _ => Self::node(Op::Elem(ElemFn::Tanh), vec![self.expr(Kind::Vector, d)], sh),
            },
            Kind::Matrix => match self.rng.below(7) {
                6 => {
                    let m = self.gram(d);
                    Self::node(Op::Inv, vec![m], sh)
                }
                0 => Self::node(
                    Op::Mul,
                    vec![self.expr(Kind::Matrix, d), self.expr(Kind::Matrix, d)],
                    sh,
                ),
                1 => Self::node(Op::Transpose, vec![self.expr(Kind::Matrix, d)], sh),
                2 => Self::node(Op::Diag, vec![self.expr(Kind::Vector, d)], sh),
                3 => {
                    let a = self.expr(Kind::Vector, d);
                    let b = self.expr(Kind::Vector, d);
                    let bt = Self::node(Op::Transpose, vec![b], Shape::new(Dim::Const(1), self.n));
                    Self::node(Op::Mul, vec![a, bt], sh)
                }
                4 => Self::node(
                    Op::Add,
                    vec![self.expr(Kind::Matrix, d), self.expr(Kind::Matrix, d)],
                    sh,
                ),
                _ => Self::node(Op::Elem(ElemFn::Tanh), vec![self.expr(Kind::Matrix, d)], sh),
            },
        }
    }
}

#[test]
fn random_expressions_derive_consistently() {
    let (_, prog) = gradproof::load("generated.grad", HEADER.as_bytes()).unwrap();
    let n = prog.vars[0].shape.rows;
    let mut g = Gen {
        prog: &prog,
        rng: Rng(2024),
        n,
    };
    let wrt_names = ["x", "W", "s"];
    let (mut compared, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for case in 0..2000u64 {
        let depth = 1 + (case % 6) as u32;
        let f = g.expr(Kind::Scalar, depth);
        let wrt = g.var(wrt_names[(case % 3) as usize]);
        let node = Expr::new(
            Op::Grad,
            vec![f.clone(), wrt.clone()],
            wrt.shape,
            Span::default(),
        );
        let derived = match derive::differentiate(&prog, &node) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("case {case}: cannot derive: {}", e.message));
                continue;
            }
        };
        let opts = SampleOptions {
            seed: case,
            draw: 0,
            dim_overrides: vec![],
            exact: false,
        };
        let inst = eval::sample(&prog, &opts).unwrap();
        let env = Vec::new();
        let ad = eval::eval::<f64>(&prog, &inst, &node, &env, 1e-4);
        let sym = eval::eval::<f64>(&prog, &inst, &derived, &env, 1e-4);
        match (ad, sym) {
            (Ok(ad), Ok(sym)) => {
                compared += 1;
                if !eval::close(&sym, &ad, 1e-6, 1e-6) {
                    failures.push(format!("case {case}: derived {sym:?}, forward mode {ad:?}"));
                    continue;
                }
                // float64 differences lose about |f|·1e-10 to rounding
                // (eps 1e-6), and |f| is large at mixed-magnitude points.
                let big = eval::eval::<f64>(&prog, &inst, &f, &env, 1e-4)
                    .map(|v| v.data.iter().fold(0.0f64, |m, x| m.max(x.abs())))
                    .unwrap_or(f64::INFINITY);
                if let Ok(fd) = eval::finite_difference(&prog, &inst, &f, &wrt, &env)
                    && !eval::close(&sym, &fd, 1e-4 + 1e-8 * big, 1e-3)
                {
                    failures.push(format!(
                        "case {case}: derived {sym:?}, finite differences {fd:?}"
                    ));
                }
            }
            (Err(EvalError::NearKink | EvalError::Undefined(_)), _)
            | (_, Err(EvalError::NearKink | EvalError::Undefined(_))) => skipped += 1,
            (a, b) => failures.push(format!("case {case}: evaluation failed: {a:?} / {b:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    assert!(
        compared >= 1500,
        "only {compared} compared ({skipped} skipped)"
    );
}
