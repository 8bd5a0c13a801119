//! The egg language for matrix expressions, its analysis (every e-class knows
//! its shape, a constant value if any, and the facts that declared attributes
//! or the operator itself guarantee), and conversion to and from the IR.
//!
//! Operators egg has no rules for travel as `Other(symbol, children)`: the
//! symbol names an (IR op, shape) pair in [`Table`], so their arguments are
//! still simplified and they come back unchanged.

use crate::ir::vocab::{Domain, Range};
use crate::ir::{self, Attr, CmpOp, Dim, ElemFn, Expr, Op, Program, Shape};
use crate::span::Span;
use egg::{Analysis, DidMerge, EGraph, Id, Language, RecExpr, define_language};
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use std::collections::HashMap;

define_language! {
    pub enum Mx {
        "+" = Add([Id; 2]),
        "-" = Sub([Id; 2]),
        "neg" = Neg(Id),
        "*" = Mul([Id; 2]),
        "scale" = Scale([Id; 2]),
        ".*" = Had([Id; 2]),
        "./" = HadDiv([Id; 2]),
        "/" = Div([Id; 2]),
        "^" = Pow([Id; 2]),
        ".^" = ElemPow([Id; 2]),
        "T" = Tr(Id),
        "inv" = Inv(Id),
        "sum" = Sum(Id),
        "softmax" = Softmax(Id),
        "logsumexp" = Lse(Id),
        "norm" = Norm(Id),
        "trace" = Trace(Id),
        "det" = Det(Id),
        "logdet" = LogDet(Id),
        "diag" = Diag(Id),
        "max" = Max([Id; 2]),
        "min" = Min([Id; 2]),
        "ind<" = IndLt([Id; 2]),
        "ind<=" = IndLe([Id; 2]),
        "ind>" = IndGt([Id; 2]),
        "ind>=" = IndGe([Id; 2]),
        "at" = At(Box<[Id]>),
        "delta" = Delta([Id; 2]),
        Num(BigRational),
        // A built-in elementwise function (its argument, then its
        // parameters), spelled as in files: `(tanh ?z)`.
        Elem(ElemFn, Box<[Id]>),
        Other(OtherSym, Vec<Id>),
    }
}

/// The atom an `Other` node stands for: its index in the run's [`Table`].
/// Indices follow the order the run met its atoms, so one run's e-graph
/// (and its hashing and iteration orders) does not depend on what other
/// runs in the same process interned before it, as a global symbol's would.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct OtherSym(u32);

impl std::fmt::Display for OtherSym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "atom{}", self.0)
    }
}

impl std::str::FromStr for OtherSym {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.strip_prefix("atom")
            .and_then(|n| n.parse().ok())
            .map(OtherSym)
            .ok_or_else(|| format!("not an atom: {s}"))
    }
}

/// The entries of a [`Table`], indexed by their atoms.
#[derive(Default, Clone, Debug)]
pub struct Entries(Vec<Entry>);

impl std::ops::Index<&OtherSym> for Entries {
    type Output = Entry;
    fn index(&self, s: &OtherSym) -> &Entry {
        &self.0[s.0 as usize]
    }
}

/// What is known about every entry of a value, from declarations and operators only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub positive: bool,
    pub nonzero: bool,
    pub onehot: bool,
    pub sum_one: bool,
    /// Every row sums to 1 (`onehot_rows`, `simplex_rows`, `softmax_rows`),
    /// so `Y ones(C) = ones(N)`.
    pub rows_sum_one: bool,
    pub symmetric: bool,
    pub invertible: bool,
    pub ones: bool,
    pub zeros: bool,
    pub eye: bool,
    /// Every entry is below 1 (a sigmoid), so `1 − a` is positive.
    pub below_one: bool,
    /// A let name or adjoint: extraction prefers it over its definition.
    pub named: bool,
    /// Defined for every value of the variables (no division by a value that
    /// may be zero, no log of a value that may be negative, no inverse of a
    /// matrix that may be singular). Rules whose right side is defined where
    /// the left side may not be (`0 a → 0`, `a − a → 0`, `a ./ a → 1`) fire
    /// only on total terms, so every e-class has one domain.
    pub total: bool,
}

impl Facts {
    fn or(self, o: Facts) -> Facts {
        Facts {
            positive: self.positive || o.positive,
            nonzero: self.nonzero || o.nonzero,
            onehot: self.onehot || o.onehot,
            sum_one: self.sum_one || o.sum_one,
            rows_sum_one: self.rows_sum_one || o.rows_sum_one,
            symmetric: self.symmetric || o.symmetric,
            invertible: self.invertible || o.invertible,
            ones: self.ones || o.ones,
            zeros: self.zeros || o.zeros,
            eye: self.eye || o.eye,
            below_one: self.below_one || o.below_one,
            named: self.named || o.named,
            total: self.total || o.total,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Data {
    pub shape: Shape,
    pub konst: Option<BigRational>,
    pub facts: Facts,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub op: Op,
    pub shape: Shape,
    /// The shape as the program writes it (symbolic dims kept), for conversion back.
    pub ir_shape: Shape,
    pub facts: Facts,
    /// Preference among let names: later (downstream) names are preferred.
    pub rank: usize,
}

/// Symbols of `Other` nodes: which IR op and shape each stands for.
#[derive(Default, Clone, Debug)]
pub struct Table {
    pub entries: Entries,
    names: Vec<String>,
    by_key: HashMap<(Op, Shape), OtherSym>,
}

impl Table {
    pub fn intern(
        &mut self,
        name: &str,
        op: Op,
        shapes: (Shape, Shape),
        facts: Facts,
        rank: usize,
    ) -> OtherSym {
        let (shape, ir_shape) = shapes;
        if let Some(s) = self.by_key.get(&(op.clone(), shape)) {
            return *s;
        }
        let sym = self.push(
            name,
            Entry {
                op: op.clone(),
                shape,
                ir_shape,
                facts,
                rank,
            },
        );
        self.by_key.insert((op, shape), sym);
        sym
    }

    /// A new atom for `entry`, called `name` where it is printed for
    /// debugging.
    pub fn push(&mut self, name: &str, entry: Entry) -> OtherSym {
        let sym = OtherSym(self.entries.0.len() as u32);
        self.entries.0.push(entry);
        self.names.push(name.to_string());
        sym
    }

    /// The name an atom was interned with.
    pub fn name(&self, s: OtherSym) -> &str {
        &self.names[s.0 as usize]
    }
}

#[derive(Default, Clone, Debug)]
pub struct MxAnalysis {
    pub table: Table,
    /// Internal errors seen while building or merging e-classes: an ill-typed
    /// node, or a merge of classes of different shapes or different constants.
    /// Any entry means a rule is wrong; a proof attempt then returns Unknown.
    pub errors: Vec<String>,
}

impl MxAnalysis {
    pub fn new(table: Table) -> Self {
        MxAnalysis {
            table,
            errors: Vec::new(),
        }
    }

    fn record(&mut self, e: String) {
        // The first few are enough to locate the rule.
        if self.errors.len() < 8 {
            self.errors.push(e);
        }
    }
}

fn shape_text(s: Shape) -> String {
    let d = |d: Dim| d.written(|i| format!("d{i}")).replace(' ', "");
    format!("{}x{}", d(s.rows), d(s.cols))
}

/// Why a node is ill-typed, if it is (its children's shapes do not fit).
fn ill_typed(node: &Mx, sh: &dyn Fn(&Id) -> Shape) -> Option<String> {
    let bad = |what: &str, a: Shape, b: Shape| {
        Some(format!(
            "ill-typed node `{what}` of shapes {} and {}",
            shape_text(a),
            shape_text(b)
        ))
    };
    match node {
        Mx::Add([a, b])
        | Mx::Sub([a, b])
        | Mx::Had([a, b])
        | Mx::HadDiv([a, b])
        | Mx::Max([a, b])
        | Mx::Min([a, b])
            if sh(a) != sh(b) =>
        {
            bad(node.to_string().as_str(), sh(a), sh(b))
        }
        Mx::Mul([a, b]) if sh(a).cols != sh(b).rows => bad("*", sh(a), sh(b)),
        Mx::Scale([s, a]) if !sh(s).is_scalar() => bad("scale", sh(s), sh(a)),
        Mx::Div([a, s]) if !sh(s).is_scalar() => bad("/", sh(a), sh(s)),
        _ => None,
    }
}

pub type MxGraph = EGraph<Mx, MxAnalysis>;

fn fold(node: &Mx, k: &dyn Fn(&Id) -> Option<BigRational>, shape: Shape) -> Option<BigRational> {
    if !shape.is_scalar() {
        return None;
    }
    Some(match node {
        Mx::Num(c) => c.clone(),
        Mx::Add([a, b]) => k(a)? + k(b)?,
        Mx::Sub([a, b]) => k(a)? - k(b)?,
        Mx::Neg(a) => -k(a)?,
        Mx::Mul([a, b]) | Mx::Had([a, b]) | Mx::Scale([a, b]) => k(a)? * k(b)?,
        Mx::Div([a, b]) | Mx::HadDiv([a, b]) => {
            let d = k(b)?;
            if d.is_zero() {
                return None;
            }
            k(a)? / d
        }
        Mx::Tr(a) | Mx::Sum(a) | Mx::Trace(a) | Mx::Diag(a) => k(a)?,
        _ => return None,
    })
}

/// The shape of a node from its children's shapes.
pub fn node_shape(node: &Mx, sh: &dyn Fn(&Id) -> Shape, table: &Table) -> Shape {
    shape_with(node, sh, &|s| table.entries[s].shape)
}

fn shape_with(node: &Mx, sh: &dyn Fn(&Id) -> Shape, other: &dyn Fn(&OtherSym) -> Shape) -> Shape {
    match node {
        Mx::Num(_) => Shape::SCALAR,
        Mx::Mul([a, b]) => Shape::new(sh(a).rows, sh(b).cols),
        Mx::Scale([_, b]) => sh(b),
        Mx::Tr(a) => sh(a).transposed(),
        Mx::At(_)
        | Mx::Delta(_)
        | Mx::Sum(_)
        | Mx::Lse(_)
        | Mx::Norm(_)
        | Mx::Trace(_)
        | Mx::Det(_)
        | Mx::LogDet(_) => Shape::SCALAR,
        Mx::Diag(a) => Shape::new(sh(a).rows, sh(a).rows),
        Mx::Other(s, _) => other(s),
        n => sh(&n.children()[0]),
    }
}

/// The facts an operator guarantees of its result from its arguments' facts
/// (softmax > 0, a product of invertible matrices is invertible, …).
fn operator_facts<'d>(node: &Mx, d: &dyn Fn(&Id) -> &'d Data, table: &Table) -> Facts {
    let f = |i: &Id| d(i).facts;
    let mut facts = Facts::default();
    match node {
        Mx::Other(s, _) => facts = table.entries[s].facts,
        Mx::Softmax(_) => {
            facts.positive = true;
            facts.sum_one = true;
        }
        Mx::Elem(g, _) => match g.range() {
            Range::Any => {}
            Range::Positive => facts.positive = true,
            Range::Unit => {
                facts.positive = true;
                facts.below_one = true;
            }
        },
        // 1 − σ(z) > 0 entrywise; `ones` marks the constant 1 as well.
        Mx::Sub([a, b]) => facts.positive = f(a).ones && f(b).below_one,
        Mx::Had([a, b]) | Mx::HadDiv([a, b]) => {
            facts.positive = f(a).positive && f(b).positive;
            facts.nonzero = f(a).nonzero && f(b).nonzero;
        }
        Mx::Scale([a, b]) => {
            facts.positive = f(a).positive && f(b).positive;
            facts.nonzero = f(a).nonzero && f(b).nonzero;
            // a nonzero multiple of an invertible matrix
            facts.invertible = f(a).nonzero && f(b).invertible;
        }
        Mx::Add([a, b]) => facts.positive = f(a).positive && f(b).positive,
        Mx::Neg(a) => {
            facts.nonzero = f(a).nonzero;
            facts.invertible = f(a).invertible;
        }
        // A product of invertible (hence square) matrices of one size.
        Mx::Mul([a, b]) => {
            let (sa, sb) = (d(a).shape, d(b).shape);
            facts.invertible = f(a).invertible
                && f(b).invertible
                && sa.rows == sa.cols
                && sb.rows == sb.cols
                && sa.cols == sb.rows;
            // an outer product of ones is a matrix of ones
            facts.ones = f(a).ones && f(b).ones && sa.cols == Dim::Const(1);
        }
        Mx::Tr(a) => {
            let fa = f(a);
            facts = Facts {
                named: false,
                onehot: false,
                sum_one: fa.sum_one,
                rows_sum_one: false,
                ..fa
            };
        }
        // diag(v) is invertible when no entry of v is zero
        Mx::Diag(a) => {
            facts.symmetric = true;
            facts.invertible = f(a).nonzero;
        }
        Mx::Inv(a) => {
            facts.invertible = f(a).invertible;
            facts.symmetric = f(a).symmetric;
        }
        Mx::Det(a) => facts.nonzero = f(a).invertible,
        Mx::At(k) => {
            facts.positive = f(&k[0]).positive;
            facts.nonzero = f(&k[0]).nonzero;
            facts.below_one = f(&k[0]).below_one;
        }
        _ => {}
    }
    facts
}

/// The analysis data of a node from its children's data: shape, constant
/// value and known facts, and why the node is ill-typed, if it is.
pub fn node_data<'d>(
    node: &Mx,
    d: &dyn Fn(&Id) -> &'d Data,
    table: &Table,
) -> (Data, Option<String>) {
    let shape = node_shape(node, &|i| d(i).shape, table);
    let err = ill_typed(node, &|i| d(i).shape);
    let konst = fold(node, &|i| d(i).konst.clone(), shape);
    let f = |i: &Id| d(i).facts;
    let mut facts = operator_facts(node, d, table);
    if let Some(c) = &konst {
        facts.positive |= c.is_positive();
        facts.nonzero |= !c.is_zero();
        facts.ones |= c.is_one();
        facts.zeros |= c.is_zero();
    }
    if facts.positive {
        facts.nonzero = true;
    }
    // A nonzero scalar is an invertible 1×1 matrix.
    if shape.is_scalar() && facts.nonzero {
        facts.invertible = true;
    }
    let kids_total = node.children().iter().all(|i| f(i).total);
    let nonneg_int = |i: &Id| {
        d(i).konst
            .as_ref()
            .is_some_and(|c| c.is_integer() && !c.is_negative())
    };
    facts.total = konst.is_some()
        || kids_total
            && match node {
                Mx::Div([_, b]) | Mx::HadDiv([_, b]) => f(b).nonzero,
                Mx::Elem(g, k) => match g.domain() {
                    Domain::All => true,
                    Domain::Positive => f(&k[0]).positive,
                },
                Mx::Inv(a) => f(a).invertible,
                Mx::LogDet(_) => false,
                Mx::Pow([a, p]) | Mx::ElemPow([a, p]) => f(a).positive || nonneg_int(p),
                // For an operator with arguments: total when they are.
                Mx::Other(s, _) => table.entries[s].facts.total,
                _ => true,
            };
    (
        Data {
            shape,
            konst,
            facts,
        },
        err,
    )
}

/// The data of every node of a term, in order.
pub fn rec_data(table: &Table, rec: &RecExpr<Mx>) -> Vec<Data> {
    let mut out: Vec<Data> = Vec::with_capacity(rec.as_ref().len());
    for node in rec.as_ref() {
        let (dt, _) = node_data(node, &|i| &out[usize::from(*i)], table);
        out.push(dt);
    }
    out
}

impl Analysis<Mx> for MxAnalysis {
    type Data = Data;

    fn make(egraph: &mut MxGraph, node: &Mx) -> Data {
        let (data, err) = node_data(node, &|i| &egraph[*i].data, &egraph.analysis.table);
        if let Some(e) = err {
            egraph.analysis.record(e);
        }
        data
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
        // Equal values have one shape and one constant: anything else is a
        // rule that is wrong, never a fact to keep one side of.
        if a.shape != b.shape {
            self.record(format!(
                "e-classes of shapes {} and {} were merged",
                shape_text(a.shape),
                shape_text(b.shape)
            ));
        }
        if let (Some(x), Some(y)) = (&a.konst, &b.konst)
            && x != y
        {
            self.record(format!("e-classes of constants {x} and {y} were merged"));
        }
        let mut changed_a = false;
        if a.konst.is_none() && b.konst.is_some() {
            a.konst = b.konst.clone();
            changed_a = true;
        }
        let nf = a.facts.or(b.facts);
        if nf != a.facts {
            a.facts = nf;
            changed_a = true;
        }
        let changed_b = nf != b.facts || (b.konst.is_none() && a.konst.is_some());
        DidMerge(changed_a, changed_b)
    }

    fn modify(egraph: &mut MxGraph, id: Id) {
        if let Some(c) = egraph[id].data.konst.clone() {
            let n = egraph.add(Mx::Num(c));
            if egraph.are_explanations_enabled() {
                egraph.union_trusted(id, n, "constant-fold");
            } else {
                egraph.union(id, n);
            }
        }
    }
}

/// Builds egg terms from IR expressions, interning leaves and unknown ops.
pub struct ToEgg<'p> {
    pub prog: &'p Program,
    pub table: Table,
    /// Names for `Op::Adjoint(k)` (δ1, δ2, …).
    pub adjoint_names: Vec<String>,
    /// What each let's definition is known to satisfy, so the name carries
    /// it even where the definition is not unfolded.
    pub let_facts: HashMap<ir::LetId, Facts>,
}

/// Whether an operator egg knows only by name is defined wherever its arguments are.
fn op_total(prog: &Program, op: &Op) -> bool {
    match op {
        Op::Var(_)
        | Op::Local(_)
        | Op::Idx(_)
        | Op::DimValue(_)
        | Op::Pi
        | Op::Ones
        | Op::Zeros
        | Op::Eye
        | Op::Fun(_)
        | Op::FunPrime(_)
        | Op::Component
        | Op::Literal { .. }
        | Op::Stack
        | Op::Rows { .. }
        | Op::MatPow(_)
        | Op::SumIdx(_)
        | Op::SumRange(_)
        | Op::ProdRange { .. }
        | Op::Smin
        | Op::Smax
        | Op::SoftmaxRows
        | Op::LseRows => true,
        Op::ElemPrime(f) => f.domain() == Domain::All,
        // Only an independent variable at every time: a defined element
        // may be undefined (its definition, or a time no piece covers).
        Op::SeqAt(s) => prog.seqs[*s]
            .pieces
            .iter()
            .all(|p| matches!(p, ir::SeqPiece::GivenEvery { .. })),
        _ => false,
    }
}

fn is_derivative(op: &Op) -> bool {
    matches!(op, Op::Grad | Op::Jac | Op::Hess | Op::D)
}

/// Dimensions with a fixed value become literals, so equal shapes compare equal.
pub fn norm_shape(prog: &Program, s: Shape) -> Shape {
    let d = |x: Dim| x.substituted(|id| prog.dims[id].value);
    Shape::new(d(s.rows), d(s.cols))
}

impl<'p> ToEgg<'p> {
    pub fn new(prog: &'p Program, adjoint_names: &[String]) -> Self {
        ToEgg {
            prog,
            table: Table::default(),
            adjoint_names: adjoint_names.to_vec(),
            let_facts: HashMap::new(),
        }
    }

    /// The facts of let `l`'s definition (without the ones extraction reads
    /// as constants). Lets are visited in post-order without recursion, so a
    /// long chain of definitions cannot exhaust the stack.
    fn let_facts(&mut self, l: ir::LetId) -> Facts {
        if let Some(f) = self.let_facts.get(&l) {
            return *f;
        }
        let mut order = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![(l, false)];
        while let Some((k, expanded)) = stack.pop() {
            if expanded {
                order.push(k);
                continue;
            }
            if self.let_facts.contains_key(&k) || !seen.insert(k) {
                continue;
            }
            stack.push((k, true));
            let memo = &self.let_facts;
            self.prog.lets[k].body.walk(&mut |n| {
                if let Op::Let(m) = n.op
                    && !memo.contains_key(&m)
                    && !seen.contains(&m)
                {
                    stack.push((m, false));
                }
            });
        }
        for k in order {
            // Read as "nothing known" should a definition refer to itself.
            self.let_facts.insert(k, Facts::default());
            let f = self.definition_facts(k);
            self.let_facts.insert(k, f);
        }
        self.let_facts[&l]
    }

    fn definition_facts(&mut self, k: ir::LetId) -> Facts {
        let prog = self.prog;
        let d = &prog.lets[k];
        if d.is_function {
            return Facts::default();
        }
        let body = if d.body.any(&|n| is_derivative(&n.op)) {
            match crate::derive::eliminate_derivatives(prog, &d.body) {
                Ok(b) => b,
                Err(_) => return Facts::default(),
            }
        } else {
            d.body.clone()
        };
        let mut rec = RecExpr::default();
        self.add(&body, &mut rec);
        let f = rec_data(&self.table, &rec)
            .pop()
            .map(|x| x.facts)
            .unwrap_or_default();
        Facts {
            named: false,
            ones: false,
            zeros: false,
            eye: false,
            ..f
        }
    }

    fn shape_tag(&self, s: Shape) -> String {
        if s.is_scalar() {
            String::new()
        } else if s.is_column() {
            format!("{{{}}}", self.prog.dim_name(s.rows))
        } else {
            format!(
                "{{{},{}}}",
                self.prog.dim_name(s.rows),
                self.prog.dim_name(s.cols)
            )
        }
    }

    fn other(&mut self, e: &Expr, shape: Shape) -> OtherSym {
        let p = self.prog;
        let mut facts = Facts::default();
        let mut rank = 0;
        let name = match &e.op {
            Op::Var(v) => {
                let d = &p.vars[*v];
                facts = attr_facts(&d.attrs);
                d.name.clone()
            }
            Op::Let(l) => {
                facts = self.let_facts(*l);
                facts.named = true;
                rank = *l + 1;
                p.lets[*l].name.clone()
            }
            Op::Adjoint(k) => {
                facts.named = true;
                rank = 1_000_000 + k;
                self.adjoint_names
                    .get(*k)
                    .cloned()
                    .unwrap_or_else(|| format!("δ{}", k + 1))
            }
            Op::Pi => {
                facts.positive = true;
                facts.nonzero = true;
                "π".into()
            }
            Op::Ones => {
                facts.ones = true;
                facts.positive = true;
                facts.nonzero = true;
                format!("ones{}", self.shape_tag(shape))
            }
            Op::Zeros => {
                facts.zeros = true;
                format!("zeros{}", self.shape_tag(shape))
            }
            Op::Eye => {
                facts.eye = true;
                facts.symmetric = true;
                facts.invertible = true;
                format!("I{}", self.shape_tag(shape))
            }
            Op::Local(l) => p.locals[*l].name.clone(),
            Op::Idx(i) => p.idxs[*i].name.clone(),
            Op::DimValue(d) => {
                // A size: a positive integer (and defined everywhere).
                if p.dim_value(*d).is_none_or(|v| v >= 1) {
                    facts.positive = true;
                    facts.nonzero = true;
                }
                p.dim_name(*d)
            }
            Op::SeqAt(s) => format!("{}[]", p.seqs[*s].name),
            Op::Fun(f) => p.funs[*f].name.clone(),
            Op::FunPrime(f) => format!("{}'", p.funs[*f].name),
            Op::CallLet(l) => p.lets[*l].name.clone(),
            Op::ElemPrime(f) => format!("{}'", f.name()),
            Op::Component => "component".into(),
            Op::MatPow(k) => format!("matpow{k}"),
            Op::SoftmaxRows => {
                facts.positive = true;
                facts.nonzero = true;
                facts.rows_sum_one = true;
                "softmax_rows".into()
            }
            Op::LseRows => "logsumexp_rows".into(),
            op => format!("{op:?}").to_lowercase(),
        };
        facts.total |= op_total(p, &e.op);
        self.table
            .intern(&name, e.op.clone(), (shape, e.shape), facts, rank)
    }

    /// Adds `e` to `out`, returning its id there.
    pub fn add(&mut self, e: &Expr, out: &mut RecExpr<Mx>) -> Id {
        let shape = norm_shape(self.prog, e.shape);
        let mut kids: Vec<Id> = Vec::with_capacity(e.args.len());
        for a in &e.args {
            kids.push(self.add(a, out));
        }
        let k2 = |k: &Vec<Id>| [k[0], k[1]];
        let node = match &e.op {
            Op::Num(c) => Mx::Num(c.clone()),
            Op::Neg => Mx::Neg(kids[0]),
            Op::Add => Mx::Add(k2(&kids)),
            Op::Sub => Mx::Sub(k2(&kids)),
            Op::Mul => Mx::Mul(k2(&kids)),
            Op::Scale => {
                if e.args[0].shape.is_scalar() {
                    Mx::Scale(k2(&kids))
                } else {
                    Mx::Scale([kids[1], kids[0]])
                }
            }
            Op::Hadamard => Mx::Had(k2(&kids)),
            Op::HadDiv => Mx::HadDiv(k2(&kids)),
            Op::Div => Mx::Div(k2(&kids)),
            Op::Pow => Mx::Pow(k2(&kids)),
            Op::ElemPow => Mx::ElemPow(k2(&kids)),
            Op::Transpose => Mx::Tr(kids[0]),
            Op::Inv => Mx::Inv(kids[0]),
            Op::Sum => Mx::Sum(kids[0]),
            Op::Softmax => Mx::Softmax(kids[0]),
            Op::LogSumExp => Mx::Lse(kids[0]),
            Op::Norm => Mx::Norm(kids[0]),
            Op::Tr => Mx::Trace(kids[0]),
            Op::Det => Mx::Det(kids[0]),
            Op::LogDet => Mx::LogDet(kids[0]),
            Op::Diag => Mx::Diag(kids[0]),
            Op::Elem(f) => Mx::Elem(*f, kids.into_boxed_slice()),
            Op::Max => Mx::Max(k2(&kids)),
            Op::Min => Mx::Min(k2(&kids)),
            Op::Component => Mx::At(kids.into_boxed_slice()),
            Op::Delta => Mx::Delta(k2(&kids)),
            Op::Indicator(c) => match c {
                CmpOp::Lt => Mx::IndLt(k2(&kids)),
                CmpOp::Le => Mx::IndLe(k2(&kids)),
                CmpOp::Gt => Mx::IndGt(k2(&kids)),
                CmpOp::Ge => Mx::IndGe(k2(&kids)),
            },
            _ => Mx::Other(self.other(e, shape), kids),
        };
        out.add(node)
    }
}

/// Converts an extracted term back to the IR; shapes come from the table and operators.
pub fn to_ir(table: &Table, rec: &RecExpr<Mx>, span: Span) -> Expr {
    let nodes = rec.as_ref();
    let mut built: Vec<Expr> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let shape = shape_with(node, &|i| built[usize::from(*i)].shape, &|s| {
            table.entries[s].ir_shape
        });
        let kids: Vec<Expr> = node
            .children()
            .iter()
            .map(|i| built[usize::from(*i)].clone())
            .collect();
        let op = match node {
            Mx::Num(c) => Op::Num(c.clone()),
            Mx::Add(_) => Op::Add,
            Mx::Sub(_) => Op::Sub,
            Mx::Neg(_) => Op::Neg,
            Mx::Mul(_) => Op::Mul,
            Mx::Scale(_) => Op::Scale,
            Mx::Had(_) => Op::Hadamard,
            Mx::HadDiv(_) => Op::HadDiv,
            Mx::Div(_) => Op::Div,
            Mx::Pow(_) => Op::Pow,
            Mx::ElemPow(_) => Op::ElemPow,
            Mx::Tr(_) => Op::Transpose,
            Mx::Inv(_) => Op::Inv,
            Mx::Sum(_) => Op::Sum,
            Mx::Softmax(_) => Op::Softmax,
            Mx::Lse(_) => Op::LogSumExp,
            Mx::Norm(_) => Op::Norm,
            Mx::Trace(_) => Op::Tr,
            Mx::Det(_) => Op::Det,
            Mx::LogDet(_) => Op::LogDet,
            Mx::Diag(_) => Op::Diag,
            Mx::Elem(f, _) => Op::Elem(*f),
            Mx::Max(_) => Op::Max,
            Mx::Min(_) => Op::Min,
            Mx::IndLt(_) => Op::Indicator(CmpOp::Lt),
            Mx::IndLe(_) => Op::Indicator(CmpOp::Le),
            Mx::IndGt(_) => Op::Indicator(CmpOp::Gt),
            Mx::IndGe(_) => Op::Indicator(CmpOp::Ge),
            Mx::At(_) => Op::Component,
            Mx::Delta(_) => Op::Delta,
            Mx::Other(s, _) => table.entries[s].op.clone(),
        };
        // A product of a scalar and a matrix is a Scale in the IR.
        let e = if op == Op::Scale && kids[1].shape.is_scalar() {
            Expr::new(Op::Mul, kids, shape, span)
        } else if op == Op::Mul && kids[0].shape.is_scalar() != kids[1].shape.is_scalar() {
            Expr::new(Op::Scale, kids, shape, span)
        } else {
            Expr::new(op, kids, shape, span)
        };
        built.push(e);
    }
    built
        .pop()
        .unwrap_or_else(|| Expr::leaf(Op::Zeros, ir::Shape::SCALAR, span))
}

/// What a variable's declared attributes let the rules use.
fn attr_facts(attrs: &[Attr]) -> Facts {
    let mut facts = Facts::default();
    for a in attrs {
        match a {
            Attr::Onehot => {
                facts.onehot = true;
                facts.sum_one = true;
            }
            Attr::Simplex => {
                facts.sum_one = true;
                facts.positive = true;
            }
            // entries in {0, 1}, so y ∘ y = y as for onehot
            Attr::OnehotRows => {
                facts.onehot = true;
                facts.rows_sum_one = true;
            }
            Attr::SimplexRows => {
                facts.rows_sum_one = true;
                facts.positive = true;
            }
            Attr::Positive => facts.positive = true,
            Attr::Symmetric => facts.symmetric = true,
            Attr::Spd => {
                facts.symmetric = true;
                facts.invertible = true;
            }
            Attr::Invertible => facts.invertible = true,
        }
    }
    facts.nonzero = facts.positive;
    facts
}
