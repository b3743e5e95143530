//! TcpConn's zero-copy transfers over loopback (Go's TestSplice and
//! TestSendfile, in part): `read_from_tcp` moves 256 MiB intact, the other
//! directions and sources, the plain-copy fallbacks, and Go's error texts.
//!
//! That splice and sendfile really run (rather than the fallback copy) is
//! checked by gort-poll's own tests (`crates/poll/tests/splice.rs`), which
//! call them directly; here every path must deliver every byte.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gort::net::{
    self, TcpConn, UnixAddr, UnixConn, dial_tcp, dial_unix, listen_tcp, listen_unix,
    resolve_tcp_addr,
};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

/// The longest any test here may run before it fails (the watchdog), and
/// the deadline of every conn (a transfer of 256 MiB in a debug build takes
/// a few seconds).
const LIMIT: Duration = Duration::from_secs(120);

/// Size of the sender's writes and of the receiver's checks.
const CHUNK: usize = 256 << 10;

/// Every operation on `c` fails with "i/o timeout" after `LIMIT`.
fn bound(c: &TcpConn) {
    c.set_deadline(Some(Instant::now() + LIMIT)).unwrap();
}

/// A connected loopback TCP pair: (dialed end, accepted end).
fn tcp_pair() -> (TcpConn, TcpConn) {
    let ln = listen_tcp(
        "tcp",
        Some(&resolve_tcp_addr("tcp", "127.0.0.1:0").unwrap()),
    )
    .unwrap();
    let a = dial_tcp("tcp", None, &ln.addr()).unwrap();
    let b = ln.accept().unwrap();
    bound(&a);
    bound(&b);
    (a, b)
}

/// A connected Unix pair of network `net` over an abstract name.
fn unix_pair(net: &str) -> (UnixConn, UnixConn) {
    static N: AtomicUsize = AtomicUsize::new(0);
    // Relaxed: only the uniqueness of the number matters.
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = format!("@gort-splice-{}-{n}", std::process::id());
    let addr = UnixAddr::new(net, name).unwrap();
    let ln = listen_unix(net, &addr).unwrap();
    let a = dial_unix(net, None, &addr).unwrap();
    let b = ln.accept().unwrap();
    for c in [&a, &b] {
        c.set_deadline(Some(Instant::now() + LIMIT)).unwrap();
    }
    (a, b)
}

/// splitmix64's output function: a well-mixed word for each index.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Fills `buf` with the test stream's bytes at offset `off` (both
/// multiples of 8): word `i` of the stream is `mix(i)`, so every offset of
/// a 256 MiB stream holds its own value and a lost, repeated or reordered
/// piece shows.
fn fill(buf: &mut [u8], off: u64) {
    let first = off / 8;
    for (i, word) in buf.chunks_exact_mut(8).enumerate() {
        word.copy_from_slice(&mix(first + i as u64).to_le_bytes());
    }
}

/// The first `len` bytes of the test stream (a multiple of 8).
fn stream(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    fill(&mut v, 0);
    v
}

/// Writes `total` bytes of the test stream to `w`, then calls `end`.
fn send(w: &mut dyn Write, total: usize, end: impl FnOnce()) {
    let mut buf = vec![0u8; CHUNK];
    let mut off = 0;
    while off < total {
        let n = CHUNK.min(total - off);
        fill(&mut buf[..n], off as u64);
        w.write_all(&buf[..n]).unwrap();
        off += n;
    }
    end();
}

/// Reads from `r` until end of file, checking each byte against the test
/// stream; returns how many came. `total` must be a multiple of `CHUNK`.
fn receive(r: &mut dyn Read, total: usize) -> usize {
    let mut got = vec![0u8; CHUNK];
    let mut want = vec![0u8; CHUNK];
    let mut off = 0;
    while off < total {
        r.read_exact(&mut got).unwrap();
        fill(&mut want, off as u64);
        if got != want {
            let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap();
            panic!("byte {} differs from what was sent", off + at);
        }
        off += CHUNK;
    }
    let mut extra = [0u8; 1];
    assert_eq!(r.read(&mut extra).unwrap(), 0, "more bytes than were sent");
    off
}

/// Go's TestSplice/tcp-to-tcp with 256 MiB: a writer, a splicing middle
/// and a checking reader, each its own goroutine end.
#[test]
fn read_from_tcp_moves_256_mib_intact() {
    const TOTAL: usize = 256 << 20;
    let _w = watchdog::start("read_from_tcp_moves_256_mib_intact", LIMIT);
    gort::run(|| {
        let (client, src) = tcp_pair();
        let (dst, server) = tcp_pair();
        let writer = gort::spawn(move || {
            send(&mut &client, TOTAL, || client.close_write().unwrap());
        });
        let reader = gort::spawn(move || receive(&mut &server, TOTAL));
        let n = dst.read_from_tcp(&src).unwrap();
        assert_eq!(n, TOTAL as u64);
        dst.close_write().unwrap();
        writer.join().unwrap();
        assert_eq!(reader.join().unwrap(), TOTAL);
    });
}

/// Go's `WriteTo` with a TCP destination (served by its `ReadFrom`).
#[test]
fn write_to_tcp_moves_16_mib_intact() {
    const TOTAL: usize = 16 << 20;
    let _w = watchdog::start("write_to_tcp_moves_16_mib_intact", LIMIT);
    gort::run(|| {
        let (client, src) = tcp_pair();
        let (dst, server) = tcp_pair();
        let writer = gort::spawn(move || {
            send(&mut &client, TOTAL, || client.close_write().unwrap());
        });
        let reader = gort::spawn(move || receive(&mut &server, TOTAL));
        assert_eq!(src.write_to_tcp(&dst).unwrap(), TOTAL as u64);
        dst.close_write().unwrap();
        writer.join().unwrap();
        assert_eq!(reader.join().unwrap(), TOTAL);
    });
}

/// Go's TestSplice/unix-to-tcp.
#[test]
fn read_from_unix_moves_16_mib_intact() {
    const TOTAL: usize = 16 << 20;
    let _w = watchdog::start("read_from_unix_moves_16_mib_intact", LIMIT);
    gort::run(|| {
        let (client, src) = unix_pair("unix");
        let (dst, server) = tcp_pair();
        let writer = gort::spawn(move || {
            send(&mut &client, TOTAL, || client.close_write().unwrap());
        });
        let reader = gort::spawn(move || receive(&mut &server, TOTAL));
        assert_eq!(dst.read_from_unix(&src).unwrap(), TOTAL as u64);
        dst.close_write().unwrap();
        writer.join().unwrap();
        assert_eq!(reader.join().unwrap(), TOTAL);
    });
}

/// Go's TestSplice/tcp-to-unix (`spliceTo`).
#[test]
fn write_to_unix_moves_4_mib_intact() {
    const TOTAL: usize = 4 << 20;
    let _w = watchdog::start("write_to_unix_moves_4_mib_intact", LIMIT);
    gort::run(|| {
        let (client, src) = tcp_pair();
        let (dst, server) = unix_pair("unix");
        let writer = gort::spawn(move || {
            send(&mut &client, TOTAL, || client.close_write().unwrap());
        });
        let reader = gort::spawn(move || receive(&mut &server, TOTAL));
        assert_eq!(src.write_to_unix(&dst).unwrap(), TOTAL as u64);
        dst.close_write().unwrap();
        writer.join().unwrap();
        assert_eq!(reader.join().unwrap(), TOTAL);
    });
}

/// Go's TestSplice/no-unixpacket: a packet source is not spliced (that
/// would merge its messages), yet its bytes all arrive by the plain copy.
#[test]
fn read_from_unixpacket_copies_instead() {
    let _w = watchdog::start("read_from_unixpacket_copies_instead", LIMIT);
    gort::run(|| {
        let (client, src) = unix_pair("unixpacket");
        let (dst, server) = tcp_pair();
        let writer = gort::spawn(move || {
            for msg in [&b"one"[..], b"two", b"three"] {
                client.write(msg).unwrap();
            }
            // Closing the sending end is the source's end of file.
        });
        writer.join().unwrap();
        assert_eq!(dst.read_from_unix(&src).unwrap(), 11);
        dst.close_write().unwrap();
        let mut got = String::new();
        (&server).read_to_string(&mut got).unwrap();
        assert_eq!(got, "onetwothree");
    });
}

fn temp_file(data: &[u8]) -> File {
    static N: AtomicUsize = AtomicUsize::new(0);
    // Relaxed: only the uniqueness of the number matters.
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("gort-sendfile-{}-{n}", std::process::id()));
    let mut f = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    f.write_all(data).unwrap();
    f
}

/// Go's TestSendfile: the rest of the file from its offset, which moves to
/// the end.
#[test]
fn read_from_file_sends_the_rest_and_moves_the_offset() {
    const LEN: usize = 3 << 20;
    const START: u64 = 4096 + 8;
    let _w = watchdog::start("read_from_file_sends_the_rest_and_moves_the_offset", LIMIT);
    gort::run(|| {
        let data = stream(LEN);
        let mut f = gort::blocking(|| {
            let mut f = temp_file(&data);
            f.seek(SeekFrom::Start(START)).unwrap();
            f
        });
        let (dst, server) = tcp_pair();
        let reader = gort::spawn(move || {
            let mut got = Vec::new();
            (&server).read_to_end(&mut got).unwrap();
            got
        });
        let n = dst.read_from_file(&f).unwrap();
        assert_eq!(n, LEN as u64 - START);
        assert_eq!(f.stream_position().unwrap(), LEN as u64);
        // At end of file, there is nothing more to send.
        assert_eq!(dst.read_from_file(&f).unwrap(), 0);
        dst.close_write().unwrap();
        let got = reader.join().unwrap();
        assert!(
            got == data[START as usize..],
            "sent bytes differ from the file's"
        );
    });
}

/// A file sendfile cannot read (a pipe) goes through the plain copy.
#[test]
fn read_from_file_falls_back_for_a_pipe() {
    let _w = watchdog::start("read_from_file_falls_back_for_a_pipe", LIMIT);
    gort::run(|| {
        let (r, mut w) = io::pipe().unwrap();
        let feeder = std::thread::spawn(move || {
            w.write_all(&stream(1 << 20)).unwrap();
            // Dropping `w` ends the pipe.
        });
        let r = File::from(OwnedFd::from(r));
        let (dst, server) = tcp_pair();
        let reader = gort::spawn(move || receive(&mut &server, 1 << 20));
        assert_eq!(dst.read_from_file(&r).unwrap(), 1 << 20);
        dst.close_write().unwrap();
        assert_eq!(reader.join().unwrap(), 1 << 20);
        feeder.join().unwrap();
    });
}

/// Go's genericReadFrom and genericWriteTo: any reader or writer.
#[test]
fn read_from_and_write_to_copy_any_reader_and_writer() {
    let _w = watchdog::start("read_from_and_write_to_copy_any_reader_and_writer", LIMIT);
    gort::run(|| {
        let (a, b) = tcp_pair();
        let data = stream(1 << 20);
        let sender = {
            let data = data.clone();
            gort::spawn(move || {
                let n = a.read_from(&mut &data[..]).unwrap();
                a.close_write().unwrap();
                n
            })
        };
        let mut got = Vec::new();
        assert_eq!(b.write_to(&mut got).unwrap(), 1 << 20);
        assert_eq!(sender.join().unwrap(), 1 << 20);
        assert!(got == data);
    });
}

#[test]
fn read_from_on_a_closed_conn_reads_like_go() {
    let _w = watchdog::start("read_from_on_a_closed_conn_reads_like_go", LIMIT);
    gort::run(|| {
        let (a, _b) = tcp_pair();
        let (l, r) = (a.local_addr(), a.remote_addr().unwrap());
        a.close().unwrap();
        let err = a.read_from(&mut &b"data"[..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("readfrom tcp {l}->{r}: write tcp {l}->{r}: use of closed network connection")
        );
        assert!(net::is_closed(&err));
        let op = net::op_error(&err).unwrap();
        assert_eq!((op.op.as_str(), op.net.as_str()), ("readfrom", "tcp"));

        // A closed source ends the splice with the same error.
        let (src, _peer) = tcp_pair();
        let (dst, _server) = tcp_pair();
        src.close().unwrap();
        let (l, r) = (dst.local_addr(), dst.remote_addr().unwrap());
        let err = dst.read_from_tcp(&src).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("readfrom tcp {l}->{r}: use of closed network connection")
        );
        assert!(net::is_closed(&err));

        // WriteTo a TCP conn carries both layers, as in Go.
        let (sl, sr) = (src.local_addr(), src.remote_addr().unwrap());
        let err = src.write_to_tcp(&dst).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "writeto tcp {sl}->{sr}: readfrom tcp {l}->{r}: use of closed network connection"
            )
        );
    });
}

#[test]
fn splice_honors_the_source_read_deadline() {
    let _w = watchdog::start("splice_honors_the_source_read_deadline", LIMIT);
    gort::run(|| {
        let (_client, src) = tcp_pair();
        let (dst, _server) = tcp_pair();
        src.set_read_deadline(Some(Instant::now() + Duration::from_millis(50)))
            .unwrap();
        let err = dst.read_from_tcp(&src).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(net::is_timeout(&err));
        assert_eq!(
            err.to_string(),
            format!(
                "readfrom tcp {}->{}: i/o timeout",
                dst.local_addr(),
                dst.remote_addr().unwrap()
            )
        );
    });
}
