//! Waiting for row locks, with deadlock detection and a lock timeout.
//!
//! The locks themselves live in the version store (a pending version is an exclusive
//! lock). When one cannot be granted, the transaction waits for a holder to *end*, then
//! asks again, as PostgreSQL waits on the holder's transaction id. Before it sleeps it
//! records an edge `waiter -> holder` to every transaction in its way (a row shared by
//! several readers has several holders) and searches the graph from them: reaching the
//! waiter again means a cycle, and the waiter that would close it is the victim, at once,
//! not after a timeout. Edges are added under one mutex, so of two transactions closing
//! the same cycle at the same moment exactly one sees it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Instant;

use isolde_engine::TxnId;
use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::snapshot::{Registry, TxnHandle};

/// A transaction waiting for a row lock, as [`crate::TxnManager::lock_waits`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockWait {
    /// The transaction that waits.
    pub waiter: TxnId,
    /// The thread it ran its first lock request on (the thread of its session).
    pub waiter_thread: ThreadId,
    /// The transactions holding the lock it wants, each with the thread of its first lock.
    pub holders: Vec<(TxnId, ThreadId)>,
    /// The key it wants to lock.
    pub key: Vec<u8>,
}

/// Each waiting transaction, the holders in its way, and the key it wants; with each
/// holder's count of releases when the wait began (see [`WaitGraph::wait`]): a wait
/// whose holders released keys since is about to be retried, and is no part of a
/// deadlock.
type Edges = HashMap<TxnId, (Vec<TxnId>, Vec<u8>, Released)>;

/// The holders of a wait, the first the one waited on, and their counts of releases
/// when it began.
type Released = Vec<(Arc<TxnHandle>, u64)>;

/// Whether a wait still stands: none of its holders released anything since it began.
fn stands(released: &Released) -> bool {
    released
        .iter()
        .all(|(holder, count)| holder.releases() == *count)
}

/// The wait-for graph.
#[derive(Default)]
pub(crate) struct WaitGraph {
    waits_for: Mutex<Edges>,
}

impl WaitGraph {
    /// Blocks `waiter` until the first of `holders` ends or one of them releases keys
    /// without ending (a rollback to a savepoint, see [`WaitGraph::released`]); the
    /// caller then asks for the lock again. `seen` is the registry's count of such
    /// releases from before the caller asked: if it moved since, a holder may have
    /// released the key already, and the caller asks again at once. Fails at once with
    /// a deadlock error if the wait would close a cycle, or with a lock timeout at
    /// `deadline`: one deadline for the whole wait on a row, whose holders may end one
    /// after another, which began `since`.
    pub(crate) fn wait(
        &self,
        registry: &Registry,
        waiter: TxnId,
        (holders, seen): (&[TxnId], u64),
        key: &[u8],
        (since, deadline): (Instant, Option<Instant>),
    ) -> Result<()> {
        let released: Released = holders
            .iter()
            .filter_map(|&h| registry.get(h))
            .map(|h| {
                let count = h.releases();
                (h, count)
            })
            .collect();
        let Some(handle) = released.first().map(|(h, _)| h.clone()) else {
            return Ok(()); // they ended between the conflict and now: just ask again
        };
        if registry.releases() != seen {
            return Ok(());
        }
        let ended = {
            let stands = || stands(&released);
            self.add_edges(waiter, holders, key, released.clone())?;
            handle.wait_end(deadline, stands)
        };
        self.waits_for.lock().remove(&waiter);
        if ended {
            return Ok(());
        }
        Err(Error::LockTimeout {
            txn: waiter,
            holder: handle.id,
            key: key.to_vec(),
            waited: since.elapsed(),
        })
    }

    /// Wakes the transactions waiting on a lock `holder` holds, which it released some
    /// keys without ending: they ask for their locks again. Called after
    /// [`Registry::released`] counted the release.
    pub(crate) fn released(&self, holder: TxnId) {
        let graph = self.waits_for.lock();
        for (holders, _, released) in graph.values() {
            if holders.contains(&holder) {
                if let Some((waited_on, _)) = released.first() {
                    waited_on.wake();
                }
            }
        }
    }

    fn add_edges(
        &self,
        waiter: TxnId,
        holders: &[TxnId],
        key: &[u8],
        released: Released,
    ) -> Result<()> {
        let mut graph = self.waits_for.lock();
        for &holder in holders {
            if let Some(mut path) = path_to(&graph, holder, waiter) {
                path.insert(0, waiter);
                return Err(Error::Deadlock {
                    txn: waiter,
                    waiting_for: holder,
                    key: key.to_vec(),
                    cycle: path,
                });
            }
        }
        graph.insert(waiter, (holders.to_vec(), key.to_vec(), released));
        Ok(())
    }

    /// Every transaction waiting now, and for whom (transactions that ended meanwhile
    /// are left out, and waits their holder has released keys since, which are about to
    /// be retried).
    pub(crate) fn snapshot(&self, registry: &Registry) -> Vec<LockWait> {
        let graph = self.waits_for.lock().clone();
        let thread = |id: &TxnId| registry.get(*id).map(|h| (h.id, h.thread));
        let live = graph
            .iter()
            .filter(|(_, (_, _, released))| stands(released));
        let waits = live.filter_map(|(waiter, (holders, key, _))| {
            Some(LockWait {
                waiter: *waiter,
                waiter_thread: thread(waiter)?.1,
                holders: holders.iter().filter_map(thread).collect(),
                key: key.clone(),
            })
        });
        waits.collect()
    }
}

/// A path of waits from `from` to `to` (both included, `to` left off the end), if any.
fn path_to(graph: &Edges, from: TxnId, to: TxnId) -> Option<Vec<TxnId>> {
    let mut visited = HashSet::new();
    let mut stack = vec![vec![from]];
    while let Some(path) = stack.pop() {
        let &last = path.last()?;
        if !visited.insert(last) {
            continue;
        }
        let edge = graph.get(&last).filter(|(_, _, released)| stands(released));
        for &next in edge.map_or(&[][..], |(holders, _, _)| holders) {
            if next == to {
                return Some(path);
            }
            stack.push([path.as_slice(), &[next]].concat());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wait on a holder that has released nothing.
    fn held() -> Released {
        vec![(Registry::default().register(1), 0)]
    }

    #[test]
    fn edge_that_closes_a_cycle_is_refused_with_the_cycle() {
        let graph = WaitGraph::default();
        graph.add_edges(1, &[2], b"a", held()).unwrap();
        graph.add_edges(2, &[3], b"b", held()).unwrap();
        match graph.add_edges(3, &[1], b"c", held()) {
            Err(Error::Deadlock {
                txn: 3,
                waiting_for: 1,
                cycle,
                ..
            }) => {
                assert_eq!(cycle, vec![3, 1, 2])
            }
            other => panic!("expected a deadlock, got {other:?}"),
        }
    }

    #[test]
    fn chain_without_cycle_is_accepted() {
        let graph = WaitGraph::default();
        graph.add_edges(1, &[2], b"a", held()).unwrap();
        graph.add_edges(3, &[2], b"a", held()).unwrap();
        graph.add_edges(2, &[4], b"b", held()).unwrap();
    }

    #[test]
    fn cycle_through_any_of_several_holders_is_found() {
        let graph = WaitGraph::default();
        graph.add_edges(1, &[2, 3], b"x", held()).unwrap();
        assert!(matches!(
            graph.add_edges(3, &[1], b"x", held()),
            Err(Error::Deadlock { txn: 3, .. })
        ));
    }

    #[test]
    fn a_wait_whose_holder_released_keys_since_closes_no_cycle() {
        let registry = Registry::default();
        let holder = registry.register(2);
        let graph = WaitGraph::default();
        graph
            .add_edges(1, &[2], b"a", vec![(holder.clone(), 0)])
            .unwrap();
        // 2 rolled back to a savepoint: 1 is about to ask again, not to wait on.
        registry.released(&holder);
        graph.add_edges(2, &[1], b"b", held()).unwrap();
    }
}
