//! Review: races between the background expiry sweeper, blocking queue consumers and user
//! transactions, through the embedded API.

use std::thread;
use std::time::{Duration, Instant};

use isolde::{Db, IsolationLevel};

const RC: IsolationLevel = IsolationLevel::ReadCommitted;

/// The sweeper reads an expired key at READ COMMITTED, then deletes it. A user transaction
/// that rewrote the key in between (here: holding its row lock while the sweeper waits)
/// commits a fresh, non-expiring value; the sweeper's delete then goes through on top of
/// it, since READ COMMITTED writes do not check what changed since the read, and the
/// sweeper never re-checks the expiry of the version it finally locked. The user's
/// acknowledged write is lost.
#[test]
fn sweeper_does_not_delete_a_value_rewritten_after_expiry() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"k", b"old", Duration::from_millis(150))
        .unwrap();
    let mut user = db.begin(RC);
    user.put(b"k", b"fresh").unwrap(); // holds the row before the old value expires
                                       // The old value expires; sweeper passes (every 100 ms) find it in the expiry index,
                                       // read it as expired and wait for the user's row lock.
    thread::sleep(Duration::from_millis(600));
    user.commit().unwrap();
    thread::sleep(Duration::from_millis(400));
    assert_eq!(
        db.get(b"k").unwrap(),
        Some(b"fresh".to_vec()),
        "a committed write without expiry was deleted by the sweeper"
    );
}

/// A consumer blocked in `dequeue_timeout` is only woken by commits that *add* messages.
/// A message released by another consumer's rollback (it was skipped as locked) does not
/// wake it, and when the wait times out `dequeue_timeout` returns None without looking
/// again, although the message has been available for almost the whole timeout.
#[test]
fn blocked_consumer_gets_a_message_put_back_by_a_rollback() {
    let db = Db::open_in_memory();
    let mut producer = db.begin(RC);
    producer.enqueue(b"q", b"m").unwrap();
    producer.commit().unwrap();

    let mut first = db.begin(RC);
    assert_eq!(first.dequeue(b"q").unwrap(), Some(b"m".to_vec()));

    let consumer_db = db.clone();
    let second = thread::spawn(move || {
        let mut tx = consumer_db.begin(RC);
        let started = Instant::now();
        let got = tx.dequeue_timeout(b"q", Duration::from_millis(1500));
        (got.map_err(|e| e.to_string()), started.elapsed())
    });
    thread::sleep(Duration::from_millis(100));
    first.rollback(); // the message is available again from here on
    let (got, waited) = second.join().unwrap();
    assert_eq!(got.unwrap(), Some(b"m".to_vec()), "waited {waited:?}");
    assert!(
        waited < Duration::from_millis(1000),
        "woken only by the timeout: {waited:?}"
    );
}
