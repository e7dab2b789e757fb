//! Running `WITH RECURSIVE` queries.
//!
//! `WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3)` is
//! planned as a [`Plan::RecursiveUnion`] of its two
//! terms. As in PostgreSQL, the non-recursive term runs once; its rows are the first
//! rows of the result and fill the *working table*. The recursive term then runs again
//! and again, each time reading (as `t`) only the rows the run before it produced
//! ([`Plan::WorkingTableScan`]), and its rows are
//! added to the result and become the next working table, until a run returns none.
//! With `UNION` rather than `UNION ALL` a row equal (NULLs equal) to any row produced so
//! far is discarded before it is added, so it is not read again either.
//!
//! Each column has the type the non-recursive term gives it; a recursive row whose
//! value has another type is 42804, as PostgreSQL finds when planning (here integers
//! are all 64-bit, so only a change of kind counts: `bigint` to `numeric`, say).
//!
//! A recursion that never ends would, in PostgreSQL, run until memory runs out. The
//! executor produces every row of a plan before its parent reads them, so a `LIMIT` in
//! the outer query cannot stop it either; instead a recursive query fails with 54000
//! once it has produced more rows than the session's *max recursive rows*
//! ([`DEFAULT_MAX_RECURSIVE_ROWS`] unless set with
//! [`Session::set_max_recursive_rows`](crate::Session::set_max_recursive_rows)).

use std::collections::HashSet;
use std::mem::discriminant;

use crate::error::{Error, Result};
use crate::executor::{self, group_key, Env};
use crate::plan::{Plan, WorkingTable};
use crate::types::Value;

/// How many rows a recursive `WITH` query may produce unless the session sets another
/// limit: enough for any sensible tree or series walk, and at a few hundred bytes a row
/// well within memory.
pub const DEFAULT_MAX_RECURSIVE_ROWS: usize = 1_000_000;

/// Runs `initial UNION [ALL] recursive` to its end (see the module docs).
pub(crate) fn run(
    name: &str,
    all: bool,
    initial: &Plan,
    recursive: &Plan,
    working: &WorkingTable,
    env: &Env<'_>,
) -> Result<Vec<Vec<Value>>> {
    let mut seen = HashSet::new();
    let mut rows = executor::run(initial, env)?;
    if !all {
        rows.retain(|row| seen.insert(group_key(row)));
    }
    let types = column_types(&rows);
    let mut next = rows.clone();
    while !next.is_empty() {
        check_size(name, rows.len(), env)?;
        *working.rows.lock() = next;
        next = executor::run(recursive, env)?;
        check_types(name, &types, &next)?;
        if !all {
            next.retain(|row| seen.insert(group_key(row)));
        }
        rows.extend(next.iter().cloned());
    }
    working.rows.lock().clear();
    check_size(name, rows.len(), env)?;
    Ok(rows)
}

fn check_size(name: &str, rows: usize, env: &Env<'_>) -> Result<()> {
    if rows > env.max_recursive_rows {
        return Err(Error::RecursionLimit {
            name: name.to_owned(),
            limit: env.max_recursive_rows,
        });
    }
    Ok(())
}

/// The value of each column in the first row where it is not NULL: the column's type.
fn column_types(rows: &[Vec<Value>]) -> Vec<Option<Value>> {
    let width = rows.first().map_or(0, Vec::len);
    (0..width)
        .map(|c| rows.iter().map(|r| &r[c]).find(|v| !v.is_null()).cloned())
        .collect()
}

/// 42804 if a value of `rows` is of another kind than its column's in `types`.
fn check_types(name: &str, types: &[Option<Value>], rows: &[Vec<Value>]) -> Result<()> {
    for row in rows {
        for (c, (v, ty)) in row.iter().zip(types).enumerate() {
            let Some(ty) = ty else { continue };
            if !v.is_null() && discriminant(v) != discriminant(ty) {
                return Err(Error::DatatypeMismatch(format!(
                    "recursive query \"{name}\" column {} has type {} in non-recursive term but type {} overall",
                    c + 1,
                    ty.type_name(),
                    v.type_name()
                )));
            }
        }
    }
    Ok(())
}
