//! gradproof derives and verifies the gradient formulas of machine-learning
//! lectures.
//!
//! The pipeline, one module per stage, data flowing one way (a stage uses
//! only earlier ones; `tests/architecture.rs` keeps it so):
//! text ─[`syntax`]→ AST ─[`resolve`]→ typed [`ir::Program`] ─[`derive`](mod@derive)→
//! derivative expressions ─[`simplify`] (egg)→ lecture-form terms
//! ─[`lecture`]→ backward passes ─[`eval`] (f64 | exact | ball)→ numbers
//! ─[`check`]→ verdicts ─[`render`]→ text | LaTeX | JSON, and [`export`]
//! writes a backward pass as NumPy code.
//!
//! - [`span`] and [`builtins`] (the names of the built-in functions) are
//!   shared by every stage.
//! - [`ir`] is the typed program; [`ir::build`] holds the smart
//!   constructors every stage builds expressions with, [`ir::unroll`]
//!   substitution and unrolling (a fixed length, a concrete sum, a sequence
//!   element's definition).
//! - [`derive`](mod@derive) differentiates: reverse mode for gradients, forward mode for
//!   Jacobians, no simplification.
//! - [`simplify`] runs egg with sound rules: lecture-form terms and proofs,
//!   returned as data (terms, rule names, [`simplify::Fact`]s), never text.
//! - [`lecture`] writes a `derive` statement's backward pass as a lecture
//!   does (δ1, δ2, …, in print order), simplifying within the user's budget.
//! - [`represent`] answers Question 1 with an exact 1-D procedure, [`plot`]
//!   draws the values that [`check`] computed over a range of lengths as SVG, and
//!   [`diagnostics`] turns every stage's error into a source report.
//!
//! Where a change goes: a new elementwise built-in is one row of
//! [`ir::vocab`] (spelling, parameters, facts, value, derivatives, LaTeX and
//! NumPy) and its tests; another new built-in function is named in
//! [`builtins`], typed in `resolve`, differentiated in
//! [`derive`](mod@derive) (a rule in `reverse.rs` and one in `forward.rs`),
//! converted in `simplify/lang.rs`, evaluated in [`eval`] and printed in
//! `render/expr.rs`; a new rewrite rule
//! is one line in `simplify/rules.rs` (with its fact in `fact_text` when it
//! has a condition); how a backward pass is named and ordered is [`lecture`].

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

pub use diagnostics::InputError;

/// Reads a file's bytes into a resolved program: UTF-8 check (invalid UTF-8
/// is a diagnostic at the first bad byte) → parse → resolve. On success
/// returns the source text (the spans in the program index into it). On
/// failure, render the diagnostics against `String::from_utf8_lossy(bytes)`,
/// which agrees with the source text up to the first invalid byte.
pub fn load(file_name: &str, bytes: &[u8]) -> Result<(String, ir::Program), Vec<Diagnostic>> {
    load_typed(file_name, bytes).map_err(|es| es.into_iter().map(Diagnostic::from).collect())
}

/// [`load`] with the errors as data.
pub fn load_typed(file_name: &str, bytes: &[u8]) -> Result<(String, ir::Program), Vec<InputError>> {
    let loaded = load_partial(file_name, bytes);
    if loaded.errors.is_empty() {
        Ok((loaded.src, loaded.program))
    } else {
        Err(loaded.errors)
    }
}

/// A file read statement by statement: the program of the statements that
/// are well-formed and depend on nothing that is not, and every input error
/// once, in source order (an error stops only what depends on it).
pub struct Loaded {
    /// The source text the program's and the errors' spans index into
    /// (after invalid UTF-8, `String::from_utf8_lossy` of the bytes).
    pub src: String,
    pub program: ir::Program,
    pub errors: Vec<InputError>,
}

impl Loaded {
    /// The errors as reports to render against [`Loaded::src`].
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.errors.iter().cloned().map(Diagnostic::from).collect()
    }
}

/// Reads a file's bytes statement by statement (see [`Loaded`]). Invalid
/// UTF-8 is one error at the first bad byte and an empty program.
pub fn load_partial(file_name: &str, bytes: &[u8]) -> Loaded {
    let src = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => {
            let at = e.valid_up_to();
            return Loaded {
                src: String::from_utf8_lossy(bytes).into_owned(),
                program: ir::Program::default(),
                errors: vec![InputError::Syntax(syntax::SyntaxError::InvalidUtf8 {
                    at: span::Span::new(at, at + 1),
                    file: file_name.to_string(),
                    byte: bytes[at],
                })],
            };
        }
    };
    // Parsing and resolving recurse once per nesting level, and so does
    // dropping the syntax tree: give both a large stack.
    let (program, errors) = resolve::on_big_stack(|| {
        let parsed = syntax::parse_partial(&src);
        let (program, resolve_errors) =
            resolve::resolve_partial(&parsed.file, &src, &parsed.undeclared);
        let mut errors: Vec<InputError> =
            parsed.errors.into_iter().map(InputError::Syntax).collect();
        errors.extend(resolve_errors.into_iter().map(InputError::Resolve));
        errors.sort_by_key(|e| (e.span().start, e.span().end));
        (program, errors)
    });
    Loaded {
        src,
        program,
        errors,
    }
}
