//! Reading back: the lending reader yields exactly what the iterator yields, and
//! bytes that change on disk after open are still caught (only the first reader
//! after open trusts what open's scan validated).

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use common::{open_fast, payload, read_all, segment_files};
use isolde_wal::{Error, Log, Lsn};

const SEGMENT_SIZE: u64 = 400;

fn borrowed_from(log: &Log, from: Lsn) -> Vec<(Lsn, Vec<u8>)> {
    let mut records = log.read_from(from).expect("read_from");
    let mut out = Vec::new();
    while let Some(record) = records.next_borrowed() {
        let (lsn, payload) = record.expect("record");
        out.push((lsn, payload.to_vec()));
    }
    out
}

fn flip_byte(path: &Path, offset: u64) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset).unwrap();
    byte[0] ^= 0xff;
    file.write_all_at(&byte, offset).unwrap();
}

fn assert_corrupt_at(log: &Log, path: &Path, at: u64) {
    let err = log
        .read_from(1)
        .unwrap()
        .find_map(Result::err)
        .expect("the changed byte must be caught");
    match err {
        Error::Corrupt { file, offset, .. } => {
            assert_eq!(file, path);
            assert_eq!(offset, at);
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn borrowed_records_are_the_records_the_iterator_yields() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open_fast(dir.path(), SEGMENT_SIZE);
        for i in 1..=200 {
            log.write(&payload(i)).unwrap();
        }
    }
    let log = open_fast(dir.path(), SEGMENT_SIZE);
    let all = read_all(&log);
    assert_eq!(all.len(), 200);
    for from in [1, 2, 57, 200, 201] {
        let owned: Vec<_> = all
            .iter()
            .filter(|(lsn, _)| *lsn >= from)
            .cloned()
            .collect();
        assert_eq!(borrowed_from(&log, from), owned, "from {from}");
    }
}

#[test]
fn a_byte_changed_on_disk_after_open_is_caught_by_every_later_reader() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open_fast(dir.path(), SEGMENT_SIZE);
        for i in 1..=30 {
            log.write(&payload(i)).unwrap();
        }
    }
    let log = open_fast(dir.path(), SEGMENT_SIZE);
    let first = segment_files(dir.path())[0].clone();
    // The first reader after open is the one allowed to trust open's scan.
    read_all(&log);
    flip_byte(&first, 32 + 8);
    assert_corrupt_at(&log, &first, 32);
    assert_corrupt_at(&log, &first, 32);
}

#[test]
fn records_appended_after_open_are_checksummed_by_the_first_reader() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open_fast(dir.path(), 1 << 20);
        log.write(&payload(1)).unwrap();
    }
    let log = open_fast(dir.path(), 1 << 20);
    let active = segment_files(dir.path())[0].clone();
    let appended_at = log.size_bytes();
    log.write(&payload(2)).unwrap();
    log.write(&payload(3)).unwrap();
    flip_byte(&active, appended_at + 8);
    assert_corrupt_at(&log, &active, appended_at);
}

#[test]
fn each_record_handed_out_names_its_file_and_frame_offset() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open_fast(dir.path(), SEGMENT_SIZE);
        for i in 1..=40 {
            log.write(&payload(i)).unwrap();
        }
    }
    // Where each LSN's frame starts, walking the segments' frames by hand.
    let mut expected = Vec::new();
    for segment in segment_files(dir.path()) {
        let bytes = std::fs::read(&segment).unwrap();
        let mut lsn: Lsn = segment.file_name().unwrap().to_string_lossy()[4..24]
            .parse()
            .unwrap();
        let mut at = 32;
        while at < bytes.len() {
            expected.push((lsn, segment.clone(), at as u64));
            at += 8 + u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            lsn += 1;
        }
    }
    assert_eq!(expected.len(), 40);
    let log = open_fast(dir.path(), SEGMENT_SIZE);
    for from in [1, 13] {
        let mut records = log.read_from(from).unwrap();
        assert_eq!(records.location(), None, "nothing handed out yet");
        let mut got = Vec::new();
        while let Some(record) = records.next_borrowed() {
            let lsn = record.unwrap().0;
            let (file, offset) = records.location().expect("a record was handed out");
            got.push((lsn, file.to_path_buf(), offset));
        }
        assert_eq!(got[..], expected[from as usize - 1..], "from {from}");
    }
}
