//! Piecewise polynomials in one variable `x` with symbolic parameters, and the
//! translation of fragment expressions into them. Breakpoints are linear forms
//! in the parameters; their order is only ever taken from exact arithmetic or
//! from the program's `assume`s, never guessed.

use super::poly::{Poly, Q};
use crate::ir::{CmpOp, ElemFn, Expr, LetId, LocalId, Op, Program, VarId};
use num_traits::{Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;

/// Deeper nesting than this is reported instead of risking the stack.
const MAX_DEPTH: usize = 200;
/// Bounds on the size of intermediate results, so that adversarial inputs
/// (deep powers, many nested kinks) end in `Unknown` instead of running away.
const MAX_BREAKPOINTS: usize = 2000;
const MAX_TERMS: usize = 2000;
const MAX_POWER: u32 = 64;

/// A function of `x`: `pieces[i]` holds on the open interval between
/// `bps[i-1]` and `bps[i]` (unbounded at the ends), `at[i]` is the value at
/// `bps[i]` (free of `x`). Breakpoints are strictly increasing.
#[derive(Clone, Debug)]
pub(crate) struct Pw {
    pub bps: Vec<Poly>,
    pub pieces: Vec<Poly>,
    pub at: Vec<Poly>,
}

impl Pw {
    pub fn constant(p: Poly) -> Pw {
        Pw {
            bps: Vec::new(),
            pieces: vec![p],
            at: Vec::new(),
        }
    }

    fn map(&self, f: impl Fn(&Poly) -> Poly) -> Pw {
        Pw {
            bps: self.bps.clone(),
            pieces: self.pieces.iter().map(&f).collect(),
            at: self.at.iter().map(&f).collect(),
        }
    }

    /// The single value when the function is the same constant everywhere.
    fn as_const(&self) -> Option<Q> {
        let c = self.pieces[0].as_const()?;
        let same = |p: &Poly| p.as_const().as_ref() == Some(&c);
        (self.pieces.iter().all(same) && self.at.iter().all(same)).then_some(c)
    }
}

/// A known fact `form > 0` (strict) or `form >= 0`, `form` affine in the parameters.
#[derive(Clone, Debug)]
struct Fact {
    form: Poly,
    strict: bool,
}

/// The context of one analysis: the program, the variable `x`, and the
/// ordering facts implied by the assumes.
pub(crate) struct Ctx<'a> {
    pub prog: &'a Program,
    pub x: VarId,
    facts: Vec<Fact>,
    /// Every assume as `form > 0` or `form >= 0` (any degree), for checking
    /// candidate parameter values; `None` when some assume is outside the fragment.
    pub assume_forms: Option<Vec<(Poly, bool)>>,
    /// The text of an assume that constrains `x` itself, if any.
    pub assume_on_x: Option<String>,
    /// Plain `let`s already translated (they do not depend on any binding),
    /// so that chains of definitions used several times stay linear in size.
    lets: RefCell<HashMap<LetId, Pw>>,
}

type Env = HashMap<LocalId, Pw>;

impl<'a> Ctx<'a> {
    pub fn new(prog: &'a Program, x: VarId) -> Ctx<'a> {
        let mut ctx = Ctx {
            prog,
            x,
            facts: Vec::new(),
            assume_forms: Some(Vec::new()),
            assume_on_x: None,
            lets: RefCell::new(HashMap::new()),
        };
        let mut base = Vec::new();
        let mut forms = Some(Vec::new());
        for a in &prog.assumes {
            let side = |e: &Expr| -> Option<Poly> {
                let pw = ctx.to_pw(e, &Env::new(), 0).ok()?;
                (pw.bps.is_empty()).then(|| pw.pieces[0].clone())
            };
            let (Some(l), Some(r)) = (side(&a.lhs), side(&a.rhs)) else {
                forms = None;
                continue;
            };
            let (form, strict) = match a.op {
                CmpOp::Lt => (r.sub(&l), true),
                CmpOp::Le => (r.sub(&l), false),
                CmpOp::Gt => (l.sub(&r), true),
                CmpOp::Ge => (l.sub(&r), false),
            };
            if form.has_var(x) {
                ctx.assume_on_x =
                    Some(format!("{} {} {}", ctx.fmt(&l), a.op.symbol(), ctx.fmt(&r)));
                continue;
            }
            if let Some(f) = forms.as_mut() {
                f.push((form.clone(), strict));
            }
            if form.total_degree() == 1 {
                base.push(Fact { form, strict });
            }
        }
        ctx.facts = close_facts(base);
        ctx.assume_forms = forms;
        ctx
    }

    pub fn name(&self, v: VarId) -> String {
        self.prog
            .vars
            .get(v)
            .map_or_else(|| format!("v{v}"), |d| d.name.clone())
    }

    pub fn fmt(&self, p: &Poly) -> String {
        p.render(&|v| self.name(v))
    }

    /// The order of two breakpoints (linear forms in the parameters).
    pub fn cmp(&self, p: &Poly, q: &Poly) -> Result<Ordering, String> {
        let d = q.sub(p);
        if let Some(c) = d.as_const() {
            return Ok(Q::zero().cmp(&c));
        }
        for f in &self.facts {
            if let Some(s) = implied_sign(&d, f) {
                return Ok(s.reverse());
            }
        }
        let mut names = [self.fmt(p), self.fmt(q)];
        names.sort();
        Err(format!(
            "the order of {} and {} is not fixed by any assume",
            names[0], names[1]
        ))
    }

    /// The sign of an `x`-free value.
    fn sign(&self, p: &Poly) -> Result<Ordering, String> {
        if let Some(c) = p.as_const() {
            return Ok(c.cmp(&Q::zero()));
        }
        self.cmp(&Poly::zero(), p)
            .map(Ordering::reverse)
            .map_err(|_| format!("the sign of {} is not fixed by any assume", self.fmt(p)))
    }

    /// Both functions refined to one common list of breakpoints.
    pub fn merge(&self, u: &Pw, v: &Pw) -> Result<(Pw, Pw), String> {
        let mut bps = Vec::new();
        let mut from_u = Vec::new();
        let mut from_v = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < u.bps.len() || j < v.bps.len() {
            let ord = if i == u.bps.len() {
                Ordering::Greater
            } else if j == v.bps.len() {
                Ordering::Less
            } else {
                self.cmp(&u.bps[i], &v.bps[j])?
            };
            match ord {
                Ordering::Less => {
                    bps.push(u.bps[i].clone());
                    from_u.push(Some(i));
                    from_v.push(None);
                    i += 1;
                }
                Ordering::Greater => {
                    bps.push(v.bps[j].clone());
                    from_u.push(None);
                    from_v.push(Some(j));
                    j += 1;
                }
                Ordering::Equal => {
                    bps.push(u.bps[i].clone());
                    from_u.push(Some(i));
                    from_v.push(Some(j));
                    i += 1;
                    j += 1;
                }
            }
        }
        if bps.len() > MAX_BREAKPOINTS {
            return Err("too many breakpoints".to_string());
        }
        Ok((self.refine(u, &bps, &from_u), self.refine(v, &bps, &from_v)))
    }

    /// `u` on the finer breakpoint list `bps`; `own[k]` is the index of
    /// `bps[k]` among `u`'s breakpoints, if it is one.
    fn refine(&self, u: &Pw, bps: &[Poly], own: &[Option<usize>]) -> Pw {
        let mut pieces = Vec::with_capacity(bps.len() + 1);
        let mut at = Vec::with_capacity(bps.len());
        let mut seen = 0; // u's breakpoints before the current position
        for (k, b) in bps.iter().enumerate() {
            pieces.push(u.pieces[seen].clone());
            match own[k] {
                Some(j) => {
                    at.push(u.at[j].clone());
                    seen = j + 1;
                }
                None => at.push(u.pieces[seen].subst(self.x, b)),
            }
        }
        pieces.push(u.pieces[seen].clone());
        Pw {
            bps: bps.to_vec(),
            pieces,
            at,
        }
    }

    fn binop(&self, u: &Pw, v: &Pw, f: impl Fn(&Poly, &Poly) -> Poly) -> Result<Pw, String> {
        let (u, v) = self.merge(u, v)?;
        let out = Pw {
            pieces: u
                .pieces
                .iter()
                .zip(&v.pieces)
                .map(|(a, b)| f(a, b))
                .collect(),
            at: u.at.iter().zip(&v.at).map(|(a, b)| f(a, b)).collect(),
            bps: u.bps,
        };
        check_size(&out)?;
        Ok(out)
    }

    /// Applies `f(sign of value, value)` everywhere, first splitting every piece
    /// at the root of its (linear) polynomial so that each piece has one sign.
    fn by_sign(&self, u: &Pw, f: &dyn Fn(Ordering, &Poly) -> Poly) -> Result<Pw, String> {
        let x = self.x;
        let n = u.bps.len();
        let mut out = Pw {
            bps: Vec::new(),
            pieces: Vec::new(),
            at: Vec::new(),
        };
        for i in 0..=n {
            let lo = if i == 0 { None } else { Some(&u.bps[i - 1]) };
            let hi = u.bps.get(i);
            let p = &u.pieces[i];
            match p.degree_in(x) {
                0 => out.pieces.push(f(self.sign(p)?, p)),
                1 => {
                    let Some(alpha) = p.coeff_in(x, 1).as_const() else {
                        return Err(format!(
                            "the argument {} has a slope in {} that depends on parameters",
                            self.fmt(p),
                            self.name(x)
                        ));
                    };
                    let root = p.coeff_in(x, 0).scale(&(-alpha.recip()));
                    if root.total_degree() > 1 {
                        return Err(format!(
                            "the kink at {} = {} is not linear in the parameters",
                            self.name(x),
                            self.fmt(&root)
                        ));
                    }
                    let up = if alpha.is_positive() {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                    let above_lo = match lo {
                        None => true,
                        Some(l) => self.cmp(l, &root)? == Ordering::Less,
                    };
                    let below_hi = match hi {
                        None => true,
                        Some(h) => self.cmp(&root, h)? == Ordering::Less,
                    };
                    if above_lo && below_hi {
                        out.pieces.push(f(up.reverse(), p));
                        out.bps.push(root);
                        out.at.push(f(Ordering::Equal, &Poly::zero()));
                        out.pieces.push(f(up, p));
                    } else if !above_lo {
                        // root <= lo: the whole piece lies right of the root
                        out.pieces.push(f(up, p));
                    } else {
                        out.pieces.push(f(up.reverse(), p));
                    }
                }
                d => {
                    return Err(format!(
                        "the argument {} of a kinked function has degree {d} in {} on {}",
                        self.fmt(p),
                        self.name(x),
                        self.interval(lo, hi)
                    ));
                }
            }
            if i < n {
                out.bps.push(u.bps[i].clone());
                let v = &u.at[i];
                out.at.push(f(self.sign(v)?, v));
            }
        }
        check_size(&out)?;
        Ok(out)
    }

    /// `(lo, hi)` with `-inf`/`inf` for missing ends.
    pub fn interval(&self, lo: Option<&Poly>, hi: Option<&Poly>) -> String {
        format!(
            "({}, {})",
            lo.map_or_else(|| "-inf".to_string(), |p| self.fmt(p)),
            hi.map_or_else(|| "inf".to_string(), |p| self.fmt(p))
        )
    }

    /// Drops breakpoints where nothing happens (same piece on both sides and
    /// the value there continues it).
    pub fn simplify(&self, u: &Pw) -> Pw {
        let mut out = u.clone();
        let mut i = 0;
        while i < out.bps.len() {
            if out.pieces[i] == out.pieces[i + 1]
                && out.at[i] == out.pieces[i].subst(self.x, &out.bps[i])
            {
                out.bps.remove(i);
                out.at.remove(i);
                out.pieces.remove(i + 1);
            } else {
                i += 1;
            }
        }
        out
    }

    pub fn to_pw_top(&self, e: &Expr) -> Result<Pw, String> {
        self.to_pw(e, &Env::new(), 0)
    }

    /// The recursion only walks the tree; each node's operation is applied in
    /// [`Ctx::apply`] after its arguments are done, which keeps the frames on
    /// the recursive path small.
    fn to_pw(&self, e: &Expr, env: &Env, depth: usize) -> Result<Pw, String> {
        if depth > MAX_DEPTH {
            return Err("the expression is nested too deeply".to_string());
        }
        if !e.shape.is_scalar() {
            return Err(format!("{} is not a scalar", describe(self.prog, &e.op)));
        }
        match &e.op {
            Op::Let(id) => return self.let_pw(*id, depth + 1),
            Op::CallLet(id) => return self.call_pw(*id, &e.args, env, depth + 1),
            Op::Local(l) => {
                return env.get(l).cloned().ok_or_else(|| {
                    let name = self.prog.locals.get(*l).map_or("?", |d| d.name.as_str());
                    format!("{name} is not a scalar function parameter")
                });
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(e.args.len());
        for a in &e.args {
            args.push(self.to_pw(a, env, depth + 1)?);
        }
        self.apply(e, args)
    }

    fn let_pw(&self, id: LetId, depth: usize) -> Result<Pw, String> {
        if let Some(done) = self.lets.borrow().get(&id) {
            return Ok(done.clone());
        }
        let decl = self.prog.lets.get(id).ok_or("unknown definition")?;
        let out = self.to_pw(&decl.body, &Env::new(), depth)?;
        self.lets.borrow_mut().insert(id, out.clone());
        Ok(out)
    }

    fn call_pw(&self, id: LetId, args: &[Expr], env: &Env, depth: usize) -> Result<Pw, String> {
        let decl = self.prog.lets.get(id).ok_or("unknown definition")?;
        if decl.params.len() != args.len() {
            return Err(format!("wrong number of arguments to {}", decl.name));
        }
        let mut inner = Env::new();
        for (p, a) in decl.params.iter().zip(args) {
            inner.insert(*p, self.to_pw(a, env, depth)?);
        }
        self.to_pw(&decl.body, &inner, depth)
    }

    /// One operation on already translated arguments.
    fn apply(&self, e: &Expr, args: Vec<Pw>) -> Result<Pw, String> {
        let arg = |k: usize| -> Result<Pw, String> {
            args.get(k)
                .cloned()
                .ok_or_else(|| "malformed expression".to_string())
        };
        let konst = |i: i64| Ok(Pw::constant(Poly::int(i)));
        match &e.op {
            Op::Num(q) => Ok(Pw::constant(Poly::constant(q.clone()))),
            Op::Var(v) => Ok(Pw::constant(Poly::var(*v))),
            Op::DimValue(dim) => match self.prog.dim_value(*dim) {
                Some(n) => Ok(Pw::constant(Poly::constant(Q::from_integer(n.into())))),
                None => Err(format!(
                    "the dimension {} has no fixed value",
                    self.prog.dim_name(*dim)
                )),
            },
            Op::Neg => Ok(arg(0)?.map(Poly::neg)),
            Op::Add => self.binop(&arg(0)?, &arg(1)?, Poly::add),
            Op::Sub => self.binop(&arg(0)?, &arg(1)?, Poly::sub),
            Op::Mul | Op::Scale | Op::Hadamard => self.binop(&arg(0)?, &arg(1)?, Poly::mul),
            Op::Div | Op::HadDiv => {
                let num = arg(0)?;
                match arg(1)?.as_const() {
                    Some(c) if !c.is_zero() => Ok(num.map(|p| p.scale(&c.recip()))),
                    _ => Err("division by a non-constant (or zero) value".to_string()),
                }
            }
            Op::Pow | Op::ElemPow => {
                let base = arg(0)?;
                let n = arg(1)?
                    .as_const()
                    .filter(|c| c.is_integer() && !c.is_negative())
                    .and_then(|c| c.to_integer().to_u32())
                    .filter(|n| *n <= MAX_POWER)
                    .ok_or("a power whose exponent is not a small nonnegative integer")?;
                let mut out = Pw::constant(Poly::int(1));
                for _ in 0..n {
                    out = self.binop(&out, &base, Poly::mul)?;
                }
                Ok(out)
            }
            Op::Transpose | Op::Sum => arg(0),
            Op::Literal { rows: 1, cols: 1 } => arg(0),
            Op::Elem(ElemFn::Step) => self.by_sign(&arg(0)?, &|s, _| step_of(s)),
            Op::Elem(ElemFn::Relu) => self.by_sign(&arg(0)?, &|s, p| {
                if s == Ordering::Greater {
                    p.clone()
                } else {
                    Poly::zero()
                }
            }),
            Op::Elem(ElemFn::Abs) => self.by_sign(&arg(0)?, &|s, p| {
                if s == Ordering::Less {
                    p.neg()
                } else {
                    p.clone()
                }
            }),
            // The language fixes relu'(z) = 1{z > 0} and step'(z) = 0.
            Op::ElemPrime(ElemFn::Relu) => self.by_sign(&arg(0)?, &|s, _| {
                Poly::int(i64::from(s == Ordering::Greater))
            }),
            Op::ElemPrime(ElemFn::Step) => {
                arg(0)?;
                konst(0)
            }
            Op::Indicator(op) => {
                let diff = self.binop(&arg(0)?, &arg(1)?, Poly::sub)?;
                let op = *op;
                self.by_sign(&diff, &move |s, _| {
                    let holds = match op {
                        CmpOp::Lt => s == Ordering::Less,
                        CmpOp::Le => s != Ordering::Greater,
                        CmpOp::Gt => s == Ordering::Greater,
                        CmpOp::Ge => s != Ordering::Less,
                    };
                    Poly::int(i64::from(holds))
                })
            }
            // max(a, b) = b + relu(a - b), min(a, b) = a - relu(a - b)
            Op::Max | Op::Min => {
                let (a, b) = (arg(0)?, arg(1)?);
                let diff = self.binop(&a, &b, Poly::sub)?;
                let r = self.by_sign(&diff, &|s, p| {
                    if s == Ordering::Greater {
                        p.clone()
                    } else {
                        Poly::zero()
                    }
                })?;
                if e.op == Op::Max {
                    self.binop(&b, &r, Poly::add)
                } else {
                    self.binop(&a, &r, Poly::sub)
                }
            }
            other => Err(format!(
                "{} is outside the piecewise-polynomial fragment",
                describe(self.prog, other)
            )),
        }
    }
}

fn step_of(s: Ordering) -> Poly {
    Poly::int(i64::from(s != Ordering::Less))
}

fn check_size(u: &Pw) -> Result<(), String> {
    if u.bps.len() > MAX_BREAKPOINTS {
        return Err("too many breakpoints".to_string());
    }
    let terms = u.pieces.iter().chain(&u.at).map(Poly::term_count).max();
    if terms.unwrap_or(0) > MAX_TERMS {
        return Err("the polynomials grow too large".to_string());
    }
    Ok(())
}

/// A short name for an operator, for "outside the fragment" reasons.
pub(crate) fn describe(prog: &Program, op: &Op) -> String {
    match op {
        Op::Elem(f) => format!("{}(…)", f.name()),
        Op::ElemPrime(f) => format!("{}'(…)", f.name()),
        Op::Fun(id) | Op::FunPrime(id) => prog.funs.get(*id).map_or_else(
            || "a declared function".to_string(),
            |f| format!("{}(…)", f.name),
        ),
        Op::Var(v) => prog
            .vars
            .get(*v)
            .map_or_else(|| "a variable".to_string(), |d| d.name.clone()),
        Op::Let(id) | Op::CallLet(id) => prog
            .lets
            .get(*id)
            .map_or_else(|| "a definition".to_string(), |d| d.name.clone()),
        Op::Div | Op::HadDiv => "a division".to_string(),
        Op::Pow | Op::ElemPow => "a power".to_string(),
        other => {
            let s = format!("{other:?}");
            let head = s.split(['(', ' ', '{']).next().unwrap_or("").to_lowercase();
            format!("the operation {head}")
        }
    }
}

/// Sign of `d` if it is a positive or negative multiple of the fact's form
/// plus a constant that keeps the sign: `Greater` means `d > 0`.
fn implied_sign(d: &Poly, f: &Fact) -> Option<Ordering> {
    let v = *f.form.vars().iter().next()?;
    let fc = f.form.linear_coeff(v);
    if fc.is_zero() {
        return None;
    }
    let lambda = d.linear_coeff(v) / fc;
    if lambda.is_zero() {
        return None;
    }
    let k = d.sub(&f.form.scale(&lambda)).as_const()?;
    // d = λ·form + k with form > 0 (or >= 0)
    let (k, flip) = if lambda.is_positive() {
        (k, false)
    } else {
        (-k, true)
    };
    // now ±d = |λ|·form + k
    let pos = if f.strict {
        !k.is_negative()
    } else {
        k.is_positive()
    };
    pos.then_some(if flip {
        Ordering::Less
    } else {
        Ordering::Greater
    })
}

/// Adds the consequences of chaining facts (Fourier–Motzkin steps, e.g.
/// `a < b` and `b < c` give `c - a > 0`), within a small bound.
fn close_facts(mut facts: Vec<Fact>) -> Vec<Fact> {
    const MAX_FACTS: usize = 64;
    for _round in 0..3 {
        let mut new = Vec::new();
        for i in 0..facts.len() {
            for j in i + 1..facts.len() {
                let (f, g) = (&facts[i], &facts[j]);
                for v in f.form.vars() {
                    let (a, b) = (f.form.linear_coeff(v), g.form.linear_coeff(v));
                    if a.is_zero() || b.is_zero() || a.is_positive() == b.is_positive() {
                        continue;
                    }
                    let h = f.form.scale(&b.abs()).add(&g.form.scale(&a.abs()));
                    if h.total_degree() == 1 {
                        new.push(Fact {
                            form: h,
                            strict: f.strict || g.strict,
                        });
                    }
                }
            }
        }
        let before = facts.len();
        for n in new {
            if facts.len() >= MAX_FACTS {
                break;
            }
            let key = normalized(&n.form);
            let dup = facts
                .iter()
                .any(|f| f.strict == n.strict && normalized(&f.form) == key);
            if !dup {
                facts.push(n);
            }
        }
        if facts.len() == before {
            break;
        }
    }
    facts
}

/// The form scaled so that its first variable has coefficient ±1.
fn normalized(p: &Poly) -> Poly {
    match p.vars().iter().next() {
        Some(v) => {
            let c = p.linear_coeff(*v).abs();
            if c.is_zero() {
                p.clone()
            } else {
                p.scale(&c.recip())
            }
        }
        None => p.clone(),
    }
}
