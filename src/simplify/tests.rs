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
// values of several shapes and kinds (generic, symmetric positive, onehot,
// zero, rank-one and singular matrices, negative, huge and tiny magnitudes,
// sizes 1 and 3, and values undefined everywhere); afterwards every e-node of
// every e-class must evaluate to the same value, where "undefined" (NaN) is a
// value too: a rule that makes an undefined term defined fails. The facts each
// atom carries are exactly what its values satisfy, so a rule whose condition
// admits a value it is false for fails here; and the e-graph must record no
// ill-typed node and no merge of different shapes.

use super::lang::{Entry, Facts, Mx, Table};
use crate::ir::{Dim, Shape};
use egg::{ENodeOrVar, Id, Language, Symbol};
use num_rational::BigRational;
use std::collections::HashMap;

/// The value of a node, NaN entries meaning undefined (a division by zero,
/// a log of a negative number, the inverse of a singular matrix); None when
/// the node is ill-typed or the test does not evaluate its operator.
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
    let v = eval_raw(node, &k, &same, &sc, atoms)?;
    if v.iter().any(|x| x.is_infinite()) {
        // An overflow (exp of a huge number) says nothing about the rule.
        return None;
    }
    // Undefinedness spreads to the whole value.
    Some(if undefined(&v) {
        v.map(|_| f64::NAN)
    } else {
        v
    })
}

fn undefined(m: &M) -> bool {
    m.iter().any(|x| x.is_nan())
}

fn eval_raw(
    node: &Mx,
    k: &dyn Fn(&Id) -> Option<M>,
    same: &dyn Fn(&M, &M) -> bool,
    sc: &dyn Fn(&M) -> Option<f64>,
    atoms: &HashMap<Symbol, M>,
) -> Option<M> {
    let nan = |m: &M| m.map(|_| f64::NAN);
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
            if undefined(&a) || undefined(&b) {
                return Some(nan(&a));
            }
            match node {
                Mx::Add(_) => a + b,
                Mx::Sub(_) => a - b,
                Mx::Had(_) => a.component_mul(&b),
                _ if b.iter().any(|x| *x == 0.0) => nan(&a),
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
            if undefined(&b) {
                return Some(scalar(f64::NAN));
            }
            scalar(b[(i - 1, j - 1)])
        }
        Mx::Delta([a, b]) => scalar(if sc(&k(a)?)? == sc(&k(b)?)? { 1.0 } else { 0.0 }),
        Mx::Mul([a, b]) => {
            let (a, b) = (k(a)?, k(b)?);
            if a.ncols() != b.nrows() {
                return None;
            }
            if undefined(&a) || undefined(&b) {
                return Some(M::from_element(a.nrows(), b.ncols(), f64::NAN));
            }
            a * b
        }
        Mx::Scale([s, a]) => {
            let (s, a) = (sc(&k(s)?)?, k(a)?);
            if s.is_nan() || undefined(&a) {
                return Some(nan(&a));
            }
            a * s
        }
        Mx::Div([a, s]) => {
            let (s, a) = (sc(&k(s)?)?, k(a)?);
            if s.is_nan() || s == 0.0 || undefined(&a) {
                return Some(nan(&a));
            }
            a / s
        }
        Mx::Tr(a) => k(a)?.transpose(),
        Mx::Inv(a) => {
            let m = k(a)?;
            if !m.is_square() {
                return None;
            }
            if undefined(&m) {
                return Some(m);
            }
            // Singular, or so close to it that the inverse means nothing.
            let (r, _) = m.shape();
            let big = m.iter().fold(0.0f64, |acc, x| acc.max(x.abs()));
            let det = m.determinant();
            if det.abs() <= 1e-9 * big.powi(r as i32) {
                return Some(nan(&m));
            }
            m.try_inverse().unwrap_or_else(|| nan(&M::zeros(r, r)))
        }
        Mx::Sum(a) => scalar(k(a)?.sum()),
        Mx::Diag(a) => {
            let v = k(a)?;
            if v.ncols() != 1 {
                return None;
            }
            if undefined(&v) {
                return Some(M::from_element(v.nrows(), v.nrows(), f64::NAN));
            }
            M::from_diagonal(&v.column(0).into_owned())
        }
        Mx::Relu(a) => k(a)?.map(|x| if x.is_nan() { x } else { x.max(0.0) }),
        Mx::Exp(a) => {
            let e = k(a)?.map(f64::exp);
            // Underflow to 0 or overflow: float64 cannot hold the value.
            if e.iter().any(|x| *x == 0.0 || x.is_infinite()) {
                return None;
            }
            e
        }
        Mx::Log(a) => k(a)?.map(|x| if x > 0.0 { x.ln() } else { f64::NAN }),
        Mx::IndGt([a, b]) => {
            let (a, b) = (k(a)?, k(b)?);
            if !same(&a, &b) {
                return None;
            }
            if undefined(&a) || undefined(&b) {
                return Some(nan(&a));
            }
            a.zip_map(&b, |x, y| if x > y { 1.0 } else { 0.0 })
        }
        Mx::Softmax(a) => {
            let v = k(a)?;
            let m = v.max();
            let e = v.map(|x| (x - m).exp());
            let s = e.sum();
            e / s
        }
        _ => return None,
    })
}

/// Values of one e-class agree: both undefined, or equal up to rounding
/// relative to `scale`, the largest magnitude in the world.
fn agree(a: &M, b: &M, scale: f64) -> bool {
    if a.shape() != b.shape() {
        return false;
    }
    if undefined(a) || undefined(b) {
        return undefined(a) && undefined(b);
    }
    a.iter()
        .zip(b.iter())
        .all(|(x, y)| (x - y).abs() <= 1e-9 * (1.0 + scale))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Generic,
    SymPos,
    Pos,
    Onehot,
    Zero,
    /// u vᵀ for a matrix: singular when n ≥ 2.
    RankOne,
    /// A repeated row: singular, though no entry is zero.
    Singular,
    Negative,
    Huge,
    Tiny,
    /// Undefined at every point (NaN), with no facts: `1/0`, `inv(u vᵀ)`.
    Undefined,
    /// Undefined everywhere but positive, invertible and summing to one
    /// wherever defined: `exp(log(s))`, `inv(inv(u vᵀ))`, `softmax(log(x))`
    /// carry such facts.
    UndefinedPos,
    /// Each variable its own kind, drawn at random.
    Mixed,
}

const KINDS: [Kind; 13] = [
    Kind::Generic,
    Kind::SymPos,
    Kind::Pos,
    Kind::Onehot,
    Kind::Zero,
    Kind::RankOne,
    Kind::Singular,
    Kind::Negative,
    Kind::Huge,
    Kind::Tiny,
    Kind::Undefined,
    Kind::UndefinedPos,
    Kind::Mixed,
];

fn dim_len(d: Dim) -> usize {
    match d {
        Dim::Const(c) => c as usize,
        Dim::Sym(_) => 3,
    }
}

fn world_value(name: &str, base: Shape, kind: Kind, rng: &mut Rng) -> (Shape, M, Facts) {
    let (r, c) = (dim_len(base.rows), dim_len(base.cols));
    let mut f = Facts {
        total: true,
        ..Facts::default()
    };
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
            let k = 1 + (rng.next() * 3.0) as usize % r.clamp(1, 3);
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
    let kind = if kind == Kind::Mixed {
        const PICK: [Kind; 9] = [
            Kind::UndefinedPos,
            Kind::Generic,
            Kind::Zero,
            Kind::RankOne,
            Kind::Negative,
            Kind::Pos,
            Kind::Huge,
            Kind::Tiny,
            Kind::Undefined,
        ];
        PICK[(rng.next() * PICK.len() as f64) as usize % PICK.len()]
    } else {
        kind
    };
    let mut m = M::from_fn(r, c, |_, _| rng.normal());
    match kind {
        Kind::Generic | Kind::Mixed => {}
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
        Kind::Zero => m = M::zeros(r, c),
        Kind::RankOne => {
            let u = M::from_fn(r, 1, |_, _| rng.normal() + 1.5);
            let v = M::from_fn(1, c, |_, _| rng.normal() - 1.5);
            m = u * v;
        }
        Kind::Singular => {
            for j in 0..c {
                m[(r - 1, j)] = m[(0, j)];
            }
        }
        Kind::Negative => m = m.map(|x| -x.abs() - 0.5),
        Kind::Huge => m *= 1e6,
        Kind::Tiny => m *= 1e-6,
        Kind::Undefined => {
            m = m.map(|_| f64::NAN);
            f.total = false;
        }
        Kind::UndefinedPos => {
            m = m.map(|_| f64::NAN);
            f.total = false;
            f.positive = true;
            f.nonzero = true;
            f.invertible = r == c;
            f.symmetric = r == c;
            // a softmax of an argument undefined everywhere
            f.sum_one = c == 1;
        }
    }
    (base, m, f)
}

/// Shapes a variable may take in a world: (the matrix shape, the scalar
/// shape) for `?s`/`?t`, both square, column or scalar, each of size n.
fn world_shapes(n: u64) -> Vec<(Shape, Shape)> {
    let d = Dim::Const(n);
    let sq = Shape::new(d, d);
    let col = Shape::vector(d);
    let row = col.transposed();
    vec![
        (sq, sq),
        (col, col),
        (Shape::SCALAR, Shape::SCALAR),
        (sq, Shape::SCALAR),
        (col, Shape::SCALAR),
        (row, Shape::SCALAR),
    ]
}

/// Applies `rule` once to its left side instantiated by `shape_of`; returns
/// whether it fired, after checking every class.
fn check_rule_in_world(
    rule: &super::rules::Rw,
    shape_of: &mut dyn FnMut(&str) -> Shape,
    kind: Kind,
    rng: &mut Rng,
    world: &str,
) -> bool {
    let lhs = rule.searcher.get_pattern_ast().expect("pattern rule");
    let mut table = Table::default();
    let mut values: HashMap<Symbol, M> = HashMap::new();
    let mut var_atoms: HashMap<egg::Var, Symbol> = HashMap::new();
    for n in lhs.as_ref() {
        if let ENodeOrVar::Var(v) = n {
            if var_atoms.contains_key(v) {
                continue;
            }
            let name = v.to_string().trim_start_matches('?').to_string();
            let (shape, val, facts) = world_value(&name, shape_of(&name), kind, rng);
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
    let mut g = lang::MxGraph::new(lang::MxAnalysis::new(table));
    let mut ids: Vec<Id> = Vec::new();
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
        // An ill-typed left side (or one this test cannot evaluate) is no world.
        match eval_node(&pat_node, &|i| Some(vals[usize::from(i)].clone()), &values) {
            Some(v) => vals.push(v),
            None => return false,
        }
        ids.push(g.add(node));
    }
    g.rebuild();
    assert!(
        g.analysis.errors.is_empty(),
        "a well-typed left side of {} was recorded as an error: {:?}",
        rule.name,
        g.analysis.errors
    );
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
        return false;
    }
    let g = &r.egraph;
    assert!(
        g.analysis.errors.is_empty(),
        "rule {} in world {world}/{kind:?}: {:?}",
        rule.name,
        g.analysis.errors
    );
    // class values by fixpoint, then every node must agree with its class
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
    let scale = cv
        .values()
        .chain(values.values())
        .flat_map(|m| m.iter())
        .filter(|x| x.is_finite())
        .fold(0.0f64, |a, x| a.max(x.abs()));
    for c in g.classes() {
        let Some(want) = cv.get(&c.id) else { continue };
        for n in &c.nodes {
            if let Some(got) = eval_node(n, &|i| cv.get(&g.find(i)).cloned(), &values) {
                assert!(
                    agree(&got, want, scale),
                    "rule {} unsound in world {world}/{kind:?}: {n:?} gives {got} but its class is {want}",
                    rule.name,
                );
            }
        }
    }
    true
}

#[test]
fn every_rule_is_sound_on_random_values() {
    let mut rng = Rng(0xdecafbad);
    for rule in super::rules::rules() {
        let mut fired = 0;
        for n in [1u64, 3] {
            for (base, scal) in world_shapes(n) {
                for kind in KINDS.iter().chain([Kind::Mixed; 8].iter()).copied() {
                    let mut shape_of = |name: &str| {
                        if name == "s" || name == "t" {
                            scal
                        } else {
                            base
                        }
                    };
                    let world = format!("n = {n}, {base:?}/{scal:?}");
                    fired +=
                        check_rule_in_world(rule, &mut shape_of, kind, &mut rng, &world) as usize;
                }
            }
            // Every variable a shape of its own: a rule joining terms of
            // different shapes (sum(s) + sum(v) → sum(s + v)) fails here.
            let shapes = world_shapes(n);
            for round in 0..40 {
                let mut pick = |_: &str| {
                    let k = (rng.next() * 4.0) as usize % 4;
                    [shapes[0].0, shapes[1].0, shapes[2].0, shapes[5].0][k]
                };
                let kind = KINDS[round % KINDS.len()];
                let mut r2 = Rng(0x5eed + round as u64);
                fired += check_rule_in_world(
                    rule,
                    &mut pick,
                    kind,
                    &mut r2,
                    &format!("n = {n}, mixed shapes"),
                ) as usize;
            }
        }
        assert!(
            fired > 0,
            "rule {} never applied in any test world",
            rule.name
        );
    }
}

/// The soundness test itself catches the rules it is meant to catch: each
/// unsound variant below fails it.
#[test]
fn the_soundness_test_catches_unsound_rules() {
    use super::rules::{Const, MakeConst};
    use egg::rewrite as rw;
    let bad: Vec<super::rules::Rw> = vec![
        rw!("sum-add-rev-any-shape"; "(+ (sum ?a) (sum ?b))" => "(sum (+ ?a ?b))"),
        rw!("inv-inv-any"; "(inv (inv ?a))" => "?a"),
        rw!("had-self-any"; "(.* ?a ?a)" => "?a"),
        rw!("haddiv-cancel-partial"; "(./ (.* ?a ?b) ?b)" => "?a" if |g: &mut lang::MxGraph, _, s: &egg::Subst| g[s["?b".parse().unwrap()]].data.facts.nonzero),
        rw!("log-mul"; "(log (.* ?a ?b))" => "(+ (log ?a) (log ?b))"),
        rw!("exp-log-any"; "(exp (log ?a))" => "?a"),
        rw!("div-self-partial"; "(/ ?a ?a)" => "1" if |g: &mut lang::MxGraph, _, s: &egg::Subst| g[s["?a".parse().unwrap()]].data.facts.nonzero),
        rw!("sum-one-partial"; "(sum ?y)" => "1" if |g: &mut lang::MxGraph, _, s: &egg::Subst| g[s["?y".parse().unwrap()]].data.facts.sum_one),
        rw!("scale-zero-any"; "(scale 0 ?a)" => { MakeConst(Const::Zeros) }),
        rw!("inv-mul-self-any"; "(* (inv ?a) ?a)" => { MakeConst(Const::Eye) }),
        rw!("inv-mul-self-partial"; "(* (inv ?a) ?a)" => { MakeConst(Const::Eye) } if |g: &mut lang::MxGraph, _, s: &egg::Subst| g[s["?a".parse().unwrap()]].data.facts.invertible),
    ];
    for rule in &bad {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut rng = Rng(7);
            for n in [1u64, 3] {
                for (base, scal) in world_shapes(n) {
                    for kind in KINDS.iter().chain([Kind::Mixed; 8].iter()).copied() {
                        let mut shape_of = |name: &str| {
                            if name == "s" || name == "t" {
                                scal
                            } else {
                                base
                            }
                        };
                        check_rule_in_world(rule, &mut shape_of, kind, &mut rng, "w");
                    }
                }
                let shapes = world_shapes(n);
                for round in 0..40 {
                    let mut r2 = Rng(0x5eed + round as u64);
                    let mut pick = |_: &str| {
                        let k = (r2.next() * 4.0) as usize % 4;
                        [shapes[0].0, shapes[1].0, shapes[2].0, shapes[5].0][k]
                    };
                    let mut r3 = Rng(round as u64 + 1);
                    check_rule_in_world(rule, &mut pick, KINDS[round % KINDS.len()], &mut r3, "m");
                }
            }
        }));
        let msg = match caught {
            Ok(()) => panic!("unsound rule {} passed the test", rule.name),
            Err(p) => p.downcast_ref::<String>().cloned().unwrap_or_default(),
        };
        assert!(
            msg.contains(&format!("rule {}", rule.name)),
            "{}: {msg}",
            rule.name
        );
    }
}

/// A merge of two classes of different shapes is an internal error, and a
/// proof attempt that meets one is Unknown with the reason.
#[test]
fn a_merge_of_different_shapes_is_recorded() {
    let mut table = Table::default();
    for (name, shape) in [("s", Shape::SCALAR), ("v", Shape::vector(Dim::Const(3)))] {
        table.entries.insert(
            Symbol::from(name),
            Entry {
                op: Op::Var(0),
                shape,
                ir_shape: shape,
                facts: Facts::default(),
                rank: 0,
            },
        );
    }
    let mut g = lang::MxGraph::new(lang::MxAnalysis::new(table));
    let s = g.add(Mx::Other(Symbol::from("s"), vec![]));
    let v = g.add(Mx::Other(Symbol::from("v"), vec![]));
    let two = g.add(Mx::Num(BigRational::from_integer(2.into())));
    let three = g.add(Mx::Num(BigRational::from_integer(3.into())));
    assert!(g.analysis.errors.is_empty());
    // an ill-typed node is recorded when it is built
    g.add(Mx::Add([s, v]));
    assert_eq!(
        g.analysis.errors,
        ["ill-typed node `+` of shapes 1x1 and 3x1"]
    );
    g.union(s, v);
    g.union(two, three);
    g.rebuild();
    assert_eq!(
        g.analysis.errors[1..],
        [
            "e-classes of shapes 1x1 and 3x1 were merged",
            "e-classes of constants 2 and 3 were merged"
        ]
    );
}

/// The sum rules never build `s + v` from a scalar and a vector, however
/// long they run on `sum(s) + sum(v)`.
#[test]
fn sums_of_different_shapes_stay_apart() {
    let src = "dim n\nvar s: scalar\nvar v, x, b: vec[n]\nclaim sum(s) + sum(v) = s + sum(v)\nclaim 1 / (s + x^T b) = 1 / (s + b^T x)\n";
    let (_, res) = prove_file(src);
    assert_eq!(res.len(), 2);
    for (line, _, _, o) in &res {
        assert!(
            matches!(o, ProofOutcome::Proved { .. }),
            "line {line}: {o:?}"
        );
    }
    // simplified, the gradient keeps its shapes (it once printed `s + x ∘ b`)
    let src = "dim n\nvar s: scalar\nvar x, b: vec[n]\nshow grad(1 / (s + x^T b), x)\n";
    let (_, prog) = crate::load("t.grad", src.as_bytes()).unwrap();
    let e = prog
        .work
        .iter()
        .find_map(|w| match &w.kind {
            ir::WorkKind::Show(e) => Some(e.clone()),
            _ => None,
        })
        .unwrap();
    let d = crate::derive::eliminate_derivatives(&prog, &e).unwrap();
    let got = simplify(&prog, &d, &Budget::default());
    assert_eq!(
        show(&prog, &got.expr),
        "-(Div(1, ((s + (bᵀ x)) (s + (bᵀ x)))) b)"
    );
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
