//! Every stage's input errors as one [`Diagnostic`] type, and the only place
//! that knows the report renderer (ariadne): `error: MESSAGE`, the location
//! `FILE:LINE:COL`, the source line with the offending text underlined.

use crate::resolve::ResolveError;
use crate::span::Span;
use crate::syntax::SyntaxError;
use ariadne::{CharSet, Color, Config, IndexType, Label, Report, ReportKind, Source};

mod resolve;
mod syntax;

/// One error of any stage, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub label: String,
    /// Secondary spans with their own labels (e.g. an earlier declaration).
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            label: label.into(),
            notes: Vec::new(),
        }
    }

    fn note(mut self, span: Span, note: impl Into<String>) -> Self {
        self.notes.push((span, note.into()));
        self
    }
}

/// "a, b or c" for the alternatives a parser expected.
fn alternatives(expected: &[&str]) -> String {
    match expected {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn closer_of(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// An input error of the stages before derivation, as data (render it with
/// `Diagnostic::from`).
#[derive(Debug, Clone, PartialEq)]
pub enum InputError {
    Syntax(SyntaxError),
    Resolve(ResolveError),
}

impl InputError {
    /// The offending text.
    pub fn span(&self) -> Span {
        match self {
            InputError::Syntax(e) => e.span(),
            InputError::Resolve(e) => e.span(),
        }
    }
}

impl From<InputError> for Diagnostic {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Syntax(e) => e.into(),
            InputError::Resolve(e) => e.into(),
        }
    }
}

/// Renders the diagnostics of one file like a compiler does, one report
/// after another, without colour. Spans are byte offsets into `src`; spans
/// that do not fall on character boundaries (e.g. an invalid UTF-8 byte in
/// a lossily decoded text) are widened to the enclosing characters.
pub fn render(file_name: &str, src: &str, diags: &[Diagnostic]) -> String {
    render_with(file_name, src, diags, false, usize::MAX)
}

/// More input errors than this in one file, and it is probably not a
/// `.grad` file at all: the command line shows this many and stops.
pub const MAX_SHOWN_ERRORS: usize = 5;

/// Like [`render`], with ANSI colour when `color` is set, and at most
/// `limit` reports: past that, one line
/// `FILE: stopped after N errors; is this a .grad file?`.
pub fn render_with(
    file_name: &str,
    src: &str,
    diags: &[Diagnostic],
    color: bool,
    limit: usize,
) -> String {
    let long_lines = src.split('\n').any(|l| l.len() > MAX_SHOWN_LINE);
    let mut out = String::new();
    for d in diags.iter().take(limit) {
        if long_lines {
            out.push_str(&render_excerpt(file_name, src, d, color));
        } else {
            out.push_str(&render_one(file_name, src, d, color));
        }
    }
    if diags.len() > limit {
        out.push_str(&format!(
            "{file_name}: stopped after {limit} errors; is this a .grad file?\n"
        ));
    }
    out
}

fn render_one(file_name: &str, src: &str, d: &Diagnostic, color: bool) -> String {
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte)
        .with_char_set(CharSet::Ascii);
    let span = widen(src, d.span);
    let mut label = Label::new((file_name, span.clone()));
    if !d.label.is_empty() {
        label = label.with_message(&d.label);
    }
    if color {
        label = label.with_color(Color::Red);
    }
    let mut report = Report::build(ReportKind::Error, (file_name, span))
        .with_config(config)
        .with_message(&d.message)
        .with_label(label);
    for (s, note) in &d.notes {
        let mut label = Label::new((file_name, widen(src, *s))).with_message(note);
        if color {
            label = label.with_color(Color::Blue);
        }
        report = report.with_label(label);
    }
    let mut buf = Vec::new();
    if report
        .finish()
        .write((file_name, Source::from(src)), &mut buf)
        .is_err()
    {
        // Writing to a Vec cannot fail; keep at least the message.
        buf = format!("Error: {}\n", d.message).into_bytes();
    }
    // Compiler style `error:` (ariadne's custom kinds ignore the colour
    // setting, so the built-in kind is renamed instead; with colour it
    // follows an escape sequence).
    let text = String::from_utf8_lossy(&buf);
    text.replacen("Error:", "error:", 1)
}

/// Source lines longer than this are shown as a window around the error.
const MAX_SHOWN_LINE: usize = 200;

/// A diagnostic in a file with very long lines (a megabyte of one
/// statement): each long line is cut to a window around the offending text
/// so the report stays readable, and the location in the header is the one
/// in the real file.
fn render_excerpt(file_name: &str, src: &str, d: &Diagnostic, color: bool) -> String {
    // (start, end) of a kept window in `src`, and where it begins in the excerpt.
    let mut windows: Vec<(usize, usize, usize)> = Vec::new();
    let mut text = String::new();
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let line_end = line_start + body.len();
        let (ws, we) = if body.len() <= MAX_SHOWN_LINE {
            (line_start, line_end)
        } else {
            let focus = if (line_start..=line_end).contains(&d.span.start) {
                d.span.start
            } else {
                line_start
            };
            let ws =
                crate::span::floor_char_boundary(src, focus.saturating_sub(60).max(line_start));
            let we = crate::span::floor_char_boundary(src, (ws + 160).min(line_end));
            (ws, we)
        };
        if ws > line_start {
            text.push_str("...");
        }
        windows.push((ws, we, text.len()));
        text.push_str(&src[ws..we]);
        if we < line_end {
            text.push_str("...");
        }
        if line.ends_with('\n') {
            text.push('\n');
        }
        line_start += line.len();
    }
    let map = |off: usize| -> usize {
        let k = windows.partition_point(|w| w.0 <= off).saturating_sub(1);
        windows
            .get(k)
            .map_or(0, |&(ws, we, at)| at + off.clamp(ws, we) - ws)
    };
    let span_of = |s: Span| Span::new(map(s.start), map(s.end.max(s.start)));
    let shown = Diagnostic {
        span: span_of(d.span),
        message: d.message.clone(),
        label: d.label.clone(),
        notes: d
            .notes
            .iter()
            .map(|(s, n)| (span_of(*s), n.clone()))
            .collect(),
    };
    let report = render_one(file_name, &text, &shown, color);
    let (sl, sc) = shown.span.line_col(&text);
    let (rl, rc) = d.span.line_col(src);
    report.replacen(
        &format!("{file_name}:{sl}:{sc} ]"),
        &format!("{file_name}:{rl}:{rc} ]"),
        1,
    )
}

/// A non-empty byte range on character boundaries inside `src` (empty only
/// for an empty file or a span at its very end).
fn widen(src: &str, span: Span) -> std::ops::Range<usize> {
    let len = src.len();
    let mut start = span.start.min(len);
    while start > 0 && !src.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, len);
    while end < len && !src.is_char_boundary(end) {
        end += 1;
    }
    if end == start && start < len {
        end = start + src[start..].chars().next().map_or(1, char::len_utf8);
    }
    start..end
}
