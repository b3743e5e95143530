//! Mirrors Go src/runtime/time.go (go1.27): runtime timers, the per-P timer heaps, and sleep.
//!
//! Every P owns a heap of timers ordered by expiry. The scheduler runs a P's
//! expired timers each time it looks for work (`checkTimers`), idle Ms steal
//! other Ps' expired timers, and the M that blocks in the netpoller sleeps
//! exactly until the earliest timer of all Ps (`pollUntil`). A timer that is
//! added earlier than that wakes the poller (`wakeNetPoller`).
//!
//! An `RtTimer` (Go's `timer`) is a callback plus an expiry. Resetting or stopping it does not
//! search the heap: it bumps the timer's sequence number, which turns the heap
//! entry already queued into a *zombie* that is dropped when it surfaces (Go
//! marks the same state `timerZombie`). When zombies pass a quarter of a heap,
//! the heap is rebuilt without them, so a timer reset on every read (a
//! deadline) cannot grow it without bound.
//!
//! Callbacks run on the scheduler's stack (g0) with no lock held; they must be
//! short and must not block: readying a goroutine is the typical one.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering as AtomicOrdering};
use std::time::Duration;

use parking_lot::Mutex;

pub use crate::time_sleep::{Timer, after};
pub use crate::time_tick::{Ticker, tick};

use crate::proc::{goready, wake_net_poller};
use crate::runtime2::{Sched, WaitReason};
use crate::stubs;

/// Monotonic time in nanoseconds (Go's `nanotime`).
pub fn nanotime() -> i64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// `now + d` in nanotime units, saturating instead of overflowing.
pub(crate) fn when_after(now: i64, d: Duration) -> i64 {
    let d = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    now.saturating_add(d).max(1)
}

// ANCHOR: timer
/// A runtime timer (Go's `timer`; named apart from the channel
/// [`Timer`] of Go's `time` package): a callback that runs once at `when`.
#[derive(Clone)]
pub(crate) struct RtTimer(Arc<TimerInner>);

struct TimerInner {
    state: Mutex<TimerState>,
    /// Called with the `arg` of the arming that fired (Go's `f(arg, seq, delay)`
    /// reduced to the part gort's users need: the seq).
    f: Box<dyn Fn(usize) + Send + Sync>,
}

/// A timer's state. Invariant: `heap_when != 0` exactly when a heap entry
/// tagged with the current `seq` is queued in `*on`; that entry expires at
/// `heap_when`, which is never later than `when` while the timer is armed.
struct TimerState {
    /// Expiry in nanotime, 0 while stopped or after it fired.
    when: i64,
    /// Expiry of the live heap entry, 0 if there is none.
    heap_when: i64,
    /// Tag of the live heap entry; bumped whenever that entry is abandoned,
    /// which turns it into a zombie.
    seq: u64,
    /// The heap holding the live entry. Points into a P of the runtime,
    /// which outlives every timer (a timer is owned by a G of the runtime or
    /// by an `AfterFunc` that keeps the runtime alive).
    on: *const Timers,
    /// The caller's tag of the current arming, handed to `f` when it fires
    /// (Go's `timer.seq`, which netpoll sets to its `rseq`/`wseq`). Unlike
    /// `seq` above, which is the heap's own bookkeeping, the runtime never
    /// interprets it.
    arg: usize,
}
// ANCHOR_END: timer

// SAFETY: `on` points into a P that outlives the timer, and is only used to
// reach that P's heap (which is Sync); everything else is Send.
unsafe impl Send for TimerState {}

impl RtTimer {
    /// A stopped timer that will call `f` each time it fires.
    pub(crate) fn new(f: impl Fn() + Send + Sync + 'static) -> RtTimer {
        RtTimer::with_arg(move |_| f())
    }

    /// A stopped timer that will call `f` with the `arg` of the arming that
    /// fired (see [`RtTimer::reset_arg`]).
    pub(crate) fn with_arg(f: impl Fn(usize) + Send + Sync + 'static) -> RtTimer {
        RtTimer(Arc::new(TimerInner {
            state: Mutex::new(TimerState {
                when: 0,
                heap_when: 0,
                seq: 0,
                on: std::ptr::null(),
                arg: 0,
            }),
            f: Box::new(f),
        }))
    }

    /// Arms the timer to fire at `when` (nanotime), replacing any earlier
    /// expiry; returns whether it was armed before (Go's `timer.modify`).
    ///
    /// Moving a queued timer *later* (a deadline pushed back on every read)
    /// touches no heap: the queued entry stays, and when it surfaces early
    /// the heap re-queues it at the new time (Go's `timerModified`). Moving
    /// it earlier queues a new entry and makes the old one a zombie.
    pub(crate) fn reset(&self, sched: &Sched, when: i64) -> bool {
        self.reset_arg(sched, when, 0)
    }

    // ANCHOR: modify
    /// As [`reset`](Self::reset), tagging this arming with `arg`, which the
    /// callback receives if this arming is the one that fires.
    pub(crate) fn reset_arg(&self, sched: &Sched, when: i64, arg: usize) -> bool {
        let when = when.max(1);
        let (timers, seq, was_active) = {
            let mut st = self.0.state.lock();
            let was_active = st.when != 0;
            st.when = when;
            st.arg = arg;
            if st.heap_when != 0 && st.heap_when <= when {
                return was_active;
            }
            if st.heap_when != 0 {
                self.zombify(&mut st);
            }
            let timers = current_timers(sched);
            st.heap_when = when;
            st.on = timers;
            (timers, st.seq, was_active)
        };
        // SAFETY: `timers` points into a P of `sched`, which we borrow.
        let timers = unsafe { &*timers };
        if timers.push(Entry {
            when,
            seq,
            t: self.0.clone(),
        }) {
            wake_net_poller(sched, when);
        }
        was_active
    }
    // ANCHOR_END: modify

    // ANCHOR: stop
    /// Disarms the timer; returns whether it was armed (Go's `timer.stop`).
    /// Its queued entry becomes a zombie, counted so that a heap of stopped
    /// timers is cleaned up long before they would have expired.
    pub(crate) fn stop(&self) -> bool {
        let mut st = self.0.state.lock();
        if st.heap_when != 0 {
            self.zombify(&mut st);
        }
        std::mem::replace(&mut st.when, 0) != 0
    }

    /// Abandons the live heap entry: it becomes a zombie of its heap.
    fn zombify(&self, st: &mut TimerState) {
        st.seq = st.seq.wrapping_add(1);
        st.heap_when = 0;
        // SAFETY: `on` was set with the entry to a heap that outlives the timer.
        unsafe { &*st.on }
            .zombies
            .fetch_add(1, AtomicOrdering::Relaxed);
    }
    // ANCHOR_END: stop
}

/// The heap of whichever P the calling M holds, or P 0's when it holds none
/// (a plain thread, or a `blocking` helper). Every heap is scanned by
/// the scheduler, so any choice is correct; the local one is just cheaper.
fn current_timers(sched: &Sched) -> *const Timers {
    let m = stubs::getm();
    if !m.is_null() {
        // SAFETY: the current M is this thread's and alive.
        let m = unsafe { &*m };
        let p = m.p.get();
        if std::ptr::eq(m.schedp, sched) && !p.is_null() {
            // SAFETY: the held P is alive while the runtime is.
            return unsafe { &(*p).timers };
        }
    }
    &sched.allp[0].timers
}

/// One queued expiry of a timer.
struct Entry {
    when: i64,
    seq: u64,
    t: Arc<TimerInner>,
}

/// What the heap does with an entry that surfaced.
enum Due {
    /// A zombie, or the live entry of a stopped timer: drop it.
    Drop { zombie: bool },
    /// Moved later while queued: queue again at this time.
    Requeue(i64),
    /// Expired: call the function with this arming's `arg`.
    Fire(usize),
}

impl Entry {
    // ANCHOR: unlockAndRun
    /// Decides the fate of an entry taken off its heap at `now`; keeps the
    /// timer's state consistent with that decision.
    fn settle(&self, now: i64) -> Due {
        let mut st = self.t.state.lock();
        if st.seq != self.seq {
            return Due::Drop { zombie: true };
        }
        if st.when == 0 {
            st.heap_when = 0;
            return Due::Drop { zombie: false };
        }
        if st.when > now {
            st.heap_when = st.when;
            return Due::Requeue(st.when);
        }
        st.when = 0;
        st.heap_when = 0;
        Due::Fire(st.arg)
    }
    // ANCHOR_END: unlockAndRun

    /// For the clean-up: whether to keep this entry in the heap. A live entry
    /// of a stopped timer is removed too, and the timer told so.
    fn keep(&self) -> bool {
        let mut st = self.t.state.lock();
        if st.seq != self.seq {
            return false;
        }
        if st.when == 0 {
            st.heap_when = 0;
            return false;
        }
        true
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.when, self.seq).cmp(&(other.when, other.seq))
    }
}

// ANCHOR: timers
/// A P's timer heap (Go's `timers`).
#[derive(Default)]
pub(crate) struct Timers {
    /// Min-heap on `when`. Lock order: this lock, then a timer's state lock
    /// (never the other way round).
    heap: Mutex<BinaryHeap<Reverse<Entry>>>,
    /// Earliest `when` in the heap, 0 when empty (Go's `minWhenHeap`). Stored
    /// under the heap lock; read without it as a hint by schedulers deciding
    /// whether to look (a stale read only delays or advances one look).
    min_when: AtomicI64,
    /// Heap entries known to be zombies (a hint for the clean-up).
    zombies: AtomicU32,
}
// ANCHOR_END: timers

impl Timers {
    /// Earliest expiry queued here, 0 if none (Go's `wakeTime`).
    pub(crate) fn wake_time(&self) -> i64 {
        self.min_when.load(AtomicOrdering::Relaxed)
    }

    // ANCHOR: addHeap
    /// Queues an entry; returns whether it became the earliest.
    fn push(&self, e: Entry) -> bool {
        let when = e.when;
        let mut heap = self.heap.lock();
        let zombies = self.zombies.load(AtomicOrdering::Relaxed) as usize;
        if zombies > 16 && zombies > heap.len() / 4 {
            heap.retain(|Reverse(e)| e.keep());
            self.zombies.store(0, AtomicOrdering::Relaxed);
        }
        heap.push(Reverse(e));
        let min = heap.peek().map_or(0, |Reverse(e)| e.when);
        self.min_when.store(min, AtomicOrdering::Relaxed);
        min == when
    }
    // ANCHOR_END: addHeap

    // ANCHOR: timers_run
    /// Runs every timer due at `now` (Go's `timers.run` loop in `checkTimers`).
    /// Returns the earliest expiry left, 0 if none.
    pub(crate) fn run(&self, now: i64) -> i64 {
        let next = self.wake_time();
        if next == 0 || next > now {
            return next;
        }
        loop {
            let entry = {
                let mut heap = self.heap.lock();
                match heap.peek() {
                    Some(Reverse(e)) if e.when <= now => heap.pop().map(|Reverse(e)| e),
                    _ => {
                        let min = heap.peek().map_or(0, |Reverse(e)| e.when);
                        self.min_when.store(min, AtomicOrdering::Relaxed);
                        return min;
                    }
                }
            };
            let Some(mut entry) = entry else { continue };
            match entry.settle(now) {
                Due::Fire(arg) => (entry.t.f)(arg),
                Due::Requeue(when) => {
                    entry.when = when;
                    // The timer now names this heap's entry again; `on`
                    // already points here.
                    self.push(entry);
                }
                Due::Drop { zombie } => {
                    if zombie {
                        // Counted when it became one; it is gone now.
                        let _ = self.zombies.fetch_update(
                            AtomicOrdering::Relaxed,
                            AtomicOrdering::Relaxed,
                            |z| z.checked_sub(1),
                        );
                    }
                }
            }
        }
    }
    // ANCHOR_END: timers_run
}

/// A function scheduled to run in its own goroutine after a delay (Go's
/// `time.AfterFunc`). Dropping the handle does not cancel it; [`stop`](Self::stop) does.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// gort_runtime::run(|| {
///     let hits = Arc::new(AtomicU32::new(0));
///     let h = hits.clone();
///     let t = gort_runtime::time::after_func(Duration::from_millis(1), move || {
///         h.fetch_add(1, Ordering::SeqCst);
///     });
///     gort_runtime::time::sleep(Duration::from_millis(20));
///     assert_eq!(hits.load(Ordering::SeqCst), 1);
///     assert!(!t.stop()); // already fired
/// });
/// ```
pub struct AfterFunc {
    timer: RtTimer,
    /// Keeps the runtime, and so the heap the timer's entry sits in, alive.
    sched: std::sync::Arc<Sched>,
}

/// Runs `f` in a new goroutine once `d` has passed (Go's `time.AfterFunc`).
///
/// # Panics
///
/// Outside a goroutine.
pub fn after_func(d: Duration, f: impl Fn() + Send + Sync + 'static) -> AfterFunc {
    let sched =
        crate::runtime::current_sched_arc().expect("gort: after_func called outside a goroutine");
    let f = std::sync::Arc::new(f);
    let timer = RtTimer::new(move || {
        let f = f.clone();
        // Timers run on an M of their runtime, so this spawns there.
        crate::runtime::spawn_detached(move || f());
    });
    timer.reset(&sched, when_after(nanotime(), d));
    AfterFunc { timer, sched }
}

impl AfterFunc {
    /// Cancels the call; returns true if that prevented it from running,
    /// false if it had already fired or been stopped.
    pub fn stop(&self) -> bool {
        self.timer.stop()
    }

    /// Re-arms the call to run `d` from now, whether or not it already ran;
    /// returns true if it was still pending.
    pub fn reset(&self, d: Duration) -> bool {
        self.timer.reset(&self.sched, when_after(nanotime(), d))
    }
}

/// A runtime timer for the layers above the scheduler (Go's `timer` as used
/// by `poll_runtime_pollSetDeadline`): its callback runs on the scheduler's
/// stack, with no lock held, each time it fires. The callback must be short
/// and must not block or park; readying a goroutine is what it is for.
///
/// Tied to the runtime it was created in (kept alive by the timer).
///
/// A hook for gort's own crates, reached as `gort_runtime::hooks::RawTimer`
/// (see `hooks` in lib.rs); hidden here.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use gort_runtime::hooks::RawTimer;
/// use gort_runtime::time::nanotime;
/// gort_runtime::run(|| {
///     let fired = Arc::new(AtomicUsize::new(0));
///     let f = fired.clone();
///     let t = RawTimer::new(move |seq| f.store(seq, Ordering::SeqCst));
///     t.reset(nanotime() + 1_000_000, 7);
///     gort_runtime::time::sleep(Duration::from_millis(20));
///     // The callback got the seq of the arming that fired.
///     assert_eq!(fired.load(Ordering::SeqCst), 7);
/// });
/// ```
#[doc(hidden)]
pub struct RawTimer {
    timer: RtTimer,
    sched: std::sync::Arc<Sched>,
}

impl RawTimer {
    /// A stopped timer calling `f(seq)` when it fires, `seq` being the tag
    /// given to the [`reset`](Self::reset) that armed it (Go's timer `seq`
    /// argument, which lets the callback tell a stale arming from the
    /// current one, as netpoll's `rseq`/`wseq` do).
    ///
    /// # Panics
    ///
    /// Outside a goroutine (there is no runtime to attach it to).
    pub fn new(f: impl Fn(usize) + Send + Sync + 'static) -> RawTimer {
        let sched = crate::runtime::current_sched_arc()
            .expect("gort: RawTimer::new called outside a goroutine");
        RawTimer {
            timer: RtTimer::with_arg(f),
            sched,
        }
    }

    /// Arms it to fire at `when` ([`nanotime`] units) with tag `seq`,
    /// replacing any earlier setting (Go's `timer.modify`); returns whether
    /// it was armed.
    #[doc(alias = "modify")]
    pub fn reset(&self, when: i64, seq: usize) -> bool {
        self.timer.reset_arg(&self.sched, when, seq)
    }

    /// Disarms it; returns whether it was armed (and so will now not fire).
    pub fn stop(&self) -> bool {
        self.timer.stop()
    }
}

// ANCHOR: timeSleep
/// Puts the calling goroutine to sleep for at least `d` (Go's `timeSleep`).
///
/// Only the goroutine parks; its M runs other goroutines meanwhile. Called
/// outside a goroutine (on a plain thread), it sleeps the thread instead.
///
/// ```
/// use std::time::{Duration, Instant};
/// gort_runtime::run(|| {
///     let start = Instant::now();
///     gort_runtime::time::sleep(Duration::from_millis(5));
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[doc(alias = "timeSleep")]
pub fn sleep(d: Duration) {
    let gp = stubs::getg();
    if gp.is_null() {
        std::thread::sleep(d);
        return;
    }
    if d.is_zero() {
        return;
    }
    // SAFETY: the running G is alive and only this goroutine touches its timer.
    let g = unsafe { &*gp };
    // SAFETY: as above; `timer` is the G's own field.
    let slot = unsafe { &mut *g.timer.get() };
    let timer = slot
        .get_or_insert_with(|| {
            let me = crate::runtime2::Gp(std::ptr::NonNull::from(g));
            RtTimer::new(move || {
                // SAFETY: the timer is armed only by the park below, and fires
                // once per arming: exactly one goready per park.
                unsafe { goready(me) }
            })
        })
        .clone();
    // SAFETY: a G's runtime outlives it.
    let sched = unsafe { &*g.schedp };
    let when = when_after(nanotime(), d);
    // Arm the timer only once this goroutine is parked (in the unlock
    // callback), so its goready can never overtake the park.
    // Cancellable: a stop that finds the timer armed takes its one goready.
    crate::proc::try_gopark_cancel(
        |_| {
            timer.reset(sched, when);
            true
        },
        WaitReason::Sleep,
        Some(&|| timer.stop()),
    );
}
// ANCHOR_END: timeSleep
