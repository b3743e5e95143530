//! Mirrors Go src/internal/poll/fd_posix.go (go1.27): the FD operations shared by every POSIX system, and the EINTR rule.
//!
//! These operations need no netpoller: each holds a plain fdMutex reference
//! (so `close` cannot free the number under it) and makes one system call.
//! Here too lives the rule that every system call interrupted by a signal
//! (`EINTR`) is simply made again ([`ignoring_eintr`]): gort, like Go,
//! cannot rule out signal handlers installed without `SA_RESTART`.

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
