//! SQL errors, each with the PostgreSQL SQLSTATE a client would see.
//!
//! Grouped by what the caller must do: retry the transaction (the wrapped transaction
//! errors that are retryable), fix the statement (syntax, names, types, constraint
//! violations), or give up (corrupt stored data).

use std::fmt;

/// Everything that can go wrong running a SQL statement.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A transaction-layer error (serialization failure, deadlock, lock timeout, ...),
    /// kept whole as the source.
    Txn(isolde_txn::Error),
    /// The text does not parse (42601).
    Syntax(String),
    /// No table of this name (42P01).
    UndefinedTable(String),
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
    /// A table definition that cannot be (two primary keys, ...) (42P16).
    InvalidTableDefinition(String),
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
    /// NULL in a NOT NULL column (23502).
    NotNullViolation { table: String, column: String },
    /// Division or modulo by zero (22012).
    DivisionByZero,
    /// Text that is not a value of the wanted type (22P02).
    InvalidText { ty: &'static str, input: String },
    /// A number too large for its type (22003).
    OutOfRange(String),
    /// A string longer than its VARCHAR(n) (22001).
    StringTooLong { ty: String },
    /// An invalid argument, such as a negative LIMIT (22023).
    InvalidArgument(String),
    /// An expression has the wrong type for where it is used (42804).
    DatatypeMismatch(String),
    /// No operator or function for these argument types, or no function of this name (42883).
    UndefinedFunction(String),
    /// Misuse of grouping or aggregates (42803).
    Grouping(String),
    /// A scalar subquery returned more than one row (21000).
    CardinalityViolation,
    /// Valid SQL that isolde does not implement (0A000); the message names the feature.
    FeatureNotSupported(String),
    /// A statement other than ROLLBACK inside a failed transaction block (25P02).
    InFailedTransaction,
    /// A write in a READ ONLY transaction (25006); names the statement.
    ReadOnly(&'static str),
    /// A transaction-state rule, such as SET TRANSACTION after the first query (25001).
    ActiveTransaction(String),
    /// A `$n` parameter with no value, or values of the wrong count (42P02).
    UndefinedParameter(String),
    /// A stored row or catalog entry does not decode (XX001).
    Corrupt(String),
}

impl Error {
    /// The PostgreSQL SQLSTATE of this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::Txn(e) => e.sqlstate(),
            Error::Syntax(_) => "42601",
            Error::UndefinedTable(_) | Error::MissingFromEntry(_) => "42P01",
            Error::InvalidColumnReference(_) => "42P10",
            Error::DuplicateTable(_) => "42P07",
            Error::UndefinedColumn(_) => "42703",
            Error::AmbiguousColumn(_) => "42702",
            Error::DuplicateColumn(_) => "42701",
            Error::InvalidTableDefinition(_) => "42P16",
            Error::UndefinedObject(_) => "42704",
            Error::UniqueViolation { .. } => "23505",
            Error::NotNullViolation { .. } => "23502",
            Error::DivisionByZero => "22012",
            Error::InvalidText { .. } => "22P02",
            Error::OutOfRange(_) => "22003",
            Error::StringTooLong { .. } => "22001",
            Error::InvalidArgument(_) => "22023",
            Error::DatatypeMismatch(_) => "42804",
            Error::UndefinedFunction(_) => "42883",
            Error::Grouping(_) => "42803",
            Error::CardinalityViolation => "21000",
            Error::FeatureNotSupported(_) => "0A000",
            Error::InFailedTransaction => "25P02",
            Error::ReadOnly(_) => "25006",
            Error::ActiveTransaction(_) => "25001",
            Error::UndefinedParameter(_) => "42P02",
            Error::Corrupt(_) => "XX001",
        }
    }

    /// True when running the whole transaction again may succeed (serialization
    /// failures and deadlocks).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Txn(e) if e.is_retryable())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Txn(e) => e.fmt(f),
            Error::Syntax(m) => write!(f, "syntax error: {m}"),
            Error::UndefinedTable(t) => write!(f, "relation \"{t}\" does not exist"),
            Error::MissingFromEntry(t) => write!(f, "missing FROM-clause entry for table \"{t}\""),
            Error::InvalidColumnReference(m) => f.write_str(m),
            Error::DuplicateTable(t) => write!(f, "relation \"{t}\" already exists"),
            Error::UndefinedColumn(c) => write!(f, "column {c} does not exist"),
            Error::AmbiguousColumn(c) => write!(f, "column reference \"{c}\" is ambiguous"),
            Error::DuplicateColumn(c) => write!(f, "column \"{c}\" specified more than once"),
            Error::UndefinedObject(m) => f.write_str(m),
            Error::InvalidTableDefinition(m) => f.write_str(m),
            Error::UniqueViolation { constraint, columns, values } => write!(
                f,
                "duplicate key value violates unique constraint \"{constraint}\": \
                 Key ({columns})=({values}) already exists."
            ),
            Error::NotNullViolation { table, column } => write!(
                f,
                "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
            ),
            Error::DivisionByZero => f.write_str("division by zero"),
            Error::InvalidText { ty, input } => {
                write!(f, "invalid input syntax for type {ty}: \"{input}\"")
            }
            Error::OutOfRange(m) => f.write_str(m),
            Error::StringTooLong { ty } => write!(f, "value too long for type {ty}"),
            Error::InvalidArgument(m) => f.write_str(m),
            Error::DatatypeMismatch(m) => f.write_str(m),
            Error::UndefinedFunction(m) => f.write_str(m),
            Error::Grouping(m) => f.write_str(m),
            Error::CardinalityViolation => {
                f.write_str("more than one row returned by a subquery used as an expression")
            }
            Error::FeatureNotSupported(m) => write!(f, "not supported: {m}"),
            Error::InFailedTransaction => f.write_str(
                "current transaction is aborted, commands ignored until end of transaction block",
            ),
            Error::ReadOnly(stmt) => {
                write!(f, "cannot execute {stmt} in a read-only transaction")
            }
            Error::ActiveTransaction(m) => f.write_str(m),
            Error::UndefinedParameter(m) => f.write_str(m),
            Error::Corrupt(m) => write!(f, "stored data is corrupt: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Txn(e) => Some(e),
            _ => None,
        }
    }
}

impl From<isolde_txn::Error> for Error {
    fn from(e: isolde_txn::Error) -> Self {
        Error::Txn(e)
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// psql's rendering of an error: `ERROR:  message` (two spaces).
pub fn format_error(e: &Error) -> String {
    format!("ERROR:  {e}")
}
