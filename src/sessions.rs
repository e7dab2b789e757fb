//! Named SQL sessions, each on its own thread: what the multi-session shell and the
//! isolation tester run on.
//!
//! A statement is handed to its session's thread and runs there. The caller then waits
//! for one of two definite outcomes: the statement *completed* (with its result), or it
//! is *blocked* on a row lock — which the transaction manager's lock-wait table shows,
//! with the holders (see [`isolde_txn::TxnManager::lock_waits`]; every transaction
//! that locks remembers the thread of its first lock request, so a waiting thread maps
//! back to its session).
//! A statement that is neither after the timeout is still *running*. Completions of
//! statements that were blocked arrive later and can be collected with
//! [`Sessions::take_completions`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use isolde_sql::{QueryResult, Session};
use isolde_txn::IsolationLevel;
use parking_lot::Mutex;

use crate::db::Db;

/// How often a waiting caller looks at the lock-wait table.
const POLL: Duration = Duration::from_millis(2);

/// The stack of a session's thread: eight times Rust's default, so that long expressions
/// (thousands of terms, which PostgreSQL evaluates) plan and run. Deeper ones fail with
/// 54001 once a statement has used all but [`STACK_MARGIN`] of it.
const SESSION_STACK: usize = 16 << 20;

/// The part of a session thread's stack a statement may not use: room for the frames
/// below it and for work that does not check its depth.
const STACK_MARGIN: usize = 2 << 20;

/// A statement that finished, and its result.
#[derive(Debug)]
pub struct Completion {
    /// The session it ran in.
    pub session: String,
    /// The statement's text.
    pub statement: String,
    /// Its result or error.
    pub result: Result<QueryResult, isolde_sql::Error>,
    /// How long it took, waits included.
    pub elapsed: Duration,
}

/// Where a submitted statement stands.
#[derive(Debug)]
pub enum Progress {
    /// It finished.
    Done(Completion),
    /// It waits for a row lock held by these sessions (or, for transactions no session
    /// began, `T<id>`).
    Blocked {
        /// The sessions (or `T<id>`) holding the lock, as a message would name them.
        holders: Vec<String>,
    },
    /// It is still running, not waiting for a lock.
    Running,
    /// The session's thread has stopped (a bug in a layer below panicked): the statement
    /// will never complete, and the session is unusable.
    Gone,
}

/// What a session is doing, for prompts and listings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The session's name.
    pub name: String,
    /// The level of its open transaction, or its default.
    pub level: IsolationLevel,
    /// A transaction is open.
    pub in_transaction: bool,
    /// The open transaction failed and only ROLLBACK is accepted.
    pub failed: bool,
    /// The statement it is running, if any.
    pub running: Option<String>,
}

/// Why a statement could not be submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The session is still running an earlier statement.
    Busy {
        /// The busy session's name.
        session: String,
        /// The statement it is still running.
        statement: String,
    },
    /// The session's thread is gone (it could not be started, or it panicked).
    Gone {
        /// The session's name.
        session: String,
    },
}

impl std::fmt::Display for SubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubmitError::Busy { session, statement } => {
                write!(f, "session {session} is still running: {statement}")
            }
            SubmitError::Gone { session } => write!(f, "session {session} has stopped"),
        }
    }
}

impl std::error::Error for SubmitError {}

struct Shared {
    level: IsolationLevel,
    in_transaction: bool,
    failed: bool,
    running: Option<String>,
}

/// Work for a session's thread.
enum Request {
    /// A statement, whose [`Completion`] is reported.
    Statement(String),
    /// Something done with the session other than a statement ([`Sessions::call`]).
    Call(Box<dyn FnOnce(&mut Session) + Send>),
}

struct Worker {
    requests: Sender<Request>,
    thread: ThreadId,
    shared: Arc<Mutex<Shared>>,
    handle: JoinHandle<()>,
}

/// A set of named sessions on one database.
pub struct Sessions {
    db: Db,
    workers: BTreeMap<String, Worker>,
    order: Vec<String>,
    done_tx: Sender<Completion>,
    done_rx: Receiver<Completion>,
    /// Completions received while waiting for another session.
    finished: VecDeque<Completion>,
}

impl Sessions {
    /// No sessions yet, on `db`.
    pub fn new(db: Db) -> Sessions {
        let (done_tx, done_rx) = mpsc::channel();
        Sessions {
            db,
            workers: BTreeMap::new(),
            order: Vec::new(),
            done_tx,
            done_rx,
            finished: VecDeque::new(),
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates session `name` if it does not exist; true if it was created.
    pub fn open(&mut self, name: &str) -> bool {
        if self.workers.contains_key(name) {
            return false;
        }
        let mut session = self.db.session();
        session.set_max_stack_depth(SESSION_STACK - STACK_MARGIN);
        let shared = Arc::new(Mutex::new(Shared {
            level: session.isolation_level(),
            in_transaction: false,
            failed: false,
            running: None,
        }));
        let (requests, inbox) = mpsc::channel::<Request>();
        let handle = {
            let (name, shared, done) = (name.to_string(), shared.clone(), self.done_tx.clone());
            // As `std::thread::spawn`, which panics if the OS cannot start a thread.
            std::thread::Builder::new()
                .stack_size(SESSION_STACK)
                .spawn(move || serve(name, session, inbox, &shared, &done))
                .expect("failed to spawn a session thread")
        };
        let thread = handle.thread().id();
        self.workers.insert(
            name.to_string(),
            Worker {
                requests,
                thread,
                shared,
                handle,
            },
        );
        self.order.push(name.to_string());
        true
    }

    /// The session names, in the order they were opened.
    pub fn names(&self) -> &[String] {
        &self.order
    }

    /// What session `name` is doing; None if there is no such session.
    pub fn status(&self, name: &str) -> Option<Status> {
        let shared = self.workers.get(name)?.shared.lock();
        Some(Status {
            name: name.to_string(),
            level: shared.level,
            in_transaction: shared.in_transaction,
            failed: shared.failed,
            running: shared.running.clone(),
        })
    }

    /// Hands `sql` (one statement) to session `name`, opening the session if needed.
    pub fn submit(&mut self, name: &str, sql: &str) -> Result<(), SubmitError> {
        self.send(name, sql, Request::Statement(sql.to_string()))
    }

    /// Runs `f` with session `name` on its thread (opening the session if needed) and
    /// returns a receiver for its result; no [`Completion`] is reported. For work that
    /// reads and never waits for a lock, such as the shell's describe commands, so the
    /// caller can simply block on the receiver. `label` stands for it in
    /// [`Status::running`] meanwhile. Refused, as a statement is, while the session runs
    /// another statement.
    pub fn call<T: Send + 'static>(
        &mut self,
        name: &str,
        label: &str,
        f: impl FnOnce(&mut Session) -> T + Send + 'static,
    ) -> Result<Receiver<T>, SubmitError> {
        self.open(name);
        let shared = self.workers[name].shared.clone();
        let (reply, receiver) = mpsc::channel();
        let call = move |session: &mut Session| {
            let result = f(session);
            // Free before the answer arrives, so that the caller can go on at once.
            shared.lock().running = None;
            // The caller may have stopped waiting; the result is then of no use.
            let _ = reply.send(result);
        };
        self.send(name, label, Request::Call(Box::new(call)))?;
        Ok(receiver)
    }

    fn send(&mut self, name: &str, label: &str, request: Request) -> Result<(), SubmitError> {
        self.open(name);
        let worker = &self.workers[name];
        {
            let mut shared = worker.shared.lock();
            if let Some(statement) = &shared.running {
                return Err(SubmitError::Busy {
                    session: name.to_string(),
                    statement: statement.clone(),
                });
            }
            shared.running = Some(label.to_string());
        }
        worker.requests.send(request).map_err(|_| {
            worker.shared.lock().running = None;
            SubmitError::Gone {
                session: name.to_string(),
            }
        })
    }

    /// Waits up to `timeout` until session `name`'s statement completes or is seen
    /// waiting for a lock. A session with nothing running reports `Running` at once only
    /// if its last completion was already taken.
    pub fn wait(&mut self, name: &str, timeout: Duration) -> Progress {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(done) = self.take_finished(name) {
                return Progress::Done(done);
            }
            if let Some(holders) = self.blocked_on(name) {
                return Progress::Blocked { holders };
            }
            if self
                .workers
                .get(name)
                .is_none_or(|w| w.handle.is_finished())
            {
                return Progress::Gone;
            }
            let now = Instant::now();
            if now >= deadline {
                return Progress::Running;
            }
            match self.done_rx.recv_timeout(POLL.min(deadline - now)) {
                Ok(completion) => self.finished.push_back(completion),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Progress::Gone,
            }
        }
    }

    /// Every completion not collected yet, in the order they finished.
    pub fn take_completions(&mut self) -> Vec<Completion> {
        self.finished.extend(self.done_rx.try_iter());
        self.finished.drain(..).collect()
    }

    /// The sessions (or `T<id>`s) session `name` is waiting for, if it waits for a lock.
    /// A wait whose holders have all ended is about to finish, so it is not reported.
    pub fn blocked_on(&self, name: &str) -> Option<Vec<String>> {
        let thread = self.workers.get(name)?.thread;
        let wait = self
            .db
            .manager()
            .lock_waits()
            .into_iter()
            .find(|w| w.waiter_thread == thread)?;
        let holder_name = |&(txn, holder_thread): &(u64, ThreadId)| {
            let session = self
                .order
                .iter()
                .find(|n| self.workers[*n].thread == holder_thread);
            session.cloned().unwrap_or_else(|| format!("T{txn}"))
        };
        let holders: Vec<String> = wait.holders.iter().map(holder_name).collect();
        (!holders.is_empty()).then_some(holders)
    }

    fn take_finished(&mut self, name: &str) -> Option<Completion> {
        self.finished.extend(self.done_rx.try_iter());
        let position = self.finished.iter().position(|c| c.session == name)?;
        self.finished.remove(position)
    }
}

/// A session's thread: runs statements and calls in order and reports each statement's
/// completion.
fn serve(
    name: String,
    mut session: Session,
    inbox: Receiver<Request>,
    shared: &Mutex<Shared>,
    done: &Sender<Completion>,
) {
    for request in inbox {
        let statement = match request {
            Request::Statement(statement) => statement,
            Request::Call(call) => {
                call(&mut session);
                continue;
            }
        };
        let started = Instant::now();
        let result = session.execute(&statement);
        {
            let mut shared = shared.lock();
            shared.level = session.isolation_level();
            shared.in_transaction = session.in_transaction();
            shared.failed = session.transaction_failed();
            shared.running = None;
        }
        let completion = Completion {
            session: name.clone(),
            statement,
            result,
            elapsed: started.elapsed(),
        };
        if done.send(completion).is_err() {
            return;
        }
    }
}
