//! Reading records back, in LSN order, while appends and rewrites go on.
//!
//! [`Log::read_from`] snapshots the file list and the length of the active segment
//! under the state lock and opens every file it will need right then, so a rewrite
//! or truncation that deletes files afterwards cannot pull them from under the
//! reader (an open file outlives its unlink), and a record being appended right now
//! is never seen half-written.
//!
//! Recovery reads the whole log twice: [`Log::open`] validates every frame, then
//! the caller replays it with `read_from`. The first reader over a file does not
//! checksum again the bytes open has just validated. That is sound because an open
//! log's files change only through the log itself (appends past those bytes, a
//! rewrite that writes new files), and it halves the checksum work of recovery.
//! Frame lengths are still bounds-checked, and every later reader, and every byte
//! written since open, is checksummed as usual: a long-lived log that re-reads old
//! segments from disk still catches what the disk did to them meanwhile.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::record::FrameReader;
use crate::segment::{FileKind, Header, HEADER_LEN};
use crate::writer::Log;
use crate::Lsn;

/// The records of a log from some LSN on; see [`Log::read_from`].
pub struct Records {
    pending: VecDeque<Source>,
    current: Option<Current>,
    from: Lsn,
    failed: bool,
}

struct Source {
    path: PathBuf,
    reader: Box<dyn Read + Send>,
    kind: FileKind,
    lsn: Lsn,
    limit: u64,
    /// Bytes open's scan checked (0 when another reader took them first).
    checked: u64,
}

struct Current {
    path: PathBuf,
    frames: FrameReader<Box<dyn Read + Send>>,
    kind: FileKind,
    /// LSN of the next record (a base reports every record as `cut - 1`).
    next_lsn: Lsn,
    /// Offset of the frame of the last record read from this file.
    record_at: Option<u64>,
}

impl Log {
    /// The cut of the current base, if the log has been rewritten: the base holds the
    /// whole state as of every record before it, deletions included, so a reader starting
    /// before the cut must start from an empty state.
    pub fn base_cut(&self) -> Option<Lsn> {
        self.shared
            .state
            .lock()
            .manifest
            .base
            .as_ref()
            .map(|base| base.lsn)
    }

    /// The records with LSN >= `from`, in order. When `from` lies before the cut of
    /// the current base, the base's records come first, each reported with LSN
    /// `cut - 1` (together they replace every record before the cut), then the
    /// records from the cut on. When `from` lies before the oldest retained record
    /// and no base covers it, fails with [`Error::NotRetained`]. Records written
    /// after this call are not included.
    pub fn read_from(&self, from: Lsn) -> Result<Records, Error> {
        // LSNs start at 1: asking from 0 asks for everything.
        let from = from.max(1);
        let shared = &self.shared;
        let mut state = shared.state.lock();
        let state = &mut *state;
        let manifest = &state.manifest;
        let oldest = manifest.segments[0].lsn;
        if from < oldest && manifest.base.is_none() {
            return Err(Error::NotRetained {
                dir: shared.dir.clone(),
                from,
                oldest,
            });
        }
        let mut pending = VecDeque::new();
        let files = manifest.files().zip(&state.sizes).enumerate();
        for (index, (entry, &limit)) in files {
            let kind = if index == 0 && manifest.base.is_some() {
                FileKind::Base
            } else {
                FileKind::Segment
            };
            let next_first = manifest
                .segments
                .iter()
                .map(|s| s.lsn)
                .find(|&l| l > entry.lsn);
            let wanted = match kind {
                FileKind::Base => from < entry.lsn,
                FileKind::Segment => next_first.is_none_or(|next| from < next),
            };
            if !wanted {
                continue;
            }
            let path = shared.dir.join(&entry.name);
            let reader = shared
                .io
                .open_read(&path)
                .map_err(|e| Error::io(&path, e))?;
            pending.push_back(Source {
                path,
                reader,
                kind,
                lsn: entry.lsn,
                limit,
                checked: state.checked_at_open.remove(&entry.name).unwrap_or(0),
            });
        }
        Ok(Records {
            pending,
            current: None,
            from,
            failed: false,
        })
    }
}

impl Records {
    fn start(source: Source) -> Result<Current, Error> {
        let mut reader = source.reader;
        let mut bytes = [0u8; HEADER_LEN];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| Error::io(&source.path, e))?;
        let header = Header::decode(&bytes, &source.path)?;
        if header.kind != source.kind || header.first_lsn != source.lsn {
            return Err(Error::corrupt(
                &source.path,
                0,
                "file header does not match the manifest",
            ));
        }
        let next_lsn = match source.kind {
            FileKind::Base => source.lsn - 1,
            FileKind::Segment => source.lsn,
        };
        Ok(Current {
            frames: FrameReader::new(reader, HEADER_LEN as u64, source.limit)
                .trusting(source.checked),
            path: source.path,
            kind: source.kind,
            next_lsn,
            record_at: None,
        })
    }

    /// Moves to the next record with LSN >= `from` and returns its LSN; its payload
    /// is then `self.current`'s [`FrameReader::payload`].
    fn advance(&mut self) -> Result<Option<Lsn>, Error> {
        loop {
            let current = match &mut self.current {
                Some(c) => c,
                None => match self.pending.pop_front() {
                    Some(source) => self.current.insert(Records::start(source)?),
                    None => return Ok(None),
                },
            };
            let frame_at = current.frames.offset();
            match current
                .frames
                .next_frame()
                .map_err(|e| Error::io(&current.path, e))?
            {
                None => self.current = None,
                Some(Err(bad)) => {
                    return Err(Error::corrupt(
                        &current.path,
                        current.frames.offset(),
                        bad.to_string(),
                    ))
                }
                Some(Ok(())) => {
                    current.record_at = Some(frame_at);
                    let lsn = current.next_lsn;
                    if current.kind == FileKind::Segment {
                        current.next_lsn += 1;
                        if lsn < self.from {
                            continue;
                        }
                    }
                    return Ok(Some(lsn));
                }
            }
        }
    }

    /// The next record like [`Iterator::next`], but lending the payload from the
    /// read buffer instead of allocating a `Vec` for it: the fast way to replay a
    /// log whose records are decoded right away. The slice lives until the next call.
    pub fn next_borrowed(&mut self) -> Option<Result<(Lsn, &[u8]), Error>> {
        if self.failed {
            return None;
        }
        match self.advance() {
            Ok(None) => None,
            Ok(Some(lsn)) => {
                // `advance` returned a record, so it left a current file.
                let current = self.current.as_ref()?;
                Some(Ok((lsn, current.frames.payload())))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl Records {
    /// The file and byte offset of the frame of the record last handed out, so that
    /// a caller that cannot decode its payload can name the place in its error (as
    /// [`crate::check_with`] does); `None` before the first record.
    pub fn location(&self) -> Option<(&Path, u64)> {
        let current = self.current.as_ref()?;
        Some((current.path.as_path(), current.record_at?))
    }
}

impl Iterator for Records {
    type Item = Result<(Lsn, Vec<u8>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_borrowed()
            .map(|record| record.map(|(lsn, payload)| (lsn, payload.to_vec())))
    }
}
