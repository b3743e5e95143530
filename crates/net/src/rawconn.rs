//! Mirrors Go src/net/rawconn.go (go1.27): raw access to a conn's socket
//! (`syscall.RawConn`), and each type's `SyscallConn`.
//!
//! Some jobs need the descriptor itself: a socket option gort does not
//! wrap, a `recvmsg(2)` with flags of one's own, an `ioctl(2)`. Handing out
//! the number alone would be unsafe in Go's sense, since another goroutine
//! may close the conn and the number be reused, so Go hands out a
//! `RawConn` whose three methods run the caller's function *inside* the
//! poll FD's locking: [`control`](RawConn::control) holds a reference (the
//! descriptor cannot be freed during the call), [`read`](RawConn::read)
//! holds the read lock and [`write`](RawConn::write) the write lock, and
//! these two also park the goroutine on the netpoller whenever the
//! function says it could not make progress (it returns `false`, typically
//! on `EAGAIN`), calling it again once the socket is ready. Deadlines apply
//! to those waits as to any read or write.
//!
//! In Rust the [`RawConn`] borrows the conn, so it cannot outlive it; the
//! descriptor reaches the function as a [`BorrowedFd`] that cannot escape
//! the call. A conn closed meanwhile makes every method fail with Go's
//! "use of closed network connection" inside an [`OpError`](crate::OpError)
//! (`raw-control`, `raw-read` or `raw-write`).
//!
//! Go puts `SyscallConn` in each type's own file; gort keeps them here,
//! together, at the end.
//!
//! ```
//! use std::os::fd::AsFd;
//! gort::run(|| {
//!     let ln = gort::net::listen_tcp("tcp", Some(&"127.0.0.1:0".parse().unwrap())).unwrap();
//!     let rc = ln.syscall_conn().unwrap();
//!     let ty = rc
//!         .control(|fd| rustix::net::sockopt::socket_type(fd.as_fd()))
//!         .unwrap()
//!         .unwrap();
//!     assert_eq!(ty, rustix::net::SocketType::STREAM);
//! });
//! ```

use std::io;
use std::os::fd::BorrowedFd;

use crate::fd_posix::NetFD;
use crate::sockaddr_posix::SockAddr;
use crate::{IPConn, TcpConn, TcpListener, UdpConn, UnixConn, UnixListener};
use crate::{Op, OpError};

/// Raw access to a conn's or listener's socket (Go's `syscall.RawConn`, as
/// returned by `SyscallConn`). Get one with `syscall_conn` on
/// [`TcpConn`], [`TcpListener`], [`UdpConn`], [`IPConn`], [`UnixConn`] or
/// [`UnixListener`].
///
/// It borrows the conn: the conn cannot be dropped while it exists. The
/// functions given to its methods must not close the descriptor (use the
/// conn's `close`) and should leave it nonblocking.
#[doc(alias = "rawConn")]
#[doc(alias = "rawListener")]
#[derive(Debug, Clone, Copy)]
pub struct RawConn<'a> {
    /// The conn's socket (Go's `fd`).
    fd: &'a NetFD,
    /// It came from a listener: only `control` is allowed (Go's
    /// `rawListener`).
    listener: bool,
}

impl<'a> RawConn<'a> {
    /// Go's `newRawConn`.
    fn new(fd: &'a NetFD) -> RawConn<'a> {
        RawConn {
            fd,
            listener: false,
        }
    }

    /// Go's `newRawListener`.
    fn new_listener(fd: &'a NetFD) -> RawConn<'a> {
        RawConn { fd, listener: true }
    }

    /// Calls `f` with the descriptor, which stays open for the whole call
    /// even if another goroutine closes the conn meanwhile (Go's
    /// `Control`). For operations that neither read nor write:
    /// `getsockopt(2)`, `setsockopt(2)`, `ioctl(2)`, ... Returns what `f`
    /// returns (Go's `f` returns nothing; results travel by capture).
    ///
    /// Fails, without calling `f`, with `raw-control <net> <laddr>: use of
    /// closed network connection` once the conn is closed.
    #[doc(alias = "Control")]
    pub fn control<R>(&self, f: impl FnOnce(BorrowedFd<'_>) -> R) -> io::Result<R> {
        self.fd.pfd.raw_control(f).map_err(|e| {
            OpError::new(
                Op::RawControl,
                self.fd.net.as_str(),
                None,
                Some(self.fd.laddr.boxed()),
                e,
            )
        })
    }

    /// Calls `f` with the descriptor, holding the conn's read lock, until
    /// it returns `true` (Go's `Read`). When `f` returns `false` (it met
    /// `EAGAIN`), the goroutine parks until the socket is readable and `f`
    /// is called again. `f` should make nonblocking calls only.
    ///
    /// Fails with `raw-read <net> <laddr>-><raddr>: ...` when the conn is
    /// closed, or when the read deadline passes while waiting ("i/o
    /// timeout"). On a listener's `RawConn` it fails at once with `invalid
    /// argument`, as Go's `rawListener` does.
    #[doc(alias = "Read")]
    pub fn read(&self, f: impl FnMut(BorrowedFd<'_>) -> bool) -> io::Result<()> {
        if self.listener {
            return Err(listener_einval());
        }
        self.fd
            .pfd
            .raw_read(f)
            .map_err(|e| self.io_err(Op::RawRead, e))
    }

    /// As [`read`](Self::read), for writing: holds the write lock and waits
    /// for writability between calls of `f` (Go's `Write`).
    #[doc(alias = "Write")]
    pub fn write(&self, f: impl FnMut(BorrowedFd<'_>) -> bool) -> io::Result<()> {
        if self.listener {
            return Err(listener_einval());
        }
        self.fd
            .pfd
            .raw_write(f)
            .map_err(|e| self.io_err(Op::RawWrite, e))
    }

    /// The OpError of a raw read or write: both addresses, as Go reports them.
    fn io_err(&self, op: Op, e: io::Error) -> io::Error {
        OpError::new(
            op,
            self.fd.net.as_str(),
            Some(self.fd.laddr.boxed()),
            SockAddr::op_addr(self.fd.raddr.as_ref()),
            e,
        )
    }
}

/// Go's bare `syscall.EINVAL` of a listener's raw read or write. It stands
/// alone (no `OpError` prints it), so it carries Go's text rather than
/// the OS error, whose text is std's.
fn listener_einval() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, crate::errno_text(libc::EINVAL))
}

/// `SyscallConn` for the conn types: a full [`RawConn`].
macro_rules! syscall_conn_for_conn {
    ($t:ty) => {
        impl $t {
            /// Raw access to the socket (Go's `SyscallConn`). As in Go it
            /// succeeds even on a closed conn; the [`RawConn`]'s methods
            /// then fail with "use of closed network connection".
            #[doc(alias = "SyscallConn")]
            pub fn syscall_conn(&self) -> io::Result<RawConn<'_>> {
                Ok(RawConn::new(self.net_fd()))
            }
        }
    };
}

syscall_conn_for_conn!(TcpConn);
syscall_conn_for_conn!(UdpConn);
syscall_conn_for_conn!(IPConn);
syscall_conn_for_conn!(UnixConn);

/// `SyscallConn` for the listeners: a [`RawConn`] that only controls.
macro_rules! syscall_conn_for_listener {
    ($t:ty) => {
        impl $t {
            /// Raw access to the listening socket (Go's `SyscallConn`).
            /// Only [`control`](RawConn::control) works on it: `read` and
            /// `write` fail with `invalid argument`, as in Go.
            #[doc(alias = "SyscallConn")]
            pub fn syscall_conn(&self) -> io::Result<RawConn<'_>> {
                Ok(RawConn::new_listener(self.net_fd()))
            }
        }
    };
}

syscall_conn_for_listener!(TcpListener);
syscall_conn_for_listener!(UnixListener);
