//! The shell's language, shared by the interactive loop and scripts: lines in, statements
//! to the current session, backslash commands, and results out.
//!
//! After every line the shell *settles*: it waits until every statement it submitted has
//! either completed (its result is printed) or is seen waiting for a lock held by a
//! transaction that is still alive (`b: waiting for a lock held by session a` is
//! printed once). A wait whose holders have all ended is only a waiter that has not
//! woken yet, so the shell keeps waiting for it. The statement just typed is settled
//! first (its own result before what it set off: `COMMIT`, then `b: UPDATE 1`), then
//! the others in the order their sessions were opened, which makes a script's output
//! the same on every run.

use std::collections::BTreeMap;
use std::time::Duration;

use isolde_sql::{format_error_with_state, format_psql, QueryResult, Value};

use super::describe::Describe;
use super::input::Buffer;
use super::meta::{self, Meta, HELP};
use super::output::Output;
use super::prompt::{self, Line};
use crate::db::Db;
use crate::sessions::{Completion, Progress, Sessions};

/// The session statements go to when the shell starts.
pub const FIRST_SESSION: &str = "a";

/// How long one look at a running statement waits before looking at the others.
const POLL: Duration = Duration::from_millis(5);

/// What the caller should do after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// `\q`: stop reading.
    Quit,
}

/// The shell's state: its sessions, the current one, settings and the query buffer.
pub struct Shell {
    sessions: Sessions,
    current: String,
    buffer: Buffer,
    timing: bool,
    stop_on_error: bool,
    /// Sessions running a statement whose result is not printed yet, with the holders
    /// of the lock it was last reported waiting for (None: not reported waiting).
    pending: BTreeMap<String, Option<Vec<String>>>,
    errors: u64,
}

impl Shell {
    /// A shell on `db`, in session [`FIRST_SESSION`].
    pub fn new(db: Db) -> Shell {
        let mut sessions = Sessions::new(db);
        sessions.open(FIRST_SESSION);
        Shell {
            sessions,
            current: FIRST_SESSION.to_string(),
            buffer: Buffer::default(),
            timing: false,
            stop_on_error: false,
            pending: BTreeMap::new(),
            errors: 0,
        }
    }

    /// Skip the rest of a line after an error (scripts without `--continue`).
    pub fn set_stop_on_error(&mut self, stop: bool) {
        self.stop_on_error = stop;
    }

    /// How many errors were printed so far: SQL errors, refused statements and bad
    /// backslash commands.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The prompt for the next line.
    pub fn prompt(&self) -> String {
        let line = match self.buffer.is_empty() {
            true => Line::First,
            false => Line::Continuation,
        };
        let waiting = self.pending.contains_key(&self.current);
        match self.sessions.status(&self.current) {
            Some(status) => prompt::render(&status, line, waiting),
            None => format!("{}> ", self.current),
        }
    }

    /// True when the query buffer holds no unfinished statement.
    pub fn at_statement_start(&self) -> bool {
        self.buffer.is_empty()
    }

    /// Forgets a half-typed statement.
    pub fn clear_input(&mut self) {
        self.buffer.clear();
    }

    /// Runs one input line: a backslash command, or text added to the query buffer whose
    /// complete statements run in the current session. Then settles.
    pub fn feed_line(&mut self, line: &str, out: &mut Output) -> Flow {
        let flow = if line.trim_start().starts_with('\\') {
            self.meta(line, out)
        } else {
            let errors = self.errors;
            for statement in self.buffer.push_line(line) {
                if self.stop_on_error && self.errors > errors {
                    break;
                }
                self.execute(&statement, out);
            }
            Flow::Continue
        };
        self.settle(out);
        flow
    }

    /// At the end of the input: runs an unterminated last statement (psql does too) and
    /// settles.
    pub fn finish(&mut self, out: &mut Output) {
        if let Some(rest) = self.buffer.take_rest() {
            self.execute(&rest, out);
        }
        self.settle(out);
    }

    /// Prints the results of waiting statements that finished since the last line.
    pub fn take_completions(&mut self, out: &mut Output) {
        for completion in self.sessions.take_completions() {
            self.pending.remove(&completion.session);
            self.print_completion(completion, true, out);
        }
    }

    /// Ends a script as closing every session's connection would, and says what that
    /// did: reports the statements still waiting, then rolls back, session by session, the
    /// open transactions of sessions that are not waiting. A waiting statement that can
    /// then run does, and its result is printed (it is not left to commit unreported
    /// while the sessions close); its own transaction, if it opened one, is rolled back
    /// in turn. True if any statement was still waiting when the script ended.
    pub fn end_script(&mut self, out: &mut Output) -> bool {
        let unfinished = self.report_unfinished(out);
        loop {
            let idle_in_transaction: Vec<String> = (self.sessions.names().iter())
                .filter(|name| !self.pending.contains_key(*name))
                .filter(|name| self.sessions.status(name).is_some_and(|s| s.in_transaction))
                .cloned()
                .collect();
            if idle_in_transaction.is_empty() {
                return unfinished;
            }
            for name in idle_in_transaction {
                if self.sessions.submit(&name, "ROLLBACK").is_err() {
                    return unfinished;
                }
                // Reported as waited for, so its result is tagged with the session.
                self.pending.insert(name.clone(), Some(Vec::new()));
                while !self.settle_one(&name, out) {}
            }
            self.settle(out);
        }
    }

    /// Reports every statement still waiting (at the end of a script); true if any.
    fn report_unfinished(&self, out: &mut Output) -> bool {
        for name in self.pending_in_order() {
            let status = self.sessions.status(&name);
            let statement = status.and_then(|s| s.running).unwrap_or_default();
            let statement = one_line(&statement);
            let state = match self.sessions.blocked_on(&name) {
                Some(holders) if !holders.is_empty() => self.waiting_for(&holders),
                _ => "running".to_string(),
            };
            out.err(&format!("{name}: still {state}: {statement}\n"));
        }
        !self.pending.is_empty()
    }

    /// True (and says so) if the current session's statement has not finished: the
    /// session takes nothing else meanwhile.
    fn refuse_if_busy(&mut self, out: &mut Output) -> bool {
        let Some(waiting) = self.pending.get(&self.current) else {
            return false;
        };
        let why = match waiting {
            Some(holders) => self.waiting_for(holders),
            None => "running".to_string(),
        };
        self.error(
            out,
            &format!(
                "session {} is busy: its statement is {why}; switch sessions with \\session NAME\n",
                self.current
            ),
        );
        true
    }

    fn execute(&mut self, statement: &str, out: &mut Output) {
        if self.refuse_if_busy(out) {
            return;
        }
        match self.sessions.submit(&self.current, statement) {
            Ok(()) => {
                self.pending.insert(self.current.clone(), None);
                let current = self.current.clone();
                while !self.settle_one(&current, out) {}
                self.settle(out);
            }
            Err(e) => self.error(out, &format!("{e}\n")),
        }
    }

    /// Waits until every pending statement has completed or waits for a live lock.
    fn settle(&mut self, out: &mut Output) {
        loop {
            let mut settled = true;
            for name in self.pending_in_order() {
                let before = self.pending.len();
                let still = self.settle_one(&name, out);
                // A completion may have released locks others wait for: look again.
                settled &= still && self.pending.len() == before;
            }
            if settled {
                return;
            }
        }
    }

    /// Looks at session `name`'s statement once; true if it is no longer pending or
    /// waits for a live lock.
    fn settle_one(&mut self, name: &str, out: &mut Output) -> bool {
        if !self.pending.contains_key(name) {
            return true;
        }
        match self.sessions.wait(name, POLL) {
            Progress::Done(completion) => {
                let reported = self.pending.remove(name).flatten().is_some();
                self.print_completion(completion, reported, out);
                true
            }
            Progress::Blocked { holders } if !holders.is_empty() => {
                self.report_waiting(name, holders, out);
                true
            }
            Progress::Blocked { .. } => {
                // The holders ended; the waiter has not woken yet.
                std::thread::sleep(POLL);
                false
            }
            Progress::Running => false,
            Progress::Gone => {
                self.pending.remove(name);
                out.err(&format!(
                    "{name}: the session stopped unexpectedly; switch to another one\n"
                ));
                true
            }
        }
    }

    fn report_waiting(&mut self, name: &str, holders: Vec<String>, out: &mut Output) {
        if self.pending.get(name) == Some(&Some(holders.clone())) {
            return;
        }
        out.out(&format!("{name}: {}\n", self.waiting_for(&holders)));
        self.pending.insert(name.to_string(), Some(holders));
    }

    fn waiting_for(&self, holders: &[String]) -> String {
        let named: Vec<String> = holders
            .iter()
            .map(|h| match self.sessions.status(h) {
                Some(_) => format!("session {h}"),
                None => format!("transaction {h}"),
            })
            .collect();
        format!("waiting for a lock held by {}", named.join(", "))
    }

    fn pending_in_order(&self) -> Vec<String> {
        let names = self.sessions.names().iter();
        names
            .filter(|n| self.pending.contains_key(*n))
            .cloned()
            .collect()
    }

    /// Prints a result; one that arrives after its session was reported waiting gets
    /// each line prefixed with the session's name.
    fn print_completion(&mut self, completion: Completion, tagged: bool, out: &mut Output) {
        let prefix = |text: &str| match tagged {
            true => text
                .lines()
                .map(|l| format!("{}: {l}\n", completion.session))
                .collect(),
            false => text.to_string(),
        };
        match &completion.result {
            Ok(result) => {
                out.out(&prefix(&format_psql(result)));
                // psql leaves a blank line after a table, but not after a command tag.
                if result.has_rows() && !result.tag_follows_rows() {
                    out.out("\n");
                }
            }
            Err(e) => {
                self.errors += 1;
                out.err(&prefix(&format!("{}\n", format_error_with_state(e))));
            }
        }
        if self.timing {
            out.out(&prefix(&format!(
                "Time: {}\n",
                milliseconds(completion.elapsed)
            )));
        }
    }

    fn error(&mut self, out: &mut Output, message: &str) {
        self.errors += 1;
        out.err(message);
    }

    fn meta(&mut self, line: &str, out: &mut Output) -> Flow {
        let command = match meta::parse(line) {
            Ok(command) => command,
            Err(e) => {
                self.error(out, &format!("{e}\n"));
                return Flow::Continue;
            }
        };
        match command {
            Meta::Quit => return Flow::Quit,
            Meta::Help => out.out(HELP),
            Meta::Timing(on) => {
                self.timing = on.unwrap_or(!self.timing);
                out.out(match self.timing {
                    true => "Timing is on.\n",
                    false => "Timing is off.\n",
                });
            }
            Meta::Sessions => out.out(&format!("{}\n", format_psql(&self.listing()))),
            Meta::Session(Some(name)) => {
                self.sessions.open(&name);
                self.current = name;
            }
            Meta::Session(None) => out.out(&format!("{}\n", self.current)),
            Meta::Echo(text) => out.out(&format!("{text}\n")),
            Meta::Describe(command) => self.describe(line.trim(), command, out),
        }
        Flow::Continue
    }

    /// A describe command, run on the current session's thread: it only reads, so it
    /// never waits for a lock, and the shell waits for its answer.
    fn describe(&mut self, line: &str, command: Describe, out: &mut Output) {
        if self.refuse_if_busy(out) {
            return;
        }
        let read = command.clone();
        let answer = self
            .sessions
            .call(&self.current, line, move |session| read.read(session));
        let answer = match answer.map(|receiver| receiver.recv()) {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => {
                let message = format!(
                    "{}: the session stopped unexpectedly; switch to another one\n",
                    self.current
                );
                return self.error(out, &message);
            }
            Err(e) => return self.error(out, &format!("{e}\n")),
        };
        match answer {
            Ok(found) => {
                if !command.print(found, out) {
                    self.errors += 1;
                }
            }
            Err(e) => self.error(out, &format!("{}\n", format_error_with_state(&e))),
        }
    }

    /// `\sessions`: one row per session.
    fn listing(&self) -> QueryResult {
        let rows: Vec<Vec<Value>> = self
            .sessions
            .names()
            .iter()
            .filter_map(|name| self.sessions.status(name))
            .map(|status| {
                let state = match self.sessions.blocked_on(&status.name) {
                    Some(holders) if !holders.is_empty() => self.waiting_for(&holders),
                    _ if status.running.is_some() => "running".to_string(),
                    _ if status.failed => "failed transaction".to_string(),
                    _ if status.in_transaction => "in transaction".to_string(),
                    _ => "idle".to_string(),
                };
                let statement = status.running.as_deref().map(one_line);
                let statement = statement.as_deref().map_or(Value::Null, Value::from);
                vec![
                    Value::from(status.name.as_str()),
                    Value::from(status.level.sql_name()),
                    Value::from(state.as_str()),
                    statement,
                ]
            })
            .collect();
        QueryResult {
            columns: ["session", "isolation", "state", "statement"]
                .map(String::from)
                .into(),
            tag: format!("SELECT {}", rows.len()),
            rows,
            notices: Vec::new(),
        }
    }
}

/// A statement on one line, its runs of white space made single spaces.
fn one_line(statement: &str) -> String {
    statement.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// psql's `\timing` figure: milliseconds with three decimals, and from one second on
/// also minutes and seconds, `1234.567 ms (00:01.235)`.
fn milliseconds(elapsed: Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if elapsed < Duration::from_secs(1) {
        return format!("{ms:.3} ms");
    }
    let secs = elapsed.as_secs_f64();
    let minutes = (secs / 60.0).floor();
    format!("{ms:.3} ms ({minutes:02}:{:06.3})", secs - minutes * 60.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_figures_read_like_psqls() {
        assert_eq!(milliseconds(Duration::from_micros(123)), "0.123 ms");
        assert_eq!(
            milliseconds(Duration::from_millis(61_234)),
            "61234.000 ms (01:01.234)"
        );
    }
}
