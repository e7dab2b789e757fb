//! A session's thread has a large stack: long expressions that PostgreSQL evaluates run
//! there, and deeper ones fail with 54001 while the process and the session go on.

use std::time::Duration;

use isolde::sessions::{Progress, Sessions};
use isolde::Db;

const WAIT: Duration = Duration::from_secs(60);

fn run(sessions: &mut Sessions, sql: &str) -> Result<isolde::QueryResult, isolde_sql::Error> {
    sessions.submit("s", sql).unwrap();
    match sessions.wait("s", WAIT) {
        Progress::Done(done) => done.result,
        other => panic!("expected completion, got {other:?}"),
    }
}

fn sum_of_ones(terms: usize) -> String {
    format!("SELECT {}", vec!["1"; terms].join("+"))
}

#[test]
fn a_session_thread_evaluates_thousands_of_terms_and_refuses_deeper_ones_cleanly() {
    let mut sessions = Sessions::new(Db::open_in_memory());
    let r = run(&mut sessions, &sum_of_ones(2_000)).unwrap();
    assert_eq!(r.rows, vec![vec![isolde_sql::Value::Integer(2_000)]]);
    for terms in [9_000, 100_000] {
        let e = run(&mut sessions, &sum_of_ones(terms)).unwrap_err();
        assert_eq!(e.sqlstate(), "54001", "{terms} terms: {e}");
    }
    let r = run(&mut sessions, "SELECT 1").unwrap();
    assert_eq!(r.rows, vec![vec![isolde_sql::Value::Integer(1)]]);
}
