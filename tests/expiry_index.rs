//! The expiry index holds one entry per key that has a TTL, at the key's current
//! deadline: a write that changes or removes a key's expiry (put_with_ttl, expire,
//! persist, a plain put, a delete) removes the key's previous entry in the same
//! transaction, so refreshing a session key on every request does not pile up entries in
//! memory, in the log and in checkpoints. The sweeper still expires keys on time.

use std::time::{Duration, Instant};

use isolde::keyspace::{EXPIRY_PREFIX, KV_PREFIX};
use isolde::{Db, IsolationLevel, Options, Ttl};

const RC: IsolationLevel = IsolationLevel::ReadCommitted;
const HALF_HOUR: Duration = Duration::from_secs(1800);

/// Every committed expiry index entry: (deadline in ms, the key as the API names it).
fn index(db: &Db) -> Vec<(u64, Vec<u8>)> {
    let tx = db.manager().begin_read_only(RC);
    let entries = tx
        .scan_prefix(&[EXPIRY_PREFIX])
        .unwrap()
        .map(|(key, _)| {
            let at = u64::from_be_bytes(key[1..9].try_into().unwrap());
            assert_eq!(key[9], KV_PREFIX, "an index entry names a key-value key");
            (at, key[10..].to_vec())
        })
        .collect();
    tx.commit().unwrap();
    entries
}

fn deadline_of(db: &Db, key: &[u8]) -> Option<Duration> {
    match db.ttl(key).unwrap() {
        Ttl::ExpiresIn(left) => Some(left),
        _ => None,
    }
}

#[test]
fn refreshing_a_keys_ttl_many_times_leaves_exactly_one_index_entry() {
    let db = Db::open_in_memory();
    for i in 0..300 {
        // A different deadline every time, even within one millisecond.
        let ttl = HALF_HOUR + Duration::from_millis(i);
        if i % 3 == 0 {
            db.expire(b"session", ttl).unwrap();
        } else {
            db.put_with_ttl(b"session", b"token", ttl).unwrap();
        }
    }
    let entries = index(&db);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].1, b"session");
    let left = deadline_of(&db, b"session").expect("the key has a TTL");
    assert!(left > HALF_HOUR, "the entry is the last deadline: {left:?}");
}

#[test]
fn persist_a_plain_put_and_a_delete_each_remove_the_keys_index_entry() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"forever", b"v", Duration::MAX).unwrap();
    assert!(db.persist(b"forever").unwrap());
    db.put_with_ttl(b"overwritten", b"v", HALF_HOUR).unwrap();
    db.put(b"overwritten", b"plain").unwrap();
    db.put_with_ttl(b"deleted", b"v", HALF_HOUR).unwrap();
    db.delete(b"deleted").unwrap();
    assert_eq!(index(&db), vec![]);
    assert_eq!(db.ttl(b"forever").unwrap(), Ttl::Persistent);
    assert_eq!(db.get(b"overwritten").unwrap(), Some(b"plain".to_vec()));
    assert_eq!(db.get(b"deleted").unwrap(), None);
}

#[test]
fn several_expiry_changes_in_one_transaction_leave_only_the_last_deadline() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"k", b"v0", HALF_HOUR).unwrap();
    let mut tx = db.begin(RC);
    tx.put_with_ttl(b"k", b"v1", HALF_HOUR * 2).unwrap();
    tx.put_with_ttl(b"k", b"v2", HALF_HOUR * 3).unwrap();
    assert!(tx.expire(b"k", HALF_HOUR * 4).unwrap());
    tx.put_with_ttl(b"fresh", b"f", HALF_HOUR).unwrap();
    tx.put(b"fresh", b"no ttl").unwrap();
    tx.commit().unwrap();
    let entries = index(&db);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].1, b"k");
    assert!(deadline_of(&db, b"k").unwrap() > HALF_HOUR * 3);
}

#[test]
fn a_rolled_back_refresh_keeps_the_committed_entry() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"k", b"v", HALF_HOUR).unwrap();
    let before = index(&db);
    let mut tx = db.begin(RC);
    tx.put_with_ttl(b"k", b"v", HALF_HOUR * 2).unwrap();
    tx.persist(b"k").unwrap();
    tx.rollback();
    assert_eq!(index(&db), before);
    assert_eq!(before.len(), 1);
}

#[test]
fn the_sweeper_removes_a_refreshed_key_at_its_last_deadline_with_its_entry() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"short", b"v", Duration::from_millis(50))
        .unwrap();
    db.put_with_ttl(b"short", b"v", Duration::from_millis(600))
        .unwrap();
    db.put_with_ttl(b"gone", b"v", Duration::from_millis(50))
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(db.get(b"short").unwrap(), Some(b"v".to_vec()), "refreshed");
    let start = Instant::now();
    while !index(&db).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "sweeper left {:?}",
            index(&db)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(db.get(b"short").unwrap(), None);
    assert_eq!(db.get(b"gone").unwrap(), None);
    let tx = db.manager().begin_read_only(RC);
    assert_eq!(
        tx.scan::<&[u8]>(..).unwrap().count(),
        0,
        "both keys deleted"
    );
}

#[test]
fn after_a_restart_a_refreshed_key_still_has_exactly_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let options = || Options {
        save: Vec::new(),
        ..Options::default()
    };
    {
        let db = Db::open(dir.path(), options()).unwrap();
        for i in 0..50 {
            db.put_with_ttl(b"session", b"token", HALF_HOUR + Duration::from_millis(i))
                .unwrap();
        }
        db.checkpoint().unwrap();
        for i in 0..50 {
            db.expire(b"session", HALF_HOUR * 2 + Duration::from_millis(i))
                .unwrap();
        }
    }
    let db = Db::open(dir.path(), options()).unwrap();
    let entries = index(&db);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(deadline_of(&db, b"session").unwrap() > HALF_HOUR * 2 - Duration::from_secs(60));
}
