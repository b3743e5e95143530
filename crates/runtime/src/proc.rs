//! Mirrors Go src/runtime/proc.go (go1.27): the scheduler: newproc, gopark/goready, schedule, findRunnable, startm/stopm, wakep, lockedm.
//!
//! The design is Go's, described at the top of proc.go: goroutines (G) run on
//! OS threads (M) that must hold one of GOMAXPROCS processors (P). Each P has a
//! local run queue; an M out of work *spins* for a while, stealing half of
//! another P's queue, before giving its P back and sleeping. The number of
//! spinning Ms is kept small (at most half the busy Ps, and a new one is woken
//! only when none spins), and the last M to stop spinning re-checks every queue,
//! so that work submitted while it was giving up is never stranded. That
//! hand-shake is the `nmspinning` / `npidle` store-load pairing in [`wakep`].
//!
//! What gort does differently, and why:
//! * **Cooperative only.** Go preempts a goroutine that runs too long by
//!   signalling its thread. gort cannot safely interrupt arbitrary Rust code, so a
//!   goroutine runs until it parks, yields, exits or enters [`blocking`](crate::blocking). sysmon
//!   still notices goroutines that run longer than 10 ms and counts them.
//! * **Switches go through g0.** A goroutine that stops always switches to its
//!   M's scheduler context first (Go's `mcall`), which then performs the action
//!   left in [`Pending`]: this is where `park_m` runs the unlock callback of
//!   [`gopark`], after the goroutine's registers are saved.
//! * **Fixed stacks.** Stacks do not grow (see `stack.rs`).
//! * **Pinning: a goroutine never changes OS thread once it has run.** See
//!   the next section.
//! * **`blocking` runs its function on a helper thread** while the goroutine
//!   parks (`proc_blocking.rs`), instead of Go's `entersyscall`, which keeps
//!   the thread and gives its P away.
//! * **Fewer wake-ups, and a poll spin**, for servers that share their CPUs
//!   with their clients. These are tuning choices, not consequences of the
//!   design, so each lives in `policy.rs` with its reason and the benchmark
//!   row that shows it; the code here calls it at the point where it departs
//!   from Go, marked `// gort's departure:`.
//!
//! # Pinning
//!
//! Go moves a goroutine to whichever thread has time for it. Rust code cannot
//! allow that: a goroutine's stack holds values that belong to its thread (a
//! `RefCell` borrow of a `thread_local!`, a `ThreadRng`, a tracing guard, any
//! `!Send` value), and the compiler may keep a thread-local's address in a
//! register across a call that, unknown to it, switched threads
//! (rust-lang/unsafe-code-guidelines#602). Resuming such a goroutine on
//! another thread is undefined behaviour reachable from safe code. So gort
//! does for every goroutine what Go does for one that called
//! `LockOSThread`: it stays with the thread it first ran on (`G::home`,
//! Go's `g.lockedm`).
//!
//! Go's locked goroutines make their M hand its P to another M whenever they
//! park (`stoplockedm`/`startlockedm`): two thread switches per park. gort
//! avoids that cost by binding each M to one P for life (`M::pp`, `P::m`):
//! "pinned to an M" and "pinned to a P" are then the same, and a goroutine
//! readied by its own thread goes straight onto its P's queue. The
//! consequences, each handled below:
//! * **Two kinds of runnable work.** Goroutines that have never run live in
//!   the P's lock-free `runq` and may be stolen, so a busy accept loop still
//!   spreads new connections over every P. Goroutines that have run live in
//!   `PLocal::runnext`/`pinq`, which no other thread touches.
//! * **Readying from another thread** puts the goroutine in its P's `inbox`
//!   and, if that P is idle, claims it and wakes its M (`readyremote`).
//! * **An idle M keeps its P.** It puts the P on the idle list and sleeps on
//!   its note (or polls the network); whoever claims the P from the list
//!   wakes that M, and only that M (`claimp`).
//! * **Nothing to hand off.** With `blocking` on helper threads no M gives its
//!   P away, so `handoffp`, `entersyscall` and `_Psyscall` are gone. A
//!   goroutine that blocks its thread anyway stalls the goroutines pinned to
//!   it; sysmon reports it, and the other Ps keep running everything that
//!   can move (never-run goroutines, timers, the netpoller).
//!
//! Locking: `Sched::lock` guards the global queue, the idle P list and every
//! P's idle/claimed status. A P's run queue is lock-free (`runq.rs`); its
//! inbox and its timer heap have their own locks.
//!
//! Memory orderings, by kind (each field in `runtime2.rs` says which it is):
//! * **Hand-offs** carry ownership of a G or P to another thread and use
//!   release/acquire: the run queue, the inbox's lock, the sched lock around
//!   a P's claim, the `gopark` unlock callback's publication.
//! * **The spinning protocol** (`nmspinning`, `npidle`, the fence in
//!   [`wakep`]) is a store-load pattern and uses `SeqCst`; see `wakep`. So
//!   are the two other places where a sleeper and a waker must each see the
//!   other's write: `P::status` against `P::inbox_len` (`readyremote`), and
//!   `M::polling` against `P::status` (`claimp`).
//! * **Hints** (`runqsize`, `netpoll_waiters`, `schedtick`, `preempt`,
//!   `lastpoll` reads that only decide whether to look) are `Relaxed`: a stale
//!   value costs one needless look or one missed look, and every missed look
//!   is retried by a later pass, by sysmon, or under the sched lock.
//! * **G status** stores are `Relaxed` where the G is about to be handed off
//!   by one of the release operations above, which orders them.
//! * **Counters** for statistics are `Relaxed`.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};

use parking_lot::MutexGuard;

use crate::asm_amd64::{gostartcall, swapcontext};
use crate::policy::{self, PollSpin, Queued};
use crate::runtime2::PStats;
use crate::runtime2::{
    G, Gp, M, P, PLocal, Pending, Sched, SchedLocked, Unwind, WaitReason, gstatus, pstatus,
};
use crate::stack::{self, StackCache};
use crate::stubs::{getm, setm};
use crate::time::nanotime;
use crate::{signal_unix, trace};

/// Steal passes over all Ps before an M gives up (Go's `stealTries`).
const STEAL_TRIES: usize = 4;
/// Dead Gs a P keeps before moving half to the global list (Go: 64).
const GFREE_LOCAL_MAX: usize = 64;
/// Goroutine ids reserved per batch (Go's `_GoidCacheBatch`).
const GOID_CACHE_BATCH: u64 = 16;

/// A goroutine to run, as `find_runnable` and the run queues hand it out
/// (Go's `gp, inheritTime` pair).
#[derive(Clone, Copy)]
struct Runnable {
    gp: NonNull<G>,
    /// Whether it continues the current time slice instead of starting a
    /// new one (Go's `inheritTime`): true for a `runnext` goroutine, so that
    /// a pair handing `runnext` back and forth still uses one slice, which
    /// sysmon can end, and for a park that was called off.
    inherit_time: bool,
}

impl Runnable {
    /// A goroutine that starts a new time slice.
    fn fresh(gp: NonNull<G>) -> Self {
        Runnable {
            gp,
            inherit_time: false,
        }
    }
}

// ---------------------------------------------------------------------------
// Threads: M creation and the scheduler loop.

/// An `Arc` for a `Sched` we only hold by reference.
pub(crate) fn sched_arc(sched: &Sched) -> Arc<Sched> {
    let p = ptr::from_ref(sched);
    // SAFETY: every Sched is created by `Arc::new` (see `Runtime`), and the
    // caller's borrow proves a strong reference is alive.
    unsafe {
        Arc::increment_strong_count(p);
        Arc::from_raw(p)
    }
}

/// Starts the M bound to `pp` on a new OS thread (Go's `newm` +
/// `newosproc`). The caller claimed `pp` (`P::claim_spinning` says how) and
/// `pp` has no M yet.
fn newm(sched: &Sched, pp: *mut P) {
    let id = u64::from(sched.mcount.fetch_add(1, Ordering::Relaxed)) + 1;
    let m = Box::into_raw(Box::new(M {
        id,
        g0: Default::default(),
        curg: Default::default(),
        p: std::cell::Cell::new(ptr::null_mut()),
        pp,
        spinning: Default::default(),
        executing: Default::default(),
        pending: std::cell::Cell::new(Pending::None),
        polling: Default::default(),
        park: Default::default(),
        schedp: sched,
    }));
    // Release: a later claimer that loads it (Acquire) sees the whole M.
    // Nobody else can claim `pp` before its new M first idles it.
    // SAFETY: Ps live as long as their Sched.
    unsafe { &*pp }.m.store(m, Ordering::Release);
    let arc = sched_arc(sched);
    let mp = m as usize;
    let spawned = std::thread::Builder::new()
        .name(format!("gort-m{id}"))
        .spawn(move || mstart(arc, mp as *mut M));
    match spawned {
        Ok(handle) => {
            let mut l = sched.lock.lock();
            l.allm.push(m);
            l.threads.push(handle);
        }
        Err(e) => fatal(&format!("runtime: failed to create new OS thread: {e}")),
    }
}

/// Go's `throw`: a broken runtime invariant or an unrecoverable resource
/// failure. Prints and aborts; never unwinds through scheduler state.
pub(crate) fn fatal(msg: &str) -> ! {
    eprintln!("fatal error: {msg}");
    std::process::abort()
}

// ANCHOR: mstart
/// Entry of every M thread (Go's `mstart`/`mstart1`).
fn mstart(sched: Arc<Sched>, m: *mut M) {
    setm(m);
    let _altstack = signal_unix::minit_signal_stack();
    // SAFETY: `m` was leaked by `newm` and is freed only with the Sched,
    // which this thread keeps alive through `sched`.
    let mr = unsafe { &*m };
    // Our P was claimed for us before we were made.
    take_own_p(sched.lock.lock(), mr);
    schedule(&sched, mr);
    setm(ptr::null_mut());
}
// ANCHOR_END: mstart

// ANCHOR: schedule
/// The scheduler loop of one M (Go's `schedule`, looping instead of recursing).
/// Returns when the runtime shuts down.
fn schedule(sched: &Sched, m: &M) {
    while let Some(found) = find_runnable(sched, m) {
        if m.spinning.get() {
            resetspinning(sched, m);
        }
        m.executing.store(true, Ordering::Relaxed);
        let mut next = Some(found);
        while let Some(run) = next {
            // A G dequeued just before shutdown stays abandoned.
            if sched.shutdown.load(Ordering::Relaxed) {
                break;
            }
            next = execute(sched, m, run.gp, run.inherit_time);
        }
        // Release: `Runtime::drop` reading false also sees our goexit0.
        m.executing.store(false, Ordering::Release);
    }
}
// ANCHOR_END: schedule

// ANCHOR: execute
/// Runs `gp` on this M until it switches back, then carries out what it asked
/// for (Go's `execute` + `gogo`, and the `mcall` targets). Returns a G to run
/// next without going through `find_runnable` (a park that was called off).
fn execute(sched: &Sched, m: &M, gp: NonNull<G>, inherit_time: bool) -> Option<Runnable> {
    // SAFETY: we dequeued `gp`, so we own it until it runs and stops again.
    let g = unsafe { gp.as_ref() };
    let pp = m.p.get();
    // SAFETY: an M running the scheduler holds a P.
    let p = unsafe { &*pp };
    debug_assert_eq!(g.atomicstatus.load(Ordering::Relaxed), gstatus::RUNNABLE);
    // Pinning: the first run decides the goroutine's thread for good. Only
    // this P's queues ever hand us a G pinned here (other threads put it in
    // the inbox, thieves take only never-run Gs), so a mismatch is a broken
    // invariant, and running it would be undefined behaviour.
    let home = g.home();
    if home.is_null() {
        g.set_home(pp);
        PStats::bump(&p.stats.pinned, 1);
    } else if !ptr::eq(home, pp) {
        fatal(&format!(
            "runtime: goroutine {} pinned to another thread was scheduled here",
            g.goid.get()
        ));
    }
    g.atomicstatus.store(gstatus::RUNNING, Ordering::Relaxed);
    if !inherit_time {
        // Only the holder writes it (sysmon reads it as a hint): no RMW needed.
        let t = p.schedtick.load(Ordering::Relaxed);
        p.schedtick.store(t.wrapping_add(1), Ordering::Relaxed);
    }
    p.curgoid.store(g.goid.get(), Ordering::Relaxed);
    m.curg.set(gp.as_ptr());
    {
        // The goroutine's span is entered on this thread for exactly as long
        // as the goroutine runs here (see `G::trace_ctx`).
        // SAFETY: the G is ours while it runs; only goexit0 (after this
        // block) replaces its trace context.
        let _entered = unsafe { &*g.trace_ctx.get() }
            .as_deref()
            .map(crate::trace::GoTrace::enter);
        // SAFETY: g0's buffer is ours; `g.sched` was saved by swapcontext or
        // made by gostartcall and nobody else runs `gp`. This is g0, which
        // never migrates, so `m` and `sched` are still right when the switch
        // returns.
        unsafe { swapcontext(m.g0.get(), g.sched.get()) };
    }
    m.curg.set(ptr::null_mut());
    p.curgoid.store(0, Ordering::Relaxed);
    match m.pending.replace(Pending::None) {
        Pending::Park(unlockf) => park_m(gp, unlockf),
        Pending::Yield => {
            gosched_m(m, gp);
            None
        }
        Pending::Exit => {
            goexit0(sched, m, gp);
            None
        }
        Pending::None => fatal("runtime: goroutine switched to g0 without a request"),
    }
}
// ANCHOR_END: execute

// ANCHOR: mcall
/// Switches from the running goroutine to its M's g0, leaving `pending` for
/// the scheduler (Go's `mcall`). Returns when the goroutine is resumed, on
/// the same thread (see "Pinning").
fn mcall(pending: Pending) {
    mcall_on(getm(), pending);
}

/// `mcall` for a caller that has just read `getm()` itself.
fn mcall_on(m: *mut M, pending: Pending) {
    // SAFETY: only called on a goroutine, whose M (`m`, read on this thread
    // just before) is alive; `curg` is the G running this very code.
    unsafe {
        let gp = (*m).curg.get();
        (*m).pending.set(pending);
        swapcontext((*gp).sched.get(), (*m).g0.get());
    }
    // The goroutine is back on this thread (pinning), but `m` is not re-read
    // here: nothing below needs it.
}
// ANCHOR_END: mcall

// ---------------------------------------------------------------------------
// gopark / goready.

/// Whether the caller is a goroutine that may park: true on a goroutine of
/// a running runtime; false on a plain OS thread, inside a
/// [`blocking`](crate::blocking) call (which runs on a helper thread), and
/// on a scheduler thread's own stack (g0: timer callbacks, gopark's unlock
/// callbacks).
///
/// Blocking code that can either park its goroutine or block its thread
/// asks this to choose; gort's channels, locks, sleeps and sockets do.
///
/// ```
/// assert!(!gort_runtime::can_park()); // a plain thread
/// gort_runtime::run(|| {
///     assert!(gort_runtime::can_park());
///     assert!(!gort_runtime::blocking(gort_runtime::can_park));
/// });
/// ```
pub fn can_park() -> bool {
    let m = getm();
    // SAFETY: the current M is this thread's.
    !m.is_null() && unsafe { !(*m).curg.get().is_null() }
}

// ANCHOR: gopark
/// Parks the calling goroutine (Go's `gopark`).
///
/// The goroutine switches to its M's scheduler context, which marks it waiting
/// and *then* calls `unlockf(gp)` there. `unlockf` is where the goroutine is
/// published to whoever will wake it (stored in a slot, queued, a lock
/// released): since the goroutine's registers are already saved by then, a
/// [`goready`] racing on another thread can resume it at once without finding it
/// half-parked. If `unlockf` returns false the park is called off and the
/// goroutine resumes immediately (the wake-up it waited for already came).
///
/// `unlockf` runs on the same OS thread as the caller, on the scheduler stack,
/// and must not block or park. Returns the word the waker passed with
/// [`goready_param`] (0 for plain [`goready`]).
///
/// # Panics
///
/// Outside a goroutine (a plain thread, or a [`blocking`](crate::blocking) call's function):
/// there is nothing to park.
pub fn gopark<F: FnOnce(Gp) -> bool>(unlockf: F, reason: WaitReason) -> usize {
    match try_gopark(unlockf, reason) {
        Some(param) => param,
        None => panic!("gopark called outside a goroutine"),
    }
}

/// [`gopark`], or `None` (without calling `unlockf`) when the caller cannot
/// park: it is not a goroutine. Lets a waiter choose between parking its
/// goroutine and blocking its thread with one look at the current M.
pub(crate) fn try_gopark<F: FnOnce(Gp) -> bool>(unlockf: F, reason: WaitReason) -> Option<usize> {
    try_gopark_cancel(unlockf, reason, None)
}

/// [`gopark`] at a park site that can be cancelled, so that a dropped
/// runtime can unwind the goroutine from here (see `panic.rs`).
///
/// `cancel` withdraws the goroutine from every place a waker could find it
/// (a queue, a park slot, a timer) and returns true, or returns false if a
/// waker already took it (that wake-up then comes as usual). It is called at
/// most once per park, on the goroutine's own thread (by its M's scheduler,
/// while the goroutine is parked), must not block or park, and must not
/// ready any goroutine. A park made while the thread is unwinding from a
/// panic (a destructor that parks) is never cancelled. If it returns true, this call does not return: the
/// goroutine unwinds from here with a [`Goexit`](crate::Goexit) payload.
///
/// # Panics
///
/// Outside a goroutine, as [`gopark`].
pub fn gopark_cancellable<F: FnOnce(Gp) -> bool>(
    unlockf: F,
    reason: WaitReason,
    cancel: &dyn Fn() -> bool,
) -> usize {
    match try_gopark_cancel(unlockf, reason, Some(cancel)) {
        Some(param) => param,
        None => panic!("gopark called outside a goroutine"),
    }
}

/// [`try_gopark`] with an optional `cancel` (see [`gopark_cancellable`]).
pub(crate) fn try_gopark_cancel<F: FnOnce(Gp) -> bool>(
    unlockf: F,
    reason: WaitReason,
    cancel: Option<&dyn Fn() -> bool>,
) -> Option<usize> {
    let m = getm();
    if m.is_null() {
        return None;
    }
    // SAFETY: this thread's M; its curg is the G running this code, if any.
    let gp = unsafe {
        let gp = (*m).curg.get();
        if gp.is_null() {
            return None;
        }
        // Relaxed: published by park_m's Release store of WAITING (see
        // `Sched::parked`, the one reader on another thread).
        (*gp).waitreason.store(reason as u8, Ordering::Relaxed);
        gp
    };
    // SAFETY: we are this G, running.
    let g = unsafe { &*gp };
    // A goroutine parked in a destructor while a panic unwinds it must not
    // be unwound again (a panic escaping a destructor during unwinding
    // aborts the process), so such a park is not cancellable. `panicking`
    // counts every goroutine of this thread, so it may say yes for another
    // goroutine's panic; that only makes this park uncancellable.
    if let Some(cancel) = cancel
        && !std::thread::panicking()
    {
        let short: *const (dyn Fn() -> bool + '_) = cancel;
        // SAFETY: only the lifetime bound is erased. `cancel` outlives this
        // call, and the field is cleared below before this call returns (or
        // unwinds); until then only our own scheduler reads it, while we
        // are parked.
        let long: *const (dyn Fn() -> bool + 'static) = unsafe { std::mem::transmute(short) };
        g.cancel.set(NonNull::new(long.cast_mut()));
    }
    let mut unlockf = Some(unlockf);
    let mut call = move |gp: Gp| -> bool {
        match unlockf.take() {
            Some(f) => f(gp),
            None => fatal("runtime: gopark unlock callback called twice"),
        }
    };
    let short: *mut (dyn FnMut(Gp) -> bool + '_) = &mut call;
    // SAFETY: only the lifetime bound is erased. `call` lives in this frame,
    // which stays intact until this goroutine resumes, and park_m calls it
    // (once) before anything can resume us.
    let long: *mut (dyn FnMut(Gp) -> bool + 'static) = unsafe { std::mem::transmute(short) };
    mcall_on(m, Pending::Park(long));
    // Resumed, on the same thread (pinning); `g` is still us.
    g.waitreason
        .store(WaitReason::Zero as u8, Ordering::Relaxed);
    g.cancel.set(None);
    // ANCHOR: forced_resume
    if g.unwind.get() == Unwind::Forced {
        // Our scheduler cancelled the wait: the runtime is being dropped.
        g.unwind.set(Unwind::Started);
        crate::panic::goexit();
    }
    // ANCHOR_END: forced_resume
    // Relaxed: the waker stored it before the status store that our
    // resumption is ordered after (through the run queue).
    let param = g.param.load(Ordering::Relaxed);
    if param != 0 {
        g.param.store(0, Ordering::Relaxed);
    }
    Some(param)
}
// ANCHOR_END: gopark

// ANCHOR: park_m
/// g0 half of `gopark` (Go's `park_m`).
fn park_m(gp: NonNull<G>, unlockf: *mut dyn FnMut(Gp) -> bool) -> Option<Runnable> {
    // SAFETY: `gp` just switched away from us and is not yet published.
    let g = unsafe { gp.as_ref() };
    // Relaxed would do: `unlockf` publishes the G with release semantics
    // after this store. Release documents the intent and is free on x86.
    g.atomicstatus.store(gstatus::WAITING, Ordering::Release);
    trace::park(g.goid.get(), g.waitreason.load(Ordering::Relaxed));
    // A panic in an unlock callback would unwind through the scheduler.
    let ok = match catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: see `gopark`: the closure is alive and called exactly once.
        unsafe { (*unlockf)(Gp(gp)) }
    })) {
        Ok(ok) => ok,
        Err(_) => fatal("runtime: gopark unlock callback panicked"),
    };
    if ok {
        return None;
    }
    // Called off: the goroutine is still ours. Go: casgstatus + execute(gp, true).
    g.atomicstatus.store(gstatus::RUNNABLE, Ordering::Relaxed);
    Some(Runnable {
        gp,
        inherit_time: true,
    })
}
// ANCHOR_END: park_m

// ANCHOR: goready
/// Makes a parked goroutine runnable (Go's `goready`) on the thread it is
/// pinned to. Readied from that thread, it goes to the P's `runnext`, so
/// that the goroutine woken by the one running now runs next (which keeps
/// ping-pong pairs on one warm core); from any other thread, to its P's
/// inbox, waking that P's M if it is idle.
///
/// # Safety
///
/// `gp` must have been handed to a `gopark` unlock callback that returned
/// true, and this must be the only `goready` for that park. (A G that is not
/// waiting is detected and aborts the process, as Go's `throw` does.)
#[doc(alias = "ready")]
pub unsafe fn goready(gp: Gp) {
    // SAFETY: forwarded contract.
    unsafe { ready(gp, 0, true) }
}
// ANCHOR_END: goready

/// [`goready`] that also passes `param` to the parked goroutine, which
/// receives it as `gopark`'s return value (Go's `gp.param`).
///
/// # Safety
///
/// As for [`goready`].
pub unsafe fn goready_param(gp: Gp, param: usize) {
    // SAFETY: forwarded contract.
    unsafe { ready(gp, param, true) }
}

// ANCHOR: ready
/// Go's `ready`.
///
/// # Safety
///
/// As for [`goready`].
unsafe fn ready(gp: Gp, param: usize, next: bool) {
    // SAFETY: Gs are never freed while their runtime lives, and the caller's
    // contract says this one is parked, so its runtime is alive.
    let g = unsafe { gp.0.as_ref() };
    // SAFETY: a G's runtime outlives it (leaked at shutdown if Gs remain).
    let sched = unsafe { &*g.schedp };
    if sched.shutdown.load(Ordering::Acquire) {
        // Abandoned with its runtime: see `Runtime`'s shutdown docs.
        return;
    }
    g.param.store(param, Ordering::Relaxed);
    // Go CASes WAITING → RUNNABLE. By the contract only one waker holds a
    // parked G and nobody else writes its status until it is queued, so a
    // checked load and a store do the same without a locked instruction.
    // Acquire: the park's status store and saved context (published by the
    // unlock callback we synchronized with) are visible; the queue's
    // release carries our writes to whoever dequeues the G.
    let s = g.atomicstatus.load(Ordering::Acquire);
    if s != gstatus::WAITING {
        fatal(&format!(
            "runtime: goready of goroutine {} in status {}",
            g.goid.get(),
            gstatus::name(s)
        ));
    }
    g.atomicstatus.store(gstatus::RUNNABLE, Ordering::Relaxed);
    trace::ready(g.goid.get());
    // Go wakes an idle P for every ready. gort has nothing to wake when the
    // waker is the goroutine's own thread: it runs the goroutine as soon as
    // the current one parks, and no other thread may. If the current
    // goroutine keeps computing instead, it holds up its own thread's
    // goroutines only; sysmon reports it (see `sysmon.rs`).
    let home = g.home();
    match current_p(sched) {
        Some(p) if ptr::eq(p, home) => runqput_pinned(p, gp.0, next),
        _ => readyremote(sched, home, std::iter::once(gp.0)),
    }
}
// ANCHOR_END: ready

// ANCHOR: readyremote
/// Queues goroutines pinned to `home` from a thread that does not hold
/// `home`: into its inbox, then claims `home` if it is idle, which wakes
/// its M (gort's; Go's nearest is `startlockedm`).
///
/// The sleeping side is `find_runnable`, which marks its P idle and then
/// looks at the inbox once more. Each side stores then loads, both SeqCst
/// (`inbox_len` then `status` here, `status` then `inbox_len` there), so at
/// least one of them sees the other: either the M finds the goroutine, or
/// we find the P idle and claim it.
pub(crate) fn readyremote(sched: &Sched, home: *const P, gs: impl IntoIterator<Item = NonNull<G>>) {
    // SAFETY: a goroutine's home P lives as long as its runtime.
    let p = unsafe { &*home };
    {
        let mut inbox = p.inbox.lock();
        inbox.extend(gs);
        p.inbox_len.store(inbox.len(), Ordering::SeqCst);
    }
    if p.status.load(Ordering::SeqCst) == pstatus::IDLE {
        claimp(sched, home.cast_mut(), false);
    }
}
// ANCHOR_END: readyremote

// ANCHOR: runqput
/// The P the calling thread holds, if it is an M of `sched` holding one.
fn current_p(sched: &Sched) -> Option<&P> {
    let m = getm();
    if m.is_null() {
        return None;
    }
    // SAFETY: the current M is this thread's.
    let m = unsafe { &*m };
    let pp = m.p.get();
    // SAFETY: a held P is alive (Ps live as long as their Sched, which the
    // caller borrows) and only its holder, this thread, queues on it here.
    (!pp.is_null() && ptr::eq(m.schedp, sched)).then(|| unsafe { &*pp })
}

/// The holder-only part of `p`.
///
/// # Safety
///
/// The caller holds `p` (is its M, with `M::p` set) and keeps the borrow
/// short: no other `local` borrow may be alive, so never across a call that
/// may ready a goroutine or run timers.
#[allow(clippy::mut_from_ref)]
unsafe fn local(p: &P) -> &mut PLocal {
    // SAFETY: forwarded contract.
    unsafe { &mut *p.local.get() }
}

/// Queues a goroutine pinned to `p`, by `p`'s holder: into `runnext` with
/// `next` (its previous occupant moving to the tail), else at the tail.
pub(crate) fn runqput_pinned(p: &P, gp: NonNull<G>, next: bool) {
    // SAFETY: our caller holds `p`; a short borrow.
    let l = unsafe { local(p) };
    if next {
        if let Some(old) = l.runnext.replace(gp) {
            l.pinq.push_back(old);
        }
    } else {
        l.pinq.push_back(gp);
    }
}

/// Moves what other threads readied for `p` onto its own queue (the holder).
fn drain_inbox(p: &P) {
    // Relaxed: a hint; the lock below orders the goroutines themselves.
    if p.inbox_len.load(Ordering::Relaxed) == 0 {
        return;
    }
    let mut inbox = p.inbox.lock();
    p.inbox_len.store(0, Ordering::Relaxed);
    // SAFETY: our caller holds `p`; a short borrow.
    unsafe { local(p) }.pinq.extend(inbox.drain(..));
}

/// Whether `p` (held by the caller) has goroutines of its own to run.
pub(crate) fn has_local_work(p: &P) -> bool {
    // SAFETY: our caller holds `p`; a short borrow.
    let l = unsafe { local(p) };
    l.runnext.is_some()
        || !l.pinq.is_empty()
        || !p.runq.is_empty()
        || p.inbox_len.load(Ordering::Relaxed) != 0
}

/// Go's `runqput` for a goroutine that has never run: local queue,
/// overflowing half of it to the global queue. Says whether `gp` went alone
/// into an empty `runnext` (see `newproc`).
fn runqput(sched: &Sched, p: &P, gp: NonNull<G>, next: bool) -> Queued {
    let alone = p.runq.put(gp, next, |batch| {
        globrunqputbatch(sched, batch.iter().copied())
    });
    if alone {
        Queued::AloneInRunnext
    } else {
        Queued::WithOthers
    }
}
// ANCHOR_END: runqput

// ANCHOR: Gosched
/// Yields the processor: the calling goroutine goes to the back of its P's
/// run queue and others run first (Go's `runtime.Gosched`).
///
/// Scheduling in gort is cooperative, so a goroutine that computes for a long
/// time should call this now and then. Outside a goroutine it yields the thread.
///
/// ```
/// gort_runtime::run(|| {
///     let h = gort_runtime::spawn(|| 2);
///     gort_runtime::yield_now(); // lets the new goroutine run first
///     assert_eq!(h.join().unwrap(), 2);
/// });
/// ```
#[doc(alias = "Gosched")]
pub fn yield_now() {
    if !can_park() {
        std::thread::yield_now();
        return;
    }
    mcall(Pending::Yield);
}

// ANCHOR: preempt_point
/// Yields if sysmon has found the calling goroutine's time slice used up
/// (10 ms without a scheduling point); otherwise returns at once, after one
/// thread-local read and one relaxed load.
///
/// Go preempts such a goroutine: sysmon marks it, and the goroutine stops at
/// its next function prologue (or at once, by a signal), then
/// `gopreempt_m` puts it back in a run queue. gort cannot interrupt Rust
/// code, so it offers this check instead, and gort-poll makes it at the start
/// of every socket read, write and accept. That matters more with pinning
/// than it did in Go: a goroutine whose I/O never has to wait (a client
/// hammering a loopback server) would otherwise keep every goroutine pinned
/// to its thread, the server's accept loop included, from running at all.
/// Call it in long loops of your own that neither park nor do I/O.
#[doc(alias = "gopreempt_m")]
pub fn preempt_point() {
    let m = getm();
    if m.is_null() {
        return;
    }
    // SAFETY: this thread's M; only this thread touches its Cells.
    let (curg, pp) = unsafe { ((*m).curg.get(), (*m).p.get()) };
    // SAFETY: a held P is alive. Relaxed: `preempt` is a hint (see `P`).
    if !curg.is_null() && !pp.is_null() && unsafe { &*pp }.preempt.load(Ordering::Relaxed) {
        mcall(Pending::Yield);
    }
}
// ANCHOR_END: preempt_point

/// g0 half of `yield_now` (Go's `gosched_m`). Go puts the G on the global
/// queue; gort puts it at the tail of its P's pinned queue, the only one it
/// may wait in.
fn gosched_m(m: &M, gp: NonNull<G>) {
    // SAFETY: `gp` just switched away from us.
    let g = unsafe { gp.as_ref() };
    g.atomicstatus.store(gstatus::RUNNABLE, Ordering::Relaxed);
    // SAFETY: an M running the scheduler holds a P.
    runqput_pinned(unsafe { &*m.p.get() }, gp, false);
}
// ANCHOR_END: Gosched

// ---------------------------------------------------------------------------
// newproc / goexit.

// ANCHOR: newproc
/// Creates a goroutine running `entry` and queues it (Go's `newproc`).
/// Returns its id.
pub(crate) fn newproc(
    sched: &Sched,
    entry: Arc<dyn crate::runtime2::GoEntry>,
    stack_size: usize,
    trace_ctx: Option<Box<trace::GoTrace>>,
) -> io::Result<u64> {
    assert!(
        !sched.shutdown.load(Ordering::Acquire),
        "spawn on a runtime that has shut down"
    );
    let m = getm();
    // The caller's P if it is one of this runtime's (a goroutine spawning);
    // none for plain threads and `blocking` helper threads.
    let pp = if m.is_null() {
        ptr::null_mut()
    } else {
        // SAFETY: the current M is this thread's.
        let m = unsafe { &*m };
        if ptr::eq(m.schedp, sched) {
            m.p.get()
        } else {
            ptr::null_mut()
        }
    };
    // SAFETY: a held P's local part belongs to us (see `P::local`).
    let local: Option<&mut PLocal> = (!pp.is_null()).then(|| unsafe { &mut *(*pp).local.get() });
    let stack_size = stack::round_stack_size(stack_size);
    let (gp, goid, stack) = match local {
        Some(local) => {
            let stack = local.stackcache.get(stack_size)?;
            let gp = match local.gfree.pop() {
                Some(gp) => gp,
                None => gfget_global(sched),
            };
            if local.goidcache == local.goidcacheend {
                local.goidcache = sched.goidgen.fetch_add(GOID_CACHE_BATCH, Ordering::Relaxed) + 1;
                local.goidcacheend = local.goidcache + GOID_CACHE_BATCH;
            }
            let goid = local.goidcache;
            local.goidcache += 1;
            (gp, goid, stack)
        }
        None => {
            let stack = stack::stackalloc(stack_size)?;
            let goid = sched.goidgen.fetch_add(1, Ordering::Relaxed) + 1;
            (gfget_global(sched), goid, stack)
        }
    };
    // SAFETY: a free or new G is owned by nobody else.
    let g = unsafe { gp.as_ref() };
    g.goid.set(goid);
    // SAFETY: as above: the G's cells are ours until it is queued.
    unsafe {
        let hi = stack.hi();
        *g.stack.get() = Some(stack);
        *g.entry.get() = Some(entry);
        *g.trace_ctx.get() = trace_ctx;
        // SAFETY: `hi` is the page-aligned top of a stack we now own.
        gostartcall(&mut *g.sched.get(), hi, goentry, gp.as_ptr() as usize);
    }
    g.atomicstatus.store(gstatus::RUNNABLE, Ordering::Relaxed);
    trace::spawn(goid);
    if pp.is_null() {
        sched.ngoroutines.fetch_add(1, Ordering::Relaxed);
        globrunqput(sched, gp);
    } else {
        // SAFETY: the held P is alive.
        let p = unsafe { &*pp };
        PStats::bump(&p.stats.live, 1);
        PStats::bump_u64(&p.stats.spawned);
        // gort's departure: its first run decides its thread for good, so
        // start it where there is less to do (`policy::spread_target`).
        if let Some(q) = policy::spread_target(sched, p) {
            readyremote(sched, q, std::iter::once(gp));
            return Ok(goid);
        }
        // gort's departure: no wakep for a goroutine alone in runnext
        // (`policy::wakep_after_spawn`).
        if !policy::wakep_after_spawn(runqput(sched, p, gp, true)) {
            return Ok(goid);
        }
    }
    wakep(sched);
    Ok(goid)
}
// ANCHOR_END: newproc

/// A G from the global free list, or a new one (Go's `gfget` + `malg`).
fn gfget_global(sched: &Sched) -> NonNull<G> {
    let mut l = sched.lock.lock();
    if let Some(gp) = l.gfree.pop() {
        return gp;
    }
    let gp = NonNull::from(Box::leak(Box::new(G::new(sched))));
    l.allgs.push(gp);
    gp
}

// ANCHOR: goexit0
/// First Rust code on every goroutine stack (Go's `goexit` frame + the
/// function `newproc` was given).
extern "C" fn goentry(arg: usize) -> ! {
    let gp = arg as *mut G;
    // SAFETY: `arg` is the G newproc prepared; it is running, so ours.
    let entry = unsafe { (*(*gp).entry.get()).take() };
    if let Some(entry) = entry {
        // The spawn wrappers catch panics themselves; this is a backstop so
        // that nothing ever unwinds into the hand-made frame below us.
        if catch_unwind(AssertUnwindSafe(|| entry.run())).is_err() {
            fatal("runtime: panic escaped a goroutine's entry");
        }
    }
    mcall(Pending::Exit);
    fatal("runtime: a dead goroutine was resumed")
}

/// g0 half of a goroutine's exit (Go's `goexit0` + `gfput`).
fn goexit0(sched: &Sched, m: &M, gp: NonNull<G>) {
    // SAFETY: the G has finished and switched away for good; it is ours.
    let g = unsafe { gp.as_ref() };
    g.atomicstatus.store(gstatus::DEAD, Ordering::Relaxed);
    trace::exit(g.goid.get());
    // SAFETY: an M running the scheduler holds a P, and owns its local part.
    let local = unsafe { &mut *(*m.p.get()).local.get() };
    // SAFETY: the G is dead: nothing runs on its stack any more.
    if let Some(stack) = unsafe { (*g.stack.get()).take() } {
        local.stackcache.put(stack);
    }
    // Unpinned for its next life; its span is closed here, on its thread.
    g.set_home(ptr::null());
    g.unwind.set(Unwind::No);
    // SAFETY: the G is dead and ours.
    drop(unsafe { (*g.trace_ctx.get()).take() });
    local.gfree.push(gp);
    if local.gfree.len() > GFREE_LOCAL_MAX {
        let half = local.gfree.len() / 2;
        let moved: Vec<_> = local.gfree.drain(..half).collect();
        sched.lock.lock().gfree.extend(moved);
    }
    // SAFETY: we hold the P, the dead goroutine's home.
    let stats = &unsafe { &*m.p.get() }.stats;
    PStats::bump(&stats.live, -1);
    PStats::bump(&stats.pinned, -1);
}
// ANCHOR_END: goexit0

// ---------------------------------------------------------------------------
// Finding work.

/// What one look for work has learnt about time (Go's `now` and
/// `pollUntil` in `findRunnable`), passed through the timer checks and the
/// steal passes.
#[derive(Clone, Copy, Default)]
struct Clock {
    /// The time as last read, 0 while not read yet (only timers and the
    /// poller need it).
    now: i64,
    /// The earliest timer seen on any P, 0 for none: how long the M may
    /// sleep in the poller.
    poll_until: i64,
}

/// What [`steal_work`] came back with.
enum Steal {
    /// A never-run goroutine taken from another P.
    Got(NonNull<G>),
    /// Nothing taken, but running other Ps' timers readied work for this P
    /// or the global queue: look again from the top.
    NewWork,
    /// Nothing.
    Nothing,
}

// ANCHOR: findRunnable
/// Go's `findRunnable`: returns the next G to run, blocking the M until there
/// is one; `None` once the runtime shuts down. On return with a G the M
/// holds its P.
fn find_runnable(sched: &Sched, m: &M) -> Option<Runnable> {
    'top: loop {
        if sched.shutdown.load(Ordering::Acquire) {
            return None;
        }
        let pp = m.p.get();
        debug_assert!(ptr::eq(pp, m.pp), "findRunnable without its P");
        // SAFETY: we hold `pp`.
        let p = unsafe { &*pp };
        // A runtime being dropped asks each P to unwind its parked goroutines.
        crate::panic::sweep_if_asked(sched, p);

        // ANCHOR: findRunnable_local
        let mut clock = Clock::default();
        check_timers(p, &mut clock);

        // Now and then look at the global queue first, so that two goroutines
        // taking turns on one P cannot starve it.
        if p.schedtick.load(Ordering::Relaxed) % 61 == 0
            && sched.runqsize.load(Ordering::Relaxed) > 0
            && let Some(gp) = globrunqget(sched, p, 1)
        {
            return Some(Runnable::fresh(gp));
        }
        drain_inbox(p);
        if let Some(run) = runqget(sched, p) {
            if p.preempt.load(Ordering::Relaxed) {
                p.preempt.store(false, Ordering::Relaxed);
                if run.inherit_time {
                    // The slice is used up: the goroutine waits its turn at
                    // the tail.
                    // SAFETY: we just took it from one of our queues.
                    if unsafe { run.gp.as_ref() }.home().is_null() {
                        let _ = runqput(sched, p, run.gp, false);
                    } else {
                        runqput_pinned(p, run.gp, false);
                    }
                    continue 'top;
                }
            }
            return Some(run);
        }
        if sched.runqsize.load(Ordering::Relaxed) > 0
            && let Some(gp) = globrunqget(sched, p, 0)
        {
            return Some(Runnable::fresh(gp));
        }
        // Poll the network without blocking, if anyone waits on it and no
        // other M is already blocked in it (that one will deliver).
        if sched.netpoll_waiters.load(Ordering::Relaxed) > 0
            && sched.lastpoll.load(Ordering::Relaxed) != 0
        {
            let mut list = Vec::new();
            let delta = sched.netpoll.netpoll(0, &mut list);
            netpoll_adjust_waiters(sched, delta);
            if injectglist(sched, list) {
                continue 'top;
            }
        }
        // ANCHOR_END: findRunnable_local
        // ANCHOR: findRunnable_steal
        // Steal never-run goroutines, if not too many Ms are already doing so.
        let procs = sched.gomaxprocs();
        if m.spinning.get()
            || 2 * sched.nmspinning.load(Ordering::SeqCst)
                < procs - sched.npidle.load(Ordering::SeqCst)
        {
            if !m.spinning.get() {
                become_spinning(sched, m);
            }
            match steal_work(sched, m, &mut clock) {
                Steal::Got(gp) => return Some(Runnable::fresh(gp)),
                Steal::NewWork => continue 'top,
                Steal::Nothing => {}
            }
        }
        // ANCHOR_END: findRunnable_steal

        // ANCHOR: findRunnable_idle
        // gort's departure: before giving up the P, poll the network for a
        // short while, so that a reply arriving within microseconds runs at
        // once, without this thread sleeping in epoll_wait and being woken
        // (`policy::poll_spin`).
        if policy::poll_spin(sched, p, clock.poll_until) == PollSpin::FoundWork {
            continue 'top;
        }

        // Nothing to do: put the P on the idle list. The M keeps it in the
        // sense that no other M will ever run it; whoever takes it off the
        // list again wakes this M (see `claimp`).
        let mut l = sched.lock.lock();
        if sched.shutdown.load(Ordering::Acquire) {
            return None;
        }
        if !l.runq.is_empty() {
            let gp = globrunqget_locked(sched, &mut l, p, 0);
            drop(l);
            if let Some(gp) = gp {
                return Some(Runnable::fresh(gp));
            }
            continue 'top;
        }
        // Timers run while stealing may have readied goroutines of ours.
        if has_local_work(p) {
            continue 'top;
        }
        let pp = releasep(m);
        pidleput(sched, &mut l, pp);
        drop(l);

        // The spinning → idle transition: see the module doc and `wakep`.
        // An idle M holds no unit of `nmspinning` (take_own_p relies on it).
        let was_spinning = m.spinning.get();
        if was_spinning {
            m.spinning.set(false);
            // SeqCst: store-load pairing with `wakep`'s fence.
            sched.nmspinning.fetch_sub(1, Ordering::SeqCst);
        }
        // The other half of `readyremote`'s pairing: status IDLE is stored
        // (SeqCst, in pidleput), now look at the inbox (SeqCst); and of the
        // unwinding's pairing (`panic::unwind_all`): at its epoch.
        if p.inbox_len.load(Ordering::SeqCst) != 0 || crate::panic::sweep_asked(sched, p) {
            take_own_p(sched.lock.lock(), m);
            continue 'top;
        }
        if was_spinning && work_exists_no_p(sched) {
            take_own_p(sched.lock.lock(), m);
            if !m.spinning.get() {
                become_spinning(sched, m);
            }
            continue 'top;
        }
        let poll_until = earliest(clock.poll_until, check_timers_no_p(sched));
        // ANCHOR_END: findRunnable_idle

        // ANCHOR: findRunnable_netpoll
        // Block in the netpoller until the next timer, unless another M
        // already does (lastpoll == 0 marks the poller role as taken).
        if (sched.netpoll_waiters.load(Ordering::Relaxed) > 0 || poll_until != 0)
            && sched.lastpoll.swap(0, Ordering::SeqCst) != 0
        {
            sched.poll_until.store(poll_until, Ordering::Release);
            // Announce the role before the last look (SeqCst, pairing with
            // `claimp` and `shutdown`, which store first and then look at
            // `polling`): a claim or a shutdown that this look misses is
            // made after it, and breaks the poll we are about to enter.
            // Without this look a break that the previous poller consumed
            // would leave us blocked until the next timer, perhaps forever.
            m.polling.store(true, Ordering::SeqCst);
            let stop = sched.shutdown.load(Ordering::SeqCst)
                || p.status.load(Ordering::SeqCst) != pstatus::IDLE;
            let delay = if stop {
                0
            } else if poll_until == 0 {
                -1
            } else {
                let now = if clock.now == 0 {
                    nanotime()
                } else {
                    clock.now
                };
                (poll_until - now).max(0)
            };
            let mut list = Vec::new();
            let delta = sched.netpoll.netpoll(delay, &mut list);
            m.polling.store(false, Ordering::Relaxed);
            let now = nanotime();
            sched.poll_until.store(0, Ordering::Relaxed);
            sched.lastpoll.store(now, Ordering::Release);
            if sched.shutdown.load(Ordering::Acquire) {
                return None;
            }
            take_own_p(sched.lock.lock(), m);
            netpoll_adjust_waiters(sched, delta);
            if !injectglist(sched, list) && was_spinning && !m.spinning.get() {
                become_spinning(sched, m);
            }
            continue 'top;
        } else if poll_until != 0 {
            // The poller sleeps past our earliest timer: wake it to re-plan.
            let theirs = sched.poll_until.load(Ordering::Acquire);
            if theirs == 0 || theirs > poll_until {
                sched.netpoll.netpoll_break();
            }
        }
        if !stopm(sched, m) {
            return None;
        }
        // ANCHOR_END: findRunnable_netpoll
    }
}
// ANCHOR_END: findRunnable

// ANCHOR: runqget
/// The next goroutine of `p`'s own (Go's `runqget`), and whether it
/// inherits the time slice: the pinned `runnext` first; then the pinned
/// queue and the never-run queue in turn, so that neither starves the other.
fn runqget(sched: &Sched, p: &P) -> Option<Runnable> {
    let pinned_first = {
        // SAFETY: we hold `p`; a short borrow.
        let l = unsafe { local(p) };
        if let Some(gp) = l.runnext.take() {
            return Some(Runnable {
                gp,
                inherit_time: true,
            });
        }
        l.fresh_turn = !l.fresh_turn;
        !l.fresh_turn
    };
    if pinned_first {
        // SAFETY: we hold `p`; a short borrow.
        if let Some(gp) = unsafe { local(p) }.pinq.pop_front() {
            return Some(Runnable::fresh(gp));
        }
    }
    if let Some((gp, inherit_time)) = p.runq.get() {
        // gort's departure: Go wakes helpers eagerly elsewhere; gort wakes
        // one when this queue has stayed non-empty for a while
        // (`policy::backlog_valve`).
        // SAFETY: we hold `p`; a short borrow, ended before `wakep`.
        let since = &mut unsafe { local(p) }.backlog_since;
        if policy::backlog_valve(&p.runq, since) {
            wakep(sched);
        }
        return Some(Runnable { gp, inherit_time });
    }
    // SAFETY: as above.
    unsafe { local(p) }.pinq.pop_front().map(Runnable::fresh)
}
// ANCHOR_END: runqget

fn earliest(a: i64, b: i64) -> i64 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (a, b) => a.min(b),
    }
}

// ANCHOR: checkTimers
/// Runs `p`'s due timers (Go's `checkTimers`). Reads the clock into
/// `clock.now` if a timer needs it and it was not read yet, and folds `p`'s
/// next expiry into `clock.poll_until`.
fn check_timers(p: &P, clock: &mut Clock) {
    let next = p.timers.wake_time();
    if next == 0 {
        return;
    }
    if clock.now == 0 {
        clock.now = nanotime();
    }
    let next = if clock.now < next {
        next
    } else {
        p.timers.run(clock.now)
    };
    clock.poll_until = earliest(clock.poll_until, next);
}
// ANCHOR_END: checkTimers

/// Earliest timer of any P (Go's `checkTimersNoP`).
fn check_timers_no_p(sched: &Sched) -> i64 {
    sched
        .allp
        .iter()
        .fold(0, |acc, p| earliest(acc, p.timers.wake_time()))
}

/// After dropping out of spinning: whether work that another spinner could
/// take may have been queued while we were giving up (Go's "check global and
/// P runqs again" in `findRunnable`, and `checkRunqsNoP`). The global queue
/// matters for a spawn from a thread outside the runtime: it queues there,
/// and its `wakep` may have seen us still spinning.
fn work_exists_no_p(sched: &Sched) -> bool {
    let l = sched.lock.lock();
    !l.runq.is_empty() || sched.allp.iter().any(|p| !p.runq.is_empty())
}

// ANCHOR: stealWork
/// Go's `stealWork`: up to four passes over the other Ps in random order,
/// taking half of a run queue of never-run goroutines (pinned ones cannot
/// move); the last pass also runs their due timers, folding the clock and
/// their next expiries into `clock`, and may take a `runnext`.
fn steal_work(sched: &Sched, m: &M, clock: &mut Clock) -> Steal {
    // SAFETY: we hold our P.
    let p = unsafe { &*m.p.get() };
    let n = sched.allp.len();
    let mut ran_timers = false;
    for pass in 0..STEAL_TRIES {
        let last = pass == STEAL_TRIES - 1;
        let start = fastrand(n);
        for k in 0..n {
            if sched.shutdown.load(Ordering::Relaxed) {
                return Steal::Nothing;
            }
            let p2 = &sched.allp[(start + k) % n];
            if ptr::eq(p2, p) {
                continue;
            }
            if last && p2.timers.wake_time() != 0 {
                check_timers(p2, clock);
                // Timers may have readied goroutines pinned to us.
                if has_local_work(p) {
                    return Steal::NewWork;
                }
                ran_timers |= sched.runqsize.load(Ordering::Relaxed) > 0;
            }
            if p2.runq.is_empty() {
                continue;
            }
            // Go gives a running P a moment (usleep(3)) to run the G it just
            // readied before taking its runnext; spin about as long.
            let take_next = last;
            if take_next && p2.status.load(Ordering::Relaxed) == pstatus::RUNNING {
                let until = nanotime() + 3_000;
                while nanotime() < until {
                    std::hint::spin_loop();
                }
            }
            if let Some(gp) = p.runq.steal(&p2.runq, take_next) {
                PStats::bump_u64(&p.stats.stolen);
                // SAFETY: stolen Gs are runnable and now ours.
                trace::steal(unsafe { gp.as_ref() }.goid.get(), p2.id, p.id);
                return Steal::Got(gp);
            }
        }
    }
    if ran_timers {
        Steal::NewWork
    } else {
        Steal::Nothing
    }
}
// ANCHOR_END: stealWork

/// A cheap per-thread random number below `n` (Go's `cheaprandn`).
pub(crate) fn fastrand(n: usize) -> usize {
    (cheaprand() as usize) % n.max(1)
}

/// A cheap per-thread random 32-bit number (Go's `cheaprand`).
pub(crate) fn cheaprand() -> u32 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = const { Cell::new(0) });
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            x = (nanotime() as u64) | 1;
        }
        // xorshift64*
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    })
}

// ---------------------------------------------------------------------------
// Spinning, starting and stopping Ms.

fn become_spinning(sched: &Sched, m: &M) {
    m.spinning.set(true);
    sched.nmspinning.fetch_add(1, Ordering::SeqCst);
}

// ANCHOR: resetspinning
/// An M found work while spinning (Go's `resetspinning`): it stops spinning
/// and, since it may have been the last spinner, makes sure another one looks
/// for the work that may still be out there.
fn resetspinning(sched: &Sched, m: &M) {
    m.spinning.set(false);
    sched.nmspinning.fetch_sub(1, Ordering::SeqCst);
    // gort's departure: Go always wakes another spinner here; gort does only
    // for work another M could take (`policy::wakep_after_spinning`).
    if policy::wakep_after_spinning(sched) {
        wakep(sched);
    }
}
// ANCHOR_END: resetspinning

// ANCHOR: wakep
/// Starts an M to run goroutines if there is an idle P and no M spinning
/// already (Go's `wakep`).
///
/// The fence pairs with the spinning M's `nmspinning` decrement followed by
/// its re-check of every run queue (in `find_runnable`): the submitter writes
/// its queue then reads `nmspinning`/`npidle`, the spinner writes `nmspinning`
/// then reads the queues. With a full fence on both sides at least one of them
/// sees the other's write, so queued work is never left with every M asleep.
pub(crate) fn wakep(sched: &Sched) {
    fence(Ordering::SeqCst);
    if sched.npidle.load(Ordering::SeqCst) == 0 || sched.nmspinning.load(Ordering::SeqCst) != 0 {
        return;
    }
    if sched
        .nmspinning
        .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return;
    }
    let pp = {
        let mut l = sched.lock.lock();
        let pp = pidleget(sched, &mut l);
        if let Some(pp) = pp {
            // Our unit of nmspinning goes to the P's M.
            // SAFETY: Ps live as long as their Sched.
            unsafe { &*pp }
                .claim_spinning
                .store(true, Ordering::Relaxed);
        }
        pp
    };
    match pp {
        Some(pp) => startm(sched, pp),
        None => {
            sched.nmspinning.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
// ANCHOR_END: wakep

// ANCHOR: claimp
/// Takes `pp` off the idle list, if it is there, and wakes its M to run it;
/// `spinning` hands that M one unit of `nmspinning` the caller holds.
/// Returns whether the P was idle. (gort's; with a P bound to its M this is
/// how Go's `startlockedm` and `startm` of a given P meet.)
pub(crate) fn claimp(sched: &Sched, pp: *mut P, spinning: bool) -> bool {
    {
        let mut l = sched.lock.lock();
        if !pidletake(sched, &mut l, pp) {
            return false;
        }
        // SAFETY: Ps live as long as their Sched.
        unsafe { &*pp }
            .claim_spinning
            .store(spinning, Ordering::Relaxed);
    }
    startm(sched, pp);
    true
}
// ANCHOR_END: claimp

// ANCHOR: startm
/// Runs the just-claimed `pp` on its M: wakes it, or starts it if the P has
/// never had one (Go's `startm`).
///
/// The M may be sleeping on its note, or blocked in the netpoller. It
/// stored `polling` before its last look at the P's status (SeqCst), and we
/// stored the status (under the lock, SeqCst) before loading `polling`, so
/// either it saw the claim and does not block, or we see `polling` and break
/// its poll. The note's wake-up is sticky, so a sleeper cannot miss it.
fn startm(sched: &Sched, pp: *mut P) {
    // SAFETY: Ps live as long as their Sched.
    let p = unsafe { &*pp };
    // Acquire: pairs with newm's Release store.
    let mp = p.m.load(Ordering::Acquire);
    if mp.is_null() {
        newm(sched, pp);
        return;
    }
    // SAFETY: Ms live as long as their Sched.
    let mr = unsafe { &*mp };
    mr.park.wakeup();
    if mr.polling.load(Ordering::SeqCst) {
        sched.netpoll.netpoll_break();
    }
}
// ANCHOR_END: startm

// ANCHOR: stopm
/// Sleeps until this M's P is claimed (Go's `stopm`), then takes it. Returns
/// false if the runtime shut down instead.
fn stopm(sched: &Sched, m: &M) -> bool {
    debug_assert!(m.p.get().is_null() && !m.spinning.get());
    loop {
        {
            let l = sched.lock.lock();
            if sched.shutdown.load(Ordering::Acquire) {
                return false;
            }
            // SAFETY: our P lives as long as the Sched.
            if unsafe { &*m.pp }.status.load(Ordering::Relaxed) != pstatus::IDLE {
                take_own_p(l, m);
                return true;
            }
        }
        // Claims and shutdown wake the note after changing what we just
        // read under the lock; a wake-up left over from a claim we already
        // took only makes this loop look once more.
        m.park.sleep();
    }
}
// ANCHOR_END: stopm

/// Takes this M's P back, with the sched lock held: off the idle list if it
/// is still there, or as claimed for us by another thread, in which case we
/// also take over the unit of `nmspinning` a `wakep` claim carries.
fn take_own_p(mut l: MutexGuard<'_, SchedLocked>, m: &M) {
    debug_assert!(
        m.p.get().is_null() && !m.spinning.get(),
        "take_own_p: the M holds its P or a unit of nmspinning"
    );
    // SAFETY: the Sched is alive (the lock is borrowed from it).
    let sched = unsafe { &*m.schedp };
    pidletake(sched, &mut l, m.pp);
    // SAFETY: Ps live as long as their Sched.
    let spinning = unsafe { &*m.pp }
        .claim_spinning
        .swap(false, Ordering::Relaxed);
    drop(l);
    acquirep(m);
    m.spinning.set(spinning);
}

// ANCHOR: wakeNetPoller
/// A timer now expires at `when`: make sure some M wakes for it (Go's
/// `wakeNetPoller`). If an M is blocked in the poller past `when`, interrupt
/// it; if none is, wake an idle P to take care of timers.
pub(crate) fn wake_net_poller(sched: &Sched, when: i64) {
    if sched.lastpoll.load(Ordering::Acquire) == 0 {
        let until = sched.poll_until.load(Ordering::Acquire);
        if until == 0 || until > when {
            sched.netpoll.netpoll_break();
        }
    } else {
        wakep(sched);
    }
}
// ANCHOR_END: wakeNetPoller

/// The M starts running its P (the P was claimed: status RUNNING).
fn acquirep(m: &M) {
    m.p.set(m.pp);
}

/// The M stops running its P; the caller puts it on the idle list.
fn releasep(m: &M) -> *mut P {
    m.p.replace(ptr::null_mut())
}

/// Go's `pidleput`; the sched lock is held.
fn pidleput(sched: &Sched, l: &mut MutexGuard<'_, SchedLocked>, pp: *mut P) {
    // SAFETY: Ps live as long as their Sched.
    let p = unsafe { &*pp };
    debug_assert!(p.runq.is_empty(), "pidleput: P has non-empty run queue");
    // SeqCst: see `readyremote`.
    p.status.store(pstatus::IDLE, Ordering::SeqCst);
    l.pidle.push(pp);
    sched.npidle.fetch_add(1, Ordering::SeqCst);
}

/// Go's `pidleget`: claims any idle P; the sched lock is held.
fn pidleget(sched: &Sched, l: &mut MutexGuard<'_, SchedLocked>) -> Option<*mut P> {
    let pp = l.pidle.pop()?;
    // SAFETY: Ps live as long as their Sched. SeqCst: see `startm`.
    unsafe { &*pp }
        .status
        .store(pstatus::RUNNING, Ordering::SeqCst);
    sched.npidle.fetch_sub(1, Ordering::SeqCst);
    Some(pp)
}

/// Claims `pp` if it is idle; the sched lock is held. (gort's: Go takes
/// whichever P is idle, gort's readies need a given one.)
fn pidletake(sched: &Sched, l: &mut MutexGuard<'_, SchedLocked>, pp: *mut P) -> bool {
    let Some(i) = l.pidle.iter().position(|&q| ptr::eq(q, pp)) else {
        return false;
    };
    l.pidle.swap_remove(i);
    // SAFETY: Ps live as long as their Sched. SeqCst: see `startm`.
    unsafe { &*pp }
        .status
        .store(pstatus::RUNNING, Ordering::SeqCst);
    sched.npidle.fetch_sub(1, Ordering::SeqCst);
    true
}

// ---------------------------------------------------------------------------
// The global run queue.

fn globrunqput(sched: &Sched, gp: NonNull<G>) {
    let mut l = sched.lock.lock();
    l.runq.push_back(gp);
    sched.runqsize.store(l.runq.len(), Ordering::Relaxed);
}

fn globrunqputbatch(sched: &Sched, batch: impl IntoIterator<Item = NonNull<G>>) {
    let mut l = sched.lock.lock();
    l.runq.extend(batch);
    sched.runqsize.store(l.runq.len(), Ordering::Relaxed);
}

// ANCHOR: globrunqget
/// Go's `globrunqget`: takes a fair share of the global queue (at most
/// `max` if non-zero), returns one and puts the rest on `p`'s queue.
fn globrunqget(sched: &Sched, p: &P, max: usize) -> Option<NonNull<G>> {
    let mut l = sched.lock.lock();
    globrunqget_locked(sched, &mut l, p, max)
}

fn globrunqget_locked(
    sched: &Sched,
    l: &mut MutexGuard<'_, SchedLocked>,
    p: &P,
    max: usize,
) -> Option<NonNull<G>> {
    let size = l.runq.len();
    if size == 0 {
        return None;
    }
    let mut n = (size / sched.allp.len() + 1)
        .min(size)
        .min(crate::runq::RUNQ_CAP / 2);
    if max > 0 {
        n = n.min(max);
    }
    let gp = l.runq.pop_front();
    for _ in 1..n {
        if let Some(g) = l.runq.pop_front() {
            p.runq
                .put(g, false, |_| unreachable!("half a run queue always fits"));
        }
    }
    sched.runqsize.store(l.runq.len(), Ordering::Relaxed);
    gp
}
// ANCHOR_END: globrunqget

/// Marks a G returned by the netpoller runnable (Go's casgstatus in
/// `injectglist` / findRunnable).
fn mark_runnable(gp: Gp) {
    // SAFETY: the poller hands us Gs whose park it ended; they are alive.
    let g = unsafe { gp.0.as_ref() };
    if let Err(s) = g.atomicstatus.compare_exchange(
        gstatus::WAITING,
        gstatus::RUNNABLE,
        Ordering::AcqRel,
        Ordering::Relaxed,
    ) {
        fatal(&format!(
            "runtime: netpoll returned goroutine {} in status {}",
            g.goid.get(),
            gstatus::name(s)
        ));
    }
}

// ANCHOR: injectglist
/// Queues the goroutines the netpoller released (Go's `injectglist`): each
/// on its own P, locally when that is the caller's, through the inbox
/// otherwise (one lock per P, not per goroutine). Returns whether any went
/// onto the caller's P.
pub(crate) fn injectglist(sched: &Sched, mut list: Vec<Gp>) -> bool {
    if list.is_empty() {
        return false;
    }
    for &gp in &list {
        mark_runnable(gp);
    }
    let cur = current_p(sched).map_or(ptr::null(), ptr::from_ref);
    /// The P a goroutine the poller released is pinned to.
    fn home(gp: &Gp) -> *const P {
        // SAFETY: the poller hands us Gs whose park it ended: alive, and
        // ours until queued.
        unsafe { gp.0.as_ref() }.home()
    }
    // Group by home; a stable sort keeps each P's goroutines in order.
    list.sort_by_key(|gp| home(gp) as usize);
    let mut local = false;
    for batch in list.chunk_by(|a, b| ptr::eq(home(a), home(b))) {
        let home = home(&batch[0]);
        if ptr::eq(home, cur) {
            local = true;
            // SAFETY: `cur` is the P we hold.
            let p = unsafe { &*cur };
            for &gp in batch {
                runqput_pinned(p, gp.0, false);
            }
        } else {
            readyremote(sched, home, batch.iter().map(|gp| gp.0));
        }
    }
    local
}
// ANCHOR_END: injectglist

pub(crate) fn netpoll_adjust_waiters(sched: &Sched, delta: i32) {
    if delta != 0 {
        sched
            .netpoll_waiters
            .fetch_add(delta as u32, Ordering::Relaxed);
    }
}

/// Counts a goroutine parked in the netpoller (Go's `netpollWaiters.Add(1)` in
/// `netpollblockcommit`), so the scheduler knows to poll. Call it from the
/// gopark unlock callback that commits the wait; the poller's `netpoll`
/// returns the matching negative delta when it releases the goroutine.
pub fn netpoll_add_waiter() {
    let m = getm();
    assert!(!m.is_null(), "netpoll_add_waiter outside the runtime");
    // SAFETY: this thread's M, and its runtime, are alive.
    let sched = unsafe { &*(*m).schedp };
    sched.netpoll_waiters.fetch_add(1, Ordering::Relaxed);
}

// ---------------------------------------------------------------------------
// Start-up and shutdown.

/// Builds the global state for `procs` Ps (Go's `schedinit` + `procresize`).
pub(crate) fn schedinit(
    procs: usize,
    stack_size: usize,
    netpoll: Arc<dyn crate::netpoll::Netpoll>,
    schedtrace_ms: u64,
    blocked_warn_ns: i64,
) -> Arc<Sched> {
    let allp: Box<[P]> = (0..procs)
        .map(|id| P {
            id,
            status: Default::default(),
            m: Default::default(),
            claim_spinning: Default::default(),
            schedtick: Default::default(),
            curgoid: Default::default(),
            preempt: Default::default(),
            swept: Default::default(),
            runq: crate::runq::RunQueue::new(),
            inbox: Default::default(),
            inbox_len: Default::default(),
            timers: Default::default(),
            local: std::cell::UnsafeCell::new(PLocal {
                stackcache: StackCache::new(),
                gfree: Vec::new(),
                goidcache: 0,
                goidcacheend: 0,
                backlog_since: 0,
                runnext: None,
                pinq: Default::default(),
                fresh_turn: false,
            }),
            stats: Default::default(),
        })
        .collect();
    let sched = Arc::new(Sched {
        lock: parking_lot::Mutex::new(SchedLocked {
            runq: Default::default(),
            pidle: Vec::new(),
            gfree: Vec::new(),
            allm: Vec::new(),
            allgs: Vec::new(),
            threads: Vec::new(),
        }),
        runqsize: Default::default(),
        npidle: Default::default(),
        nmspinning: Default::default(),
        mcount: Default::default(),
        allp,
        goidgen: Default::default(),
        ngoroutines: Default::default(),
        lastpoll: std::sync::atomic::AtomicI64::new(nanotime()),
        poll_until: Default::default(),
        netpoll,
        netpoll_waiters: Default::default(),
        pollspinning: Default::default(),
        ncpu: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        shutdown: Default::default(),
        unwind_epoch: Default::default(),
        unwind_forced: Default::default(),
        stack_size: stack::round_stack_size(stack_size),
        blocked_threads: Default::default(),
        long_runs: Default::default(),
        blocked_warn_ns,
        blockpool: Default::default(),
        schedtrace_ms,
        start: nanotime(),
    });
    {
        let mut l = sched.lock.lock();
        for i in (0..procs).rev() {
            let pp = sched.p(i);
            pidleput(&sched, &mut l, pp);
        }
    }
    sched
}

// ANCHOR: shutdown
/// Stops the runtime: no goroutine runs again; idle Ms exit; an M running a
/// goroutine exits when that goroutine next parks, yields or finishes.
/// Returns the threads that will exit promptly (those not running a goroutine
/// is not knowable here, so all of them; the caller decides whether to join).
///
/// Every M that could block must see the flag: a sleeping M reads it under
/// the lock before each sleep, and its note's wake-up is sticky; the poller
/// reads it (SeqCst) after taking the role and announcing `polling`, so a
/// poller that missed the store is broken out by the break below, which
/// comes after the store.
pub(crate) fn shutdown(sched: &Sched) -> Vec<std::thread::JoinHandle<()>> {
    let mut l = sched.lock.lock();
    sched.shutdown.store(true, Ordering::SeqCst);
    for &mp in &l.allm {
        // SAFETY: Ms live as long as the Sched.
        unsafe { &*mp }.park.wakeup();
    }
    let threads = std::mem::take(&mut l.threads);
    drop(l);
    sched.netpoll.netpoll_break();
    sched.blockpool.shutdown();
    threads
}
// ANCHOR_END: shutdown

/// Whether any M is running a goroutine (see `M::executing`).
pub(crate) fn any_m_executing(sched: &Sched) -> bool {
    let l = sched.lock.lock();
    l.allm.iter().any(|&mp| {
        // SAFETY: Ms live as long as the Sched.
        unsafe { &*mp }.executing.load(Ordering::Acquire)
    })
}

impl Drop for Sched {
    fn drop(&mut self) {
        let l = self.lock.get_mut();
        for &gp in &l.allgs {
            // SAFETY: the last reference to the Sched is gone, so no M runs
            // and no G is alive (see `Runtime::drop`); allgs owns them.
            let g = unsafe { Box::from_raw(gp.as_ptr()) };
            // SAFETY: as above.
            if let Some(stack) = unsafe { (*g.stack.get()).take() } {
                stack::stackfree(stack);
            }
        }
        for &mp in &l.allm {
            // SAFETY: every M thread has exited (each held a reference).
            drop(unsafe { Box::from_raw(mp) });
        }
        // The per-P stack caches go back to the pool when `allp` drops, just
        // after this; release them with every other warm stack.
        for p in self.allp.iter_mut() {
            p.local.get_mut().stackcache = stack::StackCache::new();
        }
        // This runtime's sysmon, which scavenged the process's free stacks,
        // is gone, and there may be no other: release the warm stacks now
        // rather than hold the last burst's peak for good.
        stack::free_os_memory();
    }
}
