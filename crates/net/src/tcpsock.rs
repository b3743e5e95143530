//! Mirrors Go src/net/tcpsock.go (go1.27): TCP addresses, connections and
//! listeners.
//!
//! A [`TcpConn`] is a connected stream socket. As in Go, every method takes
//! `&self`, so one goroutine can read while another writes and a third
//! closes: the poll FD's fdMutex serializes reads against reads and writes
//! against writes, and `close` wakes whoever is blocked. `Read` and `Write`
//! are implemented for both `TcpConn` and `&TcpConn`, and `write_all` takes
//! `&self`, so `BufReader::new(&conn)` and `conn.write_all(..)` work
//! together. Dropping a conn closes it.
//!
//! Go's defaults hold: `TCP_NODELAY` is on, and keep-alive probes start
//! after 15 s of silence (see [`KeepAliveConfig`]).
//!
//! ```
//! use std::io::{BufRead, BufReader};
//! gort::run(|| {
//!     let ln = gort::net::listen_tcp("tcp", Some(&"127.0.0.1:0".parse().unwrap())).unwrap();
//!     let addr = ln.addr();
//!     let server = gort::spawn(move || {
//!         let conn = ln.accept().unwrap();
//!         let mut line = String::new();
//!         BufReader::new(&conn).read_line(&mut line).unwrap();
//!         conn.write_all(line.to_uppercase().as_bytes()).unwrap();
//!     });
//!     let conn = gort::net::dial_tcp("tcp", None, &addr).unwrap();
//!     conn.write_all(b"hello\n").unwrap();
//!     let mut line = String::new();
//!     BufReader::new(&conn).read_line(&mut line).unwrap();
//!     assert_eq!(line, "HELLO\n");
//!     server.join();
//! });
//! ```

use std::any::Any;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use gort_runtime::context::Context;

use crate::fd_posix::NetFD;
use crate::ipsock::join_host_port;
use crate::ipsock_posix::{SockMode, internet_socket, sockaddr_to_ip};
use crate::net::{ConnBase, conn_impls, op_addr};
use crate::network::{Network, network_of_kind};
use crate::sock_posix::Control;
use crate::sockaddr_posix::{SockAddr, Sockaddr};
use crate::{Addr, IP, Op, OpError};

/// The address of a TCP end point (Go's `*net.TCPAddr`).
///
/// Displays as Go's `String()`: `127.0.0.1:80`, `[::1]:80`,
/// `[fe80::1%eth0]:80`, `:80` for the wildcard with no IP.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpAddr {
    /// The IP address; nil means the wildcard.
    pub ip: IP,
    /// The port.
    pub port: u16,
    /// The IPv6 scoped addressing zone (an interface name), or empty.
    pub zone: String,
}

impl TcpAddr {
    /// The address `ip:port`, with no zone.
    pub fn new(ip: IP, port: u16) -> TcpAddr {
        TcpAddr {
            ip,
            port,
            zone: String::new(),
        }
    }

    /// Decodes a kernel address (Go's `sockaddrToTCP`).
    pub(crate) fn from_sockaddr(sa: &rustix::net::SocketAddrAny) -> Option<TcpAddr> {
        let (ip, port, zone) = sockaddr_to_ip(sa)?;
        Some(TcpAddr { ip, port, zone })
    }

    /// As a `std::net::SocketAddr` (with the zone's interface index as the
    /// v6 scope id); `None` for a nil IP.
    pub fn to_socket_addr(&self) -> Option<SocketAddr> {
        ip_port_to_std(&self.ip, self.port, &self.zone)
    }
}

/// `ip:port%zone` as a std address.
pub(crate) fn ip_port_to_std(ip: &IP, port: u16, zone: &str) -> Option<SocketAddr> {
    match ip.to_std()? {
        std::net::IpAddr::V4(v4) => Some(SocketAddr::from((v4, port))),
        std::net::IpAddr::V6(v6) => Some(SocketAddr::V6(std::net::SocketAddrV6::new(
            v6,
            port,
            0,
            crate::ipsock_posix::zone_index(zone),
        ))),
    }
}

/// The zone of a std address's scope id.
pub(crate) fn std_zone(sa: &SocketAddr) -> String {
    match sa {
        SocketAddr::V6(v6) => crate::ipsock_posix::zone_name(v6.scope_id()),
        SocketAddr::V4(_) => String::new(),
    }
}

impl From<SocketAddr> for TcpAddr {
    fn from(sa: SocketAddr) -> TcpAddr {
        TcpAddr {
            ip: IP::from(sa.ip()),
            port: sa.port(),
            zone: std_zone(&sa),
        }
    }
}

impl FromStr for TcpAddr {
    type Err = io::Error;

    /// Resolves `host:port` as [`resolve_tcp_addr`]`("tcp", s)` does.
    fn from_str(s: &str) -> io::Result<TcpAddr> {
        resolve_tcp_addr("tcp", s)
    }
}

/// Go's `ipEmptyString`: an IP's text, or "" for the nil IP.
pub(crate) fn ip_empty_string(ip: &IP) -> String {
    if ip.is_nil() {
        String::new()
    } else {
        ip.to_string()
    }
}

/// `host:port` with the zone, as Go's `TCPAddr.String` and `UDPAddr.String`.
pub(crate) fn fmt_ip_port(
    f: &mut fmt::Formatter<'_>,
    ip: &IP,
    port: u16,
    zone: &str,
) -> fmt::Result {
    let mut host = ip_empty_string(ip);
    if !zone.is_empty() {
        host.push('%');
        host.push_str(zone);
    }
    f.write_str(&join_host_port(&host, &port.to_string()))
}

impl fmt::Display for TcpAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ip_port(f, &self.ip, self.port, &self.zone)
    }
}

impl Addr for TcpAddr {
    fn network(&self) -> &'static str {
        Network::Tcp.as_str()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(self.clone())
    }
}

impl Sockaddr for TcpAddr {
    fn family(&self) -> i32 {
        ip_family(&self.ip)
    }
    fn is_wildcard(&self) -> bool {
        self.ip.is_nil() || self.ip.is_unspecified()
    }
    fn sockaddr(&self, family: i32) -> io::Result<Option<rustix::net::SocketAddrAny>> {
        crate::ipsock_posix::ip_to_sockaddr(family, &self.ip, self.port, &self.zone).map(Some)
    }
    fn to_sock_addr(&self) -> SockAddr {
        SockAddr::Tcp(self.clone())
    }
}

/// The family an IP prefers (Go's `TCPAddr.family`): v4 for nil, 4-byte
/// and v4-mapped addresses, and (as in Go) for any shorter, malformed one,
/// which then fails as a `non-IPv4 address`.
pub(crate) fn ip_family(ip: &IP) -> i32 {
    if ip.len() <= crate::IPV4_LEN || ip.to4().is_some() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    }
}

/// Resolves `address` (`host:port`, the host a name or a literal, the
/// port a number or a service name) to a TCP address (Go's
/// `ResolveTCPAddr`). `network` is `"tcp"`, `"tcp4"` or `"tcp6"` (or "",
/// taken as `"tcp"`). A name with several addresses gives the first of the
/// preferred family.
#[doc(alias = "ResolveTCPAddr")]
pub fn resolve_tcp_addr(network: &str, address: &str) -> io::Result<TcpAddr> {
    let network = match network {
        "" => Network::Tcp,
        _ => network_of_kind(network, Network::is_tcp)?,
    };
    let list = crate::ipsock::internet_addr_list(network, address)?;
    let crate::ipsock::InetAddr { ip, port, zone } = list.for_resolve(network, address);
    Ok(TcpAddr { ip, port, zone })
}

/// TCP keep-alive settings (Go's `net.KeepAliveConfig`). Zero fields take
/// Go's defaults: 15 s idle, 15 s between probes, 9 probes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeepAliveConfig {
    /// Whether keep-alive probes are sent at all.
    pub enable: bool,
    /// Silence before the first probe (`TCP_KEEPIDLE`); zero = 15 s.
    pub idle: Duration,
    /// Time between unanswered probes (`TCP_KEEPINTVL`); zero = 15 s.
    pub interval: Duration,
    /// Unanswered probes before the connection is dropped (`TCP_KEEPCNT`); zero = 9.
    pub count: u32,
}

/// A TCP connection (Go's `*net.TCPConn`).
#[derive(Debug)]
pub struct TcpConn {
    c: ConnBase,
}

impl TcpConn {
    /// Wraps a connected socket with Go's defaults (Go's `newTCPConn`):
    /// no delay, and keep-alive as `keep_alive` (None: Go's defaults;
    /// `Some(ZERO)`: off; `Some(d)`: idle `d`) unless `cfg` enables it.
    // ANCHOR: newTCPConn
    pub(crate) fn new(
        fd: NetFD,
        keep_alive: Option<Duration>,
        cfg: Option<KeepAliveConfig>,
    ) -> TcpConn {
        // Go ignores failures of these two; so do we.
        let _ = crate::tcpsockopt_posix::set_no_delay(&fd, true);
        let c = TcpConn {
            c: ConnBase::new(fd),
        };
        let cfg = match cfg {
            Some(cfg) if cfg.enable => Some(cfg),
            _ => match keep_alive {
                Some(d) if d.is_zero() => None,
                idle => Some(KeepAliveConfig {
                    enable: true,
                    idle: idle.unwrap_or_default(),
                    ..Default::default()
                }),
            },
        };
        if let Some(cfg) = cfg {
            let _ = c.set_keep_alive_config(cfg);
        }
        c
    }
    // ANCHOR_END: newTCPConn

    /// Writes the buffers with `writev(2)`, consuming them (Go's
    /// `Buffers.WriteTo` on a TCPConn).
    pub fn write_buffers(&self, bufs: &mut crate::Buffers) -> io::Result<u64> {
        // `&TcpConn`'s `write_vectored` is one `writev(2)`.
        bufs.write_to(&mut &*self)
    }

    /// Turns Nagle's algorithm off (`true`, the default) or on (Go's `SetNoDelay`).
    ///
    /// This and the other TCP options below fail as Go's do, naming both
    /// ends: `set tcp 127.0.0.1:5000->127.0.0.1:80: setsockopt: invalid
    /// argument` (the buffer sizes and deadlines name the local end only).
    pub fn set_no_delay(&self, no_delay: bool) -> io::Result<()> {
        crate::tcpsockopt_posix::set_no_delay(&self.c.fd, no_delay)
            .map_err(|e| self.c.op_err(Op::Set, e))
    }

    /// Turns keep-alive probes on or off (Go's `SetKeepAlive`).
    pub fn set_keep_alive(&self, keep_alive: bool) -> io::Result<()> {
        crate::sockopt_posix::set_keep_alive(&self.c.fd, keep_alive)
            .map_err(|e| self.c.op_err(Op::Set, e))
    }

    /// Sets the idle time before the first probe (Go's `SetKeepAlivePeriod`).
    pub fn set_keep_alive_period(&self, d: Duration) -> io::Result<()> {
        crate::tcpsockopt_unix::set_keep_alive_idle(&self.c.fd, d)
            .map_err(|e| self.c.op_err(Op::Set, e))
    }

    /// Applies a whole keep-alive configuration (Go's `SetKeepAliveConfig`).
    pub fn set_keep_alive_config(&self, cfg: KeepAliveConfig) -> io::Result<()> {
        let fd = &self.c.fd;
        let res = (|| {
            crate::sockopt_posix::set_keep_alive(fd, cfg.enable)?;
            if cfg.enable {
                crate::tcpsockopt_unix::set_keep_alive_idle(fd, cfg.idle)?;
                crate::tcpsockopt_unix::set_keep_alive_interval(fd, cfg.interval)?;
                crate::tcpsockopt_unix::set_keep_alive_count(fd, cfg.count)?;
            }
            Ok(())
        })();
        res.map_err(|e| self.c.op_err(Op::Set, e))
    }

    /// `SO_LINGER` (Go's `SetLinger`): `None` (the default) lets close
    /// return at once while the kernel sends what is left; `Some(d)` makes
    /// close wait up to `d`; `Some(Duration::ZERO)` discards unsent data
    /// and resets the connection.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        crate::sockopt_posix::set_linger(&self.c.fd, linger).map_err(|e| self.c.op_err(Op::Set, e))
    }
}

conn_impls!(socket TcpConn, TcpAddr);
conn_impls!(stream TcpConn);

/// Connects to `raddr`, from `laddr` if given (Go's `DialTCP`).
#[doc(alias = "DialTCP")]
pub fn dial_tcp(network: &str, laddr: Option<&TcpAddr>, raddr: &TcpAddr) -> io::Result<TcpConn> {
    let op_err = |e| OpError::new(Op::Dial, network, op_addr(laddr), op_addr(Some(raddr)), e);
    let net = network_of_kind(network, Network::is_tcp).map_err(|e| op_err(e.into()))?;
    do_dial_tcp(net, laddr, raddr, None, None, None, None).map_err(op_err)
}

/// Go's `sysDialer.doDialTCP`, without the OpError (the caller adds it):
/// retries a connect that the kernel turned into a self-connection.
pub(crate) fn do_dial_tcp(
    net: Network,
    laddr: Option<&TcpAddr>,
    raddr: &TcpAddr,
    ctx: Option<&Context>,
    control: Option<&Control>,
    keep_alive: Option<Duration>,
    keep_alive_config: Option<KeepAliveConfig>,
) -> io::Result<TcpConn> {
    let dial = || {
        internet_socket(
            net,
            laddr.map(|a| a as &dyn Sockaddr),
            Some(raddr),
            libc::SOCK_STREAM,
            0,
            SockMode::Dial,
            control,
            ctx,
        )
    };
    let mut res = dial();
    // A connect to a local port nobody listens on can, rarely, connect the
    // socket to itself (TCP simultaneous open); Go retries twice.
    for _ in 0..2 {
        if laddr.is_some_and(|a| a.port != 0) {
            break;
        }
        match &res {
            Ok(fd) if self_connect(fd) => {}
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => {}
            _ => break,
        }
        res = dial();
    }
    Ok(TcpConn::new(res?, keep_alive, keep_alive_config))
}

/// Whether a dialed socket is connected to itself (Go's `selfConnect`).
fn self_connect(fd: &NetFD) -> bool {
    match (&fd.laddr, &fd.raddr) {
        (SockAddr::Tcp(l), Some(SockAddr::Tcp(r))) => l.port == r.port && l.ip.equal(&r.ip),
        _ => false,
    }
}

/// A TCP listener (Go's `*net.TCPListener`). Dropping it closes it.
// ANCHOR: TCPListener
#[derive(Debug)]
pub struct TcpListener {
    fd: NetFD,
    keep_alive: Option<Duration>,
    keep_alive_config: Option<KeepAliveConfig>,
}
// ANCHOR_END: TCPListener

impl TcpListener {
    /// Waits for the next connection (Go's `AcceptTCP`). The new conn gets
    /// Go's defaults (no delay, keep-alive 15 s) or the listen config's.
    // ANCHOR: AcceptTCP
    #[doc(alias = "AcceptTCP")]
    pub fn accept(&self) -> io::Result<TcpConn> {
        let fd = self.fd.accept().map_err(|e| self.op_err(Op::Accept, e))?;
        Ok(TcpConn::new(fd, self.keep_alive, self.keep_alive_config))
    }
    // ANCHOR_END: AcceptTCP

    /// Closes the listener: a blocked `accept` fails with "use of closed
    /// network connection" (Go's `Close`).
    pub fn close(&self) -> io::Result<()> {
        self.fd.close().map_err(|e| self.op_err(Op::Close, e))
    }

    /// Sets what accepted conns get for keep-alive (Go's `ListenConfig.KeepAlive`).
    pub(crate) fn with_keep_alive(
        mut self,
        keep_alive: Option<Duration>,
        cfg: Option<KeepAliveConfig>,
    ) -> TcpListener {
        self.keep_alive = keep_alive;
        self.keep_alive_config = cfg;
        self
    }
}

conn_impls!(listener TcpListener, TcpAddr);

/// Listens on `laddr` (Go's `ListenTCP`). `None` or a port of 0 lets the
/// kernel pick a port; a nil IP listens on every address (both families
/// when the host can).
// ANCHOR: ListenTCP
#[doc(alias = "ListenTCP")]
pub fn listen_tcp(network: &str, laddr: Option<&TcpAddr>) -> io::Result<TcpListener> {
    let default = TcpAddr::default();
    let laddr = laddr.unwrap_or(&default);
    let op_err = |e| OpError::new(Op::Listen, network, None, op_addr(Some(laddr)), e);
    let net = network_of_kind(network, Network::is_tcp).map_err(|e| op_err(e.into()))?;
    do_listen_tcp(net, laddr, None).map_err(op_err)
}
// ANCHOR_END: ListenTCP

/// Go's `sysListener.listenTCP`, without the OpError.
// ANCHOR: listenTCP
pub(crate) fn do_listen_tcp(
    net: Network,
    laddr: &TcpAddr,
    control: Option<&Control>,
) -> io::Result<TcpListener> {
    let fd = internet_socket(
        net,
        Some(laddr),
        None,
        libc::SOCK_STREAM,
        0,
        SockMode::Listen,
        control,
        None,
    )?;
    Ok(TcpListener {
        fd,
        keep_alive: None,
        keep_alive_config: None,
    })
}
// ANCHOR_END: listenTCP

// Reached by file_unix.rs (`file_listener`).
impl TcpListener {
    /// Wraps a socket that came from a descriptor; accepted conns get Go's
    /// default keep-alive (Go's `&TCPListener{fd: fd}` in `fileListener`).
    pub(crate) fn from_net_fd(fd: NetFD) -> TcpListener {
        TcpListener {
            fd,
            keep_alive: None,
            keep_alive_config: None,
        }
    }
}

// Go's `ReadFrom` and `WriteTo` (tcpsock.go); the choice between splice,
// sendfile and a plain copy is in tcpsock_posix.rs.
impl TcpConn {
    /// Copies everything `r` yields into the conn, until `r` returns end of
    /// file (Go's `ReadFrom` with a reader it cannot do better for, Go's
    /// `genericReadFrom`): through a 32 KiB buffer.
    ///
    /// Go's `ReadFrom` looks at the reader's type and moves data inside the
    /// kernel when it can; Rust cannot ask a `dyn Read` what it is, so the
    /// zero-copy cases have their own methods: [`read_from_tcp`],
    /// [`read_from_unix`], [`read_from_file`]. `std::io::copy(&mut &src,
    /// &mut &conn)` is a plain copy too.
    ///
    /// Errors read as Go's: `readfrom tcp 127.0.0.1:1->127.0.0.1:2: write
    /// tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection`.
    /// The count of a copy that fails partway is lost in the error.
    ///
    /// [`read_from_tcp`]: Self::read_from_tcp
    /// [`read_from_unix`]: Self::read_from_unix
    /// [`read_from_file`]: Self::read_from_file
    #[doc(alias = "ReadFrom")]
    pub fn read_from(&self, r: &mut dyn io::Read) -> io::Result<u64> {
        crate::tcpsock_posix::read_from(self, crate::tcpsock_posix::Source::Reader(r))
            .map_err(|e| self.c.op_err(Op::ReadFrom, e))
    }

    /// Moves everything `src` receives into this conn, until `src` reads
    /// end of file, with `splice(2)`: the bytes go from socket to socket
    /// through a kernel pipe, never through user space (Go's `ReadFrom`
    /// with a `*TCPConn`). Parks while `src` is empty or this conn is full;
    /// the deadlines of both conns apply, and closing either ends it.
    /// Falls back to a plain copy if the kernel cannot splice.
    ///
    /// Returns the bytes moved. This conn stays open; call
    /// [`close_write`](Self::close_write) to pass the end of file on.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// gort::run(|| {
    ///     let pair = || {
    ///         let ln = gort::net::listen_tcp("tcp", Some(&"127.0.0.1:0".parse().unwrap())).unwrap();
    ///         let a = gort::net::dial_tcp("tcp", None, &ln.addr()).unwrap();
    ///         (a, ln.accept().unwrap())
    ///     };
    ///     let ((client, src), (dst, server)) = (pair(), pair());
    ///     (&client).write_all(b"spliced").unwrap();
    ///     client.close_write().unwrap();
    ///     assert_eq!(dst.read_from_tcp(&src).unwrap(), 7);
    ///     dst.close_write().unwrap();
    ///     let mut got = String::new();
    ///     (&server).read_to_string(&mut got).unwrap();
    ///     assert_eq!(got, "spliced");
    /// });
    /// ```
    #[doc(alias = "ReadFrom")]
    pub fn read_from_tcp(&self, src: &TcpConn) -> io::Result<u64> {
        crate::tcpsock_posix::read_from(self, crate::tcpsock_posix::Source::Tcp(src))
            .map_err(|e| self.c.op_err(Op::ReadFrom, e))
    }

    /// As [`read_from_tcp`](Self::read_from_tcp), from a Unix conn (Go's
    /// `ReadFrom` with a `*UnixConn`): spliced for a `"unix"` stream;
    /// copied through a buffer for `"unixgram"` and `"unixpacket"`, whose
    /// message boundaries a splice would not keep.
    #[doc(alias = "ReadFrom")]
    pub fn read_from_unix(&self, src: &crate::UnixConn) -> io::Result<u64> {
        crate::tcpsock_posix::read_from(self, crate::tcpsock_posix::Source::Unix(src))
            .map_err(|e| self.c.op_err(Op::ReadFrom, e))
    }

    /// Sends the rest of `f`, from its current offset, with `sendfile(2)`:
    /// from the page cache to the socket inside the kernel (Go's
    /// `ReadFrom` with an `*os.File`). The file offset moves past what was
    /// sent, as a read would move it. Falls back to a plain copy (reads
    /// inside [`gort::blocking`](gort_runtime::blocking)) when `f` cannot
    /// be sent from, e.g. a pipe.
    ///
    /// Pages that must come from disk block the thread while they are
    /// read, as in Go; waits for room in the socket park the goroutine.
    #[doc(alias = "ReadFrom")]
    pub fn read_from_file(&self, f: &std::fs::File) -> io::Result<u64> {
        crate::tcpsock_posix::read_from(self, crate::tcpsock_posix::Source::File(f))
            .map_err(|e| self.c.op_err(Op::ReadFrom, e))
    }

    /// Copies everything this conn receives into `w`, until end of file
    /// (Go's `WriteTo` with a writer it cannot do better for, Go's
    /// `genericWriteTo`): through a 32 KiB buffer. For a TCP or Unix
    /// destination use [`write_to_tcp`](Self::write_to_tcp) or
    /// [`write_to_unix`](Self::write_to_unix), which splice.
    ///
    /// Errors read `writeto tcp <local>-><remote>: ...`.
    #[doc(alias = "WriteTo")]
    pub fn write_to(&self, w: &mut dyn io::Write) -> io::Result<u64> {
        crate::tcpsock_posix::write_to(self, crate::tcpsock_posix::Sink::Writer(w))
            .map_err(|e| self.c.op_err(Op::WriteTo, e))
    }

    /// Moves everything this conn receives into `dst`, until end of file,
    /// with `splice(2)` (Go's `WriteTo` with a `*TCPConn`, which Go serves
    /// through `dst.ReadFrom`): the same transfer as
    /// `dst.read_from_tcp(self)`, and its errors carry both layers, as
    /// Go's do: `writeto tcp ...: readfrom tcp ...: splice: ...`.
    #[doc(alias = "WriteTo")]
    pub fn write_to_tcp(&self, dst: &TcpConn) -> io::Result<u64> {
        crate::tcpsock_posix::write_to(self, crate::tcpsock_posix::Sink::Tcp(dst))
            .map_err(|e| self.c.op_err(Op::WriteTo, e))
    }

    /// Moves everything this conn receives into the Unix conn `dst`, until
    /// end of file (Go's `WriteTo` with a `*UnixConn`, `spliceTo`): spliced
    /// for a `"unix"` stream, copied through a buffer otherwise.
    #[doc(alias = "WriteTo")]
    pub fn write_to_unix(&self, dst: &crate::UnixConn) -> io::Result<u64> {
        crate::tcpsock_posix::write_to(self, crate::tcpsock_posix::Sink::Unix(dst))
            .map_err(|e| self.c.op_err(Op::WriteTo, e))
    }
}
