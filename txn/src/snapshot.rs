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

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
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
        self.visible.store(ts, Ordering::SeqCst);
    }

    /// The newest timestamp a snapshot may be taken at. Sequentially consistent, as the
    /// visible timestamp's stores are, for the handshake that pins snapshots (see
    /// [`Pins`]); on common hardware such a load costs what an acquiring one does.
    pub(crate) fn visible(&self) -> Timestamp {
        self.visible.load(Ordering::SeqCst)
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
            self.visible.store(next, Ordering::SeqCst);
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

/// A transaction that holds or waits for row locks, as others see it: a signal for the
/// transactions waiting on its locks. A transaction that only reads never needs one; it
/// gets one from [`Registry::register`] before its first lock request.
pub(crate) struct TxnHandle {
    pub(crate) id: TxnId,
    /// The thread that asked for its first lock: what `pg_locks.pid` is to PostgreSQL, so
    /// a tool running sessions on threads can tell which session waits for which.
    pub(crate) thread: ThreadId,
    /// How many times it released keys without ending (rollbacks to a savepoint).
    releases: AtomicU64,
    done: Mutex<bool>,
    ended: Condvar,
}

impl TxnHandle {
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

/// A transaction's (or a checkpoint's) hold on its snapshot: while it lasts, garbage
/// collection keeps every version the snapshot can see. Given back with
/// [`Registry::unpin`].
#[derive(Debug)]
pub(crate) struct Pin {
    /// The transaction's id (0 for a reader that is not a transaction).
    pub(crate) id: TxnId,
    slot: usize,
}

/// A reader's pin given back when the guard is dropped, however the reader ends (an
/// error, a panic): for a checkpoint or a log rewrite, which read for long, and must not
/// hold garbage collection back after they fail.
pub(crate) struct PinGuard<'r> {
    registry: &'r Registry,
    pin: Option<Pin>,
}

impl Drop for PinGuard<'_> {
    fn drop(&mut self) {
        if let Some(pin) = self.pin.take() {
            self.registry.unpin(pin);
        }
    }
}

/// Every active transaction: the snapshots in use, from which the garbage-collection
/// horizon is derived, and the transactions that take row locks.
///
/// Beginning and ending a transaction is the fixed cost of every statement in autocommit,
/// so it takes no lock and allocates nothing: a snapshot is a slot in an array of atomics
/// (see [`Pins`]), claimed with one compare-and-swap and given back with a plain store.
/// Only a transaction that takes row locks also registers a [`TxnHandle`], under a lock,
/// for the transactions that will wait on it to find.
#[derive(Default)]
pub(crate) struct Registry {
    pins: Pins,
    /// The transactions that hold or wait for locks, in id order, so that finding one is
    /// a binary search.
    holders: Mutex<Vec<Arc<TxnHandle>>>,
    next_id: AtomicU64,
    /// How many times any transaction released keys before its end (a rollback to a
    /// savepoint): a lock request reads it before it asks, so that a release between
    /// its asking and its waiting is not missed (see [`crate::locks::WaitGraph::wait`]).
    releases: AtomicU64,
}

impl Registry {
    /// Begins a transaction: a new id, and a snapshot at the clock's visible timestamp.
    pub(crate) fn begin(&self, clock: &Clock) -> Pin {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        Pin {
            id,
            slot: self.pins.pin(|| clock.visible()),
        }
    }

    /// Pins a reader at `ts`, a timestamp already assigned but perhaps not yet visible:
    /// the caller holds the commit lock (so no horizon is above `ts`, which the visible
    /// timestamp cannot pass without another commit) and waits for `ts` to become visible
    /// before reading. The pin is given back when the guard is dropped.
    pub(crate) fn pin_at(&self, ts: Timestamp) -> PinGuard<'_> {
        let pin = Pin {
            id: 0,
            slot: self.pins.pin(|| ts),
        };
        PinGuard {
            registry: self,
            pin: Some(pin),
        }
    }

    /// The snapshot `pin` holds.
    pub(crate) fn snapshot(&self, pin: &Pin) -> Timestamp {
        self.pins.slot(pin.slot).load(Ordering::Relaxed)
    }

    /// Moves `pin`'s snapshot forward to `ts` (READ COMMITTED's per-statement snapshot),
    /// never back. A plain store is enough: until it lands, the older snapshot still holds
    /// the horizon below `ts`, and `ts` was visible when read, so no horizon computed
    /// since is above it.
    pub(crate) fn advance(&self, pin: &Pin, ts: Timestamp) {
        let slot = self.pins.slot(pin.slot);
        // Between most statements nothing commits: a load is cheaper than a store.
        if ts > slot.load(Ordering::Relaxed) {
            slot.store(ts, Ordering::Release);
        }
    }

    /// Gives `pin`'s snapshot up, and returns it.
    pub(crate) fn unpin(&self, pin: Pin) -> Timestamp {
        let slot = self.pins.slot(pin.slot);
        let snapshot = slot.load(Ordering::Relaxed);
        slot.store(FREE, Ordering::Release);
        snapshot
    }

    /// Makes the handle of transaction `id`, before its first lock request, so that
    /// whoever its locks block can find it and wait for its end.
    pub(crate) fn register(&self, id: TxnId) -> Arc<TxnHandle> {
        let handle = Arc::new(TxnHandle {
            id,
            thread: std::thread::current().id(),
            releases: AtomicU64::new(0),
            done: Mutex::new(false),
            ended: Condvar::new(),
        });
        let mut holders = self.holders.lock();
        let at = holders.partition_point(|h| h.id < id);
        holders.insert(at, handle.clone());
        handle
    }

    /// Marks `handle`'s transaction ended and wakes its waiters.
    pub(crate) fn unregister(&self, handle: &TxnHandle) {
        {
            let mut holders = self.holders.lock();
            if let Ok(at) = holders.binary_search_by_key(&handle.id, |h| h.id) {
                holders.remove(at);
            }
        }
        *handle.done.lock() = true;
        handle.ended.notify_all();
    }

    /// The oldest snapshot any active or future transaction may read at: versions older
    /// than the newest one at or below it are garbage.
    pub(crate) fn horizon(&self, clock: &Clock) -> Timestamp {
        self.pins.oldest(clock, None)
    }

    /// The horizon as it will be once `pin` is given up, which its holder must not read
    /// at after this: what a committing transaction may prune to before it ends.
    pub(crate) fn horizon_without(&self, pin: &Pin, clock: &Clock) -> Timestamp {
        self.pins.oldest(clock, Some(pin.slot))
    }

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

    /// The handle of a transaction that takes locks; None once it has ended.
    pub(crate) fn get(&self, id: TxnId) -> Option<Arc<TxnHandle>> {
        let holders = self.holders.lock();
        let at = holders.binary_search_by_key(&id, |h| h.id).ok()?;
        Some(Arc::clone(&holders[at]))
    }

    /// Number of snapshots in use: active transactions, and checkpoints being written.
    pub(crate) fn active_count(&self) -> usize {
        self.pins.in_use().filter(|&ts| ts != FREE).count()
    }
}

/// A free slot's value: above every timestamp, so that the oldest snapshot is a plain
/// minimum over the slots.
const FREE: Timestamp = Timestamp::MAX;
/// Slots per chunk of [`Pins`].
const CHUNK: usize = 32;

/// A slot on a cache line of its own: threads pinning and unpinning their snapshots do
/// not write each other's lines.
#[repr(align(64))]
struct Slot(AtomicU64);

struct Chunk {
    slots: [Slot; CHUNK],
    next: OnceLock<Box<Chunk>>,
}

impl Default for Chunk {
    fn default() -> Chunk {
        Chunk {
            slots: std::array::from_fn(|_| Slot(AtomicU64::new(FREE))),
            next: OnceLock::new(),
        }
    }
}

thread_local! {
    /// The slot this thread pinned last: usually free again, and on a cache line no
    /// other thread writes.
    static LAST_SLOT: Cell<usize> = const { Cell::new(0) };
}

/// The snapshots in use, one per slot, in chunks that are added as more are needed at
/// once and never freed.
///
/// A snapshot is pinned without a lock, by a handshake with [`Pins::oldest`]: the pinner
/// writes the visible timestamp into its slot and then reads the visible timestamp again,
/// retrying until the two agree; a horizon reads the visible timestamp first and then
/// every slot. Every one of these accesses is sequentially consistent, so if the horizon
/// read the slot before the pinner's write, the pinner's second read came after the
/// horizon's read of the visible timestamp, and the snapshot it keeps is at least that
/// timestamp, which is at least the horizon. Either way no horizon passes a snapshot in
/// use.
#[derive(Default)]
struct Pins {
    first: Chunk,
    /// One past the highest slot ever claimed: [`Pins::oldest`] reads no further. Raised
    /// before the slot is claimed.
    high: AtomicUsize,
}

impl Pins {
    /// Slot `at`, its chunk made if there is none yet.
    fn slot(&self, at: usize) -> &AtomicU64 {
        let mut chunk = &self.first;
        for _ in 0..at / CHUNK {
            chunk = chunk.next.get_or_init(Box::default);
        }
        &chunk.slots[at % CHUNK].0
    }

    /// Claims a free slot for the snapshot `visible` gives and returns it.
    fn pin(&self, visible: impl Fn() -> Timestamp) -> usize {
        // This thread's last slot first, then every slot from the first on.
        let (mut at, mut next) = (LAST_SLOT.with(Cell::get), 0);
        loop {
            let slot = self.slot(at);
            if slot.load(Ordering::Relaxed) == FREE {
                if self.high.load(Ordering::SeqCst) <= at {
                    self.high.fetch_max(at + 1, Ordering::SeqCst);
                }
                let mut ts = visible();
                if slot
                    .compare_exchange(FREE, ts, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
                {
                    loop {
                        let now = visible();
                        if now == ts {
                            break;
                        }
                        ts = now;
                        slot.store(ts, Ordering::SeqCst);
                    }
                    LAST_SLOT.with(|l| l.set(at));
                    return at;
                }
            }
            at = next;
            next += 1;
        }
    }

    /// The value of every slot ever claimed (free ones included).
    fn in_use(&self) -> impl Iterator<Item = Timestamp> + '_ {
        let high = self.high.load(Ordering::SeqCst);
        let chunks = std::iter::successors(Some(&self.first), |c| c.next.get().map(|b| &**b));
        chunks
            .flat_map(|c| c.slots.iter())
            .take(high)
            .map(|s| s.0.load(Ordering::SeqCst))
    }

    /// The oldest snapshot in use but slot `except`'s, or the visible timestamp if that
    /// is older (every snapshot pinned from now on is at least that).
    fn oldest(&self, clock: &Clock, except: Option<usize>) -> Timestamp {
        let visible = clock.visible();
        let oldest = self
            .in_use()
            .enumerate()
            .filter(|&(at, _)| Some(at) != except)
            .map(|(_, ts)| ts)
            .min();
        oldest.unwrap_or(FREE).min(visible)
    }
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
    fn registry_finds_each_transaction_that_takes_locks_whatever_order_they_register_in() {
        let (clock, registry) = (Clock::default(), Registry::default());
        let pins: Vec<_> = (0..6).map(|_| registry.begin(&clock)).collect();
        // Registered at their first lock, not in the order they began.
        let handles: Vec<_> = [4, 1, 0, 5, 3, 2]
            .into_iter()
            .map(|i| (i, registry.register(pins[i].id)))
            .collect();
        for (_, ended) in handles.iter().filter(|(i, _)| matches!(i, 3 | 0 | 5)) {
            registry.unregister(ended);
        }
        for (i, pin) in pins.iter().enumerate() {
            let found = registry.get(pin.id).map(|h| h.id);
            let active = matches!(i, 1 | 2 | 4);
            assert_eq!(found, active.then_some(pin.id), "transaction {i}");
        }
        let reader = registry.begin(&clock);
        assert_eq!(
            registry.get(reader.id).map(|h| h.id),
            None,
            "a reader has no handle"
        );
        assert_eq!(
            registry.active_count(),
            7,
            "every pin counts until unpinned"
        );
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
        registry.unpin(young);
        assert_eq!(registry.horizon_without(&old, &clock), 12);
    }

    #[test]
    fn horizon_never_passes_an_active_snapshot() {
        let (clock, registry) = (Clock::default(), Registry::default());
        clock.reset(5);
        let old = registry.begin(&clock);
        clock.reset(9);
        let young = registry.begin(&clock);
        registry.unpin(young);
        assert_eq!(registry.horizon(&clock), 5);
        registry.advance(&old, 7);
        assert_eq!(
            registry.horizon(&clock),
            7,
            "an advanced snapshot frees what it passed"
        );
        registry.advance(&old, 6);
        assert_eq!(registry.snapshot(&old), 7, "a snapshot never moves back");
        registry.unpin(old);
        assert_eq!(registry.horizon(&clock), 9);
        assert_eq!(registry.active_count(), 0);
    }

    #[test]
    fn slots_given_back_are_reused_and_more_are_made_when_all_are_taken() {
        let (clock, registry) = (Clock::default(), Registry::default());
        clock.reset(3);
        let many: Vec<_> = (0..CHUNK * 2 + 3).map(|_| registry.begin(&clock)).collect();
        let slots: std::collections::HashSet<_> = many.iter().map(|p| p.slot).collect();
        assert_eq!(slots.len(), many.len(), "one slot each");
        clock.reset(8);
        let last = registry.begin(&clock);
        assert_eq!(registry.horizon_without(&last, &clock), 3);
        let count = many.len();
        for pin in many {
            registry.unpin(pin);
        }
        assert_eq!(
            registry.horizon(&clock),
            8,
            "the pin in a later chunk counts"
        );
        registry.unpin(last);
        let again = registry.begin(&clock);
        assert!(again.slot <= count, "a free slot is reused");
    }

    /// Threads pin and unpin snapshots while commits move the clock on and another
    /// thread computes horizons as fast as it can. Every horizon computed while a
    /// snapshot is pinned must be at most that snapshot: a horizon computed before the
    /// pin is at most the visible timestamp the pin read, and one computed during it
    /// must have seen the pin.
    #[test]
    fn no_horizon_passes_a_snapshot_pinned_while_it_was_computed() {
        use std::sync::atomic::AtomicBool;
        let clock = Arc::new(Clock::default());
        let registry = Arc::new(Registry::default());
        let newest_horizon = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        {
            let (clock, stop) = (clock.clone(), stop.clone());
            threads.push(thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let ts = clock.assign();
                    clock.finish(ts, None);
                }
            }));
        }
        {
            let (clock, registry) = (clock.clone(), registry.clone());
            let (newest, stop) = (newest_horizon.clone(), stop.clone());
            threads.push(thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    newest.fetch_max(registry.horizon(&clock), Ordering::SeqCst);
                }
            }));
        }
        let pinners: Vec<_> = (0..3)
            .map(|_| {
                let (clock, registry) = (clock.clone(), registry.clone());
                let newest = newest_horizon.clone();
                thread::spawn(move || {
                    for _ in 0..20_000 {
                        // A slow read of the visible timestamp: commits and horizons
                        // come between it and the slot's claim.
                        let slow_visible = || {
                            let ts = clock.visible();
                            for _ in 0..200 {
                                std::hint::spin_loop();
                            }
                            ts
                        };
                        let pin = Pin {
                            id: 0,
                            slot: registry.pins.pin(slow_visible),
                        };
                        let snapshot = registry.snapshot(&pin);
                        for _ in 0..50 {
                            std::hint::spin_loop();
                        }
                        let horizon = newest.load(Ordering::SeqCst);
                        assert!(
                            horizon <= snapshot,
                            "horizon {horizon} > snapshot {snapshot}"
                        );
                        registry.unpin(pin);
                    }
                })
            })
            .collect();
        for p in pinners {
            p.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
        assert!(clock.visible() > 0, "the clock moved");
    }
}
