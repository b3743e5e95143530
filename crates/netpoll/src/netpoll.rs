//! Mirrors Go src/runtime/netpoll.go (go1.27): the platform-independent netpoller: the backend contract, pollDesc, the pollcache, the Poller and the poll_runtime_* entry points.
//!
//! Go's netpoll.go opens with the list of functions that each platform file
//! (`netpoll_epoll.go`, `netpoll_kqueue.go`, ...) must define; everything
//! else in it is shared. This file keeps that split. The list is the
//! [`PollBackend`] trait, each method carrying the contract this file relies
//! on; [`Poller`] is the shared rest, holding one backend: the poll cache of
//! registered descriptors, the count of waiters released outside `netpoll`,
//! the folding of breaks into one signal, and the lazy creation of the
//! backend with the sleep that stands in for it until then. The Linux
//! backend is `Epoll` (netpoll_epoll.rs), which implements the trait with
//! epoll system calls and knows nothing of pollDescs; lib.rs names it once,
//! as `DefaultBackend`, and this file never names it.
//!
//! Every descriptor the poll layer wants to wait on gets a [`PollDesc`] (Go's
//! `pollDesc`): two wake-up words, `rg` for the reader and `wg` for the
//! writer (each a [`ParkSlot`], gort's rendering of Go's
//! pdNil/pdReady/pdWait/G word), the read and write deadlines with their
//! timers, and a summary word `info` that the lock-free paths read instead
//! of taking the lock.
//!
//! Three kinds of events end a wait:
//!
//! * **I/O readiness**, reported by the backend's `netpoll` as an [`Event`]
//!   and passed to [`deliver`], which calls [`netpollready`]: the slot goes
//!   to READY and a parked goroutine is handed back to the scheduler in
//!   `netpoll`'s list.
//! * **A deadline**, fired by a runtime timer ([`netpolldeadlineimpl`]) or set
//!   in the past by [`PollDescHandle::poll_set_deadline`]: the deadline is
//!   marked expired in `info`, then the slot is emptied without READY, so
//!   the waiter wakes, re-checks `info` and reports [`PollError::Timeout`].
//! * **Close**, [`PollDescHandle::poll_unblock`]: as a deadline, with
//!   [`PollError::Closing`].
//!
//! The waiter ([`netpollblock`]) announces itself in its slot, *then* reads
//! `info`; deadline and close paths update `info`, *then* read the slot. A
//! SeqCst fence on each side between the two steps makes sure at least one
//! of them sees the other (`fence_store_load` in netpoll_info.rs, which
//! holds this handshake and its loom models).
//!
//! # How a stale event is kept away from a new owner (Go's `fdseq`)
//!
//! Go never frees a pollDesc (they are type-stable, recycled through the
//! pollcache), stores its address in the kernel's event together with a
//! small sequence number `fdseq`, and bumps `fdseq` when the descriptor is
//! freed: an event that the kernel returned for the old owner, processed
//! after the close, carries an old tag and is dropped. gort's [`PollCache`]
//! is a [`Slab`] of `Arc<PollDesc>`: what the backend stores with a
//! registration is a [`PollKey`], the slab index plus a tag drawn from a
//! per-cache counter at open, so every registration has its own tag (the
//! 32-bit counter wraps after 2^32 registrations; a wrong delivery would
//! need the same slot to come back with the same tag while the stale event
//! is still in flight, where Go's 20-bit tag is per pollDesc). `netpoll`
//! looks events up under the cache's read lock and delivers only to the
//! descriptor in that slot *with that tag*; `poll_close` removes the
//! descriptor under the write lock, so once it has returned no `netpoll`
//! touches it, and an event for a reused slot (and a reused fd number) is
//! dropped instead of waking the new owner.
//!
//! # Waiting outside a goroutine
//!
//! Only goroutines can wait here: the wake-up of a parked goroutine comes
//! from the scheduler's `netpoll` calls, which happen only while the runtime
//! counts netpoll waiters, and an OS thread cannot be counted. So
//! [`PollDescHandle::poll_wait`] called where [`gort_runtime::can_park`] is
//! false (a plain thread, a timer callback, inside
//! [`gort_runtime::blocking`]) returns [`PollError::NotPollable`] (after the
//! closing and deadline checks), as Go's poll layer does for a descriptor it
//! cannot poll: the caller falls back to blocking I/O. Run such code in a
//! goroutine (`Runtime::block_on`) to wait.
//!
//! The other way round, a goroutine whose runtime has no [`Poller`] could
//! park but would never be woken: [`poll_runtime_poll_open`] fails there
//! with [`NoPollerError`], which gort-net reports when a socket is made.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use gort_runtime::can_park;
use gort_runtime::hooks::{
    Gp, Netpoll, NoNetpoll, ParkSlot, RawTimer, WaitReason, gopark_cancellable, netpoll_add_waiter,
    token_goroutine, wake_token,
};
use gort_runtime::time::nanotime;
use parking_lot::{Mutex, RwLock};
use slab::Slab;

use crate::DefaultBackend;
use crate::netpoll_info::{
    Mode, POLL_CLOSING, POLL_EVENT_ERR, POLL_EXPIRED_READ, POLL_EXPIRED_WRITE, PollError, PollInfo,
    block, checkerr, fence_store_load,
};

// ANCHOR: PollBackend
/// The platform half of the netpoller: the functions Go's netpoll.go asks of
/// every platform file, as one trait. A backend is thin: its system calls,
/// and the translation of what the kernel reports into [`Event`]s. The
/// state around it (the poll cache and its tags, waiter counts, the wake
/// flag, lazy initialisation) is [`Poller`]'s and shared by every backend.
///
/// What the poller relies on:
///
/// * **Edge-triggered, both directions, registered once.** After
///   `netpollopen(fd, key)`, each time `fd` *becomes* readable or writable,
///   or hangs up, or fails, some later `netpoll` reports an [`Event`] with
///   `key`, until `netpollclose(fd)`. The poller never re-arms a
///   registration, and the poll layer waits only after its system call
///   returned `EAGAIN`, so an edge after that call must not be lost.
///   Reporting levels instead of edges is also correct, only slower. (Go's
///   `netpollarm` re-arms a one-shot registration before each wait, for
///   Solaris event ports, AIX and wasip1; no backend here needs it, so it
///   has no method. One that does would add it and `poll_wait` would call
///   it before parking.)
/// * **Spurious reports are harmless, lost ones are not.** `netpoll` may
///   return early with nothing (a signal, a break), report a direction that
///   is no longer ready, or report a `key` whose registration was closed
///   after the kernel queued the event. The poller drops keys whose tag is
///   not current, and a woken waiter retries its system call.
/// * **One break signal at a time.** The poller folds concurrent breaks
///   with its wake flag (`wake_sig`), so a backend need not count them; it
///   must still accept a break while an earlier one is pending. A break is
///   consumed only by a blocking `netpoll` (`delay != 0`), which says so by
///   returning [`BreakOutcome::Consumed`]; a `netpoll(0)` that sees one
///   leaves it for the blocked poller it was meant for.
/// * **Threads.** `netpollinit` runs under the poller's init lock, until
///   it first succeeds; the poller keeps that one backend for its life.
///   Every other method may run on any thread, concurrently with any other
///   (`netpoll` too: the scheduler's poller blocks in it while other threads
///   take non-blocking looks), so a backend keeps no state of its own
///   beyond its kernel objects, or guards it itself.
/// * **No unwinding.** `netpoll` and `netpoll_break` run on the scheduler's
///   stack, where a panic must not unwind: a backend whose own descriptors
///   fail aborts the process (Go's `throw`).
pub(crate) trait PollBackend: Sized + Send + Sync + 'static {
    /// Go's `netpollinit`: creates the kernel objects (for epoll, the epoll
    /// instance and its break pipe). Called at the first registration; an
    /// error fails that registration, and the next one tries again.
    fn netpollinit() -> io::Result<Self>;

    /// Go's `netpollopen`: starts reporting readiness of `fd` in both
    /// directions, edge-triggered, with `key` in every event, until
    /// `netpollclose`. An error leaves `fd` unregistered and fails the
    /// registration (epoll refuses a regular file with `EPERM`, for one).
    /// The caller keeps `fd` open until it has called `netpollclose`.
    fn netpollopen(&self, fd: BorrowedFd<'_>, key: PollKey) -> io::Result<()>;

    /// Go's `netpollclose`: stops reporting `fd`, once per successful
    /// `netpollopen`, before `fd` is closed. Events for it may still be in
    /// flight (see "spurious reports" above). The poller ignores the error,
    /// as Go ignores the errno.
    fn netpollclose(&self, fd: BorrowedFd<'_>) -> io::Result<()>;

    /// Go's `netpoll(delay)`: waits for at most `delay` nanoseconds (< 0: no
    /// limit, 0: just look) and passes each event to `netpollready`, in the
    /// order the kernel reported them, before returning. Returns whether it
    /// consumed a pending break, which only a blocking call (`delay != 0`)
    /// may do.
    fn netpoll(&self, delay: i64, netpollready: impl FnMut(Event)) -> BreakOutcome;

    /// Go's `netpollBreak`: makes a `netpoll` that is blocked, or the next
    /// one to block, return soon. Must not block.
    fn netpoll_break(&self);

    /// Go's `netpollIsPollDescriptor`: whether `fd` is one of the backend's
    /// own descriptors.
    fn is_poll_descriptor(&self, fd: RawFd) -> bool;
}

/// One readiness report of a backend for a registered descriptor, in the
/// poller's terms (what Go's platform `netpoll` passes to `netpollready`,
/// with the two conditions the pollDesc records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    /// The registration, as given to `netpollopen`.
    pub(crate) key: PollKey,
    /// The side(s) to wake. A condition that ends a side counts as
    /// readiness of that side: a hang-up of the peer's writing wakes the
    /// reader, a hang-up or an error wakes both, and each finds out with its
    /// system call.
    pub(crate) mode: Mode,
    /// The read side has ended for good (the peer's FIN, a hang-up or an
    /// error). gort's, not Go's: see `PollDesc::read_hup`.
    pub(crate) read_hup: bool,
    /// The kernel reported an error and nothing else (Go's argument to
    /// `setEventErr`): read waits fail with `NotPollable` until an event
    /// without it arrives.
    pub(crate) error: bool,
}

/// What one [`PollBackend::netpoll`] did with a pending break.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BreakOutcome {
    /// No break was pending, or this poll did not block and left it.
    NotConsumed,
    /// This blocking poll consumed a break: the next `netpoll_break` must
    /// signal again (the poller clears its wake flag).
    Consumed,
}
// ANCHOR_END: PollBackend

/// A network poller descriptor (Go's `pollDesc`).
///
/// Owned by the poll cache (`Arc` in a slab slot) from open to close, and by
/// the [`PollDescHandle`] that the poll layer holds. Timer callbacks hold a
/// `Weak`, so a timer that outlives its descriptor does nothing.
// ANCHOR: pollDesc
struct PollDesc {
    /// The descriptor. Constant; the handle's owner keeps it open until
    /// `poll_close` (see [`Poller::poll_open`]).
    fd: RawFd,
    /// Our slot in the poll cache. Constant.
    index: u32,
    /// The tag of this registration, which the backend's events carry with
    /// `index` (Go's `fdseq`; see [`PollKey`]). Constant: a new
    /// registration is a new `PollDesc` with a new tag.
    fdseq: u32,
    /// Summary of the locked state for lock-free readers (Go's
    /// `atomicInfo`; the bit layout is drawn beside `POLL_CLOSING` in
    /// netpoll_info.rs). Written by `publish_info` (under `lock`) and
    /// `set_event_err` (from `netpoll`, without it) with CAS loops.
    info: PollInfo,
    /// The reader's wake-up word (Go's `rg`).
    rg: ParkSlot,
    /// The writer's wake-up word (Go's `wg`).
    wg: ParkSlot,
    /// Set for good once the backend reported that the read side ended
    /// ([`Event::read_hup`]; for epoll `EPOLLRDHUP`, `EPOLLHUP` or
    /// `EPOLLERR`: the peer's FIN or a reset). gort's, not Go's: the poll
    /// layer's read skips a `read(2)` after a short read only while this is
    /// clear, because a short read can return data and leave the end of
    /// file behind it, and the event that announced both may already have
    /// been consumed. Constant once set (the kernel's condition is final
    /// too).
    read_hup: AtomicBool,
    /// Deadlines, timers and the closing flag (Go's `lock` and the fields it
    /// protects).
    lock: Mutex<PdLocked>,
    /// Where released waiters are counted when they are woken outside
    /// `netpoll` (shared with the poller: [`Poller::pending_delta`]).
    pending_delta: Arc<AtomicI32>,
    /// Ourselves, for the timer callbacks created lazily.
    me: Weak<PollDesc>,
}

/// The part of a pollDesc under its lock.
struct PdLocked {
    /// `poll_unblock` ran: every wait fails with `Closing` (Go's `closing`).
    closing: bool,
    /// `poll_close` ran: the descriptor left the cache and the backend.
    freed: bool,
    /// Whether the read timer is armed (Go's `rrun`).
    rrun: bool,
    /// Whether the write timer is armed (Go's `wrun`).
    wrun: bool,
    /// Generation of the read timer's arming (Go's `rseq`): bumped whenever
    /// the read deadline is re-armed or cleared and on close; each arming
    /// hands the timer the value it had, and a fire carrying any other
    /// value is stale and ignored.
    rseq: usize,
    /// Generation of the write timer's arming (Go's `wseq`), as `rseq`.
    wseq: usize,
    /// Read deadline: 0 none, > 0 a nanotime, -1 expired (Go's `rd`).
    rd: i64,
    /// Write deadline, as `rd` (Go's `wd`).
    wd: i64,
    /// Read deadline timer (Go's `rt`), created at the first read deadline.
    /// While the two deadlines are equal (`combo`), it serves both.
    rt: Option<RawTimer>,
    /// Write deadline timer (Go's `wt`), created at the first write deadline.
    wt: Option<RawTimer>,
}
// ANCHOR_END: pollDesc

impl PollDesc {
    fn new(me: Weak<PollDesc>, fd: RawFd, index: u32, fdseq: u32, pending: Arc<AtomicI32>) -> Self {
        PollDesc {
            fd,
            index,
            fdseq,
            info: PollInfo::new(),
            rg: ParkSlot::new(),
            wg: ParkSlot::new(),
            read_hup: AtomicBool::new(false),
            lock: Mutex::new(PdLocked {
                closing: false,
                freed: false,
                rrun: false,
                wrun: false,
                rseq: 0,
                wseq: 0,
                rd: 0,
                wd: 0,
                rt: None,
                wt: None,
            }),
            pending_delta: pending,
            me,
        }
    }

    /// The summary word (Go's `pd.info()`).
    fn info(&self) -> u32 {
        self.info.load()
    }

    /// Recomputes the locked bits of `info` from `l` (Go's `publishInfo`).
    /// Must be called under the lock after anything that changes them, and
    /// before unblocking a waiter that should see the change.
    fn publish_info(&self, l: &PdLocked) {
        let mut bits = 0;
        if l.closing {
            bits |= POLL_CLOSING;
        }
        if l.rd < 0 {
            bits |= POLL_EXPIRED_READ;
        }
        if l.wd < 0 {
            bits |= POLL_EXPIRED_WRITE;
        }
        self.info.publish(bits);
    }

    /// The key the backend reports this registration's events with.
    fn key(&self) -> PollKey {
        PollKey {
            index: self.index,
            fdseq: self.fdseq,
        }
    }

    /// Records a read-side hang-up (see `read_hup`). [`deliver`] calls it
    /// before it readies the waiters of the same event.
    fn set_read_hup(&self) {
        // Relaxed load: a fast path that skips the store once set. Release
        // store: a reader that consumes the READY this event leaves (an
        // acquire in the park slot) sees the flag.
        if !self.read_hup.load(Ordering::Relaxed) {
            self.read_hup.store(true, Ordering::Release);
        }
    }

    /// Sets or clears the event-error bit (Go's `setEventErr`).
    fn set_event_err(&self, on: bool) {
        self.info.set_event_err(on);
    }

    fn slot(&self, mode: Mode) -> &ParkSlot {
        if mode == Mode::Write {
            &self.wg
        } else {
            &self.rg
        }
    }
}

/// Go's `netpollcheckerr`: the error a wait in `mode` must report now, if any.
fn netpollcheckerr(pd: &PollDesc, mode: Mode) -> Result<(), PollError> {
    checkerr(pd.info(), mode)
}

/// Go's `netpollblock`: waits until the descriptor is ready in `mode`
/// (true), or until a deadline or close releases the wait (false). With
/// `waitio`, only readiness ends it. The caller must be a goroutine that may
/// park, and the only waiter in this mode (else "runtime: double wait").
// ANCHOR: netpollblock
fn netpollblock(pd: &PollDesc, mode: Mode, waitio: bool) -> bool {
    let slot = pd.slot(mode);
    block(slot, &pd.info, mode, waitio, || {
        // Go's netpollblockcommit, run on g0 once we are parked: WAIT → our
        // G, and count us as a netpoll waiter if that worked. If a waker got
        // in first the slot holds READY or NIL and the park is called off.
        // A dropped runtime may take us back out of the slot (what a
        // deadline does, without the wake-up) and unwind us from here; the
        // waiter we counted is then uncounted through `pending_delta`, as
        // `wake_released` does.
        gopark_cancellable(
            |gp: Gp| {
                let ok = slot.commit(gp.as_usize());
                if ok {
                    netpoll_add_waiter();
                }
                ok
            },
            WaitReason::IoWait,
            &|| {
                let taken = slot.unblock(false).is_some();
                if taken {
                    // Relaxed: as in `wake_released`.
                    pd.pending_delta.fetch_add(-1, Ordering::Relaxed);
                }
                taken
            },
        );
    })
}
// ANCHOR_END: netpollblock

/// Go's `netpollunblock`: releases the waiter in `mode`, leaving READY
/// behind if `ioready` (else NIL). Returns the waiter's token, which the
/// caller must wake or hand to the scheduler; a released goroutine counts
/// -1 in `delta`, to be applied once it is readied.
// ANCHOR: netpollunblock
fn netpollunblock(pd: &PollDesc, mode: Mode, ioready: bool, delta: &mut i32) -> Option<usize> {
    let token = pd.slot(mode).unblock(ioready)?;
    if token_goroutine(token).is_some() {
        *delta -= 1;
    }
    Some(token)
}
// ANCHOR_END: netpollunblock

/// Go's `netpollready`: the descriptor is ready in `mode` (`ReadWrite` for
/// both); [`deliver`] calls it for each current event. Parked goroutines go
/// to `to_run` for the scheduler; a waiter that is an OS thread (none
/// today, see the module doc) is woken directly. Returns the change to the
/// count of netpoll waiters.
// ANCHOR: netpollready
fn netpollready(to_run: &mut Vec<Gp>, pd: &PollDesc, mode: Mode) -> i32 {
    let mut delta = 0;
    let mut tokens = [None, None];
    if mode.reads() {
        tokens[0] = netpollunblock(pd, Mode::Read, true, &mut delta);
    }
    if mode.writes() {
        tokens[1] = netpollunblock(pd, Mode::Write, true, &mut delta);
    }
    for token in tokens.into_iter().flatten() {
        match token_goroutine(token) {
            Some(gp) => to_run.push(gp),
            // SAFETY: `unblock` handed us this token; it is woken only here.
            None => unsafe { wake_token(token) },
        }
    }
    delta
}
// ANCHOR_END: netpollready

/// Wakes the waiters that a deadline or close path released (Go's
/// `netpollgoready`) and records their count for `netpoll` to report
/// (Go's `netpollAdjustWaiters`; see [`Poller`]).
// ANCHOR: netpollgoready
fn wake_released(pd: &PollDesc, tokens: [Option<usize>; 2], delta: i32) {
    for token in tokens.into_iter().flatten() {
        // SAFETY: `netpollunblock` handed us this token; it is woken only here.
        unsafe { wake_token(token) };
    }
    if delta != 0 {
        // Relaxed: a count folded into the next netpoll's return value; no
        // data is published through it, and a late fold only makes the
        // scheduler poll once more than needed.
        pd.pending_delta.fetch_add(delta, Ordering::Relaxed);
    }
}
// ANCHOR_END: netpollgoready

/// Which timer fired.
#[derive(Clone, Copy)]
enum TimerKind {
    Read,
    Write,
}

/// Go's `netpolldeadlineimpl` (through `netpollReadDeadline`,
/// `netpollWriteDeadline` and, for a shared timer, `netpollDeadline`): a
/// deadline timer fired with the `seq` of its arming; expire the
/// deadline(s) it stands for and release the waiters.
///
/// A fire whose `seq` is not the current `rseq` (for the read or shared
/// timer) or `wseq` (for the write timer) belongs to an arming that
/// `poll_set_deadline` or `poll_unblock` has since replaced, and is
/// dropped: a stale timer never fails a reset deadline.
// ANCHOR: netpolldeadlineimpl
#[doc(
    alias = "netpollDeadline",
    alias = "netpollReadDeadline",
    alias = "netpollWriteDeadline"
)]
fn netpolldeadlineimpl(pd: &PollDesc, seq: usize, read: bool, write: bool) {
    let mut delta = 0;
    let mut tokens = [None, None];
    {
        let mut l = pd.lock.lock();
        let current = if read { l.rseq } else { l.wseq };
        if seq != current {
            return;
        }
        if read {
            if l.rd <= 0 || !l.rrun {
                panic!("runtime: inconsistent read deadline");
            }
            l.rd = -1;
        }
        if write {
            if l.wd <= 0 || (!l.wrun && !read) {
                panic!("runtime: inconsistent write deadline");
            }
            l.wd = -1;
        }
        pd.publish_info(&l);
        fence_store_load();
        if read {
            tokens[0] = netpollunblock(pd, Mode::Read, false, &mut delta);
        }
        if write {
            tokens[1] = netpollunblock(pd, Mode::Write, false, &mut delta);
        }
    }
    wake_released(pd, tokens, delta);
}
// ANCHOR_END: netpolldeadlineimpl

/// The callback of a deadline timer: finds its descriptor, if it still
/// exists, and expires the deadline(s) it enforces. Go arms the read timer
/// with `netpollDeadline` (both directions) when the two deadlines are
/// equal and with `netpollReadDeadline` otherwise; gort's timer has one
/// callback, so it asks which case holds when it fires. That is the case
/// of its arming: the `seq` check in [`netpolldeadlineimpl`] drops the fire
/// if either deadline changed since.
fn deadline_timer(pd: &PollDesc, which: TimerKind) -> RawTimer {
    let weak = pd.me.clone();
    RawTimer::new(move |seq| {
        let Some(pd) = weak.upgrade() else { return };
        match which {
            TimerKind::Read => {
                let combo = {
                    let l = pd.lock.lock();
                    l.rd > 0 && l.rd == l.wd
                };
                netpolldeadlineimpl(&pd, seq, true, combo);
            }
            TimerKind::Write => netpolldeadlineimpl(&pd, seq, false, true),
        }
    })
}

/// Arms `t` (creating it on first use) to fire at `when` with tag `seq`
/// (Go's `timer.modify(when, 0, f, pd, seq)`); false if no timer can be
/// made on this thread.
fn arm(pd: &PollDesc, t: &mut Option<RawTimer>, which: TimerKind, when: i64, seq: usize) -> bool {
    if t.is_none() {
        // `RawTimer::new` attaches the timer to the calling goroutine's
        // runtime, and needs a goroutine to find it.
        if !can_park() {
            return false;
        }
        *t = Some(deadline_timer(pd, which));
    }
    if let Some(t) = t {
        t.reset(when, seq);
    }
    true
}

fn disarm(t: &Option<RawTimer>) {
    if let Some(t) = t {
        t.stop();
    }
}

/// The descriptors registered with one poller (Go's `pollCache`).
///
/// Go's pollcache is a free list of type-stable pollDescs; here the slab
/// hands out slots, each holding an `Arc<PollDesc>` whose address is stable
/// while registered, and the slot index with a fresh tag is the [`PollKey`]
/// the backend carries (see the module doc).
#[doc(alias = "pollCache")]
struct PollCache {
    /// Write-locked by open and close, read-locked by `netpoll` while it
    /// delivers a batch of events.
    inner: RwLock<CacheInner>,
}

/// The poll cache under its lock.
struct CacheInner {
    /// The registered descriptors.
    slots: Slab<Arc<PollDesc>>,
    /// The tag of the last registration; each open takes the next one.
    last_seq: u32,
}

/// Slot indices are packed in 32 bits, and `u32::MAX` is not used so that
/// no key packs to [`PollKey::NEVER`], which a backend may use to mark its
/// own descriptors (epoll's break pipe).
const MAX_SLOTS: usize = u32::MAX as usize;

impl PollCache {
    fn new() -> PollCache {
        PollCache {
            inner: RwLock::new(CacheInner {
                slots: Slab::new(),
                last_seq: 0,
            }),
        }
    }

    /// Takes a slot for `fd` (Go's `pollcache.alloc` plus the resetting
    /// half of `poll_runtime_pollOpen`).
    // ANCHOR: alloc
    fn alloc(&self, fd: RawFd, pending: &Arc<AtomicI32>) -> io::Result<Arc<PollDesc>> {
        let mut c = self.inner.write();
        if c.slots.len() >= MAX_SLOTS {
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::NOMEM.raw_os_error(),
            ));
        }
        c.last_seq = c.last_seq.wrapping_add(1);
        let seq = c.last_seq;
        let entry = c.slots.vacant_entry();
        let index = entry.key() as u32;
        let pd = Arc::new_cyclic(|me| PollDesc::new(me.clone(), fd, index, seq, pending.clone()));
        entry.insert(pd.clone());
        Ok(pd)
    }
    // ANCHOR_END: alloc

    /// Gives the slot back (Go's `pollcache.free`); from here `netpoll`
    /// drops events carrying its index and tag.
    // ANCHOR: free
    fn free(&self, pd: &Arc<PollDesc>) {
        let mut c = self.inner.write();
        let index = pd.index as usize;
        if c.slots.get(index).is_some_and(|cur| Arc::ptr_eq(cur, pd)) {
            c.slots.remove(index);
        }
    }
    // ANCHOR_END: free

    /// How many descriptors are registered.
    fn len(&self) -> usize {
        self.inner.read().slots.len()
    }
}

/// What a backend stores with a registration and hands back in its events
/// (Go's `taggedPointer`, which packs a pollDesc's address with its
/// `fdseq`): the pollDesc's slot in the poll cache and the tag of this
/// registration. A backend only stores and returns it; [`deliver`] reads it.
// ANCHOR: taggedPointerPack
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PollKey {
    /// The slot index, below `u32::MAX` (see `MAX_SLOTS`).
    index: u32,
    /// The registration's tag (Go's `fdseq`).
    fdseq: u32,
}

impl PollKey {
    /// A word that [`to_u64`](Self::to_u64) never returns (its index would
    /// be `u32::MAX`, which no slot has), for a backend to mark its own
    /// descriptors with.
    pub(crate) const NEVER: u64 = u64::MAX;

    /// The key as one 64-bit word (epoll's event data): the tag above the
    /// slot index.
    pub(crate) fn to_u64(self) -> u64 {
        (u64::from(self.fdseq) << 32) | u64::from(self.index)
    }

    /// The inverse of [`to_u64`](Self::to_u64).
    pub(crate) fn from_u64(data: u64) -> PollKey {
        PollKey {
            index: data as u32,
            fdseq: (data >> 32) as u32,
        }
    }
}
// ANCHOR_END: taggedPointerPack

/// The netpoller of one runtime: the platform backend (epoll on Linux,
/// created at the first registration) and the state every backend shares:
/// the registered descriptors, the wake flag that folds breaks, and the
/// count of waiters released outside `netpoll`.
///
/// The `gort` facade installs one in every runtime it builds (with the
/// runtime's hidden `Builder::netpoll` hook:
/// `Runtime::builder().netpoll(Arc::new(Poller::new()?))`); code running in
/// that runtime's goroutines finds it with [`Poller::current`] (that is how
/// [`poll_runtime_poll_open`] picks it).
pub struct Poller {
    /// Set once, by the first registration (Go's `netpollInited`), while
    /// holding `init_lock`.
    backend: OnceLock<DefaultBackend>,
    /// Serialises the creation of `backend` (Go's `netpollInitLock`).
    init_lock: Mutex<()>,
    /// The sleep used by `netpoll(delay)` until `backend` exists.
    idle: NoNetpoll,
    // ANCHOR: netpollWakeSig
    /// Set while a break signal is in flight (Go's `netpollWakeSig`).
    ///
    /// Only this word decides whether to signal: a break that finds it set
    /// does nothing, because the signal already sent (or about to be, by
    /// whoever set it) will wake the poller. The blocking poll that consumes
    /// the signal clears it afterwards. Relaxed suffices throughout: the
    /// flag publishes no other data (the wake-up travels through the
    /// backend's break descriptor), and the single-variable coherence order
    /// is all the argument needs: a break whose CAS reads the clearing store
    /// signals anew (at worst one spurious early return), one that reads an
    /// earlier 1 overlaps a poll that is already returning.
    wake_sig: AtomicBool,
    // ANCHOR_END: netpollWakeSig
    /// The registered descriptors.
    cache: PollCache,
    /// Waiters released outside `netpoll` (deadlines, close), as a negative
    /// count not yet reported to the scheduler. gort-runtime lets a poller
    /// report waiter-count changes only through `netpoll`'s return value, so
    /// the deadline and close paths add here and the next `netpoll` call
    /// returns it with its own delta (Go calls `netpollAdjustWaiters`
    /// directly). Until then the scheduler over-counts waiters, which only
    /// makes it poll once more. Shared with every pollDesc.
    pending_delta: Arc<AtomicI32>,
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("inited", &self.backend.get().is_some())
            .field("registered", &self.cache.len())
            .finish()
    }
}

impl Poller {
    /// A poller with no descriptors. The backend (the epoll instance and
    /// its break pipe) is created at the first registration, which reports
    /// its errors, so this does not fail today; it returns a `Result` so
    /// that eager set-up can be added without breaking callers.
    pub fn new() -> io::Result<Poller> {
        Ok(Poller {
            backend: OnceLock::new(),
            init_lock: Mutex::new(()),
            idle: NoNetpoll::default(),
            wake_sig: AtomicBool::new(false),
            cache: PollCache::new(),
            pending_delta: Arc::new(AtomicI32::new(0)),
        })
    }

    /// The poller installed in the calling goroutine's runtime, if that is a
    /// `Poller` (the runtime keeps it as its `Netpoll`; the runtime's
    /// `hooks::current_netpoll` hands it back typed). `None` on a plain
    /// thread, and in a runtime built without a `Poller`.
    pub fn current() -> Option<Arc<Poller>> {
        gort_runtime::hooks::current_netpoll::<Poller>()
    }

    // ANCHOR: netpollGenericInit
    /// The backend, created on first use (Go's `netpollGenericInit`).
    #[doc(alias = "netpollGenericInit")]
    fn netpoll_generic_init(&self) -> io::Result<&DefaultBackend> {
        if let Some(backend) = self.backend.get() {
            return Ok(backend);
        }
        let _g = self.init_lock.lock();
        if let Some(backend) = self.backend.get() {
            return Ok(backend);
        }
        let backend = DefaultBackend::netpollinit()?;
        // We hold the init lock and saw it unset, so this stores `backend`.
        let backend = self.backend.get_or_init(|| backend);
        // An M may be asleep in the pre-backend `idle` wait; wake it so that
        // its next sleep is a backend `netpoll` that sees our descriptors.
        self.idle.netpoll_break();
        Ok(backend)
    }
    // ANCHOR_END: netpollGenericInit

    /// Whether `fd` is one of the poller's own descriptors (Go's
    /// `netpollIsPollDescriptor`): for epoll, the epoll instance and the two
    /// ends of the break pipe.
    #[doc(alias = "netpollIsPollDescriptor")]
    pub fn is_poll_descriptor(&self, fd: RawFd) -> bool {
        self.backend
            .get()
            .is_some_and(|backend| backend.is_poll_descriptor(fd))
    }

    /// How many descriptors are registered.
    pub fn registered(&self) -> usize {
        self.cache.len()
    }

    /// Takes the waiter-count change recorded outside `netpoll`.
    fn take_pending(&self) -> i32 {
        // Relaxed: see `pending_delta`; the count publishes no data.
        self.pending_delta.swap(0, Ordering::Relaxed)
    }

    /// The backend, created if need be, for the backend's unit tests.
    #[cfg(test)]
    pub(crate) fn backend(&self) -> &DefaultBackend {
        self.netpoll_generic_init().expect("netpollinit")
    }

    /// Polls the backend without delivering: the events a concurrent
    /// `netpoll` could be holding, for tests.
    #[cfg(test)]
    fn collect(&self, delay: i64) -> Vec<Event> {
        let backend = self.backend.get().expect("collect before netpollinit");
        let mut events = Vec::new();
        let _ = backend.netpoll(delay, |ev| events.push(ev));
        events
    }

    /// Delivers `events` as one batch, for tests (the delivering half of
    /// `netpoll`).
    #[cfg(test)]
    fn deliver_all(&self, events: &[Event], to_run: &mut Vec<Gp>) -> i32 {
        let cache = self.cache.inner.read();
        events.iter().map(|&ev| deliver(&cache, ev, to_run)).sum()
    }
}

/// Delivers one event from the backend (the body of the loop in Go's
/// platform `netpoll`, after the event is decoded): to the descriptor in
/// the key's slot, if that is still the registration the key names.
/// Returns the change to the count of netpoll waiters.
// ANCHOR: deliver
fn deliver(cache: &CacheInner, ev: Event, to_run: &mut Vec<Gp>) -> i32 {
    // Go's `pd.fdseq.Load() == tag`: the event is for the current
    // registration of this slot, not one that was closed after the
    // backend collected it.
    match cache.slots.get(ev.key.index as usize) {
        Some(pd) if pd.fdseq == ev.key.fdseq => {
            pd.set_event_err(ev.error);
            if ev.read_hup {
                pd.set_read_hup();
            }
            netpollready(to_run, pd, ev.mode)
        }
        _ => 0,
    }
}
// ANCHOR_END: deliver

impl Netpoll for Poller {
    // ANCHOR: poller_netpoll
    /// Go's `netpoll(delay)` as the scheduler sees it: waits up to `delay`
    /// ns (< 0 forever, 0 not at all) for events, readies the waiters of
    /// the descriptors they name and returns the change in the count of
    /// netpoll waiters.
    fn netpoll(&self, delay: i64, ready: &mut Vec<Gp>) -> i32 {
        let Some(backend) = self.backend.get() else {
            // No descriptor was ever registered: just sleep, as the runtime's
            // default poller does, until `delay` or a break.
            return self.idle.netpoll(delay, ready) + self.take_pending();
        };
        let mut delta = 0;
        // One read lock for the batch, taken at its first event (never
        // across the wait: open and close take the write lock). While it
        // is held `poll_close` cannot free a descriptor we deliver to.
        let mut cache = None;
        let outcome = backend.netpoll(delay, |ev| {
            let cache = cache.get_or_insert_with(|| self.cache.inner.read());
            delta += deliver(cache, ev, ready);
        });
        drop(cache);
        if outcome == BreakOutcome::Consumed {
            // Relaxed: see `wake_sig`; from here a new break signals again.
            self.wake_sig.store(false, Ordering::Relaxed);
        }
        delta + self.take_pending()
    }
    // ANCHOR_END: poller_netpoll

    // ANCHOR: poller_netpoll_break
    /// Go's `netpollBreak`: makes a blocked (or the next blocking) `netpoll`
    /// return. Concurrent breaks are folded into one signal by the wake
    /// flag.
    fn netpoll_break(&self) {
        let Some(backend) = self.backend.get() else {
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
        backend.netpoll_break();
    }
    // ANCHOR_END: poller_netpoll_break
}

/// A descriptor registered with the netpoller: what Go's internal/poll
/// keeps in `pollDesc.runtimeCtx`. Its methods are the
/// `poll_runtime_poll*` entry points.
///
/// Dropping it closes it (unblock, then [`poll_close`](Self::poll_close)).
/// The descriptor itself must stay open until then (see
/// [`Poller::poll_open`]).
///
/// Contract with the runtime: only goroutines of the runtime in which the
/// poller is installed may wait on it (`netpoll` hands the goroutines it
/// wakes to the scheduler that called it), and deadlines should be set from
/// that runtime's goroutines (the deadline timers live in the runtime of
/// the thread that first sets one).
pub struct PollDescHandle {
    pd: Arc<PollDesc>,
    poller: Arc<Poller>,
}

impl fmt::Debug for PollDescHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollDescHandle")
            .field("fd", &self.pd.fd)
            .field("index", &self.pd.index)
            .field("fdseq", &self.pd.fdseq)
            .finish()
    }
}

/// Registers `fd` with the poller of the calling goroutine's runtime (Go's
/// `poll_runtime_pollOpen`; the platform poller, an epoll instance on
/// Linux, is created on first use, as Go's `netpollGenericInit` does).
///
/// Fails, always with `io::ErrorKind::Unsupported`:
///
/// * with [`NoPollerError`] in a goroutine of a runtime that has no
///   [`Poller`] (a bare `gort_runtime::Runtime`): such a runtime could
///   never wake the goroutine, so the poll layer above must not quietly
///   fall back to blocking I/O there;
/// * with "not in a goroutine" on a plain thread, inside
///   `gort_runtime::blocking`, or on the scheduler's stack, where nothing
///   can park: the poll layer keeps such descriptors in blocking mode;
/// * or with the platform's error (`epoll_ctl`'s `EPERM` for a regular
///   file, for instance).
///
/// # Safety
///
/// `fd` must stay open until the returned handle is closed or dropped: the
/// handle removes it from the platform poller by number then.
#[doc(alias = "poll_runtime_pollOpen")]
pub unsafe fn poll_runtime_poll_open(fd: BorrowedFd<'_>) -> io::Result<PollDescHandle> {
    let Some(poller) = Poller::current() else {
        return Err(if can_park() {
            NoPollerError.into()
        } else {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "gort-netpoll: not in a goroutine, so there is no netpoller to wait in",
            )
        });
    };
    // SAFETY: forwarded contract.
    unsafe { poller.poll_open(fd) }
}

/// The error of registering a descriptor from a goroutine whose runtime has
/// no [`Poller`]: "gort: this runtime has no network poller; build it with
/// gort::Builder or gort::run". Carried inside an `io::Error` of kind
/// `Unsupported`; [`is_no_poller`] recognises it.
///
/// Go has no such error, since its runtime always has a netpoller. A gort
/// runtime gets one from the `gort` facade; one built with gort-runtime
/// alone runs goroutines, channels and timers but cannot wait for a
/// descriptor, and a socket used there would block its thread and ignore
/// its deadlines, so gort-net refuses to create one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NoPollerError;

impl fmt::Display for NoPollerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "gort: this runtime has no network poller; build it with gort::Builder or gort::run",
        )
    }
}

impl std::error::Error for NoPollerError {}

impl From<NoPollerError> for io::Error {
    fn from(e: NoPollerError) -> io::Error {
        io::Error::new(io::ErrorKind::Unsupported, e)
    }
}

/// Whether `err` carries [`NoPollerError`].
pub fn is_no_poller(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.is::<NoPollerError>())
}

impl Poller {
    /// Registers `fd` with this poller (Go's `poll_runtime_pollOpen`):
    /// edge-triggered for reading and writing, with no deadlines.
    ///
    /// # Safety
    ///
    /// `fd` must stay open until the returned handle is closed or dropped.
    // ANCHOR: poll_runtime_pollOpen
    #[doc(alias = "poll_runtime_pollOpen")]
    pub unsafe fn poll_open(self: &Arc<Self>, fd: BorrowedFd<'_>) -> io::Result<PollDescHandle> {
        let backend = self.netpoll_generic_init()?;
        let pd = self.cache.alloc(fd.as_raw_fd(), &self.pending_delta)?;
        if let Err(e) = backend.netpollopen(fd, pd.key()) {
            self.cache.free(&pd);
            return Err(e);
        }
        Ok(PollDescHandle {
            pd,
            poller: self.clone(),
        })
    }
    // ANCHOR_END: poll_runtime_pollOpen

    /// Go's `netpollclose` for a descriptor registered here: the backend
    /// stops reporting it. An error (the descriptor was already closed,
    /// breaking `poll_open`'s contract) is ignored, as Go ignores the errno.
    fn netpollclose(&self, fd: RawFd) {
        let Some(backend) = self.backend.get() else {
            unreachable!("runtime: netpollclose before netpollinit");
        };
        // SAFETY: poll_open's contract keeps `fd` open until its handle is
        // closed, which is what is calling us.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let _ = backend.netpollclose(fd);
    }
}

impl PollDescHandle {
    /// The registered descriptor.
    pub fn fd(&self) -> RawFd {
        self.pd.fd
    }

    /// The poller this descriptor is registered with.
    pub fn poller(&self) -> &Arc<Poller> {
        &self.poller
    }

    /// Prepares for an I/O attempt in `mode` (Go's `poll_runtime_pollReset`):
    /// fails if the descriptor is closing or the deadline has passed, else
    /// forgets a readiness notification left from before, so the next
    /// [`poll_wait`](Self::poll_wait) waits for a new one.
    // ANCHOR: poll_runtime_pollReset
    #[doc(alias = "poll_runtime_pollReset")]
    pub fn poll_reset(&self, mode: Mode) -> Result<(), PollError> {
        if mode == Mode::ReadWrite {
            return Err(PollError::NotPollable);
        }
        netpollcheckerr(&self.pd, mode)?;
        let slot = self.pd.slot(mode);
        // Go stores pdNil. With the slot API: consume a pending READY, or
        // announce a wait (NIL → WAIT) and withdraw it (→ NIL). Only this
        // mode's single waiter touches the slot besides the wakers, and a
        // wake-up racing with the reset may be dropped, as in Go: the I/O
        // attempt that follows sees the descriptor's real state.
        if !slot.prepare() {
            slot.finish();
        }
        Ok(())
    }
    // ANCHOR_END: poll_runtime_pollReset

    /// Waits until the descriptor is ready in `mode` (Go's
    /// `poll_runtime_pollWait`), or fails with `Closing` (after
    /// [`poll_unblock`](Self::poll_unblock)), `Timeout` (the deadline for
    /// `mode` passed, before or during the wait) or `NotPollable` (an error
    /// the platform poller reported on the read side, `mode` is
    /// `ReadWrite`, or the caller is not a goroutine that may park: see the
    /// module doc).
    ///
    /// At most one goroutine may wait per mode at a time (the poll layer's
    /// fdMutex guarantees it); a second one panics with "runtime: double wait".
    // ANCHOR: poll_runtime_pollWait
    #[doc(alias = "poll_runtime_pollWait")]
    pub fn poll_wait(&self, mode: Mode) -> Result<(), PollError> {
        if mode == Mode::ReadWrite {
            return Err(PollError::NotPollable);
        }
        netpollcheckerr(&self.pd, mode)?;
        if !can_park() {
            // Not a goroutine, or inside `blocking`: cannot park.
            return Err(PollError::NotPollable);
        }
        while !netpollblock(&self.pd, mode, false) {
            netpollcheckerr(&self.pd, mode)?;
            // Released without an error to report: a deadline fired and
            // was pushed back before we ran. Wait again, as Go does.
        }
        Ok(())
    }
    // ANCHOR_END: poll_runtime_pollWait

    /// Waits for readiness in `mode`, ignoring deadlines and close (Go's
    /// `poll_runtime_pollWaitCanceled`, used on Windows after a failed
    /// cancel). Returns at once outside a goroutine or for `ReadWrite`.
    #[doc(alias = "poll_runtime_pollWaitCanceled")]
    pub fn poll_wait_canceled(&self, mode: Mode) {
        if mode == Mode::ReadWrite || !can_park() {
            return;
        }
        while !netpollblock(&self.pd, mode, true) {}
    }

    /// Sets the deadline for `mode` (Go's `poll_runtime_pollSetDeadline`).
    ///
    /// `d` is relative, in nanoseconds, as internal/poll passes it: `> 0` in
    /// the future, `< 0` already passed (pending and later waits in `mode`
    /// fail with `Timeout` at once), `0` no deadline (and a wait can succeed
    /// again after an expired one). A future deadline is enforced by a
    /// runtime timer created on the calling thread's runtime; from a thread
    /// outside any runtime it is recorded but no timer can be armed, so it
    /// does not fire (set deadlines from goroutines). Ignored once closing.
    // ANCHOR: netpollSetDeadline
    #[doc(alias = "poll_runtime_pollSetDeadline")]
    pub fn poll_set_deadline(&self, d: i64, mode: Mode) {
        let pd = &*self.pd;
        let mut delta = 0;
        let mut tokens = [None, None];
        {
            let mut guard = pd.lock.lock();
            let l = &mut *guard;
            if l.closing {
                return;
            }
            let (rd0, wd0) = (l.rd, l.wd);
            let combo0 = rd0 > 0 && rd0 == wd0;
            let d = if d > 0 {
                nanotime().saturating_add(d)
            } else {
                d.max(-1)
            };
            if mode.reads() {
                l.rd = d;
            }
            if mode.writes() {
                l.wd = d;
            }
            pd.publish_info(l);
            let combo = l.rd > 0 && l.rd == l.wd;
            // The read timer enforces rd, and also wd while they are equal.
            if !l.rrun {
                if l.rd > 0 {
                    l.rrun = arm(pd, &mut l.rt, TimerKind::Read, l.rd, l.rseq);
                }
            } else if l.rd != rd0 || combo != combo0 {
                // Whatever the running timer was armed for is void now.
                l.rseq = l.rseq.wrapping_add(1);
                if l.rd > 0 {
                    l.rrun = arm(pd, &mut l.rt, TimerKind::Read, l.rd, l.rseq);
                } else {
                    disarm(&l.rt);
                    l.rrun = false;
                }
            }
            if !l.wrun {
                if l.wd > 0 && !combo {
                    l.wrun = arm(pd, &mut l.wt, TimerKind::Write, l.wd, l.wseq);
                }
            } else if l.wd != wd0 || combo != combo0 {
                l.wseq = l.wseq.wrapping_add(1);
                if l.wd > 0 && !combo {
                    l.wrun = arm(pd, &mut l.wt, TimerKind::Write, l.wd, l.wseq);
                } else {
                    disarm(&l.wt);
                    l.wrun = false;
                }
            }
            // A deadline in the past also releases the wait in progress.
            if l.rd < 0 || l.wd < 0 {
                fence_store_load();
            }
            if l.rd < 0 {
                tokens[0] = netpollunblock(pd, Mode::Read, false, &mut delta);
            }
            if l.wd < 0 {
                tokens[1] = netpollunblock(pd, Mode::Write, false, &mut delta);
            }
        }
        wake_released(pd, tokens, delta);
    }
    // ANCHOR_END: netpollSetDeadline

    /// Marks the descriptor closing and releases both waiters, which fail
    /// with `Closing`, as will every later wait (Go's
    /// `poll_runtime_pollUnblock`, called by `Close` before the descriptor
    /// can be freed). Stops the deadline timers. Calling it again does
    /// nothing (Go throws; gort's `Drop` may follow an explicit unblock).
    // ANCHOR: poll_runtime_pollUnblock
    #[doc(alias = "poll_runtime_pollUnblock")]
    pub fn poll_unblock(&self) {
        let pd = &*self.pd;
        let mut delta = 0;
        let mut tokens = [None, None];
        {
            let mut l = pd.lock.lock();
            if l.closing {
                return;
            }
            l.closing = true;
            // No timer armed before this may fire into the closed descriptor.
            l.rseq = l.rseq.wrapping_add(1);
            l.wseq = l.wseq.wrapping_add(1);
            pd.publish_info(&l);
            fence_store_load();
            tokens[0] = netpollunblock(pd, Mode::Read, false, &mut delta);
            tokens[1] = netpollunblock(pd, Mode::Write, false, &mut delta);
            if l.rrun {
                disarm(&l.rt);
                l.rrun = false;
            }
            if l.wrun {
                disarm(&l.wt);
                l.wrun = false;
            }
        }
        wake_released(pd, tokens, delta);
    }
    // ANCHOR_END: poll_runtime_pollUnblock

    /// Removes the descriptor from the platform poller (epoll) and the poll
    /// cache (Go's `poll_runtime_pollClose`). Unblocks it first if that was
    /// not done. After this, events already collected for it are dropped, and
    /// the descriptor may be closed and its number reused. Idempotent;
    /// dropping the handle does it too.
    // ANCHOR: poll_runtime_pollClose
    #[doc(alias = "poll_runtime_pollClose")]
    pub fn poll_close(&self) {
        self.poll_unblock();
        {
            let mut l = self.pd.lock.lock();
            if l.freed {
                return;
            }
            l.freed = true;
            // Timers hold only a Weak; dropping them here frees their
            // callbacks once the heap entries surface.
            l.rt = None;
            l.wt = None;
        }
        self.poller.netpollclose(self.pd.fd);
        self.poller.cache.free(&self.pd);
    }
    // ANCHOR_END: poll_runtime_pollClose

    /// The descriptor, for the poller's unit tests.
    #[cfg(test)]
    fn desc(&self) -> &Arc<PollDesc> {
        &self.pd
    }

    /// Whether the platform poller's last event for the descriptor was an
    /// error (epoll's `EPOLLERR` alone; Go's `pd.info().eventErr()`), which
    /// makes read waits fail with `NotPollable`.
    pub fn event_err(&self) -> bool {
        self.pd.info() & POLL_EVENT_ERR != 0
    }

    /// Whether the platform poller has reported that the read side hung up
    /// (the peer's FIN, a reset or an error). Once true it stays true.
    /// gort's, not Go's: see the poll layer's `FD::read`.
    pub fn read_hup(&self) -> bool {
        // Acquire: pairs with `set_read_hup`'s Release.
        self.pd.read_hup.load(Ordering::Acquire)
    }
}

impl Drop for PollDescHandle {
    fn drop(&mut self) {
        self.poll_close();
    }
}

impl AsFd for PollDescHandle {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the opener promised (poll_open's contract) that the fd
        // stays open for as long as this handle exists.
        unsafe { BorrowedFd::borrow_raw(self.pd.fd) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_matches_go_ints() {
        assert_eq!(Mode::Read as i32, 'r' as i32);
        assert_eq!(Mode::Write as i32, 'w' as i32);
        assert_eq!(Mode::ReadWrite as i32, 'r' as i32 + 'w' as i32);
        assert_eq!(
            Mode::from_go('r' as i32 + 'w' as i32),
            Some(Mode::ReadWrite)
        );
        assert_eq!(Mode::from_go(0), None);
    }

    #[test]
    fn errors_match_go() {
        assert_eq!(
            PollError::Closing.to_string(),
            "use of closed network connection"
        );
        assert_eq!(PollError::Timeout.to_string(), "i/o timeout");
        assert_eq!(PollError::NotPollable.to_string(), "not pollable");
        assert_eq!(
            [
                PollError::Closing,
                PollError::Timeout,
                PollError::NotPollable
            ]
            .map(PollError::code),
            [1, 2, 3]
        );
    }

    #[test]
    fn key_round_trips_and_never_packs_to_never() {
        for (index, fdseq) in [(0, 1), (7, u32::MAX), (u32::MAX - 1, 3)] {
            let key = PollKey { index, fdseq };
            assert_eq!(PollKey::from_u64(key.to_u64()), key);
        }
        let highest = PollKey {
            index: (MAX_SLOTS - 1) as u32,
            fdseq: u32::MAX,
        };
        assert_ne!(highest.to_u64(), PollKey::NEVER);
    }

    fn pipe() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
        use rustix::pipe::PipeFlags;
        rustix::pipe::pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).unwrap()
    }

    /// Go's fdseq scenario: the backend returned an event for a descriptor,
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
        let key = pd1.desc().key();
        assert!(stale.iter().any(|ev| ev.key == key && ev.mode.reads()));
        let old_fd = r1.as_raw_fd();
        drop(pd1);
        drop((r1, w1));

        let (r2, w2) = pipe();
        // SAFETY: `r2` is closed only after `pd2` is dropped.
        let pd2 = unsafe { poller.poll_open(r2.as_fd()) }.unwrap();
        assert_eq!(
            pd2.desc().index,
            key.index,
            "the slab reuses the freed slot"
        );
        assert_ne!(pd2.desc().fdseq, key.fdseq);
        if r2.as_raw_fd() != old_fd {
            eprintln!("note: fd {old_fd} was not reused (a parallel test took it)");
        }
        let mut ready = Vec::new();
        assert_eq!(poller.deliver_all(&stale, &mut ready), 0);
        assert!(ready.is_empty());
        // No readiness was recorded for the new owner: a wait would park.
        assert!(!pd2.desc().rg.prepare());
        assert!(!pd2.desc().rg.finish());

        // A genuine event for the new registration is delivered.
        rustix::io::write(&w2, b"y").unwrap();
        let fresh = poller.collect(0);
        poller.deliver_all(&fresh, &mut ready);
        assert!(pd2.desc().rg.prepare(), "READY was left for the next wait");
        drop(pd2);
        assert_eq!(poller.registered(), 0);
    }

    /// An event that reports an error and nothing else sets the pollDesc's
    /// event-error bit (Go's `setEventErr`), which fails read waits only,
    /// and readies both sides; any other event clears it again.
    #[test]
    fn error_event_sets_event_err_and_fails_reads_only() {
        let poller = Arc::new(Poller::new().unwrap());
        let (r, _w) = pipe();
        // SAFETY: `r` is closed only after `pd` is dropped.
        let pd = unsafe { poller.poll_open(r.as_fd()) }.unwrap();
        let ev = |error| Event {
            key: pd.desc().key(),
            mode: Mode::ReadWrite,
            read_hup: true,
            error,
        };
        let mut ready = Vec::new();
        poller.deliver_all(&[ev(true)], &mut ready);
        assert!(pd.event_err() && pd.read_hup());
        assert_eq!(
            netpollcheckerr(pd.desc(), Mode::Read),
            Err(PollError::NotPollable)
        );
        assert_eq!(netpollcheckerr(pd.desc(), Mode::Write), Ok(()));
        // It made both sides ready.
        assert!(pd.desc().rg.prepare() && pd.desc().wg.prepare());
        poller.deliver_all(&[ev(false)], &mut ready);
        assert!(!pd.event_err());
        assert!(pd.read_hup(), "a hang-up stays recorded");
        assert!(ready.is_empty());
        drop(pd);
    }

    fn desc() -> Arc<PollDesc> {
        Arc::new_cyclic(|me| PollDesc::new(me.clone(), -1, 0, 1, Default::default()))
    }

    /// A fire of a deadline timer whose arming was replaced (by a new
    /// deadline, a cleared one, or close) carries a stale seq and changes
    /// nothing; the fire of the current arming expires exactly the
    /// deadline(s) it stands for.
    #[test]
    fn stale_timer_fire_never_fails_a_reset_deadline() {
        let pd = desc();
        let set = |rd: i64, wd: i64, rrun: bool, wrun: bool| {
            let mut l = pd.lock.lock();
            (l.rd, l.wd, l.rrun, l.wrun) = (rd, wd, rrun, wrun);
            pd.publish_info(&l);
        };
        let seqs = || {
            let l = pd.lock.lock();
            (l.rseq, l.wseq)
        };
        set(1, 2, true, true);
        let (r0, w0) = seqs();
        // A later re-arm bumps the seq: the old fire is stale.
        pd.lock.lock().rseq += 1;
        netpolldeadlineimpl(&pd, r0, true, false);
        assert_eq!(netpollcheckerr(&pd, Mode::Read), Ok(()));
        pd.lock.lock().wseq += 1;
        netpolldeadlineimpl(&pd, w0, false, true);
        assert_eq!(netpollcheckerr(&pd, Mode::Write), Ok(()));
        // The current arming's fire expires its own direction only...
        let (r1, w1) = seqs();
        netpolldeadlineimpl(&pd, r1, true, false);
        assert_eq!(netpollcheckerr(&pd, Mode::Read), Err(PollError::Timeout));
        assert_eq!(netpollcheckerr(&pd, Mode::Write), Ok(()));
        netpolldeadlineimpl(&pd, w1, false, true);
        assert_eq!(netpollcheckerr(&pd, Mode::Write), Err(PollError::Timeout));
        // ...and the shared (combo) read timer expires both.
        set(5, 5, true, false);
        let (r2, _) = seqs();
        netpolldeadlineimpl(&pd, r2, true, true);
        assert_eq!(netpollcheckerr(&pd, Mode::Read), Err(PollError::Timeout));
        assert_eq!(netpollcheckerr(&pd, Mode::Write), Err(PollError::Timeout));
        assert_eq!(pd.pending_delta.load(Ordering::Relaxed), 0);
    }

    /// A fire whose seq is current while the state says no such deadline is
    /// armed is an impossible state, and loud (Go's throw).
    #[test]
    #[should_panic(expected = "runtime: inconsistent read deadline")]
    fn current_fire_without_deadline_is_loud() {
        let pd = desc();
        let seq = pd.lock.lock().rseq;
        netpolldeadlineimpl(&pd, seq, true, false);
    }

    #[test]
    fn checkerr_order_closing_timeout_eventerr() {
        let pd = desc();
        assert_eq!(netpollcheckerr(&pd, Mode::Read), Ok(()));
        pd.set_event_err(true);
        assert_eq!(
            netpollcheckerr(&pd, Mode::Read),
            Err(PollError::NotPollable)
        );
        assert_eq!(netpollcheckerr(&pd, Mode::Write), Ok(()));
        {
            let mut l = pd.lock.lock();
            l.rd = -1;
            pd.publish_info(&l);
            // publish_info keeps the event-error bit.
            assert_ne!(pd.info() & POLL_EVENT_ERR, 0);
        }
        assert_eq!(netpollcheckerr(&pd, Mode::Read), Err(PollError::Timeout));
        {
            let mut l = pd.lock.lock();
            l.closing = true;
            pd.publish_info(&l);
        }
        assert_eq!(netpollcheckerr(&pd, Mode::Read), Err(PollError::Closing));
        assert_eq!(netpollcheckerr(&pd, Mode::Write), Err(PollError::Closing));
    }
}
