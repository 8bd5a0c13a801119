//! Unit tests of name resolution and shape checking on hand-built ASTs
//! (the parser-driven cases live in tests/errors.rs).

use super::*;
use crate::diagnostics::Diagnostic;
use crate::ir::{Op, WorkKind};
use crate::span::Spanned;
use ast::{BinOp, ExprKind, LetForm, StmtKind, TypeExpr};
use num_bigint::BigInt;
use num_rational::BigRational;

/// Builds AST nodes whose spans point at the first occurrence of their text
/// in `src` (only messages quoting source text depend on it).
struct B {
    src: &'static str,
}

impl B {
    fn sp(&self, text: &str) -> Span {
        let start = self.src.find(text).unwrap_or(0);
        Span::new(start, start + text.len())
    }
    fn id(&self, s: &str) -> ast::Ident {
        Spanned::new(s.to_string(), self.sp(s))
    }
    fn e(&self, text: &str, k: ExprKind) -> ast::Expr {
        Spanned::new(k, self.sp(text))
    }
    fn n(&self, s: &str) -> ast::Expr {
        self.e(s, ExprKind::Name(s.to_string()))
    }
    fn num(&self, v: i64) -> ast::Expr {
        self.e(
            &v.to_string(),
            ExprKind::Num(BigRational::from_integer(v.into())),
        )
    }
    fn bin(&self, text: &str, op: BinOp, l: ast::Expr, r: ast::Expr) -> ast::Expr {
        self.e(
            text,
            ExprKind::Binary {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
        )
    }
    fn call(&self, text: &str, f: &str, args: Vec<ast::Expr>) -> ast::Expr {
        self.e(
            text,
            ExprKind::Call {
                func: self.id(f),
                prime: false,
                args,
            },
        )
    }
    fn at(&self, text: &str, base: ast::Expr, i: ast::Expr) -> ast::Expr {
        self.e(
            text,
            ExprKind::Index {
                base: Box::new(base),
                indices: vec![i],
            },
        )
    }
    fn stmt(&self, text: &str, kind: StmtKind) -> ast::Stmt {
        ast::Stmt {
            kind,
            span: self.sp(text),
        }
    }
    fn dims(&self, names: &[&str]) -> ast::Stmt {
        let items = names
            .iter()
            .map(|n| ast::DimItem {
                name: self.id(n),
                value: None,
            })
            .collect();
        self.stmt("dim", StmtKind::Dim(items))
    }
    fn dim_ref(&self, d: &str) -> ast::DimRef {
        ast::DimRef::Name(self.id(d))
    }
    fn var(&self, name: &str, ty: TypeExpr, attrs: &[&str]) -> ast::Stmt {
        self.stmt(
            name,
            StmtKind::Var {
                items: vec![ast::VarItem {
                    name: self.id(name),
                    seq: None,
                }],
                ty,
                attrs: attrs.iter().map(|a| self.id(a)).collect(),
            },
        )
    }
    fn vec_t(&self, d: &str) -> TypeExpr {
        TypeExpr::Vec(self.dim_ref(d), Span::default())
    }
    fn mat_t(&self, m: &str, n: &str) -> TypeExpr {
        TypeExpr::Mat(self.dim_ref(m), self.dim_ref(n), Span::default())
    }
    fn let_(&self, name: &str, value: ast::Expr) -> ast::Stmt {
        self.stmt(
            name,
            StmtKind::Let {
                name: self.id(name),
                form: LetForm::Plain,
                value,
                guard: None,
            },
        )
    }
    fn let_seq(&self, name: &str, t: &str, value: ast::Expr, guard: Option<i64>) -> ast::Stmt {
        let guard = guard.map(|g| ast::Guard {
            var: self.id(t),
            op: Spanned::new(ast::CmpOp::Ge, Span::default()),
            bound: self.num(g),
            span: Span::default(),
        });
        self.stmt(
            name,
            StmtKind::Let {
                name: self.id(name),
                form: LetForm::Indexed(self.id(t)),
                value,
                guard,
            },
        )
    }
    fn show(&self, e: ast::Expr) -> ast::Stmt {
        self.stmt("show", StmtKind::Show(e))
    }
    fn run(&self, stmts: Vec<ast::Stmt>) -> Result<Program, Vec<ResolveError>> {
        resolve(&ast::File { stmts }, self.src)
    }
    fn errors(&self, stmts: Vec<ast::Stmt>) -> Vec<String> {
        match self.run(stmts) {
            Ok(_) => panic!("expected errors"),
            Err(es) => es
                .into_iter()
                .map(|e| Diagnostic::from(e).message)
                .collect(),
        }
    }
}

fn shown(p: &Program, i: usize) -> &ir::Expr {
    match &p.work[i].kind {
        WorkKind::Show(e) => e,
        other => panic!("not a show: {other:?}"),
    }
}

#[test]
fn product_of_matrix_and_vector_is_mul_with_outer_dims() {
    let b = B { src: "W x" };
    let p = b
        .run(vec![
            b.dims(&["m", "n"]),
            b.var("W", b.mat_t("m", "n"), &[]),
            b.var("x", b.vec_t("n"), &[]),
            b.show(b.bin("W x", BinOp::Mul, b.n("W"), b.n("x"))),
        ])
        .unwrap();
    let e = shown(&p, 0);
    assert_eq!(e.op, Op::Mul);
    assert_eq!(p.shape_name(e.shape), "vec[m]");
    assert_eq!(
        dump::dump(&p).lines().last().unwrap(),
        "1: show (Mul W:mat[m,n] x:vec[n]) : vec[m]"
    );
}

#[test]
fn scalar_times_vector_is_scale_in_written_order() {
    let b = B { src: "s x" };
    let p = b
        .run(vec![
            b.dims(&["n"]),
            b.var("s", TypeExpr::Scalar(Span::default()), &[]),
            b.var("x", b.vec_t("n"), &[]),
            b.show(b.bin("s x", BinOp::Mul, b.n("s"), b.n("x"))),
        ])
        .unwrap();
    let e = shown(&p, 0);
    assert_eq!(e.op, Op::Scale);
    assert_eq!(e.args[0].op, Op::Var(0));
    assert_eq!(p.shape_name(e.shape), "vec[n]");
}

#[test]
fn mismatched_product_names_both_shapes() {
    let b = B { src: "W y" };
    let errs = b.errors(vec![
        b.dims(&["m", "n", "k"]),
        b.var("W", b.mat_t("m", "n"), &[]),
        b.var("y", b.vec_t("k"), &[]),
        b.show(b.bin("W y", BinOp::Mul, b.n("W"), b.n("y"))),
    ]);
    assert_eq!(
        errs,
        ["cannot multiply mat[m, n] by vec[k]: inner dimensions n and k differ"]
    );
}

#[test]
fn one_minus_vector_suggests_ones() {
    let b = B { src: "1 - v" };
    let r = b.run(vec![
        b.dims(&["k"]),
        b.var("v", b.vec_t("k"), &[]),
        b.show(b.bin("1 - v", BinOp::Sub, b.num(1), b.n("v"))),
    ]);
    let e = r.unwrap_err().remove(0);
    assert!(
        matches!(&e, ResolveError::Broadcast { subtract: true, fix, .. } if fix == "ones(k) - v"),
        "{e:?}"
    );
    let e = Diagnostic::from(e);
    assert_eq!(
        e.message,
        "cannot subtract vec[k] from scalar: the shapes differ"
    );
    assert_eq!(
        e.label,
        "there is no implicit broadcasting; write `ones(k) - v`"
    );
}

#[test]
fn duplicate_declaration_notes_the_first() {
    let b = B { src: "var x x" };
    let r = b.run(vec![
        b.dims(&["n"]),
        b.var("x", b.vec_t("n"), &[]),
        b.stmt(
            "x",
            StmtKind::Var {
                items: vec![ast::VarItem {
                    name: Spanned::new("x".into(), Span::new(6, 7)),
                    seq: None,
                }],
                ty: TypeExpr::Scalar(Span::default()),
                attrs: vec![],
            },
        ),
    ]);
    let e = r.unwrap_err().remove(0);
    assert_eq!(
        e,
        ResolveError::Duplicate {
            at: Span::new(6, 7),
            name: "x".into(),
            first: Span::new(4, 5)
        }
    );
    let e = Diagnostic::from(e);
    assert_eq!(e.message, "`x` is declared twice");
    assert_eq!(e.span, Span::new(6, 7));
    assert_eq!(
        e.notes,
        vec![(Span::new(4, 5), "`x` first declared here".to_string())]
    );
}

#[test]
fn reserved_and_unknown_names() {
    let b = B { src: "sum Xx" };
    let errs = b.errors(vec![
        b.dims(&["n"]),
        b.var("sum", b.vec_t("n"), &[]),
        b.var("xx", b.vec_t("n"), &[]),
        b.show(b.n("Xx")),
    ]);
    assert_eq!(
        errs,
        [
            "`sum` is the name of a built-in function and cannot be declared",
            "unknown name `Xx`"
        ]
    );
}

#[test]
fn attribute_must_fit_the_shape() {
    let b = B {
        src: "onehot symmetric shiny",
    };
    let errs = b.errors(vec![
        b.dims(&["m", "n"]),
        b.var("A", b.mat_t("m", "n"), &["onehot", "symmetric", "shiny"]),
    ]);
    assert_eq!(errs.len(), 3);
    assert!(errs[0].starts_with("attribute `onehot` needs a vector"));
    assert!(errs[1].starts_with("attribute `symmetric` needs a square matrix"));
    assert_eq!(errs[2], "unknown attribute `shiny`");
}

#[test]
fn cyclic_lets_are_reported_with_the_cycle() {
    let b = B { src: "a b" };
    let errs = b.errors(vec![
        b.let_("a", b.bin("a b", BinOp::Add, b.n("b"), b.num(1))),
        b.let_("b", b.n("a")),
    ]);
    assert_eq!(errs, ["cyclic definition: a → b → a"]);
}

#[test]
fn forward_reference_between_lets_resolves() {
    let b = B { src: "a b" };
    let p = b
        .run(vec![b.let_("a", b.n("b")), b.let_("b", b.num(2))])
        .unwrap();
    assert_eq!(p.lets[0].body.op, Op::Let(1));
}

#[test]
fn recurrence_on_earlier_time_is_fine_same_time_is_not() {
    let b = B { src: "h t z u" };
    let t_minus_1 = |b: &B| b.bin("t", BinOp::Sub, b.n("t"), b.num(1));
    let var_h0 = |b: &B| {
        b.stmt(
            "h",
            StmtKind::Var {
                items: vec![ast::VarItem {
                    name: b.id("h"),
                    seq: Some(ast::SeqIndex::At(Spanned::new(
                        BigInt::from(0),
                        Span::default(),
                    ))),
                }],
                ty: b.vec_t("n"),
                attrs: vec![],
            },
        )
    };
    // z[t] = h[t], h[t] = z[t - 1] for t >= 1: time decreases around the cycle
    let ok = b
        .run(vec![
            b.dims(&["n"]),
            var_h0(&b),
            b.let_seq("z", "t", b.at("z", b.n("h"), b.n("t")), None),
            b.let_seq("h", "t", b.at("h", b.n("z"), t_minus_1(&b)), Some(1)),
        ])
        .unwrap();
    assert_eq!(ok.seqs.len(), 2);
    assert_eq!(ok.shape_name(ok.seqs[1].shape), "vec[n]");
    // z[t] = h[t], h[t] = z[t]: same time
    let errs = b.errors(vec![
        b.dims(&["n"]),
        var_h0(&b),
        b.let_seq("z", "t", b.at("z", b.n("h"), b.n("t")), None),
        b.let_seq("h", "t", b.at("h", b.n("z"), b.n("t")), Some(1)),
    ]);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("cyclic definition: h[t] → z[t] → h[t]"),
        "{errs:?}"
    );
}

#[test]
fn grad_needs_a_scalar() {
    let b = B { src: "v x" };
    let errs = b.errors(vec![
        b.dims(&["k"]),
        b.var("x", b.vec_t("k"), &[]),
        b.let_("v", b.n("x")),
        b.show(b.call("v x", "grad", vec![b.n("v"), b.n("x")])),
    ]);
    assert_eq!(errs, ["grad needs a scalar function; v is vec[k], use jac"]);
}

#[test]
fn jac_shape_follows_f_then_x() {
    let b = B { src: "f x" };
    let p = b
        .run(vec![
            b.dims(&["k", "n"]),
            b.var("W", b.mat_t("k", "n"), &[]),
            b.var("x", b.vec_t("n"), &[]),
            b.let_("f", b.bin("f", BinOp::Mul, b.n("W"), b.n("x"))),
            b.show(b.call("f x", "jac", vec![b.n("f"), b.n("x")])),
        ])
        .unwrap();
    assert_eq!(p.shape_name(shown(&p, 0).shape), "mat[k, n]");
}

#[test]
fn wrong_arity_names_the_expected_count() {
    let b = B { src: "relu(x, x)" };
    let errs = b.errors(vec![
        b.var("x", TypeExpr::Scalar(Span::default()), &[]),
        b.show(b.call("relu(x, x)", "relu", vec![b.n("x"), b.n("x")])),
    ]);
    assert_eq!(errs, ["`relu` takes 1 argument, but 2 were given"]);
}

#[test]
fn indicator_widens_a_scalar_zero() {
    let b = B { src: "h 0" };
    let p = b
        .run(vec![
            b.dims(&["m"]),
            b.var("h", b.vec_t("m"), &[]),
            b.show(b.e(
                "h 0",
                ExprKind::Indicator {
                    lhs: Box::new(b.n("h")),
                    op: ast::CmpOp::Gt,
                    rhs: Box::new(b.num(0)),
                },
            )),
        ])
        .unwrap();
    let e = shown(&p, 0);
    assert_eq!(e.op, Op::Indicator(ast::CmpOp::Gt));
    assert_eq!(e.args[1].op, Op::Zeros);
    assert_eq!(p.shape_name(e.args[1].shape), "vec[m]");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let b = B { src: "x" };
    let mut e = b.n("x");
    for _ in 0..5000 {
        e = b.e("x", ExprKind::Neg(Box::new(e)));
    }
    let errs = b.errors(vec![
        b.var("x", TypeExpr::Scalar(Span::default()), &[]),
        b.show(e),
    ]);
    assert_eq!(
        errs,
        [format!(
            "expression is nested too deeply (more than {MAX_DEPTH} levels)"
        )]
    );
}

#[test]
fn one_edit_suggestion() {
    assert!(within_one_edit("yhat", "yht"));
    assert!(!within_one_edit("yhat", "yhta"));
    assert!(within_one_edit("relu", "rel"));
    assert!(!within_one_edit("abc", "xyz"));
}

// ---- through the parser

fn load(src: &str) -> Program {
    let file = crate::syntax::parse(src).unwrap_or_else(|e| panic!("{e:?}"));
    resolve(&file, src).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn load_err(src: &str) -> Vec<String> {
    let file = crate::syntax::parse(src).unwrap_or_else(|e| panic!("{e:?}"));
    match resolve(&file, src) {
        Ok(_) => panic!("expected errors"),
        Err(es) => es
            .into_iter()
            .map(|e| Diagnostic::from(e).message)
            .collect(),
    }
}

fn show_lines(src: &str) -> Vec<String> {
    let p = load(src);
    dump::dump(&p)
        .lines()
        .filter(|l| l.contains(": show "))
        .map(|l| l.split_once(": show ").unwrap().1.to_string())
        .collect()
}

#[test]
fn powers_of_square_matrices() {
    let lines =
        show_lines("dim n\nvar A: mat[n, n]\nshow A^-T\nshow A^2\nshow A^-2\nshow A .^ 2\n");
    assert_eq!(
        lines,
        [
            "(Transpose (Inv A:mat[n,n]):mat[n,n]) : mat[n,n]",
            "(MatPow 2 A:mat[n,n]) : mat[n,n]",
            "(MatPow 2 (Inv A:mat[n,n]):mat[n,n]) : mat[n,n]",
            "(ElemPow A:mat[n,n] 2:scalar) : mat[n,n]",
        ]
    );
}

#[test]
fn constants_take_their_shape_from_the_arguments() {
    let lines = show_lines(
        "dim m, n\nshow eye(n)\nshow ones(n)\nshow zeros(m, 3)\nshow sum(ones(n)) / n\n",
    );
    assert_eq!(
        lines,
        [
            "(Eye) : mat[n,n]",
            "(Ones) : vec[n]",
            "(Zeros) : mat[m,3]",
            "(Div (Sum (Ones):vec[n]):scalar (dim n):scalar) : scalar",
        ]
    );
}

#[test]
fn declared_functions_and_their_primes() {
    let lines = show_lines(
        "dim n\nvar v: vec[n]\nfun g: elementwise\nfun L: vec[n] -> scalar\nshow g(v)\nshow g'(v)\nshow L(v)\nshow L'(v)\nshow relu'(v)\n",
    );
    assert_eq!(
        lines,
        [
            "(g v:vec[n]) : vec[n]",
            "(g' v:vec[n]) : vec[n]",
            "(L v:vec[n]) : scalar",
            "(L' v:vec[n]) : vec[n]",
            "(relu' v:vec[n]) : vec[n]",
        ]
    );
}

#[test]
fn ranges_bind_fresh_locals_and_downto_keeps_the_written_order() {
    let p =
        load("dim n, T\nvar A: mat[n, n]\nshow prod(k in T downto 1, A)\nshow sum(t in 1..T, t)\n");
    let WorkKind::Show(e) = &p.work[0].kind else {
        panic!()
    };
    assert!(matches!(e.op, Op::ProdRange { downto: true, .. }));
    assert_eq!(e.args[0].op, Op::DimValue(ir::Dim::Sym(1)));
    let WorkKind::Show(s) = &p.work[1].kind else {
        panic!()
    };
    let Op::SumRange(t) = s.op else { panic!() };
    assert_eq!(s.args[2].op, Op::Local(t));
    assert_eq!(p.locals[t].name, "t");
}

#[test]
fn derive_items_keep_the_source_text() {
    let p = load(
        "dim n\nvar x: vec[n]\nlet J = sum(x .* x)\nlet y = 2 x\nderive J wrt x\nderive jac(y,   x), grad(J, x)\n",
    );
    let texts: Vec<Vec<String>> = p
        .work
        .iter()
        .map(|w| match &w.kind {
            WorkKind::Derive { items, .. } => items.iter().map(|i| i.text.clone()).collect(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(texts, [vec!["grad(J, x)"], vec!["jac(y, x)", "grad(J, x)"]]);
    assert_eq!(p.work[1].line, 6);
}

#[test]
fn claims_may_compare_different_shapes() {
    let p = load("dim m, k\nvar h: vec[m]\nvar u: vec[k]\nclaim h u^T = u h^T   expect refuted\n");
    let WorkKind::Claim(c) = &p.work[0].kind else {
        panic!()
    };
    assert_eq!(c.expect, ir::Expect::Refuted);
    assert_eq!(p.shape_name(c.first.shape), "mat[m, k]");
    assert_eq!(p.shape_name(c.steps[0].rhs.shape), "mat[k, m]");
}

#[test]
fn represent_finds_the_single_variable_through_lets() {
    let p = load("var x, a: scalar\nlet f = 2 x\nrepresent f + 1 with relu\n");
    let WorkKind::Represent {
        var, activation, ..
    } = &p.work[0].kind
    else {
        panic!()
    };
    assert_eq!((*var, *activation), (Some(0), ir::Activation::Relu));
    assert_eq!(
        load_err("var x, a: scalar\nlet f = a x\nrepresent f with step\n"),
        [
            "`represent` needs a target that depends on one scalar variable; this one depends on `a`, `x`"
        ]
    );
}

#[test]
fn product_with_a_spaced_parenthesis_is_not_a_call() {
    let lines = show_lines("dim n\nvar W: mat[n, n]\nvar x, b: vec[n]\nshow W (x + b)\n");
    assert_eq!(
        lines,
        ["(Mul W:mat[n,n] (Add x:vec[n] b:vec[n]):vec[n]) : vec[n]"]
    );
    assert_eq!(
        load_err("dim n\nvar W: mat[n, n]\nvar x: vec[n]\nshow W(x)\n"),
        ["`W` is a variable, not a function, so it cannot be called"]
    );
}

#[test]
fn guarded_recurrence_may_use_the_given_start() {
    let p = load(
        "dim n\nvar x[t]: vec[n]\nvar h[0]: vec[n]\nlet h[t] = h[t - 1] + h[0] + x[t]   for t >= 1\nshow h[3]\n",
    );
    assert_eq!(p.seqs[1].pieces.len(), 2);
    assert_eq!(
        load_err(
            "dim n, T\nvar x[t]: vec[n]\nvar h[0]: vec[n]\nlet h[t] = h[t - 1] + h[T]   for t >= 1\n"
        ),
        [
            "cyclic definition: h[t] → h[t] refers to the same time step (a recurrence may only use earlier times)"
        ]
    );
}

#[test]
fn local_names_shadow_and_reserved_names_cannot_be_bound() {
    let lines = show_lines("dim n\nvar k: mat[n, n]\nshow sum(k in 1..3, k)\n");
    assert_eq!(lines, ["(SumRange k 1:scalar 3:scalar k:scalar) : scalar"]);
    assert_eq!(
        load_err("var x: scalar\nlet f(d: scalar) = d\n"),
        ["`d` is the name of a built-in function and cannot be bound"]
    );
}

/// Literals the grammar and the parser never let through (no `[]`; rows
/// of one length; far fewer entries than the size limit) are still
/// rejected when a syntax tree is built directly.
#[test]
fn literals_only_a_built_tree_can_hold() {
    let b = B { src: "[1, 2]" };
    let lit = |rows: Vec<Vec<ast::Expr>>| Spanned::new(ExprKind::Matrix(rows), Span::new(0, 6));
    let run = |e: ast::Expr| b.run(vec![b.show(e)]).unwrap_err();
    assert_eq!(
        run(lit(vec![])),
        [ResolveError::EmptyLiteral {
            at: Span::new(0, 6)
        }]
    );
    let ragged = run(lit(vec![vec![b.num(1), b.num(2)], vec![b.num(1)]]));
    assert!(
        matches!(
            ragged.as_slice(),
            [ResolveError::RaggedLiteral {
                row: 2,
                len: 1,
                cols: 2,
                ..
            }]
        ),
        "{ragged:?}"
    );
    assert_eq!(
        Diagnostic::from(ragged[0].clone()).message,
        "ragged matrix literal: row 2 has 1 entry but row 1 has 2"
    );
    let wide = run(lit(vec![vec![b.num(1); 100_001]]));
    assert_eq!(
        wide,
        [ResolveError::LiteralTooLarge {
            at: Span::new(0, 6)
        }]
    );
}
