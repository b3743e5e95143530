//! Mirrors Go src/runtime/netpoll.go (go1.27): the package view of the netpoller, gort's epoll integration.
//!
//! Go's runtime parks a goroutine that waits for a socket and asks the
//! operating system, from the scheduler, which sockets became ready. This
//! crate is that *netpoller* for gort: a [`Poller`] (one epoll instance, a
//! break pipe and the registered descriptors) that a runtime installs
//! through gort-runtime's [`Netpoll`](gort_runtime::Netpoll) hook, and the
//! `poll_runtime_poll*` entry points that the poll layer (gort-poll, Go's
//! internal/poll) calls on a [`PollDescHandle`].
//!
//! Where to read: `netpoll.rs` (pollDesc, waits, deadlines, close; Go's
//! netpoll.go), `netpoll_info.rs` (the lock-free handshake between a waiter
//! and a deadline or close, modelled with loom), then `netpoll_epoll.rs`
//! (epoll, the break pipe, `netpoll` itself; Go's netpoll_epoll.go).
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
//! Only goroutines wait: [`PollDescHandle::poll_wait`] called from a plain
//! thread, a timer callback or inside `gort_runtime::blocking` fails at once
//! with [`PollError::NotPollable`] (the runtime only polls for goroutines it
//! counts as netpoll waiters, so a parked thread could sleep forever); the
//! caller falls back to blocking I/O, as Go's poll layer does for a
//! descriptor it cannot poll.

//!
//! Under `--cfg loom` only the lock-free handshake (`netpoll_info.rs`) and
//! its models are compiled.

// Under loom the crate exists only for the models, which use part of it.
#![cfg_attr(loom, allow(dead_code))]

#[cfg(not(loom))]
mod netpoll;
#[cfg(not(loom))]
mod netpoll_epoll;
mod netpoll_info;

#[cfg(not(loom))]
pub use netpoll::{PollDescHandle, poll_runtime_poll_open};
#[cfg(not(loom))]
pub use netpoll_epoll::Poller;
pub use netpoll_info::{Mode, PollError};
