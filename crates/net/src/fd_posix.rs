//! Mirrors Go src/net/fd_posix.go (go1.27): the `netFD` and its I/O methods.
//!
//! A [`NetFD`] is a socket as the `net` package sees it: gort-poll's
//! [`FD`] (the descriptor, its fdMutex and its netpoller registration) plus
//! what the network layer knows about it: the address family, the socket
//! type, the network name (`"tcp4"`, `"unixgram"`, ...) and the two end
//! addresses. Every I/O method here is one line over the poll FD that names
//! the system call in any error it returns (Go's `wrapSyscallError`), so a
//! failed read reads `read: connection reset by peer`; the conn types above
//! add the `OpError` with the addresses.
//!
//! The constructor and the operations that create descriptors (`accept`,
//! `connect`, `dup`) are in `fd_unix.rs`, as in Go.

use std::io::{self, IoSlice};
use std::time::Instant;

use gort_poll::FD;
use rustix::net::{Shutdown, SocketAddrAny};

use crate::error_posix::wrap_syscall_error;
use crate::network::Network;
use crate::sockaddr_posix::SockAddr;

/// A network socket (Go's `netFD`).
// ANCHOR: netFD
pub(crate) struct NetFD {
    /// The descriptor with its fdMutex and pollDesc (Go's `pfd`).
    pub(crate) pfd: FD,
    /// `AF_INET`, `AF_INET6` or `AF_UNIX`. Constant.
    pub(crate) family: i32,
    /// `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`. Constant.
    pub(crate) sotype: i32,
    /// The handshake completed, or the datagram socket is connected (Go's
    /// `isConnected`). Set before the NetFD is shared, constant after.
    pub(crate) is_connected: bool,
    /// The network: `tcp`, `tcp4`, `udp6`, `unix`, ... Constant.
    pub(crate) net: Network,
    /// Local address (Go's `laddr`): the unnamed address of its kind until
    /// `set_addr`, which runs once, before the NetFD is shared.
    pub(crate) laddr: SockAddr,
    /// Remote address, `None` when the socket has no peer; set as `laddr`.
    pub(crate) raddr: Option<SockAddr>,
}
// ANCHOR_END: netFD

impl std::fmt::Debug for NetFD {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl NetFD {
    /// `net:laddr->raddr`, for debugging and file names (Go's `name`).
    pub(crate) fn name(&self) -> String {
        let rs = self
            .raddr
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default();
        format!("{}:{}->{}", self.net, self.laddr, rs)
    }

    /// Records the end addresses (Go's `setAddr`; Go also arms a finalizer
    /// there, which Rust's `Drop` of the FD replaces).
    pub(crate) fn set_addr(&mut self, laddr: SockAddr, raddr: Option<SockAddr>) {
        self.laddr = laddr;
        self.raddr = raddr;
    }

    /// A kernel address decoded for this socket's family and type.
    pub(crate) fn decode(&self, sa: &SocketAddrAny) -> Option<SockAddr> {
        SockAddr::from_raw(self.family, self.sotype, sa)
    }

    /// The socket's own address as the kernel reports it (Go's
    /// `Getsockname` and `addrFunc` in `setAddr`). Go keeps a nil address
    /// when the call fails; gort promises every socket a local address, so
    /// a failure (which a socket it just made does not meet) is the
    /// operation's error, `getsockname: ...`.
    pub(crate) fn local_sock_addr(&self) -> io::Result<SockAddr> {
        let sa = self
            .pfd
            .raw_control(|s| rustix::net::getsockname(s))?
            .map_err(|e| wrap_syscall_error("getsockname", e.into()))?;
        self.decode(&sa).ok_or_else(|| {
            wrap_syscall_error(
                "getsockname",
                io::Error::from_raw_os_error(libc::EAFNOSUPPORT),
            )
        })
    }

    /// Closes the socket; pending reads and writes fail with the closed
    /// error (Go's `Close`).
    pub(crate) fn close(&self) -> io::Result<()> {
        self.pfd.close()
    }

    /// `shutdown(2)` (Go's `shutdown`).
    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.pfd
            .shutdown(how)
            .map_err(|e| wrap_syscall_error("shutdown", e))
    }

    /// Half-closes the read side (Go's `closeRead`).
    pub(crate) fn close_read(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Read)
    }

    /// Half-closes the write side: the peer reads end of file (Go's
    /// `closeWrite`).
    pub(crate) fn close_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }

    /// Reads (Go's `Read`).
    // ANCHOR: Read
    pub(crate) fn read(&self, p: &mut [u8]) -> io::Result<usize> {
        self.pfd.read(p).map_err(|e| wrap_syscall_error("read", e))
    }
    // ANCHOR_END: Read

    /// Writes all of `p` (Go's `Write`).
    // ANCHOR: Write
    pub(crate) fn write(&self, p: &[u8]) -> io::Result<usize> {
        self.pfd
            .write(p)
            .map_err(|e| wrap_syscall_error("write", e))
    }
    // ANCHOR_END: Write

    /// Writes the buffers with `writev(2)` (Go's `writeBuffers`).
    pub(crate) fn writev(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.pfd
            .writev(bufs)
            .map_err(|e| wrap_syscall_error("writev", e))
    }

    /// Sets both deadlines (Go's `SetDeadline`).
    pub(crate) fn set_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.pfd.set_deadline(t)
    }

    /// Sets the read deadline (Go's `SetReadDeadline`).
    pub(crate) fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.pfd.set_read_deadline(t)
    }

    /// Sets the write deadline (Go's `SetWriteDeadline`).
    pub(crate) fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.pfd.set_write_deadline(t)
    }
}
