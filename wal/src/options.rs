//! How durable appends are, and when segments roll and rewrites are due.

use std::fmt;
use std::str::FromStr;

/// When appended records reach the disk (Redis's `appendfsync`).
///
/// Under every policy a record is handed to the OS with write(2) before `write` or
/// `append` returns, so a crash of the process alone never loses an acknowledged
/// record; the policies differ in what a crash of the machine (power loss, kernel
/// panic) can take. A running rewrite never weakens any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// `append` returns only after its record is fdatasync'ed. Loss window: none;
    /// no acknowledged record is ever lost. Concurrent appends share one fsync.
    Always,
    /// A background thread fdatasyncs at least once a second. Loss window on a
    /// machine crash: the records written since the start of the last completed
    /// background fsync, about one second, longer only if one fsync itself takes
    /// longer than that.
    #[default]
    EverySec,
    /// Never fsync in the write path; the OS writes dirty pages back when it likes
    /// (on Linux typically within 30 s). Loss window on a machine crash: everything
    /// not yet written back by the OS, except full segments, which are fsynced when
    /// appends move on to the next segment.
    No,
}

impl fmt::Display for FsyncPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FsyncPolicy::Always => "always",
            FsyncPolicy::EverySec => "everysec",
            FsyncPolicy::No => "no",
        })
    }
}

/// A string that is not `always`, `everysec` or `no`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFsyncPolicyError(pub String);

impl fmt::Display for ParseFsyncPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown fsync policy {:?}: expected always, everysec or no",
            self.0
        )
    }
}

impl std::error::Error for ParseFsyncPolicyError {}

impl FromStr for FsyncPolicy {
    type Err = ParseFsyncPolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "always" => Ok(FsyncPolicy::Always),
            "everysec" => Ok(FsyncPolicy::EverySec),
            "no" => Ok(FsyncPolicy::No),
            _ => Err(ParseFsyncPolicyError(s.to_string())),
        }
    }
}

/// Settings of an open log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// When records reach the disk.
    pub fsync: FsyncPolicy,
    /// Appends move to a new segment once the current one would grow past this many
    /// bytes (a record larger than this gets a segment of its own). Default 64 MiB.
    pub segment_size: u64,
    /// `should_rewrite` fires once the log has grown by this many percent since the
    /// last base (or since open). 0 disables automatic rewrites. Default 100.
    pub rewrite_percentage: u32,
    /// ... and is at least this many bytes. Default 64 MiB.
    pub rewrite_min_size: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fsync: FsyncPolicy::EverySec,
            segment_size: 64 << 20,
            rewrite_percentage: 100,
            rewrite_min_size: 64 << 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_in_any_case_and_print_back() {
        for (text, policy) in [
            ("ALWAYS", FsyncPolicy::Always),
            ("EverySec", FsyncPolicy::EverySec),
            ("no", FsyncPolicy::No),
        ] {
            let parsed: FsyncPolicy = text.parse().unwrap();
            assert_eq!(parsed, policy);
            assert_eq!(parsed.to_string(), text.to_ascii_lowercase());
        }
        assert!("sometimes".parse::<FsyncPolicy>().is_err());
    }
}
