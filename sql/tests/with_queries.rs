//! A `WITH` query is planned once and, in one run of a statement, run once however many
//! times it is referenced, as PostgreSQL materializes one used twice: a chain of queries
//! each joining the one before to itself takes linear time, not time doubling with each
//! link.

use std::sync::mpsc;
use std::time::Duration;

use isolde_sql::{Session, Value};
use isolde_txn::{Options, TxnManager};

#[test]
fn a_chain_of_with_queries_each_used_twice_is_planned_and_run_once_each() {
    // 30 links: re-planned or re-run at each reference, this is 2^30 plans or runs.
    let links = 30;
    let mut parts = vec!["c0 AS (SELECT 1 AS x, 2 AS y)".to_string()];
    for i in 1..links {
        parts.push(format!(
            "c{i} AS (SELECT a.x, b.y FROM c{p} a JOIN c{p} b ON a.x = b.x)",
            p = i - 1
        ));
    }
    let sql = format!("WITH {} SELECT x, y FROM c{}", parts.join(", "), links - 1);
    let (tx, rx) = mpsc::channel();
    // A stack as large as a session's thread has: each link nests the run of the next.
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            let mut s = Session::new(TxnManager::in_memory(Options::default()));
            let _ = tx.send(s.execute(&sql).map(|r| r.rows));
        })
        .expect("thread starts");
    let rows = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the statement finishes within 10 s")
        .expect("the statement succeeds");
    assert_eq!(rows, vec![vec![Value::Integer(1), Value::Integer(2)]]);
}

#[test]
fn a_recursion_that_never_ends_fails_at_the_sessions_row_limit() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    s.set_max_recursive_rows(1000);
    let sql =
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT n FROM t LIMIT 3";
    let err = s.execute(sql).expect_err("the recursion never ends");
    assert_eq!(err.sqlstate(), "54000");
    assert_eq!(
        err.to_string(),
        "recursive query \"t\" produced more than 1000 rows (the session's max_recursive_rows)"
    );
    let rows = s
        .execute("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 1000) SELECT count(*) FROM t")
        .expect("exactly the limit is allowed")
        .rows;
    assert_eq!(rows, vec![vec![Value::Integer(1000)]]);
}
