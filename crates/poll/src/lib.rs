//! Mirrors Go src/internal/poll/fd.go (go1.27): the package overview.
//!
//! gort-poll is Go's `internal/poll`: the layer between the netpoller
//! (gort-netpoll, Go's `runtime/netpoll*.go`) and the `net` and `os` packages.
//! Its `FD` wraps one nonblocking descriptor so that a goroutine calling
//! `Read` on it blocks as if the call were blocking, while in fact the
//! goroutine is parked until the netpoller reports the descriptor ready,
//! and its M runs other goroutines meanwhile. Every `FD` guards its
//! descriptor with an [`FdMutex`]: reads are serialized against reads and
//! writes against writes, and `Close` may be called at any time, from any
//! goroutine, without a concurrent operation ever touching a descriptor
//! number that has been closed and reused.
//!
//! What exists so far:
//!
//! * [`fd_mutex`]: [`FdMutex`], Go's `fdMutex`.
//!
//! Next: the `FD` itself (Go's `fd_unix.go`, `fd_poll_runtime.go`), on top of
//! gort-netpoll.
//!
//! Under `--cfg loom` the crate builds [`FdMutex`] on loom's atomics and a
//! loom semaphore instead of gort-runtime's, so its model checks run without
//! a scheduler.

mod atomic;
pub mod fd_mutex;

pub use fd_mutex::FdMutex;
