//! A hash index from key to chain, beside the ordered skip list, for point lookups.
//!
//! A skip-list search of a million keys visits a few dozen nodes, and on a machine whose
//! memory is a couple of hundred nanoseconds away, the dozen or so of them that are not in
//! cache cost well over a microsecond. A hash lookup costs two or three misses whatever the
//! size. So the store keeps both: the skip list for order (scans, checkpoints) and for
//! deciding which chain is a key's one, this index for finding a known key's chain fast.
//!
//! The index is split into shards, each a `HashMap` behind its own reader-writer lock, so
//! readers on different threads rarely touch the same lock word. It follows the skip list
//! and never leads it: a chain is published here by whoever found or created it in the
//! skip list, before anything is written into it, and a chain that garbage collection
//! unlinked (a *dead* one) is replaced or removed afterwards. A lookup may therefore
//! briefly find a dead chain, which holds nothing visible, or no chain for a key whose
//! chain was just created and is still empty; it never misses a version.
//!
//! Lock order: a shard's lock may be held while taking a chain's lock, never the reverse.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

use parking_lot::RwLock;

use crate::stored_key::StoredKey;

/// Number of shards: a power of two, enough that two threads seldom share one.
const SHARDS: usize = 256;

/// One shard, on a cache line of its own so that shards' lock words do not share lines.
#[repr(align(64))]
struct Shard<V>(RwLock<HashMap<StoredKey, V, KeyHash>>);

/// Key to `V` (a shared handle to a chain), sharded.
pub(crate) struct PointIndex<V> {
    shards: Box<[Shard<V>]>,
    /// Picks the shard. Seeded apart from the maps' own hasher, whose bucket choice would
    /// otherwise correlate with the shard (every key in a shard sharing some hash bits).
    shard_hasher: KeyHash,
}

impl<V: Clone> PointIndex<V> {
    pub(crate) fn new() -> PointIndex<V> {
        let maps = KeyHash::random();
        PointIndex {
            shards: (0..SHARDS)
                .map(|_| Shard(RwLock::new(HashMap::with_hasher(maps))))
                .collect(),
            shard_hasher: KeyHash::random(),
        }
    }

    fn shard(&self, key: &[u8]) -> &RwLock<HashMap<StoredKey, V, KeyHash>> {
        let hash = self.shard_hasher.hash_one(key);
        &self.shards[hash as usize % SHARDS].0
    }

    /// Runs `f` on `key`'s entry under its shard's read lock.
    pub(crate) fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&V>) -> R) -> R {
        f(self.shard(key).read().get(key))
    }

    /// Makes room for `additional` more keys, spread over the shards, so that a bulk load
    /// of a known size does not grow each shard's table step by step.
    pub(crate) fn reserve(&self, additional: usize) {
        for shard in self.shards.iter() {
            shard.0.write().reserve(additional / SHARDS + 1);
        }
    }

    /// `key`'s entry, cloned.
    pub(crate) fn get(&self, key: &[u8]) -> Option<V> {
        self.read(key, |found| found.cloned())
    }

    /// Makes `value` the entry of `key`, unless `value` is dead itself or a live entry is
    /// already there (then `value` is that same chain, or it died and was replaced, and
    /// its caller sees so when it locks it). A dead entry is replaced.
    pub(crate) fn publish(&self, key: &[u8], value: &V, is_dead: impl Fn(&V) -> bool) {
        let mut shard = self.shard(key).write();
        if is_dead(value) {
            return;
        }
        match shard.entry(StoredKey::from(key)) {
            Entry::Occupied(mut existing) if is_dead(existing.get()) => {
                existing.insert(value.clone());
            }
            Entry::Occupied(_) => {}
            Entry::Vacant(slot) => {
                slot.insert(value.clone());
            }
        }
    }

    /// Removes `key`'s entry if `is_it` says it is the one to remove.
    pub(crate) fn remove_if(&self, key: &[u8], is_it: impl FnOnce(&V) -> bool) {
        let mut shard = self.shard(key).write();
        if shard.get(key).is_some_and(is_it) {
            shard.remove(key);
        }
    }
}

/// A seeded multiply-and-fold hash for keys: a few nanoseconds for a short key where
/// SipHash takes tens, which counts when every point operation hashes twice. The random
/// per-process seed keeps the bucket of a key unpredictable from outside, as far as a
/// non-cryptographic hash can.
#[derive(Clone, Copy)]
struct KeyHash {
    seed: u64,
}

impl KeyHash {
    fn random() -> KeyHash {
        KeyHash {
            seed: RandomState::new().hash_one(0_u64),
        }
    }
}

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher { acc: self.seed }
    }
}

/// Odd constants from the golden ratio and pi's digits, as multiply-fold hashes use.
const MUL: [u64; 2] = [0x9e37_79b9_7f4a_7c15, 0x243f_6a88_85a3_08d3];

/// The 128-bit product of `a` and `b`, its halves xored: every input bit reaches every
/// output bit.
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

struct KeyHasher {
    acc: u64,
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buf = [0; 8];
            buf.copy_from_slice(word);
            self.acc = fold(self.acc ^ u64::from_le_bytes(buf), MUL[0]);
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut buf = [0; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.acc = fold(self.acc ^ u64::from_le_bytes(buf), MUL[1]);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.acc = fold(self.acc ^ n as u64, MUL[1]);
    }

    fn finish(&self) -> u64 {
        fold(self.acc, MUL[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differing_in_any_byte_spread_over_shards_and_buckets() {
        // Decimal keys that differ only in their last bytes, as ordered keys often do.
        let hash = KeyHash::random();
        let keys: Vec<Vec<u8>> = (0..4096_u32)
            .map(|i| format!("key:{i:012}").into_bytes())
            .collect();
        let mut shards = vec![0_u32; SHARDS];
        let mut low_bits = std::collections::HashSet::new();
        // The map compares a key only where the top 7 bits of its hash match.
        let mut top_bits = [0_u32; 128];
        for k in &keys {
            let h = hash.hash_one(k.as_slice());
            shards[h as usize % SHARDS] += 1;
            low_bits.insert(h & 0xfff);
            top_bits[(h >> 57) as usize] += 1;
        }
        assert!(top_bits.iter().all(|&n| n > 0 && n < 96), "{top_bits:?}");
        // 16 keys a shard on average; none empty or holding a quarter of them.
        assert!(shards.iter().all(|&n| n > 0 && n < 1024), "{shards:?}");
        // Close to 4096 distinct 12-bit buckets' worth (a random function gives ~2590).
        assert!(low_bits.len() > 2000, "{} distinct", low_bits.len());
    }

    #[test]
    fn index_publishes_replaces_dead_entries_and_removes_only_the_named_one() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        type Entry = Arc<(u32, AtomicBool)>;
        let entry = |n| Arc::new((n, AtomicBool::new(false)));
        let dead = |v: &Entry| v.1.load(Ordering::Relaxed);
        let id = |v: Option<Entry>| v.map(|v| v.0);
        let index: PointIndex<Entry> = PointIndex::new();
        let first = entry(1);
        index.publish(b"k", &first, dead);
        index.publish(b"k", &entry(2), dead);
        assert_eq!(id(index.get(b"k")), Some(1), "a live entry stays");
        first.1.store(true, Ordering::Relaxed);
        index.publish(b"k", &entry(3), dead);
        assert_eq!(id(index.get(b"k")), Some(3), "a dead entry is replaced");
        let gone = entry(4);
        gone.1.store(true, Ordering::Relaxed);
        index.publish(b"j", &gone, dead);
        assert_eq!(id(index.get(b"j")), None, "a dead value is never published");
        index.remove_if(b"k", |v| v.0 == 1);
        assert_eq!(id(index.get(b"k")), Some(3), "only the named entry goes");
        index.remove_if(b"k", |v| v.0 == 3);
        assert_eq!(id(index.get(b"k")), None);
    }
}
