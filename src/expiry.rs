//! Key expiry (Redis's EXPIRE / TTL / PERSIST) for the key-value API.
//!
//! A key-value value is stored behind a one-byte header: [`PLAIN`], or [`EXPIRING`]
//! followed by the expiry time (8 bytes, little-endian, milliseconds since the Unix
//! epoch). Keeping the time inside the value means it is logged, checkpointed, restored and
//! replicated with the value, atomically. An expired key reads as absent at every isolation
//! level from its expiry on (the wall clock decides, as in Redis). It is then removed by an
//! ordinary committed delete: the background sweeper walks the expiry index (keys ordered
//! by time, see [`crate::keyspace`]) a bounded number of entries per pass, and keys that a
//! read found expired are queued for it first. The index holds one entry per key with an
//! expiry, at its current expiry time: every write or delete of a key removes the entry
//! of the value it replaces, in the same transaction, so a key whose TTL is refreshed on
//! every request costs one entry, not one per refresh. The sweeper never waits for a
//! lock: a key that an open transaction holds is skipped, and its index entry, still
//! there, brings it back on a later pass, so one long transaction cannot hold up the
//! removal of every other expired key.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use isolde_txn::{IsolationLevel, TxnManager};
use parking_lot::{Condvar, Mutex};

use crate::keyspace::{self, EXPIRY_PREFIX};

/// Expired keys the sweeper deletes per pass, at most.
const SWEEP_BATCH: usize = 100;
/// Index entries a pass looks at, at most: a batch's worth of keys held by open
/// transactions does not stop the pass from reaching the ones after them.
const SWEEP_LOOKAHEAD: usize = 4 * SWEEP_BATCH;
/// Pause between sweeper passes.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// Header byte of a value without expiry.
pub const PLAIN: u8 = 0;
/// Header byte of a value with an expiry time.
pub const EXPIRING: u8 = 1;

/// What [`crate::Db::ttl`] reports: Redis's TTL answers -2, -1 and a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// The key does not exist (or has expired).
    Missing,
    /// The key exists and never expires.
    Persistent,
    /// The key expires after this long.
    ExpiresIn(Duration),
}

/// A decoded stored value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stored<'a> {
    pub(crate) expires_at_ms: Option<u64>,
    pub(crate) value: &'a [u8],
}

impl<'a> Stored<'a> {
    /// Parses a stored value; None if it was not written by this API.
    pub(crate) fn decode(stored: &'a [u8]) -> Option<Stored<'a>> {
        match stored.split_first()? {
            (&PLAIN, value) => Some(Stored {
                expires_at_ms: None,
                value,
            }),
            (&EXPIRING, rest) => {
                let at: [u8; 8] = rest.get(..8)?.try_into().ok()?;
                Some(Stored {
                    expires_at_ms: Some(u64::from_le_bytes(at)),
                    value: &rest[8..],
                })
            }
            _ => None,
        }
    }

    /// True once the expiry time has come. The clock, `now_ms`, is read only for a value
    /// that has an expiry: most have none.
    pub(crate) fn is_expired(&self, now_ms: impl FnOnce() -> u64) -> bool {
        self.expires_at_ms.is_some_and(|at| at <= now_ms())
    }

    pub(crate) fn ttl(&self, now_ms: u64) -> Ttl {
        match self.expires_at_ms {
            None => Ttl::Persistent,
            Some(at) if at <= now_ms => Ttl::Missing,
            Some(at) => Ttl::ExpiresIn(Duration::from_millis(at - now_ms)),
        }
    }
}

/// The stored form of `value`, expiring at `expires_at_ms` if given.
pub(crate) fn encode(value: &[u8], expires_at_ms: Option<u64>) -> Vec<u8> {
    let mut stored = Vec::with_capacity(value.len() + 9);
    match expires_at_ms {
        None => stored.push(PLAIN),
        Some(at) => {
            stored.push(EXPIRING);
            stored.extend_from_slice(&at.to_le_bytes());
        }
    }
    stored.extend_from_slice(value);
    stored
}

/// Milliseconds since the Unix epoch now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The expiry time `ttl` from now, saturating far in the future.
pub(crate) fn deadline_ms(ttl: Duration) -> u64 {
    now_ms().saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

/// The background sweeper: deletes expired keys with ordinary committed transactions.
pub(crate) struct Sweeper {
    shared: Arc<SweeperShared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct SweeperShared {
    /// Stored keys that reads found expired, to delete first.
    seen: Mutex<Vec<Vec<u8>>>,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Sweeper {
    pub(crate) fn start(manager: TxnManager) -> Sweeper {
        let shared = Arc::new(SweeperShared::default());
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("isolde-expiry".into())
                .spawn(move || sweep_until_stopped(&manager, &shared))
                .ok()
        };
        Sweeper { shared, thread }
    }

    /// Queues a stored key a read found expired (bounded: the index finds the rest).
    pub(crate) fn expired_seen(&self, stored_key: Vec<u8>) {
        let mut seen = self.shared.seen.lock();
        if seen.len() < SWEEP_BATCH {
            seen.push(stored_key);
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        *self.shared.stop.lock() = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn sweep_until_stopped(manager: &TxnManager, shared: &SweeperShared) {
    loop {
        {
            let mut stop = shared.stop.lock();
            if !*stop {
                shared.wake.wait_for(&mut stop, SWEEP_INTERVAL);
            }
            if *stop {
                return;
            }
        }
        let seen = std::mem::take(&mut *shared.seen.lock());
        // A pass that fails (writes stopped, say) is simply tried again next time: expired
        // keys already read as absent meanwhile.
        let _ = sweep(manager, seen);
    }
}

/// One pass: the keys reads found expired, then the expiry index up to now, until
/// [`SWEEP_BATCH`] keys are dealt with; keys held by others are skipped.
fn sweep(manager: &TxnManager, seen: Vec<Vec<u8>>) -> isolde_txn::Result<()> {
    let now = now_ms();
    let due: Vec<(u64, Vec<u8>)> = {
        let tx = manager.begin_read_only(IsolationLevel::ReadCommitted);
        let index = tx.scan_prefix(&[EXPIRY_PREFIX])?;
        let due = index
            .map_while(|(key, _)| keyspace::parse_expiry_key(&key).map(|(at, k)| (at, k.to_vec())))
            .take_while(|(at, _)| *at <= now)
            .take(SWEEP_LOOKAHEAD)
            .collect();
        tx.commit()?;
        due
    };
    let from_index = due.into_iter().map(|(at, key)| (Some(at), key));
    let mut done = 0;
    for (indexed_at, stored_key) in seen.into_iter().map(|k| (None, k)).chain(from_index) {
        if done == SWEEP_BATCH {
            break;
        }
        if remove_if_expired(manager, indexed_at, &stored_key, now)? {
            done += 1;
        }
    }
    Ok(())
}

/// Deletes `stored_key` if it has expired by `now`, with its index entry, and drops the
/// index entry found at `indexed_at` if it no longer matches the key's expiry (the key was
/// rewritten). Nothing is deleted unless its lock is granted at once: false, with nothing
/// changed, when another transaction holds the key or an index entry.
///
/// The expiry is checked again on the version the lock holds, so a value rewritten after
/// it expired is never deleted.
fn remove_if_expired(
    manager: &TxnManager,
    indexed_at: Option<u64>,
    stored_key: &[u8],
    now: u64,
) -> isolde_txn::Result<bool> {
    // Dropping `tx` before the commit rolls back whatever it took.
    let mut tx = manager.begin(IsolationLevel::ReadCommitted);
    let mut expires_at = expiry_of(tx.get(stored_key)?.as_deref());
    let mut entries = Vec::new();
    if expires_at.is_some_and(|at| at <= now) {
        let Some(taken) = tx.delete_nowait(stored_key)?.flatten() else {
            return Ok(false);
        };
        expires_at = expiry_of(Some(&taken));
        match expires_at {
            Some(at) if at <= now => entries.push(at),
            // Rewritten since the read: leave it, and its index entries, to a later pass.
            _ => return Ok(true),
        }
    }
    // Any other index entry is stale. The write that replaced its value normally removed
    // it already (and then it is not there to delete); a log or checkpoint written before
    // writes did so may still hold some.
    entries.extend(indexed_at.filter(|&at| Some(at) != expires_at));
    for at in entries {
        let entry = keyspace::expiry_key(at, stored_key);
        if tx.get(&entry)?.is_some() && tx.delete_nowait(&entry)?.flatten().is_none() {
            return Ok(false);
        }
    }
    tx.commit()?;
    Ok(true)
}

/// The expiry time of a stored value, if it has one.
pub(crate) fn expiry_of(stored: Option<&[u8]>) -> Option<u64> {
    stored
        .and_then(Stored::decode)
        .and_then(|stored| stored.expires_at_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_with_and_without_expiry() {
        let plain = encode(b"v", None);
        assert_eq!(
            Stored::decode(&plain),
            Some(Stored {
                expires_at_ms: None,
                value: b"v"
            })
        );
        let expiring = encode(b"v", Some(1234));
        let stored = Stored::decode(&expiring).unwrap();
        assert_eq!(
            (stored.expires_at_ms, stored.value),
            (Some(1234), &b"v"[..])
        );
        assert!(stored.is_expired(|| 1234) && !stored.is_expired(|| 1233));
        assert_eq!(stored.ttl(1000), Ttl::ExpiresIn(Duration::from_millis(234)));
    }

    #[test]
    fn foreign_bytes_do_not_decode() {
        assert_eq!(Stored::decode(b""), None);
        assert_eq!(Stored::decode(b"\x07abc"), None);
        assert_eq!(Stored::decode(b"\x01abc"), None, "expiry header cut short");
    }
}
