//! Go's src/internal/poll/fd_mutex_test.go (go1.27), ported test by test:
//! `TestMutexLock` is `mutex_lock`, and so on. Go's tests drive the mutex from
//! goroutines; here `mutex_close_unblock` and `mutex_stress` do too, on a
//! two-P gort runtime, while the others need no waiting and run on the test
//! thread.
//!
//! Where Go sleeps and checks that nothing happened, these tests give the
//! other goroutines many chances to run instead, and check the same thing; no
//! test asserts on time.
//!
//! Under `--cfg loom` there is no runtime to run them on: the loom models in
//! `src/fd_mutex.rs` stand in.

#![cfg(not(loom))]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use gort_poll::FdMutex;
use gort_runtime::{Runtime, spawn, yield_now};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

fn rt() -> Runtime {
    Runtime::builder().procs(2).build().expect("runtime")
}

/// One reference, one read and one write, each taken and given back on an
/// open mutex: none of them reports a destroy.
fn use_each_way(mu: &FdMutex) {
    assert!(mu.incref());
    assert!(!mu.decref());

    assert!(mu.rwlock(true));
    assert!(!mu.rwunlock(true));

    assert!(mu.rwlock(false));
    assert!(!mu.rwunlock(false));
}

#[test]
fn mutex_lock() {
    let _w = watchdog::start("mutex_lock", watchdog::LIMIT);
    use_each_way(&FdMutex::new());
}

#[test]
fn mutex_close() {
    let _w = watchdog::start("mutex_close", watchdog::LIMIT);
    let mu = FdMutex::new();
    assert!(mu.incref_and_close());

    assert!(!mu.incref());
    assert!(!mu.rwlock(true));
    assert!(!mu.rwlock(false));
    assert!(!mu.incref_and_close());
}

#[test]
fn mutex_close_unblock() {
    const READERS: u32 = 4;
    let _w = watchdog::start("mutex_close_unblock", watchdog::LIMIT);
    rt().block_on(|| {
        let mu = Arc::new(FdMutex::new());
        let failed = Arc::new(AtomicU32::new(0));
        assert!(mu.rwlock(true));
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let (mu, failed) = (mu.clone(), failed.clone());
                spawn(move || {
                    assert!(!mu.rwlock(true), "read-locked a closed FD");
                    failed.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        // The readers must not get the read lock while it is held, however
        // often they run.
        for _ in 0..100 {
            yield_now();
        }
        assert_eq!(
            failed.load(Ordering::Relaxed),
            0,
            "a reader got past the held lock"
        );
        assert!(mu.incref_and_close()); // Must unblock the readers.
        for r in readers {
            r.join().unwrap();
        }
        assert_eq!(failed.load(Ordering::Relaxed), READERS);
        assert!(!mu.decref());
        assert!(mu.rwunlock(true));
    });
}

/// Go's `TestMutexPanic` on one mutex: each misuse panics, and the mutex
/// still works afterwards. The `mutex_panic_*` tests below check each misuse
/// on its own, with the message.
#[test]
fn mutex_panic() {
    let _w = watchdog::start("mutex_panic", watchdog::LIMIT);
    fn ensure_panics(f: impl FnOnce()) {
        assert!(catch_unwind(AssertUnwindSafe(f)).is_err(), "does not panic");
    }

    let mu = FdMutex::new();
    ensure_panics(|| {
        mu.decref();
    });
    ensure_panics(|| {
        mu.rwunlock(true);
    });
    ensure_panics(|| {
        mu.rwunlock(false);
    });

    ensure_panics(|| {
        mu.incref();
        mu.decref();
        mu.decref();
    });
    ensure_panics(|| {
        mu.rwlock(true);
        mu.rwunlock(true);
        mu.rwunlock(true);
    });
    ensure_panics(|| {
        mu.rwlock(false);
        mu.rwunlock(false);
        mu.rwunlock(false);
    });

    // It is still not broken.
    use_each_way(&mu);
}

#[test]
#[should_panic(expected = "inconsistent poll.fdMutex")]
fn mutex_panic_decref_without_incref() {
    let _w = watchdog::start("mutex_panic_decref_without_incref", watchdog::LIMIT);
    FdMutex::new().decref();
}

#[test]
#[should_panic(expected = "inconsistent poll.fdMutex")]
fn mutex_panic_read_unlock_without_lock() {
    let _w = watchdog::start("mutex_panic_read_unlock_without_lock", watchdog::LIMIT);
    FdMutex::new().rwunlock(true);
}

#[test]
#[should_panic(expected = "inconsistent poll.fdMutex")]
fn mutex_panic_write_unlock_without_lock() {
    let _w = watchdog::start("mutex_panic_write_unlock_without_lock", watchdog::LIMIT);
    FdMutex::new().rwunlock(false);
}

#[test]
#[should_panic(expected = "inconsistent poll.fdMutex")]
fn mutex_panic_double_decref() {
    let _w = watchdog::start("mutex_panic_double_decref", watchdog::LIMIT);
    let mu = FdMutex::new();
    assert!(mu.incref());
    assert!(!mu.decref());
    mu.decref();
}

#[test]
#[should_panic(expected = "inconsistent poll.fdMutex")]
fn mutex_panic_double_read_unlock() {
    let _w = watchdog::start("mutex_panic_double_read_unlock", watchdog::LIMIT);
    let mu = FdMutex::new();
    assert!(mu.rwlock(true));
    assert!(!mu.rwunlock(true));
    mu.rwunlock(true);
}

#[test]
#[should_panic(expected = "inconsistent poll.fdMutex")]
fn mutex_panic_double_write_unlock() {
    let _w = watchdog::start("mutex_panic_double_write_unlock", watchdog::LIMIT);
    let mu = FdMutex::new();
    assert!(mu.rwlock(false));
    assert!(!mu.rwunlock(false));
    mu.rwunlock(false);
}

/// Go's `TestMutexOverflowPanic`: the 1,048,576th reference panics with the
/// "too many" message, not the "inconsistent" one.
#[test]
fn mutex_overflow_panic() {
    let _w = watchdog::start("mutex_overflow_panic", watchdog::LIMIT);
    let mu = FdMutex::new();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        for _ in 0..1 << 21 {
            mu.incref();
        }
    }))
    .expect_err("did not panic");
    let msg = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .expect("panic payload is a string");
    assert!(
        msg.contains("too many") && !msg.contains("inconsistent"),
        "wrong panic message {msg:?}"
    );
    assert_eq!(
        msg,
        "too many concurrent operations on a single file or socket (max 1048575)"
    );
    // The panicking call took nothing: exactly the maximum is held, and all
    // of it can be given back.
    for _ in 0..(1 << 20) - 1 {
        assert!(!mu.decref());
    }
    assert!(catch_unwind(AssertUnwindSafe(|| mu.decref())).is_err());
}

/// Go's `TestMutexStress` (its `-short` size, cut further to stay quick in
/// debug builds): goroutines on two Ps mix references, reads and writes at
/// random. Mutual exclusion is checked as in Go, by two counters that only a
/// lock holder changes, plus a flag only a holder may raise.
#[test]
fn mutex_stress() {
    const GOROUTINES: u64 = 4;
    const N: u64 = 50_000;
    let _w = watchdog::start("mutex_stress", watchdog::LIMIT);

    /// Changed only under the matching lock.
    #[derive(Default)]
    struct Guarded {
        held: AtomicBool,
        state: [AtomicU64; 2],
    }

    impl Guarded {
        /// The critical section: alone in it, and both counters agree.
        fn enter(&self, yield_inside: bool) {
            assert!(
                !self.held.swap(true, Ordering::Relaxed),
                "two holders at once"
            );
            let a = self.state[0].load(Ordering::Relaxed);
            assert_eq!(a, self.state[1].load(Ordering::Relaxed), "broken");
            self.state[0].store(a + 1, Ordering::Relaxed);
            if yield_inside {
                yield_now(); // let the others run into the held lock and sleep
            }
            self.state[1].store(a + 1, Ordering::Relaxed);
            self.held.store(false, Ordering::Relaxed);
        }
    }

    rt().block_on(|| {
        let mu = Arc::new(FdMutex::new());
        let read_state = Arc::new(Guarded::default());
        let write_state = Arc::new(Guarded::default());
        let workers: Vec<_> = (0..GOROUTINES)
            .map(|g| {
                let (mu, rs, ws) = (mu.clone(), read_state.clone(), write_state.clone());
                spawn(move || {
                    let mut rng = 0x2545_f491_4f6c_dd1du64.wrapping_mul(g + 1);
                    let mut locks = [0u64; 2];
                    for i in 0..N {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        match rng % 3 {
                            0 => {
                                assert!(mu.incref());
                                assert!(!mu.decref());
                            }
                            1 => {
                                assert!(mu.rwlock(true));
                                rs.enter(i % 16 == 0);
                                assert!(!mu.rwunlock(true));
                                locks[0] += 1;
                            }
                            _ => {
                                assert!(mu.rwlock(false));
                                ws.enter(i % 16 == 0);
                                assert!(!mu.rwunlock(false));
                                locks[1] += 1;
                            }
                        }
                    }
                    locks
                })
            })
            .collect();
        let mut locks = [0u64; 2];
        for w in workers {
            let [r, w] = w.join().unwrap();
            locks[0] += r;
            locks[1] += w;
        }
        // No update was lost, so no two holders ever overlapped.
        assert_eq!(read_state.state[0].load(Ordering::Relaxed), locks[0]);
        assert_eq!(write_state.state[0].load(Ordering::Relaxed), locks[1]);
        assert!(mu.incref_and_close());
        assert!(mu.decref());
    });
}
