//! Review: recovery corner cases of the checkpoint + log pair.
//!
//! Each test builds a database directory through the public API, simulates what a crash
//! or a configuration change leaves behind, reopens it and checks that exactly the
//! committed state comes back.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use isolde_txn::wal::{self, FsyncPolicy};
use isolde_txn::{IsolationLevel, Options, TxnManager};

fn logged(fsync: FsyncPolicy) -> Options {
    Options {
        log: Some(wal::Options {
            fsync,
            ..wal::Options::default()
        }),
        save: Vec::new(),
        maintenance_interval: Duration::from_secs(3600),
        ..Options::default()
    }
}

fn unlogged() -> Options {
    Options {
        log: None,
        ..logged(FsyncPolicy::Always)
    }
}

fn put(mgr: &TxnManager, key: &str, value: &str) {
    let mut txn = mgr.begin(IsolationLevel::RepeatableRead);
    txn.put(key.as_bytes(), value.as_bytes()).unwrap();
    txn.commit().unwrap();
}

fn get(mgr: &TxnManager, key: &str) -> Option<String> {
    let txn = mgr.begin(IsolationLevel::RepeatableRead);
    let value = txn.get(key.as_bytes()).unwrap();
    value.map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// The segment files of the log, oldest first.
fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join(isolde_txn::WAL_DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seg-"))
        })
        .collect();
    files.sort();
    files
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

/// Under `appendfsync everysec` (the default) a power loss may take the records written
/// since the last fsync with it. A checkpoint does not fsync the log before it records
/// `wal_lsn`, so the checkpoint (fsynced, renamed) can survive while the log records up to
/// its position do not. Recovery then sees "log ends before the checkpoint" and refuses to
/// open, although the checkpoint holds every one of those commits: the database is
/// unusable after an ordinary crash until someone deletes the log by hand.
#[test]
fn checkpoint_survives_a_power_loss_that_takes_the_unsynced_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let lost_from;
    {
        let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::EverySec)).unwrap();
        put(&mgr, "a", "1");
        put(&mgr, "b", "2");
        let segs = segments(dir.path());
        lost_from = (segs.last().unwrap().clone(), file_len(segs.last().unwrap()));
        put(&mgr, "c", "3");
        let info = mgr.checkpoint(|_| {}).unwrap();
        assert_eq!(info.keys, 3);
    }
    // The power loss: the last record never reached the disk (everysec had not flushed
    // it yet); the checkpoint, fsynced and renamed, did.
    let (segment, len) = lost_from;
    fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(len)
        .unwrap();

    let opened = TxnManager::open(dir.path(), logged(FsyncPolicy::EverySec));
    let (mgr, _) = match opened {
        Ok(opened) => opened,
        Err(e) => panic!("a crash under the default fsync policy must not prevent opening: {e}"),
    };
    assert_eq!(
        get(&mgr, "c").as_deref(),
        Some("3"),
        "the checkpoint holds it"
    );
    // New commits must be numbered after the checkpoint, or the next recovery skips them.
    put(&mgr, "d", "4");
    drop(mgr);
    let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::EverySec)).unwrap();
    assert_eq!(get(&mgr, "d").as_deref(), Some("4"));
}

/// `appendonly yes` -> `no` -> `yes`. While the log is off, recovery loads the newest
/// checkpoint and ignores the log, so the clock restarts at the checkpoint's timestamp
/// and hands out timestamps that the old log's tail already used. When the log is turned
/// back on, `recover` applies every old-log record whose timestamp is above the (lsn 0)
/// checkpoint's: records from the abandoned history come back over the newer state.
#[test]
fn stale_log_records_do_not_come_back_after_the_log_was_turned_off_and_on() {
    let dir = tempfile::tempdir().unwrap();
    {
        // Era 1, logged: a checkpoint, then a tail only the log holds.
        let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
        put(&mgr, "a", "era1"); // ts 1
        mgr.checkpoint(|_| {}).unwrap(); // ts 1
        put(&mgr, "a", "era1-tail"); // ts 2
        put(&mgr, "ghost", "era1-tail"); // ts 3
    }
    {
        // Era 2, appendonly no: starts from the checkpoint (the log tail is ignored, as
        // Redis ignores the AOF), writes and checkpoints its own history.
        let (mgr, _) = TxnManager::open(dir.path(), unlogged()).unwrap();
        assert_eq!(get(&mgr, "ghost"), None);
        put(&mgr, "a", "era2"); // ts 2 again
        mgr.checkpoint(|_| {}).unwrap(); // ts 2, wal_lsn 0
    }
    // Era 3, logged again: the newest checkpoint is era 2's.
    let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
    assert_eq!(get(&mgr, "a").as_deref(), Some("era2"));
    assert_eq!(
        get(&mgr, "ghost"),
        None,
        "a write of the abandoned era-1 tail came back"
    );
}

/// Same configuration change with a rewritten log: era 2's checkpoint has `wal_lsn` 0,
/// which `load_checkpoint` reads as "older than the base", so it ignores the checkpoint
/// altogether and recovers the era-1 base: every commit of era 2 is lost, checkpointed
/// or not.
#[test]
fn checkpoint_written_without_a_log_is_not_ignored_for_an_old_log_base() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
        put(&mgr, "a", "era1");
        put(&mgr, "b", "era1");
        mgr.rewrite_log().unwrap();
        put(&mgr, "c", "era1");
    }
    {
        let (mgr, _) = TxnManager::open(dir.path(), unlogged()).unwrap();
        // No checkpoint yet: era 2 starts empty (the log is off), as Redis with its AOF off.
        put(&mgr, "a", "era2");
        mgr.checkpoint(|_| {}).unwrap();
    }
    let (mgr, recovered) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
    assert!(
        recovered.checkpoint.is_some(),
        "the newest checkpoint was passed over: {recovered:?}"
    );
    assert_eq!(get(&mgr, "a").as_deref(), Some("era2"));
}
