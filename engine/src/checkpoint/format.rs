//! The byte layout of a checkpoint file: named constants and the encoders and decoders of
//! the three fixed-size structures (file header, block header, footer). The table in the
//! parent module's docs describes the same layout in prose; the two must agree.

use std::fmt;
use std::str::FromStr;

/// First bytes of every checkpoint file.
pub const MAGIC: [u8; 8] = *b"ISOLDECK";
/// Last bytes of every complete checkpoint file.
pub const FOOTER_MAGIC: [u8; 8] = *b"ICKPEND\n";
/// The format version this code writes, and the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Size of the file header: magic, version, flags, snapshot ts, WAL LSN, creation time, CRC.
pub const HEADER_LEN: usize = 44;
/// Size of a block header: raw length, stored length, entry count, CRC.
pub const BLOCK_HEADER_LEN: usize = 16;
/// Size of the footer: entry count, block count, file checksum, footer CRC, footer magic.
pub const FOOTER_LEN: usize = 32;
/// Size of the length prefix in front of each key and each value.
pub const LEN_PREFIX: usize = 4;

/// A block is closed once its raw (uncompressed) payload reaches this size. A single entry
/// larger than this gets a block of its own.
pub const TARGET_BLOCK_LEN: usize = 64 * 1024;
/// LZ4 cannot expand its input by more than this factor, so a compressed block whose
/// header claims a larger raw length is corrupt; checked before allocating.
pub const LZ4_MAX_RATIO: u64 = 255;

/// Header flag bits 0..8 hold the compression codec; every other bit must be zero.
pub const FLAGS_COMPRESSION_MASK: u32 = 0xff;
const CODEC_NONE: u32 = 0;
const CODEC_LZ4: u32 = 1;

// Field offsets inside the file header.
const H_MAGIC: usize = 0;
const H_VERSION: usize = 8;
const H_FLAGS: usize = 12;
const H_SNAPSHOT_TS: usize = 16;
const H_WAL_LSN: usize = 24;
const H_CREATED: usize = 32;
/// Offset of the header CRC, which covers bytes `0..H_CRC`.
pub const H_CRC: usize = 40;

// Field offsets inside a block header.
const B_RAW_LEN: usize = 0;
const B_STORED_LEN: usize = 4;
const B_ENTRIES: usize = 8;
/// Offset of the block CRC, which covers the block header bytes `0..B_CRC` and then the
/// stored payload.
pub const B_CRC: usize = 12;

// Field offsets inside the footer.
const F_ENTRIES: usize = 0;
const F_BLOCKS: usize = 8;
const F_CHECKSUM: usize = 16;
/// Offset of the footer CRC, which covers the footer bytes `0..F_CRC`.
const F_CRC: usize = 20;
const F_MAGIC: usize = 24;

/// How the entry payload of each block is stored.
///
/// The default is [`Compression::Lz4`]: LZ4 costs little CPU, and a block that does not
/// shrink is stored raw anyway, so incompressible data pays nothing in size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// Blocks are stored as written.
    None,
    /// Each block is compressed on its own with LZ4 (block format, no frame).
    #[default]
    Lz4,
}

impl Compression {
    fn to_flags(self) -> u32 {
        match self {
            Compression::None => CODEC_NONE,
            Compression::Lz4 => CODEC_LZ4,
        }
    }

    fn from_flags(flags: u32) -> Option<Compression> {
        match flags {
            CODEC_NONE => Some(Compression::None),
            CODEC_LZ4 => Some(Compression::Lz4),
            _ => None,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "none",
            Compression::Lz4 => "lz4",
        })
    }
}

/// The error of parsing a [`Compression`] name: it holds the name that was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCompression(pub String);

impl fmt::Display for UnknownCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown checkpoint compression {:?} (expected \"none\" or \"lz4\")",
            self.0
        )
    }
}

impl std::error::Error for UnknownCompression {}

impl FromStr for Compression {
    type Err = UnknownCompression;

    /// Accepts `none` and `lz4` in any case (the spelling of `checkpoint-compression`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Compression::None),
            "lz4" => Ok(Compression::Lz4),
            _ => Err(UnknownCompression(s.to_string())),
        }
    }
}

/// What a checkpoint file says about itself, stored in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The MVCC snapshot the entries were read at.
    pub snapshot_ts: u64,
    /// The WAL position the snapshot corresponds to: records with an LSN `<= wal_lsn` are
    /// included in the checkpoint, recovery replays the ones after it.
    pub wal_lsn: u64,
    /// When the write started, in milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// How the blocks are stored.
    pub compression: Compression,
}

/// Why a header could not be decoded; the reader turns this into an [`super::Error`] that
/// names the file.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    BadMagic,
    UnsupportedVersion(u32),
    BadCrc { stored: u32, computed: u32 },
    UnknownFlags(u32),
}

/// Encodes the file header.
pub fn encode_header(meta: &Meta) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[H_MAGIC..H_VERSION].copy_from_slice(&MAGIC);
    put_u32(&mut h, H_VERSION, FORMAT_VERSION);
    put_u32(&mut h, H_FLAGS, meta.compression.to_flags());
    put_u64(&mut h, H_SNAPSHOT_TS, meta.snapshot_ts);
    put_u64(&mut h, H_WAL_LSN, meta.wal_lsn);
    put_u64(&mut h, H_CREATED, meta.created_unix_ms);
    let crc = crc32fast::hash(&h[..H_CRC]);
    put_u32(&mut h, H_CRC, crc);
    h
}

/// Decodes the file header. The magic and the version are checked before the CRC, because
/// a later version may lay out (and checksum) the rest of the header differently.
pub fn decode_header(h: &[u8; HEADER_LEN]) -> Result<Meta, HeaderProblem> {
    if h[H_MAGIC..H_VERSION] != MAGIC {
        return Err(HeaderProblem::BadMagic);
    }
    let version = get_u32(h, H_VERSION);
    if version != FORMAT_VERSION {
        return Err(HeaderProblem::UnsupportedVersion(version));
    }
    let (stored, computed) = (get_u32(h, H_CRC), crc32fast::hash(&h[..H_CRC]));
    if stored != computed {
        return Err(HeaderProblem::BadCrc { stored, computed });
    }
    let flags = get_u32(h, H_FLAGS);
    let compression = match flags & !FLAGS_COMPRESSION_MASK {
        0 => Compression::from_flags(flags),
        _ => None,
    }
    .ok_or(HeaderProblem::UnknownFlags(flags))?;
    Ok(Meta {
        snapshot_ts: get_u64(h, H_SNAPSHOT_TS),
        wal_lsn: get_u64(h, H_WAL_LSN),
        created_unix_ms: get_u64(h, H_CREATED),
        compression,
    })
}

/// The fixed-size header in front of each block's stored payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Length of the entries once decompressed.
    pub raw_len: u32,
    /// Length of the payload as stored; equal to `raw_len` when the block is stored raw,
    /// smaller when it is LZ4-compressed (the writer never stores a compressed block that
    /// did not shrink, so the two cases cannot be confused).
    pub stored_len: u32,
    /// Number of entries in the block; never zero.
    pub entries: u32,
    /// CRC32 of the header bytes before it, then of the stored payload.
    pub crc: u32,
}

impl BlockHeader {
    /// Builds the header of a block whose stored payload is `stored` (`stored_len` bytes),
    /// computing its CRC.
    pub fn new(raw_len: u32, stored_len: u32, entries: u32, stored: &[u8]) -> BlockHeader {
        let mut header = BlockHeader {
            raw_len,
            stored_len,
            entries,
            crc: 0,
        };
        header.crc = header.compute_crc(stored);
        header
    }

    /// The CRC this header should carry for the payload `stored`.
    pub fn compute_crc(&self, stored: &[u8]) -> u32 {
        let bytes = self.encode();
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&bytes[..B_CRC]);
        hasher.update(stored);
        hasher.finalize()
    }

    pub fn encode(&self) -> [u8; BLOCK_HEADER_LEN] {
        let mut b = [0u8; BLOCK_HEADER_LEN];
        put_u32(&mut b, B_RAW_LEN, self.raw_len);
        put_u32(&mut b, B_STORED_LEN, self.stored_len);
        put_u32(&mut b, B_ENTRIES, self.entries);
        put_u32(&mut b, B_CRC, self.crc);
        b
    }

    pub fn decode(b: &[u8; BLOCK_HEADER_LEN]) -> BlockHeader {
        BlockHeader {
            raw_len: get_u32(b, B_RAW_LEN),
            stored_len: get_u32(b, B_STORED_LEN),
            entries: get_u32(b, B_ENTRIES),
            crc: get_u32(b, B_CRC),
        }
    }
}

/// The fixed-size record at the very end of a complete file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    pub entries: u64,
    pub blocks: u64,
    /// CRC32 over the header CRC and then every block CRC, in file order (each as 4
    /// little-endian bytes): it ties the blocks to this header and catches a block that
    /// was dropped, duplicated or moved.
    pub checksum: u32,
}

/// Why a footer could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum FooterProblem {
    /// The footer magic is not at the end of the file: the write never completed or the
    /// file was cut short.
    NoMagic,
    BadCrc {
        stored: u32,
        computed: u32,
    },
}

impl Footer {
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut f = [0u8; FOOTER_LEN];
        put_u64(&mut f, F_ENTRIES, self.entries);
        put_u64(&mut f, F_BLOCKS, self.blocks);
        put_u32(&mut f, F_CHECKSUM, self.checksum);
        let crc = crc32fast::hash(&f[..F_CRC]);
        put_u32(&mut f, F_CRC, crc);
        f[F_MAGIC..].copy_from_slice(&FOOTER_MAGIC);
        f
    }

    pub fn decode(f: &[u8; FOOTER_LEN]) -> Result<Footer, FooterProblem> {
        if f[F_MAGIC..] != FOOTER_MAGIC {
            return Err(FooterProblem::NoMagic);
        }
        let (stored, computed) = (get_u32(f, F_CRC), crc32fast::hash(&f[..F_CRC]));
        if stored != computed {
            return Err(FooterProblem::BadCrc { stored, computed });
        }
        Ok(Footer {
            entries: get_u64(f, F_ENTRIES),
            blocks: get_u64(f, F_BLOCKS),
            checksum: get_u32(f, F_CHECKSUM),
        })
    }
}

/// Appends one entry (key length, key, value length, value) to a block's raw payload.
pub fn encode_entry(out: &mut Vec<u8>, key: &[u8], key_len: u32, value: &[u8], value_len: u32) {
    out.extend_from_slice(&key_len.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&value_len.to_le_bytes());
    out.extend_from_slice(value);
}

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Reads a little-endian u32 at a constant offset inside a fixed-size array.
fn get_u32(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(b)
}

fn get_u64(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}
