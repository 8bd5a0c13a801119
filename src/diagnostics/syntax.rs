//! The words of every syntax error.

use super::*;
use crate::syntax::{
    MAX_EXPR_DEPTH, MAX_NESTING, MAX_OPERATORS, MAX_STATEMENT_BYTES, STATEMENT_KEYWORDS,
    SyntaxError, clip,
};

impl From<SyntaxError> for Diagnostic {
    fn from(e: SyntaxError) -> Self {
        use SyntaxError::*;
        let at = e.span();
        match e {
            InvalidUtf8 { file, byte, .. } => Diagnostic::new(
                at,
                format!("{file} is not valid UTF-8 text"),
                format!("invalid byte 0x{byte:02X} here"),
            ),
            ChainWithoutClaim { first, .. } => Diagnostic::new(
                at,
                if first {
                    "a line starting with `=` continues a claim chain, but there is no `claim` before it"
                } else {
                    "a line starting with `=` continues a claim chain, but the statement before it is not a `claim`"
                },
                "no `claim` to continue",
            ),
            NestingTooDeep { .. } => Diagnostic::new(
                at,
                format!(
                    "brackets nest deeper than {MAX_NESTING} levels; name inner parts with `let`"
                ),
                format!("nesting deeper than {MAX_NESTING} levels"),
            ),
            UnmatchedCloser { closer, .. } => Diagnostic::new(
                at,
                format!("unmatched `{closer}`: there is no opening bracket before it"),
                "unmatched",
            ),
            MismatchedCloser {
                closer,
                opener,
                line,
                col,
                ..
            } => Diagnostic::new(
                at,
                format!(
                    "`{closer}` does not match the `{opener}` opened at line {line}, column {col}; expected `{}`",
                    closer_of(opener)
                ),
                format!("expected `{}`", closer_of(opener)),
            ),
            Unclosed { opener, .. } => Diagnostic::new(
                at,
                format!(
                    "unclosed `{opener}`: add `{}` to close it",
                    closer_of(opener)
                ),
                "opened here and never closed",
            ),
            StatementTooLong { bytes, .. } => Diagnostic::new(
                at,
                format!(
                    "this statement is {bytes} bytes long, more than the {MAX_STATEMENT_BYTES} allowed; split it into named parts with `let`"
                ),
                "statement too long",
            ),
            NotAStatement {
                word, assignment, ..
            } => {
                let hint = if assignment {
                    format!("; to define `{word}` write `let {word} = …`")
                } else {
                    String::new()
                };
                let n = STATEMENT_KEYWORDS.len();
                let keywords = format!(
                    "{} or {}",
                    STATEMENT_KEYWORDS[..n - 1].join(", "),
                    STATEMENT_KEYWORDS[n - 1]
                );
                Diagnostic::new(
                    at,
                    format!(
                        "`{}` does not start a statement: a statement begins with {keywords}{hint}",
                        clip(&word)
                    ),
                    "expected a statement keyword",
                )
            }
            ExprTooDeep { .. } => Diagnostic::new(
                at,
                format!(
                    "expression nested more than {MAX_EXPR_DEPTH} levels deep; name inner parts with `let`"
                ),
                "too deeply nested",
            ),
            TooManyOperators { .. } => Diagnostic::new(
                at,
                format!(
                    "expression nests more than {MAX_OPERATORS} minus signs and powers; split it into named parts with `let`"
                ),
                "nested too deep",
            ),
            RaggedRows { width, len, .. } => Diagnostic::new(
                at,
                format!(
                    "every row of a matrix literal needs the same length: the first row has {width} entries, this one {len}"
                ),
                match len {
                    1 => "1 entry".to_string(),
                    n => format!("{n} entries"),
                },
            ),
            IndicatorWithoutComparison { .. } => Diagnostic::new(
                at,
                "`1{…}` needs a comparison such as `1{h > 0}`",
                "no comparison inside",
            ),
            IndicatorTwoComparisons { .. } => Diagnostic::new(
                at,
                "`1{…}` holds one comparison; write a range as a product such as `1{a <= x} 1{x < b}`",
                "second comparison",
            ),
            BinderInCall { func, .. } => Diagnostic::new(
                at,
                format!(
                    "only `sum` and `prod` bind a variable with `in`, not `{}`",
                    clip(&func)
                ),
                "binder in an ordinary call",
            ),
            BinderBodies { func, count, .. } => Diagnostic::new(
                at,
                format!("`{func}(t in a..b, e)` takes exactly one expression after the range"),
                format!("{count} expressions after the range"),
            ),
            ClaimWithoutRightSide { .. } => Diagnostic::new(
                at,
                "a claim needs a right side: `claim EXPR = EXPR`, a chain of `= EXPR` lines, or one inequality such as `claim EXPR <= EXPR`",
                "nothing to compare this with",
            ),
            InequalityInChain { .. } => Diagnostic::new(
                at,
                "an inequality claim compares exactly two expressions; chains use `=` only",
                "inequality inside a chain",
            ),
            ExpectWithoutRefuted { .. } => Diagnostic::new(
                at,
                "`expect` must be followed by `refuted` (`… expect refuted`)",
                "expected `refuted`",
            ),
            StrayBrace { .. } => Diagnostic::new(
                at,
                "`{` only opens an indicator such as `1{h > 0}`",
                "unexpected `{`",
            ),
            UnexpectedEnd {
                after, expected, ..
            } => {
                let what = alternatives(&expected);
                Diagnostic::new(
                    at,
                    format!("expected {what} after `{after}`"),
                    format!("expected {what}"),
                )
            }
            UnexpectedExpect { expected, .. } => {
                let what = alternatives(&expected);
                Diagnostic::new(
                    at,
                    format!(
                        "unexpected `expect`: expected {what} (`expect refuted` can only end a `claim`)"
                    ),
                    format!("expected {what}"),
                )
            }
            UnexpectedKeyword {
                keyword, expected, ..
            } => {
                let what = alternatives(&expected);
                Diagnostic::new(
                    at,
                    format!(
                        "unexpected keyword `{keyword}`: expected {what} (keywords cannot be names)"
                    ),
                    format!("expected {what}"),
                )
            }
            Unexpected {
                found, expected, ..
            } => {
                let what = alternatives(&expected);
                Diagnostic::new(
                    at,
                    format!("unexpected `{found}`: expected {what}"),
                    format!("expected {what}"),
                )
            }
        }
    }
}
