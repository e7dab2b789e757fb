//! Reading dates, timestamps and intervals from text, in the forms PostgreSQL accepts
//! most often.
//!
//! - Dates: `YYYY-MM-DD` (month and day of one or two digits, the year of four or more)
//!   or `YYYYMMDD`, then an optional time (ignored), then an optional ` BC` or ` AD`;
//!   `epoch`.
//! - Timestamps: a date, then `T` or spaces and `HH:MM[:SS[.fraction]]`, then an
//!   optional zone: `Z`, `UTC`, `GMT` or an offset `+HH`, `+HH:MM`, `+HHMM` (`-` too),
//!   then an optional ` BC`/` AD`. A date alone is midnight. A timestamp without time
//!   zone ignores the zone; one with time zone without a zone is in UTC (the session's).
//!   `24:00:00` is the next midnight and a 60th second the next minute, as PostgreSQL
//!   has it. Fractions are rounded to microseconds, half to even.
//! - Intervals: a sequence of `number unit` (`1 day`, `2 hours 30 minutes`, `1.5
//!   years`, `3d`), units as PostgreSQL spells them (`mons`, `hrs`, `min`, ...), time
//!   parts `[-]HH:MM[:SS[.fraction]]`, a final `ago` that negates it all; a number
//!   alone is seconds. A fraction of a unit carries to the smaller ones as PostgreSQL
//!   carries it (`1.5 mons` is `1 mon 15 days`).
//!
//! Errors name the input as PostgreSQL's do: text of the wrong shape is 22007
//! ("invalid input syntax for type date"), a field out of its range (month 13,
//! February 30, hour 25) is 22008 ("date/time field value out of range"), a valid date
//! outside the type's range is 22008 ("date out of range").

use super::calendar::{days_from_civil, is_valid};
use super::{
    Interval, MAX_DATE, MAX_TIMESTAMP, MIN_DATE, MIN_TIMESTAMP, UNIX_EPOCH_DAYS, USECS_PER_DAY,
    USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC,
};
use crate::error::{Error, Result};

/// A date, timestamp or timestamp with time zone as written, before range checks.
#[derive(Debug, PartialEq)]
struct Written {
    /// Days since the epoch of the date part.
    days: i64,
    /// Microseconds into the day (up to 24 hours), zero without a time.
    time: i64,
    /// The zone's offset east of UTC in seconds, if one was written.
    offset: Option<i64>,
}

/// Why text did not read as a date or time.
#[derive(Debug, PartialEq)]
enum Invalid {
    /// Not of any accepted form: 22007.
    Syntax,
    /// Of the right form, with a field out of its range: 22008.
    Field,
    /// One of PostgreSQL's special values (`infinity`, `now`, `today`, ...), which
    /// isolde does not have: 0A000.
    Special,
}

/// The special input values PostgreSQL accepts and isolde does not.
const SPECIAL_VALUES: [&str; 8] = [
    "infinity",
    "+infinity",
    "-infinity",
    "now",
    "today",
    "tomorrow",
    "yesterday",
    "allballs",
];

/// Reads a `date`.
pub fn date(text: &str) -> Result<i32> {
    let w = written(text).map_err(|e| error(e, "date", text))?;
    i32::try_from(w.days)
        .ok()
        .filter(|d| (MIN_DATE..=MAX_DATE).contains(&i64::from(*d)))
        .ok_or_else(|| out_of_range("date", text))
}

/// Reads a `timestamp [without time zone]`: a written zone is ignored.
pub fn timestamp(text: &str) -> Result<i64> {
    let w = written(text).map_err(|e| error(e, "timestamp", text))?;
    timestamp_micros(w.days, w.time, 0).ok_or_else(|| out_of_range("timestamp", text))
}

/// Reads a `timestamp with time zone`: UTC unless a zone is written.
pub fn timestamptz(text: &str) -> Result<i64> {
    let ty = "timestamp with time zone";
    let w = written(text).map_err(|e| error(e, ty, text))?;
    let offset = w.offset.unwrap_or(0);
    timestamp_micros(w.days, w.time, offset).ok_or_else(|| out_of_range("timestamp", text))
}

fn timestamp_micros(days: i64, time: i64, offset_secs: i64) -> Option<i64> {
    let micros = i128::from(days) * i128::from(USECS_PER_DAY) + i128::from(time)
        - i128::from(offset_secs) * i128::from(USECS_PER_SEC);
    i64::try_from(micros)
        .ok()
        .filter(|m| (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(m))
}

fn error(e: Invalid, ty: &'static str, text: &str) -> Error {
    match e {
        Invalid::Syntax => Error::InvalidDatetime {
            ty,
            input: text.to_string(),
        },
        Invalid::Field => {
            Error::DatetimeOverflow(format!("date/time field value out of range: \"{text}\""))
        }
        Invalid::Special => {
            Error::FeatureNotSupported(format!("the special {ty} value \"{}\"", text.trim()))
        }
    }
}

fn out_of_range(what: &str, text: &str) -> Error {
    Error::DatetimeOverflow(format!("{what} out of range: \"{text}\""))
}

/// Splits off a trailing era word (` BC` or ` AD`): true for BC.
fn strip_era(s: &str) -> (&str, bool) {
    let lower = s.len().checked_sub(3).and_then(|i| s.get(i..));
    match lower.map(str::to_ascii_lowercase).as_deref() {
        Some(" bc") => (s[..s.len() - 3].trim_end(), true),
        Some(" ad") => (s[..s.len() - 3].trim_end(), false),
        _ => (s, false),
    }
}

/// Reads the parts of a date or timestamp.
fn written(text: &str) -> std::result::Result<Written, Invalid> {
    let s = text.trim();
    if s.eq_ignore_ascii_case("epoch") {
        return Ok(Written {
            days: -UNIX_EPOCH_DAYS,
            time: 0,
            offset: None,
        });
    }
    if SPECIAL_VALUES.iter().any(|v| s.eq_ignore_ascii_case(v)) {
        return Err(Invalid::Special);
    }
    let (s, bc) = strip_era(s);
    let split = s.find([' ', 'T', 't']).unwrap_or(s.len());
    let (date, rest) = s.split_at(split);
    let (year, month, day) = date_fields(date)?;
    if year == 0 {
        return Err(Invalid::Field);
    }
    let year = if bc { 1 - year } else { year };
    if !is_valid(year, month, day) {
        return Err(Invalid::Field);
    }
    let (rest, t) = match rest.strip_prefix(['T', 't']) {
        Some(after) => (after, true),
        None => (rest.trim_start(), false),
    };
    let (time, offset) = if rest.is_empty() && !t {
        (0, None)
    } else {
        time_and_zone(rest)?
    };
    Ok(Written {
        days: days_from_civil(year, month, day),
        time,
        offset,
    })
}

/// `YYYY-MM-DD` or `YYYYMMDD`.
fn date_fields(s: &str) -> std::result::Result<(i64, u32, u32), Invalid> {
    let parts: Vec<&str> = s.split('-').collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if y.len() >= 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) => {
            (*y, *m, *d)
        }
        [ymd] if ymd.len() == 8 && ymd.is_ascii() => (&ymd[..4], &ymd[4..6], &ymd[6..]),
        _ => return Err(Invalid::Syntax),
    };
    let year = digits(y).ok_or(Invalid::Syntax)?;
    let month = digits(m).ok_or(Invalid::Syntax)?;
    let day = digits(d).ok_or(Invalid::Syntax)?;
    // A year too long for any date is out of range, not of the wrong form.
    let year = i32::try_from(year).map_err(|_| Invalid::Field)?;
    Ok((i64::from(year), month as u32, day as u32))
}

/// The value of a nonempty run of ASCII digits (saturating: callers range-check it).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// `HH:MM[:SS[.fraction]]` and an optional zone after it.
fn time_and_zone(s: &str) -> std::result::Result<(i64, Option<i64>), Invalid> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(s.len());
    let (time, zone) = s.split_at(end);
    let time = time_of_day(time)?;
    let zone = zone.trim();
    let offset = if zone.is_empty() {
        None
    } else {
        Some(zone_offset(zone)?)
    };
    Ok((time, offset))
}

/// Microseconds into the day of `HH:MM[:SS[.fraction]]`.
fn time_of_day(s: &str) -> std::result::Result<i64, Invalid> {
    let (hms, micros) = clock_time(s).ok_or(Invalid::Syntax)?;
    let (h, m, sec) = hms;
    let past_midnight = h == 24 && (m, sec, micros) != (0, 0, 0);
    if h > 24 || m > 59 || sec > 60 || past_midnight {
        return Err(Invalid::Field);
    }
    Ok(h * USECS_PER_HOUR + m * USECS_PER_MINUTE + sec * USECS_PER_SEC + micros)
}

/// The fields of `H:MM[:SS[.fraction]]` (hours of any length, for intervals too), and
/// the fraction in microseconds.
fn clock_time(s: &str) -> Option<((i64, i64, i64), i64)> {
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, micros_of_fraction(f)?),
        None => (s, 0),
    };
    let fields: Vec<&str> = whole.split(':').collect();
    let field = |f: &str, max_len: usize| {
        (f.len() <= max_len)
            .then(|| digits(f))
            .flatten()
            .and_then(|n| i64::try_from(n).ok())
    };
    match fields.as_slice() {
        [h, m] if s.len() == whole.len() => Some(((field(h, 18)?, field(m, 2)?, 0), 0)),
        [h, m, sec] => Some(((field(h, 18)?, field(m, 2)?, field(sec, 2)?), fraction)),
        _ => None,
    }
}

/// The digits after a decimal point as microseconds, rounded half to even (one more
/// than 999999 microseconds can come out, carrying into the seconds).
fn micros_of_fraction(f: &str) -> Option<i64> {
    if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{f:0<6}");
    let micros: i64 = padded[..6].parse().ok()?;
    let rest = &padded[6..];
    let round_up = match rest.as_bytes().first() {
        Some(b'6'..=b'9') => true,
        Some(b'5') => rest[1..].bytes().any(|b| b != b'0') || micros % 2 == 1,
        _ => false,
    };
    Some(micros + i64::from(round_up))
}

/// A zone's offset east of UTC in seconds: `Z`, `UTC`, `GMT`, `+HH`, `+HH:MM`,
/// `+HHMM`, `+HH:MM:SS`, or `-` any of those.
fn zone_offset(zone: &str) -> std::result::Result<i64, Invalid> {
    if ["z", "utc", "gmt"]
        .iter()
        .any(|z| zone.eq_ignore_ascii_case(z))
    {
        return Ok(0);
    }
    let (sign, rest) = match zone.as_bytes().first() {
        Some(b'+') => (1, &zone[1..]),
        Some(b'-') => (-1, &zone[1..]),
        _ => return Err(Invalid::Syntax),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [hm] if hm.len() == 4 && hm.is_ascii() => (&hm[..2], &hm[2..], "0"),
        [h] if (1..=2).contains(&h.len()) => (*h, "0", "0"),
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(Invalid::Syntax),
    };
    let field = |f: &str| digits(f).filter(|_| f.len() <= 2).ok_or(Invalid::Syntax);
    let (h, m, s) = (field(h)?, field(m)?, field(s)?);
    if h > 15 || m > 59 || s > 59 {
        return Err(Invalid::Field);
    }
    Ok(sign * (h * 3600 + m * 60 + s) as i64)
}

/// Reads an `interval`.
pub fn interval(text: &str) -> Result<Interval> {
    let syntax = || Error::InvalidDatetime {
        ty: "interval",
        input: text.to_string(),
    };
    let mut sum = Sum::default();
    let mut words: Vec<&str> = text.split_whitespace().collect();
    if words.first() == Some(&"@") {
        words.remove(0);
    }
    let ago = words.last().is_some_and(|w| w.eq_ignore_ascii_case("ago"));
    if ago {
        words.pop();
    }
    if words.is_empty() {
        return Err(syntax());
    }
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        i += 1;
        if word.contains(':') {
            sum.time(word).ok_or_else(syntax)?;
            continue;
        }
        let split = word
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(word.len());
        let (number, attached) = word.split_at(split);
        let unit = if !attached.is_empty() {
            attached
        } else if let Some(next) = words.get(i).filter(|w| w.starts_with(char::is_alphabetic)) {
            i += 1;
            next
        } else if i == words.len() {
            "seconds"
        } else {
            return Err(syntax());
        };
        let unit = Unit::named(&unit.to_ascii_lowercase()).ok_or_else(syntax)?;
        let (whole, fraction) = signed_number(number).ok_or_else(syntax)?;
        sum.add(unit, whole, fraction);
    }
    if ago {
        sum = Sum {
            months: -sum.months,
            days: -sum.days,
            micros: -sum.micros,
        };
    }
    sum.interval().ok_or_else(|| {
        Error::IntervalFieldOverflow(format!("interval field value out of range: \"{text}\""))
    })
}

/// A signed decimal number as its integer part and its fraction (of the same sign).
fn signed_number(s: &str) -> Option<(i64, f64)> {
    let (negative, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let valid = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if !valid(whole) || !valid(fraction) {
        return None;
    }
    let w = if whole.is_empty() {
        0
    } else {
        i64::try_from(digits(whole)?).ok()?
    };
    let f = if fraction.is_empty() {
        0.0
    } else {
        format!("0.{fraction}").parse::<f64>().ok()?
    };
    Some(if negative { (-w, -f) } else { (w, f) })
}

/// An interval unit as a count of months, of days, or of microseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Months(i64),
    Days(i64),
    Micros(i64),
}

impl Unit {
    fn named(name: &str) -> Option<Unit> {
        Some(match name {
            "millennium" | "millennia" | "millenniums" | "mil" | "mils" => Unit::Months(12_000),
            "century" | "centuries" | "c" | "cent" => Unit::Months(1_200),
            "decade" | "decades" | "dec" | "decs" => Unit::Months(120),
            "year" | "years" | "y" | "yr" | "yrs" => Unit::Months(12),
            "month" | "months" | "mon" | "mons" => Unit::Months(1),
            "week" | "weeks" | "w" => Unit::Days(7),
            "day" | "days" | "d" => Unit::Days(1),
            "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Micros(USECS_PER_HOUR),
            "minute" | "minutes" | "m" | "min" | "mins" => Unit::Micros(USECS_PER_MINUTE),
            "second" | "seconds" | "s" | "sec" | "secs" => Unit::Micros(USECS_PER_SEC),
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => Unit::Micros(1_000),
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Unit::Micros(1),
            _ => return None,
        })
    }
}

/// The fields of an interval being read, wide enough not to overflow on the way.
#[derive(Default)]
struct Sum {
    months: i128,
    days: i128,
    micros: i128,
}

impl Sum {
    /// Adds `whole + fraction` units; the fraction carries down as PostgreSQL carries
    /// it: a fraction of a year to whole months, of a month to days (30 a month) and
    /// then time, of a week or day to time.
    fn add(&mut self, unit: Unit, whole: i64, fraction: f64) {
        match unit {
            Unit::Months(n) if n >= 12 => {
                self.months += i128::from(whole) * i128::from(n);
                self.months += (fraction * n as f64).round_ties_even() as i128;
            }
            Unit::Months(n) => {
                self.months += i128::from(whole) * i128::from(n);
                self.fraction_of_days(fraction * n as f64 * 30.0);
            }
            Unit::Days(n) => {
                self.days += i128::from(whole) * i128::from(n);
                self.fraction_of_days(fraction * n as f64);
            }
            Unit::Micros(n) => {
                self.micros += i128::from(whole) * i128::from(n);
                self.micros += (fraction * n as f64).round_ties_even() as i128;
            }
        }
    }

    /// Adds a number of days with a fraction: whole days, the rest as time.
    fn fraction_of_days(&mut self, days: f64) {
        let whole = days.trunc();
        self.days += whole as i128;
        let seconds = (days - whole) * 86_400.0;
        let whole_seconds = seconds.trunc();
        self.micros += whole_seconds as i128 * i128::from(USECS_PER_SEC);
        self.micros += ((seconds - whole_seconds) * 1e6).round_ties_even() as i128;
    }

    /// Adds a time part `[+-]H:MM[:SS[.fraction]]`; None if it is not one.
    fn time(&mut self, word: &str) -> Option<()> {
        let (negative, unsigned) = match word.as_bytes().first() {
            Some(b'-') => (true, &word[1..]),
            Some(b'+') => (false, &word[1..]),
            _ => (false, word),
        };
        let ((h, m, s), fraction) = clock_time(unsigned)?;
        if m > 59 || s > 59 {
            return None;
        }
        let micros = i128::from(h) * i128::from(USECS_PER_HOUR)
            + i128::from(m * USECS_PER_MINUTE + s * USECS_PER_SEC + fraction);
        self.micros += if negative { -micros } else { micros };
        Some(())
    }

    fn interval(&self) -> Option<Interval> {
        Some(Interval {
            months: i32::try_from(self.months).ok()?,
            days: i32::try_from(self.days).ok()?,
            micros: i64::try_from(self.micros).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::format;
    use super::*;

    fn ts(text: &str) -> String {
        format::timestamp(timestamp(text).unwrap())
    }

    fn tstz(text: &str) -> String {
        format::timestamptz(timestamptz(text).unwrap())
    }

    fn iv(text: &str) -> String {
        format::interval(&interval(text).unwrap())
    }

    #[test]
    fn dates_read_in_iso_forms() {
        for (text, shown) in [
            ("2024-02-29", "2024-02-29"),
            ("20240105", "2024-01-05"),
            ("2024-1-5", "2024-01-05"),
            (" 2024-01-05 ", "2024-01-05"),
            ("2024-01-05 12:30+05", "2024-01-05"),
            ("0044-03-15 BC", "0044-03-15 BC"),
            ("4714-11-24 BC", "4714-11-24 BC"),
            ("5874897-12-31", "5874897-12-31"),
            ("epoch", "1970-01-01"),
        ] {
            assert_eq!(format::date(date(text).unwrap()), shown, "{text}");
        }
    }

    #[test]
    fn bad_dates_are_syntax_errors_or_fields_out_of_range() {
        let state = |text: &str| date(text).unwrap_err().sqlstate();
        for text in [
            "abc",
            "",
            "2024-01",
            "24-01-05",
            "2024-01-05x",
            "2024/01/05",
        ] {
            assert_eq!(state(text), "22007", "{text}");
        }
        for text in [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "0000-01-01",
            "2024-00-10",
        ] {
            assert_eq!(state(text), "22008", "{text}");
        }
        let e = date("2024-02-30").unwrap_err();
        assert_eq!(
            e.to_string(),
            "date/time field value out of range: \"2024-02-30\""
        );
        for text in ["10000000-01-01", "5874898-01-01"] {
            assert_eq!(
                date(text).unwrap_err().to_string(),
                format!("date out of range: \"{text}\"")
            );
        }
        let e = date("99999999999-01-01").unwrap_err();
        assert_eq!(e.sqlstate(), "22008");
        let e = date("4714-11-23 BC").unwrap_err();
        assert_eq!(e.to_string(), "date out of range: \"4714-11-23 BC\"");
        let e = date("abc").unwrap_err();
        assert_eq!(e.to_string(), "invalid input syntax for type date: \"abc\"");
        let e = date(" Infinity").unwrap_err();
        assert_eq!(e.sqlstate(), "0A000");
        assert_eq!(
            e.to_string(),
            "not supported: the special date value \"Infinity\""
        );
    }

    #[test]
    fn timestamps_read_with_a_t_or_a_space_and_round_to_microseconds() {
        assert_eq!(
            ts("2024-01-05T12:30:00.1234567"),
            "2024-01-05 12:30:00.123457"
        );
        assert_eq!(ts("2024-01-05 12:30:00.0000005"), "2024-01-05 12:30:00");
        assert_eq!(
            ts("2024-01-05 12:30:00.0000015"),
            "2024-01-05 12:30:00.000002"
        );
        assert_eq!(ts("2024-01-05 24:00:00"), "2024-01-06 00:00:00");
        assert_eq!(ts("2024-01-05 23:59:60"), "2024-01-06 00:00:00");
        assert_eq!(ts("2024-01-05 12:30+05:30"), "2024-01-05 12:30:00");
        assert_eq!(ts("2024-01-05 1:2:3"), "2024-01-05 01:02:03");
        assert_eq!(ts("2024-01-05"), "2024-01-05 00:00:00");
        assert_eq!(ts("2024-01-05 12:30:00 AD"), "2024-01-05 12:30:00");
        for bad in [
            "2024-01-05 12",
            "2024-01-05 12:30:00+1x",
            "2024-01-05T",
            "12:30",
        ] {
            assert_eq!(timestamp(bad).unwrap_err().sqlstate(), "22007", "{bad}");
        }
        for bad in [
            "2024-01-05 25:00",
            "2024-01-05 24:00:01",
            "2024-01-05 12:60",
        ] {
            assert_eq!(timestamp(bad).unwrap_err().sqlstate(), "22008", "{bad}");
        }
        let e = timestamp("294277-01-01").unwrap_err();
        assert_eq!(e.to_string(), "timestamp out of range: \"294277-01-01\"");
    }

    #[test]
    fn text_with_multibyte_characters_is_invalid_not_cut_inside_a_character() {
        // Found by the module's no-panic property: eight bytes read as `YYYYMMDD`, four
        // as `HHMM`.
        assert_eq!(date("00!0Aࠀ").unwrap_err().sqlstate(), "22007");
        let e = timestamptz("2024-01-01 12:00+0ࠀ").unwrap_err();
        assert_eq!(e.sqlstate(), "22007");
    }

    #[test]
    fn timestamps_with_time_zone_apply_the_offset_written() {
        assert_eq!(tstz("2024-01-05 12:30:00+05:30"), "2024-01-05 07:00:00+00");
        assert_eq!(tstz("2024-01-05 12:30:00 UTC"), "2024-01-05 12:30:00+00");
        assert_eq!(tstz("2024-01-05 12:30:00-0330"), "2024-01-05 16:00:00+00");
        assert_eq!(tstz("2024-01-05T12:30:00Z"), "2024-01-05 12:30:00+00");
        assert_eq!(tstz("2024-01-05"), "2024-01-05 00:00:00+00");
        assert_eq!(tstz("2024-01-05 12:30:00 BC"), "2024-01-05 12:30:00+00 BC");
        let e = timestamptz("nope").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type timestamp with time zone: \"nope\""
        );
    }

    #[test]
    fn intervals_read_units_time_parts_and_fractions() {
        for (text, shown) in [
            ("1 day", "1 day"),
            ("2 hours 30 minutes", "02:30:00"),
            ("1 year 2 mons", "1 year 2 mons"),
            ("01:30:00", "01:30:00"),
            ("1 day 2 hours 30 minutes", "1 day 02:30:00"),
            ("1.5 years", "1 year 6 mons"),
            ("1.1 years", "1 year 1 mon"),
            ("1.5 mons", "1 mon 15 days"),
            ("0.5 week", "3 days 12:00:00"),
            ("1.5 days", "1 day 12:00:00"),
            ("1 week", "7 days"),
            ("1 day ago", "-1 days"),
            ("-1:30", "-01:30:00"),
            ("10", "00:00:10"),
            ("1.5", "00:00:01.5"),
            ("1day 2h", "1 day 02:00:00"),
            ("@ 1 minute", "00:01:00"),
            ("1 h 30 m", "01:30:00"),
            ("100:00:00", "100:00:00"),
            ("0", "00:00:00"),
            ("-1 day +2 hours", "-1 days +02:00:00"),
            ("1 mon -1 day", "1 mon -1 days"),
            ("3 ms", "00:00:00.003"),
        ] {
            assert_eq!(iv(text), shown, "{text}");
        }
    }

    #[test]
    fn bad_intervals_are_syntax_errors_and_huge_ones_overflow() {
        for bad in [
            "abc",
            "1 fortnight",
            "",
            "1 2",
            "day",
            "1:2:3:4",
            "1 day ago ago",
        ] {
            let e = interval(bad).unwrap_err();
            assert_eq!(e.sqlstate(), "22007", "{bad}");
        }
        let e = interval("999999999999 days").unwrap_err();
        assert_eq!(e.sqlstate(), "22015");
        assert_eq!(
            e.to_string(),
            "interval field value out of range: \"999999999999 days\""
        );
    }
}
