//! The broker delivers as Redis's PUBLISH/SUBSCRIBE/PSUBSCRIBE do: receiver counts,
//! double delivery through a channel and a pattern, live (un)subscription, cleanup on
//! drop, and bounded buffers that close a lagging subscriber without slowing publishers.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use isolde::pubsub::{Broker, Message, RecvError, Subscription};

const SHORT: Duration = Duration::from_millis(20);

fn payload_of(message: &Message) -> &[u8] {
    &message.payload
}

fn drain(subscription: &Subscription) -> Vec<Message> {
    let mut messages = Vec::new();
    while let Ok(Some(message)) = subscription.try_recv() {
        messages.push(message);
    }
    messages
}

#[test]
fn publish_counts_one_receiver_per_matching_subscription() {
    let broker = Broker::new(100);
    assert_eq!(broker.publish(b"news", b"nobody listens"), 0);
    let first = broker.subscribe(["news"]);
    let second = broker.subscribe(["news", "sports"]);
    let third = broker.psubscribe(["n*"]);
    assert_eq!(broker.publish(b"news", b"hello"), 3);
    assert_eq!(broker.publish(b"sports", b"goal"), 1);
    assert_eq!(broker.publish(b"weather", b"rain"), 0);
    assert_eq!(
        first.try_recv().unwrap().map(|m| m.payload.to_vec()),
        Some(b"hello".to_vec())
    );
    let received: Vec<Vec<u8>> = drain(&second).iter().map(|m| m.payload.to_vec()).collect();
    assert_eq!(received, [b"hello".to_vec(), b"goal".to_vec()]);
    let through_pattern = third.try_recv().unwrap().expect("the pattern matched news");
    assert_eq!(&*through_pattern.channel, b"news");
    assert_eq!(through_pattern.pattern.as_deref(), Some(&b"n*"[..]));
    assert_eq!(third.try_recv(), Ok(None));
}

#[test]
fn nothing_is_kept_for_subscribers_that_come_later() {
    let broker = Broker::new(100);
    broker.publish(b"news", b"early");
    let late = broker.subscribe(["news"]);
    assert_eq!(late.try_recv(), Ok(None));
}

#[test]
fn a_channel_and_a_pattern_both_matching_deliver_twice() {
    let broker = Broker::new(100);
    let subscription = broker.subscribe(["news.art"]);
    subscription.psubscribe(["news.*", "*.art", "sports.*"]);
    assert_eq!(broker.publish(b"news.art", b"painting"), 3);
    let messages = drain(&subscription);
    assert_eq!(messages.len(), 3);
    assert!(messages.iter().all(|m| payload_of(m) == b"painting"));
    assert_eq!(
        messages[0].pattern, None,
        "the exact channel is delivered first, as in Redis"
    );
    let mut patterns: Vec<Vec<u8>> = messages[1..]
        .iter()
        .filter_map(|m| m.pattern.as_deref().map(<[u8]>::to_vec))
        .collect();
    patterns.sort();
    assert_eq!(patterns, [b"*.art".to_vec(), b"news.*".to_vec()]);
}

#[test]
fn subscribing_twice_to_the_same_channel_delivers_once() {
    let broker = Broker::new(100);
    let subscription = broker.subscribe(["news", "news"]);
    subscription.subscribe(["news"]);
    assert_eq!(subscription.channels(), [b"news".to_vec()]);
    assert_eq!(broker.publish(b"news", b"once"), 1);
}

#[test]
fn unsubscribing_a_live_subscription_stops_its_deliveries() {
    let broker = Broker::new(100);
    let subscription = broker.subscribe(["a", "b"]);
    subscription.psubscribe(["c*", "d*"]);
    subscription.unsubscribe(["a", "never-subscribed"]);
    subscription.punsubscribe(["c*"]);
    assert_eq!(subscription.channels(), [b"b".to_vec()]);
    assert_eq!(subscription.patterns(), [b"d*".to_vec()]);
    assert_eq!(broker.publish(b"a", b"1"), 0);
    assert_eq!(broker.publish(b"c1", b"2"), 0);
    assert_eq!(broker.publish(b"b", b"3"), 1);
    assert_eq!(broker.publish(b"d1", b"4"), 1);
    let payloads: Vec<Vec<u8>> = drain(&subscription)
        .iter()
        .map(|m| m.payload.to_vec())
        .collect();
    assert_eq!(payloads, [b"3".to_vec(), b"4".to_vec()]);
    let stats = broker.stats();
    assert_eq!(
        (stats.channels, stats.patterns, stats.subscribers),
        (1, 1, 1)
    );
}

#[test]
fn dropping_a_subscription_unsubscribes_everything() {
    let broker = Broker::new(100);
    let first = broker.subscribe(["a", "b"]);
    let second = broker.psubscribe(["a*"]);
    second.subscribe(["a"]);
    let stats = broker.stats();
    assert_eq!(
        (stats.channels, stats.patterns, stats.subscribers),
        (2, 1, 2)
    );
    drop(first);
    assert_eq!(
        broker.publish(b"a", b"x"),
        2,
        "the second still gets it twice"
    );
    drop(second);
    let stats = broker.stats();
    assert_eq!(
        (stats.channels, stats.patterns, stats.subscribers),
        (0, 0, 0)
    );
    assert_eq!(broker.publish(b"a", b"x"), 0);
}

#[test]
fn stats_count_published_delivered_and_dropped_messages() {
    let broker = Broker::new(1);
    let subscription = broker.subscribe(["a"]);
    subscription.psubscribe(["*"]);
    broker.publish(b"a", b"1");
    broker.publish(b"b", b"2");
    let stats = broker.stats();
    assert_eq!((stats.published, stats.delivered, stats.dropped), (2, 1, 2));
}

#[test]
fn an_overflowing_subscription_drains_its_buffer_then_reports_every_missed_message() {
    let broker = Broker::new(4);
    let slow = broker.subscribe(["news"]);
    let fast = broker.subscribe(["news"]);
    for i in 0..10u8 {
        broker.publish(b"news", &[i]);
        assert_eq!(
            fast.try_recv().unwrap().map(|m| m.payload.to_vec()),
            Some(vec![i])
        );
    }
    let kept: Vec<Vec<u8>> = (0..4)
        .map(|_| slow.recv().unwrap().payload.to_vec())
        .collect();
    assert_eq!(kept, [[0], [1], [2], [3]]);
    assert_eq!(slow.recv(), Err(RecvError::Lagged { missed: 6 }));
    assert_eq!(
        slow.try_recv(),
        Err(RecvError::Lagged { missed: 6 }),
        "the error is final"
    );
    assert!(
        slow.channels().is_empty(),
        "a lagged subscription is unsubscribed"
    );
    assert_eq!(broker.publish(b"news", b"after"), 1);
    assert_eq!(broker.stats().subscribers, 1);
    slow.subscribe(["news"]);
    assert!(
        slow.channels().is_empty(),
        "a closed subscription cannot be revived"
    );
}

#[test]
fn the_iterator_ends_after_the_error() {
    let broker = Broker::new(1);
    let subscription = broker.subscribe(["a"]);
    broker.publish(b"a", b"kept");
    broker.publish(b"a", b"lost");
    let items: Vec<_> = subscription.iter().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].as_ref().map(|m| m.payload.to_vec()),
        Ok(b"kept".to_vec())
    );
    assert_eq!(items[1], Err(RecvError::Lagged { missed: 1 }));
}

#[test]
fn publishers_never_block_on_a_subscriber_that_never_reads() {
    let broker = Broker::new(16);
    let _never_reads = broker.subscribe(["firehose"]);
    let started = Instant::now();
    for i in 0..100_000u32 {
        broker.publish(b"firehose", &i.to_le_bytes());
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let stats = broker.stats();
    assert_eq!((stats.delivered, stats.dropped), (16, 100_000 - 16));
}

#[test]
fn recv_timeout_returns_none_after_the_timeout() {
    let broker = Broker::new(10);
    let subscription = broker.subscribe(["quiet"]);
    let started = Instant::now();
    assert_eq!(subscription.recv_timeout(SHORT), Ok(None));
    assert!(started.elapsed() >= SHORT);
    broker.publish(b"quiet", b"now");
    assert!(subscription.recv_timeout(SHORT).unwrap().is_some());
}

#[test]
fn a_blocked_receiver_wakes_when_a_message_arrives() {
    let broker = Arc::new(Broker::new(10));
    let subscription = broker.subscribe(["wake"]);
    let publisher = {
        let broker = Arc::clone(&broker);
        thread::spawn(move || {
            thread::sleep(SHORT);
            broker.publish(b"wake", b"up")
        })
    };
    assert_eq!(&*subscription.recv().unwrap().payload, b"up");
    assert_eq!(publisher.join().unwrap(), 1);
}

#[test]
fn messages_from_one_publisher_arrive_in_publish_order() {
    const COUNT: u32 = 20_000;
    let broker = Arc::new(Broker::new(COUNT as usize));
    let subscriptions: Vec<Subscription> = (0..3).map(|_| broker.psubscribe(["order.*"])).collect();
    let publisher = {
        let broker = Arc::clone(&broker);
        thread::spawn(move || {
            for i in 0..COUNT {
                broker.publish(b"order.x", &i.to_le_bytes());
            }
        })
    };
    let readers: Vec<_> = subscriptions
        .into_iter()
        .map(|subscription| {
            thread::spawn(move || {
                (0..COUNT).all(|i| {
                    subscription.recv().map(|m| m.payload.to_vec()) == Ok(i.to_le_bytes().to_vec())
                })
            })
        })
        .collect();
    publisher.join().unwrap();
    for reader in readers {
        assert!(reader.join().unwrap(), "a message arrived out of order");
    }
}

#[test]
fn every_subscriber_sees_concurrent_publishers_in_the_same_order() {
    const EACH: u32 = 2_000;
    let broker = Arc::new(Broker::new(4 * EACH as usize));
    let first = broker.subscribe(["shared"]);
    let second = broker.psubscribe(["sh*"]);
    let publishers: Vec<_> = (0..2u8)
        .map(|who| {
            let broker = Arc::clone(&broker);
            thread::spawn(move || {
                for i in 0..EACH {
                    broker.publish(b"shared", &[&[who][..], &i.to_le_bytes()].concat());
                }
            })
        })
        .collect();
    for publisher in publishers {
        publisher.join().unwrap();
    }
    let order = |subscription: &Subscription| {
        drain(subscription)
            .iter()
            .map(|m| m.payload.to_vec())
            .collect::<Vec<_>>()
    };
    let seen = order(&first);
    assert_eq!(seen.len(), 2 * EACH as usize);
    assert_eq!(seen, order(&second));
}

#[test]
fn a_batch_arrives_contiguously_and_in_order() {
    let broker = Broker::new(100);
    let subscription = broker.psubscribe(["*"]);
    let batch = [("a", "1"), ("b", "2"), ("nobody", "3")];
    assert_eq!(broker.publish_batch(batch), 3);
    let received: Vec<(Vec<u8>, Vec<u8>)> = drain(&subscription)
        .iter()
        .map(|m| (m.channel.to_vec(), m.payload.to_vec()))
        .collect();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = batch
        .iter()
        .map(|(c, p)| (c.as_bytes().to_vec(), p.as_bytes().to_vec()))
        .collect();
    assert_eq!(received, expected);
}

#[test]
fn dropping_the_broker_closes_subscriptions_after_their_buffers() {
    let broker = Broker::new(10);
    let subscription = broker.subscribe(["a"]);
    let idle = broker.psubscribe(Vec::<&str>::new());
    broker.publish(b"a", b"last words");
    drop(broker);
    assert_eq!(&*subscription.recv().unwrap().payload, b"last words");
    assert_eq!(subscription.recv(), Err(RecvError::Closed));
    assert_eq!(idle.recv_timeout(SHORT), Err(RecvError::Closed));
    subscription.subscribe(["b"]);
    assert_eq!(subscription.try_recv(), Err(RecvError::Closed));
}

#[test]
fn a_receiver_blocked_when_the_broker_goes_is_woken() {
    let broker = Broker::new(10);
    let subscription = broker.subscribe(["a"]);
    let reader = thread::spawn(move || subscription.recv());
    thread::sleep(SHORT);
    drop(broker);
    assert_eq!(reader.join().unwrap(), Err(RecvError::Closed));
}

#[test]
fn subscriptions_can_be_moved_and_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Broker>();
    assert_send_sync::<Subscription>();
}
