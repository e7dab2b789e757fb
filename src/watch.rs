//! Watches: every committed change under a key prefix, in commit order.
//!
//! [`crate::Db::watch`] registers a prefix; from that moment on, each commit that changes
//! a key-value key under it is delivered, key by key, with the new value (or the deletion)
//! and the commit timestamp. Delivery runs as the commit becomes visible, in commit order,
//! so a watch sees every change exactly once and never out of order — the notification
//! half of ZooKeeper's watches, without their one-shot limit.
//!
//! A watch buffers at most `pubsub-buffer-limit` undelivered changes. Rather than block
//! committers or grow without bound, a watch that falls further behind receives what it
//! had buffered and then [`WatchError::Lagged`]: it has missed changes and is closed.
//! When the database is closed (its last handle dropped), a watch receives what it had
//! buffered and then [`WatchError::Closed`], as a subscription does.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use isolde_txn::CommitRecord;
use parking_lot::{Condvar, Mutex};

use crate::expiry::Stored;
use crate::keyspace::KV_PREFIX;

/// One committed change of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The key (as the key-value API names it).
    pub key: Vec<u8>,
    /// Its new value; None for a deletion.
    pub value: Option<Vec<u8>>,
    /// The commit timestamp of the transaction that made it.
    pub ts: u64,
}

/// Why a watch stopped delivering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchError {
    /// The watch fell more than its buffer behind and missed `missed` changes; it is closed.
    Lagged {
        /// How many changes were dropped since the buffer filled, as of this call.
        missed: u64,
    },
    /// The database is gone (every handle to it was dropped); every buffered change was
    /// received.
    Closed,
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::Lagged { missed } => {
                write!(
                    f,
                    "watch fell behind and missed {missed} changes; it is closed"
                )
            }
            WatchError::Closed => write!(f, "watch closed: the database was closed"),
        }
    }
}

impl std::error::Error for WatchError {}

#[derive(Default)]
struct InboxState {
    changes: VecDeque<Change>,
    missed: u64,
    /// The database is gone.
    closed: bool,
}

struct Inbox {
    state: Mutex<InboxState>,
    arrived: Condvar,
    limit: usize,
}

impl Inbox {
    fn push(&self, change: Change) {
        let mut state = self.state.lock();
        if state.missed > 0 || state.changes.len() >= self.limit {
            state.missed += 1;
        } else {
            state.changes.push_back(change);
        }
        drop(state);
        self.arrived.notify_one();
    }
}

/// An open watch as the registry keeps it: its id, its stored key prefix, its inbox.
type Registered = (u64, Vec<u8>, Arc<Inbox>);

/// Every open watch; the commit fan-out hands it each commit.
#[derive(Default)]
pub(crate) struct Watches {
    open: Mutex<Vec<Registered>>,
    next_id: AtomicU64,
}

impl Watches {
    pub(crate) fn open(self: &Arc<Self>, prefix: &[u8], limit: usize) -> Watch {
        let inbox = Arc::new(Inbox {
            state: Mutex::default(),
            arrived: Condvar::new(),
            limit: limit.max(1),
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let stored_prefix = [&[KV_PREFIX], prefix].concat();
        self.open.lock().push((id, stored_prefix, inbox.clone()));
        Watch {
            inbox,
            watches: self.clone(),
            id,
        }
    }

    /// Delivers the key-value changes of one commit to the watches they fall under.
    pub(crate) fn committed(&self, record: &CommitRecord) {
        let open = self.open.lock();
        if open.is_empty() {
            return;
        }
        for (key, value) in &record.writes {
            for (_, _, inbox) in open.iter().filter(|(_, prefix, _)| key.starts_with(prefix)) {
                let value = value
                    .as_deref()
                    .map(|v| Stored::decode(v).map_or(v, |s| s.value).to_vec());
                inbox.push(Change {
                    key: key[1..].to_vec(),
                    value,
                    ts: record.ts,
                });
            }
        }
    }

    fn close(&self, id: u64) {
        self.open.lock().retain(|(open, _, _)| *open != id);
    }

    /// The database is closing: every open watch ends once it has received its buffer.
    pub(crate) fn shut_down(&self) {
        for (_, _, inbox) in self.open.lock().drain(..) {
            inbox.state.lock().closed = true;
            inbox.arrived.notify_all();
        }
    }
}

/// An open watch on a key prefix; see [`crate::Db::watch`]. Dropping it stops it.
pub struct Watch {
    inbox: Arc<Inbox>,
    watches: Arc<Watches>,
    id: u64,
}

impl Watch {
    /// The next change, waiting as long as it takes.
    pub fn recv(&self) -> Result<Change, WatchError> {
        loop {
            if let Some(change) = self.wait(None)? {
                return Ok(change);
            }
        }
    }

    /// The next change, or None after `timeout`. A `timeout` too long to add to the
    /// clock (`Duration::MAX`) waits as long as it takes.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Change>, WatchError> {
        self.wait(Instant::now().checked_add(timeout))
    }

    /// The next change if one is waiting.
    pub fn try_recv(&self) -> Result<Option<Change>, WatchError> {
        self.wait(Some(Instant::now()))
    }

    fn wait(&self, deadline: Option<Instant>) -> Result<Option<Change>, WatchError> {
        let mut state = self.inbox.state.lock();
        loop {
            if let Some(change) = state.changes.pop_front() {
                return Ok(Some(change));
            }
            if state.missed > 0 {
                return Err(WatchError::Lagged {
                    missed: state.missed,
                });
            }
            if state.closed {
                return Err(WatchError::Closed);
            }
            match deadline {
                None => self.inbox.arrived.wait(&mut state),
                Some(deadline) => {
                    if Instant::now() >= deadline
                        || self
                            .inbox
                            .arrived
                            .wait_until(&mut state, deadline)
                            .timed_out()
                    {
                        return Ok(state.changes.pop_front());
                    }
                }
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.watches.close(self.id);
    }
}
