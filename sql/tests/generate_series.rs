//! `generate_series` with `$n` parameters: a prepared statement (whose plan is cached on
//! its first run and reused after) gives, for every set of values, what the statement
//! with the values written in gives, rows or error; the golden script
//! `scripts/generate_series.sql` covers the function itself.

use isolde_sql::{Session, Value};
use isolde_txn::{Options, TxnManager};

const SETUP: &str = "CREATE TABLE t (id INT PRIMARY KEY, n INT);
    INSERT INTO t VALUES (1, 2), (2, 0), (3, 3)";

fn session() -> Session {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    for r in s.execute_batch(SETUP) {
        r.expect("setup statement succeeds");
    }
    s
}

/// The literal SQL of a parameter value.
fn literal(v: &Value) -> String {
    match v {
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Null => "NULL".into(),
        v => v.to_string(),
    }
}

/// Runs `template` prepared with each set of `values`, twice (the second run reuses the
/// plan the first cached), on one database, and each time with the values written in on
/// another, and checks that both give the same rows or the same error.
fn same_as_written_in(template: &str, values: &[&[Value]]) {
    let mut prepared_session = session();
    let mut literal_session = session();
    let prepared = prepared_session
        .prepare(template)
        .expect("statement prepares");
    for params in values {
        let mut sql = template.to_string();
        for (i, v) in params.iter().enumerate().rev() {
            sql = sql.replace(&format!("${}", i + 1), &literal(v));
        }
        for run in 0..2 {
            let expected = literal_session.execute(&sql);
            let got = prepared_session.execute_prepared(&prepared, params);
            match (&got, &expected) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{template} with {params:?}, run {run}"),
                (Err(a), Err(b)) => assert_eq!(
                    (a.to_string(), a.sqlstate()),
                    (b.to_string(), b.sqlstate()),
                    "{template} with {params:?}, run {run}"
                ),
                _ => panic!(
                    "{template} with {params:?}, run {run}: {got:?} but written in {expected:?}"
                ),
            }
        }
    }
}

fn int(i: i64) -> Value {
    Value::Integer(i)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn a_prepared_series_reads_each_execution_s_bounds_and_step() {
    same_as_written_in(
        "SELECT g FROM generate_series($1, $2, $3) g",
        &[
            &[int(1), int(5), int(2)],
            &[int(5), int(1), int(-1)],
            &[int(5), int(1), int(1)],
            &[int(1), int(3), Value::Null],
            &[int(1), int(3), int(0)],
            &[int(1), int(3), text("x")],
        ],
    );
    same_as_written_in(
        "SELECT * FROM generate_series($1 + 1, $2 * 2) WITH ORDINALITY AS s(v, i)",
        &[&[int(0), int(2)], &[int(3), int(1)], &[Value::Null, int(1)]],
    );
}

#[test]
fn a_prepared_timestamp_series_takes_its_stop_and_step_as_text() {
    same_as_written_in(
        "SELECT t FROM generate_series('2024-01-01'::timestamp, $1, $2) t",
        &[
            &[text("2024-01-03"), text("1 day")],
            &[text("2024-01-01 02:00"), text("30 minutes")],
            &[text("2024-01-03"), text("0 days")],
            &[text("2023-12-01"), text("-1 week")],
        ],
    );
}

#[test]
fn a_prepared_insert_select_fills_the_table_from_its_parameters() {
    same_as_written_in(
        "INSERT INTO t SELECT g, g * $3 FROM generate_series($1, $2) g RETURNING id, n",
        &[
            &[int(10), int(12), int(7)],
            &[int(20), int(19), int(7)],
            &[int(12), int(13), int(1)],
        ],
    );
}

#[test]
fn a_prepared_series_reading_earlier_from_items_joins_with_each_row() {
    same_as_written_in(
        "SELECT t.id, g FROM t CROSS JOIN generate_series(t.n, $1) g ORDER BY t.id, g",
        &[&[int(3)], &[int(0)], &[Value::Null]],
    );
    same_as_written_in(
        "SELECT t.id, g FROM t LEFT JOIN generate_series($1, t.n) g ON g > $2 ORDER BY t.id, g",
        &[&[int(1), int(1)], &[int(0), int(5)]],
    );
}

#[test]
fn a_prepared_limit_over_a_huge_series_reads_only_the_rows_it_returns() {
    // LIMIT $2 is not cached (planning must know it): the statement is planned per run.
    same_as_written_in(
        "SELECT g FROM generate_series($1, 9000000000000000000) g WHERE g % 2 = 0 LIMIT $2",
        &[&[int(1), int(3)], &[int(100), int(2)]],
    );
    same_as_written_in(
        "SELECT g FROM generate_series(1, $1) g LIMIT 3 OFFSET 1",
        &[&[int(9_000_000_000_000_000_000)], &[int(2)]],
    );
}

#[test]
fn a_prepared_series_in_a_select_list_multiplies_the_rows_by_each_execution_s_series() {
    same_as_written_in(
        "SELECT generate_series($1, $2) AS v ORDER BY v DESC LIMIT $3",
        &[
            &[int(1), int(5), int(3)],
            &[int(5), int(1), int(3)],
            &[int(1), Value::Null, int(3)],
            &[int(-2), int(0), int(10)],
        ],
    );
    same_as_written_in(
        "SELECT id, generate_series($1, t.n) * $2 FROM t WHERE id < $3 ORDER BY 1, 2",
        &[
            &[int(1), int(10), int(4)],
            &[int(2), int(1), int(3)],
            &[int(0), int(-1), int(2)],
            &[int(1), int(1), int(1)],
        ],
    );
    same_as_written_in(
        "SELECT generate_series(1, $1) LIMIT 3",
        &[&[int(9_000_000_000_000_000_000)], &[int(2)]],
    );
    same_as_written_in(
        "SELECT generate_series($1, 3, $2)",
        &[&[int(1), int(1)], &[int(1), int(0)], &[text("x"), int(1)]],
    );
}
