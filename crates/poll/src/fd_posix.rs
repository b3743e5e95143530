//! Mirrors Go src/internal/poll/fd_posix.go (go1.27): the FD operations shared by every POSIX system, and the EINTR rule.
//!
//! These operations need no netpoller: each holds a plain fdMutex reference
//! (so `close` cannot free the number under it) and makes one system call.
//! Here too lives the rule that every system call interrupted by a signal
//! (`EINTR`) is simply made again ([`ignoring_eintr`]): gort, like Go,
//! cannot rule out signal handlers installed without `SA_RESTART`; and
//! [`without_sigpipe`], which keeps the socket writes that cannot say
//! `MSG_NOSIGNAL` from raising SIGPIPE (see fd_unix.rs).

use std::io;
use std::os::fd::BorrowedFd;

use rustix::io::Errno;
use rustix::net::Shutdown;

use crate::fd_unix::FD;

/// Runs `f` again for as long as it fails with `EINTR` (Go's
/// `ignoringEINTR` and `ignoringEINTRIO`).
// ANCHOR: ignoringEINTR
#[doc(alias = "ignoringEINTR")]
#[doc(alias = "ignoringEINTRIO")]
pub(crate) fn ignoring_eintr<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(Errno::INTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}
// ANCHOR_END: ignoringEINTR

/// Makes the system call `f`, which writes to a socket by a call that has
/// no `MSG_NOSIGNAL` flag (`splice(2)`, `sendfile(2)`), so that an `EPIPE`
/// it meets is only an error and does not also raise SIGPIPE, whose default
/// action kills the process.
///
/// Go's runtime catches SIGPIPE for the whole process and drops the ones a
/// socket write raises; gort is a library inside someone else's process, so
/// it leaves the disposition alone and keeps the signal from being delivered
/// instead: SIGPIPE is blocked on this thread for the length of the call
/// (a write raises it on the writing thread), and if the call failed with
/// `EPIPE` the signal it left pending is taken with a zero-timeout
/// `sigtimedwait(2)` before the old mask is restored. A thread that already
/// blocks SIGPIPE is left as it is, its pending signal included. `f` must
/// not park (the mask belongs to the thread, not the goroutine).
pub(crate) fn without_sigpipe<T>(f: impl FnOnce() -> Result<T, Errno>) -> Result<T, Errno> {
    // SAFETY: an all-zero `sigset_t` is a valid (if unspecified) set, and
    // `sigemptyset` then makes it the empty set.
    let mut pipe_only: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both calls write only into `pipe_only`, which we own;
    // SIGPIPE is a valid signal number, so neither can fail.
    unsafe {
        libc::sigemptyset(&mut pipe_only);
        libc::sigaddset(&mut pipe_only, libc::SIGPIPE);
    }
    // SAFETY: as for `pipe_only`.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `pipe_only` is a valid set and `old` has room for the old
    // mask; SIG_BLOCK cannot fail with valid arguments.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &pipe_only, &mut old) };
    let res = f();
    // SAFETY: `old` was filled in by pthread_sigmask above.
    let was_blocked = unsafe { libc::sigismember(&old, libc::SIGPIPE) } == 1;
    if !was_blocked {
        if res.as_ref().err() == Some(&Errno::PIPE) {
            let zero = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // Takes the pending SIGPIPE, or fails with EAGAIN if there is
            // none (SIGPIPE ignored: the kernel dropped it at once); EINTR
            // (another signal's handler ran) means try again.
            // SAFETY: `pipe_only` and `zero` are valid for the call and a
            // null info pointer is allowed.
            while unsafe { libc::sigtimedwait(&pipe_only, std::ptr::null_mut(), &zero) } < 0
                && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
            {}
        }
        // SAFETY: `old` is the mask this thread had before; restoring it
        // cannot fail.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    }
    res
}

impl FD {
    /// Calls `f` with the descriptor for an operation that is neither a read
    /// nor a write, holding a reference so that `close` cannot free the
    /// number meanwhile (Go's `RawControl`). `f` must not close it.
    #[doc(alias = "RawControl")]
    pub fn raw_control<R>(&self, f: impl FnOnce(BorrowedFd<'_>) -> R) -> io::Result<R> {
        let r = self.incref()?;
        Ok(f(r.sysfd()))
    }

    /// Shuts down the reading side, the writing side or both of a socket
    /// (Go's `Shutdown`, `shutdown(2)`).
    #[doc(alias = "Shutdown")]
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let r = self.incref()?;
        rustix::net::shutdown(r.sysfd(), how)?;
        Ok(())
    }

    /// Truncates or extends the file to `size` bytes (Go's `Ftruncate`).
    #[doc(alias = "Ftruncate")]
    pub fn ftruncate(&self, size: u64) -> io::Result<()> {
        let r = self.incref()?;
        ignoring_eintr(|| rustix::fs::ftruncate(r.sysfd(), size))
    }

    /// Changes the file's owner and group (Go's `Fchown`); `None` leaves one
    /// as it is (Go's `-1`).
    #[doc(alias = "Fchown")]
    pub fn fchown(&self, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
        let r = self.incref()?;
        // The kernel checks the ids; `u32::MAX` is Go's `-1` ("unchanged").
        let uid = uid
            .filter(|&u| u != u32::MAX)
            .map(rustix::fs::Uid::from_raw);
        let gid = gid
            .filter(|&g| g != u32::MAX)
            .map(rustix::fs::Gid::from_raw);
        ignoring_eintr(|| rustix::fs::fchown(r.sysfd(), uid, gid))
    }
}
