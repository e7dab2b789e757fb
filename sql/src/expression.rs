//! Compiled expressions and their evaluation with PostgreSQL's three-valued logic.
//!
//! The planner turns sqlparser's AST into an [`Expr`] whose column references are
//! positions in the input row (and, for correlated subqueries, in the rows of enclosing
//! queries). Evaluation follows PostgreSQL: any operator on NULL gives NULL, except
//! `AND`/`OR` (`false AND NULL` is false, `true OR NULL` is true), `IS [NOT] NULL`,
//! `COALESCE`, and `IN`, which is NULL when nothing matched and a NULL was among the
//! candidates.

use std::cmp::Ordering;
use std::sync::OnceLock;

use crate::datetime::{self, functions::DateTimeFunction};
use crate::error::{Error, Result};
use crate::executor::{self, Env};
use crate::functions;
use crate::numeric::Decimal;
use crate::plan::Plan;
use crate::sequence;
use crate::stack_depth;
use crate::types::{DataType, Value};

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
    Concat,
    /// `IS DISTINCT FROM`: `<>` with NULL as an ordinary value, never unknown.
    IsDistinctFrom,
    /// `IS NOT DISTINCT FROM`: `=` with NULL as an ordinary value.
    IsNotDistinctFrom,
}

impl BinaryOp {
    /// True for `=`, `<>`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | NotEq | Lt | LtEq | Gt | GtEq)
    }

    /// The operator with its operands swapped (`5 < x` is `x > 5`), for comparisons.
    pub fn flipped(self) -> BinaryOp {
        match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            op => op,
        }
    }
}

/// A built-in scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Coalesce,
    NullIf,
    Abs,
    Lower,
    Upper,
    Length,
    Round,
    Ceil,
    Floor,
    Greatest,
    Least,
    Concat,
    Substr,
    Replace,
    /// `btrim`, and `TRIM([BOTH] ...)`.
    Btrim,
    Ltrim,
    Rtrim,
    Left,
    Right,
    Lpad,
    Rpad,
    Repeat,
    Reverse,
    /// `md5(text)`: the digest as 32 hexadecimal digits.
    Md5,
    Strpos,
    SplitPart,
    Initcap,
    /// The pattern of `LIKE pattern ESCAPE e` rewritten with `\` as its escape
    /// character, as PostgreSQL's `like_escape`.
    LikeEscape,
    Power,
    Sqrt,
    Exp,
    Ln,
    /// The base-10 logarithm.
    Log,
    Sign,
    Trunc,
    Random,
    PgSleep,
    TxidCurrent,
    /// A date and time function ([`crate::datetime::functions`]).
    DateTime(DateTimeFunction),
}

/// A sequence function ([`crate::sequence`]). Unlike a [`Function`] it is volatile: it
/// is evaluated every time, never folded to a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceFunction {
    NextVal,
    CurrVal,
    SetVal,
    LastVal,
}

/// A compiled expression.
#[derive(Debug)]
pub enum Expr {
    Const(Value),
    /// The value of parameter `$n + 1` of a cached plan: a constant for one execution.
    Param(usize),
    /// A constant expression over parameters that planning with the values known would
    /// have folded to a constant: evaluated once per execution, before the plan runs,
    /// and read here by its slot (the session's plan cache makes these).
    Deferred(usize),
    /// A column of the current row.
    Column(usize),
    /// A column of an enclosing query's row: depth 0 is the nearest.
    Outer {
        depth: usize,
        index: usize,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    IsNull(Box<Expr>, bool),
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    Call(Function, Vec<Expr>),
    Sequence(SequenceFunction, Vec<Expr>),
    Cast(Box<Expr>, DataType),
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Subquery(Box<Subquery>),
    InSubquery {
        expr: Box<Expr>,
        subquery: Box<Subquery>,
        negated: bool,
    },
    Exists {
        subquery: Box<Subquery>,
        negated: bool,
    },
    /// `expr op ANY (subquery)` (or `SOME`), or with `all`, `expr op ALL (subquery)`:
    /// a comparison with each value of a one-column subquery (see [`quantified`]).
    Quantified {
        expr: Box<Expr>,
        op: BinaryOp,
        all: bool,
        subquery: Box<Subquery>,
    },
}

/// A subquery inside an expression. An uncorrelated one runs once per statement.
#[derive(Debug)]
pub struct Subquery {
    pub plan: Plan,
    pub correlated: bool,
    pub cached: OnceLock<Vec<Vec<Value>>>,
}

impl Subquery {
    fn rows(&self, row: &[Value], env: &Env<'_>) -> Result<Vec<Vec<Value>>> {
        if !self.correlated {
            if let Some(rows) = self.cached.get() {
                return Ok(rows.clone());
            }
        }
        let inner = env.with_outer(row);
        let rows = executor::run(&self.plan, &inner)?;
        if !self.correlated {
            let _ = self.cached.set(rows.clone());
        }
        Ok(rows)
    }
}

impl Expr {
    /// True for a constant, a parameter, or a constant expression over parameters: what
    /// constant folding treats as known, since planning with the parameter values would
    /// have known it.
    pub fn is_constant(&self) -> bool {
        matches!(self, Expr::Const(_) | Expr::Param(_) | Expr::Deferred(_))
    }

    /// True if a parameter or deferred constant occurs in the expression (subqueries
    /// aside: a plan with subqueries is never cached, so theirs are always constants).
    /// An expression too deep to search here (deeper than the running statement's stack
    /// limit allows) counts as mentioning them: a plan that defers it evaluates it later,
    /// which fails with 54001 as its planning would have.
    pub fn mentions_parameters(&self) -> bool {
        if stack_depth::check().is_err() {
            return true;
        }
        match self {
            Expr::Param(_) | Expr::Deferred(_) => true,
            Expr::Const(_) | Expr::Column(_) | Expr::Outer { .. } | Expr::Subquery(_) => false,
            Expr::Exists { .. } => false,
            Expr::Neg(a) | Expr::Not(a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => {
                a.mentions_parameters()
            }
            Expr::InSubquery { expr, .. } | Expr::Quantified { expr, .. } => {
                expr.mentions_parameters()
            }
            Expr::Binary(_, a, b) => a.mentions_parameters() || b.mentions_parameters(),
            Expr::InList { expr, list, .. } => {
                expr.mentions_parameters() || list.iter().any(Expr::mentions_parameters)
            }
            Expr::Like { expr, pattern, .. } => {
                expr.mentions_parameters() || pattern.mentions_parameters()
            }
            Expr::Call(_, args) | Expr::Sequence(_, args) => {
                args.iter().any(Expr::mentions_parameters)
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                operand.as_deref().is_some_and(Expr::mentions_parameters)
                    || whens
                        .iter()
                        .any(|(c, r)| c.mentions_parameters() || r.mentions_parameters())
                    || otherwise.as_deref().is_some_and(Expr::mentions_parameters)
            }
        }
    }

    /// Calls `f` on this expression and every expression inside it (those of its
    /// subqueries' plans aside), parents before children.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Const(_)
            | Expr::Param(_)
            | Expr::Deferred(_)
            | Expr::Column(_)
            | Expr::Outer { .. }
            | Expr::Subquery(_)
            | Expr::Exists { .. } => {}
            Expr::Neg(a)
            | Expr::Not(a)
            | Expr::IsNull(a, _)
            | Expr::Cast(a, _)
            | Expr::InSubquery { expr: a, .. }
            | Expr::Quantified { expr: a, .. } => a.walk(f),
            Expr::Binary(_, a, b)
            | Expr::Like {
                expr: a,
                pattern: b,
                ..
            } => {
                a.walk(f);
                b.walk(f);
            }
            Expr::InList { expr, list, .. } => {
                expr.walk(f);
                list.iter().for_each(|e| e.walk(f));
            }
            Expr::Call(_, args) | Expr::Sequence(_, args) => args.iter().for_each(|e| e.walk(f)),
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                operand.iter().chain(otherwise).for_each(|e| e.walk(f));
                for (when, then) in whens {
                    when.walk(f);
                    then.walk(f);
                }
            }
        }
    }

    /// The value of a constant, parameter or deferred constant in `env`; None for
    /// anything that needs a row.
    pub fn constant<'v>(&'v self, env: &'v Env<'_>) -> Option<&'v Value> {
        match self {
            Expr::Const(v) => Some(v),
            Expr::Param(n) => env.param(*n),
            Expr::Deferred(slot) => env.deferred(*slot),
            _ => None,
        }
    }

    /// Evaluates against `row` (and the enclosing rows in `env`).
    ///
    /// This function and `eval_binary` are on the recursive path of every level of an
    /// expression: they keep their stack frames small (in debug builds too, where a frame
    /// holds every local of every match arm) and leave the rest to `eval_other`.
    pub fn eval(&self, row: &[Value], env: &Env<'_>) -> Result<Value> {
        stack_depth::check()?;
        match self {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Column(i) => Ok(row.get(*i).cloned().unwrap_or(Value::Null)),
            Expr::Binary(op, a, b) => eval_binary(*op, a, b, row, env),
            e => e.eval_other(row, env),
        }
    }

    /// [`Expr::eval`] of anything but a constant, a column or a binary operation.
    fn eval_other(&self, row: &[Value], env: &Env<'_>) -> Result<Value> {
        Ok(match self {
            Expr::Const(v) => v.clone(),
            Expr::Param(n) => env.param(*n).cloned().ok_or_else(|| missing_param(*n))?,
            Expr::Deferred(slot) => env.deferred(*slot).cloned().ok_or_else(|| {
                Error::UndefinedParameter(format!("constant {slot} of a cached plan is unbound"))
            })?,
            Expr::Column(i) => row.get(*i).cloned().unwrap_or(Value::Null),
            Expr::Outer { depth, index } => env.outer_value(*depth, *index),
            Expr::Neg(e) => negate(e.eval(row, env)?)?,
            Expr::Not(e) => match e.eval(row, env)?.truth()? {
                Some(b) => Value::Boolean(!b),
                None => Value::Null,
            },
            Expr::Binary(op, a, b) => eval_binary(*op, a, b, row, env)?,
            Expr::IsNull(e, negated) => Value::Boolean(e.eval(row, env)?.is_null() != *negated),
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                let mut candidates = Vec::with_capacity(list.len());
                for e in list {
                    candidates.push(e.eval(row, env)?);
                }
                in_values(&v, candidates.iter(), *negated)?
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => match (expr.eval(row, env)?, pattern.eval(row, env)?) {
                (Value::Null, _) | (_, Value::Null) => Value::Null,
                (v, p) => {
                    let (v, p) = (v.to_string(), p.to_string());
                    let m = if *case_insensitive {
                        like(&functions::lower(&v), &functions::lower(&p))?
                    } else {
                        like(&v, &p)?
                    };
                    Value::Boolean(m != *negated)
                }
            },
            Expr::Call(f, args) => call(*f, args, row, env)?,
            Expr::Sequence(f, args) => sequence_call(*f, args, row, env)?,
            Expr::Cast(e, ty) => e.eval(row, env)?.cast(*ty)?,
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => case(operand, whens, otherwise, row, env)?,
            Expr::Subquery(s) => {
                let rows = s.rows(row, env)?;
                if rows.len() > 1 {
                    return Err(Error::CardinalityViolation);
                }
                rows.into_iter()
                    .next()
                    .and_then(|r| r.into_iter().next())
                    .unwrap_or(Value::Null)
            }
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                let rows = subquery.rows(row, env)?;
                in_values(&v, rows.iter().filter_map(|r| r.first()), *negated)?
            }
            Expr::Exists { subquery, negated } => {
                Value::Boolean(subquery.rows(row, env)?.is_empty() == *negated)
            }
            Expr::Quantified {
                expr,
                op,
                all,
                subquery,
            } => {
                let v = expr.eval(row, env)?;
                let rows = subquery.rows(row, env)?;
                quantified(*op, *all, &v, rows.iter().filter_map(|r| r.first()))?
            }
        })
    }

    /// The value of a column, constant or parameter without evaluating (copying) it;
    /// None for other expressions and for what evaluation reports as missing.
    fn operand<'v>(&'v self, row: &'v [Value], env: &'v Env<'_>) -> Option<&'v Value> {
        match self {
            Expr::Column(i) => row.get(*i),
            e => e.constant(env),
        }
    }

    /// Evaluates a condition: true only for TRUE (NULL and FALSE both reject the row).
    pub fn matches(&self, row: &[Value], env: &Env<'_>) -> Result<bool> {
        Ok(self.eval(row, env)?.truth()? == Some(true))
    }
}

/// Evaluates `a op b` (see [`Expr::eval`]).
fn eval_binary(op: BinaryOp, a: &Expr, b: &Expr, row: &[Value], env: &Env<'_>) -> Result<Value> {
    match op {
        BinaryOp::And => and(a, b, row, env),
        BinaryOp::Or => or(a, b, row, env),
        // Compare columns, constants and parameters where they are, uncopied.
        op if op.is_comparison() => match (a.operand(row, env), b.operand(row, env)) {
            (Some(x), Some(y)) => compare(op, x, y),
            _ => compare(op, &a.eval(row, env)?, &b.eval(row, env)?),
        },
        op => match (a.operand(row, env), b.operand(row, env)) {
            // Integer arithmetic on columns, constants and parameters (`balance + 1`)
            // goes straight to what `binary` would call.
            (Some(Value::Integer(x)), Some(Value::Integer(y)))
                if matches!(
                    op,
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem
                ) =>
            {
                int_op(op, *x, *y)
            }
            _ => binary(op, a.eval(row, env)?, b.eval(row, env)?),
        },
    }
}

/// Runs a sequence function; NULL for a NULL argument (they are strict).
fn sequence_call(
    f: SequenceFunction,
    args: &[Expr],
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value> {
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let v = a.eval(row, env)?;
        if v.is_null() {
            return Ok(Value::Null);
        }
        values.push(v);
    }
    let name = || match values.first() {
        Some(Value::Text(t)) => Ok(sequence::fold_name(t)),
        _ => Err(Error::UndefinedFunction(
            "sequence functions take the sequence's name as text".into(),
        )),
    };
    let value = match f {
        SequenceFunction::NextVal => sequence::nextval(env, &name()?)?,
        SequenceFunction::CurrVal => sequence::currval(env, &name()?)?,
        SequenceFunction::LastVal => sequence::lastval(env)?,
        SequenceFunction::SetVal => {
            let Some(Value::Integer(to)) = values
                .get(1)
                .map(|v| v.cast(DataType::Integer))
                .transpose()?
            else {
                return Err(Error::DatatypeMismatch(
                    "setval takes a bigint value".into(),
                ));
            };
            let called = match values.get(2) {
                None => true,
                Some(v) => v.truth()?.unwrap_or(true),
            };
            sequence::setval(env, &name()?, to, called)?
        }
    };
    Ok(Value::Integer(value))
}

/// The error for `$n` (0-based `n`) without a value, as planning reports it.
pub fn missing_param(n: usize) -> Error {
    Error::UndefinedParameter(format!("there is no parameter ${}", n + 1))
}

fn and(a: &Expr, b: &Expr, row: &[Value], env: &Env<'_>) -> Result<Value> {
    let l = a.eval(row, env)?.truth()?;
    if l == Some(false) {
        return Ok(Value::Boolean(false));
    }
    Ok(match (l, b.eval(row, env)?.truth()?) {
        (_, Some(false)) => Value::Boolean(false),
        (Some(true), Some(true)) => Value::Boolean(true),
        _ => Value::Null,
    })
}

fn or(a: &Expr, b: &Expr, row: &[Value], env: &Env<'_>) -> Result<Value> {
    let l = a.eval(row, env)?.truth()?;
    if l == Some(true) {
        return Ok(Value::Boolean(true));
    }
    Ok(match (l, b.eval(row, env)?.truth()?) {
        (_, Some(true)) => Value::Boolean(true),
        (Some(false), Some(false)) => Value::Boolean(false),
        _ => Value::Null,
    })
}

fn in_values<'v>(
    v: &Value,
    candidates: impl Iterator<Item = &'v Value>,
    negated: bool,
) -> Result<Value> {
    let mut candidates = candidates.peekable();
    // Nothing can equal a member of the empty set, not even NULL.
    if candidates.peek().is_none() {
        return Ok(Value::Boolean(negated));
    }
    if v.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for c in candidates {
        match v.sql_cmp(c)? {
            Some(Ordering::Equal) => return Ok(Value::Boolean(!negated)),
            None => saw_null = true,
            Some(_) => {}
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Boolean(negated)
    })
}

/// `v op ANY (candidates)` or, with `all`, `v op ALL (candidates)`, with SQL's
/// three-valued logic as PostgreSQL applies it: ANY is true if some comparison is true,
/// else NULL if some is NULL, else false (so false over no candidates, even for a NULL
/// `v`); ALL is false if some comparison is false, else NULL if some is NULL, else true
/// (so true over no candidates). The candidates are compared in order and the first
/// deciding comparison stops the search.
pub fn quantified<'v>(
    op: BinaryOp,
    all: bool,
    v: &Value,
    candidates: impl Iterator<Item = &'v Value>,
) -> Result<Value> {
    let mut saw_null = false;
    for c in candidates {
        match compare(op, v, c)? {
            Value::Boolean(b) if b != all => return Ok(Value::Boolean(b)),
            Value::Null => saw_null = true,
            _ => {}
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Boolean(all)
    })
}

fn case(
    operand: &Option<Box<Expr>>,
    whens: &[(Expr, Expr)],
    otherwise: &Option<Box<Expr>>,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value> {
    let subject = match operand {
        Some(e) => Some(e.eval(row, env)?),
        None => None,
    };
    for (cond, result) in whens {
        let hit = match &subject {
            Some(s) => s.sql_cmp(&cond.eval(row, env)?)? == Some(Ordering::Equal),
            None => cond.matches(row, env)?,
        };
        if hit {
            return result.eval(row, env);
        }
    }
    match otherwise {
        Some(e) => e.eval(row, env),
        None => Ok(Value::Null),
    }
}

fn call(f: Function, args: &[Expr], row: &[Value], env: &Env<'_>) -> Result<Value> {
    if f == Function::Coalesce {
        for a in args {
            let v = a.eval(row, env)?;
            if !v.is_null() {
                return Ok(v);
            }
        }
        return Ok(Value::Null);
    }
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(a.eval(row, env)?);
    }
    if f.is_strict() && vals.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let first = vals.first().cloned().unwrap_or(Value::Null);
    if first.is_null() && f == Function::NullIf {
        return Ok(Value::Null);
    }
    Ok(match f {
        Function::Coalesce => first,
        Function::NullIf => {
            let other = vals.get(1).cloned().unwrap_or(Value::Null);
            if first.sql_cmp(&other)? == Some(Ordering::Equal) {
                Value::Null
            } else {
                first
            }
        }
        Function::Abs => match first {
            Value::Integer(i) => Value::Integer(
                i.checked_abs()
                    .ok_or_else(|| Error::OutOfRange("bigint out of range".into()))?,
            ),
            Value::Float(x) => Value::Float(x.abs()),
            Value::Numeric(d) if d.is_negative() => negate(Value::Numeric(d))?,
            Value::Numeric(d) => Value::Numeric(d),
            v => return Err(no_function("abs", &v)),
        },
        Function::Lower => Value::Text(functions::lower(text_arg("lower", &first)?)),
        Function::Upper => Value::Text(functions::upper(text_arg("upper", &first)?)),
        Function::Length => Value::Integer(text_arg("length", &first)?.chars().count() as i64),
        f => functions::call(f, vals, env)?,
    })
}

fn text_arg<'v>(name: &str, v: &'v Value) -> Result<&'v str> {
    match v {
        Value::Text(s) => Ok(s),
        v => Err(no_function(name, v)),
    }
}

pub(crate) fn no_function(name: &str, v: &Value) -> Error {
    Error::UndefinedFunction(format!("function {name}({}) does not exist", v.type_name()))
}

fn negate(v: Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Integer(i) => Value::Integer(
            i.checked_neg()
                .ok_or_else(|| Error::OutOfRange("bigint out of range".into()))?,
        ),
        Value::Float(f) => Value::Float(-f),
        Value::Numeric(d) => Value::Numeric(d.checked_neg().ok_or_else(numeric_overflow)?),
        Value::Interval(i) => Value::Interval(datetime::arithmetic::negate(&i)?),
        Value::Text(s) => return negate(Value::Text(s).cast(DataType::NUMERIC)?),
        v => {
            return Err(Error::UndefinedFunction(format!(
                "operator does not exist: - {}",
                v.type_name()
            )))
        }
    })
}

pub(crate) fn numeric_overflow() -> Error {
    Error::OutOfRange("value overflows numeric format".into())
}

/// Applies a non-logical binary operator to two values.
pub fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value> {
    use BinaryOp::*;
    if a.is_null() || b.is_null() {
        let both = a.is_null() && b.is_null();
        return Ok(match op {
            IsDistinctFrom => Value::Boolean(!both),
            IsNotDistinctFrom => Value::Boolean(both),
            _ => Value::Null,
        });
    }
    match op {
        Eq | NotEq | Lt | LtEq | Gt | GtEq => compare(op, &a, &b),
        IsDistinctFrom => compare(NotEq, &a, &b),
        IsNotDistinctFrom => compare(Eq, &a, &b),
        Concat => Ok(Value::Text(a.text() + &b.text())),
        And | Or => Err(Error::DatatypeMismatch(
            "AND/OR need boolean operands".into(),
        )),
        Add | Sub | Mul | Div | Rem => arithmetic(op, a, b),
    }
}

/// Applies a comparison operator (see [`BinaryOp::is_comparison`]) to two values.
pub fn compare(op: BinaryOp, a: &Value, b: &Value) -> Result<Value> {
    use BinaryOp::*;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    let Some(o) = a.sql_cmp(b)? else {
        return Ok(Value::Null);
    };
    Ok(Value::Boolean(match op {
        Eq => o == Ordering::Equal,
        NotEq => o != Ordering::Equal,
        Lt => o == Ordering::Less,
        LtEq => o != Ordering::Greater,
        Gt => o == Ordering::Greater,
        GtEq => o != Ordering::Less,
        _ => {
            return Err(Error::DatatypeMismatch(format!(
                "operator {op:?} is not a comparison"
            )))
        }
    }))
}

fn arithmetic(op: BinaryOp, a: Value, b: Value) -> Result<Value> {
    use Value::*;
    match (a, b) {
        // PostgreSQL has `%` for integers and numerics only.
        (a @ Float(_), b) | (a, b @ Float(_))
            if op == BinaryOp::Rem && b.is_number() && a.is_number() =>
        {
            Err(no_operator(op, &a, &b))
        }
        (Integer(x), Integer(y)) => int_op(op, x, y),
        (Float(x), Float(y)) => float_op(op, x, y),
        (Numeric(x), Numeric(y)) => numeric_op(op, x, y),
        (Integer(x), Float(y)) => float_op(op, x as f64, y),
        (Float(x), Integer(y)) => float_op(op, x, y as f64),
        (Integer(x), Numeric(y)) => numeric_op(op, Decimal::from_i64(x), y),
        (Numeric(x), Integer(y)) => numeric_op(op, x, Decimal::from_i64(y)),
        (Numeric(x), Float(y)) => float_op(op, x.to_f64(), y),
        (Float(x), Numeric(y)) => float_op(op, x, y.to_f64()),
        (a, b) if datetime::is_datetime(&a) || datetime::is_datetime(&b) => {
            datetime::arithmetic::apply(op, &a, &b)
        }
        (Text(s), b) if b.is_number() => arithmetic(op, Text(s).cast(b.data_type())?, b),
        (a, Text(s)) if a.is_number() => {
            let ty = a.data_type();
            arithmetic(op, a, Text(s).cast(ty)?)
        }
        (a, b) => Err(no_operator(op, &a, &b)),
    }
}

/// 42883 for an arithmetic operator no overload of which takes these operands.
pub(crate) fn no_operator(op: BinaryOp, a: &Value, b: &Value) -> Error {
    Error::UndefinedFunction(format!(
        "operator does not exist: {} {} {}",
        a.type_name(),
        op_symbol(op),
        b.type_name()
    ))
}

fn op_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Rem => "%",
        _ => "?",
    }
}

fn int_op(op: BinaryOp, x: i64, y: i64) -> Result<Value> {
    if matches!(op, BinaryOp::Div | BinaryOp::Rem) && y == 0 {
        return Err(Error::DivisionByZero);
    }
    let r = match op {
        BinaryOp::Add => x.checked_add(y),
        BinaryOp::Sub => x.checked_sub(y),
        BinaryOp::Mul => x.checked_mul(y),
        BinaryOp::Div => x.checked_div(y),
        // i64::MIN % -1 is 0, though Rust's checked_rem calls it an overflow.
        _ if y == -1 => Some(0),
        _ => x.checked_rem(y),
    };
    r.map(Value::Integer)
        .ok_or_else(|| Error::OutOfRange("bigint out of range".into()))
}

/// Float arithmetic, with PostgreSQL's range checks: a finite result from finite
/// operands that overflows to infinity is an error, and so is a product or quotient
/// that underflows to zero from nonzero operands (a sum may cancel to zero exactly).
fn float_op(op: BinaryOp, x: f64, y: f64) -> Result<Value> {
    let r = match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        // The rest is division: `arithmetic` refuses `%` of a double precision.
        _ if y == 0.0 => return Err(Error::DivisionByZero),
        _ => x / y,
    };
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(Error::OutOfRange("value out of range: overflow".into()));
    }
    let underflow = match op {
        BinaryOp::Mul => x != 0.0 && y != 0.0,
        BinaryOp::Div => x != 0.0 && y.is_finite(),
        _ => false,
    };
    if r == 0.0 && underflow {
        return Err(Error::OutOfRange("value out of range: underflow".into()));
    }
    Ok(Value::Float(r))
}

fn numeric_op(op: BinaryOp, x: Decimal, y: Decimal) -> Result<Value> {
    if matches!(op, BinaryOp::Div | BinaryOp::Rem) && y.is_zero() {
        return Err(Error::DivisionByZero);
    }
    let r = match op {
        BinaryOp::Add => x.checked_add(&y),
        BinaryOp::Sub => x.checked_sub(&y),
        BinaryOp::Mul => x.checked_mul(&y),
        BinaryOp::Div => x.checked_div(&y),
        _ => x.checked_rem(&y),
    };
    r.map(Value::Numeric).ok_or_else(numeric_overflow)
}

/// SQL LIKE: `%` matches any run of characters, `_` one character, `\` escapes. A
/// pattern that ends in `\` is 22025 when matching reaches that `\` with text left
/// to match, as in PostgreSQL (`'abc' LIKE 'abc\'` is false, `'abcd' LIKE 'abc\'`
/// an error).
pub fn like(text: &str, pattern: &str) -> Result<bool> {
    let t: Vec<char> = text.chars().collect();
    let mut p: Vec<(char, bool)> = Vec::new();
    let mut dangling = None;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) => p.push((e, true)),
                None => {
                    // Matches nothing; reaching it with text left is the error.
                    dangling = Some(p.len());
                    p.push(('\\', true));
                }
            },
            c => p.push((c, false)),
        }
    }
    // Iterative matcher with backtracking to the last `%`: linear space, no recursion.
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if dangling == Some(pi) {
            return Err(Error::LikeEndsInEscape);
        }
        match p.get(pi) {
            Some(('%', false)) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(('_', false)) => {
                ti += 1;
                pi += 1;
            }
            Some((c, _)) if *c == t[ti] => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(p[pi..].iter().all(|&(c, escaped)| c == '%' && !escaped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_postgres_examples() {
        let like = |t, p| like(t, p).unwrap();
        assert!(like("abc", "abc"));
        assert!(like("abc", "a%"));
        assert!(like("abc", "_b_"));
        assert!(!like("abc", "c"));
        assert!(like("a%c", "a\\%c"));
        assert!(!like("abc", "a\\%c"));
        assert!(like("", "%"));
        assert!(like("banana", "%an%na"));
        assert!(like("a\\", "a\\\\"));
    }

    #[test]
    fn a_like_pattern_ending_in_the_escape_character_is_an_error_once_reached() {
        assert_eq!(like("ab", "a\\").unwrap_err().sqlstate(), "22025");
        assert_eq!(like("abc", "a%\\").unwrap_err().sqlstate(), "22025");
        assert!(!like("abc", "abc\\").unwrap());
        assert!(!like("abc", "abc%\\").unwrap());
        assert!(!like("", "\\").unwrap());
        assert!(!like("abc", "x%\\").unwrap());
    }

    #[test]
    fn integer_division_truncates_and_zero_is_an_error() {
        assert!(matches!(
            binary(BinaryOp::Div, 7.into(), 2.into()).unwrap(),
            Value::Integer(3)
        ));
        assert_eq!(
            binary(BinaryOp::Div, 1.into(), 0.into())
                .unwrap_err()
                .sqlstate(),
            "22012"
        );
        assert_eq!(
            binary(BinaryOp::Add, i64::MAX.into(), 1.into())
                .unwrap_err()
                .sqlstate(),
            "22003"
        );
    }

    #[test]
    fn comparisons_with_null_are_null() {
        assert!(binary(BinaryOp::Eq, Value::Null, Value::Null)
            .unwrap()
            .is_null());
    }
}
