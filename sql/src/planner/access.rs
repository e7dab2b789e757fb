//! Choosing how a scan reaches its rows from the WHERE clause.
//!
//! The conjuncts (`AND`ed parts) of the predicate that compare a column with a constant
//! (`=`, `IN (...)`, `<`, `<=`, `>`, `>=`, and `BETWEEN`, which the planner has already
//! split in two) are collected per column. Then, in order of preference: every primary
//! key column equal to constants gives point lookups; every column of an index equal to
//! constants gives index lookups (unique indexes first); equalities on a prefix of the
//! primary key plus a range on the next column give a key range scan; the same on an
//! index gives an index range scan; otherwise the whole table is scanned. The full
//! predicate is still evaluated on every row found, so the access path only has to find
//! a superset of the matching rows. A constant that cannot be represented exactly in the
//! column's type (`int_col = 2.5`) is not used for access.
//!
//! A cached plan keeps `$n` parameters as [`Expr::Param`]s. Its scans are planned with
//! [`Access::Parameterized`], and the path is chosen here at every execution from the
//! parameter values, by the same rules and so with the same result as planning with
//! those values written in as constants. The common case, one equality for each primary
//! key column, is recognised once when planning ([`primary_key_equalities`]): at each
//! execution the values then only have to fit their columns exactly for the point lookup
//! that the rules would choose ([`primary_key_point`]).

use std::cmp::Ordering;
use std::ops::Bound;

use crate::catalog::Table;
use crate::encoding::{encode_key_value, put_row_prefix};
use crate::executor::Env;
use crate::expression::{BinaryOp, Expr};
use crate::plan::{Access, KeyRange};
use crate::types::{DataType, Value};

/// More point lookups than this turn into a scan.
const MAX_POINTS: usize = 1024;

/// What the predicate says about one column.
#[derive(Default)]
struct ColumnBounds {
    eq: Option<Candidates>,
    lower: Option<Bound<Value>>,
    upper: Option<Bound<Value>>,
}

/// The values a column must equal one of (`= v` or `IN (...)`).
enum Candidates {
    One(Value),
    Many(Vec<Value>),
}

impl Candidates {
    fn as_slice(&self) -> &[Value] {
        match self {
            Candidates::One(v) => std::slice::from_ref(v),
            Candidates::Many(vs) => vs,
        }
    }
}

/// The bounds of the columns the predicate constrains: usually one, kept inline, then
/// a list.
#[derive(Default)]
struct Bounds {
    first: Option<(usize, ColumnBounds)>,
    rest: Vec<(usize, ColumnBounds)>,
}

impl Bounds {
    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn get(&self, col: usize) -> Option<&ColumnBounds> {
        self.first
            .iter()
            .chain(&self.rest)
            .find(|(c, _)| *c == col)
            .map(|(_, b)| b)
    }

    fn get_mut(&mut self, col: usize) -> &mut ColumnBounds {
        let first = self
            .first
            .get_or_insert_with(|| (col, ColumnBounds::default()));
        if first.0 == col {
            return &mut first.1;
        }
        let i = match self.rest.iter().position(|(c, _)| *c == col) {
            Some(i) => i,
            None => {
                self.rest.push((col, ColumnBounds::default()));
                self.rest.len() - 1
            }
        };
        &mut self.rest[i].1
    }

    fn eq(&self, col: usize) -> Option<&[Value]> {
        self.get(col)?.eq.as_ref().map(Candidates::as_slice)
    }
}

/// The access path for `table` given the compiled WHERE predicate, whose parameters
/// have their values in `env`.
pub fn choose(table: &Table, predicate: &Expr, env: &Env<'_>) -> Access {
    let mut cols = Bounds::default();
    collect(predicate, table, env, &mut cols);
    if cols.is_empty() {
        return Access::Full;
    }
    if !table.primary_key.is_empty() {
        if let Some(keys) = points(&table.primary_key, &cols) {
            return Access::KeyPoints(keys);
        }
    }
    let mut by_uniqueness: Vec<usize> = (0..table.indexes.len()).collect();
    by_uniqueness.sort_by_key(|&i| !table.indexes[i].unique);
    for &i in &by_uniqueness {
        if let Some(keys) = points(&table.indexes[i].columns, &cols) {
            return Access::IndexPoints { index: i, keys };
        }
    }
    if !table.primary_key.is_empty() {
        if let Some(range) = range(&table.primary_key, &cols) {
            return Access::KeyRange(range);
        }
    }
    for &i in &by_uniqueness {
        if let Some(range) = range(&table.indexes[i].columns, &cols) {
            return Access::IndexRange { index: i, range };
        }
    }
    Access::Full
}

/// For a predicate whose conjuncts give each primary key column exactly one candidate
/// value, `col = x` with `x` a constant, parameter or deferred constant: those `x`, in
/// key order. With them, [`choose`] picks the point lookup of those values whenever
/// each fits its column exactly, whatever the rest of the predicate says.
pub fn primary_key_equalities(table: &Table, predicate: &Expr) -> Option<Vec<Expr>> {
    if table.primary_key.is_empty() {
        return None;
    }
    let mut found: Vec<Option<&Expr>> = vec![None; table.primary_key.len()];
    let mut conjuncts = vec![predicate];
    while let Some(e) = conjuncts.pop() {
        let (col, value) = match e {
            Expr::Binary(BinaryOp::And, a, b) => {
                conjuncts.push(b);
                conjuncts.push(a);
                continue;
            }
            Expr::Binary(op, a, b) => match (a.as_ref(), b.as_ref()) {
                (Expr::Column(c), v) | (v, Expr::Column(c)) if v.is_constant() => {
                    if *op != BinaryOp::Eq {
                        continue;
                    }
                    (*c, Some(v))
                }
                _ => continue,
            },
            // An IN list also offers candidates: leave such predicates to `choose`.
            Expr::InList {
                expr,
                negated: false,
                ..
            } => match expr.as_ref() {
                Expr::Column(c) => (*c, None),
                _ => continue,
            },
            _ => continue,
        };
        if let Some(k) = table.primary_key.iter().position(|&pk| pk == col) {
            if found[k].is_some() {
                return None;
            }
            found[k] = Some(value?);
        }
    }
    found
        .into_iter()
        .map(|v| match v? {
            Expr::Const(v) => Some(Expr::Const(v.clone())),
            Expr::Param(n) => Some(Expr::Param(*n)),
            Expr::Deferred(slot) => Some(Expr::Deferred(*slot)),
            _ => None,
        })
        .collect()
}

/// Appends to `out` the row key of the single point lookup [`choose`] makes for a
/// predicate with these [`primary_key_equalities`], if every value fits its column
/// exactly; None otherwise (then `choose` must look at the whole predicate, and `out`
/// holds a part of a key). Encoded straight from the values, into a buffer the caller
/// reuses: the vectors of an [`Access::KeyPoints`], and then an allocated key, cost more
/// than the lookup's other work.
pub fn primary_key_point(
    table: &Table,
    key: &[Expr],
    env: &Env<'_>,
    out: &mut Vec<u8>,
) -> Option<()> {
    put_row_prefix(out, table.id);
    for (&col, e) in table.primary_key.iter().zip(key) {
        let (v, ty) = (e.constant(env)?, table.columns[col].ty);
        if stored_as_is(v, ty) {
            encode_key_value(v, out);
        } else {
            encode_key_value(&exact(v, ty)?, out);
        }
    }
    Some(())
}

/// Collects the bounds the conjuncts of `predicate` set on columns. Walks the AND tree
/// with a stack of its own: a chain of thousands of ANDs is as deep as it is long.
fn collect(predicate: &Expr, table: &Table, env: &Env<'_>, cols: &mut Bounds) {
    let mut conjuncts = vec![predicate];
    while let Some(e) = conjuncts.pop() {
        match e {
            Expr::Binary(BinaryOp::And, a, b) => {
                conjuncts.push(b);
                conjuncts.push(a);
            }
            e => bound_column(e, table, env, cols),
        }
    }
}

/// The bound one conjunct sets on a column, if it is `col op constant` or `col IN (...)`.
fn bound_column(e: &Expr, table: &Table, env: &Env<'_>, cols: &mut Bounds) {
    match e {
        Expr::Binary(op, a, b) => {
            let (col, value, op) = match (a.as_ref(), b.as_ref()) {
                (Expr::Column(c), v) => match v.constant(env) {
                    Some(v) => (*c, v, *op),
                    None => return,
                },
                (v, Expr::Column(c)) => match v.constant(env) {
                    Some(v) => (*c, v, op.flipped()),
                    None => return,
                },
                _ => return,
            };
            let Some(v) = exact(value, table.columns[col].ty) else {
                return;
            };
            let b = cols.get_mut(col);
            match op {
                BinaryOp::Eq => b.eq = Some(Candidates::One(v)),
                BinaryOp::Gt => tighten(&mut b.lower, Bound::Excluded(v), Ordering::Greater),
                BinaryOp::GtEq => tighten(&mut b.lower, Bound::Included(v), Ordering::Greater),
                BinaryOp::Lt => tighten(&mut b.upper, Bound::Excluded(v), Ordering::Less),
                BinaryOp::LtEq => tighten(&mut b.upper, Bound::Included(v), Ordering::Less),
                _ => {}
            }
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            let Expr::Column(col) = expr.as_ref() else {
                return;
            };
            let ty = table.columns[*col].ty;
            let values: Option<Vec<Value>> =
                list.iter().map(|e| exact(e.constant(env)?, ty)).collect();
            if let Some(values) = values {
                let b = cols.get_mut(*col);
                if b.eq.is_none() {
                    b.eq = Some(Candidates::Many(values));
                }
            }
        }
        _ => {}
    }
}

/// Keeps the tighter of two bounds (`better` is the ordering a tighter value has).
fn tighten(slot: &mut Option<Bound<Value>>, new: Bound<Value>, better: Ordering) {
    let replace = match (&*slot, &new) {
        (None, _) => true,
        (
            Some(Bound::Included(old) | Bound::Excluded(old)),
            Bound::Included(v) | Bound::Excluded(v),
        ) => {
            let o = v.sort_cmp(old);
            o == better || (o == Ordering::Equal && matches!(new, Bound::Excluded(_)))
        }
        _ => false,
    };
    if replace {
        *slot = Some(new);
    }
}

/// True when a column of type `ty` stores `v` as it is (the cast to `ty` is the
/// identity): then it is also exact.
fn stored_as_is(v: &Value, ty: DataType) -> bool {
    matches!(
        (v, ty),
        (Value::Integer(_), DataType::Integer)
            | (Value::Float(_), DataType::Float)
            | (Value::Boolean(_), DataType::Boolean)
            | (Value::Text(_), DataType::Text { max_len: None })
    )
}

/// `v` in the column's type if the conversion is exact; None for NULL.
fn exact(v: &Value, ty: DataType) -> Option<Value> {
    if stored_as_is(v, ty) {
        return Some(v.clone());
    }
    // Text compared with a date or time is read as one (`d = '2024-01-01'`), exactly as
    // a cast to the column's type reads it.
    let text_read_as_datetime = matches!(v, Value::Text(_))
        && matches!(
            ty,
            DataType::Date | DataType::Timestamp | DataType::TimestampTz | DataType::Interval
        );
    let kinds_differ = matches!(ty, DataType::Text { .. }) != matches!(v, Value::Text(_));
    if v.is_null() || (kinds_differ && !text_read_as_datetime) {
        return None;
    }
    let c = v.cast(ty).ok()?;
    (c.sql_cmp(v).ok()? == Some(Ordering::Equal)).then_some(c)
}

/// Every combination of the candidate values of `key_cols`, the first column varying
/// slowest; None if a column has no equality or there would be more than [`MAX_POINTS`].
fn points(key_cols: &[usize], cols: &Bounds) -> Option<Vec<Vec<Value>>> {
    if let [c] = key_cols {
        let values = cols.eq(*c)?;
        if values.len() > MAX_POINTS {
            return None;
        }
        return Some(values.iter().map(|v| vec![v.clone()]).collect());
    }
    let mut candidates: Vec<&[Value]> = Vec::with_capacity(key_cols.len());
    let mut count = 1;
    for &c in key_cols {
        let values = cols.eq(c)?;
        if count * values.len() > MAX_POINTS {
            return None;
        }
        count *= values.len();
        candidates.push(values);
    }
    let mut keys = Vec::with_capacity(count);
    for mut i in 0..count {
        let mut key = vec![Value::Null; candidates.len()];
        for (slot, values) in key.iter_mut().zip(&candidates).rev() {
            *slot = values[i % values.len()].clone();
            i /= values.len();
        }
        keys.push(key);
    }
    Some(keys)
}

fn range(key_cols: &[usize], cols: &Bounds) -> Option<KeyRange> {
    let mut eq = Vec::new();
    for &c in key_cols {
        match cols.eq(c) {
            Some([value]) => eq.push(value.clone()),
            _ => {
                let (lower, upper) = match cols.get(c) {
                    Some(b) => (b.lower.clone(), b.upper.clone()),
                    None => (None, None),
                };
                if eq.is_empty() && lower.is_none() && upper.is_none() {
                    return None;
                }
                return Some(KeyRange {
                    eq,
                    lower: lower.unwrap_or(Bound::Unbounded),
                    upper: upper.unwrap_or(Bound::Unbounded),
                });
            }
        }
    }
    (!eq.is_empty()).then_some(KeyRange {
        eq,
        lower: Bound::Unbounded,
        upper: Bound::Unbounded,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use isolde_txn::{IsolationLevel, Options, TxnManager};

    use super::*;
    use crate::catalog::Column;
    use crate::datetime::StatementTimes;
    use crate::encoding::encode_key;

    fn table() -> Table {
        let column = |name: &str, ty| Column {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
            default_sequence: None,
            default_clock: None,
            identity: None,
        };
        Table {
            id: 1,
            name: "p".into(),
            columns: vec![
                column("a", DataType::Integer),
                column("b", DataType::Text { max_len: None }),
                column("n", DataType::Integer),
            ],
            primary_key: vec![0, 1],
            indexes: Vec::new(),
            checks: Vec::new(),
            primary_key_name: None,
        }
    }

    fn eq(col: usize, e: Expr) -> Expr {
        Expr::Binary(BinaryOp::Eq, Box::new(Expr::Column(col)), Box::new(e))
    }

    fn and(a: Expr, b: Expr) -> Expr {
        Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b))
    }

    #[test]
    fn the_primary_key_shortcut_chooses_what_the_rules_choose() {
        let mgr = TxnManager::in_memory(Options::default());
        let txn = RefCell::new(mgr.begin(IsolationLevel::ReadCommitted));
        let sequences = crate::sequence::SessionSequences::new(&mgr);
        let t = table();
        let predicates = [
            and(eq(0, Expr::Param(0)), eq(1, Expr::Param(1))),
            and(eq(1, Expr::Param(1)), eq(0, Expr::Const(Value::Integer(4)))),
            and(
                and(eq(0, Expr::Param(0)), eq(1, Expr::Param(1))),
                eq(0, Expr::Param(2)),
            ),
            and(
                eq(0, Expr::Param(0)),
                Expr::InList {
                    expr: Box::new(Expr::Column(1)),
                    list: vec![Expr::Param(1)],
                    negated: false,
                },
            ),
            and(eq(0, Expr::Param(0)), eq(2, Expr::Param(1))),
        ];
        let values = [
            Value::Integer(1),
            Value::Null,
            Value::Float(2.0),
            Value::Float(2.5),
            Value::from("x"),
        ];
        for p in &predicates {
            let shortcut = primary_key_equalities(&t, p);
            for x in &values {
                for y in &values {
                    let params = [x.clone(), y.clone(), Value::Integer(1)];
                    let times = StatementTimes::default();
                    let env = Env::with_params(&mgr, &txn, &sequences, &params, &times);
                    let mut fast = Vec::new();
                    let Some(()) = shortcut
                        .as_deref()
                        .and_then(|key| primary_key_point(&t, key, &env, &mut fast))
                    else {
                        continue; // `choose` decides
                    };
                    let Access::KeyPoints(keys) = choose(&t, p, &env) else {
                        panic!("{p:?} with {params:?}: the rules make no point lookup");
                    };
                    assert_eq!(keys.len(), 1, "{p:?} {params:?}");
                    let mut by_rules = Vec::new();
                    put_row_prefix(&mut by_rules, t.id);
                    encode_key(&keys[0], &mut by_rules);
                    assert_eq!(fast, by_rules, "{p:?} {params:?}");
                }
            }
        }
        assert!(primary_key_equalities(&t, &predicates[0]).is_some());
        assert!(primary_key_equalities(&t, &predicates[2]).is_none());
        assert!(primary_key_equalities(&t, &predicates[3]).is_none());
    }
}
