//! Mirrors Go src/net/sockopt_linux.go (go1.27): the options every new
//! socket gets.
//!
//! Go sets few options by default, each for a reason a user would notice:
//! an `AF_INET6` socket states whether it also carries IPv4 (so `tcp6`
//! means v6 only, `tcp` on a v6 socket means both); datagram sockets may
//! broadcast; listeners set `SO_REUSEADDR`, so a restarted server can bind
//! its port while old connections sit in TIME_WAIT.

use std::io;
use std::os::fd::AsFd;

use rustix::net::sockopt;

use crate::error_posix::wrap_syscall_error;

/// Options for a new socket (Go's `setDefaultSockopts`).
// ANCHOR: setDefaultSockopts
pub(crate) fn set_default_sockopts(
    s: impl AsFd,
    family: i32,
    sotype: i32,
    ipv6only: bool,
) -> io::Result<()> {
    if family == libc::AF_INET6 && sotype != libc::SOCK_RAW {
        // Go ignores a failure here too: some kernels reject the option.
        let _ = sockopt::set_ipv6_v6only(&s, ipv6only);
    }
    if (sotype == libc::SOCK_DGRAM || sotype == libc::SOCK_RAW) && family != libc::AF_UNIX {
        sockopt::set_socket_broadcast(&s, true)
            .map_err(|e| wrap_syscall_error("setsockopt", e.into()))?;
    }
    Ok(())
}
// ANCHOR_END: setDefaultSockopts

/// Options for a listening socket (Go's `setDefaultListenerSockopts`).
// ANCHOR: setDefaultListenerSockopts
pub(crate) fn set_default_listener_sockopts(s: impl AsFd) -> io::Result<()> {
    sockopt::set_socket_reuseaddr(&s, true).map_err(|e| wrap_syscall_error("setsockopt", e.into()))
}
// ANCHOR_END: setDefaultListenerSockopts

/// Options for a socket joining multicast groups: several listeners may
/// share the group's port (Go's `setDefaultMulticastSockopts`).
pub(crate) fn set_default_multicast_sockopts(s: impl AsFd) -> io::Result<()> {
    sockopt::set_socket_reuseaddr(&s, true).map_err(|e| wrap_syscall_error("setsockopt", e.into()))
}
