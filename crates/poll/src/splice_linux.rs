//! Mirrors Go src/internal/poll/splice_linux.go (go1.27): moving bytes from one socket to another without copying them through user space.
//!
//! `splice(2)` moves data between a descriptor and a pipe inside the kernel.
//! To go from socket to socket, [`splice`] takes a pipe from a small pool
//! and alternates two steps until the source reaches end of file or the
//! budget `remain` is spent:
//!
//! 1. *drain*: under the source's read lock, splice up to
//!    [`MAX_SPLICE_SIZE`] bytes from the socket into the (empty) pipe,
//!    parking the goroutine in the netpoller while the socket has nothing to
//!    read;
//! 2. *pump*: under the destination's write lock, splice everything the
//!    pipe holds into the destination socket, parking while that socket is
//!    full.
//!
//! Each step holds its fdMutex lock only for its own duration, as Go's
//! `spliceDrain` and `splicePump` do, so a `close` of either FD from
//! another goroutine wakes the transfer with the closing error, and the
//! deadlines of both FDs apply.
//!
//! Every splice passes `SPLICE_F_NONBLOCK`, which makes the *pipe* side
//! nonblocking; the socket side is nonblocking because the FD is. With the
//! pipe empty on entry to a drain and full of exactly what the pump must
//! send, an `EAGAIN` can only come from the socket, so waiting on the
//! socket's pollDesc is the right response. (`SPLICE_F_MOVE` is not passed:
//! kernels since 2.6.21 ignore it, and Go does not pass it either.)
//!
//! The caller learns whether the kernel could splice at all: `handled` is
//! false when the very first splice fails with `EINVAL`, `ENOSYS` or
//! `EOPNOTSUPP` (the socket type has no splice support; nothing was
//! consumed), and the caller then copies through a buffer instead. Go
//! counts only `EINVAL`; the other two mean the same thing and are
//! treated alike here, as Go's sendfile path does.
//!
//! gort runs sockets outside a runtime in blocking mode (no netpoller); a
//! blocking splice could then wait for a whole megabyte, so [`splice`]
//! declines (`handled == false`) unless both FDs are managed by the
//! netpoller, and the caller's plain copy serves those sockets.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::Mutex;

use rustix::io::Errno;

use crate::fd_posix::without_sigpipe;
use crate::fd_unix::FD;

/// The most one splice call is asked to move (Go's `maxSpliceSize`): 1 MiB,
/// which is also the default `/proc/sys/fs/pipe-max-size`, the size every
/// pool pipe is grown to.
#[doc(alias = "maxSpliceSize")]
pub const MAX_SPLICE_SIZE: usize = 1 << 20;

/// How many idle pipes the pool keeps; more are closed when given back.
/// Go's `sync.Pool` has no fixed bound (the garbage collector trims it);
/// a few pipes cover the transfers a process runs at once.
const PIPE_POOL_CAP: usize = 16;

/// Idle pipes, each empty (Go's `splicePipePool`). The lock is held only
/// for a push or a pop, never across a system call or a park.
static SPLICE_PIPE_POOL: Mutex<Vec<(OwnedFd, OwnedFd)>> = Mutex::new(Vec::new());

/// A pipe lent to one [`splice`] call (Go's `splicePipe`).
struct SplicePipe {
    /// The read end.
    rfd: OwnedFd,
    /// The write end.
    wfd: OwnedFd,
    /// Bytes drained into the pipe and not yet pumped out. A pipe is pooled
    /// again only when this is zero.
    data: usize,
}

/// Takes a pipe from the pool, or makes one (Go's `getPipe`).
fn get_pipe() -> io::Result<SplicePipe> {
    let pooled = SPLICE_PIPE_POOL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .pop();
    let (rfd, wfd) = match pooled {
        Some(p) => p,
        None => new_pipe()?,
    };
    Ok(SplicePipe { rfd, wfd, data: 0 })
}

/// Gives a pipe back (Go's `putPipe`). One that still holds data (the pump
/// failed halfway) is closed instead: its bytes belong to a transfer that
/// is over.
fn put_pipe(p: SplicePipe) {
    if p.data != 0 {
        return; // dropping closes both ends
    }
    let mut pool = SPLICE_PIPE_POOL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if pool.len() < PIPE_POOL_CAP {
        pool.push((p.rfd, p.wfd));
    }
}

/// Makes a nonblocking, close-on-exec pipe and grows it to
/// [`MAX_SPLICE_SIZE`] (Go's `newPipe`). A failure to grow it is ignored:
/// a smaller pipe works, with more calls.
fn new_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a writable array of two ints, as pipe2(2) requires.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both numbers are fresh descriptors that
    // nothing else owns.
    let (rfd, wfd) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: `rfd` is an open pipe; F_SETPIPE_SZ takes an int argument and
    // touches no memory of ours.
    let _ = unsafe { libc::fcntl(rfd.as_raw_fd(), libc::F_SETPIPE_SZ, MAX_SPLICE_SIZE as i32) };
    Ok((rfd, wfd))
}

/// One `splice(2)` call from `fd_in` to `fd_out` with no offsets (both are
/// sockets or pipes) and `SPLICE_F_NONBLOCK`.
fn splice_once(fd_out: BorrowedFd<'_>, fd_in: BorrowedFd<'_>, len: usize) -> Result<usize, Errno> {
    // rustix's `pipe::splice` sits behind a feature gort-poll does not
    // enable, so the call goes through libc.
    // SAFETY: both descriptors are open for the duration of the call (they
    // are borrowed); null offsets are what splice(2) requires for pipes and
    // sockets, and the kernel touches no other memory of ours.
    let n = unsafe {
        libc::splice(
            fd_in.as_raw_fd(),
            std::ptr::null_mut(),
            fd_out.as_raw_fd(),
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_NONBLOCK,
        )
    };
    if n < 0 {
        Err(Errno::from_raw_os_error(
            io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ))
    } else {
        Ok(n as usize)
    }
}

/// Whether a splice error means "this descriptor type cannot be spliced"
/// (nothing was consumed, a plain copy will do).
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

/// Moves at most `remain` bytes from `src` to `dst` with `splice(2)`,
/// through a pooled pipe, until `src` reaches end of file (Go's `Splice`).
/// Both must be stream sockets managed by the netpoller; the goroutine
/// parks whenever `src` has nothing to read or `dst` is full.
///
/// Returns the bytes written to `dst`, whether splicing was possible at all
/// (`handled`), and the error that stopped the transfer, if any:
///
/// * `handled == false`: nothing was read or written and the caller should
///   copy through a buffer instead: the FDs are not both pollable, no pipe
///   could be made, or the kernel cannot splice from `src` (`EINVAL`,
///   `ENOSYS`, `EOPNOTSUPP` on the first call).
/// * `handled == true` with `Ok(())`: `src` reached end of file or
///   `remain` bytes were moved.
/// * `handled == true` with an error: a closing error or
///   "i/o timeout" from either FD, or the errno of a failed splice.
///   Bytes read from `src` but not yet written to `dst` are lost, as in Go.
///
/// `src` is locked for reading and `dst` for writing, each only while
/// its half of a step runs, as Go's `spliceDrain` and `splicePump` do.
#[doc(alias = "Splice")]
pub fn splice(dst: &FD, src: &FD, remain: i64) -> (i64, bool, io::Result<()>) {
    if !dst.pollable() || !src.pollable() {
        return (0, false, Ok(()));
    }
    let mut p = match get_pipe() {
        Ok(p) => p,
        Err(e) => return (0, false, Err(e)),
    };
    let mut remain = remain;
    let mut written: i64 = 0;
    let mut handled = false;
    let mut err = Ok(());
    while remain > 0 {
        let max = remain.min(MAX_SPLICE_SIZE as i64) as usize;
        let in_pipe = match splice_drain(p.wfd.as_fd(), src, max) {
            Ok(n) => n,
            Err(e) => {
                // A first call the kernel refuses consumed nothing: the
                // caller can still copy everything by hand.
                handled = handled || !unsupported(&e);
                err = Err(e);
                break;
            }
        };
        handled = true;
        if in_pipe == 0 {
            break; // end of file
        }
        p.data += in_pipe;
        let (n, res) = splice_pump(dst, p.rfd.as_fd(), in_pipe);
        written += n as i64;
        remain -= n as i64;
        p.data -= n;
        if let Err(e) = res {
            err = Err(e);
            break;
        }
    }
    put_pipe(p);
    if err.is_err() {
        return (written, handled, err);
    }
    (written, true, Ok(()))
}

/// Moves up to `max` bytes from the socket `sock` into the pipe whose write
/// end is `pipe_w` (Go's `spliceDrain`). `Ok(0)` is end of file.
///
/// The pipe is empty on entry (new, or emptied by the last pump), so it has
/// room and an `EAGAIN` means the socket has nothing to read: wait for it.
fn splice_drain(pipe_w: BorrowedFd<'_>, sock: &FD, max: usize) -> io::Result<usize> {
    let mut res = Ok(0);
    // `raw_read` takes the read lock, prepares the pollDesc, and parks
    // between calls that return false.
    sock.raw_read(|fd| {
        loop {
            match splice_once(pipe_w, fd, max) {
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => return false,
                r => {
                    res = r.map_err(io::Error::from);
                    return true;
                }
            }
        }
    })?;
    res
}

/// Moves all `in_pipe` bytes of the pipe whose read end is `pipe_r` into
/// the socket `sock` (Go's `splicePump`), waiting whenever the socket is
/// full. Returns how many bytes it moved, and the error that stopped it.
///
/// The pipe holds exactly `in_pipe` bytes on entry, so an `EAGAIN` means
/// the socket is full: wait for it to drain.
fn splice_pump(sock: &FD, pipe_r: BorrowedFd<'_>, in_pipe: usize) -> (usize, io::Result<()>) {
    let mut left = in_pipe;
    let mut written = 0;
    let mut res = Ok(());
    let waited = sock.raw_write(|fd| {
        loop {
            if left == 0 {
                return true;
            }
            // A socket whose peer has gone fails with EPIPE, which a
            // splice would also raise SIGPIPE for.
            match without_sigpipe(|| splice_once(fd, pipe_r, left)) {
                Ok(0) => {
                    // The pipe is ours and holds `left` bytes: an empty splice
                    // means the kernel broke the invariant; stop loudly
                    // rather than spin.
                    res = Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        format!("gort-poll: splice moved nothing from a pipe holding {left} bytes"),
                    ));
                    return true;
                }
                Ok(n) => {
                    left -= n;
                    written += n;
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return false,
                Err(e) => {
                    res = Err(e.into());
                    return true;
                }
            }
        }
    });
    match waited {
        Err(e) => (written, Err(e)),
        Ok(()) => (written, res),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_keeps_empty_pipes_and_drops_full_ones() {
        let p = get_pipe().unwrap();
        let raw = p.rfd.as_raw_fd();
        put_pipe(p);
        // Look for our pipe among the pooled ones rather than at the top:
        // the pool is process-wide. Only this test pools pipes in this
        // binary, so a closed number cannot come back into the pool.
        let pooled = |fd| {
            SPLICE_PIPE_POOL
                .lock()
                .unwrap()
                .iter()
                .any(|(r, _)| r.as_raw_fd() == fd)
        };
        assert!(pooled(raw));
        let mut p = get_pipe().unwrap();
        p.data = 1;
        let raw = p.rfd.as_raw_fd();
        put_pipe(p);
        assert!(!pooled(raw));
    }

    #[test]
    fn new_pipe_is_grown_to_max_splice_size() {
        let (r, _w) = new_pipe().unwrap();
        // SAFETY: `r` is an open pipe; F_GETPIPE_SZ reads no memory of ours.
        let size = unsafe { libc::fcntl(r.as_raw_fd(), libc::F_GETPIPE_SZ) };
        // Unprivileged processes may grow a pipe up to pipe-max-size,
        // 1 MiB by default; a host that lowered it keeps a smaller pipe.
        let max = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .unwrap_or(0);
        if max >= MAX_SPLICE_SIZE as i32 {
            assert_eq!(size, MAX_SPLICE_SIZE as i32);
        } else {
            assert!(size > 0);
        }
    }

    #[test]
    fn unsupported_errnos() {
        for code in [libc::EINVAL, libc::ENOSYS, libc::EOPNOTSUPP] {
            assert!(unsupported(&io::Error::from_raw_os_error(code)));
        }
        assert!(!unsupported(&io::Error::from_raw_os_error(libc::EPIPE)));
        assert!(!unsupported(&crate::fd::err_net_closing()));
    }
}
