//! Mirrors Go src/net/sock_cloexec.go (go1.27): opening a socket that is
//! nonblocking and close-on-exec from birth.
//!
//! Setting `O_NONBLOCK` and `FD_CLOEXEC` after `socket(2)` would leave a
//! window in which a concurrent `fork`+`exec` inherits the descriptor;
//! Linux takes both flags in the type argument, so there is no window.

use std::io;
use std::os::fd::OwnedFd;

use rustix::net::{AddressFamily, Protocol, SocketFlags, SocketType};

use crate::error_posix::wrap_syscall_error;

/// `socket(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC` (Go's `sysSocket`).
// ANCHOR: sysSocket
pub(crate) fn sys_socket(family: i32, sotype: i32, proto: i32) -> io::Result<OwnedFd> {
    let proto = std::num::NonZeroU32::new(proto as u32).map(Protocol::from_raw);
    rustix::net::socket_with(
        AddressFamily::from_raw(family as u16),
        SocketType::from_raw(sotype as u32),
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        proto,
    )
    .map_err(|e| wrap_syscall_error("socket", e.into()))
}
// ANCHOR_END: sysSocket
