//! Mirrors Go src/runtime/panic.go (go1.27): Goexit, used to give back the goroutines of a dropped runtime.
//!
//! Go's `runtime.Goexit` ends the calling goroutine after running its
//! deferred calls. Rust's deferred calls are destructors, and the way to run
//! them is to unwind the stack; [`Goexit`] is the payload gort unwinds with.
//! Go needs nothing more, because its process ends when `main` returns.
//! gort is a library: tests, benchmarks and plug-ins build and drop many
//! runtimes in one process, so a dropped [`Runtime`](crate::Runtime) unwinds
//! every goroutine still alive, and their sockets, buffers and stacks come
//! back, as a tokio runtime's drop releases its tasks.
//!
//! A parked goroutine can only resume on its own thread (pinning), and only
//! once nobody can wake it any more: its sudog may sit in a channel queue,
//! its G in a pollDesc or a timer, and a waker that still finds it there
//! would write into a stack that is being unwound. So the park sites that
//! can be withdrawn from say how (`try_gopark_cancel`'s `cancel`: dequeue
//! the sudog under the channel lock, take the G back out of the park slot,
//! stop the timer), and the withdrawal is made by the goroutine's own M, in
//! its scheduler, where none of its goroutines runs:
//!
//! 1. `Runtime::drop` calls [`unwind_all`], which raises
//!    `Sched::unwind_epoch` and claims every idle P so that its M looks.
//! 2. Each M, at the top of `find_runnable`, sees the new epoch and runs
//!    [`sweep`] over the goroutines pinned to its P: each one parked with a
//!    `cancel` is withdrawn (if no waker took it first), marked
//!    [`Unwind::Forced`] and queued. The M records the epoch in `P::swept`.
//! 3. Resumed in `try_gopark_cancel`, the goroutine sees `Forced` and calls
//!    [`goexit`]: its stack unwinds, every destructor runs (closing its
//!    descriptors), and `Packet::run` catches the payload, so a
//!    `JoinHandle::join` returns `Err` with a `Goexit` payload.
//! 4. Goroutines that had never run are not started: their closure is
//!    dropped instead (`Packet::run`).
//! 5. Rounds repeat while goroutines are left and something changes. A
//!    goroutine is forced once: a destructor that parks again (a mutex held
//!    by another goroutine being unwound, a flush) waits for an ordinary
//!    wake-up. What cannot be withdrawn (a `sync` primitive's wait, a
//!    `blocking` call, a goroutine that caught the unwind and parked again,
//!    one that never parks) stays; once rounds stop changing anything, or
//!    after [`UNWIND_LIMIT`], the rest is abandoned as before: leaked, never
//!    resumed.

use std::time::{Duration, Instant};

use std::sync::atomic::Ordering;

use crate::proc::{claimp, runqput_pinned};
use crate::runtime2::{P, Sched, Unwind, gstatus, pstatus};
use crate::stubs::getm;

/// The payload a goroutine of a dropped runtime unwinds with (Go's
/// `runtime.Goexit`, which likewise ends a goroutine after running its
/// deferred calls). Unlike Go's, it can be caught (`catch_unwind`); a
/// goroutine that catches it and parks again is abandoned.
///
/// [`JoinHandle::join`](crate::JoinHandle::join) of a goroutine that was
/// unwound, or never started, because its runtime was dropped returns
/// `Err(payload)` with `payload.is::<Goexit>()`.
///
/// ```
/// use std::time::Duration;
/// let rt = gort_runtime::Runtime::new().unwrap();
/// let h = rt.spawn(|| gort_runtime::time::sleep(Duration::from_secs(3600)));
/// drop(rt);
/// let err = h.join().unwrap_err();
/// assert!(err.is::<gort_runtime::Goexit>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goexit;

impl std::fmt::Display for Goexit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("goroutine unwound: its runtime was dropped")
    }
}

/// How long a dropped runtime keeps unwinding goroutines that are still
/// making progress before it abandons the rest.
pub(crate) const UNWIND_LIMIT: Duration = Duration::from_secs(1);

/// Rounds in a row in which nothing changed before the unwinding stops.
const QUIET_ROUNDS: u32 = 3;

/// Unwinds the calling goroutine with a [`Goexit`] payload.
pub(crate) fn goexit() -> ! {
    // resume_unwind, not panic!: no panic hook, no message.
    std::panic::resume_unwind(Box::new(Goexit))
}

/// Whether the calling goroutine's runtime is being dropped; if so the
/// goroutine is marked as unwinding (never forced), for `Packet::run`,
/// which then drops a never-started goroutine's closure instead of calling
/// it.
pub(crate) fn starting_while_dropped() -> bool {
    let m = getm();
    if m.is_null() {
        return false;
    }
    // SAFETY: this thread's M, and its runtime, are alive.
    let (sched, gp) = unsafe { (&*(*m).schedp, (*m).curg.get()) };
    // Relaxed: the epoch was raised before the claim or the inbox hand-over
    // that led our M here; a stale 0 only lets the goroutine start, and it
    // is then unwound at its first cancellable park.
    if sched.unwind_epoch.load(Ordering::Relaxed) == 0 || gp.is_null() {
        return false;
    }
    // SAFETY: `gp` is the G running this code.
    unsafe { &*gp }.unwind.set(Unwind::Started);
    true
}

/// Whether the runtime asks `p`'s M to sweep (see the module doc): the
/// M's side of the store-load pairing on `Sched::unwind_epoch`, read after
/// it stored its P's IDLE status.
pub(crate) fn sweep_asked(sched: &Sched, p: &P) -> bool {
    let e = sched.unwind_epoch.load(Ordering::SeqCst);
    e != 0 && p.swept.load(Ordering::Relaxed) != e
}

/// At the top of `find_runnable`: sweeps if a new round was asked for.
#[inline]
pub(crate) fn sweep_if_asked(sched: &Sched, p: &P) {
    // Acquire: pairs with the driver's raise; a round missed here is seen by
    // `sweep_asked` before the M sleeps.
    let e = sched.unwind_epoch.load(Ordering::Acquire);
    if e != 0 && p.swept.load(Ordering::Relaxed) != e {
        sweep(sched, p);
        // Release: the driver that reads the epoch back also sees the
        // goroutines queued and the count of forced ones.
        p.swept.store(e, Ordering::Release);
    }
}

// ANCHOR: sweep
/// Withdraws the goroutines pinned to `p` (held by the caller, its M, in
/// the scheduler) from the park sites that allow it, and queues them to
/// unwind.
fn sweep(sched: &Sched, p: &P) {
    let mine: Vec<_> = {
        let l = sched.lock.lock();
        l.allgs
            .iter()
            .copied()
            // SAFETY: Gs live as long as the Sched. `home` is an atomic:
            // other Ms set their own Gs' homes meanwhile, but only this
            // thread ever stores `p` there.
            .filter(|gp| std::ptr::eq(unsafe { gp.as_ref() }.home(), p))
            .collect()
    };
    for gp in mine {
        // SAFETY: as above.
        let g = unsafe { gp.as_ref() };
        // Acquire: a parked G's context and `cancel` were written by this
        // thread anyway; the status may be changed by a remote waker, and
        // then the cancel below finds the G taken and says so.
        if g.atomicstatus.load(Ordering::Acquire) != gstatus::WAITING
            || g.unwind.get() != Unwind::No
        {
            continue;
        }
        let Some(cancel) = g.cancel.get() else {
            continue;
        };
        // SAFETY: `cancel` lives on the goroutine's stack, which is intact:
        // the goroutine is parked and can only resume on this thread, which
        // is here. The contract of `try_gopark_cancel` makes the call safe.
        if unsafe { cancel.as_ref() }() {
            // The cancel took the goroutine back from every waker: we hold
            // it as a waker would, and ready it as `ready` does.
            g.unwind.set(Unwind::Forced);
            g.atomicstatus.store(gstatus::RUNNABLE, Ordering::Relaxed);
            sched.unwind_forced.fetch_add(1, Ordering::Relaxed);
            runqput_pinned(p, gp, false);
        }
    }
}
// ANCHOR_END: sweep

/// The unwinding of a dropped runtime (see the module doc), run by the
/// thread dropping it before the scheduler stops. Returns when no goroutine
/// is left, when rounds stop changing anything, or after [`UNWIND_LIMIT`].
pub(crate) fn unwind_all(sched: &Sched) {
    let deadline = Instant::now() + UNWIND_LIMIT;
    let mut last = (i64::MIN, 0);
    let mut quiet = 0;
    let mut pause = Duration::from_micros(20);
    while sched.gcount() > 0 && Instant::now() < deadline {
        // SeqCst: the other half of `sweep_asked`. Either an M that went
        // idle sees this epoch, or we see its P idle and claim it.
        let epoch = sched.unwind_epoch.fetch_add(1, Ordering::SeqCst) + 1;
        for p in sched.allp.iter() {
            if p.status.load(Ordering::SeqCst) == pstatus::IDLE
                && !p.m.load(Ordering::Acquire).is_null()
            {
                claimp(sched, std::ptr::from_ref(p).cast_mut(), false);
            }
        }
        // A P that never had an M has never run a goroutine.
        while !sched.allp.iter().all(|p| {
            p.m.load(Ordering::Acquire).is_null() || p.swept.load(Ordering::Acquire) == epoch
        }) {
            if Instant::now() >= deadline {
                return;
            }
            // An M running a goroutine sweeps when that goroutine stops.
            std::thread::sleep(Duration::from_micros(20));
        }
        let now = (sched.gcount(), sched.unwind_forced.load(Ordering::Relaxed));
        let idle = sched
            .allp
            .iter()
            .all(|p| p.status.load(Ordering::SeqCst) == pstatus::IDLE);
        if now == last && idle && !sched.blockpool.busy() {
            quiet += 1;
            if quiet >= QUIET_ROUNDS {
                return;
            }
            // Give a wake-up in flight (a timer, the network) a moment.
            std::thread::sleep(pause);
            pause = (pause * 4).min(Duration::from_millis(2));
        } else {
            quiet = 0;
            pause = Duration::from_micros(20);
        }
        last = now;
    }
}
