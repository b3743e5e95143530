//! Mirrors Go src/net/iprawsock.go (go1.27): the IP end point address only.
//!
//! Go's `iprawsock.go` holds two things: [`IPAddr`], an IP address with its
//! IPv6 zone and no port, and `IPConn`, the raw IP socket (`DialIP`,
//! `ListenIP`, `ReadFromIP`, ...). The address is what the resolver hands
//! back (every name lookup produces `IPAddr`s, which dialing then turns into
//! TCP or UDP addresses), so it lives here. The raw socket is **not
//! implemented**: it needs privileges gort's users rarely have, and nothing
//! else in the package depends on it. `ResolveIPAddr` is not ported either;
//! [`lookup_ip`](crate::lookup_ip) covers name resolution.

use std::any::Any;
use std::fmt;

use crate::{Addr, IP};

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
