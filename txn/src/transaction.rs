//! A transaction: reads at its snapshot, pending writes that lock rows, and a commit that
//! goes through the write-ahead log.

use std::collections::HashMap;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;
use std::time::Instant;

use isolde_engine::{
    Conflict, Granted, Held, LockMode, Locked, PendingWrite, ReadAt, Scan, Timestamp, TxnId, Value,
    VersionStore,
};

use crate::error::{ConflictKind, Error, Result, SerializationFailure};
use crate::isolation::IsolationLevel;
use crate::manager::Shared;
use crate::record::CommitRecord;
use crate::snapshot::{Pin, TxnHandle};
use crate::ssi::SerTxn;

/// The largest key accepted, in bytes.
pub const MAX_KEY_SIZE: usize = 64 * 1024;
/// The largest value accepted, in bytes.
pub const MAX_VALUE_SIZE: usize = 64 * 1024 * 1024;

/// What a row lock found (see [`Transaction::lock`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowLock {
    /// The newest committed value of the key (None: absent or deleted).
    pub value: Option<Value>,
    /// True when that version committed after the current statement's snapshot, or, at
    /// READ UNCOMMITTED, whenever the row is not this transaction's own write (the
    /// statement may have read an uncommitted version that is gone now): the caller should
    /// re-check its condition against `value` (at READ COMMITTED and READ UNCOMMITTED).
    pub changed: bool,
    /// True at READ COMMITTED when the row the statement saw is gone: it was deleted
    /// after the statement's snapshot, and whatever `value` holds now is another row
    /// inserted under the same key since. A caller that holds rows by key passes over the
    /// row, as PostgreSQL does a tuple deleted under a waiting `UPDATE`.
    pub replaced: bool,
}

/// A savepoint of a transaction: [`Transaction::rollback_to`] undoes what the
/// transaction did after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Savepoint {
    /// Its place among the transaction's open savepoints.
    depth: usize,
    /// Which savepoint taken at that depth it is: one released or rolled back past is
    /// not mistaken for a later one at the same depth.
    number: u64,
}

/// What a transaction had when a savepoint was taken, and what it changed since on the
/// keys it held already.
struct Mark {
    /// The savepoint's [`Savepoint::number`].
    number: u64,
    /// How many keys it held, and messages it had queued.
    held: usize,
    messages: usize,
    /// The keys held before the savepoint (by position in `held`) that it wrote while
    /// this was the newest savepoint, with their pending write before the first such
    /// write.
    saved: HashMap<usize, Option<PendingWrite>>,
}

/// A transaction's snapshot. The pin is given back when the transaction ends, and
/// another transaction may take its slot at once: nothing may reach the slot through
/// an ended transaction.
enum Snapshot {
    Pinned(Pin),
    Ended(Timestamp),
}

/// How a commit ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    /// The commit timestamp; None for a transaction that wrote nothing.
    pub ts: Option<Timestamp>,
}

/// A transaction at one isolation level.
///
/// Reads take `&self`; writes take `&mut self`. [`Transaction::commit`] and
/// [`Transaction::rollback`] consume it, and dropping an open transaction rolls it back.
/// After a serialization failure, deadlock or lock timeout the transaction is rolled back
/// at once (its locks released, so others go on) and every later call returns
/// [`Error::Aborted`].
pub struct Transaction {
    shared: Arc<Shared>,
    id: TxnId,
    /// Its snapshot: pinned while it is active, as it was when it ended after that.
    snapshot: Snapshot,
    /// Made before its first lock request (see [`crate::snapshot::Registry::register`]): a transaction
    /// that only reads has none.
    handle: Option<Arc<TxnHandle>>,
    level: IsolationLevel,
    read_only: bool,
    ser: Option<Arc<SerTxn>>,
    /// Every key it holds a lock on, written or only locked, once each, in the order first
    /// locked, with the key's chain: commit and rollback end these holds without looking
    /// the keys up again, and the commit record's writes are the pending versions on them.
    held: Vec<(Vec<u8>, Held)>,
    /// True once it has written something (a pending version stays until it ends).
    wrote: bool,
    messages: Vec<(Vec<u8>, Vec<u8>)>,
    /// Open savepoints, oldest first (see [`Transaction::savepoint`]), and how many were
    /// ever taken.
    savepoints: Vec<Mark>,
    savepoints_taken: u64,
    /// Each held key's position in `held`, kept while a savepoint is open.
    held_at: HashMap<Vec<u8>, usize>,
    /// Why the transaction was rolled back, once it was.
    /// Why it failed, and whether that error was retryable.
    failed: Option<(String, bool)>,
    ended: bool,
}

impl Transaction {
    pub(crate) fn new(shared: Arc<Shared>, level: IsolationLevel, read_only: bool) -> Transaction {
        let (pin, ser) = if level == IsolationLevel::Serializable {
            let (pin, ser) = shared.ssi.begin(read_only, &shared.registry, &shared.clock);
            (pin, Some(ser))
        } else {
            (shared.registry.begin(&shared.clock), None)
        };
        Transaction {
            shared,
            id: pin.id,
            snapshot: Snapshot::Pinned(pin),
            handle: None,
            level,
            read_only,
            ser,
            held: Vec::new(),
            wrote: false,
            messages: Vec::new(),
            savepoints: Vec::new(),
            savepoints_taken: 0,
            held_at: HashMap::new(),
            failed: None,
            ended: false,
        }
    }

    /// This transaction's id, as errors name it (`T42`).
    pub fn id(&self) -> TxnId {
        self.id
    }

    /// Its isolation level.
    pub fn level(&self) -> IsolationLevel {
        self.level
    }

    /// True if it was started READ ONLY.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The timestamp its reads currently see (the statement's, at READ COMMITTED).
    pub fn snapshot(&self) -> Timestamp {
        match &self.snapshot {
            Snapshot::Pinned(pin) => self.shared.registry.snapshot(pin),
            Snapshot::Ended(ts) => *ts,
        }
    }

    /// True when it has written something.
    pub fn has_writes(&self) -> bool {
        self.wrote
    }

    /// Marks the start of a statement: at READ COMMITTED, reads from here on see a fresh
    /// snapshot. At the other levels it does nothing.
    pub fn begin_statement(&self) {
        if let (IsolationLevel::ReadCommitted, Snapshot::Pinned(pin)) = (self.level, &self.snapshot)
        {
            self.shared
                .registry
                .advance(pin, self.shared.clock.visible());
        }
    }

    /// The value of `key`, or None.
    pub fn get(&self, key: &[u8]) -> Result<Option<Value>> {
        self.get_with(key, |value| value.cloned())
    }

    /// Runs `f` on the value of `key` (None if absent), borrowed: cheaper than
    /// [`Transaction::get`] for a caller that copies or decodes the value. `f` runs under
    /// the key's locks: it must be short and must not use the database.
    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&Value>) -> R) -> Result<R> {
        self.ensure_active()?;
        if let Some(ser) = &self.ser {
            ser.read_point(key);
        }
        let at = match self.read_at() {
            // Holding no key, the transaction has no uncommitted version anywhere: it
            // reads as no transaction, which lets the store answer from its point index
            // alone (`VersionStore::get_with`).
            ReadAt::Snapshot { ts, .. } if self.held.is_empty() => ReadAt::Snapshot { ts, txn: 0 },
            at => at,
        };
        Ok(self.shared.store.get_with(key, at, f))
    }

    /// The keys in `range` with their values, in key order (reverse it with `.rev()`),
    /// read lazily. At SERIALIZABLE the whole range counts as read, so a concurrent insert
    /// into it is a conflict (no phantoms).
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Result<Scan<'_>> {
        let owned = |b: Bound<&K>| b.map(|k| k.as_ref().to_vec());
        self.scan_bounds((owned(range.start_bound()), owned(range.end_bound())))
    }

    /// Every key starting with `prefix`, in order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Scan<'_>> {
        let end = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
        self.scan_bounds((Bound::Included(prefix.to_vec()), end))
    }

    fn scan_bounds(&self, range: (Bound<Vec<u8>>, Bound<Vec<u8>>)) -> Result<Scan<'_>> {
        self.scan_with(range, |key, value| Some((key.to_vec(), value.clone())))
    }

    /// [`Transaction::scan`] of the keys between `range`'s bounds, turning each entry
    /// into an item with `read`, borrowed, or leaving it out (None): a caller that copies
    /// or decodes values takes no reference to each. `read` runs under the entry's lock:
    /// it must be short and must not use the database.
    pub fn scan_with<T, F>(
        &self,
        range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
        read: F,
    ) -> Result<Scan<'_, T, F>>
    where
        F: FnMut(&[u8], &Value) -> Option<T>,
    {
        self.ensure_active()?;
        if let Some(ser) = &self.ser {
            ser.read_range(range.clone());
        }
        Ok(self.shared.store.scan_with(range, self.read_at(), read))
    }

    /// Sets `key` to `value`. Waits while another transaction holds the row.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        check_value(value)?;
        self.write(key, Some(Value::from(value))).map(drop)
    }

    /// Writes `value` at `key` unless a row is there: `INSERT`'s step, one visit of the
    /// key where [`Transaction::lock`], [`Transaction::get`] and [`Transaction::put`] take
    /// three. It locks `key` exclusively (waiting like `put`); then, if the transaction
    /// sees a value there (its own write, the snapshot's version, or a version committed
    /// after the snapshot), returns it and writes nothing, the lock staying held as after
    /// `lock`. Otherwise writes and returns None. At SERIALIZABLE the key counts as read.
    ///
    /// A key is a uniqueness check, not a row the transaction read, so there is no
    /// first-updater-wins here, at any level: as PostgreSQL's unique index sees the
    /// newest committed row whatever the snapshot, a row committed after the snapshot is
    /// returned (the caller's unique violation, 23505), and a key deleted after it is
    /// free at REPEATABLE READ (PostgreSQL's insert makes a new row, no update of the
    /// deleted one). SERIALIZABLE still refuses that key (40001): a write over another
    /// transaction's concurrent delete is the write-write conflict its SSI check counts
    /// on snapshot isolation to have prevented. An `ON CONFLICT` arbiter, which does
    /// act on the row it finds, takes it through [`Transaction::lock`] instead.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Value>> {
        check_key(key)?;
        check_value(value)?;
        self.ensure_writable()?;
        self.save_before_write(key);
        if let Some(ser) = &self.ser {
            ser.read_point(key);
        }
        let (id, at, snapshot) = (self.id(), self.read_at(), self.snapshot());
        let value = Value::from(value);
        let granted = self.acquire(key, |store, _| {
            store.insert(key, id, value.clone(), None, at, snapshot)
        })?;
        let wrote = granted.found.is_none();
        self.wrote |= wrote;
        let found = self.keep(key, granted);
        if wrote && self.level == IsolationLevel::Serializable {
            // Under the lock no one else commits `key`: a newer version is a delete.
            let committed_ts = self.shared.store.newest_ts(key);
            if committed_ts > snapshot {
                return Err(self.concurrent_update(key, committed_ts, true, None));
            }
        }
        Ok(found)
    }

    /// Deletes `key` (deleting an absent key is not an error). Waits like `put`.
    pub fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.write(key, None).map(drop)
    }

    /// Writes `value` at `key` (None deletes), as [`Transaction::put`] and
    /// [`Transaction::delete`] do, and returns the value the write replaces: this
    /// transaction's own earlier write of the key if it made one, else the newest
    /// committed version, found under the exclusive lock the write takes, so that no one
    /// can change it in between. For data kept alongside the key and derived from its
    /// value, such as an index of it, which must follow exactly the value replaced.
    /// It is not a read for SERIALIZABLE: use [`Transaction::get`] to decide by a value.
    pub fn replace(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<Option<Value>> {
        if let Some(value) = value {
            check_value(value)?;
        }
        let (locked, own) = self.write(key, value.map(Value::from))?;
        Ok(own.map_or(locked.newest, |own| own.value))
    }

    /// Locks `key` without writing it (`SELECT ... FOR UPDATE` with
    /// [`LockMode::Exclusive`], `FOR SHARE` with [`LockMode::Shared`]), waiting while
    /// another transaction holds a conflicting lock. At REPEATABLE READ and SERIALIZABLE a
    /// row changed since the snapshot is a serialization failure; at READ COMMITTED the
    /// result says whether it changed since the statement began.
    pub fn lock(&mut self, key: &[u8], mode: LockMode) -> Result<RowLock> {
        check_key(key)?;
        self.ensure_active()?;
        let id = self.id();
        if let Some(ser) = &self.ser {
            ser.read_point(key); // a locking read is a read: SSI must see it
        }
        let snapshot = self.snapshot();
        let granted = self.acquire(key, |store, fuw| store.lock(key, id, mode, fuw, snapshot))?;
        let locked = self.keep(key, granted);
        Ok(self.row_lock(locked))
    }

    /// Locks `key` exclusively for an `ON CONFLICT` arbiter and returns the row it finds
    /// there, as PostgreSQL's speculative insertion does: this transaction's own view
    /// when nothing committed there after its snapshot; otherwise, at READ COMMITTED
    /// (and READ UNCOMMITTED) the newest committed row. At REPEATABLE READ and
    /// SERIALIZABLE a row committed after the snapshot is a serialization failure, and a
    /// row deleted after it leaves the key free at REPEATABLE READ (None), as it leaves
    /// it for [`Transaction::insert`]; SERIALIZABLE refuses that too.
    pub fn lock_arbiter(&mut self, key: &[u8]) -> Result<Option<Value>> {
        check_key(key)?;
        self.ensure_active()?;
        let id = self.id();
        if let Some(ser) = &self.ser {
            ser.read_point(key);
        }
        let snapshot = self.snapshot();
        let (granted, last_holder) = self.acquire_with(key, None, |store, _| {
            store.lock(key, id, LockMode::Exclusive, None, snapshot)
        })?;
        let locked = self.keep(key, granted);
        let newest_ts = locked.newest_ts;
        let lock = self.row_lock(locked);
        if !lock.changed {
            return self.get(key);
        }
        if !self.level.uses_transaction_snapshot() {
            return Ok(lock.value);
        }
        let deleted = lock.value.is_none();
        if deleted && self.level == IsolationLevel::RepeatableRead {
            return Ok(None);
        }
        Err(self.concurrent_update(key, newest_ts, deleted, last_holder))
    }

    /// Locks `key` as [`Transaction::lock`] does if no other transaction holds a lock
    /// that conflicts with `mode`; otherwise returns None at once, having waited for
    /// nothing and locked nothing: PostgreSQL's `FOR UPDATE NOWAIT` (which raises an
    /// error then) and `SKIP LOCKED` (which passes over the row).
    pub fn try_lock(&mut self, key: &[u8], mode: LockMode) -> Result<Option<RowLock>> {
        check_key(key)?;
        self.ensure_active()?;
        let id = self.id();
        if let Some(ser) = &self.ser {
            ser.read_point(key);
        }
        let first_updater_wins = self.first_updater_wins();
        let snapshot = self.snapshot();
        self.prepare_to_lock();
        match (self.shared.store).lock(key, id, mode, first_updater_wins, snapshot) {
            Ok(granted) => {
                let locked = self.keep(key, granted);
                Ok(Some(self.row_lock(locked)))
            }
            Err(Conflict::Blocked { .. }) => Ok(None),
            Err(Conflict::Changed {
                committed_ts,
                deleted,
            }) => Err(self.concurrent_update(key, committed_ts, deleted, None)),
        }
    }

    /// Takes the first key under `prefix` that no other transaction holds, deleting it
    /// in this transaction: `DELETE ... WHERE key = (SELECT ... FOR UPDATE SKIP LOCKED
    /// LIMIT 1)`. Keys held by others are skipped without waiting, so concurrent takers
    /// never get the same key and never block each other. It reads the newest committed
    /// data whatever the isolation level and is not tracked as a SERIALIZABLE read: it is
    /// the primitive under transactional queues, not a query. Returns the key and value.
    pub fn take_first(&mut self, prefix: &[u8]) -> Result<Option<(Vec<u8>, Value)>> {
        self.ensure_writable()?;
        self.prepare_to_lock();
        let shared = self.shared.clone();
        let id = self.id();
        let end = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
        let at = ReadAt::Snapshot {
            ts: shared.clock.visible(),
            txn: id,
        };
        for (key, _) in shared
            .store
            .scan((Bound::Included(prefix.to_vec()), end), at)
        {
            // Skipped: keys held by another taker or writer, and our own (already taken,
            // or enqueued by us and not yet committed).
            self.save_before_write(&key);
            let Ok(Some(taken)) = shared.store.take(&key, id) else {
                continue;
            };
            self.wrote = true;
            // None: taken and committed by someone since our scan began; the pending
            // delete is a harmless no-op, and we look further.
            if let Some(value) = self.keep(&key, taken).newest {
                return Ok(Some((key, value)));
            }
        }
        Ok(None)
    }

    /// Deletes `key` as [`Transaction::delete`] does, but only if its lock is granted at
    /// once: PostgreSQL's `NOWAIT`, answered rather than raised. Returns `Some` with the
    /// newest committed value it deleted (None: the key was absent), or None, writing
    /// nothing, when another transaction holds the key (or this one wrote it already).
    /// Like [`Transaction::take_first`] it reads the newest committed data whatever the
    /// level and is not tracked as a SERIALIZABLE read: the primitive under background
    /// expiry, not a query.
    pub fn delete_nowait(&mut self, key: &[u8]) -> Result<Option<Option<Value>>> {
        check_key(key)?;
        self.ensure_writable()?;
        self.save_before_write(key);
        self.prepare_to_lock();
        let Ok(Some(taken)) = self.shared.store.take(key, self.id()) else {
            return Ok(None);
        };
        self.wrote = true;
        Ok(Some(self.keep(key, taken).newest))
    }

    /// Queues a message to be published on `channel` if and when the transaction commits,
    /// in commit order. The message is part of the commit's log record.
    pub fn publish(&mut self, channel: &[u8], payload: &[u8]) -> Result<()> {
        self.ensure_active()?;
        self.messages.push((channel.to_vec(), payload.to_vec()));
        Ok(())
    }

    /// Commits. Returns once the commit is visible to new transactions and, under
    /// `appendfsync always`, on disk. On failure the transaction is rolled back.
    pub fn commit(mut self) -> Result<CommitInfo> {
        self.ensure_active()?;
        let result = self.try_commit();
        if let Err(e) = &result {
            self.abort(e.to_string(), e.is_retryable());
        }
        result
    }

    /// Rolls back: discards the pending writes and releases the locks.
    pub fn rollback(mut self) {
        self.abort("rolled back".to_string(), false);
    }

    fn ensure_writable(&self) -> Result<()> {
        self.ensure_active()?;
        if self.read_only {
            return Err(Error::ReadOnlyTransaction { txn: self.id() });
        }
        match self.shared.writes_stopped() {
            Some(stopped) => Err(stopped),
            None => Ok(()),
        }
    }

    /// Writes `value` as the pending version of `key`; returns what the lock found and
    /// the transaction's own earlier write of the key that this one replaced, if any.
    fn write(
        &mut self,
        key: &[u8],
        value: Option<Value>,
    ) -> Result<(Locked, Option<PendingWrite>)> {
        check_key(key)?;
        self.ensure_writable()?;
        self.save_before_write(key);
        let id = self.id();
        // Most often the key locked last: the row a statement just locked to change it.
        let fuw = self.first_updater_wins();
        let last = self.held.last().filter(|(last, _)| last == key);
        match last.and_then(|(_, held)| held.write(id, value.clone(), fuw)) {
            Some(Ok(found)) => {
                self.wrote = true;
                return Ok(found);
            }
            Some(Err(Conflict::Changed {
                committed_ts,
                deleted,
            })) => return Err(self.concurrent_update(key, committed_ts, deleted, None)),
            // Held shared only: the general way, which waits to upgrade.
            Some(Err(Conflict::Blocked { .. })) | None => {}
        }
        let granted = self.acquire(key, |store, fuw| store.write(key, id, value.clone(), fuw))?;
        self.wrote = true;
        Ok(self.keep(key, granted))
    }

    /// Makes the transaction's handle before its first request that may lock a key, so
    /// that whoever the lock blocks finds it and can wait for its end (see
    /// [`crate::snapshot::Registry::register`]). Every path to a lock in the store comes
    /// through here first.
    fn prepare_to_lock(&mut self) {
        if self.handle.is_none() {
            self.handle = Some(self.shared.registry.register(self.id()));
        }
    }

    /// Records a granted request's hold if it is the first on `key`; returns what it found.
    fn keep<T>(&mut self, key: &[u8], granted: Granted<T>) -> T {
        if let Some(held) = granted.new_hold {
            if !self.savepoints.is_empty() {
                self.held_at.insert(key.to_vec(), self.held.len());
            }
            self.held.push((key.to_vec(), held));
        }
        granted.found
    }

    /// Before a write of `key`: if the key was held before the newest savepoint and is
    /// written for the first time since, records its pending write, which a rollback to
    /// the savepoint puts back.
    fn save_before_write(&mut self, key: &[u8]) {
        let id = self.id();
        let Some(mark) = self.savepoints.last_mut() else {
            return;
        };
        let Some(&at) = self.held_at.get(key) else {
            return;
        };
        if at < mark.held {
            let held = &self.held[at].1;
            mark.saved.entry(at).or_insert_with(|| held.pending(id));
        }
    }

    /// Takes a savepoint: [`Transaction::rollback_to`] it undoes the writes made after
    /// it (and the messages queued), releasing the keys first locked after it; the locks
    /// on keys held before it stay, as taken. SQL's `SAVEPOINT`.
    pub fn savepoint(&mut self) -> Result<Savepoint> {
        self.ensure_active()?;
        if self.savepoints.is_empty() {
            let positions = self.held.iter().enumerate();
            self.held_at = positions.map(|(i, (key, _))| (key.clone(), i)).collect();
        }
        self.savepoints_taken += 1;
        let number = self.savepoints_taken;
        self.savepoints.push(Mark {
            number,
            held: self.held.len(),
            messages: self.messages.len(),
            saved: HashMap::new(),
        });
        let depth = self.savepoints.len() - 1;
        Ok(Savepoint { depth, number })
    }

    /// Where `savepoint` is among the open savepoints, or an error if it is not one.
    fn open_savepoint(&self, savepoint: Savepoint) -> Result<usize> {
        match self.savepoints.get(savepoint.depth) {
            Some(mark) if mark.number == savepoint.number => Ok(savepoint.depth),
            _ => Err(Error::UnknownSavepoint { txn: self.id() }),
        }
    }

    /// Undoes what the transaction did after `savepoint`, which stays; the savepoints
    /// taken after it are gone. SQL's `ROLLBACK TO SAVEPOINT`. A transaction that failed
    /// in this layer (a serialization failure, a deadlock, a lock timeout) was rolled
    /// back whole and cannot return to a savepoint.
    pub fn rollback_to(&mut self, savepoint: Savepoint) -> Result<()> {
        self.ensure_active()?;
        let depth = self.open_savepoint(savepoint)?;
        let (kept, messages) = (self.savepoints[depth].held, self.savepoints[depth].messages);
        let id = self.id();
        // Later savepoints' records first: a key's record in the oldest of them is its
        // write as of this savepoint.
        for later in self.savepoints[depth..].iter().rev() {
            for (&at, pending) in &later.saved {
                if at < kept {
                    self.held[at].1.restore(id, pending.clone());
                }
            }
        }
        let released = self.held.split_off(kept);
        let keys = released.iter().map(|(key, held)| (key.as_slice(), held));
        self.shared
            .store
            .finish(id, keys, self.shared.registry.horizon(&self.shared.clock));
        if let Some(handle) = self.handle.as_ref().filter(|_| !released.is_empty()) {
            self.shared.registry.released(handle);
            self.shared.waits.released(id);
        }
        for (key, _) in &released {
            self.held_at.remove(key);
        }
        self.messages.truncate(messages);
        self.savepoints.truncate(depth + 1);
        self.savepoints[depth].saved.clear();
        Ok(())
    }

    /// Forgets `savepoint` and those taken after it, keeping what was done since: SQL's
    /// `RELEASE SAVEPOINT`. A savepoint taken before it can still undo all of it.
    pub fn release_savepoint(&mut self, savepoint: Savepoint) -> Result<()> {
        self.ensure_active()?;
        let depth = self.open_savepoint(savepoint)?;
        let released = self.savepoints.split_off(depth);
        match self.savepoints.last_mut() {
            // Oldest first: the first record of a key is its write as of `outer`.
            Some(outer) => {
                for mark in released {
                    for (at, pending) in mark.saved {
                        if at < outer.held {
                            outer.saved.entry(at).or_insert(pending);
                        }
                    }
                }
            }
            None => self.held_at.clear(),
        }
        Ok(())
    }

    /// Runs a lock request, waiting for holders until it is granted; at the snapshot
    /// levels a newer committed version is a serialization failure.
    fn acquire<T>(
        &mut self,
        key: &[u8],
        request: impl Fn(&VersionStore, Option<Timestamp>) -> std::result::Result<T, Conflict>,
    ) -> Result<T> {
        let first_updater_wins = self.first_updater_wins();
        self.acquire_with(key, first_updater_wins, request)
            .map(|(granted, _)| granted)
    }

    /// [`Transaction::acquire`] with first-updater-wins as given; also returns the last
    /// transaction waited for, if any: the one that most likely committed what the
    /// request then found.
    fn acquire_with<T>(
        &mut self,
        key: &[u8],
        first_updater_wins: Option<Timestamp>,
        request: impl Fn(&VersionStore, Option<Timestamp>) -> std::result::Result<T, Conflict>,
    ) -> Result<(T, Option<TxnId>)> {
        self.prepare_to_lock();
        let mut last_holder = None;
        // When the first wait began and when waiting must end: read from the clock only
        // once a request is blocked, not on every uncontended write.
        let mut waiting: Option<(Instant, Option<Instant>)> = None;
        loop {
            let seen = self.shared.registry.releases();
            match request(&self.shared.store, first_updater_wins) {
                Ok(locked) => return Ok((locked, last_holder)),
                Err(Conflict::Blocked { holders }) => {
                    let timeout = self.shared.options.lock_timeout;
                    let window = *waiting.get_or_insert_with(|| {
                        let since = Instant::now();
                        (since, timeout.map(|t| since + t))
                    });
                    let waited = self.shared.waits.wait(
                        &self.shared.registry,
                        self.id(),
                        (&holders, seen),
                        key,
                        window,
                    );
                    if let Err(e) = waited {
                        return Err(self.fail(e));
                    }
                    last_holder = holders.first().copied();
                }
                Err(Conflict::Changed {
                    committed_ts,
                    deleted,
                }) => return Err(self.concurrent_update(key, committed_ts, deleted, last_holder)),
            }
        }
    }

    /// Fails the transaction for a version of `key` committed (by `other`, if known)
    /// after its snapshot, which a lock found: first-updater-wins.
    fn concurrent_update(
        &mut self,
        key: &[u8],
        committed_ts: Timestamp,
        deleted: bool,
        other: Option<TxnId>,
    ) -> Error {
        let failure = SerializationFailure {
            txn: self.id(),
            other,
            kind: ConflictKind::ConcurrentUpdate {
                key: key.to_vec(),
                committed_ts,
                deleted,
            },
        };
        self.fail(Error::Serialization(failure))
    }

    /// The snapshot a lock must find no newer committed version than, at the levels
    /// that fail rather than re-check (first-updater-wins).
    fn first_updater_wins(&self) -> Option<Timestamp> {
        self.level
            .uses_transaction_snapshot()
            .then(|| self.snapshot())
    }

    fn row_lock(&self, locked: Locked) -> RowLock {
        // A READ UNCOMMITTED statement may have chosen the row by another transaction's
        // uncommitted version, which its owner has since committed, overwritten or rolled
        // back: unless the row is this transaction's own write, what counts is the newest
        // committed version, never the one the statement read.
        let read_dirty = self.level == IsolationLevel::ReadUncommitted && !locked.own_pending;
        let snapshot = self.snapshot();
        RowLock {
            changed: read_dirty || locked.newest_ts > snapshot,
            replaced: self.level == IsolationLevel::ReadCommitted && locked.row_ended,
            value: locked.newest,
        }
    }

    fn try_commit(&mut self) -> Result<CommitInfo> {
        let shared = self.shared.clone();
        if !self.wrote && self.messages.is_empty() {
            if let Some(ser) = &self.ser {
                shared
                    .ssi
                    .commit(ser, Vec::new(), shared.clock.visible(), || {
                        Ok((shared.clock.assigned(), ()))
                    })?;
            }
            self.release();
            return Ok(CommitInfo { ts: None });
        }
        // The record carries the pending versions that change something; `locked` the
        // keys only locked and the no-op deletes. A delete of a key with no committed
        // value (never written, or deleted already) changes nothing: it stays out of the
        // record, so no log, replica or watch hears of it, and replaying the record gives
        // the same state. It still commits in memory with the others (a tombstone, so
        // first-updater-wins sees the key written, as before), and SSI is still told
        // the key was written: `ssi_keys` is every pending key, in the order held.
        let id = self.id();
        let held_keys = self.held.len();
        let (mut writes, mut written) =
            (Vec::with_capacity(held_keys), Vec::with_capacity(held_keys));
        let mut locked = Vec::new();
        let mut ssi_keys = Vec::new();
        for (key, held) in std::mem::take(&mut self.held) {
            let pending = held.pending(id).map(|p| p.value);
            if self.ser.is_some() && pending.is_some() {
                ssi_keys.push(key.clone());
            }
            match pending {
                Some(None) if !held.has_committed_value() => locked.push((key, held)),
                Some(value) => {
                    writes.push((key, value));
                    written.push(held);
                }
                None => locked.push((key, held)),
            }
        }
        let mut record = CommitRecord {
            ts: 0,
            writes,
            messages: std::mem::take(&mut self.messages),
        };
        let logged = match &self.ser {
            Some(ser) => shared
                .ssi
                .commit(ser, ssi_keys, shared.clock.visible(), || {
                    shared.log_commit(&mut record)
                }),
            None => shared.log_commit(&mut record).map(|(_, lsn)| lsn),
        };
        // Until the record is durable the versions stay pending: a failure below rolls
        // back, and the timestamp is finished empty so the clock goes on.
        if let Err(e) = logged.and_then(|lsn| shared.sync_log(lsn)) {
            let keys = record.writes.drain(..).map(|(key, _)| key);
            self.held = keys.zip(written).chain(locked).collect();
            if record.ts != 0 {
                shared.clock.finish(record.ts, None);
            }
            return Err(e);
        }
        // The versions are installed, then the commit becomes visible, and only then are
        // the locks released: whoever takes one of them next and then a fresh snapshot
        // (a READ COMMITTED statement, a CREATE INDEX) must see this commit in it.
        let ts = record.ts;
        let horizon = shared.registry.horizon(&shared.clock);
        let record = Arc::new(record);
        let held = (record.writes.iter().map(|(k, _)| k.as_slice()))
            .zip(&written)
            .chain(locked.iter().map(|(k, held)| (k.as_slice(), held)));
        shared.store.commit_pending(id, held.clone(), ts, horizon);
        shared.clock.finish(ts, shared.commit_notice(&record));
        let horizon = match &self.snapshot {
            Snapshot::Pinned(pin) => shared.registry.horizon_without(pin, &shared.clock),
            Snapshot::Ended(_) => shared.registry.horizon(&shared.clock),
        };
        shared.store.finish(id, held, horizon);
        self.end();
        Ok(CommitInfo { ts: Some(ts) })
    }

    fn read_at(&self) -> ReadAt {
        match self.level {
            IsolationLevel::ReadUncommitted => ReadAt::Latest,
            _ => ReadAt::Snapshot {
                ts: self.snapshot(),
                txn: self.id(),
            },
        }
    }

    fn ensure_active(&self) -> Result<()> {
        match &self.failed {
            Some((reason, retryable)) => Err(Error::Aborted {
                txn: self.id(),
                reason: reason.clone(),
                retryable: *retryable,
            }),
            None => Ok(()),
        }
    }

    /// Rolls back after an error that ends the transaction, and returns the error.
    fn fail(&mut self, error: Error) -> Error {
        self.abort(error.to_string(), error.is_retryable());
        error
    }

    fn abort(&mut self, reason: String, retryable: bool) {
        if self.ended {
            return;
        }
        if let Some(ser) = &self.ser {
            self.shared.ssi.abort(ser, self.shared.clock.visible());
        }
        self.release();
        self.failed = Some((reason, retryable));
    }

    /// Discards pending versions and releases every lock.
    fn release(&mut self) {
        let held = std::mem::take(&mut self.held);
        let keys = held.iter().map(|(key, held)| (key.as_slice(), held));
        let horizon = self.shared.registry.horizon(&self.shared.clock);
        self.shared.store.finish(self.id(), keys, horizon);
        self.wrote = false;
        self.end();
    }

    fn end(&mut self) {
        if !self.ended {
            self.ended = true;
            if let Snapshot::Pinned(pin) = std::mem::replace(&mut self.snapshot, Snapshot::Ended(0))
            {
                self.snapshot = Snapshot::Ended(self.shared.registry.unpin(pin));
            }
            if let Some(handle) = &self.handle {
                self.shared.registry.unregister(handle);
            }
        }
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // Most transactions are dropped after they ended: no reason to make.
        if !self.ended {
            self.abort("dropped".to_string(), false);
        }
    }
}

fn check_value(value: &[u8]) -> Result<()> {
    if value.len() > MAX_VALUE_SIZE {
        return Err(Error::ValueTooLarge {
            len: value.len(),
            max: MAX_VALUE_SIZE,
        });
    }
    Ok(())
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::EmptyKey);
    }
    if key.len() > MAX_KEY_SIZE {
        return Err(Error::KeyTooLarge {
            len: key.len(),
            max: MAX_KEY_SIZE,
        });
    }
    Ok(())
}

/// The smallest key greater than every key starting with `prefix`; None if there is none
/// (the prefix is empty or all 0xff).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}
