//! Rule soundness.
//!
//! Every rule is applied once to its own left-hand side, instantiated with random
//! values of several shapes and kinds (generic, symmetric positive, onehot,
//! zero, rank-one and singular matrices, negative, huge and tiny magnitudes,
//! sizes 1 and 3, and values undefined everywhere); afterwards every e-node of
//! every e-class must evaluate to the same value, where "undefined" (NaN) is a
//! value too: a rule that makes an undefined term defined fails. The facts each
//! atom carries are exactly what its values satisfy, so a rule whose condition
//! admits a value it is false for fails here; and the e-graph must record no
//! ill-typed node and no merge of different shapes.

use super::*;
use crate::ir::{Dim, ElemFn, Shape};
use crate::simplify::lang::OtherSym;
use crate::simplify::lang::{Entry, Facts, Mx, Table};
use egg::{ENodeOrVar, Id, Language};
use num_rational::BigRational;
use std::collections::HashMap;

/// The value of a node, NaN entries meaning undefined (a division by zero,
/// a log of a negative number, the inverse of a singular matrix); None when
/// the node is ill-typed or the test does not evaluate its operator.
fn eval_node(node: &Mx, kid: &dyn Fn(Id) -> Option<M>, atoms: &HashMap<OtherSym, M>) -> Option<M> {
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
    atoms: &HashMap<OtherSym, M>,
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
        Mx::Elem(ElemFn::Relu, a) => k(&a[0])?.map(|x| if x.is_nan() { x } else { x.max(0.0) }),
        Mx::Elem(ElemFn::Exp, a) => {
            let e = k(&a[0])?.map(f64::exp);
            // Underflow to 0 or overflow: float64 cannot hold the value.
            if e.iter().any(|x| *x == 0.0 || x.is_infinite()) {
                return None;
            }
            e
        }
        Mx::Elem(ElemFn::Log, a) => k(&a[0])?.map(|x| if x > 0.0 { x.ln() } else { f64::NAN }),
        Mx::Elem(ElemFn::Sqrt, a) => k(&a[0])?.map(|x| if x >= 0.0 { x.sqrt() } else { f64::NAN }),
        Mx::Trace(a) => {
            let m = k(a)?;
            if !m.is_square() {
                return None;
            }
            scalar(m.trace())
        }
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
    /// Positive entries, every row summing to 1 (`simplex_rows`).
    RowsSumOne,
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
        Dim::Sum(_) => d.size_with(|_| Some(3)).unwrap_or(3) as usize,
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
        // A dimension's value: a positive integer, 1 (degenerate) to 3.
        "k" => {
            f.positive = true;
            f.nonzero = true;
            f.invertible = true;
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
        Kind::RowsSumOne => {
            m = m.map(|x| x.abs() + 0.1);
            for i in 0..r {
                let s: f64 = m.row(i).sum();
                for j in 0..c {
                    m[(i, j)] /= s;
                }
            }
            f.rows_sum_one = true;
            f.positive = true;
            f.nonzero = true;
        }
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
    let mut values: HashMap<OtherSym, M> = HashMap::new();
    let mut var_atoms: HashMap<egg::Var, OtherSym> = HashMap::new();
    for n in lhs.as_ref() {
        if let ENodeOrVar::Var(v) = n {
            if var_atoms.contains_key(v) {
                continue;
            }
            let name = v.to_string().trim_start_matches('?').to_string();
            let (shape, val, facts) = world_value(&name, shape_of(&name), kind, rng);
            let sym = table.push(
                &format!("v_{name}"),
                Entry {
                    op: if name == "k" {
                        Op::DimValue(Dim::Sym(0))
                    } else {
                        Op::Var(values.len())
                    },
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
        // Rows summing to one, on a generator of their own so that the
        // worlds above stay as they were.
        let mut r3 = Rng(0x5017);
        for n in [1u64, 3] {
            let shapes = world_shapes(n);
            for round in 0..12 {
                let mut pick = |name: &str| {
                    if round < 6 {
                        return shapes[round].0;
                    }
                    let k = (name.len() + round) % 2;
                    [shapes[0].0, shapes[1].0][k]
                };
                fired += check_rule_in_world(
                    rule,
                    &mut pick,
                    Kind::RowsSumOne,
                    &mut r3,
                    &format!("n = {n}, rows summing to one"),
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
    use super::rules::{Const, EntriesOf, MakeConst};
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
        // sizes and square roots
        rw!("sqrt-mul-self-any"; "(* (sqrt ?x) (sqrt ?x))" => "?x"),
        rw!("sqrt-mul-self-matrix"; "(* (sqrt ?x) (sqrt ?x))" => "?x" if |g: &mut lang::MxGraph, _, s: &egg::Subst| g[s["?x".parse().unwrap()]].data.facts.positive),
        rw!("sum-any-entries"; "(sum ?a)" => { EntriesOf("?a", false) }),
        rw!("trace-any-rows"; "(trace ?a)" => { EntriesOf("?a", true) }),
        rw!("div-mul-wrong-side"; "(/ (* ?a ?b) ?k)" => "(* ?a (/ ?k ?b))"),
        rw!("div-self-size-plus"; "(/ ?k ?k)" => "(/ ?k (+ ?k 1))"),
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
    let mut atoms = Vec::new();
    for (name, shape) in [("s", Shape::SCALAR), ("v", Shape::vector(Dim::Const(3)))] {
        atoms.push(table.push(
            name,
            Entry {
                op: Op::Var(0),
                shape,
                ir_shape: shape,
                facts: Facts::default(),
                rank: 0,
            },
        ));
    }
    let mut g = lang::MxGraph::new(lang::MxAnalysis::new(table));
    let s = g.add(Mx::Other(atoms[0], vec![]));
    let v = g.add(Mx::Other(atoms[1], vec![]));
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
        "Div(-b, ((s + (bᵀ x)) (s + (bᵀ x))))"
    );
}
