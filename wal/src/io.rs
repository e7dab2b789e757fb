//! The small file-system interface the log goes through.
//!
//! Every call that changes the disk passes through [`Io`] and [`IoFile`], so tests
//! can wrap [`OsIo`] to make an fsync fail or to "crash" (fail every call from the
//! n-th on) at each step of a segment switch or a rewrite. Reads go through it too,
//! so a test can also see which files were opened.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// A file opened for appending.
pub trait IoFile: Send + Sync {
    /// Appends all of `buf` with as few write(2) calls as the OS allows (one, for a
    /// record that fits the page cache).
    fn write_all(&self, buf: &[u8]) -> io::Result<()>;
    /// fdatasync(2): file contents and the size, not the other metadata.
    fn sync_data(&self) -> io::Result<()>;
}

/// The directory-level operations of the log.
pub trait Io: Send + Sync + fmt::Debug {
    /// Creates (or truncates) `path` for appending.
    fn create(&self, path: &Path) -> io::Result<Box<dyn IoFile>>;
    /// Opens an existing `path` for appending at its end.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn IoFile>>;
    /// Opens `path` for sequential reading.
    fn open_read(&self, path: &Path) -> io::Result<Box<dyn Read + Send>>;
    /// The current length of `path` in bytes.
    fn file_len(&self, path: &Path) -> io::Result<u64>;
    /// Cuts `path` to `len` bytes and makes the new length durable.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// rename(2): atomically replaces `to` with `from`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Deletes a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes creations, renames and deletions in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Names of the entries of `dir`.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Creates `dir` and its parents if they are missing.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsIo;

struct OsFile(File);

impl IoFile for OsFile {
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        (&self.0).write_all(buf)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }
}

impl Io for OsIo {
    fn create(&self, path: &Path) -> io::Result<Box<dyn IoFile>> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(path)?;
        Ok(Box::new(OsFile(file)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn IoFile>> {
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Box::new(OsFile(file)))
    }

    fn open_read(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(File::open(path)?))
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        Ok(fs::metadata(path)?.len())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(len)?;
        file.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }
}
