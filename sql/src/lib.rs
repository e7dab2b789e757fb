//! isolde's SQL front end: SQL text in, rows and command tags out, on top of the
//! transactions of `isolde-txn`.
//!
//! # The life of a statement
//!
//! Take `UPDATE accounts SET balance = balance + 100 WHERE id = 5` sent to
//! [`Session::execute`]:
//!
//! 1. **Parse.** The session looks the text up in its statement cache, else parses it
//!    with sqlparser's PostgreSQL dialect into an `ast::Statement` and caches it
//!    ([`Session::prepare`] does the same once, for statements with `$n` parameters).
//! 2. **Transaction.** Transaction-control statements (`BEGIN`, `COMMIT`, `SET
//!    TRANSACTION`, ...) are handled by the [`Session`] itself. Any other statement runs
//!    in the open block's `isolde_txn::Transaction`, or in a new one that commits right
//!    after (autocommit). The session calls `begin_statement()` first, so at READ
//!    COMMITTED every statement reads a fresh snapshot.
//! 3. **Catalog.** The planner reads the `accounts` definition (a [`catalog::Table`])
//!    through the transaction: the catalog is data in the same key space, so DDL is
//!    transactional and every statement sees the schema of its own snapshot.
//! 4. **Plan.** The `Planner` resolves names against a scope of columns and compiles
//!    the AST into [`expression::Expr`]s over row positions. From the WHERE clause it
//!    picks an access path ([`plan::Access`]): here `id = 5` on the primary key gives a
//!    single point lookup instead of a scan. A SELECT becomes a tree of
//!    [`plan::Plan`] nodes (scan, join, aggregate, project, sort, limit); `EXPLAIN`
//!    prints that tree.
//! 5. **Execute.** The executor reads the row at the snapshot, decodes it from the
//!    order-preserving [`encoding`], then locks it. At READ COMMITTED, if another
//!    transaction committed a change to the row meanwhile, the WHERE clause is checked
//!    again on that newest version, which is then updated (or skipped if it no longer
//!    matches); at REPEATABLE READ and SERIALIZABLE the lock reports a serialization
//!    failure instead. The new row and any changed index entries are written; unique
//!    keys are claimed by locking them, so concurrent duplicates wait and then fail.
//! 6. **Result.** A [`QueryResult`] carries the columns, rows and psql command tag
//!    (`UPDATE 1`); [`format_psql`] prints it as psql would. Errors are [`Error`]s with
//!    PostgreSQL SQLSTATEs; inside a block an error leaves it failed (25P02) until
//!    ROLLBACK.

pub mod catalog;
mod ddl;
mod dml;
pub mod encoding;
mod error;
pub mod executor;
pub mod expression;
mod format;
pub mod numeric;
pub mod plan;
mod planner;
mod session;
pub mod types;

pub use encoding::SQL_PREFIX;
pub use error::{format_error, Error, Result};
pub use format::{format_error_with_state, format_psql};
pub use isolde_txn::IsolationLevel;
pub use session::{split_statements, Prepared, QueryResult, Session};
pub use types::{DataType, Value};
