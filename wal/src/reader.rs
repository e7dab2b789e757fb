//! Reading records back, in LSN order, while appends and rewrites go on.
//!
//! [`Log::read_from`] snapshots the file list and the length of the active segment
//! under the state lock and opens every file it will need right then, so a rewrite
//! or truncation that deletes files afterwards cannot pull them from under the
//! reader (an open file outlives its unlink), and a record being appended right now
//! is never seen half-written.

use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::path::PathBuf;

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
}

struct Current {
    path: PathBuf,
    frames: FrameReader<BufReader<Box<dyn Read + Send>>>,
    kind: FileKind,
    /// LSN of the next record (a base reports every record as `cut - 1`).
    next_lsn: Lsn,
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
        let state = shared.state.lock();
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
        let mut reader = BufReader::with_capacity(1 << 20, source.reader);
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
            frames: FrameReader::new(reader, HEADER_LEN as u64, source.limit),
            path: source.path,
            kind: source.kind,
            next_lsn,
        })
    }

    fn next_record(&mut self) -> Result<Option<(Lsn, Vec<u8>)>, Error> {
        loop {
            let current = match &mut self.current {
                Some(c) => c,
                None => match self.pending.pop_front() {
                    Some(source) => self.current.insert(Records::start(source)?),
                    None => return Ok(None),
                },
            };
            let mut payload = Vec::new();
            match current
                .frames
                .next_into(&mut payload)
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
                    let lsn = current.next_lsn;
                    if current.kind == FileKind::Segment {
                        current.next_lsn += 1;
                        if lsn < self.from {
                            continue;
                        }
                    }
                    return Ok(Some((lsn, payload)));
                }
            }
        }
    }
}

impl Iterator for Records {
    type Item = Result<(Lsn, Vec<u8>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = self.next_record();
        if result.is_err() {
            self.failed = true;
        }
        result.transpose()
    }
}
