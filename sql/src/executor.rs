//! Runs plans against a transaction, and writes rows with their index entries.
//!
//! Every read goes through the transaction (`get`, `scan`), so it sees the statement's
//! snapshot and, at SERIALIZABLE, registers the points and ranges it read. Writes check
//! uniqueness by locking the key they are about to claim: a concurrent
//! inserter of the same key makes us wait, and when it commits we see its row and report
//! 23505 (or, at REPEATABLE READ and above, the transaction layer's 40001).

use std::borrow::Borrow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Bound;
use std::thread::LocalKey;

use isolde_txn::{prefix_end, IsolationLevel, Transaction, TxnManager};

use crate::catalog::Table;
use crate::datetime::StatementTimes;
use crate::encoding::{
    decode_row, encode_key, encode_key_value, encode_row_into, index_prefix, put_row_prefix,
    row_prefix, OBJECT_PREFIX_LEN,
};
use crate::error::{Error, Result};
use crate::explain_analyze::PlanCounts;
use crate::expression::{binary, BinaryOp, Expr};
use crate::numeric::Decimal;
use crate::plan::{
    Access, Aggregate, AggregateFunction, JoinKind, KeyRange, LockWait, Locking, Plan, RowLocking,
    SetOp, SortKey,
};
use crate::sequence::SessionSequences;
use crate::statistics::Moments;
use crate::types::{DataType, Value};
use crate::{recursive, window};

/// What a statement runs with: its transaction, its parameter values (and the constants
/// of a cached plan computed from them), and the rows of enclosing queries.
#[derive(Clone)]
pub struct Env<'a> {
    pub txn: &'a RefCell<Transaction>,
    /// The database `txn` belongs to, for what a statement must read beyond its own
    /// snapshot: CREATE INDEX checks it against the newest committed rows.
    pub db: &'a TxnManager,
    /// The session's sequence state (`currval`) and the database's sequence counters.
    pub sequences: &'a SessionSequences,
    /// When the statement and its transaction began, for `now()` and the other clock
    /// functions: the session says when its block began; the statement's own time is
    /// read when first asked for (see [`StatementTimes`]). Borrowed, so that a subquery's
    /// environment reads the same statement time.
    pub times: &'a StatementTimes,
    /// How many rows a recursive `WITH` query may produce ([`crate::recursive`]).
    pub max_recursive_rows: usize,
    /// Where EXPLAIN ANALYZE counts the rows each plan node returns, if it asked.
    pub(crate) counts: Option<&'a PlanCounts>,
    params: &'a [Value],
    deferred: Vec<Value>,
    outer: Vec<Vec<Value>>,
}

impl<'a> Env<'a> {
    /// An environment whose `$n` parameters have these values, for a statement with
    /// these times.
    pub fn with_params(
        db: &'a TxnManager,
        txn: &'a RefCell<Transaction>,
        sequences: &'a SessionSequences,
        params: &'a [Value],
        times: &'a StatementTimes,
    ) -> Env<'a> {
        Env {
            txn,
            db,
            sequences,
            times,
            max_recursive_rows: recursive::DEFAULT_MAX_RECURSIVE_ROWS,
            counts: None,
            params,
            deferred: Vec::new(),
            outer: Vec::new(),
        }
    }

    /// The environment of a subquery evaluated for `row`.
    pub fn with_outer(&self, row: &[Value]) -> Env<'a> {
        let mut env = self.clone();
        env.outer.push(row.to_vec());
        env
    }

    /// This environment, counting the rows each plan node returns into `counts`
    /// (EXPLAIN ANALYZE).
    pub(crate) fn counting<'b>(&'b self, counts: &'b PlanCounts) -> Env<'b> {
        Env {
            counts: Some(counts),
            ..self.clone()
        }
    }

    /// The value of parameter `$n + 1`.
    pub fn param(&self, n: usize) -> Option<&Value> {
        self.params.get(n)
    }

    /// How many parameter values there are.
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// The value of a cached plan's deferred constant (see [`Expr::Deferred`]).
    pub fn deferred(&self, slot: usize) -> Option<&Value> {
        self.deferred.get(slot)
    }

    /// Evaluates a cached plan's deferred constants, in slot order (a later one may use
    /// an earlier one). Any earlier values are dropped first.
    pub fn bind_deferred(&mut self, exprs: &[Expr]) -> Result<()> {
        self.deferred.clear();
        for e in exprs {
            let v = e.eval(&[], self)?;
            self.deferred.push(v);
        }
        Ok(())
    }

    /// A column of an enclosing row (depth 0 is the nearest).
    pub fn outer_value(&self, depth: usize, index: usize) -> Value {
        self.outer
            .len()
            .checked_sub(depth + 1)
            .and_then(|i| self.outer[i].get(index))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// A row as stored, with its key.
pub type KeyedRow = (Vec<u8>, Vec<Value>);

/// Runs a plan to completion.
pub fn run(plan: &Plan, env: &Env<'_>) -> Result<Vec<Vec<Value>>> {
    let rows = run_node(plan, env)?;
    if let Some(counts) = env.counts {
        counts.record(plan, rows.len());
    }
    Ok(rows)
}

fn run_node(plan: &Plan, env: &Env<'_>) -> Result<Vec<Vec<Value>>> {
    match plan {
        Plan::Values { rows } => rows
            .iter()
            .map(|r| r.iter().map(|e| e.eval(&[], env)).collect())
            .collect(),
        Plan::Scan {
            table,
            access,
            filter,
            lock,
            ..
        } => {
            let filter = filter.as_ref().map(|(e, _)| e);
            match lock {
                None => {
                    let mut out = Vec::new();
                    scan(table, access, filter, env, Keys::Unused, |_, row| {
                        out.push(row)
                    })?;
                    Ok(out)
                }
                Some(locking) => locking_scan(table, access, filter, locking, None, env),
            }
        }
        Plan::Derived { source, .. } => run(source, env),
        Plan::FunctionScan { call, .. } => call.collect(&[], env),
        Plan::RecursiveUnion {
            name,
            all,
            initial,
            recursive,
            working,
        } => recursive::run(name, *all, initial, recursive, working, env),
        Plan::WorkingTableScan { table, .. } => Ok(table.rows.lock().clone()),
        Plan::CteScan { cte, .. } => {
            if cte.correlated {
                return run(&cte.plan, env);
            }
            if let Some(rows) = cte.rows.get() {
                return Ok(rows.clone());
            }
            let rows = run(&cte.plan, env)?;
            Ok(cte.rows.get_or_init(|| rows).clone())
        }
        Plan::Filter {
            source, predicate, ..
        } => {
            let mut out = Vec::new();
            for row in run(source, env)? {
                if predicate.matches(&row, env)? {
                    out.push(row);
                }
            }
            Ok(out)
        }
        Plan::Project { source, exprs } => match source.as_ref() {
            Plan::Scan {
                table,
                access,
                filter,
                lock: Some(locking),
                ..
            } => {
                let filter = filter.as_ref().map(|(e, _)| e);
                locking_scan(table, access, filter, locking, Some(exprs), env)
            }
            _ => project(run(source, env)?, exprs, env),
        },
        Plan::Join {
            left,
            right,
            kind,
            on,
            left_width,
            right_width,
        } => join(
            left,
            right,
            *kind,
            on.as_ref(),
            (*left_width, *right_width),
            env,
        ),
        Plan::Aggregate {
            source,
            group_by,
            aggregates,
            ..
        } => aggregate(run(source, env)?, group_by, aggregates, env),
        Plan::Sort { source, keys, .. } => {
            let mut rows = run(source, env)?;
            rows.sort_by(|a, b| compare_rows(keys, a, b));
            Ok(rows)
        }
        Plan::Distinct { source } => Ok(distinct(run(source, env)?)),
        Plan::Window { source, calls } => window::run(run(source, env)?, calls, env),
        Plan::DistinctOn { source, columns } => Ok(distinct_on(run(source, env)?, columns)),
        Plan::SetOperation {
            op,
            all,
            left,
            right,
        } => {
            let (mut left, mut right) = (run(left, env)?, run(right, env)?);
            unify_columns(*op, &mut left, &mut right)?;
            Ok(set_operation(*op, *all, left, right))
        }
        Plan::Limit {
            source,
            offset,
            limit,
        } => {
            if let Some(rows) = lazy_rows(source, env) {
                return first_rows(rows?, *offset, limit.unwrap_or(usize::MAX));
            }
            let rows = run(source, env)?;
            Ok(rows
                .into_iter()
                .skip(*offset)
                .take(limit.unwrap_or(usize::MAX))
                .collect())
        }
    }
}

/// Rows produced one at a time, or the error that stopped them.
type RowIter<'p> = Box<dyn Iterator<Item = Result<Vec<Value>>> + 'p>;

/// The rows of `plan` produced one at a time, for a LIMIT to stop early, when it
/// produces them so: a `generate_series` scan under projections and filters (see
/// [`crate::series`]). None for any other plan, which [`run`] runs whole.
fn lazy_rows<'p>(plan: &'p Plan, env: &'p Env<'_>) -> Option<Result<RowIter<'p>>> {
    match plan {
        Plan::FunctionScan { call, .. } => Some(
            call.rows(&[], env)
                .map(|rows| Box::new(rows) as RowIter<'p>),
        ),
        Plan::Derived { source, .. } => lazy_rows(source, env),
        Plan::Project { source, exprs } => Some(lazy_rows(source, env)?.map(|rows| {
            Box::new(rows.map(move |row| {
                let row = row?;
                exprs.iter().map(|e| e.eval(&row, env)).collect()
            })) as RowIter<'p>
        })),
        Plan::Filter {
            source, predicate, ..
        } => Some(lazy_rows(source, env)?.map(|rows| {
            Box::new(rows.filter_map(move |row| match row {
                Ok(row) => match predicate.matches(&row, env) {
                    Ok(true) => Some(Ok(row)),
                    Ok(false) => None,
                    Err(e) => Some(Err(e)),
                },
                Err(e) => Some(Err(e)),
            })) as RowIter<'p>
        })),
        _ => None,
    }
}

/// The `limit` rows of `rows` after the first `offset`, reading no further; an error
/// in a row passed over still fails the query, as it would have when all ran.
fn first_rows(rows: RowIter<'_>, offset: usize, limit: usize) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    for (i, row) in rows.take(offset.saturating_add(limit)).enumerate() {
        let row = row?;
        if i >= offset {
            out.push(row);
        }
    }
    Ok(out)
}

/// Runs a nested-loop join (see [`Plan::Join`]); a function of its own to keep the
/// frame of the recursive [`run`] small.
fn join(
    left: &Plan,
    right: &Plan,
    kind: JoinKind,
    on: Option<&(Expr, String)>,
    (left_width, right_width): (usize, usize),
    env: &Env<'_>,
) -> Result<Vec<Vec<Value>>> {
    // A lateral function call runs for each left row (only in inner and left joins,
    // so no right row goes unmatched); any other right side runs once.
    let lateral = match right {
        Plan::FunctionScan { call, .. } if call.lateral => Some(call),
        _ => None,
    };
    let right_rows = match lateral {
        None => run(right, env)?,
        Some(_) => Vec::new(),
    };
    let mut right_matched = vec![false; right_rows.len()];
    let mut out = Vec::new();
    for l in run(left, env)? {
        let mut matched = false;
        let called;
        let rows = match lateral {
            None => &right_rows,
            Some(call) => {
                called = call.collect(&l, env)?;
                &called
            }
        };
        for (i, r) in rows.iter().enumerate() {
            let mut row = l.clone();
            row.extend(r.iter().cloned());
            if let Some((cond, _)) = on {
                if !cond.matches(&row, env)? {
                    continue;
                }
            }
            matched = true;
            if let Some(m) = right_matched.get_mut(i) {
                *m = true;
            }
            out.push(row);
        }
        if kind.keeps_left() && !matched {
            let mut row = l;
            row.extend(std::iter::repeat_n(Value::Null, right_width));
            out.push(row);
        }
    }
    if kind.keeps_right() {
        for (r, _) in right_rows
            .into_iter()
            .zip(right_matched)
            .filter(|(_, m)| !m)
        {
            let mut row = vec![Value::Null; left_width];
            row.extend(r);
            out.push(row);
        }
    }
    Ok(out)
}

/// `left op right`, rows compared as GROUP BY and DISTINCT compare them (NULLs equal).
/// With `all`, a row in `left` m times and in `right` n times appears m + n times in a
/// UNION, min(m, n) in an INTERSECT and max(m - n, 0) in an EXCEPT, as in PostgreSQL;
/// without it, at most once. Rows keep the order they come in: `left`'s, then `right`'s.
fn set_operation(
    op: SetOp,
    all: bool,
    left: Vec<Vec<Value>>,
    right: Vec<Vec<Value>>,
) -> Vec<Vec<Value>> {
    let rows = match op {
        SetOp::Union => left.into_iter().chain(right).collect(),
        SetOp::Intersect | SetOp::Except => {
            let mut in_right: HashMap<Vec<u8>, usize> = HashMap::new();
            for row in &right {
                *in_right.entry(group_key(row)).or_default() += 1;
            }
            let mut out = Vec::new();
            for row in left {
                let count = in_right.get_mut(&group_key(&row));
                let matched = match count {
                    Some(n) if *n > 0 => {
                        if all {
                            *n -= 1;
                        }
                        true
                    }
                    _ => false,
                };
                if matched == (op == SetOp::Intersect) {
                    out.push(row);
                }
            }
            out
        }
    };
    if all {
        rows
    } else {
        distinct(rows)
    }
}

/// Gives each column of a set operation's rows one kind, as PostgreSQL resolves the
/// column to one type: integers widen to NUMERIC and both to DOUBLE PRECISION, so that
/// `1 UNION 1.0` is one row (rows are compared by kind, see [`group_key`]); numbers
/// against text or booleans are 42804. NULLs fit any kind.
fn unify_columns(op: SetOp, left: &mut [Vec<Value>], right: &mut [Vec<Value>]) -> Result<()> {
    let rank = DataType::widening_rank;
    let width = left.first().or(right.first()).map_or(0, Vec::len);
    for c in 0..width {
        let mut widest: Option<&Value> = None;
        for v in left.iter().chain(right.iter()).map(|row| &row[c]) {
            if v.is_null() {
                continue;
            }
            let Some(w) = widest else {
                widest = Some(v);
                continue;
            };
            match (rank(w.data_type()), rank(v.data_type())) {
                (Some(a), Some(b)) if b > a => widest = Some(v),
                (Some(_), Some(_)) => {}
                _ if w.data_type() == v.data_type() => {}
                _ => {
                    return Err(Error::DatatypeMismatch(format!(
                        "{} types {} and {} cannot be matched",
                        op.keyword(),
                        w.type_name(),
                        v.type_name()
                    )))
                }
            }
        }
        let Some(target) = widest.map(Value::data_type) else {
            continue;
        };
        for v in left
            .iter_mut()
            .chain(right.iter_mut())
            .map(|row| &mut row[c])
        {
            if !v.is_null() && v.data_type() != target {
                *v = v.cast(target)?;
            }
        }
    }
    Ok(())
}

/// The first of each set of equal rows (NULLs equal), in order.
fn distinct(rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|row| seen.insert(group_key(row)))
        .collect()
}

/// The first row of each set of `rows` with equal values in `columns`.
fn distinct_on(rows: Vec<Vec<Value>>, columns: &[usize]) -> Vec<Vec<Value>> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|row| {
            let on: Vec<Value> = columns.iter().map(|&c| row[c].clone()).collect();
            seen.insert(group_key(&on))
        })
        .collect()
}

/// Orders two values by one ORDER BY key: direction, and NULLs first or last.
/// How rows `a` and `b` sort by `keys`.
pub(crate) fn compare_rows(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    keys.iter()
        .map(|k| compare_key(k, &a[k.column], &b[k.column]))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

fn compare_key(k: &SortKey, x: &Value, y: &Value) -> Ordering {
    match (x.is_null(), y.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if k.nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if k.nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ if k.descending => x.sort_cmp(y).reverse(),
        _ => x.sort_cmp(y),
    }
}

/// A byte key identifying a row's values for grouping (equal values, equal key:
/// numerics are normalized by the key encoding, and numbers of different kinds that are
/// equal compare equal in SQL but are rare in one column, so kinds are kept apart).
pub(crate) fn group_key(row: &[Value]) -> Vec<u8> {
    let mut k = Vec::new();
    for v in row {
        k.push(v.type_name().len() as u8);
        encode_key_value(v, &mut k);
    }
    k
}

/// Evaluates `exprs` over each row. A list of distinct plain columns (the usual select
/// list) moves the values out of the input rows instead of copying them, and the list
/// of all columns in order passes the rows through.
fn project(rows: Vec<Vec<Value>>, exprs: &[Expr], env: &Env<'_>) -> Result<Vec<Vec<Value>>> {
    let column = |e: &Expr| match e {
        Expr::Column(c) => Some(*c),
        _ => None,
    };
    let identity = exprs.iter().enumerate().all(|(i, e)| column(e) == Some(i));
    if identity && rows.iter().all(|row| row.len() == exprs.len()) {
        return Ok(rows);
    }
    let movable = exprs
        .iter()
        .enumerate()
        .all(|(i, e)| column(e).is_some_and(|c| exprs[..i].iter().all(|p| column(p) != Some(c))));
    rows.into_iter()
        .map(|mut row| {
            if identity && row.len() == exprs.len() {
                return Ok(row);
            }
            if movable {
                return Ok(exprs
                    .iter()
                    .map(|e| match column(e).and_then(|c| row.get_mut(c)) {
                        Some(v) => std::mem::replace(v, Value::Null),
                        None => Value::Null,
                    })
                    .collect());
            }
            exprs.iter().map(|e| e.eval(&row, env)).collect()
        })
        .collect()
}

/// The rows of `table` that `access` finds and `filter` accepts, with their keys.
pub fn scan_rows(
    table: &Table,
    access: &Access,
    filter: Option<&Expr>,
    env: &Env<'_>,
) -> Result<Vec<KeyedRow>> {
    let mut out = Vec::new();
    scan(table, access, filter, env, Keys::Wanted, |key, row| {
        out.push((key, row))
    })?;
    Ok(out)
}

/// Whether the caller of [`scan`] uses the keys of the rows it finds. A query does
/// not: its scan then copies no key out of the store and allocates none for a point.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Wanted,
    /// `found` is given empty keys.
    Unused,
}

/// Calls `found` with each row of `table` that `access` finds and `filter` accepts, and
/// its key (if `keys` wants it), in the order of the access path.
fn scan(
    table: &Table,
    access: &Access,
    filter: Option<&Expr>,
    env: &Env<'_>,
    keys: Keys,
    mut found: impl FnMut(Vec<u8>, Vec<Value>),
) -> Result<()> {
    let mut accept = |key: Vec<u8>, row: Vec<Value>| -> Result<()> {
        if row.len() != table.columns.len() {
            // A dirty read of a row an ALTER TABLE in progress rewrote: the other
            // transaction's work, not damage. Any other reader sees committed rows only,
            // all in the layout of the definition it read with them.
            if env.txn.borrow().level() == IsolationLevel::ReadUncommitted {
                return Err(Error::TableBeingAltered {
                    table: table.name.clone(),
                });
            }
            return Err(Error::Corrupt(format!(
                "row of \"{}\" has {} columns, the table {}",
                table.name,
                row.len(),
                table.columns.len()
            )));
        }
        if match filter {
            Some(f) => f.matches(&row, env)?,
            None => true,
        } {
            found(key, row);
        }
        Ok(())
    };
    // A row is decoded under its key's lock, without taking a reference to its bytes.
    let read_row = |key: &[u8]| -> Result<Option<Vec<Value>>> {
        let decoded = env
            .txn
            .borrow()
            .get_with(key, |bytes| bytes.map(|b| decode_row(b)))?;
        decoded.transpose()
    };
    let kept = |key: &[u8]| match keys {
        Keys::Wanted => key.to_vec(),
        Keys::Unused => Vec::new(),
    };
    let chosen;
    let access = match (access, filter) {
        (Access::Parameterized { primary_key }, Some(f)) => {
            // A point's key is encoded into a reused buffer, and copied only for a
            // caller that keeps it.
            let point = |key: &mut Vec<u8>| -> Result<bool> {
                let Some(pk) = primary_key.as_deref() else {
                    return Ok(false);
                };
                if crate::planner::primary_key_point(table, pk, env, key).is_none() {
                    return Ok(false);
                }
                if let Some(row) = read_row(key)? {
                    accept(kept(key), row)?;
                }
                Ok(true)
            };
            if with_reused(&KEY_BUFFER, point)? {
                return Ok(());
            }
            chosen = crate::planner::choose_access_now(table, f, env);
            &chosen
        }
        _ => access,
    };
    let mut fetch = |key: Vec<u8>| -> Result<()> {
        match read_row(&key)? {
            Some(row) => accept(key, row),
            None => Ok(()),
        }
    };
    let prefix = row_prefix(table.id);
    let entries = match access {
        Access::Full | Access::Parameterized { .. } | Access::KeyRange(_) => {
            let range = match access {
                Access::KeyRange(r) => Some(r),
                _ => None,
            };
            // Rows are decoded as the scan reads them, without taking a reference to
            // their bytes, and filtered once it is done with the transaction.
            let rows: Vec<_> = {
                let txn = env.txn.borrow();
                let read =
                    |key: &[u8], bytes: &isolde_txn::Value| Some((kept(key), decode_row(bytes)));
                txn.scan_with(range_bytes(&prefix, range), read)?.collect()
            };
            for (key, row) in rows {
                accept(key, row?)?;
            }
            return Ok(());
        }
        Access::KeyPoints(keys) => {
            match keys.as_slice() {
                [one] => fetch(point_key(&prefix, one))?,
                _ => {
                    for key in point_keys(&prefix, keys) {
                        fetch(key)?;
                    }
                }
            }
            return Ok(());
        }
        Access::IndexPoints { index, keys } => {
            let iprefix = index_prefix(table.indexes[*index].id);
            let mut entries = Vec::new();
            for key in point_keys(&iprefix, keys) {
                let end = prefix_end(&key).map_or(Bound::Unbounded, Bound::Excluded);
                entries.extend(scan_range(env, (Bound::Included(key), end))?);
            }
            entries
        }
        Access::IndexRange { index, range } => {
            let iprefix = index_prefix(table.indexes[*index].id);
            scan_range(env, range_bytes(&iprefix, Some(range)))?
        }
    };
    for (_, pk) in entries {
        let key = [&prefix[..], &pk[..]].concat();
        match read_row(&key)? {
            Some(row) => accept(key, row)?,
            None => {
                return Err(Error::Corrupt(format!(
                    "index entry points at missing row {}",
                    isolde_txn::display_key(&key)
                )))
            }
        }
    }
    Ok(())
}

/// The encoded key of the values `key` under `prefix`.
fn point_key(prefix: &[u8], key: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 10 * key.len());
    out.extend_from_slice(prefix);
    encode_key(key, &mut out);
    out
}

/// The encoded keys of `keys` under `prefix`, sorted, without duplicates.
fn point_keys(prefix: &[u8], keys: &[Vec<Value>]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = keys.iter().map(|k| point_key(prefix, k)).collect();
    if out.len() > 1 {
        out.sort();
        out.dedup();
    }
    out
}

type ByteRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

fn scan_range(env: &Env<'_>, range: ByteRange) -> Result<Vec<(Vec<u8>, isolde_txn::Value)>> {
    let txn = env.txn.borrow();
    let scan = txn.scan(range)?;
    Ok(scan.collect())
}

/// The byte range of keys under `prefix` that `range` selects.
fn range_bytes(prefix: &[u8], range: Option<&KeyRange>) -> ByteRange {
    let mut base = prefix.to_vec();
    let Some(r) = range else {
        let end = prefix_end(&base).map_or(Bound::Unbounded, Bound::Excluded);
        return (Bound::Included(base), end);
    };
    encode_key(&r.eq, &mut base);
    let with = |v: &Value| {
        let mut k = base.clone();
        encode_key_value(v, &mut k);
        k
    };
    let after = |k: Vec<u8>| prefix_end(&k).map_or(Bound::Unbounded, Bound::Included);
    let start = match &r.lower {
        Bound::Included(v) => Bound::Included(with(v)),
        Bound::Excluded(v) => after(with(v)),
        Bound::Unbounded => Bound::Included(base.clone()),
    };
    let end = match &r.upper {
        Bound::Included(v) => prefix_end(&with(v)).map_or(Bound::Unbounded, Bound::Excluded),
        Bound::Excluded(v) => Bound::Excluded(with(v)),
        // Only equalities: everything under the prefix.
        Bound::Unbounded if matches!(r.lower, Bound::Unbounded) => {
            prefix_end(&base).map_or(Bound::Unbounded, Bound::Excluded)
        }
        // NULLs sort last, and never satisfy a lower bound: stop before them.
        Bound::Unbounded => Bound::Excluded(with(&Value::Null)),
    };
    (start, end)
}

/// The rows of a `FOR UPDATE` / `FOR SHARE` scan, through the projection above it
/// (`project`, if any), locked as PostgreSQL's LockRows node locks them: the rows the
/// snapshot finds, sorted by the query's ORDER BY, are locked one by one until the
/// query's OFFSET and LIMIT have their rows, so that rows past them stay unlocked, and a
/// row skipped (`SKIP LOCKED`) or no longer matching (a READ COMMITTED re-check) does not
/// count. A row is projected from the version its lock returns, the newest at READ
/// COMMITTED (the Sort above the projection then orders the rows by what they became).
fn locking_scan(
    table: &Table,
    access: &Access,
    filter: Option<&Expr>,
    locking: &Locking,
    project: Option<&[Expr]>,
    env: &Env<'_>,
) -> Result<Vec<Vec<Value>>> {
    let output = |row: Vec<Value>| -> Result<Vec<Value>> {
        match project {
            Some(exprs) => exprs.iter().map(|e| e.eval(&row, env)).collect(),
            None => Ok(row),
        }
    };
    let mut found = scan_rows(table, access, filter, env)?;
    if !locking.order.is_empty() {
        let mut keyed = found
            .into_iter()
            .map(|(key, row)| Ok((output(row.clone())?, (key, row))))
            .collect::<Result<Vec<_>>>()?;
        keyed.sort_by(|(a, _), (b, _)| compare_rows(&locking.order, a, b));
        found = keyed.into_iter().map(|(_, found)| found).collect();
    }
    let mut out = Vec::new();
    for (key, row) in found {
        if locking.count.is_some_and(|n| out.len() >= n) {
            break;
        }
        if let Some(row) = lock_row(table, &key, row, locking.rows, filter, env)? {
            out.push(output(row)?);
        }
    }
    Ok(out)
}

/// Locks a row of `table` found by a scan. At READ COMMITTED, if the row changed after
/// the statement's snapshot, re-checks `filter` on the newest committed version and
/// returns that version, or None when the row was deleted or no longer matches
/// (PostgreSQL's EvalPlanQual rule). At REPEATABLE READ and SERIALIZABLE a changed row is
/// a serialization failure, raised by the transaction layer. A row another transaction
/// holds is waited for, or with `NOWAIT` an error, or with `SKIP LOCKED` passed over
/// (None).
pub fn lock_row(
    table: &Table,
    key: &[u8],
    row: Vec<Value>,
    locking: RowLocking,
    filter: Option<&Expr>,
    env: &Env<'_>,
) -> Result<Option<Vec<Value>>> {
    lock_row_rechecked(table, key, row, locking, env, |newest| match filter {
        Some(f) => f.matches(newest, env),
        None => Ok(true),
    })
}

/// [`lock_row`] with the READ COMMITTED re-check given as a function of the newest
/// version, for a statement whose condition reads more than the row: an `UPDATE ...
/// FROM` re-checks its WHERE on the newest version joined with the rows of the other
/// tables it matched.
pub fn lock_row_rechecked(
    table: &Table,
    key: &[u8],
    row: Vec<Value>,
    locking: RowLocking,
    env: &Env<'_>,
    recheck: impl FnOnce(&[Value]) -> Result<bool>,
) -> Result<Option<Vec<Value>>> {
    let lock = match locking.wait {
        LockWait::Block => env.txn.borrow_mut().lock(key, locking.mode)?,
        wait => match env.txn.borrow_mut().try_lock(key, locking.mode)? {
            Some(lock) => lock,
            None if wait == LockWait::SkipLocked => return Ok(None),
            None => {
                return Err(Error::RowLocked {
                    table: table.name.clone(),
                })
            }
        },
    };
    if !lock.changed {
        return Ok(Some(row));
    }
    // Deleted since the statement's snapshot: a row inserted under its key since then
    // is another row, which the statement did not choose.
    let Some(bytes) = lock.value.filter(|_| !lock.replaced) else {
        return Ok(None);
    };
    let newest = decode_row(&bytes)?;
    Ok(recheck(&newest)?.then_some(newest))
}

fn aggregate(
    rows: Vec<Vec<Value>>,
    group_by: &[Expr],
    aggregates: &[Aggregate],
    env: &Env<'_>,
) -> Result<Vec<Vec<Value>>> {
    let mut groups: Vec<(Vec<Value>, Vec<Accumulator>)> = Vec::new();
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    for row in &rows {
        let key: Vec<Value> = group_by
            .iter()
            .map(|e| e.eval(row, env))
            .collect::<Result<_>>()?;
        let slot = *index.entry(group_key(&key)).or_insert_with(|| {
            groups.push((key, aggregates.iter().map(Accumulator::new).collect()));
            groups.len() - 1
        });
        for (acc, agg) in groups[slot].1.iter_mut().zip(aggregates) {
            if let Some(filter) = &agg.filter {
                if !filter.matches(row, env)? {
                    continue;
                }
            }
            let v = match &agg.arg {
                Some(e) => e.eval(row, env)?,
                None => Value::Integer(1),
            };
            let delimiter = match &agg.delimiter {
                Some(e) => e.eval(row, env)?,
                None => Value::Null,
            };
            if agg.order.is_empty() {
                acc.add(v, delimiter)?;
            } else {
                let keys = agg.order.iter().map(|(e, _)| e.eval(row, env));
                acc.add_in_order(v, delimiter, keys.collect::<Result<_>>()?);
            }
        }
    }
    if groups.is_empty() && group_by.is_empty() {
        groups.push((
            Vec::new(),
            aggregates.iter().map(Accumulator::new).collect(),
        ));
    }
    groups
        .into_iter()
        .map(|(mut key, accs)| {
            for acc in accs {
                key.push(acc.finish()?);
            }
            Ok(key)
        })
        .collect()
}

/// The running state of one aggregate in one group (or a window's frame).
#[derive(Clone)]
pub(crate) struct Accumulator {
    function: AggregateFunction,
    distinct: Option<Distinct>,
    count: i64,
    value: Value,
    /// The statistical aggregates' state (theirs only: `value` stays NULL).
    moments: Moments,
    /// With an `ORDER BY` in the call: its keys, and every value (with its delimiter)
    /// under its sort keys, aggregated in that order at the end. Boxed: only such
    /// aggregates pay for it.
    ordered: Option<Box<Ordered>>,
}

/// An aggregate's `ORDER BY` keys, and its values under their sort keys.
#[derive(Clone)]
struct Ordered {
    keys: Vec<SortKey>,
    values: Vec<(Vec<Value>, Value, Value)>,
}

/// A DISTINCT aggregate's values, each kept once, aggregated in sorted order at the end
/// as PostgreSQL does (so `string_agg(DISTINCT s, ',')` lists them sorted).
#[derive(Clone, Default)]
struct Distinct {
    seen: std::collections::HashSet<Vec<u8>>,
    /// Each value with the delimiter that came with it.
    values: Vec<(Value, Value)>,
}

impl Accumulator {
    pub(crate) fn new(agg: &Aggregate) -> Accumulator {
        Accumulator {
            function: agg.function,
            distinct: agg.distinct.then(Default::default),
            count: 0,
            value: Value::Null,
            moments: Moments::Empty,
            ordered: (!agg.order.is_empty()).then(|| {
                Box::new(Ordered {
                    keys: agg.order.iter().map(|(_, key)| *key).collect(),
                    values: Vec::new(),
                })
            }),
        }
    }

    /// [`Accumulator::add`] for an aggregate with an `ORDER BY`, the value's sort keys
    /// computed.
    pub(crate) fn add_in_order(&mut self, v: Value, delimiter: Value, keys: Vec<Value>) {
        if let Some(ordered) = self.ordered.as_mut().filter(|_| !v.is_null()) {
            ordered.values.push((keys, v, delimiter));
        }
    }

    /// Adds a row's value (`delimiter`: `string_agg`'s, put before it unless it is the
    /// first or the delimiter is NULL).
    pub(crate) fn add(&mut self, v: Value, delimiter: Value) -> Result<()> {
        if v.is_null() {
            return Ok(());
        }
        match &mut self.distinct {
            Some(d) => {
                if d.seen.insert(group_key(std::slice::from_ref(&v))) {
                    d.values.push((v, delimiter));
                }
                Ok(())
            }
            None => self.accumulate(v, delimiter),
        }
    }

    /// Folds a value that is not NULL into the running state.
    fn accumulate(&mut self, v: Value, delimiter: Value) -> Result<()> {
        self.count += 1;
        use AggregateFunction::*;
        self.value = match (
            self.function,
            std::mem::replace(&mut self.value, Value::Null),
        ) {
            (CountStar | Count, _) => Value::Null,
            (Statistic(s), _) => {
                self.moments.add(s, v)?;
                Value::Null
            }
            (StringAgg, Value::Null) => Value::Text(v.to_string()),
            (StringAgg, joined) => {
                let mut joined = match joined {
                    Value::Text(joined) => joined,
                    other => other.to_string(),
                };
                joined.push_str(&delimiter.to_string());
                joined.push_str(&v.to_string());
                Value::Text(joined)
            }
            (BoolAnd | BoolOr, acc) => {
                let Value::Boolean(b) = v else {
                    let name = if self.function == BoolAnd {
                        "bool_and"
                    } else {
                        "bool_or"
                    };
                    return Err(Error::UndefinedFunction(format!(
                        "function {name}({}) does not exist",
                        v.type_name()
                    )));
                };
                match acc {
                    Value::Boolean(a) if self.function == BoolAnd => Value::Boolean(a && b),
                    Value::Boolean(a) => Value::Boolean(a || b),
                    _ => Value::Boolean(b),
                }
            }
            (_, Value::Null) => match (self.function, v) {
                (Sum | Avg, v) if !v.is_number() && !matches!(v, Value::Interval(_)) => {
                    return Err(Error::UndefinedFunction(format!(
                        "function {}({}) does not exist",
                        if self.function == Sum { "sum" } else { "avg" },
                        v.type_name()
                    )))
                }
                // The sum of integers is a NUMERIC, as PostgreSQL's sum(bigint): it
                // does not overflow where a bigint would, and divides exactly.
                (Sum | Avg, Value::Integer(i)) => Value::Numeric(Decimal::from_i64(i)),
                (_, v) => v,
            },
            (Sum | Avg, acc) => binary(BinaryOp::Add, acc, v)?,
            // Of equal values the later is kept, as PostgreSQL's `numeric_smaller` and
            // the like return their second argument on a tie: 0 and 0.00 print apart.
            (Min, acc) => {
                if v.sort_cmp(&acc) != Ordering::Greater {
                    v
                } else {
                    acc
                }
            }
            (Max, acc) => {
                if v.sort_cmp(&acc) != Ordering::Less {
                    v
                } else {
                    acc
                }
            }
        };
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<Value> {
        use AggregateFunction::*;
        if let Some(ordered) = self.ordered.take() {
            // A stable sort: values with equal keys keep the order they came in.
            let Ordered { keys, mut values } = *ordered;
            values.sort_by(|a, b| compare_rows(&keys, &a.0, &b.0));
            let mut seen = self.distinct.take().map(|d| d.seen);
            for (_, v, delimiter) in values {
                let first = seen
                    .as_mut()
                    .is_none_or(|seen| seen.insert(group_key(std::slice::from_ref(&v))));
                if first {
                    self.accumulate(v, delimiter)?;
                }
            }
        } else if let Some(mut d) = self.distinct.take() {
            d.values.sort_by(|a, b| a.0.sort_cmp(&b.0));
            for (v, delimiter) in d.values {
                self.accumulate(v, delimiter)?;
            }
        }
        Ok(match self.function {
            CountStar | Count => Value::Integer(self.count),
            Avg => match self.value {
                Value::Null => Value::Null,
                Value::Float(f) => Value::Float(f / self.count as f64),
                v => binary(
                    BinaryOp::Div,
                    v,
                    Value::Numeric(Decimal::from_i64(self.count)),
                )?,
            },
            Statistic(s) => self.moments.finish(s)?,
            Sum | Min | Max | StringAgg | BoolAnd | BoolOr => self.value,
        })
    }
}

/// A fresh hidden row id for a table without a primary key. Like a PostgreSQL sequence
/// it is not transactional: ids are unique and increasing within the process, and start
/// from the wall clock (in microseconds) so that they keep increasing across restarts.
pub fn next_row_id() -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let mut last = LAST.load(AtomicOrdering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(
            last,
            next,
            AtomicOrdering::Relaxed,
            AtomicOrdering::Relaxed,
        ) {
            Ok(_) => return next,
            Err(actual) => last = actual,
        }
    }
}

/// Appends the key of a row to `key`: the table's prefix and its primary key (or
/// `row_id`).
fn row_key_into<V: Borrow<Value>>(
    table: &Table,
    row: &[V],
    row_id: Option<i64>,
    key: &mut Vec<u8>,
) {
    put_row_prefix(key, table.id);
    match row_id {
        Some(id) => encode_key_value(&Value::Integer(id), key),
        None => {
            for &c in &table.primary_key {
                encode_key_value(row[c].borrow(), key);
            }
        }
    }
}

/// The key of a row of `table`: the table's prefix and its primary key (or `row_id`).
pub fn row_key<V: Borrow<Value>>(table: &Table, row: &[V], row_id: Option<i64>) -> Vec<u8> {
    let mut key = Vec::new();
    row_key_into(table, row, row_id, &mut key);
    key
}

thread_local! {
    /// The buffers a new row's key (or a point lookup's) and a written row are encoded
    /// into on their way to the store, which copies them: reused, so that writing a row
    /// or looking one up allocates nothing of its own.
    static KEY_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static ROW_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer this large is not kept for the next row.
const BUFFER_KEEP: usize = 64 * 1024;

/// Calls `f` with the bytes `fill` writes into `buffer` (emptied first).
fn with_buffer<T>(
    buffer: &'static LocalKey<RefCell<Vec<u8>>>,
    fill: impl FnOnce(&mut Vec<u8>),
    f: impl FnOnce(&[u8]) -> T,
) -> T {
    with_reused(buffer, |buf| {
        fill(buf);
        f(buf)
    })
}

/// Calls `f` with `buffer`, emptied.
fn with_reused<T>(
    buffer: &'static LocalKey<RefCell<Vec<u8>>>,
    f: impl FnOnce(&mut Vec<u8>) -> T,
) -> T {
    buffer.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            let out = f(&mut buf);
            if buf.capacity() > BUFFER_KEEP {
                *buf = Vec::new();
            }
            out
        }
        // Only if `f` needed the same buffer again (a point lookup in a subquery of a
        // point lookup's filter): then one of its own.
        Err(_) => f(&mut Vec::new()),
    })
}

/// Calls `f` with `row` encoded for storage ([`crate::encoding::encode_row`]).
fn with_encoded_row<V: Borrow<Value>, T>(row: &[V], f: impl FnOnce(&[u8]) -> T) -> T {
    with_buffer(&ROW_BUFFER, |buf| encode_row_into(row, buf), f)
}

/// An index entry's key, and whether it is a uniqueness claim (unique index, no NULLs).
fn index_key<V: Borrow<Value>>(
    table: &Table,
    index: usize,
    row: &[V],
    pk: &[u8],
) -> (Vec<u8>, bool) {
    let idx = &table.indexes[index];
    let mut key = index_prefix(idx.id);
    let mut has_null = false;
    for &c in &idx.columns {
        let v = row[c].borrow();
        has_null |= v.is_null();
        encode_key_value(v, &mut key);
    }
    let claim = idx.unique && !has_null;
    if !claim {
        key.extend_from_slice(pk);
    }
    (key, claim)
}

fn values_text<V: Borrow<Value>>(row: &[V], cols: &[usize]) -> String {
    let vals: Vec<String> = cols.iter().map(|&c| row[c].borrow().to_string()).collect();
    vals.join(", ")
}

/// The unique constraints an `INSERT ... ON CONFLICT` resolves a conflict on
/// (PostgreSQL's arbiter indexes). A conflict on any other is a unique violation (23505).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Arbiters {
    /// The primary key (never set for a table keyed by a hidden row id).
    pub primary_key: bool,
    /// Unique indexes, by position in [`Table::indexes`].
    pub indexes: Vec<usize>,
}

/// Inserts a new row and its index entries. `row_id` is the hidden key of a table
/// without a primary key.
pub fn insert_row<V: Borrow<Value>>(
    table: &Table,
    row: &[V],
    row_id: Option<i64>,
    env: &Env<'_>,
) -> Result<()> {
    insert_row_or_find(table, row, row_id, &Arbiters::default(), env).map(drop)
}

/// Inserts a new row and its index entries, as [`insert_row`] does, unless one of the
/// `arbiters` already holds its key: then it writes nothing and returns the row there
/// (its key and values), locked exclusively. At READ COMMITTED that row is the newest
/// committed version when it committed after the statement began; at REPEATABLE READ
/// and SERIALIZABLE such a row is a serialization failure (first updater wins), whether
/// it is found by its primary key or through a unique index.
///
/// The arbiters are looked at first, their keys locked but not written, and the row is
/// written only once none conflicts: a row that conflicts leaves nothing behind. A key
/// another transaction is writing is waited for, as every write waits. On a key that is
/// not an arbiter, a row is a unique violation (23505) at every level, one committed
/// after the snapshot included, as in PostgreSQL ([`isolde_txn::Transaction::insert`]).
pub fn insert_row_or_find<V: Borrow<Value>>(
    table: &Table,
    row: &[V],
    row_id: Option<i64>,
    arbiters: &Arbiters,
    env: &Env<'_>,
) -> Result<Option<KeyedRow>> {
    let key = |key: &mut Vec<u8>| row_key_into(table, row, row_id, key);
    with_buffer(&KEY_BUFFER, key, |key| {
        let pk = &key[OBJECT_PREFIX_LEN..];
        for &i in &arbiters.indexes {
            if let Some(found) = find_by_index(table, i, row, pk, env)? {
                return Ok(Some(found));
            }
        }
        if arbiters.primary_key {
            if let Some(existing) = lock_and_read(key, env)? {
                return Ok(Some((key.to_vec(), decode_row(&existing)?)));
            }
        }
        let existing = with_encoded_row(row, |bytes| env.txn.borrow_mut().insert(key, bytes))?;
        if existing.is_some() {
            return Err(Error::UniqueViolation {
                constraint: table.pkey_name(),
                columns: table.column_names(&table.primary_key),
                values: values_text(row, &table.primary_key),
            });
        }
        for i in 0..table.indexes.len() {
            insert_index_entry(table, i, row, pk, env)?;
        }
        Ok(None)
    })
}

/// The row that unique index `index` says already holds `row`'s values (a row other
/// than the one keyed `pk`), locked, with its key; None when the entry is free (locked
/// then, and not written). See [`insert_row_or_find`].
fn find_by_index<V: Borrow<Value>>(
    table: &Table,
    index: usize,
    row: &[V],
    pk: &[u8],
    env: &Env<'_>,
) -> Result<Option<KeyedRow>> {
    let (ikey, is_claim) = index_key(table, index, row, pk);
    if !is_claim {
        return Ok(None);
    }
    let owner = match lock_and_read(&ikey, env)? {
        Some(owner) if owner[..] != *pk => owner,
        _ => return Ok(None),
    };
    let mut key = row_prefix(table.id);
    key.extend_from_slice(&owner);
    match lock_and_read(&key, env)? {
        Some(bytes) => Ok(Some((key, decode_row(&bytes)?))),
        None => Err(Error::Corrupt(format!(
            "an entry of index \"{}\" names a row of \"{}\" that does not exist",
            table.indexes[index].name, table.name
        ))),
    }
}

/// Locks `key` exclusively and returns the row an `ON CONFLICT` arbiter finds there,
/// without writing ([`isolde_txn::Transaction::lock_arbiter`]); the borrow of the
/// transaction ends with the call.
fn lock_and_read(key: &[u8], env: &Env<'_>) -> Result<Option<isolde_txn::Value>> {
    Ok(env.txn.borrow_mut().lock_arbiter(key)?)
}

pub fn insert_index_entry<V: Borrow<Value>>(
    table: &Table,
    i: usize,
    row: &[V],
    pk: &[u8],
    env: &Env<'_>,
) -> Result<()> {
    let (ikey, is_claim) = index_key(table, i, row, pk);
    if !is_claim {
        env.txn.borrow_mut().put(&ikey, pk)?;
        return Ok(());
    }
    // An entry already naming this row (an UPDATE writing back its own entry) is left as
    // it is; one naming another row is a duplicate.
    match env.txn.borrow_mut().insert(&ikey, pk)? {
        Some(owner) if owner[..] != *pk => {
            let idx = &table.indexes[i];
            Err(Error::UniqueViolation {
                constraint: idx.name.clone(),
                columns: table.column_names(&idx.columns),
                values: values_text(row, &idx.columns),
            })
        }
        _ => Ok(()),
    }
}

/// Deletes a row (by its key) and its index entries.
pub fn delete_row(table: &Table, key: &[u8], row: &[Value], env: &Env<'_>) -> Result<()> {
    let pk = &key[OBJECT_PREFIX_LEN..];
    for i in 0..table.indexes.len() {
        let (ikey, _) = index_key(table, i, row, pk);
        env.txn.borrow_mut().delete(&ikey)?;
    }
    env.txn.borrow_mut().delete(key)?;
    Ok(())
}

/// Stores `row` under `key` in place of the row there, for an UPDATE that changes no
/// primary key or indexed column (so no key or index entry moves): what
/// [`update_row`] does in that case.
pub fn overwrite_row(key: &[u8], row: &[Value], env: &Env<'_>) -> Result<()> {
    with_encoded_row(row, |bytes| env.txn.borrow_mut().put(key, bytes))?;
    Ok(())
}

/// Replaces `old` (stored under `key`) by `new`. A changed primary key moves the row:
/// delete and insert, with a uniqueness check on the new key.
pub fn update_row(
    table: &Table,
    key: &[u8],
    old: &[Value],
    new: &[Value],
    env: &Env<'_>,
) -> Result<()> {
    let pk_changed = table
        .primary_key
        .iter()
        .any(|&c| old[c].sort_cmp(&new[c]) != Ordering::Equal);
    if pk_changed {
        delete_row(table, key, old, env)?;
        return insert_row(table, new, None, env);
    }
    let pk = &key[OBJECT_PREFIX_LEN..];
    for i in 0..table.indexes.len() {
        let cols = &table.indexes[i].columns;
        if cols
            .iter()
            .all(|&c| old[c].sort_cmp(&new[c]) == Ordering::Equal)
        {
            continue;
        }
        let (old_key, _) = index_key(table, i, old, pk);
        env.txn.borrow_mut().delete(&old_key)?;
        insert_index_entry(table, i, new, pk, env)?;
    }
    with_encoded_row(new, |bytes| env.txn.borrow_mut().put(key, bytes))?;
    Ok(())
}
