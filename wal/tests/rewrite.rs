//! Rewrite and truncation: a base replaces the records before a cut, appends go on,
//! nothing is lost or duplicated, and a crash at any step of the switch leaves a
//! usable log with either the old or the new contents.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::{open_fast, options, read_all, FaultyIo};
use isolde_wal::{Error, FsyncPolicy, Log, Lsn, Options};

/// Records are `key=value`; the state is the last value per key.
fn kv(i: u64) -> Vec<u8> {
    format!("k{}={i}", i % 7).into_bytes()
}

fn apply(state: &mut BTreeMap<String, String>, record: &[u8]) {
    let text = String::from_utf8(record.to_vec()).unwrap();
    let (k, v) = text.split_once('=').unwrap();
    state.insert(k.to_string(), v.to_string());
}

/// The compact base of the records before `cut`: one record per key.
fn base_of(log: &Log, cut: Lsn) -> Vec<Vec<u8>> {
    let mut state = BTreeMap::new();
    for record in log.read_from(1).unwrap() {
        let (lsn, payload) = record.unwrap();
        if lsn >= cut {
            break;
        }
        apply(&mut state, &payload);
    }
    state
        .into_iter()
        .map(|(k, v)| format!("{k}={v}").into_bytes())
        .collect()
}

#[test]
fn rewrite_while_appending_concurrently_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(open_fast(dir.path(), 300));
    for i in 0..200 {
        log.write(&kv(i)).unwrap();
    }
    let writer = {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            (200..1200)
                .map(|i| (log.write(&kv(i)).unwrap(), kv(i)))
                .collect::<Vec<_>>()
        })
    };
    let cut = log.start_rewrite().unwrap();
    let base = base_of(&log, cut);
    let stats = log.finish_rewrite(cut, base.clone().into_iter()).unwrap();
    assert_eq!(stats.base_records, base.len() as u64);
    assert!(stats.files_removed > 0);
    let appended = writer.join().unwrap();

    for log in [Arc::clone(&log), Arc::new(open_fast(dir.path(), 300))] {
        let records = read_all(&log);
        let (from_base, after): (Vec<_>, Vec<_>) =
            records.iter().cloned().partition(|(l, _)| *l < cut);
        assert!(from_base.iter().all(|(l, _)| *l == cut - 1));
        assert_eq!(
            from_base.into_iter().map(|(_, p)| p).collect::<Vec<_>>(),
            base
        );
        let expected: Vec<_> = (1..)
            .zip((0..200).map(kv))
            .chain(appended.iter().cloned())
            .filter(|(l, _)| *l >= cut)
            .collect();
        assert_eq!(after, expected);
        // The rewritten log describes the same state as every record ever appended.
        let mut replayed = BTreeMap::new();
        records.iter().for_each(|(_, p)| apply(&mut replayed, p));
        let mut model = BTreeMap::new();
        (0..1200).for_each(|i| apply(&mut model, &kv(i)));
        assert_eq!(replayed, model);
    }
}

#[test]
fn reading_from_after_the_cut_skips_the_base_and_before_a_truncation_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_fast(dir.path(), 100);
    for i in 0..50 {
        log.write(&kv(i)).unwrap();
    }
    let cut = log.start_rewrite().unwrap();
    log.finish_rewrite(cut, base_of(&log, cut).into_iter())
        .unwrap();
    log.write(&kv(50)).unwrap();
    let tail: Vec<_> = log
        .read_from(cut)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tail, vec![(cut, kv(50))]);

    log.truncate_before(cut).unwrap();
    let err = log.read_from(1).err().expect("base is gone");
    assert!(
        matches!(err, Error::NotRetained { from: 1, oldest, .. } if oldest == cut),
        "{err}"
    );
    drop(log);
    let log = open_fast(dir.path(), 100);
    assert_eq!(read_all_from(&log, cut), vec![(cut, kv(50))]);
}

fn read_all_from(log: &Log, from: Lsn) -> Vec<(Lsn, Vec<u8>)> {
    log.read_from(from)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn truncate_before_deletes_only_segments_entirely_before_the_lsn() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_fast(dir.path(), 100);
    let all: Vec<_> = (0..60)
        .map(|i| (log.write(&kv(i)).unwrap(), kv(i)))
        .collect();
    let size = log.size_bytes();
    log.truncate_before(30).unwrap();
    assert!(log.size_bytes() < size);
    let kept = read_all_from(&log, 30);
    assert_eq!(kept, all[29..].to_vec());
    assert!(matches!(log.read_from(1), Err(Error::NotRetained { .. })));
    drop(log);
    let log = open_fast(dir.path(), 100);
    assert_eq!(read_all_from(&log, 30), all[29..].to_vec());
}

#[test]
fn finish_rewrite_refuses_a_cut_that_is_not_a_segment_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_fast(dir.path(), 1 << 20);
    for i in 0..5 {
        log.write(&kv(i)).unwrap();
    }
    let err = log.finish_rewrite(3, std::iter::empty()).unwrap_err();
    assert!(matches!(err, Error::InvalidCut { cut: 3, .. }), "{err}");
    assert_eq!(read_all(&log).len(), 5);
}

#[test]
fn should_rewrite_fires_after_the_configured_growth_and_minimum_size() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        fsync: FsyncPolicy::No,
        segment_size: 1000,
        rewrite_percentage: 100,
        rewrite_min_size: 2000,
    };
    let (log, _) = Log::open_with_io(dir.path(), options, Arc::new(FaultyIo::fast())).unwrap();
    assert!(!log.should_rewrite());
    while log.size_bytes() < 2000 {
        log.write(&[0u8; 50]).unwrap();
    }
    assert!(log.should_rewrite(), "grown from 32 bytes past the minimum");
    let cut = log.start_rewrite().unwrap();
    log.finish_rewrite(cut, vec![vec![1u8; 1500]].into_iter())
        .unwrap();
    let after = log.size_bytes();
    assert!(!log.should_rewrite());
    while log.size_bytes() < after * 2 {
        log.write(&[0u8; 50]).unwrap();
    }
    assert!(log.should_rewrite(), "doubled since the last base");
}

#[test]
fn a_crash_at_each_step_of_the_rewrite_switch_leaves_the_old_or_the_new_log() {
    let mut step = 0;
    loop {
        let dir = tempfile::tempdir().unwrap();
        let io = FaultyIo::fast();
        let faults = Arc::clone(&io.faults);
        let (log, _) =
            Log::open_with_io(dir.path(), options(FsyncPolicy::No, 200), Arc::new(io)).unwrap();
        let old: Vec<_> = (0..40)
            .map(|i| (log.write(&kv(i)).unwrap(), kv(i)))
            .collect();
        let cut = log.start_rewrite().unwrap();
        let base = base_of(&log, cut);
        faults.crash_after(step);
        let finished = log.finish_rewrite(cut, base.clone().into_iter()).is_ok();
        drop(log);

        let (log, _) =
            Log::open(dir.path(), options(FsyncPolicy::No, 200)).expect("reopen after crash");
        let records = read_all(&log);
        let new: Vec<_> = base.iter().map(|p| (cut - 1, p.clone())).collect();
        if records != old {
            assert_eq!(records, new, "step {step}: neither the old nor the new log");
        } else {
            assert!(
                !finished,
                "step {step}: a finished rewrite must show the new log"
            );
        }
        assert_eq!(log.write(b"k0=after").unwrap(), cut, "step {step}");
        if finished && faults.ops.load(Ordering::SeqCst) <= faults.crash_at.load(Ordering::SeqCst) {
            assert!(step > 3, "the switch takes several steps");
            break;
        }
        step += 1;
    }
}

#[test]
fn a_crash_at_each_step_of_a_segment_switch_leaves_every_written_record() {
    let mut step = 0;
    loop {
        let dir = tempfile::tempdir().unwrap();
        let io = FaultyIo::fast();
        let faults = Arc::clone(&io.faults);
        let (log, _) =
            Log::open_with_io(dir.path(), options(FsyncPolicy::No, 100), Arc::new(io)).unwrap();
        let mut written = Vec::new();
        while log.size_bytes() < 90 {
            written.push((log.write(b"0123456789").unwrap(), b"0123456789".to_vec()));
        }
        faults.crash_after(step);
        let rotated = log.write(b"next segment").is_ok();
        drop(log);
        let (log, _) =
            Log::open(dir.path(), options(FsyncPolicy::No, 100)).expect("reopen after crash");
        if rotated {
            written.push((written.len() as u64 + 1, b"next segment".to_vec()));
        }
        assert_eq!(read_all(&log), written, "step {step}");
        if rotated && faults.ops.load(Ordering::SeqCst) <= faults.crash_at.load(Ordering::SeqCst) {
            break;
        }
        step += 1;
    }
}

#[test]
fn restarting_at_the_lsn_of_an_empty_active_segment_keeps_that_segment() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open_fast(dir.path(), 1 << 20);
        for i in 1..=3 {
            log.write(&kv(i)).unwrap();
        }
        // Moves appends to a new, empty segment that starts at LSN 4.
        assert_eq!(log.start_rewrite().unwrap(), 4);
        log.restart_at(4).unwrap();
        assert_eq!(log.write(&kv(4)).unwrap(), 4);
    }
    let log = open_fast(dir.path(), 1 << 20);
    assert_eq!(read_all_from(&log, 4), vec![(4, kv(4))]);
}
