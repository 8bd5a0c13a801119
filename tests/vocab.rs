//! The table of built-in elementwise functions (`src/ir/vocab.rs`), row by
//! row: every row's derivative, second derivative and parameter derivatives
//! agree with its value (the cross-checks of `derive` compare them with
//! finite differences of the value and with forward mode), its spellings
//! read back, and a file that uses the new words gets the verdicts its
//! `expect`s ask for.

mod common;

use gradproof::check::{self, Options};
use gradproof::ir::ElemFn;
use gradproof::render::{self, Format};

fn report(name: &str, text: &str, seed: u64, format: Format) -> String {
    let (src, prog) = gradproof::load(name, text.as_bytes()).unwrap_or_else(|d| {
        panic!(
            "{name} does not load:\n{}",
            gradproof::diagnostics::render(name, text, &d)
        )
    });
    let opts = Options {
        seed,
        ..Options::default()
    };
    let r = check::check_program(name, &src, &prog, &opts);
    render::render(&prog, &src, &r, format)
}

/// A call of `f` on `arg`, with the parameter `a` when the row has one.
fn call(f: ElemFn, arg: &str) -> String {
    if f.params() == 0 {
        format!("{}({arg})", f.name())
    } else {
        format!("{}({arg}, a)", f.name())
    }
}

/// One file that derives, for every row, the gradient of a weighted sum,
/// the derivative of its derivative, and the derivatives with respect to
/// its parameters: each is cross-checked against the row's value.
fn table_file() -> String {
    let mut s = String::from("dim n\nvar z, w: vec[n]\nvar s: scalar\nvar a: scalar positive\n");
    for (k, f) in ElemFn::ALL.iter().enumerate() {
        s += &format!("let J{k} = w^T {}\n", call(*f, "z"));
        s += &format!("derive J{k} wrt z\n");
        let prime = call(*f, "s").replacen('(', "'(", 1);
        s += &format!("let P{k} = {prime}\n");
        s += &format!("derive P{k} wrt s\n");
        if f.params() > 0 {
            s += &format!("let K{k} = sum({})\n", call(*f, "z"));
            s += &format!("derive K{k} wrt a\n");
        }
        s += &format!("claim d({}, s) = {prime}\n", call(*f, "s"));
    }
    s
}

#[test]
fn every_row_agrees_with_its_own_value() {
    let text = table_file();
    for seed in [0, 1, 2] {
        let json = report("table.grad", &text, seed, Format::Json);
        let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        let results = v["results"].as_array().unwrap();
        let derives: Vec<_> = results.iter().filter(|r| r["kind"] == "derive").collect();
        let rows_with_params = ElemFn::ALL.iter().filter(|f| f.params() > 0).count();
        assert_eq!(derives.len(), 2 * ElemFn::ALL.len() + rows_with_params);
        for r in results {
            let verdict = r["verdict"].as_str().unwrap_or("");
            let detail = r["detail"].as_str().unwrap_or("");
            assert!(
                verdict == "checked" || verdict == "proved",
                "seed {seed}, line {}: {verdict}: {detail}",
                r["line"]
            );
        }
    }
}

#[test]
fn every_row_is_spelled_and_read_back() {
    for f in ElemFn::ALL {
        assert_eq!(ElemFn::from_name(f.name()), Some(*f));
        assert!(!f.latex().is_empty(), "{f}");
        assert!(f.numpy().contains("{z}"), "{f}: {}", f.numpy());
        assert_eq!(
            f.numpy().contains("{p0}"),
            f.params() > 0,
            "{f}: the NumPy spelling uses every parameter"
        );
        assert!(
            f.default_param().is_none() || f.params() == 1,
            "{f}: a default exists only for the one parameter"
        );
    }
    // Printed forms read back: `show` prints what a claim can paste.
    let mut text = String::from("dim n\nvar z: vec[n]\nvar a: scalar\n");
    for f in ElemFn::ALL {
        text += &format!("show {}\n", call(*f, "z"));
    }
    let out = report("spell.grad", &text, 0, Format::Text);
    for f in ElemFn::ALL {
        assert!(out.contains(&format!("= {}", call(*f, "z"))), "{f}:\n{out}");
    }
}

#[test]
fn activations_file_meets_its_expectations() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inputs/vocab_activations.grad");
    let text = std::fs::read_to_string(&path).unwrap();
    for seed in [0, 3, 11] {
        let out = report(
            "tests/inputs/vocab_activations.grad",
            &text,
            seed,
            Format::Text,
        );
        assert!(
            out.trim_end()
                .ends_with("33/33 claims met their expectation"),
            "seed {seed}:\n{out}"
        );
    }
    let out = report(
        "tests/inputs/vocab_activations.grad",
        &text,
        0,
        Format::Text,
    );
    common::snapshot_settings().bind(|| insta::assert_snapshot!("vocab_activations", out));
}
