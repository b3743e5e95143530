//! Mirrors Go src/runtime/sema.go (go1.27): semacquire/semrelease, as a safe counting [`Semaphore`].
//!
//! Go exposes its runtime semaphore only to its own packages (sync,
//! internal/poll), over a bare `*uint32`; Go programs build counting
//! semaphores from buffered channels or `x/sync/semaphore`. gort offers the
//! runtime's one directly: the count is a word owned by the [`Semaphore`],
//! and waiters sleep in `sema.rs`'s table, FIFO per semaphore, exactly as
//! sync.Mutex's and internal/poll's waiters do.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::sema::{cansemacquire, semacquire, semrelease};

/// A counting semaphore: `acquire` takes one unit, waiting while there are
/// none; `release` gives one back and wakes the longest waiter, if any.
///
/// Waiting parks the goroutine (its thread runs other goroutines meanwhile);
/// called from a plain OS thread outside the runtime, it blocks the thread.
/// Units are not tied to whoever acquired them: any goroutine may release.
///
/// ```
/// use std::sync::Arc;
/// use gort_runtime::sync::Semaphore;
///
/// gort_runtime::run(|| {
///     // At most 2 of the 10 goroutines inside at once.
///     let slots = Arc::new(Semaphore::new(2));
///     let hs: Vec<_> = (0..10)
///         .map(|_| {
///             let slots = slots.clone();
///             gort_runtime::spawn(move || {
///                 slots.acquire();
///                 gort_runtime::yield_now(); // the bounded work
///                 slots.release();
///             })
///         })
///         .collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     assert_eq!(slots.available(), 2);
/// });
/// ```
#[doc(alias = "semacquire")]
#[doc(alias = "semrelease")]
pub struct Semaphore {
    /// Units available (Go's `*addr`). Changed only by `sema.rs`'s SeqCst
    /// RMWs, which also order a releaser's work before the acquirer that
    /// takes its unit.
    count: AtomicU32,
}

impl Semaphore {
    /// A semaphore holding `n` units.
    pub const fn new(n: u32) -> Semaphore {
        Semaphore {
            count: AtomicU32::new(n),
        }
    }

    /// Takes one unit, waiting until one is available (Go's `semacquire`).
    /// Parks the goroutine, or blocks the thread outside the runtime.
    #[doc(alias = "semacquire")]
    pub fn acquire(&self) {
        semacquire(&self.count);
    }

    /// Takes one unit if one is available right now (Go's `cansemacquire`).
    pub fn try_acquire(&self) -> bool {
        cansemacquire(&self.count)
    }

    /// Gives back one unit, waking the goroutine or thread that has waited
    /// longest, if any (Go's `semrelease`). Releasing more units than were
    /// acquired raises the count: the semaphore does not remember its
    /// initial size (nor would Go's).
    #[doc(alias = "semrelease")]
    pub fn release(&self) {
        semrelease(&self.count);
    }

    /// Units available right now (a snapshot).
    pub fn available(&self) -> u32 {
        // Relaxed: a snapshot that may be stale as soon as it is read.
        self.count.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.available())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_counted() {
        let s = Semaphore::new(2);
        assert!(s.try_acquire());
        s.acquire();
        assert!(!s.try_acquire());
        s.release();
        assert_eq!(s.available(), 1);
        assert!(s.try_acquire());
    }
}
