//! Key-value benchmarks of the embedded API, against the project's targets:
//!
//! | group | what | target |
//! |---|---|---|
//! | `kv_load` | 1,000,000 keys (16 B) with 100 B values, transactions of 1,000 keys, `appendfsync no`, fresh database in a temp dir | >= 1,000,000 keys/s |
//! | `kv_point_read` | random reads of existing keys at one REPEATABLE READ snapshot of a 1,000,000-key store, on 1 and 2 threads | >= 2,000,000 reads/s on 1 thread; 2 threads >= 1.8x |
//! | `kv_scan_100` | range scans of 100 keys from a random start, same store | >= 200,000 scans/s |
//! | `kv_raw_skiplist` | the same random gets and 100-key ranges on a bare `crossbeam_skiplist::SkipMap` of 1,000,000 keys: what the ordered structure alone costs on this machine | reference |
//! | `kv_commit_always` | single-key read-write transactions under `appendfsync always`, 1 and 8 threads, next to the raw write+fdatasync rate of a file in the same directory | 1 thread near the fsync rate; 8 threads >= 5x 1 thread |
//!
//! Run with `cargo bench --bench kv` (a group alone: `cargo bench --bench kv -- kv_scan`).
//! Multi-threaded groups use `iter_custom` and split the iterations among the threads, so
//! the time per iteration is wall time per operation and criterion's throughput is the
//! aggregate rate. Automatic checkpoints and log rewrites are off, so that background work
//! does not land in random samples. Memory per key is measured by
//! `examples/load_memory.rs`, which reads the process's resident size.

mod support;

use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use isolde::{Db, FsyncPolicy, IsolationLevel, Options};

const KEYS: u64 = 1_000_000;
const BATCH: u64 = 1_000;
const VALUE_LEN: usize = 100;
const SCAN_LEN: u64 = 100;
/// Keys each thread of the commit benchmark updates (its own, so threads never conflict).
const KEYS_PER_COMMITTER: u64 = 1_000;

/// Key `i`: `key:` and 12 decimal digits, 16 bytes, in numeric order.
fn key(i: u64) -> [u8; 16] {
    let mut k = *b"key:000000000000";
    let mut n = i;
    for byte in k[4..].iter_mut().rev() {
        *byte = b'0' + (n % 10) as u8;
        n /= 10;
    }
    k
}

/// A 100-byte value that differs per key.
fn value(i: u64) -> [u8; VALUE_LEN] {
    let mut v = [b'v'; VALUE_LEN];
    v[..8].copy_from_slice(&i.to_le_bytes());
    v
}

fn options(appendfsync: FsyncPolicy) -> Options {
    Options {
        appendfsync,
        save: Vec::new(),
        wal_rewrite_percentage: 0,
        ..Options::default()
    }
}

/// xorshift64*: cheap enough not to show in a 200 ns read.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Puts keys `0..count` with their values in transactions of `BATCH` keys.
fn load(db: &Db, count: u64) {
    for start in (0..count).step_by(BATCH as usize) {
        let mut tx = db.begin(IsolationLevel::ReadCommitted);
        for i in start..(start + BATCH).min(count) {
            tx.put(&key(i), &value(i)).expect("put");
        }
        tx.commit().expect("commit");
    }
}

fn bulk_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("kv_load");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(KEYS));
    group.bench_function("1M keys, txns of 1000, appendfsync no", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tempdir");
                let db = Db::open(dir.path(), options(FsyncPolicy::No)).expect("open");
                let started = Instant::now();
                load(&db, KEYS);
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();
}

/// Reads `iters` random keys in all, split among `threads`, each thread in one
/// REPEATABLE READ transaction; returns the wall time.
fn reads_on_threads(db: &Db, threads: u64, iters: u64) -> Duration {
    let per_thread = iters.div_ceil(threads);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let tx = db.begin_read_only(IsolationLevel::RepeatableRead);
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t + 1));
                for _ in 0..per_thread {
                    black_box(tx.get(&key(rng.below(KEYS))).expect("get"));
                }
            });
        }
    });
    started.elapsed()
}

fn reads_and_scans(c: &mut Criterion) {
    let db = Db::open_in_memory_with(options(FsyncPolicy::No));
    load(&db, KEYS);

    let mut group = c.benchmark_group("kv_point_read");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1));
    for threads in [1, 2] {
        group.bench_function(
            BenchmarkId::new("1M keys, RR snapshot", format!("{threads} threads")),
            |b| b.iter_custom(|iters| reads_on_threads(&db, threads, iters)),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("kv_scan_100");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1));
    group.bench_function("100 keys from a random start, RR snapshot", |b| {
        let tx = db.begin_read_only(IsolationLevel::RepeatableRead);
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        b.iter(|| {
            let start = rng.below(KEYS - SCAN_LEN);
            let scan = tx.scan(key(start)..key(start + SCAN_LEN)).expect("scan");
            assert_eq!(scan.map(black_box).count() as u64, SCAN_LEN);
        })
    });
    group.finish();
}

/// Runs `iters` single-key read-write transactions in all, split among `threads`, each
/// thread on its own keys; returns the wall time.
fn commits_on_threads(db: &Db, threads: u64, iters: u64) -> Duration {
    let per_thread = iters.div_ceil(threads);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t + 1));
                for _ in 0..per_thread {
                    let k = key(t * KEYS_PER_COMMITTER + rng.below(KEYS_PER_COMMITTER));
                    let mut tx = db.begin(IsolationLevel::ReadCommitted);
                    let mut v = tx.get(&k).expect("get").expect("committer keys exist");
                    v[0] = v[0].wrapping_add(1);
                    tx.put(&k, &v).expect("put");
                    tx.commit().expect("commit");
                }
            });
        }
    });
    started.elapsed()
}

/// write(2) of a small record plus fdatasync, in a loop, in `dir`: the most a log can
/// commit per second on this disk without batching.
fn raw_fdatasync(dir: &Path, iters: u64) -> Duration {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("raw-fsync"))
        .expect("raw file");
    let record = [0x5a_u8; 160];
    let started = Instant::now();
    for _ in 0..iters {
        file.write_all(&record).expect("write");
        file.sync_data().expect("fdatasync");
    }
    started.elapsed()
}

fn commits_always(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path().join("db"), options(FsyncPolicy::Always)).expect("open");
    load(&db, 8 * KEYS_PER_COMMITTER);

    let mut group = c.benchmark_group("kv_commit_always");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw write+fdatasync, same dir", |b| {
        b.iter_custom(|iters| raw_fdatasync(dir.path(), iters))
    });
    for threads in [1, 8] {
        group.bench_function(
            BenchmarkId::new("get+put+commit", format!("{threads} threads")),
            |b| b.iter_custom(|iters| commits_on_threads(&db, threads, iters)),
        );
    }
    group.finish();
}

/// The reads and scans above on a bare skip map of the same keys, with nothing else: the
/// ceiling the ordered structure sets (scans go through it; point reads go through the
/// engine's hash index instead).
fn raw_skiplist(c: &mut Criterion) {
    let map = crossbeam_skiplist::SkipMap::new();
    for i in 0..KEYS {
        map.insert(key(i), value(i));
    }
    let mut group = c.benchmark_group("kv_raw_skiplist");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    group.bench_function("get, 1M keys", |b| {
        b.iter(|| black_box(map.get(&key(rng.below(KEYS))).map(|e| e.value()[0])))
    });
    group.bench_function("range of 100 keys", |b| {
        b.iter(|| {
            let start = rng.below(KEYS - SCAN_LEN);
            let range = map.range(key(start)..key(start + SCAN_LEN));
            let seen = range.fold(0, |n, e| {
                black_box(e.value()[0]);
                n + 1
            });
            assert_eq!(seen, SCAN_LEN);
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    reads_and_scans,
    raw_skiplist,
    commits_always,
    bulk_load
);
criterion_main!(benches);
