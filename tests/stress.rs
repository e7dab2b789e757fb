//! Randomised checking: many random concurrent transactions at each isolation level, on
//! real threads, with every history checked against Adya's anomaly definitions.
//!
//! The workload (`stress/workload.rs`) records which version every read saw, every write,
//! the exact key set of every scan and how each transaction ended; the checker
//! (`stress/checker.rs`) builds the dependency graph and names the anomalies, and each
//! test fails on any anomaly its level forbids and prints what it found, allowed ones
//! included. `stress/handmade.rs` feeds the checker a history of each forbidden pattern,
//! so a checker that cannot fail would fail there.
//!
//! Run with `--nocapture` to see the counts; the `#[ignore]`d test is a longer run.

#[path = "stress/checker.rs"]
mod checker;
#[path = "stress/handmade.rs"]
mod handmade;
#[path = "stress/workload.rs"]
mod workload;

use checker::Report;
use isolde::IsolationLevel;
use workload::{Cause, Config};

/// What the histories of one level added up to.
#[derive(Default)]
struct Tally {
    histories: usize,
    committed: usize,
    serialization: usize,
    /// Of those, the ones refused by `commit` (the others failed on a read or write).
    serialization_at_commit: usize,
    deadlock: usize,
    rolled_back: usize,
    unresolved: usize,
    report: Report,
}

impl Tally {
    fn line(&self, level: IsolationLevel) -> String {
        let aborted = self.serialization + self.deadlock + self.rolled_back;
        format!(
            "{}: {} histories, {} txns committed, {aborted} aborted (40001: {}, {} of them at \
             commit; 40P01: {}; rolled back: {}); absent reads unresolved: {}; {}",
            level.short_name(),
            self.histories,
            self.committed,
            self.serialization,
            self.serialization_at_commit,
            self.deadlock,
            self.rolled_back,
            self.unresolved,
            self.report.summary(level)
        )
    }
}

/// Runs `histories` random histories at `level`, checks each, prints the tally and fails
/// on any anomaly the level forbids.
fn check_level(level: IsolationLevel, histories: usize, txns_per_worker: usize) -> Tally {
    let mut tally = Tally::default();
    for seed in 0..histories as u64 {
        let run = workload::run(&Config {
            level,
            workers: 4,
            txns_per_worker,
            seed,
            rollback_percent: 10,
        });
        let report = run.history.check();
        let forbidden = report.forbidden(level);
        assert!(
            forbidden.is_empty(),
            "seed {seed} at {level}:\n  {}\nhistory: {:#?}",
            forbidden.join("\n  "),
            run.history.txns
        );
        tally.histories += 1;
        tally.committed += run.committed();
        tally.serialization += run.aborted(Cause::Serialization);
        tally.serialization_at_commit += run
            .aborts
            .iter()
            .filter(|a| a.cause == Cause::Serialization && a.at_commit)
            .count();
        tally.deadlock += run.aborted(Cause::Deadlock);
        tally.rolled_back += run.aborted(Cause::Rollback);
        tally.unresolved += run.unresolved;
        tally.report.merge(report);
    }
    println!("{}", tally.line(level));
    tally
}

/// Histories per level and transactions per worker of the quick runs: the four tests
/// together stay well under 20 s in a debug build on a busy two-core machine.
const HISTORIES: usize = 60;
const TXNS_PER_WORKER: usize = 25;

#[test]
fn read_uncommitted_never_writes_dirty_but_reads_dirty() {
    let tally = check_level(IsolationLevel::ReadUncommitted, HISTORIES, TXNS_PER_WORKER);
    assert!(tally.committed > 0);
}

#[test]
fn read_committed_histories_have_no_g1_anomalies() {
    check_level(IsolationLevel::ReadCommitted, HISTORIES, TXNS_PER_WORKER);
}

#[test]
fn repeatable_read_histories_have_no_g_single_or_lost_update() {
    check_level(IsolationLevel::RepeatableRead, HISTORIES, TXNS_PER_WORKER);
}

#[test]
fn serializable_histories_have_no_dependency_cycle() {
    check_level(IsolationLevel::Serializable, HISTORIES, TXNS_PER_WORKER);
}

/// The benchmark-sized run: also checks that the weaker levels do show the anomalies
/// they allow, which a run this long meets every time.
#[test]
#[ignore = "a longer run (half a minute in release): cargo test --release --test stress -- --ignored --nocapture"]
fn every_level_over_many_histories() {
    use checker::Anomaly;
    let ru = check_level(IsolationLevel::ReadUncommitted, 2000, 50);
    let rc = check_level(IsolationLevel::ReadCommitted, 2000, 50);
    let rr = check_level(IsolationLevel::RepeatableRead, 2000, 50);
    check_level(IsolationLevel::Serializable, 2000, 50);
    assert!(ru.report.count(Anomaly::G1a) > 0, "no dirty read at RU");
    assert!(
        rc.report.count(Anomaly::LostUpdate) > 0,
        "no lost update at RC"
    );
    assert!(rr.report.count(Anomaly::G2Item) + rr.report.count(Anomaly::G2) > 0);
}
