//! Point SELECT and single-row UPDATE by primary key, through a prepared statement and
//! through the statement cache, on a 10,000-row table.

use criterion::{criterion_group, criterion_main, Criterion};
use isolde_sql::{Session, Value};
use isolde_txn::{Options, TxnManager};

const ROWS: i64 = 10_000;

fn setup() -> Session {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    s.execute("CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT, balance INT)")
        .unwrap();
    let insert = s
        .prepare("INSERT INTO accounts VALUES ($1, $2, 100)")
        .unwrap();
    s.execute("BEGIN").unwrap();
    for i in 0..ROWS {
        s.execute_prepared(&insert, &[Value::Integer(i), Value::from("someone")])
            .unwrap();
    }
    s.execute("COMMIT").unwrap();
    s
}

fn point_queries(c: &mut Criterion) {
    let mut s = setup();
    let mut group = c.benchmark_group("sql");
    group
        .sample_size(20)
        .measurement_time(std::time::Duration::from_secs(2));
    let select = s
        .prepare("SELECT balance FROM accounts WHERE id = $1")
        .unwrap();
    let mut i = 0;
    group.bench_function("point_select_prepared", |b| {
        b.iter(|| {
            i = (i + 7919) % ROWS;
            s.execute_prepared(&select, &[Value::Integer(i)]).unwrap()
        })
    });
    group.bench_function("point_select_cached_text", |b| {
        b.iter(|| {
            s.execute("SELECT balance FROM accounts WHERE id = 4242")
                .unwrap()
        })
    });
    let update = s
        .prepare("UPDATE accounts SET balance = balance + 1 WHERE id = $1")
        .unwrap();
    group.bench_function("point_update_prepared_autocommit", |b| {
        b.iter(|| {
            i = (i + 7919) % ROWS;
            s.execute_prepared(&update, &[Value::Integer(i)]).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, point_queries);
criterion_main!(benches);
