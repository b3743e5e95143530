//! Helpers shared by the netpoll integration tests: runtimes with a Poller, nonblocking pipes, and bounded read/write loops.
#![allow(dead_code)]

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use gort_netpoll::{Mode, PollDescHandle, PollError, Poller, poll_runtime_poll_open};
use rustix::io::Errno;
use rustix::pipe::PipeFlags;

/// A runtime with `procs` Ps and a fresh [`Poller`] installed.
pub fn runtime(procs: usize) -> gort_runtime::Runtime {
    gort_runtime::Runtime::builder()
        .procs(procs)
        .netpoll(Arc::new(Poller::new().unwrap()))
        .build()
        .unwrap()
}

/// A nonblocking, close-on-exec pipe: (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    rustix::pipe::pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).unwrap()
}

/// A registered descriptor together with the fd it watches; the handle is
/// dropped (closed) before the fd, as `poll_open` requires.
pub struct Polled {
    pub pd: PollDescHandle,
    pub fd: OwnedFd,
}

impl Polled {
    /// Registers `fd` with the current goroutine's poller.
    pub fn open(fd: OwnedFd) -> Polled {
        // SAFETY: `fd` lives in the same struct and is dropped after `pd`
        // (fields drop in declaration order).
        let pd = unsafe { poll_runtime_poll_open(fd.as_fd()) }.unwrap();
        Polled { pd, fd }
    }

    /// Reads at least one byte into `buf`, parking in the poller while the
    /// pipe is empty (what internal/poll's `FD.Read` does). Bounded: gives up
    /// after 10,000 wake-ups without data.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, PollError> {
        self.pd.poll_reset(Mode::Read)?;
        for _ in 0..10_000 {
            match rustix::io::read(&self.fd, &mut *buf) {
                Ok(n) => return Ok(n),
                Err(Errno::AGAIN) => self.pd.poll_wait(Mode::Read)?,
                Err(e) => panic!("read: {e}"),
            }
        }
        panic!("read: 10,000 wake-ups without data")
    }

    /// Writes all of `data`, parking while the pipe is full.
    pub fn write(&self, mut data: &[u8]) -> Result<(), PollError> {
        self.pd.poll_reset(Mode::Write)?;
        for _ in 0..10_000 {
            if data.is_empty() {
                return Ok(());
            }
            match rustix::io::write(&self.fd, data) {
                Ok(n) => data = &data[n..],
                Err(Errno::AGAIN) => self.pd.poll_wait(Mode::Write)?,
                Err(e) => panic!("write: {e}"),
            }
        }
        panic!("write: 10,000 wake-ups without progress")
    }
}

/// Writes `data` to a nonblocking fd that has room (a pipe with space).
pub fn write_now(fd: &OwnedFd, data: &[u8]) {
    assert_eq!(rustix::io::write(fd, data).unwrap(), data.len());
}
