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

/// A goroutine parked (Go's `GoPark`), for `reason` as `G::waitreason`
/// keeps it (converted only when the event is enabled).
#[inline]
pub(crate) fn park(goid: u64, reason: u8) {
    tracing::trace!(target: "gort::sched", goid, reason = %WaitReason::from_u8(reason), "park");
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
/// The `tracing` context a goroutine carries (see `G::trace_ctx`): its span,
/// entered while it runs, and a subscriber to make the thread's default
/// meanwhile, when the goroutine was spawned under a scoped one
/// (`tracing::subscriber::with_default`), so that its events reach that
/// subscriber from whichever thread runs it.
pub(crate) struct GoTrace {
    span: tracing::Span,
    /// `None` for the global default, which every thread has anyway:
    /// setting a scoped default costs every event in the process a
    /// thread-local lookup while it is set.
    dispatch: Option<tracing::Dispatch>,
}

/// What `GoTrace::enter` returns: both are undone, in reverse order, when
/// it is dropped (on the same thread, by `execute`).
pub(crate) struct GoTraceGuard<'a> {
    _entered: tracing::span::Entered<'a>,
    _default: Option<tracing::dispatcher::DefaultGuard>,
}

impl GoTrace {
    /// The context for a new goroutine: `span`, or else the caller's current
    /// span; and the spawner's scoped subscriber, if it has one (a goroutine
    /// passes on the one it carries; a plain thread its own). `None` when
    /// there is nothing to carry: the goroutine then costs nothing at its
    /// switches. Costs one relaxed load when no subscriber was ever set.
    pub(crate) fn capture(span: Option<tracing::Span>) -> Option<Box<GoTrace>> {
        if !tracing::dispatcher::has_been_set() {
            return None;
        }
        let span = span.unwrap_or_else(tracing::Span::current);
        let g = crate::stubs::getg();
        let dispatch = if g.is_null() {
            // A plain thread (or a `blocking` helper): its default, if scoped.
            let d = tracing::dispatcher::get_default(Clone::clone);
            (!is_global(&d)).then_some(d)
        } else {
            // SAFETY: the running goroutine's own context; only it, and
            // goexit0 after it finished, touch it.
            unsafe { &*(*g).trace_ctx.get() }
                .as_ref()
                .and_then(|c| c.dispatch.clone())
        };
        if span.is_disabled() && dispatch.is_none() {
            return None;
        }
        Some(Box::new(GoTrace { span, dispatch }))
    }

    /// Makes the context current on this thread: the subscriber as the
    /// thread's default, then the span entered.
    pub(crate) fn enter(&self) -> GoTraceGuard<'_> {
        let default = self.dispatch.as_ref().map(tracing::dispatcher::set_default);
        GoTraceGuard {
            _entered: self.span.enter(),
            _default: default,
        }
    }
}

/// Whether `d` is the global default (or no subscriber at all) rather than
/// a scoped one. tracing-core tells them apart only in its `Debug` output
/// (`Dispatch::Global(..)` against `Dispatch::Scoped(..)`); should that
/// change, every dispatch counts as scoped, which is correct, only slower.
fn is_global(d: &tracing::Dispatch) -> bool {
    d.is::<tracing::subscriber::NoSubscriber>() || format!("{d:?}").starts_with("Dispatch::Global")
}
// ANCHOR_END: GoTrace

#[cfg(test)]
mod tests {
    use super::is_global;

    struct Sub;
    impl tracing::Subscriber for Sub {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, _: &tracing::Event<'_>) {}
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    /// The `Debug`-based test of `is_global` still tells a scoped dispatch
    /// (what `with_default` installs) from none at all, with the tracing-core
    /// this crate builds against.
    #[test]
    fn scoped_dispatch_is_not_global() {
        assert!(!is_global(&tracing::Dispatch::new(Sub)));
        assert!(is_global(&tracing::Dispatch::none()));
        tracing::subscriber::with_default(Sub, || {
            let d = tracing::dispatcher::get_default(Clone::clone);
            assert!(!is_global(&d));
        });
    }
}
