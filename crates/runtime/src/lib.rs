//! Mirrors Go src/runtime/extern.go (go1.27): the runtime package's overview and its environment variables.
//!
//! gort-runtime runs *goroutines*: functions with their own stack that block
//! like threads but cost a few hundred bytes of bookkeeping and a lazily
//! committed stack, multiplexed by an M:N scheduler onto a few OS threads. It
//! is Go's scheduler (`src/runtime/proc.go`) rebuilt in Rust file by file; the
//! first line of each module names the Go file it follows.
//!
//! ```
//! let total = gort_runtime::run(|| {
//!     let handles: Vec<_> = (1..=100u64)
//!         .map(|i| gort_runtime::spawn(move || {
//!             gort_runtime::yield_now(); // let others run (scheduling is cooperative)
//!             i
//!         }))
//!         .collect();
//!     handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
//! });
//! assert_eq!(total, 5050);
//! ```
//!
//! Where to start reading: [`runtime2`](self) types (G, M, P) → `proc.rs`
//! (`newproc`, `gopark`, `goready`, `find_runnable`) → `asm_amd64.rs` (the
//! switch) → `stack.rs`, `time.rs`, `sema.rs`, `sysmon.rs`. On top of those:
//! [`chan`] and [`select!`] (Go's `chan.go`, `select.go`), [`sync`] (Go's
//! `src/sync` on `sema.rs`), [`time::Timer`]/[`time::Ticker`] (Go's
//! `time/sleep.go`, `tick.go`), [`context`] and
//! [`signal`] (Go's `os/signal`).
//!
//! What the layers above the scheduler are built on (gort-netpoll,
//! gort-poll, gort-net: `gopark`/`goready`, the park slot, the runtime
//! semaphore, the netpoller contract) is in a hidden `hooks` module, for
//! gort's own crates and without a stability promise, as Go keeps the same
//! functions out of its public API. A runtime built with this crate alone
//! has no netpoller: use the `gort` crate's `gort::run` or `gort::Builder`
//! for sockets.
//!
//! # Environment
//!
//! * `GORT_MAXPROCS=n`: the number of Ps (Go's `GOMAXPROCS`); default: the
//!   CPUs this process may use. [`Builder::procs`] overrides it.
//! * `GORT_DEBUG=schedtrace=X`: print a `SCHED` line to stderr every X ms,
//!   with GOMAXPROCS, idle Ps, threads, spinning and idle threads, the global
//!   and per-P run queue lengths (Go's `GODEBUG=schedtrace=X`).
//!
//! # Rules for code that runs in goroutines
//!
//! * Scheduling is cooperative: a goroutine runs until it blocks in the
//!   runtime (join, sleep, channels, sync, I/O through gort), calls [`yield_now`],
//!   or returns. Wrap thread-blocking calls in [`blocking`].
//! * A goroutine resumes on the OS thread it first ran on after any of
//!   those points, so thread-bound state (a `thread_local!` borrow, a
//!   `ThreadRng`) may be held across them; other goroutines of the same
//!   thread run meanwhile. Give a goroutine its `tracing` span with
//!   [`GoBuilder::span`] (or spawn it inside the span) rather than holding
//!   an entered guard across a park.
//! * Stacks are fixed-size (256 KiB by default, see [`Builder::stack_size`]);
//!   overflowing one kills the process with a clear message.
//!
//! Under `--cfg loom` only the state machines (`runq`, `park`, the channel
//! core of `chan`/`select`, and `sync_mutex`'s state word) and their models
//! are compiled.

mod atomic;
pub mod chan;
mod park;
mod runq;
pub mod select;
mod sync_mutex;

#[cfg(not(loom))]
mod asm_amd64;
#[cfg(not(loom))]
pub mod context;
#[cfg(not(loom))]
mod lock_futex;
#[cfg(not(loom))]
mod netpoll;
#[cfg(not(loom))]
mod panic;
#[cfg(not(loom))]
mod policy;
#[cfg(not(loom))]
mod proc;
#[cfg(not(loom))]
mod proc_blocking;
#[cfg(not(loom))]
mod runtime;
#[cfg(not(loom))]
mod runtime1;
#[cfg(not(loom))]
mod runtime2;
#[cfg(not(loom))]
mod sema;
#[cfg(not(loom))]
mod signal_unix;
#[cfg(not(loom))]
mod sigqueue;
#[cfg(not(loom))]
mod stack;
#[cfg(not(loom))]
mod stubs;
#[cfg(not(loom))]
mod sync_cond;
#[cfg(not(loom))]
mod sync_once;
#[cfg(not(loom))]
mod sync_rwmutex;
#[cfg(not(loom))]
mod sync_sema;
#[cfg(not(loom))]
mod sync_waitgroup;
#[cfg(not(loom))]
mod sysmon;
#[cfg(not(loom))]
pub mod time;
#[cfg(not(loom))]
mod time_sleep;
#[cfg(not(loom))]
mod time_tick;
#[cfg(not(loom))]
mod trace;

#[cfg(not(loom))]
pub use panic::Goexit;
#[cfg(not(loom))]
pub use proc::{can_park, preempt_point, yield_now};
#[cfg(not(loom))]
pub use proc_blocking::blocking;
#[cfg(not(loom))]
pub use runtime::{Builder, GoBuilder, JoinHandle, Runtime, Stats, goid, parked, run, spawn};
#[cfg(not(loom))]
pub use runtime2::WaitReason;

/// The runtime's hooks for the layers above it: for gort's own crates
/// (gort-netpoll, gort-poll, gort-net) and their tests and benchmarks; no
/// stability promise. Go links the same functions into `internal/poll` and
/// `net` with `//go:linkname` and keeps them out of its public API; gort
/// needs them across crate boundaries, so they are `pub` but hidden here,
/// in one place, and the `gort` facade does not re-export them.
///
/// * Parking and readying: [`gopark`](hooks::gopark),
///   [`gopark_cancellable`](hooks::gopark_cancellable),
///   [`goready`](hooks::goready), [`goready_param`](hooks::goready_param),
///   the goroutine handle [`Gp`](hooks::Gp) and
///   [`WaitReason`](hooks::WaitReason); the one-waiter word
///   [`ParkSlot`](hooks::ParkSlot) (Go's pollDesc `rg`/`wg`) with
///   [`token_goroutine`](hooks::token_goroutine) and
///   [`wake_token`](hooks::wake_token) for the waker's side.
/// * The runtime semaphore of Go's `internal/poll` and `sync`:
///   [`semacquire`](hooks::semacquire), [`semrelease`](hooks::semrelease).
/// * The network poller: the [`Netpoll`](hooks::Netpoll) contract the
///   scheduler drives, [`NoNetpoll`](hooks::NoNetpoll) (the runtime's
///   stand-in when none is installed), `Builder::netpoll` (a hidden method,
///   which installs one), [`current_netpoll`](hooks::current_netpoll) (the
///   installed poller, typed, for the crate that installed it) and
///   [`netpoll_add_waiter`](hooks::netpoll_add_waiter).
/// * [`RawTimer`](hooks::RawTimer): a runtime timer whose callback runs on
///   the scheduler's stack (netpoll's deadlines).
/// * [`current_mp`](hooks::current_mp): which P and M run the caller, a
///   diagnostic for the pinning tests.
///
/// Whether the caller may park is public: [`can_park`].
#[doc(hidden)]
pub mod hooks {
    pub use crate::park::ParkSlot;
    #[cfg(not(loom))]
    pub use crate::{
        netpoll::{Netpoll, NoNetpoll, current_netpoll},
        park::{token_goroutine, wake_token},
        proc::{gopark, gopark_cancellable, goready, goready_param, netpoll_add_waiter},
        runtime::current_mp,
        runtime2::{Gp, WaitReason},
        sema::{semacquire, semrelease},
        time::RawTimer,
    };
}

/// Go's `runtime/debug`: [`free_os_memory`](debug::free_os_memory) gives the
/// pages of free goroutine stacks back to the kernel now rather than when
/// the scavenger gets to them.
#[doc(alias = "runtime/debug")]
#[cfg(not(loom))]
pub mod debug {
    pub use crate::stack::free_os_memory;
}

/// Go's `sync` package: [`Mutex`](sync::Mutex) (and the data-less
/// [`RawMutex`](sync::RawMutex)), [`RwLock`](sync::RwLock),
/// [`WaitGroup`](sync::WaitGroup), [`Once`](sync::Once), [`Cond`](sync::Cond)
/// and a counting [`Semaphore`](sync::Semaphore). Waiting parks the goroutine,
/// never its thread; from a plain OS thread outside the runtime they block
/// the thread, so goroutines and threads can share them.
#[cfg(not(loom))]
pub mod sync {
    pub use crate::sync_cond::Cond;
    pub use crate::sync_mutex::{Mutex, MutexGuard, RawMutex};
    pub use crate::sync_once::Once;
    pub use crate::sync_rwmutex::{RwLock, RwLockReadGuard, RwLockWriteGuard};
    pub use crate::sync_sema::Semaphore;
    pub use crate::sync_waitgroup::WaitGroup;
}

/// Go's `os/signal`: [`notify`](signal::notify) relays Unix signals
/// (`SIGINT`, `SIGTERM`, `SIGHUP`, ...) to a channel, so a goroutine can
/// wait for them, alone or in a [`select!`] beside other channels;
/// [`Notify::stop`](signal::Notify::stop), [`reset`](signal::reset) and
/// [`ignore`](signal::ignore) undo or replace that. The handler only marks
/// the signal pending and wakes a watcher thread, which offers it to each
/// subscriber's channel without waiting (Go's `runtime/sigqueue.go`).
///
/// ```
/// use std::time::Duration;
/// use gort_runtime::signal::{self, SIGHUP};
///
/// gort_runtime::run(|| {
///     let sigs = signal::notify(&[SIGHUP]).unwrap();
///     // SAFETY: raise(3) only sends a signal to this thread.
///     unsafe { libc::raise(SIGHUP.as_raw()) };
///     let got = gort_runtime::select! {
///         recv(sigs.c) -> s => s,
///         recv(gort_runtime::time::after(Duration::from_secs(10))) -> _ => None,
///     };
///     assert_eq!(got, Some(SIGHUP));
/// });
/// ```
#[cfg(not(loom))]
#[doc(alias = "os/signal")]
pub mod signal {
    pub use crate::sigqueue::*;
}
