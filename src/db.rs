//! The embedded database: [`Db`] and its key-value [`Transaction`].
//!
//! Key-value keys live in their own namespace of the shared key space (see
//! [`crate::keyspace`]), apart from SQL's tables, so the two APIs never see each other's
//! data. Every call of the key-value API counts as one statement: at READ COMMITTED each
//! call reads a fresh snapshot.

use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use isolde_txn::{
    prefix_end, CheckpointInfo, CommitInfo, CommitObserver, CommitRecord, IsolationLevel, LockMode,
    TxnManager,
};

use crate::config::Options;
use crate::error::{Error, Result};
use crate::expiry::{self, Stored, Sweeper, Ttl};
use crate::keyspace::{self, KV_PREFIX, MAX_KEY_SIZE, MAX_VALUE_SIZE};
use crate::pubsub::{Broker, Subscription};
use crate::queue::{self, Queues};
use crate::watch::{Watch, Watches};

/// How often a blocked [`Transaction::dequeue_timeout`] looks again without being woken.
pub const DEQUEUE_POLL: Duration = Duration::from_millis(50);

/// An isolde database, embedded in this process.
///
/// `Db` is `Send + Sync` and cheap to clone: every clone is the same database.
///
/// ```
/// use isolde::{Db, IsolationLevel};
///
/// let db = Db::open_in_memory();
/// let mut tx = db.begin(IsolationLevel::Serializable);
/// tx.put(b"greeting", b"hello")?;
/// tx.commit()?;
/// assert_eq!(db.get(b"greeting")?, Some(b"hello".to_vec()));
/// # Ok::<(), isolde::Error>(())
/// ```
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    manager: TxnManager,
    fanout: Arc<Fanout>,
    options: Options,
    /// Stops and joins the expiry sweeper when the database is dropped.
    sweeper: Sweeper,
}

/// Hands each commit, in commit order, to pub/sub, watches and queue consumers.
struct Fanout {
    broker: Broker,
    watches: Arc<Watches>,
    queues: Queues,
}

/// The fan-out goes when the database does (with the transaction manager that holds it):
/// subscriptions close as their broker drops, and watches are told here.
impl Drop for Fanout {
    fn drop(&mut self) {
        self.watches.shut_down();
    }
}

impl CommitObserver for Fanout {
    fn committed(&self, record: &CommitRecord) {
        if !record.messages.is_empty() {
            self.broker
                .publish_batch(record.messages.iter().map(|(c, p)| (c, p)));
        }
        self.watches.committed(record);
        self.queues.committed(record);
    }
}

impl Db {
    /// Opens the database in directory `path`, creating it if needed, and recovers it: the
    /// newest valid checkpoint, then the write-ahead log after it. Warnings about what
    /// recovery repaired go to standard error.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Db> {
        let (manager, recovered) = TxnManager::open(path.as_ref(), options.txn_options())?;
        for warning in &recovered.warnings {
            eprintln!("isolde: warning: {warning}");
        }
        let queues = Queues::recover(&manager)?;
        Ok(Db::with_manager(manager, queues, options))
    }

    /// A throwaway database in memory: nothing is logged or checkpointed.
    pub fn open_in_memory() -> Db {
        Db::open_in_memory_with(Options::default())
    }

    /// A database in memory with the given options (the durability ones are ignored).
    pub fn open_in_memory_with(options: Options) -> Db {
        let manager = TxnManager::in_memory(options.txn_options());
        Db::with_manager(manager, Queues::default(), options)
    }

    fn with_manager(manager: TxnManager, queues: Queues, options: Options) -> Db {
        let broker = Broker::new(options.pubsub_buffer_limit);
        let fanout = Arc::new(Fanout {
            broker,
            watches: Arc::default(),
            queues,
        });
        manager.set_commit_observer(fanout.clone());
        let sweeper = Sweeper::start(manager.clone());
        Db {
            inner: Arc::new(Inner {
                manager,
                fanout,
                options,
                sweeper,
            }),
        }
    }

    /// Begins a transaction at `level`.
    pub fn begin(&self, level: IsolationLevel) -> Transaction {
        Transaction {
            inner: self.inner.manager.begin(level),
            db: self.inner.clone(),
        }
    }

    /// Begins a transaction that may only read.
    pub fn begin_read_only(&self, level: IsolationLevel) -> Transaction {
        Transaction {
            inner: self.inner.manager.begin_read_only(level),
            db: self.inner.clone(),
        }
    }

    /// Reads `key` in its own transaction at the default isolation level.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.autocommit_read(|tx| tx.get(key))
    }

    /// Sets `key` to `value` in its own transaction.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.autocommit(|tx| tx.put(key, value))
    }

    /// Sets `key` to `value`, expiring after `ttl` (Redis's `SET key value PX ttl`); a
    /// `ttl` under one millisecond is refused, as Redis refuses `PX 0`.
    pub fn put_with_ttl(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<()> {
        self.autocommit(|tx| tx.put_with_ttl(key, value, ttl))
    }

    /// Deletes `key` in its own transaction.
    pub fn delete(&self, key: &[u8]) -> Result<()> {
        self.autocommit(|tx| tx.delete(key))
    }

    /// Sets `key` to expire after `ttl`; false if it does not exist (Redis's EXPIRE).
    pub fn expire(&self, key: &[u8], ttl: Duration) -> Result<bool> {
        self.autocommit(|tx| tx.expire(key, ttl))
    }

    /// Removes `key`'s expiry; false if it does not exist or has none (Redis's PERSIST).
    pub fn persist(&self, key: &[u8]) -> Result<bool> {
        self.autocommit(|tx| tx.persist(key))
    }

    /// How long until `key` expires (Redis's TTL).
    pub fn ttl(&self, key: &[u8]) -> Result<Ttl> {
        self.autocommit_read(|tx| tx.ttl(key))
    }

    /// Number of committed messages in `queue` (taken ones included until their taker commits).
    pub fn queue_len(&self, queue: &[u8]) -> Result<usize> {
        let prefix = queue::prefix(queue)?;
        self.autocommit_read(|tx| Ok(tx.inner.scan_prefix(&prefix)?.count()))
    }

    /// The oldest committed message of `queue`, without taking it.
    pub fn peek(&self, queue: &[u8]) -> Result<Option<Vec<u8>>> {
        let prefix = queue::prefix(queue)?;
        self.autocommit_read(|tx| {
            Ok(tx
                .inner
                .scan_prefix(&prefix)?
                .next()
                .map(|(_, v)| v.to_vec()))
        })
    }

    fn autocommit<T>(&self, f: impl FnOnce(&mut Transaction) -> Result<T>) -> Result<T> {
        let mut tx = self.begin(self.inner.options.default_isolation);
        let result = f(&mut tx)?;
        tx.commit()?;
        Ok(result)
    }

    fn autocommit_read<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let tx = self.begin_read_only(self.inner.options.default_isolation);
        let result = f(&tx)?;
        tx.commit()?;
        Ok(result)
    }

    /// A SQL session on this database, at the default isolation level.
    pub fn session(&self) -> isolde_sql::Session {
        let mut session = isolde_sql::Session::new(self.inner.manager.clone());
        session.set_default_isolation(self.inner.options.default_isolation);
        session
    }

    /// Writes a checkpoint now, while transactions go on.
    pub fn checkpoint(&self) -> Result<CheckpointInfo> {
        Ok(self.inner.manager.checkpoint(|_| {})?)
    }

    /// Writes a checkpoint, reporting the number of keys written so far as it goes.
    pub fn checkpoint_with_progress(&self, progress: impl FnMut(u64)) -> Result<CheckpointInfo> {
        Ok(self.inner.manager.checkpoint(progress)?)
    }

    /// Rewrites the write-ahead log into a compact base (the AOF rewrite), while
    /// transactions go on.
    pub fn rewrite_log(&self) -> Result<()> {
        Ok(self.inner.manager.rewrite_log()?)
    }

    /// Publishes `payload` on `channel` now, outside any transaction; returns the number
    /// of receivers (Redis's PUBLISH).
    pub fn publish(&self, channel: &[u8], payload: &[u8]) -> usize {
        self.inner.fanout.broker.publish(channel, payload)
    }

    /// Subscribes to `channels` (Redis's SUBSCRIBE).
    pub fn subscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &self,
        channels: I,
    ) -> Subscription {
        self.inner.fanout.broker.subscribe(channels)
    }

    /// Subscribes to every channel matching one of `patterns` (Redis's PSUBSCRIBE).
    pub fn psubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &self,
        patterns: I,
    ) -> Subscription {
        self.inner.fanout.broker.psubscribe(patterns)
    }

    /// Every committed change of a key-value key starting with `prefix`, in commit order,
    /// from now on.
    pub fn watch(&self, prefix: &[u8]) -> Watch {
        self.inner
            .fanout
            .watches
            .open(prefix, self.inner.options.pubsub_buffer_limit)
    }

    /// The pub/sub broker (counters and all).
    pub fn broker(&self) -> &Broker {
        &self.inner.fanout.broker
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The transaction manager underneath (for tools, the SQL layer and tests).
    pub fn manager(&self) -> &TxnManager {
        &self.inner.manager
    }
}

/// A key-value transaction. Reads take `&self`, writes `&mut self`; [`commit`] and
/// [`rollback`] consume it and dropping it rolls back.
///
/// [`commit`]: Transaction::commit
/// [`rollback`]: Transaction::rollback
pub struct Transaction {
    inner: isolde_txn::Transaction,
    db: Arc<Inner>,
}

impl Transaction {
    /// The transaction's id, as error messages name it (`T42`).
    pub fn id(&self) -> u64 {
        self.inner.id()
    }

    /// Its isolation level.
    pub fn level(&self) -> IsolationLevel {
        self.inner.level()
    }

    /// The value of `key`, or None (also once it has expired).
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get_stored(key)?.map(|(value, _)| value))
    }

    /// Sets `key` to `value` (removing any expiry); waits while another transaction
    /// holds the key.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write_value(key, value, None)
    }

    /// Sets `key` to `value`, expiring after `ttl`. Expiry times are whole milliseconds,
    /// so a `ttl` under one millisecond would make a key no one can ever read: it is
    /// refused (SQLSTATE 22023), as Redis refuses `SET key value PX 0`. To remove a key
    /// now, [`Transaction::delete`] it or [`Transaction::expire`] it with a zero TTL.
    pub fn put_with_ttl(&mut self, key: &[u8], value: &[u8], ttl: Duration) -> Result<()> {
        if ttl < Duration::from_millis(1) {
            return Err(Error::Invalid {
                message: format!(
                    "invalid expire time in put_with_ttl: {ttl:?}; a TTL is at least 1 ms"
                ),
            });
        }
        self.write_value(key, value, Some(expiry::deadline_ms(ttl)))
    }

    /// Deletes `key`; waits while another transaction holds the key.
    pub fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.inner.begin_statement();
        let stored_key = point_key(key)?;
        let replaced = self.inner.replace(&stored_key, None)?;
        self.drop_index_entry(&stored_key, replaced.as_deref(), None)
    }

    /// Sets `key` to expire after `ttl` (a zero `ttl` expires it now); false if it does
    /// not exist. Like Redis's EXPIRE it changes only the expiry: the key is locked first,
    /// and the value kept is the one current under the lock, so a value or a delete that
    /// another transaction commits meanwhile is never undone.
    pub fn expire(&mut self, key: &[u8], ttl: Duration) -> Result<bool> {
        let Some((value, _)) = self.lock_current(key)? else {
            return Ok(false);
        };
        self.write_value(key, &value, Some(expiry::deadline_ms(ttl)))?;
        Ok(true)
    }

    /// Removes `key`'s expiry; false if it does not exist or has none. Like
    /// [`Transaction::expire`], it locks the key first and keeps the current value.
    pub fn persist(&mut self, key: &[u8]) -> Result<bool> {
        match self.lock_current(key)? {
            Some((value, Some(_))) => self.write_value(key, &value, None).map(|()| true),
            _ => Ok(false),
        }
    }

    /// How long until `key` expires.
    pub fn ttl(&self, key: &[u8]) -> Result<Ttl> {
        self.inner.begin_statement();
        let stored_key = point_key(key)?;
        let Some(stored) = self.inner.get(&stored_key)? else {
            return Ok(Ttl::Missing);
        };
        Ok(decode(&stored_key, &stored)?.ttl(expiry::now_ms()))
    }

    /// Locks `key` for update (exclusive) or share, like `SELECT ... FOR UPDATE / SHARE`,
    /// and returns its newest committed value.
    pub fn lock(&mut self, key: &[u8], mode: LockMode) -> Result<Option<Vec<u8>>> {
        self.inner.begin_statement();
        let stored_key = point_key(key)?;
        let Some(stored) = self.inner.lock(&stored_key, mode)?.value else {
            return Ok(None);
        };
        let stored = decode(&stored_key, &stored)?;
        Ok((!stored.is_expired(expiry::now_ms)).then(|| stored.value.to_vec()))
    }

    /// The keys in `range` and their values, in key order, read lazily. At SERIALIZABLE
    /// the whole range counts as read (inserts into it by others are conflicts).
    ///
    /// Any range of byte strings will do. A range with no key in it, and a pair of
    /// [`Bound`]s, need the key type spelled out:
    ///
    /// ```
    /// use std::ops::Bound;
    /// # fn main() -> isolde::Result<()> {
    /// let db = isolde::Db::open_in_memory();
    /// for key in ["a", "b", "c"] {
    ///     db.put(key.as_bytes(), b"1")?;
    /// }
    /// let tx = db.begin(isolde::IsolationLevel::RepeatableRead);
    /// assert_eq!(tx.scan(b"b".as_slice()..)?.count(), 2);
    /// assert_eq!(tx.scan::<&[u8]>(..)?.count(), 3);
    /// let after_a = (Bound::Excluded(b"a".as_slice()), Bound::Unbounded);
    /// assert_eq!(tx.scan::<&[u8]>(after_a)?.count(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Result<Scan<'_>> {
        self.inner.begin_statement();
        let start = match range.start_bound() {
            Bound::Included(k) => Bound::Included(keyspace::kv_key(k.as_ref())),
            Bound::Excluded(k) => Bound::Excluded(keyspace::kv_key(k.as_ref())),
            Bound::Unbounded => Bound::Included(vec![KV_PREFIX]),
        };
        let end = match range.end_bound() {
            Bound::Included(k) => Bound::Included(keyspace::kv_key(k.as_ref())),
            Bound::Excluded(k) => Bound::Excluded(keyspace::kv_key(k.as_ref())),
            Bound::Unbounded => Bound::Excluded(vec![KV_PREFIX + 1]),
        };
        self.scan_bounds((start, end))
    }

    /// Every key starting with `prefix`, in order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Scan<'_>> {
        self.inner.begin_statement();
        let start = keyspace::kv_key(prefix);
        let end = prefix_end(&start).map_or(Bound::Unbounded, Bound::Excluded);
        self.scan_bounds((Bound::Included(start), end))
    }

    fn scan_bounds(&self, range: (Bound<Vec<u8>>, Bound<Vec<u8>>)) -> Result<Scan<'_>> {
        let inner = self.inner.scan_with(range, Scan::live_entries())?;
        Ok(Scan { inner })
    }

    /// Publishes `payload` on `channel` if and when this transaction commits, in commit
    /// order; never if it rolls back.
    pub fn publish(&mut self, channel: &[u8], payload: &[u8]) -> Result<()> {
        Ok(self.inner.publish(channel, payload)?)
    }

    /// Adds a message to `queue`; consumers see it once this transaction commits.
    pub fn enqueue(&mut self, queue: &[u8], payload: &[u8]) -> Result<()> {
        let key = self.db.fanout.queues.next_key(queue)?;
        Ok(self.inner.put(&key, payload)?)
    }

    /// Takes the oldest message of `queue` that no other open transaction has taken,
    /// without waiting; None if there is none. The message is removed for good when this
    /// transaction commits, and put back if it rolls back.
    pub fn dequeue(&mut self, queue: &[u8]) -> Result<Option<Vec<u8>>> {
        let prefix = queue::prefix(queue)?;
        Ok(self
            .inner
            .take_first(&prefix)?
            .map(|(_, payload)| payload.to_vec()))
    }

    /// Like [`Transaction::dequeue`], but waits up to `timeout` for a message when the
    /// queue is empty: woken by commits that enqueue, and looking again every
    /// [`DEQUEUE_POLL`] for messages put back by rolled-back consumers.
    /// A `timeout` too long to add to the clock (`Duration::MAX`) waits forever.
    pub fn dequeue_timeout(&mut self, queue: &[u8], timeout: Duration) -> Result<Option<Vec<u8>>> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let seen = self.db.fanout.queues.arrivals();
            if let Some(message) = self.dequeue(queue)? {
                return Ok(Some(message));
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(None);
            }
            let poll = now + DEQUEUE_POLL;
            let until = deadline.map_or(poll, |deadline| deadline.min(poll));
            self.db.fanout.queues.wait_for_arrival(seen, until);
        }
    }

    /// Commits; returns once the commit is visible and as durable as `appendfsync` promises.
    pub fn commit(self) -> Result<CommitInfo> {
        Ok(self.inner.commit()?)
    }

    /// Rolls back.
    pub fn rollback(self) {
        self.inner.rollback()
    }

    /// The live value of `key` and its expiry time.
    fn get_stored(&self, key: &[u8]) -> Result<Option<(Vec<u8>, Option<u64>)>> {
        self.inner.begin_statement();
        let stored_key = point_key(key)?;
        // Copied out under the key's lock, without taking a reference to the stored value:
        // None if absent, Some(None) if expired.
        let found = self.inner.get_with(&stored_key, |stored| {
            let decoded = stored.map(|stored| decode(&stored_key, stored));
            decoded.map(|d| {
                d.map(|d| {
                    (!d.is_expired(expiry::now_ms)).then(|| (d.value.to_vec(), d.expires_at_ms))
                })
            })
        })?;
        match found.transpose()? {
            Some(None) => {
                self.db.sweeper.expired_seen(stored_key);
                Ok(None)
            }
            live => Ok(live.flatten()),
        }
    }

    /// Locks `key` exclusively, then returns its live value and expiry time as a write
    /// made now would find them: the transaction's own pending write if it has one, else
    /// the newest committed version, never a value read before the lock was granted.
    fn lock_current(&mut self, key: &[u8]) -> Result<Option<(Vec<u8>, Option<u64>)>> {
        let stored_key = point_key(key)?;
        self.inner.begin_statement();
        // At READ COMMITTED `changed` means a version committed after this statement's
        // snapshot. With the lock held nobody can commit another, and a fresh snapshot
        // sees that one as soon as the clock publishes it (at once, unless an earlier
        // commit is still finishing); that read also sees this transaction's own pending
        // write, which `RowLock::value` leaves out. At READ UNCOMMITTED reads see the
        // newest version, and at the snapshot levels a changed row fails the lock.
        while self.inner.lock(&stored_key, LockMode::Exclusive)?.changed
            && self.level() == IsolationLevel::ReadCommitted
        {
            std::thread::yield_now();
            self.inner.begin_statement();
        }
        self.get_stored(key)
    }

    fn write_value(&mut self, key: &[u8], value: &[u8], expires_at_ms: Option<u64>) -> Result<()> {
        self.inner.begin_statement();
        let stored_key = point_key(key)?;
        if value.len() > MAX_VALUE_SIZE {
            return Err(isolde_txn::Error::ValueTooLarge {
                len: value.len(),
                max: MAX_VALUE_SIZE,
            }
            .into());
        }
        let stored = expiry::encode(value, expires_at_ms);
        let replaced = self.inner.replace(&stored_key, Some(&stored))?;
        self.drop_index_entry(&stored_key, replaced.as_deref(), expires_at_ms)?;
        if let Some(at) = expires_at_ms {
            self.inner
                .put(&keyspace::expiry_key(at, &stored_key), b"")?;
        }
        Ok(())
    }

    /// Deletes the expiry index entry of the value `replaced` (as
    /// [`isolde_txn::Transaction::replace`] found it, under the key's lock) unless the new
    /// value keeps its expiry time `expires_at_ms`: each key with a TTL has exactly one
    /// entry, at its current expiry.
    fn drop_index_entry(
        &mut self,
        stored_key: &[u8],
        replaced: Option<&[u8]>,
        expires_at_ms: Option<u64>,
    ) -> Result<()> {
        match expiry::expiry_of(replaced) {
            Some(at) if Some(at) != expires_at_ms => {
                Ok(self.inner.delete(&keyspace::expiry_key(at, stored_key))?)
            }
            _ => Ok(()),
        }
    }
}

/// A lazy key-value range scan: `(key, value)` pairs in key order; `.rev()` reverses.
/// Expired keys are left out.
pub struct Scan<'a> {
    inner: isolde_txn::Scan<'a, (Vec<u8>, Vec<u8>), LiveEntry>,
}

/// Copies out a stored entry that is live: its key without the namespace byte and its
/// value without the expiry header; None for an expired one.
type LiveEntry = Box<dyn FnMut(&[u8], &isolde_txn::Value) -> Option<(Vec<u8>, Vec<u8>)>>;

impl Scan<'_> {
    /// A [`LiveEntry`] judging expiry at one instant for the whole scan, read at the
    /// first key that has an expiry time: most scans meet none and never read the clock.
    fn live_entries() -> LiveEntry {
        let now_ms = std::cell::OnceCell::new();
        Box::new(move |key, stored| {
            let decoded = Stored::decode(stored)?;
            if decoded.is_expired(|| *now_ms.get_or_init(expiry::now_ms)) {
                return None;
            }
            Some((key[1..].to_vec(), decoded.value.to_vec()))
        })
    }
}

impl Iterator for Scan<'_> {
    type Item = (Vec<u8>, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl DoubleEndedIterator for Scan<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back()
    }
}

fn decode<'a>(stored_key: &[u8], stored: &'a [u8]) -> Result<Stored<'a>> {
    Stored::decode(stored).ok_or_else(|| Error::CorruptValue {
        key: stored_key[1..].to_vec(),
    })
}

/// The stored form of a key named by a point operation: 1 to [`MAX_KEY_SIZE`] bytes, so
/// that reads refuse what writes refuse, with the caller's own length in the error.
fn point_key(key: &[u8]) -> Result<Vec<u8>> {
    if key.is_empty() {
        return Err(isolde_txn::Error::EmptyKey.into());
    }
    if key.len() > MAX_KEY_SIZE {
        return Err(isolde_txn::Error::KeyTooLarge {
            len: key.len(),
            max: MAX_KEY_SIZE,
        }
        .into());
    }
    Ok(keyspace::kv_key(key))
}
