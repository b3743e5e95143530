//! Mirrors Go src/net/sockopt_posix.go (go1.27): the socket options a
//! conn exposes as methods.
//!
//! Each setter takes a reference on the poll FD for the call (through
//! `raw_control`), so it fails cleanly with the closed error on a closed
//! conn and never touches a descriptor number that was reused. Errors name
//! `setsockopt`, as Go's do.

use std::io;
use std::time::Duration;

use rustix::net::sockopt;

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;

/// Runs one `setsockopt` on the socket, naming it in any error (shared by
/// the TCP option files).
pub(crate) fn set(
    fd: &NetFD,
    f: impl FnOnce(std::os::fd::BorrowedFd<'_>) -> rustix::io::Result<()>,
) -> io::Result<()> {
    fd.pfd
        .raw_control(f)?
        .map_err(|e| wrap_syscall_error("setsockopt", e.into()))
}

/// `SO_RCVBUF` (Go's `setReadBuffer`).
pub(crate) fn set_read_buffer(fd: &NetFD, bytes: usize) -> io::Result<()> {
    set(fd, |s| sockopt::set_socket_recv_buffer_size(s, bytes))
}

/// `SO_SNDBUF` (Go's `setWriteBuffer`).
pub(crate) fn set_write_buffer(fd: &NetFD, bytes: usize) -> io::Result<()> {
    set(fd, |s| sockopt::set_socket_send_buffer_size(s, bytes))
}

/// `SO_KEEPALIVE` (Go's `setKeepAlive`).
pub(crate) fn set_keep_alive(fd: &NetFD, keepalive: bool) -> io::Result<()> {
    set(fd, |s| sockopt::set_socket_keepalive(s, keepalive))
}

/// `SO_LINGER` (Go's `setLinger`): `None` turns lingering off (close
/// returns at once and the kernel sends what is left in the background),
/// `Some(d)` makes close wait up to `d` for the data to go, and
/// `Some(Duration::ZERO)` discards it and resets the connection.
pub(crate) fn set_linger(fd: &NetFD, linger: Option<Duration>) -> io::Result<()> {
    set(fd, |s| sockopt::set_socket_linger(s, linger))
}
