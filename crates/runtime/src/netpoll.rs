//! Mirrors Go src/runtime/netpoll.go (go1.27): the contract between the scheduler and a network poller.
//!
//! Go's scheduler calls four functions of the platform poller: `netpollinit`,
//! `netpoll(delay)` (collect goroutines whose I/O is ready, waiting up to `delay`),
//! `netpollBreak` (interrupt a blocked `netpoll`) and `netpollGenericInit`. In
//! gort the poller lives in a crate above the runtime (gort-netpoll), so the
//! runtime only knows this trait; the facade crate installs an implementation
//! with [`Builder::netpoll`](crate::Builder::netpoll).
//!
//! Without one, the runtime uses [`NoNetpoll`]: a poller with no descriptors
//! whose `netpoll(delay)` simply sleeps, so that exactly one idle M waits for the
//! next timer and a new timer or new work interrupts it. Pure-CPU goroutines,
//! sleeps and timers then work as usual.

use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::runtime2::Gp;

// ANCHOR: netpoll
/// A network poller the scheduler can drive (Go's `netpoll`/`netpollBreak`).
///
/// Contract, as in Go:
/// * `netpoll` is called by at most one M at a time with `delay` < 0 or > 0
///   (the M that took the poller role), and by any M with `delay` == 0.
/// * It appends to `ready` the goroutines whose waits it completed (each one
///   returned by a `gopark` callback and not yet readied), and returns the
///   change to make to the count of goroutines waiting on the poller (a
///   negative number: minus the number of waiters it released).
/// * `netpoll_break` makes a blocked or the next blocking `netpoll` return
///   soon; concurrent breaks may be folded into one.
/// * Returned goroutines must belong to the runtime that called `netpoll`.
///
/// The trait has `Any` as a supertrait so that the poller crate can get its
/// own type back from [`current_netpoll`] (`Arc<dyn Netpoll>` upcasts to
/// `Arc<dyn Any + Send + Sync>`, then `downcast`).
pub trait Netpoll: std::any::Any + Send + Sync + 'static {
    /// Waits for I/O for at most `delay` nanoseconds (< 0: no limit, 0: just
    /// look) and collects the goroutines made runnable.
    fn netpoll(&self, delay: i64, ready: &mut Vec<Gp>) -> i32;

    /// Interrupts a `netpoll` that is blocked (Go's `netpollBreak`).
    #[doc(alias = "netpollBreak")]
    fn netpoll_break(&self);
}
// ANCHOR_END: netpoll

/// The poller used when none is installed: it has no descriptors, so
/// `netpoll(delay)` only sleeps for `delay` or until `netpoll_break`.
#[derive(Default)]
pub struct NoNetpoll {
    /// Set by a break, consumed by the next (or current) blocking poll.
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Netpoll for NoNetpoll {
    fn netpoll(&self, delay: i64, _ready: &mut Vec<Gp>) -> i32 {
        if delay == 0 {
            return 0;
        }
        let mut woken = self.woken.lock();
        if !*woken {
            if delay < 0 {
                self.cv.wait(&mut woken);
            } else {
                self.cv
                    .wait_for(&mut woken, Duration::from_nanos(delay as u64));
            }
        }
        *woken = false;
        0
    }

    fn netpoll_break(&self) {
        let mut woken = self.woken.lock();
        *woken = true;
        self.cv.notify_one();
    }
}

/// The poller installed in the runtime of the calling goroutine (or M), if
/// the caller runs in one. This is how the poll layer finds the epoll
/// instance to register a descriptor with.
pub fn current_netpoll() -> Option<std::sync::Arc<dyn Netpoll>> {
    let m = crate::stubs::getm();
    if m.is_null() {
        return None;
    }
    // SAFETY: this thread's M; its runtime outlives it.
    let sched = unsafe { &*(*m).schedp };
    Some(sched.netpoll.clone())
}
