//! The rewrite rules against adversarial claims (`tests/inputs/rules_*.grad`):
//! identities whose conditions are known are proved, false identities are
//! refuted, and identities that hold only where a side is defined — or
//! never — are not proved: their verdicts are asserted here, for several
//! seeds, and the text output is kept as reviewed snapshots.

use gradproof::check::{self, Options};
use gradproof::render::{self, Format};
use std::path::Path;

fn input(name: &str) -> (String, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inputs")
        .join(name);
    (
        format!("tests/inputs/{name}"),
        std::fs::read(&path).unwrap(),
    )
}

fn run(name: &str, seed: u64, format: Format) -> String {
    let (display, bytes) = input(name);
    let (src, prog) = gradproof::load(&display, &bytes).unwrap_or_else(|d| {
        panic!(
            "{display} does not load:\n{}",
            gradproof::diagnostics::render(&display, &String::from_utf8_lossy(&bytes), &d)
        )
    });
    let opts = Options {
        seed,
        ..Options::default()
    };
    let report = check::check_program(&display, &src, &prog, &opts);
    render::render(&prog, &src, &report, format)
}

/// (line, verdict, detail) of every claim of the file.
fn verdicts(name: &str, seed: u64) -> Vec<(u64, String, String)> {
    let json = run(name, seed, Format::Json);
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
                r["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn snapshot(name: &str) {
    let text = run(name, 0, Format::Text);
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!(format!("rules@{name}"), text));
}

const SEEDS: [u64; 3] = [0, 1, 7];

#[test]
fn known_conditions_prove_their_identities() {
    for seed in SEEDS {
        let v = verdicts("rules_proved.grad", seed);
        assert_eq!(v.len(), 43);
        for (line, verdict, detail) in &v {
            assert_eq!(verdict, "proved", "seed {seed}, line {line}: {detail}");
            assert!(!detail.contains("internal error"), "line {line}: {detail}");
        }
        let detail = |l: u64| &v.iter().find(|x| x.0 == l).unwrap().2;
        // the facts named are the ones the rules used
        assert!(
            detail(13).contains("using A invertible ⇒ A⁻¹ A = I"),
            "{}",
            detail(13)
        );
        assert!(
            detail(17).contains("using A B invertible"),
            "{}",
            detail(17)
        );
        assert!(
            detail(20).contains("using diag(p) invertible"),
            "{}",
            detail(20)
        );
        assert!(detail(42).contains("using r > 0;"), "{}", detail(42));
    }
    snapshot("rules_proved.grad");
}

#[test]
fn false_identities_are_refuted() {
    for seed in SEEDS {
        let v = verdicts("rules_refuted.grad", seed);
        assert_eq!(v.len(), 31);
        for (line, verdict, detail) in &v {
            assert_eq!(verdict, "refuted", "seed {seed}, line {line}: {detail}");
        }
    }
    snapshot("rules_refuted.grad");
}

#[test]
fn identities_without_their_facts_are_not_proved() {
    // inv(A) A = I for a plain A, x ./ x = 1, exp(log(s)) = s, ... hold
    // wherever they are defined, which is almost everywhere: `checked`.
    // A rank-one k×k matrix (k = 3) is never invertible and 1/0 is never
    // defined: no point evaluates, and no rule may make a side defined, so
    // they are `unknown`, never `proved`.
    let want: Vec<(u64, &str)> = (13..=23)
        .map(|l| (l, "checked"))
        .chain((27..=30).map(|l| (l, "unknown")))
        .chain([(33, "checked"), (34, "unknown")])
        .collect();
    for seed in SEEDS {
        let v = verdicts("rules_not_proved.grad", seed);
        let got: Vec<(u64, &str)> = v.iter().map(|(l, s, _)| (*l, s.as_str())).collect();
        assert_eq!(got, want, "seed {seed}");
        for (line, _, detail) in &v {
            assert!(!detail.contains("internal error"), "line {line}: {detail}");
        }
    }
    snapshot("rules_not_proved.grad");
}
