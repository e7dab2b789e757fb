//! The bounded buffer between the broker and one subscription.
//!
//! Publishers push without ever waiting for the subscriber: a push takes the inbox's own
//! short lock, appends, and wakes the subscriber if it sleeps. When the buffer is full
//! the inbox turns *lagged*: it accepts nothing more and counts what it refuses, and the
//! subscriber, after draining what was buffered, gets [`RecvError::Lagged`]. So memory is
//! bounded by the limit, and a slow subscriber slows down nobody but itself.

use std::collections::VecDeque;
use std::time::Instant;

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::message::{Message, RecvError};

/// How long a receive may wait for a message.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Wait {
    /// Not at all.
    No,
    /// Until the instant passes.
    Until(Instant),
    /// As long as it takes.
    Forever,
}

/// The receiving end of one subscription, shared by the broker's registry.
#[derive(Debug)]
pub(crate) struct Inbox {
    state: Mutex<State>,
    arrived: Condvar,
    limit: usize,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Message>,
    /// `Some(missed)` once the buffer overflowed.
    lagged: Option<u64>,
    /// The broker is gone.
    closed: bool,
}

impl Inbox {
    /// An empty inbox holding at most `limit` undelivered messages (at least one).
    pub(crate) fn new(limit: usize) -> Inbox {
        Inbox {
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Buffers `message`, or counts it as missed when the buffer is full or already
    /// overflowed. Returns whether it was buffered. Never waits for the subscriber.
    pub(crate) fn push(&self, message: Message) -> bool {
        let mut state = self.state.lock();
        if let Some(missed) = &mut state.lagged {
            *missed += 1;
            return false;
        }
        if state.queue.len() >= self.limit {
            state.lagged = Some(1);
            return false;
        }
        state.queue.push_back(message);
        drop(state);
        self.arrived.notify_one();
        true
    }

    /// Marks the broker as gone and wakes a waiting subscriber.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.arrived.notify_all();
    }

    /// The next message, `None` if none arrived within `wait`, or the error that ended
    /// the subscription once everything buffered has been received.
    pub(crate) fn pop(&self, mut wait: Wait) -> Result<Option<Message>, RecvError> {
        let mut state = self.state.lock();
        let mut snoozes = 0;
        loop {
            if let Some(message) = state.queue.pop_front() {
                return Ok(Some(message));
            }
            if let Some(missed) = state.lagged {
                return Err(RecvError::Lagged { missed });
            }
            if state.closed {
                return Err(RecvError::Closed);
            }
            match wait {
                Wait::No => return Ok(None),
                Wait::Forever | Wait::Until(_) if snoozes < SNOOZES => {
                    MutexGuard::unlocked(&mut state, || snooze(snoozes));
                    snoozes += 1;
                }
                Wait::Forever => self.arrived.wait(&mut state),
                Wait::Until(deadline) => {
                    if self.arrived.wait_until(&mut state, deadline).timed_out() {
                        wait = Wait::No;
                    }
                }
            }
        }
    }
}

/// How many times an empty inbox is re-checked before the subscriber sleeps.
const SNOOZES: u32 = 10;

/// Waits a little before an empty inbox is checked again: spinning first, then yielding
/// the processor. A subscriber that keeps up with its publisher would otherwise go to
/// sleep after every message, and each publication would pay a system call to wake it
/// (about a microsecond, several times the cost of the delivery itself).
fn snooze(step: u32) {
    if step < 6 {
        for _ in 0..1u32 << step {
            std::hint::spin_loop();
        }
    } else {
        std::thread::yield_now();
    }
}
