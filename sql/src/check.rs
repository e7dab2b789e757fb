//! The constraints tested on each whole row an INSERT or UPDATE writes: NOT NULL, then
//! CHECK constraints (conditions over a row's columns, named and stored with the table
//! by CREATE TABLE).
//!
//! As in PostgreSQL, the row is tested once it is complete (defaults filled in, values
//! converted to the column types), so a value too long for its column is reported
//! before a NULL in another; NOT NULL columns are tested in column order, then the
//! CHECK constraints in name order, so that a row that breaks two is always reported
//! against the same one. A row passes a CHECK when the condition is true or NULL
//! (unknown), and fails only when it is false. Both errors show the failing row.

use std::borrow::Borrow;

use sqlparser::ast;

use crate::catalog::{Check, Table};
use crate::error::{Error, Result};
use crate::executor::Env;
use crate::expression::Expr;
use crate::planner::{Planner, Scope};
use crate::types::Value;

/// A table's CHECK constraints, planned against its columns for one statement.
pub struct Checks {
    /// Name and condition, in name order.
    planned: Vec<(String, Expr)>,
}

impl Checks {
    /// Plans the CHECK constraints of `table`.
    pub fn plan(p: &mut Planner<'_, '_>, table: &Table) -> Result<Checks> {
        let scope = Scope::of_table(table, &table.name);
        let planned = table
            .checks
            .iter()
            .map(|c| Ok((c.name.clone(), p.scalar(&c.expr, &scope)?)))
            .collect::<Result<_>>()?;
        Ok(Checks { planned })
    }

    /// Tests `row`, a row of `table` about to be written: 23502 naming the first NOT
    /// NULL column it has a NULL in, else 23514 naming the first constraint it makes
    /// false.
    pub fn verify<V: Borrow<Value>>(&self, table: &Table, row: &[V], env: &Env<'_>) -> Result<()> {
        let null = table
            .columns
            .iter()
            .zip(row)
            .find(|(c, v)| !c.nullable && Borrow::<Value>::borrow(*v).is_null());
        if let Some((column, _)) = null {
            return Err(Error::NotNullViolation {
                table: table.name.clone(),
                column: column.name.clone(),
                detail: failing_row(row),
            });
        }
        if self.planned.is_empty() {
            return Ok(());
        }
        let values: Vec<Value> = row.iter().map(|v| v.borrow().clone()).collect();
        for (name, condition) in &self.planned {
            let passed = match condition.eval(&values, env)? {
                Value::Null => true,
                Value::Boolean(b) => b,
                v => return Err(not_boolean(&v)),
            };
            if !passed {
                return Err(Error::CheckViolation {
                    table: table.name.clone(),
                    constraint: name.clone(),
                    detail: failing_row(&values),
                });
            }
        }
        Ok(())
    }
}

pub(crate) fn not_boolean(v: &Value) -> Error {
    Error::DatatypeMismatch(format!(
        "argument of CHECK must be type boolean, not type {}",
        v.type_name()
    ))
}

/// PostgreSQL's detail for a row that breaks a constraint: `Failing row contains (1,
/// null, x).`, values as psql prints them, NULL as `null`.
fn failing_row<V: Borrow<Value>>(row: &[V]) -> String {
    let values: Vec<String> = row
        .iter()
        .map(|v| match v.borrow() {
            Value::Null => "null".to_string(),
            v => v.to_string(),
        })
        .collect();
    format!("Failing row contains ({}).", values.join(", "))
}

/// A CHECK constraint of CREATE TABLE, on `table` (its columns all defined), named
/// `name` or, without one, as PostgreSQL names it: `table_column_check` when the
/// condition mentions exactly one column, else `table_check`, with a number after it if
/// the table has a constraint of that name already. The condition must be a plain
/// expression over the table's columns: no subqueries (0A000), no aggregates (42803).
pub fn define(
    p: &mut Planner<'_, '_>,
    table: &Table,
    name: Option<String>,
    condition: &ast::Expr,
) -> Result<Check> {
    let scope = Scope::of_table(table, &table.name);
    let planned = p.scalar(condition, &scope)?;
    let mut columns = Vec::new();
    let mut subquery = false;
    planned.walk(&mut |e| match e {
        Expr::Column(i) => columns.push(*i),
        Expr::Subquery(_)
        | Expr::InSubquery { .. }
        | Expr::Quantified { .. }
        | Expr::Exists { .. } => subquery = true,
        _ => {}
    });
    if subquery {
        return Err(Error::FeatureNotSupported(
            "subquery in check constraint".into(),
        ));
    }
    if let Expr::Const(v) = &planned {
        if !matches!(v, Value::Null | Value::Boolean(_)) {
            return Err(not_boolean(v));
        }
    }
    let taken = |n: &str| table.checks.iter().any(|c| c.name == n);
    let name = match name {
        Some(name) if taken(&name) => return Err(Error::DuplicateConstraint(name)),
        Some(name) => name,
        None => {
            columns.sort_unstable();
            columns.dedup();
            let base = match columns.as_slice() {
                [only] => format!("{}_{}_check", table.name, table.columns[*only].name),
                _ => format!("{}_check", table.name),
            };
            let mut name = base.clone();
            let mut n = 0;
            while taken(&name) {
                n += 1;
                name = format!("{base}{n}");
            }
            name
        }
    };
    Ok(Check {
        name,
        expr: condition.clone(),
    })
}
