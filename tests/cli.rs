//! The command line as a user meets it: exit codes, inputs (files, `-`,
//! folders), formats (JSON Lines validated against
//! `tests/results.schema.json`), `--quiet`, `--color`, the total line, the
//! refusal of text that is not a `.grad` file, and a closed pipe.

mod common;
use common::{shared_examples, snapshot_settings};

use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gradproof"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR");
    c
}

/// `check` writes the pictures of `plot` statements into a temporary
/// folder of this test run, never into the working tree.
fn with_plot_dir(args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    if v.first().is_some_and(|a| a == "check") {
        let dir = std::env::temp_dir().join(format!("gradproof-cli-{}-plots", std::process::id()));
        v.insert(1, "--plot-dir".into());
        v.insert(2, dir.to_string_lossy().into_owned());
    }
    v
}

fn finish(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn gradproof(args: &[&str]) -> (i32, String, String) {
    finish(bin().args(with_plot_dir(args)).output().unwrap())
}

/// Runs with `input` on standard input.
fn gradproof_stdin(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = bin()
        .args(with_plot_dir(args))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    finish(child.wait_with_output().unwrap())
}

/// A fresh temporary folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gradproof-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `src` to a fresh temporary file and returns its path.
fn source_file(name: &str, src: &str) -> String {
    let f = temp_dir(name).join(format!("{name}.grad"));
    std::fs::write(&f, src).unwrap();
    f.to_str().unwrap().to_string()
}

fn check_source(name: &str, src: &str) -> (i32, String, String) {
    gradproof(&["check", &source_file(name, src)])
}

/// Parses JSON Lines output: every line one compact object, nothing else.
fn json_lines(out: &str) -> Vec<Value> {
    assert!(out.ends_with('\n'), "output does not end a line: {out:?}");
    out.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert!(v.is_object(), "{l}");
            assert_eq!(serde_json::to_string(&v).unwrap(), l, "not compact");
            v
        })
        .collect()
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or("")
}

const BAD: &str = "dim n, m\nvar W: mat[m, n]\nvar x: vec[m]\nlet z = W x\n";

// ------------------------------------------------------------ exit codes

#[test]
fn exit_codes_are_the_worst_of_the_inputs() {
    let met = "examples/q2_relu_xor.grad";
    let unmet = "tests/inputs/cli_unmet.grad";
    let bad = source_file("exit_bad", BAD);
    let cases: [(&[&str], i32); 7] = [
        (&[met], 0),
        (&[unmet], 1),
        (&[met, unmet], 1),
        (&[&bad], 2),
        (&[unmet, &bad], 2),
        (&[&bad, met], 2),
        (&["no/such/file.grad", met], 2),
    ];
    for (files, code) in cases {
        for format in ["text", "json"] {
            let mut args = vec!["check", "--format", format];
            args.extend(files);
            let (got, out, err) = gradproof(&args);
            assert_eq!(got, code, "{args:?}\n{out}{err}");
        }
    }
}

#[test]
fn unmet_expectation_exits_one() {
    let (code, out, _) = check_source("wrong", "var a, b: scalar\nclaim (a + b)^2 = a^2 + b^2\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("refuted (expected to hold)"), "{out}");
    assert_eq!(last_line(&out), "0/1 claims met their expectation");
}

#[test]
fn malformed_input_exits_two_with_position() {
    let (code, out, err) = check_source("bad", BAD);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.ends_with("\n0/0 claims met their expectation; 1 input error\n"),
        "{out}"
    );
    assert!(err.contains("bad.grad:4:9"), "{err}");
    assert!(err.contains("mat[m, n]") && err.contains("vec[m]"), "{err}");
}

/// An input error stops only its statement: the other statements are
/// checked and reported (text on standard output, the errors on standard
/// error; JSON with the errors among the verdicts in line order), each
/// error is reported once, and the exit code is 2.
#[test]
fn statement_errors_stop_only_their_statements() {
    for name in [
        "stmt_errors_chain",
        "stmt_errors_cascade",
        "stmt_errors_syntax",
    ] {
        let f = format!("tests/inputs/{name}.grad");
        let (code, out, err) = gradproof(&["check", &f]);
        assert_eq!(code, 2, "{out}{err}");
        let (jcode, json, _) = gradproof(&["check", "--format", "json", &f]);
        assert_eq!(jcode, 2, "{json}");
        let text = format!("--- stdout\n{out}--- stderr\n{err}--- json\n{json}");
        snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
    }
}

#[test]
fn missing_file_exits_two() {
    let (code, out, err) = gradproof(&["check", "no/such/file.grad"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.starts_with("error: cannot read no/such/file.grad: "),
        "{err}"
    );
}

#[test]
fn same_seed_same_bytes() {
    let args = [
        "check",
        "--seed",
        "7",
        "examples/q3_softmax_derivation.grad",
    ];
    assert_eq!(gradproof(&args), gradproof(&args));
    let json = ["check", "--format", "json", "--seed", "7", "examples"];
    assert_eq!(gradproof(&json), gradproof(&json));
}

// ------------------------------------------------------------ JSON Lines

#[test]
fn json_is_one_compact_object_per_file_per_line() {
    let files = [
        "examples/q2_relu_xor.grad",
        "examples/q3_backprop.grad",
        "tests/inputs/cli_unmet.grad",
    ];
    let mut args = vec!["check", "--format", "json"];
    args.extend(files);
    let (code, out, err) = gradproof(&args);
    assert_eq!(code, 1, "{err}");
    let lines = json_lines(&out);
    let names: Vec<&str> = lines.iter().map(|v| v["file"].as_str().unwrap()).collect();
    assert_eq!(names, files);
    // The two examples meet every claim; the third misses one of four.
    for v in &lines[..2] {
        assert_eq!(v["summary"]["met"], v["summary"]["total"], "{v}");
    }
    assert_eq!(lines[2]["summary"]["met"], 3);
    assert_eq!(lines[2]["summary"]["total"], 4);
}

#[test]
fn json_input_errors_are_results_with_line_and_col() {
    let bad = source_file("json_bad", BAD);
    let (code, out, err) = gradproof(&[
        "check",
        "--format",
        "json",
        &bad,
        "examples/q2_relu_xor.grad",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        lines[0],
        json!({"file": bad, "results": [{"kind": "error", "line": 4, "col": 9,
            "message": "cannot multiply mat[m, n] by vec[m]: inner dimensions n and m differ",
            "label": "mat[m, n] times vec[m]"}],
            "summary": {"met": 0, "total": 0,
                "derived": {"total": 0, "proved": 0, "checked": 0, "refuted": 0, "unknown": 0},
                "errors": 1, "internal_errors": []}})
    );
    assert_eq!(lines[1]["file"], "examples/q2_relu_xor.grad");
    // People still get the underlined report.
    assert!(err.contains(&format!("{bad}:4:9")), "{err}");
}

#[test]
fn json_column_counts_characters() {
    // `δ` and `∘` are two and three bytes: the column is in characters.
    let (code, out, _) = gradproof_stdin(
        &["check", "--format", "json", "-"],
        "var δ: scalar\nshow δ ∘ δ + y\n",
    );
    assert_eq!(code, 2);
    let v = &json_lines(&out)[0]["results"][0];
    assert_eq!(
        (v["line"].clone(), v["col"].clone()),
        (json!(2), json!(14)),
        "{v}"
    );
}

#[test]
fn json_unreadable_input_has_a_line_without_position() {
    let (code, out, _) = gradproof(&["check", "--format", "json", "no/such/file.grad"]);
    assert_eq!(code, 2);
    let v = &json_lines(&out)[0];
    assert_eq!(v["file"], "no/such/file.grad");
    let r = &v["results"][0];
    assert_eq!(r["kind"], "error");
    assert_eq!(
        (r["line"].clone(), r["col"].clone()),
        (Value::Null, Value::Null)
    );
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot read no/such/file.grad: "),
        "{r}"
    );
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn claims_carry_their_source_text() {
    let (code, out, err) =
        gradproof(&["check", "--format", "json", "tests/inputs/cli_claims.grad"]);
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    // Only what the source says: independent of how the claims are decided.
    let quoted: Vec<Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "claim")
        .map(|r| {
            let steps: Vec<Value> = r["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    json!({"line": s["line"], "text": s["text"], "lhs": s["lhs"],
                        "relation": s["relation"], "rhs": s["rhs"]})
                })
                .collect();
            json!({"line": r["line"], "name": r["name"], "text": r["text"],
                "lhs": r["lhs"], "rhs": r["rhs"], "steps": steps})
        })
        .collect();
    let text = serde_json::to_string_pretty(&quoted).unwrap();
    snapshot_settings().bind(|| insta::assert_snapshot!("cli_claim_texts", text));
}

#[test]
fn adjoints_are_listed_once_per_derive() {
    let (_, out, _) = gradproof(&["check", "--format", "json", "examples/q3_backprop.grad"]);
    let v = &json_lines(&out)[0];
    let results = v["results"].as_array().unwrap();
    let adjoints: Vec<&Value> = results.iter().filter(|r| r["kind"] == "adjoints").collect();
    assert_eq!(adjoints.len(), 1, "{v}");
    assert_eq!(adjoints[0]["line"], 17);
    let names: Vec<&Value> = adjoints[0]["adjoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["name"])
        .collect();
    assert_eq!(names, [&json!("delta1"), &json!("delta2")]);
    let derived: Vec<&Value> = results.iter().filter(|r| r["kind"] == "derive").collect();
    assert_eq!(derived.len(), 4);
    assert!(
        derived
            .iter()
            .all(|r| r.get("adjoints").is_none() && r["line"] == 17)
    );
    // The adjoints come right before the results they name.
    let first_derive = results.iter().position(|r| r["kind"] == "derive").unwrap();
    assert_eq!(results[first_derive - 1]["kind"], "adjoints");
}

// ------------------------------------------------------------ summaries

#[test]
fn summary_counts_derived_results_that_are_not_cross_checked() {
    let f = "tests/inputs/cli_derive_unknown.grad";
    let (code, out, err) = gradproof(&["check", f]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        last_line(&out),
        "1/1 claims met their expectation; 3 derived results: 2 checked, 1 unknown"
    );
    let (_, out, _) = gradproof(&["check", "--format", "json", f]);
    assert_eq!(
        json_lines(&out)[0]["summary"],
        json!({"met": 1, "total": 1,
            "derived": {"total": 3, "proved": 0, "checked": 2, "refuted": 0, "unknown": 1},
            "errors": 0, "internal_errors": []})
    );
}

#[test]
fn a_result_that_cannot_be_derived_is_not_its_own_answer() {
    let f = "tests/inputs/cli_derive_not_derived.grad";
    let (code, out, err) = gradproof(&["check", f]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("    ∂J/∂vc: not derived\n"), "{out}");
    assert!(!out.contains("= grad(J, vc)"), "{out}");
    assert_eq!(
        last_line(&out),
        "1/1 claims met their expectation; 1 derived result: 1 unknown"
    );
    let (code, out, _) = gradproof(&["check", "--format", "json", f]);
    assert_eq!(code, 1);
    let derive = &json_lines(&out)[0]["results"][0];
    assert_eq!(derive["result"], Value::Null);
    assert_eq!(derive["verdict"], "unknown");
}

#[test]
fn a_file_without_claims_is_not_summarised_as_zero_of_zero() {
    let (code, out, _) = gradproof(&["check", "tests/inputs/cli_derive_only.grad"]);
    assert_eq!(code, 0);
    assert_eq!(last_line(&out), "no claims; 2 derived results: 2 checked");
    let (_, out, _) = check_source("show_only", "var x: scalar\nshow x + x\n");
    assert_eq!(last_line(&out), "0/0 claims met their expectation");
}

#[test]
fn a_total_line_follows_several_files() {
    let files = [
        "tests/inputs/cli_derive_unknown.grad",
        "tests/inputs/cli_derive_only.grad",
        "tests/inputs/cli_unmet.grad",
    ];
    let mut args = vec!["check"];
    args.extend(files);
    let (code, out, _) = gradproof(&args);
    assert_eq!(code, 1);
    assert_eq!(
        last_line(&out),
        "3 files: 4/5 claims met their expectation; 5 derived results: 4 checked, 1 unknown"
    );
    // One file: its own summary is the last line.
    let (_, out, _) = gradproof(&["check", files[2]]);
    assert_eq!(last_line(&out), "3/4 claims met their expectation");
    // Files with input errors are counted.
    let bad = source_file("total_bad", BAD);
    let (code, out, _) = gradproof(&["check", files[1], &bad, "no/such/file.grad"]);
    assert_eq!(code, 2);
    assert_eq!(
        last_line(&out),
        "3 files: no claims; 2 derived results: 2 checked; 2 files with input errors"
    );
    // LaTeX: as a comment; JSON Lines: no line that is not a file's object.
    let (_, out, _) = gradproof(&["check", "--format", "latex", files[0], files[2]]);
    assert_eq!(
        last_line(&out),
        "% 2 files: 4/5 claims met their expectation; 3 derived results: 2 checked, 1 unknown"
    );
    let mut args = vec!["check", "--format", "json"];
    args.extend(files);
    let (_, out, _) = gradproof(&args);
    assert_eq!(json_lines(&out).len(), 3);
}

// ------------------------------------------------------------ inputs

#[test]
fn dash_reads_standard_input() {
    let src = "var a: scalar\nclaim a + a = 2 a\n";
    let (code, out, err) = gradproof_stdin(&["check", "-"], src);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<stdin>\n2: claim a + a = 2 a\n"), "{out}");
    let (code, out, _) = gradproof_stdin(&["check", "--format", "json", "-"], src);
    assert_eq!(code, 0);
    let v = &json_lines(&out)[0];
    assert_eq!(v["file"], "<stdin>");
    assert_eq!(v["results"][0]["text"], "a + a = 2 a");
    // Errors name standard input too.
    let (code, _, err) = gradproof_stdin(&["check", "-"], BAD);
    assert_eq!(code, 2);
    assert!(err.contains("<stdin>:4:9"), "{err}");
}

#[test]
fn a_folder_checks_its_grad_files_in_name_order() {
    let dir = temp_dir("folder");
    std::fs::write(dir.join("b.grad"), "var a: scalar\nclaim a = a\n").unwrap();
    std::fs::write(dir.join("a.grad"), "var a: scalar\nclaim a - a = 0\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not a program").unwrap();
    std::fs::create_dir_all(dir.join("sub.grad")).unwrap();
    std::fs::write(dir.join("sub.grad").join("c.grad"), "bogus").unwrap();
    let d = dir.to_str().unwrap();
    let (code, out, err) = gradproof(&["check", "--format", "json", d]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = json_lines(&out)
        .iter()
        .map(|v| v["file"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = ["a.grad", "b.grad"]
        .iter()
        .map(|n| dir.join(n).to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, expected);
    let (_, out, _) = gradproof(&["check", d]);
    assert_eq!(last_line(&out), "2 files: 2/2 claims met their expectation");
    // A folder without `.grad` files is an input error.
    let empty = temp_dir("empty_folder");
    let e = empty.to_str().unwrap();
    let (code, out, err) = gradproof(&["check", e]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(err, format!("error: {e} is a folder without .grad files\n"));
}

// ------------------------------------------------------------ --quiet

#[test]
fn quiet_prints_only_what_missed_and_the_totals() {
    let f = "tests/inputs/cli_unmet.grad";
    let (code, out, _) = gradproof(&["check", "--quiet", f]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], format!("{f}:6: claim (a - b)^2 = a^2 + b^2"));
    assert!(
        lines[1].starts_with("    refuted (expected to hold): counterexample: "),
        "{out}"
    );
    assert_eq!(lines[2], format!("{f}: 3/4 claims met their expectation"));
    // Everything met: one line per file, then the total.
    let (code, out, _) = gradproof(&[
        "check",
        "-q",
        "examples/q2_relu_xor.grad",
        "tests/inputs/cli_derive_unknown.grad",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "examples/q2_relu_xor.grad: 5/5 claims met their expectation\n\
         tests/inputs/cli_derive_unknown.grad:8: derive J wrt x\n\
         \x20   ∂J/∂x = J (exp(30 + x^2) (x 2))\n\
         \x20   unknown: no sample point could be evaluated (undefined: exp overflows)\n\
         tests/inputs/cli_derive_unknown.grad: 1/1 claims met their expectation; 3 derived results: 2 checked, 1 unknown\n\
         2 files: 6/6 claims met their expectation; 3 derived results: 2 checked, 1 unknown\n"
    );
    // JSON: only the missed claim among the results; the summary counts all.
    let (_, out, _) = gradproof(&["check", "--format", "json", "-q", f]);
    let v = &json_lines(&out)[0];
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{v}");
    assert_eq!(results[0]["line"], 6);
    assert_eq!(results[0]["met"], false);
    assert_eq!(v["summary"]["total"], 4);
}

// ------------------------------------------------------------ --color

#[test]
fn color_never_and_by_default_off_a_terminal() {
    let bad = source_file("color_bad", BAD);
    for extra in [&["--color", "never"][..], &[], &["--color", "auto"]] {
        let mut args = vec!["check"];
        args.extend(extra);
        args.extend(["tests/inputs/cli_unmet.grad", &bad]);
        let (code, out, err) = gradproof(&args);
        assert_eq!(code, 2);
        assert!(!out.contains('\x1b') && !err.contains('\x1b'), "{out}{err}");
        assert!(err.starts_with("error: cannot multiply"), "{err}");
    }
}

#[test]
fn color_always_paints_verdict_words_and_diagnostics() {
    let bad = source_file("color_always_bad", BAD);
    let (_, out, err) = gradproof(&[
        "check",
        "--color",
        "always",
        "tests/inputs/cli_unmet.grad",
        &bad,
    ]);
    assert!(
        out.contains("    \x1b[32mproved\x1b[0m: "),
        "a met claim is green: {out}"
    );
    assert!(
        out.contains("    \x1b[32mrefuted (as expected)\x1b[0m: "),
        "{out}"
    );
    assert!(
        out.contains("    \x1b[31mrefuted (expected to hold)\x1b[0m: "),
        "{out}"
    );
    // Only the verdict words: the statement lines and summaries stay plain.
    assert!(out.contains("\n6: claim (a - b)^2 = a^2 + b^2\n"), "{out}");
    assert!(
        out.contains("\n3/4 claims met their expectation\n"),
        "{out}"
    );
    assert!(
        err.starts_with("\x1b[31merror:\x1b[0m cannot multiply"),
        "{err:?}"
    );
    assert!(err.contains(&format!("{bad}:4:9")), "{err:?}");
    // JSON is never painted.
    let (_, out, _) = gradproof(&[
        "check",
        "--color",
        "always",
        "--format",
        "json",
        "tests/inputs/cli_unmet.grad",
    ]);
    assert!(!out.contains('\x1b'), "{out}");
}

// ------------------------------------------------------------ refusal

/// The underlined reports on standard error: one `error:` header each.
fn error_headers(err: &str) -> usize {
    err.lines().filter(|l| l.starts_with("error: ")).count()
}

#[test]
fn text_that_is_not_grad_is_refused_after_five_errors() {
    let (code, _, err) = gradproof(&["check", "tests/inputs/cli_six_errors.grad"]);
    assert_eq!(code, 2);
    assert_eq!(error_headers(&err), 5, "{err}");
    assert_eq!(
        last_line(&err),
        "tests/inputs/cli_six_errors.grad: stopped after 5 errors; is this a .grad file?"
    );
    snapshot_settings().bind(|| insta::assert_snapshot!("cli_six_errors_stderr", err));
    // Five errors are all shown, without the question.
    let (code, _, err) = gradproof(&["check", "tests/inputs/cli_five_errors.grad"]);
    assert_eq!(code, 2);
    assert_eq!(error_headers(&err), 5, "{err}");
    assert!(!err.contains("stopped after"), "{err}");
    // The README has dozens of errors: five boxes and one line.
    let (code, out, err) = gradproof(&["check", "README.md"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(error_headers(&err), 5);
    assert_eq!(
        last_line(&err),
        "README.md: stopped after 5 errors; is this a .grad file?"
    );
    assert!(err.lines().count() < 60, "{err}");
    // JSON lists the first five and counts them all.
    let (_, out, _) = gradproof(&[
        "check",
        "--format",
        "json",
        "tests/inputs/cli_six_errors.grad",
    ]);
    let v = &json_lines(&out)[0];
    assert_eq!(v["results"].as_array().unwrap().len(), 5);
    assert_eq!(v["summary"]["errors"], 6);
}

// ------------------------------------------------------------ closed pipe

/// Runs with standard output a pipe whose reading end is closed at once,
/// as `gradproof check … | head -0` does.
fn with_closed_stdout(args: &[&str]) -> (i32, String) {
    let mut child = bin()
        .args(with_plot_dir(args))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    for format in ["text", "json", "latex"] {
        let (code, err) = with_closed_stdout(&["check", "--format", format, "examples"]);
        assert_eq!((code, err.as_str()), (0, ""), "{format}");
        // The exit code still reports what was checked before the pipe closed.
        let (code, err) = with_closed_stdout(&[
            "check",
            "--format",
            format,
            "tests/inputs/cli_unmet.grad",
            "examples",
        ]);
        assert_eq!((code, err.as_str()), (1, ""), "{format}");
    }
}

// ------------------------------------------------------------ the schema

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/results.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, v: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", v["file"]);
}

#[test]
fn every_json_output_matches_the_schema() {
    let validator = schema();
    let mut runs: Vec<Vec<String>> = vec![
        vec!["examples".into()],
        vec!["--explain".into(), "examples".into()],
        vec!["--quiet".into(), "tests/inputs/cli_unmet.grad".into()],
        vec!["no/such/file.grad".into(), "README.md".into()],
    ];
    let inputs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let mut files: Vec<String> = std::fs::read_dir(&inputs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "grad"))
        .map(|p| format!("tests/inputs/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    runs.push(files);
    match shared_examples() {
        Some(dir) => runs.push(vec![dir.to_string_lossy().into_owned()]),
        None => eprintln!("../shared/examples is not beside this clone; skipped"),
    }
    let mut seen = 0;
    for run in &runs {
        let mut args = vec!["check", "--format", "json"];
        args.extend(run.iter().map(String::as_str));
        let (_, out, _) = gradproof(&args);
        for v in json_lines(&out) {
            assert_valid(&validator, &v);
            seen += 1;
        }
    }
    assert!(seen >= 30, "only {seen} objects validated");
    let (_, out, _) = gradproof_stdin(&["check", "--format", "json", "-"], BAD);
    assert_valid(&validator, &json_lines(&out)[0]);
}

/// A change to a valid output object.
type Mutation = fn(&mut Value);

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    let validator = schema();
    let (_, out, _) = gradproof(&["check", "--format", "json", "tests/inputs/cli_unmet.grad"]);
    let good = json_lines(&out).remove(0);
    assert_valid(&validator, &good);
    let mutations: [(&str, Mutation); 6] = [
        ("claim without text", |v| {
            v["results"][0].as_object_mut().unwrap().remove("text");
        }),
        ("unknown verdict", |v| {
            v["results"][0]["verdict"] = json!("maybe")
        }),
        ("step without rhs", |v| {
            v["results"][0]["steps"][0]
                .as_object_mut()
                .unwrap()
                .remove("rhs");
        }),
        ("no summary", |v| {
            v.as_object_mut().unwrap().remove("summary");
        }),
        (
            "error at line 0",
            |v| v["results"][0] = json!({"kind": "error", "line": 0, "col": 1, "message": "x"}),
        ),
        ("unknown kind", |v| v["results"][0]["kind"] = json!("lemma")),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(!validator.is_valid(&bad), "{what} passed the schema");
    }
}

/// The course tooling reads the output as concatenated objects.
#[test]
fn verdicts_script_reads_json_lines() {
    let Some(dir) = shared_examples() else {
        eprintln!("../shared/examples is not beside this clone; skipped");
        return;
    };
    let script = dir.join("../tools/verdicts.py");
    if !script.is_file() || Command::new("python3").arg("--version").output().is_err() {
        eprintln!("{} or python3 is missing; skipped", script.display());
        return;
    }
    let d = dir.to_string_lossy().into_owned();
    let (code, out, _) = gradproof(&["check", "--format", "json", &d]);
    assert_eq!(code, 0);
    let (met, total) = json_lines(&out).iter().fold((0, 0), |(m, t), v| {
        (
            m + v["summary"]["met"].as_u64().unwrap(),
            t + v["summary"]["total"].as_u64().unwrap(),
        )
    });
    assert_eq!(met, total);
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(out.as_bytes())
        .unwrap();
    let (code, report, _) = finish(child.wait_with_output().unwrap());
    assert_eq!(report, format!("met {met}/{total} claims\n"));
    assert_eq!(code, 0);
}

// ------------------------------------------------------------ numbers

#[test]
fn huge_literals_stay_exact_and_overflow_is_not_a_counterexample() {
    let big = "7".repeat(1000);
    let (code, out, err) = check_source(
        "big",
        &format!(
            "var x: scalar\nclaim x + {big} = {big} + x\nclaim exp(1000 + x^2) = exp(x^2 + 1000)\n"
        ),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("internal error"), "{out}");
    assert!(
        out.contains("confirmed at 40 sampled points (exact rational arithmetic)"),
        "{out}"
    );
    // exp(1000) overflows float64 but not the certified arithmetic: the
    // proof is confirmed numerically, and certainly not contradicted.
    assert!(out.contains("sampled points (ball arithmetic"), "{out}");
}
