//! Mirrors Go src/runtime/stubs.go (go1.27): getg, and how runtime code finds its M.
//!
//! Go keeps the current `g` in a register (or a TLS slot) that the context switch
//! updates. gort keeps the current M in a thread-local, and reaches the running G
//! and the held P through it.
//!
//! The hazard this file guards against: the compiler assumes a function runs
//! on one thread from start to end, so it may compute a thread-local's
//! address once and reuse it after a call to `swapcontext` that, unknown to
//! it, switched stacks (rust-lang/unsafe-code-guidelines#602). Goroutines are
//! pinned to the thread of their first run (see proc.rs), so for them that
//! assumption holds; the accessors stay opaque anyway, as a second line of
//! defence for the runtime's own code: never inlined, and each contains an
//! empty `asm!` that the compiler must assume reads and writes memory, so two
//! calls are never merged and every call computes the address afresh on the
//! thread it runs on. Runtime code calls them again after every switch point,
//! and never keeps an `&M` or `*mut M` across one.

use std::cell::Cell;
use std::ptr;

use crate::runtime2::{G, M};

// ANCHOR: getg
thread_local! {
    /// The M this OS thread is, or null for threads outside any runtime.
    static CURRENT_M: Cell<*mut M> = const { Cell::new(ptr::null_mut()) };
}

/// The M running on this thread, or null (Go's `getg().m`).
#[inline(never)]
pub(crate) fn getm() -> *mut M {
    // SAFETY: an empty asm block; without `nomem`/`pure` the compiler must treat
    // it as an opaque side effect, so this call cannot be merged with another.
    unsafe { std::arch::asm!("", options(nostack, preserves_flags)) };
    CURRENT_M.with(Cell::get)
}

/// Makes `m` this thread's M (Go's `setg` of g0 in `mstart`); null to leave.
#[inline(never)]
pub(crate) fn setm(m: *mut M) {
    // SAFETY: as in `getm`.
    unsafe { std::arch::asm!("", options(nostack, preserves_flags)) };
    CURRENT_M.with(|c| c.set(m));
}

/// The goroutine running on this thread, or null on g0 and outside the runtime
/// (Go's `getg()` when it is not g0).
pub(crate) fn getg() -> *mut G {
    let m = getm();
    if m.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: a non-null current M is alive (it is this thread) and only this
    // thread writes its `curg`.
    unsafe { (*m).curg.get() }
}
// ANCHOR_END: getg

/// The id of the goroutine running on this thread, if any. Used by the
/// stack-overflow handler, so it must stay async-signal-safe: no locks, no
/// allocation (the thread-local has a const initialiser and no destructor).
pub(crate) fn current_goid() -> Option<u64> {
    let gp = getg();
    if gp.is_null() {
        None
    } else {
        // SAFETY: the running G is alive while it runs; goid is not changing.
        Some(unsafe { (*gp).goid.get() })
    }
}
