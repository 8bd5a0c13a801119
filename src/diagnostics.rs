//! Every stage's input errors as one [`Diagnostic`] type, and the only place
//! that knows the report renderer (ariadne): `error: MESSAGE`, the location
//! `FILE:LINE:COL`, the source line with the offending text underlined.

use crate::resolve::ResolveError;
use crate::span::Span;
use crate::syntax::SyntaxError;
use ariadne::{CharSet, Config, IndexType, Label, Report, ReportKind, Source};

/// One error of any stage, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub label: String,
    /// Secondary spans with their own labels (e.g. an earlier declaration).
    pub notes: Vec<(Span, String)>,
}

impl From<SyntaxError> for Diagnostic {
    fn from(e: SyntaxError) -> Self {
        Diagnostic {
            span: e.span,
            message: e.message,
            label: e.label,
            notes: Vec::new(),
        }
    }
}

impl From<ResolveError> for Diagnostic {
    fn from(e: ResolveError) -> Self {
        Diagnostic {
            span: e.span,
            message: e.message,
            label: e.label,
            notes: e.notes,
        }
    }
}

/// Renders the diagnostics of one file like a compiler does, one report
/// after another, without colour. Spans are byte offsets into `src`; spans
/// that do not fall on character boundaries (e.g. an invalid UTF-8 byte in
/// a lossily decoded text) are widened to the enclosing characters.
pub fn render(file_name: &str, src: &str, diags: &[Diagnostic]) -> String {
    let config = Config::default()
        .with_color(false)
        .with_index_type(IndexType::Byte)
        .with_char_set(CharSet::Ascii);
    let mut out = String::new();
    for d in diags {
        let span = widen(src, d.span);
        let mut label = Label::new((file_name, span.clone()));
        if !d.label.is_empty() {
            label = label.with_message(&d.label);
        }
        let mut report = Report::build(ReportKind::Error, (file_name, span))
            .with_config(config)
            .with_message(&d.message)
            .with_label(label);
        for (s, note) in &d.notes {
            report = report.with_label(Label::new((file_name, widen(src, *s))).with_message(note));
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
        // setting, so the built-in kind is renamed instead).
        let text = String::from_utf8_lossy(&buf);
        out.push_str("error");
        out.push_str(text.strip_prefix("Error").unwrap_or(&text));
    }
    out
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
