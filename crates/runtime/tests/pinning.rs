//! Pinning: a goroutine that has run once resumes only on the OS thread it
//! first ran on (Go's `LockOSThread`, for every goroutine). These tests hold
//! the kinds of thread-bound state ordinary Rust code holds across a park,
//! and check it is never seen from, or touched by, another thread, with two
//! Ps busy and never-run goroutines being stolen meanwhile.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use gort_runtime::chan::bounded as make;
use gort_runtime::hooks::current_mp;
use gort_runtime::{Runtime, spawn, yield_now};

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().expect("runtime")
}

thread_local! {
    static WORD: Cell<u64> = const { Cell::new(0) };
    /// Thread-owned state behind an `Rc`, the shape of rand's `ThreadRng`,
    /// seeded differently on each thread.
    static RNG: Rc<RefCell<u64>> =
        Rc::new(RefCell::new(WORD.with(|w| w as *const Cell<u64> as u64) | 1));
    /// A `RefCell` whose borrow a goroutine may hold across a park.
    static SHARED: &'static RefCell<Vec<u64>> = Box::leak(Box::new(RefCell::new(Vec::new())));
}

/// One park, of a kind picked by `i`: yield, channel hand-off with a
/// partner (which may live on the other thread), or a short sleep.
fn park_once(
    i: u64,
    ping: &gort_runtime::chan::Sender<u64>,
    pong: &gort_runtime::chan::Receiver<u64>,
) {
    match i % 4 {
        0 | 1 => yield_now(),
        2 => {
            ping.send(i).unwrap();
            assert_eq!(pong.recv().unwrap(), i + 1);
        }
        _ => gort_runtime::time::sleep(Duration::from_micros(1)),
    }
}

/// A million parks over 100 goroutines, with fresh goroutines being spawned
/// (and stolen) all along: after every park the thread id, the address of a
/// thread-local read inline (not through an opaque function, so a cached
/// address would show), and the M/P are those of the first run.
#[test]
fn thread_and_thread_local_address_never_change_across_a_million_parks() {
    const GS: u64 = 100;
    const PARKS: u64 = 10_000;
    let stop = Arc::new(AtomicBool::new(false));
    let total = rt(2).block_on({
        let stop = stop.clone();
        move || {
            // Pressure: never-run goroutines that idle Ps steal.
            let churn = spawn({
                let stop = stop.clone();
                move || {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let hs: Vec<_> = (0..32).map(|i| spawn(move || i)).collect();
                        n += hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>();
                    }
                    n
                }
            });
            let handles: Vec<_> = (0..GS)
                .map(|g| {
                    let (ping, partner_rx) = make::<u64>(0);
                    let (partner_tx, pong) = make::<u64>(0);
                    spawn(move || {
                        while let Some(v) = partner_rx.recv() {
                            partner_tx.send(v + 1).unwrap();
                        }
                    });
                    spawn(move || {
                        let thread: ThreadId = std::thread::current().id();
                        let tls = WORD.with(|w| w as *const Cell<u64> as usize);
                        let mp = current_mp().unwrap();
                        for i in 0..PARKS {
                            WORD.with(|w| w.set(g));
                            park_once(i, &ping, &pong);
                            assert_eq!(std::thread::current().id(), thread, "goroutine {g} moved");
                            assert_eq!(
                                WORD.with(|w| w as *const Cell<u64> as usize),
                                tls,
                                "goroutine {g} sees another thread's thread-local"
                            );
                            assert_eq!(current_mp().unwrap(), mp);
                        }
                        PARKS
                    })
                })
                .collect();
            let parks: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
            stop.store(true, Ordering::Relaxed);
            churn.join().unwrap();
            parks
        }
    });
    assert_eq!(total, GS * PARKS);
}

/// Goroutines keep an `Rc` to thread-owned state (as `rand::thread_rng()`
/// does) and a `RefCell` borrow of a thread-local across parks. The `Rc` is
/// always the current thread's; each thread's generator yields every value
/// once (two threads stepping one generator at once would repeat values);
/// a held borrow is never disturbed, and a second goroutine on the same
/// thread gets an ordinary `already borrowed` error, nothing worse.
#[test]
fn thread_owned_state_held_across_parks_stays_with_its_thread() {
    const GS: usize = 64;
    const ROUNDS: usize = 2_000;
    let drawn: Arc<Mutex<HashMap<u64, usize>>> = Arc::default();
    let conflicts = Arc::new(AtomicUsize::new(0));
    rt(2).block_on({
        let (drawn, conflicts) = (drawn.clone(), conflicts.clone());
        move || {
            let hs: Vec<_> = (0..GS as u64)
                .map(|g| {
                    let (drawn, conflicts) = (drawn.clone(), conflicts.clone());
                    spawn(move || {
                        let rng = RNG.with(Rc::clone);
                        let shared: &'static RefCell<Vec<u64>> = SHARED.with(|s| *s);
                        let mut mine = Vec::with_capacity(ROUNDS);
                        for round in 0..ROUNDS {
                            // xorshift on the thread's generator, as ThreadRng would.
                            let v = {
                                let mut x = rng.borrow_mut();
                                *x ^= *x << 13;
                                *x ^= *x >> 7;
                                *x ^= *x << 17;
                                *x
                            };
                            mine.push(v);
                            match shared.try_borrow_mut() {
                                Ok(mut held) => {
                                    held.clear();
                                    held.push(g);
                                    yield_now();
                                    assert_eq!(*held, [g], "a held borrow was disturbed");
                                }
                                Err(_) => {
                                    conflicts.fetch_add(1, Ordering::Relaxed);
                                    yield_now();
                                }
                            }
                            assert!(
                                RNG.with(|r| Rc::ptr_eq(r, &rng)),
                                "goroutine {g} holds another thread's generator (round {round})"
                            );
                            assert!(std::ptr::eq(SHARED.with(|s| *s), shared));
                        }
                        let mut d = drawn.lock().unwrap();
                        for v in mine {
                            *d.entry(v).or_default() += 1;
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        }
    });
    let d = drawn.lock().unwrap();
    let repeats = d.values().filter(|&&n| n > 1).count();
    assert_eq!(
        repeats, 0,
        "{repeats} values drawn twice: a generator was shared by threads"
    );
    assert_eq!(d.len(), GS * ROUNDS);
    // With 64 goroutines on 2 threads, borrows overlap: the ordinary error.
    assert!(conflicts.load(Ordering::Relaxed) > 0);
}

/// The scenario run in a child process by
/// `a_thread_held_without_parking_is_reported_once_and_the_rest_keeps_running`.
fn held_thread_child() {
    let rt = Runtime::builder()
        .procs(2)
        .warn_blocked_after(Duration::from_millis(50))
        .build()
        .unwrap();
    let ran_elsewhere = rt.block_on(|| {
        let released = Arc::new(AtomicBool::new(false));
        let ran = Arc::new(AtomicUsize::new(0));
        let (r1, ran1) = (released.clone(), ran.clone());
        let holder = spawn(move || {
            let me = current_mp().unwrap();
            // Never-run goroutines queued on this P: they can move.
            let hs: Vec<_> = (0..20)
                .map(|_| {
                    let (r, ran) = (r1.clone(), ran1.clone());
                    spawn(move || {
                        if !r.load(Ordering::SeqCst) && current_mp().unwrap() != me {
                            ran.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            // The mistake: a thread-blocking wait, not wrapped in blocking().
            let end = Instant::now() + Duration::from_secs(20);
            while ran1.load(Ordering::SeqCst) < 20 && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            std::thread::sleep(Duration::from_millis(100));
            r1.store(true, Ordering::SeqCst);
            for h in hs {
                h.join().unwrap();
            }
        });
        holder.join().unwrap();
        ran.load(Ordering::SeqCst)
    });
    let s = rt.stats();
    println!(
        "ran_elsewhere={ran_elsewhere} blocked_threads={}",
        s.blocked_threads
    );
}

/// A goroutine that blocks its thread (a `std::thread::sleep` loop) is
/// reported once, naming it, on stderr; meanwhile the never-run goroutines
/// it spawned are stolen and run by the other P.
#[test]
fn a_thread_held_without_parking_is_reported_once_and_the_rest_keeps_running() {
    if std::env::var_os("GORT_PINNING_CHILD").is_some() {
        held_thread_child();
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_thread_held_without_parking_is_reported_once_and_the_rest_keeps_running",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("GORT_PINNING_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("ran_elsewhere=20 blocked_threads=1"),
        "stdout: {stdout}"
    );
    let reports: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("gort: goroutine "))
        .collect();
    assert_eq!(reports.len(), 1, "stderr: {stderr}");
    assert!(
        reports[0].contains("has held its thread (gort-m")
            && reports[0].contains("without parking")
            && reports[0].contains("gort::blocking"),
        "{}",
        reports[0]
    );
}

/// `blocking` runs its function on a helper thread: the goroutines that
/// share the caller's thread keep running (here, on the only P, a hundred
/// channel round trips complete while the call is still in progress), and
/// the caller resumes on its own thread with the result, or the panic.
#[test]
fn blocking_runs_elsewhere_and_resumes_on_the_callers_thread() {
    rt(1).block_on(|| {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let local = String::from("borrowed from the goroutine's stack");
        let caller = spawn(move || {
            let thread = std::thread::current().id();
            let local = &local;
            let len = gort_runtime::blocking(move || {
                assert_ne!(
                    std::thread::current().id(),
                    thread,
                    "ran on the caller's thread"
                );
                wait.recv_timeout(Duration::from_secs(30))
                    .expect("the other goroutines did not run during the call");
                local.len()
            });
            assert_eq!(std::thread::current().id(), thread);
            assert_eq!(len, local.len());
            let err = std::panic::catch_unwind(|| gort_runtime::blocking(|| panic!("in f")));
            assert_eq!(std::thread::current().id(), thread);
            err.unwrap_err().downcast_ref::<&str>().copied()
        });
        let (tx, rx) = make::<u32>(0);
        let echo = spawn(move || {
            while let Some(v) = rx.recv() {
                if v == 99 {
                    break;
                }
            }
        });
        for i in 0..100 {
            tx.send(i).unwrap();
        }
        echo.join().unwrap();
        release.send(()).unwrap();
        assert_eq!(caller.join().unwrap(), Some("in f"));
    });
}

/// A goroutine readied from outside its thread goes through its P's inbox,
/// and if the P has gone idle, the waker claims it and wakes its thread. The
/// race between a thread going idle and a waker filling its inbox must never
/// lose the goroutine: 50,000 round trips between plain threads and
/// goroutines, whose Ps go idle between almost every pair of them. Every
/// 100 rounds the threads also start a goroutine from outside (the global
/// queue and `wakep`), which must run too.
#[test]
fn readies_from_other_threads_are_never_lost() {
    const ROUNDS: u32 = 25_000;
    let rt = Arc::new(rt(2));
    let mut threads = Vec::new();
    let mut goroutines = Vec::new();
    for _ in 0..2 {
        let (to_g, from_t) = make::<u32>(0);
        let (to_t, from_g) = make::<u32>(0);
        let rt2 = rt.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0..ROUNDS {
                to_g.send(i).unwrap();
                assert_eq!(from_g.recv(), Some(i));
                if i % 100 == 0 {
                    let h = rt2.spawn(move || i);
                    let end = Instant::now() + Duration::from_secs(20);
                    while !h.is_finished() {
                        assert!(
                            Instant::now() < end,
                            "a goroutine spawned from outside never ran"
                        );
                        std::thread::yield_now();
                    }
                    assert_eq!(h.join().unwrap(), i);
                }
            }
        }));
        goroutines.push(rt.spawn(move || {
            let home = current_mp().unwrap();
            let mut n = 0;
            while let Some(i) = from_t.recv() {
                assert_eq!(current_mp().unwrap(), home);
                to_t.send(i).unwrap();
                n += 1;
            }
            n
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    for g in goroutines {
        assert_eq!(g.join().unwrap(), ROUNDS);
    }
}
