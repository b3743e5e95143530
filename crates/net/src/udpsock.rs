//! Mirrors Go src/net/udpsock.go (go1.27): UDP addresses and connections.
//!
//! A UDP socket is either *unconnected* (made by [`listen_udp`]: it
//! receives from anyone, and every send names its destination with
//! `write_to`) or *connected* (made by [`dial_udp`]: `read` and `write`
//! talk to the one peer, and the kernel drops datagrams from anyone else).
//! Each `read` returns one datagram; a datagram longer than the buffer is
//! cut short, as in Go.

use std::any::Any;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;

use crate::fd_posix::NetFD;
use crate::ipsock_posix::sockaddr_to_ip;
use crate::net::{ConnBase, conn_impls, errs, op_addr};
use crate::network::{Network, network_of_kind};
use crate::sockaddr_posix::{SockAddr, Sockaddr};
use crate::tcpsock::{fmt_ip_port, ip_family, ip_port_to_std, std_zone};
use crate::udpsock_posix::{do_dial_udp, do_listen_multicast_udp, do_listen_udp};
use crate::{Addr, IP, Interface, Op, OpError};

/// The address of a UDP end point (Go's `*net.UDPAddr`). Displays as Go's
/// `String()`, like [`TcpAddr`](crate::TcpAddr).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UdpAddr {
    /// The IP address; nil means the wildcard.
    pub ip: IP,
    /// The port.
    pub port: u16,
    /// The IPv6 scoped addressing zone, or empty.
    pub zone: String,
}

impl UdpAddr {
    /// The address `ip:port`, with no zone.
    pub fn new(ip: IP, port: u16) -> UdpAddr {
        UdpAddr {
            ip,
            port,
            zone: String::new(),
        }
    }

    /// Decodes a kernel address (Go's `sockaddrToUDP`).
    pub(crate) fn from_sockaddr(sa: &rustix::net::SocketAddrAny) -> Option<UdpAddr> {
        let (ip, port, zone) = sockaddr_to_ip(sa)?;
        Some(UdpAddr { ip, port, zone })
    }

    /// As a `std::net::SocketAddr`; `None` for a nil IP.
    pub fn to_socket_addr(&self) -> Option<SocketAddr> {
        ip_port_to_std(&self.ip, self.port, &self.zone)
    }
}

impl From<SocketAddr> for UdpAddr {
    fn from(sa: SocketAddr) -> UdpAddr {
        UdpAddr {
            ip: IP::from(sa.ip()),
            port: sa.port(),
            zone: std_zone(&sa),
        }
    }
}

impl FromStr for UdpAddr {
    type Err = io::Error;

    /// Resolves `host:port` as [`resolve_udp_addr`]`("udp", s)` does.
    fn from_str(s: &str) -> io::Result<UdpAddr> {
        resolve_udp_addr("udp", s)
    }
}

impl fmt::Display for UdpAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ip_port(f, &self.ip, self.port, &self.zone)
    }
}

impl Addr for UdpAddr {
    fn network(&self) -> &'static str {
        Network::Udp.as_str()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(self.clone())
    }
}

impl Sockaddr for UdpAddr {
    fn family(&self) -> i32 {
        ip_family(&self.ip)
    }
    fn is_wildcard(&self) -> bool {
        self.ip.is_nil() || self.ip.is_unspecified()
    }
    fn sockaddr(&self, family: i32) -> io::Result<Option<rustix::net::SocketAddrAny>> {
        crate::ipsock_posix::ip_to_sockaddr(family, &self.ip, self.port, &self.zone).map(Some)
    }
    fn to_sock_addr(&self) -> SockAddr {
        SockAddr::Udp(self.clone())
    }
}

/// Resolves `host:port` to a UDP address (Go's `ResolveUDPAddr`).
/// `network` is `"udp"`, `"udp4"` or `"udp6"` (or "", taken as `"udp"`).
#[doc(alias = "ResolveUDPAddr")]
pub fn resolve_udp_addr(network: &str, address: &str) -> io::Result<UdpAddr> {
    let network = match network {
        "" => Network::Udp,
        _ => network_of_kind(network, Network::is_udp)?,
    };
    let list = crate::ipsock::internet_addr_list(network, address)?;
    let a = list.for_resolve(network, address);
    Ok(UdpAddr {
        ip: a.ip,
        port: a.port,
        zone: a.zone,
    })
}

/// A UDP socket (Go's `*net.UDPConn`), connected or not; see the module
/// documentation. Every method takes `&self`; dropping it closes it.
///
/// ```
/// gort::run(|| {
///     let server = gort::net::listen_udp("udp", Some(&"127.0.0.1:0".parse().unwrap())).unwrap();
///     let client = gort::net::dial_udp("udp", None, &server.local_addr()).unwrap();
///     client.write(b"ping").unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = server.read_from(&mut buf).unwrap();
///     assert_eq!(&buf[..n], b"ping");
///     server.write_to(b"pong", &from).unwrap();
///     let n = client.read(&mut buf).unwrap();
///     assert_eq!(&buf[..n], b"pong");
/// });
/// ```
#[derive(Debug)]
pub struct UdpConn {
    c: ConnBase,
}

impl UdpConn {
    /// Wraps a UDP socket (Go's `newUDPConn`).
    pub(crate) fn new(fd: NetFD) -> UdpConn {
        UdpConn {
            c: ConnBase::new(fd),
        }
    }

    /// Reads one datagram and its sender (Go's `ReadFromUDP`); a datagram
    /// longer than `b` is cut short.
    #[doc(alias = "ReadFromUDP")]
    pub fn read_from(&self, b: &mut [u8]) -> io::Result<(usize, UdpAddr)> {
        crate::udpsock_posix::read_from(&self.c.fd, b).map_err(|e| self.c.op_err(Op::Read, e))
    }

    /// Reads one datagram with `recvmsg(2)` (Go's `ReadMsgUDP`): its length
    /// in `b`, whether it was longer than `b` and cut short (Go's
    /// `flags&MSG_TRUNC`), and its sender.
    ///
    /// Go also returns ancillary data (`oob`); gort does not take it yet:
    /// no option that produces it (`IP_PKTINFO`, ...) is exposed.
    #[doc(alias = "ReadMsgUDP")]
    pub fn read_msg_udp(&self, b: &mut [u8]) -> io::Result<(usize, bool, UdpAddr)> {
        crate::udpsock_posix::read_msg(&self.c.fd, b).map_err(|e| self.c.op_err(Op::Read, e))
    }

    /// Sends `b` as one datagram to `addr` (Go's `WriteToUDP`). On a
    /// connected socket (from [`dial_udp`]) it fails with Go's
    /// `use of WriteTo with pre-connected connection`.
    #[doc(alias = "WriteToUDP")]
    pub fn write_to(&self, b: &[u8], addr: &UdpAddr) -> io::Result<usize> {
        crate::udpsock_posix::write_to(&self.c.fd, b, addr)
            .map_err(|e| self.write_err(op_addr(Some(addr)), e))
    }

    /// Sends `b` as one datagram with `sendmsg(2)` (Go's `WriteMsgUDP`,
    /// without `oob`): to `addr` on an unconnected socket, which must be
    /// given one ("missing address"), to the peer on a connected one, which
    /// must not (Go's pre-connected error).
    #[doc(alias = "WriteMsgUDP")]
    pub fn write_msg_udp(&self, b: &[u8], addr: Option<&UdpAddr>) -> io::Result<usize> {
        crate::udpsock_posix::write_msg(&self.c.fd, b, addr)
            .map_err(|e| self.write_err(op_addr(addr), e))
    }
}

conn_impls!(socket UdpConn, UdpAddr);
conn_impls!(packet UdpConn);

impl UdpConn {
    /// `PacketConn::read_from`: the sender as a `dyn Addr`.
    fn packet_read_from(&self, b: &mut [u8]) -> io::Result<(usize, Option<Box<dyn Addr>>)> {
        let (n, addr) = self.read_from(b)?;
        Ok((n, Some(Box::new(addr))))
    }

    /// `PacketConn::write_to`: as [`UdpConn::write_to`]; an address that is
    /// not a [`UdpAddr`] fails with `invalid argument`, as Go's `EINVAL`.
    fn packet_write_to(&self, b: &[u8], addr: &dyn Addr) -> io::Result<usize> {
        match SockAddr::from_dyn(addr) {
            Some(SockAddr::Udp(a)) => self.write_to(b, &a),
            _ => Err(self.write_err(Some(addr.clone_box()), bare_errno(libc::EINVAL))),
        }
    }
}

/// A bare errno, as Go returns a `syscall.Errno` that no syscall name
/// wraps: an OS error, so its code stays readable (`raw_os_error`), which
/// an [`OpError`] prints as Go does ("invalid argument").
pub(crate) fn bare_errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// A UDP network, or Go's unknown-network error.
fn udp_net(network: &str) -> io::Result<Network> {
    Ok(network_of_kind(network, Network::is_udp)?)
}

/// Opens a UDP socket connected to `raddr`, from `laddr` if given, else
/// from an address the kernel picks (Go's `DialUDP`). `network` is
/// `"udp"`, `"udp4"` or `"udp6"`. A nil or unspecified IP in `raddr`
/// means the local system.
#[doc(alias = "DialUDP")]
pub fn dial_udp(network: &str, laddr: Option<&UdpAddr>, raddr: &UdpAddr) -> io::Result<UdpConn> {
    let op_err = |e| OpError::new(Op::Dial, network, op_addr(laddr), op_addr(Some(raddr)), e);
    let net = udp_net(network).map_err(op_err)?;
    do_dial_udp(net, laddr, raddr, None).map_err(op_err)
}

/// Opens an unconnected UDP socket on `laddr` (Go's `ListenUDP`). `None`
/// or a nil IP listens on every local address (except multicast ones); a
/// port of 0 lets the kernel pick one, which
/// [`local_addr`](UdpConn::local_addr) reports.
#[doc(alias = "ListenUDP")]
pub fn listen_udp(network: &str, laddr: Option<&UdpAddr>) -> io::Result<UdpConn> {
    let default = UdpAddr::default();
    let laddr = laddr.unwrap_or(&default);
    let op_err = |e| OpError::new(Op::Listen, network, None, op_addr(Some(laddr)), e);
    let net = udp_net(network).map_err(op_err)?;
    do_listen_udp(net, laddr, None).map_err(op_err)
}

/// Listens on the port of the multicast group `gaddr` and joins the group
/// (Go's `ListenMulticastUDP`).
///
/// `ifi` is the interface to join on (from
/// [`interface_by_name`](crate::interface_by_name), say); `None` lets the
/// kernel pick one by its routing table, which Go does not recommend.
/// Several sockets may listen on one group's port (`SO_REUSEADDR`). As in
/// Go, loopback of the socket's own multicast sends is turned off
/// (`IP_MULTICAST_LOOP` 0).
#[doc(alias = "ListenMulticastUDP")]
pub fn listen_multicast_udp(
    network: &str,
    ifi: Option<&Interface>,
    gaddr: &UdpAddr,
) -> io::Result<UdpConn> {
    let op_err = |e| OpError::new(Op::Listen, network, None, op_addr(Some(gaddr)), e);
    let net = udp_net(network).map_err(op_err)?;
    if gaddr.ip.is_nil() {
        return Err(op_err(errs::missing_address()));
    }
    let ifindex = ifi.map_or(0, |ifi| ifi.index as u32);
    do_listen_multicast_udp(net, ifindex, gaddr, None).map_err(op_err)
}
