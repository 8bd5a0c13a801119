//! Mutation test: the true claims of the examples, changed the way students
//! get them wrong (a dropped transpose, an outer product the wrong way round,
//! a dropped ReLU mask, a flipped sign, a halved or doubled result), must
//! every one be refuted.

use gradproof::check::{self, Options, Outcome};
use gradproof::ir::{
    Attr, Claim, Expect, Expr, Op, Program, Relation, Shape, Step, Work, WorkKind,
};
use num_rational::BigRational;
use std::path::Path;

/// Every single-site mutation of `e` of the kinds above.
fn mutants(e: &Expr) -> Vec<(String, Expr)> {
    let mut out = Vec::new();
    // Whole-expression mutations.
    out.push((
        "flip the sign".into(),
        Expr::new(Op::Neg, vec![e.clone()], e.shape, e.span),
    ));
    for (what, r) in [("halve", (1, 2)), ("double", (2, 1))] {
        let k = Expr::leaf(
            Op::Num(BigRational::new(r.0.into(), r.1.into())),
            Shape::SCALAR,
            e.span,
        );
        out.push((
            what.into(),
            Expr::new(Op::Scale, vec![k, e.clone()], e.shape, e.span),
        ));
    }
    // Site mutations, found by walking the tree.
    site_mutants(e, &mut |m, what| out.push((what, m)));
    out
}

/// Recomputes shapes after a mutation; `None` when the mutant is ill-formed
/// (a student's ill-formed answer is an input error, not a claim).
fn reshape(prog: &Program, e: &Expr) -> Option<Expr> {
    let args: Vec<Expr> = e
        .args
        .iter()
        .map(|a| reshape(prog, a))
        .collect::<Option<_>>()?;
    let same = |a: &Expr, b: &Expr| prog.same_shape(a.shape, b.shape);
    let shape = match &e.op {
        Op::Mul => {
            if !prog.same_dim(args[0].shape.cols, args[1].shape.rows) {
                return None;
            }
            Shape::new(args[0].shape.rows, args[1].shape.cols)
        }
        Op::Add | Op::Sub | Op::Hadamard | Op::HadDiv => {
            if !same(&args[0], &args[1]) {
                return None;
            }
            args[0].shape
        }
        Op::Transpose => args[0].shape.transposed(),
        Op::Neg => args[0].shape,
        Op::Scale => {
            if args[0].shape.is_scalar() {
                args[1].shape
            } else {
                args[0].shape
            }
        }
        _ => {
            if args.iter().zip(&e.args).any(|(a, b)| !same(a, b)) {
                return None;
            }
            e.shape
        }
    };
    Some(Expr::new(e.op.clone(), args, shape, e.span))
}

/// True when the expression mentions a symmetric or spd variable, where a
/// dropped transpose changes nothing.
fn mentions_symmetric(prog: &Program, e: &Expr) -> bool {
    e.any(&|n| matches!(n.op, Op::Var(v) if prog.var_has(v, Attr::Symmetric) || prog.var_has(v, Attr::Spd)))
}

fn site_mutants(e: &Expr, emit: &mut dyn FnMut(Expr, String)) {
    match &e.op {
        Op::Transpose => emit(e.args[0].clone(), "drop a transpose".into()),
        Op::Mul if e.args[1].op == Op::Transpose => {
            // a bᵀ → b aᵀ
            let a = &e.args[0];
            let b = &e.args[1].args[0];
            let at = Expr::new(Op::Transpose, vec![a.clone()], a.shape.transposed(), a.span);
            emit(
                Expr::new(
                    Op::Mul,
                    vec![b.clone(), at],
                    Shape::new(b.shape.rows, a.shape.rows),
                    e.span,
                ),
                "swap an outer product".into(),
            );
        }
        Op::Hadamard if matches!(e.args[1].op, Op::Indicator(_)) => {
            emit(e.args[0].clone(), "drop the ReLU mask".into())
        }
        _ => {}
    }
    for (i, a) in e.args.iter().enumerate() {
        site_mutants(a, &mut |m, what| {
            let mut copy = e.clone();
            copy.args[i] = m;
            emit(copy, what)
        });
    }
}

/// The claims of a file that are expected to hold, as (lhs, rhs, line).
fn true_claims(prog: &Program) -> Vec<(Expr, Expr, usize)> {
    prog.work
        .iter()
        .filter_map(|w| match &w.kind {
            WorkKind::Claim(c)
                if c.expect == Expect::Holds
                    && c.steps.len() == 1
                    && c.steps[0].relation == Relation::Eq =>
            {
                Some((c.first.clone(), c.steps[0].rhs.clone(), w.line))
            }
            _ => None,
        })
        .collect()
}

/// Expands `let` references of the right side one level, so that mutations
/// reach inside `delta2 = (U^T delta1) .* 1{h > 0}`.
fn inline_lets(prog: &Program, e: &Expr) -> Expr {
    match &e.op {
        Op::Let(l) if !prog.lets[*l].is_function && prog.lets[*l].name.starts_with("delta") => {
            inline_lets(prog, &prog.lets[*l].body)
        }
        _ => {
            let mut c = e.clone();
            c.args = e.args.iter().map(|a| inline_lets(prog, a)).collect();
            c
        }
    }
}

#[test]
fn student_mistakes_are_refuted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut total = 0;
    let mut escaped = Vec::new();
    for file in [
        "q3_backprop.grad",
        "textbook.grad",
        "q3_softmax_derivation.grad",
        "two_layer_tanh.grad",
    ] {
        let bytes = std::fs::read(root.join(file)).unwrap();
        let (src, prog) = gradproof::load(file, &bytes).unwrap();
        let mut work = Vec::new();
        let mut labels = Vec::new();
        for (lhs, rhs, line) in true_claims(&prog) {
            let rhs = inline_lets(&prog, &rhs);
            for (what, m) in mutants(&rhs) {
                let Some(m) = reshape(&prog, &m) else {
                    continue;
                };
                if m == rhs {
                    continue; // e.g. swapping the outer product yhat yhatᵀ changes nothing
                }
                if what == "drop a transpose" && mentions_symmetric(&prog, &rhs) {
                    continue;
                }
                labels.push(format!("{file}:{line}: {what}"));
                work.push(Work {
                    kind: WorkKind::Claim(Claim {
                        name: None,
                        first: lhs.clone(),
                        steps: vec![Step {
                            relation: Relation::Eq,
                            rhs: m,
                            line,
                            span: lhs.span,
                        }],
                        expect: Expect::Refuted,
                    }),
                    line,
                    span: lhs.span,
                });
            }
        }
        let mut mutated = prog.clone();
        mutated.work = work;
        let report = check::check_program(file, &src, &mutated, &Options::default());
        assert!(
            report.internal_errors.is_empty(),
            "{:?}",
            report.internal_errors
        );
        for (item, label) in report.items.iter().zip(&labels) {
            total += 1;
            if let Outcome::Claim {
                met,
                verdict,
                detail,
                ..
            } = &item.outcome
                && !met
            {
                escaped.push(format!("{label}: {} ({detail})", verdict.word()));
            }
        }
    }
    assert!(total >= 40, "only {total} mutants were generated");
    assert!(
        escaped.is_empty(),
        "{} of {total} mutants escaped:\n{}",
        escaped.len(),
        escaped.join("\n")
    );
}
