//! How SQL data is laid out in the shared key space.
//!
//! Every SQL key starts with [`SQL_PREFIX`] (the byte `0x00`); the KV API must keep its
//! user keys off that byte. The second byte says what the key is:
//!
//! | key                                              | value                         |
//! |--------------------------------------------------|-------------------------------|
//! | `00 01` table name                               | table definition ([`crate::catalog`]) |
//! | `00 02` index name                               | name of the index's table     |
//! | `00 03`                                          | next object id, u32 big-endian |
//! | `00 04` sequence name                            | sequence definition ([`crate::sequence`]) |
//! | `00 05` sequence id (u32 BE)                     | sequence state: value (i64 LE), is_called (u8) |
//! | `00 10` table id (u32 BE) primary key            | the row ([`encode_row`])      |
//! | `00 11` index id (u32 BE) indexed columns \[pk\] | the row's primary key bytes   |
//!
//! Key columns use an order-preserving encoding ([`encode_key_value`]): comparing the
//! bytes compares the values, so a range of values is a range of keys. Each value is a tag
//! (`01` a value, `02` NULL, so NULLs sort last as in PostgreSQL) and then:
//!
//! | type    | bytes                                                               |
//! |---------|---------------------------------------------------------------------|
//! | boolean | `00` or `01`                                                        |
//! | integer | 8 bytes big-endian with the sign bit flipped                        |
//! | float   | IEEE bits big-endian; sign bit flipped if positive, all bits if negative (-0 as 0, one NaN, sorting last) |
//! | numeric | `01` negative, `02` zero, `03` positive; then for non-zero the decimal exponent (i16, sign flipped) and one byte per significant digit, ended by `00`; all of it inverted for negatives |
//! | text    | UTF-8 with `00` escaped as `00 ff`, ended by `00 01`                  |
//! | date    | days since 2000-01-01, 4 bytes big-endian with the sign bit flipped   |
//! | timestamp, timestamptz | microseconds since 2000-01-01 UTC, as an integer   |
//! | interval | its span (a month as 30 days, a day as 24 hours) in microseconds, 16 bytes big-endian with the sign bit flipped: equal intervals (`1 mon`, `30 days`) share a key, so a key decodes to days and time only (and not at all past 2^31 days, which only error messages would have shown) |
//!
//! Every encoding is self-delimiting, so composite keys are concatenations and a prefix
//! of columns is a key prefix. A unique index whose columns are all non-NULL stores
//! exactly the indexed columns in the key (so a duplicate is the same key); otherwise the
//! primary key is appended (PostgreSQL's UNIQUE allows many NULLs).
//! [`parse_key`] and [`decode_key`] read a key back, so that error messages can name a
//! row by its primary key instead of its bytes.
//!
//! Rows (the values) use a plain tagged format: a u16 column count, then per value a tag
//! byte and its payload (little-endian numbers, length-prefixed text): `00` NULL, `01`
//! false, `02` true, `03` integer (i64), `04` float (f64 bits), `05` numeric (its text),
//! `06` text, `07` date (i32 days), `08` timestamp and `09` timestamptz (i64
//! microseconds), `0a` interval (i32 months, i32 days, i64 microseconds). Tags are only
//! ever added, so rows written before a type existed still decode.

use std::borrow::Borrow;

use crate::datetime::{Interval, USECS_PER_DAY};
use crate::error::{Error, Result};
use crate::numeric::Decimal;
use crate::types::{DataType, Value};

/// The first byte of every SQL key.
pub const SQL_PREFIX: u8 = 0x00;
const TABLE_DEF: u8 = 0x01;
const INDEX_NAME: u8 = 0x02;
const NEXT_ID: u8 = 0x03;
const SEQUENCE_DEF: u8 = 0x04;
const SEQUENCE_STATE: u8 = 0x05;
const ROW: u8 = 0x10;
const INDEX_ENTRY: u8 = 0x11;

const KEY_VALUE: u8 = 0x01;
const KEY_NULL: u8 = 0x02;

/// Key of a table's definition.
pub fn table_def_key(name: &str) -> Vec<u8> {
    [&[SQL_PREFIX, TABLE_DEF], name.as_bytes()].concat()
}

/// Prefix of every table definition key.
pub fn table_def_prefix() -> Vec<u8> {
    vec![SQL_PREFIX, TABLE_DEF]
}

/// Key mapping an index name to its table.
pub fn index_name_key(name: &str) -> Vec<u8> {
    [&[SQL_PREFIX, INDEX_NAME], name.as_bytes()].concat()
}

/// Key of the object-id counter.
pub fn next_id_key() -> Vec<u8> {
    vec![SQL_PREFIX, NEXT_ID]
}

/// Key of a sequence's definition.
pub fn sequence_def_key(name: &str) -> Vec<u8> {
    [&[SQL_PREFIX, SEQUENCE_DEF], name.as_bytes()].concat()
}

/// Key of a sequence's state: the value it reached, written ahead of the values handed
/// out ([`crate::sequence`]).
pub fn sequence_state_key(id: u32) -> Vec<u8> {
    object_prefix(SEQUENCE_STATE, id)
}

/// The length of a [`row_prefix`] or an [`index_prefix`].
pub const OBJECT_PREFIX_LEN: usize = 6;

/// Prefix of all rows of a table.
pub fn row_prefix(table_id: u32) -> Vec<u8> {
    object_prefix(ROW, table_id)
}

/// Prefix of all entries of an index.
pub fn index_prefix(index_id: u32) -> Vec<u8> {
    object_prefix(INDEX_ENTRY, index_id)
}

/// Appends [`row_prefix`] to `out`.
pub fn put_row_prefix(out: &mut Vec<u8>, table_id: u32) {
    put_object_prefix(out, ROW, table_id);
}

fn object_prefix(kind: u8, id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(OBJECT_PREFIX_LEN);
    put_object_prefix(&mut k, kind, id);
    k
}

fn put_object_prefix(out: &mut Vec<u8>, kind: u8, id: u32) {
    out.extend_from_slice(&[SQL_PREFIX, kind]);
    out.extend_from_slice(&id.to_be_bytes());
}

/// Appends the order-preserving encoding of `v`.
pub fn encode_key_value(v: &Value, out: &mut Vec<u8>) {
    if v.is_null() {
        out.push(KEY_NULL);
        return;
    }
    out.push(KEY_VALUE);
    match v {
        Value::Null => {}
        Value::Boolean(b) => out.push(*b as u8),
        Value::Integer(i) => out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes()),
        Value::Float(f) => out.extend_from_slice(&float_key(*f).to_be_bytes()),
        Value::Numeric(d) => encode_numeric_key(d, out),
        Value::Text(s) => {
            for &b in s.as_bytes() {
                out.push(b);
                if b == 0 {
                    out.push(0xff);
                }
            }
            out.extend_from_slice(&[0x00, 0x01]);
        }
        Value::Date(d) => out.extend_from_slice(&((*d as u32) ^ (1 << 31)).to_be_bytes()),
        Value::Timestamp(t) | Value::TimestampTz(t) => {
            out.extend_from_slice(&((*t as u64) ^ (1 << 63)).to_be_bytes())
        }
        Value::Interval(i) => {
            out.extend_from_slice(&((i.span() as u128) ^ (1 << 127)).to_be_bytes())
        }
    }
}

/// Appends the encodings of several values (a composite key).
pub fn encode_key(values: &[Value], out: &mut Vec<u8>) {
    for v in values {
        encode_key_value(v, out);
    }
}

fn float_key(f: f64) -> u64 {
    let f = if f == 0.0 {
        0.0
    } else if f.is_nan() {
        f64::NAN
    } else {
        f
    };
    let bits = f.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    }
}

fn encode_numeric_key(d: &Decimal, out: &mut Vec<u8>) {
    if d.is_zero() {
        out.push(0x02);
        return;
    }
    let (digits, exp) = d.digits_and_exponent();
    let mut body = Vec::with_capacity(digits.len() + 3);
    let exp = (exp.clamp(i16::MIN as i32, i16::MAX as i32) as i16 as u16) ^ 0x8000;
    body.extend_from_slice(&exp.to_be_bytes());
    // Digits are stored as 1..=10 so that the terminator 0 sorts before any digit.
    body.extend(digits.iter().map(|d| d + 1));
    body.push(0x00);
    if d.is_negative() {
        out.push(0x01);
        out.extend(body.iter().map(|b| !b));
    } else {
        out.push(0x03);
        out.extend(body);
    }
}

/// What a stored SQL key addresses, read from its layout alone. Key columns stay
/// encoded: decoding them ([`decode_key`]) needs their types, from the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredKey<'a> {
    /// A table definition, by table name.
    TableDef(&'a str),
    /// The entry mapping an index name to its table.
    IndexName(&'a str),
    /// The object-id counter.
    NextId,
    /// A sequence definition, by sequence name.
    SequenceDef(&'a str),
    /// A sequence's state, by sequence id.
    SequenceState(u32),
    /// A row: its table and its encoded primary key (or hidden row id).
    Row { table_id: u32, key: &'a [u8] },
    /// An index entry: its index, the encoded indexed columns and maybe a primary key.
    IndexEntry { index_id: u32, key: &'a [u8] },
}

/// Says what `key` is, or None for a key outside the SQL layout (a key-value API key,
/// or bytes no SQL statement writes).
pub fn parse_key(key: &[u8]) -> Option<StoredKey<'_>> {
    let (&[SQL_PREFIX, kind], rest) = key.split_first_chunk::<2>()? else {
        return None;
    };
    let id = || Some(u32::from_be_bytes(*rest.first_chunk::<4>()?));
    match kind {
        TABLE_DEF => std::str::from_utf8(rest).ok().map(StoredKey::TableDef),
        INDEX_NAME => std::str::from_utf8(rest).ok().map(StoredKey::IndexName),
        NEXT_ID if rest.is_empty() => Some(StoredKey::NextId),
        SEQUENCE_DEF => std::str::from_utf8(rest).ok().map(StoredKey::SequenceDef),
        SEQUENCE_STATE if rest.len() == 4 => Some(StoredKey::SequenceState(id()?)),
        ROW => Some(StoredKey::Row {
            table_id: id()?,
            key: &rest[4..],
        }),
        INDEX_ENTRY => Some(StoredKey::IndexEntry {
            index_id: id()?,
            key: &rest[4..],
        }),
        _ => None,
    }
}

/// Decodes the order-preserving encodings of values of the given types from the front of
/// `bytes` (the inverse of [`encode_key`]); returns them and the bytes after them.
pub fn decode_key<'a>(bytes: &'a [u8], types: &[DataType]) -> Result<(Vec<Value>, &'a [u8])> {
    let mut r = Reader::new(bytes, "key");
    let values = types
        .iter()
        .map(|&ty| decode_key_value(&mut r, ty))
        .collect::<Result<_>>()?;
    Ok((values, r.bytes))
}

/// Reads one value of type `ty` in the order-preserving encoding ([`encode_key_value`]).
/// Numerics come back normalized (`1.50` as `1.5`), as the encoding keeps no scale.
pub fn decode_key_value(r: &mut Reader<'_>, ty: DataType) -> Result<Value> {
    match r.u8()? {
        KEY_NULL => return Ok(Value::Null),
        KEY_VALUE => {}
        t => return Err(r.corrupt(&format!("unknown key tag {t}"))),
    }
    Ok(match ty {
        DataType::Boolean => match r.u8()? {
            0 => Value::Boolean(false),
            1 => Value::Boolean(true),
            b => return Err(r.corrupt(&format!("boolean byte {b}"))),
        },
        DataType::Integer => Value::Integer((u64::from_be_bytes(r.array()?) ^ (1 << 63)) as i64),
        DataType::Float => {
            let k = u64::from_be_bytes(r.array()?);
            let bits = if k >> 63 == 1 { k ^ (1 << 63) } else { !k };
            Value::Float(f64::from_bits(bits))
        }
        DataType::Numeric { .. } => Value::Numeric(decode_numeric_key(r)?),
        DataType::Text { .. } => {
            let mut text = Vec::new();
            loop {
                match r.u8()? {
                    0x00 => match r.u8()? {
                        0x01 => break,
                        0xff => text.push(0),
                        b => return Err(r.corrupt(&format!("text escape 00 {b:02x}"))),
                    },
                    b => text.push(b),
                }
            }
            Value::Text(String::from_utf8(text).map_err(|_| r.corrupt("invalid UTF-8"))?)
        }
        DataType::Date => Value::Date((u32::from_be_bytes(r.array()?) ^ (1 << 31)) as i32),
        DataType::Timestamp => Value::Timestamp(key_i64(r)?),
        DataType::TimestampTz => Value::TimestampTz(key_i64(r)?),
        DataType::Interval => {
            let span = (u128::from_be_bytes(r.array()?) ^ (1 << 127)) as i128;
            let day = i128::from(USECS_PER_DAY);
            Value::Interval(Interval {
                months: 0,
                days: i32::try_from(span / day).map_err(|_| r.corrupt("interval out of range"))?,
                micros: (span % day) as i64,
            })
        }
    })
}

fn key_i64(r: &mut Reader<'_>) -> Result<i64> {
    Ok((u64::from_be_bytes(r.array()?) ^ (1 << 63)) as i64)
}

fn decode_numeric_key(r: &mut Reader<'_>) -> Result<Decimal> {
    let negative = match r.u8()? {
        0x02 => return Ok(Decimal::from_i64(0)),
        0x01 => true,
        0x03 => false,
        s => return Err(r.corrupt(&format!("numeric sign byte {s}"))),
    };
    let flip = |b: u8| if negative { !b } else { b };
    let exp = u16::from_be_bytes(r.array::<2>()?.map(flip)) ^ 0x8000;
    let exp = exp as i16 as i64;
    let mut mantissa = 0i128;
    let mut digits = 0i64;
    loop {
        let d = match flip(r.u8()?) {
            0 => break,
            d @ 1..=10 => d - 1,
            b => return Err(r.corrupt(&format!("numeric digit byte {b}"))),
        };
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(d as i128))
            .ok_or_else(|| r.corrupt("numeric has too many digits"))?;
        digits += 1;
    }
    // The value is 0.d1d2...dn * 10^exp = mantissa * 10^(exp - n).
    let shift = exp - digits;
    let (mantissa, scale) = if shift >= 0 {
        let factor = u32::try_from(shift)
            .ok()
            .and_then(|s| 10i128.checked_pow(s));
        (factor.and_then(|f| mantissa.checked_mul(f)), 0)
    } else {
        (Some(mantissa), u32::try_from(-shift).unwrap_or(u32::MAX))
    };
    let mantissa = mantissa.map(|m| if negative { -m } else { m });
    mantissa
        .and_then(|m| Decimal::new(m, scale))
        .ok_or_else(|| r.corrupt("numeric out of range"))
}

// Row values.
const T_NULL: u8 = 0;
const T_FALSE: u8 = 1;
const T_TRUE: u8 = 2;
const T_INT: u8 = 3;
const T_FLOAT: u8 = 4;
const T_NUMERIC: u8 = 5;
const T_TEXT: u8 = 6;
const T_DATE: u8 = 7;
const T_TIMESTAMP: u8 = 8;
const T_TIMESTAMPTZ: u8 = 9;
const T_INTERVAL: u8 = 10;

/// Encodes a row for storage.
pub fn encode_row<V: Borrow<Value>>(row: &[V]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_row_into(row, &mut out);
    out
}

/// Appends the encoding of a row for storage ([`encode_row`]) to `out`.
pub fn encode_row_into<V: Borrow<Value>>(row: &[V], out: &mut Vec<u8>) {
    out.reserve(2 + row.iter().map(|v| encoded_len(v.borrow())).sum::<usize>());
    out.extend_from_slice(&(row.len() as u16).to_le_bytes());
    for v in row {
        encode_value(v.borrow(), out);
    }
}

/// The length of [`encode_value`]'s encoding of `v`, or a guess for numerics (whose
/// text is made while encoding).
fn encoded_len(v: &Value) -> usize {
    match v {
        Value::Null | Value::Boolean(_) => 1,
        Value::Integer(_) | Value::Float(_) => 9,
        Value::Numeric(_) => 5 + 24,
        Value::Text(s) => 5 + s.len(),
        Value::Date(_) => 5,
        Value::Timestamp(_) | Value::TimestampTz(_) => 9,
        Value::Interval(_) => 17,
    }
}

/// Appends one value in the row format.
pub fn encode_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(T_NULL),
        Value::Boolean(false) => out.push(T_FALSE),
        Value::Boolean(true) => out.push(T_TRUE),
        Value::Integer(i) => {
            out.push(T_INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(T_FLOAT);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Numeric(d) => {
            out.push(T_NUMERIC);
            let s = d.to_string();
            put_bytes(out, s.as_bytes());
        }
        Value::Text(s) => {
            out.push(T_TEXT);
            put_bytes(out, s.as_bytes());
        }
        Value::Date(d) => {
            out.push(T_DATE);
            out.extend_from_slice(&d.to_le_bytes());
        }
        Value::Timestamp(t) => {
            out.push(T_TIMESTAMP);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::TimestampTz(t) => {
            out.push(T_TIMESTAMPTZ);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Interval(i) => {
            out.push(T_INTERVAL);
            out.extend_from_slice(&i.months.to_le_bytes());
            out.extend_from_slice(&i.days.to_le_bytes());
            out.extend_from_slice(&i.micros.to_le_bytes());
        }
    }
}

/// Appends a u32 length and the bytes.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// Decodes a stored row.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Value>> {
    match decode_row_unchecked(bytes) {
        Some(row) => Ok(row),
        None => decode_row_checked(bytes),
    }
}

/// [`decode_row`] for well-formed rows, None for any other. Every row a query reads is
/// decoded, and a [`Reader`], which names what went wrong, carried its large `Result`
/// through each field: this path only says whether the row decoded, and a row that does
/// not is decoded again by [`decode_row_checked`] for its error.
fn decode_row_unchecked(bytes: &[u8]) -> Option<Vec<Value>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = b.split_at_checked(n)?;
        *b = rest;
        Some(head)
    }
    fn array<const N: usize>(b: &mut &[u8]) -> Option<[u8; N]> {
        let (head, rest) = b.split_first_chunk::<N>()?;
        *b = rest;
        Some(*head)
    }
    fn text<'a>(b: &mut &'a [u8]) -> Option<&'a str> {
        let n = u32::from_le_bytes(array(b)?) as usize;
        std::str::from_utf8(take(b, n)?).ok()
    }
    let mut b = bytes;
    let n = u16::from_le_bytes(array(&mut b)?) as usize;
    let mut row = Vec::with_capacity(n);
    for _ in 0..n {
        let v = match array::<1>(&mut b)?[0] {
            T_NULL => Value::Null,
            T_FALSE => Value::Boolean(false),
            T_TRUE => Value::Boolean(true),
            T_INT => Value::Integer(i64::from_le_bytes(array(&mut b)?)),
            T_FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(array(&mut b)?))),
            T_NUMERIC => Value::Numeric(Decimal::parse(text(&mut b)?)?),
            T_TEXT => Value::Text(text(&mut b)?.to_owned()),
            T_DATE => Value::Date(i32::from_le_bytes(array(&mut b)?)),
            T_TIMESTAMP => Value::Timestamp(i64::from_le_bytes(array(&mut b)?)),
            T_TIMESTAMPTZ => Value::TimestampTz(i64::from_le_bytes(array(&mut b)?)),
            T_INTERVAL => Value::Interval(Interval {
                months: i32::from_le_bytes(array(&mut b)?),
                days: i32::from_le_bytes(array(&mut b)?),
                micros: i64::from_le_bytes(array(&mut b)?),
            }),
            _ => return None,
        };
        row.push(v);
    }
    b.is_empty().then_some(row)
}

/// [`decode_row`] one checked field at a time, naming what is wrong with a bad row.
fn decode_row_checked(bytes: &[u8]) -> Result<Vec<Value>> {
    let mut r = Reader::new(bytes, "row");
    let n = r.u16()? as usize;
    let mut row = Vec::with_capacity(n);
    for _ in 0..n {
        row.push(r.value()?);
    }
    r.finish()?;
    Ok(row)
}

/// A cursor over stored bytes whose every read fails cleanly (XX001) on truncation.
pub struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { bytes, what }
    }

    pub(crate) fn corrupt(&self, why: &str) -> Error {
        Error::Corrupt(format!("{}: {why}", self.what))
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(self.corrupt("truncated"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    pub fn string(&mut self) -> Result<String> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| self.corrupt("invalid UTF-8"))
    }

    pub fn value(&mut self) -> Result<Value> {
        Ok(match self.u8()? {
            T_NULL => Value::Null,
            T_FALSE => Value::Boolean(false),
            T_TRUE => Value::Boolean(true),
            T_INT => Value::Integer(i64::from_le_bytes(self.array()?)),
            T_FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(self.array()?))),
            T_NUMERIC => {
                let s = self.string()?;
                Value::Numeric(Decimal::parse(&s).ok_or_else(|| self.corrupt("bad numeric"))?)
            }
            T_TEXT => Value::Text(self.string()?),
            T_DATE => Value::Date(i32::from_le_bytes(self.array()?)),
            T_TIMESTAMP => Value::Timestamp(self.i64()?),
            T_TIMESTAMPTZ => Value::TimestampTz(self.i64()?),
            T_INTERVAL => Value::Interval(Interval {
                months: i32::from_le_bytes(self.array()?),
                days: i32::from_le_bytes(self.array()?),
                micros: self.i64()?,
            }),
            t => return Err(self.corrupt(&format!("unknown value tag {t}"))),
        })
    }

    /// Fails if bytes are left over.
    pub fn finish(&self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt("trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(v: &Value) -> Vec<u8> {
        let mut k = Vec::new();
        encode_key_value(v, &mut k);
        k
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..12).prop_map(|(m, s)| Decimal::new(m as i128, s).unwrap())
    }

    fn interval() -> impl Strategy<Value = Interval> {
        (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| Interval {
            months,
            days,
            micros,
        })
    }

    /// A date, timestamp, timestamp with time zone or interval.
    fn datetime() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i32>().prop_map(Value::Date),
            any::<i64>().prop_map(Value::Timestamp),
            any::<i64>().prop_map(Value::TimestampTz),
            interval().prop_map(Value::Interval),
        ]
    }

    proptest! {
        #[test]
        fn integer_keys_sort_like_integers(a: i64, b: i64) {
            prop_assert_eq!(a.cmp(&b), key(&Value::Integer(a)).cmp(&key(&Value::Integer(b))));
        }

        #[test]
        fn float_keys_sort_like_floats(a: f64, b: f64) {
            let (va, vb) = (Value::Float(a), Value::Float(b));
            prop_assert_eq!(va.sort_cmp(&vb), key(&va).cmp(&key(&vb)));
        }

        #[test]
        fn numeric_keys_sort_like_numbers(a in decimal(), b in decimal()) {
            prop_assert_eq!(a.cmp(&b), key(&Value::Numeric(a)).cmp(&key(&Value::Numeric(b))));
        }

        #[test]
        fn date_and_timestamp_keys_sort_like_the_instants_they_are(a: i32, b: i32, x: i64, y: i64) {
            prop_assert_eq!(a.cmp(&b), key(&Value::Date(a)).cmp(&key(&Value::Date(b))));
            let (kx, ky) = (key(&Value::Timestamp(x)), key(&Value::TimestampTz(y)));
            prop_assert_eq!(x.cmp(&y), kx.cmp(&ky));
        }

        #[test]
        fn interval_keys_sort_like_interval_comparisons(a in interval(), b in interval()) {
            let (va, vb) = (Value::Interval(a), Value::Interval(b));
            prop_assert_eq!(va.sort_cmp(&vb), key(&va).cmp(&key(&vb)));
        }

        #[test]
        fn text_keys_sort_like_strings(a: String, b: String) {
            let (ka, kb) = (key(&Value::from(a.as_str())), key(&Value::from(b.as_str())));
            prop_assert_eq!(a.cmp(&b), ka.cmp(&kb));
        }

        #[test]
        fn composite_keys_sort_column_by_column(
            a in (any::<Option<i64>>(), ".{0,4}"),
            b in (any::<Option<i64>>(), ".{0,4}"),
        ) {
            let row = |(i, s): &(Option<i64>, String)| {
                vec![i.map_or(Value::Null, Value::Integer), Value::from(s.as_str())]
            };
            let (ra, rb) = (row(&a), row(&b));
            let expected = ra[0].sort_cmp(&rb[0]).then(ra[1].sort_cmp(&rb[1]));
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            encode_key(&ra, &mut ka);
            encode_key(&rb, &mut kb);
            prop_assert_eq!(expected, ka.cmp(&kb));
        }

        #[test]
        fn rows_round_trip(
            ints: Vec<Option<i64>>,
            s: String,
            f: f64,
            d in decimal(),
            times in proptest::collection::vec(datetime(), 0..4),
        ) {
            let mut row: Vec<Value> = ints.iter().map(|i| i.map_or(Value::Null, Value::Integer)).collect();
            row.push(Value::from(s.as_str()));
            row.push(Value::Numeric(d));
            row.push(Value::Boolean(true));
            row.extend(times);
            let back = decode_row(&encode_row(&row)).unwrap();
            prop_assert_eq!(&back, &row);
            // Debug, not ==, which equates intervals of the same length.
            prop_assert_eq!(format!("{back:?}"), format!("{row:?}"));
            let fl = decode_row(&encode_row(&[Value::Float(f)])).unwrap();
            prop_assert!(matches!(fl[0], Value::Float(x) if x.to_bits() == f.to_bits()));
        }

        #[test]
        fn garbage_rows_fail_cleanly(bytes: Vec<u8>) {
            let _ = decode_row(&bytes);
        }

        #[test]
        fn the_fast_and_the_checked_row_decoders_agree(
            ints: Vec<Option<i64>>,
            s: String,
            d in decimal(),
            time in datetime(),
            cut: prop::sample::Index,
            flip: prop::sample::Index,
            bits: u8,
        ) {
            let mut row: Vec<Value> = ints.iter().map(|i| i.map_or(Value::Null, Value::Integer)).collect();
            row.push(Value::from(s.as_str()));
            row.push(Value::Numeric(d));
            row.push(Value::Boolean(false));
            row.push(Value::Float(0.5));
            row.push(time);
            let good = encode_row(&row);
            let mut bad = good.clone();
            bad[flip.index(good.len())] ^= bits;
            let cut = &good[..cut.index(good.len())];
            for bytes in [&good[..], &bad[..], cut] {
                // Debug, not ==, which equates values of different types.
                let fast = format!("{:?}", decode_row_unchecked(bytes));
                let checked = format!("{:?}", decode_row_checked(bytes).ok());
                prop_assert_eq!(fast, checked);
            }
        }
    }

    #[test]
    fn equal_numerics_at_different_scales_share_a_key() {
        let a = Value::Numeric(Decimal::parse("1.50").unwrap());
        let b = Value::Numeric(Decimal::parse("1.5").unwrap());
        assert_eq!(key(&a), key(&b));
    }

    #[test]
    fn intervals_of_one_length_share_a_key_that_decodes_to_days_and_time() {
        let month = Value::Interval(Interval {
            months: 1,
            days: 0,
            micros: 0,
        });
        let days = Value::Interval(Interval {
            months: 0,
            days: 30,
            micros: 0,
        });
        assert_eq!(key(&month), key(&days));
        let (back, _) = decode_key(&key(&month), &[DataType::Interval]).unwrap();
        assert_eq!(back[0].to_string(), "30 days");
    }

    #[test]
    fn null_sorts_after_every_value() {
        assert!(key(&Value::Null) > key(&Value::Integer(i64::MAX)));
        assert!(key(&Value::Null) > key(&Value::from("\u{10ffff}")));
    }

    /// A column type and a value of it (or NULL), the way a key column holds one.
    fn typed_value() -> impl Strategy<Value = (DataType, Value)> {
        let null_or = |ty: DataType, v: BoxedStrategy<Value>| {
            prop_oneof![1 => Just(Value::Null), 9 => v].prop_map(move |v| (ty, v))
        };
        prop_oneof![
            null_or(
                DataType::Boolean,
                any::<bool>().prop_map(Value::Boolean).boxed()
            ),
            null_or(
                DataType::Integer,
                any::<i64>().prop_map(Value::Integer).boxed()
            ),
            null_or(DataType::Float, any::<f64>().prop_map(Value::Float).boxed()),
            null_or(
                DataType::NUMERIC,
                decimal().prop_map(Value::Numeric).boxed()
            ),
            null_or(
                DataType::Text { max_len: None },
                any::<String>().prop_map(Value::Text).boxed()
            ),
            null_or(DataType::Date, any::<i32>().prop_map(Value::Date).boxed()),
            null_or(
                DataType::Timestamp,
                any::<i64>().prop_map(Value::Timestamp).boxed()
            ),
            null_or(
                DataType::TimestampTz,
                any::<i64>().prop_map(Value::TimestampTz).boxed()
            ),
            // Keys keep an interval's length (`==` equates intervals of one length), and
            // decode lengths of up to 2^31 days.
            null_or(
                DataType::Interval,
                (any::<i16>(), any::<i16>(), any::<i64>())
                    .prop_map(|(months, days, micros)| {
                        Value::Interval(Interval {
                            months: months.into(),
                            days: days.into(),
                            micros,
                        })
                    })
                    .boxed()
            ),
        ]
    }

    proptest! {
        #[test]
        fn keys_decode_to_the_values_they_encode(
            columns in proptest::collection::vec(typed_value(), 0..5),
            tail: Vec<u8>,
        ) {
            let (types, values): (Vec<DataType>, Vec<Value>) = columns.into_iter().unzip();
            let mut k = Vec::new();
            encode_key(&values, &mut k);
            k.extend_from_slice(&tail);
            let (back, rest) = decode_key(&k, &types).unwrap();
            prop_assert_eq!(&back, &values);
            prop_assert_eq!(rest, &tail[..]);
        }

        #[test]
        fn garbage_keys_fail_cleanly(bytes: Vec<u8>, ty in typed_value()) {
            let _ = decode_key(&bytes, &[ty.0, ty.0]);
            let _ = parse_key(&bytes);
        }
    }

    #[test]
    fn decoded_floats_keep_their_bits_but_fold_negative_zero() {
        for f in [
            1.5,
            -1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -0.0,
        ] {
            let (back, _) = decode_key(&key(&Value::Float(f)), &[DataType::Float]).unwrap();
            let expected = if f == 0.0 { 0.0f64 } else { f };
            assert!(matches!(back[0], Value::Float(x) if x.to_bits() == expected.to_bits()));
        }
    }

    #[test]
    fn numerics_at_the_limits_of_precision_decode() {
        let ty = DataType::NUMERIC;
        for text in [
            "99999999999999999999999999999999999999",
            "-0.00000000000000000000000000000000000001",
            "10000000000000000000000000000000000000",
            "-123.4500",
        ] {
            let v = Value::Numeric(Decimal::parse(text).unwrap());
            let (back, _) = decode_key(&key(&v), &[ty]).unwrap();
            assert_eq!(back[0], v, "{text}");
        }
    }

    #[test]
    fn stored_keys_are_recognized_by_their_layout() {
        let mut row = row_prefix(7);
        encode_key_value(&Value::Integer(1), &mut row);
        assert_eq!(
            parse_key(&row),
            Some(StoredKey::Row {
                table_id: 7,
                key: &row[6..]
            })
        );
        assert_eq!(
            parse_key(&index_prefix(9)),
            Some(StoredKey::IndexEntry {
                index_id: 9,
                key: &[]
            })
        );
        assert_eq!(
            parse_key(&table_def_key("t")),
            Some(StoredKey::TableDef("t"))
        );
        assert_eq!(
            parse_key(&index_name_key("i")),
            Some(StoredKey::IndexName("i"))
        );
        assert_eq!(parse_key(&next_id_key()), Some(StoredKey::NextId));
        for other in [&b"kv:user"[..], &[0x00, 0x10, 0x00], &[0x00], &[0x00, 0x7f]] {
            assert_eq!(parse_key(other), None);
        }
    }
}
