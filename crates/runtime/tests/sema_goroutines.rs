//! Semaphores between goroutines (Go's src/runtime/sema.go as fdMutex and
//! sync will use them): mutual exclusion without lost wake-ups, and mixed
//! waiters (goroutines and plain threads) on one semaphore.

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use gort_runtime::hooks::{semacquire, semrelease};
use gort_runtime::{Runtime, spawn, yield_now};

#[path = "support/watchdog.rs"]
mod watchdog;

struct Shared {
    sem: AtomicU32,
    counter: UnsafeCell<u64>,
}
// SAFETY: `counter` is only touched while holding `sem` (a binary semaphore).
unsafe impl Sync for Shared {}

#[test]
fn semaphore_as_mutex_loses_no_updates() {
    let _w = watchdog::start("semaphore_as_mutex_loses_no_updates", watchdog::LIMIT);
    let rt = Runtime::builder().procs(2).build().unwrap();
    let total = rt.block_on(|| {
        let s = Arc::new(Shared {
            sem: AtomicU32::new(1),
            counter: UnsafeCell::new(0),
        });
        let hs: Vec<_> = (0..64)
            .map(|_| {
                let s = s.clone();
                spawn(move || {
                    for i in 0..2_000 {
                        semacquire(&s.sem);
                        // SAFETY: we hold the semaphore.
                        unsafe { *s.counter.get() += 1 };
                        if i % 7 == 0 {
                            yield_now(); // hold it across a switch now and then
                        }
                        semrelease(&s.sem);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        // SAFETY: every goroutine has finished.
        unsafe { *s.counter.get() }
    });
    assert_eq!(total, 64 * 2_000);
}

#[test]
fn goroutines_and_threads_wait_on_one_semaphore() {
    let _w = watchdog::start(
        "goroutines_and_threads_wait_on_one_semaphore",
        watchdog::LIMIT,
    );
    let rt = Runtime::builder().procs(2).build().unwrap();
    let sem = Arc::new(AtomicU32::new(0));
    let got = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (sem, got) = (sem.clone(), got.clone());
            std::thread::spawn(move || {
                for _ in 0..250 {
                    semacquire(&sem);
                    got.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let (s2, g2) = (sem.clone(), got.clone());
    rt.block_on(move || {
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let (sem, got) = (s2.clone(), g2.clone());
                spawn(move || {
                    for _ in 0..250 {
                        semacquire(&sem);
                        got.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for _ in 0..2_000 {
            semrelease(&s2);
        }
        for h in waiters {
            h.join().unwrap();
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(got.load(Ordering::SeqCst), 2_000);
    assert_eq!(sem.load(Ordering::SeqCst), 0);
}
