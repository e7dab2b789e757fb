//! A hash index from key to chain, beside the ordered skip list, for point lookups.
//!
//! A skip-list search of a million keys visits a few dozen nodes, and on a machine whose
//! memory is a couple of hundred nanoseconds away, the dozen or so of them that are not in
//! cache cost well over a microsecond. A hash lookup costs one or two misses whatever the
//! size. So the store keeps both: the skip list for order (scans, checkpoints) and for
//! deciding which chain is a key's one, this index for finding a known key's chain fast.
//!
//! The index is split into shards, each an open-addressing table behind its own
//! reader-writer lock. The lock is itself sharded (crossbeam's `ShardedLock`): a reader
//! takes only its own thread's part of it, so readers on different threads never write
//! the same cache line, and reads scale with threads; a writer takes every part, a few
//! more atomic operations on the rarer index updates (a commit refreshing a copied
//! version, a key's first point access).
//! A table slot holds the key itself (inline when short, see [`StoredKey`]) beside its
//! entry, and tables are at most half full and probed linearly: a lookup of a present
//! key usually reads one slot, one cache miss, where a table with a separate array of
//! control bytes (as `std`'s `HashMap`) pays two, one for the control bytes and one for
//! the slot they point to.
//!
//! The index is a cache of the skip list, never ahead of it: the skip list decides which
//! chain is a key's one, and a key's entry is made when the key is first found there by a
//! point lookup or by a write to a key that existed. A key created by a transaction's
//! write is not indexed until its first point access, so a bulk load (a big `INSERT`)
//! costs the index nothing, and keys never read by point lookups take no room in it.
//! Keys installed by recovery, a checkpoint load or a replica are indexed as they come,
//! so that reads after a restart do not each pay a skip-list search first. A lookup that
//! finds no entry asks the skip list. A chain that
//! garbage collection takes out (a *dead* one) leaves the index before it leaves the skip
//! list, so a lookup may briefly find one, but never while a fresh chain for its key
//! exists.
//!
//! Lock order: a shard's lock may be held while taking a chain's lock, never the reverse.

use std::hash::{BuildHasher, Hasher, RandomState};

use std::sync::PoisonError;

use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};

use crate::stored_key::StoredKey;

/// Number of shards: a power of two, enough that two threads seldom share one.
const SHARDS: usize = 256;
/// The low bits of a key's hash that pick its shard; the bits above them pick its slot.
const SHARD_BITS: u32 = SHARDS.trailing_zeros();
/// Slots of a shard's first table.
const MIN_SLOTS: usize = 8;

/// One shard, on a cache line of its own so that a writer of one does not disturb the
/// readers of its neighbours.
#[repr(align(64))]
struct Shard<V>(ShardedLock<Table<V>>);

/// The shard's table under its lock. A panic under the lock (which no table operation
/// makes) would poison it; the table is used on regardless, as it was under a lock
/// without poisoning.
impl<V> Shard<V> {
    fn read(&self) -> ShardedLockReadGuard<'_, Table<V>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> ShardedLockWriteGuard<'_, Table<V>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The write lock if it is free now.
    fn try_write(&self) -> Option<ShardedLockWriteGuard<'_, Table<V>>> {
        match self.0.try_write() {
            Ok(table) => Some(table),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// Key to `V` (a shared handle to a chain), sharded.
pub(crate) struct PointIndex<V> {
    shards: Box<[Shard<V>]>,
    hasher: KeyHash,
}

impl<V: Clone> PointIndex<V> {
    pub(crate) fn new() -> PointIndex<V> {
        PointIndex {
            shards: (0..SHARDS)
                .map(|_| Shard(ShardedLock::new(Table::default())))
                .collect(),
            hasher: KeyHash::random(),
        }
    }

    /// `key`'s shard, and the hash its table probes with.
    fn shard(&self, key: &[u8]) -> (&Shard<V>, u64) {
        let hash = self.hasher.hash_one(key);
        (&self.shards[hash as usize % SHARDS], hash >> SHARD_BITS)
    }

    /// Whether `a` and `b` share a shard (and so its lock).
    #[cfg(test)]
    pub(crate) fn same_shard(&self, a: &[u8], b: &[u8]) -> bool {
        std::ptr::eq(self.shard(a).0, self.shard(b).0)
    }

    /// The hash a shard's table probes for `key` with.
    fn slot_hash(&self) -> impl Fn(&[u8]) -> u64 + '_ {
        |key| self.hasher.hash_one(key) >> SHARD_BITS
    }

    /// Runs `f` on `key`'s entry under its shard's read lock.
    pub(crate) fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&V>) -> R) -> R {
        let (shard, hash) = self.shard(key);
        let table = shard.read();
        f(table.find(hash, key).map(|at| table.entry(at)))
    }

    /// Makes room for `additional` more keys, spread over the shards, so that a bulk load
    /// of a known size does not grow each shard's table step by step.
    pub(crate) fn reserve(&self, additional: usize) {
        for shard in self.shards.iter() {
            shard
                .write()
                .reserve(additional / SHARDS + 1, self.slot_hash());
        }
    }

    /// Makes `value()`, made under the shard's lock, the entry of `key`, unless it is
    /// dead itself or a live entry is already there (then the value is that same chain,
    /// or it died and was replaced, and its caller sees so when it locks it). A dead entry
    /// is replaced.
    pub(crate) fn publish(
        &self,
        key: &[u8],
        value: impl FnOnce() -> V,
        is_dead: impl Fn(&V) -> bool,
    ) {
        let (shard, hash) = self.shard(key);
        let mut table = shard.write();
        let value = value();
        if is_dead(&value) {
            return;
        }
        match table.find(hash, key) {
            Some(at) if is_dead(table.entry(at)) => *table.entry_mut(at) = value,
            Some(_) => {}
            None => {
                table.reserve(1, self.slot_hash());
                table.insert_absent(hash, StoredKey::from(key), value);
            }
        }
    }

    /// Runs `f` on `key`'s entry, if there is one, under its shard's write lock.
    pub(crate) fn update(&self, key: &[u8], f: impl FnOnce(&mut V)) {
        let (shard, hash) = self.shard(key);
        let mut table = shard.write();
        if let Some(at) = table.find(hash, key) {
            f(table.entry_mut(at));
        }
    }

    /// [`PointIndex::update`] if the shard's write lock is free now; otherwise nothing.
    pub(crate) fn try_update(&self, key: &[u8], f: impl FnOnce(&mut V)) {
        let (shard, hash) = self.shard(key);
        let Some(mut table) = shard.try_write() else {
            return;
        };
        if let Some(at) = table.find(hash, key) {
            f(table.entry_mut(at));
        }
    }

    /// Removes `key`'s entry if `is_it` says it is the one to remove.
    pub(crate) fn remove_if(&self, key: &[u8], is_it: impl FnOnce(&V) -> bool) {
        let (shard, hash) = self.shard(key);
        let mut table = shard.write();
        if let Some(at) = table.find(hash, key).filter(|&at| is_it(table.entry(at))) {
            table.remove_at(at, self.slot_hash());
        }
    }
}

/// An open-addressing hash table with linear probing, at most half full, so that a
/// probe sequence stays short and a lookup seldom reads past the first slot's cache
/// line. Deleting shifts the following slots back (no tombstones), so a probe ends at
/// the first empty slot.
struct Table<V> {
    /// A power of two of slots, or none before the first insert.
    slots: Box<[Option<(StoredKey, V)>]>,
    len: usize,
}

impl<V> Default for Table<V> {
    fn default() -> Table<V> {
        Table {
            slots: Box::default(),
            len: 0,
        }
    }
}

impl<V> Table<V> {
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The slot a key hashing to `hash` is tried in first.
    fn home(&self, hash: u64) -> usize {
        hash as usize & self.mask()
    }

    /// The slot holding `key`, if any.
    fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mut at = self.home(hash);
        loop {
            match &self.slots[at] {
                None => return None,
                Some((k, _)) if k.as_slice() == key => return Some(at),
                Some(_) => at = (at + 1) & self.mask(),
            }
        }
    }

    fn entry(&self, at: usize) -> &V {
        &self.slots[at].as_ref().expect("an occupied slot").1
    }

    fn entry_mut(&mut self, at: usize) -> &mut V {
        &mut self.slots[at].as_mut().expect("an occupied slot").1
    }

    /// Inserts a key known to be absent; room for it was reserved.
    fn insert_absent(&mut self, hash: u64, key: StoredKey, value: V) {
        let mut at = self.home(hash);
        while self.slots[at].is_some() {
            at = (at + 1) & self.mask();
        }
        self.slots[at] = Some((key, value));
        self.len += 1;
    }

    /// Empties slot `at`, then moves back each following slot of the run that the hole
    /// would cut off from its home slot.
    fn remove_at(&mut self, mut hole: usize, hash: impl Fn(&[u8]) -> u64) {
        self.slots[hole] = None;
        self.len -= 1;
        let mut next = (hole + 1) & self.mask();
        while let Some((key, _)) = &self.slots[next] {
            let home = self.home(hash(key.as_slice()));
            // Distances along the probe sequence, which wraps around the table.
            let from_home = |at: usize| at.wrapping_sub(home) & self.mask();
            if from_home(hole) < from_home(next) {
                self.slots[hole] = self.slots[next].take();
                hole = next;
            }
            next = (next + 1) & self.mask();
        }
    }

    /// Grows the table, if needed, to hold `additional` more keys at most half full.
    fn reserve(&mut self, additional: usize, hash: impl Fn(&[u8]) -> u64) {
        let needed = (self.len + additional) * 2;
        if needed <= self.slots.len() {
            return;
        }
        let size = needed.next_power_of_two().max(MIN_SLOTS);
        let old = std::mem::replace(
            &mut self.slots,
            std::iter::repeat_with(|| None).take(size).collect(),
        );
        self.len = 0;
        for (key, value) in old.into_vec().into_iter().flatten() {
            self.insert_absent(hash(key.as_slice()), key, value);
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
        let mut slot_bits = std::collections::HashSet::new();
        for k in &keys {
            let h = hash.hash_one(k.as_slice());
            shards[h as usize % SHARDS] += 1;
            slot_bits.insert((h >> SHARD_BITS) & 0xfff);
        }
        // 16 keys a shard on average; none empty or holding a quarter of them.
        assert!(shards.iter().all(|&n| n > 0 && n < 1024), "{shards:?}");
        // The bits that pick a slot: close to 4096 distinct 12-bit values' worth (a
        // random function gives ~2590).
        assert!(slot_bits.len() > 2000, "{} distinct", slot_bits.len());
    }

    #[test]
    fn index_publishes_replaces_dead_entries_and_removes_only_the_named_one() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        type Entry = Arc<(u32, AtomicBool)>;
        let entry = |n| Arc::new((n, AtomicBool::new(false)));
        let dead = |v: &Entry| v.1.load(Ordering::Relaxed);
        let id = |index: &PointIndex<Entry>, key: &[u8]| index.read(key, |v| v.map(|v| v.0));
        let index: PointIndex<Entry> = PointIndex::new();
        let first = entry(1);
        index.publish(b"k", || first.clone(), dead);
        index.publish(b"k", || entry(2), dead);
        assert_eq!(id(&index, b"k"), Some(1), "a live entry stays");
        first.1.store(true, Ordering::Relaxed);
        index.publish(b"k", || entry(3), dead);
        assert_eq!(id(&index, b"k"), Some(3), "a dead entry is replaced");
        let gone = entry(4);
        gone.1.store(true, Ordering::Relaxed);
        index.publish(b"j", || gone.clone(), dead);
        assert_eq!(id(&index, b"j"), None, "a dead value is never published");
        index.remove_if(b"k", |v| v.0 == 1);
        assert_eq!(id(&index, b"k"), Some(3), "only the named entry goes");
        index.remove_if(b"k", |v| v.0 == 3);
        assert_eq!(id(&index, b"k"), None);
    }

    /// Random inserts and removals on one table, against a `HashMap`, with hashes that
    /// collide in runs and wrap around the table's end: every key stays findable after the
    /// slots behind it shift back, and removed keys are gone.
    #[test]
    fn table_finds_every_key_through_collisions_removals_and_growth() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        // Few distinct hashes, the largest ones landing in the table's last slots.
        let hash = |key: &[u8]| (u64::from(key[0] % 5) * 3).wrapping_sub(6);
        let ops = prop::collection::vec((any::<bool>(), 0_u8..40, any::<u8>()), 1..300);
        TestRunner::new(Config::with_cases(200))
            .run(&ops, |ops| {
                let mut table: Table<u32> = Table::default();
                let mut model = std::collections::HashMap::new();
                for (n, (insert, k, b)) in ops.into_iter().enumerate() {
                    let key = [k, b % 3];
                    let found = table.find(hash(&key), &key);
                    if insert {
                        match found {
                            Some(at) => *table.entry_mut(at) = n as u32,
                            None => {
                                table.reserve(1, hash);
                                table.insert_absent(
                                    hash(&key),
                                    StoredKey::from(&key[..]),
                                    n as u32,
                                );
                            }
                        }
                        model.insert(key, n as u32);
                    } else if let Some(at) = found {
                        table.remove_at(at, hash);
                        model.remove(&key);
                    }
                    prop_assert_eq!(table.len, model.len());
                    prop_assert!(table.len * 2 <= table.slots.len().max(1));
                    for k in 0..40 {
                        for b in 0..3 {
                            let key = [k, b];
                            let got = table.find(hash(&key), &key).map(|at| *table.entry(at));
                            prop_assert_eq!(got, model.get(&key).copied(), "key {:?}", key);
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}
