//! gradproof derives and verifies the gradient formulas of machine-learning
//! lectures.
//!
//! The pipeline, one module per stage, data flowing one way:
//! text ─[`syntax`]→ AST ─[`resolve`]→ typed [`ir::Program`] ─[`derive`]→
//! derivative expressions ─[`simplify`] (egg)→ lecture-form results
//! ─[`eval`] (f64 | exact)→ numbers ─[`check`]→ verdicts ─[`render`]→ text | LaTeX | JSON.
//! [`represent`] answers Question 1 with an exact 1-D procedure, [`plot`]
//! evaluates an expression over a range of lengths and draws it as SVG, and
//! [`diagnostics`] turns every stage's error into a source report.

pub mod builtins;
pub mod check;
pub mod derive;
pub mod diagnostics;
pub mod eval;
pub mod export;
pub mod ir;
pub mod lecture;
pub mod plot;
pub mod render;
pub mod represent;
pub mod resolve;
pub mod simplify;
pub mod span;
pub mod syntax;

use diagnostics::Diagnostic;

/// Reads a file's bytes into a resolved program: UTF-8 check (invalid UTF-8
/// is a diagnostic at the first bad byte) → parse → resolve. On success
/// returns the source text (the spans in the program index into it). On
/// failure, render the diagnostics against `String::from_utf8_lossy(bytes)`,
/// which agrees with the source text up to the first invalid byte.
pub fn load(file_name: &str, bytes: &[u8]) -> Result<(String, ir::Program), Vec<Diagnostic>> {
    let src = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => {
            let at = e.valid_up_to();
            return Err(vec![Diagnostic {
                span: span::Span::new(at, at + 1),
                message: format!("{file_name} is not valid UTF-8 text"),
                label: format!("invalid byte 0x{:02X} here", bytes[at]),
                notes: Vec::new(),
            }]);
        }
    };
    // Parsing and resolving recurse once per nesting level, and so does
    // dropping the syntax tree: give both a large stack.
    let result = resolve::on_big_stack(|| {
        let file = syntax::parse(&src)
            .map_err(|es| es.into_iter().map(Diagnostic::from).collect::<Vec<_>>())?;
        resolve::resolve(&file, &src)
            .map_err(|es| es.into_iter().map(Diagnostic::from).collect::<Vec<_>>())
    });
    result.map(|prog| (src, prog))
}
