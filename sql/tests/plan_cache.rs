//! Cached plans: a prepared statement (or a statement the session has seen before) runs
//! a plan made once, and must still behave exactly like the statement planned afresh
//! with its values: right rows for every value, the same errors for bad values, and a new
//! plan whenever a table it uses was changed by DDL, in this session or another,
//! committed or rolled back.

mod common;

use common::{ok, sessions};
use isolde_sql::{Session, Value};
use isolde_txn::{Options, TxnManager};

fn session(setup: &str) -> Session {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    for r in s.execute_batch(setup) {
        r.expect("setup statement succeeds");
    }
    s
}

const ACCOUNTS: &str = "CREATE TABLE t (id INT PRIMARY KEY, name TEXT, balance INT);
    INSERT INTO t VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'cy', 30)";

/// The SQL of `template` with each `$n` replaced by the literal of `params[n - 1]`.
fn inline(template: &str, params: &[Value]) -> String {
    let mut sql = template.to_string();
    for (i, p) in params.iter().enumerate().rev() {
        let literal = match p {
            Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
            Value::Null => "NULL".into(),
            v => v.to_string(),
        };
        sql = sql.replace(&format!("${}", i + 1), &literal);
    }
    sql
}

/// Runs `template` prepared with `params`, and the same statement with the values
/// written in on a twin database, and checks both give the same result or error.
fn same_as_unprepared(setup: &str, template: &str, params: &[Value]) {
    let mut prepared = session(setup);
    let mut plain = session(setup);
    let p = prepared.prepare(template).unwrap();
    // Twice: the second run uses the plan cached by the first.
    for _ in 0..2 {
        let a = prepared.execute_prepared(&p, params);
        let b = plain.execute(&inline(template, params));
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{template} with {params:?}"),
            (Err(a), Err(b)) => {
                assert_eq!(a.sqlstate(), b.sqlstate(), "{template} with {params:?}");
                assert_eq!(a.to_string(), b.to_string(), "{template} with {params:?}");
            }
            (a, b) => panic!("{template} with {params:?}: prepared {a:?}, plain {b:?}"),
        }
    }
}

#[test]
fn a_prepared_point_select_returns_the_row_of_each_value() {
    let mut s = session(ACCOUNTS);
    let get = s
        .prepare("SELECT id, name, balance FROM t WHERE id = $1")
        .unwrap();
    for (id, name) in [(2, "bob"), (1, "ann"), (3, "cy"), (2, "bob")] {
        let r = s.execute_prepared(&get, &[Value::Integer(id)]).unwrap();
        assert_eq!(*r.columns, ["id", "name", "balance"]);
        assert_eq!(
            r.rows,
            vec![vec![
                Value::Integer(id),
                Value::from(name),
                Value::Integer(id * 10)
            ]]
        );
    }
    let r = s.execute_prepared(&get, &[Value::Integer(9)]).unwrap();
    assert!(r.rows.is_empty());
    assert_eq!(r.tag, "SELECT 0");
}

#[test]
fn values_that_cannot_use_the_key_give_the_rows_planning_with_them_gives() {
    let select = "SELECT id, name FROM t WHERE id = $1";
    for v in [
        Value::Null,
        Value::Float(2.0),
        Value::Float(2.5),
        Value::from("3"),
        Value::Numeric(isolde_sql::numeric::Decimal::parse("1.0").unwrap()),
    ] {
        same_as_unprepared(ACCOUNTS, select, &[v]);
    }
    let range = "SELECT id FROM t WHERE id > $1 AND id <= $2 ORDER BY id";
    same_as_unprepared(ACCOUNTS, range, &[Value::Integer(1), Value::Integer(3)]);
    same_as_unprepared(ACCOUNTS, range, &[Value::Float(1.5), Value::Null]);
    let list = "SELECT id FROM t WHERE id IN ($1, $2, 3) ORDER BY id";
    same_as_unprepared(ACCOUNTS, list, &[Value::Integer(1), Value::Integer(9)]);
    same_as_unprepared(ACCOUNTS, list, &[Value::Integer(1), Value::Null]);
    let folded = "SELECT id, $2 || name FROM t WHERE id = $1 + 1";
    same_as_unprepared(ACCOUNTS, folded, &[Value::Integer(1), Value::from("x")]);
    let pairs = "CREATE TABLE p (a INT, b TEXT, n INT, PRIMARY KEY (a, b));
        INSERT INTO p VALUES (1, 'x', 10), (1, 'y', 11), (2, 'x', 20)";
    let both = "SELECT n FROM p WHERE b = $2 AND a = $1 AND n > 0";
    same_as_unprepared(pairs, both, &[Value::Integer(1), Value::from("y")]);
    same_as_unprepared(pairs, both, &[Value::Float(1.5), Value::from("y")]);
    same_as_unprepared(pairs, both, &[Value::Integer(2), Value::Integer(1)]);
    let twice = "SELECT n FROM p WHERE a = $1 AND b = $2 AND a = $3";
    same_as_unprepared(pairs, twice, &[1.into(), "x".into(), 2.into()]);
    same_as_unprepared(pairs, twice, &[1.into(), "x".into(), 1.into()]);
    same_as_unprepared(pairs, twice, &[1.into(), "x".into(), Value::Float(0.5)]);
    let prefix = "SELECT n FROM p WHERE a = $1 ORDER BY n";
    same_as_unprepared(pairs, prefix, &[Value::Integer(1)]);
}

#[test]
fn bad_values_raise_the_errors_of_the_statement_planned_with_them() {
    let empty = "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(3) NOT NULL)";
    // Folded at planning, so raised even though no row is read.
    same_as_unprepared(
        empty,
        "SELECT * FROM t WHERE id = $1 / 0",
        &[Value::Integer(1)],
    );
    same_as_unprepared(
        empty,
        "SELECT * FROM t WHERE id = $1 + 1",
        &[Value::from("x")],
    );
    same_as_unprepared(empty, "SELECT -$1", &[Value::from("y")]);
    same_as_unprepared(empty, "SELECT 1 LIMIT $1", &[Value::Integer(-1)]);
    same_as_unprepared(empty, "SELECT 1 LIMIT $1", &[Value::from("z")]);
    // Raised when the row is built.
    let insert = "INSERT INTO t VALUES ($1, $2)";
    same_as_unprepared(empty, insert, &[Value::from("x"), Value::from("a")]);
    same_as_unprepared(empty, insert, &[Value::Integer(1), Value::Null]);
    same_as_unprepared(empty, insert, &[Value::Integer(1), Value::from("long")]);
    same_as_unprepared(ACCOUNTS, insert, &[Value::Integer(1), Value::from("dup")]);
    let update = "UPDATE t SET balance = balance / $2 WHERE id = $1";
    same_as_unprepared(ACCOUNTS, update, &[Value::Integer(1), Value::Integer(0)]);
    same_as_unprepared(ACCOUNTS, update, &[Value::Integer(9), Value::Integer(0)]);
}

#[test]
fn a_missing_parameter_is_an_error_even_when_no_row_is_read() {
    let mut s = session("CREATE TABLE t (id INT PRIMARY KEY)");
    for _ in 0..2 {
        let e = s.execute("SELECT * FROM t WHERE id = $1").unwrap_err();
        assert_eq!(e.sqlstate(), "42P02");
        let e = s.execute("INSERT INTO t VALUES ($2)").unwrap_err();
        assert_eq!(e.sqlstate(), "42P02");
    }
}

#[test]
fn subqueries_are_run_again_for_every_execution() {
    let mut s = session(ACCOUNTS);
    let q = s
        .prepare("SELECT id FROM t WHERE id IN (SELECT id FROM t WHERE balance > $1) ORDER BY id")
        .unwrap();
    let ids = |s: &mut Session, v: i64| s.execute_prepared(&q, &[Value::Integer(v)]).unwrap().rows;
    assert_eq!(ids(&mut s, 15).len(), 2);
    assert_eq!(ids(&mut s, 25).len(), 1);
    ok(&mut s, "DELETE FROM t WHERE id = 3");
    assert_eq!(ids(&mut s, 15).len(), 1);
}

#[test]
fn a_prepared_insert_maintains_an_index_created_after_it_was_planned() {
    let mut s = session(ACCOUNTS);
    let insert = s.prepare("INSERT INTO t VALUES ($1, $2, 0)").unwrap();
    s.execute_prepared(&insert, &[Value::Integer(4), Value::from("dee")])
        .unwrap();
    ok(&mut s, "CREATE UNIQUE INDEX t_name ON t (name)");
    // A plan made before the index would neither check nor write its entries.
    let e = s
        .execute_prepared(&insert, &[Value::Integer(5), Value::from("ann")])
        .unwrap_err();
    assert_eq!(e.sqlstate(), "23505");
    assert!(e.to_string().contains("t_name"), "{e}");
    s.execute_prepared(&insert, &[Value::Integer(6), Value::from("eve")])
        .unwrap();
    let by_name = s.prepare("SELECT id FROM t WHERE name = $1").unwrap();
    let r = s.execute_prepared(&by_name, &[Value::from("eve")]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(6)]]);
    let plan = ok(&mut s, "EXPLAIN SELECT id FROM t WHERE name = 'eve'");
    assert_eq!(
        plan.rows[0],
        vec![Value::from("Index Lookup using t_name on t")]
    );
}

#[test]
fn a_prepared_upsert_gives_what_the_statement_planned_with_its_values_gives() {
    let upsert = "INSERT INTO t VALUES ($1, $2, $3) ON CONFLICT (id) \
        DO UPDATE SET balance = t.balance + EXCLUDED.balance * $4, name = $2 || t.name \
        WHERE t.balance < $5 RETURNING *";
    let values = |id: i64, name: &str, add: i64, by: i64, below: i64| {
        [id.into(), name.into(), add.into(), by.into(), below.into()]
    };
    // A new key (then, at the second run, its conflict), and existing keys the WHERE
    // accepts or rejects.
    same_as_unprepared(ACCOUNTS, upsert, &values(4, "dee", 5, 2, 100));
    same_as_unprepared(ACCOUNTS, upsert, &values(1, "x", 5, 2, 100));
    same_as_unprepared(ACCOUNTS, upsert, &values(2, "x", 5, 2, 20));
    let nothing = "INSERT INTO t VALUES ($1, $2, 0) ON CONFLICT DO NOTHING RETURNING id";
    same_as_unprepared(ACCOUNTS, nothing, &[Value::Integer(1), Value::from("x")]);
    same_as_unprepared(ACCOUNTS, nothing, &[Value::Integer(7), Value::from("x")]);
}

#[test]
fn a_prepared_upsert_without_a_target_covers_a_unique_index_created_after_it_was_planned() {
    let mut s = session(ACCOUNTS);
    let insert = s
        .prepare("INSERT INTO t VALUES ($1, $2, 0) ON CONFLICT DO NOTHING")
        .unwrap();
    let r = s
        .execute_prepared(&insert, &[Value::Integer(4), Value::from("ann")])
        .unwrap();
    assert_eq!(r.tag, "INSERT 0 1");
    ok(&mut s, "DELETE FROM t WHERE id = 4");
    ok(&mut s, "CREATE UNIQUE INDEX t_name ON t (name)");
    // A plan made before the index would not look for conflicts in it, and fail (23505).
    let r = s
        .execute_prepared(&insert, &[Value::Integer(5), Value::from("ann")])
        .unwrap();
    assert_eq!(r.tag, "INSERT 0 0");
    let r = ok(&mut s, "SELECT count(*) FROM t");
    assert_eq!(r.rows, vec![vec![Value::Integer(3)]]);
}

#[test]
fn an_index_created_and_rolled_back_in_a_block_is_used_only_inside_it() {
    let mut s = session(ACCOUNTS);
    let insert = s.prepare("INSERT INTO t VALUES ($1, $2, 0)").unwrap();
    let add = |s: &mut Session, id: i64, name: &str| {
        s.execute_prepared(&insert, &[Value::Integer(id), Value::from(name)])
    };
    add(&mut s, 4, "dee").unwrap();
    ok(&mut s, "BEGIN");
    ok(&mut s, "CREATE UNIQUE INDEX t_name ON t (name)");
    assert_eq!(add(&mut s, 5, "bob").unwrap_err().sqlstate(), "23505");
    ok(&mut s, "ROLLBACK");
    add(&mut s, 5, "bob").unwrap();
    let r = ok(&mut s, "SELECT count(*) FROM t WHERE name = 'bob'");
    assert_eq!(r.rows, vec![vec![Value::Integer(2)]]);
}

#[test]
fn a_prepared_insert_repeated_in_a_block_sees_the_ddl_the_block_runs_between() {
    let mut s = session(ACCOUNTS);
    let insert = s.prepare("INSERT INTO t VALUES ($1, $2, 0)").unwrap();
    let add = |s: &mut Session, id: i64, name: &str| {
        s.execute_prepared(&insert, &[Value::Integer(id), Value::from(name)])
    };
    ok(&mut s, "BEGIN");
    // The second run is in the transaction that checked the plan, holding the lock.
    add(&mut s, 4, "dee").unwrap();
    add(&mut s, 5, "eve").unwrap();
    ok(&mut s, "CREATE UNIQUE INDEX t_name ON t (name)");
    assert_eq!(add(&mut s, 6, "ann").unwrap_err().sqlstate(), "23505");
    ok(&mut s, "ROLLBACK");
    ok(&mut s, "BEGIN");
    add(&mut s, 4, "dee").unwrap();
    ok(&mut s, "DROP TABLE t");
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY, name TEXT)");
    let e = add(&mut s, 5, "eve").unwrap_err();
    assert_eq!(e.sqlstate(), "42601", "{e}");
    ok(&mut s, "ROLLBACK");
}

#[test]
fn at_read_committed_a_block_sees_ddl_committed_between_two_runs_of_a_query() {
    let (mut a, mut b) = sessions(ACCOUNTS);
    let get = b.prepare("SELECT * FROM t WHERE id = $1").unwrap();
    let one = [Value::Integer(1)];
    ok(&mut b, "BEGIN");
    assert_eq!(b.execute_prepared(&get, &one).unwrap().columns.len(), 3);
    assert_eq!(b.execute_prepared(&get, &one).unwrap().columns.len(), 3);
    ok(&mut a, "DROP TABLE t");
    ok(&mut a, "CREATE TABLE t (id INT PRIMARY KEY, tag TEXT)");
    ok(&mut a, "INSERT INTO t VALUES (1, 'fresh')");
    // Each statement has a new snapshot, which has the new table.
    let r = b.execute_prepared(&get, &one).unwrap();
    assert_eq!(*r.columns, ["id", "tag"]);
    assert_eq!(r.rows, vec![vec![Value::Integer(1), Value::from("fresh")]]);
    ok(&mut b, "COMMIT");
}

#[test]
fn at_read_uncommitted_a_block_sees_an_uncommitted_drop_as_a_fresh_read_would() {
    let (mut a, mut b) = sessions(ACCOUNTS);
    let get = b.prepare("SELECT * FROM t WHERE id = $1").unwrap();
    let one = [Value::Integer(1)];
    ok(&mut b, "BEGIN ISOLATION LEVEL READ UNCOMMITTED");
    assert_eq!(b.execute_prepared(&get, &one).unwrap().columns.len(), 3);
    assert_eq!(b.execute_prepared(&get, &one).unwrap().columns.len(), 3);
    ok(&mut a, "BEGIN");
    ok(&mut a, "DROP TABLE t");
    // READ UNCOMMITTED reads the catalog dirty, as it reads rows: no snapshot fixes it.
    let e = b.execute_prepared(&get, &one).unwrap_err();
    assert_eq!(e.sqlstate(), "42P01");
    ok(&mut a, "ROLLBACK");
    ok(&mut b, "ROLLBACK");
}

#[test]
fn a_query_run_again_at_the_same_snapshot_after_its_own_ddl_rolled_back_is_checked_again() {
    let mut s = session(ACCOUNTS);
    let get = s.prepare("SELECT * FROM t WHERE id = $1").unwrap();
    let one = [Value::Integer(1)];
    let columns = |s: &mut Session| s.execute_prepared(&get, &one).unwrap().columns.len();
    assert_eq!(columns(&mut s), 3);
    assert_eq!(columns(&mut s), 3, "nothing committed: the same snapshot");
    ok(&mut s, "BEGIN");
    ok(&mut s, "ALTER TABLE t ADD COLUMN note TEXT");
    assert_eq!(columns(&mut s), 4, "the block sees its own DDL");
    ok(&mut s, "ROLLBACK");
    // Nothing committed meanwhile: the snapshot is the one the block's run checked at,
    // but that run saw an uncommitted definition.
    assert_eq!(columns(&mut s), 3);
}

#[test]
fn a_table_dropped_and_created_again_with_other_columns_is_planned_again() {
    let mut s = session(ACCOUNTS);
    let get = s.prepare("SELECT * FROM t WHERE id = $1").unwrap();
    let update = s.prepare("UPDATE t SET name = $2 WHERE id = $1").unwrap();
    assert_eq!(
        *s.execute_prepared(&get, &[Value::Integer(1)])
            .unwrap()
            .columns,
        ["id", "name", "balance"]
    );
    s.execute_prepared(&update, &[Value::Integer(1), Value::from("x")])
        .unwrap();
    ok(&mut s, "DROP TABLE t");
    let e = s.execute_prepared(&get, &[Value::Integer(1)]).unwrap_err();
    assert_eq!(e.sqlstate(), "42P01");
    ok(&mut s, "CREATE TABLE t (name TEXT, id INT PRIMARY KEY)");
    ok(&mut s, "INSERT INTO t VALUES ('new', 1)");
    let r = s.execute_prepared(&get, &[Value::Integer(1)]).unwrap();
    assert_eq!(*r.columns, ["name", "id"]);
    assert_eq!(r.rows, vec![vec![Value::from("new"), Value::Integer(1)]]);
    s.execute_prepared(&update, &[Value::Integer(1), Value::from("y")])
        .unwrap();
    let r = s.execute_prepared(&get, &[Value::Integer(1)]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::from("y"), Value::Integer(1)]]);
    ok(&mut s, "DROP TABLE t");
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY)");
    let e = s
        .execute_prepared(&update, &[Value::Integer(1), Value::from("z")])
        .unwrap_err();
    assert_eq!(e.sqlstate(), "42703");
}

#[test]
fn ddl_of_another_session_is_seen_at_the_snapshot_that_should_see_it() {
    let (mut a, mut b) = sessions(ACCOUNTS);
    let get = b.prepare("SELECT * FROM t WHERE id = $1").unwrap();
    let one = [Value::Integer(1)];
    assert_eq!(b.execute_prepared(&get, &one).unwrap().columns.len(), 3);
    ok(&mut b, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_eq!(b.execute_prepared(&get, &one).unwrap().columns.len(), 3);
    ok(&mut a, "DROP TABLE t");
    ok(&mut a, "CREATE TABLE t (id INT PRIMARY KEY, tag TEXT)");
    ok(&mut a, "INSERT INTO t VALUES (1, 'fresh')");
    // B's snapshot still has the old table: its cached plan still fits.
    let r = b.execute_prepared(&get, &one).unwrap();
    assert_eq!(*r.columns, ["id", "name", "balance"]);
    assert_eq!(r.rows[0][1], Value::from("ann"));
    ok(&mut b, "COMMIT");
    let r = b.execute_prepared(&get, &one).unwrap();
    assert_eq!(*r.columns, ["id", "tag"]);
    assert_eq!(r.rows, vec![vec![Value::Integer(1), Value::from("fresh")]]);
}

#[test]
fn a_statement_prepared_in_one_session_runs_in_another() {
    let (mut a, mut b) = sessions(ACCOUNTS);
    let get = a.prepare("SELECT name FROM t WHERE id = $1").unwrap();
    let two = [Value::Integer(2)];
    assert_eq!(
        a.execute_prepared(&get, &two).unwrap().rows[0][0],
        Value::from("bob")
    );
    ok(&mut a, "CREATE INDEX t_balance ON t (balance)");
    assert_eq!(
        b.execute_prepared(&get, &two).unwrap().rows[0][0],
        Value::from("bob")
    );
    ok(&mut b, "UPDATE t SET name = 'bo' WHERE id = 2");
    assert_eq!(
        a.execute_prepared(&get, &two).unwrap().rows[0][0],
        Value::from("bo")
    );
}

#[test]
fn a_statement_run_again_as_text_is_planned_again_after_create_index() {
    let mut s = session(ACCOUNTS);
    let insert = |s: &mut Session| s.execute("INSERT INTO t VALUES (7, 'ann', 0)");
    insert(&mut s).unwrap();
    ok(&mut s, "DELETE FROM t WHERE id = 7");
    ok(&mut s, "CREATE UNIQUE INDEX t_name ON t (name)");
    assert_eq!(insert(&mut s).unwrap_err().sqlstate(), "23505");
}

#[test]
fn prepared_updates_of_key_and_plain_columns_keep_keys_and_indexes_right() {
    let mut s = session(ACCOUNTS);
    ok(&mut s, "CREATE UNIQUE INDEX t_name ON t (name)");
    let rename = s.prepare("UPDATE t SET name = $2 WHERE id = $1").unwrap();
    let renumber = s.prepare("UPDATE t SET id = $2 WHERE id = $1").unwrap();
    let unknown = s
        .prepare("UPDATE t SET balance = balance + $2, balance2 = 0 WHERE id = $1")
        .unwrap();
    let e = s.execute_prepared(&unknown, &[1.into(), 1.into()]);
    assert_eq!(e.unwrap_err().sqlstate(), "42703");
    ok(&mut s, "CREATE TABLE u (id INT PRIMARY KEY, a INT, b INT)");
    ok(&mut s, "INSERT INTO u VALUES (1, 1, 2)");
    let swap = s
        .prepare("UPDATE u SET a = b, b = a + $2 WHERE id = $1 RETURNING a, b")
        .unwrap();
    let r = s.execute_prepared(&swap, &[1.into(), 10.into()]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(2), Value::Integer(11)]]);
    let r = s.execute_prepared(&swap, &[1.into(), 0.into()]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(11), Value::Integer(2)]]);
    let pay = s
        .prepare("UPDATE t SET balance = balance + $2 WHERE id = $1 RETURNING balance")
        .unwrap();
    let r = s.execute_prepared(&pay, &[1.into(), 5.into()]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(15)]]);
    let e = s
        .execute_prepared(&rename, &[1.into(), "bob".into()])
        .unwrap_err();
    assert_eq!(e.sqlstate(), "23505");
    s.execute_prepared(&rename, &[1.into(), "al".into()])
        .unwrap();
    s.execute_prepared(&renumber, &[1.into(), 10.into()])
        .unwrap();
    let e = s
        .execute_prepared(&renumber, &[2.into(), 10.into()])
        .unwrap_err();
    assert_eq!(e.sqlstate(), "23505");
    let r = ok(&mut s, "SELECT id, balance FROM t WHERE name = 'al'");
    assert_eq!(r.rows, vec![vec![Value::Integer(10), Value::Integer(15)]]);
    let r = ok(&mut s, "SELECT count(*) FROM t WHERE name = 'ann'");
    assert_eq!(r.rows, vec![vec![Value::Integer(0)]]);
}

#[test]
fn a_session_with_cached_plans_can_move_to_another_thread() {
    let mut s = session(ACCOUNTS);
    let get = s.prepare("SELECT name FROM t WHERE id = $1").unwrap();
    s.execute_prepared(&get, &[Value::Integer(1)]).unwrap();
    let r = std::thread::spawn(move || s.execute_prepared(&get, &[Value::Integer(2)]))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(r.rows, vec![vec![Value::from("bob")]]);
}

#[test]
fn a_prepared_with_query_gives_the_rows_of_each_value_and_follows_ddl_on_its_tables() {
    for id in [1, 2, 9] {
        same_as_unprepared(
            ACCOUNTS,
            "WITH rich AS (SELECT id, balance FROM t WHERE balance >= $1) \
             SELECT r.id, t.name FROM rich r JOIN t ON t.id = r.id ORDER BY r.id",
            &[Value::Integer(id * 10)],
        );
    }
    let mut s = session(ACCOUNTS);
    let q = s
        .prepare("WITH one AS (SELECT * FROM t WHERE id = $1) SELECT * FROM one")
        .unwrap();
    assert_eq!(
        s.execute_prepared(&q, &[Value::Integer(2)])
            .unwrap()
            .rows
            .len(),
        1
    );
    ok(&mut s, "DROP TABLE t");
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY, note TEXT)");
    ok(&mut s, "INSERT INTO t VALUES (2, 'new')");
    let r = s.execute_prepared(&q, &[Value::Integer(2)]).unwrap();
    assert_eq!(*r.columns, ["id", "note"]);
    assert_eq!(r.rows, vec![vec![Value::Integer(2), Value::from("new")]]);
}

/// The one value of a one-row, one-column result.
fn single(r: isolde_sql::QueryResult) -> Value {
    assert_eq!(r.rows.len(), 1, "one row");
    r.rows[0][0].clone()
}

#[test]
fn functions_whose_value_is_not_fixed_are_called_on_every_run_of_a_cached_plan() {
    let mut s = session(ACCOUNTS);
    let random = s.prepare("SELECT random() + $1").unwrap();
    let draws: Vec<Value> = (0..5)
        .map(|_| single(s.execute_prepared(&random, &[Value::Integer(0)]).unwrap()))
        .collect();
    assert!(draws.windows(2).any(|w| w[0] != w[1]), "{draws:?}");
    // A statement text seen before runs its cached plan too.
    let again: Vec<Value> = (0..5)
        .map(|_| single(s.execute("SELECT random()").unwrap()))
        .collect();
    assert!(again.windows(2).any(|w| w[0] != w[1]), "{again:?}");

    let txid = s.prepare("SELECT txid_current()").unwrap();
    let autocommit_a = single(s.execute_prepared(&txid, &[]).unwrap());
    let autocommit_b = single(s.execute_prepared(&txid, &[]).unwrap());
    assert_ne!(
        autocommit_a, autocommit_b,
        "each autocommit statement is its own transaction"
    );
    s.execute("BEGIN").unwrap();
    let in_block_a = single(s.execute_prepared(&txid, &[]).unwrap());
    let in_block_b = single(s.execute("SELECT txid_current()").unwrap());
    s.execute("COMMIT").unwrap();
    assert_eq!(in_block_a, in_block_b, "one transaction, one id");
    assert_ne!(in_block_a, autocommit_b);

    let sleep = s.prepare("SELECT pg_sleep($1)").unwrap();
    for _ in 0..2 {
        let started = std::time::Instant::now();
        s.execute_prepared(&sleep, &[Value::Float(0.05)]).unwrap();
        assert!(started.elapsed() >= std::time::Duration::from_millis(50));
    }
}
