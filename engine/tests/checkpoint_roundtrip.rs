//! Checkpoints give back exactly what was written: the entries in order, the header, and
//! honest sizes; and a write that fails leaves nothing behind.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use isolde_engine::checkpoint::{self, Checkpoint, Compression, Error, Meta};
use proptest::prelude::*;

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

fn meta(compression: Compression) -> Meta {
    Meta {
        snapshot_ts: 42,
        wal_lsn: 4242,
        created_unix_ms: 1_700_000_000_000,
        compression,
    }
}

fn write(path: &Path, compression: Compression, entries: &Entries) -> checkpoint::Summary {
    let source = entries.iter().map(|(k, v)| Ok::<_, Error>((k, v)));
    checkpoint::write(path, &meta(compression), source, |_| {}).expect("write checkpoint")
}

fn read_all(path: &Path) -> Entries {
    let checkpoint = Checkpoint::open(path).expect("open checkpoint");
    checkpoint
        .iter()
        .collect::<Result<_, _>>()
        .expect("iterate checkpoint")
}

/// Values that look like rows: a random part and a repetitive part, so LZ4 has work to do.
fn rows(n: usize) -> Entries {
    (0..n)
        .map(|i| {
            let key = format!("user:{i:010}").into_bytes();
            let value = format!(
                "{{\"id\":{i},\"name\":\"user {}\",\"status\":\"active\"}}",
                i * 7919 % 1000
            );
            (key, value.into_bytes())
        })
        .collect()
}

#[test]
fn empty_checkpoint_round_trips_with_both_compressions() {
    let dir = tempfile::tempdir().unwrap();
    for compression in [Compression::None, Compression::Lz4] {
        let path = dir.path().join(format!("empty-{compression}.ickp"));
        let summary = write(&path, compression, &Vec::new());
        assert_eq!(summary.entries, 0);
        let checkpoint = Checkpoint::open(&path).unwrap();
        assert_eq!(checkpoint.entry_count(), 0);
        assert_eq!(checkpoint.meta(), &meta(compression));
        assert_eq!(checkpoint.file_size(), summary.bytes);
        assert_eq!(checkpoint.iter().count(), 0);
    }
}

#[test]
fn read_meta_reads_the_header_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.ickp");
    write(&path, Compression::None, &rows(3));
    assert_eq!(
        Checkpoint::read_meta(&path).unwrap(),
        meta(Compression::None)
    );
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..20]).unwrap();
    let err = Checkpoint::read_meta(&path).unwrap_err();
    assert!(matches!(err, Error::Truncated { len: 20, .. }), "{err}");
    let mut bad = bytes.clone();
    bad[20] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let err = Checkpoint::read_meta(&path).unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { .. }) && err.to_string().contains("header CRC"),
        "{err}"
    );
}

#[test]
fn empty_keys_and_values_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let entries = vec![
        (vec![], vec![]),
        (vec![], b"v".to_vec()),
        (b"k".to_vec(), vec![]),
    ];
    for compression in [Compression::None, Compression::Lz4] {
        let path = dir.path().join("c.ickp");
        write(&path, compression, &entries);
        assert_eq!(read_all(&path), entries);
    }
}

#[test]
fn many_blocks_round_trip_and_lz4_shrinks_row_like_data() {
    let dir = tempfile::tempdir().unwrap();
    let entries = rows(20_000);
    let plain = write(&dir.path().join("plain.ickp"), Compression::None, &entries);
    let lz4 = write(&dir.path().join("lz4.ickp"), Compression::Lz4, &entries);
    assert!(
        plain.raw_bytes > 10 * checkpoint::TARGET_BLOCK_LEN as u64,
        "several blocks"
    );
    assert_eq!(plain.bytes, plain.raw_bytes);
    assert_eq!(lz4.raw_bytes, plain.raw_bytes);
    assert!(
        lz4.bytes < plain.bytes / 2,
        "lz4 {} vs plain {}",
        lz4.bytes,
        plain.bytes
    );
    assert_eq!(read_all(&plain.path), entries);
    assert_eq!(read_all(&lz4.path), entries);
}

#[test]
fn an_entry_larger_than_a_block_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..3 * checkpoint::TARGET_BLOCK_LEN)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let entries = vec![
        (b"a".to_vec(), b"small".to_vec()),
        (b"b".to_vec(), big),
        (b"c".to_vec(), vec![7; 10]),
    ];
    for compression in [Compression::None, Compression::Lz4] {
        let path = dir.path().join("big.ickp");
        write(&path, compression, &entries);
        assert_eq!(read_all(&path), entries);
    }
}

#[test]
fn incompressible_data_does_not_grow_under_lz4() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state.to_le_bytes()
    };
    let entries: Entries = (0..2_000u32)
        .map(|i| {
            (
                i.to_be_bytes().to_vec(),
                (0..16).flat_map(|_| noise()).collect(),
            )
        })
        .collect();
    let summary = write(&dir.path().join("noise.ickp"), Compression::Lz4, &entries);
    assert!(
        summary.bytes <= summary.raw_bytes,
        "random values never grow the file"
    );
    assert_eq!(read_all(&summary.path), entries);
}

#[test]
fn progress_counts_up_to_the_number_of_entries() {
    let dir = tempfile::tempdir().unwrap();
    let entries = rows(10_000);
    let mut seen = Vec::new();
    let source = entries.iter().map(|(k, v)| Ok::<_, Error>((k, v)));
    let path = dir.path().join("p.ickp");
    checkpoint::write(&path, &meta(Compression::Lz4), source, |n| seen.push(n)).unwrap();
    assert!(seen.len() > 2, "called once per block");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&10_000));
}

#[derive(Debug)]
struct SnapshotGone;

impl fmt::Display for SnapshotGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("snapshot was released")
    }
}

impl std::error::Error for SnapshotGone {}

#[test]
fn a_failing_source_leaves_no_file_and_no_temp_file_and_keeps_the_old_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.ickp");
    let old = rows(10);
    write(&path, Compression::Lz4, &old);
    let fresh = dir.path().join("fresh.ickp");
    for target in [&path, &fresh] {
        // Fail after several blocks have already reached the temp file.
        let source = rows(50_000).into_iter().enumerate().map(|(i, kv)| {
            if i < 40_000 {
                Ok(kv)
            } else {
                Err(SnapshotGone)
            }
        });
        let err = checkpoint::write(target, &meta(Compression::Lz4), source, |_| {}).unwrap_err();
        let Error::Source(source) = err else {
            panic!("expected Error::Source, got {err}")
        };
        assert!(source.downcast_ref::<SnapshotGone>().is_some());
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("c.ickp")]);
    assert_eq!(read_all(&path), old);
}

#[test]
fn writing_into_a_missing_directory_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("c.ickp");
    let err = checkpoint::write(
        &path,
        &meta(Compression::None),
        std::iter::empty::<Result<(&[u8], &[u8]), Error>>(),
        |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn compression_names_parse_and_display() {
    assert_eq!("none".parse::<Compression>().unwrap(), Compression::None);
    assert_eq!("LZ4".parse::<Compression>().unwrap(), Compression::Lz4);
    assert!("zstd"
        .parse::<Compression>()
        .unwrap_err()
        .to_string()
        .contains("zstd"));
    assert_eq!(Compression::Lz4.to_string(), "lz4");
    assert_eq!(Compression::None.to_string(), "none");
    assert_eq!(Compression::default(), Compression::Lz4);
}

fn entry_sets() -> impl Strategy<Value = Entries> {
    let key = prop::collection::vec(any::<u8>(), 0..24);
    let value = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        (any::<u8>(), 0usize..3000).prop_map(|(b, n)| vec![b; n]),
        prop::collection::vec(any::<u8>(), 0..3000),
    ];
    prop::collection::btree_map(key, value, 0..120)
        .prop_map(|m: BTreeMap<_, _>| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_entry_sets_round_trip(entries in entry_sets(), lz4 in any::<bool>(), snapshot_ts in any::<u64>(), wal_lsn in any::<u64>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.ickp");
        let compression = if lz4 { Compression::Lz4 } else { Compression::None };
        let meta = Meta { snapshot_ts, wal_lsn, created_unix_ms: 1, compression };
        let source = entries.iter().map(|(k, v)| Ok::<_, Error>((k, v)));
        let summary = checkpoint::write(&path, &meta, source, |_| {}).unwrap();
        prop_assert_eq!(summary.entries, entries.len() as u64);
        let checkpoint = Checkpoint::open(&path).unwrap();
        prop_assert_eq!(checkpoint.meta(), &meta);
        prop_assert_eq!(checkpoint.entry_count(), entries.len() as u64);
        prop_assert_eq!(checkpoint.file_size(), summary.bytes);
        let read: Entries = checkpoint.iter().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(read, entries);
    }
}
