//! The transaction manager: owns the version store, the clock, the log and the
//! checkpoints, begins transactions and runs the commit pipeline and maintenance.
//!
//! # The life of a commit
//!
//! 1. SERIALIZABLE only: under the SSI lock, the read/write check against concurrent
//!    SERIALIZABLE transactions (`ssi.rs`); the lock is held through step 2.
//! 2. Under the commit lock: take the next timestamp and write(2) the commit record, so
//!    that log order is timestamp order.
//! 3. Under `appendfsync always`: wait until the record is on disk, sharing one fsync with
//!    every concurrent committer (group commit). Locks are still held.
//! 4. Turn the pending versions into committed ones at the timestamp and release the locks.
//! 5. Finish the timestamp on the clock and wait until it is visible (every earlier commit
//!    finished too); commit notices (pub/sub, watches) run here, in commit order.
//!
//! A failure before step 4 rolls the transaction back; after a failed fsync the log
//! refuses every later write, so nothing acknowledged can silently go missing.

use std::any::Any;
use std::convert::Infallible;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use isolde_engine::checkpoint::{self, Compression, Directory, Meta};
use isolde_engine::{ReadAt, Timestamp, VersionStore};
use isolde_wal::{Log, Lsn};
use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};
use crate::isolation::IsolationLevel;
use crate::locks::WaitGraph;
use crate::record::CommitRecord;
use crate::snapshot::{Clock, Notice, PinGuard, Registry};
use crate::ssi::Ssi;
use crate::transaction::Transaction;

/// Name of the lock file that keeps a second process out of a database directory.
pub const LOCK_FILE: &str = "LOCK";
/// Subdirectory of the write-ahead log.
pub const WAL_DIR: &str = "wal";
/// How long automatic checkpoints wait after a failed one before trying again (Redis
/// waits 5 s too), so a failing disk is not rescanned every maintenance round.
const CHECKPOINT_RETRY_DELAY: Duration = Duration::from_secs(5);
/// How long [`lock_dir`] keeps trying a lock it finds held.
const LOCK_RETRY: Duration = Duration::from_millis(250);
/// Where `isolde restore` moves a replaced database's files while it swaps a restored
/// checkpoint in, and deletes them once the new one is in place and durable. A directory
/// that still has it was left by a restore cut short in the middle of the swap, and is
/// refused by [`TxnManager::open`].
pub const RESTORE_REPLACED_DIR: &str = ".restore-old";

/// The log position a checkpoint written without a log (`appendonly no`) records: it
/// stands for "newer than every record of any log found beside it".
pub const NO_LOG: Lsn = Lsn::MAX;
/// Writes per log record of a rewritten base, at most.
const BASE_CHUNK: usize = 1024;
/// Bytes of keys and values per log record of a rewritten base, at most (a single larger
/// entry gets a record of its own): far below the log's record limit.
const BASE_CHUNK_BYTES: usize = 4 << 20;

/// A `save <seconds> <changes>` rule: checkpoint when at least `changes` keys were written
/// and `after` has passed since the last checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveRule {
    /// The least time since the last successful checkpoint (or since opening).
    pub after: Duration,
    /// The least number of key writes committed since the last checkpoint.
    pub changes: u64,
}

/// How the manager stores, logs and checkpoints.
#[derive(Clone, Debug)]
pub struct Options {
    /// The write-ahead log (`appendonly yes`), or None for checkpoints only (`appendonly
    /// no`: what committed after the last checkpoint is lost in a crash, as with Redis RDB).
    pub log: Option<isolde_wal::Options>,
    /// How long a transaction waits for a row lock before failing; None waits forever
    /// (deadlocks are still detected at once).
    pub lock_timeout: Option<Duration>,
    /// Checkpoint rules; empty turns automatic checkpoints off.
    pub save: Vec<SaveRule>,
    /// Compression of checkpoint blocks.
    pub checkpoint_compression: Compression,
    /// Refuse writes after a failed automatic checkpoint until one succeeds.
    pub stop_writes_on_checkpoint_error: bool,
    /// How often the maintenance thread looks for work (GC, rewrite, save rules).
    pub maintenance_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        let rule = |secs, changes| SaveRule {
            after: Duration::from_secs(secs),
            changes,
        };
        Options {
            log: Some(isolde_wal::Options::default()),
            lock_timeout: None,
            save: vec![rule(900, 1), rule(300, 10), rule(60, 10_000)],
            checkpoint_compression: Compression::Lz4,
            stop_writes_on_checkpoint_error: true,
            maintenance_interval: Duration::from_millis(100),
        }
    }
}

/// What opening found and did.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The checkpoint recovery started from, if any.
    pub checkpoint: Option<PathBuf>,
    /// Keys loaded from it.
    pub checkpoint_keys: u64,
    /// Log records replayed after it.
    pub records_replayed: u64,
    /// The newest commit timestamp recovered.
    pub last_ts: Timestamp,
    /// Things repaired or passed over, one line each (a torn log tail cut off, a corrupt
    /// checkpoint skipped for an older one).
    pub warnings: Vec<String>,
}

/// What a checkpoint wrote.
#[derive(Clone, Debug)]
pub struct CheckpointInfo {
    /// The new checkpoint file, under its final name.
    pub path: PathBuf,
    /// The snapshot it holds: every commit with a timestamp up to this one.
    pub snapshot_ts: Timestamp,
    /// The last log record it covers: recovery replays the log after it. `Lsn::MAX` when
    /// the database has no log (`appendonly no`).
    pub wal_lsn: Lsn,
    /// Keys it holds (the live keys at the snapshot).
    pub keys: u64,
    /// Its size on disk, in bytes, after compression.
    pub bytes: u64,
    /// Wall-clock time it took, from taking the snapshot to removing older files.
    pub duration: Duration,
}

/// Receives every commit, in commit order, once it is visible.
pub trait CommitObserver: Send + Sync {
    /// Called once per read-write commit. Runs under the clock's lock: be quick.
    fn committed(&self, record: &CommitRecord);
}

/// The state every transaction shares.
pub(crate) struct Shared {
    pub(crate) store: VersionStore,
    pub(crate) clock: Clock,
    pub(crate) registry: Registry,
    pub(crate) waits: WaitGraph,
    pub(crate) ssi: Ssi,
    pub(crate) options: Options,
    log: Option<Log>,
    dir: Option<PathBuf>,
    commit_lock: Mutex<()>,
    observer: parking_lot::RwLock<Option<Arc<dyn CommitObserver>>>,
    /// Keys written since the last checkpoint (for save rules).
    changes: AtomicU64,
    last_checkpoint: Mutex<Instant>,
    /// When the last checkpoint failed, if the last one failed.
    last_checkpoint_failure: Mutex<Option<Instant>>,
    /// Serialises checkpoints and log rewrites with each other.
    checkpoint_lock: Mutex<()>,
    writes_stopped: Mutex<Option<String>>,
    /// Mirrors `writes_stopped.is_some()`, so that every write checks it with one load
    /// rather than a lock.
    any_writes_stopped: AtomicBool,
    /// State the layers above keep per database, one value per type
    /// ([`TxnManager::extension`]).
    extensions: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
    _lock_file: Option<File>,
}

/// The transaction manager. Cheap to clone; every clone is the same database.
#[derive(Clone)]
pub struct TxnManager {
    owner: Arc<Owner>,
}

/// Stops the maintenance thread when the last `TxnManager` clone goes away.
struct Owner {
    shared: Arc<Shared>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    maintenance: Option<JoinHandle<()>>,
}

impl TxnManager {
    /// A database in memory only: nothing is logged or checkpointed.
    pub fn in_memory(options: Options) -> TxnManager {
        TxnManager::start(Shared::new(
            None,
            None,
            None,
            Options {
                log: None,
                ..options
            },
        ))
    }

    /// Opens (creating if needed) the database in `dir`: loads the newest valid checkpoint,
    /// replays the log after it, and starts the maintenance thread.
    pub fn open(dir: &Path, options: Options) -> Result<(TxnManager, Recovered)> {
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let lock_file = lock_dir(dir)?;
        if dir.join(RESTORE_REPLACED_DIR).exists() {
            return Err(Error::InterruptedRestore {
                path: dir.to_path_buf(),
            });
        }
        let mut recovered = Recovered::default();
        let mut open_log = |log_options: isolde_wal::Options| -> Result<Log> {
            let (log, recovery) = Log::open(&dir.join(WAL_DIR), log_options)?;
            recovered
                .warnings
                .extend(recovery.warnings.iter().map(|w| w.to_string()));
            Ok(log)
        };
        // With `appendonly` off, a log left by an earlier run is still read, never appended
        // to (opening it repairs it as any open does: a torn last record is cut off):
        // its records are commits that were acknowledged, and the checkpoints this run
        // writes must hold them, since the next run with the log on takes such a
        // checkpoint for newer than any log beside it.
        let (log, read_only_log) = match &options.log {
            Some(log_options) => (Some(open_log(log_options.clone())?), None),
            None if dir.join(WAL_DIR).exists() => {
                let read = isolde_wal::Options {
                    fsync: isolde_wal::FsyncPolicy::No,
                    ..isolde_wal::Options::default()
                };
                (None, Some(open_log(read)?))
            }
            None => (None, None),
        };
        let shared = Shared::new(Some(dir.to_path_buf()), log, Some(lock_file), options);
        shared.recover(read_only_log.as_ref(), &mut recovered)?;
        Ok((TxnManager::start(shared), recovered))
    }

    fn start(shared: Shared) -> TxnManager {
        let shared = Arc::new(shared);
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let maintenance = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::Builder::new()
                .name("isolde-maintenance".into())
                .spawn(move || maintain(&shared, &stop))
                .ok()
        };
        TxnManager {
            owner: Arc::new(Owner {
                shared,
                stop,
                maintenance,
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    /// Begins a read-write transaction.
    pub fn begin(&self, level: IsolationLevel) -> Transaction {
        Transaction::new(self.shared().clone(), level, false)
    }

    /// Begins a transaction that may only read (`START TRANSACTION READ ONLY`).
    pub fn begin_read_only(&self, level: IsolationLevel) -> Transaction {
        Transaction::new(self.shared().clone(), level, true)
    }

    /// The database's one value of type `T`, made with `T::default()` on first use.
    ///
    /// For state that a layer above keeps in memory for the whole database and shares
    /// between all its users, such as the SQL layer's sequence counters: it lives as long
    /// as the database, and two databases in one process each have their own.
    pub fn extension<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut extensions = self.shared().extensions.lock();
        for e in extensions.iter() {
            if let Ok(found) = e.clone().downcast::<T>() {
                return found;
            }
        }
        let made = Arc::new(T::default());
        extensions.push(made.clone());
        made
    }

    /// Registers the receiver of every commit (pub/sub delivery, watches). One at a time.
    pub fn set_commit_observer(&self, observer: Arc<dyn CommitObserver>) {
        *self.shared().observer.write() = Some(observer);
    }

    /// Writes a checkpoint of everything committed so far, while transactions go on, and
    /// then drops the log segments no retained checkpoint needs.
    pub fn checkpoint(&self, progress: impl FnMut(u64)) -> Result<CheckpointInfo> {
        self.shared().checkpoint(progress)
    }

    /// Rewrites the log into a compact base plus the records since, while transactions go on.
    pub fn rewrite_log(&self) -> Result<()> {
        self.shared().rewrite_log()
    }

    /// Why writes are refused, while a failed checkpoint stops them
    /// (`stop-writes-on-checkpoint-error`); None when writes are accepted.
    pub fn writes_stopped(&self) -> Option<String> {
        self.shared().writes_stopped.lock().clone()
    }

    /// Runs one garbage-collection pass now.
    pub fn gc(&self) -> isolde_engine::GcStats {
        let shared = self.shared();
        shared.store.gc(shared.registry.horizon(&shared.clock))
    }

    /// The newest visible commit timestamp.
    pub fn last_commit_ts(&self) -> Timestamp {
        self.shared().clock.visible()
    }

    /// Number of keys in the version store (tombstones not yet collected included).
    pub fn key_count(&self) -> usize {
        self.shared().store.key_count()
    }

    /// The transactions waiting for row locks right now, and whom they wait for (what
    /// PostgreSQL's `pg_locks` shows as not granted).
    pub fn lock_waits(&self) -> Vec<crate::locks::LockWait> {
        self.shared().waits.snapshot(&self.shared().registry)
    }

    /// Number of transactions in progress.
    pub fn active_transactions(&self) -> usize {
        self.shared().registry.active_count()
    }

    /// The database directory; None in memory.
    pub fn dir(&self) -> Option<&Path> {
        self.shared().dir.as_deref()
    }

    /// The options it was opened with.
    pub fn options(&self) -> &Options {
        &self.shared().options
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        *self.stop.0.lock() = true;
        self.stop.1.notify_all();
        if let Some(thread) = self.maintenance.take() {
            let _ = thread.join();
        }
        // Without a log, what committed since the last checkpoint lives only in memory: a
        // clean close saves it when save rules ask for checkpoints at all, as Redis's
        // SHUTDOWN saves when save points are configured.
        let shared = &self.shared;
        if shared.log.is_none()
            && shared.dir.is_some()
            && !shared.options.save.is_empty()
            && shared.changes.load(Ordering::Relaxed) > 0
        {
            if let Err(e) = shared.checkpoint(|_| {}) {
                eprintln!(
                    "isolde: the checkpoint on close failed, and what committed since the \
                     last one is lost: {e}"
                );
            }
        }
    }
}

impl Shared {
    fn new(
        dir: Option<PathBuf>,
        log: Option<Log>,
        lock_file: Option<File>,
        options: Options,
    ) -> Shared {
        Shared {
            store: VersionStore::new(),
            clock: Clock::default(),
            registry: Registry::default(),
            waits: WaitGraph::default(),
            ssi: Ssi::default(),
            options,
            log,
            dir,
            commit_lock: Mutex::new(()),
            observer: parking_lot::RwLock::new(None),
            changes: AtomicU64::new(0),
            last_checkpoint: Mutex::new(Instant::now()),
            last_checkpoint_failure: Mutex::new(None),
            checkpoint_lock: Mutex::new(()),
            writes_stopped: Mutex::new(None),
            any_writes_stopped: AtomicBool::new(false),
            extensions: Mutex::new(Vec::new()),
            _lock_file: lock_file,
        }
    }

    /// Step 2 of the commit: timestamp and log record, in one order.
    pub(crate) fn log_commit(&self, record: &mut CommitRecord) -> Result<(Timestamp, Lsn)> {
        let _order = self.commit_lock.lock();
        record.ts = self.clock.assign();
        let lsn = match &self.log {
            Some(log) => log.write(&record.encode())?,
            None => 0,
        };
        self.changes
            .fetch_add(record.writes.len() as u64, Ordering::Relaxed);
        Ok((record.ts, lsn))
    }

    /// Step 3: durability as the fsync policy promises.
    pub(crate) fn sync_log(&self, lsn: Lsn) -> Result<()> {
        match &self.log {
            Some(log) => Ok(log.sync(lsn)?),
            None => Ok(()),
        }
    }

    /// The notice that hands the commit to the observer once it is visible.
    pub(crate) fn commit_notice(&self, record: &Arc<CommitRecord>) -> Option<Notice> {
        let observer = self.observer.read().clone()?;
        let record = record.clone();
        Some(Box::new(move || observer.committed(&record)))
    }

    /// The error every write gets while writes are stopped after a failed checkpoint.
    pub(crate) fn writes_stopped(&self) -> Option<Error> {
        if !self.any_writes_stopped.load(Ordering::Acquire) {
            return None;
        }
        let reason = self.writes_stopped.lock().clone()?;
        Some(Error::WritesStopped { reason })
    }

    /// Registers a reader at a snapshot of everything committed so far and returns it
    /// with that snapshot's log position, once every commit up to it is visible.
    fn snapshot_for_copy(&self) -> (PinGuard<'_>, Timestamp, Lsn) {
        let (pin, ts, lsn) = {
            let _order = self.commit_lock.lock();
            let ts = self.clock.assigned();
            let lsn = self.log.as_ref().map_or(NO_LOG, |log| log.next_lsn() - 1);
            (self.registry.pin_at(ts), ts, lsn)
        };
        self.clock.wait_visible(ts);
        (pin, ts, lsn)
    }

    /// Writes a checkpoint and records the outcome: a failure stops writes (with
    /// `stop-writes-on-checkpoint-error`) until a later checkpoint succeeds.
    fn checkpoint(&self, progress: impl FnMut(u64)) -> Result<CheckpointInfo> {
        let Some(dir) = &self.dir else {
            return Err(Error::InMemory {
                what: "checkpoints",
            });
        };
        let result = self.write_checkpoint(dir, progress);
        let mut stopped = self.writes_stopped.lock();
        match &result {
            Ok(_) => {
                *stopped = None;
                *self.last_checkpoint_failure.lock() = None;
            }
            Err(e) => {
                if self.options.stop_writes_on_checkpoint_error {
                    *stopped = Some(e.to_string());
                }
                *self.last_checkpoint_failure.lock() = Some(Instant::now());
            }
        }
        self.any_writes_stopped
            .store(stopped.is_some(), Ordering::Release);
        result
    }

    fn write_checkpoint(&self, dir: &Path, progress: impl FnMut(u64)) -> Result<CheckpointInfo> {
        let _one_at_a_time = self.checkpoint_lock.lock();
        let started = Instant::now();
        let changes_before = self.changes.load(Ordering::Relaxed);
        let (pin, ts, lsn) = self.snapshot_for_copy();
        // The checkpoint will claim every record up to `lsn`: they must be on disk before
        // it is, whatever the fsync policy, or a power loss could leave the log shorter
        // than the checkpoint says.
        if let Some(log) = &self.log {
            log.sync_now(lsn)?;
        }
        let meta = Meta {
            snapshot_ts: ts,
            wal_lsn: lsn,
            created_unix_ms: unix_ms(),
            compression: self.options.checkpoint_compression,
        };
        let entries = self.store.scan(
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            ReadAt::Snapshot { ts, txn: 0 },
        );
        let directory = Directory::new(dir);
        let written = directory.write(&meta, entries.map(Ok::<_, Infallible>), progress);
        drop(pin);
        let summary = written?;
        self.changes.fetch_sub(changes_before, Ordering::Relaxed);
        *self.last_checkpoint.lock() = Instant::now();
        // The checkpoint is complete once renamed into place; failing to delete older
        // files only costs disk space, and the next checkpoint tries again.
        if let Err(e) = self.retire_old_files(&directory) {
            eprintln!("isolde: could not remove files older than the new checkpoint: {e}");
        }
        Ok(CheckpointInfo {
            path: summary.path,
            snapshot_ts: ts,
            wal_lsn: lsn,
            keys: summary.entries,
            bytes: summary.bytes,
            duration: started.elapsed(),
        })
    }

    /// Keeps the two newest checkpoints and the log from the older one's position on, so
    /// that a corrupt newest checkpoint can still fall back to the previous one.
    fn retire_old_files(&self, directory: &Directory) -> Result<()> {
        directory.prune(checkpoint::MIN_KEEP)?;
        let Some(log) = &self.log else { return Ok(()) };
        // A kept checkpoint whose header cannot be read could not be fallen back to
        // either, so it does not hold the log back.
        let kept = directory.list()?.into_iter();
        let oldest_lsn = kept
            .filter_map(|l| checkpoint::Checkpoint::read_meta(&l.path).ok())
            .filter(|m| !written_without_log(m))
            .map(|m| m.wal_lsn)
            .min();
        if let Some(lsn) = oldest_lsn {
            log.truncate_before(lsn + 1)?;
        }
        Ok(())
    }

    fn rewrite_log(&self) -> Result<()> {
        let Some(log) = &self.log else { return Ok(()) };
        let _one_at_a_time = self.checkpoint_lock.lock();
        let (pin, cut, ts) = {
            let _order = self.commit_lock.lock();
            let cut = log.start_rewrite()?;
            let ts = self.clock.assigned();
            (self.registry.pin_at(ts), cut, ts)
        };
        self.clock.wait_visible(ts);
        let entries = self.store.scan(
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            ReadAt::Snapshot { ts, txn: 0 },
        );
        let base = chunks(entries).map(|writes| {
            let writes = writes.into_iter().map(|(k, v)| (k, Some(v))).collect();
            CommitRecord {
                ts,
                writes,
                messages: Vec::new(),
            }
            .encode()
        });
        let result = log.finish_rewrite(cut, base);
        drop(pin);
        result?;
        Ok(())
    }

    /// Loads the newest valid checkpoint and replays the log after it: the database's own
    /// log, or with `appendonly` off the `read_only` one an earlier run left, which gets
    /// no new records.
    fn recover(&self, read_only: Option<&Log>, recovered: &mut Recovered) -> Result<()> {
        let log = self.log.as_ref().or(read_only);
        let checkpoint = self.load_checkpoint(log, recovered)?;
        let (checkpoint_ts, lsn) = checkpoint.map_or((0, 0), |m| (m.snapshot_ts, m.wal_lsn));
        let mut ts = checkpoint_ts;
        let mut checkpoint_now = false;
        match (&self.log, read_only) {
            (Some(log), _) => {
                checkpoint_now = self.retire_log_written_before(log, checkpoint, recovered)?;
                if !checkpoint_now {
                    self.continue_log_after(log, lsn, recovered)?;
                    ts = ts.max(self.replay_log(log, lsn, recovered)?);
                }
            }
            // A checkpoint written without a log already holds everything such a log has;
            // so does any checkpoint the log ends before.
            (None, Some(log))
                if log.next_lsn() > lsn + 1
                    && !checkpoint.is_some_and(|m| written_without_log(&m)) =>
            {
                ts = ts.max(self.replay_log(log, lsn, recovered)?);
            }
            (None, _) => {}
        }
        recovered.last_ts = ts;
        self.clock.reset(ts);
        if checkpoint_now {
            self.checkpoint(|_| {})?;
        }
        Ok(())
    }

    /// Replays the log records after `checkpoint_lsn`; returns the newest commit timestamp.
    fn replay_log(
        &self,
        log: &Log,
        checkpoint_lsn: Lsn,
        recovered: &mut Recovered,
    ) -> Result<Timestamp> {
        let mut ts = 0;
        let mut records = log.read_from(checkpoint_lsn + 1)?;
        while let Some(item) = records.next_borrowed() {
            let (lsn, payload) = item?;
            let record = CommitRecord::decode(payload).map_err(|reason| {
                let (file, offset) = records
                    .location()
                    .map_or((PathBuf::new(), 0), |(file, at)| (file.to_path_buf(), at));
                Error::CorruptRecord {
                    lsn,
                    file,
                    offset,
                    reason,
                }
            })?;
            self.apply(&record);
            ts = ts.max(record.ts);
            recovered.records_replayed += 1;
        }
        Ok(ts)
    }

    /// Loads the newest valid checkpoint, unless a rewritten log base is newer; returns
    /// its header when it was loaded.
    fn load_checkpoint(
        &self,
        log: Option<&Log>,
        recovered: &mut Recovered,
    ) -> Result<Option<Meta>> {
        let directory = Directory::new(self.dir.as_deref().unwrap_or(Path::new(".")));
        directory.remove_temp_files()?;
        let Some(loaded) = directory.load_newest()? else {
            return Ok(None);
        };
        recovered
            .warnings
            .extend(loaded.skipped.iter().map(|s| s.to_string()));
        let meta = *loaded.checkpoint.meta();
        // A rewritten log base newer than the checkpoint holds the whole state itself,
        // deletions included; the checkpoint would only add keys deleted since. (A
        // checkpoint written without a log is newer than any log: see
        // `retire_log_written_before`.)
        let base_cut = log.and_then(Log::base_cut);
        if !written_without_log(&meta) && base_cut.is_some_and(|cut| meta.wal_lsn + 1 < cut) {
            return Ok(None);
        }
        // Room in the point index for every entry, up front. The count comes from the
        // file; capped by the file's size, a damaged count cannot ask for absurd memory
        // (a reservation is only a hint: the store grows as needed either way).
        let entries = loaded
            .checkpoint
            .entry_count()
            .min(loaded.checkpoint.file_size());
        self.store
            .reserve(usize::try_from(entries).unwrap_or(usize::MAX));
        for entry in loaded.checkpoint.iter() {
            let (key, value) = entry?;
            self.store
                .install(&key, meta.snapshot_ts, Some(value.into()), meta.snapshot_ts);
            recovered.checkpoint_keys += 1;
        }
        recovered.checkpoint = Some(loaded.checkpoint.path().to_path_buf());
        Ok(Some(meta))
    }

    /// A log found beside a checkpoint written while `appendonly` was off is older than
    /// that checkpoint, which holds every record of it (a run with the log off reads the
    /// log at open and never writes it): it is dropped, and — as Redis rewrites its AOF when appendonly is turned on — a fresh
    /// checkpoint is written once recovery is done, tying the new log to the data. True
    /// when that checkpoint is due.
    fn retire_log_written_before(
        &self,
        log: &Log,
        checkpoint: Option<Meta>,
        recovered: &mut Recovered,
    ) -> Result<bool> {
        let Some(meta) = checkpoint.filter(written_without_log) else {
            return Ok(false);
        };
        let next_lsn = log.next_lsn();
        if next_lsn > 1 || log.base_cut().is_some() {
            log.restart_at(next_lsn)?;
            recovered.warnings.push(format!(
                "the log held only records older than checkpoint {} (written with appendonly \
                 off, which read them); it starts afresh after that checkpoint",
                meta.snapshot_ts
            ));
        }
        Ok(true)
    }

    /// Makes sure new records are numbered after `checkpoint_lsn`. A log that ends before
    /// it — restored from a checkpoint, deleted, or cut short by a power loss or by
    /// `check-wal --fix` behind a newer checkpoint — holds only records the checkpoint
    /// holds too, and goes on after it.
    fn continue_log_after(
        &self,
        log: &Log,
        checkpoint_lsn: Lsn,
        recovered: &mut Recovered,
    ) -> Result<()> {
        let last = log.next_lsn() - 1;
        if last >= checkpoint_lsn {
            return Ok(());
        }
        log.restart_at(checkpoint_lsn + 1)?;
        recovered.warnings.push(format!(
            "the log ended at LSN {last}, before the newest checkpoint's position {checkpoint_lsn}; \
             the checkpoint holds those records and the log now continues at LSN {}",
            checkpoint_lsn + 1
        ));
        Ok(())
    }

    /// Applies a committed write set: the one path for recovery and (later) replication.
    fn apply(&self, record: &CommitRecord) {
        for (key, value) in &record.writes {
            self.store.install(key, record.ts, value.clone(), record.ts);
        }
    }

    /// One round of background work: garbage collection, save rules, log rewrite.
    fn maintain_once(&self, last_gc_ts: &mut Timestamp) {
        let visible = self.clock.visible();
        if visible != *last_gc_ts {
            self.store.gc(self.registry.horizon(&self.clock));
            *last_gc_ts = visible;
        }
        if self.dir.is_some() && self.save_rule_due() {
            if let Err(e) = self.checkpoint(|_| {}) {
                eprintln!("isolde: background checkpoint failed: {e}");
            }
        }
        if self.log.as_ref().is_some_and(Log::should_rewrite) {
            // A failed rewrite leaves the old log in use; the next round tries again.
            let _ = self.rewrite_log();
        }
    }

    fn save_rule_due(&self) -> bool {
        let changes = self.changes.load(Ordering::Relaxed);
        let elapsed = self.last_checkpoint.lock().elapsed();
        let retry_wait = self
            .last_checkpoint_failure
            .lock()
            .is_some_and(|at| at.elapsed() < CHECKPOINT_RETRY_DELAY);
        changes > 0
            && !retry_wait
            && self
                .options
                .save
                .iter()
                .any(|r| changes >= r.changes && elapsed >= r.after)
    }
}

fn maintain(shared: &Shared, stop: &(Mutex<bool>, Condvar)) {
    let mut last_gc_ts = 0;
    loop {
        {
            let mut stopped = stop.0.lock();
            if !*stopped {
                stop.1
                    .wait_for(&mut stopped, shared.options.maintenance_interval);
            }
            if *stopped {
                return;
            }
        }
        shared.maintain_once(&mut last_gc_ts);
    }
}

/// True for a checkpoint written while `appendonly` was off: it has no log position.
fn written_without_log(meta: &Meta) -> bool {
    meta.wal_lsn == NO_LOG
}

/// Takes the lock file of database directory `dir`, as an open database holds it, so no
/// second process opens it meanwhile; the lock lasts as long as the returned file is open.
/// Fails with [`Error::Locked`] if another process holds it. Tools that change a closed
/// database's files (restore, log repair) take it too.
///
/// A lock found held is tried again for a moment before that error: a process that
/// starts a child copies its open files, the lock's among them, into the child until
/// the child runs its program (which closes them), so a database just closed by a
/// process that is starting others can look held for a few milliseconds.
pub fn lock_dir(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    let give_up = Instant::now() + LOCK_RETRY;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < give_up => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    path: dir.to_path_buf(),
                })
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(Error::Io { path, source }),
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Groups a snapshot scan into the write sets of a rewritten base: up to [`BASE_CHUNK`]
/// entries and [`BASE_CHUNK_BYTES`] bytes each.
fn chunks<I: Iterator<Item = (Vec<u8>, isolde_engine::Value)>>(
    iter: I,
) -> impl Iterator<Item = Vec<I::Item>> {
    let mut iter = iter.peekable();
    std::iter::from_fn(move || {
        let (mut chunk, mut bytes) = (Vec::new(), 0);
        while chunk.len() < BASE_CHUNK {
            let fits = |(k, v): &I::Item| {
                chunk.is_empty() || bytes + k.len() + v.len() <= BASE_CHUNK_BYTES
            };
            let Some((key, value)) = iter.next_if(fits) else {
                break;
            };
            bytes += key.len() + value.len();
            chunk.push((key, value));
        }
        (!chunk.is_empty()).then_some(chunk)
    })
}
