//! The tests' watchdog (`tests/support/watchdog.rs`): a test that hangs
//! fails the binary with its name and the threads' state, and a test that
//! finishes disarms it. The hang happens in a child process (this binary
//! re-run with [`CHILD_ENV`] set), since the watchdog ends its process.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

#[path = "support/watchdog.rs"]
mod watchdog;

/// Set in the child to the name of the test whose child half it runs.
const CHILD_ENV: &str = "GORT_WATCHDOG_TEST_CHILD";

/// Runs test `name` of this binary again in a child process and returns
/// what it did. The child is bounded by its own watchdog.
fn run_child(name: &str, gdb: bool) -> Output {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .env("GORT_WATCHDOG_GDB", if gdb { "1" } else { "0" })
        .stdin(Stdio::null())
        .output()
        .unwrap();
    eprintln!(
        "child {name}: {:?}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn in_child(name: &str) -> bool {
    std::env::var_os(CHILD_ENV).is_some_and(|v| v == name)
}

#[test]
fn a_hung_test_fails_with_its_name_and_the_threads_it_left() {
    const NAME: &str = "a_hung_test_fails_with_its_name_and_the_threads_it_left";
    if in_child(NAME) {
        // A watchdog that is dropped in time stays silent...
        drop(watchdog::start(
            "finished_in_time",
            Duration::from_millis(300),
        ));
        // ...and this one fires: the main goroutine waits on a channel
        // whose sender is alive and never sends.
        let _w = watchdog::start(NAME, Duration::from_secs(2));
        gort_runtime::run(|| {
            let (tx, rx) = gort_runtime::chan::bounded::<()>(0);
            let _never = rx.recv();
            drop(tx);
        });
        unreachable!("the receive returned");
    }
    let out = run_child(NAME, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{:?}", out.status);
    let first = stderr
        .lines()
        .find(|l| l.contains("not done after"))
        .unwrap_or_else(|| panic!("no watchdog report in\n{stderr}"));
    assert_eq!(first, format!("{NAME}: not done after 2s; failing"));
    assert!(!stderr.contains("finished_in_time"), "{stderr}");
    // The thread list shows the runtime's threads and the test's own.
    assert!(stderr.contains("gort-m"), "{stderr}");
    assert!(stderr.contains("gort-sysmon"), "{stderr}");
    assert!(stderr.contains(&NAME[..15]), "{stderr}");
    assert!(stderr.contains(&format!("{NAME}: failed by its watchdog")));
}

#[test]
fn expiry_runs_the_tests_cleanup_before_the_process_ends() {
    const NAME: &str = "expiry_runs_the_tests_cleanup_before_the_process_ends";
    if in_child(NAME) {
        let w = watchdog::start(NAME, Duration::from_millis(500));
        w.on_expiry(|| eprintln!("cleanup ran"));
        // A plain thread blocked forever (on a channel nobody sends on).
        let (_tx, rx) = std::sync::mpsc::channel::<()>();
        let _ = rx.recv();
        unreachable!("the receive returned");
    }
    let out = run_child(NAME, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{:?}", out.status);
    assert!(out.status.signal().is_none());
    let report = stderr.find("not done after 500ms").expect("no report");
    let cleanup = stderr.find("cleanup ran").expect("the cleanup did not run");
    assert!(report < cleanup, "{stderr}");
}
