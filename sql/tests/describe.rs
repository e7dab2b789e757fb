//! The describe API behind the shell's `\d` commands: what `Session::relations` and
//! `Session::describe_relation` report, and that they see what the session's next
//! statement would see without changing the session.

use isolde_sql::{
    ColumnDescription, DataType, Description, IndexKind, Relation, RelationKind, Session,
};
use isolde_txn::{Options, TxnManager};

fn run(s: &mut Session, sql: &str) {
    for r in s.execute_batch(sql) {
        r.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

fn names(relations: &[Relation]) -> Vec<(&str, RelationKind, Option<&str>)> {
    relations
        .iter()
        .map(|r| (r.name.as_str(), r.kind, r.table.as_deref()))
        .collect()
}

fn column(name: &str, ty: DataType, nullable: bool, default: Option<&str>) -> ColumnDescription {
    ColumnDescription {
        name: name.into(),
        ty,
        nullable,
        default: default.map(String::from),
    }
}

const SCHEMA: &str = "
    CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) UNIQUE NOT NULL,
                    x BIGINT DEFAULT 7, amount NUMERIC(10,2), s TEXT DEFAULT 'abc');
    CREATE INDEX ON t (x);
    CREATE UNIQUE INDEX t_s_unique ON t (s);
    CREATE TABLE pairs (a INT, b INT, PRIMARY KEY (a, b));
    CREATE TABLE heap (v DOUBLE PRECISION NOT NULL)";

#[test]
fn an_empty_database_has_no_relations() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    assert_eq!(s.relations().unwrap(), Vec::new());
    assert_eq!(s.describe_relation("t").unwrap(), None);
}

#[test]
fn relations_list_tables_and_indexes_by_name_primary_keys_included() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    run(&mut s, SCHEMA);
    use RelationKind::{Index, Table};
    assert_eq!(
        names(&s.relations().unwrap()),
        vec![
            ("heap", Table, None),
            ("pairs", Table, None),
            ("pairs_pkey", Index, Some("pairs")),
            ("t", Table, None),
            ("t_name_key", Index, Some("t")),
            ("t_pkey", Index, Some("t")),
            ("t_s_unique", Index, Some("t")),
            ("t_x_idx", Index, Some("t")),
        ]
    );
}

#[test]
fn a_table_is_described_with_its_columns_and_indexes_primary_key_first() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    run(&mut s, SCHEMA);
    let Some(Description::Table(t)) = s.describe_relation("t").unwrap() else {
        panic!("t is a table");
    };
    assert_eq!(
        t.columns,
        vec![
            column("id", DataType::Integer, false, None),
            column("name", DataType::Text { max_len: Some(20) }, false, None),
            column("x", DataType::Integer, true, Some("7")),
            column(
                "amount",
                DataType::Numeric {
                    declared: Some((10, 2))
                },
                true,
                None
            ),
            column(
                "s",
                DataType::Text { max_len: None },
                true,
                Some("'abc'::text")
            ),
        ]
    );
    let indexes: Vec<(&str, IndexKind, Vec<&str>)> = (t.indexes.iter())
        .map(|i| {
            let columns = i.columns.iter().map(|c| c.name.as_str()).collect();
            (i.name.as_str(), i.kind, columns)
        })
        .collect();
    assert_eq!(
        indexes,
        vec![
            ("t_pkey", IndexKind::PrimaryKey, vec!["id"]),
            ("t_name_key", IndexKind::UniqueConstraint, vec!["name"]),
            ("t_s_unique", IndexKind::Unique, vec!["s"]),
            ("t_x_idx", IndexKind::Plain, vec!["x"]),
        ]
    );
}

#[test]
fn a_table_keyed_by_a_hidden_row_id_has_no_primary_key() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    run(&mut s, SCHEMA);
    let Some(Description::Table(heap)) = s.describe_relation("heap").unwrap() else {
        panic!("heap is a table");
    };
    assert_eq!(
        heap.columns,
        vec![column("v", DataType::Float, false, None)]
    );
    assert_eq!(heap.indexes, Vec::new());
    assert_eq!(s.describe_relation("heap_pkey").unwrap(), None);
}

#[test]
fn indexes_are_described_by_name_composite_primary_keys_too() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    run(&mut s, SCHEMA);
    let Some(Description::Index(pkey)) = s.describe_relation("pairs_pkey").unwrap() else {
        panic!("pairs_pkey is an index");
    };
    assert_eq!(
        (pkey.table.as_str(), pkey.kind),
        ("pairs", IndexKind::PrimaryKey)
    );
    assert_eq!(
        pkey.columns,
        vec![
            column("a", DataType::Integer, false, None),
            column("b", DataType::Integer, false, None),
        ]
    );
    let Some(Description::Index(x)) = s.describe_relation("t_x_idx").unwrap() else {
        panic!("t_x_idx is an index");
    };
    assert_eq!((x.table.as_str(), x.kind), ("t", IndexKind::Plain));
    assert_eq!(s.describe_relation("nosuch").unwrap(), None);
    assert_eq!(s.describe_relation("T").unwrap(), None, "names are exact");
}

#[test]
fn a_block_sees_its_own_uncommitted_tables_and_others_do_not() {
    let mgr = TxnManager::in_memory(Options::default());
    let (mut a, mut b) = (Session::new(mgr.clone()), Session::new(mgr));
    run(&mut a, "BEGIN; CREATE TABLE inside (k INT PRIMARY KEY)");
    assert_eq!(names(&a.relations().unwrap()).len(), 2);
    assert!(matches!(
        a.describe_relation("inside").unwrap(),
        Some(Description::Table(_))
    ));
    assert_eq!(b.relations().unwrap(), Vec::new());
    assert_eq!(b.describe_relation("inside").unwrap(), None);
    run(&mut a, "COMMIT");
    assert_eq!(names(&b.relations().unwrap()).len(), 2);
}

#[test]
fn a_describe_leaves_the_block_as_it_was() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    run(&mut s, "CREATE TABLE t (k INT)");
    run(&mut s, "BEGIN");
    s.relations().unwrap();
    s.describe_relation("t").unwrap();
    // The block's transaction has not begun: its level can still be set.
    run(&mut s, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    run(&mut s, "INSERT INTO t VALUES (1)");
    s.describe_relation("t").unwrap();
    assert!(s.in_transaction() && !s.transaction_failed());
    run(&mut s, "COMMIT");
}

#[test]
fn a_failed_block_refuses_describes_with_25p02_and_stays_failed() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    run(&mut s, "CREATE TABLE t (k INT)");
    run(&mut s, "BEGIN");
    assert!(s.execute("SELECT 1/0").is_err());
    assert_eq!(s.relations().unwrap_err().sqlstate(), "25P02");
    assert_eq!(s.describe_relation("t").unwrap_err().sqlstate(), "25P02");
    assert!(s.transaction_failed());
    run(&mut s, "ROLLBACK");
    assert_eq!(names(&s.relations().unwrap()).len(), 1);
}

#[test]
fn a_read_committed_block_sees_tables_committed_since_its_last_statement() {
    let mgr = TxnManager::in_memory(Options::default());
    let (mut a, mut b) = (Session::new(mgr.clone()), Session::new(mgr));
    run(&mut a, "BEGIN; SELECT 1");
    run(&mut b, "CREATE TABLE later (k INT)");
    assert_eq!(names(&a.relations().unwrap()).len(), 1);
    run(
        &mut a,
        "COMMIT; BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1",
    );
    run(&mut b, "CREATE TABLE later_still (k INT)");
    assert_eq!(
        names(&a.relations().unwrap()).len(),
        1,
        "the snapshot is fixed"
    );
}

/// The types and defaults PostgreSQL 15's `\d` shows for the same table and view.
#[test]
fn declared_numerics_are_described_with_their_precision_and_scale() {
    let mut s = Session::new(TxnManager::in_memory(Options::default()));
    run(
        &mut s,
        "CREATE TABLE prices (id INT PRIMARY KEY, price NUMERIC(6,2) DEFAULT 1.5,
                              whole DECIMAL(4), thin NUMERIC(3,5), round_k NUMERIC(2,-3),
                              plain NUMERIC DEFAULT 0.50);
         CREATE VIEW shown AS
             SELECT price, price::numeric(10,3) AS wide, price * 2 AS doubled FROM prices",
    );
    let Some(Description::Table(t)) = s.describe_relation("prices").unwrap() else {
        panic!("prices is a table");
    };
    let shown: Vec<(&str, String, Option<&str>)> = (t.columns.iter())
        .map(|c| (c.name.as_str(), c.ty.to_string(), c.default.as_deref()))
        .collect();
    assert_eq!(
        shown,
        [
            ("id", "bigint".to_string(), None),
            ("price", "numeric(6,2)".to_string(), Some("1.5")),
            ("whole", "numeric(4,0)".to_string(), None),
            ("thin", "numeric(3,5)".to_string(), None),
            ("round_k", "numeric(2,-3)".to_string(), None),
            ("plain", "numeric".to_string(), Some("0.50")),
        ]
    );
    let Some(Description::View(v)) = s.describe_relation("shown").unwrap() else {
        panic!("shown is a view");
    };
    let types: Vec<Option<String>> = (v.columns.iter())
        .map(|(_, ty)| ty.map(|t| t.to_string()))
        .collect();
    let expected = ["numeric(6,2)", "numeric(10,3)", "numeric"];
    assert_eq!(types, expected.map(|t| Some(t.to_string())));
}
