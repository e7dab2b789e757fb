//! Log files: the header every segment and base file starts with, and file names.
//!
//! | offset | size | field     | meaning                                              |
//! |--------|------|-----------|------------------------------------------------------|
//! | 0      | 8    | magic     | the bytes `ISOLDWAL`                                 |
//! | 8      | 4    | version   | format version, u32 little-endian, currently 1       |
//! | 12     | 4    | kind      | 1 = incremental segment, 2 = base, u32 little-endian |
//! | 16     | 8    | first LSN | segment: LSN of its first record; base: its cut, u64 LE |
//! | 24     | 4    | reserved  | zero                                                 |
//! | 28     | 4    | crc32     | CRC-32 of bytes 0..28, u32 little-endian             |
//!
//! Record frames (see [`crate::record`]) follow from byte 32 to the end of the file.
//! Segments are named `seg-<first LSN, 20 digits>.wal`, bases
//! `base-<cut, 20 digits>-<manifest generation, 20 digits>.wal`, so a directory
//! listing sorts in log order.

use std::ops::Range;
use std::path::Path;

use crate::error::Error;
use crate::io::{Io, IoFile};
use crate::Lsn;

/// The first bytes of every log file.
pub const MAGIC: [u8; 8] = *b"ISOLDWAL";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes before the first record of every log file.
pub const HEADER_LEN: usize = 32;
const MAGIC_FIELD: Range<usize> = 0..8;
const VERSION_FIELD: Range<usize> = 8..12;
const KIND_FIELD: Range<usize> = 12..16;
const FIRST_LSN_FIELD: Range<usize> = 16..24;
const CRC_FIELD: Range<usize> = 28..32;
const CRC_COVERS: Range<usize> = 0..28;

/// What a log file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Records appended one per write, LSNs counting up from the header's first LSN.
    Segment = 1,
    /// A compact rewrite of every record before its cut.
    Base = 2,
}

/// The decoded file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) kind: FileKind,
    pub(crate) first_lsn: Lsn,
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[MAGIC_FIELD].copy_from_slice(&MAGIC);
        out[VERSION_FIELD].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[KIND_FIELD].copy_from_slice(&(self.kind as u32).to_le_bytes());
        out[FIRST_LSN_FIELD].copy_from_slice(&self.first_lsn.to_le_bytes());
        let crc = crc32fast::hash(&out[CRC_COVERS]);
        out[CRC_FIELD].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes a header, checking magic, then version, then checksum, so that a file
    /// of a future version is reported as such rather than as corrupt.
    pub(crate) fn decode(bytes: &[u8; HEADER_LEN], path: &Path) -> Result<Header, Error> {
        let u32_at = |r: Range<usize>| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[r]);
            u32::from_le_bytes(b)
        };
        if bytes[MAGIC_FIELD] != MAGIC {
            return Err(Error::corrupt(path, 0, "bad magic: not an isolde log file"));
        }
        let version = u32_at(VERSION_FIELD);
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                file: path.to_path_buf(),
                version,
            });
        }
        if u32_at(CRC_FIELD) != crc32fast::hash(&bytes[CRC_COVERS]) {
            return Err(Error::corrupt(path, 0, "file header checksum mismatch"));
        }
        let kind = match u32_at(KIND_FIELD) {
            1 => FileKind::Segment,
            2 => FileKind::Base,
            other => {
                return Err(Error::corrupt(
                    path,
                    12,
                    format!("unknown file kind {other}"),
                ))
            }
        };
        let mut lsn = [0u8; 8];
        lsn.copy_from_slice(&bytes[FIRST_LSN_FIELD]);
        Ok(Header {
            kind,
            first_lsn: u64::from_le_bytes(lsn),
        })
    }
}

/// The file name of the segment whose first record has LSN `first_lsn`.
pub(crate) fn segment_name(first_lsn: Lsn) -> String {
    format!("seg-{first_lsn:020}.wal")
}

/// The file name of a base with cut `cut`, written under manifest `generation`.
pub(crate) fn base_name(cut: Lsn, generation: u64) -> String {
    format!("base-{cut:020}-{generation:020}.wal")
}

/// Whether `name` is a file this crate creates (and may clean up when the manifest
/// no longer names it).
pub(crate) fn is_log_file_name(name: &str) -> bool {
    (name.starts_with("seg-") || name.starts_with("base-")) && name.ends_with(".wal")
}

/// Creates `path` with a header and makes the header durable. The directory entry
/// becomes durable with the next manifest switch, which syncs the directory.
pub(crate) fn create_file(
    io: &dyn Io,
    path: &Path,
    header: Header,
) -> Result<Box<dyn IoFile>, Error> {
    let file = io.create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(&header.encode())
        .and_then(|()| file.sync_data())
        .map_err(|e| Error::io(path, e))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let h = Header {
            kind: FileKind::Base,
            first_lsn: 77,
        };
        assert_eq!(Header::decode(&h.encode(), Path::new("x")).unwrap(), h);
    }

    #[test]
    fn unknown_version_is_reported_before_checksum() {
        let mut bytes = Header {
            kind: FileKind::Segment,
            first_lsn: 1,
        }
        .encode();
        bytes[8] = 9;
        let err = Header::decode(&bytes, Path::new("x")).unwrap_err();
        assert!(matches!(err, Error::UnsupportedVersion { version: 9, .. }));
    }
}
