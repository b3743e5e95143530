//! Mirrors Go src/internal/poll/sendfile_unix.go (go1.27): sending a file's bytes to a socket with `sendfile(2)`.
//!
//! `sendfile(2)` copies from a file to a socket inside the kernel: the
//! bytes go from the page cache to the socket buffer without a trip
//! through user space. On Linux it reads from the file's own offset and
//! moves that offset forward, so [`send_file`] needs no setup: it takes the
//! destination's write lock, then calls `sendfile` in chunks until the
//! file ends or `size` bytes are sent, parking the goroutine in the
//! netpoller whenever the socket is full. (Go's BSD and Solaris branches,
//! which pass explicit offsets, have no counterpart: gort is Linux only.)
//!
//! The source is a plain descriptor, not an [`FD`]: regular files are never
//! managed by the netpoller, and a read from the page cache does not wait
//! for the network. A page that must come from disk blocks the thread for
//! the duration of that read, as it does in Go.

use std::io;
use std::os::fd::BorrowedFd;

use rustix::io::Errno;

use crate::fd_posix::without_sigpipe;
use crate::fd_unix::FD;

/// The most one `sendfile(2)` call is asked to send: the largest `int32`,
/// so that no count can overflow on any platform (Go's chunk limit).
const MAX_SENDFILE_CHUNK: usize = (1 << 31) - 1;

/// Sends the file `src` to `dst` with `sendfile(2)`, from the file's current
/// offset, which it moves past what was sent (Go's `SendFile`). With
/// `size == 0`, sends until end of file; otherwise at most `size` bytes.
///
/// Returns the bytes sent, whether sendfile could do the work (`handled`),
/// and the error that stopped it:
///
/// * `handled == false`: nothing was sent and the file offset is
///   unchanged; the caller should copy through a buffer. This is the case
///   when `dst` is closed or past its write deadline before anything is
///   sent (Go returns those errors with `handled == false` too, so the
///   fallback reports them), when `dst` is not managed by the netpoller
///   (gort's blocking mode, where one call could block for the whole
///   file), or when the first call fails with `EINVAL`, `ENOSYS` or
///   `EOPNOTSUPP` (`src` cannot be sent from, e.g. a pipe or a socket).
/// * `handled == true`: the count is what reached `dst`; the error, if
///   any, is a closing error, "i/o timeout", or the errno of a failed call.
///
/// The goroutine parks while `dst` is full, holding `dst`'s write lock
/// throughout, as Go does.
#[doc(alias = "SendFile")]
pub fn send_file(dst: &FD, src: BorrowedFd<'_>, size: i64) -> (i64, bool, io::Result<()>) {
    if !dst.pollable() {
        return (0, false, Ok(()));
    }
    let mut written: i64 = 0;
    let mut res = Ok(());
    let mut handled = true;
    // Whether the closure ran: `raw_write` fails before it on a closed FD
    // or an expired deadline, and Go reports those as not handled.
    let mut started = false;
    let waited = dst.raw_write(|fd| {
        started = true;
        loop {
            let chunk = if size > 0 {
                (size - written).min(MAX_SENDFILE_CHUNK as i64) as usize
            } else {
                MAX_SENDFILE_CHUNK
            };
            match without_sigpipe(|| rustix::fs::sendfile(fd, src, None, chunk)) {
                Ok(n) => {
                    written += n as i64;
                    // Zero bytes: end of the file. Else go on unless the
                    // budget is spent.
                    if n == 0 || (size > 0 && written >= size) {
                        return true;
                    }
                }
                Err(Errno::AGAIN) => {
                    if size > 0 && written >= size {
                        return true;
                    }
                    return false; // wait for room in the socket
                }
                Err(Errno::INTR) => {}
                Err(e @ (Errno::NOSYS | Errno::OPNOTSUPP | Errno::INVAL)) => {
                    // This descriptor pair cannot be sent between; the
                    // caller may still copy if nothing went yet. (ENOTSUP
                    // is EOPNOTSUPP on Linux.)
                    handled = written > 0;
                    res = Err(e.into());
                    return true;
                }
                Err(e) => {
                    res = Err(e.into());
                    return true;
                }
            }
        }
    });
    match waited {
        Err(e) => (written, started, Err(e)),
        Ok(()) => (written, handled, res),
    }
}
