//! Mirrors Go src/net/ipsock_posix.go (go1.27): which IP stack to use, and
//! IP addresses as kernel socket addresses.
//!
//! A dual-stack host can serve IPv4 clients on an IPv6 socket (as
//! v4-mapped addresses), so the first question of every internet socket is
//! its family: [`favorite_addr_family`] answers it the way Go does (an
//! explicit `tcp4`/`tcp6` wins; a wildcard listener prefers one `AF_INET6`
//! socket that takes both families; otherwise v4 unless an address needs
//! v6). What the kernel supports is probed once, by opening throw-away
//! sockets ([`probe`]). This file also holds Go's `ipToSockaddr`, and the
//! two directions of the zone (`%eth0`) ⇄ interface index mapping that Go
//! keeps in interface.go's `zoneCache`.

use std::ffi::CString;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::OnceLock;

use gort_runtime::context::Context;
use rustix::net::SocketAddrAny;

use crate::fd_posix::NetFD;
use crate::network::{IpVersion, Network};
use crate::sock_posix::{Control, socket};
use crate::sockaddr_posix::Sockaddr;
use crate::{AddrError, IP};

/// What the kernel's IP stack can do (Go's `ipStackCapabilities`, from ipsock.go).
#[derive(Debug, Clone, Copy)]
struct IpStackCapabilities {
    ipv4_enabled: bool,
    ipv6_enabled: bool,
    ipv4_mapped_ipv6_enabled: bool,
}

static IP_STACK_CAPS: OnceLock<IpStackCapabilities> = OnceLock::new();

/// Opens throw-away sockets to learn what the stack supports (Go's
/// `ipStackCapabilities.probe`).
fn probe() -> IpStackCapabilities {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, ipproto};
    let mut caps = IpStackCapabilities {
        ipv4_enabled: false,
        ipv6_enabled: false,
        ipv4_mapped_ipv6_enabled: false,
    };
    let open = |family| {
        rustix::net::socket_with(
            family,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            Some(ipproto::TCP),
        )
    };
    caps.ipv4_enabled = open(AddressFamily::INET).is_ok();
    // Binding ::1 on a v6-only socket proves IPv6; binding 127.0.0.1 as a
    // mapped address on a dual socket proves v4-mapping works.
    let probes = [
        (SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0, 0, 0), true),
        (
            SocketAddrV6::new(Ipv4Addr::LOCALHOST.to_ipv6_mapped(), 0, 0, 0),
            false,
        ),
    ];
    for (i, (sa, v6only)) in probes.into_iter().enumerate() {
        let Ok(s) = open(AddressFamily::INET6) else {
            continue;
        };
        let _ = rustix::net::sockopt::set_ipv6_v6only(&s, v6only);
        match rustix::net::bind(&s, &sa) {
            Ok(()) | Err(rustix::io::Errno::PERM | rustix::io::Errno::ACCESS) => {}
            Err(_) => continue,
        }
        if i == 0 {
            caps.ipv6_enabled = true;
        } else {
            caps.ipv4_mapped_ipv6_enabled = true;
        }
    }
    caps
}

fn caps() -> IpStackCapabilities {
    *IP_STACK_CAPS.get_or_init(probe)
}

/// Whether the host can open IPv4 sockets (Go's `supportsIPv4`).
pub(crate) fn supports_ipv4() -> bool {
    caps().ipv4_enabled
}

/// Whether an IPv6 socket can carry v4-mapped IPv4 traffic (Go's
/// `supportsIPv4map`).
pub(crate) fn supports_ipv4map() -> bool {
    caps().ipv4_mapped_ipv6_enabled
}

/// Dial or listen, for [`favorite_addr_family`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SockMode {
    Dial,
    Listen,
}

/// Picks the family of a new internet socket, and whether it must be
/// v6-only (Go's `favoriteAddrFamily`).
// ANCHOR: favoriteAddrFamily
pub(crate) fn favorite_addr_family(
    network: Network,
    laddr: Option<&dyn Sockaddr>,
    raddr: Option<&dyn Sockaddr>,
    mode: SockMode,
) -> (i32, bool) {
    match network.ip_version() {
        IpVersion::V4 => return (libc::AF_INET, false),
        IpVersion::V6 => return (libc::AF_INET6, true),
        IpVersion::Any => {}
    }
    if mode == SockMode::Listen && laddr.is_none_or(|a| a.is_wildcard()) {
        if supports_ipv4map() || !supports_ipv4() {
            return (libc::AF_INET6, false);
        }
        return match laddr {
            None => (libc::AF_INET, false),
            Some(a) => (a.family(), false),
        };
    }
    let v4 = |a: Option<&dyn Sockaddr>| a.is_none_or(|a| a.family() == libc::AF_INET);
    if v4(laddr) && v4(raddr) {
        (libc::AF_INET, false)
    } else {
        (libc::AF_INET6, false)
    }
}
// ANCHOR_END: favoriteAddrFamily

/// Opens an internet socket for `net` (Go's `internetSocket`); `proto` is
/// the IP protocol of a raw socket, 0 for TCP and UDP.
#[allow(clippy::too_many_arguments)] // Go's signature.
// ANCHOR: internetSocket
pub(crate) fn internet_socket(
    net: Network,
    laddr: Option<&dyn Sockaddr>,
    raddr: Option<&dyn Sockaddr>,
    sotype: i32,
    proto: i32,
    mode: SockMode,
    control: Option<&Control>,
    ctx: Option<&Context>,
) -> io::Result<NetFD> {
    let (family, ipv6only) = favorite_addr_family(net, laddr, raddr, mode);
    socket(
        net, family, sotype, proto, ipv6only, laddr, raddr, control, ctx,
    )
}
// ANCHOR_END: internetSocket

/// Encodes `ip:port` for a socket of `family` (Go's `ipToSockaddr`): a nil
/// IP is the wildcard; an IPv4 address is v4-mapped for `AF_INET6`.
pub(crate) fn ip_to_sockaddr(
    family: i32,
    ip: &IP,
    port: u16,
    zone: &str,
) -> io::Result<SocketAddrAny> {
    match family {
        libc::AF_INET => {
            let ip = if ip.is_nil() { IP::v4(0, 0, 0, 0) } else { *ip };
            let Some(v4) = ip.to4() else {
                return Err(AddrError::new("non-IPv4 address", ip.to_string()).into());
            };
            let b = v4.as_bytes();
            Ok(SocketAddrV4::new(Ipv4Addr::new(b[0], b[1], b[2], b[3]), port).into())
        }
        libc::AF_INET6 => {
            // Go treats 0.0.0.0 as "any" for a v6 socket too.
            let ip = if ip.is_nil() || *ip == IP::v4(0, 0, 0, 0) {
                IP::from(Ipv6Addr::UNSPECIFIED)
            } else {
                *ip
            };
            let Some(v6) = ip.to16() else {
                return Err(AddrError::new("non-IPv6 address", ip.to_string()).into());
            };
            let mut b = [0u8; 16];
            b.copy_from_slice(v6.as_bytes());
            Ok(SocketAddrV6::new(Ipv6Addr::from(b), port, 0, zone_index(zone)).into())
        }
        _ => Err(AddrError::new("invalid address family", ip.to_string()).into()),
    }
}

/// The IP, port and zone of an internet socket address (the decoding half
/// of Go's `sockaddrToTCP`/`sockaddrToUDP`).
pub(crate) fn sockaddr_to_ip(sa: &SocketAddrAny) -> Option<(IP, u16, String)> {
    if let Ok(v4) = SocketAddrV4::try_from(sa.clone()) {
        let o = v4.ip().octets();
        // Go keeps the 4-byte form here; it prints the same.
        let ip = IP::from_slice(&o)?;
        return Some((ip, v4.port(), String::new()));
    }
    if let Ok(v6) = SocketAddrV6::try_from(sa.clone()) {
        let ip = IP::from_slice(&v6.ip().octets())?;
        return Some((ip, v6.port(), zone_name(v6.scope_id())));
    }
    None
}

/// The interface index for a zone: an interface name or a number (Go's
/// `zoneCache.index`). Unknown names give 0, as in Go.
pub(crate) fn zone_index(zone: &str) -> u32 {
    if zone.is_empty() {
        return 0;
    }
    if let Ok(c) = CString::new(zone) {
        // SAFETY: `c` is a valid NUL-terminated string for the call.
        let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
        if idx != 0 {
            return idx;
        }
    }
    zone.parse().unwrap_or(0)
}

/// The zone for an interface index: its name, or the number if it has
/// none (Go's `zoneCache.name`).
pub(crate) fn zone_name(index: u32) -> String {
    if index == 0 {
        return String::new();
    }
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has IF_NAMESIZE bytes, what if_indextoname may write.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return index.to_string();
    }
    // SAFETY: on success the buffer holds a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}
