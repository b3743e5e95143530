//! Waiting on observable state instead of sleeping, shared by the
//! integration tests of every crate.
//!
//! A test that must act only once another goroutine has reached a point
//! ("the read is blocked, now close the socket") waits for that point to be
//! visible, never for a guessed time: [`parked`] waits until goroutines are
//! parked with a given [`WaitReason`] (as counted by
//! [`gort_runtime::parked`]), [`until`] until any predicate holds. Each wait
//! is bounded: if the state never comes, the test fails with a message
//! naming what it waited for, instead of racing on.
//!
//! Not a crate and not public API: a test file includes this file with
//!
//! ```ignore
//! #[path = "../../runtime/tests/support/wait.rs"] // from another crate
//! mod wait;
//!
//! // In a goroutine: `reader` blocks in a read, then the test closes.
//! wait::parked(WaitReason::IoWait, 1);
//! conn.close();
//! ```
//!
//! Between looks it yields: the goroutine to its P's other goroutines (so
//! one pinned to the same thread gets to run and park), a plain thread to
//! the OS. Every 64th pause is a 50 µs sleep instead, so that a long wait
//! does not hold a CPU the awaited goroutine needs, and so that the waiter's
//! P goes through the netpoller. (The waiter, while in that sleep, is not
//! looking, so it never counts itself; a wait for goroutines parked in
//! [`WaitReason::Sleep`] only yields, since another waiter's pause would be
//! counted.)

// Each test binary uses its own part of this file.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::fmt::Display;
use std::time::{Duration, Instant};

pub use gort_runtime::WaitReason;

/// How long a wait may take before the test fails: far beyond what the
/// awaited step takes on a loaded 2-core machine in a debug build, and well
/// inside the watchdog's limit, so the failure names the wait.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Waits until `cond` holds, looking again after each yield.
///
/// # Panics
///
/// After [`LIMIT`], naming `what`.
pub fn until(what: impl Display, cond: impl FnMut() -> bool) {
    until_else(cond, true, || what.to_string());
}

/// Waits, from inside a goroutine, until at least `n` goroutines of its
/// runtime are parked with `reason`.
///
/// # Panics
///
/// After [`LIMIT`], with the count last seen.
pub fn parked(reason: WaitReason, n: usize) {
    parked_in(reason, n, || gort_runtime::parked(reason));
}

/// [`parked`] for a plain thread that holds the runtime.
pub fn parked_on(rt: &gort_runtime::Runtime, reason: WaitReason, n: usize) {
    parked_in(reason, n, || rt.parked(reason));
}

fn parked_in(reason: WaitReason, n: usize, count: impl Fn() -> usize) {
    let seen = Cell::new(0);
    until_else(
        || {
            seen.set(count());
            seen.get() >= n
        },
        reason != WaitReason::Sleep,
        || {
            format!(
                "{n} goroutine(s) were parked in [{reason}] ({} were)",
                seen.get()
            )
        },
    );
}

/// Waits until the thread `tid` of this process is blocked in `poll(2)` (or
/// `ppoll(2)`): for a plain thread, which no runtime counts, waiting for
/// readiness the way gort-poll makes it wait outside a goroutine.
///
/// # Panics
///
/// After [`LIMIT`], with the thread's last `syscall` line.
pub fn thread_polling(tid: rustix::thread::Pid) {
    // x86_64 system call numbers (gort runs there only).
    thread_in(tid, "poll(2)", &["7", "271"]);
}

/// Waits until the thread `tid` of this process is blocked in `futex(2)`:
/// for a plain thread, waiting on one of gort's `sync` primitives.
///
/// # Panics
///
/// After [`LIMIT`], with the thread's last `syscall` line.
pub fn thread_in_futex(tid: rustix::thread::Pid) {
    thread_in(tid, "futex(2)", &["202"]);
}

/// Waits until `/proc/self/task/<tid>/syscall` shows the thread blocked in
/// one of the system calls numbered `calls` (its first field).
fn thread_in(tid: rustix::thread::Pid, name: &str, calls: &[&str]) {
    let path = format!("/proc/self/task/{}/syscall", tid.as_raw_nonzero());
    let line = RefCell::new(String::new());
    until_else(
        || {
            *line.borrow_mut() = std::fs::read_to_string(&path).unwrap_or_default();
            let nr = line.borrow().split_whitespace().next().map(str::to_owned);
            nr.is_some_and(|nr| calls.contains(&nr.as_str()))
        },
        true,
        || {
            format!(
                "thread {tid:?} was blocked in {name} (last seen: {:?})",
                line.borrow()
            )
        },
    );
}

/// The loop behind every wait: looks at `cond` until it holds, pausing in
/// between (with a short sleep now and then if `may_sleep`); after
/// [`LIMIT`] panics with "gave up ... waiting until " and `what()`.
fn until_else(mut cond: impl FnMut() -> bool, may_sleep: bool, what: impl FnOnce() -> String) {
    let deadline = Instant::now() + LIMIT;
    let mut looks = 0u32;
    while !cond() {
        if Instant::now() >= deadline {
            panic!("gave up after {LIMIT:?} waiting until {}", what());
        }
        looks += 1;
        pause(looks, may_sleep);
    }
}

/// Lets others run before look number `looks + 1`: a yield, or every 64th
/// time a short sleep if `may_sleep`.
fn pause(looks: u32, may_sleep: bool) {
    const BACKOFF: Duration = Duration::from_micros(50);
    let in_goroutine = gort_runtime::goid().is_some();
    match (in_goroutine, may_sleep && looks.is_multiple_of(64)) {
        (true, true) => gort_runtime::time::sleep(BACKOFF),
        (true, false) => gort_runtime::yield_now(),
        (false, true) => std::thread::sleep(BACKOFF),
        (false, false) => std::thread::yield_now(),
    }
}
