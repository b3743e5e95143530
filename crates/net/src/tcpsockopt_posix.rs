//! Mirrors Go src/net/tcpsockopt_posix.go (go1.27): `TCP_NODELAY`.
//!
//! Go turns Nagle's algorithm off on every TCP connection (small writes go
//! out at once rather than waiting to be coalesced), and lets the user turn
//! it back on with `SetNoDelay(false)`.

use std::io;

use crate::fd_posix::NetFD;

/// `TCP_NODELAY` (Go's `setNoDelay`).
pub(crate) fn set_no_delay(fd: &NetFD, no_delay: bool) -> io::Result<()> {
    crate::sockopt_posix::set(fd, |s| rustix::net::sockopt::set_tcp_nodelay(s, no_delay))
}
