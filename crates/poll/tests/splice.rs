//! gort-poll's `splice` and `send_file` on Unix socket pairs and temp files: byte counts, `handled`, limits, waits on full and empty sockets, closing errors, no descriptor leaks.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gort_poll::fd::is_net_closing;
use gort_poll::{FD, FdKind, send_file, splice};
use rustix::net::{AddressFamily, SocketFlags, SocketType};

mod common;
use common::rt;

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

/// A connected pair of nonblocking Unix stream sockets, both pollable.
fn socketpair() -> (FD, FD) {
    let (a, b) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let a = FD::new(a, FdKind::Stream, true);
    let b = FD::new(b, FdKind::Stream, true);
    assert!(a.pollable() && b.pollable());
    (a, b)
}

/// A deterministic byte pattern, different at every offset of a few MiB.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn splice_moves_bytes_between_socket_pairs() {
    let _w = watchdog::start("splice_moves_bytes_between_socket_pairs", watchdog::LIMIT);
    rt().block_on(|| {
        let (src_w, src) = socketpair();
        let (dst, dst_r) = socketpair();
        src_w.write(b"hello, splice").unwrap();
        src_w.shutdown(rustix::net::Shutdown::Write).unwrap();
        let (n, handled, res) = splice(&dst, &src, i64::MAX);
        res.unwrap();
        assert!(handled);
        assert_eq!(n, 13);
        let mut got = [0u8; 32];
        let k = dst_r.read(&mut got).unwrap();
        assert_eq!(&got[..k], b"hello, splice");
    });
}

#[test]
fn splice_stops_at_remain() {
    let _w = watchdog::start("splice_stops_at_remain", watchdog::LIMIT);
    rt().block_on(|| {
        let (src_w, src) = socketpair();
        let (dst, dst_r) = socketpair();
        src_w.write(&[7u8; 1000]).unwrap();
        let (n, handled, res) = splice(&dst, &src, 100);
        res.unwrap();
        assert!(handled);
        assert_eq!(n, 100);
        // The other 900 bytes are still in the source.
        let mut rest = vec![0u8; 2000];
        assert_eq!(src.read(&mut rest).unwrap(), 900);
        let mut got = vec![0u8; 2000];
        assert_eq!(dst_r.read(&mut got).unwrap(), 100);
        // A budget of zero moves nothing and is handled, as in Go.
        let (n, handled, res) = splice(&dst, &src, 0);
        assert_eq!((n, handled, res.is_ok()), (0, true, true));
    });
}

#[test]
fn splice_waits_for_both_ends_and_keeps_every_byte() {
    let _w = watchdog::start(
        "splice_waits_for_both_ends_and_keeps_every_byte",
        watchdog::LIMIT,
    );
    // 8 MiB through socket buffers of a few hundred KiB: the drain parks on
    // an empty source and the pump on a full destination many times.
    const LEN: usize = 8 << 20;
    rt().block_on(|| {
        let (src_w, src) = socketpair();
        let (dst, dst_r) = socketpair();
        let data = Arc::new(pattern(LEN));
        let writer = {
            let data = data.clone();
            gort_runtime::spawn(move || {
                for chunk in data.chunks(100_003) {
                    assert_eq!(src_w.write(chunk).unwrap(), chunk.len());
                }
                // Dropping closes the writing end: the source reads EOF.
            })
        };
        let reader = gort_runtime::spawn(move || {
            let mut got = Vec::with_capacity(LEN);
            let mut buf = vec![0u8; 64 << 10];
            loop {
                match dst_r.read(&mut buf).unwrap() {
                    0 => return got,
                    k => got.extend_from_slice(&buf[..k]),
                }
            }
        });
        let (n, handled, res) = splice(&dst, &src, i64::MAX);
        res.unwrap();
        assert!(handled);
        assert_eq!(n, LEN as i64);
        drop(dst); // EOF for the reader
        writer.join().unwrap();
        let got = reader.join().unwrap();
        assert_eq!(got.len(), LEN);
        assert!(got == *data, "the spliced bytes differ from those sent");
    });
}

#[test]
fn splice_from_an_unspliceable_source_is_not_handled() {
    let _w = watchdog::start(
        "splice_from_an_unspliceable_source_is_not_handled",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        // An eventfd has no splice support: the first splice fails with
        // EINVAL and consumes nothing.
        let efd = rustix::event::eventfd(
            1,
            rustix::event::EventfdFlags::NONBLOCK | rustix::event::EventfdFlags::CLOEXEC,
        )
        .unwrap();
        let src = FD::new(efd, FdKind::File, true);
        assert!(src.pollable());
        let (dst, _dst_r) = socketpair();
        let (n, handled, res) = splice(&dst, &src, i64::MAX);
        assert_eq!(n, 0);
        assert!(!handled, "{res:?}");
        // The counter is still there for a plain read.
        let mut buf = [0u8; 8];
        assert_eq!(src.read(&mut buf).unwrap(), 8);
        assert_eq!(u64::from_ne_bytes(buf), 1);
    });
}

#[test]
fn splice_outside_the_netpoller_is_not_handled() {
    let _w = watchdog::start(
        "splice_outside_the_netpoller_is_not_handled",
        watchdog::LIMIT,
    );
    let (a, b) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    // Not pollable: blocking mode.
    let a = FD::new(a, FdKind::Stream, false);
    let b = FD::new(b, FdKind::Stream, false);
    let (n, handled, res) = splice(&a, &b, 10);
    assert_eq!((n, handled, res.is_ok()), (0, false, true));
}

#[test]
fn splice_reports_a_closed_source_or_destination() {
    let _w = watchdog::start(
        "splice_reports_a_closed_source_or_destination",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let (src_w, src) = socketpair();
        let (dst, _dst_r) = socketpair();
        src.close().unwrap();
        let (n, handled, res) = splice(&dst, &src, i64::MAX);
        assert_eq!(n, 0);
        assert!(handled);
        assert!(is_net_closing(&res.unwrap_err()));

        let (src_w2, src2) = socketpair();
        src_w2.write(b"lost").unwrap();
        dst.close().unwrap();
        let (n, handled, res) = splice(&dst, &src2, i64::MAX);
        assert_eq!(n, 0);
        assert!(handled);
        assert!(is_net_closing(&res.unwrap_err()));
        drop(src_w);
    });
}

#[test]
fn close_wakes_a_parked_splice() {
    let _w = watchdog::start("close_wakes_a_parked_splice", watchdog::LIMIT);
    rt().block_on(|| {
        let (_src_w, src) = socketpair();
        let (dst, _dst_r) = socketpair();
        let src = Arc::new(src);
        let splicer = {
            let src = src.clone();
            gort_runtime::spawn(move || splice(&dst, &src, i64::MAX))
        };
        wait::parked(WaitReason::IoWait, 1);
        assert!(!splicer.is_finished(), "the drain parks on an empty source");
        src.close().unwrap();
        let (n, handled, res) = splicer.join().unwrap();
        assert_eq!(n, 0);
        assert!(handled);
        assert!(is_net_closing(&res.unwrap_err()));
    });
}

#[test]
fn pipes_are_reused_not_leaked() {
    let _w = watchdog::start("pipes_are_reused_not_leaked", watchdog::LIMIT);
    rt().block_on(|| {
        let (src_w, src) = socketpair();
        let (dst, dst_r) = socketpair();
        // Warm the pool, then count.
        src_w.write(b"x").unwrap();
        assert_eq!(splice(&dst, &src, 1).0, 1);
        let mut buf = [0u8; 8];
        assert_eq!(dst_r.read(&mut buf).unwrap(), 1);
        let before = open_fds();
        for _ in 0..200 {
            src_w.write(b"y").unwrap();
            let (n, handled, res) = splice(&dst, &src, 1);
            res.unwrap();
            assert_eq!((n, handled), (1, true));
            assert_eq!(dst_r.read(&mut buf).unwrap(), 1);
        }
        // Other tests of this binary may hold a few pipes meanwhile.
        assert!(open_fds() <= before + 2 * 16, "descriptors leak");
    });
}

fn temp_file(data: &[u8]) -> std::fs::File {
    static N: AtomicUsize = AtomicUsize::new(0);
    // Relaxed: only uniqueness of the number matters.
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("gort-poll-sendfile-{}-{n}", std::process::id()));
    let mut f = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    f.write_all(data).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f
}

#[test]
fn send_file_sends_the_rest_of_the_file_and_moves_its_offset() {
    const LEN: usize = 3 << 20;
    let _w = watchdog::start(
        "send_file_sends_the_rest_of_the_file_and_moves_its_offset",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let data = pattern(LEN);
        let mut f = temp_file(&data);
        f.seek(SeekFrom::Start(10)).unwrap();
        let (dst, dst_r) = socketpair();
        let reader = gort_runtime::spawn(move || {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 64 << 10];
            loop {
                match dst_r.read(&mut buf).unwrap() {
                    0 => return got,
                    k => got.extend_from_slice(&buf[..k]),
                }
            }
        });
        let (n, handled, res) = send_file(&dst, f.as_fd(), 0);
        res.unwrap();
        assert!(handled);
        assert_eq!(n, (LEN - 10) as i64);
        assert_eq!(f.stream_position().unwrap(), LEN as u64);
        drop(dst);
        let got = reader.join().unwrap();
        assert!(got == data[10..], "sent bytes differ from the file's");
    });
}

#[test]
fn send_file_honors_size() {
    let _w = watchdog::start("send_file_honors_size", watchdog::LIMIT);
    rt().block_on(|| {
        let data = pattern(5000);
        let mut f = temp_file(&data);
        let (dst, dst_r) = socketpair();
        let (n, handled, res) = send_file(&dst, f.as_fd(), 1234);
        res.unwrap();
        assert_eq!((n, handled), (1234, true));
        assert_eq!(f.stream_position().unwrap(), 1234);
        let mut got = vec![0u8; 5000];
        assert_eq!(dst_r.read(&mut got).unwrap(), 1234);
        assert_eq!(got[..1234], data[..1234]);
        // The rest is still readable from the file.
        let mut rest = Vec::new();
        f.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, data[1234..]);
    });
}

#[test]
fn send_file_from_a_pipe_or_to_a_closed_socket_is_not_handled() {
    let _w = watchdog::start(
        "send_file_from_a_pipe_or_to_a_closed_socket_is_not_handled",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let (r, w): (OwnedFd, OwnedFd) =
            std::io::pipe().map(|(r, w)| (r.into(), w.into())).unwrap();
        rustix::io::write(&w, b"abc").unwrap();
        let (dst, _dst_r) = socketpair();
        let (n, handled, _) = send_file(&dst, r.as_fd(), 0);
        assert_eq!((n, handled), (0, false));
        let mut buf = [0u8; 3];
        assert_eq!(rustix::io::read(&r, &mut buf).unwrap(), 3);

        let f = temp_file(b"data");
        dst.close().unwrap();
        let (n, handled, res) = send_file(&dst, f.as_fd(), 0);
        assert_eq!((n, handled), (0, false));
        assert!(is_net_closing(&res.unwrap_err()));
    });
}
