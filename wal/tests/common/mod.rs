//! Shared test helpers: an [`Io`] that can skip, fail or "crash" on demand.

#![allow(dead_code)] // each test binary uses a different subset of the helpers

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use isolde_wal::{FsyncPolicy, Io, IoFile, Log, Lsn, Options, OsIo};

/// Switches shared by a [`FaultyIo`] and every file it opened.
#[derive(Debug, Default)]
pub struct Faults {
    /// Mutating operations so far (create, write, sync, truncate, rename, remove).
    pub ops: AtomicU64,
    /// The operation with this number and every later one fails, as if the
    /// machine had stopped there. `u64::MAX`: never.
    pub crash_at: AtomicU64,
    /// fsync (file and directory) fails.
    pub fail_syncs: AtomicBool,
    /// fsync does nothing: for tests about format rather than durability, so they
    /// stay fast.
    pub skip_syncs: AtomicBool,
    pub syncs: AtomicU64,
    /// Each fsync takes this long: long enough to see who waits behind it.
    pub sync_delay_ms: AtomicU64,
    /// The threads that ran each fsync, in order.
    pub syncers: Mutex<Vec<ThreadId>>,
}

impl Faults {
    fn step(&self) -> io::Result<()> {
        let n = self.ops.fetch_add(1, Ordering::SeqCst);
        if n >= self.crash_at.load(Ordering::SeqCst) {
            return Err(io::Error::other("simulated crash"));
        }
        Ok(())
    }

    fn sync(&self) -> io::Result<bool> {
        self.step()?;
        if self.fail_syncs.load(Ordering::SeqCst) {
            return Err(io::Error::other("simulated fsync failure"));
        }
        self.syncs.fetch_add(1, Ordering::SeqCst);
        self.syncers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(std::thread::current().id());
        std::thread::sleep(Duration::from_millis(
            self.sync_delay_ms.load(Ordering::SeqCst),
        ));
        Ok(!self.skip_syncs.load(Ordering::SeqCst))
    }

    /// Makes the `n`-th mutating operation from now (0 = the next) and all later fail.
    pub fn crash_after(&self, n: u64) {
        self.crash_at
            .store(self.ops.load(Ordering::SeqCst) + n, Ordering::SeqCst);
    }
}

#[derive(Debug, Clone)]
pub struct FaultyIo {
    pub faults: Arc<Faults>,
}

impl FaultyIo {
    pub fn new() -> FaultyIo {
        let faults = Faults {
            crash_at: AtomicU64::new(u64::MAX),
            ..Faults::default()
        };
        FaultyIo {
            faults: Arc::new(faults),
        }
    }

    /// An I/O layer whose fsyncs are no-ops.
    pub fn fast() -> FaultyIo {
        let io = FaultyIo::new();
        io.faults.skip_syncs.store(true, Ordering::SeqCst);
        io
    }
}

struct FaultyFile {
    inner: Box<dyn IoFile>,
    faults: Arc<Faults>,
}

impl IoFile for FaultyFile {
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.faults.step()?;
        self.inner.write_all(buf)
    }

    fn sync_data(&self) -> io::Result<()> {
        if self.faults.sync()? {
            self.inner.sync_data()?;
        }
        Ok(())
    }
}

impl Io for FaultyIo {
    fn create(&self, path: &Path) -> io::Result<Box<dyn IoFile>> {
        self.faults.step()?;
        let inner = OsIo.create(path)?;
        Ok(Box::new(FaultyFile {
            inner,
            faults: Arc::clone(&self.faults),
        }))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn IoFile>> {
        let inner = OsIo.open_append(path)?;
        Ok(Box::new(FaultyFile {
            inner,
            faults: Arc::clone(&self.faults),
        }))
    }

    fn open_read(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        OsIo.open_read(path)
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        OsIo.file_len(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.faults.step()?;
        OsIo.truncate(path, len)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.faults.step()?;
        OsIo.rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.faults.step()?;
        OsIo.remove(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        if self.faults.sync()? {
            OsIo.sync_dir(dir)?;
        }
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        OsIo.list_dir(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        OsIo.create_dir_all(dir)
    }
}

pub fn options(fsync: FsyncPolicy, segment_size: u64) -> Options {
    Options {
        fsync,
        segment_size,
        ..Options::default()
    }
}

/// Opens `dir` with fsyncs skipped.
pub fn open_fast(dir: &Path, segment_size: u64) -> Log {
    let (log, _) = Log::open_with_io(
        dir,
        options(FsyncPolicy::No, segment_size),
        Arc::new(FaultyIo::fast()),
    )
    .expect("open log");
    log
}

/// Every record of the log, from LSN 1.
pub fn read_all(log: &Log) -> Vec<(Lsn, Vec<u8>)> {
    log.read_from(1)
        .expect("read_from")
        .collect::<Result<_, _>>()
        .expect("read records")
}

/// The segment files of `dir`, in log order.
pub fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seg-"))
        })
        .collect();
    files.sort();
    files
}

/// A payload whose content and length depend on `i`.
pub fn payload(i: u64) -> Vec<u8> {
    let len = (i * 37 % 61) as usize;
    (0..len)
        .map(|j| (i as u8).wrapping_mul(31).wrapping_add(j as u8))
        .collect()
}
