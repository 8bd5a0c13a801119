//! Declarations (first pass) and the statements that do work (second pass).

use super::*;
use crate::ir::{Attr, Dim, LocalKind, MAX_DIM_TERMS, Op, Shape, WorkKind};
use num_traits::{Signed, ToPrimitive};

impl<'a> Resolver<'a> {
    // ---- first pass

    pub(super) fn declare(&mut self, stmt: &'a ast::Stmt) {
        let errors = self.errors.len();
        match &stmt.kind {
            ast::StmtKind::Dim(items) => {
                for item in items {
                    self.declare_dim(item);
                }
            }
            ast::StmtKind::Var { items, ty, attrs } => {
                let shape = self.type_shape(ty);
                let attrs = self.attributes(ty, shape, attrs);
                // A misspelt or misfit attribute breaks the declaration:
                // checking claims without the attribute could mislead.
                let shape = shape.filter(|_| self.errors.len() == errors);
                for item in items {
                    if let Some(shape) = shape {
                        self.declare_var(item, shape, attrs.clone());
                    } else {
                        self.declare_broken(&item.name);
                    }
                }
            }
            ast::StmtKind::Fun { name, sig } => {
                let kind = match sig {
                    ast::FunSig::Elementwise => Some(ir::FunKind::Elementwise),
                    ast::FunSig::Map { from, to } => {
                        let (f, t) = (self.type_shape(from), self.type_shape(to));
                        f.zip(t).map(|(from, to)| ir::FunKind::Map { from, to })
                    }
                };
                if self.check_name_free(name) {
                    if let Some(kind) = kind {
                        let id = self.prog.funs.len();
                        self.prog.funs.push(ir::FunDecl {
                            name: name.node.clone(),
                            kind,
                            span: name.span,
                        });
                        self.names
                            .insert(name.node.clone(), (Sym::Fun(id), name.span));
                    } else {
                        self.names
                            .insert(name.node.clone(), (Sym::Broken, name.span));
                    }
                }
            }
            ast::StmtKind::Idx { names, range } => {
                let range = self.dim_ref(range);
                for name in names {
                    if self.check_name_free(name) {
                        if let Some(range) = range {
                            let id = self.prog.idxs.len();
                            self.prog.idxs.push(ir::IdxDecl {
                                name: name.node.clone(),
                                range,
                                span: name.span,
                            });
                            self.names
                                .insert(name.node.clone(), (Sym::Idx(id), name.span));
                        } else {
                            self.names
                                .insert(name.node.clone(), (Sym::Broken, name.span));
                        }
                    }
                }
            }
            ast::StmtKind::Let {
                name,
                form,
                value,
                guard,
            } => self.declare_let(stmt, name, form, value, guard.as_ref()),
            _ => {}
        }
    }

    /// Checks that `name` may be declared here; reports a reserved or
    /// duplicate name and returns false.
    fn check_name_free(&mut self, name: &ast::Ident) -> bool {
        if is_builtin(name.node.as_str()) {
            self.push(ResolveError::ReservedName {
                at: name.span,
                name: name.node.clone(),
            });
            self.rejected.insert(name.node.clone());
            return false;
        }
        if let Some(&(_, first)) = self.names.get(&name.node) {
            self.duplicate(name, first);
            return false;
        }
        true
    }

    /// Claims a name whose declaration failed, so its uses add no noise.
    pub(super) fn declare_broken(&mut self, name: &ast::Ident) {
        if !is_builtin(name.node.as_str()) && !self.names.contains_key(&name.node) {
            self.names
                .insert(name.node.clone(), (Sym::Broken, name.span));
        }
    }

    /// A sequence piece that failed: the sequence (declared by other
    /// statements or not) is broken.
    fn declare_broken_seq(&mut self, name: &ast::Ident) {
        match self.names.get(&name.node) {
            Some(&(Sym::Seq(id), _)) => {
                self.broken.insert(Node::Seq(id));
            }
            Some(_) => {}
            None => self.declare_broken(name),
        }
    }

    fn duplicate(&mut self, name: &ast::Ident, first: Span) {
        self.push(ResolveError::Duplicate {
            at: name.span,
            name: short_name(&name.node),
            first,
        });
    }

    /// A local name (parameter, bound integer) must not be a built-in.
    pub(super) fn check_local_name(&mut self, name: &ast::Ident) -> bool {
        if is_builtin(name.node.as_str()) {
            self.push(ResolveError::ReservedLocal {
                at: name.span,
                name: name.node.clone(),
            });
            return false;
        }
        true
    }

    fn declare_dim(&mut self, item: &ast::DimItem) {
        let value = match &item.value {
            None => Some(None),
            Some(v) => {
                if !v.node.is_positive() {
                    self.push(ResolveError::DimNotPositive {
                        at: v.span,
                        name: item.name.node.clone(),
                        value: v.node.to_string(),
                    });
                    None
                } else if v.node > MAX_DIM.into() {
                    self.push(ResolveError::DimTooLarge {
                        at: v.span,
                        name: item.name.node.clone(),
                    });
                    None
                } else {
                    Some(v.node.to_u64())
                }
            }
        };
        if self.check_name_free(&item.name) {
            if let Some(value) = value {
                let id = self.prog.dims.len();
                self.prog.dims.push(ir::DimDecl {
                    name: item.name.node.clone(),
                    value,
                    span: item.name.span,
                });
                self.names
                    .insert(item.name.node.clone(), (Sym::Dim(id), item.name.span));
            } else {
                self.names
                    .insert(item.name.node.clone(), (Sym::Broken, item.name.span));
            }
        }
    }

    /// A dimension in a type: a dimension declared earlier or a literal size.
    pub(super) fn dim_ref(&mut self, d: &ast::DimRef) -> Option<Dim> {
        match d {
            ast::DimRef::Lit(v) => self.literal_dim(&v.node, v.span),
            ast::DimRef::Name(n) => self.dim_named(n),
            ast::DimRef::Sum(terms, span) => self.dim_sum(terms, *span),
        }
    }

    /// `n + p`, `4 n`, `2 * n + 1`: each term checked, then the canonical sum.
    fn dim_sum(&mut self, terms: &[ast::DimTerm], span: Span) -> Option<Dim> {
        let mut konst = 0u64;
        let mut syms = Vec::new();
        let mut ok = true;
        for t in terms {
            let coeff = match &t.coeff {
                Some(c) => match self.literal_dim(&c.node, c.span) {
                    Some(Dim::Const(c)) => c,
                    _ => {
                        ok = false;
                        continue;
                    }
                },
                None => 1,
            };
            match &t.name {
                None => konst = konst.saturating_add(coeff),
                Some(n) => match self.dim_named(n) {
                    Some(Dim::Sym(id)) => syms.push((id, coeff)),
                    _ => ok = false,
                },
            }
        }
        if !ok {
            return None;
        }
        let too_large = |d: &Dim| {
            d.size_with(|_| Some(1))
                .is_none_or(|v| v > MAX_DIM.saturating_mul(MAX_DIM))
        };
        match Dim::linear(konst, syms) {
            Ok(d) if !too_large(&d) => Some(d),
            _ => {
                self.push(ResolveError::DimSumTooComplex {
                    at: span,
                    most: MAX_DIM_TERMS,
                });
                None
            }
        }
    }

    /// A dimension named in a type: it must be declared with `dim`.
    fn dim_named(&mut self, n: &ast::Ident) -> Option<Dim> {
        {
            match self.names.get(&n.node) {
                Some(&(Sym::Dim(id), _)) => Some(Dim::Sym(id)),
                Some(&(Sym::Broken, _)) => None,
                None if self.rejected.contains(&n.node) => None,
                Some(&(_, first)) => {
                    self.push(ResolveError::NotADimension {
                        at: n.span,
                        name: n.node.clone(),
                        declared: first,
                    });
                    None
                }
                None => {
                    let suggestion = self.suggest(&n.node, false);
                    self.push(ResolveError::UndeclaredDimension {
                        at: n.span,
                        name: n.node.clone(),
                        suggestion,
                    });
                    None
                }
            }
        }
    }

    pub(super) fn literal_dim(&mut self, v: &num_bigint::BigInt, span: Span) -> Option<Dim> {
        if !v.is_positive() {
            self.push(ResolveError::SizeNotPositive { at: span });
            None
        } else if *v > MAX_DIM.into() {
            self.push(ResolveError::SizeTooLarge {
                at: span,
                value: v.to_string(),
            });
            None
        } else {
            v.to_u64().map(Dim::Const)
        }
    }

    pub(super) fn type_shape(&mut self, ty: &ast::TypeExpr) -> Option<Shape> {
        match ty {
            ast::TypeExpr::Scalar(_) => Some(Shape::SCALAR),
            ast::TypeExpr::Vec(n, _) => Some(Shape::vector(self.dim_ref(n)?)),
            ast::TypeExpr::Mat(m, n, _) => {
                let (m, n) = (self.dim_ref(m), self.dim_ref(n));
                Some(Shape::new(m?, n?))
            }
        }
    }

    fn attributes(
        &mut self,
        ty: &ast::TypeExpr,
        shape: Option<Shape>,
        attrs: &[ast::Ident],
    ) -> Vec<Attr> {
        let mut out = Vec::new();
        for a in attrs {
            let attr = match a.node.as_str() {
                "onehot" => Attr::Onehot,
                "simplex" => Attr::Simplex,
                "onehot_rows" => Attr::OnehotRows,
                "simplex_rows" => Attr::SimplexRows,
                "positive" => Attr::Positive,
                "symmetric" => Attr::Symmetric,
                "spd" => Attr::Spd,
                "invertible" => Attr::Invertible,
                other => {
                    self.push(ResolveError::UnknownAttribute {
                        at: a.span,
                        name: other.to_string(),
                    });
                    continue;
                }
            };
            let fits = match attr {
                Attr::Onehot | Attr::Simplex => matches!(ty, ast::TypeExpr::Vec(..)),
                Attr::OnehotRows | Attr::SimplexRows => matches!(ty, ast::TypeExpr::Mat(..)),
                Attr::Symmetric | Attr::Spd | Attr::Invertible => {
                    matches!(ty, ast::TypeExpr::Mat(..))
                        && shape.is_none_or(|s| self.prog.same_dim(s.rows, s.cols))
                }
                Attr::Positive => true,
            };
            if !fits {
                let ty = self.text(ty.span());
                self.push(ResolveError::AttributeMisfit {
                    at: a.span,
                    attr: a.node.clone(),
                    ty,
                });
                continue;
            }
            if !out.contains(&attr) {
                out.push(attr);
            }
        }
        out
    }

    fn declare_var(&mut self, item: &ast::VarItem, shape: Shape, attrs: Vec<Attr>) {
        let name = &item.name;
        match &item.seq {
            None => {
                if self.check_name_free(name) {
                    let id = self.prog.vars.len();
                    self.prog.vars.push(ir::VarDecl {
                        name: name.node.clone(),
                        shape,
                        attrs,
                        span: name.span,
                    });
                    self.names
                        .insert(name.node.clone(), (Sym::Var(id), name.span));
                }
            }
            Some(ast::SeqIndex::Every(_)) => {
                let Some(id) = self.seq_slot(name, false) else {
                    return;
                };
                let slot = &mut self.seqs[id];
                if slot.given_every || !slot.given_at.is_empty() || slot.def.is_some() {
                    let first = slot.name_span;
                    self.duplicate(name, first);
                    return;
                }
                slot.given_every = true;
                slot.given_shape = Some(shape);
                slot.given.push(SeqPiece::GivenEvery {
                    attrs,
                    span: name.span,
                });
            }
            Some(ast::SeqIndex::At(at)) => {
                let Some(t) = at
                    .node
                    .to_i64()
                    .filter(|t| (0..=MAX_DIM as i64).contains(t))
                else {
                    self.push(ResolveError::TimeNotInteger { at: at.span });
                    self.declare_broken_seq(name);
                    return;
                };
                let Some(id) = self.seq_slot(name, false) else {
                    return;
                };
                let slot = &self.seqs[id];
                let earlier = slot.given_at.iter().find(|(u, _)| *u == t).map(|p| p.1);
                if slot.given_every || earlier.is_some() {
                    let first = earlier.unwrap_or(slot.name_span);
                    self.duplicate(name, first);
                    return;
                }
                if let Some(prev) = slot.given_shape
                    && !self.prog.same_shape(prev, shape)
                {
                    let (earlier, shape) = (self.shape_name(prev), self.shape_name(shape));
                    let first = slot.name_span;
                    self.push(ResolveError::SequenceShapes {
                        at: name.span,
                        name: name.node.clone(),
                        shape,
                        earlier,
                        first,
                    });
                    self.broken.insert(Node::Seq(id));
                    return;
                }
                let slot = &mut self.seqs[id];
                slot.given_at.push((t, name.span));
                slot.given_shape = Some(shape);
                slot.given.push(SeqPiece::GivenAt {
                    at: t,
                    attrs,
                    span: name.span,
                });
            }
        }
    }

    /// The sequence slot for `name`, creating it when the name is new;
    /// None (after reporting) when the name is taken by something else.
    fn seq_slot(&mut self, name: &ast::Ident, _defining: bool) -> Option<SeqId> {
        if let Some(&(sym, first)) = self.names.get(&name.node) {
            if let Sym::Seq(id) = sym {
                return Some(id);
            }
            self.duplicate(name, first);
            return None;
        }
        if !self.check_name_free(name) {
            return None;
        }
        let id = self.seqs.len();
        self.seqs.push(SeqSlot {
            name: name.node.clone(),
            name_span: name.span,
            given_shape: None,
            given: Vec::new(),
            given_every: false,
            given_at: Vec::new(),
            def: None,
        });
        self.names
            .insert(name.node.clone(), (Sym::Seq(id), name.span));
        Some(id)
    }

    fn new_local(&mut self, name: &ast::Ident, kind: LocalKind) -> LocalId {
        let id = self.prog.locals.len();
        self.prog.locals.push(ir::LocalDecl {
            name: name.node.clone(),
            kind,
            span: name.span,
        });
        id
    }

    pub(super) fn new_int_local(&mut self, name: &ast::Ident) -> LocalId {
        self.new_local(name, LocalKind::Int)
    }

    fn declare_let(
        &mut self,
        stmt: &'a ast::Stmt,
        name: &'a ast::Ident,
        form: &'a ast::LetForm,
        value: &'a ast::Expr,
        guard: Option<&'a ast::Guard>,
    ) {
        match form {
            ast::LetForm::Plain | ast::LetForm::Function(_) => {
                let mut params = Vec::new();
                let mut ok = true;
                if let Some(g) = guard {
                    self.push(ResolveError::GuardWithoutTime { at: g.span });
                    ok = false;
                }
                if let ast::LetForm::Function(ps) = form {
                    let mut seen: Vec<&ast::Ident> = Vec::new();
                    for p in ps {
                        if let Some(prev) = seen.iter().find(|q| q.node == p.name.node) {
                            let first = prev.span;
                            self.push(ResolveError::DuplicateParameter {
                                at: p.name.span,
                                name: p.name.node.clone(),
                                first,
                            });
                            ok = false;
                        }
                        seen.push(&p.name);
                        ok &= self.check_local_name(&p.name);
                        match self.type_shape(&p.ty) {
                            Some(s) => params.push(self.new_local(&p.name, LocalKind::Param(s))),
                            None => ok = false,
                        }
                    }
                }
                if !self.check_name_free(name) {
                    return;
                }
                if !ok {
                    self.declare_broken(name);
                    return;
                }
                let id = self.lets.len();
                self.lets.push(LetSlot {
                    name: name.node.clone(),
                    name_span: name.span,
                    params,
                    is_function: matches!(form, ast::LetForm::Function(_)),
                    value,
                    state: State::Pending,
                    body: None,
                });
                self.names
                    .insert(name.node.clone(), (Sym::Let(id), name.span));
            }
            ast::LetForm::Indexed(t) => {
                if !self.check_local_name(t) {
                    self.declare_broken_seq(name);
                    return;
                }
                if let Some(g) = guard
                    && g.var.node != t.node
                {
                    self.push(ResolveError::GuardVariable {
                        at: g.var.span,
                        time: t.node.clone(),
                        var: g.var.node.clone(),
                    });
                    self.declare_broken_seq(name);
                    return;
                }
                let Some(id) = self.seq_slot(name, true) else {
                    return;
                };
                let slot = &self.seqs[id];
                if slot.given_every || slot.def.is_some() {
                    let first = slot
                        .def
                        .as_ref()
                        .map(|d| d.name_span)
                        .unwrap_or(slot.name_span);
                    self.duplicate(name, first);
                    return;
                }
                let local = self.new_int_local(t);
                let guard_const = guard.and_then(|g| Some((g.op.node, ast_const_int(&g.bound)?)));
                self.seqs[id].def = Some(DefSlot {
                    local,
                    name_span: name.span,
                    stmt_span: stmt.span,
                    guard,
                    guard_const,
                    value,
                    state: State::Pending,
                    body: None,
                    guard_ir: None,
                });
            }
        }
    }

    /// A time given by `var h[0]` must not also be covered by `let h[t]`.
    pub(super) fn check_seq_overlaps(&mut self) {
        for id in 0..self.seqs.len() {
            let slot = &self.seqs[id];
            let Some(def) = &slot.def else { continue };
            let mut found = Vec::new();
            for &(at, span) in &slot.given_at {
                let covered = match (def.guard, def.guard_const) {
                    (None, _) => true,
                    (Some(_), Some((op, g))) => cmp_holds(at, op, g),
                    (Some(_), None) => false,
                };
                if covered {
                    found.push((at, span, def.name_span, def.guard.is_some()));
                }
            }
            let name = slot.name.clone();
            if !found.is_empty() {
                self.broken.insert(Node::Seq(id));
            }
            for (time, given, at, guarded) in found {
                self.push(ResolveError::GivenAndDefined {
                    at,
                    name: name.clone(),
                    time,
                    guarded,
                    given,
                });
            }
        }
    }

    // ---- second pass

    /// Resolves a statement that does work; one with an error is left out
    /// of the program (its errors are reported).
    pub(super) fn statement(&mut self, stmt: &'a ast::Stmt) {
        self.ctx = Ctx::default();
        let errors = self.errors.len();
        let line = self.line(stmt.span);
        let kind = match &stmt.kind {
            ast::StmtKind::Assume { lhs, op, rhs } => {
                let (l, r) = (self.expr(lhs), self.expr(rhs));
                let (l, r) = match (l, r) {
                    (Some(l), Some(r)) => (l, r),
                    _ => return,
                };
                for side in [&l, &r] {
                    if !side.shape.is_scalar() {
                        let shape = self.shape_name(side.shape);
                        let expr = self.short(side.span);
                        self.push(ResolveError::AssumeNonScalar {
                            at: side.span,
                            expr,
                            shape,
                        });
                    }
                }
                if self.errors.len() == errors {
                    self.prog.assumes.push(ir::Assumption {
                        lhs: l,
                        op: op.node,
                        rhs: r,
                        span: stmt.span,
                    });
                    self.assume_refs.push(std::mem::take(&mut self.ctx.refs));
                }
                return;
            }
            ast::StmtKind::Derive(spec) => self.derive_stmt(spec),
            ast::StmtKind::Show(e) => self.expr(e).map(WorkKind::Show),
            ast::StmtKind::Claim(c) => self.claim_stmt(c),
            ast::StmtKind::Represent { target, activation } => {
                self.represent_stmt(target, activation)
            }
            ast::StmtKind::Plot {
                exprs,
                over,
                from,
                to,
            } => self.plot_stmt(exprs, over, from, to),
            _ => return,
        };
        if let Some(kind) = kind.filter(|_| self.errors.len() == errors) {
            self.prog.work.push(ir::Work {
                kind,
                line,
                span: stmt.span,
            });
            self.work_refs.push(std::mem::take(&mut self.ctx.refs));
        }
    }

    fn derive_stmt(&mut self, spec: &'a ast::DeriveSpec) -> Option<WorkKind> {
        match spec {
            ast::DeriveSpec::Wrt { f, wrt } => {
                let f_ir = self.expr(f);
                let mut items = Vec::new();
                let mut ok = f_ir.is_some();
                for w in wrt {
                    let w_ir = self.expr(w);
                    let (Some(fi), Some(wi)) = (f_ir.clone(), w_ir) else {
                        ok = false;
                        continue;
                    };
                    let span = f.span.join(w.span);
                    match self.derivative("grad", fi, wi, f.span, w.span, span) {
                        Some(expr) => items.push(ir::DeriveItem {
                            expr,
                            text: format!("grad({}, {})", self.text(f.span), self.text(w.span)),
                        }),
                        None => ok = false,
                    }
                }
                ok.then_some(WorkKind::Derive { of: f_ir, items })
            }
            ast::DeriveSpec::Exprs(list) => {
                let mut items = Vec::new();
                let mut ok = true;
                for e in list {
                    let Some(ir) = self.expr(e) else {
                        ok = false;
                        continue;
                    };
                    if !matches!(ir.op, Op::Grad | Op::Jac | Op::Hess | Op::D) {
                        let expr = self.short(e.span);
                        self.push(ResolveError::DeriveNotDerivative { at: e.span, expr });
                        ok = false;
                        continue;
                    }
                    items.push(ir::DeriveItem {
                        expr: ir,
                        text: self.text(e.span),
                    });
                }
                ok.then_some(WorkKind::Derive { of: None, items })
            }
        }
    }

    fn claim_stmt(&mut self, c: &'a ast::Claim) -> Option<WorkKind> {
        if let Some(name) = &c.name {
            if let Some(&first) = self.claim_names.get(&name.node) {
                self.push(ResolveError::DuplicateClaimName {
                    at: name.span,
                    name: name.node.clone(),
                    first,
                });
            } else {
                self.claim_names.insert(name.node.clone(), name.span);
            }
        }
        let first = self.expr(&c.first);
        let mut steps = Vec::new();
        let mut ok = first.is_some();
        let mut prev = first.clone();
        for s in &c.steps {
            let rhs = self.expr(&s.rhs);
            let (relation, is_cmp) = match s.rel.node {
                ast::Rel::Eq => (ir::Relation::Eq, false),
                ast::Rel::Cmp(op) => (ir::Relation::Cmp(op), true),
            };
            if let (true, Some(l), Some(r)) = (is_cmp, &prev, &rhs) {
                let scalars = l.shape.is_scalar() && r.shape.is_scalar();
                if !scalars {
                    let (lhs, rhs) = (self.shape_name(l.shape), self.shape_name(r.shape));
                    let rel = self.text(s.rel.span);
                    self.push(ResolveError::InequalityShapes {
                        at: s.rel.span,
                        lhs,
                        rhs,
                        rel,
                    });
                    ok = false;
                }
            }
            match &rhs {
                Some(r) => steps.push(ir::Step {
                    relation,
                    rhs: r.clone(),
                    line: self.line(s.rel.span),
                    span: s.rel.span.join(s.rhs.span),
                }),
                None => ok = false,
            }
            prev = rhs;
        }
        if !ok {
            return None;
        }
        Some(WorkKind::Claim(ir::Claim {
            name: c.name.as_ref().map(|n| n.node.clone()),
            first: first?,
            steps,
            expect: if c.expect_refuted.is_some() {
                ir::Expect::Refuted
            } else {
                ir::Expect::Holds
            },
        }))
    }

    fn represent_stmt(
        &mut self,
        target: &'a ast::Expr,
        activation: &ast::Ident,
    ) -> Option<WorkKind> {
        let act = match activation.node.as_str() {
            "step" => Some(ir::Activation::Step),
            "relu" => Some(ir::Activation::Relu),
            other => {
                self.push(ResolveError::UnsupportedActivation {
                    at: activation.span,
                    name: other.to_string(),
                });
                None
            }
        };
        let t = self.expr(target)?;
        if !t.shape.is_scalar() {
            let shape = self.shape_name(t.shape);
            self.push(ResolveError::RepresentNonScalar {
                at: target.span,
                shape,
            });
            return None;
        }
        let mut vars = Vec::new();
        let mut others = Vec::new();
        self.free_vars(&t, &mut vars, &mut others, &mut Vec::new());
        let mut names: Vec<String> = vars
            .iter()
            .map(|&v| self.prog.vars[v].name.clone())
            .chain(others.iter().cloned())
            .collect();
        names.dedup();
        if names.len() != 1 || !others.is_empty() {
            self.push(ResolveError::RepresentVariables {
                at: target.span,
                names,
            });
            return None;
        }
        let v = vars[0];
        if !self.prog.vars[v].shape.is_scalar() {
            let shape = self.shape_name(self.prog.vars[v].shape);
            let name = self.prog.vars[v].name.clone();
            self.push(ResolveError::RepresentVectorVariable {
                at: target.span,
                name,
                shape,
            });
            return None;
        }
        Some(WorkKind::Represent {
            target: t,
            var: Some(v),
            activation: act?,
        })
    }

    /// The variables an expression depends on, looking through lets.
    fn free_vars(
        &self,
        e: &ir::Expr,
        vars: &mut Vec<usize>,
        others: &mut Vec<String>,
        seen: &mut Vec<usize>,
    ) {
        match &e.op {
            Op::Var(v) if !vars.contains(v) => vars.push(*v),
            Op::Let(l) | Op::CallLet(l) if !seen.contains(l) => {
                seen.push(*l);
                if let Some(b) = &self.lets[*l].body {
                    self.free_vars(b, vars, others, seen);
                }
            }
            Op::SeqAt(s) => {
                let n = self.seqs[*s].name.clone();
                if !others.contains(&n) {
                    others.push(n);
                }
            }
            _ => {}
        }
        for a in &e.args {
            self.free_vars(a, vars, others, seen);
        }
    }
}
