//! SQL errors, each with the PostgreSQL SQLSTATE a client would see.
//!
//! Grouped by what the caller must do: retry the transaction (the wrapped transaction
//! errors that are retryable), fix the statement (syntax, names, types, constraint
//! violations), or give up (corrupt stored data).
//!
//! The transaction layer reports conflicts on raw keys. The session adds a *detail* that
//! says the same in SQL terms, as PostgreSQL's `DETAIL:` line does: a key becomes a row
//! of a table with its primary key, an entry of an index, or a table definition, so that
//! a user can see which rows collided. The message keeps PostgreSQL's wording (clients
//! match on it); [`format_error`] prints the detail on a line of its own, as psql does.

use std::fmt;
use std::sync::Arc;

use isolde_txn::{display_key, ConflictKind, SerializationFailure};

use crate::catalog::{Index, Table, ROW_ID};
use crate::encoding::{decode_key, parse_key, StoredKey};
use crate::types::{DataType, Value};

/// Everything that can go wrong running a SQL statement.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A transaction-layer error (serialization failure, deadlock, lock timeout, ...),
    /// kept whole as the source. For the three conflicts the session adds `detail`: who
    /// conflicted with whom, on which row, index entry or table, in SQL terms.
    Txn {
        source: isolde_txn::Error,
        detail: Option<String>,
    },
    /// The text does not parse (42601).
    Syntax(String),
    /// A rule of the grammar that PostgreSQL checks once the text has parsed, such as a
    /// non-integer constant in ORDER BY or a column assigned twice (42601); the message
    /// is PostgreSQL's whole.
    SyntaxRule(String),
    /// No table of this name (42P01).
    UndefinedTable(String),
    /// DROP SEQUENCE of a name that is no sequence (42P01).
    UndefinedSequence(String),
    /// No view of this name, for DROP VIEW (42P01).
    UndefinedView(String),
    /// A view that would read itself (42P17); the message is PostgreSQL's whole.
    InvalidRecursion(String),
    /// A `WITH RECURSIVE` query of the wrong form, or a recursive reference where none
    /// is allowed (42P19); the message is PostgreSQL's whole.
    RecursiveQuery(String),
    /// A recursive `WITH` query that produced more rows than the session allows
    /// ([`crate::recursive`]), named with the limit (54000).
    RecursionLimit { name: String, limit: usize },
    /// A `generate_series` whose rows had all to be held longer than the limit
    /// ([`crate::series`]), named with it (54000).
    SeriesTooLong { limit: usize },
    /// A qualified name whose qualifier is no table in FROM (42P01).
    MissingFromEntry(String),
    /// An ORDER BY position or expression that is not allowed (42P10).
    InvalidColumnReference(String),
    /// A table or index of this name already exists (42P07).
    DuplicateTable(String),
    /// No column of this name (42703).
    UndefinedColumn(String),
    /// A column name matches several columns (42702).
    AmbiguousColumn(String),
    /// A column of `JOIN ... USING` or `NATURAL JOIN` that is missing from a side
    /// (42703), on a side twice (42702) or twice in the list (42701); the message is
    /// PostgreSQL's whole.
    JoinColumn {
        sqlstate: &'static str,
        message: String,
    },
    /// A table definition that cannot be (two primary keys, ...) (42P16).
    InvalidTableDefinition(String),
    /// One table name or alias twice in a FROM clause (42712).
    DuplicateAlias(String),
    /// One name twice in a WITH clause (42712).
    DuplicateWithName(String),
    /// A LIKE pattern that ends in its escape character (22025).
    LikeEndsInEscape,
    /// A column is named twice in one table or column list (42701).
    DuplicateColumn(String),
    /// No index (or setting) of this name (42704).
    UndefinedObject(String),
    /// A unique constraint or primary key would hold the same key twice (23505).
    UniqueViolation {
        constraint: String,
        columns: String,
        values: String,
    },
    /// NULL in a NOT NULL column (23502). `detail` shows the row, as PostgreSQL's does.
    NotNullViolation {
        table: String,
        column: String,
        detail: String,
    },
    /// A row that makes a CHECK constraint false (23514). `detail` shows the row, as
    /// PostgreSQL's does: `Failing row contains (1, -10.00, null).`
    CheckViolation {
        table: String,
        constraint: String,
        detail: String,
    },
    /// A constraint name used twice in one table (42710).
    DuplicateConstraint(String),
    /// ALTER TABLE found an existing row with NULL in a column it makes NOT NULL (23502).
    NullsInColumn { table: String, column: String },
    /// ALTER TABLE found an existing row that a CHECK constraint it adds makes false
    /// (23514).
    CheckViolatedByRow { table: String, constraint: String },
    /// A unique index being built over the existing rows met a key twice (23505); the
    /// detail names the key: `Key (a)=(1) is duplicated.`
    DuplicateKeyInNewIndex { index: String, detail: String },
    /// ALTER TABLE adding or renaming a column to a name the table has (42701).
    ColumnExists { table: String, column: String },
    /// ALTER TABLE adding a constraint under a name the table has (42710).
    ConstraintExists { table: String, constraint: String },
    /// Division or modulo by zero (22012).
    DivisionByZero,
    /// Text that is not a value of the wanted type (22P02).
    InvalidText { ty: &'static str, input: String },
    /// A number too large for its type (22003).
    OutOfRange(String),
    /// A number that does not fit a declared `NUMERIC(p, s)` once rounded to its scale
    /// (22003); the detail names the bound, as PostgreSQL's does: `A field with
    /// precision 6, scale 2 must round to an absolute value less than 10^4.`
    NumericFieldOverflow { detail: String },
    /// Text that is not a date, time or interval (22007).
    InvalidDatetime { ty: &'static str, input: String },
    /// A date or time field out of its range, or a date or time outside its type's
    /// (22008); the message is PostgreSQL's whole.
    DatetimeOverflow(String),
    /// An interval field out of its range while reading text (22015); the message is
    /// PostgreSQL's whole.
    IntervalFieldOverflow(String),
    /// A string longer than its VARCHAR(n) (22001).
    StringTooLong { ty: String },
    /// An invalid argument (22023).
    InvalidArgument(String),
    /// A negative length given to `substr` (22011).
    NegativeSubstringLength,
    /// A number outside a math function's domain: a logarithm of zero or less (2201E),
    /// a square root of a negative number or a power without a real value (2201F).
    MathDomain {
        sqlstate: &'static str,
        message: &'static str,
    },
    /// A window function's count of zero or less: `ntile`'s (22014) or `nth_value`'s
    /// (22016); names the function.
    WindowArgument {
        sqlstate: &'static str,
        function: &'static str,
    },
    /// A window frame PostgreSQL refuses when it runs or types it: a NULL (22004) or
    /// negative (22013) offset, a RANGE offset for a type without one (0A000); the
    /// message is PostgreSQL's whole.
    Frame {
        sqlstate: &'static str,
        message: String,
    },
    /// A LIKE `ESCAPE` string of more than one character (22025).
    InvalidEscapeString,
    /// A string function asked for a result longer than PostgreSQL's 1 GB limit on a
    /// value (54000).
    RequestedLengthTooLarge,
    /// A negative LIMIT (2201W) or OFFSET (2201X); names the clause.
    NegativeRowCount(&'static str),
    /// An expression has the wrong type for where it is used (42804).
    DatatypeMismatch(String),
    /// No operator or function for these argument types, or no function of this name (42883).
    UndefinedFunction(String),
    /// Misuse of grouping or aggregates (42803).
    Grouping(String),
    /// A scalar subquery returned more than one row (21000).
    CardinalityViolation,
    /// `INSERT ... ON CONFLICT DO UPDATE` met a row it inserted or updated itself, from
    /// two proposed rows with the same key (21000, PostgreSQL's cardinality_violation).
    RowAffectedTwice,
    /// The statement nests too deeply to plan or evaluate within the session's max stack
    /// depth, or to parse at all (54001).
    StackDepthExceeded,
    /// Valid SQL that isolde does not implement (0A000); the message names the feature.
    FeatureNotSupported(String),
    /// A statement other than ROLLBACK inside a failed transaction block (25P02).
    InFailedTransaction,
    /// A statement that needs a transaction block outside one (25P01); names it.
    NoTransactionBlock(&'static str),
    /// ROLLBACK TO or RELEASE of a savepoint the block does not have (3B001).
    NoSuchSavepoint(String),
    /// A write in a READ ONLY transaction (25006); names the statement.
    ReadOnly(&'static str),
    /// `FOR UPDATE/SHARE NOWAIT` found a row locked by another transaction (55P03);
    /// names the table.
    RowLocked { table: String },
    /// A READ UNCOMMITTED read met a row another transaction rewrote in its table's new
    /// layout, while its `ALTER TABLE` is still in progress (55P03); names the table.
    TableBeingAltered { table: String },
    /// A transaction-state rule, such as SET TRANSACTION after the first query (25001).
    ActiveTransaction(String),
    /// A `$n` parameter with no value, or values of the wrong count (42P02).
    UndefinedParameter(String),
    /// A sequence ran past its MAXVALUE or MINVALUE without CYCLE (2200H); the message
    /// is PostgreSQL's whole.
    SequenceLimit(String),
    /// An object not in the state the statement needs, such as `currval` before the
    /// session's first `nextval` (55000); the message is PostgreSQL's whole.
    NotInPrerequisiteState(String),
    /// An explicit value for a `GENERATED ALWAYS AS IDENTITY` column (428C9), in an
    /// INSERT or an UPDATE: the message, and the detail naming the column.
    GeneratedAlways { message: String, detail: String },
    /// DROP of an object that others depend on (2BP01): the message, and the detail
    /// naming what depends on it.
    DependentObjects { message: String, detail: String },
    /// A relation of another kind than the statement needs (42809), such as
    /// `nextval('t')` of a table; the message is PostgreSQL's whole.
    WrongObjectType(String),
    /// A window function where none is allowed (42P20); the message is PostgreSQL's.
    Windowing(String),
    /// A stored row or catalog entry does not decode (XX001).
    Corrupt(String),
}

impl Error {
    /// The PostgreSQL SQLSTATE of this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::Txn { source, .. } => source.sqlstate(),
            Error::Syntax(_) | Error::SyntaxRule(_) => "42601",
            Error::UndefinedTable(_)
            | Error::UndefinedSequence(_)
            | Error::UndefinedView(_)
            | Error::MissingFromEntry(_) => "42P01",
            Error::InvalidColumnReference(_) => "42P10",
            Error::DuplicateTable(_) => "42P07",
            Error::UndefinedColumn(_) => "42703",
            Error::AmbiguousColumn(_) => "42702",
            Error::JoinColumn { sqlstate, .. } => sqlstate,
            Error::DuplicateColumn(_) => "42701",
            Error::DuplicateAlias(_) | Error::DuplicateWithName(_) => "42712",
            Error::LikeEndsInEscape => "22025",
            Error::InvalidTableDefinition(_) => "42P16",
            Error::UndefinedObject(_) => "42704",
            Error::UniqueViolation { .. } => "23505",
            Error::NotNullViolation { .. } => "23502",
            Error::CheckViolation { .. } => "23514",
            Error::DuplicateConstraint(_) | Error::ConstraintExists { .. } => "42710",
            Error::NullsInColumn { .. } => "23502",
            Error::CheckViolatedByRow { .. } => "23514",
            Error::DuplicateKeyInNewIndex { .. } => "23505",
            Error::ColumnExists { .. } => "42701",
            Error::DivisionByZero => "22012",
            Error::InvalidText { .. } => "22P02",
            Error::OutOfRange(_) | Error::NumericFieldOverflow { .. } => "22003",
            Error::InvalidDatetime { .. } => "22007",
            Error::DatetimeOverflow(_) => "22008",
            Error::IntervalFieldOverflow(_) => "22015",
            Error::StringTooLong { .. } => "22001",
            Error::InvalidArgument(_) => "22023",
            Error::NegativeSubstringLength => "22011",
            Error::MathDomain { sqlstate, .. } => sqlstate,
            Error::WindowArgument { sqlstate, .. } => sqlstate,
            Error::Frame { sqlstate, .. } => sqlstate,
            Error::InvalidEscapeString => "22025",
            Error::RequestedLengthTooLarge => "54000",
            Error::RecursionLimit { .. } => "54000",
            Error::SeriesTooLong { .. } => "54000",
            Error::RecursiveQuery(_) => "42P19",
            Error::NegativeRowCount("LIMIT") => "2201W",
            Error::NegativeRowCount(_) => "2201X",
            Error::DatatypeMismatch(_) => "42804",
            Error::UndefinedFunction(_) => "42883",
            Error::Grouping(_) => "42803",
            Error::CardinalityViolation | Error::RowAffectedTwice => "21000",
            Error::StackDepthExceeded => "54001",
            Error::FeatureNotSupported(_) => "0A000",
            Error::InFailedTransaction => "25P02",
            Error::NoTransactionBlock(_) => "25P01",
            Error::NoSuchSavepoint(_) => "3B001",
            Error::ReadOnly(_) => "25006",
            Error::RowLocked { .. } | Error::TableBeingAltered { .. } => "55P03",
            Error::ActiveTransaction(_) => "25001",
            Error::UndefinedParameter(_) => "42P02",
            Error::SequenceLimit(_) => "2200H",
            Error::NotInPrerequisiteState(_) => "55000",
            Error::GeneratedAlways { .. } => "428C9",
            Error::DependentObjects { .. } => "2BP01",
            Error::WrongObjectType(_) => "42809",
            Error::InvalidRecursion(_) => "42P17",
            Error::Windowing(_) => "42P20",
            Error::Corrupt(_) => "XX001",
        }
    }

    /// 22003 for a value too large for `NUMERIC(precision, scale)`: its detail names
    /// the bound as PostgreSQL does, `10^(p-s)`, or `1` when `p` equals `s`.
    pub(crate) fn numeric_field_overflow(precision: u32, scale: i32) -> Error {
        let digits = i64::from(precision) - i64::from(scale);
        let bound = match digits {
            0 => "1".to_string(),
            d => format!("10^{d}"),
        };
        Error::NumericFieldOverflow {
            detail: format!(
                "A field with precision {precision}, scale {scale} must round to an absolute value less than {bound}."
            ),
        }
    }

    /// 22003 for an infinite float coerced to `NUMERIC(precision, scale)`.
    pub(crate) fn numeric_field_infinite(precision: u32, scale: i32) -> Error {
        Error::NumericFieldOverflow {
            detail: format!(
                "A field with precision {precision}, scale {scale} cannot hold an infinite value."
            ),
        }
    }

    /// True when running the whole transaction again may succeed (serialization
    /// failures and deadlocks).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Txn { source, .. } if source.is_retryable())
    }

    /// The primary message: PostgreSQL's wording, without the detail.
    pub fn message(&self) -> String {
        match self {
            Error::Txn {
                source,
                detail: Some(_),
            } => match headline(source) {
                Some(h) => h.to_string(),
                None => source.to_string(),
            },
            _ => self.to_string(),
        }
    }

    /// The detail, psql's `DETAIL:` line: for a serialization failure, deadlock or lock
    /// timeout, the transactions and the rows (or index entries, or table definitions)
    /// they conflicted on; for a NOT NULL or check violation, the row.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::Txn { detail, .. } => detail.as_deref(),
            Error::CheckViolation { detail, .. } | Error::NotNullViolation { detail, .. } => {
                Some(detail)
            }
            Error::GeneratedAlways { detail, .. } | Error::DependentObjects { detail, .. } => {
                Some(detail)
            }
            Error::DuplicateKeyInNewIndex { detail, .. } => Some(detail),
            Error::NumericFieldOverflow { detail } => Some(detail),
            _ => None,
        }
    }

    /// True for the errors [`Error::with_sql_detail`] describes.
    pub(crate) fn is_conflict(&self) -> bool {
        matches!(self, Error::Txn { source, .. } if headline(source).is_some())
    }

    /// Adds the detail of a serialization failure, deadlock or lock timeout: its keys
    /// named through `tables` (the catalog), the rest of its facts as the transaction
    /// layer gave them. Keys that name no known table keep their escaped bytes. Other
    /// errors come back unchanged.
    pub(crate) fn with_sql_detail(self, intent: Intent, tables: &[Arc<Table>]) -> Error {
        match self {
            Error::Txn { source, .. } => {
                let detail = conflict_detail(&source, intent, tables);
                Error::Txn { source, detail }
            }
            other => other,
        }
    }
}

/// What the statement that met a conflict was doing to the rows it touched, for the
/// detail of a concurrent update (`T4 wanted to update row ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Intent {
    Insert,
    Update,
    Delete,
    /// `SELECT ... FOR UPDATE / FOR SHARE`.
    Lock,
    /// DDL, or anything else.
    Change,
}

impl Intent {
    /// The verb for `key`: writers of rows only lock the table definitions they use.
    fn verb(self, key: &[u8]) -> &'static str {
        let catalog = matches!(
            parse_key(key),
            Some(
                StoredKey::TableDef(_)
                    | StoredKey::IndexName(_)
                    | StoredKey::NextId
                    | StoredKey::SequenceDef(_)
                    | StoredKey::SequenceState(_)
            )
        );
        match self {
            Intent::Change => "change",
            _ if catalog => "lock",
            Intent::Insert => "insert",
            Intent::Update => "update",
            Intent::Delete => "delete",
            Intent::Lock => "lock",
        }
    }
}

/// PostgreSQL's message for the conflicts the session describes; None for other errors.
fn headline(e: &isolde_txn::Error) -> Option<&'static str> {
    use isolde_txn::Error as T;
    Some(match e {
        T::Serialization(SerializationFailure {
            kind: ConflictKind::ConcurrentUpdate { deleted: true, .. },
            ..
        }) => "could not serialize access due to concurrent delete",
        T::Serialization(SerializationFailure {
            kind: ConflictKind::ConcurrentUpdate { .. },
            ..
        }) => "could not serialize access due to concurrent update",
        T::Serialization(_) => {
            "could not serialize access due to read/write dependencies among transactions"
        }
        T::Deadlock { .. } => "deadlock detected",
        T::LockTimeout { .. } => "canceling statement due to lock timeout",
        _ => return None,
    })
}

fn conflict_detail(e: &isolde_txn::Error, intent: Intent, tables: &[Arc<Table>]) -> Option<String> {
    use isolde_txn::Error as T;
    let key = |k: &[u8]| describe_key(k, tables);
    Some(match e {
        T::Serialization(SerializationFailure { txn, other, kind }) => match kind {
            ConflictKind::ConcurrentUpdate {
                key: k,
                committed_ts,
                deleted,
            } => {
                let other = other.map_or("another transaction".into(), |o| format!("T{o}"));
                format!(
                    "T{txn} wanted to {} {}, which {other} {} after T{txn}'s snapshot \
                     (committed at ts {committed_ts}).",
                    intent.verb(k),
                    key(k),
                    if *deleted { "deleted" } else { "changed" },
                )
            }
            ConflictKind::ReadWriteDependency {
                in_key,
                out_key,
                pivot,
                out,
            } => {
                let reader = match txn == pivot {
                    true => "a concurrent transaction".to_string(),
                    false => format!("T{txn}"),
                };
                format!(
                    "{reader} read {}, which T{pivot} wrote; T{pivot} read {}, which T{out} \
                     wrote and committed first.",
                    key(in_key),
                    key(out_key),
                )
            }
        },
        T::Deadlock {
            txn,
            waiting_for,
            key: k,
            cycle,
        } => {
            let mut waits = vec![format!("T{txn} waits for T{waiting_for} on {}", key(k))];
            for (i, t) in cycle.iter().enumerate().skip(1) {
                let next = cycle.get(i + 1).unwrap_or(txn);
                waits.push(format!("T{t} waits for T{next}"));
            }
            format!("{}. T{txn} was rolled back.", waits.join("; "))
        }
        T::LockTimeout {
            txn,
            holder,
            key: k,
            waited,
        } => format!(
            "T{txn} waited {} ms for T{holder} on {}; T{txn} was rolled back.",
            waited.as_millis(),
            key(k),
        ),
        _ => return None,
    })
}

/// Names a stored key in SQL terms: `row (id)=(1) of table "t"`, `entry (email)=('a@b')
/// of index "users_email_key" on "users"`, `table definition of "t"`. A key of no known
/// table, or that does not decode, keeps its escaped bytes.
pub(crate) fn describe_key(key: &[u8], tables: &[Arc<Table>]) -> String {
    let escaped = || format!("key {}", display_key(key));
    match parse_key(key) {
        Some(StoredKey::TableDef(name)) => format!("table definition of \"{name}\""),
        Some(StoredKey::IndexName(name)) => format!("name of index \"{name}\""),
        Some(StoredKey::NextId) => "the catalog's object id counter".into(),
        Some(StoredKey::SequenceDef(name)) => format!("definition of sequence \"{name}\""),
        Some(StoredKey::SequenceState(id)) => format!("state of sequence {id}"),
        Some(StoredKey::Row { table_id, key: pk }) => {
            match tables.iter().find(|t| t.id == table_id) {
                Some(t) => match primary_key(t, pk) {
                    Some(pk) => format!("row {pk} of table \"{}\"", t.name),
                    None => format!("{} of table \"{}\"", escaped(), t.name),
                },
                None => escaped(),
            }
        }
        Some(StoredKey::IndexEntry {
            index_id,
            key: entry,
        }) => tables
            .iter()
            .find_map(|t| Some((t, t.indexes.iter().find(|i| i.id == index_id)?)))
            .and_then(|(t, index)| index_entry(t, index, entry))
            .unwrap_or_else(escaped),
        None => escaped(),
    }
}

/// `(id)=(1)`: the primary key (or hidden row id) that `bytes` encode, if they do.
fn primary_key(t: &Table, bytes: &[u8]) -> Option<String> {
    let (names, types) = match t.primary_key.is_empty() {
        true => (vec![ROW_ID], vec![DataType::Integer]),
        false => columns(t, &t.primary_key)?,
    };
    match decode_key(bytes, &types) {
        Ok((values, [])) => Some(tuple(&names, &values)),
        _ => None,
    }
}

/// `entry (email)=('a@b') [for row (id)=(1)] of index "i" on "t"`: entries of a
/// non-unique index (or holding a NULL) end with the primary key of their row.
fn index_entry(t: &Table, index: &Index, bytes: &[u8]) -> Option<String> {
    let (names, types) = columns(t, &index.columns)?;
    let (values, rest) = decode_key(bytes, &types).ok()?;
    let row = match rest {
        [] => String::new(),
        pk => format!(" for row {}", primary_key(t, pk)?),
    };
    Some(format!(
        "entry {}{row} of index \"{}\" on \"{}\"",
        tuple(&names, &values),
        index.name,
        t.name
    ))
}

fn columns<'t>(t: &'t Table, positions: &[usize]) -> Option<(Vec<&'t str>, Vec<DataType>)> {
    positions
        .iter()
        .map(|&c| t.columns.get(c).map(|c| (c.name.as_str(), c.ty)))
        .collect::<Option<Vec<_>>>()
        .map(|cols| cols.into_iter().unzip())
}

/// `(a, b)=(1, 'x')`, values as SQL literals.
fn tuple(names: &[&str], values: &[Value]) -> String {
    let literals: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
            Value::Null => "NULL".into(),
            v => v.to_string(),
        })
        .collect();
    format!("({})=({})", names.join(", "), literals.join(", "))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Txn {
                source,
                detail: Some(detail),
            } => match headline(source) {
                Some(h) => write!(f, "{h}: {detail}"),
                None => source.fmt(f),
            },
            Error::Txn { source, .. } => source.fmt(f),
            Error::Syntax(m) => write!(f, "syntax error: {m}"),
            Error::SyntaxRule(m) => f.write_str(m),
            Error::UndefinedTable(t) => write!(f, "relation \"{t}\" does not exist"),
            Error::UndefinedSequence(s) => write!(f, "sequence \"{s}\" does not exist"),
            Error::UndefinedView(v) => write!(f, "view \"{v}\" does not exist"),
            Error::InvalidRecursion(m) => f.write_str(m),
            Error::RecursiveQuery(m) => f.write_str(m),
            Error::RecursionLimit { name, limit } => write!(
                f,
                "recursive query \"{name}\" produced more than {limit} rows (the session's max_recursive_rows)"
            ),
            Error::SeriesTooLong { limit } => write!(
                f,
                "generate_series would return more than {limit} rows to hold in memory (add a LIMIT or use a shorter series)"
            ),
            Error::MissingFromEntry(t) => write!(f, "missing FROM-clause entry for table \"{t}\""),
            Error::InvalidColumnReference(m) => f.write_str(m),
            Error::DuplicateTable(t) => write!(f, "relation \"{t}\" already exists"),
            Error::UndefinedColumn(c) => write!(f, "column {c} does not exist"),
            Error::AmbiguousColumn(c) => write!(f, "column reference \"{c}\" is ambiguous"),
            Error::JoinColumn { message, .. } => f.write_str(message),
            Error::DuplicateColumn(c) => write!(f, "column \"{c}\" specified more than once"),
            Error::UndefinedObject(m) => f.write_str(m),
            Error::InvalidTableDefinition(m) => f.write_str(m),
            Error::UniqueViolation { constraint, columns, values } => write!(
                f,
                "duplicate key value violates unique constraint \"{constraint}\": \
                 Key ({columns})=({values}) already exists."
            ),
            Error::NotNullViolation { table, column, .. } => write!(
                f,
                "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
            ),
            Error::CheckViolation {
                table, constraint, ..
            } => write!(
                f,
                "new row for relation \"{table}\" violates check constraint \"{constraint}\""
            ),
            Error::DuplicateConstraint(name) => {
                write!(f, "check constraint \"{name}\" already exists")
            }
            Error::NullsInColumn { table, column } => write!(
                f,
                "column \"{column}\" of relation \"{table}\" contains null values"
            ),
            Error::CheckViolatedByRow { table, constraint } => write!(
                f,
                "check constraint \"{constraint}\" of relation \"{table}\" is violated by some row"
            ),
            Error::DuplicateKeyInNewIndex { index, .. } => {
                write!(f, "could not create unique index \"{index}\"")
            }
            Error::ColumnExists { table, column } => {
                write!(f, "column \"{column}\" of relation \"{table}\" already exists")
            }
            Error::ConstraintExists { table, constraint } => write!(
                f,
                "constraint \"{constraint}\" for relation \"{table}\" already exists"
            ),
            Error::NegativeSubstringLength => f.write_str("negative substring length not allowed"),
            Error::MathDomain { message, .. } => f.write_str(message),
            Error::InvalidEscapeString => f.write_str("invalid escape string"),
            Error::RequestedLengthTooLarge => f.write_str("requested length too large"),
            Error::DivisionByZero => f.write_str("division by zero"),
            Error::DuplicateAlias(t) => write!(f, "table name \"{t}\" specified more than once"),
            Error::DuplicateWithName(n) => {
                write!(f, "WITH query name \"{n}\" specified more than once")
            }
            Error::LikeEndsInEscape => f.write_str("LIKE pattern must not end with escape character"),
            Error::StackDepthExceeded => f.write_str("stack depth limit exceeded"),
            Error::InvalidText { ty, input } | Error::InvalidDatetime { ty, input } => {
                write!(f, "invalid input syntax for type {ty}: \"{input}\"")
            }
            Error::DatetimeOverflow(m) | Error::IntervalFieldOverflow(m) => f.write_str(m),
            Error::OutOfRange(m) => f.write_str(m),
            Error::NumericFieldOverflow { .. } => f.write_str("numeric field overflow"),
            Error::StringTooLong { ty } => write!(f, "value too long for type {ty}"),
            Error::InvalidArgument(m) => f.write_str(m),
            Error::NegativeRowCount(clause) => write!(f, "{clause} must not be negative"),
            Error::WindowArgument { function, .. } => {
                write!(f, "argument of {function} must be greater than zero")
            }
            Error::Frame { message, .. } => f.write_str(message),
            Error::DatatypeMismatch(m) => f.write_str(m),
            Error::UndefinedFunction(m) => f.write_str(m),
            Error::Grouping(m) => f.write_str(m),
            Error::CardinalityViolation => {
                f.write_str("more than one row returned by a subquery used as an expression")
            }
            Error::RowAffectedTwice => {
                f.write_str("ON CONFLICT DO UPDATE command cannot affect row a second time")
            }
            Error::FeatureNotSupported(m) => write!(f, "not supported: {m}"),
            Error::InFailedTransaction => f.write_str(
                "current transaction is aborted, commands ignored until end of transaction block",
            ),
            Error::RowLocked { table } => {
                write!(f, "could not obtain lock on row in relation \"{table}\"")
            }
            Error::TableBeingAltered { table } => write!(
                f,
                "could not read uncommitted rows of relation \"{table}\": another transaction is altering it"
            ),
            Error::NoTransactionBlock(stmt) => {
                write!(f, "{stmt} can only be used in transaction blocks")
            }
            Error::NoSuchSavepoint(name) => write!(f, "savepoint \"{name}\" does not exist"),
            Error::ReadOnly(stmt) => {
                write!(f, "cannot execute {stmt} in a read-only transaction")
            }
            Error::ActiveTransaction(m) => f.write_str(m),
            Error::SequenceLimit(m)
            | Error::NotInPrerequisiteState(m)
            | Error::WrongObjectType(m)
            | Error::Windowing(m)
            | Error::GeneratedAlways { message: m, .. }
            | Error::DependentObjects { message: m, .. } => f.write_str(m),
            Error::UndefinedParameter(m) => f.write_str(m),
            Error::Corrupt(m) => write!(f, "stored data is corrupt: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Txn { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<isolde_txn::Error> for Error {
    fn from(source: isolde_txn::Error) -> Self {
        Error::Txn {
            source,
            detail: None,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// psql's rendering of an error: `ERROR:  message` (two spaces), then `DETAIL:  detail`
/// on a second line when there is one.
pub fn format_error(e: &Error) -> String {
    psql_lines(e, None)
}

/// The `ERROR:` line, with `[SQLSTATE]` at its end if given, and the `DETAIL:` line.
pub(crate) fn psql_lines(e: &Error, sqlstate: Option<&str>) -> String {
    let mut out = format!("ERROR:  {}", e.message());
    if let Some(state) = sqlstate {
        out.push_str(&format!(" [{state}]"));
    }
    if let Some(detail) = e.detail() {
        out.push_str("\nDETAIL:  ");
        out.push_str(detail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;
    use crate::encoding::table_def_key;
    use crate::encoding::{encode_key, index_name_key, index_prefix, next_id_key, row_prefix};

    fn column(name: &str, ty: DataType) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
            default_sequence: None,
            default_clock: None,
            identity: None,
        }
    }

    /// `orders (region TEXT, no INT, note TEXT, PRIMARY KEY (region, no))` with a
    /// non-unique index on `note`, and `log (msg TEXT)` keyed by a hidden row id.
    fn tables() -> Vec<Arc<Table>> {
        let text = DataType::Text { max_len: None };
        let orders = Table {
            id: 4,
            name: "orders".into(),
            columns: vec![
                column("region", text),
                column("no", DataType::Integer),
                column("note", text),
            ],
            primary_key: vec![0, 1],
            indexes: vec![Index {
                id: 5,
                name: "orders_note_idx".into(),
                columns: vec![2],
                unique: false,
            }],
            checks: Vec::new(),
            primary_key_name: None,
        };
        let log = Table {
            id: 6,
            name: "log".into(),
            columns: vec![column("msg", text)],
            primary_key: Vec::new(),
            indexes: Vec::new(),
            checks: Vec::new(),
            primary_key_name: None,
        };
        vec![Arc::new(orders), Arc::new(log)]
    }

    fn key(prefix: Vec<u8>, values: &[Value]) -> Vec<u8> {
        let mut k = prefix;
        encode_key(values, &mut k);
        k
    }

    #[test]
    fn rows_are_named_by_table_and_primary_key() {
        let k = key(row_prefix(4), &[Value::from("eu"), Value::Integer(7)]);
        assert_eq!(
            describe_key(&k, &tables()),
            "row (region, no)=('eu', 7) of table \"orders\""
        );
        let k = key(row_prefix(6), &[Value::Integer(42)]);
        assert_eq!(
            describe_key(&k, &tables()),
            "row (ctid)=(42) of table \"log\""
        );
    }

    #[test]
    fn non_unique_index_entries_name_their_row_too() {
        let values = [Value::Null, Value::from("eu"), Value::Integer(7)];
        let k = key(index_prefix(5), &values);
        assert_eq!(
            describe_key(&k, &tables()),
            "entry (note)=(NULL) for row (region, no)=('eu', 7) of index \"orders_note_idx\" \
             on \"orders\""
        );
    }

    #[test]
    fn catalog_keys_are_named_without_the_catalog() {
        assert_eq!(
            describe_key(&table_def_key("accounts"), &[]),
            "table definition of \"accounts\""
        );
        assert_eq!(
            describe_key(&index_name_key("i"), &[]),
            "name of index \"i\""
        );
        assert_eq!(
            describe_key(&next_id_key(), &[]),
            "the catalog's object id counter"
        );
    }

    #[test]
    fn unknown_or_undecodable_keys_keep_their_escaped_bytes() {
        let unknown_table = key(row_prefix(99), &[Value::Integer(1)]);
        assert_eq!(
            describe_key(&unknown_table, &tables()),
            format!("key {}", display_key(&unknown_table))
        );
        let truncated = [row_prefix(4), vec![0x01, b'e']].concat();
        assert_eq!(
            describe_key(&truncated, &tables()),
            format!("key {} of table \"orders\"", display_key(&truncated))
        );
        let trailing = [key(row_prefix(6), &[Value::Integer(1)]), vec![0]].concat();
        assert!(describe_key(&trailing, &tables()).starts_with("key '"));
        let kv = b"user:1".to_vec();
        assert_eq!(describe_key(&kv, &tables()), "key 'user:1'");
    }

    #[test]
    fn a_deadlock_detail_walks_the_whole_cycle() {
        let e = Error::from(isolde_txn::Error::Deadlock {
            txn: 3,
            waiting_for: 1,
            key: table_def_key("t"),
            cycle: vec![3, 1, 2],
        })
        .with_sql_detail(Intent::Change, &[]);
        assert_eq!(
            e.detail(),
            Some(
                "T3 waits for T1 on table definition of \"t\"; T1 waits for T2; T2 waits for \
                 T3. T3 was rolled back."
            )
        );
        assert_eq!(e.sqlstate(), "40P01");
        assert!(e.is_retryable());
    }

    #[test]
    fn writers_only_lock_the_table_definitions_they_conflict_on() {
        let failure = |intent| {
            Error::from(isolde_txn::Error::Serialization(SerializationFailure {
                txn: 5,
                other: None,
                kind: ConflictKind::ConcurrentUpdate {
                    key: table_def_key("t"),
                    committed_ts: 9,
                    deleted: false,
                },
            }))
            .with_sql_detail(intent, &[])
        };
        let detail = failure(Intent::Update);
        assert!(detail
            .detail()
            .unwrap()
            .starts_with("T5 wanted to lock table definition"));
        let detail = failure(Intent::Change);
        assert!(detail
            .detail()
            .unwrap()
            .starts_with("T5 wanted to change table definition"));
    }

    #[test]
    fn errors_without_a_conflict_are_left_as_they_are() {
        let e = Error::from(isolde_txn::Error::EmptyKey).with_sql_detail(Intent::Change, &[]);
        assert_eq!(e.detail(), None);
        assert!(!e.is_conflict());
        assert_eq!(format_error(&e), format!("ERROR:  {e}"));
    }
}
