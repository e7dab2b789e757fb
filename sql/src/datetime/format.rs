//! Dates, timestamps and intervals as PostgreSQL prints them with `DateStyle = ISO` and
//! `IntervalStyle = postgres`: `2024-01-01`, `2024-01-01 12:34:56.789`,
//! `2024-01-01 12:34:56.789+00` (the session time zone is UTC), `0044-03-15 BC`,
//! `1 year 2 mons 3 days 04:05:06.5`, `-1 days +02:00:00`.

use std::fmt::Write;

use super::calendar::civil_from_days;
use super::{Interval, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};

/// A date: `YYYY-MM-DD`, with ` BC` for years before 1.
pub fn date(days: i32) -> String {
    let mut out = String::with_capacity(13);
    let bc = put_date(&mut out, i64::from(days));
    if bc {
        out.push_str(" BC");
    }
    out
}

/// A timestamp without time zone: `YYYY-MM-DD HH:MM:SS[.ffffff]` (trailing zeros of the
/// fraction dropped), with ` BC` for years before 1.
pub fn timestamp(micros: i64) -> String {
    timestamp_with(micros, "")
}

/// A timestamp with time zone, in UTC: as [`timestamp`] with `+00` before any ` BC`.
pub fn timestamptz(micros: i64) -> String {
    timestamp_with(micros, "+00")
}

fn timestamp_with(micros: i64, zone: &str) -> String {
    let mut out = String::with_capacity(32);
    let bc = put_date(&mut out, micros.div_euclid(USECS_PER_DAY));
    out.push(' ');
    put_time(&mut out, micros.rem_euclid(USECS_PER_DAY) as u64);
    out.push_str(zone);
    if bc {
        out.push_str(" BC");
    }
    out
}

/// Appends `YYYY-MM-DD` (the year as BC counts it if it is not positive) and says
/// whether the date is BC.
fn put_date(out: &mut String, days: i64) -> bool {
    let (year, month, day) = civil_from_days(days);
    let bc = year <= 0;
    let shown = if bc { 1 - year } else { year };
    // Writing to a String cannot fail.
    let _ = write!(out, "{shown:04}-{month:02}-{day:02}");
    bc
}

/// Appends `HH:MM:SS[.ffffff]` for a time of day (or a duration's time part, whose hours
/// may pass 24), trailing zeros of the fraction dropped.
fn put_time(out: &mut String, micros: u64) {
    let (hour, minute, second) = (
        USECS_PER_HOUR as u64,
        USECS_PER_MINUTE as u64,
        USECS_PER_SEC as u64,
    );
    let hours = micros / hour;
    let minutes = micros % hour / minute;
    let seconds = micros % minute / second;
    let _ = write!(out, "{hours:02}:{minutes:02}:{seconds:02}");
    put_fraction(out, micros % second);
}

/// Appends `.ffffff` without its trailing zeros, or nothing for no fraction.
fn put_fraction(out: &mut String, micros: u64) {
    if micros != 0 {
        let digits = format!("{micros:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// An interval in PostgreSQL's `postgres` style: years, months and days as words, then
/// the time as `HH:MM:SS` if it is not zero or nothing came before. A part after a
/// negative part is signed: `-1 days +02:00:00`.
pub fn interval(i: &Interval) -> String {
    let mut out = String::new();
    let mut before_negative = false;
    let years = i.months / 12;
    let months = i.months % 12;
    for (value, unit) in [
        (i64::from(years), "year"),
        (i64::from(months), "mon"),
        (i64::from(i.days), "day"),
    ] {
        if value == 0 {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if before_negative && value > 0 {
            out.push('+');
        }
        let plural = if value == 1 { "" } else { "s" };
        let _ = write!(out, "{value} {unit}{plural}");
        before_negative = value < 0;
    }
    if out.is_empty() || i.micros != 0 {
        if !out.is_empty() {
            out.push(' ');
        }
        if i.micros < 0 {
            out.push('-');
        } else if before_negative {
            out.push('+');
        }
        put_time(&mut out, i.micros.unsigned_abs());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(months: i32, days: i32, micros: i64) -> String {
        interval(&Interval {
            months,
            days,
            micros,
        })
    }

    #[test]
    fn dates_and_timestamps_print_in_iso_style() {
        assert_eq!(date(8_825), "2024-02-29");
        assert_eq!(date(-2_451_545), "4714-11-24 BC");
        assert_eq!(date(-730_120), "0001-12-31 BC");
        let noon = 8_766 * USECS_PER_DAY + 12 * USECS_PER_HOUR;
        assert_eq!(
            timestamp(noon + 34 * USECS_PER_MINUTE + 56_789_000),
            "2024-01-01 12:34:56.789"
        );
        assert_eq!(timestamptz(noon), "2024-01-01 12:00:00+00");
        assert_eq!(timestamp(-1), "1999-12-31 23:59:59.999999");
        assert_eq!(
            timestamptz(-730_120 * USECS_PER_DAY),
            "0001-12-31 00:00:00+00 BC"
        );
    }

    #[test]
    fn intervals_print_in_postgres_style() {
        assert_eq!(iv(0, 0, 0), "00:00:00");
        assert_eq!(iv(14, 0, 0), "1 year 2 mons");
        assert_eq!(
            iv(0, 1, 2 * USECS_PER_HOUR + 30 * USECS_PER_MINUTE),
            "1 day 02:30:00"
        );
        assert_eq!(iv(0, -1, 0), "-1 days");
        assert_eq!(iv(0, 1, -USECS_PER_HOUR), "1 day -01:00:00");
        assert_eq!(iv(0, -1, 2 * USECS_PER_HOUR), "-1 days +02:00:00");
        assert_eq!(iv(-13, 2, 0), "-1 years -1 mons +2 days");
        assert_eq!(iv(0, 0, 100 * USECS_PER_HOUR + 1_500_000), "100:00:01.5");
        assert_eq!(iv(0, 0, -1), "-00:00:00.000001");
        assert_eq!(iv(0, 0, i64::MIN), "-2562047788:00:54.775808");
    }
}
