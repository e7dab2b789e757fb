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
//! those values written in as constants.

use std::cmp::Ordering;
use std::ops::Bound;

use crate::catalog::Table;
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

fn collect(e: &Expr, table: &Table, env: &Env<'_>, cols: &mut Bounds) {
    match e {
        Expr::Binary(BinaryOp::And, a, b) => {
            collect(a, table, env, cols);
            collect(b, table, env, cols);
        }
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

/// `v` in the column's type if the conversion is exact; None for NULL.
fn exact(v: &Value, ty: DataType) -> Option<Value> {
    if v.is_null() || (matches!(ty, DataType::Text { .. }) != matches!(v, Value::Text(_))) {
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
