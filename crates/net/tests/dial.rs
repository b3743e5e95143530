//! Go's generic entry points (`dial`, `listen`, `listen_packet`, `Dialer`)
//! over every network gort implements, and the errors they give for the
//! wrong kind of network or local address.

use std::io::Read;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use gort::net::{self, Dialer, TcpAddr, UnixAddr};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

/// A fresh socket path in the temp directory (not created).
fn temp_path(tag: &str) -> String {
    // Relaxed: only uniqueness within this process matters.
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("gort-dial-{tag}-{}-{n}.sock", std::process::id()));
    p.to_str().unwrap().to_string()
}

#[test]
fn dial_udp_through_the_generic_entry_point() {
    let _w = watchdog::start("dial_udp_through_the_generic_entry_point", watchdog::LIMIT);
    gort::run(|| {
        let pc = net::listen_packet("udp", "127.0.0.1:0").unwrap();
        let addr = pc.local_addr().to_string();
        let mut c = net::dial("udp", &addr).unwrap();
        assert_eq!(c.remote_addr().unwrap().to_string(), addr);
        assert_eq!(c.remote_addr().unwrap().network(), "udp");
        c.write_all(b"datagram").unwrap();
        let mut buf = [0u8; 32];
        let (n, from) = pc.read_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"datagram");
        let from = from.unwrap();
        assert_eq!(from.to_string(), c.local_addr().to_string());
        pc.write_to(b"reply", &*from).unwrap();
        let n = c.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"reply");
    });
}

#[test]
fn listen_and_dial_unix_stream_and_seqpacket() {
    let _w = watchdog::start("listen_and_dial_unix_stream_and_seqpacket", watchdog::LIMIT);
    gort::run(|| {
        for network in ["unix", "unixpacket"] {
            let path = temp_path(network);
            let ln = net::listen(network, &path).unwrap();
            assert_eq!(ln.addr().network(), network);
            assert_eq!(ln.addr().to_string(), path);
            let server = gort::spawn(move || {
                let mut c = ln.accept().unwrap();
                let mut buf = [0u8; 16];
                let n = c.read(&mut buf).unwrap();
                c.write_all(&buf[..n]).unwrap();
                // The listener removes its socket file when dropped.
            });
            let mut c = net::dial(network, &path).unwrap();
            c.write_all(b"hi there").unwrap();
            let mut buf = [0u8; 16];
            let n = c.read(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"hi there", "{network}");
            server.join().unwrap();
            assert!(!std::path::Path::new(&path).exists(), "{network}");
        }
    });
}

#[test]
fn listen_packet_unixgram_and_dial_it() {
    let _w = watchdog::start("listen_packet_unixgram_and_dial_it", watchdog::LIMIT);
    gort::run(|| {
        let path = temp_path("gram");
        let pc = net::listen_packet("unixgram", &path).unwrap();
        let c = net::dial("unixgram", &path).unwrap();
        c.write_all(b"one datagram").unwrap();
        let mut buf = [0u8; 32];
        let (n, _) = pc.read_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"one datagram");
        drop(pc);
        let _ = std::fs::remove_file(&path);
    });
}

#[test]
fn abstract_unix_names_through_the_generic_entry_points() {
    let _w = watchdog::start(
        "abstract_unix_names_through_the_generic_entry_points",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let name = format!("@gort-dial-abstract-{}", std::process::id());
        let ln = net::listen("unix", &name).unwrap();
        assert_eq!(ln.addr().to_string(), name);
        let h = gort::spawn(move || {
            let c = ln.accept().unwrap();
            c.write_all(b"abstract").unwrap();
        });
        let mut c = net::dial("unix", &name).unwrap();
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        assert_eq!(s, "abstract");
        h.join().unwrap();
    });
}

#[test]
fn a_network_the_call_cannot_open_reads_like_go() {
    let _w = watchdog::start(
        "a_network_the_call_cannot_open_reads_like_go",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let cases: Vec<(std::io::Error, &str)> = vec![
            (
                net::listen("udp", "127.0.0.1:0").unwrap_err(),
                "listen udp 127.0.0.1:0: address 127.0.0.1:0: unexpected address type",
            ),
            (
                net::listen_packet("tcp", "127.0.0.1:0").unwrap_err(),
                "listen tcp 127.0.0.1:0: address 127.0.0.1:0: unexpected address type",
            ),
            (
                net::dial("foo", "127.0.0.1:1").unwrap_err(),
                "dial foo: unknown network foo",
            ),
            (
                net::listen("ip4:icmp", "127.0.0.1").unwrap_err(),
                "listen ip4:icmp 127.0.0.1: address 127.0.0.1: unexpected address type",
            ),
            (
                net::dial("unix", "").unwrap_err(),
                "dial unix: missing address",
            ),
            (
                net::dial("unix", "/nonexistent/gort.sock").unwrap_err(),
                "dial unix /nonexistent/gort.sock: connect: no such file or directory",
            ),
            (
                net::dial("unixgram", "/nonexistent/gort.sock").unwrap_err(),
                "dial unixgram /nonexistent/gort.sock: connect: no such file or directory",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
        assert_eq!(
            net::dial("unix", "/nonexistent/gort.sock")
                .unwrap_err()
                .kind(),
            std::io::ErrorKind::NotFound
        );
    });
}

#[test]
fn local_address_must_match_the_network() {
    let _w = watchdog::start("local_address_must_match_the_network", watchdog::LIMIT);
    gort::run(|| {
        let tcp_local = Dialer {
            local_addr: Some(Box::new(TcpAddr::default())),
            ..Default::default()
        };
        let err = tcp_local.dial("udp", "127.0.0.1:1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "dial udp: address :0: mismatched local address type"
        );
        let unix_local = Dialer {
            local_addr: Some(Box::new(UnixAddr::new("unixgram", "@x").unwrap())),
            ..Default::default()
        };
        let err = unix_local.dial("unix", "@y").unwrap_err();
        assert_eq!(
            err.to_string(),
            "dial unix: address @x: mismatched local address type"
        );
    });
}

#[test]
fn dialer_binds_a_udp_local_address() {
    let _w = watchdog::start("dialer_binds_a_udp_local_address", watchdog::LIMIT);
    gort::run(|| {
        let pc = net::listen_packet("udp", "127.0.0.1:0").unwrap();
        let d = Dialer {
            local_addr: Some(Box::new(
                net::resolve_udp_addr("udp", "127.0.0.1:0").unwrap(),
            )),
            ..Default::default()
        };
        let c = d.dial("udp", &pc.local_addr().to_string()).unwrap();
        let local = c.local_addr().to_string();
        assert!(
            local.starts_with("127.0.0.1:") && !local.ends_with(":0"),
            "{local}"
        );
        c.write_all(b"x").unwrap();
        let mut buf = [0u8; 4];
        let (_, from) = pc.read_from(&mut buf).unwrap();
        assert_eq!(from.unwrap().to_string(), local);
    });
}

/// A listener whose accept queue is full, so that a further connect hangs
/// in SYN-SENT (Linux drops SYNs to a full queue): a dial that only a
/// cancel or a deadline can end. Returns the listener (keep it alive) and
/// its address.
fn full_listener() -> (std::os::fd::OwnedFd, String, Vec<Box<dyn net::Conn>>) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor we own from here on.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0);
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    let sa = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `sa` is a valid sockaddr_in of `len` bytes.
    assert_eq!(unsafe { libc::bind(fd, (&raw const sa).cast(), len) }, 0);
    // SAFETY: listen on our socket; backlog 0 queues one connection.
    assert_eq!(unsafe { libc::listen(fd, 0) }, 0);
    let mut out = sa;
    let mut olen = len;
    // SAFETY: `out` has room for a sockaddr_in.
    let rc = unsafe { libc::getsockname(fd, (&raw mut out).cast(), &mut olen) };
    assert_eq!(rc, 0);
    let addr = format!("127.0.0.1:{}", u16::from_be(out.sin_port));
    // Fill the queue: dial until one dial times out.
    let mut held = Vec::new();
    for _ in 0..16 {
        match net::dial_timeout("tcp", &addr, Duration::from_millis(200)) {
            Ok(c) => held.push(c),
            Err(e) if net::is_timeout(&e) => return (owned, addr, held),
            Err(e) => panic!("filling the queue: {e}"),
        }
    }
    panic!("the accept queue never filled");
}

#[test]
fn dial_context_already_cancelled_reads_like_go() {
    let _w = watchdog::start(
        "dial_context_already_cancelled_reads_like_go",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let (ctx, cancel) = gort::context::with_cancel(&gort::context::background());
        cancel.cancel();
        let err = Dialer::default()
            .dial_context(&ctx, "tcp", "127.0.0.1:9")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "dial tcp 127.0.0.1:9: operation was canceled"
        );
        assert!(err.get_ref().unwrap().is::<net::OpError>());
        let err = net::ListenConfig::default()
            .listen_context(&ctx, "tcp", "127.0.0.1:0")
            .unwrap_err();
        assert_eq!(err.to_string(), "listen tcp: operation was canceled");
    });
}

#[test]
fn cancelling_aborts_a_connect_in_flight() {
    let _w = watchdog::start("cancelling_aborts_a_connect_in_flight", watchdog::LIMIT);
    gort::run(|| {
        let (_ln, addr, _held) = full_listener();
        let (ctx, cancel) = gort::context::with_cancel(&gort::context::background());
        let canceller = gort::spawn(move || {
            // The connect is in flight: parked until the socket is writable.
            wait::parked(WaitReason::IoWait, 1);
            cancel.cancel();
        });
        let err = Dialer::default()
            .dial_context(&ctx, "tcp", &addr)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("dial tcp {addr}: operation was canceled")
        );
        canceller.join().unwrap();
    });
}

#[test]
fn a_context_deadline_bounds_the_connect() {
    let _w = watchdog::start("a_context_deadline_bounds_the_connect", watchdog::LIMIT);
    gort::run(|| {
        let (_ln, addr, _held) = full_listener();
        let (ctx, _cancel) =
            gort::context::with_timeout(&gort::context::background(), Duration::from_millis(50));
        let err = Dialer::default()
            .dial_context(&ctx, "tcp", &addr)
            .unwrap_err();
        assert_eq!(err.to_string(), format!("dial tcp {addr}: i/o timeout"));
        assert!(net::is_timeout(&err));
        // The dialer's own timeout, through the same path.
        let d = Dialer {
            timeout: Some(Duration::from_millis(50)),
            ..Default::default()
        };
        let err = d.dial("tcp", &addr).unwrap_err();
        assert!(net::is_timeout(&err), "{err}");
    });
}
