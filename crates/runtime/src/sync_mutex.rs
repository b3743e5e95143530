//! Mirrors Go src/internal/sync/mutex.go (go1.27): sync.Mutex, as [`RawMutex`] and the data-owning [`Mutex`].
//!
//! The whole lock is one 32-bit state word plus a semaphore
//! (`runtime/sema.go`, see `sema.rs`) that waiters sleep on. Locking an
//! unlocked mutex is one CAS, unlocking an uncontended one is one atomic
//! subtraction; everything else is the slow path.
//!
//! ```text
//!  31                                 3   2         1       0
//! +------------------------------------+---------+-------+--------+
//! |  waiters (goroutines in the sema)  | STARVING| WOKEN | LOCKED |
//! +------------------------------------+---------+-------+--------+
//! ```
//!
//! | bit        | set by                                   | meaning                                           |
//! |------------|------------------------------------------|---------------------------------------------------|
//! | `LOCKED`   | the locker's CAS (or the woken waiter in starvation mode) | somebody holds the mutex          |
//! | `WOKEN`    | a spinner, or an unlocker that woke a waiter | a waiter is awake and will retry: unlock need not wake another |
//! | `STARVING` | a waiter that waited over 1 ms           | unlock hands the mutex to the first waiter        |
//! | waiters    | lockers before they sleep; unlockers when they wake one | goroutines asleep in `sema`      |
//!
//! **Normal mode.** Waiters queue FIFO, but a woken waiter does not own the
//! mutex: it competes with goroutines that are arriving right now, which are
//! already on a CPU and usually win. A waiter that loses goes back to the
//! *front* of the queue (`semacquire_mutex` with `lifo`). Before sleeping, a
//! locker spins a few rounds if other Ms are running goroutines (a holder on
//! another CPU may be about to unlock); it never spins with one P, on a plain
//! thread, or in starvation mode.
//!
//! **Starvation mode.** A waiter that has waited more than 1 ms
//! (`STARVATION_THRESHOLD_NS`) sets `STARVING`. From then on unlock does not
//! clear the way for newcomers: it hands the mutex directly to the first waiter
//! (`semrelease_handoff`, which also yields the unlocker's thread to it when
//! the waiter lives there), and arriving goroutines queue at the tail without
//! trying. The waiter that
//! receives the mutex turns starvation mode off if it is the last waiter or
//! waited less than 1 ms. Normal mode is much faster (a goroutine can take the
//! mutex many times in a row while others sleep); starvation mode bounds the
//! tail latency.
//!
//! Waiting parks the goroutine (the M runs other goroutines meanwhile); a
//! plain OS thread outside the runtime blocks instead, so a goroutine and a
//! thread can share one mutex.
//!
//! Under `--cfg loom` only [`RawMutex`] is compiled, over a yielding stand-in
//! for the semaphore, and a model checks its state transitions (see the tests
//! at the end).

#![cfg_attr(loom, allow(dead_code))]

#[cfg(not(loom))]
use std::cell::UnsafeCell;
#[cfg(not(loom))]
use std::fmt;
#[cfg(not(loom))]
use std::marker::PhantomData;
#[cfg(not(loom))]
use std::ops::{Deref, DerefMut};

use crate::atomic::{AtomicU32, Ordering};

/// The mutex is held (Go's `mutexLocked`).
const MUTEX_LOCKED: u32 = 1 << 0;
/// A waiter is awake and about to retry (Go's `mutexWoken`).
const MUTEX_WOKEN: u32 = 1 << 1;
/// Unlock hands the mutex to the first waiter (Go's `mutexStarving`).
const MUTEX_STARVING: u32 = 1 << 2;
/// The waiter count starts at this bit (Go's `mutexWaiterShift`).
const MUTEX_WAITER_SHIFT: u32 = 3;
/// One waiter, in the state word.
const MUTEX_WAITER: u32 = 1 << MUTEX_WAITER_SHIFT;

/// A waiter that waited this long switches the mutex to starvation mode
/// (Go's `starvationThresholdNs`: 1 ms).
const STARVATION_THRESHOLD_NS: i64 = 1_000_000;

/// Spin rounds before a locker sleeps (Go's `active_spin`).
#[cfg(not(loom))]
const ACTIVE_SPIN: u32 = 4;
/// `spin_loop` hints per spin round (Go's `active_spin_cnt`, the argument of
/// `procyield`).
#[cfg(not(loom))]
const ACTIVE_SPIN_CNT: u32 = 30;

/// What the mutex needs from the runtime: the semaphore, the clock, and the
/// spinning policy (Go's `runtime_SemacquireMutex`, `runtime_Semrelease`,
/// `runtime_nanotime`, `runtime_canSpin`, `runtime_doSpin`).
#[cfg(not(loom))]
mod rt {
    use std::sync::atomic::{AtomicU32, Ordering};

    pub(super) use crate::proc::fatal;
    /// The semaphore is a word in the runtime's table (`sema.rs`).
    pub(super) type Sema = AtomicU32;
    pub(super) use crate::sema::{semacquire_mutex, semrelease_handoff};
    use crate::stubs::getm;
    pub(super) use crate::time::nanotime;

    use super::{ACTIVE_SPIN, ACTIVE_SPIN_CNT};

    /// CPUs this process may use, read once (Go's `numCPUStartup`); 0 until read.
    static NCPU: AtomicU32 = AtomicU32::new(0);

    fn ncpu() -> u32 {
        // Relaxed: a cached constant; racing first readers store the same value.
        let n = NCPU.load(Ordering::Relaxed);
        if n != 0 {
            return n;
        }
        let n = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        NCPU.store(n, Ordering::Relaxed);
        n
    }

    /// Whether a locker on its `iter`-th spin round should spin once more
    /// rather than sleep (Go's `sync_runtime_canSpin` in proc.go).
    ///
    /// sync.Mutex is cooperative, so spinning is kept short and only done
    /// when it can pay off: on a multi-core machine, from a goroutine that
    /// holds a P (never from a plain thread or a `blocking` helper), while at
    /// least one other P is running goroutines (the holder may be on it and
    /// about to unlock), and while this P has no other goroutine waiting to run.
    pub(super) fn can_spin(iter: u32) -> bool {
        if iter >= ACTIVE_SPIN || ncpu() <= 1 {
            return false;
        }
        let m = getm();
        if m.is_null() {
            return false;
        }
        // SAFETY: a non-null current M is this thread's and alive; its Cells
        // are only touched by this thread.
        let m = unsafe { &*m };
        let pp = m.p.get();
        if m.curg.get().is_null() || pp.is_null() {
            return false;
        }
        // SAFETY: a goroutine's runtime outlives it (see `Sched`).
        let sched = unsafe { &*m.schedp };
        // Relaxed: hints. A stale count costs one spin round too many or one
        // sleep too early, never correctness.
        let busy_elsewhere = sched.gomaxprocs()
            > sched.npidle.load(Ordering::Relaxed) + sched.nmspinning.load(Ordering::Relaxed) + 1;
        // SAFETY: we hold `pp`, which is alive as long as its runtime.
        busy_elsewhere && !crate::proc::has_local_work(unsafe { &*pp })
    }

    /// One spin round (Go's `sync_runtime_doSpin`: `procyield(30)`).
    pub(super) fn do_spin() {
        for _ in 0..ACTIVE_SPIN_CNT {
            std::hint::spin_loop();
        }
    }
}

/// Loom stand-ins for the runtime hooks: a semaphore made of loom's mutex
/// and condition variable (a waiter blocks until a unit is there, so the
/// model need not explore spin loops), and per-thread settings: a clock
/// that moves one nanosecond per reading or past the starvation threshold
/// (so that thread's waiters starve at once), and whether the thread may
/// spin one round (see [`configure_thread`](rt::configure_thread)).
#[cfg(loom)]
mod rt {
    use std::cell::Cell;

    loom::thread_local! {
        /// This thread's clock reading (never 0, as lock_slow takes 0 for
        /// "not waited yet"), how far each reading moves it, and whether it
        /// may spin.
        static SETTINGS: Cell<(i64, i64, bool)> = Cell::new((1, 1, false));
    }

    /// The semaphore: a count under a lock, and a condition to wait on.
    pub(super) struct Sema {
        count: loom::sync::Mutex<u32>,
        cv: loom::sync::Condvar,
    }

    impl Sema {
        pub(super) fn new() -> Sema {
            Sema {
                count: loom::sync::Mutex::new(0),
                cv: loom::sync::Condvar::new(),
            }
        }
    }

    pub(super) fn semacquire_mutex(s: &Sema, _lifo: bool) {
        let mut n = s.count.lock().unwrap();
        while *n == 0 {
            n = s.cv.wait(n).unwrap();
        }
        *n -= 1;
    }

    pub(super) fn semrelease_handoff(s: &Sema, _handoff: bool) {
        *s.count.lock().unwrap() += 1;
        s.cv.notify_one();
    }

    pub(super) fn nanotime() -> i64 {
        SETTINGS.with(|c| {
            let (now, step, spin) = c.get();
            c.set((now + step, step, spin));
            now
        })
    }

    /// Settings for the calling thread: with `starve`, each of its waits
    /// outlasts the starvation threshold; with `spin`, it spins one round
    /// before it sleeps.
    pub(super) fn configure_thread(starve: bool, spin: bool) {
        let step = if starve {
            super::STARVATION_THRESHOLD_NS + 1
        } else {
            1
        };
        SETTINGS.with(|c| c.set((c.get().0, step, spin)));
    }

    pub(super) fn can_spin(iter: u32) -> bool {
        iter < 1 && SETTINGS.with(|c| c.get().2)
    }

    /// A spin round is just another look at the state word: a yield here
    /// would make loom run the holder to completion and explore little else.
    pub(super) fn do_spin() {}

    pub(super) fn fatal(msg: &str) -> ! {
        panic!("{msg}")
    }
}

/// A mutual exclusion lock without data: Go's `sync.Mutex`, `Lock`/`Unlock`
/// and all. [`Mutex`] wraps it with the data it guards; use this one where
/// the lock and what it protects are not one value (as Go code does).
///
/// A goroutine that must wait parks (its thread runs other goroutines); a
/// plain OS thread outside the runtime blocks. A `RawMutex` is not tied to the
/// goroutine or thread that locked it: any of them may unlock it, as in Go.
///
/// ```
/// use gort_runtime::sync::RawMutex;
///
/// static MU: RawMutex = RawMutex::new();
/// gort_runtime::run(|| {
///     MU.lock();
///     assert!(!MU.try_lock());
///     MU.unlock();
/// });
/// ```
pub struct RawMutex {
    /// The state word: see the layout and table in the module doc. Every
    /// change is a CAS or an RMW, so the waiter count and the bits change
    /// together; see each operation for its ordering.
    state: AtomicU32,
    /// The semaphore waiters sleep on (Go's `sema`): a count of wake-ups
    /// granted and not yet taken.
    sema: rt::Sema,
}

impl RawMutex {
    /// An unlocked mutex.
    #[cfg(not(loom))]
    pub const fn new() -> RawMutex {
        RawMutex {
            state: AtomicU32::new(0),
            sema: AtomicU32::new(0),
        }
    }

    /// An unlocked mutex.
    #[cfg(loom)]
    pub fn new() -> RawMutex {
        RawMutex {
            state: AtomicU32::new(0),
            sema: rt::Sema::new(),
        }
    }

    /// Locks the mutex, waiting until it is available (Go's `Mutex.Lock`).
    /// Parks the calling goroutine, or blocks the calling thread outside the
    /// runtime. Not reentrant: locking it again from the holder deadlocks.
    #[inline]
    pub fn lock(&self) {
        // Fast path: grab an unlocked mutex. Acquire: pairs with the Release
        // of the previous unlock, so its critical section happens-before ours.
        if let Err(seen) =
            self.state
                .compare_exchange(0, MUTEX_LOCKED, Ordering::Acquire, Ordering::Relaxed)
        {
            self.lock_slow(seen);
        }
    }

    /// Locks the mutex if it is free right now (Go's `Mutex.TryLock`). Fails
    /// in starvation mode even if unlocked: the mutex is promised to a waiter.
    #[inline]
    pub fn try_lock(&self) -> bool {
        // Relaxed: a guess, validated by the CAS.
        let old = self.state.load(Ordering::Relaxed);
        if old & (MUTEX_LOCKED | MUTEX_STARVING) != 0 {
            return false;
        }
        // A waiter may be asleep, but we are running and may take the mutex
        // before it wakes. Acquire: as in `lock`.
        self.state
            .compare_exchange(
                old,
                old | MUTEX_LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Whether the mutex is held right now (a snapshot, for tests and
    /// debugging output).
    pub fn is_locked(&self) -> bool {
        // Relaxed: a snapshot that may be stale as soon as it is read.
        self.state.load(Ordering::Relaxed) & MUTEX_LOCKED != 0
    }

    /// Go's `lockSlow`: spin, then sleep on the semaphore until the mutex is
    /// ours. `seen` is the state the fast path's failed CAS found. (Go loads
    /// the word again; starting from the value the CAS returned saves that
    /// load and, under contention, makes the first decision on the state
    /// that made the fast path fail: usually "locked", so we spin while the
    /// holder finishes rather than fight over the cache line at once.)
    #[cold]
    #[inline(never)]
    fn lock_slow(&self, seen: u32) {
        let mut wait_start: i64 = 0;
        let mut starving = false;
        // We were woken (or claimed WOKEN while spinning): we must clear it.
        let mut awoke = false;
        let mut iter = 0;
        // Every decision below is validated by a CAS on the word, so a stale
        // value costs at most one failed CAS.
        let mut old = seen;
        loop {
            // Spin only while the mutex is held in normal mode: in starvation
            // mode it goes to a waiter, so spinning cannot win it.
            if old & (MUTEX_LOCKED | MUTEX_STARVING) == MUTEX_LOCKED && rt::can_spin(iter) {
                // Set WOKEN so that unlock does not wake a sleeper while we
                // are awake to take the mutex ourselves. Relaxed: this claims
                // nothing but the flag.
                if !awoke
                    && old & MUTEX_WOKEN == 0
                    && old >> MUTEX_WAITER_SHIFT != 0
                    && self
                        .state
                        .compare_exchange(
                            old,
                            old | MUTEX_WOKEN,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                {
                    awoke = true;
                }
                rt::do_spin();
                iter += 1;
                old = self.state.load(Ordering::Relaxed);
                continue;
            }
            let mut new = old;
            // Newcomers do not take a starving mutex: they queue.
            if old & MUTEX_STARVING == 0 {
                new |= MUTEX_LOCKED;
            }
            if old & (MUTEX_LOCKED | MUTEX_STARVING) != 0 {
                new += MUTEX_WAITER;
            }
            // Switch to starvation mode, but only while the mutex is held:
            // unlock expects a starving mutex to have waiters.
            if starving && old & MUTEX_LOCKED != 0 {
                new |= MUTEX_STARVING;
            }
            if awoke {
                // Woken (or spun with WOKEN set): clear the flag either way.
                if new & MUTEX_WOKEN == 0 {
                    rt::fatal("sync: inconsistent mutex state");
                }
                new &= !MUTEX_WOKEN;
            }
            // Acquire on success: when this CAS takes the mutex it pairs with
            // the Release of the unlock that freed it; when it only counts us
            // as a waiter it costs nothing more. Relaxed on failure: we retry
            // from the value read.
            match self
                .state
                .compare_exchange(old, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => {
                    if old & (MUTEX_LOCKED | MUTEX_STARVING) == 0 {
                        return; // locked with the CAS
                    }
                    // A waiter that has waited before goes to the front.
                    let queue_lifo = wait_start != 0;
                    if wait_start == 0 {
                        wait_start = rt::nanotime();
                    }
                    rt::semacquire_mutex(&self.sema, queue_lifo);
                    starving = starving || rt::nanotime() - wait_start > STARVATION_THRESHOLD_NS;
                    // Relaxed: what matters was ordered by the semaphore.
                    old = self.state.load(Ordering::Relaxed);
                    if old & MUTEX_STARVING != 0 {
                        // Starvation mode: the unlocker handed the mutex to us
                        // without setting LOCKED, and still counts us as a
                        // waiter. Take it and fix both.
                        if old & (MUTEX_LOCKED | MUTEX_WOKEN) != 0 || old >> MUTEX_WAITER_SHIFT == 0
                        {
                            rt::fatal("sync: inconsistent mutex state");
                        }
                        let mut delta = MUTEX_LOCKED.wrapping_sub(MUTEX_WAITER);
                        if !starving || old >> MUTEX_WAITER_SHIFT == 1 {
                            // Leave starvation mode, here and only here, where
                            // the wait time is known: two goroutines in
                            // starvation mode would otherwise hand the mutex
                            // back and forth forever, as slow as it goes.
                            delta = delta.wrapping_sub(MUTEX_STARVING);
                        }
                        // Acquire: the hand-off came through the semaphore,
                        // which already ordered the unlocker's critical
                        // section before us; this keeps the RMW that makes
                        // the mutex ours an acquire as well.
                        self.state.fetch_add(delta, Ordering::Acquire);
                        return;
                    }
                    awoke = true;
                    iter = 0;
                }
                Err(cur) => old = cur,
            }
        }
    }

    /// Unlocks the mutex (Go's `Mutex.Unlock`), waking a waiter if one sleeps.
    ///
    /// Any goroutine or thread may unlock a locked mutex, as in Go; it need
    /// not be the one that locked it. Unlocking an unlocked mutex is a fatal
    /// error ("fatal error: sync: unlock of unlocked mutex", and the process
    /// aborts), as in Go.
    #[inline]
    pub fn unlock(&self) {
        // Fast path: drop the lock bit. Release: publishes our critical
        // section to the next locker's Acquire.
        let new = self
            .state
            .fetch_sub(MUTEX_LOCKED, Ordering::Release)
            .wrapping_sub(MUTEX_LOCKED);
        if new != 0 {
            self.unlock_slow(new);
        }
    }

    /// Go's `unlockSlow`: somebody waits, or the mutex was not locked.
    #[cold]
    #[inline(never)]
    fn unlock_slow(&self, new: u32) {
        if new.wrapping_add(MUTEX_LOCKED) & MUTEX_LOCKED == 0 {
            rt::fatal("sync: unlock of unlocked mutex");
        }
        if new & MUTEX_STARVING != 0 {
            // Starvation mode: hand the mutex to the first waiter, and yield
            // our P so it runs now. LOCKED stays clear until the waiter sets
            // it, but STARVING keeps newcomers off the mutex meanwhile.
            rt::semrelease_handoff(&self.sema, true);
            return;
        }
        let mut old = new;
        loop {
            // Nobody to wake, or somebody is already awake, or the mutex was
            // taken again (its next unlock will wake), or it turned starving
            // after our unlock (a hand-off chain we are not part of).
            if old >> MUTEX_WAITER_SHIFT == 0
                || old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING) != 0
            {
                return;
            }
            // Take the right to wake one waiter. Relaxed: this claims the
            // wake-up only; our critical section was published by the
            // Release above, and the semaphore orders the waiter after us.
            let new = (old - MUTEX_WAITER) | MUTEX_WOKEN;
            match self
                .state
                .compare_exchange(old, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    rt::semrelease_handoff(&self.sema, false);
                    return;
                }
                Err(cur) => old = cur,
            }
        }
    }
}

#[cfg(not(loom))]
impl Default for RawMutex {
    fn default() -> RawMutex {
        RawMutex::new()
    }
}

#[cfg(not(loom))]
impl fmt::Debug for RawMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMutex")
            .field("locked", &self.is_locked())
            .finish()
    }
}

/// A mutual exclusion lock that owns the data it protects: Go's `sync.Mutex`
/// shaped like `std::sync::Mutex` ([`lock`](Self::lock) returns a guard that
/// unlocks when dropped).
///
/// It spins briefly when the holder is likely running on another CPU, then
/// parks the waiting goroutine (its thread runs other goroutines meanwhile),
/// and switches to starvation mode, handing the lock to waiters in order,
/// once one has waited 1 ms (see the module doc of `sync_mutex.rs`). Called
/// from a plain OS thread outside the runtime, it blocks the thread, so
/// goroutines and threads can share one mutex.
///
/// There is no poisoning: a panic while the guard is held unlocks the mutex
/// as the guard is dropped, and the next holder sees the data as the
/// panicking code left it (as in Go, where a deferred Unlock runs).
///
/// ```
/// use std::sync::Arc;
/// use gort_runtime::sync::Mutex;
///
/// let total = gort_runtime::run(|| {
///     let counter = Arc::new(Mutex::new(0u64));
///     let hs: Vec<_> = (0..10)
///         .map(|_| {
///             let counter = counter.clone();
///             gort_runtime::spawn(move || *counter.lock() += 1)
///         })
///         .collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     *counter.lock()
/// });
/// assert_eq!(total, 10);
/// ```
#[cfg(not(loom))]
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    /// Only touched through a guard, i.e. while `raw` is held by its owner.
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands `T` from one holder to the next, possibly on other
// threads, so `T` must be `Send`; it never gives out `&T` to two threads at
// once, so `T` need not be `Sync`.
#[cfg(not(loom))]
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: access through a shared `&Mutex` is serialised by the lock.
#[cfg(not(loom))]
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

#[cfg(not(loom))]
impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting until it is free (Go's `Lock`), and returns a
    /// guard that unlocks it when dropped. Parks the calling goroutine, or
    /// blocks the calling thread outside the runtime. Locking it again while
    /// holding the guard deadlocks.
    #[doc(alias = "Lock")]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard::new(self)
    }

    /// Locks the mutex if it is free right now (Go's `TryLock`).
    #[doc(alias = "TryLock")]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| MutexGuard::new(self))
    }

    /// The data, through a unique borrow: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Whether the mutex is held right now (a snapshot).
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }
}

#[cfg(not(loom))]
impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

#[cfg(not(loom))]
impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

#[cfg(not(loom))]
impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Proof that a [`Mutex`] is held; gives access to the data and unlocks on
/// drop.
///
/// The guard may be sent to another goroutine or thread (when `T: Send`),
/// which then unlocks the mutex by dropping it: Go lets any goroutine unlock
/// a mutex.
#[cfg(not(loom))]
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(crate) mutex: &'a Mutex<T>,
    /// Opts out of the auto traits, which would make the guard `Sync`
    /// whenever `T: Send`; the impls below state the right bounds.
    _not_auto: PhantomData<*const ()>,
}

// SAFETY: sending the guard moves the right to `&mut T` (and to unlock) to
// another thread: that is moving a `T`, so `T: Send` suffices. RawMutex does
// not care which thread unlocks.
#[cfg(not(loom))]
unsafe impl<T: ?Sized + Send> Send for MutexGuard<'_, T> {}
// SAFETY: a shared guard only gives `&T`, so sharing it needs `T: Sync`.
#[cfg(not(loom))]
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

#[cfg(not(loom))]
impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(mutex: &'a Mutex<T>) -> MutexGuard<'a, T> {
        MutexGuard {
            mutex,
            _not_auto: PhantomData,
        }
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the mutex is held, so no other reference
        // to the data exists except through this guard.
        unsafe { &*self.mutex.data.get() }
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this borrow unique.
        unsafe { &mut *self.mutex.data.get() }
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

#[cfg(not(loom))]
impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(not(loom))]
impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::cell::UnsafeCell;
    use loom::sync::Arc;
    use loom::thread;

    /// A counter only touched under the mutex; loom's cell reports any
    /// access that is not ordered by the lock.
    struct Shared {
        mu: RawMutex,
        n: UnsafeCell<u32>,
    }

    // SAFETY: `n` is only touched while `mu` is held (and loom checks it).
    unsafe impl Sync for Shared {}

    fn locked_increment(s: &Shared) {
        s.mu.lock();
        // SAFETY: we hold the mutex.
        s.n.with_mut(|n| unsafe { *n += 1 });
        s.mu.unlock();
    }

    /// Loom's default bound on branches per execution is too tight for the
    /// lock's retry loops.
    fn model<F: Fn() + Sync + Send + 'static>(f: F) {
        let mut b = loom::model::Builder::new();
        b.max_branches = 100_000;
        b.check(f);
    }

    /// Two threads lock twice each: mutual exclusion (loom's cell checks the
    /// increments are ordered by the lock), no lost wake-up (loom fails a
    /// model in which every thread waits forever), and the state word ends
    /// unlocked and empty. The spawned thread's waits always outlast the
    /// starvation threshold and the main thread's never do, so the model
    /// explores both a woken waiter losing in normal mode and going back to
    /// the queue, and starvation mode with its hand-off and its exit; the
    /// spawned thread also spins (setting WOKEN) before it sleeps.
    #[test]
    fn mutex_state_transitions() {
        model(|| {
            let s = Arc::new(Shared {
                mu: RawMutex::new(),
                n: UnsafeCell::new(0),
            });
            let t = {
                let s = s.clone();
                thread::spawn(move || {
                    rt::configure_thread(true, true);
                    locked_increment(&s);
                    locked_increment(&s);
                })
            };
            locked_increment(&s);
            locked_increment(&s);
            t.join().unwrap();
            // SAFETY: the other thread has finished.
            assert_eq!(s.n.with(|n| unsafe { *n }), 4);
            assert_eq!(s.mu.state.load(Ordering::Relaxed), 0);
        });
    }

    /// Three threads, so that one can spin while another sleeps: the
    /// spinner claims WOKEN, the unlock then wakes nobody, and the woken
    /// flag is cleared by whoever had it, with nobody left asleep.
    #[test]
    fn spinner_claims_woken() {
        model(|| {
            let s = Arc::new(Shared {
                mu: RawMutex::new(),
                n: UnsafeCell::new(0),
            });
            let ts: Vec<_> = [(false, true), (false, false)]
                .into_iter()
                .map(|(starve, spin)| {
                    let s = s.clone();
                    thread::spawn(move || {
                        rt::configure_thread(starve, spin);
                        locked_increment(&s);
                    })
                })
                .collect();
            locked_increment(&s);
            for t in ts {
                t.join().unwrap();
            }
            // SAFETY: the other threads have finished.
            assert_eq!(s.n.with(|n| unsafe { *n }), 3);
            assert_eq!(s.mu.state.load(Ordering::Relaxed), 0);
        });
    }

    /// `try_lock` never succeeds while another thread holds the mutex, and
    /// a failed attempt leaves no trace in the state word.
    #[test]
    fn try_lock_excludes() {
        model(|| {
            let s = Arc::new(Shared {
                mu: RawMutex::new(),
                n: UnsafeCell::new(0),
            });
            let t = {
                let s = s.clone();
                thread::spawn(move || locked_increment(&s))
            };
            if s.mu.try_lock() {
                // SAFETY: we hold the mutex.
                s.n.with_mut(|n| unsafe { *n += 1 });
                s.mu.unlock();
            }
            t.join().unwrap();
            assert_eq!(s.mu.state.load(Ordering::Relaxed), 0);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn plain_threads_share_a_mutex() {
        let m = std::sync::Arc::new(Mutex::new(0u64));
        let ts: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        *m.lock() += 1;
                    }
                })
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(*m.lock(), 40_000);
        assert_eq!(m.raw.state.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn try_lock_fails_while_held_and_guard_unlocks() {
        let mut m = Mutex::new(vec![1]);
        {
            let mut g = m.lock();
            g.push(2);
            assert!(m.try_lock().is_none());
            assert!(m.is_locked());
        }
        assert!(!m.is_locked());
        m.get_mut().push(3);
        assert_eq!(format!("{m:?}"), "Mutex { data: [1, 2, 3], .. }");
        assert_eq!(m.into_inner(), vec![1, 2, 3]);
    }

    #[test]
    fn no_spinning_outside_goroutines() {
        for i in 0..ACTIVE_SPIN + 1 {
            assert!(!rt::can_spin(i));
        }
    }
}
