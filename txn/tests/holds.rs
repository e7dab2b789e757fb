//! A transaction holds each key it writes or locks from the first request on it until
//! it ends: commit records every written key once, with its last value, and no key it
//! only locked; every way of ending releases every key.

mod common;

use std::sync::{Arc, Mutex};

use common::{in_background, manager, seed};
use isolde_txn::{
    CommitObserver, CommitRecord, Error, IsolationLevel, LockMode, TxnManager, Value,
};

/// One commit record's writes.
type Writes = Vec<(Vec<u8>, Option<Value>)>;

#[derive(Default)]
struct Records(Mutex<Vec<Writes>>);

impl CommitObserver for Records {
    fn committed(&self, record: &CommitRecord) {
        self.0.lock().unwrap().push(record.writes.clone());
    }
}

fn value(s: &str) -> Option<Value> {
    Some(Value::from(s.as_bytes()))
}

/// Writes `keys` in a fresh transaction and commits, as a check that nothing holds them:
/// on another thread, so that a lock left behind fails the test instead of hanging it.
fn write_all(mgr: &TxnManager, keys: &[&str]) {
    let (mgr, keys): (_, Vec<String>) = (mgr.clone(), keys.iter().map(|k| k.to_string()).collect());
    in_background("writing every key again", move || {
        let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
        for key in keys {
            txn.put(key.as_bytes(), b"later").expect("put");
        }
        txn.commit().expect("commit");
    })
    .finish();
}

#[test]
fn a_commit_records_each_written_key_once_with_its_last_value_and_no_key_only_locked() {
    let mgr = manager();
    // A delete of a key that has no value changes nothing and is left out of the record
    // (see noop_deletes.rs): this one deletes a key that exists.
    seed(&mgr, &[("deleted", "before")]);
    let records = Arc::new(Records::default());
    mgr.set_commit_observer(records.clone());
    let mut txn = mgr.begin(IsolationLevel::RepeatableRead);
    txn.lock(b"locked-then-written", LockMode::Shared).unwrap();
    txn.put(b"locked-then-written", b"1").unwrap();
    txn.put(b"written-twice", b"first").unwrap();
    txn.put(b"written-twice", b"second").unwrap();
    txn.lock(b"only-locked", LockMode::Exclusive).unwrap();
    txn.put(b"deleted", b"x").unwrap();
    txn.delete(b"deleted").unwrap();
    txn.commit().unwrap();
    let mut writes = records.0.lock().unwrap().concat();
    writes.sort();
    assert_eq!(
        writes,
        vec![
            (b"deleted".to_vec(), None),
            (b"locked-then-written".to_vec(), value("1")),
            (b"written-twice".to_vec(), value("second")),
        ]
    );
    write_all(
        &mgr,
        &[
            "locked-then-written",
            "written-twice",
            "only-locked",
            "deleted",
        ],
    );
}

#[test]
fn a_transaction_that_only_locked_commits_as_read_only_and_releases_its_locks() {
    let mgr = manager();
    let records = Arc::new(Records::default());
    mgr.set_commit_observer(records.clone());
    let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
    txn.lock(b"a", LockMode::Exclusive).unwrap();
    txn.lock(b"b", LockMode::Shared).unwrap();
    assert!(!txn.has_writes());
    assert_eq!(txn.commit().unwrap().ts, None, "nothing to log");
    assert!(records.0.lock().unwrap().is_empty());
    write_all(&mgr, &["a", "b"]);
}

#[test]
fn a_commit_refused_at_serializable_releases_every_key_and_leaves_no_write() {
    let mgr = manager();
    let mut seed = mgr.begin(IsolationLevel::Serializable);
    seed.put(b"x", b"0").unwrap();
    seed.put(b"y", b"0").unwrap();
    seed.commit().unwrap();
    // Write skew: each reads the key the other writes.
    let mut t1 = mgr.begin(IsolationLevel::Serializable);
    let mut t2 = mgr.begin(IsolationLevel::Serializable);
    t1.get(b"x").unwrap();
    t2.get(b"y").unwrap();
    t1.put(b"y", b"1").unwrap();
    t2.put(b"x", b"2").unwrap();
    t2.lock(b"z", LockMode::Exclusive).unwrap();
    t2.put(b"w", b"2").unwrap();
    t1.commit().unwrap();
    let err = t2.commit().unwrap_err();
    assert!(matches!(err, Error::Serialization(_)), "{err}");
    let check = mgr.begin(IsolationLevel::ReadCommitted);
    assert_eq!(check.get(b"x").unwrap(), value("0"), "t2's write is gone");
    assert_eq!(check.get(b"w").unwrap(), None);
    drop(check);
    write_all(&mgr, &["x", "y", "z", "w"]);
}

#[test]
fn rollback_and_drop_release_every_key() {
    let mgr = manager();
    let mut rolled_back = mgr.begin(IsolationLevel::RepeatableRead);
    rolled_back.put(b"a", b"1").unwrap();
    rolled_back.lock(b"b", LockMode::Shared).unwrap();
    rolled_back.rollback();
    let mut dropped = mgr.begin(IsolationLevel::ReadCommitted);
    dropped.insert(b"c", b"1").unwrap();
    dropped.lock(b"d", LockMode::Exclusive).unwrap();
    drop(dropped);
    write_all(&mgr, &["a", "b", "c", "d"]);
}

#[test]
fn a_read_uncommitted_lock_reports_the_committed_row_after_a_dirty_read_that_rolled_back() {
    let mgr = manager();
    write_all(&mgr, &["k"]);
    let mut owner = mgr.begin(IsolationLevel::ReadCommitted);
    owner.put(b"k", b"dirty").unwrap();
    let mut reader = mgr.begin(IsolationLevel::ReadUncommitted);
    assert_eq!(reader.get(b"k").unwrap(), value("dirty"));
    owner.rollback();
    // Nothing committed since the statement began, yet the row it read is gone: the
    // lock must say so and hand over the committed version.
    let lock = reader.lock(b"k", LockMode::Exclusive).unwrap();
    assert!(lock.changed);
    assert_eq!(lock.value, value("later"));
    // Its own write is what it reads afterwards: nothing to re-check.
    reader.put(b"k", b"mine").unwrap();
    let lock = reader.lock(b"k", LockMode::Exclusive).unwrap();
    assert!(!lock.changed);
}

#[test]
fn after_a_retryable_failure_every_later_call_is_retryable_too_and_after_a_timeout_none_is() {
    let mgr = isolde_txn::TxnManager::in_memory(isolde_txn::Options {
        lock_timeout: Some(std::time::Duration::from_millis(50)),
        ..isolde_txn::Options::default()
    });
    write_all(&mgr, &["k"]);
    // First updater wins: a write after a newer commit fails with 40001.
    let mut loser = mgr.begin(IsolationLevel::RepeatableRead);
    write_all(&mgr, &["k"]);
    let first = loser.put(b"k", b"mine").unwrap_err();
    assert!(first.is_retryable(), "{first}");
    let later = loser.commit().unwrap_err();
    assert!(matches!(later, Error::Aborted { .. }), "{later}");
    assert_eq!(later.sqlstate(), "25P02");
    assert!(later.is_retryable(), "{later}");

    // A lock timeout is not retryable, and neither is what follows it.
    let mut holder = mgr.begin(IsolationLevel::ReadCommitted);
    holder.put(b"k", b"held").unwrap();
    let mut waiter = mgr.begin(IsolationLevel::ReadCommitted);
    let first = waiter.put(b"k", b"waits").unwrap_err();
    assert_eq!(first.sqlstate(), "55P03");
    let later = waiter.commit().unwrap_err();
    assert!(!later.is_retryable(), "{later}");
    holder.rollback();
}

#[test]
fn delete_nowait_deletes_a_free_key_and_leaves_a_held_one_and_every_other_key_alone() {
    let mgr = manager();
    let mut seed = mgr.begin(IsolationLevel::ReadCommitted);
    for key in ["k", "k2", "free"] {
        seed.put(key.as_bytes(), b"v").unwrap();
    }
    seed.commit().unwrap();
    let mut holder = mgr.begin(IsolationLevel::ReadCommitted);
    holder.lock(b"k", LockMode::Shared).unwrap();

    let mut sweeper = mgr.begin(IsolationLevel::ReadCommitted);
    assert_eq!(
        sweeper.delete_nowait(b"k").unwrap(),
        None,
        "held: not taken"
    );
    assert_eq!(sweeper.delete_nowait(b"free").unwrap(), Some(value("v")));
    assert_eq!(sweeper.delete_nowait(b"absent").unwrap(), Some(None));
    // Nothing but `free` is held by the sweeper: a writer of `k2` does not wait.
    let writer = {
        let mgr = mgr.clone();
        in_background("writing k2 while the sweeper is open", move || {
            let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
            txn.put(b"k2", b"w").unwrap();
            txn.commit().unwrap();
        })
    };
    writer.finish();
    sweeper.commit().unwrap();
    holder.rollback();
    let reader = mgr.begin(IsolationLevel::ReadCommitted);
    assert_eq!(reader.get(b"k").unwrap(), value("v"));
    assert_eq!(reader.get(b"free").unwrap(), None);
    assert_eq!(reader.get(b"k2").unwrap(), value("w"));
}

#[test]
fn try_lock_locks_a_free_key_and_refuses_a_held_one_at_once_leaving_nothing_held() {
    let mgr = manager();
    seed(&mgr, &[("k", "v"), ("free", "v")]);
    let mut holder = mgr.begin(IsolationLevel::ReadCommitted);
    holder.lock(b"k", LockMode::Shared).unwrap();

    let mut locker = mgr.begin(IsolationLevel::ReadCommitted);
    // A shared lock does not conflict with another shared one, an exclusive one does.
    assert!(locker
        .try_lock(b"k", LockMode::Exclusive)
        .unwrap()
        .is_none());
    let shared = locker.try_lock(b"k", LockMode::Shared).unwrap();
    assert_eq!(shared.map(|l| l.value), Some(value("v")));
    let free = locker.try_lock(b"free", LockMode::Exclusive).unwrap();
    assert_eq!(
        free.map(|l| (l.value, l.changed)),
        Some((value("v"), false))
    );
    locker.rollback();

    // The refused request left nothing behind: once the holder ends, `k` is free.
    let mut refused = mgr.begin(IsolationLevel::ReadCommitted);
    assert!(refused
        .try_lock(b"k", LockMode::Exclusive)
        .unwrap()
        .is_none());
    refused.rollback();
    holder.rollback();
    write_all(&mgr, &["k", "free"]);
}

#[test]
fn try_lock_at_repeatable_read_fails_on_a_row_changed_since_the_snapshot() {
    let mgr = manager();
    seed(&mgr, &[("k", "v")]);
    let mut reader = mgr.begin(IsolationLevel::RepeatableRead);
    assert_eq!(reader.get(b"k").unwrap(), value("v"));
    let mut writer = mgr.begin(IsolationLevel::ReadCommitted);
    writer.put(b"k", b"w").unwrap();
    writer.commit().unwrap();

    let err = reader.try_lock(b"k", LockMode::Exclusive).unwrap_err();
    assert!(matches!(err, Error::Serialization(_)), "{err}");
    assert!(err.is_retryable());
    // The failure ended the transaction, as a waiting lock's would.
    assert!(reader.get(b"k").is_err());
    write_all(&mgr, &["k"]);
}

#[test]
fn a_write_to_a_key_held_only_shared_waits_for_the_other_sharers_and_then_goes_on() {
    let mgr = manager();
    seed(&mgr, &[("x", "0")]);
    let mut t1 = mgr.begin(IsolationLevel::ReadCommitted);
    let t2 = {
        let mut t2 = mgr.begin(IsolationLevel::ReadCommitted);
        t2.lock(b"x", LockMode::Shared).unwrap();
        t2
    };
    // The key t1 locked last, but only shared: its write must upgrade the lock.
    t1.lock(b"x", LockMode::Shared).unwrap();
    let write = in_background("T1 writes x", move || {
        t1.put(b"x", b"1").unwrap();
        t1.commit().unwrap();
    });
    write.assert_blocked();
    t2.commit().unwrap();
    write.finish();
    let reader = mgr.begin(IsolationLevel::ReadCommitted);
    assert_eq!(reader.get(b"x").unwrap(), value("1"));
}

/// A failed transaction gives its snapshot up at once; whatever is called on it later
/// (a statement boundary included, which the KV API marks before each call) must not
/// touch the snapshot of a transaction that began since.
#[test]
fn calls_on_a_failed_transaction_leave_the_snapshots_of_later_ones_alone() {
    let mgr = TxnManager::in_memory(isolde_txn::Options {
        lock_timeout: Some(std::time::Duration::from_millis(20)),
        ..isolde_txn::Options::default()
    });
    seed(&mgr, &[("k", "0")]);
    let mut holder = mgr.begin(IsolationLevel::ReadCommitted);
    holder.put(b"k", b"1").unwrap();
    let mut failed = mgr.begin(IsolationLevel::ReadCommitted);
    assert!(failed.put(b"k", b"2").is_err(), "a lock timeout");
    let before = failed.snapshot();
    // Begun on the same thread after the failure: most likely in the slot it gave up.
    let rr = mgr.begin(IsolationLevel::RepeatableRead);
    let snapshot = rr.snapshot();
    assert_eq!(rr.get(b"k").unwrap(), value("0"));
    holder.commit().unwrap();
    failed.begin_statement();
    assert_eq!(
        failed.snapshot(),
        before,
        "an ended transaction's snapshot stays"
    );
    assert_eq!(
        rr.snapshot(),
        snapshot,
        "another transaction's snapshot moved"
    );
    assert_eq!(rr.get(b"k").unwrap(), value("0"), "it read a later commit");
}

/// At REPEATABLE READ and SERIALIZABLE, a write to a row committed after the snapshot
/// fails (first-updater-wins), however the transaction came to hold the key
/// exclusively first (an insert that found the row, or a take), and whether or not it
/// was the key it locked last.
#[test]
fn a_write_over_a_row_committed_after_the_snapshot_fails_however_the_key_was_held() {
    for level in [IsolationLevel::RepeatableRead, IsolationLevel::Serializable] {
        for how in ["insert", "delete_nowait"] {
            for locked_last in [true, false] {
                let context = format!("{level}, held by {how}, locked last: {locked_last}");
                let mgr = manager();
                seed(&mgr, &[("k", "0")]);
                let mut t1 = mgr.begin(level);
                let mut t2 = mgr.begin(level);
                t2.put(b"k", b"2").unwrap();
                t2.commit().unwrap();
                match how {
                    "insert" => assert_eq!(t1.insert(b"k", b"x").unwrap(), value("2")),
                    _ => assert!(t1.delete_nowait(b"k").unwrap().is_some()),
                }
                if !locked_last {
                    t1.lock(b"other", LockMode::Exclusive).unwrap();
                }
                let put = t1.put(b"k", b"1");
                assert!(
                    matches!(put, Err(Error::Serialization(_))),
                    "{context}: {put:?} over an update it never saw"
                );
            }
        }
    }
}

/// At REPEATABLE READ, a transaction may insert over a key deleted after its snapshot,
/// but a write there afterwards fails as a write over that delete: PostgreSQL's UPDATE
/// of the new row meets the deleted one first (40001, "concurrent delete"). The same
/// whether or not the key was the one locked last.
#[test]
fn at_repeatable_read_a_write_after_an_insert_over_a_key_deleted_since_the_snapshot_fails() {
    for locked_last in [true, false] {
        let mgr = manager();
        seed(&mgr, &[("k", "0")]);
        let mut t1 = mgr.begin(IsolationLevel::RepeatableRead);
        let mut t2 = mgr.begin(IsolationLevel::RepeatableRead);
        t2.delete(b"k").unwrap();
        t2.commit().unwrap();
        assert_eq!(t1.insert(b"k", b"new").unwrap(), None, "the key is free");
        if !locked_last {
            t1.lock(b"other", LockMode::Exclusive).unwrap();
        }
        let put = t1.put(b"k", b"newer");
        let message = put.as_ref().map_err(|e| e.to_string()).err();
        assert!(
            matches!(put, Err(Error::Serialization(_)))
                && message.is_some_and(|m| m.contains("concurrent delete")),
            "locked last: {locked_last}"
        );
    }
}
