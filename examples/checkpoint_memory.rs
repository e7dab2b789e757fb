//! Extra resident memory while a checkpoint of 1,000,000 keys (116 MB of keys and values)
//! is written under a steady update load on other threads. Target: under 10% of the data
//! set.
//!
//! The baseline is the highest resident size seen during a stretch of the same update load
//! without a checkpoint; the figure is the highest seen while the checkpoint runs, minus
//! the baseline. A sampler thread reads `VmRSS` every 2 ms. Memory a checkpoint can cost:
//! its own buffers, and the old versions the updates leave behind while its snapshot keeps
//! them from being collected.
//!
//! `cargo run --release --example checkpoint_memory [keys] [updater threads]`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use isolde::{Db, FsyncPolicy, IsolationLevel, Options};

mod measure;

use measure::{key, mib, rss_bytes};

/// Updates random keys, one per transaction, until `stop`.
fn update(db: &Db, keys: u64, seed: u64, stop: &AtomicBool, done: &AtomicU64) {
    let mut state = seed;
    while !stop.load(Ordering::Relaxed) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut value = [b'u'; 100];
        value[..8].copy_from_slice(&state.to_le_bytes());
        let mut tx = db.begin(IsolationLevel::ReadCommitted);
        tx.put(&key(state % keys), &value).expect("put");
        tx.commit().expect("commit");
        done.fetch_add(1, Ordering::Relaxed);
    }
}

/// The highest resident size seen, sampled until `stop`; reset by swapping in 0.
fn sample(peak: &AtomicU64, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        peak.fetch_max(rss_bytes(), Ordering::Relaxed);
        thread::sleep(Duration::from_millis(2));
    }
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("arguments are numbers"));
    let keys = args.next().unwrap_or(1_000_000);
    let updaters = args.next().unwrap_or(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let options = Options {
        appendfsync: FsyncPolicy::No,
        save: Vec::new(),
        wal_rewrite_percentage: 0,
        ..Options::default()
    };
    let db = Db::open(dir.path(), options).expect("open");
    for start in (0..keys).step_by(1_000) {
        let mut tx = db.begin(IsolationLevel::ReadCommitted);
        for i in start..(start + 1_000).min(keys) {
            tx.put(&key(i), &[b'v'; 100]).expect("put");
        }
        tx.commit().expect("commit");
    }
    let data_set = keys * 116;
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(0));
    let mut threads: Vec<_> = (0..updaters)
        .map(|t| {
            let (db, stop, done) = (db.clone(), stop.clone(), done.clone());
            thread::spawn(move || update(&db, keys, 0x9e37_79b9_7f4a_7c15 ^ (t + 1), &stop, &done))
        })
        .collect();
    threads.push({
        let (peak, stop) = (peak.clone(), stop.clone());
        thread::spawn(move || sample(&peak, &stop))
    });

    thread::sleep(Duration::from_secs(1)); // settle into the steady state
    peak.store(0, Ordering::Relaxed);
    let (before, t0) = (done.load(Ordering::Relaxed), Instant::now());
    thread::sleep(Duration::from_secs(3));
    let steady_rate = (done.load(Ordering::Relaxed) - before) as f64 / t0.elapsed().as_secs_f64();
    let baseline = peak.swap(0, Ordering::Relaxed);

    let (before, t0) = (done.load(Ordering::Relaxed), Instant::now());
    let info = db.checkpoint().expect("checkpoint");
    let during_rate = (done.load(Ordering::Relaxed) - before) as f64 / t0.elapsed().as_secs_f64();
    let during = peak.swap(0, Ordering::Relaxed).max(rss_bytes());

    thread::sleep(Duration::from_secs(1));
    let after = peak.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    threads.into_iter().for_each(|t| t.join().expect("thread"));

    let extra = during.saturating_sub(baseline);
    println!(
        "{keys} keys ({:.1} MiB of keys and values), {updaters} updater thread(s)",
        mib(data_set)
    );
    println!(
        "steady load: {steady_rate:.0} updates/s, peak RSS {:.1} MiB",
        mib(baseline)
    );
    println!(
        "checkpoint: {} keys, {:.1} MiB file, {:.2} s, {during_rate:.0} updates/s meanwhile, peak RSS {:.1} MiB",
        info.keys,
        mib(info.bytes),
        info.duration.as_secs_f64(),
        mib(during)
    );
    println!(
        "extra resident memory during the checkpoint: {:.1} MiB = {:.1}% of the data set (target < 10%)",
        mib(extra),
        100.0 * extra as f64 / data_set as f64
    );
    println!("peak RSS in the second after it: {:.1} MiB", mib(after));
}
