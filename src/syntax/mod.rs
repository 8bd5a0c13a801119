//! Text → AST: splits a file into logical statements, parses each with the
//! pest grammar in `grammar/gradproof.pest`, and lowers the parse tree to
//! [`ast`] in `lower`. Owns every syntax error and the bounds that keep
//! hostile input (deep nesting, huge operator chains) from overflowing the
//! stack here or in later passes.

pub mod ast;
mod error;
mod lower;

pub use error::SyntaxError;
pub(crate) use lower::{MAX_EXPR_DEPTH, MAX_OPERATORS, clip};

use crate::span::{LineIndex, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use std::collections::HashSet;

/// The pest parser; kept private so that `Rule` is not part of the API.
mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/gradproof.pest"]
    pub(super) struct GradParser;
}
use grammar::{GradParser, Rule};

/// Brackets may nest at most this deep. Checked before pest sees the text,
/// because pest (and every later pass) recurses once per level.
pub(crate) const MAX_NESTING: usize = 64;

/// A statement may be at most this long (16 MiB): a resource bound only.
/// Generated files hold sums of 10^5 terms and more, and every pass is
/// linear in a flat statement's length.
pub(crate) const MAX_STATEMENT_BYTES: usize = 16 * 1024 * 1024;

/// Parses a whole file (already valid UTF-8). Returns all statements or the errors found
/// (report every statement that fails, not only the first: statements are independent).
///
/// Two passes: pest parses every statement first, so that the names of the
/// file's functions (`let f(…)`, `fun g`) are known before any expression is
/// lowered; only a function's name followed by `(` is a call.
pub fn parse(src: &str) -> Result<ast::File, Vec<SyntaxError>> {
    let parsed = parse_partial(src);
    if parsed.errors.is_empty() {
        Ok(parsed.file)
    } else {
        Err(parsed.errors)
    }
}

/// What [`parse_partial`] makes of a file: the statements that parsed, the
/// errors of those that did not (in source order), and the names those
/// would have declared, as far as their first words tell.
#[derive(Debug)]
pub struct Partial {
    pub file: ast::File,
    pub errors: Vec<SyntaxError>,
    pub undeclared: Vec<ast::Ident>,
}

/// Parses a file statement by statement: a statement that does not parse
/// is reported and left out, and parsing goes on at the next statement (a
/// line starting with a statement keyword, or after an unclosed bracket,
/// the next such line).
pub fn parse_partial(src: &str) -> Partial {
    let (chunks, mut errors) = split(src);
    let mut parsed = Vec::new();
    let mut undeclared = Vec::new();
    for chunk in &chunks {
        if chunk.failed {
            undeclared.extend(declared_names(src, chunk));
            continue;
        }
        match parse_chunk(src, chunk) {
            Ok(p) => parsed.push(p),
            Err(e) => {
                errors.push(e);
                undeclared.extend(declared_names(src, chunk));
            }
        }
    }
    let mut functions: HashSet<&str> = HashSet::new();
    for (pair, _, _) in &parsed {
        if let Some(name) = lower::declared_function(pair) {
            functions.insert(name);
        }
    }
    let mut stmts = Vec::new();
    for (pair, off, span) in parsed {
        match lower::statement(pair, off, span, &functions) {
            Ok(stmt) => stmts.push(stmt),
            Err(e) => {
                errors.push(e);
                let chunk = Chunk {
                    start: span.start,
                    end: span.end,
                    failed: true,
                };
                undeclared.extend(declared_names(src, &chunk));
            }
        }
    }
    errors.sort_by_key(|e| (e.span().start, e.span().end));
    Partial {
        file: ast::File { stmts },
        errors,
        undeclared,
    }
}

/// The names a statement that did not parse would have declared, read
/// from its words: `dim a, b = 3`, `var x, y: ...`, `idx i, j: n`, `fun g`,
/// `let z = ...`, `let f(u) = ...`, `let h[t] = ...`. Their uses elsewhere
/// are then not reported as undeclared.
fn declared_names(src: &str, chunk: &Chunk) -> Vec<ast::Ident> {
    let text = &src[chunk.start..chunk.end];
    let word = first_word(text);
    let mut names = Vec::new();
    let list = match word {
        "dim" | "var" | "idx" => true,
        "fun" | "let" => false,
        _ => return names,
    };
    let mut at = word.len();
    loop {
        let rest = &text[at..];
        let skipped = rest.len() - rest.trim_start_matches(is_blank).len();
        at += skipped;
        let name = first_word(&text[at..]);
        let starts_ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_');
        if !starts_ok {
            break;
        }
        let start = chunk.start + at;
        names.push(crate::span::Spanned::new(
            name.to_string(),
            Span::new(start, start + name.len()),
        ));
        at += name.len();
        if !list {
            break;
        }
        // Skip to the next item of the list: past `= value`, up to `,`.
        let rest = &text[at..];
        let Some(next) = rest.find([',', ':', '\n']) else {
            break;
        };
        if !rest[next..].starts_with(',') {
            break;
        }
        at += next + 1;
    }
    names
}

/// The words that start a statement, in the order the docs list them:
/// the one list the parser, the reports and the grammar test use (the pest
/// grammar spells each as a `kw_*` rule that starts its `*_stmt` rule).
pub const STATEMENT_KEYWORDS: [&str; 11] = [
    "dim",
    "var",
    "assume",
    "let",
    "fun",
    "idx",
    "derive",
    "show",
    "claim",
    "represent",
    "plot",
];

/// The grammar rule of each statement keyword, in the order of
/// [`STATEMENT_KEYWORDS`].
const STATEMENT_RULES: [Rule; 11] = [
    Rule::dim_stmt,
    Rule::var_stmt,
    Rule::assume_stmt,
    Rule::let_stmt,
    Rule::fun_stmt,
    Rule::idx_stmt,
    Rule::derive_stmt,
    Rule::show_stmt,
    Rule::claim_stmt,
    Rule::represent_stmt,
    Rule::plot_stmt,
];

/// The words that can never be names (the grammar's `keyword` rule): they
/// separate the parts of a statement.
pub const RESERVED_WORDS: [&str; 8] = [
    "wrt", "with", "expect", "refuted", "for", "in", "downto", "over",
];

/// One logical statement: a byte range of the file, continuation lines and
/// interior comments included, trailing comment excluded.
#[derive(Debug)]
struct Chunk {
    start: usize,
    end: usize,
    /// A bracket error was already reported; do not parse it.
    failed: bool,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\u{A0}' | '\u{FEFF}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The leading word of `s` (letters, digits, `_`).
fn first_word(s: &str) -> &str {
    let end = s.find(|c: char| !is_word_char(c)).unwrap_or(s.len());
    &s[..end]
}

/// Whether a line (already without its indentation) starts a statement:
/// a statement keyword followed by a space. Used to recover from an
/// unclosed bracket without swallowing the rest of the file.
fn starts_statement(line: &str) -> bool {
    let w = first_word(line);
    STATEMENT_KEYWORDS.contains(&w) && line[w.len()..].starts_with(|c: char| is_blank(c))
}

fn closer_of(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// The pre-pass: splits `src` into statements (tracking bracket depth,
/// comments and `=` chain lines) and reports bracket errors, which pest
/// would otherwise describe poorly (and, for deep nesting, recursively).
fn split(src: &str) -> (Vec<Chunk>, Vec<SyntaxError>) {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut errors = Vec::new();
    // Open brackets of the current statement: the character and its offset.
    let mut stack: Vec<(char, usize)> = Vec::new();
    // Built on the first mismatched bracket, for its line and column.
    let mut lines: Option<LineIndex> = None;
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        let this_start = line_start;
        line_start += line.len();
        let body = line.trim_end_matches('\n');
        let indent = body.len() - body.trim_start_matches(is_blank).len();
        let text = &body[indent..];
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let begin = this_start + indent;
        let continues_chain = text.starts_with('=');
        if !stack.is_empty() && !continues_chain && starts_statement(text) {
            // A bracket is still open but this line clearly starts a new
            // statement: report the opener and carry on from here.
            let (open, at) = *stack.last().expect("stack is not empty");
            if let Some(c) = chunks.last_mut() {
                if !c.failed {
                    errors.push(unclosed(open, at));
                }
                c.failed = true;
            }
            stack.clear();
        }
        if stack.is_empty() {
            let prev_is_claim = chunks
                .last()
                .is_some_and(|c| first_word(&src[c.start..c.end]) == "claim");
            if continues_chain && !prev_is_claim {
                errors.push(SyntaxError::ChainWithoutClaim {
                    at: Span::new(begin, begin + 1),
                    first: chunks.is_empty(),
                });
                // Keep it as its own (failed) chunk so its brackets are still tracked.
                chunks.push(Chunk {
                    start: begin,
                    end: begin,
                    failed: true,
                });
            } else if !continues_chain {
                chunks.push(Chunk {
                    start: begin,
                    end: begin,
                    failed: false,
                });
            }
        }
        let chunk = chunks.last_mut().expect("a chunk was started above");
        let mut content_end = begin;
        for (i, c) in text.char_indices() {
            let at = begin + i;
            match c {
                '#' => break,
                '(' | '[' | '{' => {
                    stack.push((c, at));
                    if stack.len() > MAX_NESTING && !chunk.failed {
                        chunk.failed = true;
                        errors.push(SyntaxError::NestingTooDeep {
                            at: Span::new(at, at + 1),
                        });
                    }
                }
                ')' | ']' | '}' => match stack.pop() {
                    None => {
                        if !chunk.failed {
                            chunk.failed = true;
                            errors.push(SyntaxError::UnmatchedCloser {
                                at: Span::new(at, at + 1),
                                closer: c,
                            });
                        }
                    }
                    Some((open, open_at)) if closer_of(open) != c => {
                        if !chunk.failed {
                            chunk.failed = true;
                            let lines = lines.get_or_insert_with(|| LineIndex::new(src));
                            let (line, col) = lines.line_col(src, open_at);
                            errors.push(SyntaxError::MismatchedCloser {
                                at: Span::new(at, at + 1),
                                closer: c,
                                opener: open,
                                line,
                                col,
                            });
                        }
                    }
                    Some(_) => {}
                },
                _ => {}
            }
            if !is_blank(c) {
                content_end = at + c.len_utf8();
            }
        }
        chunk.end = chunk.end.max(content_end);
    }
    if let Some(&(open, at)) = stack.last()
        && let Some(c) = chunks.last_mut()
    {
        if !c.failed {
            errors.push(unclosed(open, at));
        }
        c.failed = true;
    }
    (chunks, errors)
}

fn unclosed(open: char, at: usize) -> SyntaxError {
    SyntaxError::Unclosed {
        at: Span::new(at, at + open.len_utf8()),
        opener: open,
    }
}

/// Parses one statement with the rule its first word selects; returns the
/// statement's pair, its offset in the file and its span.
fn parse_chunk<'s>(
    src: &'s str,
    chunk: &Chunk,
) -> Result<(Pair<'s, Rule>, usize, Span), SyntaxError> {
    let text = &src[chunk.start..chunk.end];
    let word = first_word(text);
    if text.len() > MAX_STATEMENT_BYTES {
        let first = text.chars().next().map_or(0, char::len_utf8);
        let at = chunk.start + word.len().max(first);
        return Err(SyntaxError::StatementTooLong {
            at: Span::new(chunk.start, at),
            bytes: text.len(),
        });
    }
    let Some(k) = STATEMENT_KEYWORDS.iter().position(|k| *k == word) else {
        return Err(not_a_statement(text, chunk.start));
    };
    let rule = STATEMENT_RULES[k];
    let span = Span::new(chunk.start, chunk.end);
    match GradParser::parse(rule, text) {
        Ok(mut pairs) => {
            let pair = pairs.next().expect("a successful parse yields its rule");
            Ok((pair, chunk.start, span))
        }
        Err(e) => Err(lower::pest_error(&e, text, chunk.start)),
    }
}

fn not_a_statement(text: &str, offset: usize) -> SyntaxError {
    let word = first_word(text);
    let shown = if word.is_empty() {
        text.chars().next().map(String::from).unwrap_or_default()
    } else {
        word.to_string()
    };
    let span = Span::new(offset, offset + shown.len().max(1));
    let rest = text[word.len()..].trim_start_matches(is_blank);
    SyntaxError::NotAStatement {
        at: span,
        word: shown,
        assignment: !word.is_empty() && rest.starts_with('='),
    }
}

#[cfg(test)]
mod tests {
    use super::ast::*;
    use super::*;
    use num_bigint::BigInt;
    use num_rational::BigRational;
    use std::time::{Duration, Instant};

    fn stmts(src: &str) -> Vec<Stmt> {
        match parse(src) {
            Ok(f) => f.stmts,
            Err(es) => panic!("unexpected errors for {src:?}: {es:#?}"),
        }
    }

    /// The rendered errors (message, label and span) of a file that does not parse.
    fn errors(src: &str) -> Vec<crate::diagnostics::Diagnostic> {
        let es = parse(src).expect_err("expected a syntax error");
        es.into_iter().map(Into::into).collect()
    }

    /// The expression of a single `show` statement.
    fn show(e: &str) -> Expr {
        let mut s = stmts(&format!("show {e}"));
        assert_eq!(s.len(), 1);
        match s.remove(0).kind {
            StmtKind::Show(e) => e,
            k => panic!("not a show: {k:?}"),
        }
    }

    /// A compact, span-free rendering of an expression, so shape assertions
    /// read like the source.
    fn sexp(e: &Expr) -> String {
        match &e.node {
            ExprKind::Num(r) => r.to_string(),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Index { base, indices } => {
                format!("(idx {} {})", sexp(base), list(indices))
            }
            ExprKind::Call { func, prime, args } => {
                format!(
                    "({}{} {})",
                    func.node,
                    if *prime { "'" } else { "" },
                    list(args)
                )
            }
            ExprKind::Bound {
                kind,
                var,
                range,
                body,
            } => {
                let k = match kind {
                    BoundKind::Sum => "sum",
                    BoundKind::Prod => "prod",
                };
                let r = match range {
                    BoundRange::Idx => String::new(),
                    BoundRange::Ints { from, to, downto } => format!(
                        " {} {} {}",
                        sexp(from),
                        if *downto { "downto" } else { ".." },
                        sexp(to)
                    ),
                };
                format!("({k} {}{r} {})", var.node, sexp(body))
            }
            ExprKind::Neg(a) => format!("(neg {})", sexp(a)),
            ExprKind::Binary { op, lhs, rhs } => {
                let o = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Hadamard => ".*",
                    BinOp::HadDiv => "./",
                    BinOp::Div => "/",
                };
                format!("({o} {} {})", sexp(lhs), sexp(rhs))
            }
            ExprKind::Pow {
                base,
                exp,
                elementwise,
            } => format!(
                "({} {} {})",
                if *elementwise { ".^" } else { "^" },
                sexp(base),
                sexp(exp)
            ),
            ExprKind::Transpose(a) => format!("(T {})", sexp(a)),
            ExprKind::Vector(v) => format!("[{}]", list(v)),
            ExprKind::Stack(v) => format!("(stack {})", list(v)),
            ExprKind::Matrix(rows) => format!(
                "[{}]",
                rows.iter()
                    .map(|r| format!("[{}]", list(r)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            ExprKind::Indicator { lhs, op, rhs } => {
                format!("(1 {} {} {})", sexp(lhs), op.symbol(), sexp(rhs))
            }
        }
    }

    fn list(v: &[Expr]) -> String {
        v.iter().map(sexp).collect::<Vec<_>>().join(" ")
    }

    fn shape(e: &str) -> String {
        sexp(&show(e))
    }

    fn rat(n: i64, d: i64) -> BigRational {
        BigRational::new(BigInt::from(n), BigInt::from(d))
    }

    /// Runs `f` on a thread with the default 2 MB stack, within `limit`.
    const STACK: usize = 2 * 1024 * 1024;
    fn bounded<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
        let start = Instant::now();
        let out = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(f)
            .unwrap()
            .join()
            .expect("no stack overflow or panic");
        assert!(start.elapsed() < limit, "took {:?}", start.elapsed());
        out
    }

    // ------------------------------------------------------------ examples

    fn example(name: &str) -> Vec<Stmt> {
        let path = format!(
            "{}/../../shared/examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let path = if std::path::Path::new(&path).exists() {
            path
        } else {
            format!("/work/shared/examples/{name}")
        };
        stmts(&std::fs::read_to_string(path).expect("example file"))
    }

    fn kinds(s: &[Stmt]) -> String {
        s.iter()
            .map(|s| match &s.kind {
                StmtKind::Dim(_) => "dim",
                StmtKind::Var { .. } => "var",
                StmtKind::Assume { .. } => "assume",
                StmtKind::Let { .. } => "let",
                StmtKind::Fun { .. } => "fun",
                StmtKind::Idx { .. } => "idx",
                StmtKind::Derive(_) => "derive",
                StmtKind::Show(_) => "show",
                StmtKind::Claim(_) => "claim",
                StmtKind::Represent { .. } => "represent",
                StmtKind::Plot { .. } => "plot",
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn example_q1() {
        let s = example("q1_step_activation.grad");
        assert_eq!(
            kinds(&s),
            "var represent represent represent represent represent represent represent var assume let claim"
        );
        let StmtKind::Represent { target, activation } = &s[4].kind else {
            panic!()
        };
        assert_eq!(activation.node, "step");
        assert_eq!(
            sexp(target),
            "(- (* (1 0 <= x) (1 x < 2)) (* 3 (1 x >= 5)))"
        );
        let StmtKind::Let { form, value, .. } = &s[10].kind else {
            panic!()
        };
        assert!(matches!(form, LetForm::Function(p) if p.len() == 1));
        assert_eq!(
            sexp(value),
            "(+ (* (neg c) (step (- u b))) (* c (step (- u a))))"
        );
    }

    #[test]
    fn example_q2() {
        let s = example("q2_relu_xor.grad");
        assert_eq!(
            kinds(&s),
            "let let let let let claim claim claim claim claim"
        );
        let StmtKind::Let { value, .. } = &s[0].kind else {
            panic!()
        };
        assert_eq!(sexp(value), "[[1 1] [-1 -1]]");
        let StmtKind::Claim(c) = &s[9].kind else {
            panic!()
        };
        assert!(c.expect_refuted.is_some());
        assert_eq!(sexp(&c.first), "(* (T w2) (relu (* W1 [1 1])))");
    }

    #[test]
    fn example_q3() {
        let s = example("q3_backprop.grad");
        assert_eq!(s.len(), 23);
        let StmtKind::Derive(DeriveSpec::Wrt { f, wrt }) = &s[12].kind else {
            panic!("{:?}", s[12].kind)
        };
        assert_eq!(sexp(f), "J");
        assert_eq!(list(wrt), "b2 U b1 W");
        let StmtKind::Let { value, .. } = &s[14].kind else {
            panic!()
        };
        assert_eq!(sexp(value), "(.* (* (T U) delta1) (1 h > 0))");
    }

    #[test]
    fn example_softmax_chains() {
        let s = example("q3_softmax_derivation.grad");
        assert_eq!(s.len(), 11);
        let StmtKind::Claim(chain) = &s[9].kind else {
            panic!()
        };
        assert_eq!(chain.steps.len(), 4);
        assert_eq!(sexp(&chain.steps[3].rhs), "(- yhat y)");
        let StmtKind::Claim(wrong) = &s[10].kind else {
            panic!()
        };
        assert_eq!(wrong.steps.len(), 3);
        assert!(wrong.expect_refuted.is_some());
        assert_eq!(
            sexp(&wrong.steps[0].rhs),
            "(sum j (* (neg (/ (idx y j) (idx yhat j))) (d (idx yhat j) (idx z i))))"
        );
        assert_eq!(sexp(&wrong.steps[2].rhs), "(^ (idx yhat i) 2)");
    }

    #[test]
    fn example_rnn() {
        let s = example("rnn_bptt.grad");
        assert_eq!(s.len(), 18);
        let StmtKind::Var { items, .. } = &s[4].kind else {
            panic!()
        };
        assert!(matches!(&items[0].seq, Some(SeqIndex::At(n)) if n.node == BigInt::from(0)));
        let StmtKind::Let { form, guard, .. } = &s[8].kind else {
            panic!()
        };
        assert!(matches!(form, LetForm::Indexed(t) if t.node == "t"));
        let g = guard.as_ref().expect("a guard");
        assert_eq!((g.var.node.as_str(), g.op.node), ("t", CmpOp::Ge));
        let StmtKind::Claim(c) = &s[12].kind else {
            panic!()
        };
        assert_eq!(
            sexp(&c.steps[0].rhs),
            "(sum t 1 .. T (* (* (* (idx D (- t 1)) (prod k t .. (- T 1) (* (T U) (idx D k)))) (grad loss (idx h T))) (T (idx h (- t 1)))))"
        );
        let StmtKind::Claim(c) = &s[15].kind else {
            panic!()
        };
        assert_eq!(c.steps[0].rel.node, Rel::Cmp(CmpOp::Ge));
    }

    // ------------------------------------------------------------ expressions

    #[test]
    fn juxtaposition_index_and_subtraction() {
        assert_eq!(shape("W [1, 1]"), "(* W [1 1])");
        assert_eq!(shape("W[1, 1]"), "(idx W 1 1)");
        assert_eq!(shape("a - b"), "(- a b)");
        assert_eq!(shape("a -b"), "(- a b)");
        assert_eq!(shape("a * -b"), "(* a (neg b))");
        assert_eq!(shape("2 x^2"), "(* 2 (^ x 2))");
        assert_eq!(shape("-a^2"), "(neg (^ a 2))");
        assert_eq!(shape("a + b c - d / e"), "(- (+ a (* b c)) (/ d e))");
        assert_eq!(shape("x^T y"), "(* (T x) y)");
        assert_eq!(shape("d h^T"), "(* d (T h))");
        assert_eq!(shape("(-c) step(u - b)"), "(* (neg c) (step (- u b)))");
    }

    #[test]
    fn powers_and_transposes() {
        assert_eq!(shape("x^2^3"), "(^ x (^ 2 3))");
        assert_eq!(shape("A^-1"), "(^ A -1)");
        assert_eq!(shape("A^-T"), "(T (^ A -1))");
        assert_eq!(shape("A^-1^T"), "(T (^ A -1))");
        assert_eq!(shape("x^2'"), "(T (^ x 2))");
        assert_eq!(shape("x'^2"), "(^ (T x) 2)");
        assert_eq!(shape("Aᵀ B"), "(* (T A) B)");
        assert_eq!(shape("-x'"), "(neg (T x))");
        assert_eq!(shape("x^-a^2"), "(^ x (neg (^ a 2)))");
        assert_eq!(shape("x^(1/2)"), "(^ x (/ 1 2))");
        assert_eq!(shape("a .^ p"), "(.^ a p)");
        assert_eq!(shape("x^Tx"), "(^ x Tx)");
        assert_eq!(shape("x ^ T"), "(T x)");
    }

    /// The parse tree of `e` in a `show` after the declarations `decls`.
    fn shape_after(decls: &str, e: &str) -> String {
        let s = stmts(&format!("{decls}\nshow {e}"));
        match &s.last().expect("a statement").kind {
            StmtKind::Show(e) => sexp(e),
            k => panic!("not a show: {k:?}"),
        }
    }

    #[test]
    fn postfix_binds_to_the_bracket_after_a_juxtaposed_name() {
        // Not a function: a product, and the postfix belongs to the bracket.
        assert_eq!(shape("B (A)^T"), "(* B (T A))");
        assert_eq!(shape("B (A)ᵀ"), "(* B (T A))");
        assert_eq!(shape("B (A)'"), "(* B (T A))");
        assert_eq!(shape("v (a - b)^T"), "(* v (T (- a b)))");
        assert_eq!(shape("a (b + 1)^2"), "(* a (^ (+ b 1) 2))");
        assert_eq!(shape("a (b + 1)^-T"), "(* a (T (^ (+ b 1) -1)))");
        assert_eq!(shape("a (b)[i]^2"), "(* a (^ (idx b i) 2))");
        assert_eq!(shape("x^T B (A)^T y"), "(* (* (* (T x) B) (T A)) y)");
        assert_eq!(shape("-B (A)^2"), "(* (neg B) (^ A 2))");
        // The product keeps its place in the left-to-right product chain.
        assert_eq!(shape("c / B (A)"), "(* (/ c B) A)");
        assert_eq!(shape("2^B (A)"), "(* (^ 2 B) A)");
        // `A'(x)` with a non-function is Aᵀ times the bracket.
        assert_eq!(shape("A'(x + b)^T"), "(* (T A) (T (+ x b)))");
        // Written without a space, or with several arguments, it stays a
        // call (which `resolve` rejects for a non-function).
        assert_eq!(shape("W(x)^T"), "(T (W x))");
        assert_eq!(shape("W (x, y)"), "(W x y)");
        // Spans: the name, and the bracket with its parentheses.
        let e = show("B (A)^T");
        let ExprKind::Binary { lhs, rhs, .. } = &e.node else {
            panic!("{e:?}")
        };
        assert_eq!((lhs.span, rhs.span), (Span::new(5, 6), Span::new(7, 12)));
        let ExprKind::Transpose(inner) = &rhs.node else {
            panic!("{rhs:?}")
        };
        assert_eq!(inner.span, Span::new(7, 10));
    }

    #[test]
    fn a_function_name_before_a_bracket_is_a_call() {
        assert_eq!(shape("tanh (x)^2"), "(^ (tanh x) 2)");
        assert_eq!(shape("exp(s)^2"), "(^ (exp s) 2)");
        assert_eq!(shape("sum (a)^T"), "(T (sum a))");
        assert_eq!(shape("softplus (z)^2"), "(^ (softplus z) 2)");
        assert_eq!(shape("tanh'(z)^2"), "(^ (tanh' z) 2)");
        let decls = "let f(x: vec[2]) = 2 x\nfun g: elementwise\nfun L: vec[2] -> scalar";
        assert_eq!(shape_after(decls, "f (a)^T b"), "(* (T (f a)) b)");
        assert_eq!(shape_after(decls, "f(a)^T"), "(T (f a))");
        assert_eq!(shape_after(decls, "g (z)^2"), "(^ (g z) 2)");
        assert_eq!(shape_after(decls, "g'(z)^T"), "(T (g' z))");
        assert_eq!(shape_after(decls, "L (a)^2"), "(^ (L a) 2)");
        // A function declared after its use is still a function.
        assert_eq!(
            shape_after("show h (s)^2\nlet h(r: scalar) = r", "h (s)^2"),
            "(^ (h s) 2)"
        );
        // A plain `let` and an indexed `let` are values, not functions.
        let values = "let f = 2\nlet D[k] = 3";
        assert_eq!(shape_after(values, "f (a)^2"), "(* f (^ a 2))");
        assert_eq!(shape_after(values, "D (a)^2"), "(* D (^ a 2))");
    }

    /// Every statement's line comes from a table of line starts: loading a
    /// file of 20 000 statements is linear (it took 15 s when each line was
    /// found by rescanning the file from its start).
    #[test]
    fn twenty_thousand_statements_load_in_linear_time() {
        let mut src = String::from("var x: scalar\n");
        for i in 0..20_000 {
            src.push_str(&format!("let a{i} = 2 x + {i}\n"));
        }
        src.push_str("claim a7 = 2 x + 7\n");
        let start = Instant::now();
        let (_, prog) = crate::load("big.grad", src.as_bytes()).expect("loads");
        let took = start.elapsed();
        assert_eq!(prog.lets.len(), 20_000);
        assert_eq!(prog.work.last().map(|w| w.line), Some(20_002));
        assert!(took < Duration::from_secs(8), "took {took:?}");
    }

    #[test]
    fn precedence_table() {
        assert_eq!(shape("a - b - c"), "(- (- a b) c)");
        assert_eq!(shape("a / b / c"), "(/ (/ a b) c)");
        assert_eq!(shape("a / b c"), "(* (/ a b) c)");
        assert_eq!(shape("a b / c"), "(/ (* a b) c)");
        assert_eq!(shape("a .* b ./ c * d"), "(* (./ (.* a b) c) d)");
        assert_eq!(shape("-a b"), "(* (neg a) b)");
        assert_eq!(shape("-x^2"), "(neg (^ x 2))");
        assert_eq!(shape("-x^T"), "(neg (T x))");
        assert_eq!(shape("2^-1"), "(^ 2 -1)");
        assert_eq!(shape("x^T y"), "(* (T x) y)");
        assert_eq!(shape("d h^T"), "(* d (T h))");
        assert_eq!(shape("A^-T"), "(T (^ A -1))");
        assert_eq!(shape("x[i]^2"), "(^ (idx x i) 2)");
        assert_eq!(shape("x[i]^T"), "(T (idx x i))");
        assert_eq!(shape("f(x)^T"), "(T (f x))");
        assert_eq!(shape("1{h > 0}^T"), "(T (1 h > 0))");
        assert_eq!(shape("1{h > 0}^T d"), "(* (T (1 h > 0)) d)");
        assert_eq!(shape("A^T^T"), "(T (T A))");
        assert_eq!(shape("Aᵀᵀ"), "(T (T A))");
        assert_eq!(shape("A''"), "(T (T A))");
        assert_eq!(shape("W [1, 1]"), "(* W [1 1])");
        assert_eq!(shape("W[1, 1]"), "(idx W 1 1)");
        assert_eq!(shape("(W)[1, 1]"), "(idx W 1 1)");
        assert_eq!(shape("a .^ 2^T"), "(T (.^ a 2))");
        assert_eq!(shape("a + b .^ 2 c"), "(+ a (* (.^ b 2) c))");
    }

    #[test]
    fn unicode_aliases() {
        assert_eq!(shape("a ∘ b ⊙ c"), "(.* (.* a b) c)");
        assert_eq!(shape("a · b − c"), "(- (* a b) c)");
        assert_eq!(shape("−a"), "(neg a)");
        assert_eq!(shape("𝟙{x ≥ 0}"), "(1 x >= 0)");
        assert_eq!(shape("ŷ - y₁"), "(- ŷ y₁)");
        assert_eq!(shape("δ1 hᵀ"), "(* δ1 (T h))");
        // The inverse as the text output prints it.
        assert_eq!(shape("A⁻¹ b"), "(* (^ A -1) b)");
        assert_eq!(shape("A⁻ᵀ"), "(T (^ A -1))");
        assert_eq!(shape("(A B)⁻¹ᵀ"), "(T (^ (* A B) -1))");
        assert_eq!(shape("−A⁻¹"), "(neg (^ A -1))");
    }

    #[test]
    fn atoms() {
        assert_eq!(shape_after("fun g: elementwise", "g'(z)"), "(g' z)");
        assert_eq!(shape("A' B"), "(* (T A) B)");
        assert_eq!(shape("sum(v)"), "(sum v)");
        assert_eq!(shape("sum (v)"), "(sum v)");
        assert_eq!(shape("sum(j, y[j])"), "(sum j (idx y j))");
        assert_eq!(shape("max(a, b)"), "(max a b)");
        assert_eq!(shape("sum(t in 1..T, x[t])"), "(sum t 1 .. T (idx x t))");
        assert_eq!(
            shape("prod(k in T-1 downto 0, M[k])"),
            "(prod k (- T 1) downto 0 (idx M k))"
        );
        assert_eq!(shape("softmax(z)[o]"), "(idx (softmax z) o)");
        assert_eq!(shape("[[1, 2]]"), "[[1 2]]");
        assert_eq!(shape("[[1, 2] + x, y]"), "[(+ [1 2] x) y]");
        assert_eq!(shape("c 1{a <= x}"), "(* c (1 a <= x))");
        assert_eq!(shape("2x"), "(* 2 x)");
        let Expr { node, span } = show("0.5");
        assert_eq!((node, span), (ExprKind::Num(rat(1, 2)), Span::new(5, 8)));
        assert_eq!(show("12.25").node, ExprKind::Num(rat(49, 4)));
        assert_eq!(show("-3").node, ExprKind::Num(rat(-3, 1)));
    }

    #[test]
    fn spans_are_file_offsets() {
        let s = stmts("dim n\n\nshow  a + bb  # note\n");
        assert_eq!(s[1].span, Span::new(7, 19));
        let StmtKind::Show(e) = &s[1].kind else {
            panic!()
        };
        assert_eq!(e.span, Span::new(13, 19));
        let StmtKind::Show(e) = &stmts("show (a)").remove(0).kind else {
            panic!()
        };
        assert_eq!(e.span, Span::new(5, 8));
    }

    #[test]
    fn ranges_are_not_decimals() {
        assert_eq!(shape("sum(t in 1..3, t)"), "(sum t 1 .. 3 t)");
    }

    // ------------------------------------------------------------ statements

    #[test]
    fn declarations() {
        let s = stmts(
            "dim n, m\ndim T = 5\nvar a, b: scalar\nvar A: mat[n, 3] symmetric spd\n\
             fun L: vec[n] -> scalar\nfun g: elementwise\nidx i, j: k\nassume a <= b\n",
        );
        let StmtKind::Dim(d) = &s[1].kind else {
            panic!()
        };
        assert_eq!(d[0].name.node, "T");
        assert_eq!(d[0].value.as_ref().unwrap().node, BigInt::from(5));
        let StmtKind::Var { items, ty, attrs } = &s[3].kind else {
            panic!()
        };
        assert_eq!(items[0].name.node, "A");
        assert!(
            matches!(ty, TypeExpr::Mat(DimRef::Name(n), DimRef::Lit(c), _)
            if n.node == "n" && c.node == BigInt::from(3))
        );
        assert_eq!(
            attrs.iter().map(|a| a.node.as_str()).collect::<Vec<_>>(),
            ["symmetric", "spd"]
        );
        assert!(matches!(
            &s[4].kind,
            StmtKind::Fun {
                sig: FunSig::Map {
                    from: TypeExpr::Vec(..),
                    to: TypeExpr::Scalar(_)
                },
                ..
            }
        ));
        assert!(matches!(
            &s[5].kind,
            StmtKind::Fun {
                sig: FunSig::Elementwise,
                ..
            }
        ));
        let StmtKind::Idx { names, range } = &s[6].kind else {
            panic!()
        };
        assert_eq!(names.len(), 2);
        assert!(matches!(range, DimRef::Name(k) if k.node == "k"));
        assert!(matches!(&s[7].kind, StmtKind::Assume { op, .. } if op.node == CmpOp::Le));
    }

    #[test]
    fn derive_lists_and_claims() {
        let s = stmts(
            "derive jac(yhat, z2), grad(J, W)\nclaim q3_b2: grad(J, b2) = yhat - y\n\
             claim a <= b\nclaim x = 1 expect refuted\n",
        );
        assert!(matches!(&s[0].kind, StmtKind::Derive(DeriveSpec::Exprs(v)) if v.len() == 2));
        let StmtKind::Claim(c) = &s[1].kind else {
            panic!()
        };
        assert_eq!(c.name.as_ref().unwrap().node, "q3_b2");
        let StmtKind::Claim(c) = &s[2].kind else {
            panic!()
        };
        assert_eq!(c.steps[0].rel.node, Rel::Cmp(CmpOp::Le));
        let StmtKind::Claim(c) = &s[3].kind else {
            panic!()
        };
        assert_eq!(c.expect_refuted, Some(Span::new(94, 108)));
    }

    #[test]
    fn chains_continue_across_blank_and_comment_lines_and_crlf() {
        let src =
            "claim n: a\r\n\r\n  # why\r\n  = b  # step\r\n\r\n  = c expect refuted\r\nshow d\r\n";
        let s = stmts(src);
        assert_eq!(s.len(), 2);
        let StmtKind::Claim(c) = &s[0].kind else {
            panic!()
        };
        assert_eq!(c.steps.len(), 2);
        assert!(c.expect_refuted.is_some());
        assert_eq!(
            &src[s[0].span.start..s[0].span.end]
                .lines()
                .last()
                .unwrap()
                .trim(),
            &"= c expect refuted"
        );
        assert_eq!(sexp(&c.steps[1].rhs), "c");
    }

    #[test]
    fn brackets_continue_statements() {
        let s = stmts("let f(x: vec[2]) = max(\n  x, # first\n  1)\nshow [1,\n 2]\n");
        assert_eq!(s.len(), 2);
        assert_eq!(shape("max(\n a,\n b)"), "(max a b)");
    }

    #[test]
    fn keywords_are_not_names() {
        let s = stmts("let h[t] = g(z[t - 1])   for t >= 1\nrepresent 3 x + 1 with relu\n");
        assert!(matches!(&s[0].kind, StmtKind::Let { guard: Some(_), .. }));
        let e = errors("show wrt");
        assert_eq!(
            e[0].message,
            "unexpected keyword `wrt`: expected an expression (keywords cannot be names)"
        );
        let e = errors("show a b expect refuted");
        assert_eq!(
            e[0].message,
            "unexpected `expect`: expected an operator or the end of the statement (`expect refuted` can only end a `claim`)"
        );
        assert_eq!(e[0].span, Span::new(9, 15));
    }

    // ------------------------------------------------------------ keywords

    const GRAMMAR: &str = include_str!("../../grammar/gradproof.pest");

    /// The grammar's statement rules, in grammar order, as (rule, keyword
    /// rule it starts with), e.g. ("dim_stmt", "kw_dim").
    fn grammar_statements() -> Vec<(String, String)> {
        GRAMMAR
            .lines()
            .filter_map(|l| {
                let (rule, body) = l.split_once(" = ")?;
                let rule = rule.trim();
                let first = body.strip_prefix("{ SOI ~ ")?.split(' ').next()?;
                rule.ends_with("_stmt")
                    .then(|| (rule.to_string(), first.to_string()))
            })
            .collect()
    }

    /// The word a `kw_*` rule matches (`kw_dim = @{ "dim" ~ !ident_char }`).
    fn keyword_of(rule: &str) -> String {
        let line = GRAMMAR
            .lines()
            .find(|l| l.starts_with(&format!("{rule} = ")))
            .unwrap_or_else(|| panic!("no rule {rule}"));
        line.split('"').nth(1).expect("a quoted word").to_string()
    }

    #[test]
    fn statement_keywords_are_the_grammars() {
        let statements = grammar_statements();
        let words: Vec<String> = statements.iter().map(|(_, kw)| keyword_of(kw)).collect();
        assert_eq!(words, STATEMENT_KEYWORDS);
        for ((rule, kw), word) in statements.iter().zip(&words) {
            assert_eq!(rule, &format!("{word}_stmt"));
            assert_eq!(kw, &format!("kw_{word}"));
        }
        for (word, rule) in STATEMENT_KEYWORDS.iter().zip(STATEMENT_RULES) {
            assert_eq!(format!("{rule:?}"), format!("{word}_stmt"));
        }
    }

    #[test]
    fn reserved_words_are_the_grammars_keywords() {
        let line = GRAMMAR
            .lines()
            .find(|l| l.starts_with("keyword = "))
            .expect("a keyword rule");
        let words: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(words, RESERVED_WORDS);
        // Each is also a rule of its own that the statements use.
        for w in RESERVED_WORDS {
            assert_eq!(keyword_of(&format!("kw_{w}")), w);
        }
        assert_eq!(
            errors("show in")[0].message,
            "unexpected keyword `in`: expected an expression (keywords cannot be names)"
        );
    }

    #[test]
    fn every_statement_keyword_starts_a_statement() {
        let e = errors("shows x");
        assert_eq!(
            e[0].message,
            "`shows` does not start a statement: a statement begins with dim, var, assume, let, fun, idx, derive, show, claim, represent or plot"
        );
        for w in STATEMENT_KEYWORDS {
            // Each keyword selects its rule: the error is about what follows it.
            let e = errors(&format!("{w} ?"));
            assert!(
                !e[0].message.contains("does not start a statement"),
                "{w}: {}",
                e[0].message
            );
        }
    }

    // ------------------------------------------------------------ errors

    #[test]
    fn error_messages_name_the_problem() {
        let e = errors("let z1 =\n");
        assert_eq!(e[0].message, "expected an expression after `=`");
        assert_eq!(e[0].span, Span::new(8, 8));

        let e = errors("show 1{x}");
        assert_eq!(e[0].message, "`1{…}` needs a comparison such as `1{h > 0}`");
        assert_eq!(e[0].span, Span::new(5, 9));

        let e = errors("claim a = b expect holds");
        assert_eq!(
            e[0].message,
            "`expect` must be followed by `refuted` (`… expect refuted`)"
        );
        assert_eq!(e[0].span, Span::new(19, 24));

        let e = errors("= b\n");
        assert!(
            e[0].message.contains("no `claim` before it"),
            "{}",
            e[0].message
        );
        let e = errors("let a = 1\n= b\n");
        assert!(e[0].message.contains("is not a `claim`"));
        assert_eq!(e[0].span, Span::new(10, 11));

        let e = errors("show a + * b");
        assert_eq!(e[0].message, "unexpected `*`: expected an expression");
        assert_eq!(e[0].span, Span::new(9, 10));

        let e = errors("var x vec[n]");
        assert_eq!(e[0].message, "unexpected `vec`: expected `:` or `,`");

        let e = errors("x = 3");
        assert!(e[0].message.contains("write `let x = …`"));
        assert_eq!(e[0].span, Span::new(0, 1));

        let e = errors("claim a");
        assert!(e[0].message.starts_with("a claim needs a right side"));

        let e = errors("show [[1, 2], [3]]");
        assert_eq!(e[0].span, Span::new(14, 17));
        let e = errors("show 1{0 <= x < 2}");
        assert_eq!(e[0].span, Span::new(14, 15));
        let e = errors("show foo(t in 1..2, x)");
        assert!(e[0].message.starts_with("only `sum` and `prod`"));
    }

    #[test]
    fn bracket_errors_point_at_the_bracket() {
        let e = errors("show f(x\nlet a = 2\nshow (a]\nshow a)\n");
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].message.as_str(), e[0].span),
            ("unclosed `(`: add `)` to close it", Span::new(6, 7))
        );
        assert_eq!(e[1].span, Span::new(26, 27));
        assert!(
            e[1].message
                .starts_with("`]` does not match the `(` opened at line 3, column 6")
        );
        assert_eq!(
            e[2].message,
            "unmatched `)`: there is no opening bracket before it"
        );
        assert_eq!(e[2].span, Span::new(34, 35));
        let e = errors("show [1, 2");
        assert_eq!(e[0].span, Span::new(5, 6));
    }

    #[test]
    fn error_spans_stay_on_char_boundaries() {
        let long = "é".repeat(40);
        let src = format!("show a {long}é? b\n∘∘ x\n");
        for e in errors(&src) {
            assert!(src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end));
        }
        let e = errors(&format!("show a ? {long}"));
        assert_eq!(e[0].span, Span::new(7, 8));
        let e = errors(&format!("show a b {long} ?"));
        assert_eq!(e[0].span, Span::new(90, 91));
        let e = errors(&format!("∘{}", "x".repeat(MAX_STATEMENT_BYTES)));
        assert_eq!(e[0].span, Span::new(0, 3));
        assert_eq!(shape("in_x + index"), "(+ in_x index)");
    }

    #[test]
    fn every_failing_statement_is_reported() {
        let e = errors("show +\nshow a\nlet = 3\nshow 1{x}\n");
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].span.start, 5);
        assert_eq!(e[1].span.start, 18);
        assert_eq!(e[2].span.start, 27);
    }

    // ------------------------------------------------------------ hostile input

    #[test]
    fn deep_parentheses_are_rejected_before_pest() {
        let e = bounded(Duration::from_secs(1), || {
            let src = format!("show {}x{}", "(".repeat(100_000), ")".repeat(100_000));
            errors(&src)
        });
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].span, Span::new(5 + MAX_NESTING, 6 + MAX_NESTING));
        assert!(e[0].message.contains("deeper than 64 levels"));
    }

    #[test]
    fn nesting_at_the_limit_parses() {
        let d = bounded(Duration::from_secs(5), || {
            let src = format!(
                "show {}x{}",
                "f(-[".repeat(MAX_NESTING / 2 - 1),
                "]^T)".repeat(MAX_NESTING / 2 - 1)
            );
            assert!(parse(&src).is_ok());
            // Every kind of bracket pest recurses through, at full depth.
            for (open, close) in [
                ("x[", "]"),
                ("1{x < ", "}"),
                ("sum(t in 1..2, ", ")"),
                ("g'(", ")"),
                ("[[", "]]"),
                ("softmax(x)[", "]"),
            ] {
                let n = MAX_NESTING / open.matches(['(', '[', '{']).count();
                let src = format!("show {}x{}", open.repeat(n), close.repeat(n));
                assert!(parse(&src).is_ok(), "{open} {:?}", parse(&src));
            }
            let src = format!(
                "show {}x{}",
                "(".repeat(MAX_NESTING),
                ")".repeat(MAX_NESTING)
            );
            parse(&src).map(|f| f.stmts.len())
        });
        assert_eq!(d, Ok(1));
    }

    #[test]
    fn many_unary_minus_signs() {
        let e = bounded(Duration::from_secs(1), || {
            errors(&format!("show {}x", "-".repeat(100_000)))
        });
        assert!(
            e[0].message
                .contains("more than 256 minus signs and powers")
        );
        let e = bounded(Duration::from_secs(1), || {
            errors(&format!("show {}x", "- ".repeat(5000)))
        });
        assert!(
            e[0].message
                .contains("more than 256 minus signs and powers")
        );
        assert_eq!(e[0].span, Span::new(5, 10_006));
        assert_eq!(shape(&format!("{}x", "-".repeat(3))), "(neg (neg (neg x)))");
    }

    #[test]
    fn huge_sum_and_long_line() {
        // A generated 200,000-term sum is valid input: it parses in linear
        // time into a balanced tree, not a chain 200,000 deep.
        let sum = bounded(Duration::from_secs(2), || {
            let e = show(&format!("x{}", " - x + x".repeat(100_000)));
            (depth(&e), value_of_xs(&e))
        });
        assert!(sum.0 <= 20, "depth {}", sum.0);
        // x − x + x − x + … keeps its value: 1 (one x) after the balancing.
        assert_eq!(sum.1, 1);
        let long = MAX_STATEMENT_BYTES + 1;
        let e = bounded(Duration::from_secs(2), move || {
            errors(&format!("show {} +\nshow +", "a".repeat(long)))
        });
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].span, Span::new(0, 4));
        assert_eq!(
            e[0].message,
            format!(
                "this statement is {} bytes long, more than the {MAX_STATEMENT_BYTES} allowed; split it into named parts with `let`",
                long + 7
            )
        );
        assert_eq!(e[1].message, "unexpected `+`: expected an expression");
        // Nested powers are still bounded: the parser recurses for each.
        let e = bounded(Duration::from_secs(1), || {
            errors(&format!("show {}", "x^".repeat(300) + "x"))
        });
        assert!(
            e[0].message
                .contains("more than 256 minus signs and powers")
        );
    }

    /// The coefficient of `x` in a tree of `x`s joined by `+` and `-`.
    fn value_of_xs(e: &Expr) -> i64 {
        let mut total = 0;
        let mut todo = vec![(e, 1)];
        while let Some((e, sign)) = todo.pop() {
            match &e.node {
                ExprKind::Binary { op, lhs, rhs } => {
                    todo.push((lhs, sign));
                    todo.push((rhs, if *op == BinOp::Sub { -sign } else { sign }));
                }
                _ => total += sign,
            }
        }
        total
    }

    #[test]
    fn depth_stays_bounded_across_brackets() {
        // 15 bracket levels of 150-operator chains would make a tree of
        // depth 2250; the lowering stops at MAX_EXPR_DEPTH instead.
        let e = bounded(Duration::from_secs(2), || {
            let chain = " * x".repeat(150);
            let src = format!("show {}x{}", "(".repeat(15), format!("){chain}").repeat(15));
            errors(&src)
        });
        assert!(
            e[0].message.contains("nested more than 512 levels"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn operator_chains_at_the_limit_parse() {
        let depth = bounded(Duration::from_secs(1), || {
            let neg = show(&format!("{}x", "-".repeat(256)));
            let pow = show(&format!("x{}", "^x".repeat(256)));
            let sum = show(&format!("x{}", " + x".repeat(256)));
            [depth(&neg), depth(&pow), depth(&sum)]
        });
        assert_eq!(depth[..2], [257, 257]);
        assert!(
            depth[2] <= 12,
            "a 257-term sum is balanced: depth {}",
            depth[2]
        );
    }

    /// Tree depth, iteratively (the point is not to trust recursion).
    fn depth(e: &Expr) -> usize {
        let mut max = 0;
        let mut todo = vec![(e, 1)];
        while let Some((e, d)) = todo.pop() {
            max = max.max(d);
            match &e.node {
                ExprKind::Neg(a) | ExprKind::Transpose(a) => todo.push((a, d + 1)),
                ExprKind::Binary { lhs, rhs, .. } => {
                    todo.push((lhs, d + 1));
                    todo.push((rhs, d + 1));
                }
                ExprKind::Pow { base, exp, .. } => {
                    todo.push((base, d + 1));
                    todo.push((exp, d + 1));
                }
                _ => {}
            }
        }
        max
    }

    #[test]
    fn thousand_digit_number() {
        let digits = "7".repeat(1000);
        let e = show(&digits);
        let ExprKind::Num(r) = e.node else { panic!() };
        assert_eq!(r.numer().to_string(), digits);
    }
}
