//! Mirrors Go src/runtime/proc.go (go1.27): the scheduler: newproc, gopark/goready, schedule, findRunnable, startm/stopm, wakep, handoffp, entersyscall/exitsyscall.
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
//!   goroutine runs until it parks, yields, exits or enters [`blocking`]. sysmon
//!   still notices goroutines that run longer than 10 ms and counts them.
//! * **Switches go through g0.** A goroutine that stops always switches to its
//!   M's scheduler context first (Go's `mcall`), which then performs the action
//!   left in [`Pending`]: this is where `park_m` runs the unlock callback of
//!   [`gopark`], after the goroutine's registers are saved.
//! * **Fixed stacks.** Stacks do not grow (see `stack.rs`).
//!
//! Locking: `Sched::lock` guards the global queue and the idle P and M lists.
//! A P's run queue is lock-free (`runq.rs`); its timer heap has its own lock.
//!
//! Memory orderings, by kind (each field in `runtime2.rs` says which it is):
//! * **Hand-offs** carry ownership of a G or P to another thread and use
//!   release/acquire: the run queue, `M::nextp`, `P::status` around
//!   `blocking`, the `gopark` unlock callback's publication.
//! * **The spinning protocol** (`nmspinning`, `npidle`, the fence in
//!   [`wakep`]) is a store-load pattern and uses `SeqCst`; see `wakep`.
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
use crate::runtime2::PStats;
use crate::runtime2::{
    G, Gp, M, P, PLocal, Pending, Sched, SchedLocked, WaitReason, gstatus, pstatus,
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

/// Starts a new M on its own OS thread holding `pp` (Go's `newm` + `newosproc`).
fn newm(sched: &Sched, pp: *mut P, spinning: bool) {
    let id = u64::from(sched.mcount.fetch_add(1, Ordering::Relaxed)) + 1;
    let m = Box::into_raw(Box::new(M {
        id,
        g0: Default::default(),
        curg: Default::default(),
        p: std::cell::Cell::new(ptr::null_mut()),
        oldp: std::cell::Cell::new(ptr::null_mut()),
        spinning: Default::default(),
        in_blocking: Default::default(),
        executing: Default::default(),
        pending: std::cell::Cell::new(Pending::None),
        nextp: std::sync::atomic::AtomicPtr::new(pp),
        spinning_on_wake: std::sync::atomic::AtomicBool::new(spinning),
        park: Default::default(),
        schedp: sched,
    }));
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
    let pp = mr.nextp.swap(ptr::null_mut(), Ordering::Acquire);
    if !pp.is_null() {
        acquirep(mr, pp);
        mr.spinning.set(mr.spinning_on_wake.load(Ordering::Relaxed));
    }
    schedule(&sched, mr);
    setm(ptr::null_mut());
}
// ANCHOR_END: mstart

// ANCHOR: schedule
/// The scheduler loop of one M (Go's `schedule`, looping instead of recursing).
/// Returns when the runtime shuts down.
fn schedule(sched: &Sched, m: &M) {
    while let Some((gp, inherit)) = find_runnable(sched, m) {
        if m.spinning.get() {
            resetspinning(sched, m);
        }
        m.executing.store(true, Ordering::Relaxed);
        let mut next = Some((gp, inherit));
        while let Some((gp, inherit)) = next {
            // A G dequeued just before shutdown stays abandoned.
            if sched.shutdown.load(Ordering::Relaxed) {
                break;
            }
            next = execute(sched, m, gp, inherit);
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
fn execute(sched: &Sched, m: &M, gp: NonNull<G>, inherit: bool) -> Option<(NonNull<G>, bool)> {
    // SAFETY: we dequeued `gp`, so we own it until it runs and stops again.
    let g = unsafe { gp.as_ref() };
    let pp = m.p.get();
    // SAFETY: an M running the scheduler holds a P.
    let p = unsafe { &*pp };
    debug_assert_eq!(g.atomicstatus.load(Ordering::Relaxed), gstatus::RUNNABLE);
    g.atomicstatus.store(gstatus::RUNNING, Ordering::Relaxed);
    if !inherit {
        // Only the holder writes it (sysmon reads it as a hint): no RMW needed.
        let t = p.schedtick.load(Ordering::Relaxed);
        p.schedtick.store(t.wrapping_add(1), Ordering::Relaxed);
    }
    m.curg.set(gp.as_ptr());
    // SAFETY: g0's buffer is ours; `g.sched` was saved by swapcontext or made
    // by gostartcall and nobody else runs `gp`. This is g0, which never
    // migrates, so `m` and `sched` are still right when the switch returns.
    unsafe { swapcontext(m.g0.get(), g.sched.get()) };
    m.curg.set(ptr::null_mut());
    match m.pending.replace(Pending::None) {
        Pending::Park(unlockf) => park_m(gp, unlockf),
        Pending::Yield => {
            gosched_m(sched, m, gp);
            None
        }
        Pending::Exit => {
            goexit0(sched, m, gp);
            None
        }
        Pending::ExitSyscall => exitsyscall0(sched, m, gp),
        Pending::None => fatal("runtime: goroutine switched to g0 without a request"),
    }
}
// ANCHOR_END: execute

// ANCHOR: mcall
/// Switches from the running goroutine to its M's g0, leaving `pending` for
/// the scheduler (Go's `mcall`). Returns when the goroutine is resumed,
/// possibly on another thread.
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
    // Do not touch `m` here: we may be on another thread now.
}
// ANCHOR_END: mcall

// ---------------------------------------------------------------------------
// gopark / goready.

/// Whether the caller may block by parking its goroutine: it is a goroutine,
/// and not inside [`blocking`] (which must block its thread instead).
pub(crate) fn can_park() -> bool {
    let m = getm();
    // SAFETY: the current M is this thread's.
    !m.is_null() && unsafe { !(*m).curg.get().is_null() && !(*m).in_blocking.get() }
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
/// Outside a goroutine, or inside [`blocking`]: there is nothing to park.
pub fn gopark<F: FnOnce(Gp) -> bool>(unlockf: F, reason: WaitReason) -> usize {
    match try_gopark(unlockf, reason) {
        Some(param) => param,
        None => panic!("gopark called outside a goroutine or inside blocking()"),
    }
}

/// [`gopark`], or `None` (without calling `unlockf`) when the caller cannot
/// park: it is not a goroutine, or it is inside [`blocking`]. Lets a waiter
/// choose between parking its goroutine and blocking its thread with one
/// look at the current M.
pub(crate) fn try_gopark<F: FnOnce(Gp) -> bool>(unlockf: F, reason: WaitReason) -> Option<usize> {
    let m = getm();
    if m.is_null() {
        return None;
    }
    // SAFETY: this thread's M; its curg is the G running this code, if any.
    let gp = unsafe {
        let gp = (*m).curg.get();
        if gp.is_null() || (*m).in_blocking.get() {
            return None;
        }
        (*gp).waitreason.set(reason);
        gp
    };
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
    // Resumed, perhaps on another thread: `m` may be stale, but `gp` is
    // still us (a G is not a thread-local), so no fresh lookup is needed.
    // SAFETY: we are this G, running again.
    let g = unsafe { &*gp };
    g.waitreason.set(WaitReason::Zero);
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
fn park_m(gp: NonNull<G>, unlockf: *mut dyn FnMut(Gp) -> bool) -> Option<(NonNull<G>, bool)> {
    // SAFETY: `gp` just switched away from us and is not yet published.
    let g = unsafe { gp.as_ref() };
    // Relaxed would do: `unlockf` publishes the G with release semantics
    // after this store. Release documents the intent and is free on x86.
    g.atomicstatus.store(gstatus::WAITING, Ordering::Release);
    trace::park(g.goid.get(), g.waitreason.get());
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
    Some((gp, true))
}
// ANCHOR_END: park_m

// ANCHOR: goready
/// Makes a parked goroutine runnable (Go's `goready`): it goes to the current
/// P's `runnext`, so that the goroutine woken by the one running now runs next
/// on the same P (which keeps ping-pong pairs on one warm core), and an idle P
/// is woken if one exists.
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
    // unlock callback we synchronized with) are visible; the run queue's
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
    // Go wakes an idle P for every ready. gort skips it when the G went into
    // an empty runnext slot (tokio does the same with its LIFO slot): this P
    // runs it as soon as the current goroutine parks, which in a ping-pong is
    // at once, and waking a thread would cost more than the whole hand-off.
    // If the current goroutine keeps computing instead, sysmon's stranded-work
    // check wakes a P for it.
    if !runqput_current(sched, gp.0, next) {
        wakep(sched);
    }
}
// ANCHOR_END: ready

// ANCHOR: runqput
/// Queues a runnable G on the caller's P if it holds one of `sched`'s Ps,
/// else on the global queue. Returns what [`runqput`] returns (false for the
/// global queue).
fn runqput_current(sched: &Sched, gp: NonNull<G>, next: bool) -> bool {
    match current_p(sched) {
        Some(p) => runqput(sched, p, gp, next),
        None => {
            globrunqput(sched, gp);
            false
        }
    }
}

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

/// Go's `runqput`: local queue, overflowing half of it to the global queue.
/// Returns true when `gp` went into an empty `runnext` (see `ready`).
fn runqput(sched: &Sched, p: &P, gp: NonNull<G>, next: bool) -> bool {
    p.runq.put(gp, next, |batch| {
        globrunqputbatch(sched, batch.iter().copied())
    })
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

/// g0 half of `yield_now` (Go's `gosched_m`). Go puts the G on the global
/// queue; gort puts it at the tail of the local one, which is as fair towards
/// the local goroutines, leaves it stealable, and avoids the global lock.
fn gosched_m(sched: &Sched, m: &M, gp: NonNull<G>) {
    // SAFETY: `gp` just switched away from us.
    let g = unsafe { gp.as_ref() };
    g.atomicstatus.store(gstatus::RUNNABLE, Ordering::Relaxed);
    // SAFETY: an M running the scheduler holds a P.
    let _ = runqput(sched, unsafe { &*m.p.get() }, gp, false);
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
) -> io::Result<u64> {
    assert!(
        !sched.shutdown.load(Ordering::Acquire),
        "spawn on a runtime that has shut down"
    );
    let m = getm();
    // The caller's P if it is one of this runtime's (a goroutine spawning);
    // none for plain threads and goroutines inside `blocking`.
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
        if runqput(sched, p, gp, true) {
            // Alone in runnext: see `ready`.
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
    local.gfree.push(gp);
    if local.gfree.len() > GFREE_LOCAL_MAX {
        let half = local.gfree.len() / 2;
        let moved: Vec<_> = local.gfree.drain(..half).collect();
        sched.lock.lock().gfree.extend(moved);
    }
    // SAFETY: we hold the P.
    PStats::bump(&unsafe { &*m.p.get() }.stats.live, -1);
}
// ANCHOR_END: goexit0

// ---------------------------------------------------------------------------
// Finding work.

// ANCHOR: findRunnable
/// Go's `findRunnable`: returns the next G to run, blocking the M until there
/// is one; `None` once the runtime shuts down. On return with a G the M
/// holds a P.
fn find_runnable(sched: &Sched, m: &M) -> Option<(NonNull<G>, bool)> {
    'top: loop {
        if sched.shutdown.load(Ordering::Acquire) {
            return None;
        }
        let pp = m.p.get();
        debug_assert!(!pp.is_null(), "findRunnable without a P");
        // SAFETY: we hold `pp`.
        let p = unsafe { &*pp };

        // ANCHOR: findRunnable_local
        let (mut now, mut poll_until) = check_timers(p, 0);

        // Now and then look at the global queue first, so that two goroutines
        // taking turns on one P cannot starve it.
        if p.schedtick.load(Ordering::Relaxed) % 61 == 0
            && sched.runqsize.load(Ordering::Relaxed) > 0
            && let Some(gp) = globrunqget(sched, p, 1)
        {
            return Some((gp, false));
        }
        if let Some((gp, inherit)) = p.runq.get() {
            backlog_valve(sched, p);
            if p.preempt.load(Ordering::Relaxed) {
                p.preempt.store(false, Ordering::Relaxed);
                if inherit {
                    // The slice is used up: `gp` waits its turn at the tail.
                    let _ = runqput(sched, p, gp, false);
                    continue 'top;
                }
            }
            return Some((gp, inherit));
        }
        if sched.runqsize.load(Ordering::Relaxed) > 0
            && let Some(gp) = globrunqget(sched, p, 0)
        {
            return Some((gp, false));
        }
        // Poll the network without blocking, if anyone waits on it and no
        // other M is already blocked in it (that one will deliver).
        if sched.netpoll_waiters.load(Ordering::Relaxed) > 0
            && sched.lastpoll.load(Ordering::Relaxed) != 0
        {
            let mut list = Vec::new();
            let delta = sched.netpoll.netpoll(0, &mut list);
            netpoll_adjust_waiters(sched, delta);
            if let Some(gp) = list.pop() {
                injectglist(sched, list);
                mark_runnable(gp);
                return Some((gp.0, false));
            }
        }
        // ANCHOR_END: findRunnable_local
        // ANCHOR: findRunnable_steal
        // Steal, if not too many Ms are already doing so.
        let procs = sched.gomaxprocs();
        if m.spinning.get()
            || 2 * sched.nmspinning.load(Ordering::SeqCst)
                < procs - sched.npidle.load(Ordering::SeqCst)
        {
            if !m.spinning.get() {
                become_spinning(sched, m);
            }
            let (gp, new_work, tnow, until) = steal_work(sched, m, now);
            if let Some(found) = gp {
                return Some(found);
            }
            if new_work {
                continue 'top;
            }
            now = tnow;
            poll_until = earliest(poll_until, until);
        }
        // ANCHOR_END: findRunnable_steal

        // ANCHOR: findRunnable_idle
        // Before giving up the P, poll the network for a short while: a reply
        // that arrives within microseconds is then run at once, without the
        // cost of this thread sleeping in epoll_wait and being woken.
        if let Some(found) = poll_spin(sched, p, poll_until) {
            match found {
                Some(gp) => return Some((gp, false)),
                None => continue 'top,
            }
        }

        // Nothing to do: give up the P.
        let mut l = sched.lock.lock();
        if sched.shutdown.load(Ordering::Acquire) {
            return None;
        }
        if !l.runq.is_empty() {
            let gp = globrunqget_locked(sched, &mut l, p, 0);
            drop(l);
            if let Some(gp) = gp {
                return Some((gp, false));
            }
            continue 'top;
        }
        let pp = releasep(m);
        pidleput(sched, &mut l, pp);
        drop(l);

        // The spinning → idle transition: see the module doc and `wakep`.
        let was_spinning = m.spinning.get();
        if was_spinning {
            m.spinning.set(false);
            // SeqCst: store-load pairing with `wakep`'s fence.
            sched.nmspinning.fetch_sub(1, Ordering::SeqCst);
            if let Some(pp) = check_runqs_no_p(sched) {
                acquirep(m, pp);
                become_spinning(sched, m);
                continue 'top;
            }
        }
        poll_until = earliest(poll_until, check_timers_no_p(sched));
        // ANCHOR_END: findRunnable_idle

        // ANCHOR: findRunnable_netpoll
        // Block in the netpoller until the next timer, unless another M
        // already does (lastpoll == 0 marks the poller role as taken).
        if (sched.netpoll_waiters.load(Ordering::Relaxed) > 0 || poll_until != 0)
            && sched.lastpoll.swap(0, Ordering::AcqRel) != 0
        {
            sched.poll_until.store(poll_until, Ordering::Release);
            let delay = if poll_until == 0 {
                -1
            } else {
                if now == 0 {
                    now = nanotime();
                }
                (poll_until - now).max(0)
            };
            let mut list = Vec::new();
            let delta = sched.netpoll.netpoll(delay, &mut list);
            now = nanotime();
            sched.poll_until.store(0, Ordering::Relaxed);
            sched.lastpoll.store(now, Ordering::Release);
            let pp = if sched.shutdown.load(Ordering::Acquire) {
                None
            } else {
                pidleget(sched, &mut sched.lock.lock())
            };
            match pp {
                None => {
                    injectglist(sched, list);
                    netpoll_adjust_waiters(sched, delta);
                }
                Some(pp) => {
                    acquirep(m, pp);
                    netpoll_adjust_waiters(sched, delta);
                    if let Some(gp) = list.pop() {
                        injectglist(sched, list);
                        mark_runnable(gp);
                        return Some((gp.0, false));
                    }
                    if was_spinning {
                        become_spinning(sched, m);
                    }
                    continue 'top;
                }
            }
        } else if poll_until != 0 {
            // The poller sleeps past our earliest timer: wake it to re-plan.
            let theirs = sched.poll_until.load(Ordering::Acquire);
            if theirs == 0 || theirs > poll_until {
                sched.netpoll.netpoll_break();
            }
        }
        stopm(sched, m);
        // ANCHOR_END: findRunnable_netpoll
    }
}
// ANCHOR_END: findRunnable

// ANCHOR: backlog_valve
/// How long a P's run queue may stay non-empty, while the P works through
/// it, before the P wakes an idle one to share it (`backlog_valve`).
const BACKLOG_NS: i64 = 200_000;

/// gort's backlog valve, called each time a P takes a goroutine from its own
/// queue.
///
/// Go wakes an idle P for every batch the netpoller readies and for every
/// spinning M that finds work. On a machine where the server shares its CPUs
/// with its clients (or other processes), those extra threads mostly take
/// CPU time from the peers the server waits for, and each goroutine queued
/// behind a descheduled thread waits out a kernel time slice: the tail
/// latency of a multi-threaded server on a busy 2-core box. gort keeps a
/// readied batch on the P that polled it and wakes a second P only when the
/// first one has not been able to empty its queue for [`BACKLOG_NS`]: a real
/// backlog, which more CPUs will shorten. The clock (a vDSO read, ~20 ns) is
/// read only while the queue is non-empty.
fn backlog_valve(sched: &Sched, p: &P) {
    // SAFETY: `local` is the holder's and we hold `p` (find_runnable's
    // caller owns it); nothing else borrows `local` across this call.
    let local = unsafe { &mut *p.local.get() };
    if p.runq.is_empty() {
        local.backlog_since = 0;
        return;
    }
    let now = nanotime();
    if local.backlog_since == 0 {
        local.backlog_since = now;
    } else if now - local.backlog_since >= BACKLOG_NS {
        local.backlog_since = now;
        wakep(sched);
    }
}
// ANCHOR_END: backlog_valve

// ANCHOR: poll_spin
/// How long an M with nothing to run polls the network before it gives up
/// its P and sleeps: about the time a thread takes to sleep in `epoll_wait`
/// and be woken again on a virtual machine, so a reply arriving sooner costs
/// less than the sleep would have, and a quiet server wastes little.
const POLL_SPIN_NS: i64 = 50_000;

/// gort's poll spin (Go has none): when goroutines wait on the network, no M
/// is blocked in the poller and this M has nothing else to do, poll without
/// blocking for up to [`POLL_SPIN_NS`] (or until the next timer). Returns
/// `None` when it did not spin or found nothing, `Some(Some(gp))` with a
/// goroutine the network readied, and `Some(None)` when other work turned up
/// in a run queue meanwhile.
///
/// Only one M spins at a time, and only with a second CPU: the peer the
/// server waits for usually runs on that other CPU, and on a single CPU the
/// spin would only take time from it.
fn poll_spin(sched: &Sched, p: &P, poll_until: i64) -> Option<Option<NonNull<G>>> {
    if sched.ncpu < 2
        || sched.netpoll_waiters.load(Ordering::Relaxed) == 0
        || sched.lastpoll.load(Ordering::Relaxed) == 0
        // Acquire pairs with the Release below; only the flag's owner spins.
        || sched.pollspinning.swap(true, Ordering::Acquire)
    {
        return None;
    }
    let start = nanotime();
    let mut end = start + POLL_SPIN_NS;
    if poll_until != 0 {
        end = end.min(poll_until);
    }
    let mut found = None;
    let mut list = Vec::new();
    while !sched.shutdown.load(Ordering::Relaxed) {
        let delta = sched.netpoll.netpoll(0, &mut list);
        netpoll_adjust_waiters(sched, delta);
        if let Some(gp) = list.pop() {
            injectglist(sched, std::mem::take(&mut list));
            mark_runnable(gp);
            found = Some(Some(gp.0));
            break;
        }
        if !p.runq.is_empty() || sched.runqsize.load(Ordering::Relaxed) > 0 {
            found = Some(None);
            break;
        }
        if nanotime() >= end {
            break;
        }
        std::hint::spin_loop();
    }
    // Release: pairs with the next spinner's Acquire swap.
    sched.pollspinning.store(false, Ordering::Release);
    found
}
// ANCHOR_END: poll_spin

fn earliest(a: i64, b: i64) -> i64 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (a, b) => a.min(b),
    }
}

// ANCHOR: checkTimers
/// Runs `p`'s due timers (Go's `checkTimers`). Returns the time read (or the
/// `now` given) and the next expiry on `p` (0: none).
fn check_timers(p: &P, now: i64) -> (i64, i64) {
    let next = p.timers.wake_time();
    if next == 0 {
        return (now, 0);
    }
    let now = if now == 0 { nanotime() } else { now };
    if now < next {
        return (now, next);
    }
    (now, p.timers.run(now))
}
// ANCHOR_END: checkTimers

/// Earliest timer of any P (Go's `checkTimersNoP`).
fn check_timers_no_p(sched: &Sched) -> i64 {
    sched
        .allp
        .iter()
        .fold(0, |acc, p| earliest(acc, p.timers.wake_time()))
}

/// After dropping out of spinning: an idle P to take if the global queue or
/// any P has work that may have been queued while we were giving up (Go's
/// "check global and P runqs again" in `findRunnable`, and `checkRunqsNoP`).
/// The global queue matters for a `goready` from a thread outside the
/// runtime: it queues there, and its `wakep` may have seen us still spinning.
fn check_runqs_no_p(sched: &Sched) -> Option<*mut P> {
    let mut l = sched.lock.lock();
    if l.runq.is_empty() && sched.allp.iter().all(|p| p.runq.is_empty()) {
        return None;
    }
    pidleget(sched, &mut l)
}

// ANCHOR: stealWork
/// Go's `stealWork`: up to four passes over the other Ps in random order,
/// taking half of a run queue; the last pass also runs their due timers and
/// may take a `runnext`. Returns (G found, whether timers readied work, now,
/// earliest timer seen).
#[allow(clippy::type_complexity)]
fn steal_work(sched: &Sched, m: &M, mut now: i64) -> (Option<(NonNull<G>, bool)>, bool, i64, i64) {
    // SAFETY: we hold our P.
    let p = unsafe { &*m.p.get() };
    let n = sched.allp.len();
    let mut poll_until = 0;
    let mut ran_timers = false;
    for pass in 0..STEAL_TRIES {
        let last = pass == STEAL_TRIES - 1;
        let start = fastrand(n);
        for k in 0..n {
            if sched.shutdown.load(Ordering::Relaxed) {
                return (None, false, now, poll_until);
            }
            let p2 = &sched.allp[(start + k) % n];
            if ptr::eq(p2, p) {
                continue;
            }
            if last && p2.timers.wake_time() != 0 {
                let (tnow, w) = check_timers(p2, now);
                now = tnow;
                poll_until = earliest(poll_until, w);
                // Timers ready their goroutines onto our P.
                if let Some(found) = p.runq.get() {
                    return (Some(found), false, now, poll_until);
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
                return (Some((gp, false)), false, now, poll_until);
            }
        }
    }
    (None, ran_timers, now, poll_until)
}
// ANCHOR_END: stealWork

/// A cheap per-thread random number below `n` (Go's `cheaprandn`).
fn fastrand(n: usize) -> usize {
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
    // Go always wakes another spinner here. gort does only for work in the
    // global queue, which no P owns; work in a P's own queue is that P's,
    // and its backlog valve asks for help if it piles up.
    if sched.runqsize.load(Ordering::Relaxed) > 0 {
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
    let pp = pidleget(sched, &mut sched.lock.lock());
    match pp {
        Some(pp) => startm(sched, pp, true),
        None => {
            sched.nmspinning.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
// ANCHOR_END: wakep

// ANCHOR: startm
/// Runs `pp` on an idle M, or a new one (Go's `startm`). A spinning start
/// carries one unit of `nmspinning` that the new M now owns.
fn startm(sched: &Sched, pp: *mut P, spinning: bool) {
    let mp = {
        let mut l = sched.lock.lock();
        let mp = l.midle.pop();
        if mp.is_some() {
            sched.nmidle.fetch_sub(1, Ordering::Relaxed);
        }
        mp
    };
    match mp {
        Some(mp) => {
            // SAFETY: Ms live as long as the Sched.
            let mr = unsafe { &*mp };
            mr.spinning_on_wake.store(spinning, Ordering::Relaxed);
            // Release (and the note's lock): the M sees the P's state after
            // it wakes and swaps this with Acquire.
            mr.nextp.store(pp, Ordering::Release);
            mr.park.wakeup();
        }
        None => newm(sched, pp, spinning),
    }
}
// ANCHOR_END: startm

// ANCHOR: stopm
/// Parks the M until `startm` hands it a P (Go's `stopm`).
fn stopm(sched: &Sched, m: &M) {
    debug_assert!(m.p.get().is_null() && !m.spinning.get());
    {
        let mut l = sched.lock.lock();
        if sched.shutdown.load(Ordering::Acquire) {
            return;
        }
        l.midle.push(ptr::from_ref(m).cast_mut());
        sched.nmidle.fetch_add(1, Ordering::Relaxed);
    }
    m.park.sleep();
    let pp = m.nextp.swap(ptr::null_mut(), Ordering::Acquire);
    if !pp.is_null() {
        acquirep(m, pp);
        m.spinning.set(m.spinning_on_wake.load(Ordering::Relaxed));
    }
}
// ANCHOR_END: stopm

// ANCHOR: handoffp
/// Hands off a P whose M is stuck in `blocking` (Go's `handoffp`), called by
/// sysmon after it took the P.
pub(crate) fn handoffp(sched: &Sched, pp: *mut P) {
    // SAFETY: the P is alive; sysmon took it (status IDLE) and owns it now.
    let p = unsafe { &*pp };
    trace::handoff(p.id);
    sched.handoffs.fetch_add(1, Ordering::Relaxed);
    // It has local work, or there is global work: start an M right away.
    if !p.runq.is_empty() || sched.runqsize.load(Ordering::Relaxed) != 0 {
        startm(sched, pp, false);
        return;
    }
    // No one spinning or idle: this P may be needed soon, spin with it.
    if sched.nmspinning.load(Ordering::SeqCst) + sched.npidle.load(Ordering::SeqCst) == 0
        && sched
            .nmspinning
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    {
        startm(sched, pp, true);
        return;
    }
    let mut l = sched.lock.lock();
    if !l.runq.is_empty() {
        drop(l);
        startm(sched, pp, false);
        return;
    }
    // The last running P, with nobody watching the network: keep an M for it.
    if sched.npidle.load(Ordering::SeqCst) == sched.gomaxprocs() - 1
        && sched.lastpoll.load(Ordering::Relaxed) != 0
    {
        drop(l);
        startm(sched, pp, false);
        return;
    }
    let when = p.timers.wake_time();
    pidleput(sched, &mut l, pp);
    drop(l);
    if when != 0 {
        wake_net_poller(sched, when);
    }
}
// ANCHOR_END: handoffp

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

fn acquirep(m: &M, pp: *mut P) {
    // SAFETY: the P was handed to us (idle list or nextp) and is alive.
    unsafe { &*pp }
        .status
        .store(pstatus::RUNNING, Ordering::Relaxed);
    m.p.set(pp);
}

fn releasep(m: &M) -> *mut P {
    let pp = m.p.replace(ptr::null_mut());
    // SAFETY: we held it.
    unsafe { &*pp }
        .status
        .store(pstatus::IDLE, Ordering::Relaxed);
    pp
}

/// Go's `pidleput`; the sched lock is held.
fn pidleput(sched: &Sched, l: &mut MutexGuard<'_, SchedLocked>, pp: *mut P) {
    debug_assert!(
        // SAFETY: alive.
        unsafe { &*pp }.runq.is_empty(),
        "pidleput: P has non-empty run queue"
    );
    l.pidle.push(pp);
    sched.npidle.fetch_add(1, Ordering::SeqCst);
}

/// Go's `pidleget`; the sched lock is held.
fn pidleget(sched: &Sched, l: &mut MutexGuard<'_, SchedLocked>) -> Option<*mut P> {
    let pp = l.pidle.pop()?;
    sched.npidle.fetch_sub(1, Ordering::SeqCst);
    Some(pp)
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
/// Queues the goroutines the netpoller released (Go's `injectglist`).
pub(crate) fn injectglist(sched: &Sched, list: Vec<Gp>) {
    if list.is_empty() {
        return;
    }
    let p = current_p(sched);
    for &gp in &list {
        mark_runnable(gp);
        match p {
            Some(p) => {
                let _ = runqput(sched, p, gp.0, false);
            }
            None => globrunqput(sched, gp.0),
        }
    }
    // Go wakes an idle P here; gort leaves the batch to the P that polled
    // when it has one: see `backlog_valve`.
    if p.is_none() {
        wakep(sched);
    }
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
// blocking: Go's entersyscall / exitsyscall.

// ANCHOR: entersyscall
/// Runs thread-blocking code (a file read, `getaddrinfo`, a long computation)
/// without stalling the other goroutines of this P (Go's `entersyscall` /
/// `exitsyscall`).
///
/// The goroutine keeps its thread but releases its P; if the call lasts more
/// than ~20 µs, sysmon hands the P to another thread, which runs the other
/// goroutines meanwhile. On return the goroutine takes its P back, or any idle
/// one, or queues itself until one is free. Inside `blocking`, the goroutine
/// must not park: channel and semaphore waits there block the thread.
///
/// Outside a goroutine it simply calls `f`.
///
/// ```
/// gort_runtime::run(|| {
///     let n = gort_runtime::blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0));
///     assert!(n > 0);
/// });
/// ```
#[doc(alias = "entersyscall")]
#[doc(alias = "exitsyscall")]
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    if !can_park() {
        return f();
    }
    entersyscall();
    struct Exit;
    impl Drop for Exit {
        fn drop(&mut self) {
            exitsyscall();
        }
    }
    let guard = Exit;
    let r = f();
    drop(guard);
    r
}

fn entersyscall() {
    // SAFETY: can_park() said we are a goroutine on this thread's M.
    let m = unsafe { &*getm() };
    let pp = m.p.replace(ptr::null_mut());
    m.oldp.set(pp);
    m.in_blocking.set(true);
    // SAFETY: the running G is ours.
    unsafe { &*m.curg.get() }
        .atomicstatus
        .store(gstatus::SYSCALL, Ordering::Relaxed);
    // SAFETY: we held `pp` until the store below.
    let p = unsafe { &*pp };
    // Only the holder writes it (sysmon reads it as a hint): no RMW needed.
    let t = p.syscalltick.load(Ordering::Relaxed);
    p.syscalltick.store(t.wrapping_add(1), Ordering::Relaxed);
    // Release: from here sysmon may take the P (CAS with Acquire) and hand it
    // to another M, which must see everything we did with it.
    p.status.store(pstatus::SYSCALL, Ordering::Release);
}
// ANCHOR_END: entersyscall

// ANCHOR: exitsyscall
fn exitsyscall() {
    // SAFETY: same thread and goroutine as entersyscall (nothing switched in
    // between: parking is refused inside `blocking`), but read afresh anyway.
    let m = unsafe { &*getm() };
    m.in_blocking.set(false);
    let oldp = m.oldp.replace(ptr::null_mut());
    // SAFETY: Ps live as long as the runtime.
    let p = unsafe { &*oldp };
    // SAFETY: the running G is ours.
    let g = unsafe { &*m.curg.get() };
    // Fast path: sysmon did not take our P (Acquire: see entersyscall).
    if p.status
        .compare_exchange(
            pstatus::SYSCALL,
            pstatus::RUNNING,
            Ordering::Acquire,
            Ordering::Relaxed,
        )
        .is_ok()
    {
        m.p.set(oldp);
        g.atomicstatus.store(gstatus::RUNNING, Ordering::Relaxed);
        return;
    }
    // SAFETY: a G's runtime outlives it.
    let sched = unsafe { &*m.schedp };
    if sched.npidle.load(Ordering::SeqCst) > 0
        && let Some(pp) = pidleget(sched, &mut sched.lock.lock())
    {
        acquirep(m, pp);
        g.atomicstatus.store(gstatus::RUNNING, Ordering::Relaxed);
        return;
    }
    // No P: queue ourselves and let this M sleep (Go's `exitsyscall0`).
    mcall(Pending::ExitSyscall);
}

/// g0 half of `exitsyscall` without a P.
fn exitsyscall0(sched: &Sched, m: &M, gp: NonNull<G>) -> Option<(NonNull<G>, bool)> {
    // SAFETY: the G switched away to us.
    let g = unsafe { gp.as_ref() };
    g.atomicstatus.store(gstatus::RUNNABLE, Ordering::Relaxed);
    let mut l = sched.lock.lock();
    if let Some(pp) = pidleget(sched, &mut l) {
        drop(l);
        acquirep(m, pp);
        return Some((gp, false));
    }
    l.runq.push_back(gp);
    sched.runqsize.store(l.runq.len(), Ordering::Relaxed);
    drop(l);
    stopm(sched, m);
    if m.p.get().is_null() {
        // Woken without a P: only at shutdown; find_runnable will see it.
        debug_assert!(sched.shutdown.load(Ordering::Acquire));
    }
    None
}
// ANCHOR_END: exitsyscall

// ---------------------------------------------------------------------------
// Start-up and shutdown.

/// Builds the global state for `procs` Ps (Go's `schedinit` + `procresize`).
pub(crate) fn schedinit(
    procs: usize,
    stack_size: usize,
    netpoll: Arc<dyn crate::netpoll::Netpoll>,
    schedtrace_ms: u64,
) -> Arc<Sched> {
    let allp: Box<[P]> = (0..procs)
        .map(|id| P {
            id,
            status: Default::default(),
            schedtick: Default::default(),
            syscalltick: Default::default(),
            preempt: Default::default(),
            runq: crate::runq::RunQueue::new(),
            timers: Default::default(),
            local: std::cell::UnsafeCell::new(PLocal {
                stackcache: StackCache::new(),
                gfree: Vec::new(),
                goidcache: 0,
                goidcacheend: 0,
                backlog_since: 0,
            }),
            stats: Default::default(),
        })
        .collect();
    let sched = Arc::new(Sched {
        lock: parking_lot::Mutex::new(SchedLocked {
            runq: Default::default(),
            pidle: Vec::new(),
            midle: Vec::new(),
            gfree: Vec::new(),
            allm: Vec::new(),
            allgs: Vec::new(),
            threads: Vec::new(),
        }),
        runqsize: Default::default(),
        npidle: Default::default(),
        nmspinning: Default::default(),
        mcount: Default::default(),
        nmidle: Default::default(),
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
        stack_size: stack::round_stack_size(stack_size),
        handoffs: Default::default(),
        long_runs: Default::default(),
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

/// Stops the runtime: no goroutine runs again; idle Ms exit; an M running a
/// goroutine exits when that goroutine next parks, yields or finishes.
/// Returns the threads that will exit promptly (those not running a goroutine
/// is not knowable here, so all of them; the caller decides whether to join).
pub(crate) fn shutdown(sched: &Sched) -> Vec<std::thread::JoinHandle<()>> {
    let mut l = sched.lock.lock();
    sched.shutdown.store(true, Ordering::Release);
    for &mp in &l.midle {
        // SAFETY: Ms live as long as the Sched.
        let mr = unsafe { &*mp };
        mr.nextp.store(ptr::null_mut(), Ordering::Relaxed);
        mr.park.wakeup();
    }
    l.midle.clear();
    let threads = std::mem::take(&mut l.threads);
    drop(l);
    sched.netpoll.netpoll_break();
    threads
}

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
    }
}
