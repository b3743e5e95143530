//! Mirrors Go src/net/sockaddr_posix.go (go1.27): addresses that can become
//! socket addresses, and back.
//!
//! Go's unexported `sockaddr` interface is what lets one `socket` function
//! serve TCP, UDP and Unix alike: each address type says which family it
//! belongs to, whether it is a wildcard (listen on every interface), and
//! how to encode itself for the kernel given the family the socket was
//! opened with (an IPv4 address is encoded as v4-mapped for an `AF_INET6`
//! socket). The reverse direction, a kernel address to a typed one, is
//! `addr_func`, picked by family and socket type as Go's `netFD.addrFunc`.

use std::io;

use rustix::net::SocketAddrAny;

use crate::network::Network;
use crate::{Addr, TcpAddr, UdpAddr, UnixAddr};

/// An address a socket can be bound or connected to (Go's `sockaddr`).
pub(crate) trait Sockaddr: Addr {
    /// The address family it prefers: `AF_INET`, `AF_INET6` or `AF_UNIX`.
    fn family(&self) -> i32;

    /// Whether it is the unspecified address (listen on all interfaces).
    fn is_wildcard(&self) -> bool;

    /// The kernel encoding for a socket of `family`; `None` for an
    /// address that needs no bind (Go returns a nil Sockaddr).
    fn sockaddr(&self, family: i32) -> io::Result<Option<SocketAddrAny>>;
}

/// Converts a kernel address into the typed address of a socket of this
/// family and type (Go's `netFD.addrFunc`).
pub(crate) fn addr_func(family: i32, sotype: i32) -> fn(&SocketAddrAny) -> Option<Box<dyn Addr>> {
    match family {
        libc::AF_INET | libc::AF_INET6 => match sotype {
            libc::SOCK_STREAM => |sa| TcpAddr::from_sockaddr(sa).map(|a| Box::new(a) as _),
            _ => |sa| UdpAddr::from_sockaddr(sa).map(|a| Box::new(a) as _),
        },
        _ => match sotype {
            libc::SOCK_STREAM => {
                |sa| UnixAddr::from_sockaddr(sa, Network::Unix).map(|a| Box::new(a) as _)
            }
            libc::SOCK_SEQPACKET => {
                |sa| UnixAddr::from_sockaddr(sa, Network::Unixpacket).map(|a| Box::new(a) as _)
            }
            _ => |sa| UnixAddr::from_sockaddr(sa, Network::Unixgram).map(|a| Box::new(a) as _),
        },
    }
}
