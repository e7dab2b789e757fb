//! What survives damage: torn tails are cut with a warning, corruption stops the
//! open with file and offset, bad directories are refused untouched.

mod common;

use std::fs;
use std::path::Path;

use common::{open_fast, payload, read_all, segment_files, FaultyIo};
use isolde_wal::{check, check_with, repair, repair_with, Error, FsyncPolicy, Log, Lsn, Warning};

const SEGMENT_SIZE: u64 = 400;

/// Writes `n` records into `dir` and returns them with their LSNs.
fn write_log(dir: &Path, n: u64) -> Vec<(Lsn, Vec<u8>)> {
    let log = open_fast(dir, SEGMENT_SIZE);
    (1..=n)
        .map(|i| (log.write(&payload(i)).unwrap(), payload(i)))
        .collect()
}

fn open_result(dir: &Path) -> Result<(Log, isolde_wal::Recovery), Error> {
    Log::open_with_io(
        dir,
        common::options(FsyncPolicy::No, SEGMENT_SIZE),
        std::sync::Arc::new(FaultyIo::fast()),
    )
}

#[test]
fn truncating_the_last_segment_at_every_byte_recovers_exactly_the_complete_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_log(dir.path(), 30);
    let segments = segment_files(dir.path());
    assert!(segments.len() >= 3, "the test needs several segments");
    let last = segments.last().unwrap();
    let full = fs::read(last).unwrap();
    let first_lsn = open_fast(dir.path(), SEGMENT_SIZE)
        .read_from(1)
        .unwrap()
        .count() as u64
        + 1
        - records_in(&full) as u64;
    // Record boundaries in the last segment: header, then each frame.
    let mut ends = vec![32usize];
    while *ends.last().unwrap() < full.len() {
        let at = *ends.last().unwrap();
        let len = u32::from_le_bytes(full[at..at + 4].try_into().unwrap()) as usize;
        ends.push(at + 8 + len);
    }
    for cut in 0..=full.len() {
        fs::write(last, &full[..cut]).unwrap();
        let (log, recovery) = open_result(dir.path()).unwrap();
        let complete = ends.iter().filter(|&&e| e > 32 && e <= cut).count() as u64;
        let expected: Vec<_> = written
            .iter()
            .filter(|(l, _)| *l < first_lsn + complete)
            .cloned()
            .collect();
        assert_eq!(read_all(&log), expected, "cut at {cut}");
        let at_boundary = ends.contains(&cut);
        assert_eq!(
            recovery.warnings.is_empty(),
            at_boundary,
            "cut at {cut}: {:?}",
            recovery.warnings
        );
        assert_eq!(
            log.write(b"next").unwrap(),
            first_lsn + complete,
            "cut at {cut}"
        );
    }
}

fn records_in(segment: &[u8]) -> usize {
    let mut at = 32;
    let mut n = 0;
    while at < segment.len() {
        at += 8 + u32::from_le_bytes(segment[at..at + 4].try_into().unwrap()) as usize;
        n += 1;
    }
    n
}

#[test]
fn a_flipped_bit_anywhere_in_the_log_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_log(dir.path(), 12);
    for file in segment_files(dir.path()) {
        let original = fs::read(&file).unwrap();
        for byte in 0..original.len() {
            for bit in [byte % 8, (byte + 3) % 8] {
                let mut damaged = original.clone();
                damaged[byte] ^= 1 << bit;
                fs::write(&file, &damaged).unwrap();
                let report = check(dir.path());
                let opened = open_result(dir.path());
                fs::write(&file, &original).unwrap();
                let context = format!("{} byte {byte} bit {bit}", file.display());
                match report {
                    Ok(report) => assert!(report.bad.is_some(), "check missed {context}"),
                    Err(e) => assert!(
                        matches!(e, Error::UnsupportedVersion { .. }),
                        "{context}: {e}"
                    ),
                }
                match opened {
                    Err(Error::Corrupt { file: f, .. }) => assert_eq!(f, file, "{context}"),
                    Err(Error::UnsupportedVersion { .. }) => {
                        assert!((8..12).contains(&byte), "{context}")
                    }
                    Err(e) => panic!("{context}: unexpected {e}"),
                    Ok((log, recovery)) => {
                        let got = read_all(&log);
                        assert!(
                            matches!(recovery.warnings[..], [Warning::TornTail { .. }]),
                            "{context}"
                        );
                        // Only a flip inside the very last record looks like a torn
                        // write: any other would cut off acknowledged records.
                        assert_eq!(got[..], written[..written.len() - 1], "{context}");
                        drop(log);
                        // Undo the cut so the next flip starts from the full log.
                        fs::write(&file, &original).unwrap();
                    }
                }
            }
        }
    }
}

#[test]
fn a_corrupt_record_before_the_end_stops_the_open_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 30);
    let first = &segment_files(dir.path())[0];
    let mut bytes = fs::read(first).unwrap();
    bytes[32 + 8] ^= 0xff; // first payload byte of the first record
    fs::write(first, &bytes).unwrap();
    let err = open_result(dir.path()).err().expect("open must fail");
    match &err {
        Error::Corrupt { file, offset, .. } => {
            assert_eq!(file, first);
            assert_eq!(*offset, 32);
        }
        other => panic!("unexpected {other}"),
    }
    assert!(
        err.to_string().contains("seg-00000000000000000001.wal"),
        "{err}"
    );
    assert!(err.to_string().contains("offset 32"), "{err}");
    assert_eq!(
        fs::read(first).unwrap(),
        bytes,
        "a failed open must not change the file"
    );
}

#[test]
fn repair_cuts_at_the_first_bad_record_and_says_what_it_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_log(dir.path(), 30);
    let segments = segment_files(dir.path());
    let second = &segments[1];
    let mut bytes = fs::read(second).unwrap();
    let second_first_lsn: u64 = second.file_name().unwrap().to_string_lossy()[4..24]
        .parse()
        .unwrap();
    let len = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    bytes[32 + 8 + len + 8] ^= 0x01; // payload of the segment's second record
    fs::write(second, &bytes).unwrap();

    let report = check(dir.path()).unwrap();
    let bad = report.bad.clone().unwrap();
    assert_eq!(
        (bad.file.as_path(), bad.offset, bad.torn_tail),
        (second.as_path(), (32 + 8 + len) as u64, false)
    );
    assert_eq!(report.last_lsn, second_first_lsn);

    let repaired = repair(dir.path()).unwrap();
    assert_eq!(repaired.cut_at, Some(bad));
    assert_eq!(repaired.files_removed, segments[2..].to_vec());
    let lost = written.len() as u64 - second_first_lsn - 1; // all records after the bad one
    assert_eq!(repaired.records_lost, lost);
    assert!(repaired.bytes_dropped > 0);

    assert!(check(dir.path()).unwrap().bad.is_none());
    let (log, recovery) = open_result(dir.path()).unwrap();
    assert!(recovery.warnings.is_empty());
    assert_eq!(
        read_all(&log),
        written[..second_first_lsn as usize].to_vec()
    );
    assert_eq!(log.write(b"after repair").unwrap(), second_first_lsn + 1);
}

#[test]
fn repair_of_a_sound_log_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_log(dir.path(), 5);
    let report = repair(dir.path()).unwrap();
    assert_eq!(report.cut_at, None);
    assert_eq!(read_all(&open_fast(dir.path(), SEGMENT_SIZE)), written);
}

#[test]
fn a_directory_with_other_files_and_no_manifest_is_not_a_log_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
    let err = open_result(dir.path()).err().expect("must refuse");
    assert!(matches!(err, Error::NotALog { .. }), "{err}");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("notes.txt")]);
    assert!(matches!(check(dir.path()), Err(Error::NotALog { .. })));
}

#[test]
fn a_segment_with_an_unknown_format_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 10);
    let last = segment_files(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&last).unwrap();
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    fs::write(&last, &bytes).unwrap();
    let err = open_result(dir.path()).err().expect("must refuse");
    assert!(
        matches!(&err, Error::UnsupportedVersion { version: 2, file } if *file == last),
        "{err}"
    );
    assert_eq!(fs::read(&last).unwrap(), bytes);
    assert!(matches!(
        repair(dir.path()),
        Err(Error::UnsupportedVersion { .. })
    ));
}

#[test]
fn a_segment_missing_from_the_directory_is_an_error_and_nothing_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 30);
    let segments = segment_files(dir.path());
    fs::remove_file(&segments[1]).unwrap();
    let err = open_result(dir.path()).err().expect("must refuse");
    assert!(
        matches!(&err, Error::MissingSegment { path } if *path == segments[1]),
        "{err}"
    );
    assert_eq!(segment_files(dir.path()).len(), segments.len() - 1);
}

#[test]
fn leftover_files_of_an_interrupted_switch_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_log(dir.path(), 3);
    fs::write(dir.path().join("seg-00000000000000000099.wal"), b"half").unwrap();
    fs::write(dir.path().join("MANIFEST.tmp"), b"half").unwrap();
    let (log, recovery) = open_result(dir.path()).unwrap();
    assert_eq!(recovery.warnings.len(), 2, "{:?}", recovery.warnings);
    assert!(!dir.path().join("MANIFEST.tmp").exists());
    assert_eq!(read_all(&log), written);
}

#[test]
fn zeros_after_the_last_record_are_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_log(dir.path(), 3);
    let last = segment_files(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&last).unwrap();
    bytes.extend_from_slice(&[0u8; 100]);
    fs::write(&last, &bytes).unwrap();
    let (log, recovery) = open_result(dir.path()).unwrap();
    assert!(matches!(
        recovery.warnings[..],
        [Warning::TornTail {
            bytes_dropped: 100,
            ..
        }]
    ));
    assert_eq!(read_all(&log), written);
}

/// Writes `n` records into one segment of `dir` and returns the segment and the
/// offset of each record's frame.
fn one_segment_log(dir: &Path, n: u64) -> (std::path::PathBuf, Vec<u64>) {
    let log = common::open_fast(dir, 1 << 20);
    let mut offsets = vec![32u64];
    for i in 1..=n {
        log.write(&payload(i)).unwrap();
        offsets.push(offsets.last().unwrap() + 8 + payload(i).len() as u64);
    }
    offsets.pop();
    drop(log);
    let segments = segment_files(dir);
    assert_eq!(segments.len(), 1);
    (segments[0].clone(), offsets)
}

#[test]
fn a_damaged_length_that_runs_past_the_end_of_the_last_segment_is_corruption_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, offsets) = one_segment_log(dir.path(), 3);
    let original = fs::read(&segment).unwrap();
    // Every record but the last: a length byte set so the frame runs past the end.
    for (record, &at) in offsets[..2].iter().enumerate() {
        for byte in 1..4 {
            let mut damaged = original.clone();
            damaged[at as usize + byte] |= 0x01;
            fs::write(&segment, &damaged).unwrap();
            let context = format!("record {record} length byte {byte}");

            let bad = check(dir.path()).unwrap().bad.expect(&context);
            assert_eq!((bad.offset, bad.torn_tail), (at, false), "{context}");
            let err = open_result(dir.path()).err().expect(&context);
            assert!(
                matches!(&err, Error::Corrupt { file, offset, .. } if *file == segment && *offset == at),
                "{context}: {err}"
            );
            assert_eq!(fs::read(&segment).unwrap(), damaged, "{context}");
            assert!(
                err.to_string().contains(&format!(
                    "valid record starts at byte offset {}",
                    offsets[record + 1]
                )),
                "{context}: {err}"
            );
        }
    }
    fs::write(&segment, &original).unwrap();
}

#[test]
fn repair_cuts_at_a_damaged_length_and_counts_the_records_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, offsets) = one_segment_log(dir.path(), 3);
    let mut bytes = fs::read(&segment).unwrap();
    let at = offsets[1] as usize;
    bytes[at..at + 4].copy_from_slice(&0x3f00_0000u32.to_le_bytes());
    fs::write(&segment, &bytes).unwrap();
    let report = repair(dir.path()).unwrap();
    let cut = report.cut_at.expect("a cut");
    assert_eq!((cut.offset, cut.torn_tail), (offsets[1], false));
    assert_eq!(report.records_lost, 1, "the third record, found by resync");
    let (log, recovery) = open_result(dir.path()).unwrap();
    assert!(recovery.warnings.is_empty(), "{:?}", recovery.warnings);
    assert_eq!(read_all(&log), vec![(1, payload(1))]);
}

#[test]
fn a_torn_last_record_whose_length_runs_past_the_end_is_still_cut_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, offsets) = one_segment_log(dir.path(), 3);
    let mut bytes = fs::read(&segment).unwrap();
    let at = offsets[2] as usize;
    // A crash in mid-write of a longer third record: its length, a piece of payload.
    bytes.truncate(at);
    bytes.extend_from_slice(&500u32.to_le_bytes());
    bytes.extend_from_slice(&[0xab; 4]);
    bytes.extend_from_slice(&[0x5c; 100]);
    fs::write(&segment, &bytes).unwrap();
    assert!(check(dir.path()).unwrap().bad.unwrap().torn_tail);
    let (log, recovery) = open_result(dir.path()).unwrap();
    assert!(
        matches!(&recovery.warnings[..], [Warning::TornTail { offset, .. }] if *offset == at as u64),
        "{:?}",
        recovery.warnings
    );
    assert_eq!(read_all(&log), vec![(1, payload(1)), (2, payload(2))]);
}

/// `len` bytes that do not compress (xorshift64), as a compressed or encrypted value.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn a_crash_in_mid_write_of_a_record_of_several_mebibytes_of_random_bytes_is_cut_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_fast(dir.path(), 64 << 20);
    log.write(b"first").unwrap();
    log.write(&random_bytes(4 << 20)).unwrap();
    drop(log);
    let segments = segment_files(dir.path());
    let [segment] = &segments[..] else {
        panic!("one segment expected: {segments:?}");
    };
    let start = 32 + 8 + b"first".len() as u64;
    let full = fs::metadata(segment).unwrap().len();
    // The crash wrote the frame header and half of the payload.
    let torn_at = start + 8 + (2 << 20);
    fs::File::options()
        .write(true)
        .open(segment)
        .unwrap()
        .set_len(torn_at)
        .unwrap();
    assert_eq!(full, start + 8 + (4 << 20));

    let bad = check(dir.path()).unwrap().bad.unwrap();
    assert_eq!((bad.offset, bad.torn_tail), (start, true), "{}", bad.reason);
    let (log, recovery) = open_result(dir.path()).unwrap();
    assert!(
        matches!(&recovery.warnings[..],
            [Warning::TornTail { offset, bytes_dropped, .. }]
                if *offset == start && *bytes_dropped == torn_at - start),
        "{:?}",
        recovery.warnings
    );
    assert_eq!(read_all(&log), vec![(1, b"first".to_vec())]);
    assert_eq!(fs::metadata(segment).unwrap().len(), start);
}

#[test]
fn a_torn_tail_too_costly_to_resync_is_cut_with_a_warning_that_the_search_gave_up() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, offsets) = one_segment_log(dir.path(), 2);
    let mut bytes = fs::read(&segment).unwrap();
    let end = offsets[1] + 8 + payload(2).len() as u64;
    // A torn 4 MiB record whose payload claims, every 4 bytes, a 64 KiB frame: far
    // more claims than the resync checks.
    bytes.extend_from_slice(&(4u32 << 20).to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    for _ in 0..(2 << 20) / 4 {
        bytes.extend_from_slice(&(64u32 << 10).to_le_bytes());
    }
    fs::write(&segment, &bytes).unwrap();
    let bad = check(dir.path()).unwrap().bad.unwrap();
    assert_eq!((bad.offset, bad.torn_tail), (end, true));
    assert!(
        bad.reason.contains("gave up at byte offset"),
        "{}",
        bad.reason
    );
    let (log, recovery) = open_result(dir.path()).unwrap();
    match &recovery.warnings[..] {
        [warning @ Warning::TornTail { offset, .. }] => {
            assert_eq!(*offset, end);
            assert!(warning.to_string().contains("gave up"), "{warning}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read_all(&log), vec![(1, payload(1)), (2, payload(2))]);
}

#[test]
fn a_record_the_caller_cannot_decode_is_reported_by_check_with_and_cut_by_repair_with() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_log(dir.path(), 30);
    let second = segment_files(dir.path())[1].clone();
    // The second segment's first record is the one the caller rejects.
    let first_lsn: Lsn = second.file_name().unwrap().to_string_lossy()[4..24]
        .parse()
        .unwrap();
    let rejected = payload(first_lsn);
    let mut validate = |record: &[u8]| {
        if record == rejected.as_slice() {
            Err("unknown record kind 99".to_string())
        } else {
            Ok(())
        }
    };
    assert!(
        check(dir.path()).unwrap().bad.is_none(),
        "framing alone is sound"
    );
    let report = check_with(dir.path(), &mut validate).unwrap();
    let bad = report.bad.expect("the rejected record");
    assert_eq!(
        (bad.file.as_path(), bad.offset, bad.torn_tail),
        (second.as_path(), 32, false)
    );
    assert!(
        bad.reason.contains(&format!("LSN {first_lsn}")),
        "{}",
        bad.reason
    );
    assert!(
        bad.reason.contains("unknown record kind 99"),
        "{}",
        bad.reason
    );
    assert_eq!(report.last_lsn, first_lsn - 1);

    let repaired = repair_with(dir.path(), &mut validate).unwrap();
    assert_eq!(repaired.cut_at, Some(bad));
    assert_eq!(repaired.records_lost, written.len() as u64 - first_lsn);
    assert!(check_with(dir.path(), &mut validate).unwrap().bad.is_none());
    let log = open_fast(dir.path(), SEGMENT_SIZE);
    assert_eq!(read_all(&log), written[..first_lsn as usize - 1].to_vec());
}

#[test]
fn an_empty_or_garbage_manifest_is_reported_corrupt_naming_it() {
    for content in [&b""[..], b"\x93\x01garbage\xff\n", b"hello\n"] {
        let dir = tempfile::tempdir().unwrap();
        write_log(dir.path(), 3);
        let manifest = dir.path().join("MANIFEST");
        fs::write(&manifest, content).unwrap();
        let before = segment_files(dir.path());
        let err = open_result(dir.path()).err().expect("must refuse");
        assert!(
            matches!(&err, Error::Corrupt { file, .. } if *file == manifest),
            "{content:?}: {err}"
        );
        assert!(err.to_string().contains("MANIFEST"), "{err}");
        assert!(matches!(check(dir.path()), Err(Error::Corrupt { .. })));
        assert_eq!(fs::read(&manifest).unwrap(), content);
        assert_eq!(segment_files(dir.path()), before);
    }
}
