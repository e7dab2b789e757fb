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

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use parking_lot::RwLock;

use crate::stored_key::StoredKey;

/// Number of shards: a power of two, enough that two threads seldom share one.
const SHARDS: usize = 256;

/// One shard, on a cache line of its own so that shards' lock words do not share lines.
#[repr(align(64))]
struct Shard<V>(RwLock<HashMap<StoredKey, V>>);

/// Key to `V` (a shared handle to a chain), sharded.
pub(crate) struct PointIndex<V> {
    shards: Box<[Shard<V>]>,
    /// Picks the shard. Independent of the maps' own hashers, whose bucket choice would
    /// otherwise correlate with the shard (every key in a shard sharing some hash bits).
    shard_hasher: RandomState,
}

impl<V: Clone> PointIndex<V> {
    pub(crate) fn new() -> PointIndex<V> {
        let maps = RandomState::new();
        PointIndex {
            shards: (0..SHARDS)
                .map(|_| Shard(RwLock::new(HashMap::with_hasher(maps.clone()))))
                .collect(),
            shard_hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &[u8]) -> &RwLock<HashMap<StoredKey, V>> {
        let hash = self.shard_hasher.hash_one(key);
        &self.shards[hash as usize % SHARDS].0
    }

    /// Runs `f` on `key`'s entry under its shard's read lock.
    pub(crate) fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&V>) -> R) -> R {
        f(self.shard(key).read().get(key))
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
        match shard.get_mut(key) {
            Some(existing) if is_dead(existing) => *existing = value.clone(),
            Some(_) => {}
            None => {
                shard.insert(StoredKey::from(key), value.clone());
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
