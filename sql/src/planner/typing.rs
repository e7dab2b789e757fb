//! The static type of a compiled expression, where planning can tell it, and the
//! common type of the branches of `CASE`, `COALESCE`, `GREATEST`, `LEAST` and `NULLIF`.
//!
//! isolde's values carry their own types, so most expressions need no static typing: an
//! operator looks at the values it is given. A conditional expression is different. In
//! PostgreSQL all its branches resolve to one type before it runs, so
//! `COALESCE(int_column, 1.5)` is NUMERIC even on a row where the column is not NULL,
//! and `COALESCE(int_column, 1.5) / 4` never divides integers. The planner therefore
//! casts the branches of a conditional to their common numeric type when it knows the
//! type of every branch: `bigint` widens to `numeric`, and both to `double precision`
//! (PostgreSQL's implicit casts). Where a branch's type is not known here (a subquery, a
//! parameter, a column of a subquery in FROM, an enclosing query's column) or the
//! branches are not all numbers, the branches are left as they are and each row's value
//! keeps its own type: a simplification, not a rule.

use crate::error::Result;
use crate::expression::{BinaryOp, Expr, Function};
use crate::plan::AggregateFunction;
use crate::types::{DataType, Value};

use super::grouping::Aggregation;
use super::Scope;

/// What planning knows of an expression's type.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Static {
    /// The constant NULL, which takes any type.
    Null,
    Known(DataType),
    Unknown,
}

/// The types of the columns an expression can see: its scope, then (in a query that
/// aggregates) the aggregate values compiled as columns past the scope's end.
#[derive(Clone, Copy)]
pub(super) struct Columns<'s> {
    pub scope: &'s Scope,
    pub aggregation: Option<&'s Aggregation>,
}

impl Columns<'_> {
    fn column(&self, i: usize) -> Static {
        if let Some(ty) = self.scope.column_type(i) {
            return Static::Known(ty);
        }
        let Some(aggregate) = self
            .aggregation
            .and_then(|a| a.aggregates.get(i.checked_sub(self.scope.len())?))
        else {
            return Static::Unknown;
        };
        let arg = match &aggregate.arg {
            Some(arg) => self.of(arg),
            None => Static::Unknown,
        };
        match (aggregate.function, arg) {
            (AggregateFunction::CountStar | AggregateFunction::Count, _) => {
                Static::Known(DataType::Integer)
            }
            (AggregateFunction::StringAgg, _) => Static::Known(DataType::Text { max_len: None }),
            (AggregateFunction::BoolAnd | AggregateFunction::BoolOr, _) => {
                Static::Known(DataType::Boolean)
            }
            (AggregateFunction::Min | AggregateFunction::Max, arg) => arg,
            (
                AggregateFunction::Sum | AggregateFunction::Avg | AggregateFunction::Statistic(_),
                Static::Known(ty),
            ) => match ty.widening_rank() {
                Some(FLOAT) => Static::Known(DataType::Float),
                Some(_) => Static::Known(DataType::NUMERIC),
                None => Static::Unknown,
            },
            (
                AggregateFunction::Sum | AggregateFunction::Avg | AggregateFunction::Statistic(_),
                _,
            ) => Static::Unknown,
        }
    }

    /// The static type of `e`.
    fn of(&self, e: &Expr) -> Static {
        let known = Static::Known;
        match e {
            Expr::Const(Value::Null) => Static::Null,
            Expr::Const(v) => known(v.data_type()),
            Expr::Column(i) => self.column(*i),
            Expr::Cast(_, ty) => known(*ty),
            Expr::Neg(x) => self.of(x),
            Expr::Not(_)
            | Expr::IsNull(..)
            | Expr::InList { .. }
            | Expr::Like { .. }
            | Expr::InSubquery { .. }
            | Expr::Quantified { .. }
            | Expr::Exists { .. } => known(DataType::Boolean),
            Expr::Binary(op, a, b) => self.binary(*op, a, b),
            Expr::Call(f, args) => self.call(*f, args),
            Expr::Case {
                whens, otherwise, ..
            } => self.common(
                whens
                    .iter()
                    .map(|(_, result)| result)
                    .chain(otherwise.as_deref()),
            ),
            Expr::Sequence(..) => known(DataType::Integer),
            Expr::Param(_) | Expr::Deferred(_) | Expr::Outer { .. } | Expr::Subquery(_) => {
                Static::Unknown
            }
        }
    }

    fn binary(&self, op: BinaryOp, a: &Expr, b: &Expr) -> Static {
        use BinaryOp::*;
        match op {
            Add | Sub | Mul | Div | Rem => {
                let (a, b) = (self.of(a), self.of(b));
                match (a, b) {
                    (Static::Null, Static::Null) => Static::Unknown,
                    (Static::Null, t) | (t, Static::Null) => t,
                    _ => self.widest([a, b]),
                }
            }
            Concat => Static::Known(DataType::Text { max_len: None }),
            Eq | NotEq | Lt | LtEq | Gt | GtEq | And | Or | IsDistinctFrom | IsNotDistinctFrom => {
                Static::Known(DataType::Boolean)
            }
        }
    }

    fn call(&self, f: Function, args: &[Expr]) -> Static {
        let text = Static::Known(DataType::Text { max_len: None });
        let first = || args.first().map_or(Static::Unknown, |a| self.of(a));
        match f {
            Function::Lower
            | Function::Upper
            | Function::Concat
            | Function::Substr
            | Function::Replace
            | Function::Btrim
            | Function::Ltrim
            | Function::Rtrim
            | Function::Left
            | Function::Right
            | Function::Lpad
            | Function::Rpad
            | Function::Repeat
            | Function::Reverse
            | Function::Md5
            | Function::SplitPart
            | Function::Initcap
            | Function::LikeEscape => text,
            Function::Length | Function::TxidCurrent | Function::Strpos => {
                Static::Known(DataType::Integer)
            }
            // Double precision, or refused for a NUMERIC argument (`math_functions`).
            Function::Power | Function::Sqrt | Function::Exp | Function::Ln | Function::Log => {
                Static::Known(DataType::Float)
            }
            Function::Random => Static::Known(DataType::Float),
            Function::Abs | Function::NullIf => first(),
            // round(x, n) is numeric; of an integer, round, ceil and floor are double
            // precision (see `functions`).
            Function::Round | Function::Trunc if args.len() == 2 => {
                Static::Known(DataType::NUMERIC)
            }
            Function::Round
            | Function::Ceil
            | Function::Floor
            | Function::Sign
            | Function::Trunc => match first() {
                Static::Known(DataType::Integer) => Static::Known(DataType::Float),
                Static::Known(DataType::Numeric { .. }) => Static::Known(DataType::NUMERIC),
                t => t,
            },
            Function::Coalesce | Function::Greatest | Function::Least => self.common(args.iter()),
            Function::PgSleep | Function::DateTime(_) => Static::Unknown,
        }
    }

    /// The common type of branches: their one type, or the widest number type.
    fn common<'x>(&self, branches: impl Iterator<Item = &'x Expr>) -> Static {
        self.widest(branches.map(|b| self.of(b)))
    }

    fn widest(&self, types: impl IntoIterator<Item = Static>) -> Static {
        let mut found = Static::Null;
        for t in types {
            found = match (found, t) {
                (Static::Unknown, _) | (_, Static::Unknown) => return Static::Unknown,
                (f, Static::Null) => f,
                (Static::Null, t) => t,
                (Static::Known(a), Static::Known(b)) => {
                    match (a.widening_rank(), b.widening_rank()) {
                        _ if a == b => Static::Known(a),
                        (Some(x), Some(y)) => Static::Known(of_rank(x.max(y))),
                        _ if same_kind(a, b) => Static::Known(widen_kind(a)),
                        _ => return Static::Unknown,
                    }
                }
            };
        }
        found
    }
}

/// The ranks [`DataType::widening_rank`] gives the number types.
const INTEGER: u8 = 0;
const NUMERIC: u8 = 1;
const FLOAT: u8 = 2;

fn of_rank(rank: u8) -> DataType {
    match rank {
        INTEGER => DataType::Integer,
        NUMERIC => DataType::NUMERIC,
        _ => DataType::Float,
    }
}

fn same_kind(a: DataType, b: DataType) -> bool {
    matches!(
        (a, b),
        (DataType::Text { .. }, DataType::Text { .. })
            | (DataType::Numeric { .. }, DataType::Numeric { .. })
    )
}

/// A type without its modifier: `varchar(3)` as `text`, `numeric(10, 2)` as `numeric`.
fn widen_kind(ty: DataType) -> DataType {
    match ty {
        DataType::Text { .. } => DataType::Text { max_len: None },
        DataType::Numeric { .. } => DataType::NUMERIC,
        ty => ty,
    }
}

/// Casts each of `branches` to the number type all of them widen to, when planning
/// knows every branch's type and they are numbers of more than one type; else leaves
/// them as they are.
pub(super) fn unify_numbers(columns: Columns<'_>, branches: &mut [&mut Expr]) -> Result<()> {
    let target = columns.widest(branches.iter().map(|b| columns.of(b)));
    for branch in branches.iter_mut() {
        widen(columns, branch, target)?;
    }
    Ok(())
}

/// `NULLIF(a, b)` returns `a`, at the type `a = b` compares in: cast to `b`'s type
/// where that is wider (`NULLIF(1, 1.5)` is NUMERIC).
pub(super) fn unify_nullif(columns: Columns<'_>, args: &mut [Expr]) -> Result<()> {
    if let [a, b] = args {
        let target = columns.widest([columns.of(a), columns.of(b)]);
        widen(columns, a, target)?;
    }
    Ok(())
}

/// Casts `e` to `target` if both are known numbers of different types. A constant is
/// converted at once.
fn widen(columns: Columns<'_>, e: &mut Expr, target: Static) -> Result<()> {
    let (Static::Known(target), Static::Known(ty)) = (target, columns.of(e)) else {
        return Ok(());
    };
    match (ty.widening_rank(), target.widening_rank()) {
        (Some(from), Some(to)) if from != to => {}
        _ => return Ok(()),
    }
    *e = match std::mem::replace(e, Expr::Const(Value::Null)) {
        Expr::Const(v) => Expr::Const(v.cast(target)?),
        inner => Expr::Cast(Box::new(inner), target),
    };
    Ok(())
}

/// The static type of `e` over `columns`, where planning can tell it.
pub(super) fn type_in(columns: Columns<'_>, e: &Expr) -> Option<DataType> {
    match columns.of(e) {
        Static::Known(ty) => Some(ty),
        Static::Null | Static::Unknown => None,
    }
}

/// The static type of `e` over the columns of `scope`, where planning can tell it.
pub(super) fn type_of(scope: &Scope, e: &Expr) -> Option<DataType> {
    match (Columns {
        scope,
        aggregation: None,
    })
    .of(e)
    {
        Static::Known(ty) => Some(ty),
        Static::Null | Static::Unknown => None,
    }
}
