//! Resident memory per key after loading 1,000,000 keys of 16 bytes with 100-byte values
//! (transactions of 1,000 keys, `appendfsync no`, a database in a temp dir), next to the
//! raw size of the data. Resident size is `VmRSS` from `/proc/self/status` (Linux).
//!
//! `cargo run --release --example load_memory [keys]`

use std::time::Instant;

use isolde::{Db, FsyncPolicy, IsolationLevel, Options};

const KEY_LEN: u64 = 16;
const VALUE_LEN: usize = 100;

mod measure;

use measure::{key, mib, rss_bytes};

fn main() {
    let keys: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().expect("keys: a number"));
    let dir = tempfile::tempdir().expect("tempdir");
    let options = Options {
        appendfsync: FsyncPolicy::No,
        save: Vec::new(),
        wal_rewrite_percentage: 0,
        ..Options::default()
    };
    let db = Db::open(dir.path(), options).expect("open");
    let before = rss_bytes();
    let started = Instant::now();
    for start in (0..keys).step_by(1_000) {
        let mut tx = db.begin(IsolationLevel::ReadCommitted);
        for i in start..(start + 1_000).min(keys) {
            let mut value = [b'v'; VALUE_LEN];
            value[..8].copy_from_slice(&i.to_le_bytes());
            tx.put(&key(i), &value).expect("put");
        }
        tx.commit().expect("commit");
    }
    let elapsed = started.elapsed();
    db.manager().gc();
    let after = rss_bytes();
    let raw = keys * (KEY_LEN + VALUE_LEN as u64);
    let grown = after.saturating_sub(before);
    println!(
        "loaded {keys} keys in {:.2} s ({:.0} keys/s)",
        elapsed.as_secs_f64(),
        keys as f64 / elapsed.as_secs_f64()
    );
    println!(
        "RSS before {:.1} MiB, after {:.1} MiB, grown {:.1} MiB",
        mib(before),
        mib(after),
        mib(grown)
    );
    println!(
        "resident bytes per key: {:.1} (raw key+value {} B; {:.2}x the raw data, {:.1} MiB raw)",
        grown as f64 / keys as f64,
        KEY_LEN + VALUE_LEN as u64,
        grown as f64 / raw as f64,
        mib(raw)
    );
    println!("keys in store: {}", db.manager().key_count());
}
