//! The math functions beyond rounding: `power` (and the `^` operator), `sqrt`, `exp`,
//! `ln`, `log` (base 10), `sign` and `trunc`, with PostgreSQL's domain errors (2201E,
//! 2201F) and range checks (22003).
//!
//! As in PostgreSQL an integer argument takes the double precision function, so
//! `2 ^ 10` and `sqrt(2)` are double precision. `sign` and `trunc` of a NUMERIC are
//! exact NUMERICs, and so is `sqrt` of one, at PostgreSQL's scale ([`numeric_sqrt`]).
//! PostgreSQL also computes `power`, `exp`, `ln` and `log` of a NUMERIC exactly, to a
//! number of digits of its own; isolde refuses those (0A000) rather than return digits
//! that differ, and the two-argument `log(b, x)`, which is NUMERIC-only, does not exist
//! here.

use crate::error::{Error, Result};
use crate::expression::Function;
use crate::functions::no_function;
use crate::numeric::Decimal;
use crate::types::Value;

/// Calls one of this module's functions on non-NULL arguments.
pub fn call(f: Function, args: &[Value]) -> Result<Value> {
    match f {
        Function::Sign => sign(args),
        Function::Trunc => trunc(args),
        Function::Power => match args {
            [x, y] => {
                // With a double precision operand PostgreSQL takes the double precision
                // function, casting a NUMERIC operand to it.
                let cast = matches!(x, Value::Float(_)) || matches!(y, Value::Float(_));
                power(
                    float("power", x, cast, args)?,
                    float("power", y, cast, args)?,
                )
            }
            _ => Err(no_function("power", args)),
        },
        Function::Sqrt => match args {
            [Value::Numeric(x)] => numeric_sqrt(x).map(Value::Numeric),
            _ => one("sqrt", args, sqrt),
        },
        Function::Exp => one("exp", args, exp),
        Function::Ln => one("ln", args, |x| logarithm(x, f64::ln)),
        Function::Log => one("log", args, |x| logarithm(x, f64::log10)),
        other => Err(Error::FeatureNotSupported(format!(
            "{other:?} as a math function"
        ))),
    }
}

/// A number argument of a double precision function; a NUMERIC is cast when `cast`
/// says so, else refused (see the module documentation).
fn float(name: &str, v: &Value, cast: bool, args: &[Value]) -> Result<f64> {
    match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Float(x) => Ok(*x),
        Value::Numeric(d) if cast => Ok(d.to_f64()),
        Value::Numeric(_) => Err(Error::FeatureNotSupported(format!(
            "{name} of a numeric value (cast it to double precision)"
        ))),
        _ => Err(no_function(name, args)),
    }
}

fn one(name: &str, args: &[Value], f: impl FnOnce(f64) -> Result<f64>) -> Result<Value> {
    match args {
        [x] => f(float(name, x, false, args)?).map(Value::Float),
        _ => Err(no_function(name, args)),
    }
}

/// A finite result from finite arguments, as PostgreSQL checks one: infinity is an
/// overflow, zero (where the exact result is not) an underflow.
fn checked(r: f64, underflowed: bool) -> Result<f64> {
    if r.is_infinite() {
        return Err(Error::OutOfRange("value out of range: overflow".into()));
    }
    if r == 0.0 && underflowed {
        return Err(Error::OutOfRange("value out of range: underflow".into()));
    }
    Ok(r)
}

fn power(x: f64, y: f64) -> Result<Value> {
    if x == 0.0 && y < 0.0 {
        return Err(Error::MathDomain {
            sqlstate: "2201F",
            message: "zero raised to a negative power is undefined",
        });
    }
    if x < 0.0 && y.fract() != 0.0 && y.is_finite() {
        return Err(Error::MathDomain {
            sqlstate: "2201F",
            message: "a negative number raised to a non-integer power yields a complex result",
        });
    }
    let r = x.powf(y);
    if !(x.is_finite() && y.is_finite()) {
        return Ok(Value::Float(r));
    }
    checked(r, x != 0.0).map(Value::Float)
}

fn sqrt(x: f64) -> Result<f64> {
    if x < 0.0 {
        return Err(negative_root());
    }
    Ok(x.sqrt())
}

fn negative_root() -> Error {
    Error::MathDomain {
        sqlstate: "2201F",
        message: "cannot take square root of a negative number",
    }
}

/// The square root of a NUMERIC at PostgreSQL 15's scale (`numeric_sqrt`): at least 16
/// significant digits and no fewer decimals than the argument has. PostgreSQL counts
/// the digits from the weight of the argument's leading base-10000 digit group `w`:
/// the root's leading digit is taken to be at 10^(2w + 1), so the scale is 16 - (2w +
/// 1), raised to the argument's scale, and never negative. A root whose digits do not
/// fit 38 is 22003, where PostgreSQL, with up to 1000 decimals, has room.
fn numeric_sqrt(x: &Decimal) -> Result<Decimal> {
    if x.is_negative() {
        return Err(negative_root());
    }
    // `digits_and_exponent` gives 0.d1d2... * 10^exp: the leading digit's power of ten
    // is exp - 1 (zero is PostgreSQL's weight 0).
    let weight = match x.is_zero() {
        true => 0,
        false => (x.digits_and_exponent().1 - 1).div_euclid(4),
    };
    let scale = (16 - (2 * weight + 1)).max(x.scale() as i32).max(0);
    let scale = u32::try_from(scale).unwrap_or(0);
    x.checked_sqrt(scale)
        .ok_or_else(|| Error::OutOfRange("value overflows numeric format".into()))
}

fn exp(x: f64) -> Result<f64> {
    if !x.is_finite() {
        return Ok(x.exp());
    }
    checked(x.exp(), true)
}

fn logarithm(x: f64, log: fn(f64) -> f64) -> Result<f64> {
    let message = if x == 0.0 {
        "cannot take logarithm of zero"
    } else if x < 0.0 {
        "cannot take logarithm of a negative number"
    } else {
        return Ok(log(x));
    };
    Err(Error::MathDomain {
        sqlstate: "2201E",
        message,
    })
}

/// `sign(x)`: -1, 0 or 1, of x's type (double precision for an integer).
fn sign(args: &[Value]) -> Result<Value> {
    let of = |negative: bool, zero: bool| match (negative, zero) {
        (_, true) => 0,
        (true, false) => -1,
        (false, false) => 1,
    };
    match args {
        [Value::Integer(i)] => Ok(Value::Float(i.signum() as f64)),
        [Value::Float(x)] if x.is_nan() => Ok(Value::Float(*x)),
        [Value::Float(x)] => Ok(Value::Float(of(*x < 0.0, *x == 0.0) as f64)),
        [Value::Numeric(d)] => Ok(Value::Numeric(Decimal::from_i64(of(
            d.is_negative(),
            d.is_zero(),
        )))),
        _ => Err(no_function("sign", args)),
    }
}

/// `trunc(x)` toward zero: of an integer or a double precision, a double precision; of
/// a NUMERIC, `trunc(x, 0)`. `trunc(x, n)` is NUMERIC only: cut to `n` places (negative:
/// to tens, hundreds, ...).
fn trunc(args: &[Value]) -> Result<Value> {
    let numeric = |d: &Decimal, places: i64| {
        d.truncated_to(places)
            .map(Value::Numeric)
            .ok_or_else(|| Error::OutOfRange("numeric field overflow".into()))
    };
    match args {
        [Value::Integer(i)] => Ok(Value::Float(*i as f64)),
        [Value::Float(x)] => Ok(Value::Float(x.trunc())),
        [Value::Numeric(d)] => numeric(d, 0),
        [Value::Numeric(d), Value::Integer(n)] => numeric(d, *n),
        [Value::Integer(i), Value::Integer(n)] => numeric(&Decimal::from_i64(*i), *n),
        _ => Err(no_function("trunc", args)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Value {
        Value::Numeric(Decimal::parse(s).unwrap())
    }

    #[test]
    fn trunc_of_a_numeric_cuts_toward_zero_at_the_places_asked() {
        let t = |d: &str, n: i64| trunc(&[num(d), Value::Integer(n)]).unwrap().to_string();
        assert_eq!(t("5.789", 2), "5.78");
        assert_eq!(t("-5.789", 2), "-5.78");
        assert_eq!(t("5.7", 3), "5.700");
        assert_eq!(t("1234.5", -2), "1200");
        assert_eq!(t("-1299", -2), "-1200");
        assert_eq!(t("1234.5", -40), "0");
        assert_eq!(trunc(&[num("-5.79")]).unwrap().to_string(), "-5");
    }

    #[test]
    fn domain_errors_carry_postgres_sqlstates() {
        let state = |f, args: &[Value]| call(f, args).unwrap_err().sqlstate();
        assert_eq!(state(Function::Sqrt, &[Value::Integer(-1)]), "2201F");
        assert_eq!(state(Function::Ln, &[Value::Integer(0)]), "2201E");
        assert_eq!(state(Function::Log, &[Value::Float(-1.0)]), "2201E");
        let power = |x: f64, y: f64| state(Function::Power, &[Value::Float(x), Value::Float(y)]);
        assert_eq!(power(0.0, -1.0), "2201F");
        assert_eq!(power(-8.0, 0.5), "2201F");
        assert_eq!(power(10.0, 400.0), "22003");
        assert_eq!(power(10.0, -400.0), "22003");
        assert_eq!(state(Function::Exp, &[Value::Integer(-1000)]), "22003");
    }
}
