//! Byte-offset source spans and the `Spanned<T>` wrapper every AST node uses.
//! Spans are byte offsets into the file's text (pest reports bytes), so the
//! diagnostics renderer is configured for byte indices.

use std::fmt;

/// A half-open byte range `[start, end)` in the source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// 1-based line and column (in characters) of the span's start.
    /// Scans `src` up to the span; for many look-ups in one text build a
    /// [`LineIndex`] once instead.
    pub fn line_col(self, src: &str) -> (usize, usize) {
        LineIndex::new(src).line_col(src, self.start)
    }
}

/// The byte offset of every line start of a text, so that a line and column
/// cost a binary search (and a count of the characters before the offset on
/// its own line) instead of a scan from the start of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// `starts[k]` is the byte offset where line `k + 1` begins; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `offset` of `src`,
    /// the text this index was built from. An offset past the end is the
    /// end; one inside a character is that character.
    pub fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let at = floor_char_boundary(src, offset.min(src.len()));
        // The last line start at or before `at`.
        let line = self.starts.partition_point(|&s| s <= at).max(1);
        let start = self.starts[line - 1].min(at);
        let col = src[start..at].chars().count() + 1;
        (line, col)
    }

    /// 1-based line of byte `offset` of `src`.
    pub fn line(&self, src: &str, offset: usize) -> usize {
        let at = floor_char_boundary(src, offset.min(src.len()));
        self.starts.partition_point(|&s| s <= at).max(1)
    }
}

/// The largest character boundary of `s` at or before byte `i`.
pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A value together with the source text it came from.
#[derive(Clone, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} @ {:?}", self.node, self.span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: count the newlines before the offset.
    fn scan(src: &str, offset: usize) -> (usize, usize) {
        let before = &src[..floor_char_boundary(src, offset.min(src.len()))];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, col)
    }

    #[test]
    fn line_index_agrees_with_a_scan_at_every_offset() {
        for src in [
            "",
            "\n",
            "a",
            "dim n\nvar x: vec[n]\n",
            "\n\nx\r\ny\n",
            "let δ1 = ŷ − y\n  # ∂J/∂b\nclaim 𝟙{h ≥ 0} = 1\n\n",
        ] {
            let index = LineIndex::new(src);
            for offset in 0..=src.len() + 2 {
                assert_eq!(
                    index.line_col(src, offset),
                    scan(src, offset),
                    "{src:?} at {offset}"
                );
                assert_eq!(index.line(src, offset), scan(src, offset).0);
                assert_eq!(Span::new(offset, offset).line_col(src), scan(src, offset));
            }
        }
    }

    #[test]
    fn line_index_positions() {
        let src = "ab\nδc\n\nd";
        let index = LineIndex::new(src);
        assert_eq!(index.line_col(src, 0), (1, 1));
        assert_eq!(index.line_col(src, 2), (1, 3));
        assert_eq!(index.line_col(src, 3), (2, 1));
        // `δ` is two bytes but one column.
        assert_eq!(index.line_col(src, 5), (2, 2));
        assert_eq!(index.line_col(src, 7), (3, 1));
        assert_eq!(index.line_col(src, 8), (4, 1));
        assert_eq!(index.line_col(src, 100), (4, 2));
    }
}
