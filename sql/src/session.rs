//! A SQL session: transaction blocks, autocommit, the failed-transaction state, session
//! settings, and a cache of parsed statements.
//!
//! Outside a block every statement runs in its own transaction at the session's default
//! level and commits at once (autocommit). `BEGIN` opens a block; its transaction starts
//! at the first statement that needs one, so `SET TRANSACTION ISOLATION LEVEL` can still
//! change it, as in PostgreSQL. An error inside a block rolls the transaction back at
//! once (releasing its locks), or under a savepoint only its work since the newest
//! savepoint, and leaves the block *failed*: every statement but `ROLLBACK` (or
//! `COMMIT`, which then reports `ROLLBACK`) or `ROLLBACK TO` a savepoint fails with 25P02.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use isolde_txn::{IsolationLevel, Savepoint, Transaction, TxnManager};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Tokenizer;

use crate::catalog::{Catalog, Table};
use crate::datetime::{clock_now, StatementTimes};
use crate::encoding::{parse_key, table_def_prefix, StoredKey};
use crate::error::{Error, Intent, Result};
use crate::executor::{self, Env};
use crate::plan_cache::{is_cacheable, CachedPlan};
use crate::planner::{ident, object_name, Planner};
use crate::sequence::SessionSequences;
use crate::stack_depth::{self, StackGuard, DEFAULT_MAX_STACK_DEPTH, MAX_PARSE_DEPTH};
use crate::types::Value;
use crate::{alter, ddl, dml, explain_analyze, view};

/// How many parsed statements a session keeps.
const STATEMENT_CACHE_SIZE: usize = 256;
/// How many cached plans a session keeps.
const PLAN_CACHE_SIZE: usize = 256;

/// The result of one statement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
    /// Column names (empty for statements that return no rows). Shared with the cached
    /// plan that produced them, so a query does not copy them each time it runs.
    pub columns: Arc<[String]>,
    pub rows: Vec<Vec<Value>>,
    /// psql's command tag: `SELECT 3`, `INSERT 0 1`, `UPDATE 2`, `BEGIN`, ...
    pub tag: String,
    /// Notices and warnings, each as psql prints it (`WARNING:  ...`, `NOTICE:  ...`).
    pub notices: Vec<String>,
}

impl QueryResult {
    fn tag(tag: &str) -> QueryResult {
        QueryResult {
            tag: tag.to_string(),
            ..QueryResult::default()
        }
    }

    /// The tag `verb` followed by `count` (`"SELECT "`, 3: `SELECT 3`), made without the
    /// formatting machinery (every statement makes one).
    pub(crate) fn count_tag(verb: &str, count: usize) -> String {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut n = count;
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut tag = String::with_capacity(verb.len() + digits.len() - start);
        tag.push_str(verb);
        tag.extend(digits[start..].iter().map(|&d| char::from(d)));
        tag
    }

    fn with_notice(mut self, notice: String) -> QueryResult {
        self.notices.push(notice);
        self
    }

    /// The row count of the tag (`INSERT 0 5`, `UPDATE 2`, `DELETE 1`, `SELECT 3`).
    pub fn rows_affected(&self) -> Option<u64> {
        let mut words = self.tag.split(' ');
        match words.next()? {
            "INSERT" | "UPDATE" | "DELETE" | "SELECT" => words.next_back()?.parse().ok(),
            _ => None,
        }
    }

    /// True for statements that return rows (psql prints a table for them).
    pub fn has_rows(&self) -> bool {
        !self.columns.is_empty()
    }

    /// True when psql prints the command tag after the rows: rows returned by INSERT,
    /// UPDATE or DELETE (`RETURNING`), whose tag counts the rows changed.
    pub fn tag_follows_rows(&self) -> bool {
        self.has_rows()
            && ["INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|verb| self.tag.starts_with(verb))
    }
}

/// A parsed statement with `$n` parameters, ready to run many times. A session that
/// runs a query or row change keeps its plan, with the parameters left open, and reuses
/// it while the tables it uses keep the definitions it was planned for.
#[derive(Clone, Debug)]
pub struct Prepared {
    sql: String,
    statement: Option<Arc<ast::Statement>>,
    params: usize,
}

impl Prepared {
    /// The SQL text it was prepared from.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The number of parameters (`$1` .. `$n`) it takes.
    pub fn param_count(&self) -> usize {
        self.params
    }
}

/// One user's SQL conversation with the database. `Send`: it can move to its own thread.
pub struct Session {
    mgr: TxnManager,
    txn: Option<Transaction>,
    /// Inside `BEGIN ... COMMIT`: the level and access mode the block's transaction uses.
    block: Option<(IsolationLevel, bool)>,
    failed: bool,
    /// The block's savepoints, oldest first: name, the transaction's savepoint (None
    /// while the block has no transaction yet), and how many table-definition locks the
    /// session knew of then.
    savepoints: Vec<(String, Option<Savepoint>, usize)>,
    default_level: IsolationLevel,
    /// Set by `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`: later transactions
    /// start read only.
    default_read_only: bool,
    catalog: Catalog,
    cache: HashMap<String, (Arc<ast::Statement>, u64)>,
    plans: Plans,
    /// The clock that orders uses of `cache`, to evict the least recently used.
    tick: u64,
    /// How far a statement may grow the stack ([`crate::stack_depth`]).
    max_stack_depth: usize,
    /// How many rows a recursive `WITH` query may produce ([`crate::recursive`]).
    max_recursive_rows: usize,
    /// `currval` and `lastval` state, and the database's sequence counters.
    sequences: SessionSequences,
    /// When the open block began (its `BEGIN`), in microseconds since the epoch: the
    /// block's `now()`, as in PostgreSQL.
    block_began: i64,
}

/// Hashes a statement's address for the plan cache: one multiplication, where the
/// default hasher (built against adversarial keys, which addresses are not) showed in the
/// profile of a point query.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Addresses are aligned: fold the well-mixed high half into the low bits, which
        // pick the bucket.
        let h = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

struct PlanEntry {
    _statement: Arc<ast::Statement>,
    plan: CachedPlan,
    used: u64,
}

/// Cached plans ([`crate::plan_cache`]), by the address of the parsed statement, which
/// each entry keeps alive so that the address cannot be reused while it is cached; and
/// the clock that orders their uses, to evict the least recently used. Apart from the
/// rest of the session, so that a statement's [`Env`] can borrow the session's database
/// and sequence state while the cache changes, rather than clone them per statement.
#[derive(Default)]
struct Plans {
    entries: HashMap<usize, PlanEntry, BuildHasherDefault<AddressHasher>>,
    tick: u64,
}

/// Splits text into statements at `;`, outside quotes and comments. Empty statements
/// are dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                cur.push(c);
                for d in chars.by_ref() {
                    cur.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        cur.push('\n');
                        break;
                    }
                }
            }
            ';' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses SQL text, refusing (with 54001) text whose expressions could nest deeper than
/// [`MAX_PARSE_DEPTH`]: sqlparser builds any depth, but then drops the tree recursively.
fn parse_sql(sql: &str) -> Result<Vec<ast::Statement>> {
    let syntax = |e: ParserError| {
        Error::Syntax(
            e.to_string()
                .trim_start_matches("sql parser error: ")
                .to_string(),
        )
    };
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| syntax(e.into()))?;
    let tokens = crate::window::frame::rewrite_exclusions(tokens);
    let tokens = crate::create_table_as::rewrite_column_names(tokens);
    if stack_depth::nesting_bound(&tokens) > MAX_PARSE_DEPTH {
        return Err(Error::StackDepthExceeded);
    }
    Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(syntax)
}

fn is_checkpoint(sql: &str) -> bool {
    sql.trim()
        .trim_end_matches(';')
        .trim()
        .eq_ignore_ascii_case("checkpoint")
}

fn count_params(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut max = 0;
    for (i, _) in sql.match_indices('$') {
        let digits: String = b[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .map(|&c| c as char)
            .collect();
        max = max.max(digits.parse().unwrap_or(0));
    }
    max
}

impl Session {
    /// A session on `mgr`, at READ COMMITTED by default (as PostgreSQL).
    pub fn new(mgr: TxnManager) -> Session {
        Session {
            txn: None,
            block: None,
            failed: false,
            savepoints: Vec::new(),
            default_level: IsolationLevel::ReadCommitted,
            default_read_only: false,
            catalog: Catalog::default(),
            cache: HashMap::new(),
            plans: Plans::default(),
            tick: 0,
            max_stack_depth: DEFAULT_MAX_STACK_DEPTH,
            max_recursive_rows: crate::recursive::DEFAULT_MAX_RECURSIVE_ROWS,
            sequences: SessionSequences::new(&mgr),
            block_began: 0,
            mgr,
        }
    }

    /// Sets how many bytes of stack a statement may use before it fails with 54001
    /// ("stack depth limit exceeded"), as PostgreSQL's `max_stack_depth`. The default,
    /// [`DEFAULT_MAX_STACK_DEPTH`], suits a thread with Rust's default 2 MiB stack; a
    /// session on a thread with a larger stack can allow more (leave a margin of a few
    /// hundred KiB below the stack's size), so that longer expressions run.
    pub fn set_max_stack_depth(&mut self, bytes: usize) {
        self.max_stack_depth = bytes;
    }

    /// The limit [`Session::set_max_stack_depth`] sets.
    pub fn max_stack_depth(&self) -> usize {
        self.max_stack_depth
    }

    /// Sets how many rows a recursive `WITH` query may produce before the statement
    /// fails with 54000, so that a recursion that never ends stops before memory runs
    /// out (see [`crate::recursive`]).
    pub fn set_max_recursive_rows(&mut self, rows: usize) {
        self.max_recursive_rows = rows;
    }

    /// The limit [`Session::set_max_recursive_rows`] sets.
    pub fn max_recursive_rows(&self) -> usize {
        self.max_recursive_rows
    }

    /// True inside `BEGIN ... COMMIT/ROLLBACK`.
    pub fn in_transaction(&self) -> bool {
        self.block.is_some()
    }

    /// True when the block failed and only ROLLBACK is accepted.
    pub fn transaction_failed(&self) -> bool {
        self.failed
    }

    /// The level of the open transaction block, else the session default.
    pub fn isolation_level(&self) -> IsolationLevel {
        self.block.map_or(self.default_level, |(level, _)| level)
    }

    /// Sets the level later transactions start at (`SET default_transaction_isolation`).
    pub fn set_default_isolation(&mut self, level: IsolationLevel) {
        self.default_level = level;
    }

    /// Runs `read` on the catalog as this session's next statement would see it, without
    /// changing the session ([`crate::describe`]): in the block's transaction, its own
    /// uncommitted DDL included, else in a read-only transaction of its own; 25P02 in a
    /// failed block.
    pub(crate) fn read_catalog<T>(
        &mut self,
        read: impl FnOnce(&Transaction, &mut Catalog) -> Result<T>,
    ) -> Result<T> {
        if self.failed {
            return Err(Error::InFailedTransaction);
        }
        if let Some(txn) = &self.txn {
            txn.begin_statement();
            return read(txn, &mut self.catalog);
        }
        // Beginning the block's transaction here would fix its snapshot (and its level).
        let txn = self.mgr.begin_read_only(self.isolation_level());
        let result = read(&txn, &mut self.catalog);
        txn.rollback();
        result
    }

    /// Runs one statement.
    pub fn execute(&mut self, sql: &str) -> Result<QueryResult> {
        if is_checkpoint(sql) {
            return self.checkpoint();
        }
        let result = match self.parse(sql) {
            Ok(Some(s)) => self.run(&s, &[]),
            Ok(None) => Ok(QueryResult::default()),
            Err(e) => Err(e),
        };
        self.abort_block_on_error(result)
    }

    /// Any error inside a transaction block, a syntax error or a misplaced `SET
    /// TRANSACTION` included, leaves the block failed (25P02 until ROLLBACK), as in
    /// PostgreSQL; errors of statements that ran in the block's transaction did so
    /// already.
    fn abort_block_on_error(&mut self, result: Result<QueryResult>) -> Result<QueryResult> {
        if result.is_err() && self.block.is_some() {
            // A savepoint keeps the transaction for ROLLBACK TO.
            if self.savepoints.is_empty() {
                if let Some(txn) = self.txn.take() {
                    txn.rollback();
                }
            } else {
                self.undo_since_newest_savepoint();
            }
            self.failed = true;
        }
        result
    }

    /// After an error under a savepoint, undoes the block's work since the newest one
    /// and frees the rows and table definitions first locked after it, at once: as
    /// PostgreSQL aborts the subtransaction when the error happens, not at ROLLBACK TO,
    /// a writer waiting for such a row goes on while the block is still failed. What
    /// was locked before the savepoint stays locked until the block ends. A transaction
    /// the transaction layer already rolled back has nothing left to undo.
    fn undo_since_newest_savepoint(&mut self) {
        let Some(&(_, Some(savepoint), held)) = self.savepoints.last() else {
            return;
        };
        if let Some(txn) = self.txn.as_mut() {
            if txn.rollback_to(savepoint).is_ok() {
                self.catalog.rolled_back(txn.id(), held);
            }
        }
    }

    /// Runs several statements separated by `;`, stopping at the first error (whose
    /// result is the last one returned).
    pub fn execute_batch(&mut self, sql: &str) -> Vec<Result<QueryResult>> {
        let mut out = Vec::new();
        for s in split_statements(sql) {
            let r = self.execute(&s);
            let failed = r.is_err();
            out.push(r);
            if failed {
                break;
            }
        }
        out
    }

    /// Parses a statement with `$1`.. parameters once, to run with
    /// [`Session::execute_prepared`].
    pub fn prepare(&mut self, sql: &str) -> Result<Prepared> {
        let statement = if is_checkpoint(sql) {
            None
        } else {
            Some(
                self.parse(sql)?
                    .ok_or_else(|| Error::Syntax("empty statement".into()))?,
            )
        };
        Ok(Prepared {
            sql: sql.to_string(),
            statement,
            params: count_params(sql),
        })
    }

    /// Runs a prepared statement with values for its parameters.
    pub fn execute_prepared(&mut self, p: &Prepared, params: &[Value]) -> Result<QueryResult> {
        let result = if params.len() != p.params {
            Err(Error::UndefinedParameter(format!(
                "prepared statement takes {} parameters, {} given",
                p.params,
                params.len()
            )))
        } else {
            match &p.statement {
                Some(s) => self.run(s, params),
                None => self.checkpoint(),
            }
        };
        self.abort_block_on_error(result)
    }

    fn parse(&mut self, sql: &str) -> Result<Option<Arc<ast::Statement>>> {
        self.tick += 1;
        if let Some((s, used)) = self.cache.get_mut(sql) {
            *used = self.tick;
            return Ok(Some(s.clone()));
        }
        let mut parsed = parse_sql(sql)?;
        if parsed.len() > 1 {
            return Err(Error::Syntax(
                "several statements given to execute; use execute_batch".into(),
            ));
        }
        let Some(statement) = parsed.pop() else {
            return Ok(None);
        };
        let statement = Arc::new(statement);
        if self.cache.len() >= STATEMENT_CACHE_SIZE {
            if let Some(oldest) = self
                .cache
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            {
                self.cache.remove(&oldest);
            }
        }
        self.cache
            .insert(sql.to_string(), (statement.clone(), self.tick));
        Ok(Some(statement))
    }

    fn checkpoint(&mut self) -> Result<QueryResult> {
        if self.failed {
            return Err(Error::InFailedTransaction);
        }
        self.mgr.checkpoint(|_| {})?;
        Ok(QueryResult::tag("CHECKPOINT"))
    }

    fn run(&mut self, stmt: &Arc<ast::Statement>, params: &[Value]) -> Result<QueryResult> {
        let _stack = StackGuard::enter(self.max_stack_depth);
        if self.failed {
            return match stmt.as_ref() {
                ast::Statement::Rollback {
                    chain: false,
                    savepoint: Some(name),
                } => self.rollback_to(name),
                ast::Statement::Rollback { .. } | ast::Statement::Commit { .. } => {
                    self.end_block();
                    Ok(QueryResult::tag("ROLLBACK"))
                }
                _ => Err(Error::InFailedTransaction),
            };
        }
        match stmt.as_ref() {
            ast::Statement::StartTransaction {
                modes,
                statements,
                exception,
                ..
            } => {
                if !statements.is_empty() || exception.is_some() {
                    return Err(Error::FeatureNotSupported("BEGIN ... END blocks".into()));
                }
                self.begin(modes)
            }
            ast::Statement::Commit { chain: false, .. } => self.commit(),
            ast::Statement::Rollback {
                chain: false,
                savepoint: None,
            } => Ok(self.rollback()),
            ast::Statement::Rollback {
                chain: false,
                savepoint: Some(name),
            } => self.rollback_to(name),
            ast::Statement::Savepoint { name } => self.savepoint(name),
            ast::Statement::ReleaseSavepoint { name } => self.release_savepoint(name),
            ast::Statement::Set(set) => self.set(set),
            ast::Statement::ShowVariable { variable } => self.show(variable),
            _ => self.in_transaction_block(stmt, params),
        }
    }

    fn access_modes(
        &self,
        modes: &[ast::TransactionMode],
        mut level: IsolationLevel,
        mut read_only: bool,
    ) -> Result<(IsolationLevel, bool)> {
        for m in modes {
            match m {
                ast::TransactionMode::IsolationLevel(l) => {
                    level =
                        l.to_string()
                            .parse()
                            .map_err(|e: isolde_txn::UnknownIsolationLevel| {
                                Error::FeatureNotSupported(e.to_string())
                            })?;
                }
                ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly) => {
                    read_only = true
                }
                ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadWrite) => {
                    read_only = false
                }
            }
        }
        Ok((level, read_only))
    }

    fn begin(&mut self, modes: &[ast::TransactionMode]) -> Result<QueryResult> {
        if self.block.is_some() {
            return Ok(QueryResult::tag("BEGIN")
                .with_notice("WARNING:  there is already a transaction in progress".into()));
        }
        self.block = Some(self.access_modes(modes, self.default_level, self.default_read_only)?);
        self.block_began = clock_now();
        Ok(QueryResult::tag("BEGIN"))
    }

    fn commit(&mut self) -> Result<QueryResult> {
        if self.block.is_none() {
            return Ok(QueryResult::tag("COMMIT")
                .with_notice("WARNING:  there is no transaction in progress".into()));
        }
        self.block = None;
        self.savepoints.clear();
        if let Some(txn) = self.txn.take() {
            txn.commit()
                .map_err(|e| self.describe(e.into(), Intent::Change))?;
        }
        Ok(QueryResult::tag("COMMIT"))
    }

    fn rollback(&mut self) -> QueryResult {
        if self.block.is_none() {
            return QueryResult::tag("ROLLBACK")
                .with_notice("WARNING:  there is no transaction in progress".into());
        }
        self.end_block();
        QueryResult::tag("ROLLBACK")
    }

    fn end_block(&mut self) {
        if let Some(txn) = self.txn.take() {
            txn.rollback();
        }
        self.block = None;
        self.failed = false;
        self.savepoints.clear();
    }

    /// SAVEPOINT name: inside a transaction block only (25P01). Before the block's first
    /// statement, which begins its transaction (and takes the snapshot), the savepoint is
    /// only noted, and taken when the transaction begins.
    fn savepoint(&mut self, name: &ast::Ident) -> Result<QueryResult> {
        if self.block.is_none() {
            return Err(Error::NoTransactionBlock("SAVEPOINT"));
        }
        let taken = match &mut self.txn {
            Some(txn) => Some((txn.savepoint().map_err(in_block)?, txn.id())),
            None => None,
        };
        let held = taken.map_or(0, |(_, id)| self.catalog.held_locks(id));
        self.savepoints
            .push((ident(name), taken.map(|(savepoint, _)| savepoint), held));
        Ok(QueryResult::tag("SAVEPOINT"))
    }

    /// The newest savepoint called `name`, by position, or 3B001.
    fn find_savepoint(&self, name: &ast::Ident) -> Result<usize> {
        let name = ident(name);
        self.savepoints
            .iter()
            .rposition(|(n, _, _)| *n == name)
            .ok_or(Error::NoSuchSavepoint(name))
    }

    /// ROLLBACK TO [SAVEPOINT] name: undoes the block's work since the savepoint, which
    /// stays, and ends a failed state, unless the transaction layer already rolled the
    /// whole transaction back (a serialization failure, a deadlock: it stays failed).
    fn rollback_to(&mut self, name: &ast::Ident) -> Result<QueryResult> {
        if self.block.is_none() {
            return Err(Error::NoTransactionBlock("ROLLBACK TO SAVEPOINT"));
        }
        let at = self.find_savepoint(name)?;
        let (_, savepoint, held) = self.savepoints[at];
        match (savepoint, self.txn.as_mut()) {
            (Some(savepoint), Some(txn)) => {
                txn.rollback_to(savepoint).map_err(in_block)?;
                self.catalog.rolled_back(txn.id(), held);
            }
            (Some(_), None) => return Err(Error::InFailedTransaction),
            // Taken before the transaction began: nothing to undo.
            (None, _) => {}
        }
        self.savepoints.truncate(at + 1);
        self.failed = false;
        Ok(QueryResult::tag("ROLLBACK"))
    }

    /// RELEASE [SAVEPOINT] name: forgets it and the savepoints taken after it.
    fn release_savepoint(&mut self, name: &ast::Ident) -> Result<QueryResult> {
        if self.block.is_none() {
            return Err(Error::NoTransactionBlock("RELEASE SAVEPOINT"));
        }
        let at = self.find_savepoint(name)?;
        if let (Some(savepoint), Some(txn)) = (self.savepoints[at].1, self.txn.as_mut()) {
            txn.release_savepoint(savepoint).map_err(in_block)?;
        }
        self.savepoints.truncate(at);
        Ok(QueryResult::tag("RELEASE"))
    }

    /// The block's transaction, begun now if no statement has run in the block yet (a
    /// transaction begins with the snapshot its first statement would take, and takes
    /// the savepoints noted before it), or the autocommit statement's own.
    fn block_transaction(&mut self) -> Transaction {
        if let Some(t) = self.txn.take() {
            t.begin_statement();
            return t;
        }
        let (level, read_only) = self
            .block
            .unwrap_or((self.default_level, self.default_read_only));
        let mut txn = if read_only {
            self.mgr.begin_read_only(level)
        } else {
            self.mgr.begin(level)
        };
        for (_, savepoint, _) in &mut self.savepoints {
            // A new transaction is active: taking a savepoint cannot fail.
            *savepoint = txn.savepoint().ok();
        }
        txn
    }

    fn set(&mut self, set: &ast::Set) -> Result<QueryResult> {
        match set {
            ast::Set::SetTransaction {
                modes,
                snapshot: None,
                session,
            } => {
                if *session {
                    let (level, read_only) =
                        self.access_modes(modes, self.default_level, self.default_read_only)?;
                    self.default_level = level;
                    self.default_read_only = read_only;
                    return Ok(QueryResult::tag("SET"));
                }
                self.set_transaction(modes)
            }
            ast::Set::SingleAssignment {
                variable, values, ..
            } => {
                let name = object_name(variable)?;
                let value = match values.as_slice() {
                    [ast::Expr::Value(v)] => match &v.value {
                        ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                            s.clone()
                        }
                        other => other.to_string(),
                    },
                    [ast::Expr::Identifier(i)] => i.value.clone(),
                    _ => {
                        return Err(Error::InvalidArgument(format!(
                            "invalid value for parameter \"{name}\""
                        )))
                    }
                };
                if name == "timezone" {
                    return set_time_zone(&value);
                }
                if name != "default_transaction_isolation" && name != "transaction_isolation" {
                    return Err(Error::UndefinedObject(format!(
                        "unrecognized configuration parameter \"{name}\""
                    )));
                }
                let level: Option<IsolationLevel> = if value.eq_ignore_ascii_case("default") {
                    None
                } else {
                    Some(
                        value
                            .parse()
                            .map_err(|e: isolde_txn::UnknownIsolationLevel| {
                                Error::InvalidArgument(format!(
                                    "invalid value for parameter \"{name}\": {e}"
                                ))
                            })?,
                    )
                };
                match name.as_str() {
                    "default_transaction_isolation" => {
                        self.default_level = level.unwrap_or(IsolationLevel::ReadCommitted);
                        Ok(QueryResult::tag("SET"))
                    }
                    "transaction_isolation" => match self.block {
                        Some((_, ro)) if self.txn.is_none() => {
                            self.block = Some((level.unwrap_or(self.default_level), ro));
                            Ok(QueryResult::tag("SET"))
                        }
                        Some(_) => Err(too_late()),
                        None => Ok(QueryResult::tag("SET").with_notice(
                            "WARNING:  SET TRANSACTION can only be used in transaction blocks"
                                .into(),
                        )),
                    },
                    _ => Err(Error::UndefinedObject(format!(
                        "unrecognized configuration parameter \"{name}\""
                    ))),
                }
            }
            ast::Set::SetTimeZone { value, .. } => match value {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) => set_time_zone(s),
                    other => set_time_zone(&other.to_string()),
                },
                ast::Expr::Identifier(i) => set_time_zone(&i.value),
                other => set_time_zone(&other.to_string()),
            },
            other => Err(Error::FeatureNotSupported(format!("{other}"))),
        }
    }

    fn set_transaction(&mut self, modes: &[ast::TransactionMode]) -> Result<QueryResult> {
        let Some((level, ro)) = self.block else {
            return Ok(QueryResult::tag("SET").with_notice(
                "WARNING:  SET TRANSACTION can only be used in transaction blocks".into(),
            ));
        };
        if self.txn.is_some() {
            return Err(too_late());
        }
        self.block = Some(self.access_modes(modes, level, ro)?);
        Ok(QueryResult::tag("SET"))
    }

    fn show(&mut self, variable: &[ast::Ident]) -> Result<QueryResult> {
        let name = variable.iter().map(ident).collect::<Vec<_>>().join(" ");
        let value = match name.as_str() {
            "transaction_isolation" | "transaction isolation level" => self.isolation_level(),
            "default_transaction_isolation" => self.default_level,
            "timezone" | "time zone" => return Ok(show(&name, "UTC")),
            "datestyle" => return Ok(show(&name, "ISO, MDY")),
            "intervalstyle" => return Ok(show(&name, "postgres")),
            _ => {
                return Err(Error::UndefinedObject(format!(
                    "unrecognized configuration parameter \"{name}\""
                )))
            }
        };
        Ok(QueryResult {
            columns: [name.replace(' ', "_")].into(),
            rows: vec![vec![Value::Text(value.sql_name().to_string())]],
            tag: "SHOW".into(),
            notices: Vec::new(),
        })
    }

    /// Runs a statement in the block's transaction, or in its own (autocommit).
    fn in_transaction_block(
        &mut self,
        stmt: &Arc<ast::Statement>,
        params: &[Value],
    ) -> Result<QueryResult> {
        let cell = RefCell::new(self.block_transaction());
        let times = StatementTimes::new(self.block.map(|_| self.block_began));
        let result = {
            let mut env = Env::with_params(&self.mgr, &cell, &self.sequences, params, &times);
            env.max_recursive_rows = self.max_recursive_rows;
            if is_cacheable(stmt) {
                self.plans.run(stmt, &mut env, &mut self.catalog)
            } else {
                statement(&mut Planner::new(&env, &mut self.catalog), stmt)
            }
        };
        let txn = cell.into_inner();
        match (result, self.block.is_some()) {
            (Ok(r), true) => {
                self.txn = Some(txn);
                Ok(r)
            }
            (Ok(r), false) => {
                txn.commit()
                    .map_err(|e| self.describe(e.into(), Intent::Change))?;
                Ok(r)
            }
            // With a savepoint to return to, the failed block keeps its transaction for
            // ROLLBACK TO (its work since the newest savepoint is undone by
            // `abort_block_on_error`); otherwise only a ROLLBACK can follow, and the
            // transaction ends now.
            (Err(e), true) if !self.savepoints.is_empty() => {
                self.txn = Some(txn);
                self.failed = true;
                Err(self.describe(e, intent(stmt)))
            }
            (Err(e), in_block) => {
                txn.rollback();
                if in_block {
                    self.failed = true;
                }
                Err(self.describe(e, intent(stmt)))
            }
        }
    }

    /// Adds to a serialization failure, deadlock or lock timeout its detail in SQL terms
    /// ([`Error::with_sql_detail`]). Tables are named as the newest committed catalog has
    /// them: the failed transaction can no longer read, and a table it created itself is
    /// visible to no other, so no conflict can be on it.
    fn describe(&mut self, e: Error, intent: Intent) -> Error {
        if !e.is_conflict() {
            return e;
        }
        let tables = self.committed_tables();
        e.with_sql_detail(intent, &tables)
    }

    /// Every committed table definition; those that do not read or decode are left out
    /// (an error message falls back to raw keys for them rather than fail).
    fn committed_tables(&mut self) -> Vec<Arc<Table>> {
        let txn = self.mgr.begin_read_only(IsolationLevel::ReadCommitted);
        let names: Vec<String> = match txn.scan_prefix(&table_def_prefix()) {
            Ok(scan) => scan
                .filter_map(|(key, _)| match parse_key(&key) {
                    Some(StoredKey::TableDef(name)) => Some(name.to_string()),
                    _ => None,
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        let tables = names
            .iter()
            .filter_map(|name| self.catalog.get_table(&txn, name).ok().flatten())
            .collect();
        txn.rollback();
        tables
    }
}

impl Plans {
    /// Runs a query or row change with its cached plan if that plan is current (else
    /// planning and caching it first), or planned with its values when the cached plan
    /// cannot stand for that ([`CachedPlan::run`]).
    fn run(
        &mut self,
        stmt: &Arc<ast::Statement>,
        env: &mut Env<'_>,
        catalog: &mut Catalog,
    ) -> Result<QueryResult> {
        if let Some(name) = dml::writes(stmt) {
            dml::check_writable(env, name)?;
        }
        let key = Arc::as_ptr(stmt) as usize;
        self.tick += 1;
        let current = match self.entries.get_mut(&key) {
            Some(e) => {
                e.used = self.tick;
                e.plan.is_current(env, catalog)?
            }
            None => false,
        };
        if !current {
            let plan = CachedPlan::plan(stmt, env, catalog)?;
            self.remember(stmt, plan);
        }
        // The entry is there: found current, or just inserted.
        if let Some(e) = self.entries.get(&key) {
            if let Some(result) = e.plan.run(env)? {
                return Ok(result);
            }
        }
        statement(&mut Planner::new(env, catalog), stmt)
    }

    fn remember(&mut self, stmt: &Arc<ast::Statement>, plan: CachedPlan) {
        let key = Arc::as_ptr(stmt) as usize;
        if self.entries.len() >= PLAN_CACHE_SIZE && !self.entries.contains_key(&key) {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k)
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(
            key,
            PlanEntry {
                _statement: stmt.clone(),
                plan,
                used: self.tick,
            },
        );
    }
}

/// What a statement does to the rows it touches, for conflict details.
fn intent(stmt: &ast::Statement) -> Intent {
    match stmt {
        ast::Statement::Insert(_) => Intent::Insert,
        ast::Statement::Update(_) => Intent::Update,
        ast::Statement::Delete(_) => Intent::Delete,
        ast::Statement::Query(_) => Intent::Lock,
        _ => Intent::Change,
    }
}

/// `SET TIME ZONE zone` / `SET timezone = zone`: the session time zone is always UTC
/// ([`crate::datetime`]), so only UTC's names (and `LOCAL` and `DEFAULT`, which are UTC
/// here) are accepted; any other zone is 0A000 rather than silently ignored.
fn set_time_zone(zone: &str) -> Result<QueryResult> {
    const UTC: [&str; 12] = [
        "utc",
        "etc/utc",
        "gmt",
        "etc/gmt",
        "z",
        "zulu",
        "uct",
        "universal",
        "local",
        "default",
        "0",
        "+00:00",
    ];
    if UTC.iter().any(|z| zone.trim().eq_ignore_ascii_case(z)) {
        return Ok(QueryResult::tag("SET"));
    }
    Err(Error::FeatureNotSupported(format!(
        "time zone \"{zone}\": the session time zone is always UTC"
    )))
}

/// The result of `SHOW name` with a fixed value.
fn show(name: &str, value: &str) -> QueryResult {
    let column = match name {
        "time zone" | "timezone" => "TimeZone",
        "datestyle" => "DateStyle",
        "intervalstyle" => "IntervalStyle",
        other => other,
    };
    QueryResult {
        columns: [column.to_string()].into(),
        rows: vec![vec![Value::Text(value.to_string())]],
        tag: "SHOW".into(),
        notices: Vec::new(),
    }
}

fn too_late() -> Error {
    Error::ActiveTransaction(
        "SET TRANSACTION ISOLATION LEVEL must be called before any query".into(),
    )
}

/// Dispatches one statement inside a transaction.
/// A transaction-layer error of a savepoint command: a transaction that layer already
/// rolled back is the block's failed state (25P02), not an error of its own.
fn in_block(e: isolde_txn::Error) -> Error {
    match e {
        isolde_txn::Error::Aborted { .. } => Error::InFailedTransaction,
        e => e.into(),
    }
}

fn statement(p: &mut Planner<'_, '_>, stmt: &ast::Statement) -> Result<QueryResult> {
    match stmt {
        ast::Statement::Query(q) => {
            if let Some(change) = dml::change_under_with(q) {
                return p.with(q.with.as_ref(), |p| statement(p, change));
            }
            if let Some(name) = dml::writes(stmt) {
                dml::check_writable(p.env, name)?;
            }
            let planned = p.query(q)?;
            let rows = executor::run(&planned.plan, p.env)?;
            Ok(QueryResult {
                columns: planned.columns,
                tag: QueryResult::count_tag("SELECT ", rows.len()),
                rows,
                notices: Vec::new(),
            })
        }
        ast::Statement::Insert(i) => dml::insert(p, i),
        ast::Statement::Update(u) => dml::update(p, u),
        ast::Statement::Delete(d) => dml::delete(p, d),
        ast::Statement::CreateTable(ct) => ddl::create_table(p, ct),
        ast::Statement::AlterTable(at) => alter::alter_table(p, at),
        ast::Statement::CreateIndex(ci) => ddl::create_index(p, ci),
        ast::Statement::CreateSequence {
            temporary,
            if_not_exists,
            name,
            data_type,
            sequence_options,
            owned_by,
        } => {
            if *temporary || owned_by.is_some() {
                return Err(Error::FeatureNotSupported(
                    "CREATE TEMPORARY SEQUENCE / OWNED BY".into(),
                ));
            }
            ddl::create_sequence(
                p,
                name,
                *if_not_exists,
                data_type.as_ref(),
                sequence_options,
            )
        }
        ast::Statement::Truncate(t) => ddl::truncate(p, t),
        ast::Statement::CreateView(cv) => view::create_view(p, cv),
        ast::Statement::Drop {
            object_type: ast::ObjectType::View,
            if_exists,
            names,
            cascade,
            temporary: false,
            table: None,
            ..
        } => view::drop_views(p, *if_exists, names, *cascade),
        ast::Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            temporary: false,
            table: None,
            ..
        } => ddl::drop(p, object_type, *if_exists, names, *cascade),
        ast::Statement::Explain {
            statement: inner,
            analyze,
            options,
            ..
        } if explain_analyzes(*analyze, options.as_deref())? => {
            explain_analyze::explain_analyze(p, inner)
        }
        ast::Statement::Explain {
            statement: inner, ..
        } => {
            p.explain = true;
            let lines = match inner.as_ref() {
                ast::Statement::Query(q) => match dml::change_under_with(q) {
                    Some(change) => p.with(q.with.as_ref(), |p| dml::explain(p, change))?,
                    None => {
                        let mut lines = Vec::new();
                        p.query(q)?.plan.explain(&mut lines, 0);
                        lines
                    }
                },
                other => dml::explain(p, other)?,
            };
            Ok(QueryResult {
                columns: ["QUERY PLAN".to_string()].into(),
                tag: format!("EXPLAIN {}", lines.len()),
                rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
                notices: Vec::new(),
            })
        }
        other => {
            let text = other.to_string();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            Err(Error::FeatureNotSupported(format!(
                "statement {}",
                words.join(" ")
            )))
        }
    }
}

/// Whether an EXPLAIN runs its statement: `EXPLAIN ANALYZE`, or an `ANALYZE` among the
/// parenthesised options (`EXPLAIN (ANALYZE, COSTS OFF)`). The other options
/// PostgreSQL 15 knows change nothing in isolde's plan text (it shows no costs, buffers
/// or settings), but a format other than text is refused, and an unknown option or a
/// value that is not a Boolean is an error, as in PostgreSQL.
fn explain_analyzes(analyze: bool, options: Option<&[ast::UtilityOption]>) -> Result<bool> {
    let mut analyzes = analyze;
    for option in options.unwrap_or_default() {
        let name = option.name.value.to_lowercase();
        let word = option.arg.as_ref().map(|a| a.to_string().to_lowercase());
        let boolean = || match word.as_deref() {
            None | Some("true" | "on" | "1") => Ok(true),
            Some("false" | "off" | "0") => Ok(false),
            Some(_) => Err(Error::SyntaxRule(format!(
                "{name} requires a Boolean value"
            ))),
        };
        match name.as_str() {
            "analyze" => analyzes = boolean()?,
            "verbose" | "costs" | "settings" | "buffers" | "wal" | "timing" | "summary" => {
                boolean()?;
            }
            "format" if word.as_deref() == Some("text") => {}
            "format" => {
                return Err(Error::FeatureNotSupported(format!(
                    "EXPLAIN format {}",
                    word.unwrap_or_default()
                )))
            }
            _ => {
                return Err(Error::SyntaxRule(format!(
                    "unrecognized EXPLAIN option \"{name}\""
                )))
            }
        }
    }
    Ok(analyzes)
}
