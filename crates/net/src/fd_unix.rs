//! Mirrors Go src/net/fd_unix.go (go1.27): making a `netFD`, connecting it,
//! accepting on it.
//!
//! Go's `connect` is the heart of a nonblocking dial: `connect(2)` on a
//! nonblocking socket returns `EINPROGRESS` at once, the socket is then
//! registered with the netpoller, and the goroutine parks until the socket
//! is writable, at which point `SO_ERROR` says whether the handshake
//! succeeded. Writable-but-not-connected wake-ups happen (an edge for a
//! socket that was writable before the handshake ended), so the check loops
//! until `getpeername(2)` agrees that the socket is connected. A dial
//! timeout is a write deadline on the socket during this wait.
//!
//! gort differs in one place: Go's `newFD` builds the netFD and `init`
//! registers it later; here the descriptor is wrapped only when it is ready
//! to be registered (after `connect(2)` or `listen(2)`), so [`NetFD::new`]
//! is Go's `newFD` and `init` in one.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::time::Instant;

use gort_poll::{FD, FdKind};
use gort_runtime::chan::bounded;
use gort_runtime::context::{Context, ContextError};
use rustix::io::Errno;
use rustix::net::SocketAddrAny;

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;
use crate::net::map_err;
use crate::network::Network;
use crate::sockaddr_posix::SockAddr;

/// What gort-poll is told about a socket of this family and type: Go's
/// `newFD` sets `IsStream` for `SOCK_STREAM` and `ZeroReadIsEOF` for all
/// but `SOCK_DGRAM` and `SOCK_RAW`, which [`FdKind`] encodes; a stream
/// over IP is TCP, whose short reads gort-poll treats specially.
fn fd_kind(family: i32, sotype: i32) -> FdKind {
    match sotype {
        libc::SOCK_STREAM if matches!(family, libc::AF_INET | libc::AF_INET6) => FdKind::Tcp,
        libc::SOCK_STREAM => FdKind::Stream,
        libc::SOCK_SEQPACKET => FdKind::SeqPacket,
        _ => FdKind::Datagram,
    }
}

impl NetFD {
    /// Wraps a socket and registers it with the netpoller (Go's `newFD`
    /// then `init`).
    ///
    /// On a plain thread (outside any goroutine, or inside `blocking`)
    /// there is no netpoller to wait in: the socket then goes to blocking
    /// mode and works as a plain blocking socket (deadlines are not
    /// enforced there; see the README's limitations). In a goroutine of a
    /// runtime built without a netpoller (a bare `gort_runtime::Runtime`),
    /// the socket is closed and this fails with gort-netpoll's
    /// [`NoPollerError`](gort_netpoll::NoPollerError), which the caller
    /// wraps as Go wraps `init`'s error (`listen tcp 127.0.0.1:0: gort:
    /// this runtime has no network poller; ...`): blocking mode there would
    /// hold the goroutine's thread in every read and quietly drop its
    /// deadlines.
    // ANCHOR: newFD
    pub(crate) fn new(fd: OwnedFd, family: i32, sotype: i32, net: Network) -> io::Result<NetFD> {
        let pfd = FD::new(fd, fd_kind(family, sotype), true);
        if !pfd.pollable() {
            if pfd.init_error().is_some_and(gort_netpoll::is_no_poller) {
                return Err(gort_netpoll::NoPollerError.into());
            }
            pfd.set_blocking()?;
        }
        Ok(NetFD {
            pfd,
            family,
            sotype,
            is_connected: false,
            net,
            laddr: SockAddr::unnamed(family, sotype),
            raddr: None,
        })
    }
    // ANCHOR_END: newFD

    /// Starts a nonblocking `connect(2)` on `fd`, wraps it, and waits for the
    /// handshake (Go's `connect`). Returns the wrapped socket and the peer
    /// address the kernel reports, if it reported one. `ctx`'s deadline
    /// becomes the write deadline of the wait; a cancellable `ctx` is
    /// watched by an interrupter goroutine, and a cancel is reported as
    /// `map_err(ctx.err())` (`operation was canceled` or `i/o timeout`).
    pub(crate) fn connect(
        fd: OwnedFd,
        family: i32,
        sotype: i32,
        net: Network,
        ra: &SocketAddrAny,
        ctx: Option<&Context>,
    ) -> io::Result<(NetFD, Option<SocketAddrAny>)> {
        if let Some(err) = ctx.and_then(Context::err) {
            return Err(map_err(err));
        }
        let in_progress = match rustix::net::connect(&fd, ra) {
            Err(Errno::INPROGRESS | Errno::ALREADY | Errno::INTR) => true,
            Ok(()) | Err(Errno::ISCONN) => false,
            Err(e) => return Err(wrap_syscall_error("connect", e.into())),
        };
        let nfd = NetFD::new(fd, family, sotype, net)?;
        if !in_progress {
            return Ok((nfd, None));
        }
        let deadline = ctx.and_then(Context::deadline);
        if deadline.is_some() {
            nfd.pfd.set_write_deadline(deadline)?;
        }
        // Go's interrupter: a goroutine that, if the context is cancelled
        // while we wait, moves the write deadline into the past so the
        // wait below ends at once. It needs the descriptor, so the NetFD is
        // shared with it until it is joined.
        let nfd = Arc::new(nfd);
        let interrupter = ctx
            .filter(|c| c.cancellable() && gort_runtime::goid().is_some())
            .map(|c| {
                let (stop_tx, stop_rx) = bounded::<()>(0);
                let (done, fd) = (c.done(), nfd.clone());
                let h = gort_runtime::spawn(move || {
                    gort_runtime::select! {
                        recv(done) -> _closed => {
                            let _ = fd.pfd.set_write_deadline(Some(Instant::now()));
                            true
                        },
                        recv(stop_rx) -> _closed => false,
                    }
                });
                (stop_tx, h)
            });
        let mut peer = None;
        let mut failure = None;
        // raw_write parks the goroutine on writability between calls (or
        // polls on a plain thread); the closure says when we are done.
        let waited = nfd.pfd.raw_write(|s| match handshake_state(s) {
            Handshake::Pending => false,
            Handshake::Connected(p) => {
                peer = p;
                true
            }
            Handshake::Failed(e) => {
                failure = Some(e);
                true
            }
        });
        let interrupted = match interrupter {
            Some((stop_tx, h)) => {
                drop(stop_tx); // closes stop_rx: the interrupter returns
                h.join().unwrap_or(false)
            }
            None => false,
        };
        // The interrupter has returned, dropping its clone.
        let nfd = Arc::try_unwrap(nfd).unwrap_or_else(|_| unreachable!("interrupter joined"));
        if interrupted {
            // Cancelled: report that, whatever the handshake did (Go's
            // `mapErr(ctxErr)`); dropping `nfd` closes the socket.
            let err = ctx.and_then(Context::err).unwrap_or(ContextError::Canceled);
            return Err(map_err(err));
        }
        waited?;
        if deadline.is_some() {
            nfd.pfd.set_write_deadline(None)?;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok((nfd, peer)),
        }
    }

    /// Accepts a connection (Go's `accept`): the new socket, registered,
    /// with its addresses set. A failure names `accept4`, the call gort-poll
    /// makes (Go's `errcall` on Linux).
    // ANCHOR: accept
    pub(crate) fn accept(&self) -> io::Result<NetFD> {
        let (d, rsa) = self
            .pfd
            .accept()
            .map_err(|e| wrap_syscall_error("accept4", e))?;
        let mut nfd = NetFD::new(d, self.family, self.sotype, self.net)?;
        let laddr = nfd.local_sock_addr()?;
        let raddr = rsa.as_ref().and_then(|sa| nfd.decode(sa));
        nfd.set_addr(laddr, raddr);
        Ok(nfd)
    }
    // ANCHOR_END: accept

    /// A close-on-exec duplicate of the socket (Go's `dup`, which `File`
    /// uses). It shares the open file description, so it is nonblocking
    /// like the original; switching it to blocking would switch the conn
    /// too, which is why Go stopped doing so.
    pub(crate) fn dup(&self) -> io::Result<OwnedFd> {
        self.pfd.dup().map_err(|e| wrap_syscall_error("dup", e))
    }

    /// The peer's address (`getpeername(2)`), if connected.
    pub(crate) fn getpeername(&self) -> Option<SocketAddrAny> {
        self.pfd
            .raw_control(|s| rustix::net::getpeername(s).ok().flatten())
            .ok()
            .flatten()
    }
}

/// Where a nonblocking connect stands.
enum Handshake {
    Pending,
    Connected(Option<SocketAddrAny>),
    Failed(io::Error),
}

/// One look at a connecting socket: its pending error (`SO_ERROR`), and if
/// there is none, whether it has a peer yet.
fn handshake_state(s: BorrowedFd<'_>) -> Handshake {
    match rustix::net::sockopt::socket_error(s.as_fd()) {
        Err(e) => Handshake::Failed(wrap_syscall_error("getsockopt", e.into())),
        Ok(Err(Errno::INPROGRESS | Errno::ALREADY | Errno::INTR)) => Handshake::Pending,
        Ok(Err(Errno::ISCONN)) => Handshake::Connected(None),
        Ok(Err(e)) => Handshake::Failed(wrap_syscall_error("connect", e.into())),
        Ok(Ok(())) => match rustix::net::getpeername(s) {
            Ok(Some(peer)) => Handshake::Connected(Some(peer)),
            // Writable but not yet connected: wait for the next edge.
            _ => Handshake::Pending,
        },
    }
}
