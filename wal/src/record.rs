//! Record framing: how one opaque payload is laid out on disk and read back.
//!
//! | offset | size | field   | meaning                                              |
//! |--------|------|---------|------------------------------------------------------|
//! | 0      | 4    | length  | payload length in bytes, u32 little-endian           |
//! | 4      | 4    | crc32   | CRC-32 (IEEE) of the 4 length bytes then the payload |
//! | 8      | n    | payload | the record, opaque to this crate                     |
//!
//! The checksum covers the length too, so a flipped bit in the length is caught
//! even when the damaged length still points inside the file. Records carry no LSN:
//! a record's LSN is its segment's first LSN plus its index in the segment.

use std::io::{self, Read};
use std::ops::Range;

/// Bytes before the payload of every record.
pub const FRAME_HEADER_LEN: usize = 8;
/// Where the payload length (u32, little-endian) sits in the frame header.
pub const LEN_FIELD: Range<usize> = 0..4;
/// Where the CRC-32 of length and payload (u32, little-endian) sits in the frame header.
pub const CRC_FIELD: Range<usize> = 4..8;
/// The largest payload accepted; a longer length on disk is reported as impossible.
pub const MAX_RECORD_LEN: usize = 1 << 30;

fn checksum(len_bytes: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(len_bytes);
    hasher.update(payload);
    hasher.finalize()
}

/// Appends the frame of `payload` to `out`. The caller has checked the length
/// against [`MAX_RECORD_LEN`], so it fits a u32.
pub(crate) fn encode(payload: &[u8], out: &mut Vec<u8>) {
    let len = (payload.len() as u32).to_le_bytes();
    let crc = checksum(&len, payload).to_le_bytes();
    let mut header = [0u8; FRAME_HEADER_LEN];
    header[LEN_FIELD].copy_from_slice(&len);
    header[CRC_FIELD].copy_from_slice(&crc);
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
}

/// Why the bytes at some offset are not a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// The frame runs past the end of the file: `needed` bytes from the frame start,
    /// only `available` there.
    Incomplete { needed: u64, available: u64 },
    /// The length field exceeds [`MAX_RECORD_LEN`].
    ImpossibleLength(u32),
    /// The stored checksum does not match the bytes. `frame_end` is where the frame
    /// would end if its length were right.
    ChecksumMismatch {
        stored: u32,
        computed: u32,
        frame_end: u64,
    },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Incomplete { needed, available } => write!(
                f,
                "incomplete record: {needed} bytes needed, {available} left in the file"
            ),
            FrameError::ImpossibleLength(len) => {
                write!(
                    f,
                    "impossible record length {len} (maximum {MAX_RECORD_LEN})"
                )
            }
            FrameError::ChecksumMismatch {
                stored, computed, ..
            } => write!(
                f,
                "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
        }
    }
}

/// Reads frames sequentially from a reader positioned at `offset`, never looking
/// past `limit` (the file length, or the length a reader snapshotted while appends
/// go on).
pub(crate) struct FrameReader<R> {
    inner: R,
    offset: u64,
    limit: u64,
}

impl<R: Read> FrameReader<R> {
    pub(crate) fn new(inner: R, offset: u64, limit: u64) -> Self {
        FrameReader {
            inner,
            offset,
            limit,
        }
    }

    /// Offset of the next frame.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads the next payload into `payload`. `Ok(None)` at the limit; an inner
    /// `Err(FrameError)` when the bytes at [`Self::offset`] are not a record (the
    /// offset then stays at the start of the bad frame).
    pub(crate) fn next_into(
        &mut self,
        payload: &mut Vec<u8>,
    ) -> io::Result<Option<Result<(), FrameError>>> {
        let available = self.limit - self.offset;
        if available == 0 {
            return Ok(None);
        }
        if available < FRAME_HEADER_LEN as u64 {
            return Ok(Some(Err(FrameError::Incomplete {
                needed: FRAME_HEADER_LEN as u64,
                available,
            })));
        }
        let mut header = [0u8; FRAME_HEADER_LEN];
        self.inner.read_exact(&mut header)?;
        let len_bytes: [u8; 4] = [header[0], header[1], header[2], header[3]];
        let len = u32::from_le_bytes(len_bytes);
        let stored = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len as usize > MAX_RECORD_LEN {
            return Ok(Some(Err(FrameError::ImpossibleLength(len))));
        }
        let needed = FRAME_HEADER_LEN as u64 + u64::from(len);
        if needed > available {
            return Ok(Some(Err(FrameError::Incomplete { needed, available })));
        }
        payload.resize(len as usize, 0);
        self.inner.read_exact(payload)?;
        let computed = checksum(&len_bytes, payload);
        if computed != stored {
            return Ok(Some(Err(FrameError::ChecksumMismatch {
                stored,
                computed,
                frame_end: self.offset + needed,
            })));
        }
        self.offset += needed;
        Ok(Some(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            encode(p, &mut out);
        }
        out
    }

    #[test]
    fn encoded_frames_read_back_in_order() {
        let bytes = frames(&[b"one", b"", b"three"]);
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
        let mut got = Vec::new();
        let mut buf = Vec::new();
        while let Some(frame) = reader.next_into(&mut buf).unwrap() {
            frame.unwrap();
            got.push(buf.clone());
        }
        assert_eq!(got, vec![b"one".to_vec(), vec![], b"three".to_vec()]);
    }

    #[test]
    fn a_flipped_length_bit_is_caught_by_the_checksum() {
        let mut bytes = frames(&[b"abcdef", b"ghijkl"]);
        bytes[0] ^= 0x02; // length 6 -> 4: still inside the file
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
        let result = reader.next_into(&mut Vec::new()).unwrap().unwrap();
        assert!(matches!(result, Err(FrameError::ChecksumMismatch { .. })));
    }

    #[test]
    fn a_huge_length_is_impossible_not_incomplete() {
        let mut bytes = frames(&[b"x"]);
        bytes[3] = 0x80;
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
        let result = reader.next_into(&mut Vec::new()).unwrap().unwrap();
        assert!(matches!(result, Err(FrameError::ImpossibleLength(_))));
    }
}
