//! Mirrors Go src/sync/once.go (go1.27): sync.Once.
//!
//! A `done` flag and a [`RawMutex`]. The fast path is one acquire load of
//! `done`. The slow path takes the mutex, so that callers arriving while the
//! function runs wait for it to finish instead of returning early (a
//! compare-and-swap on the flag alone would let them return before the
//! initialisation is complete), checks the flag again, runs the function and
//! sets the flag.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::sync_mutex::RawMutex;

/// Runs a function exactly once (Go's `sync.Once`).
///
/// Callers that arrive while the function runs wait for it to return: their
/// goroutines park, or their threads block when called from a plain OS thread
/// outside the runtime. When `call_once` returns, the function has run and
/// everything it did is visible to the caller.
///
/// As in Go, a function that panics counts as having run: later calls do
/// not call anything. Calling `call_once` on the same `Once` from inside the
/// function deadlocks.
///
/// ```
/// use gort_runtime::sync::Once;
///
/// static INIT: Once = Once::new();
/// gort_runtime::run(|| {
///     let hs: Vec<_> = (0..4)
///         .map(|_| gort_runtime::spawn(|| INIT.call_once(|| println!("initialised"))))
///         .collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     assert!(INIT.is_completed());
/// });
/// ```
pub struct Once {
    /// Set after the function returned (or panicked). Stored with Release
    /// under `m`; loaded with Acquire on the fast path, which pairs with it.
    done: AtomicBool,
    /// Held while the function runs (Go's `m`).
    m: RawMutex,
}

impl Once {
    /// A `Once` whose function has not run.
    pub const fn new() -> Once {
        Once {
            done: AtomicBool::new(false),
            m: RawMutex::new(),
        }
    }

    /// Calls `f` if no call on this `Once` has called its function yet, and
    /// returns once that function has returned (Go's `Do`).
    #[doc(alias = "Do")]
    #[inline]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        // Acquire: pairs with the Release store in `do_slow`, so what `f`
        // did is visible to us.
        if !self.done.load(Ordering::Acquire) {
            self.do_slow(f);
        }
    }

    /// Go's `doSlow`: under the mutex, run `f` unless someone already has.
    #[cold]
    fn do_slow<F: FnOnce()>(&self, f: F) {
        /// Unlocks the mutex when dropped, after setting `done` if it ran
        /// `f`: on return and on unwind alike, as Go's deferred calls.
        struct Finish<'a> {
            once: &'a Once,
            ran: bool,
        }
        impl Drop for Finish<'_> {
            fn drop(&mut self) {
                if self.ran {
                    // Release: publishes what `f` did to the fast path.
                    self.once.done.store(true, Ordering::Release);
                }
                self.once.m.unlock();
            }
        }
        self.m.lock();
        let mut finish = Finish {
            once: self,
            ran: false,
        };
        // Relaxed: under the mutex, which orders us after the store.
        if !self.done.load(Ordering::Relaxed) {
            finish.ran = true;
            f();
        }
    }

    /// Whether the function has run (returned or panicked).
    pub fn is_completed(&self) -> bool {
        // Acquire: as in `call_once`, so a true answer makes the function's
        // effects visible.
        self.done.load(Ordering::Acquire)
    }
}

impl Default for Once {
    fn default() -> Once {
        Once::new()
    }
}

impl std::fmt::Debug for Once {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Once")
            .field("completed", &self.is_completed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_function_counts_as_run() {
        let once = Once::new();
        let r = std::panic::catch_unwind(|| once.call_once(|| panic!("boom")));
        assert!(r.is_err());
        assert!(once.is_completed());
        let mut called = false;
        once.call_once(|| called = true);
        assert!(!called);
        assert!(!once.m.is_locked());
    }
}
