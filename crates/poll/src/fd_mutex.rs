//! Mirrors Go src/internal/poll/fd_mutex.go (go1.27).
//!
//! Every poll `FD` carries an [`FdMutex`]: one 64-bit word that at once counts
//! the operations currently using the descriptor, serializes reads against
//! reads and writes against writes, and records that `Close` has begun. The
//! reference count is what makes closing safe: `Close` only marks the word
//! closed, every later operation fails at once, sleepers are woken to fail as
//! well, and the descriptor itself is destroyed by whichever operation drops
//! the last reference, so no `read(2)` can ever run on a number the kernel has
//! already handed to someone else. Everything happens in compare-and-swap
//! loops on the word; a goroutine that must wait for the read or write lock
//! registers itself in the word's waiter count and sleeps on a semaphore
//! (`rsema` or `wsema`), and the unlocker (or the closer) that removes it
//! from the count posts exactly one unit for it. The word and the semaphores
//! come from the crate's `atomic` facade, so under `--cfg loom` this same code
//! is model-checked (see the models at the bottom of this file).
//!
//! Protocol for the `FD` built on top:
//!
//! | operation                         | enter                          | leave                |
//! |-----------------------------------|--------------------------------|----------------------|
//! | `Read`, `Accept`, `ReadFrom`, ... | [`rwlock(true)`](FdMutex::rwlock)  | [`rwunlock(true)`](FdMutex::rwunlock)  |
//! | `Write`, `WriteTo`, ...           | [`rwlock(false)`](FdMutex::rwlock) | [`rwunlock(false)`](FdMutex::rwunlock) |
//! | misc: `SetDeadline`, `setsockopt` | [`incref`](FdMutex::incref)    | [`decref`](FdMutex::decref) |
//! | `Close`                           | [`incref_and_close`](FdMutex::incref_and_close) | [`decref`](FdMutex::decref) |
//!
//! Whenever a leave call returns `true`, the caller held the last reference of
//! a closed FD and must destroy the descriptor.

use crate::atomic::{AtomicU64, Ordering, Sema, new_sema, semacquire, semrelease};

// ANCHOR: mutexClosed
/// The largest value of each 20-bit counter in the state word.
const COUNT_MAX: u64 = (1 << 20) - 1;

/// Set once `Close` has begun; every later lock or reference fails.
const MUTEX_CLOSED: u64 = 1 << 0;
/// Held by the one read operation in progress.
const MUTEX_RLOCK: u64 = 1 << 1;
/// Held by the one write operation in progress.
const MUTEX_WLOCK: u64 = 1 << 2;
/// One reference (read, write, misc or close).
const MUTEX_REF: u64 = 1 << 3;
/// All of the reference count.
const MUTEX_REF_MASK: u64 = COUNT_MAX << 3;
/// One reader sleeping on `rsema`.
const MUTEX_RWAIT: u64 = 1 << 23;
/// All of the reader-waiter count.
const MUTEX_RMASK: u64 = COUNT_MAX << 23;
/// One writer sleeping on `wsema`.
const MUTEX_WWAIT: u64 = 1 << 43;
/// All of the writer-waiter count.
const MUTEX_WMASK: u64 = COUNT_MAX << 43;
// ANCHOR_END: mutexClosed

/// The panic when a counter would carry into its neighbour (Go's `overflowMsg`).
const OVERFLOW_MSG: &str =
    "too many concurrent operations on a single file or socket (max 1048575)";
/// The panic on an unlock or decref that has no matching lock or incref.
const INCONSISTENT_MSG: &str = "inconsistent poll.fdMutex";

/// Lifetime and read/write serialization of one file descriptor (Go's
/// `fdMutex`).
///
/// Not a general-purpose lock: the read lock and the write lock are
/// independent (one read and one write may run at once), and both, like
/// [`incref`](Self::incref), also take a reference that keeps the descriptor
/// alive. See the [module docs](self) for which call each `FD` operation
/// makes.
///
/// Waiting parks the calling goroutine; outside a goroutine it blocks the
/// calling thread.
///
/// ```
/// use gort_poll::FdMutex;
///
/// let mu = FdMutex::new();
/// assert!(mu.rwlock(true)); // a Read begins...
/// assert!(!mu.rwunlock(true)); // ...and ends; the FD stays open
/// assert!(mu.incref_and_close()); // Close begins
/// assert!(!mu.rwlock(false)); // so a Write fails at once
/// assert!(mu.decref()); // Close held the last reference: destroy the fd
/// ```
///
/// # Panics
///
/// The methods that add to a counter (`incref`, `incref_and_close`,
/// `rwlock`, `try_rwlock`) panic with "too many concurrent operations on a
/// single file or socket (max 1048575)" when it is full; `decref` and
/// `rwunlock` panic with "inconsistent poll.fdMutex" when there is nothing to
/// release. A panicking call leaves the state unchanged.
// ANCHOR: fdMutex
#[doc(alias = "fdMutex")]
pub struct FdMutex {
    /// The whole state, changed only by compare-and-swap:
    ///
    /// | bits   | mask             | meaning                                   |
    /// |--------|------------------|-------------------------------------------|
    /// | 0      | `MUTEX_CLOSED`   | closed: all later locks and increfs fail  |
    /// | 1      | `MUTEX_RLOCK`    | a read operation holds the read lock      |
    /// | 2      | `MUTEX_WLOCK`    | a write operation holds the write lock    |
    /// | 3–22   | `MUTEX_REF_MASK` | references (read + write + misc + close), one per `MUTEX_REF` |
    /// | 23–42  | `MUTEX_RMASK`    | readers asleep on `rsema`, one per `MUTEX_RWAIT` |
    /// | 43–62  | `MUTEX_WMASK`    | writers asleep on `wsema`, one per `MUTEX_WWAIT` |
    /// | 63     |                  | unused (always 0)                         |
    ///
    /// The masks keep Go's names, upper-cased (`mutexRefMask` is
    /// `MUTEX_REF_MASK`). A sleeper is counted from the CAS that registers it until the CAS of
    /// the unlocker or closer that wakes it; that CAS removes it from the
    /// count and is followed by exactly one `semrelease` for it.
    state: AtomicU64,
    /// Readers waiting for `MUTEX_RLOCK` sleep here.
    rsema: Sema,
    /// Writers waiting for `MUTEX_WLOCK` sleep here.
    wsema: Sema,
}
// ANCHOR_END: fdMutex

/// The three masks and the semaphore of one side (read or write) of the lock.
struct Side<'a> {
    /// The lock bit: `MUTEX_RLOCK` or `MUTEX_WLOCK`.
    bit: u64,
    /// One waiter: `MUTEX_RWAIT` or `MUTEX_WWAIT`.
    wait: u64,
    /// All waiters: `MUTEX_RMASK` or `MUTEX_WMASK`.
    mask: u64,
    /// Where this side's waiters sleep.
    sema: &'a Sema,
}

#[cold]
fn overflow() -> ! {
    panic!("{OVERFLOW_MSG}")
}

#[cold]
fn inconsistent() -> ! {
    panic!("{INCONSISTENT_MSG}")
}

/// `state` plus one reference, or the overflow panic if the count is full.
fn add_ref(state: u64) -> u64 {
    let new = state + MUTEX_REF;
    if new & MUTEX_REF_MASK == 0 {
        overflow();
    }
    new
}

impl FdMutex {
    /// An open, unlocked mutex with no references (Go's zero `fdMutex`).
    #[cfg(not(loom))]
    pub const fn new() -> FdMutex {
        FdMutex {
            state: AtomicU64::new(0),
            rsema: new_sema(),
            wsema: new_sema(),
        }
    }

    /// An open, unlocked mutex with no references (Go's zero `fdMutex`).
    #[cfg(loom)]
    pub fn new() -> FdMutex {
        FdMutex {
            state: AtomicU64::new(0),
            rsema: new_sema(),
            wsema: new_sema(),
        }
    }

    fn side(&self, read: bool) -> Side<'_> {
        if read {
            Side {
                bit: MUTEX_RLOCK,
                wait: MUTEX_RWAIT,
                mask: MUTEX_RMASK,
                sema: &self.rsema,
            }
        } else {
            Side {
                bit: MUTEX_WLOCK,
                wait: MUTEX_WWAIT,
                mask: MUTEX_WMASK,
                sema: &self.wsema,
            }
        }
    }

    /// Takes a reference for a misc operation (`SetDeadline`, `setsockopt`,
    /// `fstat`, ...). Returns `false`, taking nothing, once the mutex is
    /// closed; otherwise release it with [`decref`](Self::decref).
    // ANCHOR: incref
    pub fn incref(&self) -> bool {
        // Relaxed: every load here is only a guess that the CAS checks.
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            if old & MUTEX_CLOSED != 0 {
                return false;
            }
            let new = add_ref(old);
            // Relaxed on success: like `Arc::clone`, adding a reference
            // publishes nothing and the caller reads nothing that another
            // reference holder wrote. What must be ordered, the caller's use
            // of the fd before its destruction, is ordered by the AcqRel of
            // the `decref` that drops this reference.
            match self
                .state
                .compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(cur) => old = cur,
            }
        }
    }
    // ANCHOR_END: incref

    /// Marks the mutex closed and takes a reference for the closer, then wakes
    /// every sleeping reader and writer so that their
    /// [`rwlock`](Self::rwlock) fails. Returns `false`, changing nothing, if
    /// it was already closed. The closer releases its reference with
    /// [`decref`](Self::decref).
    // ANCHOR: increfAndClose
    #[doc(alias = "increfAndClose")]
    pub fn incref_and_close(&self) -> bool {
        // Relaxed: a guess that the CAS checks.
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            if old & MUTEX_CLOSED != 0 {
                return false;
            }
            // Closed, one more reference, and no sleepers: the CAS takes them
            // all off the counts, and we owe each one a wake-up below.
            let new = add_ref(old | MUTEX_CLOSED) & !(MUTEX_RMASK | MUTEX_WMASK);
            // Relaxed on success: as for `incref`, the reference publishes
            // nothing. A sleeper we wake below does see the closed bit: its
            // `semacquire` happens-after our `semrelease`, which comes after
            // this CAS, so its next load of `state` cannot read an older value.
            match self
                .state
                .compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    for _ in 0..(old & MUTEX_RMASK) / MUTEX_RWAIT {
                        semrelease(&self.rsema);
                    }
                    for _ in 0..(old & MUTEX_WMASK) / MUTEX_WWAIT {
                        semrelease(&self.wsema);
                    }
                    return true;
                }
                Err(cur) => old = cur,
            }
        }
    }
    // ANCHOR_END: increfAndClose

    /// Drops a reference taken by [`incref`](Self::incref) or
    /// [`incref_and_close`](Self::incref_and_close). Returns `true` when the
    /// mutex is closed and this was the last reference: the caller must then
    /// destroy the descriptor.
    ///
    /// # Panics
    ///
    /// "inconsistent poll.fdMutex" if there is no reference to drop.
    // ANCHOR: decref
    pub fn decref(&self) -> bool {
        // Relaxed: a guess that the CAS checks.
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            if old & MUTEX_REF_MASK == 0 {
                inconsistent();
            }
            let new = old - MUTEX_REF;
            // AcqRel on success, as in `Arc::drop`: Release so that our use of
            // the fd happens-before its destruction by whoever drops the last
            // reference; Acquire so that, if that is us, every other holder's
            // use (published by its own Release decref or rwunlock, and
            // carried to us along this word's chain of read-modify-writes)
            // happens-before our destruction.
            match self
                .state
                .compare_exchange_weak(old, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return new & (MUTEX_CLOSED | MUTEX_REF_MASK) == MUTEX_CLOSED,
                Err(cur) => old = cur,
            }
        }
    }
    // ANCHOR_END: decref

    /// Takes a reference and the read lock (`read`) or the write lock
    /// (`!read`), sleeping while another operation holds that lock. Returns
    /// `false`, holding nothing, if the mutex is closed before the lock is
    /// taken, including while asleep. Release with
    /// [`rwunlock(read)`](Self::rwunlock).
    pub fn rwlock(&self, read: bool) -> bool {
        self.lock(read, true)
    }

    /// Like [`rwlock`](Self::rwlock), but returns `false` at once instead of
    /// sleeping when the lock is held (Go's `rwlock(read, tryLock)`, used by
    /// `FD.tryReadWriteLock`). Whether a `false` means "closed" or "busy"
    /// can be told apart with [`closing`](Self::closing).
    pub fn try_rwlock(&self, read: bool) -> bool {
        self.lock(read, false)
    }

    /// Go's `rwlock(read, wait)`.
    // ANCHOR: rwlock
    fn lock(&self, read: bool, wait: bool) -> bool {
        let side = self.side(read);
        // Relaxed: a guess that the CAS checks.
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            if old & MUTEX_CLOSED != 0 {
                return false;
            }
            let free = old & side.bit == 0;
            let new = if free {
                add_ref(old | side.bit)
            } else if !wait {
                return false;
            } else {
                // Register as a sleeper; the CAS that removes us will also
                // post one unit on our semaphore.
                let new = old + side.wait;
                if new & side.mask == 0 {
                    overflow();
                }
                new
            };
            // Acquire on success: when this CAS takes the lock bit it pairs
            // with the Release CAS in `rwunlock` that cleared it, so the
            // previous holder's operation happens-before ours. When it only
            // registers us as a sleeper, no ordering is needed: the hand-off
            // is ordered by the semaphore and we CAS again after waking.
            match self
                .state
                .compare_exchange_weak(old, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) if free => return true,
                Ok(_) => {
                    semacquire(side.sema);
                    // Whoever posted our unit already took us off the waiter
                    // count. Our `semacquire` happens-after its `semrelease`,
                    // so this load sees at least the state its CAS wrote:
                    // the lock free again, or the closed bit. Relaxed: it is
                    // still only a guess that the next CAS checks.
                    old = self.state.load(Ordering::Relaxed);
                }
                Err(cur) => old = cur,
            }
        }
    }
    // ANCHOR_END: rwlock

    /// Releases the read lock (`read`) or the write lock (`!read`) and its
    /// reference, waking one sleeper of that side if there is one. Returns
    /// `true` when the mutex is closed and this was the last reference: the
    /// caller must then destroy the descriptor.
    ///
    /// # Panics
    ///
    /// "inconsistent poll.fdMutex" if that lock is not held.
    // ANCHOR: rwunlock
    pub fn rwunlock(&self, read: bool) -> bool {
        let side = self.side(read);
        // Relaxed: a guess that the CAS checks.
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            if old & side.bit == 0 || old & MUTEX_REF_MASK == 0 {
                inconsistent();
            }
            let mut new = (old & !side.bit) - MUTEX_REF;
            let wake = old & side.mask != 0;
            if wake {
                // Take one sleeper off the count; it is owed the unit below.
                new -= side.wait;
            }
            // AcqRel on success: Release pairs with the Acquire of the next
            // `rwlock` that takes this bit, and with the Acquire of whoever
            // drops the last reference; Acquire in case that is us (see
            // `decref`).
            match self
                .state
                .compare_exchange_weak(old, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    if wake {
                        semrelease(side.sema);
                    }
                    return new & (MUTEX_CLOSED | MUTEX_REF_MASK) == MUTEX_CLOSED;
                }
                Err(cur) => old = cur,
            }
        }
    }
    // ANCHOR_END: rwunlock

    /// Whether [`incref_and_close`](Self::incref_and_close) has succeeded
    /// (Go's `FD.closing`, which reads this bit directly). Once `true` it
    /// stays `true`.
    pub fn closing(&self) -> bool {
        // Relaxed: the caller only branches on the bit; nothing it reads next
        // was published through it.
        self.state.load(Ordering::Relaxed) & MUTEX_CLOSED != 0
    }

    /// The state word, decoded (for `Debug` and the tests).
    fn snapshot(&self) -> Snapshot {
        // Relaxed: a diagnostic view that may be stale by the time it is used.
        Snapshot::of(self.state.load(Ordering::Relaxed))
    }
}

impl Default for FdMutex {
    fn default() -> FdMutex {
        FdMutex::new()
    }
}

impl std::fmt::Debug for FdMutex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.snapshot();
        f.debug_struct("FdMutex")
            .field("closed", &s.closed)
            .field("read_locked", &s.read_locked)
            .field("write_locked", &s.write_locked)
            .field("refs", &s.refs)
            .field("read_waiters", &s.read_waiters)
            .field("write_waiters", &s.write_waiters)
            .finish()
    }
}

/// One state word, split into its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Snapshot {
    closed: bool,
    read_locked: bool,
    write_locked: bool,
    refs: u64,
    read_waiters: u64,
    write_waiters: u64,
}

impl Snapshot {
    fn of(state: u64) -> Snapshot {
        Snapshot {
            closed: state & MUTEX_CLOSED != 0,
            read_locked: state & MUTEX_RLOCK != 0,
            write_locked: state & MUTEX_WLOCK != 0,
            refs: (state & MUTEX_REF_MASK) / MUTEX_REF,
            read_waiters: (state & MUTEX_RMASK) / MUTEX_RWAIT,
            write_waiters: (state & MUTEX_WMASK) / MUTEX_WWAIT,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32};
    use std::time::{Duration, Instant};

    impl FdMutex {
        /// A mutex whose word is `state` (to reach the counters' limits).
        fn with_state(state: u64) -> FdMutex {
            let mu = FdMutex::new();
            mu.state.store(state, Ordering::Relaxed);
            mu
        }
    }

    /// Runs `f`, which must panic with `msg`, and returns the state after.
    fn panics_with(mu: &FdMutex, msg: &str, f: impl FnOnce(&FdMutex) -> bool) -> Snapshot {
        let err = catch_unwind(AssertUnwindSafe(|| f(mu))).expect_err("did not panic");
        let got = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| err.downcast_ref::<&str>().copied())
            .expect("panic payload is a string");
        assert_eq!(got, msg);
        mu.snapshot()
    }

    /// Waits (bounded) until `cond` holds of the state word.
    fn wait_for(mu: &FdMutex, cond: impl Fn(Snapshot) -> bool) {
        let end = Instant::now() + Duration::from_secs(10);
        while !cond(mu.snapshot()) {
            assert!(Instant::now() < end, "state never got there: {mu:?}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn layout_fields_are_disjoint_and_fill_63_bits() {
        let fields = [
            MUTEX_CLOSED,
            MUTEX_RLOCK,
            MUTEX_WLOCK,
            MUTEX_REF_MASK,
            MUTEX_RMASK,
            MUTEX_WMASK,
        ];
        let mut all = 0u64;
        for f in fields {
            assert_eq!(all & f, 0, "field {f:#x} overlaps another");
            all |= f;
        }
        assert_eq!(all, u64::MAX >> 1);
        assert_eq!(MUTEX_REF_MASK / MUTEX_REF, COUNT_MAX);
        assert_eq!(MUTEX_RMASK / MUTEX_RWAIT, COUNT_MAX);
        assert_eq!(MUTEX_WMASK / MUTEX_WWAIT, COUNT_MAX);
        assert!(OVERFLOW_MSG.ends_with(&format!("(max {COUNT_MAX})")));
    }

    #[test]
    fn debug_shows_the_decoded_word() {
        let mu = FdMutex::new();
        assert!(mu.rwlock(false));
        assert!(mu.incref());
        assert_eq!(
            format!("{mu:?}"),
            "FdMutex { closed: false, read_locked: false, write_locked: true, \
             refs: 2, read_waiters: 0, write_waiters: 0 }"
        );
    }

    #[test]
    fn read_and_write_locks_are_independent() {
        let mu = FdMutex::new();
        assert!(mu.rwlock(true));
        assert!(mu.try_rwlock(false), "a write may run beside a read");
        assert!(!mu.try_rwlock(true), "but not a second read");
        assert!(!mu.try_rwlock(false), "nor a second write");
        assert!(!mu.closing(), "busy is not closed");
        assert!(!mu.rwunlock(true));
        assert!(!mu.rwunlock(false));
        assert_eq!(mu.snapshot(), Snapshot::of(0));
        assert!(mu.incref_and_close());
        assert!(!mu.try_rwlock(true));
        assert!(mu.closing());
        assert!(mu.decref());
    }

    #[test]
    fn overflow_panics_leave_the_state_unchanged() {
        // A full reference count: every way of taking a reference panics.
        let full = COUNT_MAX * MUTEX_REF;
        for (name, op) in [
            ("incref", FdMutex::incref as fn(&FdMutex) -> bool),
            ("incref_and_close", FdMutex::incref_and_close),
            ("rwlock(true)", |mu| mu.rwlock(true)),
            ("rwlock(false)", |mu| mu.rwlock(false)),
        ] {
            let mu = FdMutex::with_state(full);
            let after = panics_with(&mu, OVERFLOW_MSG, op);
            assert_eq!(after, Snapshot::of(full), "{name} changed the state");
        }
        // Full waiter counts, with the lock held: the next sleeper panics
        // instead of carrying into the next field.
        for (read, state) in [
            (true, MUTEX_RLOCK | MUTEX_REF | MUTEX_RMASK),
            (false, MUTEX_WLOCK | MUTEX_REF | MUTEX_WMASK),
        ] {
            let mu = FdMutex::with_state(state);
            let after = panics_with(&mu, OVERFLOW_MSG, |mu| mu.rwlock(read));
            assert_eq!(after, Snapshot::of(state), "rwlock({read})");
            // try_rwlock does not sleep, so it does not count itself.
            assert!(!mu.try_rwlock(read));
        }
    }

    #[test]
    fn inconsistent_panics_leave_the_state_unchanged() {
        // The read lock held, but the write lock not.
        let state = MUTEX_RLOCK | MUTEX_REF;
        let mu = FdMutex::with_state(state);
        let after = panics_with(&mu, INCONSISTENT_MSG, |mu| mu.rwunlock(false));
        assert_eq!(after, Snapshot::of(state));
        // A lock bit without a reference is just as inconsistent.
        let mu = FdMutex::with_state(MUTEX_WLOCK);
        panics_with(&mu, INCONSISTENT_MSG, |mu| mu.rwunlock(false));
    }

    /// Close wakes exactly the sleepers the word counted, readers and writers,
    /// each of which then fails; the last one out destroys.
    #[test]
    fn close_wakes_every_counted_sleeper_on_threads() {
        const SLEEPERS: u64 = 3;
        let mu = Arc::new(FdMutex::new());
        assert!(mu.rwlock(true));
        assert!(mu.rwlock(false));
        let sleepers: Vec<_> = (0..2 * SLEEPERS)
            .map(|i| {
                let mu = mu.clone();
                std::thread::spawn(move || mu.rwlock(i % 2 == 0))
            })
            .collect();
        wait_for(&mu, |s| {
            s.read_waiters == SLEEPERS && s.write_waiters == SLEEPERS
        });
        assert!(mu.incref_and_close());
        for t in sleepers {
            assert!(!t.join().unwrap(), "a sleeper took the lock after close");
        }
        let s = mu.snapshot();
        assert_eq!((s.refs, s.read_waiters, s.write_waiters), (3, 0, 0));
        // Every unit posted was taken.
        assert_eq!(mu.rsema.load(Ordering::Relaxed), 0);
        assert_eq!(mu.wsema.load(Ordering::Relaxed), 0);
        assert!(!mu.rwunlock(true));
        assert!(!mu.decref());
        assert!(mu.rwunlock(false), "the last reference reports destruction");
    }

    /// Unlock hands the lock to a sleeper: it wakes holding it.
    #[test]
    fn unlock_hands_the_lock_to_a_sleeper_on_threads() {
        let mu = Arc::new(FdMutex::new());
        assert!(mu.rwlock(false));
        let sleeper = {
            let mu = mu.clone();
            std::thread::spawn(move || {
                assert!(mu.rwlock(false));
                mu.snapshot()
            })
        };
        wait_for(&mu, |s| s.write_waiters == 1);
        assert!(!mu.rwunlock(false));
        let seen = sleeper.join().unwrap();
        assert!(seen.write_locked);
        assert_eq!(seen.write_waiters, 0);
        assert!(!mu.rwunlock(false));
        assert_eq!(mu.snapshot(), Snapshot::of(0));
    }

    /// The state word under contention from plain threads (no runtime):
    /// every kind of operation, with mutual exclusion checked by a flag that
    /// only a lock holder may raise, and a final state that accounts for all
    /// of it. Bounded by iteration count, not time.
    #[test]
    fn stress_state_word_on_threads() {
        const THREADS: u64 = 4;
        const ITERS: u64 = 20_000;
        struct Shared {
            mu: FdMutex,
            reading: AtomicBool,
            writing: AtomicBool,
            /// Incremented by load + store under the matching lock: a lost
            /// update means two holders at once.
            reads: AtomicU32,
            writes: AtomicU32,
        }
        let sh = Arc::new(Shared {
            mu: FdMutex::new(),
            reading: AtomicBool::new(false),
            writing: AtomicBool::new(false),
            reads: AtomicU32::new(0),
            writes: AtomicU32::new(0),
        });
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let sh = sh.clone();
                std::thread::spawn(move || {
                    let (mut reads, mut writes) = (0u32, 0u32);
                    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (t + 1);
                    for i in 0..ITERS {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        match rng % 4 {
                            0 => {
                                assert!(sh.mu.incref());
                                assert!(!sh.mu.decref());
                            }
                            op @ (1 | 2) => {
                                let read = op == 1;
                                let (flag, count) = if read {
                                    (&sh.reading, &sh.reads)
                                } else {
                                    (&sh.writing, &sh.writes)
                                };
                                assert!(sh.mu.rwlock(read));
                                assert!(!flag.swap(true, Ordering::Relaxed), "two holders");
                                count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                                if i % 64 == 0 {
                                    std::thread::yield_now(); // let others queue up
                                }
                                flag.store(false, Ordering::Relaxed);
                                assert!(!sh.mu.rwunlock(read));
                                if read {
                                    reads += 1;
                                } else {
                                    writes += 1;
                                }
                            }
                            _ => {
                                // A try that fails must not leave a trace.
                                if sh.mu.try_rwlock(true) {
                                    assert!(!sh.reading.swap(true, Ordering::Relaxed));
                                    sh.reads.store(
                                        sh.reads.load(Ordering::Relaxed) + 1,
                                        Ordering::Relaxed,
                                    );
                                    sh.reading.store(false, Ordering::Relaxed);
                                    assert!(!sh.mu.rwunlock(true));
                                    reads += 1;
                                }
                            }
                        }
                    }
                    (reads, writes)
                })
            })
            .collect();
        let (mut reads, mut writes) = (0, 0);
        for t in threads {
            let (r, w) = t.join().unwrap();
            reads += r;
            writes += w;
        }
        assert_eq!(sh.reads.load(Ordering::Relaxed), reads);
        assert_eq!(sh.writes.load(Ordering::Relaxed), writes);
        assert_eq!(sh.mu.snapshot(), Snapshot::of(0), "all released");
        assert_eq!(sh.mu.rsema.load(Ordering::Relaxed), 0);
        assert_eq!(sh.mu.wsema.load(Ordering::Relaxed), 0);
        assert!(sh.mu.incref_and_close());
        assert!(sh.mu.decref());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::cell::UnsafeCell;
    use loom::sync::Arc;
    use loom::thread;

    /// After everything is released: closed, no references, no sleepers and
    /// no unit left on either semaphore.
    fn assert_closed_and_drained(mu: &FdMutex) {
        let s = mu.snapshot();
        assert!(s.closed);
        assert_eq!((s.refs, s.read_waiters, s.write_waiters), (0, 0, 0));
        assert!(!s.read_locked && !s.write_locked);
        assert_eq!(mu.rsema.units(), 0);
        assert_eq!(mu.wsema.units(), 0);
    }

    /// A stand-in for the `FD`: the descriptor number, read by operations
    /// while they hold a reference and overwritten by the destroy. Loom
    /// reports a causality violation if a destroy is not ordered after every
    /// use, i.e. if the last-reference hand-off is missing an Acquire or a
    /// Release.
    struct Fd {
        mu: FdMutex,
        sysfd: UnsafeCell<i32>,
    }

    impl Fd {
        fn new() -> Fd {
            Fd {
                mu: FdMutex::new(),
                sysfd: UnsafeCell::new(3),
            }
        }

        /// An operation's use of the descriptor; call only with a reference.
        fn use_sysfd(&self) {
            // SAFETY: the caller holds a reference, so no destroy runs until
            // it is dropped; loom checks that claim on every interleaving.
            let fd = self.sysfd.with(|p| unsafe { *p });
            assert_eq!(fd, 3, "used a destroyed descriptor");
        }

        /// What the caller whose release returned `true` does.
        fn destroy(&self) {
            // SAFETY: no references are left and none can be taken (closed);
            // loom checks that claim on every interleaving.
            self.sysfd.with_mut(|p| unsafe { *p = -1 });
        }
    }

    /// Close while one reader holds the lock and another wants it: the second
    /// reader fails whether it got to sleep before the close (then the close
    /// must wake it) or not, and exactly one of the holder's unlock and the
    /// closer's decref reports the last reference, after every use.
    #[test]
    fn close_wakes_a_sleeping_reader() {
        loom::model(|| {
            let fd = Arc::new(Fd::new());
            assert!(fd.mu.rwlock(true));
            let reader = {
                let fd = fd.clone();
                thread::spawn(move || fd.mu.rwlock(true))
            };
            let closer = {
                let fd = fd.clone();
                thread::spawn(move || {
                    assert!(fd.mu.incref_and_close());
                    let last = fd.mu.decref();
                    if last {
                        fd.destroy();
                    }
                    last
                })
            };
            // Keep holding the read lock until the close has begun, so the
            // reader can never be handed the lock.
            fd.use_sysfd();
            while !fd.mu.closing() {
                thread::yield_now();
            }
            let holder_last = fd.mu.rwunlock(true);
            if holder_last {
                fd.destroy();
            }
            assert!(!reader.join().unwrap(), "reader locked a closed FD");
            let closer_last = closer.join().unwrap();
            assert!(holder_last ^ closer_last, "exactly one last reference");
            assert_closed_and_drained(&fd.mu);
        });
    }

    /// Two writers: each gets the lock, never both at once (loom flags any
    /// overlapping access to the cell), and neither is left asleep.
    #[test]
    fn writers_exclude_each_other() {
        loom::model(|| {
            let mu = Arc::new(FdMutex::new());
            let cell = Arc::new(UnsafeCell::new(0u32));
            let writer = |mu: Arc<FdMutex>, cell: Arc<UnsafeCell<u32>>| {
                assert!(mu.rwlock(false));
                // SAFETY: only the holder of the write lock touches the cell,
                // and loom checks that claim on every interleaving.
                cell.with_mut(|p| unsafe { *p += 1 });
                assert!(!mu.rwunlock(false));
            };
            let other = {
                let (mu, cell) = (mu.clone(), cell.clone());
                thread::spawn(move || writer(mu, cell))
            };
            writer(mu.clone(), cell.clone());
            other.join().unwrap();
            // SAFETY: both writers are done (joined or returned).
            assert_eq!(cell.with(|p| unsafe { *p }), 2);
            assert!(mu.incref_and_close());
            assert!(mu.decref());
            assert_closed_and_drained(&mu);
        });
    }

    /// A misc operation races with Close: whichever order the word sees,
    /// exactly one `decref` reports the last reference, and its destroy comes
    /// after the misc operation's use.
    #[test]
    fn incref_vs_close_one_last_reference() {
        loom::model(|| {
            let fd = Arc::new(Fd::new());
            let misc = {
                let fd = fd.clone();
                thread::spawn(move || {
                    if !fd.mu.incref() {
                        return false;
                    }
                    fd.use_sysfd();
                    let last = fd.mu.decref();
                    if last {
                        fd.destroy();
                    }
                    last
                })
            };
            assert!(fd.mu.incref_and_close());
            let close_last = fd.mu.decref();
            if close_last {
                fd.destroy();
            }
            let misc_last = misc.join().unwrap();
            assert!(close_last ^ misc_last, "exactly one last reference");
            assert_closed_and_drained(&fd.mu);
        });
    }
}
