//! `Transaction::insert`: INSERT's one-step lock, check and write, at each level.

mod common;

use common::{committed, in_background, is_serialization_failure, manager, read, seed};
use isolde_txn::{IsolationLevel, LockMode, Value};

const RC: IsolationLevel = IsolationLevel::ReadCommitted;
const RR: IsolationLevel = IsolationLevel::RepeatableRead;
const SER: IsolationLevel = IsolationLevel::Serializable;

fn text(v: Option<Value>) -> Option<String> {
    v.map(|v| String::from_utf8_lossy(&v).into_owned())
}

#[test]
fn insert_writes_an_absent_key_and_reports_a_present_one_without_writing() {
    let mgr = manager();
    seed(&mgr, &[("taken", "old")]);
    for level in [
        IsolationLevel::ReadUncommitted,
        RC,
        RR,
        IsolationLevel::Serializable,
    ] {
        let mut t = mgr.begin(level);
        let fresh = format!("fresh-{level:?}");
        assert_eq!(
            t.insert(fresh.as_bytes(), b"new").unwrap(),
            None,
            "{level:?}"
        );
        assert_eq!(
            text(t.insert(fresh.as_bytes(), b"again").unwrap()),
            Some("new".into()),
            "{level:?}: its own row is seen"
        );
        assert_eq!(
            text(t.insert(b"taken", b"dup").unwrap()),
            Some("old".into())
        );
        assert_eq!(read(&t, "taken"), Some("old".into()), "nothing written");
        t.commit().unwrap();
        assert_eq!(committed(&mgr, &fresh), Some("new".into()));
    }
}

#[test]
fn a_key_inserted_after_its_own_delete_is_written() {
    let mgr = manager();
    seed(&mgr, &[("k", "old")]);
    let mut t = mgr.begin(RR);
    t.delete(b"k").unwrap();
    assert_eq!(t.insert(b"k", b"new").unwrap(), None);
    t.commit().unwrap();
    assert_eq!(committed(&mgr, "k"), Some("new".into()));
}

#[test]
fn a_present_key_stays_locked_until_the_inserter_ends() {
    let mgr = manager();
    seed(&mgr, &[("k", "old")]);
    let mut t = mgr.begin(RC);
    assert!(t.insert(b"k", b"dup").unwrap().is_some());
    let writer = {
        let mgr = mgr.clone();
        in_background("a writer of the key", move || {
            let mut w = mgr.begin(RC);
            w.put(b"k", b"other").and_then(|()| w.commit().map(|_| ()))
        })
    };
    writer.assert_blocked();
    t.rollback();
    writer.finish().unwrap();
    assert_eq!(committed(&mgr, "k"), Some("other".into()));
}

#[test]
fn a_concurrent_insert_waits_then_sees_the_committed_row_at_read_committed() {
    let mgr = manager();
    let mut first = mgr.begin(RC);
    assert_eq!(first.insert(b"k", b"first").unwrap(), None);
    let second = {
        let mgr = mgr.clone();
        in_background("the second inserter", move || {
            let mut t = mgr.begin(RC);
            t.insert(b"k", b"second").map(text)
        })
    };
    second.assert_blocked();
    first.commit().unwrap();
    assert_eq!(second.finish().unwrap(), Some("first".into()));
}

#[test]
fn a_concurrent_insert_waits_then_sees_the_committed_row_at_the_snapshot_levels_too() {
    // A uniqueness check, not a read: as in PostgreSQL, the row is a duplicate even
    // though the snapshot does not see it (the caller's 23505, not a 40001).
    for level in [RR, SER] {
        let mgr = manager();
        let mut first = mgr.begin(level);
        assert_eq!(first.insert(b"k", b"first").unwrap(), None);
        let second = {
            let mgr = mgr.clone();
            let mut t = mgr.begin(level);
            in_background("the second inserter", move || {
                t.insert(b"k", b"second").map(text)
            })
        };
        second.assert_blocked();
        first.commit().unwrap();
        assert_eq!(second.finish().unwrap(), Some("first".into()), "{level:?}");
    }
}

#[test]
fn a_key_deleted_after_the_snapshot_is_free_at_repeatable_read_but_not_at_serializable() {
    let mgr = manager();
    seed(&mgr, &[("a", "old"), ("b", "old")]);
    let mut rr = mgr.begin(RR);
    let mut ser = mgr.begin(SER);
    let mut deleter = mgr.begin(RC);
    deleter.delete(b"a").unwrap();
    deleter.delete(b"b").unwrap();
    deleter.commit().unwrap();
    // PostgreSQL's INSERT makes a new row beside the deleted one: no update to lose.
    assert_eq!(rr.insert(b"a", b"new").unwrap(), None);
    rr.commit().unwrap();
    assert_eq!(committed(&mgr, "a"), Some("new".into()));
    // SSI takes snapshot isolation's write-write rule for granted.
    let err = ser.insert(b"b", b"new").unwrap_err();
    assert!(
        is_serialization_failure(&err, "insert over a later delete"),
        "{err}"
    );
    assert_eq!(committed(&mgr, "b"), None);
}

#[test]
fn a_concurrent_insert_goes_on_after_the_first_rolls_back() {
    let mgr = manager();
    let mut first = mgr.begin(RR);
    assert_eq!(first.insert(b"k", b"first").unwrap(), None);
    let second = {
        let mgr = mgr.clone();
        in_background("the second inserter", move || {
            let mut t = mgr.begin(RR);
            let seen = t.insert(b"k", b"second")?;
            t.commit()?;
            Ok::<_, isolde_txn::Error>(seen)
        })
    };
    second.assert_blocked();
    first.rollback();
    assert_eq!(second.finish().unwrap(), None);
    assert_eq!(committed(&mgr, "k"), Some("second".into()));
}

#[test]
fn a_row_deleted_and_inserted_again_after_a_read_committed_snapshot_is_reported_replaced() {
    let mgr = manager();
    seed(&mgr, &[("reinserted", "1"), ("updated", "1")]);
    let mut t = mgr.begin(RC);
    t.begin_statement();
    let mut other = mgr.begin(RC);
    other.delete(b"reinserted").unwrap();
    assert_eq!(other.insert(b"reinserted", b"2").unwrap(), None);
    other.put(b"updated", b"2").unwrap();
    other.commit().unwrap();

    let lock = t.lock(b"reinserted", LockMode::Exclusive).unwrap();
    assert!(lock.changed && lock.replaced, "another row under the key");
    assert_eq!(text(lock.value), Some("2".into()));
    let lock = t.lock(b"updated", LockMode::Exclusive).unwrap();
    assert!(lock.changed && !lock.replaced, "the same row, updated");
    // A statement whose snapshot sees the new row holds it like any other.
    t.begin_statement();
    let lock = t.lock(b"reinserted", LockMode::Exclusive).unwrap();
    assert!(!lock.changed && !lock.replaced);
    t.commit().unwrap();

    // The snapshot levels never get that far: the change is a serialization failure.
    let mut t = mgr.begin(RR);
    t.begin_statement();
    let mut other = mgr.begin(RC);
    other.delete(b"reinserted").unwrap();
    assert_eq!(other.insert(b"reinserted", b"3").unwrap(), None);
    other.commit().unwrap();
    let refused = t.lock(b"reinserted", LockMode::Exclusive).unwrap_err();
    assert!(is_serialization_failure(
        &refused,
        "lock at REPEATABLE READ"
    ));
}
