//! Stacks `[a; b]` and shapes with sums of dimensions (`vec[n + p]`,
//! `mat[2 n, m]`): the text and JSON reports of their inputs are snapshots,
//! and every claim meets its expectation over several seeds.

mod common;
use common::snapshot_settings;
use std::process::Command;

fn gradproof(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gradproof"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

const INPUTS: [&str; 2] = ["stack_lstm", "stack_shapes"];

#[test]
fn stack_inputs_text_and_json() {
    for name in INPUTS {
        let f = format!("tests/inputs/{name}.grad");
        let (code, text) = gradproof(&["check", &f]);
        assert_eq!(code, 0, "{text}");
        let (jcode, json) = gradproof(&["check", "--format", "json", &f]);
        assert_eq!(jcode, 0, "{json}");
        let both = format!("--- text\n{text}--- json\n{json}");
        snapshot_settings().bind(|| insta::assert_snapshot!(name, both));
    }
}

#[test]
fn stack_claims_meet_their_expectations_over_seeds() {
    for name in INPUTS.iter().chain(&["../../examples/course/lstm_cell"]) {
        let f = format!("tests/inputs/{name}.grad");
        for seed in ["0", "1", "2", "3", "7", "9"] {
            let (code, out) = gradproof(&["check", "--seed", seed, &f]);
            assert_eq!(code, 0, "{f} seed {seed}:\n{out}");
        }
    }
}
