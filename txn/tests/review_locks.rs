//! Review: lock waiting limits and the write stop after a failed automatic checkpoint.

use std::fs;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use isolde_txn::wal::{self, FsyncPolicy};
use isolde_txn::{Error, IsolationLevel, LockMode, Options, SaveRule, TxnManager};

const RC: IsolationLevel = IsolationLevel::ReadCommitted;

/// `lock_timeout` is documented as "how long a transaction waits for a row lock before
/// failing", but each wake-up starts a fresh timeout: a writer blocked by two sharers
/// waits for the first one for up to the timeout, then for the second one for up to the
/// timeout again, and so on. With n sharers ending one after the other it waits n times
/// the timeout for one row.
#[test]
fn lock_timeout_bounds_the_whole_wait_for_one_row() {
    let mgr = TxnManager::in_memory(Options {
        lock_timeout: Some(Duration::from_millis(300)),
        ..Options::default()
    });
    let mut a = mgr.begin(RC);
    let mut b = mgr.begin(RC);
    a.lock(b"k", LockMode::Shared).unwrap();
    b.lock(b"k", LockMode::Shared).unwrap();

    let writer_mgr = mgr.clone();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut c = writer_mgr.begin(RC);
        let started = Instant::now();
        let result = c.put(b"k", b"v").map_err(|e| e.to_string());
        let _ = tx.send((result, started.elapsed()));
    });
    thread::sleep(Duration::from_millis(200));
    a.rollback(); // the writer wakes up, finds b still there, and waits afresh
    thread::sleep(Duration::from_millis(250));
    b.rollback(); // 450 ms after the writer started waiting
    let (result, waited) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        result.is_err(),
        "granted after {waited:?} with a lock timeout of 300 ms"
    );
    assert!(
        waited < Duration::from_millis(420),
        "failed only after {waited:?}"
    );
}

/// After a failed automatic checkpoint (`stop-writes-on-checkpoint-error`), writes are
/// refused "until a checkpoint succeeds"; a successful manual checkpoint counts too (it
/// also resets the change counter, so no automatic one would ever be due to lift it).
#[test]
fn manual_checkpoint_success_lifts_the_write_stop() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        log: Some(wal::Options {
            fsync: FsyncPolicy::Always,
            ..wal::Options::default()
        }),
        save: vec![SaveRule {
            after: Duration::ZERO,
            changes: 1,
        }],
        stop_writes_on_checkpoint_error: true,
        maintenance_interval: Duration::from_millis(400),
        ..Options::default()
    };
    let (mgr, _) = TxnManager::open(dir.path(), options).unwrap();
    // The first commit gets timestamp 1; a directory where the checkpoint's temp file
    // goes makes the automatic checkpoint at timestamp 1 fail.
    let blocker = dir.path().join(format!("checkpoint-{:020}.ickp.tmp", 1));
    fs::create_dir(&blocker).unwrap();
    let mut txn = mgr.begin(RC);
    txn.put(b"a", b"1").unwrap();
    txn.commit().unwrap();

    let try_write = || {
        let mut txn = mgr.begin(RC);
        // Rolled back either way, so the clock stays at timestamp 1.
        txn.put(b"b", b"2")
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match try_write() {
            Err(Error::WritesStopped { .. }) => break,
            Ok(()) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            other => panic!("expected the failed automatic checkpoint to stop writes: {other:?}"),
        }
    }
    // Fix the cause and checkpoint by hand, right after the maintenance round.
    fs::remove_dir(&blocker).unwrap();
    mgr.checkpoint(|_| {}).unwrap();
    thread::sleep(Duration::from_millis(1000)); // two more maintenance rounds
    if let Err(e) = try_write() {
        panic!("writes still refused after a successful checkpoint: {e}");
    }
}

/// Since checkpoint failures stop writes whoever asked for the checkpoint, asking an
/// in-memory database for one (an `InMemory` error, which can never succeed) stops its
/// writes for good.
#[test]
fn checkpoint_request_on_an_in_memory_database_does_not_stop_writes() {
    let mgr = TxnManager::in_memory(Options::default());
    assert!(matches!(
        mgr.checkpoint(|_| {}),
        Err(Error::InMemory { .. })
    ));
    let mut txn = mgr.begin(RC);
    if let Err(e) = txn.put(b"k", b"v") {
        panic!("an in-memory database refuses writes after a checkpoint request: {e}");
    }
    txn.commit().unwrap();
}
