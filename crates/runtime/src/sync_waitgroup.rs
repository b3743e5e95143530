//! Mirrors Go src/sync/waitgroup.go (go1.27): sync.WaitGroup.
//!
//! A wait group is one 64-bit word and a semaphore. The high 32 bits of the
//! word are the counter (signed: `add` may take it below zero, which is a
//! bug in the caller and panics), the low 32 bits the number of goroutines
//! asleep in [`WaitGroup::wait`]. Keeping both in one word lets the
//! goroutine that brings the counter to zero read, in the same atomic
//! operation, how many waiters to wake; it then resets the word and releases
//! the semaphore once per waiter.
//!
//! Go leaves one bit of the waiter count to synctest bubbles; gort has no
//! synctest, so all 32 bits count waiters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::runtime::{JoinHandle, spawn};
use crate::sema::{semacquire_sync, semrelease};

/// Waits for a collection of goroutines to finish (Go's `sync.WaitGroup`).
///
/// The goroutine starting the work calls [`add`](Self::add) with the number of
/// goroutines (or [`go`](Self::go) starts one and counts it), each of them
/// calls [`done`](Self::done) when finished, and [`wait`](Self::wait) returns
/// once the counter is back at zero. Everything a goroutine did before its
/// `done` happens-before the return of the `wait` that it released.
///
/// `wait` parks the calling goroutine; called from a plain OS thread outside
/// the runtime, it blocks the thread. A wait group may be reused for a new
/// round once every `wait` of the previous round has returned. Put it in an
/// `Arc` (or a `static`) to share it.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use gort_runtime::sync::WaitGroup;
///
/// gort_runtime::run(|| {
///     let wg = Arc::new(WaitGroup::new());
///     let hits = Arc::new(AtomicU32::new(0));
///     for _ in 0..8 {
///         let hits = hits.clone();
///         wg.go(move || {
///             hits.fetch_add(1, Ordering::Relaxed);
///         });
///     }
///     wg.wait();
///     assert_eq!(hits.load(Ordering::Relaxed), 8);
/// });
/// ```
pub struct WaitGroup {
    /// Counter in the high 32 bits (as an `i32`), waiters in the low 32.
    /// See each operation for its ordering.
    state: AtomicU64,
    /// Released once per waiter when the counter reaches zero (Go's `sema`).
    sema: AtomicU32,
}

/// The counter's unit in the state word.
const COUNTER_SHIFT: u32 = 32;

/// The counter and the waiter count of a state word.
fn split(state: u64) -> (i32, u32) {
    ((state >> COUNTER_SHIFT) as i32, state as u32)
}

impl WaitGroup {
    /// A wait group with a zero counter.
    pub const fn new() -> WaitGroup {
        WaitGroup {
            state: AtomicU64::new(0),
            sema: AtomicU32::new(0),
        }
    }

    /// Adds `delta`, which may be negative, to the counter (Go's `Add`). When
    /// the counter reaches zero, every goroutine blocked in [`wait`](Self::wait)
    /// is released.
    ///
    /// Calls with a positive delta that start from zero must happen before
    /// the `wait` they are meant for, as in Go: typically before starting the
    /// goroutine, not inside it.
    ///
    /// # Panics
    ///
    /// With "sync: negative WaitGroup counter" if the counter goes below
    /// zero, and with "sync: WaitGroup misuse: Add called concurrently with
    /// Wait" when a new round is started while the last one is being released.
    #[doc(alias = "Add")]
    #[inline]
    pub fn add(&self, delta: isize) {
        // Go's `uint64(delta) << 32`: two's complement wraps a negative delta
        // into a subtraction from the counter.
        let d = (delta as i64 as u64) << COUNTER_SHIFT;
        // AcqRel: Release publishes what this goroutine did before `done` to
        // whoever brings the counter to zero (the RMWs on `state` form one
        // release sequence); Acquire lets that last one inherit everything
        // the others published, and pass it on through the semaphore.
        let state = self.state.fetch_add(d, Ordering::AcqRel).wrapping_add(d);
        let (v, w) = split(state);
        // Fast path: nobody waits and the counter is not negative, so there
        // is nothing to check and nobody to wake.
        if w == 0 && v >= 0 {
            return;
        }
        self.add_slow(delta, state);
    }

    /// The rest of Go's `Add`, with waiters or a negative counter: the
    /// misuse checks, and the wake-up when the counter reaches zero.
    #[cold]
    #[inline(never)]
    fn add_slow(&self, delta: isize, state: u64) {
        let (v, w) = split(state);
        if v < 0 {
            panic!("sync: negative WaitGroup counter");
        }
        if w != 0 && delta > 0 && v as isize == delta {
            panic!("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        if v > 0 || w == 0 {
            return;
        }
        // The counter is zero and goroutines wait: from here nothing may
        // change the word (a new `add` now is the misuse above, a new `wait`
        // returns at once on the zero counter). Relaxed: a misuse check.
        if self.state.load(Ordering::Relaxed) != state {
            panic!("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        // Reset the waiters for the next round. Relaxed: the woken waiters
        // read it after the semaphore, which orders it before them.
        self.state.store(0, Ordering::Relaxed);
        for _ in 0..w {
            semrelease(&self.sema);
        }
    }

    /// Decrements the counter by one (Go's `Done`).
    ///
    /// # Panics
    ///
    /// If the counter goes below zero, as [`add`](Self::add).
    #[doc(alias = "Done")]
    #[inline]
    pub fn done(&self) {
        self.add(-1);
    }

    /// Waits until the counter is zero (Go's `Wait`). Parks the calling
    /// goroutine, or blocks the calling thread outside the runtime.
    ///
    /// # Panics
    ///
    /// With "sync: WaitGroup is reused before previous Wait has returned" if
    /// a new round starts before this wait has woken up.
    #[doc(alias = "Wait")]
    #[inline]
    pub fn wait(&self) {
        // Acquire: a zero counter read here carries the release sequence of
        // every `done` (see `add`), so their work is visible when we return.
        let state = self.state.load(Ordering::Acquire);
        if split(state).0 != 0 {
            self.wait_slow(state);
        }
    }

    /// The rest of Go's `Wait`: count ourselves as a waiter and sleep.
    #[cold]
    #[inline(never)]
    fn wait_slow(&self, mut state: u64) {
        loop {
            let (v, _) = split(state);
            if v == 0 {
                return;
            }
            // Count ourselves as a waiter. Acquire on failure: the retry may
            // find a zero counter and return.
            match self.state.compare_exchange_weak(
                state,
                state + 1,
                Ordering::Relaxed,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // The goroutine that brings the counter to zero releases
                    // the semaphore once per waiter; the semaphore's SeqCst
                    // RMWs order its work (and its reset of `state`) before us.
                    semacquire_sync(&self.sema);
                    // Relaxed: ordered by the semaphore, see above.
                    if self.state.load(Ordering::Relaxed) != 0 {
                        panic!("sync: WaitGroup is reused before previous Wait has returned");
                    }
                    return;
                }
                Err(cur) => state = cur,
            }
        }
    }

    /// Runs `f` in a new goroutine, counted in the wait group: `add(1)` now,
    /// `done()` when `f` returns (Go 1.25's `WaitGroup.Go`). Returns the
    /// goroutine's [`JoinHandle`], which may be dropped.
    ///
    /// If `f` panics, gort reports the panic as for any goroutine (and keeps
    /// it in the handle) and still calls `done`. Go instead crashes the whole
    /// program and never calls `Done`; a gort goroutine's panic does not end
    /// the process, so skipping `done` would leave `wait` blocked forever.
    ///
    /// # Panics
    ///
    /// Outside a goroutine, as [`spawn`].
    #[doc(alias = "Go")]
    pub fn go<F>(self: &Arc<Self>, f: F) -> JoinHandle<()>
    where
        F: FnOnce() + Send + 'static,
    {
        /// Calls `done` when dropped: on return and on unwind alike.
        struct Done(Arc<WaitGroup>);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.done();
            }
        }
        self.add(1);
        let done = Done(self.clone());
        spawn(move || {
            let _done = done;
            f();
        })
    }
}

impl Default for WaitGroup {
    fn default() -> WaitGroup {
        WaitGroup::new()
    }
}

impl std::fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Relaxed: a snapshot for display.
        let (v, w) = split(self.state.load(Ordering::Relaxed));
        f.debug_struct("WaitGroup")
            .field("counter", &v)
            .field("waiters", &w)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_wait_for_a_round() {
        let wg = Arc::new(WaitGroup::new());
        for round in 0..20 {
            wg.add(4);
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let wg = wg.clone();
                    std::thread::spawn(move || wg.wait())
                })
                .collect();
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let wg = wg.clone();
                    std::thread::spawn(move || wg.done())
                })
                .collect();
            for t in workers.into_iter().chain(waiters) {
                t.join().unwrap();
            }
            assert_eq!(
                split(wg.state.load(Ordering::Relaxed)),
                (0, 0),
                "round {round}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "sync: negative WaitGroup counter")]
    fn negative_counter_panics() {
        let wg = WaitGroup::new();
        wg.add(1);
        wg.done();
        wg.done();
    }
}
