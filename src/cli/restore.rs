//! `isolde restore FILE`: create a database from a checkpoint file.
//!
//! The steps, in an order that never replaces anything with an unverified or unfinished
//! file:
//!
//! 1. Refuse a directory that holds anything unless `--force` (what an interrupted
//!    restore left, its lock file and staging directories, does not count); take its
//!    `LOCK`, so no database process can have it open while files change under it.
//! 2. Open `FILE`, which verifies every checksum.
//! 3. Write the entries as a new checkpoint into the staging directory `.restore-new`
//!    inside the database directory, decoding (and so checking) every entry on the way.
//!    Until this is finished, fsynced and renamed, the old database is untouched: a full
//!    disk or a kill leaves it as it was.
//! 4. Move what isolde owns in the directory (its checkpoints, their unfinished temp
//!    files, the `wal/` directory) aside into `.restore-old`, rename the new checkpoint
//!    into the directory, make the renames durable, and delete `.restore-old` and the
//!    staging directory. Nothing else in the directory is touched.
//! 5. Release the lock, open the database as any process would, and report its keys.
//!
//! A restore cut short in step 4 leaves `.restore-old`, holding what was moved aside so
//! far: the directory may then hold part of the old database, or neither database, so
//! opening it is refused until the restore is run again, which finishes the job. One
//! cut short in step 3 leaves the old database whole, and only `.restore-new` behind.
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

/// Where step 3 writes the new checkpoint, inside the database directory.
const STAGING_DIR: &str = ".restore-new";
/// Where step 4 moves the replaced database's files before deleting them; while it is
/// there, opening the database is refused.
const REPLACED_DIR: &str = isolde_txn::RESTORE_REPLACED_DIR;

pub(crate) fn run(args: &Args, context: &Context) -> Result<Status> {
    let dir = &context.dir;
    if !args.force && !is_empty_or_missing(dir)? {
        return Err(Error::NotEmpty { dir: dir.clone() });
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let restored = {
        let _lock = lock(dir)?;
        let staged = {
            let source = {
                let _spinner = Progress::spinner("verifying checksums");
                Checkpoint::open(&args.file)?
            };
            let staging = fresh_dir(&dir.join(STAGING_DIR))?;
            rewrite(&source, &Directory::new(&staging))?
        };
        replace_database(dir, &staged)?
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

/// True when `dir` is missing or holds nothing but what an interrupted restore leaves.
fn is_empty_or_missing(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let name = entry.map_err(|e| Error::io(dir, e))?.file_name();
                if ![isolde_txn::LOCK_FILE, STAGING_DIR, REPLACED_DIR]
                    .iter()
                    .any(|own| name == *own)
                {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Creates `path` as an empty directory, removing what an interrupted restore left there.
fn fresh_dir(path: &Path) -> Result<PathBuf> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(path, e)),
        _ => {}
    }
    fs::create_dir(path).map_err(|e| Error::io(path, e))?;
    Ok(path.to_path_buf())
}

/// Step 4: moves the database files in `dir` aside, renames the `staged` checkpoint into
/// `dir` and makes that durable, then deletes what was moved aside. Returns the new
/// checkpoint's path.
fn replace_database(dir: &Path, staged: &Path) -> Result<PathBuf> {
    let aside = fresh_dir(&dir.join(REPLACED_DIR))?;
    let directory = Directory::new(dir);
    directory.remove_temp_files()?;
    let mut owned: Vec<PathBuf> = directory.list()?.into_iter().map(|l| l.path).collect();
    owned.push(dir.join(WAL_DIR));
    for path in owned {
        let Some(name) = path.file_name() else {
            continue;
        };
        match fs::rename(&path, aside.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&path, e)),
            _ => {}
        }
    }
    let name = staged.file_name().unwrap_or_default();
    let target = dir.join(name);
    fs::rename(staged, &target).map_err(|e| Error::io(&target, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    for leftover in [aside, dir.join(STAGING_DIR)] {
        fs::remove_dir_all(&leftover).map_err(|e| Error::io(&leftover, e))?;
    }
    Ok(target)
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
