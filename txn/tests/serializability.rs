//! Random concurrent histories, checked against the definitions.
//!
//! Every value written is unique (`T<tag>.<n>`), so each read names the transaction whose
//! version it saw. From the committed transactions the checker rebuilds each key's
//! version order (commit timestamps) and then checks:
//!
//! - snapshot reads: every read, point or range, returns exactly the state committed at
//!   the transaction's snapshot, overlaid with its own earlier writes;
//! - first updater wins (REPEATABLE READ and SERIALIZABLE): no two concurrent committed
//!   transactions wrote the same key;
//! - serializability (SERIALIZABLE): the dependency graph over committed transactions,
//!   with ww, wr and rw edges, is acyclic. A range read counts as a read of every key of
//!   the (small, fixed) key universe inside it, found or not, so inserting into or
//!   deleting from a scanned range gives a predicate rw edge.
//!
//! The deterministic driver interleaves the steps of several open transactions on one
//! thread, deferring a write whose row another open transaction holds, so every history
//! replays from its seed. A threaded test adds real lock waits and deadlocks, and a
//! regression test pins a race between a commit and a concurrent begin.

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::*;
use isolde_txn::{
    CommitObserver, CommitRecord, Error, IsolationLevel, Options, Timestamp, Transaction,
    TxnManager,
};

/// The key universe: k0..k3 exist at the start, k4 and k5 can be inserted.
const KEYS: usize = 6;
const SEEDED: usize = 4;

fn key(index: usize) -> String {
    format!("k{index}")
}

/// Pending writes of a transaction: key index to value (None: deleted).
type Writes = BTreeMap<usize, Option<String>>;

/// One read, with the transaction's own writes at that moment (they override the snapshot).
#[derive(Clone, Debug)]
struct Read {
    /// The key indexes read: one for a point read, every key of the universe in the range
    /// for a scan.
    keys: Vec<usize>,
    /// What came back, by key index (absent keys missing).
    seen: BTreeMap<usize, String>,
    own: Writes,
    scan: bool,
}

/// A committed transaction as the checker sees it.
#[derive(Clone, Debug)]
struct Committed {
    tag: usize,
    snapshot: Timestamp,
    /// None for a transaction that wrote nothing.
    ts: Option<Timestamp>,
    reads: Vec<Read>,
    writes: Writes,
}

/// A transaction in progress, with what it has done so far.
struct Running {
    tag: usize,
    txn: Transaction,
    snapshot: Timestamp,
    ops: VecDeque<Op>,
    reads: Vec<Read>,
    writes: Writes,
    written: usize,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Get(usize),
    /// Keys `lo..hi`.
    Scan(usize, usize),
    Put(usize),
    Delete(usize),
}

impl Running {
    fn new(tag: usize, txn: Transaction, ops: Vec<Op>) -> Running {
        Running {
            tag,
            snapshot: txn.snapshot(),
            txn,
            ops: ops.into(),
            reads: Vec::new(),
            writes: Writes::new(),
            written: 0,
        }
    }

    /// Runs one read or write. Err: the transaction failed and is rolled back.
    fn run(&mut self, op: Op) -> Result<(), Error> {
        match op {
            Op::Get(k) => {
                let value = self.txn.get(key(k).as_bytes())?;
                let seen = value.map(|v| (k, text(&v))).into_iter().collect();
                self.record(vec![k], seen, false);
            }
            Op::Scan(lo, hi) => {
                let (start, end) = (key(lo), key(hi));
                let seen = self
                    .txn
                    .scan(start.as_bytes()..end.as_bytes())?
                    .map(|(k, v)| (key_index(&k), text(&v)))
                    .collect();
                self.record((lo..hi).collect(), seen, true);
            }
            Op::Put(k) => {
                self.written += 1;
                let value = format!("T{}.{}", self.tag, self.written);
                self.txn.put(key(k).as_bytes(), value.as_bytes())?;
                self.writes.insert(k, Some(value));
            }
            Op::Delete(k) => {
                self.txn.delete(key(k).as_bytes())?;
                self.writes.insert(k, None);
            }
        }
        Ok(())
    }

    fn record(&mut self, keys: Vec<usize>, seen: BTreeMap<usize, String>, scan: bool) {
        let own = self
            .writes
            .iter()
            .filter(|(k, _)| keys.contains(k))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        self.reads.push(Read {
            keys,
            seen,
            own,
            scan,
        });
    }

    /// Commits, returning what the checker needs.
    fn commit(self) -> Result<Committed, Error> {
        let Running {
            tag,
            txn,
            snapshot,
            reads,
            writes,
            ..
        } = self;
        let info = txn.commit()?;
        Ok(Committed {
            tag,
            snapshot,
            ts: info.ts,
            reads,
            writes,
        })
    }
}

fn text(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

fn key_index(key: &[u8]) -> usize {
    text(key)
        .strip_prefix('k')
        .and_then(|n| n.parse().ok())
        .expect("a key of the universe")
}

/// Commits the initial state as transaction tag 0.
fn seed_history(mgr: &TxnManager) -> Committed {
    let mut seed = Running::new(0, mgr.begin(IsolationLevel::RepeatableRead), Vec::new());
    for k in 0..SEEDED {
        seed.run(Op::Put(k)).expect("seed write");
    }
    seed.commit().expect("seed commit")
}

/// How the depth-first search reached a transaction: the edge kind and its key.
type Via = Option<(Dep, usize)>;

/// One edge of the dependency graph.
#[derive(Clone, Copy, Debug)]
enum Dep {
    Ww,
    Wr,
    Rw,
}

/// Committed transactions and the checks over them.
struct History {
    txns: Vec<Committed>,
    /// Per key: (commit ts, index into txns, value), in commit order.
    versions: Vec<Vec<(Timestamp, usize, Option<String>)>>,
}

impl History {
    fn new(mut txns: Vec<Committed>) -> History {
        txns.sort_by_key(|t| t.tag);
        let mut versions = vec![Vec::new(); KEYS];
        for (i, t) in txns.iter().enumerate() {
            if let Some(ts) = t.ts {
                for (k, v) in &t.writes {
                    versions[*k].push((ts, i, v.clone()));
                }
            }
        }
        for chain in &mut versions {
            chain.sort_by_key(|v| v.0);
            for pair in chain.windows(2) {
                assert!(pair[0].0 < pair[1].0, "two versions with one timestamp");
            }
        }
        History { txns, versions }
    }

    /// The version of `k` committed at `snapshot`: (index of its writer, value).
    fn visible(&self, k: usize, snapshot: Timestamp) -> Option<(usize, Option<String>)> {
        let version = self.versions[k].iter().rev().find(|v| v.0 <= snapshot)?;
        Some((version.1, version.2.clone()))
    }

    /// Every read returned the snapshot's state overlaid with the reader's own writes.
    fn check_snapshot_reads(&self) -> Result<(), String> {
        for t in &self.txns {
            for read in &t.reads {
                let mut expected = BTreeMap::new();
                for &k in &read.keys {
                    let value = match read.own.get(&k) {
                        Some(own) => own.clone(),
                        None => self.visible(k, t.snapshot).and_then(|(_, v)| v),
                    };
                    if let Some(value) = value {
                        expected.insert(k, value);
                    }
                }
                if read.seen != expected {
                    return Err(format!(
                        "T{} (snapshot {}) {} keys {:?} and saw {:?}; the snapshot holds {:?}",
                        t.tag,
                        t.snapshot,
                        if read.scan { "scanned" } else { "read" },
                        read.keys,
                        read.seen,
                        expected
                    ));
                }
            }
        }
        Ok(())
    }

    /// No two concurrent committed transactions wrote the same key (first updater wins).
    fn check_no_concurrent_writers(&self) -> Result<(), String> {
        for (k, chain) in self.versions.iter().enumerate() {
            for pair in chain.windows(2) {
                let (earlier, later) = (&self.txns[pair[0].1], &self.txns[pair[1].1]);
                if pair[0].0 > later.snapshot {
                    return Err(format!(
                        "T{} and T{} both wrote k{k}, but T{} (snapshot {}) did not see T{}'s \
                         commit at ts {}",
                        earlier.tag, later.tag, later.tag, later.snapshot, earlier.tag, pair[0].0
                    ));
                }
            }
        }
        Ok(())
    }

    /// The dependency graph: edges[i] lists (j, kind, key) for i -> j.
    fn graph(&self) -> Vec<Vec<(usize, Dep, usize)>> {
        let mut edges = vec![Vec::new(); self.txns.len()];
        for (k, chain) in self.versions.iter().enumerate() {
            for pair in chain.windows(2) {
                edges[pair[0].1].push((pair[1].1, Dep::Ww, k));
            }
        }
        for (reader, t) in self.txns.iter().enumerate() {
            for read in &t.reads {
                for &k in read.keys.iter().filter(|k| !read.own.contains_key(k)) {
                    if let Some((writer, _)) = self.visible(k, t.snapshot) {
                        edges[writer].push((reader, Dep::Wr, k));
                    }
                    let overwriters = self.versions[k].iter().filter(|v| v.0 > t.snapshot);
                    for &(_, writer, _) in overwriters.filter(|v| v.1 != reader) {
                        edges[reader].push((writer, Dep::Rw, k));
                    }
                }
            }
        }
        edges
    }

    /// A cycle in the dependency graph, described edge by edge, if there is one.
    fn find_cycle(&self) -> Option<String> {
        let edges = self.graph();
        // 0 unvisited, 1 on the current path, 2 done.
        let mut state = vec![0u8; self.txns.len()];
        for root in 0..self.txns.len() {
            if state[root] != 0 {
                continue;
            }
            // Iterative depth-first search: (node, next edge to follow, how we got here).
            let mut stack: Vec<(usize, usize, Via)> = vec![(root, 0, None)];
            let mut path: Vec<(usize, Via)> = Vec::new();
            while let Some((node, next, via)) = stack.pop() {
                if next == 0 {
                    state[node] = 1;
                    path.push((node, via));
                }
                let Some(&(to, dep, k)) = edges[node].get(next) else {
                    state[node] = 2;
                    path.pop();
                    continue;
                };
                stack.push((node, next + 1, via));
                match state[to] {
                    0 => stack.push((to, 0, Some((dep, k)))),
                    1 => {
                        let start = path.iter().position(|(n, _)| *n == to)?;
                        let mut text = format!("T{}", self.txns[to].tag);
                        let hops = path[start + 1..].iter().map(|&(n, via)| (n, via));
                        for (n, via) in hops.chain([(to, Some((dep, k)))]) {
                            let (dep, k) = via?;
                            text += &format!(" -{dep:?} on k{k}-> T{}", self.txns[n].tag);
                        }
                        return Some(text);
                    }
                    _ => {}
                }
            }
        }
        None
    }

    fn describe(&self) -> String {
        self.txns
            .iter()
            .map(|t| format!("  {t:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The programs of one random history.
fn random_programs(rng: &mut Rng) -> Vec<Vec<Op>> {
    let count = 3 + rng.below(5);
    (0..count)
        .map(|_| {
            let len = 1 + rng.below(5);
            (0..len)
                .map(|_| {
                    let k = rng.below(KEYS);
                    match rng.below(100) {
                        0..=39 => Op::Get(k),
                        40..=54 => {
                            let lo = rng.below(KEYS);
                            Op::Scan(lo, lo + 1 + rng.below(KEYS - lo))
                        }
                        55..=84 => Op::Put(k),
                        _ => Op::Delete(k),
                    }
                })
                .collect()
        })
        .collect()
}

/// What one history produced.
struct Outcome {
    history: History,
    aborted: usize,
}

/// Runs one random history at `level` on one thread, interleaving the steps of up to
/// four open transactions. A write on a row another open transaction holds is deferred;
/// when every open transaction is waiting, one is rolled back (the driver's own deadlock
/// resolution: the engine's is tested elsewhere).
fn run_history(level: IsolationLevel, seed: u64) -> Outcome {
    let mut rng = Rng::new(seed);
    // A lock timeout turns a mistake in the driver's lock model into an error, not a hang.
    let mgr = TxnManager::in_memory(Options {
        lock_timeout: Some(Duration::from_secs(2)),
        ..Options::default()
    });
    let mut committed = vec![seed_history(&mgr)];
    let mut queue: VecDeque<Vec<Op>> = random_programs(&mut rng).into();
    let max_open = 2 + rng.below(3);
    let mut open: Vec<Running> = Vec::new();
    let mut holders: HashMap<usize, usize> = HashMap::new();
    let (mut next_tag, mut aborted) = (1, 0);
    loop {
        let room = open.len() < max_open && !queue.is_empty();
        if room && (open.is_empty() || rng.chance(35)) {
            let ops = queue.pop_front().expect("a queued program");
            open.push(Running::new(next_tag, mgr.begin(level), ops));
            next_tag += 1;
            continue;
        }
        if open.is_empty() {
            break;
        }
        let waits = |r: &Running| match r.ops.front() {
            Some(Op::Put(k) | Op::Delete(k)) => holders.get(k).is_some_and(|&h| h != r.tag),
            _ => false,
        };
        let runnable: Vec<usize> = (0..open.len()).filter(|&i| !waits(&open[i])).collect();
        if runnable.is_empty() {
            let victim = open.remove(rng.below(open.len()));
            holders.retain(|_, h| *h != victim.tag);
            victim.txn.rollback();
            aborted += 1;
            continue;
        }
        let i = runnable[rng.below(runnable.len())];
        let step = format!("seed {seed}: a step of T{} at {level}", open[i].tag);
        let Some(op) = open[i].ops.pop_front() else {
            let running = open.remove(i);
            holders.retain(|_, h| *h != running.tag);
            match running.commit() {
                Ok(c) => committed.push(c),
                Err(e) => {
                    is_serialization_failure(&e, &step);
                    aborted += 1;
                }
            }
            continue;
        };
        match open[i].run(op) {
            Ok(()) => {
                if let Op::Put(k) | Op::Delete(k) = op {
                    holders.insert(k, open[i].tag);
                }
            }
            Err(e) => {
                is_serialization_failure(&e, &step);
                let failed = open.remove(i);
                holders.retain(|_, h| *h != failed.tag);
                aborted += 1;
            }
        }
    }
    Outcome {
        history: History::new(committed),
        aborted,
    }
}

/// Seeds per level: enough to meet every short cycle shape many times, under a few seconds
/// in release builds.
const HISTORIES: u64 = 4000;

#[test]
fn serializable_histories_have_acyclic_dependency_graphs() {
    let (mut commits, mut aborts) = (0, 0);
    for seed in 0..HISTORIES {
        let Outcome { history, aborted } = run_history(IsolationLevel::Serializable, seed);
        let context = || format!("seed {seed} at SERIALIZABLE:\n{}", history.describe());
        if let Err(e) = history.check_snapshot_reads() {
            panic!("{e}\n{}", context());
        }
        if let Err(e) = history.check_no_concurrent_writers() {
            panic!("{e}\n{}", context());
        }
        if let Some(cycle) = history.find_cycle() {
            panic!("dependency cycle {cycle}\n{}", context());
        }
        commits += history.txns.len() - 1;
        aborts += aborted;
    }
    assert!(
        commits > 3 * aborts,
        "{commits} commits and {aborts} aborts: SERIALIZABLE refuses too much to be useful"
    );
}

#[test]
fn repeatable_read_histories_read_one_snapshot_and_allow_write_skew() {
    let mut cycles = 0;
    for seed in 0..HISTORIES {
        let Outcome { history, .. } = run_history(IsolationLevel::RepeatableRead, seed);
        let context = || format!("seed {seed} at REPEATABLE READ:\n{}", history.describe());
        if let Err(e) = history.check_snapshot_reads() {
            panic!("{e}\n{}", context());
        }
        if let Err(e) = history.check_no_concurrent_writers() {
            panic!("{e}\n{}", context());
        }
        cycles += usize::from(history.find_cycle().is_some());
    }
    // Snapshot isolation allows write skew, and the same generator must meet it: this is
    // also what shows the cycle check can fail.
    assert!(
        cycles as u64 > HISTORIES / 50,
        "only {cycles} dependency cycles in {HISTORIES} REPEATABLE READ histories"
    );
}

/// Runs `threads` threads of random transactions at `level` against one database, with
/// real lock waits; deadlock victims and serialization failures are dropped, as a client
/// that does not retry would.
fn run_threads(level: IsolationLevel, threads: usize, per_thread: usize, seed: u64) -> History {
    let mgr = manager();
    let initial = seed_history(&mgr);
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let mgr = mgr.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(seed ^ (t as u64 + 1).wrapping_mul(0x9e37_79b9));
                let mut committed = Vec::new();
                for i in 0..per_thread {
                    let tag = 1 + t * per_thread + i;
                    let ops = random_programs(&mut rng).swap_remove(0);
                    let mut running = Running::new(tag, mgr.begin(level), ops);
                    let mut result = Ok(());
                    while let (Some(op), Ok(())) = (running.ops.pop_front(), &result) {
                        result = running.run(op);
                    }
                    match result.and_then(|()| running.commit()) {
                        Ok(c) => committed.push(c),
                        Err(Error::Serialization(_) | Error::Deadlock { .. }) => {}
                        Err(e) => panic!("T{tag} at {level}: unexpected error {e}"),
                    }
                }
                committed
            })
        })
        .collect();
    let mut committed = vec![initial];
    for worker in workers {
        committed.extend(worker.join().expect("a worker thread"));
    }
    History::new(committed)
}

#[test]
fn serializable_histories_from_concurrent_threads_have_acyclic_dependency_graphs() {
    for seed in 0..3 {
        let history = run_threads(IsolationLevel::Serializable, 3, 1500, seed);
        let context = || format!("threads, seed {seed}: {} commits", history.txns.len());
        if let Err(e) = history.check_snapshot_reads() {
            panic!("{e}\n{}", context());
        }
        if let Err(e) = history.check_no_concurrent_writers() {
            panic!("{e}\n{}", context());
        }
        if let Some(cycle) = history.find_cycle() {
            panic!("dependency cycle {cycle}\n{}", context());
        }
    }
}

#[test]
fn repeatable_read_histories_from_concurrent_threads_read_one_snapshot() {
    let history = run_threads(IsolationLevel::RepeatableRead, 3, 1500, 7);
    if let Err(e) = history.check_snapshot_reads() {
        panic!("{e}");
    }
    if let Err(e) = history.check_no_concurrent_writers() {
        panic!("{e}");
    }
}

/// A commit observer that holds up the commit of the key `slow` (as a slow pub/sub
/// subscriber or watch would) and says when it started doing so.
struct SlowObserver {
    entered: AtomicBool,
}

impl CommitObserver for SlowObserver {
    fn committed(&self, record: &CommitRecord) {
        if record.writes.iter().any(|(k, _)| k == b"slow") {
            self.entered.store(true, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(600));
        }
    }
}

/// U passes its SSI check and is recorded as committed, but its timestamp is not visible
/// yet (here because an earlier commit's notice is slow; with `appendfsync always`, during
/// U's fsync). T begins in that window: its snapshot does not include U, so T is
/// concurrent with U, and their write skew must be refused.
#[test]
fn serializable_transaction_begun_while_a_commit_becomes_visible_is_checked_against_it() {
    let mgr = manager();
    seed(&mgr, &[("x", "0"), ("y", "0")]);
    let observer = Arc::new(SlowObserver {
        entered: AtomicBool::new(false),
    });
    mgr.set_commit_observer(observer.clone());
    let slow = {
        let mgr = mgr.clone();
        in_background("an unrelated commit with a slow notice", move || {
            let mut s = mgr.begin(IsolationLevel::RepeatableRead);
            s.put(b"slow", b"1").and_then(|()| s.commit())
        })
    };
    for _ in 0..500 {
        if observer.entered.load(Ordering::SeqCst) {
            break;
        }
        thread::sleep(Duration::from_millis(2));
    }
    assert!(
        observer.entered.load(Ordering::SeqCst),
        "the slow notice never ran"
    );

    let ser = IsolationLevel::Serializable;
    let mut u = mgr.begin(ser);
    let u_saw = (read(&u, "x"), read(&u, "y"));
    write(&mut u, "x", "u").unwrap();
    let u_commits = in_background("U commits", move || u.commit());
    u_commits.assert_blocked(); // checked by the SSI, waiting for the clock

    let mut t = mgr.begin(ser);
    let u_committed = u_commits.finish().is_ok();
    slow.finish().expect("the unrelated commit");
    let t_saw = (read(&t, "x"), read(&t, "y"));
    write(&mut t, "y", "t").unwrap();
    let t_committed = match t.commit() {
        Ok(_) => true,
        Err(e) => !is_serialization_failure(&e, "T commit"),
    };
    let zero = Some("0".to_string());
    let skew = u_saw == (zero.clone(), zero.clone()) && t_saw == (zero.clone(), zero);
    assert!(
        !(skew && u_committed && t_committed),
        "U read x=0, y=0 and wrote x; T read x=0 (U's write not in its snapshot), y=0 and \
         wrote y; both committed at SERIALIZABLE"
    );
}
