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
