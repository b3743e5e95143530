//! Mirrors Go src/runtime/netpoll.go (go1.27): the rg/wg slot protocol of netpollblock, netpollblockcommit and netpollunblock.
//!
//! Go's pollDesc keeps, for each direction, one word that says who waits for
//! it: `pdNil` (nobody), `pdReady` (a wake-up arrived with nobody waiting),
//! `pdWait` (a goroutine is on its way to park) or the parked goroutine itself.
//! The waiter moves nil → pdWait, then parks with a commit callback that moves
//! pdWait → its G *after* its context is saved; the waker swaps whatever is
//! there for pdReady and readies the G it found. Whichever order the two race
//! in, the wake-up is neither lost nor delivered twice.
//!
//! [`ParkSlot`] is that word as a reusable type. The runtime uses it for
//! `JoinHandle::join` and semaphores; gort-netpoll builds pollDesc's `rg`/`wg` on
//! it. Besides goroutines it also accepts plain OS threads as waiters (a token
//! pointing at an `Arc<Thread>`, tagged with the low bit), so the same
//! primitives work outside the runtime. The state machine is plain atomics, so
//! loom checks it (see the tests at the end).
//!
//! | state          | meaning                                   | who leaves it             |
//! |----------------|-------------------------------------------|---------------------------|
//! | `PD_NIL` (0)   | nobody waits, nothing pending             | waiter (→ WAIT), waker (→ READY) |
//! | `PD_READY` (1) | a wake-up is pending                      | waiter (→ NIL, consumes it) |
//! | `PD_WAIT` (2)  | a waiter is committing to park            | waiter (→ token), waker (→ READY) |
//! | token (≥ 8)    | a goroutine or thread is parked           | waker (→ READY or NIL)    |

#[cfg(not(loom))]
use std::sync::Arc;
#[cfg(not(loom))]
use std::thread::Thread;

use crate::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
use crate::runtime2::{Gp, WaitReason};

/// Nobody waits and no wake-up is pending (Go's `pdNil`).
pub(crate) const PD_NIL: usize = 0;
/// A wake-up arrived while nobody waited (Go's `pdReady`).
pub(crate) const PD_READY: usize = 1;
/// A waiter is about to park (Go's `pdWait`).
pub(crate) const PD_WAIT: usize = 2;
/// Low bit set on a token that names a parked OS thread rather than a G.
#[cfg(not(loom))]
const THREAD_TAG: usize = 1;

/// One waiter's wake-up word (Go's pollDesc `rg` or `wg`).
#[derive(Debug, Default)]
pub struct ParkSlot {
    /// PD_NIL, PD_READY, PD_WAIT or a token; see the table in the module doc.
    /// Every transition is an RMW with AcqRel (or an Acquire load by a waiter
    /// checking for its wake-up): what the waker wrote before waking (a join
    /// result, a semaphore count) happens-before what the waiter does after.
    state: AtomicUsize,
}

impl ParkSlot {
    /// An empty slot.
    #[cfg(not(loom))]
    pub const fn new() -> ParkSlot {
        ParkSlot {
            state: AtomicUsize::new(PD_NIL),
        }
    }

    /// An empty slot.
    #[cfg(loom)]
    pub fn new() -> ParkSlot {
        ParkSlot {
            state: AtomicUsize::new(PD_NIL),
        }
    }

    /// First half of Go's `netpollblock`: consumes a pending wake-up and
    /// returns true, or moves NIL → WAIT and returns false (the caller must
    /// then `commit` and park, or `finish`).
    ///
    /// # Panics
    ///
    /// With "runtime: double wait" if another waiter is already here.
    pub fn prepare(&self) -> bool {
        // Look before locking the bus: one CAS instead of two when nothing is
        // pending, which is the common case.
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let (expect, new) = match cur {
                // Acquire on success: pairs with the waker's release of READY.
                PD_READY => (PD_READY, PD_NIL),
                PD_NIL => (PD_NIL, PD_WAIT),
                _ => panic!("runtime: double wait"),
            };
            match self
                .state
                .compare_exchange(expect, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return expect == PD_READY,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Go's `netpollblockcommit`: WAIT → `token`. False if a waker got in
    /// first (the state is READY), in which case the caller must not sleep.
    pub fn commit(&self, token: usize) -> bool {
        debug_assert!(token > PD_WAIT);
        self.state
            .compare_exchange(PD_WAIT, token, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether `token` is still parked here (the waker has not taken it).
    pub fn is_parked(&self, token: usize) -> bool {
        // Acquire: pairs with the waker's AcqRel swap of the token.
        self.state.load(Ordering::Acquire) == token
    }

    /// Tail of Go's `netpollblock`, after the waiter woke (or never slept):
    /// resets the slot to NIL and says whether the wake-up was a "ready" one.
    ///
    /// # Panics
    ///
    /// With "runtime: corrupted polldesc" if a token is still in the slot.
    pub fn finish(&self) -> bool {
        // A swap, as Go does, not a load and a store: a waiter that announced
        // itself (WAIT) and then decided not to park races with wakers that
        // may turn WAIT into READY at any moment; the swap consumes that.
        let old = self.state.swap(PD_NIL, Ordering::AcqRel);
        assert!(old <= PD_WAIT, "runtime: corrupted polldesc");
        old == PD_READY
    }

    /// Go's `netpollunblock`: with `ready`, leaves READY behind (a later
    /// waiter returns at once); without, only releases a waiter, leaving NIL.
    /// Returns the parked waiter's token, which the caller must wake with
    /// [`wake_token`] (or, for a G, hand to the scheduler as Go's netpoll does).
    pub fn unblock(&self, ready: bool) -> Option<usize> {
        let mut old = self.state.load(Ordering::Acquire);
        loop {
            if old == PD_READY || (old == PD_NIL && !ready) {
                return None;
            }
            let new = if ready { PD_READY } else { PD_NIL };
            match self
                .state
                .compare_exchange(old, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return if old > PD_WAIT { Some(old) } else { None },
                Err(cur) => old = cur,
            }
        }
    }

    /// Parks the calling goroutine (or thread, outside the runtime) until
    /// [`wake`](Self::wake); returns at once if a wake-up is pending.
    /// Returns true if woken by a "ready" wake-up.
    #[cfg(not(loom))]
    pub fn wait(&self, reason: WaitReason) -> bool {
        self.wait_with(reason, None)
    }

    /// [`wait`](Self::wait), for a slot that outlives the wait (it is not on
    /// the waiter's stack) and through which alone a waker finds the waiter
    /// (no queue or table refers to it). A runtime being dropped may then
    /// take the goroutine back out of the slot and unwind it from here (see
    /// [`Goexit`](crate::Goexit)); a later wake-up finds nobody to wake.
    #[cfg(not(loom))]
    pub fn wait_cancellable(&self, reason: WaitReason) -> bool {
        // Taking our token out (token → NIL) is exactly what a waker that
        // releases without a ready does; whoever swaps it out first owns the
        // goroutine's wake-up.
        self.wait_with(reason, Some(&|| self.unblock(false).is_some()))
    }

    #[cfg(not(loom))]
    fn wait_with(&self, reason: WaitReason, cancel: Option<&dyn Fn() -> bool>) -> bool {
        if self.prepare() {
            return true;
        }
        let parked =
            crate::proc::try_gopark_cancel(|gp| self.commit(gp.as_usize()), reason, cancel);
        if parked.is_none() {
            let me = Arc::new(std::thread::current());
            let token = Arc::into_raw(me) as usize | THREAD_TAG;
            if self.commit(token) {
                while self.is_parked(token) {
                    std::thread::park();
                }
            } else {
                // SAFETY: the commit failed, so the slot never owned the token;
                // we still own the reference into_raw gave us.
                drop(unsafe { Arc::from_raw((token & !THREAD_TAG) as *const Thread) });
            }
        }
        self.finish()
    }

    /// Wakes the waiter, or leaves a pending wake-up for the next one.
    #[cfg(not(loom))]
    pub fn wake(&self) {
        if let Some(token) = self.unblock(true) {
            // SAFETY: `unblock` transferred this token's ownership to us.
            unsafe { wake_token(token) };
        }
    }
}

/// The goroutine a token names, if it names one (rather than an OS thread).
/// Go's `netpoll` collects such goroutines into the list it returns to the
/// scheduler; thread tokens must be woken with [`wake_token`] instead.
#[cfg(not(loom))]
pub fn token_goroutine(token: usize) -> Option<Gp> {
    if token > PD_WAIT && token & THREAD_TAG == 0 {
        // SAFETY: a G token is the address of a parked G (see `commit`).
        Some(unsafe { Gp::from_usize(token) })
    } else {
        None
    }
}

/// Wakes the waiter named by a token that [`ParkSlot::unblock`] returned.
///
/// # Safety
///
/// `token` must come from `unblock` and be woken exactly once.
#[cfg(not(loom))]
pub unsafe fn wake_token(token: usize) {
    if token & THREAD_TAG != 0 {
        // SAFETY: thread tokens are Arc::into_raw pointers owned by the slot,
        // and the caller now owns this one.
        let thread = unsafe { Arc::from_raw((token & !THREAD_TAG) as *const Thread) };
        thread.unpark();
    } else {
        // SAFETY: a G token was committed by a park that only this wake ends.
        unsafe { crate::proc::goready(Gp::from_usize(token)) };
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc as LArc;
    use loom::sync::atomic::AtomicUsize as LAtomic;
    use loom::thread;

    /// The thread-waiter half of `wait`, with loom's park.
    fn wait_loom(slot: &ParkSlot, me: usize) -> bool {
        if slot.prepare() {
            return true;
        }
        if slot.commit(me) {
            while slot.is_parked(me) {
                thread::park();
            }
        }
        slot.finish()
    }

    /// The handshake: a waiter and a waker race; the waiter always returns
    /// having seen the data the waker published, and never sleeps forever.
    #[test]
    fn park_ready_handshake() {
        loom::model(|| {
            let slot = LArc::new(ParkSlot::new());
            let data = LArc::new(LAtomic::new(0));
            let waiter_thread = {
                let (slot, data) = (slot.clone(), data.clone());
                thread::spawn(move || {
                    // 8: any token > PD_WAIT, standing for this thread.
                    assert!(wait_loom(&slot, 8));
                    assert_eq!(data.load(Ordering::Relaxed), 42);
                })
            };
            data.store(42, Ordering::Relaxed);
            if let Some(token) = slot.unblock(true) {
                assert_eq!(token, 8);
                waiter_thread.thread().unpark();
            }
            waiter_thread.join().unwrap();
        });
    }

    /// A non-ready unblock (Go's deadline/close path without ioready) releases a
    /// parked waiter but leaves nothing pending for a later one.
    #[test]
    fn unblock_without_ready_leaves_nothing_pending() {
        loom::model(|| {
            let slot = LArc::new(ParkSlot::new());
            let t = {
                let slot = slot.clone();
                thread::spawn(move || slot.unblock(false))
            };
            let woke = t.join().unwrap();
            assert!(woke.is_none());
            assert!(!slot.prepare());
            assert!(!slot.finish());
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn states_follow_go_netpollblock() {
        let s = ParkSlot::new();
        // A wake-up with nobody waiting is remembered once.
        assert_eq!(s.unblock(true), None);
        assert!(s.prepare());
        // Waiter announces itself, the waker overtakes its commit.
        assert!(!s.prepare());
        assert_eq!(s.unblock(true), None);
        assert!(!s.commit(8));
        assert!(s.finish());
        // Waiter parks, the waker hands its token back.
        assert!(!s.prepare());
        assert!(s.commit(16));
        assert!(s.is_parked(16));
        assert_eq!(s.unblock(false), Some(16));
        assert!(!s.finish());
    }

    #[test]
    #[should_panic(expected = "runtime: double wait")]
    fn double_wait_is_loud() {
        let s = ParkSlot::new();
        assert!(!s.prepare());
        s.prepare();
    }

    #[test]
    fn threads_park_and_wake_through_the_slot() {
        let s = std::sync::Arc::new(ParkSlot::new());
        for _ in 0..1000 {
            let s2 = s.clone();
            let t = std::thread::spawn(move || s2.wake());
            assert!(s.wait(WaitReason::Join));
            t.join().unwrap();
        }
    }
}
