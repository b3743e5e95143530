//! Mirrors Go src/net/udpsock_posix.go (go1.27): UDP over the socket
//! layer, and joining multicast groups.
//!
//! The public [`UdpConn`] methods in `udpsock.rs` check their arguments
//! and wrap failures in an `OpError`; the work below them is here, one
//! function per kernel operation, each naming its system call in the error
//! (`recvfrom`, `sendto`, `recvmsg`, `sendmsg`). The two rules of a UDP
//! socket live here too: a connected socket (from a dial) has one peer, so
//! naming a destination is an error (Go's `ErrWriteToConnected`), and an
//! unconnected one must be told where each datagram goes
//! ("missing address").
//!
//! Opening sockets ([`do_dial_udp`], [`do_listen_udp`],
//! [`do_listen_multicast_udp`]) goes through `internet_socket`, which picks
//! the address family; a multicast group address is bound as the wildcard
//! with `SO_REUSEADDR` by `sock_posix.rs`, and then joined here. The few
//! multicast socket options this needs (Go keeps them in
//! `sockoptip_linux.go` and `sockoptip_posix.go`) are private helpers at
//! the end of this file.

use std::io::{self, IoSlice, IoSliceMut};

use rustix::net::{RecvAncillaryBuffer, RecvFlags, ReturnFlags, SendAncillaryBuffer};

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;
use crate::ipsock_posix::{SockMode, internet_socket};
use crate::net::errs;
use crate::network::Network;
use crate::sock_posix::Control;
use crate::sockaddr_posix::Sockaddr;
use crate::{AddrError, IP, UdpAddr, UdpConn};

/// Go's `ErrWriteToConnected`: a destination was named on a connected
/// socket.
pub(crate) fn err_write_to_connected() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "use of WriteTo with pre-connected connection",
    )
}

/// Receives one datagram and its sender (Go's `UDPConn.readFrom`).
pub(crate) fn read_from(fd: &NetFD, b: &mut [u8]) -> io::Result<(usize, UdpAddr)> {
    let (n, sa) = fd
        .pfd
        .read_from(b)
        .map_err(|e| wrap_syscall_error("recvfrom", e))?;
    let addr = sa
        .as_ref()
        .and_then(UdpAddr::from_sockaddr)
        .unwrap_or_default();
    Ok((n, addr))
}

/// Receives one datagram with `recvmsg(2)` (Go's `UDPConn.readMsg`,
/// without the ancillary data): its length, whether it was cut short to
/// fit `b` (`MSG_TRUNC`), and its sender.
pub(crate) fn read_msg(fd: &NetFD, b: &mut [u8]) -> io::Result<(usize, bool, UdpAddr)> {
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
        .and_then(UdpAddr::from_sockaddr)
        .unwrap_or_default();
    Ok((msg.bytes, msg.flags.contains(ReturnFlags::TRUNC), addr))
}

/// Sends one datagram to `addr` (Go's `UDPConn.writeTo`).
pub(crate) fn write_to(fd: &NetFD, b: &[u8], addr: &UdpAddr) -> io::Result<usize> {
    if fd.is_connected {
        return Err(err_write_to_connected());
    }
    let sa = udp_sockaddr(fd, addr)?;
    fd.pfd
        .write_to(b, &sa)
        .map_err(|e| wrap_syscall_error("sendto", e))
}

/// Sends one datagram with `sendmsg(2)` (Go's `UDPConn.writeMsg`, without
/// ancillary data): to `addr` on an unconnected socket, to the peer on a
/// connected one, which must then get no `addr`.
pub(crate) fn write_msg(fd: &NetFD, b: &[u8], addr: Option<&UdpAddr>) -> io::Result<usize> {
    let sa = match (fd.is_connected, addr) {
        (true, Some(_)) => return Err(err_write_to_connected()),
        (false, None) => return Err(errs::missing_address()),
        (true, None) => None,
        (false, Some(a)) => Some(udp_sockaddr(fd, a)?),
    };
    let mut no_control = SendAncillaryBuffer::new(&mut []);
    fd.pfd
        .write_msg(&[IoSlice::new(b)], &mut no_control, sa.as_ref())
        .map_err(|e| wrap_syscall_error("sendmsg", e))
}

/// `addr` encoded for the socket's family; only the two internet families
/// carry UDP.
fn udp_sockaddr(fd: &NetFD, addr: &UdpAddr) -> io::Result<rustix::net::SocketAddrAny> {
    match fd.family {
        libc::AF_INET | libc::AF_INET6 => {
            addr.sockaddr(fd.family)?.ok_or_else(errs::missing_address)
        }
        _ => Err(AddrError::new("invalid address family", addr.ip.to_string()).into()),
    }
}

/// Opens a UDP socket connected to `raddr`, bound to `laddr` if given (Go's
/// `sysDialer.dialUDP`). The caller wraps errors in an `OpError`.
pub(crate) fn do_dial_udp(
    net: Network,
    laddr: Option<&UdpAddr>,
    raddr: &UdpAddr,
    control: Option<&Control>,
) -> io::Result<UdpConn> {
    let fd = internet_socket(
        net,
        laddr.map(|a| a as &dyn Sockaddr),
        Some(raddr),
        libc::SOCK_DGRAM,
        0,
        SockMode::Dial,
        control,
        None,
    )?;
    Ok(UdpConn::new(fd))
}

/// Opens an unconnected UDP socket bound to `laddr` (Go's
/// `sysListener.listenUDP`). The caller wraps errors in an `OpError`.
pub(crate) fn do_listen_udp(
    net: Network,
    laddr: &UdpAddr,
    control: Option<&Control>,
) -> io::Result<UdpConn> {
    listen_socket(net, laddr, control).map(UdpConn::new)
}

/// A UDP socket bound to `laddr` (a multicast group's port is bound as the
/// wildcard, with `SO_REUSEADDR`).
fn listen_socket(net: Network, laddr: &UdpAddr, control: Option<&Control>) -> io::Result<NetFD> {
    internet_socket(
        net,
        Some(laddr),
        None,
        libc::SOCK_DGRAM,
        0,
        SockMode::Listen,
        control,
        None,
    )
}

/// Binds the group's port and joins the group `gaddr` on the interface
/// `ifindex` (0: the one the kernel picks) (Go's
/// `sysListener.listenMulticastUDP`). The socket is closed if joining
/// fails. The caller wraps errors in an `OpError`.
pub(crate) fn do_listen_multicast_udp(
    net: Network,
    ifindex: u32,
    gaddr: &UdpAddr,
    control: Option<&Control>,
) -> io::Result<UdpConn> {
    let fd = listen_socket(net, gaddr, control)?;
    let joined = match gaddr.ip.to4() {
        Some(ip4) => listen_ipv4_multicast_udp(&fd, ifindex, &ip4),
        None => listen_ipv6_multicast_udp(&fd, ifindex, &gaddr.ip),
    };
    if let Err(e) = joined {
        let _ = fd.close();
        return Err(e);
    }
    Ok(UdpConn::new(fd))
}

/// Go's `listenIPv4MulticastUDP`: pick the sending interface if one was
/// named, turn loopback of our own group sends off (as Go does), join.
fn listen_ipv4_multicast_udp(fd: &NetFD, ifindex: u32, group: &IP) -> io::Result<()> {
    if ifindex != 0 {
        set_ipv4_mreqn(fd, libc::IP_MULTICAST_IF, None, ifindex)?;
    }
    setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, 0)?;
    set_ipv4_mreqn(fd, libc::IP_ADD_MEMBERSHIP, Some(group), ifindex)
}

/// Go's `listenIPv6MulticastUDP`, as the IPv4 one.
fn listen_ipv6_multicast_udp(fd: &NetFD, ifindex: u32, group: &IP) -> io::Result<()> {
    if ifindex != 0 {
        setsockopt_int(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_IF,
            ifindex as i32,
        )?;
    }
    setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, 0)?;
    let Some(g16) = group.to16() else {
        return Err(AddrError::new("non-IPv6 address", group.to_string()).into());
    };
    let mut s6_addr = [0u8; 16];
    s6_addr.copy_from_slice(g16.as_bytes());
    let mreq = libc::ipv6_mreq {
        ipv6mr_multiaddr: libc::in6_addr { s6_addr },
        ipv6mr_interface: ifindex,
    };
    fd.pfd
        .setsockopt_ipv6_mreq(libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP, &mreq)
        .map_err(|e| wrap_syscall_error("setsockopt", e))
}

/// Sets an `ip_mreqn` option at `IPPROTO_IP`: the group (if any) and the
/// interface by index (Go's `setIPv4MulticastInterface` and, on Linux,
/// `joinIPv4Group`).
fn set_ipv4_mreqn(fd: &NetFD, name: i32, group: Option<&IP>, ifindex: u32) -> io::Result<()> {
    let group = match group {
        Some(g) => {
            let Some(g4) = g.to4() else {
                return Err(AddrError::new("non-IPv4 address", g.to_string()).into());
            };
            let b = g4.as_bytes();
            [b[0], b[1], b[2], b[3]]
        }
        None => [0; 4],
    };
    let mreq = libc::ip_mreqn {
        // s_addr is in network byte order: the address's bytes as they are.
        imr_multiaddr: libc::in_addr {
            s_addr: u32::from_ne_bytes(group),
        },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: ifindex as i32,
    };
    fd.pfd
        .setsockopt_ip_mreqn(libc::IPPROTO_IP, name, &mreq)
        .map_err(|e| wrap_syscall_error("setsockopt", e))
}

/// An integer socket option, its failure named `setsockopt`.
fn setsockopt_int(fd: &NetFD, level: i32, name: i32, v: i32) -> io::Result<()> {
    fd.pfd
        .setsockopt_int(level, name, v)
        .map_err(|e| wrap_syscall_error("setsockopt", e))
}
