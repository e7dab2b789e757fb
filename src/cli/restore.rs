//! `isolde restore FILE`: create a database from a checkpoint file.
//!
//! The steps, in an order that never replaces anything with an unverified file:
//!
//! 1. Refuse a directory that holds anything unless `--force`; take its `LOCK`, so no
//!    database process can have it open while files change under it.
//! 2. Open `FILE`, which verifies every checksum.
//! 3. With `--force`, remove what isolde owns in the directory: its checkpoints, their
//!    unfinished temp files and the `wal/` directory. Nothing else is touched.
//! 4. Write the entries into the directory as a new checkpoint, decoding (and so checking)
//!    every entry on the way, named as [`Directory::path_for`] names it.
//! 5. Release the lock, open the database as any process would, and report its keys.
//!
//! Why the file is rewritten rather than copied: its header's WAL position refers to the
//! log of the database it came from. The restored database starts with an empty log whose
//! first record is LSN 1, and recovery replays only records after the checkpoint's
//! position, so a copied header would make recovery skip the first commits made after the
//! restore. The rewritten checkpoint keeps the snapshot timestamp, creation time and
//! compression, and records WAL position 0.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use isolde_txn::checkpoint::{Checkpoint, Directory, Meta};
use isolde_txn::WAL_DIR;

use super::output::print;
use super::progress::Progress;
use super::{Context, Error, Result, Status};
use crate::Db;

/// Arguments of `isolde restore`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The checkpoint file to restore (from `isolde checkpoint --out` or a database directory)
    pub file: PathBuf,
    /// Replace the database in a non-empty directory (its checkpoints and wal/ are deleted)
    #[arg(long)]
    pub force: bool,
}

pub(crate) fn run(args: &Args, context: &Context) -> Result<Status> {
    let dir = &context.dir;
    if !args.force && !is_empty_or_missing(dir)? {
        return Err(Error::NotEmpty { dir: dir.clone() });
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let restored = {
        let _lock = lock(dir)?;
        let source = {
            let _spinner = Progress::spinner("verifying checksums");
            Checkpoint::open(&args.file)?
        };
        if args.force {
            remove_database(dir, &source)?;
        }
        rewrite(&source, &Directory::new(dir))?
    };
    let db = Db::open(dir, context.options.clone())?;
    let mut out = String::new();
    let _ = writeln!(out, "restored     {}", args.file.display());
    let _ = writeln!(out, "into         {}", restored.display());
    let _ = writeln!(out, "keys         {}", db.manager().key_count());
    let _ = writeln!(out, "last ts      {}", db.manager().last_commit_ts());
    print(out)?;
    Ok(Status::Success)
}

fn is_empty_or_missing(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Takes the directory's lock file, as an open database holds it.
pub(crate) fn lock(dir: &Path) -> Result<File> {
    isolde_txn::lock_dir(dir).map_err(|e| match e {
        isolde_txn::Error::Locked { .. } => Error::Locked {
            dir: dir.to_path_buf(),
        },
        other => Error::Db(other.into()),
    })
}

/// Deletes the files of the database in `dir`, except `source` if it lies there (it is
/// mapped, and step 4 renames the new checkpoint over it).
fn remove_database(dir: &Path, source: &Checkpoint) -> Result<()> {
    let directory = Directory::new(dir);
    let source_path = canonical(source.path());
    directory.remove_temp_files()?;
    for listed in directory.list()? {
        if canonical(&listed.path) != source_path {
            fs::remove_file(&listed.path).map_err(|e| Error::io(&listed.path, e))?;
        }
    }
    let wal = dir.join(WAL_DIR);
    match fs::remove_dir_all(&wal) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&wal, e)),
        _ => Ok(()),
    }
}

fn canonical(path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path).ok()
}

/// Writes `source`'s entries as a checkpoint of `directory` at WAL position 0; returns its
/// path.
fn rewrite(source: &Checkpoint, directory: &Directory) -> Result<PathBuf> {
    let meta = Meta {
        wal_lsn: 0,
        ..*source.meta()
    };
    let bar = Progress::bar(source.entry_count(), "restoring", "entries");
    let summary = directory.write(&meta, source.iter(), |written| bar.set(written))?;
    Ok(summary.path)
}
