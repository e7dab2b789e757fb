//! A failed fsync or write poisons the log: the disk may no longer hold what was
//! acknowledged, so every later write, append and sync fails until it is reopened.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::{options, read_all, FaultyIo};
use isolde_wal::{Error, FsyncPolicy, Log};

fn assert_poisoned(log: &Log) {
    assert!(matches!(log.write(b"w"), Err(Error::Poisoned)));
    assert!(matches!(log.append(b"a"), Err(Error::Poisoned)));
    assert!(matches!(log.sync(1), Err(Error::Poisoned)));
    assert!(matches!(log.start_rewrite(), Err(Error::Poisoned)));
}

#[test]
fn a_failed_fsync_under_always_fails_the_append_and_poisons_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let io = FaultyIo::new();
    let faults = Arc::clone(&io.faults);
    let (log, _) = Log::open_with_io(
        dir.path(),
        options(FsyncPolicy::Always, 1 << 20),
        Arc::new(io),
    )
    .unwrap();
    log.append(b"durable").unwrap();
    faults.fail_syncs.store(true, Ordering::SeqCst);
    let err = log.append(b"lost?").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    faults.fail_syncs.store(false, Ordering::SeqCst);
    assert_poisoned(&log);
    assert_poisoned(&log); // sticky
    drop(log);
    let (log, _) = Log::open(dir.path(), options(FsyncPolicy::Always, 1 << 20)).unwrap();
    assert_eq!(read_all(&log)[0], (1, b"durable".to_vec()));
    log.append(b"after reopen").unwrap();
}

#[test]
fn a_failed_background_fsync_under_everysec_poisons_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let io = FaultyIo::new();
    let faults = Arc::clone(&io.faults);
    let (log, _) = Log::open_with_io(
        dir.path(),
        options(FsyncPolicy::EverySec, 1 << 20),
        Arc::new(io),
    )
    .unwrap();
    faults.fail_syncs.store(true, Ordering::SeqCst);
    log.append(b"x").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while log.write(b"y").is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the flusher never failed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_poisoned(&log);
}

#[test]
fn a_failed_fsync_when_sealing_a_segment_poisons_the_log_under_no() {
    let dir = tempfile::tempdir().unwrap();
    let io = FaultyIo::new();
    let faults = Arc::clone(&io.faults);
    let (log, _) =
        Log::open_with_io(dir.path(), options(FsyncPolicy::No, 100), Arc::new(io)).unwrap();
    log.write(&[0u8; 80]).unwrap();
    faults.fail_syncs.store(true, Ordering::SeqCst);
    assert!(matches!(log.write(&[0u8; 80]), Err(Error::Io { .. })));
    assert_poisoned(&log);
}

#[test]
fn waiters_of_a_failed_group_commit_all_get_errors() {
    let dir = tempfile::tempdir().unwrap();
    let io = FaultyIo::new();
    let faults = Arc::clone(&io.faults);
    let (log, _) = Log::open_with_io(
        dir.path(),
        options(FsyncPolicy::Always, 1 << 20),
        Arc::new(io),
    )
    .unwrap();
    let log = Arc::new(log);
    faults.fail_syncs.store(true, Ordering::SeqCst);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || log.append(b"z"))
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().is_err());
    }
}
