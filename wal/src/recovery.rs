//! Recovery: how an open log finds out what survived a crash.
//!
//! # What a crash can leave behind
//!
//! Appends only ever go to the end of the last segment, one write(2) per record.
//! When the process dies, the last record may have been written in part; when the
//! machine dies, records written since the last fsync may be missing, cut short or,
//! on some file systems, replaced by zeros. Everything else is sealed: a segment is
//! fsynced before appends move on to the next one, a base is fsynced before the
//! manifest names it, and the manifest itself only ever changes by an atomic rename.
//! So damage from a crash lies in one place only, the tail of the last segment, and
//! damage anywhere else means the disk (or a person) changed bytes behind our back.
//!
//! # What recovery does
//!
//! 1. Read `MANIFEST`. It names the base (if any) and the segments in log order. No
//!    manifest in a directory with other files means "not a log": nothing is
//!    touched. A manifest that does not parse (empty, garbage, failed checksum) is
//!    corruption naming it. A named file that is missing is an error, never
//!    silently skipped.
//! 2. Scan every file front to back: check its header (magic, version, kind, the
//!    LSN the manifest expects), then each frame (length within bounds, CRC-32 of
//!    length and payload). Segments must chain: each starts at the LSN after the
//!    last record of the one before.
//! 3. Classify the first bad frame. It is a *torn tail* when it is in the last
//!    segment and looks like an interrupted write: the frame runs past the end of
//!    the file, or it ends exactly at the end of the file with a bad checksum, and
//!    no complete, CRC-valid frame starts anywhere after its start (see
//!    `resync.rs`: a damaged length field also makes a frame run past the
//!    end, but leaves the valid records behind it; when too many offsets after it
//!    claim a frame for the search to try them all, the search gives up and the
//!    frame counts as torn, and the warning says so); or only zeros follow it. A torn
//!    tail is cut off (the file is truncated to the
//!    last good frame and the new length fsynced) and reported as a
//!    [`Warning::TornTail`]. Any other bad frame is *corruption*: the open fails
//!    with [`Error::Corrupt`] naming file and offset, because silently dropping it
//!    would also drop every acknowledged record after it. `isolde check-wal`
//!    ([`check`]) shows it; `--fix` ([`repair`]) cuts the log there on request,
//!    after reporting what that drops.
//! 4. Delete leftovers the manifest does not name (a segment created just before a
//!    crash, the files a finished rewrite replaced, a half-written base, a
//!    `MANIFEST.tmp`). They are garbage by construction: nothing is appended to a
//!    file before the manifest names it.
//!
//! # Why it is safe
//!
//! Under `always`, a record is acknowledged only after an fdatasync that covers it,
//! so it lies in the durable prefix of its segment and never in a torn tail: no
//! acknowledged record is lost. A record is either entirely valid (its CRC matches)
//! or not returned at all, so the caller never sees half a record, and because the
//! scan stops at the first bad frame, what survives is always a prefix of the log.
//! The one thing recovery cannot tell apart is a bit flipped by the disk inside the
//! very last record from a torn write of that record; both are cut off with a
//! warning. A flip in the length of any earlier record of the last segment leaves
//! valid frames after the damaged one, which the resynchronising search finds, so
//! it stops the open instead of dropping them, unless it gives up first: that takes
//! a tail of tens of MiB of incompressible records after the damaged length, and
//! what is cut is then named in the warning.
//!
//! # Records the caller cannot decode
//!
//! This crate checks framing only. A record whose checksum is valid but whose
//! payload the caller cannot decode (a bug, or a record kind from a newer build) is
//! the caller's to report: [`Records::location`](crate::Records::location) names
//! the file and frame offset of each record handed out, for its error, and
//! [`check_with`] and [`repair_with`] take the caller's decoder, so `check-wal`
//! reports such a record at that same place and `--fix` can cut there.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::io::{Io, OsIo};
use crate::manifest::{Entry, Manifest, MANIFEST_TMP_NAME};
use crate::options::Options;
use crate::record::{FrameError, FrameReader, FRAME_HEADER_LEN};
use crate::resync::{self, Resync};
use crate::segment::{self, FileKind, Header, HEADER_LEN};
use crate::writer::{Log, Recovered};
use crate::Lsn;

/// What opening a log found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Things cut off or cleaned up; empty after a clean shutdown.
    pub warnings: Vec<Warning>,
    /// Files read (base and segments).
    pub files_scanned: usize,
    /// Valid records found in them.
    pub records_scanned: u64,
    /// Bytes read, headers included.
    pub bytes_scanned: u64,
    /// LSN of the last record in the log; 0 when no record was ever written.
    pub last_lsn: Lsn,
}

/// Something recovery repaired on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A record at the end of the last segment was incomplete (a crash in mid-write)
    /// and was cut off: `bytes_dropped` bytes from `offset` on.
    TornTail {
        file: PathBuf,
        offset: u64,
        bytes_dropped: u64,
        reason: String,
    },
    /// A file the manifest does not name was left by an interrupted segment switch
    /// or rewrite and was deleted.
    OrphanRemoved { file: PathBuf },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::TornTail { file, offset, bytes_dropped, reason } => write!(
                f,
                "torn tail cut off: {} from byte offset {offset}, {bytes_dropped} bytes dropped ({reason})",
                file.display()
            ),
            Warning::OrphanRemoved { file } => write!(f, "removed leftover file {}", file.display()),
        }
    }
}

/// The first record that failed to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub file: PathBuf,
    pub offset: u64,
    pub reason: String,
    /// Whether it looks like a crash in mid-write at the end of the log (which open
    /// cuts off by itself) rather than corruption (which stops the open).
    pub torn_tail: bool,
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub files_scanned: usize,
    /// Valid records before the first bad one.
    pub records: u64,
    pub bytes: u64,
    /// LSN of the last valid record; 0 when there is none.
    pub last_lsn: Lsn,
    /// The first bad record, if any.
    pub bad: Option<BadRecord>,
}

/// What [`repair`] cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    /// Where the log was cut; `None` when it was already sound and nothing changed.
    pub cut_at: Option<BadRecord>,
    /// Bytes removed: the rest of the damaged file and every later file.
    pub bytes_dropped: u64,
    /// Valid-looking records after the cut that are lost (a lower bound: framing
    /// after a damaged length cannot be trusted).
    pub records_lost: u64,
    /// Files deleted whole.
    pub files_removed: Vec<PathBuf>,
}

/// One file as the scan saw it.
pub(crate) struct FileScan {
    pub(crate) records: u64,
    pub(crate) file_len: u64,
}

pub(crate) struct Bad {
    pub(crate) record: BadRecord,
    file_index: usize,
    file_len: u64,
    /// Where framing plausibly resumes after the bad frame (for counting losses).
    resume_at: Option<u64>,
}

pub(crate) struct Scan {
    pub(crate) files: Vec<FileScan>,
    pub(crate) bad: Option<Bad>,
    pub(crate) next_lsn: Lsn,
    pub(crate) bytes: u64,
}

impl Scan {
    fn records(&self) -> u64 {
        self.files.iter().map(|f| f.records).sum()
    }
}

/// Opens the log in `dir` through `io`, creating it when the directory is absent or
/// empty, and recovers it.
pub(crate) fn open(
    dir: &Path,
    options: Options,
    io: Arc<dyn Io>,
) -> Result<(Log, Recovery), Error> {
    io.create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let manifest = match Manifest::load(&*io, dir)? {
        Some(m) => m,
        None => create(&*io, dir)?,
    };
    let scan = scan(&*io, dir, &manifest, &mut accept_all)?;
    let mut recovery = Recovery {
        files_scanned: scan.files.len(),
        records_scanned: scan.records(),
        bytes_scanned: scan.bytes,
        last_lsn: scan.next_lsn - 1,
        warnings: Vec::new(),
    };
    let mut sizes: Vec<u64> = scan.files.iter().map(|f| f.file_len).collect();
    if let Some(bad) = &scan.bad {
        if !bad.record.torn_tail {
            return Err(Error::corrupt(
                &bad.record.file,
                bad.record.offset,
                bad.record.reason.clone(),
            ));
        }
        let kept = cut_torn_tail(&*io, &manifest, bad)?;
        if let Some(size) = sizes.last_mut() {
            *size = kept;
        }
        recovery.warnings.push(Warning::TornTail {
            file: bad.record.file.clone(),
            offset: bad.record.offset,
            bytes_dropped: bad.file_len - bad.record.offset,
            reason: bad.record.reason.clone(),
        });
    }
    remove_orphans(&*io, dir, &manifest, &mut recovery.warnings)?;
    let rewrite_base_size = match manifest.base {
        Some(_) => sizes[0],
        None => sizes.iter().sum(),
    };
    let recovered = Recovered {
        active_records: scan.files.last().map_or(0, |f| f.records),
        next_lsn: scan.next_lsn,
        manifest,
        sizes,
        rewrite_base_size,
    };
    let log = Log::start(dir, io, options, recovered)?;
    Ok((log, recovery))
}

/// Creates a new log in `dir`, which must hold nothing but leftovers of an earlier
/// creation that crashed before its manifest was written.
fn create(io: &dyn Io, dir: &Path) -> Result<Manifest, Error> {
    let names = io.list_dir(dir).map_err(|e| Error::io(dir, e))?;
    for name in &names {
        let leftover = name == MANIFEST_TMP_NAME
            || (name == &segment::segment_name(1)
                && io
                    .file_len(&dir.join(name))
                    .map_err(|e| Error::io(dir.join(name), e))?
                    <= HEADER_LEN as u64);
        if !leftover {
            return Err(Error::NotALog {
                path: dir.to_path_buf(),
            });
        }
    }
    let name = segment::segment_name(1);
    let path = dir.join(&name);
    segment::create_file(
        io,
        &path,
        Header {
            kind: FileKind::Segment,
            first_lsn: 1,
        },
    )?;
    let manifest = Manifest {
        generation: 1,
        base: None,
        segments: vec![Entry { name, lsn: 1 }],
    };
    manifest.store(io, dir)?;
    Ok(manifest)
}

/// Cuts the torn tail off the last segment; returns the segment's new length.
fn cut_torn_tail(io: &dyn Io, manifest: &Manifest, bad: &Bad) -> Result<u64, Error> {
    let path = &bad.record.file;
    if bad.record.offset >= HEADER_LEN as u64 {
        io.truncate(path, bad.record.offset)
            .map_err(|e| Error::io(path, e))?;
        return Ok(bad.record.offset);
    }
    // The segment's own header is torn: write it again.
    let lsn = manifest.segments[manifest.segments.len() - 1].lsn;
    segment::create_file(
        io,
        path,
        Header {
            kind: FileKind::Segment,
            first_lsn: lsn,
        },
    )?;
    Ok(HEADER_LEN as u64)
}

fn remove_orphans(
    io: &dyn Io,
    dir: &Path,
    manifest: &Manifest,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let names = io.list_dir(dir).map_err(|e| Error::io(dir, e))?;
    for name in names {
        let named = manifest.files().any(|e| e.name == name);
        if (segment::is_log_file_name(&name) && !named) || name == MANIFEST_TMP_NAME {
            let path = dir.join(&name);
            io.remove(&path).map_err(|e| Error::io(&path, e))?;
            warnings.push(Warning::OrphanRemoved { file: path });
        }
    }
    Ok(())
}

/// A payload check that accepts every record: framing alone is checked.
fn accept_all(_: &[u8]) -> Result<(), String> {
    Ok(())
}

/// Checks a record's payload: `Err` says why the caller cannot decode it.
type Validate<'a> = dyn FnMut(&[u8]) -> Result<(), String> + 'a;

/// Validates every file the manifest names, stopping at the first bad record.
pub(crate) fn scan(
    io: &dyn Io,
    dir: &Path,
    manifest: &Manifest,
    validate: &mut Validate<'_>,
) -> Result<Scan, Error> {
    let entries: Vec<&Entry> = manifest.files().collect();
    let mut scan = Scan {
        files: Vec::new(),
        bad: None,
        next_lsn: manifest.segments[0].lsn,
        bytes: 0,
    };
    for (index, entry) in entries.iter().enumerate() {
        let kind = if index == 0 && manifest.base.is_some() {
            FileKind::Base
        } else {
            FileKind::Segment
        };
        let is_last = index + 1 == entries.len();
        let place = Place {
            entry,
            kind,
            is_last,
        };
        let (file, bad) = scan_file(io, dir, &place, scan.next_lsn, validate)?;
        let header_ok = bad
            .as_ref()
            .is_none_or(|b| b.record.offset >= HEADER_LEN as u64);
        if kind == FileKind::Segment && header_ok {
            scan.next_lsn = entry.lsn + file.records;
        }
        scan.bytes += file.file_len;
        scan.files.push(file);
        if let Some(mut bad) = bad {
            bad.file_index = index;
            scan.bad = Some(bad);
            break;
        }
    }
    Ok(scan)
}

/// A file of the log and where it stands in it.
struct Place<'a> {
    entry: &'a Entry,
    kind: FileKind,
    is_last: bool,
}

fn scan_file(
    io: &dyn Io,
    dir: &Path,
    place: &Place<'_>,
    expected_lsn: Lsn,
    validate: &mut Validate<'_>,
) -> Result<(FileScan, Option<Bad>), Error> {
    let &Place {
        entry,
        kind,
        is_last,
    } = place;
    let path = dir.join(&entry.name);
    let file_len = match io.file_len(&path) {
        Ok(len) => len,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::MissingSegment { path })
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut file = FileScan {
        records: 0,
        file_len,
    };
    let bad = |offset: u64, reason: String, torn_tail: bool, resume_at: Option<u64>| Bad {
        record: BadRecord {
            file: path.clone(),
            offset,
            reason,
            torn_tail,
        },
        file_index: 0,
        file_len,
        resume_at,
    };
    if file_len < HEADER_LEN as u64 {
        let reason =
            format!("file of {file_len} bytes is shorter than its {HEADER_LEN}-byte header");
        return Ok((
            file,
            Some(bad(0, reason, is_last && kind == FileKind::Segment, None)),
        ));
    }
    let mut reader = io.open_read(&path).map_err(|e| Error::io(&path, e))?;
    let mut header_bytes = [0u8; HEADER_LEN];
    reader
        .read_exact(&mut header_bytes)
        .map_err(|e| Error::io(&path, e))?;
    let header = match Header::decode(&header_bytes, &path) {
        Ok(h) => h,
        Err(Error::Corrupt { offset, reason, .. }) => {
            return Ok((file, Some(bad(offset, reason, false, None))))
        }
        Err(e) => return Err(e),
    };
    if header.kind != kind || header.first_lsn != entry.lsn {
        let reason = format!(
            "header says {:?} at LSN {}, manifest says {kind:?} at LSN {}",
            header.kind, header.first_lsn, entry.lsn
        );
        return Ok((file, Some(bad(0, reason, false, None))));
    }
    if kind == FileKind::Segment && entry.lsn != expected_lsn {
        let reason = format!(
            "LSN gap: segment starts at LSN {}, expected {expected_lsn}",
            entry.lsn
        );
        return Ok((file, Some(bad(0, reason, false, None))));
    }
    let mut frames = FrameReader::new(reader, HEADER_LEN as u64, file_len);
    while let Some(frame) = frames.next_frame().map_err(|e| Error::io(&path, e))? {
        let Err(error) = frame else {
            if let Err(reason) = validate(frames.payload()) {
                let end = frames.offset();
                let start = end - (FRAME_HEADER_LEN + frames.payload().len()) as u64;
                let lsn = match kind {
                    FileKind::Segment => entry.lsn + file.records,
                    FileKind::Base => entry.lsn - 1,
                };
                let reason = format!("record at LSN {lsn} does not decode: {reason}");
                return Ok((file, Some(bad(start, reason, false, Some(end)))));
            }
            file.records += 1;
            continue;
        };
        let offset = frames.offset();
        let verdict = if is_last && kind == FileKind::Segment {
            classify_in_last_segment(io, &path, offset, file_len, &error)?
        } else {
            Verdict::corrupt(&error)
        };
        let record = bad(offset, verdict.reason, verdict.torn, verdict.resume_at);
        return Ok((file, Some(record)));
    }
    Ok((file, None))
}

/// What a bad frame is and where framing resumes after it.
struct Verdict {
    torn: bool,
    reason: String,
    resume_at: Option<u64>,
}

impl Verdict {
    fn corrupt(error: &FrameError) -> Verdict {
        let resume_at = match *error {
            FrameError::ChecksumMismatch { frame_end, .. } => Some(frame_end),
            _ => None,
        };
        Verdict {
            torn: false,
            reason: error.to_string(),
            resume_at,
        }
    }
}

/// Classifies the first bad frame of the last segment, at `offset`: a torn tail when
/// it looks like an interrupted write and nothing valid follows it.
fn classify_in_last_segment(
    io: &dyn Io,
    path: &Path,
    offset: u64,
    file_len: u64,
    error: &FrameError,
) -> Result<Verdict, Error> {
    let reaches_the_end = match *error {
        FrameError::Incomplete { .. } => true,
        FrameError::ChecksumMismatch { frame_end, .. } => frame_end == file_len,
        FrameError::ImpossibleLength(_) => false,
    };
    if !reaches_the_end {
        // Zeros never form a valid frame (see `resync`), so no search is needed.
        let torn = zeros_from(io, path, offset)?;
        return Ok(Verdict {
            torn,
            ..Verdict::corrupt(error)
        });
    }
    Ok(
        match resync::next_valid_frame(io, path, offset + 1, file_len)? {
            Resync::NotFound => Verdict {
                torn: true,
                reason: error.to_string(),
                resume_at: None,
            },
            Resync::Found(at) => Verdict {
                torn: false,
                reason: format!(
                    "{error}, yet a valid record starts at byte offset {at}: \
                 the frame is damaged, not cut short by a crash"
                ),
                resume_at: Some(at),
            },
            Resync::GaveUp { searched_to } => Verdict {
                torn: true,
                reason: format!(
                    "{error}; the search for valid records after it gave up at byte offset \
                 {searched_to} (too many offsets claim a frame), so it is taken for a torn write"
                ),
                resume_at: None,
            },
        },
    )
}

/// Whether every byte of `path` from `offset` on is zero (space a crash allocated
/// but never filled).
fn zeros_from(io: &dyn Io, path: &Path, offset: u64) -> Result<bool, Error> {
    let map = |e| Error::io(path, e);
    let mut reader = io.open_read(path).map_err(map)?;
    io::copy(&mut (&mut reader).take(offset), &mut io::sink()).map_err(map)?;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut buf).map_err(map)?;
        if n == 0 {
            return Ok(true);
        }
        if buf[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
    }
}

/// Counts the valid records of `path` from `offset` until the first bad one.
fn count_records(io: &dyn Io, path: &Path, offset: u64, file_len: u64) -> Result<u64, Error> {
    let map = |e| Error::io(path, e);
    let mut reader = io.open_read(path).map_err(map)?;
    io::copy(&mut (&mut reader).take(offset), &mut io::sink()).map_err(map)?;
    let mut frames = FrameReader::new(reader, offset, file_len);
    let mut count = 0;
    while let Some(Ok(())) = frames.next_frame().map_err(map)? {
        count += 1;
    }
    Ok(count)
}

/// Scans the log in `dir` without changing anything and reports the first bad
/// record, if any (`isolde check-wal`). Checks framing only; see [`check_with`].
pub fn check(dir: &Path) -> Result<CheckReport, Error> {
    check_with(dir, &mut accept_all)
}

/// [`check`], also passing every CRC-valid payload to `validate` (the caller's
/// decoder): the first it rejects is reported as the bad record, at its frame's
/// offset, with the LSN and the reason `validate` gave.
pub fn check_with(
    dir: &Path,
    validate: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<CheckReport, Error> {
    let io = OsIo;
    let manifest = load_existing(&io, dir)?;
    let scan = scan(&io, dir, &manifest, validate)?;
    Ok(CheckReport {
        files_scanned: scan.files.len(),
        records: scan.records(),
        bytes: scan.bytes,
        last_lsn: scan.next_lsn - 1,
        bad: scan.bad.map(|b| b.record),
    })
}

fn load_existing(io: &dyn Io, dir: &Path) -> Result<Manifest, Error> {
    Manifest::load(io, dir)?.ok_or_else(|| Error::NotALog {
        path: dir.to_path_buf(),
    })
}

/// Cuts the log in `dir` at its first bad record (`isolde check-wal --fix`):
/// truncates the damaged file there, drops every later file, and reports what was
/// lost. A log without bad records is left as it is. Checks framing only; see
/// [`repair_with`].
pub fn repair(dir: &Path) -> Result<RepairReport, Error> {
    repair_with(dir, &mut accept_all)
}

/// [`repair`], cutting at the first record that is bad either in its framing or to
/// `validate` (the caller's decoder), as [`check_with`] reports it.
pub fn repair_with(
    dir: &Path,
    validate: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<RepairReport, Error> {
    let io = OsIo;
    let manifest = load_existing(&io, dir)?;
    let scan = scan(&io, dir, &manifest, validate)?;
    let Some(bad) = scan.bad else {
        return Ok(RepairReport {
            cut_at: None,
            bytes_dropped: 0,
            records_lost: 0,
            files_removed: Vec::new(),
        });
    };
    let entries: Vec<Entry> = manifest.files().cloned().collect();
    let mut records_lost = match bad.resume_at {
        Some(at) if at < bad.file_len => count_records(&io, &bad.record.file, at, bad.file_len)?,
        _ => 0,
    };
    let mut bytes_dropped = bad.file_len - bad.record.offset;
    let mut files_removed = Vec::new();
    for entry in &entries[bad.file_index + 1..] {
        let path = dir.join(&entry.name);
        let len = io.file_len(&path).map_err(|e| Error::io(&path, e))?;
        records_lost += count_records(&io, &path, HEADER_LEN as u64, len)?;
        bytes_dropped += len;
        files_removed.push(path);
    }
    let keeps_damaged = bad.record.offset >= HEADER_LEN as u64;
    if keeps_damaged {
        io.truncate(&bad.record.file, bad.record.offset)
            .map_err(|e| Error::io(&bad.record.file, e))?;
    } else {
        files_removed.push(bad.record.file.clone());
    }
    let kept = bad.file_index + usize::from(keeps_damaged);
    let new_manifest = cut_manifest(&io, dir, &manifest, kept, scan.next_lsn)?;
    new_manifest.store(&io, dir)?;
    // A segment recreated under the name of a dropped one is not removed.
    let renamed = |path: &PathBuf| new_manifest.files().any(|e| dir.join(&e.name) == *path);
    for path in files_removed.iter().filter(|p| !renamed(p)) {
        io.remove(path).map_err(|e| Error::io(path, e))?;
    }
    Ok(RepairReport {
        cut_at: Some(bad.record),
        bytes_dropped,
        records_lost,
        files_removed,
    })
}

/// The manifest keeping only the first `kept` files, with a fresh empty segment at
/// `next_lsn` when no segment remains to append to.
fn cut_manifest(
    io: &dyn Io,
    dir: &Path,
    manifest: &Manifest,
    kept: usize,
    next_lsn: Lsn,
) -> Result<Manifest, Error> {
    let has_base = usize::from(manifest.base.is_some());
    let mut cut = Manifest {
        generation: manifest.generation + 1,
        base: manifest.base.clone().filter(|_| kept > 0),
        segments: manifest.segments[..kept.saturating_sub(has_base)].to_vec(),
    };
    if cut.segments.is_empty() {
        let first_lsn = cut.base.as_ref().map_or(next_lsn, |b| b.lsn);
        let name = segment::segment_name(first_lsn);
        segment::create_file(
            io,
            &dir.join(&name),
            Header {
                kind: FileKind::Segment,
                first_lsn,
            },
        )?;
        cut.segments.push(Entry {
            name,
            lsn: first_lsn,
        });
    }
    Ok(cut)
}
