//! Regression tests for the review of the embedded key-value API
//! (`/work/notes/review-api/FINDINGS.md`): expiry changes that must never undo a
//! concurrent commit, timeouts that must not overflow, watches that must end with their
//! database, a sweeper that one open transaction must not stall, exact size limits, and
//! option values that must mean the same in code and in `isolde.toml`.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use isolde::{
    Change, Config, Db, Error, IsolationLevel, LockMode, Options, Ttl, Watch, WatchError,
    MAX_KEY_SIZE, MAX_VALUE_SIZE,
};

const RC: IsolationLevel = IsolationLevel::ReadCommitted;
const HOUR: Duration = Duration::from_secs(3600);

/// Runs `f` on another thread and gives it `delay` to reach its lock wait.
fn in_background<T: Send + 'static>(
    delay: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    let handle = thread::spawn(f);
    thread::sleep(delay);
    handle
}

fn ttl_is_about(ttl: Ttl, expected: Duration) -> bool {
    matches!(ttl, Ttl::ExpiresIn(left) if left <= expected && left + Duration::from_secs(60) > expected)
}

#[test]
fn expire_waiting_for_a_writer_keeps_the_value_it_committed() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"k", b"old", Duration::from_secs(600))
        .unwrap();
    let mut writer = db.begin(RC);
    writer.put(b"k", b"new").unwrap();
    let expirer = {
        let db = db.clone();
        in_background(Duration::from_millis(100), move || db.expire(b"k", HOUR))
    };
    writer.commit().unwrap();
    assert!(expirer.join().unwrap().unwrap(), "the key exists");
    assert_eq!(db.get(b"k").unwrap(), Some(b"new".to_vec()));
    let ttl = db.ttl(b"k").unwrap();
    assert!(ttl_is_about(ttl, HOUR), "{ttl:?}");
}

#[test]
fn persist_waiting_for_a_writer_keeps_the_value_it_committed() {
    let db = Db::open_in_memory();
    db.put_with_ttl(b"k", b"old", Duration::from_secs(600))
        .unwrap();
    let mut writer = db.begin(RC);
    writer
        .put_with_ttl(b"k", b"new", Duration::from_secs(900))
        .unwrap();
    let persister = {
        let db = db.clone();
        in_background(Duration::from_millis(100), move || db.persist(b"k"))
    };
    writer.commit().unwrap();
    assert!(persister.join().unwrap().unwrap());
    assert_eq!(db.get(b"k").unwrap(), Some(b"new".to_vec()));
    assert_eq!(db.ttl(b"k").unwrap(), Ttl::Persistent);
}

#[test]
fn expire_and_persist_never_bring_back_a_key_deleted_while_they_waited() {
    let db = Db::open_in_memory();
    for op in ["expire", "persist"] {
        db.put_with_ttl(b"k", b"old", Duration::from_secs(600))
            .unwrap();
        let mut deleter = db.begin(RC);
        deleter.delete(b"k").unwrap();
        let changer = {
            let db = db.clone();
            in_background(Duration::from_millis(100), move || match op {
                "expire" => db.expire(b"k", HOUR),
                _ => db.persist(b"k"),
            })
        };
        deleter.commit().unwrap();
        assert!(
            !changer.join().unwrap().unwrap(),
            "{op}: the key is gone by the time {op} holds it"
        );
        assert_eq!(db.get(b"k").unwrap(), None, "{op} must not undo the delete");
        assert_eq!(db.ttl(b"k").unwrap(), Ttl::Missing);
    }
}

#[test]
fn expire_keeps_the_transactions_own_write_at_every_level() {
    for level in [
        IsolationLevel::ReadUncommitted,
        RC,
        IsolationLevel::RepeatableRead,
        IsolationLevel::Serializable,
    ] {
        let db = Db::open_in_memory();
        let snapshot_level = matches!(
            level,
            IsolationLevel::RepeatableRead | IsolationLevel::Serializable
        );
        if snapshot_level {
            db.put(b"k", b"committed").unwrap();
        }
        let mut tx = db.begin(level);
        if !snapshot_level {
            // Committed after `tx` began: the version `tx` overwrites is newer than its
            // snapshot, which must not make expire pick it over `tx`'s own write.
            db.put(b"k", b"committed").unwrap();
        }
        tx.put(b"k", b"mine").unwrap();
        assert!(tx.expire(b"k", HOUR).unwrap(), "{level:?}");
        assert_eq!(tx.get(b"k").unwrap(), Some(b"mine".to_vec()), "{level:?}");
        tx.commit().unwrap();
        assert_eq!(db.get(b"k").unwrap(), Some(b"mine".to_vec()), "{level:?}");
        assert!(ttl_is_about(db.ttl(b"k").unwrap(), HOUR), "{level:?}");
    }
}

#[test]
fn concurrent_puts_and_expires_lose_no_committed_value() {
    let db = Db::open_in_memory();
    db.put(b"k", b"0").unwrap();
    let writer = {
        let db = db.clone();
        thread::spawn(move || {
            for i in 1..=300u32 {
                db.put(b"k", i.to_string().as_bytes()).unwrap();
            }
        })
    };
    let expirer = {
        let db = db.clone();
        thread::spawn(move || {
            for i in 0..300 {
                if i % 2 == 0 {
                    db.expire(b"k", HOUR).unwrap();
                } else {
                    db.persist(b"k").unwrap();
                }
            }
        })
    };
    writer.join().unwrap();
    expirer.join().unwrap();
    assert_eq!(
        db.get(b"k").unwrap(),
        Some(b"300".to_vec()),
        "the last committed put must survive every expire and persist"
    );
}

#[test]
fn dequeue_timeout_and_watch_recv_timeout_accept_duration_max() {
    let db = Db::open_in_memory();
    let mut producer = db.begin(RC);
    producer.enqueue(b"jobs", b"one").unwrap();
    producer.commit().unwrap();
    let mut consumer = db.begin(RC);
    assert_eq!(
        consumer.dequeue_timeout(b"jobs", Duration::MAX).unwrap(),
        Some(b"one".to_vec())
    );
    consumer.commit().unwrap();

    let watch = db.watch(b"w/");
    db.put(b"w/1", b"x").unwrap();
    let change = watch.recv_timeout(Duration::MAX).unwrap().unwrap();
    assert_eq!(change.key, b"w/1");
}

#[test]
fn watch_ends_with_closed_once_its_database_is_dropped() {
    let db = Db::open_in_memory();
    let watch = db.watch(b"w/");
    db.put(b"w/1", b"x").unwrap();
    drop(db);
    assert_eq!(
        watch.recv().unwrap().key,
        b"w/1",
        "buffered changes come first"
    );
    assert_eq!(
        watch.recv_timeout(Duration::from_secs(2)),
        Err(WatchError::Closed)
    );
    assert_eq!(watch.try_recv(), Err(WatchError::Closed));
}

#[test]
fn a_consumer_blocked_in_watch_recv_wakes_when_the_database_is_dropped() {
    let db = Db::open_in_memory();
    let watch = db.watch(b"w/");
    let (done, finished) = mpsc::channel();
    let consumer = thread::spawn(move || {
        let mut seen = 0;
        let end = loop {
            match watch.recv() {
                Ok(_) => seen += 1,
                Err(e) => break e,
            }
        };
        done.send((seen, end)).unwrap();
    });
    db.put(b"w/1", b"x").unwrap();
    thread::sleep(Duration::from_millis(50));
    drop(db);
    let (seen, end) = finished
        .recv_timeout(Duration::from_secs(5))
        .expect("watch.recv() must return once the database is gone");
    assert_eq!((seen, end), (1, WatchError::Closed));
    consumer.join().unwrap();
}

/// `?` on a watch or subscription error works in a function returning `isolde::Result`.
fn next_change(watch: &Watch) -> isolde::Result<Change> {
    Ok(watch.recv()?)
}

fn next_message(sub: &isolde::pubsub::Subscription) -> isolde::Result<Vec<u8>> {
    Ok(sub.recv()?.payload.to_vec())
}

#[test]
fn watch_and_subscription_errors_convert_into_the_api_error() {
    let db = Db::open_in_memory();
    let watch = db.watch(b"w/");
    let sub = db.subscribe(["c"]);
    db.put(b"w/1", b"x").unwrap();
    db.publish(b"c", b"hello");
    assert_eq!(next_change(&watch).unwrap().key, b"w/1");
    assert_eq!(next_message(&sub).unwrap(), b"hello");
    drop(db);
    let err = next_change(&watch).unwrap_err();
    assert!(matches!(err, Error::Watch(WatchError::Closed)), "{err:?}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("closed"), "{err}");
    let err = next_message(&sub).unwrap_err();
    assert!(
        matches!(err, Error::Subscription(isolde::pubsub::RecvError::Closed)),
        "{err:?}"
    );
}

#[test]
fn sweeper_removes_other_expired_keys_while_one_is_locked_by_an_open_transaction() {
    let db = Db::open_in_memory();
    let ttl = Duration::from_millis(100);
    db.put_with_ttl(b"held", b"v", ttl).unwrap();
    let mut holder = db.begin(RC);
    assert_eq!(
        holder.lock(b"held", LockMode::Shared).unwrap(),
        Some(b"v".to_vec())
    );
    let watch = db.watch(b"k");
    for i in 0..20 {
        db.put_with_ttl(format!("k{i:02}").as_bytes(), b"v", ttl)
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut deleted = 0;
    while deleted < 20 {
        match watch.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Some(Change { value: None, .. })) => deleted += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    assert_eq!(
        deleted, 20,
        "the sweeper must skip the locked key and remove the others"
    );
    holder.commit().unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while db.manager().key_count() > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    let tx = db.manager().begin_read_only(RC);
    let left: Vec<_> = tx.scan_prefix(b"").unwrap().map(|(k, _)| k).collect();
    assert!(
        left.is_empty(),
        "once unlocked, the skipped key and its index entry are removed on a later pass: {left:?}"
    );
}

#[test]
fn keys_and_values_of_exactly_the_documented_maximum_are_accepted_with_or_without_ttl() {
    let db = Db::open_in_memory();
    let key = vec![b'k'; MAX_KEY_SIZE];
    db.put(&key, b"v").unwrap();
    db.put_with_ttl(&key, b"v", HOUR).unwrap();
    assert_eq!(db.get(&key).unwrap(), Some(b"v".to_vec()));
    assert!(db.expire(&key, HOUR).unwrap());
    let value = vec![0u8; MAX_VALUE_SIZE];
    db.put_with_ttl(b"big", &value, HOUR).unwrap();
    assert_eq!(
        db.get(b"big").unwrap().map(|v| v.len()),
        Some(MAX_VALUE_SIZE)
    );
}

#[test]
fn keys_and_values_over_the_maximum_are_refused_naming_the_callers_sizes() {
    let db = Db::open_in_memory();
    let key = vec![b'k'; MAX_KEY_SIZE + 1];
    let expected = format!(
        "key of {} bytes is larger than the maximum of {MAX_KEY_SIZE} bytes",
        MAX_KEY_SIZE + 1
    );
    let refusals = [
        db.put(&key, b"v").unwrap_err(),
        db.put_with_ttl(&key, b"v", HOUR).unwrap_err(),
        db.get(&key).unwrap_err(),
        db.delete(&key).unwrap_err(),
        db.ttl(&key).unwrap_err(),
    ];
    for err in refusals {
        assert_eq!(err.sqlstate(), "22023", "{err}");
        assert_eq!(err.to_string(), expected);
    }
    let value = vec![0u8; MAX_VALUE_SIZE + 1];
    let expected = format!(
        "value of {} bytes is larger than the maximum of {MAX_VALUE_SIZE} bytes",
        MAX_VALUE_SIZE + 1
    );
    for err in [
        db.put(b"k", &value).unwrap_err(),
        db.put_with_ttl(b"k", &value, HOUR).unwrap_err(),
    ] {
        assert_eq!(err.sqlstate(), "22023", "{err}");
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn a_zero_lock_timeout_waits_forever_in_options_as_in_the_config_file() {
    let from_file = Config::parse("lock-timeout = 0").unwrap().options;
    let in_code = Options {
        lock_timeout: Some(Duration::ZERO),
        ..Options::default()
    };
    for options in [from_file, in_code] {
        let db = Db::open_in_memory_with(options);
        let mut holder = db.begin(RC);
        holder.put(b"k", b"holder").unwrap();
        let waiter = {
            let db = db.clone();
            in_background(Duration::from_millis(100), move || db.put(b"k", b"waiter"))
        };
        holder.commit().unwrap();
        waiter
            .join()
            .unwrap()
            .expect("a zero lock timeout waits for the holder");
        assert_eq!(db.get(b"k").unwrap(), Some(b"waiter".to_vec()));
    }
}

#[test]
fn put_with_a_zero_ttl_is_refused_as_an_invalid_expire_time() {
    let db = Db::open_in_memory();
    let watch = db.watch(b"k");
    for ttl in [Duration::ZERO, Duration::from_micros(999)] {
        let err = db.put_with_ttl(b"k", b"v", ttl).unwrap_err();
        assert_eq!(err.sqlstate(), "22023", "{err}");
        assert!(err.to_string().contains("invalid expire time"), "{err}");
    }
    assert_eq!(watch.try_recv(), Ok(None), "nothing was written");
    db.put_with_ttl(b"k", b"v", Duration::from_millis(1))
        .unwrap();
}

#[test]
fn conflict_errors_name_the_key_as_the_caller_wrote_it() {
    let db = Db::open_in_memory_with(Options {
        lock_timeout: Some(Duration::from_millis(50)),
        ..Options::default()
    });
    db.put(b"a", b"0").unwrap();
    let mut holder = db.begin(RC);
    holder.put(b"a", b"1").unwrap();
    let timeout = db.put(b"a", b"2").unwrap_err().to_string();
    assert!(
        timeout.contains("key 'a'") && !timeout.contains("x01"),
        "{timeout}"
    );
    let mut rr = db.begin(IsolationLevel::RepeatableRead);
    assert_eq!(rr.get(b"a").unwrap(), Some(b"0".to_vec()));
    holder.commit().unwrap();
    let conflict = rr.put(b"a", b"3").unwrap_err().to_string();
    assert!(
        conflict.contains("key 'a'") && !conflict.contains("x01"),
        "{conflict}"
    );
}

/// A transaction that failed gives its snapshot up at once; a later call on it, which
/// fails, must leave alone the snapshot of a transaction begun since.
#[test]
fn a_call_on_a_failed_transaction_leaves_a_later_transactions_snapshot_alone() {
    let db = Db::open_in_memory_with(Options {
        lock_timeout: Some(Duration::from_millis(20)),
        ..Options::default()
    });
    db.put(b"k", b"0").unwrap();
    let mut holder = db.begin(RC);
    holder.put(b"k", b"1").unwrap();
    let mut failed = db.begin(RC);
    assert!(failed.put(b"k", b"2").is_err(), "a lock timeout");
    let rr = db.begin(IsolationLevel::RepeatableRead);
    assert_eq!(rr.get(b"k").unwrap().as_deref(), Some(&b"0"[..]));
    holder.commit().unwrap();
    assert!(
        failed.delete(b"x").is_err(),
        "the failed transaction refuses"
    );
    assert_eq!(
        rr.get(b"k").unwrap().as_deref(),
        Some(&b"0"[..]),
        "REPEATABLE READ saw a commit after its snapshot"
    );
}
