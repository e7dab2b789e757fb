//! Row-lock waits: deadlocks between two and three transactions are found at once (no
//! lock timeout is set, so only detection can end them), with exactly one victim whose
//! error says what it waited for; the lock timeout; and `FOR SHARE` / `FOR UPDATE` locks.

mod common;

use std::time::{Duration, Instant};

use common::*;
use isolde_txn::{
    display_key, Error, IsolationLevel, LockMode, Options, Result, Transaction, TxnManager,
};

/// A deadlock must be reported well before this; with no lock timeout set, nothing but
/// the detector can end the wait.
const AT_ONCE: Duration = Duration::from_secs(1);

type Step = Background<(Transaction, Result<()>)>;

/// Starts `txn`'s write of `key` on another thread.
fn write_in_background(name: &str, mut txn: Transaction, key: &str) -> Step {
    let what = format!("{name} writes {key}");
    let key = key.to_string();
    in_background(&what, move || {
        let result = txn.put(key.as_bytes(), b"new");
        (txn, result)
    })
}

/// Starts `txn`'s lock of `key` on another thread.
fn lock_in_background(name: &str, mut txn: Transaction, key: &str, mode: LockMode) -> Step {
    let what = format!("{name} locks {key} {mode:?}");
    let key = key.to_string();
    in_background(&what, move || {
        let result = txn.lock(key.as_bytes(), mode).map(|_| ());
        (txn, result)
    })
}

/// A transaction whose blocked step failed.
struct Victim {
    index: usize,
    txn: Transaction,
    error: Error,
    after: Duration,
}

/// Waits for every step. A step that succeeds is committed at once, which may release the
/// next one; a step that fails is kept as a victim with the time it took since `started`.
/// Fails the test if any step is still blocked after [`FINISH_LIMIT`].
fn settle(steps: Vec<Step>, started: Instant) -> (Vec<usize>, Vec<Victim>) {
    let mut pending: Vec<(usize, Step)> = steps.into_iter().enumerate().collect();
    let (mut survivors, mut victims) = (Vec::new(), Vec::new());
    while !pending.is_empty() {
        assert!(
            started.elapsed() < FINISH_LIMIT,
            "steps {:?} still blocked after {FINISH_LIMIT:?}",
            pending.iter().map(|(i, _)| i).collect::<Vec<_>>()
        );
        let mut still = Vec::new();
        for (index, step) in pending {
            match step.finished_within(Duration::from_millis(5)) {
                None => still.push((index, step)),
                Some((txn, Ok(()))) => {
                    txn.commit().expect("a survivor commits");
                    survivors.push(index);
                }
                Some((txn, Err(error))) => victims.push(Victim {
                    index,
                    txn,
                    error,
                    after: started.elapsed(),
                }),
            }
        }
        pending = still;
    }
    (survivors, victims)
}

/// Checks a deadlock error: retryable, 40P01, naming the victim, the transaction it
/// waited for, and the key; and the victim is rolled back (later calls say so).
fn assert_deadlock_victim(victim: Victim, ids: &[u64], wanted: &[&str], context: &str) {
    let Victim {
        index,
        mut txn,
        error,
        after,
    } = victim;
    let Error::Deadlock {
        txn: id,
        waiting_for,
        ref key,
        ref cycle,
    } = error
    else {
        panic!("{context}: expected a deadlock error, got {error}");
    };
    assert!(
        after < AT_ONCE,
        "{context}: the deadlock took {after:?} to detect"
    );
    assert!(error.is_retryable(), "{context}: a deadlock is retryable");
    assert_eq!(error.sqlstate(), "40P01", "{context}");
    assert_eq!(id, ids[index], "{context}: the error names the victim");
    assert!(
        ids.contains(&waiting_for) && waiting_for != id,
        "{context}: waiting_for T{waiting_for} is another transaction of the cycle {ids:?}"
    );
    assert_eq!(
        key,
        wanted[index].as_bytes(),
        "{context}: the key the victim wanted"
    );
    assert_eq!(
        cycle.first(),
        Some(&id),
        "{context}: the cycle starts with the victim"
    );
    assert!(cycle.contains(&waiting_for), "{context}: cycle {cycle:?}");
    let message = error.to_string();
    for part in [
        format!("T{id}"),
        format!("T{waiting_for}"),
        display_key(wanted[index].as_bytes()),
    ] {
        assert!(
            message.contains(&part),
            "{context}: {message:?} should name {part}"
        );
    }
    match txn.put(b"anything", b"v") {
        Err(Error::Aborted { txn: aborted, .. }) => assert_eq!(aborted, id),
        other => panic!("{context}: the victim must be rolled back, got {other:?}"),
    }
}

#[test]
fn deadlock_between_two_transactions_is_detected_at_once_with_one_victim() {
    for level in IsolationLevel::ALL {
        let context = format!("two-way deadlock at {level}");
        let mgr = manager();
        seed(&mgr, &[("a", "0"), ("b", "0")]);
        let (mut t1, mut t2) = (mgr.begin(level), mgr.begin(level));
        let ids = [t1.id(), t2.id()];
        t1.put(b"a", b"1").unwrap();
        t2.put(b"b", b"2").unwrap();
        let first = write_in_background("T1", t1, "b");
        first.assert_blocked();
        let started = Instant::now();
        let second = write_in_background("T2", t2, "a");
        let (survivors, mut victims) = settle(vec![first, second], started);
        assert_eq!(victims.len(), 1, "{context}: exactly one victim");
        assert_eq!(
            survivors.len(),
            1,
            "{context}: the other transaction commits"
        );
        let survivor = survivors[0];
        assert_deadlock_victim(victims.remove(0), &ids, &["b", "a"], &context);
        // Only the survivor's writes: its own key, then the one it waited for.
        let (a, b) = (committed(&mgr, "a"), committed(&mgr, "b"));
        let expected = if survivor == 0 {
            (Some("1".to_string()), Some("new".to_string()))
        } else {
            (Some("new".to_string()), Some("2".to_string()))
        };
        assert_eq!((a, b), expected, "{context}: only the survivor's writes");
    }
}

/// Takes `key` in `txn` by one of the requests that never wait.
fn take_without_waiting(txn: &mut Transaction, key: &str, how: &str) {
    let taken = match how {
        "try_lock" => txn
            .try_lock(key.as_bytes(), LockMode::Exclusive)
            .map(|l| l.is_some()),
        "delete_nowait" => txn.delete_nowait(key.as_bytes()).map(|d| d.is_some()),
        _ => txn.take_first(key.as_bytes()).map(|t| t.is_some()),
    };
    assert!(taken.unwrap(), "{how} takes the free key {key}");
}

#[test]
fn keys_taken_without_waiting_are_waited_for_and_close_deadlocks_like_any_others() {
    for how in ["try_lock", "delete_nowait", "take_first"] {
        let context = format!("keys taken by {how}");
        let mgr = manager();
        seed(&mgr, &[("a", "0"), ("b", "0")]);
        let level = IsolationLevel::ReadCommitted;
        let (mut t1, mut t2) = (mgr.begin(level), mgr.begin(level));
        let ids = [t1.id(), t2.id()];
        // Neither has asked for a lock that waits before.
        take_without_waiting(&mut t1, "a", how);
        take_without_waiting(&mut t2, "b", how);
        let first = write_in_background("T1", t1, "b");
        first.assert_blocked();
        let waits = mgr.lock_waits();
        assert_eq!(waits.len(), 1, "{context}: T1 waits, and is seen waiting");
        assert_eq!(
            waits[0].holders.len(),
            1,
            "{context}: for T2, whose handle exists"
        );
        let started = Instant::now();
        let second = write_in_background("T2", t2, "a");
        let (survivors, mut victims) = settle(vec![first, second], started);
        assert_eq!((survivors.len(), victims.len()), (1, 1), "{context}");
        assert_deadlock_victim(victims.remove(0), &ids, &["b", "a"], &context);
    }
}

#[test]
fn deadlock_among_three_transactions_is_detected_at_once_with_one_victim() {
    let mgr = manager();
    seed(&mgr, &[("a", "0"), ("b", "0"), ("c", "0")]);
    let level = IsolationLevel::ReadCommitted;
    let mut txns: Vec<Transaction> = (0..3).map(|_| mgr.begin(level)).collect();
    let ids: Vec<u64> = txns.iter().map(Transaction::id).collect();
    for (txn, key) in txns.iter_mut().zip(["a", "b", "c"]) {
        txn.put(key.as_bytes(), b"mine").unwrap();
    }
    let mut txns = txns.into_iter();
    let mut next = || txns.next().expect("three transactions");
    let t1_wants_b = write_in_background("T1", next(), "b");
    t1_wants_b.assert_blocked();
    let t2_wants_c = write_in_background("T2", next(), "c");
    t2_wants_c.assert_blocked();
    let started = Instant::now();
    let t3_wants_a = write_in_background("T3", next(), "a");
    let (survivors, mut victims) = settle(vec![t1_wants_b, t2_wants_c, t3_wants_a], started);
    assert_eq!(
        victims.len(),
        1,
        "exactly one victim of the three-way deadlock"
    );
    assert_eq!(survivors.len(), 2, "the other two commit");
    assert_deadlock_victim(
        victims.remove(0),
        &ids,
        &["b", "c", "a"],
        "three-way deadlock",
    );
}

#[test]
fn two_sharers_upgrading_to_exclusive_deadlock_with_one_victim() {
    let mgr = manager();
    seed(&mgr, &[("x", "0")]);
    let level = IsolationLevel::ReadCommitted;
    let (mut t1, mut t2) = (mgr.begin(level), mgr.begin(level));
    let ids = [t1.id(), t2.id()];
    t1.lock(b"x", LockMode::Shared).unwrap();
    t2.lock(b"x", LockMode::Shared).unwrap();
    let first = lock_in_background("T1", t1, "x", LockMode::Exclusive);
    first.assert_blocked();
    let started = Instant::now();
    let second = write_in_background("T2", t2, "x");
    let (survivors, mut victims) = settle(vec![first, second], started);
    assert_eq!(
        (survivors.len(), victims.len()),
        (1, 1),
        "one victim, one survivor"
    );
    assert_deadlock_victim(
        victims.remove(0),
        &ids,
        &["x", "x"],
        "lock upgrade deadlock",
    );
}

#[test]
fn deadlock_behind_a_third_sharer_is_detected_at_once() {
    let mgr = manager();
    seed(&mgr, &[("x", "0")]);
    let level = IsolationLevel::ReadCommitted;
    let (mut t1, t2, mut t3) = (mgr.begin(level), mgr.begin(level), mgr.begin(level));
    let mut t2 = t2;
    for txn in [&mut t1, &mut t2, &mut t3] {
        txn.lock(b"x", LockMode::Shared).unwrap();
    }
    let t1_upgrades = lock_in_background("T1", t1, "x", LockMode::Exclusive);
    t1_upgrades.assert_blocked();
    let started = Instant::now();
    let t3_upgrades = lock_in_background("T3", t3, "x", LockMode::Exclusive);
    // T1 needs T3's share lock released and T3 needs T1's: a cycle, whatever T2 does.
    let reported = [&t1_upgrades, &t3_upgrades]
        .iter()
        .filter_map(|step| step.finished_within(AT_ONCE / 2))
        .count();
    let waited = started.elapsed();
    t2.rollback(); // releases the hidden cycle either way, so nothing is left blocked
    assert!(
        reported >= 1,
        "T1 and T3 wait for each other's share lock on x, but no deadlock was reported \
         within {waited:?} (T2 idle, holding a share lock too)"
    );
}

#[test]
fn lock_timeout_fails_the_waiter_with_55p03_and_leaves_the_holder_alone() {
    let timeout = Duration::from_millis(200);
    let mgr = TxnManager::in_memory(Options {
        lock_timeout: Some(timeout),
        ..Options::default()
    });
    seed(&mgr, &[("x", "0")]);
    for mode in [None, Some(LockMode::Shared), Some(LockMode::Exclusive)] {
        let mut holder = mgr.begin(IsolationLevel::ReadCommitted);
        let mut waiter = mgr.begin(IsolationLevel::ReadCommitted);
        holder.put(b"x", b"holder").unwrap();
        let started = Instant::now();
        let step = in_background("the waiter", move || {
            let result = match mode {
                None => waiter.put(b"x", b"waiter"),
                Some(mode) => waiter.lock(b"x", mode).map(|_| ()),
            };
            (waiter, result)
        });
        let (mut waiter, result) = step.finish();
        let waited = started.elapsed();
        let error = result.expect_err("the holder never ends: the wait must time out");
        let Error::LockTimeout {
            txn,
            holder: blamed,
            ref key,
            ..
        } = error
        else {
            panic!("{mode:?}: expected a lock timeout, got {error}");
        };
        assert_eq!(
            (txn, blamed),
            (waiter.id(), holder.id()),
            "{mode:?}: {error}"
        );
        assert_eq!(key, b"x");
        assert_eq!(error.sqlstate(), "55P03");
        assert!(
            waited >= timeout,
            "{mode:?}: gave up after {waited:?}, before the timeout"
        );
        assert!(waited < FINISH_LIMIT, "{mode:?}: took {waited:?}");
        assert!(
            error.to_string().contains(&format!("T{}", holder.id())),
            "{error}"
        );
        assert!(
            matches!(waiter.put(b"y", b"v"), Err(Error::Aborted { .. })),
            "{mode:?}: the waiter is rolled back after its timeout"
        );
        holder.commit().unwrap();
        assert_eq!(committed(&mgr, "x").as_deref(), Some("holder"));
        seed(&mgr, &[("x", "0")]);
    }
}

#[test]
fn shared_locks_coexist_and_keep_writers_out_until_every_sharer_ends() {
    let mgr = manager();
    seed(&mgr, &[("x", "0")]);
    let level = IsolationLevel::ReadCommitted;
    let (mut t1, mut t2, t3) = (mgr.begin(level), mgr.begin(level), mgr.begin(level));
    let first = t1.lock(b"x", LockMode::Shared).unwrap();
    assert_eq!(first.value.as_deref(), Some(&b"0"[..]));
    let sharer = in_background("T2 locks x FOR SHARE while T1 does", move || {
        let result = t2.lock(b"x", LockMode::Shared).map(|_| ());
        (t2, result)
    });
    let (t2, result) = sharer
        .finished_within(FINISH_LIMIT)
        .expect("a second share lock is granted at once");
    result.unwrap();
    let writer = write_in_background("T3", t3, "x");
    writer.assert_blocked();
    t1.commit().unwrap();
    writer.assert_blocked(); // T2 still shares x
    t2.commit().unwrap();
    let (t3, result) = writer.finish();
    result.unwrap();
    t3.commit().unwrap();
    assert_eq!(committed(&mgr, "x").as_deref(), Some("new"));
}

#[test]
fn exclusive_lock_excludes_sharers_and_writers_but_not_readers() {
    let mgr = manager();
    seed(&mgr, &[("x", "0")]);
    let level = IsolationLevel::ReadCommitted;
    let mut t1 = mgr.begin(level);
    let locked = t1.lock(b"x", LockMode::Exclusive).unwrap();
    assert_eq!(locked.value.as_deref(), Some(&b"0"[..]));
    let reader = mgr.begin(level);
    assert_eq!(
        read(&reader, "x").as_deref(),
        Some("0"),
        "readers never wait"
    );
    let sharer = lock_in_background("T2", mgr.begin(level), "x", LockMode::Shared);
    let updater = lock_in_background("T3", mgr.begin(level), "x", LockMode::Exclusive);
    sharer.assert_blocked();
    updater.assert_blocked();
    t1.commit().unwrap();
    // One of the two gets x first; settle commits it, which releases the other.
    let (survivors, victims) = settle(vec![sharer, updater], Instant::now());
    assert_eq!(survivors.len(), 2, "both get x once T1 ends");
    assert!(victims.is_empty());
    // A lock without a write leaves the value alone.
    assert_eq!(committed(&mgr, "x").as_deref(), Some("0"));
}
