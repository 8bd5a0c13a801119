//! Unit tests of name resolution and shape checking on hand-built ASTs.
