//! Mirrors Go src/runtime/netpoll_epoll.go (go1.27): the Linux poller, one epoll instance and a break pipe.
//!
//! [`Poller`] is what a runtime installs (`Builder::netpoll`): it implements
//! gort-runtime's [`Netpoll`] hook with `epoll_wait`, and owns the
//! [`PollCache`] of registered descriptors. Descriptors are registered once,
//! edge-triggered for both directions (`EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET`),
//! so a descriptor costs no syscall per wait: readiness is remembered in the
//! pollDesc's READY state until the next wait consumes it.
//!
//! The epoll instance is created lazily, at the first registration (Go's
//! `netpollGenericInit` runs from the first `poll_runtime_pollOpen`). Until
//! then the runtime's idle M still sleeps in `netpoll(delay)` to wait for
//! its next timer; the poller does that sleep on a condition variable, and
//! the registration that creates the epoll instance interrupts it, so that
//! the idle M comes back and blocks in `epoll_wait` instead.
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
//! the pipe. With the
//! wake flag (Go's `netpollWakeSig`, kept here) at most one byte is ever in
//! it, so the counter semantics buy nothing; pipes exist on every Unix, so
//! the same break works unchanged for a future kqueue or poll(2) backend,
//! where an eventfd is Linux-only; the price is one more descriptor per
//! runtime. As in Go, the pipe is drained only by a
//! *blocking* poll: a `netpoll(0)` that sees the break leaves it in place
//! (it is level-triggered), so the next blocking poll returns at once
//! instead of sleeping through it.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

use gort_runtime::{Gp, Netpoll, NoNetpoll};
use parking_lot::Mutex;
use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
use rustix::io::Errno;
use rustix::pipe::PipeFlags;
use rustix::time::Timespec;

use crate::netpoll::{PollCache, PollDesc, netpollready, pack_data, unpack_data};
use crate::netpoll_info::Mode;

/// The most events one `epoll_wait` returns (Go's `var events [128]...`).
const MAX_EVENTS: usize = 128;

/// The epoll data word of the break pipe (Go marks it with a nil pollDesc).
/// No registration packs to it: slot indices stay below `u32::MAX`.
const BREAK_DATA: u64 = u64::MAX;

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

impl Epoll {
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
    /// Go's `netpollopen`: registers `fd` once, edge-triggered, with `pd`'s
    /// slot index and tag as the event data.
    pub(crate) fn netpollopen(&self, fd: BorrowedFd<'_>, pd: &PollDesc) -> io::Result<()> {
        let flags = EventFlags::IN | EventFlags::OUT | EventFlags::RDHUP | EventFlags::ET;
        epoll::add(
            &self.epfd,
            fd,
            EventData::new_u64(pack_data(pd.index, pd.fdseq)),
            flags,
        )?;
        Ok(())
    }
    // ANCHOR_END: netpollopen

    // ANCHOR: drain
    /// Empties the break pipe. At most one byte is in it (see the wake flag),
    /// but read until it is empty anyway; the pipe is nonblocking.
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

/// The netpoller of one runtime: an epoll instance (created on first use),
/// its break pipe and the descriptors registered with it.
///
/// Install it with `Runtime::builder().netpoll(Arc::new(Poller::new()?))`;
/// code running in that runtime's goroutines finds it with
/// [`Poller::current`] (that is how [`poll_runtime_poll_open`] picks it).
///
/// [`poll_runtime_poll_open`]: crate::poll_runtime_poll_open
pub struct Poller {
    /// Set once by the first registration (Go's `netpollInited`).
    epoll: OnceLock<Epoll>,
    /// Serialises the creation of `epoll` (Go's `netpollInitLock`).
    init_lock: Mutex<()>,
    /// The sleep used by `netpoll(delay)` before `epoll` exists.
    idle: NoNetpoll,
    // ANCHOR: netpollWakeSig
    /// Set while a break byte is in flight (Go's `netpollWakeSig`).
    ///
    /// Only this word decides whether to write: a break that finds it set
    /// does nothing, because the byte already written (or about to be, by
    /// whoever set it) will wake the poller. The blocking poll that reads
    /// the byte clears it after draining. Relaxed suffices throughout: the
    /// flag publishes no other data (the wake-up travels through the pipe),
    /// and the single-variable coherence order is all the argument needs: a
    /// break whose CAS reads the clearing store writes a new byte (at worst
    /// one spurious early return), one that reads an earlier 1 overlaps a
    /// poll that is already returning.
    wake_sig: AtomicBool,
    // ANCHOR_END: netpollWakeSig
    /// The registered descriptors.
    pub(crate) cache: PollCache,
    /// Waiters released outside `netpoll` (deadlines, close), as a negative
    /// count not yet reported to the scheduler. gort-runtime lets a poller
    /// report waiter-count changes only through `netpoll`'s return value, so
    /// the deadline and close paths add here and the next `netpoll` call
    /// returns it with its own delta (Go calls `netpollAdjustWaiters`
    /// directly). Until then the scheduler over-counts waiters, which only
    /// makes it poll once more.
    pub(crate) pending_delta: Arc<AtomicI32>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("inited", &self.epoll.get().is_some())
            .field("registered", &self.cache.len())
            .finish()
    }
}

impl Poller {
    /// A poller with no descriptors. The epoll instance and break pipe are
    /// created at the first registration, which reports their errors, so
    /// this does not fail today; it returns a `Result` so that eager set-up
    /// can be added without breaking callers.
    pub fn new() -> io::Result<Poller> {
        Ok(Poller {
            epoll: OnceLock::new(),
            init_lock: Mutex::new(()),
            idle: NoNetpoll::default(),
            wake_sig: AtomicBool::new(false),
            cache: PollCache::new(),
            pending_delta: Arc::new(AtomicI32::new(0)),
        })
    }

    /// The poller installed in the calling goroutine's runtime, if that is a
    /// `Poller` (via `gort_runtime::current_netpoll` and a downcast).
    pub fn current() -> Option<Arc<Poller>> {
        let np = gort_runtime::current_netpoll()?;
        let any: Arc<dyn std::any::Any + Send + Sync> = np;
        any.downcast::<Poller>().ok()
    }

    // ANCHOR: netpollGenericInit
    /// The epoll instance, created on first use (Go's `netpollGenericInit`).
    pub(crate) fn netpollinit(&self) -> io::Result<&Epoll> {
        if let Some(ep) = self.epoll.get() {
            return Ok(ep);
        }
        let _g = self.init_lock.lock();
        if let Some(ep) = self.epoll.get() {
            return Ok(ep);
        }
        let ep = Epoll::netpollinit()?;
        // We hold the init lock and saw it unset, so this stores `ep`.
        let ep = self.epoll.get_or_init(|| ep);
        // An M may be asleep in the pre-epoll `idle` wait; wake it so that
        // its next sleep is an epoll_wait that sees our descriptors.
        self.idle.netpoll_break();
        Ok(ep)
    }
    // ANCHOR_END: netpollGenericInit

    /// Whether `fd` is one of the poller's own descriptors (Go's
    /// `netpollIsPollDescriptor`).
    #[doc(alias = "netpollIsPollDescriptor")]
    pub fn is_poll_descriptor(&self, fd: RawFd) -> bool {
        use std::os::fd::AsRawFd;
        self.epoll.get().is_some_and(|ep| {
            fd == ep.epfd.as_raw_fd()
                || fd == ep.break_r.as_raw_fd()
                || fd == ep.break_w.as_raw_fd()
        })
    }

    /// How many descriptors are registered.
    pub fn registered(&self) -> usize {
        self.cache.len()
    }

    /// Go's `netpollclose`: `EPOLL_CTL_DEL`. An error (the descriptor was
    /// already closed, breaking `poll_open`'s contract) is ignored, as Go
    /// ignores the errno.
    pub(crate) fn netpollclose(&self, fd: RawFd) {
        if let Some(ep) = self.epoll.get() {
            // SAFETY: poll_open's contract keeps `fd` open until the handle
            // is closed, which is what is calling us.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            let _ = epoll::delete(&ep.epfd, fd);
        }
    }

    /// Takes the waiter-count change recorded outside `netpoll`.
    fn take_pending(&self) -> i32 {
        // Relaxed: see `pending_delta`; the count publishes no data.
        self.pending_delta.swap(0, Ordering::Relaxed)
    }

    // ANCHOR: epollwait
    /// `epoll_wait` for at most `waitms` (Go's clamped delay) into `buf`;
    /// returns how many events arrived, or `None` when a timed wait was
    /// interrupted and the caller should recalculate its delay.
    fn wait(ep: &Epoll, buf: &mut [epoll::Event], waitms: i32) -> Option<usize> {
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
            match epoll::wait(&ep.epfd, &mut *buf, timeout) {
                Ok(n) => return Some(n),
                // A timed sleep that a signal interrupted returns, so that
                // the scheduler recomputes how long to sleep; a poll or an
                // unbounded sleep just retries.
                Err(Errno::INTR) if waitms > 0 => return None,
                Err(Errno::INTR) => continue,
                Err(e) => fatal(&format!(
                    "runtime: netpoll failed: epoll_wait on fd {:?} failed with {e}",
                    ep.epfd
                )),
            }
        }
    }
    // ANCHOR_END: epollwait

    // ANCHOR: deliver
    /// Delivers one batch of events (the loop body of Go's `netpoll`).
    /// Factored out so that tests can hand it events taken from epoll
    /// earlier, as a concurrent `netpoll` would.
    pub(crate) fn deliver(
        &self,
        ep: &Epoll,
        events: &[epoll::Event],
        blocking: bool,
        ready: &mut Vec<Gp>,
    ) -> i32 {
        let mut delta = 0;
        // One read lock for the batch: `poll_close` frees slots under the
        // write lock, so no descriptor is freed while we deliver to it.
        let cache = self.cache.inner.read();
        for ev in events {
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
                if blocking {
                    // A break may be seen by a non-blocking poll; only a
                    // blocking one consumes it (see the module doc).
                    ep.drain();
                    // Relaxed: see `wake_sig`; after this a new break writes.
                    self.wake_sig.store(false, Ordering::Relaxed);
                }
                continue;
            }
            let read = EventFlags::IN | EventFlags::RDHUP | EventFlags::HUP | EventFlags::ERR;
            let write = EventFlags::OUT | EventFlags::HUP | EventFlags::ERR;
            let mode = match (flags.intersects(read), flags.intersects(write)) {
                (true, true) => Mode::ReadWrite,
                (true, false) => Mode::Read,
                (false, true) => Mode::Write,
                (false, false) => continue,
            };
            let (index, tag) = unpack_data(data);
            // Go's `pd.fdseq.Load() == tag`: the event is for the current
            // registration of this slot, not one that was closed after
            // epoll_wait returned it.
            match cache.slots.get(index as usize) {
                Some(pd) if pd.fdseq == tag => {
                    pd.set_event_err(flags == EventFlags::ERR);
                    if flags.intersects(EventFlags::RDHUP | EventFlags::HUP | EventFlags::ERR) {
                        pd.set_read_hup();
                    }
                    delta += netpollready(ready, pd, mode);
                }
                _ => {}
            }
        }
        delta
    }
    // ANCHOR_END: deliver

    /// Collects events without delivering them: half of `netpoll`, for tests.
    #[cfg(test)]
    pub(crate) fn collect(&self, waitms: i32) -> Vec<epoll::Event> {
        let ep = self.epoll.get().expect("collect before netpollinit");
        let mut buf = [EMPTY_EVENT; MAX_EVENTS];
        let n = Self::wait(ep, &mut buf, waitms).unwrap_or(0);
        buf[..n].to_vec()
    }

    /// The epoll instance, for tests.
    #[cfg(test)]
    pub(crate) fn epoll(&self) -> &Epoll {
        self.epoll.get().expect("epoll before netpollinit")
    }
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

impl Netpoll for Poller {
    // ANCHOR: netpoll
    /// Go's `netpoll(delay)`: waits up to `delay` ns (< 0 forever, 0 not at
    /// all) for events, readies the waiters of the descriptors they name and
    /// returns the change in the count of netpoll waiters.
    fn netpoll(&self, delay: i64, ready: &mut Vec<Gp>) -> i32 {
        let Some(ep) = self.epoll.get() else {
            // No descriptor was ever registered: just sleep, as the runtime's
            // default poller does, until `delay` or a break.
            return self.idle.netpoll(delay, ready) + self.take_pending();
        };
        let waitms = delay_to_waitms(delay);
        let mut buf = [EMPTY_EVENT; MAX_EVENTS];
        let delta = match Self::wait(ep, &mut buf, waitms) {
            Some(n) => self.deliver(ep, &buf[..n], delay != 0, ready),
            None => 0,
        };
        delta + self.take_pending()
    }
    // ANCHOR_END: netpoll

    // ANCHOR: netpollBreak
    /// Go's `netpollBreak`: makes a blocked (or the next blocking) `netpoll`
    /// return. Concurrent breaks are folded into one byte by the wake flag.
    fn netpoll_break(&self) {
        let Some(ep) = self.epoll.get() else {
            self.idle.netpoll_break();
            return;
        };
        // A break already in flight will do. Relaxed: see `wake_sig`.
        if self
            .wake_sig
            .compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        for _ in 0..1000 {
            match rustix::io::write(&ep.break_w, &[0]) {
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
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epfd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};

    use super::*;

    fn pipe() -> (OwnedFd, OwnedFd) {
        rustix::pipe::pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).unwrap()
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

    /// Go's fdseq scenario: epoll_wait returned an event for a descriptor,
    /// which is then closed, its number and slot reused by a new
    /// registration, before the event is delivered. The new owner must not
    /// see it; a real event for the new owner still arrives.
    #[test]
    fn stale_event_for_a_reused_slot_and_fd_wakes_nobody() {
        let poller = Arc::new(Poller::new().unwrap());
        let (r1, w1) = pipe();
        // SAFETY: `r1` is closed only after `pd1` is dropped.
        let pd1 = unsafe { poller.poll_open(r1.as_fd()) }.unwrap();
        rustix::io::write(&w1, b"x").unwrap();
        let stale = poller.collect(0);
        let (index, tag) = (pd1.desc().index, pd1.desc().fdseq);
        assert!(stale.iter().any(|ev| {
            ev.data.u64() == pack_data(index, tag) && {
                let f = ev.flags;
                f.contains(EventFlags::IN)
            }
        }));
        let old_fd = r1.as_raw_fd();
        drop(pd1);
        drop((r1, w1));

        let (r2, w2) = pipe();
        // SAFETY: `r2` is closed only after `pd2` is dropped.
        let pd2 = unsafe { poller.poll_open(r2.as_fd()) }.unwrap();
        assert_eq!(pd2.desc().index, index, "the slab reuses the freed slot");
        assert_ne!(pd2.desc().fdseq, tag);
        if r2.as_raw_fd() != old_fd {
            eprintln!("note: fd {old_fd} was not reused (a parallel test took it)");
        }
        let mut ready = Vec::new();
        assert_eq!(poller.deliver(poller.epoll(), &stale, false, &mut ready), 0);
        assert!(ready.is_empty());
        // No readiness was recorded for the new owner: a wait would park.
        assert!(!pd2.desc().rg.prepare());
        assert!(!pd2.desc().rg.finish());

        // A genuine event for the new registration is delivered.
        rustix::io::write(&w2, b"y").unwrap();
        let fresh = poller.collect(0);
        poller.deliver(poller.epoll(), &fresh, false, &mut ready);
        assert!(pd2.desc().rg.prepare(), "READY was left for the next wait");
        drop(pd2);
        assert_eq!(poller.registered(), 0);
    }

    #[test]
    fn concurrent_breaks_fold_into_one_byte_drained_only_by_a_blocking_poll() {
        let poller = Arc::new(Poller::new().unwrap());
        let ep = poller.netpollinit().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let p = poller.clone();
                std::thread::spawn(move || (0..25).for_each(|_| p.netpoll_break()))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(rustix::io::ioctl_fionread(&ep.break_r).unwrap(), 1);
        // A poll that does not block leaves it.
        assert_eq!(poller.netpoll(0, &mut Vec::new()), 0);
        assert_eq!(rustix::io::ioctl_fionread(&ep.break_r).unwrap(), 1);
        // A blocking one returns at once and drains it; the flag is reset.
        assert_eq!(poller.netpoll(-1, &mut Vec::new()), 0);
        assert_eq!(rustix::io::ioctl_fionread(&ep.break_r).unwrap(), 0);
        assert!(!poller.wake_sig.load(Ordering::Relaxed));
        poller.netpoll_break();
        assert_eq!(rustix::io::ioctl_fionread(&ep.break_r).unwrap(), 1);
    }

    #[test]
    fn epoll_error_sets_event_err_and_fails_reads_only() {
        let poller = Arc::new(Poller::new().unwrap());
        let (r, _w) = pipe();
        // SAFETY: `r` is closed only after `pd` is dropped.
        let pd = unsafe { poller.poll_open(r.as_fd()) }.unwrap();
        let data = EventData::new_u64(pack_data(pd.desc().index, pd.desc().fdseq));
        let ev = |flags| epoll::Event { flags, data };
        let mut ready = Vec::new();
        // EPOLLERR alone (Go's `ev.Events == EPOLLERR`) records the error.
        poller.deliver(poller.epoll(), &[ev(EventFlags::ERR)], false, &mut ready);
        assert!(pd.event_err());
        assert_eq!(
            crate::netpoll::netpollcheckerr(pd.desc(), Mode::Read),
            Err(crate::PollError::NotPollable)
        );
        assert_eq!(
            crate::netpoll::netpollcheckerr(pd.desc(), Mode::Write),
            Ok(())
        );
        // It made both sides ready.
        assert!(pd.desc().rg.prepare() && pd.desc().wg.prepare());
        // Any other event clears it again.
        poller.deliver(
            poller.epoll(),
            &[ev(EventFlags::IN | EventFlags::ERR)],
            false,
            &mut ready,
        );
        assert!(!pd.event_err());
        assert!(ready.is_empty());
        drop(pd);
    }
}
