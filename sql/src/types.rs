//! SQL data types and values.
//!
//! Every integer type (`SMALLINT`, `INT`, `INTEGER`, `BIGINT`) is a 64-bit integer;
//! `REAL`, `FLOAT` and `DOUBLE PRECISION` are 64-bit floats; `NUMERIC`/`DECIMAL` is the
//! exact decimal of [`crate::numeric`]; `TEXT`/`VARCHAR(n)` is UTF-8 text; `BOOLEAN`;
//! `DATE`, `TIMESTAMP`, `TIMESTAMPTZ` and `INTERVAL` are those of [`crate::datetime`].
//! Values compare as in PostgreSQL: NULL is unknown in comparisons (see
//! [`Value::sql_cmp`]) but sorts after every other value in ORDER BY ([`Value::sort_cmp`]);
//! NaN sorts after every other float and equals itself.

use std::cmp::Ordering;
use std::fmt;

use crate::datetime::{self, Interval};
use crate::error::{Error, Result};
use crate::numeric::Decimal;

/// The type of a column or expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    Boolean,
    Integer,
    Float,
    /// Exact decimal; `declared` is the precision and scale of a declared
    /// `NUMERIC(p, s)` (`NUMERIC(p)` is scale 0), None for an unconstrained `NUMERIC`.
    /// A value coerced to it is rounded to the scale and must then fit the precision
    /// (22003 otherwise). Definitions stored before precisions were kept (catalog format
    /// 4) come back as `NUMERIC(38, s)`: what they enforced, 38 digits being the most a
    /// value holds.
    Numeric {
        declared: Option<(u32, i32)>,
    },
    /// Text; `max_len` is the declared `VARCHAR(n)` length in characters, if any.
    Text {
        max_len: Option<u32>,
    },
    Date,
    /// `TIMESTAMP [WITHOUT TIME ZONE]`.
    Timestamp,
    /// `TIMESTAMP WITH TIME ZONE` (`TIMESTAMPTZ`).
    TimestampTz,
    Interval,
}

impl DataType {
    /// An unconstrained `NUMERIC`: the type of a NUMERIC expression.
    pub const NUMERIC: DataType = DataType::Numeric { declared: None };

    /// The type's name without its modifiers (`numeric`, `character varying`), as
    /// PostgreSQL names a column's type in a message about assigning to it.
    pub fn base_name(self) -> &'static str {
        match self {
            DataType::Numeric { .. } => "numeric",
            DataType::Text { max_len: Some(_) } => "character varying",
            DataType::Text { max_len: None } => "text",
            DataType::Boolean => "boolean",
            DataType::Integer => "bigint",
            DataType::Float => "double precision",
            DataType::Date => "date",
            DataType::Timestamp => "timestamp without time zone",
            DataType::TimestampTz => "timestamp with time zone",
            DataType::Interval => "interval",
        }
    }

    /// The place of a number type in PostgreSQL's implicit widening, `bigint` (0) to
    /// `numeric` (1) to `double precision` (2); None for the other types.
    pub(crate) fn widening_rank(self) -> Option<u8> {
        match self {
            DataType::Integer => Some(0),
            DataType::Numeric { .. } => Some(1),
            DataType::Float => Some(2),
            DataType::Boolean
            | DataType::Text { .. }
            | DataType::Date
            | DataType::Timestamp
            | DataType::TimestampTz
            | DataType::Interval => None,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Numeric {
                declared: Some((p, s)),
            } => write!(f, "numeric({p},{s})"),
            DataType::Text { max_len: Some(n) } => write!(f, "character varying({n})"),
            ty => f.write_str(ty.base_name()),
        }
    }
}

/// A SQL value.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Boolean(bool),
    Integer(i64),
    Float(f64),
    Numeric(Decimal),
    Text(String),
    /// Days since 2000-01-01.
    Date(i32),
    /// Microseconds since 2000-01-01 00:00:00.
    Timestamp(i64),
    /// Microseconds since 2000-01-01 00:00:00 UTC.
    TimestampTz(i64),
    Interval(Interval),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for the numeric kinds, which psql right-aligns.
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Value::Integer(_) | Value::Float(_) | Value::Numeric(_)
        )
    }

    /// The name of its type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "unknown",
            Value::Boolean(_) => "boolean",
            Value::Integer(_) => "bigint",
            Value::Float(_) => "double precision",
            Value::Numeric(_) => "numeric",
            Value::Text(_) => "text",
            Value::Date(_) => "date",
            Value::Timestamp(_) => "timestamp without time zone",
            Value::TimestampTz(_) => "timestamp with time zone",
            Value::Interval(_) => "interval",
        }
    }

    /// SQL comparison: None when either side is NULL (unknown). Numbers of different
    /// kinds compare by value; text compared with a number is parsed as that number.
    pub fn sql_cmp(&self, other: &Value) -> Result<Option<Ordering>> {
        use Value::*;
        let ord = match (self, other) {
            (Null, _) | (_, Null) => return Ok(None),
            (Boolean(a), Boolean(b)) => a.cmp(b),
            (Integer(a), Integer(b)) => a.cmp(b),
            (Float(a), Float(b)) => float_cmp(*a, *b),
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Integer(a), Float(b)) => float_cmp(*a as f64, *b),
            (Float(a), Integer(b)) => float_cmp(*a, *b as f64),
            (Integer(a), Numeric(b)) => Decimal::from_i64(*a).cmp(b),
            (Numeric(a), Integer(b)) => a.cmp(&Decimal::from_i64(*b)),
            (Numeric(a), Float(b)) => float_cmp(a.to_f64(), *b),
            (Float(a), Numeric(b)) => float_cmp(*a, b.to_f64()),
            (Text(a), Text(b)) => a.cmp(b),
            (a, b) if datetime::is_datetime(a) && datetime::is_datetime(b) => {
                datetime::compare(a, b)?
            }
            (Text(_), b) => return self.cast(b.data_type())?.sql_cmp(other),
            (a, Text(_)) => return self.sql_cmp(&other.cast(a.data_type())?),
            (a, b) => {
                return Err(Error::UndefinedFunction(format!(
                    "operator does not exist: {} = {}",
                    a.type_name(),
                    b.type_name()
                )))
            }
        };
        Ok(Some(ord))
    }

    /// The total order of ORDER BY, DISTINCT and GROUP BY: NULLs last, values of
    /// incomparable kinds by kind.
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Null, _) => Ordering::Greater,
            (_, Value::Null) => Ordering::Less,
            _ => match self.sql_cmp(other) {
                Ok(Some(o)) => o,
                _ => self.kind_rank().cmp(&other.kind_rank()),
            },
        }
    }

    fn kind_rank(&self) -> u8 {
        match self {
            Value::Null => 5,
            Value::Boolean(_) => 0,
            Value::Integer(_) | Value::Float(_) | Value::Numeric(_) => 1,
            Value::Text(_) => 2,
            Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_) => 3,
            Value::Interval(_) => 4,
        }
    }

    /// The type a value of this kind has (NULL is reported as text).
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Boolean(_) => DataType::Boolean,
            Value::Integer(_) => DataType::Integer,
            Value::Float(_) => DataType::Float,
            Value::Numeric(_) => DataType::NUMERIC,
            Value::Text(_) | Value::Null => DataType::Text { max_len: None },
            Value::Date(_) => DataType::Date,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::TimestampTz(_) => DataType::TimestampTz,
            Value::Interval(_) => DataType::Interval,
        }
    }

    /// Converts to `ty` as `CAST` does: 22P02 for text that does not parse, 22003 when out
    /// of range; text longer than a VARCHAR(n) is truncated (storing it is [`Value::assign`]).
    pub fn cast(&self, ty: DataType) -> Result<Value> {
        use Value::*;
        let out_of_range = || Error::OutOfRange(format!("{} out of range", ty_name(ty)));
        Ok(match (self, ty) {
            (Null, _) => Null,
            (Boolean(b), DataType::Boolean) => Boolean(*b),
            (Boolean(b), DataType::Integer) => Integer(*b as i64),
            (Integer(i), DataType::Boolean) => Boolean(*i != 0),
            (Integer(i), DataType::Integer) => Integer(*i),
            (Integer(i), DataType::Float) => Float(*i as f64),
            (Integer(i), DataType::Numeric { declared }) => {
                Numeric(fit_declared(Decimal::from_i64(*i), declared)?)
            }
            (Float(f), DataType::Integer) => {
                // Half to even, as PostgreSQL's rint(): 2.5 is 2, 3.5 is 4.
                let r = f.round_ties_even();
                if !(r >= i64::MIN as f64 && r < i64::MAX as f64) {
                    return Err(out_of_range());
                }
                Integer(r as i64)
            }
            (Float(f), DataType::Float) => Float(*f),
            (Float(f), DataType::Numeric { declared }) => {
                let d = match (Decimal::from_f64(*f), declared) {
                    (Some(d), _) => d,
                    (None, Some((_, s))) if f.is_finite() => {
                        Decimal::from_f64_rounded(*f, s).ok_or_else(|| fit_overflow(declared))?
                    }
                    (None, Some((p, s))) if f.is_infinite() => {
                        return Err(Error::numeric_field_infinite(p, s))
                    }
                    (None, _) => return Err(out_of_range()),
                };
                Numeric(fit_declared(d, declared)?)
            }
            (Numeric(d), DataType::Integer) => Integer(d.round_to_i64().ok_or_else(out_of_range)?),
            (Numeric(d), DataType::Float) => Float(d.to_f64()),
            (Numeric(d), DataType::Numeric { declared }) => Numeric(fit_declared(*d, declared)?),
            // An explicit cast to VARCHAR(n) truncates, as in PostgreSQL.
            (Text(s), DataType::Text { max_len }) => match max_len.and_then(|n| cut_at(s, n)) {
                Some(i) => Text(s[..i].to_string()),
                None => Text(s.clone()),
            },
            (Text(s), _) => parse_text(s, ty)?,
            (v, ty) if datetime::is_datetime(v) && !matches!(ty, DataType::Text { .. }) => {
                datetime::cast(v, ty)?
            }
            (v, DataType::Text { max_len }) => Text(v.text()).cast(DataType::Text { max_len })?,
            (v, ty) => {
                return Err(Error::DatatypeMismatch(format!(
                    "cannot cast type {} to {}",
                    v.type_name(),
                    ty.base_name()
                )))
            }
        })
    }

    /// Converts to `ty` for storing in a column of that type: as [`Value::cast`], except
    /// that a value longer than a VARCHAR(n) is 22001 unless the characters beyond the
    /// n-th are all spaces, which are cut (PostgreSQL's rule for assignments, where an
    /// explicit cast truncates), and that an integer is no boolean nor a boolean a
    /// number (42804: PostgreSQL casts between them only explicitly).
    pub fn assign(&self, ty: DataType) -> Result<Value> {
        if matches!(
            (self, ty),
            (Value::Integer(_), DataType::Boolean)
                | (
                    Value::Boolean(_),
                    DataType::Integer | DataType::Float | DataType::Numeric { .. }
                )
        ) {
            return Err(Error::DatatypeMismatch(format!(
                "cannot assign type {} to {}",
                self.type_name(),
                ty.base_name()
            )));
        }
        let DataType::Text { max_len: Some(n) } = ty else {
            return self.cast(ty);
        };
        let text = match self {
            Value::Null => return Ok(Value::Null),
            Value::Text(s) => s.clone(),
            v => v.text(),
        };
        match cut_at(&text, n) {
            Some(i) if text[i..].bytes().any(|b| b != b' ') => {
                Err(Error::StringTooLong { ty: ty.to_string() })
            }
            Some(i) => Ok(Value::Text(text[..i].to_string())),
            None => Ok(Value::Text(text)),
        }
    }

    /// The value as text, as a cast to text and `||` give it: as it prints, except that
    /// a boolean is `true`/`false` (psql prints `t`/`f`).
    pub fn text(&self) -> String {
        match self {
            Value::Boolean(b) => b.to_string(),
            v => v.to_string(),
        }
    }

    /// The truth value of a condition: NULL is None; anything not boolean is 42804.
    pub fn truth(&self) -> Result<Option<bool>> {
        match self {
            Value::Null => Ok(None),
            Value::Boolean(b) => Ok(Some(*b)),
            v => Err(Error::DatatypeMismatch(format!(
                "argument of WHERE/AND/OR/NOT must be type boolean, not type {}",
                v.type_name()
            ))),
        }
    }
}

fn ty_name(ty: DataType) -> &'static str {
    match ty {
        DataType::Integer => "bigint",
        DataType::Float => "double precision",
        DataType::Numeric { .. } => "numeric",
        DataType::Boolean => "boolean",
        DataType::Text { .. } => "text",
        DataType::Date => "date",
        DataType::Timestamp => "timestamp",
        DataType::TimestampTz => "timestamp with time zone",
        DataType::Interval => "interval",
    }
}

/// The byte offset of the character after the first `n` of `s`, if it has more.
fn cut_at(s: &str, n: u32) -> Option<usize> {
    s.char_indices().nth(n as usize).map(|(i, _)| i)
}

/// `d` as a value of a NUMERIC declared `(precision, scale)`: rounded to the scale, then
/// 22003 unless its absolute value is below 10^(precision - scale), as PostgreSQL's
/// `apply_typmod` has it. Unconstrained, `d` itself.
fn fit_declared(d: Decimal, declared: Option<(u32, i32)>) -> Result<Decimal> {
    let Some((precision, scale)) = declared else {
        return Ok(d);
    };
    let rounded = d.round_to(scale).ok_or_else(|| fit_overflow(declared))?;
    let digits = i64::from(precision) - i64::from(scale);
    if !rounded.abs_below_power_of_ten(digits) {
        return Err(Error::numeric_field_overflow(precision, scale));
    }
    Ok(rounded)
}

/// The error for a value coerced to `declared` that is beyond the 38 digits a value
/// holds: the declared bound's overflow when the bound is within them (always, unless
/// a negative scale lifts it above), else PostgreSQL's message for a value beyond
/// NUMERIC's range.
fn fit_overflow(declared: Option<(u32, i32)>) -> Error {
    match declared {
        Some((p, s)) if i64::from(p) - i64::from(s) <= i64::from(crate::numeric::MAX_DIGITS) => {
            Error::numeric_field_overflow(p, s)
        }
        _ => Error::OutOfRange("value overflows numeric format".into()),
    }
}

fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn parse_text(s: &str, ty: DataType) -> Result<Value> {
    let invalid = || Error::InvalidText {
        ty: ty_name(ty),
        input: s.to_string(),
    };
    let t = s.trim();
    Ok(match ty {
        DataType::Boolean => match t.to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "y" | "on" | "1" => Value::Boolean(true),
            "f" | "false" | "no" | "n" | "off" | "0" => Value::Boolean(false),
            _ => return Err(invalid()),
        },
        DataType::Integer => {
            Value::Integer(
                t.parse()
                    .map_err(|e: std::num::ParseIntError| match e.kind() {
                        std::num::IntErrorKind::PosOverflow
                        | std::num::IntErrorKind::NegOverflow => Error::OutOfRange(format!(
                            "value \"{t}\" is out of range for type bigint"
                        )),
                        _ => invalid(),
                    })?,
            )
        }
        DataType::Float => Value::Float(match t.to_ascii_lowercase().as_str() {
            "nan" => f64::NAN,
            "infinity" | "inf" | "+infinity" | "+inf" => f64::INFINITY,
            "-infinity" | "-inf" => f64::NEG_INFINITY,
            _ => parse_float(t).map_err(|e| match e {
                FloatError::Invalid => invalid(),
                FloatError::OutOfRange => {
                    Error::OutOfRange(format!("\"{t}\" is out of range for type double precision"))
                }
            })?,
        }),
        DataType::Numeric { declared } => {
            // More digits than a value holds may still round to a declared scale.
            let rounded = || Decimal::parse_rounded(t, declared?.1);
            let Some(d) = Decimal::parse(t).or_else(rounded) else {
                return Err(match declared {
                    Some(_) if Decimal::is_well_formed(t) => fit_overflow(declared),
                    _ => invalid(),
                });
            };
            Value::Numeric(fit_declared(d, declared)?)
        }
        DataType::Text { .. } => Value::Text(s.to_string()),
        DataType::Date => Value::Date(datetime::parse::date(s)?),
        DataType::Timestamp => Value::Timestamp(datetime::parse::timestamp(s)?),
        DataType::TimestampTz => Value::TimestampTz(datetime::parse::timestamptz(s)?),
        DataType::Interval => Value::Interval(datetime::parse::interval(s)?),
    })
}

/// Why [`parse_float`] rejected its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatError {
    /// Not a number.
    Invalid,
    /// A number outside double precision's range.
    OutOfRange,
}

/// Parses a float written in decimal. A number that overflows to infinity, or that
/// underflows to zero although it has a nonzero digit, is out of range, as PostgreSQL
/// has it (a subnormal result is kept, as there). Infinity and NaN are not read here:
/// only the callers know which spellings of them they accept.
pub(crate) fn parse_float(t: &str) -> std::result::Result<f64, FloatError> {
    let lower = t.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return Err(FloatError::Invalid);
    }
    let f: f64 = t.parse().map_err(|_| FloatError::Invalid)?;
    let mantissa = lower.split('e').next().unwrap_or("");
    let nonzero = mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if !f.is_finite() || (f == 0.0 && nonzero) {
        return Err(FloatError::OutOfRange);
    }
    Ok(f)
}

/// Formats a float as PostgreSQL does: shortest round-trip digits, exponent form for
/// very large or small magnitudes, `NaN`, `Infinity`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e15).contains(&a) {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match e.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', e),
        };
        return format!("{m}e{sign}{digits:0>2}");
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    format!("{f}")
}

impl fmt::Display for Value {
    /// The text PostgreSQL prints for the value; NULL prints as nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Boolean(b) => f.write_str(if *b { "t" } else { "f" }),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format_float(*x)),
            Value::Numeric(d) => write!(f, "{d}"),
            Value::Text(s) => f.write_str(s),
            Value::Date(d) => f.write_str(&datetime::format::date(*d)),
            Value::Timestamp(t) => f.write_str(&datetime::format::timestamp(*t)),
            Value::TimestampTz(t) => f.write_str(&datetime::format::timestamptz(*t)),
            Value::Interval(i) => f.write_str(&datetime::format::interval(i)),
        }
    }
}

impl PartialEq for Value {
    /// Equality in the sort order (NULL equals NULL): what DISTINCT and GROUP BY use.
    fn eq(&self, other: &Self) -> bool {
        self.sort_cmp(other) == Ordering::Equal
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_compares_as_unknown_but_sorts_last() {
        assert_eq!(Value::Null.sql_cmp(&Value::Integer(1)).unwrap(), None);
        assert_eq!(Value::Null.sort_cmp(&Value::Integer(1)), Ordering::Greater);
    }

    #[test]
    fn numbers_of_different_kinds_compare_by_value() {
        let n = Value::Numeric(Decimal::parse("1.5").unwrap());
        assert_eq!(Value::Integer(1).sql_cmp(&n).unwrap(), Some(Ordering::Less));
        assert_eq!(
            Value::Float(1.5).sql_cmp(&n).unwrap(),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn bad_text_cast_names_type_and_input() {
        let e = Value::from("abc").cast(DataType::Integer).unwrap_err();
        assert_eq!(e.sqlstate(), "22P02");
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type bigint: \"abc\""
        );
    }

    #[test]
    fn floats_outside_double_precision_are_out_of_range_but_subnormals_are_kept() {
        assert_eq!(parse_float("1e308"), Ok(1e308));
        assert_eq!(parse_float("0.0e-999"), Ok(0.0));
        assert!(parse_float("1e-310").is_ok_and(|f| f > 0.0));
        assert_eq!(parse_float("1e309"), Err(FloatError::OutOfRange));
        assert_eq!(parse_float("-1e-400"), Err(FloatError::OutOfRange));
        assert_eq!(parse_float("inf"), Err(FloatError::Invalid));
        assert_eq!(parse_float("1x"), Err(FloatError::Invalid));
    }

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(1e20), "1e+20");
        assert_eq!(format_float(1.5e-5), "1.5e-05");
    }
}
