//! Rendering of a file's verdicts: Unicode text for people, LaTeX ready to
//! paste, JSON Lines for tools (the fields LANGUAGE.md fixes, one compact
//! object per file, with a `summary`; `tests/results.schema.json` is its
//! schema). Expressions are printed by [`expr::Printer`] in the matching style.

pub mod detail;
pub mod expr;
pub mod facts;
pub mod latex;
pub mod names;

use crate::check::plot::PlotReport;
use crate::check::{FileReport, InternalError, Outcome, StepReport, Verdict};
use crate::diagnostics::Diagnostic;
use crate::eval::sample::round_sig;
use crate::ir::{Activation, Claim, Expect, Expr, Op, Program, Relation, Step, WorkKind};
use crate::lecture::PassLine;
use crate::span::{Span, floor_char_boundary};
use expr::{Printer, Style};
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Text,
    Latex,
    Json,
}

/// `∂J/∂b2` for a derivative node (text), `\frac{\partial J}{\partial b_2}` (LaTeX).
fn heading(p: &Printer, node: &Expr) -> String {
    if node.args.len() != 2 {
        return p.print(node);
    }
    let f = p.print(&node.args[0]);
    let x = p.print(&node.args[1]);
    match (p.style, &node.op) {
        (Style::Latex, Op::Hess) => format!("\\nabla^2_{{{x}}} {f}"),
        (Style::Latex, _) => format!("\\frac{{\\partial {f}}}{{\\partial {x}}}"),
        (_, Op::Hess) => format!("∇²_{x} {f}"),
        _ => format!("∂{f}/∂{x}"),
    }
}

fn adjoint_names(adjoints: &[(String, Expr)]) -> Vec<String> {
    adjoints.iter().map(|(n, _)| n.clone()).collect()
}

fn expect_word(e: Expect) -> &'static str {
    match e {
        Expect::Holds => "holds",
        Expect::Refuted => "refuted",
    }
}

fn activation_word(a: Activation) -> &'static str {
    match a {
        Activation::Step => "step",
        Activation::Relu => "relu",
    }
}

/// How a rendering is shown: `quiet` keeps only what did not meet its
/// expectation (and the summary), `color` paints verdict words (text only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub quiet: bool,
    pub color: bool,
}

/// One file's verdicts in `format`; `src` is the file's text (claims quote it).
pub fn render(prog: &Program, src: &str, report: &FileReport, format: Format) -> String {
    render_with(prog, src, report, format, View::default())
}

pub fn render_with(
    prog: &Program,
    src: &str,
    report: &FileReport,
    format: Format,
    view: View,
) -> String {
    render_with_errors(prog, src, report, format, view, &[])
}

/// [`render_with`] for a file with input errors whose other statements were
/// checked: the text summary counts the errors (their reports go to
/// standard error), JSON has a result of kind `error` per error (at most
/// [`MAX_SHOWN_ERRORS`](crate::diagnostics::MAX_SHOWN_ERRORS)) among the
/// verdicts in line order, and LaTeX a comment line per error.
pub fn render_with_errors(
    prog: &Program,
    src: &str,
    report: &FileReport,
    format: Format,
    view: View,
    errors: &[Diagnostic],
) -> String {
    match format {
        Format::Text => text(prog, report, view, errors.len()),
        Format::Latex => {
            let mut out = latex(prog, report);
            for d in errors.iter().take(crate::diagnostics::MAX_SHOWN_ERRORS) {
                let (line, col) = d.span.line_col(src);
                out.push_str(&format!(
                    "% line {line}:{col}: input error: {}\n",
                    latex::comment(&d.message)
                ));
            }
            out
        }
        Format::Json => {
            let mut v = json_value_with(prog, src, report, view.quiet);
            add_errors_json(&mut v, src, errors, crate::diagnostics::MAX_SHOWN_ERRORS);
            json_line(&v)
        }
    }
}

/// Puts a result of kind `error` per diagnostic (at most `limit`) among
/// a file's results, in line order (an error before the verdicts of its
/// line), and counts them all in the summary.
fn add_errors_json(v: &mut Value, src: &str, diags: &[Diagnostic], limit: usize) {
    if diags.is_empty() {
        return;
    }
    let Some(Value::Array(results)) = v.get_mut("results").map(std::mem::take) else {
        return;
    };
    let mut all: Vec<Value> = error_results(src, diags, limit);
    all.extend(results);
    let line = |r: &Value| r["line"].as_u64().unwrap_or(0);
    all.sort_by_key(line);
    v["results"] = Value::Array(all);
    v["summary"]["errors"] = json!(diags.len());
}

/// One result of kind `error` per diagnostic, at most `limit`.
fn error_results(src: &str, diags: &[Diagnostic], limit: usize) -> Vec<Value> {
    diags
        .iter()
        .take(limit)
        .map(|d| {
            let (line, col) = d.span.line_col(src);
            let mut v = json!({"kind": "error", "line": line, "col": col, "message": d.message});
            if !d.label.is_empty() {
                v["label"] = json!(d.label);
            }
            v
        })
        .collect()
}

/// One JSON Lines record: the compact object and a newline.
pub fn json_line(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default() + "\n"
}

/// The counts behind a file's last line (and the total over files).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub claims: usize,
    pub met: usize,
    /// Derived results by verdict, in the order of [`VERDICTS`].
    pub derived: [usize; 4],
    pub internal_errors: usize,
    /// `plot` statements drawn.
    pub plots: usize,
}

/// Every verdict, in the order the summary counts them.
pub const VERDICTS: [Verdict; 4] = [
    Verdict::Proved,
    Verdict::Checked,
    Verdict::Refuted,
    Verdict::Unknown,
];

fn verdict_index(v: Verdict) -> usize {
    match v {
        Verdict::Proved => 0,
        Verdict::Checked => 1,
        Verdict::Refuted => 2,
        Verdict::Unknown => 3,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Summary {
    pub fn of(report: &FileReport) -> Summary {
        let mut s = Summary {
            internal_errors: report.internal_errors.len(),
            ..Summary::default()
        };
        for w in &report.items {
            match &w.outcome {
                Outcome::Claim { met, .. } => {
                    s.claims += 1;
                    s.met += usize::from(*met);
                }
                Outcome::Derive { results, .. } => {
                    for r in results {
                        s.derived[verdict_index(r.verdict)] += 1;
                    }
                }
                Outcome::Plot(_) => s.plots += 1,
                _ => {}
            }
        }
        s
    }

    pub fn add(&mut self, other: &Summary) {
        self.claims += other.claims;
        self.met += other.met;
        for (a, b) in self.derived.iter_mut().zip(other.derived) {
            *a += b;
        }
        self.internal_errors += other.internal_errors;
        self.plots += other.plots;
    }

    /// `9/9 claims met their expectation; 6 derived results: 5 checked, 1 unknown`.
    pub fn line(&self) -> String {
        let mut parts = vec![
            if self.claims == 0 && (self.derived_total() > 0 || self.plots > 0) {
                "no claims".to_string()
            } else {
                format!("{}/{} claims met their expectation", self.met, self.claims)
            },
        ];
        if self.derived_total() > 0 {
            let counts: Vec<String> = VERDICTS
                .iter()
                .zip(self.derived)
                .filter(|(_, n)| *n > 0)
                .map(|(v, n)| format!("{n} {}", v.word()))
                .collect();
            parts.push(format!(
                "{}: {}",
                plural(self.derived_total(), "derived result", "derived results"),
                counts.join(", ")
            ));
        }
        if self.plots > 0 {
            parts.push(plural(self.plots, "plot", "plots"));
        }
        if self.internal_errors > 0 {
            parts.push(plural(
                self.internal_errors,
                "internal error",
                "internal errors",
            ));
        }
        parts.join("; ")
    }

    pub fn derived_total(&self) -> usize {
        self.derived.iter().sum()
    }
}

/// Terminal colours of verdict words.
#[derive(Clone, Copy)]
enum Tone {
    Good,
    Bad,
    Unsure,
}

fn paint(word: &str, tone: Tone, view: View) -> String {
    if !view.color {
        return word.to_string();
    }
    let code = match tone {
        Tone::Good => "32",
        Tone::Bad => "31",
        Tone::Unsure => "33",
    };
    format!("\x1b[{code}m{word}\x1b[0m")
}

/// A verdict word in the colour of what it says.
fn verdict_word(v: Verdict, view: View) -> String {
    let tone = match v {
        Verdict::Proved | Verdict::Checked => Tone::Good,
        Verdict::Refuted => Tone::Bad,
        Verdict::Unknown => Tone::Unsure,
    };
    paint(v.word(), tone, view)
}

fn steps_text(out: &mut String, steps: &[StepReport], explain: bool, view: View) {
    for (i, s) in steps.iter().enumerate() {
        out.push_str(&format!(
            "    step {} (line {}): {}: {}\n",
            i + 1,
            s.line,
            verdict_word(s.verdict, view),
            s.detail
        ));
        if explain {
            for e in s.explanation() {
                out.push_str(&format!("        {e}\n"));
            }
        }
    }
}

/// Whether `--quiet` shows an item: a claim that missed its expectation,
/// or a derive with a result that is neither proved nor checked.
fn shown_when_quiet(o: &Outcome) -> bool {
    match o {
        Outcome::Claim { met, .. } => !met,
        Outcome::Derive { results, .. } => results
            .iter()
            .any(|r| matches!(r.verdict, Verdict::Refuted | Verdict::Unknown)),
        Outcome::Show { .. } | Outcome::Represent { .. } | Outcome::Plot(_) => false,
    }
}

fn text(prog: &Program, report: &FileReport, view: View, input_errors: usize) -> String {
    let explain = report.explain;
    let mut out = String::new();
    if !view.quiet {
        out.push_str(&format!("{}\n", report.file));
    }
    for w in &report.items {
        if view.quiet && !shown_when_quiet(&w.outcome) {
            continue;
        }
        if view.quiet {
            out.push_str(&format!("{}:{}: {}\n", report.file, w.line, w.source));
        } else {
            out.push_str(&format!("{}: {}\n", w.line, w.source));
        }
        match &w.outcome {
            Outcome::Derive {
                adjoints,
                results,
                order,
                note,
            } => {
                let names = adjoint_names(adjoints);
                let p = Printer::new(prog, Style::Text).with_adjoints(&names);
                for &line in order {
                    let (lhs, rhs) = match line {
                        PassLine::Adjoint(k) => (adjoints[k].0.clone(), Some(&adjoints[k].1)),
                        PassLine::Result(i) => {
                            (heading(&p, &results[i].node), results[i].result.as_ref())
                        }
                    };
                    match rhs {
                        Some(rhs) => out.push_str(&format!("    {lhs} = {}\n", p.print(rhs))),
                        None => out.push_str(&format!("    {lhs}: not derived\n")),
                    }
                }
                let same = results.windows(2).all(|w| {
                    w[0].verdict == w[1].verdict
                        && w[0].detail.to_string() == w[1].detail.to_string()
                });
                if same {
                    if let Some(r) = results.first() {
                        out.push_str(&format!(
                            "    {}: {}\n",
                            verdict_word(r.verdict, view),
                            r.detail
                        ));
                    }
                } else {
                    for r in results {
                        out.push_str(&format!(
                            "    {}: {}: {}\n",
                            heading(&p, &r.node),
                            verdict_word(r.verdict, view),
                            r.detail
                        ));
                    }
                }
                if let Some(n) = note {
                    out.push_str(&format!("    note: {n}\n"));
                }
            }
            Outcome::Show {
                result,
                verdict,
                detail,
            } => {
                let p = Printer::new(prog, Style::Text);
                out.push_str(&format!(
                    "    = {}\n    {}: {detail}\n",
                    p.print(result),
                    verdict_word(*verdict, view)
                ));
            }
            Outcome::Claim {
                expect,
                verdict,
                met: ok,
                detail,
                steps,
                ..
            } => {
                let tail = match (expect, ok) {
                    (Expect::Refuted, true) => " (as expected)",
                    (Expect::Refuted, false) => " (expected refuted)",
                    (Expect::Holds, false) => " (expected to hold)",
                    _ => "",
                };
                let tone = if *ok { Tone::Good } else { Tone::Bad };
                let word = paint(&format!("{}{tail}", verdict.word()), tone, view);
                if steps.len() > 1 {
                    steps_text(&mut out, steps, explain, view);
                    out.push_str(&format!("    {word}: {detail}\n"));
                } else {
                    out.push_str(&format!("    {word}: {detail}\n"));
                    if explain {
                        for s in steps {
                            for e in s.explanation() {
                                out.push_str(&format!("        {e}\n"));
                            }
                        }
                    }
                }
            }
            Outcome::Represent { answer, .. } => {
                out.push_str(&format!(
                    "    {}: {}\n",
                    detail::represent_word(answer),
                    detail::represent_detail(answer)
                ));
                if let Some(n) = detail::represent_network(answer) {
                    out.push_str(&format!("    {n}\n"));
                }
            }
            Outcome::Plot(p) => plot_text(&mut out, p),
        }
    }
    for e in &report.internal_errors {
        if view.quiet {
            out.push_str(&format!("{}: internal error: {e}\n", report.file));
        } else {
            out.push_str(&format!("internal error: {e}\n"));
        }
    }
    let mut line = Summary::of(report).line();
    if input_errors > 0 {
        line.push_str(&format!(
            "; {}",
            plural(input_errors, "input error", "input errors")
        ));
    }
    if view.quiet {
        out.push_str(&format!("{}: {line}\n", report.file));
    } else {
        out.push_str(&format!("{line}\n"));
    }
    out
}

fn latex_cmp(op: crate::ir::CmpOp) -> &'static str {
    match op {
        crate::ir::CmpOp::Lt => "<",
        crate::ir::CmpOp::Gt => ">",
        crate::ir::CmpOp::Le => "\\le",
        crate::ir::CmpOp::Ge => "\\ge",
    }
}

/// Whether `w` names something of `prog` (details quote such names).
fn is_program_name(prog: &Program, w: &str) -> bool {
    prog.dims.iter().any(|d| d.name == w)
        || prog.vars.iter().any(|d| d.name == w)
        || prog.lets.iter().any(|d| d.name == w)
        || prog.seqs.iter().any(|d| d.name == w)
        || prog.idxs.iter().any(|d| d.name == w)
        || prog.locals.iter().any(|d| d.name == w)
}

/// `refuted (as expected)`, `refuted (expected to hold)`: the verdict word
/// with what the text output says about the expectation.
fn claim_word(verdict: Verdict, expect: Expect, met: bool) -> String {
    let tail = match (expect, met) {
        (Expect::Refuted, true) => " (as expected)",
        (Expect::Refuted, false) => " (expected refuted)",
        (Expect::Holds, false) => " (expected to hold)",
        _ => "",
    };
    format!("{}{tail}", verdict.word())
}

/// A display of `aligned` rows.
fn latex_display(rows: &[String]) -> String {
    format!(
        "\\[\n\\begin{{aligned}}\n{}\n\\end{{aligned}}\n\\]\n",
        rows.join(" \\\\\n")
    )
}

/// One file's verdicts as LaTeX document-body text: `%` comments quote the
/// statements, display math `\[ … \]` holds the formulas, and a verdict
/// that is neither proved nor checked is followed by its detail
/// (counterexample or reason) as a paragraph. Needs `amsmath`.
fn latex(prog: &Program, report: &FileReport) -> String {
    let names = |w: &str| is_program_name(prog, w);
    let detail = |word: &str, d: &str| {
        format!(
            "\\textbf{{{}}}: {}\n",
            latex::escape_text(word),
            latex::prose(d, &names)
        )
    };
    let mut out = format!("% {}\n", latex::comment(&report.file));
    for w in &report.items {
        out.push_str(&format!(
            "% line {}: {}\n",
            w.line,
            latex::comment(&w.source)
        ));
        match &w.outcome {
            Outcome::Derive {
                adjoints,
                results,
                order,
                note,
            } => {
                let names = adjoint_names(adjoints);
                let p = Printer::new(prog, Style::Latex).with_adjoints(&names);
                let lines: Vec<String> = order
                    .iter()
                    .map(|&line| match line {
                        PassLine::Adjoint(k) => {
                            format!("{} &= {}", p.name(&adjoints[k].0), p.print(&adjoints[k].1))
                        }
                        PassLine::Result(i) => match &results[i].result {
                            Some(r) => {
                                format!("{} &= {}", heading(&p, &results[i].node), p.print(r))
                            }
                            None => format!(
                                "{} &: \\text{{not derived}}",
                                heading(&p, &results[i].node)
                            ),
                        },
                    })
                    .collect();
                out.push_str(&latex_display(&lines));
                let same = results.windows(2).all(|w| {
                    w[0].verdict == w[1].verdict
                        && w[0].detail.to_string() == w[1].detail.to_string()
                });
                for (i, r) in results.iter().enumerate() {
                    if same && i > 0 {
                        break;
                    }
                    out.push_str(&format!("% {}\n", r.verdict.word()));
                    if matches!(r.verdict, Verdict::Refuted | Verdict::Unknown) {
                        let word = if same {
                            r.verdict.word().to_string()
                        } else {
                            format!("{} {}", r.of, r.verdict.word())
                        };
                        out.push_str(&detail(&word, &r.detail.to_string()));
                    }
                }
                if let Some(n) = note {
                    out.push_str(&format!("% note: {}\n", latex::comment(n)));
                }
            }
            Outcome::Show {
                result,
                verdict,
                detail: d,
            } => {
                let p = Printer::new(prog, Style::Latex);
                out.push_str(&format!(
                    "\\[ {} \\]\n% {}\n",
                    p.print(result),
                    verdict.word()
                ));
                if matches!(verdict, Verdict::Refuted | Verdict::Unknown) {
                    out.push_str(&detail(verdict.word(), &d.to_string()));
                }
            }
            Outcome::Claim {
                expect,
                verdict,
                met,
                detail: d,
                steps,
                ..
            } => {
                let word = claim_word(*verdict, *expect, *met);
                let single = steps.len() == 1;
                if let Some(c) = claim_at(prog, w.line) {
                    let p = Printer::new(prog, Style::Latex);
                    let lines: Vec<String> = c
                        .steps
                        .iter()
                        .zip(steps)
                        .enumerate()
                        .map(|(i, (st, r))| {
                            let rel = match st.relation {
                                crate::ir::Relation::Eq => "=",
                                crate::ir::Relation::Cmp(op) => latex_cmp(op),
                            };
                            let lhs = if i == 0 {
                                p.print(&c.first)
                            } else {
                                String::new()
                            };
                            let tag = if single {
                                word.clone()
                            } else {
                                r.verdict.word().to_string()
                            };
                            format!(
                                "{lhs} &{rel} {} && \\text{{{}}}",
                                p.print(&st.rhs),
                                latex::escape_text(&tag)
                            )
                        })
                        .collect();
                    out.push_str(&latex_display(&lines));
                }
                out.push_str(&format!("% {word}\n"));
                if !met || matches!(verdict, Verdict::Refuted | Verdict::Unknown) {
                    out.push_str(&detail(&word, &d.to_string()));
                }
            }
            Outcome::Represent { answer, .. } => {
                let (verdict, d) = (
                    detail::represent_word(answer),
                    detail::represent_detail(answer),
                );
                out.push_str(&format!("% {verdict}: {}\n", latex::comment(d)));
                out.push_str(&detail(verdict, d));
                if let Some(n) = detail::represent_network(answer) {
                    out.push_str(&format!("% {}\n", latex::comment(&n)));
                    out.push_str(&format!("\\\\\n{}\n", latex::prose(&n, &names)));
                }
            }
            Outcome::Plot(p) => {
                out.push_str(&format!("% plot: {}, {}\n", p.path, p.detail()));
            }
        }
        out.push('\n');
    }
    out
}

/// The source text of `span`: comments dropped, lines trimmed and joined by
/// one space (a chain's steps sit on lines of their own).
fn source_text(src: &str, span: Span) -> String {
    let start = floor_char_boundary(src, span.start.min(src.len()));
    let end = floor_char_boundary(src, span.end.clamp(start, src.len()));
    src[start..end]
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn relation_word(r: Relation) -> &'static str {
    match r {
        Relation::Eq => "=",
        Relation::Cmp(op) => op.symbol(),
    }
}

fn step_json(s: &StepReport, quoted: Option<(&str, &Expr, &Step)>, explain: bool) -> Value {
    let mut v = json!({"line": s.line});
    if let Some((src, prev, step)) = quoted {
        v["text"] = json!(source_text(src, prev.span.join(step.span)));
        v["lhs"] = json!(source_text(src, prev.span));
        v["relation"] = json!(relation_word(step.relation));
        v["rhs"] = json!(source_text(src, step.rhs.span));
    }
    v["verdict"] = json!(s.verdict.word());
    v["detail"] = json!(s.detail.to_string());
    if explain {
        v["explanation"] = json!(s.explanation());
    }
    v
}

/// The claim statement of `prog` that starts on `line`.
fn claim_at(prog: &Program, line: usize) -> Option<&Claim> {
    prog.work.iter().find_map(|x| match &x.kind {
        WorkKind::Claim(c) if x.line == line => Some(c),
        _ => None,
    })
}

/// A claim's `text`, `lhs` and `rhs` as written (the whole chain's ends),
/// into `v`; and its steps, each with its own text.
fn claim_json(
    v: &mut Value,
    src: &str,
    claim: Option<&Claim>,
    steps: &[StepReport],
    explain: bool,
) -> Vec<Value> {
    let quoted = claim.filter(|c| c.steps.len() == steps.len() && !c.steps.is_empty());
    if let Some(c) = quoted {
        let last = &c.steps[c.steps.len() - 1];
        v["text"] = json!(source_text(src, c.first.span.join(last.span)));
        v["lhs"] = json!(source_text(src, c.first.span));
        v["rhs"] = json!(source_text(src, last.rhs.span));
    }
    let mut prev = quoted.map(|c| &c.first);
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let step = quoted.map(|c| &c.steps[i]);
            let q = match (prev, step) {
                (Some(p), Some(st)) => Some((src, p, st)),
                _ => None,
            };
            prev = step.map(|st| &st.rhs);
            step_json(s, q, explain)
        })
        .collect()
}

/// The per-file `summary` object: claim counts, derived results by
/// verdict, input errors, and the internal errors themselves.
fn summary_json(s: &Summary, input_errors: usize, internal: &[InternalError]) -> Value {
    let internal: Vec<String> = internal.iter().map(|e| e.to_string()).collect();
    let mut derived = json!({"total": s.derived_total()});
    for (v, n) in VERDICTS.iter().zip(s.derived) {
        derived[v.word()] = json!(n);
    }
    json!({"met": s.met, "total": s.claims, "derived": derived,
        "errors": input_errors, "internal_errors": internal})
}

/// One file's results as the JSON object LANGUAGE.md fixes, with a `summary`.
pub fn json_value(prog: &Program, src: &str, report: &FileReport) -> Value {
    json_value_with(prog, src, report, false)
}

fn json_value_with(prog: &Program, src: &str, report: &FileReport, quiet: bool) -> Value {
    let mut results = Vec::new();
    for w in &report.items {
        if quiet && !shown_when_quiet(&w.outcome) {
            continue;
        }
        match &w.outcome {
            Outcome::Derive {
                adjoints,
                results: rs,
                note,
                ..
            } => {
                let names = adjoint_names(adjoints);
                let p = Printer::new(prog, Style::Ascii).with_adjoints(&names);
                if !adjoints.is_empty() {
                    let adj: Vec<Value> = adjoints
                        .iter()
                        .map(|(n, e)| json!({"name": p.name(n), "value": p.print(e)}))
                        .collect();
                    results.push(json!({"kind": "adjoints", "line": w.line, "adjoints": adj}));
                }
                for r in rs {
                    let mut v = json!({
                        "kind": "derive", "line": w.line, "of": r.of, "result": r.result.as_ref().map(|e| p.print(e)),
                        "verdict": r.verdict.word(), "detail": r.detail.to_string(),
                    });
                    if let Some(n) = note {
                        v["note"] = json!(n);
                    }
                    results.push(v);
                }
            }
            Outcome::Show {
                result,
                verdict,
                detail,
            } => {
                let p = Printer::new(prog, Style::Ascii);
                results.push(
                    json!({"kind": "show", "line": w.line, "result": p.print(result),
                    "verdict": verdict.word(), "detail": detail.to_string()}),
                );
            }
            Outcome::Claim {
                name,
                expect,
                verdict,
                met,
                detail,
                steps,
            } => {
                let mut v = json!({"kind": "claim", "line": w.line, "name": name});
                let steps = claim_json(&mut v, src, claim_at(prog, w.line), steps, report.explain);
                v["expect"] = json!(expect_word(*expect));
                v["verdict"] = json!(verdict.word());
                v["met"] = json!(met);
                v["detail"] = json!(detail.to_string());
                v["steps"] = json!(steps);
                results.push(v);
            }
            Outcome::Represent { activation, answer } => {
                let mut v = json!({"kind": "represent", "line": w.line,
                    "activation": activation_word(*activation),
                    "verdict": detail::represent_word(answer),
                    "detail": detail::represent_detail(answer)});
                if let Some(n) = detail::represent_network(answer) {
                    v["network"] = json!(n);
                }
                results.push(v);
            }
            Outcome::Plot(p) => results.push(plot_json(w.line, p)),
        }
    }
    let summary = summary_json(&Summary::of(report), 0, &report.internal_errors);
    json!({"file": report.file, "results": results, "summary": summary})
}

/// A plot's path and detail, then each line's first and last value.
fn plot_text(out: &mut String, p: &PlotReport) {
    out.push_str(&format!("    plot: {}, {}\n", p.path, p.detail()));
    for s in &p.series {
        let at = |(t, v): (&u64, &Option<f64>)| {
            v.map(|v| format!("{} at {} = {t}", round_sig(v, 4), p.over))
        };
        let defined: Vec<String> = p.lengths.iter().zip(&s.values).filter_map(at).collect();
        let shown = match defined.as_slice() {
            [] => "undefined at every length".to_string(),
            [one] => one.clone(),
            [first, .., last] => format!("{first} … {last}"),
        };
        out.push_str(&format!("    {}: {shown}\n", s.text));
    }
    if let Some(problem) = &p.problem {
        out.push_str(&format!("    note: {problem}\n"));
    }
}

/// A plot as a result of kind `plot`: where the picture is, and every value.
fn plot_json(line: usize, p: &PlotReport) -> Value {
    let series: Vec<Value> = p
        .series
        .iter()
        .map(|s| json!({"expr": s.text, "values": s.values}))
        .collect();
    let sizes: serde_json::Map<String, Value> =
        p.sizes.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
    let mut v = json!({"kind": "plot", "line": line, "path": p.path, "over": p.over,
        "lengths": p.lengths, "series": series,
        "scale": if p.log_scale { "log" } else { "linear" },
        "sizes": sizes, "seed": p.seed, "point": p.draw, "detail": p.detail()});
    if let Some(problem) = &p.problem {
        v["problem"] = json!(problem);
    }
    v
}

/// The JSON object of a file that has input errors: one result of kind
/// `error` per diagnostic (at most `limit` of them; the summary counts all).
/// `src` is the text the diagnostics' spans index into.
pub fn error_file_json(file: &str, src: &str, diags: &[Diagnostic], limit: usize) -> Value {
    let results = error_results(src, diags, limit);
    let summary = summary_json(&Summary::default(), diags.len(), &[]);
    json!({"file": file, "results": results, "summary": summary})
}

/// The JSON object of an input that could not be read at all: one `error`
/// result without a position.
pub fn unreadable_json(file: &str, message: &str) -> Value {
    let summary = summary_json(&Summary::default(), 1, &[]);
    json!({"file": file,
        "results": [{"kind": "error", "line": null, "col": null, "message": message}],
        "summary": summary})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Options, check_program};

    /// A file whose every claim is met but whose derive hit an internal
    /// error: the summary says so instead of only `1/1 claims met`.
    #[test]
    fn internal_errors_reach_the_summary() {
        let src = "var x: scalar\nlet J = x^3\nderive J wrt x\nclaim x = x\n";
        let (src, prog) = crate::load("t.grad", src.as_bytes()).unwrap();
        let mut report = check_program("t.grad", &src, &prog, &Options::default());
        let one = |x: f64| crate::eval::Matrix {
            rows: 1,
            cols: 1,
            data: vec![x],
        };
        report.internal_errors.push(InternalError {
            line: 3,
            what: crate::check::Contradiction::FiniteDifferences,
            proof: None,
            counterexample: crate::check::Counterexample {
                lengths: vec![],
                point: vec![],
                at: vec![],
                sides: crate::check::Sides::FiniteDifferences {
                    derived: one(3.0),
                    finite: one(2.5),
                },
            },
        });
        let why = "line 3: a derived result disagrees with finite differences: derived 3 but finite differences give 2.5";
        assert!(report.any_unmet());
        let text = render(&prog, &src, &report, Format::Text);
        assert!(
            text.ends_with(&format!(
                "internal error: {why}\n\
                 1/1 claims met their expectation; 1 derived result: 1 checked; 1 internal error\n"
            )),
            "{text}"
        );
        let v = json_value(&prog, &src, &report);
        assert_eq!(v["summary"]["internal_errors"], json!([why]));
        assert_eq!(v["summary"]["met"], 1);
        let quiet = View {
            quiet: true,
            color: false,
        };
        assert_eq!(
            render_with(&prog, &src, &report, Format::Text, quiet),
            format!(
                "t.grad: internal error: {why}\n\
                 t.grad: 1/1 claims met their expectation; 1 derived result: 1 checked; 1 internal error\n"
            )
        );
    }

    #[test]
    fn summary_lines() {
        let mut s = Summary::default();
        assert_eq!(s.line(), "0/0 claims met their expectation");
        s.derived = [1, 0, 2, 3];
        assert_eq!(
            s.line(),
            "no claims; 6 derived results: 1 proved, 2 refuted, 3 unknown"
        );
        s.claims = 2;
        s.met = 1;
        s.internal_errors = 2;
        let mut t = s.clone();
        t.add(&s);
        assert_eq!(
            t.line(),
            "2/4 claims met their expectation; 12 derived results: 2 proved, 4 refuted, 6 unknown; 4 internal errors"
        );
    }

    #[test]
    fn source_text_drops_comments_and_joins_lines() {
        let src = "claim a # first\n  # only a comment\n  = b   +  c\n";
        assert_eq!(source_text(src, Span::new(6, src.len())), "a = b   +  c");
        // Out-of-range and mid-character spans are clamped, not a panic.
        assert_eq!(source_text("δx", Span::new(1, 99)), "δx");
    }
}
