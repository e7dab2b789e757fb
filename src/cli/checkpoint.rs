//! `isolde checkpoint`: take a checkpoint of a database now, optionally copying the
//! finished file elsewhere (a backup that `isolde restore` accepts).
//!
//! The database is opened (and recovered) by this process, so the directory must not be
//! in use by another one.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::output::{print, wal_lsn_text};
use super::progress::Progress;
use super::{Error, Result, Status};

/// Arguments of `isolde checkpoint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also copy the finished checkpoint to FILE (written to FILE.tmp, fsynced, renamed)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, context: &super::Context) -> Result<Status> {
    let db = context.open_existing()?;
    let bar = Progress::bar(db.manager().key_count() as u64, "checkpoint", "keys");
    let info = db.checkpoint_with_progress(|written| bar.set(written))?;
    drop(bar);
    let mut out = String::new();
    let _ = writeln!(out, "checkpoint   {}", info.path.display());
    let _ = writeln!(out, "keys         {}", info.keys);
    let _ = writeln!(out, "bytes        {}", info.bytes);
    let _ = writeln!(out, "snapshot ts  {}", info.snapshot_ts);
    let _ = writeln!(out, "wal lsn      {}", wal_lsn_text(info.wal_lsn));
    let _ = writeln!(out, "duration     {:.3}s", info.duration.as_secs_f64());
    if let Some(target) = &args.out {
        let _copying = Progress::spinner("copying");
        copy_durably(&info.path, target)?;
        let _ = writeln!(out, "copied to    {}", target.display());
    }
    print(out)?;
    Ok(Status::Success)
}

/// Copies `from` to `to` so that `to` is either absent, its old self, or the complete
/// copy: write `to.tmp`, fsync it, rename it over `to`, fsync the directory.
pub(crate) fn copy_durably(from: &Path, to: &Path) -> Result<()> {
    let mut temp = to.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    let copied = fs::copy(from, &temp)
        .map_err(|e| Error::io(&temp, e))
        .and_then(|_| {
            File::open(&temp)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(&temp, e))
        })
        .and_then(|()| fs::rename(&temp, to).map_err(|e| Error::io(to, e)));
    if copied.is_err() {
        let _ = fs::remove_file(&temp);
    }
    copied?;
    sync_parent(to)
}

/// Makes a rename in `path`'s directory durable.
fn sync_parent(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Directories cannot be opened (or synced) as files on every platform; where they
    // can, a failed sync is a real error.
    match File::open(parent) {
        Ok(dir) => dir.sync_all().map_err(|e| Error::io(parent, e)),
        Err(_) if cfg!(not(unix)) => Ok(()),
        Err(e) => Err(Error::io(parent, e)),
    }
}
