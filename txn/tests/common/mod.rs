//! Helpers shared by the transaction test suites: a fresh in-memory manager, readable
//! reads and writes of string values, steps that run on another thread so a blocked step
//! can be observed without hanging the test, and a small seeded random generator.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use isolde_txn::{Error, IsolationLevel, Options, Transaction, TxnManager};

/// How long a step must stay unfinished to count as blocked. Long enough that a step that
/// does not block has surely finished, short enough to keep the suite fast.
pub const BLOCK_PROBE: Duration = Duration::from_millis(150);

/// How long a step that should finish may take before the test fails instead of hanging.
pub const FINISH_LIMIT: Duration = Duration::from_secs(5);

/// A fresh in-memory database.
pub fn manager() -> TxnManager {
    TxnManager::in_memory(Options::default())
}

/// Commits `pairs` in one transaction.
pub fn seed(mgr: &TxnManager, pairs: &[(&str, &str)]) {
    let mut txn = mgr.begin(IsolationLevel::RepeatableRead);
    for (key, value) in pairs {
        txn.put(key.as_bytes(), value.as_bytes())
            .expect("seed write");
    }
    txn.commit().expect("seed commit");
}

/// Reads `key` as one statement (a fresh snapshot at READ COMMITTED), as a string.
pub fn read(txn: &Transaction, key: &str) -> Option<String> {
    txn.begin_statement();
    let value = txn.get(key.as_bytes()).expect("read");
    value.map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// Reads `key` as an integer (absent reads as 0).
pub fn read_int(txn: &Transaction, key: &str) -> i64 {
    read(txn, key).map_or(0, |v| v.parse().expect("integer value"))
}

/// The keys under `prefix`, read as one statement.
pub fn scan_keys(txn: &Transaction, prefix: &str) -> Vec<String> {
    txn.begin_statement();
    txn.scan_prefix(prefix.as_bytes())
        .expect("scan")
        .map(|(k, _)| String::from_utf8_lossy(&k).into_owned())
        .collect()
}

/// Writes `value` to `key`.
pub fn write(txn: &mut Transaction, key: &str, value: &str) -> isolde_txn::Result<()> {
    txn.begin_statement();
    txn.put(key.as_bytes(), value.as_bytes())
}

/// The committed value of `key`, read by a fresh transaction.
pub fn committed(mgr: &TxnManager, key: &str) -> Option<String> {
    let txn = mgr.begin(IsolationLevel::RepeatableRead);
    read(&txn, key)
}

/// True for a serialization failure (40001, retryable); panics on any other error, so a
/// scenario that expects "prevented by a serialization failure" cannot pass on a wrong one.
pub fn is_serialization_failure(error: &Error, step: &str) -> bool {
    match error {
        Error::Serialization(_) => {
            assert_eq!(error.sqlstate(), "40001", "{step}: {error}");
            assert!(error.is_retryable(), "{step}: {error} must be retryable");
            true
        }
        other => panic!("{step}: expected success or a serialization failure, got {other}"),
    }
}

/// A step running on another thread, so that the test can observe it waiting.
pub struct Background<T> {
    what: String,
    rx: Receiver<T>,
}

/// Runs `step` on a new thread. `what` names the step in failure messages.
pub fn in_background<T: Send + 'static>(
    what: &str,
    step: impl FnOnce() -> T + Send + 'static,
) -> Background<T> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        // The receiver may be gone if the test already failed; nothing to do then.
        let _ = tx.send(step());
    });
    Background {
        what: what.to_string(),
        rx,
    }
}

impl<T> Background<T> {
    /// The step's result if it finishes within `limit`, None if it is still running.
    pub fn finished_within(&self, limit: Duration) -> Option<T> {
        match self.rx.recv_timeout(limit) {
            Ok(result) => Some(result),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("{}: the step panicked", self.what),
        }
    }

    /// Fails the test unless the step is still waiting after [`BLOCK_PROBE`].
    pub fn assert_blocked(&self) {
        if self.finished_within(BLOCK_PROBE).is_some() {
            panic!(
                "{}: expected it to block, but it finished at once",
                self.what
            );
        }
    }

    /// Waits for the step to finish, failing the test after [`FINISH_LIMIT`].
    pub fn finish(self) -> T {
        match self.finished_within(FINISH_LIMIT) {
            Some(result) => result,
            None => panic!(
                "{}: still blocked after {FINISH_LIMIT:?}; it should have been released",
                self.what
            ),
        }
    }
}

/// SplitMix64: a tiny seeded generator, so every random history can be replayed from
/// its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}
