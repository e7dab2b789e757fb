//! A watch reports changes that happened: like Redis's keyspace notifications, which
//! send nothing for a DEL of a missing key, it hears nothing of a delete of a key that
//! did not exist, nor of a key put and deleted within one transaction, which no reader
//! ever saw. A delete of a key that existed is reported as before.

use std::time::Duration;

use isolde::{Change, Db, IsolationLevel, Watch};

/// Changes up to and including the one of `last`, as (key, value) strings.
fn changes_until(watch: &Watch, last: &str) -> Vec<(String, Option<String>)> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut seen = Vec::new();
    loop {
        let change: Change = watch
            .recv_timeout(Duration::from_secs(5))
            .unwrap()
            .unwrap_or_else(|| panic!("no change of {last} after {seen:?}"));
        let key = text(&change.key);
        seen.push((key.clone(), change.value.as_deref().map(text)));
        if key == last {
            return seen;
        }
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn a_watch_hears_nothing_of_deletes_of_keys_that_never_existed() {
    let db = Db::open_in_memory();
    let watch = db.watch(b"u/");
    let mut tx = db.begin(IsolationLevel::ReadCommitted);
    tx.put(b"u/1", b"a").unwrap();
    tx.put(b"u/1", b"b").unwrap();
    tx.delete(b"u/2").unwrap();
    tx.put(b"u/3", b"c").unwrap();
    tx.delete(b"u/3").unwrap();
    tx.commit().unwrap();
    db.delete(b"u/4").unwrap();
    db.put(b"u/end", b"marker").unwrap();
    assert_eq!(
        changes_until(&watch, "u/end"),
        vec![
            ("u/1".to_string(), some("b")),
            ("u/end".to_string(), some("marker"))
        ]
    );
}

#[test]
fn a_watch_hears_a_delete_of_a_key_that_existed_once_only() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"u/k", b"v", Duration::from_secs(600))
        .unwrap();
    let watch = db.watch(b"u/");
    db.delete(b"u/k").unwrap();
    db.delete(b"u/k").unwrap();
    db.put(b"u/end", b"marker").unwrap();
    assert_eq!(
        changes_until(&watch, "u/end"),
        vec![
            ("u/k".to_string(), None),
            ("u/end".to_string(), some("marker"))
        ]
    );
}

#[test]
fn a_queue_consumer_still_takes_each_message_once_around_no_op_deletes() {
    let db = Db::open_in_memory();
    let mut producer = db.begin(IsolationLevel::ReadCommitted);
    for i in 0..3 {
        producer
            .enqueue(b"jobs", format!("m{i}").as_bytes())
            .unwrap();
        producer.delete(format!("absent{i}").as_bytes()).unwrap();
    }
    producer.commit().unwrap();
    let mut consumer = db.begin(IsolationLevel::ReadCommitted);
    let taken: Vec<_> = (0..4).map(|_| consumer.dequeue(b"jobs").unwrap()).collect();
    consumer.commit().unwrap();
    assert_eq!(
        taken,
        vec![
            Some(b"m0".to_vec()),
            Some(b"m1".to_vec()),
            Some(b"m2".to_vec()),
            None
        ]
    );
    assert_eq!(db.queue_len(b"jobs").unwrap(), 0);
}
