//! Recovery time: a database holding a checkpoint of 1,000,000 keys (16-byte keys,
//! 100-byte values) plus 100,000 single-key update transactions in the log after it
//! (`appendfsync no`), closed and then reopened with `Db::open`, timed. Target: under 2 s.
//! The open runs with the files in the page cache (they were just written); drop the cache
//! first (`echo 3 > /proc/sys/vm/drop_caches`, root) to time a cold open.
//!
//! `cargo run --release --example recovery_time [keys] [transactions]`

use std::path::Path;
use std::time::Instant;

use isolde::{Db, FsyncPolicy, IsolationLevel, Options};

fn key(i: u64) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

fn options() -> Options {
    // No automatic checkpoints or log rewrites: the directory must hold exactly one
    // checkpoint and the log after it.
    Options {
        appendfsync: FsyncPolicy::No,
        save: Vec::new(),
        wal_rewrite_percentage: 0,
        ..Options::default()
    }
}

fn size_of(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("arguments are numbers"));
    let keys = args.next().unwrap_or(1_000_000);
    let transactions = args.next().unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Db::open(dir.path(), options()).expect("open");
        for start in (0..keys).step_by(1_000) {
            let mut tx = db.begin(IsolationLevel::ReadCommitted);
            for i in start..(start + 1_000).min(keys) {
                tx.put(&key(i), &[b'v'; 100]).expect("put");
            }
            tx.commit().expect("commit");
        }
        let info = db.checkpoint().expect("checkpoint");
        println!(
            "checkpoint: {} keys, {:.1} MiB, written in {:.2} s",
            info.keys,
            info.bytes as f64 / 1048576.0,
            info.duration.as_secs_f64()
        );
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..transactions {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut value = [b'w'; 100];
            value[..8].copy_from_slice(&n.to_le_bytes());
            let mut tx = db.begin(IsolationLevel::ReadCommitted);
            tx.put(&key(state % keys), &value).expect("put");
            tx.commit().expect("commit");
        }
    }
    println!(
        "log after the checkpoint: {transactions} transactions; directory {:.1} MiB",
        size_of(dir.path()) as f64 / 1048576.0
    );
    let started = Instant::now();
    let db = Db::open(dir.path(), options()).expect("reopen");
    let elapsed = started.elapsed();
    println!(
        "Db::open recovered {} keys in {:.3} s (target < 2 s)",
        db.manager().key_count(),
        elapsed.as_secs_f64()
    );
}
