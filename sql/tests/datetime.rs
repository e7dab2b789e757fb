//! Dates and times across statements, transactions, cached plans and restarts: `now()`
//! is the transaction's start (the same in every statement of a block, later in the
//! next transaction), a prepared or cached statement reads the clock at each
//! execution, stored values and clock defaults survive a restart, and `\d` names the
//! types as PostgreSQL does.

use std::thread::sleep;
use std::time::Duration;

use isolde_sql::{DataType, Description, Session, Value};
use isolde_txn::{Options, TxnManager};

fn session() -> Session {
    Session::new(TxnManager::in_memory(Options::default()))
}

/// The single value `sql` returns.
fn value(s: &mut Session, sql: &str) -> Value {
    let r = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.rows[0][0].clone()
}

fn micros(v: &Value) -> i64 {
    match v {
        Value::TimestampTz(t) | Value::Timestamp(t) => *t,
        other => panic!("not a timestamp: {other:?}"),
    }
}

/// Long enough for the microsecond clock to move on.
fn tick() {
    sleep(Duration::from_millis(2));
}

#[test]
fn now_is_the_same_within_a_transaction_and_moves_between_transactions() {
    let mut s = session();
    s.execute("BEGIN").unwrap();
    tick();
    let first = micros(&value(&mut s, "SELECT now()"));
    let first_statement = micros(&value(&mut s, "SELECT statement_timestamp()"));
    tick();
    assert_eq!(micros(&value(&mut s, "SELECT current_timestamp")), first);
    assert_eq!(micros(&value(&mut s, "SELECT localtimestamp")), first);
    assert!(micros(&value(&mut s, "SELECT statement_timestamp()")) > first_statement);
    assert!(micros(&value(&mut s, "SELECT clock_timestamp()")) > first);
    s.execute("COMMIT").unwrap();
    tick();
    let next = micros(&value(&mut s, "SELECT now()"));
    assert!(next > first, "{next} after {first}");
    tick();
    assert!(micros(&value(&mut s, "SELECT now()")) > next);
}

#[test]
fn the_statement_time_is_never_later_than_what_the_statement_saw() {
    // The statement's time is read from the clock when first asked for: a clock read or
    // a sleep before that fixes it first, so it still comes before them, as the time a
    // statement began does.
    let mut s = session();
    let r = s
        .execute("SELECT clock_timestamp() >= statement_timestamp(), statement_timestamp() = now()")
        .expect("select");
    assert_eq!(
        r.rows,
        vec![vec![Value::Boolean(true), Value::Boolean(true)]]
    );
    let r = s
        .execute("SELECT pg_sleep(0.05), clock_timestamp() - now() >= INTERVAL '50 milliseconds'")
        .expect("select");
    assert_eq!(
        r.rows[0][1],
        Value::Boolean(true),
        "now() came after the sleep"
    );
    // Defaults evaluated row by row, in column order, outside any cached plan.
    for sql in [
        "CREATE TABLE t (id INT PRIMARY KEY)",
        "INSERT INTO t VALUES (1), (2)",
        "ALTER TABLE t ADD COLUMN c TIMESTAMPTZ DEFAULT clock_timestamp(), \
         ADD COLUMN n TIMESTAMPTZ DEFAULT now()",
        "INSERT INTO t (id) VALUES (3)",
    ] {
        s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let r = s.execute("SELECT bool_and(c >= n) FROM t").expect("select");
    assert_eq!(
        r.rows,
        vec![vec![Value::Boolean(true)]],
        "now() came after clock_timestamp()"
    );
}

#[test]
fn now_in_a_block_is_the_time_of_its_begin() {
    let mut s = session();
    let before = micros(&value(&mut s, "SELECT clock_timestamp()"));
    s.execute("BEGIN").unwrap();
    tick();
    let now = micros(&value(&mut s, "SELECT now()"));
    let clock = micros(&value(&mut s, "SELECT clock_timestamp()"));
    assert!(
        before <= now && now + 1_000 < clock,
        "{before} {now} {clock}"
    );
}

#[test]
fn a_prepared_statement_reads_the_clock_at_each_execution() {
    let mut s = session();
    let select = s
        .prepare("SELECT now(), current_date, $1::interval")
        .unwrap();
    let interval = [Value::from("1 hour")];
    let first = s.execute_prepared(&select, &interval).unwrap();
    tick();
    let second = s.execute_prepared(&select, &interval).unwrap();
    assert!(micros(&second.rows[0][0]) > micros(&first.rows[0][0]));
    assert_eq!(second.rows[0][2].to_string(), "01:00:00");
    // The same text run again, through the session's statement and plan caches.
    let sql = "SELECT now() + INTERVAL '1 day' - INTERVAL '1 day'";
    let first = micros(&value(&mut s, sql));
    tick();
    assert!(micros(&value(&mut s, sql)) > first);
}

#[test]
fn a_cached_insert_and_a_cached_filter_read_the_clock_at_each_execution() {
    let mut s = session();
    s.execute("CREATE TABLE log (id INT PRIMARY KEY, at TIMESTAMPTZ DEFAULT now())")
        .unwrap();
    let insert = s.prepare("INSERT INTO log (id) VALUES ($1)").unwrap();
    s.execute_prepared(&insert, &[Value::Integer(1)]).unwrap();
    tick();
    s.execute_prepared(&insert, &[Value::Integer(2)]).unwrap();
    let r = s.execute("SELECT count(DISTINCT at) FROM log").unwrap();
    assert_eq!(r.rows[0][0].to_string(), "2");
    let recent = s
        .prepare("SELECT count(*) FROM log WHERE at > now() - $1::interval")
        .unwrap();
    let count = |s: &mut Session| {
        let r = s
            .execute_prepared(&recent, &[Value::from("0.001 seconds")])
            .unwrap();
        r.rows[0][0].to_string()
    };
    tick();
    assert_eq!(count(&mut s), "0");
    s.execute_prepared(&insert, &[Value::Integer(3)]).unwrap();
    assert_eq!(
        count(&mut s),
        "1",
        "a frozen now() would not see the new row"
    );
}

#[test]
fn a_condition_on_now_finds_rows_through_an_index() {
    let mut s = session();
    for sql in [
        "CREATE TABLE t (id INT PRIMARY KEY, ts TIMESTAMPTZ)",
        "CREATE INDEX t_ts ON t (ts)",
        "INSERT INTO t VALUES (1, '2000-01-01 00:00+00'), (2, now())",
    ] {
        s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // A scan of every row would divide by zero in row 1, which the index range on
    // `ts` never reaches.
    let recent = "SELECT id FROM t WHERE 1 / (id - 1) > 0 AND ts > now() - INTERVAL '1 hour'";
    for _ in 0..2 {
        assert_eq!(value(&mut s, recent).to_string(), "2");
    }
    let prepared = s
        .prepare("SELECT id FROM t WHERE 1 / (id - 1) > 0 AND ts >= current_date - $1::int")
        .unwrap();
    let r = s.execute_prepared(&prepared, &[Value::Integer(1)]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(2)]]);
}

#[test]
fn dates_times_and_clock_defaults_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let open = || Session::new(TxnManager::open(dir.path(), Options::default()).unwrap().0);
    let mut s = open();
    for sql in [
        "CREATE TABLE t (d DATE PRIMARY KEY, ts TIMESTAMP, tz TIMESTAMPTZ DEFAULT now(), \
         i INTERVAL, due DATE DEFAULT '2024-12-31')",
        "CREATE INDEX t_ts ON t (ts)",
        "INSERT INTO t (d, ts, i) VALUES ('2024-02-29', '2024-02-29 12:34:56.789', '1 year 2 mons')",
        "INSERT INTO t (d, ts, i) VALUES ('0044-03-15 BC', '0044-03-15 12:00 BC', '-1 day 01:00')",
    ] {
        s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    s.execute("CHECKPOINT").unwrap();
    s.execute(
        "INSERT INTO t (d, ts, i) VALUES ('2023-01-01', '2023-01-01 00:00', '00:00:00.000001')",
    )
    .unwrap();
    drop(s);
    let mut s = open();
    let r = s
        .execute("SELECT d, ts, i, due, tz < now() FROM t WHERE ts >= TIMESTAMP '2023-01-01' ORDER BY ts")
        .unwrap();
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| row.iter().map(Value::to_string).collect())
        .collect();
    assert_eq!(
        rows,
        [
            [
                "2023-01-01",
                "2023-01-01 00:00:00",
                "00:00:00.000001",
                "2024-12-31",
                "t"
            ],
            [
                "2024-02-29",
                "2024-02-29 12:34:56.789",
                "1 year 2 mons",
                "2024-12-31",
                "t"
            ],
        ]
    );
    let r = s.execute("SELECT d FROM t ORDER BY d LIMIT 1").unwrap();
    assert_eq!(r.rows[0][0].to_string(), "0044-03-15 BC");
    s.execute("INSERT INTO t (d) VALUES ('2025-01-01')")
        .unwrap();
    let r = s
        .execute("SELECT tz > TIMESTAMPTZ '2024-01-01 00:00+00' FROM t WHERE d = '2025-01-01'")
        .unwrap();
    assert_eq!(
        r.rows[0][0].to_string(),
        "t",
        "the clock default is still there"
    );
}

#[test]
fn describe_names_the_types_and_clock_defaults_as_postgres_does() {
    let mut s = session();
    s.execute(
        "CREATE TABLE t (d DATE, a TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP, \
         b TIMESTAMPTZ DEFAULT now(), c TIMESTAMP WITH TIME ZONE, i INTERVAL DEFAULT '1 day', \
         e DATE DEFAULT current_date, f DATE DEFAULT '2024-01-01')",
    )
    .unwrap();
    let Some(Description::Table(t)) = s.describe_relation("t").unwrap() else {
        panic!("t is a table");
    };
    let shown: Vec<(String, String, Option<String>)> = t
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.to_string(), c.default.clone()))
        .collect();
    let expected = [
        ("d", "date", None),
        (
            "a",
            "timestamp without time zone",
            Some("CURRENT_TIMESTAMP"),
        ),
        ("b", "timestamp with time zone", Some("now()")),
        ("c", "timestamp with time zone", None),
        ("i", "interval", Some("'1 day'::interval")),
        ("e", "date", Some("CURRENT_DATE")),
        ("f", "date", Some("'2024-01-01'::date")),
    ];
    let expected: Vec<(String, String, Option<String>)> = expected
        .iter()
        .map(|(n, t, d)| (n.to_string(), t.to_string(), d.map(String::from)))
        .collect();
    assert_eq!(shown, expected);
    assert_eq!(t.columns[1].ty, DataType::Timestamp);
}
