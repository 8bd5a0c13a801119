//! Rendering of a file's verdicts: Unicode text for people, LaTeX ready to
//! paste, JSON for tools (the fields LANGUAGE.md fixes). Expressions are
//! printed by [`expr::Printer`] in the matching style.

pub mod expr;

use crate::check::{DerivedResult, FileReport, Outcome, StepReport};
use crate::derive::PassLine;
use crate::ir::{Activation, Expect, Expr, Op, Program};
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

/// The backward-pass order of a derive's adjoints and results.
fn pass_order(adjoints: &[(String, Expr)], results: &[DerivedResult]) -> Vec<PassLine> {
    let defs: Vec<&Expr> = adjoints.iter().map(|(_, e)| e).collect();
    let rs: Vec<&Expr> = results.iter().map(|r| &r.result).collect();
    crate::derive::backward_order(&defs, &rs)
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

pub fn render(prog: &Program, report: &FileReport, format: Format) -> String {
    match format {
        Format::Text => text(prog, report),
        Format::Latex => latex(prog, report),
        Format::Json => {
            serde_json::to_string_pretty(&json_value(prog, report)).unwrap_or_default() + "\n"
        }
    }
}

fn steps_text(out: &mut String, steps: &[StepReport], explain: bool) {
    for (i, s) in steps.iter().enumerate() {
        out.push_str(&format!(
            "    step {} (line {}): {}: {}\n",
            i + 1,
            s.line,
            s.verdict.word(),
            s.detail
        ));
        if explain {
            for e in &s.explanation {
                out.push_str(&format!("        {e}\n"));
            }
        }
    }
}

fn text(prog: &Program, report: &FileReport) -> String {
    let mut out = format!("{}\n", report.file);
    let explain = report.explain;
    let (mut claims, mut met) = (0, 0);
    for w in &report.items {
        out.push_str(&format!("{}: {}\n", w.line, w.source));
        match &w.outcome {
            Outcome::Derive {
                adjoints,
                results,
                note,
            } => {
                let names = adjoint_names(adjoints);
                let p = Printer::new(prog, Style::Text).with_adjoints(&names);
                for line in pass_order(adjoints, results) {
                    let (lhs, rhs) = match line {
                        PassLine::Adjoint(k) => (adjoints[k].0.clone(), &adjoints[k].1),
                        PassLine::Result(i) => (heading(&p, &results[i].node), &results[i].result),
                    };
                    out.push_str(&format!("    {lhs} = {}\n", p.print(rhs)));
                }
                let same = results
                    .windows(2)
                    .all(|w| w[0].verdict == w[1].verdict && w[0].detail == w[1].detail);
                if same {
                    if let Some(r) = results.first() {
                        out.push_str(&format!("    {}: {}\n", r.verdict.word(), r.detail));
                    }
                } else {
                    for r in results {
                        out.push_str(&format!(
                            "    {}: {}: {}\n",
                            heading(&p, &r.node),
                            r.verdict.word(),
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
                    verdict.word()
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
                claims += 1;
                if *ok {
                    met += 1;
                }
                let tail = match (expect, ok) {
                    (Expect::Refuted, true) => " (as expected)",
                    (Expect::Refuted, false) => " (expected refuted)",
                    (Expect::Holds, false) => " (expected to hold)",
                    _ => "",
                };
                if steps.len() > 1 {
                    steps_text(&mut out, steps, explain);
                    out.push_str(&format!("    {}{tail}: {detail}\n", verdict.word()));
                } else {
                    out.push_str(&format!("    {}{tail}: {detail}\n", verdict.word()));
                    if explain {
                        for s in steps {
                            for e in &s.explanation {
                                out.push_str(&format!("        {e}\n"));
                            }
                        }
                    }
                }
            }
            Outcome::Represent {
                verdict,
                detail,
                network,
                ..
            } => {
                out.push_str(&format!("    {verdict}: {detail}\n"));
                if let Some(n) = network {
                    out.push_str(&format!("    {n}\n"));
                }
            }
        }
    }
    for e in &report.internal_errors {
        out.push_str(&format!("internal error: {e}\n"));
    }
    out.push_str(&format!("{met}/{claims} claims met their expectation\n"));
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

fn latex(prog: &Program, report: &FileReport) -> String {
    let mut out = format!("% {}\n", report.file);
    for w in &report.items {
        out.push_str(&format!("% line {}: {}\n", w.line, w.source));
        match &w.outcome {
            Outcome::Derive {
                adjoints, results, ..
            } => {
                let names = adjoint_names(adjoints);
                let p = Printer::new(prog, Style::Latex).with_adjoints(&names);
                let lines: Vec<String> = pass_order(adjoints, results)
                    .into_iter()
                    .map(|line| match line {
                        PassLine::Adjoint(k) => {
                            format!("{} &= {}", p.name(&adjoints[k].0), p.print(&adjoints[k].1))
                        }
                        PassLine::Result(i) => format!(
                            "{} &= {}",
                            heading(&p, &results[i].node),
                            p.print(&results[i].result)
                        ),
                    })
                    .collect();
                out.push_str(&format!(
                    "\\begin{{aligned}}\n{}\n\\end{{aligned}}\n",
                    lines.join(" \\\\\n")
                ));
                if let Some(r) = results.first() {
                    out.push_str(&format!("% {}\n", r.verdict.word()));
                }
            }
            Outcome::Show {
                result, verdict, ..
            } => {
                let p = Printer::new(prog, Style::Latex);
                out.push_str(&format!(
                    "\\[ {} \\]\n% {}\n",
                    p.print(result),
                    verdict.word()
                ));
            }
            Outcome::Claim { verdict, steps, .. } => {
                let claim = prog.work.iter().find_map(|x| match &x.kind {
                    crate::ir::WorkKind::Claim(c) if x.line == w.line => Some(c),
                    _ => None,
                });
                if let Some(c) = claim {
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
                            format!(
                                "{lhs} &{rel} {} && \\text{{{}}}",
                                p.print(&st.rhs),
                                r.verdict.word()
                            )
                        })
                        .collect();
                    out.push_str(&format!(
                        "\\begin{{aligned}}\n{}\n\\end{{aligned}}\n",
                        lines.join(" \\\\\n")
                    ));
                }
                out.push_str(&format!("% {}\n", verdict.word()));
            }
            Outcome::Represent {
                verdict,
                detail,
                network,
                ..
            } => {
                out.push_str(&format!("% {verdict}: {detail}\n"));
                if let Some(n) = network {
                    out.push_str(&format!("% {n}\n"));
                }
            }
        }
    }
    out
}

fn step_json(s: &StepReport, explain: bool) -> Value {
    let mut v = json!({"line": s.line, "verdict": s.verdict.word(), "detail": s.detail});
    if explain {
        v["explanation"] = json!(s.explanation);
    }
    v
}

pub fn json_value(prog: &Program, report: &FileReport) -> Value {
    let mut results = Vec::new();
    for w in &report.items {
        match &w.outcome {
            Outcome::Derive {
                adjoints,
                results: rs,
                note,
            } => {
                let names = adjoint_names(adjoints);
                let p = Printer::new(prog, Style::Ascii).with_adjoints(&names);
                let adj: Vec<Value> = adjoints
                    .iter()
                    .map(|(n, e)| json!({"name": p.name(n), "value": p.print(e)}))
                    .collect();
                for r in rs {
                    let mut v = json!({
                        "kind": "derive", "line": w.line, "of": r.of, "result": p.print(&r.result),
                        "verdict": r.verdict.word(), "detail": r.detail, "adjoints": adj,
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
                    "verdict": verdict.word(), "detail": detail}),
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
                let steps: Vec<Value> =
                    steps.iter().map(|s| step_json(s, report.explain)).collect();
                results.push(json!({"kind": "claim", "line": w.line, "name": name,
                    "expect": expect_word(*expect), "verdict": verdict.word(), "met": met,
                    "detail": detail, "steps": steps}));
            }
            Outcome::Represent {
                activation,
                verdict,
                detail,
                network,
            } => {
                let mut v = json!({"kind": "represent", "line": w.line,
                    "activation": activation_word(*activation), "verdict": verdict, "detail": detail});
                if let Some(n) = network {
                    v["network"] = json!(n);
                }
                results.push(v);
            }
        }
    }
    let mut v = json!({"file": report.file, "results": results});
    if !report.internal_errors.is_empty() {
        v["internal_errors"] = json!(report.internal_errors);
    }
    v
}
