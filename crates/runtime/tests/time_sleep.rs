//! Timers as a user sees them through `time::sleep`, and the schedtrace
//! line (Go's `GODEBUG=schedtrace`), checked in a child process.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gort_runtime::time::sleep;
use gort_runtime::{Runtime, spawn};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

/// Sleepers wake in deadline order, and never early. On one P, since each
/// goroutine resumes on its own thread. Order is only defined for wake-ups
/// that fire in separate timer runs: when the thread is late enough that
/// two sleepers are both due in one run, each readied goroutine takes
/// `runnext` from the one before (as in Go, whose `goready` does the same),
/// so the later deadline runs first. So the order is checked when every
/// sleeper woke within half the spacing of its deadline, which a loaded
/// machine (two busy loops on two cores) does not always allow; "never
/// early" and "all wake" are checked always.
#[test]
fn sleepers_wake_in_deadline_order_and_not_early() {
    let _w = watchdog::start(
        "sleepers_wake_in_deadline_order_and_not_early",
        watchdog::LIMIT,
    );
    const SPACING: Duration = Duration::from_millis(15);
    let rt = Runtime::builder().procs(1).build().unwrap();
    let woke = rt.block_on(|| {
        let woke = Arc::new(Mutex::new(Vec::new()));
        // Spawned in scrambled order, SPACING apart in deadline.
        let handles: Vec<_> = [3u32, 0, 4, 1, 2]
            .into_iter()
            .map(|i| {
                let woke = woke.clone();
                spawn(move || {
                    let start = Instant::now();
                    let d = Duration::from_millis(10) + SPACING * i;
                    sleep(d);
                    let took = start.elapsed();
                    assert!(took >= d, "sleeper {i} woke early: {took:?} < {d:?}");
                    woke.lock().unwrap().push((i, took - d));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        woke.lock().unwrap().clone()
    });
    assert_eq!(woke.len(), 5);
    let late = woke.iter().map(|&(_, l)| l).max().unwrap();
    let order: Vec<u32> = woke.iter().map(|&(i, _)| i).collect();
    if late < SPACING / 2 {
        assert_eq!(
            order,
            [0, 1, 2, 3, 4],
            "woke in this order, at most {late:?} late"
        );
    } else {
        eprintln!("order {order:?} not checked: a sleeper woke {late:?} late");
    }
}

/// Many concurrent sleepers on one P: all wake, none much later than asked
/// (bounded generously: this is a liveness check, not a timing one).
#[test]
fn thousand_sleepers_all_wake() {
    let _w = watchdog::start("thousand_sleepers_all_wake", watchdog::LIMIT);
    let rt = Runtime::builder().procs(1).build().unwrap();
    let t = Instant::now();
    rt.block_on(|| {
        let hs: Vec<_> = (0..1000u64)
            .map(|i| spawn(move || sleep(Duration::from_millis(1 + i % 20))))
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    assert!(t.elapsed() < Duration::from_secs(20));
}

#[test]
fn sleep_outside_a_goroutine_sleeps_the_thread() {
    let _w = watchdog::start(
        "sleep_outside_a_goroutine_sleeps_the_thread",
        watchdog::LIMIT,
    );
    let t = Instant::now();
    sleep(Duration::from_millis(5));
    assert!(t.elapsed() >= Duration::from_millis(5));
}

const CHILD_ENV: &str = "GORT_TEST_SCHEDTRACE_CHILD";

#[test]
fn schedtrace_prints_sched_lines() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let _w = watchdog::start("schedtrace_prints_sched_lines", watchdog::LIMIT);
    if std::env::var_os(CHILD_ENV).is_some() {
        // Runs until the parent closes our stdin, once it has seen enough
        // trace lines: however slowly sysmon gets a CPU, it gets there.
        let rt = Runtime::builder().procs(2).build().unwrap();
        rt.block_on(|| {
            gort_runtime::blocking(|| {
                let _ = std::io::stdin().read_to_end(&mut Vec::new());
            })
        });
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "schedtrace_prints_sched_lines", "--nocapture"])
        .env(CHILD_ENV, "1")
        .env("GORT_DEBUG", "schedtrace=20")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take();
    let mut lines = Vec::new();
    let mut seen = String::new();
    // Read to the end (the child keeps tracing until it exits); close its
    // stdin, which ends it, once two trace lines are in.
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("SCHED ") {
            lines.push(line);
            if lines.len() == 2 {
                stdin = None;
            }
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert!(lines.len() >= 2, "stderr: {seen}");
    assert!(lines[0].contains("gomaxprocs=2 idleprocs="), "{}", lines[0]);
    assert!(lines[0].contains("runqueue="), "{}", lines[0]);
}

/// Go's time.AfterFunc: runs once in its own goroutine; stop before it fires
/// prevents it; reset re-arms it.
#[test]
fn after_func_runs_once_and_obeys_stop_and_reset() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let _w = watchdog::start(
        "after_func_runs_once_and_obeys_stop_and_reset",
        watchdog::LIMIT,
    );
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let fired = Arc::new(AtomicU32::new(0));
        let f = fired.clone();
        let t = gort_runtime::time::after_func(Duration::from_millis(5), move || {
            assert!(
                gort_runtime::goid().is_some(),
                "AfterFunc must run in a goroutine"
            );
            f.fetch_add(1, Ordering::SeqCst);
        });
        wait::until("the first AfterFunc ran", || {
            fired.load(Ordering::SeqCst) == 1
        });
        assert!(!t.stop(), "stop after firing reports false");

        // Stopped before its time (an hour away, so however late this
        // goroutine runs): never runs.
        let f = fired.clone();
        let t = gort_runtime::time::after_func(Duration::from_secs(3600), move || {
            f.fetch_add(100, Ordering::SeqCst);
        });
        assert!(t.stop());
        assert!(!t.stop());
        // Reset after a stop re-arms it.
        assert!(!t.reset(Duration::from_millis(1)));
        wait::until("the re-armed AfterFunc ran", || {
            fired.load(Ordering::SeqCst) >= 101
        });

        // Many resets of a pending timer leave exactly one firing.
        let f = fired.clone();
        let t = gort_runtime::time::after_func(Duration::from_secs(3600), move || {
            f.fetch_add(1000, Ordering::SeqCst);
        });
        for _ in 0..10_000 {
            t.reset(Duration::from_secs(3600));
        }
        assert!(t.reset(Duration::from_millis(1)));
        wait::until("the reset AfterFunc ran", || {
            fired.load(Ordering::SeqCst) >= 1101
        });
        // A window in which no timer may fire a second time.
        sleep(Duration::from_millis(20));
        assert_eq!(fired.load(Ordering::SeqCst), 1101);
    });
}

/// A deadline pushed later while queued (the lazy path of reset) fires once,
/// never before its latest expiry; one pulled earlier fires at the earlier time.
#[test]
fn after_func_moved_later_or_earlier_fires_at_the_latest_setting() {
    let _w = watchdog::start(
        "after_func_moved_later_or_earlier_fires_at_the_latest_setting",
        watchdog::LIMIT,
    );
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(|| {
        let fired: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let f = fired.clone();
        let t = gort_runtime::time::after_func(Duration::from_millis(5), move || {
            f.lock().unwrap().push(Instant::now());
        });
        // Push it back five times, 5 ms apart.
        let mut last = Instant::now();
        for _ in 0..5 {
            last = Instant::now();
            t.reset(Duration::from_millis(30));
            sleep(Duration::from_millis(5));
        }
        sleep(Duration::from_millis(80));
        let v = fired.lock().unwrap().clone();
        assert_eq!(v.len(), 1, "fired {} times", v.len());
        assert!(
            v[0] >= last + Duration::from_millis(30),
            "fired before its deadline"
        );

        // Pull a far deadline in: it fires at the near one.
        let start = Instant::now();
        t.reset(Duration::from_secs(3600));
        t.reset(Duration::from_millis(10));
        wait::until("the pulled-in timer fires", || {
            fired.lock().unwrap().len() >= 2
        });
        assert!(fired.lock().unwrap()[1] >= start + Duration::from_millis(10));
    });
}
