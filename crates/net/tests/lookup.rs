//! The resolver's public functions (Go's lookup_test.go, the parts that need
//! no network): IP literals, `localhost`, numeric and named ports, and
//! `.invalid` names, which RFC 6761 guarantees never resolve.

use std::io;

use gort_net::{
    AddrError, DNSError, IP, UnknownNetworkError, lookup_addr, lookup_host, lookup_ip, lookup_port,
};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

fn dns_error(err: &io::Error) -> &DNSError {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<DNSError>())
        .unwrap_or_else(|| panic!("not a DNSError: {err:?}"))
}

/// A `.invalid` name fails at once. Without a network some resolvers
/// answer a temporary failure instead of "no such host": either is
/// accepted, each with Go's flags.
fn check_invalid(err: &io::Error, name: &str) {
    let d = dns_error(err);
    assert_eq!(d.name, name);
    if d.is_not_found {
        // Go's resolver names the server that said so; the C library's
        // does not.
        let on = if d.server.is_empty() {
            String::new()
        } else {
            format!(" on {}", d.server)
        };
        assert_eq!(err.to_string(), format!("lookup {name}{on}: no such host"));
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    } else {
        assert!(d.is_temporary, "{d:?}");
    }
}

#[test]
fn test_lookup_host_literals() {
    let _w = watchdog::start("test_lookup_host_literals", watchdog::LIMIT);
    assert_eq!(lookup_host("127.0.0.1").unwrap(), ["127.0.0.1"]);
    assert_eq!(lookup_host("::1").unwrap(), ["::1"]);
    assert_eq!(lookup_host("fe80::1%lo").unwrap(), ["fe80::1%lo"]);
}

#[test]
fn test_lookup_host_empty() {
    let _w = watchdog::start("test_lookup_host_empty", watchdog::LIMIT);
    let err = lookup_host("").unwrap_err();
    assert_eq!(err.to_string(), "lookup : no such host");
    assert!(dns_error(&err).is_not_found);
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn test_lookup_localhost() {
    let _w = watchdog::start("test_lookup_localhost", watchdog::LIMIT);
    let addrs = lookup_host("localhost").unwrap();
    assert!(!addrs.is_empty());
    for a in &addrs {
        let ip: IP = a.parse().unwrap_or_else(|_| panic!("not an IP: {a}"));
        assert!(ip.is_loopback(), "{a}");
    }
    let ips = lookup_ip("ip4", "localhost").unwrap();
    assert!(ips.iter().all(|ip| ip.to4().is_some() && ip.is_loopback()));
    // Case does not matter.
    assert_eq!(lookup_ip("ip4", "LocalHost").unwrap(), ips);
}

#[test]
fn test_lookup_ip_literals_and_networks() {
    let _w = watchdog::start("test_lookup_ip_literals_and_networks", watchdog::LIMIT);
    assert_eq!(
        lookup_ip("ip", "127.0.0.1").unwrap(),
        [IP::v4(127, 0, 0, 1)]
    );
    assert_eq!(lookup_ip("ip6", "::1").unwrap(), [IP::IPV6_LOOPBACK]);
    let err = lookup_ip("ip6", "127.0.0.1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "address 127.0.0.1: no suitable address found"
    );
    assert!(err.get_ref().unwrap().is::<AddrError>());
    let err = lookup_ip("tcp", "127.0.0.1").unwrap_err();
    assert_eq!(err.to_string(), "unknown network tcp");
    assert!(err.get_ref().unwrap().is::<UnknownNetworkError>());
    let err = lookup_ip("ip", "").unwrap_err();
    assert_eq!(err.to_string(), "lookup : no such host");
}

#[test]
fn test_lookup_invalid_names() {
    let _w = watchdog::start("test_lookup_invalid_names", watchdog::LIMIT);
    for name in ["nosuchhost.invalid", "gort-test.invalid."] {
        check_invalid(&lookup_host(name).unwrap_err(), name);
        check_invalid(&lookup_ip("ip", name).unwrap_err(), name);
    }
}

/// Go's `lookupPortTests` that need no /etc/services entry beyond Go's
/// built-in table.
#[test]
fn test_lookup_port() {
    let _w = watchdog::start("test_lookup_port", watchdog::LIMIT);
    let ok: &[(&str, &str, u16)] = &[
        ("tcp", "0", 0),
        ("tcp", "http", 80),
        ("tcp", "HTTP", 80),
        ("tcp4", "https", 443),
        ("tcp6", "ssh", 22),
        ("udp", "domain", 53),
        ("ip", "http", 80),
        ("", "domain", 53),
        ("tcp", "65535", 65535),
        ("udp", "+80", 80),
    ];
    for &(net, service, port) in ok {
        assert_eq!(
            lookup_port(net, service).unwrap(),
            port,
            "lookup_port({net:?}, {service:?})"
        );
    }
    let bad: &[(&str, &str, &str)] = &[
        ("tcp", "-1", "address -1: invalid port"),
        ("tcp", "65536", "address 65536: invalid port"),
        ("udp", "-65536", "address -65536: invalid port"),
        ("tcp", "123456789", "address 123456789: invalid port"),
        ("hoge", "http", "address hoge: unknown network"),
        (
            "tcp",
            "gort-nosuch-port",
            "lookup tcp/gort-nosuch-port: unknown port",
        ),
        (
            "udp",
            "gort-nosuch-port",
            "lookup udp/gort-nosuch-port: unknown port",
        ),
    ];
    for &(net, service, want) in bad {
        let err = lookup_port(net, service).unwrap_err();
        assert_eq!(err.to_string(), want, "lookup_port({net:?}, {service:?})");
    }
    let err = lookup_port("tcp", "gort-nosuch-port").unwrap_err();
    assert!(dns_error(&err).is_not_found);
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn test_lookup_addr() {
    let _w = watchdog::start("test_lookup_addr", watchdog::LIMIT);
    let err = lookup_addr("not-an-address").unwrap_err();
    assert_eq!(
        err.to_string(),
        "lookup not-an-address: unrecognized address"
    );
    // 192.0.2.0/24 is TEST-NET-1: no hosts file should name it.
    let err = lookup_addr("192.0.2.123").unwrap_err();
    assert!(dns_error(&err).is_not_found);
}

/// Lookups from many goroutines at once (DNS queries that park, or
/// getaddrinfo as a blocking call): they all complete and agree.
#[test]
fn test_lookup_in_goroutines() {
    let _w = watchdog::start("test_lookup_in_goroutines", watchdog::LIMIT);
    let results = gort_runtime::run(|| {
        let hs: Vec<_> = (0..16)
            .map(|i| {
                gort_runtime::spawn(move || {
                    if i % 2 == 0 {
                        lookup_ip("ip4", "localhost").map(|v| v.len())
                    } else {
                        lookup_ip("ip", "nosuchhost.invalid").map(|v| v.len())
                    }
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("lookup goroutine panicked"))
            .collect::<Vec<_>>()
    });
    for (i, r) in results.iter().enumerate() {
        if i % 2 == 0 {
            assert!(matches!(r, Ok(n) if *n >= 1), "{r:?}");
        } else {
            let err = r.as_ref().unwrap_err();
            check_invalid(err, "nosuchhost.invalid");
        }
    }
}
