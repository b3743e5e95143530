//! Integration tests of gort-poll's `FD` on sockets (127.0.0.1 and Unix socket pairs): accept, close while blocked, datagrams, ancillary data, shutdown.

use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gort_poll::fd::{is_deadline_exceeded, is_net_closing};
use gort_poll::{FD, FdKind};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, Shutdown, SocketFlags, SocketType,
};

mod common;
use common::rt;

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn localhost() -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)
}

/// A listening TCP socket on 127.0.0.1 (port chosen by the kernel).
fn listener() -> (FD, SocketAddrV4) {
    let s = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    rustix::net::bind(&s, &localhost()).unwrap();
    rustix::net::listen(&s, 128).unwrap();
    let addr = SocketAddrV4::try_from(rustix::net::getsockname(&s).unwrap()).unwrap();
    (FD::new(s, FdKind::Tcp, true), addr)
}

/// A TCP connection to `addr` (connected in blocking mode, then wrapped).
fn dial(addr: SocketAddrV4) -> FD {
    let s = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    rustix::net::connect(&s, &addr).unwrap();
    FD::new(s, FdKind::Tcp, true)
}

fn udp() -> (FD, SocketAddrV4) {
    let s = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::DGRAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    rustix::net::bind(&s, &localhost()).unwrap();
    let addr = SocketAddrV4::try_from(rustix::net::getsockname(&s).unwrap()).unwrap();
    (FD::new(s, FdKind::Datagram, true), addr)
}

#[test]
fn accept_then_echo_over_tcp() {
    let _w = watchdog::start("accept_then_echo_over_tcp", watchdog::LIMIT);
    rt().block_on(|| {
        let (ln, addr) = listener();
        let server = gort_runtime::spawn(move || {
            let (conn, peer) = ln.accept().unwrap();
            assert!(peer.is_some());
            let conn = FD::new(conn, FdKind::Tcp, true);
            let mut buf = [0u8; 5];
            (&conn).read_exact(&mut buf).unwrap();
            (&conn).write_all(&buf).unwrap();
            // Wait for the client's shutdown: EOF.
            assert_eq!(conn.read(&mut buf).unwrap(), 0);
        });
        // The server is blocked in accept; the dial wakes it.
        wait::parked(WaitReason::IoWait, 1);
        let c = dial(addr);
        (&c).write_all(b"hello").unwrap();
        let mut buf = [0u8; 5];
        (&c).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello");
        c.shutdown(Shutdown::Write).unwrap();
        server.join().unwrap();
    });
}

#[test]
fn close_wakes_blocked_accept_and_read_with_net_closing() {
    let _w = watchdog::start(
        "close_wakes_blocked_accept_and_read_with_net_closing",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let (ln, addr) = listener();
        let ln = Arc::new(ln);
        let acceptor = {
            let ln = ln.clone();
            gort_runtime::spawn(move || ln.accept().map(|(conn, _)| conn))
        };
        let c = Arc::new(dial(addr));
        let reader = {
            let c = c.clone();
            gort_runtime::spawn(move || c.read(&mut [0u8; 8]))
        };
        // The dial above satisfied the first accept; block a second one.
        // (Kept open: dropping it would end the client's read with EOF.)
        let _server_side = acceptor.join().unwrap().unwrap();
        let acceptor = {
            let ln = ln.clone();
            gort_runtime::spawn(move || ln.accept().map(|_| ()))
        };
        // Both are blocked: the reader and the second accept.
        wait::parked(WaitReason::IoWait, 2);
        assert!(!acceptor.is_finished() && !reader.is_finished());
        ln.close().unwrap();
        c.close().unwrap();
        for err in [
            acceptor.join().unwrap().unwrap_err(),
            reader.join().unwrap().unwrap_err(),
        ] {
            assert!(is_net_closing(&err), "{err}");
            assert_eq!(err.to_string(), "use of closed network connection");
            assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
        }
    });
}

#[test]
fn accept_deadline() {
    let _w = watchdog::start("accept_deadline", watchdog::LIMIT);
    rt().block_on(|| {
        let (ln, _) = listener();
        ln.set_deadline(Some(Instant::now() + Duration::from_millis(15)))
            .unwrap();
        assert!(is_deadline_exceeded(&ln.accept().unwrap_err()));
    });
}

#[test]
fn udp_read_from_write_to() {
    let _w = watchdog::start("udp_read_from_write_to", watchdog::LIMIT);
    rt().block_on(|| {
        let (a, a_addr) = udp();
        let (b, b_addr) = udp();
        let a = Arc::new(a);
        let reader = {
            let a = a.clone();
            gort_runtime::spawn(move || {
                let mut buf = [0u8; 64];
                let (n, from) = a.read_from(&mut buf).unwrap();
                (buf[..n].to_vec(), from.unwrap())
            })
        };
        wait::parked(WaitReason::IoWait, 1);
        assert_eq!(b.write_to(b"datagram", &a_addr).unwrap(), 8);
        let (got, from) = reader.join().unwrap();
        assert_eq!(got, b"datagram");
        assert_eq!(SocketAddrV4::try_from(from).unwrap(), b_addr);
        // A datagram socket: a zero-length datagram is a read of 0.
        b.write_to(b"", &a_addr).unwrap();
        assert_eq!(a.read_from(&mut [0u8; 8]).unwrap().0, 0);
        a.set_read_deadline(Some(Instant::now() + Duration::from_millis(10)))
            .unwrap();
        assert!(is_deadline_exceeded(
            &a.read_from(&mut [0u8; 8]).unwrap_err()
        ));
    });
}

#[test]
fn write_msg_passes_a_descriptor_to_read_msg() {
    let _w = watchdog::start("write_msg_passes_a_descriptor_to_read_msg", watchdog::LIMIT);
    rt().block_on(|| {
        let (x, y) = rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        let x = FD::new(x, FdKind::Stream, true);
        let y = Arc::new(FD::new(y, FdKind::Stream, true));
        let (pr, pw) = std::io::pipe().unwrap();
        let receiver = {
            let y = y.clone();
            gort_runtime::spawn(move || {
                let mut data = [0u8; 4];
                let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
                let mut control = RecvAncillaryBuffer::new(&mut space);
                let msg = y
                    .read_msg(
                        &mut [IoSliceMut::new(&mut data)],
                        &mut control,
                        RecvFlags::CMSG_CLOEXEC,
                    )
                    .unwrap();
                let mut fds = Vec::new();
                for m in control.drain() {
                    if let RecvAncillaryMessage::ScmRights(rights) = m {
                        fds.extend(rights);
                    }
                }
                (msg.bytes, data, fds)
            })
        };
        wait::parked(WaitReason::IoWait, 1);
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let fds = [std::os::fd::AsFd::as_fd(&pw)];
        assert!(control.push(SendAncillaryMessage::ScmRights(&fds)));
        let n = x
            .write_msg(&[IoSlice::new(b"fd!!")], &mut control, None)
            .unwrap();
        assert_eq!(n, 4);
        let (bytes, data, mut fds) = receiver.join().unwrap();
        assert_eq!((bytes, &data), (4, b"fd!!"));
        assert_eq!(fds.len(), 1);
        // The received descriptor is the pipe's write end.
        drop(pw);
        let w = std::fs::File::from(fds.pop().unwrap());
        (&w).write_all(b"via").unwrap();
        drop(w);
        let mut got = String::new();
        (&pr).read_to_string(&mut got).unwrap();
        assert_eq!(got, "via");
    });
}

#[test]
fn raw_read_waits_for_readiness() {
    let _w = watchdog::start("raw_read_waits_for_readiness", watchdog::LIMIT);
    rt().block_on(|| {
        let (ln, addr) = listener();
        let c = dial(addr);
        let (s, _) = ln.accept().unwrap();
        let s = FD::new(s, FdKind::Tcp, true);
        let writer = gort_runtime::spawn(move || {
            // raw_read has found nothing and waits for readiness.
            wait::parked(WaitReason::IoWait, 1);
            (&c).write_all(b"raw").unwrap();
            c
        });
        let mut calls = 0;
        let mut got = Vec::new();
        s.raw_read(|fd| {
            calls += 1;
            let mut b = [0u8; 8];
            match rustix::io::read(fd, &mut b) {
                Ok(n) => {
                    got.extend_from_slice(&b[..n]);
                    true
                }
                Err(rustix::io::Errno::AGAIN) => false,
                Err(e) => panic!("{e}"),
            }
        })
        .unwrap();
        assert_eq!(got, b"raw");
        assert!(calls >= 1);
        let _c = writer.join().unwrap();
        assert!(
            s.raw_control(|fd| rustix::net::getsockname(fd).is_ok())
                .unwrap()
        );
    });
}
