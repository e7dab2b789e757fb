//! CREATE TABLE ... AS: the column types it gives the new table (which the golden script
//! cannot show), that the table has no primary key, index or constraint, and that at
//! SERIALIZABLE its query's reads count as a SELECT's.

use isolde_sql::{DataType, Description, Session};
use isolde_txn::{Options, TxnManager};
mod common;

use common::{ok, sessions};

fn session() -> Session {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    for r in s.execute_batch(
        "CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(10,2), s TEXT, v VARCHAR(5) NOT NULL);
         INSERT INTO t VALUES (1, 1.5, 'a', 'x'), (2, 2.25, NULL, 'y')",
    ) {
        r.expect("schema");
    }
    s
}

fn column_types(s: &mut Session, table: &str) -> Vec<(String, DataType, bool)> {
    let Some(Description::Table(t)) = s.describe_relation(table).expect("describe") else {
        panic!("{table} is not a table");
    };
    assert!(t.indexes.is_empty() && t.checks.is_empty(), "{t:?}");
    t.columns
        .into_iter()
        .map(|c| (c.name, c.ty, c.nullable))
        .collect()
}

fn col(name: &str, ty: DataType) -> (String, DataType, bool) {
    (name.to_string(), ty, true)
}

const TEXT: DataType = DataType::Text { max_len: None };

#[test]
fn declared_types_are_kept_and_constraints_are_not() {
    let mut s = session();
    s.execute("CREATE TABLE c AS SELECT * FROM t").unwrap();
    let numeric = DataType::Numeric {
        declared: Some((10, 2)),
    };
    assert_eq!(
        column_types(&mut s, "c"),
        vec![
            col("id", DataType::Integer),
            col("n", numeric),
            col("s", TEXT),
            col("v", DataType::Text { max_len: Some(5) }),
        ]
    );
}

#[test]
fn expression_types_come_from_planning_or_else_from_the_values() {
    let mut s = session();
    let r = s
        .execute(
            "CREATE TABLE c (total) AS SELECT sum(n), NULL AS x, 'abc' AS y, n * 2, 2.5::float8, \
             count(*) AS c, avg(id) AS a, now() AS t FROM t GROUP BY n",
        )
        .unwrap();
    assert_eq!(r.tag, "SELECT 2");
    assert_eq!(r.rows_affected(), Some(2));
    assert_eq!(
        column_types(&mut s, "c"),
        vec![
            col("total", DataType::NUMERIC),
            col("x", TEXT),
            col("y", TEXT),
            col("?column?", DataType::NUMERIC),
            col("float8", DataType::Float),
            col("c", DataType::Integer),
            col("a", DataType::NUMERIC),
            col("t", DataType::TimestampTz),
        ]
    );
}

#[test]
fn with_no_data_leaves_unknown_types_as_text() {
    let mut s = session();
    let r = s
        .execute("CREATE TABLE c AS SELECT id, sum(n) AS total FROM t GROUP BY id WITH NO DATA")
        .unwrap();
    assert_eq!(r.tag, "CREATE TABLE AS");
    assert_eq!(
        column_types(&mut s, "c"),
        vec![col("id", DataType::Integer), col("total", TEXT)]
    );
}

#[test]
fn at_serializable_the_query_reads_are_tracked_so_write_skew_through_it_fails() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE t (id INT PRIMARY KEY, a INT); INSERT INTO t VALUES (1, 10);
         CREATE TABLE log (id INT PRIMARY KEY)",
    );
    ok(&mut s1, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    ok(
        &mut s1,
        "CREATE TABLE snapshot AS SELECT sum(a) AS total FROM t",
    );
    ok(&mut s2, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    ok(&mut s2, "SELECT count(*) FROM log");
    ok(&mut s2, "UPDATE t SET a = a + 1 WHERE id = 1");
    ok(&mut s2, "COMMIT");
    // s1 read t before s2 changed it, and s2 read log before s1 writes it: a cycle.
    let e = s1
        .execute("INSERT INTO log VALUES (1)")
        .and_then(|_| s1.execute("COMMIT"))
        .unwrap_err();
    assert_eq!(e.sqlstate(), "40001", "{e}");
    ok(&mut s1, "ROLLBACK");
    assert!(s1.execute("SELECT * FROM snapshot").is_err());
}
