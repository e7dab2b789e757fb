//! The embedded database: [`Db`] and its key-value [`Transaction`].
//!
//! Key-value keys live in their own namespace of the shared key space (prefix
//! [`KV_PREFIX`]), apart from SQL's tables and indexes, so the two APIs never see each
//! other's data. Every call of the key-value API counts as one statement: at READ
//! COMMITTED each call reads a fresh snapshot.

use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;

use isolde_txn::{CheckpointInfo, CommitInfo, CommitObserver, CommitRecord, IsolationLevel, LockMode, TxnManager};

use crate::config::Options;
use crate::error::Result;
use crate::pubsub::{Broker, Subscription};

/// The first byte of every key the key-value API stores.
pub const KV_PREFIX: u8 = 0x01;

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
    broker: Arc<Broker>,
    options: Options,
}

/// Delivers the messages of each commit, in commit order.
struct Delivery(Arc<Broker>);

impl CommitObserver for Delivery {
    fn committed(&self, record: &CommitRecord) {
        if !record.messages.is_empty() {
            self.0.publish_batch(record.messages.iter().map(|(c, p)| (c, p)));
        }
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
        Ok(Db::with_manager(manager, options))
    }

    /// A throwaway database in memory: nothing is logged or checkpointed.
    pub fn open_in_memory() -> Db {
        Db::open_in_memory_with(Options::default())
    }

    /// A database in memory with the given options (the durability ones are ignored).
    pub fn open_in_memory_with(options: Options) -> Db {
        Db::with_manager(TxnManager::in_memory(options.txn_options()), options)
    }

    fn with_manager(manager: TxnManager, options: Options) -> Db {
        let broker = Arc::new(Broker::new(options.pubsub_buffer_limit));
        manager.set_commit_observer(Arc::new(Delivery(broker.clone())));
        Db { inner: Arc::new(Inner { manager, broker, options }) }
    }

    /// Begins a transaction at `level`.
    pub fn begin(&self, level: IsolationLevel) -> Transaction {
        Transaction { inner: self.inner.manager.begin(level) }
    }

    /// Begins a transaction that may only read.
    pub fn begin_read_only(&self, level: IsolationLevel) -> Transaction {
        Transaction { inner: self.inner.manager.begin_read_only(level) }
    }

    /// Reads `key` in its own transaction at the default isolation level.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let tx = self.begin_read_only(self.inner.options.default_isolation);
        let value = tx.get(key)?;
        tx.commit()?;
        Ok(value)
    }

    /// Sets `key` to `value` in its own transaction.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut tx = self.begin(self.inner.options.default_isolation);
        tx.put(key, value)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes `key` in its own transaction.
    pub fn delete(&self, key: &[u8]) -> Result<()> {
        let mut tx = self.begin(self.inner.options.default_isolation);
        tx.delete(key)?;
        tx.commit()?;
        Ok(())
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
        self.inner.broker.publish(channel, payload)
    }

    /// Subscribes to `channels` (Redis's SUBSCRIBE).
    pub fn subscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(&self, channels: I) -> Subscription {
        self.inner.broker.subscribe(channels)
    }

    /// Subscribes to every channel matching one of `patterns` (Redis's PSUBSCRIBE).
    pub fn psubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(&self, patterns: I) -> Subscription {
        self.inner.broker.psubscribe(patterns)
    }

    /// The pub/sub broker (counters and all).
    pub fn broker(&self) -> &Broker {
        &self.inner.broker
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The transaction manager underneath (for tools and tests).
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

    /// The value of `key`, or None.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.begin_statement();
        Ok(self.inner.get(&point_key(key)?)?.map(|v| v.to_vec()))
    }

    /// Sets `key` to `value`; waits while another transaction holds the key.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.inner.begin_statement();
        Ok(self.inner.put(&point_key(key)?, value)?)
    }

    /// Deletes `key`; waits while another transaction holds the key.
    pub fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.inner.begin_statement();
        Ok(self.inner.delete(&point_key(key)?)?)
    }

    /// Locks `key` for update (exclusive) or share, like `SELECT ... FOR UPDATE / SHARE`,
    /// and returns its newest committed value.
    pub fn lock(&mut self, key: &[u8], mode: LockMode) -> Result<Option<Vec<u8>>> {
        self.inner.begin_statement();
        Ok(self.inner.lock(&point_key(key)?, mode)?.value.map(|v| v.to_vec()))
    }

    /// The keys in `range` and their values, in key order, read lazily. At SERIALIZABLE
    /// the whole range counts as read (inserts into it by others are conflicts).
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Result<Scan<'_>> {
        self.inner.begin_statement();
        let start = match range.start_bound() {
            Bound::Included(k) => Bound::Included(kv_key(k.as_ref())),
            Bound::Excluded(k) => Bound::Excluded(kv_key(k.as_ref())),
            Bound::Unbounded => Bound::Included(vec![KV_PREFIX]),
        };
        let end = match range.end_bound() {
            Bound::Included(k) => Bound::Included(kv_key(k.as_ref())),
            Bound::Excluded(k) => Bound::Excluded(kv_key(k.as_ref())),
            Bound::Unbounded => Bound::Excluded(vec![KV_PREFIX + 1]),
        };
        Ok(Scan { inner: self.inner.scan((start, end))? })
    }

    /// Every key starting with `prefix`, in order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Scan<'_>> {
        self.inner.begin_statement();
        Ok(Scan { inner: self.inner.scan_prefix(&kv_key(prefix))? })
    }

    /// Publishes `payload` on `channel` if and when this transaction commits, in commit
    /// order; never if it rolls back.
    pub fn publish(&mut self, channel: &[u8], payload: &[u8]) -> Result<()> {
        Ok(self.inner.publish(channel, payload)?)
    }

    /// Commits; returns once the commit is visible and as durable as `appendfsync` promises.
    pub fn commit(self) -> Result<CommitInfo> {
        Ok(self.inner.commit()?)
    }

    /// Rolls back.
    pub fn rollback(self) {
        self.inner.rollback()
    }
}

/// A lazy key-value range scan: `(key, value)` pairs in key order; `.rev()` reverses.
pub struct Scan<'a> {
    inner: isolde_txn::Scan<'a>,
}

impl Iterator for Scan<'_> {
    type Item = (Vec<u8>, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(strip)
    }
}

impl DoubleEndedIterator for Scan<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(strip)
    }
}

fn strip((key, value): (Vec<u8>, isolde_txn::Value)) -> (Vec<u8>, Vec<u8>) {
    (key[1..].to_vec(), value.to_vec())
}

/// The stored form of a key named by a point operation, which must not be empty.
fn point_key(key: &[u8]) -> Result<Vec<u8>> {
    if key.is_empty() {
        return Err(isolde_txn::Error::EmptyKey.into());
    }
    Ok(kv_key(key))
}

/// The stored form of a key-value key (or range bound).
fn kv_key(key: &[u8]) -> Vec<u8> {
    let mut stored = Vec::with_capacity(key.len() + 1);
    stored.push(KV_PREFIX);
    stored.extend_from_slice(key);
    stored
}
