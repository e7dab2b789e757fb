//! A function call in FROM (`generate_series(1, 3) AS g`): its arguments compiled, its
//! column named as PostgreSQL names it, and whether it reads the FROM items before it
//! ([`Lateral`]). What the call does: [`crate::series`].

use sqlparser::ast;

use crate::error::{Error, Result};
use crate::expression::Expr;
use crate::plan::Plan;
use crate::series::{SeriesCall, NAME};

use super::{ident, object_name, rename_columns, unsupported, Planner, Scope};

/// A function call in FROM, as sqlparser gives it in either of its two forms.
pub(super) struct FunctionItem<'q> {
    pub name: &'q ast::ObjectName,
    pub args: &'q [ast::FunctionArg],
    pub alias: Option<&'q ast::TableAlias>,
    pub with_ordinality: bool,
}

/// What a function call in FROM may read of the FROM items before it (PostgreSQL reads a
/// function in FROM as `LATERAL`). The executor runs a call that reads them once per row
/// of those items, as the right side of their join, so it may only be that: after a
/// comma with no joins of its own, or in an inner or left join.
#[derive(Clone, Copy)]
pub(super) enum Lateral<'s> {
    /// The first item: there is nothing before it.
    None,
    /// The columns of the items before it, which its arguments may read.
    Allowed(&'s Scope),
    /// The columns of the items before it, which it may not read (a right or full
    /// join, or joins after it): only for the message.
    Refused(&'s Scope),
}

impl Planner<'_, '_> {
    /// Plans a function call in FROM.
    pub(super) fn function_item(
        &mut self,
        item: FunctionItem<'_>,
        lateral: Lateral<'_>,
    ) -> Result<(Plan, Scope)> {
        let name = object_name(item.name)?;
        if name != NAME {
            return Err(unsupported(format!("function {name} in FROM")));
        }
        let exprs = item
            .args
            .iter()
            .map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
                other => Err(unsupported(format!("argument {other} of {NAME}"))),
            })
            .collect::<Result<Vec<_>>>()?;
        if !(2..=3).contains(&exprs.len()) {
            return Err(Error::UndefinedFunction(format!(
                "function {NAME} with {} arguments does not exist",
                exprs.len()
            )));
        }
        let empty = Scope::default();
        let visible = match lateral {
            Lateral::Allowed(left) => left,
            Lateral::None | Lateral::Refused(_) => &empty,
        };
        let args = exprs
            .iter()
            .map(|e| {
                self.without_windows("in functions in FROM", |p| p.scalar(e, visible))
                    .map_err(|err| self.refused_lateral(err, e, lateral))
            })
            .collect::<Result<Vec<_>>>()?;
        let alias = item
            .alias
            .map_or_else(|| NAME.to_string(), |a| ident(&a.name));
        let mut scope = Scope::of_output(&output_columns(&alias, &item), &alias);
        if let Some(a) = item.alias {
            if a.columns.iter().any(|c| c.data_type.is_some()) {
                return Err(Error::SyntaxRule(
                    "a column definition list is only allowed for functions returning \"record\""
                        .into(),
                ));
            }
            rename_columns(&mut scope, &alias, &a.columns)?;
        }
        let call = SeriesCall {
            lateral: args.iter().any(reads_row),
            args,
            ordinality: item.with_ordinality,
        };
        Ok((Plan::FunctionScan { call, alias }, scope))
    }

    /// `err`, from compiling argument `e` where it may not read the items before it, or
    /// PostgreSQL's 42P10 if it compiles against their columns: it refers to one of them.
    fn refused_lateral(&mut self, err: Error, e: &ast::Expr, lateral: Lateral<'_>) -> Error {
        let Lateral::Refused(left) = lateral else {
            return err;
        };
        if matches!(err, Error::UndefinedColumn(_) | Error::MissingFromEntry(_))
            && self.scalar(e, left).is_ok()
        {
            return Error::InvalidColumnReference(format!(
                "invalid reference to an earlier FROM item in {NAME}'s argument {e}: \
                 a function reading the items before it must be the right side of an \
                 INNER or LEFT join to them"
            ));
        }
        err
    }
}

/// True if `e` may read the row it is evaluated on: a column, or a subquery (which
/// may be correlated with it; counting every one keeps the test simple and the rows
/// right).
fn reads_row(e: &Expr) -> bool {
    let mut reads = false;
    e.walk(&mut |e| {
        reads |= matches!(
            e,
            Expr::Column(_)
                | Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::InSubquery { .. }
                | Expr::Quantified { .. }
        );
    });
    reads
}

/// The names of a call's columns before an alias's column list renames them: the
/// function's own name, or the alias (a function of one column names it after its
/// alias, as in PostgreSQL), then `ordinality` for `WITH ORDINALITY`.
fn output_columns(alias: &str, item: &FunctionItem<'_>) -> Vec<String> {
    let mut columns = vec![alias.to_string()];
    if item.with_ordinality {
        columns.push("ordinality".to_string());
    }
    columns
}
