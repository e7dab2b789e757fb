//! The manifest: the one file that says which files make up the log.
//!
//! It is a small text file, so that a person can read it when something is wrong:
//!
//! ```text
//! isolde-wal manifest 1
//! generation 7
//! base base-00000000000000000123-00000000000000000006.wal 123
//! segment seg-00000000000000000123.wal 123
//! segment seg-00000000000000000456.wal 456
//! checksum 1a2b3c4d
//! ```
//!
//! `generation` counts manifest writes; the optional `base` line names the base and
//! its cut; `segment` lines name the incremental segments and their first LSNs, in
//! log order, the last one receiving appends; `checksum` is the CRC-32 (hex) of all
//! bytes before it. Every change is a switch: write `MANIFEST.tmp`, fsync it,
//! rename it over `MANIFEST`, fsync the directory. A crash leaves either the old or
//! the new manifest, never a mix, and files only one of them names are cleaned up
//! on the next open.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use crate::error::Error;
use crate::io::Io;
use crate::Lsn;

pub(crate) const MANIFEST_NAME: &str = "MANIFEST";
pub(crate) const MANIFEST_TMP_NAME: &str = "MANIFEST.tmp";
const FIRST_LINE_PREFIX: &str = "isolde-wal manifest ";
const MANIFEST_VERSION: u32 = 1;

/// A file of the log with the LSN its header carries (a segment's first LSN, a
/// base's cut).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) lsn: Lsn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub(crate) generation: u64,
    pub(crate) base: Option<Entry>,
    /// Never empty: the last segment receives appends.
    pub(crate) segments: Vec<Entry>,
}

impl Manifest {
    fn encode(&self) -> String {
        let mut text = format!("{FIRST_LINE_PREFIX}{MANIFEST_VERSION}\n");
        let _ = writeln!(text, "generation {}", self.generation);
        if let Some(base) = &self.base {
            let _ = writeln!(text, "base {} {}", base.name, base.lsn);
        }
        for seg in &self.segments {
            let _ = writeln!(text, "segment {} {}", seg.name, seg.lsn);
        }
        let crc = crc32fast::hash(text.as_bytes());
        let _ = writeln!(text, "checksum {crc:08x}");
        text
    }

    fn parse(text: &str, dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join(MANIFEST_NAME);
        let corrupt = |offset: usize, reason: String| Error::corrupt(&path, offset as u64, reason);
        let Some(version) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix(FIRST_LINE_PREFIX))
        else {
            let what = if text.is_empty() {
                "empty file"
            } else {
                "does not start with `isolde-wal manifest`"
            };
            return Err(corrupt(0, format!("not a log manifest: {what}")));
        };
        let version: u32 = version
            .trim()
            .parse()
            .map_err(|_| corrupt(0, format!("bad version {version:?}")))?;
        if version != MANIFEST_VERSION {
            return Err(Error::UnsupportedVersion {
                file: path,
                version,
            });
        }
        let Some(checksum_at) = text.rfind("checksum ") else {
            return Err(corrupt(text.len(), "no checksum line (truncated?)".into()));
        };
        let stored = text[checksum_at + 9..].trim();
        let computed = format!("{:08x}", crc32fast::hash(&text.as_bytes()[..checksum_at]));
        if stored != computed {
            return Err(corrupt(
                checksum_at,
                format!("checksum mismatch: stored {stored}, computed {computed}"),
            ));
        }
        let mut manifest = Manifest {
            generation: 0,
            base: None,
            segments: Vec::new(),
        };
        let mut offset = 0;
        for line in text[..checksum_at].lines() {
            let line_offset = offset;
            offset += line.len() + 1;
            let fields: Vec<&str> = line.split(' ').collect();
            let number = |s: &str| {
                s.parse::<u64>()
                    .map_err(|_| corrupt(line_offset, format!("bad number {s:?}")))
            };
            match fields.as_slice() {
                [] | ["isolde-wal", "manifest", _] => {}
                ["generation", n] => manifest.generation = number(n)?,
                ["base", name, lsn] => {
                    manifest.base = Some(Entry {
                        name: name.to_string(),
                        lsn: number(lsn)?,
                    })
                }
                ["segment", name, lsn] => manifest.segments.push(Entry {
                    name: name.to_string(),
                    lsn: number(lsn)?,
                }),
                _ => return Err(corrupt(line_offset, format!("unrecognised line {line:?}"))),
            }
        }
        manifest.validate().map_err(|reason| corrupt(0, reason))?;
        Ok(manifest)
    }

    /// The invariants every manifest this crate writes holds.
    fn validate(&self) -> Result<(), String> {
        let Some(first) = self.segments.first() else {
            return Err("no segments".into());
        };
        if let Some(base) = &self.base {
            if base.lsn != first.lsn {
                return Err(format!(
                    "base cut {} is not the first segment's LSN {}",
                    base.lsn, first.lsn
                ));
            }
        }
        for pair in self.segments.windows(2) {
            if pair[1].lsn <= pair[0].lsn {
                return Err(format!(
                    "segments out of order: {} then {}",
                    pair[0].name, pair[1].name
                ));
            }
        }
        let names = self.base.iter().chain(&self.segments);
        if let Some(bad) = names
            .clone()
            .find(|e| e.name.contains('/') || e.name.starts_with('.'))
        {
            return Err(format!(
                "file name {:?} outside the log directory",
                bad.name
            ));
        }
        Ok(())
    }

    /// All files in log order: the base first, then the segments.
    pub(crate) fn files(&self) -> impl Iterator<Item = &Entry> {
        self.base.iter().chain(&self.segments)
    }

    /// Reads the manifest of `dir`; `None` when there is none.
    pub(crate) fn load(io: &dyn Io, dir: &Path) -> Result<Option<Manifest>, Error> {
        let path = dir.join(MANIFEST_NAME);
        let mut reader = match io.open_read(&path) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to() as u64;
            Error::corrupt(&path, offset, "not a log manifest: not text")
        })?;
        Manifest::parse(&text, dir).map(Some)
    }

    /// Switches the log to this manifest atomically (temp file, fsync, rename,
    /// directory fsync). On error the on-disk manifest may be the old or the new one.
    pub(crate) fn store(&self, io: &dyn Io, dir: &Path) -> Result<(), Error> {
        let tmp = dir.join(MANIFEST_TMP_NAME);
        let path = dir.join(MANIFEST_NAME);
        let file = io.create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        file.write_all(self.encode().as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&tmp, e))?;
        drop(file);
        io.rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        io.sync_dir(dir).map_err(|e| Error::io(dir, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            generation: 3,
            base: Some(Entry {
                name: "base-a.wal".into(),
                lsn: 5,
            }),
            segments: vec![
                Entry {
                    name: "seg-5.wal".into(),
                    lsn: 5,
                },
                Entry {
                    name: "seg-9.wal".into(),
                    lsn: 9,
                },
            ],
        }
    }

    #[test]
    fn manifest_round_trips_through_text() {
        let m = sample();
        assert_eq!(Manifest::parse(&m.encode(), Path::new("/d")).unwrap(), m);
    }

    #[test]
    fn an_edited_manifest_fails_its_checksum() {
        let text = sample().encode().replace("seg-9", "seg-8");
        assert!(matches!(
            Manifest::parse(&text, Path::new("/d")),
            Err(Error::Corrupt { .. })
        ));
    }

    #[test]
    fn an_empty_or_foreign_manifest_is_corrupt_and_named() {
        for text in ["", "hello\n"] {
            let err = Manifest::parse(text, Path::new("/d")).unwrap_err();
            assert!(
                matches!(&err, Error::Corrupt { file, offset: 0, .. } if file == Path::new("/d/MANIFEST")),
                "{err}"
            );
        }
    }
}
