//! `SELECT DISTINCT ON (exprs) ...`: the first row of each set of rows that agree on the
//! expressions, first in ORDER BY order.
//!
//! As in PostgreSQL, the expressions are resolved as ORDER BY items are (an output
//! column's position or name, else an expression over the input), and the ORDER BY
//! must start with all of them, in any order, before any other item (42P10 otherwise):
//! then sorting brings the rows of each set together, and the first of them is the one
//! the rest of the ORDER BY puts first. Those the ORDER BY leaves out are sorted by
//! after it, ascending, so that without ORDER BY the rows come sorted by the
//! expressions, as PostgreSQL's sort-based DISTINCT ON returns them.

use sqlparser::ast;

use super::{grouping, position, Aggregation, Planner, PostSelect, Scope};
use crate::error::{Error, Result};
use crate::plan::SortKey;

impl Planner<'_, '_> {
    /// Resolves the DISTINCT ON expressions to columns of `post`'s rows (adding hidden
    /// ones for expressions the select list does not compute), checks the ORDER BY
    /// against them, and extends its sort keys with those it leaves out.
    pub(super) fn distinct_on(
        &mut self,
        on: &[ast::Expr],
        scope: &Scope,
        aggregation: &mut Aggregation,
        post: &mut PostSelect,
    ) -> Result<Vec<usize>> {
        let mut columns = Vec::with_capacity(on.len());
        for e in on {
            let visible = &post.exprs[..post.visible];
            let at = position(e, "DISTINCT ON", visible.len())?;
            let column = match at.map_or_else(
                || self.order_column(e, visible, &post.names),
                |c| Ok(Some(c)),
            )? {
                Some(c) => c,
                None => {
                    let compiled = self.expr(e, scope, Some(aggregation))?;
                    match grouping::key_position(&compiled, &post.exprs)? {
                        Some(c) => c,
                        None => {
                            post.exprs.push(compiled);
                            post.exprs.len() - 1
                        }
                    }
                }
            };
            columns.push(column);
        }
        let mut seen = Vec::new();
        for key in &post.keys {
            if columns.contains(&key.column) {
                if !seen.contains(&key.column) {
                    seen.push(key.column);
                }
            } else if seen.len() < distinct_count(&columns) {
                return Err(Error::InvalidColumnReference(
                    "SELECT DISTINCT ON expressions must match initial ORDER BY expressions".into(),
                ));
            } else {
                break;
            }
        }
        let start = post.keys.iter().take_while(|k| columns.contains(&k.column));
        let sorted: Vec<usize> = start.map(|k| k.column).collect();
        let missing = columns.iter().filter(|c| !sorted.contains(c));
        let mut extra: Vec<SortKey> = Vec::new();
        for &column in missing {
            if !extra.iter().any(|k| k.column == column) {
                extra.push(SortKey {
                    column,
                    descending: false,
                    nulls_first: false,
                });
            }
        }
        let at = sorted.len();
        post.keys.splice(at..at, extra);
        Ok(columns)
    }
}

/// How many different columns `columns` names.
fn distinct_count(columns: &[usize]) -> usize {
    let mut unique = columns.to_vec();
    unique.sort_unstable();
    unique.dedup();
    unique.len()
}
