//! `isolde shell`: the multi-session SQL shell ([`crate::shell`]) on the database
//! directory, or on a throwaway database with `--memory`.
//!
//! Without `-f` or `-c` it reads a terminal interactively; when standard input is not a
//! terminal it reads it as a script. Scripts echo their lines (with prompts) by default
//! for `-f` only. Exit status: 0, or 1 when a script stopped at an error (none counts with
//! `--continue`) or left a statement waiting for a lock; 3 when the database cannot be
//! opened. The interactive history is kept in `~/.isolde_history`, or in the file
//! `$ISOLDE_HISTORY` names (empty: no history); a history that cannot be read or
//! written is silently not kept, as in psql.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, IsTerminal};
use std::path::PathBuf;

use isolde_txn::IsolationLevel;

use super::{Context, Error, Result, Status};
use crate::shell::{repl, script, ScriptOptions, Shell, FIRST_SESSION};
use crate::Db;

/// Arguments of `isolde shell`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run the lines of FILE (`-` for standard input) and exit; echoes them unless --no-echo
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "command"
    )]
    pub file: Option<PathBuf>,
    /// Run TEXT (SQL and backslash commands, one per line) and exit
    #[arg(short = 'c', long = "command", value_name = "TEXT")]
    pub command: Option<String>,
    /// Use a throwaway in-memory database instead of the database directory
    #[arg(long)]
    pub memory: bool,
    /// Isolation level of new sessions' transactions (rc, rr, ser, ru, or the SQL name)
    #[arg(long, value_name = "LEVEL")]
    pub isolation: Option<IsolationLevel>,
    /// Echo each script line, after its prompt, before its output
    #[arg(short = 'e', long, overrides_with = "no_echo")]
    pub echo: bool,
    /// Do not echo script lines (the default for -c and piped input)
    #[arg(long, overrides_with = "echo")]
    pub no_echo: bool,
    /// Go on after errors in a script, and exit 0 despite them
    #[arg(long = "continue")]
    pub keep_going: bool,
}

/// Runs the shell.
pub(crate) fn run(args: &Args, context: &Context) -> Result<Status> {
    let mut options = context.options.clone();
    if let Some(level) = args.isolation {
        options.default_isolation = level;
    }
    let (db, place) = match args.memory {
        true => (Db::open_in_memory_with(options), "in memory".to_string()),
        false => (
            Db::open(&context.dir, options)?,
            format!("in {}", context.dir.display()),
        ),
    };
    let shell = Shell::new(db);
    let stdin = io::stdin();
    let (mut input, echo_by_default): (Box<dyn BufRead>, bool) = match (&args.file, &args.command) {
        (Some(path), _) if path.as_os_str() == "-" => (Box::new(stdin.lock()), true),
        (Some(path), _) => {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            (Box::new(BufReader::new(file)), true)
        }
        (None, Some(text)) => (Box::new(Cursor::new(text.clone().into_bytes())), false),
        (None, None) if !stdin.is_terminal() => (Box::new(stdin.lock()), false),
        (None, None) => return interactive(shell, &place),
    };
    let options = ScriptOptions {
        echo: (echo_by_default || args.echo) && !args.no_echo,
        keep_going: args.keep_going,
    };
    let mut shell = shell;
    let succeeded = script::run(
        &mut shell,
        &mut input,
        options,
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
    )
    .map_err(Error::Terminal)?;
    Ok(match succeeded {
        true => Status::Success,
        false => Status::Failed,
    })
}

fn interactive(shell: Shell, place: &str) -> Result<Status> {
    let banner = format!(
        "isolde shell {}: database {place}, session {FIRST_SESSION}. Type \\? for help, \\q to quit.",
        env!("CARGO_PKG_VERSION")
    );
    repl::run(shell, &banner).map_err(|e| match e {
        rustyline::error::ReadlineError::Io(e) => Error::Terminal(e),
        other => Error::Terminal(io::Error::other(other)),
    })?;
    Ok(Status::Success)
}
