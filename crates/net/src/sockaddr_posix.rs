//! Mirrors Go src/net/sockaddr_posix.go (go1.27): addresses that can become
//! socket addresses, and back.
//!
//! Go's unexported `sockaddr` interface is what lets one `socket` function
//! serve TCP, UDP and Unix alike: each address type says which family it
//! belongs to, whether it is a wildcard (listen on every interface), and
//! how to encode itself for the kernel given the family the socket was
//! opened with (an IPv4 address is encoded as v4-mapped for an `AF_INET6`
//! socket).
//!
//! The reverse direction, a kernel address to a typed one, is
//! [`SockAddr::from_raw`], picked by family and socket type as Go's
//! `netFD.addrFunc`. [`SockAddr`] is also how a [`NetFD`] keeps its two
//! addresses: Go stores them as `Addr` interface values and type-asserts
//! them back in each conn's `LocalAddr`; gort keeps one enum of the four
//! address types, and each conn type takes its own out of it
//! ([`FromSockAddr`]). A boxed `dyn Addr` is made only where a Go-shaped
//! interface asks for one (`Conn::local_addr`, an `OpError`).
//!
//! [`NetFD`]: crate::fd_posix::NetFD

use std::fmt;
use std::io;

use rustix::net::SocketAddrAny;

use crate::network::Network;
use crate::{Addr, IPAddr, TcpAddr, UdpAddr, UnixAddr};

/// An address a socket can be bound or connected to (Go's `sockaddr`).
pub(crate) trait Sockaddr: fmt::Display {
    /// The address family it prefers: `AF_INET`, `AF_INET6` or `AF_UNIX`.
    fn family(&self) -> i32;

    /// Whether it is the unspecified address (listen on all interfaces).
    fn is_wildcard(&self) -> bool;

    /// The kernel encoding for a socket of `family`; `None` for an
    /// address that needs no bind (Go returns a nil Sockaddr).
    fn sockaddr(&self, family: i32) -> io::Result<Option<SocketAddrAny>>;

    /// The address as a [`NetFD`](crate::fd_posix::NetFD) keeps it.
    fn to_sock_addr(&self) -> SockAddr;
}

/// A socket's address as the net layer keeps it: one of the four address
/// types, which one following from the socket's family and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SockAddr {
    /// An IPv4 or IPv6 stream socket's.
    Tcp(TcpAddr),
    /// An IPv4 or IPv6 datagram socket's.
    Udp(UdpAddr),
    /// A Unix socket's, of any type.
    Unix(UnixAddr),
    /// An IPv4 or IPv6 raw socket's (`SOCK_RAW`): no port.
    Ip(IPAddr),
}

impl SockAddr {
    /// Decodes a kernel address for a socket of this family and type (Go's
    /// `netFD.addrFunc` and the `sockaddrTo*` function it picks). `None`
    /// when `sa` is not of the socket's family.
    pub(crate) fn from_raw(family: i32, sotype: i32, sa: &SocketAddrAny) -> Option<SockAddr> {
        match (family, sotype) {
            (libc::AF_INET | libc::AF_INET6, libc::SOCK_STREAM) => {
                TcpAddr::from_sockaddr(sa).map(SockAddr::Tcp)
            }
            (libc::AF_INET | libc::AF_INET6, libc::SOCK_RAW) => {
                IPAddr::from_sockaddr(sa).map(SockAddr::Ip)
            }
            (libc::AF_INET | libc::AF_INET6, _) => UdpAddr::from_sockaddr(sa).map(SockAddr::Udp),
            (_, sotype) => {
                UnixAddr::from_sockaddr(sa, Network::unix_of_sotype(sotype)).map(SockAddr::Unix)
            }
        }
    }

    /// The address of a socket of this family and type that has none yet:
    /// the wildcard (`:0`) or the unnamed Unix address. What a
    /// [`NetFD`](crate::fd_posix::NetFD) holds between its creation and
    /// `set_addr`.
    pub(crate) fn unnamed(family: i32, sotype: i32) -> SockAddr {
        match (family, sotype) {
            (libc::AF_INET | libc::AF_INET6, libc::SOCK_STREAM) => {
                SockAddr::Tcp(TcpAddr::default())
            }
            (libc::AF_INET | libc::AF_INET6, libc::SOCK_RAW) => SockAddr::Ip(IPAddr::default()),
            (libc::AF_INET | libc::AF_INET6, _) => SockAddr::Udp(UdpAddr::default()),
            (_, sotype) => SockAddr::Unix(UnixAddr {
                name: String::new(),
                net: Network::unix_of_sotype(sotype),
            }),
        }
    }

    /// A Go-shaped address (a [`Dialer`](crate::Dialer)'s `local_addr`, the
    /// destination of [`PacketConn::write_to`](crate::PacketConn::write_to))
    /// as one of ours; `None` for any other type of address (a
    /// [`PipeAddr`](crate::PipeAddr), an [`IPNet`](crate::IPNet), a type
    /// of the caller's). The one place a `dyn Addr` is looked into.
    pub(crate) fn from_dyn(a: &dyn Addr) -> Option<SockAddr> {
        let any = a.as_any();
        if let Some(t) = any.downcast_ref::<TcpAddr>() {
            Some(SockAddr::Tcp(t.clone()))
        } else if let Some(u) = any.downcast_ref::<UdpAddr>() {
            Some(SockAddr::Udp(u.clone()))
        } else if let Some(i) = any.downcast_ref::<IPAddr>() {
            Some(SockAddr::Ip(i.clone()))
        } else {
            any.downcast_ref::<UnixAddr>().cloned().map(SockAddr::Unix)
        }
    }

    /// The address as Go's `Addr` interface value.
    pub(crate) fn boxed(&self) -> Box<dyn Addr> {
        match self {
            SockAddr::Tcp(a) => Box::new(a.clone()),
            SockAddr::Udp(a) => Box::new(a.clone()),
            SockAddr::Unix(a) => Box::new(a.clone()),
            SockAddr::Ip(a) => Box::new(a.clone()),
        }
    }

    /// The address as an `OpError` names it (Go's `opAddr`).
    pub(crate) fn op_addr(a: Option<&SockAddr>) -> Option<Box<dyn Addr>> {
        a.map(SockAddr::boxed)
    }
}

impl fmt::Display for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::Tcp(a) => a.fmt(f),
            SockAddr::Udp(a) => a.fmt(f),
            SockAddr::Unix(a) => a.fmt(f),
            SockAddr::Ip(a) => a.fmt(f),
        }
    }
}

/// The address type a conn reports, taken out of the [`SockAddr`] its
/// socket keeps. Each conn type's socket holds its own type of address
/// (the family and socket type that decide one decide the other), so any
/// other is a broken invariant, and panics.
pub(crate) trait FromSockAddr: Sized {
    /// `sa`'s address of this type.
    fn from_sock_addr(sa: &SockAddr) -> Self;
}

macro_rules! from_sock_addr {
    ($t:ty, $variant:ident, $what:literal) => {
        impl FromSockAddr for $t {
            fn from_sock_addr(sa: &SockAddr) -> $t {
                match sa {
                    SockAddr::$variant(a) => a.clone(),
                    other => panic!(
                        concat!("net: ", $what, " socket with the address {:?}"),
                        other
                    ),
                }
            }
        }
    };
}

from_sock_addr!(TcpAddr, Tcp, "a TCP");
from_sock_addr!(UdpAddr, Udp, "a UDP");
from_sock_addr!(UnixAddr, Unix, "a Unix");
from_sock_addr!(IPAddr, Ip, "a raw IP");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IP;

    #[test]
    fn from_raw_picks_the_type_by_family_and_socket_type() {
        let v4: SocketAddrAny = std::net::SocketAddrV4::new([127, 0, 0, 1].into(), 80).into();
        let tcp = SockAddr::from_raw(libc::AF_INET, libc::SOCK_STREAM, &v4).unwrap();
        assert_eq!(tcp, SockAddr::Tcp(TcpAddr::new(IP::v4(127, 0, 0, 1), 80)));
        let udp = SockAddr::from_raw(libc::AF_INET, libc::SOCK_DGRAM, &v4).unwrap();
        assert_eq!(udp.to_string(), "127.0.0.1:80");
        assert!(matches!(udp, SockAddr::Udp(_)));
        assert!(SockAddr::from_raw(libc::AF_UNIX, libc::SOCK_STREAM, &v4).is_none());
        let raw = SockAddr::from_raw(libc::AF_INET, libc::SOCK_RAW, &v4).unwrap();
        assert_eq!(raw, SockAddr::Ip(IPAddr::new(IP::v4(127, 0, 0, 1))));
        assert_eq!(
            raw.to_string(),
            "127.0.0.1",
            "a raw socket's address has no port"
        );
        assert_eq!(
            SockAddr::unnamed(libc::AF_INET6, libc::SOCK_RAW),
            SockAddr::Ip(IPAddr::default())
        );
        let unnamed = SockAddr::unnamed(libc::AF_UNIX, libc::SOCK_SEQPACKET);
        assert_eq!(UnixAddr::from_sock_addr(&unnamed).net, Network::Unixpacket);
    }

    #[test]
    fn from_dyn_takes_only_our_address_types() {
        let t: Box<dyn Addr> = Box::new(TcpAddr::default());
        assert_eq!(
            SockAddr::from_dyn(&*t),
            Some(SockAddr::Tcp(TcpAddr::default()))
        );
        assert_eq!(SockAddr::from_dyn(&crate::PipeAddr), None);
        let i = SockAddr::Ip(IPAddr::new(IP::v4(10, 0, 0, 2)));
        assert_eq!(SockAddr::from_dyn(&*i.boxed()), Some(i));
        let u = SockAddr::Udp(UdpAddr::new(IP::v4(10, 0, 0, 1), 9));
        assert_eq!(SockAddr::from_dyn(&*u.boxed()), Some(u));
    }

    #[test]
    #[should_panic(expected = "net: a TCP socket with the address")]
    fn a_conn_never_reads_another_type_of_address() {
        TcpAddr::from_sock_addr(&SockAddr::unnamed(libc::AF_INET, libc::SOCK_DGRAM));
    }
}
