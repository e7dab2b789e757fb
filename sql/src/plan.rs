//! Query plans: trees of operators the executor runs, and their EXPLAIN text.

use std::fmt::Write as _;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use isolde_txn::LockMode;

use crate::catalog::{Table, ROW_ID};
use crate::explain_analyze::PlanCounts;
use crate::expression::Expr;
use crate::series::SeriesCall;
use crate::types::Value;
use crate::window::WindowCall;

/// How a scan finds a table's rows.
#[derive(Debug)]
pub enum Access {
    /// Every row, in primary key order.
    Full,
    /// The rows with these full primary keys (point lookups).
    KeyPoints(Vec<Vec<Value>>),
    /// The rows whose primary key starts with `eq` and whose next column is in range.
    KeyRange(KeyRange),
    /// The rows whose index columns equal one of these value lists.
    IndexPoints { index: usize, keys: Vec<Vec<Value>> },
    /// The rows whose index columns start with `eq`, the next column in range.
    IndexRange { index: usize, range: KeyRange },
    /// Chosen at each execution of a cached plan from its parameter values (the filter
    /// compares key columns with parameters), as planning with those values would.
    /// `primary_key`, when the filter has exactly one equality with a constant or
    /// parameter for each primary key column: those values, which then make the path a
    /// single point lookup without examining the filter again.
    Parameterized { primary_key: Option<Vec<Expr>> },
}

/// A prefix of equal values followed by a range on the next column.
#[derive(Debug)]
pub struct KeyRange {
    pub eq: Vec<Value>,
    pub lower: Bound<Value>,
    pub upper: Bound<Value>,
}

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFunction {
    CountStar,
    Count,
    /// NUMERIC over integers (as PostgreSQL's `sum(bigint)`), else the argument's type.
    Sum,
    Min,
    Max,
    /// NUMERIC over integers and numerics, double precision over floats.
    Avg,
    /// The values as text, joined by a delimiter given with each.
    StringAgg,
    /// `bool_and` (and the standard's `every`): true if every value is.
    BoolAnd,
    /// `bool_or`: true if any value is.
    BoolOr,
    /// A variance or standard deviation: NUMERIC over integers and numerics, double
    /// precision over floats.
    Statistic(Statistic),
}

/// The statistical aggregates: a variance, or its square root, of a sample (divided by
/// N - 1, so NULL below two values) or of a population (divided by N). `stddev` and
/// `variance` are PostgreSQL's other names for the sample ones, kept apart here only so
/// that a message names the function the query called. How they are computed: the
/// crate's `statistics` module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Stddev,
    StddevSamp,
    StddevPop,
    Variance,
    VarSamp,
    VarPop,
}

impl Statistic {
    const ALL: [Statistic; 6] = [
        Statistic::Stddev,
        Statistic::StddevSamp,
        Statistic::StddevPop,
        Statistic::Variance,
        Statistic::VarSamp,
        Statistic::VarPop,
    ];

    /// The statistic a (folded) function name calls, if any.
    pub fn named(name: &str) -> Option<Statistic> {
        Statistic::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Statistic::Stddev => "stddev",
            Statistic::StddevSamp => "stddev_samp",
            Statistic::StddevPop => "stddev_pop",
            Statistic::Variance => "variance",
            Statistic::VarSamp => "var_samp",
            Statistic::VarPop => "var_pop",
        }
    }

    /// True for a sample's statistic (divided by N - 1), false for a population's.
    pub fn is_sample(self) -> bool {
        !matches!(self, Statistic::StddevPop | Statistic::VarPop)
    }

    /// True for a standard deviation (the square root of the variance).
    pub fn is_deviation(self) -> bool {
        matches!(
            self,
            Statistic::Stddev | Statistic::StddevSamp | Statistic::StddevPop
        )
    }
}

/// One aggregate of an [`Plan::Aggregate`].
#[derive(Debug)]
pub struct Aggregate {
    pub function: AggregateFunction,
    pub arg: Option<Expr>,
    /// `string_agg`'s delimiter, evaluated for each row as its argument is.
    pub delimiter: Option<Expr>,
    pub distinct: bool,
    /// `FILTER (WHERE ...)`: only the rows it accepts are aggregated.
    pub filter: Option<Expr>,
    /// `ORDER BY` inside the call (`string_agg(s, ',' ORDER BY id)`): the order its
    /// values are aggregated in. Each key sorts by the expression of the same position.
    pub order: Vec<(Expr, SortKey)>,
}

/// Which rows of a join's sides without a match it keeps, extended with NULLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// None: only the pairs the condition accepts.
    Inner,
    /// The left side's (`LEFT [OUTER] JOIN`).
    Left,
    /// The right side's (`RIGHT [OUTER] JOIN`).
    Right,
    /// Both sides' (`FULL [OUTER] JOIN`).
    Full,
}

impl JoinKind {
    /// True if unmatched left rows are kept.
    pub fn keeps_left(self) -> bool {
        matches!(self, JoinKind::Left | JoinKind::Full)
    }

    /// True if unmatched right rows are kept.
    pub fn keeps_right(self) -> bool {
        matches!(self, JoinKind::Right | JoinKind::Full)
    }
}

/// The three set operations of SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Intersect,
    Except,
}

impl SetOp {
    /// The SQL keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            SetOp::Union => "UNION",
            SetOp::Intersect => "INTERSECT",
            SetOp::Except => "EXCEPT",
        }
    }
}

/// A sort key: a column of the input, with direction.
#[derive(Clone, Copy, Debug)]
pub struct SortKey {
    pub column: usize,
    pub descending: bool,
    pub nulls_first: bool,
}

/// A scan's locking clause: `FOR UPDATE` or `FOR SHARE`, and what to do about a row
/// another transaction holds a conflicting lock on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowLocking {
    pub mode: LockMode,
    pub wait: LockWait,
}

impl RowLocking {
    /// The lock UPDATE and DELETE take on each row they change.
    pub const EXCLUSIVE: RowLocking = RowLocking {
        mode: LockMode::Exclusive,
        wait: LockWait::Block,
    };
}

/// A scan's locking clause with what of the query above the scan decides which rows it
/// locks: as in PostgreSQL, only the rows the query returns and those its OFFSET passes
/// over, taken in ORDER BY order, so that `ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`
/// locks one row, the first that is free.
#[derive(Debug)]
pub struct Locking {
    pub rows: RowLocking,
    /// The ORDER BY keys, over the rows of the projection above the scan, which sorts
    /// in their place (no Sort node above it).
    pub order: Vec<SortKey>,
    /// The ORDER BY clause, for EXPLAIN.
    pub order_text: String,
    /// OFFSET plus LIMIT, the most rows locked; None for all that match.
    pub count: Option<usize>,
}

/// What a locking scan does about a row another transaction holds; ordered from the
/// weakest claim to the strongest, as several locking clauses combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockWait {
    /// Waits until the holder ends.
    Block,
    /// Passes over the row (`SKIP LOCKED`).
    SkipLocked,
    /// Fails at once with SQLSTATE 55P03 (`NOWAIT`).
    NoWait,
}

/// A `WITH` query's plan, shared by every reference to it, with its rows once one
/// reference ran it (unless it reads an enclosing query's row, which changes from run
/// to run). A plan holding one serves a single execution.
#[derive(Debug)]
pub struct SharedCte {
    pub plan: Plan,
    pub correlated: bool,
    pub rows: OnceLock<Vec<Vec<Value>>>,
}

impl SharedCte {
    pub fn new(plan: Plan, correlated: bool) -> SharedCte {
        SharedCte {
            plan,
            correlated,
            rows: OnceLock::new(),
        }
    }
}

/// The rows the recursive term of a `WITH RECURSIVE` query reads: those the previous
/// iteration produced (see [`crate::recursive`]). Set by its [`Plan::RecursiveUnion`]
/// before each run of the term, so a plan holding one serves a single execution.
#[derive(Debug, Default)]
pub struct WorkingTable {
    pub rows: parking_lot::Mutex<Vec<Vec<Value>>>,
}

/// A plan node. Each produces rows (vectors of values).
#[derive(Debug)]
pub enum Plan {
    /// Literal rows; `SELECT` without `FROM` is one empty row.
    Values {
        rows: Vec<Vec<Expr>>,
    },
    /// Rows of a table found by `access`, kept if `filter` holds; with `lock`, each row
    /// kept is locked (`FOR UPDATE` / `FOR SHARE`) and re-checked at READ COMMITTED.
    Scan {
        table: Arc<Table>,
        alias: Option<String>,
        access: Access,
        filter: Option<(Expr, String)>,
        lock: Option<Box<Locking>>,
    },
    /// The rows of a `WITH` query, called `name` here.
    CteScan {
        name: String,
        cte: Arc<SharedCte>,
    },
    /// `initial UNION [ALL] recursive` of a `WITH RECURSIVE` query called `name`:
    /// `recursive` runs again on the rows of the previous run until it returns none
    /// (see [`crate::recursive`]).
    RecursiveUnion {
        name: String,
        all: bool,
        initial: Box<Plan>,
        recursive: Box<Plan>,
        working: Arc<WorkingTable>,
    },
    /// The rows of the previous iteration of the recursive query `name`.
    WorkingTableScan {
        name: String,
        table: Arc<WorkingTable>,
    },
    /// The rows of a `generate_series` call in FROM, called `alias` there (see
    /// [`crate::series`]).
    FunctionScan {
        call: SeriesCall,
        alias: String,
    },
    /// The output of a subquery in FROM.
    Derived {
        source: Box<Plan>,
        alias: String,
    },
    Filter {
        source: Box<Plan>,
        predicate: Expr,
        text: String,
    },
    Project {
        source: Box<Plan>,
        exprs: Vec<Expr>,
    },
    /// Nested-loop join; the right side is run once and kept in memory. The rows of
    /// the pairs come first, in the left side's order, then the right rows without a
    /// match (for RIGHT and FULL joins), in the right side's order.
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        on: Option<(Expr, String)>,
        left_width: usize,
        right_width: usize,
    },
    /// Groups by `group_by`; outputs the group values then the aggregate values.
    Aggregate {
        source: Box<Plan>,
        group_by: Vec<Expr>,
        aggregates: Vec<Aggregate>,
        text: String,
    },
    Sort {
        source: Box<Plan>,
        keys: Vec<SortKey>,
        text: String,
    },
    Distinct {
        source: Box<Plan>,
    },
    /// Window functions: each row with the value of each call appended.
    Window {
        source: Box<Plan>,
        calls: Vec<WindowCall>,
    },
    /// `DISTINCT ON`: the first row of each set of rows with equal values (NULLs
    /// equal) in `columns`, in the order the rows come in.
    DistinctOn {
        source: Box<Plan>,
        columns: Vec<usize>,
    },
    /// `left UNION / INTERSECT / EXCEPT [ALL] right`, both of the same width.
    SetOperation {
        op: SetOp,
        /// `ALL`: duplicates count (a multiset operation); without it, each distinct row
        /// appears once in the result.
        all: bool,
        left: Box<Plan>,
        right: Box<Plan>,
    },
    Limit {
        source: Box<Plan>,
        offset: usize,
        limit: Option<usize>,
    },
}

impl Plan {
    /// The EXPLAIN text, one line per node, children indented under parents.
    pub fn explain(&self, out: &mut Vec<String>, depth: usize) {
        self.explain_counted(out, depth, None);
    }

    /// The EXPLAIN text with, on the first line of each node the executor counted, what
    /// EXPLAIN ANALYZE adds to it (`(actual rows=3 loops=1)`).
    pub(crate) fn explain_counted(
        &self,
        out: &mut Vec<String>,
        depth: usize,
        counts: Option<&PlanCounts>,
    ) {
        let first = out.len();
        self.explain_node(out, depth, counts);
        // A projection has no line of its own: its source's line is its line, counted
        // with the projection's rows when the source was not counted on its own (a
        // locking scan under it runs inside the projection).
        if let Plan::Project { source, .. } = self {
            if counts.and_then(|c| c.actual(source)).is_some() {
                return;
            }
        }
        if let (Some(line), Some(actual)) =
            (out.get_mut(first), counts.and_then(|c| c.actual(self)))
        {
            line.push(' ');
            line.push_str(&actual);
        }
    }

    fn explain_node(&self, out: &mut Vec<String>, depth: usize, counts: Option<&PlanCounts>) {
        let pad = if depth == 0 {
            String::new()
        } else {
            format!("{}->  ", "  ".repeat(depth * 2 - 1))
        };
        let mut line = pad;
        match self {
            Plan::Values { rows } => {
                let _ = write!(
                    line,
                    "Values ({} row{})",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                );
            }
            Plan::Scan {
                table,
                alias,
                access,
                filter,
                lock,
            } => {
                line.push_str(&describe_access(table, access));
                if let Some(a) = alias.as_ref().filter(|a| **a != table.name) {
                    let _ = write!(line, " {a}");
                }
                out.push(line);
                let inner = "  ".repeat(depth * 2 + 1);
                if let Some(cond) = access_condition(table, access) {
                    out.push(format!("{inner}  {cond}"));
                }
                if let Some((_, text)) = filter {
                    out.push(format!("{inner}  Filter: {text}"));
                }
                if let Some(locking) = lock.as_deref() {
                    if !locking.order.is_empty() {
                        out.push(format!("{inner}  Sort: {}", locking.order_text));
                    }
                    let locking = locking.rows;
                    let mode = if locking.mode == LockMode::Exclusive {
                        "FOR UPDATE"
                    } else {
                        "FOR SHARE"
                    };
                    let wait = match locking.wait {
                        LockWait::Block => "",
                        LockWait::NoWait => " NOWAIT",
                        LockWait::SkipLocked => " SKIP LOCKED",
                    };
                    out.push(format!("{inner}  Lock rows: {mode}{wait}"));
                }
                return;
            }
            Plan::Derived { source, alias } => {
                out.push(format!("{line}Subquery Scan on {alias}"));
                source.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::CteScan { name, cte } => {
                out.push(format!("{line}CTE Scan on {name}"));
                cte.plan.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::RecursiveUnion {
                initial, recursive, ..
            } => {
                out.push(format!("{line}Recursive Union"));
                initial.explain_counted(out, depth + 1, counts);
                recursive.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::FunctionScan { alias, .. } => {
                let _ = write!(line, "Function Scan on {}", crate::series::NAME);
                if alias != crate::series::NAME {
                    let _ = write!(line, " {alias}");
                }
            }
            Plan::WorkingTableScan { name, .. } => {
                let _ = write!(line, "WorkTable Scan on {name}");
            }
            Plan::Filter { source, text, .. } => {
                out.push(format!("{line}Filter: {text}"));
                source.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::Project { source, .. } => return source.explain_counted(out, depth, counts),
            Plan::Join {
                left,
                right,
                kind,
                on,
                ..
            } => {
                let kind = match kind {
                    JoinKind::Inner => "Inner Join",
                    JoinKind::Left => "Left Join",
                    JoinKind::Right => "Right Join",
                    JoinKind::Full => "Full Join",
                };
                let _ = write!(line, "Nested Loop {kind}");
                if let Some((_, text)) = on {
                    let _ = write!(line, " on {text}");
                }
                out.push(line);
                left.explain_counted(out, depth + 1, counts);
                right.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::Aggregate { source, text, .. } => {
                out.push(format!("{line}{text}"));
                source.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::Sort { source, text, .. } => {
                out.push(format!("{line}Sort: {text}"));
                source.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::Distinct { source } => {
                out.push(format!("{line}Distinct"));
                source.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::Window { source, .. } => {
                out.push(format!("{line}WindowAgg"));
                source.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::DistinctOn { source, .. } => {
                out.push(format!("{line}Distinct On"));
                source.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::SetOperation {
                op,
                all,
                left,
                right,
            } => {
                let all = if *all { " ALL" } else { "" };
                out.push(format!("{line}{}{all}", op.keyword()));
                left.explain_counted(out, depth + 1, counts);
                right.explain_counted(out, depth + 1, counts);
                return;
            }
            Plan::Limit {
                source,
                offset,
                limit,
            } => {
                let _ = write!(line, "Limit");
                if let Some(l) = limit {
                    let _ = write!(line, " {l}");
                }
                if *offset > 0 {
                    let _ = write!(line, " offset {offset}");
                }
                out.push(line);
                source.explain_counted(out, depth + 1, counts);
                return;
            }
        }
        out.push(line);
    }
}

fn describe_access(table: &Table, access: &Access) -> String {
    let t = &table.name;
    match access {
        Access::Full => format!("Seq Scan on {t}"),
        Access::Parameterized { .. } => {
            format!("Scan on {t} (access path chosen per execution)")
        }
        Access::KeyPoints(keys) => format!(
            "Primary Key Lookup on {t} ({} key{})",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" }
        ),
        Access::KeyRange(_) => format!("Primary Key Range Scan on {t}"),
        Access::IndexPoints { index, .. } => {
            format!("Index Lookup using {} on {t}", table.indexes[*index].name)
        }
        Access::IndexRange { index, .. } => {
            format!(
                "Index Range Scan using {} on {t}",
                table.indexes[*index].name
            )
        }
    }
}

fn access_condition(table: &Table, access: &Access) -> Option<String> {
    let pk: Vec<String> = if table.primary_key.is_empty() {
        vec![ROW_ID.to_string()]
    } else {
        table
            .primary_key
            .iter()
            .map(|&c| table.columns[c].name.clone())
            .collect()
    };
    let names = |cols: &[usize]| -> Vec<String> {
        cols.iter()
            .map(|&c| table.columns[c].name.clone())
            .collect()
    };
    match access {
        Access::Full | Access::Parameterized { .. } => None,
        Access::KeyPoints(keys) => Some(format!("Key: {}", points(&pk, keys))),
        Access::KeyRange(r) => Some(format!("Key: {}", range(&pk, r))),
        Access::IndexPoints { index, keys } => Some(format!(
            "Index Cond: {}",
            points(&names(&table.indexes[*index].columns), keys)
        )),
        Access::IndexRange { index, range: r } => Some(format!(
            "Index Cond: {}",
            range(&names(&table.indexes[*index].columns), r)
        )),
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Null => "NULL".into(),
        v => v.to_string(),
    }
}

fn points(cols: &[String], keys: &[Vec<Value>]) -> String {
    let tuple = |k: &Vec<Value>| -> String {
        let vals: Vec<String> = k.iter().map(literal).collect();
        if vals.len() == 1 {
            vals[0].clone()
        } else {
            format!("({})", vals.join(", "))
        }
    };
    let lhs = if cols.len() == 1 {
        cols[0].clone()
    } else {
        format!("({})", cols.join(", "))
    };
    if keys.len() == 1 {
        format!("{lhs} = {}", tuple(&keys[0]))
    } else {
        let all: Vec<String> = keys.iter().map(tuple).collect();
        format!("{lhs} IN ({})", all.join(", "))
    }
}

fn range(cols: &[String], r: &KeyRange) -> String {
    let mut parts: Vec<String> =
        r.eq.iter()
            .zip(cols)
            .map(|(v, c)| format!("{c} = {}", literal(v)))
            .collect();
    let col = cols.get(r.eq.len()).cloned().unwrap_or_default();
    match &r.lower {
        Bound::Included(v) => parts.push(format!("{col} >= {}", literal(v))),
        Bound::Excluded(v) => parts.push(format!("{col} > {}", literal(v))),
        Bound::Unbounded => {}
    }
    match &r.upper {
        Bound::Included(v) => parts.push(format!("{col} <= {}", literal(v))),
        Bound::Excluded(v) => parts.push(format!("{col} < {}", literal(v))),
        Bound::Unbounded => {}
    }
    parts.join(" AND ")
}
