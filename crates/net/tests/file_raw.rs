//! Conns from descriptors (Go's `FileConn`, `FileListener`,
//! `FilePacketConn`) and raw access to a conn's socket (Go's
//! `SyscallConn`): std sockets taken over by gort, socketpairs, non-socket
//! descriptors, and `RawConn`'s control, read and write with Go's error
//! texts.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gort::net::{
    self, Addr, Conn, TcpAddr, TcpConn, TcpListener, UdpAddr, UdpConn, UnixConn, UnixListener,
    dial_tcp, file_conn, file_listener, file_packet_conn, listen_tcp, listen_udp,
};
use rustix::io::Errno;
use rustix::net::{RecvFlags, SocketType};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn loopback() -> TcpAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A connected pair of gort TCP conns over loopback: (dialed, accepted).
fn tcp_pair() -> (TcpConn, TcpConn) {
    let ln = listen_tcp("tcp", Some(&loopback())).unwrap();
    let addr = ln.addr();
    let server = gort::spawn(move || ln.accept().unwrap());
    let client = dial_tcp("tcp", None, &addr).unwrap();
    (client, server.join().unwrap())
}

/// The address text of a std socket address, as gort prints it.
fn text(a: std::net::SocketAddr) -> String {
    a.to_string()
}

/// Whether `err` reads `want` and carries Go's `file` OpError.
fn assert_file_error(err: &io::Error, want: &str) {
    assert_eq!(err.to_string(), want);
    let op = net::op_error(err).expect("an OpError");
    assert_eq!((op.op.as_str(), op.net.as_str()), ("file", "file+net"));
    assert!(op.source.is_none());
    assert_eq!(op.addr.as_ref().unwrap().network(), "file+net");
}

/// A std TCP stream becomes a gort conn that keeps its addresses and
/// carries data both ways.
#[test]
fn file_conn_from_a_std_tcp_stream() {
    let _w = watchdog::start("file_conn_from_a_std_tcp_stream", watchdog::LIMIT);
    gort::run(|| {
        let std_ln = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(std_ln.local_addr().unwrap()).unwrap();
        let (mut peer, _) = std_ln.accept().unwrap();
        let (local, remote) = (client.local_addr().unwrap(), client.peer_addr().unwrap());

        let conn = file_conn(OwnedFd::from(client)).unwrap();
        let (l, r) = (conn.local_addr(), conn.remote_addr().unwrap());
        assert_eq!((l.network(), r.network()), ("tcp", "tcp"));
        assert_eq!((l.to_string(), r.to_string()), (text(local), text(remote)));

        conn.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        peer.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
        peer.write_all(b"pong").unwrap();
        (&conn).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pong");
        // Closing the gort conn closes the socket: the peer reads EOF.
        conn.close().unwrap();
        assert_eq!(peer.read(&mut buf).unwrap(), 0);
    });
}

/// The typed form gives a `TcpConn` with typed addresses.
#[test]
fn tcp_conn_try_from_owned_fd() {
    let _w = watchdog::start("tcp_conn_try_from_owned_fd", watchdog::LIMIT);
    gort::run(|| {
        let std_ln = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(std_ln.local_addr().unwrap()).unwrap();
        let (_peer, _) = std_ln.accept().unwrap();
        let local = client.local_addr().unwrap();
        let conn = TcpConn::try_from(OwnedFd::from(client)).unwrap();
        assert_eq!(conn.local_addr(), TcpAddr::from(local));
        assert_eq!(
            conn.remote_addr(),
            Some(TcpAddr::from(std_ln.local_addr().unwrap()))
        );
    });
}

/// A std TCP listener becomes a gort listener that accepts gort dials.
#[test]
fn file_listener_from_a_std_tcp_listener() {
    let _w = watchdog::start("file_listener_from_a_std_tcp_listener", watchdog::LIMIT);
    gort::run(|| {
        let std_ln = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let want = text(std_ln.local_addr().unwrap());
        let ln = Arc::new(file_listener(OwnedFd::from(std_ln)).unwrap());
        assert_eq!(ln.addr().to_string(), want);
        assert_eq!(ln.addr().network(), "tcp");

        let server = {
            let ln = Arc::clone(&ln);
            gort::spawn(move || {
                let c = ln.accept().unwrap();
                let mut buf = [0u8; 5];
                (&c).read_exact(&mut buf).unwrap();
                c.write_all(&buf.to_ascii_uppercase()).unwrap();
                c.remote_addr().unwrap().to_string()
            })
        };
        let addr: TcpAddr = want.parse().unwrap();
        let c = dial_tcp("tcp", None, &addr).unwrap();
        c.write_all(b"hello").unwrap();
        let mut buf = [0u8; 5];
        (&c).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"HELLO");
        assert_eq!(server.join().unwrap(), c.local_addr().to_string());
        ln.close().unwrap();
    });
}

/// A std UDP socket becomes a gort packet conn that sends to and hears
/// from a std peer.
#[test]
fn file_packet_conn_from_a_std_udp_socket() {
    let _w = watchdog::start("file_packet_conn_from_a_std_udp_socket", watchdog::LIMIT);
    gort::run(|| {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let want = text(sock.local_addr().unwrap());
        let pc = file_packet_conn(OwnedFd::from(sock)).unwrap();
        let la = pc.local_addr();
        assert_eq!((la.network(), la.to_string()), ("udp", want.clone()));

        let to = UdpAddr::from(peer.local_addr().unwrap());
        assert_eq!(pc.write_to(b"ping", &to).unwrap(), 4);
        let mut buf = [0u8; 16];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], text(from)), (&b"ping"[..], want));

        peer.send_to(b"pong", from).unwrap();
        let (n, from) = pc.read_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"pong");
        assert_eq!(from.unwrap().to_string(), to.to_string());
    });
}

/// A UDP socket through the typed form is a `UdpConn`.
#[test]
fn udp_conn_try_from_owned_fd() {
    let _w = watchdog::start("udp_conn_try_from_owned_fd", watchdog::LIMIT);
    gort::run(|| {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let want = UdpAddr::from(sock.local_addr().unwrap());
        let c = UdpConn::try_from(OwnedFd::from(sock)).unwrap();
        assert_eq!(c.local_addr(), want);
        assert_eq!(c.remote_addr(), None);
    });
}

/// A Unix stream socketpair through `file_conn` gives "unix" conns that
/// talk to each other; seqpacket and datagram pairs get their own networks.
#[test]
fn unix_socketpairs_become_unix_conns() {
    let _w = watchdog::start("unix_socketpairs_become_unix_conns", watchdog::LIMIT);
    gort::run(|| {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let a = UnixConn::try_from(OwnedFd::from(a)).unwrap();
        let b = file_conn(OwnedFd::from(b)).unwrap();
        let la = a.local_addr();
        // Go, too, names an unnamed socket "@" on Linux (its sockaddr
        // decoding turns the leading NUL into '@').
        assert_eq!((la.network(), la.to_string()), ("unix", "@".to_string()));
        assert_eq!(b.remote_addr().unwrap().to_string(), "@");
        assert_eq!(b.local_addr().network(), "unix");
        a.write_all(b"over the pair").unwrap();
        let mut buf = [0u8; 13];
        (&b).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"over the pair");

        let (x, y) = rustix::net::socketpair(
            rustix::net::AddressFamily::UNIX,
            SocketType::SEQPACKET,
            rustix::net::SocketFlags::empty(),
            None,
        )
        .unwrap();
        let x = file_conn(x).unwrap();
        let y = UnixConn::try_from(y).unwrap();
        // Taken over: nonblocking for the netpoller, and close-on-exec
        // (they were made without it), as Go's duplicate would be.
        let (fl, fd_flags) = y
            .syscall_conn()
            .unwrap()
            .control(|fd| {
                (
                    rustix::fs::fcntl_getfl(fd).unwrap(),
                    rustix::io::fcntl_getfd(fd).unwrap(),
                )
            })
            .unwrap();
        assert!(fl.contains(rustix::fs::OFlags::NONBLOCK));
        assert!(fd_flags.contains(rustix::io::FdFlags::CLOEXEC));
        assert_eq!(x.local_addr().network(), "unixpacket");
        Conn::write(&*x, b"one").unwrap();
        Conn::write(&*x, b"two").unwrap();
        let mut buf = [0u8; 8];
        let n = y.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"one");
        let n = y.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");

        let (g, h) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let g = file_packet_conn(OwnedFd::from(g)).unwrap();
        assert_eq!(g.local_addr().network(), "unixgram");
        h.send(b"dgram").unwrap();
        let (n, from) = g.read_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"dgram");
        assert!(from.is_none(), "an unnamed sender has no address");
    });
}

/// A Unix listener from a descriptor accepts, and does not remove the
/// socket file it did not create.
#[test]
fn file_unix_listener_keeps_the_socket_file() {
    let _w = watchdog::start("file_unix_listener_keeps_the_socket_file", watchdog::LIMIT);
    gort::run(|| {
        let path = std::env::temp_dir().join(format!("gort-file-raw-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let std_ln = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let ln = UnixListener::try_from(OwnedFd::from(std_ln)).unwrap();
        assert_eq!(ln.addr().to_string(), path.to_str().unwrap());
        let client = std::os::unix::net::UnixStream::connect(&path).unwrap();
        let c = ln.accept().unwrap();
        (&client).write_all(b"x").unwrap();
        let mut buf = [0u8; 1];
        (&c).read_exact(&mut buf).unwrap();
        ln.close().unwrap();
        drop(ln);
        assert!(
            path.exists(),
            "a listener from a file leaves the file alone"
        );
        std::fs::remove_file(&path).unwrap();
    });
}

/// A pipe is not a socket: Go's ENOTSOCK text, and the descriptor (whose
/// ownership was given away) is closed, not leaked.
#[test]
fn a_pipe_is_not_a_socket_and_is_closed() {
    let _w = watchdog::start("a_pipe_is_not_a_socket_and_is_closed", watchdog::LIMIT);
    gort::run(|| {
        let (r, w) = rustix::pipe::pipe().unwrap();
        let err = file_conn(r).unwrap_err();
        assert_file_error(
            &err,
            "file file+net : getsockopt: socket operation on non-socket",
        );
        assert_eq!(err.raw_os_error(), None, "the errno is inside the OpError");
        // The read end is closed: writing to the pipe now breaks it. (Rust
        // programs ignore SIGPIPE, so this is an error, not a signal.)
        assert_eq!(rustix::io::write(&w, b"x"), Err(Errno::PIPE));

        let (r, _w) = rustix::pipe::pipe().unwrap();
        let err = file_listener(r).unwrap_err();
        assert_file_error(
            &err,
            "file file+net : getsockopt: socket operation on non-socket",
        );
    });
}

/// A regular file reads the same, through every entry point.
#[test]
fn a_regular_file_is_not_a_socket() {
    let _w = watchdog::start("a_regular_file_is_not_a_socket", watchdog::LIMIT);
    gort::run(|| {
        let path = std::env::temp_dir().join(format!("gort-file-raw-{}.txt", std::process::id()));
        let f = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = file_packet_conn(OwnedFd::from(f)).unwrap_err();
        assert_file_error(
            &err,
            "file file+net : getsockopt: socket operation on non-socket",
        );
    });
}

/// A socket of the wrong kind for the call: Go's EINVAL.
#[test]
fn a_socket_of_the_wrong_type_is_invalid() {
    let _w = watchdog::start("a_socket_of_the_wrong_type_is_invalid", watchdog::LIMIT);
    gort::run(|| {
        let std_ln = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = file_packet_conn(OwnedFd::from(std_ln)).unwrap_err();
        assert_file_error(&err, "file file+net : invalid argument");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = file_listener(OwnedFd::from(sock)).unwrap_err();
        assert_file_error(&err, "file file+net : invalid argument");

        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = TcpListener::try_from(OwnedFd::from(sock)).unwrap_err();
        assert_file_error(&err, "file file+net : invalid argument");
    });
}

/// `control` reaches the descriptor of every conn and listener type.
#[test]
fn control_reads_so_type() {
    let _w = watchdog::start("control_reads_so_type", watchdog::LIMIT);
    gort::run(|| {
        let so_type = |fd: std::os::fd::BorrowedFd<'_>| {
            rustix::net::sockopt::socket_type(fd.as_fd()).unwrap()
        };
        let (c, _s) = tcp_pair();
        let rc = c.syscall_conn().unwrap();
        assert_eq!(rc.control(so_type).unwrap(), SocketType::STREAM);

        let ln = listen_tcp("tcp", Some(&loopback())).unwrap();
        let rc = ln.syscall_conn().unwrap();
        assert_eq!(rc.control(so_type).unwrap(), SocketType::STREAM);
        // With libc too: the descriptor is a plain socket.
        let mut acc: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let rc_ = rc.control(|fd| {
            // SAFETY: `acc` and `len` are valid for writes of their sizes
            // and outlive the call; the descriptor is open for the call.
            unsafe {
                libc::getsockopt(
                    std::os::fd::AsRawFd::as_raw_fd(&fd),
                    libc::SOL_SOCKET,
                    libc::SO_ACCEPTCONN,
                    (&mut acc as *mut libc::c_int).cast(),
                    &mut len,
                )
            }
        });
        assert_eq!(rc_.unwrap(), 0);
        assert_eq!(acc, 1, "the listener listens");

        let u = listen_udp("udp", Some(&"127.0.0.1:0".parse().unwrap())).unwrap();
        let rc = u.syscall_conn().unwrap();
        assert_eq!(rc.control(so_type).unwrap(), SocketType::DGRAM);

        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let a = UnixConn::try_from(OwnedFd::from(a)).unwrap();
        let rc = a.syscall_conn().unwrap();
        assert_eq!(rc.control(so_type).unwrap(), SocketType::STREAM);
    });
}

/// A raw read whose function finds no data parks until the peer sends
/// (from another goroutine, once the read is parked), then reads it.
#[test]
fn raw_read_waits_for_data() {
    let _w = watchdog::start("raw_read_waits_for_data", watchdog::LIMIT);
    gort::run(|| {
        let (c, s) = tcp_pair();
        let sender = gort::spawn(move || {
            wait::parked(WaitReason::IoWait, 1);
            s.write(b"late").unwrap();
            s
        });
        let rc = c.syscall_conn().unwrap();
        let mut calls = Vec::new();
        let mut buf = [0u8; 16];
        let mut got = 0;
        rc.read(|fd| {
            let r = rustix::net::recv(fd, &mut buf[..], RecvFlags::DONTWAIT);
            match r {
                Ok((n, _)) => {
                    calls.push(Ok(n));
                    got = n;
                    true
                }
                Err(e) => {
                    calls.push(Err(e));
                    e != Errno::AGAIN
                }
            }
        })
        .unwrap();
        assert_eq!(calls.first(), Some(&Err(Errno::AGAIN)), "no data at first");
        assert_eq!(calls.last(), Some(&Ok(4)));
        assert!(
            calls.len() <= 10,
            "woken for the data, not spinning: {calls:?}"
        );
        assert_eq!(&buf[..got], b"late");
        drop(sender.join());
    });
}

/// A raw read that never succeeds ends at the read deadline with Go's
/// text and both addresses.
#[test]
fn raw_read_honours_the_read_deadline() {
    let _w = watchdog::start("raw_read_honours_the_read_deadline", watchdog::LIMIT);
    gort::run(|| {
        let (c, _s) = tcp_pair();
        c.set_read_deadline(Some(Instant::now() + Duration::from_millis(30)))
            .unwrap();
        let rc = c.syscall_conn().unwrap();
        let mut calls = 0;
        let err = rc
            .read(|_| {
                calls += 1;
                calls > 1000 // bounded, in case the deadline never fired
            })
            .unwrap_err();
        assert!(calls < 1000, "parked between calls, not spinning");
        assert!(net::is_timeout(&err));
        assert_eq!(
            err.to_string(),
            format!(
                "raw-read tcp {}->{}: i/o timeout",
                c.local_addr(),
                c.remote_addr().unwrap()
            )
        );
    });
}

/// A raw write sends what the function writes.
#[test]
fn raw_write_sends() {
    let _w = watchdog::start("raw_write_sends", watchdog::LIMIT);
    gort::run(|| {
        let (c, s) = tcp_pair();
        let rc = c.syscall_conn().unwrap();
        let mut sent = 0;
        rc.write(|fd| match rustix::io::write(fd, &b"raw bytes"[sent..]) {
            Ok(n) => {
                sent += n;
                sent == 9
            }
            Err(e) => e != Errno::AGAIN,
        })
        .unwrap();
        let mut buf = [0u8; 9];
        (&s).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"raw bytes");
    });
}

/// A listener's RawConn only controls: read and write are Go's EINVAL.
#[test]
fn listener_raw_conn_cannot_read_or_write() {
    let _w = watchdog::start("listener_raw_conn_cannot_read_or_write", watchdog::LIMIT);
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&loopback())).unwrap();
        let rc = ln.syscall_conn().unwrap();
        let err = rc.read(|_| unreachable!("not called")).unwrap_err();
        assert_eq!(err.to_string(), "invalid argument");
        let err = rc.write(|_| unreachable!("not called")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

/// On a closed conn every raw method fails with Go's closed error, and the
/// function is not called.
#[test]
fn raw_conn_of_a_closed_conn() {
    let _w = watchdog::start("raw_conn_of_a_closed_conn", watchdog::LIMIT);
    gort::run(|| {
        let (c, _s) = tcp_pair();
        let (l, r) = (c.local_addr(), c.remote_addr().unwrap());
        c.close().unwrap();
        let rc = c.syscall_conn().unwrap();
        let err = rc.control(|_| unreachable!("not called")).unwrap_err();
        assert!(net::is_closed(&err));
        assert_eq!(
            err.to_string(),
            format!("raw-control tcp {l}: use of closed network connection")
        );
        let err = rc.read(|_| unreachable!("not called")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("raw-read tcp {l}->{r}: use of closed network connection")
        );
        let err = rc.write(|_| unreachable!("not called")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("raw-write tcp {l}->{r}: use of closed network connection")
        );

        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let a = file_conn(OwnedFd::from(a)).unwrap();
        a.close().unwrap();
        let err = Conn::write(&*a, b"x").unwrap_err();
        assert!(net::is_closed(&err));
    });
}

/// `AsFd` reaches the same socket as `control`, for the packet conns too.
#[test]
fn as_fd_matches_control() {
    let _w = watchdog::start("as_fd_matches_control", watchdog::LIMIT);
    gort::run(|| {
        use std::os::fd::AsRawFd;
        let u = listen_udp("udp", Some(&"127.0.0.1:0".parse().unwrap())).unwrap();
        let raw = u
            .syscall_conn()
            .unwrap()
            .control(|fd| fd.as_raw_fd())
            .unwrap();
        assert_eq!(raw, u.as_raw_fd());
        assert_eq!(raw, u.as_fd().as_raw_fd());
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let a = UnixConn::try_from(OwnedFd::from(a)).unwrap();
        let raw = a
            .syscall_conn()
            .unwrap()
            .control(|fd| fd.as_raw_fd())
            .unwrap();
        assert_eq!(raw, a.as_fd().as_raw_fd());
    });
}
