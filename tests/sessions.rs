//! The multi-session runtime: statements on their own threads, blocking seen from the
//! lock-wait table, completions delivered when the lock is released.

use std::time::Duration;

use isolde::sessions::{Progress, Sessions};
use isolde::Db;

const WAIT: Duration = Duration::from_secs(5);

fn run(sessions: &mut Sessions, name: &str, sql: &str) -> isolde::QueryResult {
    sessions.submit(name, sql).unwrap();
    match sessions.wait(name, WAIT) {
        Progress::Done(done) => done.result.unwrap_or_else(|e| panic!("{sql}: {e}")),
        other => panic!("{sql}: expected completion, got {other:?}"),
    }
}

#[test]
fn a_statement_blocked_by_another_session_is_reported_with_its_holder_and_completes_later() {
    let mut sessions = Sessions::new(Db::open_in_memory());
    run(
        &mut sessions,
        "setup",
        "CREATE TABLE t (id INT PRIMARY KEY, v INT)",
    );
    run(&mut sessions, "setup", "INSERT INTO t VALUES (1, 10)");
    run(&mut sessions, "a", "BEGIN");
    run(&mut sessions, "a", "UPDATE t SET v = 11 WHERE id = 1");
    run(&mut sessions, "b", "BEGIN ISOLATION LEVEL REPEATABLE READ");
    sessions
        .submit("b", "UPDATE t SET v = 12 WHERE id = 1")
        .unwrap();
    match sessions.wait("b", WAIT) {
        Progress::Blocked { holders } => assert_eq!(holders, vec!["a".to_string()]),
        other => panic!("expected b to block on a, got {other:?}"),
    }
    assert!(sessions.status("b").unwrap().running.is_some());
    assert!(
        sessions.submit("b", "SELECT 1").is_err(),
        "a busy session takes no new statement"
    );
    run(&mut sessions, "a", "COMMIT");
    match sessions.wait("b", WAIT) {
        Progress::Done(done) => {
            let err = done
                .result
                .expect_err("b must fail with a serialization error");
            assert_eq!(err.sqlstate(), "40001", "{err}");
        }
        other => panic!("expected b to complete, got {other:?}"),
    }
    let status = sessions.status("b").unwrap();
    assert!(status.in_transaction && status.failed);
}

#[test]
fn sessions_keep_their_own_transactions_and_levels() {
    let mut sessions = Sessions::new(Db::open_in_memory());
    run(&mut sessions, "a", "BEGIN ISOLATION LEVEL SERIALIZABLE");
    let a = sessions.status("a").unwrap();
    let b = {
        sessions.open("b");
        sessions.status("b").unwrap()
    };
    assert!(a.in_transaction && !b.in_transaction);
    assert_eq!(a.level.short_name(), "SER");
    assert_eq!(sessions.names(), ["a".to_string(), "b".to_string()]);
}
