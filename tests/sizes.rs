//! Dimensions used as values (`sum(v) / n`, `sqrt(dk)`, `n log(2 pi)`):
//! a positive integer drawn as the size the shapes use at the same point,
//! never unrolled like a length. `tests/inputs/sizes_*.grad` and the course
//! files in `examples/course/` meet every expectation for several seeds;
//! their text and JSON output is kept as reviewed snapshots.

mod common;

use common::snapshot_settings;
use gradproof::check::{self, Options};
use gradproof::render::{self, Format};
use std::path::Path;

fn run(rel: &str, seed: u64, format: Format) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let bytes = std::fs::read(&path).unwrap();
    let (src, prog) = gradproof::load(rel, &bytes).unwrap_or_else(|d| {
        panic!(
            "{rel} does not load:\n{}",
            gradproof::diagnostics::render(rel, &String::from_utf8_lossy(&bytes), &d)
        )
    });
    let opts = Options {
        seed,
        ..Options::default()
    };
    let report = check::check_program(rel, &src, &prog, &opts);
    render::render(&prog, &src, &report, format)
}

/// (line, verdict, met, detail) of every claim of the file.
fn claims(rel: &str, seed: u64) -> Vec<(u64, String, bool, String)> {
    let json = run(rel, seed, Format::Json);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "claim")
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["verdict"].as_str().unwrap().to_string(),
                r["met"].as_bool().unwrap_or(false),
                r["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Every claim meets its expectation at each seed, none by an internal error.
fn all_met(rel: &str, seeds: std::ops::Range<u64>) {
    for seed in seeds {
        for (line, verdict, met, detail) in claims(rel, seed) {
            assert!(met, "{rel} seed {seed}, line {line}: {verdict}: {detail}");
            assert!(!detail.contains("internal error"), "{rel}:{line}: {detail}");
        }
    }
}

fn snapshot(rel: &str) {
    let name = rel.rsplit('/').next().unwrap();
    let text = run(rel, 0, Format::Text);
    let json = run(rel, 0, Format::Json);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!(format!("sizes@{name}"), text);
        insta::assert_snapshot!(format!("sizes@{name}.json"), json);
    });
}

#[test]
fn sizes_as_values_are_proved_or_refuted() {
    let rel = "tests/inputs/sizes_values.grad";
    all_met(rel, 0..3);
    let v = claims(rel, 0);
    let verdict = |l: u64| v.iter().find(|c| c.0 == l).unwrap();
    // what egg can show with the facts of a size, it shows
    for line in [9, 10, 12, 13, 14, 15, 16, 17, 18] {
        assert_eq!(
            verdict(line).1,
            "proved",
            "line {line}: {}",
            verdict(line).3
        );
    }
    // the value and the shapes agree: n is one size, not a length
    assert!(verdict(9).3.contains("sizes n in"), "{}", verdict(9).3);
    assert!(!verdict(9).3.contains("lengths"), "{}", verdict(9).3);
    assert!(verdict(10).3.contains("using n > 0"), "{}", verdict(10).3);
    assert!(verdict(14).3.contains("using n ≠ 0"), "{}", verdict(14).3);
    // n and m are drawn independently
    assert!(
        verdict(28).3.contains("counterexample: n = "),
        "{}",
        verdict(28).3
    );
    snapshot(rel);
}

#[test]
fn a_size_where_a_side_is_undefined_is_named() {
    let rel = "tests/inputs/sizes_undefined.grad";
    all_met(rel, 0..3);
    for (line, verdict, _, detail) in claims(rel, 0).into_iter().take(3) {
        assert_eq!(verdict, "checked", "line {line}: {detail}");
        assert!(
            detail.contains("undefined at n = 1"),
            "line {line}: {detail}"
        );
        // the other sizes still count
        assert!(detail.contains("from 2 to"), "line {line}: {detail}");
    }
    snapshot(rel);
}

#[test]
fn course_files_meet_their_answer_keys() {
    for name in [
        "gaussian_loglik.grad",
        "attention_one_query.grad",
        "batchnorm_or_layernorm.grad",
    ] {
        let rel = format!("examples/course/{name}");
        all_met(&rel, 0..10);
        let v = claims(&rel, 0);
        assert!(
            v.iter().any(|c| c.1 == "refuted"),
            "{rel}: a mistake is refuted"
        );
        snapshot(&rel);
    }
}
