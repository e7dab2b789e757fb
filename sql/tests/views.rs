//! Views beyond one session's script: a view survives a restart (from a checkpoint and
//! from the WAL), a prepared statement reading a view plans again when the view is
//! replaced or a table under it changes, a view another transaction is creating is
//! invisible until it commits, and DROP TABLE waits for a transaction creating a view
//! over the table (then refuses, as the view depends on it).

mod common;

use std::thread;
use std::time::Duration;

use common::{ok, sessions};
use isolde_sql::{QueryResult, Session, Value};
use isolde_txn::{Options, TxnManager};

fn text(r: &QueryResult) -> Vec<Vec<String>> {
    r.rows
        .iter()
        .map(|row| row.iter().map(|v| v.to_string()).collect())
        .collect()
}

fn rows(s: &mut Session, sql: &str) -> Vec<Vec<String>> {
    text(&ok(s, sql))
}

#[test]
fn a_view_survives_a_restart_from_checkpoint_and_wal() {
    let dir = tempfile::tempdir().unwrap();
    let open = || Session::new(TxnManager::open(dir.path(), Options::default()).unwrap().0);
    let mut s = open();
    for sql in [
        "CREATE TABLE t (id INT PRIMARY KEY, a INT)",
        "INSERT INTO t VALUES (1, 10), (2, 20)",
        // Before the checkpoint: in its file.
        "CREATE VIEW big (ident, amount) AS SELECT id, a FROM t WHERE a > 15",
        "CHECKPOINT",
        // After it: replayed from the WAL.
        "CREATE VIEW doubled AS SELECT ident, amount * 2 AS twice FROM big",
        "CREATE VIEW gone AS SELECT 1",
        "DROP VIEW gone",
        "INSERT INTO t VALUES (3, 30)",
    ] {
        ok(&mut s, sql);
    }
    drop(s);
    let mut s = open();
    assert_eq!(
        rows(&mut s, "SELECT * FROM doubled ORDER BY ident"),
        [["2", "40"], ["3", "60"]]
    );
    let e = s.execute("SELECT * FROM gone").unwrap_err();
    assert_eq!(e.sqlstate(), "42P01");
    // The dependency of `doubled` on `big` was stored too.
    assert_eq!(s.execute("DROP VIEW big").unwrap_err().sqlstate(), "2BP01");
}

#[test]
fn a_prepared_select_on_a_view_plans_again_after_create_or_replace() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY, a INT)");
    ok(&mut s, "INSERT INTO t VALUES (1, 10), (2, 20)");
    ok(&mut s, "CREATE VIEW v AS SELECT id, a FROM t");
    let select = s.prepare("SELECT * FROM v WHERE id = $1").unwrap();
    let one = [Value::Integer(1)];
    assert_eq!(
        text(&s.execute_prepared(&select, &one).unwrap()),
        [["1", "10"]]
    );
    ok(
        &mut s,
        "CREATE OR REPLACE VIEW v AS SELECT id, a + 1 AS a, 'new' AS b FROM t",
    );
    let r = s.execute_prepared(&select, &one).unwrap();
    assert_eq!(r.columns.len(), 3);
    assert_eq!(text(&r), [["1", "11", "new"]]);
    // Inside a transaction block too, where an unchanged plan is not read again.
    ok(&mut s, "BEGIN");
    assert_eq!(
        text(&s.execute_prepared(&select, &one).unwrap()),
        [["1", "11", "new"]]
    );
    ok(
        &mut s,
        "CREATE OR REPLACE VIEW v AS SELECT id, a, 'newer' AS b FROM t",
    );
    assert_eq!(
        text(&s.execute_prepared(&select, &one).unwrap()),
        [["1", "10", "newer"]]
    );
    ok(&mut s, "ROLLBACK");
    assert_eq!(
        text(&s.execute_prepared(&select, &one).unwrap()),
        [["1", "11", "new"]]
    );
}

#[test]
fn a_prepared_select_on_a_view_plans_again_when_a_table_under_it_changes() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY, a INT)");
    ok(&mut s, "INSERT INTO t VALUES (1, 10), (2, 20)");
    ok(&mut s, "CREATE VIEW v AS SELECT * FROM t");
    ok(&mut s, "CREATE VIEW w AS SELECT a FROM v");
    let select = s.prepare("SELECT * FROM w WHERE a = $1").unwrap();
    let twenty = [Value::Integer(20)];
    assert_eq!(
        text(&s.execute_prepared(&select, &twenty).unwrap()),
        [["20"]]
    );
    // A column added under two views: they keep their columns, the plan reads the table
    // in its new layout (the old plan would misread the rows written since).
    ok(&mut s, "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'b'");
    ok(&mut s, "INSERT INTO t VALUES (3, 20, 'c')");
    assert_eq!(
        text(&s.execute_prepared(&select, &twenty).unwrap()),
        [["20"], ["20"]]
    );
    // The table dropped with its views and made again: the plan reads the new one.
    ok(&mut s, "DROP TABLE t CASCADE");
    let e = s.execute_prepared(&select, &twenty).unwrap_err();
    assert_eq!(e.sqlstate(), "42P01");
    ok(&mut s, "CREATE TABLE t (a INT, id INT)");
    ok(&mut s, "INSERT INTO t VALUES (20, 7)");
    ok(&mut s, "CREATE VIEW v AS SELECT a, id FROM t");
    ok(&mut s, "CREATE VIEW w AS SELECT a FROM v");
    assert_eq!(
        text(&s.execute_prepared(&select, &twenty).unwrap()),
        [["20"]]
    );
}

#[test]
fn a_view_being_created_is_invisible_to_others_until_commit() {
    let (mut a, mut b) = sessions("CREATE TABLE t (id INT PRIMARY KEY)");
    ok(&mut a, "BEGIN");
    ok(&mut a, "CREATE VIEW v AS SELECT id FROM t");
    assert_eq!(
        b.execute("SELECT * FROM v").unwrap_err().sqlstate(),
        "42P01"
    );
    ok(&mut a, "COMMIT");
    assert_eq!(rows(&mut b, "SELECT count(*) FROM v"), [["0"]]);
}

#[test]
fn drop_table_waits_for_a_view_being_created_over_it_then_refuses() {
    let (mut a, mut b) = sessions("CREATE TABLE t (id INT PRIMARY KEY)");
    ok(&mut a, "BEGIN");
    ok(&mut a, "CREATE VIEW v AS SELECT id FROM t");
    let h = thread::spawn(move || {
        let r = b.execute("DROP TABLE t");
        (b, r)
    });
    thread::sleep(Duration::from_millis(150));
    assert!(
        !h.is_finished(),
        "DROP TABLE waits for the view's transaction"
    );
    ok(&mut a, "COMMIT");
    let (mut b, r) = h.join().unwrap();
    assert_eq!(r.unwrap_err().sqlstate(), "2BP01");
    assert_eq!(rows(&mut b, "SELECT count(*) FROM v"), [["0"]]);
}
