//! Mirrors Go src/runtime/netpoll_epoll.go (go1.27): the Linux backend of the netpoller, one epoll instance and a break pipe behind the PollBackend contract.
//!
//! [`Epoll`] implements the platform functions that netpoll.rs lists in its
//! [`PollBackend`] trait, and nothing else: the system calls, and the
//! translation of epoll's event bits into the poller's [`Event`]s. The
//! pollDescs, their tags, the waiter counts and the folding of breaks are
//! the poller's (netpoll.rs), shared with any other backend; this file
//! imports only the contract's types from there, and nothing there imports
//! from here (lib.rs picks this backend as `DefaultBackend`).
//!
//! Descriptors are registered once, edge-triggered for both directions
//! (`EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET`), so a descriptor costs no syscall
//! per wait: readiness is remembered in the pollDesc's READY state until the
//! next wait consumes it.
//!
//! # Breaking a blocked `epoll_wait`: a pipe, where Go 1.23+ uses an eventfd
//!
//! `netpoll_break` must make an M blocked in `epoll_wait` return (a timer
//! earlier than its sleep was added, or new work arrived). Go did this with
//! a nonblocking pipe registered for `EPOLLIN` until Go 1.23, which switched
//! to an eventfd (golang/go#65443): one descriptor instead of two, a much
//! lighter kernel object (eventfd(2) recommends it wherever a pipe only
//! signals), and an 8-byte counter that one 8-byte read resets however many
//! writes preceded it, where a pipe accumulates a byte per write. gort keeps
//! the pipe. With the poller's wake flag (Go's `netpollWakeSig`) at most
//! one byte is ever in it, so the counter semantics buy nothing; pipes exist
//! on every Unix, so the same break works unchanged for a future kqueue or
//! poll(2) backend, where an eventfd is Linux-only; the price is one more
//! descriptor per runtime. As in Go, the pipe is drained only by a
//! *blocking* poll: a `netpoll(0)` that sees the break leaves it in place
//! (it is level-triggered), so the next blocking poll returns at once
//! instead of sleeping through it.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
use rustix::io::Errno;
use rustix::pipe::PipeFlags;
use rustix::time::Timespec;

use crate::netpoll::{BreakOutcome, Event, PollBackend, PollKey};
use crate::netpoll_info::Mode;

/// The most events one `epoll_wait` returns (Go's `var events [128]...`).
const MAX_EVENTS: usize = 128;

/// The epoll data word of the break pipe (Go marks it with a nil pollDesc).
/// No registration's key packs to it.
const BREAK_DATA: u64 = PollKey::NEVER;

/// Filler for the event buffer, which `epoll_wait` overwrites.
const EMPTY_EVENT: epoll::Event = epoll::Event {
    flags: EventFlags::empty(),
    data: EventData::new_u64(0),
};

/// Prints `msg` and aborts: Go's `throw`, for states the poller cannot
/// recover from (epoll failing on its own descriptor). `netpoll` runs on the
/// scheduler's stack, where a panic must not unwind.
fn fatal(msg: &str) -> ! {
    eprintln!("fatal error: {msg}");
    std::process::abort()
}

// ANCHOR: epfd
/// The epoll instance and its break pipe (Go's `epfd`, `netpollEventFd`).
pub(crate) struct Epoll {
    epfd: OwnedFd,
    /// Read end of the break pipe, registered for EPOLLIN (level-triggered).
    break_r: OwnedFd,
    /// Write end: `netpoll_break` writes one byte.
    break_w: OwnedFd,
}
// ANCHOR_END: epfd

/// How one `epoll_wait` ended.
enum Wait {
    /// This many events were written to the buffer (maybe none: a timeout).
    Events(usize),
    /// A signal interrupted a timed wait: the caller should recompute its
    /// delay rather than sleep the old one again.
    Interrupted,
}

impl Epoll {
    // ANCHOR: epollwait
    /// `epoll_wait` for at most `waitms` (Go's clamped delay) into `buf`.
    fn wait(&self, buf: &mut [epoll::Event], waitms: i32) -> Wait {
        let ts;
        let timeout = if waitms < 0 {
            None
        } else {
            ts = Timespec {
                tv_sec: i64::from(waitms / 1000),
                tv_nsec: i64::from(waitms % 1000) * 1_000_000,
            };
            Some(&ts)
        };
        // Bounded only by signals arriving; each retry is a fresh wait.
        loop {
            match epoll::wait(&self.epfd, &mut *buf, timeout) {
                Ok(n) => return Wait::Events(n),
                // A timed sleep that a signal interrupted returns, so that
                // the scheduler recomputes how long to sleep; a poll or an
                // unbounded sleep just retries.
                Err(Errno::INTR) if waitms > 0 => return Wait::Interrupted,
                Err(Errno::INTR) => continue,
                Err(e) => fatal(&format!(
                    "runtime: netpoll failed: epoll_wait on fd {:?} failed with {e}",
                    self.epfd
                )),
            }
        }
    }
    // ANCHOR_END: epollwait

    // ANCHOR: drain
    /// Empties the break pipe. At most one byte is in it (see the poller's
    /// wake flag), but read until it is empty anyway; the pipe is nonblocking.
    fn drain(&self) {
        let mut buf = [0u8; 16];
        for _ in 0..64 {
            match rustix::io::read(&self.break_r, &mut buf) {
                Ok(n) if n == buf.len() => continue,
                Ok(_) | Err(Errno::AGAIN) => return,
                Err(Errno::INTR) => continue,
                Err(e) => fatal(&format!(
                    "runtime: netpoll: reading the break pipe failed: {e}"
                )),
            }
        }
    }
    // ANCHOR_END: drain
}

// ANCHOR: waitms
/// Go's clamping of `netpoll`'s delay (ns) to `epoll_wait`'s milliseconds:
/// < 0 forever, 0 a poll, below 1 ms one ms, and at most 1e9 ms (~11.5 days).
fn delay_to_waitms(delay: i64) -> i32 {
    if delay < 0 {
        -1
    } else if delay == 0 {
        0
    } else if delay < 1_000_000 {
        1
    } else if delay < 1_000_000_000_000_000 {
        (delay / 1_000_000) as i32
    } else {
        1_000_000_000
    }
}
// ANCHOR_END: waitms

// ANCHOR: readiness
/// What an epoll event for a registered descriptor means to the poller
/// (Go's computation of `mode` in `netpoll`), or `None` if it concerns
/// neither direction. `EPOLLRDHUP` (the peer shut its writing down) ends
/// the read side; `EPOLLHUP` and `EPOLLERR` end both, so they wake the
/// reader and the writer, whose next system call finds the condition.
fn readiness(flags: EventFlags, data: u64) -> Option<Event> {
    let read = EventFlags::IN | EventFlags::RDHUP | EventFlags::HUP | EventFlags::ERR;
    let write = EventFlags::OUT | EventFlags::HUP | EventFlags::ERR;
    let mode = match (flags.intersects(read), flags.intersects(write)) {
        (true, true) => Mode::ReadWrite,
        (true, false) => Mode::Read,
        (false, true) => Mode::Write,
        (false, false) => return None,
    };
    Some(Event {
        key: PollKey::from_u64(data),
        mode,
        read_hup: flags.intersects(EventFlags::RDHUP | EventFlags::HUP | EventFlags::ERR),
        // Go's `ev.Events == EPOLLERR`.
        error: flags == EventFlags::ERR,
    })
}
// ANCHOR_END: readiness

impl PollBackend for Epoll {
    // ANCHOR: netpollinit
    /// Go's `netpollinit`: `epoll_create1(EPOLL_CLOEXEC)` and the break pipe.
    fn netpollinit() -> io::Result<Epoll> {
        let epfd = epoll::create(CreateFlags::CLOEXEC)?;
        let (break_r, break_w) = rustix::pipe::pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC)?;
        epoll::add(
            &epfd,
            &break_r,
            EventData::new_u64(BREAK_DATA),
            EventFlags::IN,
        )?;
        Ok(Epoll {
            epfd,
            break_r,
            break_w,
        })
    }
    // ANCHOR_END: netpollinit

    // ANCHOR: netpollopen
    /// Go's `netpollopen`: registers `fd` once, edge-triggered, with `key`
    /// (the pollDesc's slot index and tag) as the event data.
    fn netpollopen(&self, fd: BorrowedFd<'_>, key: PollKey) -> io::Result<()> {
        let flags = EventFlags::IN | EventFlags::OUT | EventFlags::RDHUP | EventFlags::ET;
        epoll::add(&self.epfd, fd, EventData::new_u64(key.to_u64()), flags)?;
        Ok(())
    }
    // ANCHOR_END: netpollopen

    /// Go's `netpollclose`: `EPOLL_CTL_DEL`.
    fn netpollclose(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        epoll::delete(&self.epfd, fd)?;
        Ok(())
    }

    // ANCHOR: netpoll
    /// Go's `netpoll(delay)`: one `epoll_wait` of at most `delay` ns (< 0
    /// forever, 0 not at all), each event translated and passed on; the
    /// break pipe's event is drained here, by a blocking poll only.
    fn netpoll(&self, delay: i64, mut netpollready: impl FnMut(Event)) -> BreakOutcome {
        let mut buf = [EMPTY_EVENT; MAX_EVENTS];
        let n = match self.wait(&mut buf, delay_to_waitms(delay)) {
            Wait::Events(n) => n,
            Wait::Interrupted => return BreakOutcome::NotConsumed,
        };
        let mut outcome = BreakOutcome::NotConsumed;
        for ev in &buf[..n] {
            // Copy out: the struct is packed on x86-64.
            let flags = ev.flags;
            let data = ev.data.u64();
            if flags.is_empty() {
                continue;
            }
            if data == BREAK_DATA {
                if flags != EventFlags::IN {
                    fatal(&format!(
                        "runtime: netpoll: break pipe ready for something unexpected: {flags:?}"
                    ));
                }
                if delay != 0 {
                    // A break may be seen by a non-blocking poll; only a
                    // blocking one consumes it (see the module doc).
                    self.drain();
                    outcome = BreakOutcome::Consumed;
                }
                continue;
            }
            if let Some(event) = readiness(flags, data) {
                netpollready(event);
            }
        }
        outcome
    }
    // ANCHOR_END: netpoll

    // ANCHOR: netpollBreak
    /// Go's `netpollBreak`: one byte into the break pipe, which makes a
    /// blocked `epoll_wait` return (the poller has already folded
    /// concurrent breaks into this one call).
    fn netpoll_break(&self) {
        for _ in 0..1000 {
            match rustix::io::write(&self.break_w, &[0]) {
                Ok(1) => return,
                Err(Errno::INTR) | Ok(_) => continue,
                // Full: plenty of bytes are already waiting to wake it.
                Err(Errno::AGAIN) => return,
                Err(e) => fatal(&format!("runtime: netpollBreak write failed with {e}")),
            }
        }
        fatal("runtime: netpollBreak write kept being interrupted")
    }
    // ANCHOR_END: netpollBreak

    /// Go's `netpollIsPollDescriptor`: the epoll instance or either end of
    /// the break pipe.
    fn is_poll_descriptor(&self, fd: RawFd) -> bool {
        fd == self.epfd.as_raw_fd()
            || fd == self.break_r.as_raw_fd()
            || fd == self.break_w.as_raw_fd()
    }
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epfd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use gort_runtime::hooks::Netpoll;

    use super::*;
    use crate::netpoll::Poller;

    /// Bytes waiting in the break pipe.
    fn pending(ep: &Epoll) -> u64 {
        rustix::io::ioctl_fionread(&ep.break_r).unwrap()
    }

    #[test]
    fn delay_clamps_like_go() {
        assert_eq!(delay_to_waitms(-5), -1);
        assert_eq!(delay_to_waitms(0), 0);
        assert_eq!(delay_to_waitms(1), 1);
        assert_eq!(delay_to_waitms(999_999), 1);
        assert_eq!(delay_to_waitms(1_000_000), 1);
        assert_eq!(delay_to_waitms(2_500_000), 2);
        assert_eq!(delay_to_waitms(999_999_999_999_999), 999_999_999);
        assert_eq!(delay_to_waitms(1_000_000_000_000_000), 1_000_000_000);
        assert_eq!(delay_to_waitms(i64::MAX), 1_000_000_000);
    }

    /// Go's masks: IN/RDHUP/HUP/ERR wake the reader, OUT/HUP/ERR the
    /// writer; an event with neither is not passed on; only ERR alone is
    /// an error; the data word comes back as the key.
    #[test]
    fn readiness_follows_gos_masks() {
        use EventFlags as F;
        let data = (7 << 32) | 3;
        let ev = |flags| readiness(flags, data).map(|e| (e.mode, e.read_hup, e.error));
        assert_eq!(ev(F::IN), Some((Mode::Read, false, false)));
        assert_eq!(ev(F::OUT), Some((Mode::Write, false, false)));
        assert_eq!(ev(F::IN | F::OUT), Some((Mode::ReadWrite, false, false)));
        assert_eq!(ev(F::IN | F::RDHUP), Some((Mode::Read, true, false)));
        assert_eq!(ev(F::OUT | F::HUP), Some((Mode::ReadWrite, true, false)));
        assert_eq!(ev(F::ERR), Some((Mode::ReadWrite, true, true)));
        assert_eq!(ev(F::IN | F::ERR), Some((Mode::ReadWrite, true, false)));
        assert_eq!(ev(F::PRI), None);
        let key = readiness(F::IN, data).unwrap().key;
        assert_eq!(key.to_u64(), data);
    }

    /// The backend alone does not fold breaks (each call is one byte); a
    /// poll that does not block sees the break and leaves it; a blocking
    /// one drains it and says so.
    #[test]
    fn break_is_consumed_only_by_a_blocking_poll() {
        let ep = Epoll::netpollinit().unwrap();
        ep.netpoll_break();
        ep.netpoll_break();
        assert_eq!(pending(&ep), 2);
        let mut events = 0;
        assert_eq!(ep.netpoll(0, |_| events += 1), BreakOutcome::NotConsumed);
        assert_eq!(pending(&ep), 2);
        assert_eq!(ep.netpoll(-1, |_| events += 1), BreakOutcome::Consumed);
        assert_eq!(pending(&ep), 0);
        assert_eq!(events, 0, "the break is not a descriptor's event");
    }

    /// With the poller's wake flag in front, a hundred concurrent breaks
    /// write one byte, which a blocking poll drains and after which a new
    /// break writes again.
    #[test]
    fn concurrent_breaks_fold_into_one_byte_drained_only_by_a_blocking_poll() {
        let poller = Arc::new(Poller::new().unwrap());
        let ep = poller.backend();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let p = poller.clone();
                std::thread::spawn(move || (0..25).for_each(|_| p.netpoll_break()))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(pending(ep), 1);
        // A poll that does not block leaves it.
        assert_eq!(poller.netpoll(0, &mut Vec::new()), 0);
        assert_eq!(pending(ep), 1);
        // A blocking one returns at once and drains it; the flag is reset,
        // so the next break writes again.
        assert_eq!(poller.netpoll(-1, &mut Vec::new()), 0);
        assert_eq!(pending(ep), 0);
        poller.netpoll_break();
        assert_eq!(pending(ep), 1);
    }
}
