//! Every syntax error as data: one variant per kind of mistake, each with
//! the spans and text it needs. The words a user reads are written by
//! [`crate::diagnostics`], not here.

use crate::span::Span;

/// A syntax error: what went wrong and where (`at` is the offending text).
/// Each variant's doc shows an input that triggers it.
#[derive(Debug, Clone, PartialEq)]
pub enum SyntaxError {
    /// The file is not UTF-8: `at` is the first invalid byte, e.g. a Latin-1 `\xE9`.
    InvalidUtf8 { at: Span, file: String, byte: u8 },
    /// `= b` with no `claim` before it (`first` when it is the file's first
    /// statement), e.g. `let a = 1` then a line `= b`.
    ChainWithoutClaim { at: Span, first: bool },
    /// More than [`super::MAX_NESTING`] brackets open at once: `show ((((…x))))`.
    NestingTooDeep { at: Span },
    /// A closing bracket with nothing open: `show a)`.
    UnmatchedCloser { at: Span, closer: char },
    /// A closing bracket of the wrong kind: `show (a]`; `line`/`col` locate the opener.
    MismatchedCloser {
        at: Span,
        closer: char,
        opener: char,
        line: usize,
        col: usize,
    },
    /// A bracket never closed before the statement ends: `show f(x`.
    Unclosed { at: Span, opener: char },
    /// A statement longer than [`super::MAX_STATEMENT_BYTES`] bytes (`show x + x + …`).
    StatementTooLong { at: Span, bytes: usize },
    /// A line that does not begin with a statement keyword: `x = 3`
    /// (`assignment` when the word is followed by `=`).
    NotAStatement {
        at: Span,
        word: String,
        assignment: bool,
    },
    /// An expression tree deeper than [`super::MAX_EXPR_DEPTH`]: 15
    /// bracket levels of 150-term sums.
    ExprTooDeep { at: Span },
    /// More than [`super::MAX_OPERATORS`] prefix minuses or powers nested
    /// between two brackets: `show - - - … x`, `x^x^…^x`.
    TooManyOperators { at: Span },
    /// Matrix rows of different lengths: `show [[1, 2], [3]]`.
    RaggedRows { at: Span, width: usize, len: usize },
    /// An indicator without a comparison: `show 1{x}`.
    IndicatorWithoutComparison { at: Span },
    /// An indicator with two comparisons: `show 1{0 <= x < 2}`.
    IndicatorTwoComparisons { at: Span },
    /// `in` inside a call that is not `sum`/`prod`: `show foo(t in 1..2, x)`.
    BinderInCall { at: Span, func: String },
    /// A ranged `sum`/`prod` without exactly one body: `show sum(t in 1..2, x, y)`.
    BinderBodies {
        at: Span,
        func: String,
        count: usize,
    },
    /// A claim with nothing to compare: `claim a`.
    ClaimWithoutRightSide { at: Span },
    /// An inequality inside an `=` chain: `claim a = b <= c`.
    InequalityInChain { at: Span },
    /// `expect` not followed by `refuted`: `claim a = b expect holds`.
    ExpectWithoutRefuted { at: Span },
    /// A `{` that does not open an indicator: `show {a}`.
    StrayBrace { at: Span },
    /// The statement ends where more was needed: `let z1 =` (`after` is the
    /// last token, `expected` what could follow it).
    UnexpectedEnd {
        at: Span,
        after: String,
        expected: Vec<&'static str>,
    },
    /// `expect` outside a claim's end: `show a b expect refuted`.
    UnexpectedExpect {
        at: Span,
        expected: Vec<&'static str>,
    },
    /// A keyword where a name or expression was needed: `show wrt`.
    UnexpectedKeyword {
        at: Span,
        keyword: String,
        expected: Vec<&'static str>,
    },
    /// Any other token the grammar does not allow here: `show a + * b`.
    Unexpected {
        at: Span,
        found: String,
        expected: Vec<&'static str>,
    },
}

impl SyntaxError {
    /// The offending text.
    pub fn span(&self) -> Span {
        use SyntaxError::*;
        match self {
            InvalidUtf8 { at, .. }
            | ChainWithoutClaim { at, .. }
            | NestingTooDeep { at }
            | UnmatchedCloser { at, .. }
            | MismatchedCloser { at, .. }
            | Unclosed { at, .. }
            | StatementTooLong { at, .. }
            | NotAStatement { at, .. }
            | ExprTooDeep { at }
            | TooManyOperators { at }
            | RaggedRows { at, .. }
            | IndicatorWithoutComparison { at }
            | IndicatorTwoComparisons { at }
            | BinderInCall { at, .. }
            | BinderBodies { at, .. }
            | ClaimWithoutRightSide { at }
            | InequalityInChain { at }
            | ExpectWithoutRefuted { at }
            | StrayBrace { at }
            | UnexpectedEnd { at, .. }
            | UnexpectedExpect { at, .. }
            | UnexpectedKeyword { at, .. }
            | Unexpected { at, .. } => *at,
        }
    }
}
