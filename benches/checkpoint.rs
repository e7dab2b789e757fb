//! Checkpoint write and load throughput: 1,000,000 keys of 16 bytes with 100-byte values,
//! with and without LZ4.
//!
//! Keys are `kv:user:` followed by the index as 8 big-endian bytes (so they are in key
//! order, as a snapshot scan yields them). Each value is 32 pseudo-random bytes (like a
//! hash or a UUID: incompressible) followed by 68 bytes of JSON-like text holding the
//! index and a few fields drawn from small sets (compressible, as real rows are). The
//! data set is generated once into one buffer so that the measured time is the
//! checkpoint's, not the generator's. "Write" includes the fsyncs and the rename; "load"
//! is `Checkpoint::open` (map + verify every CRC) plus iterating every entry.
//!
//! Run with `cargo bench --bench checkpoint`. Throughput is in bytes of keys and values
//! (116 MB per run); keys/s is 1,000,000 divided by the time per iteration.

mod support;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use isolde_engine::checkpoint::{self, Checkpoint, Compression, Meta};

const KEYS: usize = 1_000_000;
const KEY_LEN: usize = 16;
const VALUE_LEN: usize = 100;
const RANDOM_PART: usize = 32;

/// All entries back to back, each `KEY_LEN + VALUE_LEN` bytes.
fn data_set() -> Vec<u8> {
    const PLANS: [&str; 3] = ["free", "pro", "team"];
    const REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "ap-south-1"];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut data = Vec::with_capacity(KEYS * (KEY_LEN + VALUE_LEN));
    for i in 0..KEYS {
        data.extend_from_slice(b"kv:user:");
        data.extend_from_slice(&(i as u64).to_be_bytes());
        for _ in 0..RANDOM_PART / 8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            data.extend_from_slice(&state.to_le_bytes());
        }
        let text = format!(
            "{{\"id\":{i:08},\"plan\":\"{}\",\"region\":\"{}\",\"active\":{}}}",
            PLANS[i % 3],
            REGIONS[(i / 3) % 3],
            i % 5 != 0
        );
        let mut text = text.into_bytes();
        text.resize(VALUE_LEN - RANDOM_PART, b' ');
        data.extend_from_slice(&text);
    }
    data
}

fn entries(data: &[u8]) -> impl Iterator<Item = Result<(&[u8], &[u8]), std::convert::Infallible>> {
    data.chunks_exact(KEY_LEN + VALUE_LEN)
        .map(|entry| Ok(entry.split_at(KEY_LEN)))
}

fn write(path: &Path, data: &[u8], compression: Compression) -> checkpoint::Summary {
    let meta = Meta {
        snapshot_ts: 1,
        wal_lsn: 1,
        created_unix_ms: 0,
        compression,
    };
    checkpoint::write(path, &meta, entries(data), |_| {}).expect("write checkpoint")
}

fn load(path: &Path) -> u64 {
    let checkpoint = Checkpoint::open(path).expect("open checkpoint");
    checkpoint
        .iter()
        .map(|e| e.expect("entry").1.len() as u64)
        .sum()
}

fn bench(c: &mut Criterion) {
    let data = data_set();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("checkpoint");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(data.len() as u64));
    for compression in [Compression::None, Compression::Lz4] {
        let path = dir.path().join(format!("bench-{compression}.ickp"));
        let summary = write(&path, &data, compression);
        println!(
            "checkpoint/{compression}: {} entries, file {} bytes ({:.1} MB), raw {} bytes, ratio {:.3}",
            summary.entries,
            summary.bytes,
            summary.bytes as f64 / 1e6,
            summary.raw_bytes,
            summary.bytes as f64 / summary.raw_bytes as f64
        );
        group.bench_function(format!("write/{compression}"), |b| {
            b.iter(|| write(&path, black_box(&data), compression))
        });
        group.bench_function(format!("load/{compression}"), |b| {
            b.iter(|| black_box(load(&path)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
