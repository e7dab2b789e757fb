//! A real crash: a child process appends under `always` from several threads and is
//! killed with SIGKILL at random moments; every append it acknowledged must be in
//! the log after reopening, with the payload it reported.
//!
//! The child is this test binary itself, re-executed with `CRASH_CHILD_DIR` set,
//! which turns [`child_appends_until_killed`] into the appender.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use isolde_wal::{FsyncPolicy, Log, Options};

const CHILD_ENV: &str = "CRASH_CHILD_DIR";

fn options() -> Options {
    Options {
        fsync: FsyncPolicy::Always,
        segment_size: 64 << 10,
        ..Options::default()
    }
}

/// The appender. Only acts when run as the child; in a normal test run it has
/// nothing to do.
#[test]
fn child_appends_until_killed() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let (log, _) = Log::open(std::path::Path::new(&dir), options()).expect("child open");
    let log = Arc::new(log);
    let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (log, stdout) = (Arc::clone(&log), Arc::clone(&stdout));
            std::thread::spawn(move || {
                for i in 0u64.. {
                    let payload = format!("t{t}-{i}-{}", "x".repeat((i % 97) as usize));
                    let lsn = log.append(payload.as_bytes()).expect("append");
                    let mut out = stdout.lock().expect("stdout lock");
                    writeln!(out, "ack {lsn} {payload}")
                        .and_then(|()| out.flush())
                        .expect("report");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("appender thread");
    }
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut acked: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for round in 0..5 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_appends_until_killed",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut parts = line.splitn(3, ' ');
                if let (Some("ack"), Some(lsn), Some(payload)) =
                    (parts.next(), parts.next(), parts.next())
                {
                    acks.push((lsn.parse::<u64>().unwrap(), payload.as_bytes().to_vec()));
                }
            }
            acks
        });
        std::thread::sleep(Duration::from_millis(150 + seed % 400));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acks = reader.join().unwrap();
        assert!(
            !acks.is_empty(),
            "round {round}: the child acknowledged nothing"
        );
        acked.extend(acks);

        let (log, _) = Log::open(dir.path(), options()).expect("reopen after SIGKILL");
        let records: BTreeMap<u64, Vec<u8>> =
            log.read_from(1).unwrap().map(|r| r.unwrap()).collect();
        for (lsn, payload) in &acked {
            assert_eq!(
                records.get(lsn),
                Some(payload),
                "round {round}: acknowledged LSN {lsn} lost"
            );
        }
    }
}
