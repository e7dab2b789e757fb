//! Savepoints: a rollback to one undoes the writes made after it, putting back each
//! key's write as of the savepoint and releasing the keys first locked after it, and
//! keeps the locks taken before it; nested savepoints and releases compose.

mod common;

use std::sync::{Arc, Mutex};

use common::{in_background, manager, seed, Background};
use isolde_txn::{
    CommitObserver, CommitRecord, Error, IsolationLevel, LockMode, TxnManager, Value,
};

#[derive(Default)]
struct Records(Mutex<Vec<CommitRecord>>);

impl CommitObserver for Records {
    fn committed(&self, record: &CommitRecord) {
        self.0.lock().unwrap().push(record.clone());
    }
}

fn value(s: &str) -> Option<Value> {
    Some(Value::from(s.as_bytes()))
}

/// Another transaction, on its own thread, writing `other` to each of `keys` and
/// committing.
fn writer(mgr: &TxnManager, keys: &[&str]) -> Background<()> {
    let (mgr, keys): (_, Vec<String>) = (mgr.clone(), keys.iter().map(|k| k.to_string()).collect());
    in_background(&format!("writing {keys:?}"), move || {
        let mut other = mgr.begin(IsolationLevel::ReadCommitted);
        for key in keys {
            other.put(key.as_bytes(), b"other").unwrap();
        }
        other.commit().unwrap();
    })
}

#[test]
fn a_rollback_to_a_savepoint_puts_back_the_writes_as_they_were_and_releases_later_keys() {
    let mgr = manager();
    seed(&mgr, &[("a", "0"), ("b", "0"), ("c", "0")]);
    let records = Arc::new(Records::default());
    mgr.set_commit_observer(records.clone());
    let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
    txn.put(b"a", b"1").unwrap();
    txn.lock(b"b", LockMode::Shared).unwrap();
    txn.publish(b"ch", b"before").unwrap();
    let sp = txn.savepoint().unwrap();
    txn.put(b"a", b"2").unwrap();
    txn.put(b"b", b"2").unwrap();
    txn.delete(b"c").unwrap();
    txn.put(b"new", b"2").unwrap();
    txn.publish(b"ch", b"after").unwrap();
    txn.rollback_to(sp).unwrap();

    assert_eq!(txn.get(b"a").unwrap(), value("1"));
    assert_eq!(txn.get(b"b").unwrap(), value("0"));
    assert_eq!(txn.get(b"c").unwrap(), value("0"));
    assert_eq!(txn.get(b"new").unwrap(), None);
    // Keys first locked after the savepoint are free again; those locked before are not.
    writer(&mgr, &["c", "new"]).finish();
    let blocked = writer(&mgr, &["b"]);
    // b is still locked by the transaction.
    blocked.assert_blocked();

    // The savepoint stays: it can be rolled back to again.
    txn.put(b"a", b"3").unwrap();
    txn.rollback_to(sp).unwrap();
    assert_eq!(txn.get(b"a").unwrap(), value("1"));
    txn.commit().unwrap();
    blocked.finish();
    let records = records.0.lock().unwrap();
    let ours = records
        .iter()
        .find(|r| r.writes.iter().any(|(k, _)| k == b"a"))
        .expect("the transaction's record");
    assert_eq!(ours.writes, vec![(b"a".to_vec(), value("1"))]);
    assert_eq!(ours.messages, vec![(b"ch".to_vec(), b"before".to_vec())]);
}

#[test]
fn nested_savepoints_undo_in_layers_and_a_released_one_folds_into_the_one_before() {
    let mgr = manager();
    seed(&mgr, &[("k", "0")]);
    let mut txn = mgr.begin(IsolationLevel::RepeatableRead);
    txn.put(b"k", b"1").unwrap();
    let outer = txn.savepoint().unwrap();
    txn.put(b"k", b"2").unwrap();
    let inner = txn.savepoint().unwrap();
    txn.put(b"k", b"3").unwrap();
    txn.put(b"j", b"3").unwrap();
    txn.rollback_to(inner).unwrap();
    assert_eq!(txn.get(b"k").unwrap(), value("2"));
    assert_eq!(txn.get(b"j").unwrap(), None);

    txn.put(b"k", b"4").unwrap();
    txn.release_savepoint(inner).unwrap();
    // Gone with its release, as a savepoint rolled back past is.
    let err = txn.rollback_to(inner).unwrap_err();
    assert!(matches!(err, Error::UnknownSavepoint { .. }), "{err}");
    assert_eq!(err.sqlstate(), "3B001");
    assert_eq!(txn.get(b"k").unwrap(), value("4"));
    txn.rollback_to(outer).unwrap();
    assert_eq!(txn.get(b"k").unwrap(), value("1"));
    txn.release_savepoint(outer).unwrap();
    txn.commit().unwrap();
    let reader = mgr.begin(IsolationLevel::ReadCommitted);
    assert_eq!(reader.get(b"k").unwrap(), value("1"));
    assert_eq!(reader.get(b"j").unwrap(), None);
}

#[test]
fn a_key_only_locked_before_the_savepoint_keeps_its_lock_and_loses_the_later_write() {
    let mgr = manager();
    seed(&mgr, &[("k", "0")]);
    let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
    txn.lock(b"k", LockMode::Exclusive).unwrap();
    let sp = txn.savepoint().unwrap();
    txn.delete(b"k").unwrap();
    txn.rollback_to(sp).unwrap();
    assert_eq!(txn.get(b"k").unwrap(), value("0"));
    let blocked = writer(&mgr, &["k"]);
    // k is still locked.
    blocked.assert_blocked();
    txn.commit().unwrap();
    blocked.finish();
    let reader = mgr.begin(IsolationLevel::ReadCommitted);
    assert_eq!(reader.get(b"k").unwrap(), value("other"));
}

#[test]
fn a_writer_waiting_for_a_key_locked_after_a_savepoint_goes_on_when_it_is_rolled_back_to() {
    let mgr = manager();
    seed(&mgr, &[("k", "0"), ("kept", "0")]);
    let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
    txn.put(b"kept", b"1").unwrap();
    let sp = txn.savepoint().unwrap();
    txn.put(b"k", b"1").unwrap();
    let waiter = writer(&mgr, &["k"]);
    let kept_waiter = writer(&mgr, &["kept"]);
    waiter.assert_blocked();
    txn.rollback_to(sp).unwrap();
    // k was released without the transaction ending: its waiter goes on now; kept's
    // still waits.
    waiter.finish();
    kept_waiter.assert_blocked();
    txn.begin_statement();
    assert_eq!(txn.get(b"k").unwrap(), value("other"));
    txn.commit().unwrap();
    kept_waiter.finish();
}

#[test]
fn a_savepoint_released_or_rolled_back_past_is_unknown_even_with_another_in_its_place() {
    let mgr = manager();
    let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
    let released = txn.savepoint().unwrap();
    txn.release_savepoint(released).unwrap();
    let _in_its_place = txn.savepoint().unwrap();
    for stale in [txn.rollback_to(released), txn.release_savepoint(released)] {
        assert!(
            matches!(stale, Err(Error::UnknownSavepoint { .. })),
            "{stale:?}"
        );
    }
}

#[test]
fn a_key_taken_from_a_queue_after_a_savepoint_comes_back_when_it_is_rolled_back_to() {
    let mgr = manager();
    seed(&mgr, &[("q/1", "job")]);
    let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
    // Locked before the savepoint, taken after it.
    txn.lock(b"q/1", LockMode::Shared).unwrap();
    let sp = txn.savepoint().unwrap();
    assert_eq!(
        txn.take_first(b"q/").unwrap(),
        Some((b"q/1".to_vec(), Value::from(&b"job"[..])))
    );
    txn.rollback_to(sp).unwrap();
    txn.commit().unwrap();
    let reader = mgr.begin(IsolationLevel::ReadCommitted);
    assert_eq!(reader.get(b"q/1").unwrap(), value("job"));
}

#[test]
fn a_wait_on_a_lock_released_by_a_rollback_to_a_savepoint_is_no_part_of_a_deadlock() {
    let mgr = manager();
    seed(&mgr, &[("one", "0"), ("two", "0")]);
    let mut h1 = mgr.begin(IsolationLevel::ReadCommitted);
    h1.lock(b"one", LockMode::Shared).unwrap();
    let mut h2 = mgr.begin(IsolationLevel::ReadCommitted);
    let sp = h2.savepoint().unwrap();
    h2.lock(b"one", LockMode::Shared).unwrap();
    let w_mgr = mgr.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let w = in_background("w: two, then one", move || {
        let mut w = w_mgr.begin(IsolationLevel::ReadCommitted);
        w.put(b"two", b"w").unwrap();
        ready_tx.send(()).unwrap();
        w.put(b"one", b"w").unwrap();
        w.commit().unwrap();
    });
    ready_rx.recv().unwrap();
    w.assert_blocked();
    // h2 lets go of one: w now waits for h1 alone, so h2 waiting for w closes no cycle.
    h2.rollback_to(sp).unwrap();
    let h2_waits = in_background("h2: two", move || {
        h2.put(b"two", b"h2").map(|()| h2.commit())
    });
    h2_waits.assert_blocked();
    h1.commit().unwrap();
    w.finish();
    let done = h2_waits.finish();
    assert!(matches!(done, Ok(Ok(_))), "h2: {done:?}");
}
