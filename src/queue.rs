//! Transactional queues: point-to-point messages stored as ordinary keys.
//!
//! [`Transaction::enqueue`](crate::Transaction::enqueue) writes a message under the
//! queue's prefix with the next sequence number; it becomes visible to consumers when
//! the transaction commits. [`Transaction::dequeue`](crate::Transaction::dequeue) takes
//! the oldest message that no other open transaction has taken, skipping taken ones
//! without waiting (PostgreSQL's `FOR UPDATE SKIP LOCKED`), and deletes it in the
//! consuming transaction: the message is gone for good only when that commits; a
//! rollback or a crash puts it back. Being keys, messages are logged, checkpointed and
//! replicated like any data.
//!
//! Order: messages are numbered when enqueued, so the oldest is the one enqueued first,
//! among those committed. Dequeuing is not a SERIALIZABLE read: consumers of one queue
//! never conflict with each other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use isolde_txn::{CommitRecord, IsolationLevel, TxnManager};
use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};
use crate::keyspace::{self, QUEUE_PREFIX};

/// The longest queue name accepted, in bytes.
pub const MAX_QUEUE_NAME: usize = 1024;

/// Sequence numbers and the "a message arrived" signal shared by a database's queues.
#[derive(Default)]
pub(crate) struct Queues {
    next_seq: AtomicU64,
    arrivals: Mutex<u64>,
    arrived: Condvar,
}

impl Queues {
    /// Starts numbering after the highest sequence number already stored.
    pub(crate) fn recover(manager: &TxnManager) -> Result<Queues> {
        let tx = manager.begin_read_only(IsolationLevel::RepeatableRead);
        let highest = tx
            .scan_prefix(&[QUEUE_PREFIX])?
            .filter_map(|(key, _)| keyspace::queue_seq(&key))
            .max();
        tx.commit()?;
        Ok(Queues {
            next_seq: AtomicU64::new(highest.map_or(0, |h| h + 1)),
            arrivals: Mutex::new(0),
            arrived: Condvar::new(),
        })
    }

    pub(crate) fn next_key(&self, queue: &[u8]) -> Result<Vec<u8>> {
        check_name(queue)?;
        Ok(keyspace::queue_key(
            queue,
            self.next_seq.fetch_add(1, Ordering::Relaxed),
        ))
    }

    /// Called for every commit: wakes blocked consumers when messages arrived.
    pub(crate) fn committed(&self, record: &CommitRecord) {
        let arrived = record
            .writes
            .iter()
            .any(|(k, v)| k.first() == Some(&QUEUE_PREFIX) && v.is_some());
        if arrived {
            *self.arrivals.lock() += 1;
            self.arrived.notify_all();
        }
    }

    /// A count of commits that brought messages; compare before and after a wait.
    pub(crate) fn arrivals(&self) -> u64 {
        *self.arrivals.lock()
    }

    /// Waits until a commit brings messages after `seen` arrivals, or `deadline` passes.
    pub(crate) fn wait_for_arrival(&self, seen: u64, deadline: Instant) {
        let mut arrivals = self.arrivals.lock();
        while *arrivals == seen {
            if self.arrived.wait_until(&mut arrivals, deadline).timed_out() {
                return;
            }
        }
    }
}

/// The prefix of `queue`'s messages, after checking the name.
pub(crate) fn prefix(queue: &[u8]) -> Result<Vec<u8>> {
    check_name(queue)?;
    Ok(keyspace::queue_prefix(queue))
}

fn check_name(queue: &[u8]) -> Result<()> {
    if queue.is_empty() || queue.len() > MAX_QUEUE_NAME {
        return Err(Error::Invalid {
            message: format!(
                "queue names are 1 to {MAX_QUEUE_NAME} bytes, not {}",
                queue.len()
            ),
        });
    }
    Ok(())
}
