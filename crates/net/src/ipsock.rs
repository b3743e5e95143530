//! Mirrors Go src/net/ipsock.go (go1.27): the text of `"host:port"`
//! addresses, and their resolution into the list a dial tries.
//!
//! Every internet address a user hands to Dial, Listen or a Resolve
//! function is one string, `host:port`, where the host may be a name, an
//! IPv4 literal, or an IPv6 literal in brackets (`[::1]:80`), optionally
//! with a zone (`[fe80::1%eth0]:80`). [`split_host_port`] takes such a
//! string apart without judging either half: the host is not resolved and
//! the port is not parsed (a service name like `http` is fine, and so are
//! an empty host, meaning "any address", and an empty port, meaning port
//! 0). What it does reject, with Go's exact messages, is text whose colons
//! and brackets cannot be read unambiguously. [`join_host_port`] is its
//! inverse and adds brackets whenever the host has a colon.
//!
//! [`internet_addr_list`] (Go's `internetAddrList`) turns such a string
//! into an [`AddrList`]: the port through the services table, the host
//! through the resolver (lookup.rs, which this file calls and which never
//! calls back), keeping only the addresses of the network's IP version.
//! The list's methods pick what a resolve, a listen or a Happy Eyeballs
//! dial wants from it (Go's `forResolve`, `first`, `partition`). The IP
//! stack probe (Go's `ipStackCapabilities`) is in ipsock_posix.rs, and
//! Go's `splitHostZone` in parse.rs, below the resolver that uses it.

use crate::network::{IpVersion, Network};
use crate::{AddrError, IP};

/// Splits `"host:port"`, `"host%zone:port"`, `"[host]:port"` or
/// `"[host%zone]:port"` into the host (with its zone, if any) and the port
/// (Go's `SplitHostPort`).
///
/// An IPv6 literal must be in brackets: `"[::1]:80"`. The port is what
/// follows the last colon and may be empty or a service name; the host may
/// be empty. Failures are an [`AddrError`] naming `hostport` with one of
/// Go's messages: `missing port in address`, `too many colons in address`,
/// `missing ']' in address`, `unexpected '[' in address`, `unexpected ']'
/// in address`.
///
/// ```
/// use gort_net::split_host_port;
///
/// assert_eq!(split_host_port("[::1%lo]:http").unwrap(), ("::1%lo".into(), "http".into()));
/// assert_eq!(
///     split_host_port("::1").unwrap_err().to_string(),
///     "address ::1: too many colons in address"
/// );
/// ```
#[doc(alias = "SplitHostPort")]
pub fn split_host_port(hostport: &str) -> Result<(String, String), AddrError> {
    const MISSING_PORT: &str = "missing port in address";
    const TOO_MANY_COLONS: &str = "too many colons in address";
    let fail = |why: &str| Err(AddrError::new(why, hostport));

    // Every index below is of an ASCII byte, so each slice is on a char
    // boundary.
    let b = hostport.as_bytes();

    // The port is whatever follows the last colon.
    let Some(colon) = b.iter().rposition(|&c| c == b':') else {
        return fail(MISSING_PORT);
    };

    // `no_open` and `no_close` are where the search for a stray '[' and
    // ']' starts: past the brackets of a bracketed host, else everywhere.
    let (host, no_open, no_close) = if b[0] == b'[' {
        // The first ']' must sit right before the last ':'.
        let Some(close) = b.iter().position(|&c| c == b']') else {
            return fail("missing ']' in address");
        };
        if close + 1 == b.len() {
            // Nothing after the ']', so the last colon is inside.
            return fail(MISSING_PORT);
        }
        if close + 1 != colon {
            // Something other than the last colon follows the ']'.
            return fail(if b[close + 1] == b':' {
                TOO_MANY_COLONS
            } else {
                MISSING_PORT
            });
        }
        (&hostport[1..close], 1, close + 1)
    } else {
        let host = &hostport[..colon];
        if host.contains(':') {
            return fail(TOO_MANY_COLONS);
        }
        (host, 0, 0)
    };
    if b[no_open..].contains(&b'[') {
        return fail("unexpected '[' in address");
    }
    if b[no_close..].contains(&b']') {
        return fail("unexpected ']' in address");
    }

    Ok((host.to_string(), hostport[colon + 1..].to_string()))
}

/// Joins `host` and `port` into `"host:port"`, or `"[host]:port"` when the
/// host has a colon, as an IPv6 literal does (Go's `JoinHostPort`). The
/// inverse of [`split_host_port`].
///
/// ```
/// use gort_net::join_host_port;
///
/// assert_eq!(join_host_port("::1%lo", "80"), "[::1%lo]:80");
/// assert_eq!(join_host_port("localhost", "http"), "localhost:http");
/// ```
#[doc(alias = "JoinHostPort")]
pub fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One resolved internet address: what Go's `addrList` holds as a
/// `*TCPAddr`, `*UDPAddr` or `*IPAddr`, before the caller picks the type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InetAddr {
    pub(crate) ip: IP,
    pub(crate) port: u16,
    pub(crate) zone: String,
}

impl InetAddr {
    fn is_ipv4(&self) -> bool {
        self.ip.to4().is_some()
    }
}

/// The addresses a name resolved to, in the resolver's order (Go's
/// `addrList`).
#[derive(Clone, Debug, Default)]
pub(crate) struct AddrList(pub(crate) Vec<InetAddr>);

impl std::ops::Deref for AddrList {
    type Target = Vec<InetAddr>;
    fn deref(&self) -> &Vec<InetAddr> {
        &self.0
    }
}

impl std::ops::DerefMut for AddrList {
    fn deref_mut(&mut self) -> &mut Vec<InetAddr> {
        &mut self.0
    }
}

impl AddrList {
    /// The first address that `strategy` likes, else the first of all
    /// (Go's `first`). The list is never empty.
    // ANCHOR: first
    fn first(&self, strategy: impl Fn(&InetAddr) -> bool) -> InetAddr {
        self.iter()
            .find(|a| strategy(a))
            .unwrap_or(&self.0[0])
            .clone()
    }

    /// The first IPv4 address, else the first (what `Listen` binds).
    pub(crate) fn first_ipv4_or_any(&self) -> InetAddr {
        self.first(InetAddr::is_ipv4)
    }
    // ANCHOR_END: first

    /// The single address a `Resolve*Addr` returns (Go's `forResolve`): an
    /// IPv6 literal asks for IPv6, anything else prefers IPv4.
    pub(crate) fn for_resolve(&self, network: Network, addr: &str) -> InetAddr {
        let want6 = match network {
            // An IPv6 literal without a port; Go asks this of the name
            // "ip" only, not of "ip:icmp" (and gort cannot tell "ip" from
            // "ip:0").
            Network::Ip { proto: 0 } => addr.contains(':'),
            // An IPv6 literal with a port, in brackets.
            Network::Tcp | Network::Udp => addr.contains('['),
            _ => false,
        };
        if want6 {
            self.first(|a| !a.is_ipv4())
        } else {
            self.first(InetAddr::is_ipv4)
        }
    }

    /// Splits the list into the family of its first address and the rest
    /// (Go's `partition(isIPv4)`), for Happy Eyeballs.
    pub(crate) fn partition_by_first_family(&self) -> (AddrList, AddrList) {
        let mut primaries = AddrList::default();
        let mut fallbacks = AddrList::default();
        let Some(first) = self.first_entry_family() else {
            return (primaries, fallbacks);
        };
        for a in self.iter() {
            if a.is_ipv4() == first {
                primaries.push(a.clone());
            } else {
                fallbacks.push(a.clone());
            }
        }
        (primaries, fallbacks)
    }

    fn first_entry_family(&self) -> Option<bool> {
        self.0.first().map(InetAddr::is_ipv4)
    }
}

/// Resolves `addr` on `net` into the addresses to try (Go's
/// `Resolver.internetAddrList`): `host:port` for TCP and UDP, a bare host
/// (no port) for the raw IP networks; an empty host is the wildcard.
/// Literal IPs need no lookup; names go through the resolver, and a
/// network that names its version (`tcp4`, `ip6`) keeps only that family.
// ANCHOR: internetAddrList
pub(crate) fn internet_addr_list(net: Network, addr: &str) -> std::io::Result<AddrList> {
    if !net.is_tcp() && !net.is_udp() && !net.is_ip() {
        return Err(crate::UnknownNetworkError(net.to_string()).into());
    }
    let (host, port) = if addr.is_empty() {
        (String::new(), 0)
    } else if net.is_ip() {
        (addr.to_string(), 0)
    } else {
        let (host, port) = split_host_port(addr)?;
        let port = crate::lookup::lookup_port_on(net, &port)?;
        (host, port)
    };
    if host.is_empty() {
        return Ok(AddrList(vec![InetAddr {
            ip: IP::NIL,
            port,
            zone: String::new(),
        }]));
    }
    let mut ips = crate::lookup::lookup_ip_addr(net, &host)?;
    // A host whose IPv6 is half configured can bind "::" but not reach it;
    // Go then also tries 0.0.0.0 (its issue 18806).
    if ips.len() == 1 && ips[0].ip == IP::from(std::net::Ipv6Addr::UNSPECIFIED) {
        ips.push(crate::IPAddr {
            ip: IP::v4(0, 0, 0, 0),
            zone: String::new(),
        });
    }
    let keep = |ip: &IP| match net.ip_version() {
        IpVersion::V4 => ip.to4().is_some(),
        IpVersion::V6 => ip.len() == 16 && ip.to4().is_none(),
        IpVersion::Any => true,
    };
    let list: Vec<InetAddr> = ips
        .into_iter()
        .filter(|a| keep(&a.ip))
        .map(|a| InetAddr {
            ip: a.ip,
            port,
            zone: a.zone,
        })
        .collect();
    if list.is_empty() {
        return Err(crate::AddrError::new("no suitable address found", host).into());
    }
    Ok(AddrList(list))
}
// ANCHOR_END: internetAddrList
