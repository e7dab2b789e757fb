//! Writers, readers and garbage collection on the same few keys at once. Deleted keys are
//! unlinked by collection and re-created by the next writer, over and over; the point
//! index and the ordered map must never disagree about which chain is a key's one, and a
//! point read must always find a key's newest commit, whichever chain holds it.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use isolde_engine::{Conflict, LockMode, ReadAt, Value, VersionStore};

const KEYS: usize = 4;
const WRITERS: u64 = 3;
const OPS_PER_WRITER: u64 = 20_000;

fn key(k: usize) -> Vec<u8> {
    format!("key-{k}").into_bytes()
}

fn newest(ts: u64) -> ReadAt {
    ReadAt::Snapshot { ts, txn: 0 }
}

#[test]
fn each_lock_holder_sees_the_previous_commit_while_deleted_keys_are_collected() {
    let store = VersionStore::new();
    let clock = AtomicU64::new(0);
    // Per key: the commit timestamp of its newest version, and whether it is a value.
    let last: Vec<(AtomicU64, AtomicBool)> = (0..KEYS)
        .map(|_| (AtomicU64::new(0), AtomicBool::new(false)))
        .collect();
    // Per key, odd while its lock holder is committing and `last` may be behind.
    let committing: Vec<AtomicU64> = (0..KEYS).map(|_| AtomicU64::new(0)).collect();
    let checked = AtomicU64::new(0);
    let running = AtomicBool::new(true);
    let collected = AtomicU64::new(0);

    std::thread::scope(|s| {
        s.spawn(|| {
            while running.load(Ordering::Relaxed) {
                let horizon = clock.load(Ordering::SeqCst);
                collected.fetch_add(store.gc(horizon).keys_removed, Ordering::Relaxed);
            }
        });
        s.spawn(|| {
            // Point reads of the newest state, checked whenever no commit of the key ran
            // meanwhile: a deleted key's collected chain must never hide the fresh chain
            // that a later write made for it.
            while running.load(Ordering::Relaxed) {
                for (k, (_, is_value)) in last.iter().enumerate() {
                    let before = committing[k].load(Ordering::SeqCst);
                    let expected = is_value.load(Ordering::SeqCst);
                    let read = store.get(&key(k), newest(u64::MAX));
                    if before.is_multiple_of(2) && committing[k].load(Ordering::SeqCst) == before {
                        assert_eq!(read.is_some(), expected, "point read of key {k}");
                        checked.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, clock, last, committing) = (&store, &clock, &last, &committing);
                s.spawn(move || {
                    for op in 0..OPS_PER_WRITER {
                        let txn = 1 + w + op * WRITERS;
                        let k = (op as usize + w as usize) % KEYS;
                        let value: Option<Value> =
                            (op % 2 == 0).then(|| Arc::from(txn.to_le_bytes().as_slice()));
                        // Half the writes lock the key first, half write at once (so that
                        // a write may be the first access to a key's fresh chain).
                        let write_at_once = (op / 2) % 2 == 1;
                        let deadline = Instant::now() + Duration::from_secs(10);
                        let (locked, held) = loop {
                            let granted = if write_at_once {
                                store
                                    .write(&key(k), txn, value.clone(), None)
                                    .map(|g| (g.found.0, g.new_hold))
                            } else {
                                store
                                    .lock(&key(k), txn, LockMode::Exclusive, None, 0)
                                    .map(|g| (g.found, g.new_hold))
                            };
                            match granted {
                                Ok((found, new_hold)) => {
                                    break (found, new_hold.expect("a fresh txn's hold"));
                                }
                                Err(Conflict::Blocked { holders }) => {
                                    // Holders keep a lock for a few instructions; one that
                                    // stays is a lock `finish` failed to release.
                                    assert!(
                                        Instant::now() < deadline,
                                        "key {k}: lock held by {holders:?} never released"
                                    );
                                    std::thread::yield_now()
                                }
                                Err(other) => panic!("unexpected conflict {other:?}"),
                            }
                        };
                        // Holding the lock, this writer is the only one on the key: what
                        // the lock found is exactly the previous holder's commit.
                        let (last_ts, last_is_value) = &last[k];
                        let expected_ts = last_ts.load(Ordering::SeqCst);
                        let expected_value = last_is_value.load(Ordering::SeqCst);
                        if expected_value {
                            assert_eq!(locked.newest_ts, expected_ts, "key {k}, txn {txn}");
                        }
                        assert_eq!(locked.newest.is_some(), expected_value, "key {k}");
                        if !write_at_once {
                            let again = store
                                .write(&key(k), txn, value.clone(), None)
                                .expect("the lock holder may write");
                            assert!(again.new_hold.is_none(), "the key was held already");
                        }
                        // Timestamps are handed out while holding the lock, so each key's
                        // versions arrive in timestamp order.
                        let ts = clock.fetch_add(1, Ordering::SeqCst) + 1;
                        committing[k].fetch_add(1, Ordering::SeqCst);
                        last_ts.store(ts, Ordering::SeqCst);
                        last_is_value.store(value.is_some(), Ordering::SeqCst);
                        store.commit_pending(txn, [(key(k).as_slice(), &held)], ts, ts);
                        committing[k].fetch_add(1, Ordering::SeqCst);
                        store.finish(txn, [(key(k).as_slice(), &held)], ts);
                        let read = store.get(&key(k), newest(u64::MAX));
                        if read.is_some() {
                            // Another writer may have written since; a value that is there
                            // must be one some writer committed.
                            assert_eq!(read.as_ref().map(|v| v.len()), Some(8));
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        running.store(false, Ordering::Relaxed);
    });

    assert!(
        collected.load(Ordering::Relaxed) > 0,
        "the test must make collection unlink chains while writers run"
    );
    assert!(
        checked.load(Ordering::Relaxed) > 0,
        "the test must check point reads while writers run"
    );
    for (k, (_, is_value)) in last.iter().enumerate() {
        let expected = is_value.load(Ordering::SeqCst);
        let point = store.get(&key(k), newest(u64::MAX));
        let range = (Bound::Included(key(k)), Bound::Included(key(k)));
        let scanned: Vec<_> = store.scan(range, newest(u64::MAX)).collect();
        assert_eq!(point.is_some(), expected, "point read of key {k}");
        assert_eq!(scanned.len(), usize::from(expected), "scan of key {k}");
        if let (Some(point), Some((_, scanned))) = (point, scanned.first()) {
            assert_eq!(&point, scanned, "point read and scan agree on key {k}");
        }
    }
}
