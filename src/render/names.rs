//! Names in LaTeX: Greek letters by their names, accents, multi-letter
//! identifiers as one `\mathit{…}`, subscripts, and the word boundaries
//! the printer must keep apart (`N \mathit{dout}`, not "Ndout").

use crate::ir::ElemFn;

/// Names that are a Greek letter's name, and their LaTeX (`eps` is
/// `\epsilon`; capitals without a command of their own are upright Latin).
const GREEK: &[(&str, &str)] = &[
    ("alpha", "\\alpha"),
    ("beta", "\\beta"),
    ("gamma", "\\gamma"),
    ("delta", "\\delta"),
    ("epsilon", "\\epsilon"),
    ("eps", "\\epsilon"),
    ("varepsilon", "\\varepsilon"),
    ("zeta", "\\zeta"),
    ("eta", "\\eta"),
    ("theta", "\\theta"),
    ("vartheta", "\\vartheta"),
    ("iota", "\\iota"),
    ("kappa", "\\kappa"),
    ("lambda", "\\lambda"),
    ("mu", "\\mu"),
    ("nu", "\\nu"),
    ("xi", "\\xi"),
    ("omicron", "o"),
    ("pi", "\\pi"),
    ("varpi", "\\varpi"),
    ("rho", "\\rho"),
    ("varrho", "\\varrho"),
    ("sigma", "\\sigma"),
    ("varsigma", "\\varsigma"),
    ("tau", "\\tau"),
    ("upsilon", "\\upsilon"),
    ("phi", "\\phi"),
    ("varphi", "\\varphi"),
    ("chi", "\\chi"),
    ("psi", "\\psi"),
    ("omega", "\\omega"),
    ("Alpha", "\\mathrm{A}"),
    ("Beta", "\\mathrm{B}"),
    ("Gamma", "\\Gamma"),
    ("Delta", "\\Delta"),
    ("Epsilon", "\\mathrm{E}"),
    ("Zeta", "\\mathrm{Z}"),
    ("Eta", "\\mathrm{H}"),
    ("Theta", "\\Theta"),
    ("Iota", "\\mathrm{I}"),
    ("Kappa", "\\mathrm{K}"),
    ("Lambda", "\\Lambda"),
    ("Mu", "\\mathrm{M}"),
    ("Nu", "\\mathrm{N}"),
    ("Xi", "\\Xi"),
    ("Omicron", "\\mathrm{O}"),
    ("Pi", "\\Pi"),
    ("Rho", "\\mathrm{P}"),
    ("Sigma", "\\Sigma"),
    ("Tau", "\\mathrm{T}"),
    ("Upsilon", "\\Upsilon"),
    ("Phi", "\\Phi"),
    ("Chi", "\\mathrm{X}"),
    ("Psi", "\\Psi"),
    ("Omega", "\\Omega"),
];

pub(crate) fn greek(s: &str) -> Option<&'static str> {
    GREEK.iter().find(|(n, _)| *n == s).map(|(_, l)| *l)
}

/// Accents a name may end with: `yhat` → `\hat{y}`.
const ACCENTS: &[(&str, &str)] = &[
    ("hat", "\\hat"),
    ("bar", "\\bar"),
    ("tilde", "\\tilde"),
    ("dot", "\\dot"),
];

/// Combining marks a name may carry (`ŷ` written as `y` and U+0302).
pub(crate) fn combining_accent(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{0302}' => "\\hat",
        '\u{0304}' | '\u{0305}' => "\\bar",
        '\u{0303}' => "\\tilde",
        '\u{0307}' => "\\dot",
        '\u{0308}' => "\\ddot",
        '\u{0301}' => "\\acute",
        '\u{0300}' => "\\grave",
        _ => return None,
    })
}

/// Precomposed letters with an accent: (letter, accent).
pub(crate) fn precomposed(c: char) -> Option<(char, &'static str)> {
    Some(match c {
        'ŷ' => ('y', "\\hat"),
        'ĥ' => ('h', "\\hat"),
        'ȳ' => ('y', "\\bar"),
        'ā' => ('a', "\\bar"),
        'ē' => ('e', "\\bar"),
        'ī' => ('i', "\\bar"),
        'ō' => ('o', "\\bar"),
        'ū' => ('u', "\\bar"),
        'ỹ' => ('y', "\\tilde"),
        'ñ' => ('n', "\\tilde"),
        'õ' => ('o', "\\tilde"),
        'ẋ' => ('x', "\\dot"),
        'ẏ' => ('y', "\\dot"),
        'á' => ('a', "\\acute"),
        'é' => ('e', "\\acute"),
        'í' => ('i', "\\acute"),
        'ó' => ('o', "\\acute"),
        'ú' => ('u', "\\acute"),
        'à' => ('a', "\\grave"),
        'è' => ('e', "\\grave"),
        'ä' => ('a', "\\ddot"),
        'ë' => ('e', "\\ddot"),
        'ö' => ('o', "\\ddot"),
        'ü' => ('u', "\\ddot"),
        _ => return None,
    })
}

/// `yhat` → `\hat{y}`, `b2` → `b_{2}`, `delta1` → `\delta_{1}`, `δ1` → `\delta_{1}`,
/// `eps` → `\epsilon`, `W_hh` → `W_{\mathit{hh}}`, `dout` → `\mathit{dout}`
/// (a multi-letter name is one italic identifier, never letters in a row).
pub fn latex_name(n: &str) -> String {
    // Subscript digits are digits; Greek characters their names.
    let mut plain = String::new();
    for c in n.chars() {
        match c {
            '₀'..='₉' => plain.push(char::from(b'0' + (c as u32 - '₀' as u32) as u8)),
            _ => plain.push(c),
        }
    }
    // `a_b`: a subscript (a leading or trailing `_` is part of the name).
    if let Some(k) = plain.find('_').filter(|&k| k > 0 && k + 1 < plain.len()) {
        let (stem, sub) = (&plain[..k], &plain[k + 1..]);
        return format!("{}_{{{}}}", latex_stem(stem), latex_name(sub));
    }
    let split = plain.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, digits) = plain.split_at(split);
    if stem.is_empty() {
        return digits.to_string();
    }
    let base = latex_stem(stem);
    if digits.is_empty() {
        base
    } else {
        format!("{base}_{{{digits}}}")
    }
}

/// A name without its subscript: Greek, accented, one letter, or one
/// multi-letter identifier.
pub(crate) fn latex_stem(s: &str) -> String {
    if let Some(g) = greek(s) {
        return g.to_string();
    }
    for (word, accent) in ACCENTS {
        if let Some(b) = s.strip_suffix(word).filter(|b| !b.is_empty()) {
            return format!("{accent}{{{}}}", latex_stem(b));
        }
    }
    if s.is_ascii() {
        return if s.chars().count() == 1 {
            s.to_string()
        } else {
            format!("\\mathit{{{}}}", s.replace('_', "\\_"))
        };
    }
    // Other scripts: Greek letters as commands, accents on what they
    // follow, and a visible placeholder for what LaTeX cannot typeset.
    let mut glyphs: Vec<String> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, glyphs: &mut Vec<String>| {
        if !word.is_empty() {
            glyphs.push(std::mem::take(word));
        }
    };
    for c in s.chars() {
        if let Some(acc) = combining_accent(c) {
            let last = if word.is_empty() {
                glyphs.pop().unwrap_or_default()
            } else {
                let ch = word.pop().map(String::from).unwrap_or_default();
                flush(&mut word, &mut glyphs);
                ch
            };
            glyphs.push(format!("{acc}{{{last}}}"));
        } else if let Some((b, acc)) = precomposed(c) {
            flush(&mut word, &mut glyphs);
            glyphs.push(format!("{acc}{{{b}}}"));
        } else if let Some(g) = super::latex::greek_spelling(c).and_then(greek) {
            flush(&mut word, &mut glyphs);
            glyphs.push(g.to_string());
        } else if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if c == '_' {
            word.push_str("\\_");
        } else if c.is_ascii() {
            // Only letters, digits and `_` make names; keep anything else out.
        } else {
            flush(&mut word, &mut glyphs);
            glyphs.push(format!("\\text{{{}}}", super::latex::placeholder(c)));
        }
    }
    flush(&mut word, &mut glyphs);
    let letters = glyphs
        .iter()
        .map(|g| if g.starts_with('\\') { 1 } else { g.len() })
        .sum::<usize>();
    let body = glyphs.concat();
    if letters > 1 {
        format!("\\mathit{{{body}}}")
    } else {
        body
    }
}

/// A function's name in LaTeX: `\exp`, `\tanh`, `\sigma` (a Greek
/// letter's name), `f`, `\operatorname{relu}`; `'` for a derivative.
pub(crate) fn latex_fn(f: &str) -> String {
    if let Some(g) = ElemFn::from_name(f) {
        return g.latex().into();
    }
    match f {
        "exp" | "log" | "tanh" | "det" | "max" | "min" | "sin" | "cos" => format!("\\{f}"),
        "tr" => "\\operatorname{tr}".into(),
        "sqrt" => "\\sqrt{\\cdot}".into(),
        "abs" => "\\left|\\cdot\\right|".into(),
        "softmax_rows" | "logsumexp_rows" => format!("\\operatorname{{{}}}", f.replace('_', "\\_")),
        _ => {
            if let Some(base) = f.strip_suffix('\'') {
                let b = latex_fn(base);
                if b.contains("\\cdot") {
                    format!("\\left({b}\\right)'")
                } else {
                    format!("{b}'")
                }
            } else if letter_like(f) {
                latex_name(f)
            } else {
                format!("\\operatorname{{{}}}", f.replace('_', "\\_"))
            }
        }
    }
}

/// `base` with the subscript `sub`; a base that already ends with one
/// gets both in one (`b_{1}` and `i` → `b_{1,i}`, never `b_{1}_{i}`, which
/// TeX rejects as a double subscript).
pub fn subscript(base: &str, sub: &str) -> String {
    if let Some(open) = last_group_start(base).filter(|&o| base[..o].ends_with('_')) {
        let inner = &base[open + 1..base.len() - 1];
        return format!("{}{{{inner},{sub}}}", &base[..open]);
    }
    if base.ends_with('}') && base.contains('_') || base.contains('^') {
        return format!("{{{base}}}_{{{sub}}}");
    }
    format!("{base}_{{{sub}}}")
}

/// Where the brace group that ends `s` opens, if `s` ends with one.
pub(crate) fn last_group_start(s: &str) -> Option<usize> {
    if !s.ends_with('}') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A function name printed like a variable's (`f`, `g1`, `sigma`, `φ`)
/// rather than as an operator word.
pub(crate) fn letter_like(f: &str) -> bool {
    let stem = f.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.chars().count() == 1 || greek(stem).is_some() || !f.is_ascii()
}

/// Whether LaTeX `s` starts with a multi-letter identifier, which must not
/// touch a neighbouring factor (`N \mathit{dout}` would read "Ndout").
pub(crate) fn starts_with_word(s: &str) -> bool {
    s.starts_with("\\mathit{")
}

/// Whether LaTeX `s` ends with a multi-letter identifier, possibly with a
/// subscript or superscript (`\mathit{reg}`, `\mathit{reg}_{2}^\top`).
pub(crate) fn ends_with_word(s: &str) -> bool {
    let Some(k) = s.rfind("\\mathit{") else {
        return false;
    };
    let rest = &s[k + "\\mathit".len()..];
    let Some(mut tail) = group(rest).map(|g| &rest[g..]) else {
        return false;
    };
    loop {
        if tail.is_empty() {
            return true;
        }
        if let Some(t) = tail.strip_prefix("^\\top") {
            tail = t;
        } else if let Some(t) = tail.strip_prefix('_').or_else(|| tail.strip_prefix('^')) {
            match group(t) {
                Some(g) => tail = &t[g..],
                None => return false,
            }
        } else {
            return false;
        }
    }
}

/// The length of the brace group `{…}` at the start of `s`.
pub(crate) fn group(s: &str) -> Option<usize> {
    if !s.starts_with('{') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}
