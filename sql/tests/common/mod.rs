//! Helpers shared by the two-session SQL tests.

use isolde_sql::{QueryResult, Session};
use isolde_txn::{Options, TxnManager};

/// Two sessions on a fresh in-memory database, after `setup` ran in the first (one
/// transaction per statement: `CREATE` is T1, the first `INSERT` T2, and so on).
pub fn sessions_with(options: Options, setup: &str) -> (Session, Session) {
    let mgr = TxnManager::in_memory(options);
    let mut a = Session::new(mgr.clone());
    for r in a.execute_batch(setup) {
        r.expect("setup statement succeeds");
    }
    (a, Session::new(mgr))
}

/// [`sessions_with`] the default options.
pub fn sessions(setup: &str) -> (Session, Session) {
    sessions_with(Options::default(), setup)
}

/// Runs `sql`, which must succeed.
pub fn ok(s: &mut Session, sql: &str) -> QueryResult {
    match s.execute(sql) {
        Ok(r) => r,
        Err(e) => panic!("{sql}: {e}"),
    }
}
