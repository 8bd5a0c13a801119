//! Expressions: names, operators, calls, binders and derivatives, each
//! checked for shape. A `None` result means an error was already reported.

use super::*;
use crate::ir::{Dim, ElemFn, Expr, LocalKind, Op, Shape};
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

type R = Option<Expr>;

impl<'a> Resolver<'a> {
    pub(super) fn expr(&mut self, e: &'a ast::Expr) -> R {
        self.depth += 1;
        let r = if self.depth > MAX_DEPTH {
            if !self.depth_reported {
                self.depth_reported = true;
                self.push(ResolveError::TooDeep { at: e.span });
            }
            None
        } else {
            self.expr_inner(e)
        };
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, e: &'a ast::Expr) -> R {
        let span = e.span;
        match &e.node {
            ast::ExprKind::Num(r) => Some(Expr::leaf(Op::Num(r.clone()), Shape::SCALAR, span)),
            ast::ExprKind::Name(n) => self.name(n, span),
            ast::ExprKind::Index { base, indices } => self.index(base, indices, span),
            ast::ExprKind::Call { func, prime, args } => self.call(func, *prime, args, span),
            ast::ExprKind::Bound {
                kind,
                var,
                range,
                body,
            } => self.bound(*kind, var, range, body, span),
            ast::ExprKind::Neg(a) => {
                let a = self.expr(a)?;
                let shape = a.shape;
                Some(Expr::new(Op::Neg, vec![a], shape, span))
            }
            ast::ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (self.expr(lhs), self.expr(rhs));
                self.binary(*op, l?, r?, span)
            }
            ast::ExprKind::Pow {
                base,
                exp,
                elementwise,
            } => {
                let (b, x) = (self.expr(base), self.expr(exp));
                self.pow(b?, x?, *elementwise, span)
            }
            ast::ExprKind::Transpose(a) => {
                let a = self.expr(a)?;
                let shape = a.shape.transposed();
                Some(Expr::new(Op::Transpose, vec![a], shape, span))
            }
            ast::ExprKind::Vector(items) => {
                let rows: Vec<&'a [ast::Expr]> = vec![items.as_slice()];
                let lit = self.literal(&rows, span)?;
                // `[a, b]` is a column: the entries already are row-major
                let n = lit.args.len();
                Some(Expr::new(
                    Op::Literal { rows: n, cols: 1 },
                    lit.args,
                    Shape::vector(Dim::Const(n as u64)),
                    span,
                ))
            }
            ast::ExprKind::Matrix(rows) => {
                let rows: Vec<&'a [ast::Expr]> = rows.iter().map(|r| r.as_slice()).collect();
                self.literal(&rows, span)
            }
            ast::ExprKind::Indicator { lhs, op, rhs } => {
                let (l, r) = (self.expr(lhs), self.expr(rhs));
                self.indicator(l?, *op, r?, span)
            }
            ast::ExprKind::Stack(blocks) => {
                // Every block is resolved so that all their errors are reported.
                let blocks: Vec<R> = blocks.iter().map(|b| self.expr(b)).collect();
                let blocks: Option<Vec<Expr>> = blocks.into_iter().collect();
                self.stack(blocks?, span)
            }
        }
    }

    // ---- names

    fn lookup_local(&self, name: &str) -> Option<LocalId> {
        self.ctx
            .scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|&(_, id)| id)
    }

    fn local_expr(&self, id: LocalId, span: Span) -> Expr {
        let shape = match self.prog.locals[id].kind {
            LocalKind::Param(s) => s,
            LocalKind::Int => Shape::SCALAR,
        };
        Expr::leaf(Op::Local(id), shape, span)
    }

    fn name(&mut self, n: &str, span: Span) -> R {
        if let Some(id) = self.lookup_local(n) {
            return Some(self.local_expr(id, span));
        }
        match self.names.get(n).map(|p| p.0) {
            Some(Sym::Dim(id)) => Some(Expr::leaf(Op::DimValue(Dim::Sym(id)), Shape::SCALAR, span)),
            Some(Sym::Var(id)) => Some(Expr::leaf(Op::Var(id), self.prog.vars[id].shape, span)),
            Some(Sym::Idx(id)) => Some(Expr::leaf(Op::Idx(id), Shape::SCALAR, span)),
            Some(Sym::Let(id)) => {
                if self.lets[id].is_function {
                    let arity = self.lets[id].params.len();
                    self.push(ResolveError::FunctionAsValue {
                        at: span,
                        name: n.to_string(),
                        function: Callee::Let { arity },
                    });
                    return None;
                }
                self.edge(Node::Let(id), 0);
                let shape = self.force_let(id)?;
                Some(Expr::leaf(Op::Let(id), shape, span))
            }
            Some(Sym::Seq(_)) => {
                self.push(ResolveError::SequenceWithoutTime {
                    at: span,
                    name: n.to_string(),
                });
                None
            }
            Some(Sym::Fun(_)) => {
                self.push(ResolveError::FunctionAsValue {
                    at: span,
                    name: n.to_string(),
                    function: Callee::Fun,
                });
                None
            }
            Some(Sym::Broken) => None,
            None if n == "pi" || n == "π" => Some(Expr::leaf(Op::Pi, Shape::SCALAR, span)),
            None if self.rejected.contains(n) => None,
            None if is_builtin(n) => {
                self.push(ResolveError::FunctionAsValue {
                    at: span,
                    name: n.to_string(),
                    function: Callee::Builtin,
                });
                None
            }
            None => {
                let suggestion = self.suggest(n, false);
                self.push(ResolveError::UnknownName {
                    at: span,
                    name: short_name(n),
                    suggestion,
                });
                None
            }
        }
    }

    /// "did you mean `x`?" for a declared name that differs only by case or
    /// by one edit (single letters only by case: any letter is one edit away).
    pub(super) fn suggest(&self, n: &str, functions: bool) -> Option<String> {
        let mut cands: Vec<&str> = self
            .names
            .iter()
            .filter(|(_, (s, _))| {
                !functions
                    || matches!(s, Sym::Fun(_))
                    || matches!(s, Sym::Let(id) if self.lets[*id].is_function)
            })
            .map(|(k, _)| k.as_str())
            .chain(self.ctx.scopes.iter().map(|(k, _)| k.as_str()))
            .collect();
        if functions {
            for b in builtin_names() {
                cands.push(b);
            }
        }
        cands.sort();
        cands.dedup();
        let lower = n.to_lowercase();
        let pick = cands
            .iter()
            .find(|c| **c != n && c.to_lowercase() == lower)
            .or_else(|| {
                cands.iter().find(|c| {
                    n.chars().count() > 1 && c.chars().count() > 1 && within_one_edit(n, c)
                })
            })?;
        Some(pick.to_string())
    }

    /// Records that the definition being resolved uses `to`.
    fn edge(&mut self, to: Node, weight: i64) {
        self.ctx.refs.push(to);
        if let Some(from) = self.ctx.node {
            self.edges.push((from, to, weight));
        }
    }

    // ---- indexing

    fn index(&mut self, base: &'a ast::Expr, indices: &'a [ast::Expr], span: Span) -> R {
        if let ast::ExprKind::Name(n) = &base.node
            && self.lookup_local(n).is_none()
            && let Some(&(Sym::Seq(id), _)) = self.names.get(n)
        {
            return self.seq_at(id, indices, span);
        }
        let b = self.expr(base);
        let mut idx = Vec::new();
        for i in indices {
            idx.push(self.int_expr(i, IntegerRole::Index));
        }
        let b = b?;
        let idx: Vec<Expr> = idx.into_iter().collect::<Option<_>>()?;
        let s = b.shape;
        let want = if s.is_scalar() {
            let expr = self.short(base.span);
            self.push(ResolveError::IndexScalar { at: span, expr });
            return None;
        } else if s.is_column() {
            1
        } else {
            2
        };
        if idx.len() != want {
            let shape = self.shape_name(s);
            let expr = self.short(base.span);
            self.push(ResolveError::IndexCount {
                at: span,
                expr,
                shape,
                want,
                got: idx.len(),
            });
            return None;
        }
        let dims = [s.rows, s.cols];
        let mut ok = true;
        for (i, d) in idx.iter().zip(dims) {
            ok &= self.check_index_range(i, d, base.span);
        }
        if !ok {
            return None;
        }
        let mut args = vec![b];
        args.extend(idx);
        Some(Expr::new(Op::Component, args, Shape::SCALAR, span))
    }

    /// An index must fit the dimension it runs along.
    fn check_index_range(&mut self, i: &Expr, d: Dim, base: Span) -> bool {
        let t = self.short(base);
        match &i.op {
            Op::Idx(id) => {
                let range = self.prog.idxs[*id].range;
                if !self.prog.same_dim(range, d) {
                    let index = self.prog.idxs[*id].name.clone();
                    let (range, entries) = (self.dim_name(range), self.dim_name(d));
                    self.push(ResolveError::IndexRangeMismatch {
                        at: i.span,
                        index,
                        range,
                        expr: t,
                        entries,
                    });
                    return false;
                }
            }
            Op::Num(r) => {
                let too_big = self
                    .prog
                    .dim_value(d)
                    .is_some_and(|n| *r > BigRational::from_integer(n.into()));
                if !r.is_positive() || too_big {
                    let entries = self.dim_name(d);
                    self.push(ResolveError::IndexOutOfRange {
                        at: i.span,
                        index: r.to_string(),
                        expr: t,
                        entries,
                    });
                    return false;
                }
            }
            _ => {}
        }
        true
    }

    fn seq_at(&mut self, id: SeqId, indices: &'a [ast::Expr], span: Span) -> R {
        let name = self.seqs[id].name.clone();
        if indices.len() != 1 {
            self.push(ResolveError::SequenceIndexCount {
                at: span,
                name,
                got: indices.len(),
            });
            return None;
        }
        let time = self.int_expr(&indices[0], IntegerRole::TimeIndex)?;
        let weight = match self.time_off(&time) {
            TimeOff::Rel(c) => Some(c),
            TimeOff::Const(c) => self.seq_def_covers(id, c).then_some(0),
            TimeOff::Unknown => Some(0),
        };
        if let Some(w) = weight
            && self.seqs[id].def.is_some()
        {
            self.edge(Node::Seq(id), w);
        }
        let shape = self.seq_shape(id, span)?;
        Some(Expr::new(Op::SeqAt(id), vec![time], shape, span))
    }

    /// Whether the defining `let` of a sequence may cover time `c`.
    fn seq_def_covers(&self, id: SeqId, c: i64) -> bool {
        let slot = &self.seqs[id];
        let Some(def) = &slot.def else { return false };
        if slot.given_at.iter().any(|(t, _)| *t == c) {
            return false;
        }
        match def.guard_const {
            Some((op, g)) => cmp_holds(c, op, g),
            None => true,
        }
    }

    /// A time expression relative to the enclosing definition's time.
    fn time_off(&self, e: &Expr) -> TimeOff {
        use TimeOff::*;
        match &e.op {
            Op::Local(id) if Some(*id) == self.ctx.own_time => Rel(0),
            Op::Local(id) => self.ctx.offsets.get(id).copied().unwrap_or(Unknown),
            Op::Num(r) if r.is_integer() => r.to_integer().to_i64().map_or(Unknown, Const),
            Op::DimValue(d) => self
                .prog
                .dim_value(*d)
                .and_then(|v| i64::try_from(v).ok())
                .map_or(Unknown, Const),
            Op::Neg => match self.time_off(&e.args[0]) {
                Const(c) => Const(-c),
                _ => Unknown,
            },
            Op::Add | Op::Sub => {
                let (a, b) = (self.time_off(&e.args[0]), self.time_off(&e.args[1]));
                let b = match (e.op == Op::Sub, b) {
                    (true, Const(c)) => Const(-c),
                    (true, _) => return Unknown,
                    (false, b) => b,
                };
                match (a, b) {
                    (Rel(x), Const(c)) | (Const(c), Rel(x)) => Rel(x + c),
                    (Const(x), Const(c)) => Const(x + c),
                    _ => Unknown,
                }
            }
            _ => Unknown,
        }
    }

    /// An integer-valued scalar expression (index, time, range bound).
    pub(super) fn int_expr(&mut self, e: &'a ast::Expr, role: IntegerRole) -> R {
        let r = self.expr(e)?;
        if !self.is_int(&r) {
            let expr = self.short(e.span);
            self.push(ResolveError::NotInteger {
                at: e.span,
                role,
                expr,
            });
            return None;
        }
        Some(r)
    }

    fn is_int(&self, e: &Expr) -> bool {
        match &e.op {
            Op::Num(r) => r.is_integer(),
            Op::DimValue(_) | Op::Idx(_) => true,
            Op::Local(id) => matches!(self.prog.locals[*id].kind, LocalKind::Int),
            Op::Add | Op::Sub | Op::Mul | Op::Scale | Op::Neg => {
                e.args.iter().all(|a| self.is_int(a))
            }
            _ => false,
        }
    }

    // ---- operators

    fn binary(&mut self, op: ast::BinOp, l: Expr, r: Expr, span: Span) -> R {
        let (ls, rs) = (l.shape, r.shape);
        let (a, b) = (self.shape_name(ls), self.shape_name(rs));
        match op {
            ast::BinOp::Mul => self.mul(l, r, span),
            ast::BinOp::Add | ast::BinOp::Sub => {
                if self.prog.same_shape(ls, rs) {
                    let op = if op == ast::BinOp::Add {
                        Op::Add
                    } else {
                        Op::Sub
                    };
                    return Some(Expr::new(op, vec![l, r], ls, span));
                }
                let subtract = op == ast::BinOp::Sub;
                let e = match self.broadcast_fix(&l, &r, op) {
                    Some(fix) => ResolveError::Broadcast {
                        at: span,
                        subtract,
                        lhs: a,
                        rhs: b,
                        fix,
                    },
                    None => ResolveError::AddShapes {
                        at: span,
                        subtract,
                        lhs: a,
                        rhs: b,
                    },
                };
                self.push(e);
                None
            }
            ast::BinOp::Hadamard | ast::BinOp::HadDiv => {
                if self.prog.same_shape(ls, rs) {
                    let op = if op == ast::BinOp::Hadamard {
                        Op::Hadamard
                    } else {
                        Op::HadDiv
                    };
                    return Some(Expr::new(op, vec![l, r], ls, span));
                }
                self.push(ResolveError::ElementwiseShapes {
                    at: span,
                    divide: op == ast::BinOp::HadDiv,
                    lhs: a,
                    rhs: b,
                });
                None
            }
            ast::BinOp::Div => {
                if rs.is_scalar() {
                    return Some(Expr::new(Op::Div, vec![l, r], ls, span));
                }
                self.push(ResolveError::DivideByNonScalar {
                    at: span,
                    divisor: b,
                });
                None
            }
        }
    }

    /// A shape mismatch in `+`/`-` with a scalar on one side: how to write
    /// the intended vector or matrix.
    fn broadcast_fix(&self, l: &Expr, r: &Expr, op: ast::BinOp) -> Option<String> {
        let (scalar, other) = match (l.shape.is_scalar(), r.shape.is_scalar()) {
            (true, false) => (l, r),
            (false, true) => (r, l),
            _ => return self.batch_fix(l, r, op),
        };
        let s = other.shape;
        let ones = if s.is_column() {
            format!("ones({})", self.dim_name(s.rows))
        } else {
            format!("ones({}, {})", self.dim_name(s.rows), self.dim_name(s.cols))
        };
        let st = self.text(scalar.span);
        let wide = if st == "1" {
            ones
        } else {
            format!("{st} {ones}")
        };
        let ot = self.text(other.span);
        let sign = if op == ast::BinOp::Add { "+" } else { "-" };
        Some(if std::ptr::eq(scalar, l) {
            format!("{wide} {sign} {ot}")
        } else {
            format!("{ot} {sign} {wide}")
        })
    }

    /// `X W + b` with `b: vec[C]` (or a row `bᵀ`) and `X W: mat[N, C]`: the
    /// bias over the rows of a batch is `ones(N) bᵀ`.
    fn batch_fix(&self, l: &Expr, r: &Expr, op: ast::BinOp) -> Option<String> {
        let row_fix = |m: &Expr, v: &Expr| -> Option<String> {
            let (ms, vs) = (m.shape, v.shape);
            if ms.is_column() || ms.rows == Dim::Const(1) {
                return None;
            }
            let t = self.text(v.span);
            let atom = t.chars().all(|c| c.is_alphanumeric() || c == '_');
            let t = if atom { t } else { format!("({t})") };
            let ones = format!("ones({})", self.dim_name(ms.rows));
            if vs.is_column() && self.prog.same_dim(vs.rows, ms.cols) {
                Some(format!("{ones} {t}^T"))
            } else if vs.rows == Dim::Const(1) && self.prog.same_dim(vs.cols, ms.cols) {
                Some(format!("{ones} {t}"))
            } else {
                None
            }
        };
        let sign = if op == ast::BinOp::Add { "+" } else { "-" };
        if let Some(f) = row_fix(l, r) {
            return Some(format!("{} {sign} {f}", self.text(l.span)));
        }
        row_fix(r, l).map(|f| format!("{f} {sign} {}", self.text(r.span)))
    }

    fn mul(&mut self, l: Expr, r: Expr, span: Span) -> R {
        let (ls, rs) = (l.shape, r.shape);
        if self.prog.same_dim(ls.cols, rs.rows) {
            return Some(Expr::new(
                Op::Mul,
                vec![l, r],
                Shape::new(ls.rows, rs.cols),
                span,
            ));
        }
        if ls.is_scalar() != rs.is_scalar() {
            let shape = if ls.is_scalar() { rs } else { ls };
            return Some(Expr::new(Op::Scale, vec![l, r], shape, span));
        }
        self.push(ResolveError::MulShapes {
            at: span,
            lhs: self.shape_name(ls),
            rhs: self.shape_name(rs),
            inner_lhs: self.dim_name(ls.cols),
            inner_rhs: self.dim_name(rs.rows),
        });
        None
    }

    fn pow(&mut self, b: Expr, x: Expr, elementwise: bool, span: Span) -> R {
        let bs = b.shape;
        if !x.shape.is_scalar() {
            let shape = self.shape_name(x.shape);
            self.push(ResolveError::ExponentNotScalar { at: x.span, shape });
            return None;
        }
        if elementwise {
            return Some(Expr::new(Op::ElemPow, vec![b, x], bs, span));
        }
        if bs.is_scalar() {
            return Some(Expr::new(Op::Pow, vec![b, x], bs, span));
        }
        let sn = self.shape_name(bs);
        if bs.is_column() {
            self.push(ResolveError::VectorPower {
                at: span,
                shape: sn,
            });
            return None;
        }
        if !self.prog.same_dim(bs.rows, bs.cols) {
            self.push(ResolveError::NonsquarePower {
                at: span,
                shape: sn,
            });
            return None;
        }
        let k = const_int(&x);
        match k {
            Some(-1) => Some(Expr::new(Op::Inv, vec![b], bs, span)),
            Some(k) if (1..=1000).contains(&k) => {
                Some(Expr::new(Op::MatPow(k as u32), vec![b], bs, span))
            }
            Some(k) if (-1000..-1).contains(&k) => {
                let inv = Expr::new(Op::Inv, vec![b], bs, span);
                Some(Expr::new(Op::MatPow((-k) as u32), vec![inv], bs, span))
            }
            Some(0) => {
                let size = self.dim_name(bs.rows);
                self.push(ResolveError::MatrixPowerZero { at: x.span, size });
                None
            }
            _ => {
                self.push(ResolveError::MatrixPowerNotConstant {
                    at: x.span,
                    shape: sn,
                });
                None
            }
        }
    }

    fn literal(&mut self, rows: &[&'a [ast::Expr]], span: Span) -> R {
        let cols = rows.first().map_or(0, |r| r.len());
        if rows.is_empty() || cols == 0 {
            self.push(ResolveError::EmptyLiteral { at: span });
            return None;
        }
        for (i, row) in rows.iter().enumerate() {
            if row.len() != cols {
                let last = row.last().map_or(span, |e| e.span);
                self.push(ResolveError::RaggedLiteral {
                    at: last,
                    row: i + 1,
                    len: row.len(),
                    cols,
                });
                return None;
            }
        }
        if rows.len() as u64 > MAX_DIM || cols as u64 > MAX_DIM {
            self.push(ResolveError::LiteralTooLarge { at: span });
            return None;
        }
        let mut args = Vec::new();
        let mut ok = true;
        for row in rows {
            for e in row.iter() {
                match self.expr(e) {
                    Some(x) if x.shape.is_scalar() => args.push(x),
                    Some(x) => {
                        let shape = self.shape_name(x.shape);
                        self.push(ResolveError::LiteralEntryNotScalar { at: e.span, shape });
                        ok = false;
                    }
                    None => ok = false,
                }
            }
        }
        if !ok {
            return None;
        }
        let (r, c) = (rows.len(), cols);
        Some(Expr::new(
            Op::Literal { rows: r, cols: c },
            args,
            Shape::new(Dim::Const(r as u64), Dim::Const(c as u64)),
            span,
        ))
    }

    /// `1{a op b}`: equal shapes, or a scalar against anything (`1{h > 0}`);
    /// the scalar side is widened so both arguments have the result's shape.
    fn indicator(&mut self, l: Expr, op: ir::CmpOp, r: Expr, span: Span) -> R {
        let (ls, rs) = (l.shape, r.shape);
        if self.prog.same_shape(ls, rs) {
            return Some(Expr::new(Op::Indicator(op), vec![l, r], ls, span));
        }
        let widen = |s: Expr, shape: Shape| {
            if matches!(&s.op, Op::Num(v) if v.is_zero()) {
                Expr::leaf(Op::Zeros, shape, s.span)
            } else {
                let sp = s.span;
                Expr::new(
                    Op::Scale,
                    vec![s, Expr::leaf(Op::Ones, shape, sp)],
                    shape,
                    sp,
                )
            }
        };
        if rs.is_scalar() {
            return Some(Expr::new(
                Op::Indicator(op),
                vec![l, widen(r, ls)],
                ls,
                span,
            ));
        }
        if ls.is_scalar() {
            return Some(Expr::new(
                Op::Indicator(op),
                vec![widen(l, rs), r],
                rs,
                span,
            ));
        }
        self.push(ResolveError::IndicatorShapes {
            at: span,
            lhs: self.shape_name(ls),
            rhs: self.shape_name(rs),
            op: op.symbol().to_string(),
        });
        None
    }

    // ---- binders

    fn bound(
        &mut self,
        kind: ast::BoundKind,
        var: &'a ast::Ident,
        range: &'a ast::BoundRange,
        body: &'a ast::Expr,
        span: Span,
    ) -> R {
        match range {
            ast::BoundRange::Idx => {
                if kind == ast::BoundKind::Prod {
                    self.push(ResolveError::ProdWithoutRange {
                        at: span,
                        binder: true,
                    });
                    return None;
                }
                let id = match self.names.get(&var.node) {
                    Some(&(Sym::Idx(id), _)) if self.lookup_local(&var.node).is_none() => id,
                    _ => {
                        self.push(ResolveError::SumOverNonIndex {
                            at: var.span,
                            name: var.node.clone(),
                        });
                        return None;
                    }
                };
                let b = self.expr(body)?;
                let shape = b.shape;
                Some(Expr::new(Op::SumIdx(id), vec![b], shape, span))
            }
            ast::BoundRange::Ints { from, to, downto } => {
                let ok = self.check_local_name(var);
                let role = IntegerRole::RangeBound {
                    prod: kind == ast::BoundKind::Prod,
                };
                let f = self.int_expr(from, role);
                let t = self.int_expr(to, role);
                if !ok {
                    return None;
                }
                let (f, t) = (f?, t?);
                let local = self.new_int_local(var);
                let upper = if *downto { &f } else { &t };
                let off = self.time_off(upper);
                self.ctx.offsets.insert(local, off);
                self.ctx.scopes.push((var.node.clone(), local));
                let b = self.expr(body);
                self.ctx.scopes.pop();
                let b = b?;
                let shape = b.shape;
                if kind == ast::BoundKind::Sum {
                    // a sum does not depend on the order: store it ascending
                    let (lo, hi) = if *downto { (t, f) } else { (f, t) };
                    return Some(Expr::new(Op::SumRange(local), vec![lo, hi, b], shape, span));
                }
                if !self.prog.same_dim(shape.rows, shape.cols) {
                    let shape = self.shape_name(shape);
                    self.push(ResolveError::ProductFactorsNotSquare {
                        at: body.span,
                        shape,
                    });
                    return None;
                }
                Some(Expr::new(
                    Op::ProdRange {
                        local,
                        downto: *downto,
                    },
                    vec![f, t, b],
                    shape,
                    span,
                ))
            }
        }
    }

    // ---- calls

    fn call(&mut self, func: &'a ast::Ident, prime: bool, args: &'a [ast::Expr], span: Span) -> R {
        let n = func.node.as_str();
        let sym = if self.lookup_local(n).is_some() {
            None
        } else {
            self.names.get(n).map(|p| p.0)
        };
        match sym {
            Some(Sym::Let(id)) if self.lets[id].is_function => {
                if prime {
                    self.push(ResolveError::PrimeOfLet {
                        at: func.span,
                        name: n.to_string(),
                    });
                    return None;
                }
                self.call_let(id, args, span)
            }
            Some(Sym::Fun(id)) => self.call_fun(id, prime, args, span),
            Some(Sym::Broken) => None,
            None if self.lookup_local(n).is_none() && is_builtin(n) => {
                self.builtin(func, prime, args, span)
            }
            None if self.lookup_local(n).is_none() => {
                let suggestion = self.suggest(n, true);
                self.push(ResolveError::UnknownFunction {
                    at: func.span,
                    name: short_name(n),
                    suggestion,
                });
                None
            }
            _ => {
                // A value followed by `(`: with a space and one argument this
                // is a product `W (x + b)`; otherwise a call of a non-function.
                let spaced = self
                    .src
                    .get(func.span.end..)
                    .is_some_and(|rest| rest.starts_with(char::is_whitespace));
                if spaced && !prime && args.len() == 1 {
                    let l = self.name(n, func.span);
                    let r = self.expr(&args[0]);
                    return self.mul(l?, r?, span);
                }
                // For anything but a declared `fun`, `A'` is the transpose:
                // `A'(x + b)` is the product of `A'` and `(x + b)`.
                if prime && args.len() == 1 {
                    let l = self.name(n, func.span);
                    let r = self.expr(&args[0]);
                    let l = l?;
                    let shape = l.shape.transposed();
                    let lt = Expr::new(Op::Transpose, vec![l], shape, func.span);
                    return self.mul(lt, r?, span);
                }
                let what = match sym {
                    Some(Sym::Dim(_)) => NameKind::Dimension,
                    Some(Sym::Var(_)) => NameKind::Variable,
                    Some(Sym::Let(_)) => NameKind::Let,
                    Some(Sym::Seq(_)) => NameKind::Sequence,
                    Some(Sym::Idx(_)) => NameKind::Index,
                    _ => NameKind::Bound,
                };
                self.push(ResolveError::CallNonFunction {
                    at: func.span,
                    name: n.to_string(),
                    what,
                });
                None
            }
        }
    }

    fn args(&mut self, args: &'a [ast::Expr]) -> Option<Vec<Expr>> {
        let v: Vec<R> = args.iter().map(|a| self.expr(a)).collect();
        v.into_iter().collect()
    }

    fn arity(&mut self, name: &str, args: &[ast::Expr], want: &[usize], span: Span) -> bool {
        if want.contains(&args.len()) {
            return true;
        }
        self.push(ResolveError::Arity {
            at: span,
            name: name.to_string(),
            expected: want.to_vec(),
            got: args.len(),
        });
        false
    }

    fn call_let(&mut self, id: usize, args: &'a [ast::Expr], span: Span) -> R {
        let name = self.lets[id].name.clone();
        let params = self.lets[id].params.clone();
        if !self.arity(&name, args, &[params.len()], span) {
            return None;
        }
        let actual = self.args(args)?;
        let mut ok = true;
        for (a, &p) in actual.iter().zip(&params) {
            let LocalKind::Param(want) = self.prog.locals[p].kind else {
                continue;
            };
            if !self.prog.same_shape(a.shape, want) {
                self.push(ResolveError::ArgumentShape {
                    at: a.span,
                    function: name.clone(),
                    param: self.prog.locals[p].name.clone(),
                    want: self.shape_name(want),
                    got: self.shape_name(a.shape),
                    declaration: self.prog.locals[p].span,
                });
                ok = false;
            }
        }
        self.edge(Node::Let(id), 0);
        let shape = self.force_let(id);
        if !ok {
            return None;
        }
        for (a, &p) in actual.iter().zip(&params) {
            let named = matches!(a.op, Op::Var(_) | Op::Let(_) | Op::SeqAt(_));
            let wrt = self.lets[id].body.as_ref();
            if !named && wrt.is_some_and(|b| b.any(&|x| is_derivative_wrt(x, p))) {
                self.push(ResolveError::PointNotNamed {
                    at: a.span,
                    function: name.clone(),
                    param: self.prog.locals[p].name.clone(),
                    expr: self.short(a.span),
                });
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(Expr::new(Op::CallLet(id), actual, shape?, span))
    }

    fn call_fun(&mut self, id: usize, prime: bool, args: &'a [ast::Expr], span: Span) -> R {
        let name = self.prog.funs[id].name.clone();
        if !self.arity(&name, args, &[1], span) {
            return None;
        }
        let a = self.expr(&args[0])?;
        let op = if prime { Op::FunPrime(id) } else { Op::Fun(id) };
        let shape = match self.prog.funs[id].kind.clone() {
            ir::FunKind::Elementwise => a.shape,
            ir::FunKind::Map { from, to } => {
                if !self.prog.same_shape(a.shape, from) {
                    self.push(ResolveError::FunArgumentShape {
                        at: a.span,
                        function: name,
                        want: self.shape_name(from),
                        got: self.shape_name(a.shape),
                        declaration: self.prog.funs[id].span,
                    });
                    return None;
                }
                if prime { from } else { to }
            }
        };
        Some(Expr::new(op, vec![a], shape, span))
    }

    fn builtin(
        &mut self,
        func: &'a ast::Ident,
        prime: bool,
        args: &'a [ast::Expr],
        span: Span,
    ) -> R {
        let n = func.node.as_str();
        if let Some(f) = ElemFn::from_name(n) {
            return self.elem_call(f, prime, args, span);
        }
        if prime {
            self.push(ResolveError::PrimeNotElementwise {
                at: func.span,
                name: n.to_string(),
            });
            return None;
        }
        match n {
            "max" | "min" => {
                if !self.arity(n, args, &[2], span) {
                    return None;
                }
                let a = self.args(args)?;
                if !self.prog.same_shape(a[0].shape, a[1].shape) {
                    if let Some(e) = self.scalar_argument(n, &a, span) {
                        self.push(e);
                        return None;
                    }
                    self.push(ResolveError::ArgumentShapes {
                        at: span,
                        function: n.to_string(),
                        lhs: self.shape_name(a[0].shape),
                        rhs: self.shape_name(a[1].shape),
                    });
                    return None;
                }
                let shape = a[0].shape;
                let op = if n == "max" { Op::Max } else { Op::Min };
                Some(Expr::new(op, a, shape, span))
            }
            "softmax_rows" | "logsumexp_rows" | "log_softmax" | "mean" => {
                self.batch_call(n, args, span)
            }
            "softmax" | "logsumexp" | "diag" => {
                if !self.arity(n, args, &[1], span) {
                    return None;
                }
                let a = self.expr(&args[0])?;
                if !a.shape.is_column() && n != "diag" {
                    self.push(self.batch_hint(n, &a));
                    return None;
                }
                if !a.shape.is_column() {
                    self.push(ResolveError::NeedsVector {
                        at: a.span,
                        function: n.to_string(),
                        shape: self.shape_name(a.shape),
                    });
                    return None;
                }
                let k = a.shape.rows;
                let (op, shape) = match n {
                    "softmax" => (Op::Softmax, a.shape),
                    "logsumexp" => (Op::LogSumExp, Shape::SCALAR),
                    _ => (Op::Diag, Shape::new(k, k)),
                };
                Some(Expr::new(op, vec![a], shape, span))
            }
            "sum" | "norm" | "smin" | "smax" => {
                if n == "sum" && args.len() != 1 {
                    self.push(ResolveError::SumArity {
                        at: span,
                        got: args.len(),
                    });
                    return None;
                }
                if !self.arity(n, args, &[1], span) {
                    return None;
                }
                let a = self.expr(&args[0])?;
                let op = match n {
                    "sum" => Op::Sum,
                    "norm" => Op::Norm,
                    "smin" => Op::Smin,
                    _ => Op::Smax,
                };
                Some(Expr::new(op, vec![a], Shape::SCALAR, span))
            }
            "prod" => {
                self.push(ResolveError::ProdWithoutRange {
                    at: span,
                    binder: false,
                });
                None
            }
            "tr" | "det" | "logdet" | "inv" => {
                if !self.arity(n, args, &[1], span) {
                    return None;
                }
                let a = self.expr(&args[0])?;
                if !self.prog.same_dim(a.shape.rows, a.shape.cols) {
                    self.push(ResolveError::NeedsSquare {
                        at: a.span,
                        function: n.to_string(),
                        shape: self.shape_name(a.shape),
                    });
                    return None;
                }
                let (op, shape) = match n {
                    "tr" => (Op::Tr, Shape::SCALAR),
                    "det" => (Op::Det, Shape::SCALAR),
                    "logdet" => (Op::LogDet, Shape::SCALAR),
                    _ => (Op::Inv, a.shape),
                };
                Some(Expr::new(op, vec![a], shape, span))
            }
            "eye" | "ones" | "zeros" => {
                let want: &[usize] = if n == "eye" { &[1] } else { &[1, 2] };
                if !self.arity(n, args, want, span) {
                    return None;
                }
                let dims: Vec<Option<Dim>> = args.iter().map(|a| self.dim_arg(n, a)).collect();
                let dims: Vec<Dim> = dims.into_iter().collect::<Option<_>>()?;
                let shape = match (n, dims.as_slice()) {
                    ("eye", [d]) => Shape::new(*d, *d),
                    (_, [d]) => Shape::vector(*d),
                    (_, [m, k]) => Shape::new(*m, *k),
                    _ => return None,
                };
                let op = match n {
                    "eye" => Op::Eye,
                    "ones" => Op::Ones,
                    _ => Op::Zeros,
                };
                Some(Expr::leaf(op, shape, span))
            }
            "delta" => {
                if !self.arity(n, args, &[2], span) {
                    return None;
                }
                let i = self.int_expr(&args[0], IntegerRole::DeltaArgument);
                let j = self.int_expr(&args[1], IntegerRole::DeltaArgument);
                Some(Expr::new(Op::Delta, vec![i?, j?], Shape::SCALAR, span))
            }
            "grad" | "jac" | "hess" | "d" => {
                if !self.arity(n, args, &[2], span) {
                    return None;
                }
                let f = self.expr(&args[0]);
                let x = self.expr(&args[1]);
                self.derivative(n, f?, x?, args[0].span, args[1].span, span)
            }
            _ => {
                self.push(ResolveError::UnknownFunction {
                    at: func.span,
                    name: short_name(n),
                    suggestion: None,
                });
                None
            }
        }
    }

    /// `max(z, 0)`: one argument a scalar, the other not; the fix writes
    /// the scalar as a constant of the other's shape.
    fn scalar_argument(&self, n: &str, a: &[Expr], span: Span) -> Option<ResolveError> {
        let (si, oi) = match (a[0].shape.is_scalar(), a[1].shape.is_scalar()) {
            (false, true) => (1, 0),
            (true, false) => (0, 1),
            _ => return None,
        };
        let s = a[oi].shape;
        let size = if s.is_column() {
            self.dim_name(s.rows)
        } else {
            format!("{}, {}", self.dim_name(s.rows), self.dim_name(s.cols))
        };
        let st = self.text(a[si].span);
        let konst = match st.as_str() {
            "0" => format!("zeros({size})"),
            "1" => format!("ones({size})"),
            _ => format!("{st} ones({size})"),
        };
        let ot = self.text(a[oi].span);
        let fix = if si == 1 {
            format!("{n}({ot}, {konst})")
        } else {
            format!("{n}({konst}, {ot})")
        };
        Some(ResolveError::ArgumentScalar {
            at: span,
            function: n.to_string(),
            lhs: self.shape_name(a[0].shape),
            rhs: self.shape_name(a[1].shape),
            fix,
        })
    }

    /// `softmax(S)` of a matrix or a row: the batch word, or a transpose.
    fn batch_hint(&self, n: &str, a: &Expr) -> ResolveError {
        let raw = self.text(a.span);
        let is_atom = |t: &str| t.chars().all(|c| c.is_alphanumeric() || c == '_');
        let fix = if a.shape.rows == Dim::Const(1) {
            // `softmax(z^T)` is `softmax(z)^T`; logsumexp is a scalar either way
            let inner = ["^T", "ᵀ", "'"]
                .iter()
                .find_map(|t| raw.strip_suffix(t).filter(|s| is_atom(s)))
                .map(str::to_string)
                .unwrap_or_else(|| format!("({raw})^T"));
            let back = if n == "softmax" { "^T" } else { "" };
            format!("{n}({inner}){back} for a row, or {n}_rows({raw}) for the rows of a batch")
        } else {
            format!("{n}_rows({raw}) for each row of a batch")
        };
        ResolveError::NeedsVectorBatch {
            at: a.span,
            function: n.to_string(),
            shape: self.shape_name(a.shape),
            fix,
        }
    }

    /// `softmax_rows(S)`, `logsumexp_rows(S)` (every row of a matrix on its
    /// own), `log_softmax(v)` (written `v − logsumexp(v) ones(n)`) and
    /// `mean(a)` (written `sum(a) / (rows cols)`).
    fn batch_call(&mut self, n: &str, args: &'a [ast::Expr], span: Span) -> R {
        use crate::ir::build;
        if !self.arity(n, args, &[1], span) {
            return None;
        }
        let a = self.expr(&args[0])?;
        let sh = a.shape;
        match n {
            "softmax_rows" => Some(Expr::new(Op::SoftmaxRows, vec![a], sh, span)),
            "logsumexp_rows" => Some(Expr::new(
                Op::LseRows,
                vec![a],
                Shape::vector(sh.rows),
                span,
            )),
            "log_softmax" => {
                if !sh.is_column() {
                    self.push(ResolveError::NeedsVector {
                        at: a.span,
                        function: n.to_string(),
                        shape: self.shape_name(sh),
                    });
                    return None;
                }
                let lse = Expr::new(Op::LogSumExp, vec![a.clone()], Shape::SCALAR, span);
                let r = build::sub(a, build::scale(lse, build::ones(sh, span)));
                Some(Expr { span, ..r })
            }
            _ => {
                let count = |d: Dim| match d {
                    Dim::Const(c) => build::num_r(BigRational::from_integer(c.into()), span),
                    d => Expr::leaf(Op::DimValue(d), Shape::SCALAR, span),
                };
                let size = build::mul(count(sh.rows), count(sh.cols));
                let r = build::div(build::sum_all(a), size);
                Some(Expr { span, ..r })
            }
        }
    }

    /// The size argument of `eye`, `ones`, `zeros`: a dimension or a literal.
    fn dim_arg(&mut self, f: &str, a: &ast::Expr) -> Option<Dim> {
        match &a.node {
            ast::ExprKind::Name(n) if self.lookup_local(n).is_none() => {
                if let Some(&(Sym::Dim(id), _)) = self.names.get(n) {
                    return Some(Dim::Sym(id));
                }
            }
            ast::ExprKind::Num(r) if r.is_integer() => {
                return self.literal_dim(r.numer(), a.span);
            }
            _ => {}
        }
        let expr = self.short(a.span);
        self.push(ResolveError::DimArgument {
            at: a.span,
            function: f.to_string(),
            expr,
        });
        None
    }

    /// `grad`/`jac`/`hess`/`d` of `f` with respect to `x`.
    pub(super) fn derivative(
        &mut self,
        kind: &str,
        f: Expr,
        x: Expr,
        fspan: Span,
        xspan: Span,
        span: Span,
    ) -> R {
        let wrt_ok = match &x.op {
            Op::Var(_) | Op::Let(_) | Op::SeqAt(_) => true,
            Op::Local(l) => matches!(self.prog.locals[*l].kind, LocalKind::Param(_)),
            Op::Component => matches!(x.args[0].op, Op::Var(_) | Op::Let(_) | Op::SeqAt(_)),
            _ => false,
        };
        let (ft, xt) = (self.short(fspan), self.short(xspan));
        if !wrt_ok {
            self.push(ResolveError::WrtNotVariable {
                at: xspan,
                expr: xt,
            });
            return None;
        }
        let (fs, xs) = (f.shape, x.shape);
        let (fsn, xsn) = (self.shape_name(fs), self.shape_name(xs));
        let (op, shape) = match kind {
            "grad" => {
                if !fs.is_scalar() {
                    self.push(ResolveError::GradNonScalar {
                        at: fspan,
                        expr: ft,
                        shape: fsn,
                    });
                    return None;
                }
                (Op::Grad, xs)
            }
            "jac" => {
                if !fs.is_column() {
                    self.push(ResolveError::JacNonVector {
                        at: fspan,
                        expr: ft,
                        shape: fsn,
                    });
                    return None;
                }
                if !xs.is_column() {
                    self.push(ResolveError::JacWrtNonVector {
                        at: xspan,
                        expr: xt,
                        shape: xsn,
                    });
                    return None;
                }
                (Op::Jac, Shape::new(fs.rows, xs.rows))
            }
            "hess" => {
                if !fs.is_scalar() {
                    self.push(ResolveError::HessNonScalar {
                        at: fspan,
                        expr: ft,
                        shape: fsn,
                    });
                    return None;
                }
                if !xs.is_column() {
                    self.push(ResolveError::HessWrtNonVector {
                        at: xspan,
                        expr: xt,
                        shape: xsn,
                    });
                    return None;
                }
                (Op::Hess, Shape::new(xs.rows, xs.rows))
            }
            _ => {
                for (sp, t, s, sn) in [(fspan, &ft, fs, &fsn), (xspan, &xt, xs, &xsn)] {
                    if !s.is_scalar() {
                        self.push(ResolveError::DNonScalar {
                            at: sp,
                            expr: t.clone(),
                            shape: sn.clone(),
                        });
                        return None;
                    }
                }
                (Op::D, Shape::SCALAR)
            }
        };
        Some(Expr::new(op, vec![f, x], shape, span))
    }
}

/// A derivative with respect to the let-function parameter `p` (or one of
/// its components): its call sites must pass a point that is a graph node.
fn is_derivative_wrt(e: &Expr, p: crate::ir::LocalId) -> bool {
    let wrt = |x: &Expr| x.op == Op::Local(p);
    matches!(e.op, Op::Grad | Op::Jac | Op::Hess | Op::D)
        && (wrt(&e.args[1]) || (e.args[1].op == Op::Component && wrt(&e.args[1].args[0])))
}

/// The value of a constant integer exponent such as `2` or `-1`.
fn const_int(e: &Expr) -> Option<i64> {
    match &e.op {
        Op::Num(r) if r.is_integer() => r.to_integer().to_i64(),
        Op::Neg => const_int(&e.args[0]).and_then(|v| v.checked_neg()),
        _ => None,
    }
}

impl<'a> Resolver<'a> {
    /// A call of a built-in elementwise function: its argument, then its
    /// scalar parameters (the row's default where a call leaves it out).
    fn elem_call(&mut self, f: ElemFn, prime: bool, args: &'a [ast::Expr], span: Span) -> R {
        let n = f.name();
        let want: Vec<usize> = if f.default_param().is_some() {
            vec![1, 1 + f.params()]
        } else {
            vec![1 + f.params()]
        };
        if !self.arity(n, args, &want, span) {
            return None;
        }
        let kids: Vec<Option<Expr>> = args.iter().map(|x| self.expr(x)).collect();
        let mut kids: Vec<Expr> = kids.into_iter().collect::<Option<_>>()?;
        if let Some(d) = f.default_param().filter(|_| kids.len() == 1) {
            kids.push(Expr::leaf(Op::Num(d), Shape::SCALAR, span));
        }
        for (x, p) in args.iter().zip(&kids).skip(1) {
            if !p.shape.is_scalar() {
                self.push(ResolveError::ParameterNotScalar {
                    at: x.span,
                    function: n.to_string(),
                });
                return None;
            }
        }
        let shape = kids[0].shape;
        let op = if prime { Op::ElemPrime(f) } else { Op::Elem(f) };
        Some(Expr::new(op, kids, shape, span))
    }
}
