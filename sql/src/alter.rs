//! ALTER TABLE: changes to a table's definition, and to its rows where the change needs
//! them, in the statement's transaction.
//!
//! The statement takes the table's definition lock exclusively, as CREATE INDEX and
//! DROP TABLE do ([`crate::catalog::Catalog::lock_definition`]): it waits for every
//! transaction writing the table, and writers wait for it until it commits or rolls
//! back. The actions of one statement are applied in PostgreSQL's order (drops first,
//! then added columns, then constraints and defaults; see [`pass`]) to a copy of the
//! definition, and then, once, to the rows:
//!
//! - A stored row is its values by column position ([`crate::encoding`]), so adding or
//!   dropping a column **rewrites every row** in the transaction, with the new column's
//!   default computed for each (a volatile one, `clock_timestamp()` or a sequence's
//!   `nextval`, row by row). The rewrite is ordinary MVCC writes: a transaction whose
//!   snapshot is older reads the old rows with the old definition, the commit makes the
//!   new rows and the new definition visible together, a rollback leaves nothing, and
//!   the WAL, checkpoints and replicas carry the result with no format of their own.
//!   The price is PostgreSQL's for a table rewrite: time and a write set the size of
//!   the table.
//! - Constraints added (NOT NULL, CHECK) are tested on every row, and unique indexes
//!   added are built from the rows, as CREATE INDEX builds them; the first row that
//!   fails fails the statement with PostgreSQL's error.
//! - Renames, defaults and DROP NOT NULL change the definition only. Indexes and CHECK
//!   constraints refer to columns by position and by name: positions are renumbered
//!   when a column goes, and names in CHECK conditions are renamed with the column
//!   ([`rename::words`]).
//!
//! At REPEATABLE READ and SERIALIZABLE the transaction's snapshot may predate rows
//! committed before the lock was granted; as for CREATE INDEX, reading rows then is a
//! serialization failure rather than a rewrite that loses them.
//!
//! Not supported (0A000): `ALTER COLUMN ... TYPE`, adding or dropping a primary key (or
//! a primary key column, which PostgreSQL allows, leaving the table without one),
//! dropping a table's last column, `ADD COLUMN ... PRIMARY KEY`, foreign keys, `NOT
//! VALID`, identity changes (`ADD GENERATED`, `DROP IDENTITY`), and the other forms
//! (`SET SCHEMA`, storage, triggers, ...).

mod rename;

use std::borrow::Cow;
use std::sync::Arc;

use isolde_txn::{LockMode, Value as Bytes};
use sqlparser::ast::{self, AlterColumnOperation as ColumnOp, AlterTableOperation as Op};

use crate::catalog::{Index, Table};
use crate::check::{self, not_boolean};
use crate::ddl;
use crate::encoding::{decode_row, encode_row, index_prefix, row_prefix, OBJECT_PREFIX_LEN};
use crate::error::{Error, Result};
use crate::executor::insert_index_entry;
use crate::expression::Expr;
use crate::planner::{ident, object_name, Planner, Scope};
use crate::sequence::{self, Sequence};
use crate::session::QueryResult;
use crate::types::Value;

/// Where a column of the altered table takes its values in the existing rows from.
enum Source {
    /// The column at this position of the table as it was.
    Old(usize),
    /// A column added: its default, computed for each row.
    New(Expr),
}

/// An ALTER TABLE statement under way: the new definition and what the rows need.
struct Alter {
    old: Arc<Table>,
    table: Table,
    /// One per column of `table`.
    sources: Vec<Source>,
    /// Columns made NOT NULL, by name: every row must have a value in them.
    not_null: Vec<String>,
    /// CHECK constraints added, by name: every row must pass them.
    checks: Vec<String>,
    /// Unique indexes added, by id: built from the rows.
    built: Vec<u32>,
    /// Indexes dropped: their entries are deleted.
    dropped: Vec<Index>,
    notices: Vec<String>,
}

/// ALTER TABLE [IF EXISTS] [ONLY] t action [, ...], or one RENAME.
pub fn alter_table(p: &mut Planner<'_, '_>, at: &ast::AlterTable) -> Result<QueryResult> {
    ddl::check_writable(p, "ALTER TABLE")?;
    if at.location.is_some() || at.on_cluster.is_some() || at.table_type.is_some() {
        return Err(unsupported(&format!("{at}")));
    }
    // PostgreSQL's grammar has RENAME as a statement of its own, never in a list.
    if at.operations.len() > 1 && at.operations.iter().any(is_rename) {
        return Err(Error::SyntaxRule("syntax error at or near \",\"".into()));
    }
    let name = object_name(&at.name)?;
    let Some(table) = p.lock_table(&name, LockMode::Exclusive)? else {
        if at.if_exists {
            let notice = format!("NOTICE:  relation \"{name}\" does not exist, skipping");
            return Ok(ddl::done("ALTER TABLE", Some(notice)));
        }
        return Err(Error::UndefinedTable(name));
    };
    if at.operations.iter().any(changes_what_views_read) {
        crate::view::refuse_if_read_by_views(p, &name)?;
    }
    let mut alter = Alter::new(table);
    let mut operations: Vec<&Op> = at.operations.iter().collect();
    operations.sort_by_key(|op| pass(op));
    for op in operations {
        alter.apply(p, op)?;
    }
    alter.finish(p)
}

/// True for the operations that would break a view's stored query: renaming the table
/// or a column, dropping a column.
fn changes_what_views_read(op: &Op) -> bool {
    matches!(
        op,
        Op::RenameTable { .. } | Op::RenameColumn { .. } | Op::DropColumn { .. }
    )
}

fn unsupported(what: &str) -> Error {
    Error::FeatureNotSupported(what.to_string())
}

fn is_rename(op: &Op) -> bool {
    matches!(op, Op::RenameColumn { .. } | Op::RenameTable { .. })
}

/// The order PostgreSQL applies the actions of one ALTER TABLE in (its `AT_PASS_*`):
/// drops, then added columns, CHECK constraints, SET NOT NULL, unique constraints and
/// defaults. So `ADD COLUMN c ..., DROP COLUMN c` finds no column to drop, as there.
fn pass(op: &Op) -> u8 {
    match op {
        Op::DropColumn { .. } | Op::DropConstraint { .. } => 0,
        Op::AlterColumn {
            op: ColumnOp::DropNotNull | ColumnOp::DropDefault,
            ..
        } => 0,
        Op::AddColumn { .. } => 2,
        Op::AddConstraint {
            constraint: ast::TableConstraint::Check(_),
            ..
        } => 3,
        Op::AlterColumn {
            op: ColumnOp::SetNotNull,
            ..
        } => 4,
        Op::AddConstraint { .. } => 5,
        _ => 6,
    }
}

impl Alter {
    fn new(old: Arc<Table>) -> Alter {
        Alter {
            table: (*old).clone(),
            sources: (0..old.columns.len()).map(Source::Old).collect(),
            old,
            not_null: Vec::new(),
            checks: Vec::new(),
            built: Vec::new(),
            dropped: Vec::new(),
            notices: Vec::new(),
        }
    }

    fn apply(&mut self, p: &mut Planner<'_, '_>, op: &Op) -> Result<()> {
        match op {
            Op::AddColumn {
                if_not_exists,
                column_def,
                column_position: None,
                ..
            } => self.add_column(p, column_def, *if_not_exists),
            Op::DropColumn {
                column_names,
                if_exists,
                ..
            } => column_names
                .iter()
                .try_for_each(|c| self.drop_column(p, &ident(c), *if_exists)),
            Op::RenameColumn {
                old_column_name,
                new_column_name,
            } => self.rename_column(p, &ident(old_column_name), &ident(new_column_name)),
            Op::RenameTable { table_name } => {
                let (ast::RenameTableNameKind::To(n) | ast::RenameTableNameKind::As(n)) =
                    table_name;
                self.rename_table(p, &object_name(n)?)
            }
            Op::AlterColumn { column_name, op } => self.alter_column(p, &ident(column_name), op),
            Op::AddConstraint {
                constraint,
                not_valid: false,
            } => self.add_constraint(p, constraint),
            Op::DropConstraint {
                if_exists, name, ..
            } => self.drop_constraint(&ident(name), *if_exists),
            other => Err(unsupported(&format!("ALTER TABLE ... {other}"))),
        }
    }

    /// ADD [COLUMN] [IF NOT EXISTS] c type [options]: the column goes last; SERIAL and
    /// identity columns get their sequence, which numbers the existing rows.
    fn add_column(
        &mut self,
        p: &mut Planner<'_, '_>,
        def: &ast::ColumnDef,
        if_not_exists: bool,
    ) -> Result<()> {
        let name = ident(&def.name);
        if self.table.column_index(&name).is_some() {
            let exists = Error::ColumnExists {
                table: self.table.name.clone(),
                column: name,
            };
            if if_not_exists {
                self.notices.push(format!("NOTICE:  {exists}, skipping"));
                return Ok(());
            }
            return Err(exists);
        }
        let d = ddl::column_definition(p, &self.table.name, def)?;
        if d.primary {
            return Err(unsupported("ALTER TABLE ... ADD COLUMN ... PRIMARY KEY"));
        }
        let mut column = d.column;
        if let Some((ty, options)) = d.generated {
            let mut seq = Sequence::new(p, String::new(), ty, options)?;
            seq.name = ddl::owned_sequence_name(p, &self.table.name, &column.name)?;
            seq.owned_by = Some((self.table.name.clone(), column.name.clone()));
            sequence::save(p, &mut seq)?;
            column.default_sequence = Some(seq.name);
        }
        if !column.nullable {
            self.not_null.push(column.name.clone());
        }
        self.sources.push(Source::New(column.default_expr()));
        let pos = self.table.columns.len();
        let constant = (!column.default_is_volatile()).then(|| column.default.clone());
        self.table.columns.push(column);
        if let Some(Some(v)) = constant {
            // PostgreSQL computes a constant default once, when the column is added, so
            // a value the column cannot hold fails even on an empty table.
            crate::dml::column_value(&self.table, pos, Cow::Owned(v))?;
        }
        for (name, condition) in d.checks {
            self.add_check(p, name, condition)?;
        }
        for _ in 0..d.uniques {
            self.add_unique(p, None, vec![pos])?;
        }
        Ok(())
    }

    /// DROP [COLUMN] [IF EXISTS] c [CASCADE | RESTRICT]: the indexes and CHECK
    /// constraints that use the column go with it, as in PostgreSQL, and so does a
    /// sequence it owns. Nothing outside the table can depend on a column (isolde has
    /// no views or foreign keys), so CASCADE and RESTRICT do the same.
    fn drop_column(&mut self, p: &mut Planner<'_, '_>, name: &str, if_exists: bool) -> Result<()> {
        let Some(pos) = self.table.column_index(name) else {
            let missing = self.table.must_column_index(name).unwrap_err();
            if if_exists {
                self.notices.push(format!("NOTICE:  {missing}, skipping"));
                return Ok(());
            }
            return Err(missing);
        };
        if self.table.primary_key.contains(&pos) {
            return Err(unsupported(&format!(
                "dropping column \"{name}\", which is in the primary key of table \"{}\"",
                self.table.name
            )));
        }
        if self.table.columns.len() == 1 {
            return Err(unsupported(&format!(
                "dropping column \"{name}\", the only column of table \"{}\"",
                self.table.name
            )));
        }
        let uses = self.checks_using(p, pos)?;
        self.table.checks.retain(|c| !uses.contains(&c.name));
        let (dropped, kept) = self
            .table
            .indexes
            .drain(..)
            .partition(|i| i.columns.contains(&pos));
        self.table.indexes = kept;
        self.dropped.extend(dropped);
        let column = self.table.columns.remove(pos);
        self.sources.remove(pos);
        let shift = |c: &mut usize| *c -= (*c > pos) as usize;
        self.table.primary_key.iter_mut().for_each(shift);
        for index in &mut self.table.indexes {
            index.columns.iter_mut().for_each(shift);
        }
        if let Some(seq) = self.owned_sequence(p, &column.name, column.default_sequence)? {
            sequence::delete(p.env, &seq)?;
        }
        Ok(())
    }

    /// The names of the CHECK constraints whose condition uses the column at `pos`.
    fn checks_using(&self, p: &mut Planner<'_, '_>, pos: usize) -> Result<Vec<String>> {
        let scope = Scope::of_table(&self.table, &self.table.name);
        let mut out = Vec::new();
        for c in &self.table.checks {
            let mut uses = false;
            p.scalar(&c.expr, &scope)?
                .walk(&mut |e| uses |= matches!(e, Expr::Column(i) if *i == pos));
            if uses {
                out.push(c.name.clone());
            }
        }
        Ok(out)
    }

    /// The sequence named `name` if column `column` of this table owns it, locked.
    fn owned_sequence(
        &self,
        p: &Planner<'_, '_>,
        column: &str,
        name: Option<String>,
    ) -> Result<Option<Sequence>> {
        let Some(name) = name else {
            return Ok(None);
        };
        let owner = (self.old.name.clone(), column.to_string());
        Ok(sequence::lock(p.env, &name)?.filter(|s| s.owned_by.as_ref() == Some(&owner)))
    }

    /// RENAME [COLUMN] a TO b: CHECK conditions and an owned sequence follow the name;
    /// index and constraint names stay, as in PostgreSQL.
    fn rename_column(&mut self, p: &mut Planner<'_, '_>, from: &str, to: &str) -> Result<()> {
        let pos = self
            .table
            .column_index(from)
            .ok_or_else(|| Error::UndefinedColumn(format!("\"{from}\"")))?;
        if self.table.column_index(to).is_some() {
            return Err(Error::ColumnExists {
                table: self.table.name.clone(),
                column: to.to_string(),
            });
        }
        for c in &mut self.table.checks {
            c.expr = rename::words(&c.expr, from, to, rename::Role::Column)?;
        }
        let column = &mut self.table.columns[pos];
        column.name = to.to_string();
        let sequence = column.default_sequence.clone();
        if let Some(mut seq) = self.owned_sequence(p, from, sequence)? {
            seq.owned_by = Some((self.table.name.clone(), to.to_string()));
            sequence::set_owner(p.env, &seq)?;
        }
        Ok(())
    }

    /// RENAME TO name: the rows, indexes and constraints keep their ids and names; the
    /// name is locked as CREATE TABLE locks it, so that a concurrent CREATE of it waits.
    fn rename_table(&mut self, p: &mut Planner<'_, '_>, to: &str) -> Result<()> {
        let taken = {
            let mut txn = p.env.txn.borrow_mut();
            p.catalog.claim_name(&mut txn, to, false)?
        } || ddl::relation_exists(p, to)?;
        if taken {
            return Err(Error::DuplicateTable(to.to_string()));
        }
        let from = self.table.name.clone();
        for c in &mut self.table.checks {
            c.expr = rename::words(&c.expr, &from, to, rename::Role::Qualifier)?;
        }
        if !self.table.primary_key.is_empty() {
            self.table.primary_key_name = Some(self.table.pkey_name());
        }
        self.table.name = to.to_string();
        for c in &self.table.columns {
            let sequence = c.default_sequence.clone();
            if let Some(mut seq) = self.owned_sequence(p, &c.name, sequence)? {
                seq.owned_by = Some((to.to_string(), c.name.clone()));
                sequence::set_owner(p.env, &seq)?;
            }
        }
        Ok(())
    }

    /// ALTER [COLUMN] c SET DEFAULT e | DROP DEFAULT | SET NOT NULL | DROP NOT NULL.
    fn alter_column(&mut self, p: &mut Planner<'_, '_>, name: &str, op: &ColumnOp) -> Result<()> {
        let pos = self.table.must_column_index(name)?;
        let identity = || {
            Error::SyntaxRule(format!(
                "column \"{name}\" of relation \"{}\" is an identity column",
                self.table.name
            ))
        };
        let column = &self.table.columns[pos];
        match op {
            ColumnOp::SetNotNull => {
                if column.nullable {
                    self.not_null.push(name.to_string());
                }
                self.table.columns[pos].nullable = false;
            }
            ColumnOp::DropNotNull if self.table.primary_key.contains(&pos) => {
                return Err(Error::InvalidTableDefinition(format!(
                    "column \"{name}\" is in a primary key"
                )))
            }
            ColumnOp::DropNotNull if column.identity.is_some() => return Err(identity()),
            ColumnOp::DropNotNull => self.table.columns[pos].nullable = true,
            ColumnOp::SetDefault { .. } | ColumnOp::DropDefault if column.identity.is_some() => {
                return Err(identity())
            }
            ColumnOp::SetDefault { value } => {
                let mut column = self.table.columns[pos].clone();
                clear_default(&mut column);
                ddl::column_default(p, value, &mut column)?;
                self.table.columns[pos] = column;
            }
            ColumnOp::DropDefault => clear_default(&mut self.table.columns[pos]),
            ColumnOp::SetDataType { .. } => {
                return Err(unsupported("ALTER TABLE ... ALTER COLUMN ... TYPE"))
            }
            other => {
                return Err(unsupported(&format!(
                    "ALTER TABLE ... ALTER COLUMN {other}"
                )))
            }
        }
        Ok(())
    }

    /// ADD [CONSTRAINT name] CHECK (...) | UNIQUE (columns).
    fn add_constraint(&mut self, p: &mut Planner<'_, '_>, c: &ast::TableConstraint) -> Result<()> {
        match c {
            ast::TableConstraint::Check(check) => {
                let name = check.name.as_ref().map(ident);
                self.add_check(p, name, ddl::check_condition(check)?)
            }
            ast::TableConstraint::Unique(u)
                if u.include.is_empty()
                    && u.index_options.is_empty()
                    && u.index_type.is_none()
                    && u.nulls_distinct == ast::NullsDistinctOption::None =>
            {
                let columns = ddl::index_columns(&self.table, &u.columns)?;
                self.add_unique(p, u.name.as_ref().map(ident), columns)
            }
            other => Err(unsupported(&format!("ALTER TABLE ... ADD {other}"))),
        }
    }

    fn add_check(
        &mut self,
        p: &mut Planner<'_, '_>,
        name: Option<String>,
        condition: &ast::Expr,
    ) -> Result<()> {
        if let Some(name) = &name {
            self.check_constraint_name_free(name)?;
        }
        let check = check::define(p, &self.table, name, condition)?;
        self.checks.push(check.name.clone());
        self.table.checks.push(check);
        self.table.checks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(())
    }

    /// 42710 if the table has a constraint (CHECK, unique, primary key) named `name`.
    fn check_constraint_name_free(&self, name: &str) -> Result<()> {
        let taken = self.table.checks.iter().any(|c| c.name == name)
            || self
                .table
                .indexes
                .iter()
                .any(|i| i.unique && i.name == name)
            || (!self.table.primary_key.is_empty() && self.table.pkey_name() == name);
        if taken {
            return Err(Error::ConstraintExists {
                table: self.table.name.clone(),
                constraint: name.to_string(),
            });
        }
        Ok(())
    }

    /// A unique index on `columns`, named `name` or as PostgreSQL names it
    /// (`table_col_key`, with a number after it if that is taken), built at the end.
    fn add_unique(
        &mut self,
        p: &mut Planner<'_, '_>,
        name: Option<String>,
        columns: Vec<usize>,
    ) -> Result<()> {
        let name = match name {
            Some(name) => {
                self.check_constraint_name_free(&name)?;
                if self.relation_taken(p, &name)? {
                    return Err(Error::DuplicateTable(name));
                }
                name
            }
            None => {
                let base = format!(
                    "{}_{}_key",
                    self.table.name,
                    columns
                        .iter()
                        .map(|&c| self.table.columns[c].name.as_str())
                        .collect::<Vec<_>>()
                        .join("_")
                );
                let mut name = base.clone();
                let mut n = 0;
                while self.relation_taken(p, &name)? {
                    n += 1;
                    name = format!("{base}{n}");
                }
                name
            }
        };
        let id = p.catalog.next_id(&mut p.env.txn.borrow_mut())?;
        self.built.push(id);
        self.table.indexes.push(Index {
            id,
            name,
            columns,
            unique: true,
        });
        Ok(())
    }

    /// True if a relation named `name` exists or this statement adds an index of that
    /// name; the name is locked as CREATE INDEX locks it.
    fn relation_taken(&self, p: &mut Planner<'_, '_>, name: &str) -> Result<bool> {
        if name == self.table.name || self.table.indexes.iter().any(|i| i.name == name) {
            return Ok(true);
        }
        let claimed = {
            let mut txn = p.env.txn.borrow_mut();
            p.catalog.claim_name(&mut txn, name, true)?
        };
        Ok(claimed || ddl::relation_exists(p, name)?)
    }

    /// DROP CONSTRAINT [IF EXISTS] name: a CHECK constraint, or a unique index (which
    /// PostgreSQL would drop this way only if a constraint made it; isolde does not
    /// tell the two apart).
    fn drop_constraint(&mut self, name: &str, if_exists: bool) -> Result<()> {
        if let Some(pos) = self.table.checks.iter().position(|c| c.name == name) {
            self.table.checks.remove(pos);
            return Ok(());
        }
        if let Some(pos) = self
            .table
            .indexes
            .iter()
            .position(|i| i.unique && i.name == name)
        {
            let index = self.table.indexes.remove(pos);
            self.dropped.push(index);
            return Ok(());
        }
        if !self.table.primary_key.is_empty() && self.table.pkey_name() == name {
            return Err(unsupported("dropping a primary key"));
        }
        let message = format!(
            "constraint \"{name}\" of relation \"{}\" does not exist",
            self.table.name
        );
        if if_exists {
            self.notices.push(format!("NOTICE:  {message}, skipping"));
            return Ok(());
        }
        Err(Error::UndefinedObject(message))
    }

    /// Rewrites and checks the rows as the new definition needs, drops and builds
    /// indexes, and stores the definition.
    fn finish(self, p: &mut Planner<'_, '_>) -> Result<QueryResult> {
        let rewrite = self
            .sources
            .iter()
            .enumerate()
            .any(|(i, s)| !matches!(s, Source::Old(j) if *j == i))
            || self.sources.len() != self.old.columns.len();
        if rewrite || !self.not_null.is_empty() || !self.checks.is_empty() || !self.built.is_empty()
        {
            self.rows(p, rewrite)?;
        }
        for index in &self.dropped {
            ddl::delete_prefix(p, &index_prefix(index.id))?;
        }
        let mut txn = p.env.txn.borrow_mut();
        if self.table.name != self.old.name {
            p.catalog.delete_table(&mut txn, &self.old)?;
        } else {
            for index in &self.dropped {
                p.catalog.delete_index_name(&mut txn, &index.name)?;
            }
        }
        p.catalog.save_table(&mut txn, &self.table)?;
        let mut done = ddl::done("ALTER TABLE", None);
        done.notices = self.notices;
        Ok(done)
    }

    /// Reads every row: makes it a row of the new definition (rewriting it if
    /// `rewrite`), tests the constraints added, and adds its entries to the indexes
    /// added.
    fn rows(&self, p: &mut Planner<'_, '_>, rewrite: bool) -> Result<()> {
        let prefix = row_prefix(self.table.id);
        let rows: Vec<(Vec<u8>, Bytes)> = p.env.txn.borrow().scan_prefix(&prefix)?.collect();
        if p.env.txn.borrow().level().uses_transaction_snapshot() {
            ddl::check_rows_unchanged(p, &prefix, &rows)?;
        }
        let not_null: Vec<usize> = self
            .not_null
            .iter()
            .filter_map(|c| self.table.column_index(c))
            .collect();
        let scope = Scope::of_table(&self.table, &self.table.name);
        let mut checks = Vec::new();
        for c in self
            .table
            .checks
            .iter()
            .filter(|c| self.checks.contains(&c.name))
        {
            checks.push((c.name.as_str(), p.scalar(&c.expr, &scope)?));
        }
        let built: Vec<usize> = (0..self.table.indexes.len())
            .filter(|&i| self.built.contains(&self.table.indexes[i].id))
            .collect();
        for (key, value) in rows {
            let old = decode_row(&value)?;
            let row = self.new_row(p, old)?;
            if let Some(&c) = not_null.iter().find(|&&c| row[c].is_null()) {
                return Err(Error::NullsInColumn {
                    table: self.table.name.clone(),
                    column: self.table.columns[c].name.clone(),
                });
            }
            for (name, condition) in &checks {
                self.test(name, condition, &row, p)?;
            }
            if rewrite {
                p.env.txn.borrow_mut().put(&key, &encode_row(&row))?;
            }
            for &i in &built {
                insert_index_entry(&self.table, i, &row, &key[OBJECT_PREFIX_LEN..], p.env)
                    .map_err(|e| match e {
                        Error::UniqueViolation {
                            constraint,
                            columns,
                            values,
                        } => Error::DuplicateKeyInNewIndex {
                            index: constraint,
                            detail: format!("Key ({columns})=({values}) is duplicated."),
                        },
                        e => e,
                    })?;
            }
        }
        Ok(())
    }

    /// A stored row of the old definition as a row of the new one.
    fn new_row(&self, p: &Planner<'_, '_>, mut old: Vec<Value>) -> Result<Vec<Value>> {
        let mut row = Vec::with_capacity(self.sources.len());
        for (pos, source) in self.sources.iter().enumerate() {
            let v = match source {
                Source::Old(i) => old
                    .get_mut(*i)
                    .map_or(Value::Null, |v| std::mem::replace(v, Value::Null)),
                Source::New(default) => {
                    let v = default.eval(&[], p.env)?;
                    crate::dml::column_value(&self.table, pos, Cow::Owned(v))?.into_owned()
                }
            };
            row.push(v);
        }
        Ok(row)
    }

    /// 23514 unless `row` passes CHECK constraint `name`.
    fn test(&self, name: &str, condition: &Expr, row: &[Value], p: &Planner<'_, '_>) -> Result<()> {
        match condition.eval(row, p.env)? {
            Value::Null | Value::Boolean(true) => Ok(()),
            Value::Boolean(false) => Err(Error::CheckViolatedByRow {
                table: self.table.name.clone(),
                constraint: name.to_string(),
            }),
            v => Err(not_boolean(&v)),
        }
    }
}

fn clear_default(column: &mut crate::catalog::Column) {
    column.default = None;
    column.default_sequence = None;
    column.default_clock = None;
}
