//! Planning window function calls ([`crate::window`]): allowed in the select list and
//! ORDER BY of a query (on its groups if it groups); 42P20 naming the clause
//! anywhere else, as PostgreSQL words it (in the clauses of UPDATE, DELETE and INSERT
//! ... VALUES the message says "here" where PostgreSQL names the statement).
//!
//! A query's `WINDOW` clause names windows for its calls (`OVER w`), or for other
//! specifications to refine (`OVER (w ORDER BY x)`, `WINDOW w2 AS (w1 ...)`), by
//! PostgreSQL's rules: the refining one takes the named one's PARTITION BY and may not
//! write its own, takes its ORDER BY unless the named one has none, and writes its own
//! frame, which the named one must not have (`OVER w` may use a window with a frame).
//! The names are resolved on the syntax, before anything is planned: a window is the
//! specification it stands for ([`NamedWindow`]), planned at each call that uses it.

use std::rc::Rc;

use sqlparser::ast;

use super::{
    columns, ident, is_aggregate_name, object_name, sort_key, typing, unsupported, Aggregation,
    Enclosing, Planner, Scope,
};
use crate::error::{Error, Result};
use crate::expression::Expr;
use crate::plan::{Aggregate, AggregateFunction};
use crate::types::{DataType, Value};
use crate::window::frame::{Exclusion, Frame, FrameBound, FrameUnits};
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
        /// The windows the query's `WINDOW` clause names.
        named: Rc<[NamedWindow]>,
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
    /// allowed, their values `offset` columns after the input row's, over the windows
    /// `named`, and returns the calls it found.
    pub(super) fn with_windows<T>(
        &mut self,
        offset: usize,
        named: Rc<[NamedWindow]>,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<(T, Vec<WindowCall>)> {
        let allowed = Windows::Allowed {
            calls: Vec::new(),
            offset,
            named,
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
        let Windows::Allowed { named, .. } = &self.windows else {
            return Err(Error::Windowing(
                "window functions are not allowed here".into(),
            ));
        };
        let window = match &f.over {
            Some(ast::WindowType::WindowSpec(spec)) => NamedWindow::resolve(spec, named)?,
            Some(ast::WindowType::NamedWindow(name)) => find(named, &ident(name))?.clone(),
            None => return Err(unsupported("a window function without OVER")),
        };
        let (spec, exclusion) = (&window.spec, window.exclusion);
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
        let frame = match &spec.window_frame {
            None => Frame::default_frame(),
            Some(frame) => {
                let order_type = match order_by.as_slice() {
                    [e] => typing::type_in(columns(scope, grouping.as_deref()), e),
                    _ => None,
                };
                self.without_windows("in window definitions", |p| {
                    p.frame(frame, exclusion, order_by.len(), order_type, scope)
                })?
            }
        };
        let Windows::Allowed { calls, offset, .. } = &mut self.windows else {
            return Err(Error::Windowing(
                "window functions are not allowed here".into(),
            ));
        };
        calls.push(WindowCall {
            function,
            partition_by,
            order_by,
            order,
            frame,
        });
        Ok(Expr::Column(scope.len() + *offset + calls.len() - 1))
    }

    /// Plans the PARTITION BY and ORDER BY of each window the query's `WINDOW` clause
    /// names, as PostgreSQL checks them whether a call uses the window or not; the
    /// planned expressions are then checked against the groups, if the query groups.
    pub(super) fn named_window_exprs(
        &mut self,
        named: &[NamedWindow],
        scope: &Scope,
        grouping: &mut Aggregation,
    ) -> Result<Vec<Expr>> {
        self.without_windows("in window definitions", |p| {
            let specs = named.iter().map(|w| &w.spec);
            let order = specs
                .clone()
                .flat_map(|s| s.order_by.iter().map(|o| &o.expr));
            specs
                .flat_map(|s| &s.partition_by)
                .chain(order)
                .map(|e| p.expr(e, scope, Some(&mut *grouping)))
                .collect()
        })
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
            "percent_rank" => Some(WindowFunction::PercentRank),
            "cume_dist" => Some(WindowFunction::CumeDist),
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
            order: Vec::new(),
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

impl Planner<'_, '_> {
    /// Plans an explicit frame, after its syntax is checked: GROUPS needs an ORDER BY
    /// and RANGE with an offset exactly one (42P20); the offsets must not read the row
    /// (42P10) and must be bigints for ROWS and GROUPS (42804; other numbers are cast,
    /// as PostgreSQL's assignment casts do), and for RANGE of the ORDER BY column's type
    /// for numbers, intervals for dates, times and intervals (0A000 otherwise).
    fn frame(
        &mut self,
        frame: &ast::WindowFrame,
        exclusion: Exclusion,
        order_by: usize,
        order_type: Option<DataType>,
        scope: &Scope,
    ) -> Result<Frame> {
        let units = match frame.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        let end = frame
            .end_bound
            .clone()
            .unwrap_or(ast::WindowFrameBound::CurrentRow);
        let has_offset = [&frame.start_bound, &end].into_iter().any(|b| {
            matches!(
                b,
                ast::WindowFrameBound::Preceding(Some(_))
                    | ast::WindowFrameBound::Following(Some(_))
            )
        });
        if units == FrameUnits::Range && has_offset && order_by != 1 {
            return Err(Error::Windowing(
                "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column".into(),
            ));
        }
        if units == FrameUnits::Groups && order_by == 0 {
            return Err(Error::Windowing(
                "GROUPS mode requires an ORDER BY clause".into(),
            ));
        }
        let start = self.frame_bound(&frame.start_bound, units, order_type, scope)?;
        let end = self.frame_bound(&end, units, order_type, scope)?;
        Ok(Frame {
            units,
            start,
            end,
            exclusion,
        })
    }

    fn frame_bound(
        &mut self,
        bound: &ast::WindowFrameBound,
        units: FrameUnits,
        order_type: Option<DataType>,
        scope: &Scope,
    ) -> Result<FrameBound> {
        Ok(match bound {
            ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            ast::WindowFrameBound::Preceding(Some(e)) => {
                FrameBound::Preceding(self.frame_offset(e, units, order_type, scope)?)
            }
            ast::WindowFrameBound::Following(Some(e)) => {
                FrameBound::Following(self.frame_offset(e, units, order_type, scope)?)
            }
        })
    }

    /// Plans an offset: its type first, then that it reads no column, as PostgreSQL
    /// checks them.
    fn frame_offset(
        &mut self,
        e: &ast::Expr,
        units: FrameUnits,
        order_type: Option<DataType>,
        scope: &Scope,
    ) -> Result<Expr> {
        let target = match (units, order_type) {
            (FrameUnits::Range, Some(column)) => Some(range_offset_type(column)?),
            (FrameUnits::Range, None) => None,
            _ => Some(DataType::Integer),
        };
        if let Some(text) = quoted_offset(e) {
            let ty = target.unwrap_or(DataType::Interval);
            return Ok(Expr::Const(Value::Text(text.to_string()).cast(ty)?));
        }
        let offset = self.expr(e, scope, None).map_err(|err| match err {
            Error::Grouping(m) if m.starts_with("aggregate function") => Error::Grouping(format!(
                "aggregate functions are not allowed in window {}",
                units.name()
            )),
            err => err,
        })?;
        let (mut column, mut subquery) = (false, false);
        offset.walk(&mut |e| match e {
            Expr::Column(_) => column = true,
            Expr::Subquery(_)
            | Expr::Exists { .. }
            | Expr::InSubquery { .. }
            | Expr::Quantified { .. } => subquery = true,
            _ => {}
        });
        let reads_row = column || (subquery && self.reads_query_row(e, scope));
        let ty = typing::type_in(columns(scope, None), &offset);
        let offset = match (target, ty) {
            // A parameter: PostgreSQL gives it the offset's type, so its value is cast
            // to it (ROWS and GROUPS check theirs when the frame is resolved).
            (Some(target), None) if units == FrameUnits::Range => {
                Expr::Cast(Box::new(offset), target)
            }
            (None, _) | (_, None) => offset,
            (Some(target), Some(ty)) if ty == target => offset,
            (Some(target), Some(ty)) if units != FrameUnits::Range => {
                if !matches!(ty, DataType::Numeric { .. } | DataType::Float) {
                    return Err(Error::DatatypeMismatch(format!(
                        "argument of {} must be type bigint, not type {}",
                        units.name(),
                        type_name(ty)
                    )));
                }
                Expr::Cast(Box::new(offset), target)
            }
            (Some(target), Some(ty)) => {
                let widens = matches!(
                    (ty.widening_rank(), target.widening_rank()),
                    (Some(from), Some(to)) if from <= to
                );
                if !widens {
                    return Err(Error::Frame {
                        sqlstate: "0A000",
                        message: format!(
                            "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {} and offset type {}",
                            type_name(order_type.unwrap_or(target)),
                            offset_type_name(ty, &offset)
                        ),
                    });
                }
                Expr::Cast(Box::new(offset), target)
            }
        };
        if reads_row {
            return Err(Error::InvalidColumnReference(format!(
                "argument of {} must not contain variables",
                units.name()
            )));
        }
        Ok(offset)
    }
}

impl Planner<'_, '_> {
    /// Whether `e`, planned in `scope`, reads the query's row inside a subquery: planned
    /// again with that scope as the nearest enclosing query's, which notes a reference
    /// to it, and the plan dropped. (A column of a query enclosing this one is a
    /// constant for the offset, as in PostgreSQL.)
    fn reads_query_row(&mut self, e: &ast::Expr, scope: &Scope) -> bool {
        self.outer.push(Enclosing {
            scope: scope.clone(),
            groups: None,
            referenced: None,
        });
        let probe = self.expr(e, &Scope::default(), None);
        let referenced = self.outer.pop().and_then(|o| o.referenced);
        probe.is_ok() && referenced.is_some()
    }
}

/// The type of a RANGE offset for an ORDER BY column of type `column` (PostgreSQL's
/// `in_range` support functions): the column's own for numbers, an interval for dates,
/// times and intervals; 0A000 for other types.
fn range_offset_type(column: DataType) -> Result<DataType> {
    Ok(match column {
        DataType::Integer => DataType::Integer,
        DataType::Numeric { .. } => DataType::NUMERIC,
        DataType::Float => DataType::Float,
        DataType::Date | DataType::Timestamp | DataType::TimestampTz | DataType::Interval => {
            DataType::Interval
        }
        DataType::Boolean | DataType::Text { .. } => {
            return Err(Error::Frame {
                sqlstate: "0A000",
                message: format!(
                    "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                    type_name(column)
                ),
            })
        }
    })
}

/// A quoted offset (`'1 day' PRECEDING`): sqlparser reads it as an interval, where
/// PostgreSQL gives it the type the frame wants (with `INTERVAL '1'` too, a difference).
fn quoted_offset(e: &ast::Expr) -> Option<&str> {
    let ast::Expr::Interval(i) = e else {
        return None;
    };
    let bare = i.leading_field.is_none()
        && i.last_field.is_none()
        && i.leading_precision.is_none()
        && i.fractional_seconds_precision.is_none();
    match &*i.value {
        ast::Expr::Value(v) if bare => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// An offset's type as PostgreSQL names it: an integer constant that fits 32 bits is
/// an `integer` there.
fn offset_type_name(ty: DataType, offset: &Expr) -> String {
    match offset {
        Expr::Const(Value::Integer(n)) if i32::try_from(*n).is_ok() => "integer".into(),
        _ => type_name(ty),
    }
}

/// A type's name in PostgreSQL's messages about frames, without its modifiers.
fn type_name(ty: DataType) -> String {
    match ty {
        DataType::Numeric { .. } => "numeric".into(),
        DataType::Text { max_len: Some(_) } => "character varying".into(),
        ty => ty.to_string(),
    }
}

/// A window a query's `WINDOW` clause names, as the specification it stands for:
/// without a window name, the named window it refines merged in.
#[derive(Clone, Debug)]
pub(super) struct NamedWindow {
    name: String,
    spec: ast::WindowSpec,
    exclusion: Exclusion,
}

impl NamedWindow {
    /// Resolves a `WINDOW` clause, each window over those before it: 42P20 for a name
    /// defined twice, and as [`NamedWindow::resolve`].
    pub(super) fn clause(defs: &[ast::NamedWindowDefinition]) -> Result<Rc<[NamedWindow]>> {
        let mut named: Vec<NamedWindow> = Vec::with_capacity(defs.len());
        for ast::NamedWindowDefinition(name, expr) in defs {
            let name = ident(name);
            if named.iter().any(|w| w.name == name) {
                return Err(Error::Windowing(format!(
                    "window \"{name}\" is already defined"
                )));
            }
            let ast::NamedWindowExpr::WindowSpec(spec) = expr else {
                return Err(unsupported(
                    "a window defined as another without parentheses",
                ));
            };
            let window = NamedWindow::resolve(spec, &named)?;
            named.push(NamedWindow { name, ..window });
        }
        Ok(named.into())
    }

    /// The window `spec` stands for, over the windows `named`: its grammar checked
    /// (42601 for EXCLUDE without a frame; [`check_frame_syntax`]), the window it names
    /// (42704 if there is none) merged in by PostgreSQL's rules (42P20 otherwise).
    fn resolve(spec: &ast::WindowSpec, named: &[NamedWindow]) -> Result<Self> {
        let (exclusion, base) = match &spec.window_name {
            None => (Exclusion::NoOthers, None),
            Some(name) => match (name.quote_style, Exclusion::from_marker(&name.value)) {
                (Some('"'), Some((exclusion, base))) => (exclusion, base.map(str::to_string)),
                _ => (Exclusion::NoOthers, Some(ident(name))),
            },
        };
        if let Some(frame) = &spec.window_frame {
            check_frame_syntax(frame)?;
        } else if exclusion != Exclusion::NoOthers {
            return Err(Error::SyntaxRule(
                "syntax error at or near \"EXCLUDE\"".into(),
            ));
        }
        let mut resolved = ast::WindowSpec {
            window_name: None,
            ..spec.clone()
        };
        if let Some(base) = base {
            let refined = find(named, &base)?;
            let fail = |what: &str| Err(Error::Windowing(format!("{what} \"{base}\"")));
            if !spec.partition_by.is_empty() {
                return fail("cannot override PARTITION BY clause of window");
            }
            if !spec.order_by.is_empty() && !refined.spec.order_by.is_empty() {
                return fail("cannot override ORDER BY clause of window");
            }
            if refined.spec.window_frame.is_some() {
                // PostgreSQL adds a hint for `OVER (w)`: to write `OVER w`.
                return Err(Error::Windowing(format!(
                    "cannot copy window \"{base}\" because it has a frame clause"
                )));
            }
            resolved.partition_by = refined.spec.partition_by.clone();
            if spec.order_by.is_empty() {
                resolved.order_by = refined.spec.order_by.clone();
            }
        }
        Ok(NamedWindow {
            name: String::new(),
            spec: resolved,
            exclusion,
        })
    }
}

/// The window named `name`; 42704 if there is none.
fn find<'n>(named: &'n [NamedWindow], name: &str) -> Result<&'n NamedWindow> {
    named
        .iter()
        .find(|w| w.name == name)
        .ok_or_else(|| Error::UndefinedObject(format!("window \"{name}\" does not exist")))
}

/// PostgreSQL's grammar checks of a frame's bounds (42P20).
fn check_frame_syntax(frame: &ast::WindowFrame) -> Result<()> {
    use ast::WindowFrameBound::{CurrentRow, Following, Preceding};
    let fail = |m: &str| Err(Error::Windowing(m.into()));
    let start = &frame.start_bound;
    if matches!(start, Following(None)) {
        return fail("frame start cannot be UNBOUNDED FOLLOWING");
    }
    let Some(end) = &frame.end_bound else {
        if matches!(start, Following(Some(_))) {
            return fail("frame starting from following row cannot end with current row");
        }
        return Ok(());
    };
    match (start, end) {
        (_, Preceding(None)) => fail("frame end cannot be UNBOUNDED PRECEDING"),
        (CurrentRow, Preceding(Some(_))) => {
            fail("frame starting from current row cannot have preceding rows")
        }
        (Following(Some(_)), Preceding(Some(_)) | CurrentRow) => {
            fail("frame starting from following row cannot have preceding rows")
        }
        _ => Ok(()),
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
