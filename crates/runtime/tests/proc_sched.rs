//! Scheduler behaviour a user can observe: spawning, parking, stealing,
//! fairness, `blocking`, panics, pinning to threads, shutdown.
//! Names follow Go's src/runtime/proc_test.go where a Go test matches.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gort_runtime::hooks::{ParkSlot, WaitReason, current_mp};
use gort_runtime::{Runtime, blocking, spawn, yield_now};

#[path = "support/wait.rs"]
mod wait;

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().expect("runtime")
}

/// Computes without parking for `d`, so that the idle P has time to steal
/// the goroutines queued behind this one before they first run.
fn hold_the_p_for(d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// A bound for loops that wait on the scheduler: fail instead of hanging.
fn deadline(secs: u64) -> impl Fn() -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    move || Instant::now() < end
}

#[test]
fn spawn_and_join_100k_goroutines_each_result_once() {
    let seen = rt(2).block_on(|| {
        let handles: Vec<_> = (0..100_000u32).map(|i| spawn(move || i)).collect();
        let mut seen = vec![false; 100_000];
        for h in handles {
            let i = h.join().unwrap() as usize;
            assert!(!seen[i], "result {i} seen twice");
            seen[i] = true;
        }
        seen
    });
    assert!(seen.iter().all(|&s| s), "some result never arrived");
}

/// Go's TestPingPongHog shape, as a correctness test: pairs of goroutines
/// hand a token back and forth through park/ready 1M times in total, on two
/// Ps, so pairs are spread over Ms by stealing (of goroutines that have not
/// run yet). No wake-up may be lost (a lost one would hang, which the join
/// deadline turns into a failure), and no goroutine ever resumes on another
/// thread, even when its partner lives on the other one.
#[test]
fn ping_pong_1m_park_ready_pairs_across_ms() {
    const PAIRS: usize = 4;
    const ROUNDS: usize = 250_000; // 4 pairs x 250k = 1M round trips
    let ms_seen = Arc::new(Mutex::new(HashSet::new()));
    let cross_thread = Arc::new(AtomicU64::new(0));
    let total = {
        let (ms_seen, cross_thread) = (ms_seen.clone(), cross_thread.clone());
        rt(2).block_on(move || {
            let mut handles = Vec::new();
            for _ in 0..PAIRS {
                let slots = Arc::new((ParkSlot::new(), ParkSlot::new(), AtomicU64::new(0)));
                let (s1, ms1, ct1) = (slots.clone(), ms_seen.clone(), cross_thread.clone());
                handles.push(spawn(move || {
                    hold_the_p_for(Duration::from_millis(2));
                    let mut n = 0u64;
                    for _ in 0..ROUNDS {
                        let me = current_mp().unwrap().1;
                        s1.2.store(me, Ordering::Relaxed);
                        s1.0.wake();
                        s1.1.wait(WaitReason::Sync);
                        let now = current_mp().unwrap().1;
                        if now != me {
                            ct1.fetch_add(1, Ordering::Relaxed);
                        }
                        n += 1;
                    }
                    ms1.lock().unwrap().insert(current_mp().unwrap().1);
                    n
                }));
                let (s2, ms2) = (slots, ms_seen.clone());
                handles.push(spawn(move || {
                    hold_the_p_for(Duration::from_millis(2));
                    let mut n = 0u64;
                    for _ in 0..ROUNDS {
                        s2.0.wait(WaitReason::Sync);
                        ms2.lock().unwrap().insert(current_mp().unwrap().1);
                        s2.1.wake();
                        n += 1;
                    }
                    n
                }));
            }
            handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
        })
    };
    assert_eq!(total, 2 * (PAIRS * ROUNDS) as u64);
    assert_eq!(
        cross_thread.load(Ordering::Relaxed),
        0,
        "a goroutine resumed on another thread"
    );
    let ms = ms_seen.lock().unwrap().len();
    assert!(
        ms >= 2,
        "all pairs ran on one M ({ms}); expected them spread over both Ps"
    );
}

/// Runs `n` goroutines spawned by one goroutine, each computing for `d`
/// before it reports the P it ran on.
fn spawn_computing(runtime: &Runtime, n: usize, d: Duration) -> HashSet<usize> {
    runtime.block_on(move || {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                spawn(move || {
                    hold_the_p_for(d);
                    current_mp().unwrap().0
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<HashSet<_>>()
    })
}

/// With two Ps, many goroutines spawned by one goroutine also run on the
/// other P: once the spawner's P has a few more goroutines than the other,
/// new ones start there (they are pinned to where they first run).
#[test]
fn new_goroutines_spread_over_ps() {
    let ps = spawn_computing(&rt(2), 64, Duration::from_millis(2));
    assert_eq!(ps, HashSet::from([0, 1]), "goroutines ran only on P {ps:?}");
}

/// A few goroutines queued behind a busy one, too few to be placed
/// elsewhere at spawn, are stolen by the idle P (only goroutines that have
/// not run yet may move). Each one that runs on the spawner's P holds that
/// thread without parking until one has run elsewhere, so the rest can only
/// run if the other P steals them: no race with the OS's timing (the other
/// P's M may be slow to get a CPU on a loaded machine), only the bound of
/// the hold.
#[test]
fn an_idle_p_steals_goroutines_that_have_not_run() {
    let runtime = rt(2);
    let (home, ps) = runtime.block_on(|| {
        let home = current_mp().unwrap().0;
        let elsewhere = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let elsewhere = elsewhere.clone();
                spawn(move || {
                    let p = current_mp().unwrap().0;
                    if p == home {
                        let ok = deadline(10);
                        while !elsewhere.load(Ordering::SeqCst) && ok() {
                            std::hint::spin_loop();
                        }
                    } else {
                        elsewhere.store(true, Ordering::SeqCst);
                    }
                    p
                })
            })
            .collect();
        let ps: HashSet<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (home, ps)
    });
    assert!(
        ps.iter().any(|&p| p != home),
        "goroutines spawned on P {home} ran only there: {ps:?}"
    );
    assert!(runtime.stats().stolen > 0);
}

/// Go's TestYieldProgress / TestTimerFairness: a goroutine spinning on
/// yield_now on the only P does not starve one that sleeps.
#[test]
fn yield_spinner_does_not_starve_sleeper() {
    rt(1).block_on(|| {
        let woke = Arc::new(AtomicBool::new(false));
        let w = woke.clone();
        let sleeper = spawn(move || {
            gort_runtime::time::sleep(Duration::from_millis(10));
            w.store(true, Ordering::SeqCst);
        });
        let ok = deadline(10);
        let mut spins = 0u64;
        while !woke.load(Ordering::SeqCst) {
            assert!(ok(), "sleeper starved by a yielding goroutine");
            yield_now();
            spins += 1;
        }
        sleeper.join().unwrap();
        assert!(spins > 0);
    });
}

/// A goroutine in `blocking` does not stop the goroutines that share its
/// thread: on the only P, a worker runs to completion while the blocking
/// call is still in progress (it only ends once the worker has finished).
#[test]
fn blocking_call_does_not_stall_its_p() {
    let runtime = rt(1);
    let order = runtime.block_on(|| {
        let order = Arc::new(Mutex::new(Vec::new()));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let o1 = order.clone();
        let sleeper = spawn(move || {
            let me = current_mp().unwrap();
            let released = blocking(move || wait.recv_timeout(Duration::from_secs(30)).is_ok());
            assert!(
                released,
                "the worker never ran while blocking() was in progress"
            );
            assert_eq!(current_mp().unwrap(), me, "resumed on another thread");
            o1.lock().unwrap().push("blocking call returned");
        });
        // Let the sleeper enter its blocking call first.
        yield_now();
        let o2 = order.clone();
        let worker = spawn(move || {
            for _ in 0..100 {
                yield_now();
            }
            o2.lock().unwrap().push("worker finished");
            release.send(()).unwrap();
        });
        worker.join().unwrap();
        sleeper.join().unwrap();
        order.lock().unwrap().clone()
    });
    assert_eq!(order, ["worker finished", "blocking call returned"]);
    assert_eq!(runtime.stats().threads, 1, "a P got a second thread");
}

/// A panic reaches `join()` as `Err` with its payload, and the runtime keeps
/// working afterwards.
#[test]
fn panic_in_goroutine_reaches_join_and_runtime_survives() {
    rt(2).block_on(|| {
        let h = spawn(|| -> u32 { panic!("boom in a goroutine") });
        let err = h.join().unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"boom in a goroutine"));
        let after: u32 = (0..100)
            .map(|i| spawn(move || i))
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(after, 4950);
    });
}

/// A panic in the main goroutine resumes in `block_on`.
#[test]
fn panic_in_main_goroutine_resumes_in_block_on() {
    let runtime = rt(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(|| panic!("main goroutine failed"));
    }));
    assert_eq!(
        r.unwrap_err().downcast_ref::<&str>(),
        Some(&"main goroutine failed")
    );
    assert_eq!(runtime.block_on(|| 5), 5);
}

/// Goroutines never change thread (pinning), yet the Ps are shared: never-run
/// goroutines are stolen by the idle P, so both Ps get some. Each goroutine
/// sees the same M, the thread it is actually on, and a P no other running
/// goroutine holds, across 2,000 parks and yields.
#[test]
fn goroutines_stay_on_their_thread_and_ps_are_shared() {
    const GS: usize = 8;
    let owners: Arc<Vec<AtomicUsize>> = Arc::new((0..2).map(|_| AtomicUsize::new(0)).collect());
    let homes = rt(2).block_on(move || {
        let handles: Vec<_> = (1..=GS)
            .map(|id| {
                let owners = owners.clone();
                spawn(move || {
                    hold_the_p_for(Duration::from_millis(5));
                    let home = current_mp().unwrap();
                    for round in 0..2_000 {
                        let (p, m) = current_mp().unwrap();
                        assert_eq!((p, m), home, "goroutine {id} changed thread");
                        // The M id must be the thread we are actually on.
                        let name = std::thread::current().name().map(str::to_owned);
                        assert_eq!(name.as_deref(), Some(format!("gort-m{m}").as_str()));
                        // Nobody else may be running on our P right now.
                        let prev = owners[p].swap(id, Ordering::SeqCst);
                        assert_eq!(prev, 0, "P {p} held by goroutine {prev} and {id}");
                        std::hint::black_box(round);
                        owners[p].store(0, Ordering::SeqCst);
                        if round % 3 == 0 {
                            gort_runtime::time::sleep(Duration::from_micros(50));
                        } else {
                            yield_now();
                        }
                    }
                    home
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<HashSet<_>>()
    });
    assert_eq!(
        homes.len(),
        2,
        "every goroutine ran on one thread: {homes:?}"
    );
}

/// Shutdown with goroutines still parked: dropping the runtime abandons them,
/// and a later wake-up from outside is ignored without harm.
#[test]
fn shutdown_abandons_parked_goroutines_safely() {
    let sem = Arc::new(AtomicU32::new(0));
    {
        let runtime = rt(2);
        let s = sem.clone();
        runtime.block_on(move || {
            for _ in 0..10 {
                let s = s.clone();
                gort_runtime::go!({
                    gort_runtime::hooks::semacquire(&s);
                    unreachable!("an abandoned goroutine ran again");
                });
            }
            wait::parked(WaitReason::Semacquire, 10);
        });
    }
    // The runtime is gone; these releases find parked goroutines of a
    // stopped runtime and must not run them.
    for _ in 0..10 {
        gort_runtime::hooks::semrelease(&sem);
    }
    std::thread::sleep(Duration::from_millis(20));
}

/// Shutdown after everything finished joins the runtime's threads.
#[test]
fn drop_after_all_goroutines_finish_is_clean() {
    for _ in 0..20 {
        let runtime = rt(2);
        let n = runtime.block_on(|| {
            (0..50)
                .map(|i| spawn(move || i))
                .map(|h| h.join().unwrap())
                .sum::<i32>()
        });
        assert_eq!(n, 1225);
        drop(runtime);
    }
}

/// Goroutines spawned from a plain thread through `Runtime::spawn`, joined
/// from that thread.
#[test]
fn spawn_and_join_from_outside_the_runtime() {
    let runtime = rt(2);
    let hs: Vec<_> = (0..100u64).map(|i| runtime.spawn(move || i * 2)).collect();
    let sum: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(sum, 9900);
}

#[test]
fn goroutine_with_a_bigger_stack_can_use_it() {
    rt(1).block_on(|| {
        let h = gort_runtime::GoBuilder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let big = [7u8; 1 << 20];
                std::hint::black_box(&big)
                    .iter()
                    .map(|&b| b as u64)
                    .sum::<u64>()
            })
            .unwrap();
        assert_eq!(h.join().unwrap(), 7 << 20);
    });
}

#[test]
#[should_panic(expected = "spawn called outside a goroutine")]
fn spawn_outside_a_runtime_panics_clearly() {
    let _ = spawn(|| ());
}

/// A poller that records when the runtime releases it, i.e. when the
/// runtime's global state is freed.
struct DropFlag(Arc<AtomicBool>, gort_runtime::hooks::NoNetpoll);

impl gort_runtime::hooks::Netpoll for DropFlag {
    fn netpoll(&self, delay: i64, ready: &mut Vec<gort_runtime::hooks::Gp>) -> i32 {
        self.1.netpoll(delay, ready)
    }
    fn netpoll_break(&self) {
        self.1.netpoll_break()
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn rt_with_flag(procs: usize) -> (Runtime, Arc<AtomicBool>) {
    let freed = Arc::new(AtomicBool::new(false));
    let rt = Runtime::builder()
        .procs(procs)
        .netpoll(Arc::new(DropFlag(freed.clone(), Default::default())))
        .build()
        .unwrap();
    (rt, freed)
}

/// When every goroutine has finished, dropping the runtime frees all of it
/// (threads joined, Gs and stacks released); with a goroutine parked for
/// good, it is kept (leaked) on purpose.
#[test]
fn runtime_is_freed_unless_goroutines_are_abandoned() {
    let (rt, freed) = rt_with_flag(2);
    rt.block_on(|| {
        (0..100)
            .map(|i| spawn(move || i))
            .map(|h| h.join().unwrap())
            .sum::<i32>()
    });
    drop(rt);
    assert!(
        freed.load(Ordering::SeqCst),
        "a finished runtime was not freed"
    );

    let (rt, freed) = rt_with_flag(2);
    let sem = Arc::new(AtomicU32::new(0));
    let s = sem.clone();
    rt.block_on(move || {
        let started = Arc::new(AtomicBool::new(false));
        let st = started.clone();
        gort_runtime::go!({
            st.store(true, Ordering::SeqCst);
            gort_runtime::hooks::semacquire(&s);
        });
        // One yield is not enough: the scheduler may run us again first
        // (its pinned and never-run queues take turns, and a time slice
        // flagged by sysmon sends a `runnext` goroutine to the tail). A
        // goroutine that never started would be dropped unstarted, and the
        // runtime rightly freed. Once it has started it parks for good
        // (shutdown waits for a running goroutine to stop).
        let ok = deadline(10);
        while !started.load(Ordering::SeqCst) {
            assert!(ok(), "the goroutine never started");
            yield_now();
        }
    });
    drop(rt);
    assert!(
        !freed.load(Ordering::SeqCst),
        "freed a runtime with a parked goroutine"
    );
}

/// A goroutine readied into an empty `runnext` does not wake another P (the
/// readier will usually park at once). If the readier instead computes without
/// yielding, sysmon notices the stranded goroutine and an idle P steals it.
#[test]
fn stranded_runnext_is_rescued_by_an_idle_p() {
    rt(2).block_on(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let h = spawn(move || r.store(true, Ordering::SeqCst));
        // Hold this P without yielding until the other P has run it.
        let ok = deadline(10);
        while !ran.load(Ordering::SeqCst) {
            assert!(ok(), "goroutine stranded in runnext was never rescued");
            std::hint::spin_loop();
        }
        h.join().unwrap();
    });
}

/// A timer armed by a goroutine that then computes without yielding sits in
/// that goroutine's P's heap, which the P cannot look at. It still fires,
/// run by the idle P (whose M sleeps only until the earliest timer of any
/// P, and which sysmon wakes if the timer is overdue all the same), and its
/// function runs there.
#[test]
fn a_timer_on_a_busy_p_still_fires() {
    rt(2).block_on(|| {
        let fired = Arc::new(AtomicBool::new(false));
        let f = fired.clone();
        let _timer = gort_runtime::time::after_func(Duration::from_millis(2), move || {
            f.store(true, Ordering::SeqCst)
        });
        // Hold this P without yielding until the timer's function has run.
        let ok = deadline(10);
        while !fired.load(Ordering::SeqCst) {
            assert!(
                ok(),
                "a timer on a P whose goroutine never yields never fired"
            );
            std::hint::spin_loop();
        }
    });
}
