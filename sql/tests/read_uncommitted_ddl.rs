//! READ UNCOMMITTED reads other transactions' uncommitted rows, and an `ALTER TABLE` in
//! progress rewrites a table's rows in its new layout before it commits: a dirty reader
//! can meet a row whose width is not the one of the definition it planned with. That is
//! another transaction's work in progress, not damaged data, and the error says so.

use isolde_sql::encoding::{decode_row, encode_row};
use isolde_sql::{Session, Value};
use isolde_txn::{IsolationLevel, Options, TxnManager};

#[test]
fn a_dirty_read_of_a_row_rewritten_in_another_layout_is_a_lock_error_not_corruption() {
    let mgr = TxnManager::in_memory(Options::default());
    let mut reader = Session::new(mgr.clone());
    for sql in [
        "CREATE TABLE t (id INT PRIMARY KEY, a INT)",
        "INSERT INTO t VALUES (1, 10)",
        "SET default_transaction_isolation = 'read uncommitted'",
    ] {
        reader.execute(sql).expect(sql);
    }
    // The row's key, found by its stored value.
    let key = {
        let txn = mgr.begin(IsolationLevel::ReadCommitted);
        let row = [Value::Integer(1), Value::Integer(10)];
        let found = txn
            .scan::<&[u8]>(..)
            .expect("scan")
            .find(|(_, v)| decode_row(v).is_ok_and(|r| r == row));
        found.expect("the inserted row").0
    };
    // What an ALTER TABLE ... ADD COLUMN in progress leaves there before it commits.
    let mut alter = mgr.begin(IsolationLevel::ReadCommitted);
    let wider = [Value::Integer(1), Value::Integer(10), Value::Integer(99)];
    alter.put(&key, &encode_row(&wider)).expect("pending row");

    let err = reader
        .execute("SELECT * FROM t")
        .expect_err("a row in another layout cannot be read with this definition");
    assert_eq!(err.sqlstate(), "55P03", "{err}");
    assert!(err.to_string().contains("\"t\""), "names the table: {err}");

    alter.rollback();
    let rows = reader.execute("SELECT * FROM t").expect("select").rows;
    assert_eq!(rows, vec![vec![Value::Integer(1), Value::Integer(10)]]);
}
