//! Mirrors Go src/net/lookup.go and lookup_unix.go (go1.27): the resolver's
//! public face.
//!
//! A [`Resolver`] (Go's `net.Resolver`) looks names up under a
//! [`Context`]: [`lookup_host`](Resolver::lookup_host),
//! [`lookup_ip_addr`](Resolver::lookup_ip_addr),
//! [`lookup_ip`](Resolver::lookup_ip), [`lookup_cname`](Resolver::lookup_cname),
//! [`lookup_mx`](Resolver::lookup_mx), [`lookup_txt`](Resolver::lookup_txt),
//! [`lookup_srv`](Resolver::lookup_srv), [`lookup_ns`](Resolver::lookup_ns)
//! and [`lookup_addr`](Resolver::lookup_addr) (PTR). The package-level
//! functions ([`lookup_host`], [`lookup_ip`], [`lookup_mx`], ...) are the
//! same on the default resolver with a background context, as in Go.
//!
//! Each first settles what needs no lookup (an empty name is "no such
//! host", an IP literal is itself, a numeric port is its number), then
//! [`crate::conf`] picks the way, as Go's `lookupOrder` does: gort's own
//! DNS client ([`crate::dnsclient_unix`]: queries on goroutines, which a
//! context cancels) with `/etc/hosts` before or after it as nsswitch.conf
//! says, or, when the configuration is beyond that client, the C
//! library's `getaddrinfo` ([`crate::cgo_unix`], run inside `blocking`).
//! MX, TXT, SRV and NS lookups always use the DNS client, as Go's do on
//! Unix. Ports come from the static tables (`/etc/services`,
//! [`crate::port_unix`]) and protocols from `/etc/protocols`
//! ([`crate::lookup_unix`]).
//!
//! Every failure is an [`io::Error`] carrying Go's typed error: a
//! [`DNSError`] (`lookup nosuch.example on 127.0.0.1:53: no such host`,
//! kind `NotFound`), an [`AddrError`] (`address 99999: invalid port`) or
//! an [`UnknownNetworkError`]. Where Go returns the valid records of an
//! answer together with an error for the invalid ones, gort returns the
//! error alone.
//!
//! What Go has that gort does not: the shared in-flight lookups of
//! `singleflight`, the RFC 6724 sorting of addresses, `LookupNetIP`, and
//! the C library's reverse and CNAME lookups (`cgoLookupPTR`,
//! `cgoLookupCNAME`: those lookups use the DNS client whatever the order).

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use gort_runtime::context::{self, Context};

use crate::cgo_unix::{cgo_lookup_ip, no_such_host};
use crate::conf::{HostLookupOrder, system_conf};
use crate::dnsclient::{MX, NS, SRV, is_domain_name, is_mx_host};
use crate::dnsclient_unix::{IpQuery, context_dns_error};
use crate::hosts::parse_literal_ip;
use crate::iprawsock::IPAddr;
use crate::net::{AddrError, Conn, DNSError, UnknownNetworkError};
use crate::network::{IpVersion, Network};
use crate::port::parse_port;
use crate::port_unix::go_lookup_port;
use crate::{IP, parse_ip};

/// A dial function for a [`Resolver`]: `(ctx, network, address)` to a
/// conn, with `network` `"udp"` or `"tcp"` and `address` a server's
/// `host:port` from the configuration (Go's `Resolver.Dial`).
pub type DialFn = Arc<dyn Fn(&Context, &str, &str) -> io::Result<Box<dyn Conn>> + Send + Sync>;

/// Go's text for records whose names are not valid domain names.
const ERR_MALFORMED_DNS_RECORDS: &str =
    "DNS response contained records which contain invalid names";

/// A name resolver (Go's `net.Resolver`). The default value is Go's
/// zero `Resolver`: the system's configuration, the resolver it calls
/// for, and conns from a default [`Dialer`](crate::Dialer).
///
/// ```no_run
/// use gort::context;
/// use gort::net::Resolver;
/// gort::run(|| {
///     let r = Resolver { prefer_go: true, ..Resolver::default() };
///     let (ctx, cancel) = context::with_timeout(&context::background(), std::time::Duration::from_secs(3));
///     for mx in r.lookup_mx(&ctx, "example.com").unwrap_or_default() {
///         println!("{} {}", mx.pref, mx.host);
///     }
///     cancel.cancel();
/// });
/// ```
#[derive(Clone, Default)]
pub struct Resolver {
    /// Use gort's own DNS client even where the system resolver would be
    /// picked (Go's `PreferGo`).
    pub prefer_go: bool,
    /// Treat a temporary failure of one query (a timeout, SERVFAIL) as the
    /// failure of the whole lookup, rather than trying the next search
    /// name or keeping the other address family's answer (Go's
    /// `StrictErrors`).
    pub strict_errors: bool,
    /// Makes the conns to the DNS servers, instead of a default
    /// [`Dialer`](crate::Dialer) (Go's `Dial`). It is given the query's
    /// context, `"udp"` or `"tcp"`, and the server from the
    /// configuration, and may return any conn: one whose local address is
    /// a datagram one (`udp`, `unixgram`) is read as packets, any other as
    /// a stream of length-prefixed messages.
    pub dial: Option<DialFn>,
    /// The resolver configuration to read instead of `/etc/resolv.conf`
    /// (gort's addition, for tests and programs with their own).
    pub resolv_conf: Option<PathBuf>,
    /// The hosts file to read instead of `/etc/hosts` (gort's addition).
    pub hosts_file: Option<PathBuf>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("prefer_go", &self.prefer_go)
            .field("strict_errors", &self.strict_errors)
            .field("dial", &self.dial.as_ref().map(|_| "Fn"))
            .field("resolv_conf", &self.resolv_conf)
            .field("hosts_file", &self.hosts_file)
            .finish()
    }
}

/// The resolver the package-level functions use (Go's
/// `DefaultResolver`).
#[doc(alias = "DefaultResolver")]
pub fn default_resolver() -> &'static Resolver {
    static R: OnceLock<Resolver> = OnceLock::new();
    R.get_or_init(Resolver::default)
}

/// Runs a lookup of `name` under `ctx`: a context already done fails at
/// once, and a failure after it ended is reported as its error (Go's
/// `select` on `ctx.Done()` in `lookupIPAddr`).
fn under_ctx<T>(
    ctx: &Context,
    name: &str,
    f: impl FnOnce() -> Result<T, DNSError>,
) -> io::Result<T> {
    if let Some(e) = ctx.err() {
        return Err(context_dns_error(e, name).into());
    }
    f().map_err(|err| match ctx.err() {
        Some(e) => context_dns_error(e, name).into(),
        None => err.into(),
    })
}

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

impl Resolver {
    /// The order for a lookup of `host` (Go's `systemConf().hostLookupOrder`).
    fn host_order(&self, host: &str) -> (HostLookupOrder, Arc<crate::dnsconfig_unix::DnsConfig>) {
        let conf = self.dns_config();
        (
            system_conf().host_lookup_order(self.prefer_go, host, &conf),
            conf,
        )
    }

    /// Host addresses for `host`, of the families `network` asks for, in
    /// the order `order` says (Go's `Resolver.lookupIP` after the order
    /// is known).
    fn lookup_ip_ordered(
        &self,
        ctx: &Context,
        network: Network,
        host: &str,
        order: HostLookupOrder,
        conf: Arc<crate::dnsconfig_unix::DnsConfig>,
    ) -> Result<Vec<IPAddr>, DNSError> {
        if order == HostLookupOrder::Cgo {
            // What cannot be a DNS name is no such host, without asking
            // the C library: text with spaces, NUL bytes or a megabyte of
            // letters never reaches getaddrinfo.
            if !is_domain_name(host) {
                return Err(no_such_host(host));
            }
            return cgo_lookup_ip(network, host);
        }
        let q = match network.ip_version() {
            IpVersion::V4 => IpQuery::V4,
            IpVersion::V6 => IpQuery::V6,
            IpVersion::Any => IpQuery::Any,
        };
        self.go_lookup_ip_cname_order(ctx, q, host, order, conf)
            .map(|(addrs, _)| addrs)
    }

    /// Go's `Resolver.lookupIPAddr`: literals, then the lookup, without
    /// duplicates.
    pub(crate) fn lookup_ip_addr_on(
        &self,
        ctx: &Context,
        network: Network,
        host: &str,
    ) -> io::Result<Vec<IPAddr>> {
        if host.is_empty() {
            return Err(no_such_host(host).into());
        }
        if let Some(lit) = parse_ip_literal(host) {
            return Ok(vec![lit]);
        }
        under_ctx(ctx, host, || {
            let (order, conf) = self.host_order(host);
            self.lookup_ip_ordered(ctx, network, host, order, conf)
                .map(dedup)
        })
    }

    /// Looks up `host` and returns its addresses as text (Go's
    /// `Resolver.LookupHost`). An IP literal comes back as given.
    #[doc(alias = "LookupHost")]
    pub fn lookup_host(&self, ctx: &Context, host: &str) -> io::Result<Vec<String>> {
        if host.is_empty() {
            return Err(no_such_host(host).into());
        }
        if parse_literal_ip(host).is_some() {
            return Ok(vec![host.to_string()]);
        }
        under_ctx(ctx, host, || {
            let (order, conf) = self.host_order(host);
            if order == HostLookupOrder::Cgo {
                let addrs =
                    self.lookup_ip_ordered(ctx, Network::Ip { proto: 0 }, host, order, conf)?;
                return Ok(dedup(addrs.iter().map(ToString::to_string).collect()));
            }
            self.go_lookup_host_order(ctx, host, order, conf).map(dedup)
        })
    }

    /// Looks up `host`'s IPv4 and IPv6 addresses (Go's
    /// `Resolver.LookupIPAddr`).
    #[doc(alias = "LookupIPAddr")]
    pub fn lookup_ip_addr(&self, ctx: &Context, host: &str) -> io::Result<Vec<IPAddr>> {
        self.lookup_ip_addr_on(ctx, Network::Ip { proto: 0 }, host)
    }

    /// Looks up `host`'s addresses of the kind `network` asks for:
    /// `"ip"`, `"ip4"` or `"ip6"` (Go's `Resolver.LookupIP`); see
    /// [`lookup_ip`].
    #[doc(alias = "LookupIP")]
    pub fn lookup_ip(&self, ctx: &Context, network: &str, host: &str) -> io::Result<Vec<IP>> {
        let afnet = match network.parse::<Network>()? {
            n if n.is_ip() => n,
            _ => return Err(UnknownNetworkError(network.to_string()).into()),
        };
        let mut addrs = self.lookup_ip_addr_on(ctx, afnet, host)?;
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

    /// The canonical name of `host`: the end of its CNAME chain, or the
    /// name itself when it has addresses but no CNAME (Go's
    /// `Resolver.LookupCNAME`). The result is absolute (`"a.example."`).
    #[doc(alias = "LookupCNAME")]
    pub fn lookup_cname(&self, ctx: &Context, host: &str) -> io::Result<String> {
        under_ctx(ctx, host, || {
            let (order, conf) = self.host_order(host);
            let cname = self.go_lookup_cname(ctx, host, order, conf)?;
            if !is_domain_name(&cname) {
                return Err(malformed(host));
            }
            Ok(cname)
        })
    }

    /// The SRV records of `_service._proto.name` (of `name` itself when
    /// both are empty), sorted by priority and shuffled by weight, and the
    /// owner name of the first (Go's `Resolver.LookupSRV`).
    #[doc(alias = "LookupSRV")]
    pub fn lookup_srv(
        &self,
        ctx: &Context,
        service: &str,
        proto: &str,
        name: &str,
    ) -> io::Result<(String, Vec<SRV>)> {
        under_ctx(ctx, name, || {
            let (cname, addrs) = self.go_lookup_srv(ctx, service, proto, name)?;
            if !cname.is_empty() && !is_domain_name(&cname) {
                return Err(DNSError {
                    err: "SRV header name is invalid".into(),
                    name: name.to_string(),
                    ..DNSError::default()
                });
            }
            if addrs.iter().any(|a| !is_domain_name(&a.target)) {
                return Err(malformed(name));
            }
            Ok((cname, addrs))
        })
    }

    /// The MX records of `name`, sorted by preference (Go's
    /// `Resolver.LookupMX`). Hosts may be domain names or IP addresses.
    #[doc(alias = "LookupMX")]
    pub fn lookup_mx(&self, ctx: &Context, name: &str) -> io::Result<Vec<MX>> {
        under_ctx(ctx, name, || {
            let mxs = self.go_lookup_mx(ctx, name)?;
            if mxs.iter().any(|m| !is_mx_host(&m.host)) {
                return Err(malformed(name));
            }
            Ok(mxs)
        })
    }

    /// The NS records of `name` (Go's `Resolver.LookupNS`).
    #[doc(alias = "LookupNS")]
    pub fn lookup_ns(&self, ctx: &Context, name: &str) -> io::Result<Vec<NS>> {
        under_ctx(ctx, name, || {
            let nss = self.go_lookup_ns(ctx, name)?;
            if nss.iter().any(|n| !is_domain_name(&n.host)) {
                return Err(malformed(name));
            }
            Ok(nss)
        })
    }

    /// The TXT records of `name`, the strings of each record joined into
    /// one (Go's `Resolver.LookupTXT`).
    #[doc(alias = "LookupTXT")]
    pub fn lookup_txt(&self, ctx: &Context, name: &str) -> io::Result<Vec<String>> {
        under_ctx(ctx, name, || self.go_lookup_txt(ctx, name))
    }

    /// The names of the address `addr`, a reverse lookup (Go's
    /// `Resolver.LookupAddr`): `/etc/hosts`, then a PTR query for
    /// `4.3.2.1.in-addr.arpa.` or the `ip6.arpa.` name, in the order the
    /// configuration gives. Text that is not a plain IP address is
    /// `unrecognized address`.
    #[doc(alias = "LookupAddr")]
    pub fn lookup_addr(&self, ctx: &Context, addr: &str) -> io::Result<Vec<String>> {
        under_ctx(ctx, addr, || {
            let conf = self.dns_config();
            let order = match system_conf().addr_lookup_order(self.prefer_go, &conf) {
                // No C library reverse lookup here: hosts, then DNS.
                HostLookupOrder::Cgo => HostLookupOrder::FilesDns,
                o => o,
            };
            let names = self.go_lookup_ptr(ctx, addr, order, conf)?;
            if names.iter().any(|n| !is_domain_name(n)) {
                return Err(malformed(addr));
            }
            Ok(names)
        })
    }
}

/// Go's `errMalformedDNSRecordsDetail` error for `name`.
fn malformed(name: &str) -> DNSError {
    DNSError {
        err: ERR_MALFORMED_DNS_RECORDS.into(),
        name: name.to_string(),
        ..DNSError::default()
    }
}

/// Resolves `host` to IP addresses for dialing (Go's
/// `Resolver.lookupIPAddr` on the default resolver), narrowed to IPv4 or
/// IPv6 queries when `network` names a version. Addresses are not
/// filtered by `network` here (the caller does, as Go's
/// `internetAddrList` does).
#[doc(alias = "lookupIPAddr")]
pub(crate) fn lookup_ip_addr(network: Network, host: &str) -> io::Result<Vec<IPAddr>> {
    default_resolver().lookup_ip_addr_on(&context::background(), network, host)
}

/// Looks up `host` and returns its addresses as text (Go's `LookupHost`).
///
/// An IP literal comes back as given, without a lookup; a name is looked
/// up in `/etc/hosts` and DNS as the system is configured (see the module
/// doc). An unknown name fails with a [`DNSError`] of kind
/// [`NotFound`](io::ErrorKind::NotFound): `lookup nosuch.invalid on
/// 127.0.0.53:53: no such host`.
///
/// ```
/// let addrs = gort_net::lookup_host("127.0.0.1").unwrap();
/// assert_eq!(addrs, ["127.0.0.1"]);
/// assert!(gort_net::lookup_host("").is_err());
/// ```
#[doc(alias = "LookupHost")]
pub fn lookup_host(host: &str) -> io::Result<Vec<String>> {
    default_resolver().lookup_host(&context::background(), host)
}

/// Looks up `host` and returns its addresses of the kind `network` asks
/// for (Go's `LookupIP`).
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
    default_resolver().lookup_ip(&context::background(), network, host)
}

/// The canonical name of `host` (Go's `LookupCNAME`); see
/// [`Resolver::lookup_cname`].
#[doc(alias = "LookupCNAME")]
pub fn lookup_cname(host: &str) -> io::Result<String> {
    default_resolver().lookup_cname(&context::background(), host)
}

/// The SRV records of `_service._proto.name` (Go's `LookupSRV`); see
/// [`Resolver::lookup_srv`].
#[doc(alias = "LookupSRV")]
pub fn lookup_srv(service: &str, proto: &str, name: &str) -> io::Result<(String, Vec<SRV>)> {
    default_resolver().lookup_srv(&context::background(), service, proto, name)
}

/// The MX records of `name`, sorted by preference (Go's `LookupMX`).
#[doc(alias = "LookupMX")]
pub fn lookup_mx(name: &str) -> io::Result<Vec<MX>> {
    default_resolver().lookup_mx(&context::background(), name)
}

/// The NS records of `name` (Go's `LookupNS`).
#[doc(alias = "LookupNS")]
pub fn lookup_ns(name: &str) -> io::Result<Vec<NS>> {
    default_resolver().lookup_ns(&context::background(), name)
}

/// The TXT records of `name` (Go's `LookupTXT`).
#[doc(alias = "LookupTXT")]
pub fn lookup_txt(name: &str) -> io::Result<Vec<String>> {
    default_resolver().lookup_txt(&context::background(), name)
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
/// lookup, from `/etc/hosts` and with a DNS PTR query.
///
/// Names from the hosts file come back as it writes them, with a trailing
/// dot added to those with a dot inside (`"localhost"`,
/// `"host.example."`); names from DNS are absolute. An address nobody
/// names fails with `no such host`, text that is not a plain IP address
/// (one with a `%zone` counts, unless the hosts file names it) with
/// `unrecognized address`, and names that are not valid domain names are
/// reported as a [`DNSError`] (Go also returns the valid ones alongside).
///
/// ```no_run
/// let names = gort_net::lookup_addr("127.0.0.1").unwrap();
/// assert!(names.iter().any(|n| n == "localhost"));
/// ```
#[doc(alias = "LookupAddr")]
pub fn lookup_addr(addr: &str) -> io::Result<Vec<String>> {
    default_resolver().lookup_addr(&context::background(), addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const IP_ANY: Network = Network::Ip { proto: 0 };

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/testdata")
            .join(name)
    }

    /// A resolver reading the hosts file `name` (files before DNS), and
    /// no resolv.conf.
    fn files(name: &str) -> Resolver {
        Resolver {
            prefer_go: true,
            hosts_file: Some(testdata(name)),
            resolv_conf: Some(PathBuf::from("/nonexistent/gort/resolv.conf")),
            ..Resolver::default()
        }
    }

    fn bg() -> Context {
        context::background()
    }

    #[test]
    fn test_lookup_ip_addr_literals() {
        let r = files("nonexistent-hosts");
        let got = r
            .lookup_ip_addr_on(&bg(), IP_ANY, "127.0.0.1")
            .expect("literal");
        assert_eq!(got, [IPAddr::new(IP::v4(127, 0, 0, 1))]);
        assert_eq!(got[0].ip.len(), 16);
        let got = r
            .lookup_ip_addr_on(&bg(), IP_ANY, "fe80::1%eth0")
            .expect("zoned literal");
        assert_eq!(got[0].to_string(), "fe80::1%eth0");
        let err = r.lookup_ip_addr_on(&bg(), IP_ANY, "").unwrap_err();
        assert_eq!(err.to_string(), "lookup : no such host");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn test_lookup_ip_addr_hosts_file() {
        let r = files("hosts");
        let got = r
            .lookup_ip_addr_on(&bg(), IP_ANY, "ODIN")
            .expect("in hosts");
        let text: Vec<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["127.0.0.2", "127.0.0.3", "::2"]);
        let got = r
            .lookup_ip_addr_on(&bg(), IP_ANY, "localhost")
            .expect("in hosts");
        assert_eq!(got[0].zone, "lo0");
        assert_eq!(got[0].ip.to_string(), "fe80::1");
    }

    #[test]
    fn test_lookup_ip_filters() {
        let r = files("hosts");
        let v4 = r.lookup_ip(&bg(), "ip4", "odin").expect("ip4");
        assert_eq!(v4, [IP::v4(127, 0, 0, 2), IP::v4(127, 0, 0, 3)]);
        let v6 = r.lookup_ip(&bg(), "ip6:ipv6-icmp", "odin").expect("ip6");
        assert_eq!(v6.len(), 1);
        assert_eq!(v6[0].to_string(), "::2");
        let err = r.lookup_ip(&bg(), "ip4", "::1").unwrap_err();
        assert_eq!(err.to_string(), "address ::1: no suitable address found");
        let both = r.lookup_ip(&bg(), "ip", "::").expect("unspecified");
        assert_eq!(both, [IP::IPV6_UNSPECIFIED, IP::IPV4_ZERO]);
    }

    #[test]
    fn test_lookup_ip_networks() {
        let r = files("hosts");
        for ok in ["ip", "ip4", "ip6", "ip:1", "ip4:icmp", "ip6:IPV6-ICMP"] {
            assert!(r.lookup_ip(&bg(), ok, "odin").is_ok(), "{ok}");
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
            let err = r.lookup_ip(&bg(), bad, "odin").unwrap_err();
            assert_eq!(err.to_string(), want, "{bad}");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn test_lookup_host_hosts_file() {
        let r = files("ipv6-hosts");
        let got = r
            .lookup_host(&bg(), "localhost.localdomain")
            .expect("in hosts");
        assert_eq!(got, ["fe80::3%lo0"]);
        // A literal is returned as written, not canonicalised.
        let got = r.lookup_host(&bg(), "fe80:0:0::1").expect("literal");
        assert_eq!(got, ["fe80:0:0::1"]);
    }

    #[test]
    fn test_lookup_addr_hosts_file() {
        let r = files("hosts");
        let conf = r.dns_config();
        assert_eq!(
            r.go_lookup_ptr(&bg(), "127.1.1.2", HostLookupOrder::Files, conf.clone())
                .expect("named"),
            ["ullr", "ullrhost"]
        );
        let err = r
            .go_lookup_ptr(&bg(), "127.9.9.9", HostLookupOrder::Files, conf.clone())
            .unwrap_err();
        assert_eq!(err.to_string(), "lookup 127.9.9.9: no such host");
        assert!(err.is_not_found);
        let err = r
            .go_lookup_ptr(&bg(), "odin", HostLookupOrder::FilesDns, conf)
            .unwrap_err();
        assert_eq!(err.to_string(), "lookup odin: unrecognized address");
        assert!(!err.is_not_found);
    }

    /// A cancelled context fails a lookup at once, with Go's text.
    #[test]
    fn test_lookup_cancelled_context() {
        gort_runtime::run(|| {
            let r = files("hosts");
            let (ctx, cancel) = context::with_cancel(&context::background());
            cancel.cancel();
            let err = r.lookup_host(&ctx, "odin").unwrap_err();
            assert_eq!(err.to_string(), "lookup odin: operation was canceled");
            let d = err.get_ref().unwrap().downcast_ref::<DNSError>().unwrap();
            assert_eq!(d.unwrap_err, Some(context::ContextError::Canceled));
            assert!(!d.timeout());
        });
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
}
