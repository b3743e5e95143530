//! gort's sync package as a user sees it, ported by name from Go's
//! src/sync/{mutex,rwmutex,waitgroup,once,cond}_test.go where they fit:
//! mutual exclusion without lost updates, starvation mode, readers in
//! parallel and writers alone, wait group rounds, once, signal and broadcast,
//! a semaphore bounding concurrency, and goroutines sharing these with plain
//! threads. Every wait is bounded in count and time; nothing asserts speed.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gort_runtime::sync::{Cond, Mutex, Once, RawMutex, RwLock, Semaphore, WaitGroup};
use gort_runtime::time::sleep;
use gort_runtime::{Runtime, spawn, yield_now};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// A tiny unbounded channel for the ports of Go tests that use one: a queue
/// under a [`Mutex`] and a [`Semaphore`] counting its items.
struct Chan<T> {
    q: Mutex<VecDeque<T>>,
    items: Semaphore,
}

impl<T> Chan<T> {
    fn new() -> Chan<T> {
        Chan {
            q: Mutex::new(VecDeque::new()),
            items: Semaphore::new(0),
        }
    }
    fn send(&self, v: T) {
        self.q.lock().push_back(v);
        self.items.release();
    }
    fn recv(&self) -> T {
        self.items.acquire();
        self.q.lock().pop_front().expect("an item per unit")
    }
    fn try_recv(&self) -> Option<T> {
        self.items
            .try_acquire()
            .then(|| self.q.lock().pop_front().expect("an item per unit"))
    }
}

// ---------------------------------------------------------------------------
// Mutex

/// Go's `TestMutex` (`HammerMutex`): many goroutines, many increments each,
/// of a plain counter under the mutex; no update is lost.
fn hammer_mutex(procs: usize) {
    let total = rt(procs).block_on(|| {
        let m = Arc::new(Mutex::new(0u64));
        let hs: Vec<_> = (0..40)
            .map(|g| {
                let m = m.clone();
                spawn(move || {
                    for i in 0..2_000u64 {
                        if (i + g) % 3 == 0
                            && let Some(mut c) = m.try_lock()
                        {
                            *c += 1;
                            continue;
                        }
                        let mut c = m.lock();
                        *c += 1;
                        if i % 100 == 0 {
                            yield_now(); // hold it across a switch now and then
                        }
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        *m.lock()
    });
    assert_eq!(total, 40 * 2_000);
}

#[test]
fn test_mutex_procs2() {
    let _w = watchdog::start("test_mutex_procs2", watchdog::LIMIT);
    hammer_mutex(2);
}

#[test]
fn test_mutex_procs4() {
    let _w = watchdog::start("test_mutex_procs4", watchdog::LIMIT);
    hammer_mutex(4);
}

/// Go's `TestMutexFairness`: a goroutine that holds the mutex, sleeps,
/// releases it and takes it again at once cannot starve another that wants
/// it. In normal mode the hog wins every time (the woken waiter is not yet
/// running when the hog re-locks); after 1 ms the waiter switches the mutex
/// to starvation mode and the next unlock hands it over. So the waiter gets
/// the mutex within a bounded number of the hog's turns.
fn mutex_fairness(procs: usize) {
    let max_gap = rt(procs).block_on(|| {
        let mu = Arc::new(RawMutex::new());
        let stop = Arc::new(AtomicBool::new(false));
        let turns = Arc::new(AtomicU64::new(0));
        let hog = {
            let (mu, stop, turns) = (mu.clone(), stop.clone(), turns.clone());
            spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    mu.lock();
                    sleep(Duration::from_micros(100));
                    turns.fetch_add(1, Ordering::Relaxed);
                    mu.unlock();
                }
            })
        };
        let waiter = {
            let (mu, turns) = (mu.clone(), turns.clone());
            spawn(move || {
                let mut max_gap = 0;
                for _ in 0..10 {
                    sleep(Duration::from_micros(100));
                    let before = turns.load(Ordering::Relaxed);
                    mu.lock();
                    max_gap = max_gap.max(turns.load(Ordering::Relaxed) - before);
                    mu.unlock();
                }
                max_gap
            })
        };
        wait::until("the waiter to get the mutex 10 times", || {
            waiter.is_finished()
        });
        stop.store(true, Ordering::Relaxed);
        hog.join().unwrap();
        waiter.join().unwrap()
    });
    // About 10 turns of 100 µs make 1 ms; allow plenty for a loaded machine.
    assert!(
        max_gap <= 200,
        "the waiter waited {max_gap} turns of the hog"
    );
}

#[test]
fn test_mutex_fairness_procs1() {
    let _w = watchdog::start("test_mutex_fairness_procs1", watchdog::LIMIT);
    mutex_fairness(1);
}

#[test]
fn test_mutex_fairness_procs2() {
    let _w = watchdog::start("test_mutex_fairness_procs2", watchdog::LIMIT);
    mutex_fairness(2);
}

/// A goroutine and a plain OS thread share one mutex: the thread blocks, the
/// goroutines park, and no increment is lost.
#[test]
fn goroutines_and_a_thread_share_a_mutex() {
    let _w = watchdog::start("goroutines_and_a_thread_share_a_mutex", watchdog::LIMIT);
    let runtime = rt(2);
    let m = Arc::new(Mutex::new(0u64));
    let thread = {
        let m = m.clone();
        std::thread::spawn(move || {
            for _ in 0..20_000 {
                *m.lock() += 1;
            }
        })
    };
    let m2 = m.clone();
    runtime.block_on(move || {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let m = m2.clone();
                spawn(move || {
                    for i in 0..5_000 {
                        let mut g = m.lock();
                        *g += 1;
                        if i % 500 == 0 {
                            yield_now();
                        }
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    thread.join().unwrap();
    assert_eq!(*m.lock(), 40_000);
}

/// A goroutine waiting for a mutex that a thread holds parks: with one P,
/// the main goroutine still runs meanwhile (and is the one that makes the
/// thread let go). Were the P blocked, nothing would run, and the watchdog
/// would fail the test.
#[test]
fn waiting_for_a_mutex_parks_the_goroutine_not_the_p() {
    let _w = watchdog::start(
        "waiting_for_a_mutex_parks_the_goroutine_not_the_p",
        watchdog::LIMIT,
    );
    let m = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(Semaphore::new(0));
    let held = Arc::new(Semaphore::new(0));
    let thread = {
        let (m, release, held) = (m.clone(), release.clone(), held.clone());
        std::thread::spawn(move || {
            let mut g = m.lock();
            held.release();
            release.acquire(); // blocks this thread, not a P
            g.push("thread");
        })
    };
    let m2 = m.clone();
    rt(1).block_on(move || {
        held.acquire();
        let locker = {
            let m = m2.clone();
            spawn(move || m.lock().push("goroutine"))
        };
        for _ in 0..10 {
            yield_now(); // the locker runs and waits for the mutex
        }
        assert!(!locker.is_finished());
        release.release();
        locker.join().unwrap();
    });
    thread.join().unwrap();
    assert_eq!(*m.lock(), ["thread", "goroutine"]);
}

/// Stress on real threads: many goroutines across 4 Ps hammering one mutex
/// around a counter that is not atomic (a lost update or a torn
/// read-modify-write would show in the total).
#[test]
fn mutex_stress_across_four_ps() {
    let _w = watchdog::start("mutex_stress_across_four_ps", watchdog::LIMIT);
    struct Counter {
        mu: RawMutex,
        n: UnsafeCell<u64>,
    }
    // SAFETY: `n` is only touched while `mu` is held.
    unsafe impl Sync for Counter {}
    let total = rt(4).block_on(|| {
        let c = Arc::new(Counter {
            mu: RawMutex::new(),
            n: UnsafeCell::new(0),
        });
        let hs: Vec<_> = (0..100)
            .map(|_| {
                let c = c.clone();
                spawn(move || {
                    for i in 0..20_000u32 {
                        c.mu.lock();
                        // SAFETY: we hold the mutex.
                        unsafe {
                            let v = std::ptr::read_volatile(c.n.get());
                            std::ptr::write_volatile(c.n.get(), v + 1);
                        }
                        c.mu.unlock();
                        if i % 1_000 == 0 {
                            yield_now();
                        }
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        // SAFETY: every goroutine has finished.
        unsafe { *c.n.get() }
    });
    assert_eq!(total, 100 * 20_000);
}

/// Go lets one goroutine unlock what another locked: a guard moved to
/// another goroutine unlocks there.
#[test]
fn guard_unlocks_in_another_goroutine() {
    static M: Mutex<i32> = Mutex::new(1);
    let _w = watchdog::start("guard_unlocks_in_another_goroutine", watchdog::LIMIT);
    rt(2).block_on(|| {
        let g = M.lock();
        let waiter = spawn(|| *M.lock());
        let unlocker = spawn(move || {
            let mut g = g;
            *g = 2;
        });
        unlocker.join().unwrap();
        assert_eq!(waiter.join().unwrap(), 2);
    });
}

// ---------------------------------------------------------------------------
// RwLock

/// Go's `TestRWMutex` (`HammerRWMutex`): readers and writers check an
/// activity counter: a reader never sees a writer inside, a writer never
/// sees anyone else.
fn hammer_rwmutex(procs: usize, readers: usize) {
    rt(procs).block_on(move || {
        let rw = Arc::new(RwLock::new(()));
        let activity = Arc::new(AtomicI32::new(0));
        let iterations = 1_000;
        let mut hs = Vec::new();
        let writer = |rw: Arc<RwLock<()>>, activity: Arc<AtomicI32>| {
            spawn(move || {
                for _ in 0..iterations {
                    let _w = rw.write();
                    let n = activity.fetch_add(10_000, Ordering::SeqCst) + 10_000;
                    assert_eq!(n, 10_000, "a writer saw others inside");
                    yield_now();
                    activity.fetch_sub(10_000, Ordering::SeqCst);
                }
            })
        };
        let reader = |rw: Arc<RwLock<()>>, activity: Arc<AtomicI32>| {
            spawn(move || {
                for i in 0..iterations {
                    let _r = rw.read();
                    let n = activity.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(
                        (1..10_000).contains(&n),
                        "a reader saw a writer inside ({n})"
                    );
                    if i % 4 == 0 {
                        yield_now();
                    }
                    activity.fetch_sub(1, Ordering::SeqCst);
                }
            })
        };
        hs.push(writer(rw.clone(), activity.clone()));
        for _ in 0..readers / 2 {
            hs.push(reader(rw.clone(), activity.clone()));
        }
        hs.push(writer(rw.clone(), activity.clone()));
        for _ in readers / 2..readers {
            hs.push(reader(rw.clone(), activity.clone()));
        }
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(activity.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn test_rwmutex_procs2() {
    let _w = watchdog::start("test_rwmutex_procs2", watchdog::LIMIT);
    hammer_rwmutex(2, 1);
    hammer_rwmutex(2, 10);
}

#[test]
fn test_rwmutex_procs4() {
    let _w = watchdog::start("test_rwmutex_procs4", watchdog::LIMIT);
    hammer_rwmutex(4, 3);
    hammer_rwmutex(4, 10);
}

/// Go's `TestParallelReaders`: N readers each take the read lock and then
/// wait until all N hold it, which only ends if readers really share it.
#[test]
fn test_parallel_readers() {
    let _w = watchdog::start("test_parallel_readers", watchdog::LIMIT);
    for procs in [1, 2, 4] {
        rt(procs).block_on(|| {
            const N: u32 = 8;
            let rw = Arc::new(RwLock::new(()));
            let inside = Arc::new(AtomicU32::new(0));
            let hs: Vec<_> = (0..N)
                .map(|_| {
                    let (rw, inside) = (rw.clone(), inside.clone());
                    spawn(move || {
                        let _r = rw.read();
                        inside.fetch_add(1, Ordering::SeqCst);
                        wait::until("every reader inside at once", || {
                            inside.load(Ordering::SeqCst) == N
                        });
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        });
    }
}

/// Writer preference, as Go's: once a writer waits, a reader arriving after
/// it does not get in, so a stream of readers cannot starve the writer.
#[test]
fn waiting_writer_blocks_new_readers() {
    let _w = watchdog::start("waiting_writer_blocks_new_readers", watchdog::LIMIT);
    rt(2).block_on(|| {
        let rw = Arc::new(RwLock::new(0));
        let r = rw.read();
        let writer = {
            let rw = rw.clone();
            spawn(move || *rw.write() += 1)
        };
        // As soon as the writer has announced itself, new readers stay out.
        wait::until("the writer to queue", || rw.try_read().is_none());
        assert!(!writer.is_finished());
        drop(r);
        writer.join().unwrap();
        assert_eq!(*rw.read(), 1);
    });
}

// ---------------------------------------------------------------------------
// WaitGroup

/// Go's `TestWaitGroup`: two groups over 8 rounds of re-use; goroutines
/// finish group 1 and wait on group 2; none may get through group 2 before
/// its last `done`.
fn test_waitgroup(procs: usize) {
    rt(procs).block_on(|| {
        let wg1 = Arc::new(WaitGroup::new());
        let wg2 = Arc::new(WaitGroup::new());
        let n: usize = 16;
        let exited = Arc::new(AtomicU32::new(0));
        let exits = Arc::new(Semaphore::new(0));
        for round in 0..8 {
            exited.store(0, Ordering::SeqCst);
            wg1.add(n as isize);
            wg2.add(n as isize);
            for _ in 0..n {
                let (wg1, wg2, exited, exits) =
                    (wg1.clone(), wg2.clone(), exited.clone(), exits.clone());
                spawn(move || {
                    wg1.done();
                    wg2.wait();
                    exited.fetch_add(1, Ordering::SeqCst);
                    exits.release();
                });
            }
            wg1.wait();
            for _ in 0..n {
                assert_eq!(
                    exited.load(Ordering::SeqCst),
                    0,
                    "WaitGroup released group too soon (round {round})"
                );
                wg2.done();
            }
            for _ in 0..n {
                exits.acquire();
            }
        }
    });
}

#[test]
fn test_waitgroup_procs2() {
    let _w = watchdog::start("test_waitgroup_procs2", watchdog::LIMIT);
    test_waitgroup(2);
}

#[test]
fn test_waitgroup_procs4() {
    let _w = watchdog::start("test_waitgroup_procs4", watchdog::LIMIT);
    test_waitgroup(4);
}

/// Go's `TestWaitGroupMisuse`: taking the counter below zero panics with
/// Go's message (a bug in the caller).
#[test]
fn test_waitgroup_misuse() {
    let _w = watchdog::start("test_waitgroup_misuse", watchdog::LIMIT);
    let err = rt(2)
        .block_on(|| {
            spawn(|| {
                let wg = WaitGroup::new();
                wg.add(1);
                wg.done();
                wg.done();
            })
            .join()
        })
        .expect_err("a negative counter must panic");
    let msg = err
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| err.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    assert_eq!(msg, "sync: negative WaitGroup counter");
}

/// Go 1.25's `WaitGroup.Go` (Go's `TestWaitGroupGo`): the group counts the
/// goroutines it starts, and `wait` sees all their work.
#[test]
fn test_waitgroup_go() {
    let _w = watchdog::start("test_waitgroup_go", watchdog::LIMIT);
    rt(2).block_on(|| {
        let wg = Arc::new(WaitGroup::new());
        let sum = Arc::new(AtomicU64::new(0));
        for i in 1..=100 {
            let sum = sum.clone();
            wg.go(move || {
                yield_now();
                sum.fetch_add(i, Ordering::Relaxed);
            });
        }
        wg.wait();
        assert_eq!(sum.load(Ordering::Relaxed), 5050);
    });
}

/// A plain thread waits on a group that goroutines finish.
#[test]
fn thread_waits_for_goroutines() {
    let _w = watchdog::start("thread_waits_for_goroutines", watchdog::LIMIT);
    let runtime = rt(2);
    let wg = Arc::new(WaitGroup::new());
    wg.add(10);
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let waiter = {
        let wg = wg.clone();
        std::thread::spawn(move || {
            tid_tx.send(rustix::thread::gettid()).unwrap();
            wg.wait();
        })
    };
    let tid = tid_rx.recv().unwrap();
    let wg2 = wg.clone();
    runtime.block_on(move || {
        // The thread is asleep in the group's wait before anyone is done.
        wait::thread_in_futex(tid);
        for _ in 0..10 {
            let wg = wg2.clone();
            spawn(move || wg.done());
        }
        wg2.wait();
    });
    waiter.join().unwrap();
}

// ---------------------------------------------------------------------------
// Once

/// Go's `TestOnce`: the function runs once however many goroutines race to
/// call it, and each returns only after it has run.
#[test]
fn test_once() {
    let _w = watchdog::start("test_once", watchdog::LIMIT);
    rt(4).block_on(|| {
        let once = Arc::new(Once::new());
        let calls = Arc::new(AtomicU32::new(0));
        let hs: Vec<_> = (0..100)
            .map(|_| {
                let (once, calls) = (once.clone(), calls.clone());
                spawn(move || {
                    once.call_once(|| {
                        yield_now(); // let the others pile up behind us
                        calls.fetch_add(1, Ordering::SeqCst);
                    });
                    assert_eq!(calls.load(Ordering::SeqCst), 1, "returned before f ran");
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(once.is_completed());
    });
}

/// Go's `TestOncePanic`: a function that panics counts as run.
#[test]
fn test_once_panic() {
    let _w = watchdog::start("test_once_panic", watchdog::LIMIT);
    rt(2).block_on(|| {
        let once = Arc::new(Once::new());
        let first = {
            let once = once.clone();
            spawn(move || once.call_once(|| panic!("failed")))
        };
        assert!(first.join().is_err());
        assert!(once.is_completed());
        once.call_once(|| panic!("Once.Do called twice"));
    });
}

// ---------------------------------------------------------------------------
// Cond

/// Go's `TestCondSignal`: each signal wakes exactly one waiter.
#[test]
fn test_cond_signal() {
    let _w = watchdog::start("test_cond_signal", watchdog::LIMIT);
    rt(2).block_on(|| {
        let n = 2;
        let state = Arc::new((Mutex::new(()), Cond::new()));
        let running = Arc::new(Semaphore::new(0));
        let awake = Arc::new(Semaphore::new(0));
        let hs: Vec<_> = (0..n)
            .map(|_| {
                let (state, running, awake) = (state.clone(), running.clone(), awake.clone());
                spawn(move || {
                    let (m, c) = &*state;
                    let g = m.lock();
                    running.release();
                    let g = c.wait(g);
                    awake.release();
                    drop(g);
                })
            })
            .collect();
        for _ in 0..n {
            running.acquire(); // everyone has run up to wait
        }
        let (m, c) = &*state;
        for _ in 0..n {
            assert!(!awake.try_acquire(), "goroutine not asleep");
            // Taking the mutex makes sure the waiters are inside `wait`.
            drop(m.lock());
            c.signal();
            awake.acquire(); // deadlocks if nobody wakes
            for _ in 0..10 {
                yield_now();
            }
            assert!(!awake.try_acquire(), "too many goroutines awake");
        }
        c.signal(); // nobody waits: a no-op
        for h in hs {
            h.join().unwrap();
        }
    });
}

/// Go's `TestCondBroadcast`: every round, all n goroutines are asleep, one
/// broadcast wakes each of them exactly once.
#[test]
fn test_cond_broadcast() {
    let _w = watchdog::start("test_cond_broadcast", watchdog::LIMIT);
    rt(2).block_on(|| {
        let n = 50;
        let state = Arc::new((Mutex::new(false), Cond::new()));
        let running = Arc::new(Chan::new());
        let awake = Arc::new(Chan::new());
        let hs: Vec<_> = (0..n)
            .map(|g| {
                let (state, running, awake) = (state.clone(), running.clone(), awake.clone());
                spawn(move || {
                    let (m, c) = &*state;
                    let mut exit = m.lock();
                    while !*exit {
                        running.send(g);
                        exit = c.wait(exit);
                        awake.send(g);
                    }
                })
            })
            .collect();
        let (m, c) = &*state;
        for round in 0..n {
            for _ in 0..n {
                running.recv(); // deadlocks unless n are running
            }
            if round == n - 1 {
                *m.lock() = true;
            }
            assert!(awake.try_recv().is_none(), "goroutine not asleep");
            {
                let _g = m.lock();
                c.broadcast();
            }
            let mut seen = vec![false; n];
            for _ in 0..n {
                let g = awake.recv();
                assert!(!seen[g], "goroutine woke up twice");
                seen[g] = true;
            }
        }
        assert!(running.try_recv().is_none());
        for h in hs {
            h.join().unwrap();
        }
    });
}

/// A plain thread waits on a condition a goroutine signals, and the other
/// way round.
#[test]
fn cond_between_a_thread_and_goroutines() {
    let _w = watchdog::start("cond_between_a_thread_and_goroutines", watchdog::LIMIT);
    let runtime = rt(2);
    let state = Arc::new((Mutex::new(0u32), Cond::new()));
    let thread = {
        let state = state.clone();
        std::thread::spawn(move || {
            let (m, c) = &*state;
            let mut g = c.wait_while(m.lock(), |n| *n == 0);
            *g = 2;
            c.broadcast();
        })
    };
    let state2 = state.clone();
    runtime.block_on(move || {
        let (m, c) = &*state2;
        *m.lock() = 1;
        c.broadcast();
        let g = c.wait_while(m.lock(), |n| *n != 2);
        assert_eq!(*g, 2);
    });
    thread.join().unwrap();
}

// ---------------------------------------------------------------------------
// Semaphore

/// A counting semaphore bounds how many goroutines are inside at once.
fn semaphore_bounds_concurrency(procs: usize) {
    rt(procs).block_on(|| {
        const UNITS: u32 = 3;
        let sem = Arc::new(Semaphore::new(UNITS));
        let inside = Arc::new(AtomicU32::new(0));
        let most = Arc::new(AtomicU32::new(0));
        let hs: Vec<_> = (0..50)
            .map(|_| {
                let (sem, inside, most) = (sem.clone(), inside.clone(), most.clone());
                spawn(move || {
                    for _ in 0..20 {
                        sem.acquire();
                        let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        for _ in 0..3 {
                            yield_now();
                        }
                        inside.fetch_sub(1, Ordering::SeqCst);
                        sem.release();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(
            most <= UNITS,
            "{most} goroutines inside a semaphore of {UNITS}"
        );
        assert!(most >= 2, "holders yield, so others get in: {most}");
        assert_eq!(sem.available(), UNITS);
    });
}

#[test]
fn semaphore_bounds_concurrency_procs2() {
    let _w = watchdog::start("semaphore_bounds_concurrency_procs2", watchdog::LIMIT);
    semaphore_bounds_concurrency(2);
}

#[test]
fn semaphore_bounds_concurrency_procs4() {
    let _w = watchdog::start("semaphore_bounds_concurrency_procs4", watchdog::LIMIT);
    semaphore_bounds_concurrency(4);
}
