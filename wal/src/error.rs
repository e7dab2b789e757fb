//! The one error type of the crate.
//!
//! Variants are grouped by what the caller can do: fix the input (`NotALog`,
//! `UnsupportedVersion`, `InvalidCut`, `RecordTooLarge`, `NotRetained`), repair the
//! log (`Corrupt`, `MissingSegment`: `check-wal --fix`), or give up and restart
//! (`Io`, `Poisoned`).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::Lsn;

/// Everything that can go wrong while opening, writing, reading or rewriting a log.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system call on `path` failed.
    Io { path: PathBuf, source: io::Error },
    /// A file of the log holds bytes that cannot have been written by this crate
    /// (checksum mismatch, impossible length, bad magic, a gap in the LSNs).
    Corrupt {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    /// An earlier fsync or write failed, so the file on disk may no longer match
    /// what was acknowledged; the log refuses all further writes until reopened.
    Poisoned,
    /// The directory holds files but no manifest: it is not a log, and nothing in it
    /// was touched.
    NotALog { path: PathBuf },
    /// A segment or manifest was written by a newer (or unknown) format version.
    UnsupportedVersion { file: PathBuf, version: u32 },
    /// The manifest names a file that does not exist.
    MissingSegment { path: PathBuf },
    /// Records from `from` on were asked for, but the oldest record still retained
    /// (after `truncate_before` or a rewrite without a base covering it) is `oldest`.
    NotRetained {
        dir: PathBuf,
        from: Lsn,
        oldest: Lsn,
    },
    /// `finish_rewrite` was given a cut that is not a segment boundary of the log.
    InvalidCut { cut: Lsn, reason: String },
    /// A record longer than [`crate::MAX_RECORD_LEN`] bytes.
    RecordTooLarge { len: usize },
    /// `restart_at(lsn)` was called on a log that holds records at or after `lsn`.
    NotEmpty {
        dir: PathBuf,
        next_lsn: Lsn,
        lsn: Lsn,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(
        file: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Error {
        Error::Corrupt {
            file: file.into(),
            offset,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "I/O error on {}: {source}", path.display()),
            Error::Corrupt {
                file,
                offset,
                reason,
            } => write!(
                f,
                "corrupt log file {} at byte offset {offset}: {reason}",
                file.display()
            ),
            Error::Poisoned => write!(
                f,
                "the log is poisoned by an earlier failed write or fsync; reopen it to recover"
            ),
            Error::NotALog { path } => write!(
                f,
                "{} is not a log directory: it holds other files and no MANIFEST",
                path.display()
            ),
            Error::UnsupportedVersion { file, version } => write!(
                f,
                "{} has format version {version}, which this build does not support",
                file.display()
            ),
            Error::MissingSegment { path } => write!(
                f,
                "the manifest names {}, which does not exist",
                path.display()
            ),
            Error::NotRetained { dir, from, oldest } => write!(
                f,
                "log {} no longer holds records from LSN {from}: the oldest retained record is LSN {oldest}",
                dir.display()
            ),
            Error::InvalidCut { cut, reason } => write!(f, "invalid rewrite cut at LSN {cut}: {reason}"),
            Error::NotEmpty { dir, next_lsn, lsn } => write!(
                f,
                "the log in {} holds records up to LSN {}, so it cannot restart at LSN {lsn}",
                dir.display(),
                next_lsn - 1
            ),
            Error::RecordTooLarge { len } => write!(
                f,
                "record of {len} bytes exceeds the maximum of {} bytes",
                crate::MAX_RECORD_LEN
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
