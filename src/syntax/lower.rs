//! Pest pairs → AST: one function per grammar rule, the Pratt parser that
//! applies the precedence table to the grammar's flat operator sequences,
//! and the translation of pest's errors into words a user understands.
//!
//! Expression lowering tracks the depth of every node it builds and refuses
//! to build one deeper than [`MAX_EXPR_DEPTH`], so later recursive passes
//! (and even `Drop`) stay within the stack.

use super::ast::*;
use super::grammar::Rule;
use super::{RESERVED_WORDS, SyntaxError};
use crate::span::{Span, Spanned};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use pest::iterators::Pair;
use std::collections::HashSet;

/// At most this many prefix minuses and powers nested in one flat
/// expression (`- - x`, `a^b^c`): the Pratt parser recurses once for each.
pub(crate) const MAX_OPERATORS: usize = 256;
/// No AST expression is deeper than this.
pub(crate) const MAX_EXPR_DEPTH: u32 = 512;

type Res<T> = Result<T, SyntaxError>;
/// An expression and the depth of its tree (a leaf has depth 1).
type Deep = (Expr, u32);

/// Built-in functions of LANGUAGE.md beyond the reserved names `resolve`
/// implements: their names followed by `(` are calls too.
const LANGUAGE_FUNCTIONS: &[&str] = &[
    "softplus",
    "log_sigmoid",
    "silu",
    "gelu",
    "erf",
    "leaky_relu",
    "elu",
];

/// The name of the function a statement declares (`let f(…) = …`, `fun g: …`).
pub(super) fn declared_function<'i>(pair: &Pair<'i, Rule>) -> Option<&'i str> {
    let rule = pair.as_rule();
    let mut inner = pair.clone().into_inner().skip(1);
    let name = inner.next().filter(|p| p.as_rule() == Rule::ident)?;
    match rule {
        Rule::fun_stmt => Some(name.as_str()),
        Rule::let_stmt if inner.next().is_some_and(|p| p.as_rule() == Rule::params) => {
            Some(name.as_str())
        }
        _ => None,
    }
}

/// Lowers one statement pair (`*_stmt`) whose text starts at byte `off`;
/// `functions` holds the names of the file's `let` functions and `fun`s.
pub(super) fn statement(
    pair: Pair<'_, Rule>,
    off: usize,
    span: Span,
    functions: &HashSet<&str>,
) -> Res<Stmt> {
    let l = Lower { off, functions };
    let rule = pair.as_rule();
    // Drop SOI/EOI and the keyword; every rule below sees only its parts.
    let inner: Vec<Pair<'_, Rule>> = pair
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .skip(1)
        .collect();
    let kind = match rule {
        Rule::dim_stmt => l.dim_stmt(inner)?,
        Rule::var_stmt => l.var_stmt(inner)?,
        Rule::assume_stmt => l.assume_stmt(inner)?,
        Rule::let_stmt => l.let_stmt(inner)?,
        Rule::fun_stmt => l.fun_stmt(inner)?,
        Rule::idx_stmt => l.idx_stmt(inner)?,
        Rule::derive_stmt => l.derive_stmt(inner)?,
        Rule::show_stmt => StmtKind::Show(l.expr(one(inner))?),
        Rule::claim_stmt => l.claim_stmt(inner, span)?,
        Rule::represent_stmt => l.represent_stmt(inner)?,
        Rule::plot_stmt => l.plot_stmt(inner)?,
        other => unreachable!("not a statement rule: {other:?}"),
    };
    Ok(Stmt { kind, span })
}

fn one(mut v: Vec<Pair<'_, Rule>>) -> Pair<'_, Rule> {
    v.remove(0)
}

/// Shortens user text for a message.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 24;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

struct Lower<'f> {
    /// Byte offset of the statement in the file.
    off: usize,
    /// The file's `let` functions and `fun`s.
    functions: &'f HashSet<&'f str>,
}

/// One element of an expression's flat operator sequence.
enum Item {
    Operand(Deep),
    Neg(Span),
    Infix(Infix),
    Postfix(Postfix, Span),
}

#[derive(Clone, Copy, PartialEq)]
enum Infix {
    Bin(BinOp),
    Pow { elementwise: bool },
}

#[derive(Clone, Copy)]
enum Postfix {
    Transpose,
    InvTranspose,
    /// `⁻¹`, the same as `^-1`.
    Inverse,
}

// Binding powers, lowest first. Postfix transposes bind looser than `^` so
// that `x^2'` and `A^-1^T` transpose the power; a `-` directly after `^`
// binds tighter than the transposes (it belongs to the exponent) but looser
// than a further `^`, so `x^-a^2` is `x^(-(a^2))`.
const BP_SUM: u8 = 10;
const BP_PRODUCT: u8 = 20;
const BP_NEG: u8 = 30;
const BP_POSTFIX: u8 = 40;
const BP_EXP_NEG: u8 = 50;
const BP_POW: u8 = 60;

impl Infix {
    /// (left, right) binding power; right < left makes `^` right-associative.
    fn bp(self) -> (u8, u8) {
        match self {
            Infix::Bin(BinOp::Add | BinOp::Sub) => (BP_SUM, BP_SUM + 1),
            Infix::Bin(_) => (BP_PRODUCT, BP_PRODUCT + 1),
            Infix::Pow { .. } => (BP_POW + 1, BP_POW),
        }
    }
}

/// Applies the precedence table to a flat sequence (the grammar guarantees
/// it alternates correctly). Recursion is bounded by [`MAX_OPERATORS`].
struct Pratt {
    items: std::iter::Peekable<std::vec::IntoIter<Item>>,
    /// The whole flat expression, for the error when it nests too deep.
    whole: Span,
    /// Calls of `parse` in progress: prefix minuses and powers nest them.
    depth: usize,
}

impl Pratt {
    fn parse(&mut self, min_bp: u8, exponent: bool) -> Res<Deep> {
        self.depth += 1;
        if self.depth > MAX_OPERATORS + 1 {
            return Err(SyntaxError::TooManyOperators { at: self.whole });
        }
        let r = self.parse_level(min_bp, exponent);
        self.depth -= 1;
        r
    }

    fn parse_level(&mut self, min_bp: u8, exponent: bool) -> Res<Deep> {
        let mut lhs = match self.items.next() {
            Some(Item::Operand(d)) => d,
            Some(Item::Neg(span)) => {
                let bp = if exponent { BP_EXP_NEG } else { BP_NEG };
                let operand = self.parse(bp, exponent)?;
                negate(span, operand)?
            }
            _ => unreachable!("the grammar puts an operand after every operator"),
        };
        loop {
            match self.items.peek() {
                None => break,
                Some(Item::Postfix(kind, span)) => {
                    if BP_POSTFIX < min_bp {
                        break;
                    }
                    let (kind, span) = (*kind, *span);
                    self.items.next();
                    lhs = match kind {
                        Postfix::Transpose => transpose(lhs, span)?,
                        Postfix::Inverse => {
                            let minus_one = Spanned::new(num(-1), span);
                            let pow_span = lhs.0.span.join(span);
                            build(
                                ExprKind::Pow {
                                    base: Box::new(lhs.0),
                                    exp: Box::new(minus_one),
                                    elementwise: false,
                                },
                                pow_span,
                                lhs.1,
                            )?
                        }
                        Postfix::InvTranspose => {
                            let minus_one = Spanned::new(num(-1), span);
                            let pow_span = lhs.0.span.join(span);
                            let p = build(
                                ExprKind::Pow {
                                    base: Box::new(lhs.0),
                                    exp: Box::new(minus_one),
                                    elementwise: false,
                                },
                                pow_span,
                                lhs.1,
                            )?;
                            transpose(p, span)?
                        }
                    };
                }
                Some(Item::Infix(op)) => {
                    let (l_bp, r_bp) = op.bp();
                    if l_bp < min_bp {
                        break;
                    }
                    let op = *op;
                    if let Infix::Bin(BinOp::Add | BinOp::Sub) = op {
                        lhs = self.sum_chain(lhs, r_bp)?;
                        continue;
                    }
                    self.items.next();
                    let is_pow = matches!(op, Infix::Pow { .. });
                    let rhs = self.parse(r_bp, is_pow)?;
                    let span = lhs.0.span.join(rhs.0.span);
                    let depth = lhs.1.max(rhs.1);
                    let kind = match op {
                        Infix::Bin(op) => ExprKind::Binary {
                            op,
                            lhs: Box::new(lhs.0),
                            rhs: Box::new(rhs.0),
                        },
                        Infix::Pow { elementwise } => ExprKind::Pow {
                            base: Box::new(lhs.0),
                            exp: Box::new(rhs.0),
                            elementwise,
                        },
                    };
                    lhs = build(kind, span, depth)?;
                }
                Some(_) => unreachable!("the grammar puts an operator after every operand"),
            }
        }
        Ok(lhs)
    }
}

impl Pratt {
    /// `t0 ± t1 ± … ± tk` at one precedence level. Short chains keep the
    /// left-associative tree of the precedence table; a long flat sum (a
    /// generated file's 200,000 terms) becomes a balanced tree of the same
    /// value, so its depth grows as log k and no later pass recurses k deep.
    fn sum_chain(&mut self, first: Deep, r_bp: u8) -> Res<Deep> {
        let mut terms = vec![(BinOp::Add, first)];
        while let Some(Item::Infix(Infix::Bin(op @ (BinOp::Add | BinOp::Sub)))) = self.items.peek()
        {
            let op = *op;
            self.items.next();
            terms.push((op, self.parse(r_bp, false)?));
        }
        if terms.len() <= LEFT_CHAIN_TERMS {
            let mut it = terms.into_iter();
            let (_, mut lhs) = it.next().expect("the first term");
            for (op, rhs) in it {
                lhs = binary(op, lhs, rhs)?;
            }
            return Ok(lhs);
        }
        balanced_sum(terms)
    }
}

/// Chains of at most this many terms keep the precedence table's
/// left-associative shape (every lecture expression does).
const LEFT_CHAIN_TERMS: usize = 64;

fn binary(op: BinOp, (l, ld): Deep, (r, rd): Deep) -> Res<Deep> {
    let span = l.span.join(r.span);
    let kind = ExprKind::Binary {
        op,
        lhs: Box::new(l),
        rhs: Box::new(r),
    };
    build(kind, span, ld.max(rd))
}

/// `Σ sᵢ tᵢ` over `terms` (each with its sign), written with the first
/// term's sign factored out: `t_lo ± …`. Two halves with first signs `s`
/// and `s'` combine as `L + R` when the signs agree and `L − R` otherwise,
/// which is exactly `s (L + s s' R)`.
fn balanced_sum(mut terms: Vec<(BinOp, Deep)>) -> Res<Deep> {
    if terms.len() == 1 {
        return Ok(terms.pop().expect("one term").1);
    }
    let right = terms.split_off(terms.len() / 2);
    let (s_left, s_right) = (terms[0].0, right[0].0);
    let op = if s_left == s_right {
        BinOp::Add
    } else {
        BinOp::Sub
    };
    binary(op, balanced_sum(terms)?, balanced_sum(right)?)
}

fn num(n: i64) -> ExprKind {
    ExprKind::Num(BigRational::from_integer(BigInt::from(n)))
}

/// Builds a node over children of depth `child_depth`, refusing trees deeper
/// than [`MAX_EXPR_DEPTH`].
fn build(kind: ExprKind, span: Span, child_depth: u32) -> Res<Deep> {
    let depth = child_depth + 1;
    if depth > MAX_EXPR_DEPTH {
        return Err(SyntaxError::ExprTooDeep { at: span });
    }
    Ok((Spanned::new(kind, span), depth))
}

/// `-e`; a negated number literal is folded into a negative number, so
/// `A^-1` has the exponent `Num(-1)`.
fn negate(op: Span, (e, d): Deep) -> Res<Deep> {
    let span = op.join(e.span);
    match e.node {
        ExprKind::Num(r) => Ok((Spanned::new(ExprKind::Num(-r), span), d)),
        node => build(ExprKind::Neg(Box::new(Spanned::new(node, e.span))), span, d),
    }
}

fn transpose((e, d): Deep, op: Span) -> Res<Deep> {
    let span = e.span.join(op);
    build(ExprKind::Transpose(Box::new(e)), span, d)
}

fn cmp_op(s: &str) -> CmpOp {
    match s {
        "<" => CmpOp::Lt,
        "<=" | "≤" => CmpOp::Le,
        ">" => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

impl Lower<'_> {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.off + s.start(), self.off + s.end())
    }

    fn ident(&self, p: &Pair<'_, Rule>) -> Ident {
        Spanned::new(p.as_str().to_string(), self.span(p))
    }

    fn cmp(&self, p: &Pair<'_, Rule>) -> Spanned<CmpOp> {
        Spanned::new(cmp_op(p.as_str()), self.span(p))
    }

    fn integer(&self, p: &Pair<'_, Rule>) -> Spanned<BigInt> {
        let n = p.as_str().parse::<BigInt>().unwrap_or_default();
        Spanned::new(n, self.span(p))
    }

    // ------------------------------------------------------------ statements

    fn dim_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let items = inner
            .into_iter()
            .filter(|p| p.as_rule() == Rule::dim_item)
            .map(|p| self.dim_item(p))
            .collect();
        Ok(StmtKind::Dim(items))
    }

    fn dim_item(&self, p: Pair<'_, Rule>) -> DimItem {
        let mut it = p.into_inner();
        let name = self.ident(&it.next().expect("dim name"));
        let value = it
            .find(|p| p.as_rule() == Rule::integer)
            .map(|p| self.integer(&p));
        DimItem { name, value }
    }

    fn var_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut items = Vec::new();
        let mut ty = None;
        let mut attrs = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::var_item => items.push(self.var_item(p)),
                Rule::type_expr => ty = Some(self.type_expr(p)),
                Rule::attr => attrs.push(self.ident(&p)),
                _ => {}
            }
        }
        let ty = ty.expect("the grammar requires a type");
        Ok(StmtKind::Var { items, ty, attrs })
    }

    fn var_item(&self, p: Pair<'_, Rule>) -> VarItem {
        let mut it = p.into_inner();
        let name = self.ident(&it.next().expect("var name"));
        let seq = it.next().map(|q| match q.as_rule() {
            Rule::integer => SeqIndex::At(self.integer(&q)),
            _ => SeqIndex::Every(self.ident(&q)),
        });
        VarItem { name, seq }
    }

    fn type_expr(&self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&p);
        let q = p.into_inner().next().expect("a type");
        match q.as_rule() {
            Rule::ty_scalar => TypeExpr::Scalar(span),
            Rule::ty_vec => {
                let d = q.into_inner().find(|p| p.as_rule() == Rule::dim_ref);
                TypeExpr::Vec(self.dim_ref(d.expect("vec dimension")), span)
            }
            _ => {
                let mut ds = q.into_inner().filter(|p| p.as_rule() == Rule::dim_ref);
                let rows = self.dim_ref(ds.next().expect("mat rows"));
                let cols = self.dim_ref(ds.next().expect("mat cols"));
                TypeExpr::Mat(rows, cols, span)
            }
        }
    }

    fn dim_ref(&self, p: Pair<'_, Rule>) -> DimRef {
        let span = self.span(&p);
        let mut terms: Vec<DimTerm> = p
            .into_inner()
            .filter(|q| q.as_rule() == Rule::dim_term)
            .map(|q| {
                let mut t = DimTerm {
                    coeff: None,
                    name: None,
                };
                for r in q.into_inner() {
                    match r.as_rule() {
                        Rule::integer => t.coeff = Some(self.integer(&r)),
                        Rule::ident => t.name = Some(self.ident(&r)),
                        _ => {}
                    }
                }
                t
            })
            .collect();
        match terms.as_slice() {
            [
                DimTerm {
                    coeff: Some(_),
                    name: None,
                },
            ]
            | [
                DimTerm {
                    coeff: None,
                    name: Some(_),
                },
            ] => {
                let t = terms.pop().expect("one term");
                match (t.coeff, t.name) {
                    (Some(c), _) => DimRef::Lit(c),
                    (_, n) => DimRef::Name(n.expect("a name")),
                }
            }
            _ => DimRef::Sum(terms, span),
        }
    }

    fn assume_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut it = inner.into_iter();
        let lhs = self.expr(it.next().expect("lhs"))?;
        let op = self.cmp(&it.next().expect("comparison"));
        let rhs = self.expr(it.next().expect("rhs"))?;
        Ok(StmtKind::Assume { lhs, op, rhs })
    }

    fn let_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut it = inner.into_iter();
        let name = self.ident(&it.next().expect("let name"));
        let mut form = LetForm::Plain;
        let mut value = None;
        let mut guard = None;
        for p in it {
            match p.as_rule() {
                Rule::params => form = LetForm::Function(self.params(p)),
                Rule::let_index => {
                    let var = p.into_inner().next().expect("index name");
                    form = LetForm::Indexed(self.ident(&var));
                }
                Rule::expr => value = Some(self.expr(p)?),
                Rule::guard => guard = Some(self.guard(p)?),
                _ => {}
            }
        }
        let value = value.expect("the grammar requires a value");
        Ok(StmtKind::Let {
            name,
            form,
            value,
            guard,
        })
    }

    fn params(&self, p: Pair<'_, Rule>) -> Vec<Param> {
        p.into_inner()
            .filter(|q| q.as_rule() == Rule::param)
            .map(|q| {
                let mut it = q.into_inner();
                let name = self.ident(&it.next().expect("param name"));
                let ty = it
                    .find(|p| p.as_rule() == Rule::type_expr)
                    .expect("param type");
                Param {
                    name,
                    ty: self.type_expr(ty),
                }
            })
            .collect()
    }

    fn guard(&self, p: Pair<'_, Rule>) -> Res<Guard> {
        let span = self.span(&p);
        let mut it = p.into_inner().skip(1);
        let var = self.ident(&it.next().expect("guard variable"));
        let op = self.cmp(&it.next().expect("guard comparison"));
        let bound = self.expr(it.next().expect("guard bound"))?;
        Ok(Guard {
            var,
            op,
            bound,
            span,
        })
    }

    fn fun_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut it = inner.into_iter();
        let name = self.ident(&it.next().expect("fun name"));
        let mut types = Vec::new();
        let mut elementwise = false;
        for p in it {
            match p.as_rule() {
                Rule::kw_elementwise => elementwise = true,
                Rule::type_expr => types.push(self.type_expr(p)),
                _ => {}
            }
        }
        let sig = if elementwise {
            FunSig::Elementwise
        } else {
            let mut t = types.into_iter();
            FunSig::Map {
                from: t.next().expect("argument type"),
                to: t.next().expect("result type"),
            }
        };
        Ok(StmtKind::Fun { name, sig })
    }

    fn idx_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut names = Vec::new();
        let mut range = None;
        for p in inner {
            match p.as_rule() {
                Rule::ident => names.push(self.ident(&p)),
                Rule::dim_ref => range = Some(self.dim_ref(p)),
                _ => {}
            }
        }
        Ok(StmtKind::Idx {
            names,
            range: range.expect("the grammar requires a range"),
        })
    }

    fn derive_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut exprs = Vec::new();
        let mut wrt = false;
        for p in inner {
            match p.as_rule() {
                Rule::expr => exprs.push(self.expr(p)?),
                Rule::kw_wrt => wrt = true,
                _ => {}
            }
        }
        Ok(StmtKind::Derive(if wrt {
            let f = exprs.remove(0);
            DeriveSpec::Wrt { f, wrt: exprs }
        } else {
            DeriveSpec::Exprs(exprs)
        }))
    }

    fn claim_stmt(&self, inner: Vec<Pair<'_, Rule>>, stmt: Span) -> Res<StmtKind> {
        let mut name = None;
        let mut first = None;
        let mut steps: Vec<ClaimStep> = Vec::new();
        let mut expect_refuted = None;
        for p in inner {
            match p.as_rule() {
                Rule::claim_name => {
                    let id = p.into_inner().next().expect("claim name");
                    name = Some(self.ident(&id));
                }
                Rule::expr => first = Some(self.expr(p)?),
                Rule::claim_step => steps.push(self.claim_step(p)?),
                Rule::expect => expect_refuted = Some(self.span(&p)),
                _ => {}
            }
        }
        let first = first.expect("the grammar requires an expression");
        if steps.is_empty() {
            let at = Span::new(stmt.end, stmt.end);
            return Err(SyntaxError::ClaimWithoutRightSide {
                at: first.span.join(at),
            });
        }
        if steps.len() > 1
            && let Some(s) = steps.iter().find(|s| s.rel.node != Rel::Eq)
        {
            return Err(SyntaxError::InequalityInChain { at: s.rel.span });
        }
        Ok(StmtKind::Claim(Claim {
            name,
            first,
            steps,
            expect_refuted,
        }))
    }

    fn claim_step(&self, p: Pair<'_, Rule>) -> Res<ClaimStep> {
        let mut it = p.into_inner();
        let rel = it.next().expect("relation");
        let rel = Spanned::new(
            match rel.as_rule() {
                Rule::eq => Rel::Eq,
                _ => Rel::Cmp(cmp_op(rel.as_str())),
            },
            self.span(&rel),
        );
        let rhs = self.expr(it.next().expect("right side"))?;
        Ok(ClaimStep { rel, rhs })
    }

    fn represent_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut it = inner.into_iter();
        let target = self.expr(it.next().expect("target"))?;
        let activation = it.find(|p| p.as_rule() == Rule::ident).expect("activation");
        Ok(StmtKind::Represent {
            target,
            activation: self.ident(&activation),
        })
    }

    fn plot_stmt(&self, inner: Vec<Pair<'_, Rule>>) -> Res<StmtKind> {
        let mut exprs = Vec::new();
        let mut over = None;
        let mut ends = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::expr if over.is_none() => exprs.push(self.expr(p)?),
                Rule::expr => ends.push(self.expr(p)?),
                Rule::ident => over = Some(self.ident(&p)),
                _ => {}
            }
        }
        let over = over.expect("the grammar requires a length after `over`");
        let to = ends.pop().expect("the grammar requires a range");
        let from = ends.pop().expect("the grammar requires a range");
        Ok(StmtKind::Plot {
            exprs,
            over,
            from,
            to,
        })
    }

    // ------------------------------------------------------------ expressions

    fn expr(&self, p: Pair<'_, Rule>) -> Res<Expr> {
        Ok(self.deep_expr(p)?.0)
    }

    /// `expr`: collects the flat sequence, bounds it, then runs the Pratt parser.
    fn deep_expr(&self, p: Pair<'_, Rule>) -> Res<Deep> {
        let whole = self.span(&p);
        let mut items = Vec::new();
        let mut pending: Vec<Item> = Vec::new();
        for q in p.into_inner() {
            let span = self.span(&q);
            let item = match q.as_rule() {
                Rule::operand => match self.product_call(&q)? {
                    // `v (a - b)^T`: the name, a juxtaposition, the bracket.
                    Some((head, tail)) => {
                        pending.push(Item::Operand(head));
                        pending.push(Item::Infix(Infix::Bin(BinOp::Mul)));
                        Item::Operand(tail)
                    }
                    None => Item::Operand(self.operand(q)?),
                },
                Rule::neg => Item::Neg(span),
                Rule::add => Item::Infix(Infix::Bin(BinOp::Add)),
                Rule::sub => Item::Infix(Infix::Bin(BinOp::Sub)),
                Rule::mul | Rule::juxt => Item::Infix(Infix::Bin(BinOp::Mul)),
                Rule::hadamard => Item::Infix(Infix::Bin(BinOp::Hadamard)),
                Rule::haddiv => Item::Infix(Infix::Bin(BinOp::HadDiv)),
                Rule::div => Item::Infix(Infix::Bin(BinOp::Div)),
                Rule::pow => Item::Infix(Infix::Pow { elementwise: false }),
                Rule::pow_elem => Item::Infix(Infix::Pow { elementwise: true }),
                Rule::transpose_t | Rule::prime | Rule::sup_t => {
                    Item::Postfix(Postfix::Transpose, span)
                }
                Rule::inv_transpose_t | Rule::sup_inv_t => {
                    Item::Postfix(Postfix::InvTranspose, span)
                }
                Rule::sup_inv => Item::Postfix(Postfix::Inverse, span),
                other => unreachable!("unexpected rule in an expression: {other:?}"),
            };
            pending.push(item);
            items.append(&mut pending);
        }
        let mut pratt = Pratt {
            items: items.into_iter().peekable(),
            whole,
            depth: 0,
        };
        pratt.parse(0, false)
    }

    /// `operand`: an atom and its index brackets.
    fn operand(&self, p: Pair<'_, Rule>) -> Res<Deep> {
        let mut it = p.into_inner();
        let base = self.atom(it.next().expect("atom"))?;
        self.indexed(base, it)
    }

    /// Whether `name(` is a call: built-in, `let` function or `fun`.
    fn is_function(&self, name: &str) -> bool {
        crate::builtins::is_builtin(name)
            || LANGUAGE_FUNCTIONS.contains(&name)
            || self.functions.contains(name)
    }

    /// An operand the grammar read as a call `B (A)` (or `A'(x)`) whose name
    /// is not a function: a juxtaposed product, split into the name and the
    /// bracket so that postfix operators after it bind to the bracket alone
    /// (`B (A)^T` is `B Aᵀ`). `W(x)` without a space and calls with several
    /// arguments stay calls, for `resolve` to reject.
    fn product_call(&self, operand: &Pair<'_, Rule>) -> Res<Option<(Deep, Deep)>> {
        let mut parts = operand.clone().into_inner();
        let atom = parts.next().expect("atom");
        let Some(call) = atom
            .into_inner()
            .next()
            .filter(|q| q.as_rule() == Rule::call)
        else {
            return Ok(None);
        };
        let call_span = self.span(&call);
        let call_start = call.as_span().start();
        let text = call.as_str();
        let mut inner = call.into_inner();
        let name = inner.next().expect("function name");
        if self.is_function(name.as_str()) {
            return Ok(None);
        }
        let mut prime = None;
        let mut args = None;
        for q in inner {
            match q.as_rule() {
                Rule::prime => prime = Some(self.span(&q)),
                Rule::call_args => args = Some(q),
                _ => {}
            }
        }
        let spaced = text[name.as_str().len()..].starts_with(|c: char| c.is_whitespace());
        let Some(args) = args else {
            return Ok(None);
        };
        let exprs: Vec<Pair<'_, Rule>> = args.clone().into_inner().collect();
        let [arg] = exprs.as_slice() else {
            return Ok(None);
        };
        if arg.as_rule() != Rule::expr || !(spaced || prime.is_some()) {
            return Ok(None);
        }
        // The bracket starts at the last `(` before the argument.
        let args_at = args.as_span().start() - call_start;
        let open = text[..args_at].rfind('(').unwrap_or(args_at);
        let paren_span = Span::new(call_span.start + open, call_span.end);
        let mut head: Deep = (
            Spanned::new(ExprKind::Name(name.as_str().to_string()), self.span(&name)),
            1,
        );
        if let Some(p) = prime {
            head = transpose(head, p)?;
        }
        let (e, d) = self.deep_expr(arg.clone())?;
        let tail = self.indexed((Spanned::new(e.node, paren_span), d), parts)?;
        Ok(Some((head, tail)))
    }

    /// `base` followed by the index brackets `it`.
    fn indexed<'i>(&self, mut base: Deep, it: impl Iterator<Item = Pair<'i, Rule>>) -> Res<Deep> {
        for index in it {
            let span = base.0.span.join(self.span(&index));
            let (indices, depth) = self.expr_list(index.into_inner())?;
            base = build(
                ExprKind::Index {
                    base: Box::new(base.0),
                    indices,
                },
                span,
                depth.max(base.1),
            )?;
        }
        Ok(base)
    }

    /// The expressions among `pairs` (commas and closers skipped) and their
    /// greatest depth.
    fn expr_list<'i>(&self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Res<(Vec<Expr>, u32)> {
        let mut out = Vec::new();
        let mut depth = 0;
        for q in pairs.filter(|q| q.as_rule() == Rule::expr) {
            let (e, d) = self.deep_expr(q)?;
            depth = depth.max(d);
            out.push(e);
        }
        Ok((out, depth))
    }

    fn atom(&self, p: Pair<'_, Rule>) -> Res<Deep> {
        let q = p.into_inner().next().expect("atom content");
        let span = self.span(&q);
        match q.as_rule() {
            Rule::number => Ok((Spanned::new(ExprKind::Num(decimal(q.as_str())), span), 1)),
            Rule::ident => Ok((
                Spanned::new(ExprKind::Name(q.as_str().to_string()), span),
                1,
            )),
            Rule::paren => {
                let inner = q.into_inner().next().expect("parenthesised expression");
                let (e, d) = self.deep_expr(inner)?;
                // The span covers the parentheses, which reads better in reports.
                Ok((Spanned::new(e.node, span), d))
            }
            Rule::bracket => self.bracket(q, span),
            Rule::indicator => self.indicator(q, span),
            Rule::call => self.call(q, span),
            other => unreachable!("unexpected atom: {other:?}"),
        }
    }

    /// `[a, b]` is a vector; a bracket whose entries are all bracket
    /// literals, `[[1, 1], [-1, -1]]`, is a matrix given by rows.
    fn bracket(&self, p: Pair<'_, Rule>, span: Span) -> Res<Deep> {
        let is_stack = p
            .clone()
            .into_inner()
            .any(|q| q.as_rule() == Rule::semicolon);
        let (items, depth) = self.expr_list(p.into_inner())?;
        if is_stack {
            return build(ExprKind::Stack(items), span, depth);
        }
        if items.iter().all(|e| matches!(e.node, ExprKind::Vector(_))) {
            let width = match &items[0].node {
                ExprKind::Vector(r) => r.len(),
                _ => 0,
            };
            let mut rows = Vec::with_capacity(items.len());
            for row in items {
                let row_span = row.span;
                let ExprKind::Vector(entries) = row.node else {
                    unreachable!("checked above")
                };
                if entries.len() != width {
                    return Err(SyntaxError::RaggedRows {
                        at: row_span,
                        width,
                        len: entries.len(),
                    });
                }
                rows.push(entries);
            }
            // The rows were vectors one level down: the matrix is no deeper.
            return Ok((Spanned::new(ExprKind::Matrix(rows), span), depth));
        }
        build(ExprKind::Vector(items), span, depth)
    }

    /// `1{lhs op rhs}`: exactly one comparison.
    fn indicator(&self, p: Pair<'_, Rule>, span: Span) -> Res<Deep> {
        let mut exprs = Vec::new();
        let mut cmps = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::expr => exprs.push(q),
                Rule::cmp => cmps.push(q),
                _ => {}
            }
        }
        match cmps.len() {
            0 => Err(SyntaxError::IndicatorWithoutComparison { at: span }),
            1 => {
                let op = cmp_op(cmps[0].as_str());
                let mut it = exprs.into_iter();
                let (lhs, dl) = self.deep_expr(it.next().expect("lhs"))?;
                let (rhs, dr) = self.deep_expr(it.next().expect("rhs"))?;
                build(
                    ExprKind::Indicator {
                        lhs: Box::new(lhs),
                        op,
                        rhs: Box::new(rhs),
                    },
                    span,
                    dl.max(dr),
                )
            }
            _ => Err(SyntaxError::IndicatorTwoComparisons {
                at: self.span(&cmps[1]),
            }),
        }
    }

    /// `f(a, b)`, `g'(z)`, and the binders `sum(j, e)`, `sum(t in a..b, e)`,
    /// `prod(k in b downto a, M)`.
    fn call(&self, p: Pair<'_, Rule>, span: Span) -> Res<Deep> {
        let mut it = p.into_inner();
        let func = self.ident(&it.next().expect("function name"));
        let mut prime = false;
        let mut binder = None;
        let mut args = Vec::new();
        let mut depth = 0;
        for q in it {
            match q.as_rule() {
                Rule::prime => prime = true,
                Rule::call_args => {
                    for a in q.into_inner() {
                        match a.as_rule() {
                            Rule::binder => binder = Some(a),
                            Rule::expr => {
                                let (e, d) = self.deep_expr(a)?;
                                depth = depth.max(d);
                                args.push(e);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let kind = match func.node.as_str() {
            "sum" if !prime => Some(BoundKind::Sum),
            "prod" if !prime => Some(BoundKind::Prod),
            _ => None,
        };
        if let Some(b) = binder {
            let Some(kind) = kind else {
                return Err(SyntaxError::BinderInCall {
                    at: self.span(&b),
                    func: func.node,
                });
            };
            if args.len() != 1 {
                return Err(SyntaxError::BinderBodies {
                    at: span,
                    func: func.node,
                    count: args.len(),
                });
            }
            let mut bi = b.into_inner();
            let var = self.ident(&bi.next().expect("bound variable"));
            let mut from = None;
            let mut to = None;
            let mut downto = false;
            for q in bi {
                match q.as_rule() {
                    Rule::expr if from.is_none() => from = Some(self.deep_expr(q)?),
                    Rule::expr => to = Some(self.deep_expr(q)?),
                    Rule::kw_downto => downto = true,
                    _ => {}
                }
            }
            let (from, df) = from.expect("range start");
            let (to, dt) = to.expect("range end");
            let body = args.pop().expect("one body");
            return build(
                ExprKind::Bound {
                    kind,
                    var,
                    range: BoundRange::Ints {
                        from: Box::new(from),
                        to: Box::new(to),
                        downto,
                    },
                    body: Box::new(body),
                },
                span,
                depth.max(df).max(dt),
            );
        }
        if let Some(kind) = kind
            && args.len() == 2
            && let ExprKind::Name(n) = &args[0].node
        {
            let var = Spanned::new(n.clone(), args[0].span);
            let body = args.pop().expect("two arguments");
            return build(
                ExprKind::Bound {
                    kind,
                    var,
                    range: BoundRange::Idx,
                    body: Box::new(body),
                },
                span,
                depth,
            );
        }
        build(ExprKind::Call { func, prime, args }, span, depth)
    }
}

/// `12.25` → 49/4, exactly. The grammar guarantees digits with an optional
/// fraction part.
fn decimal(s: &str) -> BigRational {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = format!("{int}{frac}");
    let numer = digits.parse::<BigInt>().unwrap_or_else(|_| BigInt::zero());
    let mut denom = BigInt::one();
    for _ in 0..frac.len() {
        denom *= 10;
    }
    BigRational::new(numer, denom)
}

// ---------------------------------------------------------------- pest errors

/// What a grammar rule stands for, in words; `None` for rules that never
/// appear in an error on their own.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::expr
        | Rule::operand
        | Rule::atom
        | Rule::number
        | Rule::call
        | Rule::paren
        | Rule::bracket
        | Rule::indicator
        | Rule::neg => "an expression",
        Rule::ident | Rule::claim_name => "a name",
        Rule::attr => "an attribute such as `onehot`",
        Rule::integer => "a whole number",
        Rule::dim_ref => "a dimension (a name or a number)",
        Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::hadamard
        | Rule::haddiv
        | Rule::pow
        | Rule::pow_elem
        | Rule::juxt
        | Rule::transpose_t
        | Rule::inv_transpose_t
        | Rule::prime
        | Rule::sup_t
        | Rule::sup_inv_t
        | Rule::sup_inv
        | Rule::index => "an operator",
        Rule::type_expr | Rule::ty_scalar | Rule::ty_vec | Rule::ty_mat => {
            "a type (`scalar`, `vec[n]` or `mat[m, n]`)"
        }
        Rule::kw_vec | Rule::kw_mat => "a type (`scalar`, `vec[n]` or `mat[m, n]`)",
        Rule::cmp => "a comparison (`<`, `<=`, `>` or `>=`)",
        Rule::eq | Rule::claim_step => "`=`",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        Rule::rparen => "`)`",
        Rule::rbracket => "`]`",
        Rule::rbrace => "`}`",
        Rule::arrow => "`->`",
        Rule::dotdot => "`..`",
        Rule::params => "`(`",
        Rule::let_index => "`[`",
        Rule::kw_wrt => "`wrt`",
        Rule::kw_with => "`with`",
        Rule::kw_over => "`over`",
        Rule::kw_expect | Rule::expect => "`expect refuted`",
        Rule::kw_refuted => "`refuted`",
        Rule::kw_for | Rule::guard => "`for`",
        Rule::kw_in | Rule::binder => "`in`",
        Rule::kw_downto => "`downto`",
        Rule::kw_elementwise => "`elementwise`",
        Rule::EOI => "the end of the statement",
        _ => return None,
    })
}

/// The token at the start of `s`, for "found `…`" (a whole name or
/// number, a two-character operator, or one character).
fn token_at(s: &str) -> &str {
    let Some(c) = s.chars().next() else {
        return "";
    };
    let end = if c.is_alphanumeric() || c == '_' {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(s.len())
    } else if ["<=", ">=", "->", "..", ".*", "./", ".^"]
        .iter()
        .any(|op| s.starts_with(op))
    {
        2
    } else {
        c.len_utf8()
    };
    &s[..end]
}

/// The last token before byte `pos` of `s`.
fn token_before(s: &str, pos: usize) -> String {
    let before = s[..pos].trim_end();
    let Some(last) = before.chars().last() else {
        return String::new();
    };
    if last.is_alphanumeric() || last == '_' {
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .map(|i| i + before[i..].chars().next().map_or(1, char::len_utf8))
            .unwrap_or(0);
        clip(&before[start..])
    } else {
        let tail: String = before
            .chars()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if ["<=", ">=", "->", ".*", "./", ".^"].contains(&tail.as_str()) {
            tail
        } else {
            last.to_string()
        }
    }
}

/// Turns pest's error (rule names at a position) into a message in words,
/// with a span on the offending token.
pub(super) fn pest_error(e: &pest::error::Error<Rule>, text: &str, off: usize) -> SyntaxError {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut wanted: Vec<&'static str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(w) = describe(*r)
                && !wanted.contains(&w)
            {
                wanted.push(w);
            }
        }
    }
    // An expression subsumes a name; the operator alternatives are noise
    // when something more specific is also possible.
    if wanted.contains(&"an expression") {
        wanted.retain(|w| *w != "a name");
    }
    // After an operand, juxtaposition's look-ahead also reports a name:
    // "an operator" already says that more can follow.
    if wanted.contains(&"an operator") {
        wanted.retain(|w| *w != "a name");
    }
    // "the end of the statement" reads best as the last alternative.
    if let Some(i) = wanted.iter().position(|w| *w == "the end of the statement") {
        let end = wanted.remove(i);
        wanted.push(end);
    }
    let rest = &text[pos..];
    let token = token_at(rest);
    let span_len = token.len();
    let found = clip(token);
    let at_end = rest.trim().is_empty();
    let span = if at_end {
        let p = off + text.len();
        Span::new(p, p)
    } else {
        Span::new(off + pos, off + pos + span_len)
    };
    if wanted == ["`refuted`"] {
        return SyntaxError::ExpectWithoutRefuted { at: span };
    }
    if found == "{" {
        return SyntaxError::StrayBrace { at: span };
    }
    let expected = wanted;
    if at_end {
        SyntaxError::UnexpectedEnd {
            at: span,
            after: token_before(text, pos),
            expected,
        }
    } else if found == "expect" {
        SyntaxError::UnexpectedExpect { at: span, expected }
    } else if RESERVED_WORDS.contains(&found.as_str()) {
        SyntaxError::UnexpectedKeyword {
            at: span,
            keyword: found,
            expected,
        }
    } else {
        SyntaxError::Unexpected {
            at: span,
            found,
            expected,
        }
    }
}
