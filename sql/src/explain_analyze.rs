//! `EXPLAIN ANALYZE statement`: runs the statement, a write included (its changes are
//! made, as in PostgreSQL: wrap it in BEGIN ... ROLLBACK to look without changing), and
//! prints the plan plain `EXPLAIN` prints with what the run measured.
//!
//! The executor materialises each plan node's rows ([`crate::executor::run`]), so it
//! counts them per node at no cost worth naming, and each node of a query's plan gets
//! PostgreSQL's `(actual rows=N loops=M)` as `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)`
//! prints it: rows per loop, rounded, and how many times the node ran (a correlated
//! subquery's plan runs once per outer row). A node the executor ran inside another
//! (a locking scan runs inside its projection) has its parent's count. Per-node times
//! are not measured; the last lines are `Planning Time` and `Execution Time` of the
//! whole statement, in milliseconds.
//!
//! An INSERT, UPDATE or DELETE runs as it would outside EXPLAIN, not through the plan
//! printed (planned again for the run); its top node shows what PostgreSQL's shows, the
//! rows it returned (0 without RETURNING), and the nodes under it no count.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use sqlparser::ast;

use crate::dml;
use crate::error::{Error, Result};
use crate::executor;
use crate::plan::Plan;
use crate::planner::Planner;
use crate::session::QueryResult;
use crate::types::Value;

/// The rows each plan node returned and how many times it ran, by the node's address
/// (a plan does not move while it runs).
#[derive(Default)]
pub(crate) struct PlanCounts {
    nodes: RefCell<HashMap<usize, (usize, usize)>>,
}

impl PlanCounts {
    fn key(plan: &Plan) -> usize {
        plan as *const Plan as usize
    }

    /// Notes one run of `plan` that returned `rows` rows.
    pub(crate) fn record(&self, plan: &Plan, rows: usize) {
        let mut nodes = self.nodes.borrow_mut();
        let (total, loops) = nodes.entry(Self::key(plan)).or_default();
        *total += rows;
        *loops += 1;
    }

    /// `(actual rows=N loops=M)` for a node that ran, None for one not counted.
    pub(crate) fn actual(&self, plan: &Plan) -> Option<String> {
        let (rows, loops) = *self.nodes.borrow().get(&Self::key(plan))?;
        let per_loop = rows as f64 / loops as f64;
        Some(format!("(actual rows={per_loop:.0} loops={loops})"))
    }
}

/// Runs `stmt` and returns its EXPLAIN ANALYZE lines as a result of one column.
pub(crate) fn explain_analyze(
    p: &mut Planner<'_, '_>,
    stmt: &ast::Statement,
) -> Result<QueryResult> {
    if let Some(name) = dml::writes(stmt) {
        dml::check_writable(p.env, name)?;
    }
    let counts = PlanCounts::default();
    let env = p.env.counting(&counts);
    let started = Instant::now();
    p.explain = true;
    let (mut lines, planning, execution) = match stmt {
        ast::Statement::Query(q) if dml::change_under_with(q).is_none() => {
            let planned = p.query(q)?;
            let planning = started.elapsed();
            let began = Instant::now();
            executor::run(&planned.plan, &env)?;
            let execution = began.elapsed();
            let mut lines = Vec::new();
            planned.plan.explain_counted(&mut lines, 0, Some(&counts));
            (lines, planning, execution)
        }
        change => {
            let mut lines = match change {
                ast::Statement::Query(q) => {
                    let change = dml::change_under_with(q).unwrap_or(change);
                    p.with(q.with.as_ref(), |p| dml::explain(p, change))?
                }
                other => dml::explain(p, other)?,
            };
            let planning = started.elapsed();
            let began = Instant::now();
            let returned = run_change(&mut Planner::new(&env, p.catalog), change)?;
            let execution = began.elapsed();
            if let Some(top) = lines.first_mut() {
                top.push_str(&format!(" (actual rows={returned} loops=1)"));
            }
            (lines, planning, execution)
        }
    };
    lines.push(format!("Planning Time: {} ms", millis(planning)));
    lines.push(format!("Execution Time: {} ms", millis(execution)));
    Ok(QueryResult {
        columns: ["QUERY PLAN".to_string()].into(),
        tag: format!("EXPLAIN {}", lines.len()),
        rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
        notices: Vec::new(),
    })
}

/// Runs an INSERT, UPDATE or DELETE (under `WITH` too) and returns how many rows it
/// returned (its RETURNING rows).
fn run_change(p: &mut Planner<'_, '_>, stmt: &ast::Statement) -> Result<usize> {
    let result = match stmt {
        ast::Statement::Query(q) => match dml::change_under_with(q) {
            Some(change) => return p.with(q.with.as_ref(), |p| run_change(p, change)),
            None => return Err(unsupported()),
        },
        ast::Statement::Insert(i) => dml::insert(p, i)?,
        ast::Statement::Update(u) => dml::update(p, u)?,
        ast::Statement::Delete(d) => dml::delete(p, d)?,
        _ => return Err(unsupported()),
    };
    Ok(result.rows.len())
}

fn unsupported() -> Error {
    Error::FeatureNotSupported("EXPLAIN ANALYZE of this statement".into())
}

/// A duration in milliseconds with three decimals, as PostgreSQL prints it.
fn millis(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}
