//! The random concurrent workload, and the recording of everything it saw.
//!
//! A few worker threads run short random transactions against one in-memory [`Db`], over
//! six keys `k0`..`k5`, of which `k0`..`k3` exist at the start. The steps are point reads,
//! range reads (scans), blind writes, inserts (write if the read found nothing), updates
//! (read, then write: the lost-update shape) and deletes; some transactions roll back on
//! purpose, so that dirty reads have aborted writers to find, and half of those that only
//! read are begun read-only (SERIALIZABLE may treat them differently).
//!
//! Every value written is unique, `T<txn>.<n>`, so a read names the version it saw. An
//! absent key has no value, so each key `kN` has a marker `kN~` (ordered right after it)
//! that names its deleter: a delete writes `kN~ = T<txn>.<n>` and then deletes `kN`, and
//! the initial transaction does the same for the keys that start absent. Whoever deleted
//! `kN` last, at a given snapshot, also wrote `kN~` last, so:
//!
//! - a scan returns both in one snapshot, and names every absent key exactly;
//! - a point read at REPEATABLE READ and SERIALIZABLE reads `kN~` after finding `kN`
//!   absent, in the same transaction snapshot;
//! - at READ COMMITTED, where each call has its own snapshot, a point read reads `kN~`
//!   before and after `kN`: if both reads agree no delete landed in between and the
//!   absent `kN` is named, otherwise the read is recorded as unresolved;
//! - at READ UNCOMMITTED, an absent key is always recorded as unresolved. A deleter that
//!   rolls back restores its keys one at a time, so a dirty reader can see its delete of
//!   `kN` and the marker it restored already, in a scan or between the point reads, and
//!   would name `kN` by a version nobody wrote to it. Present keys are named by their own
//!   values, and G0 does not depend on reads.
//!
//! The markers are keys like the others in the history; their reads and writes add only
//! edges that the deletes of their keys already imply.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use isolde::{Db, IsolationLevel, Options, Transaction};

use crate::checker::{History, Key, Op, Outcome, Txn, TxnId, Version, INITIAL};

/// Number of data keys; the markers are keys `KEYS..2 * KEYS`.
pub const KEYS: usize = 6;

/// Keys `k0..k{PRESENT}` exist at the start; the others can be inserted.
const PRESENT: usize = 4;

/// The names of the history's keys: the data keys, then their markers.
pub fn key_names() -> Vec<String> {
    (0..KEYS)
        .map(data_key)
        .chain((0..KEYS).map(marker_key))
        .collect()
}

fn data_key(i: usize) -> String {
    format!("k{i}")
}

fn marker_key(i: usize) -> String {
    format!("k{i}~")
}

fn key_index(name: &[u8]) -> Option<Key> {
    let text = std::str::from_utf8(name).ok()?.strip_prefix('k')?;
    match text.strip_suffix('~') {
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|i| *i < KEYS)
            .map(|i| KEYS + i),
        None => text.parse::<usize>().ok().filter(|i| *i < KEYS),
    }
}

/// A value that is not `T<txn>.<n>` is read as a version nobody wrote, so the checker
/// reports it.
fn version_of(value: &[u8]) -> Version {
    Version::parse(value).unwrap_or(Version {
        writer: TxnId::MAX,
        seq: 0,
    })
}

/// A small deterministic generator (splitmix64), so a seed fixes every program.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Get(usize),
    /// Data keys `lo..hi`, with their markers.
    Scan(usize, usize),
    Put(usize),
    Insert(usize),
    Update(usize),
    Delete(usize),
}

struct Program {
    steps: Vec<Step>,
    rollback: bool,
    /// Begun with `begin_read_only` (only for programs that do not write).
    read_only: bool,
}

fn random_program(rng: &mut Rng, rollback_percent: u64) -> Program {
    let steps = (0..1 + rng.below(4))
        .map(|_| {
            let k = rng.below(KEYS);
            match rng.below(100) {
                0..=29 => Step::Get(k),
                30..=44 => {
                    let lo = rng.below(KEYS);
                    Step::Scan(lo, lo + 1 + rng.below(KEYS - lo))
                }
                45..=59 => Step::Put(k),
                60..=69 => Step::Insert(k),
                70..=84 => Step::Update(k),
                _ => Step::Delete(k),
            }
        })
        .collect::<Vec<_>>();
    let reads_only = steps
        .iter()
        .all(|s| matches!(s, Step::Get(_) | Step::Scan(..)));
    Program {
        steps,
        rollback: rng.chance(rollback_percent),
        read_only: reads_only && rng.chance(50),
    }
}

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub level: IsolationLevel,
    pub workers: usize,
    pub txns_per_worker: usize,
    /// Fixes the programs; the interleaving is up to the threads.
    pub seed: u64,
    /// Share of transactions that roll back on purpose instead of committing.
    pub rollback_percent: u64,
}

/// Why a transaction did not commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// SQLSTATE 40001.
    Serialization,
    /// SQLSTATE 40P01.
    Deadlock,
    /// The program asked for a rollback.
    Rollback,
}

/// One transaction that did not commit.
#[derive(Clone, Copy, Debug)]
// `txn` and `clock` are for the false-abort replay of examples/false_aborts.rs.
#[cfg_attr(test, allow(dead_code))]
pub struct Abort {
    pub txn: TxnId,
    pub cause: Cause,
    /// True if `commit` failed; false if a read or write did.
    pub at_commit: bool,
    /// The newest visible commit timestamp when it failed.
    pub clock: u64,
}

/// One run: its history and why its aborted transactions aborted.
pub struct Run {
    pub history: History,
    pub aborts: Vec<Abort>,
    /// Point reads of an absent key whose deleter could not be named.
    pub unresolved: usize,
}

impl Run {
    /// Committed transactions of the workers (not the initial and final ones).
    pub fn committed(&self) -> usize {
        let ours = |t: &&Txn| t.id != INITIAL && Some(t.id) != self.history.final_read;
        let txns = self.history.txns.iter().filter(ours);
        txns.filter(|t| matches!(t.outcome, Outcome::Committed { .. }))
            .count()
    }

    pub fn aborted(&self, cause: Cause) -> usize {
        self.aborts.iter().filter(|a| a.cause == cause).count()
    }
}

/// Runs the workload on a fresh in-memory database and returns its history.
pub fn run(config: &Config) -> Run {
    let db = Db::open_in_memory_with(Options {
        // A hang is a bug: turn it into an error that fails the run.
        lock_timeout: Some(Duration::from_secs(20)),
        ..Options::default()
    });
    let initial = initial(&db);
    let ids = AtomicU64::new(INITIAL + 1);
    let results: Vec<Worker> = thread::scope(|s| {
        let handles: Vec<_> = (0..config.workers)
            .map(|w| {
                let seed = config.seed.wrapping_mul(31).wrapping_add(w as u64);
                let worker = Worker::new(&db, config, seed, &ids);
                s.spawn(move || worker.run())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    });
    let final_id = ids.fetch_add(1, Ordering::SeqCst);
    let mut last = Recorder::new(&db, IsolationLevel::RepeatableRead, final_id, true);
    last.scan(0, KEYS).expect("the final scan");
    let (final_read, error) = last.commit();
    assert!(error.is_none(), "the final read failed: {error:?}");

    let mut txns = vec![initial, final_read];
    let (mut aborts, mut unresolved) = (Vec::new(), 0);
    for worker in results {
        txns.extend(worker.txns);
        aborts.extend(worker.aborts);
        unresolved += worker.unresolved;
    }
    Run {
        history: History::new(txns, key_names(), Some(final_id)),
        aborts,
        unresolved,
    }
}

/// The starting state, written by transaction [`INITIAL`]: `k0..k3` present, `k4`, `k5`
/// absent (deleted, so that their markers name the initial transaction).
fn initial(db: &Db) -> Txn {
    let mut t = Recorder::new(db, IsolationLevel::RepeatableRead, INITIAL, false);
    for i in 0..KEYS {
        let done = if i < PRESENT {
            t.put(i).and_then(|()| t.put_marker(i).map(|_| ()))
        } else {
            t.delete(i)
        };
        done.expect("the initial writes");
    }
    let (txn, error) = t.commit();
    assert!(error.is_none(), "the initial commit failed: {error:?}");
    txn
}

/// One worker thread: its programs and what became of them.
struct Worker<'a> {
    db: &'a Db,
    level: IsolationLevel,
    programs: Vec<Program>,
    /// Decides when to yield the processor, to vary the interleaving.
    rng: Rng,
    ids: &'a AtomicU64,
    txns: Vec<Txn>,
    aborts: Vec<Abort>,
    unresolved: usize,
}

impl<'a> Worker<'a> {
    fn new(db: &'a Db, config: &Config, seed: u64, ids: &'a AtomicU64) -> Worker<'a> {
        let mut rng = Rng::new(seed);
        let programs = (0..config.txns_per_worker)
            .map(|_| random_program(&mut rng, config.rollback_percent))
            .collect();
        Worker {
            db,
            level: config.level,
            programs,
            rng,
            ids,
            txns: Vec::new(),
            aborts: Vec::new(),
            unresolved: 0,
        }
    }

    fn run(mut self) -> Self {
        for program in std::mem::take(&mut self.programs) {
            let id = self.ids.fetch_add(1, Ordering::SeqCst);
            let mut t = Recorder::new(self.db, self.level, id, program.read_only);
            let mut result = Ok(());
            for step in &program.steps {
                if self.rng.chance(50) {
                    thread::yield_now();
                }
                result = t.step(*step);
                if result.is_err() {
                    break;
                }
            }
            self.unresolved += t.unresolved;
            let (cause, at_commit) = match result {
                Err(e) => (self.cause(id, &e), false),
                Ok(()) if program.rollback => (Cause::Rollback, false),
                Ok(()) => {
                    match t.commit() {
                        (txn, None) => self.txns.push(txn),
                        (txn, Some(e)) => {
                            let cause = self.cause(id, &e);
                            self.abort(txn, cause, true);
                        }
                    }
                    continue;
                }
            };
            self.abort(t.abandon(), cause, at_commit);
        }
        self
    }

    fn abort(&mut self, txn: Txn, cause: Cause, at_commit: bool) {
        self.aborts.push(Abort {
            txn: txn.id,
            cause,
            at_commit,
            clock: self.db.manager().last_commit_ts(),
        });
        self.txns.push(txn);
    }

    fn cause(&self, id: TxnId, e: &isolde::Error) -> Cause {
        match e.sqlstate() {
            "40001" => Cause::Serialization,
            "40P01" => Cause::Deadlock,
            code => panic!("T{id} at {}: unexpected error [{code}] {e}", self.level),
        }
    }
}

/// One transaction in progress and what it has seen and written so far.
struct Recorder {
    id: TxnId,
    level: IsolationLevel,
    tx: Transaction,
    writes: u32,
    ops: Vec<Op>,
    unresolved: usize,
}

type Result<T> = std::result::Result<T, isolde::Error>;

impl Recorder {
    fn new(db: &Db, level: IsolationLevel, id: TxnId, read_only: bool) -> Recorder {
        let tx = match read_only {
            true => db.begin_read_only(level),
            false => db.begin(level),
        };
        Recorder {
            id,
            level,
            tx,
            writes: 0,
            ops: Vec::new(),
            unresolved: 0,
        }
    }

    fn step(&mut self, step: Step) -> Result<()> {
        match step {
            Step::Get(i) => self.point_read(i).map(|_| ()),
            Step::Scan(lo, hi) => self.scan(lo, hi),
            Step::Put(i) => self.put(i),
            Step::Insert(i) => match self.point_read(i)? {
                true => Ok(()),
                false => self.put(i),
            },
            Step::Update(i) => self.point_read(i).and_then(|_| self.put(i)),
            Step::Delete(i) => self.delete(i),
        }
    }

    /// Reads data key `i`; true if it was present.
    fn point_read(&mut self, i: usize) -> Result<bool> {
        let before = if self.level.uses_transaction_snapshot() {
            None
        } else {
            Some(self.read_marker(i)?)
        };
        if let Some(value) = self.tx.get(data_key(i).as_bytes())? {
            let saw = Some(version_of(&value));
            self.ops.push(Op::Read { key: i, saw });
            return Ok(true);
        }
        let after = self.read_marker(i)?;
        let saw = match before {
            _ if self.level == IsolationLevel::ReadUncommitted => {
                self.unresolved += 1;
                None
            }
            Some(before) if before != after => {
                self.unresolved += 1;
                None
            }
            _ => after,
        };
        self.ops.push(Op::Read { key: i, saw });
        Ok(false)
    }

    fn read_marker(&mut self, i: usize) -> Result<Option<Version>> {
        let saw = self
            .tx
            .get(marker_key(i).as_bytes())?
            .map(|v| version_of(&v));
        self.ops.push(Op::Read { key: KEYS + i, saw });
        Ok(saw)
    }

    /// Scans data keys `lo..hi` and their markers, naming every absent key by its marker.
    fn scan(&mut self, lo: usize, hi: usize) -> Result<()> {
        let (start, end) = (data_key(lo), data_key(hi));
        let found: HashMap<Key, Version> = self
            .tx
            .scan(start.as_bytes()..end.as_bytes())?
            .filter_map(|(k, v)| Some((key_index(&k)?, version_of(&v))))
            .collect();
        let mut seen = Vec::new();
        for i in lo..hi {
            let marker = found.get(&(KEYS + i)).copied();
            let named = match found.get(&i) {
                Some(&present) => Some(present),
                None if self.level == IsolationLevel::ReadUncommitted => {
                    self.unresolved += 1;
                    None
                }
                None => marker,
            };
            seen.push((i, named));
            seen.push((KEYS + i, marker));
        }
        self.ops.push(Op::Scan { seen });
        Ok(())
    }

    fn next_version(&mut self) -> Version {
        self.writes += 1;
        Version {
            writer: self.id,
            seq: self.writes,
        }
    }

    /// Writes are recorded before they are tried: an aborted transaction's history then
    /// holds the write it failed on, as the false-abort replay needs.
    fn put(&mut self, i: usize) -> Result<()> {
        let version = self.next_version();
        self.ops.push(Op::Write { key: i, version });
        let value = version.to_string();
        self.tx.put(data_key(i).as_bytes(), value.as_bytes())
    }

    fn put_marker(&mut self, i: usize) -> Result<Version> {
        let version = self.next_version();
        self.ops.push(Op::Write {
            key: KEYS + i,
            version,
        });
        let value = version.to_string();
        self.tx.put(marker_key(i).as_bytes(), value.as_bytes())?;
        Ok(version)
    }

    /// Names the deleter in the marker first, then deletes: a reader that finds the key
    /// absent finds the marker already written.
    fn delete(&mut self, i: usize) -> Result<()> {
        let version = self.put_marker(i)?;
        self.ops.push(Op::Write { key: i, version });
        self.tx.delete(data_key(i).as_bytes())
    }

    /// Commits; the record, and the error if the commit failed.
    fn commit(self) -> (Txn, Option<isolde::Error>) {
        let (outcome, error) = match self.tx.commit() {
            Ok(info) => (Outcome::Committed { ts: info.ts }, None),
            Err(e) => (Outcome::Aborted, Some(e)),
        };
        let txn = Txn {
            id: self.id,
            ops: self.ops,
            outcome,
        };
        (txn, error)
    }

    /// Rolls back (if the engine has not already) and returns the record.
    fn abandon(self) -> Txn {
        self.tx.rollback();
        Txn {
            id: self.id,
            ops: self.ops,
            outcome: Outcome::Aborted,
        }
    }
}
