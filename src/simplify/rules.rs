//! The rewrite rules. Every rule holds for all values its condition allows;
//! conditions consult only what the analysis KNOWS (shapes, constants,
//! declared attributes, facts an operator guarantees such as softmax > 0),
//! never "not known to be zero". Matrices do not commute; scalars do.

use super::lang::{Data, Mx, MxAnalysis, MxGraph};
use crate::ir::{Dim, Op, Shape};
use egg::{
    Applier, ENodeOrVar, Id, PatternAst, RecExpr, Rewrite, Subst, Symbol, Var, rewrite as rw,
};
use num_rational::BigRational;
use std::sync::OnceLock;

pub(crate) type Rw = Rewrite<Mx, MxAnalysis>;

fn data<'a>(g: &'a MxGraph, s: &Subst, v: &str) -> &'a Data {
    &g[s[v.parse::<Var>().expect("pattern variable")]].data
}

fn cond(v: &'static str, f: fn(&Data) -> bool) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| f(data(g, s, v))
}
fn scalar(v: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    cond(v, |d| d.shape.is_scalar())
}
fn both_scalar(a: &'static str, b: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| data(g, s, a).shape.is_scalar() && data(g, s, b).shape.is_scalar()
}
fn scalar_and_not(a: &'static str, b: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| data(g, s, a).shape.is_scalar() && !data(g, s, b).shape.is_scalar()
}
fn all_scalar_nonzero(
    a: &'static str,
    b: &'static str,
) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| {
        data(g, s, a).shape.is_scalar()
            && data(g, s, b).shape.is_scalar()
            && data(g, s, b).facts.nonzero
    }
}
fn same_shape(a: &'static str, b: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| data(g, s, a).shape == data(g, s, b).shape
}
/// Defined for every value: a rule whose right side is defined where its
/// left side may not be (`0 a → 0`) needs it, so no class gains a domain.
fn total(v: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    cond(v, |d| d.facts.total)
}
fn total_nonzero(v: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    cond(v, |d| d.facts.total && d.facts.nonzero)
}
fn total_scalar_nonzero(
    a: &'static str,
    b: &'static str,
) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    let c = all_scalar_nonzero(a, b);
    move |g, id, s| c(g, id, s) && data(g, s, b).facts.total
}
/// `?y` has rows summing to 1 and is total; `?o` is a column of ones.
fn rows_sum_one(y: &'static str, o: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| {
        let (dy, d_o) = (data(g, s, y), data(g, s, o));
        dy.facts.rows_sum_one && dy.facts.total && d_o.facts.ones && d_o.shape.is_column()
    }
}
fn columns(a: &'static str, b: &'static str) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| data(g, s, a).shape.is_column() && data(g, s, a).shape == data(g, s, b).shape
}

/// Where the term a conditional rule's fact is about sits in the term the
/// rule matched: None for a rule without a fact, `Some(None)` for a fact
/// about no particular term.
pub fn fact_subject(rule: &str) -> Option<Option<&'static [usize]>> {
    Some(match rule {
        "sum-one" | "rows-sum-one" | "had-onehot-self" | "had-cancel" | "div-cancel"
        | "haddiv-self" | "div-self" | "mul-inv-self" => Some(&[0]),
        // the rule matched sqrt(x) sqrt(x): the fact is about x
        "sqrt-mul-self" | "sqrt-had-self" => Some(&[0, 0]),
        // the rule matched (a ./ b)[i]: the fact is about b
        "at-haddiv" => Some(&[0, 1]),
        "haddiv-cancel" | "div-cancel-mul" | "inv-mul-self" => Some(&[1]),
        // the rule matched exp(log(r)): the fact is about r
        "inv-inv" | "exp-log" => Some(&[0, 0]),
        "tr-symmetric" | "relu-indicator" => None,
        _ => return None,
    })
}

/// The fact a conditional rule relied on, for `ProofOutcome::Proved::facts`,
/// with `term` (its subject as printed, `?` when unknown) filled in; None
/// for a rule without side condition.
pub fn fact_text(rule: &str, term: Option<&str>) -> Option<String> {
    let a = term.unwrap_or("?");
    Some(match rule {
        "sum-one" => format!("sum({a}) = 1 (onehot, simplex or softmax)"),
        "rows-sum-one" => {
            format!("{a} ones = ones (onehot_rows, simplex_rows or softmax_rows)")
        }
        "had-onehot-self" => format!("{a} is onehot ⇒ y ∘ y = y"),
        "had-cancel" => {
            format!("{a} ≠ 0 (positive: softmax, exp, sigmoid or a positive attribute)")
        }
        "haddiv-cancel" | "div-cancel-mul" | "div-cancel" | "haddiv-self" | "div-self"
        | "at-haddiv" => {
            format!("{a} ≠ 0")
        }
        "tr-symmetric" => {
            "a symmetric matrix (symmetric/spd attribute or diag) equals its transpose".into()
        }
        "inv-mul-self" => format!("{a} invertible ⇒ A⁻¹ A = I"),
        "mul-inv-self" => format!("{a} invertible ⇒ A A⁻¹ = I"),
        "inv-inv" => format!("{a} invertible ⇒ (A⁻¹)⁻¹ = A"),
        "exp-log" => format!("{a} > 0"),
        "sqrt-mul-self" | "sqrt-had-self" => format!("{a} > 0, so √{a} √{a} = {a}"),
        "relu-indicator" => "relu(z) > 0 ⇔ z > 0".into(),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
pub(crate) enum Const {
    Ones,
    Zeros,
    Eye,
}

/// Rewrites to a constant (ones, zeros, I) of the shape of the matched class.
pub(crate) struct MakeConst(pub(crate) Const);

fn dim_tag(d: Dim) -> String {
    d.written(|s| format!("d{s}")).replace(' ', "")
}

impl Applier<Mx, MxAnalysis> for MakeConst {
    fn apply_one(
        &self,
        egraph: &mut MxGraph,
        eclass: Id,
        _subst: &Subst,
        searcher_ast: Option<&PatternAst<Mx>>,
        rule_name: Symbol,
    ) -> Vec<Id> {
        let shape = egraph[eclass].data.shape;
        let node = if shape.is_scalar() {
            Mx::Num(match self.0 {
                Const::Zeros => BigRational::from_integer(0.into()),
                _ => BigRational::from_integer(1.into()),
            })
        } else {
            let (op, name, facts) = match self.0 {
                Const::Ones => (
                    Op::Ones,
                    "ones",
                    super::lang::Facts {
                        ones: true,
                        positive: true,
                        nonzero: true,
                        total: true,
                        ..Default::default()
                    },
                ),
                Const::Zeros => (
                    Op::Zeros,
                    "zeros",
                    super::lang::Facts {
                        zeros: true,
                        total: true,
                        ..Default::default()
                    },
                ),
                Const::Eye => (
                    Op::Eye,
                    "I",
                    super::lang::Facts {
                        eye: true,
                        symmetric: true,
                        invertible: true,
                        total: true,
                        ..Default::default()
                    },
                ),
            };
            let name = format!("{name}{{{},{}}}", dim_tag(shape.rows), dim_tag(shape.cols));
            // The table keeps the program's shape for conversion back; the
            // normalised one is all the analysis needs, and both are equal here
            // up to fixed dimensions, which the IR treats as the same.
            let sym = egraph
                .analysis
                .table
                .intern(&name, op, (shape, shape_ir(shape)), facts, 0);
            Mx::Other(sym, vec![])
        };
        let Some(ast) = searcher_ast else {
            let id = egraph.add(node);
            return if egraph.union(eclass, id) {
                vec![eclass]
            } else {
                vec![]
            };
        };
        let mut rhs: RecExpr<ENodeOrVar<Mx>> = RecExpr::default();
        rhs.add(ENodeOrVar::ENode(node));
        let (from, did) = egraph.union_instantiations(ast, &rhs, _subst, rule_name);
        if did { vec![from] } else { vec![] }
    }
}

/// `onesᵀ = ones`: the transpose of a class holding a ones leaf is a ones
/// leaf of the transposed shape, written with the program's dimensions.
pub(crate) struct TransposeOnes(pub(crate) Var);

impl Applier<Mx, MxAnalysis> for TransposeOnes {
    fn apply_one(
        &self,
        egraph: &mut MxGraph,
        eclass: Id,
        subst: &Subst,
        _searcher_ast: Option<&PatternAst<Mx>>,
        rule_name: Symbol,
    ) -> Vec<Id> {
        let o = subst[self.0];
        let table = &egraph.analysis.table;
        let leaf = egraph[o].nodes.iter().find_map(|n| match n {
            Mx::Other(s, kids) if kids.is_empty() && table.entries[s].facts.ones => {
                Some(table.entries[s].clone())
            }
            _ => None,
        });
        let Some(entry) = leaf else {
            return vec![];
        };
        let (shape, ir_shape) = (entry.shape.transposed(), entry.ir_shape.transposed());
        if shape.is_scalar() {
            return vec![];
        }
        let name = format!("ones{{{},{}}}", dim_tag(shape.rows), dim_tag(shape.cols));
        let sym = egraph
            .analysis
            .table
            .intern(&name, Op::Ones, (shape, ir_shape), entry.facts, 0);
        let id = egraph.add(Mx::Other(sym, vec![]));
        let did = if egraph.are_explanations_enabled() {
            egraph.union_trusted(eclass, id, rule_name)
        } else {
            egraph.union(eclass, id)
        };
        if did { vec![eclass] } else { vec![] }
    }
}

fn shape_ir(s: Shape) -> Shape {
    s
}

/// Rewrites to the number of entries of the class bound to a pattern
/// variable (`sum(ones(n)) → n`, `tr(I_n) → n`): a dimension's value, a
/// product of two, or a constant for fixed sizes. A size is a positive
/// integer, and the value of a dimension is known to be one.
pub(crate) struct EntriesOf(pub(crate) &'static str, pub(crate) bool);

impl Applier<Mx, MxAnalysis> for EntriesOf {
    fn apply_one(
        &self,
        egraph: &mut MxGraph,
        eclass: Id,
        subst: &Subst,
        searcher_ast: Option<&PatternAst<Mx>>,
        rule_name: Symbol,
    ) -> Vec<Id> {
        let shape = data(egraph, subst, self.0).shape;
        let mut term: RecExpr<Mx> = RecExpr::default();
        let mut dim = |d: Dim, term: &mut RecExpr<Mx>| match d {
            Dim::Const(c) => term.add(Mx::Num(BigRational::from_integer(c.into()))),
            Dim::Sym(_) => term.add(Mx::Other(size_symbol(egraph, d), vec![])),
            // `konst + Σ coeff · sym`, each symbol a size atom.
            Dim::Sum(_) => {
                let (konst, parts) = d.parts();
                let mut acc = (konst != 0)
                    .then(|| term.add(Mx::Num(BigRational::from_integer(konst.into()))));
                for (sym, coeff) in parts {
                    let mut t = term.add(Mx::Other(size_symbol(egraph, Dim::Sym(sym)), vec![]));
                    if coeff != 1 {
                        let c = term.add(Mx::Num(BigRational::from_integer(coeff.into())));
                        t = term.add(Mx::Mul([c, t]));
                    }
                    acc = Some(match acc {
                        Some(a) => term.add(Mx::Add([a, t])),
                        None => t,
                    });
                }
                acc.expect("a dimension sum names a symbol")
            }
        };
        // Rows only: the trace of a square matrix, or a column's entries.
        let rows = dim(shape.rows, &mut term);
        if !self.1 && shape.cols != Dim::Const(1) {
            let cols = dim(shape.cols, &mut term);
            term.add(Mx::Mul([rows, cols]));
        }
        let Some(ast) = searcher_ast else {
            let id = egraph.add_expr(&term);
            return if egraph.union(eclass, id) {
                vec![eclass]
            } else {
                vec![]
            };
        };
        let mut rhs: RecExpr<ENodeOrVar<Mx>> = RecExpr::default();
        for n in term.as_ref() {
            rhs.add(ENodeOrVar::ENode(n.clone()));
        }
        let (from, did) = egraph.union_instantiations(ast, &rhs, subst, rule_name);
        if did { vec![from] } else { vec![] }
    }
}

/// The atom of a symbolic dimension's value: the one the program's terms
/// use when there is one, with the facts of a size (positive, defined).
fn size_symbol(egraph: &mut MxGraph, d: Dim) -> super::lang::OtherSym {
    let facts = super::lang::Facts {
        positive: true,
        nonzero: true,
        invertible: true,
        total: true,
        ..Default::default()
    };
    let name = format!("size:{}", dim_tag(d));
    egraph.analysis.table.intern(
        &name,
        Op::DimValue(d),
        (Shape::SCALAR, Shape::SCALAR),
        facts,
        0,
    )
}

/// Scalars `a`, `b`, and `k` a size (a dimension's value) or a constant.
fn size_divisor(
    a: &'static str,
    b: &'static str,
    k: &'static str,
) -> impl Fn(&mut MxGraph, Id, &Subst) -> bool {
    move |g, _, s| {
        let size = {
            let id = s[k.parse::<Var>().expect("pattern variable")];
            g[id].data.konst.is_some()
                || g[id].nodes.iter().any(|n| match n {
                    Mx::Other(sym, kids) if kids.is_empty() => {
                        matches!(g.analysis.table.entries[sym].op, Op::DimValue(_))
                    }
                    _ => false,
                })
        };
        size && [a, b, k].iter().all(|v| data(g, s, v).shape.is_scalar())
    }
}

/// Rules on sums and negation (all same-shape, entrywise: commutative).
#[rustfmt::skip]
fn sums() -> Vec<Rw> {
    vec![
        rw!("add-comm"; "(+ ?a ?b)" => "(+ ?b ?a)"),
        rw!("add-assoc"; "(+ (+ ?a ?b) ?c)" => "(+ ?a (+ ?b ?c))"),
        rw!("add-assoc-rev"; "(+ ?a (+ ?b ?c))" => "(+ (+ ?a ?b) ?c)"),
        rw!("sub-as-add-neg"; "(- ?a ?b)" => "(+ ?a (neg ?b))"),
        rw!("add-neg-as-sub"; "(+ ?a (neg ?b))" => "(- ?a ?b)"),
        rw!("neg-neg"; "(neg (neg ?a))" => "?a"),
        rw!("neg-add"; "(neg (+ ?a ?b))" => "(+ (neg ?a) (neg ?b))"),
        rw!("neg-add-rev"; "(+ (neg ?a) (neg ?b))" => "(neg (+ ?a ?b))"),
        rw!("add-zero"; "(+ ?a ?zr)" => "?a" if cond("?zr", |d| d.facts.zeros)),
        rw!("add-neg-self"; "(+ ?a (neg ?a))" => { MakeConst(Const::Zeros) } if total("?a")),
        rw!("add-self"; "(+ ?a ?a)" => "(scale 2 ?a)"),
        rw!("sub-factor-right"; "(- ?a (* ?a ?b))" => "(* ?a (- 1 ?b))" if both_scalar("?a", "?b")),
        rw!("sub-factor-left"; "(- ?a (* ?b ?a))" => "(* (- 1 ?b) ?a)" if both_scalar("?a", "?b")),
    ]
}

/// Rules on matrix products: associative, distributive, NOT commutative.
#[rustfmt::skip]
fn products() -> Vec<Rw> {
    vec![
        rw!("mul-assoc"; "(* (* ?a ?b) ?c)" => "(* ?a (* ?b ?c))"),
        rw!("mul-assoc-rev"; "(* ?a (* ?b ?c))" => "(* (* ?a ?b) ?c)"),
        rw!("mul-distrib-left"; "(* ?a (+ ?b ?c))" => "(+ (* ?a ?b) (* ?a ?c))"),
        rw!("mul-factor-left"; "(+ (* ?a ?b) (* ?a ?c))" => "(* ?a (+ ?b ?c))"),
        rw!("mul-distrib-right"; "(* (+ ?a ?b) ?c)" => "(+ (* ?a ?c) (* ?b ?c))"),
        rw!("mul-factor-right"; "(+ (* ?a ?c) (* ?b ?c))" => "(* (+ ?a ?b) ?c)"),
        rw!("mul-neg-left"; "(* (neg ?a) ?b)" => "(neg (* ?a ?b))"),
        rw!("mul-neg-right"; "(* ?a (neg ?b))" => "(neg (* ?a ?b))"),
        rw!("neg-mul-left"; "(neg (* ?a ?b))" => "(* (neg ?a) ?b)"),
        rw!("mul-eye-left"; "(* ?e ?a)" => "?a" if cond("?e", |d| d.facts.eye)),
        rw!("mul-eye-right"; "(* ?a ?e)" => "?a" if cond("?e", |d| d.facts.eye)),
        rw!("mul-scalar-comm"; "(* ?a ?b)" => "(* ?b ?a)" if both_scalar("?a", "?b")),
        rw!("mul-scalar-left"; "(* ?s ?a)" => "(scale ?s ?a)" if scalar_and_not("?s", "?a")),
        rw!("mul-scalar-right"; "(* ?a ?s)" => "(scale ?s ?a)" if scalar_and_not("?s", "?a")),
        rw!("mul-one"; "(* 1 ?a)" => "?a"),
    ]
}

/// Rules on scalar multiples.
#[rustfmt::skip]
fn scalar_multiples() -> Vec<Rw> {
    vec![
        rw!("scale-one"; "(scale 1 ?a)" => "?a"),
        rw!("scale-minus-one"; "(scale -1 ?a)" => "(neg ?a)"),
        rw!("scale-zero"; "(scale 0 ?a)" => { MakeConst(Const::Zeros) } if total("?a")),
        rw!("scale-scale"; "(scale ?s (scale ?t ?a))" => "(scale (* ?s ?t) ?a)"),
        rw!("scale-neg"; "(scale ?s (neg ?a))" => "(neg (scale ?s ?a))"),
        rw!("neg-scale"; "(scale (neg ?s) ?a)" => "(neg (scale ?s ?a))"),
        rw!("scale-add"; "(scale ?s (+ ?a ?b))" => "(+ (scale ?s ?a) (scale ?s ?b))"),
        rw!("scale-factor"; "(+ (scale ?s ?a) (scale ?s ?b))" => "(scale ?s (+ ?a ?b))"),
        rw!("scale-mul-left"; "(* (scale ?s ?a) ?b)" => "(scale ?s (* ?a ?b))"),
        rw!("scale-mul-right"; "(* ?a (scale ?s ?b))" => "(scale ?s (* ?a ?b))"),
        rw!("scale-out-left"; "(scale ?s (* ?a ?b))" => "(* (scale ?s ?a) ?b)"),
        rw!("scale-had"; "(.* (scale ?s ?a) ?b)" => "(scale ?s (.* ?a ?b))"),
        rw!("scale-scalar"; "(scale ?s ?a)" => "(* ?s ?a)" if scalar("?a")),
        // c/s · a = (c a)/s: both sides are undefined exactly where s = 0
        rw!("scale-quotient"; "(scale (/ ?c ?s) ?a)" => "(/ (scale ?c ?a) ?s)"),
    ]
}

/// Rules on transpose.
#[rustfmt::skip]
fn transposes() -> Vec<Rw> {
    vec![
        rw!("tr-tr"; "(T (T ?a))" => "?a"),
        rw!("tr-mul"; "(T (* ?a ?b))" => "(* (T ?b) (T ?a))"),
        rw!("tr-mul-rev"; "(* (T ?b) (T ?a))" => "(T (* ?a ?b))"),
        rw!("tr-add"; "(T (+ ?a ?b))" => "(+ (T ?a) (T ?b))"),
        rw!("tr-sub"; "(T (- ?a ?b))" => "(- (T ?a) (T ?b))"),
        rw!("tr-neg"; "(T (neg ?a))" => "(neg (T ?a))"),
        rw!("tr-scale"; "(T (scale ?s ?a))" => "(scale ?s (T ?a))"),
        rw!("tr-had"; "(T (.* ?a ?b))" => "(.* (T ?a) (T ?b))"),
        rw!("tr-scalar"; "(T ?a)" => "?a" if scalar("?a")),
        rw!("tr-ones"; "(T ?o)" => { TransposeOnes("?o".parse().expect("pattern variable")) }),
        rw!("tr-symmetric"; "(T ?a)" => "?a" if cond("?a", |d| d.facts.symmetric)),
        rw!("tr-inv"; "(T (inv ?a))" => "(inv (T ?a))"),
        rw!("inv-tr"; "(inv (T ?a))" => "(T (inv ?a))"),
    ]
}

/// Rules on inverses.
#[rustfmt::skip]
fn inverses() -> Vec<Rw> {
    vec![
        rw!("inv-inv"; "(inv (inv ?a))" => "?a" if cond("?a", |d| d.facts.invertible)),
        rw!("inv-mul-self"; "(* (inv ?a) ?a)" => { MakeConst(Const::Eye) } if cond("?a", |d| d.facts.invertible && d.facts.total)),
        rw!("mul-inv-self"; "(* ?a (inv ?a))" => { MakeConst(Const::Eye) } if cond("?a", |d| d.facts.invertible && d.facts.total)),
    ]
}

/// Rules on elementwise products (commutative, entrywise).
#[rustfmt::skip]
fn elementwise() -> Vec<Rw> {
    vec![
        rw!("had-comm"; "(.* ?a ?b)" => "(.* ?b ?a)"),
        rw!("had-assoc"; "(.* (.* ?a ?b) ?c)" => "(.* ?a (.* ?b ?c))"),
        rw!("had-assoc-rev"; "(.* ?a (.* ?b ?c))" => "(.* (.* ?a ?b) ?c)"),
        rw!("had-distrib"; "(.* ?a (+ ?b ?c))" => "(+ (.* ?a ?b) (.* ?a ?c))"),
        rw!("had-factor"; "(+ (.* ?a ?b) (.* ?a ?c))" => "(.* ?a (+ ?b ?c))"),
        rw!("had-neg"; "(.* (neg ?a) ?b)" => "(neg (.* ?a ?b))"),
        rw!("neg-had"; "(neg (.* ?a ?b))" => "(.* (neg ?a) ?b)"),
        rw!("had-ones"; "(.* ?a ?o)" => "?a" if cond("?o", |d| d.facts.ones)),
        rw!("had-onehot-self"; "(.* ?y ?y)" => "?y" if cond("?y", |d| d.facts.onehot)),
        rw!("had-scalar"; "(.* ?a ?b)" => "(* ?a ?b)" if both_scalar("?a", "?b")),
        rw!("had-cancel"; "(.* ?b (./ ?a ?b))" => "?a" if total_nonzero("?b")),
        rw!("haddiv-cancel"; "(./ (.* ?a ?b) ?b)" => "?a" if total_nonzero("?b")),
        rw!("haddiv-self"; "(./ ?a ?a)" => { MakeConst(Const::Ones) } if total_nonzero("?a")),
        rw!("haddiv-neg"; "(./ (neg ?a) ?b)" => "(neg (./ ?a ?b))"),
        rw!("neg-haddiv"; "(neg (./ ?a ?b))" => "(./ (neg ?a) ?b)"),
        rw!("div-self"; "(/ ?a ?a)" => "1" if total_nonzero("?a")),
        rw!("div-one"; "(/ ?a 1)" => "?a"),
        rw!("div-cancel"; "(* ?b (/ ?a ?b))" => "?a" if total_scalar_nonzero("?a", "?b")),
        rw!("div-cancel-mul"; "(/ (* ?a ?b) ?b)" => "?a" if total_scalar_nonzero("?a", "?b")),
        rw!("div-neg"; "(/ (neg ?a) ?s)" => "(neg (/ ?a ?s))"),
        // Scalars: both sides are defined exactly where k ≠ 0. Only for a
        // size or a constant divisor (`sum(x) / n`): on every quotient the
        // three would grow every e-graph of the lectures past its budget.
        rw!("div-mul-assoc"; "(/ (* ?a ?b) ?k)" => "(* ?a (/ ?b ?k))" if size_divisor("?a", "?b", "?k")),
        rw!("mul-div-assoc"; "(* ?a (/ ?b ?k))" => "(/ (* ?a ?b) ?k)" if size_divisor("?a", "?b", "?k")),
        rw!("div-mul-left"; "(* (/ ?a ?k) ?b)" => "(/ (* ?a ?b) ?k)" if size_divisor("?a", "?b", "?k")),
    ]
}

/// Rules on sums of entries.
#[rustfmt::skip]
fn entry_sums() -> Vec<Rw> {
    vec![
        rw!("sum-add"; "(sum (+ ?a ?b))" => "(+ (sum ?a) (sum ?b))"),
        rw!("sum-add-rev"; "(+ (sum ?a) (sum ?b))" => "(sum (+ ?a ?b))" if same_shape("?a", "?b")),
        rw!("sum-neg"; "(sum (neg ?a))" => "(neg (sum ?a))"),
        rw!("neg-sum"; "(neg (sum ?a))" => "(sum (neg ?a))"),
        rw!("sum-scale"; "(sum (scale ?s ?a))" => "(* ?s (sum ?a))"),
        rw!("sum-scalar"; "(sum ?a)" => "?a" if scalar("?a")),
        rw!("sum-one"; "(sum ?y)" => "1" if cond("?y", |d| d.facts.sum_one && d.facts.total)),
        rw!("sum-ones"; "(sum ?o)" => { EntriesOf("?o", false) } if cond("?o", |d| d.facts.ones && !d.shape.is_scalar())),
        rw!("trace-eye"; "(trace ?e)" => { EntriesOf("?e", true) } if cond("?e", |d| d.facts.eye)),
        rw!("rows-sum-one"; "(* ?y ?o)" => { MakeConst(Const::Ones) } if rows_sum_one("?y", "?o")),
        rw!("inner-as-sum"; "(* (T ?a) ?b)" => "(sum (.* ?a ?b))" if columns("?a", "?b")),
        rw!("sum-as-inner"; "(sum (.* ?a ?b))" => "(* (T ?a) ?b)" if columns("?a", "?b")),
    ]
}

/// Rules on structure.
#[rustfmt::skip]
fn structure() -> Vec<Rw> {
    vec![
        rw!("diag-mul-vec"; "(* (diag ?a) ?b)" => "(.* ?a ?b)" if cond("?b", |d| d.shape.is_column())),
        rw!("relu-indicator"; "(ind> (relu ?x) ?zr)" => "(ind> ?x ?zr)" if cond("?zr", |d| d.facts.zeros)),
        rw!("log-exp"; "(log (exp ?a))" => "?a"),
        rw!("exp-log"; "(exp (log ?a))" => "?a" if cond("?a", |d| d.facts.positive)),
        // √x √x = x needs x ≥ 0 known (here: positive); both sides are then
        // defined exactly where x is. A square matrix's √ is entrywise, so
        // the matrix product is excluded.
        rw!("sqrt-mul-self"; "(* (sqrt ?x) (sqrt ?x))" => "?x" if cond("?x", |d| d.facts.positive && d.shape.is_scalar())),
        rw!("sqrt-had-self"; "(.* (sqrt ?x) (sqrt ?x))" => "?x" if cond("?x", |d| d.facts.positive)),
    ]
}

/// Rules on components (1-based): entries of structured matrices.
#[rustfmt::skip]
fn components() -> Vec<Rw> {
    vec![
        rw!("at-add"; "(at (+ ?a ?b) ?i)" => "(+ (at ?a ?i) (at ?b ?i))"),
        rw!("at-sub"; "(at (- ?a ?b) ?i)" => "(- (at ?a ?i) (at ?b ?i))"),
        rw!("at-neg"; "(at (neg ?a) ?i)" => "(neg (at ?a ?i))"),
        rw!("at-scale"; "(at (scale ?s ?a) ?i)" => "(* ?s (at ?a ?i))"),
        rw!("at-had"; "(at (.* ?a ?b) ?i)" => "(* (at ?a ?i) (at ?b ?i))"),
        // Only for b known nonzero: a zero elsewhere in b leaves a ./ b
        // undefined while the entry's quotient is defined.
        rw!("at-haddiv"; "(at (./ ?a ?b) ?i)" => "(/ (at ?a ?i) (at ?b ?i))" if cond("?b", |d| d.facts.nonzero)),
        rw!("at-ones"; "(at ?o ?i)" => "1" if cond("?o", |d| d.facts.ones)),
        rw!("at-add-2"; "(at (+ ?a ?b) ?i ?j)" => "(+ (at ?a ?i ?j) (at ?b ?i ?j))"),
        rw!("at-sub-2"; "(at (- ?a ?b) ?i ?j)" => "(- (at ?a ?i ?j) (at ?b ?i ?j))"),
        rw!("at-neg-2"; "(at (neg ?a) ?i ?j)" => "(neg (at ?a ?i ?j))"),
        rw!("at-scale-2"; "(at (scale ?s ?a) ?i ?j)" => "(* ?s (at ?a ?i ?j))"),
        rw!("at-had-2"; "(at (.* ?a ?b) ?i ?j)" => "(* (at ?a ?i ?j) (at ?b ?i ?j))"),
        rw!("at-transpose"; "(at (T ?a) ?i ?j)" => "(at ?a ?j ?i)"),
        rw!("at-diag"; "(at (diag ?v) ?i ?j)" => "(* (at ?v ?i) (delta ?i ?j))"),
        rw!("at-outer"; "(at (* ?u (T ?w)) ?i ?j)" => "(* (at ?u ?i) (at ?w ?j))" if cond("?u", |d| d.shape.is_column())),
        rw!("at-eye"; "(at ?e ?i ?j)" => "(delta ?i ?j)" if cond("?e", |d| d.facts.eye)),
        rw!("delta-self"; "(delta ?i ?i)" => "1"),
        rw!("delta-comm"; "(delta ?i ?j)" => "(delta ?j ?i)"),
        rw!("mul-one-right"; "(* ?a 1)" => "?a"),
    ]
}

/// Every rule, group by group, in the order egg applies them.
fn build() -> Vec<Rw> {
    let mut r: Vec<Rw> = [
        sums(),
        products(),
        scalar_multiples(),
        transposes(),
        inverses(),
        elementwise(),
        entry_sums(),
        structure(),
        components(),
    ]
    .concat();
    r.extend(rw!("mul-neg-factor"; "(neg (* ?a ?b))" <=> "(* ?a (neg ?b))"));
    r
}

/// The rule set, built once.
pub fn rules() -> &'static [Rw] {
    static RULES: OnceLock<Vec<Rw>> = OnceLock::new();
    RULES.get_or_init(build)
}
