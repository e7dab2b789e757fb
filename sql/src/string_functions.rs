//! The string functions that cut, pad, search and rebuild text: `btrim`/`ltrim`/`rtrim`
//! (and SQL's `TRIM`), `left`, `right`, `lpad`, `rpad`, `repeat`, `reverse`, `strpos`,
//! `split_part`, `initcap`, `md5`, and `like_escape` (what `LIKE ... ESCAPE` compiles
//! to).
//!
//! All are strict (NULL for a NULL argument) and count characters, not bytes, as
//! PostgreSQL does in a UTF-8 database.

use crate::error::{Error, Result};
use crate::expression::Function;
use crate::functions::no_function;
use crate::md5;
use crate::types::Value;

/// PostgreSQL's limit on the size of one value (`MaxAllocSize`), in bytes: a longer
/// result is an error rather than an attempt to allocate it.
const MAX_VALUE_BYTES: usize = 0x3fff_ffff;

/// Calls one of this module's functions on non-NULL arguments.
pub fn call(f: Function, args: &[Value]) -> Result<Value> {
    match f {
        Function::Btrim => trim("btrim", args, true, true),
        Function::Ltrim => trim("ltrim", args, true, false),
        Function::Rtrim => trim("rtrim", args, false, true),
        Function::Left => left_or_right("left", args),
        Function::Right => left_or_right("right", args),
        Function::Lpad => pad("lpad", args),
        Function::Rpad => pad("rpad", args),
        Function::Repeat => repeat(args),
        Function::Reverse => Ok(Value::Text(text("reverse", args)?.chars().rev().collect())),
        Function::Md5 => Ok(Value::Text(md5::hex_digest(text("md5", args)?.as_bytes()))),
        Function::Initcap => Ok(Value::Text(initcap(text("initcap", args)?))),
        Function::Strpos => strpos(args),
        Function::SplitPart => split_part(args),
        Function::LikeEscape => like_escape(args),
        other => Err(Error::FeatureNotSupported(format!(
            "{other:?} as a string function"
        ))),
    }
}

/// The one text argument of a function of one.
fn text<'v>(name: &str, args: &'v [Value]) -> Result<&'v str> {
    match args {
        [Value::Text(t)] => Ok(t),
        _ => Err(no_function(name, args)),
    }
}

/// The text and integer arguments of `left`, `right`, `repeat`.
fn text_and_count<'v>(name: &str, args: &'v [Value]) -> Result<(&'v str, i64)> {
    match args {
        [Value::Text(t), Value::Integer(n)] => Ok((t, *n)),
        _ => Err(no_function(name, args)),
    }
}

/// `btrim(text [, characters])` and its one-sided forms: the longest run of the
/// characters (a space by default) removed from the start, the end, or both.
fn trim(name: &str, args: &[Value], start: bool, end: bool) -> Result<Value> {
    let (t, chars) = match args {
        [Value::Text(t)] => (t, " "),
        [Value::Text(t), Value::Text(c)] => (t, c.as_str()),
        _ => return Err(no_function(name, args)),
    };
    let strip = |c: char| chars.contains(c);
    let mut out = t.as_str();
    if start {
        out = out.trim_start_matches(strip);
    }
    if end {
        out = out.trim_end_matches(strip);
    }
    Ok(Value::Text(out.to_string()))
}

/// `left(text, n)`: the first `n` characters, or all but the last `-n`; `right` the
/// same from the end.
fn left_or_right(name: &str, args: &[Value]) -> Result<Value> {
    let (t, n) = text_and_count(name, args)?;
    let len = t.chars().count() as i64;
    let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) };
    let skip = if name == "left" { 0 } else { len - keep };
    Ok(Value::Text(
        t.chars().skip(skip as usize).take(keep as usize).collect(),
    ))
}

/// `lpad(text, length [, fill])` and `rpad`: the text cut or filled (with `fill`
/// repeated, a space by default) to `length` characters; an empty fill leaves a short
/// text as it is.
fn pad(name: &str, args: &[Value]) -> Result<Value> {
    let (t, length, fill) = match args {
        [Value::Text(t), Value::Integer(n)] => (t, *n, " "),
        [Value::Text(t), Value::Integer(n), Value::Text(f)] => (t, *n, f.as_str()),
        _ => return Err(no_function(name, args)),
    };
    let length = usize::try_from(length).unwrap_or(0);
    let len = t.chars().count();
    if length <= len {
        return Ok(Value::Text(t.chars().take(length).collect()));
    }
    if fill.is_empty() {
        return Ok(Value::Text(t.clone()));
    }
    let widest = fill.chars().map(char::len_utf8).max().unwrap_or(1);
    if length.saturating_mul(widest) > MAX_VALUE_BYTES {
        return Err(Error::RequestedLengthTooLarge);
    }
    let filler: String = fill.chars().cycle().take(length - len).collect();
    Ok(Value::Text(if name == "lpad" {
        filler + t
    } else {
        t.clone() + &filler
    }))
}

/// `repeat(text, n)`: the text `n` times; empty for `n <= 0`.
fn repeat(args: &[Value]) -> Result<Value> {
    let (t, n) = text_and_count("repeat", args)?;
    let n = usize::try_from(n).unwrap_or(0);
    if t.len().saturating_mul(n) > MAX_VALUE_BYTES {
        return Err(Error::RequestedLengthTooLarge);
    }
    Ok(Value::Text(t.repeat(n)))
}

/// `strpos(text, substring)`: where the substring first starts, counted in characters
/// from 1; 0 if it does not occur (an empty one is at 1).
fn strpos(args: &[Value]) -> Result<Value> {
    let [Value::Text(t), Value::Text(sub)] = args else {
        return Err(no_function("strpos", args));
    };
    let position = match t.find(sub.as_str()) {
        Some(byte) => t[..byte].chars().count() as i64 + 1,
        None => 0,
    };
    Ok(Value::Integer(position))
}

/// `split_part(text, delimiter, n)`: the `n`-th field (from 1; negative counts from the
/// end) of the text split at the delimiter, empty past the last; an empty delimiter
/// makes the whole text one field. 22023 for field 0.
fn split_part(args: &[Value]) -> Result<Value> {
    let [Value::Text(t), Value::Text(delimiter), Value::Integer(n)] = args else {
        return Err(no_function("split_part", args));
    };
    if *n == 0 {
        return Err(Error::InvalidArgument(
            "field position must not be zero".into(),
        ));
    }
    if t.is_empty() {
        return Ok(Value::Text(String::new()));
    }
    let fields: Vec<&str> = if delimiter.is_empty() {
        vec![t.as_str()]
    } else {
        t.split(delimiter.as_str()).collect()
    };
    let index = if *n > 0 {
        usize::try_from(n - 1).ok()
    } else {
        usize::try_from(n.unsigned_abs())
            .ok()
            .and_then(|back| fields.len().checked_sub(back))
    };
    let field = index.and_then(|i| fields.get(i)).copied().unwrap_or("");
    Ok(Value::Text(field.to_string()))
}

/// `initcap(text)`: each word's first letter in upper case and the rest in lower case,
/// a word being a run of letters and digits.
fn initcap(t: &str) -> String {
    let mut in_word = false;
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if in_word {
            out.push_str(&crate::functions::lower(c.encode_utf8(&mut [0; 4])));
        } else {
            out.push_str(&crate::functions::upper(c.encode_utf8(&mut [0; 4])));
        }
        in_word = c.is_alphanumeric();
    }
    out
}

/// `like_escape(pattern, escape)`: the pattern rewritten to use `\` as its escape
/// character, as LIKE reads it. An empty escape string turns escaping off (each `\`
/// becomes a literal one); more than one character is 22025.
fn like_escape(args: &[Value]) -> Result<Value> {
    let [Value::Text(pattern), Value::Text(escape)] = args else {
        return Err(no_function("like_escape", args));
    };
    let mut escape_chars = escape.chars();
    let escape = match (escape_chars.next(), escape_chars.next()) {
        (None, _) => None,
        (Some(e), None) => Some(e),
        (Some(_), Some(_)) => return Err(Error::InvalidEscapeString),
    };
    let mut out = String::with_capacity(pattern.len() + 2);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            out.push('\\');
            // A pattern ending in the escape keeps a dangling `\`, which LIKE reads
            // as PostgreSQL reads a pattern ending in its escape character.
            out.extend(chars.next());
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(Value::Text(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(f: Function, args: &[Value]) -> String {
        match call(f, args).unwrap() {
            Value::Text(t) => t,
            v => panic!("{f:?} gave {v:?}"),
        }
    }

    #[test]
    fn like_escape_rewrites_the_escape_character_to_a_backslash() {
        let e = |p: &str, esc: &str| text_of(Function::LikeEscape, &[p.into(), esc.into()]);
        assert_eq!(e("a#_c", "#"), "a\\_c");
        assert_eq!(e("a\\b", "#"), "a\\\\b");
        assert_eq!(e("a\\%", ""), "a\\\\%");
        assert_eq!(e("a##", "#"), "a\\#");
        assert_eq!(e("a#", "#"), "a\\");
        let err = call(Function::LikeEscape, &["a".into(), "xy".into()]).unwrap_err();
        assert_eq!(err.sqlstate(), "22025");
    }

    #[test]
    fn padding_and_cutting_count_characters_not_bytes() {
        let t = |f, args: &[Value]| text_of(f, args);
        assert_eq!(
            t(Function::Lpad, &["é".into(), 3.into(), "ü".into()]),
            "üüé"
        );
        assert_eq!(t(Function::Left, &["héllo".into(), (-3).into()]), "hé");
        assert_eq!(t(Function::Right, &["héllo".into(), (-1).into()]), "éllo");
        assert_eq!(t(Function::Right, &["héllo".into(), 9.into()]), "héllo");
        let n = call(Function::Strpos, &["héllo".into(), "l".into()]).unwrap();
        assert_eq!(n, Value::Integer(3));
    }

    #[test]
    fn a_result_beyond_the_value_size_limit_is_an_error_not_an_allocation() {
        let err = call(Function::Repeat, &["ab".into(), i64::MAX.into()]).unwrap_err();
        assert_eq!(err.sqlstate(), "54000");
        let err = call(Function::Rpad, &["a".into(), i64::MAX.into(), "b".into()]).unwrap_err();
        assert_eq!(err.sqlstate(), "54000");
    }
}
