//! Prepared statements run with parameter values give the rows of the same statement
//! with the values written in, for the query features a plan holds in nodes of their own
//! (window functions and their frames, DISTINCT ON, quantified subqueries, RIGHT and FULL
//! joins); each execution reads its own values (the plan is cached once), and a frame
//! offset that is NULL or negative fails as a written one does.

use isolde_sql::{Session, Value};
use isolde_txn::{Options, TxnManager};

const SETUP: &str = "CREATE TABLE s (id INT PRIMARY KEY, region TEXT, amount INT, price NUMERIC, f FLOAT);
    INSERT INTO s VALUES (1, 'east', 10, 1.5, 'Infinity'), (2, 'east', 20, 2, 1.5), (3, 'west', 20, 4.25, 'NaN'),
        (4, 'west', NULL, NULL, NULL), (5, 'north', 7, 3, '-Infinity')";

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

#[test]
fn frame_offsets_read_each_execution_s_parameters() {
    check(
        "SELECT id, sum(amount) OVER (ORDER BY id ROWS BETWEEN $1 PRECEDING AND CURRENT ROW) FROM s ORDER BY id",
        &[0, 1, 3],
    );
    check(
        "SELECT id, count(*) OVER (ORDER BY amount GROUPS BETWEEN CURRENT ROW AND $1 + 1 FOLLOWING) FROM s ORDER BY id",
        &[0, 2],
    );
    check(
        "SELECT id, sum(amount) OVER (ORDER BY amount RANGE BETWEEN $1 PRECEDING AND $1 FOLLOWING) FROM s ORDER BY id",
        &[0, 3, 10],
    );
    check(
        "SELECT id, max(id) OVER (ORDER BY price DESC RANGE BETWEEN CURRENT ROW AND $1 FOLLOWING EXCLUDE CURRENT ROW) FROM s ORDER BY id",
        &[1, 2],
    );
    check(
        "SELECT id, count(*) OVER (ORDER BY f RANGE BETWEEN $1 PRECEDING AND CURRENT ROW) FROM s ORDER BY id",
        &[0, 2],
    );
}

#[test]
fn a_rows_offset_parameter_of_another_number_type_counts_rows_after_a_cast() {
    let mut s = session();
    let p = s
        .prepare("SELECT count(*) OVER (ORDER BY id ROWS BETWEEN $1 PRECEDING AND CURRENT ROW) FROM s ORDER BY id")
        .expect("statement prepares");
    let counts = |s: &mut Session, v: Value| -> Vec<Value> {
        let r = s
            .execute_prepared(&p, &[v])
            .expect("prepared statement runs");
        r.rows.into_iter().map(|mut row| row.remove(0)).collect()
    };
    let two = [1, 2, 3, 3, 3].map(Value::Integer).to_vec();
    assert_eq!(counts(&mut s, Value::Float(1.6)), two);
    assert_eq!(counts(&mut s, Value::Text("2".into())), two);
    let e = s.execute_prepared(&p, &[Value::Boolean(true)]).unwrap_err();
    assert_eq!(e.sqlstate(), "42804", "{e}");
}

#[test]
fn a_null_or_negative_parameter_offset_fails_as_a_written_one() {
    let mut s = session();
    let rows = s
        .prepare("SELECT sum(amount) OVER (ORDER BY id ROWS BETWEEN $1 PRECEDING AND CURRENT ROW) FROM s")
        .expect("statement prepares");
    let range = s
        .prepare("SELECT sum(amount) OVER (ORDER BY amount RANGE BETWEEN CURRENT ROW AND $1 FOLLOWING) FROM s")
        .expect("statement prepares");
    for (p, v, sqlstate) in [
        (&rows, Value::Null, "22004"),
        (&rows, Value::Integer(-1), "22013"),
        (&range, Value::Null, "22004"),
        (&range, Value::Integer(-1), "22013"),
    ] {
        let e = s.execute_prepared(p, &[v]).unwrap_err();
        assert_eq!(e.sqlstate(), sqlstate, "{e}");
    }
}

#[test]
fn a_range_offset_parameter_is_read_as_the_offset_type_of_the_order_column() {
    // Found by random testing against PostgreSQL 15, which types the parameter as the
    // offset the column takes: an interval for a date, a double for a double.
    let mut s = session();
    s.execute("CREATE TABLE d (id INT PRIMARY KEY, day DATE)")
        .expect("table is created");
    s.execute("INSERT INTO d VALUES (1, '2024-01-01'), (2, '2024-01-03'), (3, NULL)")
        .expect("rows are inserted");
    let mut counts = |sql: &str, v: Value| -> Result<Vec<Value>, String> {
        let p = s.prepare(sql).expect("statement prepares");
        match s.execute_prepared(&p, &[v]) {
            Ok(r) => Ok(r.rows.into_iter().map(|mut row| row.remove(1)).collect()),
            Err(e) => Err(e.sqlstate().to_string()),
        }
    };
    let dates = "SELECT id, count(*) OVER (ORDER BY day RANGE BETWEEN $1 PRECEDING AND CURRENT ROW) FROM d ORDER BY id";
    assert_eq!(
        counts(dates, Value::Text("2 days".into())),
        Ok([1, 2, 1].map(Value::Integer).to_vec())
    );
    assert_eq!(
        counts(dates, Value::Text("-1 day".into())),
        Err("22013".into())
    );
    let floats = "SELECT id, count(*) OVER (ORDER BY f RANGE BETWEEN $1 PRECEDING AND $1 FOLLOWING) FROM s ORDER BY id";
    // An infinite offset reaches every number, NaN only NaN; a NaN offset fails.
    assert_eq!(
        counts(floats, Value::Text("Infinity".into())),
        Ok([3, 3, 1, 1, 3].map(Value::Integer).to_vec())
    );
    assert_eq!(
        counts(floats, Value::Text("NaN".into())),
        Err("22013".into())
    );
}
