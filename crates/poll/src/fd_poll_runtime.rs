//! Mirrors Go src/internal/poll/fd_poll_runtime.go (go1.27): the FD's link to the netpoller, and deadlines.
//!
//! An [`FD`] that the netpoller manages holds a [`PollDesc`]: Go keeps the
//! runtime's `pollDesc` pointer in `runtimeCtx`, gort keeps the
//! [`PollDescHandle`] that gort-netpoll returned when the descriptor was
//! registered. Each I/O operation calls [`PollDesc::prepare`] (Go's
//! `runtime_pollReset`) before its first system call and [`PollDesc::wait`]
//! (`runtime_pollWait`) whenever the call reports `EAGAIN`; `Close` calls
//! [`PollDesc::evict`] (`runtime_pollUnblock`) to wake every waiter with a
//! closing error, and the descriptor's destructor calls [`PollDesc::close`]
//! (`runtime_pollClose`) before `close(2)`.
//!
//! A descriptor that could not be registered (a regular file: `epoll_ctl`
//! says `EPERM`; a caller that is not a goroutine; a goroutine of a runtime
//! without a poller, see [`NoPollerError`](gort_netpoll::NoPollerError)) has
//! no handle: it runs in blocking mode, `prepare` succeeds, `wait` fails,
//! and deadlines report [`NoDeadlineError`](crate::fd::NoDeadlineError), as
//! in Go.
//!
//! The netpoller's [`PollError`]s become the sentinels of `fd.rs` here
//! ([`convert_err`]).

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::Ordering;
use std::time::Instant;

use gort_netpoll::{Mode, PollDescHandle, PollError, poll_runtime_poll_open};

use crate::fd::{err_closing, err_deadline_exceeded, err_no_deadline, err_not_pollable};
use crate::fd_unix::FD;

/// The netpoller registration of one [`FD`] (Go's `pollDesc`).
// ANCHOR: pollDesc
#[doc(alias = "pollDesc")]
#[derive(Debug, Default)]
pub(crate) struct PollDesc {
    /// The registration; `None` for a descriptor in blocking mode (Go's
    /// `runtimeCtx == 0`). Set once, when the FD is built. After
    /// [`close`](Self::close) the handle stays but is closed: no operation
    /// can reach it then, since the FD's fdMutex is closed and drained.
    handle: Option<PollDescHandle>,
}
// ANCHOR_END: pollDesc

impl PollDesc {
    /// Registers `fd` with the poller of the calling goroutine's runtime
    /// (Go's `pollDesc.init`). Fails if there is no such poller or if epoll
    /// refuses the descriptor (`EPERM` for regular files).
    ///
    /// # Safety
    ///
    /// `fd` must stay open until [`close`](Self::close) has run or the
    /// returned value is dropped.
    // ANCHOR: init
    pub(crate) unsafe fn init(fd: BorrowedFd<'_>) -> io::Result<PollDesc> {
        // SAFETY: forwarded contract: the caller keeps `fd` open until the
        // handle is closed.
        let handle = unsafe { poll_runtime_poll_open(fd) }?;
        Ok(PollDesc {
            handle: Some(handle),
        })
    }
    // ANCHOR_END: init

    /// Removes the descriptor from the poller (Go's `pollDesc.close`). Called
    /// once no operation uses the FD, just before `close(2)`. Idempotent.
    // ANCHOR: close
    pub(crate) fn close(&self) {
        if let Some(h) = &self.handle {
            h.poll_close();
        }
    }
    // ANCHOR_END: close

    /// Wakes every operation blocked on the descriptor; they and all later
    /// waits fail with a closing error (Go's `pollDesc.evict`).
    // ANCHOR: evict
    pub(crate) fn evict(&self) {
        if let Some(h) = &self.handle {
            h.poll_unblock();
        }
    }
    // ANCHOR_END: evict

    /// Readies the descriptor for an I/O attempt in `mode`: fails if it is
    /// closing or the deadline passed (Go's `pollDesc.prepare`).
    // ANCHOR: prepare
    pub(crate) fn prepare(&self, mode: Mode, is_file: bool) -> io::Result<()> {
        match &self.handle {
            None => Ok(()),
            Some(h) => h.poll_reset(mode).map_err(|e| convert_err(e, is_file)),
        }
    }
    // ANCHOR_END: prepare

    /// [`prepare`](Self::prepare) for reading (Go's `prepareRead`).
    pub(crate) fn prepare_read(&self, is_file: bool) -> io::Result<()> {
        self.prepare(Mode::Read, is_file)
    }

    /// [`prepare`](Self::prepare) for writing (Go's `prepareWrite`).
    pub(crate) fn prepare_write(&self, is_file: bool) -> io::Result<()> {
        self.prepare(Mode::Write, is_file)
    }

    /// Waits for readiness in `mode`, returning why it could not as a
    /// [`WaitError`] (the FD needs to tell "not a goroutine" apart, see
    /// `fd_unix.rs`).
    // ANCHOR: wait
    pub(crate) fn wait_raw(&self, mode: Mode) -> Result<(), WaitError> {
        match &self.handle {
            None => Err(WaitError::Unregistered),
            Some(h) => h.poll_wait(mode).map_err(WaitError::Poll),
        }
    }

    /// Parks the calling goroutine until the descriptor is ready in `mode`
    /// (Go's `pollDesc.wait`). Fails with a closing error, a deadline error,
    /// or "not pollable"; without a registration, with "waiting for
    /// unsupported file type".
    pub(crate) fn wait(&self, mode: Mode, is_file: bool) -> io::Result<()> {
        self.wait_raw(mode).map_err(|e| e.into_io(is_file))
    }
    // ANCHOR_END: wait

    /// [`wait`](Self::wait) for writing (Go's `waitWrite`).
    pub(crate) fn wait_write(&self, is_file: bool) -> io::Result<()> {
        self.wait(Mode::Write, is_file)
    }

    /// Whether the netpoller manages the descriptor (Go's `pollable`).
    pub(crate) fn pollable(&self) -> bool {
        self.handle.is_some()
    }

    /// Whether epoll reported an error condition on the descriptor.
    pub(crate) fn event_err(&self) -> bool {
        self.handle.as_ref().is_some_and(PollDescHandle::event_err)
    }

    /// Whether epoll has reported that the read side hung up (sticky).
    pub(crate) fn read_hup(&self) -> bool {
        self.handle.as_ref().is_some_and(PollDescHandle::read_hup)
    }

    /// Sets the deadline of `mode`, `d` nanoseconds from now (`< 0`: passed,
    /// `0`: none). Fails without a registration.
    fn set_deadline(&self, d: i64, mode: Mode) -> io::Result<()> {
        match &self.handle {
            None => Err(err_no_deadline()),
            Some(h) => {
                h.poll_set_deadline(d, mode);
                Ok(())
            }
        }
    }
}

/// Why [`PollDesc::wait_raw`] returned without the descriptor being ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitError {
    /// The descriptor has no netpoller registration (blocking mode): there
    /// is nothing to wait on (Go's `runtimeCtx == 0` in `pollDesc.wait`).
    Unregistered,
    /// The netpoller ended the wait: closing, deadline, or not a goroutine.
    Poll(PollError),
}

impl WaitError {
    /// The error a wait reports (Go's `pollDesc.wait`): the netpoller's,
    /// converted ([`convert_err`]); for an unregistered descriptor, Go's
    /// "waiting for unsupported file type".
    pub(crate) fn into_io(self, is_file: bool) -> io::Error {
        match self {
            WaitError::Poll(e) => convert_err(e, is_file),
            WaitError::Unregistered => io::Error::other("waiting for unsupported file type"),
        }
    }
}

/// Turns a netpoller error into the poll layer's `io::Error` (Go's
/// `convertErr`): closing becomes [`NetClosingError`](crate::fd::NetClosingError)
/// or, for files, [`FileClosingError`](crate::fd::FileClosingError); a
/// timeout [`DeadlineExceededError`](crate::fd::DeadlineExceededError).
// ANCHOR: convertErr
#[doc(alias = "convertErr")]
pub fn convert_err(e: PollError, is_file: bool) -> io::Error {
    match e {
        PollError::Closing => err_closing(is_file),
        PollError::Timeout => err_deadline_exceeded(),
        PollError::NotPollable => err_not_pollable(),
    }
}
// ANCHOR_END: convertErr

/// Go's `d := time.Until(t)` as internal/poll passes it down: `0` for no
/// deadline, `-1` for a time already reached (so that "now" is not taken as
/// "none"), else the nanoseconds left (saturating at `i64::MAX`).
fn until(t: Option<Instant>) -> i64 {
    let Some(t) = t else { return 0 };
    let left = t.saturating_duration_since(Instant::now());
    if left.is_zero() {
        -1
    } else {
        i64::try_from(left.as_nanos()).unwrap_or(i64::MAX)
    }
}

impl FD {
    /// Sets both the read and the write deadline (Go's `SetDeadline`): an
    /// operation still waiting at `t` fails with
    /// [`DeadlineExceededError`](crate::fd::DeadlineExceededError)
    /// (`io::ErrorKind::TimedOut`, "i/o timeout"), and so does every later
    /// one until the deadline is moved. `None` clears it; a time in the past
    /// fails pending and later operations at once.
    ///
    /// Fails with "file type does not support deadline" for a descriptor in
    /// blocking mode, and with a closing error after `close`. Set deadlines
    /// from goroutines: the netpoller arms its timers in the runtime of the
    /// caller.
    // ANCHOR: SetDeadline
    #[doc(alias = "SetDeadline")]
    pub fn set_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.set_deadline_impl(t, Mode::ReadWrite)
    }

    /// Sets the read deadline (Go's `SetReadDeadline`); see
    /// [`set_deadline`](Self::set_deadline).
    #[doc(alias = "SetReadDeadline")]
    pub fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.set_deadline_impl(t, Mode::Read)
    }

    /// Sets the write deadline (Go's `SetWriteDeadline`); see
    /// [`set_deadline`](Self::set_deadline).
    #[doc(alias = "SetWriteDeadline")]
    pub fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.set_deadline_impl(t, Mode::Write)
    }

    /// Go's `setDeadlineImpl`.
    // ANCHOR: setDeadlineImpl
    fn set_deadline_impl(&self, t: Option<Instant>, mode: Mode) -> io::Result<()> {
        let d = until(t);
        let _ref = self.incref()?;
        // The absolute deadline, for waits made outside a goroutine (see
        // `FD::wait_io`), which the netpoller's timers cannot serve.
        let abs = match d {
            0 => 0,
            d if d < 0 => 1, // any time in the past
            d => gort_runtime::time::nanotime().saturating_add(d),
        };
        self.pd.set_deadline(d, mode)?;
        // Relaxed: the value is the whole message; a waiter that reads an
        // older one polls again within one slice and re-reads it.
        if mode != Mode::Write {
            self.rdeadline.store(abs, Ordering::Relaxed);
        }
        if mode != Mode::Read {
            self.wdeadline.store(abs, Ordering::Relaxed);
        }
        Ok(())
    }
    // ANCHOR_END: setDeadlineImpl
    // ANCHOR_END: SetDeadline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::{is_deadline_exceeded, is_file_closing, is_net_closing, is_not_pollable};
    use std::time::Duration;

    #[test]
    fn convert_err_maps_each_poll_error() {
        assert!(is_net_closing(&convert_err(PollError::Closing, false)));
        assert!(is_file_closing(&convert_err(PollError::Closing, true)));
        assert!(is_deadline_exceeded(&convert_err(PollError::Timeout, true)));
        assert!(is_not_pollable(&convert_err(PollError::NotPollable, false)));
    }

    #[test]
    fn until_never_confuses_now_with_none() {
        assert_eq!(until(None), 0);
        assert_eq!(until(Some(Instant::now())), -1);
        assert_eq!(until(Some(Instant::now() - Duration::from_secs(1))), -1);
        assert!(until(Some(Instant::now() + Duration::from_secs(10))) > 1_000_000_000);
    }

    #[test]
    fn unregistered_desc_is_blocking_mode() {
        let pd = PollDesc::default();
        assert!(!pd.pollable());
        assert!(pd.prepare_read(false).is_ok());
        assert!(pd.wait(Mode::Read, false).is_err());
        assert!(crate::fd::is_no_deadline(
            &pd.set_deadline(1, Mode::Read).unwrap_err()
        ));
        pd.evict();
        pd.close();
    }
}
