//! `gradproof export FILE --to numpy`: every `derive F wrt X, …` of a file as
//! a Python function that computes the forward pass and the gradients in the
//! lecture's form (let names kept, the named adjoints δ1, δ2, … as locals,
//! indicators as boolean masks), built from the backward pass that
//! [`crate::lecture::backward_pass`] writes. A recurrence becomes a loop over
//! t, forwards and backwards: the backward pass is derived unrolled for every
//! length 1..=6, and the loop is written only when one loop body, printed,
//! reproduces each of those unrolled passes line for line. Whatever cannot
//! be written faithfully is an [`ExportError`] with the position, never code
//! that computes something else.

mod python;

use crate::derive;
use crate::diagnostics::Diagnostic;
use crate::ir::{
    Attr, Dim, DimId, Expr, FunKind, LetId, Op, Program, SeqId, SeqPiece, Shape, WorkKind,
};
use crate::ir::{build, unroll};
use crate::lecture::{self, BackwardPass, PassLine};
use crate::render::expr::{Printer, Style};
use crate::simplify::Budget;
use crate::span::Span;
use python::{AdjointName, HELPERS, Lin, Names, Py, TimeMode, Uses};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Something the exporter cannot write as NumPy code, at its position.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportError {
    pub span: Span,
    pub message: String,
    pub label: String,
}

impl From<ExportError> for Diagnostic {
    fn from(e: ExportError) -> Self {
        Diagnostic {
            span: e.span,
            message: e.message,
            label: e.label,
            notes: Vec::new(),
        }
    }
}

fn error<T>(span: Span, message: impl Into<String>, label: &str) -> Result<T, ExportError> {
    Err(ExportError {
        span,
        message: message.into(),
        label: label.to_string(),
    })
}

/// The lengths a backward pass through time is unrolled for to find, and
/// then confirm, its loop; the first one is shown in the docstring.
const LENGTHS: [u64; 6] = [3, 1, 2, 4, 5, 6];

const PY_RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "np",
    "range",
    "float",
    "sum",
    "dict",
    "list",
    "len",
    "sigmoid",
    "softmax",
    "logsumexp",
    "softmax_rows",
    "logsumexp_rows",
    "prod",
];

fn py_name(n: &str) -> String {
    if PY_RESERVED.contains(&n) {
        format!("{n}_")
    } else {
        n.to_string()
    }
}

/// Python names for one function: the file's names (keywords get a `_`),
/// and fresh ones that avoid them.
struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    fn fresh(&mut self, base: &str) -> String {
        let mut n = py_name(base);
        while self.taken.contains(&n) {
            n.push('_');
        }
        self.taken.insert(n.clone());
        n
    }
}

/// Names of the file, and a namer for fresh names that avoid those the
/// function can refer to (the lets reachable from `f`; other lets, such as
/// an answer key's `delta1`, are not in its scope).
fn base_names(prog: &Program, f: &Expr) -> (Names, Namer) {
    let names = Names {
        vars: prog.vars.iter().map(|v| py_name(&v.name)).collect(),
        lets: prog.lets.iter().map(|v| py_name(&v.name)).collect(),
        seqs: prog.seqs.iter().map(|v| py_name(&v.name)).collect(),
        funs: prog.funs.iter().map(|v| py_name(&v.name)).collect(),
        fun_primes: Vec::new(),
        dims: prog.dims.iter().map(|v| py_name(&v.name)).collect(),
        locals: prog.locals.iter().map(|v| py_name(&v.name)).collect(),
        idxs: prog.idxs.iter().map(|v| py_name(&v.name)).collect(),
    };
    // Locals and idx variables live only inside generator expressions.
    let (reached, _) = reachable(prog, &[f]);
    let taken = names
        .vars
        .iter()
        .chain(reached.iter().map(|l| &names.lets[*l]))
        .chain(&names.seqs)
        .chain(&names.funs)
        .chain(&names.dims)
        .cloned()
        .collect();
    let mut namer = Namer { taken };
    let mut names = names;
    names.fun_primes = prog
        .funs
        .iter()
        .map(|f| namer.fresh(&format!("d{}", f.name)))
        .collect();
    (names, namer)
}

/// The Python module for every `derive` of the file, or every reason it
/// cannot be written.
pub fn numpy_module(
    prog: &Program,
    src: &str,
    file_name: &str,
) -> Result<String, Vec<ExportError>> {
    let mut functions = Vec::new();
    let mut errors = Vec::new();
    let mut helpers = BTreeSet::new();
    let mut fn_names = HashSet::new();
    for w in &prog.work {
        let WorkKind::Derive { of, items } = &w.kind else {
            continue;
        };
        match export_derive(prog, src, w.line, w.span, of.as_ref(), items, &mut fn_names) {
            Ok((text, used)) => {
                helpers.extend(used);
                functions.push(text);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if functions.is_empty() {
        return error(
            Span::new(0, src.len().min(1)),
            format!("{file_name} has no `derive` statement to export"),
            "add `derive F wrt X` for the gradients to export",
        )
        .map_err(|e| vec![e]);
    }
    let mut out = format!(
        "\"\"\"NumPy code for the derivations of {file_name}, exported by gradproof.\n\n\
         One function per `derive`: it takes the file's variables (vectors as\n\
         column arrays of shape (n, 1), scalars as floats; each `fun` as a callable\n\
         and its derivative) and returns the forward value and a dict of the\n\
         gradients by variable name.\n\"\"\"\n\nimport numpy as np\n"
    );
    for (name, code) in HELPERS {
        if helpers.contains(name) {
            out.push_str(&format!("\n\n{code}"));
        }
    }
    for f in functions {
        out.push_str(&format!("\n\n{f}"));
    }
    Ok(out)
}

/// Every expression reachable from `roots` through lets and sequence
/// definitions (of the symbolic program), for finding the length.
fn reachable(prog: &Program, roots: &[&Expr]) -> (BTreeSet<LetId>, BTreeSet<SeqId>) {
    let mut lets = BTreeSet::new();
    let mut seqs = BTreeSet::new();
    let mut stack: Vec<&Expr> = roots.to_vec();
    while let Some(e) = stack.pop() {
        e.walk(&mut |n| match n.op {
            Op::Let(l) | Op::CallLet(l) if lets.insert(l) => stack.push(&prog.lets[l].body),
            Op::SeqAt(s) if seqs.insert(s) => {
                for p in &prog.seqs[s].pieces {
                    if let SeqPiece::Defined { body, guard, .. } = p {
                        stack.push(body);
                        if let Some((_, g)) = guard {
                            stack.push(g);
                        }
                    }
                }
            }
            _ => {}
        });
    }
    (lets, seqs)
}

/// The dimension used as a time inside the reachable sequence references.
fn length_dim(prog: &Program, roots: &[&Expr], span: Span) -> Result<Option<DimId>, ExportError> {
    let (lets, seqs) = reachable(prog, roots);
    if seqs.is_empty() {
        return Ok(None);
    }
    let mut found = BTreeSet::new();
    let mut exprs: Vec<&Expr> = roots.to_vec();
    exprs.extend(lets.iter().map(|l| &prog.lets[*l].body));
    for s in &seqs {
        for p in &prog.seqs[*s].pieces {
            if let SeqPiece::Defined { body, .. } = p {
                exprs.push(body);
            }
        }
    }
    for e in exprs {
        e.walk(&mut |n| {
            let times: &[Expr] = match n.op {
                Op::SeqAt(_) => &n.args[..1],
                Op::SumRange(_) | Op::ProdRange { .. } => &n.args[..2],
                _ => &[],
            };
            for time in times {
                time.walk(&mut |t| {
                    if let Op::DimValue(Dim::Sym(d)) = t.op {
                        found.insert(d);
                    }
                });
            }
        });
    }
    // A fixed length the file sets (`dim T = 4`) counts as well.
    match found.len() {
        1 => Ok(found.into_iter().next()),
        0 => error(
            span,
            "this derivation goes through a sequence at fixed times only; the NumPy export writes recurrences as loops up to a length `dim T`",
            "no length such as h[T] here",
        ),
        _ => error(
            span,
            "this derivation has sequences of several lengths; the NumPy export writes one loop over t",
            "more than one length here",
        ),
    }
}

fn shape_note(prog: &Program, s: Shape) -> String {
    prog.shape_name(s)
}

fn attr_word(a: Attr) -> &'static str {
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

/// A sequence as the forward pass computes it.
#[derive(Clone, Debug, PartialEq)]
struct SeqPlan {
    /// Defined elements: first time, and last time minus the length.
    defined: Option<(i64, i64, usize)>,
    /// Given elements at fixed times (`var h[0]`).
    given_at: BTreeSet<i64>,
    /// Given at every time (`var x[t]`): first time, last minus the length.
    given_every: Option<(i64, i64)>,
}

/// The backward pass of one length, rolled into a loop.
#[derive(Clone, Debug, PartialEq)]
struct Rolled {
    prefix: Vec<String>,
    /// The first adjoint of the loop: its time minus the length, and its line.
    start: Option<(i64, String)>,
    /// Loop body (delta line), last time of the loop, one term per result.
    body: Option<(String, i64, Vec<Option<String>>)>,
    members: usize,
    /// Each result before the loop.
    init: Vec<String>,
}

struct Ctx<'a> {
    names: &'a Names,
    uses: &'a RefCell<Uses>,
    length: Option<DimId>,
}

impl<'a> Ctx<'a> {
    fn py(&self, prog: &'a Program, adjoints: &'a [AdjointName], time: TimeMode) -> Py<'a> {
        Py {
            prog,
            names: self.names,
            adjoints,
            time,
            shifted: HashMap::new(),
            length: self.length,
            uses: self.uses,
        }
    }
}

fn adjoint_refs(e: &Expr) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    e.walk(&mut |n| {
        if let Op::Adjoint(k) = n.op {
            out.insert(k);
        }
    });
    out
}

fn min_time(prog: &Program, e: &Expr) -> Option<i64> {
    let mut m: Option<i64> = None;
    e.walk(&mut |n| {
        if matches!(n.op, Op::SeqAt(_))
            && let Some(t) = unroll::const_int(prog, &n.args[0])
        {
            m = Some(m.map_or(t, |x| x.min(t)));
        }
    });
    m
}

fn terms(e: &Expr) -> Vec<&Expr> {
    if e.op == Op::Add {
        let mut t = terms(&e.args[0]);
        t.extend(terms(&e.args[1]));
        t
    } else {
        vec![e]
    }
}

/// Rolls the backward pass unrolled for length `len` into prefix, loop start
/// and loop body.
fn roll(
    ctx: &Ctx,
    prog: &Program,
    pass: &BackwardPass,
    len: i64,
    delta_dict: &str,
    prefix_names: &[String],
    span: Span,
) -> Result<Rolled, ExportError> {
    let n = pass.adjoints.len();
    let anchors: Vec<Option<i64>> = pass
        .adjoints
        .iter()
        .map(|(_, e)| min_time(prog, e))
        .collect();
    let refs: Vec<BTreeSet<usize>> = pass.adjoints.iter().map(|(_, e)| adjoint_refs(e)).collect();
    let timed: Vec<AdjointName> = (0..n)
        .map(|k| match anchors[k] {
            Some(a) => AdjointName::Timed {
                dict: delta_dict.to_string(),
                time: a,
            },
            None => AdjointName::Plain(format!("δ{}", k + 1)),
        })
        .collect();
    let at_loop = |k: usize, names: &[AdjointName]| -> Result<String, ExportError> {
        let py = ctx.py(
            prog,
            names,
            TimeMode::FromLoop {
                at: anchors[k].unwrap_or(0),
                var: "t".to_string(),
            },
        );
        let lhs = py.code(&Expr::leaf(Op::Adjoint(k), pass.adjoints[k].1.shape, span))?;
        Ok(format!("{lhs} = {}", py.code(&pass.adjoints[k].1)?))
    };
    // The run: the last adjoints, each one time step before the next and
    // written by the same loop body.
    let mut start = n;
    if n > 0 && anchors[n - 1].is_some() {
        let template = at_loop(n - 1, &timed)?;
        start = n - 1;
        while start > 0
            && anchors[start - 1].is_some()
            && anchors[start - 1] == anchors[start].map(|a| a + 1)
            && refs[start].contains(&(start - 1))
            && at_loop(start, &timed)? == template
        {
            start -= 1;
        }
    }
    let run = start..n;
    let mut names: Vec<AdjointName> = Vec::new();
    for (k, t) in timed.iter().enumerate() {
        names.push(if run.contains(&k) {
            t.clone()
        } else {
            match prefix_names.get(k) {
                Some(p) => AdjointName::Plain(p.clone()),
                None => {
                    return error(
                        span,
                        "this backward pass names more adjoints before its loop at some lengths than at others",
                        "cannot write this backward pass as a loop over t",
                    );
                }
            }
        });
    }
    let not_rolled = |why: &str| {
        error(
            span,
            format!("this backward pass through time cannot be written as one loop over t: {why}"),
            "cannot write this as a loop",
        )
    };
    for r in &refs[..start] {
        if r.iter().any(|r| run.contains(r)) {
            return not_rolled("an adjoint before the loop uses one inside it");
        }
    }
    for r in refs.iter().skip(start + 1) {
        if r.iter().filter(|r| run.contains(*r)).count() != 1 {
            return not_rolled("a step of the loop uses more than the step before");
        }
    }
    if start < n && refs[start].iter().any(|r| run.contains(r)) {
        return not_rolled("the loop's first adjoint uses a later one");
    }
    let end = ctx.py(
        prog,
        &names,
        TimeMode::FromEnd {
            len,
            name: ctx
                .length
                .map(|d| ctx.names.dims[d].clone())
                .unwrap_or_default(),
        },
    );
    let mut prefix = Vec::new();
    for (k, (_, e)) in pass.adjoints.iter().enumerate().take(start) {
        prefix.push(format!("{} = {}", prefix_names[k], end.code(e)?));
    }
    let start_line = if start < n {
        let lhs = end.code(&Expr::leaf(
            Op::Adjoint(start),
            pass.adjoints[start].1.shape,
            span,
        ))?;
        let a = anchors[start].unwrap_or(0);
        Some((
            a - len,
            format!("{lhs} = {}", end.code(&pass.adjoints[start].1)?),
        ))
    } else {
        None
    };
    let members = n.saturating_sub(start + 1);
    let mut init = Vec::new();
    let mut loop_terms = Vec::new();
    for r in &pass.results {
        let mut first = Vec::new();
        let mut per_member: BTreeMap<usize, String> = BTreeMap::new();
        for t in terms(r) {
            let in_run: Vec<usize> = adjoint_refs(t)
                .into_iter()
                .filter(|k| run.contains(k))
                .collect();
            match in_run.as_slice() {
                [] => first.push(t.clone()),
                [k] if *k == start => first.push(t.clone()),
                [k] => {
                    let py = ctx.py(
                        prog,
                        &names,
                        TimeMode::FromLoop {
                            at: anchors[*k].unwrap_or(0),
                            var: "t".to_string(),
                        },
                    );
                    if per_member.insert(*k, py.code(t)?).is_some() {
                        return not_rolled("a gradient has two terms from one step");
                    }
                }
                _ => return not_rolled("a term of a gradient uses two steps"),
            }
        }
        let sum = first
            .into_iter()
            .reduce(|a, b| Expr::new(Op::Add, vec![a, b], r.shape, r.span))
            .unwrap_or_else(|| build::zeros(r.shape, r.span));
        init.push(end.code(&sum)?);
        let codes: BTreeSet<&String> = per_member.values().collect();
        let term = match (per_member.len(), codes.len()) {
            (0, _) => None,
            (m, 1) if m == members => codes.into_iter().next().cloned(),
            _ => return not_rolled("the steps add different terms to a gradient"),
        };
        loop_terms.push(term);
    }
    let body = if members > 0 {
        Some((
            at_loop(n - 1, &names)?,
            anchors[n - 1].unwrap_or(0),
            loop_terms,
        ))
    } else {
        None
    };
    Ok(Rolled {
        prefix,
        start: start_line,
        body,
        members,
        init,
    })
}

/// Does the rolled pass of another length agree with the reference?
fn agrees(reference: &Rolled, other: &Rolled, len: i64) -> bool {
    if reference.prefix != other.prefix
        || reference.start != other.start
        || reference.init != other.init
    {
        return false;
    }
    match (&reference.body, &other.body) {
        (Some(a), Some(b)) => a == b,
        (Some((_, last, _)), None) => {
            // No step of the loop at this length: the loop must be empty too.
            let first = reference.start.as_ref().map_or(0, |(rel, _)| len + rel);
            first - last <= 0 && other.members == 0
        }
        (None, None) => true,
        (None, Some(_)) => false,
    }
}

/// What `needed` found at one length.
struct Needed {
    /// Defined and given elements by sequence.
    elements: BTreeMap<SeqId, (BTreeSet<i64>, BTreeSet<i64>)>,
    lets: BTreeSet<LetId>,
}

fn needed(prog: &Program, roots: &[&Expr]) -> Result<Needed, ExportError> {
    let mut out = Needed {
        elements: BTreeMap::new(),
        lets: BTreeSet::new(),
    };
    let mut stack: Vec<Expr> = roots.iter().map(|e| (*e).clone()).collect();
    while let Some(e) = stack.pop() {
        let mut found: Vec<(SeqId, Option<i64>, Span)> = Vec::new();
        let mut lets = Vec::new();
        e.walk(&mut |n| match n.op {
            Op::SeqAt(s) => found.push((s, unroll::const_int(prog, &n.args[0]), n.span)),
            Op::Let(l) | Op::CallLet(l) => lets.push(l),
            _ => {}
        });
        for l in lets {
            if out.lets.insert(l) {
                stack.push(prog.lets[l].body.clone());
            }
        }
        for (s, t, sp) in found {
            let Some(t) = t else {
                return error(
                    sp,
                    "the NumPy export needs every sequence element at a time like t - 1 or T",
                    "this time is not fixed by the length",
                );
            };
            let entry = out.elements.entry(s).or_default();
            if entry.0.contains(&t) || entry.1.contains(&t) {
                continue;
            }
            match unroll::seq_definition(prog, s, t).map_err(|e| ExportError {
                span: e.span,
                message: e.message,
                label: "while exporting this".to_string(),
            })? {
                Some(body) => {
                    entry.0.insert(t);
                    stack.push(body);
                }
                None => {
                    entry.1.insert(t);
                }
            }
        }
    }
    Ok(out)
}

/// `lo..=hi` as (lo, hi - len), when `ts` is exactly that range.
fn range_of(ts: &BTreeSet<i64>, len: i64) -> Option<(i64, i64)> {
    let lo = *ts.first()?;
    let hi = *ts.last()?;
    (hi - lo + 1 == ts.len() as i64).then_some((lo, hi - len))
}

fn plans(
    prog_at: &dyn Fn(u64) -> Program,
    roots_at: &dyn Fn(&Program, u64) -> Vec<Expr>,
    lengths: &[u64],
    span: Span,
) -> Result<(BTreeMap<SeqId, SeqPlan>, BTreeSet<LetId>), ExportError> {
    let mut reference: Option<BTreeMap<SeqId, SeqPlan>> = None;
    let mut lets = BTreeSet::new();
    for &len in lengths {
        let p = prog_at(len);
        let roots = roots_at(&p, len);
        let refs: Vec<&Expr> = roots.iter().collect();
        let n = needed(&p, &refs)?;
        lets.extend(n.lets.iter().copied());
        let mut plan = BTreeMap::new();
        for (s, (defined, given)) in &n.elements {
            let seq = &p.seqs[*s];
            let every = seq
                .pieces
                .iter()
                .any(|x| matches!(x, SeqPiece::GivenEvery { .. }));
            let given_at: BTreeSet<i64> = given
                .iter()
                .copied()
                .filter(|t| {
                    seq.pieces
                        .iter()
                        .any(|x| matches!(x, SeqPiece::GivenAt { at, .. } if at == t))
                })
                .collect();
            let rest: BTreeSet<i64> = given.difference(&given_at).copied().collect();
            let bad = |why: &str| {
                error(
                    seq.span,
                    format!(
                        "the NumPy export cannot write {}[t] as a loop: {why}",
                        seq.name
                    ),
                    "this sequence",
                )
            };
            if every && !defined.is_empty() {
                return bad("it is both given and defined at every time");
            }
            if !rest.is_empty() && !every {
                return bad("it is used where it is neither given nor defined");
            }
            let defined_plan = if defined.is_empty() {
                None
            } else {
                let Some((lo, hi)) = range_of(defined, len as i64) else {
                    return bad("its elements are not consecutive times");
                };
                let pieces: BTreeSet<Option<usize>> = defined
                    .iter()
                    .map(|t| unroll::piece_at(&p, *s, *t))
                    .collect();
                match pieces.into_iter().collect::<Vec<_>>().as_slice() {
                    [Some(i)] => Some((lo, hi, *i)),
                    _ => return bad("different definitions apply at different times"),
                }
            };
            let every_plan = if rest.is_empty() {
                None
            } else {
                match range_of(&rest, len as i64) {
                    Some(r) => Some(r),
                    None => return bad("its elements are not consecutive times"),
                }
            };
            plan.insert(
                *s,
                SeqPlan {
                    defined: defined_plan,
                    given_at,
                    given_every: every_plan,
                },
            );
        }
        match &reference {
            None => reference = Some(plan),
            Some(r) if *r == plan => {}
            Some(_) => {
                return error(
                    span,
                    "the forward pass uses different elements at different lengths in a way one loop cannot write",
                    "cannot write this as a loop",
                );
            }
        }
    }
    Ok((reference.unwrap_or_default(), lets))
}

/// Lets in an order where each comes after those it uses.
fn let_order(prog: &Program, lets: &BTreeSet<LetId>) -> Vec<LetId> {
    fn visit(prog: &Program, l: LetId, seen: &mut Vec<bool>, out: &mut Vec<LetId>) {
        if seen[l] {
            return;
        }
        seen[l] = true;
        let mut deps = Vec::new();
        prog.lets[l].body.walk(&mut |n| {
            if let Op::Let(d) | Op::CallLet(d) = n.op {
                deps.push(d);
            }
        });
        for d in deps {
            visit(prog, d, seen, out);
        }
        if !prog.lets[l].is_function {
            out.push(l);
        }
    }
    let mut seen = vec![false; prog.lets.len()];
    let mut out = Vec::new();
    for l in lets {
        visit(prog, *l, &mut seen, &mut out);
    }
    out
}

fn uses_seq(prog: &Program, l: LetId, memo: &mut HashMap<LetId, bool>) -> bool {
    if let Some(b) = memo.get(&l) {
        return *b;
    }
    memo.insert(l, false);
    let mut deps = Vec::new();
    let mut direct = false;
    prog.lets[l].body.walk(&mut |n| match n.op {
        Op::SeqAt(_) => direct = true,
        Op::Let(d) | Op::CallLet(d) => deps.push(d),
        _ => {}
    });
    let r = direct || deps.into_iter().any(|d| uses_seq(prog, d, memo));
    memo.insert(l, r);
    r
}

#[allow(clippy::too_many_arguments)]
fn export_derive(
    prog: &Program,
    src: &str,
    line: usize,
    span: Span,
    of: Option<&Expr>,
    items: &[crate::ir::DeriveItem],
    fn_names: &mut HashSet<String>,
) -> Result<(String, BTreeSet<&'static str>), ExportError> {
    let statement = src
        .get(span.start..span.end)
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let Some(f) = of else {
        return error(
            span,
            "the NumPy export writes `derive F wrt X, …`; a list of derivative expressions is not exported",
            "write this as `derive F wrt X`",
        );
    };
    let mut wrts = Vec::new();
    for i in items {
        match i.expr.args.get(1) {
            Some(w) if i.expr.op == Op::Grad && matches!(w.op, Op::Var(_)) => wrts.push(w.clone()),
            _ => {
                return error(
                    i.expr.args.get(1).map_or(span, |w| w.span),
                    "the NumPy export takes gradients with respect to declared variables (`var`) only",
                    "not a variable",
                );
            }
        }
    }
    let (names, mut namer) = base_names(prog, f);
    let uses = RefCell::new(Uses::default());
    let length = length_dim(prog, &[f], span)?;
    let ctx = Ctx {
        names: &names,
        uses: &uses,
        length,
    };
    let of_name = match f.op {
        Op::Let(l) => prog.lets[l].name.clone(),
        _ => "f".to_string(),
    };
    let var_name = |w: &Expr| match w.op {
        Op::Var(v) => prog.vars[v].name.clone(),
        _ => unreachable!("wrts are variables"),
    };
    let grad_names: Vec<String> = wrts
        .iter()
        .map(|w| namer.fresh(&format!("d{of_name}_d{}", var_name(w))))
        .collect();
    let value_name = match f.op {
        Op::Let(l) => names.lets[l].clone(),
        _ => namer.fresh("value"),
    };
    let mut body: Vec<String> = Vec::new();
    let shown: (Program, BackwardPass);
    let derive_err = |e: derive::DeriveError| ExportError {
        span: e.span,
        message: e.message,
        label: "while deriving this for the export".to_string(),
    };
    let mut seq_params: Vec<(String, String, Shape)> = Vec::new();
    let mut note = String::new();
    match length {
        None => {
            let pass =
                lecture::backward_pass(prog, f, &wrts, &Budget::default()).map_err(derive_err)?;
            let adj: Vec<AdjointName> = (0..pass.adjoints.len())
                .map(|k| AdjointName::Plain(namer.fresh(&format!("delta{}", k + 1))))
                .collect();
            let py = ctx.py(prog, &adj, TimeMode::Literal);
            let mut lets = BTreeSet::new();
            let mut roots: Vec<&Expr> = vec![f];
            roots.extend(pass.adjoints.iter().map(|(_, e)| e));
            roots.extend(pass.results.iter());
            for r in &roots {
                r.walk(&mut |n| {
                    if let Op::Let(l) | Op::CallLet(l) = n.op {
                        lets.insert(l);
                    }
                });
            }
            body.push("# forward pass".to_string());
            for l in let_order(prog, &lets) {
                body.push(format!(
                    "{} = {}",
                    names.lets[l],
                    py.code(&prog.lets[l].body)?
                ));
            }
            if !matches!(f.op, Op::Let(_)) {
                body.push(format!("{value_name} = {}", py.code(f)?));
            }
            body.push("# backward pass".to_string());
            for &l in &pass.order {
                match l {
                    PassLine::Adjoint(k) => {
                        let AdjointName::Plain(n) = &adj[k] else {
                            unreachable!()
                        };
                        body.push(format!("{n} = {}", py.code(&pass.adjoints[k].1)?));
                    }
                    PassLine::Result(i) => {
                        body.push(format!(
                            "{} = {}",
                            grad_names[i],
                            py.code(&pass.results[i])?
                        ));
                    }
                }
            }
            shown = (prog.clone(), pass);
        }
        Some(tdim) => {
            let prog_at = |len: u64| unroll::fix_dim(prog, tdim, len);
            let f_at = |len: u64| unroll::substitute_dim(f, tdim, len);
            let delta_dict = namer.fresh("delta");
            let t_var = namer.fresh("t");
            if t_var != "t" {
                return error(
                    span,
                    "a name `t` of the file is in the way of the export's loop variable",
                    "rename `t`",
                );
            }
            // The reference length is the file's own when it fixes one.
            let shown_len = prog.dims[tdim].value.unwrap_or(LENGTHS[0]);
            let mut lengths: Vec<u64> = LENGTHS.to_vec();
            if !lengths.contains(&shown_len) {
                lengths.push(shown_len);
            }
            let mut passes = Vec::new();
            for &len in &lengths {
                let p = prog_at(len);
                let pass = lecture::backward_pass(&p, &f_at(len), &wrts, &Budget::default())
                    .map_err(derive_err)?;
                passes.push((len, p, pass));
            }
            // Prefix adjoints keep their numbers δ1, δ2, … of the shown pass.
            let max_adj = passes
                .iter()
                .map(|(_, _, x)| x.adjoints.len())
                .max()
                .unwrap_or(0);
            let prefix_names: Vec<String> = (0..max_adj)
                .map(|k| namer.fresh(&format!("delta{}", k + 1)))
                .collect();
            let mut rolled = Vec::new();
            for (len, p, pass) in &passes {
                rolled.push((
                    *len,
                    roll(&ctx, p, pass, *len as i64, &delta_dict, &prefix_names, span)?,
                ));
            }
            let reference = rolled[0].1.clone();
            for (len, r) in &rolled[1..] {
                if !agrees(&reference, r, *len as i64) {
                    return error(
                        span,
                        format!(
                            "the backward pass through time cannot be written as one loop over t: unrolled for {} = {len} it differs from the loop that writes {} = {}",
                            prog.dims[tdim].name, prog.dims[tdim].name, LENGTHS[0]
                        ),
                        "cannot write this as a loop",
                    );
                }
            }
            // Forward pass: lets before the loop, the loop, lets after it.
            let roots_at = |_: &Program, len: u64| -> Vec<Expr> {
                let (_, _, pass) = passes.iter().find(|(l, _, _)| *l == len).unwrap();
                let mut r = vec![f_at(len)];
                r.extend(pass.adjoints.iter().map(|(_, e)| e.clone()));
                r.extend(pass.results.iter().cloned());
                r
            };
            let (plan, lets) = plans(&prog_at, &roots_at, &lengths, span)?;
            let mut memo = HashMap::new();
            let order = let_order(prog, &lets);
            let (after, before): (Vec<LetId>, Vec<LetId>) = order
                .into_iter()
                .partition(|l| uses_seq(prog, *l, &mut memo));
            let py = ctx.py(prog, &[], TimeMode::Literal);
            body.push("# forward pass".to_string());
            for l in &before {
                body.push(format!(
                    "{} = {}",
                    names.lets[*l],
                    py.code(&prog.lets[*l].body)?
                ));
            }
            let tname = names.dims[tdim].clone();
            for (s, pl) in &plan {
                let seq = &prog.seqs[*s];
                if let Some((lo, hi)) = pl.given_every {
                    seq_params.push((
                        names.seqs[*s].clone(),
                        format!(
                            "{} for t in {lo}..{}",
                            shape_note(prog, seq.shape),
                            match prog.dims[tdim].value {
                                Some(v) => (v as i64 + hi).to_string(),
                                None => Lin {
                                    sym: Some(tname.clone()),
                                    c: hi
                                }
                                .text()
                                .replace(' ', ""),
                            }
                        ),
                        seq.shape,
                    ));
                }
                let mut given = Vec::new();
                for at in &pl.given_at {
                    let pname = namer.fresh(&format!(
                        "{}{}",
                        seq.name,
                        if *at < 0 {
                            format!("_m{}", -at)
                        } else {
                            at.to_string()
                        }
                    ));
                    seq_params.push((
                        pname.clone(),
                        format!("{} ({}[{at}])", shape_note(prog, seq.shape), seq.name),
                        seq.shape,
                    ));
                    given.push(format!("{at}: {pname}"));
                }
                if pl.defined.is_some() || !given.is_empty() {
                    body.push(format!("{} = {{{}}}", names.seqs[*s], given.join(", ")));
                }
            }
            let defined: Vec<(SeqId, i64, i64, usize)> = plan
                .iter()
                .filter_map(|(s, pl)| pl.defined.map(|(lo, hi, i)| (*s, lo, hi, i)))
                .collect();
            if !defined.is_empty() {
                let widths: BTreeSet<i64> = defined.iter().map(|(_, lo, hi, _)| hi - lo).collect();
                if widths.len() != 1 {
                    return error(
                        span,
                        "the sequences of this recurrence have different lengths; the NumPy export writes one loop over t",
                        "cannot write this as a loop",
                    );
                }
                let lo_ref = defined.iter().map(|(_, lo, _, _)| *lo).max().unwrap();
                let hi_ref = defined
                    .iter()
                    .find(|(_, lo, _, _)| *lo == lo_ref)
                    .unwrap()
                    .2;
                // Within one iteration each element comes after the ones it uses.
                let shift: HashMap<SeqId, i64> = defined
                    .iter()
                    .map(|(s, lo, _, _)| (*s, lo - lo_ref))
                    .collect();
                let mut lines: BTreeMap<SeqId, (String, BTreeSet<SeqId>)> = BTreeMap::new();
                for (s, _, _, piece) in &defined {
                    let SeqPiece::Defined { local, body: b, .. } = &prog.seqs[*s].pieces[*piece]
                    else {
                        unreachable!("the plan names a defined piece")
                    };
                    let mut py = ctx.py(prog, &[], TimeMode::Literal);
                    py.shifted.insert(*local, (t_var.clone(), shift[s]));
                    let mut after_me = BTreeSet::new();
                    let mut problem = None;
                    b.walk(&mut |n| {
                        if let Op::SeqAt(s1) = n.op
                            && let Some(d1) = shift.get(&s1)
                        {
                            match py.lin(&n.args[0]) {
                                Some(Lin { sym: Some(v), c }) if v == t_var => {
                                    let ahead = c - d1;
                                    if ahead > 0 {
                                        problem = Some(n.span);
                                    } else if ahead == 0 {
                                        after_me.insert(s1);
                                    }
                                }
                                _ => problem = Some(n.span),
                            }
                        }
                    });
                    if let Some(sp) = problem {
                        return error(
                            sp,
                            "the NumPy export computes a recurrence forwards in t; this element is not computed before it is used",
                            "used here",
                        );
                    }
                    let lhs = Lin {
                        sym: Some(t_var.clone()),
                        c: shift[s],
                    }
                    .text();
                    lines.insert(
                        *s,
                        (
                            format!("{}[{lhs}] = {}", names.seqs[*s], py.code(b)?),
                            after_me,
                        ),
                    );
                }
                body.push(format!(
                    "for {t_var} in range({lo_ref}, {}):",
                    Lin {
                        sym: Some(tname.clone()),
                        c: hi_ref + 1
                    }
                    .text()
                ));
                let mut done: BTreeSet<SeqId> = BTreeSet::new();
                while done.len() < lines.len() {
                    let next = lines
                        .iter()
                        .find(|(s, (_, deps))| {
                            !done.contains(*s) && deps.iter().all(|d| done.contains(d) || d == *s)
                        })
                        .map(|(s, _)| *s);
                    let Some(s) = next else {
                        return error(
                            span,
                            "the sequences of this recurrence depend on each other at the same time",
                            "cannot order this loop",
                        );
                    };
                    if lines[&s].1.contains(&s) {
                        return error(
                            prog.seqs[s].span,
                            "this element is defined by itself",
                            "here",
                        );
                    }
                    body.push(format!("    {}", lines[&s].0));
                    done.insert(s);
                }
            }
            for l in &after {
                body.push(format!(
                    "{} = {}",
                    names.lets[*l],
                    py.code(&prog.lets[*l].body)?
                ));
            }
            if !matches!(f.op, Op::Let(_)) {
                body.push(format!("{value_name} = {}", py.code(f)?));
            }
            // Backward pass.
            body.push("# backward pass".to_string());
            body.extend(reference.prefix.iter().cloned());
            if let Some((_, line)) = &reference.start {
                body.push(format!("{delta_dict} = {{}}"));
                body.push(line.clone());
            }
            for (g, init) in grad_names.iter().zip(&reference.init) {
                body.push(format!("{g} = {init}"));
            }
            if let (Some((rel, _)), Some((line, last, terms))) = (&reference.start, &reference.body)
            {
                body.push(format!(
                    "for {t_var} in range({}, {}, -1):",
                    Lin {
                        sym: Some(tname.clone()),
                        c: rel - 1
                    }
                    .text(),
                    last - 1
                ));
                body.push(format!("    {line}"));
                for (g, t) in grad_names.iter().zip(terms) {
                    if let Some(t) = t {
                        body.push(format!("    {g} = {g} + {t}"));
                    }
                }
            }
            let (_, p3, pass3) = passes
                .into_iter()
                .find(|(l, _, _)| *l == shown_len)
                .unwrap();
            note = format!(
                "\n\n    Shown unrolled for {} = {shown_len}; the code loops over t, with\n    {delta_dict}[t] the adjoint that the lines δ1, δ2, … unroll.",
                prog.dims[tdim].name
            );
            shown = (p3, pass3);
        }
    }
    // The derivation as `derive` prints it.
    let (sprog, pass) = &shown;
    let adj_names: Vec<String> = pass.adjoints.iter().map(|(n, _)| n.clone()).collect();
    let printer = Printer::new(sprog, Style::Text).with_adjoints(&adj_names);
    let defs: Vec<&Expr> = pass.adjoints.iter().map(|(_, e)| e).collect();
    let rs: Vec<&Expr> = pass.results.iter().collect();
    let mut doc = Vec::new();
    for &l in &pass.order {
        match l {
            PassLine::Adjoint(k) => {
                doc.push(format!("{} = {}", adj_names[k], printer.print(defs[k])))
            }
            PassLine::Result(i) => doc.push(format!(
                "∂{of_name}/∂{} = {}",
                var_name(&wrts[i]),
                printer.print(rs[i])
            )),
        }
    }
    let uses = uses.into_inner();
    // Parameters: variables in declaration order, given sequences, functions, the length.
    let mut vars: BTreeSet<usize> = uses.vars.clone();
    for w in &wrts {
        if let Op::Var(v) = w.op {
            vars.insert(v);
        }
    }
    let mut params = Vec::new();
    let mut sources: Vec<(String, Shape, bool)> = Vec::new();
    for v in &vars {
        let d = &prog.vars[*v];
        let mut note = shape_note(prog, d.shape);
        for a in &d.attrs {
            note.push(' ');
            note.push_str(attr_word(*a));
        }
        params.push(format!("{}: \"{note}\"", names.vars[*v]));
        sources.push((names.vars[*v].clone(), d.shape, false));
    }
    for (n, note, shape) in &seq_params {
        params.push(format!("{n}: \"{note}\""));
        sources.push((n.clone(), *shape, note.contains(" for t in ")));
    }
    for f in &uses.funs {
        let d = &prog.funs[*f];
        let (kind, prime) = match &d.kind {
            FunKind::Elementwise => (
                "elementwise".to_string(),
                format!("derivative of {}", d.name),
            ),
            FunKind::Map { from, to } => (
                format!("{} -> {}", shape_note(prog, *from), shape_note(prog, *to)),
                format!("gradient of {}", d.name),
            ),
        };
        params.push(format!("{}: \"{kind}\"", names.funs[*f]));
        params.push(format!("{}: \"{prime}\"", names.fun_primes[*f]));
    }
    let mut head = Vec::new();
    if let Some(t) = length {
        match prog.dims[t].value {
            None => params.push(format!("{}: \"length\"", names.dims[t])),
            Some(v) => head.push(format!("{} = {v}", names.dims[t])),
        }
    }
    for d in &uses.dims {
        if Some(*d) == length {
            continue;
        }
        if let Some(v) = prog.dims[*d].value {
            head.push(format!("{} = {v}", names.dims[*d]));
            continue;
        }
        let src = sources.iter().find_map(|(n, s, is_list)| {
            let at = if s.rows == Dim::Sym(*d) {
                0
            } else if s.cols == Dim::Sym(*d) {
                1
            } else {
                return None;
            };
            let base = if *is_list {
                format!("{n}[0]")
            } else {
                n.clone()
            };
            Some(format!("{} = {base}.shape[{at}]", names.dims[*d]))
        });
        match src {
            Some(l) => head.push(l),
            None => {
                return error(
                    span,
                    format!(
                        "the exported code needs the size {} but no input has it",
                        prog.dims[*d].name
                    ),
                    "here",
                );
            }
        }
    }
    let mut fname = format!("grad_{}", py_name(&of_name));
    if !fn_names.insert(fname.clone()) {
        fname = format!("{fname}_line{line}");
        fn_names.insert(fname.clone());
    }
    let returns: Vec<String> = wrts
        .iter()
        .zip(&grad_names)
        .map(|(w, g)| format!("\"{}\": {g}", var_name(w)))
        .collect();
    let return_notes: Vec<String> = wrts
        .iter()
        .map(|w| format!("{}: {}", var_name(w), shape_note(prog, w.shape)))
        .collect();
    let mut text = format!("def {fname}({}):\n", params.join(", "));
    text.push_str(&format!(
        "    \"\"\"Line {line}: {statement}\n\n{}{note}\n\n    Returns {of_name} ({}) and its gradients {{{}}}.\n    \"\"\"\n",
        doc.iter().map(|l| format!("        {l}\n")).collect::<String>().trim_end(),
        shape_note(prog, f.shape),
        return_notes.join(", ")
    ));
    for l in head.iter().chain(&body) {
        text.push_str(&format!("    {l}\n"));
    }
    text.push_str(&format!(
        "    return {value_name}, {{{}}}\n",
        returns.join(", ")
    ));
    Ok((text, uses.helpers))
}
