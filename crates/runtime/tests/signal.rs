//! Go's `os/signal` on gort channels (`gort_runtime::signal`), checked the
//! way Go's signal_test.go checks `Notify`: a signal sent to the process
//! arrives on every channel subscribed to it, a full channel loses it
//! without holding up anyone else, and `Stop`/`Reset`/`Ignore` give the
//! signal back its old behaviour (tested in a child process, since that
//! behaviour is to kill it).
//!
//! Tests in this binary share one process and run in parallel, so each
//! test uses signals no other test touches. Every wait is bounded by
//! [`LIMIT`].
//!
//! The child halves do not inherit their signal dispositions: `nohup`, a
//! background job or a CI runner may start the suite with SIGINT or SIGTERM
//! ignored, and a signal ignored at start stays ignored after `reset` (as in
//! Go). [`run_child`] gives the signals they raise their default action
//! before the child starts.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use gort_runtime::chan::TryRecvError;
use gort_runtime::signal::{
    self, Notify, SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGSEGV, SIGSTOP, SIGTERM, SIGURG, SIGUSR1,
    SIGUSR2, SIGWINCH, Signal,
};
use gort_runtime::time::after;
use gort_runtime::{select, spawn};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

#[path = "support/dispositions.rs"]
mod dispositions;
use dispositions::default_dispositions;

/// The bound on every wait.
const LIMIT: Duration = Duration::from_secs(10);

/// Sends `sig` to this process (any thread may take it).
fn kill_self(sig: Signal) {
    // SAFETY: kill(2) with our own pid and a valid signal number.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig.as_raw()) }, 0);
}

/// Sends `sig` to the calling thread.
fn raise(sig: Signal) {
    // SAFETY: raise(3) only sends a signal to the calling thread.
    assert_eq!(unsafe { libc::raise(sig.as_raw()) }, 0);
}

/// The next signal on `n`, or `None` if none comes within [`LIMIT`].
fn recv_within_limit(n: &Notify) -> Option<Signal> {
    select! {
        recv(n.c) -> s => s,
        recv(after(LIMIT)) -> _ => None,
    }
}

#[test]
fn notify_wakes_a_parked_goroutine() {
    let _w = watchdog::start("notify_wakes_a_parked_goroutine", watchdog::LIMIT);
    gort_runtime::run(|| {
        let sigs = signal::notify(&[SIGUSR1]).unwrap();
        let waiter = spawn(move || sigs.c.recv());
        // Let the waiter park first (not required: the channel buffers).
        gort_runtime::yield_now();
        kill_self(SIGUSR1);
        assert_eq!(waiter.join().unwrap(), Some(SIGUSR1));
    });
}

#[test]
fn select_takes_a_signal_or_times_out() {
    let _w = watchdog::start("select_takes_a_signal_or_times_out", watchdog::LIMIT);
    gort_runtime::run(|| {
        let sigs = signal::notify(&[SIGHUP]).unwrap();
        // Nothing sent yet: the timer wins.
        let quiet = select! {
            recv(sigs.c) -> s => s,
            recv(after(Duration::from_millis(20))) -> _ => None,
        };
        assert_eq!(quiet, None);
        // Raised on this goroutine's own thread, inside the runtime.
        raise(SIGHUP);
        assert_eq!(recv_within_limit(&sigs), Some(SIGHUP));
    });
}

#[test]
fn every_subscriber_gets_its_own_copy() {
    let _w = watchdog::start("every_subscriber_gets_its_own_copy", watchdog::LIMIT);
    gort_runtime::run(|| {
        let a = signal::notify(&[SIGUSR2]).unwrap();
        let b = signal::notify(&[SIGUSR2]).unwrap();
        kill_self(SIGUSR2);
        assert_eq!(recv_within_limit(&a), Some(SIGUSR2));
        assert_eq!(recv_within_limit(&b), Some(SIGUSR2));

        // Stopping one leaves the other subscribed, and the signal caught.
        b.stop();
        kill_self(SIGUSR2);
        assert_eq!(recv_within_limit(&a), Some(SIGUSR2));

        // A new subscription after a stop works again.
        let c = signal::notify(&[SIGUSR2]).unwrap();
        kill_self(SIGUSR2);
        assert_eq!(recv_within_limit(&a), Some(SIGUSR2));
        assert_eq!(recv_within_limit(&c), Some(SIGUSR2));
    });
}

#[test]
fn a_full_channel_loses_the_signal_and_others_still_get_theirs() {
    let _w = watchdog::start(
        "a_full_channel_loses_the_signal_and_others_still_get_theirs",
        watchdog::LIMIT,
    );
    gort_runtime::run(|| {
        // Both default to "ignore", so a stray delivery is harmless.
        let full = signal::notify(&[SIGWINCH, SIGURG]).unwrap();
        let other = signal::notify_buffered(4, &[SIGURG, SIGCONT]).unwrap();

        raise(SIGWINCH);
        wait::until("SIGWINCH arrives on `full`", || !full.c.is_empty());
        // `full` has no room for SIGURG: the watcher must drop it there and
        // still hand it to `other`.
        raise(SIGURG);
        assert_eq!(recv_within_limit(&other), Some(SIGURG));
        // The watcher handles one signal at a time; once SIGCONT is through,
        // SIGURG has been offered to every subscriber.
        raise(SIGCONT);
        assert_eq!(recv_within_limit(&other), Some(SIGCONT));

        assert_eq!(full.c.try_recv(), Ok(SIGWINCH));
        assert_eq!(
            full.c.try_recv(),
            Err(TryRecvError::Empty),
            "SIGURG was queued"
        );
    });
}

#[test]
fn a_plain_thread_without_a_runtime_can_wait() {
    let _w = watchdog::start("a_plain_thread_without_a_runtime_can_wait", watchdog::LIMIT);
    let sig = Signal::from_raw(libc::SIGRTMIN() + 1).unwrap();
    let sigs = signal::notify(&[sig]).unwrap();
    let t = std::thread::spawn(move || sigs.c.recv());
    kill_self(sig);
    // A thread blocked in recv has nothing to time out on; the signal must
    // come, and the join is what the test harness would time out on.
    assert_eq!(t.join().unwrap(), Some(sig));
}

#[test]
fn subscriptions_come_and_go_under_a_stream_of_signals() {
    let _w = watchdog::start(
        "subscriptions_come_and_go_under_a_stream_of_signals",
        watchdog::LIMIT,
    );
    // One subscription holds the signal throughout (its default action
    // would kill the test); others start and stop while a thread keeps
    // sending it. Nothing may hang or die, every stopped channel ends
    // closed, and the holder still gets the signal at the end.
    let sig = Signal::from_raw(libc::SIGRTMIN() + 3).unwrap();
    gort_runtime::run(move || {
        let keep = signal::notify(&[sig]).unwrap();
        let sending = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = sending.clone();
        let sender = std::thread::spawn(move || {
            let mut n = 0u32;
            while flag.load(std::sync::atomic::Ordering::Relaxed) && n < 100_000 {
                kill_self(sig);
                n += 1;
                std::thread::yield_now();
            }
        });
        for _ in 0..200 {
            let n = signal::notify(&[sig]).unwrap();
            let c = n.c.clone();
            gort_runtime::yield_now();
            n.stop();
            // Drained, then closed: at most the one buffered signal.
            let mut got = 0;
            while let Some(s) = c.recv() {
                assert_eq!(s, sig);
                got += 1;
            }
            assert!(got <= 1, "{got} signals in a channel of capacity 1");
        }
        sending.store(false, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
        while keep.c.try_recv().is_ok() {}
        kill_self(sig);
        assert_eq!(recv_within_limit(&keep), Some(sig));
        // A real-time signal queues one instance per kill(2): some of the
        // stream may still be pending on the process. Dropping `keep` gives
        // the signal its default action back, and a pending instance would
        // then kill the test binary (seen once in a CI stress run). Ignoring
        // it first discards whatever is pending; reset then puts the
        // default back for the next test.
        signal::ignore(&[sig]).unwrap();
        drop(keep);
        signal::reset(&[sig]).unwrap();
    });
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let _w = watchdog::start("bad_requests_are_refused_with_a_reason", watchdog::LIMIT);
    let err = |r: std::io::Result<Notify>| r.unwrap_err();
    let e = err(signal::notify(&[]));
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("at least one signal"), "{e}");

    let e = err(signal::notify(&[SIGKILL]));
    assert_eq!(
        e.to_string(),
        "signal: notify: SIGKILL cannot be caught or ignored"
    );
    let e = err(signal::notify(&[SIGURG, SIGSTOP]));
    assert!(e.to_string().contains("SIGSTOP cannot be caught"), "{e}");
    let e = err(signal::notify(&[SIGSEGV]));
    assert!(e.to_string().contains("stack-overflow handler"), "{e}");
    let e = err(signal::notify_buffered(0, &[SIGURG]));
    assert!(e.to_string().contains("at least one"), "{e}");

    let e = signal::ignore(&[SIGSEGV]).unwrap_err();
    assert!(e.to_string().starts_with("signal: ignore: SIGSEGV"), "{e}");
    let e = signal::reset(&[]).unwrap_err();
    assert!(e.to_string().contains("at least one signal"), "{e}");
    // SIGSEGV still belongs to the runtime: nothing was ignored.
    assert!(!signal::ignored(SIGSEGV));
}

// ---------------------------------------------------------------------------
// Dispositions, checked in a child process.

/// Set in a child to the name of the test whose child half it runs.
const CHILD_ENV: &str = "GORT_SIGNAL_TEST_CHILD";

fn in_child(name: &str) -> bool {
    std::env::var_os(CHILD_ENV).is_some_and(|v| v == name)
}

/// Runs test `name` of this binary again in a child process, with the
/// dispositions of [`default_dispositions`]. The child never lives past
/// [`LIMIT`]: it is killed then.
fn run_child(name: &str) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    // SAFETY: the hook runs in the forked child before exec and calls only
    // async-signal-safe functions, allocating nothing.
    unsafe { cmd.pre_exec(default_dispositions) };
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    eprintln!(
        "child {name}: {:?}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn stop_gives_the_signal_its_default_action_back() {
    const NAME: &str = "stop_gives_the_signal_its_default_action_back";
    let _w = watchdog::start(NAME, watchdog::LIMIT);
    if in_child(NAME) {
        let sigs = signal::notify(&[SIGTERM]).unwrap();
        raise(SIGTERM); // caught: the process lives on
        assert_eq!(sigs.c.recv(), Some(SIGTERM));
        let c = sigs.c.clone();
        sigs.stop();
        assert_eq!(c.recv(), None, "stop closes the channel");
        eprintln!("child: raising SIGTERM after stop");
        raise(SIGTERM); // default again: this kills the process
        unreachable!("SIGTERM did not kill the process after stop");
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("raising SIGTERM after stop"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{:?}", out.status);
}

#[test]
fn reset_ends_subscriptions_and_restores_the_default() {
    const NAME: &str = "reset_ends_subscriptions_and_restores_the_default";
    let _w = watchdog::start(NAME, watchdog::LIMIT);
    if in_child(NAME) {
        gort_runtime::run(|| {
            let both = signal::notify(&[SIGINT, SIGHUP]).unwrap();
            let only_int = signal::notify(&[SIGINT]).unwrap();
            signal::reset(&[SIGINT]).unwrap();
            // Its one signal is gone: the subscription ended.
            assert_eq!(only_int.c.recv(), None);
            // SIGHUP is still relayed to the other.
            raise(SIGHUP);
            assert_eq!(recv_within_limit(&both), Some(SIGHUP));
            eprintln!("child: raising SIGINT after reset");
        });
        raise(SIGINT);
        unreachable!("SIGINT did not kill the process after reset");
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("raising SIGINT after reset"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{:?}", out.status);
}

#[test]
fn ignore_survives_the_signal_until_reset() {
    const NAME: &str = "ignore_survives_the_signal_until_reset";
    let _w = watchdog::start(NAME, watchdog::LIMIT);
    if in_child(NAME) {
        assert!(!signal::ignored(SIGTERM));
        let sigs = signal::notify(&[SIGTERM]).unwrap();
        signal::ignore(&[SIGTERM]).unwrap();
        assert!(signal::ignored(SIGTERM));
        assert_eq!(sigs.c.recv(), None, "ignore ends the subscription");
        raise(SIGTERM); // ignored
        eprintln!("child: survived an ignored SIGTERM");
        signal::reset(&[SIGTERM]).unwrap();
        assert!(!signal::ignored(SIGTERM));
        raise(SIGTERM);
        unreachable!("SIGTERM did not kill the process after reset");
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("survived an ignored SIGTERM"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{:?}", out.status);
}
