//! Options, and the `isolde.toml` file they are read from.
//!
//! Keys are named after their Redis counterparts where one exists. Every key is optional;
//! an unknown key or a bad value is an error that names the key and the line.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `dir` | `./isolde-data` | database directory |
//! | `appendonly` | `true` | keep a write-ahead log (false: checkpoints only, Redis RDB semantics) |
//! | `appendfsync` | `"everysec"` | `always`, `everysec` or `no` |
//! | `save` | `"900 1 300 10 60 10000"` | checkpoint rules, pairs of `<seconds> <changes>`; `""` or `[]` turns them off |
//! | `stop-writes-on-checkpoint-error` | `true` | refuse writes after a failed automatic checkpoint |
//! | `checkpoint-compression` | `"lz4"` | `lz4` or `none` |
//! | `wal-rewrite-percentage` | `100` | rewrite the log when it grew by this % since the last rewrite (0: never) |
//! | `wal-rewrite-min-size` | `"64mb"` | ... and is at least this big |
//! | `wal-segment-size` | `"64mb"` | size at which the log starts a new segment file |
//! | `lock-timeout` | `0` | milliseconds a transaction waits for a row lock; 0 waits forever |
//! | `default-isolation` | `"read committed"` | level of autocommit statements and of `BEGIN` without a level |
//! | `pubsub-buffer-limit` | `10000` | undelivered messages a subscription may hold before it is closed |

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use isolde_txn::checkpoint::Compression;
use isolde_txn::wal::FsyncPolicy;
use isolde_txn::{IsolationLevel, SaveRule};
use serde::de::{self, Deserializer};
use serde::Deserialize;

use crate::error::{Error, Result};

/// The default database directory.
pub const DEFAULT_DIR: &str = "isolde-data";

/// How a database stores, logs, checkpoints and isolates.
#[derive(Clone, Debug)]
pub struct Options {
    /// Keep a write-ahead log (`appendonly`).
    pub appendonly: bool,
    /// When log writes reach the disk (`appendfsync`).
    pub appendfsync: FsyncPolicy,
    /// Automatic checkpoint rules (`save`).
    pub save: Vec<SaveRule>,
    /// Refuse writes after a failed automatic checkpoint until one succeeds.
    pub stop_writes_on_checkpoint_error: bool,
    /// Compression of checkpoint blocks.
    pub checkpoint_compression: Compression,
    /// Rewrite the log when it grew by this percentage since the last rewrite (0: never).
    pub wal_rewrite_percentage: u32,
    /// ...and is at least this many bytes.
    pub wal_rewrite_min_size: u64,
    /// Size at which the log starts a new segment.
    pub wal_segment_size: u64,
    /// How long a transaction waits for a row lock before it fails with SQLSTATE 55P03
    /// (and is rolled back). `None` and `Some(Duration::ZERO)` both wait forever, as
    /// `lock-timeout = 0` does in `isolde.toml` and `lock_timeout = 0` in PostgreSQL.
    /// There is no NOWAIT setting: a very short timeout (`Some(Duration::from_millis(1))`)
    /// comes closest. Deadlocks are detected at once whatever the timeout.
    pub lock_timeout: Option<Duration>,
    /// Level of autocommit operations and of transactions begun without one.
    pub default_isolation: IsolationLevel,
    /// Undelivered messages a subscription may hold (`pubsub-buffer-limit`).
    pub pubsub_buffer_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        let txn = isolde_txn::Options::default();
        let wal = isolde_txn::wal::Options::default();
        Options {
            appendonly: true,
            appendfsync: wal.fsync,
            save: txn.save,
            stop_writes_on_checkpoint_error: txn.stop_writes_on_checkpoint_error,
            checkpoint_compression: txn.checkpoint_compression,
            wal_rewrite_percentage: wal.rewrite_percentage,
            wal_rewrite_min_size: wal.rewrite_min_size,
            wal_segment_size: wal.segment_size,
            lock_timeout: None,
            default_isolation: IsolationLevel::ReadCommitted,
            pubsub_buffer_limit: 10_000,
        }
    }
}

impl Options {
    /// The transaction manager's view of these options.
    pub(crate) fn txn_options(&self) -> isolde_txn::Options {
        let log = self.appendonly.then_some(isolde_txn::wal::Options {
            fsync: self.appendfsync,
            segment_size: self.wal_segment_size,
            rewrite_percentage: self.wal_rewrite_percentage,
            rewrite_min_size: self.wal_rewrite_min_size,
        });
        isolde_txn::Options {
            log,
            // The transaction layer reads a zero timeout as "do not wait".
            lock_timeout: self.lock_timeout.filter(|timeout| !timeout.is_zero()),
            save: self.save.clone(),
            checkpoint_compression: self.checkpoint_compression,
            stop_writes_on_checkpoint_error: self.stop_writes_on_checkpoint_error,
            ..isolde_txn::Options::default()
        }
    }
}

/// The contents of an `isolde.toml`: a directory and options.
#[derive(Clone, Debug)]
pub struct Config {
    /// The database directory (`dir`); relative paths are relative to the working
    /// directory, not to the configuration file.
    pub dir: PathBuf,
    /// Every other key of the file, defaults filled in.
    pub options: Options,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: PathBuf::from(DEFAULT_DIR),
            options: Options::default(),
        }
    }
}

impl Config {
    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text).map_err(|message| Error::Config {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses the text of a configuration file; the error names the key and the line.
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut config = Config::default();
        let o = &mut config.options;
        if let Some(dir) = file.dir {
            config.dir = dir;
        }
        set(&mut o.appendonly, file.appendonly);
        set(&mut o.appendfsync, file.appendfsync.map(|p| p.0));
        set(&mut o.save, file.save.map(|s| s.0));
        set(
            &mut o.stop_writes_on_checkpoint_error,
            file.stop_writes_on_checkpoint_error,
        );
        set(
            &mut o.checkpoint_compression,
            file.checkpoint_compression.map(|c| c.0),
        );
        set(&mut o.wal_rewrite_percentage, file.wal_rewrite_percentage);
        set(
            &mut o.wal_rewrite_min_size,
            file.wal_rewrite_min_size.map(|s| s.0),
        );
        set(&mut o.wal_segment_size, file.wal_segment_size.map(|s| s.0));
        if let Some(ms) = file.lock_timeout {
            o.lock_timeout = (ms > 0).then(|| Duration::from_millis(ms));
        }
        set(
            &mut o.default_isolation,
            file.default_isolation.map(|l| l.0),
        );
        set(&mut o.pubsub_buffer_limit, file.pubsub_buffer_limit);
        Ok(config)
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    dir: Option<PathBuf>,
    appendonly: Option<bool>,
    appendfsync: Option<Parsed<FsyncPolicy>>,
    save: Option<SaveRules>,
    stop_writes_on_checkpoint_error: Option<bool>,
    checkpoint_compression: Option<Parsed<Compression>>,
    wal_rewrite_percentage: Option<u32>,
    wal_rewrite_min_size: Option<Size>,
    wal_segment_size: Option<Size>,
    lock_timeout: Option<u64>,
    default_isolation: Option<Parsed<IsolationLevel>>,
    pubsub_buffer_limit: Option<usize>,
}

/// A value written as a string and parsed with `FromStr`.
struct Parsed<T>(T);

impl<'de, T: FromStr> Deserialize<'de> for Parsed<T>
where
    T::Err: std::fmt::Display,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Parsed).map_err(de::Error::custom)
    }
}

/// A byte size: an integer, or a string such as `"64mb"`, `"1gb"`, `"512kb"`.
struct Size(u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bytes(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bytes(n) => Ok(Size(n)),
            Raw::Text(text) => parse_size(&text).map(Size).map_err(de::Error::custom),
        }
    }
}

/// Parses `"64mb"`-style sizes (Redis's units: k/kb, m/mb, g/gb, powers of 1024).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &lower[digits.len()..];
    let multiplier: u64 = match unit {
        "" | "b" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        _ => {
            return Err(format!(
                "unknown size unit {unit:?} in {text:?}: use b, kb, mb or gb"
            ))
        }
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 64mb"))?;
    n.checked_mul(multiplier)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

/// `save` rules: `"900 1 300 10"` or `["900 1", "300 10"]`; empty turns them off.
struct SaveRules(Vec<SaveRule>);

impl<'de> Deserialize<'de> for SaveRules {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Line(String),
            List(Vec<String>),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Line(line) => line,
            Raw::List(items) => items.join(" "),
        };
        parse_save(&text).map(SaveRules).map_err(de::Error::custom)
    }
}

/// Parses Redis's `save` syntax: pairs of `<seconds> <changes>`.
pub fn parse_save(text: &str) -> std::result::Result<Vec<SaveRule>, String> {
    let numbers: Vec<u64> = text
        .split_whitespace()
        .map(|w| {
            w.parse()
                .map_err(|_| format!("save: {w:?} is not a whole number"))
        })
        .collect::<std::result::Result<_, _>>()?;
    if !numbers.len().is_multiple_of(2) {
        return Err(format!(
            "save: {text:?} must be pairs of <seconds> <changes>"
        ));
    }
    let rule = |pair: &[u64]| SaveRule {
        after: Duration::from_secs(pair[0]),
        changes: pair[1],
    };
    Ok(numbers.chunks(2).map(rule).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses() {
        let config = Config::parse(
            r#"
            dir = "/tmp/x"
            appendonly = false
            appendfsync = "always"
            save = ["60 1000", "10 5"]
            stop-writes-on-checkpoint-error = false
            checkpoint-compression = "none"
            wal-rewrite-percentage = 50
            wal-rewrite-min-size = "1mb"
            wal-segment-size = 4096
            lock-timeout = 250
            default-isolation = "repeatable-read"
            pubsub-buffer-limit = 5
            "#,
        )
        .unwrap();
        let o = &config.options;
        assert_eq!(config.dir, PathBuf::from("/tmp/x"));
        assert!(!o.appendonly);
        assert_eq!(o.appendfsync, FsyncPolicy::Always);
        assert_eq!(o.save.len(), 2);
        assert_eq!(
            o.save[0],
            SaveRule {
                after: Duration::from_secs(60),
                changes: 1000
            }
        );
        assert_eq!(o.wal_rewrite_min_size, 1 << 20);
        assert_eq!(o.wal_segment_size, 4096);
        assert_eq!(o.lock_timeout, Some(Duration::from_millis(250)));
        assert_eq!(o.default_isolation, IsolationLevel::RepeatableRead);
        assert_eq!(o.pubsub_buffer_limit, 5);
    }

    #[test]
    fn empty_save_turns_checkpoint_rules_off() {
        assert!(Config::parse("save = \"\"")
            .unwrap()
            .options
            .save
            .is_empty());
        assert!(Config::parse("save = []").unwrap().options.save.is_empty());
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = Config::parse("appendonly = true\nappendfsinc = \"always\"\n").unwrap_err();
        assert!(
            err.contains("appendfsinc") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn bad_value_is_named_with_its_line() {
        let err = Config::parse("\n\nappendfsync = \"sometimes\"\n").unwrap_err();
        assert!(err.contains("sometimes") && err.contains("line 3"), "{err}");
        let err = Config::parse("save = \"900\"").unwrap_err();
        assert!(err.contains("pairs"), "{err}");
        let err = Config::parse("wal-rewrite-min-size = \"12 parsecs\"").unwrap_err();
        assert!(err.contains("parsecs"), "{err}");
    }
}
