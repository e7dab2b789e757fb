//! Recovery picks the newest checkpoint that verifies, falls back past damaged ones with a
//! warning, refuses to start empty when all are damaged, ignores unfinished writes, and
//! pruning keeps the newest ones.

use std::path::{Path, PathBuf};

use isolde_engine::checkpoint::{Compression, Directory, Error, Meta};

fn meta(snapshot_ts: u64) -> Meta {
    Meta {
        snapshot_ts,
        wal_lsn: snapshot_ts * 10,
        created_unix_ms: 0,
        compression: Compression::Lz4,
    }
}

/// Writes a checkpoint whose single entry records its snapshot, so a test can tell which
/// one was loaded.
fn save(dir: &Directory, snapshot_ts: u64) -> PathBuf {
    let entry = Ok::<_, Error>((b"ts".to_vec(), snapshot_ts.to_le_bytes().to_vec()));
    dir.write(&meta(snapshot_ts), [entry], |_| {}).unwrap().path
}

fn damage(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

fn loaded_ts(dir: &Directory) -> (u64, Vec<PathBuf>) {
    let loaded = dir.load_newest().unwrap().expect("a checkpoint");
    let skipped = loaded.skipped.iter().map(|s| s.path.clone()).collect();
    (loaded.checkpoint.meta().snapshot_ts, skipped)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn an_empty_or_missing_directory_has_no_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(Directory::new(tmp.path()).load_newest().unwrap().is_none());
    assert!(Directory::new(tmp.path().join("missing"))
        .load_newest()
        .unwrap()
        .is_none());
}

#[test]
fn names_sort_in_snapshot_order_and_the_newest_is_listed_first() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Directory::new(tmp.path());
    for ts in [9, 10, 1_000_000, 2] {
        save(&dir, ts);
    }
    assert_eq!(
        dir.path_for(&meta(9)).file_name().unwrap(),
        "checkpoint-00000000000000000009.ickp"
    );
    let on_disk = names(tmp.path());
    let by_name: Vec<_> = on_disk.iter().rev().cloned().collect();
    let listed: Vec<_> = dir
        .list()
        .unwrap()
        .iter()
        .map(|l| l.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, by_name, "newest first, which is reverse name order");
    assert_eq!(
        dir.list()
            .unwrap()
            .iter()
            .map(|l| l.snapshot_ts)
            .collect::<Vec<_>>(),
        vec![1_000_000, 10, 9, 2]
    );
}

#[test]
fn the_newest_valid_checkpoint_is_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Directory::new(tmp.path());
    for ts in [5, 15, 10] {
        save(&dir, ts);
    }
    let (ts, skipped) = loaded_ts(&dir);
    assert_eq!((ts, skipped), (15, vec![]));
    let loaded = dir.load_newest().unwrap().unwrap();
    let entries: Vec<_> = loaded.checkpoint.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        entries,
        vec![(b"ts".to_vec(), 15u64.to_le_bytes().to_vec())]
    );
    assert_eq!(loaded.checkpoint.meta().wal_lsn, 150);
}

#[test]
fn a_corrupt_newest_checkpoint_falls_back_to_the_previous_one_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Directory::new(tmp.path());
    save(&dir, 1);
    save(&dir, 2);
    let newest = save(&dir, 3);
    damage(&newest);
    let loaded = dir.load_newest().unwrap().unwrap();
    assert_eq!(loaded.checkpoint.meta().snapshot_ts, 2);
    assert_eq!(loaded.skipped.len(), 1);
    assert_eq!(loaded.skipped[0].path, newest);
    let warning = loaded.skipped[0].to_string();
    assert!(
        warning.contains("checkpoint-00000000000000000003.ickp") && warning.contains("corrupt"),
        "{warning}"
    );
}

#[test]
fn when_every_checkpoint_is_corrupt_loading_fails_instead_of_starting_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Directory::new(tmp.path());
    for ts in [1, 2] {
        damage(&save(&dir, ts));
    }
    let err = dir.load_newest().unwrap_err();
    let Error::NoValidCheckpoint { skipped, .. } = &err else {
        panic!("expected NoValidCheckpoint, got {err}")
    };
    assert_eq!(skipped.len(), 2);
    let message = err.to_string();
    assert!(
        message.contains("checkpoint-00000000000000000001.ickp"),
        "{message}"
    );
    assert!(
        message.contains("checkpoint-00000000000000000002.ickp"),
        "{message}"
    );
}

#[test]
fn a_temp_file_left_by_a_crash_mid_write_is_not_a_checkpoint_and_is_cleaned_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Directory::new(tmp.path());
    save(&dir, 1);
    // A newer write that died before its rename: a complete-looking prefix under the temp name.
    let finished = save(&dir, 2);
    let bytes = std::fs::read(&finished).unwrap();
    std::fs::remove_file(&finished).unwrap();
    let temp = tmp.path().join("checkpoint-00000000000000000002.ickp.tmp");
    std::fs::write(&temp, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(tmp.path().join("wal-000001.log"), b"not ours").unwrap();

    assert_eq!(dir.list().unwrap().len(), 1);
    assert_eq!(loaded_ts(&dir), (1, vec![]));
    assert_eq!(dir.remove_temp_files().unwrap(), vec![temp]);
    assert_eq!(
        names(tmp.path()),
        vec!["checkpoint-00000000000000000001.ickp", "wal-000001.log"]
    );
}

#[test]
fn prune_keeps_the_newest_n_and_never_fewer_than_two() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Directory::new(tmp.path());
    let paths: Vec<_> = (1..=6).map(|ts| save(&dir, ts)).collect();
    let removed = dir.prune(4).unwrap();
    assert_eq!(removed, vec![paths[1].clone(), paths[0].clone()]);
    assert_eq!(
        dir.list()
            .unwrap()
            .iter()
            .map(|l| l.snapshot_ts)
            .collect::<Vec<_>>(),
        vec![6, 5, 4, 3]
    );
    dir.prune(0).unwrap();
    assert_eq!(
        dir.list()
            .unwrap()
            .iter()
            .map(|l| l.snapshot_ts)
            .collect::<Vec<_>>(),
        vec![6, 5]
    );
    assert!(dir.prune(1).unwrap().is_empty());
}
