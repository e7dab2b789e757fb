//! The one error type of the embedded API.

use std::fmt;
use std::path::PathBuf;

use crate::keyspace::KV_PREFIX;
use crate::pubsub::RecvError;
use crate::watch::WatchError;

/// Everything the embedded API can fail with. [`Error::is_retryable`] says whether running
/// the transaction again may succeed; [`Error::sqlstate`] gives PostgreSQL's code.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A transaction or storage error (serialization failure, deadlock, I/O, ...).
    Txn(isolde_txn::Error),
    /// A configuration file is wrong; the message names the key and the line.
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The parser's message: the key, the line and what is wrong with the value.
        message: String,
    },
    /// A file outside the database's own (a configuration file, an output file) failed.
    Io {
        /// The file that could not be read or written.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// An argument is out of range (a queue name too long, say); the message says which.
    Invalid {
        /// Which argument, its limits and the value given.
        message: String,
    },
    /// A stored key-value value was not written by this API (its header is unknown).
    CorruptValue {
        /// The key as the caller names it (without the key-value namespace byte).
        key: Vec<u8>,
    },
    /// A watch ended: it fell behind, or its database was closed.
    Watch(WatchError),
    /// A subscription ended: it fell behind, or its database was closed.
    Subscription(RecvError),
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
            Error::Invalid { .. } => "22023",
            Error::CorruptValue { .. } => "XX001",
            // A buffer of `pubsub-buffer-limit` overflowed.
            Error::Watch(WatchError::Lagged { .. })
            | Error::Subscription(RecvError::Lagged { .. }) => "53400",
            // The database was shut down under the receiver.
            Error::Watch(_) | Error::Subscription(_) => "57P01",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Txn(e) => e.fmt(f),
            Error::Config { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Invalid { message } => f.write_str(message),
            Error::Watch(e) => e.fmt(f),
            Error::Subscription(e) => e.fmt(f),
            Error::CorruptValue { key } => write!(
                f,
                "the value of key {} has an unknown header: it was not written by the key-value API",
                isolde_txn::display_key(key)
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Txn(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            Error::Watch(e) => Some(e),
            Error::Subscription(e) => Some(e),
            Error::Config { .. } | Error::Invalid { .. } | Error::CorruptValue { .. } => None,
        }
    }
}

/// A transaction error as the embedded API reports it: a key-value key it names (a
/// conflict's, a deadlock's, a lock wait's) is shown as the caller wrote it, without the
/// namespace byte the storage layout puts in front (see [`crate::keyspace`]).
impl From<isolde_txn::Error> for Error {
    fn from(mut e: isolde_txn::Error) -> Self {
        use isolde_txn::{ConflictKind, Error as TxnError};
        let keys: Vec<&mut Vec<u8>> = match &mut e {
            TxnError::Deadlock { key, .. } | TxnError::LockTimeout { key, .. } => vec![key],
            TxnError::Serialization(failure) => match &mut failure.kind {
                ConflictKind::ConcurrentUpdate { key, .. } => vec![key],
                ConflictKind::ReadWriteDependency {
                    in_key, out_key, ..
                } => vec![in_key, out_key],
            },
            _ => Vec::new(),
        };
        for key in keys {
            if key.first() == Some(&KV_PREFIX) {
                key.remove(0);
            }
        }
        Error::Txn(e)
    }
}

impl From<WatchError> for Error {
    fn from(e: WatchError) -> Self {
        Error::Watch(e)
    }
}

impl From<RecvError> for Error {
    fn from(e: RecvError) -> Self {
        Error::Subscription(e)
    }
}

/// Shorthand for results of the embedded API.
pub type Result<T, E = Error> = std::result::Result<T, E>;
