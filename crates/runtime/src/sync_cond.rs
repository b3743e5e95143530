//! Mirrors Go src/sync/cond.go (go1.27): sync.Cond, over the runtime's notifyList.
//!
//! A condition variable is a `notifyList` (`runtime/sema.go`, in `sema.rs`):
//! [`Cond::wait`] draws a ticket while it still holds the mutex, unlocks,
//! waits for its ticket, and locks again. [`Cond::signal`] wakes the oldest
//! ticket, [`Cond::broadcast`] every ticket drawn so far. Because the ticket is
//! drawn before the mutex is released, a signal sent between the unlock and
//! the park still reaches the waiter.
//!
//! Go's `Cond` holds a `Locker`; here `wait` takes the [`MutexGuard`] and gives
//! it back, as `std::sync::Condvar` does. Go's copy checker has no job in Rust:
//! a `Cond` cannot be moved while it is borrowed.

use crate::sema::NotifyList;
use crate::sync_mutex::MutexGuard;

/// A condition variable: goroutines wait on it for a condition, guarded by a
/// [`Mutex`](crate::sync::Mutex), to become true (Go's `sync.Cond`).
///
/// Waiting parks the goroutine; called from a plain OS thread outside the
/// runtime, it blocks the thread. Wake-ups are not spurious in gort, but a
/// woken waiter must still re-check its condition: another goroutine may have
/// taken the mutex first and changed the state (use [`wait_while`](Self::wait_while)).
///
/// ```
/// use std::sync::Arc;
/// use gort_runtime::sync::{Cond, Mutex};
///
/// gort_runtime::run(|| {
///     let pair = Arc::new((Mutex::new(false), Cond::new()));
///     let theirs = pair.clone();
///     gort_runtime::spawn(move || {
///         *theirs.0.lock() = true;
///         theirs.1.signal();
///     });
///     let (ready, cond) = &*pair;
///     let guard = cond.wait_while(ready.lock(), |ready| !*ready);
///     assert!(*guard);
/// });
/// ```
pub struct Cond {
    /// The waiters (Go's `notify`).
    notify: NotifyList,
}

impl Cond {
    /// A condition variable with no waiters.
    pub const fn new() -> Cond {
        Cond {
            notify: NotifyList::new(),
        }
    }

    /// Unlocks the guard's mutex, waits for a [`signal`](Self::signal) or
    /// [`broadcast`](Self::broadcast), and locks the mutex again before
    /// returning its guard (Go's `Wait`).
    #[doc(alias = "Wait")]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        // Draw the ticket while the mutex is still held: a signaller that
        // takes the mutex after us is ordered after this.
        let t = self.notify.add();
        let mutex = guard.mutex;
        drop(guard);
        self.notify.wait(t);
        mutex.lock()
    }

    /// Waits while `condition` holds, re-checking it under the mutex after
    /// every wake-up; returns the guard with the condition false.
    pub fn wait_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Wakes one goroutine waiting on this condition, the one that has waited
    /// longest, if any (Go's `Signal`). Holding the mutex is allowed, not
    /// required.
    #[doc(alias = "Signal")]
    pub fn signal(&self) {
        self.notify.notify_one();
    }

    /// Wakes every goroutine waiting on this condition (Go's `Broadcast`).
    #[doc(alias = "Broadcast")]
    pub fn broadcast(&self) {
        self.notify.notify_all();
    }
}

impl Default for Cond {
    fn default() -> Cond {
        Cond::new()
    }
}

impl std::fmt::Debug for Cond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cond").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync_mutex::Mutex;
    use std::sync::Arc;

    #[test]
    fn threads_wait_and_broadcast() {
        let state = Arc::new((Mutex::new(0u32), Cond::new()));
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let state = state.clone();
                std::thread::spawn(move || {
                    let (m, c) = &*state;
                    let mut g = m.lock();
                    *g += 1;
                    c.broadcast(); // tell the main thread one more waits
                    drop(c.wait_while(g, |n| *n < 100));
                })
            })
            .collect();
        let (m, c) = &*state;
        let mut g = c.wait_while(m.lock(), |n| *n < 4);
        *g = 100;
        drop(g);
        c.broadcast();
        for w in waiters {
            w.join().unwrap();
        }
    }
}
