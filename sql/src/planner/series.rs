//! A function call in FROM (`generate_series(1, 3) AS g`): its arguments compiled, its
//! column named as PostgreSQL names it, and whether it reads the FROM items before it
//! ([`Lateral`]). What the call does: [`crate::series`].
//!
//! A call in a select list ([`SelectListSeries`]) is planned as one in FROM too: a
//! lateral function scan after all the FROM items, whose column stands in for the call,
//! so each row of the query gives one row per value of its series (PostgreSQL's
//! behaviour for one such call).

use sqlparser::ast;

use crate::error::{Error, Result};
use crate::expression::Expr;
use crate::plan::{JoinKind, Plan};
use crate::series::{SeriesCall, NAME};

use super::window::Windows;
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

/// Where a `generate_series` call in an expression may be: in the items of a select
/// list, once, or nowhere (with where, for PostgreSQL's message).
#[derive(Debug)]
pub(super) enum SelectListSeries {
    /// Not in a select list's items: the clause (`ORDER BY`) if the message should name
    /// one that window functions being allowed does not tell.
    Refused(Option<&'static str>),
    /// In the items of a select list whose FROM items give `width` columns, the call's
    /// value column coming after them; `call` is the call found, once its arguments are
    /// planned, `taken` is set from when it is found.
    Open {
        width: usize,
        taken: bool,
        call: Option<Box<Plan>>,
    },
}

impl Planner<'_, '_> {
    /// Runs `f` with `generate_series` calls in expressions allowed or refused as
    /// `state` says, and returns what became of it (the call found in a select list).
    pub(super) fn with_series<T>(
        &mut self,
        state: SelectListSeries,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> (Result<T>, SelectListSeries) {
        let saved = std::mem::replace(&mut self.series, state);
        let done = f(self);
        (done, std::mem::replace(&mut self.series, saved))
    }

    /// Compiles a `generate_series` call in an expression over the FROM items' `scope`:
    /// in a select list's items, the column of a lateral function scan that
    /// [`multiply`] adds after them; elsewhere PostgreSQL's 0A000.
    pub(super) fn series_in_expression(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
    ) -> Result<Expr> {
        let width = match (&self.series, &self.windows) {
            (SelectListSeries::Open { taken: true, .. }, _) => {
                return Err(unsupported(format!(
                    "more than one {NAME} call in a select list, or one in another's \
                     arguments (PostgreSQL runs them side by side or in turn)"
                )));
            }
            (SelectListSeries::Open { width, .. }, Windows::Allowed { .. }) => *width,
            (_, Windows::Forbidden(clause)) if *clause != "here" => {
                return Err(refused_in(clause));
            }
            (SelectListSeries::Refused(Some(clause)), _) => {
                return Err(Error::FeatureNotSupported(format!(
                    "set-returning functions are not allowed in {clause}"
                )));
            }
            _ => {
                return Err(unsupported(format!(
                    "{NAME} here (a set-returning function is supported in FROM and in the \
                     items of a select list only)"
                )))
            }
        };
        if let SelectListSeries::Open { taken, .. } = &mut self.series {
            *taken = true;
        }
        let args = match &f.args {
            ast::FunctionArguments::List(l)
                if l.duplicate_treatment.is_none() && l.clauses.is_empty() =>
            {
                &l.args[..]
            }
            ast::FunctionArguments::None => &[][..],
            _ => return Err(unsupported(format!("{NAME} with these arguments"))),
        };
        if f.filter.is_some() || f.null_treatment.is_some() {
            return Err(Error::WrongObjectType(format!(
                "FILTER or IGNORE/RESPECT NULLS specified, but {NAME} is not an aggregate \
                 or window function"
            )));
        }
        let item = FunctionItem {
            name: &f.name,
            args,
            alias: None,
            with_ordinality: false,
        };
        let lateral = match scope.len() {
            0 => Lateral::None,
            _ => Lateral::Allowed(scope),
        };
        let (plan, _) = self.function_item(item, lateral).map_err(|e| match e {
            Error::Grouping(_) => unsupported(format!(
                "aggregate functions in the arguments of {NAME} in a select list"
            )),
            e => e,
        })?;
        if let SelectListSeries::Open { call, .. } = &mut self.series {
            *call = Some(Box::new(plan));
        }
        Ok(Expr::Column(width))
    }

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

/// `plan`, the rows of a select's FROM items (`width` columns, after WHERE),
/// multiplied by the `generate_series` call found in its select list: each row once
/// per value of the call's series, the value after its columns. `bare` says that
/// the select has no FROM and no WHERE, so its one row need not be read.
pub(super) fn multiply(plan: Plan, call: Plan, width: usize, bare: bool) -> Plan {
    if bare {
        return call;
    }
    Plan::Join {
        left: Box::new(plan),
        right: Box::new(call),
        kind: JoinKind::Inner,
        on: None,
        left_width: width,
        right_width: 1,
    }
}

/// PostgreSQL's 0A000 for a `generate_series` call where window functions are refused
/// too, in `clause` as [`Windows::Forbidden`] names it.
fn refused_in(clause: &str) -> Error {
    Error::FeatureNotSupported(match clause {
        "aggregate" | "window function" => {
            format!("{clause} function calls cannot contain set-returning function calls")
        }
        "in functions in FROM" => "set-returning functions must appear at top level of FROM".into(),
        clause => format!("set-returning functions are not allowed {clause}"),
    })
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
