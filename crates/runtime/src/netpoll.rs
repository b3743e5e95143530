//! Mirrors Go src/runtime/netpoll.go (go1.27): the contract between the scheduler and a network poller.
//!
//! Go's scheduler calls four functions of the platform poller: `netpollinit`,
//! `netpoll(delay)` (collect goroutines whose I/O is ready, waiting up to `delay`),
//! `netpollBreak` (interrupt a blocked `netpoll`) and `netpollGenericInit`. In
//! gort the poller lives in a crate above the runtime (gort-netpoll), so the
//! runtime only knows this trait; the facade crate installs an implementation
//! with `Builder::netpoll`, and the poller crate finds its own poller again
//! with [`current_netpoll`]. Both are hooks for gort's own crates (see
//! `hooks` in lib.rs): a working poller needs `gopark` and the park slots,
//! which are not part of the public API.
//!
//! Without one, the runtime uses [`NoNetpoll`]: a poller with no descriptors
//! whose `netpoll(delay)` simply sleeps, so that exactly one idle M waits for the
//! next timer and a new timer or new work interrupts it. Pure-CPU goroutines,
//! sleeps and timers then work as usual.

use std::any::Any;
use std::sync::Arc;
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
/// The trait has `Any` as a supertrait so that [`current_netpoll`] can hand
/// the poller crate its own type back, checked.
pub trait Netpoll: Any + Send + Sync + 'static {
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

/// The poller installed in the runtime of the calling thread, if the thread
/// is an M of a runtime and that runtime's poller is a `P` (the runtime's
/// default [`NoNetpoll`] when none was installed). This is how the poller
/// crate finds its own poller, typed, to register a descriptor with.
///
/// The runtime stores the poller as `Arc<dyn Netpoll>`, which is all the
/// scheduler needs; the crate that installed it gets the concrete type back
/// here, through the `Any` supertrait. The type check is the whole cost of
/// not making the runtime generic over its poller: a crate below the poller
/// cannot name its type, and an unchecked cast would be unsound for a
/// runtime that holds another poller.
pub fn current_netpoll<P: Netpoll>() -> Option<Arc<P>> {
    let m = crate::stubs::getm();
    if m.is_null() {
        return None;
    }
    // SAFETY: this thread's M; its runtime outlives it.
    let sched = unsafe { &*(*m).schedp };
    let np: Arc<dyn Any + Send + Sync> = sched.netpoll.clone();
    np.downcast::<P>().ok()
}
