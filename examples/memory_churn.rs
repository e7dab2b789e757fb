//! Memory under update churn: the same 1,000 keys updated 10,000,000 times, one
//! autocommit update at a time, in an in-memory database. Old versions must be collected
//! in the background, so resident memory stays flat; it is printed every 1,000,000 updates.
//!
//! `cargo run --release --example memory_churn [updates]`

use std::time::Instant;

use isolde::{Db, Options};

const KEYS: u64 = 1_000;

mod measure;

use measure::{key, mib, rss_bytes};

fn main() {
    let updates: u64 = std::env::args()
        .nth(1)
        .map_or(10_000_000, |a| a.parse().expect("updates: a number"));
    let db = Db::open_in_memory_with(Options {
        save: Vec::new(),
        ..Options::default()
    });
    for i in 0..KEYS {
        db.put(&key(i), &[0; 100]).expect("put");
    }
    let start_rss = rss_bytes();
    println!(
        "start: {:.1} MiB resident, {} keys",
        mib(start_rss),
        db.manager().key_count()
    );
    let started = Instant::now();
    let mut lap = Instant::now();
    let mut value = [0u8; 100];
    for n in 1..=updates {
        value[..8].copy_from_slice(&n.to_le_bytes());
        db.put(&key(n % KEYS), &value).expect("put");
        if n % 1_000_000 == 0 {
            println!(
                "{n:>10} updates: {:7.1} MiB resident, {:.0} updates/s",
                mib(rss_bytes()),
                1_000_000.0 / lap.elapsed().as_secs_f64()
            );
            lap = Instant::now();
        }
    }
    let end_rss = rss_bytes();
    let gc = db.manager().gc();
    println!(
        "end: {:.1} MiB resident ({:+.1} MiB since start) after {:.1} s; a final GC pass dropped {} versions of {} keys",
        mib(end_rss),
        mib(end_rss) - mib(start_rss),
        started.elapsed().as_secs_f64(),
        gc.versions_dropped,
        gc.keys_scanned
    );
}
