//! Queues across a real crash: a child process produces and consumes messages under
//! `appendfsync always` and is killed with SIGKILL; after reopening, every message whose
//! enqueue was acknowledged is delivered exactly once, counting those whose dequeue the
//! child had acknowledged. The one operation the child may have been in the middle of
//! when it died is in doubt, as an unacknowledged commit is in any database: if it was a
//! dequeue, the message it took may be gone without anyone having been told.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use isolde::{Db, FsyncPolicy, IsolationLevel, Options};

const CHILD_ENV: &str = "ISOLDE_QUEUE_CRASH_CHILD";

fn options() -> Options {
    Options {
        appendfsync: FsyncPolicy::Always,
        save: Vec::new(),
        ..Options::default()
    }
}

/// In the child: enqueue numbered messages and dequeue some, printing `E n` after an
/// enqueue commits and `D n` after a dequeue commits, until killed.
#[test]
fn queue_crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let db = Db::open(&dir, options()).unwrap();
    let start: u64 = std::env::var("ISOLDE_QUEUE_CRASH_START")
        .unwrap()
        .parse()
        .unwrap();
    let mut out = std::io::stdout().lock();
    for n in start.. {
        let mut tx = db.begin(IsolationLevel::ReadCommitted);
        tx.enqueue(b"jobs", n.to_string().as_bytes()).unwrap();
        tx.commit().unwrap();
        writeln!(out, "E {n}").unwrap();
        out.flush().unwrap();
        if n % 3 == 0 {
            let mut tx = db.begin(IsolationLevel::ReadCommitted);
            let taken = tx.dequeue(b"jobs").unwrap();
            tx.commit().unwrap();
            if let Some(message) = taken {
                writeln!(out, "D {}", String::from_utf8(message).unwrap()).unwrap();
                out.flush().unwrap();
            }
        }
    }
}

#[test]
fn acknowledged_queue_operations_survive_sigkill_exactly_once() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut enqueued, mut dequeued) = (HashSet::new(), Vec::new());
    // Kills that may have interrupted a dequeue after it committed.
    let mut dequeues_in_doubt = 0;
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "queue_crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env("ISOLDE_QUEUE_CRASH_START", (round * 1_000_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = 0;
        let mut last = None;
        while seen < 40 + 25 * round && Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(op) = acknowledged(&line) {
                seen += u64::from(op.0 == 'E');
                record(op, &mut enqueued, &mut dequeued, &mut last);
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Lines the child printed before it died are acknowledged operations too.
        for line in lines.map_while(Result::ok) {
            if let Some(op) = acknowledged(&line) {
                record(op, &mut enqueued, &mut dequeued, &mut last);
            }
        }
        // After `E n` with n a multiple of 3 the child dequeues: that dequeue may have
        // committed without its `D` line being printed.
        if let Some(('E', n)) = last {
            dequeues_in_doubt += usize::from(n % 3 == 0);
        }
    }
    assert!(
        enqueued.len() >= 40,
        "the child made too little progress to test anything"
    );
    let db = Db::open(dir.path(), options()).unwrap();
    let mut remaining = Vec::new();
    let mut tx = db.begin(IsolationLevel::ReadCommitted);
    while let Some(message) = tx.dequeue(b"jobs").unwrap() {
        remaining.push(String::from_utf8(message).unwrap());
    }
    tx.commit().unwrap();
    let delivered: Vec<&String> = dequeued.iter().chain(&remaining).collect();
    let distinct: HashSet<&String> = delivered.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        delivered.len(),
        "a message was delivered twice"
    );
    let lost: Vec<&String> = enqueued.iter().filter(|n| !distinct.contains(n)).collect();
    assert!(
        lost.len() <= dequeues_in_doubt,
        "acknowledged messages {lost:?} were lost ({dequeues_in_doubt} dequeues in doubt)"
    );
}

/// The operation an output line of the child acknowledges: `E n` or `D n`. The test
/// harness may print its own words before the child's first line on the same line.
fn acknowledged(line: &str) -> Option<(char, u64)> {
    let mut words = line.split_whitespace().rev();
    let n = words.next()?.parse().ok()?;
    match words.next()? {
        "E" => Some(('E', n)),
        "D" => Some(('D', n)),
        _ => None,
    }
}

fn record(
    op: (char, u64),
    enqueued: &mut HashSet<String>,
    dequeued: &mut Vec<String>,
    last: &mut Option<(char, u64)>,
) {
    match op {
        ('E', n) => {
            enqueued.insert(n.to_string());
        }
        (_, n) => dequeued.push(n.to_string()),
    }
    *last = Some(op);
}
