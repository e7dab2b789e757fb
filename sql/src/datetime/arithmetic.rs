//! Arithmetic on dates, timestamps and intervals, by PostgreSQL's rules:
//!
//! | operation | result |
//! |-----------|--------|
//! | date ± integer | date (days) |
//! | date − date | integer (days) |
//! | date ± interval, timestamp ± interval | timestamp |
//! | timestamptz ± interval | timestamptz |
//! | timestamp − timestamp (either kind, or a date) | interval of days and time |
//! | interval ± interval, − interval | interval |
//! | interval × number, number × interval, interval ÷ number | interval |
//!
//! Adding an interval adds its months first, keeping the day of the month unless the
//! month is shorter (`2024-01-31 + 1 mon` is `2024-02-29`), then its days, then its
//! time. Results outside a type's range are 22008 errors.

use super::calendar::{civil_from_days, days_from_civil, days_in_month};
use super::{
    check_timestamp, date, date_to_micros, interval_overflow, Interval, DAYS_PER_MONTH,
    USECS_PER_DAY, USECS_PER_SEC,
};
use crate::error::{Error, Result};
use crate::expression::{no_operator, BinaryOp};
use crate::types::{DataType, Value};

/// `a op b` where either is a date, timestamp or interval; 42883 for a pair without
/// such an operator in PostgreSQL.
pub fn apply(op: BinaryOp, a: &Value, b: &Value) -> Result<Value> {
    use Value::*;
    let (a, b) = (&text_as(op, a, b)?, &text_as(op, b, a)?);
    match (op, a, b) {
        (BinaryOp::Add, Date(d), Integer(n)) | (BinaryOp::Add, Integer(n), Date(d)) => {
            date(i64::from(*d).saturating_add(*n))
        }
        (BinaryOp::Sub, Date(d), Integer(n)) => date(i64::from(*d).saturating_sub(*n)),
        (BinaryOp::Sub, Date(x), Date(y)) => Ok(Integer(i64::from(*x) - i64::from(*y))),
        (BinaryOp::Add, Date(d), Interval(i)) | (BinaryOp::Add, Interval(i), Date(d)) => {
            Ok(Timestamp(add_interval(date_to_micros(*d)?, i)?))
        }
        (BinaryOp::Sub, Date(d), Interval(i)) => {
            Ok(Timestamp(add_interval(date_to_micros(*d)?, &negate(i)?)?))
        }
        (BinaryOp::Add, Timestamp(t), Interval(i)) | (BinaryOp::Add, Interval(i), Timestamp(t)) => {
            Ok(Timestamp(add_interval(*t, i)?))
        }
        (BinaryOp::Add, TimestampTz(t), Interval(i))
        | (BinaryOp::Add, Interval(i), TimestampTz(t)) => Ok(TimestampTz(add_interval(*t, i)?)),
        (BinaryOp::Sub, Timestamp(t), Interval(i)) => Ok(Timestamp(add_interval(*t, &negate(i)?)?)),
        (BinaryOp::Sub, TimestampTz(t), Interval(i)) => {
            Ok(TimestampTz(add_interval(*t, &negate(i)?)?))
        }
        (BinaryOp::Sub, Date(_) | Timestamp(_) | TimestampTz(_), Timestamp(_) | TimestampTz(_))
        | (BinaryOp::Sub, Timestamp(_) | TimestampTz(_), Date(_)) => {
            Ok(Interval(difference(instant(a)?, instant(b)?)?))
        }
        (BinaryOp::Add, Interval(x), Interval(y)) => Ok(Interval(add(x, y)?)),
        (BinaryOp::Sub, Interval(x), Interval(y)) => Ok(Interval(add(x, &negate(y)?)?)),
        (BinaryOp::Mul, Interval(i), n) | (BinaryOp::Mul, n, Interval(i)) if n.is_number() => {
            Ok(Interval(scale(i, factor(n), |x, f| x * f)?))
        }
        (BinaryOp::Div, Interval(i), n) if n.is_number() => {
            let f = factor(n);
            if f == 0.0 {
                return Err(Error::DivisionByZero);
            }
            Ok(Interval(scale(i, f, |x, f| x / f)?))
        }
        _ => Err(no_operator(op, a, b)),
    }
}

/// `v`, or if it is text (a literal of unknown type) the value it stands for beside
/// `other` in `op`, as PostgreSQL resolves an unknown literal: a timestamp plus text adds
/// an interval, a date or timestamp minus text subtracts one of its own type, an
/// interval is added to an interval and multiplied by a number.
fn text_as(op: BinaryOp, v: &Value, other: &Value) -> Result<Value> {
    let Value::Text(_) = v else {
        return Ok(v.clone());
    };
    let ty = match (op, other) {
        (BinaryOp::Add, Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_)) => {
            DataType::Interval
        }
        (BinaryOp::Sub, Value::Interval(_)) => DataType::Interval,
        (BinaryOp::Sub, Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_)) => {
            other.data_type()
        }
        (BinaryOp::Mul | BinaryOp::Div, Value::Interval(_)) => DataType::Float,
        _ => return Ok(v.clone()),
    };
    v.cast(ty)
}

/// A date or timestamp as microseconds since the epoch (a date at its midnight).
fn instant(v: &Value) -> Result<i64> {
    match v {
        Value::Date(d) => date_to_micros(*d),
        Value::Timestamp(t) | Value::TimestampTz(t) => Ok(*t),
        v => Err(Error::DatatypeMismatch(format!(
            "{} is not a point in time",
            v.type_name()
        ))),
    }
}

fn factor(n: &Value) -> f64 {
    match n {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Numeric(d) => d.to_f64(),
        _ => f64::NAN,
    }
}

/// `-i`, field by field.
pub fn negate(i: &Interval) -> Result<Interval> {
    Ok(Interval {
        months: i.months.checked_neg().ok_or_else(interval_overflow)?,
        days: i.days.checked_neg().ok_or_else(interval_overflow)?,
        micros: i.micros.checked_neg().ok_or_else(interval_overflow)?,
    })
}

/// `x + y`, field by field.
fn add(x: &Interval, y: &Interval) -> Result<Interval> {
    Ok(Interval {
        months: x
            .months
            .checked_add(y.months)
            .ok_or_else(interval_overflow)?,
        days: x.days.checked_add(y.days).ok_or_else(interval_overflow)?,
        micros: x
            .micros
            .checked_add(y.micros)
            .ok_or_else(interval_overflow)?,
    })
}

/// A timestamp plus an interval: months (the day of the month kept, or the month's last
/// day), then days, then time.
pub fn add_interval(micros: i64, i: &Interval) -> Result<i64> {
    let mut t = micros;
    if i.months != 0 {
        let days = t.div_euclid(USECS_PER_DAY);
        let time = t.rem_euclid(USECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let total = year * 12 + i64::from(month) - 1 + i64::from(i.months);
        let (year, month) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        let day = day.min(days_in_month(year, month));
        let moved = days_from_civil(year, month, day).checked_mul(USECS_PER_DAY);
        t = check_timestamp(moved.and_then(|m| m.checked_add(time)))?;
    }
    let t = i64::from(i.days)
        .checked_mul(USECS_PER_DAY)
        .and_then(|days| t.checked_add(days));
    check_timestamp(t.and_then(|t| t.checked_add(i.micros)))
}

/// `x - y` of two instants, as an interval of days and time (PostgreSQL's
/// `timestamp_mi`, whose result is justified to whole days).
fn difference(x: i64, y: i64) -> Result<Interval> {
    let micros = x.checked_sub(y).ok_or_else(interval_overflow)?;
    Ok(Interval {
        months: 0,
        days: (micros / USECS_PER_DAY) as i32,
        micros: micros % USECS_PER_DAY,
    })
}

/// An interval multiplied or divided by `f`, as PostgreSQL's `interval_mul` and
/// `interval_div` do it: each field scaled and truncated, the fraction of months carried
/// to days (30 a month) and of days to time, rounded to microseconds.
fn scale(i: &Interval, f: f64, op: fn(f64, f64) -> f64) -> Result<Interval> {
    let round_micro = |x: f64| (x * 1e6).round_ties_even() / 1e6;
    let months_exact = op(f64::from(i.months), f);
    let days_exact = op(f64::from(i.days), f);
    let months = to_i32(months_exact)?;
    let mut days = to_i32(days_exact)?;
    let month_remainder_days =
        round_micro((months_exact - f64::from(months)) * DAYS_PER_MONTH as f64);
    let mut sec_remainder = round_micro(
        (days_exact - f64::from(days) + month_remainder_days - month_remainder_days.trunc())
            * 86_400.0,
    );
    if sec_remainder.abs() >= 86_400.0 {
        let whole_days = (sec_remainder / 86_400.0).trunc();
        days = days
            .checked_add(whole_days as i32)
            .ok_or_else(interval_overflow)?;
        sec_remainder -= whole_days * 86_400.0;
    }
    days = days
        .checked_add(month_remainder_days.trunc() as i32)
        .ok_or_else(interval_overflow)?;
    let micros = (op(i.micros as f64, f) + sec_remainder * USECS_PER_SEC as f64).round_ties_even();
    if !(micros.is_finite() && micros >= i64::MIN as f64 && micros < i64::MAX as f64) {
        return Err(interval_overflow());
    }
    Ok(Interval {
        months,
        days,
        micros: micros as i64,
    })
}

fn to_i32(x: f64) -> Result<i32> {
    if x.is_nan() || x < f64::from(i32::MIN) || x >= f64::from(i32::MAX) + 1.0 {
        return Err(interval_overflow());
    }
    Ok(x as i32)
}

#[cfg(test)]
mod tests {
    use super::super::{format, parse};
    use super::*;

    fn ts(text: &str) -> Value {
        Value::Timestamp(parse::timestamp(text).unwrap())
    }

    fn iv(text: &str) -> Value {
        Value::Interval(parse::interval(text).unwrap())
    }

    fn d(text: &str) -> Value {
        Value::Date(parse::date(text).unwrap())
    }

    fn shown(v: Result<Value>) -> String {
        v.unwrap().to_string()
    }

    #[test]
    fn adding_a_month_keeps_the_day_or_takes_the_last_of_the_month() {
        let add = |t: &str, i: &str| shown(apply(BinaryOp::Add, &ts(t), &iv(i)));
        assert_eq!(add("2024-01-31", "1 mon"), "2024-02-29 00:00:00");
        assert_eq!(add("2023-01-31 10:00", "1 mon"), "2023-02-28 10:00:00");
        assert_eq!(add("2024-11-30", "3 mons"), "2025-02-28 00:00:00");
        assert_eq!(add("2024-03-31", "-1 mon"), "2024-02-29 00:00:00");
        assert_eq!(
            add("2024-01-01", "1 year 1 day 01:00"),
            "2025-01-02 01:00:00"
        );
        assert_eq!(add("2024-03-01", "-1 day"), "2024-02-29 00:00:00");
        let e = apply(BinaryOp::Add, &ts("294276-12-31"), &iv("1 day")).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.to_string().as_str()),
            ("22008", "timestamp out of range")
        );
    }

    #[test]
    fn dates_move_by_days_and_subtract_to_days() {
        assert_eq!(
            shown(apply(BinaryOp::Add, &d("2024-02-28"), &Value::Integer(1))),
            "2024-02-29"
        );
        assert_eq!(
            shown(apply(BinaryOp::Sub, &d("2024-03-01"), &d("2024-02-01"))),
            "29"
        );
        assert_eq!(
            shown(apply(BinaryOp::Add, &d("2024-01-31"), &iv("1 month"))),
            "2024-02-29 00:00:00"
        );
        for n in [1, i64::MAX] {
            let e = apply(BinaryOp::Add, &d("5874897-12-31"), &Value::Integer(n)).unwrap_err();
            assert_eq!(e.to_string(), "date out of range");
        }
        let e = apply(BinaryOp::Sub, &d("2024-01-01"), &Value::Integer(i64::MIN)).unwrap_err();
        assert_eq!(e.to_string(), "date out of range");
        for huge in ["2147483647 days", "100000000 years"] {
            let e = apply(BinaryOp::Add, &ts("2024-01-01"), &iv(huge)).unwrap_err();
            assert_eq!(e.to_string(), "timestamp out of range");
        }
        let e = apply(BinaryOp::Add, &d("5874897-12-31"), &iv("1 day")).unwrap_err();
        assert_eq!(e.to_string(), "date out of range for timestamp");
        let e = apply(BinaryOp::Add, &d("2024-01-01"), &d("2024-01-01")).unwrap_err();
        assert_eq!(e.to_string(), "operator does not exist: date + date");
    }

    #[test]
    fn timestamps_subtract_to_days_and_time() {
        let diff = apply(BinaryOp::Sub, &ts("2024-01-01"), &ts("2023-01-01 12:00"));
        assert_eq!(shown(diff), "364 days 12:00:00");
        let diff = apply(BinaryOp::Sub, &ts("2023-01-01 12:00"), &ts("2024-01-01"));
        assert_eq!(shown(diff), "-364 days -12:00:00");
    }

    #[test]
    fn intervals_scale_with_fractions_carried_down() {
        let mul = |i: &str, f: f64| shown(apply(BinaryOp::Mul, &iv(i), &Value::Float(f)));
        assert_eq!(mul("1 day", 1.5), "1 day 12:00:00");
        assert_eq!(mul("1 mon", 0.5), "15 days");
        assert_eq!(mul("1 mon 1 day", 1.5), "1 mon 16 days 12:00:00");
        assert_eq!(mul("01:00", -2.0), "-02:00:00");
        let div = |i: &str, n: i64| shown(apply(BinaryOp::Div, &iv(i), &Value::Integer(n)));
        assert_eq!(div("1 hour", 3), "00:20:00");
        assert_eq!(div("1 mon", 7), "4 days 06:51:25.6896");
        let e = apply(BinaryOp::Div, &iv("1 day"), &Value::Integer(0)).unwrap_err();
        assert_eq!(e.sqlstate(), "22012");
        let e = apply(BinaryOp::Mul, &iv("1 year"), &Value::Float(1e10)).unwrap_err();
        assert_eq!(e.to_string(), "interval out of range");
    }

    #[test]
    fn text_beside_a_date_or_time_takes_the_type_postgres_gives_it() {
        let t = Value::from;
        assert_eq!(
            shown(apply(BinaryOp::Add, &ts("2024-01-01"), &t("1 hour"))),
            "2024-01-01 01:00:00"
        );
        assert_eq!(
            shown(apply(BinaryOp::Sub, &ts("2024-01-02"), &t("2024-01-01"))),
            "1 day"
        );
        assert_eq!(
            shown(apply(BinaryOp::Sub, &d("2024-01-02"), &t("2024-01-01"))),
            "1"
        );
        assert_eq!(shown(apply(BinaryOp::Mul, &iv("1 day"), &t("2"))), "2 days");
        let e = apply(BinaryOp::Sub, &d("2024-01-02"), &t("1 day")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type date: \"1 day\""
        );
    }

    #[test]
    fn intervals_add_field_by_field() {
        let sum = apply(BinaryOp::Sub, &iv("1 day"), &iv("25 hours"));
        assert_eq!(shown(sum), "1 day -25:00:00");
        assert_eq!(
            format::interval(&negate(&parse::interval("1 year 1 day 01:00").unwrap()).unwrap()),
            "-1 years -1 days -01:00:00"
        );
    }
}
