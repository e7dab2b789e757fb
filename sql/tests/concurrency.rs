//! Two sessions on one database, with threads for the statements that block: row locks,
//! READ COMMITTED's re-check of the WHERE clause on the newest row version, first-updater
//! -wins at REPEATABLE READ, unique checks against concurrent inserts, SERIALIZABLE write
//! skew, deadlocks.

use std::thread::{self, JoinHandle};
use std::time::Duration;

use isolde_sql::{Error, QueryResult, Session, Value};
mod common;

use common::{ok, sessions};

fn ints(r: &QueryResult) -> Vec<Vec<i64>> {
    r.rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| {
                    if let Value::Integer(i) = v {
                        *i
                    } else {
                        i64::MIN
                    }
                })
                .collect()
        })
        .collect()
}

/// Runs `sql` on another thread and checks that it is still waiting a moment later.
fn blocked(mut s: Session, sql: &'static str) -> JoinHandle<(Session, Result<QueryResult, Error>)> {
    let h = thread::spawn(move || {
        let r = s.execute(sql);
        (s, r)
    });
    thread::sleep(Duration::from_millis(150));
    assert!(
        !h.is_finished(),
        "{sql} should wait for the other transaction's row lock"
    );
    h
}

fn join(
    h: JoinHandle<(Session, Result<QueryResult, Error>)>,
) -> (Session, Result<QueryResult, Error>) {
    h.join().expect("statement thread does not panic")
}

#[test]
fn sessions_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Session>();
}

#[test]
fn read_committed_delete_skips_a_row_that_no_longer_matches_after_waiting() {
    // PostgreSQL's documented example: hits 9 and 10 become 10 and 11 while the DELETE
    // waits; the DELETE re-checks the row it saw as 10, now 11, and deletes nothing.
    let (mut s1, s2) = sessions(
        "CREATE TABLE website (id INT PRIMARY KEY, hits INT); INSERT INTO website VALUES (1, 9), (2, 10)",
    );
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "UPDATE website SET hits = hits + 1");
    let h = blocked(s2, "DELETE FROM website WHERE hits = 10");
    ok(&mut s1, "COMMIT");
    let (_, r) = join(h);
    assert_eq!(r.expect("delete succeeds").tag, "DELETE 0");
    let rows = ok(&mut s1, "SELECT id, hits FROM website ORDER BY id");
    assert_eq!(ints(&rows), vec![vec![1, 10], vec![2, 11]]);
}

#[test]
fn read_committed_update_applies_to_the_newest_version_when_it_still_matches() {
    let (mut s1, s2) = sessions(
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT); INSERT INTO accounts VALUES (1, 100), (2, 100)",
    );
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "UPDATE accounts SET balance = 200 WHERE id = 1");
    ok(&mut s1, "UPDATE accounts SET balance = 50 WHERE id = 2");
    let h = blocked(
        s2,
        "UPDATE accounts SET balance = balance + 100 WHERE balance >= 100",
    );
    ok(&mut s1, "COMMIT");
    let (_, r) = join(h);
    // Row 1 (now 200) still matches and gets +100 on top of the committed value: no lost
    // update. Row 2 (now 50) no longer matches and is skipped.
    assert_eq!(r.expect("update succeeds").tag, "UPDATE 1");
    let rows = ok(&mut s1, "SELECT id, balance FROM accounts ORDER BY id");
    assert_eq!(ints(&rows), vec![vec![1, 300], vec![2, 50]]);
}

#[test]
fn repeatable_read_rejects_concurrent_update() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT); INSERT INTO accounts VALUES (1, 100)",
    );
    ok(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut s1, "SELECT * FROM accounts");
    ok(&mut s2, "UPDATE accounts SET balance = 0 WHERE id = 1");
    let e = s1
        .execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
        .unwrap_err();
    assert_eq!(e.sqlstate(), "40001", "{e}");
    assert!(e.is_retryable());
    assert!(s1.transaction_failed());
    assert_eq!(s1.execute("SELECT 1").unwrap_err().sqlstate(), "25P02");
    assert_eq!(ok(&mut s1, "COMMIT").tag, "ROLLBACK");
    assert!(!s1.in_transaction());
}

#[test]
fn repeatable_read_writer_that_waited_for_a_committed_update_fails() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT); INSERT INTO accounts VALUES (1, 100)",
    );
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut s2, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut s2, "SELECT * FROM accounts");
    let h = blocked(s2, "UPDATE accounts SET balance = 2 WHERE id = 1");
    ok(&mut s1, "COMMIT");
    let (mut s2, r) = join(h);
    assert_eq!(r.unwrap_err().sqlstate(), "40001");
    ok(&mut s2, "ROLLBACK");
    assert_eq!(
        ints(&ok(&mut s2, "SELECT balance FROM accounts")),
        vec![vec![1]]
    );
}

#[test]
fn select_for_update_blocks_a_writer_until_commit() {
    let (mut s1, s2) =
        sessions("CREATE TABLE jobs (id INT PRIMARY KEY, n INT); INSERT INTO jobs VALUES (1, 0)");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "SELECT * FROM jobs WHERE id = 1 FOR UPDATE");
    let h = blocked(s2, "UPDATE jobs SET n = n + 1 WHERE id = 1");
    ok(&mut s1, "UPDATE jobs SET n = n + 10 WHERE id = 1");
    ok(&mut s1, "COMMIT");
    let (_, r) = join(h);
    assert_eq!(r.unwrap().tag, "UPDATE 1");
    assert_eq!(ints(&ok(&mut s1, "SELECT n FROM jobs")), vec![vec![11]]);
}

#[test]
fn select_for_share_does_not_block_another_sharer() {
    let (mut s1, mut s2) =
        sessions("CREATE TABLE jobs (id INT PRIMARY KEY, n INT); INSERT INTO jobs VALUES (1, 0)");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "SELECT * FROM jobs FOR SHARE");
    ok(&mut s2, "BEGIN");
    assert_eq!(ok(&mut s2, "SELECT * FROM jobs FOR SHARE").rows.len(), 1);
    ok(&mut s2, "COMMIT");
    ok(&mut s1, "COMMIT");
}

#[test]
fn concurrent_duplicate_insert_waits_then_fails_with_unique_violation() {
    let (mut s1, s2) = sessions("CREATE TABLE u (id INT PRIMARY KEY, email TEXT UNIQUE)");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "INSERT INTO u VALUES (1, 'a@x')");
    let h = blocked(s2, "INSERT INTO u VALUES (2, 'a@x')");
    ok(&mut s1, "COMMIT");
    let (_, r) = join(h);
    let e = r.unwrap_err();
    assert_eq!(e.sqlstate(), "23505", "{e}");
    assert!(e.to_string().contains("u_email_key"), "{e}");
}

#[test]
fn concurrent_duplicate_insert_succeeds_when_the_first_rolls_back() {
    let (mut s1, s2) = sessions("CREATE TABLE u (id INT PRIMARY KEY)");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "INSERT INTO u VALUES (1)");
    let h = blocked(s2, "INSERT INTO u VALUES (1)");
    ok(&mut s1, "ROLLBACK");
    let (_, r) = join(h);
    assert_eq!(r.unwrap().tag, "INSERT 0 1");
}

#[test]
fn serializable_prevents_write_skew_between_sql_transactions() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BOOLEAN); \
         INSERT INTO doctors VALUES ('alice', TRUE), ('bob', TRUE)",
    );
    for s in [&mut s1, &mut s2] {
        ok(s, "BEGIN ISOLATION LEVEL SERIALIZABLE");
        assert_eq!(
            ints(&ok(s, "SELECT count(*) FROM doctors WHERE on_call")),
            vec![vec![2]]
        );
    }
    ok(
        &mut s1,
        "UPDATE doctors SET on_call = FALSE WHERE name = 'alice'",
    );
    ok(
        &mut s2,
        "UPDATE doctors SET on_call = FALSE WHERE name = 'bob'",
    );
    let first = s1.execute("COMMIT");
    let second = s2.execute("COMMIT");
    let failures: Vec<&Error> = [&first, &second]
        .into_iter()
        .filter_map(|r| r.as_ref().err())
        .collect();
    assert_eq!(
        failures.len(),
        1,
        "exactly one commits: {first:?} {second:?}"
    );
    assert_eq!(failures[0].sqlstate(), "40001");
    assert_eq!(
        ints(&ok(&mut s1, "SELECT count(*) FROM doctors WHERE on_call")),
        vec![vec![1]]
    );
}

#[test]
fn repeatable_read_allows_the_same_write_skew() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BOOLEAN); \
         INSERT INTO doctors VALUES ('alice', TRUE), ('bob', TRUE)",
    );
    for s in [&mut s1, &mut s2] {
        ok(s, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        ok(s, "SELECT count(*) FROM doctors WHERE on_call");
    }
    ok(
        &mut s1,
        "UPDATE doctors SET on_call = FALSE WHERE name = 'alice'",
    );
    ok(
        &mut s2,
        "UPDATE doctors SET on_call = FALSE WHERE name = 'bob'",
    );
    ok(&mut s1, "COMMIT");
    ok(&mut s2, "COMMIT");
    assert_eq!(
        ints(&ok(&mut s1, "SELECT count(*) FROM doctors WHERE on_call")),
        vec![vec![0]]
    );
}

#[test]
fn deadlock_between_two_sessions_is_reported_as_40p01() {
    let (mut s1, mut s2) =
        sessions("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0), (2, 0)");
    ok(&mut s1, "BEGIN");
    ok(&mut s2, "BEGIN");
    ok(&mut s1, "UPDATE t SET v = 1 WHERE id = 1");
    ok(&mut s2, "UPDATE t SET v = 2 WHERE id = 2");
    let h = blocked(s1, "UPDATE t SET v = 1 WHERE id = 2");
    let second = s2.execute("UPDATE t SET v = 2 WHERE id = 1");
    let victim_is_s2 = second.is_err();
    if victim_is_s2 {
        assert_eq!(second.unwrap_err().sqlstate(), "40P01");
        ok(&mut s2, "ROLLBACK");
    }
    let (mut s1, first) = join(h);
    if victim_is_s2 {
        first.expect("the survivor goes on");
        ok(&mut s1, "COMMIT");
    } else {
        assert_eq!(first.unwrap_err().sqlstate(), "40P01");
        ok(&mut s2, "COMMIT");
    }
}

#[test]
fn uncommitted_ddl_is_invisible_to_other_sessions() {
    let (mut s1, mut s2) = sessions("SELECT 1");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "CREATE TABLE fresh (id INT PRIMARY KEY)");
    assert_eq!(
        s2.execute("SELECT * FROM fresh").unwrap_err().sqlstate(),
        "42P01"
    );
    ok(&mut s1, "COMMIT");
    assert_eq!(ok(&mut s2, "SELECT * FROM fresh").tag, "SELECT 0");
}

#[test]
fn read_committed_sees_other_commits_between_statements_but_repeatable_read_does_not() {
    let (mut s1, mut s2) =
        sessions("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0)");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "SELECT v FROM t");
    ok(&mut s2, "UPDATE t SET v = 1");
    assert_eq!(ints(&ok(&mut s1, "SELECT v FROM t")), vec![vec![1]]);
    ok(&mut s1, "COMMIT");
    ok(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut s1, "SELECT v FROM t");
    ok(&mut s2, "UPDATE t SET v = 2");
    assert_eq!(ints(&ok(&mut s1, "SELECT v FROM t")), vec![vec![1]]);
    ok(&mut s1, "COMMIT");
}

#[test]
fn concurrent_create_table_of_one_name_waits_then_fails() {
    let (mut s1, s2) = sessions("SELECT 1");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "CREATE TABLE t (id INT PRIMARY KEY)");
    let h = blocked(s2, "CREATE TABLE t (x TEXT)");
    ok(&mut s1, "COMMIT");
    let (mut s2, r) = join(h);
    assert_eq!(r.unwrap_err().sqlstate(), "42P07");
    ok(&mut s2, "INSERT INTO t VALUES (1)");
}

#[test]
fn concurrent_create_tables_get_distinct_ids() {
    let (mut s1, s2) = sessions("SELECT 1");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "CREATE TABLE a (id INT PRIMARY KEY)");
    let h = blocked(s2, "CREATE TABLE b (id INT PRIMARY KEY)");
    ok(&mut s1, "COMMIT");
    let (mut s2, r) = join(h);
    r.expect("second create succeeds");
    ok(&mut s2, "INSERT INTO a VALUES (1)");
    assert_eq!(
        ok(&mut s2, "SELECT * FROM b").rows.len(),
        0,
        "tables a and b must not share rows"
    );
}

#[test]
fn create_index_waits_for_a_writer_in_progress_and_indexes_its_rows() {
    let (mut s1, s2) = sessions("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "INSERT INTO t VALUES (1, 7)");
    let h = blocked(s2, "CREATE INDEX t_v ON t (v)");
    ok(&mut s1, "COMMIT");
    let (mut s2, r) = join(h);
    r.expect("index is built");
    let explain = ok(&mut s2, "EXPLAIN SELECT id FROM t WHERE v = 7");
    assert_eq!(
        explain.rows[0],
        vec![Value::from("Index Lookup using t_v on t")]
    );
    assert_eq!(
        ints(&ok(&mut s2, "SELECT id FROM t WHERE v = 7")),
        vec![vec![1]]
    );
}

#[test]
fn a_writer_that_waited_for_create_index_maintains_the_new_index() {
    let (mut s1, s2) = sessions("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "CREATE INDEX t_v ON t (v)");
    let h = blocked(s2, "INSERT INTO t VALUES (1, 7)");
    ok(&mut s1, "COMMIT");
    let (mut s2, r) = join(h);
    r.expect("insert succeeds");
    assert_eq!(
        ints(&ok(&mut s2, "SELECT id FROM t WHERE v = 7")),
        vec![vec![1]]
    );
}
