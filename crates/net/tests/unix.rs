//! Unix domain sockets: streams over paths and abstract names, datagrams,
//! seqpackets, descriptor passing, socket-file cleanup and Go's error texts.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use gort::net::{
    self, PacketConn, UnixAddr, UnixConn, UnixListener, dial_unix, listen_unix, listen_unixgram,
};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

/// A fresh socket path in the temp directory (not created).
fn temp_path(tag: &str) -> PathBuf {
    // Relaxed: only uniqueness within this process matters.
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("gort-{tag}-{}-{n}.sock", std::process::id()))
}

/// A fresh abstract name.
fn abstract_name() -> String {
    // Relaxed: only uniqueness within this process matters.
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("@gort-test-{}-{n}", std::process::id())
}

fn addr(net: &str, name: impl Into<String>) -> UnixAddr {
    UnixAddr::new(net, name).unwrap()
}

/// Serves one connection: echoes everything in upper case until EOF, then
/// returns the accepted conn's local address.
fn echo_upper(ln: Arc<UnixListener>) -> gort::JoinHandle<UnixAddr> {
    gort::spawn(move || {
        let c = ln.accept().unwrap();
        let mut buf = [0u8; 64];
        // Bounded: the client sends five bytes, then closes its write side.
        for _ in 0..16 {
            let n = c.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            c.write_all(&buf[..n].to_ascii_uppercase()).unwrap();
        }
        c.local_addr()
    })
}

fn exchange(c: &UnixConn) {
    c.write_all(b"hello").unwrap();
    let mut buf = [0u8; 5];
    let mut r = c;
    r.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HELLO");
    c.close_write().unwrap();
}

/// Go's TestUnixConnLocalAndRemoteNames and TestUnixUnlink, in part: a
/// stream over a path, whose file the listener removes on close.
#[test]
fn stream_over_a_path_and_unlink_on_close() {
    let _w = watchdog::start("stream_over_a_path_and_unlink_on_close", watchdog::LIMIT);
    gort::run(|| {
        let path = temp_path("stream");
        let name = path.to_str().unwrap().to_string();
        let ln = listen_unix("unix", &addr("unix", name.clone())).unwrap();
        assert_eq!(ln.addr(), addr("unix", name.clone()));
        assert!(path.exists(), "listening creates the socket file");
        // Keep a handle to close the listener while the server runs.
        let ln = Arc::new(ln);
        let server = echo_upper(ln.clone());
        let c = dial_unix("unix", None, &addr("unix", name.clone())).unwrap();
        assert_eq!(c.remote_addr(), Some(addr("unix", name.clone())));
        exchange(&c);
        assert_eq!(server.join().unwrap(), addr("unix", name.clone()));
        ln.close().unwrap();
        assert!(!path.exists(), "closing the listener removes the file");
        // A second close reports the closed listener; no second unlink.
        let err = ln.close().unwrap_err();
        assert!(net::is_closed(&err), "{err}");
    });
}

#[test]
fn dropping_a_listener_removes_its_file_unless_told_not_to() {
    let _w = watchdog::start(
        "dropping_a_listener_removes_its_file_unless_told_not_to",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let path = temp_path("drop");
        let a = addr("unix", path.to_str().unwrap());
        drop(listen_unix("unix", &a).unwrap());
        assert!(!path.exists());

        let mut ln = listen_unix("unix", &a).unwrap();
        ln.set_unlink_on_close(false);
        ln.close().unwrap();
        assert!(path.exists(), "set_unlink_on_close(false) keeps the file");
        std::fs::remove_file(&path).unwrap();
    });
}

#[test]
fn stream_over_an_abstract_name() {
    let _w = watchdog::start("stream_over_an_abstract_name", watchdog::LIMIT);
    gort::run(|| {
        let name = abstract_name();
        let ln = listen_unix("unix", &addr("unix", name.clone())).unwrap();
        assert_eq!(ln.addr().name, name);
        let server = echo_upper(Arc::new(ln));
        let c = dial_unix("unix", None, &addr("unix", name.clone())).unwrap();
        exchange(&c);
        assert_eq!(server.join().unwrap().name, name);
    });
}

/// Go's TestUnixgramConnLocalAndRemoteNames, in part: datagrams between
/// two bound sockets, each seeing the other's name.
#[test]
fn unixgram_round_trip_reports_the_sender() {
    let _w = watchdog::start("unixgram_round_trip_reports_the_sender", watchdog::LIMIT);
    gort::run(|| {
        let (pa, pb) = (temp_path("gram-a"), temp_path("gram-b"));
        let a = addr("unixgram", pa.to_str().unwrap());
        let b = addr("unixgram", pb.to_str().unwrap());
        let ca = listen_unixgram("unixgram", &a).unwrap();
        let cb = listen_unixgram("unixgram", &b).unwrap();
        assert_eq!(ca.local_addr(), a.clone());
        assert_eq!(ca.remote_addr(), None);

        assert_eq!(ca.write_to_unix(b"one", &b).unwrap(), 3);
        let mut buf = [0u8; 16];
        let (n, from) = cb.read_from_unix(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], Some(a.clone())));

        // The same through PacketConn.
        let pc: &dyn PacketConn = &cb;
        pc.write_to(b"two", &a).unwrap();
        let (n, from) = PacketConn::read_from(&ca, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");
        assert_eq!(from.unwrap().to_string(), b.name);

        // A connected unixgram socket from an unnamed one: no sender name.
        let d = dial_unix("unixgram", None, &a).unwrap();
        d.write(b"anon").unwrap();
        let (n, from) = ca.read_from_unix(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"anon"[..], None));
        let err = d.write_to_unix(b"x", &a).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("use of WriteTo with pre-connected connection"),
            "{err}"
        );
        // An address of another network is EAFNOSUPPORT, as in Go.
        let err = ca.write_to_unix(b"x", &addr("unix", "/x")).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("address family not supported by protocol"),
            "{err}"
        );
        drop((ca, cb));
        let _ = std::fs::remove_file(&pa);
        let _ = std::fs::remove_file(&pb);
    });
}

#[test]
fn unixgram_read_deadline_reads_like_go() {
    let _w = watchdog::start("unixgram_read_deadline_reads_like_go", watchdog::LIMIT);
    gort::run(|| {
        let name = abstract_name();
        let c = listen_unixgram("unixgram", &addr("unixgram", name.clone())).unwrap();
        c.set_read_deadline(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap();
        let mut buf = [0u8; 4];
        let err = c.read_from_unix(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            err.to_string(),
            format!("read unixgram {name}: i/o timeout")
        );
    });
}

/// A seqpacket socket keeps message boundaries: two writes are two reads,
/// and a short buffer truncates one message without eating the next.
#[test]
fn unixpacket_keeps_message_boundaries() {
    let _w = watchdog::start("unixpacket_keeps_message_boundaries", watchdog::LIMIT);
    gort::run(|| {
        let name = abstract_name();
        let ln = listen_unix("unixpacket", &addr("unixpacket", name.clone())).unwrap();
        let server = gort::spawn(move || {
            let c = ln.accept().unwrap();
            c.write(b"first").unwrap();
            c.write(b"second message").unwrap();
            c.write(b"3").unwrap();
            let mut buf = [0u8; 8];
            c.read(&mut buf).unwrap()
        });
        let c = dial_unix("unixpacket", None, &addr("unixpacket", name)).unwrap();
        let mut buf = [0u8; 32];
        assert_eq!(c.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"first");
        let mut small = [0u8; 6];
        assert_eq!(c.read(&mut small).unwrap(), 6);
        assert_eq!(&small, b"second");
        assert_eq!(c.read(&mut buf).unwrap(), 1);
        assert_eq!(&buf[..1], b"3");
        c.write(b"bye").unwrap();
        assert_eq!(server.join().unwrap(), 3);
    });
}

/// Sends a pipe's write end over a stream; the receiver writes through it
/// and the bytes come out of the pipe's read end here.
#[test]
fn passes_a_descriptor() {
    let _w = watchdog::start("passes_a_descriptor", watchdog::LIMIT);
    gort::run(|| {
        let name = abstract_name();
        let ln = listen_unix("unix", &addr("unix", name.clone())).unwrap();
        let server = gort::spawn(move || {
            let c = ln.accept().unwrap();
            let mut buf = [0u8; 16];
            let mut fds: Vec<OwnedFd> = Vec::new();
            let (n, _) = c.read_msg_unix(&mut buf, &mut fds).unwrap();
            assert_eq!(&buf[..n], b"take this");
            assert_eq!(fds.len(), 1);
            let flags = rustix::io::fcntl_getfd(&fds[0]).unwrap();
            assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
            let mut w = std::fs::File::from(fds.pop().unwrap());
            w.write_all(b"through the pipe").unwrap();
            drop(w);

            // Descriptors alone: Go's one-byte carrier, invisible to both.
            let (n, _) = c.read_msg_unix(&mut [], &mut fds).unwrap();
            assert_eq!((n, fds.len()), (0, 2));
        });
        let c = dial_unix("unix", None, &addr("unix", name)).unwrap();
        let (r, w) = rustix::pipe::pipe().unwrap();
        let n = c.write_msg_unix(b"take this", &[w.as_fd()], None).unwrap();
        assert_eq!(n, 9);
        drop(w); // the receiver holds the only write end now
        // The pipe is not on the netpoller: read it as a blocking call.
        // Reading to end of file also proves the receiver's copy was the
        // last write end.
        let got = gort::blocking(move || {
            let mut got = String::new();
            std::fs::File::from(r).read_to_string(&mut got).map(|_| got)
        })
        .unwrap();
        assert_eq!(got, "through the pipe");

        let (r2, w2) = rustix::pipe::pipe().unwrap();
        let n = c
            .write_msg_unix(&[], &[r2.as_fd(), w2.as_fd()], None)
            .unwrap();
        assert_eq!(n, 0);
        server.join().unwrap();
    });
}

#[test]
fn dial_a_missing_path_reads_like_go() {
    let _w = watchdog::start("dial_a_missing_path_reads_like_go", watchdog::LIMIT);
    gort::run(|| {
        let path = temp_path("missing");
        let name = path.to_str().unwrap().to_string();
        let err = dial_unix("unix", None, &addr("unix", name.clone())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            format!("dial unix {name}: connect: no such file or directory")
        );
        let op = net::op_error(&err).expect("an OpError inside");
        assert_eq!((op.op.as_str(), op.net.as_str()), ("dial", "unix"));
    });
}

#[test]
fn other_errors_read_like_go() {
    let _w = watchdog::start("other_errors_read_like_go", watchdog::LIMIT);
    gort::run(|| {
        let a = addr("unix", "/tmp/x.sock");
        let err = dial_unix("tcp", None, &a).unwrap_err();
        assert_eq!(err.to_string(), "dial tcp /tmp/x.sock: unknown network tcp");
        let err = listen_unix("unixgram", &a).unwrap_err();
        assert_eq!(
            err.to_string(),
            "listen unixgram /tmp/x.sock: unknown network unixgram"
        );
        let err = listen_unixgram("unix", &a).unwrap_err();
        assert_eq!(
            err.to_string(),
            "listen unix /tmp/x.sock: unknown network unix"
        );
        let err = dial_unix("unix", None, &addr("unix", "")).unwrap_err();
        assert_eq!(err.to_string(), "dial unix : missing address");

        // Listening on a name in use.
        let name = abstract_name();
        let _ln = listen_unix("unix", &addr("unix", name.clone())).unwrap();
        let err = listen_unix("unix", &addr("unix", name.clone())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            err.to_string(),
            format!("listen unix {name}: bind: address already in use")
        );
    });
}

/// Go's TestUnixConnReadEOF: the peer's close is end of file, and a
/// close from another goroutine wakes a blocked accept.
#[test]
fn eof_and_close_wake_ups() {
    let _w = watchdog::start("eof_and_close_wake_ups", watchdog::LIMIT);
    gort::run(|| {
        let name = abstract_name();
        let ln = Arc::new(listen_unix("unix", &addr("unix", name.clone())).unwrap());
        let server = {
            let ln = ln.clone();
            gort::spawn(move || {
                let c = ln.accept().unwrap();
                drop(c);
                ln.accept().map(|_| ())
            })
        };
        let c = dial_unix("unix", None, &addr("unix", name)).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(c.read(&mut buf).unwrap(), 0, "the peer's close is EOF");
        // The server is blocked in its second accept.
        wait::parked(WaitReason::IoWait, 1);
        ln.close().unwrap();
        let err = server.join().unwrap().unwrap_err();
        assert!(net::is_closed(&err), "{err}");
    });
}
