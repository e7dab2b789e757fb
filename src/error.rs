//! The one error type of the embedded API.

use std::fmt;
use std::path::PathBuf;

/// Everything the embedded API can fail with. [`Error::is_retryable`] says whether running
/// the transaction again may succeed; [`Error::sqlstate`] gives PostgreSQL's code.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A transaction or storage error (serialization failure, deadlock, I/O, ...).
    Txn(isolde_txn::Error),
    /// A configuration file is wrong; the message names the key and the line.
    Config { path: PathBuf, message: String },
    /// A file outside the database's own (a configuration file, an output file) failed.
    Io { path: PathBuf, source: std::io::Error },
}

impl Error {
    /// True for serialization failures and deadlocks: retry the whole transaction.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Txn(e) if e.is_retryable())
    }

    /// The PostgreSQL SQLSTATE for this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::Txn(e) => e.sqlstate(),
            Error::Config { .. } => "F0000",
            Error::Io { .. } => "58030",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Txn(e) => e.fmt(f),
            Error::Config { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Txn(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            Error::Config { .. } => None,
        }
    }
}

impl From<isolde_txn::Error> for Error {
    fn from(e: isolde_txn::Error) -> Self {
        Error::Txn(e)
    }
}

/// Shorthand for results of the embedded API.
pub type Result<T, E = Error> = std::result::Result<T, E>;
