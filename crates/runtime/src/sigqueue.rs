//! Mirrors Go src/runtime/sigqueue.go and src/os/signal/signal.go, src/os/signal/signal_unix.go (go1.27): signals delivered to goroutines on channels (os/signal.Notify).
//!
//! A signal handler may do almost nothing: no locks, no allocation, nothing
//! that could be half-done on the thread it interrupted. So delivery is
//! split in two, as in Go. The handler ([`sigsend`]) only sets the signal's
//! bit in a pending mask and wakes a dedicated watcher thread; the watcher
//! ([`signal_recv`], then [`process`]) takes the bits and, like Go's
//! `os/signal` loop, offers each signal with `try_send` to every channel
//! registered for it. A channel that is full loses the signal rather than
//! stall the watcher, so give a channel room for the signals it must not
//! miss (one is enough for a shutdown signal). Several arrivals of one
//! signal before the watcher runs count once, as they do in the kernel.
//!
//! The handler and the watcher meet in one state word (`SIG_STATE`) and a
//! futex ([`SigNote`]), both async-signal-safe: the watcher announces that
//! it is about to sleep (`RECEIVING`), a handler that sees this wakes it,
//! and a handler that finds the watcher busy (`IDLE`) marks that more work
//! is pending (`SENDING`) so the watcher looks at the mask again before it
//! sleeps. The futex is Go's `note` on Linux; gort's other notes
//! (`lock_futex.rs`) use a mutex and cannot be touched from a handler.
//!
//! The user-facing half, Go's `os/signal`, keeps the registrations under a
//! lock: [`notify`] installs the handler for a signal when its first
//! subscriber arrives, and [`Notify::stop`] (or dropping the [`Notify`]) and
//! [`reset`] put back the disposition the signal had before gort touched it
//! once its last subscriber leaves. As in Go's `Stop`, a subscription being
//! stopped still receives the signals that were caught before, and once
//! `stop` returns it receives nothing more: `stop` waits until the watcher
//! has delivered everything in flight.
//!
//! gort owns no signal by default (a Go program catches them all); the
//! fault signals `SIGSEGV` and `SIGBUS` belong to the stack-overflow handler
//! of `signal_unix.rs`, and faults cannot be relayed anyway: a handler that
//! returns runs the faulting instruction again.

use std::ffi::c_void;
use std::fmt;
use std::io;
use std::mem;
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use libc::{c_int, siginfo_t};
use parking_lot::Mutex;
use rustix::thread::futex;

use crate::chan::{Receiver, Sender, bounded};

/// One more than the largest signal number gort relays: Linux numbers its
/// signals 1 to 64 (Go's `numSig`, 65, is the same bound).
const NSIG: usize = 65;

// ---------------------------------------------------------------------------
// Signals.

/// A Unix signal (Go's `os.Signal` as a `syscall.Signal`).
///
/// `Display` gives Go's text (`interrupt`, `terminated`, `signal 34`),
/// `Debug` and [`name`](Signal::name) the C name (`SIGINT`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(c_int);

/// Hangup: the controlling terminal went away; daemons take it as "reload".
pub const SIGHUP: Signal = Signal(libc::SIGHUP);
/// Interrupt from the keyboard (Ctrl-C); Go's `os.Interrupt`.
pub const SIGINT: Signal = Signal(libc::SIGINT);
/// Quit from the keyboard (Ctrl-\).
pub const SIGQUIT: Signal = Signal(libc::SIGQUIT);
/// Illegal instruction: a fault, which gort does not relay.
pub const SIGILL: Signal = Signal(libc::SIGILL);
/// Trace or breakpoint trap.
pub const SIGTRAP: Signal = Signal(libc::SIGTRAP);
/// Abort, from `abort(3)`.
pub const SIGABRT: Signal = Signal(libc::SIGABRT);
/// Bus error: a fault, owned by the runtime's stack-overflow handler.
pub const SIGBUS: Signal = Signal(libc::SIGBUS);
/// Arithmetic fault: not relayed.
pub const SIGFPE: Signal = Signal(libc::SIGFPE);
/// Kill; cannot be caught or ignored (Go's `os.Kill`).
pub const SIGKILL: Signal = Signal(libc::SIGKILL);
/// User-defined signal 1.
pub const SIGUSR1: Signal = Signal(libc::SIGUSR1);
/// Segmentation fault: owned by the runtime's stack-overflow handler.
pub const SIGSEGV: Signal = Signal(libc::SIGSEGV);
/// User-defined signal 2.
pub const SIGUSR2: Signal = Signal(libc::SIGUSR2);
/// Write to a pipe or socket with no reader (Rust programs ignore it).
pub const SIGPIPE: Signal = Signal(libc::SIGPIPE);
/// Timer from `alarm(2)`.
pub const SIGALRM: Signal = Signal(libc::SIGALRM);
/// Termination request, what `kill` and service managers send.
pub const SIGTERM: Signal = Signal(libc::SIGTERM);
/// A child process stopped or exited.
pub const SIGCHLD: Signal = Signal(libc::SIGCHLD);
/// Continue if stopped.
pub const SIGCONT: Signal = Signal(libc::SIGCONT);
/// Stop; cannot be caught or ignored.
pub const SIGSTOP: Signal = Signal(libc::SIGSTOP);
/// Stop from the terminal (Ctrl-Z).
pub const SIGTSTP: Signal = Signal(libc::SIGTSTP);
/// Terminal input for a background process.
pub const SIGTTIN: Signal = Signal(libc::SIGTTIN);
/// Terminal output for a background process.
pub const SIGTTOU: Signal = Signal(libc::SIGTTOU);
/// Urgent data on a socket.
pub const SIGURG: Signal = Signal(libc::SIGURG);
/// CPU time limit exceeded.
pub const SIGXCPU: Signal = Signal(libc::SIGXCPU);
/// File size limit exceeded.
pub const SIGXFSZ: Signal = Signal(libc::SIGXFSZ);
/// Virtual timer expired.
pub const SIGVTALRM: Signal = Signal(libc::SIGVTALRM);
/// Profiling timer expired.
pub const SIGPROF: Signal = Signal(libc::SIGPROF);
/// The terminal window changed size.
pub const SIGWINCH: Signal = Signal(libc::SIGWINCH);
/// I/O is possible on a descriptor set up for it.
pub const SIGIO: Signal = Signal(libc::SIGIO);
/// Power failure.
pub const SIGPWR: Signal = Signal(libc::SIGPWR);
/// Bad system call (seccomp).
pub const SIGSYS: Signal = Signal(libc::SIGSYS);

impl Signal {
    /// The signal numbered `n`, if Linux has one: 1 to 31, or a real-time
    /// signal from `SIGRTMIN` to `SIGRTMAX` (the C library keeps the two
    /// below `SIGRTMIN` for itself).
    ///
    /// ```
    /// use gort_runtime::signal::{SIGTERM, Signal};
    /// assert_eq!(Signal::from_raw(15), Some(SIGTERM));
    /// assert_eq!(Signal::from_raw(0), None);
    /// assert_eq!(Signal::from_raw(65), None);
    /// ```
    pub fn from_raw(n: i32) -> Option<Signal> {
        let standard = (1..32).contains(&n);
        let realtime = (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&n);
        (standard || realtime).then_some(Signal(n))
    }

    /// The signal's number.
    pub fn as_raw(self) -> i32 {
        self.0
    }

    /// The C name (`"SIGTERM"`), or `None` for a real-time signal.
    pub fn name(self) -> Option<&'static str> {
        self.names().map(|(name, _)| name)
    }

    /// The C name and Go's description.
    fn names(self) -> Option<(&'static str, &'static str)> {
        Some(match self.0 {
            libc::SIGHUP => ("SIGHUP", "hangup"),
            libc::SIGINT => ("SIGINT", "interrupt"),
            libc::SIGQUIT => ("SIGQUIT", "quit"),
            libc::SIGILL => ("SIGILL", "illegal instruction"),
            libc::SIGTRAP => ("SIGTRAP", "trace/breakpoint trap"),
            libc::SIGABRT => ("SIGABRT", "aborted"),
            libc::SIGBUS => ("SIGBUS", "bus error"),
            libc::SIGFPE => ("SIGFPE", "floating point exception"),
            libc::SIGKILL => ("SIGKILL", "killed"),
            libc::SIGUSR1 => ("SIGUSR1", "user defined signal 1"),
            libc::SIGSEGV => ("SIGSEGV", "segmentation fault"),
            libc::SIGUSR2 => ("SIGUSR2", "user defined signal 2"),
            libc::SIGPIPE => ("SIGPIPE", "broken pipe"),
            libc::SIGALRM => ("SIGALRM", "alarm clock"),
            libc::SIGTERM => ("SIGTERM", "terminated"),
            libc::SIGSTKFLT => ("SIGSTKFLT", "stack fault"),
            libc::SIGCHLD => ("SIGCHLD", "child exited"),
            libc::SIGCONT => ("SIGCONT", "continued"),
            libc::SIGSTOP => ("SIGSTOP", "stopped (signal)"),
            libc::SIGTSTP => ("SIGTSTP", "stopped"),
            libc::SIGTTIN => ("SIGTTIN", "stopped (tty input)"),
            libc::SIGTTOU => ("SIGTTOU", "stopped (tty output)"),
            libc::SIGURG => ("SIGURG", "urgent I/O condition"),
            libc::SIGXCPU => ("SIGXCPU", "CPU time limit exceeded"),
            libc::SIGXFSZ => ("SIGXFSZ", "file size limit exceeded"),
            libc::SIGVTALRM => ("SIGVTALRM", "virtual timer expired"),
            libc::SIGPROF => ("SIGPROF", "profiling timer expired"),
            libc::SIGWINCH => ("SIGWINCH", "window changed"),
            libc::SIGIO => ("SIGIO", "I/O possible"),
            libc::SIGPWR => ("SIGPWR", "power failure"),
            libc::SIGSYS => ("SIGSYS", "bad system call"),
            _ => return None,
        })
    }

    /// This signal's bit in the masks: bit `n - 1` for signal `n`.
    fn bit(self) -> u64 {
        1 << (self.0 - 1)
    }

    /// Why gort refuses to relay or ignore this signal, if it does.
    fn refusal(self) -> Option<&'static str> {
        match self.0 {
            libc::SIGKILL | libc::SIGSTOP => Some("cannot be caught or ignored"),
            libc::SIGSEGV | libc::SIGBUS => Some(
                "is a fault signal, owned by the runtime's stack-overflow handler; \
                 it cannot be relayed",
            ),
            libc::SIGILL | libc::SIGFPE => Some("is a fault signal; it cannot be relayed"),
            _ => None,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.names() {
            Some((_, text)) => f.write_str(text),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "SIGRTMIN+{}", self.0 - libc::SIGRTMIN()),
        }
    }
}

// ---------------------------------------------------------------------------
// The handler's side (Go's runtime/sigqueue.go).

/// The watcher is busy, or has not started: nothing is pending for it
/// beyond what it will look at anyway. (Go's `sigIdle`.)
const SIG_IDLE: u32 = 0;
/// The watcher found nothing pending and sleeps, or is about to, on
/// [`SIG_NOTE`]: a handler must wake it. (Go's `sigReceiving`.)
const SIG_RECEIVING: u32 = 1;
/// A handler set a bit while the watcher was busy: it must read
/// [`SIG_MASK`] again before it sleeps. (Go's `sigSending`.)
const SIG_SENDING: u32 = 2;

/// Signals caught and not yet taken by the watcher; bit `n - 1` is signal
/// `n`. Set by handlers, swapped to zero by the watcher.
///
/// Every access to `SIG_MASK`, [`SIG_STATE`], [`SIG_WANTED`] and
/// [`SIG_DELIVERING`] is `SeqCst`: both sides write one of these words and
/// then read another (a handler sets its mask bit, then reads the state; the
/// watcher moves the state, then takes the mask; `stop` clears a wanted bit,
/// then reads the delivering count, which a handler raises before it reads
/// the wanted bits). Those store-load pairs need a single total order, or
/// each side could miss the other's write and a signal would sit in the
/// mask with nobody woken for it. These are a few operations per signal.
#[doc(alias = "sig.mask")]
static SIG_MASK: AtomicU64 = AtomicU64::new(0);

/// The signals some subscriber wants (Go's `sig.wanted`), bit `n - 1` for
/// signal `n`. Written under the registry lock, read by the handler: a
/// caught signal that is no longer wanted is passed to the disposition gort
/// replaced. `SeqCst`: see [`SIG_MASK`].
#[doc(alias = "sig.wanted")]
static SIG_WANTED: AtomicU64 = AtomicU64::new(0);

/// The handshake between handlers and the watcher (Go's `sig.state`):
/// [`SIG_IDLE`], [`SIG_RECEIVING`] or [`SIG_SENDING`]. Moves only by
/// compare-and-swap; `SeqCst`: see [`SIG_MASK`].
///
/// | from        | to          | by      | when                                   |
/// |-------------|-------------|---------|----------------------------------------|
/// | `IDLE`      | `RECEIVING` | watcher | nothing left to deliver: it sleeps     |
/// | `SENDING`   | `IDLE`      | watcher | more is pending: it reads the mask     |
/// | `IDLE`      | `SENDING`   | handler | a bit was set while the watcher works  |
/// | `RECEIVING` | `IDLE`      | handler | the watcher sleeps: the handler wakes it |
#[doc(alias = "sig.state")]
static SIG_STATE: AtomicU32 = AtomicU32::new(SIG_IDLE);

/// Handlers currently inside [`sigsend`] (Go's `sig.delivering`): `stop`
/// waits for zero so that no handler is still on its way with a signal it
/// read as wanted. `SeqCst`: see [`SIG_MASK`].
#[doc(alias = "sig.delivering")]
static SIG_DELIVERING: AtomicU32 = AtomicU32::new(0);

/// Wakes the watcher when it sleeps in [`SIG_RECEIVING`] (Go's `sig.note`).
static SIG_NOTE: SigNote = SigNote::new();

/// For each signal gort has installed its handler for, the handler it
/// replaced (`sa_sigaction`: `SIG_DFL`, `SIG_IGN` or a function) and that
/// handler's flags; the handler passes a signal nobody wants any more there.
/// Written under the registry lock before gort's handler is installed for
/// the signal, so Relaxed stores suffice for a handler that can only run
/// after that `sigaction(2)`; the handler's Relaxed loads see them because
/// the kernel delivers the signal after the installing call returns.
static FWD_HANDLER: [AtomicUsize; NSIG] = [const { AtomicUsize::new(libc::SIG_DFL) }; NSIG];
/// The `sa_flags` of [`FWD_HANDLER`]'s handler, same index.
static FWD_FLAGS: [AtomicI32; NSIG] = [const { AtomicI32::new(0) }; NSIG];

/// A one-shot wake-up for the watcher thread that a signal handler may
/// trigger: a futex word, `0` clear, `1` woken (Go's `note` on Linux,
/// `lock_futex.go`). One sleeper, the watcher.
struct SigNote {
    /// `0` or `1`. The waker's swap is Release and the sleeper's load
    /// Acquire, so what the handler wrote before waking is visible to the
    /// watcher after it wakes (the SeqCst words above are ordered anyway).
    key: AtomicU32,
}

impl SigNote {
    const fn new() -> SigNote {
        SigNote {
            key: AtomicU32::new(0),
        }
    }

    /// Sets the note and wakes the sleeper (Go's `notewakeup`).
    /// Async-signal-safe: an atomic swap and a `futex(2)` call.
    fn wakeup(&self) {
        if self.key.swap(1, Ordering::Release) != 0 {
            // Only the handler that moves RECEIVING → IDLE wakes, once per
            // sleep.
            signal_fatal(b"fatal error: runtime: signal note woken twice\n");
        }
        let _ = futex::wake(&self.key, futex::Flags::PRIVATE, 1);
    }

    /// Sleeps until [`wakeup`](Self::wakeup), then re-arms (Go's `notesleep`
    /// and `noteclear`). Only the watcher sleeps here.
    fn sleep(&self) {
        while self.key.load(Ordering::Acquire) == 0 {
            // EAGAIN (already woken) and EINTR (a signal landed on this
            // thread) both just mean: look again.
            let _ = futex::wait(&self.key, futex::Flags::PRIVATE, 0, None);
        }
        // Relaxed: nobody wakes again until the watcher announces, by a
        // SeqCst CAS of SIG_STATE after this store, that it sleeps again.
        self.key.store(0, Ordering::Relaxed);
    }
}

// ANCHOR: sigsend
/// Queues signal `sig` for the watcher; returns false if nobody wants it
/// (Go's `sigsend`). Runs in the signal handler: only atomics and `futex`.
fn sigsend(sig: c_int) -> bool {
    if !(1..NSIG as c_int).contains(&sig) {
        return false;
    }
    let bit = Signal(sig).bit();
    SIG_DELIVERING.fetch_add(1, Ordering::SeqCst);
    if SIG_WANTED.load(Ordering::SeqCst) & bit == 0 {
        SIG_DELIVERING.fetch_sub(1, Ordering::SeqCst);
        return false;
    }
    if SIG_MASK.fetch_or(bit, Ordering::SeqCst) & bit != 0 {
        // Already pending: the watcher will deliver it once.
        SIG_DELIVERING.fetch_sub(1, Ordering::SeqCst);
        return true;
    }
    // Tell the watcher there is a new bit.
    loop {
        let state = SIG_STATE.load(Ordering::SeqCst);
        let next = match state {
            SIG_IDLE => SIG_SENDING,
            SIG_SENDING => break, // it will look at the mask again anyway
            SIG_RECEIVING => SIG_IDLE,
            _ => signal_fatal(b"fatal error: runtime: sigsend: inconsistent state\n"),
        };
        if SIG_STATE
            .compare_exchange(state, next, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            if state == SIG_RECEIVING {
                SIG_NOTE.wakeup();
            }
            break;
        }
    }
    SIG_DELIVERING.fetch_sub(1, Ordering::SeqCst);
    true
}
// ANCHOR_END: sigsend

/// The handler gort installs for a subscribed signal (the relaying half of
/// Go's `sighandler`). Async-signal-safe; keeps `errno` as it found it, since
/// it may interrupt code between a failing call and its `errno` read.
extern "C" fn sigqueue_handler(sig: c_int, info: *mut siginfo_t, ctx: *mut c_void) {
    // SAFETY: `__errno_location` returns this thread's errno slot, always
    // valid; reading and restoring it is what every handler must do.
    let saved = unsafe { *libc::__errno_location() };
    if !sigsend(sig) {
        sigfwd(sig, info, ctx);
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

/// Passes a signal that nobody wants any more (a subscription stopped while
/// the signal was on its way) to the disposition gort had replaced (Go's
/// `sigfwdgo`). By the time the wanted bit is cleared that disposition is
/// back in place, so a default action is obtained by raising the signal
/// again: it stays blocked until this handler returns, then the kernel
/// applies the default.
#[doc(alias = "sigfwdgo")]
fn sigfwd(sig: c_int, info: *mut siginfo_t, ctx: *mut c_void) {
    let Some(i) = usize::try_from(sig).ok().filter(|&i| i < NSIG) else {
        return;
    };
    let handler = FWD_HANDLER[i].load(Ordering::Relaxed);
    let flags = FWD_FLAGS[i].load(Ordering::Relaxed);
    match handler {
        libc::SIG_IGN => {}
        libc::SIG_DFL => {
            // SAFETY: raise(3) is async-signal-safe and takes a signal number.
            unsafe { libc::raise(sig) };
        }
        f if flags & libc::SA_SIGINFO != 0 => {
            // SAFETY: a handler installed with SA_SIGINFO has this signature;
            // `info` and `ctx` are the kernel's, passed on unchanged.
            let f = unsafe {
                mem::transmute::<usize, extern "C" fn(c_int, *mut siginfo_t, *mut c_void)>(f)
            };
            f(sig, info, ctx);
        }
        f => {
            // SAFETY: a handler installed without SA_SIGINFO has this signature.
            let f = unsafe { mem::transmute::<usize, extern "C" fn(c_int)>(f) };
            f(sig);
        }
    }
}

/// Reports an impossible state from inside a signal handler and aborts:
/// raw `write(2)` to fd 2, then `abort(3)`, both async-signal-safe.
fn signal_fatal(msg: &[u8]) -> ! {
    // SAFETY: writes `msg.len()` bytes from a valid slice to fd 2; a failed
    // write changes nothing we rely on.
    let _ = unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
    // SAFETY: abort takes no arguments and does not return.
    unsafe { libc::abort() }
}

// ANCHOR: signal_recv
/// Waits for the next caught signal (Go's `signal_recv`). Only the watcher
/// thread calls it; `recv` is its private copy of the signals taken from the
/// mask and not yet handed out.
fn signal_recv(recv: &mut u64) -> Signal {
    loop {
        if *recv != 0 {
            let i = recv.trailing_zeros();
            *recv &= !(1 << i);
            return Signal(i as c_int + 1);
        }
        // Nothing in hand: sleep until a handler reports a new bit, unless
        // one already did while we were delivering.
        loop {
            match SIG_STATE.load(Ordering::SeqCst) {
                SIG_IDLE => {
                    if SIG_STATE
                        .compare_exchange(
                            SIG_IDLE,
                            SIG_RECEIVING,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        )
                        .is_ok()
                    {
                        SIG_NOTE.sleep();
                        break;
                    }
                }
                SIG_SENDING => {
                    if SIG_STATE
                        .compare_exchange(SIG_SENDING, SIG_IDLE, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                    {
                        break;
                    }
                }
                s => crate::proc::fatal(&format!("runtime: signal_recv: inconsistent state {s}")),
            }
        }
        *recv = SIG_MASK.swap(0, Ordering::SeqCst);
    }
}
// ANCHOR_END: signal_recv

/// Waits until every signal caught so far has been offered to its channels
/// (Go's `signalWaitUntilIdle`): no handler is still inside `sigsend`, and
/// the watcher has gone back to sleep with nothing in hand. The caller has
/// already cleared the wanted bits it cares about.
#[doc(alias = "signalWaitUntilIdle")]
fn signal_wait_until_idle() {
    while SIG_DELIVERING.load(Ordering::SeqCst) != 0 {
        crate::yield_now();
    }
    while SIG_STATE.load(Ordering::SeqCst) != SIG_RECEIVING {
        crate::yield_now();
    }
}

// ---------------------------------------------------------------------------
// The subscriber's side (Go's os/signal).

/// Who gets which signal (Go's `handlers`), under [`HANDLERS`].
struct Handlers {
    /// The live subscriptions.
    subs: Vec<Sub>,
    /// Subscriptions being stopped: they still get signals the watcher has
    /// in hand (Go's `handlers.stopping`).
    stopping: Vec<Sub>,
    /// How many subscriptions want each signal (Go's `handlers.ref`).
    refs: [u32; NSIG],
    /// The disposition each signal had before gort first changed it
    /// (installed its handler, or ignored it); `Some` while gort's change is
    /// in force, so that [`reset`] and the last `stop` can put it back.
    orig: [Option<libc::sigaction>; NSIG],
    /// Whether the watcher thread runs (started by the first [`notify`]).
    watching: bool,
    /// The id of the next subscription.
    next_id: u64,
}

/// One subscription: its channel and the signals it wants.
struct Sub {
    id: u64,
    /// Bit `n - 1` for signal `n` (Go's `handler.mask`).
    mask: u64,
    tx: Sender<Signal>,
}

static HANDLERS: Mutex<Handlers> = parking_lot::const_mutex(Handlers {
    subs: Vec::new(),
    stopping: Vec::new(),
    refs: [0; NSIG],
    orig: [None; NSIG],
    watching: false,
    next_id: 0,
});

/// The watcher thread's loop (Go's `os/signal.loop`).
#[doc(alias = "loop")]
fn watch_signal_loop() {
    let mut recv = 0;
    loop {
        process(signal_recv(&mut recv));
    }
}

/// Offers `sig` to every subscription that wants it, never waiting: a full
/// channel loses it (Go's `process`).
fn process(sig: Signal) {
    let h = HANDLERS.lock();
    for sub in h.subs.iter().chain(&h.stopping) {
        if sub.mask & sig.bit() != 0 {
            let _ = sub.tx.try_send(sig);
        }
    }
}

/// Signals arriving for a [`notify`] subscription, on the channel
/// [`c`](Notify::c) (Go's `chan os.Signal` handed to `signal.Notify`).
///
/// Receive with `n.c.recv()`, or in a [`select!`](crate::select!) with
/// `recv(n.c) -> sig => ...`. Dropping it (or [`stop`](Notify::stop)) ends
/// the subscription: the channel closes once drained, and when no other
/// subscription wants a signal, the signal gets back the disposition it had
/// before (for `SIGINT` and `SIGTERM`, usually: kill the process).
#[must_use = "dropping a Notify stops the delivery of its signals"]
pub struct Notify {
    /// Where the signals arrive. Closed, after the signals already in it,
    /// when the subscription ends: by [`stop`](Notify::stop), by dropping
    /// the `Notify`, or by [`reset`]/[`ignore`] taking away its last signal.
    pub c: Receiver<Signal>,
    id: u64,
}

/// Relays `sigs` to a new channel of capacity one (Go's
/// `c := make(chan os.Signal, 1); signal.Notify(c, sigs...)`).
///
/// From now on those signals no longer take their default action (a
/// `SIGTERM` no longer kills the process); each arrival is offered to the
/// channel, and lost if the channel is full. Several subscriptions may want
/// the same signal: each gets its own copy. Works with or without a running
/// gort runtime: a goroutine waiting on the channel parks, a plain thread
/// blocks.
///
/// ```
/// use gort_runtime::signal::{self, SIGUSR1};
/// gort_runtime::run(|| {
///     let sigs = signal::notify(&[SIGUSR1]).unwrap();
///     // SAFETY: raise(3) only sends a signal to this thread.
///     unsafe { libc::raise(SIGUSR1.as_raw()) };
///     assert_eq!(sigs.c.recv(), Some(SIGUSR1));
/// });
/// ```
///
/// # Errors
///
/// `InvalidInput` if `sigs` is empty (Go relays every signal then; gort
/// asks for a list) or names `SIGKILL`, `SIGSTOP`, or a fault signal
/// (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`); the OS error if `sigaction(2)`
/// fails or the watcher thread cannot be started. Nothing changes on error.
#[doc(alias = "Notify")]
pub fn notify(sigs: &[Signal]) -> io::Result<Notify> {
    notify_buffered(1, sigs)
}

/// [`notify`] with a channel of capacity `cap` (at least one), for a
/// subscriber that must not lose a burst of different signals while busy.
///
/// # Errors
///
/// As [`notify`], and `InvalidInput` for a zero `cap`: an unbuffered channel
/// would lose every signal that arrives while its reader is not waiting.
pub fn notify_buffered(cap: usize, sigs: &[Signal]) -> io::Result<Notify> {
    if cap == 0 {
        return Err(invalid(
            "signal: notify needs a channel with room for at least one signal".into(),
        ));
    }
    let mask = checked_mask("notify", sigs)?;
    let (tx, rx) = bounded(cap);
    let mut h = HANDLERS.lock();
    if !h.watching {
        // Go starts its loop once the first signal is enabled; starting it
        // first means a failure leaves nothing half done.
        std::thread::Builder::new()
            .name("gort-signal".into())
            .spawn(watch_signal_loop)?;
        h.watching = true;
    }
    // Enable the new signals one by one, undoing on failure.
    let mut enabled = 0u64;
    for sig in signals_of(mask) {
        if h.refs[sig.0 as usize] != 0 {
            continue; // already installed for another subscription
        }
        if let Err(e) = enable_signal(&mut h, sig) {
            for s in signals_of(enabled) {
                disable_signal(&mut h, s);
            }
            return Err(e);
        }
        enabled |= sig.bit();
    }
    for sig in signals_of(mask) {
        h.refs[sig.0 as usize] += 1;
    }
    let id = h.next_id;
    h.next_id += 1;
    h.subs.push(Sub { id, mask, tx });
    Ok(Notify { c: rx, id })
}

impl Notify {
    /// Ends the subscription (Go's `signal.Stop`): once this returns, no
    /// signal is added to [`c`](Notify::c) any more (signals caught before
    /// are still delivered first), the channel is closed, and each signal
    /// no other subscription wants gets back the disposition it had before
    /// gort changed it. Dropping the `Notify` does the same.
    #[doc(alias = "Stop")]
    pub fn stop(self) {
        // Drop does the work.
    }
}

impl Drop for Notify {
    fn drop(&mut self) {
        let mut h = HANDLERS.lock();
        let Some(i) = h.subs.iter().position(|s| s.id == self.id) else {
            return; // reset or ignore took all its signals already
        };
        let sub = h.subs.swap_remove(i);
        release_signals(&mut h, sub.mask);
        // A signal the handler caught before the line above may still be
        // on its way to the watcher: keep delivering to this subscription
        // until everything in flight is through (Go's `Stop`).
        h.stopping.push(sub);
        drop(h);
        signal_wait_until_idle();
        let mut h = HANDLERS.lock();
        let sub = h
            .stopping
            .iter()
            .position(|s| s.id == self.id)
            .map(|i| h.stopping.swap_remove(i));
        drop(h);
        // The last sender: dropping it closes the channel.
        drop(sub);
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = HANDLERS.lock();
        let mask = h
            .subs
            .iter()
            .find(|s| s.id == self.id)
            .map_or(0, |s| s.mask);
        f.debug_struct("Notify")
            .field("signals", &signals_of(mask).collect::<Vec<_>>())
            .field("queued", &self.c.len())
            .finish()
    }
}

/// Stops relaying `sigs` to every subscription and gives them back the
/// disposition they had before gort changed it (Go's `signal.Reset`). A
/// subscription left with no signal ends: its channel closes once drained.
/// Signals gort never touched are left alone.
///
/// # Errors
///
/// `InvalidInput` if `sigs` is empty (Go resets every signal then) or names
/// a signal gort never relays (`SIGKILL`, `SIGSTOP`, faults); nothing changes
/// then.
#[doc(alias = "Reset")]
pub fn reset(sigs: &[Signal]) -> io::Result<()> {
    cancel("reset", sigs, false)
}

/// Makes the process ignore `sigs` (Go's `signal.Ignore`): it stops relaying
/// them to every subscription (as [`reset`]) and sets their disposition to
/// "ignore"; [`reset`], or a later [`notify`] and its `stop`, undo it.
///
/// # Errors
///
/// As [`reset`]; ignoring the fault signals would hide crashes, so they are
/// refused too.
#[doc(alias = "Ignore")]
pub fn ignore(sigs: &[Signal]) -> io::Result<()> {
    cancel("ignore", sigs, true)
}

/// Whether `sig` is ignored right now (Go's `signal.Ignored`): its
/// disposition is `SIG_IGN`, set by [`ignore`] or inherited (`nohup`
/// starts programs with `SIGHUP` ignored).
#[doc(alias = "Ignored")]
pub fn ignored(sig: Signal) -> bool {
    let mut cur = empty_sigaction();
    // SAFETY: a null new action only queries; `cur` is a valid out-pointer.
    let ok = unsafe { libc::sigaction(sig.0, ptr::null(), &mut cur) } == 0;
    ok && cur.sa_sigaction == libc::SIG_IGN
}

/// Go's `cancel`: removes `sigs` from every subscription, then resets or
/// ignores each.
fn cancel(op: &str, sigs: &[Signal], ignore: bool) -> io::Result<()> {
    let mask = checked_mask(op, sigs)?;
    let mut h = HANDLERS.lock();
    let mut ended = Vec::new();
    let mut i = 0;
    while i < h.subs.len() {
        let take = h.subs[i].mask & mask;
        h.subs[i].mask &= !take;
        release_signals(&mut h, take);
        if h.subs[i].mask == 0 {
            ended.push(h.subs.swap_remove(i));
        } else {
            i += 1;
        }
    }
    let mut result = Ok(());
    for sig in signals_of(mask) {
        let r = if ignore {
            ignore_signal(&mut h, sig)
        } else {
            restore_signal(&mut h, sig);
            Ok(())
        };
        result = result.and(r);
    }
    drop(h);
    // Their channels close here, outside the lock. Unlike `stop`, this does
    // not wait for signals in flight: like Go's `Reset`, a signal caught
    // just before may be delivered to nobody.
    drop(ended);
    result
}

/// The mask of `sigs`, or the error for an empty list or a signal gort does
/// not relay.
fn checked_mask(op: &str, sigs: &[Signal]) -> io::Result<u64> {
    if sigs.is_empty() {
        return Err(invalid(format!(
            "signal: {op} needs at least one signal (gort does not take an empty list as \"all\")"
        )));
    }
    let mut mask = 0;
    for &sig in sigs {
        if let Some(why) = sig.refusal() {
            return Err(invalid(format!("signal: {op}: {sig:?} {why}")));
        }
        mask |= sig.bit();
    }
    Ok(mask)
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// The signals whose bits are set in `mask`, lowest first.
fn signals_of(mut mask: u64) -> impl Iterator<Item = Signal> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let i = mask.trailing_zeros();
        mask &= !(1 << i);
        Some(Signal(i as c_int + 1))
    })
}

/// Drops one reference to each signal in `mask`; those nobody wants any
/// more get their old disposition back (Go's `disableSignal`).
fn release_signals(h: &mut Handlers, mask: u64) {
    for sig in signals_of(mask) {
        let refs = &mut h.refs[sig.0 as usize];
        *refs -= 1;
        if *refs == 0 {
            disable_signal(h, sig);
        }
    }
}

/// Installs gort's handler for `sig` (Go's `signal_enable` and `sigenable`):
/// wanted first, so the handler never sees its own signal unwanted.
fn enable_signal(h: &mut Handlers, sig: Signal) -> io::Result<()> {
    let i = sig.0 as usize;
    let old = match h.orig[i] {
        Some(orig) => orig, // ignored by gort: forward to what was there before
        None => current_action(sig)?,
    };
    FWD_HANDLER[i].store(old.sa_sigaction, Ordering::Relaxed);
    FWD_FLAGS[i].store(old.sa_flags, Ordering::Relaxed);
    SIG_WANTED.fetch_or(sig.bit(), Ordering::SeqCst);

    let mut sa = empty_sigaction();
    let handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) = sigqueue_handler;
    sa.sa_sigaction = handler as libc::sighandler_t;
    // SA_ONSTACK: the signal may land on a goroutine's small stack.
    // SA_RESTART: interrupted system calls elsewhere resume, as in Go.
    sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
    // SAFETY: `sa.sa_mask` is a valid sigset_t to fill.
    unsafe { libc::sigfillset(&mut sa.sa_mask) };
    // SAFETY: `sigqueue_handler` has the SA_SIGINFO signature and is
    // async-signal-safe; the statics it reads are set.
    if unsafe { libc::sigaction(sig.0, &sa, ptr::null_mut()) } != 0 {
        let e = io::Error::last_os_error();
        SIG_WANTED.fetch_and(!sig.bit(), Ordering::SeqCst);
        return Err(e);
    }
    h.orig[i].get_or_insert(old);
    Ok(())
}

/// The last subscriber of `sig` left: put back its old disposition, then
/// stop wanting it (Go's `signal_disable`, in Go's order: a signal caught
/// in between still finds itself wanted and is delivered).
fn disable_signal(h: &mut Handlers, sig: Signal) {
    restore_signal(h, sig);
    SIG_WANTED.fetch_and(!sig.bit(), Ordering::SeqCst);
}

/// Puts back the disposition `sig` had before gort first changed it, if
/// gort did.
fn restore_signal(h: &mut Handlers, sig: Signal) {
    if let Some(orig) = h.orig[sig.0 as usize].take() {
        // SAFETY: `orig` is a disposition the kernel gave us for this very
        // signal.
        if unsafe { libc::sigaction(sig.0, &orig, ptr::null_mut()) } != 0 {
            let e = io::Error::last_os_error();
            tracing::warn!(signal = ?sig, error = %e, "signal: cannot restore the old disposition");
        }
    }
}

/// Sets `sig` to be ignored, remembering what it was (Go's `signal_ignore`).
fn ignore_signal(h: &mut Handlers, sig: Signal) -> io::Result<()> {
    let i = sig.0 as usize;
    let old = match h.orig[i] {
        Some(orig) => orig,
        None => current_action(sig)?,
    };
    let mut sa = empty_sigaction();
    sa.sa_sigaction = libc::SIG_IGN;
    // SAFETY: a plain SIG_IGN action.
    if unsafe { libc::sigaction(sig.0, &sa, ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    h.orig[i] = Some(old);
    Ok(())
}

/// `sig`'s disposition now.
fn current_action(sig: Signal) -> io::Result<libc::sigaction> {
    let mut old = empty_sigaction();
    // SAFETY: a null new action only queries; `old` is a valid out-pointer.
    if unsafe { libc::sigaction(sig.0, ptr::null(), &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(old)
}

/// A `sigaction` with no handler, no flags and an empty mask.
fn empty_sigaction() -> libc::sigaction {
    // SAFETY: `libc::sigaction` is a plain C struct; all zeroes is SIG_DFL,
    // no flags, an empty mask and no restorer.
    unsafe { mem::zeroed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_text_are_gos() {
        assert_eq!(SIGINT.to_string(), "interrupt");
        assert_eq!(SIGTERM.to_string(), "terminated");
        assert_eq!(format!("{SIGHUP:?}"), "SIGHUP");
        assert_eq!(SIGUSR1.name(), Some("SIGUSR1"));
        let rt = Signal::from_raw(libc::SIGRTMIN() + 2).unwrap();
        assert_eq!(rt.to_string(), format!("signal {}", libc::SIGRTMIN() + 2));
        assert_eq!(format!("{rt:?}"), "SIGRTMIN+2");
        assert_eq!(rt.name(), None);
        for n in 1..32 {
            let s = Signal::from_raw(n).unwrap();
            assert!(s.name().is_some(), "{n} has no name");
            assert_eq!(s.as_raw(), n);
        }
        for n in [-1, 0, 32, 33, 65, i32::MAX] {
            assert_eq!(Signal::from_raw(n), None, "{n}");
        }
    }

    #[test]
    fn signals_of_lists_each_bit() {
        let mask = SIGHUP.bit() | SIGTERM.bit() | Signal(64).bit();
        let got: Vec<_> = signals_of(mask).map(Signal::as_raw).collect();
        assert_eq!(got, [1, 15, 64]);
        assert_eq!(signals_of(0).count(), 0);
    }

    #[test]
    fn sigsend_refuses_unwanted_and_out_of_range() {
        // Nothing in this test binary subscribes to SIGSYS.
        assert!(!sigsend(libc::SIGSYS));
        assert!(!sigsend(0));
        assert!(!sigsend(NSIG as c_int));
        assert_eq!(SIG_MASK.load(Ordering::SeqCst) & SIGSYS.bit(), 0);
    }
}
