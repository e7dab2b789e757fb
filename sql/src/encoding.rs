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
//!
//! Every encoding is self-delimiting, so composite keys are concatenations and a prefix
//! of columns is a key prefix. A unique index whose columns are all non-NULL stores
//! exactly the indexed columns in the key (so a duplicate is the same key); otherwise the
//! primary key is appended (PostgreSQL's UNIQUE allows many NULLs).
//!
//! Rows (the values) use a plain tagged format: a u16 column count, then per value a tag
//! byte and its payload (little-endian numbers, length-prefixed text).

use crate::error::{Error, Result};
use crate::numeric::Decimal;
use crate::types::Value;

/// The first byte of every SQL key.
pub const SQL_PREFIX: u8 = 0x00;
const TABLE_DEF: u8 = 0x01;
const INDEX_NAME: u8 = 0x02;
const NEXT_ID: u8 = 0x03;
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

/// Prefix of all rows of a table.
pub fn row_prefix(table_id: u32) -> Vec<u8> {
    let mut k = vec![SQL_PREFIX, ROW];
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// Prefix of all entries of an index.
pub fn index_prefix(index_id: u32) -> Vec<u8> {
    let mut k = vec![SQL_PREFIX, INDEX_ENTRY];
    k.extend_from_slice(&index_id.to_be_bytes());
    k
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

// Row values.
const T_NULL: u8 = 0;
const T_FALSE: u8 = 1;
const T_TRUE: u8 = 2;
const T_INT: u8 = 3;
const T_FLOAT: u8 = 4;
const T_NUMERIC: u8 = 5;
const T_TEXT: u8 = 6;

/// Encodes a row for storage.
pub fn encode_row(row: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * row.len());
    out.extend_from_slice(&(row.len() as u16).to_le_bytes());
    for v in row {
        encode_value(v, &mut out);
    }
    out
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
    }
}

/// Appends a u32 length and the bytes.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// Decodes a stored row.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Value>> {
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

    fn corrupt(&self, why: &str) -> Error {
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
        fn rows_round_trip(ints: Vec<Option<i64>>, s: String, f: f64, d in decimal()) {
            let mut row: Vec<Value> = ints.iter().map(|i| i.map_or(Value::Null, Value::Integer)).collect();
            row.push(Value::from(s.as_str()));
            row.push(Value::Numeric(d));
            row.push(Value::Boolean(true));
            let back = decode_row(&encode_row(&row)).unwrap();
            prop_assert_eq!(&back, &row);
            let fl = decode_row(&encode_row(&[Value::Float(f)])).unwrap();
            prop_assert!(matches!(fl[0], Value::Float(x) if x.to_bits() == f.to_bits()));
        }

        #[test]
        fn garbage_rows_fail_cleanly(bytes: Vec<u8>) {
            let _ = decode_row(&bytes);
        }
    }

    #[test]
    fn equal_numerics_at_different_scales_share_a_key() {
        let a = Value::Numeric(Decimal::parse("1.50").unwrap());
        let b = Value::Numeric(Decimal::parse("1.5").unwrap());
        assert_eq!(key(&a), key(&b));
    }

    #[test]
    fn null_sorts_after_every_value() {
        assert!(key(&Value::Null) > key(&Value::Integer(i64::MAX)));
        assert!(key(&Value::Null) > key(&Value::from("\u{10ffff}")));
    }
}
