//! Runs a spec's permutations against fresh in-memory databases, one SQL session per
//! spec session, and writes the transcript.
//!
//! The order of events follows PostgreSQL's `isolationtester`. Each step is sent to its
//! session, and the runner waits until it either *completes* or is *seen waiting* for a
//! row lock in the lock-wait table — never for a fixed time, so transcripts are the same
//! on every run. A waiting step is printed as `step NAME: SQL <waiting ...>`. After each
//! later step, the waiting steps are checked again in the order they started, and those
//! that completed are printed as `step NAME: <... completed>` with their results; the
//! check repeats while completions release steps held by blocker annotations.
//!
//! A permutation can end early in three ways, each with a message in the transcript:
//! a step is given to a session that is still waiting (`invalid permutation detected`,
//! as PostgreSQL's tester used to say; it does not hang), the steps left at the end wait
//! for each other (`failed to complete permutation due to mutually-blocking steps`), or a
//! step neither completes nor is seen waiting within the step timeout. The open
//! transactions are then rolled back, and teardown runs as usual.
//!
//! A step of several statements runs them one by one in its session and stops at the
//! first error. (PostgreSQL sends them in one message, which also makes them one implicit
//! transaction outside a block; isolde's sessions run each in its own.)

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use isolde_sql::split_statements;
use isolde_txn::IsolationLevel;

use super::spec::{Blocker, PermutationStep, Spec};
use super::transcript::{render, Outcome, StepRecord, Transcript};
use crate::sessions::{Completion, Progress, Sessions};
use crate::{Db, Options};

/// The session the global setup and teardown run in.
const SETUP_SESSION: &str = "(setup)";

/// Pause between two looks at a step that is between a lock wait and its completion.
const POLL: Duration = Duration::from_millis(1);

/// How a run is configured.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The default isolation level of every session (a spec's own `BEGIN ISOLATION
    /// LEVEL` or `SET TRANSACTION` wins).
    pub isolation: IsolationLevel,
    /// How long a step may take before the permutation is given up.
    pub step_timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            isolation: IsolationLevel::ReadCommitted,
            step_timeout: Duration::from_secs(10),
        }
    }
}

/// How a permutation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every step ran and completed.
    Completed,
    /// A step was given to a session still waiting for a lock.
    Invalid,
    /// The steps left at the end waited for each other.
    MutuallyBlocked,
    /// This step took longer than the step timeout.
    TimedOut(String),
}

/// One permutation's run.
#[derive(Clone, Debug)]
pub struct PermutationReport {
    /// The step names, as `starting permutation:` lists them.
    pub steps: Vec<String>,
    /// Its part of the transcript, starting with the blank line before
    /// `starting permutation:`.
    pub transcript: String,
    /// The steps in the order they completed (steps cut off by an early end last).
    pub records: Vec<StepRecord>,
    /// Whether every step ran, and if not, why the permutation stopped early.
    pub ending: Ending,
}

/// A whole spec's run.
#[derive(Clone, Debug)]
pub struct SpecReport {
    /// The full transcript, `Parsed test spec with N sessions` first.
    pub transcript: String,
    /// One report per permutation, in the order they ran (the file's `permutation`
    /// lines, or every interleaving when it has none).
    pub permutations: Vec<PermutationReport>,
}

/// Why a spec could not be run to the end (SQL errors in steps are not among them: they
/// are part of the transcript).
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// A setup block failed; `what` is `setup` or `setup of session NAME`.
    Setup {
        /// The spec's file, as given to [`Spec::parse`].
        file: String,
        /// Which block failed.
        what: String,
        /// The SQL error with its SQLSTATE, or the lock wait or timeout that stopped it.
        message: String,
    },
    /// A session's thread stopped (a panic in the engine).
    SessionLost {
        /// The spec's file, as given to [`Spec::parse`].
        file: String,
        /// The name of the session whose thread stopped.
        session: String,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Setup {
                file,
                what,
                message,
            } => write!(f, "{file}: {what} failed: {message}"),
            RunError::SessionLost { file, session } => {
                write!(f, "{file}: session {session} stopped unexpectedly")
            }
        }
    }
}

impl std::error::Error for RunError {}

/// The first line of a transcript.
pub fn header(spec: &Spec) -> String {
    format!("Parsed test spec with {} sessions\n", spec.sessions.len())
}

/// Runs every permutation of `spec`.
pub fn run_spec(spec: &Spec, options: &RunOptions) -> Result<SpecReport, RunError> {
    let mut transcript = header(spec);
    let mut permutations = Vec::new();
    for permutation in spec.permutations() {
        let report = run_permutation(spec, &permutation, options)?;
        transcript.push_str(&report.transcript);
        permutations.push(report);
    }
    Ok(SpecReport {
        transcript,
        permutations,
    })
}

/// Runs one permutation on a fresh in-memory database.
pub fn run_permutation(
    spec: &Spec,
    permutation: &[PermutationStep],
    options: &RunOptions,
) -> Result<PermutationReport, RunError> {
    let db = Db::open_in_memory_with(Options {
        default_isolation: options.isolation,
        ..Options::default()
    });
    let mut run = Run {
        spec,
        options,
        sessions: Sessions::new(db),
        out: Transcript::default(),
        active: vec![None; spec.sessions.len()],
        waiting: Vec::new(),
        notices: vec![0; spec.sessions.len()],
        records: Vec::new(),
    };
    let steps: Vec<String> = permutation.iter().map(|p| p.step.clone()).collect();
    run.out.line("");
    run.out
        .line(&format!("starting permutation: {}", steps.join(" ")));
    run.setup()?;
    let ending = match run.steps(permutation).and_then(|()| run.finish()) {
        Ok(()) => Ending::Completed,
        Err(Halt::End(ending)) => ending,
        Err(Halt::Error(e)) => return Err(e),
    };
    if ending != Ending::Completed {
        run.abort_all()?;
    }
    run.teardown()?;
    Ok(PermutationReport {
        steps,
        transcript: run.out.into_text(),
        records: run.records,
        ending,
    })
}

/// What stops the steps of a permutation.
enum Halt {
    End(Ending),
    Error(RunError),
}

/// A step in flight in its session.
#[derive(Clone)]
struct Active {
    pstep: PermutationStep,
    sql: String,
    /// Statements not sent yet.
    pending: VecDeque<String>,
    /// A statement was sent and has not completed.
    in_flight: bool,
    /// The in-flight statement was last seen waiting for these sessions.
    lock_blocked: Option<Vec<String>>,
    /// The printed results so far.
    output: String,
    /// It was reported `<waiting ...>`.
    waited: bool,
    outcomes: Vec<Outcome>,
}

/// Where a step stands after a look at it.
#[derive(PartialEq, Eq)]
enum Look {
    Waiting,
    Done,
}

/// Where a statement stands after waiting for it.
enum Settled {
    Done(Completion),
    Blocked(Vec<String>),
    Running,
}

struct Run<'a> {
    spec: &'a Spec,
    options: &'a RunOptions,
    sessions: Sessions,
    out: Transcript,
    /// Per spec session, its step in flight.
    active: Vec<Option<Active>>,
    /// Sessions whose step was reported waiting, in the order they started.
    waiting: Vec<usize>,
    /// Notices printed per session, for `(step notices N)` blockers.
    notices: Vec<usize>,
    records: Vec<StepRecord>,
}

impl Run<'_> {
    fn name(&self, session: usize) -> &str {
        &self.spec.sessions[session].name
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.options.step_timeout
    }

    fn lost(&self, session: &str) -> RunError {
        RunError::SessionLost {
            file: self.spec.file.clone(),
            session: session.to_string(),
        }
    }

    /// Waits for `session`'s statement to complete or to be seen waiting for a lock held
    /// by a live transaction (a wait whose holders have all ended is about to finish).
    fn settle(&mut self, session: &str, deadline: Instant) -> Settled {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.sessions.wait(session, left) {
                Progress::Done(c) => return Settled::Done(c),
                Progress::Blocked { holders } if !holders.is_empty() => {
                    return Settled::Blocked(holders)
                }
                // A session whose thread stopped never completes: it runs into the step
                // timeout like a statement that hangs.
                Progress::Blocked { .. } | Progress::Running | Progress::Gone => {
                    if Instant::now() >= deadline {
                        return Settled::Running;
                    }
                    std::thread::sleep(POLL);
                }
            }
        }
    }

    /// Runs the global setup blocks, then each session's setup, printing result sets.
    fn setup(&mut self) -> Result<(), RunError> {
        for sql in &self.spec.setup {
            self.run_block(SETUP_SESSION, sql, "setup", true)?;
        }
        for session in &self.spec.sessions {
            if let Some(sql) = &session.setup {
                let what = format!("setup of session {}", session.name);
                self.run_block(&session.name, sql, &what, true)?;
            }
        }
        Ok(())
    }

    /// Each session's teardown, then the global one. Their errors are printed, not fatal.
    fn teardown(&mut self) -> Result<(), RunError> {
        let mut blocks: Vec<(String, String, String)> = Vec::new();
        for session in &self.spec.sessions {
            if let Some(sql) = &session.teardown {
                let what = format!("teardown of session {}", session.name);
                blocks.push((session.name.clone(), sql.clone(), what));
            }
        }
        if let Some(sql) = &self.spec.teardown {
            blocks.push((SETUP_SESSION.into(), sql.clone(), "teardown".into()));
        }
        for (session, sql, what) in blocks {
            self.run_block(&session, &sql, &what, false)?;
        }
        Ok(())
    }

    /// Runs a setup or teardown block statement by statement. A failing setup stops the
    /// spec; a teardown error is printed. A wait or a timeout is printed and ends the block.
    fn run_block(
        &mut self,
        session: &str,
        sql: &str,
        what: &str,
        fatal: bool,
    ) -> Result<(), RunError> {
        for statement in split_statements(sql) {
            if self.sessions.submit(session, &statement).is_err() {
                return Err(self.lost(session));
            }
            let deadline = self.deadline();
            let message = match self.settle(session, deadline) {
                Settled::Done(c) => match &c.result {
                    Ok(_) => {
                        self.out.push(&render(session, &c.result).0);
                        continue;
                    }
                    Err(e) if fatal => isolde_sql::format_error_with_state(e),
                    Err(e) => format!("{what} failed: {}", isolde_sql::format_error_with_state(e)),
                },
                Settled::Blocked(holders) => {
                    format!("{what} waits for a lock held by {}", holders.join(", "))
                }
                Settled::Running => format!(
                    "{what} did not finish within {} s",
                    self.options.step_timeout.as_secs_f64()
                ),
            };
            // The block ends here: a setup stops the spec, a teardown says why it stopped.
            if fatal {
                return Err(RunError::Setup {
                    file: self.spec.file.clone(),
                    what: what.to_string(),
                    message,
                });
            }
            self.out.line(&message);
            return Ok(());
        }
        Ok(())
    }

    /// Runs the permutation's steps in order.
    fn steps(&mut self, permutation: &[PermutationStep]) -> Result<(), Halt> {
        for pstep in permutation {
            let Some((session, step)) = self.spec.step(&pstep.step) else {
                continue; // Spec::parse checked every name
            };
            if self.active[session].is_some() {
                self.wait_for_session(session)?;
            }
            self.active[session] = Some(Active {
                pstep: pstep.clone(),
                sql: step.sql.clone(),
                pending: split_statements(&step.sql).into(),
                in_flight: false,
                lock_blocked: None,
                output: String::new(),
                waited: false,
                outcomes: Vec::new(),
            });
            let look = self.look(session, false)?;
            self.look_at_waiting()?;
            if look == Look::Waiting {
                self.waiting.push(session);
            }
        }
        Ok(())
    }

    /// The next step belongs to a session whose last step has not completed: wait for it
    /// if it can still finish by itself, else the permutation is invalid.
    fn wait_for_session(&mut self, session: usize) -> Result<(), Halt> {
        let deadline = self.deadline();
        loop {
            if self.look(session, true)? == Look::Done {
                self.waiting.retain(|&s| s != session);
            }
            self.look_at_waiting()?;
            if self.active[session].is_none() {
                return Ok(());
            }
            if self.stuck() {
                self.out.line("invalid permutation detected");
                return Err(Halt::End(Ending::Invalid));
            }
            if Instant::now() >= deadline {
                return Err(self.timed_out(session));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the steps still waiting when the permutation's steps have all been sent.
    fn finish(&mut self) -> Result<(), Halt> {
        let deadline = self.deadline();
        while let Some(&first) = self.waiting.first() {
            self.look_at_waiting()?;
            if self.waiting.is_empty() {
                break;
            }
            if self.stuck() {
                self.out
                    .line("failed to complete permutation due to mutually-blocking steps");
                return Err(Halt::End(Ending::MutuallyBlocked));
            }
            if Instant::now() >= deadline {
                return Err(self.timed_out(first));
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    fn timed_out(&mut self, session: usize) -> Halt {
        let step = self.active[session]
            .as_ref()
            .map_or_else(String::new, |a| a.pstep.step.clone());
        self.out.line(&format!(
            "step {step} timed out after {} s",
            self.options.step_timeout.as_secs_f64()
        ));
        Halt::End(Ending::TimedOut(step))
    }

    /// True when no step can make progress by itself: every statement in flight waits
    /// for a lock, so only a new step could release one.
    fn stuck(&self) -> bool {
        self.active
            .iter()
            .flatten()
            .all(|a| !a.in_flight || a.lock_blocked.is_some())
    }

    /// Looks at the waiting steps in the order they started, printing those that
    /// completed; repeats while a completion may have released a blocker annotation.
    fn look_at_waiting(&mut self) -> Result<(), Halt> {
        loop {
            let before = self.waiting.len();
            let notices_before: usize = self.notices.iter().sum();
            let mut annotated = false;
            let mut i = 0;
            while i < self.waiting.len() {
                let session = self.waiting[i];
                if self.look(session, true)? == Look::Done {
                    self.waiting.remove(i);
                } else {
                    annotated |= self.active[session]
                        .as_ref()
                        .is_some_and(|a| !a.pstep.blockers.is_empty());
                    i += 1;
                }
            }
            let progress =
                self.waiting.len() < before || self.notices.iter().sum::<usize>() != notices_before;
            if !(annotated && progress) {
                return Ok(());
            }
        }
    }

    /// Advances `session`'s step and prints it if it completed (or, the first time it is
    /// seen waiting, its `<waiting ...>` line). `retry` is false on the first look.
    fn look(&mut self, session: usize, retry: bool) -> Result<Look, Halt> {
        let name = self.name(session).to_string();
        let deadline = self.deadline();
        let blocked = !self.drive(session, &name, deadline)?;
        let Some(active) = self.active[session].as_ref() else {
            return Ok(Look::Done);
        };
        let forced = !retry && active.pstep.blockers.contains(&Blocker::Once);
        if blocked || forced || self.held_by_annotation(&active.pstep) {
            if let Some(a) = self.active[session].as_mut().filter(|a| !a.waited) {
                a.waited = true;
                self.out.step(&a.pstep.step, &a.sql, true);
            }
            return Ok(Look::Waiting);
        }
        let Some(a) = self.active[session].take() else {
            return Ok(Look::Done);
        };
        if a.waited {
            self.out.completed(&a.pstep.step);
        } else {
            self.out.step(&a.pstep.step, &a.sql, false);
        }
        self.out.push(&a.output);
        self.records.push(StepRecord {
            step: a.pstep.step,
            session: name,
            waited: a.waited,
            outcomes: a.outcomes,
            completed: true,
        });
        Ok(Look::Done)
    }

    /// Sends and waits for the step's statements until they are all done (true) or one
    /// waits for a lock (false).
    fn drive(&mut self, session: usize, name: &str, deadline: Instant) -> Result<bool, Halt> {
        loop {
            let Some(active) = self.active[session].as_mut() else {
                return Ok(true);
            };
            if !active.in_flight {
                let Some(statement) = active.pending.pop_front() else {
                    return Ok(true);
                };
                active.in_flight = true;
                if self.sessions.submit(name, &statement).is_err() {
                    return Err(Halt::Error(self.lost(name)));
                }
            }
            match self.settle(name, deadline) {
                Settled::Done(c) => {
                    let (text, outcome, notices) = render(name, &c.result);
                    self.notices[session] += notices;
                    if let Some(a) = self.active[session].as_mut() {
                        if matches!(outcome, Outcome::Error { .. }) {
                            a.pending.clear();
                        }
                        a.output.push_str(&text);
                        a.outcomes.push(outcome);
                        a.in_flight = false;
                        a.lock_blocked = None;
                    }
                }
                Settled::Blocked(holders) => {
                    if let Some(a) = self.active[session].as_mut() {
                        a.lock_blocked = Some(holders);
                    }
                    return Ok(false);
                }
                Settled::Running => return Err(self.timed_out(session)),
            }
        }
    }

    /// A `(step)` blocker whose step is still in flight, or a `(step notices N)` whose
    /// session has printed fewer notices.
    fn held_by_annotation(&self, pstep: &PermutationStep) -> bool {
        pstep.blockers.iter().any(|b| match b {
            Blocker::Once => false,
            Blocker::Step(other) => self.spec.step(other).is_some_and(|(s, _)| {
                self.active[s]
                    .as_ref()
                    .is_some_and(|a| a.pstep.step == *other)
            }),
            Blocker::Notices(other, n) => self
                .spec
                .step(other)
                .is_some_and(|(s, _)| self.notices[s] < *n),
        })
    }

    /// Ends a permutation cut short: records the unfinished steps, rolls back every idle
    /// session (which releases the locks the others wait for), then the others.
    fn abort_all(&mut self) -> Result<(), RunError> {
        for session in 0..self.active.len() {
            if let Some(a) = self.active[session].as_mut() {
                a.pending.clear();
                let record = StepRecord {
                    step: a.pstep.step.clone(),
                    session: self.spec.sessions[session].name.clone(),
                    waited: a.waited,
                    outcomes: a.outcomes.clone(),
                    completed: false,
                };
                self.records.push(record);
            }
        }
        self.waiting.clear();
        let deadline = self.deadline();
        let mut left: Vec<usize> = (0..self.active.len()).collect();
        while !left.is_empty() && Instant::now() < deadline {
            let mut still = Vec::new();
            for session in left {
                let name = self.name(session).to_string();
                let busy = self.active[session].as_ref().is_some_and(|a| a.in_flight);
                if busy {
                    match self.settle(&name, Instant::now()) {
                        Settled::Done(_) => self.active[session] = None,
                        Settled::Blocked(_) | Settled::Running => {
                            still.push(session);
                            continue;
                        }
                    }
                }
                self.active[session] = None;
                self.rollback(&name)?;
            }
            left = still;
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    fn rollback(&mut self, name: &str) -> Result<(), RunError> {
        if self.sessions.submit(name, "ROLLBACK").is_err() {
            return Err(self.lost(name));
        }
        let deadline = self.deadline();
        self.settle(name, deadline);
        Ok(())
    }
}
