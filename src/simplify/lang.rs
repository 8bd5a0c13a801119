//! The egg language for matrix expressions, its analysis (every e-class knows
//! its shape, a constant value if any, and the facts that declared attributes
//! or the operator itself guarantee), and conversion to and from the IR.
//!
//! Operators egg has no rules for travel as `Other(symbol, children)`: the
//! symbol names an (IR op, shape) pair in [`Table`], so their arguments are
//! still simplified and they come back unchanged.

use crate::ir::{self, Attr, CmpOp, Dim, ElemFn, Expr, Op, Program, Shape};
use crate::span::Span;
use egg::{Analysis, DidMerge, EGraph, Id, Language, RecExpr, Symbol, define_language};
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
        "relu" = Relu(Id),
        "step" = Step(Id),
        "sigmoid" = Sigmoid(Id),
        "tanh" = Tanh(Id),
        "exp" = Exp(Id),
        "log" = Log(Id),
        "sqrt" = Sqrt(Id),
        "abs" = Abs(Id),
        "max" = Max([Id; 2]),
        "min" = Min([Id; 2]),
        "ind<" = IndLt([Id; 2]),
        "ind<=" = IndLe([Id; 2]),
        "ind>" = IndGt([Id; 2]),
        "ind>=" = IndGe([Id; 2]),
        "at" = At(Box<[Id]>),
        "delta" = Delta([Id; 2]),
        Num(BigRational),
        Other(Symbol, Vec<Id>),
    }
}

/// What is known about every entry of a value, from declarations and operators only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub positive: bool,
    pub nonzero: bool,
    pub onehot: bool,
    pub sum_one: bool,
    pub symmetric: bool,
    pub invertible: bool,
    pub ones: bool,
    pub zeros: bool,
    pub eye: bool,
    /// Every entry is below 1 (a sigmoid), so `1 − a` is positive.
    pub below_one: bool,
    /// A let name or adjoint: extraction prefers it over its definition.
    pub named: bool,
}

impl Facts {
    fn or(self, o: Facts) -> Facts {
        Facts {
            positive: self.positive || o.positive,
            nonzero: self.nonzero || o.nonzero,
            onehot: self.onehot || o.onehot,
            sum_one: self.sum_one || o.sum_one,
            symmetric: self.symmetric || o.symmetric,
            invertible: self.invertible || o.invertible,
            ones: self.ones || o.ones,
            zeros: self.zeros || o.zeros,
            eye: self.eye || o.eye,
            below_one: self.below_one || o.below_one,
            named: self.named || o.named,
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
    pub entries: HashMap<Symbol, Entry>,
    by_key: HashMap<(Op, Shape), Symbol>,
}

impl Table {
    pub fn intern(
        &mut self,
        name: &str,
        op: Op,
        shapes: (Shape, Shape),
        facts: Facts,
        rank: usize,
    ) -> Symbol {
        let (shape, ir_shape) = shapes;
        if let Some(s) = self.by_key.get(&(op.clone(), shape)) {
            return *s;
        }
        let mut sym = Symbol::from(name);
        let mut k = 2;
        while self.entries.contains_key(&sym) {
            sym = Symbol::from(format!("{name}#{k}"));
            k += 1;
        }
        self.entries.insert(
            sym,
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
}

#[derive(Default, Clone, Debug)]
pub struct MxAnalysis {
    pub table: Table,
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

fn shape_with(node: &Mx, sh: &dyn Fn(&Id) -> Shape, other: &dyn Fn(&Symbol) -> Shape) -> Shape {
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

impl Analysis<Mx> for MxAnalysis {
    type Data = Data;

    fn make(egraph: &mut MxGraph, node: &Mx) -> Data {
        let d = |i: &Id| &egraph[*i].data;
        let shape = node_shape(node, &|i| d(i).shape, &egraph.analysis.table);
        let konst = fold(node, &|i| d(i).konst.clone(), shape);
        let f = |i: &Id| d(i).facts;
        let mut facts = Facts::default();
        match node {
            Mx::Other(s, _) => facts = egraph.analysis.table.entries[s].facts,
            Mx::Softmax(_) => {
                facts.positive = true;
                facts.sum_one = true;
            }
            Mx::Exp(_) => facts.positive = true,
            Mx::Sigmoid(_) => {
                facts.positive = true;
                facts.below_one = true;
            }
            // 1 − σ(z) > 0 entrywise; `ones` marks the constant 1 as well.
            Mx::Sub([a, b]) => facts.positive = f(a).ones && f(b).below_one,
            Mx::Had([a, b]) | Mx::HadDiv([a, b]) | Mx::Scale([a, b]) => {
                facts.positive = f(a).positive && f(b).positive;
                facts.nonzero = f(a).nonzero && f(b).nonzero;
            }
            Mx::Add([a, b]) => facts.positive = f(a).positive && f(b).positive,
            Mx::Tr(a) => {
                let fa = f(a);
                facts = Facts {
                    named: false,
                    onehot: false,
                    sum_one: fa.sum_one,
                    ..fa
                };
            }
            Mx::Diag(_) => facts.symmetric = true,
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
        if let Some(c) = &konst {
            facts.positive |= c.is_positive();
            facts.nonzero |= !c.is_zero();
            facts.ones |= c.is_one();
            facts.zeros |= c.is_zero();
        }
        if facts.positive {
            facts.nonzero = true;
        }
        Data {
            shape,
            konst,
            facts,
        }
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
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
}

/// Dimensions with a fixed value become literals, so equal shapes compare equal.
pub fn norm_shape(prog: &Program, s: Shape) -> Shape {
    let d = |x: Dim| match prog.dim_value(x) {
        Some(v) => Dim::Const(v),
        None => x,
    };
    Shape::new(d(s.rows), d(s.cols))
}

impl ToEgg<'_> {
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

    fn other(&mut self, e: &Expr, shape: Shape) -> Symbol {
        let p = self.prog;
        let mut facts = Facts::default();
        let mut rank = 0;
        let name = match &e.op {
            Op::Var(v) => {
                let d = &p.vars[*v];
                for a in &d.attrs {
                    match a {
                        Attr::Onehot => {
                            facts.onehot = true;
                            facts.sum_one = true;
                        }
                        Attr::Simplex => {
                            facts.sum_one = true;
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
                d.name.clone()
            }
            Op::Let(l) => {
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
            Op::DimValue(d) => p.dim_name(*d),
            Op::SeqAt(s) => format!("{}[]", p.seqs[*s].name),
            Op::Fun(f) => p.funs[*f].name.clone(),
            Op::FunPrime(f) => format!("{}'", p.funs[*f].name),
            Op::CallLet(l) => p.lets[*l].name.clone(),
            Op::ElemPrime(f) => format!("{}'", f.name()),
            Op::Component => "component".into(),
            Op::MatPow(k) => format!("matpow{k}"),
            op => format!("{op:?}").to_lowercase(),
        };
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
            Op::Elem(f) => {
                let a = kids[0];
                match f {
                    ElemFn::Relu => Mx::Relu(a),
                    ElemFn::Step => Mx::Step(a),
                    ElemFn::Sigmoid => Mx::Sigmoid(a),
                    ElemFn::Tanh => Mx::Tanh(a),
                    ElemFn::Exp => Mx::Exp(a),
                    ElemFn::Log => Mx::Log(a),
                    ElemFn::Sqrt => Mx::Sqrt(a),
                    ElemFn::Abs => Mx::Abs(a),
                }
            }
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
            Mx::Relu(_) => Op::Elem(ElemFn::Relu),
            Mx::Step(_) => Op::Elem(ElemFn::Step),
            Mx::Sigmoid(_) => Op::Elem(ElemFn::Sigmoid),
            Mx::Tanh(_) => Op::Elem(ElemFn::Tanh),
            Mx::Exp(_) => Op::Elem(ElemFn::Exp),
            Mx::Log(_) => Op::Elem(ElemFn::Log),
            Mx::Sqrt(_) => Op::Elem(ElemFn::Sqrt),
            Mx::Abs(_) => Op::Elem(ElemFn::Abs),
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
