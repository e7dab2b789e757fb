//! `isolde inspect FILE`: what a checkpoint file holds, and whether it is intact.
//!
//! Opening the file verifies the header, every block's CRC and the footer's totals; the
//! command then decodes every entry too (decompressing each block), so "ok" means the
//! whole file would load. A file that fails any of this is reported as an error naming
//! the file and offset, with exit code 1.

use std::fmt::Write as _;
use std::path::PathBuf;

use isolde_txn::checkpoint::{Checkpoint, FORMAT_VERSION};

use super::output::{iso8601_utc, print, wal_lsn_text};
use super::progress::Progress;
use super::{Result, Status};

/// Arguments of `isolde inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The checkpoint file (a `checkpoint-<ts>.ickp` or a copy of one)
    pub file: PathBuf,
}

pub(crate) fn run(args: &Args) -> Result<Status> {
    let checkpoint = {
        let _spinner = Progress::spinner("verifying checksums");
        Checkpoint::open(&args.file)?
    };
    let bar = Progress::bar(checkpoint.entry_count(), "decoding", "entries");
    for (decoded, entry) in (1..).zip(checkpoint.iter()) {
        entry?;
        bar.set(decoded);
    }
    drop(bar);
    print(describe(&checkpoint))?;
    Ok(Status::Success)
}

/// The report: one `name  value` line per field.
fn describe(checkpoint: &Checkpoint) -> String {
    let meta = checkpoint.meta();
    let mut out = String::new();
    let mut field = |name: &str, value: String| {
        let _ = writeln!(out, "{name:<12} {value}");
    };
    field("file", checkpoint.path().display().to_string());
    // Opening succeeded, so the file is in the one version this build reads.
    field(
        "format",
        format!("isolde checkpoint, version {FORMAT_VERSION}"),
    );
    field("snapshot ts", meta.snapshot_ts.to_string());
    field("wal lsn", wal_lsn_text(meta.wal_lsn));
    field("created", iso8601_utc(meta.created_unix_ms));
    field("compression", meta.compression.to_string());
    field("entries", checkpoint.entry_count().to_string());
    field("file size", format!("{} bytes", checkpoint.file_size()));
    field(
        "checksums",
        "ok (header, every block, footer; every entry decoded)".to_string(),
    );
    out
}
