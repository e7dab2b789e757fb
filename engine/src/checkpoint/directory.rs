//! The checkpoints of one database directory: naming, listing, choosing the one to recover
//! from, and pruning old ones.
//!
//! A checkpoint is named `checkpoint-<snapshot_ts as 20 digits>.ickp`, so names sort in
//! snapshot order and the newest sorts last. Files being written carry an extra `.tmp`
//! suffix until they are complete; they never count as checkpoints.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::writer::TEMP_SUFFIX;
use super::{Checkpoint, Error, Meta, Summary};

const PREFIX: &str = "checkpoint-";
const EXTENSION: &str = ".ickp";
const TS_DIGITS: usize = 20;

/// The fewest checkpoints [`Directory::prune`] keeps: the newest, and the one before it in
/// case the newest turns out unreadable.
pub const MIN_KEEP: usize = 2;

/// A checkpoint file found in the directory (not yet opened or verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Where the file is: the directory joined with its name.
    pub path: PathBuf,
    /// The snapshot timestamp read from the file's name (not from its header, which is
    /// not read until it is opened).
    pub snapshot_ts: u64,
}

/// A checkpoint passed over while looking for a valid one, and why.
#[derive(Debug)]
pub struct Skipped {
    /// The checkpoint file that was passed over.
    pub path: PathBuf,
    /// Why it could not be opened: I/O, or a check the file failed.
    pub error: Error,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped {}: {}", self.path.display(), self.error)
    }
}

/// The checkpoint recovery should start from, and the newer ones that were unusable.
#[derive(Debug)]
pub struct Loaded {
    /// The newest checkpoint that verified, mapped and fully checked.
    pub checkpoint: Checkpoint,
    /// Newer checkpoints that failed to open, newest first: each is a warning to log.
    pub skipped: Vec<Skipped>,
}

/// The checkpoints in one database directory.
#[derive(Debug, Clone)]
pub struct Directory {
    dir: PathBuf,
}

impl Directory {
    /// The checkpoints in `dir`. Nothing is read until a method is called.
    pub fn new(dir: impl Into<PathBuf>) -> Directory {
        Directory { dir: dir.into() }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where the checkpoint described by `meta` belongs.
    pub fn path_for(&self, meta: &Meta) -> PathBuf {
        self.dir.join(format!(
            "{PREFIX}{:0width$}{EXTENSION}",
            meta.snapshot_ts,
            width = TS_DIGITS
        ))
    }

    /// Writes a checkpoint at [`Directory::path_for`]`(meta)`; see [`super::write`].
    pub fn write<I, K, V, E>(
        &self,
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
        super::write(&self.path_for(meta), meta, entries, progress)
    }

    /// The checkpoint files in the directory, newest first. Other files, temp files
    /// included, are ignored. A missing directory has no checkpoints.
    pub fn list(&self) -> Result<Vec<Listed>, Error> {
        let mut listed: Vec<Listed> = self
            .file_names()?
            .into_iter()
            .filter_map(|name| {
                let snapshot_ts = parse_name(&name)?;
                Some(Listed {
                    path: self.dir.join(name),
                    snapshot_ts,
                })
            })
            .collect();
        listed.sort_by_key(|l| std::cmp::Reverse(l.snapshot_ts));
        Ok(listed)
    }

    /// Opens the newest checkpoint that verifies, skipping (and reporting) newer ones that
    /// do not. `Ok(None)` if there are no checkpoints at all; [`Error::NoValidCheckpoint`]
    /// if there are some but none verifies, because starting empty would lose their data.
    pub fn load_newest(&self) -> Result<Option<Loaded>, Error> {
        let mut skipped = Vec::new();
        for listed in self.list()? {
            match Checkpoint::open(&listed.path) {
                Ok(checkpoint) => {
                    return Ok(Some(Loaded {
                        checkpoint,
                        skipped,
                    }))
                }
                Err(error) => skipped.push(Skipped {
                    path: listed.path,
                    error,
                }),
            }
        }
        if skipped.is_empty() {
            Ok(None)
        } else {
            Err(Error::NoValidCheckpoint {
                dir: self.dir.clone(),
                skipped,
            })
        }
    }

    /// Deletes all but the newest `keep` checkpoints (at least [`MIN_KEEP`], whatever
    /// `keep` says); returns the paths removed. Call it only after a new checkpoint is
    /// complete, so that the previous one survives until then.
    pub fn prune(&self, keep: usize) -> Result<Vec<PathBuf>, Error> {
        let old = self.list()?.into_iter().skip(keep.max(MIN_KEEP));
        old.map(|listed| remove(listed.path)).collect()
    }

    /// Deletes the temp files of checkpoint writes that never finished (a crash mid-write).
    /// Call it when opening the database, before any checkpoint is being written: it would
    /// also delete the temp file of a write in progress.
    pub fn remove_temp_files(&self) -> Result<Vec<PathBuf>, Error> {
        let temps = self
            .file_names()?
            .into_iter()
            .filter(|name| is_temp_name(name));
        temps.map(|name| remove(self.dir.join(name))).collect()
    }

    /// The UTF-8 names of the entries in the directory (others cannot be ours).
    fn file_names(&self) -> Result<Vec<String>, Error> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
}

fn remove(path: PathBuf) -> Result<PathBuf, Error> {
    fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// The snapshot timestamp in a checkpoint's file name, or `None` for any other name.
fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?.strip_suffix(EXTENSION)?;
    let all_digits = digits.len() == TS_DIGITS && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| digits.parse().ok()).flatten()
}

fn is_temp_name(name: &str) -> bool {
    name.strip_suffix(TEMP_SUFFIX)
        .and_then(parse_name)
        .is_some()
}
