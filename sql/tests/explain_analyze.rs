//! EXPLAIN ANALYZE: the plan plain EXPLAIN prints with each counted node's actual rows
//! and loops, then the planning and execution times (checked here by shape, since they
//! vary, which is why no golden script shows them); a write is really performed.

use isolde_sql::{QueryResult, Session, Value};
use isolde_txn::{Options, TxnManager};

fn session() -> Session {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    for r in s.execute_batch(
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT);
         INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, NULL, 'z');
         CREATE TABLE u (id INT PRIMARY KEY, t_id INT);
         INSERT INTO u VALUES (1, 1), (2, 1), (3, 2)",
    ) {
        r.expect("schema");
    }
    s
}

fn lines(r: &QueryResult) -> Vec<String> {
    r.rows
        .iter()
        .map(|row| match &row[..] {
            [Value::Text(line)] => line.clone(),
            other => panic!("not a plan line: {other:?}"),
        })
        .collect()
}

/// The plan lines of EXPLAIN ANALYZE `sql`, after checking that the last two are the
/// planning and execution times in milliseconds with three decimals.
fn analyze(s: &mut Session, sql: &str) -> Vec<String> {
    let r = s.execute(&format!("EXPLAIN ANALYZE {sql}")).unwrap();
    assert_eq!(&r.columns[..], ["QUERY PLAN".to_string()]);
    let mut lines = lines(&r);
    assert_eq!(r.tag, format!("EXPLAIN {}", lines.len()));
    for label in ["Execution Time: ", "Planning Time: "] {
        let line = lines.pop().expect("a timing line");
        let ms = line
            .strip_prefix(label)
            .and_then(|l| l.strip_suffix(" ms"))
            .unwrap_or_else(|| panic!("{line:?} is not a {label:?} line"));
        let (whole, decimals) = ms.split_once('.').expect("a decimal point");
        assert!(
            whole.parse::<u64>().is_ok() && decimals.len() == 3,
            "{line}"
        );
        assert!(decimals.bytes().all(|b| b.is_ascii_digit()), "{line}");
    }
    lines
}

#[test]
fn each_node_shows_the_rows_it_returned_under_the_plain_explain_text() {
    let mut s = session();
    let sql = "SELECT t.b, count(*) FROM t JOIN u ON u.t_id = t.id WHERE t.a > 5 \
               GROUP BY t.b ORDER BY t.b LIMIT 1";
    let plain = lines(&s.execute(&format!("EXPLAIN {sql}")).unwrap());
    let analyzed = analyze(&mut s, sql);
    assert_eq!(
        analyzed,
        [
            "Limit 1 (actual rows=1 loops=1)",
            "  ->  Sort: t.b (actual rows=2 loops=1)",
            "      ->  Group By: t.b (actual rows=2 loops=1)",
            "          ->  Filter: t.a > 5 (actual rows=3 loops=1)",
            "              ->  Nested Loop Inner Join on u.t_id = t.id (actual rows=3 loops=1)",
            "                  ->  Seq Scan on t (actual rows=3 loops=1)",
            "                  ->  Seq Scan on u (actual rows=3 loops=1)",
        ]
    );
    for (a, p) in analyzed.iter().zip(&plain) {
        assert!(a.starts_with(p.as_str()), "{a:?} extends {p:?}");
    }
}

#[test]
fn a_shared_with_query_is_counted_once_and_a_locking_scan_through_its_projection() {
    let mut s = session();
    assert_eq!(
        analyze(
            &mut s,
            "WITH w AS (SELECT * FROM t) SELECT * FROM w, w AS w2"
        ),
        [
            "Nested Loop Inner Join (actual rows=9 loops=1)",
            "  ->  CTE Scan on w (actual rows=3 loops=1)",
            "      ->  Seq Scan on t (actual rows=3 loops=1)",
            "  ->  CTE Scan on w2 (actual rows=3 loops=1)",
            "      ->  Seq Scan on t (actual rows=3 loops=1)",
        ]
    );
    assert_eq!(
        analyze(&mut s, "SELECT * FROM t WHERE id <> 2 FOR UPDATE"),
        [
            "Seq Scan on t (actual rows=2 loops=1)",
            "    Filter: id <> 2",
            "    Lock rows: FOR UPDATE",
        ]
    );
}

#[test]
fn a_write_is_performed_and_its_top_node_counts_the_rows_it_returned() {
    let mut s = session();
    assert_eq!(
        analyze(&mut s, "UPDATE t SET a = 0 WHERE a > 5")[0],
        "Update on t (actual rows=0 loops=1)"
    );
    assert_eq!(
        analyze(&mut s, "DELETE FROM u WHERE t_id = 1 RETURNING id")[0],
        "Delete on u (actual rows=2 loops=1)"
    );
    let inserted = analyze(&mut s, "INSERT INTO u SELECT id + 10, id FROM t");
    assert_eq!(inserted[0], "Insert on u (actual rows=0 loops=1)");
    let r = s
        .execute("SELECT count(*), sum(a) FROM t, u WHERE u.t_id = t.id")
        .unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(4), Value::Integer(0)]]);
}

#[test]
fn a_write_inside_a_rolled_back_block_leaves_nothing() {
    let mut s = session();
    s.execute("BEGIN").unwrap();
    analyze(&mut s, "DELETE FROM t");
    s.execute("ROLLBACK").unwrap();
    let r = s.execute("SELECT count(*) FROM t").unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(3)]]);
}

#[test]
fn a_failing_statement_fails_explain_analyze() {
    let mut s = session();
    let e = s
        .execute("EXPLAIN ANALYZE SELECT 1 / (a - a) FROM t")
        .unwrap_err();
    assert_eq!(e.sqlstate(), "22012");
}

#[test]
fn the_parenthesised_analyze_option_runs_the_statement_and_other_options_are_checked() {
    let mut s = session();
    let count = |s: &mut Session| s.execute("SELECT count(*) FROM t").unwrap().rows;
    let r = s
        .execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) INSERT INTO t VALUES (4, 40, 'w')")
        .unwrap();
    let plan = lines(&r);
    assert!(plan[0].contains("(actual rows=0 loops=1)"), "{plan:?}");
    assert!(
        plan.last().unwrap().starts_with("Execution Time: "),
        "{plan:?}"
    );
    assert_eq!(
        count(&mut s),
        vec![vec![Value::Integer(4)]],
        "the insert ran"
    );
    let r = s
        .execute("EXPLAIN (ANALYZE false, VERBOSE) INSERT INTO t VALUES (5, 50, 'v')")
        .unwrap();
    assert!(
        !lines(&r).iter().any(|l| l.contains("actual")),
        "plain EXPLAIN"
    );
    assert_eq!(count(&mut s), vec![vec![Value::Integer(4)]], "nothing ran");
    for (sql, state, message) in [
        (
            "EXPLAIN (foo) SELECT 1",
            "42601",
            "unrecognized EXPLAIN option \"foo\"",
        ),
        (
            "EXPLAIN (ANALYZE maybe) SELECT 1",
            "42601",
            "analyze requires a Boolean value",
        ),
        (
            "EXPLAIN (FORMAT JSON) SELECT 1",
            "0A000",
            "EXPLAIN format json",
        ),
    ] {
        let e = s.execute(sql).unwrap_err();
        assert_eq!(e.sqlstate(), state, "{sql}: {e}");
        assert!(e.to_string().contains(message), "{sql}: {e}");
    }
}
