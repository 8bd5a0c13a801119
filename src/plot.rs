//! Draws the values of a `plot` statement (evaluated by [`crate::check`])
//! as an SVG line chart (plotters, SVG backend only), with a logarithmic y
//! axis when the values span orders of magnitude. Writing the file is the
//! caller's business (the CLI).

use crate::check::plot::{PlotReport, bounds};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

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
