//! The running state of the statistical aggregates (`variance`, `stddev` and their
//! `_samp` and `_pop` forms), computed as PostgreSQL 15 computes them, so that they print
//! the same digits.
//!
//! Over integers and numerics the state is exact: the count N, the sum of the values
//! and the sum of their squares, each value taken less the first one (which changes
//! neither the spread nor the digits of the result, and keeps the squares of large
//! values close to each other small). At the end the variance is
//! `(N * sum(x^2) - sum(x)^2) / (N * (N - 1))` (or `/ (N * N)` for a population), a
//! NUMERIC quotient at the scale any NUMERIC division gets (16 significant digits or
//! more, see [`Decimal::checked_div`]); a numerator of zero (all values equal) gives an
//! unscaled `0`. The standard deviation is the square root of that rounded quotient, at
//! the same scale. So the variance of 1, 2, 3, 4 is `1.6666666666666667` and its
//! standard deviation `1.2909944487358056`. The sums are bounded by NUMERIC's 38 digits
//! (22003 beyond), where PostgreSQL's are not: values more than about 10^18 apart, or
//! many of them, overflow here (as would their variance, past 10^37).
//!
//! Over double precision the state is N, the sum and the sum of squared deviations
//! from the running mean, updated by Youngs and Cramer's method, which does not lose
//! precision to cancellation as the sum of squares would: for each new value x, with
//! the count and sum already including it,
//! `Sxx += (x * N - sum)^2 / (N * (N - 1))`. A finite input that overflows is 22003; an
//! infinite or NaN one makes the result NaN.
//!
//! Values of mixed kinds (possible where planning cannot give an expression one type)
//! widen as PostgreSQL's implicit casts do: the exact state becomes a double precision
//! one at the first double precision value.

use crate::error::{Error, Result};
use crate::expression::{no_function, numeric_overflow};
use crate::numeric::Decimal;
use crate::plan::Statistic;
use crate::types::Value;

/// The values seen so far, reduced to what the statistics need.
#[derive(Clone, Debug, Default)]
pub(crate) enum Moments {
    #[default]
    Empty,
    /// Integers and numerics, summed exactly, each less `shift` (the first value):
    /// the spread does not change when every value moves by the same amount, and the
    /// squares of values close to each other stay within NUMERIC's 38 digits however
    /// large the values themselves are.
    Exact {
        count: i64,
        shift: Decimal,
        sum: Decimal,
        squares: Decimal,
    },
    /// Double precision values, by Youngs-Cramer.
    Float {
        count: f64,
        sum: f64,
        squared_deviations: f64,
    },
}

impl Moments {
    /// Adds a value that is not NULL; `statistic` names the aggregate for the error a
    /// value that is not a number is.
    pub(crate) fn add(&mut self, statistic: Statistic, v: Value) -> Result<()> {
        let exact = match v {
            Value::Integer(i) => Decimal::from_i64(i),
            Value::Numeric(d) => d,
            Value::Float(f) => return self.add_float(f),
            v => return Err(no_function(statistic.name(), &v)),
        };
        match self {
            Moments::Empty => {
                let zero = exact.checked_sub(&exact).ok_or_else(numeric_overflow)?;
                *self = Moments::Exact {
                    count: 1,
                    shift: exact,
                    sum: zero,
                    squares: zero,
                };
            }
            Moments::Exact {
                count,
                shift,
                sum,
                squares,
            } => {
                let x = exact.checked_sub(shift).ok_or_else(numeric_overflow)?;
                *count += 1;
                *sum = sum.checked_add(&x).ok_or_else(numeric_overflow)?;
                *squares = squares
                    .checked_add(&square(&x)?)
                    .ok_or_else(numeric_overflow)?;
            }
            Moments::Float { .. } => return self.add_float(exact.to_f64()),
        }
        Ok(())
    }

    /// Adds a double precision value, as PostgreSQL's `float8_accum`.
    fn add_float(&mut self, x: f64) -> Result<()> {
        let (count, sum, squared_deviations) = match self {
            Moments::Empty => (0.0, 0.0, 0.0),
            Moments::Exact {
                count,
                shift,
                sum,
                squares,
            } => widened(*count, shift, sum, squares)?,
            Moments::Float {
                count,
                sum,
                squared_deviations,
            } => (*count, *sum, *squared_deviations),
        };
        let (n, s) = (count + 1.0, sum + x);
        let sxx = if count > 0.0 {
            let d = x * n - s;
            let sxx = squared_deviations + d * d / (n * count);
            if s.is_infinite() || sxx.is_infinite() {
                // Only finite inputs that give infinite results overflow; an infinite
                // input makes the spread NaN, never infinite.
                if sum.is_finite() && x.is_finite() {
                    return Err(Error::OutOfRange("value out of range: overflow".into()));
                }
                f64::NAN
            } else {
                sxx
            }
        } else if x.is_finite() {
            0.0
        } else {
            // A first value that is infinite or NaN must not leave a variance of zero.
            f64::NAN
        };
        *self = Moments::Float {
            count: n,
            sum: s,
            squared_deviations: sxx,
        };
        Ok(())
    }

    /// The statistic of the values added: NULL for none, and for one if it is a
    /// sample's.
    pub(crate) fn finish(&self, statistic: Statistic) -> Result<Value> {
        let sample = statistic.is_sample();
        match self {
            Moments::Empty => Ok(Value::Null),
            Moments::Exact { count, .. } if sample && *count < 2 => Ok(Value::Null),
            Moments::Float { count, .. } if sample && *count < 2.0 => Ok(Value::Null),
            Moments::Exact {
                count,
                sum,
                squares,
                ..
            } => exact_statistic(statistic, *count, sum, squares),
            Moments::Float {
                count,
                squared_deviations,
                ..
            } => {
                let divisor = if sample { count - 1.0 } else { *count };
                let variance = squared_deviations / divisor;
                Ok(Value::Float(if statistic.is_deviation() {
                    variance.sqrt()
                } else {
                    variance
                }))
            }
        }
    }
}

/// An exact state as double precision: the count, the sum and the sum of squared
/// deviations from the mean, `(N * sum(x^2) - sum(x)^2) / N`.
fn widened(
    count: i64,
    shift: &Decimal,
    sum: &Decimal,
    squares: &Decimal,
) -> Result<(f64, f64, f64)> {
    let n = count as f64;
    let unshifted = sum.to_f64() + n * shift.to_f64();
    Ok((n, unshifted, spread(count, sum, squares)?.to_f64() / n))
}

fn square(d: &Decimal) -> Result<Decimal> {
    d.checked_mul(d).ok_or_else(numeric_overflow)
}

/// `N * sum(x^2) - sum(x)^2`, exactly.
fn spread(count: i64, sum: &Decimal, squares: &Decimal) -> Result<Decimal> {
    Decimal::from_i64(count)
        .checked_mul(squares)
        .and_then(|a| a.checked_sub(&sum.checked_mul(sum)?))
        .ok_or_else(numeric_overflow)
}

/// PostgreSQL's `numeric_stddev_internal` for at least one value (two for a sample).
fn exact_statistic(
    statistic: Statistic,
    count: i64,
    sum: &Decimal,
    squares: &Decimal,
) -> Result<Value> {
    let numerator = spread(count, sum, squares)?;
    if numerator.is_zero() || numerator.is_negative() {
        return Ok(Value::Numeric(Decimal::from_i64(0)));
    }
    let n = Decimal::from_i64(count);
    let divisor = if statistic.is_sample() {
        Decimal::from_i64(count - 1)
    } else {
        n
    };
    let variance = n
        .checked_mul(&divisor)
        .and_then(|d| numerator.checked_div(&d))
        .ok_or_else(numeric_overflow)?;
    if !statistic.is_deviation() {
        return Ok(Value::Numeric(variance));
    }
    variance
        .checked_sqrt(variance.scale())
        .map(Value::Numeric)
        .ok_or_else(numeric_overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(statistic: Statistic, values: &[Value]) -> Result<Value> {
        let mut m = Moments::default();
        for v in values {
            m.add(statistic, v.clone())?;
        }
        m.finish(statistic)
    }

    #[test]
    fn a_double_precision_value_widens_an_exact_state() {
        // PostgreSQL's var_samp of 1, 2, 3 and 4 as double precision.
        let mixed = [
            Value::Integer(1),
            Value::Numeric(Decimal::from_i64(2)),
            Value::Float(3.0),
            Value::Integer(4),
        ];
        let Value::Float(v) = run(Statistic::VarSamp, &mixed).unwrap() else {
            panic!("a double precision result")
        };
        assert!((v - 5.0 / 3.0).abs() < 1e-15, "{v}");
    }

    #[test]
    fn an_infinite_value_gives_nan_and_finite_overflow_is_an_error() {
        let inf = [Value::Float(f64::INFINITY), Value::Float(1.0)];
        let Value::Float(v) = run(Statistic::VarPop, &inf).unwrap() else {
            panic!("a double precision result")
        };
        assert!(v.is_nan());
        let huge = [Value::Float(1e308), Value::Float(1e308)];
        assert_eq!(
            run(Statistic::Variance, &huge).unwrap_err().sqlstate(),
            "22003"
        );
    }
}
