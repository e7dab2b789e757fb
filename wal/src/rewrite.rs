//! Rewrite (Redis 7's multi-part AOF rewrite) and truncation after a checkpoint.
//!
//! A rewrite replaces every record before a *cut* by a compact *base* describing
//! the same state, without stopping appends:
//!
//! ```text
//! before:  seg-1 [1..40]  seg-41 [41..97]                 (appends go to seg-41)
//! start:   seg-1 [1..40]  seg-41 [41..97]  seg-98 [98..]  cut = 98
//! finish:  base(cut 98)                    seg-98 [98..]  seg-1 and seg-41 deleted
//! ```
//!
//! Phase 1 ([`Log::start_rewrite`]) moves appends to a fresh segment, so every
//! record before the cut is in older files. The caller builds the base from a
//! snapshot holding exactly those records. Phase 2 ([`Log::finish_rewrite`]) writes
//! the base, fsyncs it, and switches the manifest atomically; only then are the
//! replaced files deleted. Appends keep their fsync policy throughout: the base is
//! written by the caller's thread, never by the append path. A crash before the
//! manifest rename leaves the old log (the half-written base is an orphan that the
//! next open deletes); a crash after it leaves the new one (the replaced files are
//! orphans).

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crate::error::Error;
use crate::manifest::{Entry, Manifest};
use crate::record::{self, MAX_RECORD_LEN};
use crate::segment::{self, FileKind, Header, HEADER_LEN};
use crate::writer::{Log, State};
use crate::Lsn;

/// What a finished rewrite did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewriteStats {
    pub cut: Lsn,
    /// The new base file and its size in bytes.
    pub base_file: PathBuf,
    pub base_records: u64,
    pub base_bytes: u64,
    /// Files the base replaced, deleted after the switch.
    pub files_removed: usize,
    pub size_before: u64,
    pub size_after: u64,
}

/// Writing the base goes out in chunks of this size: few write(2) calls, bounded memory.
const BASE_CHUNK: usize = 1 << 20;

impl Log {
    /// Rewrite, phase 1: moves appends to a new segment and returns the cut: every
    /// record with LSN < cut is in older files. Build the base from a snapshot that
    /// holds exactly the records before the cut, then call [`Log::finish_rewrite`].
    pub fn start_rewrite(&self) -> Result<Lsn, Error> {
        self.shared.check_poisoned()?;
        let mut state = self.shared.state.lock();
        if state.active_records > 0 {
            self.shared.rotate(&mut state)?;
        }
        Ok(self.next_lsn())
    }

    /// Rewrite, phase 2: writes `base` (the state as of `cut`, one record per item)
    /// to a new base file, fsyncs it, switches the manifest to it atomically and
    /// deletes the files it replaces. Appends go on meanwhile.
    pub fn finish_rewrite(
        &self,
        cut: Lsn,
        base: impl Iterator<Item = Vec<u8>>,
    ) -> Result<RewriteStats, Error> {
        let shared = &self.shared;
        let _rewrite = shared.rewrite_lock.lock();
        shared.check_poisoned()?;
        let generation = {
            let state = shared.state.lock();
            check_cut(&state.manifest, cut)?;
            state.manifest.generation
        };
        let name = segment::base_name(cut, generation);
        let path = shared.dir.join(&name);
        let (base_records, base_bytes) = self.write_base(&path, cut, base)?;

        let mut state = shared.state.lock();
        check_cut(&state.manifest, cut)?;
        let keep_from = state
            .manifest
            .segments
            .iter()
            .position(|s| s.lsn == cut)
            .unwrap_or(0);
        let has_base = usize::from(state.manifest.base.is_some());
        let removed: Vec<Entry> = state
            .manifest
            .files()
            .take(has_base + keep_from)
            .cloned()
            .collect();
        let manifest = Manifest {
            generation: state.manifest.generation + 1,
            base: Some(Entry { name, lsn: cut }),
            segments: state.manifest.segments[keep_from..].to_vec(),
        };
        manifest
            .store(&*shared.io, &shared.dir)
            .map_err(|e| shared.poison_with(e))?;
        let size_before = shared.size.load(Ordering::Relaxed);
        let mut sizes = vec![base_bytes];
        sizes.extend_from_slice(&state.sizes[has_base + keep_from..]);
        self.install(&mut state, manifest, sizes, &removed);
        let size_after = shared.size.load(Ordering::Relaxed);
        shared
            .rewrite_base_size
            .store(size_after, Ordering::Relaxed);
        Ok(RewriteStats {
            cut,
            base_file: path,
            base_records,
            base_bytes,
            files_removed: removed.len(),
            size_before,
            size_after,
        })
    }

    /// Writes and fsyncs a base file; returns its record count and byte size.
    fn write_base(
        &self,
        path: &std::path::Path,
        cut: Lsn,
        base: impl Iterator<Item = Vec<u8>>,
    ) -> Result<(u64, u64), Error> {
        let io = &*self.shared.io;
        let file = segment::create_file(
            io,
            path,
            Header {
                kind: FileKind::Base,
                first_lsn: cut,
            },
        )?;
        let (mut records, mut bytes) = (0u64, HEADER_LEN as u64);
        let mut chunk = Vec::with_capacity(BASE_CHUNK);
        for payload in base {
            if payload.len() > MAX_RECORD_LEN {
                return Err(Error::RecordTooLarge { len: payload.len() });
            }
            record::encode(&payload, &mut chunk);
            records += 1;
            if chunk.len() >= BASE_CHUNK {
                file.write_all(&chunk).map_err(|e| Error::io(path, e))?;
                bytes += chunk.len() as u64;
                chunk.clear();
            }
        }
        file.write_all(&chunk)
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(path, e))?;
        Ok((records, bytes + chunk.len() as u64))
    }

    /// Adopts a manifest that is already on disk and deletes the files it dropped.
    /// A deletion that fails leaves an orphan, which the next open removes.
    fn install(&self, state: &mut State, manifest: Manifest, sizes: Vec<u64>, removed: &[Entry]) {
        let shared = &self.shared;
        state.manifest = manifest;
        state.sizes = sizes;
        shared
            .size
            .store(state.sizes.iter().sum(), Ordering::Relaxed);
        for entry in removed {
            let _ = shared.io.remove(&shared.dir.join(&entry.name));
        }
    }

    /// True when the log has grown by `rewrite_percentage` percent since the last
    /// base was installed (or since open) and is at least `rewrite_min_size` bytes.
    pub fn should_rewrite(&self) -> bool {
        let options = &self.shared.options;
        if options.rewrite_percentage == 0 {
            return false;
        }
        let size = self.size_bytes();
        let base = self.shared.rewrite_base_size.load(Ordering::Relaxed);
        let threshold =
            base.saturating_add(base.saturating_mul(u64::from(options.rewrite_percentage)) / 100);
        size >= options.rewrite_min_size && size >= threshold
    }

    /// Deletes the segments (and the base) all of whose records are < `lsn`, e.g.
    /// after a checkpoint that holds everything up to `lsn - 1`. The segment
    /// receiving appends is always kept.
    pub fn truncate_before(&self, lsn: Lsn) -> Result<(), Error> {
        let shared = &self.shared;
        shared.check_poisoned()?;
        let mut state = shared.state.lock();
        let segments = &state.manifest.segments;
        let drop_segments = segments
            .windows(2)
            .take_while(|pair| pair[1].lsn <= lsn)
            .count();
        let drop_base = state.manifest.base.as_ref().is_some_and(|b| b.lsn <= lsn);
        if drop_segments == 0 && !drop_base {
            return Ok(());
        }
        let has_base = usize::from(state.manifest.base.is_some());
        let mut removed: Vec<Entry> = state
            .manifest
            .base
            .iter()
            .filter(|_| drop_base)
            .cloned()
            .collect();
        removed.extend_from_slice(&segments[..drop_segments]);
        let manifest = Manifest {
            generation: state.manifest.generation + 1,
            base: state.manifest.base.clone().filter(|_| !drop_base),
            segments: segments[drop_segments..].to_vec(),
        };
        manifest
            .store(&*shared.io, &shared.dir)
            .map_err(|e| shared.poison_with(e))?;
        let mut sizes: Vec<u64> = state.sizes[..has_base]
            .iter()
            .copied()
            .filter(|_| !drop_base)
            .collect();
        sizes.extend_from_slice(&state.sizes[has_base + drop_segments..]);
        self.install(&mut state, manifest, sizes, &removed);
        Ok(())
    }
}

/// A cut must be the first LSN of a segment, and later than the current base's.
fn check_cut(manifest: &Manifest, cut: Lsn) -> Result<(), Error> {
    if !manifest.segments.iter().any(|s| s.lsn == cut) {
        return Err(Error::InvalidCut {
            cut,
            reason:
                "no segment starts there (was start_rewrite called, or the log truncated since?)"
                    .into(),
        });
    }
    if let Some(base) = manifest.base.as_ref().filter(|b| b.lsn >= cut) {
        return Err(Error::InvalidCut {
            cut,
            reason: format!("the current base already covers up to LSN {}", base.lsn),
        });
    }
    Ok(())
}
