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

/// `appendonly yes` -> `no` -> `yes`. While the log is off, recovery still reads the log
/// an earlier run left (its records are acknowledged commits) but never writes it; the
/// checkpoints written then hold its records, so turning the log back on drops it and
/// loses nothing, and nothing of it comes back over newer writes.
#[test]
fn turning_the_log_off_and_on_keeps_every_commit_in_order() {
    let dir = tempfile::tempdir().unwrap();
    {
        // Era 1, logged: a checkpoint, then a tail only the log holds.
        let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
        put(&mgr, "a", "era1"); // ts 1
        mgr.checkpoint(|_| {}).unwrap(); // ts 1
        put(&mgr, "a", "era1-tail"); // ts 2
        put(&mgr, "kept", "era1-tail"); // ts 3
    }
    {
        // Era 2, appendonly no: starts from the checkpoint and the log after it.
        let (mgr, recovered) = TxnManager::open(dir.path(), unlogged()).unwrap();
        assert_eq!(recovered.records_replayed, 2, "{recovered:?}");
        assert_eq!(get(&mgr, "a").as_deref(), Some("era1-tail"));
        put(&mgr, "a", "era2"); // ts 4
        mgr.checkpoint(|_| {}).unwrap(); // ts 4, no log position
    }
    // Era 3, logged again: the newest checkpoint is era 2's, newer than the whole log.
    let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
    assert_eq!(get(&mgr, "a").as_deref(), Some("era2"));
    assert_eq!(get(&mgr, "kept").as_deref(), Some("era1-tail"));
    drop(mgr);
    // And once more: the fresh checkpoint era 3 wrote at once, then its own log.
    let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
    assert_eq!(get(&mgr, "a").as_deref(), Some("era2"));
    assert_eq!(get(&mgr, "kept").as_deref(), Some("era1-tail"));
}

/// A checkpoint taken while the log is off (`isolde checkpoint` with a configuration
/// that says `appendonly = false`) holds what the log holds: the next run with the log on
/// drops that log as older than the checkpoint, and must find every commit in it there.
#[test]
fn a_checkpoint_taken_with_the_log_off_holds_the_commits_the_log_had() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
        for key in ["k1", "k2", "k3"] {
            put(&mgr, key, "logged");
        }
    }
    {
        let (mgr, _) = TxnManager::open(dir.path(), unlogged()).unwrap();
        let info = mgr.checkpoint(|_| {}).unwrap();
        assert_eq!(info.keys, 3);
    }
    let (mgr, _) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
    for key in ["k1", "k2", "k3"] {
        assert_eq!(get(&mgr, key).as_deref(), Some("logged"), "{key}");
    }
}

/// Without a log, a clean close checkpoints what committed since the last checkpoint
/// when save rules are set (Redis saves on SHUTDOWN when save points are configured);
/// with no save rules nothing is kept, as Redis with persistence off.
#[test]
fn closing_a_database_without_a_log_saves_it_when_save_rules_are_set() {
    let dir = tempfile::tempdir().unwrap();
    let saving = Options {
        save: vec![isolde_txn::SaveRule {
            after: Duration::from_secs(3600),
            changes: 1_000_000,
        }],
        ..unlogged()
    };
    {
        let (mgr, _) = TxnManager::open(dir.path(), saving.clone()).unwrap();
        put(&mgr, "a", "1");
    }
    let (mgr, recovered) = TxnManager::open(dir.path(), saving).unwrap();
    assert!(recovered.checkpoint.is_some(), "{recovered:?}");
    assert_eq!(get(&mgr, "a").as_deref(), Some("1"));
    drop(mgr);

    let other = tempfile::tempdir().unwrap();
    {
        let (mgr, _) = TxnManager::open(other.path(), unlogged()).unwrap();
        put(&mgr, "a", "1");
    }
    let (mgr, _) = TxnManager::open(other.path(), unlogged()).unwrap();
    assert_eq!(get(&mgr, "a"), None);
}

/// Same configuration change with a rewritten log: era 2's checkpoint has no log
/// position, and must not be read as "older than the base" and passed over.
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
        // No checkpoint yet: era 2 starts from the log's base and records, read only.
        assert_eq!(get(&mgr, "c").as_deref(), Some("era1"));
        put(&mgr, "a", "era2");
        mgr.checkpoint(|_| {}).unwrap();
    }
    let (mgr, recovered) = TxnManager::open(dir.path(), logged(FsyncPolicy::Always)).unwrap();
    assert!(
        recovered.checkpoint.is_some(),
        "the newest checkpoint was passed over: {recovered:?}"
    );
    assert_eq!(get(&mgr, "a").as_deref(), Some("era2"));
    assert_eq!(get(&mgr, "c").as_deref(), Some("era1"));
}
