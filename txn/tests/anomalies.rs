//! The anomaly matrix of DESIGN.md, one named test per anomaly and isolation level.
//!
//! Each scenario is a fixed sequence of steps over two or three transactions (the step
//! orders follow Hermitage's PostgreSQL tests, with READ UNCOMMITTED giving real dirty
//! reads). A scenario reports whether the anomaly *occurred*; the matrix says whether it
//! must. "Prevented" only counts by the mechanisms the design names: a second writer
//! blocks, or a transaction fails with a serialization failure (40001). A scenario panics
//! on anything else (an unexpected error, a step that should block but does not).
//!
//! Test names read `<anomaly>::at_<level>`; failure messages name both.

mod common;

use common::*;
use isolde_txn::{IsolationLevel, LockMode};

/// What a scenario saw.
struct Observed {
    occurred: bool,
    /// What happened, for the failure message.
    how: String,
}

fn occurred(how: impl Into<String>) -> Observed {
    Observed {
        occurred: true,
        how: how.into(),
    }
}

fn prevented(how: impl Into<String>) -> Observed {
    Observed {
        occurred: false,
        how: how.into(),
    }
}

fn check(
    anomaly: &str,
    scenario: fn(IsolationLevel) -> Observed,
    level: IsolationLevel,
    expected: bool,
) {
    let observed = scenario(level);
    match (expected, observed.occurred) {
        (true, false) => panic!(
            "{anomaly} at {level}: the matrix says the anomaly occurs, but it was prevented: {}",
            observed.how
        ),
        (false, true) => panic!(
            "{anomaly} at {level}: the matrix says the anomaly is prevented, but it occurred: {}",
            observed.how
        ),
        _ => {}
    }
}

/// `a` (the anomaly occurs) or `-` (prevented), as in DESIGN.md's matrix.
macro_rules! cell {
    (a) => {
        true
    };
    (-) => {
        false
    };
}

/// One row of the matrix: a module named after the anomaly with one test per level.
macro_rules! matrix_row {
    ($module:ident, $anomaly:literal, $scenario:ident, [$ru:tt $rc:tt $rr:tt $ser:tt]) => {
        mod $module {
            use isolde_txn::IsolationLevel::*;

            #[test]
            fn at_read_uncommitted() {
                super::check($anomaly, super::$scenario, ReadUncommitted, cell!($ru));
            }

            #[test]
            fn at_read_committed() {
                super::check($anomaly, super::$scenario, ReadCommitted, cell!($rc));
            }

            #[test]
            fn at_repeatable_read() {
                super::check($anomaly, super::$scenario, RepeatableRead, cell!($rr));
            }

            #[test]
            fn at_serializable() {
                super::check($anomaly, super::$scenario, Serializable, cell!($ser));
            }
        }
    };
}

//                                                                    RU RC RR SER
matrix_row!(g0_dirty_write, "G0 dirty write", dirty_write, [- - - -]);
matrix_row!(lost_update_first_kind, "lost update of the first kind", rollback_undoes_commit, [- - - -]);
matrix_row!(g1a_aborted_read, "G1a aborted read", aborted_read, [a - - -]);
matrix_row!(g1b_intermediate_read, "G1b intermediate read", intermediate_read, [a - - -]);
matrix_row!(g1c_circular_information_flow, "G1c circular information flow", circular_information_flow, [a - - -]);
matrix_row!(otv_observed_transaction_vanishes, "OTV observed transaction vanishes", observed_transaction_vanishes, [a - - -]);
matrix_row!(p2_non_repeatable_read, "P2 non-repeatable read", non_repeatable_read, [a a - -]);
matrix_row!(p3_phantom, "P3 phantom", phantom, [a a - -]);
matrix_row!(p4_lost_update, "P4 lost update", lost_update, [a a - -]);
matrix_row!(g_single_read_skew, "G-single read skew", read_skew, [a a - -]);
matrix_row!(g2_item_write_skew, "G2-item write skew", write_skew, [a a a -]);
matrix_row!(g2_predicate_write_skew, "G2 anti-dependency cycle over a predicate", predicate_write_skew, [a a a -]);
matrix_row!(read_only_anomaly, "read-only anomaly (Fekete et al.)", read_only_transaction_anomaly, [a a a -]);

/// G0: T1 and T2 both write x and y. T2's write of x must wait for T1 to end, and the
/// final state must be all T1's or all T2's, never a mix. Run twice: T1 commits (T2 then
/// goes on at RU/RC and fails with 40001 at RR/SER), and T1 rolls back (T2 goes on at
/// every level).
fn dirty_write(level: IsolationLevel) -> Observed {
    let mut how = Vec::new();
    for t1_commits in [true, false] {
        let mgr = manager();
        seed(&mgr, &[("x", "10"), ("y", "20")]);
        let mut t1 = mgr.begin(level);
        let mut t2 = mgr.begin(level);
        write(&mut t1, "x", "11").unwrap();
        let t2_writes_x = in_background("T2 writes x over T1's pending write", move || {
            let result = write(&mut t2, "x", "12");
            (t2, result)
        });
        if t2_writes_x.finished_within(BLOCK_PROBE).is_some() {
            return occurred("T2 wrote x while T1's write of x was still uncommitted (no wait)");
        }
        write(&mut t1, "y", "21").unwrap();
        if t1_commits {
            t1.commit().unwrap();
        } else {
            t1.rollback();
        }
        let (mut t2, result) = t2_writes_x.finish();
        match result {
            Ok(()) => {
                write(&mut t2, "y", "22").unwrap();
                t2.commit().unwrap();
            }
            Err(e) => {
                assert!(
                    t1_commits && level >= IsolationLevel::RepeatableRead,
                    "T2's write of x after T1 {} failed at {level}: {e}",
                    if t1_commits {
                        "committed"
                    } else {
                        "rolled back"
                    }
                );
                is_serialization_failure(&e, "T2 writes x after T1 committed");
                how.push("T2 failed with 40001 after waiting".to_string());
            }
        }
        let state = (committed(&mgr, "x"), committed(&mgr, "y"));
        let s = |v: &str| Some(v.to_string());
        let consistent = [(s("11"), s("21")), (s("12"), s("22"))];
        if !consistent.contains(&state) {
            return occurred(format!(
                "final state mixes T1 and T2: x={:?}, y={:?}",
                state.0, state.1
            ));
        }
        how.push(format!(
            "T2 waited for T1 to {}; final x={:?}, y={:?}",
            if t1_commits { "commit" } else { "roll back" },
            state.0,
            state.1
        ));
    }
    prevented(how.join("; "))
}

/// Lost update of the first kind: T1 writes x and commits while T2, which wanted to write
/// x too, waits; T2 then rolls back (or fails). Its rollback must not restore the value x
/// had before T1.
fn rollback_undoes_commit(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "10")]);
    let mut t1 = mgr.begin(level);
    let mut t2 = mgr.begin(level);
    write(&mut t1, "x", "11").unwrap();
    let t2_writes_x = in_background("T2 writes x over T1's pending write", move || {
        let result = write(&mut t2, "x", "12");
        (t2, result)
    });
    t2_writes_x.assert_blocked();
    t1.commit().unwrap();
    let (t2, result) = t2_writes_x.finish();
    let how = match result {
        Ok(()) => {
            t2.rollback();
            "T2 waited, wrote x, rolled back"
        }
        Err(e) => {
            is_serialization_failure(&e, "T2 writes x after T1 committed");
            "T2 waited, then failed with 40001 (rolled back)"
        }
    };
    let mut t3 = mgr.begin(level);
    write(&mut t3, "x", "13").unwrap();
    t3.rollback();
    match committed(&mgr, "x").as_deref() {
        Some("11") => prevented(format!("{how}; x keeps T1's committed 11")),
        other => occurred(format!(
            "{how}; x is {other:?}, T1's committed 11 was undone"
        )),
    }
}

/// G1a: T2 must never read x=101, which T1 wrote and then rolled back.
fn aborted_read(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "10")]);
    let mut t1 = mgr.begin(level);
    let t2 = mgr.begin(level);
    write(&mut t1, "x", "101").unwrap();
    let before = read(&t2, "x");
    t1.rollback();
    let after = read(&t2, "x");
    t2.commit().unwrap();
    let how = format!("T2 read x={before:?} while T1 was open, then x={after:?}");
    if [&before, &after]
        .iter()
        .any(|v| v.as_deref() == Some("101"))
    {
        occurred(how + " (101 was rolled back)")
    } else {
        prevented(how)
    }
}

/// G1b: T1 writes x=101 then x=11 and commits; T2 must never read the intermediate 101.
fn intermediate_read(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "10")]);
    let mut t1 = mgr.begin(level);
    let t2 = mgr.begin(level);
    write(&mut t1, "x", "101").unwrap();
    let during = read(&t2, "x");
    write(&mut t1, "x", "11").unwrap();
    t1.commit().unwrap();
    let after = read(&t2, "x");
    t2.commit().unwrap();
    let how = format!("T2 read x={during:?} before T1's final write, then x={after:?}");
    if during.as_deref() == Some("101") {
        occurred(how + " (101 was T1's intermediate value)")
    } else {
        prevented(how)
    }
}

/// G1c: T1 writes x, T2 writes y, then each reads the other's key. Each seeing the other's
/// write is a cycle of write-read dependencies.
fn circular_information_flow(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "10"), ("y", "20")]);
    let mut t1 = mgr.begin(level);
    let mut t2 = mgr.begin(level);
    write(&mut t1, "x", "11").unwrap();
    write(&mut t2, "y", "22").unwrap();
    let t1_saw_y = read(&t1, "y");
    let t2_saw_x = read(&t2, "x");
    // At SERIALIZABLE the two old reads are a write skew: one of the commits is refused.
    let (c1, c2) = (commits(t1, "T1 commit"), commits(t2, "T2 commit"));
    let how = format!("T1 read y={t1_saw_y:?}, T2 read x={t2_saw_x:?}, committed: {c1}, {c2}");
    if t1_saw_y.as_deref() == Some("22") && t2_saw_x.as_deref() == Some("11") {
        occurred(how + ": each saw the other's write")
    } else {
        prevented(how)
    }
}

/// OTV: T1 writes x=11, y=19 and commits; T2 (which waited on x) writes x=12, then y=18,
/// and commits. T3 reads x, then y. Seeing T2's x=12 and then T1's y=19, which T2
/// overwrites, makes T2 vanish from T3's view: T3 saw a state no commit produced.
fn observed_transaction_vanishes(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "10"), ("y", "20")]);
    let mut t1 = mgr.begin(level);
    let mut t2 = mgr.begin(level);
    let t3 = mgr.begin(level);
    write(&mut t1, "x", "11").unwrap();
    write(&mut t1, "y", "19").unwrap();
    let t2_writes_x = in_background("T2 writes x over T1's pending write", move || {
        let result = write(&mut t2, "x", "12");
        (t2, result)
    });
    t2_writes_x.assert_blocked();
    t1.commit().unwrap();
    let (mut t2, result) = t2_writes_x.finish();
    let mut seen = Vec::new();
    match result {
        Ok(()) => {
            seen.push(("x", read(&t3, "x")));
            seen.push(("y", read(&t3, "y")));
            write(&mut t2, "y", "18").unwrap();
            t2.commit().unwrap();
            seen.push(("y", read(&t3, "y")));
            seen.push(("x", read(&t3, "x")));
        }
        Err(e) => {
            is_serialization_failure(&e, "T2 writes x after T1 committed");
            seen.push(("x", read(&t3, "x")));
            seen.push(("y", read(&t3, "y")));
        }
    }
    t3.commit().unwrap();
    let how = format!("T3 read, in order: {seen:?}");
    let saw_t2 = seen.iter().position(|(_, v)| v.as_deref() == Some("12"));
    let vanished = saw_t2.is_some_and(|at| {
        seen[at..]
            .iter()
            .any(|(k, v)| *k == "y" && v.as_deref() == Some("19"))
    });
    if vanished {
        occurred(how + ": T3 saw T2's x=12, then y=19, which T2 overwrote")
    } else {
        prevented(how)
    }
}

/// P2: T1 reads x twice; T2 commits a new x in between.
fn non_repeatable_read(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "10")]);
    let t1 = mgr.begin(level);
    let first = read(&t1, "x");
    let mut t2 = mgr.begin(level);
    write(&mut t2, "x", "11").unwrap();
    t2.commit().unwrap();
    let second = read(&t1, "x");
    t1.commit().unwrap();
    let how = format!("T1 read x={first:?}, then x={second:?}");
    if first != second {
        occurred(how)
    } else {
        prevented(how)
    }
}

/// P3: T1 scans a prefix twice; T2 inserts a key under it and commits in between.
fn phantom(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("p/1", "a"), ("p/2", "b")]);
    let t1 = mgr.begin(level);
    let first = scan_keys(&t1, "p/");
    let mut t2 = mgr.begin(level);
    write(&mut t2, "p/3", "c").unwrap();
    t2.commit().unwrap();
    let second = scan_keys(&t1, "p/");
    t1.commit().unwrap();
    let how = format!("T1 scanned {first:?}, then {second:?}");
    if first != second {
        occurred(how)
    } else {
        prevented(how)
    }
}

/// P4: two read-modify-write increments of a counter; one is lost if both commit and the
/// counter ends at 1. A transaction refused with 40001 is retried, as a client would.
fn lost_update(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("c", "0")]);
    let mut t1 = mgr.begin(level);
    let mut t2 = mgr.begin(level);
    let t1_read = read_int(&t1, "c");
    let t2_read = read_int(&t2, "c");
    write(&mut t1, "c", &(t1_read + 1).to_string()).unwrap();
    let t2_writes = in_background("T2 writes the counter over T1's pending write", move || {
        let result = write(&mut t2, "c", &(t2_read + 1).to_string());
        (t2, result)
    });
    t2_writes.assert_blocked();
    t1.commit().unwrap();
    let (t2, result) = t2_writes.finish();
    let how = match result.and_then(|()| t2.commit()) {
        Ok(_) => "both increments committed".to_string(),
        Err(e) => {
            is_serialization_failure(&e, "T2's increment");
            let mut retry = mgr.begin(level);
            let value = read_int(&retry, "c");
            write(&mut retry, "c", &(value + 1).to_string()).unwrap();
            retry.commit().unwrap();
            "T2 failed with 40001 and its retry committed".to_string()
        }
    };
    match read_int(&mgr.begin(level), "c") {
        2 => prevented(format!("{how}; counter is 2")),
        n => occurred(format!("{how}; counter is {n}: an increment was lost")),
    }
}

/// G-single: x + y = 30 always. T1 reads x, T2 moves 2 from y to x and commits, T1 reads
/// y. A sum other than 30 is a skewed read.
fn read_skew(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "10"), ("y", "20")]);
    let t1 = mgr.begin(level);
    let mut t2 = mgr.begin(level);
    let x = read_int(&t1, "x");
    let (x2, y2) = (read_int(&t2, "x"), read_int(&t2, "y"));
    write(&mut t2, "x", &(x2 + 2).to_string()).unwrap();
    write(&mut t2, "y", &(y2 - 2).to_string()).unwrap();
    t2.commit().unwrap();
    let y = read_int(&t1, "y");
    t1.commit().unwrap();
    let how = format!("T1 read x={x}, y={y}");
    if x + y != 30 {
        occurred(how + ": the sum is not 30")
    } else {
        prevented(how)
    }
}

/// Commits `txn` and says whether it committed; a refusal must be a serialization failure.
fn commits(txn: isolde_txn::Transaction, name: &str) -> bool {
    match txn.commit() {
        Ok(_) => true,
        Err(e) => !is_serialization_failure(&e, name),
    }
}

/// G2-item: two doctors on call (x = y = 1); each checks that both are on call and takes
/// itself off. Both committing leaves no one on call.
fn write_skew(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "1"), ("y", "1")]);
    let mut t1 = mgr.begin(level);
    let mut t2 = mgr.begin(level);
    let t1_sum = read_int(&t1, "x") + read_int(&t1, "y");
    let t2_sum = read_int(&t2, "x") + read_int(&t2, "y");
    assert_eq!(
        (t1_sum, t2_sum),
        (2, 2),
        "{level}: both must see two on call"
    );
    write(&mut t1, "x", "0").unwrap();
    write(&mut t2, "y", "0").unwrap();
    let (c1, c2) = (commits(t1, "T1 commit"), commits(t2, "T2 commit"));
    let on_call = read_int(&mgr.begin(level), "x") + read_int(&mgr.begin(level), "y");
    let how = format!("T1 committed: {c1}, T2 committed: {c2}, on call: {on_call}");
    if on_call < 1 {
        occurred(how)
    } else {
        assert!(
            c1 ^ c2,
            "{level}: exactly one of the two should commit: {how}"
        );
        prevented(how + " (one failed with 40001)")
    }
}

/// G2 over a predicate: each transaction checks that no key exists under `duty/` and
/// inserts one; both committing leaves two, which neither allowed.
fn predicate_write_skew(level: IsolationLevel) -> Observed {
    let mgr = manager();
    let mut t1 = mgr.begin(level);
    let mut t2 = mgr.begin(level);
    assert!(scan_keys(&t1, "duty/").is_empty() && scan_keys(&t2, "duty/").is_empty());
    write(&mut t1, "duty/alice", "on").unwrap();
    write(&mut t2, "duty/bob", "on").unwrap();
    let (c1, c2) = (commits(t1, "T1 commit"), commits(t2, "T2 commit"));
    let rows = scan_keys(&mgr.begin(level), "duty/");
    let how = format!("T1 committed: {c1}, T2 committed: {c2}, rows: {rows:?}");
    if rows.len() > 1 {
        occurred(how)
    } else {
        assert!(
            c1 ^ c2,
            "{level}: exactly one of the two should commit: {how}"
        );
        prevented(how + " (one failed with 40001)")
    }
}

/// The read-only anomaly (Fekete, O'Neil, O'Neil 2004; PostgreSQL's read-only-anomaly
/// spec): checking x = 0 and savings y = 0. T2 withdraws 10 from x, charging a penalty of
/// 1 if x + y would go negative; T1 deposits 20 into y and commits; T3, read only, begins
/// after T1 and reports (x, y). T3's report (0, 20) is only possible if T1 ran before T2,
/// but then T2 would not have charged the penalty: with all three committed there is no
/// serial order.
fn read_only_transaction_anomaly(level: IsolationLevel) -> Observed {
    let mgr = manager();
    seed(&mgr, &[("x", "0"), ("y", "0")]);
    let mut t2 = mgr.begin(level);
    let mut t1 = mgr.begin(level);
    let (x, y) = (read_int(&t2, "x"), read_int(&t2, "y"));
    let deposit = read_int(&t1, "y") + 20;
    write(&mut t1, "y", &deposit.to_string()).unwrap();
    let c1 = commits(t1, "T1 (deposit) commit");
    let t3 = mgr.begin_read_only(level);
    let report = (read_int(&t3, "x"), read_int(&t3, "y"));
    let c3 = commits(t3, "T3 (report) commit");
    let penalty = if x + y - 10 < 0 { 1 } else { 0 };
    let c2 = match write(&mut t2, "x", &(x - 10 - penalty).to_string()) {
        Ok(()) => commits(t2, "T2 (withdrawal) commit"),
        Err(e) => !is_serialization_failure(&e, "T2 (withdrawal) write"),
    };
    let how = format!(
        "T1 committed: {c1}, T3 reported {report:?} (committed: {c3}), T2 charged penalty {penalty} (committed: {c2})"
    );
    if c1 && c2 && c3 && report == (0, 20) && penalty == 1 {
        occurred(how)
    } else {
        assert!(c1, "{level}: the deposit ran alone and must commit: {how}");
        prevented(how)
    }
}

/// A row lock returns the row's value, so at SERIALIZABLE it is a read like `get`: T1
/// locks x (SELECT ... FOR SHARE / FOR UPDATE) and reads y, then writes y; T2 reads y and,
/// once T1 committed, writes x. T1 read x before T2's write and T2 read y before T1's:
/// a write-skew cycle, which SERIALIZABLE must refuse.
fn write_skew_through_row_lock(mode: LockMode) -> (bool, bool) {
    let mgr = manager();
    seed(&mgr, &[("x", "0"), ("y", "0")]);
    let mut t1 = mgr.begin(IsolationLevel::Serializable);
    let mut t2 = mgr.begin(IsolationLevel::Serializable);
    let locked = t1.lock(b"x", mode).expect("T1 locks x");
    assert_eq!(locked.value.as_deref(), Some(&b"0"[..]));
    let t1_y = read_int(&t1, "y");
    let t2_y = read_int(&t2, "y");
    write(&mut t1, "y", &(t1_y + 1).to_string()).unwrap();
    let c1 = commits(t1, "T1 commit");
    let c2 = match write(&mut t2, "x", &(t2_y + 1).to_string()) {
        Ok(()) => commits(t2, "T2 commit"),
        Err(e) => !is_serialization_failure(&e, "T2 writes x"),
    };
    (c1, c2)
}

#[test]
fn serializable_counts_a_shared_row_lock_as_a_read() {
    let (c1, c2) = write_skew_through_row_lock(LockMode::Shared);
    assert!(
        !(c1 && c2),
        "SERIALIZABLE committed both sides of a write skew whose read of x was lock(x, Shared)"
    );
}

#[test]
fn serializable_counts_an_exclusive_row_lock_as_a_read() {
    let (c1, c2) = write_skew_through_row_lock(LockMode::Exclusive);
    assert!(
        !(c1 && c2),
        "SERIALIZABLE committed both sides of a write skew whose read of x was lock(x, Exclusive)"
    );
}

#[test]
fn repeatable_read_refuses_to_lock_a_row_changed_after_the_snapshot() {
    for mode in [LockMode::Shared, LockMode::Exclusive] {
        for level in [IsolationLevel::RepeatableRead, IsolationLevel::Serializable] {
            let mgr = manager();
            seed(&mgr, &[("x", "0")]);
            let mut t1 = mgr.begin(level);
            let mut t2 = mgr.begin(level);
            write(&mut t2, "x", "1").unwrap();
            t2.commit().unwrap();
            let err = t1
                .lock(b"x", mode)
                .expect_err("x changed after T1's snapshot");
            assert!(is_serialization_failure(&err, "lock"), "{level} {mode:?}");
        }
    }
}

#[test]
fn read_committed_lock_reports_a_row_changed_during_the_statement() {
    let mgr = manager();
    seed(&mgr, &[("x", "0")]);
    let mut t1 = mgr.begin(IsolationLevel::ReadCommitted);
    let mut t2 = mgr.begin(IsolationLevel::ReadCommitted);
    t1.begin_statement();
    write(&mut t2, "x", "1").unwrap();
    t2.commit().unwrap();
    let locked = t1.lock(b"x", LockMode::Exclusive).unwrap();
    assert_eq!(locked.value.as_deref(), Some(&b"1"[..]));
    assert!(locked.changed, "x changed after the statement's snapshot");
    t1.begin_statement();
    let again = t1.lock(b"x", LockMode::Exclusive).unwrap();
    assert!(
        !again.changed,
        "a new statement sees the change in its snapshot"
    );
}
