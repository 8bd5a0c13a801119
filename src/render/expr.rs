//! Precedence-aware printing of IR expressions, in Unicode text (`Uᵀ δ1`,
//! `yhat − y`, `1{h > 0}`) or LaTeX (`U^\top \delta_1`, `\hat{y} - y`).
//! One printer serves both styles so parenthesisation can never differ
//! between them.

use super::names::{ends_with_word, latex_fn, starts_with_word};
pub use super::names::{latex_name, subscript};
use crate::ir::{CmpOp, Dim, ElemFn, Expr, Op, Program};
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Style {
    /// Unicode, as a lecture writes it: `Uᵀ δ1`, `yhat − y`, `a ∘ b`.
    Text,
    /// The input language itself (`U^T delta1`, `a .* b`), for JSON and re-pasting.
    Ascii,
    Latex,
}

/// Binding strength of what an expression prints as; a child that binds
/// less tightly than its context is parenthesised.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Prec {
    Sum = 1,
    Product = 2,
    Unary = 3,
    Postfix = 4,
    Atom = 5,
}

/// Prints expressions of one program; `adjoints` names `Op::Adjoint(k)`.
pub struct Printer<'a> {
    pub prog: &'a Program,
    pub style: Style,
    pub adjoints: &'a [String],
}

impl<'a> Printer<'a> {
    pub fn new(prog: &'a Program, style: Style) -> Self {
        Printer {
            prog,
            style,
            adjoints: &[],
        }
    }

    pub fn with_adjoints(mut self, adjoints: &'a [String]) -> Self {
        self.adjoints = adjoints;
        self
    }

    pub fn print(&self, e: &Expr) -> String {
        self.go(e).0
    }

    /// A name as the style writes it.
    pub fn name(&self, n: &str) -> String {
        match self.style {
            Style::Text => n.to_string(),
            Style::Ascii => n.replace('δ', "delta"),
            Style::Latex => latex_name(n),
        }
    }

    fn paren(&self, (s, p): (String, Prec), min: Prec) -> String {
        if p < min {
            match self.style {
                Style::Latex => format!("\\left({s}\\right)"),
                _ => format!("({s})"),
            }
        } else {
            s
        }
    }

    fn minus(&self) -> &'static str {
        match self.style {
            Style::Text => "−",
            _ => "-",
        }
    }

    fn call(&self, f: &str, args: &[&Expr]) -> (String, Prec) {
        let inner: Vec<String> = args.iter().map(|a| self.go(a).0).collect();
        if self.style == Style::Latex {
            match (f, inner.as_slice()) {
                ("sqrt", [x]) => return (format!("\\sqrt{{{x}}}"), Prec::Atom),
                ("abs", [x]) => return (format!("\\left|{x}\\right|"), Prec::Atom),
                _ => {}
            }
        }
        let fname = match self.style {
            Style::Latex => latex_fn(f),
            _ => f.to_string(),
        };
        let (open, close) = match self.style {
            Style::Latex => ("\\left(", "\\right)"),
            _ => ("(", ")"),
        };
        (
            format!("{fname}{open}{}{close}", inner.join(", ")),
            Prec::Atom,
        )
    }

    /// The arguments of a built-in as written: a parameter equal to its
    /// default is left out (`leaky_relu(z)`).
    fn elem_args<'e>(&self, f: ElemFn, args: &'e [Expr]) -> Vec<&'e Expr> {
        let default = f.default_param();
        let is_default = |e: &Expr| matches!((&e.op, &default), (Op::Num(r), Some(d)) if r == d);
        if args.len() == 2 && is_default(&args[1]) {
            vec![&args[0]]
        } else {
            args.iter().collect()
        }
    }

    /// `base` (an atom) with a transpose after it.
    fn transposed(&self, base: String) -> String {
        match self.style {
            Style::Latex => format!("{base}^\\top"),
            Style::Ascii => format!("{base}^T"),
            Style::Text => format!("{base}ᵀ"),
        }
    }

    fn dim(&self, d: Dim) -> String {
        self.name(&self.prog.dim_name(d))
    }

    /// `1:n`, `n+1:n+p`: the 1-based rows of a row block, both ends included.
    fn row_range(&self, from: Dim, count: Dim) -> String {
        // Each dimension name on its own, so LaTeX does not read `n+1` as one name.
        let compact = |d: Dim| {
            let (k, ts) = d.parts();
            let mut out: Vec<String> = ts
                .into_iter()
                .map(|(s, c)| {
                    let name = self.dim(Dim::Sym(s));
                    if c == 1 { name } else { format!("{c}{name}") }
                })
                .collect();
            if k != 0 || out.is_empty() {
                out.push(k.to_string());
            }
            out.join("+")
        };
        let ends = from.plus(Dim::Const(1)).ok().zip(from.plus(count).ok());
        match ends {
            Some((first, last)) => format!("{}:{}", compact(first), compact(last)),
            None => format!("{}+1:{}+{}", compact(from), compact(from), compact(count)),
        }
    }

    fn go(&self, e: &Expr) -> (String, Prec) {
        let a = |i: usize| &e.args[i];
        let latex = self.style == Style::Latex;
        match &e.op {
            Op::Num(r) => (
                number(r, self.style),
                if r.is_negative() {
                    Prec::Unary
                } else {
                    Prec::Atom
                },
            ),
            Op::Var(v) => (self.name(&self.prog.vars[*v].name), Prec::Atom),
            Op::Let(l) => (self.name(&self.prog.lets[*l].name), Prec::Atom),
            Op::Local(l) => (self.name(&self.prog.locals[*l].name), Prec::Atom),
            Op::Idx(i) => (self.name(&self.prog.idxs[*i].name), Prec::Atom),
            Op::DimValue(d) => (self.dim(*d), Prec::Atom),
            Op::Pi => (
                match self.style {
                    Style::Latex => "\\pi",
                    Style::Ascii => "pi",
                    Style::Text => "π",
                }
                .into(),
                Prec::Atom,
            ),
            Op::Adjoint(k) => {
                let n = self
                    .adjoints
                    .get(*k)
                    .cloned()
                    .unwrap_or_else(|| format!("δ{}", k + 1));
                (self.name(&n), Prec::Atom)
            }
            Op::Eye => {
                let n = self.dim(e.shape.rows);
                if latex {
                    (format!("I_{{{n}}}"), Prec::Atom)
                } else {
                    (format!("eye({n})"), Prec::Atom)
                }
            }
            Op::Ones => {
                // `ones(n)` is a column: a row of ones is its transpose, and
                // any other matrix of ones the outer product of two columns.
                let column = |d: Dim| {
                    let n = self.dim(d);
                    if latex {
                        format!("\\mathbf{{1}}_{{{n}}}")
                    } else {
                        format!("ones({n})")
                    }
                };
                let (rows, cols) = (e.shape.rows, e.shape.cols);
                let one = Dim::Const(1);
                if cols == one {
                    (column(rows), Prec::Atom)
                } else if rows == one {
                    (self.transposed(column(cols)), Prec::Postfix)
                } else {
                    let s = format!("{} {}", column(rows), self.transposed(column(cols)));
                    (s, Prec::Product)
                }
            }
            Op::Zeros => {
                let (r, c) = (self.dim(e.shape.rows), self.dim(e.shape.cols));
                if latex {
                    (format!("0_{{{r} \\times {c}}}"), Prec::Atom)
                } else {
                    (format!("zeros({r}, {c})"), Prec::Atom)
                }
            }
            Op::CallLet(l) => {
                let args: Vec<&Expr> = e.args.iter().collect();
                self.call(&self.prog.lets[*l].name, &args)
            }
            Op::SeqAt(s) => {
                let name = self.name(&self.prog.seqs[*s].name);
                let t = self.go(a(0)).0;
                if latex {
                    (subscript(&name, &t), Prec::Atom)
                } else {
                    (format!("{name}[{t}]"), Prec::Atom)
                }
            }
            Op::Component => {
                let base = self.paren(self.go(a(0)), Prec::Atom);
                let idx: Vec<String> = e.args[1..].iter().map(|i| self.go(i).0).collect();
                if latex {
                    (subscript(&base, &idx.join(",")), Prec::Atom)
                } else {
                    (format!("{base}[{}]", idx.join(", ")), Prec::Atom)
                }
            }
            Op::Literal { rows, cols } => {
                let cell = |r: usize, c: usize| self.go(&e.args[r * cols + c]).0;
                if latex {
                    let body: Vec<String> = (0..*rows)
                        .map(|r| {
                            (0..*cols)
                                .map(|c| cell(r, c))
                                .collect::<Vec<_>>()
                                .join(" & ")
                        })
                        .collect();
                    (
                        format!(
                            "\\begin{{bmatrix}} {} \\end{{bmatrix}}",
                            body.join(" \\\\ ")
                        ),
                        Prec::Atom,
                    )
                } else if *cols == 1 {
                    let v: Vec<String> = (0..*rows).map(|r| cell(r, 0)).collect();
                    (format!("[{}]", v.join(", ")), Prec::Atom)
                } else {
                    let rs: Vec<String> = (0..*rows)
                        .map(|r| {
                            format!(
                                "[{}]",
                                (0..*cols)
                                    .map(|c| cell(r, c))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        })
                        .collect();
                    (format!("[{}]", rs.join(", ")), Prec::Atom)
                }
            }
            Op::Stack => {
                let blocks: Vec<String> = e.args.iter().map(|b| self.go(b).0).collect();
                if latex {
                    let body = blocks.join(" \\\\ ");
                    (
                        format!("\\begin{{bmatrix}} {body} \\end{{bmatrix}}"),
                        Prec::Atom,
                    )
                } else {
                    (format!("[{}]", blocks.join("; ")), Prec::Atom)
                }
            }
            Op::Rows { from, count } => {
                let base = self.paren(self.go(a(0)), Prec::Atom);
                let range = self.row_range(*from, *count);
                (format!("{base}[{range}]"), Prec::Atom)
            }
            Op::Neg => {
                let inner = self.paren(self.go(a(0)), Prec::Postfix);
                (format!("{}{inner}", self.minus()), Prec::Unary)
            }
            Op::Add | Op::Sub => {
                let l = self.paren(self.go(a(0)), Prec::Sum);
                let r = self.paren(self.go(a(1)), Prec::Product);
                let op = if e.op == Op::Add { "+" } else { self.minus() };
                (format!("{l} {op} {r}"), Prec::Sum)
            }
            Op::Mul | Op::Scale | Op::Hadamard | Op::HadDiv | Op::Div => self.product(e),
            Op::Pow | Op::ElemPow => {
                let base = self.paren(self.go(a(0)), Prec::Atom);
                let exp = self.go(a(1));
                let op = if e.op == Op::ElemPow {
                    if latex { "^{\\circ " } else { " .^ " }
                } else {
                    "^"
                };
                if latex {
                    let close = if e.op == Op::ElemPow { "}" } else { "" };
                    (format!("{base}{op}{{{}}}{close}", exp.0), Prec::Postfix)
                } else {
                    (
                        format!("{base}{op}{}", self.paren(exp, Prec::Atom)),
                        Prec::Postfix,
                    )
                }
            }
            Op::MatPow(n) => {
                let base = self.paren(self.go(a(0)), Prec::Atom);
                if latex {
                    (format!("{base}^{{{n}}}"), Prec::Postfix)
                } else {
                    (format!("{base}^{n}"), Prec::Postfix)
                }
            }
            Op::Transpose => {
                if a(0).op == Op::Inv {
                    let base = self.paren(self.go(&a(0).args[0]), Prec::Atom);
                    let s = match self.style {
                        Style::Latex => format!("{base}^{{-\\top}}"),
                        Style::Ascii => format!("{base}^-T"),
                        Style::Text => format!("{base}⁻ᵀ"),
                    };
                    return (s, Prec::Postfix);
                }
                let base = self.paren(self.go(a(0)), Prec::Atom);
                let s = match self.style {
                    Style::Latex => format!("{base}^\\top"),
                    Style::Ascii => format!("{base}^T"),
                    Style::Text => format!("{base}ᵀ"),
                };
                (s, Prec::Postfix)
            }
            Op::Inv => {
                let base = self.paren(self.go(a(0)), Prec::Atom);
                let s = match self.style {
                    Style::Latex => format!("{base}^{{-1}}"),
                    Style::Ascii => format!("{base}^-1"),
                    Style::Text => format!("{base}⁻¹"),
                };
                (s, Prec::Postfix)
            }
            Op::Elem(f) => self.call(f.name(), &self.elem_args(*f, &e.args)),
            Op::ElemPrime(f) => self.call(&format!("{}'", f.name()), &self.elem_args(*f, &e.args)),
            Op::Max => self.call("max", &[a(0), a(1)]),
            Op::Min => self.call("min", &[a(0), a(1)]),
            Op::Indicator(c) => {
                // The comparison is elementwise: a constant side is written
                // as the scalar it repeats (`1{h > 0}`, not `1{h > zeros(m, 1)}`).
                let side = |e: &Expr| match (&e.op, e.args.as_slice()) {
                    (Op::Zeros, _) => "0".to_string(),
                    (Op::Ones, _) => "1".to_string(),
                    (Op::Scale, [k, ones]) if ones.op == Op::Ones && k.shape.is_scalar() => {
                        self.go(k).0
                    }
                    _ => self.go(e).0,
                };
                let l = side(a(0));
                let r = side(a(1));
                let op = cmp_symbol(*c, self.style);
                if latex {
                    (format!("\\mathbf{{1}}\\{{{l} {op} {r}\\}}"), Prec::Atom)
                } else {
                    (format!("1{{{l} {op} {r}}}"), Prec::Atom)
                }
            }
            Op::Delta => {
                if latex {
                    let (i, j) = (self.go(a(0)).0, self.go(a(1)).0);
                    (format!("\\delta_{{{i}{j}}}"), Prec::Atom)
                } else {
                    self.call("delta", &[a(0), a(1)])
                }
            }
            Op::Softmax => self.call("softmax", &[a(0)]),
            Op::LogSumExp => self.call("logsumexp", &[a(0)]),
            Op::SoftmaxRows => self.call("softmax_rows", &[a(0)]),
            Op::LseRows => self.call("logsumexp_rows", &[a(0)]),
            Op::Sum => self.call("sum", &[a(0)]),
            Op::Norm => {
                if latex {
                    (
                        format!("\\left\\| {} \\right\\|", self.go(a(0)).0),
                        Prec::Atom,
                    )
                } else {
                    self.call("norm", &[a(0)])
                }
            }
            Op::Tr => self.call("tr", &[a(0)]),
            Op::Det => self.call("det", &[a(0)]),
            Op::LogDet => self.call("logdet", &[a(0)]),
            Op::Diag => self.call("diag", &[a(0)]),
            Op::Smin => self.call("smin", &[a(0)]),
            Op::Smax => self.call("smax", &[a(0)]),
            Op::Fun(f) => self.call(&self.prog.funs[*f].name, &[a(0)]),
            Op::FunPrime(f) => self.call(&format!("{}'", self.prog.funs[*f].name), &[a(0)]),
            Op::SumIdx(i) => {
                let j = self.name(&self.prog.idxs[*i].name);
                if latex {
                    let body = self.paren(self.go(a(0)), Prec::Product);
                    (format!("\\sum_{{{j}}} {body}"), Prec::Product)
                } else {
                    (format!("sum({j}, {})", self.go(a(0)).0), Prec::Atom)
                }
            }
            Op::SumRange(l) | Op::ProdRange { local: l, .. } => {
                let t = self.name(&self.prog.locals[*l].name);
                let (from, to) = (self.go(a(0)).0, self.go(a(1)).0);
                let is_sum = matches!(e.op, Op::SumRange(_));
                let downto = matches!(e.op, Op::ProdRange { downto: true, .. });
                if latex {
                    let body = self.paren(self.go(a(2)), Prec::Product);
                    let big = if is_sum { "\\sum" } else { "\\prod" };
                    let range = if downto {
                        format!("{t}={from}\\,\\downarrow\\,{to}")
                    } else {
                        format!("{t}={from}")
                    };
                    let top = if downto {
                        String::new()
                    } else {
                        format!("^{{{to}}}")
                    };
                    (format!("{big}_{{{range}}}{top} {body}"), Prec::Product)
                } else {
                    let word = if is_sum { "sum" } else { "prod" };
                    let sep = if downto { "downto" } else { ".." };
                    let range = if downto {
                        format!("{from} {sep} {to}")
                    } else {
                        format!("{from}{sep}{to}")
                    };
                    (
                        format!("{word}({t} in {range}, {})", self.go(a(2)).0),
                        Prec::Atom,
                    )
                }
            }
            Op::Grad | Op::Jac | Op::Hess | Op::D => {
                let f = self.go(a(0)).0;
                let x = self.go(a(1)).0;
                if latex {
                    let s = match e.op {
                        Op::Hess => format!("\\nabla^2_{{{x}}} {f}"),
                        _ => format!("\\frac{{\\partial {f}}}{{\\partial {x}}}"),
                    };
                    (s, Prec::Atom)
                } else {
                    let word = match e.op {
                        Op::Grad => "grad",
                        Op::Jac => "jac",
                        Op::Hess => "hess",
                        _ => "d",
                    };
                    (format!("{word}({f}, {x})"), Prec::Atom)
                }
            }
        }
    }

    /// Products: juxtaposition for matrix and scalar products, `∘`, `./`, `/`.
    /// A child that is a product of a *different* kind keeps its parentheses,
    /// as a lecture writes `(Uᵀ δ1) ∘ 1{h > 0}`.
    fn product(&self, e: &Expr) -> (String, Prec) {
        let latex = self.style == Style::Latex;
        let kind = product_kind(&e.op);
        let side = |c: &Expr, right: bool| {
            let (s, p) = self.go(c);
            let other_product = p == Prec::Product && product_kind(&c.op) != kind;
            // s (A B) = (s A) B: a scalar factor needs no parentheses in
            // front of a matrix product (2 Aᵀ e).
            let scalar_front = e.op == Op::Scale && matches!(c.op, Op::Mul | Op::Scale);
            let needs = p < Prec::Product
                || (p == Prec::Product && (other_product || (right && !scalar_front)))
                || (p == Prec::Unary && right)
                || (p == Prec::Unary && kind == 0);
            if needs {
                self.paren((s, Prec::Sum), Prec::Product)
            } else {
                s
            }
        };
        let l = side(&e.args[0], false);
        let r = side(&e.args[1], true);
        let s = match (&e.op, self.style) {
            // Two factors side by side, apart when one is a multi-letter name.
            (Op::Mul | Op::Scale, Style::Latex) if ends_with_word(&l) || starts_with_word(&r) => {
                format!("{l} \\, {r}")
            }
            (Op::Mul | Op::Scale, _) => format!("{l} {r}"),
            (Op::Hadamard, Style::Text) => format!("{l} ∘ {r}"),
            (Op::Hadamard, Style::Ascii) => format!("{l} .* {r}"),
            (Op::Hadamard, Style::Latex) => format!("{l} \\odot {r}"),
            (Op::HadDiv, Style::Latex) => format!("{l} \\oslash {r}"),
            (Op::HadDiv, _) => format!("{l} ./ {r}"),
            (_, Style::Latex) => format!(
                "\\frac{{{}}}{{{}}}",
                self.go(&e.args[0]).0,
                self.go(&e.args[1]).0
            ),
            (_, _) => format!("{l} / {r}"),
        };
        (
            s,
            if matches!(e.op, Op::Div) && latex {
                Prec::Atom
            } else {
                Prec::Product
            },
        )
    }
}

/// Groups product operators whose mixing needs no parentheses.
fn product_kind(op: &Op) -> u8 {
    match op {
        Op::Mul | Op::Scale => 0,
        Op::Hadamard => 1,
        Op::HadDiv => 2,
        Op::Div => 3,
        _ => 9,
    }
}

fn cmp_symbol(c: CmpOp, style: Style) -> &'static str {
    match (c, style) {
        (CmpOp::Lt, _) => "<",
        (CmpOp::Gt, _) => ">",
        (CmpOp::Le, Style::Latex) => "\\le",
        (CmpOp::Ge, Style::Latex) => "\\ge",
        (CmpOp::Le, _) => "<=",
        (CmpOp::Ge, _) => ">=",
    }
}

/// An exact number: integers plainly, other rationals as `p/q` (`\frac` in LaTeX).
pub fn number(r: &BigRational, style: Style) -> String {
    let minus = match style {
        Style::Text => "−",
        _ => "-",
    };
    let sign = if r.is_negative() { minus } else { "" };
    let a = r.abs();
    if a.denom().is_one() || a.is_zero() {
        format!("{sign}{}", a.numer())
    } else {
        match style {
            Style::Latex => format!("{sign}\\frac{{{}}}{{{}}}", a.numer(), a.denom()),
            _ => format!("{sign}{}/{}", a.numer(), a.denom()),
        }
    }
}

/// The name of an elementwise built-in, for details and errors.
pub fn elem_name(f: ElemFn) -> &'static str {
    f.name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_latex() {
        for (name, latex) in [
            ("x", "x"),
            ("b2", "b_{2}"),
            ("yhat", "\\hat{y}"),
            ("yhat1", "\\hat{y}_{1}"),
            ("xbar", "\\bar{x}"),
            ("hat", "\\mathit{hat}"),
            ("dout", "\\mathit{dout}"),
            ("dout2", "\\mathit{dout}_{2}"),
            ("reg", "\\mathit{reg}"),
            ("W_hh", "W_{\\mathit{hh}}"),
            ("x_1", "x_{1}"),
            ("a_b_c", "a_{b_{c}}"),
            ("x_", "\\mathit{x\\_}"),
            ("_y", "\\mathit{\\_y}"),
            ("alpha", "\\alpha"),
            ("beta", "\\beta"),
            ("gamma", "\\gamma"),
            ("delta1", "\\delta_{1}"),
            ("eps", "\\epsilon"),
            ("epsilon", "\\epsilon"),
            ("eps2", "\\epsilon_{2}"),
            ("lambda2", "\\lambda_{2}"),
            ("mu", "\\mu"),
            ("sigma_1", "\\sigma_{1}"),
            ("theta", "\\theta"),
            ("thetahat", "\\hat{\\theta}"),
            ("eta", "\\eta"),
            ("beta_eta", "\\beta_{\\eta}"),
            ("Gamma", "\\Gamma"),
            ("Eta", "\\mathrm{H}"),
            ("epsi", "\\mathit{epsi}"),
            ("δ1", "\\delta_{1}"),
            ("θ₂", "\\theta_{2}"),
            ("ŷ", "\\hat{y}"),
            ("y\u{302}", "\\hat{y}"),
            ("αβ", "\\mathit{\\alpha\\beta}"),
            ("ж", "\\text{[U+0436]}"),
            ("12", "12"),
        ] {
            assert_eq!(latex_name(name), latex, "{name}");
        }
    }

    #[test]
    fn functions_in_latex() {
        for (f, latex) in [
            ("exp", "\\exp"),
            ("relu", "\\operatorname{relu}"),
            ("relu'", "\\operatorname{relu}'"),
            ("sigma", "\\sigma"),
            ("sigma'", "\\sigma'"),
            ("f", "f"),
            ("g1", "g_{1}"),
            ("sqrt'", "\\left(\\sqrt{\\cdot}\\right)'"),
            ("my_fn", "\\operatorname{my\\_fn}"),
        ] {
            assert_eq!(latex_fn(f), latex, "{f}");
        }
    }

    #[test]
    fn subscripts_merge() {
        assert_eq!(subscript("b", "i"), "b_{i}");
        assert_eq!(subscript("b_{1}", "i"), "b_{1,i}");
        assert_eq!(subscript("W_{\\mathit{hh}}", "t"), "W_{\\mathit{hh},t}");
        assert_eq!(subscript("\\hat{y}", "i"), "\\hat{y}_{i}");
        assert_eq!(subscript("\\hat{y}_{1}", "i"), "\\hat{y}_{1,i}");
        assert_eq!(subscript("x^\\top", "i"), "{x^\\top}_{i}");
        // Unbalanced input is not a panic.
        assert_eq!(subscript("}", "i"), "}_{i}");
    }

    #[test]
    fn words_are_detected_at_the_junction() {
        assert!(ends_with_word("\\mathit{reg}"));
        assert!(ends_with_word("2 \\mathit{reg}_{2}^\\top"));
        assert!(!ends_with_word("\\mathit{reg} W"));
        assert!(!ends_with_word("\\hat{y}"));
        assert!(!ends_with_word("\\mathit{reg"));
        assert!(starts_with_word("\\mathit{dout} x"));
        assert!(!starts_with_word("x \\mathit{dout}"));
    }
}
