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

use crate::ipsock_posix::sockaddr_to_ip;
use crate::sockaddr_posix::Sockaddr;
use crate::tcpsock::{fmt_ip_port, ip_family, ip_port_to_std, std_zone};
use crate::{Addr, IP, UnknownNetworkError};

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
        "udp"
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
}

/// Resolves `host:port` to a UDP address (Go's `ResolveUDPAddr`).
/// `network` is `"udp"`, `"udp4"` or `"udp6"` (or "", taken as `"udp"`).
#[doc(alias = "ResolveUDPAddr")]
pub fn resolve_udp_addr(network: &str, address: &str) -> io::Result<UdpAddr> {
    let network = match network {
        "udp" | "udp4" | "udp6" => network,
        "" => "udp",
        _ => return Err(UnknownNetworkError(network.into()).into()),
    };
    let list = crate::ipsock::internet_addr_list(network, address)?;
    let a = list.for_resolve(network, address);
    Ok(UdpAddr {
        ip: a.ip,
        port: a.port,
        zone: a.zone,
    })
}
