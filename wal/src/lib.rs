//! isolde-wal: a segmented, append-only log of opaque records, with fsync
//! policies, group commit, crash recovery and online rewrite.
//!
//! The log does not know what its records mean; the `txn` crate appends one record
//! per committed transaction. Each record gets a log sequence number ([`Lsn`]),
//! starting at 1 and increasing across segments and rewrites. Appends go to the
//! last of a series of segment files; [`Log::start_rewrite`] and
//! [`Log::finish_rewrite`] replace everything before a cut by a compact base, and a
//! text manifest, switched atomically, says which files make up the log. The
//! [`recovery`] module explains what survives a crash and why.
//!
//! # On-disk format
//!
//! Little-endian everywhere. A directory holds `MANIFEST` (see [`manifest`]), at
//! most one base file and one or more segment files. Every base and segment file
//! starts with a 32-byte header ([`segment`]):
//!
//! | offset | size | field     | contents                                              |
//! |--------|------|-----------|-------------------------------------------------------|
//! | 0      | 8    | magic     | `ISOLDWAL` ([`MAGIC`])                                |
//! | 8      | 4    | version   | u32, [`FORMAT_VERSION`] = 1                           |
//! | 12     | 4    | kind      | u32: 1 = segment, 2 = base                            |
//! | 16     | 8    | first LSN | u64: a segment's first LSN; a base's cut              |
//! | 24     | 4    | reserved  | zero                                                  |
//! | 28     | 4    | crc32     | u32, CRC-32 (IEEE) of bytes 0..28                     |
//!
//! followed by records, each framed as ([`record`]):
//!
//! | offset | size | field   | contents                                                |
//! |--------|------|---------|---------------------------------------------------------|
//! | 0      | 4    | length  | u32 payload length n, at most [`MAX_RECORD_LEN`]        |
//! | 4      | 4    | crc32   | u32, CRC-32 (IEEE, crc32fast) of the length bytes then the payload |
//! | 8      | n    | payload | opaque bytes                                            |
//!
//! A record's LSN is not stored: it is its segment's first LSN plus its index in
//! the segment. Every record of a base is reported with LSN `cut - 1`.

mod error;
pub mod io;
pub mod manifest;
mod options;
mod reader;
pub mod record;
pub mod recovery;
mod resync;
mod rewrite;
pub mod segment;
mod writer;

use std::path::Path;
use std::sync::Arc;

pub use error::Error;
pub use io::{Io, IoFile, OsIo};
pub use options::{FsyncPolicy, Options, ParseFsyncPolicyError};
pub use reader::Records;
pub use record::MAX_RECORD_LEN;
pub use recovery::{
    check, check_with, repair, repair_with, BadRecord, CheckReport, Recovery, RepairReport, Warning,
};
pub use rewrite::RewriteStats;
pub use segment::{FORMAT_VERSION, MAGIC};
pub use writer::Log;

/// Log sequence number: the position of a record in the log, from 1.
pub type Lsn = u64;

impl Log {
    /// Opens the log in `dir`, creating it if the directory is absent or empty, and
    /// recovers it (see [`recovery`]).
    pub fn open(dir: &Path, options: Options) -> Result<(Log, Recovery), Error> {
        recovery::open(dir, options, Arc::new(OsIo))
    }

    /// [`Log::open`] through another [`Io`], to simulate failures in tests.
    pub fn open_with_io(
        dir: &Path,
        options: Options,
        io: Arc<dyn Io>,
    ) -> Result<(Log, Recovery), Error> {
        recovery::open(dir, options, io)
    }
}
