//! Faults: what a server meets when peers misbehave or goroutines race each
//! other over one socket. A peer that resets mid-write, a close that lands
//! while another goroutine is parked in accept, connect, read or write, a
//! deadline that expires just as data arrives, half-closed conns, and a
//! slowloris peer. Each ends in one of Go's errors, promptly, without
//! killing the process or losing data.
//!
//! "Promptly" is checked by [`within`], a hang detector whose limit is far
//! above anything these operations take; no test asserts a duration.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use gort::net::{
    self, Dialer, TcpAddr, TcpConn, UnixAddr, UnixConn, dial_tcp, dial_unix, listen_tcp,
    listen_unix, resolve_tcp_addr,
};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

/// How long any single step may stay blocked before the test calls it hung.
const HANG: Duration = Duration::from_secs(10);

fn local(s: &str) -> TcpAddr {
    resolve_tcp_addr("tcp", s).unwrap()
}

/// A connected TCP pair on 127.0.0.1: (client, server side).
fn tcp_pair() -> (TcpConn, TcpConn) {
    let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
    let c = dial_tcp("tcp", None, &ln.addr()).unwrap();
    let s = ln.accept().unwrap();
    (c, s)
}

/// A fresh abstract Unix name of network `net`.
fn abstract_addr(net: &str) -> UnixAddr {
    // Relaxed: only uniqueness within this process matters.
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    UnixAddr::new(net, format!("@gort-faults-{}-{n}", std::process::id())).unwrap()
}

/// A connected Unix pair of network `net` (`"unix"` or `"unixpacket"`):
/// (client, server side).
fn unix_pair(net: &str) -> (UnixConn, UnixConn) {
    let a = abstract_addr(net);
    let ln = listen_unix(net, &a).unwrap();
    let c = dial_unix(net, None, &a).unwrap();
    let s = ln.accept().unwrap();
    (c, s)
}

/// `op tcp <local>-><remote>: `, how Go's errors on a conn begin.
fn prefix(op: &str, c: &TcpConn) -> String {
    let remote = c.remote_addr().expect("a connected conn");
    format!("{op} tcp {}->{remote}: ", c.local_addr())
}

/// As [`prefix`] for a Unix conn of network `net`, from the names the conn
/// reports (a dialed socket has none of its own).
fn unix_prefix(op: &str, net: &str, c: &UnixConn) -> String {
    let remote = c.remote_addr().map(|a| a.to_string()).unwrap_or_default();
    format!("{op} {net} {}->{remote}: ", c.local_addr())
}

/// Resets `c` (`SO_LINGER` 0, then close): the peer gets an RST.
fn reset(c: TcpConn) {
    c.set_linger(Some(Duration::ZERO)).unwrap();
    c.close().unwrap();
}

/// Runs `f` in a goroutine and returns what it returns, or fails the test
/// if it is still running after [`HANG`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = gort::chan::bounded(1);
    gort::spawn(move || {
        let _ = tx.send(f());
    });
    gort::select! {
        recv(rx) -> v => v.unwrap_or_else(|| panic!("{what}: the goroutine panicked")),
        recv(gort::time::after(HANG)) -> _ => panic!("{what}: still blocked after {HANG:?}"),
    }
}

/// A small xorshift generator: the races below want varied timings, not
/// good randomness.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

// ---------------------------------------------------------------------------
// A peer that resets, and SIGPIPE.

/// Set in the child process of [`writes_to_a_dead_peer_fail_without_sigpipe`].
const SIGPIPE_CHILD_ENV: &str = "GORT_FAULTS_SIGPIPE_CHILD";

/// Writing to a peer that reset the connection, mid-write or before,
/// fails with "connection reset by peer" or "broken pipe" and the process
/// lives on. The kernel also raises SIGPIPE with every `EPIPE` unless the
/// call asks it not to; Rust's `main` ignores SIGPIPE, but a library cannot
/// count on its host doing that, so the child process puts SIGPIPE back to
/// its default action (death) and then walks every way gort writes to a
/// socket: write, writev, splice, sendfile, sendmsg; TCP, Unix streams and
/// seqpackets.
#[test]
fn writes_to_a_dead_peer_fail_without_sigpipe() {
    const TEST: &str = "writes_to_a_dead_peer_fail_without_sigpipe";
    let _w = watchdog::start(TEST, watchdog::LIMIT);
    if std::env::var_os(SIGPIPE_CHILD_ENV).is_some() {
        return sigpipe_child();
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(SIGPIPE_CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    // The child's own hang detectors end it well before this.
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > 6 * HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child hung:\n{}", reader.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stderr = reader.join().unwrap();
    let last = stderr
        .lines()
        .rfind(|l| l.starts_with("step: "))
        .unwrap_or("none");
    assert_ne!(
        status.signal(),
        Some(libc::SIGPIPE),
        "the child died of SIGPIPE in {last}\n{stderr}"
    );
    assert!(status.success(), "child: {status}\n{stderr}");
    assert!(stderr.contains("step: done"), "{stderr}");
}

/// The child: SIGPIPE at its default action, then writes of every kind to
/// peers that are gone.
fn sigpipe_child() {
    // SAFETY: SIG_DFL installs no handler; nothing else in this process
    // touches SIGPIPE.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR);
    gort::run(|| {
        let step = |s: &str| eprintln!("step: {s}");

        step("reset in the middle of a blocked write");
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        let writer = {
            let c = c.clone();
            gort::spawn(move || c.write_all(&vec![5u8; 16 << 20]))
        };
        // Read a little so the write is under way, then reset.
        (&s).read_exact(&mut [0u8; 4096]).unwrap();
        reset(s);
        let err = within("the write", move || writer.join().unwrap()).unwrap_err();
        let text = err.to_string();
        assert!(
            text == format!("{}write: connection reset by peer", prefix("write", &c))
                || text == format!("{}write: broken pipe", prefix("write", &c)),
            "{text}"
        );
        // Whichever of the two came first, what follows is EPIPE.
        let err = c.write(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(
            err.to_string(),
            format!("{}write: broken pipe", prefix("write", &c))
        );

        step("write after a reset the read reported");
        let (c, s) = tcp_pair();
        reset(s);
        let err = c.read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(
            err.to_string(),
            format!("{}read: connection reset by peer", prefix("read", &c))
        );
        let err = c.write(b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}write: broken pipe", prefix("write", &c))
        );

        step("writev");
        let mut bufs = net::Buffers(vec![b"a".to_vec(), b"b".to_vec()]);
        let err = c.write_buffers(&mut bufs).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}writev: broken pipe", prefix("writev", &c))
        );

        step("splice");
        let (feed, src) = tcp_pair();
        feed.write_all(&[7u8; 4096]).unwrap();
        feed.close_write().unwrap();
        let err = c.read_from_tcp(&src).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}splice: broken pipe", prefix("readfrom", &c))
        );

        step("sendfile");
        let path = std::env::temp_dir().join(format!("gort-faults-{}.bin", std::process::id()));
        std::fs::write(&path, [1u8; 4096]).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = c.read_from_file(&f).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}sendfile: broken pipe", prefix("readfrom", &c))
        );

        step("write after our own close_write");
        let (c, _s) = tcp_pair();
        c.close_write().unwrap();
        let err = c.write(b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}write: broken pipe", prefix("write", &c))
        );

        for net in ["unix", "unixpacket"] {
            step(&format!("{net}: write and sendmsg after the peer closed"));
            let (c, s) = unix_pair(net);
            drop(s);
            let err = c.write(b"x").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{}write: broken pipe", unix_prefix("write", net, &c))
            );
            let err = c.write_msg_unix(b"x", &[], None).unwrap_err();
            assert!(err.to_string().ends_with(": broken pipe"), "{err}");
        }

        step("done");
    });
}

// ---------------------------------------------------------------------------
// Close from another goroutine.

/// Four goroutines parked in accept on one listener (one in `accept(2)`'s
/// wait, three queued on the fdMutex behind it): a close wakes them all
/// with Go's closed error, TCP and Unix alike.
#[test]
fn close_wakes_every_goroutine_parked_in_accept() {
    let _w = watchdog::start(
        "close_wakes_every_goroutine_parked_in_accept",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let tcp = Arc::new(listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap());
        let ua = abstract_addr("unix");
        let unix = Arc::new(listen_unix("unix", &ua).unwrap());
        let mut waiting = Vec::new();
        for _ in 0..4 {
            let l = tcp.clone();
            waiting.push(gort::spawn(move || l.accept().map(drop)));
            let l = unix.clone();
            waiting.push(gort::spawn(move || l.accept().map(drop)));
        }
        // On each listener, one in accept(2)'s wait and three on the
        // fdMutex's semaphore.
        wait::parked(WaitReason::IoWait, 2);
        wait::parked(WaitReason::Semacquire, 6);
        tcp.close().unwrap();
        unix.close().unwrap();
        let want_tcp = format!(
            "accept tcp {}: use of closed network connection",
            tcp.addr()
        );
        let want_unix = format!("accept unix {ua}: use of closed network connection");
        for (i, h) in waiting.into_iter().enumerate() {
            let err = within("accept", move || h.join().unwrap()).unwrap_err();
            assert!(net::is_closed(&err), "{err}");
            let want = if i % 2 == 0 { &want_tcp } else { &want_unix };
            assert_eq!(&err.to_string(), want);
        }
    });
}

/// Sixteen TCP conns and a Unix one, each with a goroutine parked in read:
/// closing each conn wakes its reader with `read tcp <l>-><r>: use of
/// closed network connection`.
#[test]
fn close_wakes_a_blocked_read() {
    let _w = watchdog::start("close_wakes_a_blocked_read", watchdog::LIMIT);
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let mut peers = Vec::new();
        let mut readers = Vec::new();
        for _ in 0..16 {
            let c = Arc::new(dial_tcp("tcp", None, &ln.addr()).unwrap());
            peers.push(ln.accept().unwrap());
            let r = c.clone();
            readers.push((c, gort::spawn(move || r.read(&mut [0u8; 64]))));
        }
        let (u, _upeer) = unix_pair("unix");
        let u = Arc::new(u);
        let ureader = {
            let u = u.clone();
            gort::spawn(move || u.read(&mut [0u8; 64]))
        };
        wait::parked(WaitReason::IoWait, 17);
        for (c, h) in readers {
            c.close().unwrap();
            let err = within("read", move || h.join().unwrap()).unwrap_err();
            assert!(net::is_closed(&err), "{err}");
            assert_eq!(
                err.to_string(),
                format!("{}use of closed network connection", prefix("read", &c))
            );
        }
        u.close().unwrap();
        let err = within("unix read", move || ureader.join().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}use of closed network connection",
                unix_prefix("read", "unix", &u)
            )
        );
    });
}

/// A goroutine parked in a write the peer never reads (TCP and Unix): a
/// close wakes it with the closed error, and the peer sees the stream
/// end.
#[test]
fn close_wakes_a_blocked_write() {
    let _w = watchdog::start("close_wakes_a_blocked_write", watchdog::LIMIT);
    gort::run(|| {
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        let writer = {
            let c = c.clone();
            gort::spawn(move || c.write_all(&vec![1u8; 32 << 20]))
        };
        let (u, upeer) = unix_pair("unix");
        let u = Arc::new(u);
        let uwriter = {
            let u = u.clone();
            gort::spawn(move || u.write_all(&vec![1u8; 32 << 20]))
        };
        // Both have filled their socket's buffers and wait.
        wait::parked(WaitReason::IoWait, 2);
        c.close().unwrap();
        u.close().unwrap();
        let err = within("write", move || writer.join().unwrap()).unwrap_err();
        assert!(net::is_closed(&err), "{err}");
        assert_eq!(
            err.to_string(),
            format!("{}use of closed network connection", prefix("write", &c))
        );
        let err = within("unix write", move || uwriter.join().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}use of closed network connection",
                unix_prefix("write", "unix", &u)
            )
        );
        // The peers drain what was sent and then read end of file.
        let drained = within("drain", move || {
            s.set_read_deadline(Some(Instant::now() + HANG)).unwrap();
            upeer
                .set_read_deadline(Some(Instant::now() + HANG))
                .unwrap();
            let a = io::copy(&mut &s, &mut io::sink());
            let b = io::copy(&mut &upeer, &mut io::sink());
            (a.map_err(|e| e.to_string()), b.map_err(|e| e.to_string()))
        });
        assert!(matches!(drained, (Ok(_), Ok(_))), "{drained:?}");
    });
}

/// Close during connect. A conn being dialed is not the caller's to close
/// yet (a dial returns it only once connected), so Go's way to stop a
/// connect is to cancel its context: here cancels race 200 dials to a
/// listener that accepts at once, so some land before the handshake ends,
/// some during, some after. Every dial ends: connected, or failed with
/// `dial tcp <addr>: operation was canceled`.
#[test]
fn cancel_races_connects_in_flight() {
    let _w = watchdog::start("cancel_races_connects_in_flight", watchdog::LIMIT);
    gort::run(|| {
        let ln = Arc::new(listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap());
        let addr = ln.addr().to_string();
        let acceptor = {
            let ln = ln.clone();
            gort::spawn(move || {
                // Until the close below.
                while ln.accept().is_ok() {}
            })
        };
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut connected, mut canceled) = (0u32, 0u32);
        for _ in 0..200 {
            let (ctx, cancel) = gort::context::with_cancel(&gort::context::background());
            let delay = Duration::from_micros(rng.below(300));
            let canceller = gort::spawn(move || {
                gort::time::sleep(delay);
                cancel.cancel();
            });
            let a = addr.clone();
            match within("dial", move || {
                Dialer::default().dial_context(&ctx, "tcp", &a)
            }) {
                Ok(c) => {
                    connected += 1;
                    c.close().unwrap();
                }
                Err(e) => {
                    canceled += 1;
                    assert_eq!(
                        e.to_string(),
                        format!("dial tcp {addr}: operation was canceled")
                    );
                }
            }
            canceller.join().unwrap();
        }
        ln.close().unwrap();
        within("acceptor", move || acceptor.join().unwrap());
        eprintln!("cancel race: {connected} connected, {canceled} canceled");
    });
}

/// Closing a listener resets the connections still waiting in its accept
/// queue: their dials had succeeded, and their first read reports the
/// reset as Go does.
#[test]
fn closing_a_listener_resets_the_conns_it_never_accepted() {
    let _w = watchdog::start(
        "closing_a_listener_resets_the_conns_it_never_accepted",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let queued: Vec<_> = (0..8)
            .map(|_| dial_tcp("tcp", None, &ln.addr()).unwrap())
            .collect();
        ln.close().unwrap();
        for c in queued {
            c.set_read_deadline(Some(Instant::now() + HANG)).unwrap();
            let err = c.read(&mut [0u8; 8]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
            assert_eq!(
                err.to_string(),
                format!("{}read: connection reset by peer", prefix("read", &c))
            );
        }
    });
}

// ---------------------------------------------------------------------------
// Deadlines racing data.

/// A read deadline and a byte race 400 times, both due within the same
/// 600 µs: the read returns the byte or `i/o timeout`, and after a timeout
/// the byte is still there for the next read. Nothing is lost or
/// duplicated.
#[test]
fn a_deadline_racing_arriving_data_loses_nothing() {
    let _w = watchdog::start(
        "a_deadline_racing_arriving_data_loses_nothing",
        watchdog::LIMIT,
    );
    gort::run(|| {
        const ROUNDS: u32 = 400;
        let (c, s) = tcp_pair();
        let (go_tx, go_rx) = gort::chan::bounded::<Duration>(0);
        let sender = gort::spawn(move || {
            for i in 0..ROUNDS {
                let Some(delay) = go_rx.recv() else { return };
                gort::time::sleep(delay);
                s.write_all(&[i as u8]).unwrap();
            }
        });
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut on_time, mut late) = (0u32, 0u32);
        let want_timeout = format!("{}i/o timeout", prefix("read", &c));
        for i in 0..ROUNDS {
            let mut b = [0u8; 1];
            go_tx.send(Duration::from_micros(rng.below(600))).unwrap();
            c.set_read_deadline(Some(Instant::now() + Duration::from_micros(rng.below(600))))
                .unwrap();
            match c.read(&mut b) {
                Ok(1) => on_time += 1,
                Ok(n) => panic!("round {i}: read {n} bytes"),
                Err(e) => {
                    assert!(net::is_timeout(&e), "round {i}: {e}");
                    assert_eq!(e.to_string(), want_timeout);
                    late += 1;
                    c.set_read_deadline(Some(Instant::now() + HANG)).unwrap();
                    assert_eq!(c.read(&mut b).unwrap(), 1, "round {i}");
                }
            }
            assert_eq!(b[0], i as u8, "round {i}: a byte lost or repeated");
        }
        sender.join().unwrap();
        eprintln!("deadline race: {on_time} on time, {late} after a timeout");
    });
}

/// Go's TestReadWriteDeadlineRace, in spirit: one goroutine moves the read
/// and write deadlines of a conn about (just passed, soon, none) while
/// others stream 4 MiB through it both ways. Timeouts are retried; every
/// byte arrives once, in order.
#[test]
fn deadlines_moved_by_another_goroutine_lose_nothing() {
    let _w = watchdog::start(
        "deadlines_moved_by_another_goroutine_lose_nothing",
        watchdog::LIMIT,
    );
    gort::run(|| {
        const TOTAL: usize = 4 << 20;
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        let pattern = |i: usize| (i % 251) as u8;
        // The peer echoes everything back.
        let echo = gort::spawn(move || {
            s.set_deadline(Some(Instant::now() + HANG)).unwrap();
            io::copy(&mut &s, &mut &s).map_err(|e| e.to_string())
        });
        let writer = {
            let c = c.clone();
            gort::spawn(move || {
                let data: Vec<u8> = (0..TOTAL).map(pattern).collect();
                let mut sent = 0;
                let start = Instant::now();
                while sent < TOTAL {
                    assert!(start.elapsed() < HANG, "writer stuck at {sent}");
                    let end = (sent + 8192).min(TOTAL);
                    match c.write(&data[sent..end]) {
                        Ok(n) => sent += n,
                        // A passed deadline fails at once: let the mover
                        // run (scheduling is cooperative).
                        Err(e) if net::is_timeout(&e) => gort::yield_now(),
                        Err(e) => panic!("write: {e}"),
                    }
                }
                c.close_write().unwrap();
            })
        };
        let mover = {
            let c = c.clone();
            gort::spawn(move || {
                let mut rng = Rng(0xdead_beef_cafe_f00d);
                for _ in 0..3000 {
                    let t = match rng.below(3) {
                        0 => Some(Instant::now()),
                        1 => Some(Instant::now() + Duration::from_micros(rng.below(200))),
                        _ => None,
                    };
                    c.set_read_deadline(t).unwrap();
                    c.set_write_deadline(t).unwrap();
                    gort::time::sleep(Duration::from_micros(50));
                }
                c.set_deadline(None).unwrap();
            })
        };
        let mut got = 0usize;
        let mut buf = vec![0u8; 16384];
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < HANG, "reader stuck at {got}");
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    for (k, &b) in buf[..n].iter().enumerate() {
                        assert_eq!(b, pattern(got + k), "byte {}", got + k);
                    }
                    got += n;
                }
                Err(e) if net::is_timeout(&e) => gort::yield_now(),
                Err(e) => panic!("read: {e}"),
            }
        }
        assert_eq!(got, TOTAL);
        writer.join().unwrap();
        mover.join().unwrap();
        assert_eq!(echo.join().unwrap(), Ok(TOTAL as u64));
    });
}

// ---------------------------------------------------------------------------
// Half-close.

/// `close_write` on TCP and Unix streams: the peer reads what was sent and
/// then end of file, and still answers; a write after it is `broken pipe`.
#[test]
fn close_write_gives_the_peer_eof_and_leaves_the_other_direction() {
    let _w = watchdog::start(
        "close_write_gives_the_peer_eof_and_leaves_the_other_direction",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let (c, s) = tcp_pair();
        c.write_all(b"request").unwrap();
        c.close_write().unwrap();
        let mut got = Vec::new();
        (&s).read_to_end(&mut got).unwrap();
        assert_eq!(got, b"request", "the peer reads the data, then EOF");
        s.write_all(b"response").unwrap();
        s.close().unwrap();
        let mut back = Vec::new();
        (&c).read_to_end(&mut back).unwrap();
        assert_eq!(back, b"response");
        let err = c.write(b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}write: broken pipe", prefix("write", &c))
        );

        let (c, s) = unix_pair("unix");
        c.write_all(b"request").unwrap();
        c.close_write().unwrap();
        let mut got = Vec::new();
        (&s).read_to_end(&mut got).unwrap();
        assert_eq!(got, b"request");
        s.write_all(b"response").unwrap();
        drop(s);
        let mut back = Vec::new();
        (&c).read_to_end(&mut back).unwrap();
        assert_eq!(back, b"response");
    });
}

/// `close_read` on TCP and Unix streams (Go's TestCloseRead): a goroutine
/// parked in read wakes with end of file, later reads are end of file too,
/// and the conn still writes to its peer.
#[test]
fn close_read_ends_our_reads_and_leaves_our_writes() {
    let _w = watchdog::start(
        "close_read_ends_our_reads_and_leaves_our_writes",
        watchdog::LIMIT,
    );
    gort::run(|| {
        fn check<C: Send + Sync + 'static>(
            c: Arc<C>,
            peer: impl Read + Send + 'static,
            read: fn(&C, &mut [u8]) -> io::Result<usize>,
            close_read: fn(&C) -> io::Result<()>,
            write_all: fn(&C, &[u8]) -> io::Result<()>,
            close: fn(&C) -> io::Result<()>,
        ) {
            let reader = {
                let c = c.clone();
                gort::spawn(move || read(&c, &mut [0u8; 16]))
            };
            wait::parked(WaitReason::IoWait, 1);
            close_read(&c).unwrap();
            let n = within("read after close_read", move || reader.join().unwrap());
            assert_eq!(n.unwrap(), 0, "a parked read wakes with end of file");
            assert_eq!(read(&c, &mut [0u8; 16]).unwrap(), 0);
            write_all(&c, b"still writing").unwrap();
            close(&c).unwrap();
            let mut peer = peer;
            let mut got = Vec::new();
            peer.read_to_end(&mut got).unwrap();
            assert_eq!(got, b"still writing");
        }
        let (c, s) = tcp_pair();
        check(
            Arc::new(c),
            s,
            TcpConn::read,
            TcpConn::close_read,
            |c, b| c.write_all(b),
            TcpConn::close,
        );
        let (c, s) = unix_pair("unix");
        check(
            Arc::new(c),
            s,
            UnixConn::read,
            UnixConn::close_read,
            |c, b| c.write_all(b),
            UnixConn::close,
        );
    });
}

// ---------------------------------------------------------------------------
// Slowloris.

/// Slowloris: eight peers each dribble a request line at one byte per
/// 100 ms (a scaled-down byte per second), while an honest peer sends
/// whole lines. The server gives each conn 600 ms to deliver its line (a
/// read deadline over the whole request, not renewed per byte), evicts the
/// slow ones with Go's `i/o timeout`, and keeps answering the honest one
/// meanwhile. Each slow peer then finds its conn gone.
#[test]
fn slowloris_peers_are_evicted_by_a_read_deadline() {
    let _w = watchdog::start(
        "slowloris_peers_are_evicted_by_a_read_deadline",
        watchdog::LIMIT,
    );
    gort::run(|| {
        const SLOW: usize = 8;
        const LINE: &[u8] = b"GET /a/slow/request HTTP/1.0\n";
        let ln = listen_tcp("tcp", Some(&local("127.0.0.1:0"))).unwrap();
        let addr = ln.addr();
        // The server: a goroutine per conn, a deadline per request line.
        let server = gort::spawn(move || {
            let handlers: Vec<_> = (0..SLOW + 1)
                .map(|_| {
                    let c = ln.accept().unwrap();
                    gort::spawn(move || -> Result<u32, String> {
                        let mut r = BufReader::new(&c);
                        let mut served = 0;
                        loop {
                            c.set_read_deadline(Some(Instant::now() + Duration::from_millis(600)))
                                .unwrap();
                            let mut line = String::new();
                            match r.read_line(&mut line) {
                                Ok(0) => return Ok(served),
                                Ok(_) => {
                                    c.write_all(line.to_uppercase().as_bytes()).unwrap();
                                    served += 1;
                                }
                                Err(e) => {
                                    let want = format!("{}i/o timeout", prefix("read", &c));
                                    assert_eq!(e.to_string(), want);
                                    c.close().unwrap();
                                    return Err(e.to_string());
                                }
                            }
                        }
                    })
                })
                .collect();
            handlers
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        let slow: Vec<_> = (0..SLOW)
            .map(|_| {
                let c = dial_tcp("tcp", None, &addr).unwrap();
                gort::spawn(move || {
                    // Until the server hangs up; never the whole line.
                    for &b in &LINE[..LINE.len() - 1] {
                        if c.write(&[b]).is_err() {
                            break;
                        }
                        gort::time::sleep(Duration::from_millis(100));
                    }
                    c.set_read_deadline(Some(Instant::now() + HANG)).unwrap();
                    match c.read(&mut [0u8; 64]) {
                        Ok(0) => Ok(()),
                        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
                        other => Err(format!("slow peer: {other:?}")),
                    }
                })
            })
            .collect();
        // The honest peer, served while the slow ones hold their conns.
        let honest = dial_tcp("tcp", None, &addr).unwrap();
        let mut r = BufReader::new(&honest);
        for i in 0..5 {
            writeln!(&honest, "line {i}").unwrap();
            let mut back = String::new();
            r.read_line(&mut back).unwrap();
            assert_eq!(back, format!("LINE {i}\n"));
        }
        honest.close_write().unwrap();
        for h in slow {
            within("slow peer", move || h.join().unwrap()).unwrap();
        }
        let results = within("server", move || server.join().unwrap());
        let evicted = results.iter().filter(|r| r.is_err()).count();
        let served: Vec<u32> = results.iter().filter_map(|r| r.clone().ok()).collect();
        assert_eq!((evicted, served), (SLOW, vec![5]), "{results:?}");
    });
}
