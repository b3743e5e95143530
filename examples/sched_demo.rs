//! Runs many goroutines and prints what the scheduler did.
//!
//! `cargo run --release --example sched_demo` (add `GORT_DEBUG=schedtrace=100`
//! to watch the scheduler's `SCHED` lines go by).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() -> std::io::Result<()> {
    let rt = gort::Runtime::builder().build()?;
    println!("gort sched_demo: GOMAXPROCS={}", rt.stats().procs);

    rt.block_on(|| {
        // 1. Spawn and join 100,000 goroutines that each yield once.
        let t = Instant::now();
        let handles: Vec<_> = (0..100_000u64)
            .map(|i| {
                gort::spawn(move || {
                    gort::yield_now();
                    i
                })
            })
            .collect();
        let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 100_000 * 99_999 / 2);
        println!(
            "spawned, ran and joined 100000 goroutines in {:?} ({:.0} ns each)",
            t.elapsed(),
            t.elapsed().as_nanos() as f64 / 100_000.0
        );

        // 2. 100,000 goroutines parked at once on one semaphore.
        let sem = Arc::new(gort::sync::Semaphore::new(0));
        let arrived = Arc::new(AtomicU32::new(0));
        let before = rss_bytes();
        let parked: Vec<_> = (0..100_000)
            .map(|_| {
                let (sem, arrived) = (sem.clone(), arrived.clone());
                gort::spawn(move || {
                    arrived.fetch_add(1, Ordering::Relaxed);
                    sem.acquire()
                })
            })
            .collect();
        while arrived.load(Ordering::Relaxed) < 100_000 {
            gort::time::sleep(Duration::from_millis(5));
        }
        let after = rss_bytes();
        println!(
            "100000 goroutines parked: RSS +{:.1} MiB, {:.1} KiB per parked goroutine",
            (after.saturating_sub(before)) as f64 / (1 << 20) as f64,
            (after.saturating_sub(before)) as f64 / 1024.0 / 100_000.0
        );
        for _ in 0..100_000 {
            sem.release();
        }
        for h in parked {
            h.join().unwrap();
        }

        // 3. Thread-blocking calls run on helper threads while their goroutines park.
        let t = Instant::now();
        let sleepers: Vec<_> = (0..4)
            .map(|_| {
                gort::spawn(|| gort::blocking(|| std::thread::sleep(Duration::from_millis(50))))
            })
            .collect();
        let workers: Vec<_> = (0..8)
            .map(|i| {
                gort::spawn(move || {
                    let mut x = i;
                    for _ in 0..1_000 {
                        x = x * 31 + 7;
                        gort::yield_now();
                    }
                    x
                })
            })
            .collect();
        for h in workers {
            h.join().unwrap();
        }
        for h in sleepers {
            h.join().unwrap();
        }
        println!(
            "4 blocking sleeps of 50 ms beside 8 busy goroutines took {:?}",
            t.elapsed()
        );

        // 4. A thousand sleepers share the timer heaps.
        let t = Instant::now();
        let sleepers: Vec<_> = (0..1000)
            .map(|i| gort::spawn(move || gort::time::sleep(Duration::from_millis(10 + i % 10))))
            .collect();
        for h in sleepers {
            h.join().unwrap();
        }
        println!(
            "1000 goroutines slept 10-19 ms each, all done in {:?}",
            t.elapsed()
        );
    });

    let s = rt.stats();
    println!(
        "scheduler: threads={} goroutines spawned by goroutines={} stolen={} blocked_threads={} long_runs={}",
        s.threads, s.spawned, s.stolen, s.blocked_threads, s.long_runs
    );
    Ok(())
}
