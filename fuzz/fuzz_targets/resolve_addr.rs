//! The resolve and lookup functions on arbitrary networks and addresses,
//! for every input that needs no DNS: `resolve_tcp_addr`,
//! `resolve_udp_addr`, `resolve_unix_addr`, `lookup_ip`, `lookup_host`,
//! `lookup_port` and `lookup_addr` (Go's `Resolve*Addr` and `Lookup*`).
//!
//! The first byte picks the network, the rest is the address. A host is
//! only handed over when it cannot reach a DNS server: empty, an IP
//! literal, or text with a byte no domain name has (gort answers those
//! with "no such host" after reading `/etc/hosts`, as Go does); and
//! `lookup_addr` gets only text that is not an address (an address would
//! be a PTR query). Service names read `/etc/services`; nothing here
//! touches the network.
//!
//! Checks: no panic, and every resolved address prints as text that
//! resolves to the same address again (Go's `TestResolveTCPAddr` round
//! trip through `addr.String()`). One exception is Go's own: an
//! IPv4-mapped literal with a zone (`[::ffff:1.2.3.4%eth0]:80`) resolves to
//! an IPv4 address that keeps the zone and prints as `1.2.3.4%eth0:80`,
//! which neither Go nor gort reads back.
#![no_main]

use gort_net::{
    lookup_addr, lookup_host, lookup_ip, lookup_port, parse_ip, resolve_tcp_addr, resolve_udp_addr,
    resolve_unix_addr, split_host_port,
};
use libfuzzer_sys::fuzz_target;

const NETWORKS: [&str; 16] = [
    "tcp",
    "tcp4",
    "tcp6",
    "udp",
    "udp4",
    "udp6",
    "",
    "unix",
    "unixgram",
    "unixpacket",
    "ip",
    "ip4",
    "ip6",
    "ip4:icmp",
    "ip:",
    "tcp7",
];

/// Whether looking `host` up can never reach a DNS server.
fn offline(host: &str) -> bool {
    host.is_empty()
        || parse_ip(host.split('%').next().unwrap_or_default()).is_some()
        || host
            .bytes()
            .any(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let network = NETWORKS[usize::from(pick) % NETWORKS.len()];
    let address = String::from_utf8_lossy(rest);

    if let Ok(a) = resolve_unix_addr(network, &address) {
        assert_eq!(a.name, address);
        assert_eq!(resolve_unix_addr(network, &a.to_string()).ok(), Some(a));
    }
    // A reverse lookup of an address asks DNS (PTR): only text that is not
    // an address is handed over (the hosts file, then "unrecognized
    // address").
    if parse_ip(address.split('%').next().unwrap_or_default()).is_none() {
        let _ = lookup_addr(&address);
    }
    if offline(&address) {
        let _ = lookup_host(&address);
        let _ = lookup_ip(network, &address);
    }

    // Both resolvers fail on a bad split before any lookup.
    let (host, port) = split_host_port(&address).unwrap_or_default();
    let _ = lookup_port(network, &port);
    if !offline(&host) {
        return;
    }
    if let Ok(a) = resolve_tcp_addr(network, &address)
        && (a.ip.to4().is_none() || a.zone.is_empty())
    {
        let text = a.to_string();
        let again = resolve_tcp_addr(network, &text)
            .unwrap_or_else(|e| panic!("{network:?} {address:?} -> {text:?}, which fails: {e}"));
        assert_eq!(again, a, "{network:?} {address:?} -> {text:?}");
    }
    if let Ok(a) = resolve_udp_addr(network, &address)
        && (a.ip.to4().is_none() || a.zone.is_empty())
    {
        let text = a.to_string();
        let again = resolve_udp_addr(network, &text)
            .unwrap_or_else(|e| panic!("{network:?} {address:?} -> {text:?}, which fails: {e}"));
        assert_eq!(again, a, "{network:?} {address:?} -> {text:?}");
    }
});
