//! Mirrors Go src/time/tick.go (go1.27): `Ticker`, `NewTicker`, `Stop`, `Reset` and `Tick`, periodic times on a channel.
//!
//! A ticker is a runtime timer that, each time it fires, offers the time on
//! a channel of capacity one and re-arms itself one period later. As in
//! Go, a reader slower than the period loses ticks instead of queueing
//! them: `try_send` finds the previous tick still there and drops the new
//! one. Re-arming skips periods that have already passed, so a stalled
//! reader gets one prompt tick and then the regular beat, not a burst.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::chan::{Receiver, Sender, TrySendError, bounded};
use crate::time::{RawTimer, nanotime, when_after};

/// Delivers the time on [`c`](Self::c) every period (Go's `time.Ticker`).
/// Stops when dropped.
///
/// ```
/// use std::time::Duration;
/// gort_runtime::run(|| {
///     let t = gort_runtime::time::Ticker::new(Duration::from_millis(2));
///     let a = t.c.recv().unwrap();
///     let b = t.c.recv().unwrap();
///     assert!(b > a);
///     t.stop();
/// });
/// ```
pub struct Ticker {
    /// Where the ticks are delivered (Go's `C`).
    pub c: Receiver<Instant>,
    inner: Arc<TickerInner>,
}

/// What the ticker's callback needs.
struct TickerInner {
    /// The runtime timer. `None` once a `tick` channel lost its reader
    /// (taking it breaks the cycle callback → inner → timer → callback).
    /// The callback holds this lock while it delivers a tick and re-arms,
    /// so `stop` and `reset` never interleave with a tick in flight.
    raw: Mutex<Option<RawTimer>>,
    /// The period in nanoseconds, the nanotime of the next tick, and whether
    /// the ticker runs (false after `stop`), all changed under `raw`'s lock.
    beat: Mutex<(i64, i64, bool)>,
}

/// How the callback holds the ticker: a [`Ticker`] owns it (a weak link,
/// so dropping the Ticker ends it), a [`tick`] channel does not (a strong
/// link, broken when the receiver is gone).
enum Hold {
    Weak(Weak<TickerInner>),
    Strong(Arc<TickerInner>),
}

fn period_ns(d: Duration, what: &str) -> i64 {
    assert!(!d.is_zero(), "non-positive interval for {what}");
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl TickerInner {
    /// Builds the ticker, armed for its first tick one period from now.
    fn start(period: i64, tx: Sender<Instant>, strong: bool) -> Arc<TickerInner> {
        let first = nanotime().saturating_add(period);
        let inner = Arc::new(TickerInner {
            raw: Mutex::new(None),
            beat: Mutex::new((period, first, true)),
        });
        let hold = if strong {
            Hold::Strong(inner.clone())
        } else {
            Hold::Weak(Arc::downgrade(&inner))
        };
        let raw = RawTimer::new(move |_| {
            let inner = match &hold {
                Hold::Weak(w) => match w.upgrade() {
                    Some(i) => i,
                    None => return, // the Ticker was dropped
                },
                Hold::Strong(i) => i.clone(),
            };
            let mut raw = inner.raw.lock();
            let Some(timer) = raw.as_ref() else { return };
            if !inner.beat.lock().2 {
                // Stopped while this firing was on its way: deliver nothing
                // (Go 1.23's rule: no tick arrives after Stop returns).
                return;
            }
            if let Err(TrySendError::Closed(_)) = tx.try_send(Instant::now()) {
                // Nobody can receive any more: stop for good.
                raw.take();
                return;
            }
            inner.rearm(timer);
        });
        // Arm it only once it is in place: a first tick that fires at once
        // on another thread waits for this lock, then finds its timer.
        let mut slot = inner.raw.lock();
        slot.insert(raw).reset(first, 0);
        drop(slot);
        inner
    }

    /// Arms the next tick: the first beat after now (Go's ticker `when`
    /// advancing by whole periods). The caller holds `raw`'s lock.
    fn rearm(&self, raw: &RawTimer) {
        let mut beat = self.beat.lock();
        let (period, next, _) = *beat;
        let now = nanotime();
        let behind = now.saturating_sub(next).max(0);
        let next = next.saturating_add(period.saturating_mul(1 + behind / period));
        beat.1 = next;
        raw.reset(next, 0);
    }
}

impl Ticker {
    /// A ticker delivering the time every `d`, starting `d` from now (Go's
    /// `NewTicker`).
    ///
    /// # Panics
    ///
    /// If `d` is zero (Go: "non-positive interval for NewTicker"), or
    /// outside a goroutine.
    #[doc(alias = "NewTicker")]
    pub fn new(d: Duration) -> Ticker {
        let period = period_ns(d, "NewTicker");
        let (tx, rx) = bounded(1);
        Ticker {
            c: rx,
            inner: TickerInner::start(period, tx, false),
        }
    }

    /// Stops the ticks: once it returns no tick is delivered, even one that
    /// was firing on another thread at that moment; a tick delivered before
    /// and not taken yet stays in the channel (Go's `Stop`).
    #[doc(alias = "Stop")]
    pub fn stop(&self) {
        if let Some(raw) = self.inner.raw.lock().as_ref() {
            self.inner.beat.lock().2 = false;
            raw.stop();
        }
    }

    /// Changes the period to `d` and restarts the beat from now (Go's
    /// `Reset`); also restarts a stopped ticker.
    ///
    /// # Panics
    ///
    /// If `d` is zero (Go: "non-positive interval for Ticker.Reset").
    #[doc(alias = "Reset")]
    pub fn reset(&self, d: Duration) {
        let period = period_ns(d, "Ticker.Reset");
        let raw = self.inner.raw.lock();
        if let Some(raw) = raw.as_ref() {
            let next = when_after(nanotime(), d);
            *self.inner.beat.lock() = (period, next, true);
            raw.reset(next, 0);
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker").finish_non_exhaustive()
    }
}

/// A channel of ticks every `d`, for code that never stops them (Go's
/// `time.Tick`). The ticker stops once every receiver is dropped.
///
/// # Panics
///
/// If `d` is zero, or outside a goroutine.
#[doc(alias = "Tick")]
pub fn tick(d: Duration) -> Receiver<Instant> {
    let period = period_ns(d, "Tick");
    let (tx, rx) = bounded(1);
    TickerInner::start(period, tx, true);
    rx
}
