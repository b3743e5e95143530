//! Mirrors Go src/internal/runtime/atomic/doc.go (go1.27).
//!
//! Go's runtime has its own atomic package so the scheduler does not depend on
//! `sync/atomic`. gort's equivalent is this facade: every lock-free state
//! machine in the runtime (the run queue, the park/ready slot) imports its
//! atomics from here, so that under `--cfg loom` the very same code is
//! compiled against loom's model-checked atomics instead of `std`'s.
//!
//! Unlike Go's package, which is sequentially consistent everywhere, each use
//! site here picks the weakest ordering that works and says why next to it.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};
