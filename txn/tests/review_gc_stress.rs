//! Review: garbage collection and READ COMMITTED snapshot advances racing with snapshot
//! readers. Writers move money between accounts (the total never changes) while a
//! collector runs as fast as it can; readers at every snapshot level check that each of
//! their snapshots sums to the total and that a snapshot never changes under them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use isolde_txn::{IsolationLevel, LockMode, Options, TxnManager};

const ACCOUNTS: u64 = 8;
const TOTAL: i64 = 800;

fn account(i: u64) -> Vec<u8> {
    format!("acct{i}").into_bytes()
}

fn number(bytes: &[u8]) -> i64 {
    std::str::from_utf8(bytes).unwrap().parse().unwrap()
}

fn balances(txn: &isolde_txn::Transaction) -> Vec<i64> {
    txn.begin_statement();
    txn.scan_prefix(b"acct")
        .unwrap()
        .map(|(_, v)| number(&v))
        .collect()
}

#[test]
fn snapshots_stay_whole_while_the_collector_races_the_writers() {
    let mgr = TxnManager::in_memory(Options {
        maintenance_interval: Duration::from_millis(1),
        ..Options::default()
    });
    let mut setup = mgr.begin(IsolationLevel::RepeatableRead);
    for i in 0..ACCOUNTS {
        setup.put(&account(i), b"100").unwrap();
    }
    setup.commit().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let transfers = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for w in 0..2u64 {
        let (mgr, stop, transfers) = (mgr.clone(), stop.clone(), transfers.clone());
        threads.push(thread::spawn(move || {
            let mut n = w;
            while !stop.load(Ordering::Relaxed) {
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let (from, to) = ((n >> 33) % ACCOUNTS, (n >> 40) % ACCOUNTS);
                if from == to {
                    continue;
                }
                // READ COMMITTED with FOR UPDATE: the classic correct transfer at RC.
                let mut txn = mgr.begin(IsolationLevel::ReadCommitted);
                let mut step = || -> isolde_txn::Result<()> {
                    txn.begin_statement();
                    let a = txn
                        .lock(&account(from), LockMode::Exclusive)?
                        .value
                        .unwrap();
                    let b = txn.lock(&account(to), LockMode::Exclusive)?.value.unwrap();
                    txn.put(&account(from), (number(&a) - 1).to_string().as_bytes())?;
                    txn.put(&account(to), (number(&b) + 1).to_string().as_bytes())?;
                    Ok(())
                };
                if step().is_ok() && txn.commit().is_ok() {
                    transfers.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    {
        let (mgr, stop) = (mgr.clone(), stop.clone());
        threads.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                mgr.gc();
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_millis(1500);
    let mut checked = 0;
    while Instant::now() < deadline {
        for level in IsolationLevel::ALL.into_iter().skip(1) {
            let txn = mgr.begin_read_only(level);
            let first = balances(&txn);
            assert_eq!(first.len() as u64, ACCOUNTS, "{level}: an account vanished");
            assert_eq!(first.iter().sum::<i64>(), TOTAL, "{level}: {first:?}");
            thread::sleep(Duration::from_millis(2));
            let again = balances(&txn);
            assert_eq!(again.iter().sum::<i64>(), TOTAL, "{level}: {again:?}");
            if level.uses_transaction_snapshot() {
                assert_eq!(first, again, "{level}: the snapshot changed");
            }
            txn.commit().unwrap();
            checked += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert!(
        transfers.load(Ordering::Relaxed) > 100,
        "the writers made no progress"
    );
    assert!(checked > 10);
    let final_sum: i64 = balances(&mgr.begin(IsolationLevel::RepeatableRead))
        .iter()
        .sum();
    assert_eq!(final_sum, TOTAL);
}
