//! Hand-made histories, one per forbidden pattern: the checker must report each, at the
//! levels that forbid it and not below.

use isolde::IsolationLevel::{self, *};

use crate::checker::Anomaly::{self, G1c, G2Item, GSingle, LostUpdate, G0, G2};
use crate::checker::{History, Op, Outcome, Txn, Version, INITIAL};

const X: usize = 0;
const Y: usize = 1;
const Z: usize = 2;

fn v(writer: u64, seq: u32) -> Version {
    Version { writer, seq }
}

fn write(key: usize, writer: u64, seq: u32) -> Op {
    Op::Write {
        key,
        version: v(writer, seq),
    }
}

fn read(key: usize, writer: u64, seq: u32) -> Op {
    Op::Read {
        key,
        saw: Some(v(writer, seq)),
    }
}

fn scan(seen: &[(usize, u64, u32)]) -> Op {
    Op::Scan {
        seen: seen.iter().map(|&(k, w, s)| (k, Some(v(w, s)))).collect(),
    }
}

fn committed(id: u64, ts: Option<u64>, ops: Vec<Op>) -> Txn {
    Txn {
        id,
        ops,
        outcome: Outcome::Committed { ts },
    }
}

/// The initial transaction: x = T0.1, y = T0.2, z = T0.3, at timestamp 1.
fn initial() -> Txn {
    committed(
        INITIAL,
        Some(1),
        vec![write(X, 0, 1), write(Y, 0, 2), write(Z, 0, 3)],
    )
}

fn history(txns: Vec<Txn>) -> History {
    let names = ["x", "y", "z"].map(String::from).to_vec();
    History::new([vec![initial()], txns].concat(), names, None)
}

/// Asserts `anomaly` is found, forbidden from `weakest` up and allowed below it.
fn assert_reported(history: &History, anomaly: Anomaly, weakest: IsolationLevel) {
    let report = history.check();
    assert!(
        report.count(anomaly) > 0,
        "{anomaly:?} not found: {report:?}"
    );
    // A lost update is also a G-single cycle: reader -rw-> other writer -ww-> reader.
    let cycle = matches!(anomaly, G0 | G1c | GSingle | LostUpdate | G2Item | G2);
    assert_eq!(history.has_cycle(), cycle, "{anomaly:?}");
    for level in IsolationLevel::ALL {
        let listed = report
            .forbidden(level)
            .iter()
            .any(|f| f.starts_with(&format!("{}:", anomaly.name())));
        assert_eq!(listed, level >= weakest, "{anomaly:?} at {level}");
    }
}

#[test]
fn a_serial_history_has_no_anomaly() {
    let h = history(vec![
        committed(1, Some(2), vec![read(X, 0, 1), write(X, 1, 1)]),
        committed(2, None, vec![read(X, 1, 1), scan(&[(Y, 0, 2), (Z, 0, 3)])]),
        committed(3, Some(3), vec![write(Y, 3, 1), read(Y, 3, 1)]),
    ]);
    let report = h.check();
    assert!(report.forbidden(Serializable).is_empty(), "{report:?}");
    assert!(!h.has_cycle());
}

#[test]
fn checker_reports_a_cycle_of_write_dependencies_as_g0() {
    let mut h = history(vec![
        committed(1, Some(2), vec![write(X, 1, 1), write(Y, 1, 2)]),
        committed(2, Some(3), vec![write(X, 2, 1), write(Y, 2, 2)]),
    ]);
    // T2 overwrote T1's x but T1 overwrote T2's y: a dirty write.
    h.order.insert(Y, vec![INITIAL, 2, 1]);
    assert_reported(&h, Anomaly::G0, ReadUncommitted);
}

#[test]
fn checker_reports_a_read_of_an_aborted_write_as_g1a() {
    let h = history(vec![
        Txn {
            id: 1,
            ops: vec![write(X, 1, 1)],
            outcome: Outcome::Aborted,
        },
        committed(2, None, vec![read(X, 1, 1)]),
    ]);
    assert_reported(&h, Anomaly::G1a, ReadCommitted);
}

#[test]
fn checker_reports_a_read_of_an_overwritten_intermediate_value_as_g1b() {
    let h = history(vec![
        committed(1, Some(2), vec![write(X, 1, 1), write(X, 1, 2)]),
        committed(2, None, vec![read(X, 1, 1)]),
    ]);
    assert_reported(&h, Anomaly::G1b, ReadCommitted);
}

#[test]
fn checker_reports_circular_information_flow_as_g1c() {
    let h = history(vec![
        committed(1, Some(2), vec![write(X, 1, 1), read(Y, 2, 1)]),
        committed(2, Some(3), vec![write(Y, 2, 1), read(X, 1, 1)]),
    ]);
    assert_reported(&h, Anomaly::G1c, ReadCommitted);
}

#[test]
fn checker_reports_read_skew_as_g_single() {
    // T1 reads x before T2 writes x and y, and y after.
    let h = history(vec![
        committed(1, None, vec![read(X, 0, 1), read(Y, 2, 2)]),
        committed(2, Some(2), vec![write(X, 2, 1), write(Y, 2, 2)]),
    ]);
    assert_reported(&h, Anomaly::GSingle, RepeatableRead);
}

#[test]
fn checker_reports_a_read_modify_write_over_another_write_as_lost_update() {
    let h = history(vec![
        committed(1, Some(3), vec![read(X, 0, 1), write(X, 1, 1)]),
        committed(2, Some(2), vec![write(X, 2, 1)]),
    ]);
    assert_reported(&h, Anomaly::LostUpdate, RepeatableRead);
}

#[test]
fn checker_reports_write_skew_as_g2_item_and_allows_it_below_serializable() {
    let h = history(vec![
        committed(
            1,
            Some(2),
            vec![read(X, 0, 1), read(Y, 0, 2), write(X, 1, 1)],
        ),
        committed(
            2,
            Some(3),
            vec![read(X, 0, 1), read(Y, 0, 2), write(Y, 2, 1)],
        ),
    ]);
    assert_reported(&h, Anomaly::G2Item, Serializable);
    assert_eq!(h.check().count(Anomaly::GSingle), 0);
}

#[test]
fn checker_reports_an_anti_dependency_cycle_over_scans_as_g2() {
    // Each scanned a range the other then wrote into.
    let h = history(vec![
        committed(
            1,
            Some(2),
            vec![scan(&[(X, 0, 1), (Y, 0, 2)]), write(Z, 1, 1)],
        ),
        committed(2, Some(3), vec![scan(&[(Z, 0, 3)]), write(Y, 2, 1)]),
    ]);
    assert_reported(&h, Anomaly::G2, Serializable);
    assert_eq!(h.check().count(Anomaly::G2Item), 0);
}

#[test]
fn checker_reports_a_read_that_misses_its_own_write() {
    let h = history(vec![committed(
        1,
        Some(2),
        vec![write(X, 1, 1), read(X, 0, 1)],
    )]);
    assert_reported(&h, Anomaly::Internal, ReadUncommitted);
}

#[test]
fn checker_reports_a_read_of_a_value_nobody_wrote() {
    let h = history(vec![committed(1, None, vec![read(X, 9, 1)])]);
    assert_reported(&h, Anomaly::Garbage, ReadUncommitted);
}

#[test]
fn checker_reports_a_final_state_that_lost_the_last_write() {
    let mut h = history(vec![
        committed(1, Some(2), vec![write(X, 1, 1)]),
        committed(2, Some(3), vec![write(X, 2, 1)]),
        committed(3, None, vec![read(X, 1, 1)]),
    ]);
    h.final_read = Some(3);
    assert_reported(&h, Anomaly::FinalState, ReadUncommitted);
}

#[test]
fn checker_reports_a_committed_writer_missing_from_the_version_order() {
    let mut h = history(vec![committed(1, Some(2), vec![write(X, 1, 1)])]);
    h.order.insert(X, vec![INITIAL]);
    assert_reported(&h, Anomaly::Malformed, ReadUncommitted);
}
