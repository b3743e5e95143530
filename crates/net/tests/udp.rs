//! UDP over loopback: round trips on 127.0.0.1 and ::1, connected versus
//! unconnected sends, read deadlines, truncation, and Go's error texts.

use std::io;
use std::time::{Duration, Instant};

use gort::net::{
    self, Addr, PacketConn, TcpAddr, UdpAddr, dial_udp, listen_multicast_udp, listen_udp,
    resolve_udp_addr,
};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn local(s: &str) -> UdpAddr {
    resolve_udp_addr("udp", s).unwrap()
}

/// A dialed client and a listening server exchange a datagram each way;
/// the server sees the client's address, the client the server's.
fn round_trip(addr: &str) {
    let server = listen_udp("udp", Some(&local(addr))).unwrap();
    let sa = server.local_addr();
    assert_ne!(sa.port, 0, "the kernel picks a port for port 0");
    assert_eq!(server.remote_addr(), None);
    let client = dial_udp("udp", None, &sa).unwrap();
    assert_eq!(client.remote_addr(), Some(sa.clone()));
    assert_eq!(client.write(b"ping").unwrap(), 4);
    let mut buf = [0u8; 64];
    let (n, from) = server.read_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, client.local_addr());
    assert_eq!(server.write_to(b"pong", &from).unwrap(), 4);
    let n = client.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"pong");
}

#[test]
fn round_trip_ipv4() {
    let _w = watchdog::start("round_trip_ipv4", watchdog::LIMIT);
    gort::run(|| round_trip("127.0.0.1:0"));
}

#[test]
fn round_trip_ipv6() {
    let _w = watchdog::start("round_trip_ipv6", watchdog::LIMIT);
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here: skipped");
        return;
    }
    gort::run(|| round_trip("[::1]:0"));
}

/// Go's TestWriteToUDP: a connected socket refuses a destination, an
/// unconnected one needs one, and PacketConn takes only UDP addresses.
#[test]
fn write_to_udp() {
    let _w = watchdog::start("write_to_udp", watchdog::LIMIT);
    gort::run(|| {
        let server = listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap();
        let sa = server.local_addr();

        let connected = dial_udp("udp", None, &sa).unwrap();
        let la = connected.local_addr();
        let err = connected.write_to(b"x", &sa).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("write udp {la}->{sa}: use of WriteTo with pre-connected connection")
        );
        let op = net::op_error(&err).expect("an OpError inside");
        assert_eq!((op.op.as_str(), op.net.as_str()), ("write", "udp"));
        let err = connected.write_msg_udp(b"x", Some(&sa)).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("use of WriteTo with pre-connected connection"),
            "{err}"
        );
        // Without an address, write_msg_udp goes to the peer.
        assert_eq!(connected.write_msg_udp(b"m", None).unwrap(), 1);
        let mut buf = [0u8; 8];
        let (n, _) = server.read_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"m");

        let unconnected = listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap();
        let err = unconnected.write_msg_udp(b"x", None).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().ends_with(": missing address"), "{err}");
        // A plain write has no destination on an unconnected socket.
        let err = unconnected.write(b"x").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("write: destination address required"),
            "{err}"
        );
        // Through the PacketConn interface: a UDP address works, a TCP one
        // is Go's EINVAL.
        let pc: &dyn PacketConn = &unconnected;
        assert_eq!(pc.write_to(b"pc", &sa).unwrap(), 2);
        let (n, from) = server.read_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"pc"[..], unconnected.local_addr()));
        let tcp = TcpAddr::new(sa.ip, sa.port);
        let err = pc.write_to(b"x", &tcp).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "write udp {}->{tcp}: invalid argument",
                unconnected.local_addr()
            )
        );
        let (n, from) = {
            connected.write(b"via-pc").unwrap();
            PacketConn::read_from(&server, &mut buf).unwrap()
        };
        assert_eq!(&buf[..n], b"via-pc");
        assert_eq!(from.unwrap().to_string(), la.to_string());
    });
}

/// Go's TestUDPReadTimeout: an expired read deadline is a timeout that
/// reads like Go's, and clearing it lets the next read wait for data.
#[test]
fn udp_read_timeout() {
    let _w = watchdog::start("udp_read_timeout", watchdog::LIMIT);
    gort::run(|| {
        let c = listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap();
        let la = c.local_addr();
        c.set_read_deadline(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap();
        let mut buf = [0u8; 8];
        let err = c.read_from(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(net::is_timeout(&err));
        assert_eq!(err.to_string(), format!("read udp {la}: i/o timeout"));
        let err = c.read(&mut buf).unwrap_err();
        assert_eq!(err.to_string(), format!("read udp {la}: i/o timeout"));

        c.set_read_deadline(None).unwrap();
        let sender = listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap();
        sender.write_to(b"late", &la).unwrap();
        let (n, _) = c.read_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"late");
    });
}

/// Go's TestUDPReadSizeError: a datagram longer than the buffer is cut
/// short, and only `read_msg_udp` says so.
#[test]
fn udp_read_size_error() {
    let _w = watchdog::start("udp_read_size_error", watchdog::LIMIT);
    gort::run(|| {
        let server = listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap();
        let client = dial_udp("udp", None, &server.local_addr()).unwrap();
        let mut small = [0u8; 4];

        client.write(b"0123456789").unwrap();
        let (n, from) = server.read_from(&mut small).unwrap();
        assert_eq!((n, &small[..]), (4, &b"0123"[..]));
        assert_eq!(from, client.local_addr());

        client.write(b"abcdefgh").unwrap();
        let (n, truncated, from) = server.read_msg_udp(&mut small).unwrap();
        assert_eq!((n, truncated, &small[..]), (4, true, &b"abcd"[..]));
        assert_eq!(from, client.local_addr());

        client.write(b"xy").unwrap();
        let (n, truncated, _) = server.read_msg_udp(&mut small).unwrap();
        assert_eq!((n, truncated, &small[..n]), (2, false, &b"xy"[..]));
    });
}

/// Go's TestUDPZeroBytePayload: an empty datagram is a datagram.
#[test]
fn udp_zero_byte_payload() {
    let _w = watchdog::start("udp_zero_byte_payload", watchdog::LIMIT);
    gort::run(|| {
        let server = listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap();
        let client = dial_udp("udp", None, &server.local_addr()).unwrap();
        assert_eq!(client.write(b"").unwrap(), 0);
        server
            .set_read_deadline(Some(Instant::now() + Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = server.read_from(&mut buf).unwrap();
        assert_eq!((n, from), (0, client.local_addr()));
    });
}

#[test]
fn errors_read_like_go() {
    let _w = watchdog::start("errors_read_like_go", watchdog::LIMIT);
    gort::run(|| {
        let a = local("127.0.0.1:9");
        let err = dial_udp("udp7", None, &a).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            err.to_string(),
            "dial udp7 127.0.0.1:9: unknown network udp7"
        );
        let err = listen_udp("tcp", Some(&a)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "listen tcp 127.0.0.1:9: unknown network tcp"
        );

        // Binding a port in use.
        let c = listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap();
        let la = c.local_addr();
        let err = listen_udp("udp", Some(&la)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            err.to_string(),
            format!("listen udp {la}: bind: address already in use")
        );

        // Closing twice, then using a closed socket.
        c.close().unwrap();
        let err = c.close().unwrap_err();
        assert!(net::is_closed(&err), "{err}");
        let err = c.write_to(b"x", &a).unwrap_err();
        assert!(net::is_closed(&err), "{err}");
        assert_eq!(
            err.to_string(),
            format!("write udp {la}->{a}: use of closed network connection")
        );

        let err = listen_multicast_udp("udp", None, &UdpAddr::default()).unwrap_err();
        assert_eq!(err.to_string(), "listen udp :0: missing address");
        let g = local("224.0.0.254:0");
        // An interface the kernel does not have: Go's text (its
        // IP_MULTICAST_IF fails) on Linux.
        let bogus = net::Interface {
            index: 99999,
            name: "bogus".into(),
            ..Default::default()
        };
        let err = listen_multicast_udp("udp", Some(&bogus), &g).unwrap_err();
        assert_eq!(
            err.to_string(),
            "listen udp 224.0.0.254:0: setsockopt: cannot assign requested address"
        );
    });
}

/// A close from another goroutine wakes a reader blocked in read_from.
#[test]
fn close_wakes_a_blocked_read_from() {
    let _w = watchdog::start("close_wakes_a_blocked_read_from", watchdog::LIMIT);
    gort::run(|| {
        let c = std::sync::Arc::new(listen_udp("udp", Some(&local("127.0.0.1:0"))).unwrap());
        let reader = {
            let c = c.clone();
            gort::spawn(move || {
                let mut buf = [0u8; 8];
                c.read_from(&mut buf).map(|(n, _)| n)
            })
        };
        wait::parked(WaitReason::IoWait, 1);
        c.close().unwrap();
        let err = reader.join().unwrap().unwrap_err();
        assert!(net::is_closed(&err), "{err}");
    });
}

/// Joining a group needs a multicast route; where the host has one, two
/// sockets share the group's port and the address reports it.
#[test]
fn listen_multicast_udp_joins() {
    let _w = watchdog::start("listen_multicast_udp_joins", watchdog::LIMIT);
    gort::run(|| {
        let g = local("224.0.0.254:0");
        let c = match listen_multicast_udp("udp4", None, &g) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("no IPv4 multicast here ({e}): skipped");
                return;
            }
        };
        let port = c.local_addr().port;
        assert_ne!(port, 0);
        let same_port = UdpAddr::new(g.ip, port);
        let c2 = listen_multicast_udp("udp4", None, &same_port)
            .expect("SO_REUSEADDR lets a second listener share the group port");
        assert_eq!(c2.local_addr().port, port);
        assert_eq!(c.local_addr().network(), "udp");

        // Joined on a named interface, the group shows among the
        // interface's multicast groups.
        let want = net::Flags::UP | net::Flags::MULTICAST;
        let Some(ifi) = net::interfaces()
            .unwrap()
            .into_iter()
            .find(|i| i.flags.contains(want))
        else {
            eprintln!("no up multicast interface here: the named join skipped");
            return;
        };
        let _c3 = listen_multicast_udp("udp4", Some(&ifi), &same_port)
            .expect("joins on an up multicast interface");
        let groups = ifi.multicast_addrs().unwrap();
        assert!(
            groups.contains(&net::IPAddr::new(g.ip)),
            "{} joined {g}: {groups:?}",
            ifi.name
        );
    });
}
