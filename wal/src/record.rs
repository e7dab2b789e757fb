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

/// CRC-32 (IEEE) of a frame's length bytes then its payload.
pub(crate) fn checksum(len_bytes: &[u8], payload: &[u8]) -> u32 {
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

/// Most bytes a [`FrameReader`] reads ahead: large enough that the read(2) calls
/// cost little, small enough that the bytes the kernel copies in are still in the
/// L2 cache when the parser gets to them (measured: 128 KiB beat 1 MiB).
const READ_AHEAD: usize = 128 << 10;

/// Reads frames sequentially from a reader positioned at `offset`, never looking
/// past `limit` (the file length, or the length a reader snapshotted while appends
/// go on).
///
/// Frames are parsed in place from a read-ahead buffer filled by large reads: a
/// payload is checked and handed out as a slice of that buffer, never copied on
/// the way. A frame longer than the buffer grows it to fit that frame (its length
/// was first checked against what is left of the file, so a damaged length cannot
/// ask for more memory than the file holds).
pub(crate) struct FrameReader<R> {
    inner: R,
    /// File offset of the next frame, which starts at `buf[start]`.
    offset: u64,
    limit: u64,
    /// Frames that end at or before this offset were checked already and are not
    /// checksummed again (see [`Self::trusting`]).
    checked_until: u64,
    buf: Vec<u8>,
    /// The unparsed bytes read so far are `buf[start..end]`.
    start: usize,
    end: usize,
    /// Payload of the last good frame: `buf[payload.0..payload.1]`.
    payload: (usize, usize),
}

impl<R: Read> FrameReader<R> {
    pub(crate) fn new(inner: R, offset: u64, limit: u64) -> Self {
        let ahead = limit.saturating_sub(offset).min(READ_AHEAD as u64) as usize;
        FrameReader {
            inner,
            offset,
            limit,
            checked_until: 0,
            buf: vec![0; ahead],
            start: 0,
            end: 0,
            payload: (0, 0),
        }
    }

    /// Skips the checksum of frames that end at or before `checked_until`, because
    /// the caller has just validated those bytes; lengths are still bounds-checked.
    pub(crate) fn trusting(mut self, checked_until: u64) -> Self {
        self.checked_until = checked_until;
        self
    }

    /// Offset of the next frame.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The payload of the frame the last successful [`Self::next_frame`] returned.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.buf[self.payload.0..self.payload.1]
    }

    /// Checks the next frame and makes its payload available through
    /// [`Self::payload`]. `Ok(None)` at the limit; an inner `Err(FrameError)` when
    /// the bytes at [`Self::offset`] are not a record (the offset then stays at the
    /// start of the bad frame).
    pub(crate) fn next_frame(&mut self) -> io::Result<Option<Result<(), FrameError>>> {
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
        self.fill(FRAME_HEADER_LEN)?;
        let header = &self.buf[self.start..self.start + FRAME_HEADER_LEN];
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
        // `needed` <= `available`, the bytes left before the limit: it fits a usize
        // as soon as those bytes fit in memory, which `fill` is about to require.
        let needed = needed as usize;
        self.fill(needed)?;
        let payload = (self.start + FRAME_HEADER_LEN, self.start + needed);
        let frame_end = self.offset + needed as u64;
        if frame_end > self.checked_until {
            let computed = checksum(&len_bytes, &self.buf[payload.0..payload.1]);
            if computed != stored {
                return Ok(Some(Err(FrameError::ChecksumMismatch {
                    stored,
                    computed,
                    frame_end,
                })));
            }
        }
        self.payload = payload;
        self.start += needed;
        self.offset = frame_end;
        Ok(Some(Ok(())))
    }

    /// Makes at least `n` unparsed bytes available in `buf[start..]`; the caller has
    /// checked that the file has them before the limit.
    #[inline]
    fn fill(&mut self, n: usize) -> io::Result<()> {
        if self.end - self.start >= n {
            return Ok(());
        }
        self.refill(n)
    }

    #[cold]
    fn refill(&mut self, n: usize) -> io::Result<()> {
        if self.start + n > self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if n > self.buf.len() {
                self.buf.resize(n, 0);
            }
        }
        // Bytes of the file from `offset` up to the limit not yet in the buffer.
        let unread = self.limit - self.offset - (self.end - self.start) as u64;
        let room = (self.buf.len() - self.end).min(usize::try_from(unread).unwrap_or(usize::MAX));
        let want = self.end + room;
        while self.end - self.start < n {
            match self.inner.read(&mut self.buf[self.end..want]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(read) => self.end += read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
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
        while let Some(frame) = reader.next_frame().unwrap() {
            frame.unwrap();
            got.push(reader.payload().to_vec());
        }
        assert_eq!(got, vec![b"one".to_vec(), vec![], b"three".to_vec()]);
    }

    #[test]
    fn a_flipped_length_bit_is_caught_by_the_checksum() {
        let mut bytes = frames(&[b"abcdef", b"ghijkl"]);
        bytes[0] ^= 0x02; // length 6 -> 4: still inside the file
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
        let result = reader.next_frame().unwrap().unwrap();
        assert!(matches!(result, Err(FrameError::ChecksumMismatch { .. })));
    }

    #[test]
    fn a_huge_length_is_impossible_not_incomplete() {
        let mut bytes = frames(&[b"x"]);
        bytes[3] = 0x80;
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
        let result = reader.next_frame().unwrap().unwrap();
        assert!(matches!(result, Err(FrameError::ImpossibleLength(_))));
    }

    /// Hands out at most `chunk` bytes per read and counts what it handed out.
    struct Trickle<'a> {
        bytes: &'a [u8],
        chunk: usize,
        consumed: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf
                .len()
                .min(self.chunk)
                .min(self.bytes.len() - self.consumed);
            buf[..n].copy_from_slice(&self.bytes[self.consumed..self.consumed + n]);
            self.consumed += n;
            Ok(n)
        }
    }

    fn read_all<R: Read>(reader: &mut FrameReader<R>) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            frame.unwrap();
            got.push(reader.payload().to_vec());
        }
        got
    }

    #[test]
    fn frames_straddling_read_ahead_refills_and_short_reads_parse_whole() {
        let payloads: Vec<Vec<u8>> = (0..3000u32)
            .map(|i| vec![i as u8; (i as usize * 7) % 1500])
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let bytes = frames(&refs);
        assert!(bytes.len() > 2 * READ_AHEAD);
        for chunk in [usize::MAX, 4093, 5] {
            let source = Trickle {
                bytes: &bytes,
                chunk,
                consumed: 0,
            };
            let mut reader = FrameReader::new(source, 0, bytes.len() as u64);
            assert_eq!(read_all(&mut reader), payloads, "reads of {chunk} bytes");
        }
    }

    #[test]
    fn a_frame_longer_than_the_read_ahead_grows_the_buffer() {
        let big = vec![7u8; READ_AHEAD * 3 / 2];
        let bytes = frames(&[b"a", &big, b"b"]);
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
        assert_eq!(
            read_all(&mut reader),
            vec![b"a".to_vec(), big, b"b".to_vec()]
        );
    }

    #[test]
    fn nothing_past_the_limit_is_read() {
        let mut bytes = frames(&[b"one", b"two"]);
        let limit = bytes.len();
        encode(b"appended after the snapshot", &mut bytes);
        let mut source = Trickle {
            bytes: &bytes,
            chunk: usize::MAX,
            consumed: 0,
        };
        let mut reader = FrameReader::new(&mut source, 0, limit as u64);
        assert_eq!(
            read_all(&mut reader),
            vec![b"one".to_vec(), b"two".to_vec()]
        );
        drop(reader);
        assert_eq!(source.consumed, limit);
    }

    #[test]
    fn trusted_frames_skip_the_checksum_and_later_frames_do_not() {
        let mut bytes = frames(&[b"one", b"two", b"three"]);
        let first_two = 2 * FRAME_HEADER_LEN as u64 + 6;
        bytes[FRAME_HEADER_LEN] ^= 1; // payload of "one"
        bytes[first_two as usize + FRAME_HEADER_LEN] ^= 1; // payload of "three"
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64).trusting(first_two);
        assert_eq!(reader.next_frame().unwrap(), Some(Ok(())));
        assert_eq!(reader.payload(), b"nne");
        assert_eq!(reader.next_frame().unwrap(), Some(Ok(())));
        let result = reader.next_frame().unwrap().unwrap();
        assert!(matches!(result, Err(FrameError::ChecksumMismatch { .. })));
        assert_eq!(reader.offset(), first_two);
    }
}
