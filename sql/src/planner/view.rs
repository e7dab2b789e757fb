//! A view named in FROM: its query planned as a subquery under the view's column names.
//!
//! The query is planned as if it stood alone: the `WITH` queries and enclosing rows of
//! the statement that names the view are out of its sight (a view's `FROM t` means the
//! table `t`, whatever the statement calls `t`). Its definition read is recorded for a
//! cached plan like a table's, and so are the reads its query makes, so a plan that read
//! a view is planned again when the view or anything under it changes.

use std::sync::Arc;

use sqlparser::ast;

use isolde_txn::LockMode;

use crate::catalog::Table;
use crate::encoding::table_def_key;
use crate::error::{Error, Result};
use crate::expression::Expr;
use crate::plan::{AggregateFunction, Plan};
use crate::types::DataType;
use crate::view::{is_view, View};
use crate::window::WindowFunction;

use super::typing::type_of;
use super::{derived, ident, object_name, Planned, Planner, Scope};

/// What a name in FROM stands for.
pub(super) enum Relation {
    Table(Arc<Table>),
    /// A view, planned: the plan of its rows and their scope.
    View(Box<(Plan, Scope)>),
}

/// The error of a statement that wants table `name` (writing its rows with a `Shared`
/// lock, changing it with `Exclusive`, or reading it as a table) and finds a view.
pub(super) fn not_a_table(name: &str, lock: Option<LockMode>) -> Error {
    match lock {
        Some(LockMode::Shared) => {
            Error::FeatureNotSupported(format!("changing the rows of view \"{name}\""))
        }
        _ => Error::WrongObjectType(format!("\"{name}\" is not a table")),
    }
}

impl Planner<'_, '_> {
    /// The table or view named `name` in FROM, or 42P01.
    pub(super) fn relation(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Relation> {
        let name = object_name(name)?;
        let key = table_def_key(&name);
        let bytes = self.catalog.read_definition(&self.env.txn.borrow(), &key)?;
        if let Some(r) = &mut self.recorder {
            r.read(&name, key, None, bytes.clone());
        }
        match bytes {
            Some(b) if is_view(&b) => {
                let planned = self.expand(&View::decode(&b)?, alias)?;
                Ok(Relation::View(Box::new(planned)))
            }
            b => match self.catalog.decode(&name, b)? {
                Some(table) => Ok(Relation::Table(table)),
                None => Err(Error::UndefinedTable(name)),
            },
        }
    }

    fn expand(&mut self, view: &View, alias: Option<&ast::TableAlias>) -> Result<(Plan, Scope)> {
        let query = view.parse_query()?;
        if let Some(r) = &mut self.recorder {
            r.in_view(true);
        }
        let ctes = std::mem::take(&mut self.ctes);
        let outer = std::mem::take(&mut self.outer);
        let planned = self.nested(|p| p.query(&query));
        self.ctes = ctes;
        self.outer = outer;
        if let Some(r) = &mut self.recorder {
            r.in_view(false);
        }
        let planned = planned?;
        let n = view.columns.len();
        let plan = match planned.columns.len() {
            m if m < n => {
                return Err(Error::InvalidTableDefinition(format!(
                    "view \"{}\" has {n} columns but its query now gives {m}: a column under it was dropped",
                    view.name
                )))
            }
            m if m > n => Plan::Project {
                source: Box::new(planned.plan),
                exprs: (0..n).map(Expr::Column).collect(),
            },
            _ => planned.plan,
        };
        let planned = Planned {
            plan,
            columns: view.columns.iter().cloned().collect(),
        };
        let name = alias.map_or_else(|| view.name.clone(), |a| ident(&a.name));
        derived(planned, name, alias.map(|a| &a.columns[..]))
    }
}

/// The types of a plan's output columns where planning can tell them (for `\d` of a
/// view); None when not even the number of columns is known here.
pub(crate) fn output_types(plan: &Plan) -> Option<Vec<Option<DataType>>> {
    let over = |source: &Plan, exprs: &[Expr]| {
        let types = output_types(source)?;
        let scope = Scope {
            columns: vec![(None, String::new()); types.len()],
            hidden: vec![false; types.len()],
            types,
        };
        Some(exprs.iter().map(|e| type_of(&scope, e)).collect())
    };
    match plan {
        Plan::Values { rows } => {
            let scope = Scope::default();
            Some(rows.first()?.iter().map(|e| type_of(&scope, e)).collect())
        }
        Plan::Scan { table, .. } => Some(table.columns.iter().map(|c| Some(c.ty)).collect()),
        Plan::CteScan { .. } | Plan::WorkingTableScan { .. } | Plan::FunctionScan { .. } => None,
        Plan::RecursiveUnion { initial, .. } => output_types(initial),
        Plan::Derived { source, .. }
        | Plan::Filter { source, .. }
        | Plan::Sort { source, .. }
        | Plan::Distinct { source }
        | Plan::DistinctOn { source, .. }
        | Plan::Limit { source, .. } => output_types(source),
        // The source's columns, then one per call: the ranking functions and `ntile`
        // count rows; an aggregate's type is left open, as for `Plan::Aggregate`'s
        // sums, and so is that of the functions that read another row's value.
        Plan::Window { source, calls } => {
            let mut types = output_types(source)?;
            types.extend(calls.iter().map(|c| match c.function {
                WindowFunction::RowNumber
                | WindowFunction::Rank
                | WindowFunction::DenseRank
                | WindowFunction::Ntile(_) => Some(DataType::Integer),
                _ => None,
            }));
            Some(types)
        }
        Plan::SetOperation { left, .. } => output_types(left),
        Plan::Project { source, exprs } => over(source, exprs),
        Plan::Join { left, right, .. } => {
            let mut types = output_types(left)?;
            types.extend(output_types(right)?);
            Some(types)
        }
        Plan::Aggregate {
            source,
            group_by,
            aggregates,
            ..
        } => {
            let mut types = over(source, group_by)?;
            for a in aggregates {
                let arg = a
                    .arg
                    .as_ref()
                    .and_then(|e| over(source, std::slice::from_ref(e)));
                let arg = arg.and_then(|t| t.into_iter().next().flatten());
                types.push(match a.function {
                    AggregateFunction::CountStar | AggregateFunction::Count => {
                        Some(DataType::Integer)
                    }
                    AggregateFunction::Min | AggregateFunction::Max => arg,
                    AggregateFunction::StringAgg => Some(DataType::Text { max_len: None }),
                    AggregateFunction::BoolAnd | AggregateFunction::BoolOr => {
                        Some(DataType::Boolean)
                    }
                    AggregateFunction::Sum
                    | AggregateFunction::Avg
                    | AggregateFunction::Statistic(_) => None,
                });
            }
            Some(types)
        }
    }
}
