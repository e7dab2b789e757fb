//! Expressions nested deeper than the stack allows fail with 54001 ("stack depth limit
//! exceeded") and leave the session usable, as in PostgreSQL, instead of overflowing the
//! thread's stack and aborting the process; long expressions that fit run.

use isolde_sql::{QueryResult, Session, Value};
use isolde_txn::{Options, TxnManager};

/// Runs `f` on a thread with a stack of `mib` MiB, as a session's owner would.
fn on_stack<T: Send + 'static>(mib: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(mib << 20)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("thread did not panic")
}

fn session() -> Session {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    s.execute("CREATE TABLE t (id INT PRIMARY KEY, a INT, s TEXT)")
        .unwrap();
    s.execute("INSERT INTO t VALUES (1, 1, 'a')").unwrap();
    s
}

/// `first op first op ... first` with `terms` terms.
fn chain(first: &str, op: &str, terms: usize) -> String {
    vec![first; terms].join(op)
}

fn one_value(r: QueryResult) -> Value {
    r.rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .expect("one value")
}

#[test]
fn a_deep_expression_fails_with_54001_on_a_default_sized_stack_and_the_session_goes_on() {
    let statements = [
        format!("SELECT {}", chain("1", "+", 9_000)),
        format!("SELECT {}", chain("a", "+", 9_000)) + " FROM t",
        format!("SELECT 1 FROM t WHERE {} > 0", chain("a", "+", 9_000)),
        format!("SELECT id FROM t WHERE {}", chain("a = 1", " AND ", 4_500)),
        format!("INSERT INTO t VALUES (2, {}, 'b')", chain("1", "+", 9_000)),
        format!("EXPLAIN SELECT {}", chain("a", "+", 9_000)) + " FROM t",
        format!("SELECT count(*) + {} FROM t", chain("1", "+", 9_000)),
        format!("SELECT {}", chain("'a'", "||", 20_000)),
        format!("SELECT {}", chain("1", "+", 100_000)),
        format!("SELECT (({}))", chain("1", "*", 100_000)),
    ];
    let errors = on_stack(2, move || {
        let mut s = session();
        let mut errors = Vec::new();
        for sql in &statements {
            let e = s.execute(sql).expect_err("too deep");
            errors.push((sql[..30].to_string(), e.sqlstate(), e.to_string()));
            // The session and its transaction state are intact.
            let r = s.execute("SELECT a FROM t WHERE id = 1").unwrap();
            assert_eq!(one_value(r), Value::Integer(1));
        }
        errors
    });
    for (sql, state, message) in errors {
        assert_eq!(
            (state, message.as_str()),
            ("54001", "stack depth limit exceeded"),
            "{sql}"
        );
    }
}

#[test]
fn a_thousand_terms_give_the_right_answer_on_a_large_stack() {
    let results = on_stack(16, || {
        let mut s = session();
        s.set_max_stack_depth(12 << 20);
        let constant = s.execute(&format!("SELECT {}", chain("1", "+", 1_000)));
        let column = s.execute(&format!("SELECT {} FROM t", chain("a", "+", 1_000)));
        let filter = s.execute(&format!(
            "SELECT id FROM t WHERE {}",
            chain("a = 1", " AND ", 1_000)
        ));
        [constant, column, filter].map(|r| one_value(r.unwrap()))
    });
    assert_eq!(
        results,
        [
            Value::Integer(1_000),
            Value::Integer(1_000),
            Value::Integer(1)
        ]
    );
}

#[test]
fn long_expressions_over_group_keys_are_matched_without_printing_them() {
    let results = on_stack(16, || {
        let mut s = session();
        s.set_max_stack_depth(12 << 20);
        let long = chain("a", "+", 3_000);
        let over_key = s.execute(&format!("SELECT {long} FROM t GROUP BY a"));
        let is_key = s.execute(&format!("SELECT {long}, count(*) FROM t GROUP BY {long}"));
        let ungrouped = s
            .execute(&format!("SELECT {long} + id FROM t GROUP BY a"))
            .map_err(|e| e.sqlstate());
        (
            one_value(over_key.unwrap()),
            one_value(is_key.unwrap()),
            ungrouped.err(),
        )
    });
    assert_eq!(
        results,
        (Value::Integer(3_000), Value::Integer(3_000), Some("42803"))
    );
}

#[test]
fn a_case_with_thousands_of_branches_is_wide_not_deep_and_runs() {
    let value = on_stack(2, || {
        let mut s = session();
        let branches: String = (0..3_500)
            .map(|i| format!("WHEN a = {i} THEN {} ", i * 10))
            .collect();
        let r = s.execute(&format!("SELECT CASE {branches}ELSE -1 END FROM t"));
        one_value(r.expect("a wide CASE runs"))
    });
    assert_eq!(value, Value::Integer(10));
}
