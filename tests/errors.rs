//! Malformed input: every `tests/inputs/err_*.grad` must be rejected with a
//! report that points at `FILE:LINE:COL`; the rendered reports are
//! snapshots. Hostile inputs (huge or deeply nested) are generated here at
//! run time. The acceptance examples' resolved programs are snapshots too.

use gradproof::diagnostics::{self, Diagnostic};
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
fn hostile_long_sum() {
    let terms = vec!["x"; 200_000].join(" + ");
    let src = format!("var x: scalar\nshow {terms}\n");
    let (_, diags) = reject("long_sum.grad", src.as_bytes());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].span.line_col(&src).0, 2);
}

#[test]
fn hostile_megabyte_name() {
    let src = format!("var x: scalar\nshow x + {}\n", "y".repeat(1 << 20));
    let (text, diags) = reject("long_line.grad", src.as_bytes());
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.len() < 200, "{}", diags[0].message);
    assert!(
        text.starts_with("error: this statement is 1048585 bytes long"),
        "{}",
        &text[..200]
    );
    // The megabyte line is shown as a window around the error.
    assert!(text.len() < 1000, "{} bytes of report", text.len());
    assert!(text.contains("long_line.grad:2:1 ]"), "{text}");
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
