//! Resynchronisation: looking for a valid frame after a bad one.
//!
//! A frame that runs past the end of the last segment is what a crash in mid-write
//! leaves, but also what one flipped bit in a length field leaves: the damaged
//! length then claims more bytes than the file holds, and every record after it,
//! each complete and checksummed, would be cut off with it. The two differ in what
//! follows the bad frame's start: a torn write is the last thing in the file, so no
//! complete, CRC-valid frame starts anywhere after it. [`next_valid_frame`] tries
//! every byte offset after the bad frame, in increasing order, and reports the
//! first where one does. After a damaged length the next valid frame starts right
//! where the damaged record truly ends, so it is among the first offsets tried.
//!
//! # Cost
//!
//! An offset is a *candidate* when its length field fits the rest of the file (and
//! [`MAX_RECORD_LEN`]). Checking a candidate by hashing its payload would cost its
//! length, which makes the search cubic in the size of a tail of random bytes (a
//! compressed or encrypted value torn in mid-write): the number of candidates grows
//! as the square of the tail, their lengths with the tail. Instead the search
//! streams the tail twice, in chunks, and never holds it in memory:
//!
//! 1. it reads every frame header in the tail and notes the candidates, in
//!    increasing offset order;
//! 2. it computes one running CRC over the tail and keeps its value at the start
//!    and the end of every candidate's payload. CRC-32 is linear, so the CRC of a
//!    payload follows from those two values and its length, and the CRC of a
//!    whole frame from that and its length field ([`crc32fast::Hasher::combine`]),
//!    in time logarithmic in the length.
//!
//! A random tail of `n` bytes holds about `n² / 2^33` candidates: about 130 for
//! 1 MiB, 33,000 for 16 MiB, 520,000 for 64 MiB. The search takes at most
//! [`MAX_CANDIDATES`] of them, the first ones, enough to settle a random tail of
//! about 45 MiB either way. Crafted or highly regular bytes can claim a frame at
//! every offset. Zeros claim an empty frame at every offset, but an empty frame is
//! checked at once from its header, so runs of zeros use none of that limit.
//!
//! # When the search gives up
//!
//! With more candidates than that, the search checks the first ones and, when none
//! of them is valid, gives up ([`Resync::GaveUp`]), and the caller treats the bad
//! frame as a torn write: it is cut off, with a warning that says the search gave
//! up and how far it got. That is what a crash in mid-write of a large value
//! looks like, and cutting it is what the design promises for a torn last record.
//! The risk is the other way: a damaged length followed by valid records, all of
//! them lying beyond the offsets searched, is then cut off with them. It takes a
//! damaged length in the last segment followed by tens of MiB of incompressible
//! records, and the warning names file, offset and bytes dropped.
//!
//! # False positives
//!
//! At a given offset, random bytes form a valid frame only when the length is
//! plausible (fits the file) and the stored CRC-32 matches the computed one, about
//! one chance in 2^32 per candidate, so a torn tail of `n` bytes is mistaken for
//! damage with probability around `n² / 2^65` (one in 2^25 for 64 MiB). The cost
//! of that mistake is small: the open refuses with an error naming file and offset
//! and `check-wal --fix` cuts at the same place the open would have. Payloads that
//! deliberately embed a valid frame (a user value holding a copy of a log record)
//! hit this every time they are torn; the outcome is the same refusal, never a
//! lost record.

use std::io::{self, Read};
use std::path::Path;

use crc32fast::Hasher;

use crate::error::Error;
use crate::io::Io;
use crate::record::{FRAME_HEADER_LEN, MAX_RECORD_LEN};

/// Most candidate frames the search checks. Each costs about 60 bytes of memory and
/// a microsecond of CRC arithmetic in a release build (measured), so that part of
/// the search stays under half a second whatever the tail; reading the tail is
/// linear in its size, like the scan that led to it.
const MAX_CANDIDATES: usize = 1 << 18;

/// Bytes read at a time.
const CHUNK: usize = 256 << 10;

/// What the search found after a bad frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resync {
    /// A complete, CRC-valid frame starts at this file offset.
    Found(u64),
    /// No valid frame starts anywhere in the searched bytes.
    NotFound,
    /// Too many offsets claim a frame: none before file offset `searched_to` starts
    /// a valid one, the later ones were not tried.
    GaveUp { searched_to: u64 },
}

/// Looks for the first offset in `from..file_len` of `path` where a complete,
/// CRC-valid frame starts.
pub(crate) fn next_valid_frame(
    io: &dyn Io,
    path: &Path,
    from: u64,
    file_len: u64,
) -> Result<Resync, Error> {
    let map = |e| Error::io(path, e);
    let tail_len = file_len.saturating_sub(from);
    let open_tail = || -> io::Result<_> {
        let mut reader = io.open_read(path)?;
        io::copy(&mut (&mut reader).take(from), &mut io::sink())?;
        Ok(reader.take(tail_len))
    };
    let found = candidates(open_tail().map_err(map)?, tail_len, MAX_CANDIDATES).map_err(map)?;
    let first = first_valid(open_tail().map_err(map)?, &found.candidates).map_err(map)?;
    Ok(match (first, found.stopped_at) {
        (Some(at), _) => Resync::Found(from + at),
        (None, None) => Resync::NotFound,
        (None, Some(at)) => Resync::GaveUp {
            searched_to: from + at,
        },
    })
}

/// An offset of the tail whose frame header claims a frame that fits in it.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    /// Offset of the frame in the tail.
    start: u64,
    len: u32,
    stored_crc: u32,
}

impl Candidate {
    fn payload_start(&self) -> u64 {
        self.start + FRAME_HEADER_LEN as u64
    }

    fn end(&self) -> u64 {
        self.payload_start() + u64::from(self.len)
    }

    /// The CRC of this frame's length field and payload, from the CRC of the tail
    /// up to the payload's start and up to its end.
    fn checksum(&self, crc_to_start: u32, crc_to_end: u32) -> u32 {
        let len_crc = crc32fast::hash(&self.len.to_le_bytes());
        if self.len == 0 {
            // `combine` with an empty second part returns the first one unchanged.
            return len_crc;
        }
        // crc(a ‖ b) = shift(crc(a), |b|) ^ crc(b), and shift is linear, so
        // crc(len ‖ payload) = shift(crc(len) ^ crc_to_start, |payload|) ^ crc_to_end.
        let mut frame = Hasher::new_with_initial(len_crc ^ crc_to_start);
        frame.combine(&Hasher::new_with_initial_len(
            crc_to_end,
            u64::from(self.len),
        ));
        frame.finalize()
    }
}

/// The candidates of a tail, in offset order.
struct Candidates {
    candidates: Vec<Candidate>,
    /// The offset where the search stopped taking candidates because it had
    /// `limit` of them; `None` when every offset was looked at.
    stopped_at: Option<u64>,
}

/// Reads the `tail_len` bytes of `tail` and notes every offset whose frame header
/// claims a frame that ends within them, up to `limit` candidates.
fn candidates(mut tail: impl Read, tail_len: u64, limit: usize) -> io::Result<Candidates> {
    let mut found = Candidates {
        candidates: Vec::new(),
        stopped_at: None,
    };
    let mut buf = vec![0u8; CHUNK];
    // `buf[..kept]` holds the last bytes of the previous chunk, too few for a header.
    let mut kept = 0;
    // Tail offset of `buf[0]`.
    let mut base = 0u64;
    loop {
        let read = read_some(&mut tail, &mut buf[kept..])?;
        let have = kept + read;
        for i in 0..(have + 1).saturating_sub(FRAME_HEADER_LEN) {
            let header = &buf[i..i + FRAME_HEADER_LEN];
            let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let start = base + i as u64;
            // One comparison, false for nearly every offset of random bytes: a branch
            // the processor predicts, where `len > MAX || len > room` costs a
            // misprediction at a quarter of the offsets and made this loop 5x slower.
            let room = tail_len.saturating_sub(start + FRAME_HEADER_LEN as u64);
            if u64::from(len) > room.min(MAX_RECORD_LEN as u64) {
                continue;
            }
            let stored_crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
            if len == 0 {
                // Checked at once, at no cost, so that a run of zeros (every offset
                // claiming an empty frame) uses none of the limit.
                if stored_crc == crc32fast::hash(&[0; 4]) {
                    // Valid: no later offset matters.
                    found.candidates.push(Candidate {
                        start,
                        len,
                        stored_crc,
                    });
                    return Ok(found);
                }
                continue;
            }
            if found.candidates.len() == limit {
                found.stopped_at = Some(start);
                return Ok(found);
            }
            found.candidates.push(Candidate {
                start,
                len,
                stored_crc,
            });
        }
        if read == 0 {
            return Ok(found);
        }
        kept = have.min(FRAME_HEADER_LEN - 1);
        buf.copy_within(have - kept..have, 0);
        base += (have - kept) as u64;
    }
}

/// The offset of the first of `candidates` (in offset order) that is a valid frame,
/// reading the tail they were found in once from its start.
fn first_valid(tail: impl Read, candidates: &[Candidate]) -> io::Result<Option<u64>> {
    // Slot 2i: the CRC of the tail up to candidate i's payload; 2i + 1: up to its end.
    let mut marks: Vec<(u64, usize)> = candidates
        .iter()
        .enumerate()
        .flat_map(|(i, c)| [(c.payload_start(), 2 * i), (c.end(), 2 * i + 1)])
        .collect();
    marks.sort_unstable();
    let crcs = running_crcs(tail, &marks)?;
    Ok(candidates
        .iter()
        .enumerate()
        .find(|&(i, c)| c.checksum(crcs[2 * i], crcs[2 * i + 1]) == c.stored_crc)
        .map(|(_, c)| c.start))
}

/// For each `(offset, slot)` of `marks`, sorted by offset, the CRC of the first
/// `offset` bytes of `tail`, stored at index `slot`. Reads no further than the
/// last mark.
fn running_crcs(mut tail: impl Read, marks: &[(u64, usize)]) -> io::Result<Vec<u32>> {
    let mut crcs = vec![0u32; marks.len()];
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    // Tail offset of `buf[0]`.
    let mut base = 0u64;
    let mut marks = marks.iter().peekable();
    while marks.peek().is_some() {
        let read = read_some(&mut tail, &mut buf)?;
        let chunk = &buf[..read];
        let mut hashed = 0;
        while let Some(&&(offset, slot)) = marks.peek() {
            let Some(upto) = offset.checked_sub(base).filter(|&k| k <= read as u64) else {
                break;
            };
            // `upto` <= `read`, a usize.
            let upto = upto as usize;
            hasher.update(&chunk[hashed..upto]);
            hashed = upto;
            crcs[slot] = hasher.clone().finalize();
            marks.next();
        }
        if read == 0 && marks.peek().is_some() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank during the resync search",
            ));
        }
        hasher.update(&chunk[hashed..]);
        base += read as u64;
    }
    Ok(crcs)
}

/// One read(2) into `buf`, retried when interrupted; 0 only at the end.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{checksum, encode};

    /// The search over bytes held in memory, with a limit on candidates.
    fn first_valid_frame(bytes: &[u8], limit: usize) -> Resync {
        let found = candidates(bytes, bytes.len() as u64, limit).unwrap();
        match (
            first_valid(bytes, &found.candidates).unwrap(),
            found.stopped_at,
        ) {
            (Some(at), _) => Resync::Found(at),
            (None, None) => Resync::NotFound,
            (None, Some(at)) => Resync::GaveUp { searched_to: at },
        }
    }

    /// xorshift64 bytes: no structure for the search to exploit.
    fn random_bytes(len: usize, mut state: u64) -> Vec<u8> {
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
    fn a_frame_after_garbage_is_found_at_its_offset() {
        let mut bytes = vec![0x5c; 13];
        encode(b"payload", &mut bytes);
        assert_eq!(first_valid_frame(&bytes, 1000), Resync::Found(13));
    }

    #[test]
    fn a_frame_cut_short_is_not_found() {
        let mut bytes = vec![0x5c; 13];
        encode(b"payload", &mut bytes);
        bytes.pop();
        assert_eq!(first_valid_frame(&bytes, 1000), Resync::NotFound);
    }

    #[test]
    fn an_empty_frame_is_found() {
        let mut bytes = vec![0xff; 5];
        encode(b"", &mut bytes);
        assert_eq!(first_valid_frame(&bytes, 1000), Resync::Found(5));
    }

    #[test]
    fn zeros_never_form_a_frame_and_use_none_of_the_limit() {
        assert_eq!(first_valid_frame(&[0; 4096], 1), Resync::NotFound);
    }

    #[test]
    fn the_checksum_from_running_crcs_matches_hashing_the_frame() {
        let bytes = random_bytes(4096, 7);
        let crc_to = |k: usize| crc32fast::hash(&bytes[..k]);
        for (start, len) in [(0, 0), (0, 1), (3, 100), (17, 4000), (100, 3988)] {
            let header = &bytes[start..start + FRAME_HEADER_LEN];
            let candidate = Candidate {
                start: start as u64,
                len,
                stored_crc: u32::from_le_bytes([header[4], header[5], header[6], header[7]]),
            };
            let payload = &bytes[start + 8..start + 8 + len as usize];
            assert_eq!(
                candidate.checksum(crc_to(start + 8), crc_to(start + 8 + len as usize)),
                checksum(&len.to_le_bytes(), payload),
                "frame at {start} of {len} bytes"
            );
        }
    }

    #[test]
    fn frames_straddling_chunks_are_found_and_their_crcs_are_right() {
        for gap in [CHUNK - 9, CHUNK - 4, CHUNK - 1, CHUNK, CHUNK + 3] {
            let mut bytes = random_bytes(gap, 11);
            let payload = random_bytes(CHUNK + 100, 13);
            encode(&payload, &mut bytes);
            bytes.extend_from_slice(&random_bytes(50, 17));
            assert_eq!(
                first_valid_frame(&bytes, MAX_CANDIDATES),
                Resync::Found(gap as u64),
                "frame at {gap}"
            );
        }
    }

    #[test]
    fn a_torn_tail_of_random_bytes_holds_no_frame() {
        let bytes = random_bytes(1 << 20, 19);
        assert_eq!(first_valid_frame(&bytes, MAX_CANDIDATES), Resync::NotFound);
    }

    /// Frame headers claiming 64-byte frames every 8 bytes, with a stored CRC that
    /// does not match; no other offset claims a frame that fits in 16 KiB.
    fn claims(len: usize) -> Vec<u8> {
        let claim = [64, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        claim.iter().copied().cycle().take(len).collect()
    }

    #[test]
    fn the_first_candidates_are_checked_before_the_search_gives_up() {
        let mut bytes = claims(4000);
        encode(b"the record after a damaged length", &mut bytes);
        bytes.extend(claims(8000));
        assert_eq!(first_valid_frame(&bytes, 600), Resync::Found(4000));
    }

    #[test]
    fn the_search_gives_up_when_every_offset_claims_a_frame() {
        let bytes = claims(12_000);
        assert_eq!(
            first_valid_frame(&bytes, 1000),
            Resync::GaveUp { searched_to: 8000 }
        );
        assert_eq!(first_valid_frame(&bytes, 2000), Resync::NotFound);
    }
}
