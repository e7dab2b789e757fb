//! The version store: every key's versions, in one ordered, concurrent map.
//!
//! Each key maps to a [`Chain`]: its committed versions, oldest first, each stamped with
//! the commit timestamp that made it visible, plus at most one *pending* (uncommitted)
//! version and the row locks held on the key. A pending version is itself a lock: only the
//! exclusive lock holder may have one, so a key never has two uncommitted versions (no
//! dirty writes, G0, at any isolation level).
//!
//! ```text
//!   key      committed versions (ts: value)        pending     locks
//!   "a"      3: "x"   7: "y"                        -           -
//!   "b"      5: tombstone                           T12: "z"    X(T12)
//!   "c"      4: "1"                                 -           S(T9, T14)
//! ```
//!
//! A reader at snapshot 6 sees `a = "x"`, no `b`, `c = "1"`; T12 itself sees `b = "z"`; a
//! READ UNCOMMITTED reader sees `a = "y"` and `b = "z"`. Which versions a read may see is
//! decided in one place, [`ReadAt`] and `ChainState::visible`.
//!
//! The map is a lock-free skip list, so scans take no global lock; point lookups go
//! first through a sharded hash index of the chains already accessed by key
//! (`point_index`), whose shard locks are held for one probe, and to the skip list when
//! it has no entry. An index entry may also hold a copy of its chain's newest
//! committed version ([`IndexEntry`]), which a snapshot that sees it reads without
//! visiting the chain. Each chain has its own small reader-writer lock, held only for
//! the few instructions that pick or install a version. This module knows nothing of how
//! transactions wait for each other:
//! a lock request that cannot be granted returns the holders, and the caller (the `txn`
//! crate) decides whether to wait, time out or report a deadlock.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_epoch as epoch;
use crossbeam_skiplist::SkipList;
use parking_lot::{Mutex, RwLock};

use crate::point_index::PointIndex;
use crate::stored_key::StoredKey;

/// A commit timestamp. Timestamp 0 is "before every commit": a snapshot at 0 sees nothing.
pub type Timestamp = u64;

/// A transaction identifier, unique for the life of the process. 0 is never used.
pub type TxnId = u64;

/// A stored value. Shared, so reads hand out values without copying them.
pub type Value = Arc<[u8]>;

/// A transaction's uncommitted write of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingWrite {
    /// The value written; None deletes the key.
    pub value: Option<Value>,
    /// True when the write begins a new row instead of changing the one committed there
    /// (see [`Locked::row_ended`]): it was made by [`VersionStore::insert`], or after the
    /// transaction's own delete of the key.
    begins_row: bool,
}

/// Which versions a read may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAt {
    /// Versions committed at or before `ts`, and `txn`'s own pending version
    /// (snapshot isolation's visibility rule, used by every level but READ UNCOMMITTED).
    Snapshot {
        /// The snapshot: the newest commit timestamp the read may see.
        ts: Timestamp,
        /// The reading transaction, whose own pending writes it sees; 0 for a reader
        /// with none (which [`VersionStore::get_with`] answers from the point index).
        /// `ts` must not be ahead of what the commit clock has made visible: a commit's
        /// versions are installed one key at a time before it becomes visible.
        txn: TxnId,
    },
    /// The newest version of all, another transaction's pending one included: a dirty read.
    Latest,
}

/// The two kinds of row lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// `SELECT ... FOR SHARE`: excludes writers, not other sharers.
    Shared,
    /// A write, or `SELECT ... FOR UPDATE`: excludes everyone else.
    Exclusive,
}

/// What a granted lock found: the newest committed version of the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locked {
    /// Commit timestamp of the newest committed version (0 when the key was never written).
    pub newest_ts: Timestamp,
    /// Its value (None for a tombstone or a key never written).
    pub newest: Option<Value>,
    /// True when the locker's own uncommitted version is there (written before this
    /// request): it holds the exclusive lock then, so no one else's can be.
    pub own_pending: bool,
    /// From [`VersionStore::lock`], true when the row that its `seen_at` snapshot sees
    /// there ended after it: a version committed since deleted it, or began another row
    /// under the key (one an `INSERT` wrote, or the first after a delete). A caller that
    /// holds rows by key tells so a row it saw updated from one deleted and another
    /// inserted in its place. False from the other requests.
    pub row_ended: bool,
}

/// A granted lock request: what it found, and the key's chain if the request was the
/// transaction's first hold on the key.
#[derive(Debug)]
pub struct Granted<T> {
    /// What the request found (see each method).
    pub found: T,
    /// Some when the transaction held no lock on the key before this request: the caller
    /// keeps it and hands it to [`VersionStore::finish`]. None when it held one already
    /// (and so has the handle).
    pub new_hold: Option<Held>,
}

/// A transaction's hold on one key: the key's chain, from the request that first locked
/// the key to [`VersionStore::finish`], so that neither commit nor rollback looks the key
/// up again. Garbage collection never unlinks a chain on which anyone holds a lock.
#[derive(Clone)]
pub struct Held(Arc<Chain>);

impl Held {
    /// `txn`'s uncommitted write on the key, None when it holds only a lock there.
    pub fn pending(&self, txn: TxnId) -> Option<PendingWrite> {
        let state = self.0.state.read();
        if state.exclusive == txn {
            state.pending.clone()
        } else {
            None
        }
    }

    /// Sets `txn`'s uncommitted write on the key back to `pending` (None: no write, the
    /// lock kept), as it was when a savepoint was taken; nothing unless `txn` holds the
    /// key exclusively.
    pub fn restore(&self, txn: TxnId, pending: Option<PendingWrite>) {
        let mut state = self.0.state.write();
        if state.exclusive == txn {
            state.pending = pending;
        }
    }

    /// [`VersionStore::write`] on this key, without looking it up, when `txn` holds it
    /// exclusively already (a row it locked to change it): nothing can block the write
    /// then, and first-updater-wins is checked as that method checks it. None, changing
    /// nothing, when `txn` holds a shared lock only.
    pub fn write(
        &self,
        txn: TxnId,
        value: Option<Value>,
        first_updater_wins: Option<Timestamp>,
    ) -> Option<Result<(Locked, Option<PendingWrite>), Conflict>> {
        let mut state = self.0.state.write();
        (state.exclusive == txn).then(|| {
            check_lock(&mut state, txn, LockMode::Exclusive, first_updater_wins)?;
            Ok(state.write_pending(value))
        })
    }

    /// True when the key's newest committed version has a value (it is neither deleted
    /// nor never written). While the caller holds the exclusive lock no one else can
    /// commit a version, so the answer stays true until it commits its own.
    pub fn has_committed_value(&self) -> bool {
        self.0.state.read().newest.value.is_some()
    }
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Held")
    }
}

/// Why a lock was not granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// Other transactions hold conflicting locks (one of them may hold a pending version).
    Blocked {
        /// The transactions holding the conflicting locks, the caller never among them:
        /// the ones to wait for (and the edges of a waits-for graph).
        holders: Vec<TxnId>,
    },
    /// A version committed after the caller's snapshot exists (first updater wins).
    Changed {
        /// Commit timestamp of the key's newest committed version, later than the
        /// caller's snapshot.
        committed_ts: Timestamp,
        /// True when the row the snapshot sees was deleted after it (another may have
        /// been inserted under the key since, see [`Locked::row_ended`]); false when
        /// it was updated, or the snapshot sees no row there.
        deleted: bool,
    },
}

#[derive(Default)]
struct Version {
    /// The commit timestamp, with [`BEGINS_ROW`] set when the version begins a row: it
    /// was written as a new row (see [`PendingWrite`]) or follows a tombstone. A bit of
    /// the timestamp rather than a field of its own keeps a chain within 96 bytes.
    stamp: u64,
    /// None is a tombstone.
    value: Option<Value>,
}

/// The bit of [`Version::stamp`] that marks a version beginning a row; timestamps, one
/// per commit, never reach it.
const BEGINS_ROW: u64 = 1 << 63;

impl Version {
    fn new(ts: Timestamp, value: Option<Value>, begins_row: bool) -> Version {
        debug_assert!(ts < BEGINS_ROW, "timestamp {ts} out of range");
        let flag = if begins_row { BEGINS_ROW } else { 0 };
        Version {
            stamp: ts | flag,
            value,
        }
    }

    fn ts(&self) -> Timestamp {
        self.stamp & !BEGINS_ROW
    }

    fn begins_row(&self) -> bool {
        self.stamp & BEGINS_ROW != 0
    }
}

/// A key's committed versions, locks and pending write. The newest committed version is
/// kept inline: most keys have exactly one, and a read then costs no pointer chase beyond
/// the chain itself. What most keys never have (older versions, shared locks) sits behind
/// one pointer, so that a chain of a million-key table costs 96 bytes of heap, not 160.
#[derive(Default)]
struct ChainState {
    /// The newest committed version; a key never committed has a tombstone at timestamp 0
    /// here, which every snapshot sees as "absent", exactly like no version at all.
    newest: Version,
    /// The exclusive lock holder's uncommitted write.
    pending: Option<PendingWrite>,
    /// Exclusive lock holder; 0 when none.
    exclusive: TxnId,
    /// Allocated while there are older versions or shared locks, None otherwise.
    rare: Option<Box<Rare>>,
}

/// The parts of a chain few keys have at any moment.
#[derive(Default)]
struct Rare {
    /// Older committed versions some snapshot may still need, oldest first, timestamps
    /// strictly increasing and below the newest's.
    older: Vec<Version>,
    /// Shared lock holders.
    shared: Vec<TxnId>,
}

impl ChainState {
    fn older(&self) -> &[Version] {
        self.rare.as_ref().map_or(&[], |r| &r.older)
    }

    fn shared(&self) -> &[TxnId] {
        self.rare.as_ref().map_or(&[], |r| &r.shared)
    }

    fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Frees the rare parts once they are empty.
    fn tidy(&mut self) {
        if self
            .rare
            .as_ref()
            .is_some_and(|r| r.older.is_empty() && r.shared.is_empty())
        {
            self.rare = None;
        }
    }

    /// The visibility predicate: the value `at` sees, None when the key is absent there.
    fn visible(&self, at: ReadAt) -> Option<&Value> {
        match at {
            ReadAt::Snapshot { ts, txn } => {
                if txn != 0 && self.exclusive == txn {
                    if let Some(pending) = &self.pending {
                        return pending.value.as_ref();
                    }
                }
                if self.newest.ts() <= ts {
                    return self.newest.value.as_ref();
                }
                let newest = self.older().iter().rev().find(|v| v.ts() <= ts)?;
                newest.value.as_ref()
            }
            ReadAt::Latest => match &self.pending {
                Some(pending) => pending.value.as_ref(),
                None => self.newest.value.as_ref(),
            },
        }
    }

    fn newest_ts(&self) -> Timestamp {
        self.newest.ts()
    }

    /// Makes `value` the exclusive holder's pending write; returns what the lock found
    /// and the write it replaces. A write after the holder's own delete or insert of the
    /// key goes on the row that began.
    fn write_pending(&mut self, value: Option<Value>) -> (Locked, Option<PendingWrite>) {
        let begins_row = self
            .pending
            .as_ref()
            .is_some_and(|own| own.begins_row || own.value.is_none());
        let locked = self.locked();
        let own = self.pending.replace(PendingWrite { value, begins_row });
        (locked, own)
    }

    fn locked(&self) -> Locked {
        Locked {
            newest_ts: self.newest.ts(),
            newest: self.newest.value.clone(),
            own_pending: self.pending.is_some(),
            row_ended: false,
        }
    }

    /// Whether a version committed after `ts` ended the row a snapshot at `ts` sees: a
    /// tombstone, or a version that began another row. Only versions newer than `ts` are
    /// visited, so a long history kept for an old snapshot costs a fresh one nothing.
    fn row_ended_after(&self, ts: Timestamp) -> bool {
        std::iter::once(&self.newest)
            .chain(self.older().iter().rev())
            .take_while(|v| v.ts() > ts)
            .any(|v| v.value.is_none() || v.begins_row())
    }

    /// Appends a committed version, newer than every other, then prunes for `horizon`.
    /// A version after a tombstone (or after none) begins a row.
    fn push(&mut self, mut version: Version, horizon: Timestamp) {
        if self.newest.value.is_none() {
            version.stamp |= BEGINS_ROW;
        }
        let previous = std::mem::replace(&mut self.newest, version);
        if previous.ts() != 0 || previous.value.is_some() {
            self.rare_mut().older.push(previous);
        }
        self.prune(horizon);
    }

    /// Whether `mode` could be granted to `txn` now: no one else holds a conflicting lock.
    fn can_lock(&self, txn: TxnId, mode: LockMode) -> Result<(), Conflict> {
        if self.exclusive != 0 && self.exclusive != txn {
            return Err(Conflict::Blocked {
                holders: vec![self.exclusive],
            });
        }
        if mode == LockMode::Exclusive {
            let holders: Vec<TxnId> = self
                .shared()
                .iter()
                .copied()
                .filter(|&s| s != txn)
                .collect();
            if !holders.is_empty() {
                return Err(Conflict::Blocked { holders });
            }
        }
        Ok(())
    }

    /// Whether `txn` holds any lock on the key.
    fn holds(&self, txn: TxnId) -> bool {
        self.exclusive == txn || self.shared().contains(&txn)
    }

    fn grant(&mut self, txn: TxnId, mode: LockMode) {
        match mode {
            LockMode::Exclusive => self.exclusive = txn,
            LockMode::Shared if self.exclusive != txn && !self.shared().contains(&txn) => {
                self.rare_mut().shared.push(txn)
            }
            LockMode::Shared => {}
        }
    }

    /// Drops every version that no snapshot at or after `horizon` can see: all but the
    /// newest version committed at or before it.
    fn prune(&mut self, horizon: Timestamp) {
        let Some(rare) = &mut self.rare else {
            return;
        };
        if self.newest.ts() <= horizon {
            rare.older.clear();
        } else if let Some(keep_from) = rare.older.iter().rposition(|v| v.ts() <= horizon) {
            rare.older.drain(..keep_from);
        }
        self.tidy();
    }

    /// Releases whatever lock `txn` holds, discarding a pending version it left (a
    /// commit has installed its versions before).
    fn release(&mut self, txn: TxnId) {
        if self.exclusive == txn {
            self.exclusive = 0;
            self.pending = None;
        }
        if let Some(rare) = &mut self.rare {
            rare.shared.retain(|&s| s != txn);
            self.tidy();
        }
    }

    /// True while the chain holds something a later collection may reclaim: versions
    /// older than the newest, or a tombstone (a deleted or never committed key).
    fn collectable(&self) -> bool {
        !self.older().is_empty() || self.newest.value.is_none()
    }

    /// True when the chain holds nothing any reader or writer can need.
    fn is_garbage(&self, horizon: Timestamp) -> bool {
        self.pending.is_none()
            && self.exclusive == 0
            && self.shared().is_empty()
            && self.older().is_empty()
            && self.newest.value.is_none()
            && self.newest.ts() <= horizon
    }
}

/// A key's entry in the point index: its chain, and perhaps a copy of the chain's newest
/// committed version, so that a reader with no uncommitted writes of its own whose
/// snapshot sees that version reads it without visiting the chain (one cache miss fewer
/// for most point reads).
///
/// An entry made from a chain with no committed version has no copy (`newest_ts` 0), and
/// the chain's first commit does not make one. The first read that finds a committed
/// version in the chain but no copy here makes it ([`VersionStore::get_with`]).
/// From then on the copy is refreshed after every change to the chain's newest version
/// ([`VersionStore::commit_pending`], [`VersionStore::install`]), before that change can
/// be visible to any snapshot: a commit becomes visible only after its versions are
/// installed, so a snapshot that may see a version never finds an older copy here. A
/// snapshot too old for the copy reads the chain. Copies are made and refreshed under
/// the index shard's write lock from the chain as it is then, so a reader making one
/// never overwrites a committer's newer one.
#[derive(Clone)]
struct IndexEntry {
    chain: Arc<Chain>,
    /// The copy's commit timestamp; 0 when there is no copy.
    newest_ts: Timestamp,
    /// The copy: None for a tombstone (and when there is no copy).
    newest: Option<Value>,
}

impl IndexEntry {
    /// An entry for `chain`, with a copy of its newest committed version if it has one.
    fn of(chain: &Arc<Chain>) -> IndexEntry {
        let state = chain.state.read();
        IndexEntry {
            chain: chain.clone(),
            newest_ts: state.newest.ts(),
            newest: state.newest.value.clone(),
        }
    }
}

/// One key's versions and locks.
#[derive(Default)]
pub struct Chain {
    state: RwLock<ChainState>,
    /// Set, under the state's write lock, when garbage collection unlinked the chain from
    /// the map: writers must retry on a fresh chain, and the point index drops it.
    dead: AtomicBool,
    /// Set, under the state's lock, while the key waits in the store's collection queue,
    /// so that it waits there once however often it is written.
    queued: AtomicBool,
}

impl Chain {
    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }
}

/// The ordered, concurrent, multi-version map at the bottom of isolde.
pub struct VersionStore {
    /// Every key's chain, in key order: decides which chain is a key's one. The skip list
    /// itself rather than crossbeam's `SkipMap` wrapper, so that a scan pins the epoch
    /// once per batch and takes no reference count per node.
    map: SkipList<StoredKey, Arc<Chain>>,
    /// The same chains by key, for point lookups (see the `point_index` module).
    index: PointIndex<IndexEntry>,
    /// Chains a collection may shrink or unlink, with their keys: a collection pass visits
    /// these rather than the whole map, so its cost follows the churn, not the size, and
    /// it needs no lookup to find them.
    collect: Mutex<Vec<(StoredKey, Arc<Chain>)>>,
}

impl Default for VersionStore {
    fn default() -> VersionStore {
        VersionStore {
            map: SkipList::new(epoch::default_collector().clone()),
            index: PointIndex::new(),
            collect: Mutex::new(Vec::new()),
        }
    }
}

/// A key and the value a scan found for it, as [`VersionStore::scan`] gives them.
pub type Entry = (Vec<u8>, Value);

/// How [`VersionStore::scan`] reads an entry: the key copied, the value shared.
pub type ReadEntry = fn(&[u8], &Value) -> Option<Entry>;

/// A lazy, ordered range scan; see [`VersionStore::scan_with`].
///
/// It reads the map in batches from either end: a batch pins the epoch once, seeks to the
/// first key not read yet and walks the skip list's bottom level, so a key costs neither
/// an epoch pin nor a node reference count, as a step of a skip-list iterator does. A
/// batch reads at most `batch` keys, so a scan never holds its whole range. Each visible
/// entry is turned into an item by `read` while its chain is read-locked, so that an
/// item made of copies takes no reference to the stored value.
pub struct Scan<'a, T = Entry, F = ReadEntry> {
    map: &'a SkipList<StoredKey, Arc<Chain>>,
    at: ReadAt,
    read: F,
    /// The keys not read yet lie between these; each batch moves one of them past the
    /// keys it read.
    lower: Bound<StoredKey>,
    upper: Bound<StoredKey>,
    /// Items read from the front, ascending.
    front: VecDeque<T>,
    /// Items read from the back, descending.
    back: VecDeque<T>,
    /// Keys the next batch reads at most: small at first, for scans that stop early, and
    /// growing up to `MAX_BATCH`.
    batch: usize,
    /// Set when a batch found no key left between the bounds: what is left is buffered.
    exhausted: bool,
}

/// Values at least this long are read by [`VersionStore::get_with`]'s closure after the
/// store's locks are released: copying 4 KiB takes a fraction of a microsecond, a value of
/// megabytes far longer than any lock should be held.
const LARGE_VALUE: usize = 4096;

/// Keys a scan's first batch reads: few, as a queue taker or a `LIMIT 1` stops after one.
const FIRST_BATCH: usize = 8;
/// Keys a later batch reads at most.
const MAX_BATCH: usize = 1024;

/// Counts from one garbage-collection pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Chains examined.
    pub keys_scanned: u64,
    /// Versions dropped from chains that stay.
    pub versions_dropped: u64,
    /// Keys removed from the map altogether (tombstoned or abandoned).
    pub keys_removed: u64,
}

impl VersionStore {
    /// An empty store.
    pub fn new() -> VersionStore {
        VersionStore::default()
    }

    /// Makes room for about `additional` more keys before a bulk load of a known size
    /// (a checkpoint being loaded). Only a hint: the store grows as needed regardless.
    pub fn reserve(&self, additional: usize) {
        self.index.reserve(additional);
    }

    /// The value of `key` as `at` sees it.
    pub fn get(&self, key: &[u8], at: ReadAt) -> Option<Value> {
        self.get_with(key, at, |value| value.cloned())
    }

    /// Runs `f` on the value of `key` as `at` sees it, borrowed. For a caller that copies
    /// or decodes the value anyway this saves taking and dropping a reference: two atomic
    /// updates, each of which stops the processor from overlapping this read's cache
    /// misses with the next one's. `f` runs under the key's locks for a value shorter
    /// than `LARGE_VALUE` (4 KiB), so it must be short and must not call the store; a
    /// longer value is cloned out and `f` runs after the locks are released. A snapshot
    /// reader with no pending versions (`txn` 0) that sees the key's newest committed
    /// version reads the copy in the key's point index entry and never visits the chain.
    /// A key not indexed yet is looked up in the skip list, then indexed.
    pub fn get_with<R>(&self, key: &[u8], at: ReadAt, f: impl FnOnce(Option<&Value>) -> R) -> R {
        let mut f = Some(f);
        // Runs `f` on a small value where it lies, under the locks; a large one is taken
        // out (a reference count) and read after they are released, so that copying it
        // never holds up the commits that need the index shard's write lock.
        let mut run = |value: Option<&Value>| match value {
            Some(v) if v.len() >= LARGE_VALUE => Err(v.clone()),
            value => Ok(f.take().map(|f| f(value))),
        };
        // What the index says: the read done, or the key's chain not indexed. A dead
        // chain found there is still in the skip list, so no fresh chain for the key
        // exists yet (see `gc`): it holds at most a tombstone nobody can see past, and
        // reads as absent without a special case.
        enum Indexed<T> {
            Read(T, Option<Arc<Chain>>),
            Missed,
        }
        let indexed = self.index.read(key, |entry| match (entry, at) {
            // No uncommitted version of the reader's own can be there (`txn` 0), and the
            // snapshot sees the newest committed version: the entry's copy of it.
            (Some(entry), ReadAt::Snapshot { ts, txn: 0 })
                if entry.newest_ts != 0 && entry.newest_ts <= ts =>
            {
                Indexed::Read(run(entry.newest.as_ref()), None)
            }
            (Some(entry), at) => {
                let state = entry.chain.state.read();
                let uncopied = entry.newest_ts == 0 && state.newest.ts() != 0;
                Indexed::Read(
                    run(state.visible(at)),
                    uncopied.then(|| entry.chain.clone()),
                )
            }
            (None, _) => Indexed::Missed,
        });
        let read = match indexed {
            Indexed::Read(read, None) => read,
            Indexed::Read(read, Some(chain)) => {
                // Not worth waiting for: the next read tries again.
                self.index.try_update(key, |entry| {
                    if Arc::ptr_eq(&entry.chain, &chain) {
                        *entry = IndexEntry::of(&chain);
                    }
                });
                read
            }
            // The skip list decides; a chain found there is indexed for the next read
            // (unless it is dead: it reads as absent, as above).
            Indexed::Missed => match self.linked_chain(key) {
                Some(chain) => {
                    let read = run(chain.state.read().visible(at));
                    self.index
                        .publish(key, || IndexEntry::of(&chain), |e| e.chain.is_dead());
                    read
                }
                None => run(None),
            },
        };
        let read = match read {
            Ok(read) => read,
            Err(large) => f.take().map(|f| f(Some(&large))),
        };
        read.expect("f runs exactly once, inside the locks or after them")
    }

    /// The keys in `range` with the values `at` sees, in key order, lazily: chains are read
    /// in small batches as the iterator advances (see [`Scan`]), and no global lock is
    /// held. Which versions a batch sees is fixed by `at`, so reading a batch ahead of its
    /// use changes nothing a snapshot reader can see.
    pub fn scan(&self, range: (Bound<Vec<u8>>, Bound<Vec<u8>>), at: ReadAt) -> Scan<'_> {
        let read: ReadEntry = |key, value| Some((key.to_vec(), value.clone()));
        self.scan_with(range, at, read)
    }

    /// [`VersionStore::scan`] turning each visible entry into an item with `read`, which
    /// runs under the entry's chain lock (for values under 4 KiB; larger ones are read
    /// after it is released) and may leave the entry out by returning None: a caller
    /// that copies or decodes values does so without taking a reference to each.
    pub fn scan_with<T, F>(
        &self,
        range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
        at: ReadAt,
        read: F,
    ) -> Scan<'_, T, F>
    where
        F: FnMut(&[u8], &Value) -> Option<T>,
    {
        let own = |b: Bound<Vec<u8>>| b.map(|k| StoredKey::from(k.as_slice()));
        Scan {
            map: &self.map,
            at,
            read,
            lower: own(range.0),
            upper: own(range.1),
            front: VecDeque::new(),
            back: VecDeque::new(),
            batch: FIRST_BATCH,
            exhausted: false,
        }
    }

    /// Acquires a row lock for `txn` without waiting. With `first_updater_wins` set to the
    /// caller's snapshot, a version committed after it refuses the lock with
    /// [`Conflict::Changed`] (checked only once no one else holds the key). `seen_at` is
    /// the snapshot the caller chose the row by, for [`Locked::row_ended`].
    pub fn lock(
        &self,
        key: &[u8],
        txn: TxnId,
        mode: LockMode,
        first_updater_wins: Option<Timestamp>,
        seen_at: Timestamp,
    ) -> Result<Granted<Locked>, Conflict> {
        self.grant(key, txn, mode, first_updater_wins, |state| Locked {
            row_ended: state.row_ended_after(seen_at),
            ..state.locked()
        })
    }

    /// Writes `value` (None deletes) as `txn`'s pending version of `key`, taking the
    /// exclusive lock first exactly as [`VersionStore::lock`] does. Returns what the lock
    /// found and the pending version the write replaced: `txn`'s own earlier write of the
    /// key, or None when it had not written the key. A write after the transaction's own
    /// insert, or after its own delete, writes a new row; any other changes the row
    /// committed there.
    pub fn write(
        &self,
        key: &[u8],
        txn: TxnId,
        value: Option<Value>,
        first_updater_wins: Option<Timestamp>,
    ) -> Result<Granted<(Locked, Option<PendingWrite>)>, Conflict> {
        self.grant(key, txn, LockMode::Exclusive, first_updater_wins, |state| {
            state.write_pending(value)
        })
    }

    /// Writes a pending delete of `key` for `txn`, as [`VersionStore::write`] does without
    /// first-updater-wins, unless `txn` has a pending write there already: then it returns
    /// None and changes nothing. A queue taker's step, which must not take back its own
    /// uncommitted messages.
    pub fn take(&self, key: &[u8], txn: TxnId) -> Result<Option<Granted<Locked>>, Conflict> {
        self.with_chain(key, false, |chain, state| {
            if state.exclusive == txn && state.pending.is_some() {
                return Ok(None);
            }
            let granted = grant_on(chain, state, txn, LockMode::Exclusive, None, |state| {
                let locked = state.locked();
                state.pending = Some(PendingWrite {
                    value: None,
                    begins_row: false,
                });
                locked
            })?;
            Ok(Some(granted))
        })
    }

    /// `INSERT`'s step, in one visit of the chain: takes the exclusive lock exactly as
    /// [`VersionStore::write`] does, then looks for a row. If `txn` sees one there (the
    /// newest committed version if it committed after `changed_after`, as a READ
    /// COMMITTED statement re-checks a row it waited for; otherwise the version `at`
    /// sees) it is returned and nothing is written, the lock staying held; otherwise
    /// `value` becomes `txn`'s pending version and None is returned.
    ///
    /// A committed row that other transactions only lock, writing nothing there, is
    /// returned at once, without waiting and without a lock: whatever they do next, it
    /// is there now, as PostgreSQL's uniqueness check waits only for a writer.
    pub fn insert(
        &self,
        key: &[u8],
        txn: TxnId,
        value: Value,
        first_updater_wins: Option<Timestamp>,
        at: ReadAt,
        changed_after: Timestamp,
    ) -> Result<Granted<Option<Value>>, Conflict> {
        self.with_chain(key, false, |chain, state| {
            let only_locked_by_others =
                state.pending.is_none() && state.can_lock(txn, LockMode::Exclusive).is_err();
            if only_locked_by_others && state.newest.value.is_some() {
                return Ok(Granted {
                    found: state.newest.value.clone(),
                    new_hold: None,
                });
            }
            grant_on(
                chain,
                state,
                txn,
                LockMode::Exclusive,
                first_updater_wins,
                |state| {
                    let seen = if state.newest_ts() > changed_after {
                        state.newest.value.clone()
                    } else {
                        state.visible(at).cloned()
                    };
                    if seen.is_none() {
                        state.pending = Some(PendingWrite {
                            value: Some(value),
                            begins_row: true,
                        });
                    }
                    seen
                },
            )
        })
    }

    /// Commits `txn`'s pending versions on the keys it `held` at `commit_ts` and keeps
    /// its locks: the first half of a commit, done before the commit becomes visible.
    /// [`VersionStore::finish`] releases the locks once it is, so that a transaction that
    /// takes one of them next, and then a fresh snapshot, sees this commit in it.
    pub fn commit_pending<'h>(
        &self,
        txn: TxnId,
        held: impl IntoIterator<Item = (&'h [u8], &'h Held)>,
        commit_ts: Timestamp,
        horizon: Timestamp,
    ) {
        for (key, Held(chain)) in held {
            let mut state = chain.state.write();
            if state.exclusive != txn {
                continue;
            }
            if let Some(pending) = state.pending.take() {
                let first = state.newest.ts() == 0;
                let version = Version::new(commit_ts, pending.value, pending.begins_row);
                state.push(version, horizon);
                drop(state);
                if !first {
                    self.refresh_entry(key, chain);
                }
            }
        }
    }

    /// Ends `txn`'s hold on the keys it `held`: its locks are released, and a pending
    /// version still there (a rollback's) is discarded. Versions no snapshot at or after
    /// `horizon` can see are dropped on the way, as a [`VersionStore::gc`] pass would: a
    /// committer passes the horizon without its own snapshot, so that a key updated by
    /// one transaction after another sheds each replaced version here, while its chain is
    /// at hand, rather than in a later pass.
    pub fn finish<'h>(
        &self,
        txn: TxnId,
        held: impl IntoIterator<Item = (&'h [u8], &'h Held)>,
        horizon: Timestamp,
    ) {
        for (key, Held(chain)) in held {
            let mut state = chain.state.write();
            state.release(txn);
            state.prune(horizon);
            self.queue_if_collectable(key, chain, &state);
        }
    }

    /// Installs a committed version directly, bypassing locks: the path shared by
    /// recovery, checkpoint loading and replication, which apply write sets that already
    /// committed elsewhere. Versions must arrive in timestamp order per key. Keys are
    /// indexed as they come (see the `point_index` module).
    pub fn install(&self, key: &[u8], ts: Timestamp, value: Option<Value>, horizon: Timestamp) {
        let changed = self.with_chain(key, true, |chain, state| {
            let first = state.newest.ts() == 0;
            state.push(Version::new(ts, value, false), horizon);
            self.queue_if_collectable(key, chain, state);
            (!first).then(|| chain.clone())
        });
        if let Some(chain) = changed {
            self.refresh_entry(key, &chain);
        }
    }

    /// Copies the newest committed version of `chain`, `key`'s chain, into its point
    /// index entry after a change to it, unless the chain had no committed version before
    /// (then the entry has no copy; see [`IndexEntry`]). Called after the chain's lock is
    /// released: the index's lock comes first in the lock order.
    fn refresh_entry(&self, key: &[u8], chain: &Arc<Chain>) {
        self.index.update(key, |entry| {
            if Arc::ptr_eq(&entry.chain, chain) {
                *entry = IndexEntry::of(chain);
            }
        });
    }

    /// The commit timestamp of the newest committed version of `key` (0 if none).
    pub fn newest_ts(&self, key: &[u8]) -> Timestamp {
        self.linked_chain(key)
            .map_or(0, |chain| chain.state.read().newest_ts())
    }

    /// `key`'s chain as the skip list has it, the one that decides; None when the key
    /// has none.
    fn linked_chain(&self, key: &[u8]) -> Option<Arc<Chain>> {
        let guard = epoch::pin();
        self.map.get(key, &guard).map(|entry| entry.value().clone())
    }

    /// One garbage-collection pass: prunes the chains that have something to reclaim to
    /// what snapshots at or after `horizon` can see, and unlinks keys that hold nothing but
    /// an old tombstone (deleted keys, and keys locked or written by transactions that
    /// rolled back). Chains that still hold versions some snapshot needs wait for the next
    /// pass; chains holding one live version are never visited.
    pub fn gc(&self, horizon: Timestamp) -> GcStats {
        let mut stats = GcStats::default();
        let queued = std::mem::take(&mut *self.collect.lock());
        let mut again = Vec::new();
        // Queued with their chains: most only shed old versions, and the skip list is
        // searched only for the few that are unlinked.
        for (key, chain) in queued {
            stats.keys_scanned += 1;
            let mut state = chain.state.write();
            chain.queued.store(false, Ordering::Release);
            let before = state.older().len();
            state.prune(horizon);
            stats.versions_dropped += (before - state.older().len()) as u64;
            if state.is_garbage(horizon) {
                let guard = epoch::pin();
                let Some(entry) = self
                    .map
                    .get(key.as_slice(), &guard)
                    .filter(|e| Arc::ptr_eq(e.value(), &chain))
                else {
                    continue; // not linked: only a pass unlinks, and it never requeues
                };
                // Marked dead under the chain's lock, so a writer that found the chain just
                // before sees `dead` and retries until a fresh one replaces it. Then out of
                // the point index (after the chain's lock is released: lock order), and
                // only then out of the skip list: no fresh chain for the key exists before
                // that, so a reader that finds the dead chain in the index rightly reads
                // the key as absent, and none finds it there after (a dead chain is never
                // indexed again).
                chain.dead.store(true, Ordering::Release);
                stats.keys_removed += 1;
                drop(state);
                self.index
                    .remove_if(key.as_slice(), |e| Arc::ptr_eq(&e.chain, &chain));
                entry.remove();
            } else if state.collectable() && !chain.queued.swap(true, Ordering::AcqRel) {
                again.push((key, chain.clone()));
            }
        }
        self.collect.lock().extend(again);
        stats
    }

    /// Queues `key` for collection if its chain has something to reclaim and is not
    /// queued already. Called with the chain's lock held.
    fn queue_if_collectable(&self, key: &[u8], chain: &Arc<Chain>, state: &ChainState) {
        if state.collectable() && !chain.queued.swap(true, Ordering::AcqRel) {
            self.collect
                .lock()
                .push((StoredKey::from(key), chain.clone()));
        }
    }

    /// Number of keys in the map, tombstoned and pending ones included. O(n).
    pub fn key_count(&self) -> usize {
        self.map.len()
    }

    /// Grants `mode` on `key` to `txn` as [`check_lock`] decides, then runs `f` on the
    /// chain's state, in one visit of the chain.
    fn grant<R>(
        &self,
        key: &[u8],
        txn: TxnId,
        mode: LockMode,
        first_updater_wins: Option<Timestamp>,
        f: impl FnOnce(&mut ChainState) -> R,
    ) -> Result<Granted<R>, Conflict> {
        self.with_chain(key, false, |chain, state| {
            grant_on(chain, state, txn, mode, first_updater_wins, f)
        })
    }

    /// Runs `f` on `key`'s chain under its write lock, creating the chain if needed (and
    /// indexing a created one if `index_created`) and retrying if garbage collection
    /// unlinks it in between.
    fn with_chain<R>(
        &self,
        key: &[u8],
        index_created: bool,
        f: impl FnOnce(&Arc<Chain>, &mut ChainState) -> R,
    ) -> R {
        loop {
            let chain = match self.index.read(key, |entry| entry.map(|e| e.chain.clone())) {
                Some(chain) if !chain.is_dead() => chain,
                // Not indexed (or only a dead chain is): the skip list decides which chain
                // is the key's. A chain that was there already is indexed for the next
                // access; one this call creates only with `index_created` (otherwise the
                // key's first point read indexes it).
                _ => {
                    let guard = epoch::pin();
                    let mut created = false;
                    let entry = self.map.get_or_insert_with(
                        StoredKey::from(key),
                        || {
                            created = true;
                            Arc::default()
                        },
                        &guard,
                    );
                    let chain = entry.value().clone();
                    entry.release(&guard);
                    if !created || index_created {
                        self.index
                            .publish(key, || IndexEntry::of(&chain), |e| e.chain.is_dead());
                    }
                    chain
                }
            };
            let mut state = chain.state.write();
            if !chain.is_dead() {
                return f(&chain, &mut state);
            }
            // A collection is taking the chain out: a fresh one can be made once it is
            // out of the skip list, a moment from now.
            drop(state);
            std::thread::yield_now();
        }
    }
}

/// [`VersionStore::grant`] on a chain already found and locked.
fn grant_on<R>(
    chain: &Arc<Chain>,
    state: &mut ChainState,
    txn: TxnId,
    mode: LockMode,
    first_updater_wins: Option<Timestamp>,
    f: impl FnOnce(&mut ChainState) -> R,
) -> Result<Granted<R>, Conflict> {
    let held_before = state.holds(txn);
    check_lock(state, txn, mode, first_updater_wins)?;
    Ok(Granted {
        found: f(state),
        new_hold: (!held_before).then(|| Held(chain.clone())),
    })
}

/// Grants `mode` to `txn` unless another holder blocks it or, with `first_updater_wins`
/// set to the caller's snapshot, a version committed after that snapshot exists. Even
/// over `txn`'s own row inserted over a key deleted after the snapshot (which
/// [`VersionStore::insert`] lets it do at REPEATABLE READ): PostgreSQL's UPDATE of it
/// meets the deleted row first, and fails the same way.
fn check_lock(
    state: &mut ChainState,
    txn: TxnId,
    mode: LockMode,
    first_updater_wins: Option<Timestamp>,
) -> Result<(), Conflict> {
    state.can_lock(txn, mode)?;
    if let Some(snapshot) = first_updater_wins {
        let committed_ts = state.newest_ts();
        if committed_ts > snapshot {
            let seen = ReadAt::Snapshot {
                ts: snapshot,
                txn: 0,
            };
            let deleted = state.visible(seen).is_some() && state.row_ended_after(snapshot);
            return Err(Conflict::Changed {
                committed_ts,
                deleted,
            });
        }
    }
    state.grant(txn, mode);
    Ok(())
}

impl<T, F: FnMut(&[u8], &Value) -> Option<T>> Scan<'_, T, F> {
    /// Reads the next batch from the front into `front` (`forward`), or from the back into
    /// `back`, and moves that end's bound past the keys read.
    fn read_batch(&mut self, forward: bool) {
        let guard = epoch::pin();
        let (from, to) = if forward {
            (&self.lower, &self.upper)
        } else {
            (&self.upper, &self.lower)
        };
        let start = from.as_ref().map(StoredKey::as_slice);
        let mut entry = if forward {
            self.map.lower_bound(start, &guard)
        } else {
            self.map.upper_bound(start, &guard)
        };
        let buffer = if forward {
            &mut self.front
        } else {
            &mut self.back
        };
        let mut read = 0;
        while let Some(e) = entry {
            let inside = if forward {
                below(e.key(), to)
            } else {
                above(e.key(), to)
            };
            if !inside {
                break;
            }
            let key = e.key().as_slice();
            let state = e.value().state.read();
            let item = match state.visible(self.at) {
                None => None,
                Some(value) if value.len() < LARGE_VALUE => (self.read)(key, value),
                Some(value) => {
                    let value = value.clone();
                    drop(state);
                    (self.read)(key, &value)
                }
            };
            buffer.extend(item);
            read += 1;
            if read == self.batch {
                let past = Bound::Excluded(e.key().clone());
                if forward {
                    self.lower = past;
                } else {
                    self.upper = past;
                }
                self.batch = (self.batch * 4).min(MAX_BATCH);
                return;
            }
            entry = if forward { e.next() } else { e.prev() };
        }
        self.exhausted = true;
    }
}

/// Whether `key` is within an upper bound.
fn below(key: &StoredKey, upper: &Bound<StoredKey>) -> bool {
    match upper {
        Bound::Included(end) => key <= end,
        Bound::Excluded(end) => key < end,
        Bound::Unbounded => true,
    }
}

/// Whether `key` is within a lower bound.
fn above(key: &StoredKey, lower: &Bound<StoredKey>) -> bool {
    match lower {
        Bound::Included(start) => key >= start,
        Bound::Excluded(start) => key > start,
        Bound::Unbounded => true,
    }
}

impl<T, F: FnMut(&[u8], &Value) -> Option<T>> Iterator for Scan<'_, T, F> {
    type Item = T;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(found) = self.front.pop_front() {
                return Some(found);
            }
            if self.exhausted {
                // Whatever is left was read from the back, the smallest last.
                return self.back.pop_back();
            }
            self.read_batch(true);
        }
    }
}

impl<T, F: FnMut(&[u8], &Value) -> Option<T>> DoubleEndedIterator for Scan<'_, T, F> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(found) = self.back.pop_front() {
                return Some(found);
            }
            if self.exhausted {
                return self.front.pop_back();
            }
            self.read_batch(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stored_key::INLINE_KEY;

    fn v(s: &str) -> Option<Value> {
        Some(Arc::from(s.as_bytes()))
    }

    fn at(ts: Timestamp) -> ReadAt {
        ReadAt::Snapshot { ts, txn: 0 }
    }

    /// The hold a request granted for the first time.
    fn hold<T>(granted: Result<Granted<T>, Conflict>) -> Held {
        granted
            .expect("granted")
            .new_hold
            .expect("the first hold on the key")
    }

    /// The hold a granted request handed out, if it was the first on its key.
    fn hold_of<T>(granted: Result<Granted<T>, Conflict>) -> Option<Held> {
        granted.expect("granted").new_hold
    }

    /// What a request found, or why it was refused.
    fn found<T>(granted: Result<Granted<T>, Conflict>) -> Result<T, Conflict> {
        granted.map(|g| g.found)
    }

    #[test]
    fn a_chain_and_its_reference_counts_fit_in_96_bytes() {
        // Every key pays for one; rare parts live behind a pointer to keep it so.
        let size = std::mem::size_of::<Chain>() + 2 * std::mem::size_of::<usize>();
        assert!(size <= 96, "Arc<Chain> takes {size} bytes");
    }

    #[test]
    fn rare_parts_are_freed_once_versions_and_shared_locks_are_gone() {
        let store = VersionStore::new();
        store.install(b"a", 1, v("1"), 0);
        store.install(b"a", 2, v("2"), 0);
        let one = hold(store.lock(b"a", 7, LockMode::Shared, None, 0));
        let rare = |store: &VersionStore| {
            store.index.read(b"a", |e| {
                e.is_some_and(|e| e.chain.state.read().rare.is_some())
            })
        };
        assert!(rare(&store));
        store.gc(2);
        assert!(rare(&store), "the shared lock is still there");
        store.finish(7, [(&b"a"[..], &one)], 0);
        assert!(!rare(&store));
        assert_eq!(store.get(b"a", at(1)), None, "pruned at horizon 2");
        assert_eq!(store.get(b"a", at(2)), v("2"));
    }

    /// Whether `key`'s index entry holds a copy of its newest version, and which.
    fn copy(store: &VersionStore, key: &[u8]) -> Option<(Timestamp, Option<Value>)> {
        store.index.read(key, |e| {
            e.filter(|e| e.newest_ts != 0)
                .map(|e| (e.newest_ts, e.newest.clone()))
        })
    }

    fn indexed(store: &VersionStore, key: &[u8]) -> bool {
        store.index.read(key, |e| e.is_some())
    }

    /// Transaction `txn` writes `value` to `key` and commits it at `ts`, as the txn crate
    /// does: written pending, installed, then the lock released.
    fn commit_write(store: &VersionStore, txn: TxnId, key: &[u8], value: &str, ts: Timestamp) {
        let held = hold(store.write(key, txn, v(value), None));
        store.commit_pending(txn, [(key, &held)], ts, 0);
        store.finish(txn, [(key, &held)], 0);
    }

    #[test]
    fn keys_a_write_creates_are_indexed_at_their_first_point_access() {
        let store = VersionStore::new();
        commit_write(&store, 1, b"a", "x", 3);
        commit_write(&store, 2, b"b", "y", 4);
        assert!(!indexed(&store, b"a") && !indexed(&store, b"b"));
        assert_eq!(store.newest_ts(b"a"), 3, "the skip list answers");
        assert_eq!(store.get(b"a", at(5)), v("x"), "read from the skip list");
        assert_eq!(
            copy(&store, b"a"),
            Some((3, v("x"))),
            "and indexed with a copy"
        );
        assert_eq!(store.get(b"c", at(5)), None);
        assert!(
            !indexed(&store, b"c"),
            "an absent key leaves nothing behind"
        );
        // A write to a key that was there indexes it too.
        hold(store.lock(b"b", 3, LockMode::Shared, None, 0));
        assert_eq!(copy(&store, b"b"), Some((4, v("y"))));
        // Recovery's installs index the keys they create at once.
        store.install(b"d", 5, v("z"), 0);
        assert!(indexed(&store, b"d"));
        assert_eq!(store.get(b"d", at(5)), v("z"));
    }

    #[test]
    fn a_collected_key_written_again_is_found_by_point_reads() {
        let store = VersionStore::new();
        store.install(b"a", 1, v("old"), 0);
        assert_eq!(store.get(b"a", at(1)), v("old"), "indexed");
        store.install(b"a", 2, None, 0);
        assert_eq!(store.gc(2).keys_removed, 1);
        assert!(!indexed(&store, b"a"), "the dead chain left the index");
        // A fresh chain, which a transaction's write that creates it does not index.
        commit_write(&store, 1, b"a", "new", 3);
        assert!(!indexed(&store, b"a"));
        assert_eq!(store.get(b"a", at(3)), v("new"));
        assert_eq!(store.get(b"a", at(2)), None);
    }

    #[test]
    fn index_copies_the_newest_version_at_first_read_and_commits_keep_it_current() {
        let store = VersionStore::new();
        commit_write(&store, 1, b"a", "x", 3);
        assert_eq!(copy(&store, b"a"), None, "a first commit makes no copy");
        assert_eq!(store.get(b"a", at(2)), None, "too old: read from the chain");
        assert_eq!(
            copy(&store, b"a"),
            Some((3, v("x"))),
            "the first read made one"
        );
        assert_eq!(store.get(b"a", at(5)), v("x"));
        // A commit refreshes the copy before it can be visible.
        let held = hold(store.write(b"a", 2, v("y"), None));
        assert_eq!(store.get(b"a", at(9)), v("x"), "pending: not visible");
        assert_eq!(
            store.get(b"a", ReadAt::Snapshot { ts: 9, txn: 2 }),
            v("y"),
            "the writer reads its own pending version, not the copy"
        );
        assert_eq!(store.get(b"a", ReadAt::Latest), v("y"), "a dirty read");
        store.commit_pending(2, [(&b"a"[..], &held)], 6, 0);
        assert_eq!(copy(&store, b"a"), Some((6, v("y"))));
        assert_eq!(
            store.get(b"a", at(5)),
            v("x"),
            "older snapshots read the chain"
        );
        assert_eq!(store.get(b"a", at(6)), v("y"));
        store.finish(2, [(&b"a"[..], &held)], 0);
        // A delete's tombstone is copied too, and recovery's installs refresh it.
        let held = hold(store.write(b"a", 3, None, None));
        store.commit_pending(3, [(&b"a"[..], &held)], 8, 0);
        store.finish(3, [(&b"a"[..], &held)], 0);
        assert_eq!(copy(&store, b"a"), Some((8, None)));
        assert_eq!(store.get(b"a", at(8)), None);
        store.install(b"a", 9, v("z"), 0);
        assert_eq!(copy(&store, b"a"), Some((9, v("z"))));
        assert_eq!(store.get(b"a", at(9)), v("z"));
        assert_eq!(store.get(b"a", at(8)), None);
    }

    #[test]
    fn reading_a_large_value_holds_no_lock_that_a_commit_to_another_key_needs() {
        let store = Arc::new(VersionStore::new());
        let big: Value = Arc::from(vec![7_u8; LARGE_VALUE]);
        store.install(b"big", 1, Some(big), 0);
        // A key of the same index shard, with a committed version, so that committing
        // it again refreshes its entry under the shard's write lock.
        let other = (0..)
            .map(|i: u32| format!("k{i}").into_bytes())
            .find(|k| store.index.same_shard(k, b"big"))
            .expect("some key shares the shard");
        store.install(&other, 1, v("0"), 0);
        for read in 0..2 {
            // The first read finds the value in the chain, the second in the entry's copy.
            let committed = store.get_with(b"big", at(5), |value| {
                assert_eq!(value.map(|v| v.len()), Some(LARGE_VALUE));
                let (store, other) = (store.clone(), other.clone());
                let commit = std::thread::spawn(move || {
                    store.install(&other, 2 + read, v("1"), 0);
                });
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
                while !commit.is_finished() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                commit.is_finished()
            });
            assert!(committed, "read {read}: the commit waited for the reader");
        }
    }

    #[test]
    fn snapshot_sees_newest_version_at_or_before_it() {
        let store = VersionStore::new();
        store.install(b"a", 3, v("x"), 0);
        store.install(b"a", 7, v("y"), 0);
        assert_eq!(store.get(b"a", at(2)), None);
        assert_eq!(store.get(b"a", at(3)), v("x"));
        assert_eq!(store.get(b"a", at(6)), v("x"));
        assert_eq!(store.get(b"a", at(7)), v("y"));
    }

    #[test]
    fn pending_version_is_seen_by_its_owner_and_dirty_readers_only() {
        let store = VersionStore::new();
        store.install(b"a", 1, v("old"), 0);
        store.write(b"a", 9, v("new"), None).unwrap();
        assert_eq!(
            store.get(b"a", ReadAt::Snapshot { ts: 5, txn: 9 }),
            v("new")
        );
        assert_eq!(
            store.get(b"a", ReadAt::Snapshot { ts: 5, txn: 8 }),
            v("old")
        );
        assert_eq!(store.get(b"a", ReadAt::Latest), v("new"));
    }

    #[test]
    fn get_with_borrows_the_version_the_read_sees() {
        let store = VersionStore::new();
        store.install(b"a", 1, v("old"), 0);
        store.write(b"a", 9, v("new"), None).unwrap();
        store.install(b"gone", 2, None, 0);
        let owner = ReadAt::Snapshot { ts: 5, txn: 9 };
        let other = ReadAt::Snapshot { ts: 5, txn: 8 };
        let before = ReadAt::Snapshot { ts: 0, txn: 8 };
        let cases: [(ReadAt, &[u8], Option<&str>); 6] = [
            (owner, b"a", Some("new")),
            (other, b"a", Some("old")),
            (before, b"a", None),
            (ReadAt::Latest, b"a", Some("new")),
            (other, b"gone", None),
            (ReadAt::Latest, b"never", None),
        ];
        for (at, key, expected) in cases {
            let seen = store.get_with(key, at, |value| value.map(|v| v.to_vec()));
            assert_eq!(
                seen,
                expected.map(|e| e.as_bytes().to_vec()),
                "{at:?} {key:?}"
            );
        }
    }

    #[test]
    fn second_writer_is_blocked_by_pending_version() {
        let store = VersionStore::new();
        let held = hold(store.write(b"a", 1, v("x"), None));
        assert_eq!(
            found(store.write(b"a", 2, v("y"), None)).unwrap_err(),
            Conflict::Blocked { holders: vec![1] }
        );
        store.finish(1, [(&b"a"[..], &held)], 0);
        assert!(store.write(b"a", 2, v("y"), None).is_ok());
    }

    #[test]
    fn shared_locks_exclude_writers_but_not_each_other() {
        let store = VersionStore::new();
        let one = hold(store.lock(b"a", 1, LockMode::Shared, None, 0));
        let two = hold(store.lock(b"a", 2, LockMode::Shared, None, 0));
        let blocked = found(store.write(b"a", 3, v("x"), None));
        assert_eq!(
            blocked.unwrap_err(),
            Conflict::Blocked {
                holders: vec![1, 2]
            },
            "every sharer holds it"
        );
        store.finish(1, [(&b"a"[..], &one)], 0);
        store.finish(2, [(&b"a"[..], &two)], 0);
        assert!(store.write(b"a", 3, v("x"), None).is_ok());
    }

    #[test]
    fn only_a_first_request_on_a_key_hands_out_its_hold_and_take_skips_own_writes() {
        let store = VersionStore::new();
        assert!(hold_of(store.lock(b"a", 1, LockMode::Shared, None, 0)).is_some());
        assert!(
            hold_of(store.write(b"a", 1, v("x"), None)).is_none(),
            "upgrading a held shared lock"
        );
        assert!(hold_of(store.write(b"a", 1, v("y"), None)).is_none());
        assert!(
            store.take(b"a", 1).unwrap().is_none(),
            "its own pending write is not taken"
        );
        store.install(b"q", 3, v("msg"), 0);
        let taken = store.take(b"q", 1).unwrap().expect("taken");
        assert_eq!(taken.found.newest, v("msg"));
        let held = taken.new_hold.expect("the first hold");
        assert_eq!(
            held.pending(1).map(|p| p.value),
            Some(None),
            "a pending delete"
        );
        assert!(store.take(b"q", 1).unwrap().is_none(), "taken already");
        assert_eq!(
            store.take(b"q", 2).map(|t| t.map(|g| g.found)),
            Err(Conflict::Blocked { holders: vec![1] })
        );
    }

    #[test]
    fn first_updater_wins_refuses_write_over_newer_commit_and_leaves_no_lock() {
        let store = VersionStore::new();
        store.install(b"a", 5, v("x"), 0);
        let err = store.write(b"a", 1, v("y"), Some(4)).unwrap_err();
        assert_eq!(
            err,
            Conflict::Changed {
                committed_ts: 5,
                deleted: false
            }
        );
        assert!(store.write(b"a", 2, v("z"), Some(5)).is_ok());
    }

    #[test]
    fn commit_makes_pending_visible_at_its_timestamp_and_releases_lock() {
        let store = VersionStore::new();
        let held = hold(store.write(b"a", 1, v("x"), None));
        assert_eq!(
            held.pending(1).map(|p| p.value),
            Some(v("x")),
            "its own pending write"
        );
        assert_eq!(held.pending(2), None, "not another's");
        store.commit_pending(1, [(&b"a"[..], &held)], 4, 0);
        assert_eq!(held.pending(1), None, "committed");
        assert_eq!(store.get(b"a", at(3)), None);
        assert_eq!(store.get(b"a", at(4)), v("x"));
        // Installed, but the lock stays until `finish`: the commit is made visible in
        // between, so whoever locks the key next sees it.
        assert!(matches!(
            found(store.write(b"a", 2, v("y"), None)),
            Err(Conflict::Blocked { holders }) if holders == [1]
        ));
        store.finish(1, [(&b"a"[..], &held)], 0);
        assert!(store.write(b"a", 2, v("y"), None).is_ok());
    }

    #[test]
    fn inline_and_heap_keys_order_and_find_as_their_bytes() {
        let store = VersionStore::new();
        let long = vec![b'a'; INLINE_KEY + 5];
        let keys: Vec<Vec<u8>> = vec![
            b"a".to_vec(),
            long.clone(),
            vec![b'a'; INLINE_KEY],
            b"b".to_vec(),
            vec![],
        ];
        for (i, k) in keys.iter().enumerate() {
            store.install(k, i as u64 + 1, v("x"), 0);
        }
        let all = (Bound::Unbounded, Bound::Unbounded);
        let scanned: Vec<Vec<u8>> = store.scan(all, at(10)).map(|(k, _)| k).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(scanned, sorted);
        assert_eq!(store.get(&long, at(10)), v("x"));
        assert_eq!(store.get(&long[..INLINE_KEY + 1], at(10)), None);
    }

    #[test]
    fn scan_is_ordered_and_skips_invisible_keys_in_both_directions() {
        let store = VersionStore::new();
        for (k, ts) in [("b", 1), ("a", 2), ("d", 3), ("c", 9)] {
            store.install(k.as_bytes(), ts, v(k), 0);
        }
        let range = (
            Bound::Included(b"a".to_vec()),
            Bound::Excluded(b"d".to_vec()),
        );
        let keys: Vec<_> = store.scan(range.clone(), at(5)).map(|(k, _)| k).collect();
        assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec()]);
        let back: Vec<_> = store.scan(range, at(9)).rev().map(|(k, _)| k).collect();
        assert_eq!(back, vec![b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]);
    }

    #[test]
    fn scan_with_reads_each_visible_entry_borrowed_and_leaves_out_what_it_rejects() {
        let store = VersionStore::new();
        for (k, ts) in [("a", 1), ("b", 2), ("c", 3), ("d", 9)] {
            store.install(k.as_bytes(), ts, v(&k.repeat(3)), 0);
        }
        let everything = (Bound::Unbounded, Bound::Unbounded);
        // Keeps the keys other than "b", as key and value length, visible at ts 5.
        let read = |key: &[u8], value: &Value| (key != b"b").then(|| (key[0], value.len()));
        let forward: Vec<_> = store.scan_with(everything.clone(), at(5), read).collect();
        assert_eq!(forward, vec![(b'a', 3), (b'c', 3)]);
        let backward: Vec<_> = store.scan_with(everything, at(9), read).rev().collect();
        assert_eq!(backward, vec![(b'd', 3), (b'c', 3), (b'a', 3)]);
    }

    #[test]
    fn a_scan_reads_a_large_value_without_holding_its_key_against_a_writer() {
        let store = Arc::new(VersionStore::new());
        store.install(b"big", 1, Some(Arc::from(vec![7_u8; LARGE_VALUE])), 0);
        let everything = (Bound::Unbounded, Bound::Unbounded);
        let committed: Vec<bool> = store
            .scan_with(everything, at(5), |_, value| {
                assert_eq!(value.len(), LARGE_VALUE);
                let store = store.clone();
                let commit = std::thread::spawn(move || store.install(b"big", 2, v("1"), 0));
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
                while !commit.is_finished() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Some(commit.is_finished())
            })
            .collect();
        assert_eq!(
            committed,
            vec![true],
            "the commit waited for the scan's reader"
        );
    }

    #[test]
    fn gc_keeps_what_the_horizon_can_see_and_removes_old_tombstones() {
        let store = VersionStore::new();
        store.install(b"a", 1, v("1"), 0);
        store.install(b"a", 2, v("2"), 0);
        store.install(b"a", 3, v("3"), 0);
        store.install(b"b", 1, v("1"), 0);
        store.install(b"b", 2, None, 0);
        let stats = store.gc(2);
        assert_eq!(store.get(b"a", at(2)), v("2"));
        assert_eq!(store.get(b"a", at(3)), v("3"));
        assert_eq!(stats.keys_removed, 1);
        assert_eq!(store.key_count(), 1);
        store.install(b"b", 4, v("again"), 0);
        assert_eq!(store.get(b"b", at(4)), v("again"));
    }

    #[test]
    fn gc_unlinks_keys_left_empty_by_rollbacks_and_locks_and_skips_live_ones() {
        let store = VersionStore::new();
        store.install(b"live", 1, v("x"), 1);
        let written = hold(store.write(b"rolled-back", 7, v("y"), None));
        let locked = hold(store.lock(b"absent", 7, LockMode::Shared, None, 0));
        let held = [(&b"rolled-back"[..], &written), (&b"absent"[..], &locked)];
        store.finish(7, held, 0);
        assert_eq!(store.key_count(), 3);
        let stats = store.gc(1);
        assert_eq!(stats.keys_removed, 2);
        assert_eq!(stats.keys_scanned, 2, "the live key is not visited");
        assert_eq!(store.key_count(), 1);
        assert_eq!(store.get(b"live", at(1)), v("x"));
    }

    #[test]
    fn versions_kept_for_an_old_snapshot_are_collected_once_the_horizon_passes() {
        let store = VersionStore::new();
        store.install(b"a", 1, v("1"), 0);
        store.install(b"a", 2, v("2"), 0);
        store.install(b"a", 3, v("3"), 0);
        assert_eq!(
            store.gc(1).versions_dropped,
            0,
            "a snapshot at 1 needs them all"
        );
        assert_eq!(store.get(b"a", at(1)), v("1"));
        assert_eq!(store.gc(3).versions_dropped, 2);
        assert_eq!(store.gc(3).keys_scanned, 0, "nothing left to reclaim");
        assert_eq!(store.get(b"a", at(3)), v("3"));
    }

    #[test]
    fn insert_writes_only_where_no_row_is_seen_and_keeps_the_lock_either_way() {
        let store = VersionStore::new();
        store.install(b"taken", 3, v("old"), 0);
        let at = ReadAt::Snapshot { ts: 5, txn: 9 };
        assert_eq!(
            found(store.insert(b"free", 9, v("new").unwrap(), None, at, 5)),
            Ok(None)
        );
        assert_eq!(
            store.get(b"free", at),
            v("new"),
            "written as 9's pending version"
        );
        let seen = found(store.insert(b"taken", 9, v("dup").unwrap(), None, at, 5));
        assert_eq!(seen, Ok(v("old")));
        assert_eq!(store.get(b"taken", at), v("old"), "nothing written");
        assert_eq!(
            found(store.write(b"taken", 8, v("x"), None)).unwrap_err(),
            Conflict::Blocked { holders: vec![9] },
            "the lock stays"
        );
        // A row committed after the statement's snapshot is seen (READ COMMITTED's re-check).
        store.install(b"late", 7, v("late"), 0);
        let granted = store.insert(b"late", 10, v("mine").unwrap(), None, at, 5);
        let late = granted.expect("granted");
        assert_eq!(late.found, v("late"));
        let late = late.new_hold.expect("the first hold");
        // Another transaction's lock alone does not hold an insert up: the row is there,
        // returned at once, and no lock is taken.
        let at_once = store.insert(b"late", 11, v("mine").unwrap(), Some(5), at, 5);
        let at_once = at_once.expect("not blocked");
        assert_eq!(at_once.found, v("late"));
        assert!(at_once.new_hold.is_none());
        // A writer is waited for.
        store
            .write(b"late", 10, v("newer"), None)
            .expect("10 holds the key");
        let refused = found(store.insert(b"late", 11, v("mine").unwrap(), Some(5), at, 5));
        assert_eq!(refused, Err(Conflict::Blocked { holders: vec![10] }));
        store.finish(10, [(&b"late"[..], &late)], 0);
        // Then first updater wins.
        let refused = found(store.insert(b"late", 11, v("mine").unwrap(), Some(5), at, 5));
        let changed = Conflict::Changed {
            committed_ts: 7,
            deleted: false,
        };
        assert_eq!(refused, Err(changed));
    }

    #[test]
    fn a_row_begins_at_an_insert_or_after_a_delete_and_goes_on_through_updates() {
        let store = VersionStore::new();
        // Whether the row a snapshot at `seen_at` sees under `key` has ended since.
        let row_ended = |store: &VersionStore, key: &[u8], seen_at| {
            let granted = store
                .lock(key, 99, LockMode::Shared, None, seen_at)
                .expect("granted");
            let held = granted.new_hold.expect("the first hold");
            store.finish(99, [(key, &held)], 0);
            granted.found.row_ended
        };
        // Installed (recovery): the first version begins the row, later ones change it.
        store.install(b"a", 2, v("1"), 0);
        store.install(b"a", 3, v("2"), 0);
        assert!(!row_ended(&store, b"a", 2));
        // Updates go on with the row.
        commit_write(&store, 1, b"a", "3", 4);
        assert!(!row_ended(&store, b"a", 2));
        // Deleted and inserted again in one transaction: a new row.
        let held = hold(store.write(b"a", 2, None, None));
        let seen_at = ReadAt::Snapshot { ts: 4, txn: 2 };
        let inserted = store.insert(b"a", 2, v("4").unwrap(), None, seen_at, 4);
        assert_eq!(found(inserted), Ok(None));
        store.commit_pending(2, [(&b"a"[..], &held)], 5, 0);
        store.finish(2, [(&b"a"[..], &held)], 0);
        assert!(row_ended(&store, b"a", 4));
        assert!(!row_ended(&store, b"a", 5));
        commit_write(&store, 3, b"a", "5", 6);
        assert!(
            !row_ended(&store, b"a", 5),
            "an update after it goes on with it"
        );
        assert!(
            row_ended(&store, b"a", 4),
            "the row seen at 4 is still gone"
        );
        // A write after the transaction's own delete is a new row too, and so is one
        // that follows a committed delete.
        let held = hold(store.write(b"a", 4, None, None));
        store.write(b"a", 4, v("6"), None).expect("its own key");
        store.commit_pending(4, [(&b"a"[..], &held)], 7, 0);
        store.finish(4, [(&b"a"[..], &held)], 0);
        assert!(row_ended(&store, b"a", 6));
        let held = hold(store.write(b"a", 5, None, None));
        store.commit_pending(5, [(&b"a"[..], &held)], 8, 0);
        store.finish(5, [(&b"a"[..], &held)], 0);
        assert!(row_ended(&store, b"a", 7), "deleted");
        commit_write(&store, 6, b"a", "7", 9);
        assert!(row_ended(&store, b"a", 8));
        assert!(!row_ended(&store, b"a", 9));
        // First updater wins tells a row deleted after the snapshot from one updated
        // after it, and from no row at all.
        let refusal = |key: &[u8], snapshot| {
            let refused = store.write(key, 20, v("x"), Some(snapshot));
            match found(refused).unwrap_err() {
                Conflict::Changed { deleted, .. } => deleted,
                other => panic!("{other:?}"),
            }
        };
        assert!(refusal(b"a", 6), "the row seen at 6 was replaced at 7");
        assert!(refusal(b"a", 4), "the row seen at 4 was replaced at 5");
        assert!(!refusal(b"a", 8), "nothing seen at 8, a tombstone");
        // An insert's row stays new through its own transaction's later writes.
        let seen_at = ReadAt::Snapshot { ts: 9, txn: 7 };
        let held = hold(store.insert(b"b", 7, v("1").unwrap(), None, seen_at, 9));
        store.write(b"b", 7, v("2"), None).expect("its own key");
        store.commit_pending(7, [(&b"b"[..], &held)], 10, 0);
        store.finish(7, [(&b"b"[..], &held)], 0);
        assert!(row_ended(&store, b"b", 9));
        commit_write(&store, 8, b"b", "3", 11);
        assert!(!row_ended(&store, b"b", 10));
        assert!(!refusal(b"b", 10), "the row seen at 10 was updated at 11");
    }
}
