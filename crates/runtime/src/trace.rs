//! Mirrors Go src/runtime/traceruntime.go (go1.27): the scheduler's trace events.
//!
//! Go's execution tracer records GoCreate, GoPark, GoUnpark and friends. gort
//! emits the same moments as `tracing` events at TRACE level under the target
//! `gort::sched`. When no subscriber wants them, each costs one relaxed load
//! and a branch (tracing's per-call-site interest cache).

use crate::runtime2::WaitReason;

/// A goroutine was created (Go's `GoCreate`).
#[inline]
pub(crate) fn spawn(goid: u64) {
    tracing::trace!(target: "gort::sched", goid, "spawn");
}

/// A goroutine parked (Go's `GoPark`).
#[inline]
pub(crate) fn park(goid: u64, reason: WaitReason) {
    tracing::trace!(target: "gort::sched", goid, %reason, "park");
}

/// A goroutine was made runnable (Go's `GoUnpark`).
#[inline]
pub(crate) fn ready(goid: u64) {
    tracing::trace!(target: "gort::sched", goid, "ready");
}

/// A goroutine finished (Go's `GoDestroy`).
#[inline]
pub(crate) fn exit(goid: u64) {
    tracing::trace!(target: "gort::sched", goid, "exit");
}

/// A goroutine was stolen from one P's queue into another's.
#[inline]
pub(crate) fn steal(goid: u64, from_p: usize, to_p: usize) {
    tracing::trace!(target: "gort::sched", goid, from_p, to_p, "steal");
}

/// A goroutine ran for more than 10 ms without yielding.
#[inline]
pub(crate) fn long_run(p: usize, ms: i64) {
    tracing::debug!(target: "gort::sched", p, ms, "goroutine running without yielding");
}

/// A goroutine held its thread without parking for longer than the
/// runtime's `warn_blocked_after`: the goroutines pinned to that thread
/// waited meanwhile. Reported once per incident, at WARN and on stderr.
pub(crate) fn blocked_thread(goid: u64, thread: u64, p: usize, ms: i64) {
    tracing::warn!(
        target: "gort::sched",
        goid,
        thread,
        p,
        ms,
        "goroutine holds its thread without parking"
    );
    eprintln!(
        "gort: goroutine {goid} has held its thread (gort-m{thread}, P {p}) for {ms} ms without \
         parking; the goroutines pinned to that thread cannot run until it parks. Wrap \
         thread-blocking calls in gort::blocking."
    );
}

// ANCHOR: GoTrace
/// The `tracing` context a goroutine carries (see `G::trace_ctx`): a span,
/// and the subscriber that was the spawner's default, so that a goroutine
/// spawned under `tracing::subscriber::with_default` reports to the same
/// subscriber from whichever M runs it.
pub(crate) struct GoTrace {
    span: tracing::Span,
    dispatch: tracing::Dispatch,
}

/// What `GoTrace::enter` returns: both are undone, in reverse order, when
/// it is dropped (on the same thread, by `execute`).
pub(crate) struct GoTraceGuard<'a> {
    _entered: tracing::span::Entered<'a>,
    _default: tracing::dispatcher::DefaultGuard,
}

impl GoTrace {
    /// The context for a new goroutine: `span`, or the caller's current
    /// span, and the caller's default subscriber. `None` when there is
    /// nothing to carry, which costs one relaxed load when no subscriber
    /// was ever installed.
    pub(crate) fn capture(span: Option<tracing::Span>) -> Option<Box<GoTrace>> {
        if !tracing::dispatcher::has_been_set() {
            return None;
        }
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let span = span.unwrap_or_else(tracing::Span::current);
        if span.is_none() && dispatch.is::<tracing::subscriber::NoSubscriber>() {
            return None;
        }
        Some(Box::new(GoTrace { span, dispatch }))
    }

    /// Makes the context current on this thread: the subscriber as the
    /// thread's default, then the span entered.
    pub(crate) fn enter(&self) -> GoTraceGuard<'_> {
        let default = tracing::dispatcher::set_default(&self.dispatch);
        GoTraceGuard {
            _entered: self.span.enter(),
            _default: default,
        }
    }
}
// ANCHOR_END: GoTrace
