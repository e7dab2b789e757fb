//! Memory stays flat under update churn: versions no snapshot can see are pruned as
//! chains are written and by garbage-collection passes, and old versions live exactly as
//! long as a snapshot that can see them.
//!
//! The background maintenance thread is slowed to once an hour, so that what these tests
//! measure is the pruning on commit and the explicit `gc()` passes, not a lucky timing.

mod common;

use std::time::Duration;

use common::*;
use isolde_txn::{IsolationLevel, Options, TxnManager};

fn manager_without_background_gc() -> TxnManager {
    TxnManager::in_memory(Options {
        maintenance_interval: Duration::from_secs(3600),
        ..Options::default()
    })
}

fn key(i: usize) -> String {
    format!("key/{i:03}")
}

#[test]
fn updating_the_same_keys_a_hundred_thousand_times_leaves_no_garbage() {
    const KEYS: usize = 100;
    const UPDATES: usize = 100_000;
    let mgr = manager_without_background_gc();
    for n in 0..UPDATES {
        let mut txn = mgr.begin(IsolationLevel::RepeatableRead);
        write(&mut txn, &key(n % KEYS), &n.to_string()).unwrap();
        txn.commit().unwrap();
    }
    assert_eq!(mgr.key_count(), KEYS);
    assert_eq!(mgr.active_transactions(), 0);
    // With no other transaction open, each commit dropped the version it replaced once
    // its own snapshot no longer needed it: nothing is left for a pass, not even in its
    // queue.
    let pass = mgr.gc();
    assert_eq!(
        (pass.keys_scanned, pass.versions_dropped, pass.keys_removed),
        (0, 0, 0),
        "{UPDATES} updates of {KEYS} keys left work for a collection pass"
    );
    let reader = mgr.begin(IsolationLevel::RepeatableRead);
    for i in 0..KEYS {
        let last = UPDATES - KEYS + i;
        assert_eq!(read(&reader, &key(i)), Some(last.to_string()));
    }
}

#[test]
fn an_open_snapshot_keeps_its_versions_until_it_ends() {
    const UPDATES: u64 = 1000;
    let mgr = manager_without_background_gc();
    seed(&mgr, &[("x", "0")]);
    let old = mgr.begin(IsolationLevel::RepeatableRead);
    assert_eq!(read(&old, "x").as_deref(), Some("0"));
    for n in 1..=UPDATES {
        let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
        write(&mut txn, "x", &n.to_string()).unwrap();
        txn.commit().unwrap();
    }
    mgr.gc();
    assert_eq!(
        read(&old, "x").as_deref(),
        Some("0"),
        "garbage collection must not take the version an open snapshot reads"
    );
    old.commit().unwrap();
    let dropped = mgr.gc().versions_dropped;
    assert!(
        dropped >= UPDATES - 1,
        "only {dropped} of {UPDATES} superseded versions collected once the snapshot ended"
    );
    assert_eq!(mgr.gc().versions_dropped, 0);
    assert_eq!(committed(&mgr, "x"), Some(UPDATES.to_string()));
}

#[test]
fn inserting_and_deleting_many_keys_leaves_none_behind() {
    const KEYS: usize = 10_000;
    let mgr = manager_without_background_gc();
    for i in 0..KEYS {
        let mut insert = mgr.begin(IsolationLevel::RepeatableRead);
        write(&mut insert, &key(i), "v").unwrap();
        insert.commit().unwrap();
        let mut delete = mgr.begin(IsolationLevel::RepeatableRead);
        delete.delete(key(i).as_bytes()).unwrap();
        delete.commit().unwrap();
    }
    let stats = mgr.gc();
    assert_eq!(
        stats.keys_removed as usize, KEYS,
        "every tombstone is collected"
    );
    assert_eq!(mgr.key_count(), 0, "no key is left in the version store");
}

#[test]
fn rolled_back_writes_and_released_locks_leave_no_keys_behind() {
    let mgr = manager_without_background_gc();
    for i in 0..1000 {
        let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
        write(&mut txn, &key(i), "never committed").unwrap();
        txn.lock(format!("lock/{i}").as_bytes(), isolde_txn::LockMode::Shared)
            .unwrap();
        txn.rollback();
    }
    mgr.gc();
    assert_eq!(mgr.key_count(), 0, "abandoned chains are collected");
}

/// A checkpoint reads at a snapshot it pins for as long as it writes; one that fails
/// midway (here its progress callback panics) gives the snapshot back all the same, so
/// that garbage collection is not held back by it ever after.
#[test]
fn a_checkpoint_that_fails_midway_holds_no_snapshot_after() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        save: Vec::new(),
        maintenance_interval: Duration::from_secs(3600),
        ..Options::default()
    };
    let (mgr, _) = TxnManager::open(dir.path(), options).unwrap();
    for round in 0..3 {
        let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
        txn.put(b"k", format!("{round}").as_bytes()).unwrap();
        txn.commit().unwrap();
    }
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        mgr.checkpoint(|_| panic!("the checkpoint's progress callback fails"))
    }));
    assert!(failed.is_err());
    assert_eq!(mgr.active_transactions(), 0, "no snapshot left pinned");
    assert!(
        mgr.checkpoint(|_| {}).is_ok(),
        "a later checkpoint succeeds"
    );
}
