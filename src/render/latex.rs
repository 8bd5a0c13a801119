//! LaTeX beyond single expressions: verdict details (counterexamples,
//! reasons) turned from the text output's prose into LaTeX text with inline
//! math, escaping for text mode, and the complete document of
//! `--standalone`.
//!
//! Everything here must compile with pdflatex and only `amsmath` loaded
//! (plus `amssymb` in the standalone preamble), whatever the input: names
//! may use any script and details quote them, so every character outside
//! printable ASCII is mapped to a command or to a visible placeholder.

use super::expr::{latex_name, subscript};

/// The preamble of `--standalone`: the packages the fragments need.
pub const PREAMBLE: &str = "\\documentclass{article}\n\
\\usepackage{amsmath,amssymb}\n\
\\usepackage[margin=2cm]{geometry}\n\
\\allowdisplaybreaks\n\
\\sloppy\n\
\\setlength{\\parindent}{0pt}\n\
\\begin{document}\n";

/// The end of a `--standalone` document.
pub const END: &str = "\\end{document}\n";

/// The section heading of one file in a standalone document.
pub fn file_heading(file: &str) -> String {
    format!("\\section*{{\\texttt{{{}}}}}\n", escape_text(file))
}

/// A file that could not be checked, as a standalone document says it.
pub fn file_not_checked(file: &str, why: &str) -> String {
    format!(
        "{}% {}\n{}\n\n",
        file_heading(file),
        comment(why),
        escape_text(why)
    )
}

/// Text that is safe after `% `: one line.
pub fn comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A character outside ASCII as LaTeX that compiles in text and math mode
/// alike (math is wrapped in `\ensuremath`), or `None` for an unknown one.
fn unicode_char(c: char) -> Option<&'static str> {
    Some(match c {
        '−' => "\\ensuremath{-}",
        '·' => "\\ensuremath{\\cdot}",
        '×' => "\\ensuremath{\\times}",
        '∘' => "\\ensuremath{\\circ}",
        'ᵀ' => "\\ensuremath{^\\top}",
        '⁻' => "\\ensuremath{^-}",
        '¹' => "\\ensuremath{^1}",
        '²' => "\\ensuremath{^2}",
        '≤' => "\\ensuremath{\\le}",
        '≥' => "\\ensuremath{\\ge}",
        '≠' => "\\ensuremath{\\ne}",
        '→' => "\\ensuremath{\\to}",
        '⇒' => "\\ensuremath{\\Rightarrow}",
        '∂' => "\\ensuremath{\\partial}",
        '∇' => "\\ensuremath{\\nabla}",
        '∑' => "\\ensuremath{\\sum}",
        '∏' => "\\ensuremath{\\prod}",
        '∞' => "\\ensuremath{\\infty}",
        '′' => "\\ensuremath{'}",
        '⋯' => "\\ensuremath{\\cdots}",
        '…' => "\\ldots{}",
        '—' => "---",
        '–' => "--",
        '‖' => "\\ensuremath{\\|}",
        '∈' => "\\ensuremath{\\in}",
        '↓' => "\\ensuremath{\\downarrow}",
        _ => return greek_char(c).map(|g| g.1),
    })
}

/// Greek letters as characters: (name, `\ensuremath{\name}`).
fn greek_char(c: char) -> Option<(&'static str, &'static str)> {
    Some(match c {
        'α' => ("alpha", "\\ensuremath{\\alpha}"),
        'β' => ("beta", "\\ensuremath{\\beta}"),
        'γ' => ("gamma", "\\ensuremath{\\gamma}"),
        'δ' => ("delta", "\\ensuremath{\\delta}"),
        'ε' => ("epsilon", "\\ensuremath{\\epsilon}"),
        'ϵ' => ("epsilon", "\\ensuremath{\\epsilon}"),
        'ζ' => ("zeta", "\\ensuremath{\\zeta}"),
        'η' => ("eta", "\\ensuremath{\\eta}"),
        'θ' => ("theta", "\\ensuremath{\\theta}"),
        'ι' => ("iota", "\\ensuremath{\\iota}"),
        'κ' => ("kappa", "\\ensuremath{\\kappa}"),
        'λ' => ("lambda", "\\ensuremath{\\lambda}"),
        'μ' => ("mu", "\\ensuremath{\\mu}"),
        'ν' => ("nu", "\\ensuremath{\\nu}"),
        'ξ' => ("xi", "\\ensuremath{\\xi}"),
        'π' => ("pi", "\\ensuremath{\\pi}"),
        'ρ' => ("rho", "\\ensuremath{\\rho}"),
        'σ' => ("sigma", "\\ensuremath{\\sigma}"),
        'ς' => ("varsigma", "\\ensuremath{\\varsigma}"),
        'τ' => ("tau", "\\ensuremath{\\tau}"),
        'υ' => ("upsilon", "\\ensuremath{\\upsilon}"),
        'φ' => ("phi", "\\ensuremath{\\phi}"),
        'χ' => ("chi", "\\ensuremath{\\chi}"),
        'ψ' => ("psi", "\\ensuremath{\\psi}"),
        'ω' => ("omega", "\\ensuremath{\\omega}"),
        'Γ' => ("Gamma", "\\ensuremath{\\Gamma}"),
        'Δ' => ("Delta", "\\ensuremath{\\Delta}"),
        'Θ' => ("Theta", "\\ensuremath{\\Theta}"),
        'Λ' => ("Lambda", "\\ensuremath{\\Lambda}"),
        'Ξ' => ("Xi", "\\ensuremath{\\Xi}"),
        'Π' => ("Pi", "\\ensuremath{\\Pi}"),
        'Σ' => ("Sigma", "\\ensuremath{\\Sigma}"),
        'Υ' => ("Upsilon", "\\ensuremath{\\Upsilon}"),
        'Φ' => ("Phi", "\\ensuremath{\\Phi}"),
        'Ψ' => ("Psi", "\\ensuremath{\\Psi}"),
        'Ω' => ("Omega", "\\ensuremath{\\Omega}"),
        _ => return None,
    })
}

/// The Latin spelling of a Greek letter (`δ` → `delta`), for names.
pub fn greek_spelling(c: char) -> Option<&'static str> {
    greek_char(c).map(|g| g.0)
}

/// A character no table knows, visibly and compilably: `[U+0416]`.
pub fn placeholder(c: char) -> String {
    format!("[U+{:04X}]", c as u32)
}

/// `s` as LaTeX text-mode material: specials escaped, `<` `>` `|` as math
/// (the default text font has no such glyphs), other characters mapped.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            '$' => out.push_str("\\$"),
            '&' => out.push_str("\\&"),
            '#' => out.push_str("\\#"),
            '%' => out.push_str("\\%"),
            '_' => out.push_str("\\_"),
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            '<' => out.push_str("\\ensuremath{<}"),
            '>' => out.push_str("\\ensuremath{>}"),
            '|' => out.push_str("\\ensuremath{|}"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_ascii_control() => {}
            c if c.is_ascii() => out.push(c),
            c => match unicode_char(c) {
                Some(l) => out.push_str(l),
                None => out.push_str(&placeholder(c)),
            },
        }
    }
    out
}

/// One piece of a detail: a name-like word, a number, or one other character.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Num(String),
    Char(char),
}

fn tokens(s: &str) -> Vec<Tok> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Word(cs[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            // An exponent: `1.5e-7`.
            if i + 1 < cs.len()
                && cs[i] == 'e'
                && (cs[i + 1].is_ascii_digit()
                    || (matches!(cs[i + 1], '-' | '+')
                        && cs.get(i + 2).is_some_and(|d| d.is_ascii_digit())))
            {
                i += 2;
                while i < cs.len() && cs[i].is_ascii_digit() {
                    i += 1;
                }
            }
            out.push(Tok::Num(cs[start..i].iter().collect()));
        } else {
            out.push(Tok::Char(c));
            i += 1;
        }
    }
    out
}

/// A number as math: `1.5e-7` → `1.5 \cdot 10^{-7}`.
fn math_number(n: &str) -> String {
    match n.split_once('e') {
        Some((m, e)) => format!("{m} \\cdot 10^{{{}}}", e.trim_start_matches('+')),
        None => n.to_string(),
    }
}

/// A scalar of a counterexample: `-3`, `11/4`, `0.25`, `-1.5e-7`, `inf`, `NaN`.
/// Returns the math and the number of tokens used.
fn scalar_at(t: &[Tok]) -> Option<(String, usize)> {
    let mut i = 0;
    let mut s = String::new();
    if matches!(t.first(), Some(Tok::Char('-' | '−'))) {
        s.push('-');
        i = 1;
    }
    match t.get(i)? {
        Tok::Num(n) => {
            s.push_str(&math_number(n));
            i += 1;
            if let (Some(Tok::Char('/')), Some(Tok::Num(d))) = (t.get(i), t.get(i + 1)) {
                s.push('/');
                s.push_str(&math_number(d));
                i += 2;
            }
        }
        Tok::Word(w) if w == "inf" => {
            s.push_str("\\infty");
            i += 1;
        }
        Tok::Word(w) if w == "NaN" => {
            s.push_str("\\mathrm{NaN}");
            i += 1;
        }
        _ => return None,
    }
    Some((s, i))
}

/// Skips spaces from `i`.
fn skip_spaces(t: &[Tok], mut i: usize) -> usize {
    while matches!(t.get(i), Some(Tok::Char(' '))) {
        i += 1;
    }
    i
}

/// `[a, b, …]` of scalars from `t[0]`, as the strings of its elements.
fn list_at<T>(t: &[Tok], item: impl Fn(&[Tok]) -> Option<(T, usize)>) -> Option<(Vec<T>, usize)> {
    if t.first() != Some(&Tok::Char('[')) {
        return None;
    }
    let mut i = 1;
    let mut items = Vec::new();
    loop {
        i = skip_spaces(t, i);
        let (x, used) = item(&t[i..])?;
        items.push(x);
        i = skip_spaces(t, i + used);
        match t.get(i)? {
            Tok::Char(',') => i += 1,
            Tok::Char(']') => return Some((items, i + 1)),
            _ => return None,
        }
    }
}

/// A counterexample's value as math: a scalar, a column `[1, 2]` (written
/// as a transposed row), or a matrix `[[1, 2], [3, 4]]`.
fn value_at(t: &[Tok]) -> Option<(String, usize)> {
    if let Some(v) = scalar_at(t) {
        return Some(v);
    }
    if let Some((col, used)) = list_at(t, scalar_at) {
        return Some((
            format!(
                "\\begin{{bmatrix}} {} \\end{{bmatrix}}^\\top",
                col.join(" & ")
            ),
            used,
        ));
    }
    let (rows, used) = list_at(t, |r| list_at(r, scalar_at))?;
    let body: Vec<String> = rows.iter().map(|r| r.join(" & ")).collect();
    Some((
        format!(
            "\\begin{{bmatrix}} {} \\end{{bmatrix}}",
            body.join(" \\\\ ")
        ),
        used,
    ))
}

/// A name of the program, possibly indexed (`x`, `x[0]`, `h[T]`, `y[i]`),
/// as math; the number of tokens used.
fn name_at(t: &[Tok], names: &dyn Fn(&str) -> bool) -> Option<(String, usize)> {
    let Some(Tok::Word(w)) = t.first() else {
        return None;
    };
    if !names(w) {
        return None;
    }
    let base = latex_name(w);
    if t.get(1) == Some(&Tok::Char('[')) {
        let idx = match t.get(2)? {
            Tok::Num(n) if n.chars().all(|c| c.is_ascii_digit()) => n.clone(),
            Tok::Word(i) if names(i) => latex_name(i),
            _ => return None,
        };
        if t.get(3) != Some(&Tok::Char(']')) {
            return None;
        }
        return Some((subscript(&base, &idx), 4));
    }
    Some((base, 1))
}

/// A relation between a named left side and a value (or a name):
/// `=`, `<`, `>`, `<=`, `>=`, `≤`, `≥`.
fn relation_at(t: &[Tok]) -> Option<(&'static str, usize)> {
    let i = skip_spaces(t, 0);
    let (rel, used) = match (t.get(i)?, t.get(i + 1)) {
        (Tok::Char('<'), Some(Tok::Char('='))) => ("\\le", 2),
        (Tok::Char('>'), Some(Tok::Char('='))) => ("\\ge", 2),
        (Tok::Char('='), _) => ("=", 1),
        (Tok::Char('<'), _) => ("<", 1),
        (Tok::Char('>'), _) => (">", 1),
        (Tok::Char('≤'), _) => ("\\le", 1),
        (Tok::Char('≥'), _) => ("\\ge", 1),
        _ => return None,
    };
    let j = i + used;
    // A space must follow, as the details write relations (`x = 1`).
    (t.get(j) == Some(&Tok::Char(' '))).then_some((rel, j + 1))
}

/// A verdict's detail (the text output's prose) as LaTeX text: every
/// `NAME = VALUE` becomes inline math (`$x = \begin{bmatrix} … \end{bmatrix}^\top$`,
/// program names in the expressions' spelling), `left = 0.5` keeps its word
/// and typesets the value, and the rest is escaped text. `names` tells
/// which words are names of the program.
pub fn prose(detail: &str, names: &dyn Fn(&str) -> bool) -> String {
    let t = tokens(detail);
    let mut out = String::new();
    let mut i = 0;
    // A word that is not the tail of a longer word: a relation's left side
    // must start at a boundary (`x` in `at x = 1`, not in `max = 1`).
    let boundary = |i: usize| {
        i == 0
            || !matches!(&t[i - 1], Tok::Word(_) | Tok::Num(_))
                && !matches!(t[i - 1], Tok::Char('.' | '\''))
    };
    while i < t.len() {
        if let Some((m, used)) = boundary(i).then(|| assignment_at(&t[i..], names)).flatten() {
            out.push_str(&m);
            i += used;
            continue;
        }
        match &t[i] {
            Tok::Word(w) => out.push_str(&escape_text(w)),
            Tok::Num(n) => out.push_str(n),
            Tok::Char(c) => out.push_str(&escape_text(&c.to_string())),
        }
        i += 1;
    }
    out
}

/// `NAME REL VALUE` from `t[0]`: the LaTeX and the tokens used.
fn assignment_at(t: &[Tok], names: &dyn Fn(&str) -> bool) -> Option<(String, usize)> {
    let (lhs, lhs_used, named) = match name_at(t, names) {
        Some((m, used)) => (m, used, true),
        None => match t.first()? {
            Tok::Word(w) => (escape_text(w), 1, false),
            _ => return None,
        },
    };
    let (rel, rel_used) = relation_at(&t[lhs_used..])?;
    let at = lhs_used + rel_used;
    let (rhs, rhs_used) = value_at(&t[at..]).or_else(|| name_at(&t[at..], names))?;
    // The value must end at a boundary too (`x = 1` in `x = 1, y = 2`,
    // not `x = 1` of `x = 1st`).
    let end = at + rhs_used;
    if matches!(t.get(end), Some(Tok::Word(_) | Tok::Num(_))) {
        return None;
    }
    let s = if named {
        format!("${lhs} {rel} {rhs}$")
    } else {
        format!("{lhs} ${rel} {rhs}$")
    };
    Some((s, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(w: &str) -> bool {
        matches!(
            w,
            "n" | "x" | "W" | "h" | "T" | "i" | "a" | "b" | "lambda2" | "dout"
        )
    }

    #[test]
    fn counterexamples_become_math() {
        assert_eq!(
            prose(
                "counterexample: n = 2, x = [1.375, -1.204], W = [[1, -2], [3/4, 0.5]]; left = -0.0009661, right = 1.5e-7 (largest difference 0.001625)",
                &names
            ),
            "counterexample: $n = 2$, $x = \\begin{bmatrix} 1.375 & -1.204 \\end{bmatrix}^\\top$, \
             $W = \\begin{bmatrix} 1 & -2 \\\\ 3/4 & 0.5 \\end{bmatrix}$; \
             left $= -0.0009661$, right $= 1.5 \\cdot 10^{-7}$ (largest difference 0.001625)"
        );
        assert_eq!(
            prose(
                "counterexample at T = 1: h[0] = [-3, -1], dout = 3; at i = 1: left = 0",
                &names
            ),
            "counterexample at $T = 1$: $h_{0} = \\begin{bmatrix} -3 & -1 \\end{bmatrix}^\\top$, \
             $\\mathit{dout} = 3$; at $i = 1$: left $= 0$"
        );
        assert_eq!(
            prose(
                "at x = b, with a = -1, lambda2 = 1 (case a < b): left = 0, right = 1",
                &names
            ),
            "at $x = b$, with $a = -1$, $\\lambda_{2} = 1$ (case $a < b$): left $= 0$, right $= 1$"
        );
    }

    #[test]
    fn other_text_is_escaped() {
        assert_eq!(
            prose(
                "the sides have different shapes: left mat[k, m], right vec[n]",
                &names
            ),
            "the sides have different shapes: left mat[k, m], right vec[n]"
        );
        // Not an assignment: the left side is not a whole word, the value is
        // not a number, or no space follows the relation.
        assert_eq!(prose("max_x = 1", &names), "max\\_x $= 1$");
        assert_eq!(prose("x = 1st", &names), "x = 1st");
        assert_eq!(prose("x =1", &names), "x =1");
        assert_eq!(
            prose("sum(y) = 1 & 50% of {δ1ᵀ ∘ ж}, 1e-6 <= atol", &names),
            "sum(y) = 1 \\& 50\\% of \\{\\ensuremath{\\delta}1\\ensuremath{^\\top} \
             \\ensuremath{\\circ} [U+0436]\\}, 1e-6 \\ensuremath{<}= atol"
        );
        assert_eq!(
            escape_text("a\\b_c^d~e#f$g|h"),
            "a\\textbackslash{}b\\_c\\^{}d\\~{}e\\#f\\$g\\ensuremath{|}h"
        );
    }

    #[test]
    fn malformed_values_stay_text() {
        assert_eq!(prose("x = [1, 2", &names), "x = [1, 2");
        assert_eq!(prose("x = [[1], 2]", &names), "x = [[1], 2]");
        assert_eq!(prose("x = -", &names), "x = -");
        assert_eq!(prose("h[ = 1", &names), "h[ = 1");
        assert_eq!(prose("", &names), "");
    }
}
