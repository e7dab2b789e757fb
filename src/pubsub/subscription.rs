//! A subscriber's handle: what it listens to, and the messages that arrived.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::broker::{Kind, Shared};
use super::inbox::{Inbox, Wait};
use super::message::{Message, RecvError};

/// A set of channel and pattern subscriptions with one buffer of arrived messages, like
/// one Redis connection in subscribed mode. Dropping it unsubscribes from everything.
///
/// Messages arrive in the order they were published (one order shared by all
/// subscribers). A subscription that falls `pubsub-buffer-limit` messages behind is
/// closed: it first yields what it had buffered, then [`RecvError::Lagged`].
pub struct Subscription {
    id: u64,
    inbox: Arc<Inbox>,
    broker: Weak<Shared>,
    topics: Mutex<Topics>,
}

/// What a subscription listens to. Changed only under the registry lock, so it always
/// agrees with the broker's tables.
#[derive(Default)]
struct Topics {
    channels: BTreeSet<Arc<[u8]>>,
    patterns: BTreeSet<Arc<[u8]>>,
    /// Still known to the broker: false after a lag was reported.
    registered: bool,
}

impl Topics {
    fn set(&mut self, kind: Kind) -> &mut BTreeSet<Arc<[u8]>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
        }
    }
}

impl Subscription {
    /// A subscription to nothing yet, known to the broker.
    pub(crate) fn register(shared: &Arc<Shared>, buffer_limit: usize) -> Subscription {
        let inbox = Arc::new(Inbox::new(buffer_limit));
        let id = shared.registry.lock().register(Arc::clone(&inbox));
        let topics = Mutex::new(Topics {
            registered: true,
            ..Topics::default()
        });
        Subscription {
            id,
            inbox,
            broker: Arc::downgrade(shared),
            topics,
        }
    }

    /// Waits for the next message.
    pub fn recv(&self) -> Result<Message, RecvError> {
        loop {
            if let Some(message) = self.pop(Wait::Forever)? {
                return Ok(message);
            }
        }
    }

    /// Waits at most `timeout` for the next message; `None` if none came.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Message>, RecvError> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.pop(Wait::Until(deadline)),
            None => self.pop(Wait::Forever),
        }
    }

    /// The next message if one has arrived, without waiting.
    pub fn try_recv(&self) -> Result<Option<Message>, RecvError> {
        self.pop(Wait::No)
    }

    /// A blocking iterator over arriving messages. It yields the error that closes the
    /// subscription, then ends.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            subscription: self,
            done: false,
        }
    }

    /// Adds channels to this subscription; those it already has are left alone.
    pub fn subscribe<I, S>(&self, channels: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.add(Kind::Channel, channels);
    }

    /// Adds patterns to this subscription; those it already has are left alone.
    pub fn psubscribe<I, S>(&self, patterns: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.add(Kind::Pattern, patterns);
    }

    /// Removes channels from this subscription. Unlike Redis's UNSUBSCRIBE, an empty
    /// list removes nothing: pass [`Subscription::channels`] to remove them all.
    pub fn unsubscribe<I, S>(&self, channels: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.remove(Kind::Channel, channels);
    }

    /// Removes patterns from this subscription; an empty list removes nothing.
    pub fn punsubscribe<I, S>(&self, patterns: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.remove(Kind::Pattern, patterns);
    }

    /// The channels subscribed to, in byte order.
    pub fn channels(&self) -> Vec<Vec<u8>> {
        self.topics
            .lock()
            .channels
            .iter()
            .map(|name| name.to_vec())
            .collect()
    }

    /// The patterns subscribed to, in byte order.
    pub fn patterns(&self) -> Vec<Vec<u8>> {
        self.topics
            .lock()
            .patterns
            .iter()
            .map(|name| name.to_vec())
            .collect()
    }

    fn pop(&self, wait: Wait) -> Result<Option<Message>, RecvError> {
        let result = self.inbox.pop(wait);
        if let Err(RecvError::Lagged { .. }) = result {
            self.detach();
        }
        result
    }

    /// Subscribes to the topics not yet held. Does nothing once the subscription is
    /// closed: a lagged subscription stays closed, and a gone broker delivers nothing.
    fn add<I, S>(&self, kind: Kind, topics: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let Some(shared) = self.broker.upgrade() else {
            return;
        };
        let mut registry = shared.registry.lock();
        let mut mine = self.topics.lock();
        if !mine.registered {
            return;
        }
        for topic in topics {
            let topic = topic.as_ref();
            if !mine.set(kind).contains(topic) {
                let name = registry.add(kind, topic, &self.inbox);
                mine.set(kind).insert(name);
            }
        }
    }

    fn remove<I, S>(&self, kind: Kind, topics: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let shared = self.broker.upgrade();
        let mut registry = shared.as_ref().map(|shared| shared.registry.lock());
        let mut mine = self.topics.lock();
        for topic in topics {
            let topic = topic.as_ref();
            if mine.set(kind).remove(topic) {
                if let Some(registry) = &mut registry {
                    registry.remove(kind, topic, &self.inbox);
                }
            }
        }
    }

    /// Unsubscribes from everything and leaves the broker, once.
    fn detach(&self) {
        let shared = self.broker.upgrade();
        let mut registry = shared.as_ref().map(|shared| shared.registry.lock());
        let mut mine = self.topics.lock();
        if !std::mem::take(&mut mine.registered) {
            return;
        }
        let channels = std::mem::take(&mut mine.channels);
        let patterns = std::mem::take(&mut mine.patterns);
        if let Some(registry) = &mut registry {
            for channel in &channels {
                registry.remove(Kind::Channel, channel, &self.inbox);
            }
            for pattern in &patterns {
                registry.remove(Kind::Pattern, pattern, &self.inbox);
            }
            registry.unregister(self.id);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.detach();
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let topics = self.topics.lock();
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("channels", &topics.channels.len())
            .field("patterns", &topics.patterns.len())
            .finish()
    }
}

/// The iterator of [`Subscription::iter`].
#[derive(Debug)]
pub struct Iter<'a> {
    subscription: &'a Subscription,
    done: bool,
}

impl Iterator for Iter<'_> {
    type Item = Result<Message, RecvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.subscription.recv();
        self.done = next.is_err();
        Some(next)
    }
}
