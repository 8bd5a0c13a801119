//! A readable, deterministic dump of a resolved program for snapshots:
//! declarations with shapes and attributes, then every definition and
//! statement with its expressions in prefix form annotated with shapes,
//! e.g. `(Mul W:mat[m,n] x:vec[n]) : vec[m]`.

use crate::ir::{Attr, Expr, FunKind, LocalKind, Op, Program, SeqPiece, Shape, WorkKind};
use std::fmt::Write;

/// A readable dump of the resolved, shape-annotated program.
pub fn dump(prog: &Program) -> String {
    super::on_big_stack(|| Dumper { p: prog }.program())
}

struct Dumper<'p> {
    p: &'p Program,
}

fn attr_name(a: Attr) -> &'static str {
    match a {
        Attr::Onehot => "onehot",
        Attr::Simplex => "simplex",
        Attr::OnehotRows => "onehot_rows",
        Attr::SimplexRows => "simplex_rows",
        Attr::Positive => "positive",
        Attr::Symmetric => "symmetric",
        Attr::Spd => "spd",
        Attr::Invertible => "invertible",
    }
}

fn attrs(list: &[Attr]) -> String {
    list.iter().map(|a| format!(" {}", attr_name(*a))).collect()
}

impl Dumper<'_> {
    fn shape(&self, s: Shape) -> String {
        let p = self.p;
        if s.is_scalar() {
            "scalar".into()
        } else if s.is_column() {
            format!("vec[{}]", p.dim_name(s.rows))
        } else {
            format!("mat[{},{}]", p.dim_name(s.rows), p.dim_name(s.cols))
        }
    }

    fn program(&self) -> String {
        let p = self.p;
        let mut out = String::new();
        for d in &p.dims {
            match d.value {
                Some(v) => writeln!(out, "dim {} = {v}", d.name),
                None => writeln!(out, "dim {}", d.name),
            }
            .ok();
        }
        for v in &p.vars {
            writeln!(
                out,
                "var {}: {}{}",
                v.name,
                self.shape(v.shape),
                attrs(&v.attrs)
            )
            .ok();
        }
        for f in &p.funs {
            match &f.kind {
                FunKind::Elementwise => writeln!(out, "fun {}: elementwise", f.name),
                FunKind::Map { from, to } => {
                    writeln!(
                        out,
                        "fun {}: {} -> {}",
                        f.name,
                        self.shape(*from),
                        self.shape(*to)
                    )
                }
            }
            .ok();
        }
        for i in &p.idxs {
            writeln!(out, "idx {}: 1..{}", i.name, p.dim_name(i.range)).ok();
        }
        for a in &p.assumes {
            writeln!(
                out,
                "assume {} {} {}",
                self.top(&a.lhs),
                a.op.symbol(),
                self.top(&a.rhs)
            )
            .ok();
        }
        for s in &p.seqs {
            writeln!(out, "seq {}: {}", s.name, self.shape(s.shape)).ok();
            for piece in &s.pieces {
                match piece {
                    SeqPiece::GivenEvery { attrs: a, .. } => {
                        writeln!(out, "  given {}[t] for every t{}", s.name, attrs(a))
                    }
                    SeqPiece::GivenAt { at, attrs: a, .. } => {
                        writeln!(out, "  given {}[{at}]{}", s.name, attrs(a))
                    }
                    SeqPiece::Defined {
                        local, guard, body, ..
                    } => {
                        let t = &p.locals[*local].name;
                        let g = match guard {
                            Some((op, e)) => format!(" for {t} {} {}", op.symbol(), self.inner(e)),
                            None => String::new(),
                        };
                        writeln!(out, "  {}[{t}]{g} = {}", s.name, self.top(body))
                    }
                }
                .ok();
            }
        }
        for l in &p.lets {
            if l.is_function {
                let params: Vec<String> = l
                    .params
                    .iter()
                    .map(|&id| {
                        let local = &p.locals[id];
                        match local.kind {
                            LocalKind::Param(s) => format!("{}: {}", local.name, self.shape(s)),
                            LocalKind::Int => format!("{}: int", local.name),
                        }
                    })
                    .collect();
                writeln!(
                    out,
                    "let {}({}) = {}",
                    l.name,
                    params.join(", "),
                    self.top(&l.body)
                )
                .ok();
            } else {
                writeln!(out, "let {} = {}", l.name, self.top(&l.body)).ok();
            }
        }
        for w in &p.work {
            match &w.kind {
                WorkKind::Derive { of, items } => {
                    match of {
                        Some(f) => writeln!(out, "{}: derive of {}", w.line, self.top(f)),
                        None => writeln!(out, "{}: derive", w.line),
                    }
                    .ok();
                    for it in items {
                        writeln!(out, "  {} = {}", it.text, self.top(&it.expr)).ok();
                    }
                }
                WorkKind::Show(e) => {
                    writeln!(out, "{}: show {}", w.line, self.top(e)).ok();
                }
                WorkKind::Claim(c) => {
                    let name = c.name.as_ref().map_or(String::new(), |n| format!(" {n}:"));
                    let expect = match c.expect {
                        crate::ir::Expect::Holds => "",
                        crate::ir::Expect::Refuted => " (expect refuted)",
                    };
                    writeln!(
                        out,
                        "{}: claim{name}{expect} {}",
                        w.line,
                        self.top(&c.first)
                    )
                    .ok();
                    for s in &c.steps {
                        let rel = match s.relation {
                            crate::ir::Relation::Eq => "=",
                            crate::ir::Relation::Cmp(op) => op.symbol(),
                        };
                        writeln!(out, "  {}: {rel} {}", s.line, self.top(&s.rhs)).ok();
                    }
                }
                WorkKind::Represent {
                    target,
                    var,
                    activation,
                } => {
                    let v = var.map_or("?".to_string(), |v| p.vars[v].name.clone());
                    let act = match activation {
                        crate::ir::Activation::Step => "step",
                        crate::ir::Activation::Relu => "relu",
                    };
                    writeln!(
                        out,
                        "{}: represent in {v} with {act}: {}",
                        w.line,
                        self.top(target)
                    )
                    .ok();
                }
                WorkKind::Plot(plot) => {
                    let over = &p.dims[plot.over].name;
                    writeln!(
                        out,
                        "{}: plot over {over} in {}..{}",
                        w.line, plot.from, plot.to
                    )
                    .ok();
                    for l in &plot.lines {
                        writeln!(out, "  {} = {}", l.text, self.top(&l.expr)).ok();
                    }
                }
            }
        }
        out
    }

    /// A whole expression: `(Op ...) : shape`.
    fn top(&self, e: &Expr) -> String {
        let mut s = String::new();
        self.node(e, &mut s, true);
        s
    }

    /// An expression inside a line: `(Op ...):shape`, or a bare number.
    fn inner(&self, e: &Expr) -> String {
        if let Op::Num(r) = &e.op {
            return r.to_string();
        }
        let mut s = String::new();
        self.node(e, &mut s, false);
        s
    }

    fn op_name(&self, op: &Op) -> String {
        let p = self.p;
        match op {
            Op::Num(r) => r.to_string(),
            Op::Var(v) => p.vars[*v].name.clone(),
            Op::Let(l) => p.lets[*l].name.clone(),
            Op::Local(l) => p.locals[*l].name.clone(),
            Op::Idx(i) => p.idxs[*i].name.clone(),
            Op::DimValue(d) => format!("dim {}", p.dim_name(*d)),
            Op::Adjoint(k) => format!("δ{}", k + 1),
            Op::CallLet(l) => format!("Call {}", p.lets[*l].name),
            Op::SeqAt(s) => format!("At {}", p.seqs[*s].name),
            Op::Literal { rows, cols } => format!("Literal {rows}x{cols}"),
            Op::MatPow(k) => format!("MatPow {k}"),
            Op::Elem(f) => f.name().to_string(),
            Op::ElemPrime(f) => format!("{}'", f.name()),
            Op::Indicator(c) => format!("Indicator {}", c.symbol()),
            Op::Fun(f) => p.funs[*f].name.clone(),
            Op::FunPrime(f) => format!("{}'", p.funs[*f].name),
            Op::SumIdx(i) => format!("SumIdx {}", p.idxs[*i].name),
            Op::SumRange(l) => format!("SumRange {}", p.locals[*l].name),
            Op::ProdRange { local, downto } => format!(
                "ProdRange{} {}",
                if *downto { "Down" } else { "" },
                p.locals[*local].name
            ),
            other => format!("{other:?}"),
        }
    }

    fn node(&self, e: &Expr, out: &mut String, top: bool) {
        let sep = if top { " : " } else { ":" };
        let shape = self.shape(e.shape);
        if e.args.is_empty() && !matches!(e.op, Op::Literal { .. }) {
            let name = self.op_name(&e.op);
            match e.op {
                Op::Eye | Op::Ones | Op::Zeros | Op::DimValue(_) => {
                    write!(out, "({name}){sep}{shape}").ok();
                }
                _ => {
                    write!(out, "{name}{sep}{shape}").ok();
                }
            }
            return;
        }
        write!(out, "({}", self.op_name(&e.op)).ok();
        for a in &e.args {
            out.push(' ');
            self.node(a, out, false);
        }
        write!(out, "){sep}{shape}").ok();
    }
}
