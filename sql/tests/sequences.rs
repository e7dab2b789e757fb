//! Sequences across sessions: nextval is not transactional (a value taken in a
//! transaction that rolls back is gone, a gap), sessions never wait for each other to
//! take values and never get the same one, each database counts on its own, and a
//! cached plan never keeps a sequence that was dropped.

mod common;

use std::collections::HashSet;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{ok, sessions};
use isolde_sql::{QueryResult, Session, Value};
use isolde_txn::{Options, TxnManager};

fn int(r: &QueryResult) -> i64 {
    match r.rows.as_slice() {
        [row] => match row.as_slice() {
            [Value::Integer(v)] => *v,
            other => panic!("not one integer: {other:?}"),
        },
        other => panic!("not one row: {other:?}"),
    }
}

fn ints(r: &QueryResult) -> Vec<i64> {
    r.rows
        .iter()
        .map(|row| match row.as_slice() {
            [Value::Integer(v)] => *v,
            other => panic!("not one integer: {other:?}"),
        })
        .collect()
}

/// Runs `sql` in `s` on another thread; fails the test if it has not finished within
/// five seconds (it waited for a lock).
fn without_waiting(mut s: Session, sql: &'static str) -> (Session, QueryResult) {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let r = ok(&mut s, sql);
        let _ = tx.send((s, r));
    });
    rx.recv_timeout(Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("{sql} waited for the other session"))
}

#[test]
fn nextval_in_an_open_transaction_does_not_block_another_session_and_values_differ() {
    let (mut a, b) = sessions("CREATE SEQUENCE s");
    ok(&mut a, "BEGIN");
    assert_eq!(int(&ok(&mut a, "SELECT nextval('s')")), 1);
    let (b, r) = without_waiting(b, "SELECT nextval('s')");
    assert_eq!(int(&r), 2);
    let (_b, r) = without_waiting(b, "SELECT nextval('s')");
    assert_eq!(int(&r), 3);
    assert_eq!(int(&ok(&mut a, "SELECT nextval('s')")), 4);
    assert_eq!(int(&ok(&mut a, "SELECT currval('s')")), 4);
    ok(&mut a, "COMMIT");
}

#[test]
fn inserts_into_a_serial_table_in_two_open_transactions_get_different_ids_and_a_rollback_leaves_a_gap(
) {
    let (mut a, mut b) = sessions("CREATE TABLE t (id serial PRIMARY KEY, v text)");
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    let first = int(&ok(&mut a, "INSERT INTO t (v) VALUES ('a') RETURNING id"));
    let (mut b, r) = without_waiting(b, "INSERT INTO t (v) VALUES ('b') RETURNING id");
    let second = int(&r);
    assert_eq!((first, second), (1, 2));
    ok(&mut a, "ROLLBACK");
    ok(&mut b, "COMMIT");
    ok(&mut a, "INSERT INTO t (v) VALUES ('c')");
    let ids = ints(&ok(&mut a, "SELECT id FROM t ORDER BY id"));
    assert_eq!(
        ids,
        vec![2, 3],
        "the rolled-back 1 is never handed out again"
    );
}

#[test]
fn a_sequence_created_in_an_open_transaction_is_not_seen_or_waited_for_by_others() {
    let (mut a, b) = sessions("");
    ok(&mut a, "BEGIN");
    ok(&mut a, "CREATE SEQUENCE s START 5");
    assert_eq!(int(&ok(&mut a, "SELECT nextval('s')")), 5);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut b = b;
        let _ = tx.send(b.execute("SELECT nextval('s')").map_err(|e| e.sqlstate()));
    });
    let r = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("nextval of an uncommitted sequence does not wait");
    assert_eq!(r.err(), Some("42P01"));
    ok(&mut a, "COMMIT");
    assert_eq!(int(&ok(&mut a, "SELECT nextval('s')")), 6);
}

#[test]
fn concurrent_sessions_never_get_the_same_value() {
    let mgr = TxnManager::in_memory(Options::default());
    ok(&mut Session::new(mgr.clone()), "CREATE SEQUENCE s");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut s = Session::new(mgr.clone());
            thread::spawn(move || {
                (0..100)
                    .map(|_| int(&ok(&mut s, "SELECT nextval('s')")))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in threads {
        for v in t.join().expect("thread ran") {
            assert!(seen.insert(v), "{v} handed out twice");
        }
    }
    assert_eq!(seen, (1..=400).collect());
}

#[test]
fn two_databases_in_one_process_count_independently() {
    let mut one = Session::new(TxnManager::in_memory(Options::default()));
    let mut two = Session::new(TxnManager::in_memory(Options::default()));
    for s in [&mut one, &mut two] {
        ok(s, "CREATE SEQUENCE s");
    }
    assert_eq!(int(&ok(&mut one, "SELECT nextval('s')")), 1);
    assert_eq!(int(&ok(&mut one, "SELECT nextval('s')")), 2);
    assert_eq!(int(&ok(&mut two, "SELECT nextval('s')")), 1);
}

#[test]
fn a_cached_plan_does_not_keep_a_dropped_sequence() {
    let (mut a, mut b) = sessions("CREATE SEQUENCE s; CREATE TABLE t (id serial, v int)");
    let next = a.prepare("SELECT nextval('s')").expect("prepares");
    let insert = a
        .prepare("INSERT INTO t (v) VALUES ($1) RETURNING id")
        .expect("prepares");
    let run = |a: &mut Session, p, params: &[Value]| a.execute_prepared(p, params).expect("runs");
    assert_eq!(int(&run(&mut a, &next, &[])), 1);
    assert_eq!(int(&run(&mut a, &insert, &[Value::Integer(1)])), 1);
    ok(&mut b, "DROP SEQUENCE s");
    ok(&mut b, "CREATE SEQUENCE s START 100");
    ok(&mut b, "DROP TABLE t");
    ok(&mut b, "CREATE TABLE t (id bigserial, v int)");
    ok(&mut b, "SELECT setval('t_id_seq', 50)");
    assert_eq!(int(&run(&mut a, &next, &[])), 100);
    assert_eq!(int(&run(&mut a, &insert, &[Value::Integer(2)])), 51);
    // The text path caches plans too.
    assert_eq!(int(&ok(&mut a, "SELECT nextval('s')")), 101);
    ok(&mut b, "DROP SEQUENCE s");
    let e = a.execute("SELECT nextval('s')").expect_err("s is gone");
    assert_eq!(e.sqlstate(), "42P01");
}

#[test]
fn drop_sequence_waits_for_a_transaction_that_took_a_value() {
    let (mut a, b) = sessions("CREATE SEQUENCE s");
    ok(&mut a, "BEGIN");
    ok(&mut a, "SELECT nextval('s')");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut b = b;
        let _ = tx.send(b.execute("DROP SEQUENCE s").map(|r| r.tag));
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "DROP waits while the transaction that used the sequence is open"
    );
    ok(&mut a, "COMMIT");
    let r = rx.recv_timeout(Duration::from_secs(5)).expect("DROP ends");
    assert_eq!(r.expect("DROP succeeds"), "DROP SEQUENCE");
}
