//! Name resolution and shape checking: the untyped AST becomes the typed
//! [`ir::Program`]. Every name is bound to its declaration, every expression
//! gets its shape, and every mistake in the input is collected (not only the
//! first) as a [`ResolveError`] with the span of the offending text.
//!
//! Declarations are registered in a first pass so that definitions may refer
//! to each other in any order; `let` bodies are then resolved on demand, and
//! the dependencies between definitions are checked for cycles at the end
//! (sequences may refer to themselves at strictly earlier times).

mod cycles;
mod decl;
mod dump;
mod error;
mod expr;
mod plot;
mod stack;

pub use dump::dump;
pub use error::{Callee, IntegerRole, NameKind, ResolveError};
pub use plot::{MAX_PLOT_LENGTH, MAX_PLOT_LENGTHS, MAX_PLOT_STEPS};

pub(crate) use crate::builtins::{builtin_names, is_builtin};
use crate::ir::{self, Dim, LocalId, Program, SeqId, SeqPiece, Shape};
use crate::span::{LineIndex, Span};
use crate::syntax::ast;
use std::collections::{HashMap, HashSet};

/// The attributes a `var` may carry, as the reports list them.
pub(crate) const ATTRIBUTES: [&str; 8] = [
    "onehot",
    "simplex",
    "onehot_rows",
    "simplex_rows",
    "positive",
    "symmetric",
    "spd",
    "invertible",
];

/// Deepest expression nesting (counting nested `let` resolution) accepted;
/// deeper input is an error rather than a stack overflow here or downstream.
pub(crate) const MAX_DEPTH: usize = 2000;
/// Largest dimension or literal size accepted; larger is surely a typo.
pub(crate) const MAX_DIM: u64 = 100_000;
/// Resolution runs on its own thread with this stack so that `MAX_DEPTH`
/// levels are safe whatever the caller's stack is.
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Resolves a whole file; collects all errors, not only the first.
pub fn resolve(file: &ast::File, src: &str) -> Result<Program, Vec<ResolveError>> {
    let (prog, errors) = resolve_partial(file, src, &[]);
    if errors.is_empty() {
        Ok(prog)
    } else {
        Err(errors)
    }
}

/// Resolves a file statement by statement: the program of the statements
/// that resolved (and depend on nothing that failed), and every error once,
/// in source order. A statement with an error is left out; a declaration
/// with an error is marked broken, so that what uses it is left out
/// silently instead of reporting the same mistake again. `broken` names the
/// declarations of statements that did not parse (same treatment).
pub fn resolve_partial(
    file: &ast::File,
    src: &str,
    broken: &[ast::Ident],
) -> (Program, Vec<ResolveError>) {
    on_big_stack(|| {
        let mut r = Resolver::new(file, src);
        for name in broken {
            r.declare_broken(name);
        }
        r.run()
    })
}

/// Runs `f` on a thread with a large stack (falls back to the current thread
/// if one cannot be spawned); a panic is passed on unchanged.
pub(crate) fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let slot = std::sync::Mutex::new(Some(f));
    let take = || slot.lock().ok().and_then(|mut g| g.take());
    let outcome = std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(s, || take().map(|f| f()));
        spawned.ok().map(|h| h.join())
    });
    match outcome {
        Some(Ok(Some(v))) => v,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        _ => (take().expect("the closure has not run"))(),
    }
}

/// What a global name stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sym {
    Dim(ir::DimId),
    Var(ir::VarId),
    Let(ir::LetId),
    Seq(SeqId),
    Fun(ir::FunId),
    Idx(ir::IdxId),
    /// A declaration that failed (bad type, ...): uses stay silent so that
    /// one mistake gives one error.
    Broken,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Pending,
    InProgress,
    Done,
    Failed,
}

/// A `let` (plain or function) whose body is resolved on demand.
struct LetSlot<'a> {
    name: String,
    name_span: Span,
    params: Vec<LocalId>,
    is_function: bool,
    value: &'a ast::Expr,
    state: State,
    body: Option<ir::Expr>,
}

/// The defining `let h[t] = ...` of a sequence.
struct DefSlot<'a> {
    local: LocalId,
    name_span: Span,
    stmt_span: Span,
    guard: Option<&'a ast::Guard>,
    /// The guard when its bound is a literal integer (used to tell which
    /// times the definition covers).
    guard_const: Option<(ir::CmpOp, i64)>,
    value: &'a ast::Expr,
    state: State,
    body: Option<ir::Expr>,
    guard_ir: Option<(ir::CmpOp, ir::Expr)>,
}

struct SeqSlot<'a> {
    name: String,
    name_span: Span,
    /// Element shape from a `var x[t]` / `var h[0]` declaration.
    given_shape: Option<Shape>,
    given: Vec<SeqPiece>,
    given_every: bool,
    given_at: Vec<(i64, Span)>,
    def: Option<DefSlot<'a>>,
}

/// A definition in the dependency graph.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
enum Node {
    Let(ir::LetId),
    Seq(SeqId),
}

/// A time index relative to the enclosing sequence definition's own time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TimeOff {
    /// `t + c` where `t` is the definition's time (or bounded above by it).
    Rel(i64),
    Const(i64),
    Unknown,
}

/// Where the expression being resolved lives.
#[derive(Default)]
struct Ctx {
    /// Innermost binding last.
    scopes: Vec<(String, LocalId)>,
    /// The definition whose body this is (for dependency edges).
    node: Option<Node>,
    /// The time variable of a sequence definition.
    own_time: Option<LocalId>,
    /// Upper bounds of range-bound integers relative to `own_time`.
    offsets: HashMap<LocalId, TimeOff>,
    /// Every definition the expression refers to directly.
    refs: Vec<Node>,
}

struct Resolver<'a> {
    src: &'a str,
    /// Line starts of `src`, for the line of every statement.
    lines: LineIndex,
    file: &'a ast::File,
    prog: Program,
    names: HashMap<String, (Sym, Span)>,
    lets: Vec<LetSlot<'a>>,
    seqs: Vec<SeqSlot<'a>>,
    ctx: Ctx,
    /// Dependency edges: from, to, and the time offset (0 when unknown).
    edges: Vec<(Node, Node, i64)>,
    /// Sequences whose shape could not be inferred because the definition
    /// uses the sequence itself (reported unless a cycle explains it).
    shape_blocked: Vec<(SeqId, Span)>,
    depth: usize,
    depth_reported: bool,
    claim_names: HashMap<String, Span>,
    errors: Vec<ResolveError>,
    /// Definitions with an error (in themselves or in what they use).
    broken: HashSet<Node>,
    /// Built-in names a declaration tried to take (reported there): their
    /// uses are not reported again.
    rejected: HashSet<String>,
    /// The definitions each of `prog.work` and `prog.assumes` refers to.
    work_refs: Vec<Vec<Node>>,
    assume_refs: Vec<Vec<Node>>,
}

impl<'a> Resolver<'a> {
    fn new(file: &'a ast::File, src: &'a str) -> Self {
        Resolver {
            src,
            lines: LineIndex::new(src),
            file,
            prog: Program::default(),
            names: HashMap::new(),
            lets: Vec::new(),
            seqs: Vec::new(),
            ctx: Ctx::default(),
            edges: Vec::new(),
            shape_blocked: Vec::new(),
            depth: 0,
            depth_reported: false,
            claim_names: HashMap::new(),
            errors: Vec::new(),
            broken: HashSet::new(),
            rejected: HashSet::new(),
            work_refs: Vec::new(),
            assume_refs: Vec::new(),
        }
    }

    fn run(mut self) -> (Program, Vec<ResolveError>) {
        let file = self.file;
        for stmt in &file.stmts {
            self.declare(stmt);
        }
        self.check_seq_overlaps();
        for id in 0..self.lets.len() {
            self.force_let(id);
        }
        for id in 0..self.seqs.len() {
            self.force_seq_def(id);
        }
        for stmt in &file.stmts {
            self.statement(stmt);
        }
        let in_cycles = self.check_cycles();
        let blocked = std::mem::take(&mut self.shape_blocked);
        let mut seen = Vec::new();
        for (s, span) in blocked {
            self.broken.insert(Node::Seq(s));
            if in_cycles.contains(&Node::Seq(s)) || seen.contains(&s) {
                continue;
            }
            seen.push(s);
            let name = self.seqs[s].name.clone();
            self.push(ResolveError::SequenceShapeUnknown { at: span, name });
        }
        self.broken.extend(in_cycles);
        self.drop_broken();
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by_key(|e| (e.span().start, e.span().end));
        errors.dedup();
        (self.finish(), errors)
    }

    /// Marks every definition that failed, or uses one that did, as broken,
    /// and leaves out the statements and assumptions that use one.
    fn drop_broken(&mut self) {
        for (id, slot) in self.lets.iter().enumerate() {
            if slot.body.is_none() {
                self.broken.insert(Node::Let(id));
            }
        }
        for (id, slot) in self.seqs.iter().enumerate() {
            if slot.def.as_ref().is_some_and(|d| d.body.is_none()) {
                self.broken.insert(Node::Seq(id));
            }
        }
        loop {
            let before = self.broken.len();
            for &(from, to, _) in &self.edges {
                if self.broken.contains(&to) {
                    self.broken.insert(from);
                }
            }
            if self.broken.len() == before {
                break;
            }
        }
        let broken = &self.broken;
        let ok = |refs: &Vec<Node>| !refs.iter().any(|n| broken.contains(n));
        let keep: Vec<bool> = self.work_refs.iter().map(ok).collect();
        let mut it = keep.iter();
        self.prog
            .work
            .retain(|_| *it.next().expect("one entry per statement"));
        let keep: Vec<bool> = self.assume_refs.iter().map(ok).collect();
        let mut it = keep.iter();
        self.prog
            .assumes
            .retain(|_| *it.next().expect("one entry per assumption"));
    }

    /// Moves the resolved bodies into the program. A broken definition
    /// keeps its place (ids stay valid) with a placeholder body that no
    /// statement of the program reaches.
    fn finish(mut self) -> Program {
        let placeholder = |span: Span| {
            ir::Expr::new(
                ir::Op::Num(num_rational::BigRational::from_integer(0.into())),
                Vec::new(),
                Shape::SCALAR,
                span,
            )
        };
        for slot in std::mem::take(&mut self.lets) {
            let body = slot.body.unwrap_or_else(|| placeholder(slot.name_span));
            self.prog.lets.push(ir::LetDecl {
                name: slot.name,
                params: slot.params,
                is_function: slot.is_function,
                body,
                span: slot.name_span,
            });
        }
        for slot in std::mem::take(&mut self.seqs) {
            let mut pieces = slot.given;
            let mut shape = slot.given_shape;
            if let Some(def) = slot.def
                && let Some(body) = def.body
            {
                shape = shape.or(Some(body.shape));
                pieces.push(SeqPiece::Defined {
                    local: def.local,
                    guard: def.guard_ir,
                    body,
                    span: def.stmt_span,
                });
            }
            self.prog.seqs.push(ir::SeqDecl {
                name: slot.name,
                shape: shape.unwrap_or(Shape::SCALAR),
                pieces,
                span: slot.name_span,
            });
        }
        self.prog
    }

    // ---- errors and source text

    fn push(&mut self, e: ResolveError) {
        self.errors.push(e);
    }

    /// The source text of a span with runs of whitespace collapsed.
    fn text(&self, span: Span) -> String {
        let raw = self.src.get(span.start..span.end).unwrap_or("");
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Like `text`, shortened for use inside a message.
    fn short(&self, span: Span) -> String {
        let t = self.text(span);
        if t.chars().count() > 40 {
            let head: String = t.chars().take(37).collect();
            format!("{head}...")
        } else {
            t
        }
    }

    fn line(&self, span: Span) -> usize {
        self.lines.line(self.src, span.start)
    }

    fn shape_name(&self, s: Shape) -> String {
        self.prog.shape_name(s)
    }

    fn dim_name(&self, d: Dim) -> String {
        self.prog.dim_name(d)
    }

    // ---- lazily resolved definitions

    /// Resolves a let's body if needed; its shape, or None when it failed or
    /// is being resolved (a cycle, reported by `check_cycles`).
    fn force_let(&mut self, id: usize) -> Option<Shape> {
        match self.lets[id].state {
            State::Done => return self.lets[id].body.as_ref().map(|b| b.shape),
            State::Failed | State::InProgress => return None,
            State::Pending => {}
        }
        self.lets[id].state = State::InProgress;
        let scopes = self.lets[id]
            .params
            .iter()
            .map(|&p| (self.prog.locals[p].name.clone(), p))
            .collect();
        let saved = std::mem::replace(
            &mut self.ctx,
            Ctx {
                scopes,
                node: Some(Node::Let(id)),
                ..Ctx::default()
            },
        );
        let value = self.lets[id].value;
        let errors = self.errors.len();
        let body = self.expr(value).filter(|_| self.errors.len() == errors);
        self.ctx = saved;
        let slot = &mut self.lets[id];
        slot.state = if body.is_some() {
            State::Done
        } else {
            State::Failed
        };
        let shape = body.as_ref().map(|b| b.shape);
        slot.body = body;
        shape
    }

    /// Resolves a sequence's defining `let` if needed; the body's shape.
    fn force_seq_def(&mut self, id: SeqId) -> Option<Shape> {
        let Some(def) = &self.seqs[id].def else {
            return None;
        };
        match def.state {
            State::Done => return def.body.as_ref().map(|b| b.shape),
            State::Failed | State::InProgress => return None,
            State::Pending => {}
        }
        let (local, value, guard) = (def.local, def.value, def.guard);
        self.seqs[id].def.as_mut().expect("checked").state = State::InProgress;
        let saved = std::mem::replace(
            &mut self.ctx,
            Ctx {
                scopes: vec![(self.prog.locals[local].name.clone(), local)],
                node: Some(Node::Seq(id)),
                own_time: Some(local),
                ..Ctx::default()
            },
        );
        let errors = self.errors.len();
        let guard_ir = guard.and_then(|g| {
            let bound = self.int_expr(&g.bound, IntegerRole::GuardBound)?;
            Some((g.op.node, bound))
        });
        let body = self.expr(value);
        self.ctx = saved;
        let given = self.seqs[id].given_shape;
        if let (Some(b), Some(g)) = (&body, given)
            && !self.prog.same_shape(b.shape, g)
        {
            let name = self.seqs[id].name.clone();
            let first = self.seqs[id].name_span;
            let (shape, declared) = (self.shape_name(b.shape), self.shape_name(g));
            self.push(ResolveError::SequenceDefinitionShape {
                at: b.span,
                name,
                shape,
                declared,
                declaration: first,
            });
        }
        let body = body.filter(|_| self.errors.len() == errors);
        let def = self.seqs[id].def.as_mut().expect("checked");
        def.state = if body.is_some() {
            State::Done
        } else {
            State::Failed
        };
        def.guard_ir = guard_ir;
        let shape = body.as_ref().map(|b| b.shape);
        def.body = body;
        shape
    }

    /// The element shape of a sequence (from its `var`, else its definition).
    fn seq_shape(&mut self, id: SeqId, at: Span) -> Option<Shape> {
        if let Some(s) = self.seqs[id].given_shape {
            return Some(s);
        }
        let in_progress = matches!(&self.seqs[id].def, Some(d) if d.state == State::InProgress);
        if in_progress {
            self.shape_blocked.push((id, at));
            return None;
        }
        self.force_seq_def(id)
    }
}

/// A name as quoted in a message: very long names are cut short so that a
/// hostile input cannot blow up the report.
fn short_name(n: &str) -> String {
    if n.chars().count() > 40 {
        let head: String = n.chars().take(37).collect();
        format!("{head}...")
    } else {
        n.to_string()
    }
}

/// Evaluates a literal integer (optionally negated) written in the AST.
fn ast_const_int(e: &ast::Expr) -> Option<i64> {
    use num_traits::ToPrimitive;
    match &e.node {
        ast::ExprKind::Num(r) if r.is_integer() => r.to_integer().to_i64(),
        ast::ExprKind::Neg(a) => ast_const_int(a).and_then(|v| v.checked_neg()),
        _ => None,
    }
}

fn cmp_holds(lhs: i64, op: ir::CmpOp, rhs: i64) -> bool {
    match op {
        ir::CmpOp::Lt => lhs < rhs,
        ir::CmpOp::Le => lhs <= rhs,
        ir::CmpOp::Gt => lhs > rhs,
        ir::CmpOp::Ge => lhs >= rhs,
    }
}

/// Levenshtein distance, stopping early once it exceeds 1.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

#[cfg(test)]
mod tests;
