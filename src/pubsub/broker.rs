//! The broker: who is subscribed to what, and the fan-out of each publication.
//!
//! One lock guards the registry and is held while a publication is fanned out. That
//! costs little (a delivery is a push into the subscriber's inbox under that inbox's own
//! short lock; publishers never wait for subscribers) and buys what Redis's single
//! thread gives its clients: one total order of publications, the same for every
//! subscriber, and a [`Broker::publish_batch`] whose messages arrive contiguously and in
//! order. The commit path relies on that to deliver each commit's messages in commit order.
//!
//! Exact channels are found with one hash lookup; every pattern is matched against each
//! published channel, as Redis does.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::glob::glob_match;
use super::inbox::Inbox;
use super::message::Message;
use super::subscription::Subscription;

/// The pub/sub hub of one database. `Send + Sync`: share it by reference or `Arc`.
///
/// Dropping the broker closes every subscription: each receives what was already
/// buffered, then [`RecvError::Closed`](super::RecvError::Closed).
#[derive(Debug)]
pub struct Broker {
    shared: Arc<Shared>,
}

/// Counters describing a broker at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Channels with at least one subscriber (Redis's `PUBSUB CHANNELS`, counted).
    pub channels: usize,
    /// Distinct patterns with at least one subscriber (Redis's `PUBSUB NUMPAT`).
    pub patterns: usize,
    /// Live subscriptions, whatever they are subscribed to.
    pub subscribers: usize,
    /// Calls to publish, counting each message of a batch.
    pub published: u64,
    /// Messages put into a subscription's buffer: one per receiver of each publication.
    pub delivered: u64,
    /// Deliveries refused because the subscription's buffer had overflowed.
    pub dropped: u64,
}

/// What broker and subscriptions share. Subscriptions hold it weakly, so that dropping
/// the [`Broker`] drops it and closes their inboxes.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) registry: Mutex<Registry>,
    buffer_limit: usize,
}

impl Drop for Shared {
    fn drop(&mut self) {
        for inbox in self.registry.get_mut().subscribers.values() {
            inbox.close();
        }
    }
}

/// Which of the two subscription tables a topic belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Channel,
    Pattern,
}

/// The subscription tables and the counters, all under [`Shared::registry`].
#[derive(Debug, Default)]
pub(crate) struct Registry {
    channels: HashMap<Arc<[u8]>, Vec<Arc<Inbox>>>,
    patterns: HashMap<Arc<[u8]>, Vec<Arc<Inbox>>>,
    subscribers: HashMap<u64, Arc<Inbox>>,
    next_id: u64,
    published: u64,
    delivered: u64,
    dropped: u64,
}

impl Broker {
    /// A broker whose subscriptions buffer at most `buffer_limit` undelivered messages
    /// each (`pubsub-buffer-limit`); a limit of 0 is taken as 1.
    pub fn new(buffer_limit: usize) -> Broker {
        let registry = Mutex::new(Registry::default());
        Broker {
            shared: Arc::new(Shared {
                registry,
                buffer_limit: buffer_limit.max(1),
            }),
        }
    }

    /// A new subscription to `channels` (exact names, no patterns).
    pub fn subscribe<I, S>(&self, channels: I) -> Subscription
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let subscription = Subscription::register(&self.shared, self.shared.buffer_limit);
        subscription.subscribe(channels);
        subscription
    }

    /// A new subscription to every channel matching one of `patterns` (Redis globs, see
    /// [`glob_match`](super::glob_match)).
    pub fn psubscribe<I, S>(&self, patterns: I) -> Subscription
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let subscription = Subscription::register(&self.shared, self.shared.buffer_limit);
        subscription.psubscribe(patterns);
        subscription
    }

    /// Delivers `payload` on `channel` to every current subscriber, at once, and returns
    /// how many received it: one per subscription to the channel plus one per matching
    /// pattern of each pattern subscription (Redis's count). Subscriptions whose buffer
    /// overflowed are not counted. Nothing is kept for later subscribers, and the call
    /// never waits for a subscriber to read.
    pub fn publish(&self, channel: &[u8], payload: &[u8]) -> usize {
        self.shared.registry.lock().publish(channel, payload)
    }

    /// Publishes `(channel, payload)` pairs in order, as one unit: no other publication
    /// comes between them for any subscriber. Returns the total number of receivers.
    pub fn publish_batch<I, C, P>(&self, messages: I) -> usize
    where
        I: IntoIterator<Item = (C, P)>,
        C: AsRef<[u8]>,
        P: AsRef<[u8]>,
    {
        let mut registry = self.shared.registry.lock();
        let publish =
            |(channel, payload): (C, P)| registry.publish(channel.as_ref(), payload.as_ref());
        messages.into_iter().map(publish).sum()
    }

    /// The broker's counters now.
    pub fn stats(&self) -> Stats {
        let registry = self.shared.registry.lock();
        Stats {
            channels: registry.channels.len(),
            patterns: registry.patterns.len(),
            subscribers: registry.subscribers.len(),
            published: registry.published,
            delivered: registry.delivered,
            dropped: registry.dropped,
        }
    }
}

impl Registry {
    /// Records a new subscription's inbox and returns its id.
    pub(crate) fn register(&mut self, inbox: Arc<Inbox>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.subscribers.insert(id, inbox);
        id
    }

    /// Forgets subscription `id`; its topics must already be removed.
    pub(crate) fn unregister(&mut self, id: u64) {
        self.subscribers.remove(&id);
    }

    /// Adds `inbox` as a subscriber of `topic` and returns the table's shared copy of
    /// the topic's name. The caller makes sure the inbox is not subscribed yet.
    pub(crate) fn add(&mut self, kind: Kind, topic: &[u8], inbox: &Arc<Inbox>) -> Arc<[u8]> {
        let table = self.table(kind);
        let name = match table.get_key_value(topic) {
            Some((name, _)) => Arc::clone(name),
            None => Arc::from(topic),
        };
        table
            .entry(Arc::clone(&name))
            .or_default()
            .push(Arc::clone(inbox));
        name
    }

    /// Removes `inbox` from the subscribers of `topic`, and the topic once it has none.
    pub(crate) fn remove(&mut self, kind: Kind, topic: &[u8], inbox: &Arc<Inbox>) {
        let table = self.table(kind);
        let Some(inboxes) = table.get_mut(topic) else {
            return;
        };
        inboxes.retain(|other| !Arc::ptr_eq(other, inbox));
        if inboxes.is_empty() {
            table.remove(topic);
        }
    }

    fn table(&mut self, kind: Kind) -> &mut HashMap<Arc<[u8]>, Vec<Arc<Inbox>>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
        }
    }

    fn publish(&mut self, channel: &[u8], payload: &[u8]) -> usize {
        let mut fanout = Fanout::new(channel, payload);
        if let Some((name, inboxes)) = self.channels.get_key_value(channel) {
            fanout.channel = Some(Arc::clone(name));
            fanout.deliver(inboxes, None);
        }
        for (pattern, inboxes) in &self.patterns {
            if glob_match(pattern, channel) {
                fanout.deliver(inboxes, Some(pattern));
            }
        }
        self.published += 1;
        self.delivered += fanout.delivered;
        self.dropped += fanout.dropped;
        usize::try_from(fanout.delivered).unwrap_or(usize::MAX)
    }
}

/// One publication on its way out. Its channel and payload are copied into shared
/// buffers once, on the first delivery, and only if there is one.
struct Fanout<'a> {
    raw_channel: &'a [u8],
    raw_payload: &'a [u8],
    channel: Option<Arc<[u8]>>,
    payload: Option<Arc<[u8]>>,
    delivered: u64,
    dropped: u64,
}

impl<'a> Fanout<'a> {
    fn new(raw_channel: &'a [u8], raw_payload: &'a [u8]) -> Fanout<'a> {
        Fanout {
            raw_channel,
            raw_payload,
            channel: None,
            payload: None,
            delivered: 0,
            dropped: 0,
        }
    }

    fn deliver(&mut self, inboxes: &[Arc<Inbox>], pattern: Option<&Arc<[u8]>>) {
        let raw_channel = self.raw_channel;
        let raw_payload = self.raw_payload;
        let message = Message {
            channel: Arc::clone(self.channel.get_or_insert_with(|| Arc::from(raw_channel))),
            pattern: pattern.cloned(),
            payload: Arc::clone(self.payload.get_or_insert_with(|| Arc::from(raw_payload))),
        };
        for inbox in inboxes {
            if inbox.push(message.clone()) {
                self.delivered += 1;
            } else {
                self.dropped += 1;
            }
        }
    }
}
