//! Mirrors Go src/runtime/runtime2.go (go1.27): the G, M, P and scheduler types.
//!
//! The three letters of Go's scheduler:
//!
//! * **G**, a goroutine: its stack, its saved registers ([`Gobuf`]), its status
//!   and why it waits. Gs are recycled through free lists and are never freed
//!   while their runtime lives, so a `*mut G` held by a waker stays a valid
//!   address (a stale one trips the status check in `goready`, loudly).
//! * **M**, a machine: one OS thread. Its g0 is the thread's own native stack, on
//!   which the scheduler loop runs; goroutines are switched in and out of it.
//! * **P**, a processor: the right to run Go code. There are exactly GOMAXPROCS
//!   of them; each owns a local run queue, a `runnext` slot, a timer heap, a
//!   stack cache and a free list of dead Gs. An M must hold a P to run a G.
//!
//! [`Sched`] is the global state of one runtime (Go's `schedt` plus `allp`).
//! gort allows several runtimes in one process, so it is not a static: every M
//! and every G points at the `Sched` it belongs to.

use std::cell::{Cell, UnsafeCell};
use std::collections::VecDeque;
use std::fmt;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};

use parking_lot::Mutex;

use crate::asm_amd64::Gobuf;
use crate::lock_futex::Note;
use crate::netpoll::Netpoll;
use crate::runq::RunQueue;
use crate::stack::{Stack, StackCache};
use crate::time::Timers;

/// The function a goroutine runs (Go's `funcval` passed to `newproc`).
///
/// It is an `Arc` rather than a `Box<dyn FnOnce>` so that the closure and the
/// slot its result goes to (the join handle's side) share one allocation.
pub(crate) trait GoEntry: Send + Sync {
    /// Runs the goroutine's function; called once, on the goroutine.
    fn run(self: Arc<Self>);
}

// ANCHOR: gstatus
/// Goroutine status values (Go's `_Gidle` ... `_Gdead`), kept in [`G::atomicstatus`].
///
/// Transitions: Idle → Runnable (newproc) → Running (execute) → Waiting (park_m)
/// → Runnable (ready) → ... → Dead (goexit0) → Runnable (reused by newproc).
pub(crate) mod gstatus {
    /// Just allocated, not yet initialised.
    pub(crate) const IDLE: u32 = 0;
    /// On a run queue, not executing.
    pub(crate) const RUNNABLE: u32 = 1;
    /// Executing on an M that holds a P.
    pub(crate) const RUNNING: u32 = 2;
    /// Parked by `gopark`; only a `goready` makes it runnable again.
    pub(crate) const WAITING: u32 = 4;
    /// Finished; on a free list.
    pub(crate) const DEAD: u32 = 6;

    /// Go's names, for messages.
    pub(crate) fn name(s: u32) -> &'static str {
        match s {
            IDLE => "idle",
            RUNNABLE => "runnable",
            RUNNING => "running",
            WAITING => "waiting",
            DEAD => "dead",
            _ => "???",
        }
    }
}
// ANCHOR_END: gstatus

/// P status values (Go's `_Pidle` and `_Prunning`), kept in [`P::status`].
/// Go's `_Psyscall` has no twin: a P never leaves its M (see `P::m`), and
/// `blocking` runs its function on a helper thread instead of giving the P up.
pub(crate) mod pstatus {
    /// On the idle list: its M sleeps, or blocks in the netpoller.
    pub(crate) const IDLE: u32 = 0;
    /// Claimed: its M runs the scheduler or a goroutine, or is being woken to.
    pub(crate) const RUNNING: u32 = 1;
}

/// Why a goroutine is parked (Go's `waitReason`); shown in traces and panics,
/// and counted by [`parked`](crate::parked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u8)]
pub enum WaitReason {
    /// Not waiting.
    Zero,
    /// Waiting for a file descriptor (the netpoller).
    IoWait,
    /// In `semacquire`.
    Semacquire,
    /// In `time::sleep`.
    Sleep,
    /// Receiving on a channel.
    ChanReceive,
    /// Sending on a channel.
    ChanSend,
    /// Blocked in `select`.
    Select,
    /// Waiting for another goroutine to finish (`JoinHandle::join`).
    Join,
    /// Waiting on a sync primitive (mutex, condition, wait group).
    Sync,
    /// Waiting for a [`blocking`](crate::blocking) call that runs on a helper thread.
    Blocking,
}

impl WaitReason {
    /// The reason stored as `r as u8` (the form [`G::waitreason`] keeps).
    pub(crate) fn from_u8(r: u8) -> WaitReason {
        const ALL: [WaitReason; 10] = [
            WaitReason::Zero,
            WaitReason::IoWait,
            WaitReason::Semacquire,
            WaitReason::Sleep,
            WaitReason::ChanReceive,
            WaitReason::ChanSend,
            WaitReason::Select,
            WaitReason::Join,
            WaitReason::Sync,
            WaitReason::Blocking,
        ];
        match ALL.iter().find(|w| **w as u8 == r) {
            Some(w) => *w,
            None => unreachable!("runtime: wait reason {r} out of range"),
        }
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitReason::Zero => "",
            WaitReason::IoWait => "IO wait",
            WaitReason::Semacquire => "semacquire",
            WaitReason::Sleep => "sleep",
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::Select => "select",
            WaitReason::Join => "join",
            WaitReason::Sync => "sync",
            WaitReason::Blocking => "blocking call",
        })
    }
}

// ANCHOR: g
/// A goroutine (Go's `g`).
///
/// Ownership: a G is touched only by the M currently running it, or, while it
/// is RUNNABLE or WAITING, by whoever dequeued it / the single waker that holds
/// it. The `UnsafeCell` fields rely on that hand-over, which is always made
/// through an acquire/release pair (run queue slot, status CAS or a lock).
pub struct G {
    /// Goroutine id, unique per runtime (Go's `goid`); assigned at each (re)use.
    pub(crate) goid: Cell<u64>,
    /// One of [`gstatus`]. CASed by `goready` (WAITING → RUNNABLE), stored by
    /// the M that owns the G otherwise.
    pub(crate) atomicstatus: AtomicU32,
    /// Saved registers while not running (Go's `g.sched`).
    pub(crate) sched: UnsafeCell<Gobuf>,
    /// The stack; `None` while the G is dead (dead Gs give their stack back).
    pub(crate) stack: UnsafeCell<Option<Stack>>,
    /// What to run when first scheduled; taken by `goentry`.
    pub(crate) entry: UnsafeCell<Option<Arc<dyn GoEntry>>>,
    /// Why it is parked, a [`WaitReason`] as `u8`; meaningful while WAITING.
    /// Written only by the goroutine's own thread: set before the park's
    /// WAITING store, reset to `Zero` after it resumes. Read by that thread
    /// (traces) and by [`Sched::parked`] on any thread, which is why it is
    /// an atomic and not a `Cell`: a Relaxed byte store is the same `mov`
    /// as a plain one, and the other thread's read is then no data race.
    pub(crate) waitreason: AtomicU8,
    /// A word passed from the waker to the parked goroutine (Go's `g.param`):
    /// written before the WAITING → RUNNABLE CAS, read after resuming.
    pub(crate) param: AtomicUsize,
    /// Runtime this G belongs to; outlives the G (see `Sched`).
    pub(crate) schedp: *const Sched,
    /// The timer `time::sleep` arms for this G, made on first use and kept
    /// across reuse of the G (Go's `g.timer`).
    pub(crate) timer: UnsafeCell<Option<crate::time::RtTimer>>,
    /// The P, and so the OS thread (see `P::m`), this goroutine is pinned to:
    /// null until it first runs, then set by `execute` and never changed
    /// until the G dies (Go's `g.lockedm`, which gort sets for every
    /// goroutine; see "Pinning" in proc.rs). Written only by the home M;
    /// read by wakers, which hold the parked G (the hand-over protocol
    /// above), and by every M's unwinding sweep (`panic.rs`), which looks at
    /// all Gs to find its own while other Ms may be setting theirs: hence an
    /// atomic. Relaxed throughout (a plain `mov` on x86): a waker's read is
    /// ordered by the hand-over, and the sweep only compares the value with
    /// its own P, which no other thread ever stores.
    home: AtomicPtr<P>,
    /// The `tracing` span and subscriber the goroutine runs under: entered
    /// by its M at every switch-in, exited at every switch-out (what
    /// `tracing::Instrument` does for a future at every poll). Set by
    /// `newproc`, dropped by `goexit0` on the home thread.
    pub(crate) trace_ctx: UnsafeCell<Option<Box<crate::trace::GoTrace>>>,
    /// How to withdraw this goroutine from the place it is parked at, so
    /// that a dropped runtime can unwind it (see `panic.rs`): set by the
    /// goroutine just before it parks at a site that can be cancelled
    /// (`try_gopark_cancel`), cleared when it resumes. The closure lives on
    /// the goroutine's stack, which stays put while it is parked. Only the
    /// home thread touches the field: the goroutine itself, and its M's
    /// scheduler while the goroutine is parked.
    pub(crate) cancel: Cell<Option<NonNull<dyn Fn() -> bool>>>,
    /// Where the goroutine is in a dropped runtime's unwinding. Home thread
    /// only, like `cancel`.
    pub(crate) unwind: Cell<Unwind>,
}
// ANCHOR_END: g

/// A goroutine's part in the unwinding that gives a dropped runtime's
/// goroutines back (see `panic.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unwind {
    /// Running its own code.
    No,
    /// Its scheduler withdrew it from its park site and readied it: it must
    /// unwind as soon as it resumes.
    Forced,
    /// Unwinding (or its code caught the unwind): never forced again, so a
    /// destructor that parks waits for an ordinary wake-up.
    Started,
}

// SAFETY: G is shared between threads only under the hand-over protocol
// described on the type: at any instant one thread owns its non-atomic fields.
unsafe impl Send for G {}
// SAFETY: as above; the fields other threads may read concurrently
// (`atomicstatus`, `param`, `waitreason`) are atomics.
unsafe impl Sync for G {}

impl G {
    pub(crate) fn new(schedp: *const Sched) -> G {
        G {
            goid: Cell::new(0),
            atomicstatus: AtomicU32::new(gstatus::IDLE),
            sched: UnsafeCell::new(Gobuf::default()),
            stack: UnsafeCell::new(None),
            entry: UnsafeCell::new(None),
            waitreason: AtomicU8::new(WaitReason::Zero as u8),
            param: AtomicUsize::new(0),
            schedp,
            timer: UnsafeCell::new(None),
            home: AtomicPtr::new(ptr::null_mut()),
            trace_ctx: UnsafeCell::new(None),
            cancel: Cell::new(None),
            unwind: Cell::new(Unwind::No),
        }
    }

    /// The P this goroutine is pinned to, null before its first run (see
    /// the field).
    #[inline]
    pub(crate) fn home(&self) -> *const P {
        self.home.load(Ordering::Relaxed)
    }

    /// Pins the goroutine to `p` (its first run), or unpins it (null, when
    /// it dies). Only its home M (or the M of its first run) calls this.
    #[inline]
    pub(crate) fn set_home(&self, p: *const P) {
        self.home.store(p.cast_mut(), Ordering::Relaxed);
    }
}

// ANCHOR: Pending
/// The action a goroutine asks its M to carry out on g0 after switching away
/// (what Go passes to `mcall` as a function: park_m, gosched_m, goexit0, ...).
pub(crate) enum Pending {
    /// Nothing requested (the M is running the scheduler).
    None,
    /// `park_m`: mark the G waiting, then run the unlock callback (a pointer to
    /// a closure on the parked goroutine's stack, valid until it resumes).
    Park(*mut dyn FnMut(Gp) -> bool),
    /// `gosched_m`: put the G at the back of the run queue.
    Yield,
    /// `goexit0`: the G has finished.
    Exit,
}
// ANCHOR_END: Pending

// ANCHOR: m
/// An OS thread (Go's `m`).
///
/// Every M is bound to one P for life (`pp`; see "Pinning" in proc.rs):
/// the M runs that P's goroutines and nothing else, and sleeps on `park`
/// while the P is idle. Every field except `polling` and `park` is touched
/// only by the M's own thread (on g0 or on the goroutine it is running);
/// those two let other threads wake it.
pub(crate) struct M {
    /// Thread number within the runtime, for traces.
    pub(crate) id: u64,
    /// The scheduler context on the thread's native stack (Go's `g0.sched`).
    pub(crate) g0: UnsafeCell<Gobuf>,
    /// The goroutine running on this M, or null while in the scheduler.
    pub(crate) curg: Cell<*mut G>,
    /// The P this M holds right now: `pp` while it runs the scheduler or a
    /// goroutine, null while it is idle (Go's `m.p`).
    pub(crate) p: Cell<*mut P>,
    /// The P this M is bound to; fixed at creation.
    pub(crate) pp: *mut P,
    /// Whether this M is spinning: out of work, looking to steal (Go's `m.spinning`).
    pub(crate) spinning: Cell<bool>,
    /// Whether a goroutine runs on this M, from its switch-in until the
    /// scheduler has finished the action it switched out for. Only read by
    /// `Runtime::drop` (Acquire), to tell goroutines still running from ones
    /// parked for good; stored Relaxed/Release by the M itself.
    pub(crate) executing: AtomicBool,
    /// What the goroutine that just switched to g0 wants done.
    pub(crate) pending: Cell<Pending>,
    /// Set while this M holds the poller role and may block in `netpoll`:
    /// whoever claims its P must then break the poller, not only the note.
    /// SeqCst: a store-load pairing with the claimer (see `claimp`).
    pub(crate) polling: AtomicBool,
    /// Where the idle M sleeps (Go's `m.park`).
    pub(crate) park: Note,
    /// The runtime.
    pub(crate) schedp: *const Sched,
}
// ANCHOR_END: m

// SAFETY: see the type's doc: cross-thread fields are atomics or the Note; the
// Cells are only touched by the M's own thread; `pp` is immutable.
unsafe impl Send for M {}
// SAFETY: as above.
unsafe impl Sync for M {}

/// The parts of a P that only its current holder touches.
pub(crate) struct PLocal {
    /// Stacks of finished goroutines, ready for new ones.
    pub(crate) stackcache: StackCache,
    /// Dead Gs (without stacks) ready for reuse (Go's `p.gFree`).
    pub(crate) gfree: Vec<NonNull<G>>,
    /// Goroutine ids handed out from a batch reserved in `Sched::goidgen`
    /// (Go's `p.goidcache`/`goidcacheend`).
    pub(crate) goidcache: u64,
    pub(crate) goidcacheend: u64,
    /// The backlog valve (gort's, not Go's; see `backlog_valve` in
    /// policy.rs): since when this P's own queue has stayed non-empty while
    /// the P took goroutines from it (`nanotime`; 0: it was just empty).
    pub(crate) backlog_since: i64,
    /// A pinned goroutine readied by this P's own thread, to run next and
    /// inherit the time slice (Go's `runnext`, for goroutines that have run;
    /// the never-run ones use `P::runq`'s). Never stolen.
    pub(crate) runnext: Option<NonNull<G>>,
    /// Runnable goroutines pinned to this P, oldest first. Unbounded and
    /// never stolen: they may only run on this P's thread.
    pub(crate) pinq: VecDeque<NonNull<G>>,
    /// Which queue `find_runnable` looks at first when both `pinq` and
    /// `runq` hold work; it alternates, so neither can starve the other.
    pub(crate) fresh_turn: bool,
}

// ANCHOR: p
/// A processor (Go's `p`).
pub(crate) struct P {
    /// Index in `Sched::allp`.
    pub(crate) id: usize,
    /// One of [`pstatus`], changed only under the sched lock (by
    /// `pidleput`, `pidleget` and `pidletake`). SeqCst: the IDLE store is one
    /// half of the store-load pairing with a waker's `inbox_len` store (see
    /// `readyremote`).
    pub(crate) status: AtomicU32,
    /// The M bound to this P, null until the P is first claimed (`startm`
    /// creates it then). Written once under the sched lock.
    pub(crate) m: AtomicPtr<M>,
    /// Whether the claimer of an idle P handed its M one unit of
    /// `nmspinning` (a `wakep`): the M takes it over when it resumes.
    /// Written and read under the sched lock only (Relaxed).
    pub(crate) claim_spinning: AtomicBool,
    /// Bumped at every schedule (Go's `schedtick`); sysmon reads it to spot a
    /// goroutine that runs too long without yielding.
    pub(crate) schedtick: AtomicU32,
    /// The goroutine this P runs now (0 in the scheduler); a hint for
    /// sysmon's report of a blocked thread. Relaxed.
    pub(crate) curgoid: AtomicU64,
    /// Set by sysmon when the current time slice has lasted 10 ms (Go's
    /// `gp.preempt`): the next scheduling point starts a new slice instead of
    /// letting a `runnext` goroutine inherit it. Relaxed: a hint.
    pub(crate) preempt: AtomicBool,
    /// Local run queue with `runnext`, for goroutines that have never run:
    /// the only work other Ps may steal.
    pub(crate) runq: RunQueue<G>,
    /// Goroutines pinned to this P that other threads made runnable. They
    /// cannot be put on `PLocal::pinq` from another thread, so they wait here
    /// until the P's M moves them (`drain_inbox`).
    pub(crate) inbox: Mutex<Vec<NonNull<G>>>,
    /// `inbox.len()`, stored under the inbox lock, read without it as a
    /// hint. SeqCst: the other half of the pairing on `status`.
    pub(crate) inbox_len: AtomicUsize,
    /// Timer heap.
    pub(crate) timers: Timers,
    /// Holder-only state: touched only by the P's M while it holds the P.
    pub(crate) local: UnsafeCell<PLocal>,
    /// The last `Sched::unwind_epoch` for which this P's M withdrew its
    /// parked goroutines (see `panic.rs`). Written by the holder (Release),
    /// read by the thread dropping the runtime (Acquire).
    pub(crate) swept: AtomicU64,
    /// Statistics, bumped by the holder (Relaxed: counters only).
    pub(crate) stats: PStats,
}
// ANCHOR_END: p

// SAFETY: `local` is only touched by the P's holder (see the field); the rest
// is atomics, the run queue (lock-free), the inbox or the timer heap (locked).
unsafe impl Send for P {}
// SAFETY: as above.
unsafe impl Sync for P {}

/// Per-P counters, summed by `Runtime::stats`, schedtrace and shutdown.
///
/// Only the P's holder writes them, so it bumps them with a load and a store
/// rather than a locked read-modify-write (`PStats::bump`); ownership of the
/// P passes between threads with release/acquire, which carries the values.
/// Readers on other threads load them Relaxed: they are statistics, except
/// for `live`, which shutdown reads only after every M has stopped running
/// goroutines (see `Runtime::drop`).
#[derive(Default)]
pub(crate) struct PStats {
    /// Goroutines created by goroutines on this P.
    pub(crate) spawned: AtomicU64,
    /// Goroutines this P stole from others.
    pub(crate) stolen: AtomicU64,
    /// Goroutines created here minus goroutines that exited here; the sum
    /// over all Ps plus `Sched::ngoroutines` is the number alive.
    pub(crate) live: AtomicI64,
    /// Goroutines pinned to this P (they ran here and have not exited):
    /// bumped by `execute` at a first run and by `goexit0`. Read by other Ps
    /// as a hint when they place new goroutines (`spread_target`).
    pub(crate) pinned: AtomicI64,
}

impl PStats {
    /// `counter += delta` for the P's holder (see the type's doc).
    pub(crate) fn bump(counter: &AtomicI64, delta: i64) {
        counter.store(counter.load(Ordering::Relaxed) + delta, Ordering::Relaxed);
    }

    /// `counter += 1` for the P's holder.
    pub(crate) fn bump_u64(counter: &AtomicU64) {
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

/// The fields of [`Sched`] guarded by its lock (Go's `sched.lock`).
pub(crate) struct SchedLocked {
    /// Global run queue (Go's `sched.runq`).
    pub(crate) runq: VecDeque<NonNull<G>>,
    /// Idle Ps (Go's `sched.pidle`); their Ms sleep or poll.
    pub(crate) pidle: Vec<*mut P>,
    /// Dead Gs beyond the per-P bound (Go's `sched.gFree`).
    pub(crate) gfree: Vec<NonNull<G>>,
    /// Every M started (at most one per P), so they can be woken at shutdown
    /// and freed with the runtime.
    pub(crate) allm: Vec<*mut M>,
    /// Every G ever allocated (Go's `allgs`), freed with the runtime.
    pub(crate) allgs: Vec<NonNull<G>>,
    /// Join handles of M threads, joined at shutdown when they are idle.
    pub(crate) threads: Vec<std::thread::JoinHandle<()>>,
}

// SAFETY: the raw pointers name Ps, Ms and Gs owned by the same Sched; which
// thread may use each is governed by the scheduler's hand-over rules, and the
// lists themselves are only touched under `Sched::lock`.
unsafe impl Send for SchedLocked {}

// ANCHOR: schedt
/// One runtime's global scheduler state (Go's `schedt` and `allp`).
///
/// Lifetime: held in an `Arc` by the `Runtime` and by each M's thread. If
/// goroutines are still alive at shutdown, one reference is leaked on purpose:
/// their Gs and stacks stay valid forever so that any waker still holding them
/// finds real memory (and a `goready` that is then ignored).
pub(crate) struct Sched {
    /// Guards [`SchedLocked`].
    pub(crate) lock: Mutex<SchedLocked>,
    /// `lock.runq.len()`, readable without the lock (Go's `sched.runqsize`).
    /// Stored under the lock; racy readers only use it as a hint.
    pub(crate) runqsize: AtomicUsize,
    /// Number of idle Ps. Changed under the lock; read racily (SeqCst: it is
    /// one half of the spinning protocol's store-load pairing, see `wakep`).
    pub(crate) npidle: AtomicU32,
    /// Number of spinning Ms (SeqCst, see `wakep`).
    pub(crate) nmspinning: AtomicU32,
    /// Number of Ms started.
    pub(crate) mcount: AtomicU32,
    /// All Ps; fixed at start.
    pub(crate) allp: Box<[P]>,
    /// Source of goroutine id batches.
    pub(crate) goidgen: AtomicU64,
    /// Goroutines spawned from outside any P (plain threads, `blocking`):
    /// the part of the live count no P keeps (see `PStats::live`).
    pub(crate) ngoroutines: AtomicI64,
    /// Last time the network was polled, 0 while an M is blocked in `netpoll`
    /// (Go's `sched.lastpoll`). Swapped to 0 by the M that takes the poller role.
    pub(crate) lastpoll: AtomicI64,
    /// When the M blocked in the poller will wake by itself, 0 for never
    /// (Go's `sched.pollUntil`).
    pub(crate) poll_until: AtomicI64,
    /// The netpoller hook (Go's `netpoll`/`netpollBreak`).
    pub(crate) netpoll: Arc<dyn Netpoll>,
    /// Goroutines parked in the netpoller (Go's `netpollWaiters`).
    pub(crate) netpoll_waiters: AtomicU32,
    /// Set while one M spins on a non-blocking `netpoll` before giving up
    /// its P (`find_runnable`'s poll spin; gort's, not Go's). At most one M
    /// spins so, so that at most one CPU is spent waiting for the network.
    pub(crate) pollspinning: AtomicBool,
    /// CPUs this process may run on, read at start-up (Go's `ncpu`). The
    /// poll spin needs a second CPU: on one it would only delay the peer.
    pub(crate) ncpu: u32,
    /// Set once when the runtime shuts down; checked by every scheduling decision.
    pub(crate) shutdown: AtomicBool,
    /// Bumped by the thread dropping the runtime for each round of its
    /// unwinding (see `panic.rs`); 0 while the runtime is in use. Every P's
    /// M compares it with `P::swept` when it looks for work. SeqCst: the
    /// store, then a look at each P's status, pairs with an M's store of
    /// IDLE and then a look at this (as `inbox_len` does in `readyremote`).
    pub(crate) unwind_epoch: AtomicU64,
    /// Goroutines withdrawn from their park sites and readied to unwind.
    pub(crate) unwind_forced: AtomicU64,
    /// Default stack size for new goroutines (rounded).
    pub(crate) stack_size: usize,
    /// Threads a goroutine held for longer than `blocked_warn_ns` without
    /// parking (incidents sysmon reported).
    pub(crate) blocked_threads: AtomicU64,
    /// Time slices over 10 ms in which a goroutine never reached a scheduling point.
    pub(crate) long_runs: AtomicU64,
    /// After how long sysmon reports a goroutine that holds its thread
    /// without parking (0: never).
    pub(crate) blocked_warn_ns: i64,
    /// The helper threads that run `blocking` calls.
    pub(crate) blockpool: crate::proc_blocking::BlockingPool,
    /// Milliseconds between schedtrace lines; 0 = off.
    pub(crate) schedtrace_ms: u64,
    /// Start of the runtime, for schedtrace.
    pub(crate) start: i64,
}
// ANCHOR_END: schedt

impl Sched {
    pub(crate) fn gomaxprocs(&self) -> u32 {
        self.allp.len() as u32
    }

    /// Goroutines alive: spawned and not yet exited (Go's `gcount`).
    pub(crate) fn gcount(&self) -> i64 {
        self.ngoroutines.load(Ordering::Relaxed)
            + self
                .allp
                .iter()
                .map(|p| p.stats.live.load(Ordering::Relaxed))
                .sum::<i64>()
    }

    /// Goroutines parked with `reason` right now (see [`crate::parked`]):
    /// walks `allgs` under the lock, so the park path pays nothing for it.
    ///
    /// Ordering: a goroutine stores its reason (Relaxed), then its M stores
    /// WAITING with Release in `park_m`. The Acquire load of the status here
    /// pairs with that store, so a G seen WAITING shows the reason of that
    /// park, or a later one if it has since resumed and parked again. The
    /// answer is a snapshot that may be stale by the time it is returned.
    /// A G counts from the WAITING store on, which is just before its
    /// unlock callback publishes it to its waker (and may call the park
    /// off): the moment a test wants, "it reached the wait".
    pub(crate) fn parked(&self, reason: WaitReason) -> usize {
        let l = self.lock.lock();
        l.allgs
            .iter()
            .filter(|gp| {
                // SAFETY: Gs live as long as the Sched (allgs owns them);
                // only the atomic fields are read.
                let g = unsafe { gp.as_ref() };
                g.atomicstatus.load(Ordering::Acquire) == gstatus::WAITING
                    && g.waitreason.load(Ordering::Relaxed) == reason as u8
            })
            .count()
    }

    pub(crate) fn p(&self, i: usize) -> *mut P {
        ptr::from_ref(&self.allp[i]).cast_mut()
    }
}

/// A parked goroutine, as handed to a `gopark` unlock callback and later to
/// [`goready`](crate::hooks::goready): Go's `*g` in the places where the runtime's
/// clients (netpoll, sema, channels) hold on to a waiting goroutine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gp(pub(crate) NonNull<G>);

impl Gp {
    /// The raw address, for lock-free slots that store a goroutine as a word
    /// (Go's pollDesc `rg`/`wg`). Always a multiple of 8 and never 0, 1 or 2.
    pub fn as_usize(self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Rebuilds a handle from [`Gp::as_usize`].
    ///
    /// # Safety
    ///
    /// `word` must come from `as_usize` of a handle whose park has not yet been
    /// ended by a `goready`.
    pub unsafe fn from_usize(word: usize) -> Gp {
        // SAFETY: the caller promises `word` came from a live, non-null handle.
        Gp(unsafe { NonNull::new_unchecked(word as *mut G) })
    }

    /// The goroutine's id.
    pub fn goid(self) -> u64 {
        // SAFETY: a Gp refers to a parked G, which nobody else mutates; goid is
        // written only while the G is being (re)created.
        unsafe { self.0.as_ref() }.goid.get()
    }
}

// SAFETY: a Gp is an address passed between threads; what may be done with it
// is governed by `goready`'s contract.
unsafe impl Send for Gp {}
// SAFETY: as above.
unsafe impl Sync for Gp {}
