//! Checkpoint files: every key/value pair visible at one MVCC snapshot, the analogue of
//! Redis's RDB file.
//!
//! A checkpoint is written while transactions keep committing: the caller hands
//! [`write()`] a lazy iterator over a snapshot, and the writer streams it into blocks of
//! about 64 KiB, so memory use does not grow with the data set. The file is written under
//! a temporary name, fsynced and renamed, so a crash leaves either the old checkpoint or
//! the complete new one. [`Checkpoint::open`] maps a file and verifies every checksum
//! before it is used; [`Directory`] picks the newest valid checkpoint of a database
//! directory for recovery, which then replays the WAL records after [`Meta::wal_lsn`].
//!
//! # File format (version 1)
//!
//! All integers are little-endian. CRCs are CRC-32 (IEEE, as computed by `crc32fast`).
//!
//! | part | offset | size | field |
//! |---|---|---|---|
//! | header | 0 | 8 | magic `ISOLDECK` |
//! | | 8 | 4 | format version (1) |
//! | | 12 | 4 | flags: bits 0..8 compression (0 none, 1 LZ4), all other bits zero |
//! | | 16 | 8 | snapshot timestamp |
//! | | 24 | 8 | WAL LSN: records with LSN `<=` this are included |
//! | | 32 | 8 | creation time, milliseconds since the Unix epoch |
//! | | 40 | 4 | CRC of header bytes 0..40 |
//! | block (repeated) | +0 | 4 | raw length: bytes of the entries when uncompressed |
//! | | +4 | 4 | stored length: bytes that follow the block header |
//! | | +8 | 4 | entry count (at least 1) |
//! | | +12 | 4 | CRC of block header bytes +0..+12, then of the stored bytes |
//! | | +16 | stored length | the entries, LZ4-compressed (block format) if stored length < raw length, else as is |
//! | footer (last 32 bytes) | +0 | 8 | entry count of the file |
//! | | +8 | 8 | block count |
//! | | +16 | 4 | file checksum: CRC over the header CRC and every block CRC, in order, each as 4 bytes |
//! | | +20 | 4 | CRC of footer bytes +0..+20 |
//! | | +24 | 8 | footer magic `ICKPEND\n` |
//!
//! An entry is: key length (4 bytes), key, value length (4 bytes), value. A block is closed
//! once its entries reach 64 KiB, so blocks hold whole entries and a larger entry gets a
//! block of its own (up to 4 GiB). With LZ4 on, a block that does not shrink is stored raw,
//! which is why "stored length < raw length" can mean "compressed" unambiguously.
//!
//! Why this shape: the header is checked first, so a file from a newer build is reported
//! as such instead of as corrupt; each block's CRC covers its own lengths, so a flipped
//! length is caught before it is trusted; the footer is read from the end, so a file cut
//! short has no footer magic and is reported as truncated; and the file checksum chains
//! the block CRCs, so dropping or reordering whole blocks is caught too.

mod directory;
mod error;
mod format;
mod reader;
mod writer;

pub use directory::{Directory, Listed, Loaded, Skipped, MIN_KEEP};
pub use error::Error;
pub use format::{Compression, Meta, UnknownCompression, FORMAT_VERSION, TARGET_BLOCK_LEN};
pub use reader::{Checkpoint, Entries};
pub use writer::{write, Summary, TEMP_SUFFIX};
