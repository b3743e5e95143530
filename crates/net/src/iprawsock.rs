//! Mirrors Go src/net/iprawsock.go (go1.27): IP end point addresses and raw IP sockets.
//!
//! Go's `iprawsock.go` holds two things. [`IPAddr`] is an IP address with
//! its IPv6 zone and no port: what the resolver hands back (every name
//! lookup produces `IPAddr`s, which dialing then turns into TCP or UDP
//! addresses) and the address of a raw socket. [`IPConn`] is the raw IP
//! socket (`SOCK_RAW`): it sends and receives the payloads of one IP
//! protocol, named after the network as a number or a name from
//! `/etc/protocols` (`"ip4:icmp"`, `"ip6:58"`, `"ip:tcp"`); a network
//! without one (`"ip4"`) is Go's `unknown network ip4`. Opening one needs
//! `CAP_NET_RAW` on Linux; without it the dial or listen fails with
//! `socket: operation not permitted`.
//!
//! Each datagram read is one packet. What the kernel puts in front of the
//! payload follows Go: an IPv4 raw socket receives the whole IP packet,
//! header included, and [`IPConn::read_from`] (and `PacketConn::read_from`)
//! cut that header off (Go's `stripIPv4Header`), while
//! [`read`](IPConn::read) and [`read_msg_ip`](IPConn::read_msg_ip) return
//! the packet as the kernel gave it, header and all, as Go's `Read` and
//! `ReadMsgIP` do. An IPv6 raw socket never receives the header. Sends
//! carry the payload only; the kernel writes the IP header.
//!
//! [`dial`](crate::dial), [`listen_packet`](crate::listen_packet) and the
//! [`Dialer`](crate::Dialer) open raw sockets too, from an address without
//! a port (`dial("ip4:icmp", "127.0.0.1")`), as in Go.

use std::any::Any;
use std::fmt;
use std::io;
use std::str::FromStr;

use crate::fd_posix::NetFD;
use crate::iprawsock_posix::{do_dial_ip, do_listen_ip};
use crate::net::{ConnBase, conn_impls, op_addr};
use crate::network::{Network, socket_network};
use crate::sockaddr_posix::SockAddr;
use crate::udpsock::bare_errno;
use crate::{Addr, IP, Op, OpError, UnknownNetworkError};

/// The address of an IP end point: an IP and, for IPv6 scoped addresses,
/// a zone (Go's `*net.IPAddr`).
///
/// Displays as Go's `String()`: the IP, followed by `%zone` when the zone
/// is not empty (`fe80::1%eth0`). A nil IP prints as the empty string, as
/// Go's `ipEmptyString` does, so `IPAddr::default()` prints nothing.
///
/// ```
/// use gort_net::{IP, IPAddr};
///
/// let a = IPAddr { ip: IP::v4(192, 0, 2, 1), zone: String::new() };
/// assert_eq!(a.to_string(), "192.0.2.1");
/// let b = IPAddr { ip: "fe80::1".parse().unwrap(), zone: "eth0".into() };
/// assert_eq!(b.to_string(), "fe80::1%eth0");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IPAddr {
    /// The IP address; [`IP::NIL`] means none (the wildcard, to Listen).
    pub ip: IP,
    /// The IPv6 scoped addressing zone (an interface name), or empty.
    pub zone: String,
}

impl IPAddr {
    /// The address `ip`, with no zone.
    pub fn new(ip: IP) -> IPAddr {
        IPAddr {
            ip,
            zone: String::new(),
        }
    }

    /// Whether this is a wildcard address: no IP, or 0.0.0.0 or `::` (Go's
    /// `isWildcard`).
    #[doc(alias = "isWildcard")]
    pub fn is_wildcard(&self) -> bool {
        self.ip.is_nil() || self.ip.is_unspecified()
    }
}

impl fmt::Display for IPAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.ip.is_nil() {
            write!(f, "{}", self.ip)?;
        }
        if !self.zone.is_empty() {
            write!(f, "%{}", self.zone)?;
        }
        Ok(())
    }
}

impl Addr for IPAddr {
    /// Always `"ip"` (Go's `IPAddr.Network`).
    fn network(&self) -> &'static str {
        "ip"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(self.clone())
    }
}

impl FromStr for IPAddr {
    type Err = io::Error;

    /// Resolves a host (no port) as [`resolve_ip_addr`]`("ip", s)` does.
    fn from_str(s: &str) -> io::Result<IPAddr> {
        resolve_ip_addr("ip", s)
    }
}

/// Resolves a host name or IP literal (no port; an IPv6 zone may follow a
/// `%`) to one IP address (Go's `ResolveIPAddr`).
///
/// `network` is `"ip"`, `"ip4"` or `"ip6"`, with or without a protocol
/// (`"ip4:icmp"`), or `""`, taken as `"ip"`. A name with several addresses
/// gives the first IPv4 one, or for `"ip"` and an IPv6 literal the first
/// IPv6 one. An empty address is the wildcard, [`IPAddr::default()`].
///
/// ```
/// use gort_net::{IP, IPAddr, resolve_ip_addr};
///
/// let a = resolve_ip_addr("ip4:icmp", "127.0.0.1").unwrap();
/// assert_eq!(a, IPAddr::new(IP::v4(127, 0, 0, 1)));
/// let err = resolve_ip_addr("ip6", "127.0.0.1").unwrap_err();
/// assert_eq!(err.to_string(), "address 127.0.0.1: no suitable address found");
/// let err = resolve_ip_addr("tcp", "1.2.3.4:5").unwrap_err();
/// assert_eq!(err.to_string(), "unknown network tcp");
/// ```
#[doc(alias = "ResolveIPAddr")]
pub fn resolve_ip_addr(network: &str, address: &str) -> io::Result<IPAddr> {
    let network = if network.is_empty() { "ip" } else { network };
    let net: Network = network.parse()?;
    if !net.is_ip() {
        return Err(UnknownNetworkError(network.to_string()).into());
    }
    let list = crate::ipsock::internet_addr_list(net, address)?;
    let a = list.for_resolve(net, address);
    Ok(IPAddr {
        ip: a.ip,
        zone: a.zone,
    })
}

/// A raw IP socket (Go's `*net.IPConn`), connected (from [`dial_ip`]) or
/// not (from [`listen_ip`]); see the module documentation for what a read
/// returns. Every method takes `&self`; dropping it closes it.
///
/// An ICMP echo to the loopback address, where the process may open raw
/// sockets:
///
/// ```no_run
/// gort::run(|| {
///     let c = gort::net::listen_ip("ip4:icmp", None).unwrap();
///     let to = gort::net::resolve_ip_addr("ip4", "127.0.0.1").unwrap();
///     // Type 8 (echo request), code 0, checksum, id 1, sequence 1.
///     let echo = [8, 0, 0xf7, 0xfd, 0, 1, 0, 1];
///     c.write_to(&echo, &to).unwrap();
///     let mut buf = [0u8; 1500];
///     // Our own request comes back first, then the reply (type 0);
///     // read_from has taken the IPv4 header off.
///     let (n, from) = c.read_from(&mut buf).unwrap();
///     assert_eq!(from, to);
///     assert!(n >= 8);
/// });
/// ```
#[derive(Debug)]
pub struct IPConn {
    c: ConnBase,
}

impl IPConn {
    /// Wraps a raw IP socket (Go's `newIPConn`).
    pub(crate) fn new(fd: NetFD) -> IPConn {
        IPConn {
            c: ConnBase::new(fd),
        }
    }

    /// Reads one packet's payload and its sender (Go's `ReadFromIP`): on
    /// an IPv4 socket the IP header the kernel delivers is cut off first.
    /// A packet longer than `b` is cut short.
    #[doc(alias = "ReadFromIP")]
    pub fn read_from(&self, b: &mut [u8]) -> io::Result<(usize, IPAddr)> {
        crate::iprawsock_posix::read_from(&self.c.fd, b).map_err(|e| self.c.op_err(Op::Read, e))
    }

    /// Reads one packet with `recvmsg(2)` (Go's `ReadMsgIP`): its length in
    /// `b` (header included on an IPv4 socket, as in Go), whether it was
    /// cut short to fit (`MSG_TRUNC`), and its sender.
    ///
    /// Go also returns ancillary data (`oob`); gort does not take it, as
    /// for [`UdpConn::read_msg_udp`](crate::UdpConn::read_msg_udp).
    #[doc(alias = "ReadMsgIP")]
    pub fn read_msg_ip(&self, b: &mut [u8]) -> io::Result<(usize, bool, IPAddr)> {
        crate::iprawsock_posix::read_msg(&self.c.fd, b).map_err(|e| self.c.op_err(Op::Read, e))
    }

    /// Sends `b` as the payload of one packet to `addr` (Go's
    /// `WriteToIP`). On a connected socket (from [`dial_ip`]) it fails with
    /// Go's `use of WriteTo with pre-connected connection`.
    #[doc(alias = "WriteToIP")]
    pub fn write_to(&self, b: &[u8], addr: &IPAddr) -> io::Result<usize> {
        crate::iprawsock_posix::write_to(&self.c.fd, b, addr)
            .map_err(|e| self.write_err(op_addr(Some(addr)), e))
    }

    /// Sends `b` to `addr` with `sendmsg(2)` (Go's `WriteMsgIP`, without
    /// `oob`); as [`write_to`](Self::write_to), refused on a connected
    /// socket.
    #[doc(alias = "WriteMsgIP")]
    pub fn write_msg_ip(&self, b: &[u8], addr: &IPAddr) -> io::Result<usize> {
        crate::iprawsock_posix::write_msg(&self.c.fd, b, addr)
            .map_err(|e| self.write_err(op_addr(Some(addr)), e))
    }
}

conn_impls!(socket IPConn, IPAddr);
conn_impls!(packet IPConn);

impl IPConn {
    /// `PacketConn::read_from`: the sender as a `dyn Addr`.
    fn packet_read_from(&self, b: &mut [u8]) -> io::Result<(usize, Option<Box<dyn Addr>>)> {
        let (n, addr) = self.read_from(b)?;
        Ok((n, Some(Box::new(addr))))
    }

    /// `PacketConn::write_to`: as [`IPConn::write_to`]; an address that is
    /// not an [`IPAddr`] fails with `invalid argument`, as Go's `EINVAL`.
    fn packet_write_to(&self, b: &[u8], addr: &dyn Addr) -> io::Result<usize> {
        match SockAddr::from_dyn(addr) {
            Some(SockAddr::Ip(a)) => self.write_to(b, &a),
            _ => Err(self.write_err(Some(addr.clone_box()), bare_errno(libc::EINVAL))),
        }
    }
}

/// A raw IP network with its protocol (Go's `parseNetwork` with
/// `needsProto`, then the `"ip", "ip4", "ip6"` switch of `dialIP` and
/// `listenIP`), or Go's error: `unknown network ip4` for a missing
/// protocol or another kind of network, `unknown IP protocol specified`
/// for a protocol nobody knows.
fn ip_net(network: &str) -> io::Result<Network> {
    match socket_network(network)? {
        n if n.is_ip() => Ok(n),
        _ => Err(UnknownNetworkError(network.to_string()).into()),
    }
}

/// Opens a raw IP socket connected to `raddr`, from `laddr` if given (Go's
/// `DialIP`). `network` is `"ip"`, `"ip4"` or `"ip6"` followed by `:` and
/// the protocol (`"ip4:icmp"`, `"ip6:58"`). Reads return only packets from
/// `raddr`; writes go to it.
///
/// ```
/// let raddr = gort_net::IPAddr::new(gort_net::IP::v4(127, 0, 0, 1));
/// let err = gort_net::dial_ip("ip4", None, &raddr).unwrap_err();
/// assert_eq!(err.to_string(), "dial ip4 127.0.0.1: unknown network ip4");
/// let err = gort_net::dial_ip("ip4:nope", None, &raddr).unwrap_err();
/// assert_eq!(err.to_string(), "dial ip4:nope 127.0.0.1: address nope: unknown IP protocol specified");
/// ```
#[doc(alias = "DialIP")]
pub fn dial_ip(network: &str, laddr: Option<&IPAddr>, raddr: &IPAddr) -> io::Result<IPConn> {
    let op_err = |e| OpError::new(Op::Dial, network, op_addr(laddr), op_addr(Some(raddr)), e);
    let net = ip_net(network).map_err(op_err)?;
    do_dial_ip(net, laddr, raddr, None, None).map_err(op_err)
}

/// Opens an unconnected raw IP socket on `laddr` (Go's `ListenIP`): it
/// receives every packet of the network's protocol addressed to `laddr`
/// (`None` or a nil IP: to any local address). `network` is as for
/// [`dial_ip`].
#[doc(alias = "ListenIP")]
pub fn listen_ip(network: &str, laddr: Option<&IPAddr>) -> io::Result<IPConn> {
    let default = IPAddr::default();
    let laddr = laddr.unwrap_or(&default);
    let op_err = |e| OpError::new(Op::Listen, network, None, op_addr(Some(laddr)), e);
    let net = ip_net(network).map_err(op_err)?;
    do_listen_ip(net, laddr, None).map_err(op_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ip_addr_string() {
        let cases: &[(IPAddr, &str)] = &[
            (IPAddr::new(IP::v4(127, 0, 0, 1)), "127.0.0.1"),
            (IPAddr::new(IP::IPV6_LOOPBACK), "::1"),
            (
                IPAddr {
                    ip: "fe80::1".parse().expect("literal"),
                    zone: "lo0".into(),
                },
                "fe80::1%lo0",
            ),
            (IPAddr::default(), ""),
            (
                IPAddr {
                    ip: IP::NIL,
                    zone: "eth0".into(),
                },
                "%eth0",
            ),
        ];
        for (addr, want) in cases {
            assert_eq!(addr.to_string(), *want, "{addr:?}");
        }
    }

    #[test]
    fn test_ip_addr_as_addr() {
        let a: Box<dyn Addr> = Box::new(IPAddr::new(IP::v4(10, 0, 0, 1)));
        assert_eq!(a.network(), "ip");
        let b = a.clone();
        assert_eq!(
            b.as_any().downcast_ref::<IPAddr>(),
            Some(&IPAddr::new(IP::v4(10, 0, 0, 1)))
        );
    }

    #[test]
    fn test_ip_addr_is_wildcard() {
        assert!(IPAddr::default().is_wildcard());
        assert!(IPAddr::new(IP::IPV4_ZERO).is_wildcard());
        assert!(IPAddr::new(IP::IPV6_UNSPECIFIED).is_wildcard());
        assert!(!IPAddr::new(IP::v4(1, 2, 3, 4)).is_wildcard());
    }
}
