//! Serializable snapshot isolation: the commit-time check that makes SERIALIZABLE
//! serializable.
//!
//! Snapshot isolation alone allows exactly the anomalies whose dependency cycles contain
//! two consecutive *rw-antidependencies* between concurrent transactions: `T1 -rw-> T2`
//! means T1 read a version that T2 overwrote (T1 did not see T2's write). Fekete et al.
//! showed every such cycle contains a *dangerous structure*
//!
//! ```text
//!     T_in --rw--> T_pivot --rw--> T_out        with T_out the first of them to commit
//! ```
//!
//! and Ports and Grittner (PostgreSQL's SSI) that `T_out` committing first is required.
//! If `T_in` wrote nothing, the structure is harmless unless `T_out` committed before
//! `T_in`'s snapshot (the read-only optimisation).
//!
//! isolde checks for these structures when a SERIALIZABLE transaction commits, with the
//! SSI lock held, against what the other SERIALIZABLE transactions read and wrote:
//!
//! - every SERIALIZABLE transaction records the keys it read (found or not) and the ranges
//!   it scanned, so an insert into a scanned range counts (no phantom escapes);
//! - committed ones are kept, with their read set, write set and the earliest commit among
//!   the transactions they had an rw-edge out to, until no concurrent transaction remains.
//!
//! When T commits, three cases can complete a structure, and each refuses T's commit:
//!
//! 1. T is `T_in`: T read what a committed U overwrote, and U was itself a pivot whose
//!    `T_out` committed before U.
//! 2. T is the pivot: T read what a committed U overwrote (U is `T_out`, committed first),
//!    and some concurrent X, committed at or after U or still active, read what T writes.
//! 3. T is `T_out`: it commits first, so the structure is not dangerous yet; the pivot's
//!    own commit (case 2) or `T_in`'s (case 1) will see it.
//!
//! Every dangerous structure is found by the commit of its pivot or of its `T_in`,
//! whichever comes last. The check is exact about keys and ranges, conservative about
//! timing (a read-only transaction's commit point is the newest timestamp assigned when
//! it ended), so it never misses a cycle and sometimes aborts one that was not a cycle.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use isolde_engine::{Timestamp, TxnId};
use parking_lot::Mutex;

use crate::error::{ConflictKind, Error, Result, SerializationFailure};
use crate::snapshot::{Clock, Pin, Registry};

/// A range of keys, as scans take it.
pub(crate) type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// What one SERIALIZABLE transaction read: point keys (found or not) and scanned ranges.
#[derive(Default)]
pub(crate) struct ReadSet {
    points: HashSet<Vec<u8>>,
    ranges: Vec<KeyRange>,
}

impl ReadSet {
    fn covers(&self, key: &[u8]) -> bool {
        self.points.contains(key) || self.ranges.iter().any(|r| range_contains(r, key))
    }

    /// The first of `keys` this read set covers.
    fn first_covered<'k>(&self, keys: &'k [Vec<u8>]) -> Option<&'k [u8]> {
        keys.iter().map(Vec::as_slice).find(|k| self.covers(k))
    }
}

fn range_contains((start, end): &KeyRange, key: &[u8]) -> bool {
    let after_start = match start {
        Bound::Included(s) => key >= s.as_slice(),
        Bound::Excluded(s) => key > s.as_slice(),
        Bound::Unbounded => true,
    };
    let before_end = match end {
        Bound::Included(e) => key <= e.as_slice(),
        Bound::Excluded(e) => key < e.as_slice(),
        Bound::Unbounded => true,
    };
    after_start && before_end
}

/// A SERIALIZABLE transaction as the SSI check sees it.
pub(crate) struct SerTxn {
    id: TxnId,
    snapshot: Timestamp,
    declared_read_only: bool,
    reads: Mutex<ReadSet>,
}

impl SerTxn {
    pub(crate) fn read_point(&self, key: &[u8]) {
        let mut reads = self.reads.lock();
        if !reads.points.contains(key) {
            reads.points.insert(key.to_vec());
        }
    }

    pub(crate) fn read_range(&self, range: KeyRange) {
        self.reads.lock().ranges.push(range);
    }
}

/// The earliest-committing transaction that a committed one had an rw-edge out to.
#[derive(Clone)]
struct OutEdge {
    ts: Timestamp,
    txn: TxnId,
    key: Vec<u8>,
}

struct Committed {
    txn: Arc<SerTxn>,
    /// Commit timestamp; for a transaction that wrote nothing, the newest timestamp
    /// assigned when it ended.
    commit_ts: Timestamp,
    /// Keys written, sorted.
    writes: Vec<Vec<u8>>,
    /// Set when this transaction read what an earlier committer overwrote.
    out: Option<OutEdge>,
}

#[derive(Default)]
struct State {
    active: HashMap<TxnId, Arc<SerTxn>>,
    /// In commit order.
    committed: VecDeque<Committed>,
}

/// The SSI bookkeeping for all SERIALIZABLE transactions.
#[derive(Default)]
pub(crate) struct Ssi {
    state: Mutex<State>,
}

impl Ssi {
    /// Begins a SERIALIZABLE transaction with `registry`, which takes its snapshot
    /// under the SSI lock, so no committed transaction the snapshot does not see can be
    /// forgotten before it is registered here.
    pub(crate) fn begin(
        &self,
        read_only: bool,
        registry: &Registry,
        clock: &Clock,
    ) -> (Pin, Arc<SerTxn>) {
        let mut state = self.state.lock();
        let pin = registry.begin(clock);
        let txn = Arc::new(SerTxn {
            id: pin.id,
            snapshot: registry.snapshot(&pin),
            declared_read_only: read_only,
            reads: Mutex::default(),
        });
        state.active.insert(txn.id, txn.clone());
        (pin, txn)
    }

    /// Forgets an active transaction that rolled back. `visible` is the clock's visible
    /// timestamp (see [`State::prune`]).
    pub(crate) fn abort(&self, txn: &SerTxn, visible: Timestamp) {
        let mut state = self.state.lock();
        state.active.remove(&txn.id);
        state.prune(visible);
    }

    /// Checks `txn`'s commit; if it is safe, runs `assign` (which takes the commit
    /// timestamp and writes the log record) still under the SSI lock, so that concurrent
    /// SERIALIZABLE commits are checked one at a time, and records the commit.
    /// A refused commit leaves the transaction registered; the caller rolls it back.
    pub(crate) fn commit<R>(
        &self,
        txn: &Arc<SerTxn>,
        writes: Vec<Vec<u8>>,
        visible: Timestamp,
        assign: impl FnOnce() -> Result<(Timestamp, R)>,
    ) -> Result<R> {
        let mut state = self.state.lock();
        let out = state.check(txn, &writes)?;
        let (commit_ts, result) = assign()?;
        state.active.remove(&txn.id);
        state.committed.push_back(Committed {
            txn: txn.clone(),
            commit_ts,
            writes,
            out,
        });
        state.prune(visible);
        Ok(result)
    }
}

impl State {
    /// Refuses the commit of `txn` if it completes a dangerous structure (cases 1 and 2 of
    /// the module docs); otherwise returns its earliest out-edge to a committed transaction.
    fn check(&self, txn: &SerTxn, writes: &[Vec<u8>]) -> Result<Option<OutEdge>> {
        let reads = txn.reads.lock();
        let concurrent = || self.committed.iter().filter(|u| u.commit_ts > txn.snapshot);
        let mut earliest: Option<OutEdge> = None;
        for u in concurrent() {
            let Some(key) = reads.first_covered(&u.writes) else {
                continue;
            };
            // Case 1: txn -rw-> u -rw-> w, w committed before u.
            if let Some(w) = &u.out {
                let read_only_and_safe = writes.is_empty() && w.ts > txn.snapshot;
                if !read_only_and_safe {
                    return Err(failure(txn.id, u.txn.id, key, u.txn.id, w));
                }
            }
            if earliest.as_ref().is_none_or(|e| u.commit_ts < e.ts) {
                earliest = Some(OutEdge {
                    ts: u.commit_ts,
                    txn: u.txn.id,
                    key: key.to_vec(),
                });
            }
        }
        drop(reads);
        let Some(out) = earliest else { return Ok(None) };
        // Case 2: x -rw-> txn -rw-> out, out committed no later than x.
        for x in concurrent().filter(|x| x.commit_ts >= out.ts) {
            let x_read_only = x.writes.is_empty();
            if x_read_only && out.ts > x.txn.snapshot {
                continue;
            }
            if let Some(key) = x.txn.reads.lock().first_covered(writes) {
                return Err(failure(txn.id, txn.id, key, out.txn, &out));
            }
        }
        for x in self.active.values().filter(|x| x.id != txn.id) {
            if x.declared_read_only && out.ts > x.snapshot {
                continue;
            }
            if let Some(key) = x.reads.lock().first_covered(writes) {
                return Err(failure(txn.id, txn.id, key, out.txn, &out));
            }
        }
        Ok(Some(out))
    }

    /// Drops committed transactions that no SERIALIZABLE transaction, active or future,
    /// can be concurrent with: those committed at or before every active snapshot and at
    /// or before `visible` (a transaction registered later takes a snapshot at least as
    /// new as the visible timestamp now, so it sees them).
    fn prune(&mut self, visible: Timestamp) {
        let oldest = self
            .active
            .values()
            .map(|t| t.snapshot)
            .min()
            .unwrap_or(Timestamp::MAX);
        let threshold = oldest.min(visible);
        while self
            .committed
            .front()
            .is_some_and(|first| first.commit_ts <= threshold)
        {
            self.committed.pop_front();
        }
    }
}

fn failure(txn: TxnId, pivot: TxnId, in_key: &[u8], other: TxnId, out: &OutEdge) -> Error {
    Error::Serialization(SerializationFailure {
        txn,
        other: Some(other),
        kind: ConflictKind::ReadWriteDependency {
            in_key: in_key.to_vec(),
            out_key: out.key.clone(),
            pivot,
            out: out.txn,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SSI with the registry and clock that hand out its snapshots.
    #[derive(Default)]
    struct Fixture {
        ssi: Ssi,
        registry: Registry,
        clock: Clock,
    }

    impl Fixture {
        fn begin(&self, snapshot: Timestamp, read_only: bool) -> Arc<SerTxn> {
            self.clock.reset(snapshot);
            self.ssi.begin(read_only, &self.registry, &self.clock).1
        }

        fn abort(&self, txn: &SerTxn, visible: Timestamp) {
            self.ssi.abort(txn, visible)
        }

        fn retained(&self) -> usize {
            self.ssi.state.lock().committed.len()
        }
    }

    fn commit(f: &Fixture, txn: &Arc<SerTxn>, writes: &[&str], ts: Timestamp) -> Result<()> {
        let writes = writes.iter().map(|w| w.as_bytes().to_vec()).collect();
        f.ssi.commit(txn, writes, ts, || Ok((ts, ())))
    }

    #[test]
    fn write_skew_between_two_transactions_is_refused() {
        let ssi = Fixture::default();
        let (t1, t2) = (ssi.begin(0, false), ssi.begin(0, false));
        for t in [&t1, &t2] {
            t.read_point(b"x");
            t.read_point(b"y");
        }
        commit(&ssi, &t1, &["x"], 1).unwrap();
        let err = commit(&ssi, &t2, &["y"], 2).unwrap_err();
        assert!(err.is_retryable(), "{err}");
    }

    #[test]
    fn one_rw_edge_alone_commits() {
        let ssi = Fixture::default();
        let (t1, t2) = (ssi.begin(0, false), ssi.begin(0, false));
        t1.read_point(b"x");
        commit(&ssi, &t2, &["x"], 1).unwrap();
        commit(&ssi, &t1, &["y"], 2).unwrap();
    }

    #[test]
    fn insert_into_a_scanned_range_counts_as_a_conflict() {
        let ssi = Fixture::default();
        let (t1, t2) = (ssi.begin(0, false), ssi.begin(0, false));
        t1.read_range((
            Bound::Included(b"a".to_vec()),
            Bound::Excluded(b"m".to_vec()),
        ));
        t2.read_range((
            Bound::Included(b"a".to_vec()),
            Bound::Excluded(b"m".to_vec()),
        ));
        commit(&ssi, &t1, &["c"], 1).unwrap();
        assert!(commit(&ssi, &t2, &["d"], 2).is_err());
    }

    #[test]
    fn read_only_anomaly_is_refused_at_the_pivot() {
        // Fekete's example: T2 reads x, y and writes y; T3 writes x and commits; T1 (read
        // only) then reads x and y and commits; T2's commit would close the cycle.
        let ssi = Fixture::default();
        let t2 = ssi.begin(0, false);
        t2.read_point(b"x");
        t2.read_point(b"y");
        let t3 = ssi.begin(0, false);
        commit(&ssi, &t3, &["x"], 1).unwrap();
        let t1 = ssi.begin(1, true);
        t1.read_point(b"x");
        t1.read_point(b"y");
        commit(&ssi, &t1, &[], 1).unwrap();
        assert!(commit(&ssi, &t2, &["y"], 2).is_err());
    }

    #[test]
    fn read_only_transaction_with_later_snapshot_than_out_is_safe_elsewhere() {
        // Same shape, but the read-only transaction started before T3 committed: no cycle.
        let ssi = Fixture::default();
        let t2 = ssi.begin(0, false);
        t2.read_point(b"x");
        let t1 = ssi.begin(0, true);
        t1.read_point(b"y");
        let t3 = ssi.begin(0, false);
        commit(&ssi, &t3, &["x"], 1).unwrap();
        commit(&ssi, &t2, &["y"], 2).unwrap();
        commit(&ssi, &t1, &[], 2).unwrap();
    }

    #[test]
    fn committed_transactions_are_forgotten_once_nothing_is_concurrent() {
        let ssi = Fixture::default();
        let t1 = ssi.begin(0, false);
        let t2 = ssi.begin(0, false);
        commit(&ssi, &t1, &["x"], 1).unwrap();
        assert_eq!(ssi.retained(), 1);
        ssi.abort(&t2, 1);
        assert_eq!(ssi.retained(), 0);
    }
}
