//! What the catalog holds, as plain data for psql's describe commands (`\d`, `\dt`,
//! `\di`, `\dv`, `\d NAME`): [`Session::relations`] lists the tables, indexes and views,
//! [`Session::describe_relation`] gives one of them in full. The shell formats them.
//!
//! Both read the catalog the way the session's next statement would (see
//! `Session::read_catalog`): inside a transaction block they see its own uncommitted
//! DDL, as psql's catalog queries would, and they never change the session's state: they
//! neither begin the block's transaction (which would fix its snapshot) nor fail it. In
//! a failed block they fail with 25P02, as those catalog queries would. The catalog is
//! data in isolde, so at SERIALIZABLE a describe counts as a read of the definitions it
//! looks at, as every statement's catalog lookup does.
//!
//! Two things a PostgreSQL catalog knows are not stored, and are reconstructed:
//! - A column's type is the type isolde stores, so `INT` describes as `bigint` (every
//!   integer is 64-bit), while `NUMERIC(10,2)` is `numeric(10,2)` as there (a table
//!   created before precisions were stored shows `numeric(38,2)`), and a DEFAULT, which
//!   CREATE TABLE evaluated to a constant, is that constant
//!   written back as SQL the way PostgreSQL prints a literal (`7`, `'-1'::integer`,
//!   `'abc'::text`), not the expression as typed; a CHECK constraint's condition is
//!   shown as it was written, where PostgreSQL shows it as it rewrote it.
//! - isolde does not record whether a unique index came from a UNIQUE constraint or a
//!   CREATE UNIQUE INDEX (ON CONFLICT ON CONSTRAINT accepts either). A unique index
//!   bearing the name CREATE TABLE gives a UNIQUE constraint (`<table>_<columns>_key`)
//!   is described as a constraint, any other as an index.

use std::sync::Arc;

use isolde_txn::Transaction;

use crate::catalog::{Catalog, Identity, Index, Table};
use crate::encoding::{parse_key, table_def_key, table_def_prefix, StoredKey};
use crate::error::Result;
use crate::session::Session;
use crate::types::{DataType, Value};
use crate::view::{is_view, View};

/// What kind of relation a name stands for. Exhaustive on purpose: a new kind (a
/// sequence) should not compile until the describe commands show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    /// A table.
    Table,
    /// An index: a primary key, a unique index or a plain one.
    Index,
    /// A view.
    View,
}

/// A table or index, as `\d`, `\dt` and `\di` list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    /// Its name.
    pub name: String,
    /// Table or index.
    pub kind: RelationKind,
    /// The table an index belongs to; None for a table.
    pub table: Option<String>,
}

/// A column of a table (or of an index: the table's column it indexes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnDescription {
    /// Its name.
    pub name: String,
    /// Its type; its `Display` is the name PostgreSQL prints (`bigint`, `character
    /// varying(20)`).
    pub ty: DataType,
    /// False for NOT NULL and primary key columns.
    pub nullable: bool,
    /// The DEFAULT as SQL text (`7`, `'abc'::text`); None when there is none.
    pub default: Option<String>,
}

/// What an index is for, as psql names it in a table's `Indexes:` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    /// The table's primary key (`<table>_pkey`; isolde keys the rows by it).
    PrimaryKey,
    /// The index of a UNIQUE constraint of CREATE TABLE.
    UniqueConstraint,
    /// A CREATE UNIQUE INDEX.
    Unique,
    /// A CREATE INDEX.
    Plain,
}

/// An index: what `\d INDEX` shows, and one line of a table's `Indexes:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDescription {
    /// Its name.
    pub name: String,
    /// The table it indexes.
    pub table: String,
    /// Primary key, unique or plain.
    pub kind: IndexKind,
    /// The indexed columns, in key order.
    pub columns: Vec<ColumnDescription>,
}

/// A table: what `\d TABLE` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDescription {
    /// Its name.
    pub name: String,
    /// Its columns, in order. A table without a primary key also has a hidden row id,
    /// which is not a column and is not listed.
    pub columns: Vec<ColumnDescription>,
    /// Its primary key first, then its other indexes by name, as psql lists them.
    pub indexes: Vec<IndexDescription>,
    /// Its CHECK constraints by name, each with its definition (`CHECK (a > 0)`).
    pub checks: Vec<(String, String)>,
}

/// A relation described in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Description {
    /// A table.
    Table(TableDescription),
    /// An index.
    Index(IndexDescription),
    /// A view.
    View(ViewDescription),
}

/// A view: what `\d VIEW` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewDescription {
    /// Its name.
    pub name: String,
    /// Its columns, each with its type where isolde could tell it at CREATE VIEW (the
    /// type of a query's output is not always known statically here: see
    /// [`crate::view`]).
    pub columns: Vec<(String, Option<DataType>)>,
}

impl Session {
    /// Every table, index and view, ordered by name (byte order), each primary key counted as
    /// an index named `<table>_pkey`, as PostgreSQL has it.
    pub fn relations(&mut self) -> Result<Vec<Relation>> {
        let tables = self.read_catalog(all_tables)?;
        let mut out: Vec<Relation> = self
            .read_catalog(|txn, _| all_views(txn))?
            .into_iter()
            .map(|v| Relation {
                name: v.name,
                kind: RelationKind::View,
                table: None,
            })
            .collect();
        for table in &tables {
            out.push(Relation {
                name: table.name.clone(),
                kind: RelationKind::Table,
                table: None,
            });
            out.extend(indexes(table).into_iter().map(|index| Relation {
                name: index.name,
                kind: RelationKind::Index,
                table: Some(table.name.clone()),
            }));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The table, index or view called exactly `name` (no case folding), or None.
    pub fn describe_relation(&mut self, name: &str) -> Result<Option<Description>> {
        self.read_catalog(|txn, catalog| {
            if let Some(table) = catalog.get_table(txn, name)? {
                return Ok(Some(Description::Table(TableDescription {
                    name: table.name.clone(),
                    columns: (0..table.columns.len())
                        .map(|c| column(&table, c))
                        .collect(),
                    indexes: indexes(&table),
                    checks: (table.checks.iter())
                        .map(|c| (c.name.clone(), format!("CHECK ({})", c.expr)))
                        .collect(),
                })));
            }
            if let Some(bytes) = txn.get(&table_def_key(name))? {
                if is_view(&bytes) {
                    let view = View::decode(&bytes)?;
                    let columns = view.columns.into_iter().zip(view.types).collect();
                    return Ok(Some(Description::View(ViewDescription {
                        name: view.name,
                        columns,
                    })));
                }
            }
            // A secondary index has a name entry; a primary key is known by its name.
            let owner = match catalog.index_table(txn, name)? {
                Some(table) => Some(table),
                None => name.strip_suffix("_pkey").map(str::to_string),
            };
            let Some(table) = owner else {
                return Ok(None);
            };
            let Some(table) = catalog.get_table(txn, &table)? else {
                return Ok(None);
            };
            let index = indexes(&table).into_iter().find(|i| i.name == name);
            Ok(index.map(Description::Index))
        })
    }
}

/// Every view definition the transaction sees.
fn all_views(txn: &Transaction) -> Result<Vec<View>> {
    let definitions: Vec<_> = txn.scan_prefix(&table_def_prefix())?.collect();
    let views = definitions.iter().filter(|(_, bytes)| is_view(bytes));
    views.map(|(_, bytes)| View::decode(bytes)).collect()
}

/// Every table definition the transaction sees.
fn all_tables(txn: &Transaction, catalog: &mut Catalog) -> Result<Vec<Arc<Table>>> {
    let definitions: Vec<_> = txn.scan_prefix(&table_def_prefix())?.collect();
    let mut tables = Vec::new();
    for (key, bytes) in definitions {
        if let Some(StoredKey::TableDef(name)) = parse_key(&key) {
            tables.extend(catalog.decode(name, Some(bytes))?);
        }
    }
    Ok(tables)
}

fn column(table: &Table, position: usize) -> ColumnDescription {
    let c = &table.columns[position];
    ColumnDescription {
        name: c.name.clone(),
        ty: c.ty,
        nullable: c.nullable,
        default: match (c.identity, &c.default_sequence) {
            (Some(Identity::Always), _) => Some("generated always as identity".into()),
            (Some(Identity::ByDefault), _) => Some("generated by default as identity".into()),
            (None, Some(sequence)) => Some(format!(
                "nextval('{}'::regclass)",
                sequence.replace('\'', "''")
            )),
            (None, None) => match c.default_clock {
                Some(clock) => Some(clock.sql()),
                None => c.default.as_ref().and_then(|v| default_sql(v, c.ty)),
            },
        },
    }
}

/// The table's indexes, its primary key first, then the others by name.
fn indexes(table: &Table) -> Vec<IndexDescription> {
    let describe = |name: String, kind, columns: &[usize]| IndexDescription {
        name,
        table: table.name.clone(),
        kind,
        columns: columns.iter().map(|&c| column(table, c)).collect(),
    };
    let mut out: Vec<IndexDescription> = table
        .indexes
        .iter()
        .map(|i| describe(i.name.clone(), index_kind(table, i), &i.columns))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    if !table.primary_key.is_empty() {
        let pkey = describe(table.pkey_name(), IndexKind::PrimaryKey, &table.primary_key);
        out.insert(0, pkey);
    }
    out
}

/// A unique index named as CREATE TABLE names a UNIQUE constraint's index is taken for
/// one (the catalog does not record where an index came from).
fn index_kind(table: &Table, index: &Index) -> IndexKind {
    if !index.unique {
        return IndexKind::Plain;
    }
    let columns: Vec<&str> = (index.columns.iter())
        .map(|&c| table.columns[c].name.as_str())
        .collect();
    match index.name == format!("{}_{}_key", table.name, columns.join("_")) {
        true => IndexKind::UniqueConstraint,
        false => IndexKind::Unique,
    }
}

/// A stored default as PostgreSQL prints the literal that gives it: unsigned numbers and
/// booleans bare, text and negative numbers quoted with a cast to the literal's type.
/// None for a NULL default, which PostgreSQL does not show either.
fn default_sql(value: &Value, ty: DataType) -> Option<String> {
    let quoted = |text: &str, ty: &str| format!("'{}'::{ty}", text.replace('\'', "''"));
    Some(match value {
        Value::Null => return None,
        Value::Boolean(b) => b.to_string(),
        Value::Text(s) => match ty {
            DataType::Text { max_len: Some(_) } => quoted(s, "character varying"),
            _ => quoted(s, "text"),
        },
        Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_) => {
            quoted(&value.to_string(), value.type_name())
        }
        Value::Integer(_) | Value::Float(_) | Value::Numeric(_) => {
            let text = value.to_string();
            if is_unsigned_literal(&text) {
                return Some(text);
            }
            let literal_type = match text.parse::<i64>() {
                Ok(n) if i32::try_from(n).is_ok() => "integer",
                Ok(_) => "bigint",
                Err(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => "numeric",
                Err(_) => "double precision",
            };
            quoted(&text, literal_type)
        }
    })
}

/// True for `12`, `1.5`, `1e+20`: a number SQL reads without quotes or a sign.
fn is_unsigned_literal(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::Decimal;

    #[test]
    fn defaults_print_as_postgresql_prints_their_literals() {
        let text = DataType::Text { max_len: None };
        let varchar = DataType::Text { max_len: Some(5) };
        let cases = [
            (Value::Integer(7), DataType::Integer, Some("7")),
            (Value::Integer(-1), DataType::Integer, Some("'-1'::integer")),
            (
                Value::Integer(-3_000_000_000),
                DataType::Integer,
                Some("'-3000000000'::bigint"),
            ),
            (Value::Float(1.5), DataType::Float, Some("1.5")),
            (Value::Float(-1.5), DataType::Float, Some("'-1.5'::numeric")),
            (
                Value::Float(f64::NAN),
                DataType::Float,
                Some("'NaN'::double precision"),
            ),
            (
                Value::Numeric(Decimal::from_i64(-2)),
                DataType::NUMERIC,
                Some("'-2'::integer"),
            ),
            (Value::Boolean(false), DataType::Boolean, Some("false")),
            (Value::from("it's"), text, Some("'it''s'::text")),
            (Value::from("zz"), varchar, Some("'zz'::character varying")),
            (
                Value::Date(8_825),
                DataType::Date,
                Some("'2024-02-29'::date"),
            ),
            (
                Value::Timestamp(0),
                DataType::Timestamp,
                Some("'2000-01-01 00:00:00'::timestamp without time zone"),
            ),
            (Value::Null, text, None),
        ];
        for (value, ty, want) in cases {
            assert_eq!(default_sql(&value, ty).as_deref(), want, "{value:?}");
        }
    }
}
