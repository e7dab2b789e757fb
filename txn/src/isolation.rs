//! Isolation levels: what each one lets a transaction see, and what it refuses.
//!
//! # Versions, snapshots and the one clock
//!
//! Every committed read-write transaction gets a commit timestamp from one counter, in the
//! order its record goes into the write-ahead log. Its writes become versions stamped with
//! that timestamp, and they all become visible at once, when the *visible timestamp*
//! reaches it (the clock only moves past a timestamp when it and every earlier one are
//! finished). A snapshot is just a timestamp: a reader at snapshot `s` sees, for each key,
//! the newest version committed at or before `s`, plus its own pending writes.
//!
//! ```text
//!   ts:    1      2      3      4      5
//!   x      10            11                    snapshot 2 sees x=10, y=20
//!   y             20            21             snapshot 4 sees x=11, y=21
//!   z                                 (30)     pending, owned by T9: only T9 and
//!                                              READ UNCOMMITTED readers see it
//! ```
//!
//! An uncommitted version is also a row lock: a key has at most one, and a second writer
//! waits for its owner to finish (with deadlock detection and an optional timeout). So
//! dirty writes never happen, at any level.
//!
//! # The four levels
//!
//! Each level is one rule for choosing the snapshot plus one check on writes and commits:
//!
//! | level            | reads see                          | write over a newer commit | commit check            |
//! |------------------|------------------------------------|---------------------------|-------------------------|
//! | READ UNCOMMITTED | newest version, pending included   | allowed (waits for lock)  | none                    |
//! | READ COMMITTED   | a fresh snapshot per statement     | allowed, caller told      | none                    |
//! | REPEATABLE READ  | one snapshot for the transaction   | serialization failure     | none                    |
//! | SERIALIZABLE     | one snapshot for the transaction   | serialization failure     | rw-dependency check     |
//!
//! REPEATABLE READ is snapshot isolation, as in PostgreSQL: stronger than the ANSI
//! definition (no phantoms, because a range is read at one snapshot too), but it allows
//! write skew. SERIALIZABLE adds serializable snapshot isolation (Cahill, Fekete; the
//! PostgreSQL design of Ports and Grittner): the points and ranges each serializable
//! transaction read are remembered, and a commit that would complete a *dangerous
//! structure* `T_in -rw-> T_pivot -rw-> T_out`, with `T_out` committed first, is refused.
//! Every cycle in a snapshot-isolation history contains such a structure, so every set of
//! committed SERIALIZABLE transactions is serializable. See `ssi.rs`.

use std::fmt;
use std::str::FromStr;

/// The four SQL isolation levels, each with the exact guarantee isolde gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IsolationLevel {
    /// Reads see the newest version of each key, other transactions' uncommitted writes
    /// included: dirty reads happen. Writes still lock rows, so dirty writes do not.
    ReadUncommitted,
    /// Each statement reads a fresh snapshot of committed data. A write that waited on a
    /// row goes on against the newest committed version (the caller is told, so SQL can
    /// re-check its WHERE clause, as PostgreSQL does). Non-repeatable reads, phantoms,
    /// lost updates and write skew can happen.
    ReadCommitted,
    /// Snapshot isolation: one snapshot for the whole transaction; writing a row that
    /// another transaction committed after the snapshot fails with a serialization error
    /// (first updater wins). An insert's uniqueness check is not such a write: it sees
    /// the newest committed rows, so a row committed later is a duplicate and a key
    /// deleted later is free, as in PostgreSQL ([`crate::Transaction::insert`]). No
    /// phantoms (stronger than ANSI); write skew can happen.
    RepeatableRead,
    /// Snapshot isolation plus serializable-snapshot-isolation checks on what was read:
    /// every set of committed SERIALIZABLE transactions behaves as if run one at a time.
    /// Some commits fail with a retryable serialization error instead.
    Serializable,
}

impl IsolationLevel {
    /// Every level, weakest first.
    pub const ALL: [IsolationLevel; 4] = [
        IsolationLevel::ReadUncommitted,
        IsolationLevel::ReadCommitted,
        IsolationLevel::RepeatableRead,
        IsolationLevel::Serializable,
    ];

    /// The SQL spelling, as PostgreSQL's `SHOW transaction_isolation` prints it.
    pub fn sql_name(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "read uncommitted",
            IsolationLevel::ReadCommitted => "read committed",
            IsolationLevel::RepeatableRead => "repeatable read",
            IsolationLevel::Serializable => "serializable",
        }
    }

    /// The short form: `RU`, `RC`, `RR`, `SER`.
    pub fn short_name(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "RU",
            IsolationLevel::ReadCommitted => "RC",
            IsolationLevel::RepeatableRead => "RR",
            IsolationLevel::Serializable => "SER",
        }
    }

    /// True for the levels that read one snapshot for the whole transaction.
    pub fn uses_transaction_snapshot(self) -> bool {
        self >= IsolationLevel::RepeatableRead
    }
}

impl fmt::Display for IsolationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql_name().to_uppercase())
    }
}

/// A string that names no isolation level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownIsolationLevel(pub String);

impl fmt::Display for UnknownIsolationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown isolation level {:?}: expected read uncommitted, read committed, \
             repeatable read or serializable (or ru, rc, rr, ser)",
            self.0
        )
    }
}

impl std::error::Error for UnknownIsolationLevel {}

impl FromStr for IsolationLevel {
    type Err = UnknownIsolationLevel;

    /// Accepts the SQL spelling in any case, with spaces, hyphens or underscores between
    /// the words, and the short forms `ru`, `rc`, `rr`, `ser`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let words: Vec<String> = s
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let level = match words.join(" ").as_str() {
            "read uncommitted" | "ru" => IsolationLevel::ReadUncommitted,
            "read committed" | "rc" => IsolationLevel::ReadCommitted,
            "repeatable read" | "rr" => IsolationLevel::RepeatableRead,
            "serializable" | "ser" => IsolationLevel::Serializable,
            _ => return Err(UnknownIsolationLevel(s.to_string())),
        };
        Ok(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_spelling_parses() {
        use IsolationLevel::*;
        for (text, level) in [
            ("read uncommitted", ReadUncommitted),
            ("READ COMMITTED", ReadCommitted),
            ("read-committed", ReadCommitted),
            ("Repeatable_Read", RepeatableRead),
            ("  repeatable   read ", RepeatableRead),
            ("ser", Serializable),
            ("RU", ReadUncommitted),
            ("rr", RepeatableRead),
            ("SERIALIZABLE", Serializable),
        ] {
            assert_eq!(text.parse::<IsolationLevel>(), Ok(level), "{text}");
        }
    }

    #[test]
    fn unknown_level_names_the_input() {
        let err = "snapshot".parse::<IsolationLevel>().unwrap_err();
        assert!(err.to_string().contains("\"snapshot\""));
    }
}
