//! The Session API the rest of isolde codes against: prepared statements, batches,
//! result helpers, isolation settings, and robustness against arbitrary input.

use isolde_sql::{format_error, format_psql, IsolationLevel, Session, Value};
use isolde_txn::{Options, TxnManager};
use proptest::prelude::*;

fn session() -> Session {
    Session::new(TxnManager::in_memory(Options::default()))
}

#[test]
fn prepared_statements_bind_parameters_by_position() {
    let mut s = session();
    s.execute("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)")
        .unwrap();
    let insert = s.prepare("INSERT INTO t VALUES ($1, $2)").unwrap();
    assert_eq!(insert.param_count(), 2);
    for i in 0..5 {
        let r = s
            .execute_prepared(
                &insert,
                &[Value::Integer(i), Value::from(format!("n{i}").as_str())],
            )
            .unwrap();
        assert_eq!(r.rows_affected(), Some(1));
    }
    let get = s.prepare("SELECT name FROM t WHERE id = $1").unwrap();
    let r = s.execute_prepared(&get, &[Value::Integer(3)]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::from("n3")]]);
    let e = s.execute_prepared(&get, &[]).unwrap_err();
    assert_eq!(e.sqlstate(), "42P02");
    let update = s.prepare("UPDATE t SET name = $2 WHERE id = $1").unwrap();
    assert_eq!(
        s.execute_prepared(&update, &[Value::Integer(4), Value::from("four")])
            .unwrap()
            .tag,
        "UPDATE 1"
    );
}

#[test]
fn a_prepared_point_query_uses_the_primary_key() {
    let mut s = session();
    s.execute("CREATE TABLE t (id INT PRIMARY KEY)").unwrap();
    let explain = s.prepare("EXPLAIN SELECT * FROM t WHERE id = $1").unwrap();
    let r = s.execute_prepared(&explain, &[Value::Integer(7)]).unwrap();
    assert_eq!(
        r.rows[0],
        vec![Value::from("Primary Key Lookup on t (1 key)")]
    );
}

#[test]
fn batches_stop_at_the_first_error() {
    let mut s = session();
    let results = s.execute_batch(
        "CREATE TABLE t (id INT); INSERT INTO t VALUES ('x'); INSERT INTO t VALUES (1)",
    );
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().sqlstate(), "22P02");
    assert_eq!(
        s.execute("SELECT count(*) FROM t").unwrap().rows,
        vec![vec![Value::Integer(0)]]
    );
}

#[test]
fn batches_split_on_semicolons_outside_quotes_and_comments() {
    let mut s = session();
    let results = s.execute_batch("SELECT 'a;b' AS x; -- a comment; with a semicolon\nSELECT 2;;");
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].as_ref().unwrap().rows,
        vec![vec![Value::from("a;b")]]
    );
}

#[test]
fn execute_refuses_several_statements() {
    let mut s = session();
    assert_eq!(
        s.execute("SELECT 1; SELECT 2").unwrap_err().sqlstate(),
        "42601"
    );
    assert_eq!(s.execute("").unwrap().tag, "");
}

#[test]
fn isolation_level_reports_the_block_then_the_default() {
    let mut s = session();
    assert_eq!(s.isolation_level(), IsolationLevel::ReadCommitted);
    s.set_default_isolation(IsolationLevel::Serializable);
    assert_eq!(s.isolation_level(), IsolationLevel::Serializable);
    s.execute("BEGIN ISOLATION LEVEL READ UNCOMMITTED").unwrap();
    assert!(s.in_transaction());
    assert_eq!(s.isolation_level(), IsolationLevel::ReadUncommitted);
    s.execute("COMMIT").unwrap();
    assert_eq!(s.isolation_level(), IsolationLevel::Serializable);
}

#[test]
fn rows_affected_reads_the_command_tag() {
    let mut s = session();
    s.execute("CREATE TABLE t (id INT)").unwrap();
    assert_eq!(
        s.execute("INSERT INTO t VALUES (1), (2)")
            .unwrap()
            .rows_affected(),
        Some(2)
    );
    assert_eq!(s.execute("DELETE FROM t").unwrap().rows_affected(), Some(2));
    assert_eq!(s.execute("BEGIN").unwrap().rows_affected(), None);
}

#[test]
fn errors_format_like_psql_and_keep_the_transaction_error_as_source() {
    let mut s = session();
    let e = s.execute("SELECT * FROM missing").unwrap_err();
    assert_eq!(
        format_error(&e),
        "ERROR:  relation \"missing\" does not exist"
    );
    assert!(!e.is_retryable());
}

#[test]
fn checkpoint_on_a_database_directory_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let (mgr, _) = TxnManager::open(dir.path(), Options::default()).unwrap();
    let mut s = Session::new(mgr.clone());
    s.execute("CREATE TABLE t (id INT PRIMARY KEY)").unwrap();
    s.execute("INSERT INTO t VALUES (1)").unwrap();
    assert_eq!(s.execute("checkpoint;").unwrap().tag, "CHECKPOINT");
    drop(s);
    drop(mgr);
    let (mgr, _) = TxnManager::open(dir.path(), Options::default()).unwrap();
    let mut s = Session::new(mgr);
    let r = s.execute("SELECT * FROM t").unwrap();
    assert_eq!(format_psql(&r), " id \n----\n  1\n(1 row)\n");
}

const FRAGMENTS: &[&str] = &[
    "SELECT",
    "INSERT INTO",
    "UPDATE",
    "DELETE FROM",
    "CREATE TABLE",
    "DROP TABLE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "t",
    "u",
    "(",
    ")",
    ",",
    "*",
    "+",
    "-",
    "/",
    "%",
    "=",
    "<>",
    "<",
    ">=",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "BETWEEN",
    "LIKE",
    "'x'",
    "'%'",
    "1",
    "0",
    "-1",
    "2.5",
    "9223372036854775807",
    "id",
    "v",
    "a.id",
    "WHERE",
    "FROM",
    "JOIN",
    "LEFT JOIN",
    "ON",
    "GROUP BY",
    "HAVING",
    "ORDER BY",
    "LIMIT",
    "OFFSET",
    "DISTINCT",
    "count(*)",
    "sum(v)",
    "avg(id)",
    "max(",
    "COALESCE(",
    "VALUES",
    "SET",
    "EXISTS",
    "(SELECT id FROM t)",
    "FOR UPDATE",
    "EXPLAIN",
    "INT",
    "TEXT",
    "PRIMARY KEY",
    "UNIQUE",
    "CASE WHEN",
    "THEN",
    "ELSE",
    "END",
    "::TEXT",
    "::INT",
    "$1",
    "RETURNING",
    "AS",
    "x",
    "DESC",
    ";",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_sql_never_panics(picks in proptest::collection::vec(0..FRAGMENTS.len(), 1..14)) {
        let mut s = session();
        for r in s.execute_batch(
            "CREATE TABLE t (id INT PRIMARY KEY, v INT); CREATE TABLE u (id INT, v TEXT UNIQUE); \
             INSERT INTO t VALUES (1, 10), (2, NULL), (3, 30); INSERT INTO u VALUES (1, 'x'), (NULL, NULL)",
        ) {
            prop_assert!(r.is_ok());
        }
        let sql: Vec<&str> = picks.iter().map(|&i| FRAGMENTS[i]).collect();
        let sql = sql.join(" ");
        let _ = s.execute(&sql);
        let _ = s.execute_batch(&sql);
        let _ = s.execute("ROLLBACK");
        // The session is still usable afterwards.
        prop_assert!(s.execute("SELECT count(*) FROM t").is_ok() || s.execute("SELECT 1").is_ok());
    }

    #[test]
    fn random_well_formed_selects_never_panic(
        col in prop::sample::select(vec!["id", "v", "id + v", "v / id", "v % 2", "-v", "v IS NULL", "COALESCE(v, id)"]),
        op in prop::sample::select(vec!["=", "<", ">=", "<>"]),
        k in -3i64..5,
        order in prop::sample::select(vec!["", " ORDER BY 1", " ORDER BY 1 DESC"]),
    ) {
        let mut s = session();
        for r in s.execute_batch("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 10), (2, NULL), (3, 0)") {
            prop_assert!(r.is_ok());
        }
        let _ = s.execute(&format!("SELECT {col} FROM t WHERE id {op} {k}{order}"));
        let _ = s.execute(&format!("SELECT {col}, count(*) FROM t GROUP BY {col}{order}"));
        let _ = s.execute(&format!("UPDATE t SET v = {col} WHERE id {op} {k}"));
    }
}
