//! Built-in scalar functions beyond the few the expression evaluator handles itself:
//! rounding, `greatest`/`least`, string building, and the ones whose value is not fixed
//! by their arguments (`random`, `pg_sleep`, `txid_current`), which planning never folds.
//!
//! Each follows PostgreSQL's definition, NULL handling included: most return NULL for a
//! NULL argument; `concat`, `greatest` and `least` skip NULLs instead.

use std::cell::Cell;
use std::cmp::Ordering;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use crate::datetime::functions::DateTimeFunction;
use crate::error::{Error, Result};
use crate::executor::Env;
use crate::expression::Function;
use crate::numeric::Decimal;
use crate::types::Value;
use crate::{math_functions, string_functions};

impl Function {
    /// The function called `name` (folded to lower case), if isolde has it.
    pub fn named(name: &str) -> Option<Function> {
        Some(match name {
            "coalesce" => Function::Coalesce,
            "nullif" => Function::NullIf,
            "abs" => Function::Abs,
            "lower" => Function::Lower,
            "upper" => Function::Upper,
            "length" | "char_length" | "character_length" => Function::Length,
            "round" => Function::Round,
            "ceil" | "ceiling" => Function::Ceil,
            "floor" => Function::Floor,
            "greatest" => Function::Greatest,
            "least" => Function::Least,
            "concat" => Function::Concat,
            "substr" | "substring" => Function::Substr,
            "replace" => Function::Replace,
            "btrim" => Function::Btrim,
            "ltrim" => Function::Ltrim,
            "rtrim" => Function::Rtrim,
            "left" => Function::Left,
            "right" => Function::Right,
            "lpad" => Function::Lpad,
            "rpad" => Function::Rpad,
            "repeat" => Function::Repeat,
            "reverse" => Function::Reverse,
            "md5" => Function::Md5,
            "strpos" => Function::Strpos,
            "split_part" => Function::SplitPart,
            "initcap" => Function::Initcap,
            "like_escape" => Function::LikeEscape,
            "power" | "pow" => Function::Power,
            "sqrt" => Function::Sqrt,
            "exp" => Function::Exp,
            "ln" => Function::Ln,
            "log" | "log10" => Function::Log,
            "sign" => Function::Sign,
            "trunc" => Function::Trunc,
            "random" => Function::Random,
            "pg_sleep" => Function::PgSleep,
            "txid_current" | "pg_current_xact_id" => Function::TxidCurrent,
            other => return DateTimeFunction::named(other).map(Function::DateTime),
        })
    }

    /// Whether the function takes `n` arguments.
    pub fn takes(self, n: usize) -> bool {
        match self {
            Function::Coalesce | Function::Greatest | Function::Least | Function::Concat => n > 0,
            Function::NullIf => n == 2,
            Function::Round => (1..=2).contains(&n),
            Function::Substr => (2..=3).contains(&n),
            Function::Replace | Function::SplitPart => n == 3,
            Function::Lpad | Function::Rpad => (2..=3).contains(&n),
            Function::Btrim | Function::Ltrim | Function::Rtrim | Function::Trunc => {
                (1..=2).contains(&n)
            }
            Function::Left
            | Function::Right
            | Function::Repeat
            | Function::Strpos
            | Function::LikeEscape
            | Function::Power => n == 2,
            // log(b, x) is PostgreSQL's numeric-only logarithm, which isolde lacks.
            Function::Reverse
            | Function::Md5
            | Function::Initcap
            | Function::Sqrt
            | Function::Exp
            | Function::Ln
            | Function::Log
            | Function::Sign => n == 1,
            Function::Random | Function::TxidCurrent => n == 0,
            Function::Abs
            | Function::Lower
            | Function::Upper
            | Function::Length
            | Function::Ceil
            | Function::Floor
            | Function::PgSleep => n == 1,
            Function::DateTime(f) => f.takes(n),
        }
    }

    /// True for a function whose value is not fixed by its arguments, or that does
    /// something: planning must not compute it ahead of time, as it does a call with
    /// constant arguments.
    pub fn is_volatile(self) -> bool {
        match self {
            Function::DateTime(f) => f.is_volatile(),
            f => matches!(
                f,
                Function::Random | Function::PgSleep | Function::TxidCurrent
            ),
        }
    }

    /// True for a function whose value is NULL whenever an argument is.
    pub fn is_strict(self) -> bool {
        !matches!(
            self,
            Function::Coalesce
                | Function::NullIf
                | Function::Greatest
                | Function::Least
                | Function::Concat
                | Function::Random
                | Function::TxidCurrent
        )
    }
}

/// Calls one of this module's functions on evaluated arguments (a strict function's
/// all non-NULL, see [`Function::is_strict`]).
pub fn call(f: Function, args: Vec<Value>, env: &Env<'_>) -> Result<Value> {
    match f {
        Function::Round => round(args),
        Function::Ceil => ceil_or_floor(args, true),
        Function::Floor => ceil_or_floor(args, false),
        Function::Greatest => extreme(args, Ordering::Greater),
        Function::Least => extreme(args, Ordering::Less),
        // Each value as it prints (a boolean as `t`), NULLs as nothing.
        Function::Concat => Ok(Value::Text(args.iter().map(Value::to_string).collect())),
        Function::Substr => substr(&args),
        Function::Replace => replace(&args),
        Function::Btrim
        | Function::Ltrim
        | Function::Rtrim
        | Function::Left
        | Function::Right
        | Function::Lpad
        | Function::Rpad
        | Function::Repeat
        | Function::Reverse
        | Function::Md5
        | Function::Initcap
        | Function::Strpos
        | Function::SplitPart
        | Function::LikeEscape => string_functions::call(f, &args),
        Function::Power
        | Function::Sqrt
        | Function::Exp
        | Function::Ln
        | Function::Log
        | Function::Sign
        | Function::Trunc => math_functions::call(f, &args),
        Function::Random => Ok(Value::Float(random())),
        Function::PgSleep => {
            env.times.fix();
            pg_sleep(&args[0])
        }
        Function::TxidCurrent => Ok(Value::Integer(env.txn.borrow().id() as i64)),
        Function::DateTime(f) => f.call(&args, env.times),
        Function::Coalesce
        | Function::NullIf
        | Function::Abs
        | Function::Lower
        | Function::Upper
        | Function::Length => unreachable!("evaluated by the expression module"),
    }
}

/// 42883 for `name` called with arguments of these types.
pub(crate) fn no_function(name: &str, args: &[Value]) -> Error {
    let types: Vec<&str> = args.iter().map(Value::type_name).collect();
    Error::UndefinedFunction(format!(
        "function {name}({}) does not exist",
        types.join(", ")
    ))
}

fn out_of_range() -> Error {
    Error::OutOfRange("numeric field overflow".into())
}

/// `round(x)` to an integral value, `round(x, n)` to `n` places (negative: to tens,
/// hundreds, ...) for NUMERIC. Exact numbers round half away from zero; a double
/// precision rounds half to even, as PostgreSQL's does. PostgreSQL has no `round` of an
/// integer: it takes the double precision one, so `round(5) / 2` is 2.5.
fn round(args: Vec<Value>) -> Result<Value> {
    match args.as_slice() {
        [Value::Integer(i)] => Ok(Value::Float(*i as f64)),
        [Value::Float(x)] => Ok(Value::Float(x.round_ties_even())),
        [Value::Numeric(d)] => round_numeric(d, 0),
        [Value::Numeric(d), Value::Integer(n)] => round_numeric(d, *n),
        [Value::Integer(i), Value::Integer(n)] => round_numeric(&Decimal::from_i64(*i), *n),
        _ => Err(no_function("round", &args)),
    }
}

fn round_numeric(d: &Decimal, places: i64) -> Result<Value> {
    let shifted = match u32::try_from(places) {
        Ok(places) => d.rescale(places.min(38)),
        // Negative places: round at 10^-places, then scale back up.
        Err(_) => {
            let shift = u32::try_from(-places.max(-38)).map_err(|_| out_of_range())?;
            let unit = Decimal::new(1, shift).ok_or_else(out_of_range)?;
            d.checked_mul(&unit)
                .and_then(|x| x.rescale(0))
                .and_then(|x| x.checked_div(&unit))
                .and_then(|x| x.rescale(0))
        }
    };
    shifted.map(Value::Numeric).ok_or_else(out_of_range)
}

/// `ceil(x)` (`up`) or `floor(x)`: the nearest integral value above or below. Of an
/// integer, the double precision one, as `round`'s.
fn ceil_or_floor(args: Vec<Value>, up: bool) -> Result<Value> {
    let name = if up { "ceil" } else { "floor" };
    match args.as_slice() {
        [Value::Integer(i)] => Ok(Value::Float(*i as f64)),
        [Value::Float(x)] => Ok(Value::Float(if up { x.ceil() } else { x.floor() })),
        [Value::Numeric(d)] => {
            let truncated = d.truncated();
            let inexact = truncated != *d;
            let step = match (up, d.is_negative()) {
                (true, false) if inexact => 1,
                (false, true) if inexact => -1,
                _ => 0,
            };
            truncated
                .checked_add(&Decimal::from_i64(step))
                .map(Value::Numeric)
                .ok_or_else(out_of_range)
        }
        _ => Err(no_function(name, &args)),
    }
}

/// `greatest(...)` or `least(...)`: the largest (`Greater`) or smallest of the values
/// that are not NULL; NULL if all are.
fn extreme(args: Vec<Value>, wanted: Ordering) -> Result<Value> {
    let mut best = Value::Null;
    for v in args {
        if v.is_null() {
            continue;
        }
        if best.is_null() || v.sql_cmp(&best)? == Some(wanted) {
            best = v;
        }
    }
    Ok(best)
}

/// `upper(text)`: each character in upper case, one character for one, as PostgreSQL
/// maps them (by the C library's `towupper`): a character whose full upper case is
/// several (`ß` is `SS`, `ﬁ` is `FI`) stays as it is.
pub fn upper(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// `lower(text)`: each character in lower case, one character for one, as PostgreSQL
/// maps them (by `towlower`). The one character whose full lower case is several,
/// `İ` (`i` and a combining dot), becomes its simple lower case `i`.
pub fn lower(text: &str) -> String {
    text.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// `substr(text, from [, count])`: characters counted from 1; a start before the first
/// character shortens the count by as many, as in PostgreSQL (`substr('abc', 0, 2)` is
/// `a`).
fn substr(args: &[Value]) -> Result<Value> {
    let (text, from, count) = match args {
        [Value::Text(t), Value::Integer(f)] => (t, *f, None),
        [Value::Text(t), Value::Integer(f), Value::Integer(c)] => (t, *f, Some(*c)),
        _ => return Err(no_function("substr", args)),
    };
    let end = match count {
        Some(c) if c < 0 => return Err(Error::NegativeSubstringLength),
        Some(c) => Some(from.saturating_add(c)),
        None => None,
    };
    let start = from.max(1);
    let taken = match end {
        Some(end) if end <= start => 0,
        Some(end) => (end - start) as usize,
        None => usize::MAX,
    };
    let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
    Ok(Value::Text(text.chars().skip(skip).take(taken).collect()))
}

/// `replace(text, from, to)`: every occurrence of `from` replaced; an empty `from`
/// replaces nothing.
fn replace(args: &[Value]) -> Result<Value> {
    match args {
        [Value::Text(t), Value::Text(from), Value::Text(to)] => {
            Ok(Value::Text(if from.is_empty() {
                t.clone()
            } else {
                t.replace(from.as_str(), to)
            }))
        }
        _ => Err(no_function("replace", args)),
    }
}

thread_local! {
    /// This thread's xorshift state, seeded from the standard library's per-process
    /// random keys.
    static RANDOM: Cell<u64> = Cell::new(RandomState::new().hash_one(0x5eed_u64) | 1);
}

/// A double precision number in [0, 1): random enough for demonstrations and test
/// data, not for secrets.
fn random() -> f64 {
    RANDOM.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        // The top 53 bits of the scrambled state, as a fraction.
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// `pg_sleep(seconds)`: waits, then returns NULL (PostgreSQL's void, which psql shows
/// as an empty value).
fn pg_sleep(seconds: &Value) -> Result<Value> {
    let seconds = match seconds {
        Value::Integer(i) => *i as f64,
        Value::Float(x) => *x,
        Value::Numeric(d) => d.to_f64(),
        v => return Err(no_function("pg_sleep", std::slice::from_ref(v))),
    };
    if seconds > 0.0 {
        let wait = Duration::try_from_secs_f64(seconds).map_err(|_| {
            Error::InvalidArgument(format!("pg_sleep: {seconds} seconds is too long"))
        })?;
        std::thread::sleep(wait);
    }
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Value {
        Value::Numeric(Decimal::parse(s).unwrap())
    }

    #[test]
    fn round_is_half_away_from_zero_for_numeric_and_half_even_for_double() {
        assert_eq!(round(vec![num("2.5")]).unwrap(), num("3"));
        assert_eq!(round(vec![num("-2.5")]).unwrap(), num("-3"));
        assert_eq!(round(vec![Value::Float(2.5)]).unwrap(), Value::Float(2.0));
        assert_eq!(
            round(vec![num("1.2345"), Value::Integer(2)]).unwrap(),
            num("1.23")
        );
        assert_eq!(
            round(vec![num("1250"), Value::Integer(-2)]).unwrap(),
            num("1300")
        );
        assert_eq!(
            round(vec![num("1.5"), Value::Integer(3)])
                .unwrap()
                .to_string(),
            "1.500"
        );
    }

    #[test]
    fn ceil_and_floor_go_up_and_down_on_both_sides_of_zero() {
        assert_eq!(ceil_or_floor(vec![num("1.2")], true).unwrap(), num("2"));
        assert_eq!(ceil_or_floor(vec![num("-1.2")], true).unwrap(), num("-1"));
        assert_eq!(ceil_or_floor(vec![num("1.2")], false).unwrap(), num("1"));
        assert_eq!(ceil_or_floor(vec![num("-1.2")], false).unwrap(), num("-2"));
        assert_eq!(ceil_or_floor(vec![num("-3")], false).unwrap(), num("-3"));
    }

    #[test]
    fn substr_counts_characters_from_one_and_shortens_for_early_starts() {
        let s = |args: &[Value]| substr(args).unwrap().to_string();
        let t = Value::from("héllo");
        assert_eq!(s(&[t.clone(), Value::Integer(2), Value::Integer(3)]), "éll");
        assert_eq!(s(&[t.clone(), Value::Integer(0), Value::Integer(2)]), "h");
        assert_eq!(s(&[t.clone(), Value::Integer(-5), Value::Integer(2)]), "");
        assert_eq!(s(&[t.clone(), Value::Integer(4)]), "lo");
        assert_eq!(s(&[t.clone(), Value::Integer(9)]), "");
        let e = substr(&[t, Value::Integer(1), Value::Integer(-1)]).unwrap_err();
        assert_eq!(e.sqlstate(), "22011");
    }

    #[test]
    fn random_stays_in_the_unit_interval_and_varies() {
        let draws: Vec<f64> = (0..1000).map(|_| random()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
    }
}
