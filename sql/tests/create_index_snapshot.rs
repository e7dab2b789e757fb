//! CREATE INDEX builds from every live row, as in PostgreSQL, whatever the snapshot of the
//! transaction that builds it. At REPEATABLE READ and SERIALIZABLE that snapshot may
//! predate rows that other transactions committed before CREATE INDEX got the table's
//! exclusive lock: the index would then disagree with what the transaction itself reads,
//! so CREATE INDEX fails with a serialization failure instead, leaving no index behind.
//! At READ COMMITTED it indexes the newest rows. (The scenarios of finding 1 of the
//! isolation review: an index that missed inserted rows, kept updated rows' old values,
//! pointed at deleted rows, and a UNIQUE index that did not enforce uniqueness.) DROP
//! TABLE and DROP INDEX follow the same rule, so no row outlives its table.

use std::thread;
use std::time::Duration;

use isolde_sql::{Error, QueryResult, Session, Value};
mod common;

use common::{ok, sessions};

const TABLE: &str =
    "CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 10), (2, 20)";

fn ints(r: &QueryResult) -> Vec<i64> {
    r.rows
        .iter()
        .map(|row| match row.first() {
            Some(Value::Integer(i)) => *i,
            other => panic!("expected an integer, got {other:?}"),
        })
        .collect()
}

/// Session b's autocommit changes after session a's snapshot: one insert, one update,
/// one delete.
fn change_rows(b: &mut Session) {
    ok(b, "INSERT INTO t VALUES (3, 30)");
    ok(b, "UPDATE t SET v = 99 WHERE id = 1");
    ok(b, "DELETE FROM t WHERE id = 2");
}

fn plan(s: &mut Session, sql: &str) -> String {
    let r = ok(s, &format!("EXPLAIN {sql}"));
    match r.rows.first().and_then(|row| row.first()) {
        Some(Value::Text(t)) => t.to_string(),
        other => panic!("EXPLAIN {sql}: {other:?}"),
    }
}

/// For each value, the ids `WHERE v = x` finds (through the index if there is one)
/// equal those a full scan finds, and are `expected`.
fn lookups_match_scan(s: &mut Session, expected: &[(i64, &[i64])]) {
    for &(v, ids) in expected {
        let looked_up = ints(&ok(
            s,
            &format!("SELECT id FROM t WHERE v = {v} ORDER BY id"),
        ));
        let scanned = ints(&ok(
            s,
            &format!("SELECT id FROM t WHERE v + 0 = {v} ORDER BY id"),
        ));
        assert_eq!(looked_up, scanned, "v = {v}");
        assert_eq!(looked_up, ids, "v = {v}");
    }
}

const AFTER_CHANGES: &[(i64, &[i64])] = &[(10, &[]), (20, &[]), (30, &[3]), (99, &[1])];

fn assert_serialization_failure(e: &Error) {
    assert_eq!(e.sqlstate(), "40001", "{e}");
    assert!(e.is_retryable(), "{e}");
    let detail = e.detail().unwrap_or_default();
    assert!(
        detail.contains("of table \"t\""),
        "detail names the table: {detail}"
    );
}

/// Session a at `level` takes its snapshot, session b changes rows, then a's CREATE INDEX
/// must fail and leave nothing behind.
fn create_index_after_concurrent_changes_fails(level: &str) {
    let (mut a, mut b) = sessions(TABLE);
    ok(&mut a, &format!("BEGIN ISOLATION LEVEL {level}"));
    ok(&mut a, "SELECT count(*) FROM t");
    change_rows(&mut b);
    let e = a.execute("CREATE INDEX t_v ON t (v)").unwrap_err();
    assert_serialization_failure(&e);
    assert_eq!(ok(&mut a, "COMMIT").tag, "ROLLBACK");
    let e = a.execute("DROP INDEX t_v").unwrap_err();
    assert_eq!(e.sqlstate(), "42704", "the index does not exist: {e}");
    assert_eq!(
        plan(&mut a, "SELECT id FROM t WHERE v = 30"),
        "Seq Scan on t"
    );
    lookups_match_scan(&mut a, AFTER_CHANGES);
    // The retry, in a new transaction, builds it.
    ok(&mut a, &format!("BEGIN ISOLATION LEVEL {level}"));
    ok(&mut a, "CREATE INDEX t_v ON t (v)");
    ok(&mut a, "COMMIT");
    assert_eq!(
        plan(&mut a, "SELECT id FROM t WHERE v = 30"),
        "Index Lookup using t_v on t"
    );
    lookups_match_scan(&mut a, AFTER_CHANGES);
}

#[test]
fn repeatable_read_create_index_after_rows_changed_since_its_snapshot_is_a_serialization_failure() {
    create_index_after_concurrent_changes_fails("REPEATABLE READ");
}

#[test]
fn serializable_create_index_after_read_committed_writers_changed_rows_is_a_serialization_failure()
{
    create_index_after_concurrent_changes_fails("SERIALIZABLE");
}

#[test]
fn repeatable_read_create_unique_index_after_a_concurrent_insert_fails_and_leaves_no_index() {
    let (mut a, mut b) = sessions(
        "CREATE TABLE users (id INT PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a@x')",
    );
    ok(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut a, "SELECT count(*) FROM users");
    ok(&mut b, "INSERT INTO users VALUES (2, 'b@x')");
    let e = a
        .execute("CREATE UNIQUE INDEX users_email_key ON users (email)")
        .unwrap_err();
    assert_eq!(e.sqlstate(), "40001", "{e}");
    assert!(e.is_retryable());
    assert!(
        e.detail()
            .unwrap_or_default()
            .contains("of table \"users\""),
        "{:?}",
        e.detail()
    );
    ok(&mut a, "ROLLBACK");
    // No index: the duplicate is not refused, and the lookup scans.
    ok(&mut a, "INSERT INTO users VALUES (3, 'b@x')");
    assert_eq!(
        ints(&ok(
            &mut a,
            "SELECT id FROM users WHERE email = 'b@x' ORDER BY id"
        )),
        vec![2, 3]
    );
}

#[test]
fn create_index_that_waited_for_a_writer_committing_after_the_snapshot_fails_at_repeatable_read() {
    let (mut a, mut b) = sessions(TABLE);
    ok(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut a, "SELECT count(*) FROM t");
    ok(&mut b, "BEGIN");
    ok(&mut b, "INSERT INTO t VALUES (3, 30)");
    let h = thread::spawn(move || {
        let r = a.execute("CREATE INDEX t_v ON t (v)");
        (a, r)
    });
    thread::sleep(Duration::from_millis(150));
    assert!(!h.is_finished(), "CREATE INDEX waits for the writer");
    ok(&mut b, "COMMIT");
    let (mut a, r) = h.join().expect("statement thread does not panic");
    assert_serialization_failure(&r.unwrap_err());
    ok(&mut a, "ROLLBACK");
    assert_eq!(
        plan(&mut a, "SELECT id FROM t WHERE v = 30"),
        "Seq Scan on t"
    );
}

#[test]
fn repeatable_read_create_index_indexes_the_transactions_own_writes() {
    let (mut a, _b) = sessions(TABLE);
    ok(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut a, "SELECT count(*) FROM t");
    change_rows(&mut a);
    ok(&mut a, "CREATE INDEX t_v ON t (v)");
    lookups_match_scan(&mut a, AFTER_CHANGES);
    ok(&mut a, "COMMIT");
    lookups_match_scan(&mut a, AFTER_CHANGES);
}

#[test]
fn read_committed_create_index_indexes_rows_committed_after_the_transaction_began() {
    let (mut a, mut b) = sessions(TABLE);
    ok(&mut a, "BEGIN ISOLATION LEVEL READ COMMITTED");
    ok(&mut a, "SELECT count(*) FROM t");
    change_rows(&mut b);
    ok(&mut a, "CREATE INDEX t_v ON t (v)");
    ok(&mut a, "COMMIT");
    assert_eq!(
        plan(&mut a, "SELECT id FROM t WHERE v = 30"),
        "Index Lookup using t_v on t"
    );
    lookups_match_scan(&mut a, AFTER_CHANGES);
    lookups_match_scan(&mut b, AFTER_CHANGES);
}

#[test]
fn read_committed_unique_index_built_after_a_concurrent_insert_refuses_a_duplicate() {
    let (mut a, mut b) = sessions(
        "CREATE TABLE users (id INT PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a@x')",
    );
    ok(&mut a, "BEGIN ISOLATION LEVEL READ COMMITTED");
    ok(&mut a, "SELECT count(*) FROM users");
    ok(&mut b, "INSERT INTO users VALUES (2, 'b@x')");
    ok(
        &mut a,
        "CREATE UNIQUE INDEX users_email_key ON users (email)",
    );
    ok(&mut a, "COMMIT");
    let e = a
        .execute("INSERT INTO users VALUES (3, 'b@x')")
        .unwrap_err();
    assert_eq!(e.sqlstate(), "23505", "{e}");
    assert_eq!(
        ints(&ok(&mut a, "SELECT id FROM users WHERE email = 'b@x'")),
        vec![2]
    );
}

/// Keys under the SQL prefix, as a fresh reader sees them: rows, index entries and the
/// catalog.
fn stored_sql_keys(mgr: &isolde_txn::TxnManager) -> usize {
    let reader = mgr.begin_read_only(isolde_txn::IsolationLevel::ReadCommitted);
    let count = reader
        .scan_prefix(&[isolde_sql::SQL_PREFIX])
        .unwrap()
        .count();
    reader.rollback();
    count
}

#[test]
fn repeatable_read_drop_table_after_a_concurrent_insert_fails_then_leaves_no_row_behind() {
    let mgr = isolde_txn::TxnManager::in_memory(isolde_txn::Options::default());
    let (mut a, mut b) = (Session::new(mgr.clone()), Session::new(mgr.clone()));
    ok(&mut a, "CREATE TABLE other (id INT PRIMARY KEY)");
    let before = stored_sql_keys(&mgr);
    for r in a.execute_batch(TABLE) {
        r.unwrap();
    }
    ok(&mut a, "CREATE INDEX t_v ON t (v)");
    ok(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut a, "SELECT count(*) FROM t");
    // Only an insert: no row a's snapshot sees has changed.
    ok(&mut b, "INSERT INTO t VALUES (3, 30)");
    let e = a.execute("DROP TABLE t").unwrap_err();
    assert_serialization_failure(&e);
    ok(&mut a, "ROLLBACK");
    ok(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut a, "DROP TABLE t");
    ok(&mut a, "COMMIT");
    assert_eq!(
        stored_sql_keys(&mgr),
        before,
        "rows or entries of t outlived it"
    );
}
