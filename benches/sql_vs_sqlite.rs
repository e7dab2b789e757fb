//! The SQL layer against SQLite (issue 5), the same workload on both in the same run:
//!
//! | group | one iteration | target |
//! |---|---|---|
//! | `sql_insert_100k` | `BEGIN`, 100,000 prepared single-row `INSERT`s, `COMMIT`, into a fresh empty table | isolde >= SQLite rows/s |
//! | `sql_point_select_100k` | 100,000 prepared `SELECT id, name, balance FROM t WHERE id = $1` with random ids, autocommit, on a 100,000-row table | isolde >= SQLite selects/s |
//! | `sql_update_10k` | 10,000 prepared autocommit `UPDATE t SET balance = balance + 1 WHERE id = $1` with random ids, same table | isolde >= SQLite updates/s |
//!
//! The table is `t (id INTEGER PRIMARY KEY, name TEXT, balance INTEGER)`. Each engine runs
//! in two modes:
//!
//! - `memory`: `Db::open_in_memory()` against SQLite's `:memory:` database. Neither logs.
//! - `file`: a database in a temp dir, isolde with `appendfsync no`, SQLite with
//!   `journal_mode=WAL` and `synchronous=OFF`. Both write their log to the OS and never
//!   fsync. isolde's automatic checkpoints and log rewrites are off, so that background
//!   work does not land in random samples; SQLite keeps its automatic WAL checkpoints
//!   (they are part of its commit path, not a separate thread).
//!
//! Both sides use prepared statements with parameters (rusqlite's `prepare_cached`,
//! isolde's `Session::prepare`) and read every column of every selected row. Creating
//! and filling tables is outside the timed part (`iter_custom`). Criterion's throughput
//! is per row/statement, so its report reads directly as operations per second.
//!
//! Run with `cargo bench --bench sql_vs_sqlite` (a group alone: `cargo bench --bench
//! sql_vs_sqlite -- sql_update`).

mod support;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use isolde::{Db, FsyncPolicy, Options};
use isolde_sql::{Session, Value};
use rusqlite::Connection;
use tempfile::TempDir;

/// Rows in the table.
const ROWS: i64 = 100_000;
/// Point selects per iteration.
const SELECTS: u64 = 100_000;
/// Autocommit updates per iteration.
const UPDATES: u64 = 10_000;

const CREATE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, balance INTEGER)";
const ISOLDE_INSERT: &str = "INSERT INTO t (id, name, balance) VALUES ($1, $2, $3)";
const ISOLDE_SELECT: &str = "SELECT id, name, balance FROM t WHERE id = $1";
const ISOLDE_UPDATE: &str = "UPDATE t SET balance = balance + 1 WHERE id = $1";
const SQLITE_INSERT: &str = "INSERT INTO t (id, name, balance) VALUES (?1, ?2, ?3)";
const SQLITE_SELECT: &str = "SELECT id, name, balance FROM t WHERE id = ?1";
const SQLITE_UPDATE: &str = "UPDATE t SET balance = balance + 1 WHERE id = ?1";

/// xorshift64*: cheap enough not to show next to a statement.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A random existing id, `1..=ROWS`.
    fn id(&mut self) -> i64 {
        (self.next() % ROWS as u64) as i64 + 1
    }
}

/// Where a database lives.
#[derive(Clone, Copy)]
enum Mode {
    Memory,
    File,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Memory => "memory",
            Mode::File => "file",
        }
    }
}

/// An isolde database with a session on it; the temp dir lives as long as the database.
struct Isolde {
    session: Session,
    _db: Db,
    _dir: Option<TempDir>,
}

impl Isolde {
    /// A fresh database with an empty table `t`.
    fn new(mode: Mode) -> Isolde {
        let (db, dir) = match mode {
            Mode::Memory => (Db::open_in_memory(), None),
            Mode::File => {
                let dir = tempfile::tempdir().expect("tempdir");
                let options = Options {
                    appendfsync: FsyncPolicy::No,
                    save: Vec::new(),
                    wal_rewrite_percentage: 0,
                    ..Options::default()
                };
                let db = Db::open(dir.path().join("db"), options).expect("open");
                (db, Some(dir))
            }
        };
        let mut session = db.session();
        session.execute(CREATE).expect("create table");
        Isolde {
            session,
            _db: db,
            _dir: dir,
        }
    }

    /// Inserts rows `1..=ROWS` in one transaction.
    fn insert_all(&mut self) {
        let s = &mut self.session;
        let insert = s.prepare(ISOLDE_INSERT).expect("prepare insert");
        s.execute("BEGIN").expect("begin");
        for id in 1..=ROWS {
            let params = [
                Value::Integer(id),
                Value::Text(format!("user{id}")),
                Value::Integer(1000),
            ];
            s.execute_prepared(&insert, &params).expect("insert");
        }
        s.execute("COMMIT").expect("commit");
    }

    fn point_selects(&mut self, rng: &mut Rng, count: u64) {
        let select = self.session.prepare(ISOLDE_SELECT).expect("prepare select");
        for _ in 0..count {
            let r = self
                .session
                .execute_prepared(&select, &[Value::Integer(rng.id())])
                .expect("select");
            assert_eq!(r.rows.len(), 1);
            black_box(r.rows);
        }
    }

    fn updates(&mut self, rng: &mut Rng, count: u64) {
        let update = self.session.prepare(ISOLDE_UPDATE).expect("prepare update");
        for _ in 0..count {
            let r = self
                .session
                .execute_prepared(&update, &[Value::Integer(rng.id())])
                .expect("update");
            assert_eq!(r.rows_affected(), Some(1));
        }
    }
}

/// A SQLite connection; the temp dir lives as long as the connection.
struct Sqlite {
    conn: Connection,
    _dir: Option<TempDir>,
}

impl Sqlite {
    /// A fresh database with an empty table `t`.
    fn new(mode: Mode) -> Sqlite {
        let (conn, dir) = match mode {
            Mode::Memory => (Connection::open_in_memory().expect("open"), None),
            Mode::File => {
                let dir = tempfile::tempdir().expect("tempdir");
                let conn = open_sqlite_file(&dir.path().join("db.sqlite"));
                (conn, Some(dir))
            }
        };
        conn.execute(CREATE, []).expect("create table");
        Sqlite { conn, _dir: dir }
    }

    fn insert_all(&mut self) {
        self.conn.execute_batch("BEGIN").expect("begin");
        {
            let mut insert = self
                .conn
                .prepare_cached(SQLITE_INSERT)
                .expect("prepare insert");
            for id in 1..=ROWS {
                let name = format!("user{id}");
                insert
                    .execute(rusqlite::params![id, name, 1000_i64])
                    .expect("insert");
            }
        }
        self.conn.execute_batch("COMMIT").expect("commit");
    }

    fn point_selects(&mut self, rng: &mut Rng, count: u64) {
        let mut select = self
            .conn
            .prepare_cached(SQLITE_SELECT)
            .expect("prepare select");
        for _ in 0..count {
            let row = select
                .query_row([rng.id()], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .expect("select");
            black_box(row);
        }
    }

    fn updates(&mut self, rng: &mut Rng, count: u64) {
        let mut update = self
            .conn
            .prepare_cached(SQLITE_UPDATE)
            .expect("prepare update");
        for _ in 0..count {
            let n = update.execute([rng.id()]).expect("update");
            assert_eq!(n, 1);
        }
    }
}

fn open_sqlite_file(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA synchronous=OFF")
        .expect("synchronous");
    conn
}

fn new_group<'a>(
    c: &'a mut Criterion,
    name: &str,
    per_iter: u64,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(per_iter));
    group
}

fn insert(c: &mut Criterion) {
    let mut group = new_group(c, "sql_insert_100k", ROWS as u64);
    for mode in [Mode::Memory, Mode::File] {
        group.bench_function(format!("isolde {}", mode.name()), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut db = Isolde::new(mode);
                    let started = Instant::now();
                    db.insert_all();
                    total += started.elapsed();
                }
                total
            })
        });
        group.bench_function(format!("sqlite {}", mode.name()), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut db = Sqlite::new(mode);
                    let started = Instant::now();
                    db.insert_all();
                    total += started.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

fn selects_and_updates(c: &mut Criterion) {
    for mode in [Mode::Memory, Mode::File] {
        let mut isolde = Isolde::new(mode);
        isolde.insert_all();
        let mut sqlite = Sqlite::new(mode);
        sqlite.insert_all();

        let mut group = new_group(c, "sql_point_select_100k", SELECTS);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        group.bench_function(format!("isolde {}", mode.name()), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    isolde.point_selects(&mut rng, SELECTS);
                }
                started.elapsed()
            })
        });
        group.bench_function(format!("sqlite {}", mode.name()), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    sqlite.point_selects(&mut rng, SELECTS);
                }
                started.elapsed()
            })
        });
        group.finish();

        let mut group = new_group(c, "sql_update_10k", UPDATES);
        group.bench_function(format!("isolde {}", mode.name()), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    isolde.updates(&mut rng, UPDATES);
                }
                started.elapsed()
            })
        });
        group.bench_function(format!("sqlite {}", mode.name()), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    sqlite.updates(&mut rng, UPDATES);
                }
                started.elapsed()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, insert, selects_and_updates);
criterion_main!(benches);
