//! Errors, grouped by what the caller must do: retry the transaction, fix the input, or
//! give up (I/O and corruption).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use isolde_engine::{Timestamp, TxnId};

/// Everything that can go wrong in a transaction or in opening the store.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transaction cannot be serialized with concurrent ones (SQLSTATE 40001).
    /// Retryable: run the whole transaction again.
    Serialization(SerializationFailure),
    /// Waiting for a row lock would close a cycle of waiting transactions; this one was
    /// chosen as the victim and rolled back (SQLSTATE 40P01). Retryable.
    Deadlock {
        /// The victim (this transaction).
        txn: TxnId,
        /// The transaction it would have waited for.
        waiting_for: TxnId,
        /// The key it wanted to lock.
        key: Vec<u8>,
        /// The cycle, starting with the victim.
        cycle: Vec<TxnId>,
    },
    /// A row lock was not granted within the lock timeout; the transaction was rolled back
    /// (SQLSTATE 55P03).
    LockTimeout {
        /// The transaction that waited (and was rolled back).
        txn: TxnId,
        /// The holder it was waiting on when time ran out (others may hold the row too).
        holder: TxnId,
        /// The key it wanted to lock.
        key: Vec<u8>,
        /// How long it waited for this row, counted from the first conflict on it, through
        /// holders that ended one after another.
        waited: Duration,
    },
    /// A write in a transaction started READ ONLY (SQLSTATE 25006).
    ReadOnlyTransaction {
        /// The read-only transaction that tried to write.
        txn: TxnId,
    },
    /// The transaction already failed (serialization, deadlock, lock timeout) and was
    /// rolled back; only `rollback` is left to do (SQLSTATE 25P02).
    Aborted {
        /// The transaction, already rolled back, that was used again.
        txn: TxnId,
        /// The message of the error that ended it.
        reason: String,
        /// That error was retryable (a serialization failure or a deadlock): running the
        /// whole transaction again may succeed, and [`Error::is_retryable`] says so here
        /// too, for retry loops that only look at what `commit` returns.
        retryable: bool,
    },
    /// A savepoint that a rollback to or a release of an earlier one removed
    /// (SQLSTATE 3B001).
    UnknownSavepoint {
        /// The transaction it was used in.
        txn: TxnId,
    },
    /// An empty key: keys must have at least one byte.
    EmptyKey,
    /// A key longer than [`crate::MAX_KEY_SIZE`].
    KeyTooLarge {
        /// The key's length in bytes.
        len: usize,
        /// The limit, [`crate::MAX_KEY_SIZE`], in bytes.
        max: usize,
    },
    /// A value longer than [`crate::MAX_VALUE_SIZE`].
    ValueTooLarge {
        /// The value's length in bytes.
        len: usize,
        /// The limit, [`crate::MAX_VALUE_SIZE`], in bytes.
        max: usize,
    },
    /// The write-ahead log failed; after a failed fsync it refuses every later write.
    Wal(isolde_wal::Error),
    /// A checkpoint file could not be written or read.
    Checkpoint(isolde_engine::checkpoint::Error),
    /// A log record that passed its checksum does not decode: written by a different
    /// program or a bug. The database refuses to open rather than guess.
    CorruptRecord {
        /// The record's position in the log (its LSN, as the log tools show it).
        lsn: u64,
        /// The log file that holds it.
        file: PathBuf,
        /// The byte offset of its frame in that file.
        offset: u64,
        /// What the decoder could not make sense of.
        reason: String,
    },
    /// A file-system operation outside the log and checkpoints failed.
    Io {
        /// The file or directory the operation was on: the database directory being
        /// created, or its lock file.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// Another process has the database directory open.
    Locked {
        /// The database directory (not the lock file inside it).
        path: PathBuf,
    },
    /// `isolde restore` was cut short while it swapped the new checkpoint in: the
    /// directory may hold part of the old database, or none of either, so it is not
    /// opened until the restore is run again.
    InterruptedRestore {
        /// The database directory.
        path: PathBuf,
    },
    /// Writes are refused until a checkpoint succeeds (`stop-writes-on-checkpoint-error`).
    WritesStopped {
        /// The message of the checkpoint error that stopped writes.
        reason: String,
    },
    /// The operation needs a database directory, and this database lives in memory only.
    InMemory {
        /// What was asked for, as a plural noun for the message ("checkpoints").
        what: &'static str,
    },
}

/// Details of a serialization failure: which transaction, against which other one, on
/// which key or range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerializationFailure {
    /// The transaction that failed.
    pub txn: TxnId,
    /// The transaction it conflicted with, when known.
    pub other: Option<TxnId>,
    /// What happened.
    pub kind: ConflictKind,
}

/// The two ways a transaction can fail to serialize.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// It tried to write or lock a row another transaction committed after its snapshot
    /// (first updater wins, at REPEATABLE READ and SERIALIZABLE).
    ConcurrentUpdate {
        /// The row it tried to write or lock.
        key: Vec<u8>,
        /// Commit timestamp of the newer version, later than the transaction's snapshot.
        committed_ts: Timestamp,
        /// True when the row was deleted after the snapshot (and perhaps another inserted
        /// under its key since) rather than updated: PostgreSQL's "concurrent delete".
        deleted: bool,
    },
    /// Its reads and writes, with those of concurrent SERIALIZABLE transactions, form a
    /// dangerous structure `in -rw-> pivot -rw-> out` (serializable snapshot isolation).
    ReadWriteDependency {
        /// The key (or, for a range read, a key inside the range) of the edge into the pivot.
        in_key: Vec<u8>,
        /// The key of the edge out of the pivot.
        out_key: Vec<u8>,
        /// Who was pivot.
        pivot: TxnId,
        /// The transaction at the far end, which committed first.
        out: TxnId,
    },
}

impl Error {
    /// True when running the same transaction again may succeed: serialization failures
    /// and deadlocks.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Serialization(_)
                | Error::Deadlock { .. }
                | Error::Aborted {
                    retryable: true,
                    ..
                }
        )
    }

    /// The PostgreSQL SQLSTATE for this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::Serialization(_) => "40001",
            Error::Deadlock { .. } => "40P01",
            Error::LockTimeout { .. } => "55P03",
            Error::ReadOnlyTransaction { .. } => "25006",
            Error::Aborted { .. } => "25P02",
            Error::UnknownSavepoint { .. } => "3B001",
            Error::EmptyKey | Error::KeyTooLarge { .. } | Error::ValueTooLarge { .. } => "22023",
            Error::WritesStopped { .. } => "MISCONF",
            Error::Locked { .. } => "55006",
            Error::InterruptedRestore { .. } => "55000",
            Error::InMemory { .. } => "0A000",
            Error::Wal(_) | Error::Checkpoint(_) | Error::Io { .. } => "58030",
            Error::CorruptRecord { .. } => "XX001",
        }
    }
}

/// Renders a key for messages: printable ASCII as is, other bytes as `\xNN`.
pub fn display_key(key: &[u8]) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    out.push('\'');
    for &b in key {
        match b {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Serialization(failure) => failure.fmt(f),
            Error::Deadlock { txn, waiting_for, key, cycle } => {
                let cycle: Vec<String> = cycle.iter().map(|t| format!("T{t}")).collect();
                write!(
                    f,
                    "deadlock detected: transaction T{txn} waits for T{waiting_for} on key {} \
                     (cycle {} -> T{txn}); T{txn} was rolled back",
                    display_key(key),
                    cycle.join(" -> ")
                )
            }
            Error::LockTimeout { txn, holder, key, waited } => write!(
                f,
                "canceling statement due to lock timeout: T{txn} waited {:?} for T{holder} on key {}",
                waited,
                display_key(key)
            ),
            Error::ReadOnlyTransaction { txn } => {
                write!(f, "cannot write in a read-only transaction (T{txn})")
            }
            Error::UnknownSavepoint { txn } => {
                write!(f, "T{txn} has no such savepoint (rolled back or released)")
            }
            Error::Aborted { txn, reason, .. } => write!(
                f,
                "current transaction T{txn} is aborted ({reason}); only rollback is possible"
            ),
            Error::EmptyKey => write!(f, "empty key: keys must have at least one byte"),
            Error::KeyTooLarge { len, max } => {
                write!(f, "key of {len} bytes is larger than the maximum of {max} bytes")
            }
            Error::ValueTooLarge { len, max } => {
                write!(f, "value of {len} bytes is larger than the maximum of {max} bytes")
            }
            Error::Wal(e) => write!(f, "write-ahead log: {e}"),
            Error::Checkpoint(e) => write!(f, "checkpoint: {e}"),
            Error::CorruptRecord {
                lsn,
                file,
                offset,
                reason,
            } => write!(
                f,
                "log record at LSN {lsn} in {} at byte offset {offset} does not decode: \
                 {reason}; run `isolde check-wal --fix` to cut the log there",
                file.display()
            ),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Locked { path } => write!(
                f,
                "database directory {} is in use by another process (lock file held)",
                path.display()
            ),
            Error::InterruptedRestore { path } => write!(
                f,
                "database directory {} holds a restore that was cut short ({} is there): \
                 run `isolde restore FILE --dir {} --force` again to finish it",
                path.display(),
                crate::RESTORE_REPLACED_DIR,
                path.display()
            ),
            Error::InMemory { what } => {
                write!(f, "an in-memory database has no {what}: open one with a directory")
            }
            Error::WritesStopped { reason } => write!(
                f,
                "writes are refused because the last checkpoint failed ({reason}); \
                 see stop-writes-on-checkpoint-error"
            ),
        }
    }
}

impl fmt::Display for SerializationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ConflictKind::ConcurrentUpdate {
                key,
                committed_ts,
                deleted,
            } => {
                write!(
                    f,
                    "could not serialize access due to concurrent {}: T{}",
                    if *deleted { "delete" } else { "update" },
                    self.txn
                )?;
                write!(f, " wanted key {}, which ", display_key(key))?;
                match self.other {
                    Some(other) => write!(f, "T{other}")?,
                    None => write!(f, "another transaction")?,
                }
                write!(
                    f,
                    " {} after T{}'s snapshot (committed at ts {committed_ts})",
                    if *deleted { "deleted" } else { "changed" },
                    self.txn
                )
            }
            ConflictKind::ReadWriteDependency {
                in_key,
                out_key,
                pivot,
                out,
            } => write!(
                f,
                "could not serialize access due to read/write dependencies among transactions: \
                 T{} failed; pivot T{pivot} overwrote what another read (key {}) and read key {} \
                 that T{out} overwrote and committed first",
                self.txn,
                display_key(in_key),
                display_key(out_key),
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Wal(e) => Some(e),
            Error::Checkpoint(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<isolde_wal::Error> for Error {
    fn from(e: isolde_wal::Error) -> Self {
        Error::Wal(e)
    }
}

impl From<isolde_engine::checkpoint::Error> for Error {
    fn from(e: isolde_engine::checkpoint::Error) -> Self {
        Error::Checkpoint(e)
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
