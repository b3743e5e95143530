//! Mirrors Go src/runtime/proc.go (go1.27): schedinit, main and the user side of newproc: Runtime, Builder, spawn, JoinHandle.
//!
//! Go starts its scheduler before `main.main` and exits the process when
//! `main.main` returns. A Rust program instead builds a [`Runtime`] (or calls
//! [`run`]) and hands it a closure that becomes the *main goroutine*;
//! [`Runtime::block_on`] returns that closure's value.
//!
//! Shutdown: when a `Runtime` is dropped, its goroutines are first given
//! back (see `panic.rs` and [`Goexit`](crate::Goexit)): each one parked where
//! the wait can be withdrawn (a socket, a timer, a channel, a select, a join)
//! is unwound, so its destructors run and its descriptors and stack come
//! back; goroutines that never ran are dropped unstarted. Then no goroutine
//! runs again. Goroutines left over (parked on a `sync` primitive or in a
//! `blocking` call, or never parking) are *abandoned*, as Go abandons them
//! when `main` returns: never resumed, their destructors never run (as with
//! `std::mem::forget`), and their memory and stacks leaked rather than
//! freed, so that a waker still holding one (a thread releasing a semaphore,
//! say) touches valid memory; such a late wake-up is ignored. A goroutine
//! that is *running* at that moment keeps its thread until it next parks,
//! yields or returns. If every goroutine has finished, nothing is leaked and
//! the drop waits for the runtime's threads to exit.

use std::any::Any;
use std::cell::UnsafeCell;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::netpoll::{Netpoll, NoNetpoll};
use crate::park::ParkSlot;
use crate::proc::{self, newproc};
use crate::runtime2::{GoEntry, Sched, WaitReason};
use crate::stack::DEFAULT_STACK_SIZE;
use crate::stubs::getm;
use crate::sysmon::Sysmon;
use crate::{runtime1, signal_unix, stubs};

/// Configures and builds a [`Runtime`].
///
/// ```
/// let rt = gort_runtime::Runtime::builder().procs(2).stack_size(64 * 1024).build().unwrap();
/// assert_eq!(rt.block_on(|| 6 * 7), 42);
/// ```
#[derive(Clone)]
pub struct Builder {
    procs: Option<usize>,
    stack_size: usize,
    netpoll: Option<Arc<dyn Netpoll>>,
    schedtrace_ms: Option<u64>,
    warn_blocked_after: Duration,
}

/// Default for [`Builder::warn_blocked_after`].
const WARN_BLOCKED_AFTER: Duration = Duration::from_millis(100);

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Default settings: GOMAXPROCS from `GORT_MAXPROCS` or the CPU count,
    /// 256 KiB stacks, no netpoller, `GORT_DEBUG` honoured.
    pub fn new() -> Builder {
        Builder {
            procs: None,
            stack_size: DEFAULT_STACK_SIZE,
            netpoll: None,
            schedtrace_ms: None,
            warn_blocked_after: WARN_BLOCKED_AFTER,
        }
    }

    /// Number of Ps, i.e. goroutines running in parallel (Go's GOMAXPROCS).
    /// Values below 1 are taken as 1.
    #[doc(alias = "GOMAXPROCS")]
    pub fn procs(&mut self, n: usize) -> &mut Builder {
        self.procs = Some(n.max(1));
        self
    }

    /// Stack size for goroutines, in bytes, rounded up to whole pages and to at
    /// least 16 KiB. Stacks are fixed: a goroutine that overflows its stack
    /// kills the process with `fatal error: stack overflow ...`. The memory is
    /// reserved, not committed: only the pages a goroutine touches count.
    pub fn stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.stack_size = bytes;
        self
    }

    /// Installs the network poller the scheduler drives: a hook for gort's
    /// own crates (the `gort` facade installs gort-netpoll's poller this
    /// way; see `hooks::Netpoll`), hidden with the rest of the hooks. A
    /// runtime built without one has no netpoller: goroutines, channels and
    /// timers work, and gort's sockets refuse to be created in its
    /// goroutines (build with `gort::Builder` or `gort::run` for those).
    #[doc(hidden)]
    pub fn netpoll(&mut self, poller: Arc<dyn Netpoll>) -> &mut Builder {
        self.netpoll = Some(poller);
        self
    }

    /// Prints a `SCHED` line to stderr every `ms` milliseconds (0: never),
    /// overriding `GORT_DEBUG=schedtrace=N`.
    pub fn schedtrace(&mut self, ms: u64) -> &mut Builder {
        self.schedtrace_ms = Some(ms);
        self
    }

    /// After how long sysmon reports a goroutine that holds its thread
    /// without parking (100 ms by default; `Duration::ZERO` turns the report
    /// off). The report names the goroutine and the thread, once per
    /// incident, as a `tracing` WARN event (target `gort::sched`) and a line
    /// on stderr. Such a goroutine delays every goroutine pinned to its
    /// thread: wrap thread-blocking calls in [`blocking`](crate::blocking).
    pub fn warn_blocked_after(&mut self, d: Duration) -> &mut Builder {
        self.warn_blocked_after = d;
        self
    }

    /// Starts the runtime: its Ps and its sysmon thread. Ms (threads) start
    /// on demand, one per P at most; helper threads for
    /// [`blocking`](crate::blocking) calls start on demand too.
    pub fn build(&self) -> io::Result<Runtime> {
        signal_unix::install_overflow_handler(stubs::current_goid);
        let procs = self.procs.unwrap_or_else(runtime1::default_procs);
        let schedtrace = self
            .schedtrace_ms
            .unwrap_or_else(|| runtime1::debugvars_from_env().schedtrace);
        let netpoll = self
            .netpoll
            .clone()
            .unwrap_or_else(|| Arc::new(NoNetpoll::default()));
        let warn_ns = i64::try_from(self.warn_blocked_after.as_nanos()).unwrap_or(i64::MAX);
        let sched = proc::schedinit(procs, self.stack_size, netpoll, schedtrace, warn_ns);
        let sysmon = Sysmon::start(sched.clone())?;
        Ok(Runtime { sched, sysmon })
    }
}

/// A running gort scheduler: GOMAXPROCS Ps, the threads that run them, and
/// sysmon. See the module docs for what dropping it does.
pub struct Runtime {
    sched: Arc<Sched>,
    sysmon: Sysmon,
}

impl Runtime {
    /// A [`Builder`] with default settings.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A runtime with default settings.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Runs `f` as the main goroutine and returns its result; if it panics,
    /// the panic resumes here. Other goroutines keep running after `f`
    /// returns until the runtime is dropped.
    ///
    /// # Panics
    ///
    /// When called from inside a goroutine (that would block its thread).
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        assert!(
            getm().is_null(),
            "block_on called from inside a gort goroutine"
        );
        match self.spawn(f).join() {
            Ok(v) => v,
            Err(payload) => resume_unwind(payload),
        }
    }

    /// Starts a goroutine on this runtime, from any thread.
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_on(
            &self.sched,
            self.sched.stack_size,
            crate::trace::GoTrace::capture(None),
            f,
        )
        .expect("gort: failed to spawn goroutine")
    }

    /// A snapshot of the scheduler's counters.
    pub fn stats(&self) -> Stats {
        Stats::of(&self.sched)
    }

    /// The number of this runtime's goroutines parked with `reason` right
    /// now; see [`parked`] (the same, from inside a goroutine).
    pub fn parked(&self, reason: WaitReason) -> usize {
        self.sched.parked(reason)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Give back what the goroutines still alive hold (see `panic.rs`).
        crate::panic::unwind_all(&self.sched);
        let threads = proc::shutdown(&self.sched);
        self.sysmon.stop();
        // Goroutines still running (typically the main goroutine, between
        // handing over its result and exiting) get a moment to switch out.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while proc::any_m_executing(&self.sched) && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        if !proc::any_m_executing(&self.sched) && self.sched.gcount() == 0 {
            // No goroutine is left and every M is in (or entering) the
            // scheduler, where it sees the flag and exits; no goroutine
            // waits for a `blocking` call, so every helper is idle or
            // about to be, and exits too.
            for t in threads {
                let _ = t.join();
            }
            for t in self.sched.blockpool.take_threads() {
                let _ = t.join();
            }
        } else {
            // Goroutines are abandoned: keep everything they may touch alive.
            std::mem::forget(self.sched.clone());
        }
    }
}

/// Scheduler counters (see [`Runtime::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// GOMAXPROCS.
    pub procs: usize,
    /// Ps with nothing to run: their threads sleep or wait in the netpoller.
    pub idle_procs: usize,
    /// OS threads started to run goroutines (Ms), sysmon not included.
    pub threads: usize,
    /// Goroutines alive now.
    pub goroutines: usize,
    /// Goroutines created by goroutines (spawns from outside are not counted per P).
    pub spawned: u64,
    /// Goroutines an idle P took from another P's run queue.
    pub stolen: u64,
    /// Times sysmon found a goroutine holding its thread without parking for
    /// longer than [`Builder::warn_blocked_after`] (each reported once).
    pub blocked_threads: u64,
    /// Time slices over 10 ms in which a goroutine never reached a scheduling point.
    pub long_runs: u64,
}

impl Stats {
    fn of(sched: &Sched) -> Stats {
        Stats {
            procs: sched.allp.len(),
            idle_procs: sched.npidle.load(Ordering::Relaxed) as usize,
            threads: sched.mcount.load(Ordering::Relaxed) as usize,
            goroutines: sched.gcount().max(0) as usize,
            spawned: sched
                .allp
                .iter()
                .map(|p| p.stats.spawned.load(Ordering::Relaxed))
                .sum(),
            stolen: sched
                .allp
                .iter()
                .map(|p| p.stats.stolen.load(Ordering::Relaxed))
                .sum(),
            blocked_threads: sched.blocked_threads.load(Ordering::Relaxed),
            long_runs: sched.long_runs.load(Ordering::Relaxed),
        }
    }
}

/// Runs `f` as the main goroutine of a new default runtime, returns its
/// result, and shuts the runtime down (Go's program start and exit).
///
/// ```
/// let sum = gort_runtime::run(|| {
///     let hs: Vec<_> = (0..10u64).map(|i| gort_runtime::spawn(move || i * i)).collect();
///     hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
/// });
/// assert_eq!(sum, 285);
/// ```
pub fn run<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Runtime::new()
        .expect("gort: failed to start the runtime")
        .block_on(f)
}

/// The runtime of the calling goroutine, or of the `blocking` helper thread.
fn current_sched() -> Option<&'static Sched> {
    let m = getm();
    if m.is_null() {
        let helper = crate::proc_blocking::helper_sched();
        // SAFETY: a helper thread holds a strong reference to its runtime
        // while it runs calls.
        return (!helper.is_null()).then(|| unsafe { &*helper });
    }
    // SAFETY: the current M is this thread's, and its runtime outlives every
    // goroutine that runs on it (so the reference is good for the caller's use).
    Some(unsafe { &*(*m).schedp })
}

/// The runtime of the calling goroutine (or M), as a strong reference.
pub(crate) fn current_sched_arc() -> Option<Arc<Sched>> {
    current_sched().map(proc::sched_arc)
}

/// Starts a goroutine for a runtime-internal caller (a timer callback, on g0)
/// without a join handle; a failure to map its stack is fatal, as in Go.
pub(crate) fn spawn_detached(f: impl FnOnce() + Send + 'static) {
    let sched = current_sched().expect("spawn_detached outside the runtime");
    if let Err(e) = spawn_on(sched, sched.stack_size, None, f) {
        proc::fatal(&format!("runtime: cannot allocate a goroutine stack: {e}"));
    }
}

/// Starts a goroutine running `f` on the current runtime (Go's `go f()`).
///
/// # Panics
///
/// Outside a goroutine (use [`Runtime::spawn`] there), or if no stack can be
/// mapped for it (as `std::thread::spawn` panics; use [`GoBuilder::spawn`]
/// for the error).
#[doc(alias = "newproc")]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    GoBuilder::new()
        .spawn(f)
        .expect("gort: failed to spawn goroutine")
}

/// Spawns goroutines with non-default settings (like `std::thread::Builder`).
///
/// ```
/// gort_runtime::run(|| {
///     let h = gort_runtime::GoBuilder::new().stack_size(1 << 20).spawn(|| 1).unwrap();
///     assert_eq!(h.join().unwrap(), 1);
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct GoBuilder {
    stack_size: Option<usize>,
    span: Option<tracing::Span>,
}

impl GoBuilder {
    /// Default settings: the runtime's stack size, the spawner's span.
    pub fn new() -> GoBuilder {
        GoBuilder::default()
    }

    /// This goroutine's stack size in bytes (rounded up to pages, at least 16 KiB).
    pub fn stack_size(mut self, bytes: usize) -> GoBuilder {
        self.stack_size = Some(bytes);
        self
    }

    /// The `tracing` span the goroutine runs in, instead of the spawner's
    /// current span (the default); `Span::none()` for none.
    ///
    /// The runtime enters the span each time the goroutine starts running on
    /// its thread and exits it each time the goroutine parks, as
    /// `tracing::Instrument` does for a future at each poll, so the events
    /// of goroutines that take turns on one thread never mix. Do not hold a
    /// `Span::enter` guard across a park instead: the span would stay entered
    /// on the thread while other goroutines run there.
    ///
    /// ```
    /// gort_runtime::run(|| {
    ///     let span = tracing::info_span!("conn", id = 7);
    ///     let h = gort_runtime::GoBuilder::new().span(span).spawn(|| {
    ///         tracing::info!("in the conn span, across parks");
    ///     });
    ///     h.unwrap().join().unwrap();
    /// });
    /// ```
    pub fn span(mut self, span: tracing::Span) -> GoBuilder {
        self.span = Some(span);
        self
    }

    /// Starts the goroutine on the current runtime.
    ///
    /// # Errors
    ///
    /// When no stack can be mapped for it.
    ///
    /// # Panics
    ///
    /// Outside a goroutine (or a [`blocking`](crate::blocking) call's function).
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let sched = current_sched()
            .expect("gort: spawn called outside a goroutine; use Runtime::spawn or gort::run");
        let trace = crate::trace::GoTrace::capture(self.span);
        spawn_on(sched, self.stack_size.unwrap_or(sched.stack_size), trace, f)
    }
}

fn spawn_on<F, T>(
    sched: &Sched,
    stack_size: usize,
    trace: Option<Box<crate::trace::GoTrace>>,
    f: F,
) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let packet = Arc::new(Packet {
        f: UnsafeCell::new(Some(f)),
        slot: ParkSlot::new(),
        done: AtomicBool::new(false),
        result: UnsafeCell::new(None),
    });
    let goid = newproc(sched, packet.clone(), stack_size, trace)?;
    Ok(JoinHandle { packet, goid })
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// A goroutine's function and the place it leaves its result for its
/// [`JoinHandle`]: one allocation shared by the goroutine and the handle.
struct Packet<F, T> {
    /// Taken and called once, by the goroutine.
    f: UnsafeCell<Option<F>>,
    /// Wakes the joiner (a goroutine or a thread).
    slot: ParkSlot,
    /// Set (Release) after `result` is written.
    done: AtomicBool,
    result: UnsafeCell<Option<std::thread::Result<T>>>,
}

// SAFETY: `f` is touched only by the goroutine (moved there: F: Send);
// `result` is written once by the goroutine and read once by the joiner,
// ordered by `done` (T: Send moves it between them).
unsafe impl<F: Send, T: Send> Sync for Packet<F, T> {}

impl<F, T> GoEntry for Packet<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Arc<Self>) {
        // SAFETY: only the goroutine calls `run`, once.
        let f = unsafe { (*self.f.get()).take() }.expect("goroutine started twice");
        let r = if crate::panic::starting_while_dropped() {
            // Its runtime is being dropped: Go would never start it; give
            // back what its closure holds instead. A panic in a destructor
            // there is dropped with the closure.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(f)));
            Err(Box::new(crate::Goexit) as Box<dyn Any + Send>)
        } else {
            catch_unwind(AssertUnwindSafe(f))
        };
        if let Err(payload) = &r
            && !payload.is::<crate::Goexit>()
        {
            let goid = stubs::current_goid().unwrap_or(0);
            eprintln!(
                "goroutine {goid} panicked: {}",
                panic_message(payload.as_ref())
            );
        }
        // SAFETY: only this goroutine writes the result, before `done`, and
        // the joiner reads it only after seeing `done`.
        unsafe { *self.result.get() = Some(r) };
        // Release: publishes the result to `join`'s Acquire load.
        self.done.store(true, Ordering::Release);
        self.slot.wake();
    }
}

/// The join side of a [`Packet`], without its closure type.
trait Joinable<T>: Send + Sync {
    fn slot(&self) -> &ParkSlot;
    fn done(&self) -> &AtomicBool;
    /// # Safety
    ///
    /// Only after `done` was seen set, and once.
    unsafe fn take(&self) -> Option<std::thread::Result<T>>;
}

impl<F: Send, T: Send> Joinable<T> for Packet<F, T> {
    fn slot(&self) -> &ParkSlot {
        &self.slot
    }
    fn done(&self) -> &AtomicBool {
        &self.done
    }
    unsafe fn take(&self) -> Option<std::thread::Result<T>> {
        // SAFETY: the caller saw `done` (the writer is finished) and takes once.
        unsafe { (*self.result.get()).take() }
    }
}

/// An owned permission to wait for a goroutine's result (like
/// `std::thread::JoinHandle`). Dropping it detaches the goroutine.
pub struct JoinHandle<T> {
    packet: Arc<dyn Joinable<T>>,
    goid: u64,
}

impl<T> JoinHandle<T> {
    /// Waits for the goroutine to finish: parks the calling goroutine, or
    /// blocks the calling thread outside the runtime. `Err` carries the
    /// goroutine's panic payload, or a [`Goexit`](crate::Goexit) if its
    /// runtime was dropped before it finished.
    pub fn join(self) -> std::thread::Result<T> {
        // Acquire: pairs with the Release store of `done`.
        while !self.packet.done().load(Ordering::Acquire) {
            // The slot is in the packet, and only the goroutine's exit wakes it.
            self.packet.slot().wait_cancellable(WaitReason::Join);
        }
        // SAFETY: `done` is set, and this handle (consumed here) is the only reader.
        unsafe { self.packet.take() }.expect("gort: goroutine result taken twice")
    }

    /// Whether the goroutine has finished.
    pub fn is_finished(&self) -> bool {
        self.packet.done().load(Ordering::Acquire)
    }

    /// The goroutine's id (Go's goid), unique within its runtime.
    pub fn goid(&self) -> u64 {
        self.goid
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("goid", &self.goid)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// The id of the calling goroutine, or `None` outside one.
pub fn goid() -> Option<u64> {
    stubs::current_goid()
}

/// Diagnostic: the index of the P and the id of the M (thread) the calling
/// goroutine runs on, or `None` outside a goroutine. A goroutine stays on the
/// thread it first ran on, so the M never changes during its life; the
/// pinning tests check exactly that. To decide whether to park, ask
/// [`can_park`](crate::can_park) instead.
pub fn current_mp() -> Option<(usize, u64)> {
    let m = getm();
    if m.is_null() {
        return None;
    }
    // SAFETY: this thread's M.
    let m = unsafe { &*m };
    let p = m.p.get();
    if m.curg.get().is_null() || p.is_null() {
        return None;
    }
    // SAFETY: the held P is alive.
    Some((unsafe { &*p }.id, m.id))
}

/// The number of goroutines of the calling goroutine's runtime that are
/// parked with `reason` right now (what Go's goroutine dump shows in
/// brackets, `[IO wait]`, `[chan receive]`, counted). The caller, running,
/// is never among them.
///
/// Meant for tests and diagnostics: a test waits until, say, one goroutine
/// is parked in [`WaitReason::IoWait`] before it closes the socket that
/// goroutine reads, instead of sleeping and hoping the read got there. A
/// goroutine counts from the moment it parks, just before it is handed to
/// whatever will wake it, until it is readied. The answer is a snapshot.
///
/// Cost: a walk over every goroutine the runtime has allocated, under the
/// scheduler's lock, at each call; nothing on the park and wake paths.
/// [`Runtime::parked`] asks from outside the runtime.
///
/// ```
/// use gort_runtime::{WaitReason, chan, parked, spawn, yield_now};
///
/// gort_runtime::run(|| {
///     let (tx, rx) = chan::bounded::<u32>(0);
///     let h = spawn(move || rx.recv());
///     while parked(WaitReason::ChanReceive) < 1 {
///         yield_now(); // the receiver has not blocked yet
///     }
///     tx.send(7).unwrap();
///     assert_eq!(h.join().unwrap(), Some(7));
/// });
/// ```
///
/// # Panics
///
/// Outside a goroutine or a [`blocking`](crate::blocking) call's function
/// (there is no runtime to ask; use [`Runtime::parked`]).
pub fn parked(reason: WaitReason) -> usize {
    current_sched()
        .expect("gort: parked called outside a goroutine; use Runtime::parked")
        .parked(reason)
}

/// Starts a goroutine (Go's `go` statement): `go!(expr)` runs `expr` in a new
/// goroutine of the current runtime and detaches it. Captures by move.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// gort_runtime::run(|| {
///     let done = Arc::new(AtomicBool::new(false));
///     let d = done.clone();
///     gort_runtime::go!(d.store(true, Ordering::SeqCst));
///     while !done.load(Ordering::SeqCst) {
///         gort_runtime::yield_now();
///     }
/// });
/// ```
#[macro_export]
macro_rules! go {
    ($($body:tt)*) => {{
        let _ = $crate::spawn(move || { $($body)*; });
    }};
}
