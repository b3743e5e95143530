//! Mirrors Go src/internal/runtime/atomic/doc.go (go1.27): the atomics and semaphores gort-poll's state machines are built on.
//!
//! Go's `internal/poll` uses `sync/atomic` for the fdMutex state word and two
//! runtime hooks, `runtime_Semacquire` / `runtime_Semrelease` (declared at the
//! bottom of `fd_mutex.go`, implemented by `poll_runtime_Sem*` in
//! `runtime/sema.go`), to sleep and wake on its semaphore words. This facade
//! is the one place gort-poll takes those from, so the very same
//! [`FdMutex`](crate::FdMutex) code compiles two ways:
//!
//! * normally: `std` atomics, and [`Sema`] is a bare `AtomicU32` handed to
//!   gort-runtime's `hooks::semacquire` / `hooks::semrelease`, which park
//!   the calling goroutine (or block the calling thread outside a goroutine);
//! * under `--cfg loom`: loom's model-checked atomics, and [`Sema`] is a
//!   counting semaphore built from a loom `Mutex<u32>` and `Condvar`, so loom
//!   sees every sleep and wake-up and can report a lost wake-up as a deadlock.
//!
//! Both semaphores have Go's contract: `semacquire` waits until the count is
//! positive and takes one unit; `semrelease` adds one unit and wakes one
//! waiter. A release that comes before the acquire is not lost. Each acquire
//! happens-after the release whose unit it took.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};

/// A semaphore word (Go's `uint32` passed to `runtime_Semacquire`).
#[cfg(not(loom))]
pub(crate) type Sema = std::sync::atomic::AtomicU32;

/// A new semaphore with no units.
#[cfg(not(loom))]
pub(crate) const fn new_sema() -> Sema {
    Sema::new(0)
}

/// Waits for a unit of `sema` and takes it (Go's `runtime_Semacquire`).
#[cfg(not(loom))]
pub(crate) fn semacquire(sema: &Sema) {
    gort_runtime::hooks::semacquire(sema);
}

/// Adds a unit to `sema`, waking one waiter (Go's `runtime_Semrelease`).
#[cfg(not(loom))]
pub(crate) fn semrelease(sema: &Sema) {
    gort_runtime::hooks::semrelease(sema);
}

/// The loom stand-in for a semaphore word: the unit count lives inside the
/// lock, and waiters sleep on the condition variable.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct Sema {
    /// Units released and not yet acquired.
    count: loom::sync::Mutex<u32>,
    /// Signalled once per released unit.
    cond: loom::sync::Condvar,
}

#[cfg(loom)]
impl Sema {
    /// Units released and not yet taken (for the models' final checks).
    #[cfg(test)]
    pub(crate) fn units(&self) -> u32 {
        *self.count.lock().unwrap()
    }
}

/// A new semaphore with no units.
#[cfg(loom)]
pub(crate) fn new_sema() -> Sema {
    Sema {
        count: loom::sync::Mutex::new(0),
        cond: loom::sync::Condvar::new(),
    }
}

/// Waits for a unit of `sema` and takes it (Go's `runtime_Semacquire`).
#[cfg(loom)]
pub(crate) fn semacquire(sema: &Sema) {
    let mut count = sema.count.lock().unwrap();
    while *count == 0 {
        count = sema.cond.wait(count).unwrap();
    }
    *count -= 1;
}

/// Adds a unit to `sema`, waking one waiter (Go's `runtime_Semrelease`).
#[cfg(loom)]
pub(crate) fn semrelease(sema: &Sema) {
    *sema.count.lock().unwrap() += 1;
    sema.cond.notify_one();
}
