//! Batches (a minibatch of rows): the CS231n softmax loss and the batch
//! words `softmax_rows`, `logsumexp_rows`, `log_softmax`, `mean`,
//! `onehot_rows` and `simplex_rows`, each checked as text and JSON at a
//! fixed seed, every claim meeting its expectation.

use std::process::Command;

fn gradproof(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gradproof"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("run gradproof");
    let text = String::from_utf8(out.stdout).expect("utf-8 output");
    (out.status.code().unwrap_or(-1), text)
}

fn snapshot(name: &str) {
    let f = format!("tests/inputs/{name}.grad");
    let (code, text) = gradproof(&["check", "--seed", "0", &f]);
    assert_eq!(code, 0, "{text}");
    let (jcode, json) = gradproof(&["check", "--format", "json", "--seed", "0", &f]);
    assert_eq!(jcode, 0, "{json}");
    let both = format!("--- text\n{text}--- json\n{json}");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, both);
    });
}

#[test]
fn minibatch_softmax_loss() {
    snapshot("batch_softmax");
}

#[test]
fn batch_words() {
    snapshot("batch_words");
}

#[test]
fn course_example_meets_every_expectation() {
    for seed in ["0", "1", "2"] {
        let (code, text) = gradproof(&[
            "check",
            "--seed",
            seed,
            "examples/course/softmax_batch.grad",
        ]);
        assert_eq!(code, 0, "{text}");
    }
}
