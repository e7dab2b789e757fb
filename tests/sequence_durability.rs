//! Sequences survive closing, checkpoints, log rewrites and SIGKILL: after the database
//! is opened again, `nextval` never returns a value it returned before (a committed row
//! may hold it), and skips at most one batch of values, as PostgreSQL does.
//!
//! The crash test runs this binary again as a child (with [`CHILD_DIR`] set) that inserts
//! into a SERIAL table under `appendfsync always`, printing `row <id>` once each insert
//! committed and `took <v>` for values it took in transactions it rolled back, until the
//! parent kills it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use isolde::sql::sequence::BATCH;
use isolde::sql::Value;
use isolde::{Db, FsyncPolicy, Options, QueryResult, Session};

const CHILD_DIR: &str = "ISOLDE_SEQUENCE_CHILD_DIR";

fn options() -> Options {
    Options {
        appendfsync: FsyncPolicy::Always,
        save: Vec::new(),
        ..Options::default()
    }
}

fn run(s: &mut Session, sql: &str) -> QueryResult {
    s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn int(s: &mut Session, sql: &str) -> i64 {
    match run(s, sql).rows.as_slice() {
        [row] => match row.as_slice() {
            [Value::Integer(v)] => *v,
            other => panic!("{sql}: not one integer: {other:?}"),
        },
        other => panic!("{sql}: not one row: {other:?}"),
    }
}

/// Takes `n` values of `s` in committed rows and in rolled-back transactions; returns
/// the largest.
fn take(db: &Db, n: usize) -> i64 {
    let mut s = db.session();
    let mut last = 0;
    for i in 0..n {
        if i % 3 == 0 {
            run(&mut s, "BEGIN");
            last = int(&mut s, "SELECT nextval('t_id_seq')");
            run(&mut s, "ROLLBACK");
        } else {
            last = int(&mut s, "INSERT INTO t (v) VALUES (1) RETURNING id");
        }
    }
    last
}

/// Checks that the next value after reopening is past `last` by at most a batch.
fn check_next(db: &Db, last: i64) {
    let next = int(&mut db.session(), "SELECT nextval('t_id_seq')");
    assert!(next > last, "{next} was handed out before (up to {last})");
    assert!(
        next <= last + 1 + BATCH as i64,
        "{next} skips more than a batch after {last}"
    );
}

#[test]
fn values_handed_out_before_closing_are_never_handed_out_after_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut last = 0;
    for round in 0..3 {
        let db = Db::open(dir.path(), options()).expect("open");
        if round == 0 {
            run(
                &mut db.session(),
                "CREATE TABLE t (id serial PRIMARY KEY, v int)",
            );
        } else {
            check_next(&db, last);
        }
        last = take(&db, 40);
    }
}

#[test]
fn a_checkpoint_or_a_log_rewrite_keeps_the_sequence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let last = {
        let db = Db::open(dir.path(), options()).expect("open");
        run(
            &mut db.session(),
            "CREATE TABLE t (id serial PRIMARY KEY, v int)",
        );
        take(&db, 40);
        db.checkpoint().expect("checkpoint");
        take(&db, 40);
        db.rewrite_log().expect("rewrite");
        take(&db, 10)
    };
    let db = Db::open(dir.path(), options()).expect("reopen");
    check_next(&db, last);
    let rows = int(&mut db.session(), "SELECT count(*) FROM t");
    // take(n) commits a row for every value but each third: 26 + 26 + 6.
    assert_eq!(rows, 58, "every committed row survived");
}

/// The child's entry point: does nothing unless run by the crash test.
#[test]
fn child_process_inserts_serial_rows_until_killed() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let db = Db::open(&dir, options()).expect("child: open");
    let mut s = db.session();
    run(
        &mut s,
        "CREATE TABLE IF NOT EXISTS t (id serial PRIMARY KEY, v int)",
    );
    println!("ready");
    for i in 0.. {
        if i % 3 == 0 {
            run(&mut s, "BEGIN");
            let v = int(&mut s, "SELECT nextval('t_id_seq')");
            run(&mut s, "ROLLBACK");
            println!("took {v}");
        } else {
            let id = int(&mut s, "INSERT INTO t (v) VALUES (1) RETURNING id");
            println!("row {id}");
        }
    }
}

/// Runs the child on `dir` until it has reported `wanted` values, kills it, and returns
/// the rows it reported committed and the largest value it reported at all.
fn run_child_and_kill(dir: &std::path::Path, wanted: usize) -> (Vec<i64>, i64) {
    let mut child = Command::new(std::env::current_exe().expect("current_exe"))
        .args([
            "--exact",
            "child_process_inserts_serial_rows_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let (send, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let (mut rows, mut largest, mut took) = (Vec::new(), 0, 0);
    let mut hear = |line: &str| {
        let number = |n: &str| n.parse::<i64>().expect("child prints numbers");
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["row", id] => {
                rows.push(number(id));
                largest = largest.max(number(id));
            }
            ["took", v] => {
                largest = largest.max(number(v));
                took += 1;
            }
            _ => {}
        }
        took + rows.len()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut heard = 0;
    while heard < wanted {
        assert!(Instant::now() < deadline, "child made no progress");
        match lines.recv_timeout(Duration::from_millis(10)) {
            Ok(line) => heard = hear(&line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("child ended by itself"),
        }
    }
    child.kill().expect("SIGKILL child");
    child.wait().expect("wait child");
    for line in lines.iter() {
        hear(&line);
    }
    (rows, largest)
}

#[test]
fn after_sigkill_under_appendfsync_always_no_value_is_handed_out_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut largest = 0;
    let mut committed = Vec::new();
    for _ in 0..2 {
        let (rows, top) = run_child_and_kill(dir.path(), 2 * BATCH as usize + 5);
        committed.extend(rows);
        largest = largest.max(top);
        let db = Db::open(dir.path(), options()).expect("reopen after SIGKILL");
        let mut s = db.session();
        let stored = run(&mut s, "SELECT id FROM t ORDER BY id").rows;
        let stored: Vec<i64> = stored
            .iter()
            .map(|r| match r.as_slice() {
                [Value::Integer(v)] => *v,
                other => panic!("not an id: {other:?}"),
            })
            .collect();
        for id in &committed {
            assert!(stored.contains(id), "acknowledged row {id} was lost");
        }
        let next = int(&mut s, "SELECT nextval('t_id_seq')");
        let top_stored = stored.iter().copied().max().unwrap_or(0);
        assert!(
            next > largest && next > top_stored,
            "{next} handed out again (child reported up to {largest}, rows up to {top_stored})"
        );
        largest = next;
    }
}
