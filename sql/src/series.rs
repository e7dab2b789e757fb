//! `generate_series`: PostgreSQL's most used set-returning function, as a FROM item.
//!
//! `INSERT INTO t SELECT g, 'u' || g FROM generate_series(1, 5) g` is how PostgreSQL
//! users fill a table in a demo or a test, so isolde speaks it with PostgreSQL 15's
//! forms and rules:
//!
//! - `generate_series(start, stop [, step])` over integers (all 64-bit here, so
//!   PostgreSQL's `integer` and `bigint` forms are one), over NUMERIC when any argument
//!   is one (the first value keeps `start`'s scale, the next ones that of `start + step`,
//!   as PostgreSQL adds them: `generate_series(1, 2, 0.5)` is 1, 1.5, 2.0), and over
//!   `timestamp` or `timestamptz` with an `interval` step (a `date` start counts as a
//!   `timestamptz`, the type PostgreSQL prefers for it). A text argument (`'1 day'`)
//!   takes the type the others give it. The step defaults to 1 for numbers; it has no
//!   default for timestamps.
//! - The series runs from `start` by `step` while it has not passed `stop`: none if
//!   `start` is already past it (`generate_series(5, 1)`), counting down with a
//!   negative step. A zero step is 22023; any NULL argument gives no rows (the function
//!   is strict). An integer series stops quietly at the end of the 64-bit range, as
//!   PostgreSQL's does; a timestamp beyond the range of timestamps is 22008.
//! - Its column is named `generate_series`; an alias names the column too (`FROM
//!   generate_series(1, 3) g` has a column `g`), unless the alias lists column names
//!   (`AS g(n)`). `WITH ORDINALITY` adds a second column, `ordinality`, numbering the
//!   rows from 1.
//!
//! The arguments are evaluated when the scan runs, so `$n` parameters and an enclosing
//! query's columns (in a correlated subquery) are read per execution, and a cached plan
//! is reused with new values. They may read the columns of the FROM items before the
//! call (`FROM t CROSS JOIN generate_series(1, t.n)`: PostgreSQL reads a function in
//! FROM as `LATERAL`); the call then runs once for each of their rows, as the right side
//! of an inner or left join to them, which is the only place it may be (42P10
//! elsewhere, as a right or full join is in PostgreSQL; isolde also refuses such a
//! call followed by joins of its own: `FROM t, generate_series(1, t.n) g JOIN u ...`).
//!
//! The executor produces every row of a plan before its parent reads them, but a series
//! is produced one value at a time ([`SeriesCall::rows`]), so a LIMIT over it, through
//! projections and filters, takes only the rows it needs: `SELECT * FROM
//! generate_series(1, 1000000000000) LIMIT 3` returns at once. Where the rows must all be
//! held (sorted, joined, inserted), a series longer than [`MAX_SERIES_ROWS`] is 54000
//! rather than a process that runs out of memory.
//!
//! One call may also be in the items of a select list, alone or inside an expression
//! (`SELECT id, generate_series(1, t.n) * 2 FROM t`): as in PostgreSQL, each row of the
//! query (after WHERE) then gives one row per value of the series, with the value in
//! place of the call, and none if the series is empty; ORDER BY, LIMIT and OFFSET apply
//! to the rows so multiplied. The planner makes the call a lateral function scan after
//! the FROM items. Refused (0A000): two such calls or a nested one (PostgreSQL runs them
//! side by side), one in a query with aggregates, GROUP BY, HAVING, window functions,
//! DISTINCT or FOR UPDATE, and one anywhere else (WHERE, ORDER BY, CASE, COALESCE
//! ...: as in PostgreSQL, whose messages these are).
//!
//! Not supported: other set-returning functions, column definition lists with types
//! (`AS g(n int)`).

use std::cmp::Ordering;

use crate::datetime::{self, Interval};
use crate::error::{Error, Result};
use crate::executor::Env;
use crate::expression::Expr;
use crate::functions::no_function;
use crate::numeric::Decimal;
use crate::types::{DataType, Value};

/// The function's name, which is also its column's.
pub const NAME: &str = "generate_series";

/// The most rows a series may have where its rows are all held in memory at once: at
/// about a hundred bytes a row, a gigabyte.
pub const MAX_SERIES_ROWS: usize = 10_000_000;

/// A `generate_series(start, stop [, step])` call in FROM, as a
/// [`Plan::FunctionScan`](crate::plan::Plan::FunctionScan) runs it.
#[derive(Debug)]
pub struct SeriesCall {
    /// `start`, `stop` and, if given, `step`.
    pub args: Vec<Expr>,
    /// True if the arguments read the row of the FROM items before the call (their
    /// columns), so the call runs once for each such row, as the right side of their
    /// [`Plan::Join`](crate::plan::Plan::Join); false if they read no row.
    pub lateral: bool,
    /// `WITH ORDINALITY`: each row also carries its number, from 1.
    pub ordinality: bool,
}

impl SeriesCall {
    /// Its rows for the row `left` of the FROM items before it (empty unless the call is
    /// [`lateral`](SeriesCall::lateral)), produced one at a time as they are read.
    pub fn rows(&self, left: &[Value], env: &Env<'_>) -> Result<Rows> {
        let args = self
            .args
            .iter()
            .map(|e| e.eval(left, env))
            .collect::<Result<Vec<_>>>()?;
        Ok(Rows {
            series: Series::new(args)?,
            ordinality: self.ordinality.then_some(0),
        })
    }

    /// All its rows for the row `left`, at most [`MAX_SERIES_ROWS`] of them (54000
    /// beyond, found before they are made where the length can be told in advance).
    pub fn collect(&self, left: &[Value], env: &Env<'_>) -> Result<Vec<Vec<Value>>> {
        let rows = self.rows(left, env)?;
        let too_long = || Error::SeriesTooLong {
            limit: MAX_SERIES_ROWS,
        };
        if rows.series.length_at_least() > MAX_SERIES_ROWS as u128 {
            return Err(too_long());
        }
        let mut out = Vec::new();
        for row in rows {
            if out.len() == MAX_SERIES_ROWS {
                return Err(too_long());
            }
            out.push(row?);
        }
        Ok(out)
    }
}

/// The rows of a call, made as they are read: the value, then its number if the call
/// is `WITH ORDINALITY`.
pub struct Rows {
    series: Series,
    /// The number of the last row, with `WITH ORDINALITY`.
    ordinality: Option<i64>,
}

impl Iterator for Rows {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Result<Vec<Value>>> {
        let value = match self.series.next()? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(match &mut self.ordinality {
            Some(n) => {
                *n += 1;
                vec![value, Value::Integer(*n)]
            }
            None => vec![value],
        }))
    }
}

/// The values of one series, from the next to produce on.
enum Series {
    /// No (more) values.
    Done,
    Integer {
        next: i64,
        stop: i64,
        step: i64,
    },
    Numeric {
        next: Decimal,
        stop: Decimal,
        step: Decimal,
    },
    /// Timestamps (`tz`: with time zone), in microseconds.
    Instant {
        next: i64,
        stop: i64,
        step: Interval,
        tz: bool,
    },
}

impl Series {
    /// The series of these argument values, checked as PostgreSQL resolves and checks
    /// them: 42883 for argument types it has no form for, 22023 for a zero step.
    fn new(args: Vec<Value>) -> Result<Series> {
        if args.iter().any(Value::is_null) {
            return Ok(Series::Done);
        }
        let kind = resolve(&args)?;
        let typed = args
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.cast(if i == 2 {
                    kind.step_type()
                } else {
                    kind.value_type()
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let series = match (kind, typed.as_slice()) {
            (Kind::Integer, [Value::Integer(a), Value::Integer(b), rest @ ..]) => {
                let step = match rest {
                    [Value::Integer(s)] => *s,
                    _ => 1,
                };
                Series::Integer {
                    next: *a,
                    stop: *b,
                    step,
                }
            }
            (Kind::Numeric, [Value::Numeric(a), Value::Numeric(b), rest @ ..]) => {
                let step = match rest {
                    [Value::Numeric(s)] => *s,
                    _ => Decimal::from_i64(1),
                };
                Series::Numeric {
                    next: *a,
                    stop: *b,
                    step,
                }
            }
            (
                Kind::Instant { tz },
                [Value::Timestamp(a) | Value::TimestampTz(a), Value::Timestamp(b) | Value::TimestampTz(b), Value::Interval(step)],
            ) => Series::Instant {
                next: *a,
                stop: *b,
                step: *step,
                tz,
            },
            _ => return Err(no_function(NAME, &args)),
        };
        if series.step_sign() == Ordering::Equal {
            return Err(Error::InvalidArgument("step size cannot equal zero".into()));
        }
        Ok(series)
    }

    fn step_sign(&self) -> Ordering {
        match self {
            Series::Done => Ordering::Greater,
            Series::Integer { step, .. } => step.cmp(&0),
            Series::Numeric { step, .. } => step.cmp(&Decimal::from_i64(0)),
            // Compared as PostgreSQL compares intervals: `1 month -30 days` is zero.
            Series::Instant { step, .. } => step.span().cmp(&0),
        }
    }

    /// How many values are left at least, as far as it can be told without making
    /// them: exactly for integers, a little under for NUMERIC (divided in floating
    /// point), and for timestamps with each month of the step counted as 31 days (the
    /// longest it can be); 0 when the step's months and days differ in sign.
    fn length_at_least(&self) -> u128 {
        let sign = self.step_sign();
        let n = match self {
            Series::Done => 0,
            Series::Integer { next, stop, .. } | Series::Instant { next, stop, .. }
                if Series::passed(next, stop, sign) =>
            {
                0
            }
            Series::Numeric { next, stop, .. } if Series::passed(next, stop, sign) => 0,
            Series::Integer { next, stop, step } => {
                (i128::from(*stop) - i128::from(*next)) / i128::from(*step) + 1
            }
            Series::Numeric { next, stop, step } => match stop.checked_sub(next) {
                Some(d) => ((d.to_f64() / step.to_f64()) * (1.0 - 1e-9)) as i128 + 1,
                None => 0,
            },
            Series::Instant {
                next, stop, step, ..
            } => {
                let day = i128::from(datetime::USECS_PER_DAY);
                let longest = step.span() + i128::from(step.months) * day;
                if longest.signum() != step.span().signum() {
                    return 0;
                }
                (i128::from(*stop) - i128::from(*next)) / longest + 1
            }
        };
        u128::try_from(n).unwrap_or(0)
    }

    /// True if `next` has passed `stop` in the direction of the step.
    fn passed<T: Ord>(next: &T, stop: &T, sign: Ordering) -> bool {
        next.cmp(stop) == sign
    }

    /// The next value and the series after it.
    fn advance(self) -> (Option<Result<Value>>, Series) {
        let sign = self.step_sign();
        match self {
            Series::Done => (None, Series::Done),
            Series::Integer { next, stop, step } => {
                if Series::passed(&next, &stop, sign) {
                    return (None, Series::Done);
                }
                let rest = match next.checked_add(step) {
                    Some(next) => Series::Integer { next, stop, step },
                    None => Series::Done,
                };
                (Some(Ok(Value::Integer(next))), rest)
            }
            Series::Numeric { next, stop, step } => {
                if Series::passed(&next, &stop, sign) {
                    return (None, Series::Done);
                }
                // A value past NUMERIC's 38 digits is past `stop` too: the series ends,
                // where PostgreSQL's unbounded numeric goes on to find it past `stop`.
                let rest = match next.checked_add(&step) {
                    Some(next) => Series::Numeric { next, stop, step },
                    None => Series::Done,
                };
                (Some(Ok(Value::Numeric(next))), rest)
            }
            Series::Instant {
                next,
                stop,
                step,
                tz,
            } => {
                if Series::passed(&next, &stop, sign) {
                    return (None, Series::Done);
                }
                let value = if tz {
                    Value::TimestampTz(next)
                } else {
                    Value::Timestamp(next)
                };
                let rest = match datetime::arithmetic::add_interval(next, &step) {
                    Ok(next) => Series::Instant {
                        next,
                        stop,
                        step,
                        tz,
                    },
                    Err(e) => return (Some(Err(e)), Series::Done),
                };
                (Some(Ok(value)), rest)
            }
        }
    }
}

impl Iterator for Series {
    type Item = Result<Value>;

    fn next(&mut self) -> Option<Result<Value>> {
        let (value, rest) = std::mem::replace(self, Series::Done).advance();
        *self = rest;
        value
    }
}

/// Which of PostgreSQL's forms a call takes.
#[derive(Clone, Copy)]
enum Kind {
    Integer,
    Numeric,
    Instant { tz: bool },
}

impl Kind {
    fn value_type(self) -> DataType {
        match self {
            Kind::Integer => DataType::Integer,
            Kind::Numeric => DataType::NUMERIC,
            Kind::Instant { tz: false } => DataType::Timestamp,
            Kind::Instant { tz: true } => DataType::TimestampTz,
        }
    }

    fn step_type(self) -> DataType {
        match self {
            Kind::Instant { .. } => DataType::Interval,
            kind => kind.value_type(),
        }
    }
}

/// The form of `generate_series` that arguments of these (non-NULL) values call: the
/// kinds of `start` and `stop` decide, text taking the other's type; 42883 when there
/// is none, as for `double precision` arguments, which PostgreSQL does not convert to
/// NUMERIC implicitly, or for two timestamps without a step.
fn resolve(args: &[Value]) -> Result<Kind> {
    let none = || no_function(NAME, args);
    let (start, stop) = match args {
        [start, stop] | [start, stop, _] => (start, stop),
        _ => return Err(none()),
    };
    let step = args.get(2);
    let kind = match (start, stop) {
        (Value::Text(_), Value::Text(_)) => return Err(none()),
        (Value::Integer(_), Value::Integer(_) | Value::Text(_))
        | (Value::Text(_), Value::Integer(_)) => match step {
            Some(Value::Numeric(_)) => Kind::Numeric,
            _ => Kind::Integer,
        },
        (
            Value::Integer(_) | Value::Numeric(_) | Value::Text(_),
            Value::Integer(_) | Value::Numeric(_) | Value::Text(_),
        ) => Kind::Numeric,
        (a, b) if is_instant(a) && is_instant(b) => Kind::Instant {
            tz: !matches!(a, Value::Timestamp(_) | Value::Text(_))
                || !matches!(b, Value::Timestamp(_) | Value::Text(_)),
        },
        _ => return Err(none()),
    };
    let step_fits = match (kind, step) {
        (Kind::Instant { .. }, step) => matches!(step, Some(Value::Interval(_) | Value::Text(_))),
        (_, None | Some(Value::Integer(_) | Value::Numeric(_) | Value::Text(_))) => true,
        _ => false,
    };
    if !step_fits {
        return Err(none());
    }
    Ok(kind)
}

/// True for a value that can be a timestamp series' start or stop.
fn is_instant(v: &Value) -> bool {
    matches!(
        v,
        Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_) | Value::Text(_)
    )
}
