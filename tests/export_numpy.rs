//! `gradproof export --to numpy`, verified by real NumPy: every example with
//! a `derive` (the project's and the shared acceptance examples) and every
//! `tests/inputs/export_*.grad` is exported and run through
//! `tests/oracle/check_export.py`, which compares each exported gradient
//! with central finite differences of the exported forward pass for several
//! sizes and lengths. The project examples' modules are snapshots;
//! `tests/inputs/export_err_*.grad` must be refused with a positioned error.
//!
//! Python is `$GRADPROOF_PYTHON`, else `.venv/bin/python` (made by
//! `.ci/run`), else `python3`. Without NumPy the NumPy tests fail under
//! `CI=true` and are skipped, loudly, otherwise.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn python() -> Option<PathBuf> {
    let py = match std::env::var_os("GRADPROOF_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            let venv = Path::new(ROOT).join(".venv/bin/python");
            if venv.exists() {
                venv
            } else {
                PathBuf::from("python3")
            }
        }
    };
    let ok = Command::new(&py)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} cannot import numpy under CI=true", py.display());
    }
    eprintln!(
        "SKIPPED: {} cannot import numpy; the exported NumPy code is NOT checked (run .ci/run or set GRADPROOF_PYTHON)",
        py.display()
    );
    None
}

/// The exported module, or None for a file without a `derive`.
fn export(path: &Path, shown_name: &str) -> Option<String> {
    let bytes = std::fs::read(path).unwrap();
    let (src, prog) =
        gradproof::load(shown_name, &bytes).unwrap_or_else(|e| panic!("{shown_name}: {e:?}"));
    match gradproof::export::numpy_module(&prog, &src, shown_name) {
        Ok(m) => Some(m),
        Err(errs) if errs.len() == 1 && errs[0].message.contains("has no `derive` statement") => {
            assert!(!src.lines().any(|l| l.trim_start().starts_with("derive")));
            None
        }
        Err(errs) => panic!("{shown_name} cannot be exported: {errs:?}"),
    }
}

/// Runs the checker on a module; returns its output and whether it passed.
fn run_checker(py: &Path, module: &str, stem: &str, seed: u64) -> (bool, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("export_numpy");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{stem}_{seed}.py"));
    std::fs::write(&file, module).unwrap();
    let out = Command::new(py)
        .arg(Path::new(ROOT).join("tests/oracle/check_export.py"))
        .arg(&file)
        .args(["--seed", &seed.to_string()])
        .output()
        .expect("running the checker");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn grad_files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "grad")
                && p.file_name().unwrap().to_string_lossy().starts_with(prefix)
        })
        .collect();
    v.sort();
    v
}

fn all_checked(files: &[(PathBuf, String)]) -> usize {
    let Some(py) = python() else { return 0 };
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, shown) in files {
        let Some(module) = export(path, shown) else {
            continue;
        };
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        for seed in [0, 1] {
            let (ok, out) = run_checker(&py, &module, &stem, seed);
            eprintln!("{shown} (seed {seed}):\n{out}");
            if !ok {
                failures.push(format!("{shown} (seed {seed}):\n{out}"));
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn every_example_with_a_derive_agrees_with_numpy_finite_differences() {
    let mut files: Vec<(PathBuf, String)> = grad_files(&Path::new(ROOT).join("examples"), "")
        .into_iter()
        .map(|p| {
            let shown = format!("examples/{}", p.file_name().unwrap().to_string_lossy());
            (p, shown)
        })
        .collect();
    if let Some(shared) = common::shared_examples() {
        for p in grad_files(&shared, "") {
            let shown = format!("shared/{}", p.file_name().unwrap().to_string_lossy());
            files.push((p, shown));
        }
    }
    let checked = all_checked(&files);
    if python().is_some() {
        // q3_backprop, rnn_bptt, rnn_tanh, textbook, two_layer_tanh, and the
        // shared q3_backprop and rnn_bptt (when present).
        assert!(checked >= 5, "only {checked} examples were checked");
    }
}

#[test]
fn export_inputs_agree_with_numpy_finite_differences() {
    let files: Vec<(PathBuf, String)> =
        grad_files(&Path::new(ROOT).join("tests/inputs"), "export_")
            .into_iter()
            .filter(|p| {
                !p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("export_err_")
            })
            .map(|p| {
                let shown = format!("tests/inputs/{}", p.file_name().unwrap().to_string_lossy());
                (p, shown)
            })
            .collect();
    assert!(!files.is_empty());
    let checked = all_checked(&files);
    if python().is_some() {
        assert_eq!(checked, files.len(), "every export_ input has a derive");
    }
}

#[test]
fn the_checker_catches_a_wrong_gradient() {
    let Some(py) = python() else { return };
    let module = export(
        &Path::new(ROOT).join("examples/q3_backprop.grad"),
        "examples/q3_backprop.grad",
    )
    .unwrap();
    let (ok, _) = run_checker(&py, &module, "q3_right", 0);
    assert!(ok);
    // A ReLU mask at the wrong threshold, a missing transpose, a wrong loop bound.
    for (from, to, stem) in [
        ("(h > 0)", "(h > 0.3)", "q3_mask"),
        ("delta2 @ x.T", "delta2 @ x.T * 1.0001", "q3_scale"),
    ] {
        assert!(module.contains(from));
        let wrong = module.replace(from, to);
        let (ok, out) = run_checker(&py, &wrong, stem, 0);
        assert!(!ok, "the checker accepted {to}:\n{out}");
        assert!(out.contains("MISMATCH"), "{out}");
    }
    let rnn = export(
        &Path::new(ROOT).join("examples/rnn_bptt.grad"),
        "examples/rnn_bptt.grad",
    )
    .unwrap();
    let from = "for t in range(T - 2, -1, -1):";
    assert!(rnn.contains(from), "{rnn}");
    let (ok, out) = run_checker(
        &py,
        &rnn.replace(from, "for t in range(T - 2, 0, -1):"),
        "rnn_bound",
        0,
    );
    assert!(!ok, "the checker accepted a loop that stops early:\n{out}");
    assert!(out.contains("MISMATCH") && out.contains("T = 2"), "{out}");
}

#[test]
fn project_examples_export_snapshots() {
    for p in grad_files(&Path::new(ROOT).join("examples"), "") {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let shown = format!("examples/{stem}.grad");
        if let Some(module) = export(&p, &shown) {
            common::snapshot_settings().bind(|| {
                insta::assert_snapshot!(format!("export_{stem}"), module);
            });
        }
    }
}

#[test]
fn inputs_the_export_cannot_write_are_positioned_errors() {
    let files = grad_files(&Path::new(ROOT).join("tests/inputs"), "export_err_");
    assert!(!files.is_empty());
    for p in files {
        let name = format!("tests/inputs/{}", p.file_name().unwrap().to_string_lossy());
        let out = Command::new(env!("CARGO_BIN_EXE_gradproof"))
            .current_dir(ROOT)
            .args(["export", &name, "--to", "numpy", "--color", "never"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}: no code is written");
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        common::snapshot_settings().bind(|| {
            insta::assert_snapshot!(stem, String::from_utf8_lossy(&out.stderr));
        });
    }
}

#[test]
fn cli_export_writes_stdout_or_a_file() {
    let bin = env!("CARGO_BIN_EXE_gradproof");
    let out = Command::new(bin)
        .current_dir(ROOT)
        .args(["export", "examples/q3_backprop.grad", "--to", "numpy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let expected = export(
        &Path::new(ROOT).join("examples/q3_backprop.grad"),
        "examples/q3_backprop.grad",
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("export_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("q3.py");
    let out = Command::new(bin)
        .current_dir(ROOT)
        .args(["export", "examples/q3_backprop.grad", "--to", "numpy", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), expected);
    // A file without a derive, an unknown target, and a missing file.
    let out = Command::new(bin)
        .current_dir(ROOT)
        .args([
            "export",
            "examples/q1_step_activation.grad",
            "--to",
            "numpy",
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no `derive` statement to export"));
    let out = Command::new(bin)
        .args(["export", "examples/q3_backprop.grad", "--to", "julia"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin)
        .args(["export", "no/such/file.grad", "--to", "numpy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read no/such/file.grad"));
}
