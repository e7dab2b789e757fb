//! How many of SERIALIZABLE's serialization failures were needed?
//!
//! `cargo run --release --example false_aborts [histories]`
//!
//! # The workload
//!
//! The randomised-checking workload of `tests/stress.rs` (`tests/stress/workload.rs`): four
//! threads, each running short random transactions (one to four steps among point reads,
//! range scans, blind writes, inserts, read-modify-write updates and deletes) over six
//! keys, on a fresh in-memory database per history, no voluntary rollbacks, no retries.
//! The seeds are fixed, so every run executes the same programs; the interleaving is the
//! threads'. The same programs then run at REPEATABLE READ for comparison.
//!
//! # Deciding whether an abort was false
//!
//! SSI refuses a commit when it completes a *dangerous structure* of two rw
//! anti-dependencies, which every cycle contains but which does not always lie on one;
//! and snapshot isolation's first-updater-wins refuses any write over a concurrent
//! commit, even a blind one a serial order would allow. For each transaction `A` that
//! failed with 40001 the history is replayed as if `A` had committed:
//!
//! 1. take the committed transactions of the history (the final whole-store read left
//!    out, since it ran after everything);
//! 2. add `A` with the reads and writes it recorded, committed at the point where it
//!    failed: its timestamp is placed just after the newest commit visible at that moment
//!    and before every later one, which fixes the place of its writes in each key's
//!    version order;
//! 3. rebuild the dependency graph (ww, wr, and rw item and predicate edges; see
//!    `tests/stress/checker.rs`) and look for a cycle.
//!
//! No cycle: the history would still have been serializable, and the abort was *false*.
//! The other transactions' reads are kept as they happened: a reader whose snapshot came
//! after `A`'s commit point would have seen `A`'s writes (and then perhaps done something
//! else), which no replay can know; the replay gives it an rw edge to `A` instead.
//!
//! A transaction refused by `commit` had run all its steps, so its replay is exact. One
//! that failed on a step (first-updater-wins on a write, or an SSI check on a read or
//! write) is replayed with the steps it ran plus the write it failed on; the steps it
//! never ran are left out, which can only remove edges, so for those the false count is
//! an upper bound. The two kinds are reported apart.

#[path = "../tests/stress/checker.rs"]
mod checker;
#[path = "../tests/stress/workload.rs"]
mod workload;

use std::time::Instant;

use checker::{History, Outcome, Report};
use isolde::IsolationLevel;
use workload::{Abort, Cause, Config, Run};

/// Default number of histories per level: about 20 s in release on a busy two-core machine.
const HISTORIES: u64 = 50;
const WORKERS: usize = 4;
const TXNS_PER_WORKER: usize = 100;

/// Counts over all histories of one level.
#[derive(Default)]
struct Tally {
    commits: usize,
    deadlocks: usize,
    /// 40001 from `commit`: (aborts, of which false).
    at_commit: (usize, usize),
    /// 40001 from a read or write: (aborts, of which false, as an upper bound).
    at_step: (usize, usize),
    /// What the checker found in the histories as they ran.
    report: Report,
    /// Point reads of an absent key whose deleter could not be named.
    unresolved: usize,
}

impl Tally {
    fn aborts(&self) -> usize {
        self.at_commit.0 + self.at_step.0
    }

    fn attempts(&self) -> usize {
        self.commits + self.aborts() + self.deadlocks
    }
}

fn main() {
    let histories = match std::env::args().nth(1).map(|a| a.parse::<u64>()) {
        None => HISTORIES,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: false_aborts [histories, a positive number]");
            std::process::exit(2);
        }
    };
    println!(
        "{histories} histories per level, {WORKERS} threads x {TXNS_PER_WORKER} transactions, \
         6 keys, no retries"
    );
    let started = Instant::now();
    let ser = measure(IsolationLevel::Serializable, histories);
    let rr = measure(IsolationLevel::RepeatableRead, histories);
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let false_aborts = ser.at_commit.1 + ser.at_step.1;
    println!(
        "SERIALIZABLE: {} attempts, {} commits, {} serialization aborts ({:.1}% of attempts), \
         {} deadlocks",
        ser.attempts(),
        ser.commits,
        ser.aborts(),
        pct(ser.aborts(), ser.attempts()),
        ser.deadlocks
    );
    println!(
        "  checked: {}",
        ser.report.summary(IsolationLevel::Serializable)
    );
    println!(
        "  refused at commit: {}, of which false: {} ({:.1}%)",
        ser.at_commit.0,
        ser.at_commit.1,
        pct(ser.at_commit.1, ser.at_commit.0)
    );
    println!(
        "  refused on a step: {}, of which false (upper bound): {} ({:.1}%)",
        ser.at_step.0,
        ser.at_step.1,
        pct(ser.at_step.1, ser.at_step.0)
    );
    println!(
        "  false aborts overall: {false_aborts} of {} ({:.1}%)",
        ser.aborts(),
        pct(false_aborts, ser.aborts())
    );
    println!(
        "REPEATABLE READ: {} attempts, {} commits, {} serialization aborts ({:.1}% of \
         attempts), {} deadlocks",
        rr.attempts(),
        rr.commits,
        rr.aborts(),
        pct(rr.aborts(), rr.attempts()),
        rr.deadlocks
    );
    println!(
        "  checked: {}",
        rr.report.summary(IsolationLevel::RepeatableRead)
    );
    println!(
        "absent reads whose deleter could not be named: {}",
        ser.unresolved + rr.unresolved
    );
    println!("({:.1} s)", started.elapsed().as_secs_f64());
}

/// Runs the fixed workload at `level`; at SERIALIZABLE also checks each history and
/// replays each serialization failure.
fn measure(level: IsolationLevel, histories: u64) -> Tally {
    let mut tally = Tally::default();
    for seed in 0..histories {
        let run = workload::run(&Config {
            level,
            workers: WORKERS,
            txns_per_worker: TXNS_PER_WORKER,
            seed,
            rollback_percent: 0,
        });
        tally.commits += run.committed();
        tally.deadlocks += run.aborted(Cause::Deadlock);
        tally.unresolved += run.unresolved;
        let report = run.history.check();
        let forbidden = report.forbidden(level);
        assert!(
            forbidden.is_empty(),
            "seed {seed} at {level}: {forbidden:?}"
        );
        tally.report.merge(report);
        let serializable = level == IsolationLevel::Serializable;
        for abort in run
            .aborts
            .iter()
            .filter(|a| a.cause == Cause::Serialization)
        {
            let false_abort = serializable && !as_if_committed(&run, abort).has_cycle();
            let counts = match abort.at_commit {
                true => &mut tally.at_commit,
                false => &mut tally.at_step,
            };
            counts.0 += 1;
            counts.1 += usize::from(false_abort);
        }
    }
    tally
}

/// The committed history plus `abort`'s transaction, committed where it failed. Commit
/// timestamps are doubled to make room for its own, odd one.
fn as_if_committed(run: &Run, abort: &Abort) -> History {
    let history = &run.history;
    let txns = history
        .txns
        .iter()
        .filter(|t| Some(t.id) != history.final_read)
        .map(|t| {
            let mut t = t.clone();
            t.outcome = match t.outcome {
                Outcome::Committed { ts } => Outcome::Committed {
                    ts: ts.map(|ts| 2 * ts),
                },
                Outcome::Aborted if t.id == abort.txn => Outcome::Committed {
                    ts: Some(2 * abort.clock + 1),
                },
                Outcome::Aborted => Outcome::Aborted,
            };
            t
        })
        .collect();
    History::new(txns, history.names.clone(), None)
}
