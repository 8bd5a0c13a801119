//! Malformed input: every `tests/inputs/err_*.grad` must be rejected with a
//! report that points at `FILE:LINE:COL`; the rendered reports are
//! snapshots. Hostile inputs (huge or deeply nested) are generated here at
//! run time. The acceptance examples' resolved programs are snapshots too.

use gradproof::InputError::{self, Resolve, Syntax};
use gradproof::diagnostics::{self, Diagnostic};
use gradproof::resolve::{Callee, IntegerRole, NameKind, ResolveError::*};
use gradproof::syntax::SyntaxError::*;
use std::collections::BTreeSet;
use std::path::PathBuf;

macro_rules! with_snapshots {
    ($body:block) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, $body)
    };
}

/// Asserts that every diagnostic's location appears in the rendered text.
fn check_locations(name: &str, src: &str, diags: &[Diagnostic], text: &str) {
    assert!(!diags.is_empty(), "{name}: no diagnostics");
    for d in diags {
        let (line, col) = d.span.line_col(src);
        let loc = format!("{name}:{line}:{col}");
        assert!(text.contains(&loc), "{name}: `{loc}` missing from\n{text}");
    }
}

fn reject(name: &str, bytes: &[u8]) -> (String, Vec<Diagnostic>) {
    let diags = match gradproof::load(name, bytes) {
        Ok(_) => panic!("{name} should be rejected"),
        Err(d) => d,
    };
    let src = String::from_utf8_lossy(bytes).into_owned();
    let text = diagnostics::render(name, &src, &diags);
    check_locations(name, &src, &diags, &text);
    (text, diags)
}

#[test]
fn error_inputs() {
    with_snapshots!({
        insta::glob!("inputs/err_*.grad", |path| {
            let bytes = std::fs::read(path).unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            let (text, _) = reject(name, &bytes);
            insta::assert_snapshot!(text);
        });
    });
}

/// Where the text of a case comes from.
enum Input {
    /// `tests/inputs/NAME`.
    File(&'static str),
    /// Generated at run time (too large or too repetitive for a file).
    Text(fn() -> String),
}

/// One case: its input, whether its errors have the expected kinds, and
/// those kinds as written (for the coverage check).
type Case = (Input, fn(&[InputError]) -> bool, &'static str);

/// `input => [pattern, …]`: the file's errors, in report order, each
/// matched against its pattern.
macro_rules! cases {
    ($($input:expr => [$($pat:pat),* $(,)?]),* $(,)?) => {
        vec![$(
            (
                $input,
                (|es: &[InputError]| matches!(es, [$($pat),*])) as fn(&[InputError]) -> bool,
                stringify!($($pat),*),
            )
        ),*]
    };
}

fn deep_lets() -> String {
    // Each `let` is 250 negations of the next; resolving the first goes
    // through all of them, deeper than resolve's 2000 levels.
    let mut src = String::from("var x: scalar\n");
    for i in 0..10 {
        src += &format!("let a{i} = {}a{}\n", "-".repeat(250), i + 1);
    }
    src += "let a10 = x\nshow a0\n";
    src
}

/// Every kind of input error with an input that triggers it.
fn cases() -> Vec<Case> {
    use Input::{File, Text};
    cases![
        File("err_invalid_utf8.grad") => [Syntax(InvalidUtf8 { byte: 0xE9, .. })],
        File("err_chain_without_claim.grad") => [Syntax(ChainWithoutClaim { first: false, .. })],
        Text(|| format!("show {}x{}", "(".repeat(65), ")".repeat(65)))
            => [Syntax(NestingTooDeep { .. })],
        File("err_stray_token.grad") => [Syntax(UnmatchedCloser { closer: ')', .. })],
        File("err_mismatched_bracket.grad")
            => [Syntax(MismatchedCloser { closer: ']', opener: '(', line: 2, col: 6, .. })],
        File("err_unclosed_bracket.grad") => [Syntax(Unclosed { opener: '(', .. })],
        Text(|| format!("show x{}", " + x".repeat(4 << 20)))
            => [Syntax(StatementTooLong { bytes: 16777222, .. })],
        File("err_not_a_statement.grad") => [
            Syntax(NotAStatement { assignment: true, .. }),
            Syntax(NotAStatement { assignment: false, .. }),
        ],
        Text(|| format!("show {}x{}", "(".repeat(15), format!("){}", " * x".repeat(150)).repeat(15)))
            => [Syntax(ExprTooDeep { .. })],
        Text(|| format!("show {}x", "x^".repeat(300))) => [Syntax(TooManyOperators { .. })],
        File("err_ragged_literal.grad") => [Syntax(RaggedRows { width: 2, len: 1, .. })],
        File("err_indicator_without_comparison.grad") => [Syntax(IndicatorWithoutComparison { .. })],
        File("err_indicator_two_comparisons.grad") => [Syntax(IndicatorTwoComparisons { .. })],
        File("err_binder_in_call.grad") => [Syntax(BinderInCall { .. })],
        File("err_binder_bodies.grad") => [Syntax(BinderBodies { count: 2, .. })],
        File("err_claim_without_right_side.grad") => [Syntax(ClaimWithoutRightSide { .. })],
        File("err_inequality_in_chain.grad") => [Syntax(InequalityInChain { .. })],
        File("err_expect_without_refuted.grad") => [Syntax(ExpectWithoutRefuted { .. })],
        File("err_stray_brace.grad") => [Syntax(StrayBrace { .. })],
        File("err_unexpected_end.grad") => [Syntax(UnexpectedEnd { .. })],
        File("err_expect_outside_claim.grad") => [Syntax(UnexpectedExpect { .. })],
        File("plot_err_syntax.grad") => [
            Syntax(UnexpectedEnd { .. }),
            Syntax(UnexpectedKeyword { .. }),
            Syntax(UnexpectedKeyword { .. }),
        ],
        File("err_dim_fraction.grad") => [Syntax(Unexpected { .. })],
        File("err_dim_negative.grad") => [Syntax(Unexpected { .. })],
        File("err_reserved_name.grad") => [Resolve(ReservedName { .. })],
        File("err_reserved_let.grad") => [Resolve(ReservedName { .. })],
        File("err_reserved_local.grad") => [Resolve(ReservedLocal { .. })],
        File("err_duplicate_declaration.grad") => [Resolve(Duplicate { .. })],
        File("err_duplicate_sequence.grad") => [Resolve(Duplicate { .. })],
        File("err_duplicate_parameter.grad") => [Resolve(DuplicateParameter { .. })],
        File("err_dim_zero.grad") => [Resolve(DimNotPositive { .. })],
        File("err_dim_absurd.grad") => [Resolve(DimTooLarge { .. })],
        File("err_not_a_dimension.grad") => [Resolve(NotADimension { .. })],
        File("err_undeclared_dimension.grad") => [Resolve(UndeclaredDimension { .. })],
        File("err_size_zero.grad") => [Resolve(SizeNotPositive { .. })],
        File("err_size_absurd.grad") => [Resolve(SizeTooLarge { .. })],
        File("err_unknown_attribute.grad") => [Resolve(UnknownAttribute { .. })],
        File("err_attribute_misfit.grad") => [Resolve(AttributeMisfit { .. })],
        File("err_attribute_not_square.grad") => [Resolve(AttributeMisfit { .. })],
        File("err_onehot_scalar.grad") => [Resolve(AttributeMisfit { .. })],
        File("err_sequence_time_absurd.grad") => [Resolve(TimeNotInteger { .. })],
        File("err_sequence_shapes.grad") => [Resolve(SequenceShapes { .. })],
        File("err_guard_without_time.grad") => [Resolve(GuardWithoutTime { .. })],
        File("err_guard_variable.grad") => [Resolve(GuardVariable { .. })],
        File("err_given_and_defined.grad") => [Resolve(GivenAndDefined { time: 0, guarded: false, .. })],
        File("err_sequence_shape_unknown.grad") => [Resolve(SequenceShapeUnknown { .. })],
        File("err_sequence_definition_shape.grad") => [Resolve(SequenceDefinitionShape { .. })],
        File("err_cyclic_let.grad") => [Resolve(Cycle { recurrence: false, .. })],
        File("err_same_time_recurrence.grad") => [Resolve(Cycle { recurrence: true, .. })],
        File("err_self_recurrence.grad") => [Resolve(Cycle { recurrence: true, .. })],
        File("err_assume_nonscalar.grad") => [Resolve(AssumeNonScalar { .. }), Resolve(AssumeNonScalar { .. })],
        File("err_derive_not_derivative.grad") => [Resolve(DeriveNotDerivative { .. })],
        File("err_duplicate_claim_name.grad") => [Resolve(DuplicateClaimName { .. })],
        File("err_inequality_shapes.grad") => [Resolve(InequalityShapes { .. })],
        File("err_unsupported_activation.grad") => [Resolve(UnsupportedActivation { .. })],
        File("err_represent_vector_target.grad") => [Resolve(RepresentNonScalar { .. })],
        File("err_represent_two_variables.grad") => [Resolve(RepresentVariables { .. })],
        File("err_represent_vector_variable.grad") => [Resolve(RepresentVectorVariable { .. })],
        Text(deep_lets) => [Resolve(TooDeep { .. })],
        File("err_function_as_value.grad") => [
            Resolve(FunctionAsValue { function: Callee::Let { arity: 1 }, .. }),
            Resolve(FunctionAsValue { function: Callee::Fun, .. }),
            Resolve(FunctionAsValue { function: Callee::Builtin, .. }),
        ],
        File("err_sequence_without_time.grad") => [Resolve(SequenceWithoutTime { .. })],
        File("err_unknown_name.grad") => [Resolve(UnknownName { .. })],
        File("err_unicode_column.grad") => [Resolve(UnknownName { .. })],
        File("err_unknown_name_case.grad") => [Resolve(UnknownName { suggestion: Some(_), .. })],
        File("err_index_scalar.grad") => [Resolve(IndexScalar { .. })],
        File("err_index_count.grad") => [Resolve(IndexCount { want: 1, got: 2, .. })],
        File("err_index_range_mismatch.grad") => [Resolve(IndexRangeMismatch { .. })],
        File("err_index_out_of_range.grad") => [Resolve(IndexOutOfRange { .. })],
        File("err_sequence_index_count.grad") => [Resolve(SequenceIndexCount { got: 2, .. })],
        File("err_time_not_integer.grad") => [Resolve(NotInteger { role: IntegerRole::TimeIndex, .. })],
        File("err_sum_of_different_shapes.grad") => [Resolve(AddShapes { subtract: false, .. })],
        File("err_broadcast.grad") => [Resolve(Broadcast { subtract: true, .. })],
        File("err_hadamard_shapes.grad") => [Resolve(ElementwiseShapes { divide: false, .. })],
        File("err_divide_by_vector.grad") => [Resolve(DivideByNonScalar { .. })],
        File("err_mismatched_product.grad") => [Resolve(MulShapes { .. })],
        File("err_exponent_not_scalar.grad") => [Resolve(ExponentNotScalar { .. })],
        File("err_vector_power.grad") => [Resolve(VectorPower { .. })],
        File("err_nonsquare_power.grad") => [Resolve(NonsquarePower { .. })],
        File("err_matrix_power_zero.grad") => [Resolve(MatrixPowerZero { .. })],
        File("err_matrix_power_not_constant.grad")
            => [Resolve(MatrixPowerNotConstant { .. }), Resolve(MatrixPowerNotConstant { .. })],
        File("err_literal_entry_not_scalar.grad") => [Resolve(LiteralEntryNotScalar { .. })],
        File("err_indicator_shapes.grad") => [Resolve(IndicatorShapes { .. })],
        File("err_prod_without_range.grad") => [
            Resolve(ProdWithoutRange { binder: true, .. }),
            Resolve(ProdWithoutRange { binder: false, .. }),
        ],
        File("err_sum_over_non_index.grad") => [Resolve(SumOverNonIndex { .. })],
        File("err_prod_of_vectors.grad") => [Resolve(ProductFactorsNotSquare { .. })],
        File("err_prime_of_let.grad") => [Resolve(PrimeOfLet { .. })],
        File("err_unknown_function.grad") => [Resolve(UnknownFunction { .. })],
        File("err_call_nonfunction.grad") => [Resolve(CallNonFunction { what: NameKind::Variable, .. })],
        File("err_wrong_arity.grad") => [Resolve(Arity { got: 2, .. })],
        File("err_let_function_argument_shape.grad") => [Resolve(ArgumentShape { .. })],
        File("err_fun_argument_shape.grad") => [Resolve(FunArgumentShape { .. })],
        File("err_prime_not_elementwise.grad") => [Resolve(PrimeNotElementwise { .. })],
        File("err_parameter_not_scalar.grad") => [Resolve(ParameterNotScalar { .. })],
        File("err_max_shapes.grad") => [Resolve(ArgumentShapes { .. })],
        File("err_softmax_of_matrix.grad") => [Resolve(NeedsVectorBatch { .. })],
        File("err_softmax_of_row.grad") => [Resolve(NeedsVectorBatch { .. })],
        File("err_diag_of_matrix.grad") => [Resolve(NeedsVector { .. })],
        File("err_max_scalar.grad") => [Resolve(ArgumentScalar { .. })],
        File("err_batch_bias.grad") => [Resolve(Broadcast { subtract: false, .. })],
        File("err_inequality_vectors.grad") => [Resolve(InequalityShapes { .. })],
        File("err_sum_arity.grad") => [Resolve(SumArity { got: 3, .. })],
        File("err_trace_not_square.grad") => [Resolve(NeedsSquare { .. })],
        File("err_eye_bad_argument.grad") => [Resolve(DimArgument { .. })],
        File("err_wrt_expression.grad") => [Resolve(WrtNotVariable { .. })],
        File("err_point_not_named.grad") => [Resolve(PointNotNamed { .. })],
        File("err_grad_of_nonscalar.grad") => [Resolve(GradNonScalar { .. })],
        File("err_jac_of_nonvector.grad") => [Resolve(JacNonVector { .. })],
        File("err_jac_wrt_matrix.grad") => [Resolve(JacWrtNonVector { .. })],
        File("err_hess_of_nonscalar.grad") => [Resolve(HessNonScalar { .. })],
        File("err_hess_wrt_matrix.grad") => [Resolve(HessWrtNonVector { .. })],
        File("err_d_of_nonscalar.grad") => [Resolve(DNonScalar { .. })],
        File("err_many_errors.grad") => [
            Resolve(MulShapes { .. }),
            Resolve(Broadcast { subtract: false, .. }),
            Resolve(GradNonScalar { .. }),
            Resolve(UnknownName { .. }),
        ],
        File("plot_err_nonscalar.grad") => [Resolve(PlotNonScalar { .. }), Resolve(PlotNonScalar { .. })],
        File("plot_err_constant.grad") => [Resolve(PlotConstant { .. })],
        File("plot_err_empty_range.grad") => [
            Resolve(PlotEmptyRange { from: 5, to: 3, .. }),
            Resolve(PlotEndNotInteger { .. }),
            Resolve(PlotEndNotInteger { .. }),
            Resolve(PlotEndNotInteger { .. }),
            Resolve(PlotTooManyLengths { from: 1, to: 5000, .. }),
            Resolve(PlotTooManySteps { steps: 320400, .. }),
            Resolve(PlotTooLong { .. }),
            Resolve(PlotTooLong { .. }),
        ],
        File("err_plot_too_long.grad") => [Resolve(PlotTooLong { .. })],
        File("err_plot_too_many_steps.grad") => [Resolve(PlotTooManySteps { steps: 500500, .. })],
        File("err_stack_columns.grad") => [Resolve(StackColumns { index: 2, .. })],
        File("err_stack_shape_sum.grad") => [Resolve(MulShapes { .. })],
        File("err_dim_sum_too_complex.grad") => [Resolve(DimSumTooComplex { most: 4, .. })],
        File("plot_err_unknown_length.grad") => [
            Resolve(PlotUnknownLength { .. }),
            Resolve(PlotUnknownLength { .. }),
            Resolve(PlotNotLength { .. }),
            Resolve(PlotFixedLength { value: 4, .. }),
        ],
    ]
}

/// Resolve errors that no text reaches (the grammar and the parser reject
/// these inputs first); `resolve`'s unit tests build their syntax trees.
const UNREACHABLE_FROM_TEXT: [&str; 3] = ["EmptyLiteral", "RaggedLiteral", "LiteralTooLarge"];

fn case_name(input: &Input, index: usize) -> String {
    match input {
        Input::File(name) => name.to_string(),
        Input::Text(_) => format!("generated_{index}.grad"),
    }
}

#[test]
fn every_error_input_has_its_kinds() {
    let mut failures = Vec::new();
    for (index, (input, check, kinds)) in cases().iter().enumerate() {
        let name = case_name(input, index);
        let bytes = match input {
            Input::File(f) => {
                std::fs::read(format!("{}/tests/inputs/{f}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap_or_else(|e| panic!("{f}: {e}"))
            }
            Input::Text(make) => make().into_bytes(),
        };
        let errors = match gradproof::load_typed(&name, &bytes) {
            Ok(_) => panic!("{name} should be rejected"),
            Err(es) => es,
        };
        if !check(&errors) {
            failures.push(format!("{name}: expected {kinds}, got {errors:#?}"));
        }
        // The typed errors render to exactly what `load` reports.
        let diags: Vec<Diagnostic> = errors.iter().cloned().map(Diagnostic::from).collect();
        assert_eq!(gradproof::load(&name, &bytes).unwrap_err(), diags, "{name}");
        for (e, d) in errors.iter().zip(&diags) {
            assert_eq!(e.span(), d.span, "{name}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The variant names of `enum NAME` in a source file.
fn variants(file: &str, name: &str) -> Vec<String> {
    let src = std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let body = &src[src.find(&format!("pub enum {name} {{")).unwrap()..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .filter_map(|l| l.trim().split([' ', '{', '(', ',']).next())
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_error_kind_has_an_input() {
    let cases = cases();
    let written: BTreeSet<&str> = cases
        .iter()
        .flat_map(|(_, _, kinds)| kinds.split(|c: char| !c.is_alphanumeric() && c != '_'))
        .collect();
    let syntax = variants("src/syntax/error.rs", "SyntaxError");
    let resolve = variants("src/resolve/error.rs", "ResolveError");
    assert!(
        syntax.len() > 20 && resolve.len() > 80,
        "{syntax:?} {resolve:?}"
    );
    let missing: Vec<&String> = syntax
        .iter()
        .chain(&resolve)
        .filter(|v| !written.contains(v.as_str()) && !UNREACHABLE_FROM_TEXT.contains(&v.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "error kinds without an input: {missing:?}"
    );
    // Every `err_*.grad` file is a case.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let listed: BTreeSet<String> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| case_name(&c.0, i))
        .collect();
    for entry in std::fs::read_dir(dir).unwrap() {
        let f = entry.unwrap().file_name().into_string().unwrap();
        if f.starts_with("err_") && f.ends_with(".grad") {
            assert!(listed.contains(&f), "{f} is not in cases()");
        }
    }
}

/// The first line of each report, for inputs too large to snapshot whole.
fn messages(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| d.message.clone()).collect()
}

#[test]
fn hostile_deep_parentheses() {
    let n = 100_000;
    let src = format!("var x: scalar\nshow {}x{}\n", "(".repeat(n), ")".repeat(n));
    let (_, diags) = reject("deep_parens.grad", src.as_bytes());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].span.line_col(&src).0, 2);
}

#[test]
fn hostile_many_unary_minus() {
    let src = format!("var x: scalar\nshow {}x\n", "-".repeat(100_000));
    let (_, diags) = reject("many_minus.grad", src.as_bytes());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].span.line_col(&src).0, 2);
}

#[test]
fn long_flat_sum_loads() {
    // A generated 200,000-term sum is valid input, not a hostile one.
    let terms = vec!["x"; 200_000].join(" + ");
    let src = format!("var x: scalar\nshow {terms}\n");
    let (_, prog) = gradproof::load("long_sum.grad", src.as_bytes()).unwrap();
    assert_eq!(prog.work.len(), 1);
}

#[test]
fn hostile_megabyte_name() {
    let src = format!("var x: scalar\nshow x + {}\n", "y".repeat(1 << 20));
    let (text, diags) = reject("long_line.grad", src.as_bytes());
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.len() < 200, "{}", diags[0].message);
    assert!(
        text.starts_with("error: unknown name `yyy"),
        "{}",
        &text[..200]
    );
    // The megabyte line is shown as a window around the error.
    assert!(text.len() < 1000, "{} bytes of report", text.len());
    assert!(text.contains("long_line.grad:2:10 ]"), "{text}");
}

#[test]
fn megabyte_comment_line_is_fine() {
    let src = format!("# {}\nvar x: scalar\nshow x\n", "z".repeat(1 << 20));
    let (text, prog) = gradproof::load("long_comment.grad", src.as_bytes()).unwrap();
    assert_eq!(text, src);
    assert_eq!(prog.work[0].line, 3);
}

#[test]
fn thousand_digit_number_loads_exactly() {
    let digits = "7".repeat(1000);
    let src = format!("var x: scalar\nshow x + {digits}\n");
    let (_, prog) = gradproof::load("big_number.grad", src.as_bytes()).unwrap();
    let gradproof::ir::WorkKind::Show(e) = &prog.work[0].kind else {
        panic!("expected show");
    };
    let gradproof::ir::Op::Num(r) = &e.args[1].op else {
        panic!("expected a number, got {:?}", e.args[1].op);
    };
    assert_eq!(r.to_string(), digits);
}

#[test]
fn all_errors_are_collected() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/inputs/err_many_errors.grad"
    ))
    .unwrap();
    let (_, diags) = reject("err_many_errors.grad", &bytes);
    assert_eq!(
        messages(&diags),
        [
            "cannot multiply mat[m, n] by mat[m, n]: inner dimensions n and m differ",
            "cannot add vec[n] and scalar: the shapes differ",
            "grad needs a scalar function; W x is vec[m], use jac",
            "unknown name `r`",
        ]
    );
}

/// `GRADPROOF_SHARED`, else `../shared` next to the crate.
fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("GRADPROOF_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    };
    dir.join("examples").is_dir().then_some(dir)
}

/// Snapshots the resolved, shape-annotated program of every `.grad` file in
/// `dir`, named `{prefix}{stem}`.
fn dump_examples(dir: &std::path::Path, prefix: &str) {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "grad"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    with_snapshots!({
        for path in &paths {
            let name = path.file_name().unwrap().to_str().unwrap();
            let bytes = std::fs::read(path).unwrap();
            let prog = match gradproof::load(name, &bytes) {
                Ok((_, prog)) => prog,
                Err(diags) => {
                    let src = String::from_utf8_lossy(&bytes);
                    panic!("{}", diagnostics::render(name, &src, &diags));
                }
            };
            let stem = path.file_stem().unwrap().to_str().unwrap();
            insta::assert_snapshot!(format!("{prefix}{stem}"), gradproof::resolve::dump(&prog));
        }
    });
}

#[test]
fn example_dumps() {
    let Some(dir) = shared_dir() else {
        eprintln!("note: no shared examples directory (set GRADPROOF_SHARED); skipping");
        return;
    };
    dump_examples(&dir.join("examples"), "dump_");
}

#[test]
fn project_example_dumps() {
    dump_examples(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples"),
        "dump_project_",
    );
}

#[test]
fn long_line_error_shows_a_window_with_the_real_column() {
    let terms = vec!["x"; 100].join(" + ");
    let src = format!("var x: scalar\nshow {terms} + q + x\n");
    let (text, _) = reject("wide.grad", src.as_bytes());
    with_snapshots!({
        insta::assert_snapshot!("long_line_window", text);
    });
}
