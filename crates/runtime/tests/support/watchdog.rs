//! A per-test watchdog, shared by the integration tests of every crate: a
//! test that can block on the network or on goroutines arms one first
//! thing, and if the test has not finished when the limit runs out, the
//! whole test binary fails at once with the test's name instead of hanging
//! until CI's time limit.
//!
//! Not a crate and not public API: a test file includes this file with
//!
//! ```ignore
//! #[path = "../../runtime/tests/support/watchdog.rs"] // from another crate
//! mod watchdog;
//!
//! #[test]
//! fn reads_what_was_written() {
//!     let _w = watchdog::start("reads_what_was_written", watchdog::LIMIT);
//!     // ...
//! }
//! ```
//!
//! Arm it before anything else in the test (a runtime included), so that
//! everything the test builds is dropped while it is still armed: a hang
//! in `Runtime::drop` is caught too. Dropping the [`Watchdog`] disarms it,
//! also when the test panics.
//!
//! On expiry it writes `<name>: not done after <limit>; failing` to stderr
//! (straight to the file descriptor: libtest's capture of `eprintln!` would
//! die unprinted with the process), then what it can of the runtime's
//! state: every thread of the process with its name (`gort-m3`,
//! `gort-sysmon`, the test threads, named after their tests) and the system
//! call it is blocked in, and, when `gdb` is installed and may attach,
//! every thread's stack (`GORT_WATCHDOG_GDB=0` skips that). Then it runs the test's
//! [`Watchdog::on_expiry`] actions (killing a child process) and exits the
//! process with status 101, libtest's status for failed tests. Run the
//! binary with `GORT_DEBUG=schedtrace=200` and `--nocapture` to have the
//! scheduler's `SCHED` lines on stderr as well.
//!
//! The limits are generous (a minute for most tests in a debug build): the
//! watchdog is a hang detector, never a timing assertion.

// Each test binary uses its own part of this file.
#![allow(dead_code)]

use std::io::Write;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The limit for a test that does a bounded amount of work (a few seconds
/// at most in a debug build on a loaded 2-core machine).
pub const LIMIT: Duration = Duration::from_secs(60);

/// Exit status on expiry: libtest's for a failed test.
const EXIT_STATUS: i32 = 101;

/// How long gdb may take to print the stacks before it is killed.
const GDB_LIMIT: Duration = Duration::from_secs(60);

/// Actions to run on expiry, before the process exits.
type Actions = Arc<Mutex<Vec<Box<dyn FnOnce() + Send>>>>;

/// Armed until dropped; see the module docs.
#[must_use = "the watchdog is disarmed when this is dropped"]
pub struct Watchdog {
    /// Dropping it wakes the watching thread, which then returns.
    _disarm: mpsc::Sender<()>,
    on_expiry: Actions,
}

/// Arms a watchdog for the test `name`: if it is not dropped within
/// `limit`, the process fails (see the module docs).
pub fn start(name: &str, limit: Duration) -> Watchdog {
    let (disarm, disarmed) = mpsc::channel::<()>();
    let on_expiry: Actions = Arc::default();
    let actions = Arc::clone(&on_expiry);
    let name = name.to_owned();
    std::thread::Builder::new()
        .name(format!("watchdog {name}"))
        .spawn(move || {
            // Only a timeout fires: a drop disconnects the channel.
            if let Err(RecvTimeoutError::Timeout) = disarmed.recv_timeout(limit) {
                expire(&name, limit, &actions);
            }
        })
        .expect("cannot start the watchdog thread");
    Watchdog {
        _disarm: disarm,
        on_expiry,
    }
}

impl Watchdog {
    /// Runs `f` on expiry, after the report and before the process exits
    /// (e.g. to kill a child process that would outlive the test).
    pub fn on_expiry(&self, f: impl FnOnce() + Send + 'static) {
        self.on_expiry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(f));
    }
}

/// Reports the hang, runs the test's actions and ends the process.
fn expire(name: &str, limit: Duration, actions: &Actions) -> ! {
    let mut report = format!("{name}: not done after {limit:?}; failing\n");
    report.push_str(&threads());
    report.push_str(
        "(GORT_DEBUG=schedtrace=200 with --nocapture prints the scheduler's SCHED lines)\n",
    );
    let _ = std::io::stderr().write_all(report.as_bytes());
    if std::env::var_os("GORT_WATCHDOG_GDB").is_none_or(|v| v != "0") {
        stacks();
    }
    let actions = std::mem::take(&mut *actions.lock().unwrap_or_else(PoisonError::into_inner));
    for f in actions {
        f();
    }
    let _ = std::io::stderr().write_all(format!("{name}: failed by its watchdog\n").as_bytes());
    std::process::exit(EXIT_STATUS);
}

/// Every thread of this process: id, name, scheduler state and the system
/// call it is in (from `/proc/self/task`).
fn threads() -> String {
    let mut out = String::from("threads (id, name, state, system call):\n");
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out + "  /proc/self/task unreadable\n";
    };
    let mut tasks: Vec<_> = tasks.flatten().map(|t| t.path()).collect();
    tasks.sort();
    for task in tasks {
        let read = |f: &str| std::fs::read_to_string(task.join(f)).unwrap_or_default();
        let id = task.file_name().unwrap_or_default().to_string_lossy();
        let name = read("comm");
        // `pid (comm) S ...`: the state follows the last parenthesis.
        let stat = read("stat");
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split(' ').next())
            .unwrap_or("?");
        let call = syscall_name(&read("syscall"));
        out.push_str(&format!("  {id} {:<16} {state} {call}\n", name.trim()));
    }
    out
}

/// Names the system call of a `/proc/<pid>/task/<tid>/syscall` line (its
/// first field is the number on this architecture, or `running`).
fn syscall_name(line: &str) -> String {
    let first = line.split_whitespace().next().unwrap_or("?");
    let Ok(nr) = first.parse::<u32>() else {
        return first.to_owned();
    };
    // The x86_64 numbers a hung test is usually found in.
    let name = match nr {
        0 => "read",
        1 => "write",
        7 => "poll",
        23 => "select",
        35 => "nanosleep",
        40 => "sendfile",
        42 => "connect",
        43 => "accept",
        44 => "sendto",
        45 => "recvfrom",
        46 => "sendmsg",
        47 => "recvmsg",
        61 => "wait4",
        202 => "futex",
        230 => "clock_nanosleep",
        232 => "epoll_wait",
        247 => "waitid",
        270 => "pselect6",
        271 => "ppoll",
        275 => "splice",
        281 => "epoll_pwait",
        288 => "accept4",
        441 => "epoll_pwait2",
        _ => return format!("syscall {nr}"),
    };
    name.to_owned()
}

/// Prints every thread's stack with gdb, if it is installed and allowed to
/// attach; bounded by [`GDB_LIMIT`]. Where Yama's `ptrace_scope` is 1 (as on
/// Ubuntu), only an ancestor may attach unless the process allowed it;
/// `cargo xtask stress` allows it for the tests it runs.
fn stacks() {
    let Ok(out) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return;
    };
    let gdb = Command::new("gdb")
        .args(["-p", &std::process::id().to_string(), "-batch", "-nx", "-q"])
        .args(["-ex", "set pagination off"])
        .args(["-ex", "set print frame-arguments none"])
        .args(["-ex", "thread apply all bt"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut gdb) = gdb else {
        let _ = std::io::stderr().write_all(b"(no stacks: gdb is not installed)\n");
        return;
    };
    let _ = std::io::stderr().write_all(b"stacks (gdb; GORT_WATCHDOG_GDB=0 skips this):\n");
    // gdb's complaints, read aside so that a full pipe cannot stall it.
    let mut complaints = gdb.stderr.take().expect("piped");
    let complaints = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut complaints, &mut s);
        s
    });
    let deadline = Instant::now() + GDB_LIMIT;
    while let Ok(None) = gdb.try_wait() {
        if Instant::now() > deadline {
            let _ = gdb.kill();
            let _ = gdb.wait();
            let _ = std::io::stderr().write_all(b"(gdb killed after 60 s)\n");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let complaints = complaints.join().unwrap_or_default();
    if let Some(line) = complaints.lines().find(|l| l.contains("ptrace")) {
        let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope");
        let scope = scope.as_deref().map_or("?", str::trim);
        let note = format!("(no stacks: {line}; kernel.yama.ptrace_scope = {scope})\n");
        let _ = std::io::stderr().write_all(note.as_bytes());
    }
}
