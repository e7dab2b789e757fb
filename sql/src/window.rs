//! Window functions: `row_number()`, `rank()`, `dense_rank()`, `lag`, `lead`,
//! `first_value`, `last_value`, `nth_value`, `ntile` and the aggregates with
//! `OVER (PARTITION BY ... ORDER BY ...)`, computed over the rows of a query before its
//! select list.
//!
//! Each call divides the rows into partitions (rows with equal PARTITION BY values,
//! NULLs equal) and sorts each partition by its ORDER BY. Rows that sort equal are
//! *peers*. The frame is PostgreSQL's default, the only one supported: with an ORDER BY,
//! from the start of the partition through the current row's last peer (`RANGE BETWEEN
//! UNBOUNDED PRECEDING AND CURRENT ROW`), so peers share a running aggregate; without
//! one, the whole partition, whose rows are then all peers. `rank()` is one more than the
//! number of rows before the row's first peer, `dense_rank()` counts the groups of peers
//! so far, `row_number()` counts rows (in an order among peers that is not defined, as
//! in PostgreSQL).
//!
//!
//! `lag(x, n, default)` and `lead(...)` read `x` on the row `n` (default 1) before or
//! after the current one in the partition's order, whatever the frame, or `default`
//! (default NULL) past the partition's edge; a negative `n` reads the other way, as in
//! PostgreSQL. `first_value(x)`, `last_value(x)` and `nth_value(x, n)` read the frame,
//! so with an ORDER BY `last_value` is the current row's last peer's and `nth_value` is
//! NULL until the frame reaches its `n`th row. `ntile(n)` deals the partition's rows
//! into `n` buckets of sizes differing by at most one, the larger first; `n` is read on
//! the partition's first row. `n` and `offset` of NULL give NULL; `ntile` and
//! `nth_value` refuse zero or less (22014, 22016).
//!
//! Not supported: explicit frames (`ROWS`/`RANGE`/`GROUPS ...`), named windows
//! (`WINDOW w AS`), `DISTINCT` (nor does PostgreSQL) and `FILTER` in a window
//! aggregate, and `percent_rank`, `cume_dist` and `IGNORE NULLS`.
//!
//! In a query that groups or aggregates, the window functions work on the groups, after
//! HAVING: their arguments and definitions may use the group keys and aggregates
//! (`rank() OVER (ORDER BY count(*) DESC)`).

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::executor::{compare_rows, group_key, Accumulator, Env};
use crate::expression::Expr;
use crate::plan::{Aggregate, SortKey};
use crate::types::Value;

/// What a window function computes.
#[derive(Debug)]
pub enum WindowFunction {
    RowNumber,
    Rank,
    DenseRank,
    /// An aggregate over the frame.
    Aggregate(Aggregate),
    /// `lag` (`forward` false) or `lead`: `value` on the row `offset` rows away (1 if
    /// None), or `default` (NULL if None) where there is no such row.
    Offset {
        value: Expr,
        offset: Option<Expr>,
        default: Option<Expr>,
        forward: bool,
    },
    /// `first_value(x)`.
    FirstValue(Expr),
    /// `last_value(x)`: on the frame's last row, the current row's last peer.
    LastValue(Expr),
    /// `nth_value(x, n)`: on the frame's `n`th row, counting from 1.
    NthValue(Expr, Expr),
    /// `ntile(n)`.
    Ntile(Expr),
}

impl WindowFunction {
    /// The function's own expressions (not the window definition's).
    fn exprs_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            WindowFunction::RowNumber | WindowFunction::Rank | WindowFunction::DenseRank => {
                Vec::new()
            }
            WindowFunction::Aggregate(agg) => agg.arg.iter_mut().collect(),
            WindowFunction::Offset {
                value,
                offset,
                default,
                ..
            } => std::iter::once(value)
                .chain(offset.as_mut())
                .chain(default.as_mut())
                .collect(),
            WindowFunction::FirstValue(e)
            | WindowFunction::LastValue(e)
            | WindowFunction::Ntile(e) => vec![e],
            WindowFunction::NthValue(e, n) => vec![e, n],
        }
    }
}

/// One window function call of a query: its result is appended to each row.
#[derive(Debug)]
pub struct WindowCall {
    pub function: WindowFunction,
    pub partition_by: Vec<Expr>,
    /// The ORDER BY expressions; `order[i].column` is `i`, the position of the value.
    pub order_by: Vec<Expr>,
    pub order: Vec<SortKey>,
}

/// Appends the value of each call to each row, keeping the rows' order.
pub fn run(
    mut rows: Vec<Vec<Value>>,
    calls: &[WindowCall],
    env: &Env<'_>,
) -> Result<Vec<Vec<Value>>> {
    for call in calls {
        let values = call.values(&rows, env)?;
        for (row, v) in rows.iter_mut().zip(values) {
            row.push(v);
        }
    }
    Ok(rows)
}

impl WindowCall {
    /// Rewrites each expression of the call with `f` (to read a group row instead of
    /// an input row, in a query that groups).
    pub(crate) fn regroup(&mut self, mut f: impl FnMut(Expr) -> Result<Expr>) -> Result<()> {
        for e in self.partition_by.iter_mut().chain(&mut self.order_by) {
            *e = f(std::mem::replace(e, Expr::Const(Value::Null)))?;
        }
        for e in self.function.exprs_mut() {
            *e = f(std::mem::replace(e, Expr::Const(Value::Null)))?;
        }
        Ok(())
    }

    /// The call's value for each of `rows`, in their order.
    fn values(&self, rows: &[Vec<Value>], env: &Env<'_>) -> Result<Vec<Value>> {
        let mut partitions: Vec<Vec<usize>> = Vec::new();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut order_values = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let key: Vec<Value> = eval_all(&self.partition_by, row, env)?;
            let slot = *index.entry(group_key(&key)).or_insert_with(|| {
                partitions.push(Vec::new());
                partitions.len() - 1
            });
            partitions[slot].push(i);
            order_values.push(eval_all(&self.order_by, row, env)?);
        }
        let mut out = vec![Value::Null; rows.len()];
        for mut partition in partitions {
            partition
                .sort_by(|&a, &b| compare_rows(&self.order, &order_values[a], &order_values[b]));
            self.partition_values(&partition, rows, &order_values, env, &mut out)?;
        }
        Ok(out)
    }

    /// Fills `out` for the rows of one partition, `sorted` in its order.
    fn partition_values(
        &self,
        sorted: &[usize],
        rows: &[Vec<Value>],
        order_values: &[Vec<Value>],
        env: &Env<'_>,
        out: &mut [Value],
    ) -> Result<()> {
        let mut acc = match &self.function {
            WindowFunction::Aggregate(agg) => Some((agg, Accumulator::new(agg))),
            _ => None,
        };
        let buckets = match &self.function {
            WindowFunction::Ntile(n) => match sorted.first() {
                Some(&first) => Some(count_argument(n.eval(&rows[first], env)?, "ntile")?),
                None => None,
            },
            _ => None,
        };
        let mut start = 0;
        let mut groups = 0;
        while start < sorted.len() {
            let first = &order_values[sorted[start]];
            let end = sorted[start..]
                .iter()
                .position(|&i| compare_rows(&self.order, first, &order_values[i]).is_ne())
                .map_or(sorted.len(), |n| start + n);
            groups += 1;
            let peer_value = match &mut acc {
                Some((agg, acc)) => {
                    for &i in &sorted[start..end] {
                        let v = match &agg.arg {
                            Some(e) => e.eval(&rows[i], env)?,
                            None => Value::Integer(1),
                        };
                        acc.add(v, Value::Null)?;
                    }
                    Some(acc.clone().finish()?)
                }
                None => None,
            };
            for (n, &i) in sorted[start..end].iter().enumerate() {
                let at = |position: usize, e: &Expr| e.eval(&rows[sorted[position]], env);
                out[i] = match (&self.function, &peer_value) {
                    (WindowFunction::RowNumber, _) => Value::Integer((start + n + 1) as i64),
                    (WindowFunction::Rank, _) => Value::Integer(start as i64 + 1),
                    (WindowFunction::DenseRank, _) => Value::Integer(groups),
                    (WindowFunction::Aggregate(_), v) => v.clone().unwrap_or(Value::Null),
                    (
                        WindowFunction::Offset {
                            value,
                            offset,
                            default,
                            forward,
                        },
                        _,
                    ) => {
                        let offset = match offset {
                            Some(e) => e.eval(&rows[i], env)?,
                            None => Value::Integer(1),
                        };
                        match offset_position(start + n, sorted.len(), offset, *forward)? {
                            Some(Some(position)) => at(position, value)?,
                            Some(None) => match default {
                                Some(e) => e.eval(&rows[i], env)?,
                                None => Value::Null,
                            },
                            None => Value::Null,
                        }
                    }
                    (WindowFunction::FirstValue(e), _) => at(0, e)?,
                    (WindowFunction::LastValue(e), _) => at(end - 1, e)?,
                    (WindowFunction::NthValue(e, nth), _) => {
                        match count_argument(nth.eval(&rows[i], env)?, "nth_value")? {
                            Some(nth) if nth <= end as u64 => at(nth as usize - 1, e)?,
                            _ => Value::Null,
                        }
                    }
                    (WindowFunction::Ntile(_), _) => match buckets {
                        Some(Some(b)) => Value::Integer(bucket(start + n, sorted.len(), b)),
                        _ => Value::Null,
                    },
                };
            }
            start = end;
        }
        Ok(())
    }
}

/// Where `lag`/`lead` read from the row at `position` of a partition of `len` rows:
/// None for a NULL offset, `Some(None)` past the partition's edge.
fn offset_position(
    position: usize,
    len: usize,
    offset: Value,
    forward: bool,
) -> Result<Option<Option<usize>>> {
    let offset = match offset {
        Value::Null => return Ok(None),
        Value::Integer(n) => n,
        other => {
            return Err(Error::DatatypeMismatch(format!(
                "offset of lag or lead must be an integer, not {}",
                other.data_type()
            )))
        }
    };
    let target = if forward {
        (position as i64).checked_add(offset)
    } else {
        (position as i64).checked_sub(offset)
    };
    Ok(Some(
        target
            .and_then(|t| usize::try_from(t).ok())
            .filter(|&t| t < len),
    ))
}

/// The count `ntile` or `nth_value` was given: None for NULL, 22014 or 22016 for zero
/// or less.
fn count_argument(v: Value, function: &'static str) -> Result<Option<u64>> {
    match v {
        Value::Null => Ok(None),
        Value::Integer(n) if n > 0 => Ok(Some(n as u64)),
        Value::Integer(_) => Err(Error::WindowArgument {
            sqlstate: if function == "ntile" {
                "22014"
            } else {
                "22016"
            },
            function,
        }),
        other => Err(Error::DatatypeMismatch(format!(
            "argument of {function} must be an integer, not {}",
            other.data_type()
        ))),
    }
}

/// The `ntile` bucket (from 1) of the row at `position` of `len` rows dealt into
/// `buckets`: each bucket holds `len / buckets` rows, the first `len % buckets` one more.
fn bucket(position: usize, len: usize, buckets: u64) -> i64 {
    let (position, len) = (position as u64, len as u64);
    let size = len / buckets;
    let larger = len % buckets;
    let in_larger = larger * (size + 1);
    let b = if position < in_larger {
        position / (size + 1)
    } else {
        // size > 0 here: past the larger buckets there are rows only if size is not 0.
        larger + (position - in_larger) / size
    };
    b as i64 + 1
}

fn eval_all(exprs: &[Expr], row: &[Value], env: &Env<'_>) -> Result<Vec<Value>> {
    exprs.iter().map(|e| e.eval(row, env)).collect()
}
