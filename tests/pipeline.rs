//! End-to-end: every example file through the whole pipeline, with the exact
//! text and JSON output kept as reviewed snapshots, and the acceptance rule
//! that every claim meets its expectation.

mod common;
use common::{shared_examples, snapshot_settings};

use gradproof::check::{self, Options};
use gradproof::render::{self, Format};
use std::path::{Path, PathBuf};

fn run(path: &Path, display: &str, format: Format) -> (String, bool) {
    run_seeded(path, display, format, 0)
}

fn run_seeded(path: &Path, display: &str, format: Format, seed: u64) -> (String, bool) {
    let bytes = std::fs::read(path).unwrap();
    let (src, prog) = match gradproof::load(display, &bytes) {
        Ok(p) => p,
        Err(d) => panic!(
            "{display} does not load:\n{}",
            gradproof::diagnostics::render(display, &String::from_utf8_lossy(&bytes), &d)
        ),
    };
    let opts = Options {
        seed,
        ..Options::default()
    };
    let report = check::check_program(display, &src, &prog, &opts);
    (
        render::render(&prog, &src, &report, format),
        report.any_unmet(),
    )
}

fn grad_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "grad"))
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn project_examples_text_and_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let settings = snapshot_settings();
    for f in grad_files(&dir) {
        let display = format!("examples/{}", name(&f));
        let (text, unmet) = run(&f, &display, Format::Text);
        assert!(!unmet, "{display}: a claim missed its expectation:\n{text}");
        settings.bind(|| insta::assert_snapshot!(format!("text@{}", name(&f)), text));
        let (json, _) = run(&f, &display, Format::Json);
        settings.bind(|| insta::assert_snapshot!(format!("json@{}", name(&f)), json));
    }
}

/// The course derivations in `examples/course/`: every claim meets its
/// expectation at seeds 0..10, each file refutes at least one typical
/// mistake, and the text and JSON output at seed 0 are reviewed snapshots.
#[test]
fn course_examples_text_and_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/course");
    let files = grad_files(&dir);
    assert!(
        files.len() >= 12,
        "examples/course/ holds {} files",
        files.len()
    );
    let settings = snapshot_settings();
    for f in files {
        let display = format!("examples/course/{}", name(&f));
        for seed in 1..10 {
            let (text, unmet) = run_seeded(&f, &display, Format::Text, seed);
            assert!(
                !unmet,
                "{display} at seed {seed}: a claim missed its expectation:\n{text}"
            );
        }
        let (text, unmet) = run(&f, &display, Format::Text);
        assert!(!unmet, "{display}: a claim missed its expectation:\n{text}");
        assert!(
            text.contains("refuted (as expected)"),
            "{display}: no typical mistake is refuted"
        );
        settings.bind(|| insta::assert_snapshot!(format!("course_text@{}", name(&f)), text));
        let (json, _) = run(&f, &display, Format::Json);
        settings.bind(|| insta::assert_snapshot!(format!("course_json@{}", name(&f)), json));
    }
}

#[test]
fn project_examples_latex() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let settings = snapshot_settings();
    for f in grad_files(&dir) {
        let display = format!("examples/{}", name(&f));
        let (latex, _) = run(&f, &display, Format::Latex);
        settings.bind(|| insta::assert_snapshot!(format!("latex@{}", name(&f)), latex));
    }
}

#[test]
fn shared_examples_meet_their_expectations() {
    let Some(dir) = shared_examples() else {
        eprintln!("../shared/examples is not beside this clone; skipped");
        return;
    };
    let settings = snapshot_settings();
    for f in grad_files(&dir) {
        let display = format!("shared/examples/{}", name(&f));
        let (text, unmet) = run(&f, &display, Format::Text);
        settings.bind(|| insta::assert_snapshot!(format!("shared_text@{}", name(&f)), text));
        assert!(!unmet, "{display}: a claim missed its expectation:\n{text}");
    }
}

/// The language's constructs beyond the lecture's, one input file each: the
/// exact text and JSON output at seed 0, and every expectation met at
/// several seeds.
#[test]
fn language_inputs_text_and_json() {
    let settings = snapshot_settings();
    for name in LANGUAGE_INPUTS {
        let f = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/inputs")
            .join(name);
        let display = format!("tests/inputs/{name}");
        let (text, _) = run(&f, &display, Format::Text);
        settings.bind(|| insta::assert_snapshot!(format!("text@{name}"), text));
        let (json, _) = run(&f, &display, Format::Json);
        settings.bind(|| insta::assert_snapshot!(format!("json@{name}"), json));
        for seed in [0, 3, 11] {
            let (text, unmet) = run_seeded(&f, &display, Format::Text, seed);
            assert!(
                !unmet,
                "{display}, seed {seed}: a claim missed its expectation:\n{text}"
            );
        }
    }
}

const LANGUAGE_INPUTS: &[&str] = &["grad_at_point.grad"];
