//! How the embedded API lays its data out in the one ordered key space.
//!
//! | first byte | namespace | key after it | value |
//! |---|---|---|---|
//! | `0x00` | SQL tables, indexes, catalog (`isolde-sql`) | see `sql/src/encoding.rs` | rows |
//! | `0x01` [`KV_PREFIX`] | key-value API | the user's key | [`expiry`](crate::expiry) header + the user's value |
//! | `0x02` [`QUEUE_PREFIX`] | transactional queues | queue name length (2, big-endian), name, sequence number (8, big-endian) | the message |
//! | `0x03` [`EXPIRY_PREFIX`] | expiry index | expiry time in ms since the epoch (8, big-endian), then the KV key | empty |
//!
//! Big-endian numbers inside keys make byte order equal numeric order, so a queue's
//! messages and the expiry index are read in order by a plain range scan.

/// The longest key the key-value API accepts, in bytes: the transaction layer's limit
/// ([`isolde_txn::MAX_KEY_SIZE`], 64 KiB) less the 10 bytes that the longest stored form
/// of a key adds, its expiry index entry (`0x03`, the 8-byte time, then the key with its
/// `0x01`). A key of this length is accepted with or without a TTL.
pub const MAX_KEY_SIZE: usize = isolde_txn::MAX_KEY_SIZE - 10;
/// The largest value the key-value API accepts, in bytes: the transaction layer's limit
/// ([`isolde_txn::MAX_VALUE_SIZE`], 64 MiB) less the longest value header, 9 bytes with an
/// expiry time (see [`crate::expiry`]).
pub const MAX_VALUE_SIZE: usize = isolde_txn::MAX_VALUE_SIZE - 9;

/// First byte of every key-value key.
pub const KV_PREFIX: u8 = 0x01;
/// First byte of every queue message key.
pub const QUEUE_PREFIX: u8 = 0x02;
/// First byte of every expiry index entry.
pub const EXPIRY_PREFIX: u8 = 0x03;

/// The stored form of a key-value key (or of a range bound).
pub(crate) fn kv_key(key: &[u8]) -> Vec<u8> {
    [&[KV_PREFIX], key].concat()
}

/// The prefix of every message of `queue`.
pub(crate) fn queue_prefix(queue: &[u8]) -> Vec<u8> {
    // Names are capped at MAX_QUEUE_NAME, so the length fits the two bytes.
    let len = (queue.len() as u16).to_be_bytes();
    [&[QUEUE_PREFIX], &len[..], queue].concat()
}

/// The key of message `seq` of `queue`.
pub(crate) fn queue_key(queue: &[u8], seq: u64) -> Vec<u8> {
    [queue_prefix(queue), seq.to_be_bytes().to_vec()].concat()
}

/// The sequence number at the end of a queue message key, if it is one.
pub(crate) fn queue_seq(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    (key.first() == Some(&QUEUE_PREFIX)).then(|| u64::from_be_bytes(tail))
}

/// The expiry index entry of stored key `kv_key` expiring at `at_ms`.
pub(crate) fn expiry_key(at_ms: u64, kv_key: &[u8]) -> Vec<u8> {
    [&[EXPIRY_PREFIX], &at_ms.to_be_bytes()[..], kv_key].concat()
}

/// Splits an expiry index key into its time and the stored KV key.
pub(crate) fn parse_expiry_key(key: &[u8]) -> Option<(u64, &[u8])> {
    let at: [u8; 8] = key.get(1..9)?.try_into().ok()?;
    (key.first() == Some(&EXPIRY_PREFIX)).then(|| (u64::from_be_bytes(at), &key[9..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keys_sort_by_queue_then_sequence() {
        let mut keys = [
            queue_key(b"b", 1),
            queue_key(b"a", 300),
            queue_key(b"a", 2),
            queue_key(b"ab", 0),
        ];
        keys.sort();
        let seqs: Vec<_> = keys.iter().map(|k| queue_seq(k).unwrap()).collect();
        assert_eq!(
            seqs,
            vec![2, 300, 1, 0],
            "a's messages in order, then b (shorter name), then ab"
        );
    }

    #[test]
    fn expiry_keys_round_trip_and_sort_by_time() {
        let (early, late) = (expiry_key(5, b"\x01zz"), expiry_key(600, b"\x01aa"));
        assert!(early < late);
        assert_eq!(parse_expiry_key(&late), Some((600, &b"\x01aa"[..])));
        assert_eq!(parse_expiry_key(b"\x03abc"), None);
    }
}
