//! Text → AST: splits a file into logical statements, parses each with the
//! pest grammar in `grammar/gradproof.pest`, and lowers the parse tree to
//! [`ast`] in `lower`. Owns every syntax error and the bounds that keep
//! hostile input (deep nesting, huge operator chains) from overflowing the
//! stack here or in later passes.

pub mod ast;
mod lower;

use crate::span::Span;
use pest::Parser as _;

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

/// A syntax error: what went wrong and where. `message` says what to do, e.g.
/// "expected an expression after `=`", "unclosed `(`", "`1{…}` needs a comparison such as `1{h > 0}`".
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub label: String,
}

impl SyntaxError {
    pub(crate) fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        SyntaxError {
            span,
            message: message.into(),
            label: label.into(),
        }
    }
}

/// Parses a whole file (already valid UTF-8). Returns all statements or the errors found
/// (report every statement that fails, not only the first: statements are independent).
pub fn parse(src: &str) -> Result<ast::File, Vec<SyntaxError>> {
    let (chunks, mut errors) = split(src);
    let mut stmts = Vec::new();
    for chunk in chunks.iter().filter(|c| !c.failed) {
        match parse_chunk(src, chunk) {
            Ok(stmt) => stmts.push(stmt),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ast::File { stmts })
    } else {
        errors.sort_by_key(|e| (e.span.start, e.span.end));
        Err(errors)
    }
}

/// The words that start a statement, in the order the docs list them.
const STATEMENT_KEYWORDS: [&str; 10] = [
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
                let span = Span::new(begin, begin + 1);
                let message = if chunks.is_empty() {
                    "a line starting with `=` continues a claim chain, but there is no `claim` before it"
                } else {
                    "a line starting with `=` continues a claim chain, but the statement before it is not a `claim`"
                };
                errors.push(SyntaxError::new(span, message, "no `claim` to continue"));
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
                        errors.push(SyntaxError::new(
                            Span::new(at, at + 1),
                            format!(
                                "brackets nest deeper than {MAX_NESTING} levels; name inner parts with `let`"
                            ),
                            format!("nesting deeper than {MAX_NESTING} levels"),
                        ));
                    }
                }
                ')' | ']' | '}' => match stack.pop() {
                    None => {
                        if !chunk.failed {
                            chunk.failed = true;
                            errors.push(SyntaxError::new(
                                Span::new(at, at + 1),
                                format!("unmatched `{c}`: there is no opening bracket before it"),
                                "unmatched",
                            ));
                        }
                    }
                    Some((open, open_at)) if closer_of(open) != c => {
                        if !chunk.failed {
                            chunk.failed = true;
                            let (line, col) = Span::new(open_at, open_at).line_col(src);
                            errors.push(SyntaxError::new(
                                Span::new(at, at + 1),
                                format!(
                                    "`{c}` does not match the `{open}` opened at line {line}, column {col}; expected `{}`",
                                    closer_of(open)
                                ),
                                format!("expected `{}`", closer_of(open)),
                            ));
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
    if let Some(&(open, at)) = stack.last() {
        if let Some(c) = chunks.last_mut() {
            if !c.failed {
                errors.push(unclosed(open, at));
            }
            c.failed = true;
        }
    }
    (chunks, errors)
}

fn unclosed(open: char, at: usize) -> SyntaxError {
    SyntaxError::new(
        Span::new(at, at + open.len_utf8()),
        format!("unclosed `{open}`: add `{}` to close it", closer_of(open)),
        "opened here and never closed",
    )
}

/// Parses one statement with the rule its first word selects.
fn parse_chunk(src: &str, chunk: &Chunk) -> Result<ast::Stmt, SyntaxError> {
    let text = &src[chunk.start..chunk.end];
    let word = first_word(text);
    let rule = match word {
        "dim" => Rule::dim_stmt,
        "var" => Rule::var_stmt,
        "assume" => Rule::assume_stmt,
        "let" => Rule::let_stmt,
        "fun" => Rule::fun_stmt,
        "idx" => Rule::idx_stmt,
        "derive" => Rule::derive_stmt,
        "show" => Rule::show_stmt,
        "claim" => Rule::claim_stmt,
        "represent" => Rule::represent_stmt,
        _ => return Err(not_a_statement(text, chunk.start)),
    };
    let span = Span::new(chunk.start, chunk.end);
    match GradParser::parse(rule, text) {
        Ok(mut pairs) => {
            let pair = pairs.next().expect("a successful parse yields its rule");
            lower::statement(pair, chunk.start, span)
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
    let hint = if !word.is_empty() && rest.starts_with('=') {
        format!("; to define `{word}` write `let {word} = …`")
    } else {
        String::new()
    };
    SyntaxError::new(
        span,
        format!(
            "`{}` does not start a statement: a statement begins with {}{hint}",
            lower::clip(&shown),
            "dim, var, assume, let, fun, idx, derive, show, claim or represent"
        ),
        "expected a statement keyword",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke() {
        let f = parse("dim n\nvar x: vec[n]\nshow x^T x\n").unwrap();
        assert_eq!(f.stmts.len(), 3);
    }
}

#[cfg(test)]
mod scratch {
    #[test]
    fn scratch() {
        let path = std::env::var("GP_SCRATCH").unwrap_or_default();
        if path.is_empty() {
            return;
        }
        let src = std::fs::read_to_string(path).unwrap();
        match super::parse(&src) {
            Ok(f) => {
                for s in f.stmts {
                    println!("{:?}\n", s.kind);
                }
            }
            Err(es) => {
                for e in es {
                    println!(
                        "{:?} {:?} | {} | {}",
                        e.span,
                        &src[e.span.start..e.span.end.min(src.len())],
                        e.message,
                        e.label
                    );
                }
            }
        }
    }
}
