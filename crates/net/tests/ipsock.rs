//! Ports of the `"host:port"` tests of Go's src/net (go1.27): the tables of
//! `TestSplitHostPort` and `TestJoinHostPort` in ip_test.go (older Go
//! releases kept them as `splitJoinTests` and `splitFailureTests`), as
//! data, by name.
//!
//! Go's ipsock_test.go itself tests `addrList` (`TestAddrList`,
//! `TestAddrListPartition`), which belongs to name resolution and is ported
//! with lookup.rs.

use gort_net::{AddrError, join_host_port, split_host_port};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

/// Go's `splitJoinTests`: `(host, port, joined)`; splitting `joined` gives
/// `host` and `port`, and joining them gives `joined`.
const SPLIT_JOIN_TESTS: &[(&str, &str, &str)] = &[
    // Host name.
    ("localhost", "http", "localhost:http"),
    ("localhost", "80", "localhost:80"),
    // Go-specific host name with zone identifier.
    ("localhost%lo0", "http", "localhost%lo0:http"),
    ("localhost%lo0", "80", "localhost%lo0:80"),
    // IP literal.
    ("127.0.0.1", "http", "127.0.0.1:http"),
    ("127.0.0.1", "80", "127.0.0.1:80"),
    ("::1", "http", "[::1]:http"),
    ("::1", "80", "[::1]:80"),
    // IP literal with zone identifier.
    ("::1%lo0", "http", "[::1%lo0]:http"),
    ("::1%lo0", "80", "[::1%lo0]:80"),
    // Go-specific wildcard for host name.
    ("", "http", ":http"), // Go 1 behavior
    ("", "80", ":80"),     // Go 1 behavior
    // Go-specific wildcard for service name or transport port number.
    ("golang.org", "", "golang.org:"), // Go 1 behavior
    ("127.0.0.1", "", "127.0.0.1:"),   // Go 1 behavior
    ("::1", "", "[::1]:"),             // Go 1 behavior
    // Opaque service name.
    ("golang.org", "https%foo", "golang.org:https%foo"), // Go 1 behavior
];

/// Inputs `split_host_port` accepts but `join_host_port` would write
/// differently: `(hostport, host, port)` (the rest of Go's
/// `TestSplitHostPort` success table).
const SPLIT_ONLY_TESTS: &[(&str, &str, &str)] = &[
    ("[localhost%lo0]:http", "localhost%lo0", "http"), // Go 1 behavior
    ("[localhost%lo0]:80", "localhost%lo0", "80"),     // Go 1 behavior
    ("[127.0.0.1]:80", "127.0.0.1", "80"),
    ("[]:80", "", "80"),
    ("[]:", "", ""),
    (":", "", ""),
];

/// Go's `splitFailureTests`: `(hostport, message)`.
const SPLIT_FAILURE_TESTS: &[(&str, &str)] = &[
    ("golang.org", "missing port in address"),
    ("127.0.0.1", "missing port in address"),
    ("[::1]", "missing port in address"),
    ("[fe80::1%lo0]", "missing port in address"),
    ("[localhost%lo0]", "missing port in address"),
    ("localhost%lo0", "missing port in address"),
    ("::1", "too many colons in address"),
    ("fe80::1%lo0", "too many colons in address"),
    ("fe80::1%lo0:80", "too many colons in address"),
    // Test cases that didn't fail in Go 1.
    ("[foo:bar]", "missing port in address"),
    ("[foo:bar]baz", "missing port in address"),
    ("[foo]bar:baz", "missing port in address"),
    ("[foo]:[bar]:baz", "too many colons in address"),
    ("[foo]:[bar]baz", "unexpected '[' in address"),
    ("foo[bar]:baz", "unexpected '[' in address"),
    ("foo]bar:baz", "unexpected ']' in address"),
    // Beyond Go's table: each remaining branch of SplitHostPort.
    ("", "missing port in address"),
    ("[::1:80", "missing ']' in address"),
    ("[", "missing port in address"),
    ("[:", "missing ']' in address"),
    ("[a]]:80", "missing port in address"),
    ("[a]:80]", "unexpected ']' in address"),
    ("[[a]:80", "unexpected '[' in address"),
    ("a:b]", "unexpected ']' in address"),
];

#[test]
fn test_split_host_port() {
    let _w = watchdog::start("test_split_host_port", watchdog::LIMIT);
    for &(host, port, hostport) in SPLIT_JOIN_TESTS {
        assert_eq!(
            split_host_port(hostport),
            Ok((host.to_string(), port.to_string())),
            "split_host_port({hostport:?})"
        );
    }
    for &(hostport, host, port) in SPLIT_ONLY_TESTS {
        assert_eq!(
            split_host_port(hostport),
            Ok((host.to_string(), port.to_string())),
            "split_host_port({hostport:?})"
        );
    }
    for &(hostport, message) in SPLIT_FAILURE_TESTS {
        let err = split_host_port(hostport).expect_err(hostport);
        assert_eq!(err, AddrError::new(message, hostport), "{hostport:?}");
        if !hostport.is_empty() {
            assert_eq!(err.to_string(), format!("address {hostport}: {message}"));
        }
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    }
}

#[test]
fn test_join_host_port() {
    let _w = watchdog::start("test_join_host_port", watchdog::LIMIT);
    for &(host, port, hostport) in SPLIT_JOIN_TESTS {
        assert_eq!(
            join_host_port(host, port),
            hostport,
            "join_host_port({host:?}, {port:?})"
        );
    }
}

/// Non-ASCII text passes through untouched, and no input panics.
#[test]
fn test_split_host_port_unicode() {
    let _w = watchdog::start("test_split_host_port_unicode", watchdog::LIMIT);
    assert_eq!(
        split_host_port("héllo:pört"),
        Ok(("héllo".to_string(), "pört".to_string()))
    );
    assert_eq!(
        split_host_port("[é]:ü"),
        Ok(("é".to_string(), "ü".to_string()))
    );
    for s in ["é", "[é", "é]:", "[é]é:1", ":é:", "]", "[]", "[]]", "][:"] {
        let _ = split_host_port(s);
    }
}
