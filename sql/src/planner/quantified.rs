//! Quantified comparisons with a subquery: `x op ANY (SELECT ...)`, its synonym `SOME`,
//! and `x op ALL (SELECT ...)`, for the six comparison operators.
//!
//! The right side must be a subquery of one column, as in PostgreSQL (42601 otherwise).
//! `op ANY (ARRAY[...])` and the other array forms need arrays, which isolde does not
//! have (0A000). Evaluation is [`crate::expression::quantified`].

use sqlparser::ast;

use super::{binary_op, grouping::Aggregation, unsupported, Planner, Scope};
use crate::error::{Error, Result};
use crate::expression::Expr;

impl Planner<'_, '_> {
    /// Plans `left op ANY (right)` or, with `all`, `left op ALL (right)`.
    pub(super) fn quantified(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        all: bool,
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let quantifier = if all { "ALL" } else { "ANY" };
        let op = binary_op(op).ok().filter(|op| op.is_comparison());
        let (Some(op), ast::Expr::Subquery(query)) = (op, right) else {
            return Err(unsupported(format!(
                "{quantifier} over anything but a subquery with =, <>, <, <=, > or >="
            )));
        };
        let x = self.expr(left, scope, grouping.as_deref_mut())?;
        let (subquery, width) = self.subquery(query, scope, grouping)?;
        if width != 1 {
            return Err(Error::SyntaxRule("subquery has too many columns".into()));
        }
        Ok(Expr::Quantified {
            expr: Box::new(x),
            op,
            all,
            subquery,
        })
    }
}
