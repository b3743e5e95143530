//! Mirrors Go src/internal/poll/fd_unix.go (go1.27): the FD, its lifetime and its I/O loops.
//!
//! [`FD`] owns one descriptor (socket, pipe, terminal, regular file) and
//! gives goroutines blocking-looking I/O on it. For a descriptor the
//! netpoller manages, every operation follows one pattern:
//!
//! 1. take the fdMutex (`rwlock(true)` for reads, `rwlock(false)` for
//!    writes, `incref` for the rest), failing with a closing error once
//!    `close` has begun;
//! 2. `prepare` the poll descriptor, failing if it is closing or the
//!    deadline has passed;
//! 3. loop: make the nonblocking system call; retry on `EINTR`; on `EAGAIN`
//!    park the goroutine in the netpoller until the descriptor is ready (or
//!    a deadline or `close` ends the wait with an error), then try again;
//! 4. release the fdMutex. Whoever drops the last reference of a closed FD
//!    destroys it: unregister from the netpoller, `close(2)`, and signal
//!    `csema`.
//!
//! `close` marks the fdMutex closed, evicts the poll descriptor (every parked
//! operation wakes and fails with "use of closed network connection", or
//! "use of closed file" for files), drops its own reference, then waits on
//! `csema` until the descriptor has really been closed. So no system call is
//! ever made on a descriptor number after `close(2)` freed it for reuse, and
//! when `close` returns the number is gone.
//!
//! A descriptor the netpoller cannot manage (registration failed, or
//! `pollable` was false) runs in *blocking mode*: its system calls block the
//! thread, so they run inside [`gort_runtime::blocking`], on a helper thread
//! while the goroutine parks (where Go's `entersyscall` hands the P to
//! another thread); `close` does not wait for in-flight operations then,
//! since they may block indefinitely.
//!
//! # Outside a goroutine
//!
//! gort-netpoll parks only goroutines: from a plain thread (or inside
//! `blocking`) its wait fails with "not pollable". Go has no such callers;
//! gort does (`impl Read for &FD` is usable anywhere), so such a wait falls
//! back to `poll(2)` on the calling thread in slices of at most
//! [`THREAD_POLL_SLICE_NS`], re-checking close and the deadline between
//! slices.
//!
//! # SIGPIPE
//!
//! Writing to a stream socket whose peer has gone fails with `EPIPE`, and
//! the kernel also sends the writing thread SIGPIPE, whose default action
//! kills the process. Go's runtime handles SIGPIPE for the whole process
//! and drops the ones socket writes raise, so a Go server only sees the
//! error. gort is a library and leaves the signal's disposition to its
//! host, so its socket writes ask the kernel not to send it: `write(2)` and
//! `writev(2)` on a socket become `send(2)` and `sendmsg(2)` with
//! `MSG_NOSIGNAL` (the same calls otherwise), and `sendto`/`sendmsg` pass
//! that flag too. `splice(2)` and `sendfile(2)` have no such flag; they
//! run under `without_sigpipe` (fd_posix.rs). Descriptors that are not
//! sockets ([`FdKind::File`]: pipes, terminals, files) keep plain
//! `write(2)`, and a broken pipe among them does whatever the host's
//! SIGPIPE disposition says.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};

use gort_netpoll::{Mode, PollError};
use rustix::io::Errno;
use rustix::net::{
    RecvAncillaryBuffer, RecvFlags, RecvMsg, SendAncillaryBuffer, SendFlags, SocketAddrAny,
    SocketFlags, addr::SocketAddrArg,
};

use crate::FdMutex;
use crate::atomic::{semacquire, semrelease};
use crate::fd::{consume, err_closing, err_deadline_exceeded};
use crate::fd_poll_runtime::{PollDesc, WaitError};
use crate::fd_posix::ignoring_eintr;

/// The most a single `read(2)` or `write(2)` on a stream asks for (Go's
/// `maxRW`): some systems fail transfers of 2 GiB and more, and 1 GiB keeps
/// later transfers aligned.
#[doc(alias = "maxRW")]
pub const MAX_RW: usize = 1 << 30;

/// The most buffers one `writev(2)` is given (Linux's `IOV_MAX`).
pub const MAX_VEC: usize = 1024;

/// The longest a thread (not a goroutine) sleeps in `poll(2)` before it
/// re-checks close and the deadline of the descriptor it waits on.
pub const THREAD_POLL_SLICE_NS: i64 = 20_000_000;

/// A file descriptor with goroutine-blocking I/O (Go's `poll.FD`, the core
/// of `net.netFD` and `os.File`).
///
/// Any number of goroutines may use one `FD` at once through `&FD`: reads
/// are serialized with reads and writes with writes, and
/// [`close`](Self::close) may come from anywhere at any time, waking the
/// blocked operations with a closing error. Dropping an `FD` closes it.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::fd::OwnedFd;
/// use std::sync::Arc;
/// use gort_poll::{FD, FdKind};
///
/// let rt = gort_runtime::Runtime::builder()
///     .netpoll(Arc::new(gort_netpoll::Poller::new().unwrap()))
///     .build()
///     .unwrap();
/// rt.block_on(|| {
///     let (r, w) = std::io::pipe().unwrap();
///     let r = FD::new(OwnedFd::from(r), FdKind::File, true);
///     let w = FD::new(OwnedFd::from(w), FdKind::File, true);
///     let writer = gort_runtime::spawn(move || (&w).write_all(b"hi").unwrap());
///     let mut got = [0; 2];
///     (&r).read_exact(&mut got).unwrap(); // parks until "hi" arrives
///     assert_eq!(&got, b"hi");
///     writer.join().unwrap();
/// });
/// ```
// ANCHOR: FD
#[doc(alias = "poll.FD")]
pub struct FD {
    /// Serializes reads and writes and counts the references that keep
    /// `sysfd` open (Go's `fdmu`).
    pub(crate) fdmu: FdMutex,
    /// The descriptor (Go's `Sysfd`). Owned: closed exactly once, by
    /// `destroy`, which only the holder of the last reference of a closed
    /// FD calls. Valid while any fdMutex reference is held.
    sysfd: RawFd,
    /// The netpoller registration (Go's `pd`).
    pub(crate) pd: PollDesc,
    /// Posted by `destroy` once `close(2)` is done; `close` waits on it
    /// (Go's `csema`).
    csema: AtomicU32,
    /// Whether the descriptor is in blocking mode (Go's `isBlocking`). Only
    /// ever goes from false to true.
    is_blocking: AtomicBool,
    /// Set by `destroy`, to make a second destruction loud.
    destroyed: AtomicBool,
    /// Absolute read deadline in `nanotime` units, 0 for none: a copy of the
    /// netpoller's, for waits outside a goroutine.
    pub(crate) rdeadline: AtomicI64,
    /// Absolute write deadline, as `rdeadline`.
    pub(crate) wdeadline: AtomicI64,
    /// What the descriptor is; Go's `IsStream`, `ZeroReadIsEOF` and
    /// `isFile` follow from it. Constant.
    kind: FdKind,
    /// `kind.is_stream()` (Go's `IsStream`), kept for the I/O loops.
    /// Constant.
    is_stream: bool,
    /// `kind.is_file()` (Go's `isFile`): closing errors say "file", and
    /// writes use `write(2)` rather than `send(2)`. Constant.
    is_file: bool,
    /// Set when a read of this TCP socket returned fewer bytes than asked
    /// for (gort's, not Go's; see [`read`](Self::read)). Only the holder of
    /// the read lock touches it, and the fdMutex's acquire/release orders
    /// those holders, so Relaxed suffices.
    read_drained: AtomicBool,
    /// Why registering with the netpoller failed, if it did.
    init_err: Option<io::Error>,
}
// ANCHOR_END: FD

/// What a reference taken from the fdMutex allows, and how to give it back.
#[derive(Clone, Copy)]
enum Hold {
    /// `incref` / `decref`.
    Ref,
    /// `rwlock(true)` / `rwunlock(true)`.
    Read,
    /// `rwlock(false)` / `rwunlock(false)`.
    Write,
}

/// A reference on an [`FD`]'s fdMutex; dropping it gives the reference
/// back and destroys the FD if it was the last one of a closed FD (Go's
/// `defer fd.decref()` / `readUnlock` / `writeUnlock`).
pub(crate) struct FdRef<'a> {
    fd: &'a FD,
    hold: Hold,
}

impl FdRef<'_> {
    /// The descriptor, valid for as long as this reference is held.
    pub(crate) fn sysfd(&self) -> BorrowedFd<'_> {
        // SAFETY: we hold an fdMutex reference, so `destroy` (the only
        // place that closes `sysfd`) cannot run before we drop it, and the
        // borrow cannot outlive `self`.
        unsafe { BorrowedFd::borrow_raw(self.fd.sysfd) }
    }
}

// ANCHOR: readUnlock
impl Drop for FdRef<'_> {
    fn drop(&mut self) {
        let last = match self.hold {
            Hold::Ref => self.fd.fdmu.decref(),
            Hold::Read => self.fd.fdmu.rwunlock(true),
            Hold::Write => self.fd.fdmu.rwunlock(false),
        };
        if last {
            self.fd.destroy();
        }
    }
}
// ANCHOR_END: readUnlock

/// The result of a transfer that stopped after `done` bytes because of `e`:
/// Rust's `Read`/`Write` contract reports the bytes now and the error on the
/// next call (which meets the same condition: closed, deadline, `EPIPE`),
/// where Go returns both at once.
fn partial(done: usize, e: io::Error) -> io::Result<usize> {
    if done > 0 { Ok(done) } else { Err(e) }
}

/// What the descriptor under an [`FD`] is, as far as the poll layer cares.
///
/// Go's callers describe a descriptor to `poll.FD` with two fields and one
/// argument: `IsStream` and `ZeroReadIsEOF` (which `net` derives from the
/// socket type and `os` sets for every file) and the `net` argument of
/// `Init`, of which only `"file"` matters. The kinds below are the
/// combinations those callers use; [`is_stream`](Self::is_stream),
/// [`zero_read_is_eof`](Self::zero_read_is_eof) and
/// [`is_file`](Self::is_file) give Go's fields back.
///
/// | kind          | Go's caller                      | `IsStream` | `ZeroReadIsEOF` | file |
/// |---------------|----------------------------------|------------|-----------------|------|
/// | `File`        | `os.newFile` (`Init("file")`)    | yes        | yes             | yes  |
/// | `Tcp`         | `net.newFD`, TCP                 | yes        | yes             | no   |
/// | `Stream`      | `net.newFD`, other `SOCK_STREAM` | yes        | yes             | no   |
/// | `SeqPacket`   | `net.newFD`, `SOCK_SEQPACKET`    | no         | yes             | no   |
/// | `Datagram`    | `net.newFD`, `SOCK_DGRAM`/`RAW`  | no         | no              | no   |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FdKind {
    /// Anything that is not a socket: a pipe, a terminal, a regular file,
    /// an eventfd (Go's `Init("file", ...)`). Closing errors say "use of
    /// closed file"; writes use `write(2)` (see the module doc on SIGPIPE).
    File,
    /// A TCP socket. As [`Stream`](Self::Stream), and a read that comes back
    /// short makes the next one wait for the netpoller first (gort's, not
    /// Go's; see [`FD::read`]).
    Tcp,
    /// A stream socket other than TCP (`SOCK_STREAM`: a Unix stream).
    Stream,
    /// A sequenced-packet socket (`SOCK_SEQPACKET`): messages, and a
    /// zero-byte read is end of file.
    SeqPacket,
    /// A datagram socket (`SOCK_DGRAM`, or `SOCK_RAW`): a zero-byte read is
    /// an empty datagram, not end of file.
    Datagram,
}

impl FdKind {
    /// Whether the descriptor is a byte stream (Go's `IsStream`): reads and
    /// writes ask for at most [`MAX_RW`] bytes at a time.
    pub fn is_stream(self) -> bool {
        matches!(self, FdKind::File | FdKind::Tcp | FdKind::Stream)
    }

    /// Whether a zero-byte read means end of file (Go's `ZeroReadIsEOF`).
    pub fn zero_read_is_eof(self) -> bool {
        self != FdKind::Datagram
    }

    /// Whether the descriptor is not a socket (Go's `isFile`).
    pub fn is_file(self) -> bool {
        self == FdKind::File
    }
}

impl FD {
    /// Wraps `fd` (Go's `FD.Init`, with the nonblocking setup that `os` and
    /// `net` do before it). `kind` says what the descriptor is (Go's
    /// `IsStream`, `ZeroReadIsEOF` and the `"file"` name; see [`FdKind`]).
    ///
    /// With `pollable` (Go's argument of the same name), the descriptor is
    /// switched to nonblocking mode and registered with the netpoller of
    /// the calling goroutine's runtime. If that fails (a regular file, which
    /// epoll refuses with `EPERM`; a caller that is not a goroutine; or a
    /// goroutine whose runtime has no poller), the FD keeps working in
    /// blocking mode, as in Go, and [`init_error`](Self::init_error) tells
    /// why. The last case is gort-netpoll's
    /// [`NoPollerError`](gort_netpoll::NoPollerError), which gort-net turns
    /// into a failure to create the socket rather than use a socket whose
    /// deadlines could not work. Without `pollable` the descriptor is used
    /// as it is, in blocking mode.
    // ANCHOR: Init
    #[doc(alias = "Init")]
    pub fn new(fd: OwnedFd, kind: FdKind, pollable: bool) -> FD {
        let mut this = FD {
            fdmu: FdMutex::new(),
            sysfd: fd.into_raw_fd(),
            pd: PollDesc::default(),
            csema: AtomicU32::new(0),
            is_blocking: AtomicBool::new(true),
            destroyed: AtomicBool::new(false),
            rdeadline: AtomicI64::new(0),
            wdeadline: AtomicI64::new(0),
            kind,
            is_stream: kind.is_stream(),
            is_file: kind.is_file(),
            read_drained: AtomicBool::new(false),
            init_err: None,
        };
        if pollable {
            // SAFETY: we own `sysfd` and close it only in `destroy`, which
            // cannot run before `this` exists and is closed.
            let fd = unsafe { BorrowedFd::borrow_raw(this.sysfd) };
            if let Err(e) = this.init_poll(fd) {
                this.init_err = Some(e);
            } else {
                *this.is_blocking.get_mut() = false;
            }
        }
        this
    }
    // ANCHOR_END: Init

    /// Sets `fd` nonblocking and registers it; on failure leaves the flags as
    /// they were (Go's `newFile` and `Init` together).
    fn init_poll(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        let was_nonblocking = rustix::fs::fcntl_getfl(fd)?.contains(rustix::fs::OFlags::NONBLOCK);
        if !was_nonblocking {
            rustix::io::ioctl_fionbio(fd, true)?;
        }
        // SAFETY: `fd` stays open until `destroy`, which closes the poll
        // descriptor before `close(2)`.
        match unsafe { PollDesc::init(fd) } {
            Ok(pd) => {
                self.pd = pd;
                Ok(())
            }
            Err(e) => {
                if !was_nonblocking {
                    // Best effort, as Go: a failure leaves a nonblocking
                    // descriptor whose EAGAINs reach the caller.
                    let _ = rustix::io::ioctl_fionbio(fd, false);
                }
                Err(e)
            }
        }
    }

    /// Why registering with the netpoller failed, if `pollable` was asked
    /// for and it did (the FD then runs in blocking mode).
    pub fn init_error(&self) -> Option<&io::Error> {
        self.init_err.as_ref()
    }

    /// Whether the netpoller manages the descriptor (deadlines work, waits
    /// park the goroutine).
    pub fn pollable(&self) -> bool {
        self.pd.pollable()
    }

    /// What the descriptor is, as given to [`new`](Self::new).
    pub fn kind(&self) -> FdKind {
        self.kind
    }

    /// Whether the descriptor is a byte stream (Go's `IsStream`).
    pub fn is_stream(&self) -> bool {
        self.is_stream
    }

    /// Whether a zero-byte read means end of file (Go's `ZeroReadIsEOF`).
    pub fn zero_read_is_eof(&self) -> bool {
        self.kind.zero_read_is_eof()
    }

    /// Whether the FD is a file rather than a socket (Go's `isFile`).
    pub fn is_file(&self) -> bool {
        self.is_file
    }

    fn is_blocking(&self) -> bool {
        // Relaxed: a mode flag that only goes false → true (`set_blocking`);
        // reading a stale false only means one more nonblocking attempt,
        // whose EAGAIN path still works.
        self.is_blocking.load(Ordering::Relaxed)
    }

    /// One `write(2)` of `buf`; on a socket, `send(2)` with `MSG_NOSIGNAL`
    /// instead, the same call except that a peer that has gone (`EPIPE`)
    /// does not also raise SIGPIPE (see the module doc).
    fn write_once(&self, fd: BorrowedFd<'_>, buf: &[u8]) -> rustix::io::Result<usize> {
        if self.is_file {
            rustix::io::write(fd, buf)
        } else {
            rustix::net::send(fd, buf, SendFlags::NOSIGNAL)
        }
    }

    /// One `writev(2)` of `iov`; on a socket, `sendmsg(2)` with
    /// `MSG_NOSIGNAL` and no control data instead (see
    /// [`write_once`](Self::write_once)).
    fn writev_once(&self, fd: BorrowedFd<'_>, iov: &[IoSlice<'_>]) -> rustix::io::Result<usize> {
        if self.is_file {
            rustix::io::writev(fd, iov)
        } else {
            let mut no_control = SendAncillaryBuffer::default();
            rustix::net::sendmsg(fd, iov, &mut no_control, SendFlags::NOSIGNAL)
        }
    }

    /// Takes a reference of kind `hold` on the fdMutex, or fails with the
    /// closing error once `close` has begun.
    // ANCHOR: readLock
    fn hold(&self, hold: Hold) -> io::Result<FdRef<'_>> {
        let ok = match hold {
            Hold::Ref => self.fdmu.incref(),
            Hold::Read => self.fdmu.rwlock(true),
            Hold::Write => self.fdmu.rwlock(false),
        };
        if !ok {
            return Err(err_closing(self.is_file));
        }
        Ok(FdRef { fd: self, hold })
    }

    /// Takes a plain reference (Go's `incref`).
    pub(crate) fn incref(&self) -> io::Result<FdRef<'_>> {
        self.hold(Hold::Ref)
    }

    /// Takes the read lock (Go's `readLock`).
    pub(crate) fn read_lock(&self) -> io::Result<FdRef<'_>> {
        // Every read and accept starts here, before it holds anything: the
        // place where a goroutine whose time slice is used up gives way.
        gort_runtime::preempt_point();
        self.hold(Hold::Read)
    }

    /// Takes the write lock (Go's `writeLock`).
    pub(crate) fn write_lock(&self) -> io::Result<FdRef<'_>> {
        // As in `read_lock`.
        gort_runtime::preempt_point();
        self.hold(Hold::Write)
    }
    // ANCHOR_END: readLock

    /// Closes the descriptor: unregisters it and `close(2)`s it, then posts
    /// `csema` (Go's `destroy`). Called exactly once, by whoever dropped the
    /// last reference of the closed FD.
    // ANCHOR: destroy
    fn destroy(&self) {
        // Relaxed: only detects a second call; the fdMutex CAS that handed
        // us the last reference already orders us after every operation.
        if self.destroyed.swap(true, Ordering::Relaxed) {
            panic!("gort-poll: FD destroyed twice (inconsistent poll.fdMutex)");
        }
        // The netpoller must forget the number before close(2) frees it.
        self.pd.close();
        // SAFETY: we own `sysfd` (taken from an OwnedFd in `new`), no
        // operation holds a reference any more, and this runs once (above).
        drop(unsafe { OwnedFd::from_raw_fd(self.sysfd) });
        semrelease(&self.csema);
    }
    // ANCHOR_END: destroy

    /// Closes the FD (Go's `Close`): every operation blocked on it wakes
    /// with "use of closed network connection" ("use of closed file" for
    /// files), every later one fails with it at once, and the descriptor is
    /// `close(2)`d as soon as the last operation in flight has returned.
    /// Unless the FD is in blocking mode, waits for that before returning.
    ///
    /// Fails with the closing error if the FD was already closed.
    // ANCHOR: Close
    #[doc(alias = "Close")]
    pub fn close(&self) -> io::Result<()> {
        if !self.fdmu.incref_and_close() {
            return Err(err_closing(self.is_file));
        }
        // Wake the parked operations; they fail and drop their references.
        self.pd.evict();
        drop(FdRef {
            fd: self,
            hold: Hold::Ref,
        });
        // In blocking mode an operation in flight may block forever; Go does
        // not wait for it then (the last one out closes the descriptor).
        if !self.is_blocking() {
            semacquire(&self.csema);
        }
        Ok(())
    }
    // ANCHOR_END: Close

    /// Puts the descriptor in blocking mode (Go's `SetBlocking`): later
    /// operations block their thread (inside [`gort_runtime::blocking`]),
    /// and `close` no longer waits for operations in flight.
    #[doc(alias = "SetBlocking")]
    pub fn set_blocking(&self) -> io::Result<()> {
        let r = self.incref()?;
        // Relaxed: see `is_blocking`.
        self.is_blocking.store(true, Ordering::Relaxed);
        rustix::io::ioctl_fionbio(r.sysfd(), false)?;
        Ok(())
    }

    /// Runs a system call: in blocking mode on a `blocking` helper thread,
    /// so the goroutines sharing the caller's thread keep running.
    fn sys<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        if self.is_blocking() {
            gort_runtime::blocking(f)
        } else {
            f()
        }
    }

    /// Makes the system call `op` until it stops failing with `EAGAIN`,
    /// waiting for readiness in `mode` in between (the loop of Go's `Read`,
    /// `ReadFrom`, `ReadMsg`, `WriteTo`, `WriteMsg`). Without a netpoller
    /// registration, `EAGAIN` is returned as it is (`WouldBlock`).
    // ANCHOR: retry
    fn retry<T: Send>(
        &self,
        fd: BorrowedFd<'_>,
        mode: Mode,
        mut op: impl FnMut() -> io::Result<T> + Send,
    ) -> io::Result<T> {
        loop {
            match self.sys(&mut op) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && self.pd.pollable() => {
                    self.wait_io(fd, mode)?;
                }
                res => return res,
            }
        }
    }
    // ANCHOR_END: retry

    /// Waits until `fd` may be ready in `mode` after an `EAGAIN`: parks the
    /// goroutine in the netpoller, or, outside a goroutine, polls on the
    /// thread for one slice (see the module doc).
    // ANCHOR: wait_io
    fn wait_io(&self, fd: BorrowedFd<'_>, mode: Mode) -> io::Result<()> {
        match self.pd.wait_raw(mode) {
            Ok(()) => Ok(()),
            // "Not pollable" because the caller cannot park, not because
            // epoll reported an error on the read side: wait on the thread.
            Err(WaitError::Poll(PollError::NotPollable))
                if !(gort_runtime::can_park() || (mode == Mode::Read && self.pd.event_err())) =>
            {
                self.wait_thread(fd, mode)
            }
            Err(e) => Err(e.into_io(self.is_file)),
        }
    }
    // ANCHOR_END: wait_io

    /// One slice of a thread's wait for readiness (see the module doc).
    /// Spurious returns are fine: the caller retries its system call.
    fn wait_thread(&self, fd: BorrowedFd<'_>, mode: Mode) -> io::Result<()> {
        let deadline = if mode == Mode::Read {
            &self.rdeadline
        } else {
            &self.wdeadline
        };
        // Relaxed: see `set_deadline_impl`.
        let deadline = deadline.load(Ordering::Relaxed);
        let mut slice = THREAD_POLL_SLICE_NS;
        if deadline != 0 {
            let left = deadline.saturating_sub(gort_runtime::time::nanotime());
            if left <= 0 {
                return Err(err_deadline_exceeded());
            }
            slice = slice.min(left);
        }
        let events = if mode == Mode::Read {
            rustix::event::PollFlags::IN
        } else {
            rustix::event::PollFlags::OUT
        };
        let mut fds = [rustix::event::PollFd::from_borrowed_fd(fd, events)];
        let ts = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: slice,
        };
        match rustix::event::poll(&mut fds, Some(&ts)) {
            Ok(_) | Err(Errno::INTR) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads into `buf` (Go's `Read`), parking the goroutine until data
    /// arrives. `Ok(0)` for a non-empty `buf` is end of file on a stream; an
    /// empty `buf` returns `Ok(0)` at once. A stream read asks for at most
    /// [`MAX_RW`] bytes.
    ///
    /// Where gort differs from Go: after a TCP read that returned fewer
    /// bytes than asked for, the next read waits for the netpoller first
    /// instead of trying `read(2)`, which would almost surely fail with
    /// `EAGAIN` (a request/response protocol pays one system call per
    /// message instead of two; tokio does the same). It loses nothing: a
    /// short TCP read empties the receive queue, and every segment that
    /// arrives after it raises a new edge-triggered event, which is either
    /// pending already (the wait returns at once) or wakes the goroutine.
    /// The end of the stream is the exception, since a read can return the
    /// last bytes and leave the FIN behind them after the event announcing
    /// both was consumed, so once epoll has reported a hang-up the read
    /// always tries `read(2)`. Unix sockets are left out: a read stops at a
    /// message that carries descriptors, with more data behind it. (A TCP
    /// read also stops before an urgent byte; a peer that sends one with
    /// `MSG_OOB` delays its own connection until it sends again.)
    // ANCHOR: Read
    #[doc(alias = "Read")]
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.read_lock()?;
        if buf.is_empty() {
            // Go returns at once here: a zero-byte read(2) would look like
            // EOF, and waiting for readability would change behaviour.
            return Ok(0);
        }
        // A load and a store, not a swap: only the read lock's holder
        // touches the flag, so no locked instruction is needed.
        let drained = self.read_drained.load(Ordering::Relaxed);
        if drained {
            self.read_drained.store(false, Ordering::Relaxed);
        }
        if drained && self.pd.pollable() && !self.pd.read_hup() && gort_runtime::can_park() {
            // Not `prepare_read`: it would forget an event that arrived
            // since the short read. The wait checks close and the deadline.
            self.wait_io(r.sysfd(), Mode::Read)?;
        } else {
            self.pd.prepare_read(self.is_file)?;
        }
        let len = if self.is_stream {
            buf.len().min(MAX_RW)
        } else {
            buf.len()
        };
        let buf = &mut buf[..len];
        let n = self.retry(r.sysfd(), Mode::Read, || {
            ignoring_eintr(|| rustix::io::read(r.sysfd(), &mut *buf))
        })?;
        if self.kind == FdKind::Tcp && n > 0 && n < len {
            self.read_drained.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }
    // ANCHOR_END: Read

    /// Reads at offset `off` without moving the file offset (Go's `Pread`).
    /// Does not wait in the netpoller (positional reads are for files).
    #[doc(alias = "Pread")]
    pub fn pread(&self, buf: &mut [u8], off: u64) -> io::Result<usize> {
        let r = self.incref()?;
        let len = if self.is_stream {
            buf.len().min(MAX_RW)
        } else {
            buf.len()
        };
        let buf = &mut buf[..len];
        self.sys(|| ignoring_eintr(|| rustix::io::pread(r.sysfd(), &mut *buf, off)))
    }

    /// Receives a datagram and its sender (Go's `ReadFrom`, `recvfrom(2)`).
    #[doc(alias = "ReadFrom")]
    pub fn read_from(&self, buf: &mut [u8]) -> io::Result<(usize, Option<SocketAddrAny>)> {
        let r = self.read_lock()?;
        self.pd.prepare_read(self.is_file)?;
        let (n, _, addr) = self.retry(r.sysfd(), Mode::Read, || {
            ignoring_eintr(|| rustix::net::recvfrom(r.sysfd(), &mut *buf, RecvFlags::empty()))
        })?;
        Ok((n, addr))
    }

    /// Receives a message with ancillary data (Go's `ReadMsg`,
    /// `recvmsg(2)`): data into `bufs`, control messages into `control`.
    #[doc(alias = "ReadMsg")]
    pub fn read_msg(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        control: &mut RecvAncillaryBuffer<'_>,
        flags: RecvFlags,
    ) -> io::Result<RecvMsg> {
        let r = self.read_lock()?;
        self.pd.prepare_read(self.is_file)?;
        self.retry(r.sysfd(), Mode::Read, || {
            ignoring_eintr(|| rustix::net::recvmsg(r.sysfd(), &mut *bufs, &mut *control, flags))
        })
    }

    /// Writes all of `buf` (Go's `Write`), parking the goroutine whenever the
    /// descriptor is full; a stream write asks for at most [`MAX_RW`] bytes
    /// at a time. An empty `buf` still makes one system call (an empty
    /// datagram is a datagram).
    ///
    /// Returns `Ok(buf.len())`, or, when an error (closed, deadline,
    /// `EPIPE`) stops it after some bytes, `Ok` with their count (the next
    /// call reports the error), or the error if nothing was written.
    // ANCHOR: Write
    #[doc(alias = "Write")]
    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let w = self.write_lock()?;
        self.pd.prepare_write(self.is_file)?;
        let mut nn = 0;
        loop {
            let mut max = buf.len();
            if self.is_stream && max - nn > MAX_RW {
                max = nn + MAX_RW;
            }
            let chunk = &buf[nn..max];
            match self.sys(|| ignoring_eintr(|| self.write_once(w.sysfd(), chunk))) {
                Ok(n) if n > chunk.len() => {
                    // Go panics here (issue 61060); report it instead.
                    return Err(io::Error::other(format!(
                        "invalid return from write: got {n} from a write of {}",
                        chunk.len()
                    )));
                }
                Ok(n) => {
                    nn += n;
                    if nn == buf.len() {
                        return Ok(nn);
                    }
                    if n == 0 {
                        return partial(nn, io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && self.pd.pollable() => {
                    if let Err(e) = self.wait_io(w.sysfd(), Mode::Write) {
                        return partial(nn, e);
                    }
                }
                Err(e) => return partial(nn, e),
            }
        }
    }
    // ANCHOR_END: Write

    /// Writes all of `buf` at offset `off` without moving the file offset
    /// (Go's `Pwrite`); as [`write`](Self::write) for partial results.
    #[doc(alias = "Pwrite")]
    pub fn pwrite(&self, buf: &[u8], off: u64) -> io::Result<usize> {
        let r = self.incref()?;
        let mut nn = 0;
        loop {
            let mut max = buf.len();
            if self.is_stream && max - nn > MAX_RW {
                max = nn + MAX_RW;
            }
            let chunk = &buf[nn..max];
            let at = off.saturating_add(nn as u64);
            match self.sys(|| ignoring_eintr(|| rustix::io::pwrite(r.sysfd(), chunk, at))) {
                Ok(n) => {
                    nn += n.min(chunk.len());
                    if nn == buf.len() {
                        return Ok(nn);
                    }
                    if n == 0 {
                        return partial(nn, io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return partial(nn, e),
            }
        }
    }

    /// Sends a datagram to `addr` (Go's `WriteTo`, `sendto(2)`).
    #[doc(alias = "WriteTo")]
    pub fn write_to(&self, buf: &[u8], addr: &(impl SocketAddrArg + Sync)) -> io::Result<usize> {
        let w = self.write_lock()?;
        self.pd.prepare_write(self.is_file)?;
        self.retry(w.sysfd(), Mode::Write, || {
            ignoring_eintr(|| rustix::net::sendto(w.sysfd(), buf, SendFlags::NOSIGNAL, addr))
        })
    }

    /// Sends a message with ancillary data (Go's `WriteMsg`, `sendmsg(2)`),
    /// to `addr` if given, else to the connected peer. Returns the data
    /// bytes sent.
    #[doc(alias = "WriteMsg")]
    pub fn write_msg(
        &self,
        bufs: &[IoSlice<'_>],
        control: &mut SendAncillaryBuffer<'_, '_, '_>,
        addr: Option<&SocketAddrAny>,
    ) -> io::Result<usize> {
        let w = self.write_lock()?;
        self.pd.prepare_write(self.is_file)?;
        self.retry(w.sysfd(), Mode::Write, || {
            ignoring_eintr(|| match addr {
                Some(a) => rustix::net::sendmsg_addr(
                    w.sysfd(),
                    a,
                    bufs,
                    &mut *control,
                    SendFlags::NOSIGNAL,
                ),
                None => rustix::net::sendmsg(w.sysfd(), bufs, &mut *control, SendFlags::NOSIGNAL),
            })
        })
    }

    /// Accepts a connection (Go's `Accept`, `accept4(2)` with
    /// `SOCK_NONBLOCK | SOCK_CLOEXEC`), parking the goroutine until one
    /// arrives. `ECONNABORTED` (a connection that went away while queued)
    /// is skipped, as in Go. Returns the new descriptor and the peer.
    // ANCHOR: Accept
    #[doc(alias = "Accept")]
    pub fn accept(&self) -> io::Result<(OwnedFd, Option<SocketAddrAny>)> {
        let r = self.read_lock()?;
        self.pd.prepare_read(self.is_file)?;
        loop {
            let res = self.sys(|| {
                rustix::net::acceptfrom_with(
                    r.sysfd(),
                    SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
                )
            });
            match res {
                Ok(conn) => return Ok(conn),
                Err(Errno::INTR | Errno::CONNABORTED) => {}
                Err(Errno::AGAIN) if self.pd.pollable() => {
                    self.wait_io(r.sysfd(), Mode::Read)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    // ANCHOR_END: Accept

    /// Writes all of `bufs`, in order, with `writev(2)` (Go's `Writev`, behind
    /// `net.Buffers`): at most [`MAX_VEC`] buffers per call, and on a stream
    /// at most [`MAX_RW`] bytes of one buffer; empty buffers are skipped.
    /// Partial results as [`write`](Self::write).
    #[doc(alias = "Writev")]
    pub fn writev(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let w = self.write_lock()?;
        self.pd.prepare_write(self.is_file)?;
        let mut v = bufs;
        let mut off = 0; // bytes of v[0] already written
        let mut n = 0;
        let mut iov: Vec<IoSlice<'_>> = Vec::with_capacity(v.len().min(MAX_VEC));
        loop {
            iov.clear();
            for (i, chunk) in v.iter().enumerate() {
                let chunk: &[u8] = if i == 0 { &chunk[off..] } else { chunk };
                if chunk.is_empty() {
                    continue;
                }
                if self.is_stream && chunk.len() > MAX_RW {
                    // The rest of this buffer goes in the next call.
                    iov.push(IoSlice::new(&chunk[..MAX_RW]));
                    break;
                }
                iov.push(IoSlice::new(chunk));
                if iov.len() == MAX_VEC {
                    break;
                }
            }
            if iov.is_empty() {
                return Ok(n);
            }
            match self.sys(|| self.writev_once(w.sysfd(), &iov)) {
                Ok(0) => return partial(n, io::ErrorKind::UnexpectedEof.into()),
                Ok(wrote) => {
                    n += wrote;
                    consume(&mut v, &mut off, wrote);
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) if self.pd.pollable() => {
                    if let Err(e) = self.wait_io(w.sysfd(), Mode::Write) {
                        return partial(n, e);
                    }
                }
                Err(e) => return partial(n, e.into()),
            }
        }
    }

    /// Calls `f` with the descriptor under the read lock until it returns
    /// true, waiting for readability in between (Go's `RawRead`, behind
    /// `syscall.RawConn.Read`). `f` should make nonblocking calls and
    /// return false on `EAGAIN`.
    #[doc(alias = "RawRead")]
    pub fn raw_read(&self, mut f: impl FnMut(BorrowedFd<'_>) -> bool) -> io::Result<()> {
        let r = self.read_lock()?;
        self.pd.prepare_read(self.is_file)?;
        loop {
            if f(r.sysfd()) {
                return Ok(());
            }
            self.wait_io(r.sysfd(), Mode::Read)?;
        }
    }

    /// As [`raw_read`](Self::raw_read), for writing (Go's `RawWrite`).
    #[doc(alias = "RawWrite")]
    pub fn raw_write(&self, mut f: impl FnMut(BorrowedFd<'_>) -> bool) -> io::Result<()> {
        let w = self.write_lock()?;
        self.pd.prepare_write(self.is_file)?;
        loop {
            if f(w.sysfd()) {
                return Ok(());
            }
            self.wait_io(w.sysfd(), Mode::Write)?;
        }
    }

    /// Parks until the descriptor is writable (Go's `WaitWrite`, used by
    /// `net` while a nonblocking `connect(2)` completes).
    #[doc(alias = "WaitWrite")]
    pub fn wait_write(&self) -> io::Result<()> {
        self.pd.wait_write(self.is_file)
    }

    /// Changes the file's permission bits (Go's `Fchmod`).
    #[doc(alias = "Fchmod")]
    pub fn fchmod(&self, mode: u32) -> io::Result<()> {
        let r = self.incref()?;
        let mode = rustix::fs::Mode::from_bits(mode).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("gort-poll: invalid file mode {mode:#o}"),
            )
        })?;
        ignoring_eintr(|| rustix::fs::fchmod(r.sysfd(), mode))
    }

    /// The file's metadata (Go's `Fstat`).
    #[doc(alias = "Fstat")]
    pub fn fstat(&self) -> io::Result<rustix::fs::Stat> {
        let r = self.incref()?;
        ignoring_eintr(|| rustix::fs::fstat(r.sysfd()))
    }

    /// A close-on-exec duplicate of the descriptor (Go's `Dup`).
    #[doc(alias = "Dup")]
    pub fn dup(&self) -> io::Result<OwnedFd> {
        let r = self.incref()?;
        Ok(rustix::io::fcntl_dupfd_cloexec(r.sysfd(), 0)?)
    }
}

impl AsRawFd for FD {
    /// The descriptor's number (Go's `Sysfd`). Only a number: it may be
    /// closed and reused once `close` returns; use
    /// [`raw_control`](FD::raw_control) to act on it safely.
    fn as_raw_fd(&self) -> RawFd {
        self.sysfd
    }
}

impl std::fmt::Debug for FD {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FD")
            .field("sysfd", &self.sysfd)
            .field("pollable", &self.pd.pollable())
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Drop for FD {
    fn drop(&mut self) {
        // `&mut self`: no operation is in flight, so if we close it here,
        // our reference is the last one and `destroy` runs at once.
        if self.fdmu.incref_and_close() {
            self.pd.evict();
            drop(FdRef {
                fd: self,
                hold: Hold::Ref,
            });
        }
        debug_assert!(
            *self.destroyed.get_mut(),
            "gort-poll: FD dropped without its descriptor closed"
        );
    }
}

impl Read for &FD {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        FD::read(self, buf)
    }
}

impl Read for FD {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        FD::read(self, buf)
    }
}

impl Write for &FD {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        FD::write(self, buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        FD::writev(self, bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for FD {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        FD::write(self, buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        FD::writev(self, bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
