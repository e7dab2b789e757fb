//! Planning `WITH RECURSIVE` queries ([`crate::recursive`] runs them) and the rules
//! PostgreSQL sets on where the recursive reference may be (42P19): exactly once, in
//! the recursive term, not inside a subquery in an expression, not on the side of an
//! outer join that gets NULLs, not inside INTERSECT ALL or EXCEPT (right of it, or
//! either side of EXCEPT ALL), and no aggregates in that term. A subquery in FROM may
//! hold the reference. A query of a `WITH RECURSIVE` clause that does not refer to
//! itself is an ordinary `WITH` query; one that does but is not `non-recursive-term
//! UNION [ALL] recursive-term` is 42P19. The queries of the clause are planned in
//! order, so one refers only to those before it (PostgreSQL allows later ones too).

use std::sync::Arc;

use sqlparser::ast;

use super::{unsupported, Cte, CteSource, Planner};
use crate::error::{Error, Result};
use crate::plan::{Plan, SharedCte, WorkingTable};

impl Planner<'_, '_> {
    /// Plans a query of a `WITH RECURSIVE` clause, called `name`.
    pub(super) fn recursive_cte(&mut self, cte: &ast::Cte, name: String) -> Result<Cte> {
        let q = &cte.query;
        let ast::SetExpr::SetOperation {
            op: ast::SetOperator::Union,
            set_quantifier,
            left,
            right,
        } = q.body.as_ref()
        else {
            let message = "does not have the form non-recursive-term UNION [ALL] recursive-term";
            self.push_placeholder(cte, &name, CteSource::Forbidden(message));
            return self.plain_cte(cte, name);
        };
        let all = match set_quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            other => return Err(unsupported(format!("UNION {other}"))),
        };
        let outside = self.ctes.len();
        let before = self.outer_refs;
        let non_recursive = "must not appear within its non-recursive term";
        self.push_placeholder(cte, &name, CteSource::Forbidden(non_recursive));
        let terms = self.nested(|p| {
            p.with(q.with.as_ref(), |p| {
                let initial = p.set_expr(left)?;
                if cte.alias.columns.len() > initial.columns.len() {
                    return Err(Error::InvalidColumnReference(format!(
                        "WITH query \"{name}\" has {} columns available but {} columns specified",
                        initial.columns.len(),
                        cte.alias.columns.len()
                    )));
                }
                let working = Arc::new(WorkingTable::default());
                p.ctes[outside].source = CteSource::Working(working.clone(), 0);
                p.ctes[outside].output = initial.columns.clone();
                let recursive = p.set_expr(right)?;
                if recursive.columns.len() != initial.columns.len() {
                    return Err(Error::SyntaxRule(
                        "each UNION query must have the same number of columns".into(),
                    ));
                }
                let references = match p.ctes[outside].source {
                    CteSource::Working(_, n) => n,
                    _ => 0,
                };
                Ok((initial, recursive, working, references))
            })
        })?;
        let (initial, recursive, working, references) = terms;
        self.ctes.truncate(outside);
        if references == 0 {
            return self.plain_cte(cte, name);
        }
        refuse_clauses(q)?;
        if aggregates(&recursive.plan) {
            return Err(Error::RecursiveQuery(
                "aggregate functions are not allowed in a recursive query's recursive term".into(),
            ));
        }
        if let Some(r) = &mut self.recorder {
            r.uncacheable();
        }
        let plan = Plan::RecursiveUnion {
            name: name.clone(),
            all,
            initial: Box::new(initial.plan),
            recursive: Box::new(recursive.plan),
            working,
        };
        let correlated = self.outer_refs > before;
        Ok(Cte {
            name,
            columns: cte.alias.columns.clone(),
            depth: self.outer.len(),
            source: CteSource::Shared(Arc::new(SharedCte::new(plan, correlated))),
            output: initial.columns,
        })
    }

    /// Puts `name` in scope while its own query is planned, its columns not yet known.
    fn push_placeholder(&mut self, cte: &ast::Cte, name: &str, source: CteSource) {
        self.ctes.push(Cte {
            name: name.to_owned(),
            columns: cte.alias.columns.clone(),
            depth: self.outer.len(),
            source,
            output: Arc::from(Vec::new()),
        });
    }

    /// The plan reading the `WITH` query `self.ctes[i]` at a reference to it (named
    /// `alias` if given), or the error of a reference where it may not be.
    pub(super) fn cte_reference(
        &mut self,
        i: usize,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Plan> {
        let in_subquery = self.outer.len() > self.ctes[i].depth;
        let name = alias.map_or(self.ctes[i].name.clone(), |a| super::ident(&a.name));
        let cte = &mut self.ctes[i];
        match &mut cte.source {
            // From inside a subquery, which has more enclosing rows, the plan of one
            // that refers to an enclosing row would read the wrong one.
            CteSource::Shared(shared) if shared.correlated && in_subquery => Err(unsupported(
                "a WITH query that refers to an enclosing query, used inside a subquery",
            )),
            CteSource::Shared(shared) => Ok(Plan::CteScan {
                name,
                cte: shared.clone(),
            }),
            CteSource::Forbidden(message) => Err(recursive_error(&cte.name, message)),
            CteSource::Working(_, _) if in_subquery => Err(recursive_error(
                &cte.name,
                "must not appear within a subquery",
            )),
            CteSource::Working(table, references) => {
                *references += 1;
                if *references > 1 {
                    return Err(recursive_error(&cte.name, "must not appear more than once"));
                }
                let table = table.clone();
                self.recursive_refs += 1;
                Ok(Plan::WorkingTableScan { name, table })
            }
        }
    }

    /// 42P19 for a recursive reference `place` (the query is the innermost one whose
    /// working table is in scope).
    pub(super) fn misplaced_recursive_reference(&self, place: &str) -> Error {
        let name = self
            .ctes
            .iter()
            .rev()
            .find(|c| matches!(c.source, CteSource::Working(..)))
            .map_or("", |c| c.name.as_str());
        Error::RecursiveQuery(format!(
            "recursive reference to query \"{name}\" must not appear {place}"
        ))
    }
}

fn recursive_error(name: &str, message: &str) -> Error {
    if message.starts_with("does not") {
        Error::RecursiveQuery(format!("recursive query \"{name}\" {message}"))
    } else {
        Error::RecursiveQuery(format!("recursive reference to query \"{name}\" {message}"))
    }
}

/// 0A000 for the clauses PostgreSQL does not implement on a recursive query.
fn refuse_clauses(q: &ast::Query) -> Result<()> {
    let clause = if q.order_by.is_some() {
        "ORDER BY"
    } else if q.fetch.is_some() {
        "LIMIT"
    } else if let Some(l) = &q.limit_clause {
        match l {
            ast::LimitClause::LimitOffset {
                limit: None,
                offset: Some(_),
                ..
            } => "OFFSET",
            _ => "LIMIT",
        }
    } else if !q.locks.is_empty() {
        "FOR UPDATE/SHARE"
    } else {
        return Ok(());
    };
    Err(unsupported(format!("{clause} in a recursive query")))
}

/// True if the query `plan` computes aggregates at its own level (not in a subquery in
/// FROM).
fn aggregates(plan: &Plan) -> bool {
    match plan {
        Plan::Aggregate {
            source,
            aggregates: a,
            ..
        } => !a.is_empty() || aggregates(source),
        Plan::Filter { source, .. }
        | Plan::Project { source, .. }
        | Plan::Sort { source, .. }
        | Plan::Distinct { source }
        | Plan::Window { source, .. }
        | Plan::DistinctOn { source, .. }
        | Plan::Limit { source, .. } => aggregates(source),
        Plan::Join { left, right, .. } | Plan::SetOperation { left, right, .. } => {
            aggregates(left) || aggregates(right)
        }
        _ => false,
    }
}
