//! The words of every resolve error: names, shapes, attributes, limits.

use super::*;
use crate::resolve::{
    ATTRIBUTES, Callee, IntegerRole, MAX_DEPTH, MAX_DIM, MAX_PLOT_LENGTH, MAX_PLOT_LENGTHS,
    MAX_PLOT_STEPS, NameKind, ResolveError,
};

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
            DimSumTooComplex { most, .. } => Diagnostic::new(
                at,
                format!("this dimension is too complex (a sum may name at most {most} dimensions)"),
                "too many dimensions in one sum",
            ),
            StackColumns {
                first,
                shape,
                index,
                ..
            } => Diagnostic::new(
                at,
                format!(
                    "cannot stack {shape} under {first}: block {index} has a different number of columns"
                ),
                format!("block {index} is {shape}, block 1 is {first}"),
            ),
            UnknownAttribute { name, .. } => Diagnostic::new(
                at,
                format!("unknown attribute `{name}`"),
                format!("valid attributes: {}", ATTRIBUTES.join(", ")),
            ),
            AttributeMisfit { attr, ty, .. } => {
                let what = match attr.as_str() {
                    "onehot" | "simplex" => "a vector",
                    "onehot_rows" | "simplex_rows" => "a matrix",
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
                format!("an inequality compares scalars, not {lhs} and {rhs}"),
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
            ParameterNotScalar { function, .. } => Diagnostic::new(
                at,
                format!("the parameter of `{function}` must be a scalar"),
                "not a scalar",
            ),
            ArgumentShapes {
                function, lhs, rhs, ..
            } => Diagnostic::new(
                at,
                format!("the arguments of `{function}` must have one shape, not {lhs} and {rhs}"),
                format!("{lhs} and {rhs}"),
            ),
            ArgumentScalar {
                function,
                lhs,
                rhs,
                fix,
                ..
            } => Diagnostic::new(
                at,
                format!("the arguments of `{function}` must have one shape, not {lhs} and {rhs}"),
                format!("a scalar is not broadcast; write {fix}"),
            ),
            NeedsVectorBatch {
                function,
                shape,
                fix,
                ..
            } => Diagnostic::new(
                at,
                format!("`{function}` needs a vector, not {shape}"),
                format!("this is {shape}; write {fix}"),
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
            PointNotNamed {
                function,
                param,
                expr,
                ..
            } => Diagnostic::new(
                at,
                format!(
                    "`{function}` differentiates with respect to `{param}`, so its argument must be a variable or a named intermediate"
                ),
                format!("`{expr}` is neither; name the point with `let` first"),
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
