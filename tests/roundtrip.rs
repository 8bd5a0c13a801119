//! Printed results mean what was computed: every `derive` and `show`
//! result, printed exactly as the text output shows it (Unicode, adjoints
//! named `δ1`, `δ2`, …), is pasted back into its program as `let δk = …`
//! lines and a `claim <derivative> = <printed result>`, and that claim must
//! load and be `proved` or `checked`. Runs over the shared and the project's
//! examples, the `tests/inputs/roundtrip_*.grad` files and generated
//! programs. Also: every `tests/inputs/parse_*.grad` meets its expectations,
//! with the verdicts kept as snapshots.

mod common;
use common::{shared_examples, snapshot_settings};

use gradproof::check::{self, Options, Outcome, Verdict};
use gradproof::ir::Program;
use gradproof::render::expr::{Printer, Style};
use gradproof::render::{self, Format};
use std::path::{Path, PathBuf};

fn load(name: &str, src: &str) -> Result<(String, Program), String> {
    gradproof::load(name, src.as_bytes()).map_err(|d| gradproof::diagnostics::render(name, src, &d))
}

/// `src` with the symbolic dimension `dim` fixed to `value` in its `dim`
/// declaration (a derive of a symbolic length prints one unrolled length).
fn fix_dim(src: &str, dim: &str, value: &str) -> String {
    src.lines()
        .map(|line| {
            let t = line.trim_start();
            match t.strip_prefix("dim ") {
                Some(rest) => {
                    let body = rest.split('#').next().unwrap_or("");
                    let items: Vec<String> = body
                        .split(',')
                        .map(|i| {
                            if i.trim() == dim {
                                format!("{dim} = {value}")
                            } else {
                                i.trim().to_string()
                            }
                        })
                        .collect();
                    format!("dim {}", items.join(", "))
                }
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One pasted-back program: the text appended to the source and what it
/// re-states.
struct Paste {
    what: String,
    src: String,
    /// Lines (1-based) of the appended claims.
    first_line: usize,
}

/// The pasted-back programs of every `derive` and `show` of `src`.
fn pastes(name: &str, src: &str) -> Vec<Paste> {
    let (src, prog) = load(name, src).unwrap_or_else(|e| panic!("{e}"));
    let report = check::check_program(name, &src, &prog, &Options::default());
    let mut out = Vec::new();
    let mut shows = String::new();
    for w in &report.items {
        match &w.outcome {
            Outcome::Derive {
                adjoints,
                results,
                note,
                ..
            } => {
                let names: Vec<String> = adjoints.iter().map(|(n, _)| n.clone()).collect();
                let text = Printer::new(&prog, Style::Text).with_adjoints(&names);
                let ascii = Printer::new(&prog, Style::Ascii).with_adjoints(&names);
                let mut base = src.clone();
                // "T is symbolic: the backward pass is shown unrolled for T = 3; …"
                if let Some(n) = note
                    && let Some((dim, rest)) = n.split_once(" is symbolic")
                    && let Some(v) = rest.split("for ").nth(1)
                    && let Some(v) = v.split(" = ").nth(1)
                {
                    let v: String = v.chars().take_while(char::is_ascii_digit).collect();
                    base = fix_dim(&base, dim, &v);
                    // A plot runs over a symbolic length: with the length
                    // fixed it is an input error, and it prints no result.
                    base = base
                        .lines()
                        .map(|l| {
                            if l.trim_start().starts_with("plot ") {
                                format!("# {l}")
                            } else {
                                l.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                }
                let mut add = String::new();
                for (n, e) in adjoints {
                    add.push_str(&format!("let {n} = {}\n", text.print(e)));
                }
                for r in results {
                    let result = r
                        .result
                        .as_ref()
                        .expect("every example's results are derived");
                    add.push_str(&format!(
                        "claim {} = {}\n",
                        ascii.print(&r.node),
                        text.print(result)
                    ));
                }
                let first_line = base.lines().count() + 2;
                out.push(Paste {
                    what: format!("{name}:{}: {}", w.line, w.source),
                    src: format!("{base}\n{add}"),
                    first_line,
                });
            }
            Outcome::Show { result, .. } => {
                let text = Printer::new(&prog, Style::Text);
                let e = w.source.trim_start_matches("show").trim();
                shows.push_str(&format!("claim {e} = {}\n", text.print(result)));
            }
            _ => {}
        }
    }
    if !shows.is_empty() {
        let first_line = src.lines().count() + 2;
        out.push(Paste {
            what: format!("{name}: the show results"),
            src: format!("{src}\n{shows}"),
            first_line,
        });
    }
    out
}

/// Loads and checks a pasted-back program: every appended claim must be
/// proved or checked. Returns the failures, described.
fn check_paste(p: &Paste) -> Vec<String> {
    let (src, prog) = match load("pasted.grad", &p.src) {
        Ok(x) => x,
        Err(e) => return vec![format!("{}: the pasted text does not load:\n{e}", p.what)],
    };
    let report = check::check_program("pasted.grad", &src, &prog, &Options::default());
    let mut failures = Vec::new();
    let mut claims = 0;
    for w in report.items.iter().filter(|w| w.line >= p.first_line) {
        if let Outcome::Claim {
            verdict, detail, ..
        } = &w.outcome
        {
            claims += 1;
            if !matches!(verdict, Verdict::Proved | Verdict::Checked) {
                failures.push(format!(
                    "{}: `{}` is {}: {detail}",
                    p.what,
                    w.source,
                    verdict.word()
                ));
            }
        }
    }
    if claims == 0 {
        failures.push(format!("{}: no pasted claim was checked", p.what));
    }
    failures
}

fn roundtrip_files(files: &[PathBuf]) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut n = 0;
    for f in files {
        let src = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for p in pastes(&name, &src) {
            n += 1;
            failures.extend(check_paste(&p));
        }
    }
    (n, failures)
}

fn assert_roundtrip(files: &[PathBuf], at_least: usize) {
    let (n, failures) = roundtrip_files(files);
    assert!(
        failures.is_empty(),
        "{} printed results do not mean what was computed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= at_least, "only {n} derive/show statements pasted back");
}

#[test]
fn shared_examples_roundtrip() {
    let Some(dir) = shared_examples() else {
        eprintln!("shared examples not found; skipped");
        return;
    };
    assert_roundtrip(&common::grad_files(&dir, ""), 2);
}

#[test]
fn project_examples_roundtrip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    assert_roundtrip(&common::grad_files(&dir, ""), 8);
}

#[test]
fn roundtrip_inputs_roundtrip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    assert_roundtrip(&common::grad_files(&dir, "roundtrip_"), 3);
}

/// The pasted claim is really checked: a printed form that means something
/// else is caught.
#[test]
fn a_wrong_printed_form_is_caught() {
    let p = Paste {
        what: "wrong".into(),
        src: "dim n\nvar a, b: vec[n]\nvar A: mat[n, n]\nlet δ1 = A a\nclaim grad(b^T A a, b) = (A)ᵀ δ1\n"
            .into(),
        first_line: 5,
    };
    let f = check_paste(&p);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].contains("is refuted"), "{f:?}");
}

#[test]
fn parse_inputs_meet_their_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let settings = snapshot_settings();
    let files = common::grad_files(&dir, "parse_");
    assert!(files.len() >= 3);
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(&f).unwrap();
        let display = format!("tests/inputs/{name}");
        let (src, prog) = load(&display, &src).unwrap_or_else(|e| panic!("{e}"));
        let report = check::check_program(&display, &src, &prog, &Options::default());
        let text = render::render(&prog, &src, &report, Format::Text);
        assert!(!report.any_unmet(), "{display}:\n{text}");
        // The verdicts only: the details (rule counts, sampled values)
        // belong to the checker, not to the parse.
        let verdicts: Vec<String> = report
            .items
            .iter()
            .filter_map(|w| match &w.outcome {
                Outcome::Claim { verdict, .. } => {
                    let v = match verdict {
                        // which of the two depends on the rewrite rules
                        Verdict::Proved | Verdict::Checked => "holds",
                        v => v.word(),
                    };
                    Some(format!("{}: {} → {v}", w.line, w.source))
                }
                _ => None,
            })
            .collect();
        settings.bind(|| insta::assert_snapshot!(format!("verdicts@{name}"), verdicts.join("\n")));
    }
}

// ---------------------------------------------------------------- generated

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const GEN_HEADER: &str = "dim n, N\nvar x, u: vec[n]\nvar p: vec[n] positive\nvar b: vec[n]\nvar W, A: mat[n, n]\nvar X: mat[N, n]\nvar s: scalar\nvar c: scalar positive\n";

/// Source text of random well-shaped expressions: `sc` scalars, `ve`
/// vectors of length n, `ma` n×n matrices.
struct TextGen(Rng);

impl TextGen {
    fn scalar(&mut self, d: u32) -> String {
        if d == 0 {
            return self.0.pick(&["s", "c", "2", "sum(x)", "u^T x"]).to_string();
        }
        match self.0.next() % 10 {
            0 => format!("({} {})", self.scalar(d - 1), self.scalar(d - 1)),
            1 => format!("({} + {})", self.scalar(d - 1), self.scalar(d - 1)),
            2 => format!("({}^T {})", self.vector(d - 1), self.vector(d - 1)),
            3 => format!("sum({})", self.vector(d - 1)),
            4 => format!("({})^2", self.scalar(d - 1)),
            5 => format!("tanh({})", self.scalar(d - 1)),
            6 => format!("(-{})", self.scalar(d - 1)),
            7 => format!("({} / c)", self.scalar(d - 1)),
            8 => format!("sum(relu({}))", self.vector(d - 1)),
            _ => format!("sum({} .^ 2)", self.vector(d - 1)),
        }
    }

    fn vector(&mut self, d: u32) -> String {
        if d == 0 {
            return self.0.pick(&["x", "u", "p", "b", "ones(n)"]).to_string();
        }
        match self.0.next() % 11 {
            0 => format!("({} {})", self.matrix(d - 1), self.vector(d - 1)),
            1 => format!("({} + {})", self.vector(d - 1), self.vector(d - 1)),
            2 => format!("({} - {})", self.vector(d - 1), self.vector(d - 1)),
            3 => format!("({} .* {})", self.vector(d - 1), self.vector(d - 1)),
            4 => format!("({} {})", self.scalar(d - 1), self.vector(d - 1)),
            5 => format!("tanh({})", self.vector(d - 1)),
            6 => format!("relu({})", self.vector(d - 1)),
            7 => format!("sigmoid({})", self.vector(d - 1)),
            8 => format!("({}^T {})", self.matrix(d - 1), self.vector(d - 1)),
            9 => format!("(X^T {})", self.batch(d - 1)),
            _ => format!("({} .^ 2)", self.vector(d - 1)),
        }
    }

    fn matrix(&mut self, d: u32) -> String {
        if d == 0 {
            return self.0.pick(&["W", "A"]).to_string();
        }
        match self.0.next() % 6 {
            0 => format!("({} {})", self.matrix(d - 1), self.matrix(d - 1)),
            1 => format!("({} + {})", self.matrix(d - 1), self.matrix(d - 1)),
            2 => format!("({})^T", self.matrix(d - 1)),
            3 => format!("({} ({})^T)", self.vector(d - 1), self.vector(d - 1)),
            4 => format!("tanh({})", self.matrix(d - 1)),
            _ => format!("diag({})", self.vector(d - 1)),
        }
    }

    /// A vector of length N: a batch of rows.
    fn batch(&mut self, d: u32) -> String {
        match self.0.next() % 3 {
            0 => format!("(X {})", self.vector(d)),
            1 => format!("tanh(X {} + ones(N) s)", self.vector(d)),
            _ => "ones(N)".to_string(),
        }
    }
}

#[test]
fn generated_programs_roundtrip() {
    let mut g = TextGen(Rng(7));
    let wrts = ["x", "W", "b", "s", "X"];
    let mut failures = Vec::new();
    let mut pasted = 0;
    for case in 0..80u32 {
        let depth = 1 + case % 4;
        let f = g.scalar(depth);
        let extra = match case % 4 {
            // A bias over a batch: its gradient is a sum over the rows.
            0 => "let S = X W + ones(N) b^T\nlet J = sum(tanh(S)) + L\n".to_string(),
            1 => "let h = relu(W x + b)\nlet J = u^T h + L\n".to_string(),
            _ => "let J = L\n".to_string(),
        };
        let wrt = wrts[(case % 5) as usize];
        // A simplified expression of each shape is printed too.
        let (sv, sm) = (g.vector(depth), g.matrix(depth.min(3)));
        let src = format!(
            "{GEN_HEADER}let L = {f}\n{extra}derive J wrt {wrt}\nshow grad(J, {wrt})\nshow {sv}\nshow {sm}\nshow {f}\n"
        );
        let name = format!("generated{case}.grad");
        if load(&name, &src).is_err() {
            failures.push(format!("{name} does not load:\n{src}"));
            continue;
        }
        for p in pastes(&name, &src) {
            pasted += 1;
            for fail in check_paste(&p) {
                failures.push(format!("{fail}\n--- program:\n{}", p.src));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n\n")
    );
    assert!(pasted >= 100, "only {pasted} pasted");
}
