//! The append path: one write(2) per record, segment rotation, and group commit.
//!
//! Appends serialise on the state mutex only for the write(2) itself. fsync runs
//! outside it: under [`FsyncPolicy::Always`] the first thread to call `sync` becomes
//! the leader, notes the last LSN written so far, fdatasyncs the active segment and
//! wakes everyone whose LSN that covered; threads that arrive while it syncs wait
//! and the next of them leads the following round. N committers therefore share
//! about one fsync per round instead of paying one each.
//!
//! A round shares well only if the committers are in it. Right after an fsync the
//! callers it covered are still waking up, and the first of them back would sync its own
//! record alone while the others queue behind it, so groups would alternate between
//! one record and the rest. Before a commit's fsync, the leader therefore *gathers*:
//! it waits until as many records are unsynced as the last fsync covered, but never
//! longer than half that fsync's duration, nor than [`MAX_GATHER`] (PostgreSQL's
//! `commit_delay`, sized by the log itself). A lone committer never waits: the last
//! group was its own record.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::error::Error;
use crate::io::{Io, IoFile};
use crate::manifest::{Entry, Manifest};
use crate::options::{FsyncPolicy, Options};
use crate::record::{self, FRAME_HEADER_LEN, MAX_RECORD_LEN};
use crate::segment::{self, FileKind, Header, HEADER_LEN};
use crate::Lsn;

/// A segmented, append-only log of opaque records. `Send + Sync`: share it behind an
/// `Arc` between committing threads.
pub struct Log {
    pub(crate) shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) io: Arc<dyn Io>,
    pub(crate) options: Options,
    pub(crate) state: Mutex<State>,
    sync: Mutex<SyncState>,
    synced_cv: Condvar,
    /// Wakes a gathering leader once the record completing its group is written.
    gathered_cv: Condvar,
    /// While a leader gathers, the LSN whose write completes its group; 0 otherwise.
    gather_until: AtomicU64,
    poisoned: AtomicBool,
    next_lsn: AtomicU64,
    pub(crate) size: AtomicU64,
    /// Size of the log when the last base was installed (or at open).
    pub(crate) rewrite_base_size: AtomicU64,
    stop: Mutex<bool>,
    stop_cv: Condvar,
    /// Serialises `finish_rewrite` calls.
    pub(crate) rewrite_lock: Mutex<()>,
}

/// Most fsyncs one sync leader runs in a row for callers waiting behind it.
const LEADER_ROUNDS: usize = 4;

/// Longest a leader gathers its group, however slow the last fsync was: one stalled
/// fsync must not make every commit after it wait long for a group that may not come.
const MAX_GATHER: Duration = Duration::from_millis(5);

/// Everything the append path changes, under one mutex.
pub(crate) struct State {
    pub(crate) manifest: Manifest,
    /// Byte size of each file, base first, in `manifest.files()` order.
    pub(crate) sizes: Vec<u64>,
    pub(crate) active: Arc<dyn IoFile>,
    pub(crate) active_records: u64,
    /// File name to length of the bytes open's scan validated and no reader has read
    /// back yet: the first [`Log::read_from`] over them does not checksum them again.
    pub(crate) checked_at_open: HashMap<String, u64>,
    frame: Vec<u8>,
}

impl State {
    pub(crate) fn active_len(&self) -> u64 {
        self.sizes.last().copied().unwrap_or(0)
    }
}

struct SyncState {
    synced: Lsn,
    leader_active: bool,
    /// Callers waiting for the leader's fsync.
    waiting: usize,
    /// Records the last fsync covered: the size of the group the next one gathers.
    last_group: u64,
    /// How long the last fsync took; a leader gathers for at most half of it.
    last_fsync: Duration,
}

/// What recovery hands to the writer.
pub(crate) struct Recovered {
    pub(crate) manifest: Manifest,
    pub(crate) sizes: Vec<u64>,
    pub(crate) active_records: u64,
    pub(crate) next_lsn: Lsn,
    pub(crate) rewrite_base_size: u64,
}

impl Log {
    pub(crate) fn start(
        dir: &Path,
        io: Arc<dyn Io>,
        options: Options,
        rec: Recovered,
    ) -> Result<Log, Error> {
        let checked_at_open = rec
            .manifest
            .files()
            .map(|entry| entry.name.clone())
            .zip(rec.sizes.iter().copied())
            .collect();
        let active_name = &rec.manifest.segments[rec.manifest.segments.len() - 1].name;
        let active_path = dir.join(active_name);
        let active = io
            .open_append(&active_path)
            .map_err(|e| Error::io(&active_path, e))?;
        let policy = options.fsync;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            io,
            options,
            size: AtomicU64::new(rec.sizes.iter().sum()),
            rewrite_base_size: AtomicU64::new(rec.rewrite_base_size),
            state: Mutex::new(State {
                manifest: rec.manifest,
                sizes: rec.sizes,
                active: Arc::from(active),
                active_records: rec.active_records,
                checked_at_open,
                frame: Vec::new(),
            }),
            sync: Mutex::new(SyncState {
                synced: rec.next_lsn - 1,
                leader_active: false,
                waiting: 0,
                last_group: 0,
                last_fsync: Duration::ZERO,
            }),
            synced_cv: Condvar::new(),
            gathered_cv: Condvar::new(),
            gather_until: AtomicU64::new(0),
            poisoned: AtomicBool::new(false),
            next_lsn: AtomicU64::new(rec.next_lsn),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
            rewrite_lock: Mutex::new(()),
        });
        let flusher = match policy {
            FsyncPolicy::EverySec => {
                let shared = Arc::clone(&shared);
                let handle = std::thread::Builder::new()
                    .name("isolde-wal-flush".into())
                    .spawn(move || shared.flush_every_second())
                    .map_err(|e| Error::io(dir, e))?;
                Some(handle)
            }
            FsyncPolicy::Always | FsyncPolicy::No => None,
        };
        Ok(Log { shared, flusher })
    }

    /// write(2)s one record and returns its LSN. The record is in the OS page cache,
    /// not necessarily on disk: call [`Log::sync`] (or use [`Log::append`]). Callers
    /// that need LSN order to match their own order serialise calls themselves.
    pub fn write(&self, payload: &[u8]) -> Result<Lsn, Error> {
        if payload.len() > MAX_RECORD_LEN {
            return Err(Error::RecordTooLarge { len: payload.len() });
        }
        self.shared.check_poisoned()?;
        let mut state = self.shared.state.lock();
        self.shared.check_poisoned()?;
        let frame_len = (FRAME_HEADER_LEN + payload.len()) as u64;
        if state.active_records > 0
            && state.active_len() + frame_len > self.shared.options.segment_size
        {
            self.shared.rotate(&mut state)?;
        }
        let State { frame, active, .. } = &mut *state;
        frame.clear();
        record::encode(payload, frame);
        if let Err(e) = active.write_all(frame) {
            return Err(self.shared.poison(self.shared.active_path(&state), e));
        }
        let lsn = self.shared.next_lsn.load(Ordering::Relaxed);
        // SeqCst, paired with the gathering leader's: either it sees this record or this
        // writer sees that it gathers.
        self.shared.next_lsn.store(lsn + 1, Ordering::SeqCst);
        state.active_records += 1;
        if let Some(len) = state.sizes.last_mut() {
            *len += frame_len;
        }
        self.shared.size.fetch_add(frame_len, Ordering::Relaxed);
        drop(state);
        self.shared.wake_gatherer(lsn);
        Ok(lsn)
    }

    /// Under [`FsyncPolicy::Always`], blocks until every record up to `lsn` is
    /// fdatasync'ed, sharing one fsync with concurrent callers. Under the other
    /// policies it returns at once. Fails with [`Error::Poisoned`] once any write or
    /// fsync has failed.
    pub fn sync(&self, lsn: Lsn) -> Result<(), Error> {
        self.shared.check_poisoned()?;
        match self.shared.options.fsync {
            FsyncPolicy::Always => self.shared.sync_through(lsn, true),
            FsyncPolicy::EverySec | FsyncPolicy::No => Ok(()),
        }
    }

    /// [`Log::write`] then [`Log::sync`]: under `Always`, returns once the record is on disk.
    pub fn append(&self, payload: &[u8]) -> Result<Lsn, Error> {
        let lsn = self.write(payload)?;
        self.sync(lsn)?;
        Ok(lsn)
    }

    /// Makes every record up to `lsn` durable now, whatever the fsync policy: a
    /// checkpoint that records a log position needs the log durable up to it.
    pub fn sync_now(&self, lsn: Lsn) -> Result<(), Error> {
        self.shared.check_poisoned()?;
        self.shared.sync_through(lsn, false)
    }

    /// Drops every record of the log and goes on at LSN `lsn`: the next record gets it.
    /// Every record must lie before `lsn`, superseded by a checkpoint that holds all of
    /// them (a database restored from a checkpoint taken elsewhere, or a log cut short
    /// behind a newer checkpoint by a crash or [`repair`](crate::repair)); so LSNs never
    /// go back. Fails with [`Error::NotEmpty`] if the log holds a record at or after `lsn`.
    pub fn restart_at(&self, lsn: Lsn) -> Result<(), Error> {
        let shared = &self.shared;
        shared.check_poisoned()?;
        let mut state = shared.state.lock();
        let next_lsn = self.next_lsn();
        if next_lsn > lsn {
            return Err(Error::NotEmpty {
                dir: shared.dir.clone(),
                next_lsn,
                lsn,
            });
        }
        let already_there = state.manifest.base.is_none()
            && matches!(state.manifest.segments.as_slice(), [only] if only.lsn == lsn);
        if already_there {
            return Ok(());
        }
        let name = segment::segment_name(lsn);
        let header = Header {
            kind: FileKind::Segment,
            first_lsn: lsn,
        };
        let file = segment::create_file(&*shared.io, &shared.dir.join(&name), header)?;
        let old: Vec<Entry> = state.manifest.files().cloned().collect();
        let manifest = Manifest {
            generation: state.manifest.generation + 1,
            base: None,
            segments: vec![Entry {
                name: name.clone(),
                lsn,
            }],
        };
        manifest
            .store(&*shared.io, &shared.dir)
            .map_err(|e| shared.poison_with(e))?;
        // An empty active segment that already starts at `lsn` was just recreated
        // under its own name and is the new log: it must stay.
        for entry in old.into_iter().filter(|e| e.name != name) {
            // No longer named by the manifest; a failed removal leaves an orphan that the
            // next open deletes.
            let _ = std::fs::remove_file(shared.dir.join(&entry.name));
            state.checked_at_open.remove(&entry.name);
        }
        state.manifest = manifest;
        state.sizes = vec![HEADER_LEN as u64];
        state.active = Arc::from(file);
        state.active_records = 0;
        shared.size.store(HEADER_LEN as u64, Ordering::Relaxed);
        shared
            .rewrite_base_size
            .store(HEADER_LEN as u64, Ordering::Relaxed);
        shared.next_lsn.store(lsn, Ordering::Release);
        shared.mark_synced(lsn - 1);
        Ok(())
    }

    /// The LSN the next write will get.
    pub fn next_lsn(&self) -> Lsn {
        self.shared.next_lsn.load(Ordering::Acquire)
    }

    /// Bytes of all files of the log (base and segments, headers included).
    pub fn size_bytes(&self) -> u64 {
        self.shared.size.load(Ordering::Relaxed)
    }

    /// The directory of the log.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The options the log was opened with.
    pub fn options(&self) -> &Options {
        &self.shared.options
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        *self.shared.stop.lock() = true;
        self.shared.stop_cv.notify_all();
        if let Some(handle) = self.flusher.take() {
            // The flusher only ends by seeing `stop`; a panic in it has nothing left to clean up.
            let _ = handle.join();
        }
    }
}

impl Shared {
    pub(crate) fn check_poisoned(&self) -> Result<(), Error> {
        if self.poisoned.load(Ordering::Acquire) {
            Err(Error::Poisoned)
        } else {
            Ok(())
        }
    }

    /// Marks the log unusable after a failed write or fsync and wakes sync waiters.
    pub(crate) fn poison(&self, path: PathBuf, source: std::io::Error) -> Error {
        self.poisoned.store(true, Ordering::Release);
        let _guard = self.sync.lock();
        self.synced_cv.notify_all();
        Error::io(path, source)
    }

    /// Poisons for an error that is already an [`Error`] (a failed manifest switch).
    pub(crate) fn poison_with(&self, error: Error) -> Error {
        self.poisoned.store(true, Ordering::Release);
        let _guard = self.sync.lock();
        self.synced_cv.notify_all();
        error
    }

    pub(crate) fn active_path(&self, state: &State) -> PathBuf {
        self.dir
            .join(&state.manifest.segments[state.manifest.segments.len() - 1].name)
    }

    /// Seals the active segment (fsync, so older segments are always complete on
    /// disk) and switches appends to a new one through the manifest.
    pub(crate) fn rotate(&self, state: &mut State) -> Result<(), Error> {
        if let Err(e) = state.active.sync_data() {
            return Err(self.poison(self.active_path(state), e));
        }
        let first_lsn = self.next_lsn.load(Ordering::Relaxed);
        self.mark_synced(first_lsn - 1);
        let name = segment::segment_name(first_lsn);
        let path = self.dir.join(&name);
        let file = segment::create_file(
            &*self.io,
            &path,
            Header {
                kind: FileKind::Segment,
                first_lsn,
            },
        )?;
        let mut manifest = state.manifest.clone();
        manifest.generation += 1;
        manifest.segments.push(Entry {
            name,
            lsn: first_lsn,
        });
        manifest
            .store(&*self.io, &self.dir)
            .map_err(|e| self.poison_with(e))?;
        state.manifest = manifest;
        state.sizes.push(HEADER_LEN as u64);
        state.active = Arc::from(file);
        state.active_records = 0;
        self.size.fetch_add(HEADER_LEN as u64, Ordering::Relaxed);
        Ok(())
    }

    fn mark_synced(&self, lsn: Lsn) {
        let mut sync = self.sync.lock();
        if lsn > sync.synced {
            sync.synced = lsn;
            self.synced_cv.notify_all();
        }
    }

    /// Group commit: returns once every record up to `lsn` is durable. A commit's sync
    /// (`gather`) lets its leader wait for the rest of its group first.
    pub(crate) fn sync_through(&self, lsn: Lsn, gather: bool) -> Result<(), Error> {
        let lsn = lsn.min(self.next_lsn.load(Ordering::Acquire) - 1);
        let mut sync = self.sync.lock();
        loop {
            self.check_poisoned()?;
            if sync.synced >= lsn {
                return Ok(());
            }
            if sync.leader_active {
                sync.waiting += 1;
                self.synced_cv.wait(&mut sync);
                sync.waiting -= 1;
                continue;
            }
            sync.leader_active = true;
            let led = self.lead(&mut sync, gather);
            sync.leader_active = false;
            self.synced_cv.notify_all();
            led?;
        }
    }

    /// The leader's work, with the sync lock held (released around each fsync). After an
    /// fsync, if callers are waiting on records it did not cover (appended while it ran),
    /// the leader syncs again at once, up to [`LEADER_ROUNDS`] times: the disk goes on
    /// without waiting for a woken caller to be scheduled and take over, which on a busy
    /// machine costs a good part of an fsync each round.
    fn lead(&self, sync: &mut MutexGuard<'_, SyncState>, gather: bool) -> Result<(), Error> {
        for round in 0..LEADER_ROUNDS {
            if gather {
                // The group the last round covered held this leader's own record, which
                // will not be written again while it leads.
                self.gather(sync, u64::from(round == 1));
            }
            let before = sync.synced;
            let started = Instant::now();
            let result = MutexGuard::unlocked(sync, || self.sync_once());
            let covered = result?;
            sync.last_fsync = started.elapsed();
            sync.last_group = covered.saturating_sub(before);
            sync.synced = sync.synced.max(covered);
            self.synced_cv.notify_all();
            let uncovered = self.next_lsn.load(Ordering::Acquire) - 1 > sync.synced;
            if !uncovered || sync.waiting == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Waits, with the sync lock released, until as many records are unsynced as the
    /// last fsync covered (less `absent`, callers known not to write again soon), or for
    /// half the last fsync's duration (at most [`MAX_GATHER`]).
    fn gather(&self, sync: &mut MutexGuard<'_, SyncState>, absent: u64) {
        let group = sync.last_group.saturating_sub(absent);
        if group <= 1 {
            return;
        }
        let until = sync.synced + group;
        let deadline = Instant::now() + (sync.last_fsync / 2).min(MAX_GATHER);
        self.gather_until.store(until, Ordering::SeqCst);
        while self.next_lsn.load(Ordering::SeqCst) - 1 < until {
            if self.gathered_cv.wait_until(sync, deadline).timed_out() {
                break;
            }
        }
        self.gather_until.store(0, Ordering::SeqCst);
    }

    /// Called after writing record `lsn`: wakes the gathering leader if `lsn` completes
    /// its group.
    fn wake_gatherer(&self, lsn: Lsn) {
        let until = self.gather_until.load(Ordering::SeqCst);
        if until != 0 && lsn >= until {
            // Taking the lock waits until the leader is asleep on the condvar.
            let _sync = self.sync.lock();
            self.gathered_cv.notify_one();
        }
    }

    /// One fdatasync of the active segment; returns the last LSN it covers. Records
    /// in older segments were synced when their segment was sealed.
    fn sync_once(&self) -> Result<Lsn, Error> {
        let (target, file, path) = {
            let state = self.state.lock();
            (
                self.next_lsn.load(Ordering::Acquire) - 1,
                Arc::clone(&state.active),
                self.active_path(&state),
            )
        };
        match file.sync_data() {
            Ok(()) => Ok(target),
            Err(e) => Err(self.poison(path, e)),
        }
    }

    /// The `EverySec` background thread: a sync round at least once a second, and a
    /// last one when the log is dropped.
    fn flush_every_second(&self) {
        loop {
            let mut stop = self.stop.lock();
            if !*stop {
                self.stop_cv.wait_for(&mut stop, Duration::from_secs(1));
            }
            let stopping = *stop;
            drop(stop);
            // A failure poisons the log; writers see it on their next call.
            let _ = self.sync_through(self.next_lsn.load(Ordering::Acquire) - 1, false);
            if stopping {
                return;
            }
        }
    }
}
