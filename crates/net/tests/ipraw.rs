//! Raw IP sockets: an ICMP echo over the loopback through each way of
//! opening one (`listen_ip`, `dial`, `listen_packet`), read deadlines,
//! close during a read, Go's error texts, and Go's iprawsock_test.go
//! tables (`resolveIPAddrTests`, `ipConnLocalNameTests`,
//! TestIPConnRemoteName, TestDialListenIPArgs).
//!
//! The socket tests need `CAP_NET_RAW`; without it they print a note and
//! pass. The error texts were checked against Go 1.27 on this machine.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gort::net::{self, Addr, IP, IPAddr, IPConn, UdpAddr, dial_ip, listen_ip, resolve_ip_addr};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

/// Protocol numbers nobody on the test machine sends (253 and 254 are
/// reserved for experiments, RFC 3692; 252 is unassigned), one per test,
/// since every raw socket of a protocol receives each packet of it and the
/// tests run in parallel.
const QUIET_PROTO: &str = "ip4:253";
const QUIET_PROTO_MSG: &str = "ip4:254";
const QUIET_PROTO_CLOSE: &str = "ip4:252";

fn loopback4() -> IPAddr {
    IPAddr::new(IP::v4(127, 0, 0, 1))
}

/// Whether `err` says the process may not open raw sockets: then the test
/// prints a note and ends.
fn no_privilege(what: &str, err: &io::Error) -> bool {
    let denied = matches!(err.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES))
        || err.kind() == io::ErrorKind::PermissionDenied
        || err.to_string().ends_with("operation not permitted")
        || err.to_string().ends_with("permission denied");
    if denied {
        eprintln!("{what}: no CAP_NET_RAW here ({err}): skipped");
    }
    denied
}

/// The Internet checksum (RFC 1071) of `b`: the ones' complement of the
/// ones' complement sum of its 16-bit big-endian words.
fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in b.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP echo request (type 8, code 0) with this id, sequence number and
/// payload, its checksum filled in.
fn echo_request(id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![8, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(payload);
    let c = checksum(&m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// Whether the ICMP message `m` is the echo reply (type 0) to our request:
/// same id, sequence number and payload, and a checksum that verifies.
fn is_reply(m: &[u8], id: u16, seq: u16, payload: &[u8]) -> bool {
    m.len() >= 8
        && m[0] == 0
        && m[1] == 0
        && m[4..6] == id.to_be_bytes()
        && m[6..8] == seq.to_be_bytes()
        && &m[8..] == payload
        && checksum(m) == 0
}

/// An id for our echoes: the process id, so that parallel runs do not
/// take each other's replies.
fn echo_id() -> u16 {
    std::process::id() as u16
}

/// Reads messages with `read` until one is the reply to our echo; bounded
/// in count, and in time by the read deadline the caller set. Our own
/// request is delivered to the raw socket too, and skipped.
fn await_reply(
    mut read: impl FnMut(&mut [u8]) -> io::Result<usize>,
    strip: impl Fn(&[u8]) -> &[u8],
    id: u16,
    seq: u16,
    payload: &[u8],
) {
    let mut buf = [0u8; 1500];
    for _ in 0..64 {
        let n = read(&mut buf).expect("the echo reply arrives before the deadline");
        if is_reply(strip(&buf[..n]), id, seq, payload) {
            return;
        }
    }
    panic!("no echo reply among 64 packets");
}

/// An echo to 127.0.0.1 on an unconnected socket from `listen_ip`:
/// `read_from` returns the ICMP message without its IPv4 header, and the
/// sender's address.
#[test]
fn icmp_echo_with_listen_ip() {
    let _w = watchdog::start("icmp_echo_with_listen_ip", watchdog::LIMIT);
    gort::run(|| {
        let c = match listen_ip("ip4:icmp", None) {
            Ok(c) => c,
            Err(e) if no_privilege("icmp_echo_with_listen_ip", &e) => return,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c.local_addr().to_string(), "0.0.0.0");
        assert_eq!(c.remote_addr(), None);
        let (id, seq, payload) = (echo_id(), 1, b"gort listen_ip");
        let req = echo_request(id, seq, payload);
        assert_eq!(c.write_to(&req, &loopback4()).unwrap(), req.len());
        c.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
            .unwrap();
        await_reply(
            |b| {
                let (n, from) = c.read_from(b)?;
                assert_eq!(from, loopback4());
                Ok(n)
            },
            |m| m,
            id,
            seq,
            payload,
        );
    });
}

/// `dial("ip4:icmp", ..)` gives a connected raw socket as a `dyn Conn`;
/// its `read`, as Go's `Read`, keeps the IPv4 header, which names the
/// protocol (1) and the peer.
#[test]
fn icmp_echo_with_dial() {
    let _w = watchdog::start("icmp_echo_with_dial", watchdog::LIMIT);
    gort::run(|| {
        let c = match net::dial("ip4:icmp", "127.0.0.1") {
            Ok(c) => c,
            Err(e) if no_privilege("icmp_echo_with_dial", &e) => return,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c.remote_addr().unwrap().to_string(), "127.0.0.1");
        assert_eq!(c.remote_addr().unwrap().network(), "ip");
        let (id, seq, payload) = (echo_id(), 2, b"gort dial");
        c.write(&echo_request(id, seq, payload)).unwrap();
        c.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
            .unwrap();
        await_reply(
            |b| c.read(b),
            |p| {
                assert_eq!(p[0] >> 4, 4, "an IPv4 header");
                assert_eq!(p[9], 1, "protocol ICMP");
                assert_eq!(p[12..16], [127, 0, 0, 1]);
                &p[usize::from(p[0] & 0x0f) * 4..]
            },
            id,
            seq,
            payload,
        );
    });
}

/// `listen_packet("ip4:1", ..)` gives an unconnected raw socket as a
/// `dyn PacketConn`: it sends to an `IPAddr`, refuses any other address
/// type with Go's `invalid argument`, and reports senders as `IPAddr`s.
#[test]
fn icmp_echo_with_listen_packet() {
    let _w = watchdog::start("icmp_echo_with_listen_packet", watchdog::LIMIT);
    gort::run(|| {
        let c = match net::listen_packet("ip4:1", "127.0.0.1") {
            Ok(c) => c,
            Err(e) if no_privilege("icmp_echo_with_listen_packet", &e) => return,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c.local_addr().to_string(), "127.0.0.1");
        let udp = UdpAddr::new(IP::v4(127, 0, 0, 1), 1);
        let err = c.write_to(b"x", &udp).unwrap_err();
        assert_eq!(
            err.to_string(),
            "write ip4 127.0.0.1->127.0.0.1:1: invalid argument"
        );
        let (id, seq, payload) = (echo_id(), 3, b"gort listen_packet");
        c.write_to(&echo_request(id, seq, payload), &loopback4())
            .unwrap();
        c.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
            .unwrap();
        await_reply(
            |b| {
                let (n, from) = c.read_from(b)?;
                let from = from.expect("a sender");
                let ip = from.as_any().downcast_ref::<IPAddr>().expect("an IPAddr");
                assert_eq!(*ip, loopback4());
                Ok(n)
            },
            |m| m,
            id,
            seq,
            payload,
        );
    });
}

/// A read with nothing to read ends at its deadline with Go's timeout
/// error, from `read_from` and from `read`; writing to a named address on
/// a connected socket, or an IPv6 address on an IPv4 one, fails as in Go.
#[test]
fn read_deadline_and_write_errors() {
    let _w = watchdog::start("read_deadline_and_write_errors", watchdog::LIMIT);
    gort::run(|| {
        let c = match listen_ip(QUIET_PROTO, Some(&loopback4())) {
            Ok(c) => c,
            Err(e) if no_privilege("read_deadline_and_write_errors", &e) => return,
            Err(e) => panic!("{e}"),
        };
        let mut buf = [0u8; 64];
        c.set_read_deadline(Some(Instant::now() + Duration::from_millis(50)))
            .unwrap();
        let err = c.read_from(&mut buf).unwrap_err();
        assert!(net::is_timeout(&err), "{err}");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "read ip4 127.0.0.1: i/o timeout");
        let err = c.read(&mut buf).unwrap_err();
        assert_eq!(err.to_string(), "read ip4 127.0.0.1: i/o timeout");

        let v6 = IPAddr::new(IP::IPV6_LOOPBACK);
        let err = c.write_to(b"x", &v6).unwrap_err();
        assert_eq!(
            err.to_string(),
            "write ip4 127.0.0.1->::1: address ::1: non-IPv4 address"
        );

        let d = dial_ip(QUIET_PROTO, None, &loopback4()).unwrap();
        assert_eq!(d.local_addr(), loopback4());
        assert_eq!(d.remote_addr(), Some(loopback4()));
        let err = d.write_to(b"x", &loopback4()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "write ip4 127.0.0.1->127.0.0.1: use of WriteTo with pre-connected connection"
        );
        // A connected socket sends with plain write; our own packet comes
        // back to the listener, header stripped by read_from.
        c.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
            .unwrap();
        assert_eq!(d.write(b"quiet").unwrap(), 5);
        let (n, from) = c.read_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"quiet"[..], loopback4()));
        assert_eq!(
            d.write_msg_ip(b"x", &loopback4()).unwrap_err().to_string(),
            err.to_string()
        );

        c.close().unwrap();
        let err = c.read_from(&mut buf).unwrap_err();
        assert!(net::is_closed(&err), "{err}");
        assert_eq!(
            err.to_string(),
            "read ip4 127.0.0.1: use of closed network connection"
        );
    });
}

/// `read_msg_ip` returns the packet as the kernel gave it, IPv4 header
/// included, and says whether it was cut short.
#[test]
fn read_msg_ip_keeps_the_header() {
    let _w = watchdog::start("read_msg_ip_keeps_the_header", watchdog::LIMIT);
    gort::run(|| {
        let c = match listen_ip(QUIET_PROTO_MSG, Some(&loopback4())) {
            Ok(c) => c,
            Err(e) if no_privilege("read_msg_ip_keeps_the_header", &e) => return,
            Err(e) => panic!("{e}"),
        };
        c.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
            .unwrap();
        c.write_msg_ip(b"whole packet", &loopback4()).unwrap();
        let mut buf = [0u8; 128];
        let (n, truncated, from) = c.read_msg_ip(&mut buf).unwrap();
        assert!(!truncated);
        assert_eq!(from, loopback4());
        let hl = usize::from(buf[0] & 0x0f) * 4;
        assert_eq!((buf[0] >> 4, buf[9]), (4, 254));
        assert_eq!(&buf[hl..n], b"whole packet");

        c.write_to(b"cut short", &loopback4()).unwrap();
        let (n, truncated, _) = c.read_msg_ip(&mut buf[..hl + 3]).unwrap();
        assert!(truncated);
        assert_eq!(&buf[hl..n], b"cut");
    });
}

/// A close from another goroutine wakes a reader parked in `read_from`.
#[test]
fn close_wakes_a_parked_read() {
    let _w = watchdog::start("close_wakes_a_parked_read", watchdog::LIMIT);
    gort::run(|| {
        let c: Arc<IPConn> = match listen_ip(QUIET_PROTO_CLOSE, Some(&loopback4())) {
            Ok(c) => Arc::new(c),
            Err(e) if no_privilege("close_wakes_a_parked_read", &e) => return,
            Err(e) => panic!("{e}"),
        };
        let reader = {
            let c = c.clone();
            gort::spawn(move || {
                let mut buf = [0u8; 64];
                c.read_from(&mut buf).map(|(n, _)| n)
            })
        };
        wait::parked(WaitReason::IoWait, 1);
        c.close().unwrap();
        let err = reader.join().unwrap().unwrap_err();
        assert!(net::is_closed(&err), "{err}");
    });
}

/// Go's texts for networks a raw socket cannot use: a protocol nobody
/// knows, an empty one, none at all, and the typed entry points given
/// another kind of network. None of these needs privileges.
#[test]
fn bad_networks_fail_with_go_text() {
    let _w = watchdog::start("bad_networks_fail_with_go_text", watchdog::LIMIT);
    gort::run(|| {
        let cases: &[(&str, io::Result<()>)] = &[
            (
                "dial ip4:nope: address nope: unknown IP protocol specified",
                net::dial("ip4:nope", "127.0.0.1").map(drop),
            ),
            (
                "dial ip4:: unknown IP protocol specified",
                net::dial("ip4:", "127.0.0.1").map(drop),
            ),
            (
                "dial ip4: unknown network ip4",
                net::dial("ip4", "127.0.0.1").map(drop),
            ),
            (
                "dial ip4:icmp: missing address",
                net::dial("ip4:icmp", "").map(drop),
            ),
            (
                "dial ip6:icmp: address 127.0.0.1: no suitable address found",
                net::dial("ip6:icmp", "127.0.0.1").map(drop),
            ),
            (
                "listen ip4:nope: address nope: unknown IP protocol specified",
                net::listen_packet("ip4:nope", "127.0.0.1").map(drop),
            ),
            (
                "listen ip4: unknown network ip4",
                net::listen_packet("ip4", "127.0.0.1").map(drop),
            ),
            (
                "listen ip4:icmp 127.0.0.1: address 127.0.0.1: unexpected address type",
                net::listen("ip4:icmp", "127.0.0.1").map(drop),
            ),
            (
                "dial ip4:nope 127.0.0.1: address nope: unknown IP protocol specified",
                dial_ip("ip4:nope", None, &loopback4()).map(drop),
            ),
            (
                "dial ip4 127.0.0.1: unknown network ip4",
                dial_ip("ip4", None, &loopback4()).map(drop),
            ),
            (
                "dial tcp 127.0.0.1: unknown network tcp",
                dial_ip("tcp", None, &loopback4()).map(drop),
            ),
            (
                "listen ip4:nope : address nope: unknown IP protocol specified",
                listen_ip("ip4:nope", None).map(drop),
            ),
            (
                "listen udp 127.0.0.1: unknown network udp",
                listen_ip("udp", Some(&loopback4())).map(drop),
            ),
            (
                "address nope: unknown IP protocol specified",
                resolve_ip_addr("ip4:nope", "127.0.0.1").map(drop),
            ),
            (
                "unknown IP protocol specified",
                resolve_ip_addr("ip4:", "127.0.0.1").map(drop),
            ),
        ];
        for (want, got) in cases {
            match got {
                Ok(()) => panic!("{want}: succeeded"),
                Err(e) => assert_eq!(e.to_string(), *want),
            }
        }
    });
}

/// Go's `resolveIPAddrTests`, every row, then Go's round trip: resolving
/// an answer's own network and text gives it back.
#[test]
fn test_resolve_ip_addr() {
    let _w = watchdog::start("test_resolve_ip_addr", watchdog::LIMIT);
    let ip = |s: &str| -> IP { s.parse().unwrap() };
    let addr = |s: &str, zone: &str| IPAddr {
        ip: ip(s),
        zone: zone.to_string(),
    };
    let ok = |a: IPAddr| -> Result<IPAddr, String> { Ok(a) };
    let nsa = |s: &str| Err(format!("address {s}: no suitable address found"));
    let unknown = |s: &str| Err(format!("unknown network {s}"));
    let tests: Vec<(&str, &str, Result<IPAddr, String>)> = vec![
        ("ip", "127.0.0.1", ok(addr("127.0.0.1", ""))),
        ("ip4", "127.0.0.1", ok(addr("127.0.0.1", ""))),
        ("ip4:icmp", "127.0.0.1", ok(addr("127.0.0.1", ""))),
        ("ip", "::1", ok(addr("::1", ""))),
        ("ip6", "::1", ok(addr("::1", ""))),
        ("ip6:ipv6-icmp", "::1", ok(addr("::1", ""))),
        ("ip6:IPv6-ICMP", "::1", ok(addr("::1", ""))),
        ("ip", "::1%en0", ok(addr("::1", "en0"))),
        ("ip6", "::1%911", ok(addr("::1", "911"))),
        ("", "127.0.0.1", ok(addr("127.0.0.1", ""))),
        ("", "::1", ok(addr("::1", ""))),
        ("ip4:icmp", "", ok(IPAddr::default())),
        ("l2tp", "127.0.0.1", unknown("l2tp")),
        ("l2tp:gre", "127.0.0.1", unknown("l2tp:gre")),
        ("tcp", "1.2.3.4:123", unknown("tcp")),
        ("ip4", "2001:db8::1", nsa("2001:db8::1")),
        ("ip4:icmp", "2001:db8::1", nsa("2001:db8::1")),
        ("ip6", "127.0.0.1", nsa("127.0.0.1")),
        ("ip6", "::ffff:127.0.0.1", nsa("::ffff:127.0.0.1")),
        ("ip6:ipv6-icmp", "127.0.0.1", nsa("127.0.0.1")),
        ("ip6:ipv6-icmp", "::ffff:127.0.0.1", nsa("::ffff:127.0.0.1")),
    ];
    assert_eq!(tests.len(), 21, "every row of Go's table");
    for (network, name, want) in tests {
        let got = resolve_ip_addr(network, name).map_err(|e| e.to_string());
        assert_eq!(got, want, "resolve_ip_addr({network:?}, {name:?})");
        if let Ok(a) = got {
            let again = resolve_ip_addr(a.network(), &a.to_string()).unwrap();
            assert_eq!(again, a, "round trip of ({network:?}, {name:?})");
        }
    }
}

/// Go's `ipConnLocalNameTests` (TestIPConnLocalName), its three rows: a
/// listener on a given, empty or no address has a local address.
#[test]
fn test_ip_conn_local_name() {
    let _w = watchdog::start("test_ip_conn_local_name", watchdog::LIMIT);
    gort::run(|| {
        let empty = IPAddr::default();
        let rows: [(&str, Option<&IPAddr>); 3] = [
            ("ip4:icmp", Some(&loopback4())),
            ("ip4:icmp", Some(&empty)),
            ("ip4:icmp", None),
        ];
        for (network, laddr) in rows {
            let c = match listen_ip(network, laddr) {
                Ok(c) => c,
                Err(e) if no_privilege("test_ip_conn_local_name", &e) => return,
                Err(e) => panic!("{e}"),
            };
            // The kernel reports the wildcard it bound as 0.0.0.0.
            let want = match laddr {
                Some(a) if !a.ip.is_nil() => a.to_string(),
                _ => "0.0.0.0".to_string(),
            };
            assert_eq!(c.local_addr().to_string(), want, "{laddr:?}");
        }
    });
}

/// Go's TestIPConnRemoteName: a dialed raw socket reports the address it
/// was dialed to.
#[test]
fn test_ip_conn_remote_name() {
    let _w = watchdog::start("test_ip_conn_remote_name", watchdog::LIMIT);
    gort::run(|| {
        let raddr = IPAddr::new(IP::v4(127, 0, 0, 1));
        let c = match dial_ip("ip:tcp", Some(&loopback4()), &raddr) {
            Ok(c) => c,
            Err(e) if no_privilege("test_ip_conn_remote_name", &e) => return,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c.remote_addr(), Some(raddr));
    });
}

/// Go's TestDialListenIPArgs: a raw network without a protocol, or with an
/// empty or unparsable one, fails in every entry point; with one, where
/// the process may open raw sockets, each succeeds.
#[test]
fn test_dial_listen_ip_args() {
    let _w = watchdog::start("test_dial_listen_ip_args", watchdog::LIMIT);
    gort::run(|| {
        let failing: &[(&str, &str)] = &[
            ("ip", "127.0.0.1"),
            ("ip:", "127.0.0.1"),
            ("ip::", "127.0.0.1"),
            ("ip", "::1"),
            ("ip:", "::1"),
            ("ip::", "::1"),
            ("ip4", "127.0.0.1"),
            ("ip4:", "127.0.0.1"),
            ("ip4::", "127.0.0.1"),
            ("ip6", "::1"),
            ("ip6:", "::1"),
            ("ip6::", "::1"),
        ];
        let mut tests: Vec<(&[(&str, &str)], bool)> = vec![(failing, true)];
        let privileged: Vec<(&str, &str)> = [("ip4:47", "127.0.0.1"), ("ip6:47", "::1")]
            .into_iter()
            .filter(|(n, a)| net::listen_packet(n, a).is_ok())
            .collect();
        if privileged.is_empty() {
            eprintln!("test_dial_listen_ip_args: no raw sockets here; the failing half only");
        } else {
            tests.push((&privileged, false));
        }
        for (args, should_fail) in tests {
            for &(network, address) in args {
                let r = net::dial(network, address);
                assert_eq!(r.is_err(), should_fail, "dial({network:?}, {address:?})");
                let r = net::listen_packet(network, address);
                assert_eq!(
                    r.is_err(),
                    should_fail,
                    "listen_packet({network:?}, {address:?})"
                );
                let a = resolve_ip_addr("ip", address).unwrap();
                let r = dial_ip(network, None, &a);
                assert_eq!(r.is_err(), should_fail, "dial_ip({network:?}, {a})");
                let r = listen_ip(network, Some(&a));
                assert_eq!(r.is_err(), should_fail, "listen_ip({network:?}, {a})");
            }
        }
    });
}

/// A raw socket's descriptor becomes an `IPConn` again (Go's
/// `FilePacketConn` and `FileConn` on a `SOCK_RAW` socket), with its
/// address; it is no listener.
#[test]
fn a_raw_socket_from_a_file() {
    let _w = watchdog::start("a_raw_socket_from_a_file", watchdog::LIMIT);
    gort::run(|| {
        let c = match listen_ip(QUIET_PROTO, Some(&loopback4())) {
            Ok(c) => c,
            Err(e) if no_privilege("a_raw_socket_from_a_file", &e) => return,
            Err(e) => panic!("{e}"),
        };
        let pc = net::file_packet_conn(c.file().unwrap()).unwrap();
        assert_eq!(pc.local_addr().network(), "ip");
        assert_eq!(pc.local_addr().to_string(), "127.0.0.1");
        let typed = IPConn::try_from(c.file().unwrap()).unwrap();
        assert_eq!(typed.local_addr(), loopback4());
        let conn = net::file_conn(c.file().unwrap()).unwrap();
        assert_eq!(conn.local_addr().to_string(), "127.0.0.1");
        let err = net::file_listener(c.file().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "file file+net : invalid argument");
    });
}
