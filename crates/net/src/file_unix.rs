//! Mirrors Go src/net/file_unix.go and file_posix.go (go1.27), with the
//! public entry points of file.go: conns and listeners from descriptors.
//!
//! A socket opened elsewhere (inherited from a parent process, received
//! over a Unix socket, made by `std::net` or by `socketpair(2)`) becomes a
//! gort conn here. The descriptor is asked what it is: `SO_TYPE` gives the
//! socket type, `getsockname(2)` the family and the local address,
//! `getpeername(2)` the peer if there is one. From the family and type
//! follow the network name (`"tcp"`, `"udp"`, `"ip"`, `"unix"`,
//! `"unixgram"`, `"unixpacket"`) and the Rust type; the socket is made nonblocking and
//! close-on-exec and registered with the netpoller like any other.
//!
//! # Ownership differs from Go
//!
//! Go's `FileConn(f)` duplicates `f`'s descriptor and leaves `f` to the
//! caller. Here the functions take an [`OwnedFd`] by value: ownership moves
//! into the conn and no duplicate is made (call
//! [`OwnedFd::try_clone`] first to keep one). On failure the descriptor
//! has been closed, as the caller gave it away; nothing leaks.
//!
//! # Errors
//!
//! Failures read as Go's: an [`OpError`] with op `file`, network
//! `file+net` and, as address, the file's name. An `OwnedFd` has no name,
//! so the name is empty, as for Go's `os.NewFile(fd, "")`:
//! `file file+net : getsockopt: socket operation on non-socket` for a pipe,
//! `... : protocol not supported` for a family other than IPv4, IPv6 or
//! Unix, and `... : invalid argument` for a socket of the wrong kind (a
//! TCP socket given to [`file_packet_conn`]).
//!
//! ```
//! use std::io::{Read, Write};
//! use std::os::fd::OwnedFd;
//! gort::run(|| {
//!     let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
//!     let conn = gort::net::file_conn(OwnedFd::from(a)).unwrap();
//!     (&*conn).write_all(b"hi").unwrap();
//!     let mut buf = [0; 2];
//!     (&b).read_exact(&mut buf).unwrap();
//!     assert_eq!(&buf, b"hi");
//! });
//! ```

use std::any::Any;
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;

use rustix::io::{Errno, FdFlags};

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;
use crate::network::Network;
use crate::udpsock::bare_errno;
use crate::{
    Addr, Conn, IPConn, Listener, Op, OpError, PacketConn, TcpConn, TcpListener, UdpConn, UnixConn,
    UnixListener,
};

/// The name of the file a socket came from, as the address of a `file`
/// error (Go's `fileAddr`).
#[derive(Debug, Clone)]
struct FileAddr(String);

impl fmt::Display for FileAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Addr for FileAddr {
    fn network(&self) -> &'static str {
        "file+net"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(self.clone())
    }
}

/// Go's `OpError{Op: "file", Net: "file+net", Addr: fileAddr(f.Name())}`,
/// for a file without a name.
fn file_err(err: io::Error) -> io::Error {
    OpError::new(
        Op::File,
        "file+net",
        None,
        Some(Box::new(FileAddr(String::new()))),
        err,
    )
}

/// What Go's type switches on the local address tell apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `*TCPAddr`: an IPv4 or IPv6 stream.
    Tcp,
    /// `*UDPAddr`: an IPv4 or IPv6 datagram socket.
    Udp,
    /// `*UnixAddr`: any Unix socket.
    Unix,
    /// `*IPAddr`: an IPv4 or IPv6 raw socket.
    Ip,
}

/// The network of a socket of this family and type, as Go's
/// `laddr.Network()`, and the kind of conn it makes; `None` for what gort
/// cannot wrap.
fn file_net(family: i32, sotype: i32) -> Option<(Network, Kind)> {
    Some(match (family, sotype) {
        (libc::AF_INET | libc::AF_INET6, libc::SOCK_STREAM) => (Network::Tcp, Kind::Tcp),
        (libc::AF_INET | libc::AF_INET6, libc::SOCK_DGRAM) => (Network::Udp, Kind::Udp),
        (libc::AF_INET | libc::AF_INET6, libc::SOCK_RAW) => (Network::Ip { proto: 0 }, Kind::Ip),
        (libc::AF_UNIX, libc::SOCK_STREAM) => (Network::Unix, Kind::Unix),
        (libc::AF_UNIX, libc::SOCK_DGRAM) => (Network::Unixgram, Kind::Unix),
        (libc::AF_UNIX, libc::SOCK_SEQPACKET) => (Network::Unixpacket, Kind::Unix),
        _ => return None,
    })
}

/// Makes a registered NetFD of a socket descriptor (Go's `newFileFD`, with
/// `dupFileSocket`'s flag changes but not its `dup`).
///
/// Go sets the descriptor nonblocking before asking what it is; gort asks
/// first, so that a descriptor that is not a socket is closed with its
/// shared file status flags untouched (another descriptor may share them).
fn new_file_fd(fd: OwnedFd) -> io::Result<(NetFD, Kind)> {
    let sotype = rustix::net::sockopt::socket_type(&fd)
        .map_err(|e| wrap_syscall_error("getsockopt", e.into()))?
        .as_raw() as i32;
    let lsa =
        rustix::net::getsockname(&fd).map_err(|e| wrap_syscall_error("getsockname", e.into()))?;
    // An unconnected socket has no peer; Go ignores this error too.
    let rsa = rustix::net::getpeername(&fd).ok().flatten();
    let family = i32::from(lsa.address_family().as_raw());
    let Some((net, kind)) = file_net(family, sotype) else {
        return Err(bare_errno(libc::EPROTONOSUPPORT));
    };
    // Go's dup is close-on-exec; ours is the caller's descriptor, so the
    // flag is set on it instead.
    rustix::io::fcntl_setfd(&fd, FdFlags::CLOEXEC)
        .map_err(|e| wrap_syscall_error("fcntl", e.into()))?;
    set_nonblock(&fd).map_err(|e| wrap_syscall_error("setnonblock", e.into()))?;
    let mut nfd = NetFD::new(fd, family, sotype, net)?;
    // The family came from `lsa` itself, so it decodes.
    let laddr = nfd
        .decode(&lsa)
        .ok_or_else(|| bare_errno(libc::EAFNOSUPPORT))?;
    let raddr = rsa.as_ref().and_then(|sa| nfd.decode(sa));
    nfd.set_addr(laddr, raddr);
    // Go leaves `isConnected` false for a socket from a file, whether or
    // not it has a peer; so does gort.
    Ok((nfd, kind))
}

/// `O_NONBLOCK` on (Go's `syscall.SetNonblock(s, true)`).
fn set_nonblock(fd: &OwnedFd) -> Result<(), Errno> {
    rustix::io::ioctl_fionbio(fd, true)
}

/// Go's `fileConn`: the conn type of the socket's family and type.
fn new_file_conn(fd: OwnedFd) -> io::Result<Box<dyn Conn>> {
    let (nfd, kind) = new_file_fd(fd)?;
    Ok(match kind {
        Kind::Tcp => Box::new(file_tcp_conn(nfd)),
        Kind::Udp => Box::new(UdpConn::new(nfd)),
        Kind::Ip => Box::new(IPConn::new(nfd)),
        Kind::Unix => Box::new(UnixConn::new(nfd)),
    })
}

/// Go's `newTCPConn` with the default keep-alive idle time, as
/// `fileConn` calls it.
fn file_tcp_conn(nfd: NetFD) -> TcpConn {
    TcpConn::new(nfd, None, None)
}

/// Go's `fileListener`. Any TCP or Unix socket is accepted, listening or
/// not, as in Go; `accept` on one that does not listen fails.
fn new_file_listener(fd: OwnedFd) -> io::Result<Box<dyn Listener>> {
    let (nfd, kind) = new_file_fd(fd)?;
    Ok(match kind {
        Kind::Tcp => Box::new(TcpListener::from_net_fd(nfd)),
        Kind::Unix => Box::new(file_unix_listener(nfd)),
        // Dropping `nfd` closes the socket (Go's `fd.Close()`).
        Kind::Udp | Kind::Ip => return Err(bare_errno(libc::EINVAL)),
    })
}

/// A Unix listener that did not create its socket file, so never removes
/// it (Go's `&UnixListener{fd: fd, path: laddr.Name, unlink: false}`).
fn file_unix_listener(nfd: NetFD) -> UnixListener {
    let mut ln = UnixListener::new(nfd);
    ln.set_unlink_on_close(false);
    ln
}

/// Go's `filePacketConn`.
fn new_file_packet_conn(fd: OwnedFd) -> io::Result<Box<dyn PacketConn>> {
    let (nfd, kind) = new_file_fd(fd)?;
    Ok(match kind {
        Kind::Udp => Box::new(UdpConn::new(nfd)),
        Kind::Ip => Box::new(IPConn::new(nfd)),
        Kind::Unix => Box::new(UnixConn::new(nfd)),
        Kind::Tcp => return Err(bare_errno(libc::EINVAL)),
    })
}

/// Makes a conn of a connected socket descriptor (Go's `FileConn`): a
/// [`TcpConn`] (with Go's defaults: no delay, keep-alive after 15 s), a
/// [`UdpConn`], an [`IPConn`] or a [`UnixConn`], by the socket's family
/// and type.
///
/// Takes ownership of `fd`: Go duplicates the descriptor and leaves the
/// original to the caller, gort moves it into the conn (call
/// [`OwnedFd::try_clone`] first to keep one). On failure it is closed.
/// The socket is made nonblocking and close-on-exec.
///
/// Errors are Go's, an [`OpError`] with op `file` and network `file+net`,
/// and an empty file name (an `OwnedFd` has none):
/// `file file+net : getsockopt: socket operation on non-socket` for a
/// pipe or a regular file, `file file+net : protocol not supported` for a
/// socket family other than IPv4, IPv6 and Unix.
#[doc(alias = "FileConn")]
pub fn file_conn(fd: OwnedFd) -> io::Result<Box<dyn Conn>> {
    new_file_conn(fd).map_err(file_err)
}

/// Makes a listener of a TCP or Unix stream socket descriptor (Go's
/// `FileListener`): a [`TcpListener`] or a [`UnixListener`]. A Unix
/// listener made this way never removes its socket file, since it did not
/// create it.
///
/// Takes ownership of `fd`, as [`file_conn`] does; on failure it is
/// closed. A UDP socket gives `file file+net : invalid argument`.
#[doc(alias = "FileListener")]
pub fn file_listener(fd: OwnedFd) -> io::Result<Box<dyn Listener>> {
    new_file_listener(fd).map_err(file_err)
}

/// Makes a packet conn of a UDP, raw IP or Unix socket descriptor (Go's
/// `FilePacketConn`): a [`UdpConn`], an [`IPConn`] or a [`UnixConn`].
///
/// Takes ownership of `fd`, as [`file_conn`] does; on failure it is
/// closed. A TCP socket gives `file file+net : invalid argument`.
#[doc(alias = "FilePacketConn")]
pub fn file_packet_conn(fd: OwnedFd) -> io::Result<Box<dyn PacketConn>> {
    new_file_packet_conn(fd).map_err(file_err)
}

/// The typed forms: Go's `FileConn(f)` followed by a type assertion
/// (`c.(*net.TCPConn)`), in one step. A socket of another kind fails with
/// `file file+net : invalid argument` and is closed.
macro_rules! try_from_owned_fd {
    ($t:ty, $kind:path, $wrap:expr, $go:literal) => {
        impl TryFrom<OwnedFd> for $t {
            type Error = io::Error;

            #[doc = concat!("Takes ownership of a socket descriptor (Go's `", $go, "` and a type assertion).")]
            fn try_from(fd: OwnedFd) -> io::Result<$t> {
                let (nfd, kind) = new_file_fd(fd).map_err(file_err)?;
                if kind != $kind {
                    return Err(file_err(bare_errno(libc::EINVAL)));
                }
                Ok($wrap(nfd))
            }
        }
    };
}

try_from_owned_fd!(TcpConn, Kind::Tcp, file_tcp_conn, "FileConn");
try_from_owned_fd!(
    TcpListener,
    Kind::Tcp,
    TcpListener::from_net_fd,
    "FileListener"
);
try_from_owned_fd!(UdpConn, Kind::Udp, UdpConn::new, "FilePacketConn");
try_from_owned_fd!(IPConn, Kind::Ip, IPConn::new, "FilePacketConn");
try_from_owned_fd!(UnixConn, Kind::Unix, UnixConn::new, "FileConn");
try_from_owned_fd!(UnixListener, Kind::Unix, file_unix_listener, "FileListener");
