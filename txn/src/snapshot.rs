//! The commit clock and the registry of active transactions.
//!
//! Commit timestamps are handed out one at a time under the commit lock, in WAL order.
//! Committers then finish out of order (fsync, installing versions), so the clock keeps a
//! separate *visible* timestamp that only moves past a timestamp once it and every
//! earlier one are finished: a new snapshot is always the visible timestamp, which is why
//! no snapshot ever sees part of a commit, or a commit without the ones before it.
//!
//! The registry knows every active transaction and its snapshot, so it can tell the
//! garbage collector the *horizon*: the oldest snapshot anyone may still read at.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Instant;

use isolde_engine::{Timestamp, TxnId};
use parking_lot::{Condvar, Mutex};

/// What a finished commit hands to the commit observer, in commit order.
pub(crate) type Notice = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct ClockState {
    /// The last timestamp handed out.
    assigned: Timestamp,
    /// Every timestamp up to this one is finished.
    visible: Timestamp,
    /// Finished timestamps above `visible`, with their commit notices.
    finished: BTreeMap<Timestamp, Option<Notice>>,
}

/// The one clock: assigns commit timestamps and publishes them in order.
#[derive(Default)]
pub(crate) struct Clock {
    state: Mutex<ClockState>,
    visible: AtomicU64,
    advanced: Condvar,
}

impl Clock {
    /// Starts the clock after recovery: everything up to `ts` is committed and visible.
    pub(crate) fn reset(&self, ts: Timestamp) {
        let mut state = self.state.lock();
        state.assigned = ts;
        state.visible = ts;
        self.visible.store(ts, Ordering::Release);
    }

    /// The newest timestamp a snapshot may be taken at.
    pub(crate) fn visible(&self) -> Timestamp {
        self.visible.load(Ordering::Acquire)
    }

    /// The next commit timestamp. Callers hold the commit lock, so timestamps follow WAL order.
    pub(crate) fn assign(&self) -> Timestamp {
        let mut state = self.state.lock();
        state.assigned += 1;
        state.assigned
    }

    /// The last timestamp handed out (finished or not).
    pub(crate) fn assigned(&self) -> Timestamp {
        self.state.lock().assigned
    }

    /// Waits until every commit up to `ts` is visible.
    pub(crate) fn wait_visible(&self, ts: Timestamp) {
        let mut state = self.state.lock();
        while state.visible < ts {
            self.advanced.wait(&mut state);
        }
    }

    /// Marks `ts` finished and waits until it is visible. Notices of the commits that
    /// become visible run in timestamp order, one at a time.
    pub(crate) fn finish(&self, ts: Timestamp, notice: Option<Notice>) {
        let mut state = self.state.lock();
        state.finished.insert(ts, notice);
        let mut moved = false;
        loop {
            let next = state.visible + 1;
            let Some(notice) = state.finished.remove(&next) else {
                break;
            };
            state.visible = next;
            self.visible.store(next, Ordering::Release);
            if let Some(notice) = notice {
                notice();
            }
            moved = true;
        }
        if moved {
            self.advanced.notify_all();
        }
        while state.visible < ts {
            self.advanced.wait(&mut state);
        }
    }
}

/// An active transaction as others see it: its snapshot (for the horizon) and a signal
/// for the transactions waiting on its locks.
pub(crate) struct TxnHandle {
    pub(crate) id: TxnId,
    /// The thread that began it: what `pg_locks.pid` is to PostgreSQL, so a tool running
    /// sessions on threads can tell which session waits for which.
    pub(crate) thread: ThreadId,
    snapshot: AtomicU64,
    /// How many times it released keys without ending (rollbacks to a savepoint).
    releases: AtomicU64,
    done: Mutex<bool>,
    ended: Condvar,
}

impl TxnHandle {
    pub(crate) fn snapshot(&self) -> Timestamp {
        self.snapshot.load(Ordering::Acquire)
    }

    /// Moves the snapshot forward (READ COMMITTED's per-statement snapshot). Never back,
    /// so a horizon computed earlier stays safe.
    pub(crate) fn advance_snapshot(&self, ts: Timestamp) {
        // Between most statements nothing commits: a load is cheaper than an update.
        if ts > self.snapshot() {
            self.snapshot.fetch_max(ts, Ordering::AcqRel);
        }
    }

    /// How many times the transaction released keys without ending.
    pub(crate) fn releases(&self) -> u64 {
        self.releases.load(Ordering::Acquire)
    }

    /// Wakes the transactions waiting on this one, to check again whether their wait
    /// still stands; under the lock they check with, so that none misses it.
    pub(crate) fn wake(&self) {
        let _done = self.done.lock();
        self.ended.notify_all();
    }

    /// Blocks until the transaction ends, or `stands` turns false (checked whenever the
    /// handle is woken, see [`TxnHandle::wake`]), or `deadline` passes; false if the
    /// deadline came first.
    pub(crate) fn wait_end(&self, deadline: Option<Instant>, stands: impl Fn() -> bool) -> bool {
        let mut done = self.done.lock();
        while !*done && stands() {
            match deadline {
                Some(deadline) => {
                    if self.ended.wait_until(&mut done, deadline).timed_out() {
                        return *done;
                    }
                }
                None => self.ended.wait(&mut done),
            }
        }
        true
    }
}

/// Every active transaction, and the garbage-collection horizon derived from them.
#[derive(Default)]
pub(crate) struct Registry {
    /// In id order: ids are handed out under this lock, so a new one goes at the end,
    /// and finding one is a binary search (no hashing on every begin and end).
    active: Mutex<Vec<Arc<TxnHandle>>>,
    next_id: AtomicU64,
    horizon: AtomicU64,
    /// How many times any transaction released keys before its end (a rollback to a
    /// savepoint): a lock request reads it before it asks, so that a release between
    /// its asking and its waiting is not missed (see [`crate::locks::WaitGraph::wait`]).
    releases: AtomicU64,
}

impl Registry {
    /// Registers a new transaction with a snapshot at the clock's visible timestamp. The
    /// snapshot is read under the registry lock, so a horizon computed concurrently is
    /// never above it.
    pub(crate) fn begin(&self, clock: &Clock) -> Arc<TxnHandle> {
        let mut active = self.active.lock();
        self.register(&mut active, clock.visible())
    }

    /// Registers a reader at `ts`, a timestamp already assigned but perhaps not yet
    /// visible: the caller holds the commit lock (so the horizon is at most `ts`) and waits
    /// for `ts` to become visible before reading.
    pub(crate) fn begin_at(&self, ts: Timestamp) -> Arc<TxnHandle> {
        let mut active = self.active.lock();
        self.register(&mut active, ts)
    }

    fn register(&self, active: &mut Vec<Arc<TxnHandle>>, snapshot: Timestamp) -> Arc<TxnHandle> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let handle = Arc::new(TxnHandle {
            id,
            thread: std::thread::current().id(),
            snapshot: AtomicU64::new(snapshot),
            releases: AtomicU64::new(0),
            done: Mutex::new(false),
            ended: Condvar::new(),
        });
        active.push(handle.clone());
        handle
    }

    /// Unregisters `handle`, recomputes the horizon and wakes its waiters.
    pub(crate) fn end(&self, handle: &TxnHandle, clock: &Clock) {
        {
            let mut active = self.active.lock();
            if let Ok(at) = active.binary_search_by_key(&handle.id, |h| h.id) {
                active.remove(at);
            }
            let horizon = oldest_snapshot(&active, None, clock);
            // Most ends leave the horizon where it was: a load is cheaper than an update.
            if horizon > self.horizon.load(Ordering::Acquire) {
                self.horizon.fetch_max(horizon, Ordering::AcqRel);
            }
        }
        *handle.done.lock() = true;
        handle.ended.notify_all();
    }

    /// The horizon as it will be once `handle`'s transaction ends, which it must not
    /// read after this: what a committing transaction may prune to before it ends. A
    /// transaction that begins concurrently reads its snapshot under the same lock, so
    /// this is never above it.
    pub(crate) fn horizon_without(&self, handle: &TxnHandle, clock: &Clock) -> Timestamp {
        oldest_snapshot(&self.active.lock(), Some(handle.id), clock)
    }

    /// The oldest snapshot any active or future transaction may read at.
    /// How many times any transaction released keys before its end.
    pub(crate) fn releases(&self) -> u64 {
        self.releases.load(Ordering::Acquire)
    }

    /// Counts a release of keys by `handle`'s transaction before its end. The global
    /// count first: a waiter that reads the holder's count after this release then
    /// finds the global one moved, and asks again at once. The waiters are then woken by
    /// [`crate::locks::WaitGraph::released`].
    pub(crate) fn released(&self, handle: &TxnHandle) {
        self.releases.fetch_add(1, Ordering::AcqRel);
        handle.releases.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn horizon(&self) -> Timestamp {
        self.horizon.load(Ordering::Acquire)
    }

    /// Sets the horizon after recovery, when no transaction is active.
    pub(crate) fn reset_horizon(&self, ts: Timestamp) {
        self.horizon.store(ts, Ordering::Release);
    }

    /// The handle of an active transaction; None once it has ended.
    pub(crate) fn get(&self, id: TxnId) -> Option<Arc<TxnHandle>> {
        let active = self.active.lock();
        let at = active.binary_search_by_key(&id, |h| h.id).ok()?;
        Some(Arc::clone(&active[at]))
    }

    /// Number of active transactions.
    pub(crate) fn active_count(&self) -> usize {
        self.active.lock().len()
    }
}

/// The oldest snapshot among `active` but `except`, or the visible timestamp if that is
/// older (every future transaction reads at least at it).
fn oldest_snapshot(active: &[Arc<TxnHandle>], except: Option<TxnId>, clock: &Clock) -> Timestamp {
    let oldest = active
        .iter()
        .filter(|h| Some(h.id) != except)
        .map(|h| h.snapshot())
        .min();
    oldest.unwrap_or(Timestamp::MAX).min(clock.visible())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn visible_timestamp_waits_for_every_earlier_commit() {
        let clock = Arc::new(Clock::default());
        let (t1, t2) = (clock.assign(), clock.assign());
        let c = clock.clone();
        let second = thread::spawn(move || c.finish(t2, None));
        thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(clock.visible(), 0, "ts 2 must not be visible before ts 1");
        clock.finish(t1, None);
        second.join().unwrap();
        assert_eq!(clock.visible(), 2);
    }

    #[test]
    fn notices_run_in_commit_order() {
        let clock = Arc::new(Clock::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let stamps: Vec<_> = (0..4).map(|_| clock.assign()).collect();
        let threads: Vec<_> = stamps
            .iter()
            .rev()
            .map(|&ts| {
                let (c, o) = (clock.clone(), order.clone());
                thread::spawn(move || c.finish(ts, Some(Box::new(move || o.lock().push(ts)))))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*order.lock(), vec![1, 2, 3, 4]);
    }

    #[test]
    fn registry_finds_each_active_transaction_by_id_whatever_order_they_end_in() {
        let (clock, registry) = (Clock::default(), Registry::default());
        let handles: Vec<_> = (0..6).map(|_| registry.begin(&clock)).collect();
        for ended in [&handles[3], &handles[0], &handles[5]] {
            registry.end(ended, &clock);
        }
        for (i, h) in handles.iter().enumerate() {
            let found = registry.get(h.id).map(|f| f.id);
            let active = matches!(i, 1 | 2 | 4);
            assert_eq!(found, active.then_some(h.id), "handle {i}");
        }
        assert_eq!(registry.active_count(), 3);
        let newest = registry.begin(&clock);
        assert_eq!(registry.get(newest.id).map(|f| f.id), Some(newest.id));
    }

    #[test]
    fn the_horizon_without_a_transaction_ignores_only_its_snapshot() {
        let (clock, registry) = (Clock::default(), Registry::default());
        clock.reset(5);
        let old = registry.begin(&clock);
        clock.reset(9);
        let young = registry.begin(&clock);
        clock.reset(12);
        assert_eq!(registry.horizon_without(&young, &clock), 5);
        assert_eq!(registry.horizon_without(&old, &clock), 9);
        registry.end(&young, &clock);
        assert_eq!(registry.horizon_without(&old, &clock), 12);
    }

    #[test]
    fn horizon_never_passes_an_active_snapshot() {
        let (clock, registry) = (Clock::default(), Registry::default());
        clock.reset(5);
        let old = registry.begin(&clock);
        clock.reset(9);
        let young = registry.begin(&clock);
        registry.end(&young, &clock);
        assert_eq!(registry.horizon(), 5);
        registry.end(&old, &clock);
        assert_eq!(registry.horizon(), 9);
    }
}
