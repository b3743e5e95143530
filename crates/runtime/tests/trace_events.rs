//! The scheduler's `tracing` events (Go's execution-tracer moments) reach a
//! subscriber: spawn, park, ready, exit, steal, and the report of a
//! goroutine that holds its thread without parking. This file owns
//! its process, so it can install a global subscriber.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gort_runtime::{Runtime, blocking, spawn, yield_now};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[path = "support/watchdog.rs"]
mod watchdog;

/// Counts events of target `gort::sched` by message.
struct Counter(&'static Mutex<HashMap<String, usize>>);

struct Message(Option<String>);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl Subscriber for Counter {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.target() == "gort::sched"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut m = Message(None);
        event.record(&mut m);
        if let Some(msg) = m.0 {
            *self.0.lock().unwrap().entry(msg).or_default() += 1;
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn scheduler_emits_trace_events() {
    let _w = watchdog::start("scheduler_emits_trace_events", watchdog::LIMIT);
    let counts: &'static Mutex<HashMap<String, usize>> = Box::leak(Box::default());
    tracing::subscriber::set_global_default(Counter(counts)).unwrap();

    let rt = Runtime::builder()
        .procs(1)
        .warn_blocked_after(Duration::from_millis(20))
        .build()
        .unwrap();
    rt.block_on(|| {
        let hs: Vec<_> = (0..100).map(|i| spawn(move || i)).collect();
        for h in hs {
            h.join().unwrap();
        }
        // A thread-blocking call, made properly: it parks the goroutine.
        let sleeper = spawn(|| blocking(|| std::thread::sleep(Duration::from_millis(50))));
        yield_now();
        sleeper.join().unwrap();
        // And made by mistake: sysmon reports the held thread.
        std::thread::sleep(Duration::from_millis(200));
    });
    assert_eq!(rt.stats().blocked_threads, 1, "one incident, reported once");
    let rt2 = Runtime::builder().procs(2).build().unwrap();
    rt2.block_on(|| {
        // Three goroutines computing behind each other: the idle P steals.
        let hs: Vec<_> = (0..3)
            .map(|_| {
                spawn(|| {
                    let end = Instant::now() + Duration::from_millis(20);
                    while Instant::now() < end {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });

    let seen = counts.lock().unwrap().clone();
    for name in [
        "spawn",
        "park",
        "ready",
        "exit",
        "steal",
        "goroutine holds its thread without parking",
    ] {
        assert!(
            seen.get(name).copied().unwrap_or(0) > 0,
            "no {name:?} event in {seen:?}"
        );
    }
    assert!(seen["spawn"] >= 104, "{seen:?}");
}
