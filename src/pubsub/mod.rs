//! Publish/subscribe with Redis's semantics: PUBLISH, SUBSCRIBE and PSUBSCRIBE.
//!
//! A [`Broker`] (one per database) delivers each published message at once to every
//! [`Subscription`] listening on its channel, exactly or through a glob pattern
//! ([`glob_match`], Redis's rules). Delivery is at most once: nothing is stored for
//! subscribers that are absent or that come later. A subscription matching a message
//! through several of its channels and patterns receives one copy per match, as in
//! Redis. Every subscriber sees publications in one shared order.
//!
//! Publishers never wait for subscribers. Each subscription buffers at most
//! `pubsub-buffer-limit` messages; one that falls further behind is closed with
//! [`RecvError::Lagged`], after receiving what it had buffered, where Redis would drop
//! the connection at once.

mod broker;
mod glob;
mod inbox;
mod message;
mod subscription;

pub use broker::{Broker, Stats};
pub use glob::{glob_match, MAX_NESTING};
pub use message::{Message, RecvError};
pub use subscription::{Iter, Subscription};
