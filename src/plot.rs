//! `plot A, B over T in a..b`: evaluates scalar expressions for every
//! length of a range at one seeded sample point and draws them as an SVG
//! line chart (plotters, SVG backend only). The values of the other
//! variables are drawn once: every length uses the same sizes of the other
//! dimensions, the same variables, the same sequence elements and the same
//! functions for each `fun`, so a line shows how the expression changes with
//! the length alone. Writing the file is the caller's business (the CLI).

use crate::eval::{self, Instance, SampleOptions};
use crate::ir::{Dim, DimId, Expr, Op, Plot, Program, SeqPiece};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

/// Values spanning more than this ratio (max/min, all positive) get a
/// logarithmic y axis.
pub const LOG_RATIO: f64 = 100.0;
/// Sample points tried before a plot settles for one where some value is
/// undefined (the first point where every value is defined is used).
const DRAWS: u32 = 4;
/// Size of the picture in pixels.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 500;
/// Line colours, one per expression (then repeated).
const COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// One drawn line: the expression as written and its value at each length
/// (`None` where it is undefined or not finite).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub text: String,
    pub values: Vec<Option<f64>>,
}

/// What a `plot` statement computed and drew.
#[derive(Clone, Debug)]
pub struct PlotReport {
    /// The length plotted against: `T`.
    pub over: String,
    /// Every length of the range, in order.
    pub lengths: Vec<u64>,
    pub series: Vec<Series>,
    pub log_scale: bool,
    /// The sizes of the other symbolic dimensions, the same for every length.
    pub sizes: Vec<(String, u64)>,
    /// Those of `sizes` that the plotted expressions use (the detail names them).
    pub used: Vec<String>,
    /// Which sample point (0, 1, …) of the seed was used.
    pub draw: u32,
    pub seed: u64,
    /// Where the picture is to be written.
    pub path: String,
    /// The picture.
    pub svg: String,
    /// Why some values are missing, when they are.
    pub problem: Option<String>,
}

impl PlotReport {
    /// `T = 1..30 at n = 2 (seed 0, point 0), log scale`.
    pub fn detail(&self) -> String {
        let a = self.lengths.first().copied().unwrap_or_default();
        let b = self.lengths.last().copied().unwrap_or_default();
        let scale = if self.log_scale {
            "log scale"
        } else {
            "linear scale"
        };
        let sizes: Vec<String> = self
            .sizes
            .iter()
            .filter(|(n, _)| self.used.contains(n))
            .map(|(n, v)| format!("{n} = {v}"))
            .collect();
        let at = if sizes.is_empty() {
            String::new()
        } else {
            format!(" at {}", sizes.join(", "))
        };
        format!(
            "{} = {a}..{b}{at} (seed {}, point {}), {scale}",
            self.over, self.seed, self.draw
        )
    }
}

/// The file a plot is written to: `rnn_bptt-L42.svg` for line 42 of
/// `examples/rnn_bptt.grad`, in `dir` (empty: the current directory).
pub fn path_for(dir: &Path, input: &str, line: usize) -> String {
    let stem = Path::new(input)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem: String = stem
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if stem.is_empty() {
        stem = "plot".to_string();
    }
    dir.join(format!("{stem}-L{line}.svg"))
        .to_string_lossy()
        .into_owned()
}

/// Evaluates and draws one `plot` statement at the sample points of `seed`.
pub fn run(prog: &Program, plot: &Plot, seed: u64, path: String) -> PlotReport {
    let lengths: Vec<u64> = (plot.from..=plot.to).collect();
    let sizes = other_sizes(prog, plot, seed);
    let mut best: Option<(u32, Vec<Series>, Option<String>)> = None;
    for draw in 0..DRAWS {
        let (series, problem) = evaluate(prog, plot, seed, draw, &sizes);
        let defined = |s: &[Series]| -> usize {
            s.iter()
                .map(|l| l.values.iter().filter(|v| v.is_some()).count())
                .sum()
        };
        let better = best
            .as_ref()
            .is_none_or(|(_, b, _)| defined(&series) > defined(b));
        let complete = problem.is_none();
        if better {
            best = Some((draw, series, problem));
        }
        if complete {
            break;
        }
    }
    let (draw, series, problem) = best.expect("at least one draw");
    let log_scale = wants_log_scale(&series);
    let mut report = PlotReport {
        over: prog.dims[plot.over].name.clone(),
        lengths,
        series,
        log_scale,
        sizes: sizes
            .iter()
            .map(|&(d, v)| (prog.dims[d].name.clone(), v))
            .collect(),
        used: used_dims(prog, plot)
            .into_iter()
            .map(|d| prog.dims[d].name.clone())
            .collect(),
        draw,
        seed,
        path,
        svg: String::new(),
        problem,
    };
    report.svg = svg(&report);
    report
}

/// The sizes of the symbolic dimensions other than the plotted length, as
/// the seed's first point draws them at the first length; kept for every
/// length so that the variables keep their values.
fn other_sizes(prog: &Program, plot: &Plot, seed: u64) -> Vec<(DimId, u64)> {
    let opts = SampleOptions {
        seed,
        draw: 0,
        dim_overrides: vec![(plot.over, plot.from)],
        exact: false,
    };
    let inst = eval::sample(prog, &opts).ok();
    (0..prog.dims.len())
        .filter(|&d| d != plot.over && prog.dims[d].value.is_none())
        .map(|d| {
            let v = inst.as_ref().map_or(2, |i| i.dim(Dim::Sym(d)) as u64);
            (d, v)
        })
        .collect()
}

/// The dimensions the plotted expressions use, as values or in shapes,
/// through every definition they reach.
fn used_dims(prog: &Program, plot: &Plot) -> BTreeSet<DimId> {
    let mut dims = BTreeSet::new();
    let mut lets = BTreeSet::new();
    let mut seqs = BTreeSet::new();
    let mut stack: Vec<&Expr> = plot.lines.iter().map(|l| &l.expr).collect();
    while let Some(e) = stack.pop() {
        for d in [e.shape.rows, e.shape.cols] {
            if let Dim::Sym(d) = d {
                dims.insert(d);
            }
        }
        match &e.op {
            Op::DimValue(Dim::Sym(d)) => {
                dims.insert(*d);
            }
            Op::Let(l) | Op::CallLet(l) if lets.insert(*l) => stack.push(&prog.lets[*l].body),
            Op::SeqAt(s) if seqs.insert(*s) => {
                for p in &prog.seqs[*s].pieces {
                    if let SeqPiece::Defined { body, guard, .. } = p {
                        stack.push(body);
                        stack.extend(guard.as_ref().map(|(_, g)| g));
                    }
                }
            }
            _ => {}
        }
        stack.extend(e.args.iter());
    }
    dims.remove(&plot.over);
    dims
}

/// The sample point of `draw` with the plotted length set to `len`.
pub fn instance(
    prog: &Program,
    plot: &Plot,
    seed: u64,
    draw: u32,
    sizes: &[(DimId, u64)],
    len: u64,
) -> Result<Instance, eval::EvalError> {
    let mut dim_overrides = vec![(plot.over, len)];
    dim_overrides.extend_from_slice(sizes);
    eval::sample(
        prog,
        &SampleOptions {
            seed,
            draw,
            dim_overrides,
            exact: false,
        },
    )
}

/// Every line's values at every length, and the first problem met.
fn evaluate(
    prog: &Program,
    plot: &Plot,
    seed: u64,
    draw: u32,
    sizes: &[(DimId, u64)],
) -> (Vec<Series>, Option<String>) {
    let over = &prog.dims[plot.over].name;
    let mut series: Vec<Series> = plot
        .lines
        .iter()
        .map(|l| Series {
            text: l.text.clone(),
            values: Vec::new(),
        })
        .collect();
    let mut problem = None;
    for len in plot.from..=plot.to {
        let inst = instance(prog, plot, seed, draw, sizes, len);
        for (line, s) in plot.lines.iter().zip(series.iter_mut()) {
            let v = match &inst {
                Ok(inst) => eval::eval::<f64>(prog, inst, &line.expr, &Vec::new(), 0.0)
                    .map(|m| m.data.first().copied().unwrap_or(f64::NAN)),
                Err(e) => Err(e.clone()),
            };
            let v = match v {
                Ok(x) if x.is_finite() => Some(x),
                Ok(x) => {
                    problem
                        .get_or_insert_with(|| format!("`{}` is {x} at {over} = {len}", line.text));
                    None
                }
                Err(e) => {
                    problem
                        .get_or_insert_with(|| format!("`{}` at {over} = {len}: {e}", line.text));
                    None
                }
            };
            s.values.push(v);
        }
    }
    (series, problem)
}

/// All values positive and spanning more than [`LOG_RATIO`].
fn wants_log_scale(series: &[Series]) -> bool {
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .copied()
        .collect();
    let (lo, hi) = bounds(&values);
    !values.is_empty() && lo > 0.0 && hi / lo > LOG_RATIO
}

fn bounds(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// The y label: the expressions when they are short, else the first one
/// and a pointer to the legend.
fn y_label(report: &PlotReport) -> String {
    let texts: Vec<&str> = report.series.iter().map(|s| s.text.as_str()).collect();
    let joined = texts.join(", ");
    if texts.len() == 1 || joined.chars().count() <= 60 {
        joined
    } else {
        format!("{}, …", texts[0])
    }
}

/// A tick label: `250`, `0.5`, `1e5`, `2.5e-7`.
fn tick(v: f64) -> String {
    let s = crate::eval::sample::round_sig(v, 3);
    match s.split_once('e') {
        Some((mantissa, exp)) if mantissa.contains('.') => {
            let m = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{m}e{exp}")
        }
        _ => s,
    }
}

/// Where the legend covers the least: a rising first line leaves the upper
/// left free, a falling one the upper right.
fn legend_corner(report: &PlotReport) -> SeriesLabelPosition {
    let defined: Vec<f64> = report
        .series
        .first()
        .map(|s| s.values.iter().flatten().copied().collect())
        .unwrap_or_default();
    match (defined.first(), defined.last()) {
        (Some(a), Some(b)) if b < a => SeriesLabelPosition::UpperRight,
        _ => SeriesLabelPosition::UpperLeft,
    }
}

/// The SVG picture of a plot.
pub fn svg(report: &PlotReport) -> String {
    let values: Vec<f64> = report
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .copied()
        .collect();
    let (mut lo, mut hi) = if values.is_empty() {
        (0.0, 1.0)
    } else {
        bounds(&values)
    };
    let mut out = String::new();
    let drawn = if report.log_scale {
        // A little room above and below, by a factor.
        lo /= 1.5;
        hi = (hi * 1.5).min(f64::MAX);
        draw(report, (lo..hi).log_scale(), &mut out)
    } else {
        let pad = if hi > lo {
            (hi - lo) * 0.05
        } else {
            lo.abs().max(1.0) * 0.5
        };
        // The axis needs a finite width: near the ends of float64 it is
        // cut to ±f64::MAX / 4 (lines beyond that leave the picture).
        lo = (lo - pad).max(-f64::MAX / 4.0);
        hi = (hi + pad).min(f64::MAX / 4.0);
        if lo >= hi {
            (lo, hi) = (-f64::MAX / 4.0, f64::MAX / 4.0);
        }
        draw(report, lo..hi, &mut out)
    };
    match drawn {
        Ok(()) => out,
        // Drawing into a string cannot fail for want of a file; keep
        // whatever was written and say so inside the picture.
        Err(e) => format!("{out}<!-- the chart could not be finished: {e} -->\n"),
    }
}

fn draw<Y>(report: &PlotReport, y: Y, out: &mut String) -> Result<(), String>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let first = report.lengths.first().copied().unwrap_or_default();
    let last = report.lengths.last().copied().unwrap_or_default();
    let (x_lo, x_hi) = if first == last {
        (first as f64 - 1.0, last as f64 + 1.0)
    } else {
        (first as f64, last as f64)
    };
    let root = SVGBackend::with_string(out, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let scale = if report.log_scale { " (log scale)" } else { "" };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{} = {first}..{last}{scale}", report.over),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x_lo..x_hi, y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(report.over.clone())
        .y_desc(y_label(report))
        // Lengths are integers: no labels between them.
        .x_label_formatter(&|x| {
            if x.fract() == 0.0 {
                format!("{x}")
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| tick(*y))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, s) in report.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<Option<(f64, f64)>> = report
            .lengths
            .iter()
            .zip(&s.values)
            .map(|(&t, v)| v.map(|v| (t as f64, v)))
            .collect();
        // Undefined values break the line.
        let segments: Vec<Vec<(f64, f64)>> = points
            .split(|p| p.is_none())
            .filter(|seg| !seg.is_empty())
            .map(|seg| seg.iter().flatten().copied().collect())
            .collect();
        for (k, seg) in segments.into_iter().enumerate() {
            let line = chart
                .draw_series(LineSeries::new(seg.clone(), colour.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            if k == 0 {
                line.label(s.text.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            }
            chart
                .draw_series(seg.into_iter().map(|p| Circle::new(p, 3, colour.filled())))
                .map_err(|e| e.to_string())?;
        }
    }
    chart
        .configure_series_labels()
        .position(legend_corner(report))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
