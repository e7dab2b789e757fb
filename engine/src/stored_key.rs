//! Keys as the version store holds them.

use std::hash::{Hash, Hasher};

/// Keys up to this many bytes are stored inline.
pub(crate) const INLINE_KEY: usize = 22;

/// A key as the store holds it. A skip-list search compares the sought key with dozens of
/// nodes' keys; kept inline, a short key sits on the node's own cache line instead of
/// costing a second cache miss each time. Longer keys live on the heap. Ordered, compared,
/// hashed and borrowed exactly as the bytes they hold, so maps keyed by it can be searched
/// with a `&[u8]`.
#[derive(Clone)]
pub(crate) enum StoredKey {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl StoredKey {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            StoredKey::Inline { len, bytes } => &bytes[..*len as usize],
            StoredKey::Heap(bytes) => bytes,
        }
    }
}

/// A key about to be compared with many stored ones, as a hash-table probe does: a short
/// key is laid out once as the zero-padded array an inline [`StoredKey`] holds, so that
/// each comparison is a length check and a few word compares, not a call to `memcmp`.
pub(crate) struct Probe<'a> {
    key: &'a [u8],
    padded: [u8; INLINE_KEY],
}

impl<'a> Probe<'a> {
    pub(crate) fn new(key: &'a [u8]) -> Probe<'a> {
        let mut padded = [0; INLINE_KEY];
        if key.len() <= INLINE_KEY {
            padded[..key.len()].copy_from_slice(key);
        }
        Probe { key, padded }
    }

    /// Whether `stored` holds the probe's key.
    pub(crate) fn matches(&self, stored: &StoredKey) -> bool {
        match stored {
            // Both padded with zeros past their length: equal arrays of equal length
            // are the same key.
            StoredKey::Inline { len, bytes } => {
                usize::from(*len) == self.key.len() && *bytes == self.padded
            }
            StoredKey::Heap(bytes) => **bytes == *self.key,
        }
    }
}

impl From<&[u8]> for StoredKey {
    fn from(key: &[u8]) -> StoredKey {
        if key.len() > INLINE_KEY {
            return StoredKey::Heap(key.into());
        }
        let mut bytes = [0; INLINE_KEY];
        bytes[..key.len()].copy_from_slice(key);
        StoredKey::Inline {
            len: key.len() as u8,
            bytes,
        }
    }
}

impl std::borrow::Borrow<[u8]> for StoredKey {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for StoredKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for StoredKey {}

impl Hash for StoredKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The same as the borrowed `[u8]`'s hash, as `Borrow` requires.
        self.as_slice().hash(state)
    }
}

impl PartialOrd for StoredKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StoredKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_matches_exactly_the_stored_key_with_its_bytes() {
        let keys: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            // Differs from "a" only in a trailing zero, which the padding also holds.
            b"a\0".to_vec(),
            vec![0; INLINE_KEY],
            vec![0; INLINE_KEY + 1],
            vec![7; INLINE_KEY],
            vec![7; INLINE_KEY + 1],
            [vec![7; INLINE_KEY], vec![8]].concat(),
        ];
        for sought in &keys {
            let probe = Probe::new(sought);
            for stored in &keys {
                assert_eq!(
                    probe.matches(&StoredKey::from(stored.as_slice())),
                    sought == stored,
                    "probe {sought:?} against stored {stored:?}"
                );
            }
        }
    }
}
