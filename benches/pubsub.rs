//! Pub/sub delivery throughput: one publisher, 1, 10 and 100 subscribers on one channel.
//!
//! Throughput is in deliveries (one message reaching one subscriber), measured two ways:
//!
//! - `threads`: each subscriber drains its subscription with blocking `recv` on its own
//!   thread while the publisher publishes. The publisher pauses when the slowest
//!   subscriber falls `WINDOW` messages behind, so that no buffer overflows; the time
//!   includes waiting for the last subscriber to receive the last message.
//! - `batches`: one thread publishes `BATCH` messages, then drains every subscription with
//!   `try_recv`: the cost of the broker alone, without thread wake-ups.
//!
//! Run with `cargo bench --bench pubsub`. The target is 1M deliveries/s at 10 subscribers.

mod support;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use isolde::pubsub::Broker;

const SUBSCRIBERS: [usize; 3] = [1, 10, 100];
const PAYLOAD: [u8; 64] = [7; 64];
const BATCH: usize = 256;
const WINDOW: u64 = 16 * 1024;
const CHANNEL: &[u8] = b"bench";

/// A per-subscriber count of received messages, on its own cache line.
#[repr(align(128))]
#[derive(Default)]
struct Received(AtomicU64);

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("pubsub/threads");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for subscribers in SUBSCRIBERS {
        let broker = Arc::new(Broker::new(2 * WINDOW as usize));
        let stop = Arc::new(AtomicBool::new(false));
        let counters: Arc<Vec<Received>> =
            Arc::new((0..subscribers).map(|_| Received::default()).collect());
        let readers: Vec<_> = (0..subscribers)
            .map(|index| {
                let subscription = broker.subscribe([CHANNEL]);
                let (stop, counters) = (Arc::clone(&stop), Arc::clone(&counters));
                thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if let Ok(Some(message)) =
                            subscription.recv_timeout(Duration::from_millis(50))
                        {
                            black_box(&message);
                            counters[index].0.fetch_add(1, Ordering::Release);
                        }
                    }
                })
            })
            .collect();
        let slowest = || {
            counters
                .iter()
                .map(|c| c.0.load(Ordering::Acquire))
                .min()
                .unwrap_or(0)
        };
        let mut published = 0u64;
        group.throughput(Throughput::Elements(subscribers as u64));
        group.bench_function(BenchmarkId::from_parameter(subscribers), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    broker.publish(CHANNEL, &PAYLOAD);
                    published += 1;
                    if published.is_multiple_of(1024) {
                        while published - slowest() > WINDOW {
                            thread::yield_now();
                        }
                    }
                }
                while slowest() < published {
                    thread::yield_now();
                }
                started.elapsed()
            });
        });
        assert_eq!(
            broker.stats().dropped,
            0,
            "a subscriber lagged: the figures would be wrong"
        );
        stop.store(true, Ordering::Relaxed);
        for reader in readers {
            reader.join().expect("a subscriber thread panicked");
        }
    }
    group.finish();
}

fn batches(c: &mut Criterion) {
    let mut group = c.benchmark_group("pubsub/batches");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for subscribers in SUBSCRIBERS {
        let broker = Broker::new(BATCH);
        let subscriptions: Vec<_> = (0..subscribers)
            .map(|_| broker.subscribe([CHANNEL]))
            .collect();
        group.throughput(Throughput::Elements((subscribers * BATCH) as u64));
        group.bench_function(BenchmarkId::from_parameter(subscribers), |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    broker.publish(CHANNEL, &PAYLOAD);
                }
                for subscription in &subscriptions {
                    while let Ok(Some(message)) = subscription.try_recv() {
                        black_box(message);
                    }
                }
            });
        });
        assert_eq!(broker.stats().dropped, 0);
    }
    group.finish();
}

/// Transactional queues: one transaction enqueues a message, another dequeues it, both
/// committed (in memory, so this measures the queue machinery, not the disk).
fn queue_pairs(c: &mut Criterion) {
    let db = isolde::Db::open_in_memory();
    let level = isolde::IsolationLevel::ReadCommitted;
    let mut group = c.benchmark_group("queue");
    group.throughput(Throughput::Elements(1));
    group.bench_function("enqueue+dequeue pair", |b| {
        b.iter(|| {
            let mut tx = db.begin(level);
            tx.enqueue(b"jobs", b"payload of a typical small job message")
                .unwrap();
            tx.commit().unwrap();
            let mut tx = db.begin(level);
            let message = tx.dequeue(b"jobs").unwrap();
            tx.commit().unwrap();
            assert!(message.is_some());
        })
    });
    group.finish();
}

criterion_group!(benches, threads, batches, queue_pairs);
criterion_main!(benches);
