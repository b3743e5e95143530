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
//! Where to read:
//!
//! * [`fd_mutex`]: [`FdMutex`], Go's `fdMutex` (lifetime and read/write
//!   serialization of one descriptor).
//! * `fd_unix.rs`: [`FD`] itself, its `close` protocol and its I/O loops
//!   (Go's `fd_unix.go`, `writev.go`), with `fd_posix.rs` (the calls every
//!   POSIX system shares, and the EINTR rule).
//! * `fd_poll_runtime.rs`: the link to gort-netpoll and the deadlines (Go's
//!   `fd_poll_runtime.go`).
//! * `sockopt.rs`, `sockopt_unix.rs`, `sockoptip.rs`, `sockopt_linux.rs`:
//!   socket options set and read under an fdMutex reference
//!   ([`FD::setsockopt_int`] and its siblings; Go's `sockopt*.go`).
//! * `splice_linux.rs` and `sendfile_unix.rs`: the zero-copy moves,
//!   [`splice`] (socket → pipe → socket, with a pool of pipes) and
//!   [`send_file`] (file → socket), that net's `read_from`/`write_to` use
//!   (Go's `splice_linux.go`, `sendfile_unix.go`).
//! * `rlimit.rs`: [`raise_nofile_limit`], the soft open-files limit raised
//!   to the hard one at start-up (Go's `syscall/rlimit.go`).
//! * [`fd`]: the errors (`ErrNetClosing`, `ErrDeadlineExceeded`, ...), as
//!   typed errors inside `std::io::Error`.
//!
//! Under `--cfg loom` the crate builds [`FdMutex`] on loom's atomics and a
//! loom semaphore instead of gort-runtime's, so its model checks run without
//! a scheduler; the `FD` and everything on the netpoller is left out there.

mod atomic;
#[cfg(not(loom))]
pub mod fd;
pub mod fd_mutex;
#[cfg(not(loom))]
mod fd_poll_runtime;
#[cfg(not(loom))]
mod fd_posix;
#[cfg(not(loom))]
mod fd_unix;
#[cfg(not(loom))]
mod rlimit;
#[cfg(not(loom))]
mod sendfile_unix;
#[cfg(not(loom))]
mod sockopt;
#[cfg(all(not(loom), target_os = "linux"))]
mod sockopt_linux;
#[cfg(not(loom))]
mod sockopt_unix;
#[cfg(not(loom))]
mod sockoptip;
#[cfg(all(not(loom), target_os = "linux"))]
mod splice_linux;

pub use fd_mutex::FdMutex;
#[cfg(not(loom))]
pub use fd_poll_runtime::convert_err;
#[cfg(not(loom))]
pub use fd_unix::{FD, FdKind, MAX_RW, MAX_VEC, THREAD_POLL_SLICE_NS};
#[cfg(not(loom))]
pub use rlimit::raise_nofile_limit;
#[cfg(not(loom))]
pub use sendfile_unix::send_file;
#[cfg(all(not(loom), target_os = "linux"))]
pub use splice_linux::{MAX_SPLICE_SIZE, splice};
