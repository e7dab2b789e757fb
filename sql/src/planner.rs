//! The planner: sqlparser's AST to a [`Plan`] with compiled [`Expr`]essions.
//!
//! Names are resolved against a [`Scope`] (the columns the input rows carry, each with
//! the table or alias that qualifies it); a name not found there is looked up in the
//! scopes of enclosing queries and becomes a correlated reference. Aggregation is planned
//! as a [`Plan::Aggregate`] node whose output rows are the group values followed by the
//! aggregate values; the expressions above it (select list, HAVING, ORDER BY) are
//! compiled against the input row and then rewritten to run on that row, matching the
//! GROUP BY keys by their compiled form ([`grouping`]). Access paths are chosen from the
//! WHERE clause in [`access`].

use std::sync::Arc;
use std::sync::OnceLock;

use sqlparser::ast;

use isolde_txn::LockMode;

use crate::catalog::{Catalog, Table};
use crate::datetime::{self, functions::DateTimeFunction, Interval};
use crate::encoding::table_def_key;
use crate::error::{Error, Result};
use crate::executor::Env;
use crate::expression::{BinaryOp, Expr, Function, SequenceFunction, Subquery};
use crate::plan::{
    Access, Aggregate, AggregateFunction, JoinKind, LockWait, Locking, Plan, RowLocking, SetOp,
    SharedCte, SortKey, Statistic, WorkingTable,
};
use crate::plan_cache::Recorder;
use crate::stack_depth;
use crate::types::{DataType, Value};
use crate::window::WindowCall;

mod access;
mod distinct_on;
mod grouping;
mod quantified;
mod recursive;
mod series;
mod typing;
mod view;
mod window;

use grouping::{ungrouped_outer_column, Aggregation};
use series::{Lateral, SelectListSeries};
pub(crate) use view::output_types;
use window::Windows;

/// The columns an input row carries.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    columns: Vec<(Option<String>, String)>,
    /// Each column's declared type, where known: a table's columns have one, a
    /// subquery's output columns do not ([`typing`]).
    types: Vec<Option<DataType>>,
    /// The columns a `JOIN ... USING` or `NATURAL JOIN` merged into one: reachable by
    /// their qualified name (`a.x`) and `a.*` only, as in PostgreSQL; the merged column
    /// stands for them unqualified and in `*`.
    hidden: Vec<bool>,
}

impl Scope {
    /// The columns of a table, qualified by `qualifier`.
    pub fn of_table(table: &Table, qualifier: &str) -> Scope {
        Scope {
            columns: table
                .columns
                .iter()
                .map(|c| (Some(qualifier.to_string()), c.name.clone()))
                .collect(),
            types: table.columns.iter().map(|c| Some(c.ty)).collect(),
            hidden: vec![false; table.columns.len()],
        }
    }

    /// The output columns of a query used as a FROM item, qualified by `qualifier`.
    fn of_output(columns: &[String], qualifier: &str) -> Scope {
        Scope {
            columns: columns
                .iter()
                .map(|c| (Some(qualifier.to_string()), c.clone()))
                .collect(),
            types: vec![None; columns.len()],
            hidden: vec![false; columns.len()],
        }
    }

    fn len(&self) -> usize {
        self.columns.len()
    }

    /// The declared type of column `i`, if it has one.
    fn column_type(&self, i: usize) -> Option<DataType> {
        self.types.get(i).copied().flatten()
    }

    fn is_hidden(&self, i: usize) -> bool {
        self.hidden.get(i).copied().unwrap_or(false)
    }

    fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<Option<usize>> {
        let mut found = None;
        for (i, (q, n)) in self.columns.iter().enumerate() {
            let reachable = match qualifier {
                None => !self.is_hidden(i),
                Some(_) => q.as_deref() == qualifier,
            };
            if n == name && reachable {
                if found.is_some() {
                    return Err(Error::AmbiguousColumn(name.to_string()));
                }
                found = Some(i);
            }
        }
        Ok(found)
    }

    /// Appends the columns of `other`, joined in one FROM clause: 42712 if a table name
    /// or alias is in both.
    pub(crate) fn join(&mut self, other: Scope) -> Result<()> {
        for (q, _) in &other.columns {
            if let Some(q) = q.as_deref().filter(|q| self.has_qualifier(q)) {
                return Err(Error::DuplicateAlias(q.to_string()));
            }
        }
        self.columns.extend(other.columns);
        self.types.extend(other.types);
        self.hidden.extend(other.hidden);
        Ok(())
    }

    fn has_qualifier(&self, q: &str) -> bool {
        self.columns.iter().any(|(cq, _)| cq.as_deref() == Some(q))
    }

    /// Column `i` as PostgreSQL names it in messages: `table.column`.
    fn qualified(&self, i: usize) -> String {
        match self.columns.get(i) {
            Some((Some(q), n)) => format!("{q}.{n}"),
            Some((None, n)) => n.clone(),
            None => format!("column {}", i + 1),
        }
    }
}

/// The row of an enclosing query, as a subquery being planned sees it.
struct Enclosing {
    scope: Scope,
    /// Set when the enclosing query aggregates and the subquery sits in its select
    /// list, HAVING or ORDER BY: the row is then the group, and this gives each input
    /// column's position among the group keys (None: not a key, not visible).
    groups: Option<Arc<[Option<usize>]>>,
    /// The first of its columns the subquery referred to.
    referenced: Option<String>,
}

/// Plans statements for one transaction.
///
/// By default `$n` parameters are replaced by their values in `env`, so constant
/// folding and access paths see them as constants. A planner made with
/// [`Planner::for_cache`] keeps them as [`Expr::Param`]s instead, for a plan that can run
/// again with other values, and records what it read (see [`crate::plan_cache`]).
pub struct Planner<'a, 'e> {
    pub env: &'a Env<'e>,
    pub catalog: &'a mut Catalog,
    /// Set for EXPLAIN: plan nodes then carry the text EXPLAIN prints.
    pub explain: bool,
    /// Set when planning a plan to cache.
    pub recorder: Option<Recorder>,
    outer: Vec<Enclosing>,
    outer_refs: usize,
    /// The `WITH` queries in scope, outermost first; see [`Planner::query`].
    ctes: Vec<Cte>,
    /// How deep the query being planned sits in subqueries and `WITH` queries: 0 for a
    /// statement's own query (a locking clause is planned there only).
    nesting: usize,
    /// Whether window functions may appear in what is being planned ([`window`]).
    windows: Windows,
    /// Whether a `generate_series` call may appear in what is being planned ([`series`]).
    series: SelectListSeries,
    /// How many references to a recursive query's working table have been planned, to
    /// tell which side of a join or set operation has one.
    recursive_refs: usize,
}

/// A query named by `WITH`, in scope for the queries after it.
struct Cte {
    name: String,
    /// The names `WITH name (a, b) AS ...` gives its columns.
    columns: Vec<ast::TableAliasColumnDef>,
    /// How many enclosing rows (`Planner::outer`) the query saw where it was defined.
    depth: usize,
    /// What a reference to it reads, and the names of its output columns.
    source: CteSource,
    output: Arc<[String]>,
}

/// What a reference to a `WITH` query's name reads.
enum CteSource {
    /// Its plan, made once where it is defined and shared by every reference.
    Shared(Arc<SharedCte>),
    /// From a recursive query's recursive term: the previous iteration's rows, with the
    /// number of references planned so far (one is allowed).
    Working(Arc<WorkingTable>, usize),
    /// Nothing: a reference is a recursive one where none may be (42P19, this message).
    Forbidden(&'static str),
}

/// A planned query and its output column names.
pub struct Planned {
    pub plan: Plan,
    pub columns: Arc<[String]>,
}

/// Lower-cases an unquoted identifier, as PostgreSQL folds names.
pub fn ident(i: &ast::Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_lowercase(),
    }
}

/// The last part of an object name (schema qualifiers are ignored), folded.
pub fn object_name(n: &ast::ObjectName) -> Result<String> {
    match n.0.last() {
        Some(ast::ObjectNamePart::Identifier(i)) => Ok(ident(i)),
        _ => Err(Error::FeatureNotSupported(format!("object name {n}"))),
    }
}

fn unsupported(what: impl Into<String>) -> Error {
    Error::FeatureNotSupported(what.into())
}

fn is_aggregate_name(name: &str) -> Option<AggregateFunction> {
    Some(match name {
        "count" => AggregateFunction::Count,
        "sum" => AggregateFunction::Sum,
        "min" => AggregateFunction::Min,
        "max" => AggregateFunction::Max,
        "avg" => AggregateFunction::Avg,
        "string_agg" => AggregateFunction::StringAgg,
        "bool_and" | "every" => AggregateFunction::BoolAnd,
        "bool_or" => AggregateFunction::BoolOr,
        _ => AggregateFunction::Statistic(Statistic::named(name)?),
    })
}

/// The precision and scale of `NUMERIC(precision, scale)`, checked as PostgreSQL 15
/// checks them (precision 1 to 1000, scale -1000 to 1000, 22023), then against what
/// isolde's NUMERIC holds: 38 digits, so a precision up to 38 and a scale from -38 to 38
/// (0A000 beyond, rather than a declaration whose values could not all be stored).
fn numeric_declaration(precision: u64, scale: i64) -> Result<(u32, i32)> {
    use crate::numeric::MAX_DIGITS;
    if !(1..=1000).contains(&precision) {
        return Err(Error::InvalidArgument(format!(
            "NUMERIC precision {precision} must be between 1 and 1000"
        )));
    }
    if !(-1000..=1000).contains(&scale) {
        return Err(Error::InvalidArgument(format!(
            "NUMERIC scale {scale} must be between -1000 and 1000"
        )));
    }
    let limit = i64::from(MAX_DIGITS);
    match (u32::try_from(precision), i32::try_from(scale)) {
        (Ok(p), _) if p > MAX_DIGITS => Err(unsupported(format!(
            "NUMERIC precision {p} (isolde's NUMERIC holds at most {MAX_DIGITS} digits)"
        ))),
        (Ok(p), Ok(s)) if (-limit..=limit).contains(&scale) => Ok((p, s)),
        _ => Err(unsupported(format!(
            "NUMERIC scale {scale} (isolde's NUMERIC scale is between -{MAX_DIGITS} and {MAX_DIGITS})"
        ))),
    }
}

/// Maps a SQL type name to a [`DataType`].
pub fn data_type(t: &ast::DataType) -> Result<DataType> {
    use ast::DataType as D;
    Ok(match t {
        D::Boolean | D::Bool => DataType::Boolean,
        D::Int(_)
        | D::Integer(_)
        | D::BigInt(_)
        | D::SmallInt(_)
        | D::Int2(_)
        | D::Int4(_)
        | D::Int8(_)
        | D::TinyInt(_)
        | D::MediumInt(_)
        | D::Int64 => DataType::Integer,
        D::Real
        | D::Float(_)
        | D::Double(_)
        | D::DoublePrecision
        | D::Float4
        | D::Float8
        | D::Float64 => DataType::Float,
        D::Numeric(info) | D::Decimal(info) | D::Dec(info) => DataType::Numeric {
            declared: match *info {
                ast::ExactNumberInfo::PrecisionAndScale(p, s) => Some(numeric_declaration(p, s)?),
                ast::ExactNumberInfo::Precision(p) => Some(numeric_declaration(p, 0)?),
                ast::ExactNumberInfo::None => None,
            },
        },
        D::Text | D::String(_) => DataType::Text { max_len: None },
        D::Varchar(len) | D::CharacterVarying(len) | D::Char(len) | D::Character(len) => {
            DataType::Text {
                max_len: match len {
                    Some(ast::CharacterLength::IntegerLength { length: 0, .. }) => {
                        return Err(Error::InvalidArgument(
                            "length for type varchar must be at least 1".into(),
                        ))
                    }
                    Some(ast::CharacterLength::IntegerLength { length, .. }) => {
                        Some(u32::try_from(*length).map_err(|_| unsupported("VARCHAR length"))?)
                    }
                    _ => None,
                },
            }
        }
        D::Date => DataType::Date,
        D::Timestamp(None, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => {
            DataType::Timestamp
        }
        D::Timestamp(None, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => {
            DataType::TimestampTz
        }
        D::Interval {
            fields: None,
            precision: None,
        } => DataType::Interval,
        other => return Err(unsupported(format!("type {other}"))),
    })
}

/// The text of a numeric literal under minus signs, parentheses around it or not, as
/// PostgreSQL's grammar folds it: each minus flips the sign of the literal's text, so
/// `-(-9223372036854775808)` is the numeric 9223372036854775808, as there. None for
/// anything else.
fn signed_number(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Some(n.clone()),
            _ => None,
        },
        ast::Expr::Nested(inner) => signed_number(inner),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => {
            let n = signed_number(expr)?;
            Some(match n.strip_prefix('-') {
                Some(positive) => positive.to_string(),
                None => format!("-{n}"),
            })
        }
        _ => None,
    }
}

/// The input columns a wildcard select item (`*`, `t.*`) stands for, in order, with
/// their names.
pub(crate) fn wildcard(item: &ast::SelectItem, scope: &Scope) -> Result<Vec<(usize, String)>> {
    Ok(wildcard_columns(item, scope)?
        .into_iter()
        .map(|i| (i, scope.columns[i].1.clone()))
        .collect())
}

/// The input columns a wildcard select item (`*`, `t.*`) stands for, in order.
fn wildcard_columns(item: &ast::SelectItem, scope: &Scope) -> Result<Vec<usize>> {
    let qualifier = match item {
        ast::SelectItem::Wildcard(_) => None,
        ast::SelectItem::QualifiedWildcard(
            ast::SelectItemQualifiedWildcardKind::ObjectName(n),
            _,
        ) => {
            let q = object_name(n)?;
            if !scope.has_qualifier(&q) {
                return Err(Error::MissingFromEntry(q));
            }
            Some(q)
        }
        ast::SelectItem::QualifiedWildcard(..) => return Err(unsupported("this wildcard")),
        other => return Err(unsupported(format!("select item {other}"))),
    };
    if scope.len() == 0 {
        return Err(Error::Syntax(
            "SELECT * with no tables specified is not valid".into(),
        ));
    }
    Ok((scope.columns.iter().enumerate())
        .filter(|(i, (q, _))| match &qualifier {
            None => !scope.is_hidden(*i),
            Some(_) => *q == qualifier,
        })
        .map(|(i, _)| i)
        .collect())
}

/// The output column (0-based) that a GROUP BY or ORDER BY item names by position, as
/// PostgreSQL reads it: a bare integer literal, negative or parenthesised too, is a
/// position, 42P10 if there is no such column; any other bare literal (`'x'`, `1.5`,
/// NULL) is 42601; None for everything else, which is an expression.
/// What a locking clause on a query other than a plain SELECT is refused as (0A000).
const LOCKS_IN_SET_QUERIES: &str = "FOR UPDATE/FOR SHARE with VALUES, UNION, INTERSECT or EXCEPT";

/// `e` without the parentheses around it: PostgreSQL's grammar keeps none, so `(a)` is
/// the name `a` wherever a bare name means something of its own.
fn unparenthesized(mut e: &ast::Expr) -> &ast::Expr {
    while let ast::Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

fn position(e: &ast::Expr, clause: &str, columns: usize) -> Result<Option<usize>> {
    let text = match e {
        ast::Expr::Nested(inner) => return position(inner, clause, columns),
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.clone(),
            ast::Value::Placeholder(_) => return Ok(None),
            _ => String::new(),
        },
        e => match signed_number(e) {
            Some(n) => n,
            None => return Ok(None),
        },
    };
    let Ok(n) = text.parse::<i64>() else {
        return Err(Error::SyntaxRule(format!(
            "non-integer constant in {clause}"
        )));
    };
    match usize::try_from(n) {
        Ok(pos) if (1..=columns).contains(&pos) => Ok(Some(pos - 1)),
        _ => Err(Error::InvalidColumnReference(format!(
            "{clause} position {n} is not in select list"
        ))),
    }
}

/// True for the keyword DEFAULT where a value goes (`VALUES (1, DEFAULT)`,
/// `SET a = DEFAULT`), which sqlparser reads as an unquoted identifier.
pub fn is_default_keyword(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"))
}

/// Parses a numeric literal: an integer if it fits, else an exact decimal. A literal
/// written with an exponent that needs more digits than NUMERIC holds (`1e300`,
/// `1e-50`) is a double precision: PostgreSQL would keep it as an exact numeric, which
/// isolde's 38-digit NUMERIC cannot, and such literals are nearly always meant for
/// double precision work (`1e300::float8`, `WHERE f > 1e50`). A long literal without
/// an exponent stays an error rather than lose digits silently.
pub fn number(text: &str) -> Result<Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Value::Integer(i));
    }
    if let Some(d) = crate::numeric::Decimal::parse(text) {
        return Ok(Value::Numeric(d));
    }
    let out_of_range = || Error::OutOfRange(format!("number {text} is out of range"));
    if !text.contains(['e', 'E']) {
        return Err(out_of_range());
    }
    crate::types::parse_float(text)
        .map(Value::Float)
        .map_err(|_| out_of_range())
}

impl<'a, 'e> Planner<'a, 'e> {
    pub fn new(env: &'a Env<'e>, catalog: &'a mut Catalog) -> Self {
        Planner {
            env,
            catalog,
            explain: false,
            recorder: None,
            outer: Vec::new(),
            outer_refs: 0,
            ctes: Vec::new(),
            nesting: 0,
            windows: Windows::Forbidden("here"),
            series: SelectListSeries::Refused(None),
            recursive_refs: 0,
        }
    }

    /// A planner whose plans keep `$n` parameters open and which records the table
    /// definitions it reads, for [`crate::plan_cache`].
    pub fn for_cache(env: &'a Env<'e>, catalog: &'a mut Catalog) -> Self {
        let mut p = Planner::new(env, catalog);
        p.recorder = Some(Recorder::default());
        p
    }

    /// EXPLAIN text made by `text`, or an empty string (no allocation) when not planning
    /// for EXPLAIN.
    pub fn explain_text(&self, text: impl FnOnce() -> String) -> String {
        if self.explain {
            text()
        } else {
            String::new()
        }
    }

    /// The table named `name`, or 42P01.
    pub fn table(&mut self, name: &ast::ObjectName) -> Result<Arc<Table>> {
        let name = object_name(name)?;
        self.read_table(&name, None)?
            .ok_or(Error::UndefinedTable(name))
    }

    /// Reads a table definition through the transaction (locking it with `lock`),
    /// recording the read for a cached plan.
    fn read_table(&mut self, name: &str, lock: Option<LockMode>) -> Result<Option<Arc<Table>>> {
        let key = table_def_key(name);
        let bytes = match lock {
            None => self.catalog.read_definition(&self.env.txn.borrow(), &key)?,
            Some(mode) => {
                let mut txn = self.env.txn.borrow_mut();
                let bytes = self.catalog.lock_definition(&mut txn, name, &key, mode)?;
                txn.begin_statement();
                bytes
            }
        };
        if let Some(r) = &mut self.recorder {
            r.read(name, key, lock, bytes.clone());
        }
        if bytes.as_deref().is_some_and(crate::view::is_view) {
            return Err(view::not_a_table(name, lock));
        }
        self.catalog.decode(name, bytes)
    }

    /// The table named `name` for a statement that writes its rows (or, with
    /// `Exclusive`, changes its definition): see [`Catalog::lock_definition`]. At READ
    /// COMMITTED the statement's snapshot is refreshed after the lock, so it sees what
    /// the transactions it waited for committed.
    pub fn table_for_write(
        &mut self,
        name: &ast::ObjectName,
        mode: LockMode,
    ) -> Result<Arc<Table>> {
        let name = object_name(name)?;
        self.lock_table(&name, mode)?
            .ok_or(Error::UndefinedTable(name))
    }

    /// Like [`Planner::table_for_write`], by folded name; None if there is no such table.
    pub fn lock_table(&mut self, name: &str, mode: LockMode) -> Result<Option<Arc<Table>>> {
        self.read_table(name, Some(mode))
    }

    /// Plans a query (SELECT, VALUES, or a parenthesised query), with the queries its
    /// `WITH` names in scope: each is visible to the query and to the `WITH` queries
    /// after it, and hides a table of its name.
    pub fn query(&mut self, q: &ast::Query) -> Result<Planned> {
        self.with(q.with.as_ref(), |p| p.query_body(q))
    }

    /// Runs `f` with the queries of a `WITH` clause in scope.
    pub fn with<T>(
        &mut self,
        with: Option<&ast::With>,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let outside = self.ctes.len();
        let done = self.bring_into_scope(with).and_then(|()| f(self));
        self.ctes.truncate(outside);
        done
    }

    fn bring_into_scope(&mut self, with: Option<&ast::With>) -> Result<()> {
        let Some(with) = with else {
            return Ok(());
        };
        let first = self.ctes.len();
        for cte in &with.cte_tables {
            let name = ident(&cte.alias.name);
            if self.ctes[first..].iter().any(|c| c.name == name) {
                return Err(Error::DuplicateWithName(name));
            }
            let planned = if with.recursive {
                self.recursive_cte(cte, name)?
            } else {
                self.plain_cte(cte, name)?
            };
            self.ctes.push(planned);
        }
        Ok(())
    }

    /// Plans a `WITH` query that does not refer to itself.
    fn plain_cte(&mut self, cte: &ast::Cte, name: String) -> Result<Cte> {
        {
            // Planned once, here, where it sees the WITH queries before it and the
            // enclosing rows of this place: every reference shares the plan and, in one
            // run of the statement, its rows (PostgreSQL materializes a WITH query used
            // twice); one never used still reports its errors.
            let before = self.outer_refs;
            let working_before = self.recursive_refs;
            let planned = self.nested(|p| p.query(&cte.query))?;
            if self.recursive_refs > working_before {
                // Its shared rows would be those of the first iteration only.
                return Err(unsupported(
                    "a recursive reference inside a WITH query of the recursive term",
                ));
            }
            let correlated = self.outer_refs > before;
            if cte.alias.columns.len() > planned.columns.len() {
                return Err(Error::InvalidColumnReference(format!(
                    "WITH query \"{name}\" has {} columns available but {} columns specified",
                    planned.columns.len(),
                    cte.alias.columns.len()
                )));
            }
            if let Some(r) = &mut self.recorder {
                // The shared rows are kept for one execution: such plans are not reused.
                r.uncacheable();
            }
            Ok(Cte {
                name,
                columns: cte.alias.columns.clone(),
                depth: self.outer.len(),
                source: CteSource::Shared(Arc::new(SharedCte::new(planned.plan, correlated))),
                output: planned.columns,
            })
        }
    }

    /// Runs `f` planning a query nested in the statement's own.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.nesting += 1;
        // A set-returning call in the nested query's select list is that query's.
        let saved = std::mem::replace(&mut self.series, SelectListSeries::Refused(None));
        let done = f(self);
        self.series = saved;
        self.nesting -= 1;
        done
    }

    fn query_body(&mut self, q: &ast::Query) -> Result<Planned> {
        let order_by = match &q.order_by {
            None => &[][..],
            Some(ast::OrderBy {
                kind: ast::OrderByKind::Expressions(e),
                ..
            }) => &e[..],
            Some(_) => return Err(unsupported("ORDER BY ALL")),
        };
        let (mut limit, offset) = self.limit(q.limit_clause.as_ref())?;
        if let Some(fetch) = &q.fetch {
            limit = self.fetch_first(fetch, limit.is_some())?;
        }
        let locks = &q.locks;
        if let ast::SetExpr::Select(s) = q.body.as_ref() {
            return self.select(s, order_by, limit, offset, locks);
        }
        if !locks.is_empty() {
            return Err(unsupported(LOCKS_IN_SET_QUERIES));
        }
        let planned = self.set_expr(q.body.as_ref())?;
        self.order_and_limit(planned, order_by, limit, offset)
    }

    /// Plans the body of a query: a SELECT, VALUES, a parenthesised query, or two of
    /// them joined by UNION, INTERSECT or EXCEPT [ALL] (the left one names the columns).
    fn set_expr(&mut self, body: &ast::SetExpr) -> Result<Planned> {
        match body {
            ast::SetExpr::Select(s) => self.select(s, &[], None, 0, &[]),
            ast::SetExpr::Query(inner) if !inner.locks.is_empty() => {
                Err(unsupported(LOCKS_IN_SET_QUERIES))
            }
            ast::SetExpr::Query(inner) => self.query(inner),
            ast::SetExpr::Values(v) => {
                let mut rows = self.values_rows(v, &|_| None)?;
                let width = rows.first().map_or(0, Vec::len);
                // Each column takes one type, as a UNION's does.
                for c in 0..width {
                    let mut column: Vec<&mut Expr> = rows.iter_mut().map(|r| &mut r[c]).collect();
                    typing::unify_numbers(columns(&Scope::default(), None), &mut column)?;
                }
                Ok(Planned {
                    plan: Plan::Values { rows },
                    columns: (1..=width).map(|i| format!("column{i}")).collect(),
                })
            }
            ast::SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let op = match op {
                    ast::SetOperator::Union => SetOp::Union,
                    ast::SetOperator::Intersect => SetOp::Intersect,
                    ast::SetOperator::Except => SetOp::Except,
                    other => return Err(unsupported(format!("{other}"))),
                };
                let all = match set_quantifier {
                    ast::SetQuantifier::All => true,
                    ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
                    other => return Err(unsupported(format!("{} {other}", op.keyword()))),
                };
                let start = self.recursive_refs;
                let left = self.set_expr(left)?;
                let middle = self.recursive_refs;
                let right = self.set_expr(right)?;
                let in_left = middle > start && all && op != SetOp::Union;
                if in_left
                    || (self.recursive_refs > middle
                        && op != SetOp::Union
                        && (all || op == SetOp::Except))
                {
                    return Err(self.misplaced_recursive_reference(match op {
                        SetOp::Intersect => "within INTERSECT",
                        _ => "within EXCEPT",
                    }));
                }
                if left.columns.len() != right.columns.len() {
                    return Err(Error::SyntaxRule(format!(
                        "each {} query must have the same number of columns",
                        op.keyword()
                    )));
                }
                Ok(Planned {
                    plan: Plan::SetOperation {
                        op,
                        all,
                        left: Box::new(left.plan),
                        right: Box::new(right.plan),
                    },
                    columns: left.columns,
                })
            }
            other => Err(unsupported(format!("query {other}"))),
        }
    }

    /// Sorts and limits the rows of a planned query body other than a SELECT, whose
    /// ORDER BY may only name or number its output columns.
    fn order_and_limit(
        &mut self,
        planned: Planned,
        order_by: &[ast::OrderByExpr],
        limit: Option<usize>,
        offset: usize,
    ) -> Result<Planned> {
        let Planned { mut plan, columns } = planned;
        if !order_by.is_empty() {
            let outputs: Vec<Expr> = (0..columns.len()).map(Expr::Column).collect();
            let mut keys = Vec::new();
            for o in order_by {
                let column = match self.order_column(&o.expr, &outputs, &columns)? {
                    Some(column) => column,
                    None => {
                        return Err(match unparenthesized(&o.expr) {
                            ast::Expr::Identifier(i) => {
                                Error::UndefinedColumn(format!("\"{}\"", ident(i)))
                            }
                            _ => unsupported(
                                "ORDER BY expressions on VALUES, UNION, INTERSECT or EXCEPT \
                                 (name or number an output column)",
                            ),
                        })
                    }
                };
                keys.push(sort_key(column, o));
            }
            let text = self.explain_text(|| order_text(order_by));
            plan = Plan::Sort {
                source: Box::new(plan),
                keys,
                text,
            };
        }
        if limit.is_some() || offset > 0 {
            plan = Plan::Limit {
                source: Box::new(plan),
                offset,
                limit,
            };
        }
        Ok(Planned { plan, columns })
    }

    /// The compiled rows of a VALUES list, all of one length. `default(i)` is what the
    /// keyword DEFAULT stands for in the i-th column: the target column's default in an
    /// INSERT's VALUES, None (42601) in a query.
    pub fn values_rows(
        &mut self,
        v: &ast::Values,
        default: &dyn Fn(usize) -> Option<Expr>,
    ) -> Result<Vec<Vec<Expr>>> {
        let mut rows: Vec<Vec<Expr>> = Vec::new();
        for r in &v.rows {
            let mut row = Vec::with_capacity(r.content.len());
            for (i, e) in r.content.iter().enumerate() {
                row.push(if is_default_keyword(e) {
                    default(i).ok_or_else(|| {
                        Error::SyntaxRule("DEFAULT is not allowed in this context".into())
                    })?
                } else {
                    let refused = SelectListSeries::Refused(Some("VALUES"));
                    self.with_series(refused, |p| p.expr(e, &Scope::default(), None))
                        .0?
                });
            }
            if rows.first().is_some_and(|f| f.len() != row.len()) {
                return Err(Error::Syntax(
                    "VALUES lists must all be the same length".into(),
                ));
            }
            rows.push(row);
        }
        Ok(rows)
    }

    fn limit(&mut self, clause: Option<&ast::LimitClause>) -> Result<(Option<usize>, usize)> {
        let Some(clause) = clause else {
            return Ok((None, 0));
        };
        let (limit, offset) = match clause {
            ast::LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            } => {
                if !limit_by.is_empty() {
                    return Err(unsupported("LIMIT BY"));
                }
                (limit.as_ref(), offset.as_ref().map(|o| &o.value))
            }
            ast::LimitClause::OffsetCommaLimit { offset, limit } => (Some(limit), Some(offset)),
        };
        let limit = self.row_count(limit, "LIMIT")?;
        let offset = self.row_count(offset, "OFFSET")?.unwrap_or(0);
        Ok((limit, offset))
    }

    /// `FETCH { FIRST | NEXT } [n] { ROW | ROWS } ONLY`, the standard's spelling of
    /// `LIMIT n` (one row without `n`), which PostgreSQL takes in its place, not with it.
    fn fetch_first(&mut self, fetch: &ast::Fetch, limit_given: bool) -> Result<Option<usize>> {
        if fetch.percent {
            return Err(Error::SyntaxRule(
                "syntax error at or near \"PERCENT\"".into(),
            ));
        }
        if limit_given {
            return Err(Error::SyntaxRule(
                "syntax error at or near \"FETCH\"".into(),
            ));
        }
        if fetch.with_ties {
            return Err(unsupported("FETCH ... WITH TIES"));
        }
        match &fetch.quantity {
            Some(n) => self.row_count(Some(n), "LIMIT"),
            None => Ok(Some(1)),
        }
    }

    /// The constant row count of a LIMIT or OFFSET clause, None for NULL or none.
    fn row_count(&mut self, e: Option<&ast::Expr>, what: &'static str) -> Result<Option<usize>> {
        let Some(e) = e else { return Ok(None) };
        let refused = SelectListSeries::Refused(Some(what));
        match (self
            .with_series(refused, |p| p.expr(e, &Scope::default(), None))
            .0)?
        {
            Expr::Const(Value::Null) => Ok(None),
            Expr::Const(Value::Integer(n)) if n >= 0 => Ok(Some(n as usize)),
            Expr::Const(Value::Integer(_)) => Err(Error::NegativeRowCount(what)),
            _ => Err(Error::DatatypeMismatch(format!(
                "argument of {what} must be an integer constant"
            ))),
        }
    }

    /// Plans a SELECT; window functions are allowed in its own select list and ORDER BY
    /// only, not in those of the query it may be a subquery of.
    fn select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
        limit: Option<usize>,
        offset: usize,
        locks: &[ast::LockClause],
    ) -> Result<Planned> {
        self.without_windows("here", |p| p.plan_select(s, order_by, limit, offset, locks))
    }

    fn plan_select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
        limit: Option<usize>,
        offset: usize,
        locks: &[ast::LockClause],
    ) -> Result<Planned> {
        if s.top.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || s.qualify.is_some()
            || !s.connect_by.is_empty()
        {
            return Err(unsupported("this SELECT clause"));
        }
        let (distinct, on) = match &s.distinct {
            None | Some(ast::Distinct::All) => (false, None),
            Some(ast::Distinct::Distinct) => (true, None),
            Some(ast::Distinct::On(on)) => (false, Some(on)),
        };
        let (mut plan, scope) = self.from(&s.from)?;
        if let Some(w) = &s.selection {
            let predicate = self.without_windows("in WHERE", |p| p.expr(w, &scope, None))?;
            let text = self.explain_text(|| w.to_string());
            plan = add_filter(plan, predicate, text, self.env);
        }
        let group_exprs = match &s.group_by {
            ast::GroupByExpr::Expressions(e, mods) if mods.is_empty() => e,
            _ => return Err(unsupported("GROUP BY ALL / ROLLUP / CUBE")),
        };
        let mut keys = Vec::new();
        let mut key_texts = Vec::new();
        for g in group_exprs {
            let (key, text) =
                self.without_windows("in GROUP BY", |p| p.group_key(g, &s.projection, &scope))?;
            keys.push(key);
            key_texts.push(text);
        }
        // The select list, HAVING and ORDER BY are compiled against the input rows; only
        // then is it known whether the query aggregates without GROUP BY or HAVING.
        let known = !keys.is_empty() || s.having.is_some();
        let mut aggregation = Aggregation::new(&scope, known.then_some(&keys[..]));
        let named = window::NamedWindow::clause(&s.named_window)?;
        let plan_list = |p: &mut Self, aggregation: &mut Aggregation, window_offset| {
            p.with_windows(window_offset, named.clone(), |p| {
                let mut post = p.select_list(
                    &s.projection,
                    &scope,
                    aggregation,
                    s.having.as_ref(),
                    order_by,
                )?;
                if let Some(on) = on {
                    post.distinct_on = Some(p.distinct_on(on, &scope, aggregation, &mut post)?);
                }
                let named = p.named_window_exprs(&named, &scope, aggregation)?;
                Ok((post, named))
            })
        };
        let window_offset = if known { window::UNKNOWN_OFFSET } else { 0 };
        let ((mut post, mut named_exprs), mut windows) =
            plan_list(self, &mut aggregation, window_offset)?;
        if !windows.is_empty() && (known || !aggregation.aggregates.is_empty()) {
            // The window values follow the group row, whose width is known now: planned
            // again (to the same aggregates) with their columns after it.
            let window_offset = aggregation.aggregates.len();
            aggregation = Aggregation::new(&scope, known.then_some(&keys[..]));
            ((post, named_exprs), windows) = plan_list(self, &mut aggregation, window_offset)?;
        }
        post.windows = windows;
        if let Some(call) = post.series.take() {
            if !locks.is_empty() {
                return Err(unsupported(
                    "FOR UPDATE is not allowed with set-returning functions in the target list",
                ));
            }
            let with = if !aggregation.aggregates.is_empty() {
                "aggregate functions"
            } else if !keys.is_empty() {
                "GROUP BY"
            } else if known {
                "HAVING"
            } else if !post.windows.is_empty() {
                "window functions"
            } else if distinct || on.is_some() {
                "DISTINCT"
            } else {
                let bare = s.from.is_empty() && s.selection.is_none();
                plan = series::multiply(plan, call, scope.len(), bare);
                return self.finish_select(plan, post, distinct, limit, offset, locks, false);
            };
            return Err(unsupported(format!(
                "{} in a select list with {with} (PostgreSQL computes those first)",
                crate::series::NAME
            )));
        }
        if !known && aggregation.aggregates.is_empty() {
            return self.finish_select(plan, post, distinct, limit, offset, locks, false);
        }
        if !known {
            // Its subqueries were planned against the input row, and no column is a key.
            if let Some(column) = &aggregation.outer_reference {
                return Err(ungrouped_outer_column(column));
            }
        }
        post.exprs = std::mem::take(&mut post.exprs)
            .into_iter()
            .map(|e| aggregation.regroup(e, &keys, &scope))
            .collect::<Result<_>>()?;
        if let Some((having, text)) = post.having.take() {
            post.having = Some((aggregation.regroup(having, &keys, &scope)?, text));
        }
        for e in named_exprs {
            aggregation.regroup(e, &keys, &scope)?;
        }
        for call in &mut post.windows {
            call.regroup(|e| aggregation.regroup(e, &keys, &scope))?;
        }
        let text = self.explain_text(|| aggregate_text(&key_texts));
        plan = Plan::Aggregate {
            source: Box::new(plan),
            group_by: keys,
            aggregates: aggregation.aggregates,
            text,
        };
        self.finish_select(plan, post, distinct, limit, offset, locks, true)
    }

    /// Compiles a GROUP BY item: `GROUP BY 1` and `GROUP BY alias` stand for that item of
    /// the select list, counted as its wildcards expand, anything else for itself. With
    /// the key's text for EXPLAIN.
    fn group_key(
        &mut self,
        g: &ast::Expr,
        projection: &[ast::SelectItem],
        scope: &Scope,
    ) -> Result<(Expr, String)> {
        /// One output column of the select list.
        enum Item<'q> {
            Written(Option<String>, &'q ast::Expr),
            FromWildcard(usize),
        }
        let mut items = Vec::new();
        for p in projection {
            match p {
                ast::SelectItem::UnnamedExpr(e) => items.push(Item::Written(None, e)),
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    items.push(Item::Written(Some(ident(alias)), expr));
                }
                // A wildcard the select list refuses is reported there.
                other => items.extend(
                    wildcard_columns(other, scope)
                        .unwrap_or_default()
                        .into_iter()
                        .map(Item::FromWildcard),
                ),
            }
        }
        let target = match position(g, "GROUP BY", items.len())? {
            Some(pos) => &items[pos],
            None => match g {
                ast::Expr::Identifier(i) if scope.resolve(None, &ident(i))?.is_none() => {
                    let alias = ident(i);
                    let named = items
                        .iter()
                        .find(|item| matches!(item, Item::Written(Some(a), _) if *a == alias));
                    let e = match named {
                        Some(Item::Written(_, e)) => e,
                        _ => g,
                    };
                    return Ok((
                        self.expr(e, scope, None)?,
                        self.explain_text(|| e.to_string()),
                    ));
                }
                _ => {
                    return Ok((
                        self.expr(g, scope, None)?,
                        self.explain_text(|| g.to_string()),
                    ))
                }
            },
        };
        match target {
            Item::Written(_, e) => Ok((
                self.expr(e, scope, None)?,
                self.explain_text(|| e.to_string()),
            )),
            Item::FromWildcard(column) => Ok((
                Expr::Column(*column),
                self.explain_text(|| scope.columns[*column].1.clone()),
            )),
        }
    }

    /// Compiles the select list plus hidden ORDER BY columns and HAVING.
    fn select_list(
        &mut self,
        projection: &[ast::SelectItem],
        scope: &Scope,
        aggregation: &mut Aggregation,
        having: Option<&ast::Expr>,
        order_by: &[ast::OrderByExpr],
    ) -> Result<PostSelect> {
        let mut exprs = Vec::new();
        let mut names = Vec::new();
        let open = SelectListSeries::Open {
            width: scope.len(),
            taken: false,
            call: None,
        };
        let (items, found) = self.with_series(open, |p| {
            p.select_items(projection, scope, aggregation, &mut exprs, &mut names)
        });
        items?;
        let series = match found {
            SelectListSeries::Open { call, .. } => call.map(|c| *c),
            SelectListSeries::Refused(_) => None,
        };
        let (post, _) = self.with_series(SelectListSeries::Refused(Some("ORDER BY")), |p| {
            p.select_tail(scope, aggregation, having, order_by, exprs, names)
        });
        Ok(PostSelect { series, ..post? })
    }

    /// Compiles the items of a select list into `exprs`, named `names`.
    fn select_items(
        &mut self,
        projection: &[ast::SelectItem],
        scope: &Scope,
        aggregation: &mut Aggregation,
        exprs: &mut Vec<Expr>,
        names: &mut Vec<String>,
    ) -> Result<()> {
        for item in projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) => {
                    exprs.push(self.expr(e, scope, Some(aggregation))?);
                    names.push(self.column_name(e));
                }
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    if alias.quote_style == Some('\'') {
                        // sqlparser takes `SELECT 'a' 'b'` as an alias; PostgreSQL has no
                        // string aliases and rejects it.
                        return Err(Error::SyntaxRule(format!(
                            "syntax error at or near \"'{}'\"",
                            alias.value
                        )));
                    }
                    exprs.push(self.expr(expr, scope, Some(aggregation))?);
                    names.push(ident(alias));
                }
                other => {
                    for i in wildcard_columns(other, scope)? {
                        exprs.push(Expr::Column(i));
                        names.push(scope.columns[i].1.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// Compiles HAVING and the ORDER BY columns the select list `exprs` lacks.
    fn select_tail(
        &mut self,
        scope: &Scope,
        aggregation: &mut Aggregation,
        having: Option<&ast::Expr>,
        order_by: &[ast::OrderByExpr],
        mut exprs: Vec<Expr>,
        names: Vec<String>,
    ) -> Result<PostSelect> {
        let having = match having {
            Some(h) => Some((
                self.without_windows("in HAVING", |p| p.expr(h, scope, Some(aggregation)))?,
                self.explain_text(|| h.to_string()),
            )),
            None => None,
        };
        let visible = exprs.len();
        let mut keys = Vec::new();
        for o in order_by {
            let column = match self.order_column(&o.expr, &exprs, &names)? {
                Some(c) => c,
                None => {
                    // An expression the select list computes already is that column, as
                    // PostgreSQL matches it: `SELECT DISTINCT a + 1 ... ORDER BY a + 1`
                    // sorts by the output column.
                    let e = self.expr(&o.expr, scope, Some(aggregation))?;
                    match grouping::key_position(&e, &exprs[..visible])? {
                        Some(c) => c,
                        None => {
                            exprs.push(e);
                            exprs.len() - 1
                        }
                    }
                }
            };
            keys.push(sort_key(column, o));
        }
        Ok(PostSelect {
            exprs,
            names,
            visible,
            keys,
            order_text: self.explain_text(|| order_text(order_by)),
            having,
            distinct_on: None,
            windows: Vec::new(),
            series: None,
        })
    }

    /// An ORDER BY item that names an output column (by position or name), given the
    /// output columns' `names` and compiled `exprs`. A name several output columns have
    /// is the first of them if they all compute the same thing, and ambiguous (42702)
    /// otherwise, as in PostgreSQL; a name no output column has is left to the input.
    fn order_column(
        &mut self,
        e: &ast::Expr,
        exprs: &[Expr],
        names: &[String],
    ) -> Result<Option<usize>> {
        if let Some(pos) = position(e, "ORDER BY", names.len())? {
            return Ok(Some(pos));
        }
        let ast::Expr::Identifier(i) = unparenthesized(e) else {
            return Ok(None);
        };
        let n = ident(i);
        let mut hits = names.iter().enumerate().filter(|(_, x)| **x == n);
        let Some((first, _)) = hits.next() else {
            return Ok(None);
        };
        for (other, _) in hits {
            if !grouping::same(&exprs[first], &exprs[other])? {
                return Err(Error::AmbiguousColumn(n));
            }
        }
        Ok(Some(first))
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_select(
        &mut self,
        mut plan: Plan,
        post: PostSelect,
        distinct: bool,
        limit: Option<usize>,
        offset: usize,
        locks: &[ast::LockClause],
        aggregated: bool,
    ) -> Result<Planned> {
        if let Some((predicate, text)) = post.having {
            plan = Plan::Filter {
                source: Box::new(plan),
                predicate,
                text,
            };
        }
        let locking = row_locking(locks)?;
        if locking.is_some() && !post.windows.is_empty() {
            return Err(unsupported("FOR UPDATE/FOR SHARE with window functions"));
        }
        if let Some(rows) = locking {
            if self.nesting > 0 {
                return Err(unsupported(
                    "FOR UPDATE/FOR SHARE in a subquery or a WITH query",
                ));
            }
            match &mut plan {
                Plan::Scan { lock, .. }
                    if !aggregated && !distinct && post.distinct_on.is_none() =>
                {
                    *lock = Some(Box::new(Locking {
                        rows,
                        order: post.keys.clone(),
                        order_text: post.order_text.clone(),
                        count: limit.map(|l| l.saturating_add(offset)),
                    }))
                }
                _ => return Err(unsupported(
                    "FOR UPDATE/FOR SHARE with joins, subqueries in FROM, aggregates or DISTINCT",
                )),
            }
        }
        if !post.windows.is_empty() {
            plan = Plan::Window {
                source: Box::new(plan),
                calls: post.windows,
            };
        }
        let width = post.exprs.len();
        let hidden = width > post.visible;
        plan = Plan::Project {
            source: Box::new(plan),
            exprs: post.exprs,
        };
        if distinct {
            if hidden {
                return Err(Error::InvalidColumnReference(
                    "for SELECT DISTINCT, ORDER BY expressions must appear in select list".into(),
                ));
            }
            plan = Plan::Distinct {
                source: Box::new(plan),
            };
        }
        // A locking scan returns its rows in ORDER BY order itself: in the order their
        // snapshot versions sort in, which a READ COMMITTED re-check does not change (as
        // in PostgreSQL, where the rows are sorted before they are locked).
        if !post.keys.is_empty() && locking.is_none() {
            plan = Plan::Sort {
                source: Box::new(plan),
                keys: post.keys,
                text: post.order_text,
            };
        }
        if let Some(columns) = post.distinct_on {
            plan = Plan::DistinctOn {
                source: Box::new(plan),
                columns,
            };
        }
        if limit.is_some() || offset > 0 {
            plan = Plan::Limit {
                source: Box::new(plan),
                offset,
                limit,
            };
        }
        if hidden {
            plan = Plan::Project {
                source: Box::new(plan),
                exprs: (0..post.visible).map(Expr::Column).collect(),
            };
        }
        Ok(Planned {
            plan,
            columns: post.names.into(),
        })
    }

    /// Plans the items of a FROM clause (or of `UPDATE ... FROM`, `DELETE ... USING`),
    /// joined, and the scope of their columns.
    pub(crate) fn from(&mut self, from: &[ast::TableWithJoins]) -> Result<(Plan, Scope)> {
        let mut result: Option<(Plan, Scope)> = None;
        for twj in from {
            let start = self.recursive_refs;
            // A function after a comma may read the items before it, if it is the
            // right side of their join (not followed by joins of its own).
            let lateral = match &result {
                None => Lateral::None,
                Some((_, left)) if twj.joins.is_empty() => Lateral::Allowed(left),
                Some((_, left)) => Lateral::Refused(left),
            };
            let (mut plan, mut scope) = self.table_factor(&twj.relation, lateral)?;
            for join in &twj.joins {
                let before_right = self.recursive_refs;
                let (kind, constraint) = match &join.join_operator {
                    ast::JoinOperator::Join(c) | ast::JoinOperator::Inner(c) => {
                        (JoinKind::Inner, Some(c))
                    }
                    ast::JoinOperator::Left(c) | ast::JoinOperator::LeftOuter(c) => {
                        (JoinKind::Left, Some(c))
                    }
                    ast::JoinOperator::Right(c) | ast::JoinOperator::RightOuter(c) => {
                        (JoinKind::Right, Some(c))
                    }
                    ast::JoinOperator::FullOuter(c) => (JoinKind::Full, Some(c)),
                    ast::JoinOperator::CrossJoin(_) => (JoinKind::Inner, None),
                    _ => return Err(unsupported("this kind of join")),
                };
                let lateral = match kind {
                    JoinKind::Inner | JoinKind::Left => Lateral::Allowed(&scope),
                    JoinKind::Right | JoinKind::Full => Lateral::Refused(&scope),
                };
                let (right, rscope) = self.table_factor(&join.relation, lateral)?;
                let refers = |from: usize, to: usize| to > from;
                if (kind.keeps_left() && refers(before_right, self.recursive_refs))
                    || (kind.keeps_right() && refers(start, before_right))
                {
                    return Err(self.misplaced_recursive_reference("within an outer join"));
                }
                let merged = match constraint {
                    Some(ast::JoinConstraint::Using(names)) => {
                        Some(using_columns(&scope, &rscope, names)?)
                    }
                    Some(ast::JoinConstraint::Natural) => Some(natural_columns(&scope, &rscope)?),
                    _ => None,
                };
                let left_width = scope.len();
                let right_width = rscope.len();
                scope.join(rscope)?;
                let on = match (constraint, &merged) {
                    (_, Some(pairs)) => merged_condition(&scope, left_width, pairs),
                    (Some(ast::JoinConstraint::On(e)), None) => Some((
                        self.without_windows("in JOIN conditions", |p| p.expr(e, &scope, None))?,
                        self.explain_text(|| e.to_string()),
                    )),
                    _ => None,
                };
                plan = Plan::Join {
                    left: Box::new(plan),
                    right: Box::new(right),
                    kind,
                    on,
                    left_width,
                    right_width,
                };
                if let Some(pairs) = merged {
                    (plan, scope) = merge_columns(plan, scope, left_width, &pairs, kind);
                }
            }
            result = Some(match result {
                None => (plan, scope),
                Some((left, mut lscope)) => {
                    let (left_width, right_width) = (lscope.len(), scope.len());
                    lscope.join(scope)?;
                    (
                        Plan::Join {
                            left: Box::new(left),
                            right: Box::new(plan),
                            kind: JoinKind::Inner,
                            on: None,
                            left_width,
                            right_width,
                        },
                        lscope,
                    )
                }
            });
        }
        Ok(result.unwrap_or((
            Plan::Values {
                rows: vec![Vec::new()],
            },
            Scope::default(),
        )))
    }

    /// Plans one item of a FROM clause; `lateral` says whether a function call may read
    /// the items before it.
    fn table_factor(
        &mut self,
        f: &ast::TableFactor,
        lateral: Lateral<'_>,
    ) -> Result<(Plan, Scope)> {
        match f {
            ast::TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                if let [ast::ObjectNamePart::Identifier(part)] = &name.0[..] {
                    let wanted = ident(part);
                    if let Some(i) = self.ctes.iter().rposition(|c| c.name == wanted) {
                        let plan = self.cte_reference(i, alias.as_ref())?;
                        let cte = &self.ctes[i];
                        let qualifier = alias.as_ref().map_or(cte.name.clone(), |a| ident(&a.name));
                        let mut scope = Scope::of_output(&cte.output, &qualifier);
                        rename_columns(&mut scope, &qualifier, &cte.columns)?;
                        if let Some(a) = alias {
                            rename_columns(&mut scope, &qualifier, &a.columns)?;
                        }
                        return Ok((plan, scope));
                    }
                }
                let table = match self.relation(name, alias.as_ref())? {
                    view::Relation::Table(table) => table,
                    view::Relation::View(planned) => return Ok(*planned),
                };
                let alias_name = alias.as_ref().map(|a| ident(&a.name));
                let qualifier = alias_name.clone().unwrap_or_else(|| table.name.clone());
                let mut scope = Scope::of_table(&table, &qualifier);
                if let Some(a) = alias {
                    rename_columns(&mut scope, &qualifier, &a.columns)?;
                }
                Ok((
                    Plan::Scan {
                        table,
                        alias: alias_name,
                        access: Access::Full,
                        filter: None,
                        lock: None,
                    },
                    scope,
                ))
            }
            ast::TableFactor::Table {
                name,
                alias,
                args: Some(args),
                with_ordinality,
                ..
            } => self.function_item(
                series::FunctionItem {
                    name,
                    args: &args.args,
                    alias: alias.as_ref(),
                    with_ordinality: *with_ordinality,
                },
                lateral,
            ),
            // `LATERAL` before a function changes nothing: a function in FROM may read
            // the items before it anyway, as in PostgreSQL.
            ast::TableFactor::Function {
                name, args, alias, ..
            } => self.function_item(
                series::FunctionItem {
                    name,
                    args,
                    alias: alias.as_ref(),
                    with_ordinality: false,
                },
                lateral,
            ),
            ast::TableFactor::Derived {
                lateral: false,
                subquery,
                alias,
                sample: None,
            } => {
                let planned = self.nested(|p| p.query(subquery))?;
                let name = alias
                    .as_ref()
                    .map_or("subquery".to_string(), |a| ident(&a.name));
                derived(planned, name, alias.as_ref().map(|a| &a.columns[..]))
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.from(std::slice::from_ref(table_with_joins)),
            other => Err(unsupported(format!("FROM item {other}"))),
        }
    }

    /// The name PostgreSQL gives an unaliased output column for `e`.
    pub fn column_name(&self, e: &ast::Expr) -> String {
        self.named(e)
            .map_or_else(|| "?column?".into(), |(name, _)| name)
    }

    /// PostgreSQL's `FigureColname`: a name for `e` and how strongly it holds. A
    /// column, a function call or a subquery names its column for sure (`Strong`); a
    /// cast or a CASE gives its type's name or `case` only when what is inside has no
    /// strong name (`Weak`): `a::text` is `a`, `(a + 1)::text` is `text`.
    fn named(&self, e: &ast::Expr) -> Option<(String, Strength)> {
        let strong = |name: String| Some((name, Strength::Strong));
        match e {
            ast::Expr::Identifier(i) => strong(ident(i)),
            ast::Expr::CompoundIdentifier(parts) => strong(ident(parts.last()?)),
            ast::Expr::Function(f) => strong(object_name(&f.name).ok()?),
            ast::Expr::Ceil { .. } => strong("ceil".into()),
            ast::Expr::Trim { trim_where, .. } => strong(
                match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                }
                .into(),
            ),
            ast::Expr::Floor { .. } => strong("floor".into()),
            ast::Expr::Position { .. } => strong("position".into()),
            ast::Expr::Substring { shorthand, .. } => {
                strong(if *shorthand { "substr" } else { "substring" }.into())
            }
            ast::Expr::Nested(inner) => self.named(inner),
            ast::Expr::Cast {
                expr, data_type, ..
            } => match self.named(expr) {
                Some((name, Strength::Strong)) => strong(name),
                _ => Some((type_column_name(data_type), Strength::Weak)),
            },
            ast::Expr::TypedString(ts) => Some((type_column_name(&ts.data_type), Strength::Weak)),
            ast::Expr::Interval(_) => Some(("interval".into(), Strength::Weak)),
            ast::Expr::Extract { .. } => strong("extract".into()),
            ast::Expr::Case { else_result, .. } => {
                match else_result.as_deref().and_then(|x| self.named(x)) {
                    Some((name, Strength::Strong)) => strong(name),
                    _ => Some(("case".into(), Strength::Weak)),
                }
            }
            ast::Expr::Exists { negated: false, .. } => strong("exists".into()),
            ast::Expr::Subquery(q) => match q.body.as_ref() {
                ast::SetExpr::Select(s) => match s.projection.first() {
                    Some(ast::SelectItem::UnnamedExpr(e)) => strong(self.column_name(e)),
                    Some(ast::SelectItem::ExprWithAlias { alias, .. }) => strong(ident(alias)),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// Plans a subquery used inside an expression, with `scope` as its enclosing row.
    /// In the select list, HAVING or ORDER BY of a query (`aggregation` is set) it
    /// records whether the subquery refers to that row, which matters if the query turns
    /// out to aggregate.
    fn subquery(
        &mut self,
        q: &ast::Query,
        scope: &Scope,
        aggregation: Option<&mut Aggregation>,
    ) -> Result<(Box<Subquery>, usize)> {
        self.outer.push(Enclosing {
            scope: scope.clone(),
            groups: aggregation.as_ref().and_then(|a| a.groups.clone()),
            referenced: None,
        });
        let before = self.outer_refs;
        let planned = self.nested(|p| p.query(q));
        let referenced = self.outer.pop().and_then(|e| e.referenced);
        let planned = planned?;
        if let (Some(a), Some(column)) = (aggregation, referenced) {
            a.outer_reference.get_or_insert(column);
        }
        let correlated = self.outer_refs > before;
        if let Some(r) = &mut self.recorder {
            // A subquery caches its rows for one execution: such plans are not reused.
            r.uncacheable();
        }
        let width = planned.columns.len();
        Ok((
            Box::new(Subquery {
                plan: planned.plan,
                correlated,
                cached: OnceLock::new(),
            }),
            width,
        ))
    }

    fn column(&mut self, qualifier: Option<&str>, name: &str, scope: &Scope) -> Result<Expr> {
        if let Some(i) = scope.resolve(qualifier, name)? {
            return Ok(Expr::Column(i));
        }
        for (depth, outer) in self.outer.iter_mut().rev().enumerate() {
            if let Some(i) = outer.scope.resolve(qualifier, name)? {
                self.outer_refs += 1;
                let index = match &outer.groups {
                    None => i,
                    Some(groups) => groups
                        .get(i)
                        .copied()
                        .flatten()
                        .ok_or_else(|| ungrouped_outer_column(&outer.scope.qualified(i)))?,
                };
                outer
                    .referenced
                    .get_or_insert_with(|| outer.scope.qualified(i));
                return Ok(Expr::Outer { depth, index });
            }
        }
        let shown = match qualifier {
            Some(q)
                if !scope.has_qualifier(q)
                    && !self.outer.iter().any(|s| s.scope.has_qualifier(q)) =>
            {
                return Err(Error::MissingFromEntry(q.to_string()));
            }
            Some(q) => format!("{q}.{name}"),
            None => name.to_string(),
        };
        Err(Error::UndefinedColumn(format!("\"{shown}\"")))
    }

    /// Compiles a scalar expression (no aggregates) against `scope`.
    pub fn scalar(&mut self, e: &ast::Expr, scope: &Scope) -> Result<Expr> {
        self.expr(e, scope, None)
    }

    /// Compiles an expression against `scope`. Aggregate calls are allowed where
    /// `grouping` collects them: in a select list, HAVING and ORDER BY.
    fn expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        // This function is on the recursive path of every level of an expression: it keeps
        // its stack frame small (in debug builds too, where a frame holds every local of
        // every match arm) by leaving the work to the functions it calls.
        stack_depth::check()?;
        match e {
            ast::Expr::BinaryOp {
                left,
                op: ast::BinaryOperator::PGExp,
                right,
            } => self.call_of(Function::Power, &[left, right], scope, grouping),
            ast::Expr::BinaryOp { left, op, right } => {
                let op = binary_op(op)?;
                self.binary(left, op, right, scope, grouping)
            }
            ast::Expr::IsDistinctFrom(left, right) => {
                self.binary(left, BinaryOp::IsDistinctFrom, right, scope, grouping)
            }
            ast::Expr::IsNotDistinctFrom(left, right) => {
                self.binary(left, BinaryOp::IsNotDistinctFrom, right, scope, grouping)
            }
            e => self.compile(e, scope, grouping),
        }
    }

    /// Compiles `left op right`: the node of a chain such as `1+1+...+1`.
    fn binary(
        &mut self,
        left: &ast::Expr,
        op: BinaryOp,
        right: &ast::Expr,
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let l = self.expr(left, scope, grouping.as_deref_mut())?;
        let r = self.expr(right, scope, grouping)?;
        self.fold(Expr::Binary(op, Box::new(l), Box::new(r)))
    }

    /// Compiles a call of `f` on `args`, as SQL syntax of its own spells some
    /// (`x ^ y`, `TRIM(...)`).
    fn call_of(
        &mut self,
        f: Function,
        args: &[&ast::Expr],
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let mut compiled = Vec::with_capacity(args.len());
        for a in args {
            compiled.push(self.expr(a, scope, grouping.as_deref_mut())?);
        }
        self.fold(Expr::Call(f, compiled))
    }

    /// `TRIM([BOTH | LEADING | TRAILING] [characters] FROM text)`, and `TRIM(text [,
    /// characters])`: `btrim`, `ltrim` or `rtrim`.
    /// Compiles `CASE [operand] WHEN ... THEN ... [ELSE ...] END`.
    fn case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let operand = match operand {
            Some(o) => Some(Box::new(self.expr(o, scope, grouping.as_deref_mut())?)),
            None => None,
        };
        let mut whens = Vec::new();
        for c in conditions {
            let cond = self.expr(&c.condition, scope, grouping.as_deref_mut())?;
            let result = self.expr(&c.result, scope, grouping.as_deref_mut())?;
            whens.push((cond, result));
        }
        let mut otherwise = match else_result {
            Some(x) => Some(Box::new(self.expr(x, scope, grouping.as_deref_mut())?)),
            None => None,
        };
        let mut results: Vec<&mut Expr> = whens.iter_mut().map(|(_, r)| r).collect();
        results.extend(otherwise.as_deref_mut());
        typing::unify_numbers(columns(scope, grouping.as_deref()), &mut results)?;
        Ok(Expr::Case {
            operand,
            whens,
            otherwise,
        })
    }

    fn trim(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let ast::Expr::Trim {
            expr,
            trim_where,
            trim_what,
            trim_characters,
        } = e
        else {
            return Err(unsupported(format!("expression {e}")));
        };
        let f = match trim_where {
            None | Some(ast::TrimWhereField::Both) => Function::Btrim,
            Some(ast::TrimWhereField::Leading) => Function::Ltrim,
            Some(ast::TrimWhereField::Trailing) => Function::Rtrim,
        };
        let mut args: Vec<&ast::Expr> = vec![expr];
        match (trim_what, trim_characters.as_deref()) {
            (Some(what), None) => args.push(what),
            (None, Some([chars])) => args.push(chars),
            (None, None) => {}
            _ => return Err(unsupported(format!("expression {e}"))),
        }
        self.call_of(f, &args, scope, grouping)
    }

    /// Compiles any expression but a binary operation ([`Planner::expr`]).
    fn compile(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let compiled = match e {
            ast::Expr::Identifier(i) => return self.column(None, &ident(i), scope),
            ast::Expr::CompoundIdentifier(parts) => {
                let names: Vec<String> = parts.iter().map(ident).collect();
                return match names.as_slice() {
                    [q, n] => self.column(Some(q), n, scope),
                    [_, q, n] => self.column(Some(q), n, scope),
                    _ => Err(unsupported(format!("name {e}"))),
                };
            }
            ast::Expr::Value(v) => self.value(&v.value)?,
            ast::Expr::Nested(inner) => return self.expr(inner, scope, grouping),
            ast::Expr::UnaryOp { op, expr } => {
                if let Some(n) = signed_number(e) {
                    // A negative literal is one constant, as in PostgreSQL's grammar:
                    // -9223372036854775808 is a bigint, though 9223372036854775808 is not.
                    return Ok(Expr::Const(number(&n)?));
                }
                let inner = self.expr(expr, scope, grouping)?;
                match op {
                    ast::UnaryOperator::Minus => Expr::Neg(Box::new(inner)),
                    ast::UnaryOperator::Plus => inner,
                    ast::UnaryOperator::Not => Expr::Not(Box::new(inner)),
                    other => return Err(unsupported(format!("operator {other}"))),
                }
            }
            ast::Expr::IsNull(x) => Expr::IsNull(Box::new(self.expr(x, scope, grouping)?), false),
            ast::Expr::IsNotNull(x) => Expr::IsNull(Box::new(self.expr(x, scope, grouping)?), true),
            ast::Expr::IsTrue(x)
            | ast::Expr::IsNotTrue(x)
            | ast::Expr::IsFalse(x)
            | ast::Expr::IsNotFalse(x) => {
                let want = matches!(e, ast::Expr::IsTrue(_) | ast::Expr::IsNotTrue(_));
                let negated = matches!(e, ast::Expr::IsNotTrue(_) | ast::Expr::IsNotFalse(_));
                // `x IS TRUE` is `x IS NOT DISTINCT FROM true`: never NULL.
                let op = if negated {
                    BinaryOp::IsDistinctFrom
                } else {
                    BinaryOp::IsNotDistinctFrom
                };
                Expr::Binary(
                    op,
                    Box::new(self.expr(x, scope, grouping)?),
                    Box::new(Expr::Const(Value::Boolean(want))),
                )
            }
            ast::Expr::InList {
                expr,
                list,
                negated,
            } => {
                let x = self.expr(expr, scope, grouping.as_deref_mut())?;
                let mut items = Vec::new();
                for i in list {
                    items.push(self.expr(i, scope, grouping.as_deref_mut())?);
                }
                Expr::InList {
                    expr: Box::new(x),
                    list: items,
                    negated: *negated,
                }
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let v1 = self.expr(expr, scope, grouping.as_deref_mut())?;
                let v2 = self.expr(expr, scope, grouping.as_deref_mut())?;
                let lo = self.expr(low, scope, grouping.as_deref_mut())?;
                let hi = self.expr(high, scope, grouping)?;
                let (op_lo, op_hi, join) = if *negated {
                    (BinaryOp::Lt, BinaryOp::Gt, BinaryOp::Or)
                } else {
                    (BinaryOp::GtEq, BinaryOp::LtEq, BinaryOp::And)
                };
                Expr::Binary(
                    join,
                    Box::new(Expr::Binary(op_lo, Box::new(v1), Box::new(lo))),
                    Box::new(Expr::Binary(op_hi, Box::new(v2), Box::new(hi))),
                )
            }
            ast::Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            }
            | ast::Expr::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => {
                let x = self.expr(expr, scope, grouping.as_deref_mut())?;
                let p = match escape_char {
                    // As PostgreSQL: the pattern rewritten to LIKE's own escape.
                    Some(escape) => {
                        self.call_of(Function::LikeEscape, &[pattern, escape], scope, grouping)?
                    }
                    None => self.expr(pattern, scope, grouping)?,
                };
                Expr::Like {
                    expr: Box::new(x),
                    pattern: Box::new(p),
                    negated: *negated,
                    case_insensitive: matches!(e, ast::Expr::ILike { .. }),
                }
            }
            ast::Expr::Cast {
                expr,
                data_type: t,
                format: None,
                ..
            } => {
                let ty = data_type(t)?;
                Expr::Cast(Box::new(self.expr(expr, scope, grouping)?), ty)
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                // CASE may leave its branches unevaluated: PostgreSQL refuses a
                // set-returning call in one.
                let refused = SelectListSeries::Refused(Some("CASE"));
                self.with_series(refused, |p| {
                    p.case(
                        operand.as_deref(),
                        conditions,
                        else_result.as_deref(),
                        scope,
                        grouping,
                    )
                })
                .0?
            }
            ast::Expr::Function(f) => return self.function(f, scope, grouping),
            ast::Expr::Trim { .. } => return self.trim(e, scope, grouping),
            ast::Expr::Ceil { expr, field } | ast::Expr::Floor { expr, field } => {
                if !matches!(
                    field,
                    ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime)
                ) {
                    return Err(unsupported(format!("expression {e}")));
                }
                let f = match e {
                    ast::Expr::Ceil { .. } => Function::Ceil,
                    _ => Function::Floor,
                };
                let arg = self.expr(expr, scope, grouping)?;
                return self.fold(Expr::Call(f, vec![arg]));
            }
            ast::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.expr(expr, scope, grouping.as_deref_mut())?];
                args.push(match substring_from {
                    Some(from) => self.expr(from, scope, grouping.as_deref_mut())?,
                    None => Expr::Const(Value::Integer(1)),
                });
                if let Some(count) = substring_for {
                    args.push(self.expr(count, scope, grouping.as_deref_mut())?);
                }
                return self.fold(Expr::Call(Function::Substr, args));
            }
            // The SQL standard's spelling of strpos(string, substring).
            ast::Expr::Position { expr, r#in } => {
                let args = vec![
                    self.expr(r#in, scope, grouping.as_deref_mut())?,
                    self.expr(expr, scope, grouping.as_deref_mut())?,
                ];
                return self.fold(Expr::Call(Function::Strpos, args));
            }
            ast::Expr::Subquery(q) => {
                let (sub, width) = self.subquery(q, scope, grouping)?;
                if width != 1 {
                    return Err(Error::SyntaxRule(
                        "subquery must return only one column".into(),
                    ));
                }
                Expr::Subquery(sub)
            }
            ast::Expr::Exists { subquery, negated } => {
                let (sub, _) = self.subquery(subquery, scope, grouping)?;
                Expr::Exists {
                    subquery: sub,
                    negated: *negated,
                }
            }
            ast::Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let x = self.expr(expr, scope, grouping.as_deref_mut())?;
                let (sub, width) = self.subquery(subquery, scope, grouping)?;
                if width != 1 {
                    return Err(Error::SyntaxRule("subquery has too many columns".into()));
                }
                Expr::InSubquery {
                    expr: Box::new(x),
                    subquery: sub,
                    negated: *negated,
                }
            }
            ast::Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => return self.quantified(left, compare_op, right, false, scope, grouping),
            ast::Expr::AllOp {
                left,
                compare_op,
                right,
            } => return self.quantified(left, compare_op, right, true, scope, grouping),
            ast::Expr::Interval(i) => Expr::Const(Value::Interval(interval_literal(i)?)),
            ast::Expr::Extract { field, expr, .. } => {
                let field = Expr::Const(Value::Text(extract_field(field)));
                let arg = self.expr(expr, scope, grouping)?;
                let extract = Function::DateTime(DateTimeFunction::Extract);
                return self.fold(Expr::Call(extract, vec![field, arg]));
            }
            ast::Expr::TypedString(ts) => {
                let ty = data_type(&ts.data_type)?;
                let text = match &ts.value.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    other => return Err(unsupported(format!("literal {other}"))),
                };
                Expr::Const(Value::Text(text).cast(ty)?)
            }
            other => return Err(unsupported(format!("expression {other}"))),
        };
        self.fold(compiled)
    }

    fn value(&mut self, v: &ast::Value) -> Result<Expr> {
        Ok(Expr::Const(match v {
            ast::Value::Number(n, _) => number(n)?,
            ast::Value::SingleQuotedString(s)
            | ast::Value::EscapedStringLiteral(s)
            | ast::Value::DoubleQuotedString(s) => Value::Text(s.clone()),
            ast::Value::Boolean(b) => Value::Boolean(*b),
            ast::Value::Null => Value::Null,
            ast::Value::Placeholder(p) => {
                let n: usize = p
                    .strip_prefix('$')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| unsupported(format!("placeholder {p}")))?;
                let missing = || Error::UndefinedParameter(format!("there is no parameter ${n}"));
                let index = n.checked_sub(1).ok_or_else(missing)?;
                if let Some(r) = &mut self.recorder {
                    r.param(index);
                    return Ok(Expr::Param(index));
                }
                self.env.param(index).cloned().ok_or_else(missing)?
            }
            other => return Err(unsupported(format!("literal {other}"))),
        }))
    }

    /// The keys of an `ORDER BY` inside an aggregate call, planned as its arguments are.
    /// A number there is a constant, not a position (as in PostgreSQL). With DISTINCT,
    /// each key must be one of the arguments (42P10): the values are sorted to be made
    /// distinct.
    fn aggregate_order(
        &mut self,
        order_by: &[ast::OrderByExpr],
        args: &[&ast::FunctionArg],
        distinct: bool,
        scope: &Scope,
    ) -> Result<Vec<(Expr, SortKey)>> {
        let mut order = Vec::new();
        for (column, o) in order_by.iter().enumerate() {
            let is_argument = args.iter().any(|a| {
                matches!(a, ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) if *e == o.expr)
            });
            if distinct && !is_argument {
                return Err(Error::InvalidColumnReference(
                    "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list"
                        .into(),
                ));
            }
            let key = self.without_windows("aggregate", |p| p.expr(&o.expr, scope, None))?;
            order.push((key, sort_key(column, o)));
        }
        Ok(order)
    }

    fn function(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
        mut grouping: Option<&mut Aggregation>,
    ) -> Result<Expr> {
        let name = object_name(&f.name)?;
        if !f.within_group.is_empty() {
            return Err(unsupported(format!("{name} with WITHIN GROUP")));
        }
        if f.over.is_some() {
            return self.window_call(f, scope, grouping);
        }
        if matches!(
            name.as_str(),
            "row_number"
                | "rank"
                | "dense_rank"
                | "percent_rank"
                | "cume_dist"
                | "lag"
                | "lead"
                | "first_value"
                | "last_value"
                | "nth_value"
                | "ntile"
        ) {
            return Err(Error::WrongObjectType(format!(
                "window function {name} requires an OVER clause"
            )));
        }
        if name == crate::series::NAME {
            return self.series_in_expression(f, scope);
        }
        let (args, distinct, order_by) = match &f.args {
            ast::FunctionArguments::None => (Vec::new(), false, &[][..]),
            ast::FunctionArguments::List(l) => {
                let order_by = match l.clauses.as_slice() {
                    [] => &[][..],
                    [ast::FunctionArgumentClause::OrderBy(o)] => o.as_slice(),
                    _ => return Err(unsupported(format!("clauses in {name}()"))),
                };
                let distinct = matches!(
                    l.duplicate_treatment,
                    Some(ast::DuplicateTreatment::Distinct)
                );
                (l.args.iter().collect::<Vec<_>>(), distinct, order_by)
            }
            ast::FunctionArguments::Subquery(_) => {
                return Err(unsupported("subquery as function argument"))
            }
        };
        if let Some(function) = is_aggregate_name(&name) {
            let Some(g) = grouping else {
                return Err(Error::Grouping(format!(
                    "aggregate function {name} is not allowed here"
                )));
            };
            let star = matches!(
                args.as_slice(),
                [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
            );
            let mut compiled = Vec::new();
            for a in &args {
                match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a)) => compiled
                        .push(self.without_windows("aggregate", |p| p.expr(a, scope, None))?),
                    _ if star => {}
                    other => return Err(unsupported(format!("argument {other}"))),
                }
            }
            let wanted = if function == AggregateFunction::StringAgg {
                2
            } else {
                1
            };
            let mut compiled = compiled.into_iter();
            let (function, arg, delimiter) = if star && function == AggregateFunction::Count {
                (AggregateFunction::CountStar, None, None)
            } else if args.len() == wanted && !star {
                (function, compiled.next(), compiled.next())
            } else {
                return Err(Error::UndefinedFunction(format!(
                    "function {name} with {} arguments does not exist",
                    args.len()
                )));
            };
            let filter = match &f.filter {
                Some(w) => Some(self.without_windows("in FILTER", |p| p.expr(w, scope, None))?),
                None => None,
            };
            let order = self.aggregate_order(order_by, &args, distinct, scope)?;
            return g.add(Aggregate {
                function,
                arg,
                delimiter,
                distinct,
                filter,
                order,
            });
        }
        if f.filter.is_some() {
            return Err(Error::WrongObjectType(format!(
                "FILTER specified, but {name} is not an aggregate function"
            )));
        }
        if distinct {
            return Err(Error::Syntax(format!(
                "DISTINCT specified, but {name} is not an aggregate function"
            )));
        }
        let sequence_function = match (name.as_str(), args.len()) {
            ("nextval", 1) => Some(SequenceFunction::NextVal),
            ("currval", 1) => Some(SequenceFunction::CurrVal),
            ("setval", 2 | 3) => Some(SequenceFunction::SetVal),
            ("lastval", 0) => Some(SequenceFunction::LastVal),
            _ => None,
        };
        let function = Function::named(&name);
        if sequence_function.is_none() && function.is_some_and(|f| !f.takes(args.len())) {
            return Err(Error::UndefinedFunction(format!(
                "function {name} with {} arguments does not exist",
                args.len()
            )));
        }
        let compile = |p: &mut Self| {
            let mut compiled = Vec::new();
            for a in args {
                match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => {
                        compiled.push(p.expr(x, scope, grouping.as_deref_mut())?)
                    }
                    other => return Err(unsupported(format!("argument {other}"))),
                }
            }
            Ok(compiled)
        };
        // COALESCE may leave arguments unevaluated: PostgreSQL refuses a set-returning
        // call in one.
        let mut compiled = match function {
            Some(Function::Coalesce) => {
                let refused = SelectListSeries::Refused(Some("COALESCE"));
                self.with_series(refused, compile).0?
            }
            _ => compile(self)?,
        };
        if let Some(f) = sequence_function {
            // Volatile: never folded, evaluated each time it runs.
            return Ok(Expr::Sequence(f, compiled));
        }
        let Some(function) = function else {
            return Err(Error::UndefinedFunction(format!(
                "function {name} does not exist"
            )));
        };
        let columns = columns(scope, grouping.as_deref());
        match function {
            Function::Coalesce | Function::Greatest | Function::Least => {
                typing::unify_numbers(columns, &mut compiled.iter_mut().collect::<Vec<_>>())?
            }
            Function::NullIf => typing::unify_nullif(columns, &mut compiled)?,
            _ => {}
        }
        self.fold(Expr::Call(function, compiled))
    }
}

/// True for an operator or function that is NULL whenever an argument is, with the
/// constant NULL among its arguments: PostgreSQL's planner replaces it by NULL without
/// evaluating the other arguments (so `1 / x + NULL` is NULL even where `x` is 0), and
/// so does [`Planner::fold`]. `x NOT IN (NULL)` is `x <> NULL` there, so it counts too.
fn null_on_null_constant(e: &Expr) -> bool {
    let null = |x: &Expr| matches!(x, Expr::Const(Value::Null));
    match e {
        Expr::Binary(op, a, b) => {
            !matches!(
                op,
                BinaryOp::And
                    | BinaryOp::Or
                    | BinaryOp::IsDistinctFrom
                    | BinaryOp::IsNotDistinctFrom
            ) && (null(a) || null(b))
        }
        Expr::Like { expr, pattern, .. } => null(expr) || null(pattern),
        Expr::InList { list, .. } => matches!(list.as_slice(), [only] if null(only)),
        Expr::Call(f, args) => f.is_strict() && args.iter().any(null),
        _ => false,
    }
}

/// How surely a name given to an output column holds ([`Planner::column_name`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    Weak,
    Strong,
}

/// The name PostgreSQL gives a cast's column: the type's internal name (`int4` for
/// `INT`, `float8` for `DOUBLE PRECISION`, `varchar` for `VARCHAR(3)`).
fn type_column_name(t: &ast::DataType) -> String {
    use ast::DataType as D;
    match t {
        D::Int(_) | D::Integer(_) | D::Int4(_) => "int4",
        D::BigInt(_) | D::Int8(_) => "int8",
        D::SmallInt(_) | D::Int2(_) => "int2",
        D::Real | D::Float4 => "float4",
        D::Float(ast::ExactNumberInfo::Precision(p)) if *p <= 24 => "float4",
        D::Float(_) | D::Double(_) | D::DoublePrecision | D::Float8 => "float8",
        D::Numeric(_) | D::Decimal(_) | D::Dec(_) => "numeric",
        D::Varchar(_) | D::CharacterVarying(_) => "varchar",
        D::Char(_) | D::Character(_) => "bpchar",
        D::Boolean | D::Bool => "bool",
        D::Text => "text",
        D::Date => "date",
        D::Timestamp(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => "timestamptz",
        D::Timestamp(..) => "timestamp",
        D::Interval { .. } => "interval",
        other => return other.to_string().to_lowercase(),
    }
    .into()
}

/// The column types an expression compiled against `scope` (and, in a query that
/// aggregates, its aggregates) can see.
fn columns<'s>(scope: &'s Scope, grouping: Option<&'s Aggregation>) -> typing::Columns<'s> {
    typing::Columns {
        scope,
        aggregation: grouping,
    }
}

/// The compiled select list and what hangs off it.
struct PostSelect {
    exprs: Vec<Expr>,
    names: Vec<String>,
    visible: usize,
    keys: Vec<SortKey>,
    order_text: String,
    having: Option<(Expr, String)>,
    /// The columns of `SELECT DISTINCT ON (...)` ([`distinct_on`]).
    distinct_on: Option<Vec<usize>>,
    /// The window function calls, whose values follow the input row's columns.
    windows: Vec<WindowCall>,
    /// The `generate_series` call in the select list, whose value follows the input
    /// row's columns ([`series::multiply`]).
    series: Option<Plan>,
}

/// The row locking that a query's locking clauses ask for, if any: as in PostgreSQL, the
/// strongest mode among them, and NOWAIT if any says so, else SKIP LOCKED if any does.
fn row_locking(locks: &[ast::LockClause]) -> Result<Option<RowLocking>> {
    if locks.iter().any(|l| l.of.is_some()) {
        return Err(unsupported("FOR UPDATE OF"));
    }
    let mode = |l: &ast::LockClause| match l.lock_type {
        ast::LockType::Update => isolde_txn::LockMode::Exclusive,
        ast::LockType::Share => isolde_txn::LockMode::Shared,
    };
    let wait = |l: &ast::LockClause| match l.nonblock {
        None => LockWait::Block,
        Some(ast::NonBlock::SkipLocked) => LockWait::SkipLocked,
        Some(ast::NonBlock::Nowait) => LockWait::NoWait,
    };
    let Some(first) = locks.first() else {
        return Ok(None);
    };
    let mut rows = RowLocking {
        mode: mode(first),
        wait: wait(first),
    };
    for l in &locks[1..] {
        if mode(l) == isolde_txn::LockMode::Exclusive {
            rows.mode = isolde_txn::LockMode::Exclusive;
        }
        rows.wait = rows.wait.max(wait(l));
    }
    Ok(Some(rows))
}

/// The columns `JOIN ... USING (names)` merges: for each name, its column on the left
/// and on the right (a position in `right`), with PostgreSQL's errors for a name missing
/// from a side, on a side twice, or twice in the list.
fn using_columns(
    left: &Scope,
    right: &Scope,
    names: &[ast::ObjectName],
) -> Result<Vec<(usize, usize)>> {
    let mut seen: Vec<String> = Vec::new();
    let mut pairs = Vec::new();
    for n in names {
        let name = object_name(n)?;
        if seen.contains(&name) {
            return Err(Error::JoinColumn {
                sqlstate: "42701",
                message: format!("column name \"{name}\" appears more than once in USING clause"),
            });
        }
        let l = join_side_column(left, &name, "left")?;
        let r = join_side_column(right, &name, "right")?;
        pairs.push((l, r));
        seen.push(name);
    }
    Ok(pairs)
}

/// The columns `NATURAL JOIN` merges: those of the left side, in its order, whose name
/// the right side has too.
fn natural_columns(left: &Scope, right: &Scope) -> Result<Vec<(usize, usize)>> {
    let mut names: Vec<&String> = Vec::new();
    for (i, (_, name)) in left.columns.iter().enumerate() {
        let in_right = (0..right.len()).any(|j| !right.is_hidden(j) && right.columns[j].1 == *name);
        if !left.is_hidden(i) && in_right && !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            Ok((
                join_side_column(left, name, "left")?,
                join_side_column(right, name, "right")?,
            ))
        })
        .collect()
}

/// The one column of a join's side called `name` (unqualified), for USING or NATURAL.
fn join_side_column(side: &Scope, name: &str, which: &str) -> Result<usize> {
    match side.resolve(None, name) {
        Ok(Some(i)) => Ok(i),
        Ok(None) => Err(Error::JoinColumn {
            sqlstate: "42703",
            message: format!(
                "column \"{name}\" specified in USING clause does not exist in {which} table"
            ),
        }),
        Err(_) => Err(Error::JoinColumn {
            sqlstate: "42702",
            message: format!(
                "common column name \"{name}\" appears more than once in {which} table"
            ),
        }),
    }
}

/// The join condition of merged columns, `l1 = r1 AND l2 = r2 ...`, over the joined row
/// (the right side's columns start at `left_width`); None when nothing is merged (a
/// NATURAL JOIN without common columns is a cross join).
fn merged_condition(
    scope: &Scope,
    left_width: usize,
    pairs: &[(usize, usize)],
) -> Option<(Expr, String)> {
    let mut texts = Vec::new();
    let mut condition: Option<Expr> = None;
    for &(l, r) in pairs {
        let r = left_width + r;
        texts.push(format!("{} = {}", scope.qualified(l), scope.qualified(r)));
        let eq = Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Column(l)),
            Box::new(Expr::Column(r)),
        );
        condition = Some(match condition {
            None => eq,
            Some(c) => Expr::Binary(BinaryOp::And, Box::new(c), Box::new(eq)),
        });
    }
    Some((condition?, texts.join(" AND ")))
}

/// The rows of a USING or NATURAL join with the merged columns first, as PostgreSQL
/// puts them: each is the left side's value, the right side's in a RIGHT join, and the
/// first not NULL of the two in a FULL join; the columns it merged are hidden from
/// unqualified names and `*`.
fn merge_columns(
    plan: Plan,
    scope: Scope,
    left_width: usize,
    pairs: &[(usize, usize)],
    kind: JoinKind,
) -> (Plan, Scope) {
    let width = scope.len();
    let mut merged = Scope::default();
    let mut exprs = Vec::with_capacity(pairs.len() + width);
    for &(l, r) in pairs {
        let r = left_width + r;
        merged.columns.push((None, scope.columns[l].1.clone()));
        // As PostgreSQL: the side whose rows are all kept gives the value, and a FULL
        // join takes whichever side has the row.
        let (column, ty) = match kind {
            JoinKind::Inner | JoinKind::Left => (Expr::Column(l), scope.column_type(l)),
            JoinKind::Right => (Expr::Column(r), scope.column_type(r)),
            JoinKind::Full => (
                Expr::Call(Function::Coalesce, vec![Expr::Column(l), Expr::Column(r)]),
                scope
                    .column_type(l)
                    .filter(|t| Some(*t) == scope.column_type(r)),
            ),
        };
        merged.types.push(ty);
        merged.hidden.push(false);
        exprs.push(column);
    }
    exprs.extend((0..width).map(Expr::Column));
    let mut rest = scope;
    for &(l, r) in pairs {
        rest.hidden[l] = true;
        rest.hidden[left_width + r] = true;
    }
    merged.columns.extend(rest.columns);
    merged.types.extend(rest.types);
    merged.hidden.extend(rest.hidden);
    let plan = Plan::Project {
        source: Box::new(plan),
        exprs,
    };
    (plan, merged)
}

/// A query's rows as a FROM item called `name`, its columns renamed by `columns` if
/// given.
fn derived(
    planned: Planned,
    name: String,
    columns: Option<&[ast::TableAliasColumnDef]>,
) -> Result<(Plan, Scope)> {
    let mut scope = Scope::of_output(&planned.columns, &name);
    if let Some(columns) = columns {
        rename_columns(&mut scope, &name, columns)?;
    }
    let plan = Plan::Derived {
        source: Box::new(planned.plan),
        alias: name,
    };
    Ok((plan, scope))
}

/// Renames the first columns of `scope`, the columns of the FROM item `alias`, to
/// `names` (`FROM t AS alias (a, b)`).
fn rename_columns(
    scope: &mut Scope,
    alias: &str,
    names: &[ast::TableAliasColumnDef],
) -> Result<()> {
    if names.len() > scope.columns.len() {
        return Err(Error::InvalidColumnReference(format!(
            "table \"{alias}\" has {} columns available but {} columns specified",
            scope.columns.len(),
            names.len()
        )));
    }
    for (c, n) in scope.columns.iter_mut().zip(names) {
        c.1 = ident(&n.name);
    }
    Ok(())
}

fn sort_key(column: usize, o: &ast::OrderByExpr) -> SortKey {
    let descending = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
    SortKey {
        column,
        descending,
        nulls_first: o.options.nulls_first.unwrap_or(descending),
    }
}

fn order_text(order_by: &[ast::OrderByExpr]) -> String {
    order_by
        .iter()
        .map(|o| o.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn aggregate_text(group_by: &[String]) -> String {
    if group_by.is_empty() {
        "Aggregate".into()
    } else {
        format!("Group By: {}", group_by.join(", "))
    }
}

/// The access path for a scan of `table` filtered by `predicate`; for a predicate with
/// parameters, [`Access::Parameterized`] (chosen at each execution by
/// [`choose_access_now`]).
pub fn choose_access(table: &Table, predicate: &Expr, env: &Env<'_>) -> Access {
    if predicate.mentions_parameters() {
        return Access::Parameterized {
            primary_key: access::primary_key_equalities(table, predicate),
        };
    }
    access::choose(table, predicate, env)
}

/// The access path for a scan of `table` filtered by `predicate`, with the parameter
/// values of `env`.
pub fn choose_access_now(table: &Table, predicate: &Expr, env: &Env<'_>) -> Access {
    access::choose(table, predicate, env)
}

/// Appends to `out` the row key of the point lookup an [`Access::Parameterized`] with
/// `primary_key` equalities makes with the values of `env`; None when the full rules
/// must decide ([`choose_access_now`]).
pub fn primary_key_point(
    table: &Table,
    primary_key: &[Expr],
    env: &Env<'_>,
    out: &mut Vec<u8>,
) -> Option<()> {
    access::primary_key_point(table, primary_key, env, out)
}

/// Puts a WHERE clause into a single-table scan (choosing its access path), or a Filter.
fn add_filter(plan: Plan, predicate: Expr, text: String, env: &Env<'_>) -> Plan {
    match plan {
        Plan::Scan {
            table,
            alias,
            access: Access::Full,
            filter: None,
            lock,
        } => {
            let access = choose_access(&table, &predicate, env);
            Plan::Scan {
                table,
                alias,
                access,
                filter: Some((predicate, text)),
                lock,
            }
        }
        source => Plan::Filter {
            source: Box::new(source),
            predicate,
            text,
        },
    }
}

/// The interval of an `INTERVAL '...'` literal. With a unit after the text (`INTERVAL
/// '2' HOUR`), a bare number counts that unit, as in PostgreSQL; other uses of the SQL
/// standard's interval qualifiers are refused.
fn interval_literal(i: &ast::Interval) -> Result<Interval> {
    let text = match i.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            other => return Err(unsupported(format!("interval literal {other}"))),
        },
        other => return Err(unsupported(format!("interval literal {other}"))),
    };
    let qualified = i.last_field.is_some()
        || i.leading_precision.is_some()
        || i.fractional_seconds_precision.is_some();
    match &i.leading_field {
        None if !qualified => datetime::parse::interval(&text),
        Some(unit) if !qualified && signed_number_text(&text) => {
            datetime::parse::interval(&format!("{} {unit}", text.trim()))
        }
        _ => Err(unsupported(format!("interval literal {i}"))),
    }
}

/// True for text that is one (optionally signed) decimal number.
fn signed_number_text(text: &str) -> bool {
    let t = text.trim();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// The field of `extract(field FROM x)` as text, lower case, as `date_part` takes it.
fn extract_field(field: &ast::DateTimeField) -> String {
    field.to_string().trim_matches('\'').to_lowercase()
}

fn binary_op(op: &ast::BinaryOperator) -> Result<BinaryOp> {
    use ast::BinaryOperator as B;
    Ok(match op {
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::Multiply => BinaryOp::Mul,
        B::Divide => BinaryOp::Div,
        B::Modulo => BinaryOp::Rem,
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::NotEq,
        B::Lt => BinaryOp::Lt,
        B::LtEq => BinaryOp::LtEq,
        B::Gt => BinaryOp::Gt,
        B::GtEq => BinaryOp::GtEq,
        B::And => BinaryOp::And,
        B::Or => BinaryOp::Or,
        B::StringConcat => BinaryOp::Concat,
        other => return Err(unsupported(format!("operator {other}"))),
    })
}

impl Planner<'_, '_> {
    /// Evaluates an expression whose operands are all constants (constant folding); one
    /// whose evaluation fails (division by zero) is kept, to fail if it ever runs. When planning a
    /// plan to cache, an expression whose operands are constants or parameters is folded
    /// the same way at each execution instead: it becomes an [`Expr::Deferred`].
    fn fold(&mut self, e: Expr) -> Result<Expr> {
        if null_on_null_constant(&e) {
            return Ok(Expr::Const(Value::Null));
        }
        if let Expr::Call(Function::DateTime(f), _) = &e {
            // `now()` and the other clocks fixed for a statement are constants of one
            // execution, like a parameter: a cached plan computes them at each (so a
            // condition on them can choose an index); planning never does.
            if f.is_stable() {
                if let Some(r) = &mut self.recorder {
                    return Ok(r.defer(e));
                }
            }
        }
        let foldable = match &e {
            Expr::Neg(a) | Expr::Not(a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => a.is_constant(),
            Expr::Binary(_, a, b) => a.is_constant() && b.is_constant(),
            Expr::InList { expr, list, .. } => {
                expr.is_constant() && list.iter().all(Expr::is_constant)
            }
            Expr::Like { expr, pattern, .. } => expr.is_constant() && pattern.is_constant(),
            Expr::Call(f, args) => !f.is_volatile() && args.iter().all(Expr::is_constant),
            _ => false,
        };
        if !foldable {
            return Ok(e);
        }
        if let Some(r) = &mut self.recorder {
            if e.mentions_parameters() {
                return Ok(r.defer(e));
            }
        }
        match e.eval(&[], self.env) {
            Ok(v) => Ok(Expr::Const(v)),
            // Folding must raise no error that evaluation would not: the expression may
            // sit in a branch that never runs (`CASE WHEN false THEN 1/0 ...`,
            // `COALESCE(1, 1/0)`). Left as it is, it fails when, and if, it runs.
            Err(Error::StackDepthExceeded) => Err(Error::StackDepthExceeded),
            Err(_) => Ok(e),
        }
    }
}
