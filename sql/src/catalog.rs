//! The catalog: tables, their columns and indexes, stored as keys in the same key space
//! as the rows, read and written through the statement's transaction.
//!
//! Because the catalog is ordinary data, DDL is transactional (a rolled-back CREATE TABLE
//! leaves nothing), isolated like any other read (a table created by an uncommitted
//! transaction is invisible to others) and logged, checkpointed and replicated for free.
//!
//! A session keeps a [`Catalog`] cache of decoded definitions, keyed by table name and
//! validated against the stored bytes on every lookup: the lookup is still one `get`
//! through the transaction (so it sees exactly what the snapshot sees and concurrent DDL
//! can never leave a stale entry), but the definition is decoded only when it changed.

use std::collections::HashMap;
use std::sync::Arc;

use isolde_txn::{LockMode, Transaction, TxnId};
use sqlparser::ast;

use crate::encoding::{
    encode_value, index_name_key, next_id_key, put_bytes, table_def_key, Reader,
};
use crate::error::{Error, Result};
use crate::types::{DataType, Value};

/// Name of the hidden row-id key of a table without a primary key (for EXPLAIN).
pub const ROW_ID: &str = "ctid";
/// The format of a stored table definition. Version 1, written before CHECK
/// constraints existed, is still read (as a table without any).
const FORMAT_VERSION: u8 = 2;

/// A column of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: DataType,
    pub nullable: bool,
    /// The DEFAULT value; isolde has no volatile functions, so a default is a constant
    /// computed at CREATE TABLE.
    pub default: Option<Value>,
}

/// A secondary index.
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    pub id: u32,
    pub name: String,
    /// Positions of the indexed columns in the table.
    pub columns: Vec<usize>,
    pub unique: bool,
}

/// A CHECK constraint: a condition every row of the table must not make false.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub name: String,
    /// The condition as written, over the table's columns; stored as its SQL text.
    pub expr: ast::Expr,
}

/// A table definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub id: u32,
    pub name: String,
    pub columns: Vec<Column>,
    /// Positions of the primary key columns; empty when rows are keyed by a hidden row id.
    pub primary_key: Vec<usize>,
    pub indexes: Vec<Index>,
    /// CHECK constraints, in name order: the order PostgreSQL checks them in, so that a
    /// row breaking two is reported against the same one.
    pub checks: Vec<Check>,
}

impl Table {
    /// The position of a column, by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column's position or 42703 naming table and column.
    pub fn must_column_index(&self, name: &str) -> Result<usize> {
        self.column_index(name).ok_or_else(|| {
            Error::UndefinedColumn(format!("\"{name}\" of relation \"{}\"", self.name))
        })
    }

    /// The name PostgreSQL gives the primary key constraint.
    pub fn pkey_name(&self) -> String {
        format!("{}_pkey", self.name)
    }

    /// Comma-separated names of the given columns.
    pub fn column_names(&self, cols: &[usize]) -> String {
        let names: Vec<&str> = cols
            .iter()
            .map(|&c| self.columns[c].name.as_str())
            .collect();
        names.join(", ")
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT_VERSION];
        out.extend_from_slice(&self.id.to_le_bytes());
        put_bytes(&mut out, self.name.as_bytes());
        out.extend_from_slice(&(self.columns.len() as u32).to_le_bytes());
        for c in &self.columns {
            put_bytes(&mut out, c.name.as_bytes());
            encode_type(c.ty, &mut out);
            out.push(c.nullable as u8);
            encode_value(c.default.as_ref().unwrap_or(&Value::Null), &mut out);
            out.push(c.default.is_some() as u8);
        }
        put_positions(&mut out, &self.primary_key);
        out.extend_from_slice(&(self.indexes.len() as u32).to_le_bytes());
        for i in &self.indexes {
            out.extend_from_slice(&i.id.to_le_bytes());
            put_bytes(&mut out, i.name.as_bytes());
            put_positions(&mut out, &i.columns);
            out.push(i.unique as u8);
        }
        out.extend_from_slice(&(self.checks.len() as u32).to_le_bytes());
        for c in &self.checks {
            put_bytes(&mut out, c.name.as_bytes());
            put_bytes(&mut out, c.expr.to_string().as_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Table> {
        let mut r = Reader::new(bytes, "table definition");
        let version = r.u8()?;
        if version != 1 && version != FORMAT_VERSION {
            return Err(Error::Corrupt(
                "table definition: unknown format version".into(),
            ));
        }
        let id = r.u32()?;
        let name = r.string()?;
        let mut columns = Vec::new();
        for _ in 0..r.u32()? {
            let name = r.string()?;
            let ty = decode_type(&mut r)?;
            let nullable = r.u8()? != 0;
            let default = r.value()?;
            let default = (r.u8()? != 0).then_some(default);
            columns.push(Column {
                name,
                ty,
                nullable,
                default,
            });
        }
        let primary_key = read_positions(&mut r, columns.len())?;
        let mut indexes = Vec::new();
        for _ in 0..r.u32()? {
            let id = r.u32()?;
            let name = r.string()?;
            let cols = read_positions(&mut r, columns.len())?;
            let unique = r.u8()? != 0;
            indexes.push(Index {
                id,
                name,
                columns: cols,
                unique,
            });
        }
        let mut checks = Vec::new();
        if version > 1 {
            for _ in 0..r.u32()? {
                let name = r.string()?;
                let text = r.string()?;
                let expr = parse_condition(&text).ok_or_else(|| {
                    Error::Corrupt(format!(
                        "table definition: check constraint \"{name}\" does not parse"
                    ))
                })?;
                checks.push(Check { name, expr });
            }
        }
        r.finish()?;
        Ok(Table {
            id,
            name,
            columns,
            primary_key,
            indexes,
            checks,
        })
    }
}

/// A stored CHECK condition, parsed back from its SQL text.
fn parse_condition(text: &str) -> Option<ast::Expr> {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut parser = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(text)
        .ok()?;
    let expr = parser.parse_expr().ok()?;
    parser
        .expect_token(&sqlparser::tokenizer::Token::EOF)
        .ok()?;
    Some(expr)
}

fn put_positions(out: &mut Vec<u8>, cols: &[usize]) {
    out.extend_from_slice(&(cols.len() as u32).to_le_bytes());
    for &c in cols {
        out.extend_from_slice(&(c as u32).to_le_bytes());
    }
}

fn read_positions(r: &mut Reader<'_>, ncols: usize) -> Result<Vec<usize>> {
    let mut v = Vec::new();
    for _ in 0..r.u32()? {
        let c = r.u32()? as usize;
        if c >= ncols {
            return Err(Error::Corrupt(
                "table definition: column position out of range".into(),
            ));
        }
        v.push(c);
    }
    Ok(v)
}

fn encode_type(ty: DataType, out: &mut Vec<u8>) {
    let (tag, arg) = match ty {
        DataType::Boolean => (0, None),
        DataType::Integer => (1, None),
        DataType::Float => (2, None),
        DataType::Numeric { scale } => (3, scale),
        DataType::Text { max_len } => (4, max_len),
    };
    out.push(tag);
    out.push(arg.is_some() as u8);
    out.extend_from_slice(&arg.unwrap_or(0).to_le_bytes());
}

fn decode_type(r: &mut Reader<'_>) -> Result<DataType> {
    let tag = r.u8()?;
    let has = r.u8()? != 0;
    let arg = r.u32()?;
    let arg = has.then_some(arg);
    Ok(match tag {
        0 => DataType::Boolean,
        1 => DataType::Integer,
        2 => DataType::Float,
        3 => DataType::Numeric { scale: arg },
        4 => DataType::Text { max_len: arg },
        t => {
            return Err(Error::Corrupt(format!(
                "table definition: unknown type tag {t}"
            )))
        }
    })
}

/// A session's cache of decoded table definitions; every lookup still reads through the
/// transaction.
#[derive(Default)]
pub struct Catalog {
    decoded: HashMap<String, (isolde_txn::Value, Arc<Table>)>,
    /// The table-definition locks the session's current transaction holds (by name),
    /// so that a statement does not ask again for a lock its transaction already has.
    held: Option<(TxnId, Vec<(String, LockMode)>)>,
    /// How many table definitions this session has written or deleted: what a reader
    /// that saw a definition earlier in the same transaction must check for, since only
    /// the transaction itself can change a definition it holds locked (or, above READ
    /// COMMITTED, one its snapshot fixed).
    writes: u64,
}

impl Catalog {
    /// The table named `name` as the transaction sees it, or None.
    pub fn get_table(&mut self, txn: &Transaction, name: &str) -> Result<Option<Arc<Table>>> {
        let bytes = self.read_definition(txn, &table_def_key(name))?;
        self.decode(name, bytes)
    }

    /// The stored definition under `key` (a [`table_def_key`]) as the transaction sees
    /// it.
    pub fn read_definition(
        &self,
        txn: &Transaction,
        key: &[u8],
    ) -> Result<Option<isolde_txn::Value>> {
        Ok(txn.get(key)?)
    }

    /// The stored definition of table `name` (under `key`), locked in `mode`: `Shared`
    /// by statements that write rows, `Exclusive` by DDL that changes the table or reads
    /// all its rows (CREATE INDEX, DROP). This is PostgreSQL's table-lock rule in
    /// miniature: DDL waits for writers in progress and writers wait for DDL in
    /// progress, and a writer that waited sees the definition the DDL committed (new
    /// indexes included).
    ///
    /// Returns the newest committed definition if it changed after the statement's
    /// snapshot (the lock waited for its writer), else the one the transaction sees. A
    /// lock the transaction already
    /// holds, in this mode or a stronger one, is not asked for again: while it is held no
    /// other transaction can change the definition, so the transaction's own read is
    /// the newest.
    pub fn lock_definition(
        &mut self,
        txn: &mut Transaction,
        name: &str,
        key: &[u8],
        mode: LockMode,
    ) -> Result<Option<isolde_txn::Value>> {
        if self.holds(txn.id(), name, mode) {
            return Ok(txn.get(key)?);
        }
        let lock = txn.lock(key, mode)?;
        self.note_lock(txn.id(), name, mode);
        if lock.changed {
            return Ok(lock.value);
        }
        Ok(txn.get(key)?)
    }

    /// True if transaction `txn` holds the lock on table `name`'s definition in `mode`
    /// or a stronger one.
    pub fn holds(&self, txn: TxnId, name: &str, mode: LockMode) -> bool {
        match &self.held {
            Some((id, locks)) if *id == txn => locks
                .iter()
                .any(|(n, m)| n == name && (*m == mode || *m == LockMode::Exclusive)),
            _ => false,
        }
    }

    /// How many table-definition locks transaction `txn` holds, as a savepoint records.
    pub fn held_locks(&self, txn: TxnId) -> usize {
        match &self.held {
            Some((id, locks)) if *id == txn => locks.len(),
            _ => 0,
        }
    }

    /// After transaction `txn` rolled back to a savepoint at which it held `held`
    /// definition locks: forgets the locks taken since (the transaction released them),
    /// and counts the definitions it wrote since as changed again, which they were.
    pub fn rolled_back(&mut self, txn: TxnId, held: usize) {
        if let Some((id, locks)) = &mut self.held {
            if *id == txn {
                locks.truncate(held);
            }
        }
        self.writes += 1;
    }

    fn note_lock(&mut self, txn: TxnId, name: &str, mode: LockMode) {
        let locks = match &mut self.held {
            Some((id, locks)) if *id == txn => locks,
            held => &mut held.insert((txn, Vec::new())).1,
        };
        match locks.iter_mut().find(|(n, _)| n == name) {
            Some((_, m)) => {
                if mode == LockMode::Exclusive {
                    *m = mode;
                }
            }
            None => locks.push((name.to_string(), mode)),
        }
    }

    /// The table stored as `bytes` under `name`, decoded unless the same bytes were
    /// decoded before.
    pub fn decode(
        &mut self,
        name: &str,
        bytes: Option<isolde_txn::Value>,
    ) -> Result<Option<Arc<Table>>> {
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        if let Some((cached, table)) = self.decoded.get(name) {
            if Arc::ptr_eq(cached, &bytes) || cached[..] == bytes[..] {
                return Ok(Some(table.clone()));
            }
        }
        let table = Arc::new(Table::decode(&bytes)?);
        if self.decoded.len() > 1024 {
            self.decoded.clear();
        }
        self.decoded
            .insert(name.to_string(), (bytes, table.clone()));
        Ok(Some(table))
    }

    /// The name of the table an index belongs to, or None.
    pub fn index_table(&self, txn: &Transaction, index: &str) -> Result<Option<String>> {
        match txn.get(&index_name_key(index))? {
            Some(b) => Ok(Some(String::from_utf8(b.to_vec()).map_err(|_| {
                Error::Corrupt(format!("index name entry for \"{index}\" is not UTF-8"))
            })?)),
            None => Ok(None),
        }
    }

    /// Locks a catalog key this transaction is about to write and returns its current
    /// value: waiting out a concurrent DDL statement on the same name (or the id
    /// counter) and then seeing what it committed, so two CREATEs of one name, or two
    /// id allocations, can never both succeed.
    fn claim(txn: &mut Transaction, key: &[u8]) -> Result<Option<isolde_txn::Value>> {
        let lock = txn.lock(key, LockMode::Exclusive)?;
        if lock.changed {
            return Ok(lock.value);
        }
        Ok(txn.get(key)?)
    }

    /// True if a table or index named `name` exists, as seen after locking the name
    /// for creation.
    pub fn claim_name(&self, txn: &mut Transaction, name: &str, index: bool) -> Result<bool> {
        let key = if index {
            index_name_key(name)
        } else {
            table_def_key(name)
        };
        Ok(Catalog::claim(txn, &key)?.is_some())
    }

    /// Allocates a new table or index id.
    pub fn next_id(&self, txn: &mut Transaction) -> Result<u32> {
        let key = next_id_key();
        let id = match Catalog::claim(txn, &key)? {
            Some(b) => u32::from_be_bytes(
                b[..]
                    .try_into()
                    .map_err(|_| Error::Corrupt("object id counter".into()))?,
            ),
            None => 1,
        };
        txn.put(&key, &(id + 1).to_be_bytes())?;
        Ok(id)
    }

    /// How many table definitions this session has written or deleted so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Stores a table definition (new or changed) and its index names.
    pub fn save_table(&mut self, txn: &mut Transaction, table: &Table) -> Result<()> {
        self.writes += 1;
        txn.put(&table_def_key(&table.name), &table.encode())?;
        for index in &table.indexes {
            txn.put(&index_name_key(&index.name), table.name.as_bytes())?;
        }
        Ok(())
    }

    /// Deletes a table definition and its index names (not its rows).
    pub fn delete_table(&mut self, txn: &mut Transaction, table: &Table) -> Result<()> {
        self.writes += 1;
        txn.delete(&table_def_key(&table.name))?;
        for index in &table.indexes {
            txn.delete(&index_name_key(&index.name))?;
        }
        self.decoded.remove(&table.name);
        Ok(())
    }

    /// Deletes the name entry of a dropped index.
    pub fn delete_index_name(&mut self, txn: &mut Transaction, index: &str) -> Result<()> {
        txn.delete(&index_name_key(index))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            id: 7,
            name: "accounts".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    ty: DataType::Integer,
                    nullable: false,
                    default: None,
                },
                Column {
                    name: "owner".into(),
                    ty: DataType::Text { max_len: Some(20) },
                    nullable: true,
                    default: Some(Value::from("nobody")),
                },
            ],
            primary_key: vec![0],
            indexes: vec![Index {
                id: 8,
                name: "accounts_owner_key".into(),
                columns: vec![1],
                unique: true,
            }],
            checks: vec![Check {
                name: "accounts_owner_check".into(),
                expr: parse_condition("owner <> 'it''s' AND length(owner) < 10").unwrap(),
            }],
        }
    }

    #[test]
    fn table_definitions_round_trip() {
        let t = sample();
        assert_eq!(Table::decode(&t.encode()).unwrap(), t);
    }

    #[test]
    fn definitions_stored_before_check_constraints_still_decode() {
        let mut t = sample();
        t.checks.clear();
        let mut bytes = t.encode();
        bytes[0] = 1;
        // Version 1 ended after the indexes: no count of checks.
        bytes.truncate(bytes.len() - 4);
        assert_eq!(Table::decode(&bytes).unwrap(), t);
    }

    #[test]
    fn a_check_that_does_not_parse_is_corrupt() {
        let mut t = sample();
        t.checks.clear();
        let mut bytes = t.encode();
        bytes.truncate(bytes.len() - 4);
        bytes.extend_from_slice(&1u32.to_le_bytes());
        put_bytes(&mut bytes, b"c");
        put_bytes(&mut bytes, b"a >");
        assert_eq!(Table::decode(&bytes).unwrap_err().sqlstate(), "XX001");
    }

    #[test]
    fn truncated_definitions_are_corrupt_not_panics() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            let e = Table::decode(&bytes[..cut]).unwrap_err();
            assert_eq!(e.sqlstate(), "XX001");
        }
    }
}
