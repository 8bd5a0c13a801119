//! IR expressions as NumPy source: column vectors are `(n, 1)` arrays,
//! scalars are floats, `@` is the matrix product and `*` the Hadamard
//! product; indicators are boolean masks. Precedence follows Python's.

use super::ExportError;
use crate::ir::build::relabel;
use crate::ir::{CmpOp, Dim, DimId, ElemFn, Expr, FunId, FunKind, LocalId, Op, Program, VarId};
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

/// Binding strength of printed Python, loosest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Prec {
    Cmp = 0,
    Sum = 1,
    Product = 2,
    Unary = 3,
    Power = 4,
    Atom = 5,
}

/// How a literal time `h[2]` of an unrolled backward pass is written.
#[derive(Clone, Debug)]
pub(super) enum TimeMode {
    /// As it stands (`h[2]`): programs without a length.
    Literal,
    /// Relative to the length it was unrolled for: `h[2]` at length 3 is `h[T - 1]`.
    FromEnd { len: i64, name: String },
    /// Relative to a loop variable: `h[2]` with the loop at time 3 is `h[t - 1]`.
    FromLoop { at: i64, var: String },
}

/// How `Op::Adjoint(k)` is written.
#[derive(Clone, Debug)]
pub(super) enum AdjointName {
    /// A local variable, `delta1`.
    Plain(String),
    /// An entry of a dict indexed by time, `delta[t + 1]`.
    Timed { dict: String, time: i64 },
}

/// What the printed code refers to, recorded so the function's parameters
/// and size lines can be written afterwards.
#[derive(Default, Debug)]
pub(super) struct Uses {
    pub vars: BTreeSet<VarId>,
    pub funs: BTreeSet<FunId>,
    pub dims: BTreeSet<DimId>,
    pub helpers: BTreeSet<&'static str>,
}

/// Python names of everything a function refers to.
#[derive(Clone, Debug, Default)]
pub(super) struct Names {
    pub vars: Vec<String>,
    pub lets: Vec<String>,
    pub seqs: Vec<String>,
    pub funs: Vec<String>,
    pub fun_primes: Vec<String>,
    pub dims: Vec<String>,
    pub locals: Vec<String>,
    pub idxs: Vec<String>,
}

pub(super) struct Py<'a> {
    pub prog: &'a Program,
    pub names: &'a Names,
    pub adjoints: &'a [AdjointName],
    pub time: TimeMode,
    /// Integer locals written as `var + offset` (a sequence's own time inside the forward loop).
    pub shifted: HashMap<LocalId, (String, i64)>,
    /// The dimension that is the sequences' length, written by its name.
    pub length: Option<DimId>,
    pub uses: &'a RefCell<Uses>,
}

type P = Result<(String, Prec), ExportError>;

fn fail<T>(e: &Expr, message: impl Into<String>) -> Result<T, ExportError> {
    Err(ExportError {
        span: e.span,
        message: message.into(),
        label: "the NumPy export cannot write this".to_string(),
    })
}

/// An integer expression `sym + c` (times, bounds, indices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Lin {
    pub sym: Option<String>,
    pub c: i64,
}

impl Lin {
    pub fn text(&self) -> String {
        match (&self.sym, self.c) {
            (None, c) => c.to_string(),
            (Some(s), 0) => s.clone(),
            (Some(s), c) if c > 0 => format!("{s} + {c}"),
            (Some(s), c) => format!("{s} - {}", -c),
        }
    }
}

pub(super) const HELPERS: &[(&str, &str)] = &[
    (
        "sigmoid",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n",
    ),
    (
        "erf",
        "def erf(z):\n    from math import erf as scalar_erf\n    return np.vectorize(scalar_erf, otypes=[float])(z)\n",
    ),
    (
        "softmax",
        "def softmax(v):\n    e = np.exp(v - np.max(v))\n    return e / np.sum(e)\n",
    ),
    (
        "logsumexp",
        "def logsumexp(v):\n    m = np.max(v)\n    return m + np.log(np.sum(np.exp(v - m)))\n",
    ),
    (
        "softmax_rows",
        "def softmax_rows(S):\n    e = np.exp(S - np.max(S, axis=1, keepdims=True))\n    return e / np.sum(e, axis=1, keepdims=True)\n",
    ),
    (
        "logsumexp_rows",
        "def logsumexp_rows(S):\n    m = np.max(S, axis=1, keepdims=True)\n    return m + np.log(np.sum(np.exp(S - m), axis=1, keepdims=True))\n",
    ),
    (
        "prod",
        "def prod(factors, n):\n    \"\"\"The ordered matrix product of `factors` (the n×n identity when empty).\"\"\"\n    out = np.eye(n)\n    for f in factors:\n        out = out @ f\n    return out\n",
    ),
];

impl Py<'_> {
    pub fn code(&self, e: &Expr) -> Result<String, ExportError> {
        Ok(self.go(e, 0)?.0)
    }

    fn wrap(&self, (s, p): (String, Prec), min: Prec) -> String {
        if p < min { format!("({s})") } else { s }
    }

    fn at(&self, e: &Expr, min: Prec, depth: usize) -> Result<String, ExportError> {
        Ok(self.wrap(self.go(e, depth + 1)?, min))
    }

    fn dim(&self, d: Dim) -> String {
        if let Dim::Sum(_) = d {
            let length = self.length;
            let fixed = |id: usize| self.prog.dims[id].value.filter(|_| Some(id) != length);
            return match d.substituted(fixed) {
                Dim::Sum(_) => {
                    let (k, ts) = d.substituted(fixed).parts();
                    let mut out: Vec<String> = ts
                        .into_iter()
                        .map(|(s, c)| match c {
                            1 => self.dim(Dim::Sym(s)),
                            _ => format!("{c} * {}", self.dim(Dim::Sym(s))),
                        })
                        .collect();
                    if k != 0 {
                        out.push(k.to_string());
                    }
                    format!("({})", out.join(" + "))
                }
                other => self.dim(other),
            };
        }
        match self.prog.dim_value(d) {
            Some(v) if Some(d) != self.length.map(Dim::Sym) => v.to_string(),
            _ => {
                let Dim::Sym(id) = d else { unreachable!() };
                self.uses.borrow_mut().dims.insert(id);
                self.names.dims[id].clone()
            }
        }
    }

    fn size(&self, e: &Expr) -> String {
        format!("({}, {})", self.dim(e.shape.rows), self.dim(e.shape.cols))
    }

    fn helper(&self, name: &'static str) -> &'static str {
        self.uses.borrow_mut().helpers.insert(name);
        name
    }

    /// An integer-valued expression as `sym + c`, when it is one.
    pub fn lin(&self, e: &Expr) -> Option<Lin> {
        let both = |a: Lin, b: Lin, sign: i64| -> Option<Lin> {
            let sym = match (a.sym, b.sym) {
                (s, None) => s,
                (None, Some(s)) if sign == 1 => Some(s),
                _ => return None,
            };
            Some(Lin {
                sym,
                c: a.c.checked_add(sign.checked_mul(b.c)?)?,
            })
        };
        match &e.op {
            Op::Num(r) if r.is_integer() => Some(Lin {
                sym: None,
                c: r.to_integer().to_i64()?,
            }),
            Op::DimValue(d) => {
                if Some(*d) == self.length.map(Dim::Sym) {
                    let Dim::Sym(id) = d else { return None };
                    self.uses.borrow_mut().dims.insert(*id);
                    Some(Lin {
                        sym: Some(self.names.dims[*id].clone()),
                        c: 0,
                    })
                } else {
                    match self.prog.dim_value(*d) {
                        Some(v) => Some(Lin {
                            sym: None,
                            c: i64::try_from(v).ok()?,
                        }),
                        None => {
                            let Dim::Sym(id) = d else { return None };
                            self.uses.borrow_mut().dims.insert(*id);
                            Some(Lin {
                                sym: Some(self.names.dims[*id].clone()),
                                c: 0,
                            })
                        }
                    }
                }
            }
            Op::Local(l) => Some(match self.shifted.get(l) {
                Some((v, off)) => Lin {
                    sym: Some(v.clone()),
                    c: *off,
                },
                None => Lin {
                    sym: Some(self.names.locals[*l].clone()),
                    c: 0,
                },
            }),
            Op::Idx(i) => Some(Lin {
                sym: Some(self.names.idxs[*i].clone()),
                c: 0,
            }),
            Op::Add => both(self.lin(&e.args[0])?, self.lin(&e.args[1])?, 1),
            Op::Sub => both(self.lin(&e.args[0])?, self.lin(&e.args[1])?, -1),
            Op::Neg => {
                let a = self.lin(&e.args[0])?;
                a.sym.is_none().then_some(Lin {
                    sym: None,
                    c: a.c.checked_neg()?,
                })
            }
            _ => None,
        }
    }

    /// A time: a literal one is written as the time mode says.
    fn time(&self, e: &Expr) -> Result<String, ExportError> {
        let Some(l) = self.lin(e) else {
            return fail(e, "this time is not of the form t + c");
        };
        Ok(match (&l.sym, &self.time) {
            (None, TimeMode::FromEnd { len, name }) => Lin {
                sym: Some(name.clone()),
                c: l.c - len,
            }
            .text(),
            (None, TimeMode::FromLoop { at, var }) => Lin {
                sym: Some(var.clone()),
                c: l.c - at,
            }
            .text(),
            _ => l.text(),
        })
    }

    /// A 1-based index written 0-based.
    fn index(&self, e: &Expr) -> Result<String, ExportError> {
        match self.lin(e) {
            Some(l) => Ok(Lin {
                sym: l.sym,
                c: l.c - 1,
            }
            .text()),
            None => fail(e, "this index is not of the form i + c"),
        }
    }

    fn number(r: &BigRational) -> (String, Prec) {
        let a = r.abs();
        let text = if a.is_integer() {
            a.numer().to_string()
        } else {
            // A terminating decimal is written as one; 1/3 stays a quotient.
            let mut d = a.denom().clone();
            let two = num_bigint::BigInt::from(2);
            let five = num_bigint::BigInt::from(5);
            let mut digits = 0usize;
            while (&d % &two).is_zero() || (&d % &five).is_zero() {
                if (&d % &two).is_zero() {
                    d /= &two;
                } else {
                    d /= &five;
                }
                digits += 1;
            }
            if d.is_one() && digits <= 12 {
                let scaled = (a * BigRational::from_integer(num_traits::pow(
                    num_bigint::BigInt::from(10),
                    digits,
                )))
                .to_integer()
                .to_string();
                let pad = format!("{scaled:0>width$}", width = digits + 1);
                let (int, frac) = pad.split_at(pad.len() - digits);
                let frac = frac.trim_end_matches('0');
                format!("{int}.{frac}")
            } else {
                let p = if r.is_negative() { "-" } else { "" };
                return (format!("{p}{} / {}", a.numer(), a.denom()), Prec::Product);
            }
        };
        if r.is_negative() {
            (format!("-{text}"), Prec::Unary)
        } else {
            (text, Prec::Atom)
        }
    }

    fn cmp(op: CmpOp) -> &'static str {
        match op {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// `(h > 0)` as a boolean mask where a Hadamard product takes it, else as numbers.
    fn indicator(&self, e: &Expr, mask: bool, depth: usize) -> Result<String, ExportError> {
        let (test, scalar) = match &e.op {
            Op::Indicator(op) => (
                format!(
                    "{} {} {}",
                    self.comparand(&e.args[0], depth)?,
                    Self::cmp(*op),
                    self.comparand(&e.args[1], depth)?
                ),
                e.shape.is_scalar(),
            ),
            Op::ElemPrime(ElemFn::Relu) => (
                format!("{} > 0", self.at(&e.args[0], Prec::Sum, depth)?),
                e.shape.is_scalar(),
            ),
            _ => unreachable!("only indicators are masks"),
        };
        Ok(if mask && !scalar {
            format!("({test})")
        } else if scalar {
            format!("float({test})")
        } else {
            format!("({test}).astype(float)")
        })
    }

    /// The Python operator a product prints as.
    fn product_kind(e: &Expr) -> Option<&'static str> {
        match e.op {
            Op::Mul
                if e.shape.is_scalar()
                    && !e.args[0].shape.is_scalar()
                    && !e.args[1].shape.is_scalar() =>
            {
                None
            }
            Op::Mul if e.args[0].shape.is_scalar() || e.args[1].shape.is_scalar() => Some("*"),
            Op::Mul => Some("@"),
            Op::Scale | Op::Hadamard => Some("*"),
            Op::HadDiv | Op::Div => Some("/"),
            _ => None,
        }
    }

    /// A comparand: a zero or ones array compares like the number.
    fn comparand(&self, e: &Expr, depth: usize) -> Result<String, ExportError> {
        match e.op {
            Op::Zeros => Ok("0".to_string()),
            Op::Ones => Ok("1".to_string()),
            _ => self.at(e, Prec::Sum, depth),
        }
    }

    fn is_mask(e: &Expr) -> bool {
        matches!(e.op, Op::Indicator(_) | Op::ElemPrime(ElemFn::Relu)) && !e.shape.is_scalar()
    }

    /// A built-in from its row's NumPy template (`{z}` the argument, `{p0}`
    /// the first parameter), registering the helpers it calls.
    fn template(&self, f: ElemFn, e: &Expr, depth: usize) -> P {
        let mut t = f
            .numpy()
            .replace("{z}", &self.at(&e.args[0], Prec::Atom, depth)?);
        for (k, p) in e.args.iter().enumerate().skip(1) {
            t = t.replace(&format!("{{p{}}}", k - 1), &self.at(p, Prec::Atom, depth)?);
        }
        for &(name, _) in HELPERS {
            if t.contains(&format!("{name}(")) {
                self.helper(name);
            }
        }
        Ok((format!("({t})"), Prec::Atom))
    }

    fn call(&self, f: &str, e: &Expr, depth: usize) -> P {
        let args = e
            .args
            .iter()
            .map(|a| self.at(a, Prec::Cmp, depth))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((format!("{f}({})", args.join(", ")), Prec::Atom))
    }

    fn go(&self, e: &Expr, depth: usize) -> P {
        if depth > 200 {
            return fail(e, "expression nested too deeply to export");
        }
        let a = |i: usize, min: Prec| self.at(&e.args[i], min, depth);
        let bin = |op: &str, p: Prec| -> P {
            // Left-associative: a right operand as loose as the operator is
            // bracketed, except under `+`.
            let right = match (op, p) {
                ("+", _) => Prec::Sum,
                (_, Prec::Sum) => Prec::Product,
                _ => Prec::Unary,
            };
            let side = |i: usize, min: Prec| -> Result<String, ExportError> {
                // `@` next to `*` or `/` is bracketed although Python would not need it.
                let k = Self::product_kind(&e.args[i]);
                if p == Prec::Product
                    && k.is_some()
                    && k != Some(op)
                    && (op == "@" || k == Some("@"))
                {
                    Ok(format!("({})", self.go(&e.args[i], depth + 1)?.0))
                } else {
                    a(i, min)
                }
            };
            Ok((format!("{} {op} {}", side(0, p)?, side(1, right)?), p))
        };
        let np = |f: &str| self.call(&format!("np.{f}"), e, depth);
        match &e.op {
            Op::Num(r) => Ok(Self::number(r)),
            Op::Pi => Ok(("np.pi".into(), Prec::Atom)),
            Op::Var(v) => {
                self.uses.borrow_mut().vars.insert(*v);
                Ok((self.names.vars[*v].clone(), Prec::Atom))
            }
            Op::Let(l) => {
                if self.prog.lets[*l].is_function {
                    return fail(e, "a let function without arguments cannot be exported");
                }
                Ok((self.names.lets[*l].clone(), Prec::Atom))
            }
            Op::Local(_) | Op::Idx(_) | Op::DimValue(_) => match self.lin(e) {
                Some(l) => Ok((
                    l.text(),
                    if l.sym.is_some() && l.c != 0 {
                        Prec::Sum
                    } else {
                        Prec::Atom
                    },
                )),
                None => fail(e, "this name has no value in the exported code"),
            },
            Op::Eye => Ok((format!("np.eye({})", self.dim(e.shape.rows)), Prec::Atom)),
            Op::Ones => Ok((format!("np.ones({})", self.size(e)), Prec::Atom)),
            Op::Zeros => Ok((format!("np.zeros({})", self.size(e)), Prec::Atom)),
            Op::Adjoint(k) => match self.adjoints.get(*k) {
                Some(AdjointName::Plain(n)) => Ok((n.clone(), Prec::Atom)),
                Some(AdjointName::Timed { dict, time }) => {
                    let t = crate::ir::build::num(*time, e.span);
                    Ok((format!("{dict}[{}]", self.time(&t)?), Prec::Atom))
                }
                None => fail(e, "an adjoint outside its backward pass"),
            },
            Op::CallLet(l) => {
                let decl = &self.prog.lets[*l];
                let params = decl.params.clone();
                let body = relabel(&decl.body, &|n: &Expr| match n.op {
                    Op::Local(p) => params
                        .iter()
                        .position(|q| *q == p)
                        .map(|i| e.args[i].clone()),
                    _ => None,
                });
                let (s, _) = self.go(&body, depth + 1)?;
                Ok((format!("({s})"), Prec::Atom))
            }
            Op::SeqAt(s) => Ok((
                format!("{}[{}]", self.names.seqs[*s], self.time(&e.args[0])?),
                Prec::Atom,
            )),
            Op::Component => {
                let base = a(0, Prec::Atom)?;
                let i = self.index(&e.args[1])?;
                let j = match e.args.get(2) {
                    Some(j) => self.index(j)?,
                    None => "0".to_string(),
                };
                Ok((format!("{base}[{i}, {j}]"), Prec::Atom))
            }
            Op::Literal { rows, cols } => {
                let mut out = Vec::new();
                for r in 0..*rows {
                    let row = (0..*cols)
                        .map(|c| self.at(&e.args[r * cols + c], Prec::Cmp, depth))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.push(format!("[{}]", row.join(", ")));
                }
                Ok((
                    format!("np.array([{}], dtype=float)", out.join(", ")),
                    Prec::Atom,
                ))
            }
            Op::Stack => {
                let blocks = e
                    .args
                    .iter()
                    .map(|b| self.at(b, Prec::Cmp, depth))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((format!("np.vstack([{}])", blocks.join(", ")), Prec::Atom))
            }
            Op::Rows { from, count } => {
                let base = a(0, Prec::Atom)?;
                let start = self.dim(*from);
                let end = match from.plus(*count) {
                    Ok(d) => self.dim(d),
                    Err(_) => return fail(e, "this row block is too complex to export"),
                };
                let s = format!("{base}[{start}:{end}, :]");
                if e.shape.is_scalar() {
                    Ok((format!("{s}.item()"), Prec::Atom))
                } else {
                    Ok((s, Prec::Atom))
                }
            }
            Op::Neg => Ok((format!("-{}", a(0, Prec::Unary)?), Prec::Unary)),
            Op::Add => bin("+", Prec::Sum),
            Op::Sub => bin("-", Prec::Sum),
            Op::Mul => {
                let (l, r) = (&e.args[0], &e.args[1]);
                if l.shape.is_scalar() || r.shape.is_scalar() {
                    bin("*", Prec::Product)
                } else if e.shape.is_scalar() {
                    // A row times a column: NumPy gives a 1×1 array, the language a scalar.
                    let (s, _) = bin("@", Prec::Product)?;
                    Ok((format!("({s}).item()"), Prec::Atom))
                } else {
                    bin("@", Prec::Product)
                }
            }
            Op::Scale => bin("*", Prec::Product),
            Op::Hadamard => {
                // One boolean mask per product: mask * mask would stay boolean.
                let side = |i: usize| -> Result<String, ExportError> {
                    if Self::is_mask(&e.args[i]) && !(i == 1 && Self::is_mask(&e.args[0])) {
                        self.indicator(&e.args[i], true, depth + 1)
                    } else if Self::product_kind(&e.args[i]) == Some("@") {
                        Ok(format!("({})", self.go(&e.args[i], depth + 1)?.0))
                    } else {
                        a(i, if i == 0 { Prec::Product } else { Prec::Unary })
                    }
                };
                Ok((format!("{} * {}", side(0)?, side(1)?), Prec::Product))
            }
            Op::HadDiv | Op::Div => bin("/", Prec::Product),
            Op::Pow | Op::ElemPow => Ok((
                format!("{} ** {}", a(0, Prec::Atom)?, a(1, Prec::Atom)?),
                Prec::Power,
            )),
            Op::MatPow(k) => Ok((
                format!("np.linalg.matrix_power({}, {k})", a(0, Prec::Cmp)?),
                Prec::Atom,
            )),
            Op::Transpose => {
                if e.args[0].shape.is_scalar() {
                    self.go(&e.args[0], depth + 1)
                } else {
                    Ok((format!("{}.T", a(0, Prec::Atom)?), Prec::Atom))
                }
            }
            Op::Inv => np("linalg.inv"),
            Op::Elem(f) => match f {
                ElemFn::Relu => Ok((format!("np.maximum({}, 0)", a(0, Prec::Cmp)?), Prec::Atom)),
                ElemFn::Step => {
                    let z = a(0, Prec::Sum)?;
                    Ok((
                        if e.shape.is_scalar() {
                            format!("float({z} >= 0)")
                        } else {
                            format!("({z} >= 0).astype(float)")
                        },
                        Prec::Atom,
                    ))
                }
                ElemFn::Sigmoid => self.call(self.helper("sigmoid"), e, depth),
                ElemFn::Tanh => np("tanh"),
                ElemFn::Exp => np("exp"),
                ElemFn::Log => np("log"),
                ElemFn::Sqrt => np("sqrt"),
                ElemFn::Abs => np("abs"),
                _ => self.template(*f, e, depth),
            },
            Op::ElemPrime(f) => {
                let z = || a(0, Prec::Cmp);
                match f {
                    ElemFn::Relu => Ok((self.indicator(e, false, depth + 1)?, Prec::Atom)),
                    ElemFn::Step => Ok((format!("np.zeros({})", self.size(e)), Prec::Atom)),
                    ElemFn::Sigmoid => {
                        let s = format!("{}({})", self.helper("sigmoid"), z()?);
                        Ok((format!("{s} * (1 - {s})"), Prec::Product))
                    }
                    ElemFn::Tanh => Ok((format!("1 - np.tanh({}) ** 2", z()?), Prec::Sum)),
                    ElemFn::Exp => Ok((format!("np.exp({})", z()?), Prec::Atom)),
                    ElemFn::Log => Ok((format!("1 / {}", a(0, Prec::Unary)?), Prec::Product)),
                    ElemFn::Sqrt => Ok((format!("0.5 / np.sqrt({})", z()?), Prec::Product)),
                    ElemFn::Abs => Ok((format!("np.sign({})", z()?), Prec::Atom)),
                    _ => {
                        let y = Expr::new(Op::Elem(*f), e.args.clone(), e.shape, e.span);
                        self.go(&f.prime(&e.args[0], &y, &e.args[1..]), depth + 1)
                    }
                }
            }
            Op::Max => np("maximum"),
            Op::Min => np("minimum"),
            Op::Indicator(_) => Ok((self.indicator(e, false, depth + 1)?, Prec::Atom)),
            Op::Delta => Ok((
                format!("float({} == {})", a(0, Prec::Sum)?, a(1, Prec::Sum)?),
                Prec::Atom,
            )),
            Op::Softmax => self.call(self.helper("softmax"), e, depth),
            Op::LogSumExp => self.call(self.helper("logsumexp"), e, depth),
            Op::SoftmaxRows => self.call(self.helper("softmax_rows"), e, depth),
            Op::LseRows => self.call(self.helper("logsumexp_rows"), e, depth),
            Op::Sum => np("sum"),
            Op::Norm => np("linalg.norm"),
            Op::Tr => np("trace"),
            Op::Det => np("linalg.det"),
            Op::LogDet => Ok((
                format!("np.log(np.linalg.det({}))", a(0, Prec::Cmp)?),
                Prec::Atom,
            )),
            Op::Diag => np("diagflat"),
            Op::Smin | Op::Smax => Ok((
                format!(
                    "np.linalg.svd({}, compute_uv=False).{}()",
                    a(0, Prec::Cmp)?,
                    if e.op == Op::Smin { "min" } else { "max" }
                ),
                Prec::Atom,
            )),
            Op::Fun(f) | Op::FunPrime(f) => {
                if let FunKind::Map { to, .. } = &self.prog.funs[*f].kind
                    && matches!(e.op, Op::FunPrime(_))
                    && !to.is_scalar()
                {
                    return fail(
                        e,
                        "the Jacobian of a vector-valued `fun` cannot be exported",
                    );
                }
                self.uses.borrow_mut().funs.insert(*f);
                let name = if matches!(e.op, Op::Fun(_)) {
                    &self.names.funs[*f]
                } else {
                    &self.names.fun_primes[*f]
                };
                self.call(name, e, depth)
            }
            Op::SumIdx(i) => {
                let range = self.dim(self.prog.idxs[*i].range);
                let body = a(0, Prec::Cmp)?;
                let i = &self.names.idxs[*i];
                Ok((
                    format!(
                        "sum(({body} for {i} in range(1, {range} + 1)), np.zeros({}))",
                        self.size(e)
                    ),
                    Prec::Atom,
                ))
            }
            Op::SumRange(l) | Op::ProdRange { local: l, .. } => {
                let from = self.int_bound(&e.args[0])?.text();
                let to = self.int_bound(&e.args[1])?;
                let body = a(2, Prec::Cmp)?;
                let t = &self.names.locals[*l];
                let range = match e.op {
                    Op::ProdRange { downto: true, .. } => {
                        format!("range({from}, {}, -1)", Self::plus(&to, -1))
                    }
                    _ => format!("range({from}, {})", Self::plus(&to, 1)),
                };
                if matches!(e.op, Op::SumRange(_)) {
                    Ok((
                        format!(
                            "sum(({body} for {t} in {range}), np.zeros({}))",
                            self.size(e)
                        ),
                        Prec::Atom,
                    ))
                } else {
                    let n = self.dim(e.shape.rows);
                    Ok((
                        format!("{}(({body} for {t} in {range}), {n})", self.helper("prod")),
                        Prec::Atom,
                    ))
                }
            }
            Op::Grad | Op::Jac | Op::Hess | Op::D => {
                fail(e, "a derivative inside the exported code (derive it first)")
            }
        }
    }

    fn int_bound(&self, e: &Expr) -> Result<Lin, ExportError> {
        match self.lin(e) {
            Some(l) => Ok(l),
            None => fail(e, "this bound is not of the form T + c"),
        }
    }

    fn plus(l: &Lin, d: i64) -> String {
        Lin {
            sym: l.sym.clone(),
            c: l.c + d,
        }
        .text()
    }
}
