//! Tests of the evaluator on hand-built programs.

