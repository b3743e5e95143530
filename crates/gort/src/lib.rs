//! gort: Go's network runtime, rebuilt in Rust.
//!
//! Write blocking code in goroutines; the runtime parks the goroutine, not the
//! thread, exactly as Go does. This facade is the crate users import: it
//! re-exports the runtime (and, as they land, the netpoller-backed `net`
//! package) so that user code never names the inner crates.
//!
//! ```
//! use std::time::Duration;
//!
//! let answer = gort::run(|| {
//!     let h = gort::spawn(|| {
//!         gort::time::sleep(Duration::from_millis(1)); // parks this goroutine only
//!         42
//!     });
//!     h.join().unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! See the README for the rules of cooperative scheduling and the limitations.

pub use gort_runtime::{
    Builder, GoBuilder, JoinHandle, Runtime, Stats, blocking, go, goid, run, spawn, yield_now,
};

/// Time: sleeping without blocking the thread (Go's `time` package, growing).
pub mod time {
    pub use gort_runtime::time::{AfterFunc, after_func, sleep};
}

/// Low-level runtime hooks for the layers above the scheduler (netpoll, poll,
/// sync): parking and readying goroutines, semaphores, the netpoll contract.
pub mod runtime {
    pub use gort_runtime::{
        Gp, Netpoll, NoNetpoll, ParkSlot, WaitReason, current_mp, current_netpoll, gopark, goready,
        goready_param, netpoll_add_waiter, semacquire, semrelease, token_goroutine, wake_token,
    };
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
