//! `plot A, B over T in a..b`: evaluates scalar expressions for every
//! length of a range at one seeded sample point. The values of the other
//! variables are drawn once: every length uses the same sizes of the other
//! dimensions, the same variables, the same sequence elements and the same
//! functions for each `fun`, so a line shows how the expression changes with
//! the length alone. The picture is drawn by the `plot` stage.

use crate::eval::{self, Instance, SampleOptions};
use crate::ir::reach::reach;
use crate::ir::{Dim, DimId, Expr, Plot, Program};
use std::collections::BTreeSet;
use std::path::Path;

/// Values spanning more than this ratio (max/min, all positive) get a
/// logarithmic y axis.
pub const LOG_RATIO: f64 = 100.0;
/// Sample points tried before a plot settles for one where some value is
/// undefined (the first point where every value is defined is used).
const DRAWS: u32 = 4;

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
    PlotReport {
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
        problem,
    }
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
    let roots: Vec<&Expr> = plot.lines.iter().map(|l| &l.expr).collect();
    let mut dims = reach(prog, &roots).dims();
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

/// The least and the largest of `values`.
pub fn bounds(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}
