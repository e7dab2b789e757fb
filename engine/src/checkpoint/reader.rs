//! Opening a checkpoint: map the file, verify every checksum and count before handing it
//! out, then iterate its entries block by block.
//!
//! [`Checkpoint::open`] checks the header, the footer, each block's CRC and bounds, and the
//! footer's totals, so a file that opens is intact down to the last byte. It does not
//! decompress: the entry framing inside a block is checked while iterating, and a block
//! whose CRC is right but whose content is malformed (which only a buggy or hostile writer
//! produces) yields an [`Error::Corrupt`] from the iterator.

use std::fs::{self, File};
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::format::{
    decode_header, BlockHeader, Footer, FooterProblem, HeaderProblem, Meta, BLOCK_HEADER_LEN,
    FOOTER_LEN, HEADER_LEN, LEN_PREFIX, LZ4_MAX_RATIO, MAGIC,
};
use super::{Compression, Error};

/// An open, fully verified checkpoint file, mapped into memory.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    map: Mmap,
    meta: Meta,
    entries: u64,
}

impl Checkpoint {
    /// Maps the file and verifies magic, format version, header CRC, every block's bounds
    /// and CRC, and the footer (its CRC, entry and block counts, whole-file checksum).
    pub fn open(path: &Path) -> Result<Checkpoint, Error> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len < (HEADER_LEN + FOOTER_LEN) as u64 {
            return Err(too_short(path, len));
        }
        // SAFETY: the map is read-only and checkpoint files are never modified once
        // renamed into place (a new checkpoint is a new file). Another process truncating
        // the file under us would fault the reads; like every mmap-based store, we accept
        // that the database directory belongs to this process.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        if map.len() < HEADER_LEN + FOOTER_LEN {
            // The file shrank between the length check and the mapping.
            return Err(too_short(path, map.len() as u64));
        }
        let (meta, entries) = verify(path, &map)?;
        Ok(Checkpoint {
            path: path.to_path_buf(),
            map,
            meta,
            entries,
        })
    }

    /// Reads and checks only the header of the checkpoint at `path` (magic, version, CRC):
    /// enough to learn its snapshot and WAL position without reading the whole file. The
    /// blocks are not verified; [`Checkpoint::open`] does that before any entry is used.
    pub fn read_meta(path: &Path) -> Result<Meta, Error> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut header = [0u8; HEADER_LEN];
        match file.read_exact(&mut header) {
            Ok(()) => verify_header(path, &header),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
                Err(too_short(path, len))
            }
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The file this checkpoint was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header: snapshot timestamp, WAL position, creation time, compression.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Number of key/value pairs in the file.
    pub fn entry_count(&self) -> u64 {
        self.entries
    }

    /// Size of the file in bytes.
    pub fn file_size(&self) -> u64 {
        self.map.len() as u64
    }

    /// The entries in the order they were written (key order, as the writer is given them).
    /// After the first error the iterator ends.
    pub fn iter(&self) -> Entries<'_> {
        Entries {
            checkpoint: self,
            next_block: HEADER_LEN,
            block_offset: 0,
            payload: Payload::Mapped(0..0),
            scratch: Vec::new(),
            pos: 0,
            left: 0,
            failed: false,
        }
    }

    /// The block region: from the end of the header to the start of the footer.
    fn body_end(&self) -> usize {
        self.map.len() - FOOTER_LEN
    }
}

impl<'a> IntoIterator for &'a Checkpoint {
    type Item = Result<(Vec<u8>, Vec<u8>), Error>;
    type IntoIter = Entries<'a>;

    fn into_iter(self) -> Entries<'a> {
        self.iter()
    }
}

/// A file too short to hold a header and a footer: not a checkpoint at all if even its
/// first bytes disagree with the magic, else a cut-off one.
fn too_short(path: &Path, len: u64) -> Error {
    match fs::read(path) {
        Ok(bytes) if !MAGIC.starts_with(&bytes[..bytes.len().min(MAGIC.len())]) => {
            Error::BadMagic {
                path: path.to_path_buf(),
            }
        }
        Ok(_) => Error::Truncated {
            path: path.to_path_buf(),
            len,
        },
        Err(e) => Error::io(path, e),
    }
}

/// Checks the whole file; returns its header and entry count.
fn verify(path: &Path, map: &[u8]) -> Result<(Meta, u64), Error> {
    let meta = verify_header(path, map)?;
    let footer_at = map.len() - FOOTER_LEN;
    let footer = verify_footer(path, map, footer_at)?;
    let mut checksum = crc32fast::Hasher::new();
    checksum.update(&map[super::format::H_CRC..HEADER_LEN]);
    let (mut offset, mut entries, mut blocks) = (HEADER_LEN, 0u64, 0u64);
    while offset < footer_at {
        let (header, payload) = block_at(path, map, offset, footer_at, meta.compression)?;
        if header.compute_crc(&map[payload.clone()]) != header.crc {
            return Err(Error::corrupt(path, offset as u64, "block CRC mismatch"));
        }
        checksum.update(&header.crc.to_le_bytes());
        entries += u64::from(header.entries);
        blocks += 1;
        offset = payload.end;
    }
    let footer_err = |what: String| Error::corrupt(path, footer_at as u64, what);
    if footer.blocks != blocks {
        return Err(footer_err(format!(
            "footer counts {} blocks, file has {blocks}",
            footer.blocks
        )));
    }
    if footer.entries != entries {
        return Err(footer_err(format!(
            "footer counts {} entries, blocks hold {entries}",
            footer.entries
        )));
    }
    if footer.checksum != checksum.finalize() {
        return Err(footer_err("whole-file checksum mismatch".to_string()));
    }
    Ok((meta, entries))
}

fn verify_header(path: &Path, map: &[u8]) -> Result<Meta, Error> {
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&map[..HEADER_LEN]);
    decode_header(&header).map_err(|problem| match problem {
        HeaderProblem::BadMagic => Error::BadMagic {
            path: path.to_path_buf(),
        },
        HeaderProblem::UnsupportedVersion(version) => Error::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        },
        HeaderProblem::BadCrc { stored, computed } => Error::corrupt(
            path,
            super::format::H_CRC as u64,
            format!("header CRC mismatch (stored {stored:08x}, computed {computed:08x})"),
        ),
        HeaderProblem::UnknownFlags(flags) => {
            Error::corrupt(path, 12, format!("unknown header flags {flags:#010x}"))
        }
    })
}

fn verify_footer(path: &Path, map: &[u8], at: usize) -> Result<Footer, Error> {
    let mut footer = [0u8; FOOTER_LEN];
    footer.copy_from_slice(&map[at..]);
    Footer::decode(&footer).map_err(|problem| match problem {
        FooterProblem::NoMagic => Error::Truncated {
            path: path.to_path_buf(),
            len: map.len() as u64,
        },
        FooterProblem::BadCrc { stored, computed } => Error::corrupt(
            path,
            at as u64,
            format!("footer CRC mismatch (stored {stored:08x}, computed {computed:08x})"),
        ),
    })
}

/// Decodes the block header at `offset` and checks that its lengths are plausible and
/// that its payload lies before `end`; returns the header and the payload's byte range.
/// Never trusts a length before checking it against the file.
fn block_at(
    path: &Path,
    map: &[u8],
    offset: usize,
    end: usize,
    compression: Compression,
) -> Result<(BlockHeader, Range<usize>), Error> {
    let corrupt = |reason: String| Error::corrupt(path, offset as u64, reason);
    let mut bytes = [0u8; BLOCK_HEADER_LEN];
    let header_end = offset + BLOCK_HEADER_LEN;
    bytes.copy_from_slice(
        map.get(offset..header_end)
            .filter(|_| header_end <= end)
            .ok_or_else(|| corrupt(format!("block header runs past the footer at offset {end}")))?,
    );
    let h = BlockHeader::decode(&bytes);
    let payload = header_end..header_end.saturating_add(h.stored_len as usize);
    if payload.end > end {
        return Err(corrupt(format!(
            "block of {} stored bytes runs past the footer at offset {end}",
            h.stored_len
        )));
    }
    if h.entries == 0 || u64::from(h.entries) * 2 * LEN_PREFIX as u64 > u64::from(h.raw_len) {
        return Err(corrupt(format!(
            "{} entries cannot fit in a block of {} bytes",
            h.entries, h.raw_len
        )));
    }
    let compressed = h.stored_len != h.raw_len;
    let plausible = match compression {
        Compression::None => !compressed,
        Compression::Lz4 => {
            h.stored_len <= h.raw_len
                && u64::from(h.raw_len) <= u64::from(h.stored_len) * LZ4_MAX_RATIO
        }
    };
    if !plausible {
        return Err(corrupt(format!(
            "impossible block lengths for {compression} compression: {} stored, {} raw",
            h.stored_len, h.raw_len
        )));
    }
    Ok((h, payload))
}

/// Where the current block's raw entries are: in the map for a block stored raw, in the
/// iterator's scratch buffer for a decompressed one.
enum Payload {
    Mapped(Range<usize>),
    Decompressed,
}

/// Iterator over a checkpoint's entries; see [`Checkpoint::iter`].
pub struct Entries<'a> {
    checkpoint: &'a Checkpoint,
    next_block: usize,
    /// File offset of the current block, for error messages.
    block_offset: usize,
    payload: Payload,
    /// Decompression buffer, reused from block to block.
    scratch: Vec<u8>,
    /// Position of the next entry in the payload.
    pos: usize,
    /// Entries of the current block not yet returned.
    left: u32,
    failed: bool,
}

impl Entries<'_> {
    fn load_next_block(&mut self) -> Result<(), Error> {
        let cp = self.checkpoint;
        let (offset, end) = (self.next_block, cp.body_end());
        let (h, range) = block_at(&cp.path, &cp.map, offset, end, cp.meta.compression)?;
        self.block_offset = offset;
        self.next_block = range.end;
        self.payload = if h.stored_len == h.raw_len {
            Payload::Mapped(range)
        } else {
            self.scratch.resize(h.raw_len as usize, 0);
            match lz4_flex::block::decompress_into(&cp.map[range], &mut self.scratch) {
                Ok(n) if n == self.scratch.len() => Payload::Decompressed,
                Ok(n) => {
                    return Err(self.corrupt(format!(
                        "block decompresses to {n} bytes, header says {}",
                        h.raw_len
                    )))
                }
                Err(e) => return Err(self.corrupt(format!("LZ4 decompression failed: {e}"))),
            }
        };
        self.pos = 0;
        self.left = h.entries;
        Ok(())
    }

    fn payload(&self) -> &[u8] {
        match &self.payload {
            Payload::Mapped(range) => &self.checkpoint.map[range.clone()],
            Payload::Decompressed => &self.scratch,
        }
    }

    /// Reads a length-prefixed byte string at `self.pos`.
    fn field(&mut self, what: &str) -> Result<Vec<u8>, Error> {
        let payload = self.payload();
        let prefix_end = self.pos + LEN_PREFIX;
        let Some(prefix) = payload.get(self.pos..prefix_end) else {
            return Err(self.corrupt(format!("{what} length runs past the end of the block")));
        };
        let mut len = [0u8; LEN_PREFIX];
        len.copy_from_slice(prefix);
        let len = u32::from_le_bytes(len) as usize;
        let Some(bytes) = payload.get(prefix_end..prefix_end.saturating_add(len)) else {
            return Err(self.corrupt(format!(
                "{what} of {len} bytes runs past the end of the block"
            )));
        };
        let bytes = bytes.to_vec();
        self.pos = prefix_end + len;
        Ok(bytes)
    }

    fn next_entry(&mut self) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let key = self.field("key")?;
        let value = self.field("value")?;
        self.left -= 1;
        if self.left == 0 && self.pos != self.payload().len() {
            let extra = self.payload().len() - self.pos;
            return Err(self.corrupt(format!("{extra} bytes left after the block's last entry")));
        }
        Ok((key, value))
    }

    fn corrupt(&self, reason: String) -> Error {
        Error::corrupt(&self.checkpoint.path, self.block_offset as u64, reason)
    }
}

impl Iterator for Entries<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while self.left == 0 {
            if self.next_block >= self.checkpoint.body_end() {
                return None;
            }
            if let Err(e) = self.load_next_block() {
                self.failed = true;
                return Some(Err(e));
            }
        }
        let entry = self.next_entry();
        self.failed = entry.is_err();
        Some(entry)
    }
}
