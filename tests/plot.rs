//! `plot` statements end to end: the command writes one SVG per statement,
//! a real SVG renderer (resvg) draws each one to a pixmap that must show the
//! chart, the values in the JSON output are the evaluator's values at the
//! sample point the output names (the same variables for every length), and
//! the picture's lines pass through those values. Malformed plots
//! (`tests/inputs/plot_err_*.grad`) are rejected with reviewed reports.

mod common;
use common::snapshot_settings;

use gradproof::eval::{self, Instance, SampleOptions};
use gradproof::ir::{Plot, Program, WorkKind};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gradproof-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `gradproof check --format json ARGS…` from the crate root: exit code and
/// the one JSON object of the one file checked.
fn check_json(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_gradproof"))
        .current_dir(root())
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

fn plots(v: &Value) -> Vec<&Value> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "plot")
        .collect()
}

/// The SVG drawn to a pixmap; `(pixels that are not white, pixels of the
/// first line's colour)`.
fn render(svg: &str, png: Option<&Path>) -> (usize, usize) {
    let mut opts = resvg::usvg::Options::default();
    let fonts = opts.fontdb_mut();
    fonts.load_system_fonts();
    // fontdb's default sans-serif is Arial; Debian ships DejaVu.
    if fonts
        .faces()
        .any(|f| f.families.iter().any(|(n, _)| n == "DejaVu Sans"))
    {
        fonts.set_sans_serif_family("DejaVu Sans");
    }
    let tree = resvg::usvg::Tree::from_str(svg, &opts).unwrap();
    let size = tree.size().to_int_size();
    assert_eq!((size.width(), size.height()), (800, 500));
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    if let Some(png) = png {
        pixmap.save_png(png).unwrap();
    }
    let mut ink = 0;
    let mut first_line = 0;
    for p in pixmap.pixels() {
        let (r, g, b, a) = (p.red(), p.green(), p.blue(), p.alpha());
        if a > 0 && (r, g, b) != (255, 255, 255) {
            ink += 1;
        }
        // #1f77b4, the first line's colour.
        if a == 255 && (r, g, b) == (0x1f, 0x77, 0xb4) {
            first_line += 1;
        }
    }
    (ink, first_line)
}

/// The `points` of every `<polyline>` of one stroke colour.
fn polylines(svg: &str, stroke: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p.contains(&format!("stroke=\"{stroke}\"")))
        .map(|p| {
            let pts = p
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            pts.split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// The resolved `plot` statement at `line`.
fn plot_at(prog: &Program, line: u64) -> &Plot {
    prog.work
        .iter()
        .find_map(|w| match &w.kind {
            WorkKind::Plot(p) if w.line as u64 == line => Some(p),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no plot at line {line}"))
}

/// The sample point a plot result names, at one length, drawn directly.
fn point(prog: &Program, plot: &Plot, result: &Value, seed: u64, len: u64) -> Instance {
    let mut dim_overrides = vec![(plot.over, len)];
    for (name, size) in result["sizes"].as_object().unwrap() {
        let d = prog.dims.iter().position(|d| &d.name == name).unwrap();
        dim_overrides.push((d, size.as_u64().unwrap()));
    }
    let opts = SampleOptions {
        seed,
        draw: result["point"].as_u64().unwrap() as u32,
        dim_overrides,
        exact: false,
    };
    eval::sample(prog, &opts).unwrap()
}

#[test]
fn rnn_regimes_are_drawn_with_the_evaluators_values() {
    let file = "examples/rnn_bptt.grad";
    let (_, prog) = gradproof::load(file, &std::fs::read(root().join(file)).unwrap()).unwrap();
    let pngs = std::env::var_os("GRADPROOF_PLOT_PNG").map(PathBuf::from);
    for seed in [0u64, 1, 7] {
        let dir = temp_dir(&format!("rnn-{seed}"));
        let d = dir.to_str().unwrap();
        let (code, v) = check_json(&["--seed", &seed.to_string(), "--plot-dir", d, file]);
        assert_eq!(code, 0, "{v}");
        let found = plots(&v);
        assert_eq!(found.len(), 2, "{v}");
        let mut trends = Vec::new();
        for r in found {
            let line = r["line"].as_u64().unwrap();
            let path = PathBuf::from(r["path"].as_str().unwrap());
            assert_eq!(path, dir.join(format!("rnn_bptt-L{line}.svg")));
            let svg = std::fs::read_to_string(&path).unwrap();
            let png = pngs
                .as_ref()
                .map(|p| p.join(format!("rnn_bptt-L{line}-{seed}.png")));
            let (ink, first_line) = render(&svg, png.as_deref());
            assert!(ink > 5_000, "{}: only {ink} pixels drawn", path.display());
            assert!(
                first_line > 300,
                "{}: the first line has {first_line} pixels",
                path.display()
            );

            // The values are the evaluator's, at one sample point for all lengths.
            let plot = plot_at(&prog, line);
            let lengths: Vec<u64> = r["lengths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_u64().unwrap())
                .collect();
            assert_eq!(lengths, (1..=30).collect::<Vec<u64>>());
            let series = r["series"].as_array().unwrap();
            assert_eq!(series.len(), plot.lines.len());
            let first = point(&prog, plot, r, seed, 1);
            for (i, &len) in lengths.iter().enumerate() {
                let inst = point(&prog, plot, r, seed, len);
                for v in 0..prog.vars.len() {
                    assert_eq!(
                        inst.var(v).float,
                        first.var(v).float,
                        "{}",
                        prog.vars[v].name
                    );
                }
                for (line_ir, s) in plot.lines.iter().zip(series) {
                    let want = eval::eval::<f64>(&prog, &inst, &line_ir.expr, &Vec::new(), 0.0)
                        .unwrap()
                        .data[0];
                    let got = s["values"][i].as_f64().unwrap();
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs(),
                        "{}: {got} against the evaluator's {want} at T = {len}",
                        line_ir.text
                    );
                    assert_eq!(s["expr"], line_ir.text.as_str());
                }
            }
            // The gradient's norm stays on its side of the bound.
            let value: Vec<f64> = series[0]["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let bound: Vec<f64> = series[1]["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let exploding = value[29] > value[0];
            for (v, b) in value.iter().zip(&bound) {
                assert!(
                    if exploding { v >= b } else { v <= b },
                    "{v} beyond its bound {b}"
                );
            }
            trends.push((exploding, value[29] / value[0]));
            assert_eq!(r["scale"], "log");

            // Each line of the picture passes through the values: pixel
            // rows are affine in log10 of the value.
            for (k, stroke) in ["#1F77B4", "#D62728"].iter().enumerate() {
                let lines = polylines(&svg, stroke);
                let longest = lines.iter().max_by_key(|l| l.len()).unwrap();
                assert_eq!(longest.len(), 30, "{stroke}");
                let ys: Vec<f64> = series[k]["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap().log10())
                    .collect();
                let (p0, p1) = (longest[0], longest[29]);
                let (y0, y1) = (ys[0], ys[29]);
                for (j, &(x, py)) in longest.iter().enumerate() {
                    let want = p0.1 + (p1.1 - p0.1) * (ys[j] - y0) / (y1 - y0);
                    assert!(
                        (py - want).abs() <= 1.5,
                        "{stroke} point {j}: y {py}, want {want}"
                    );
                    assert!(j == 0 || x > longest[j - 1].0, "x not increasing");
                }
            }
        }
        // One plot explodes (by orders of magnitude), the other vanishes.
        assert!(trends.iter().any(|(e, r)| *e && *r > 100.0), "{trends:?}");
        assert!(trends.iter().any(|(e, r)| !*e && *r < 0.01), "{trends:?}");
    }
}

#[test]
fn same_seed_same_picture() {
    let (a, b) = (temp_dir("same-a"), temp_dir("same-b"));
    for d in [&a, &b] {
        let (code, _) = check_json(&["--plot-dir", d.to_str().unwrap(), "examples/rnn_bptt.grad"]);
        assert_eq!(code, 0);
    }
    let names = ["rnn_bptt-L47.svg", "rnn_bptt-L58.svg"];
    for n in names {
        let (x, y) = (
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
        );
        assert!(x == y, "{n} differs between two runs");
    }
    // The committed picture is the one the README shows: it is what seed 0 draws.
    let committed = std::fs::read(root().join("docs/rnn_bptt-L47.svg")).unwrap();
    assert!(
        committed == std::fs::read(a.join(names[0])).unwrap(),
        "docs/rnn_bptt-L47.svg is stale"
    );
}

#[test]
fn plot_inputs_text_and_pictures() {
    let settings = snapshot_settings();
    let dir = temp_dir("inputs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/inputs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("plot_") && !n.starts_with("plot_err_") && n.ends_with(".grad")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let shown = format!("tests/inputs/{name}");
        let out = Command::new(env!("CARGO_BIN_EXE_gradproof"))
            .current_dir(root())
            .args(["check", "--plot-dir", dir.to_str().unwrap(), &shown])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout)
            .unwrap()
            .replace(dir.to_str().unwrap(), "DIR");
        settings.bind(|| insta::assert_snapshot!(format!("plot@{name}"), text));
        let (_, v) = check_json(&["--plot-dir", dir.to_str().unwrap(), &shown]);
        for r in plots(&v) {
            let svg = std::fs::read_to_string(r["path"].as_str().unwrap()).unwrap();
            let png = std::env::var_os("GRADPROOF_PLOT_PNG")
                .map(|d| PathBuf::from(d).join(name.replace(".grad", ".png")));
            let (ink, _) = render(&svg, png.as_deref());
            assert!(ink > 2_000, "{name}: only {ink} pixels drawn");
        }
    }
}

#[test]
fn plot_error_inputs() {
    let settings = snapshot_settings();
    settings.bind(|| {
        insta::glob!("inputs/plot_err_*.grad", |path| {
            let bytes = std::fs::read(path).unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            let diags = match gradproof::load(name, &bytes) {
                Ok(_) => panic!("{name} should be rejected"),
                Err(d) => d,
            };
            let src = String::from_utf8_lossy(&bytes).into_owned();
            let text = gradproof::diagnostics::render(name, &src, &diags);
            for d in &diags {
                let (line, col) = d.span.line_col(&src);
                assert!(text.contains(&format!("{name}:{line}:{col}")), "{text}");
            }
            insta::assert_snapshot!(text);
        });
    });
}

#[test]
fn a_plot_that_cannot_be_written_is_an_error() {
    let dir = temp_dir("unwritable");
    let blocker = dir.join("file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gradproof"))
        .current_dir(root())
        .args([
            "check",
            "--plot-dir",
            blocker.to_str().unwrap(),
            "examples/rnn_bptt.grad",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: examples/rnn_bptt.grad:47: cannot write the plot "),
        "{err}"
    );
}

#[test]
fn standard_input_draws_stdin_pictures() {
    let dir = temp_dir("stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gradproof"))
        .current_dir(root())
        .args(["check", "--plot-dir", dir.to_str().unwrap(), "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"dim T\nvar s: scalar\n\nplot s T^2 over T in 2..6\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let path = dir.join("stdin-L4.svg");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "    plot: {}, T = 2..6 (seed 0, point 0), ",
            path.display()
        )),
        "{text}"
    );
    let (ink, first_line) = render(&std::fs::read_to_string(&path).unwrap(), None);
    assert!(ink > 2_000 && first_line > 100, "{ink} {first_line}");
}

#[test]
fn the_schema_describes_plot_results() {
    let path = root().join("tests/results.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let dir = temp_dir("schema");
    let (_, good) = check_json(&[
        "--plot-dir",
        dir.to_str().unwrap(),
        "tests/inputs/plot_undefined.grad",
    ]);
    assert!(validator.is_valid(&good), "{good}");
    assert_eq!(good["results"][0]["series"][0]["values"][0], Value::Null);
    type Mutation = fn(&mut Value);
    let mutations: [(&str, Mutation); 4] = [
        ("path not an SVG", |r| r["path"] = "plot.png".into()),
        ("no values", |r| {
            r["series"][0].as_object_mut().unwrap().remove("values");
        }),
        ("length 0", |r| r["lengths"][0] = 0.into()),
        ("unknown scale", |r| r["scale"] = "symlog".into()),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad["results"][0]);
        assert!(!validator.is_valid(&bad), "{what} passed the schema");
    }
}
