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

// ---------------------------------------------------------------- rule soundness
//
// Every rule is applied once to its own left-hand side, instantiated with random
// values of several shapes and kinds (generic, symmetric positive, onehot, …);
// afterwards every e-node of every e-class must evaluate to the same number.
// The facts each atom carries are exactly what its values satisfy, so a rule
// whose condition admits a value it is false for fails here.

use super::lang::{Entry, Facts, Mx, Table};
use crate::ir::{Dim, Shape};
use egg::{ENodeOrVar, Id, Language, Symbol};
use std::collections::HashMap;

fn eval_node(node: &Mx, kid: &dyn Fn(Id) -> Option<M>, atoms: &HashMap<Symbol, M>) -> Option<M> {
    let k = |i: &Id| kid(*i);
    let same = |a: &M, b: &M| a.shape() == b.shape();
    let sc = |m: &M| {
        if m.shape() == (1, 1) {
            Some(m[(0, 0)])
        } else {
            None
        }
    };
    // Undefined values (a division by zero) are outside every rule's domain.
    let v = eval_raw(node, &k, &same, &sc, atoms)?;
    v.iter().all(|x| x.is_finite()).then_some(v)
}

fn eval_raw(
    node: &Mx,
    k: &dyn Fn(&Id) -> Option<M>,
    same: &dyn Fn(&M, &M) -> bool,
    sc: &dyn Fn(&M) -> Option<f64>,
    atoms: &HashMap<Symbol, M>,
) -> Option<M> {
    Some(match node {
        Mx::Num(c) => {
            use num_traits::ToPrimitive;
            scalar(c.to_f64()?)
        }
        Mx::Other(s, _) => atoms.get(s)?.clone(),
        Mx::Add([a, b]) | Mx::Sub([a, b]) | Mx::Had([a, b]) | Mx::HadDiv([a, b]) => {
            let (a, b) = (k(a)?, k(b)?);
            if !same(&a, &b) {
                return None;
            }
            match node {
                Mx::Add(_) => a + b,
                Mx::Sub(_) => a - b,
                Mx::Had(_) => a.component_mul(&b),
                _ => a.component_div(&b),
            }
        }
        Mx::Neg(a) => -k(a)?,
        Mx::At(kids) => {
            let b = k(&kids[0])?;
            let i = sc(&k(&kids[1])?)? as usize;
            let j = if kids.len() > 2 {
                sc(&k(&kids[2])?)? as usize
            } else {
                1
            };
            if kids.len() == 2 && b.ncols() != 1 {
                return None;
            }
            if i < 1 || j < 1 || i > b.nrows() || j > b.ncols() {
                return None;
            }
            scalar(b[(i - 1, j - 1)])
        }
        Mx::Delta([a, b]) => scalar(if sc(&k(a)?)? == sc(&k(b)?)? { 1.0 } else { 0.0 }),
        Mx::Mul([a, b]) => {
            let (a, b) = (k(a)?, k(b)?);
            if a.ncols() != b.nrows() {
                return None;
            }
            a * b
        }
        Mx::Scale([s, a]) => k(a)? * sc(&k(s)?)?,
        Mx::Div([a, s]) => k(a)? / sc(&k(s)?)?,
        Mx::Tr(a) => k(a)?.transpose(),
        Mx::Inv(a) => {
            let m = k(a)?;
            if !m.is_square() {
                return None;
            }
            m.try_inverse()?
        }
        Mx::Sum(a) => scalar(k(a)?.sum()),
        Mx::Diag(a) => {
            let v = k(a)?;
            if v.ncols() != 1 {
                return None;
            }
            M::from_diagonal(&v.column(0).into_owned())
        }
        Mx::Relu(a) => k(a)?.map(|x| x.max(0.0)),
        Mx::Exp(a) => k(a)?.map(f64::exp),
        Mx::Log(a) => k(a)?.map(f64::ln),
        Mx::IndGt([a, b]) => {
            let (a, b) = (k(a)?, k(b)?);
            if !same(&a, &b) {
                return None;
            }
            a.zip_map(&b, |x, y| if x > y { 1.0 } else { 0.0 })
        }
        Mx::Softmax(a) => {
            let v = k(a)?;
            let e = v.map(f64::exp);
            let s = e.sum();
            e / s
        }
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Generic,
    SymPos,
    Pos,
    Onehot,
}

fn world_value(name: &str, base: Shape, kind: Kind, rng: &mut Rng) -> (Shape, M, Facts) {
    let n = 3usize;
    let (r, c) = (
        if base.rows == Dim::Const(1) { 1 } else { n },
        if base.cols == Dim::Const(1) { 1 } else { n },
    );
    let mut f = Facts::default();
    match name {
        "o" => {
            f.ones = true;
            f.positive = true;
            f.nonzero = true;
            return (base, M::from_element(r, c, 1.0), f);
        }
        "zr" => {
            f.zeros = true;
            return (base, M::zeros(r, c), f);
        }
        "i" | "j" => {
            let k = 1 + (rng.next() * 3.0) as usize % 3;
            return (Shape::SCALAR, scalar(k as f64), f);
        }
        "e" => {
            let sq = Shape::new(base.rows, base.rows);
            f.eye = true;
            f.symmetric = true;
            f.invertible = true;
            return (sq, M::identity(r, r), f);
        }
        _ => {}
    }
    let mut m = M::from_fn(r, c, |_, _| rng.normal());
    match kind {
        Kind::Generic => {}
        Kind::Pos => {
            m = m.map(|x| x.abs() + 0.1);
            f.positive = true;
            f.nonzero = true;
        }
        Kind::SymPos => {
            m = m.map(|x| x.abs() + 0.1);
            if r == c {
                m = (&m + m.transpose()) * 0.5 + M::identity(r, r) * 2.0;
                f.symmetric = true;
                f.invertible = true;
            }
            f.positive = true;
            f.nonzero = true;
        }
        Kind::Onehot => {
            if c == 1 {
                m = M::zeros(r, 1);
                m[(1 % r, 0)] = 1.0;
                f.onehot = true;
                f.sum_one = true;
            }
        }
    }
    (base, m, f)
}

#[test]
fn every_rule_is_sound_on_random_values() {
    let sq = Shape::new(Dim::Const(3), Dim::Const(3));
    let col = Shape::vector(Dim::Const(3));
    let row = col.transposed();
    let worlds: Vec<(Shape, Shape, Kind)> = {
        let mut w = Vec::new();
        for (base, scal) in [
            (sq, sq),
            (col, col),
            (Shape::SCALAR, Shape::SCALAR),
            (sq, Shape::SCALAR),
            (col, Shape::SCALAR),
            (row, Shape::SCALAR),
        ] {
            for k in [Kind::Generic, Kind::SymPos, Kind::Pos, Kind::Onehot] {
                w.push((base, scal, k));
            }
        }
        w
    };
    let mut rng = Rng(0xdecafbad);
    for rule in super::rules::rules() {
        let lhs = rule.searcher.get_pattern_ast().expect("pattern rule");
        let mut fired = 0;
        for &(base, scal, kind) in &worlds {
            let mut table = Table::default();
            let mut values: HashMap<Symbol, M> = HashMap::new();
            let mut var_atoms: HashMap<egg::Var, Symbol> = HashMap::new();
            for n in lhs.as_ref() {
                if let ENodeOrVar::Var(v) = n {
                    let name = v.to_string().trim_start_matches('?').to_string();
                    let shape = if name == "s" || name == "t" {
                        scal
                    } else {
                        base
                    };
                    let (shape, val, facts) = world_value(&name, shape, kind, &mut rng);
                    let sym = Symbol::from(format!("v_{name}"));
                    table.entries.insert(
                        sym,
                        Entry {
                            op: Op::Var(values.len()),
                            shape,
                            ir_shape: shape,
                            facts,
                            rank: 0,
                        },
                    );
                    values.insert(sym, val);
                    var_atoms.insert(*v, sym);
                }
            }
            let mut g = lang::MxGraph::new(lang::MxAnalysis { table });
            let mut ids: Vec<Id> = Vec::new();
            let mut ok = true;
            let mut vals: Vec<M> = Vec::new();
            for n in lhs.as_ref() {
                let node = match n {
                    ENodeOrVar::Var(v) => Mx::Other(var_atoms[v], vec![]),
                    ENodeOrVar::ENode(e) => e.clone().map_children(|c| ids[usize::from(c)]),
                };
                let pat_node = match n {
                    ENodeOrVar::Var(v) => Mx::Other(var_atoms[v], vec![]),
                    ENodeOrVar::ENode(e) => e.clone(),
                };
                match eval_node(&pat_node, &|i| Some(vals[usize::from(i)].clone()), &values) {
                    Some(v) => vals.push(v),
                    None => {
                        ok = false;
                        break;
                    }
                }
                ids.push(g.add(node));
            }
            if !ok {
                continue;
            }
            g.rebuild();
            let r = egg::Runner::default()
                .with_egraph(g)
                .with_iter_limit(1)
                .with_node_limit(10_000)
                .run(std::slice::from_ref(rule));
            let applied: usize = r
                .iterations
                .iter()
                .map(|it| it.applied.get(&rule.name).copied().unwrap_or(0))
                .sum();
            if applied == 0 {
                continue;
            }
            fired += 1;
            // class values by fixpoint, then every node must agree with its class
            let g = &r.egraph;
            let mut cv: HashMap<Id, M> = HashMap::new();
            for _ in 0..20 {
                for c in g.classes() {
                    if cv.contains_key(&c.id) {
                        continue;
                    }
                    for n in &c.nodes {
                        if let Some(v) = eval_node(n, &|i| cv.get(&g.find(i)).cloned(), &values) {
                            cv.insert(c.id, v);
                            break;
                        }
                    }
                }
            }
            for c in g.classes() {
                let Some(want) = cv.get(&c.id) else { continue };
                for n in &c.nodes {
                    if let Some(got) = eval_node(n, &|i| cv.get(&g.find(i)).cloned(), &values) {
                        assert!(
                            close(&got, want, 1e-9),
                            "rule {} unsound in world {:?}/{:?}: {n:?} gives {got} but its class is {want}",
                            rule.name,
                            base,
                            kind
                        );
                    }
                }
            }
        }
        assert!(
            fired > 0,
            "rule {} never applied in any test world",
            rule.name
        );
    }
}

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
    let bp = crate::derive::backward_pass(&prog, &f, &wrts).unwrap();
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
                    Some((d, t)) => crate::derive::substitute_dim(e, *d, *t),
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
                            let _ = crate::derive::backward_pass(&prog, &fix(f), &wrts);
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
        let prog = crate::derive::fix_dim(&base, d, t);
        let mut proved = Vec::new();
        for w in &prog.work {
            match &w.kind {
                ir::WorkKind::Derive { of: Some(f), items } => {
                    let wrts: Vec<Expr> = items.iter().map(|i| i.expr.args[1].clone()).collect();
                    let bp = crate::derive::backward_pass(&prog, f, &wrts).unwrap();
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
