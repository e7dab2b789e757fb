//! Transactions for isolde: the four SQL isolation levels on the multi-version store,
//! row locks with deadlock detection, serializable snapshot isolation, and durable
//! commits through the write-ahead log.
//!
//! This crate joins `engine` (versions, locks, checkpoint files) and `wal` (the log):
//! [`TxnManager`] opens a database directory (newest valid checkpoint, then the log after
//! it), begins [`Transaction`]s and commits them in log order. How each isolation level is
//! built from snapshots and checks is explained in [`isolation`]; the commit pipeline in
//! the `manager` module; the SERIALIZABLE check in the `ssi` module.

#![warn(missing_docs)]

mod error;
pub mod isolation;
mod locks;
mod manager;
pub mod record;
mod snapshot;
mod ssi;
mod transaction;

pub use error::{display_key, ConflictKind, Error, Result, SerializationFailure};
pub use isolation::{IsolationLevel, UnknownIsolationLevel};
pub use isolde_engine::{checkpoint, LockMode, Scan, Timestamp, TxnId, Value};
pub use isolde_wal as wal;
pub use locks::LockWait;
pub use manager::{
    lock_dir, CheckpointInfo, CommitObserver, Options, Recovered, SaveRule, TxnManager, LOCK_FILE,
    NO_LOG, RESTORE_REPLACED_DIR, WAL_DIR,
};
pub use record::CommitRecord;
pub use transaction::{
    prefix_end, CommitInfo, RowLock, Savepoint, Transaction, MAX_KEY_SIZE, MAX_VALUE_SIZE,
};
