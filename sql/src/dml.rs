//! INSERT, UPDATE and DELETE.
//!
//! UPDATE and DELETE first find their rows at the statement's snapshot (through the
//! chosen access path), then lock each one ([`executor::lock_row`]): at READ COMMITTED a
//! row changed by a transaction that committed meanwhile is re-checked against the WHERE
//! clause in its newest version, and updated in that version or skipped, as PostgreSQL
//! does; at REPEATABLE READ and SERIALIZABLE it is a serialization failure (40001).
//! `UPDATE ... FROM` and `DELETE ... USING` take the same path: the target's rows are
//! joined with the other tables' by the WHERE clause before each is locked, and the
//! re-check joins the newest version with the source rows it matched.
//!
//! `INSERT ... ON CONFLICT` decides about each row before writing any of it
//! ([`executor::insert_row_or_find`]): the keys of the arbiter constraints are locked and
//! looked at first, so a row that conflicts leaves no row or index entry behind. The
//! existing row comes back locked (its newest committed version at READ COMMITTED, a
//! serialization failure at the snapshot levels if the snapshot does not see it), and
//! DO UPDATE changes it through the same code as UPDATE.
//!
//! Each statement is planned whole (`plan_*`: the target table, the source rows, the
//! assignments and RETURNING list) before it runs (`run_*`), so that a cached plan can
//! run again with other parameter values.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use isolde_txn::LockMode;
use sqlparser::ast;

use crate::catalog::Table;
use crate::check::Checks;
use crate::error::{Error, Result};
use crate::executor::{self, next_row_id, scan_rows, Arbiters, Env};
use crate::expression::Expr;
use crate::plan::{Access, JoinKind, Plan, RowLocking};
use crate::planner::{self, ident, object_name, Planner, Scope};
use crate::session::QueryResult;
use crate::types::{DataType, Value};

/// 25006 if the transaction is READ ONLY; `statement` names the statement.
pub fn check_writable(env: &Env<'_>, statement: &'static str) -> Result<()> {
    if env.txn.borrow().is_read_only() {
        return Err(Error::ReadOnly(statement));
    }
    Ok(())
}

/// The name of a statement that writes or locks rows (for [`check_writable`]), or None.
pub fn writes(stmt: &ast::Statement) -> Option<&'static str> {
    match stmt {
        ast::Statement::Insert(_) => Some("INSERT"),
        ast::Statement::Update(_) => Some("UPDATE"),
        ast::Statement::Delete(_) => Some("DELETE"),
        ast::Statement::Query(q) => match change_under_with(q) {
            Some(change) => writes(change),
            // Locking rows is writing them, for a READ ONLY transaction (as in PostgreSQL).
            None => match q.locks.first()?.lock_type {
                ast::LockType::Update => Some("SELECT FOR UPDATE"),
                ast::LockType::Share => Some("SELECT FOR SHARE"),
            },
        },
        _ => None,
    }
}

/// The INSERT, UPDATE or DELETE that a `WITH` clause introduces, which the parser
/// gives as the body of a query.
pub fn change_under_with(q: &ast::Query) -> Option<&ast::Statement> {
    match q.body.as_ref() {
        ast::SetExpr::Insert(s) | ast::SetExpr::Update(s) | ast::SetExpr::Delete(s) => Some(s),
        _ => None,
    }
}

fn unsupported(what: &str) -> Error {
    Error::FeatureNotSupported(what.to_string())
}

/// Coerces a value for a column: its type, VARCHAR length. A value already of the
/// column's type comes back as it was given, borrowed or owned. NOT NULL is tested on
/// the whole row, with the CHECK constraints ([`Checks::verify`]).
pub fn column_value<'v>(table: &Table, col: usize, v: Cow<'v, Value>) -> Result<Cow<'v, Value>> {
    let c = &table.columns[col];
    let as_is = matches!(
        (v.as_ref(), c.ty),
        (Value::Null, _)
            | (Value::Integer(_), DataType::Integer)
            | (Value::Float(_), DataType::Float)
            | (Value::Boolean(_), DataType::Boolean)
            | (Value::Text(_), DataType::Text { max_len: None })
    );
    if as_is {
        // What the cast would return, without copying.
        return Ok(v);
    }
    v.assign(c.ty).map(Cow::Owned).map_err(|e| match e {
        Error::DatatypeMismatch(_) => Error::DatatypeMismatch(format!(
            "column \"{}\" is of type {} but expression is of type {}",
            c.name,
            c.ty.base_name(),
            v.type_name()
        )),
        e => e,
    })
}

/// The column an INSERT column list or UPDATE's SET names. A qualified name is a
/// column's field in PostgreSQL (`SET t.a` assigns field `a` of a column `t`): 42703
/// when there is no such column, as there, and not supported (no composite types) when
/// there is.
fn target_column(table: &Table, name: &ast::ObjectName) -> Result<usize> {
    let column = match name.0.as_slice() {
        [_] => return table.must_column_index(&object_name(name)?),
        [ast::ObjectNamePart::Identifier(first), ..] => ident(first),
        _ => return Err(unsupported("this column name")),
    };
    if table.columns.iter().any(|c| c.name == column) {
        return Err(unsupported("assignment to a field of a column"));
    }
    Err(Error::UndefinedColumn(format!(
        "\"{column}\" of relation \"{}\"",
        table.name
    )))
}

/// Compiled RETURNING list.
pub struct Returning {
    exprs: Vec<Expr>,
    names: Arc<[String]>,
}

/// Plans a RETURNING list against `scope`: the target table's columns, then those of
/// the other tables of an `UPDATE ... FROM` or `DELETE ... USING`.
fn returning(
    p: &mut Planner<'_, '_>,
    items: Option<&Vec<ast::SelectItem>>,
    scope: &Scope,
) -> Result<Option<Returning>> {
    let Some(items) = items else { return Ok(None) };
    let mut exprs = Vec::new();
    let mut names = Vec::new();
    for item in items {
        match item {
            ast::SelectItem::UnnamedExpr(e) => {
                exprs.push(p.scalar(e, scope)?);
                names.push(p.column_name(e));
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                exprs.push(p.scalar(expr, scope)?);
                names.push(ident(alias));
            }
            wildcard => {
                for (i, name) in planner::wildcard(wildcard, scope)? {
                    exprs.push(Expr::Column(i));
                    names.push(name);
                }
            }
        }
    }
    Ok(Some(Returning {
        exprs,
        names: names.into(),
    }))
}

fn result(verb: &str, count: usize, ret: Option<&Returning>, rows: Vec<Vec<Value>>) -> QueryResult {
    let columns = ret.map(|r| r.names.clone()).unwrap_or_default();
    QueryResult {
        columns,
        rows,
        tag: QueryResult::count_tag(verb, count),
        notices: Vec::new(),
    }
}

fn project(
    ret: Option<&Returning>,
    row: &[Value],
    env: &Env<'_>,
    out: &mut Vec<Vec<Value>>,
) -> Result<()> {
    if let Some(r) = ret {
        out.push(
            r.exprs
                .iter()
                .map(|e| e.eval(row, env))
                .collect::<Result<_>>()?,
        );
    }
    Ok(())
}

/// A planned INSERT: the source rows, where their values go, and what to return.
pub struct InsertPlan {
    table: Arc<Table>,
    /// The column each source value goes to.
    targets: Vec<usize>,
    /// True when the targets are all columns in order, so a source row is the new row.
    all_columns: bool,
    source: Plan,
    on_conflict: Option<OnConflict>,
    returning: Option<Returning>,
    checks: Checks,
}

/// A planned `ON CONFLICT` clause: where a conflict is looked for, and what is done.
pub struct OnConflict {
    arbiters: Arbiters,
    action: ConflictAction,
    /// The arbiters' names as EXPLAIN shows them (none when no target was given).
    arbiter_names: Vec<String>,
}

/// What `ON CONFLICT` does with the existing row.
enum ConflictAction {
    Nothing,
    /// DO UPDATE SET ... [WHERE ...]: expressions over the existing row followed by the
    /// row proposed for insertion (EXCLUDED).
    Update {
        assignments: Assignments,
        filter: Option<(Expr, String)>,
    },
}

/// The VALUES list of a query that is nothing else (no WITH, ORDER BY, LIMIT).
fn plain_values(q: &ast::Query) -> Option<&ast::Values> {
    match q.body.as_ref() {
        ast::SetExpr::Values(v)
            if q.with.is_none() && q.order_by.is_none() && q.limit_clause.is_none() =>
        {
            Some(v)
        }
        _ => None,
    }
}

/// 428C9 for an explicit value in a `GENERATED ALWAYS AS IDENTITY` column.
fn check_not_generated_always(table: &Table, col: usize) -> Result<()> {
    let column = &table.columns[col];
    if !column.is_generated_always() {
        return Ok(());
    }
    Err(Error::GeneratedAlways {
        message: format!(
            "cannot insert a non-DEFAULT value into column \"{}\"",
            column.name
        ),
        detail: format!(
            "Column \"{}\" is an identity column defined as GENERATED ALWAYS.",
            column.name
        ),
    })
}

/// Plans INSERT INTO t [(cols)] VALUES ... | SELECT ... [ON CONFLICT ...] [RETURNING ...]
pub fn plan_insert(p: &mut Planner<'_, '_>, ins: &ast::Insert) -> Result<InsertPlan> {
    if ins.or.is_some()
        || ins.ignore
        || ins.overwrite
        || ins.partitioned.is_some()
        || !ins.assignments.is_empty()
    {
        return Err(unsupported("INSERT with OR / IGNORE / SET"));
    }
    let ast::TableObject::TableName(name) = &ins.table else {
        return Err(unsupported("INSERT into a table function"));
    };
    let table = p.table_for_write(name, LockMode::Shared)?;
    let mut targets = Vec::new();
    for c in &ins.columns {
        let i = target_column(&table, c)?;
        if targets.contains(&i) {
            return Err(Error::DuplicateColumn(table.columns[i].name.clone()));
        }
        targets.push(i);
    }
    if ins.columns.is_empty() {
        targets = (0..table.columns.len()).collect();
    }
    let (source, width) = match ins.source.as_deref() {
        // DEFAULT VALUES: one row of defaults only.
        None => (
            Plan::Values {
                rows: vec![Vec::new()],
            },
            0,
        ),
        // The rows of a plain VALUES list may say DEFAULT for a column's default.
        Some(source @ ast::Query { body, .. }) if plain_values(source).is_some() => {
            let ast::SetExpr::Values(v) = body.as_ref() else {
                return Err(Error::Corrupt("VALUES lost its rows".into()));
            };
            for row in &v.rows {
                for (e, &col) in row.content.iter().zip(&targets) {
                    if !planner::is_default_keyword(e) {
                        check_not_generated_always(&table, col)?;
                    }
                }
            }
            let default = |i: usize| {
                Some(match targets.get(i) {
                    Some(&col) => table.columns[col].default_expr(),
                    // Too many values: reported when the row is inserted.
                    None => Expr::Const(Value::Null),
                })
            };
            let rows = p.values_rows(v, &default)?;
            let width = rows.first().map_or(0, Vec::len);
            (Plan::Values { rows }, width)
        }
        Some(source) => {
            let planned = p.query(source)?;
            for &col in targets.iter().take(planned.columns.len()) {
                check_not_generated_always(&table, col)?;
            }
            (planned.plan, planned.columns.len())
        }
    };
    // Without a column list the values fill the first columns, the rest take defaults;
    // a column list must be matched value for value, as in PostgreSQL.
    if !ins.columns.is_empty() && width < targets.len() {
        return Err(Error::Syntax(
            "INSERT has more target columns than expressions".into(),
        ));
    }
    let qualifier = ins
        .table_alias
        .as_ref()
        .map_or(table.name.clone(), |a| ident(&a.alias));
    let on_conflict = match &ins.on {
        None => None,
        Some(ast::OnInsert::OnConflict(oc)) => Some(on_conflict(p, oc, &table, &qualifier)?),
        Some(_) => return Err(unsupported("ON DUPLICATE KEY UPDATE")),
    };
    let scope = Scope::of_table(&table, &qualifier);
    let returning = returning(p, ins.returning.as_ref(), &scope)?;
    let all_columns = targets.iter().copied().eq(0..table.columns.len());
    let checks = Checks::plan(p, &table)?;
    Ok(InsertPlan {
        table,
        targets,
        all_columns,
        source,
        on_conflict,
        returning,
        checks,
    })
}

impl OnConflict {
    /// EXPLAIN's lines for the clause, as PostgreSQL prints them under the Insert node.
    fn explain(&self, lines: &mut Vec<String>) {
        let (resolution, filter) = match &self.action {
            ConflictAction::Nothing => ("NOTHING", None),
            ConflictAction::Update { filter, .. } => ("UPDATE", filter.as_ref()),
        };
        lines.push(format!("  Conflict Resolution: {resolution}"));
        if !self.arbiter_names.is_empty() {
            let names = self.arbiter_names.join(", ");
            lines.push(format!("  Conflict Arbiter Indexes: {names}"));
        }
        if let Some((_, text)) = filter {
            lines.push(format!("  Conflict Filter: {text}"));
        }
    }
}

/// Plans `ON CONFLICT [target] DO NOTHING | DO UPDATE SET ... [WHERE ...]` of an INSERT
/// into `table`, whose rows DO UPDATE names by `qualifier` (the table's name or alias),
/// and the proposed row by `excluded`.
fn on_conflict(
    p: &mut Planner<'_, '_>,
    oc: &ast::OnConflict,
    table: &Table,
    qualifier: &str,
) -> Result<OnConflict> {
    let arbiters = match &oc.conflict_target {
        Some(target) => Some(conflict_target(table, target)?),
        None => None,
    };
    let arbiter_names = arbiters.as_ref().map_or(Vec::new(), |a| {
        let pk = a.primary_key.then(|| table.pkey_name());
        pk.into_iter()
            .chain(a.indexes.iter().map(|&i| table.indexes[i].name.clone()))
            .collect()
    });
    let action = match &oc.action {
        ast::OnConflictAction::DoNothing => ConflictAction::Nothing,
        ast::OnConflictAction::DoUpdate(update) => {
            if arbiters.is_none() {
                return Err(Error::SyntaxRule(
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name"
                        .into(),
                ));
            }
            let mut scope = Scope::of_table(table, qualifier);
            scope.join(Scope::of_table(table, "excluded"))?;
            let assignments = Assignments::plan(p, table, &update.assignments, &scope)?;
            let filter = match &update.selection {
                Some(w) => Some((p.scalar(w, &scope)?, p.explain_text(|| w.to_string()))),
                None => None,
            };
            ConflictAction::Update {
                assignments,
                filter,
            }
        }
    };
    // Without a target DO NOTHING resolves a conflict on any unique constraint.
    let arbiters = arbiters.unwrap_or_else(|| Arbiters {
        primary_key: !table.primary_key.is_empty(),
        indexes: (0..table.indexes.len())
            .filter(|&i| table.indexes[i].unique)
            .collect(),
    });
    Ok(OnConflict {
        arbiters,
        action,
        arbiter_names,
    })
}

/// The unique constraints a conflict target names: every one (the primary key, unique
/// indexes) whose columns are exactly the target's, in any order, as PostgreSQL infers
/// them; or the constraint `ON CONSTRAINT` names. 42P10 when none matches.
fn conflict_target(table: &Table, target: &ast::ConflictTarget) -> Result<Arbiters> {
    let unique_index = |i: &usize| table.indexes[*i].unique;
    let columns = match target {
        ast::ConflictTarget::OnConstraint(name) => {
            let name = object_name(name)?;
            let indexes: Vec<usize> = (0..table.indexes.len())
                .filter(unique_index)
                .filter(|&i| table.indexes[i].name == name)
                .collect();
            let primary_key = !table.primary_key.is_empty() && table.pkey_name() == name;
            if !primary_key && indexes.is_empty() {
                return Err(Error::UndefinedObject(format!(
                    "constraint \"{name}\" for table \"{}\" does not exist",
                    table.name
                )));
            }
            return Ok(Arbiters {
                primary_key,
                indexes,
            });
        }
        ast::ConflictTarget::Columns(columns) => columns,
    };
    let mut wanted = Vec::new();
    for c in columns {
        let name = ident(c);
        let col = table
            .column_index(&name)
            .ok_or_else(|| Error::UndefinedColumn(format!("\"{name}\"")))?;
        wanted.push(col);
    }
    wanted.sort_unstable();
    wanted.dedup();
    let same = |cols: &[usize]| {
        let mut cols = cols.to_vec();
        cols.sort_unstable();
        cols == wanted
    };
    let arbiters = Arbiters {
        primary_key: !table.primary_key.is_empty() && same(&table.primary_key),
        indexes: (0..table.indexes.len())
            .filter(unique_index)
            .filter(|&i| same(&table.indexes[i].columns))
            .collect(),
    };
    if !arbiters.primary_key && arbiters.indexes.is_empty() {
        return Err(Error::InvalidColumnReference(
            "there is no unique or exclusion constraint matching the ON CONFLICT specification"
                .into(),
        ));
    }
    Ok(arbiters)
}

/// Runs a planned INSERT.
///
/// Literal rows (`VALUES`, the usual case) are not materialized as a query result:
/// their constants and parameters are borrowed from the plan and the execution's values
/// into the new row, so a prepared single-row INSERT copies no value before encoding it.
/// All rows are still evaluated before the first is inserted, as for any other source.
pub fn run_insert(plan: &InsertPlan, env: &Env<'_>) -> Result<QueryResult> {
    let mut done = Inserted::default();
    match &plan.source {
        Plan::Values { rows } => match rows.as_slice() {
            [row] => insert_values(plan, literal_row(row, env)?, env, &mut done)?,
            rows => {
                let rows = rows
                    .iter()
                    .map(|r| literal_row(r, env))
                    .collect::<Result<Vec<_>>>()?;
                for values in rows {
                    insert_values(plan, values, env, &mut done)?;
                }
            }
        },
        source => {
            for values in executor::run(source, env)? {
                let values = values.into_iter().map(Cow::Owned).collect();
                insert_values(plan, values, env, &mut done)?;
            }
        }
    }
    let ret = plan.returning.as_ref();
    Ok(result("INSERT 0 ", done.count, ret, done.out))
}

/// What an INSERT has done so far: the rows it counts (inserted, or updated by ON
/// CONFLICT DO UPDATE) and their RETURNING rows; and for DO UPDATE the keys of those
/// rows, since a second conflict with one of them in the same statement is an error.
/// A `BTreeSet`, which costs nothing until used: a hash set's random state was a
/// measurable part of a prepared single-row INSERT, which never uses it.
#[derive(Default)]
struct Inserted {
    count: usize,
    out: Vec<Vec<Value>>,
    affected: BTreeSet<Vec<u8>>,
}

/// The values of one row of a `VALUES` list: constants and parameters borrowed, the
/// other expressions evaluated (as [`executor::run`] evaluates them).
fn literal_row<'v>(exprs: &'v [Expr], env: &'v Env<'_>) -> Result<Vec<Cow<'v, Value>>> {
    // A loop rather than collecting `Result`s, which moved each value through the large
    // `Result` several times (it showed in the profile of prepared INSERTs).
    let mut row = Vec::with_capacity(exprs.len());
    for e in exprs {
        row.push(match e.constant(env) {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(e.eval(&[], env)?),
        });
    }
    Ok(row)
}

/// Inserts one source row: placed in its target columns (the others get their
/// defaults), coerced to the column types, stored, and projected for RETURNING. With ON
/// CONFLICT, a row that conflicts on an arbiter is not stored: DO NOTHING skips it, DO
/// UPDATE updates the existing row (locked, in its newest version at READ COMMITTED)
/// as UPDATE would, if its WHERE accepts the pair, and counts and returns that row.
fn insert_values<'v>(
    plan: &'v InsertPlan,
    values: Vec<Cow<'v, Value>>,
    env: &Env<'_>,
    done: &mut Inserted,
) -> Result<()> {
    let table = &plan.table;
    if values.len() > plan.targets.len() {
        return Err(Error::Syntax(
            "INSERT has more expressions than target columns".into(),
        ));
    }
    let mut row = if plan.all_columns && values.len() == table.columns.len() {
        values
    } else {
        let mut given: Vec<Option<Cow<'v, Value>>> = vec![None; table.columns.len()];
        for (v, &col) in values.into_iter().zip(&plan.targets) {
            given[col] = Some(v);
        }
        // The columns given no value take their defaults, in column order; a sequence
        // default takes a value only for them.
        let mut row = Vec::with_capacity(given.len());
        for (c, v) in table.columns.iter().zip(given) {
            row.push(match v {
                Some(v) => v,
                None if c.default_is_volatile() => Cow::Owned(c.default_expr().eval(&[], env)?),
                None => c
                    .default
                    .as_ref()
                    .map_or(Cow::Owned(Value::Null), Cow::Borrowed),
            });
        }
        row
    };
    for (col, slot) in row.iter_mut().enumerate() {
        *slot = column_value(table, col, std::mem::replace(slot, Cow::Owned(Value::Null)))?;
    }
    plan.checks.verify(table, &row, env)?;
    let row_id = table.primary_key.is_empty().then(next_row_id);
    let Some(on_conflict) = &plan.on_conflict else {
        executor::insert_row(table, &row, row_id, env)?;
        done.count += 1;
        if plan.returning.is_some() {
            let row: Vec<Value> = row.into_iter().map(Cow::into_owned).collect();
            project(plan.returning.as_ref(), &row, env, &mut done.out)?;
        }
        return Ok(());
    };
    let arbiters = &on_conflict.arbiters;
    let (key, existing) = match executor::insert_row_or_find(table, &row, row_id, arbiters, env)? {
        Some(found) => found,
        None => {
            let row: Vec<Value> = row.into_iter().map(Cow::into_owned).collect();
            if matches!(on_conflict.action, ConflictAction::Update { .. }) {
                done.affected.insert(executor::row_key(table, &row, row_id));
            }
            done.count += 1;
            return project(plan.returning.as_ref(), &row, env, &mut done.out);
        }
    };
    let ConflictAction::Update {
        assignments,
        filter,
    } = &on_conflict.action
    else {
        return Ok(());
    };
    if done.affected.contains(&key) {
        return Err(Error::RowAffectedTwice);
    }
    // DO UPDATE's expressions see the existing row followed by the proposed one.
    let mut input = existing.clone();
    input.extend(row.into_iter().map(Cow::into_owned));
    if let Some((f, _)) = filter {
        if !f.matches(&input, env)? {
            return Ok(());
        }
    }
    let new = assignments.apply(table, &key, existing, Some(&input), env)?;
    // The row's key, moved if the update changed its primary key.
    let key = match table.primary_key.is_empty() {
        true => key,
        false => executor::row_key(table, &new, None),
    };
    done.affected.insert(key);
    done.count += 1;
    project(plan.returning.as_ref(), &new, env, &mut done.out)
}

/// INSERT INTO t [(cols)] VALUES ... | SELECT ... [RETURNING ...]
pub fn insert(p: &mut Planner<'_, '_>, ins: &ast::Insert) -> Result<QueryResult> {
    check_writable(p.env, "INSERT")?;
    let plan = plan_insert(p, ins)?;
    run_insert(&plan, p.env)
}

/// The table, scope and filtered scan of an UPDATE or DELETE.
pub struct Target {
    table: Arc<Table>,
    /// The target table's columns, then those of `source`.
    scope: Scope,
    access: Access,
    /// The WHERE clause, over the target's rows joined with `source`'s.
    filter: Option<(Expr, String)>,
    /// The tables of `UPDATE ... FROM` or `DELETE ... USING`, joined.
    source: Option<Plan>,
}

/// A row to change, as [`Target::for_each_locked`] finds it.
struct Found {
    key: Vec<u8>,
    /// The target row (its newest version after a READ COMMITTED re-check).
    row: Vec<Value>,
    /// The row of `UPDATE ... FROM` / `DELETE ... USING` it was matched with.
    source: Option<Vec<Value>>,
}

/// A target row followed by the source row it matched: what the SET, WHERE and
/// RETURNING expressions of `UPDATE ... FROM` and `DELETE ... USING` were planned
/// against.
fn joined(row: &[Value], source: &[Value]) -> Vec<Value> {
    let mut joined = Vec::with_capacity(row.len() + source.len());
    joined.extend_from_slice(row);
    joined.extend_from_slice(source);
    joined
}

fn target(
    p: &mut Planner<'_, '_>,
    relation: &ast::TableFactor,
    from: Option<&[ast::TableWithJoins]>,
    selection: Option<&ast::Expr>,
) -> Result<Target> {
    let ast::TableFactor::Table { name, alias, .. } = relation else {
        return Err(unsupported("UPDATE/DELETE of something other than a table"));
    };
    // Writing rows takes the definition's shared lock, as INSERT does: DDL that reads
    // every row (CREATE INDEX) waits for the writers in progress, which wait for it.
    let table = p.table_for_write(name, LockMode::Shared)?;
    let qualifier = alias
        .as_ref()
        .map_or(table.name.clone(), |a| ident(&a.name));
    let mut scope = Scope::of_table(&table, &qualifier);
    let source = match from {
        Some(items) => {
            let (plan, source_scope) = p.from(items)?;
            scope.join(source_scope)?;
            Some(plan)
        }
        None => None,
    };
    let filter = match selection {
        Some(w) => Some((p.scalar(w, &scope)?, p.explain_text(|| w.to_string()))),
        None => None,
    };
    // With other tables the WHERE clause is a join condition: the target is scanned
    // whole.
    let access = match &filter {
        Some((f, _)) if source.is_none() => planner::choose_access(&table, f, p.env),
        _ => Access::Full,
    };
    Ok(Target {
        table,
        scope,
        access,
        filter,
        source,
    })
}

impl Target {
    fn explain(self, verb: &str) -> Vec<String> {
        let mut lines = vec![format!("{verb} on {}", self.table.name)];
        let Some(source) = self.source else {
            let scan = Plan::Scan {
                table: self.table,
                alias: None,
                access: self.access,
                filter: self.filter,
                lock: None,
            };
            scan.explain(&mut lines, 1);
            return lines;
        };
        let join = Plan::Join {
            left: Box::new(Plan::Scan {
                table: self.table,
                alias: None,
                access: self.access,
                filter: None,
                lock: None,
            }),
            right: Box::new(source),
            kind: JoinKind::Inner,
            on: self.filter,
            left_width: 0,
            right_width: 0,
        };
        join.explain(&mut lines, 1);
        lines
    }

    fn filter(&self) -> Option<&Expr> {
        self.filter.as_ref().map(|(e, _)| e)
    }

    /// The rows to change, each locked and, at READ COMMITTED, re-checked in its newest
    /// version ([`executor::lock_row`]).
    fn for_each_locked(&self, env: &Env<'_>, mut f: impl FnMut(Found) -> Result<()>) -> Result<()> {
        if let Some(source) = &self.source {
            return self.for_each_joined(source, env, f);
        }
        let filter = self.filter();
        for (key, row) in scan_rows(&self.table, &self.access, filter, env)? {
            let locking = RowLocking::EXCLUSIVE;
            if let Some(row) = executor::lock_row(&self.table, &key, row, locking, filter, env)? {
                f(Found {
                    key,
                    row,
                    source: None,
                })?;
            }
        }
        Ok(())
    }

    /// [`Target::for_each_locked`] for `UPDATE ... FROM` and `DELETE ... USING`: the
    /// target rows the WHERE clause joins with at least one source row (a nested loop
    /// over the source rows, read once at the statement's snapshot). A target row that
    /// several source rows match is changed once, with the first of them in the order
    /// the source yields them: PostgreSQL too changes it once, with whichever joined row
    /// comes first, which the SQL leaves unspecified. At READ COMMITTED a row changed
    /// meanwhile is re-checked as PostgreSQL does, its newest version joined with the
    /// same source rows, and changed with the first that still matches.
    fn for_each_joined(
        &self,
        source: &Plan,
        env: &Env<'_>,
        mut f: impl FnMut(Found) -> Result<()>,
    ) -> Result<()> {
        let sources = executor::run(source, env)?;
        let joins = |row: &[Value], s: &[Value]| -> Result<bool> {
            let Some(filter) = self.filter() else {
                return Ok(true);
            };
            filter.matches(&joined(row, s), env)
        };
        for (key, row) in scan_rows(&self.table, &self.access, None, env)? {
            let mut matched = Vec::new();
            for s in &sources {
                if joins(&row, s)? {
                    matched.push(s);
                }
            }
            let Some(&first) = matched.first() else {
                continue;
            };
            let mut chosen = first;
            let recheck = |newest: &[Value]| -> Result<bool> {
                for &s in &matched {
                    if joins(newest, s)? {
                        chosen = s;
                        return Ok(true);
                    }
                }
                Ok(false)
            };
            let locking = RowLocking::EXCLUSIVE;
            let locked =
                executor::lock_row_rechecked(&self.table, &key, row, locking, env, recheck)?;
            if let Some(row) = locked {
                f(Found {
                    key,
                    row,
                    source: Some(chosen.clone()),
                })?;
            }
        }
        Ok(())
    }
}

fn update_target(p: &mut Planner<'_, '_>, u: &ast::Update) -> Result<Target> {
    let from = match &u.from {
        None => None,
        Some(ast::UpdateTableFromKind::AfterSet(from)) => Some(&from[..]),
        Some(ast::UpdateTableFromKind::BeforeSet(_)) => {
            return Err(unsupported("UPDATE FROM before SET"))
        }
    };
    if !u.table.joins.is_empty() || u.or.is_some() || u.limit.is_some() || !u.order_by.is_empty() {
        return Err(unsupported("UPDATE with joins, ORDER BY or LIMIT"));
    }
    target(p, &u.table.relation, from, u.selection.as_ref())
}

/// The SET list of an UPDATE or of ON CONFLICT DO UPDATE: the changed columns and
/// their new values.
struct Assignments {
    sets: Vec<(usize, Expr)>,
    /// True when no assigned column is in the primary key or an index: the row then
    /// changes in place and no key moves.
    keys_untouched: bool,
    /// The table's CHECK constraints, which every new row must pass.
    checks: Checks,
}

impl Assignments {
    /// Plans `SET col = expr, ...` for `table`, the expressions against `scope`.
    fn plan(
        p: &mut Planner<'_, '_>,
        table: &Table,
        assignments: &[ast::Assignment],
        scope: &Scope,
    ) -> Result<Assignments> {
        let mut sets = Vec::new();
        for a in assignments {
            let ast::AssignmentTarget::ColumnName(name) = &a.target else {
                return Err(unsupported("UPDATE of a column tuple"));
            };
            let col = target_column(table, name)?;
            if sets.iter().any(|(c, _)| *c == col) {
                return Err(Error::SyntaxRule(format!(
                    "multiple assignments to same column \"{}\"",
                    table.columns[col].name
                )));
            }
            let value = if planner::is_default_keyword(&a.value) {
                table.columns[col].default_expr()
            } else if table.columns[col].is_generated_always() {
                let name = &table.columns[col].name;
                return Err(Error::GeneratedAlways {
                    message: format!("column \"{name}\" can only be updated to DEFAULT"),
                    detail: format!(
                        "Column \"{name}\" is an identity column defined as GENERATED ALWAYS."
                    ),
                });
            } else {
                p.scalar(&a.value, scope)?
            };
            sets.push((col, value));
        }
        let keys_untouched = sets.iter().all(|(col, _)| {
            !table.primary_key.contains(col)
                && table.indexes.iter().all(|i| !i.columns.contains(col))
        });
        Ok(Assignments {
            sets,
            keys_untouched,
            checks: Checks::plan(p, table)?,
        })
    }

    /// Replaces the row `old`, stored under `key` and locked, by the row the
    /// assignments make of it, with its index entries; returns the new row. The values
    /// are computed from `input` (the row the expressions were planned against), or from
    /// `old` when None, all before any is stored.
    fn apply(
        &self,
        table: &Table,
        key: &[u8],
        old: Vec<Value>,
        input: Option<&[Value]>,
        env: &Env<'_>,
    ) -> Result<Vec<Value>> {
        let change = self.compute(table, old, input, env)?;
        self.store(table, key, &change, env)?;
        Ok(change.new)
    }

    /// The row the assignments make of `old`, every value computed from `input` (the row
    /// the expressions were planned against), or from `old` when None, before any is
    /// set.
    fn compute(
        &self,
        table: &Table,
        old: Vec<Value>,
        input: Option<&[Value]>,
        env: &Env<'_>,
    ) -> Result<Change> {
        let value = |(col, e): &(usize, Expr)| -> Result<Value> {
            let input = input.unwrap_or(&old);
            column_value(table, *col, Cow::Owned(e.eval(input, env)?)).map(Cow::into_owned)
        };
        // A single assignment needs no list of values computed before any is set.
        let (one, values) = match self.sets.as_slice() {
            [set] => (Some(value(set)?), Vec::new()),
            sets => (None, sets.iter().map(value).collect::<Result<Vec<_>>>()?),
        };
        // The old row is kept only where storing the new one must move index entries.
        let (old, mut new) = if self.keys_untouched {
            (None, old)
        } else {
            (Some(old.clone()), old)
        };
        for ((col, _), v) in self.sets.iter().zip(one.into_iter().chain(values)) {
            new[*col] = v;
        }
        self.checks.verify(table, &new, env)?;
        Ok(Change { old, new })
    }

    /// Stores a computed change under `key`, with its index entries.
    fn store(&self, table: &Table, key: &[u8], change: &Change, env: &Env<'_>) -> Result<()> {
        match &change.old {
            None => executor::overwrite_row(key, &change.new, env),
            Some(old) => executor::update_row(table, key, old, &change.new, env),
        }
    }
}

/// A row the assignments changed, not stored yet.
struct Change {
    /// The row before, when its index entries change with it.
    old: Option<Vec<Value>>,
    new: Vec<Value>,
}

/// A planned UPDATE: the rows, the new values of the changed columns, what to return.
pub struct UpdatePlan {
    target: Target,
    assignments: Assignments,
    returning: Option<Returning>,
}

/// Plans UPDATE t SET col = expr, ... [WHERE ...] [RETURNING ...]
pub fn plan_update(p: &mut Planner<'_, '_>, u: &ast::Update) -> Result<UpdatePlan> {
    let target = update_target(p, u)?;
    let assignments = Assignments::plan(p, &target.table, &u.assignments, &target.scope)?;
    let returning = returning(p, u.returning.as_ref(), &target.scope)?;
    Ok(UpdatePlan {
        target,
        assignments,
        returning,
    })
}

/// Runs a planned UPDATE.
pub fn run_update(plan: &UpdatePlan, env: &Env<'_>) -> Result<QueryResult> {
    let table = &plan.target.table;
    let ret = plan.returning.as_ref();
    let mut out = Vec::new();
    // Every new row, and what RETURNING makes of it, is computed before any is stored,
    // so that the statement's subqueries see the table as it was before the statement,
    // as in PostgreSQL.
    let mut changes = Vec::new();
    plan.target
        .for_each_locked(env, |Found { key, row, source }| {
            let change = match &source {
                None => plan.assignments.compute(table, row, None, env)?,
                Some(s) => {
                    let input = joined(&row, s);
                    plan.assignments.compute(table, row, Some(&input), env)?
                }
            };
            match &source {
                None => project(ret, &change.new, env, &mut out)?,
                Some(s) => project(ret, &joined(&change.new, s), env, &mut out)?,
            }
            changes.push((key, change));
            Ok(())
        })?;
    for (key, change) in &changes {
        plan.assignments.store(table, key, change, env)?;
    }
    Ok(result("UPDATE ", changes.len(), ret, out))
}

/// UPDATE t SET col = expr, ... [WHERE ...] [RETURNING ...]
pub fn update(p: &mut Planner<'_, '_>, u: &ast::Update) -> Result<QueryResult> {
    check_writable(p.env, "UPDATE")?;
    let plan = plan_update(p, u)?;
    run_update(&plan, p.env)
}

fn delete_target(p: &mut Planner<'_, '_>, d: &ast::Delete) -> Result<Target> {
    let from = match &d.from {
        ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
    };
    if from.len() != 1
        || !from[0].joins.is_empty()
        || !d.tables.is_empty()
        || d.limit.is_some()
        || !d.order_by.is_empty()
    {
        return Err(unsupported("DELETE with several tables, ORDER BY or LIMIT"));
    }
    let using = d.using.as_deref();
    target(p, &from[0].relation, using, d.selection.as_ref())
}

/// A planned DELETE: the rows and what to return.
pub struct DeletePlan {
    target: Target,
    returning: Option<Returning>,
}

/// Plans DELETE FROM t [WHERE ...] [RETURNING ...]
pub fn plan_delete(p: &mut Planner<'_, '_>, d: &ast::Delete) -> Result<DeletePlan> {
    let target = delete_target(p, d)?;
    let returning = returning(p, d.returning.as_ref(), &target.scope)?;
    Ok(DeletePlan { target, returning })
}

/// Runs a planned DELETE.
pub fn run_delete(plan: &DeletePlan, env: &Env<'_>) -> Result<QueryResult> {
    let table = &plan.target.table;
    let ret = plan.returning.as_ref();
    let mut out = Vec::new();
    // As UPDATE does: RETURNING's subqueries see the rows before any is deleted.
    let mut gone = Vec::new();
    plan.target
        .for_each_locked(env, |Found { key, row, source }| {
            match &source {
                None => project(ret, &row, env, &mut out)?,
                Some(s) => project(ret, &joined(&row, s), env, &mut out)?,
            }
            gone.push((key, row));
            Ok(())
        })?;
    for (key, row) in &gone {
        executor::delete_row(table, key, row, env)?;
    }
    Ok(result("DELETE ", gone.len(), ret, out))
}

/// DELETE FROM t [WHERE ...] [RETURNING ...]
pub fn delete(p: &mut Planner<'_, '_>, d: &ast::Delete) -> Result<QueryResult> {
    check_writable(p.env, "DELETE")?;
    let plan = plan_delete(p, d)?;
    run_delete(&plan, p.env)
}

/// EXPLAIN lines of an UPDATE or DELETE.
pub fn explain(p: &mut Planner<'_, '_>, stmt: &ast::Statement) -> Result<Vec<String>> {
    match stmt {
        ast::Statement::Update(u) => Ok(update_target(p, u)?.explain("Update")),
        ast::Statement::Delete(d) => Ok(delete_target(p, d)?.explain("Delete")),
        ast::Statement::Insert(ins) => {
            let ast::TableObject::TableName(name) = &ins.table else {
                return Err(unsupported("INSERT into a table function"));
            };
            let table = p.table(name)?;
            let mut lines = vec![format!("Insert on {}", table.name)];
            if let Some(ast::OnInsert::OnConflict(oc)) = &ins.on {
                let qualifier = ins
                    .table_alias
                    .as_ref()
                    .map_or(table.name.clone(), |a| ident(&a.alias));
                on_conflict(p, oc, &table, &qualifier)?.explain(&mut lines);
            }
            if let Some(source) = &ins.source {
                p.query(source)?.plan.explain(&mut lines, 1);
            }
            Ok(lines)
        }
        _ => Err(unsupported("EXPLAIN of this statement")),
    }
}
