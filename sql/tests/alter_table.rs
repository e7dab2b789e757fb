//! ALTER TABLE beyond one session's script: the altered table survives a restart (from
//! a checkpoint and from the WAL), prepared statements plan again after a column is
//! added or dropped, ALTER waits for a transaction writing the table and a writer waits
//! for an ALTER in progress, an older snapshot keeps reading the table as it was, and
//! `\d` shows the new definition.

mod common;

use std::thread;
use std::time::Duration;

use common::{ok, sessions};
use isolde_sql::{DataType, Description, IndexKind, QueryResult, Session, Value};
use isolde_txn::{Options, TxnManager};

/// The rows of `r` as text, NULL as "null".
fn text(r: &QueryResult) -> Vec<Vec<String>> {
    r.rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    Value::Null => "null".to_string(),
                    v => v.to_string(),
                })
                .collect()
        })
        .collect()
}

fn rows(s: &mut Session, sql: &str) -> Vec<Vec<String>> {
    text(&ok(s, sql))
}

#[test]
fn an_altered_table_survives_a_restart_from_checkpoint_and_wal() {
    let dir = tempfile::tempdir().unwrap();
    let open = || Session::new(TxnManager::open(dir.path(), Options::default()).unwrap().0);
    let mut s = open();
    for sql in [
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT)",
        "CREATE INDEX t_a ON t (a)",
        "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y')",
        // Before the checkpoint: in its file.
        "ALTER TABLE t ADD COLUMN c INT DEFAULT 5 NOT NULL, DROP COLUMN b",
        "CHECKPOINT",
        // After it: replayed from the WAL.
        "ALTER TABLE t RENAME TO u",
        "ALTER TABLE u RENAME COLUMN a TO alpha",
        "ALTER TABLE u ADD UNIQUE (alpha), ADD CONSTRAINT positive CHECK (alpha > 0)",
        "ALTER TABLE u ADD COLUMN d SERIAL",
        "INSERT INTO u (id, alpha) VALUES (3, 30)",
    ] {
        ok(&mut s, sql);
    }
    drop(s);
    let mut s = open();
    assert_eq!(
        rows(&mut s, "SELECT * FROM u ORDER BY id"),
        [
            ["1", "10", "5", "1"],
            ["2", "20", "5", "2"],
            ["3", "30", "5", "3"]
        ]
    );
    let explain = rows(&mut s, "EXPLAIN SELECT id FROM u WHERE alpha = 20");
    assert_eq!(explain[0], ["Index Lookup using u_alpha_key on u"]);
    let Some(Description::Index(t_a)) = s.describe_relation("t_a").unwrap() else {
        panic!("t_a is an index");
    };
    assert_eq!(
        (t_a.table.as_str(), t_a.columns[0].name.as_str()),
        ("u", "alpha")
    );
    assert_eq!(rows(&mut s, "SELECT id FROM u WHERE alpha = 20"), [["2"]]);
    let e = s.execute("INSERT INTO u (id) VALUES (1)").unwrap_err();
    assert!(e.to_string().contains("\"t_pkey\""), "{e}");
    let e = s
        .execute("INSERT INTO u (id, c) VALUES (4, NULL)")
        .unwrap_err();
    assert_eq!(e.sqlstate(), "23502");
    let e = s
        .execute("INSERT INTO u (id, alpha) VALUES (4, 10)")
        .unwrap_err();
    assert!(e.to_string().contains("\"u_alpha_key\""), "{e}");
    let e = s
        .execute("INSERT INTO u (id, alpha) VALUES (4, 0)")
        .unwrap_err();
    assert!(e.to_string().contains("\"positive\""), "{e}");
    assert_eq!(
        s.execute("SELECT * FROM t").unwrap_err().sqlstate(),
        "42P01"
    );
    // The serial column's sequence followed the renames: DROP TABLE takes it along.
    ok(&mut s, "DROP TABLE u");
    assert_eq!(
        s.execute("SELECT nextval('t_d_seq')")
            .unwrap_err()
            .sqlstate(),
        "42P01"
    );
}

#[test]
fn a_prepared_statement_plans_again_after_add_and_drop_column() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY, a INT)");
    ok(&mut s, "INSERT INTO t VALUES (1, 10)");
    let select = s.prepare("SELECT * FROM t WHERE id = $1").unwrap();
    let insert = s.prepare("INSERT INTO t VALUES ($1, 11)").unwrap();
    let one = [Value::Integer(1)];
    assert_eq!(
        text(&s.execute_prepared(&select, &one).unwrap()),
        [["1", "10"]]
    );
    ok(&mut s, "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'new'");
    let r = s.execute_prepared(&select, &one).unwrap();
    assert_eq!(r.columns.len(), 3);
    assert_eq!(text(&r), [["1", "10", "new"]]);
    s.execute_prepared(&insert, &[Value::Integer(2)]).unwrap();
    ok(&mut s, "ALTER TABLE t DROP COLUMN a");
    let two = [Value::Integer(2)];
    assert_eq!(
        text(&s.execute_prepared(&select, &two).unwrap()),
        [["2", "new"]]
    );
    // `INSERT INTO t VALUES ($1, 11)` now puts 11 in the text column, as a fresh
    // statement would.
    s.execute_prepared(&insert, &[Value::Integer(3)]).unwrap();
    assert_eq!(rows(&mut s, "SELECT b FROM t WHERE id = 3"), [["11"]]);
}

#[test]
fn alter_waits_for_a_writer_and_a_writer_waits_for_alter() {
    let (mut s1, mut s2) = sessions("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
    // ALTER waits for a transaction that wrote the table, and rewrites the row it
    // committed.
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "INSERT INTO t VALUES (1, 7)");
    let h = thread::spawn(move || {
        let r = s2.execute("ALTER TABLE t ADD COLUMN w INT DEFAULT 0");
        (s2, r)
    });
    thread::sleep(Duration::from_millis(150));
    assert!(!h.is_finished(), "ALTER waits for the writer");
    ok(&mut s1, "COMMIT");
    let (mut s2, r) = h.join().unwrap();
    r.expect("ALTER succeeds after the writer commits");
    assert_eq!(rows(&mut s2, "SELECT * FROM t"), [["1", "7", "0"]]);
    // A writer waits for an ALTER in progress, then writes rows of the new definition.
    ok(&mut s2, "BEGIN");
    ok(
        &mut s2,
        "ALTER TABLE t DROP COLUMN v, ADD COLUMN x TEXT DEFAULT 'd'",
    );
    let h = thread::spawn(move || {
        let r = s1.execute("INSERT INTO t (id) VALUES (2)");
        (s1, r)
    });
    thread::sleep(Duration::from_millis(150));
    assert!(!h.is_finished(), "the writer waits for ALTER");
    ok(&mut s2, "COMMIT");
    let (mut s1, r) = h.join().unwrap();
    r.expect("the insert succeeds after ALTER commits");
    assert_eq!(
        rows(&mut s1, "SELECT * FROM t ORDER BY id"),
        [["1", "0", "d"], ["2", "0", "d"]]
    );
}

#[test]
fn an_older_snapshot_reads_the_table_as_it_was() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE t (id INT PRIMARY KEY, v INT);
         INSERT INTO t VALUES (1, 7)",
    );
    ok(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_eq!(rows(&mut s1, "SELECT * FROM t"), [["1", "7"]]);
    ok(
        &mut s2,
        "ALTER TABLE t ADD COLUMN w INT DEFAULT 0, DROP COLUMN v",
    );
    assert_eq!(rows(&mut s1, "SELECT * FROM t"), [["1", "7"]]);
    ok(&mut s1, "COMMIT");
    assert_eq!(rows(&mut s1, "SELECT * FROM t"), [["1", "0"]]);
}

#[test]
fn describe_shows_the_altered_definition() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    for sql in [
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT, CHECK (a > 0))",
        "CREATE INDEX t_b ON t (b)",
        "ALTER TABLE t DROP COLUMN b, ADD COLUMN c NUMERIC(6,2) NOT NULL DEFAULT 1.50",
        "ALTER TABLE t RENAME COLUMN a TO alpha",
        "ALTER TABLE t ALTER COLUMN alpha SET DEFAULT 3, ADD CONSTRAINT pos UNIQUE (c)",
        "ALTER TABLE t RENAME TO u",
    ] {
        ok(&mut s, sql);
    }
    let Some(Description::Table(t)) = s.describe_relation("u").unwrap() else {
        panic!("u is a table");
    };
    let columns: Vec<(&str, DataType, bool, Option<&str>)> = (t.columns.iter())
        .map(|c| (c.name.as_str(), c.ty, c.nullable, c.default.as_deref()))
        .collect();
    assert_eq!(
        columns,
        [
            ("id", DataType::Integer, false, None),
            ("alpha", DataType::Integer, true, Some("3")),
            (
                "c",
                DataType::Numeric {
                    declared: Some((6, 2))
                },
                false,
                Some("1.50")
            ),
        ]
    );
    let indexes: Vec<(&str, IndexKind)> = (t.indexes.iter())
        .map(|i| (i.name.as_str(), i.kind))
        .collect();
    assert_eq!(
        indexes,
        [
            ("t_pkey", IndexKind::PrimaryKey),
            ("pos", IndexKind::Unique)
        ]
    );
    assert_eq!(
        t.checks,
        [("t_a_check".to_string(), "CHECK (alpha > 0)".to_string())]
    );
    assert_eq!(s.describe_relation("t_b").unwrap(), None);
}
