//! Waiting for row locks, with deadlock detection and a lock timeout.
//!
//! The locks themselves live in the version store (a pending version is an exclusive
//! lock). When one cannot be granted, the transaction waits for the holder to *end*,
//! then asks again, as PostgreSQL waits on the holder's transaction id. Before it sleeps
//! it records the edge `waiter -> holder` in the wait-for graph and follows the edges from
//! the holder: reaching the waiter again means a cycle, and the waiter that would close it
//! is the victim, at once, not after a timeout. Edges are added under one mutex, so of two
//! transactions closing the same cycle at the same moment exactly one sees it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use isolde_engine::TxnId;
use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::snapshot::Registry;

/// A transaction waiting for a row lock, as [`crate::TxnManager::lock_waits`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockWait {
    /// The transaction that waits.
    pub waiter: TxnId,
    /// The transaction holding the lock it wants.
    pub holder: TxnId,
    /// The key it wants to lock.
    pub key: Vec<u8>,
}

/// The wait-for graph: each waiting transaction waits for exactly one holder at a time.
#[derive(Default)]
pub(crate) struct WaitGraph {
    waits_for: Mutex<HashMap<TxnId, (TxnId, Vec<u8>)>>,
}

impl WaitGraph {
    /// Blocks `waiter` until `holder` ends. Fails at once with a deadlock error if the wait
    /// would close a cycle, or with a lock timeout after `timeout`.
    pub(crate) fn wait(
        &self,
        registry: &Registry,
        waiter: TxnId,
        holder: TxnId,
        key: &[u8],
        timeout: Option<Duration>,
    ) -> Result<()> {
        let Some(handle) = registry.get(holder) else {
            return Ok(()); // it ended between the conflict and now: just ask again
        };
        self.add_edge(waiter, holder, key)?;
        let started = Instant::now();
        let ended = handle.wait_end(timeout.map(|t| started + t));
        self.waits_for.lock().remove(&waiter);
        if ended {
            return Ok(());
        }
        Err(Error::LockTimeout {
            txn: waiter,
            holder,
            key: key.to_vec(),
            waited: started.elapsed(),
        })
    }

    fn add_edge(&self, waiter: TxnId, holder: TxnId, key: &[u8]) -> Result<()> {
        let mut graph = self.waits_for.lock();
        let mut cycle = vec![waiter, holder];
        let mut current = holder;
        // The graph has one out-edge per node and no cycle yet, so this walk ends within
        // graph.len() steps.
        for _ in 0..=graph.len() {
            match graph.get(&current).map(|(next, _)| *next) {
                Some(next) if next == waiter => {
                    return Err(Error::Deadlock {
                        txn: waiter,
                        waiting_for: holder,
                        key: key.to_vec(),
                        cycle,
                    });
                }
                Some(next) => {
                    cycle.push(next);
                    current = next;
                }
                None => break,
            }
        }
        graph.insert(waiter, (holder, key.to_vec()));
        Ok(())
    }

    /// Every transaction waiting now, and for whom.
    pub(crate) fn snapshot(&self) -> Vec<LockWait> {
        let graph = self.waits_for.lock();
        let waits = graph.iter().map(|(&waiter, (holder, key))| LockWait {
            waiter,
            holder: *holder,
            key: key.clone(),
        });
        waits.collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_that_closes_a_cycle_is_refused_with_the_cycle() {
        let graph = WaitGraph::default();
        graph.add_edge(1, 2, b"a").unwrap();
        graph.add_edge(2, 3, b"b").unwrap();
        match graph.add_edge(3, 1, b"c") {
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
        graph.add_edge(1, 2, b"a").unwrap();
        graph.add_edge(3, 2, b"a").unwrap();
        graph.add_edge(2, 4, b"b").unwrap();
    }
}
