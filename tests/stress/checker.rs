//! A dependency-graph checker for recorded histories, after Adya's definitions.
//!
//! # What it is given
//!
//! A [`History`] is every transaction of one run, committed or aborted, with its
//! operations in program order: point reads and range reads naming the [`Version`] they
//! saw, and writes naming the version they installed. Every written value is unique (its
//! writer and a counter), so a read names its writer; the workload also names the writer
//! of an *absent* key (the deleting transaction, or the initial one), so that deletes and
//! inserts take part like any other write. A read whose absent key could not be named is
//! recorded as `None` and adds no edge.
//!
//! The version order of each key is the order of its committed writers' commit
//! timestamps (one clock, one timestamp per transaction). A transaction that wrote a key
//! more than once installs only its last write; the earlier ones are intermediate.
//!
//! # The graph
//!
//! Nodes are the committed transactions. For each key, with `v` a version of it:
//!
//! - `ww`: the writer of `v` to the writer of the next version;
//! - `wr`: the writer of `v` to each committed transaction that read `v`;
//! - `rw` (anti-dependency): each committed reader of `v` to the writer of the next
//!   version. A range read counts as a read of every key in its range, found or not, so a
//!   later insert or delete into a scanned range is an rw edge too: a *predicate*
//!   anti-dependency, as opposed to an *item* one from a point read.
//!
//! # The anomalies
//!
//! | anomaly     | what is counted                                                   | forbidden from |
//! |-------------|-------------------------------------------------------------------|----------------|
//! | malformed   | the version order does not list exactly the committed writers     | RU             |
//! | garbage     | a read of a version nobody wrote (or of its own future write)     | RU             |
//! | internal    | a read after the transaction's own write that did not see it      | RU             |
//! | final state | the final read did not see the last version of the version order  | RU             |
//! | G0          | ww edges on a cycle of ww edges                                   | RU             |
//! | G1a         | committed reads of versions written by aborted transactions       | RC             |
//! | G1b         | committed reads of another transaction's intermediate versions    | RC             |
//! | G1c         | wr edges on a cycle of ww and wr edges                            | RC             |
//! | G-single    | rw edges on a cycle whose other edges are ww or wr                | RR             |
//! | lost update | a read-modify-write whose write skipped over another's version    | RR             |
//! | G2-item     | other rw edges on a cycle whose anti-dependencies are all items   | SER            |
//! | G2          | other rw edges on any cycle (predicate anti-dependencies)         | SER            |
//!
//! Counts are of edges (or reads) that witness an anomaly, so one bad interleaving may be
//! counted more than once. A final-state mismatch stands in for G0 in practice: with the
//! version order taken from commit timestamps a ww cycle cannot be built, but a dirty
//! write leaves the older timestamp's value in the store, which the final read sees.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;

use isolde::IsolationLevel;

/// A transaction's number in a history; [`INITIAL`] wrote the starting state.
pub type TxnId = u64;

/// A key, as an index into the history's key names.
pub type Key = usize;

/// The transaction that wrote every key's first version.
pub const INITIAL: TxnId = 0;

/// One written version: its writer and the number of the write within the writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub writer: TxnId,
    pub seq: u32,
}

impl Version {
    /// Parses a value written as `T<writer>.<seq>`.
    pub fn parse(value: &[u8]) -> Option<Version> {
        let text = std::str::from_utf8(value).ok()?.strip_prefix('T')?;
        let (writer, seq) = text.split_once('.')?;
        Some(Version {
            writer: writer.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}.{}", self.writer, self.seq)
    }
}

/// One operation of a transaction, as observed.
#[derive(Clone, Debug)]
pub enum Op {
    /// A point read; None if the key was absent and its deleter could not be named.
    Read { key: Key, saw: Option<Version> },
    /// A range read: every key inside the range with the version seen, present or absent.
    Scan { seen: Vec<(Key, Option<Version>)> },
    /// A write (a put, or a delete: a delete installs an absent version).
    Write { key: Key, version: Version },
}

/// How a transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Committed; `ts` is None for a transaction that wrote nothing.
    Committed {
        ts: Option<u64>,
    },
    Aborted,
}

/// One transaction of a history.
#[derive(Clone, Debug)]
pub struct Txn {
    pub id: TxnId,
    pub ops: Vec<Op>,
    pub outcome: Outcome,
}

impl Txn {
    fn committed(&self) -> bool {
        matches!(self.outcome, Outcome::Committed { .. })
    }
}

/// A whole history and the version order of each key.
#[derive(Clone, Debug)]
pub struct History {
    pub txns: Vec<Txn>,
    /// Per key, its committed writers, oldest first.
    pub order: BTreeMap<Key, Vec<TxnId>>,
    /// The transaction that read everything after the run, if any.
    pub final_read: Option<TxnId>,
    /// Key names, for messages.
    pub names: Vec<String>,
}

impl History {
    /// A history whose version order is the commit-timestamp order of the writers.
    pub fn new(txns: Vec<Txn>, names: Vec<String>, final_read: Option<TxnId>) -> History {
        let mut writers: BTreeMap<Key, Vec<(u64, TxnId)>> = BTreeMap::new();
        for t in &txns {
            let Outcome::Committed { ts: Some(ts) } = t.outcome else {
                continue;
            };
            let keys: HashSet<Key> = t.ops.iter().filter_map(written_key).collect();
            for key in keys {
                writers.entry(key).or_default().push((ts, t.id));
            }
        }
        let order = writers
            .into_iter()
            .map(|(key, mut w)| {
                w.sort_unstable();
                (key, w.into_iter().map(|(_, id)| id).collect())
            })
            .collect();
        History {
            txns,
            order,
            final_read,
            names,
        }
    }

    /// Every anomaly of the history, with counts and an example of each.
    pub fn check(&self) -> Report {
        let mut checker = Checker::graph(self);
        checker.final_state();
        checker.classify_cycles();
        checker.report
    }

    /// True if the dependency graph has a cycle: a quicker question than [`check`]'s.
    ///
    /// [`check`]: History::check
    pub fn has_cycle(&self) -> bool {
        let checker = Checker::graph(self);
        let component = checker.components();
        checker
            .edges
            .iter()
            .any(|e| component[e.from] == component[e.to])
    }
}

fn written_key(op: &Op) -> Option<Key> {
    match op {
        Op::Write { key, .. } => Some(*key),
        _ => None,
    }
}

/// The kinds of anomaly the checker reports, weakest-forbidden first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Anomaly {
    Malformed,
    Garbage,
    Internal,
    FinalState,
    G0,
    G1a,
    G1b,
    G1c,
    GSingle,
    LostUpdate,
    G2Item,
    G2,
}

impl Anomaly {
    pub const ALL: [Anomaly; 12] = [
        Anomaly::Malformed,
        Anomaly::Garbage,
        Anomaly::Internal,
        Anomaly::FinalState,
        Anomaly::G0,
        Anomaly::G1a,
        Anomaly::G1b,
        Anomaly::G1c,
        Anomaly::GSingle,
        Anomaly::LostUpdate,
        Anomaly::G2Item,
        Anomaly::G2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Anomaly::Malformed => "malformed order",
            Anomaly::Garbage => "garbage reads",
            Anomaly::Internal => "internal",
            Anomaly::FinalState => "final state",
            Anomaly::G0 => "G0",
            Anomaly::G1a => "G1a",
            Anomaly::G1b => "G1b",
            Anomaly::G1c => "G1c",
            Anomaly::GSingle => "G-single",
            Anomaly::LostUpdate => "lost update",
            Anomaly::G2Item => "G2-item",
            Anomaly::G2 => "G2",
        }
    }

    /// True if a history at `level` must not show this anomaly.
    pub fn forbidden_at(self, level: IsolationLevel) -> bool {
        let weakest = match self {
            Anomaly::Malformed
            | Anomaly::Garbage
            | Anomaly::Internal
            | Anomaly::FinalState
            | Anomaly::G0 => IsolationLevel::ReadUncommitted,
            Anomaly::G1a | Anomaly::G1b | Anomaly::G1c => IsolationLevel::ReadCommitted,
            Anomaly::GSingle | Anomaly::LostUpdate => IsolationLevel::RepeatableRead,
            Anomaly::G2Item | Anomaly::G2 => IsolationLevel::Serializable,
        };
        level >= weakest
    }
}

/// What the checker found: a count per anomaly and the first example of each.
#[derive(Clone, Debug, Default)]
pub struct Report {
    counts: BTreeMap<Anomaly, usize>,
    examples: BTreeMap<Anomaly, String>,
}

impl Report {
    fn add(&mut self, anomaly: Anomaly, example: impl FnOnce() -> String) {
        *self.counts.entry(anomaly).or_default() += 1;
        self.examples.entry(anomaly).or_insert_with(example);
    }

    pub fn count(&self, anomaly: Anomaly) -> usize {
        self.counts.get(&anomaly).copied().unwrap_or(0)
    }

    /// Adds `other`'s counts to these, keeping the first example of each anomaly.
    pub fn merge(&mut self, other: Report) {
        for (anomaly, n) in other.counts {
            *self.counts.entry(anomaly).or_default() += n;
        }
        for (anomaly, example) in other.examples {
            self.examples.entry(anomaly).or_insert(example);
        }
    }

    /// The anomalies found that `level` forbids, each with its count and an example.
    pub fn forbidden(&self, level: IsolationLevel) -> Vec<String> {
        self.counts
            .iter()
            .filter(|(a, n)| a.forbidden_at(level) && **n > 0)
            .map(|(a, n)| format!("{}: {n}, e.g. {}", a.name(), self.examples[a]))
            .collect()
    }

    /// One line: every anomaly's count, the ones `level` allows marked so.
    pub fn summary(&self, level: IsolationLevel) -> String {
        Anomaly::ALL
            .iter()
            .filter(|a| **a >= Anomaly::G0 || self.count(**a) > 0)
            .map(|a| {
                let allowed = if a.forbidden_at(level) {
                    ""
                } else {
                    " (allowed)"
                };
                format!("{} {}{allowed}", a.name(), self.count(*a))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Dep {
    Ww,
    Wr,
    RwItem,
    RwPredicate,
}

#[derive(Clone, Copy, Debug)]
struct Edge {
    from: usize,
    to: usize,
    dep: Dep,
    key: Key,
}

/// The checker's working state over one history.
struct Checker<'a> {
    history: &'a History,
    by_id: HashMap<TxnId, &'a Txn>,
    /// The version each transaction installed (its last write) per key.
    installed: HashMap<(TxnId, Key), Version>,
    /// Every version any transaction wrote, installed or not, committed or not.
    written: HashSet<(Key, Version)>,
    /// Position of each committed writer in its key's version order.
    position: HashMap<(Key, TxnId), usize>,
    /// Graph node of each committed transaction.
    node: HashMap<TxnId, usize>,
    ids: Vec<TxnId>,
    edges: Vec<Edge>,
    /// Indexes into `edges` by tail node, built once all edges are in.
    out: Vec<Vec<usize>>,
    seen_edges: HashSet<(usize, usize, Dep)>,
    report: Report,
}

impl<'a> Checker<'a> {
    fn new(history: &'a History) -> Checker<'a> {
        let mut checker = Checker {
            history,
            by_id: HashMap::new(),
            installed: HashMap::new(),
            written: HashSet::new(),
            position: HashMap::new(),
            node: HashMap::new(),
            ids: Vec::new(),
            edges: Vec::new(),
            out: Vec::new(),
            seen_edges: HashSet::new(),
            report: Report::default(),
        };
        for t in &history.txns {
            if checker.by_id.insert(t.id, t).is_some() {
                checker
                    .report
                    .add(Anomaly::Malformed, || format!("T{} appears twice", t.id));
            }
            for op in &t.ops {
                if let Op::Write { key, version } = op {
                    if version.writer != t.id {
                        checker.report.add(Anomaly::Malformed, || {
                            format!("T{} wrote version {version}, named after another", t.id)
                        });
                    }
                    checker.installed.insert((t.id, *key), *version);
                    checker.written.insert((*key, *version));
                }
            }
            if t.committed() {
                checker.node.insert(t.id, checker.ids.len());
                checker.ids.push(t.id);
            }
        }
        checker
    }

    /// The checker with the whole graph built and the read anomalies reported.
    fn graph(history: &'a History) -> Checker<'a> {
        let mut checker = Checker::new(history);
        checker.validate_order();
        for t in &history.txns {
            checker.reads_of(t);
        }
        checker.out = vec![Vec::new(); checker.ids.len()];
        for (i, e) in checker.edges.iter().enumerate() {
            checker.out[e.from].push(i);
        }
        checker
    }

    fn key(&self, key: Key) -> &str {
        self.history.names.get(key).map_or("?", String::as_str)
    }

    /// Checks that each key's order lists its committed writers once each, and adds the
    /// ww edges between neighbours.
    fn validate_order(&mut self) {
        let mut expected: HashSet<(Key, TxnId)> = HashSet::new();
        for t in self.history.txns.iter().filter(|t| t.committed()) {
            expected.extend(t.ops.iter().filter_map(written_key).map(|k| (k, t.id)));
        }
        for (&key, writers) in &self.history.order {
            for (i, &id) in writers.iter().enumerate() {
                if !expected.remove(&(key, id)) {
                    let name = self.key(key).to_string();
                    self.report.add(Anomaly::Malformed, || {
                        format!("T{id} is in the order of {name} but is no committed writer of it (or twice)")
                    });
                    continue;
                }
                self.position.insert((key, id), i);
                if i > 0 {
                    self.edge(writers[i - 1], id, Dep::Ww, key);
                }
            }
        }
        for (key, id) in expected {
            let name = self.key(key).to_string();
            self.report.add(Anomaly::Malformed, || {
                format!("committed T{id} wrote {name} but has no place in its version order")
            });
        }
    }

    fn edge(&mut self, from: TxnId, to: TxnId, dep: Dep, key: Key) {
        let (Some(&from), Some(&to)) = (self.node.get(&from), self.node.get(&to)) else {
            return;
        };
        if from != to && self.seen_edges.insert((from, to, dep)) {
            self.edges.push(Edge { from, to, dep, key });
        }
    }

    /// Checks every read of `t` and adds its wr and rw edges.
    fn reads_of(&mut self, t: &Txn) {
        let mut own: HashMap<Key, Version> = HashMap::new();
        // The first position read per key before writing it: for the lost-update check.
        let mut read_at: HashMap<Key, usize> = HashMap::new();
        for op in &t.ops {
            match op {
                Op::Write { key, version } => {
                    own.insert(*key, *version);
                }
                Op::Read { key, saw } => self.read(t, *key, *saw, Dep::RwItem, &own, &mut read_at),
                Op::Scan { seen } => {
                    for &(key, saw) in seen {
                        self.read(t, key, saw, Dep::RwPredicate, &own, &mut read_at);
                    }
                }
            }
        }
        if t.committed() {
            self.lost_updates(t, &read_at);
        }
    }

    fn read(
        &mut self,
        t: &Txn,
        key: Key,
        saw: Option<Version>,
        rw: Dep,
        own: &HashMap<Key, Version>,
        read_at: &mut HashMap<Key, usize>,
    ) {
        let Some(v) = saw else { return };
        let name = self.key(key).to_string();
        if let Some(&mine) = own.get(&key) {
            if mine != v {
                self.report.add(Anomaly::Internal, || {
                    format!("T{} read {name} = {v} after writing {mine}", t.id)
                });
            }
            return;
        }
        if v.writer == t.id || !self.written.contains(&(key, v)) {
            self.report.add(Anomaly::Garbage, || {
                format!(
                    "T{} read {name} = {v}, which no transaction wrote before",
                    t.id
                )
            });
            return;
        }
        if !t.committed() {
            return;
        }
        if !self.by_id.get(&v.writer).is_some_and(|w| w.committed()) {
            self.report.add(Anomaly::G1a, || {
                format!("T{} read {name} = {v} of aborted T{}", t.id, v.writer)
            });
            return;
        }
        let last = self.installed[&(v.writer, key)];
        if last != v {
            self.report.add(Anomaly::G1b, || {
                format!(
                    "T{} read {name} = {v}, T{} later wrote {last}",
                    t.id, v.writer
                )
            });
        }
        let Some(&at) = self.position.get(&(key, v.writer)) else {
            return;
        };
        read_at.entry(key).or_insert(at);
        self.edge(v.writer, t.id, Dep::Wr, key);
        if let Some(&next) = self.history.order[&key].get(at + 1) {
            self.edge(t.id, next, rw, key);
        }
    }

    /// A committed transaction that read a key and then wrote it must install its
    /// version right after the one it read: anything in between was overwritten unseen.
    fn lost_updates(&mut self, t: &Txn, read_at: &HashMap<Key, usize>) {
        for (&key, &read) in read_at {
            let Some(&mine) = self.position.get(&(key, t.id)) else {
                continue;
            };
            if mine > read + 1 {
                let order = &self.history.order[&key];
                let (seen, lost) = (order[read], order[read + 1]);
                let name = self.key(key).to_string();
                self.report.add(Anomaly::LostUpdate, || {
                    format!(
                        "T{} read {name} of T{seen} and overwrote it, losing T{lost}'s write",
                        t.id
                    )
                });
            }
        }
    }

    /// The final read must see each key's last version in the version order.
    fn final_state(&mut self) {
        let Some(id) = self.history.final_read else {
            return;
        };
        let Some(&t) = self.by_id.get(&id) else {
            return;
        };
        let reads = t.ops.iter().flat_map(|op| match op {
            Op::Read { key, saw } => vec![(*key, *saw)],
            Op::Scan { seen } => seen.clone(),
            Op::Write { .. } => Vec::new(),
        });
        for (key, saw) in reads {
            let last = self.history.order.get(&key).and_then(|o| o.last());
            let expected = last.and_then(|w| self.installed.get(&(*w, key)).copied());
            if expected.is_some() && saw != expected {
                let name = self.key(key).to_string();
                self.report.add(Anomaly::FinalState, || {
                    format!(
                        "finally {name} = {saw:?}, but the last committed version is {expected:?}"
                    )
                });
            }
        }
    }

    /// Finds, for each edge, the shortest way back from its head to its tail, and names
    /// the anomaly that cycle is.
    fn classify_cycles(&mut self) {
        let ww = |d: Dep| d == Dep::Ww;
        let ww_wr = |d: Dep| matches!(d, Dep::Ww | Dep::Wr);
        let items = |d: Dep| d != Dep::RwPredicate;
        let any = |_: Dep| true;
        let component = self.components();
        for e in self.edges.clone() {
            if component[e.from] != component[e.to] {
                continue; // on no cycle at all
            }
            let found = match e.dep {
                Dep::Ww => self.back(e, &ww).map(|c| (Anomaly::G0, c)),
                Dep::Wr => self.back(e, &ww_wr).map(|c| (Anomaly::G1c, c)),
                Dep::RwItem | Dep::RwPredicate => {
                    let single = self.back(e, &ww_wr).map(|c| (Anomaly::GSingle, c));
                    let item = || match e.dep {
                        Dep::RwItem => self.back(e, &items).map(|c| (Anomaly::G2Item, c)),
                        _ => None,
                    };
                    single
                        .or_else(item)
                        .or_else(|| self.back(e, &any).map(|c| (Anomaly::G2, c)))
                }
            };
            if let Some((anomaly, cycle)) = found {
                self.report.add(anomaly, || cycle);
            }
        }
    }

    /// The strongly connected component of each node (Kosaraju's algorithm): an edge is
    /// on a cycle exactly when both its ends are in one component.
    fn components(&self) -> Vec<usize> {
        let n = self.ids.len();
        let mut finished = Vec::with_capacity(n);
        let mut visited = vec![false; n];
        for root in 0..n {
            if visited[root] {
                continue;
            }
            visited[root] = true;
            let mut stack = vec![(root, 0)];
            while let Some((node, next)) = stack.pop() {
                match self.out[node].get(next).map(|&i| self.edges[i].to) {
                    Some(to) => {
                        stack.push((node, next + 1));
                        if !visited[to] {
                            visited[to] = true;
                            stack.push((to, 0));
                        }
                    }
                    None => finished.push(node),
                }
            }
        }
        let mut into = vec![Vec::new(); n];
        for e in &self.edges {
            into[e.to].push(e.from);
        }
        let mut component = vec![usize::MAX; n];
        for (id, &root) in finished.iter().rev().enumerate() {
            if component[root] != usize::MAX {
                continue;
            }
            component[root] = id;
            let mut stack = vec![root];
            while let Some(node) = stack.pop() {
                for &from in &into[node] {
                    if component[from] == usize::MAX {
                        component[from] = id;
                        stack.push(from);
                    }
                }
            }
        }
        component
    }

    /// The cycle `e` closes using only edges `allowed` for the way back, as text.
    fn back(&self, e: Edge, allowed: &dyn Fn(Dep) -> bool) -> Option<String> {
        let mut via: Vec<Option<Edge>> = vec![None; self.ids.len()];
        let mut queue = VecDeque::from([e.to]);
        let mut reached = vec![false; self.ids.len()];
        reached[e.to] = true;
        while let Some(n) = queue.pop_front() {
            if n == e.from {
                let mut path = vec![e];
                let mut at = n;
                while let Some(step) = via[at] {
                    path.insert(1, step);
                    at = step.from;
                }
                return Some(self.describe(&path));
            }
            let out = self.out[n].iter().map(|&i| &self.edges[i]);
            for next in out.filter(|x| allowed(x.dep)) {
                if !reached[next.to] {
                    reached[next.to] = true;
                    via[next.to] = Some(*next);
                    queue.push_back(next.to);
                }
            }
        }
        None
    }

    fn describe(&self, path: &[Edge]) -> String {
        let mut text = format!("T{}", self.ids[path[0].from]);
        for e in path {
            let dep = match e.dep {
                Dep::Ww => "ww",
                Dep::Wr => "wr",
                Dep::RwItem => "rw",
                Dep::RwPredicate => "rw-predicate",
            };
            text += &format!(" -{dep} {}-> T{}", self.key(e.key), self.ids[e.to]);
        }
        text
    }
}
