//! A damaged checkpoint is refused with an error naming the file, never loaded and never a
//! panic: a flipped byte anywhere, a cut at any length, a foreign file, a newer format, and
//! a hand-crafted block whose checksums are right but whose content lies.

use std::path::{Path, PathBuf};

use isolde_engine::checkpoint::{self, Checkpoint, Compression, Error, Meta};
use proptest::prelude::*;

const HEADER_LEN: usize = 44;
const BLOCK_HEADER_LEN: usize = 16;
const FOOTER_LEN: usize = 32;

fn write(dir: &Path, compression: Compression, n: usize) -> (PathBuf, Vec<u8>) {
    let path = dir.join("c.ickp");
    let meta = Meta {
        snapshot_ts: 7,
        wal_lsn: 70,
        created_unix_ms: 700,
        compression,
    };
    let entries = (0..n).map(|i| {
        Ok::<_, Error>((
            format!("key{i:05}"),
            format!("value {i} {}", "x".repeat(i % 40)),
        ))
    });
    checkpoint::write(&path, &meta, entries, |_| {}).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// Opens `bytes` as a checkpoint file; if it opens, iterates it, so that a damage the
/// open missed would at least have to survive the reader.
fn open_bytes(path: &Path, bytes: &[u8]) -> Result<u64, Error> {
    std::fs::write(path, bytes).unwrap();
    let checkpoint = Checkpoint::open(path)?;
    checkpoint
        .iter()
        .try_fold(0, |n, entry| entry.map(|_| n + 1))
}

fn assert_refused(path: &Path, bytes: &[u8], what: &str) {
    match open_bytes(path, bytes) {
        Ok(n) => panic!("{what}: opened with {n} entries"),
        Err(e) => assert!(
            e.to_string().contains(&path.display().to_string()),
            "{what}: {e}"
        ),
    }
}

#[test]
fn a_flipped_byte_at_every_offset_of_a_small_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    for compression in [Compression::None, Compression::Lz4] {
        let (path, good) = write(dir.path(), compression, 12);
        let target = dir.path().join("damaged.ickp");
        for offset in 0..good.len() {
            for mask in [0x01, 0xff] {
                let mut bad = good.clone();
                bad[offset] ^= mask;
                assert_refused(
                    &target,
                    &bad,
                    &format!("{compression}: byte {offset} ^ {mask:#x}"),
                );
            }
        }
        assert_eq!(open_bytes(&path, &good).unwrap(), 12);
    }
}

#[test]
fn a_flipped_byte_in_a_dense_sample_of_a_multi_block_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    for compression in [Compression::None, Compression::Lz4] {
        let (_, good) = write(dir.path(), compression, 6_000);
        let target = dir.path().join("damaged.ickp");
        let edges = (0..HEADER_LEN + BLOCK_HEADER_LEN).chain(good.len() - FOOTER_LEN..good.len());
        for offset in edges.chain((0..good.len()).step_by(389)) {
            let mut bad = good.clone();
            bad[offset] ^= 0x10;
            assert_refused(&target, &bad, &format!("{compression}: byte {offset}"));
        }
    }
}

#[test]
fn truncation_at_every_length_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (_, good) = write(dir.path(), Compression::Lz4, 30);
    let target = dir.path().join("cut.ickp");
    for len in 0..good.len() {
        assert_refused(&target, &good[..len], &format!("cut at {len}"));
    }
}

#[test]
fn truncation_of_a_multi_block_file_is_reported_as_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let (_, good) = write(dir.path(), Compression::None, 6_000);
    let target = dir.path().join("cut.ickp");
    for len in (HEADER_LEN + FOOTER_LEN..good.len()).step_by(1_009) {
        let err = open_bytes(&target, &good[..len]).unwrap_err();
        assert!(
            matches!(err, Error::Truncated { .. }),
            "cut at {len}: {err}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn a_file_that_is_not_a_checkpoint_is_refused_as_bad_magic() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("notes.ickp");
    for bytes in [
        b"hello, world".repeat(20),
        b"SQLite format 3\0".to_vec(),
        b"x".to_vec(),
    ] {
        let err = open_bytes(&target, &bytes).unwrap_err();
        assert!(matches!(err, Error::BadMagic { .. }), "{err}");
        assert!(
            err.to_string().contains("notes.ickp")
                && err.to_string().contains("not an isolde checkpoint"),
            "{err}"
        );
    }
}

#[test]
fn a_newer_format_version_is_refused_as_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut bytes) = write(dir.path(), Compression::Lz4, 3);
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    let err = open_bytes(&path, &bytes).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedVersion { version: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("c.ickp") && err.to_string().contains("version 2"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = Checkpoint::open(&dir.path().join("nope.ickp")).unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("nope.ickp"),
        "{err}"
    );
}

/// Recomputes every checksum after `edit` changes the payload of the first (raw) block,
/// following the layout documented in the module: what is left is a file whose CRCs all
/// agree but whose entries are malformed.
fn reseal(bytes: &mut [u8], edit: impl FnOnce(&mut [u8])) {
    let block = HEADER_LEN;
    let stored_len = u32::from_le_bytes(bytes[block + 4..block + 8].try_into().unwrap()) as usize;
    let payload = block + BLOCK_HEADER_LEN..block + BLOCK_HEADER_LEN + stored_len;
    edit(&mut bytes[payload.clone()]);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&bytes[block..block + 12]);
    crc.update(&bytes[payload]);
    let block_crc = crc.finalize();
    bytes[block + 12..block + 16].copy_from_slice(&block_crc.to_le_bytes());
    let mut file_crc = crc32fast::Hasher::new();
    file_crc.update(&bytes[40..44]);
    file_crc.update(&block_crc.to_le_bytes());
    let footer = bytes.len() - FOOTER_LEN;
    bytes[footer + 16..footer + 20].copy_from_slice(&file_crc.finalize().to_le_bytes());
    let footer_crc = crc32fast::hash(&bytes[footer..footer + 20]);
    bytes[footer + 20..footer + 24].copy_from_slice(&footer_crc.to_le_bytes());
}

#[test]
fn a_block_with_valid_checksums_but_an_absurd_key_length_fails_while_iterating() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut bytes) = write(dir.path(), Compression::None, 3);
    reseal(&mut bytes, |payload| {
        payload[0..4].copy_from_slice(&u32::MAX.to_le_bytes())
    });
    std::fs::write(&path, &bytes).unwrap();
    let checkpoint = Checkpoint::open(&path).expect("the checksums agree");
    let results: Vec<_> = checkpoint.iter().collect();
    assert_eq!(results.len(), 1, "the iterator stops at the first error");
    let err = results.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(err, Error::Corrupt { offset: 44, .. }), "{err}");
    assert!(
        err.to_string()
            .contains("key of 4294967295 bytes runs past the end of the block"),
        "{err}"
    );
}

#[test]
fn a_block_with_bytes_after_its_last_entry_fails_while_iterating() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut bytes) = write(dir.path(), Compression::None, 2);
    // Shrink the first entry's value length by one: the entries now end a byte early.
    reseal(&mut bytes, |payload| {
        let key_len = u32::from_le_bytes(payload[0..4].try_into().unwrap()) as usize;
        let at = 4 + key_len;
        let value_len = u32::from_le_bytes(payload[at..at + 4].try_into().unwrap());
        payload[at..at + 4].copy_from_slice(&(value_len - 1).to_le_bytes());
    });
    let err = open_bytes(&path, &bytes).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

/// A small valid file, written once for all the cases of the property below.
fn small_lz4_file() -> &'static [u8] {
    static FILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FILE.get_or_init(|| write(tempfile::tempdir().unwrap().path(), Compression::Lz4, 5).1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic_the_reader(tail in prop::collection::vec(any::<u8>(), 0..400), keep_header in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.ickp");
        let good = small_lz4_file();
        let mut bytes = if keep_header { good[..HEADER_LEN].to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&tail);
        prop_assert!(open_bytes(&path, &bytes).is_err());
    }
}
