//! gradproof derives and verifies the gradient formulas of machine-learning
//! lectures.
//!
//! The pipeline, one module per stage, data flowing one way:
//! text ─[`syntax`]→ AST ─[`resolve`]→ typed [`ir::Program`] ─[`derive`]→
//! derivative expressions ─[`simplify`] (egg)→ lecture-form results
//! ─[`eval`] (f64 | exact)→ numbers ─[`check`]→ verdicts ─[`render`]→ text | LaTeX | JSON.
//! [`represent`] answers Question 1 with an exact 1-D procedure, and
//! [`diagnostics`] turns every stage's error into a source report.

pub mod ir;
pub mod represent;
pub mod span;
pub mod syntax;
