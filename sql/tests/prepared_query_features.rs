//! The query features a plan holds in nodes of their own (window functions, DISTINCT ON,
//! quantified subqueries, RIGHT and FULL joins) give, prepared and run with parameter
//! values, the rows of the same statement with the values written in.

use isolde_sql::{Session, Value};
use isolde_txn::{Options, TxnManager};

const SETUP: &str = "CREATE TABLE s (id INT PRIMARY KEY, region TEXT, amount INT);
    INSERT INTO s VALUES (1, 'east', 10), (2, 'east', 20), (3, 'west', 5), (4, 'west', NULL), (5, 'north', 7)";

fn session() -> Session {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    for r in s.execute_batch(SETUP) {
        r.expect("setup statement succeeds");
    }
    s
}

/// Runs `template` prepared with each integer of `values`, twice each (the second run
/// reuses the cached plan), and checks the rows against `template` with the value
/// written in.
fn check(template: &str, values: &[i64]) {
    let mut prepared_session = session();
    let mut literal_session = session();
    let prepared = prepared_session
        .prepare(template)
        .expect("statement prepares");
    for &v in values {
        let expected = literal_session
            .execute(&template.replace("$1", &v.to_string()))
            .expect("statement with the value written in runs")
            .rows;
        for _ in 0..2 {
            let rows = prepared_session
                .execute_prepared(&prepared, &[Value::Integer(v)])
                .expect("prepared statement runs")
                .rows;
            assert_eq!(rows, expected, "{template} with $1 = {v}");
        }
    }
}

#[test]
fn prepared_window_functions_give_the_rows_of_the_statement_with_the_values() {
    check(
        "SELECT id, sum(amount + $1) OVER (PARTITION BY region ORDER BY id), rank() OVER (ORDER BY amount * $1) FROM s ORDER BY id",
        &[1, -1, 0],
    );
    check(
        "SELECT region, rank() OVER (ORDER BY count(*) * $1, region) FROM s GROUP BY region HAVING count(*) >= $1 ORDER BY region",
        &[1, 2, -1],
    );
}

#[test]
fn prepared_distinct_on_any_all_and_outer_joins_give_the_rows_of_the_statement_with_the_values() {
    check(
        "SELECT DISTINCT ON (region) region, id FROM s WHERE id > $1 ORDER BY region, id DESC",
        &[0, 2, 9],
    );
    check(
        "SELECT id FROM s WHERE amount > ALL (SELECT amount FROM s s2 WHERE s2.id < $1) ORDER BY id",
        &[0, 2, 4],
    );
    check(
        "SELECT a.id, b.id FROM s a FULL JOIN s b ON a.id = b.id + $1 ORDER BY a.id, b.id",
        &[0, 1, 3],
    );
    check(
        "SELECT id FROM s ORDER BY id OFFSET $1 ROWS FETCH FIRST 2 ROWS ONLY",
        &[0, 3],
    );
}
