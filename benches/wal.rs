//! WAL benchmarks: append throughput under each fsync policy (with the raw
//! fdatasync rate of the same disk for reference) and recovery speed, replaying
//! through the `Vec`-per-record iterator and through `Records::next_borrowed`.
//!
//! `cargo bench --bench wal`. `WAL_BENCH_RECOVERY_MIB` sets the size of the log
//! the recovery benchmark opens (default 256).

mod support;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use isolde_wal::{FsyncPolicy, Log, Options};

const RECORD: [u8; 100] = [0x5a; 100];

fn open(dir: &Path, fsync: FsyncPolicy) -> Log {
    Log::open(
        dir,
        Options {
            fsync,
            ..Options::default()
        },
    )
    .expect("open log")
    .0
}

fn append_single_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("wal_append_100B");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(1));
    for policy in [FsyncPolicy::No, FsyncPolicy::EverySec] {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = open(dir.path(), policy);
        group.bench_function(BenchmarkId::new(policy.to_string(), "1 thread"), |b| {
            b.iter(|| log.append(&RECORD).expect("append"))
        });
    }
    group.finish();
}

/// write(2) of one framed record plus fdatasync, in a loop: the best any log can do
/// per commit on this disk without batching.
fn raw_fdatasync(c: &mut Criterion) {
    let mut group = c.benchmark_group("wal_always_100B");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(1));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("raw"))
        .expect("raw file");
    let frame = [0x5au8; 108];
    group.bench_function("raw write+fdatasync", |b| {
        b.iter(|| {
            file.write_all(&frame).expect("write");
            file.sync_data().expect("fdatasync");
        })
    });
    for threads in [1usize, 8, 32] {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Arc::new(open(dir.path(), FsyncPolicy::Always));
        group.bench_function(
            BenchmarkId::new("always", format!("{threads} threads")),
            |b| b.iter_custom(|iters| appends_on_threads(&log, threads, iters)),
        );
    }
    group.finish();
}

/// Runs `iters` appends spread over `threads` threads; returns the wall time.
fn appends_on_threads(log: &Arc<Log>, threads: usize, iters: u64) -> Duration {
    let per_thread = iters.div_ceil(threads as u64);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    log.append(&RECORD).expect("append");
                }
            });
        }
    });
    start
        .elapsed()
        .mul_f64(iters as f64 / (per_thread * threads as u64) as f64)
}

fn recovery(c: &mut Criterion) {
    let mib: u64 = std::env::var("WAL_BENCH_RECOVERY_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let log = open(dir.path(), FsyncPolicy::No);
        while log.size_bytes() < mib << 20 {
            log.write(&RECORD).expect("write");
        }
    }
    let mut group = c.benchmark_group("wal_recovery_100B_records");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let size = open(dir.path(), FsyncPolicy::No).size_bytes();
    group.throughput(Throughput::Bytes(size));
    group.bench_function(format!("open+scan {mib} MiB"), |b| {
        b.iter(|| {
            let (log, recovery) = Log::open(
                dir.path(),
                Options {
                    fsync: FsyncPolicy::No,
                    ..Options::default()
                },
            )
            .expect("open");
            let replayed = log
                .read_from(1)
                .expect("read")
                .map(|r| r.expect("record").1.len() as u64)
                .sum::<u64>();
            assert_eq!(replayed, recovery.records_scanned * RECORD.len() as u64);
        })
    });
    group.bench_function(format!("open+scan borrowed {mib} MiB"), |b| {
        b.iter(|| {
            let (log, recovery) = Log::open(
                dir.path(),
                Options {
                    fsync: FsyncPolicy::No,
                    ..Options::default()
                },
            )
            .expect("open");
            let mut records = log.read_from(1).expect("read");
            let mut replayed = 0;
            while let Some(record) = records.next_borrowed() {
                replayed += record.expect("record").1.len() as u64;
            }
            assert_eq!(replayed, recovery.records_scanned * RECORD.len() as u64);
        })
    });
    group.finish();
}

criterion_group!(benches, append_single_thread, raw_fdatasync, recovery);
criterion_main!(benches);
