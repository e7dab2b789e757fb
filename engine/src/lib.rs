//! isolde's storage engine: the in-memory multi-version store at the bottom of the stack.
//!
//! [`VersionStore`] keeps every key's committed versions (stamped with commit timestamps),
//! at most one pending version per key, and the row locks, in a lock-free ordered map,
//! with a sharded hash index beside it for point lookups.
//! It decides what a read at a snapshot sees and whether a lock can be granted, never how
//! long anyone waits: that, and the isolation levels built from these pieces, belong to the
//! `txn` crate. Versions no snapshot can see any more are pruned as chains are written and
//! by [`VersionStore::gc`] passes, which visit only the chains queued as having something
//! to reclaim.

#![warn(missing_docs)]

pub mod checkpoint;
mod point_index;
mod stored_key;
mod version_store;

pub use version_store::{
    Conflict, GcStats, Granted, Held, LockMode, Locked, PendingWrite, ReadAt, Scan, Timestamp,
    TxnId, Value, VersionStore,
};
