//! Mirrors Go src/net/iprawsock_posix.go (go1.27): raw IP sockets over the socket layer.
//!
//! The public [`IPConn`] methods in `iprawsock.rs` wrap failures in an
//! `OpError`; the kernel work under them is here, one function per system
//! call (`recvfrom`, `recvmsg`, `sendto`, `sendmsg`), each naming it in
//! its error. [`IPAddr`] becomes a socket address here too (Go's
//! `sockaddr` methods on `*IPAddr`): port 0, in the family of the socket.
//!
//! The one thing a raw socket does that a UDP socket does not is
//! [`strip_ipv4_header`]: an IPv4 raw socket receives the IP header in
//! front of the payload, and Go's `ReadFrom` removes it, trusting the
//! header's own length field only when it is sane (at least 20 bytes, no
//! longer than the buffer, version 4).
//!
//! Opening goes through `internet_socket` with `SOCK_RAW` and the
//! network's protocol. A raw socket has no listen step: "listening" binds
//! the local address, and dialing binds (if asked) and connects, which on
//! a raw socket only sets the default destination and filters reads.

use std::io::{self, IoSlice, IoSliceMut};

use rustix::net::{
    RecvAncillaryBuffer, RecvFlags, ReturnFlags, SendAncillaryBuffer, SocketAddrAny,
};

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;
use crate::ipsock_posix::{SockMode, internet_socket, ip_to_sockaddr, sockaddr_to_ip};
use crate::net::errs;
use crate::network::Network;
use crate::sock_posix::Control;
use crate::sockaddr_posix::{SockAddr, Sockaddr};
use crate::udpsock_posix::err_write_to_connected;
use crate::{IPAddr, IPConn, IPV4_LEN};

impl IPAddr {
    /// Decodes a kernel address, dropping its port (Go's `sockaddrToIP`).
    pub(crate) fn from_sockaddr(sa: &SocketAddrAny) -> Option<IPAddr> {
        let (ip, _port, zone) = sockaddr_to_ip(sa)?;
        Some(IPAddr { ip, zone })
    }
}

impl Sockaddr for IPAddr {
    /// `AF_INET` for no IP, a 4-byte one or a v4-mapped one; `AF_INET6`
    /// otherwise (Go's `IPAddr.family`).
    fn family(&self) -> i32 {
        if self.ip.len() <= IPV4_LEN || self.ip.to4().is_some() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        }
    }

    fn is_wildcard(&self) -> bool {
        IPAddr::is_wildcard(self)
    }

    fn sockaddr(&self, family: i32) -> io::Result<Option<SocketAddrAny>> {
        ip_to_sockaddr(family, &self.ip, 0, &self.zone).map(Some)
    }

    fn to_sock_addr(&self) -> SockAddr {
        SockAddr::Ip(self.clone())
    }
}

/// Takes the IPv4 header off the packet in `b[..n]`, moving the payload to
/// the front, and returns the payload's length (Go's `stripIPv4Header`).
/// The packet is left as it is unless `b` holds a whole minimal header, of
/// version 4, whose length field (in 32-bit words) is at least 20 bytes
/// and fits in `b` (and, which Go leaves to the kernel, in `n`).
#[doc(alias = "stripIPv4Header")]
pub(crate) fn strip_ipv4_header(n: usize, b: &mut [u8]) -> usize {
    if b.len() < 20 {
        return n;
    }
    let l = usize::from(b[0] & 0x0f) << 2;
    if l < 20 || l > b.len() || l > n {
        return n;
    }
    if b[0] >> 4 != 4 {
        return n;
    }
    b.copy_within(l..n, 0);
    n - l
}

/// Receives one packet and its sender (Go's `IPConn.readFrom`), without
/// the IPv4 header.
pub(crate) fn read_from(fd: &NetFD, b: &mut [u8]) -> io::Result<(usize, IPAddr)> {
    let (n, sa) = fd
        .pfd
        .read_from(b)
        .map_err(|e| wrap_syscall_error("recvfrom", e))?;
    let Some(sa) = sa else {
        return Ok((n, IPAddr::default()));
    };
    let n = if std::net::SocketAddrV4::try_from(sa.clone()).is_ok() {
        strip_ipv4_header(n, b)
    } else {
        n
    };
    Ok((n, IPAddr::from_sockaddr(&sa).unwrap_or_default()))
}

/// Receives one packet with `recvmsg(2)`, header and all (Go's
/// `IPConn.readMsg`, without the ancillary data): its length, whether it
/// was cut short (`MSG_TRUNC`), and its sender.
pub(crate) fn read_msg(fd: &NetFD, b: &mut [u8]) -> io::Result<(usize, bool, IPAddr)> {
    let mut no_control = RecvAncillaryBuffer::new(&mut []);
    let msg = fd
        .pfd
        .read_msg(
            &mut [IoSliceMut::new(b)],
            &mut no_control,
            RecvFlags::empty(),
        )
        .map_err(|e| wrap_syscall_error("recvmsg", e))?;
    let addr = msg
        .address
        .as_ref()
        .and_then(IPAddr::from_sockaddr)
        .unwrap_or_default();
    Ok((msg.bytes, msg.flags.contains(ReturnFlags::TRUNC), addr))
}

/// `addr` for a send on `fd`: refused on a connected socket (Go's
/// `ErrWriteToConnected`), encoded for the socket's family.
fn dest(fd: &NetFD, addr: &IPAddr) -> io::Result<SocketAddrAny> {
    if fd.is_connected {
        return Err(err_write_to_connected());
    }
    addr.sockaddr(fd.family)?.ok_or_else(errs::missing_address)
}

/// Sends one packet's payload to `addr` (Go's `IPConn.writeTo`).
pub(crate) fn write_to(fd: &NetFD, b: &[u8], addr: &IPAddr) -> io::Result<usize> {
    let sa = dest(fd, addr)?;
    fd.pfd
        .write_to(b, &sa)
        .map_err(|e| wrap_syscall_error("sendto", e))
}

/// Sends one packet's payload with `sendmsg(2)` (Go's `IPConn.writeMsg`,
/// without ancillary data).
pub(crate) fn write_msg(fd: &NetFD, b: &[u8], addr: &IPAddr) -> io::Result<usize> {
    let sa = dest(fd, addr)?;
    let mut no_control = SendAncillaryBuffer::new(&mut []);
    fd.pfd
        .write_msg(&[IoSlice::new(b)], &mut no_control, Some(&sa))
        .map_err(|e| wrap_syscall_error("sendmsg", e))
}

/// The protocol number of a raw IP network (the `proto` Go's
/// `parseNetwork` returns).
fn proto_of(net: Network) -> i32 {
    match net {
        Network::Ip { proto } | Network::Ip4 { proto } | Network::Ip6 { proto } => proto,
        _ => 0,
    }
}

/// Opens a raw socket connected to `raddr`, bound to `laddr` if given (Go's
/// `sysDialer.dialIP`, after its network check, which the caller did).
/// The caller wraps errors in an `OpError`.
pub(crate) fn do_dial_ip(
    net: Network,
    laddr: Option<&IPAddr>,
    raddr: &IPAddr,
    control: Option<&Control>,
    ctx: Option<&gort_runtime::context::Context>,
) -> io::Result<IPConn> {
    let fd = internet_socket(
        net,
        laddr.map(|a| a as &dyn Sockaddr),
        Some(raddr),
        libc::SOCK_RAW,
        proto_of(net),
        SockMode::Dial,
        control,
        ctx,
    )?;
    Ok(IPConn::new(fd))
}

/// Opens a raw socket bound to `laddr` (Go's `sysListener.listenIP`). The
/// caller wraps errors in an `OpError`.
pub(crate) fn do_listen_ip(
    net: Network,
    laddr: &IPAddr,
    control: Option<&Control>,
) -> io::Result<IPConn> {
    let fd = internet_socket(
        net,
        Some(laddr),
        None,
        libc::SOCK_RAW,
        proto_of(net),
        SockMode::Listen,
        control,
        None,
    )?;
    Ok(IPConn::new(fd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IP;

    /// A 20-byte IPv4 header (version 4, IHL 5) and then `payload`.
    fn packet(payload: &[u8]) -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn test_strip_ipv4_header() {
        let mut b = packet(b"icmp");
        b.resize(64, 0xee);
        let n = strip_ipv4_header(24, &mut b);
        assert_eq!(&b[..n], b"icmp");

        // A header with options: IHL 6 is 24 bytes.
        let mut b = packet(b"opt.data");
        b[0] = 0x46;
        assert_eq!(strip_ipv4_header(28, &mut b), 4);
        assert_eq!(&b[..4], b"data");

        // Left alone: too short a buffer, an IHL under 5, a length past
        // the buffer or the packet, another version.
        let mut short = [0x45u8; 19];
        assert_eq!(strip_ipv4_header(19, &mut short), 19);
        for (first, n) in [(0x44u8, 24), (0x4f, 24), (0x45, 10), (0x65, 24)] {
            let mut b = packet(b"four");
            b[0] = first;
            assert_eq!(strip_ipv4_header(n, &mut b), n, "{first:#x}");
            assert_eq!(b[20..], *b"four", "untouched");
        }
    }

    #[test]
    fn ip_addr_family_and_sockaddr() {
        assert_eq!(IPAddr::default().family(), libc::AF_INET);
        assert_eq!(IPAddr::new(IP::v4(10, 0, 0, 1)).family(), libc::AF_INET);
        assert_eq!(IPAddr::new(IP::IPV6_LOOPBACK).family(), libc::AF_INET6);
        let sa = IPAddr::new(IP::v4(127, 0, 0, 1))
            .sockaddr(libc::AF_INET)
            .unwrap()
            .unwrap();
        assert_eq!(
            IPAddr::from_sockaddr(&sa),
            Some(IPAddr::new(IP::v4(127, 0, 0, 1)))
        );
        let err = IPAddr::new(IP::IPV6_LOOPBACK)
            .sockaddr(libc::AF_INET)
            .unwrap_err();
        assert_eq!(err.to_string(), "address ::1: non-IPv4 address");
    }
}
