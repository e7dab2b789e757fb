//! Transactional queues, watches of committed changes, and key expiry, through the
//! embedded API.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use isolde::{Db, FsyncPolicy, IsolationLevel, Options, Ttl};

const RC: IsolationLevel = IsolationLevel::ReadCommitted;

fn durable() -> Options {
    Options {
        appendfsync: FsyncPolicy::Always,
        save: Vec::new(),
        ..Options::default()
    }
}

#[test]
fn enqueued_message_is_visible_only_after_commit() {
    let db = Db::open_in_memory();
    let mut producer = db.begin(RC);
    producer.enqueue(b"jobs", b"one").unwrap();
    let mut consumer = db.begin(RC);
    assert_eq!(
        consumer.dequeue(b"jobs").unwrap(),
        None,
        "uncommitted message must not be taken"
    );
    producer.commit().unwrap();
    assert_eq!(consumer.dequeue(b"jobs").unwrap(), Some(b"one".to_vec()));
    consumer.commit().unwrap();
    assert_eq!(db.queue_len(b"jobs").unwrap(), 0);
}

#[test]
fn concurrent_consumers_take_different_messages_without_blocking() {
    let db = Db::open_in_memory();
    let mut producer = db.begin(RC);
    for m in [b"a", b"b", b"c"] {
        producer.enqueue(b"q", m).unwrap();
    }
    producer.commit().unwrap();
    let mut first = db.begin(IsolationLevel::Serializable);
    let mut second = db.begin(IsolationLevel::Serializable);
    assert_eq!(
        first.dequeue(b"q").unwrap(),
        Some(b"a".to_vec()),
        "oldest first"
    );
    assert_eq!(
        second.dequeue(b"q").unwrap(),
        Some(b"b".to_vec()),
        "skips the taken one"
    );
    first.commit().unwrap();
    second.commit().unwrap();
    assert_eq!(db.peek(b"q").unwrap(), Some(b"c".to_vec()));
}

#[test]
fn rolled_back_dequeue_puts_the_message_back() {
    let db = Db::open_in_memory();
    let mut producer = db.begin(RC);
    producer.enqueue(b"q", b"only").unwrap();
    producer.commit().unwrap();
    let mut consumer = db.begin(RC);
    assert_eq!(consumer.dequeue(b"q").unwrap(), Some(b"only".to_vec()));
    consumer.rollback();
    let mut again = db.begin(RC);
    assert_eq!(again.dequeue(b"q").unwrap(), Some(b"only".to_vec()));
}

#[test]
fn blocking_dequeue_wakes_when_a_message_is_committed() {
    let db = Db::open_in_memory();
    let producer_db = db.clone();
    let producer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        let mut tx = producer_db.begin(RC);
        tx.enqueue(b"q", b"late").unwrap();
        tx.commit().unwrap();
    });
    let mut consumer = db.begin(RC);
    let got = consumer
        .dequeue_timeout(b"q", Duration::from_secs(5))
        .unwrap();
    assert_eq!(got, Some(b"late".to_vec()));
    producer.join().unwrap();
    let mut empty = db.begin(RC);
    assert_eq!(
        empty
            .dequeue_timeout(b"q", Duration::from_millis(20))
            .unwrap(),
        None
    );
}

#[test]
fn producers_and_consumers_deliver_every_message_exactly_once_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (producers, per_producer) = (3, 40);
    {
        let db = Db::open(dir.path(), durable()).unwrap();
        let threads: Vec<_> = (0..producers)
            .map(|p| {
                let db = db.clone();
                thread::spawn(move || {
                    for i in 0..per_producer {
                        let mut tx = db.begin(RC);
                        tx.enqueue(b"work", format!("{p}-{i}").as_bytes()).unwrap();
                        tx.commit().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Take some, then close with one consumer's dequeue left uncommitted (rolled back).
        let mut consumer = db.begin(RC);
        for _ in 0..10 {
            consumer.dequeue(b"work").unwrap().unwrap();
        }
        consumer.commit().unwrap();
        let mut uncommitted = db.begin(RC);
        uncommitted.dequeue(b"work").unwrap().unwrap();
        drop(uncommitted);
    }
    let db = Db::open(dir.path(), durable()).unwrap();
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let (db, seen) = (db.clone(), seen.clone());
            thread::spawn(move || loop {
                let mut tx = db.begin(RC);
                match tx.dequeue(b"work").unwrap() {
                    Some(message) => {
                        tx.commit().unwrap();
                        seen.lock().push(message);
                    }
                    None => return,
                }
            })
        })
        .collect();
    for c in consumers {
        c.join().unwrap();
    }
    let seen = seen.lock();
    let distinct: HashSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "a message was delivered twice");
    assert_eq!(
        seen.len(),
        producers * per_producer - 10,
        "messages lost or duplicated"
    );
}

#[test]
fn watch_sees_every_committed_change_once_in_commit_order() {
    let db = Db::open_in_memory();
    let watch = db.watch(b"user/");
    db.put(b"other/x", b"ignored").unwrap();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let db = db.clone();
            thread::spawn(move || {
                for i in 0..25 {
                    db.put(format!("user/{w}").as_bytes(), format!("{i}").as_bytes())
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    db.delete(b"user/0").unwrap();
    let mut changes = Vec::new();
    while let Some(change) = watch.try_recv().unwrap() {
        changes.push(change);
    }
    assert_eq!(changes.len(), 101);
    assert!(
        changes.windows(2).all(|w| w[0].ts < w[1].ts),
        "out of commit order"
    );
    for w in 0..4 {
        let values: Vec<_> = changes
            .iter()
            .filter(|c| c.key == format!("user/{w}").as_bytes() && c.value.is_some())
            .map(|c| String::from_utf8(c.value.clone().unwrap()).unwrap())
            .collect();
        let expected: Vec<_> = (0..25).map(|i| i.to_string()).collect();
        assert_eq!(values, expected, "writer {w}'s changes");
    }
    assert_eq!(changes.last().unwrap().value, None, "the delete comes last");
}

#[test]
fn watch_does_not_see_rolled_back_changes() {
    let db = Db::open_in_memory();
    let watch = db.watch(b"");
    let mut tx = db.begin(RC);
    tx.put(b"k", b"v").unwrap();
    tx.rollback();
    assert_eq!(watch.try_recv().unwrap(), None);
}

#[test]
fn expired_key_reads_as_absent_at_every_level_and_is_swept() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"session", b"token", Duration::from_millis(30))
        .unwrap();
    assert!(matches!(db.ttl(b"session").unwrap(), Ttl::ExpiresIn(_)));
    assert_eq!(db.get(b"session").unwrap(), Some(b"token".to_vec()));
    thread::sleep(Duration::from_millis(60));
    for level in IsolationLevel::ALL {
        let tx = db.begin(level);
        assert_eq!(tx.get(b"session").unwrap(), None, "{level}");
        assert_eq!(tx.scan_prefix(b"sess").unwrap().count(), 0, "{level}");
    }
    assert_eq!(db.ttl(b"session").unwrap(), Ttl::Missing);
    // The sweeper deletes it with a committed delete (it disappears from the store).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let stored = [&[isolde::KV_PREFIX][..], b"session"].concat();
    while db
        .manager()
        .begin(IsolationLevel::ReadCommitted)
        .get(&stored)
        .unwrap()
        .is_some()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never removed the key"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn expire_persist_and_put_follow_redis() {
    let db = Db::open_in_memory();
    assert!(!db.expire(b"missing", Duration::from_secs(10)).unwrap());
    db.put(b"k", b"v").unwrap();
    assert_eq!(db.ttl(b"k").unwrap(), Ttl::Persistent);
    assert!(db.expire(b"k", Duration::from_secs(100)).unwrap());
    assert!(matches!(db.ttl(b"k").unwrap(), Ttl::ExpiresIn(d) if d > Duration::from_secs(90)));
    assert!(db.persist(b"k").unwrap());
    assert_eq!(db.ttl(b"k").unwrap(), Ttl::Persistent);
    db.put_with_ttl(b"k", b"v2", Duration::from_secs(100))
        .unwrap();
    db.put(b"k", b"v3").unwrap();
    assert_eq!(
        db.ttl(b"k").unwrap(),
        Ttl::Persistent,
        "a plain put removes the expiry"
    );
}

#[test]
fn expiry_times_survive_restart_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), durable()).unwrap();
        db.put_with_ttl(b"short", b"x", Duration::from_millis(50))
            .unwrap();
        db.put_with_ttl(b"long", b"y", Duration::from_secs(3600))
            .unwrap();
        db.checkpoint().unwrap();
    }
    thread::sleep(Duration::from_millis(80));
    let db = Db::open(dir.path(), durable()).unwrap();
    assert_eq!(db.get(b"short").unwrap(), None);
    assert_eq!(db.get(b"long").unwrap(), Some(b"y".to_vec()));
    assert!(matches!(db.ttl(b"long").unwrap(), Ttl::ExpiresIn(d) if d > Duration::from_secs(3500)));
}

#[test]
fn bad_queue_names_are_refused() {
    let db = Db::open_in_memory();
    let mut tx = db.begin(RC);
    assert!(tx
        .enqueue(b"", b"x")
        .unwrap_err()
        .to_string()
        .contains("queue names"));
    let long = vec![b'q'; isolde::MAX_QUEUE_NAME + 1];
    assert!(tx.dequeue(&long).is_err());
}

#[test]
fn messages_of_concurrent_committers_arrive_in_commit_order() {
    let db = Db::open_in_memory();
    let sub = db.psubscribe(["events.*"]);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            thread::spawn(move || {
                let mut stamps = Vec::new();
                for i in 0..50 {
                    let mut tx = db.begin(IsolationLevel::ReadCommitted);
                    tx.put(format!("k{t}").as_bytes(), b"v").unwrap();
                    let payload = format!("{t}-{i}");
                    tx.publish(format!("events.{t}").as_bytes(), payload.as_bytes())
                        .unwrap();
                    let ts = tx.commit().unwrap().ts.unwrap();
                    stamps.push((payload, ts));
                }
                stamps
            })
        })
        .collect();
    let mut commit_ts = std::collections::HashMap::new();
    for t in threads {
        commit_ts.extend(t.join().unwrap());
    }
    let mut received = Vec::new();
    while let Some(message) = sub.try_recv().unwrap() {
        let payload = String::from_utf8(message.payload.to_vec()).unwrap();
        received.push(commit_ts[&payload]);
    }
    assert_eq!(
        received.len(),
        200,
        "every committed message is delivered once"
    );
    assert!(
        received.windows(2).all(|w| w[0] < w[1]),
        "not in commit order: {received:?}"
    );
}
