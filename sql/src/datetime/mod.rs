//! Dates, timestamps and intervals, as PostgreSQL has them.
//!
//! | type | value | range |
//! |------|-------|-------|
//! | `date` | days since 2000-01-01 (`i32`) | 4714-11-24 BC to 5874897-12-31 |
//! | `timestamp [without time zone]` | microseconds since 2000-01-01 00:00 (`i64`) | 4714-11-24 BC to 294276-12-31 |
//! | `timestamp with time zone` | microseconds since 2000-01-01 00:00 UTC (`i64`) | the same |
//! | `interval` | months, days and microseconds, kept apart ([`Interval`]) | each field's integer range |
//!
//! The epoch is PostgreSQL's, 2000-01-01, as are the ranges: counted from 1970 the last
//! timestamp would not fit in 64 bits.
//!
//! The session time zone is always UTC: a `timestamptz` prints with `+00`, converting
//! between the two timestamp types keeps the microseconds, and an input offset (`+02`,
//! `Z`) is applied to a `timestamptz` and ignored by a `timestamp`, as PostgreSQL does.
//! Text is read ([`parse`]) in the ISO 8601 forms PostgreSQL accepts most often, and
//! printed ([`mod@format`]) as PostgreSQL prints with `DateStyle = ISO` and `IntervalStyle =
//! postgres`. The calendar is the proleptic Gregorian one ([`calendar`]), with BC years.
//!
//! Arithmetic ([`arithmetic`]) and the functions ([`functions`]) follow PostgreSQL: an
//! interval's months and days are added in calendar terms (`2024-01-31 + 1 month` is
//! `2024-02-29`), and compared as if a month were 30 days and a day 24 hours, so
//! `interval '1 mon' = interval '30 days'`.
//!
//! Not supported: `time` and `timetz`, `infinity` and `-infinity`, time zones other than
//! UTC, the words `now`, `today`, `tomorrow` and `yesterday` as input (PostgreSQL reads
//! them once, when a statement is planned; `now()` and `current_date` are the functions
//! to use), fractional-second precision in a type (`timestamp(3)`), and input in other
//! date styles than ISO (`01/02/2024`, `Jan 2 2024`).

pub mod arithmetic;
pub mod calendar;
pub mod format;
pub mod functions;
pub mod parse;

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::types::{DataType, Value};

/// Microseconds in a second, a minute, an hour and a day.
pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;
pub const USECS_PER_HOUR: i64 = 60 * USECS_PER_MINUTE;
pub const USECS_PER_DAY: i64 = 24 * USECS_PER_HOUR;
/// The days an interval's month counts for in comparisons and conversions.
pub const DAYS_PER_MONTH: i64 = 30;

/// The first date: 4714-11-24 BC, Julian day 0.
pub const MIN_DATE: i64 = -2_451_545;
/// The last date: 5874897-12-31.
pub const MAX_DATE: i64 = 2_145_031_948;
/// The days from the Unix epoch, 1970-01-01, to PostgreSQL's, 2000-01-01.
pub const UNIX_EPOCH_DAYS: i64 = 10_957;
/// The first timestamp, 4714-11-24 00:00:00 BC, in microseconds since the epoch.
pub const MIN_TIMESTAMP: i64 = MIN_DATE * USECS_PER_DAY;
/// The last timestamp, 294276-12-31 23:59:59.999999.
pub const MAX_TIMESTAMP: i64 = END_TIMESTAMP - 1;
/// The first microsecond after the last timestamp: 294277-01-01 00:00:00.
const END_TIMESTAMP: i64 = 106_751_983 * USECS_PER_DAY;

/// A span of time as PostgreSQL keeps it: months, days and microseconds apart, because
/// a month is not always as long and a day not always 24 hours (across a change of
/// daylight saving time; never here, where the time zone is UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    /// An interval of microseconds only.
    pub fn from_micros(micros: i64) -> Interval {
        Interval {
            micros,
            ..Interval::default()
        }
    }

    /// Its length in microseconds, counting a month as 30 days and a day as 24 hours:
    /// what intervals are compared, grouped and indexed by.
    pub fn span(&self) -> i128 {
        let days = i128::from(self.months) * i128::from(DAYS_PER_MONTH) + i128::from(self.days);
        days * i128::from(USECS_PER_DAY) + i128::from(self.micros)
    }
}

/// The times a statement's clock functions read: when its transaction began (`now()`,
/// `current_timestamp`, `current_date`, `localtimestamp`) and when it began itself
/// (`statement_timestamp()`), in microseconds since the epoch. Fixed once for the
/// statement, rather than read when a function is called, they keep `now()` the same for
/// every row and every statement of a transaction, as in PostgreSQL.
///
/// The statement's time is read from the clock when first asked for, not when the
/// statement begins: most statements call no clock function, and reading the clock
/// costs a point select several percent of its time. So that no one can tell, everything
/// that reads the clock or lets time pass in a statement (`clock_timestamp()`,
/// `pg_sleep`) fixes the statement's time first ([`StatementTimes::fix`]): the statement
/// time is never later than anything the statement saw happen. A statement's
/// environments, its subqueries' included, borrow the one value ([`crate::executor::Env`]),
/// so a subquery reads its statement's time; it lives on the stack of the statement's
/// run, so making it allocates nothing.
#[derive(Debug, Default)]
pub struct StatementTimes {
    /// When the transaction began, for a statement in a block; None when the
    /// transaction is the statement's own (it began with the statement).
    transaction: Option<i64>,
    statement: OnceCell<i64>,
}

impl StatementTimes {
    /// The times of a statement beginning now, in a transaction that began at
    /// `transaction` (None: a transaction of its own, which begins with it).
    pub fn new(transaction: Option<i64>) -> StatementTimes {
        StatementTimes {
            transaction,
            statement: OnceCell::new(),
        }
    }

    /// When the statement began.
    pub fn statement(&self) -> i64 {
        *self.statement.get_or_init(clock_now)
    }

    /// When its transaction began.
    pub fn transaction(&self) -> i64 {
        self.transaction.unwrap_or_else(|| self.statement())
    }

    /// Fixes the statement's time if it is not yet: called before the statement reads
    /// the clock or waits.
    pub fn fix(&self) {
        self.statement();
    }
}

/// The wall clock, in microseconds since the epoch (`clock_timestamp()`).
pub fn clock_now() -> i64 {
    let unix = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(MAX_TIMESTAMP),
        Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(-MIN_TIMESTAMP),
    };
    unix.saturating_sub(UNIX_EPOCH_DAYS * USECS_PER_DAY)
}

/// True for the values of this module's types.
pub fn is_datetime(v: &Value) -> bool {
    matches!(
        v,
        Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_)
    )
}

/// A date from days since the epoch; 22008 outside the range of dates.
pub fn date(days: i64) -> Result<Value> {
    match i32::try_from(days) {
        Ok(d) if (MIN_DATE..=MAX_DATE).contains(&days) => Ok(Value::Date(d)),
        _ => Err(Error::DatetimeOverflow("date out of range".into())),
    }
}

/// `micros` if it is within the range of timestamps; 22008 otherwise.
pub fn check_timestamp(micros: Option<i64>) -> Result<i64> {
    micros
        .filter(|m| (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(m))
        .ok_or_else(|| Error::DatetimeOverflow("timestamp out of range".into()))
}

/// The error of interval arithmetic that leaves a field's range.
pub fn interval_overflow() -> Error {
    Error::DatetimeOverflow("interval out of range".into())
}

/// Midnight at the start of a date, in microseconds; 22008 for a date after the last
/// timestamp.
pub fn date_to_micros(days: i32) -> Result<i64> {
    i64::from(days)
        .checked_mul(USECS_PER_DAY)
        .filter(|m| (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(m))
        .ok_or_else(|| Error::DatetimeOverflow("date out of range for timestamp".into()))
}

/// The date a timestamp falls on.
pub fn micros_to_date(micros: i64) -> i32 {
    // Timestamps are in range, so their dates are.
    micros.div_euclid(USECS_PER_DAY) as i32
}

/// Converts between the date and time types (to text and from text are `Value::cast`'s).
/// A timestamp and a timestamp with time zone convert without change in UTC.
pub fn cast(v: &Value, ty: DataType) -> Result<Value> {
    Ok(match (v, ty) {
        (Value::Date(d), DataType::Date) => Value::Date(*d),
        (Value::Date(d), DataType::Timestamp) => Value::Timestamp(date_to_micros(*d)?),
        (Value::Date(d), DataType::TimestampTz) => Value::TimestampTz(date_to_micros(*d)?),
        (Value::Timestamp(t) | Value::TimestampTz(t), DataType::Date) => {
            Value::Date(micros_to_date(*t))
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), DataType::Timestamp) => Value::Timestamp(*t),
        (Value::Timestamp(t) | Value::TimestampTz(t), DataType::TimestampTz) => {
            Value::TimestampTz(*t)
        }
        (Value::Interval(i), DataType::Interval) => Value::Interval(*i),
        (v, ty) => {
            return Err(Error::DatatypeMismatch(format!(
                "cannot cast type {} to {}",
                v.type_name(),
                ty.base_name()
            )))
        }
    })
}

/// Compares two values of this module's types: dates and timestamps of either kind by
/// the instant they stand for (a date as its midnight), intervals by [`Interval::span`].
/// Any other pair is 42883, as PostgreSQL has no operator for it.
pub fn compare(a: &Value, b: &Value) -> Result<Ordering> {
    if let (Value::Interval(x), Value::Interval(y)) = (a, b) {
        return Ok(x.span().cmp(&y.span()));
    }
    if let (Value::Date(x), Value::Date(y)) = (a, b) {
        return Ok(x.cmp(y));
    }
    match (instant(a), instant(b)) {
        (Some(x), Some(y)) => Ok(x.cmp(&y)),
        _ => Err(Error::UndefinedFunction(format!(
            "operator does not exist: {} = {}",
            a.type_name(),
            b.type_name()
        ))),
    }
}

/// A date or timestamp as microseconds since the epoch (wide enough for every date).
fn instant(v: &Value) -> Option<i128> {
    match v {
        Value::Date(d) => Some(i128::from(*d) * i128::from(USECS_PER_DAY)),
        Value::Timestamp(t) | Value::TimestampTz(t) => Some(i128::from(*t)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expression::BinaryOp;
    use proptest::prelude::*;

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i32>().prop_map(Value::Date),
            any::<i64>().prop_map(Value::Timestamp),
            any::<i64>().prop_map(Value::TimestampTz),
            (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| {
                Value::Interval(Interval {
                    months,
                    days,
                    micros,
                })
            }),
            any::<i64>().prop_map(Value::Integer),
            any::<f64>().prop_map(Value::Float),
            ".{0,12}".prop_map(Value::Text),
        ]
    }

    proptest! {
        // Values decoded from keys can be any bit pattern; text can be anything.
        #[test]
        fn no_value_or_text_makes_the_date_and_time_code_panic(
            a in any_value(),
            b in any_value(),
            text in ".{0,24}",
        ) {
            for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div] {
                let _ = arithmetic::apply(op, &a, &b);
            }
            let _ = compare(&a, &b);
            let _ = a.to_string();
            for ty in [DataType::Date, DataType::Timestamp, DataType::TimestampTz, DataType::Interval] {
                let _ = cast(&a, ty);
            }
            for unit in ["epoch", "year", "week", "isoyear", "century", "decade", "millennium", "second", "dow", "doy", "julian"] {
                let _ = functions::extract(unit, &a);
                let _ = functions::date_trunc(unit, &a);
            }
            let _ = functions::age(&a, &b);
            let _ = (parse::date(&text), parse::timestamp(&text), parse::timestamptz(&text));
            let _ = parse::interval(&text);
        }
    }

    #[test]
    fn the_range_limits_are_the_days_postgres_names() {
        assert_eq!(calendar::days_from_civil(-4713, 11, 24), MIN_DATE);
        assert_eq!(calendar::days_from_civil(5_874_897, 12, 31), MAX_DATE);
        assert_eq!(
            calendar::days_from_civil(294_277, 1, 1) * USECS_PER_DAY,
            END_TIMESTAMP
        );
        assert_eq!(MAX_TIMESTAMP, END_TIMESTAMP - 1);
    }

    #[test]
    fn a_month_compares_as_thirty_days() {
        let month = Value::Interval(Interval {
            months: 1,
            ..Interval::default()
        });
        let days = Value::Interval(Interval {
            days: 30,
            ..Interval::default()
        });
        assert_eq!(compare(&month, &days).unwrap(), Ordering::Equal);
        let hours = Value::Interval(Interval::from_micros(721 * USECS_PER_HOUR));
        assert_eq!(compare(&month, &hours).unwrap(), Ordering::Less);
    }

    #[test]
    fn dates_compare_with_timestamps_at_midnight() {
        let d = Value::Date(8_825);
        let midnight = Value::Timestamp(8_825 * USECS_PER_DAY);
        assert_eq!(compare(&d, &midnight).unwrap(), Ordering::Equal);
        assert_eq!(
            compare(&d, &Value::TimestampTz(8_825 * USECS_PER_DAY + 1)).unwrap(),
            Ordering::Less
        );
        let last_date = Value::Date(MAX_DATE as i32);
        assert_eq!(
            compare(&last_date, &Value::Timestamp(MAX_TIMESTAMP)).unwrap(),
            Ordering::Greater
        );
        let e = cast(&last_date, DataType::Timestamp).unwrap_err();
        assert_eq!(e.to_string(), "date out of range for timestamp");
        assert_eq!(
            compare(&d, &Value::Interval(Interval::default()))
                .unwrap_err()
                .sqlstate(),
            "42883"
        );
    }
}
