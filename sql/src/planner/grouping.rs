//! Grouping: which parts of the expressions above an aggregation are group keys.
//!
//! The select list, HAVING and ORDER BY of a query are compiled against its input rows
//! like any other expression, with each of the query's own aggregate calls standing for
//! a column past the end of the input row ([`Aggregation::add`]). Whether the query
//! aggregates is known only then: it has a GROUP BY or HAVING, or one of its own
//! expressions called an aggregate (one inside a subquery belongs to the subquery).
//!
//! When it aggregates, [`Aggregation::regroup`] rewrites those expressions to run on the
//! output of the Aggregate node (the group keys, then the aggregate values), top-down as
//! PostgreSQL checks them: a subexpression equal to a compiled GROUP BY key becomes that
//! key's column, an aggregate becomes its value's column, and an input column reached
//! outside any key is 42803. Comparing compiled expressions rather than SQL text makes
//! spelling irrelevant (`A`, `t.a` and `(a)` are one column, `UPPER(b)` and `upper(b)`
//! one call) and costs one pass. One simplification: keys are compared after constant
//! folding, so `a + 2` matches `GROUP BY a + (1 + 1)`, which PostgreSQL rejects.
//!
//! Subqueries are not entered: a correlated subquery in an aggregated select list saw
//! the group, not the input row, when it was planned ([`Aggregation::groups`]).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::expression::Expr;
use crate::plan::{Aggregate, SortKey};
use crate::stack_depth;

use super::Scope;

/// The aggregate calls of one query level, collected while its select list, HAVING and
/// ORDER BY are compiled.
pub(super) struct Aggregation {
    /// Width of the input row: aggregate `j` is compiled as `Column(input_width + j)`.
    input_width: usize,
    pub(super) aggregates: Vec<Aggregate>,
    /// Set when the query is known to aggregate (it has GROUP BY or HAVING): for each
    /// input column, its position among the group keys if it is one. A subquery's
    /// reference to the query's row resolves through it.
    pub(super) groups: Option<Arc<[Option<usize>]>>,
    /// The first column of the query's row that a subquery referred to.
    pub(super) outer_reference: Option<String>,
}

impl Aggregation {
    /// Collects the aggregates of a query over `input`, grouped by `keys` when it is
    /// known to aggregate.
    pub(super) fn new(input: &Scope, keys: Option<&[Expr]>) -> Aggregation {
        let groups = keys.map(|keys| {
            (0..input.len())
                .map(|c| {
                    keys.iter()
                        .position(|k| matches!(k, Expr::Column(k) if *k == c))
                })
                .collect()
        });
        Aggregation {
            input_width: input.len(),
            aggregates: Vec::new(),
            groups,
            outer_reference: None,
        }
    }

    /// Records an aggregate call and returns what stands for its value until
    /// [`Aggregation::regroup`]. A call the same as one recorded before is that one, as
    /// in PostgreSQL: computed once, and `ORDER BY count(*)` is the select list's
    /// `count(*)` column.
    pub(super) fn add(&mut self, aggregate: Aggregate) -> Result<Expr> {
        let mut found = None;
        for (i, a) in self.aggregates.iter().enumerate() {
            if a.function == aggregate.function
                && a.distinct == aggregate.distinct
                && optional_same(a.arg.as_ref(), aggregate.arg.as_ref())?
                && optional_same(a.delimiter.as_ref(), aggregate.delimiter.as_ref())?
                && optional_same(a.filter.as_ref(), aggregate.filter.as_ref())?
                && same_order(&a.order, &aggregate.order)?
            {
                found = Some(i);
                break;
            }
        }
        let i = found.unwrap_or_else(|| {
            self.aggregates.push(aggregate);
            self.aggregates.len() - 1
        });
        Ok(Expr::Column(self.input_width + i))
    }

    /// Rewrites `e`, compiled against `input`, to run on the output of an aggregation
    /// by `keys`; 42803 for an input column outside every key.
    ///
    /// This function is on the recursive path of every level of an expression: it keeps
    /// its stack frame small (in debug builds too) by leaving all but binary operations
    /// to [`Aggregation::regroup_other`].
    pub(super) fn regroup(&self, e: Expr, keys: &[Expr], input: &Scope) -> Result<Expr> {
        stack_depth::check()?;
        if let Some(i) = key_position(&e, keys)? {
            return Ok(Expr::Column(i));
        }
        match e {
            Expr::Binary(op, a, b) => Ok(Expr::Binary(
                op,
                Box::new(self.regroup(*a, keys, input)?),
                Box::new(self.regroup(*b, keys, input)?),
            )),
            e => self.regroup_other(e, keys, input),
        }
    }

    /// [`Aggregation::regroup`] of anything but a binary operation that is not a key.
    fn regroup_other(&self, e: Expr, keys: &[Expr], input: &Scope) -> Result<Expr> {
        let sub =
            |x: Box<Expr>| -> Result<Box<Expr>> { Ok(Box::new(self.regroup(*x, keys, input)?)) };
        let all = |xs: Vec<Expr>| -> Result<Vec<Expr>> {
            xs.into_iter()
                .map(|x| self.regroup(x, keys, input))
                .collect()
        };
        Ok(match e {
            Expr::Column(c) if c < self.input_width => {
                return Err(ungrouped_column(&input.qualified(c)))
            }
            Expr::Column(c) => Expr::Column(keys.len() + c - self.input_width),
            e @ (Expr::Const(_)
            | Expr::Param(_)
            | Expr::Deferred(_)
            | Expr::Outer { .. }
            | Expr::Subquery(_)
            | Expr::Exists { .. }) => e,
            Expr::Neg(a) => Expr::Neg(sub(a)?),
            Expr::Not(a) => Expr::Not(sub(a)?),
            Expr::IsNull(a, negated) => Expr::IsNull(sub(a)?, negated),
            Expr::Cast(a, ty) => Expr::Cast(sub(a)?, ty),
            Expr::Binary(op, a, b) => Expr::Binary(op, sub(a)?, sub(b)?),
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: sub(expr)?,
                list: all(list)?,
                negated,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: sub(expr)?,
                pattern: sub(pattern)?,
                negated,
                case_insensitive,
            },
            Expr::Call(f, args) => Expr::Call(f, all(args)?),
            Expr::Sequence(f, args) => Expr::Sequence(f, all(args)?),
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => Expr::Case {
                operand: operand.map(sub).transpose()?,
                whens: whens
                    .into_iter()
                    .map(|(c, r)| {
                        Ok((self.regroup(c, keys, input)?, self.regroup(r, keys, input)?))
                    })
                    .collect::<Result<_>>()?,
                otherwise: otherwise.map(sub).transpose()?,
            },
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => Expr::InSubquery {
                expr: sub(expr)?,
                subquery,
                negated,
            },
            Expr::Quantified {
                expr,
                op,
                all,
                subquery,
            } => Expr::Quantified {
                expr: sub(expr)?,
                op,
                all,
                subquery,
            },
        })
    }
}

/// The position of the first of `keys` that is the [`same`] as `e`, if one is.
pub(super) fn key_position(e: &Expr, keys: &[Expr]) -> Result<Option<usize>> {
    for (i, key) in keys.iter().enumerate() {
        if same(key, e)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// 42803 for an input column used outside the group keys and the aggregates.
pub(super) fn ungrouped_column(column: &str) -> Error {
    Error::Grouping(format!(
        "column \"{column}\" must appear in the GROUP BY clause or be used in an aggregate function"
    ))
}

/// 42803 for a subquery's reference to an input column of an aggregated query.
pub(super) fn ungrouped_outer_column(column: &str) -> Error {
    Error::Grouping(format!(
        "subquery uses ungrouped column \"{column}\" from outer query"
    ))
}

/// True if `a` and `b` compute the same thing in the same way: the same node with the
/// same operands, constants of the same kind and value. Subqueries are never the same:
/// an uncorrelated one repeated in the select list gives the key's value anyway.
///
/// Like [`Aggregation::regroup`], this keeps its stack frame small and leaves all but
/// binary operations to [`same_other`].
pub(super) fn same(a: &Expr, b: &Expr) -> Result<bool> {
    stack_depth::check()?;
    match (a, b) {
        (Expr::Binary(o1, l1, r1), Expr::Binary(o2, l2, r2)) => {
            Ok(o1 == o2 && same(l1, l2)? && same(r1, r2)?)
        }
        _ => same_other(a, b),
    }
}

/// [`same`] of anything but two binary operations.
fn same_other(a: &Expr, b: &Expr) -> Result<bool> {
    Ok(match (a, b) {
        (Expr::Const(x), Expr::Const(y)) => x.type_name() == y.type_name() && x == y,
        (Expr::Param(x), Expr::Param(y))
        | (Expr::Deferred(x), Expr::Deferred(y))
        | (Expr::Column(x), Expr::Column(y)) => x == y,
        (
            Expr::Outer {
                depth: d1,
                index: i1,
            },
            Expr::Outer {
                depth: d2,
                index: i2,
            },
        ) => d1 == d2 && i1 == i2,
        (Expr::Neg(x), Expr::Neg(y)) | (Expr::Not(x), Expr::Not(y)) => same(x, y)?,
        (Expr::IsNull(x, n1), Expr::IsNull(y, n2)) => n1 == n2 && same(x, y)?,
        (Expr::Cast(x, t1), Expr::Cast(y, t2)) => t1 == t2 && same(x, y)?,
        (
            Expr::InList {
                expr: e1,
                list: l1,
                negated: n1,
            },
            Expr::InList {
                expr: e2,
                list: l2,
                negated: n2,
            },
        ) => n1 == n2 && same(e1, e2)? && all_same(l1, l2)?,
        (
            Expr::Like {
                expr: e1,
                pattern: p1,
                negated: n1,
                case_insensitive: c1,
            },
            Expr::Like {
                expr: e2,
                pattern: p2,
                negated: n2,
                case_insensitive: c2,
            },
        ) => n1 == n2 && c1 == c2 && same(e1, e2)? && same(p1, p2)?,
        (Expr::Call(f1, a1), Expr::Call(f2, a2)) => f1 == f2 && all_same(a1, a2)?,
        (Expr::Sequence(f1, a1), Expr::Sequence(f2, a2)) => f1 == f2 && all_same(a1, a2)?,
        (
            Expr::Case {
                operand: o1,
                whens: w1,
                otherwise: e1,
            },
            Expr::Case {
                operand: o2,
                whens: w2,
                otherwise: e2,
            },
        ) => {
            optional_same(o1.as_deref(), o2.as_deref())?
                && w1.len() == w2.len()
                && optional_same(e1.as_deref(), e2.as_deref())?
                && w1
                    .iter()
                    .zip(w2)
                    .try_fold(true, |acc, ((c1, r1), (c2, r2))| {
                        Ok::<_, Error>(acc && same(c1, c2)? && same(r1, r2)?)
                    })?
        }
        _ => false,
    })
}

fn all_same(a: &[Expr], b: &[Expr]) -> Result<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for (x, y) in a.iter().zip(b) {
        if !same(x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether two aggregates' `ORDER BY` keys are the same: same expressions, directions
/// and NULLs placement, in the same order.
fn same_order(a: &[(Expr, SortKey)], b: &[(Expr, SortKey)]) -> Result<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for ((x, kx), (y, ky)) in a.iter().zip(b) {
        if kx.descending != ky.descending || kx.nulls_first != ky.nulls_first || !same(x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn optional_same(a: Option<&Expr>, b: Option<&Expr>) -> Result<bool> {
    match (a, b) {
        (None, None) => Ok(true),
        (Some(x), Some(y)) => same(x, y),
        _ => Ok(false),
    }
}
