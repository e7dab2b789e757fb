//! Cached plans: a statement planned once with its `$n` parameters left open, and run
//! again while the table definitions it was planned against are unchanged.
//!
//! Planning from the AST (resolving names, folding constants, choosing access paths) cost
//! more than running a point query. A session therefore keeps, for each parsed statement
//! it runs (prepared, or from its statement cache), a [`CachedPlan`] made by a
//! [`Planner::for_cache`], whose plans differ from the ordinary ones in three ways:
//!
//! - `$n` is an [`Expr::Param`], read from the execution's values, not a constant;
//! - an expression that planning with the values would fold to a constant (`$1 + 1`)
//!   is an [`Expr::Deferred`]: its value is computed once per execution, before the plan
//!   runs, in the same way;
//! - a scan whose WHERE clause mentions parameters has [`Access::Parameterized`]: its
//!   access path is chosen at each execution from the values, by the same rules.
//!
//! So a cached plan run with some values does what planning with those values would have
//! done, with one exception, handled by not using the cached plan: a deferred constant
//! whose evaluation fails (planning would have reported the error, at planning time).
//! Then, and whenever planning without values fails (an unknown column, a subquery,
//! whose rows a plan caches for one execution, `LIMIT $1`, which planning needs to know),
//! the statement is planned with its values as before, which raises exactly the errors
//! it always raised.
//!
//! # Staying correct under DDL
//!
//! A plan depends on the table definitions it was planned against: their columns, their
//! indexes (which decide access paths), their ids. DDL is transactional, so which
//! definition a statement must use depends on its snapshot, and at SERIALIZABLE reading a
//! definition is a tracked read. A cached plan therefore never skips those reads: each
//! execution reads every definition planning read, through the statement's transaction,
//! in the same order and with the same locks, and compares the bytes found with those the
//! plan was made from. Any difference (the table was dropped, re-created with other
//! columns, given an index) means planning again. The reads are the ones planning would
//! have made anyway; only the decoding and planning after them are saved.
//!
//! Except where they cannot find anything new: within the transaction that last found
//! the definitions unchanged, a definition it holds locked can only be changed by the
//! transaction itself (DDL waits for the lock), and at REPEATABLE READ and SERIALIZABLE
//! one it read is fixed by its snapshot, again but for its own writes (not at READ
//! UNCOMMITTED, which reads definitions dirty, as it reads rows). So while the same
//! transaction runs the plan again, with no table definition written by the session
//! since, and still holding those locks, the plan is current without reading anything
//! (a prepared INSERT repeated in one transaction block spent a tenth of its time
//! re-reading its table's definition).
//!
//! Nor across transactions at the same snapshot: a transaction at READ COMMITTED or
//! REPEATABLE READ that has written nothing reads the definitions as committed at its
//! snapshot, and its reads are not tracked. So a plan whose definitions were found
//! unchanged by such a transaction, read without locks, is current for any other such
//! transaction at the same snapshot, with no definition written by the session since.
//! While nothing commits, autocommit queries skip the reads (they were a tenth of a
//! point SELECT).

use isolde_txn::{IsolationLevel, LockMode, Timestamp, Transaction, TxnId, Value as Stored};
use sqlparser::ast;

use crate::catalog::Catalog;
use crate::dml::{self, DeletePlan, InsertPlan, UpdatePlan};
use crate::error::{Error, Result};
use crate::executor::{self, Env};
use crate::expression::Expr;
use crate::planner::{Planned, Planner};
use crate::session::QueryResult;

/// A table definition planning read, and the bytes it found.
struct Dependency {
    name: String,
    key: Vec<u8>,
    lock: Option<LockMode>,
    bytes: Option<isolde_txn::Value>,
}

/// What a [`Planner::for_cache`] records while planning.
pub struct Recorder {
    deps: Vec<Dependency>,
    /// How many views' queries are being planned around the current read, and the
    /// definitions read outside any: what CREATE VIEW records as the view's direct
    /// dependencies.
    view_depth: usize,
    direct: Vec<String>,
    deferred: Vec<Expr>,
    params: usize,
    cacheable: bool,
}

impl Default for Recorder {
    fn default() -> Recorder {
        Recorder {
            deps: Vec::new(),
            view_depth: 0,
            direct: Vec::new(),
            deferred: Vec::new(),
            params: 0,
            cacheable: true,
        }
    }
}

impl Recorder {
    /// Notes a read of table `name`'s definition (under `key`, locked with `lock`).
    pub fn read(
        &mut self,
        name: &str,
        key: Vec<u8>,
        lock: Option<LockMode>,
        bytes: Option<isolde_txn::Value>,
    ) {
        if self.view_depth == 0 && bytes.is_some() && !self.direct.iter().any(|d| d == name) {
            self.direct.push(name.to_string());
        }
        self.deps.push(Dependency {
            name: name.to_string(),
            key,
            lock,
            bytes,
        });
    }

    /// Notes the start (`true`) or end of the planning of a view's query.
    pub fn in_view(&mut self, entering: bool) {
        match entering {
            true => self.view_depth += 1,
            false => self.view_depth = self.view_depth.saturating_sub(1),
        }
    }

    /// The existing definitions read outside any view's query, in the order first read.
    pub fn direct_reads(self) -> Vec<String> {
        self.direct
    }

    /// Notes a use of parameter `$index + 1`.
    pub fn param(&mut self, index: usize) {
        self.params = self.params.max(index + 1);
    }

    /// Sets `e` (constants and parameters only) aside to be evaluated at each execution,
    /// and returns the expression that reads its value.
    pub fn defer(&mut self, e: Expr) -> Expr {
        self.deferred.push(e);
        Expr::Deferred(self.deferred.len() - 1)
    }

    /// Marks the plan as not reusable.
    pub fn uncacheable(&mut self) {
        self.cacheable = false;
    }
}

/// A planned statement of one of the kinds plans are cached for.
enum Body {
    Query(Planned),
    Insert(Box<InsertPlan>),
    Update(UpdatePlan),
    Delete(DeletePlan),
}

/// A reusable plan: the statement's body, what it needs computed per execution, and the
/// definitions it was planned against.
struct Reusable {
    body: Body,
    deferred: Vec<Expr>,
    /// How many parameter values it needs.
    params: usize,
}

/// The outcome of planning a statement without its values, with the definition reads
/// that outcome depends on.
pub struct CachedPlan {
    deps: Vec<Dependency>,
    /// The transaction that last read the definitions and found them unchanged, and
    /// the session's count of definition writes ([`Catalog::writes`]) at that time.
    verified: Option<(TxnId, u64)>,
    /// The snapshot at which a transaction reading the committed definitions last found
    /// them unchanged (see [`committed_snapshot`]), and the session's count of definition
    /// writes then; None when one of them is read with a lock.
    verified_at: Option<(Timestamp, u64)>,
    /// None when planning without values failed: the statement is planned with its
    /// values at each execution (planning without them would fail the same way while
    /// the definitions are unchanged).
    plan: Option<Reusable>,
}

/// The snapshot at which `txn` reads the table definitions as they were committed, its
/// reads untracked: at READ COMMITTED and REPEATABLE READ, before it writes anything, for
/// a plan that reads them all without locks (`unlocked`). None otherwise.
fn committed_snapshot(txn: &Transaction, unlocked: bool) -> Option<Timestamp> {
    let level = txn.level();
    let untracked = matches!(
        level,
        IsolationLevel::ReadCommitted | IsolationLevel::RepeatableRead
    );
    (unlocked && untracked && !txn.has_writes()).then(|| txn.snapshot())
}

/// True for the statements whose plans are cached: queries and row changes (DDL,
/// EXPLAIN and transaction control are planned each time).
pub fn is_cacheable(stmt: &ast::Statement) -> bool {
    matches!(
        stmt,
        ast::Statement::Query(_)
            | ast::Statement::Insert(_)
            | ast::Statement::Update(_)
            | ast::Statement::Delete(_)
    )
}

impl CachedPlan {
    /// Plans `stmt` (see [`is_cacheable`]) without parameter values. Fails only when a
    /// read of the catalog fails (a transaction error, or a definition that does not
    /// decode): planning errors make a plan that defers to planning with the values.
    pub fn plan(stmt: &ast::Statement, env: &Env<'_>, catalog: &mut Catalog) -> Result<CachedPlan> {
        let mut p = Planner::for_cache(env, catalog);
        let body = match stmt {
            ast::Statement::Query(q) => p.query(q).map(Body::Query),
            ast::Statement::Insert(i) => {
                dml::plan_insert(&mut p, i).map(|i| Body::Insert(Box::new(i)))
            }
            ast::Statement::Update(u) => dml::plan_update(&mut p, u).map(Body::Update),
            ast::Statement::Delete(d) => dml::plan_delete(&mut p, d).map(Body::Delete),
            _ => Err(Error::FeatureNotSupported("caching this statement".into())),
        };
        let recorder = p.recorder.take().unwrap_or_default();
        let plan = match body {
            Ok(body) if recorder.cacheable => Some(Reusable {
                body,
                deferred: recorder.deferred,
                params: recorder.params,
            }),
            Ok(_) => None,
            Err(e @ (Error::Txn { .. } | Error::Corrupt(_))) => return Err(e),
            Err(_) => None,
        };
        let txn = env.txn.borrow();
        let unlocked = recorder.deps.iter().all(|dep| dep.lock.is_none());
        Ok(CachedPlan {
            deps: recorder.deps,
            verified: Some((txn.id(), catalog.writes())),
            verified_at: committed_snapshot(&txn, unlocked).map(|ts| (ts, catalog.writes())),
            plan,
        })
    }

    /// Reads every definition the plan was made from, as planning did, and tells whether
    /// each is still the same; or, when none can have changed since the transaction
    /// last did so (see the module docs), tells so without reading.
    pub fn is_current(&mut self, env: &Env<'_>, catalog: &mut Catalog) -> Result<bool> {
        let (txn, level, at) = {
            let txn = env.txn.borrow();
            let unlocked = self.deps.iter().all(|dep| dep.lock.is_none());
            let at = committed_snapshot(&txn, unlocked).map(|ts| (ts, catalog.writes()));
            (txn.id(), txn.level(), at)
        };
        if at.is_some() && at == self.verified_at {
            return Ok(true);
        }
        let verified = Some((txn, catalog.writes()));
        if self.verified == verified
            && self.deps.iter().all(|dep| match dep.lock {
                Some(mode) => catalog.holds(txn, &dep.name, mode),
                None => level.uses_transaction_snapshot(),
            })
        {
            return Ok(true);
        }
        for dep in &self.deps {
            let planned = dep.bytes.as_ref();
            let same = match dep.lock {
                // Compared where it is stored, without taking a reference to it.
                None => env
                    .txn
                    .borrow()
                    .get_with(&dep.key, |now| same_definition(now, planned))?,
                Some(mode) => {
                    let mut txn = env.txn.borrow_mut();
                    let now = catalog.lock_definition(&mut txn, &dep.name, &dep.key, mode)?;
                    txn.begin_statement();
                    same_definition(now.as_ref(), planned)
                }
            };
            if !same {
                return Ok(false);
            }
        }
        self.verified = verified;
        self.verified_at = at;
        Ok(true)
    }

    /// Runs the plan with the parameter values of `env`. None when it cannot stand for
    /// planning with those values (see the module docs): the caller then plans with
    /// them. Nothing has been read or written for the statement itself at that point.
    pub fn run(&self, env: &mut Env<'_>) -> Result<Option<QueryResult>> {
        let Some(plan) = &self.plan else {
            return Ok(None);
        };
        if env.param_count() < plan.params || env.bind_deferred(&plan.deferred).is_err() {
            return Ok(None);
        }
        let env = &*env;
        let result = match &plan.body {
            Body::Query(q) => {
                let rows = executor::run(&q.plan, env)?;
                QueryResult {
                    columns: q.columns.clone(),
                    tag: QueryResult::count_tag("SELECT ", rows.len()),
                    rows,
                    notices: Vec::new(),
                }
            }
            Body::Insert(i) => dml::run_insert(i, env)?,
            Body::Update(u) => dml::run_update(u, env)?,
            Body::Delete(d) => dml::run_delete(d, env)?,
        };
        Ok(Some(result))
    }
}

/// Whether a definition read now is the one a plan was made from. The store hands out
/// the value it holds, so an unchanged definition is usually the very allocation
/// planning read: no bytes to compare.
fn same_definition(now: Option<&Stored>, planned: Option<&Stored>) -> bool {
    match (now, planned) {
        (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b) || a[..] == b[..],
        (None, None) => true,
        _ => false,
    }
}
