//! Window functions: `row_number()`, `rank()`, `dense_rank()` and the aggregates with
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
//! Not supported: explicit frames (`ROWS`/`RANGE`/`GROUPS ...`), named windows
//! (`WINDOW w AS`), `DISTINCT` (nor does PostgreSQL) and `FILTER` in a window
//! aggregate, and the other window functions (`lag`, `lead`, `ntile`, ...).
//!
//! In a query that groups or aggregates, the window functions work on the groups, after
//! HAVING: their arguments and definitions may use the group keys and aggregates
//! (`rank() OVER (ORDER BY count(*) DESC)`).

use std::collections::HashMap;

use crate::error::Result;
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
        if let WindowFunction::Aggregate(Aggregate { arg: Some(e), .. }) = &mut self.function {
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
                out[i] = match (&self.function, &peer_value) {
                    (WindowFunction::RowNumber, _) => Value::Integer((start + n + 1) as i64),
                    (WindowFunction::Rank, _) => Value::Integer(start as i64 + 1),
                    (WindowFunction::DenseRank, _) => Value::Integer(groups),
                    (WindowFunction::Aggregate(_), v) => v.clone().unwrap_or(Value::Null),
                };
            }
            start = end;
        }
        Ok(())
    }
}

fn eval_all(exprs: &[Expr], row: &[Value], env: &Env<'_>) -> Result<Vec<Value>> {
    exprs.iter().map(|e| e.eval(row, env)).collect()
}
