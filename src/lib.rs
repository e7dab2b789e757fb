//! isolde: a transactional in-memory MVCC storage engine with all four SQL isolation
//! levels, made durable by a write-ahead log and checkpoints.
//!
//! This crate is the embedded API: [`Db`] opens a database (or [`Db::open_in_memory`]),
//! [`Db::begin`] starts a key-value [`Transaction`] at an [`IsolationLevel`], and
//! [`Db::publish`] / [`Db::subscribe`] give Redis-style pub/sub, with
//! [`Transaction::publish`] delivering only on commit, transactional queues
//! ([`Transaction::enqueue`] / [`Transaction::dequeue`]), watches of committed changes
//! ([`Db::watch`]) and key expiry ([`Db::put_with_ttl`]). Underneath, `isolde-txn` runs the
//! transactions, `isolde-engine` keeps the versions and checkpoint files and `isolde-wal`
//! the log.

#![warn(missing_docs)]

pub mod anomalies;
pub mod cli;
mod config;
mod db;
mod error;
pub mod expiry;
pub mod isolation_test;
pub mod keyspace;
pub mod pubsub;
mod queue;
pub mod sessions;
pub mod shell;
mod watch;

pub use config::{parse_save, parse_size, Config, Options, DEFAULT_DIR};
pub use db::{Db, Scan, Transaction, DEQUEUE_POLL};
pub use error::{Error, Result};
pub use expiry::Ttl;
pub use isolde_sql as sql;
pub use isolde_sql::{QueryResult, Session};
pub use isolde_txn::checkpoint::Compression;
pub use isolde_txn::wal::FsyncPolicy;
pub use isolde_txn::{CheckpointInfo, CommitInfo, IsolationLevel, LockMode, SaveRule};
pub use keyspace::{KV_PREFIX, MAX_KEY_SIZE, MAX_VALUE_SIZE};
pub use queue::MAX_QUEUE_NAME;
pub use watch::{Change, Watch, WatchError};

/// The README's examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
