//! The errors of the command line, and the exit code each one maps to.

use std::fmt;
use std::io;
use std::path::PathBuf;

use isolde_txn::checkpoint;
use isolde_txn::wal;

use super::{EXIT_ERROR, EXIT_FAILED};

/// Everything a command can fail with. Each message names the file or directory.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Opening or using the database failed, or the configuration file is wrong.
    Db(crate::Error),
    /// A checkpoint file could not be read, verified or written.
    Checkpoint(checkpoint::Error),
    /// The write-ahead log could not be checked or repaired.
    Wal(wal::Error),
    /// A file or directory the command works on could not be read or written.
    Io {
        /// The file or directory the command was reading, writing, renaming or syncing.
        path: PathBuf,
        /// What the operating system reported.
        source: io::Error,
    },
    /// Writing to standard output (or reading an answer from standard input) failed.
    Terminal(io::Error),
    /// The database directory does not exist (only `kv put` and `restore` create one).
    NoDatabase {
        /// The directory named by `--dir` or the configuration's `dir`.
        dir: PathBuf,
    },
    /// The database directory has no write-ahead log (`appendonly` off, or not a database).
    NoLog {
        /// The database directory (not its missing `wal` subdirectory).
        dir: PathBuf,
    },
    /// `restore` into a directory that already holds files, without `--force`.
    NotEmpty {
        /// The directory `restore` was to create the database in.
        dir: PathBuf,
    },
    /// Another process has the database directory open.
    Locked {
        /// The database directory whose lock file is held.
        dir: PathBuf,
    },
}

/// Shorthand for results of the command line.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The process exit code: [`EXIT_FAILED`] for a checkpoint that fails verification
    /// (the check failed), [`EXIT_ERROR`] for everything else.
    pub fn exit_code(&self) -> u8 {
        use checkpoint::Error as C;
        match self {
            Error::Checkpoint(C::BadMagic { .. } | C::Corrupt { .. } | C::Truncated { .. }) => {
                EXIT_FAILED
            }
            _ => EXIT_ERROR,
        }
    }

    /// Whether this is a write to a pipe whose reader has gone (`isolde kv scan | head`),
    /// which is not worth reporting.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, Error::Terminal(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Db(e) => e.fmt(f),
            Error::Checkpoint(e) => e.fmt(f),
            Error::Wal(e) => e.fmt(f),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Terminal(e) => write!(f, "standard output or input: {e}"),
            Error::NoDatabase { dir } => {
                write!(f, "no database at {}: the directory does not exist (check --dir or the config's dir)", dir.display())
            }
            Error::NoLog { dir } => {
                write!(
                    f,
                    "no write-ahead log in {} (appendonly off, or not a database directory)",
                    dir.display()
                )
            }
            Error::NotEmpty { dir } => {
                write!(f, "{} is not empty: restore into an empty directory, or pass --force to replace its database", dir.display())
            }
            Error::Locked { dir } => write!(
                f,
                "{} is in use by another process (its LOCK file is held)",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Db(e) => Some(e),
            Error::Checkpoint(e) => Some(e),
            Error::Wal(e) => Some(e),
            Error::Io { source, .. } | Error::Terminal(source) => Some(source),
            Error::NoDatabase { .. }
            | Error::NoLog { .. }
            | Error::NotEmpty { .. }
            | Error::Locked { .. } => None,
        }
    }
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error::Db(e)
    }
}

impl From<checkpoint::Error> for Error {
    fn from(e: checkpoint::Error) -> Self {
        Error::Checkpoint(e)
    }
}

impl From<wal::Error> for Error {
    fn from(e: wal::Error) -> Self {
        Error::Wal(e)
    }
}
