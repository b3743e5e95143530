//! Mirrors Go src/time/sleep.go (go1.27): `Timer`, `NewTimer`, `Stop`, `Reset` and `After`, timers that deliver on a channel.
//!
//! A [`Timer`] is a runtime timer (the per-P heap entry of
//! [`RawTimer`]) whose callback puts the current time into a channel of
//! capacity one with `try_send`: the callback runs on the scheduler's stack
//! and must never block, and a value nobody has taken yet is enough.
//!
//! Go 1.23 changed timer channels so that after `Stop` or `Reset` returns,
//! no value from the old arming can be received. gort gets the same
//! guarantee with an arming generation: `stop` and `reset` bump it, disarm
//! the runtime timer and drain the channel under a small lock, and the
//! callback sends only if its arming is still the current one, checked
//! under the same lock. (Disarming and draining alone are not enough: a
//! callback already running on another M could send after the drain.) Go
//! does the same with the timer's `seq` and `isSending`.
//!
//! Where gort differs from Go: the channel is closed when nothing can send
//! on it any more, that is when the [`Timer`] has been dropped and its
//! arming has fired or been stopped. So `after(d).recv()` returns
//! `Some(instant)` once and then `None`, where Go would block forever; do
//! not keep `select!`ing on an `after` channel that has already fired.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chan::{Receiver, Sender, bounded};
use crate::time::{RawTimer, nanotime, when_after};

/// A single event delivered on a channel (Go's `time.Timer`): after the
/// duration it was armed with, the current time appears on [`c`](Self::c).
///
/// ```
/// use std::time::Duration;
/// gort_runtime::run(|| {
///     let t = gort_runtime::time::Timer::new(Duration::from_millis(5));
///     let fired_at = t.c.recv().unwrap();
///     assert!(fired_at.elapsed() < Duration::from_secs(5));
///     // Stopped before it fires: nothing is ever delivered.
///     let t = gort_runtime::time::Timer::new(Duration::from_secs(3600));
///     assert!(t.stop());
///     assert!(t.c.try_recv().is_err());
/// });
/// ```
pub struct Timer {
    /// Where the time is delivered when the timer fires (Go's `C`).
    pub c: Receiver<Instant>,
    raw: RawTimer,
    /// The current arming (Go's `timer.seq`). `stop` and `reset` bump it,
    /// disarm and drain while holding the lock; the callback delivers only
    /// for the arming it was fired for (its `seq` argument), checked under
    /// the lock, so no send can slip in after a drain.
    arming: Arc<parking_lot::Mutex<usize>>,
}

// ANCHOR: Reset
impl Timer {
    /// A timer that fires once after `d` (Go's `NewTimer`). A zero `d`
    /// fires at once.
    ///
    /// # Panics
    ///
    /// Outside a goroutine: the timer lives in the runtime's heaps.
    #[doc(alias = "NewTimer")]
    pub fn new(d: Duration) -> Timer {
        let (tx, rx) = bounded(1);
        let arming = Arc::new(parking_lot::Mutex::new(0));
        let current = arming.clone();
        let t = Timer {
            c: rx,
            raw: RawTimer::new(move |seq| {
                // Held across the send: `stop`/`reset` wait for it, and a
                // send for an old arming never happens.
                let now = current.lock();
                if *now == seq {
                    let _ = tx.try_send(Instant::now());
                }
            }),
            arming,
        };
        t.raw.reset(when_after(nanotime(), d), 0);
        t
    }

    /// Prevents the timer from firing; returns true if that stopped it,
    /// false if it had already fired or been stopped (Go's `Stop`). No
    /// value from before the call is received afterwards.
    #[doc(alias = "Stop")]
    pub fn stop(&self) -> bool {
        let mut arming = self.arming.lock();
        *arming = arming.wrapping_add(1);
        let was_armed = self.raw.stop();
        self.drain();
        was_armed
    }

    /// Re-arms the timer to fire after `d`; returns whether it was still
    /// armed (Go's `Reset`). A value from the previous arming that nobody
    /// took is discarded.
    #[doc(alias = "Reset")]
    pub fn reset(&self, d: Duration) -> bool {
        let mut arming = self.arming.lock();
        *arming = arming.wrapping_add(1);
        let was_armed = self.raw.stop();
        self.drain();
        self.raw.reset(when_after(nanotime(), d), *arming);
        was_armed
    }

    /// Drops a delivered value nobody took.
    fn drain(&self) {
        while self.c.try_recv().is_ok() {}
    }
}
// ANCHOR_END: Reset

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timer").finish_non_exhaustive()
    }
}

// ANCHOR: After
/// The callback of a channel timer: offer the time, never block. A full
/// channel (the last value is still there) or a closed one (nobody
/// listens) just drops this one.
pub(crate) fn send_time(tx: Sender<Instant>) -> impl Fn(usize) + Send + Sync + 'static {
    move |_| {
        let _ = tx.try_send(Instant::now());
    }
}

/// A channel that receives the current time once, after `d` (Go's
/// `time.After`): the timer case of a `select!`.
///
/// ```
/// use std::time::Duration;
/// gort_runtime::run(|| {
///     let (_tx, rx) = gort_runtime::chan::bounded::<u32>(0);
///     let timed_out = gort_runtime::select! {
///         recv(rx) -> _v => false,
///         recv(gort_runtime::time::after(Duration::from_millis(5))) -> _t => true,
///     };
///     assert!(timed_out);
/// });
/// ```
///
/// # Panics
///
/// Outside a goroutine.
#[doc(alias = "After")]
pub fn after(d: Duration) -> Receiver<Instant> {
    let (tx, rx) = bounded(1);
    // Dropped at once: the queued heap entry keeps the callback (and its
    // sender) alive until it fires.
    RawTimer::new(send_time(tx)).reset(when_after(nanotime(), d), 0);
    rx
}
// ANCHOR_END: After
