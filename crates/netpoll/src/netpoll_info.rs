//! Mirrors Go src/runtime/netpoll.go (go1.27): pollInfo, the poll error codes and the lock-free handshake of netpollblock.
//!
//! A waiter in Go's `netpollblock` and the deadline and close paths meet on
//! two words of a pollDesc: the waiter's slot (`rg` or `wg`) and the summary
//! word `atomicInfo`. The waiter announces itself in its slot and *then*
//! reads the summary; the other side updates the summary and *then* reads
//! the slot. This file holds exactly that part, with nothing from the
//! scheduler in it, so that the same code runs in the runtime and, with
//! `--cfg loom`, under loom's models (see the tests at the end): the park
//! step is a closure, `gopark` in netpoll.rs and a loom thread park here.
//!
//! Run the models with
//! `RUSTFLAGS="--cfg loom" cargo test -p gort-netpoll --lib --release --target-dir target/loom`.

use std::fmt;

#[cfg(loom)]
use loom::sync::atomic::{AtomicU32, Ordering, fence};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU32, Ordering, fence};

use gort_runtime::hooks::ParkSlot;

/// Which side of a descriptor an operation is about (Go passes the ints
/// `'r'`, `'w'` and `'r'+'w'`; the discriminants are those values).
// ANCHOR: Mode
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Mode {
    /// Reading (`'r'`).
    Read = b'r' as i32,
    /// Writing (`'w'`).
    Write = b'w' as i32,
    /// Both, for deadlines (`'r'+'w'`).
    ReadWrite = b'r' as i32 + b'w' as i32,
}
// ANCHOR_END: Mode

impl Mode {
    /// The mode for Go's integer encoding, if it is one.
    pub fn from_go(mode: i32) -> Option<Mode> {
        match mode {
            m if m == Mode::Read as i32 => Some(Mode::Read),
            m if m == Mode::Write as i32 => Some(Mode::Write),
            m if m == Mode::ReadWrite as i32 => Some(Mode::ReadWrite),
            _ => None,
        }
    }

    pub(crate) fn reads(self) -> bool {
        self != Mode::Write
    }

    pub(crate) fn writes(self) -> bool {
        self != Mode::Read
    }
}

/// Why a wait or reset failed (Go's `pollErrClosing`, `pollErrTimeout`,
/// `pollErrNotPollable`; success, `pollNoError`, is `Ok(())`). The poll
/// layer above maps these to `io::Error`s; the `Display` strings are those
/// of the Go errors they become there.
// ANCHOR: pollErrClosing
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PollError {
    /// The descriptor is being closed (Go's `pollErrClosing` → `ErrNetClosing`).
    #[doc(alias = "pollErrClosing")]
    Closing,
    /// The deadline for this direction has passed (Go's `pollErrTimeout` →
    /// `ErrDeadlineExceeded`).
    #[doc(alias = "pollErrTimeout")]
    Timeout,
    /// The descriptor cannot be waited on here: epoll reported an error on
    /// it (read side), the mode is not `Read` or `Write`, or the caller is
    /// not a goroutine (Go's `pollErrNotPollable` → `ErrNotPollable`).
    #[doc(alias = "pollErrNotPollable")]
    NotPollable,
}
// ANCHOR_END: pollErrClosing

impl PollError {
    /// Go's numeric code for the error (these must match the values in
    /// internal/poll/fd_poll_runtime.go, as in Go).
    pub fn code(self) -> i32 {
        match self {
            PollError::Closing => 1,
            PollError::Timeout => 2,
            PollError::NotPollable => 3,
        }
    }
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PollError::Closing => "use of closed network connection",
            PollError::Timeout => "i/o timeout",
            PollError::NotPollable => "not pollable",
        })
    }
}

impl std::error::Error for PollError {}

// ANCHOR: pollInfo
// Bits of the summary word (Go's pollInfo). All but EVENT_ERR summarise
// fields of the pollDesc's locked state and are written only under its
// lock, by `PollInfo::publish`; EVENT_ERR is set by `netpoll` without the
// lock and lives only here.
//
//   bit 0  CLOSING          closing (poll_unblock ran)
//   bit 1  EVENT_ERR        the last epoll event for the fd was EPOLLERR alone
//   bit 2  EXPIRED_READ     rd < 0
//   bit 3  EXPIRED_WRITE    wd < 0
//
// Go also keeps the low bits of fdseq here so that a stale event cannot set
// EVENT_ERR on a reused pollDesc; gort never delivers a stale event to a
// reused descriptor (see netpoll.rs), so it needs no such bits.
pub(crate) const POLL_CLOSING: u32 = 1 << 0;
pub(crate) const POLL_EVENT_ERR: u32 = 1 << 1;
pub(crate) const POLL_EXPIRED_READ: u32 = 1 << 2;
pub(crate) const POLL_EXPIRED_WRITE: u32 = 1 << 3;

/// The summary word of a pollDesc (Go's `atomicInfo`), read without the
/// lock by `netpollcheckerr`.
#[derive(Debug, Default)]
pub(crate) struct PollInfo(AtomicU32);
// ANCHOR_END: pollInfo

impl PollInfo {
    /// All bits clear.
    pub(crate) fn new() -> PollInfo {
        PollInfo(AtomicU32::new(0))
    }

    /// The current bits (Go's `pd.info()`).
    pub(crate) fn load(&self) -> u32 {
        // Acquire: pairs with the AcqRel CAS of `publish`, so a waiter that
        // sees a bit also sees the locked writes that led to it. (The
        // ordering against the waiter's own slot store comes from
        // `fence_store_load`, not from this.)
        self.0.load(Ordering::Acquire)
    }

    /// Replaces the lock-summarising bits with `bits`, keeping EVENT_ERR
    /// (Go's `publishInfo`). Callers hold the pollDesc lock.
    pub(crate) fn publish(&self, bits: u32) {
        debug_assert_eq!(bits & POLL_EVENT_ERR, 0);
        // A CAS loop, not a store: EVENT_ERR is set concurrently by netpoll.
        // AcqRel: pairs with the Acquire load in `load`.
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |x| {
                Some((x & POLL_EVENT_ERR) | bits)
            });
    }

    /// Sets or clears EVENT_ERR (Go's `setEventErr`).
    pub(crate) fn set_event_err(&self, on: bool) {
        // Relaxed: only a fast path that skips the CAS when the bit already
        // has the wanted value; nothing is read on the strength of it.
        let cur = self.0.load(Ordering::Relaxed);
        if (cur & POLL_EVENT_ERR != 0) == on {
            return;
        }
        // AcqRel: orders against `publish`'s CAS on the same word; the bit
        // itself publishes no other data.
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |x| {
                Some(if on {
                    x | POLL_EVENT_ERR
                } else {
                    x & !POLL_EVENT_ERR
                })
            });
    }
}

/// Go's `netpollcheckerr` on a loaded summary: the error a wait in `mode`
/// must report now, if any.
// ANCHOR: netpollcheckerr
pub(crate) fn checkerr(info: u32, mode: Mode) -> Result<(), PollError> {
    if info & POLL_CLOSING != 0 {
        return Err(PollError::Closing);
    }
    if (mode == Mode::Read && info & POLL_EXPIRED_READ != 0)
        || (mode == Mode::Write && info & POLL_EXPIRED_WRITE != 0)
    {
        return Err(PollError::Timeout);
    }
    // As in Go, an epoll error is reported to readers only: a writer's next
    // write fails with the precise errno itself.
    if mode == Mode::Read && info & POLL_EVENT_ERR != 0 {
        return Err(PollError::NotPollable);
    }
    Ok(())
}
// ANCHOR_END: netpollcheckerr

/// Makes a store before it visible to a load after it, on both sides of the
/// waiter/unblocker handshake. The waiter stores WAIT into its slot then
/// loads the summary; the deadline and close paths store the summary then
/// load the slot. With Acquire/Release alone both loads could see the old
/// values (the store-buffering pattern) and the waiter would sleep through
/// its timeout; a SeqCst fence on each side between the store and the load
/// forbids that: whichever fence comes first in the single SeqCst order,
/// the load after the other one sees the store before it. (Go gets the same
/// from its sequentially consistent atomics.) The loom model
/// `deadline_racing_a_wait_is_never_missed` fails without either fence.
// ANCHOR: fence_store_load
pub(crate) fn fence_store_load() {
    fence(Ordering::SeqCst);
}
// ANCHOR_END: fence_store_load

/// The protocol of Go's `netpollblock` on one slot: consume a pending
/// READY, or announce a wait, re-check the summary and, if nothing is to be
/// reported, `park` (which must commit a token to `slot` and sleep until a
/// waker takes it, or call the park off if the commit fails). Returns
/// whether the wait ended with readiness (Go's `old == pdReady`).
// ANCHOR: block
pub(crate) fn block(
    slot: &ParkSlot,
    info: &PollInfo,
    mode: Mode,
    waitio: bool,
    park: impl FnOnce(),
) -> bool {
    // NIL → WAIT, or consume a pending READY and return at once.
    if slot.prepare() {
        return true;
    }
    // The deadline and close paths write the summary, then read the slot;
    // we wrote the slot, now read the summary. See `fence_store_load`.
    fence_store_load();
    if waitio || checkerr(info.load(), mode).is_ok() {
        park();
    }
    // Back to NIL, without losing a READY that raced with us.
    slot.finish()
}
// ANCHOR_END: block

/// The release side: publish `bits` (as the deadline and close paths do
/// under the pollDesc lock), then take the waiter out of `slot`.
#[cfg(loom)]
fn expire_and_unblock(info: &PollInfo, bits: u32, slot: &ParkSlot) -> Option<usize> {
    info.publish(bits);
    fence_store_load();
    slot.unblock(false)
}

#[cfg(all(test, loom))]
mod loom_tests {
    use loom::sync::Arc;
    use loom::thread;

    use super::*;

    /// A thread's stand-in for `gopark`: commit `me`, sleep until a waker
    /// has taken it.
    fn park_thread(slot: &ParkSlot, me: usize) {
        if slot.commit(me) {
            while slot.is_parked(me) {
                thread::park();
            }
        }
    }

    /// A read deadline that passes while a wait is starting: whatever the
    /// interleaving, the waiter comes back (never sleeps forever) and then
    /// sees the timeout.
    #[test]
    fn deadline_racing_a_wait_is_never_missed() {
        loom::model(|| {
            let pd = Arc::new((ParkSlot::new(), PollInfo::new()));
            let waiter = {
                let pd = pd.clone();
                thread::spawn(move || {
                    let (slot, info) = (&pd.0, &pd.1);
                    let ready = block(slot, info, Mode::Read, false, || park_thread(slot, 8));
                    assert!(!ready);
                    assert_eq!(checkerr(info.load(), Mode::Read), Err(PollError::Timeout));
                })
            };
            if let Some(token) = expire_and_unblock(&pd.1, POLL_EXPIRED_READ, &pd.0) {
                assert_eq!(token, 8);
                waiter.thread().unpark();
            }
            waiter.join().unwrap();
        });
    }

    /// Close racing a wait and a readiness notification at once: the
    /// waiter always returns, reporting readiness or the close.
    #[test]
    fn close_and_readiness_racing_a_wait() {
        loom::model(|| {
            let pd = Arc::new((ParkSlot::new(), PollInfo::new()));
            let waiter = {
                let pd = pd.clone();
                thread::spawn(move || {
                    let (slot, info) = (&pd.0, &pd.1);
                    let ready = block(slot, info, Mode::Read, false, || park_thread(slot, 8));
                    ready || checkerr(info.load(), Mode::Read) == Err(PollError::Closing)
                })
            };
            let netpoll = {
                let (pd, w) = (pd.clone(), waiter.thread().clone());
                thread::spawn(move || {
                    if pd.0.unblock(true).is_some() {
                        w.unpark();
                    }
                })
            };
            if expire_and_unblock(&pd.1, POLL_CLOSING, &pd.0).is_some() {
                waiter.thread().unpark();
            }
            netpoll.join().unwrap();
            assert!(waiter.join().unwrap());
        });
    }
}
