//! Mirrors Go src/net/sock_posix.go (go1.27): from a network name and
//! addresses to a ready socket.
//!
//! [`socket`] is the one road every TCP, UDP and Unix socket takes: open it
//! (nonblocking, close-on-exec), set Go's default options, then either
//! listen (a local address and no remote one, for a stream or datagram
//! type) or dial (bind the local address if given, connect to the remote
//! one if given). The user's `control` function runs just before the
//! socket is bound, so it can set options that must precede `bind(2)`
//! (`SO_REUSEPORT`, `IP_TRANSPARENT`, ...). On any error the socket is
//! closed before the error is returned: no descriptor leaks.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use gort_runtime::context::Context;

use crate::IP;
use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;
use crate::net::errs;
use crate::network::Network;
use crate::sock_cloexec::sys_socket;
use crate::sock_linux::listener_backlog;
use crate::sockaddr_posix::{SockAddr, Sockaddr};
use crate::sockopt_linux::{
    set_default_listener_sockopts, set_default_multicast_sockopts, set_default_sockopts,
};

/// A function that may adjust a socket after it is created and before it
/// is bound or connected (Go's `Dialer.Control` and `ListenConfig.Control`).
///
/// It gets the network (`"tcp4"`, `"tcp6"`, `"udp4"`, `"unix"`, ...), the
/// address being dialed or listened on, and the descriptor; an error aborts
/// the dial or listen. Go passes a `syscall.RawConn`; the descriptor is its
/// Rust equivalent (use `rustix::net::sockopt` or `setsockopt(2)` on it).
pub type Control = dyn Fn(&str, &str, BorrowedFd<'_>) -> io::Result<()> + Send + Sync;

/// Opens a socket and listens or dials (Go's `socket`). `ctx` (None: Go's
/// `context.Background()`) bounds a connect's handshake by its deadline and
/// can cancel it.
#[allow(clippy::too_many_arguments)] // Go's signature.
// ANCHOR: socket
pub(crate) fn socket(
    net: Network,
    family: i32,
    sotype: i32,
    proto: i32,
    ipv6only: bool,
    laddr: Option<&dyn Sockaddr>,
    raddr: Option<&dyn Sockaddr>,
    control: Option<&Control>,
    ctx: Option<&Context>,
) -> io::Result<NetFD> {
    let s = sys_socket(family, sotype, proto)?;
    set_default_sockopts(&s, family, sotype, ipv6only)?;
    if let (Some(la), None) = (laddr, raddr) {
        match sotype {
            libc::SOCK_STREAM | libc::SOCK_SEQPACKET => {
                return listen_stream(s, family, sotype, net, la, listener_backlog(), control);
            }
            libc::SOCK_DGRAM => return listen_datagram(s, family, sotype, net, la, control),
            _ => {}
        }
    }
    dial(s, family, sotype, net, laddr, raddr, control, ctx)
}
// ANCHOR_END: socket

/// The network name the control function sees: always with its family
/// (Go's `ctrlNetwork`).
fn ctrl_network(net: Network, family: i32) -> &'static str {
    net.with_family(family).as_str()
}

/// Binds (if `laddr`) and connects (if `raddr`) (Go's `netFD.dial`).
#[allow(clippy::too_many_arguments)]
fn dial(
    s: OwnedFd,
    family: i32,
    sotype: i32,
    net: Network,
    laddr: Option<&dyn Sockaddr>,
    raddr: Option<&dyn Sockaddr>,
    control: Option<&Control>,
    ctx: Option<&Context>,
) -> io::Result<NetFD> {
    if let Some(c) = control {
        let ctrl_addr = raddr
            .map(|a| a.to_string())
            .or_else(|| laddr.map(|a| a.to_string()))
            .unwrap_or_default();
        c(ctrl_network(net, family), &ctrl_addr, s.as_fd())?;
    }
    if let Some(la) = laddr
        && let Some(lsa) = la
            .sockaddr(family)
            .map_err(|e| wrap_syscall_error("bind", e))?
    {
        rustix::net::bind(&s, &lsa).map_err(|e| wrap_syscall_error("bind", e.into()))?;
    }
    let (mut fd, crsa) = match raddr {
        Some(ra) => {
            let rsa = ra
                .sockaddr(family)
                .map_err(|e| wrap_syscall_error("connect", e))?
                .ok_or_else(errs::missing_address)?;
            let (fd, crsa) = NetFD::connect(s, family, sotype, net, &rsa, ctx)?;
            (fd, crsa)
        }
        None => (NetFD::new(s, family, sotype, net)?, None),
    };
    fd.is_connected = raddr.is_some();
    let laddr_out = fd.local_sock_addr()?;
    let raddr_out = match crsa.or_else(|| fd.getpeername()) {
        Some(rsa) => fd.decode(&rsa),
        None => raddr.map(|a| a.to_sock_addr()),
    };
    fd.set_addr(laddr_out, raddr_out);
    Ok(fd)
}

/// Binds and listens (Go's `netFD.listenStream`).
// ANCHOR: listenStream
fn listen_stream(
    s: OwnedFd,
    family: i32,
    sotype: i32,
    net: Network,
    laddr: &dyn Sockaddr,
    backlog: i32,
    control: Option<&Control>,
) -> io::Result<NetFD> {
    set_default_listener_sockopts(&s)?;
    let lsa = laddr
        .sockaddr(family)
        .map_err(|e| wrap_syscall_error("bind", e))?
        .ok_or_else(errs::missing_address)?;
    if let Some(c) = control {
        c(ctrl_network(net, family), &laddr.to_string(), s.as_fd())?;
    }
    rustix::net::bind(&s, &lsa).map_err(|e| wrap_syscall_error("bind", e.into()))?;
    rustix::net::listen(&s, backlog).map_err(|e| wrap_syscall_error("listen", e.into()))?;
    let mut fd = NetFD::new(s, family, sotype, net)?;
    let l = fd.local_sock_addr()?;
    fd.set_addr(l, None);
    Ok(fd)
}
// ANCHOR_END: listenStream

/// Binds a datagram socket (Go's `netFD.listenDatagram`). A multicast UDP
/// address is bound as the wildcard with `SO_REUSEADDR`, so several
/// sockets can receive the group's packets.
fn listen_datagram(
    s: OwnedFd,
    family: i32,
    sotype: i32,
    net: Network,
    laddr: &dyn Sockaddr,
    control: Option<&Control>,
) -> io::Result<NetFD> {
    let mut wildcard_copy = None;
    if let SockAddr::Udp(u) = laddr.to_sock_addr()
        && !u.ip.is_nil()
        && u.ip.is_multicast()
    {
        set_default_multicast_sockopts(&s)?;
        let mut any = u;
        any.ip = if family == libc::AF_INET {
            IP::v4(0, 0, 0, 0)
        } else {
            IP::from(std::net::Ipv6Addr::UNSPECIFIED)
        };
        wildcard_copy = Some(any);
    }
    let laddr: &dyn Sockaddr = match &wildcard_copy {
        Some(a) => a,
        None => laddr,
    };
    let lsa = laddr
        .sockaddr(family)
        .map_err(|e| wrap_syscall_error("bind", e))?
        .ok_or_else(errs::missing_address)?;
    if let Some(c) = control {
        c(ctrl_network(net, family), &laddr.to_string(), s.as_fd())?;
    }
    rustix::net::bind(&s, &lsa).map_err(|e| wrap_syscall_error("bind", e.into()))?;
    let mut fd = NetFD::new(s, family, sotype, net)?;
    let l = fd.local_sock_addr()?;
    fd.set_addr(l, None);
    Ok(fd)
}
