//! Running the shell's language without a terminal: `-f FILE`, `-c TEXT`, or lines piped
//! to standard input.
//!
//! Each line is fed to the [`Shell`] as if typed, and its output written before the next
//! line is read; the shell settles after every line, so a statement that waits for a
//! lock is reported as waiting and the script goes on (that is how a two-session demo
//! lets the other session commit). With echo on, every line is printed first with the
//! prompt it would have had, so the output reads like a terminal session.

use std::io::{self, BufRead, Write};

use super::dispatch::{Flow, Shell};
use super::output::Output;

/// How a script runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScriptOptions {
    /// Print each input line, after its prompt, before its output.
    pub echo: bool,
    /// Go on after errors (and do not count them in the result).
    pub keep_going: bool,
}

/// Runs the lines of `input` and returns true if the script succeeded: it ran to the
/// end (or to `\q`) without an error (or with `keep_going`), and no statement was left
/// waiting for a lock.
pub fn run(
    shell: &mut Shell,
    input: &mut dyn BufRead,
    options: ScriptOptions,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<bool> {
    shell.set_stop_on_error(!options.keep_going);
    let mut raw = Vec::new();
    let mut quit = false;
    while input.read_until(b'\n', &mut raw)? > 0 {
        let text = String::from_utf8_lossy(&raw);
        let line = text.trim_end_matches(['\n', '\r']);
        let mut out = Output::default();
        if options.echo {
            echo(shell, line, &mut out);
        }
        quit = shell.feed_line(line, &mut out) == Flow::Quit;
        raw.clear();
        out.write_to(stdout, stderr)?;
        if quit || failed(shell, options) {
            break;
        }
    }
    let mut out = Output::default();
    if !quit && !failed(shell, options) {
        shell.finish(&mut out);
    }
    let unfinished = shell.end_script(&mut out);
    out.write_to(stdout, stderr)?;
    Ok(!unfinished && !failed(shell, options))
}

fn failed(shell: &Shell, options: ScriptOptions) -> bool {
    !options.keep_going && shell.errors() > 0
}

/// Blank and comment lines between statements are echoed as they are; the others after
/// the prompt.
fn echo(shell: &Shell, line: &str, out: &mut Output) {
    let trimmed = line.trim_start();
    if shell.at_statement_start() && (trimmed.is_empty() || trimmed.starts_with("--")) {
        out.out(&format!("{line}\n"));
    } else {
        out.out(&format!("{}{line}\n", shell.prompt()));
    }
}
