//! The shape of the code: data flows one way through the stages, files stay
//! readable. These tests read the sources, not the program.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The stages, earlier first. A module may refer to its own stage and
/// earlier ones only; modules on one line are one stage.
const STAGES: &[&[&str]] = &[
    &["span", "builtins"],
    &["syntax"],
    &["ir"],
    &["resolve", "load"],
    &["derive"],
    &["simplify"],
    &["lecture"],
    &["eval"],
    &["represent"],
    &["check"],
    &["diagnostics"],
    &["plot"],
    &["render"],
    &["export"],
];

/// References to a later stage that exist today, `(from, to, why)`. The list
/// may only shrink: an entry that no longer occurs fails the test too.
const KNOWN_BACKWARD: &[(&str, &str, &str)] = &[
    // A proof's side conditions are data (`simplify::Fact`); check still
    // writes them into a step's detail text, with render's printer.
    ("check", "render", "fact_texts"),
    // The parser must know every built-in name (`gelu (` is a call, `a (`
    // a product); the elementwise ones are the rows of `ir::vocab`, whose
    // derivatives are IR expressions, so their names are read from there.
    ("builtins", "ir", "ElemFn::from_name"),
];

/// Files allowed over `MAX_FILE_LINES` today; the list may only shrink.
const LONG_FILES: &[&str] = &[
    "src/eval/ball.rs",
    "src/eval/mod.rs",
    "src/eval/sample.rs",
    "src/eval/tests.rs",
    "src/export/mod.rs",
    "src/resolve/expr.rs",
    "src/syntax/lower.rs",
    "src/syntax/mod.rs",
];
const MAX_FILE_LINES: usize = 1000;

/// Folders and files whose functions are kept short (tests excepted).
const SHORT_FUNCTIONS: &[&str] = &[
    "src/builtins.rs",
    "src/derive",
    "src/ir",
    "src/lecture",
    "src/simplify",
];
const MAX_FUNCTION_LINES: usize = 100;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every source file as (path relative to the crate, text).
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root())
                .expect("under the crate")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
            (rel, text)
        })
        .collect()
}

/// Unit tests and their support (`tests.rs`, `testkit.rs`, `tests/…`).
fn is_test_file(rel: &str) -> bool {
    rel.ends_with("/tests.rs") || rel.ends_with("/testkit.rs") || rel.contains("/tests/")
}

/// The top-level module a file belongs to (`src/derive/graph.rs` → derive);
/// None for the crate root and the binary.
fn module_of(rel: &str) -> Option<String> {
    let inner = rel.strip_prefix("src/")?;
    let first = inner.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The code of `text` without comments and without `#[cfg(test)]` items
/// (a test module inline, or the item after the attribute).
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_depth: Option<i64> = None;
    let mut pending_cfg_test = false;
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        if let Some(depth) = skip_depth.as_mut() {
            *depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            if *depth <= 0 {
                skip_depth = None;
            }
            continue;
        }
        let trimmed = code.trim();
        if trimmed == "#[cfg(test)]" {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test {
            pending_cfg_test = false;
            let depth = code.matches('{').count() as i64 - code.matches('}').count() as i64;
            if depth > 0 {
                skip_depth = Some(depth);
            }
            continue;
        }
        out.push(code.to_string());
    }
    out
}

/// The crate's top-level names `code` refers to: `crate::NAME` and the names
/// of a `crate::{A, B::…}` group.
fn crate_refs(code: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `gradproof_crate::`, not ours
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Only the top level of the group names modules.
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '}' if depth == 0 => break,
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            for it in items {
                let name: String = it
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    refs.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                refs.push(name);
            }
        }
    }
    refs
}

fn stage_of(module: &str) -> Option<usize> {
    STAGES.iter().position(|s| s.contains(&module))
}

#[test]
fn stages_refer_only_to_earlier_stages() {
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    let mut problems = Vec::new();
    for (rel, text) in sources() {
        let Some(from) = module_of(&rel) else {
            continue;
        };
        if is_test_file(&rel) {
            continue;
        }
        let Some(from_stage) = stage_of(&from) else {
            problems.push(format!("{rel}: module `{from}` is in no stage of STAGES"));
            continue;
        };
        for (n, line) in code_lines(&text).iter().enumerate() {
            for to in crate_refs(line) {
                let Some(to_stage) = stage_of(&to) else {
                    problems.push(format!(
                        "{rel}:{}: `crate::{to}` is in no stage of STAGES",
                        n + 1
                    ));
                    continue;
                };
                if to_stage <= from_stage {
                    continue;
                }
                found.insert((from.clone(), to.clone()));
                if !KNOWN_BACKWARD
                    .iter()
                    .any(|(f, t, _)| *f == from && *t == to)
                {
                    problems.push(format!(
                        "{rel}:{}: `{from}` refers to `crate::{to}`, a later stage",
                        n + 1
                    ));
                }
            }
        }
    }
    for (f, t, why) in KNOWN_BACKWARD {
        if !found.contains(&(f.to_string(), t.to_string())) {
            problems.push(format!(
                "`{f}` no longer refers to `{t}` ({why}): remove it from KNOWN_BACKWARD"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_file_is_too_long() {
    let mut problems = Vec::new();
    let mut long = BTreeSet::new();
    for (rel, text) in sources() {
        let n = text.lines().count();
        if n > MAX_FILE_LINES {
            long.insert(rel.clone());
            if !LONG_FILES.contains(&rel.as_str()) {
                problems.push(format!(
                    "{rel} has {n} lines (at most {MAX_FILE_LINES}): split it by concept"
                ));
            }
        }
    }
    for f in LONG_FILES {
        if !long.contains(*f) {
            problems.push(format!(
                "{f} is no longer over {MAX_FILE_LINES} lines: remove it from LONG_FILES"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `(name, first line, lines)` of every function of `text` with a body,
/// measured from `fn` to the brace that closes it at the same indentation.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let after_vis = trimmed
            .strip_prefix("pub(crate) ")
            .or_else(|| trimmed.strip_prefix("pub(super) "))
            .or_else(|| trimmed.strip_prefix("pub "))
            .unwrap_or(trimmed);
        let after_const = after_vis.strip_prefix("const ").unwrap_or(after_vis);
        let Some(sig) = after_const.strip_prefix("fn ") else {
            continue;
        };
        let name: String = sig
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The signature ends at `{` (a body) or `;` (a declaration).
        let mut j = i;
        while j < lines.len() && !lines[j].trim_end().ends_with('{') {
            if lines[j].trim_end().ends_with(';') {
                break;
            }
            j += 1;
        }
        if j >= lines.len() || !lines[j].trim_end().ends_with('{') {
            continue;
        }
        let close = format!("{}}}", " ".repeat(indent));
        let end = (j + 1..lines.len()).find(|&k| lines[k].starts_with(&close));
        if let Some(k) = end {
            out.push((name, i + 1, k - i + 1));
        }
    }
    out
}

#[test]
fn functions_of_the_pipeline_core_are_short() {
    let mut problems = Vec::new();
    for (rel, text) in sources() {
        if is_test_file(&rel)
            || !SHORT_FUNCTIONS
                .iter()
                .any(|p| rel == *p || rel.starts_with(&format!("{p}/")))
        {
            continue;
        }
        for (name, line, n) in functions(&text) {
            if n > MAX_FUNCTION_LINES {
                problems.push(format!(
                    "{rel}:{line}: fn {name} has {n} lines (at most {MAX_FUNCTION_LINES})"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readers_see_what_they_should() {
    // The checks above are only as good as their readers.
    assert_eq!(
        crate_refs("use crate::ir::{self, Op}; crate::render::expr::Printer"),
        ["ir", "render"]
    );
    assert_eq!(
        crate_refs("use crate::{check::Options, ir::{Expr, Op}, span};"),
        ["check", "ir", "span"]
    );
    assert_eq!(crate_refs("gradproof::crate_x::y"), Vec::<String>::new());
    let code = code_lines(
        "use crate::ir; // crate::render\n#[cfg(test)]\nmod tests {\n    use crate::export;\n}\n#[cfg(test)]\nmod testkit;\nfn f() {}\n",
    );
    let refs: Vec<String> = code.iter().flat_map(|l| crate_refs(l)).collect();
    assert_eq!(refs, ["ir"]);
    assert_eq!(module_of("src/derive/graph.rs").as_deref(), Some("derive"));
    assert_eq!(module_of("src/span.rs").as_deref(), Some("span"));
    assert_eq!(module_of("src/lib.rs"), None);
    let f = functions(
        "fn a() {\n    x;\n}\n\n    pub(super) fn b(\n        y: u8,\n    ) -> u8 {\n        y\n    }\nfn c();\n",
    );
    assert_eq!(f, [("a".to_string(), 1, 3), ("b".to_string(), 5, 5)]);
}
