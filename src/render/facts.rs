//! The side conditions a proof relied on ([`crate::simplify::Fact`]) as text.

use super::expr::{Printer, Style};
use crate::ir::Program;
use crate::simplify::{Fact, rules};
use std::collections::BTreeSet;

/// Each fact as a sentence (`sum(y) = 1 (onehot, simplex or softmax)`), its
/// term printed as the user writes it; sorted, each sentence once.
pub fn fact_texts(prog: &Program, facts: &[Fact]) -> Vec<String> {
    let p = Printer::new(prog, Style::Text);
    let texts: BTreeSet<String> = facts
        .iter()
        .filter_map(|f| {
            let term = f.term.as_ref().map(|e| p.print(e));
            rules::fact_text(&f.rule, term.as_deref())
        })
        .collect();
    texts.into_iter().collect()
}
