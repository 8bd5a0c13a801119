//! Text → AST: the pest grammar in `grammar/gradproof.pest` and its lowering.

pub mod ast;
