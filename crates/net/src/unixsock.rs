//! Mirrors Go src/net/unixsock.go (go1.27): Unix domain socket addresses
//! and connections.
//!
//! Three socket types share one address type: `"unix"` (a byte stream,
//! like TCP), `"unixgram"` (datagrams, like UDP) and `"unixpacket"`
//! (`SOCK_SEQPACKET`: connected, reliable, and message boundaries kept).
//! A name that starts with `@` is in Linux's abstract namespace (no file on
//! disk; the `@` stands for the leading NUL byte), as in Go.

use std::any::Any;
use std::fmt;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::Once;

use rustix::net::{SocketAddrAny, SocketAddrUnix};

use crate::fd_posix::NetFD;
use crate::net::{ConnBase, conn_impls, op_addr};
use crate::network::{Network, network_of_kind};
use crate::sockaddr_posix::{SockAddr, Sockaddr};
use crate::udpsock::bare_errno;
use crate::unixsock_posix::{
    do_dial_unix, do_listen_unix, do_listen_unixgram, unlink_listener_path,
};
use crate::{Addr, Op, OpError};

/// Where `sun_path` starts in a `sockaddr_un`.
const SUN_PATH_OFFSET: usize = std::mem::offset_of!(libc::sockaddr_un, sun_path);

/// The size of `sun_path` (108 bytes on Linux).
const SUN_PATH_LEN: usize = size_of::<libc::sockaddr_un>() - SUN_PATH_OFFSET;

/// The address of a Unix domain socket end point (Go's `*net.UnixAddr`).
/// Displays as its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnixAddr {
    /// The path, `@name` for an abstract address, or empty (unnamed).
    pub name: String,
    /// [`Network::Unix`], [`Network::Unixgram`] or [`Network::Unixpacket`]
    /// (Go's `Net`).
    pub net: Network,
}

impl UnixAddr {
    /// The address `name` on `net`, which must be `"unix"`, `"unixgram"`
    /// or `"unixpacket"` (Go's `ResolveUnixAddr`).
    pub fn new(net: &str, name: impl Into<String>) -> io::Result<UnixAddr> {
        let net = network_of_kind(net, Network::is_unix)?;
        Ok(UnixAddr {
            name: name.into(),
            net,
        })
    }

    /// Decodes a kernel address (Go's `anyToSockaddr` for `AF_UNIX`). An
    /// unnamed socket reads as `@`, as in Go on Linux, where the leading NUL
    /// of an empty `sun_path` becomes the `@` of an abstract name.
    ///
    /// The bytes are read here rather than through rustix's
    /// `SocketAddrUnix::try_from`, which panics on a path that fills all of
    /// `sun_path`: the kernel reports such an address one byte longer than
    /// `sockaddr_un`, counting a NUL that does not fit. Another process
    /// can bind such a path and connect to us, so the length the kernel
    /// gives is capped at `sun_path`'s size, and a path ends at its first
    /// NUL (as in Go); an abstract name (`@name`) keeps every byte.
    pub(crate) fn from_sockaddr(sa: &SocketAddrAny, net: Network) -> Option<UnixAddr> {
        if i32::from(sa.address_family().as_raw()) != libc::AF_UNIX {
            return None;
        }
        let len = usize::try_from(sa.addr_len()).ok()?;
        // SAFETY: a SocketAddrAny keeps its first addr_len() bytes
        // initialized, and addr_len() is at most the size of its storage
        // (the contract of SocketAddrAny::new and ::read); the slice lives
        // no longer than the borrow of `sa`.
        let raw = unsafe { std::slice::from_raw_parts(sa.as_ptr().cast::<u8>(), len) };
        let path = raw.get(SUN_PATH_OFFSET..).unwrap_or_default();
        let path = &path[..path.len().min(SUN_PATH_LEN)];
        let name = match path.split_first() {
            None => "@".to_string(),
            Some((0, abs)) => format!("@{}", String::from_utf8_lossy(abs)),
            Some(_) => {
                let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                String::from_utf8_lossy(&path[..end]).into_owned()
            }
        };
        Some(UnixAddr { name, net })
    }
}

/// Resolves a Unix address: it is the name itself (Go's `ResolveUnixAddr`).
#[doc(alias = "ResolveUnixAddr")]
pub fn resolve_unix_addr(network: &str, address: &str) -> io::Result<UnixAddr> {
    UnixAddr::new(network, address)
}

impl fmt::Display for UnixAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Addr for UnixAddr {
    fn network(&self) -> &'static str {
        self.net.as_str()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(self.clone())
    }
}

impl Sockaddr for UnixAddr {
    fn family(&self) -> i32 {
        libc::AF_UNIX
    }
    fn is_wildcard(&self) -> bool {
        false
    }
    /// `None` for an empty name (nothing to bind: the kernel autobinds);
    /// `@name` is abstract.
    fn sockaddr(&self, _family: i32) -> io::Result<Option<SocketAddrAny>> {
        if self.name.is_empty() {
            return Ok(None);
        }
        // Go's rule (`SockaddrUnix.sockaddr`): a path must leave room in
        // `sun_path` for its NUL; an abstract `@name` may fill it. The
        // kernel would take a path of exactly 108 bytes, but could then
        // not report it back intact. A name that does not fit (or, which
        // Go would hand the kernel cut short, holds a NUL byte) is
        // `EINVAL`, which the caller wraps with the system call's name:
        // `bind: invalid argument`, as Go reports it.
        let invalid = || io::Error::from_raw_os_error(libc::EINVAL);
        let n = self.name.len();
        if n > SUN_PATH_LEN || (n == SUN_PATH_LEN && !self.name.starts_with('@')) {
            return Err(invalid());
        }
        let sa = match self.name.strip_prefix('@') {
            Some(abs) => SocketAddrUnix::new_abstract_name(abs.as_bytes()),
            None => SocketAddrUnix::new(self.name.as_str()),
        }
        .map_err(|_| invalid())?;
        Ok(Some(sa.into()))
    }

    fn to_sock_addr(&self) -> SockAddr {
        SockAddr::Unix(self.clone())
    }
}

/// A Unix domain socket (Go's `*net.UnixConn`): a stream (`"unix"`), a
/// datagram socket (`"unixgram"`) or a seqpacket socket (`"unixpacket"`).
///
/// Every method takes `&self`; dropping it closes it. Besides bytes, a
/// Unix socket carries open descriptors to the peer
/// ([`write_msg_unix`](Self::write_msg_unix),
/// [`read_msg_unix`](Self::read_msg_unix)).
///
/// ```
/// use std::io::Read;
/// gort::run(|| {
///     let name = format!("@gort-doc-{}", std::process::id());
///     let addr = gort::net::UnixAddr::new("unix", name).unwrap();
///     let ln = gort::net::listen_unix("unix", &addr).unwrap();
///     let server = gort::spawn(move || {
///         let mut conn = ln.accept().unwrap();
///         let mut buf = [0; 5];
///         conn.read_exact(&mut buf).unwrap();
///         conn.write_all(&buf.to_ascii_uppercase()).unwrap();
///     });
///     let mut conn = gort::net::dial_unix("unix", None, &addr).unwrap();
///     conn.write_all(b"hello").unwrap();
///     let mut buf = [0; 5];
///     conn.read_exact(&mut buf).unwrap();
///     assert_eq!(&buf, b"HELLO");
///     server.join();
/// });
/// ```
#[derive(Debug)]
pub struct UnixConn {
    c: ConnBase,
}

impl UnixConn {
    /// Wraps a Unix socket (Go's `newUnixConn`).
    pub(crate) fn new(fd: NetFD) -> UnixConn {
        UnixConn {
            c: ConnBase::new(fd),
        }
    }

    /// Reads one message (or bytes from a stream) and the sender's address,
    /// `None` for a sender without a name (Go's `ReadFromUnix`).
    #[doc(alias = "ReadFromUnix")]
    pub fn read_from_unix(&self, b: &mut [u8]) -> io::Result<(usize, Option<UnixAddr>)> {
        crate::unixsock_posix::read_from(&self.c.fd, b).map_err(|e| self.c.op_err(Op::Read, e))
    }

    /// Sends `b` as one message to `addr` (Go's `WriteToUnix`): for an
    /// unconnected `"unixgram"` socket. `addr` must be of the socket's own
    /// network.
    #[doc(alias = "WriteToUnix")]
    pub fn write_to_unix(&self, b: &[u8], addr: &UnixAddr) -> io::Result<usize> {
        crate::unixsock_posix::write_to(&self.c.fd, b, addr)
            .map_err(|e| self.write_err(op_addr(Some(addr)), e))
    }

    /// Sends `b` together with the open descriptors `fds` (`SCM_RIGHTS`),
    /// to `addr` if given, else to the peer (Go's `WriteMsgUnix`). The peer
    /// receives duplicates of them; ours stay open. At most 253 descriptors
    /// go in one message.
    ///
    /// Go takes the raw ancillary bytes (`oob`, built with
    /// `syscall.UnixRights`); gort takes the descriptors themselves, so
    /// nothing unsafe is built by hand. As in Go, descriptors with an empty
    /// `b` on a stream travel with one zero byte, which the peer's
    /// [`read_msg_unix`](Self::read_msg_unix) with an empty `b` consumes;
    /// a connected `"unixgram"` socket fails with Go's pre-connected error.
    #[doc(alias = "WriteMsgUnix")]
    pub fn write_msg_unix(
        &self,
        b: &[u8],
        fds: &[BorrowedFd<'_>],
        addr: Option<&UnixAddr>,
    ) -> io::Result<usize> {
        crate::unixsock_posix::write_msg(&self.c.fd, b, fds, addr)
            .map_err(|e| self.write_err(op_addr(addr), e))
    }

    /// Reads one message (or bytes from a stream) into `b`, appending the
    /// descriptors that came with it to `fds` (Go's `ReadMsgUnix`). They
    /// arrive close-on-exec. Returns the bytes read and the sender, `None`
    /// for a sender without a name.
    ///
    /// Go returns the raw ancillary bytes (`oob`, parsed with
    /// `syscall.ParseUnixRights`); gort returns owned descriptors, which
    /// close when dropped. Up to 253 descriptors per message are taken.
    #[doc(alias = "ReadMsgUnix")]
    pub fn read_msg_unix(
        &self,
        b: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<(usize, Option<UnixAddr>)> {
        crate::unixsock_posix::read_msg(&self.c.fd, b, fds).map_err(|e| self.c.op_err(Op::Read, e))
    }
}

conn_impls!(socket UnixConn, UnixAddr);
conn_impls!(stream UnixConn);
conn_impls!(packet UnixConn);

impl UnixConn {
    /// `PacketConn::read_from`: the sender, if named, as a `dyn Addr`.
    fn packet_read_from(&self, b: &mut [u8]) -> io::Result<(usize, Option<Box<dyn Addr>>)> {
        let (n, addr) = self.read_from_unix(b)?;
        Ok((n, addr.map(|a| Box::new(a) as Box<dyn Addr>)))
    }

    /// `PacketConn::write_to`: as [`UnixConn::write_to_unix`]; an address
    /// that is not a [`UnixAddr`] fails with `invalid argument`, as Go's
    /// `EINVAL`.
    fn packet_write_to(&self, b: &[u8], addr: &dyn Addr) -> io::Result<usize> {
        match SockAddr::from_dyn(addr) {
            Some(SockAddr::Unix(a)) => self.write_to_unix(b, &a),
            _ => Err(self.write_err(Some(addr.clone_box()), bare_errno(libc::EINVAL))),
        }
    }
}

/// A Unix domain socket listener (Go's `*net.UnixListener`), for `"unix"`
/// and `"unixpacket"`.
///
/// A listener on a path creates the socket file; closing the listener
/// (with [`close`](Self::close) or by dropping it) removes the file, once,
/// unless [`set_unlink_on_close`](Self::set_unlink_on_close) said not to.
/// Go removes it only on `Close`; in Rust dropping is closing, so a
/// dropped listener removes it too.
#[derive(Debug)]
pub struct UnixListener {
    fd: NetFD,
    /// The name it listens on, as bound (Go's `path`). Constant.
    path: String,
    /// Remove the socket file on close (Go's `unlink`). Changed only
    /// through `&mut self`, so no synchronization is needed.
    unlink: bool,
    /// Makes the removal happen at most once, however many closes race
    /// (Go's `unlinkOnce`).
    unlink_once: Once,
}

impl UnixListener {
    /// Wraps a listening socket this process created; its file is ours to
    /// remove (Go's `listenUnix`, after the socket call).
    pub(crate) fn new(fd: NetFD) -> UnixListener {
        let path = fd.laddr.to_string();
        UnixListener {
            fd,
            path,
            unlink: true,
            unlink_once: Once::new(),
        }
    }

    /// Waits for the next connection (Go's `AcceptUnix`).
    #[doc(alias = "AcceptUnix")]
    pub fn accept(&self) -> io::Result<UnixConn> {
        let fd = self.fd.accept().map_err(|e| self.op_err(Op::Accept, e))?;
        Ok(UnixConn::new(fd))
    }

    /// Removes the socket file (the first time, if it is ours) and closes
    /// the listener: a blocked `accept` fails with "use of closed network
    /// connection". Connections already accepted stay open (Go's `Close`).
    pub fn close(&self) -> io::Result<()> {
        self.unlink_path();
        self.fd.close().map_err(|e| self.op_err(Op::Close, e))
    }

    /// Go's `unlinkOnce.Do` part of `close`: remove then close, so a
    /// listener that starts on the same path after our close returns is
    /// not unlinked by us.
    fn unlink_path(&self) {
        self.unlink_once.call_once(|| {
            if self.unlink {
                unlink_listener_path(&self.path);
            }
        });
    }

    /// Whether closing the listener removes its socket file (Go's
    /// `SetUnlinkOnClose`). It does by default, for a listener made by
    /// [`listen_unix`].
    #[doc(alias = "SetUnlinkOnClose")]
    pub fn set_unlink_on_close(&mut self, unlink: bool) {
        self.unlink = unlink;
    }
}

conn_impls!(listener UnixListener, UnixAddr);

impl Drop for UnixListener {
    fn drop(&mut self) {
        // The descriptor closes when `fd` drops, after this.
        self.unlink_path();
    }
}

/// Connects to `raddr`, from `laddr` if given (Go's `DialUnix`).
/// `network` is `"unix"`, `"unixgram"` or `"unixpacket"`.
#[doc(alias = "DialUnix")]
pub fn dial_unix(
    network: &str,
    laddr: Option<&UnixAddr>,
    raddr: &UnixAddr,
) -> io::Result<UnixConn> {
    let op_err = |e| OpError::new(Op::Dial, network, op_addr(laddr), op_addr(Some(raddr)), e);
    let net = network_of_kind(network, Network::is_unix).map_err(|e| op_err(e.into()))?;
    do_dial_unix(net, laddr, raddr, None, None).map_err(op_err)
}

/// Listens on `laddr` (Go's `ListenUnix`). `network` is `"unix"` or
/// `"unixpacket"`. A path name creates the socket file (it must not exist
/// yet); an `@name` is abstract and leaves no file.
#[doc(alias = "ListenUnix")]
pub fn listen_unix(network: &str, laddr: &UnixAddr) -> io::Result<UnixListener> {
    let op_err = |e| OpError::new(Op::Listen, network, None, op_addr(Some(laddr)), e);
    let stream = |n: &Network| matches!(n, Network::Unix | Network::Unixpacket);
    let net = network_of_kind(network, stream).map_err(|e| op_err(e.into()))?;
    do_listen_unix(net, laddr, None).map_err(op_err)
}

/// Binds a `"unixgram"` socket to `laddr` (Go's `ListenUnixgram`); it
/// receives from anyone, and sends with
/// [`write_to_unix`](UnixConn::write_to_unix).
#[doc(alias = "ListenUnixgram")]
pub fn listen_unixgram(network: &str, laddr: &UnixAddr) -> io::Result<UnixConn> {
    let op_err = |e| OpError::new(Op::Listen, network, None, op_addr(Some(laddr)), e);
    network_of_kind(network, |n| *n == Network::Unixgram).map_err(|e| op_err(e.into()))?;
    do_listen_unixgram(Network::Unixgram, laddr, None).map_err(op_err)
}
