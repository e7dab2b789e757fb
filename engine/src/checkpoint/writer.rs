//! Writing a checkpoint: entries stream from the caller's snapshot iterator into blocks of
//! about [`TARGET_BLOCK_LEN`] raw bytes, each compressed and written as soon as it is full,
//! so memory use is one block whatever the size of the data set.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::format::{
    encode_entry, encode_header, BlockHeader, Compression, Footer, Meta, BLOCK_HEADER_LEN,
    FOOTER_LEN, HEADER_LEN, LEN_PREFIX, TARGET_BLOCK_LEN,
};
use super::Error;

/// Suffix of the temporary file a checkpoint is written to before it is renamed into place.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Size of the write buffer in front of the file: a few blocks per system call.
const WRITE_BUFFER: usize = 256 * 1024;

/// What [`write()`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Where the checkpoint now is.
    pub path: PathBuf,
    /// Number of key/value pairs written.
    pub entries: u64,
    /// Size of the file.
    pub bytes: u64,
    /// Size the file would have had without compression (equal to `bytes` with
    /// [`Compression::None`]); `bytes / raw_bytes` is the compression ratio.
    pub raw_bytes: u64,
}

/// Writes a checkpoint of `entries` to `path`.
///
/// The entries go, in the order given (the caller iterates its snapshot in key order),
/// into a temporary file `<path>.tmp` in the same directory, which is fsynced, renamed to
/// `path`, and then the directory is fsynced (on Unix), so that after a crash `path` holds
/// either the previous file or the complete new one. `progress` is called with the number
/// of entries written so far after each block (about every 64 KiB of data) and at the end.
///
/// The caller aborts the write by yielding an `Err` of its own type: the temporary file is
/// removed, `path` is left as it was, and the error comes back as [`Error::Source`] (use
/// `downcast` on the box to recover it). The same cleanup happens on any I/O error before
/// the rename. If only the final directory sync fails, the new file is already in place
/// but might not survive a crash; the [`Error::Io`] then names the directory. Only one
/// writer may target a given `path` at a time.
pub fn write<I, K, V, E>(
    path: &Path,
    meta: &Meta,
    entries: I,
    progress: impl FnMut(u64),
) -> Result<Summary, Error>
where
    I: IntoIterator<Item = Result<(K, V), E>>,
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let tmp = temp_path(path)?;
    let written = write_temp(&tmp, path, meta, entries, progress)
        .and_then(|summary| rename(&tmp, path).map(|()| summary));
    if written.is_err() {
        // Best effort: the temp file is garbage either way, and the original error is the
        // one worth reporting; Directory::remove_temp_files collects any leftover.
        let _ = fs::remove_file(&tmp);
    }
    let summary = written?;
    sync_parent(path)?;
    Ok(summary)
}

/// `<path>.tmp`, next to `path` so that the final rename stays within one file system.
fn temp_path(path: &Path) -> Result<PathBuf, Error> {
    let name = path.file_name().ok_or_else(|| {
        Error::io(
            path,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "checkpoint path has no file name",
            ),
        )
    })?;
    let mut tmp: OsString = name.to_os_string();
    tmp.push(TEMP_SUFFIX);
    Ok(path.with_file_name(tmp))
}

fn write_temp<I, K, V, E>(
    tmp: &Path,
    target: &Path,
    meta: &Meta,
    entries: I,
    mut progress: impl FnMut(u64),
) -> Result<Summary, Error>
where
    I: IntoIterator<Item = Result<(K, V), E>>,
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let file = File::create(tmp).map_err(|e| Error::io(tmp, e))?;
    let mut blocks = BlockWriter::new(
        BufWriter::with_capacity(WRITE_BUFFER, file),
        meta.compression,
    );
    let io_err = |e| Error::io(tmp, e);
    blocks.write_header(meta).map_err(io_err)?;
    for entry in entries {
        let (key, value) = entry.map_err(|e| Error::Source(e.into()))?;
        let (key, value) = (key.as_ref(), value.as_ref());
        if !blocks.push(key, value).map_err(io_err)? {
            let (key_len, value_len) = (key.len(), value.len());
            return Err(Error::EntryTooLarge {
                path: target.to_path_buf(),
                key_len,
                value_len,
            });
        }
        if blocks.raw.len() >= TARGET_BLOCK_LEN {
            blocks.flush_block().map_err(io_err)?;
            progress(blocks.entries);
        }
    }
    blocks.flush_block().map_err(io_err)?;
    progress(blocks.entries);
    blocks.finish(target).map_err(io_err)
}

/// Moves the finished temp file into place.
fn rename(tmp: &Path, path: &Path) -> Result<(), Error> {
    fs::rename(tmp, path).map_err(|e| Error::io(path, e))
}

/// Makes the rename durable: a directory entry is only on disk once the directory is synced.
#[cfg(unix)]
fn sync_parent(path: &Path) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Other platforms cannot open a directory to sync it; the rename is left to the OS.
#[cfg(not(unix))]
fn sync_parent(_path: &Path) -> Result<(), Error> {
    Ok(())
}

/// Accumulates entries into the current block and writes full blocks out.
struct BlockWriter {
    out: BufWriter<File>,
    compression: Compression,
    /// The raw payload of the block being filled.
    raw: Vec<u8>,
    raw_len: u32,
    block_entries: u32,
    /// Scratch space for LZ4 output, kept between blocks.
    compressed: Vec<u8>,
    entries: u64,
    blocks: u64,
    bytes: u64,
    raw_bytes: u64,
    /// Running CRC over the header CRC and every block CRC (the footer checksum).
    checksum: crc32fast::Hasher,
}

impl BlockWriter {
    fn new(out: BufWriter<File>, compression: Compression) -> BlockWriter {
        BlockWriter {
            out,
            compression,
            raw: Vec::with_capacity(TARGET_BLOCK_LEN + TARGET_BLOCK_LEN / 4),
            raw_len: 0,
            block_entries: 0,
            compressed: Vec::new(),
            entries: 0,
            blocks: 0,
            bytes: 0,
            raw_bytes: 0,
            checksum: crc32fast::Hasher::new(),
        }
    }

    fn write_header(&mut self, meta: &Meta) -> io::Result<()> {
        let header = encode_header(meta);
        self.checksum.update(&header[super::format::H_CRC..]);
        self.emit(&header, HEADER_LEN)
    }

    /// Writes `bytes` that stand for `raw` bytes of an uncompressed file.
    fn emit(&mut self, bytes: &[u8], raw: usize) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.bytes += bytes.len() as u64;
        self.raw_bytes += raw as u64;
        Ok(())
    }

    /// Appends an entry to the current block, first closing the block if the entry would
    /// overflow its 32-bit length. Returns `false` if the entry cannot fit in any block.
    fn push(&mut self, key: &[u8], value: &[u8]) -> io::Result<bool> {
        let lens = (u32::try_from(key.len()), u32::try_from(value.len()));
        let (Ok(key_len), Ok(value_len)) = lens else {
            return Ok(false);
        };
        let Some(entry_len) = (2 * LEN_PREFIX as u32)
            .checked_add(key_len)
            .and_then(|n| n.checked_add(value_len))
        else {
            return Ok(false);
        };
        if self.raw_len.checked_add(entry_len).is_none() {
            self.flush_block()?;
        }
        encode_entry(&mut self.raw, key, key_len, value, value_len);
        self.raw_len += entry_len;
        self.block_entries += 1;
        Ok(true)
    }

    /// Writes the current block, if it holds any entry: compressed if that makes it
    /// smaller, raw otherwise.
    fn flush_block(&mut self) -> io::Result<()> {
        if self.block_entries == 0 {
            return Ok(());
        }
        let compressed_len = match self.compression {
            Compression::None => None,
            Compression::Lz4 => self.compress(),
        };
        let (stored, stored_len) = match compressed_len {
            Some(n) => (&self.compressed[..n as usize], n),
            None => (&self.raw[..], self.raw_len),
        };
        let header = BlockHeader::new(self.raw_len, stored_len, self.block_entries, stored);
        self.out.write_all(&header.encode())?;
        self.out.write_all(stored)?;
        self.checksum.update(&header.crc.to_le_bytes());
        self.bytes += (BLOCK_HEADER_LEN + stored.len()) as u64;
        self.raw_bytes += BLOCK_HEADER_LEN as u64 + u64::from(self.raw_len);
        self.entries += u64::from(self.block_entries);
        self.blocks += 1;
        self.raw.clear();
        self.raw_len = 0;
        self.block_entries = 0;
        Ok(())
    }

    /// Compresses the current block into `self.compressed`; returns the compressed length
    /// only if it is smaller than the raw one (the reader relies on that to tell the two
    /// kinds of block apart).
    fn compress(&mut self) -> Option<u32> {
        let max = lz4_flex::block::get_maximum_output_size(self.raw.len());
        if self.compressed.len() < max {
            self.compressed.resize(max, 0);
        }
        let n = lz4_flex::block::compress_into(&self.raw, &mut self.compressed).ok()?;
        u32::try_from(n).ok().filter(|&n| n < self.raw_len)
    }

    /// Writes the footer, flushes and fsyncs the file.
    fn finish(mut self, target: &Path) -> io::Result<Summary> {
        let footer = Footer {
            entries: self.entries,
            blocks: self.blocks,
            checksum: self.checksum.clone().finalize(),
        };
        self.emit(&footer.encode(), FOOTER_LEN)?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(Summary {
            path: target.to_path_buf(),
            entries: self.entries,
            bytes: self.bytes,
            raw_bytes: self.raw_bytes,
        })
    }
}
