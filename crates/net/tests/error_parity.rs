//! Error parity (issue 20): Go's `src/net/error_test.go`, ported table by
//! table. Each failed call must fail where Go's does, with Go's text and
//! Go's layers of error types.
//!
//! The tables keep Go's names and rows, in Go's order: `dialErrorTests`,
//! `listenErrorTests`, `listenPacketErrorTests`, and the calls of
//! `TestProtocolDialError`, `TestProtocolListenError`, `TestDialAddrError`,
//! `TestCloseError`, `TestAcceptError` and `TestFileError`. Go's checkers
//! (`parseDialError`, `parseReadError`, `parseWriteError`,
//! `parseCloseError`, `parseAcceptError`, `parseCommonError`) are ported as
//! the functions of the same names: which error types may appear at which
//! layer (the `OpError`, then what it wraps, then what a `SyscallError`
//! wraps).
//!
//! Every expected text was found by running the same call under Go 1.27 on
//! Linux (go1.27.3, Go's own resolver). Rows where gort answers otherwise
//! on purpose carry a [`Diff`]: gort's text, its layers, and why; the README
//! lists the same differences under Limitations. A row fails on any
//! difference not written down, and also if a written-down difference
//! disappears (then the row should simply expect Go's answer).
//!
//! Go's test swaps in a resolver hook and a socket filter (`socktest`) so
//! that no call reaches the network; gort has neither. So the rows use
//! 127.0.0.1 and ::1, port 0 or a port nothing listens on, paths in a fresh
//! temporary directory or under a directory that does not exist, and names
//! no DNS server can answer with an address. Two rows ask a resolver:
//! `no-such-name:80` (Go's hook answers with a `DNSError`; here the system
//! resolver does, and its text depends on the host, so the row checks the
//! error's type and name) and `mh/astro/r70:http`, a name Go refuses
//! without asking.

use std::error::Error as _;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use gort::net::{
    self, AddrError, CanceledError, DNSError, Dialer, IP, IPAddr, InvalidAddrError, OpError,
    ParseError, SyscallError, TcpAddr, TcpConn, TimeoutError, UdpAddr, UnixAddr,
    UnknownNetworkError, dial_ip, dial_tcp, dial_udp, dial_unix, join_host_port, listen_ip,
    listen_tcp, listen_udp, listen_unix, listen_unixgram,
};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

/// The name of one layer of an error, as Go's `%T` of it would read, in
/// gort's types: `OpError`, `SyscallError`, `Errno` (an OS error, Go's
/// `syscall.Errno`), `AddrError`, `DNSError`, `UnknownNetworkError`,
/// `errMissingAddress`, `ErrClosed`, `DeadlineExceeded`, ...
fn layer(e: &io::Error) -> String {
    if e.raw_os_error().is_some() {
        return "Errno".into();
    }
    let Some(inner) = e.get_ref() else {
        return format!("?{e}");
    };
    if inner.is::<OpError>() {
        "OpError".into()
    } else if inner.is::<SyscallError>() {
        "SyscallError".into()
    } else if inner.is::<AddrError>() {
        "AddrError".into()
    } else if inner.is::<DNSError>() {
        "DNSError".into()
    } else if inner.is::<UnknownNetworkError>() {
        "UnknownNetworkError".into()
    } else if inner.is::<ParseError>() {
        "ParseError".into()
    } else if inner.is::<TimeoutError>() {
        "errTimeout".into()
    } else if inner.is::<CanceledError>() {
        "errCanceled".into()
    } else if let Some(InvalidAddrError(s)) = inner.downcast_ref::<InvalidAddrError>() {
        // Go's errMissingAddress is a plain errors.New; gort's is typed.
        if s == "missing address" {
            "errMissingAddress".into()
        } else {
            "InvalidAddrError".into()
        }
    } else if gort_poll::fd::is_net_closing(e) {
        "ErrClosed".into()
    } else if gort_poll::fd::is_deadline_exceeded(e) {
        "DeadlineExceeded".into()
    } else if gort_poll::fd::is_not_pollable(e) {
        "ErrNotPollable".into()
    } else if e.to_string() == "use of WriteTo with pre-connected connection" {
        "ErrWriteToConnected".into()
    } else {
        format!("?{e}")
    }
}

/// The layers of `e`, outermost first, joined by `/`: what Go's test
/// prints as `%T` at each nesting level.
fn chain(e: &io::Error) -> String {
    let mut out = layer(e);
    let next = e.get_ref().and_then(|inner| {
        inner
            .downcast_ref::<OpError>()
            .map(|op| &op.err)
            .or_else(|| inner.downcast_ref::<SyscallError>().map(|sys| &sys.err))
    });
    if let Some(n) = next {
        out.push('/');
        out.push_str(&chain(n));
    }
    out
}

/// Go's `(*OpError).isValid`: an op, a network, and an error. (An `Op` is
/// never empty and the addresses are typed, so the rest holds by
/// construction.)
fn op_is_valid(op: &OpError) -> Result<(), String> {
    if op.op.as_str().is_empty() {
        return Err(format!("OpError.Op is empty: {op}"));
    }
    if op.net.is_empty() {
        return Err(format!("OpError.Net is empty: {op}"));
    }
    Ok(())
}

/// The error an `OpError` wraps, after checking it (the 1st nested level of
/// Go's parsers).
fn first_level(e: &io::Error) -> Result<&io::Error, String> {
    match net::op_error(e) {
        Some(op) => {
            op_is_valid(op)?;
            Ok(&op.err)
        }
        None => Err(format!("unexpected type on 1st nested level: {}", layer(e))),
    }
}

/// Checks the 2nd and 3rd levels: a platform error (an errno), one of
/// `allowed`, or a `SyscallError` around a platform error.
fn lower_levels(e: &io::Error, allowed: &[&str]) -> Result<(), String> {
    let l = layer(e);
    if l == "Errno" || allowed.contains(&l.as_str()) {
        return Ok(());
    }
    if l == "SyscallError" {
        let sys = e.get_ref().and_then(|i| i.downcast_ref::<SyscallError>());
        let third = &sys.expect("a SyscallError").err;
        if third.raw_os_error().is_some() {
            return Ok(());
        }
        return Err(format!(
            "unexpected type on 3rd nested level: {}",
            layer(third)
        ));
    }
    Err(format!("unexpected type on 2nd nested level: {l}"))
}

/// Go's `parseDialError`: an error of `Dial` or `Listen`.
fn parse_dial_error(e: &io::Error) -> Result<(), String> {
    lower_levels(
        first_level(e)?,
        &[
            "AddrError",
            "errTimeout",
            "DNSError",
            "InvalidAddrError",
            "ParseError",
            "DeadlineExceeded",
            "UnknownNetworkError",
            "errCanceled",
            "ErrClosed",
            "errMissingAddress",
        ],
    )
}

/// Go's `parseReadError`: an error of `Read` (Go's `io.EOF` is `Ok(0)`
/// in Rust).
fn parse_read_error(e: &io::Error) -> Result<(), String> {
    lower_levels(
        first_level(e)?,
        &[
            "ErrClosed",
            "errTimeout",
            "ErrNotPollable",
            "DeadlineExceeded",
        ],
    )
}

/// Go's `parseWriteError`: an error of `Write`.
fn parse_write_error(e: &io::Error) -> Result<(), String> {
    lower_levels(
        first_level(e)?,
        &[
            "AddrError",
            "errTimeout",
            "DNSError",
            "InvalidAddrError",
            "ParseError",
            "DeadlineExceeded",
            "UnknownNetworkError",
            "errCanceled",
            "ErrClosed",
            "errMissingAddress",
            "ErrWriteToConnected",
        ],
    )
}

/// Go's `parseCloseError`: an error of `Close` (`is_shutdown`: of
/// `CloseRead` or `CloseWrite`, which need not mention the closed conn).
fn parse_close_error(e: &io::Error, is_shutdown: bool) -> Result<(), String> {
    let want = "use of closed network connection";
    if !is_shutdown && !e.to_string().contains(want) {
        return Err(format!("error string {e:?} does not contain {want:?}"));
    }
    if !is_shutdown && !net::is_closed(e) {
        return Err(format!("is_closed({e}) returns false, want true"));
    }
    lower_levels(first_level(e)?, &["ErrClosed"])
}

/// Go's `parseAcceptError`: an error of `Accept`.
fn parse_accept_error(e: &io::Error) -> Result<(), String> {
    lower_levels(
        first_level(e)?,
        &[
            "ErrClosed",
            "errTimeout",
            "ErrNotPollable",
            "DeadlineExceeded",
        ],
    )
}

/// Go's `parseCommonError`: an error of miscellaneous calls (`File*`).
fn parse_common_error(e: &io::Error) -> Result<(), String> {
    lower_levels(first_level(e)?, &["ErrClosed"])
}

/// A difference from Go kept on purpose: what gort answers, and why.
struct Diff {
    text: String,
    chain: &'static str,
    why: &'static str,
}

/// One row: Go's call, Go's answer (`"OK"` for success) and its layers, and
/// gort's answer where it differs on purpose.
struct Row {
    what: String,
    go_text: String,
    go_chain: &'static str,
    diff: Option<Diff>,
}

/// Compares gort's result for a row with the row, returning a failure line.
fn compare<T>(
    row: &Row,
    got: io::Result<T>,
    parse: fn(&io::Error) -> Result<(), String>,
) -> Option<String> {
    let (text, ch) = match &got {
        Ok(_) => ("OK".to_string(), String::new()),
        Err(e) => (e.to_string(), chain(e)),
    };
    if let Err(e) = &got
        && let Err(why) = parse(e)
    {
        return Some(format!("{}: {why} ({text})", row.what));
    }
    let (want_text, want_chain) = match &row.diff {
        Some(d) => (&d.text, d.chain),
        None => (&row.go_text, row.go_chain),
    };
    if text != *want_text || ch != want_chain {
        let mut msg = format!(
            "{}:\n     got {text:?} [{ch}]\n    want {want_text:?} [{want_chain}]",
            row.what
        );
        if let Some(d) = &row.diff {
            msg.push_str(&format!(
                "\n    (a kept difference: {}; Go says {:?} [{}])",
                d.why, row.go_text, row.go_chain
            ));
        }
        return Some(msg);
    }
    None
}

/// Fails the test with every failure line, if any.
fn report(table: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{table}: {} row(s) differ from Go:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A row with Go's answer and no difference.
fn go(what: impl Into<String>, text: impl Into<String>, chain: &'static str) -> Row {
    Row {
        what: what.into(),
        go_text: text.into(),
        go_chain: chain,
        diff: None,
    }
}

/// Whether this process may open raw IP sockets (`CAP_NET_RAW`); Go's
/// `ip:icmp` row connects when it may.
fn can_open_raw_ip() -> bool {
    // SAFETY: socket(2) with constant arguments; the descriptor, if any,
    // is closed at once.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP) };
    if fd >= 0 {
        // SAFETY: fd was just opened by us.
        unsafe { libc::close(fd) };
        true
    } else {
        false
    }
}

/// The rows of `no-such-name:80`: Go's hook makes its resolver answer with
/// a `DNSError`; the system's resolver answers here, with a text that
/// depends on the host (Go's own resolver names the DNS server it asked).
/// Checks what Go's test checks: an `OpError` around a `DNSError`, for the
/// name asked.
fn check_no_such_name(op: &str, network: &str, got: io::Result<()>, out: &mut Vec<String>) {
    let what = format!("{op}({network:?}, \"no-such-name:80\")");
    let Err(e) = got else {
        out.push(format!("{what}: succeeded"));
        return;
    };
    if let Err(why) = parse_dial_error(&e) {
        out.push(format!("{what}: {why}"));
    }
    let prefix = format!("{op} {network}: lookup no-such-name");
    let dns = net::op_error(&e)
        .and_then(|o| o.err.get_ref())
        .and_then(|i| i.downcast_ref::<DNSError>());
    match dns {
        Some(d) if d.name == "no-such-name" && e.to_string().starts_with(&prefix) => {}
        _ => out.push(format!(
            "{what}: got {e:?} [{}], want {prefix}...",
            chain(&e)
        )),
    }
}

/// Go's `dialErrorTests`, through `Dialer::dial` (Go's `d.Dial`), plus the
/// dial the issue found (`":"`, which Go dials).
#[test]
fn dial_error_tests() {
    let _w = watchdog::start("dial_error_tests", watchdog::LIMIT);
    gort::run(|| {
        let d = Dialer {
            timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        };
        let mut failures = Vec::new();
        let raw = can_open_raw_ip();
        let rows = [
            (
                "foo",
                "",
                "dial foo: unknown network foo",
                "OpError/UnknownNetworkError",
            ),
            (
                "bar",
                "baz",
                "dial bar: unknown network bar",
                "OpError/UnknownNetworkError",
            ),
            (
                "datakit",
                "mh/astro/r70",
                "dial datakit: unknown network datakit",
                "OpError/UnknownNetworkError",
            ),
            (
                "tcp",
                "",
                "dial tcp: missing address",
                "OpError/errMissingAddress",
            ),
            (
                "tcp",
                "127.0.0.1:☺",
                "dial tcp: lookup tcp/☺: unknown port",
                "OpError/DNSError",
            ),
            ("tcp", "no-such-name:80", "", ""),
            (
                "tcp",
                "mh/astro/r70:http",
                "dial tcp: lookup mh/astro/r70: no such host",
                "OpError/DNSError",
            ),
            (
                "tcp",
                "127.0.0.1:-1",
                "dial tcp: address -1: invalid port",
                "OpError/AddrError",
            ),
            (
                "tcp",
                "127.0.0.1:123456789",
                "dial tcp: address 123456789: invalid port",
                "OpError/AddrError",
            ),
            (
                "udp",
                "127.0.0.1:-1",
                "dial udp: address -1: invalid port",
                "OpError/AddrError",
            ),
            (
                "udp",
                "127.0.0.1:123456789",
                "dial udp: address 123456789: invalid port",
                "OpError/AddrError",
            ),
            // Go's socket filter fails this connect; unfiltered, a raw
            // socket connects when the process may open one.
            (
                "ip:icmp",
                "127.0.0.1",
                if raw {
                    "OK"
                } else {
                    "dial ip:icmp 127.0.0.1: socket: operation not permitted"
                },
                if raw {
                    ""
                } else {
                    "OpError/SyscallError/Errno"
                },
            ),
            (
                "unix",
                "/path/to/somewhere",
                "dial unix /path/to/somewhere: connect: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            (
                "unixgram",
                "/path/to/somewhere",
                "dial unixgram /path/to/somewhere: connect: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            (
                "unixpacket",
                "/path/to/somewhere",
                "dial unixpacket /path/to/somewhere: connect: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            // Not in Go's table: an empty host and port dial the local
            // system's port 0, which refuses.
            (
                "tcp",
                ":",
                "dial tcp :0: connect: connection refused",
                "OpError/SyscallError/Errno",
            ),
        ];
        assert_eq!(rows.len(), 16, "Go's 15 rows and one of ours");
        for (network, address, text, ch) in rows {
            let got = d.dial(network, address);
            if address == "no-such-name:80" {
                check_no_such_name("dial", network, got.map(drop), &mut failures);
                continue;
            }
            let row = go(format!("dial({network:?}, {address:?})"), text, ch);
            failures.extend(compare(&row, got, parse_dial_error));
        }
        report("dialErrorTests", failures);
    });
}

/// Go's `listenErrorTests`, through `listen` (Go's `Listen`), plus the
/// `unixgram` listen the issue found (Go binds it, failing here as the
/// directory does not exist) and the networks `listen` cannot open.
#[test]
fn listen_error_tests() {
    let _w = watchdog::start("listen_error_tests", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let rows = [
            (
                "foo",
                "",
                "listen foo: unknown network foo",
                "OpError/UnknownNetworkError",
            ),
            (
                "bar",
                "baz",
                "listen bar: unknown network bar",
                "OpError/UnknownNetworkError",
            ),
            (
                "datakit",
                "mh/astro/r70",
                "listen datakit: unknown network datakit",
                "OpError/UnknownNetworkError",
            ),
            (
                "tcp",
                "127.0.0.1:☺",
                "listen tcp: lookup tcp/☺: unknown port",
                "OpError/DNSError",
            ),
            ("tcp", "no-such-name:80", "", ""),
            (
                "tcp",
                "mh/astro/r70:http",
                "listen tcp: lookup mh/astro/r70: no such host",
                "OpError/DNSError",
            ),
            (
                "tcp",
                "127.0.0.1:-1",
                "listen tcp: address -1: invalid port",
                "OpError/AddrError",
            ),
            (
                "tcp",
                "127.0.0.1:123456789",
                "listen tcp: address 123456789: invalid port",
                "OpError/AddrError",
            ),
            (
                "unix",
                "/path/to/somewhere",
                "listen unix /path/to/somewhere: bind: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            (
                "unixpacket",
                "/path/to/somewhere",
                "listen unixpacket /path/to/somewhere: bind: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            // Ours: the rest of the networks.
            (
                "unixgram",
                "/path/to/somewhere",
                "listen unixgram /path/to/somewhere: bind: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            (
                "udp",
                "127.0.0.1:0",
                "listen udp 127.0.0.1:0: address 127.0.0.1:0: unexpected address type",
                "OpError/AddrError",
            ),
            (
                "ip4:icmp",
                "127.0.0.1",
                "listen ip4:icmp 127.0.0.1: address 127.0.0.1: unexpected address type",
                "OpError/AddrError",
            ),
        ];
        assert_eq!(rows.len(), 13, "Go's 10 rows and three of ours");
        for (network, address, text, ch) in rows {
            let got = net::listen(network, address);
            if address == "no-such-name:80" {
                check_no_such_name("listen", network, got.map(drop), &mut failures);
                continue;
            }
            let row = go(format!("listen({network:?}, {address:?})"), text, ch);
            failures.extend(compare(&row, got, parse_dial_error));
        }
        report("listenErrorTests", failures);
    });
}

/// Go's `listenPacketErrorTests`, through `listen_packet` (Go's
/// `ListenPacket`), plus the Unix networks (Go binds `unix` and
/// `unixpacket` too) and `tcp`.
#[test]
fn listen_packet_error_tests() {
    let _w = watchdog::start("listen_packet_error_tests", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let rows = [
            (
                "foo",
                "",
                "listen foo: unknown network foo",
                "OpError/UnknownNetworkError",
            ),
            (
                "bar",
                "baz",
                "listen bar: unknown network bar",
                "OpError/UnknownNetworkError",
            ),
            (
                "datakit",
                "mh/astro/r70",
                "listen datakit: unknown network datakit",
                "OpError/UnknownNetworkError",
            ),
            (
                "udp",
                "127.0.0.1:☺",
                "listen udp: lookup udp/☺: unknown port",
                "OpError/DNSError",
            ),
            ("udp", "no-such-name:80", "", ""),
            // /etc/services has no http/udp here; Go looks the port up
            // before the host.
            ("udp", "mh/astro/r70:http", "", ""),
            (
                "udp",
                "127.0.0.1:-1",
                "listen udp: address -1: invalid port",
                "OpError/AddrError",
            ),
            (
                "udp",
                "127.0.0.1:123456789",
                "listen udp: address 123456789: invalid port",
                "OpError/AddrError",
            ),
            // Ours.
            (
                "unix",
                "/path/to/somewhere",
                "listen unix /path/to/somewhere: bind: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            (
                "unixpacket",
                "/path/to/somewhere",
                "listen unixpacket /path/to/somewhere: bind: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            (
                "unixgram",
                "/path/to/somewhere",
                "listen unixgram /path/to/somewhere: bind: no such file or directory",
                "OpError/SyscallError/Errno",
            ),
            (
                "tcp",
                "127.0.0.1:0",
                "listen tcp 127.0.0.1:0: address 127.0.0.1:0: unexpected address type",
                "OpError/AddrError",
            ),
        ];
        assert_eq!(rows.len(), 12, "Go's 8 rows and four of ours");
        for (network, address, text, ch) in rows {
            let got = net::listen_packet(network, address);
            if address == "no-such-name:80" {
                check_no_such_name("listen", network, got.map(drop), &mut failures);
                continue;
            }
            if address == "mh/astro/r70:http" {
                // Either the port or the host fails, by the host's
                // /etc/services: both are DNSErrors before any socket.
                match got {
                    Ok(_) => {
                        failures.push("listen_packet(udp, mh/astro/r70:http): succeeded".into())
                    }
                    Err(e) => {
                        let t = e.to_string();
                        let ok = t == "listen udp: lookup udp/http: unknown port"
                            || t == "listen udp: lookup mh/astro/r70: no such host";
                        if !ok || chain(&e) != "OpError/DNSError" || parse_dial_error(&e).is_err() {
                            failures.push(format!(
                                "listen_packet(udp, mh/astro/r70:http): got {t:?} [{}]",
                                chain(&e)
                            ));
                        }
                    }
                }
                continue;
            }
            let row = go(format!("listen_packet({network:?}, {address:?})"), text, ch);
            failures.extend(compare(&row, got, parse_dial_error));
        }
        report("listenPacketErrorTests", failures);
    });
}

/// Go's `TestProtocolDialError`. Go's rows dial port 1<<16, which a
/// `u16` port cannot hold (gort's ports are typed); the nearest calls are
/// kept: Go's text for port 65536 is `connect: invalid argument`, and the
/// layers are what the test checks.
#[test]
fn protocol_dial_error() {
    let _w = watchdog::start("protocol_dial_error", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        // Go: "dial tcp :65536: connect: invalid argument". Port 0 is the
        // nearest a u16 can say, and the kernel refuses it differently.
        let row = Row {
            what: "dial_tcp(\"tcp\", None, :65536)".into(),
            go_text: "dial tcp :65536: connect: invalid argument".into(),
            go_chain: "OpError/SyscallError/Errno",
            diff: Some(Diff {
                text: "dial tcp :0: connect: connection refused".into(),
                chain: "OpError/SyscallError/Errno",
                why: "ports are u16: port 65536 cannot be written, port 0 is dialed instead",
            }),
        };
        let got = dial_tcp("tcp", None, &TcpAddr::default());
        failures.extend(compare(&row, got, parse_dial_error));

        // Go: "dial udp :65536: connect: invalid argument"; a UDP connect
        // to port 0 succeeds, so only the typed port differs.
        let got = dial_udp("udp", None, &UdpAddr::default());
        let row = Row {
            what: "dial_udp(\"udp\", None, :65536)".into(),
            go_text: "dial udp :65536: connect: invalid argument".into(),
            go_chain: "OpError/SyscallError/Errno",
            diff: Some(Diff {
                text: "OK".into(),
                chain: "",
                why: "ports are u16: port 65536 cannot be written, port 0 is dialed instead",
            }),
        };
        failures.extend(compare(&row, got, parse_dial_error));

        // Go's nil raddr cannot be passed (a reference); the zero IPAddr
        // is Go's &IPAddr{}, for which Go says what gort says.
        let row = Row {
            what: "dial_ip(\"ip:4294967296\", None, nil)".into(),
            go_text: "dial ip:4294967296: missing address".into(),
            go_chain: "OpError/errMissingAddress",
            diff: Some(Diff {
                text: "dial ip:4294967296 : address 4294967296: unknown IP protocol specified"
                    .into(),
                chain: "OpError/AddrError",
                why: "the remote address of dial_ip is a reference, so Go's nil cannot be \
                      passed; this is Go's answer for &IPAddr{}",
            }),
        };
        failures.extend(compare(
            &row,
            dial_ip("ip:4294967296", None, &IPAddr::default()),
            parse_dial_error,
        ));

        for network in ["unix", "unixpacket", "unixgram"] {
            let raddr = UnixAddr::new(network, "//").unwrap();
            let row = go(
                format!("dial_unix({network:?}, None, \"//\")"),
                format!("dial {network} //: connect: connection refused"),
                "OpError/SyscallError/Errno",
            );
            failures.extend(compare(
                &row,
                dial_unix(network, None, &raddr),
                parse_dial_error,
            ));
        }
        report("TestProtocolDialError", failures);
    });
}

/// Go's `TestProtocolListenError`.
#[test]
fn protocol_listen_error() {
    let _w = watchdog::start("protocol_listen_error", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let why =
            "ports are u16: port 65536 cannot be written; the test binds a port in use instead";
        // A port in use stands in for Go's port 1<<16: the bind fails.
        let busy = listen_tcp("tcp", Some(&TcpAddr::default())).unwrap();
        let port = busy.addr().port;
        let row = Row {
            what: "listen_tcp(\"tcp\", :65536)".into(),
            go_text: "listen tcp :65536: bind: invalid argument".into(),
            go_chain: "OpError/SyscallError/Errno",
            diff: Some(Diff {
                text: format!("listen tcp :{port}: bind: address already in use"),
                chain: "OpError/SyscallError/Errno",
                why,
            }),
        };
        let laddr = TcpAddr {
            port,
            ..Default::default()
        };
        failures.extend(compare(
            &row,
            listen_tcp("tcp", Some(&laddr)),
            parse_dial_error,
        ));

        let busy_udp = listen_udp("udp", Some(&UdpAddr::default())).unwrap();
        let port = busy_udp.local_addr().port;
        let row = Row {
            what: "listen_udp(\"udp\", :65536)".into(),
            go_text: "listen udp :65536: bind: invalid argument".into(),
            go_chain: "OpError/SyscallError/Errno",
            diff: Some(Diff {
                text: format!("listen udp :{port}: bind: address already in use"),
                chain: "OpError/SyscallError/Errno",
                why,
            }),
        };
        let laddr = UdpAddr {
            port,
            ..Default::default()
        };
        failures.extend(compare(
            &row,
            listen_udp("udp", Some(&laddr)),
            parse_dial_error,
        ));

        let row = go(
            "listen_ip(\"ip:4294967296\", nil)",
            "listen ip:4294967296 : address 4294967296: unknown IP protocol specified",
            "OpError/AddrError",
        );
        failures.extend(compare(
            &row,
            listen_ip("ip:4294967296", None),
            parse_dial_error,
        ));

        for network in ["unix", "unixpacket"] {
            let laddr = UnixAddr::new(network, "//").unwrap();
            let row = go(
                format!("listen_unix({network:?}, \"//\")"),
                format!("listen {network} //: bind: address already in use"),
                "OpError/SyscallError/Errno",
            );
            failures.extend(compare(
                &row,
                listen_unix(network, &laddr),
                parse_dial_error,
            ));
        }
        let laddr = UnixAddr::new("unixgram", "//").unwrap();
        let row = go(
            "listen_unixgram(\"unixgram\", \"//\")",
            "listen unixgram //: bind: address already in use",
            "OpError/SyscallError/Errno",
        );
        failures.extend(compare(
            &row,
            listen_unixgram("unixgram", &laddr),
            parse_dial_error,
        ));
        report("TestProtocolListenError", failures);
    });
}

/// Go's `TestDialAddrError`: the `AddrError` names the address refused.
#[test]
fn dial_addr_error() {
    let _w = watchdog::start("dial_addr_error", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let lit = join_host_port("::1", "0");
        let row = go(
            format!("dial(\"tcp4\", {lit:?})"),
            "dial tcp4: address ::1: no suitable address found",
            "OpError/AddrError",
        );
        failures.extend(compare(&row, net::dial("tcp4", &lit), parse_dial_error));

        let v6 = TcpAddr {
            ip: IP::IPV6_LOOPBACK,
            ..Default::default()
        };
        let row = go(
            "dial_tcp(\"tcp4\", None, [::1]:0)",
            "dial tcp4 [::1]:0: address ::1: non-IPv4 address",
            "OpError/AddrError",
        );
        failures.extend(compare(&row, dial_tcp("tcp4", None, &v6), parse_dial_error));
        // Go's third row dials an 8-byte IP, which gort's IP type cannot
        // hold (an IP is 4 or 16 bytes by construction): not ported.
        report("TestDialAddrError", failures);
    });
}

/// A connected TCP pair over 127.0.0.1 and its listener.
fn tcp_pair() -> (net::TcpListener, TcpConn) {
    let ln = listen_tcp("tcp", Some(&"127.0.0.1:0".parse_tcp())).unwrap();
    let c = dial_tcp("tcp", None, &ln.addr()).unwrap();
    (ln, c)
}

/// `"host:port"` as a [`TcpAddr`].
trait ParseTcp {
    fn parse_tcp(&self) -> TcpAddr;
}

impl ParseTcp for str {
    fn parse_tcp(&self) -> TcpAddr {
        net::resolve_tcp_addr("tcp", self).unwrap()
    }
}

/// Go's `TestCloseError`, and the errors of using what was closed (the
/// cases of `parseReadError`, `parseWriteError` and the listener
/// `set_deadline`).
#[test]
fn close_error() {
    let _w = watchdog::start("close_error", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let (ln, c) = tcp_pair();
        let (la, ra, lna) = (c.local_addr(), ln.addr(), ln.addr());
        for i in 0..3 {
            if let Err(e) = c.close_read()
                && let Err(why) = parse_close_error(&e, true)
            {
                failures.push(format!("#{i} close_read: {why}"));
            }
        }
        for i in 0..3 {
            if let Err(e) = c.close_write()
                && let Err(why) = parse_close_error(&e, true)
            {
                failures.push(format!("#{i} close_write: {why}"));
            }
        }
        let closed = "OpError/ErrClosed";
        for i in 0..3 {
            let conn_close = format!("close tcp {la}->{ra}: use of closed network connection");
            let ln_close = format!("close tcp {lna}: use of closed network connection");
            let parse = |e: &io::Error| parse_close_error(e, false);
            let row = go(format!("#{i} conn close"), conn_close, closed);
            let got = c.close();
            if i == 0 {
                assert!(got.is_ok(), "the first close succeeds: {got:?}");
            } else {
                failures.extend(compare(&row, got, parse));
            }
            let row = go(format!("#{i} listener close"), ln_close, closed);
            let got = ln.close();
            if i == 0 {
                assert!(got.is_ok(), "the first close succeeds: {got:?}");
            } else {
                failures.extend(compare(&row, got, parse));
            }
        }

        // Using what was closed.
        let mut b = [0u8; 1];
        let row = go(
            "conn read after close",
            format!("read tcp {la}->{ra}: use of closed network connection"),
            closed,
        );
        failures.extend(compare(&row, c.read(&mut b), parse_read_error));
        let row = go(
            "conn write after close",
            format!("write tcp {la}->{ra}: use of closed network connection"),
            closed,
        );
        failures.extend(compare(&row, c.write(b"x"), parse_write_error));
        let row = go(
            "conn set_deadline after close",
            format!("set tcp {la}: use of closed network connection"),
            closed,
        );
        failures.extend(compare(
            &row,
            c.set_deadline(Some(Instant::now())),
            parse_common_error,
        ));
        let row = go(
            "conn set_read_buffer after close",
            format!("set tcp {la}: use of closed network connection"),
            closed,
        );
        failures.extend(compare(&row, c.set_read_buffer(1), parse_common_error));
        let row = go(
            "listener accept after close",
            format!("accept tcp {lna}: use of closed network connection"),
            closed,
        );
        failures.extend(compare(&row, ln.accept(), parse_accept_error));
        // Go's TCPListener.SetDeadline returns the poll layer's error
        // bare, with no OpError around it.
        let got = ln.set_deadline(Some(Instant::now()));
        let row = go(
            "listener set_deadline after close",
            "use of closed network connection",
            "ErrClosed",
        );
        failures.extend(compare(&row, got, |e| {
            if net::is_closed(e) {
                Ok(())
            } else {
                Err(format!("not ErrClosed: {e}"))
            }
        }));

        // Go's "udp" subtest.
        let pc = net::listen_packet("udp", "127.0.0.1:0").unwrap();
        let pa = pc.local_addr();
        for i in 0..3 {
            let got = pc.close();
            if i == 0 {
                assert!(got.is_ok(), "the first close succeeds: {got:?}");
                continue;
            }
            let row = go(
                format!("#{i} udp close"),
                format!("close udp {pa}: use of closed network connection"),
                closed,
            );
            failures.extend(compare(&row, got, |e| parse_close_error(e, false)));
        }
        let row = go(
            "udp read_from after close",
            format!("read udp {pa}: use of closed network connection"),
            closed,
        );
        failures.extend(compare(&row, pc.read_from(&mut b), parse_read_error));
        let to = UdpAddr {
            ip: IP::v4(127, 0, 0, 1),
            port: 9,
            zone: String::new(),
        };
        let row = go(
            "udp write_to after close",
            format!("write udp {pa}->127.0.0.1:9: use of closed network connection"),
            closed,
        );
        failures.extend(compare(&row, pc.write_to(b"x", &to), parse_write_error));
        report("TestCloseError", failures);
    });
}

/// The write errors of `parseWriteError` that a packet conn meets: a
/// destination of the wrong type (a bare `EINVAL`, Go's `syscall.Errno`)
/// and a destination on a connected socket.
#[test]
fn write_error() {
    let _w = watchdog::start("write_error", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let pc = net::listen_packet("udp", "127.0.0.1:0").unwrap();
        let pa = pc.local_addr();
        let tcp_to = "127.0.0.1:9".parse_tcp();
        let row = go(
            "udp write_to a TcpAddr",
            format!("write udp {pa}->127.0.0.1:9: invalid argument"),
            "OpError/Errno",
        );
        let got = pc.write_to(b"x", &tcp_to);
        if let Err(e) = &got {
            let errno = net::op_error(e).and_then(|o| o.err.raw_os_error());
            if errno != Some(libc::EINVAL) {
                failures.push(format!(
                    "udp write_to a TcpAddr: errno {errno:?}, want EINVAL"
                ));
            }
        }
        failures.extend(compare(&row, got, parse_write_error));

        let dir = tempdir();
        let ua = UnixAddr::new("unix", dir.join("v").to_str().unwrap()).unwrap();
        let row = go(
            "udp write_to a UnixAddr",
            format!("write udp {pa}->{ua}: invalid argument"),
            "OpError/Errno",
        );
        failures.extend(compare(&row, pc.write_to(b"x", &ua), parse_write_error));

        let g = listen_unixgram(
            "unixgram",
            &UnixAddr::new("unixgram", dir.join("u").to_str().unwrap()).unwrap(),
        )
        .unwrap();
        let ga = g.local_addr();
        let row = go(
            "unixgram write_to a \"unix\" UnixAddr",
            format!("write unixgram {ga}->{ua}: address family not supported by protocol"),
            "OpError/Errno",
        );
        failures.extend(compare(&row, g.write_to_unix(b"x", &ua), parse_write_error));
        let row = go(
            "unixgram write_to a UdpAddr",
            format!("write unixgram {ga}->127.0.0.1:9: invalid argument"),
            "OpError/Errno",
        );
        let udp_to = UdpAddr {
            ip: IP::v4(127, 0, 0, 1),
            port: 9,
            zone: String::new(),
        };
        failures.extend(compare(
            &row,
            net::PacketConn::write_to(&g, b"x", &udp_to),
            parse_write_error,
        ));
        let nx = UnixAddr::new("unixgram", dir.join("nonexist").to_str().unwrap()).unwrap();
        let row = go(
            "unixgram write_to a missing path",
            format!("write unixgram {ga}->{nx}: sendto: no such file or directory"),
            "OpError/SyscallError/Errno",
        );
        failures.extend(compare(&row, g.write_to_unix(b"x", &nx), parse_write_error));

        let uc = dial_udp("udp", None, &udp_to).unwrap();
        let row = go(
            "connected udp write_to",
            format!(
                "write udp {}->127.0.0.1:9: use of WriteTo with pre-connected connection",
                uc.local_addr()
            ),
            "OpError/ErrWriteToConnected",
        );
        failures.extend(compare(&row, uc.write_to(b"x", &udp_to), parse_write_error));
        let _ = std::fs::remove_dir_all(&dir);
        report("parseWriteError cases", failures);
    });
}

/// Go's `TestAcceptError` (an accept deadline of 5 ms, which expires),
/// and the read and write deadlines of `parseReadError`/`parseWriteError`.
#[test]
fn accept_error() {
    let _w = watchdog::start("accept_error", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let (ln, c) = tcp_pair();
        let (la, ra, lna) = (c.local_addr(), ln.addr(), ln.addr());
        let _server = ln.accept().unwrap();
        ln.set_deadline(Some(Instant::now() + Duration::from_millis(5)))
            .unwrap();
        let got = ln.accept();
        if let Err(e) = &got
            && !net::is_timeout(e)
        {
            failures.push(format!("accept: {e} is not a timeout"));
        }
        let row = go(
            "accept past the deadline",
            format!("accept tcp {lna}: i/o timeout"),
            "OpError/DeadlineExceeded",
        );
        failures.extend(compare(&row, got, parse_accept_error));

        c.set_read_deadline(Some(Instant::now() + Duration::from_millis(5)))
            .unwrap();
        let row = go(
            "read past the deadline",
            format!("read tcp {la}->{ra}: i/o timeout"),
            "OpError/DeadlineExceeded",
        );
        failures.extend(compare(&row, c.read(&mut [0u8; 1]), parse_read_error));
        c.set_write_deadline(Some(Instant::now() - Duration::from_secs(1)))
            .unwrap();
        let row = go(
            "write past the deadline",
            format!("write tcp {la}->{ra}: i/o timeout"),
            "OpError/DeadlineExceeded",
        );
        failures.extend(compare(&row, c.write(b"x"), parse_write_error));
        report("TestAcceptError", failures);
    });
}

/// A fresh directory under the system's temporary one, named after this
/// process; each test removes its own.
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "gort-error-parity-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A regular file's descriptor.
fn regular_file(dir: &Path) -> OwnedFd {
    std::fs::File::create(dir.join("f")).unwrap().into()
}

/// Go's `TestFileError`: a regular file is no socket; a closed listener
/// has no file.
#[test]
fn file_error() {
    let _w = watchdog::start("file_error", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let dir = tempdir();
        let why = "file_conn and friends take an OwnedFd, which has no name (README: Limitations)";
        let row = |what: &str| Row {
            what: what.into(),
            go_text: format!(
                "file file+net {}: getsockopt: socket operation on non-socket",
                dir.join("f").display()
            ),
            go_chain: "OpError/SyscallError/Errno",
            diff: Some(Diff {
                text: "file file+net : getsockopt: socket operation on non-socket".into(),
                chain: "OpError/SyscallError/Errno",
                why,
            }),
        };
        failures.extend(compare(
            &row("file_conn(a regular file)"),
            net::file_conn(regular_file(&dir)),
            parse_common_error,
        ));
        failures.extend(compare(
            &row("file_listener(a regular file)"),
            net::file_listener(regular_file(&dir)),
            parse_common_error,
        ));
        failures.extend(compare(
            &row("file_packet_conn(a regular file)"),
            net::file_packet_conn(regular_file(&dir)),
            parse_common_error,
        ));

        let ln = listen_tcp("tcp", Some(&"127.0.0.1:0".parse_tcp())).unwrap();
        let lna = ln.addr();
        for i in 0..3 {
            let got = ln.file();
            if i == 0 {
                assert!(got.is_ok(), "file of an open listener: {got:?}");
            } else {
                let row = go(
                    format!("#{i} listener file after close"),
                    format!("file tcp {lna}: use of closed network connection"),
                    "OpError/ErrClosed",
                );
                failures.extend(compare(&row, got, parse_common_error));
            }
            let _ = ln.close();
        }
        let _ = std::fs::remove_dir_all(&dir);
        report("TestFileError", failures);
    });
}

/// The Unix listens the issue found: Go makes a listener of a `unixgram`
/// socket and a packet conn of a `unix` one (both bind), and the error
/// comes only when they are used.
#[test]
fn unix_listen_of_the_other_kind() {
    let _w = watchdog::start("unix_listen_of_the_other_kind", watchdog::LIMIT);
    gort::run(|| {
        let mut failures = Vec::new();
        let dir = tempdir();
        let g = dir.join("g");
        let g = g.to_str().unwrap();
        match net::listen("unixgram", g) {
            Ok(ln) => {
                let row = go(
                    "accept on a unixgram listener",
                    format!("accept unixgram {g}: accept4: operation not supported"),
                    "OpError/SyscallError/Errno",
                );
                failures.extend(compare(&row, ln.accept(), parse_accept_error));
            }
            Err(e) => failures.push(format!("listen(\"unixgram\", {g}): {e}, Go binds it")),
        }
        let s = dir.join("s");
        let s = s.to_str().unwrap();
        match net::listen_packet("unix", s) {
            Ok(pc) => {
                let row = go(
                    "read_from on a unix packet conn",
                    format!("read unix {s}: recvfrom: invalid argument"),
                    "OpError/SyscallError/Errno",
                );
                failures.extend(compare(&row, pc.read_from(&mut [0u8; 1]), parse_read_error));
            }
            Err(e) => failures.push(format!("listen_packet(\"unix\", {s}): {e}, Go binds it")),
        }
        let p = dir.join("p");
        let p = p.to_str().unwrap();
        if let Err(e) = net::listen_packet("unixpacket", p) {
            failures.push(format!(
                "listen_packet(\"unixpacket\", {p}): {e}, Go binds it"
            ));
        }
        let _ = std::fs::remove_dir_all(&dir);
        report("unix listens", failures);
    });
}

/// Go's `TestContextError`: the dial errors of a context are its own.
#[test]
fn context_error() {
    let e: io::Error = CanceledError.into();
    assert_eq!(e.to_string(), "operation was canceled");
    let e: io::Error = TimeoutError.into();
    assert_eq!(e.to_string(), "i/o timeout");
    assert!(net::is_timeout(&e));
    assert!(e.source().is_none());
}
