//! Mirrors Go src/net/lookup.go and lookup_unix.go (go1.27): the resolver's
//! public face.
//!
//! These are the package-level `Lookup*` functions: [`lookup_host`],
//! [`lookup_ip`], [`lookup_port`], [`lookup_addr`], and the crate-internal
//! [`lookup_ip_addr`] that dialing uses. Each first settles what needs no
//! lookup at all (an empty name is "no such host", an IP literal is
//! itself, a numeric port is its number), then consults the static tables
//! (`/etc/hosts`, [`crate::hosts`]; `/etc/services`,
//! [`crate::port_unix`]; `/etc/protocols`, [`crate::lookup_unix`]), and
//! only then asks the C library's resolver
//! ([`crate::cgo_unix`], `getaddrinfo` run as a blocking call, so the
//! other goroutines keep running). That is the order of Go's
//! `hostLookupFilesDNS`, the order most Linux systems configure in
//! `/etc/nsswitch.conf`; gort has no DNS client of its own.
//!
//! Every failure is an [`io::Error`] carrying Go's typed error: a
//! [`DNSError`] (`lookup nosuch.invalid: no such host`, kind `NotFound`),
//! an [`AddrError`] (`address 99999: invalid port`) or an
//! [`UnknownNetworkError`].
//!
//! What Go has that gort does not: the `Resolver` type and its contexts
//! (no per-call cancellation or deadline), the shared in-flight lookups of
//! `singleflight`, the RFC 6724 sorting of `/etc/hosts` results, and DNS
//! queries for reverse lookups (`lookup_addr` answers from `/etc/hosts`
//! only).

use std::io;
use std::path::Path;

use crate::cgo_unix::{cgo_lookup_ip, no_such_host};
use crate::hosts::{self, HOSTS_FILE_PATH, parse_literal_ip};
use crate::iprawsock::IPAddr;
use crate::net::{AddrError, DNSError, UnknownNetworkError};
use crate::network::{IpVersion, Network};
use crate::parse::split_host_zone;
use crate::port::parse_port;
use crate::port_unix::go_lookup_port;
use crate::{IP, parse_ip};

/// Appends each item of `items` not already in `out`, keeping the order.
fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for it in items {
        if !out.contains(&it) {
            out.push(it);
        }
    }
    out
}

/// `host` as an IP literal (Go's `netip.ParseAddr` in `lookupIPAddr`): the
/// address in 16-byte form and the zone of an IPv6 literal (after its
/// first `%`).
fn parse_ip_literal(host: &str) -> Option<IPAddr> {
    parse_literal_ip(host)?;
    let (ip, zone) = match host.split_once('%') {
        Some((ip, zone)) => (ip, zone),
        None => (host, ""),
    };
    Some(IPAddr {
        ip: parse_ip(ip)?.to16()?,
        zone: zone.to_string(),
    })
}

/// The addresses the hosts file at `path` gives `host`, parsed (Go's
/// `goLookupIPFiles`, without its RFC 6724 sort).
#[doc(alias = "goLookupIPFiles")]
fn lookup_ip_files(path: &Path, host: &str) -> Vec<IPAddr> {
    let (addrs, _) = hosts::lookup_static_host_at(path, host);
    addrs
        .iter()
        .filter_map(|a| {
            let (ip, zone) = split_host_zone(a);
            Some(IPAddr {
                ip: parse_ip(&ip)?,
                zone,
            })
        })
        .collect()
}

/// Resolves `host` to IP addresses for dialing (Go's
/// `Resolver.lookupIPAddr` with `Resolver.lookupIP` behind it).
///
/// In order: an empty host is "no such host"; an IP literal (IPv6 with an
/// optional `%zone`) is itself, with no lookup; then `/etc/hosts`; then a
/// name that is not a valid domain name is "no such host"; then
/// `getaddrinfo`, narrowed to IPv4 or IPv6 when `network` names a version.
/// Results keep their order, without duplicates. Addresses are not
/// filtered by `network` here (the caller does, as Go's
/// `internetAddrList` does).
#[doc(alias = "lookupIPAddr")]
pub(crate) fn lookup_ip_addr(network: Network, host: &str) -> io::Result<Vec<IPAddr>> {
    lookup_ip_addr_in(Path::new(HOSTS_FILE_PATH), network, host).map_err(io::Error::from)
}

/// [`lookup_ip_addr`] with the hosts file at `hosts_path`.
fn lookup_ip_addr_in(
    hosts_path: &Path,
    network: Network,
    host: &str,
) -> Result<Vec<IPAddr>, DNSError> {
    if host.is_empty() {
        return Err(no_such_host(host));
    }
    if let Some(lit) = parse_ip_literal(host) {
        return Ok(vec![lit]);
    }
    let from_files = lookup_ip_files(hosts_path, host);
    if !from_files.is_empty() {
        return Ok(dedup(from_files));
    }
    // What cannot be a DNS name is no such host, without asking the C
    // library (as Go's own resolver does after the hosts file): text with
    // spaces, NUL bytes or a megabyte of letters never reaches getaddrinfo.
    if !is_domain_name(host) {
        return Err(no_such_host(host));
    }
    cgo_lookup_ip(network, host).map(dedup)
}

/// Looks up `host` and returns its addresses as text (Go's `LookupHost`).
///
/// An IP literal comes back as given, without a lookup; a name is looked
/// up in `/etc/hosts`, then with the system resolver (`getaddrinfo`).
/// An unknown name fails with a [`DNSError`] of kind
/// [`NotFound`](io::ErrorKind::NotFound): `lookup nosuch.invalid: no such
/// host`.
///
/// ```
/// let addrs = gort_net::lookup_host("127.0.0.1").unwrap();
/// assert_eq!(addrs, ["127.0.0.1"]);
/// assert!(gort_net::lookup_host("").is_err());
/// ```
#[doc(alias = "LookupHost")]
pub fn lookup_host(host: &str) -> io::Result<Vec<String>> {
    lookup_host_in(Path::new(HOSTS_FILE_PATH), host).map_err(io::Error::from)
}

/// [`lookup_host`] with the hosts file at `hosts_path` (Go's
/// `Resolver.LookupHost` and `goLookupHostOrder`).
fn lookup_host_in(hosts_path: &Path, host: &str) -> Result<Vec<String>, DNSError> {
    if host.is_empty() {
        return Err(no_such_host(host));
    }
    if parse_literal_ip(host).is_some() {
        return Ok(vec![host.to_string()]);
    }
    let (addrs, _) = hosts::lookup_static_host_at(hosts_path, host);
    if !addrs.is_empty() {
        return Ok(dedup(addrs));
    }
    // As in lookup_ip_addr_in: only a possible DNS name goes further.
    if !is_domain_name(host) {
        return Err(no_such_host(host));
    }
    let addrs = cgo_lookup_ip(Network::Ip { proto: 0 }, host)?;
    Ok(dedup(addrs.iter().map(ToString::to_string).collect()))
}

/// Looks up `host` and returns its addresses of the kind `network` asks
/// for (Go's `Resolver.LookupIP`).
///
/// `network` is `"ip"` (both families), `"ip4"` or `"ip6"`, optionally
/// with a `:protocol` suffix as in Dial (`"ip4:icmp"`, `"ip6:58"`); any
/// other is an [`UnknownNetworkError`]. With `"ip4"` only IPv4 addresses
/// are returned, with `"ip6"` only IPv6 ones (IPv4-mapped addresses count
/// as IPv4); none left is an [`AddrError`], `no suitable address found`.
///
/// ```
/// use gort_net::IP;
///
/// let ips = gort_net::lookup_ip("ip", "::1").unwrap();
/// assert_eq!(ips, [IP::IPV6_LOOPBACK]);
/// assert!(gort_net::lookup_ip("tcp", "::1").is_err());
/// ```
#[doc(alias = "LookupIP")]
pub fn lookup_ip(network: &str, host: &str) -> io::Result<Vec<IP>> {
    lookup_ip_in(Path::new(HOSTS_FILE_PATH), network, host)
}

/// [`lookup_ip`] with the hosts file at `hosts_path` (Go's
/// `Resolver.LookupIP` and the IP-network half of `internetAddrList`).
fn lookup_ip_in(hosts_path: &Path, network: &str, host: &str) -> io::Result<Vec<IP>> {
    let afnet = match network.parse::<Network>()? {
        n if n.is_ip() => n,
        _ => return Err(UnknownNetworkError(network.to_string()).into()),
    };
    let mut addrs = lookup_ip_addr_in(hosts_path, afnet, host)?;
    // A half-configured IPv6 host may bind "::" but not reach it: offer
    // 0.0.0.0 as well (golang.org/issue/18806).
    if addrs.len() == 1 && addrs[0].ip.equal(&IP::IPV6_UNSPECIFIED) {
        addrs.push(IPAddr::new(IP::IPV4_ZERO));
    }
    let keep = |a: &IPAddr| match afnet.ip_version() {
        IpVersion::V4 => a.ip.to4().is_some(),
        IpVersion::V6 => a.ip.len() == crate::IPV6_LEN && a.ip.to4().is_none(),
        IpVersion::Any => true,
    };
    let ips: Vec<IP> = addrs.iter().filter(|a| keep(a)).map(|a| a.ip).collect();
    if ips.is_empty() {
        return Err(AddrError::new("no suitable address found", host).into());
    }
    Ok(ips)
}

/// Looks up the port of `service` for `network` (Go's `LookupPort`).
///
/// A decimal `service` is its number (`""` is 0); a name is looked up in
/// the built-in table and `/etc/services` (`"http"` → 80), without regard
/// to ASCII case. `network` is `"tcp"`, `"tcp4"`, `"tcp6"`, `"udp"`,
/// `"udp4"`, `"udp6"`, or `"ip"` or `""` for either table. Errors are Go's:
/// an unknown name is a [`DNSError`] (`lookup tcp/nosuch: unknown port`,
/// kind `NotFound`), an unknown network with a name an [`AddrError`]
/// (`address sctp: unknown network`), and a number outside 0..=65535 an
/// [`AddrError`] (`address 65536: invalid port`).
///
/// ```
/// assert_eq!(gort_net::lookup_port("tcp", "80").unwrap(), 80);
/// assert_eq!(gort_net::lookup_port("tcp", "HTTP").unwrap(), 80);
/// assert!(gort_net::lookup_port("tcp", "65536").is_err());
/// ```
#[doc(alias = "LookupPort")]
pub fn lookup_port(network: &str, service: &str) -> io::Result<u16> {
    let (mut port, needs_lookup) = parse_port(service);
    if needs_lookup {
        let network = match Network::from_name(network) {
            Some(n) if n.is_tcp() || n.is_udp() || n == Network::Ip { proto: 0 } => n,
            // Go 1.0 took an empty network as "any".
            None if network.is_empty() => Network::Ip { proto: 0 },
            _ => return Err(AddrError::new("unknown network", network).into()),
        };
        port = go_lookup_port(network, service)?;
    }
    port_in_range(port, service)
}

/// [`lookup_port`] for a network already parsed (a dial's or a listen's).
pub(crate) fn lookup_port_on(network: Network, service: &str) -> io::Result<u16> {
    let (mut port, needs_lookup) = parse_port(service);
    if needs_lookup {
        port = go_lookup_port(network, service)?;
    }
    port_in_range(port, service)
}

/// `port` as a port number, or Go's `address SERVICE: invalid port`.
fn port_in_range(port: i32, service: &str) -> io::Result<u16> {
    u16::try_from(port).map_err(|_| AddrError::new("invalid port", service).into())
}

/// Finds the names of the address `addr` (Go's `LookupAddr`): a reverse
/// lookup, answered from `/etc/hosts` only.
///
/// Names come back as the hosts file writes them, with a trailing dot
/// added to those with a dot inside (`"localhost"`, `"host.example."`).
/// An address the file does not name fails with `no such host` (gort
/// sends no DNS PTR query), text that is not a plain IP address (one with
/// a `%zone` counts, unless the file names it) with `unrecognized
/// address`, and names that are not valid domain names are
/// reported as a [`DNSError`] (Go also returns the valid ones alongside).
///
/// ```no_run
/// let names = gort_net::lookup_addr("127.0.0.1").unwrap();
/// assert!(names.iter().any(|n| n == "localhost"));
/// ```
#[doc(alias = "LookupAddr")]
pub fn lookup_addr(addr: &str) -> io::Result<Vec<String>> {
    lookup_addr_in(Path::new(HOSTS_FILE_PATH), addr).map_err(io::Error::from)
}

/// [`lookup_addr`] with the hosts file at `hosts_path` (Go's
/// `Resolver.LookupAddr` and the files half of `goLookupPTR`).
fn lookup_addr_in(hosts_path: &Path, addr: &str) -> Result<Vec<String>, DNSError> {
    let names = hosts::lookup_static_addr_at(hosts_path, addr);
    if names.is_empty() {
        // Only a plain address can be looked up further; Go's reverse
        // lookup (`reverseaddr`) takes no zone either.
        if parse_ip(addr).is_none() {
            return Err(DNSError {
                err: "unrecognized address".into(),
                name: addr.to_string(),
                ..DNSError::default()
            });
        }
        return Err(no_such_host(addr));
    }
    if names.iter().any(|n| !is_domain_name(n)) {
        return Err(DNSError {
            err: "DNS response contained records which contain invalid names".into(),
            name: addr.to_string(),
            ..DNSError::default()
        });
    }
    Ok(names)
}

/// Whether `s` is a valid domain name in presentation form (Go's
/// `isDomainName`, RFC 1035 and 3696): labels of 1 to 63 letters, digits,
/// `_` and `-` (not first or last), at most 253 bytes (254 with the
/// trailing dot), not all digits; `"."` is valid.
#[doc(alias = "isDomainName")]
pub(crate) fn is_domain_name(s: &str) -> bool {
    if s == "." {
        return true;
    }
    let b = s.as_bytes();
    let l = b.len();
    if l == 0 || l > 254 || (l == 254 && b[l - 1] != b'.') {
        return false;
    }
    let mut last = b'.';
    let mut non_numeric = false;
    let mut partlen = 0;
    for &c in b {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                non_numeric = true;
                partlen += 1;
            }
            b'0'..=b'9' => partlen += 1,
            b'-' => {
                if last == b'.' {
                    return false;
                }
                partlen += 1;
                non_numeric = true;
            }
            b'.' => {
                if last == b'.' || last == b'-' || partlen > 63 || partlen == 0 {
                    return false;
                }
                partlen = 0;
            }
            _ => return false,
        }
        last = c;
    }
    last != b'-' && partlen <= 63 && non_numeric
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const IP_ANY: Network = Network::Ip { proto: 0 };

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/testdata")
            .join(name)
    }

    #[test]
    fn test_lookup_ip_addr_literals() {
        let none = Path::new("/nonexistent/gort/hosts");
        let got = lookup_ip_addr_in(none, IP_ANY, "127.0.0.1").expect("literal");
        assert_eq!(got, [IPAddr::new(IP::v4(127, 0, 0, 1))]);
        assert_eq!(got[0].ip.len(), 16);
        let got = lookup_ip_addr_in(none, IP_ANY, "fe80::1%eth0").expect("zoned literal");
        assert_eq!(got[0].to_string(), "fe80::1%eth0");
        let err = lookup_ip_addr_in(none, IP_ANY, "").unwrap_err();
        assert_eq!(err.to_string(), "lookup : no such host");
        assert!(err.is_not_found);
    }

    #[test]
    fn test_lookup_ip_addr_hosts_file() {
        let path = testdata("hosts");
        let got = lookup_ip_addr_in(&path, IP_ANY, "ODIN").expect("in hosts");
        let text: Vec<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["127.0.0.2", "127.0.0.3", "::2"]);
        let got = lookup_ip_addr_in(&path, IP_ANY, "localhost").expect("in hosts");
        assert_eq!(got[0].zone, "lo0");
        assert_eq!(got[0].ip.to_string(), "fe80::1");
    }

    #[test]
    fn test_lookup_ip_filters() {
        let path = testdata("hosts");
        let v4 = lookup_ip_in(&path, "ip4", "odin").expect("ip4");
        assert_eq!(v4, [IP::v4(127, 0, 0, 2), IP::v4(127, 0, 0, 3)]);
        let v6 = lookup_ip_in(&path, "ip6:ipv6-icmp", "odin").expect("ip6");
        assert_eq!(v6.len(), 1);
        assert_eq!(v6[0].to_string(), "::2");
        let err = lookup_ip_in(&path, "ip4", "::1").unwrap_err();
        assert_eq!(err.to_string(), "address ::1: no suitable address found");
        let both = lookup_ip_in(&path, "ip", "::").expect("unspecified");
        assert_eq!(both, [IP::IPV6_UNSPECIFIED, IP::IPV4_ZERO]);
    }

    #[test]
    fn test_lookup_ip_networks() {
        let path = testdata("hosts");
        for ok in ["ip", "ip4", "ip6", "ip:1", "ip4:icmp", "ip6:IPV6-ICMP"] {
            assert!(lookup_ip_in(&path, ok, "odin").is_ok(), "{ok}");
        }
        for (bad, want) in [
            ("tcp", "unknown network tcp"),
            ("", "unknown network "),
            ("udp:1", "unknown network udp:1"),
            (
                "ip4:nosuchproto",
                "address nosuchproto: unknown IP protocol specified",
            ),
        ] {
            let err = lookup_ip_in(&path, bad, "odin").unwrap_err();
            assert_eq!(err.to_string(), want, "{bad}");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn test_lookup_host_hosts_file() {
        let path = testdata("ipv6-hosts");
        let got = lookup_host_in(&path, "localhost.localdomain").expect("in hosts");
        assert_eq!(got, ["fe80::3%lo0"]);
        // A literal is returned as written, not canonicalised.
        let got = lookup_host_in(&path, "fe80:0:0::1").expect("literal");
        assert_eq!(got, ["fe80:0:0::1"]);
    }

    #[test]
    fn test_lookup_addr_hosts_file() {
        let path = testdata("hosts");
        assert_eq!(
            lookup_addr_in(&path, "127.1.1.2").expect("named"),
            ["ullr", "ullrhost"]
        );
        let err = lookup_addr_in(&path, "127.9.9.9").unwrap_err();
        assert_eq!(err.to_string(), "lookup 127.9.9.9: no such host");
        assert!(err.is_not_found);
        let err = lookup_addr_in(&path, "odin").unwrap_err();
        assert_eq!(err.to_string(), "lookup odin: unrecognized address");
        assert!(!err.is_not_found);
    }

    #[test]
    fn test_lookup_port_errors() {
        let cases: &[(&str, &str, &str)] = &[
            ("tcp", "65536", "address 65536: invalid port"),
            ("tcp", "-1", "address -1: invalid port"),
            ("tcp", "123456789", "address 123456789: invalid port"),
            ("sctp", "http", "address sctp: unknown network"),
            ("tcp", "gort-nosuch", "lookup tcp/gort-nosuch: unknown port"),
            ("", "gort-nosuch", "lookup ip/gort-nosuch: unknown port"),
        ];
        for &(net, service, want) in cases {
            let err = lookup_port(net, service).unwrap_err();
            assert_eq!(err.to_string(), want, "lookup_port({net:?}, {service:?})");
        }
        // A number needs no known network.
        assert_eq!(lookup_port("sctp", "80").expect("numeric"), 80);
        assert_eq!(lookup_port("tcp", "").expect("empty"), 0);
        assert_eq!(lookup_port("tcp", "+65535").expect("max"), 65535);
    }

    /// Go's `isDomainName` cases from dnsname_test.go, plus edges.
    #[test]
    fn test_is_domain_name() {
        let long63 = "a".repeat(63);
        let long64 = "a".repeat(64);
        let cases: Vec<(String, bool)> = vec![
            ("_xmpp-server._tcp.google.com".into(), true),
            ("foo.com".into(), true),
            ("1foo.com".into(), true),
            ("26.0.0.73.com".into(), true),
            ("10-0-0-1".into(), true),
            ("fo-o.com".into(), true),
            ("fo1o.com".into(), true),
            ("foo1.com".into(), true),
            ("a.b..com".into(), false),
            ("a.b-.com".into(), false),
            ("a.b.com-".into(), false),
            ("a.b..".into(), false),
            ("b.com.".into(), true),
            (".".into(), true),
            ("".into(), false),
            ("123".into(), false),
            ("-a".into(), false),
            ("a b".into(), false),
            (format!("{long63}.com"), true),
            (format!("{long64}.com"), false),
        ];
        for (name, want) in cases {
            assert_eq!(is_domain_name(&name), want, "is_domain_name({name:?})");
        }
    }
}
