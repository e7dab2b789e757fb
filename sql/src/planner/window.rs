//! Planning window function calls ([`crate::window`]): allowed in the select list and
//! ORDER BY of a query (on its groups if it groups); 42P20 naming the clause
//! anywhere else, as PostgreSQL words it (in the clauses of UPDATE, DELETE and INSERT
//! ... VALUES the message says "here" where PostgreSQL names the statement).

use sqlparser::ast;

use super::{
    columns, is_aggregate_name, object_name, sort_key, typing, unsupported, Aggregation, Planner,
    Scope,
};
use crate::error::{Error, Result};
use crate::expression::Expr;
use crate::plan::{Aggregate, AggregateFunction};
use crate::types::{DataType, Value};
use crate::window::{WindowCall, WindowFunction};

/// Where the window values of a query that groups are first planned to be: far enough
/// after the input row that no aggregate's column is taken for one; the query is then
/// planned again knowing the number of aggregates (see `Planner::plan_select`).
pub(super) const UNKNOWN_OFFSET: usize = 1 << 20;

/// Where window functions may appear in what is being planned.
#[derive(Debug)]
pub(super) enum Windows {
    /// In the select list or ORDER BY: the calls found so far, whose values are read
    /// from the columns after the input row's, starting `offset` columns after it.
    Allowed {
        calls: Vec<WindowCall>,
        offset: usize,
    },
    /// Anywhere else: where, for the message (`in WHERE`, `in JOIN conditions`, `here`;
    /// `aggregate` and `window function` for their arguments).
    Forbidden(&'static str),
}

impl Planner<'_, '_> {
    /// Runs `f` with window functions refused, in `clause`.
    pub(super) fn without_windows<T>(
        &mut self,
        clause: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let saved = std::mem::replace(&mut self.windows, Windows::Forbidden(clause));
        let done = f(self);
        self.windows = saved;
        done
    }

    /// Runs `f` (the planning of a select list and ORDER BY) with window functions
    /// allowed, their values `offset` columns after the input row's, and returns the
    /// calls it found.
    pub(super) fn with_windows<T>(
        &mut self,
        offset: usize,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<(T, Vec<WindowCall>)> {
        let allowed = Windows::Allowed {
            calls: Vec::new(),
            offset,
        };
        let saved = std::mem::replace(&mut self.windows, allowed);
        let done = f(self);
        let found = std::mem::replace(&mut self.windows, saved);
        let calls = match found {
            Windows::Allowed { calls, .. } => calls,
            Windows::Forbidden(_) => Vec::new(),
        };
        Ok((done?, calls))
    }

    /// Plans `name(args) OVER (...)`: an [`Expr::Column`] after the input row's columns,
    /// where the window node puts the call's value.
    pub(super) fn window_call(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let name = object_name(&f.name)?;
        if let Windows::Forbidden(clause) = self.windows {
            return Err(match clause {
                "aggregate" => Error::Grouping(
                    "aggregate function calls cannot contain window function calls".into(),
                ),
                "window function" => {
                    Error::Windowing("window function calls cannot be nested".into())
                }
                clause => Error::Windowing(format!("window functions are not allowed {clause}")),
            });
        }
        let spec = match &f.over {
            Some(ast::WindowType::WindowSpec(spec)) if spec.window_name.is_none() => spec,
            _ => return Err(unsupported("named windows")),
        };
        if spec.window_frame.is_some() {
            return Err(unsupported("window frames (ROWS, RANGE, GROUPS)"));
        }
        if f.filter.is_some() {
            return Err(unsupported("FILTER in a window function"));
        }
        let args = window_args(f, &name)?;
        let function = self.without_windows("window function", |p| {
            p.window_function(&name, &args, scope, grouping.as_deref_mut())
        })?;
        let (partition_by, order_by, order) =
            self.without_windows("in window definitions", |p| {
                let mut partition_by = Vec::new();
                for e in &spec.partition_by {
                    partition_by.push(p.expr(e, scope, grouping.as_deref_mut())?);
                }
                let (mut order_by, mut order) = (Vec::new(), Vec::new());
                for (i, o) in spec.order_by.iter().enumerate() {
                    order_by.push(p.expr(&o.expr, scope, grouping.as_deref_mut())?);
                    order.push(sort_key(i, o));
                }
                Ok((partition_by, order_by, order))
            })?;
        let Windows::Allowed { calls, offset } = &mut self.windows else {
            return Err(Error::Windowing(
                "window functions are not allowed here".into(),
            ));
        };
        calls.push(WindowCall {
            function,
            partition_by,
            order_by,
            order,
        });
        Ok(Expr::Column(scope.len() + *offset + calls.len() - 1))
    }

    fn window_function(
        &mut self,
        name: &str,
        args: &[&ast::FunctionArgExpr],
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<WindowFunction> {
        let ranking = match name {
            "row_number" => Some(WindowFunction::RowNumber),
            "rank" => Some(WindowFunction::Rank),
            "dense_rank" => Some(WindowFunction::DenseRank),
            _ => None,
        };
        if let Some(ranking) = ranking {
            if !args.is_empty() {
                return Err(no_such_function(name, args.len()));
            }
            return Ok(ranking);
        }
        if let Some(function) = self.value_function(name, args, scope, grouping.as_deref_mut())? {
            return Ok(function);
        }
        let Some(function) = is_aggregate_name(name) else {
            return Err(Error::WrongObjectType(format!(
                "OVER specified, but {name} is not a window function nor an aggregate function"
            )));
        };
        let (function, arg) = match (function, args) {
            (AggregateFunction::Count, [ast::FunctionArgExpr::Wildcard]) => {
                (AggregateFunction::CountStar, None)
            }
            (AggregateFunction::StringAgg, _) => {
                return Err(unsupported("string_agg as a window function"))
            }
            (function, [ast::FunctionArgExpr::Expr(e)]) => {
                (function, Some(self.expr(e, scope, grouping)?))
            }
            _ => return Err(no_such_function(name, args.len())),
        };
        Ok(WindowFunction::Aggregate(Aggregate {
            function,
            arg,
            delimiter: None,
            distinct: false,
            filter: None,
        }))
    }
}

impl Planner<'_, '_> {
    /// Plans `lag`, `lead`, `first_value`, `last_value`, `nth_value` and `ntile`; None
    /// for another name. Their counts and offsets must be integers, and their arguments
    /// as many as they take (42883 naming the argument types otherwise, as PostgreSQL
    /// finds no such function; `unknown` where planning cannot tell); `lag`'s and
    /// `lead`'s default is cast to the value's number type or the value to its.
    fn value_function(
        &mut self,
        name: &str,
        args: &[&ast::FunctionArgExpr],
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Option<WindowFunction>> {
        let arity = match name {
            "lag" | "lead" => 1..=3,
            "first_value" | "last_value" | "ntile" => 1..=1,
            "nth_value" => 2..=2,
            _ => return Ok(None),
        };
        let mut compiled = Vec::with_capacity(args.len());
        for a in args {
            let ast::FunctionArgExpr::Expr(e) = a else {
                return Err(no_such_function(name, args.len()));
            };
            compiled.push(self.expr(e, scope, grouping.as_deref_mut())?);
        }
        let columns = columns(scope, grouping.as_deref());
        // The arguments that are counts: all but the first, except `lag`'s default.
        let counts = match name {
            "ntile" => 0..1.min(compiled.len()),
            "lag" | "lead" | "nth_value" => 1..2.min(compiled.len()),
            _ => 0..0,
        };
        let wrong = !arity.contains(&args.len())
            || compiled.get(counts).unwrap_or(&[]).iter().any(
                |e| matches!(typing::type_in(columns, e), Some(ty) if ty != DataType::Integer),
            );
        if wrong {
            let types: Vec<String> = compiled
                .iter()
                .map(|e| typing::type_in(columns, e).map_or("unknown".into(), |t| t.to_string()))
                .collect();
            return Err(Error::UndefinedFunction(format!(
                "function {name}({}) does not exist",
                types.join(", ")
            )));
        }
        if let [value, _, default] = &mut compiled[..] {
            typing::unify_numbers(columns, &mut [value, default])?;
        }
        let mut compiled = compiled.into_iter();
        let mut next = || compiled.next().unwrap_or(Expr::Const(Value::Null));
        Ok(Some(match name {
            "lag" | "lead" => {
                let value = next();
                let offset = (args.len() > 1).then(&mut next);
                let default = (args.len() > 2).then(&mut next);
                WindowFunction::Offset {
                    value,
                    offset,
                    default,
                    forward: name == "lead",
                }
            }
            "first_value" => WindowFunction::FirstValue(next()),
            "last_value" => WindowFunction::LastValue(next()),
            "nth_value" => {
                let value = next();
                WindowFunction::NthValue(value, next())
            }
            _ => WindowFunction::Ntile(next()),
        }))
    }
}

/// The arguments of a window function call: unnamed, without DISTINCT or ORDER BY.
fn window_args<'f>(f: &'f ast::Function, name: &str) -> Result<Vec<&'f ast::FunctionArgExpr>> {
    match &f.args {
        ast::FunctionArguments::None => Ok(Vec::new()),
        ast::FunctionArguments::List(l) => {
            if matches!(
                l.duplicate_treatment,
                Some(ast::DuplicateTreatment::Distinct)
            ) {
                return Err(unsupported("DISTINCT in a window function"));
            }
            if !l.clauses.is_empty() {
                return Err(unsupported(format!("clauses in {name}()")));
            }
            l.args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(a) => Ok(a),
                    other => Err(unsupported(format!("argument {other}"))),
                })
                .collect()
        }
        ast::FunctionArguments::Subquery(_) => Err(unsupported("subquery as function argument")),
    }
}

fn no_such_function(name: &str, args: usize) -> Error {
    Error::UndefinedFunction(format!(
        "function {name} with {args} arguments does not exist"
    ))
}
