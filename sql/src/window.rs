//! Window functions: `row_number()`, `rank()`, `dense_rank()`, `percent_rank()`,
//! `cume_dist()`, `lag`, `lead`, `first_value`, `last_value`, `nth_value`, `ntile` and
//! the aggregates with `OVER (PARTITION BY ... ORDER BY ... [frame])`, computed over the
//! rows of a query before its select list.
//!
//! Each call divides the rows into partitions (rows with equal PARTITION BY values,
//! NULLs equal) and sorts each partition by its ORDER BY. Rows that sort equal are
//! *peers*; without an ORDER BY all the partition's rows are. `rank()` is one more than
//! the number of rows before the row's first peer, `dense_rank()` counts the groups of
//! peers so far, `row_number()` counts rows (in an order among peers that is not
//! defined, as in PostgreSQL). `percent_rank()` is `(rank - 1) / (rows - 1)` (0 for a
//! partition of one row) and `cume_dist()` the share of the partition's rows up to the
//! current row's last peer, both double precision.
//!
//! The aggregates, `first_value`, `last_value` and `nth_value` read the current row's
//! *frame* (see [`frame`]): by default, with an ORDER BY, from the start of the
//! partition through the current row's last peer (so peers share a running
//! aggregate), and without one the whole partition; or as the call's `ROWS`, `RANGE`
//! or `GROUPS` clause says, with its `EXCLUDE`. The other functions ignore the frame,
//! as in PostgreSQL, which still applies its RANGE offsets to each row (and fails
//! where they cannot be). An aggregate's frame slides: rows enter at its tail and, for
//! `count` and for `sum` and `avg` of integers and numerics, leave at its head; the
//! others start again from the new head when it moves, as PostgreSQL's aggregates
//! without an inverse do, so a frame that starts at UNBOUNDED PRECEDING costs one pass
//! whatever the aggregate. An `EXCLUDE` other than NO OTHERS aggregates each frame
//! afresh.
//!
//! `lag(x, n, default)` and `lead(...)` read `x` on the row `n` (default 1) before or
//! after the current one in the partition's order, whatever the frame, or `default`
//! (default NULL) past the partition's edge; a negative `n` reads the other way, as in
//! PostgreSQL. `first_value(x)`, `last_value(x)` and `nth_value(x, n)` read the frame's
//! first, last and `n`th row, NULL where it has none. `ntile(n)` deals the partition's
//! rows into `n` buckets of sizes differing by at most one, the larger first; `n` is
//! read on the partition's first row. `n` and `offset` of NULL give NULL; `ntile` and
//! `nth_value` refuse zero or less (22014, 22016).
//!
//! A query's `WINDOW` clause names windows (`WINDOW w AS (PARTITION BY g)`) that calls
//! use (`OVER w`) or refine (`OVER (w ORDER BY x ROWS 1 PRECEDING)`), by PostgreSQL's
//! rules (see the planner's `window` module).
//!
//! Not supported: `DISTINCT` (nor does PostgreSQL) and `FILTER` in a window aggregate,
//! `string_agg` as a window function, and `IGNORE NULLS`.
//!
//! In a query that groups or aggregates, the window functions work on the groups, after
//! HAVING: their arguments and definitions may use the group keys and aggregates
//! (`rank() OVER (ORDER BY count(*) DESC)`).

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::executor::{compare_rows, group_key, Accumulator, Env};
use crate::expression::{binary, BinaryOp, Expr};
use crate::numeric::Decimal;
use crate::plan::{Aggregate, AggregateFunction, SortKey};
use crate::types::Value;

pub mod frame;

use frame::{Bounds, Exclusion, Frame, FrameState};

/// What a window function computes.
#[derive(Debug)]
pub enum WindowFunction {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
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
    /// `first_value(x)`: on the frame's first row.
    FirstValue(Expr),
    /// `last_value(x)`: on the frame's last row.
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
            WindowFunction::RowNumber
            | WindowFunction::Rank
            | WindowFunction::DenseRank
            | WindowFunction::PercentRank
            | WindowFunction::CumeDist => Vec::new(),
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
    pub frame: Frame,
}

/// Appends the value of each call to each row, keeping the rows' order.
pub fn run(
    mut rows: Vec<Vec<Value>>,
    calls: &[WindowCall],
    env: &Env<'_>,
) -> Result<Vec<Vec<Value>>> {
    // Every call's offsets are checked before any frame is applied, as PostgreSQL
    // checks them when a partition starts.
    let bounds = calls
        .iter()
        .map(|call| call.frame.resolve(env))
        .collect::<Result<Vec<_>>>()?;
    for (call, bounds) in calls.iter().zip(&bounds) {
        let values = call.values(&rows, bounds, env)?;
        for (row, v) in rows.iter_mut().zip(values) {
            row.push(v);
        }
    }
    Ok(rows)
}

impl WindowCall {
    /// Rewrites each expression of the call with `f` (to read a group row instead of
    /// an input row, in a query that groups). The frame's offsets read no row.
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
    fn values(&self, rows: &[Vec<Value>], bounds: &Bounds, env: &Env<'_>) -> Result<Vec<Value>> {
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
            let keys: Vec<&[Value]> = partition.iter().map(|&i| &order_values[i][..]).collect();
            let frames = FrameState::new(bounds, &keys, &self.order);
            let sorted = Sorted {
                rows: &partition,
                input: rows,
                frames,
                env,
            };
            match &self.function {
                WindowFunction::Aggregate(agg) if bounds.exclusion == Exclusion::NoOthers => {
                    sorted.aggregate(agg, &mut out)?
                }
                function => sorted.values(function, &mut out)?,
            }
        }
        Ok(out)
    }
}

/// One partition, sorted: `rows[p]` is the index in `input` of the row at position `p`.
struct Sorted<'a> {
    rows: &'a [usize],
    input: &'a [Vec<Value>],
    frames: FrameState<'a>,
    env: &'a Env<'a>,
}

impl Sorted<'_> {
    /// `e` on the row at position `p`.
    fn at(&self, p: usize, e: &Expr) -> Result<Value> {
        e.eval(&self.input[self.rows[p]], self.env)
    }

    /// Fills `out`, row by row: for an aggregate, over each frame afresh (the frames
    /// with an `EXCLUDE` have holes).
    fn values(&self, function: &WindowFunction, out: &mut [Value]) -> Result<()> {
        let len = self.rows.len();
        let buckets = match function {
            WindowFunction::Ntile(n) if len > 0 => count_argument(self.at(0, n)?, "ntile")?,
            _ => None,
        };
        for (p, &i) in self.rows.iter().enumerate() {
            let (first, end) = self.frames.peers(p);
            if ignores_frame(function) {
                // PostgreSQL moves the frame whatever the function reads, so a RANGE
                // offset that cannot be applied to the row fails all the same.
                self.frames.extent(p)?;
            }
            out[i] = match function {
                WindowFunction::RowNumber => Value::Integer(p as i64 + 1),
                WindowFunction::Rank => Value::Integer(first as i64 + 1),
                WindowFunction::DenseRank => Value::Integer(self.frames.group(p) as i64 + 1),
                WindowFunction::PercentRank if len > 1 => {
                    Value::Float(first as f64 / (len - 1) as f64)
                }
                WindowFunction::PercentRank => Value::Float(0.0),
                WindowFunction::CumeDist => Value::Float(end as f64 / len as f64),
                WindowFunction::Offset {
                    value,
                    offset,
                    default,
                    forward,
                } => {
                    let offset = match offset {
                        Some(e) => self.at(p, e)?,
                        None => Value::Integer(1),
                    };
                    match offset_position(p, len, offset, *forward)? {
                        Some(Some(position)) => self.at(position, value)?,
                        Some(None) => match default {
                            Some(e) => self.at(p, e)?,
                            None => Value::Null,
                        },
                        None => Value::Null,
                    }
                }
                WindowFunction::FirstValue(e) => match self.frames.runs(p)?.first() {
                    Some(&(head, _)) => self.at(head, e)?,
                    None => Value::Null,
                },
                WindowFunction::LastValue(e) => match self.frames.runs(p)?.last() {
                    Some(&(_, tail)) => self.at(tail - 1, e)?,
                    None => Value::Null,
                },
                WindowFunction::NthValue(e, nth) => {
                    match count_argument(self.at(p, nth)?, "nth_value")? {
                        Some(nth) => match nth_in(&self.frames.runs(p)?, nth - 1) {
                            Some(position) => self.at(position, e)?,
                            None => Value::Null,
                        },
                        None => Value::Null,
                    }
                }
                WindowFunction::Ntile(_) => match buckets {
                    Some(b) => Value::Integer(bucket(p, len, b)),
                    None => Value::Null,
                },
                WindowFunction::Aggregate(agg) => {
                    let mut acc = Accumulator::new(agg);
                    self.add_runs(&mut acc, agg, p)?;
                    acc.finish()?
                }
            };
        }
        Ok(())
    }

    /// Fills `out` with an aggregate over each row's frame, sliding the frame along the
    /// partition (the frame has no holes: `EXCLUDE NO OTHERS`).
    fn aggregate(&self, agg: &Aggregate, out: &mut [Value]) -> Result<()> {
        let mut args = Vec::with_capacity(self.rows.len());
        for p in 0..self.rows.len() {
            args.push(self.argument(agg, p)?);
        }
        let mut window = Sliding::new(agg, &args);
        for (p, &i) in self.rows.iter().enumerate() {
            let (head, tail) = self.frames.extent(p)?;
            out[i] = window.slide(head, tail)?;
        }
        Ok(())
    }

    fn argument(&self, agg: &Aggregate, p: usize) -> Result<Value> {
        match &agg.arg {
            Some(e) => self.at(p, e),
            None => Ok(Value::Integer(1)),
        }
    }

    fn add_runs(&self, acc: &mut Accumulator, agg: &Aggregate, p: usize) -> Result<()> {
        for (head, tail) in self.frames.runs(p)? {
            for q in head..tail {
                acc.add(self.argument(agg, q)?, Value::Null)?;
            }
        }
        Ok(())
    }
}

/// Whether `function` reads no frame (it then sees the whole partition).
fn ignores_frame(function: &WindowFunction) -> bool {
    !matches!(
        function,
        WindowFunction::Aggregate(_)
            | WindowFunction::FirstValue(_)
            | WindowFunction::LastValue(_)
            | WindowFunction::NthValue(..)
    )
}

/// The position of the `n`th row (from 0) of a frame made of `runs`.
fn nth_in(runs: &[(usize, usize)], mut n: u64) -> Option<usize> {
    for &(head, tail) in runs {
        let len = (tail - head) as u64;
        if n < len {
            return Some(head + n as usize);
        }
        n -= len;
    }
    None
}

/// An aggregate over a frame `[head, tail)` that moves forwards along a partition's
/// arguments `args`.
struct Sliding<'a> {
    agg: &'a Aggregate,
    args: &'a [Value],
    head: usize,
    tail: usize,
    state: State,
}

enum State {
    /// Any aggregate: rows can only be added.
    Plain(Accumulator),
    /// One that rows can also leave.
    Moving(Moving),
}

impl<'a> Sliding<'a> {
    fn new(agg: &'a Aggregate, args: &'a [Value]) -> Self {
        let mut s = Sliding {
            agg,
            args,
            head: 0,
            tail: 0,
            state: State::Plain(Accumulator::new(agg)),
        };
        s.reset(0);
        s
    }

    /// Empties the frame, at `head`.
    fn reset(&mut self, head: usize) {
        self.state = match Moving::kind(self.agg.function, self.args) {
            Some(kind) => State::Moving(Moving::new(kind)),
            None => State::Plain(Accumulator::new(self.agg)),
        };
        self.head = head;
        self.tail = head;
    }

    /// The aggregate over `[head, tail)`; neither may be before the previous call's.
    fn slide(&mut self, head: usize, tail: usize) -> Result<Value> {
        if head > self.head {
            let dropped = head <= self.tail
                && match &mut self.state {
                    State::Moving(m) => self.args[self.head..head].iter().all(|v| m.remove(v)),
                    State::Plain(_) => false,
                };
            if dropped {
                self.head = head;
            } else {
                self.reset(head);
            }
        }
        while self.tail < tail {
            let v = &self.args[self.tail];
            match &mut self.state {
                State::Moving(m) => m.add(v)?,
                State::Plain(acc) => acc.add(v.clone(), Value::Null)?,
            }
            self.tail += 1;
        }
        match &self.state {
            State::Moving(m) => m.finish(),
            State::Plain(acc) => acc.clone().finish(),
        }
    }
}

/// The aggregates rows can leave, as PostgreSQL's with an inverse transition function.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MovingKind {
    /// `count(x)`, and `count(*)`, whose argument is never NULL.
    Count,
    Sum,
    Avg,
}

/// The running state of a [`MovingKind`]: counts, and the exact sum of integers and
/// numerics. Like PostgreSQL, it cannot drop the last value of the largest scale (the
/// sum's scale would then be unknown without looking at every value again): the frame
/// then starts afresh.
struct Moving {
    kind: MovingKind,
    count: i64,
    sum: Value,
    max_scale: u32,
    at_max_scale: i64,
}

impl Moving {
    /// The kind for `function` over `args`, if rows can leave it.
    fn kind(function: AggregateFunction, args: &[Value]) -> Option<MovingKind> {
        let exact = || {
            args.iter()
                .all(|v| matches!(v, Value::Null | Value::Integer(_) | Value::Numeric(_)))
        };
        match function {
            AggregateFunction::CountStar | AggregateFunction::Count => Some(MovingKind::Count),
            AggregateFunction::Sum if exact() => Some(MovingKind::Sum),
            AggregateFunction::Avg if exact() => Some(MovingKind::Avg),
            _ => None,
        }
    }

    fn new(kind: MovingKind) -> Moving {
        Moving {
            kind,
            count: 0,
            sum: Value::Null,
            max_scale: 0,
            at_max_scale: 0,
        }
    }

    fn add(&mut self, v: &Value) -> Result<()> {
        let Some(d) = self.number(v) else {
            self.count += !v.is_null() as i64;
            return Ok(());
        };
        self.count += 1;
        let scale = d.scale();
        if self.count == 1 || scale > self.max_scale {
            (self.max_scale, self.at_max_scale) = (scale, 1);
        } else if scale == self.max_scale {
            self.at_max_scale += 1;
        }
        let sum = std::mem::replace(&mut self.sum, Value::Null);
        self.sum = match sum {
            Value::Null => Value::Numeric(d),
            sum => binary(BinaryOp::Add, sum, Value::Numeric(d))?,
        };
        Ok(())
    }

    /// Drops a value that was added first among those still in: false if that cannot
    /// be done (the caller then starts afresh).
    fn remove(&mut self, v: &Value) -> bool {
        let Some(d) = self.number(v) else {
            self.count -= !v.is_null() as i64;
            return true;
        };
        if d.scale() == self.max_scale {
            if self.at_max_scale > 1 || self.max_scale == 0 {
                self.at_max_scale -= 1;
            } else if self.count > 1 {
                return false;
            }
        }
        self.count -= 1;
        if self.count == 0 {
            (self.sum, self.max_scale, self.at_max_scale) = (Value::Null, 0, 0);
            return true;
        }
        let sum = std::mem::replace(&mut self.sum, Value::Null);
        match binary(BinaryOp::Sub, sum, Value::Numeric(d)) {
            Ok(sum) => {
                self.sum = sum;
                true
            }
            Err(_) => false,
        }
    }

    /// `v` as a number to sum, for `sum` and `avg`; None for the counts and NULL.
    fn number(&self, v: &Value) -> Option<Decimal> {
        if self.kind == MovingKind::Count {
            return None;
        }
        match v {
            Value::Integer(i) => Some(Decimal::from_i64(*i)),
            Value::Numeric(d) => Some(*d),
            _ => None,
        }
    }

    fn finish(&self) -> Result<Value> {
        Ok(match self.kind {
            MovingKind::Count => Value::Integer(self.count),
            MovingKind::Sum => self.sum.clone(),
            MovingKind::Avg if self.count == 0 => Value::Null,
            MovingKind::Avg => binary(
                BinaryOp::Div,
                self.sum.clone(),
                Value::Numeric(Decimal::from_i64(self.count)),
            )?,
        })
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn aggregate(function: AggregateFunction) -> Aggregate {
        Aggregate {
            function,
            arg: None,
            delimiter: None,
            distinct: false,
            filter: None,
            order: Vec::new(),
        }
    }

    fn afresh(agg: &Aggregate, args: &[Value]) -> String {
        let mut acc = Accumulator::new(agg);
        for v in args {
            acc.add(v.clone(), Value::Null).expect("adds");
        }
        acc.finish().expect("finishes").to_string()
    }

    #[test]
    fn rows_leave_a_sliding_sum_as_if_it_were_summed_afresh() {
        let numbers = [
            "1.5", "2", "3.25", "4", "0.001", "10", "7", "2.50", "-3.125",
        ];
        let args: Vec<Value> = numbers
            .iter()
            .cycle()
            .take(40)
            .enumerate()
            .map(|(i, n)| match i % 7 {
                3 => Value::Null,
                5 => Value::Integer(i as i64),
                _ => Value::Numeric(Decimal::parse(n).expect("a number")),
            })
            .collect();
        for function in [
            AggregateFunction::Sum,
            AggregateFunction::Avg,
            AggregateFunction::Count,
            AggregateFunction::CountStar,
        ] {
            let agg = aggregate(function);
            for width in [0, 1, 2, 5] {
                let mut window = Sliding::new(&agg, &args);
                assert!(matches!(window.state, State::Moving(_)));
                for p in 0..args.len() {
                    let head = p.saturating_sub(width);
                    let got = window.slide(head, p + 1).expect("slides").to_string();
                    assert_eq!(got, afresh(&agg, &args[head..p + 1]), "{function:?} {p}");
                }
            }
        }
    }

    #[test]
    fn a_frame_from_the_partition_start_is_aggregated_in_one_pass() {
        // min has no inverse: each frame aggregated afresh would take 5e9 steps here.
        let args: Vec<Value> = (0..100_000)
            .map(|i| Value::Integer((i * 7919) % 100_003))
            .collect();
        let agg = aggregate(AggregateFunction::Min);
        let started = Instant::now();
        let mut window = Sliding::new(&agg, &args);
        for p in 0..args.len() {
            window.slide(0, p + 1).expect("slides");
        }
        assert_eq!(window.slide(0, args.len()).ok(), Some(Value::Integer(0)));
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_sliding_sum_drops_rows_instead_of_summing_each_frame_again() {
        let args: Vec<Value> = (0..100_000).map(Value::Integer).collect();
        let agg = aggregate(AggregateFunction::Sum);
        let started = Instant::now();
        let mut window = Sliding::new(&agg, &args);
        let mut last = Value::Null;
        for p in 0..args.len() {
            last = window
                .slide(p.saturating_sub(5_000), p + 1)
                .expect("slides");
        }
        // 94,999 + ... + 99,999: 5,001 numbers averaging 97,499.
        assert_eq!(last.to_string(), (5_001i64 * 97_499).to_string());
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
