//! What a subscriber receives: messages, and the errors that end a subscription.

use std::fmt;
use std::sync::Arc;

/// One delivered message.
///
/// The channel and payload are reference-counted and shared by every subscription that
/// receives the same publication, so fanning a message out to many subscribers copies
/// pointers, not bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published to.
    pub channel: Arc<[u8]>,
    /// The pattern that matched the channel, for deliveries through a PSUBSCRIBE;
    /// `None` for deliveries through a plain SUBSCRIBE.
    pub pattern: Option<Arc<[u8]>>,
    /// The published bytes.
    pub payload: Arc<[u8]>,
}

/// Why a subscription can deliver nothing more.
///
/// Both are final: once a receive call returns an error, every later one returns the
/// same error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvError {
    /// The subscriber fell behind: its buffer held `pubsub-buffer-limit` undelivered
    /// messages when another arrived. The broker stopped delivering to it then; the
    /// messages already buffered were still received, and `missed` counts the messages
    /// it lost from the overflow until this error was returned. The subscription is now
    /// unsubscribed from everything: subscribe anew to continue.
    Lagged {
        /// Messages published to this subscription's channels and patterns that it lost.
        missed: u64,
    },
    /// The broker is gone (its database was closed); every buffered message was received.
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Lagged { missed } => write!(
                f,
                "subscription closed: it fell behind, its buffer overflowed and it missed {missed} messages"
            ),
            RecvError::Closed => write!(f, "subscription closed: the broker was shut down"),
        }
    }
}

impl std::error::Error for RecvError {}
