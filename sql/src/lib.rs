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
//!    prints that tree. Queries and row changes are planned once per parsed statement,
//!    with `$n` parameters left open ([`expression::Expr::Param`]), and the plan is
//!    cached: later executions re-read the table definitions it was planned against
//!    through their transaction (step 3 still happens every time) and reuse it while
//!    the stored definitions are byte-for-byte the same, so DDL, committed or not, in
//!    any session, makes the next execution plan again. An access path that depends on
//!    parameter values ([`plan::Access::Parameterized`]) is chosen per execution.
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
//!
//! # What is supported
//!
//! - Types: `INT`/`INTEGER`/`BIGINT`/`SMALLINT` (all 64-bit), `REAL`/`FLOAT`/`DOUBLE
//!   PRECISION` (64-bit), `NUMERIC`/`DECIMAL[(p[,s])]` (exact, see [`numeric`]; a value
//!   stored into or cast to `NUMERIC(p,s)` is rounded to scale `s` and must fit
//!   precision `p`, 22003 otherwise, as in PostgreSQL 15, negative scales and scales
//!   above the precision included; a precision above 38 or a scale beyond ±38, which
//!   PostgreSQL takes up to 1000, is 0A000, since a value holds 38 digits),
//!   `TEXT`/`VARCHAR(n)`, `BOOLEAN`, `DATE`, `TIMESTAMP [WITHOUT TIME ZONE]`,
//!   `TIMESTAMPTZ`/`TIMESTAMP WITH TIME ZONE` and `INTERVAL` (see [`datetime`]; the
//!   session time zone is always UTC); `SERIAL`/`BIGSERIAL`/`SMALLSERIAL` (an integer
//!   column, NOT NULL, whose default is `nextval` of a sequence `<table>_<column>_seq`
//!   made with the table, owned by the column and dropped with the table).
//! - DDL: `CREATE TABLE [IF NOT EXISTS]` with column or table `PRIMARY KEY` (composite
//!   too; a hidden row id when absent), `NOT NULL`, `UNIQUE`, a `DEFAULT` that is
//!   constant, `nextval('sequence')` or a clock function (`now()`, `current_timestamp`,
//!   `current_date`, ...), `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY
//!   [(sequence options)]` (ALWAYS takes only `DEFAULT`: 428C9), column and table
//!   `CHECK` constraints (named as PostgreSQL names them, tested in name order on
//!   every row written, 23514 with the failing row as detail; a condition that is not
//!   boolean is found when a row is first tested, not at CREATE TABLE);
//!   `DROP TABLE [IF EXISTS]`; `CREATE TABLE [IF NOT EXISTS] t [(col, ...)] AS query
//!   [WITH [NO] DATA]` (columns named and typed after the query's output, no primary
//!   key, tag `SELECT n`; a type planning cannot tell is taken from the values
//!   returned, `text` without any); `CREATE [UNIQUE] INDEX [IF NOT EXISTS]` on columns;
//!   `DROP INDEX [IF EXISTS]`, `TRUNCATE [RESTART IDENTITY]` (a delete of every row under
//!   the table's exclusive lock, so MVCC-safe where PostgreSQL's is not); `CREATE
//!   SEQUENCE [IF NOT EXISTS] s [AS type] [INCREMENT [BY] n] [MINVALUE n | NO MINVALUE]
//!   [MAXVALUE n | NO MAXVALUE] [START [WITH] n] [CACHE n] [[NO] CYCLE]`, `DROP SEQUENCE
//!   [IF EXISTS]` (2BP01 while a column's default uses it); `ALTER TABLE [IF EXISTS] t`
//!   with `ADD [COLUMN] [IF NOT EXISTS]`, `DROP [COLUMN] [IF EXISTS]`, `ALTER [COLUMN] c
//!   SET DEFAULT / DROP DEFAULT / SET NOT NULL / DROP NOT NULL`, `ADD [CONSTRAINT n]
//!   CHECK (...) / UNIQUE (...)`, `DROP CONSTRAINT [IF EXISTS]`, comma-separated and
//!   all or nothing, and `RENAME [COLUMN] a TO b`, `RENAME TO t2`; adding or dropping a
//!   column rewrites every row in the statement's transaction, under the table's
//!   exclusive lock. All transactional. Tables, indexes and sequences share one name
//!   space.
//! - Views (see [`view`]): `CREATE [OR REPLACE] VIEW v [(col, ...)] AS query` (OR
//!   REPLACE keeps the old columns' names and positions and may add columns, 42P16
//!   otherwise), `DROP VIEW [IF EXISTS] v, ... [CASCADE | RESTRICT]`, `DROP TABLE ...
//!   CASCADE` (dropping the views over the table); a table or view that a view reads is
//!   not dropped without CASCADE (2BP01, naming the dependent views as PostgreSQL does).
//!   A view is read anywhere a table is read in FROM (joined, in subqueries, in `WITH`,
//!   under other views), its query planned as a subquery; it shares the name space of
//!   tables, is transactional and survives a restart, and a cached plan that read it
//!   plans again when it or a table under it changes. Not supported: writing rows
//!   through a view (0A000, where PostgreSQL updates simple views), materialized,
//!   temporary and recursive views, `ALTER VIEW`, view options (`WITH (...)`, `WITH
//!   CHECK OPTION`); CREATE OR REPLACE does not check the old columns' types, and a
//!   view's `*` is expanded at each use, not at CREATE VIEW (the view keeps its column
//!   count); `ALTER TABLE` renaming a table a view reads, or renaming or dropping one of
//!   its columns, is refused while the view exists (PostgreSQL follows a rename and
//!   refuses only to drop a column the view uses).
//! - Queries: expressions with aliases, `WHERE`, `AND/OR/NOT`, arithmetic, `%`, `||`,
//!   `IN (...)`, `BETWEEN`, `[I]LIKE`, `IS [NOT] NULL/TRUE/FALSE`, `IS [NOT] DISTINCT
//!   FROM`, `CASE`, `CAST`/`::`,
//!   `COALESCE`, `NULLIF`, `abs`, `lower`, `upper`, `length`, `round`, `ceil`, `floor`,
//!   `greatest`, `least`, `concat`, `substr`/`substring`, `replace`, `TRIM(...)`,
//!   `btrim`, `ltrim`, `rtrim`, `left`, `right`, `lpad`, `rpad`, `repeat`, `reverse`,
//!   `strpos`, `POSITION(... IN ...)`, `split_part`, `initcap`, `md5`,
//!   `[I]LIKE ... ESCAPE`, `power` and `^`, `sqrt`, `exp`, `ln`, `log`, `sign`, `trunc`,
//!   `extract`,
//!   `date_part`, `date_trunc`, date and time arithmetic, and, never computed ahead by
//!   planning, `now()`, `current_timestamp`, `current_date`, `localtimestamp`,
//!   `transaction_timestamp()`, `statement_timestamp()`, `clock_timestamp()`, `age`,
//!   `random()`, `pg_sleep(seconds)`, `txid_current()` (the
//!   transaction's id), `nextval`, `currval`, `setval`, `lastval` (not transactional,
//!   as in PostgreSQL: see [`sequence`]); `ORDER BY` (positions,
//!   aliases, expressions, `NULLS FIRST/LAST`), `LIMIT`/`OFFSET`, `OFFSET n ROW[S]`,
//!   `FETCH {FIRST | NEXT} [n] ROW[S] ONLY`, `DISTINCT`, `DISTINCT ON (...)` (the
//!   ORDER BY must start with its expressions: 42P10),
//!   `count/sum/min/max/avg/string_agg/bool_and/bool_or/every`, `stddev`/`variance`
//!   and their `_samp`/`_pop` forms (with `DISTINCT`, `FILTER (WHERE ...)` and an
//!   `ORDER BY` inside the call, as `string_agg(s, ',' ORDER BY id)`) with
//!   `GROUP BY` and `HAVING`, inner,
//!   `LEFT`, `RIGHT`, `FULL [OUTER]` and cross joins (nested loops), `JOIN ... USING
//!   (cols)` and `NATURAL` joins (the merged columns first in `*`, as in PostgreSQL; in a
//!   FULL join a merged column is the value of whichever side has the row), subqueries
//!   in `FROM`, scalar / `IN` / `EXISTS` subqueries (correlated too), `x op ANY / SOME /
//!   ALL (subquery)` for `=`, `<>`, `<`, `<=`, `>`, `>=` (correlated too; NULLs as in
//!   PostgreSQL), `SELECT` without `FROM`, `VALUES`, `UNION`/`INTERSECT`/`EXCEPT [ALL]`,
//!   window functions in the select list and ORDER BY (`row_number()`, `rank()`,
//!   `dense_rank()`, `percent_rank()`, `cume_dist()`, `lag`/`lead(x [, offset [,
//!   default]])`, `first_value(x)`, `last_value(x)`, `nth_value(x, n)`, `ntile(n)`, and
//!   `count/sum/avg/min/max/bool_and/bool_or/every` and the `stddev`/`variance`
//!   family with `OVER (PARTITION BY ...
//!   ORDER BY ... [frame])`, the frame PostgreSQL's default or `ROWS`/`RANGE`/`GROUPS`
//!   `[BETWEEN] ... [AND ...]` with `UNBOUNDED`/`n` `PRECEDING`/`FOLLOWING` and `CURRENT
//!   ROW` bounds and `EXCLUDE CURRENT ROW`/`GROUP`/`TIES`/`NO OTHERS`, or over a window
//!   the query's `WINDOW w AS (...)` names (`OVER w`, `OVER (w ORDER BY ... [frame])`);
//!   on the groups in a query that groups; 42P20 elsewhere; see [`window`]), `EXPLAIN`,
//!   `EXPLAIN ANALYZE` (runs the statement, a write too, and adds `(actual rows=N
//!   loops=M)` to each node the executor counted, then the planning and execution
//!   times; a write's top node only is counted), `WITH` queries
//!   (before a `SELECT`, `INSERT`, `UPDATE` or `DELETE`), each planned once and run at
//!   most once per statement, its rows shared by every reference; `WITH RECURSIVE`
//!   (`non-recursive-term UNION [ALL] recursive-term`, PostgreSQL's semantics and 42P19
//!   rules; a query of the clause sees only those before it; at most the session's
//!   max recursive rows, 54000 beyond: see [`recursive`]); `generate_series(start,
//!   stop [, step])` in FROM over integers, NUMERIC and timestamps, `WITH ORDINALITY`,
//!   its arguments reading the FROM items before it (implicit LATERAL) in an inner or
//!   left join (see [`series`]); one call in a select list multiplies the query's rows,
//!   as PostgreSQL's set-returning functions there do.
//! - DML: `INSERT` (multi-row, column lists, `INSERT ... SELECT`, `DEFAULT VALUES`,
//!   `RETURNING`),
//!   `UPDATE` (primary key columns included), `DELETE`, each with `RETURNING`;
//!   `UPDATE ... FROM` and `DELETE ... USING` (the other tables joined by the WHERE
//!   clause, with the locking and READ COMMITTED re-check of a plain UPDATE; a target
//!   row that several source rows match is changed once, with the first of them); the
//!   keyword `DEFAULT` in `INSERT ... VALUES` and `UPDATE ... SET`; `INSERT ... ON
//!   CONFLICT [(col, ...) | ON CONSTRAINT name] DO NOTHING | DO UPDATE SET ... [WHERE
//!   ...]` with `EXCLUDED`, on the primary key or a unique index, with PostgreSQL's
//!   row counts, errors and concurrency rules (a conflicting key being inserted is
//!   waited for; at READ COMMITTED DO UPDATE changes the newest committed version of
//!   the row; at REPEATABLE READ and SERIALIZABLE a conflicting row the snapshot does
//!   not see is a serialization failure).
//! - Transactions: `BEGIN`/`START TRANSACTION [ISOLATION LEVEL ...] [READ ONLY|READ
//!   WRITE]`, `COMMIT`, `ROLLBACK`, `SET TRANSACTION ...`, `SET SESSION
//!   CHARACTERISTICS AS TRANSACTION ...`, `SET [default_]transaction_isolation`, `SHOW
//!   [default_]transaction_isolation`, `SELECT ... FOR UPDATE / FOR SHARE [NOWAIT | SKIP
//!   LOCKED]` (locking, as PostgreSQL, only the rows returned and those OFFSET passes
//!   over, in ORDER BY order), `SAVEPOINT`, `ROLLBACK TO [SAVEPOINT]` (which also
//!   ends a failed state, releases the rows first locked after the savepoint and wakes
//!   their waiters), `RELEASE [SAVEPOINT]`, `CHECKPOINT`.
//!
//! Not supported (0A000 naming the feature): `power`, `exp`, `ln` and `log` of a
//! NUMERIC (PostgreSQL computes them exactly to digits of its own; cast to double
//! precision; `sqrt` of a NUMERIC is exact, at PostgreSQL's scale), `log(b, x)`, `md5`,
//! `CREATE TEMPORARY / OR REPLACE / EXTERNAL TABLE`, `CREATE TABLE ... LIKE / CLONE`,
//! `EXPLAIN ANALYZE` of other statements than queries, INSERT, UPDATE and DELETE; the parser rejects `BETWEEN SYMMETRIC` and `TRIM(LEADING
//! FROM s)` without characters (42601); `ORDER BY`, `LIMIT`, `OFFSET` and `FOR
//! UPDATE` on a recursive `WITH` query (as in PostgreSQL), a recursive reference inside
//! a `WITH` query of the recursive term, an `INSERT`, `UPDATE` or
//! `DELETE` inside `WITH`, set-returning functions but `generate_series` (and it twice
//! in a select list, or with aggregates, GROUP BY, windows or DISTINCT), arrays (so `ANY` / `ALL` over a subquery only), `FETCH ...
//! WITH TIES`, a `FETCH FIRST` count other than a number or NULL (a syntax error here),
//! a `WITH` query that refers to an enclosing query's columns used from inside a
//! subquery, an alias on a parenthesised join, `FILTER`, `DISTINCT`, `ORDER BY` inside
//! the call or `string_agg` in a window function, `IGNORE NULLS`,
//! `ALTER TABLE ... ALTER COLUMN ... TYPE`, adding or dropping a primary key or one of its
//! columns, dropping a table's only column, `ALTER SEQUENCE`, the `time` and `timetz` types, infinite
//! dates and timestamps, fractional-second precisions (`timestamp(3)`), time zones other
//! than UTC (see [`datetime`]), `CREATE SEQUENCE ... OWNED BY`, temporary
//! sequences, `SELECT` from a sequence, `OVERRIDING SYSTEM VALUE`, a `DEFAULT` with other
//! volatile expressions, `ON DUPLICATE KEY UPDATE`, indexes on
//! expressions, `FOR UPDATE OF`, an index predicate in an `ON CONFLICT` target (`(col)
//! WHERE ...`, a syntax error here), a locking clause (`FOR UPDATE`, ...) in a
//! subquery or a `WITH` query. In a grouped query a subquery may use the outer query's
//! grouped columns only (PostgreSQL's rule; 42803 otherwise). Simplifications: a
//! serialization failure, a deadlock or a lock timeout rolls the whole transaction back
//! (PostgreSQL lets `ROLLBACK TO SAVEPOINT` return to a savepoint after the last two),
//! and a row lock strengthened after a savepoint stays strengthened after a rollback to
//! it;
//! sequence options are read in the order listed above (sqlparser's; PostgreSQL takes any
//! order); `TRUNCATE ... RESTART IDENTITY` restarts a committed sequence at once, not at
//! commit, so a rollback does not undo it (see [`sequence`]); sequence names in
//! `nextval('s')` are not schema-qualified;
//! `ON CONFLICT DO NOTHING` keeps the conflicting row locked exclusively to the end of the
//! transaction, as DO UPDATE does (PostgreSQL takes no lock on it), so a concurrent
//! writer of that row waits; `sum` and `avg` of
//! integers are NUMERIC (as of PostgreSQL's bigint, since every integer is 64-bit); a
//! numeric literal with an exponent beyond NUMERIC's 38 digits (`1e300`) is a double
//! precision, where PostgreSQL keeps an exact numeric; NUMERIC has no `NaN` or
//! `Infinity` (the text is 22P02, a float's NaN or infinity converted to it 22003); a
//! set operation resolves each column to one kind from the values its operands return
//! (numbers widen; text against a number is 42804 once both appear), not from their
//! declared types; the branches
//! of `CASE`, `COALESCE`, `GREATEST`, `LEAST` and `NULLIF`, and the rows of a `VALUES`
//! list in a query, are cast to their common
//! number type only where planning knows every branch's type (table columns,
//! constants, casts, functions of them; not subqueries, parameters or the columns of a
//! subquery in FROM), else each row's value keeps its own; joins, sorts and set
//! operations are done in memory.

mod alter;
pub mod catalog;
mod check;
mod create_table_as;
pub mod datetime;
mod ddl;
mod describe;
mod dml;
pub mod encoding;
mod error;
pub mod executor;
mod explain_analyze;
pub mod expression;
mod format;
mod functions;
mod math_functions;
mod md5;
pub mod numeric;
pub mod plan;
mod plan_cache;
mod planner;
pub mod recursive;
pub mod sequence;
pub mod series;
mod session;
mod stack_depth;
mod statistics;
mod string_functions;
pub mod types;
pub mod view;
pub mod window;

pub use describe::{
    ColumnDescription, Description, IndexDescription, IndexKind, Relation, RelationKind,
    TableDescription, ViewDescription,
};
pub use encoding::SQL_PREFIX;
pub use error::{format_error, Error, Result};
pub use format::{format_error_with_state, format_psql};
pub use isolde_txn::IsolationLevel;
pub use recursive::DEFAULT_MAX_RECURSIVE_ROWS;
pub use session::{split_statements, Prepared, QueryResult, Session};
pub use stack_depth::{DEFAULT_MAX_STACK_DEPTH, MAX_PARSE_DEPTH};
pub use types::{DataType, Value};
