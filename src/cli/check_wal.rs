//! `isolde check-wal`: the analogue of `redis-check-aof`.
//!
//! Without `--fix` it only reads: it prints `OK` and exits 0, or prints the first bad
//! record (file and byte offset) and exits 1. A bad record is one whose framing fails
//! (length, checksum) or whose payload does not decode as a commit record, the same
//! check opening the database makes. With `--fix` it cuts the log at that record after
//! saying what that drops, asking first (y/N) when standard input is a terminal and
//! `--yes` was not given (a "no" leaves the log bad and exits 1); it holds the
//! directory's lock while it does, so it refuses a database that a running process has
//! open. A corrupt manifest is a failed check too, which `--fix` cannot repair.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use isolde_txn::wal::{self, BadRecord, CheckReport, RepairReport};
use isolde_txn::{CommitRecord, WAL_DIR};

use super::output::print;
use super::{restore, Context, Error, Result, Status};

/// Arguments of `isolde check-wal`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cut the log at the first bad record (everything from it on is dropped)
    #[arg(long)]
    pub fix: bool,
    /// With --fix: do not ask for confirmation on a terminal
    #[arg(long, short = 'y', requires = "fix")]
    pub yes: bool,
}

pub(crate) fn run(args: &Args, context: &Context) -> Result<Status> {
    let dir = context.dir.join(WAL_DIR);
    if !context.dir.is_dir() {
        return Err(Error::NoDatabase {
            dir: context.dir.clone(),
        });
    }
    if !dir.is_dir() {
        return Err(Error::NoLog {
            dir: context.dir.clone(),
        });
    }
    let _lock = if args.fix {
        Some(restore::lock(&context.dir)?)
    } else {
        None
    };
    let report = match wal::check_with(&dir, &mut decodes) {
        Ok(report) => report,
        Err(e @ wal::Error::Corrupt { .. }) => {
            print(format!(
                "{e}\nthe log cannot be read without its manifest; --fix cannot rebuild it\n"
            ))?;
            return Ok(Status::Failed);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(bad) = &report.bad else {
        print(ok_line(&dir, &report))?;
        return Ok(Status::Success);
    };
    print(bad_report(&report, bad))?;
    if !args.fix {
        print("run `isolde check-wal --fix` to cut the log at this record\n")?;
        return Ok(Status::Failed);
    }
    print(format!(
        "--fix drops {} and any later log files\n",
        dropped_here(bad)
    ))?;
    if !args.yes && std::io::stdin().is_terminal() && !confirm("cut the log here?")? {
        print("nothing changed\n")?;
        return Ok(Status::Failed);
    }
    print(repaired(&wal::repair_with(&dir, &mut decodes)?))?;
    Ok(Status::Success)
}

/// Whether a log record's payload decodes, as replaying it at open requires.
fn decodes(payload: &[u8]) -> std::result::Result<(), String> {
    CommitRecord::decode(payload).map(drop)
}

fn ok_line(dir: &Path, report: &CheckReport) -> String {
    format!(
        "OK: {}: {} records in {} files, {} bytes, last LSN {}\n",
        dir.display(),
        report.records,
        report.files_scanned,
        report.bytes,
        report.last_lsn
    )
}

fn bad_report(report: &CheckReport, bad: &BadRecord) -> String {
    let mut out = format!(
        "bad record in {} at byte offset {}: {}\n",
        bad.file.display(),
        bad.offset,
        bad.reason
    );
    let _ = writeln!(
        out,
        "{} valid records before it, last good LSN {}",
        report.records, report.last_lsn
    );
    if bad.torn_tail {
        out.push_str("this looks like a write cut short by a crash; opening the database cuts it off by itself\n");
    } else {
        out.push_str("this is damage, not a crash: opening the database refuses the log until it is cut here\n");
    }
    out
}

/// What cutting at `bad` drops of its own file.
fn dropped_here(bad: &BadRecord) -> String {
    match std::fs::metadata(&bad.file) {
        Ok(meta) => format!(
            "{} bytes of {} (offset {} to its end)",
            meta.len().saturating_sub(bad.offset),
            bad.file.display(),
            bad.offset
        ),
        Err(_) => format!("{} from offset {} on", bad.file.display(), bad.offset),
    }
}

fn repaired(report: &RepairReport) -> String {
    let mut out = String::new();
    if let Some(cut) = &report.cut_at {
        let _ = writeln!(
            out,
            "cut the log at {} byte offset {}",
            cut.file.display(),
            cut.offset
        );
    }
    let _ = writeln!(
        out,
        "dropped {} bytes, at least {} valid-looking records after the cut",
        report.bytes_dropped, report.records_lost
    );
    for file in &report.files_removed {
        let _ = writeln!(out, "removed {}", file.display());
    }
    out
}

/// Asks a yes/no question on the terminal; anything but `y` or `yes` is no.
fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().map_err(Error::Terminal)?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Error::Terminal)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
