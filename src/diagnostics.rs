//! Every stage's input errors as one [`Diagnostic`] type, and the only place
//! that knows the report renderer (ariadne): `error: MESSAGE`, the location
//! `FILE:LINE:COL`, the source line with the offending text underlined.

use crate::resolve::{
    ATTRIBUTES, Callee, IntegerRole, MAX_DEPTH, MAX_DIM, MAX_PLOT_LENGTH, MAX_PLOT_LENGTHS,
    MAX_PLOT_STEPS, NameKind, ResolveError,
};
use crate::span::Span;
use crate::syntax::{
    MAX_EXPR_DEPTH, MAX_NESTING, MAX_OPERATORS, MAX_STATEMENT_BYTES, STATEMENT_KEYWORDS,
    SyntaxError, clip,
};
use ariadne::{CharSet, Color, Config, IndexType, Label, Report, ReportKind, Source};

/// One error of any stage, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub label: String,
    /// Secondary spans with their own labels (e.g. an earlier declaration).
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            label: label.into(),
            notes: Vec::new(),
        }
    }

    fn note(mut self, span: Span, note: impl Into<String>) -> Self {
        self.notes.push((span, note.into()));
        self
    }
}

/// "a, b or c" for the alternatives a parser expected.
fn alternatives(expected: &[&str]) -> String {
    match expected {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn closer_of(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

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
                    "expression has more than {MAX_OPERATORS} operators; split it into named parts with `let`"
                ),
                "too many operators",
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

impl From<crate::InputError> for Diagnostic {
    fn from(e: crate::InputError) -> Self {
        match e {
            crate::InputError::Syntax(e) => e.into(),
            crate::InputError::Resolve(e) => e.into(),
        }
    }
}

/// "did you mean `x`?", or the label to show without a suggestion.
fn did_you_mean(suggestion: Option<String>, otherwise: impl FnOnce() -> String) -> String {
    suggestion.map_or_else(otherwise, |s| format!("did you mean `{s}`?"))
}

impl From<ResolveError> for Diagnostic {
    fn from(e: ResolveError) -> Self {
        use ResolveError::*;
        let at = e.span();
        let this_is = |shape: &str| format!("this is {shape}");
        match e {
            ReservedName { name, .. } => Diagnostic::new(
                at,
                format!("`{name}` is the name of a built-in function and cannot be declared"),
                "reserved name",
            ),
            ReservedLocal { name, .. } => Diagnostic::new(
                at,
                format!("`{name}` is the name of a built-in function and cannot be bound"),
                "reserved name",
            ),
            Duplicate { name, first, .. } => Diagnostic::new(
                at,
                format!("`{name}` is declared twice"),
                "declared again here",
            )
            .note(first, format!("`{name}` first declared here")),
            DuplicateParameter { name, first, .. } => Diagnostic::new(
                at,
                format!("parameter `{name}` is declared twice"),
                "declared again here",
            )
            .note(first, "first declared here"),
            DimNotPositive { name, value, .. } => Diagnostic::new(
                at,
                format!("dimension `{name}` must be a positive integer"),
                format!("{value} is not positive"),
            ),
            DimTooLarge { name, .. } => Diagnostic::new(
                at,
                format!("dimension `{name}` is too large (at most {MAX_DIM})"),
                "absurdly large dimension",
            ),
            NotADimension { name, declared, .. } => Diagnostic::new(
                at,
                format!("`{name}` is not a dimension"),
                "expected a dimension here",
            )
            .note(declared, format!("`{name}` declared here")),
            UndeclaredDimension {
                name, suggestion, ..
            } => Diagnostic::new(
                at,
                format!("undeclared dimension `{name}`"),
                did_you_mean(suggestion, || format!("declare it first with `dim {name}`")),
            ),
            SizeNotPositive { .. } => {
                Diagnostic::new(at, "a size must be a positive integer", "not positive")
            }
            SizeTooLarge { value, .. } => Diagnostic::new(
                at,
                format!("size {value} is too large (at most {MAX_DIM})"),
                "absurdly large size",
            ),
            UnknownAttribute { name, .. } => Diagnostic::new(
                at,
                format!("unknown attribute `{name}`"),
                format!("valid attributes: {}", ATTRIBUTES.join(", ")),
            ),
            AttributeMisfit { attr, ty, .. } => {
                let what = match attr.as_str() {
                    "onehot" | "simplex" => "a vector",
                    _ => "a square matrix",
                };
                Diagnostic::new(
                    at,
                    format!("attribute `{attr}` needs {what}, not {ty}"),
                    format!("`{attr}` does not fit {ty}"),
                )
            }
            TimeNotInteger { .. } => Diagnostic::new(
                at,
                "the time of a sequence element must be an integer from 0 on",
                "not a valid time",
            ),
            SequenceShapes {
                name,
                shape,
                earlier,
                first,
                ..
            } => Diagnostic::new(
                at,
                format!("`{name}` is declared {earlier} and {shape}"),
                format!("declared {shape} here"),
            )
            .note(first, format!("declared {earlier} here")),
            GuardWithoutTime { .. } => Diagnostic::new(
                at,
                "only an indexed definition such as `let h[t] = ...` can have a guard",
                "guard without a time index",
            ),
            GuardVariable { time, var, .. } => Diagnostic::new(
                at,
                format!("the guard must restrict the time index `{time}`, not `{var}`"),
                format!("expected `{time}`"),
            ),
            GivenAndDefined {
                name,
                time,
                guarded,
                given,
                ..
            } => Diagnostic::new(
                at,
                format!("`{name}[{time}]` is both given by `var` and defined by `let`"),
                if guarded {
                    format!("the guard of `let {name}[..]` includes time {time}")
                } else {
                    format!("add a guard such as `for t >= {}`", time + 1)
                },
            )
            .note(given, format!("`{name}[{time}]` given here")),
            SequenceShapeUnknown { name, .. } => Diagnostic::new(
                at,
                format!(
                    "cannot infer the element shape of the sequence `{name}`: its definition uses the sequence itself"
                ),
                format!("give the shape with a declaration such as `var {name}[0]: vec[n]`"),
            ),
            SequenceDefinitionShape {
                name,
                shape,
                declared,
                declaration,
                ..
            } => Diagnostic::new(
                at,
                format!("the definition of `{name}[t]` is {shape} but `{name}` is declared {declared}"),
                this_is(&shape),
            )
            .note(declaration, format!("`{name}` declared {declared} here")),
            Cycle {
                path,
                recurrence,
                steps,
                ..
            } => {
                let name = path.first().cloned().unwrap_or_default();
                let path = path.join(" → ");
                let message = if recurrence {
                    format!(
                        "cyclic definition: {path} refers to the same time step (a recurrence may only use earlier times)"
                    )
                } else {
                    format!("cyclic definition: {path}")
                };
                let mut d = Diagnostic::new(at, message, format!("`{name}` depends on itself"));
                for (span, user, used) in steps {
                    d = d.note(span, format!("`{user}` uses `{used}`"));
                }
                d
            }
            AssumeNonScalar { expr, shape, .. } => Diagnostic::new(
                at,
                format!("`assume` compares scalars, but `{expr}` is {shape}"),
                this_is(&shape),
            ),
            DeriveNotDerivative { expr, .. } => Diagnostic::new(
                at,
                format!("`derive` needs a derivative such as grad(f, x); `{expr}` is not one"),
                "use `show` to simplify other expressions",
            ),
            DuplicateClaimName { name, first, .. } => Diagnostic::new(
                at,
                format!("two claims are named `{name}`"),
                "second claim with this name",
            )
            .note(first, "first claim with this name"),
            InequalityShapes { lhs, rhs, rel, .. } => Diagnostic::new(
                at,
                format!("an inequality compares values of one shape, not {lhs} and {rhs}"),
                format!("{lhs} {rel} {rhs}"),
            ),
            UnsupportedActivation { name, .. } => Diagnostic::new(
                at,
                format!("unsupported activation `{name}`: represent supports step and relu"),
                "expected `step` or `relu`",
            ),
            RepresentNonScalar { shape, .. } => Diagnostic::new(
                at,
                format!("`represent` needs a scalar target; this one is {shape}"),
                this_is(&shape),
            ),
            RepresentVariables { names, .. } => {
                let depends = if names.is_empty() {
                    "has none".to_string()
                } else {
                    let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                    format!("depends on {}", listed.join(", "))
                };
                Diagnostic::new(
                    at,
                    format!(
                        "`represent` needs a target that depends on one scalar variable; this one {depends}"
                    ),
                    "the target of `represent`",
                )
            }
            RepresentVectorVariable { name, shape, .. } => Diagnostic::new(
                at,
                format!("`represent` needs a scalar variable; `{name}` is {shape}"),
                "the target of `represent`",
            ),
            TooDeep { .. } => Diagnostic::new(
                at,
                format!("expression is nested too deeply (more than {MAX_DEPTH} levels)"),
                "nesting limit reached here",
            ),
            FunctionAsValue { name, function, .. } => Diagnostic::new(
                at,
                match function {
                    Callee::Let { arity } => format!(
                        "`{name}` is a function of {arity} argument{}; call it as `{name}(...)`",
                        plural(arity)
                    ),
                    Callee::Fun => format!("`{name}` is a function; call it as `{name}(...)`"),
                    Callee::Builtin => {
                        format!("`{name}` is a built-in function; call it as `{name}(...)`")
                    }
                },
                "function used as a value",
            ),
            SequenceWithoutTime { name, .. } => Diagnostic::new(
                at,
                format!("`{name}` is a sequence; write `{name}[t]` for its element at a time t"),
                "sequence used without a time",
            ),
            UnknownName {
                name, suggestion, ..
            } => Diagnostic::new(
                at,
                format!("unknown name `{name}`"),
                did_you_mean(suggestion, || "not declared".to_string()),
            ),
            IndexScalar { expr, .. } => Diagnostic::new(
                at,
                format!("cannot index `{expr}`: it is a scalar"),
                "indexing a scalar",
            ),
            IndexCount {
                expr,
                shape,
                want,
                got,
                ..
            } => {
                let es = |n: usize| if n == 1 { "" } else { "es" };
                Diagnostic::new(
                    at,
                    format!("`{expr}` is {shape}: it takes {want} index{}, not {got}", es(want)),
                    format!("{got} index{}", es(got)),
                )
            }
            IndexRangeMismatch {
                index,
                range,
                expr,
                entries,
                ..
            } => Diagnostic::new(
                at,
                format!(
                    "index `{index}` runs over 1..{range} but `{expr}` has {entries} entries along this axis"
                ),
                format!("ranges over 1..{range}"),
            ),
            IndexOutOfRange {
                index,
                expr,
                entries,
                ..
            } => Diagnostic::new(
                at,
                format!("index {index} is out of range: `{expr}` has entries 1..{entries}"),
                "out of range",
            ),
            SequenceIndexCount { name, got, .. } => Diagnostic::new(
                at,
                format!("`{name}` is a sequence: write `{name}[t]` with one time index"),
                format!("{got} indices"),
            ),
            NotInteger { role, expr, .. } => {
                let what = match role {
                    IntegerRole::Index => "an index",
                    IntegerRole::TimeIndex => "a time index",
                    IntegerRole::GuardBound => "the bound of a guard",
                    IntegerRole::DeltaArgument => "an argument of `delta`",
                    IntegerRole::RangeBound { prod: false } => "a bound of `sum`",
                    IntegerRole::RangeBound { prod: true } => "a bound of `prod`",
                };
                Diagnostic::new(
                    at,
                    format!("{what} must be an integer expression, but `{expr}` is not one"),
                    "use numbers, dimensions, indices and bound integers with + - *",
                )
            }
            AddShapes {
                subtract, lhs, rhs, ..
            } => Diagnostic::new(at, add_message(subtract, &lhs, &rhs), format!("{lhs} and {rhs}")),
            Broadcast {
                subtract,
                lhs,
                rhs,
                fix,
                ..
            } => Diagnostic::new(
                at,
                add_message(subtract, &lhs, &rhs),
                format!("there is no implicit broadcasting; write `{fix}`"),
            ),
            ElementwiseShapes {
                divide, lhs, rhs, ..
            } => Diagnostic::new(
                at,
                format!(
                    "cannot {} {lhs} and {rhs} elementwise: the shapes differ",
                    if divide { "divide" } else { "multiply" }
                ),
                format!("{lhs} and {rhs}"),
            ),
            DivideByNonScalar { divisor, .. } => Diagnostic::new(
                at,
                format!("cannot divide by {divisor}: `/` needs a scalar divisor"),
                "use `./` for elementwise division",
            ),
            MulShapes {
                lhs,
                rhs,
                inner_lhs,
                inner_rhs,
                ..
            } => Diagnostic::new(
                at,
                format!(
                    "cannot multiply {lhs} by {rhs}: inner dimensions {inner_lhs} and {inner_rhs} differ"
                ),
                format!("{lhs} times {rhs}"),
            ),
            ExponentNotScalar { shape, .. } => Diagnostic::new(
                at,
                format!("an exponent must be a scalar, not {shape}"),
                this_is(&shape),
            ),
            VectorPower { shape, .. } => Diagnostic::new(
                at,
                format!("cannot raise {shape} to a power: it is not a square matrix"),
                "use `.^` for an elementwise power",
            ),
            NonsquarePower { shape, .. } => Diagnostic::new(
                at,
                format!("cannot raise {shape} to a power: it is not square"),
                "use `.^` for an elementwise power",
            ),
            MatrixPowerZero { size, .. } => Diagnostic::new(
                at,
                "a matrix to the power 0 is written as the identity",
                format!("write `eye({size})`"),
            ),
            MatrixPowerNotConstant { shape, .. } => Diagnostic::new(
                at,
                format!("a power of {shape} needs a constant integer exponent (at most 1000 in size)"),
                "not a constant integer",
            ),
            EmptyLiteral { .. } => Diagnostic::new(at, "an empty matrix literal", "empty"),
            RaggedLiteral { row, len, cols, .. } => Diagnostic::new(
                at,
                format!(
                    "ragged matrix literal: row {row} has {len} entr{} but row 1 has {cols}",
                    if len == 1 { "y" } else { "ies" }
                ),
                format!("row {row} ends here"),
            ),
            LiteralTooLarge { .. } => Diagnostic::new(at, "a matrix literal is too large", "too large"),
            LiteralEntryNotScalar { shape, .. } => Diagnostic::new(
                at,
                format!("the entries of a literal must be scalars, not {shape}"),
                this_is(&shape),
            ),
            IndicatorShapes { lhs, rhs, op, .. } => Diagnostic::new(
                at,
                format!("cannot compare {lhs} with {rhs}: the shapes differ"),
                format!("{lhs} {op} {rhs}"),
            ),
            ProdWithoutRange { binder, .. } => Diagnostic::new(
                at,
                if binder {
                    "a product needs an integer range: `prod(k in a..b, M)`"
                } else {
                    "`prod` needs an integer range: `prod(k in a..b, M)`"
                },
                "no range",
            ),
            SumOverNonIndex { name, .. } => Diagnostic::new(
                at,
                format!(
                    "`{name}` is not an `idx` variable: declare it with `idx {name}: n`, or sum over integers with `sum({name} in a..b, ...)`"
                ),
                "expected an index variable",
            ),
            ProductFactorsNotSquare { shape, .. } => Diagnostic::new(
                at,
                format!("the factors of an ordered product must be square matrices, not {shape}"),
                this_is(&shape),
            ),
            PrimeOfLet { name, .. } => Diagnostic::new(
                at,
                format!(
                    "`{name}'` is not defined: a prime is the derivative of a built-in elementwise function or a declared `fun`"
                ),
                format!("use grad/d of `{name}` instead"),
            ),
            UnknownFunction {
                name, suggestion, ..
            } => Diagnostic::new(
                at,
                format!("unknown function `{name}`"),
                did_you_mean(suggestion, || {
                    "not a built-in, `fun` or `let` function".to_string()
                }),
            ),
            CallNonFunction { name, what, .. } => {
                let what = match what {
                    NameKind::Dimension => "a dimension",
                    NameKind::Variable => "a variable",
                    NameKind::Let => "a `let` value",
                    NameKind::Sequence => "a sequence",
                    NameKind::Index => "an index",
                    NameKind::Bound => "a bound name",
                };
                Diagnostic::new(
                    at,
                    format!("`{name}` is {what}, not a function, so it cannot be called"),
                    "called here",
                )
            }
            Arity {
                name,
                expected,
                got,
                ..
            } => {
                let expected = match expected.as_slice() {
                    [one] => format!("{one} argument{}", plural(*one)),
                    many => {
                        let parts: Vec<String> = many.iter().map(|w| w.to_string()).collect();
                        format!("{} arguments", parts.join(" or "))
                    }
                };
                Diagnostic::new(
                    at,
                    format!(
                        "`{name}` takes {expected}, but {got} {} given",
                        if got == 1 { "was" } else { "were" }
                    ),
                    format!("expected {expected}"),
                )
            }
            ArgumentShape {
                function,
                param,
                want,
                got,
                declaration,
                ..
            } => Diagnostic::new(
                at,
                format!("argument `{param}` of `{function}` must be {want}, but this is {got}"),
                this_is(&got),
            )
            .note(declaration, format!("`{param}` declared {want} here")),
            FunArgumentShape {
                function,
                want,
                got,
                declaration,
                ..
            } => Diagnostic::new(
                at,
                format!("`{function}` takes {want}, but this argument is {got}"),
                this_is(&got),
            )
            .note(declaration, format!("`{function}` declared here")),
            PrimeNotElementwise { name, .. } => Diagnostic::new(
                at,
                format!(
                    "`{name}'` is not defined: only elementwise functions (relu', tanh', ...) and declared `fun`s take a prime"
                ),
                "no derivative written with '",
            ),
            ArgumentShapes {
                function, lhs, rhs, ..
            } => Diagnostic::new(
                at,
                format!("the arguments of `{function}` must have one shape, not {lhs} and {rhs}"),
                format!("{lhs} and {rhs}"),
            ),
            NeedsVector {
                function, shape, ..
            } => Diagnostic::new(
                at,
                format!("`{function}` needs a vector, not {shape}"),
                this_is(&shape),
            ),
            SumArity { got, .. } => Diagnostic::new(
                at,
                format!("`sum` takes 1 argument, but {got} were given"),
                "write sum(v), sum(j, e) with an idx variable j, or sum(t in a..b, e)",
            ),
            NeedsSquare {
                function, shape, ..
            } => Diagnostic::new(
                at,
                format!("`{function}` needs a square matrix, not {shape}"),
                this_is(&shape),
            ),
            DimArgument { function, expr, .. } => Diagnostic::new(
                at,
                format!("`{function}` needs a dimension name or a positive integer, not `{expr}`"),
                "not a dimension",
            ),
            WrtNotVariable { expr, .. } => Diagnostic::new(
                at,
                "can only differentiate with respect to a variable or a named intermediate",
                format!("`{expr}` is neither; name it with `let` first"),
            ),
            GradNonScalar { expr, shape, .. } => Diagnostic::new(
                at,
                format!("grad needs a scalar function; {expr} is {shape}, use jac"),
                this_is(&shape),
            ),
            JacNonVector { expr, shape, .. } => Diagnostic::new(
                at,
                format!("jac needs a vector function; {expr} is {shape}"),
                this_is(&shape),
            ),
            JacWrtNonVector { expr, shape, .. } => Diagnostic::new(
                at,
                format!(
                    "jac needs a vector to differentiate by; {expr} is {shape}, use grad for a scalar function of a matrix"
                ),
                this_is(&shape),
            ),
            HessNonScalar { expr, shape, .. } => Diagnostic::new(
                at,
                format!("hess needs a scalar function; {expr} is {shape}"),
                this_is(&shape),
            ),
            HessWrtNonVector { expr, shape, .. } => Diagnostic::new(
                at,
                format!("hess needs a vector to differentiate by; {expr} is {shape}"),
                this_is(&shape),
            ),
            DNonScalar { expr, shape, .. } => Diagnostic::new(
                at,
                format!("d needs scalars; {expr} is {shape}, use grad or jac"),
                this_is(&shape),
            ),
            PlotNonScalar { expr, shape, .. } => Diagnostic::new(
                at,
                format!("`plot` draws scalars; `{expr}` is {shape}"),
                format!("this is {shape}; a norm such as `norm(…)` is a scalar"),
            ),
            PlotConstant { expr, length, .. } => Diagnostic::new(
                at,
                format!("`{expr}` does not depend on `{length}`: there is nothing to plot against it"),
                format!("the same value for every `{length}`"),
            ),
            PlotEmptyRange { from, to, .. } => Diagnostic::new(
                at,
                format!("empty range `{from}..{to}`: a plot needs a range `a..b` with a <= b"),
                "no length in this range",
            ),
            PlotTooLong { to, .. } => Diagnostic::new(
                at,
                format!("a plot evaluates lengths up to {MAX_PLOT_LENGTH}, not {to}"),
                "too long",
            ),
            PlotTooManyLengths { from, to, .. } => Diagnostic::new(
                at,
                format!(
                    "the range `{from}..{to}` has {} lengths; a plot evaluates at most {MAX_PLOT_LENGTHS}",
                    to - from + 1
                ),
                "too many lengths",
            ),
            PlotTooManySteps {
                from, to, steps, ..
            } => Diagnostic::new(
                at,
                format!(
                    "the lengths `{from}..{to}` add up to {steps} time steps; a plot evaluates at most {MAX_PLOT_STEPS} (draw a shorter range)"
                ),
                "too long to evaluate",
            ),
            PlotFixedLength {
                name,
                value,
                declaration,
                ..
            } => Diagnostic::new(
                at,
                format!(
                    "`{name}` is fixed to {value}; a plot runs over a symbolic length (declare it `dim {name}`)"
                ),
                "not a symbolic length",
            )
            .note(declaration, format!("`{name}` fixed here")),
            PlotNotLength {
                name, declaration, ..
            } => Diagnostic::new(
                at,
                format!(
                    "`{name}` is not a length: a plot runs over a symbolic length declared with `dim`"
                ),
                "expected a length such as `T`",
            )
            .note(declaration, format!("`{name}` declared here")),
            PlotUnknownLength {
                name, suggestion, ..
            } => Diagnostic::new(
                at,
                format!(
                    "unknown length `{name}`: a plot runs over a symbolic length declared with `dim`"
                ),
                did_you_mean(suggestion, || "not declared".to_string()),
            ),
            PlotEndNotInteger { expr, .. } => Diagnostic::new(
                at,
                format!(
                    "a plot's range runs over positive integers, such as `1..40`; `{expr}` is not one"
                ),
                "expected a positive integer",
            ),
        }
    }
}

/// The message of a shape mismatch in `+` or `-`.
fn add_message(subtract: bool, lhs: &str, rhs: &str) -> String {
    if subtract {
        format!("cannot subtract {rhs} from {lhs}: the shapes differ")
    } else {
        format!("cannot add {lhs} and {rhs}: the shapes differ")
    }
}

/// Renders the diagnostics of one file like a compiler does, one report
/// after another, without colour. Spans are byte offsets into `src`; spans
/// that do not fall on character boundaries (e.g. an invalid UTF-8 byte in
/// a lossily decoded text) are widened to the enclosing characters.
pub fn render(file_name: &str, src: &str, diags: &[Diagnostic]) -> String {
    render_with(file_name, src, diags, false, usize::MAX)
}

/// More input errors than this in one file, and it is probably not a
/// `.grad` file at all: the command line shows this many and stops.
pub const MAX_SHOWN_ERRORS: usize = 5;

/// Like [`render`], with ANSI colour when `color` is set, and at most
/// `limit` reports: past that, one line
/// `FILE: stopped after N errors; is this a .grad file?`.
pub fn render_with(
    file_name: &str,
    src: &str,
    diags: &[Diagnostic],
    color: bool,
    limit: usize,
) -> String {
    let long_lines = src.split('\n').any(|l| l.len() > MAX_SHOWN_LINE);
    let mut out = String::new();
    for d in diags.iter().take(limit) {
        if long_lines {
            out.push_str(&render_excerpt(file_name, src, d, color));
        } else {
            out.push_str(&render_one(file_name, src, d, color));
        }
    }
    if diags.len() > limit {
        out.push_str(&format!(
            "{file_name}: stopped after {limit} errors; is this a .grad file?\n"
        ));
    }
    out
}

fn render_one(file_name: &str, src: &str, d: &Diagnostic, color: bool) -> String {
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte)
        .with_char_set(CharSet::Ascii);
    let span = widen(src, d.span);
    let mut label = Label::new((file_name, span.clone()));
    if !d.label.is_empty() {
        label = label.with_message(&d.label);
    }
    if color {
        label = label.with_color(Color::Red);
    }
    let mut report = Report::build(ReportKind::Error, (file_name, span))
        .with_config(config)
        .with_message(&d.message)
        .with_label(label);
    for (s, note) in &d.notes {
        let mut label = Label::new((file_name, widen(src, *s))).with_message(note);
        if color {
            label = label.with_color(Color::Blue);
        }
        report = report.with_label(label);
    }
    let mut buf = Vec::new();
    if report
        .finish()
        .write((file_name, Source::from(src)), &mut buf)
        .is_err()
    {
        // Writing to a Vec cannot fail; keep at least the message.
        buf = format!("Error: {}\n", d.message).into_bytes();
    }
    // Compiler style `error:` (ariadne's custom kinds ignore the colour
    // setting, so the built-in kind is renamed instead; with colour it
    // follows an escape sequence).
    let text = String::from_utf8_lossy(&buf);
    text.replacen("Error:", "error:", 1)
}

/// Source lines longer than this are shown as a window around the error.
const MAX_SHOWN_LINE: usize = 200;

/// A diagnostic in a file with very long lines (a megabyte of one
/// statement): each long line is cut to a window around the offending text
/// so the report stays readable, and the location in the header is the one
/// in the real file.
fn render_excerpt(file_name: &str, src: &str, d: &Diagnostic, color: bool) -> String {
    // (start, end) of a kept window in `src`, and where it begins in the excerpt.
    let mut windows: Vec<(usize, usize, usize)> = Vec::new();
    let mut text = String::new();
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let line_end = line_start + body.len();
        let (ws, we) = if body.len() <= MAX_SHOWN_LINE {
            (line_start, line_end)
        } else {
            let focus = if (line_start..=line_end).contains(&d.span.start) {
                d.span.start
            } else {
                line_start
            };
            let ws =
                crate::span::floor_char_boundary(src, focus.saturating_sub(60).max(line_start));
            let we = crate::span::floor_char_boundary(src, (ws + 160).min(line_end));
            (ws, we)
        };
        if ws > line_start {
            text.push_str("...");
        }
        windows.push((ws, we, text.len()));
        text.push_str(&src[ws..we]);
        if we < line_end {
            text.push_str("...");
        }
        if line.ends_with('\n') {
            text.push('\n');
        }
        line_start += line.len();
    }
    let map = |off: usize| -> usize {
        let k = windows.partition_point(|w| w.0 <= off).saturating_sub(1);
        windows
            .get(k)
            .map_or(0, |&(ws, we, at)| at + off.clamp(ws, we) - ws)
    };
    let span_of = |s: Span| Span::new(map(s.start), map(s.end.max(s.start)));
    let shown = Diagnostic {
        span: span_of(d.span),
        message: d.message.clone(),
        label: d.label.clone(),
        notes: d
            .notes
            .iter()
            .map(|(s, n)| (span_of(*s), n.clone()))
            .collect(),
    };
    let report = render_one(file_name, &text, &shown, color);
    let (sl, sc) = shown.span.line_col(&text);
    let (rl, rc) = d.span.line_col(src);
    report.replacen(
        &format!("{file_name}:{sl}:{sc} ]"),
        &format!("{file_name}:{rl}:{rc} ]"),
        1,
    )
}

/// A non-empty byte range on character boundaries inside `src` (empty only
/// for an empty file or a span at its very end).
fn widen(src: &str, span: Span) -> std::ops::Range<usize> {
    let len = src.len();
    let mut start = span.start.min(len);
    while start > 0 && !src.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, len);
    while end < len && !src.is_char_boundary(end) {
        end += 1;
    }
    if end == start && start < len {
        end = start + src[start..].chars().next().map_or(1, char::len_utf8);
    }
    start..end
}
