//! gort-poll's `FD` leaks no descriptor: the open count in /proc/self/fd returns to its start after 10,000 open/close cycles (alone in its process, so other tests cannot disturb the count).

use std::sync::Arc;

use gort_poll::{FD, FdKind};
use gort_runtime::Runtime;
use rustix::pipe::{PipeFlags, pipe_with};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn cycle() {
    let (r, w) = pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).unwrap();
    let r = FD::new(r, FdKind::File, true);
    let w = FD::new(w, FdKind::File, true);
    assert_eq!(w.write(b"x").unwrap(), 1);
    assert_eq!(r.read(&mut [0u8; 1]).unwrap(), 1);
    // One closed explicitly, one by drop.
    r.close().unwrap();
    drop(w);
}

#[test]
fn ten_thousand_open_close_cycles_leak_nothing() {
    let _w = watchdog::start(
        "ten_thousand_open_close_cycles_leak_nothing",
        watchdog::LIMIT,
    );
    let rt = Runtime::builder()
        .procs(2)
        .netpoll(Arc::new(gort_netpoll::Poller::new().unwrap()))
        .build()
        .unwrap();
    rt.block_on(|| {
        // The first registration creates the poller's epoll fd and pipe.
        cycle();
        let start = open_fds();
        for _ in 0..10_000 {
            cycle();
        }
        assert_eq!(open_fds(), start);
        // Sockets too, including the accepted side.
        for _ in 0..1_000 {
            let s = rustix::net::socket_with(
                rustix::net::AddressFamily::INET,
                rustix::net::SocketType::STREAM,
                rustix::net::SocketFlags::NONBLOCK | rustix::net::SocketFlags::CLOEXEC,
                None,
            )
            .unwrap();
            rustix::net::bind(&s, &std::net::SocketAddrV4::new([127, 0, 0, 1].into(), 0)).unwrap();
            rustix::net::listen(&s, 8).unwrap();
            let addr = rustix::net::getsockname(&s).unwrap();
            let ln = FD::new(s, FdKind::Tcp, true);
            let c = rustix::net::socket(
                rustix::net::AddressFamily::INET,
                rustix::net::SocketType::STREAM,
                None,
            )
            .unwrap();
            rustix::net::connect(&c, &addr).unwrap();
            let c = FD::new(c, FdKind::Tcp, true);
            let (conn, _) = ln.accept().unwrap();
            let conn = FD::new(conn, FdKind::Tcp, true);
            conn.close().unwrap();
            drop((c, ln));
        }
        assert_eq!(open_fds(), start);
    });
}
