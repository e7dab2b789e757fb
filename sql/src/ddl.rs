//! CREATE TABLE, DROP TABLE, CREATE INDEX, DROP INDEX, CREATE SEQUENCE, DROP SEQUENCE:
//! catalog changes in the statement's transaction, so they commit or roll back with it.
//! Tables, indexes and sequences share one name space, as PostgreSQL's relations do.

use std::cmp::Ordering;

use isolde_txn::{IsolationLevel, LockMode, Value};
use sqlparser::ast;

use crate::catalog::{Column, Identity, Index, Table};
use crate::check;
use crate::create_table_as::create_table_as;
use crate::datetime::functions::DateTimeFunction;
use crate::encoding::{
    decode_row, index_prefix, parse_key, row_prefix, table_def_key, table_def_prefix, StoredKey,
};
use crate::error::{Error, Result};
use crate::executor::insert_index_entry;
use crate::expression::{Expr, Function};
use crate::planner::{data_type, ident, object_name, Planner, Scope};
use crate::sequence::{self, Sequence, SequenceType};
use crate::session::QueryResult;
use crate::types::DataType;
use crate::view;

fn unsupported(what: &str) -> Error {
    Error::FeatureNotSupported(what.to_string())
}

pub(crate) fn check_writable(p: &Planner<'_, '_>, statement: &'static str) -> Result<()> {
    if p.env.txn.borrow().is_read_only() {
        return Err(Error::ReadOnly(statement));
    }
    Ok(())
}

pub(crate) fn done(tag: &str, notice: Option<String>) -> QueryResult {
    QueryResult {
        columns: Default::default(),
        rows: Vec::new(),
        tag: tag.into(),
        notices: notice.into_iter().collect(),
    }
}

pub(crate) fn index_columns(table: &Table, cols: &[ast::IndexColumn]) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for c in cols {
        let ast::Expr::Identifier(i) = &c.column.expr else {
            return Err(unsupported("index on an expression"));
        };
        let pos = table.must_column_index(&ident(i))?;
        if out.contains(&pos) {
            return Err(Error::DuplicateColumn(ident(i)));
        }
        out.push(pos);
    }
    Ok(out)
}

/// CREATE TABLE [IF NOT EXISTS] t (col type [constraints], ..., [PRIMARY KEY (...)], [UNIQUE (...)])
pub fn create_table(p: &mut Planner<'_, '_>, ct: &ast::CreateTable) -> Result<QueryResult> {
    check_writable(p, "CREATE TABLE")?;
    let refused = [
        (ct.or_replace, "CREATE OR REPLACE TABLE"),
        (ct.temporary, "CREATE TEMPORARY TABLE"),
        (ct.external, "CREATE EXTERNAL TABLE"),
        (ct.like.is_some(), "CREATE TABLE ... LIKE"),
        (ct.clone.is_some(), "CREATE TABLE ... CLONE"),
    ];
    if let Some((_, what)) = refused.iter().find(|(asked, _)| *asked) {
        return Err(unsupported(what));
    }
    if let Some(query) = &ct.query {
        return create_table_as(p, ct, query);
    }
    let name = object_name(&ct.name)?;
    if claim_relation_name(p, &name)? {
        if ct.if_not_exists {
            return Ok(done(
                "CREATE TABLE",
                Some(format!(
                    "NOTICE:  relation \"{name}\" already exists, skipping"
                )),
            ));
        }
        return Err(Error::DuplicateTable(name));
    }
    let mut table = Table {
        id: 0,
        name: name.clone(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Vec::new(),
        checks: Vec::new(),
        primary_key_name: None,
    };
    // CHECK conditions, named or not, in the order written: they are defined once every
    // column is, since a column's condition may name the columns after it.
    let mut checks: Vec<(Option<String>, &ast::Expr)> = Vec::new();
    let mut uniques: Vec<Vec<usize>> = Vec::new();
    let mut primary: Option<Vec<usize>> = None;
    let mut owned = Vec::new();
    for (pos, def) in ct.columns.iter().enumerate() {
        if table.column_index(&ident(&def.name)).is_some() {
            return Err(Error::DuplicateColumn(ident(&def.name)));
        }
        let d = column_definition(p, &name, def)?;
        if d.primary {
            set_primary(&mut primary, vec![pos], &name)?;
        }
        uniques.extend((0..d.uniques).map(|_| vec![pos]));
        checks.extend(d.checks);
        if let Some((seq_ty, options)) = d.generated {
            owned.push((pos, Sequence::new(p, String::new(), seq_ty, options)?));
        }
        table.columns.push(d.column);
    }
    for c in &ct.constraints {
        match c {
            ast::TableConstraint::PrimaryKey(pk) => {
                let cols = index_columns(&table, &pk.columns)?;
                set_primary(&mut primary, cols, &name)?;
            }
            ast::TableConstraint::Unique(u) => uniques.push(index_columns(&table, &u.columns)?),
            ast::TableConstraint::Check(c) => {
                checks.push((c.name.as_ref().map(ident), check_condition(c)?))
            }
            other => {
                return Err(Error::FeatureNotSupported(format!(
                    "table constraint {other}"
                )))
            }
        }
    }
    for (name, condition) in checks {
        let check = check::define(p, &table, name, condition)?;
        table.checks.push(check);
    }
    table.checks.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pk) = primary {
        for &c in &pk {
            table.columns[c].nullable = false;
        }
        table.primary_key = pk;
    }
    for (pos, mut seq) in owned {
        let column = &mut table.columns[pos];
        seq.name = owned_sequence_name(p, &name, &column.name)?;
        seq.owned_by = Some((name.clone(), column.name.clone()));
        sequence::save(p, &mut seq)?;
        column.default_sequence = Some(seq.name);
    }
    let mut txn = p.env.txn.borrow_mut();
    table.id = p.catalog.next_id(&mut txn)?;
    for cols in uniques {
        if cols == table.primary_key {
            continue;
        }
        let iname = format!(
            "{}_{}_key",
            name,
            cols.iter()
                .map(|&c| table.columns[c].name.as_str())
                .collect::<Vec<_>>()
                .join("_")
        );
        if p.catalog.index_table(&txn, &iname)?.is_some()
            || table.indexes.iter().any(|i| i.name == iname)
        {
            return Err(Error::DuplicateTable(iname));
        }
        let id = p.catalog.next_id(&mut txn)?;
        table.indexes.push(Index {
            id,
            name: iname,
            columns: cols,
            unique: true,
        });
    }
    p.catalog.save_table(&mut txn, &table)?;
    Ok(done("CREATE TABLE", None))
}

/// True if a table, view, index or sequence is named `name`, as seen after locking the
/// name for creation.
pub(crate) fn claim_relation_name(p: &mut Planner<'_, '_>, name: &str) -> Result<bool> {
    let exists = {
        let mut txn = p.env.txn.borrow_mut();
        p.catalog.claim_name(&mut txn, name, false)? || p.catalog.index_table(&txn, name)?.is_some()
    };
    Ok(exists || sequence::get(p.env, name)?.is_some())
}

/// A column definition of CREATE TABLE or ALTER TABLE ... ADD COLUMN, read: the column
/// and what its options ask of the table.
pub(crate) struct ColumnDefinition<'d> {
    pub column: Column,
    /// The type and options of the sequence a SERIAL or identity column takes its
    /// values from, still to be made (and named) with the table.
    pub generated: Option<(SequenceType, &'d [ast::SequenceOptions])>,
    /// `PRIMARY KEY`.
    pub primary: bool,
    /// How many times `UNIQUE` is written.
    pub uniques: usize,
    /// CHECK conditions, with their names if given.
    pub checks: Vec<(Option<String>, &'d ast::Expr)>,
}

/// Reads the definition of a column of table `table` (for messages): its type, and the
/// options written after it.
pub(crate) fn column_definition<'d>(
    p: &mut Planner<'_, '_>,
    name: &str,
    def: &'d ast::ColumnDef,
) -> Result<ColumnDefinition<'d>> {
    let cname = ident(&def.name);
    let serial = serial_type(&def.data_type);
    let ty = match serial {
        Some(_) => DataType::Integer,
        None => data_type(&def.data_type)?,
    };
    let mut column = Column {
        name: cname,
        ty,
        nullable: serial.is_none(),
        default: None,
        default_sequence: None,
        identity: None,
        default_clock: None,
    };
    let mut generated = serial.map(|ty| (ty, &[][..]));
    let (mut primary, mut uniques, mut checks) = (false, 0, Vec::new());
    for opt in &def.options {
        match &opt.option {
            ast::ColumnOption::Null => column.nullable = true,
            ast::ColumnOption::NotNull => column.nullable = false,
            ast::ColumnOption::Default(e) => {
                if column.identity.is_some() {
                    return Err(default_and_identity(&column.name, name));
                }
                if generated.is_some() || column.default.is_some() {
                    return Err(Error::SyntaxRule(format!(
                        "multiple default values specified for column \"{}\" of table \"{name}\"",
                        column.name
                    )));
                }
                column_default(p, e, &mut column)?;
            }
            ast::ColumnOption::Generated {
                generated_as: kind @ (ast::GeneratedAs::Always | ast::GeneratedAs::ByDefault),
                sequence_options,
                generation_expr: None,
                ..
            } => {
                if column.default.is_some() || column.default_sequence.is_some() {
                    return Err(default_and_identity(&column.name, name));
                }
                if generated.is_some() {
                    return Err(Error::SyntaxRule(format!(
                        "multiple identity specifications for column \"{}\" of table \"{name}\"",
                        column.name
                    )));
                }
                let seq_ty = SequenceType::of(&def.data_type).ok_or_else(|| {
                    Error::InvalidArgument(
                        "identity column type must be smallint, integer, or bigint".into(),
                    )
                })?;
                column.identity = Some(match kind {
                    ast::GeneratedAs::Always => Identity::Always,
                    _ => Identity::ByDefault,
                });
                column.nullable = false;
                generated = Some((seq_ty, sequence_options.as_deref().unwrap_or_default()));
            }
            ast::ColumnOption::PrimaryKey(_) => {
                if primary {
                    return Err(Error::InvalidTableDefinition(format!(
                        "multiple primary keys for table \"{name}\" are not allowed"
                    )));
                }
                primary = true;
            }
            ast::ColumnOption::Unique(_) => uniques += 1,
            ast::ColumnOption::Check(c) => {
                let name = opt.name.as_ref().or(c.name.as_ref());
                checks.push((name.map(ident), check_condition(c)?));
            }
            other => return Err(Error::FeatureNotSupported(format!("column option {other}"))),
        }
    }
    if generated.is_some() {
        // PostgreSQL: NOT NULL whatever the column says (`serial NULL` is an error
        // there; here the NULL is overruled).
        column.nullable = false;
    }
    Ok(ColumnDefinition {
        column,
        generated,
        primary,
        uniques,
        checks,
    })
}

/// The condition of a CHECK constraint; one PostgreSQL would not enforce is refused.
pub(crate) fn check_condition(c: &ast::CheckConstraint) -> Result<&ast::Expr> {
    if c.enforced == Some(false) {
        return Err(unsupported("NOT ENFORCED check constraint"));
    }
    Ok(&c.expr)
}

/// The sequence type of a SERIAL type name (`serial`, `serial4`, `bigserial`,
/// `serial8`, `smallserial`, `serial2`), or None for any other type.
fn serial_type(ty: &ast::DataType) -> Option<SequenceType> {
    let ast::DataType::Custom(name, args) = ty else {
        return None;
    };
    if !args.is_empty() {
        return None;
    }
    Some(match object_name(name).ok()?.as_str() {
        "serial" | "serial4" => SequenceType::Integer,
        "bigserial" | "serial8" => SequenceType::BigInt,
        "smallserial" | "serial2" => SequenceType::SmallInt,
        _ => return None,
    })
}

fn default_and_identity(column: &str, table: &str) -> Error {
    Error::SyntaxRule(format!(
        "both default and identity specified for column \"{column}\" of table \"{table}\""
    ))
}

/// Sets a column's DEFAULT: `nextval('s')` of an existing sequence, a clock function
/// (`now()`, `current_date`, ...), or a constant expression.
pub(crate) fn column_default(
    p: &mut Planner<'_, '_>,
    e: &ast::Expr,
    column: &mut Column,
) -> Result<()> {
    if let Some(name) = nextval_of_literal(e) {
        if sequence::get(p.env, &name)?.is_none() {
            return Err(Error::UndefinedTable(name));
        }
        column.default_sequence = Some(name);
        return Ok(());
    }
    let v = match p.scalar(e, &Scope::default())? {
        Expr::Const(v) => v,
        Expr::Call(Function::DateTime(DateTimeFunction::Clock(clock)), _) => {
            // Its type must be one the column takes, as PostgreSQL checks at once.
            let now = clock.value(p.env.times);
            now.assign(column.ty).map_err(|_| {
                Error::DatatypeMismatch(format!(
                    "column \"{}\" is of type {} but default expression is of type {}",
                    column.name,
                    column.ty.base_name(),
                    now.type_name()
                ))
            })?;
            column.default_clock = Some(clock);
            return Ok(());
        }
        _ => {
            return Err(unsupported(
                "DEFAULT that is neither a constant expression, nextval('sequence') nor a clock function such as now()",
            ))
        }
    };
    // A VARCHAR(n) default's length and a NUMERIC(p, s) default's precision are
    // checked where it is used, as in PostgreSQL: CREATE TABLE takes DEFAULT 'abc' for
    // VARCHAR(2) and DEFAULT 123.45 for NUMERIC(3, 1), and describes it as written.
    let as_stored = match column.ty {
        DataType::Text { .. } => DataType::Text { max_len: None },
        DataType::Numeric { .. } => DataType::NUMERIC,
        ty => ty,
    };
    column.default = Some(v.assign(as_stored).map_err(|e| match e {
        Error::DatatypeMismatch(_) => Error::DatatypeMismatch(format!(
            "column \"{}\" is of type {} but default expression is of type {}",
            column.name,
            column.ty.base_name(),
            v.type_name()
        )),
        e => e,
    })?);
    Ok(())
}

/// The sequence name of `nextval('name')` written with a string literal.
fn nextval_of_literal(e: &ast::Expr) -> Option<String> {
    let ast::Expr::Function(f) = e else {
        return None;
    };
    if object_name(&f.name).ok()? != "nextval" {
        return None;
    }
    let ast::FunctionArguments::List(l) = &f.args else {
        return None;
    };
    match l.args.as_slice() {
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Value(v)))] => {
            match &v.value {
                ast::Value::SingleQuotedString(s) => Some(sequence::fold_name(s)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// True if a table, index or sequence named `name` exists.
pub(crate) fn relation_exists(p: &Planner<'_, '_>, name: &str) -> Result<bool> {
    let txn = p.env.txn.borrow();
    Ok(p.catalog.index_table(&txn, name)?.is_some()
        || txn.get(&crate::encoding::table_def_key(name))?.is_some()
        || sequence::get(p.env, name)?.is_some())
}

/// The name PostgreSQL gives the sequence of a SERIAL or identity column:
/// `<table>_<column>_seq`, or with the first number after it that makes it free.
pub(crate) fn owned_sequence_name(
    p: &Planner<'_, '_>,
    table: &str,
    column: &str,
) -> Result<String> {
    let base = format!("{table}_{column}_seq");
    let mut name = base.clone();
    let mut n = 0;
    while name == table || relation_exists(p, &name)? {
        n += 1;
        name = format!("{base}{n}");
    }
    Ok(name)
}

/// CREATE SEQUENCE [IF NOT EXISTS] name [AS type] [options]
pub fn create_sequence(
    p: &mut Planner<'_, '_>,
    name: &ast::ObjectName,
    if_not_exists: bool,
    ty: Option<&ast::DataType>,
    options: &[ast::SequenceOptions],
) -> Result<QueryResult> {
    check_writable(p, "CREATE SEQUENCE")?;
    let name = object_name(name)?;
    let ty = match ty {
        None => SequenceType::BigInt,
        Some(t) => SequenceType::of(t).ok_or_else(|| {
            Error::InvalidArgument("sequence type must be smallint, integer, or bigint".into())
        })?,
    };
    let taken = sequence::lock(p.env, &name)?.is_some() || {
        let txn = p.env.txn.borrow();
        p.catalog.index_table(&txn, &name)?.is_some() || txn.get(&table_def_key(&name))?.is_some()
    };
    if taken {
        if if_not_exists {
            return Ok(done(
                "CREATE SEQUENCE",
                Some(format!(
                    "NOTICE:  relation \"{name}\" already exists, skipping"
                )),
            ));
        }
        return Err(Error::DuplicateTable(name));
    }
    let mut seq = Sequence::new(p, name, ty, options)?;
    sequence::save(p, &mut seq)?;
    Ok(done("CREATE SEQUENCE", None))
}

/// Drops sequence `name`, unless a column's default uses it (2BP01, as PostgreSQL
/// without CASCADE). False if there is none.
fn drop_sequence(p: &mut Planner<'_, '_>, name: &str) -> Result<bool> {
    let Some(seq) = sequence::lock(p.env, name)? else {
        return Ok(false);
    };
    if let Some((table, column)) = sequence_user(p, name)? {
        return Err(Error::DependentObjects {
            message: format!("cannot drop sequence {name} because other objects depend on it"),
            detail: format!(
                "default value for column {column} of table {table} depends on sequence {name}"
            ),
        });
    }
    sequence::delete(p.env, &seq)?;
    Ok(true)
}

/// A table and column whose default takes values from sequence `name`, if any.
fn sequence_user(p: &mut Planner<'_, '_>, name: &str) -> Result<Option<(String, String)>> {
    let defs: Vec<(Vec<u8>, Value)> = p
        .env
        .txn
        .borrow()
        .scan_prefix(&table_def_prefix())?
        .collect();
    for (key, bytes) in defs {
        let Some(StoredKey::TableDef(table)) = parse_key(&key) else {
            continue;
        };
        let Some(t) = p.catalog.decode(table, Some(bytes))? else {
            continue;
        };
        if let Some(c) = t
            .columns
            .iter()
            .find(|c| c.default_sequence.as_deref() == Some(name))
        {
            return Ok(Some((t.name.clone(), c.name.clone())));
        }
    }
    Ok(None)
}

/// The sequences `table`'s columns own (SERIAL, identity), by name.
fn owned_sequences(p: &Planner<'_, '_>, table: &Table) -> Result<Vec<Sequence>> {
    let mut out = Vec::new();
    for c in &table.columns {
        let Some(name) = &c.default_sequence else {
            continue;
        };
        if let Some(seq) = sequence::get(p.env, name)? {
            if seq.owned_by.as_ref() == Some(&(table.name.clone(), c.name.clone())) {
                out.push(seq);
            }
        }
    }
    Ok(out)
}

fn set_primary(slot: &mut Option<Vec<usize>>, cols: Vec<usize>, table: &str) -> Result<()> {
    if slot.is_some() {
        return Err(Error::InvalidTableDefinition(format!(
            "multiple primary keys for table \"{table}\" are not allowed"
        )));
    }
    *slot = Some(cols);
    Ok(())
}

pub(crate) fn delete_prefix(p: &Planner<'_, '_>, prefix: &[u8]) -> Result<()> {
    let rows: Vec<(Vec<u8>, Value)> = p.env.txn.borrow().scan_prefix(prefix)?.collect();
    // At REPEATABLE READ and SERIALIZABLE the snapshot may miss rows committed before the
    // exclusive lock was granted, which would outlive their table: as for CREATE INDEX,
    // that is a serialization failure.
    if p.env.txn.borrow().level().uses_transaction_snapshot() {
        check_rows_unchanged(p, prefix, &rows)?;
    }
    let mut txn = p.env.txn.borrow_mut();
    for (k, _) in rows {
        txn.delete(&k)?;
    }
    Ok(())
}

/// DROP TABLE [IF EXISTS] t, ... [CASCADE] and DROP INDEX [IF EXISTS] i, ...: CASCADE
/// drops the views that depend on a table ([`view::drop_dependents`]).
pub fn drop(
    p: &mut Planner<'_, '_>,
    object_type: &ast::ObjectType,
    if_exists: bool,
    names: &[ast::ObjectName],
    cascade: bool,
) -> Result<QueryResult> {
    let (tag, kind) = match object_type {
        ast::ObjectType::Table => ("DROP TABLE", "table"),
        ast::ObjectType::Index => ("DROP INDEX", "index"),
        ast::ObjectType::Sequence => ("DROP SEQUENCE", "sequence"),
        other => return Err(Error::FeatureNotSupported(format!("DROP {other}"))),
    };
    if cascade && kind != "table" {
        return Err(unsupported("DROP INDEX / SEQUENCE ... CASCADE"));
    }
    check_writable(p, tag)?;
    let mut notices = Vec::new();
    for n in names {
        let name = object_name(n)?;
        let dropped = match kind {
            "table" => drop_table(p, &name, cascade, &mut notices)?,
            "index" => drop_index(p, &name)?,
            _ => drop_sequence(p, &name)?,
        };
        if !dropped {
            if !if_exists {
                return Err(match kind {
                    "index" => Error::UndefinedObject(format!("index \"{name}\" does not exist")),
                    "sequence" => Error::UndefinedSequence(name),
                    _ => Error::UndefinedTable(name),
                });
            }
            notices.push(format!(
                "NOTICE:  {kind} \"{name}\" does not exist, skipping"
            ));
        }
    }
    let mut r = done(tag, None);
    r.notices = notices;
    Ok(r)
}

fn drop_table(
    p: &mut Planner<'_, '_>,
    name: &str,
    cascade: bool,
    notices: &mut Vec<String>,
) -> Result<bool> {
    let Some(table) = p.lock_table(name, LockMode::Exclusive)? else {
        return Ok(false);
    };
    notices.extend(view::drop_dependents(p, "table", name, cascade)?);
    delete_rows(p, &table)?;
    p.catalog
        .delete_table(&mut p.env.txn.borrow_mut(), &table)?;
    for seq in owned_sequences(p, &table)? {
        if let Some(seq) = sequence::lock(p.env, &seq.name)? {
            sequence::delete(p.env, &seq)?;
        }
    }
    Ok(true)
}

/// Deletes every row of `table`, whose definition the transaction holds exclusively,
/// and every entry of its indexes.
fn delete_rows(p: &Planner<'_, '_>, table: &Table) -> Result<()> {
    delete_prefix(p, &row_prefix(table.id))?;
    for index in &table.indexes {
        delete_prefix(p, &index_prefix(index.id))?;
    }
    Ok(())
}

/// TRUNCATE [TABLE] t, ... [RESTART IDENTITY]: every row of each table deleted under the
/// table's exclusive lock, as DROP TABLE deletes them. `RESTART IDENTITY` starts the
/// sequences the tables' columns own (SERIAL, identity) again at their START value, at
/// once: unlike PostgreSQL's, a rollback does not undo that (see [`crate::sequence`]).
/// `CASCADE` is accepted and changes nothing: isolde has no foreign keys. Unlike PostgreSQL's, it
/// is an ordinary transactional delete: a transaction whose snapshot is older still sees
/// the rows, and at REPEATABLE READ and SERIALIZABLE a row committed after the snapshot
/// is a serialization failure, as for DROP TABLE.
pub fn truncate(p: &mut Planner<'_, '_>, t: &ast::Truncate) -> Result<QueryResult> {
    if t.partitions.is_some() || t.on_cluster.is_some() {
        return Err(unsupported("TRUNCATE of partitions or on a cluster"));
    }
    check_writable(p, "TRUNCATE TABLE")?;
    for target in &t.table_names {
        let name = object_name(&target.name)?;
        let table = p
            .lock_table(&name, LockMode::Exclusive)?
            .ok_or(Error::UndefinedTable(name))?;
        delete_rows(p, &table)?;
        if t.identity == Some(ast::TruncateIdentityOption::Restart) {
            for seq in owned_sequences(p, &table)? {
                sequence::restart(p.env, &seq.name)?;
            }
        }
    }
    Ok(done("TRUNCATE TABLE", None))
}

fn drop_index(p: &mut Planner<'_, '_>, name: &str) -> Result<bool> {
    let Some(table_name) = p.catalog.index_table(&p.env.txn.borrow(), name)? else {
        return Ok(false);
    };
    let table = p
        .lock_table(&table_name, LockMode::Exclusive)?
        .ok_or_else(|| Error::UndefinedTable(table_name.clone()))?;
    let mut changed = (*table).clone();
    let Some(pos) = changed.indexes.iter().position(|i| i.name == name) else {
        return Err(Error::Corrupt(format!(
            "index \"{name}\" is not in table \"{table_name}\""
        )));
    };
    let index = changed.indexes.remove(pos);
    delete_prefix(p, &index_prefix(index.id))?;
    let mut txn = p.env.txn.borrow_mut();
    p.catalog.delete_index_name(&mut txn, name)?;
    p.catalog.save_table(&mut txn, &changed)?;
    Ok(true)
}

/// CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON t (col, ...): builds the index from
/// every live row, as PostgreSQL does: the newest committed rows with the transaction's own
/// writes over them. Its exclusive lock on the definition waits for every transaction
/// writing the table, so at READ COMMITTED the statement's snapshot, taken after the lock,
/// holds those rows. At REPEATABLE READ and SERIALIZABLE the transaction's snapshot may
/// predate some of them, and its later reads would disagree with the index: then it is a
/// serialization failure ([`check_rows_unchanged`]).
pub fn create_index(p: &mut Planner<'_, '_>, ci: &ast::CreateIndex) -> Result<QueryResult> {
    check_writable(p, "CREATE INDEX")?;
    if ci.using.is_some() || ci.predicate.is_some() || !ci.include.is_empty() || ci.concurrently {
        return Err(unsupported(
            "CREATE INDEX with USING / WHERE / INCLUDE / CONCURRENTLY",
        ));
    }
    let table = p.table_for_write(&ci.table_name, LockMode::Exclusive)?;
    let cols = index_columns(&table, &ci.columns)?;
    let name = match &ci.name {
        Some(n) => object_name(n)?,
        None => format!(
            "{}_{}_idx",
            table.name,
            cols.iter()
                .map(|&c| table.columns[c].name.as_str())
                .collect::<Vec<_>>()
                .join("_")
        ),
    };
    let taken = {
        let mut txn = p.env.txn.borrow_mut();
        p.catalog.claim_name(&mut txn, &name, true)? || txn.get(&table_def_key(&name))?.is_some()
    } || sequence::get(p.env, &name)?.is_some();
    if taken {
        if ci.if_not_exists {
            return Ok(done(
                "CREATE INDEX",
                Some(format!(
                    "NOTICE:  relation \"{name}\" already exists, skipping"
                )),
            ));
        }
        return Err(Error::DuplicateTable(name));
    }
    let mut changed = (*table).clone();
    let id = p.catalog.next_id(&mut p.env.txn.borrow_mut())?;
    changed.indexes.push(Index {
        id,
        name,
        columns: cols,
        unique: ci.unique,
    });
    let position = changed.indexes.len() - 1;
    let prefix = row_prefix(table.id);
    let rows: Vec<(Vec<u8>, Value)> = p.env.txn.borrow().scan_prefix(&prefix)?.collect();
    if p.env.txn.borrow().level().uses_transaction_snapshot() {
        check_rows_unchanged(p, &prefix, &rows)?;
    }
    for (key, value) in rows {
        let row = decode_row(&value)?;
        insert_index_entry(&changed, position, &row, &key[prefix.len()..], p.env)?;
    }
    p.catalog
        .save_table(&mut p.env.txn.borrow_mut(), &changed)?;
    Ok(done("CREATE INDEX", None))
}

/// Fails unless `seen`, the rows under `prefix` as a REPEATABLE READ or SERIALIZABLE
/// transaction reads them (its snapshot, its own writes over it), are the rows an index
/// built now must hold: the newest committed ones with the transaction's own writes over
/// them. CREATE INDEX holds the table's definition exclusively, so no other transaction
/// has a pending write in the table, and a read-only transaction begun now reads every
/// committed row. A row where the two reads differ is either this transaction's own
/// write or a row committed after its snapshot: locking it tells which, as writing it
/// would, and the second is the serialization failure (40001) of writing a row changed
/// after the snapshot, which names the row and its table.
pub(crate) fn check_rows_unchanged(
    p: &Planner<'_, '_>,
    prefix: &[u8],
    seen: &[(Vec<u8>, Value)],
) -> Result<()> {
    let committed = p.env.db.begin_read_only(IsolationLevel::ReadCommitted);
    let differing = differing_keys(seen, committed.scan_prefix(prefix)?);
    committed.rollback();
    let mut txn = p.env.txn.borrow_mut();
    for key in differing {
        txn.lock(&key, LockMode::Shared)?;
    }
    Ok(())
}

/// The keys present in only one of two key-ordered lists of rows, or in both with
/// different values, in key order.
fn differing_keys(
    seen: &[(Vec<u8>, Value)],
    committed: impl Iterator<Item = (Vec<u8>, Value)>,
) -> Vec<Vec<u8>> {
    let mut seen = seen.iter().peekable();
    let mut committed = committed.peekable();
    let mut out = Vec::new();
    loop {
        let order = match (seen.peek(), committed.peek()) {
            (None, None) => return out,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        let a = (order != Ordering::Greater).then(|| seen.next()).flatten();
        let b = (order != Ordering::Less)
            .then(|| committed.next())
            .flatten();
        match (a, b) {
            (Some((_, a)), Some((_, b))) if *a == b => {}
            (Some((key, _)), _) => out.push(key.clone()),
            (None, Some((key, _))) => out.push(key),
            (None, None) => {}
        }
    }
}
