//! Conflict errors in SQL terms: a serialization failure, deadlock or lock timeout between
//! two sessions keeps PostgreSQL's message and SQLSTATE, and its detail names the
//! transactions and the table and primary key of the row (or the index entry) they
//! collided on, instead of the stored key's bytes.
//!
//! Transaction ids and commit timestamps are deterministic here: each test starts from an
//! empty in-memory database and runs its statements in a fixed order.

use std::thread;
use std::time::Duration;

use isolde_sql::{format_error, format_error_with_state, Error, Session};
use isolde_txn::Options;

mod common;

use common::{ok, sessions, sessions_with};

/// Runs `sql` in `s` on another thread, checks it waits, then runs `release` in `other`
/// and returns what `sql` ended with.
fn wait_then_release(
    mut s: Session,
    sql: &'static str,
    other: &mut Session,
    release: &str,
) -> Result<isolde_sql::QueryResult, Error> {
    let h = thread::spawn(move || s.execute(sql));
    thread::sleep(Duration::from_millis(150));
    assert!(!h.is_finished(), "{sql} should wait for a row lock");
    ok(other, release);
    h.join().expect("statement thread does not panic")
}

#[test]
fn repeatable_read_concurrent_update_names_the_table_the_row_and_the_other_transaction() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT); \
         INSERT INTO accounts VALUES (1, 100), (2, 50)",
    );
    ok(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut s1, "SELECT * FROM accounts"); // T3 takes its snapshot
    ok(&mut s2, "BEGIN");
    ok(&mut s2, "UPDATE accounts SET balance = 0 WHERE id = 1"); // T4
    let e = wait_then_release(
        s1,
        "UPDATE accounts SET balance = balance + 10 WHERE id = 1",
        &mut s2,
        "COMMIT",
    )
    .unwrap_err();
    assert_eq!(e.sqlstate(), "40001");
    assert!(e.is_retryable());
    assert_eq!(
        format_error_with_state(&e),
        "ERROR:  could not serialize access due to concurrent update [40001]\n\
         DETAIL:  T3 wanted to update row (id)=(1) of table \"accounts\", which T4 changed \
         after T3's snapshot (committed at ts 3)."
    );
    assert_eq!(
        e.to_string(),
        "could not serialize access due to concurrent update: T3 wanted to update row \
         (id)=(1) of table \"accounts\", which T4 changed after T3's snapshot (committed at ts 3)."
    );
    assert!(
        std::error::Error::source(&e).is_some(),
        "the transaction error stays the source"
    );
}

#[test]
fn concurrent_update_on_a_unique_index_entry_names_the_index_and_its_values() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE users (id INT PRIMARY KEY, email TEXT UNIQUE); \
         INSERT INTO users VALUES (1, 'a@b')",
    );
    ok(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut s1, "SELECT * FROM users"); // T3
    ok(&mut s2, "UPDATE users SET email = 'it''s@b' WHERE id = 1"); // T4, commits at ts 3
                                                                    // An ON CONFLICT arbiter acts on the row it finds, which T3's snapshot lacks (a
                                                                    // plain INSERT would be a unique violation, as in PostgreSQL).
    let e = s1
        .execute("INSERT INTO users VALUES (2, 'it''s@b') ON CONFLICT (email) DO NOTHING")
        .unwrap_err();
    assert_eq!(
        e.message(),
        "could not serialize access due to concurrent update"
    );
    assert_eq!(
        e.detail(),
        Some(
            "T3 wanted to insert entry (email)=('it''s@b') of index \"users_email_key\" on \
             \"users\", which another transaction changed after T3's snapshot (committed at ts 3)."
        )
    );
}

#[test]
fn serializable_write_skew_names_the_rows_of_both_rw_dependencies() {
    let (mut s1, mut s2) = sessions(
        "CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BOOLEAN); \
         INSERT INTO doctors VALUES ('alice', TRUE), ('bob', TRUE)",
    );
    for s in [&mut s1, &mut s2] {
        ok(s, "BEGIN ISOLATION LEVEL SERIALIZABLE");
        ok(s, "SELECT count(*) FROM doctors WHERE on_call"); // T3, then T4
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
    let e = s2.execute("COMMIT").unwrap_err();
    assert_eq!(e.sqlstate(), "40001");
    assert_eq!(
        format_error(&e),
        "ERROR:  could not serialize access due to read/write dependencies among transactions\n\
         DETAIL:  a concurrent transaction read row (name)=('bob') of table \"doctors\", which \
         T4 wrote; T4 read row (name)=('alice') of table \"doctors\", which T3 wrote and \
         committed first."
    );
}

#[test]
fn deadlock_names_the_cycle_and_the_row_the_victim_waited_for() {
    let (mut s1, mut s2) =
        sessions("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0), (2, 0)");
    ok(&mut s1, "BEGIN");
    ok(&mut s2, "BEGIN");
    ok(&mut s1, "UPDATE t SET v = 1 WHERE id = 1"); // T3
    ok(&mut s2, "UPDATE t SET v = 2 WHERE id = 2"); // T4
    let h = thread::spawn(move || {
        let r = s1.execute("UPDATE t SET v = 1 WHERE id = 2");
        (s1, r)
    });
    thread::sleep(Duration::from_millis(150));
    assert!(!h.is_finished(), "T3 waits for T4");
    // T3 already waits, so T4's wait closes the cycle and T4 is the victim.
    let e = s2.execute("UPDATE t SET v = 2 WHERE id = 1").unwrap_err();
    assert_eq!(e.sqlstate(), "40P01");
    assert_eq!(
        format_error_with_state(&e),
        "ERROR:  deadlock detected [40P01]\n\
         DETAIL:  T4 waits for T3 on row (id)=(1) of table \"t\"; T3 waits for T4. \
         T4 was rolled back."
    );
    let (mut s1, r) = h.join().expect("statement thread does not panic");
    r.expect("the survivor goes on");
    ok(&mut s1, "COMMIT");
}

#[test]
fn lock_timeout_names_the_holder_and_the_row() {
    let options = Options {
        lock_timeout: Some(Duration::from_millis(100)),
        ..Options::default()
    };
    let (mut s1, mut s2) = sessions_with(
        options,
        "CREATE TABLE t (a INT, b TEXT, v INT, PRIMARY KEY (a, b)); \
         INSERT INTO t VALUES (1, 'x', 0)",
    );
    ok(&mut s1, "BEGIN");
    ok(&mut s1, "UPDATE t SET v = 1 WHERE a = 1 AND b = 'x'"); // T3
    let e = s2
        .execute("DELETE FROM t WHERE a = 1 AND b = 'x'")
        .unwrap_err();
    assert_eq!(e.sqlstate(), "55P03");
    assert_eq!(e.message(), "canceling statement due to lock timeout");
    let detail = e.detail().expect("a lock timeout has a detail");
    assert!(detail.starts_with("T4 waited "), "{detail}");
    assert!(
        detail.ends_with(" ms for T3 on row (a, b)=(1, 'x') of table \"t\"; T4 was rolled back."),
        "{detail}"
    );
}

#[test]
fn other_errors_have_no_detail_and_print_on_one_line() {
    let (mut s1, _) = sessions("CREATE TABLE t (id INT PRIMARY KEY)");
    let e = s1.execute("INSERT INTO t VALUES (1), (1)").unwrap_err();
    assert_eq!(e.detail(), None);
    assert_eq!(e.message(), e.to_string());
    assert!(!format_error_with_state(&e).contains('\n'));
}
