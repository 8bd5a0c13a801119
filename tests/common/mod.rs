//! Helpers shared by the integration tests: where snapshots live and where
//! the shared acceptance examples are.

// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// insta settings that keep every snapshot in the top-level `snapshots/`.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// The shared acceptance examples (`GRADPROOF_SHARED`, else `../shared`
/// beside the clone). Under `CI=true` their absence fails the test instead
/// of skipping it, so a CI run cannot pass without them.
pub fn shared_examples() -> Option<PathBuf> {
    let dir = match std::env::var("GRADPROOF_SHARED") {
        Ok(d) => PathBuf::from(d),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
    .join("examples");
    if !dir.is_dir() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing under CI=true", dir.display());
    }
    dir.is_dir().then_some(dir)
}

/// The `*.grad` files of `dir` whose names start with `prefix`, sorted.
pub fn grad_files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "grad")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    v.sort();
    v
}
