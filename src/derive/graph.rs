//! The computation graph of a derivative: every `let`, variable and concrete
//! sequence element is a node ([`Key`]) with a body, and a node depends on
//! the variable when its body does. Reverse and forward mode walk it.

use super::{R, err};
use crate::ir::build::num;
use crate::ir::unroll::{MAX_DEPTH, const_int};
use crate::ir::{self, Expr, Op, Program, unroll};
use crate::span::Span;
use std::collections::{HashMap, HashSet};

/// A node of the computation graph whose adjoint is accumulated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Key {
    Var(ir::VarId),
    Let(ir::LetId),
    Seq(ir::SeqId, i64),
}

pub(super) struct Graph<'p> {
    pub(super) prog: &'p Program,
    /// The variable (everything upstream of it is fixed).
    pub(super) wrt: Key,
    /// Further variables of a shared backward pass (all independent variables).
    pub(super) also: Vec<Key>,
    pub(super) bodies: HashMap<Key, Option<Expr>>,
    pub(super) deps: HashMap<Key, bool>,
    pub(super) span: Span,
}

impl<'p> Graph<'p> {
    pub(super) fn new(prog: &'p Program, wrt: Key, span: Span) -> Self {
        Graph {
            prog,
            wrt,
            also: Vec::new(),
            bodies: HashMap::new(),
            deps: HashMap::new(),
            span,
        }
    }

    pub(super) fn is_wrt(&self, k: Key) -> bool {
        k == self.wrt || self.also.contains(&k)
    }

    /// Inlines let-function calls, unrolls concrete sums/products and makes
    /// sequence times literal (`ir::unroll::expand`).
    pub(super) fn expand(&self, e: &Expr, depth: usize) -> R<Expr> {
        Ok(unroll::expand(self.prog, e, depth)?)
    }

    /// The graph node an expression refers to, if it is one.
    pub(super) fn key_of(&self, e: &Expr) -> R<Option<Key>> {
        Ok(match &e.op {
            Op::Var(v) => Some(Key::Var(*v)),
            Op::Let(l) => Some(Key::Let(*l)),
            Op::SeqAt(s) => match const_int(self.prog, &e.args[0]) {
                Some(t) => Some(Key::Seq(*s, t)),
                None => {
                    // A symbolic time: only an independent (given) sequence is safe.
                    let seq = &self.prog.seqs[*s];
                    let defined = seq
                        .pieces
                        .iter()
                        .any(|p| matches!(p, ir::SeqPiece::Defined { .. }));
                    if defined
                        || std::iter::once(&self.wrt)
                            .chain(&self.also)
                            .any(|k| matches!(k, Key::Seq(w, _) if w == s))
                    {
                        return err(
                            e.span,
                            format!(
                                "differentiating through {}[…] at a symbolic time needs a concrete T",
                                seq.name
                            ),
                        );
                    }
                    None
                }
            },
            _ => None,
        })
    }

    /// The defining expression of a graph node (None for an independent one).
    pub(super) fn body(&mut self, k: Key) -> R<Option<Expr>> {
        if let Some(b) = self.bodies.get(&k) {
            return Ok(b.clone());
        }
        let prog = self.prog;
        let raw = match k {
            Key::Var(_) => None,
            Key::Let(l) => {
                let d = &prog.lets[l];
                if d.is_function {
                    None
                } else {
                    Some(d.body.clone())
                }
            }
            Key::Seq(s, t) => unroll::seq_body(prog, s, t, self.span)?,
        };
        let b = match raw {
            Some(b) => Some(self.expand(&b, 0)?),
            None => None,
        };
        self.bodies.insert(k, b.clone());
        Ok(b)
    }

    /// Does the value of node `k` change with the variable?
    pub(super) fn key_depends(&mut self, k: Key, depth: usize) -> R<bool> {
        if self.is_wrt(k) {
            return Ok(true);
        }
        if let Some(d) = self.deps.get(&k) {
            return Ok(*d);
        }
        if depth > MAX_DEPTH {
            return err(self.span, "computation graph too deep to differentiate");
        }
        // Cycle guard: a node under evaluation counts as independent.
        self.deps.insert(k, false);
        let d = match self.body(k)? {
            Some(b) => self.depends(&b, depth + 1)?,
            None => false,
        };
        self.deps.insert(k, d);
        Ok(d)
    }

    pub(super) fn depends(&mut self, e: &Expr, depth: usize) -> R<bool> {
        if depth > MAX_DEPTH {
            return err(e.span, "expression nested too deeply to differentiate");
        }
        if let Some(k) = self.key_of(e)? {
            return self.key_depends(k, depth + 1);
        }
        for a in &e.args {
            if self.depends(a, depth + 1)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Graph nodes reachable from `e` that depend on the variable, producers first.
    /// Iterative, and dependencies are settled children-first, so a long chain of
    /// lets (a deep network) never recurses deeply.
    pub(super) fn topo(&mut self, e: &Expr) -> R<Vec<Key>> {
        let mut post = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<(Key, bool)> = Vec::new();
        let mut roots = Vec::new();
        self.collect_keys(e, &mut roots, 0)?;
        for r in roots.into_iter().rev() {
            stack.push((r, false));
        }
        while let Some((k, done)) = stack.pop() {
            if done {
                post.push(k);
                continue;
            }
            if !seen.insert(k) {
                continue;
            }
            stack.push((k, true));
            if self.is_wrt(k) {
                continue;
            }
            if let Some(b) = self.body(k)? {
                let mut ks = Vec::new();
                self.collect_keys(&b, &mut ks, 0)?;
                for c in ks.into_iter().rev() {
                    if !seen.contains(&c) {
                        stack.push((c, false));
                    }
                }
            }
        }
        let mut order = Vec::new();
        for k in post {
            if self.key_depends(k, 0)? {
                order.push(k);
            }
        }
        Ok(order)
    }

    pub(super) fn collect_keys(&self, e: &Expr, out: &mut Vec<Key>, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return err(e.span, "expression nested too deeply to differentiate");
        }
        if let Some(k) = self.key_of(e)? {
            out.push(k);
            return Ok(());
        }
        for a in &e.args {
            self.collect_keys(a, out, depth + 1)?;
        }
        Ok(())
    }

    pub(super) fn key_expr(&self, k: Key) -> Expr {
        let p = self.prog;
        match k {
            Key::Var(v) => Expr::leaf(Op::Var(v), p.vars[v].shape, self.span),
            Key::Let(l) => Expr::leaf(Op::Let(l), p.lets[l].body.shape, self.span),
            Key::Seq(s, t) => Expr::new(
                Op::SeqAt(s),
                vec![num(t, self.span)],
                p.seqs[s].shape,
                self.span,
            ),
        }
    }
}

/// The graph node denoted by a `wrt` argument, and the component indices when it is `x[i]`.
pub(super) fn wrt_key(prog: &Program, wrt: &Expr) -> R<(Key, Vec<Expr>)> {
    let g = Graph::new(prog, Key::Var(usize::MAX), wrt.span);
    let w = g.expand(wrt, 0)?;
    match &w.op {
        Op::Var(v) => Ok((Key::Var(*v), vec![])),
        Op::Let(l) if !prog.lets[*l].is_function => Ok((Key::Let(*l), vec![])),
        Op::SeqAt(s) => match const_int(prog, &w.args[0]) {
            Some(t) => Ok((Key::Seq(*s, t), vec![])),
            None => err(
                wrt.span,
                format!(
                    "a derivative w.r.t. {}[…] at a symbolic time needs a concrete T",
                    prog.seqs[*s].name
                ),
            ),
        },
        Op::Component => {
            let (k, more) = wrt_key(prog, &w.args[0])?;
            if !more.is_empty() {
                return err(wrt.span, "a component of a component is not a variable");
            }
            Ok((k, w.args[1..].to_vec()))
        }
        _ => err(
            wrt.span,
            "a derivative is taken w.r.t. a variable, a let name, a sequence element or a component of one",
        ),
    }
}
