//! Errors of writing, opening and reading checkpoints.
//!
//! They group by what the caller must do: [`Error::Source`] is the caller's own failure
//! handed back; [`Error::EntryTooLarge`] is bad input; everything else means the file or
//! the disk cannot be used, and recovery should try an older checkpoint (which
//! [`super::Directory::load_newest`] does).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::directory::Skipped;

/// An error of the checkpoint module. Every variant about a file names it; the ones about
/// its content also give the byte offset.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The operating system failed a read, write, sync, rename or directory listing.
    Io {
        /// The file or directory the operation was on: the checkpoint, its `.tmp` file
        /// while it is being written, or the directory being listed or synced.
        path: PathBuf,
        /// What the operating system reported.
        source: io::Error,
    },
    /// The file does not start with the checkpoint magic: it is not a checkpoint.
    BadMagic {
        /// The file that was opened as a checkpoint.
        path: PathBuf,
    },
    /// The file was written in a format version this build cannot read.
    UnsupportedVersion {
        /// The checkpoint that cannot be read.
        path: PathBuf,
        /// The format version its header declares (at offset 8).
        version: u32,
    },
    /// A checksum, length or count does not match at `offset`.
    Corrupt {
        /// The checkpoint being verified or read.
        path: PathBuf,
        /// Byte offset in the file of the block or footer that failed its check, or of the
        /// header field that did.
        offset: u64,
        /// What did not match; for a checksum, the stored and computed values.
        reason: String,
    },
    /// The file ends (at `len` bytes) before its footer: the write never completed or the
    /// file was cut short.
    Truncated {
        /// The checkpoint that was cut short.
        path: PathBuf,
        /// The file's length in bytes: too short for a footer, or not ending in one.
        len: u64,
    },
    /// A key or value is too long for the format's 32-bit lengths; nothing was written.
    EntryTooLarge {
        /// The checkpoint that was being written (its final name, not the `.tmp` file,
        /// which is removed).
        path: PathBuf,
        /// The offending entry's key length in bytes.
        key_len: usize,
        /// The offending entry's value length in bytes.
        value_len: usize,
    },
    /// The entry iterator given to [`super::write`] failed; nothing was written.
    Source(Box<dyn std::error::Error + Send + Sync>),
    /// Checkpoints exist in `dir` but none of them is valid. Starting empty would silently
    /// lose the data, so the caller must refuse to open.
    NoValidCheckpoint {
        /// The directory that was searched (the database directory).
        dir: PathBuf,
        /// Every checkpoint found, newest first, each with the error that ruled it out.
        skipped: Vec<Skipped>,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }

    /// The file the error is about, if it is about one file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. }
            | Error::BadMagic { path }
            | Error::UnsupportedVersion { path, .. }
            | Error::Corrupt { path, .. }
            | Error::Truncated { path, .. }
            | Error::EntryTooLarge { path, .. } => Some(path),
            Error::Source(_) | Error::NoValidCheckpoint { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "checkpoint {}: {source}", path.display()),
            Error::BadMagic { path } => {
                write!(f, "{} is not an isolde checkpoint (bad magic at offset 0)", path.display())
            }
            Error::UnsupportedVersion { path, version } => write!(
                f,
                "checkpoint {}: format version {version} at offset 8 is not supported (this build reads version {})",
                path.display(),
                super::FORMAT_VERSION
            ),
            Error::Corrupt { path, offset, reason } => {
                write!(f, "checkpoint {} is corrupt at offset {offset}: {reason}", path.display())
            }
            Error::Truncated { path, len } => write!(
                f,
                "checkpoint {} is truncated: {len} bytes and no footer at the end (an interrupted write or a cut file)",
                path.display()
            ),
            Error::EntryTooLarge { path, key_len, value_len } => write!(
                f,
                "checkpoint {}: entry with a {key_len}-byte key and a {value_len}-byte value exceeds the 4 GiB block limit",
                path.display()
            ),
            Error::Source(source) => write!(f, "checkpoint entry source failed: {source}"),
            Error::NoValidCheckpoint { dir, skipped } => {
                write!(f, "no valid checkpoint in {} ({} found, all unusable)", dir.display(), skipped.len())?;
                skipped.iter().try_for_each(|s| write!(f, "; {s}"))
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Source(source) => Some(source.as_ref()),
            _ => None,
        }
    }
}
