//! Mirrors Go src/net/unixsock_posix.go (go1.27): Unix domain sockets over
//! the socket layer.
//!
//! Every Unix socket is opened by [`unix_socket`], which maps the network
//! name to a socket type (`"unix"` → `SOCK_STREAM`, `"unixgram"` →
//! `SOCK_DGRAM`, `"unixpacket"` → `SOCK_SEQPACKET`) and hands the rest to
//! `sock_posix.rs`: with only a local address it listens (stream and
//! seqpacket) or binds (datagram); with a remote one it connects. Below the
//! public [`UnixConn`] methods of `unixsock.rs`, which add the `OpError`,
//! are the per-call helpers (`recvfrom`, `sendto`, `recvmsg`, `sendmsg`),
//! including descriptor passing with `SCM_RIGHTS`: received descriptors are
//! close-on-exec at once (`MSG_CMSG_CLOEXEC`, as Go does on Linux), so a
//! concurrent fork and exec never inherits them.
//!
//! The kernel does not remove a socket's file when the socket closes; the
//! listener does it on close ([`unlink_listener_path`]), once, and only for
//! a file it created.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SocketAddrAny,
};

use gort_runtime::context::Context;

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;
use crate::net::errs;
use crate::network::Network;
use crate::sock_posix::{Control, socket};
use crate::sockaddr_posix::Sockaddr;
use crate::udpsock::bare_errno;
use crate::udpsock_posix::err_write_to_connected;
use crate::{UnixAddr, UnixConn, UnixListener, UnknownNetworkError};

/// The most descriptors one message carries (Linux's `SCM_MAX_FD`).
pub(crate) const MAX_FDS_PER_MSG: usize = 253;

/// Opens a Unix socket of the type `net` names (Go's `unixSocket`). `dial`
/// says whether a missing remote address is an error: a datagram socket
/// with a local address may go without one (it then only binds).
fn unix_socket(
    net: Network,
    laddr: Option<&UnixAddr>,
    raddr: Option<&UnixAddr>,
    dial: bool,
    ctx: Option<&Context>,
    control: Option<&Control>,
) -> io::Result<NetFD> {
    if !net.is_unix() {
        return Err(UnknownNetworkError(net.to_string()).into());
    }
    let sotype = net.sotype();
    // Go's nil address is an empty name here. A dial with no remote
    // address is a bind-only datagram socket, which `socket` makes as a
    // listen (a local address alone).
    let raddr = raddr.filter(|a| !a.name.is_empty());
    if dial
        && raddr.is_none()
        && (sotype != libc::SOCK_DGRAM || laddr.is_none_or(|a| a.name.is_empty()))
    {
        return Err(errs::missing_address());
    }
    socket(
        net,
        libc::AF_UNIX,
        sotype,
        0,
        false,
        laddr.map(|a| a as &dyn Sockaddr),
        raddr.map(|a| a as &dyn Sockaddr),
        control,
        ctx,
    )
}

/// The sender of a message, if it has a name (an unbound or unnamed
/// sender gives `None`, as Go's nil address).
fn named_sender(fd: &NetFD, sa: Option<&SocketAddrAny>) -> Option<UnixAddr> {
    sa.and_then(|sa| UnixAddr::from_sockaddr(sa, Network::unix_of_sotype(fd.sotype)))
        .filter(|a| !a.name.is_empty())
}

/// Reads, with the sender's address (Go's `UnixConn.readFrom`).
pub(crate) fn read_from(fd: &NetFD, b: &mut [u8]) -> io::Result<(usize, Option<UnixAddr>)> {
    let (n, sa) = fd
        .pfd
        .read_from(b)
        .map_err(|e| wrap_syscall_error("recvfrom", e))?;
    Ok((n, named_sender(fd, sa.as_ref())))
}

/// Reads a message and the descriptors sent with it, appending them to
/// `fds` (Go's `UnixConn.readMsg`, with `MSG_CMSG_CLOEXEC`). As in Go, an
/// empty `b` on a stream or seqpacket socket still reads (and drops) one
/// byte, the one a sender of only descriptors writes.
pub(crate) fn read_msg(
    fd: &NetFD,
    b: &mut [u8],
    fds: &mut Vec<OwnedFd>,
) -> io::Result<(usize, Option<UnixAddr>)> {
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS_PER_MSG))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut dummy = [0u8; 1];
    let use_dummy = b.is_empty() && fd.sotype != libc::SOCK_DGRAM;
    let buf: &mut [u8] = if use_dummy { &mut dummy } else { b };
    let msg = fd
        .pfd
        .read_msg(
            &mut [IoSliceMut::new(buf)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        )
        .map_err(|e| wrap_syscall_error("recvmsg", e))?;
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = m {
            fds.extend(received);
        }
    }
    let n = if use_dummy { 0 } else { msg.bytes };
    Ok((n, named_sender(fd, msg.address.as_ref())))
}

/// The kernel address of `addr`, which must be of the socket's own
/// network (else a bare `EAFNOSUPPORT`, as Go's, which no syscall name
/// wraps); an address the kernel cannot take fails as the call `name`.
fn unix_sockaddr(fd: &NetFD, addr: &UnixAddr, name: &'static str) -> io::Result<SocketAddrAny> {
    if addr.net != Network::unix_of_sotype(fd.sotype) {
        return Err(bare_errno(libc::EAFNOSUPPORT));
    }
    addr.sockaddr(libc::AF_UNIX)
        .map_err(|e| wrap_syscall_error(name, e))?
        .ok_or_else(errs::missing_address)
}

/// Sends to `addr` (Go's `UnixConn.writeTo`).
pub(crate) fn write_to(fd: &NetFD, b: &[u8], addr: &UnixAddr) -> io::Result<usize> {
    if fd.is_connected {
        return Err(err_write_to_connected());
    }
    let sa = unix_sockaddr(fd, addr, "sendto")?;
    fd.pfd
        .write_to(b, &sa)
        .map_err(|e| wrap_syscall_error("sendto", e))
}

/// Sends `b` and the descriptors `fds` as one message, to `addr` if given
/// (Go's `UnixConn.writeMsg`). As in Go, a connected datagram socket takes
/// no message here, and descriptors with an empty `b` on a stream or
/// seqpacket socket travel with one zero byte (the kernel drops ancillary
/// data sent with no data there); the count returned is still 0.
pub(crate) fn write_msg(
    fd: &NetFD,
    b: &[u8],
    fds: &[BorrowedFd<'_>],
    addr: Option<&UnixAddr>,
) -> io::Result<usize> {
    if fd.sotype == libc::SOCK_DGRAM && fd.is_connected {
        return Err(err_write_to_connected());
    }
    let sa = addr.map(|a| unix_sockaddr(fd, a, "sendmsg")).transpose()?;
    if fds.len() > MAX_FDS_PER_MSG {
        // What sendmsg(2) itself says for more than SCM_MAX_FD.
        return Err(wrap_syscall_error(
            "sendmsg",
            io::Error::from_raw_os_error(libc::EINVAL),
        ));
    }
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS_PER_MSG))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(wrap_syscall_error(
            "sendmsg",
            io::Error::from_raw_os_error(libc::EINVAL),
        ));
    }
    let use_dummy = b.is_empty() && !fds.is_empty() && fd.sotype != libc::SOCK_DGRAM;
    let data: &[u8] = if use_dummy { &[0] } else { b };
    let n = fd
        .pfd
        .write_msg(&[IoSlice::new(data)], &mut control, sa.as_ref())
        .map_err(|e| wrap_syscall_error("sendmsg", e))?;
    Ok(if use_dummy { 0 } else { n })
}

/// Removes the socket file a listener made (Go's `UnixListener.close`,
/// the part before closing the descriptor). Abstract and empty names have
/// no file. A failure is ignored, as in Go: someone may have removed or
/// replaced the file already.
pub(crate) fn unlink_listener_path(path: &str) {
    if !path.is_empty() && !path.starts_with('@') {
        let _ = std::fs::remove_file(path);
    }
}

/// Connects a Unix socket of network `net` to `raddr`, from `laddr` if
/// given (Go's `sysDialer.dialUnix`). `ctx` (None: no limit) bounds and can cancel the connect. The
/// caller wraps errors in an `OpError`.
pub(crate) fn do_dial_unix(
    net: Network,
    laddr: Option<&UnixAddr>,
    raddr: &UnixAddr,
    ctx: Option<&Context>,
    control: Option<&Control>,
) -> io::Result<UnixConn> {
    let fd = unix_socket(net, laddr, Some(raddr), true, ctx, control)?;
    Ok(UnixConn::new(fd))
}

/// Listens on `laddr` with a socket of network `net` (Go's
/// `sysListener.listenUnix`): `"unix"` or `"unixpacket"`, or, from
/// [`listen`](crate::listen), also `"unixgram"`, which Go only binds (its
/// `accept` then fails). The caller wraps errors in an `OpError`.
pub(crate) fn do_listen_unix(
    net: Network,
    laddr: &UnixAddr,
    control: Option<&Control>,
) -> io::Result<UnixListener> {
    let fd = unix_socket(net, Some(laddr), None, false, None, control)?;
    Ok(UnixListener::new(fd))
}

/// Binds a socket of network `net` to `laddr` (Go's
/// `sysListener.listenUnixgram`): `"unixgram"`, or, from
/// [`listen_packet`](crate::listen_packet), also `"unix"` and
/// `"unixpacket"`, which listen as Go's do (reading them then fails). The
/// caller wraps errors in an `OpError`.
pub(crate) fn do_listen_unixgram(
    net: Network,
    laddr: &UnixAddr,
    control: Option<&Control>,
) -> io::Result<UnixConn> {
    let fd = unix_socket(net, Some(laddr), None, false, None, control)?;
    Ok(UnixConn::new(fd))
}
