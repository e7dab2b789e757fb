//! `Transaction::replace` writes like `put` / `delete` and returns exactly the value its
//! write replaced: the transaction's own earlier write, else the newest committed version
//! as found under the lock, even one committed while the write waited.

mod common;

use common::{in_background, manager, seed};
use isolde_txn::{IsolationLevel, Value};

fn value(s: &str) -> Option<Value> {
    Some(Value::from(s.as_bytes()))
}

#[test]
fn replace_returns_the_committed_value_then_the_transactions_own_writes() {
    let mgr = manager();
    seed(&mgr, &[("k", "committed")]);
    let mut txn = mgr.begin(IsolationLevel::RepeatableRead);
    assert_eq!(
        txn.replace(b"k", Some(b"mine")).unwrap(),
        value("committed")
    );
    assert_eq!(txn.replace(b"k", None).unwrap(), value("mine"));
    assert_eq!(
        txn.replace(b"k", Some(b"again")).unwrap(),
        None,
        "own delete"
    );
    assert_eq!(txn.replace(b"new", Some(b"x")).unwrap(), None);
    txn.commit().unwrap();
    assert_eq!(common::committed(&mgr, "k").as_deref(), Some("again"));
    assert_eq!(common::committed(&mgr, "new").as_deref(), Some("x"));
}

#[test]
fn replace_after_waiting_at_read_committed_returns_what_the_holder_committed() {
    let mgr = manager();
    seed(&mgr, &[("k", "old")]);
    let mut holder = mgr.begin(IsolationLevel::ReadCommitted);
    holder.put(b"k", b"new").unwrap();
    let replacer = {
        let mgr = mgr.clone();
        in_background("replacing the held key", move || {
            let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
            let replaced = txn.replace(b"k", Some(b"last")).unwrap();
            txn.commit().unwrap();
            replaced
        })
    };
    replacer.assert_blocked();
    holder.commit().unwrap();
    assert_eq!(replacer.finish(), value("new"));
    assert_eq!(common::committed(&mgr, "k").as_deref(), Some("last"));
}
