//! TCP over loopback: round trips on 127.0.0.1 and ::1, Go's error texts,
//! deadlines, half-close, and a reader and a writer sharing one conn.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use gort::net::{self, TcpAddr, dial_tcp, listen_tcp, resolve_tcp_addr};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn local(s: &str) -> TcpAddr {
    resolve_tcp_addr("tcp", s).unwrap()
}

fn echo_once(addr: &str) {
    let ln = listen_tcp("tcp", Some(&local(addr))).unwrap();
    let a = ln.addr();
    assert_ne!(a.port, 0, "the kernel picks a port for port 0");
    let server = gort::spawn(move || {
        let c = ln.accept().unwrap();
        let mut line = String::new();
        BufReader::new(&c).read_line(&mut line).unwrap();
        c.write_all(line.as_bytes()).unwrap();
        c.remote_addr()
    });
    let c = dial_tcp("tcp", None, &a).unwrap();
    assert_eq!(c.remote_addr(), Some(a));
    c.write_all(b"ping\n").unwrap();
    let mut line = String::new();
    BufReader::new(&c).read_line(&mut line).unwrap();
    assert_eq!(line, "ping\n");
    assert_eq!(server.join().unwrap(), Some(c.local_addr()));
}

#[test]
fn round_trip_ipv4() {
    let _w = watchdog::start("round_trip_ipv4", watchdog::LIMIT);
    gort::run(|| echo_once("127.0.0.1:0"));
}

#[test]
fn round_trip_ipv6() {
    let _w = watchdog::start("round_trip_ipv6", watchdog::LIMIT);
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here: skipped");
        return;
    }
    gort::run(|| echo_once("[::1]:0"));
}

#[test]
fn dial_refused_reads_like_go() {
    let _w = watchdog::start("dial_refused_reads_like_go", watchdog::LIMIT);
    gort::run(|| {
        // Take a free port, then free it: nobody listens there.
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        drop(ln);
        let err = dial_tcp("tcp", None, &a).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(
            err.to_string(),
            format!("dial tcp {a}: connect: connection refused")
        );
        let op = net::op_error(&err).expect("an OpError inside");
        assert_eq!((op.op.as_str(), op.net.as_str()), ("dial", "tcp"));
    });
}

#[test]
fn listen_on_a_used_port_reads_like_go() {
    let _w = watchdog::start("listen_on_a_used_port_reads_like_go", watchdog::LIMIT);
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        let err = listen_tcp("tcp", Some(&a)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            err.to_string(),
            format!("listen tcp {a}: bind: address already in use")
        );
    });
}

#[test]
fn unknown_network_and_bad_addresses() {
    let _w = watchdog::start("unknown_network_and_bad_addresses", watchdog::LIMIT);
    gort::run(|| {
        let err = listen_tcp("tpc", None).unwrap_err();
        assert_eq!(err.to_string(), "listen tpc :0: unknown network tpc");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = resolve_tcp_addr("tcp", "1.2.3.4").unwrap_err();
        assert_eq!(err.to_string(), "address 1.2.3.4: missing port in address");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = resolve_tcp_addr("tcp", "1.2.3.4:70000").unwrap_err();
        assert_eq!(err.to_string(), "address 70000: invalid port");
        let err = resolve_tcp_addr("udp", "1.2.3.4:80").unwrap_err();
        assert_eq!(err.to_string(), "unknown network udp");
    });
}

#[test]
fn read_deadline_times_out_then_extends() {
    let _w = watchdog::start("read_deadline_times_out_then_extends", watchdog::LIMIT);
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        let server = gort::spawn(move || {
            let c = ln.accept().unwrap();
            gort::time::sleep(Duration::from_millis(80));
            c.write_all(b"late").unwrap();
            let mut b = [0u8; 1];
            // Hold the conn until the client is done.
            let _ = c.read(&mut b);
        });
        let c = dial_tcp("tcp", None, &a).unwrap();
        c.set_read_deadline(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap();
        let mut b = [0u8; 8];
        let err = c.read(&mut b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(net::is_timeout(&err));
        assert_eq!(
            err.to_string(),
            format!("read tcp {}->{}: i/o timeout", c.local_addr(), a)
        );
        c.set_read_deadline(None).unwrap();
        let n = c.read(&mut b).unwrap();
        assert_eq!(&b[..n], b"late");
        c.close().unwrap();
        server.join().unwrap();
    });
}

#[test]
fn close_write_gives_the_peer_eof_and_it_can_still_answer() {
    let _w = watchdog::start(
        "close_write_gives_the_peer_eof_and_it_can_still_answer",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        let server = gort::spawn(move || {
            let c = ln.accept().unwrap();
            let mut all = Vec::new();
            (&c).read_to_end(&mut all).unwrap();
            c.write_all(&all).unwrap();
        });
        let c = dial_tcp("tcp", None, &a).unwrap();
        c.write_all(b"half").unwrap();
        c.close_write().unwrap();
        let mut back = Vec::new();
        (&c).read_to_end(&mut back).unwrap();
        assert_eq!(back, b"half");
        server.join().unwrap();
    });
}

#[test]
fn close_wakes_a_blocked_read_with_the_closed_error() {
    let _w = watchdog::start(
        "close_wakes_a_blocked_read_with_the_closed_error",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        let peer = gort::spawn(move || ln.accept().unwrap());
        let c = std::sync::Arc::new(dial_tcp("tcp", None, &a).unwrap());
        let _peer = peer.join().unwrap();
        let c2 = c.clone();
        let reader = gort::spawn(move || {
            let mut b = [0u8; 1];
            c2.read(&mut b)
        });
        wait::parked(WaitReason::IoWait, 1);
        c.close().unwrap();
        let err = reader.join().unwrap().unwrap_err();
        assert!(net::is_closed(&err), "{err}");
        assert!(
            err.to_string()
                .ends_with("use of closed network connection")
        );
    });
}

#[test]
fn reader_and_writer_goroutines_share_a_conn() {
    let _w = watchdog::start("reader_and_writer_goroutines_share_a_conn", watchdog::LIMIT);
    gort::run(|| {
        const N: usize = 2000;
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        let server = gort::spawn(move || {
            let c = ln.accept().unwrap();
            io::copy(&mut &c, &mut &c).unwrap();
        });
        let c = std::sync::Arc::new(dial_tcp("tcp", None, &a).unwrap());
        let w = c.clone();
        let writer = gort::spawn(move || {
            for i in 0..N {
                writeln!(&*w, "line {i}").unwrap();
            }
            w.close_write().unwrap();
        });
        let mut lines = 0;
        for (i, l) in BufReader::new(&*c).lines().enumerate() {
            assert_eq!(l.unwrap(), format!("line {i}"));
            lines += 1;
        }
        assert_eq!(lines, N);
        writer.join().unwrap();
        server.join().unwrap();
    });
}

#[test]
fn accept_after_close_fails_with_the_closed_error() {
    let _w = watchdog::start(
        "accept_after_close_fails_with_the_closed_error",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let ln = std::sync::Arc::new(listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap());
        let l2 = ln.clone();
        let acceptor = gort::spawn(move || l2.accept().map(|_| ()));
        wait::parked(WaitReason::IoWait, 1);
        ln.close().unwrap();
        let err = acceptor.join().unwrap().unwrap_err();
        assert!(net::is_closed(&err));
        assert_eq!(
            err.to_string(),
            format!("accept tcp {}: use of closed network connection", ln.addr())
        );
    });
}

#[test]
fn file_leaves_the_conn_on_the_netpoller() {
    let _w = watchdog::start("file_leaves_the_conn_on_the_netpoller", watchdog::LIMIT);
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        let server = gort::spawn(move || {
            let c = ln.accept().unwrap();
            gort::time::sleep(Duration::from_millis(300));
            let _ = c.write_all(b"late");
        });
        let c = dial_tcp("tcp", None, &a).unwrap();
        let dup = c.file().unwrap();
        // The duplicate shares the socket's file status flags: had `file`
        // made it blocking, this read would block the thread past its
        // deadline and return the server's late bytes instead.
        c.set_read_deadline(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap();
        let err = c.read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        drop(dup);
        server.join().unwrap();
    });
}

#[test]
fn short_reads_still_see_the_end_of_the_stream() {
    let _w = watchdog::start(
        "short_reads_still_see_the_end_of_the_stream",
        watchdog::LIMIT,
    );
    // gort skips the read(2) that follows a short TCP read until the
    // netpoller reports more (see gort-poll's `FD::read`). The end of the
    // stream must survive that: each client sends a few bytes and its FIN
    // back to back, often in one epoll event, and every server goroutine
    // must read them and then see EOF. A lost wake-up would hang here, so
    // each read has a deadline that turns a hang into a failure.
    const CONNS: usize = 300;
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let a = ln.addr();
        let server = gort::spawn(move || {
            let mut handlers = Vec::new();
            for _ in 0..CONNS {
                let c = ln.accept().unwrap();
                handlers.push(gort::spawn(move || {
                    c.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
                        .unwrap();
                    let mut got = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        match c.read(&mut buf) {
                            Ok(0) => return Ok(got),
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                            Err(e) => return Err(format!("after {} bytes: {e}", got.len())),
                        }
                    }
                }));
            }
            handlers
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        // Plain-thread clients (std), so the writes and FINs race with the
        // server's goroutines from outside the runtime.
        let clients = std::thread::spawn(move || {
            let addr = a.to_socket_addr().unwrap();
            for i in 0..CONNS {
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                s.write_all(&vec![i as u8; 1 + i % 97]).unwrap();
                if i % 3 == 0 {
                    // A second small segment behind the first.
                    s.write_all(b"!").unwrap();
                }
                s.shutdown(std::net::Shutdown::Write).unwrap();
            }
        });
        let results = server.join().unwrap();
        clients.join().unwrap();
        let mut lens: Vec<usize> = results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|e| panic!("a server read failed: {e}"))
                    .len()
            })
            .collect();
        lens.sort_unstable();
        let mut want: Vec<usize> = (0..CONNS)
            .map(|i| 1 + i % 97 + usize::from(i % 3 == 0))
            .collect();
        want.sort_unstable();
        assert_eq!(lens, want, "bytes received per connection");
    });
}
