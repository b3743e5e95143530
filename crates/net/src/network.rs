//! Mirrors Go src/net/dial.go (parseNetwork: the network names) (go1.27): the network names, parsed once.
//!
//! Every Go-shaped entry point takes its network as text: `dial("tcp",
//! ...)`, `listen_udp("udp6", ...)`, `lookup_ip("ip4:icmp", ...)`. Go keeps
//! that text all the way down and compares it wherever a decision depends
//! on it (`network == "tcp"`, `network[len(network)-1] == '4'`). gort reads
//! it once, at the entry point, into a [`Network`], and below that every
//! layer matches on the enum: the socket type, the address family, the
//! port table, the error text ([`Network::as_str`]) all come from it.
//!
//! [`Network::from_str`](std::str::FromStr) is Go's `parseNetwork`: the
//! twelve names Go knows, and for the raw IP networks an optional protocol
//! after a colon (`"ip4:icmp"`, `"ip6:58"`), a number or a name from
//! `/etc/protocols`. An unknown name is Go's [`UnknownNetworkError`]
//! (`unknown network tpc`), an unknown protocol an [`AddrError`](crate::AddrError)
//! (`address nosuch: unknown IP protocol specified`).
//!
//! A socket needs more than a name that parses ([`socket_network`], Go's
//! `parseNetwork` with `needsProto`): a raw IP socket
//! ([`IPConn`](crate::IPConn)) must name its protocol, so a bare `"ip4"`
//! is an unknown network to `dial` and `listen_packet`, though
//! [`lookup_ip`](crate::lookup_ip) and [`resolve_ip_addr`](crate::resolve_ip_addr)
//! take it.

use std::fmt;
use std::io;
use std::str::FromStr;

use crate::lookup_unix::lookup_protocol;
use crate::net::UnknownNetworkError;

/// A network, as Go names it (`"tcp"`, `"udp6"`, `"unixgram"`,
/// `"ip4:icmp"`, ...): what kind of socket, and for the internet ones which
/// IP version.
///
/// Parse one with `str::parse` (Go's `parseNetwork`); [`as_str`] and
/// `Display` give Go's spelling back, for error messages.
///
/// ```
/// use gort_net::{IpVersion, Network};
///
/// let n: Network = "tcp6".parse().unwrap();
/// assert_eq!(n, Network::Tcp6);
/// assert_eq!(n.ip_version(), IpVersion::V6);
/// assert_eq!(n.to_string(), "tcp6");
/// let icmp: Network = "ip4:icmp".parse().unwrap();
/// assert_eq!(icmp, Network::Ip4 { proto: 1 });
/// assert_eq!(icmp.to_string(), "ip4:1");
/// let err = "tpc".parse::<Network>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown network tpc");
/// ```
///
/// [`as_str`]: Network::as_str
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Network {
    /// TCP over IPv4 or IPv6 (`"tcp"`).
    Tcp,
    /// TCP over IPv4 only (`"tcp4"`).
    Tcp4,
    /// TCP over IPv6 only (`"tcp6"`).
    Tcp6,
    /// UDP over IPv4 or IPv6 (`"udp"`).
    Udp,
    /// UDP over IPv4 only (`"udp4"`).
    Udp4,
    /// UDP over IPv6 only (`"udp6"`).
    Udp6,
    /// Raw IP over IPv4 or IPv6 (`"ip"`, `"ip:proto"`).
    Ip {
        /// The IP protocol number after the colon; 0 when there is none
        /// (Go's `proto`).
        proto: i32,
    },
    /// Raw IPv4 (`"ip4"`, `"ip4:proto"`).
    Ip4 {
        /// As for [`Network::Ip`].
        proto: i32,
    },
    /// Raw IPv6 (`"ip6"`, `"ip6:proto"`).
    Ip6 {
        /// As for [`Network::Ip`].
        proto: i32,
    },
    /// A Unix stream socket (`"unix"`, `SOCK_STREAM`).
    Unix,
    /// A Unix datagram socket (`"unixgram"`, `SOCK_DGRAM`).
    Unixgram,
    /// A Unix sequenced-packet socket (`"unixpacket"`, `SOCK_SEQPACKET`).
    Unixpacket,
}

/// Which IP version a network asks for: the `4` or `6` at the end of
/// `"tcp4"`, `"udp6"`, `"ip4"` (Go's `ipVersion`, which returns `'4'`,
/// `'6'` or 0).
#[doc(alias = "ipVersion")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpVersion {
    /// Either version (`"tcp"`, `"udp"`, `"ip"`; and the Unix networks,
    /// which have none).
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

impl Network {
    /// Go's name of the network, without an IP protocol: `"tcp"`,
    /// `"udp6"`, `"ip4"`, `"unixgram"`, ...
    pub fn as_str(&self) -> &'static str {
        match self {
            Network::Tcp => "tcp",
            Network::Tcp4 => "tcp4",
            Network::Tcp6 => "tcp6",
            Network::Udp => "udp",
            Network::Udp4 => "udp4",
            Network::Udp6 => "udp6",
            Network::Ip { .. } => "ip",
            Network::Ip4 { .. } => "ip4",
            Network::Ip6 { .. } => "ip6",
            Network::Unix => "unix",
            Network::Unixgram => "unixgram",
            Network::Unixpacket => "unixpacket",
        }
    }

    /// The network a bare name stands for (no `:proto` part), if Go knows
    /// it: the switch at the top of Go's `parseNetwork`.
    pub(crate) fn from_name(name: &str) -> Option<Network> {
        Some(match name {
            "tcp" => Network::Tcp,
            "tcp4" => Network::Tcp4,
            "tcp6" => Network::Tcp6,
            "udp" => Network::Udp,
            "udp4" => Network::Udp4,
            "udp6" => Network::Udp6,
            "ip" => Network::Ip { proto: 0 },
            "ip4" => Network::Ip4 { proto: 0 },
            "ip6" => Network::Ip6 { proto: 0 },
            "unix" => Network::Unix,
            "unixgram" => Network::Unixgram,
            "unixpacket" => Network::Unixpacket,
            _ => return None,
        })
    }

    /// The IP version the network asks for (Go's `ipVersion`).
    pub fn ip_version(&self) -> IpVersion {
        match self {
            Network::Tcp4 | Network::Udp4 | Network::Ip4 { .. } => IpVersion::V4,
            Network::Tcp6 | Network::Udp6 | Network::Ip6 { .. } => IpVersion::V6,
            _ => IpVersion::Any,
        }
    }

    /// Whether it is `"tcp"`, `"tcp4"` or `"tcp6"`.
    pub fn is_tcp(&self) -> bool {
        matches!(self, Network::Tcp | Network::Tcp4 | Network::Tcp6)
    }

    /// Whether it is `"udp"`, `"udp4"` or `"udp6"`.
    pub fn is_udp(&self) -> bool {
        matches!(self, Network::Udp | Network::Udp4 | Network::Udp6)
    }

    /// Whether it is a raw IP network: `"ip"`, `"ip4"` or `"ip6"`, with
    /// or without a protocol.
    pub fn is_ip(&self) -> bool {
        matches!(
            self,
            Network::Ip { .. } | Network::Ip4 { .. } | Network::Ip6 { .. }
        )
    }

    /// Whether it is `"unix"`, `"unixgram"` or `"unixpacket"`.
    pub fn is_unix(&self) -> bool {
        matches!(
            self,
            Network::Unix | Network::Unixgram | Network::Unixpacket
        )
    }

    /// The same kind of network pinned to the address family `family`
    /// (`AF_INET` or `AF_INET6`): `tcp` becomes `tcp4` or `tcp6`; a network
    /// that names its version already, and a Unix one, is returned as it
    /// is (Go's `ctrlNetwork`, which appends the `"4"` or `"6"`).
    #[doc(alias = "ctrlNetwork")]
    pub(crate) fn with_family(self, family: i32) -> Network {
        let v4 = family == libc::AF_INET;
        match self {
            Network::Tcp if v4 => Network::Tcp4,
            Network::Tcp => Network::Tcp6,
            Network::Udp if v4 => Network::Udp4,
            Network::Udp => Network::Udp6,
            Network::Ip { proto } if v4 => Network::Ip4 { proto },
            Network::Ip { proto } => Network::Ip6 { proto },
            n => n,
        }
    }

    /// The kernel socket type of the network's sockets: `SOCK_STREAM` for
    /// TCP and `"unix"`, `SOCK_DGRAM` for UDP and `"unixgram"`,
    /// `SOCK_SEQPACKET` for `"unixpacket"`, `SOCK_RAW` for IP.
    pub(crate) fn sotype(&self) -> i32 {
        match self {
            Network::Tcp | Network::Tcp4 | Network::Tcp6 | Network::Unix => libc::SOCK_STREAM,
            Network::Udp | Network::Udp4 | Network::Udp6 | Network::Unixgram => libc::SOCK_DGRAM,
            Network::Unixpacket => libc::SOCK_SEQPACKET,
            Network::Ip { .. } | Network::Ip4 { .. } | Network::Ip6 { .. } => libc::SOCK_RAW,
        }
    }

    /// The Unix network of a Unix socket of type `sotype` (Go's
    /// `sotypeToNet`).
    #[doc(alias = "sotypeToNet")]
    pub(crate) fn unix_of_sotype(sotype: i32) -> Network {
        match sotype {
            libc::SOCK_STREAM => Network::Unix,
            libc::SOCK_DGRAM => Network::Unixgram,
            libc::SOCK_SEQPACKET => Network::Unixpacket,
            _ => panic!("net: sotypeToNet: unknown socket type {sotype}"),
        }
    }
}

impl FromStr for Network {
    type Err = io::Error;

    /// Go's `parseNetwork` (with `needsProto` false): one of the twelve
    /// names, or `ip`, `ip4` or `ip6` followed by `:` and a protocol, as a
    /// number or as a name that `/etc/protocols` knows (matched without
    /// regard to ASCII case).
    fn from_str(network: &str) -> io::Result<Network> {
        let unknown = || io::Error::from(UnknownNetworkError(network.to_string()));
        let Some((afnet, protostr)) = network.rsplit_once(':') else {
            return Network::from_name(network).ok_or_else(unknown);
        };
        let with_proto: fn(i32) -> Network = match afnet {
            "ip" => |proto| Network::Ip { proto },
            "ip4" => |proto| Network::Ip4 { proto },
            "ip6" => |proto| Network::Ip6 { proto },
            _ => return Err(unknown()),
        };
        let proto = match crate::parse::dtoi(protostr) {
            Some((proto, used)) if used == protostr.len() => proto,
            _ => lookup_protocol(protostr).map_err(io::Error::from)?,
        };
        Ok(with_proto(proto))
    }
}

impl fmt::Display for Network {
    /// Go's spelling: [`as_str`](Network::as_str), then `:proto` for an IP
    /// network with a protocol (`"ip4:1"`; the protocol's name is not kept).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        match self {
            Network::Ip { proto } | Network::Ip4 { proto } | Network::Ip6 { proto }
                if *proto != 0 =>
            {
                write!(f, ":{proto}")
            }
            _ => Ok(()),
        }
    }
}

/// The network of a socket opened by name (Go's `parseNetwork` with
/// `needsProto` true): any that parses, except a raw IP network without
/// its `:proto` part (`"ip"`, `"ip4"`, `"ip6"`), which is Go's `unknown
/// network ip4`.
pub(crate) fn socket_network(network: &str) -> io::Result<Network> {
    match network.parse::<Network>()? {
        n if n.is_ip() && !network.contains(':') => {
            Err(UnknownNetworkError(network.to_string()).into())
        }
        n => Ok(n),
    }
}

/// The network of a typed entry point (`dial_tcp`, `listen_unix`, ...):
/// one of the names `accepts` allows, else Go's `unknown network NAME`.
/// The name is matched as written (no `:proto`), as Go's `switch network`
/// in those functions does.
pub(crate) fn network_of_kind(
    network: &str,
    accepts: impl Fn(&Network) -> bool,
) -> Result<Network, UnknownNetworkError> {
    Network::from_name(network)
        .filter(|n| accepts(n))
        .ok_or_else(|| UnknownNetworkError(network.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for name in [
            "tcp",
            "tcp4",
            "tcp6",
            "udp",
            "udp4",
            "udp6",
            "ip",
            "ip4",
            "ip6",
            "unix",
            "unixgram",
            "unixpacket",
        ] {
            let n: Network = name.parse().expect(name);
            assert_eq!(n.as_str(), name);
            assert_eq!(n.to_string(), name);
            assert_eq!(Network::from_name(name), Some(n));
        }
    }

    /// Go's `parseNetwork` on the names its tests and gort's callers use.
    #[test]
    fn parse_network_like_go() {
        let ok: &[(&str, Network)] = &[
            ("ip:1", Network::Ip { proto: 1 }),
            ("ip4:icmp", Network::Ip4 { proto: 1 }),
            ("ip4:ICMP", Network::Ip4 { proto: 1 }),
            ("ip6:58", Network::Ip6 { proto: 58 }),
            ("ip6:IPV6-ICMP", Network::Ip6 { proto: 58 }),
        ];
        for (s, want) in ok {
            assert_eq!(s.parse::<Network>().expect(s), *want, "{s}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "unknown network "),
            ("TCP", "unknown network TCP"),
            ("tcp7", "unknown network tcp7"),
            ("udp:1", "unknown network udp:1"),
            (":", "unknown network :"),
            ("ip:", "unknown IP protocol specified"),
            (
                "ip4:nosuch",
                "address nosuch: unknown IP protocol specified",
            ),
            ("ip:-1", "address -1: unknown IP protocol specified"),
        ];
        for (s, want) in bad {
            let err = s.parse::<Network>().unwrap_err();
            assert_eq!(err.to_string(), *want, "{s:?}");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn versions_families_and_socket_types() {
        assert_eq!(Network::Tcp.ip_version(), IpVersion::Any);
        assert_eq!(Network::Udp4.ip_version(), IpVersion::V4);
        assert_eq!(Network::Ip6 { proto: 0 }.ip_version(), IpVersion::V6);
        assert_eq!(Network::Unixgram.ip_version(), IpVersion::Any);
        assert_eq!(Network::Tcp.with_family(libc::AF_INET), Network::Tcp4);
        assert_eq!(Network::Udp.with_family(libc::AF_INET6), Network::Udp6);
        assert_eq!(Network::Tcp4.with_family(libc::AF_INET6), Network::Tcp4);
        assert_eq!(Network::Unix.with_family(libc::AF_UNIX), Network::Unix);
        for n in [Network::Unix, Network::Unixgram, Network::Unixpacket] {
            assert_eq!(Network::unix_of_sotype(n.sotype()), n);
        }
        assert_eq!(Network::Tcp6.sotype(), libc::SOCK_STREAM);
        assert_eq!(Network::Udp.sotype(), libc::SOCK_DGRAM);
    }

    #[test]
    fn socket_and_typed_entry_points_refuse_what_they_cannot_open() {
        assert_eq!(socket_network("udp6").unwrap(), Network::Udp6);
        assert_eq!(
            socket_network("ip4:icmp").unwrap(),
            Network::Ip4 { proto: 1 }
        );
        assert_eq!(socket_network("ip:0").unwrap(), Network::Ip { proto: 0 });
        for s in ["ip", "ip4", "ip6", "foo"] {
            let err = socket_network(s).unwrap_err();
            assert_eq!(err.to_string(), format!("unknown network {s}"));
        }
        assert_eq!(network_of_kind("tcp4", Network::is_tcp), Ok(Network::Tcp4));
        assert_eq!(
            network_of_kind("udp", Network::is_tcp),
            Err(UnknownNetworkError("udp".into()))
        );
        assert_eq!(
            network_of_kind("ip4:icmp", Network::is_ip),
            Err(UnknownNetworkError("ip4:icmp".into()))
        );
    }
}
