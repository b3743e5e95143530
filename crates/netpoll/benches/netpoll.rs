//! Netpoller micro-benchmarks, with Go twins in `go/netpoll_test.go`.
//!
//! * `PipePingPong`: two goroutines hand one byte back and forth over two
//!   nonblocking pipes, each parking in the netpoller until its byte arrives;
//!   one op is one round trip, so it measures the wake latency of the
//!   netpoller (write → epoll → the parked reader runs) twice. Go's twin does
//!   the same with `os.Pipe`, whose reads park in Go's netpoller.
//! * `NetpollBreak`: one `netpoll_break` followed by the blocking `netpoll`
//!   it interrupts (write a byte to the break pipe, epoll_wait returns, the
//!   byte is drained), on one thread. Go's `netpollBreak` is internal and has
//!   no public path, so it has no Go twin.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use gort_netpoll::{Mode, PollDescHandle, Poller, poll_runtime_poll_open};
use gort_runtime::hooks::Netpoll;
use rustix::io::Errno;
use rustix::pipe::PipeFlags;

fn pipe() -> (OwnedFd, OwnedFd) {
    rustix::pipe::pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).unwrap()
}

/// One end of a pipe registered with the poller (the handle drops first).
struct End {
    pd: PollDescHandle,
    fd: OwnedFd,
}

impl End {
    fn open(fd: OwnedFd) -> End {
        // SAFETY: `fd` is dropped after `pd` (field order).
        let pd = unsafe { poll_runtime_poll_open(fd.as_fd()) }.unwrap();
        End { pd, fd }
    }

    fn read_byte(&self) {
        let mut b = [0u8; 1];
        self.pd.poll_reset(Mode::Read).unwrap();
        loop {
            match rustix::io::read(&self.fd, &mut b) {
                Ok(1) => return,
                Err(Errno::AGAIN) => self.pd.poll_wait(Mode::Read).unwrap(),
                other => panic!("read: {other:?}"),
            }
        }
    }

    fn write_byte(&self) {
        assert_eq!(rustix::io::write(&self.fd, b"x"), Ok(1));
    }
}

fn pipe_ping_pong(c: &mut Criterion) {
    let rt = gort_runtime::Runtime::builder()
        .procs(2)
        .netpoll(Arc::new(Poller::new().unwrap()))
        .build()
        .unwrap();
    c.bench_function("PipePingPong", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let (ping_r, ping_w) = pipe();
                let (pong_r, pong_w) = pipe();
                let ponger = gort_runtime::spawn(move || {
                    let (r, w) = (End::open(ping_r), End::open(pong_w));
                    for _ in 0..iters {
                        r.read_byte();
                        w.write_byte();
                    }
                });
                let (r, w) = (End::open(pong_r), End::open(ping_w));
                let start = Instant::now();
                for _ in 0..iters {
                    w.write_byte();
                    r.read_byte();
                }
                let elapsed = start.elapsed();
                ponger.join().unwrap();
                elapsed
            })
        })
    });
}

fn netpoll_break(c: &mut Criterion) {
    // A poller of its own, installed in no runtime, so that this thread is
    // the only one that ever blocks in its `netpoll` (the hook's contract).
    let poller = Arc::new(Poller::new().unwrap());
    let (r, _w) = pipe();
    // SAFETY: `r` outlives `pd` (dropped in reverse order at the end).
    let pd = unsafe { poller.poll_open(r.as_fd()) }.unwrap();
    let mut ready = Vec::new();
    // Drain the initial writability event of the pipe.
    poller.netpoll(0, &mut ready);
    c.bench_function("NetpollBreak", |b| {
        b.iter(|| {
            poller.netpoll_break();
            poller.netpoll(1_000_000_000, &mut ready);
        })
    });
    drop(pd);
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    pipe_ping_pong(&mut c);
    netpoll_break(&mut c);
    c.final_summary();
}
