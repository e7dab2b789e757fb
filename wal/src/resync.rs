//! Resynchronisation: looking for a valid frame after a bad one.
//!
//! A frame that runs past the end of the last segment is what a crash in mid-write
//! leaves, but also what one flipped bit in a length field leaves: the damaged
//! length then claims more bytes than the file holds, and every record after it,
//! each complete and checksummed, would be cut off with it. The two differ in what
//! follows the bad frame's start: a torn write is the last thing in the file, so no
//! complete, CRC-valid frame starts anywhere after it. [`next_valid_frame`] tries
//! every byte offset after the bad frame and reports the first where one does.
//!
//! False positives: at a given offset, random bytes form a valid frame only when
//! the length is plausible (fits the file) and the stored CRC-32 matches the
//! computed one, about one chance in 2^32 per offset, so a torn tail of `n` bytes
//! is mistaken for damage with probability around `n / 2^32`. The cost of that
//! mistake is small: the open refuses with an error naming file and offset and
//! `check-wal --fix` cuts at the same place the open would have. Payloads that
//! deliberately embed a valid frame (a user value holding a copy of a log record)
//! hit this every time they are torn; the outcome is the same refusal, never a
//! lost record.
//!
//! Cost: every offset whose length field fits the rest of the file costs a CRC
//! over that many bytes, so crafted or highly regular data could make the search
//! quadratic in the size of the tail. It is therefore given a budget of bytes to
//! hash; when the budget runs out the search gives up, and the caller treats the
//! frame as damage, which again only costs a refused open, never data.

use std::io::{self, Read};
use std::path::Path;

use crate::error::Error;
use crate::io::Io;
use crate::record::{checksum, CRC_FIELD, FRAME_HEADER_LEN, LEN_FIELD, MAX_RECORD_LEN};

/// Bytes the search may hash whatever the size of the tail: enough to clear a torn
/// tail of about a megabyte of random bytes, a few tens of milliseconds of CRC.
const BUDGET_BASE: u64 = 64 << 20;
/// Bytes the search may hash per byte of the tail, on top of [`BUDGET_BASE`].
const BUDGET_PER_BYTE: u64 = 8;

/// What the search found after a bad frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resync {
    /// A complete, CRC-valid frame starts at this file offset.
    Found(u64),
    /// No valid frame starts anywhere in the searched bytes.
    NotFound,
    /// The hashing budget ran out before every offset was tried.
    GaveUp,
}

/// Looks for the first offset in `from..file_len` of `path` where a complete,
/// CRC-valid frame starts. Reads those bytes into memory: they are at most the
/// rest of one file, and this runs only after a bad frame was found.
pub(crate) fn next_valid_frame(
    io: &dyn Io,
    path: &Path,
    from: u64,
    file_len: u64,
) -> Result<Resync, Error> {
    let map = |e| Error::io(path, e);
    let mut reader = io.open_read(path).map_err(map)?;
    io::copy(&mut (&mut reader).take(from), &mut io::sink()).map_err(map)?;
    let mut tail = Vec::new();
    reader
        .take(file_len.saturating_sub(from))
        .read_to_end(&mut tail)
        .map_err(map)?;
    Ok(match first_valid_frame(&tail) {
        Resync::Found(at) => Resync::Found(from + at),
        other => other,
    })
}

/// The first offset in `bytes` where a complete, CRC-valid frame starts.
fn first_valid_frame(bytes: &[u8]) -> Resync {
    let mut budget = BUDGET_BASE + BUDGET_PER_BYTE * bytes.len() as u64;
    for at in 0..bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < FRAME_HEADER_LEN {
            break;
        }
        let len_bytes = [rest[0], rest[1], rest[2], rest[3]];
        let len = u32::from_le_bytes(len_bytes) as usize;
        if len > MAX_RECORD_LEN || len > rest.len() - FRAME_HEADER_LEN {
            continue;
        }
        let Some(left) = budget.checked_sub(len as u64 + LEN_FIELD.len() as u64) else {
            return Resync::GaveUp;
        };
        budget = left;
        let crc = &rest[CRC_FIELD];
        let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        let payload = &rest[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len];
        if checksum(&len_bytes, payload) == stored {
            return Resync::Found(at as u64);
        }
    }
    Resync::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::encode;

    #[test]
    fn a_frame_after_garbage_is_found_at_its_offset() {
        let mut bytes = vec![0x5c; 13];
        encode(b"payload", &mut bytes);
        assert_eq!(first_valid_frame(&bytes), Resync::Found(13));
    }

    #[test]
    fn a_frame_cut_short_is_not_found() {
        let mut bytes = vec![0x5c; 13];
        encode(b"payload", &mut bytes);
        bytes.pop();
        assert_eq!(first_valid_frame(&bytes), Resync::NotFound);
    }

    #[test]
    fn zeros_never_form_a_frame() {
        assert_eq!(first_valid_frame(&[0; 4096]), Resync::NotFound);
    }

    #[test]
    fn the_search_gives_up_when_every_offset_claims_a_long_frame() {
        let claim = (64u32 << 10).to_le_bytes();
        let bytes: Vec<u8> = claim.iter().copied().cycle().take(4 << 20).collect();
        assert_eq!(first_valid_frame(&bytes), Resync::GaveUp);
    }
}
