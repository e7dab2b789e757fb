//! A delete of a key that has no committed value (never written, or deleted already)
//! changes nothing: the commit record leaves it out, so the log is smaller and nothing
//! downstream (watches, replicas, recovery) hears of a change that did not happen. It
//! still counts as a write for SERIALIZABLE, and replaying the shorter log gives the same
//! state.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::manager;
use isolde_txn::wal::{self, FsyncPolicy};
use isolde_txn::{CommitObserver, CommitRecord, Error, IsolationLevel, Options, TxnManager, Value};

const RC: IsolationLevel = IsolationLevel::ReadCommitted;

/// Every commit record the observer was handed, in commit order.
#[derive(Default)]
struct Records(Mutex<Vec<CommitRecord>>);

impl CommitObserver for Records {
    fn committed(&self, record: &CommitRecord) {
        self.0.lock().unwrap().push(record.clone());
    }
}

impl Records {
    /// The writes of every record, as (key, value) strings.
    fn writes(&self) -> Vec<(String, Option<String>)> {
        let records = self.0.lock().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (records.iter().flat_map(|r| &r.writes))
            .map(|(k, v)| (text(k), v.as_deref().map(text)))
            .collect()
    }
}

fn observed(mgr: &TxnManager) -> Arc<Records> {
    let records = Arc::new(Records::default());
    mgr.set_commit_observer(records.clone());
    records
}

fn commit_pairs(mgr: &TxnManager, puts: &[(&str, &str)], deletes: &[&str]) {
    let mut txn = mgr.begin(RC);
    for (key, value) in puts {
        txn.put(key.as_bytes(), value.as_bytes()).unwrap();
    }
    for key in deletes {
        txn.delete(key.as_bytes()).unwrap();
    }
    txn.commit().unwrap();
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn deletes_of_keys_that_never_existed_are_left_out_of_the_commit_record() {
    let mgr = manager();
    let records = observed(&mgr);
    let mut txn = mgr.begin(RC);
    txn.put(b"a", b"1").unwrap();
    txn.delete(b"never-written").unwrap();
    txn.put(b"put-then-deleted", b"x").unwrap();
    txn.delete(b"put-then-deleted").unwrap();
    txn.commit().unwrap();
    assert_eq!(records.writes(), vec![("a".to_string(), some("1"))]);
}

#[test]
fn a_delete_of_a_key_deleted_already_is_left_out_and_a_real_delete_is_kept() {
    let mgr = manager();
    commit_pairs(&mgr, &[("gone", "1"), ("here", "2")], &[]);
    commit_pairs(&mgr, &[], &["gone"]);
    let records = observed(&mgr);
    commit_pairs(&mgr, &[], &["gone", "here"]);
    assert_eq!(records.writes(), vec![("here".to_string(), None)]);
    let check = mgr.begin(RC);
    assert_eq!(check.get(b"here").unwrap(), None);
}

#[test]
fn a_commit_of_only_no_op_deletes_still_commits_and_delivers_its_messages() {
    let mgr = manager();
    let records = observed(&mgr);
    let mut txn = mgr.begin(RC);
    txn.delete(b"absent").unwrap();
    txn.publish(b"chan", b"hello").unwrap();
    assert!(txn.commit().unwrap().ts.is_some());
    let records = records.0.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].writes.is_empty(), "{:?}", records[0].writes);
    assert_eq!(
        records[0].messages,
        vec![(b"chan".to_vec(), b"hello".to_vec())]
    );
}

#[test]
fn a_no_op_delete_still_counts_as_a_write_for_serializable_conflicts() {
    // Write skew through deletes: each reads the key the other deletes. Whether the
    // deleted key existed does not change what SSI is told the transaction wrote.
    let mgr = manager();
    let mut t1 = mgr.begin(IsolationLevel::Serializable);
    let mut t2 = mgr.begin(IsolationLevel::Serializable);
    assert_eq!(t1.get(b"x").unwrap(), None);
    assert_eq!(t2.get(b"y").unwrap(), None);
    t1.delete(b"y").unwrap();
    t2.delete(b"x").unwrap();
    t1.commit().unwrap();
    let err = t2.commit().unwrap_err();
    assert!(matches!(err, Error::Serialization(_)), "{err}");
}

#[test]
fn a_no_op_delete_still_holds_its_key_until_commit() {
    let mgr = manager();
    let mut deleter = mgr.begin(RC);
    deleter.delete(b"k").unwrap();
    let writer = {
        let mgr = mgr.clone();
        common::in_background("writing the key the open delete holds", move || {
            let mut txn = mgr.begin(RC);
            txn.put(b"k", b"after").unwrap();
            txn.commit().unwrap();
        })
    };
    writer.assert_blocked();
    deleter.commit().unwrap();
    writer.finish();
    let check = mgr.begin(RC);
    assert_eq!(check.get(b"k").unwrap().as_deref(), Some(&b"after"[..]));
}

fn logged() -> Options {
    Options {
        log: Some(wal::Options {
            fsync: FsyncPolicy::Always,
            ..wal::Options::default()
        }),
        save: Vec::new(),
        maintenance_interval: Duration::from_secs(3600),
        ..Options::default()
    }
}

/// Every key and value, in order.
fn contents(mgr: &TxnManager) -> Vec<(Vec<u8>, Value)> {
    let txn = mgr.begin(IsolationLevel::RepeatableRead);
    let all = txn.scan::<&[u8]>(..).unwrap().collect();
    txn.commit().unwrap();
    all
}

#[test]
fn recovery_of_a_log_without_the_no_op_deletes_gives_the_state_that_committed() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let (mgr, _) = TxnManager::open(dir.path(), logged()).unwrap();
        commit_pairs(&mgr, &[("a", "1"), ("b", "2"), ("c", "3")], &[]);
        commit_pairs(&mgr, &[("new", "x")], &["absent", "b", "new"]);
        commit_pairs(&mgr, &[], &["b", "absent"]);
        commit_pairs(&mgr, &[("b", "back")], &[]);
        contents(&mgr)
    };
    let (mgr, _) = TxnManager::open(dir.path(), logged()).unwrap();
    let after = contents(&mgr);
    assert_eq!(after, before);
    let keys: Vec<_> = after.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(keys, vec![&b"a"[..], b"b", b"c"]);
    commit_pairs(&mgr, &[("d", "4")], &[]);
    assert_eq!(contents(&mgr).len(), 4, "commits go on after recovery");
}
