//! The `isolde` command line: operator tools for a database directory.
//!
//! `src/main.rs` only parses the arguments into a [`Cli`] and calls [`run`]; every command
//! lives here, one module per command, so that the same code can be tested and reused
//! (the shell will be one more [`Command`] variant and one more module).
//!
//! | command | what it does |
//! |---|---|
//! | `checkpoint [--out FILE]` | takes a checkpoint now, optionally copies it out |
//! | `restore FILE [--force]` | creates a database from a verified checkpoint file |
//! | `inspect FILE` | prints a checkpoint's header and verifies every checksum |
//! | `check-wal [--fix] [--yes]` | finds the first bad log record; `--fix` cuts the log there |
//! | `kv put/get/del/scan` | autocommit key-value operations for scripts |
//! | `shell [-f FILE \| -c TEXT] [--memory]` | the multi-session SQL shell |
//! | `isolation-test FILE.spec... [--isolation LEVEL]` | runs PostgreSQL isolation-tester specs in memory |
//! | `anomalies [--explain NAME]` | runs the anomaly catalogue at every level, prints the matrix |
//!
//! The database directory comes from `--dir`, else from the configuration file's `dir`
//! (`--config FILE`, else `./isolde.toml` if it exists), else `./isolde-data`.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | not found (`kv get`/`kv del` of a missing key) or a check failed (a bad log record, a corrupt checkpoint) |
//! | 2 | usage error (bad arguments; from clap) |
//! | 3 | any other error: I/O, a locked or missing directory, a bad configuration |
//!
//! Errors go to standard error as `isolde: error: <message>`; normal output goes to
//! standard output. Progress bars are drawn on standard error, and only when both
//! standard output and standard error are terminals, so scripts see clean output.

mod anomalies;
mod check_wal;
mod checkpoint;
mod error;
mod inspect;
mod isolation_test;
mod kv;
mod output;
mod progress;
mod restore;
mod shell;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{Config, Db, Options};

pub use error::{Error, Result};

/// Exit code of a command that found nothing or whose check failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code of a usage error (clap's own).
pub const EXIT_USAGE: u8 = 2;
/// Exit code of every other error.
pub const EXIT_ERROR: u8 = 3;

/// The name of the configuration file read when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "isolde.toml";

/// The arguments of the `isolde` command.
#[derive(Debug, Parser)]
#[command(
    name = "isolde",
    version,
    about = "Operator tools for an isolde database: checkpoints, restore, log checks, key-value access",
    after_help = "Exit codes: 0 success, 1 not found or check failed, 2 usage error, 3 other errors."
)]
pub struct Cli {
    /// Configuration file (default: ./isolde.toml if it exists)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database directory (overrides the configuration's `dir`; default ./isolde-data)
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The subcommand to run, with its own arguments.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands. Each variant's arguments and code live in the module of the same name.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take a checkpoint of the database now
    Checkpoint(checkpoint::Args),
    /// Create a database from a checkpoint file
    Restore(restore::Args),
    /// Print a checkpoint file's header and verify every checksum
    Inspect(inspect::Args),
    /// Check the write-ahead log (like redis-check-aof); --fix cuts it at the first bad record
    CheckWal(check_wal::Args),
    /// Key-value operations, one autocommit transaction each
    #[command(subcommand)]
    Kv(kv::Command),
    /// Multi-session SQL shell (interactive, or a script with -f / -c)
    Shell(shell::Args),
    /// Run PostgreSQL isolation-tester spec files against in-memory databases
    IsolationTest(isolation_test::Args),
    /// Run the isolation anomaly catalogue at every level and print the matrix
    Anomalies(anomalies::Args),
}

/// What a command that did not fail tells the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit code 0.
    Success,
    /// The key was not there, or a check found a problem: exit code 1.
    Failed,
}

/// The resolved global options every command runs with.
#[derive(Debug, Clone)]
pub struct Context {
    /// The database directory.
    pub dir: PathBuf,
    /// The options to open it with.
    pub options: Options,
}

impl Context {
    /// Reads the configuration (`config`, else `./isolde.toml` if present) and applies the
    /// `--dir` override.
    pub fn load(config: Option<&Path>, dir: Option<PathBuf>) -> Result<Context> {
        let config = match config {
            Some(path) => Config::load(path)?,
            None if Path::new(DEFAULT_CONFIG).is_file() => Config::load(Path::new(DEFAULT_CONFIG))?,
            None => Config::default(),
        };
        Ok(Context {
            dir: dir.unwrap_or(config.dir),
            options: config.options,
        })
    }

    /// Opens the existing database in [`Context::dir`]; a missing directory is an error,
    /// so that a mistyped `--dir` does not silently create an empty database.
    pub fn open_existing(&self) -> Result<Db> {
        if !self.dir.is_dir() {
            return Err(Error::NoDatabase {
                dir: self.dir.clone(),
            });
        }
        self.open_or_create()
    }

    /// Opens the database in [`Context::dir`], creating it if needed.
    pub fn open_or_create(&self) -> Result<Db> {
        Ok(Db::open(&self.dir, self.options.clone())?)
    }
}

/// Runs a parsed command line, prints any error, and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Failed) => ExitCode::from(EXIT_FAILED),
        // `isolde kv scan | head`: the reader has all it wanted.
        Err(e) if e.is_closed_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("isolde: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<Status> {
    // Read only by the commands that need it: `inspect` reads nothing but its file, so a
    // broken configuration does not stop it.
    let context = || Context::load(cli.config.as_deref(), cli.dir.clone());
    match cli.command {
        Command::Checkpoint(args) => checkpoint::run(&args, &context()?),
        Command::Restore(args) => restore::run(&args, &context()?),
        Command::Inspect(args) => inspect::run(&args),
        Command::CheckWal(args) => check_wal::run(&args, &context()?),
        Command::Kv(command) => kv::run(&command, &context()?),
        Command::Shell(args) => shell::run(&args, &context()?),
        Command::IsolationTest(args) => isolation_test::run(&args),
        Command::Anomalies(args) => anomalies::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
