//! Mirrors Go src/runtime/netpoll.go (go1.27): the package view of the netpoller, its platform contract and gort's epoll backend.
//!
//! Go's runtime parks a goroutine that waits for a socket and asks the
//! operating system, from the scheduler, which sockets became ready. This
//! crate is that *netpoller* for gort: a [`Poller`] that a runtime installs
//! through gort-runtime's `Netpoll` hook (in its hidden `hooks` module, for
//! gort's own crates), and the `poll_runtime_poll*` entry points that the
//! poll layer (gort-poll, Go's internal/poll) calls on a [`PollDescHandle`].
//!
//! The poller is split the way Go splits it, along a written contract. Go's
//! netpoll.go lists the functions each platform file must define
//! (`netpollinit`, `netpollopen`, `netpollclose`, `netpoll`,
//! `netpollBreak`, `netpollIsPollDescriptor`) and keeps everything else
//! platform-independent. Here that list is the crate-private `PollBackend`
//! trait in `netpoll.rs`, whose documentation is the contract: readiness is
//! reported edge-triggered for both directions from a single registration;
//! reports may be spurious (early returns, stale or no-longer-true events)
//! but never lost; a break wakes a blocked or the next blocking `netpoll`
//! and is consumed only by a blocking one; every method but `netpollinit`
//! may run concurrently on any thread; nothing unwinds out of `netpoll`.
//! The [`Poller`] holds one backend and owns what all platforms share: the
//! pollDesc cache and its stale-event tags, the waiter counts, the folding
//! of concurrent breaks, and the lazy creation of the backend. The one
//! backend today is `Epoll` in `netpoll_epoll.rs` (Go's netpoll_epoll.go),
//! which does the epoll system calls and translates epoll's event bits;
//! a kqueue or io_uring backend would be one more such file and one more
//! `cfg` line choosing `DefaultBackend` below.
//!
//! Where to read: `netpoll.rs` (the contract, pollDesc, waits, deadlines,
//! close, the poller; Go's netpoll.go), `netpoll_info.rs` (the lock-free
//! handshake between a waiter and a deadline or close, modelled with loom),
//! then `netpoll_epoll.rs` (epoll and the break pipe; Go's
//! netpoll_epoll.go). Imports run one way: `netpoll_epoll.rs` uses the
//! contract's types from `netpoll.rs`, which never names the backend's file.
//!
//! ```
//! use std::io::Write;
//! use std::os::fd::AsFd;
//! use std::sync::Arc;
//! use gort_netpoll::{Mode, Poller, poll_runtime_poll_open};
//!
//! let rt = gort_runtime::Runtime::builder()
//!     .netpoll(Arc::new(Poller::new().unwrap()))
//!     .build()
//!     .unwrap();
//! rt.block_on(|| {
//!     let (r, w) = std::io::pipe().unwrap();
//!     // SAFETY: `r` outlives the handle (dropped at the end of the block).
//!     let pd = unsafe { poll_runtime_poll_open(r.as_fd()) }.unwrap();
//!     let writer = gort_runtime::spawn(move || (&w).write_all(b"x").unwrap());
//!     pd.poll_wait(Mode::Read).unwrap(); // parks this goroutine until `x` arrives
//!     writer.join().unwrap();
//! });
//! ```
//!
//! Only goroutines wait: [`PollDescHandle::poll_wait`] called where
//! [`gort_runtime::can_park`] is false (a plain thread, a timer callback,
//! inside `gort_runtime::blocking`) fails at once with
//! [`PollError::NotPollable`] (the runtime only polls for goroutines it
//! counts as netpoll waiters, so a parked thread could sleep forever); the
//! caller falls back to blocking I/O, as Go's poll layer does for a
//! descriptor it cannot poll. A goroutine of a runtime without a [`Poller`]
//! cannot register a descriptor at all: [`poll_runtime_poll_open`] fails
//! with [`NoPollerError`] there.
//!
//! Under `--cfg loom` only the lock-free handshake (`netpoll_info.rs`) and
//! its models are compiled.

// Under loom the crate exists only for the models, which use part of it.
#![cfg_attr(loom, allow(dead_code))]

#[cfg(not(loom))]
mod netpoll;
#[cfg(all(not(loom), any(target_os = "linux", target_os = "android")))]
mod netpoll_epoll;
mod netpoll_info;

// ANCHOR: DefaultBackend
/// The platform backend every [`Poller`] holds: the one place that names
/// it, so that `netpoll.rs` stays platform-independent.
#[cfg(all(not(loom), any(target_os = "linux", target_os = "android")))]
type DefaultBackend = netpoll_epoll::Epoll;

#[cfg(all(not(loom), not(any(target_os = "linux", target_os = "android"))))]
compile_error!(
    "gort-netpoll has an epoll backend only (Linux, Android): a new platform needs a \
     netpoll_<platform>.rs implementing netpoll.rs's PollBackend, chosen as DefaultBackend in lib.rs"
);
// ANCHOR_END: DefaultBackend

#[cfg(not(loom))]
pub use netpoll::{NoPollerError, PollDescHandle, Poller, is_no_poller, poll_runtime_poll_open};
pub use netpoll_info::{Mode, PollError};
