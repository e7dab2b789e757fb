//! Durability through the embedded API: commits survive reopening, through the log alone,
//! through a checkpoint plus the log after it, and through a log rewrite.

use std::time::Duration;

use isolde::{Db, FsyncPolicy, IsolationLevel, Options};

fn options() -> Options {
    Options {
        appendfsync: FsyncPolicy::Always,
        save: Vec::new(),
        ..Options::default()
    }
}

fn fill(db: &Db, range: std::ops::Range<u32>) {
    let mut tx = db.begin(IsolationLevel::Serializable);
    for i in range {
        tx.put(
            format!("key{i:04}").as_bytes(),
            format!("value{i}").as_bytes(),
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

fn keys(db: &Db) -> Vec<Vec<u8>> {
    let tx = db.begin(IsolationLevel::RepeatableRead);
    let keys = tx.scan::<&[u8]>(..).unwrap().map(|(k, _)| k).collect();
    keys
}

#[test]
fn commits_survive_reopening_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), options()).unwrap();
        fill(&db, 0..10);
        db.delete(b"key0003").unwrap();
    }
    let db = Db::open(dir.path(), options()).unwrap();
    assert_eq!(keys(&db).len(), 9);
    assert_eq!(db.get(b"key0007").unwrap(), Some(b"value7".to_vec()));
    assert_eq!(db.get(b"key0003").unwrap(), None);
}

#[test]
fn checkpoint_then_log_tail_recovers_exactly_the_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), options()).unwrap();
        fill(&db, 0..100);
        let info = db.checkpoint().unwrap();
        assert_eq!(info.keys, 100);
        fill(&db, 100..150);
        db.delete(b"key0010").unwrap();
        let mut rolled_back = db.begin(IsolationLevel::ReadCommitted);
        rolled_back.put(b"ghost", b"boo").unwrap();
        rolled_back.rollback();
    }
    let db = Db::open(dir.path(), options()).unwrap();
    assert_eq!(keys(&db).len(), 149);
    assert_eq!(db.get(b"key0010").unwrap(), None);
    assert_eq!(db.get(b"key0149").unwrap(), Some(b"value149".to_vec()));
    assert_eq!(db.get(b"ghost").unwrap(), None);
}

#[test]
fn rewritten_log_keeps_deletions_after_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), options()).unwrap();
        fill(&db, 0..20);
        db.checkpoint().unwrap();
        db.delete(b"key0005").unwrap();
        db.rewrite_log().unwrap();
        fill(&db, 20..25);
    }
    let db = Db::open(dir.path(), options()).unwrap();
    assert_eq!(db.get(b"key0005").unwrap(), None);
    assert_eq!(keys(&db).len(), 24);
}

#[test]
fn second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _db = Db::open(dir.path(), options()).unwrap();
    let err = Db::open(dir.path(), options())
        .err()
        .expect("second open must fail");
    assert!(
        err.to_string().contains("in use by another process"),
        "{err}"
    );
}

#[test]
fn a_lock_held_for_a_moment_after_close_is_waited_out() {
    // What a child process started at the wrong moment does: it holds a copy of the
    // lock file, and so the lock, until it runs its program.
    let dir = tempfile::tempdir().unwrap();
    drop(Db::open(dir.path(), options()).unwrap());
    let copy = std::fs::File::open(dir.path().join(isolde_txn::LOCK_FILE)).unwrap();
    copy.lock().unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        drop(copy);
    });
    Db::open(dir.path(), options()).expect("the lock is released within the wait");
    release.join().unwrap();
}

#[test]
fn empty_and_oversized_keys_are_refused_with_clear_errors() {
    let db = Db::open_in_memory();
    let err = db.put(b"", b"x").unwrap_err();
    assert!(err.to_string().contains("empty key"), "{err}");
    let big = vec![b'k'; isolde::MAX_KEY_SIZE + 1];
    let err = db.put(&big, b"x").unwrap_err();
    assert!(err.to_string().contains("larger than the maximum"), "{err}");
}

#[test]
fn messages_published_in_a_transaction_arrive_only_on_commit() {
    let db = Db::open_in_memory();
    let sub = db.subscribe(["news"]);
    let mut tx = db.begin(IsolationLevel::ReadCommitted);
    tx.publish(b"news", b"rolled back").unwrap();
    tx.rollback();
    let mut tx = db.begin(IsolationLevel::ReadCommitted);
    tx.publish(b"news", b"committed").unwrap();
    assert_eq!(sub.try_recv().unwrap(), None, "nothing before commit");
    tx.commit().unwrap();
    let message = sub
        .recv_timeout(std::time::Duration::from_secs(1))
        .unwrap()
        .unwrap();
    assert_eq!(&message.payload[..], b"committed");
    assert_eq!(sub.try_recv().unwrap(), None);
}

#[test]
fn commits_after_opening_a_copied_checkpoint_survive_reopening() {
    let (old, new) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let checkpoint = {
        let db = Db::open(old.path(), options()).unwrap();
        fill(&db, 0..5);
        fill(&db, 5..10);
        db.checkpoint().unwrap().path
    };
    std::fs::copy(
        &checkpoint,
        new.path().join(checkpoint.file_name().unwrap()),
    )
    .unwrap();
    {
        let db = Db::open(new.path(), options()).unwrap();
        for i in 10..14 {
            db.put(format!("key{i:04}").as_bytes(), b"after").unwrap();
        }
    }
    let db = Db::open(new.path(), options()).unwrap();
    assert_eq!(keys(&db).len(), 14, "commits made after the copy were lost");
}

#[test]
fn log_that_ends_before_the_checkpoint_goes_on_after_it() {
    // A log shorter than the newest checkpoint says (its unsynced tail lost in a power
    // cut, or cut by check-wal --fix) holds nothing the checkpoint lacks: the database
    // opens from the checkpoint and new commits are numbered after its position.
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = {
        let db = Db::open(dir.path(), options()).unwrap();
        for i in 0..5 {
            fill(&db, i * 10..i * 10 + 10);
        }
        db.checkpoint().unwrap().path
    };
    let saved = std::fs::read(&checkpoint).unwrap();
    std::fs::remove_dir_all(dir.path().join("wal")).unwrap();
    std::fs::remove_file(&checkpoint).unwrap();
    {
        let db = Db::open(dir.path(), options()).unwrap();
        fill(&db, 0..1);
    }
    std::fs::write(&checkpoint, saved).unwrap();
    {
        let db = Db::open(dir.path(), options()).unwrap();
        assert_eq!(keys(&db).len(), 50);
        db.put(b"after", b"x").unwrap();
    }
    let db = Db::open(dir.path(), options()).unwrap();
    assert_eq!(db.get(b"after").unwrap(), Some(b"x".to_vec()));
    assert_eq!(keys(&db).len(), 51);
}

#[test]
fn failed_background_checkpoint_stops_writes_until_one_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let rule = isolde::SaveRule {
        after: std::time::Duration::ZERO,
        changes: 1,
    };
    let db = Db::open(
        dir.path(),
        Options {
            save: vec![rule],
            ..options()
        },
    )
    .unwrap();
    // The checkpoint after the next commit would be renamed to this name: a directory in
    // the way makes the rename, and so the checkpoint, fail.
    let next_ts = db.manager().last_commit_ts() + 1;
    let blocker = dir.path().join(format!("checkpoint-{next_ts:020}.ickp"));
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("keep"), b"not empty").unwrap();
    db.put(b"k1", b"v").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.manager().writes_stopped().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "writes were never stopped"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let err = db.put(b"k2", b"v").unwrap_err();
    assert!(
        err.to_string().contains("stop-writes-on-checkpoint-error"),
        "{err}"
    );
    assert_eq!(db.get(b"k1").unwrap(), Some(b"v".to_vec()), "reads go on");
    std::fs::remove_dir_all(&blocker).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.put(b"k3", b"v").is_err() {
        assert!(std::time::Instant::now() < deadline, "writes never resumed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
