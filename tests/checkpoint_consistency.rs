//! Checkpoints are consistent snapshots, and recovery survives a corrupt one.
//!
//! A checkpoint taken while transfers commit on other threads must hold one snapshot: the
//! balances of exactly the transfers its `last/<w>` markers say, which also keeps the sum of
//! the balances constant. The file is read directly with the engine's checkpoint reader
//! (stored keys carry [`KV_PREFIX`], stored values the one-byte header of `isolde::expiry`).
//! Then a corrupt newest checkpoint must make recovery fall back to the previous one and
//! replay the longer log tail after it, and with every checkpoint corrupt the database must
//! refuse to open rather than start with missing data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use isolde::{Db, FsyncPolicy, IsolationLevel, LockMode, Options, KV_PREFIX};
use isolde_txn::checkpoint::Checkpoint;

/// Keys between the accounts and the markers in key order, so that a checkpoint spends time
/// between reading the balances and reading the markers while transfers go on.
mod transfers;

use transfers::{account, last_key, transfer, ACCOUNTS, INITIAL_BALANCE, WORKERS};

const FILLER_KEYS: u64 = 20_000;

fn options() -> Options {
    Options {
        appendfsync: FsyncPolicy::No,
        save: Vec::new(),
        ..Options::default()
    }
}

fn number(value: &[u8]) -> i64 {
    i64::from_be_bytes(value.try_into().expect("values are 8 bytes"))
}

fn setup(db: &Db) {
    let mut tx = db.begin(IsolationLevel::Serializable);
    for i in 0..ACCOUNTS {
        tx.put(&account(i), &INITIAL_BALANCE.to_be_bytes())
            .expect("put");
    }
    for i in 0..FILLER_KEYS {
        tx.put(format!("fill/{i:08}").as_bytes(), &[0xf0; 64])
            .expect("put");
    }
    tx.commit().expect("commit");
}

/// Runs transfers `1..` of worker `w` until `stop`, at the isolation level its number picks.
fn run_worker(db: &Db, w: u64, stop: &AtomicBool, done: &AtomicU64) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let level = [
            IsolationLevel::ReadCommitted,
            IsolationLevel::RepeatableRead,
            IsolationLevel::Serializable,
        ][(n % 3) as usize];
        while let Err(e) = try_transfer(db, w, n, level) {
            assert!(e.is_retryable(), "transfer {w}/{n} at {level}: {e}");
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}

fn try_transfer(db: &Db, w: u64, n: u64, level: IsolationLevel) -> isolde::Result<()> {
    let (from, to, amount) = transfer(w, n);
    let mut tx = db.begin(level);
    let read = |tx: &mut isolde::Transaction, key: &[u8]| -> isolde::Result<i64> {
        let value = match level {
            IsolationLevel::ReadCommitted => tx.lock(key, LockMode::Exclusive)?,
            _ => tx.get(key)?,
        };
        Ok(number(&value.expect("accounts exist")))
    };
    let a = read(&mut tx, &account(from))?;
    let b = read(&mut tx, &account(to))?;
    tx.put(&account(from), &(a - amount).to_be_bytes())?;
    tx.put(&account(to), &(b + amount).to_be_bytes())?;
    tx.put(&last_key(w), &(n as i64).to_be_bytes())?;
    tx.commit()?;
    Ok(())
}

/// The key-value pairs of a checkpoint file, as the key-value API shows them: keys
/// without the KV prefix, values without their expiry header.
fn read_checkpoint(path: &Path) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let checkpoint = Checkpoint::open(path).expect("open checkpoint");
    let mut pairs = BTreeMap::new();
    for entry in checkpoint.iter() {
        let (key, value) = entry.expect("read checkpoint entry");
        assert_eq!(
            key.first(),
            Some(&KV_PREFIX),
            "only key-value data was written"
        );
        assert_eq!(
            value.first(),
            Some(&isolde::expiry::PLAIN),
            "no value was given an expiry"
        );
        pairs.insert(key[1..].to_vec(), value[1..].to_vec());
    }
    pairs
}

/// Checks that `pairs` hold every worker's transfers up to its marker and no others.
fn assert_consistent(pairs: &BTreeMap<Vec<u8>, Vec<u8>>) -> u64 {
    let mut expected = vec![INITIAL_BALANCE; ACCOUNTS as usize];
    let mut transfers = 0;
    for w in 0..WORKERS {
        let upto = pairs.get(&last_key(w)).map_or(0, |v| number(v) as u64);
        for n in 1..=upto {
            let (from, to, amount) = transfer(w, n);
            expected[from as usize] -= amount;
            expected[to as usize] += amount;
        }
        transfers += upto;
    }
    let found: Vec<i64> = (0..ACCOUNTS).map(|i| number(&pairs[&account(i)])).collect();
    assert_eq!(
        found, expected,
        "balances match the markers' transfers exactly"
    );
    assert_eq!(found.iter().sum::<i64>(), INITIAL_BALANCE * ACCOUNTS as i64);
    let markers = (0..WORKERS)
        .filter(|&w| pairs.contains_key(&last_key(w)))
        .count() as u64;
    assert_eq!(
        pairs.len() as u64,
        ACCOUNTS + FILLER_KEYS + markers,
        "no stray keys"
    );
    transfers
}

#[test]
fn checkpoint_during_concurrent_transfers_is_one_consistent_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), options()).expect("open");
    setup(&db);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (db, stop, done) = (db.clone(), stop.clone(), done.clone());
            thread::spawn(move || run_worker(&db, w, &stop, &done))
        })
        .collect();
    let mut in_checkpoints = Vec::new();
    for _ in 0..4 {
        wait_for_more(&done, 50);
        let info = db.checkpoint().expect("checkpoint");
        in_checkpoints.push(assert_consistent(&read_checkpoint(&info.path)));
    }
    stop.store(true, Ordering::Relaxed);
    workers.into_iter().for_each(|t| t.join().expect("worker"));
    assert!(
        in_checkpoints.windows(2).all(|p| p[0] < p[1]),
        "checkpoints see progress: {in_checkpoints:?}"
    );
}

/// Waits until `extra` more transfers committed.
fn wait_for_more(done: &AtomicU64, extra: u64) {
    let target = done.load(Ordering::Relaxed) + extra;
    let deadline = Instant::now() + Duration::from_secs(5);
    while done.load(Ordering::Relaxed) < target {
        assert!(Instant::now() < deadline, "transfers stalled");
        thread::sleep(Duration::from_millis(1));
    }
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:04}").into_bytes()
}

fn fill(db: &Db, range: std::ops::Range<u32>) {
    let mut tx = db.begin(IsolationLevel::Serializable);
    for i in range {
        tx.put(&key(i), format!("value{i}").as_bytes())
            .expect("put");
    }
    tx.commit().expect("commit");
}

/// Writes, checkpoints, writes, checkpoints, writes again; returns the two checkpoints,
/// older first.
fn two_checkpoints_and_a_tail(dir: &Path) -> (PathBuf, PathBuf) {
    let db = Db::open(dir, options()).expect("open");
    fill(&db, 0..100);
    let first = db.checkpoint().expect("first checkpoint").path;
    fill(&db, 100..200);
    db.delete(&key(5)).expect("delete");
    let second = db.checkpoint().expect("second checkpoint").path;
    fill(&db, 200..250);
    db.delete(&key(150)).expect("delete");
    db.put(&key(7), b"changed").expect("put");
    (first, second)
}

fn flip_a_byte_in_the_middle(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read checkpoint");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(path, bytes).expect("write checkpoint");
}

#[test]
fn corrupt_newest_checkpoint_falls_back_to_the_previous_one_and_the_longer_log_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, second) = two_checkpoints_and_a_tail(dir.path());
    flip_a_byte_in_the_middle(&second);

    let txn_options = isolde_txn::Options {
        log: Some(isolde_txn::wal::Options {
            fsync: FsyncPolicy::No,
            ..Default::default()
        }),
        save: Vec::new(),
        ..Default::default()
    };
    let (manager, recovered) =
        isolde_txn::TxnManager::open(dir.path(), txn_options).expect("open manager");
    assert_eq!(
        recovered.checkpoint.as_deref(),
        Some(first.as_path()),
        "recovery starts from the older checkpoint"
    );
    let second_name = second
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        recovered.warnings.iter().any(|w| w.contains(&second_name)),
        "{:?}",
        recovered.warnings
    );
    drop(manager);

    let db = Db::open(dir.path(), options()).expect("reopen");
    let tx = db.begin_read_only(IsolationLevel::RepeatableRead);
    let found: BTreeMap<Vec<u8>, Vec<u8>> = tx.scan::<&[u8]>(..).expect("scan").collect();
    let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = (0..250)
        .map(|i| (key(i), format!("value{i}").into_bytes()))
        .collect();
    expected.remove(&key(5));
    expected.remove(&key(150));
    expected.insert(key(7), b"changed".to_vec());
    assert_eq!(found, expected);
}

#[test]
fn every_checkpoint_corrupt_refuses_to_open_and_names_the_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, second) = two_checkpoints_and_a_tail(dir.path());
    flip_a_byte_in_the_middle(&first);
    flip_a_byte_in_the_middle(&second);
    let err = Db::open(dir.path(), options())
        .err()
        .expect("opening with no valid checkpoint must fail");
    let message = err.to_string();
    assert!(message.contains("no valid checkpoint"), "{message}");
    for path in [&first, &second] {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(message.contains(&name), "{message} does not name {name}");
    }
    assert!(!err.is_retryable());
}
