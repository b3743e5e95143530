//! Timers as a user sees them through `time::sleep`, and the schedtrace
//! line (Go's `GODEBUG=schedtrace`), checked in a child process.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gort_runtime::time::sleep;
use gort_runtime::{Runtime, spawn};

#[test]
fn sleepers_wake_in_deadline_order_and_not_early() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let order = rt.block_on(|| {
        let order = Arc::new(Mutex::new(Vec::new()));
        // Spawned in scrambled order, 15 ms apart in deadline.
        let handles: Vec<_> = [3u64, 0, 4, 1, 2]
            .into_iter()
            .map(|i| {
                let order = order.clone();
                spawn(move || {
                    let start = Instant::now();
                    let d = Duration::from_millis(10 + 15 * i);
                    sleep(d);
                    assert!(start.elapsed() >= d, "woke early");
                    order.lock().unwrap().push(i);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        order.lock().unwrap().clone()
    });
    assert_eq!(order, [0, 1, 2, 3, 4]);
}

/// Many concurrent sleepers on one P: all wake, none much later than asked
/// (bounded generously: this is a liveness check, not a timing one).
#[test]
fn thousand_sleepers_all_wake() {
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
    let t = Instant::now();
    sleep(Duration::from_millis(5));
    assert!(t.elapsed() >= Duration::from_millis(5));
}

const CHILD_ENV: &str = "GORT_TEST_SCHEDTRACE_CHILD";

#[test]
fn schedtrace_prints_sched_lines() {
    if std::env::var_os(CHILD_ENV).is_some() {
        let rt = Runtime::builder().procs(2).build().unwrap();
        rt.block_on(|| sleep(Duration::from_millis(120)));
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "schedtrace_prints_sched_lines", "--nocapture"])
        .env(CHILD_ENV, "1")
        .env("GORT_DEBUG", "schedtrace=20")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<_> = stderr.lines().filter(|l| l.starts_with("SCHED ")).collect();
    assert!(lines.len() >= 2, "stderr: {stderr}");
    assert!(lines[0].contains("gomaxprocs=2 idleprocs="), "{}", lines[0]);
    assert!(lines[0].contains("runqueue="), "{}", lines[0]);
}
