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

/// sysmon handed off the P of an M stuck in `blocking` (Go's `ProcSteal`).
#[inline]
pub(crate) fn handoff(p: usize) {
    tracing::trace!(target: "gort::sched", p, "handoff");
}

/// A goroutine ran for more than 10 ms without yielding.
#[inline]
pub(crate) fn long_run(p: usize, ms: i64) {
    tracing::debug!(target: "gort::sched", p, ms, "goroutine running without yielding");
}
