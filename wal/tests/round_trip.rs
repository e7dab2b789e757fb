//! Records come back exactly as written, in LSN order, across segment boundaries,
//! reopens and concurrent appenders.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::{open_fast, read_all, Faults, FaultyIo};
use isolde_wal::{FsyncPolicy, Log, Options};
use proptest::prelude::*;

/// A log under `appendfsync always` on the fault-injecting I/O layer, to share between
/// threads, and its faults.
fn open_always(dir: &Path) -> (Arc<Log>, Arc<Faults>) {
    let io = FaultyIo::new();
    let faults = Arc::clone(&io.faults);
    let options = Options {
        fsync: FsyncPolicy::Always,
        ..Options::default()
    };
    let (log, _) = Log::open_with_io(dir, options, Arc::new(io)).unwrap();
    (Arc::new(log), faults)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_records_round_trip_across_segments_and_reopen(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..60),
        segment_size in 40u64..600,
        from in 0u64..70,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let expected: Vec<(u64, Vec<u8>)> = (1u64..).zip(records.iter().cloned()).collect();
        {
            let log = open_fast(dir.path(), segment_size);
            for (lsn, payload) in &expected {
                prop_assert_eq!(log.write(payload).unwrap(), *lsn);
            }
            prop_assert_eq!(read_all(&log), expected.clone());
        }
        let log = open_fast(dir.path(), segment_size);
        prop_assert_eq!(log.next_lsn(), expected.len() as u64 + 1);
        prop_assert_eq!(read_all(&log), expected.clone());
        let suffix: Vec<_> = expected.iter().filter(|(l, _)| *l >= from).cloned().collect();
        let got: Vec<_> = log.read_from(from).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got, suffix);
    }
}

#[test]
fn a_fresh_log_starts_at_lsn_one_and_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (log, recovery) = Log::open(&dir.path().join("new"), Options::default()).unwrap();
    assert_eq!(log.next_lsn(), 1);
    assert_eq!(recovery.last_lsn, 0);
    assert!(recovery.warnings.is_empty());
    assert!(read_all(&log).is_empty());
}

#[test]
fn concurrent_appends_under_always_get_distinct_lsns_and_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let (log, faults) = open_always(dir.path());
    let syncs_before = faults.syncs.load(std::sync::atomic::Ordering::SeqCst);
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                (0..40u8)
                    .map(|i| (log.append(&[t, i]).unwrap(), vec![t, i]))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut acked: Vec<_> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.sort();
    let lsns: BTreeSet<u64> = acked.iter().map(|(l, _)| *l).collect();
    assert_eq!(lsns, (1..=320).collect());
    assert_eq!(read_all(&log), acked);
    let syncs = faults.syncs.load(std::sync::atomic::Ordering::SeqCst) - syncs_before;
    assert!(
        syncs < 320,
        "{syncs} fsyncs for 320 appends: no group commit"
    );
}

#[test]
fn a_sync_leader_syncs_again_for_callers_waiting_on_records_its_fsync_missed() {
    let dir = tempfile::tempdir().unwrap();
    let (log, faults) = open_always(dir.path());
    faults.syncers.lock().unwrap().clear();
    faults
        .sync_delay_ms
        .store(300, std::sync::atomic::Ordering::SeqCst);
    let append = |payload: &'static [u8]| {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            log.append(payload).unwrap();
            std::thread::current().id()
        })
    };
    let leader = append(b"first");
    // The first append is inside its 300 ms fsync; these two write and wait behind it.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let followers = [append(b"second"), append(b"third")];
    let leader = leader.join().unwrap();
    for f in followers {
        f.join().unwrap();
    }
    let syncers = faults.syncers.lock().unwrap().clone();
    assert_eq!(
        syncers,
        vec![leader, leader],
        "the leader's second fsync covers both followers; none of them waits to take over"
    );
    assert_eq!(read_all(&log).len(), 3);
}

#[test]
fn committers_returning_from_an_fsync_are_gathered_into_one_group_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let (log, faults) = open_always(dir.path());
    // A slow disk: a woken committer has ample time to write its next record before
    // the leader's gathering ends.
    faults
        .sync_delay_ms
        .store(4, std::sync::atomic::Ordering::SeqCst);
    let syncs_before = faults.syncs.load(std::sync::atomic::Ordering::SeqCst);
    let (threads, appends) = (8, 30);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0..appends {
                    log.append(&[t, i]).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let syncs = faults.syncs.load(std::sync::atomic::Ordering::SeqCst) - syncs_before;
    // Ungathered, the first committer back syncs alone and the other seven queue for
    // the fsync after: groups alternate between one and seven, some 60 fsyncs.
    assert!(
        syncs <= 45,
        "{syncs} fsyncs for {} appends from {threads} threads",
        u32::from(threads) * u32::from(appends)
    );
    assert_eq!(
        read_all(&log).len(),
        usize::from(threads) * usize::from(appends)
    );
}

#[test]
fn a_lone_committer_after_a_slow_group_fsync_gathers_only_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let (log, faults) = open_always(dir.path());
    faults
        .sync_delay_ms
        .store(200, std::sync::atomic::Ordering::SeqCst);
    // One 200 ms fsync covers two records: the next leader expects a group of two.
    log.write(b"first").unwrap();
    let second = log.write(b"second").unwrap();
    log.sync(second).unwrap();
    let started = std::time::Instant::now();
    log.append(b"alone").unwrap();
    let took = started.elapsed();
    // Its fsync takes 200 ms; gathering for half the last one would add 100 ms more.
    assert!(
        took < std::time::Duration::from_millis(260),
        "a lone commit took {took:?}"
    );
    assert_eq!(read_all(&log).len(), 3);
}

#[test]
fn sync_under_everysec_returns_at_once_and_the_background_thread_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let io = FaultyIo::new();
    let faults = Arc::clone(&io.faults);
    let (log, _) = Log::open_with_io(dir.path(), Options::default(), Arc::new(io)).unwrap();
    let syncs_before = faults.syncs.load(std::sync::atomic::Ordering::SeqCst);
    let lsn = log.append(b"x").unwrap();
    assert_eq!(
        faults.syncs.load(std::sync::atomic::Ordering::SeqCst),
        syncs_before
    );
    log.sync(lsn).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1300));
    assert!(faults.syncs.load(std::sync::atomic::Ordering::SeqCst) > syncs_before);
}

#[test]
fn empty_and_large_records_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_fast(dir.path(), 1024);
    let big = vec![7u8; 100_000];
    log.write(b"").unwrap();
    log.write(&big).unwrap();
    log.write(b"after").unwrap();
    drop(log);
    let log = open_fast(dir.path(), 1024);
    assert_eq!(
        read_all(&log),
        vec![(1, vec![]), (2, big), (3, b"after".to_vec())]
    );
}
