//! The payload of a commit record in the write-ahead log.
//!
//! The `wal` crate frames, checksums and numbers records; this is what is inside one: a
//! committed write set and the messages the transaction published. Recovery, log
//! rewrite and (later) replication all apply it the same way.
//!
//! | field          | size     | meaning                                              |
//! |----------------|----------|------------------------------------------------------|
//! | kind           | 1        | [`KIND_COMMIT`]                                      |
//! | commit ts      | 8        | commit timestamp                                     |
//! | write count    | 4        | number of writes that follow                         |
//! | writes         | variable | op (1: [`OP_PUT`] / [`OP_DELETE`]), key length (4), key, and for a put value length (4), value |
//! | message count  | 4        | number of published messages that follow             |
//! | messages       | variable | channel length (4), channel, payload length (4), payload |
//!
//! All integers are little-endian, as everywhere in isolde's files. A log rewrite writes
//! the state as a sequence of these records, all at the snapshot's timestamp.

use isolde_engine::{Timestamp, Value};

/// Record kind: a committed transaction (or a chunk of a rewritten base).
pub const KIND_COMMIT: u8 = 1;
/// Write op: the key now has the value that follows.
pub const OP_PUT: u8 = 1;
/// Write op: the key was deleted.
pub const OP_DELETE: u8 = 2;

/// A decoded commit record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitRecord {
    /// The commit timestamp.
    pub ts: Timestamp,
    /// Keys and their new values (None for deletes), each key once. Only changes: a
    /// committed transaction's delete of a key that had no value is left out.
    pub writes: Vec<(Vec<u8>, Option<Value>)>,
    /// Messages published by the transaction: (channel, payload).
    pub messages: Vec<(Vec<u8>, Vec<u8>)>,
}

impl CommitRecord {
    /// Serialises the record.
    pub fn encode(&self) -> Vec<u8> {
        let size: usize = 17
            + self
                .writes
                .iter()
                .map(|(k, v)| 9 + k.len() + v.as_ref().map_or(0, |v| v.len()))
                .sum::<usize>()
            + self
                .messages
                .iter()
                .map(|(c, p)| 8 + c.len() + p.len())
                .sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.push(KIND_COMMIT);
        out.extend_from_slice(&self.ts.to_le_bytes());
        put_len(&mut out, self.writes.len());
        for (key, value) in &self.writes {
            out.push(if value.is_some() { OP_PUT } else { OP_DELETE });
            put_bytes(&mut out, key);
            if let Some(value) = value {
                put_bytes(&mut out, value);
            }
        }
        put_len(&mut out, self.messages.len());
        for (channel, payload) in &self.messages {
            put_bytes(&mut out, channel);
            put_bytes(&mut out, payload);
        }
        out
    }

    /// Parses a record; the error says what is wrong and where.
    pub fn decode(bytes: &[u8]) -> Result<CommitRecord, String> {
        let mut r = Reader { bytes, pos: 0 };
        match r.u8()? {
            KIND_COMMIT => {}
            kind => return Err(format!("unknown record kind {kind}")),
        }
        let ts = r.u64()?;
        let count = r.count()?;
        let mut writes = Vec::with_capacity(count);
        for _ in 0..count {
            let op = r.u8()?;
            let key = r.bytes()?.to_vec();
            let value = match op {
                OP_PUT => Some(Value::from(r.bytes()?)),
                OP_DELETE => None,
                op => return Err(format!("unknown write op {op} at byte {}", r.pos - 1)),
            };
            writes.push((key, value));
        }
        let count = r.count()?;
        let mut messages = Vec::with_capacity(count);
        for _ in 0..count {
            messages.push((r.bytes()?.to_vec(), r.bytes()?.to_vec()));
        }
        if r.pos != bytes.len() {
            return Err(format!(
                "{} trailing bytes after the record",
                bytes.len() - r.pos
            ));
        }
        Ok(CommitRecord {
            ts,
            writes,
            messages,
        })
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Keys, values and counts are bounded well below 4 GiB by the transaction limits.
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(format!(
                "record ends at byte {} but {n} more bytes were expected at byte {}",
                self.bytes.len(),
                self.pos
            ));
        };
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        let mut buf = [0; 4];
        buf.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(buf))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let mut buf = [0; 8];
        buf.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(buf))
    }

    /// A count of items, each at least one byte, so a count beyond the bytes left is corrupt.
    fn count(&mut self) -> Result<usize, String> {
        let count = self.u32()? as usize;
        if count > self.bytes.len() - self.pos {
            return Err(format!(
                "count {count} at byte {} exceeds the record",
                self.pos - 4
            ));
        }
        Ok(count)
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn records_round_trip(
            ts in any::<u64>(),
            writes in prop::collection::vec((prop::collection::vec(any::<u8>(), 1..8), prop::option::of(prop::collection::vec(any::<u8>(), 0..8))), 0..6),
            messages in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..8), prop::collection::vec(any::<u8>(), 0..8)), 0..3),
        ) {
            let record = CommitRecord {
                ts,
                writes: writes.into_iter().map(|(k, v)| (k, v.map(Value::from))).collect(),
                messages,
            };
            prop_assert_eq!(CommitRecord::decode(&record.encode()), Ok(record));
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = CommitRecord::decode(&bytes);
        }
    }

    #[test]
    fn truncated_record_is_an_error_naming_the_position() {
        let record = CommitRecord {
            ts: 7,
            writes: vec![(b"k".to_vec(), Some(Value::from(&b"v"[..])))],
            messages: vec![],
        };
        let bytes = record.encode();
        for cut in 0..bytes.len() {
            assert!(CommitRecord::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
