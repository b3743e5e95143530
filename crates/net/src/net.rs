//! Mirrors Go src/net/net.go (go1.27): the interfaces and the errors.
//!
//! Go's `net.go` is the package's table of contents: the three interfaces
//! every socket type satisfies ([`Conn`] for streams, [`PacketConn`] for
//! datagrams, [`Listener`] for accepting), the [`Addr`] interface their
//! addresses share, and the error types every operation reports.
//!
//! # Errors reach you as `std::io::Error`
//!
//! Every failing operation returns an [`io::Error`] whose [`io::ErrorKind`]
//! says what happened in Rust's terms and whose payload is one of the typed
//! errors below, so `?`, `BufReader` and every `std::io` consumer just work,
//! and code that wants Go's detail downcasts:
//!
//! ```
//! use gort_net::OpError;
//! # fn show(err: std::io::Error) {
//! if let Some(op) = err.get_ref().and_then(|e| e.downcast_ref::<OpError>()) {
//!     println!("{} failed on {}", op.op, op.net); // "dial failed on tcp"
//! }
//! # }
//! ```
//!
//! The text of each error is Go's, byte for byte: an [`OpError`] prints
//! `dial tcp 127.0.0.1:1: connect: connection refused` and an [`AddrError`]
//! prints `address 1.2.3.4: missing port in address`.
//!
//! | Go type                 | here                     | `io::ErrorKind`      |
//! |-------------------------|--------------------------|----------------------|
//! | `*OpError`              | [`OpError`]              | that of its `err`    |
//! | `*AddrError`            | [`AddrError`]            | `InvalidInput`       |
//! | `UnknownNetworkError`   | [`UnknownNetworkError`]  | `InvalidInput`       |
//! | `InvalidAddrError`      | [`InvalidAddrError`]     | `InvalidInput`       |
//! | `*ParseError`           | [`ParseError`]           | `InvalidInput`       |
//! | `*DNSError`             | [`DNSError`]             | `NotFound`, `TimedOut` or `Other` |
//! | `ErrClosed`             | [`is_closed`]            | `NotConnected`       |
//! | `errTimeout`            | [`TimeoutError`]         | `TimedOut`           |
//!
//! # Deadlines
//!
//! Go's zero `time.Time` ("no deadline") is `None` here: every
//! `set_*deadline` takes an `Option<Instant>`.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::io;
use std::time::Instant;

use crate::sockaddr_posix::SockAddr;

/// A network end point address (Go's `net.Addr`).
///
/// Its `Display` is Go's `String()`: `"127.0.0.1:80"`, `"[::1]:80"`,
/// `"/tmp/sock"`.
pub trait Addr: fmt::Display + fmt::Debug + Send + Sync + 'static {
    /// The name of the network: `"tcp"`, `"udp"`, `"unix"`, `"unixgram"`,
    /// `"unixpacket"`, `"pipe"`.
    fn network(&self) -> &'static str;

    /// The concrete address, for downcasting (`addr.as_any().downcast_ref::<TcpAddr>()`).
    fn as_any(&self) -> &dyn Any;

    /// A boxed copy (what `Clone` would be, were `dyn Addr` sized).
    fn clone_box(&self) -> Box<dyn Addr>;
}

impl Clone for Box<dyn Addr> {
    fn clone(&self) -> Self {
        (**self).clone_box()
    }
}

/// A generic stream-oriented network connection (Go's `net.Conn`).
///
/// Every method takes `&self`: as in Go, one goroutine may read while
/// another writes, and a third may close. A `Box<dyn Conn>` (what
/// [`dial`](crate::dial) and [`Listener::accept`] return) reads and writes
/// through a shared reference too: `conn.write_all(b)` (see
/// [`write_all`](#method.write_all)) needs no `mut`, and `&conn` is an
/// [`io::Read`] and [`io::Write`], so `BufReader::new(&conn)` can read
/// while the same goroutine, or another, writes:
///
/// ```
/// use std::io::{BufRead, BufReader};
/// gort::run(|| {
///     let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
///     let addr = ln.addr().to_string();
///     let client = gort::spawn(move || {
///         let conn = gort::net::dial("tcp", &addr).unwrap();
///         conn.write_all(b"ping\n").unwrap();
///         let mut line = String::new();
///         BufReader::new(&conn).read_line(&mut line).unwrap();
///         line
///     });
///     let conn = ln.accept().unwrap();
///     let mut lines = BufReader::new(&conn);
///     let mut line = String::new();
///     lines.read_line(&mut line).unwrap();
///     conn.write_all(line.to_uppercase().as_bytes()).unwrap();
///     assert_eq!(client.join().unwrap(), "PING\n");
/// });
/// ```
///
/// An owned `Box<dyn Conn>` is also an [`io::Read`] (`let mut conn = ...;
/// conn.read_to_string(&mut s)`), as std's `TcpStream` is; it is not an
/// `io::Write`, so that `conn.write_all` finds the `&self` method above
/// rather than one that needs `&mut` (for a `&mut impl Write`, pass
/// `&mut &conn`).
// ANCHOR: Conn
pub trait Conn: Send + Sync + fmt::Debug {
    /// Reads into `b`; `Ok(0)` for a non-empty `b` is end of file.
    fn read(&self, b: &mut [u8]) -> io::Result<usize>;

    /// Writes all of `b` (Go's Write loops until done or failed).
    fn write(&self, b: &[u8]) -> io::Result<usize>;

    /// Closes the connection; blocked reads and writes fail with
    /// "use of closed network connection".
    fn close(&self) -> io::Result<()>;

    /// The local address (Go's `LocalAddr`); every conn has one.
    fn local_addr(&self) -> Box<dyn Addr>;

    /// The peer's address (Go's `RemoteAddr`); `None` for a conn with no
    /// peer (see the crate doc's rule on addresses).
    fn remote_addr(&self) -> Option<Box<dyn Addr>>;

    /// Sets both deadlines (`None` clears them). A deadline in the past
    /// fails pending and future calls with a [`TimedOut`](io::ErrorKind::TimedOut) error.
    fn set_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Sets the read deadline.
    fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Sets the write deadline.
    fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Shuts down the writing side of a socket: the peer reads end of file
    /// once it has read what was sent (Go's `CloseWrite`, which Go's
    /// `net/http` reaches by asserting a `closeWriter` interface). A conn
    /// that cannot half-close (a pipe) fails with `Unsupported`.
    fn close_write(&self) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}
// ANCHOR_END: Conn

impl dyn Conn + '_ {
    /// Writes all of `b`, through a shared reference (what
    /// [`io::Write::write_all`] does, without its `&mut self`). Fails with
    /// the error that stopped the write.
    pub fn write_all(&self, b: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut &*self, b)
    }
}

impl io::Read for dyn Conn + '_ {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Conn::read(&*self, buf)
    }
}

/// Reading and writing through `&dyn Conn` and `&Box<dyn Conn>`, so that
/// `BufReader::new(&conn)` and `io::copy(&mut &a, &mut &b)` work on either.
/// `$conn` turns the `&mut self` into the `&dyn Conn`.
macro_rules! io_through_ref {
    ($t:ty, |$s:ident| $conn:expr) => {
        impl io::Read for $t {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let $s = self;
                Conn::read($conn, buf)
            }
        }

        impl io::Write for $t {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let $s = self;
                Conn::write($conn, buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
    };
}

io_through_ref!(&dyn Conn, |c| &**c);
io_through_ref!(&Box<dyn Conn>, |c| &***c);

/// A generic packet-oriented network connection (Go's `net.PacketConn`).
pub trait PacketConn: Send + Sync + fmt::Debug {
    /// Reads one packet into `b`, returning its length and sender.
    fn read_from(&self, b: &mut [u8]) -> io::Result<(usize, Option<Box<dyn Addr>>)>;

    /// Sends `b` as one packet to `addr`.
    fn write_to(&self, b: &[u8], addr: &dyn Addr) -> io::Result<usize>;

    /// Closes the connection.
    fn close(&self) -> io::Result<()>;

    /// The local address (Go's `LocalAddr`).
    fn local_addr(&self) -> Box<dyn Addr>;

    /// Sets both deadlines.
    fn set_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Sets the read deadline.
    fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Sets the write deadline.
    fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()>;
}

/// A generic network listener for stream protocols (Go's `net.Listener`).
pub trait Listener: Send + Sync + fmt::Debug {
    /// Waits for and returns the next connection.
    fn accept(&self) -> io::Result<Box<dyn Conn>>;

    /// Closes the listener; a blocked `accept` fails with
    /// "use of closed network connection".
    fn close(&self) -> io::Result<()>;

    /// The listener's address.
    fn addr(&self) -> Box<dyn Addr>;
}

/// Go's `net.Error` methods, for the typed errors of this crate.
pub trait NetError: Error {
    /// Whether the error is a timeout.
    fn timeout(&self) -> bool;
}

/// The operation an [`OpError`] reports (Go's `OpError.Op`, a string
/// there); [`as_str`](Op::as_str) and `Display` give Go's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `"dial"`: connecting (Go's `Dial*`).
    Dial,
    /// `"listen"`: binding a listener or a packet conn (Go's `Listen*`).
    Listen,
    /// `"accept"`: accepting a connection.
    Accept,
    /// `"read"`: reading, including `read_from` and `read_msg`.
    Read,
    /// `"write"`: writing, including `write_to` and `write_msg`.
    Write,
    /// `"writev"`: a vectored write (Go's `Buffers.WriteTo` on a conn).
    Writev,
    /// `"close"`: closing, or half-closing (`close_read`, `close_write`).
    Close,
    /// `"set"`: setting a deadline or a socket option.
    Set,
    /// `"file"`: duplicating the socket (`file`), or making a conn of a
    /// descriptor (`file_conn`).
    File,
    /// `"readfrom"`: `read_from` on a TCP conn (a copy into it).
    ReadFrom,
    /// `"writeto"`: `write_to` on a TCP conn (a copy out of it).
    WriteTo,
    /// `"raw-control"`: [`RawConn::control`](crate::RawConn::control).
    RawControl,
    /// `"raw-read"`: [`RawConn::read`](crate::RawConn::read).
    RawRead,
    /// `"raw-write"`: [`RawConn::write`](crate::RawConn::write).
    RawWrite,
    /// `"route"`: reading the kernel's interface and address tables
    /// ([`interfaces`](crate::interfaces) and the rest of interface.rs).
    Route,
}

impl Op {
    /// Go's name of the operation: `"dial"`, `"read"`, `"raw-control"`, ...
    pub fn as_str(&self) -> &'static str {
        match self {
            Op::Dial => "dial",
            Op::Listen => "listen",
            Op::Accept => "accept",
            Op::Read => "read",
            Op::Write => "write",
            Op::Writev => "writev",
            Op::Close => "close",
            Op::Set => "set",
            Op::File => "file",
            Op::ReadFrom => "readfrom",
            Op::WriteTo => "writeto",
            Op::RawControl => "raw-control",
            Op::RawRead => "raw-read",
            Op::RawWrite => "raw-write",
            Op::Route => "route",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error type of almost every operation (Go's `*net.OpError`).
///
/// Its text is Go's: `op net source->addr: err`, the parts that are unknown
/// left out, e.g. `read tcp 127.0.0.1:5000->127.0.0.1:40000: i/o timeout`.
#[derive(Debug)]
pub struct OpError {
    /// The operation: [`Op::Dial`], [`Op::Read`], ...
    pub op: Op,
    /// The network as the caller named it: `"tcp"`, `"udp6"`, `"unix"`,
    /// and also a name that is not a [`Network`](crate::Network) (the
    /// unknown one of an `unknown network` error, `"pipe"`, `"file+net"`).
    pub net: String,
    /// For operations on a connection, its local address.
    pub source: Option<Box<dyn Addr>>,
    /// The remote address, or for local operations (listen) the local one.
    pub addr: Option<Box<dyn Addr>>,
    /// What went wrong: often a [`SyscallError`](crate::SyscallError), an
    /// error of gort-poll (closed, i/o timeout), or a bare errno (an OS
    /// error, Go's `syscall.Errno`, printed as Go prints it).
    pub err: io::Error,
}

impl OpError {
    /// Builds the `io::Error` an operation returns: its kind is that of
    /// `err`, its payload this `OpError`.
    // Returns the io::Error every operation hands out, not Self: that is the
    // only form in which an OpError ever leaves the crate.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(
        op: Op,
        net: impl Into<String>,
        source: Option<Box<dyn Addr>>,
        addr: Option<Box<dyn Addr>>,
        err: io::Error,
    ) -> io::Error {
        let kind = err.kind();
        io::Error::new(
            kind,
            OpError {
                op,
                net: net.into(),
                source,
                addr,
                err,
            },
        )
    }

    /// Whether the error is a timeout (an expired deadline, or a syscall
    /// that timed out).
    pub fn timeout(&self) -> bool {
        is_timeout(&self.err)
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.as_str())?;
        if !self.net.is_empty() {
            write!(f, " {}", self.net)?;
        }
        if let Some(src) = &self.source {
            write!(f, " {src}")?;
        }
        if let Some(addr) = &self.addr {
            let sep = if self.source.is_some() { "->" } else { " " };
            write!(f, "{sep}{addr}")?;
        }
        // A bare errno (Go's `syscall.Errno` as `Err`) reads as Go prints it.
        match self.err.raw_os_error() {
            Some(code) => write!(f, ": {}", crate::errno_text(code)),
            None => write!(f, ": {}", self.err),
        }
    }
}

impl Error for OpError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.err)
    }
}

impl NetError for OpError {
    fn timeout(&self) -> bool {
        OpError::timeout(self)
    }
}

/// The `OpError` inside `err`, if there is one.
pub fn op_error(err: &io::Error) -> Option<&OpError> {
    err.get_ref().and_then(|e| e.downcast_ref::<OpError>())
}

/// Whether `err` is a timeout: an expired deadline (kind `TimedOut`,
/// "i/o timeout"), or an errno Go counts as one (`EAGAIN`, `ETIMEDOUT`).
pub fn is_timeout(err: &io::Error) -> bool {
    if let Some(op) = op_error(err) {
        return op.timeout();
    }
    if let Some(sys) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<crate::SyscallError>())
    {
        return is_timeout(&sys.err);
    }
    matches!(
        err.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Whether `err` is Go's `net.ErrClosed` ("use of closed network
/// connection"), possibly inside an [`OpError`].
pub fn is_closed(err: &io::Error) -> bool {
    match op_error(err) {
        Some(op) => is_closed(&op.err),
        None => gort_poll::fd::is_net_closing(err),
    }
}

/// An invalid literal address (Go's `*net.ParseError`): `invalid IP address: 1.2.3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was expected: `"IP address"`, `"CIDR address"`.
    pub typ: String,
    /// The text that failed to parse.
    pub text: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.typ, self.text)
    }
}

impl Error for ParseError {}

impl From<ParseError> for io::Error {
    fn from(e: ParseError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// A bad address (Go's `*net.AddrError`): `address 1.2.3.4: missing port in address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError {
    /// What is wrong with it.
    pub err: String,
    /// The address (may be empty).
    pub addr: String,
}

impl AddrError {
    /// An `AddrError` with the given message and address.
    pub fn new(err: impl Into<String>, addr: impl Into<String>) -> AddrError {
        AddrError {
            err: err.into(),
            addr: addr.into(),
        }
    }
}

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.addr.is_empty() {
            f.write_str(&self.err)
        } else {
            write!(f, "address {}: {}", self.addr, self.err)
        }
    }
}

impl Error for AddrError {}

impl From<AddrError> for io::Error {
    fn from(e: AddrError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// A network name this crate does not know (Go's `net.UnknownNetworkError`):
/// `unknown network tpc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownNetworkError(pub String);

impl fmt::Display for UnknownNetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown network {}", self.0)
    }
}

impl Error for UnknownNetworkError {}

impl From<UnknownNetworkError> for io::Error {
    fn from(e: UnknownNetworkError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// An address of the wrong kind for the operation (Go's
/// `net.InvalidAddrError`), e.g. "missing address".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidAddrError(pub String);

impl fmt::Display for InvalidAddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for InvalidAddrError {}

impl From<InvalidAddrError> for io::Error {
    fn from(e: InvalidAddrError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// A dial or lookup that ran past its deadline (Go's `errTimeout`,
/// "i/o timeout").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("i/o timeout")
    }
}

impl Error for TimeoutError {}

impl From<TimeoutError> for io::Error {
    fn from(e: TimeoutError) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, e)
    }
}

/// A dial or lookup abandoned because its context was cancelled (Go's
/// `errCanceled`, "operation was canceled"). It reaches users inside an
/// `io::Error` of kind `Other` (not `Interrupted`, which `write_all` and
/// friends would retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CanceledError;

impl fmt::Display for CanceledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation was canceled")
    }
}

impl Error for CanceledError {}

impl From<CanceledError> for io::Error {
    fn from(e: CanceledError) -> io::Error {
        io::Error::other(e)
    }
}

/// The error a net operation reports for a finished context (Go's
/// `mapErr`): a cancel is [`CanceledError`], a deadline [`TimeoutError`].
pub(crate) fn map_err(e: gort_runtime::context::ContextError) -> io::Error {
    match e {
        gort_runtime::context::ContextError::Canceled => CanceledError.into(),
        gort_runtime::context::ContextError::DeadlineExceeded => TimeoutError.into(),
    }
}

/// A failed name lookup (Go's `*net.DNSError`): `lookup nosuch.invalid: no such host`,
/// or with the server asked, `lookup nosuch.example on 127.0.0.53:53: no such host`.
///
/// Its `io::Error` kind is `NotFound` when [`is_not_found`](Self::is_not_found),
/// `TimedOut` when [`is_timeout`](Self::is_timeout), `Other` otherwise. A
/// lookup ended by its context carries the context's error
/// ([`unwrap_err`](Self::unwrap_err), also its [`source`](Error::source)):
/// `lookup example.com: operation was canceled`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DNSError {
    /// What went wrong: `"no such host"`, `"unknown port"`, `"server
    /// misbehaving"`, `"read udp ...: i/o timeout"`, ...
    pub err: String,
    /// The name looked up.
    pub name: String,
    /// The server asked (`host:port`), if one answered or failed.
    pub server: String,
    /// The lookup timed out.
    pub is_timeout: bool,
    /// The failure may pass if retried.
    pub is_temporary: bool,
    /// The name (or the record type asked for) does not exist.
    pub is_not_found: bool,
    /// The context error that ended the lookup, if one did (Go's
    /// `UnwrapErr`).
    pub unwrap_err: Option<gort_runtime::context::ContextError>,
}

impl DNSError {
    /// Whether the lookup is known to have timed out (Go's `Timeout`).
    pub fn timeout(&self) -> bool {
        self.is_timeout
    }

    /// Whether the failure is known to be temporary: a timeout, or
    /// flagged temporary (Go's `Temporary`).
    pub fn temporary(&self) -> bool {
        self.is_timeout || self.is_temporary
    }
}

impl fmt::Display for DNSError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lookup {}", self.name)?;
        if !self.server.is_empty() {
            write!(f, " on {}", self.server)?;
        }
        write!(f, ": {}", self.err)
    }
}

impl Error for DNSError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.unwrap_err
            .as_ref()
            .map(|e| e as &(dyn Error + 'static))
    }
}

impl From<DNSError> for io::Error {
    fn from(e: DNSError) -> io::Error {
        let kind = if e.is_not_found {
            io::ErrorKind::NotFound
        } else if e.is_timeout {
            io::ErrorKind::TimedOut
        } else {
            io::ErrorKind::Other
        };
        io::Error::new(kind, e)
    }
}

/// The address an [`OpError`] names: a copy of `a`, boxed as Go's `Addr`,
/// or none (Go's `opAddr`, which turns a nil pointer into a nil `Addr`).
#[doc(alias = "opAddr")]
pub(crate) fn op_addr<A: Addr + Clone>(a: Option<&A>) -> Option<Box<dyn Addr>> {
    a.map(|a| Box::new(a.clone()) as Box<dyn Addr>)
}

/// Messages Go keeps as plain `errors.New` values inside an [`OpError`].
pub(crate) mod errs {
    use super::InvalidAddrError;
    use std::io;

    /// Go's `errMissingAddress`.
    pub(crate) fn missing_address() -> io::Error {
        InvalidAddrError("missing address".into()).into()
    }
}

/// A list of byte buffers written with one `writev(2)` where the conn
/// supports it (Go's `net.Buffers`).
///
/// Writing consumes the buffers: after a partial write, the ones written
/// are gone and the first one left is cut at the point reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buffers(pub Vec<Vec<u8>>);

impl Buffers {
    /// Whether nothing is left to write.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|b| b.is_empty())
    }

    /// The bytes left to write.
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// Drops the first `n` bytes (Go's `consume`).
    pub fn consume(&mut self, mut n: usize) {
        let mut done = 0;
        for b in &mut self.0 {
            if n < b.len() {
                b.drain(..n);
                break;
            }
            n -= b.len();
            done += 1;
        }
        self.0.drain(..done);
    }

    /// Writes everything to `w`: one vectored write at a time where `w`
    /// supports it (Go's `Buffers.WriteTo`).
    pub fn write_to(&mut self, w: &mut impl io::Write) -> io::Result<u64> {
        let mut total = 0u64;
        while !self.is_empty() {
            let slices: Vec<io::IoSlice<'_>> = self
                .0
                .iter()
                .filter(|b| !b.is_empty())
                .map(|b| io::IoSlice::new(b))
                .collect();
            let n = match w.write_vectored(&slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            drop(slices);
            self.consume(n);
            total += n as u64;
        }
        self.0.clear();
        Ok(total)
    }
}

impl io::Read for Buffers {
    fn read(&mut self, p: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < p.len() {
            let Some(first) = self.0.first_mut() else {
                break;
            };
            let k = first.len().min(p.len() - n);
            p[n..n + k].copy_from_slice(&first[..k]);
            n += k;
            if k == first.len() {
                self.0.remove(0);
            } else {
                first.drain(..k);
            }
        }
        Ok(n)
    }
}

/// What every connection type shares (Go's unexported `conn` struct,
/// embedded in `TCPConn`, `UDPConn` and `UnixConn`): the socket, and the
/// `OpError` wrapping of each failure with the conn's addresses.
// ANCHOR: conn
#[derive(Debug)]
pub(crate) struct ConnBase {
    pub(crate) fd: crate::fd_posix::NetFD,
}
// ANCHOR_END: conn

impl ConnBase {
    pub(crate) fn new(fd: crate::fd_posix::NetFD) -> ConnBase {
        ConnBase { fd }
    }

    /// An `OpError` for `op` on this conn: source is the local address,
    /// addr the remote one (Go's pattern in every conn method).
    pub(crate) fn op_err(&self, op: Op, err: io::Error) -> io::Error {
        OpError::new(
            op,
            self.fd.net.as_str(),
            Some(self.fd.laddr.boxed()),
            SockAddr::op_addr(self.fd.raddr.as_ref()),
            err,
        )
    }

    /// An `OpError` for a local operation (`set`, `close`): only the local
    /// address, as Go reports them.
    pub(crate) fn local_err(&self, op: Op, err: io::Error) -> io::Error {
        OpError::new(
            op,
            self.fd.net.as_str(),
            None,
            Some(self.fd.laddr.boxed()),
            err,
        )
    }

    /// Go's `conn.Read`.
    // ANCHOR: conn_Read
    pub(crate) fn read(&self, b: &mut [u8]) -> io::Result<usize> {
        self.fd.read(b).map_err(|e| self.op_err(Op::Read, e))
    }

    /// Go's `conn.Write`.
    pub(crate) fn write(&self, b: &[u8]) -> io::Result<usize> {
        self.fd.write(b).map_err(|e| self.op_err(Op::Write, e))
    }
    // ANCHOR_END: conn_Read

    /// Go's `conn.writeBuffers`: one `writev(2)` at a time.
    pub(crate) fn writev(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.fd.writev(bufs).map_err(|e| self.op_err(Op::Writev, e))
    }

    /// Go's `CloseRead` of `TCPConn` and `UnixConn`.
    pub(crate) fn close_read(&self) -> io::Result<()> {
        self.fd.close_read().map_err(|e| self.op_err(Op::Close, e))
    }

    /// Go's `CloseWrite` of `TCPConn` and `UnixConn`.
    pub(crate) fn close_write(&self) -> io::Result<()> {
        self.fd.close_write().map_err(|e| self.op_err(Op::Close, e))
    }

    /// Go's `conn.Close`.
    pub(crate) fn close(&self) -> io::Result<()> {
        self.fd.close().map_err(|e| self.op_err(Op::Close, e))
    }

    /// Go's `conn.SetDeadline`.
    pub(crate) fn set_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.fd
            .set_deadline(t)
            .map_err(|e| self.local_err(Op::Set, e))
    }

    /// Go's `conn.SetReadDeadline`.
    pub(crate) fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.fd
            .set_read_deadline(t)
            .map_err(|e| self.local_err(Op::Set, e))
    }

    /// Go's `conn.SetWriteDeadline`.
    pub(crate) fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.fd
            .set_write_deadline(t)
            .map_err(|e| self.local_err(Op::Set, e))
    }

    /// Go's `conn.SetReadBuffer` (`SO_RCVBUF`).
    pub(crate) fn set_read_buffer(&self, bytes: usize) -> io::Result<()> {
        crate::sockopt_posix::set_read_buffer(&self.fd, bytes)
            .map_err(|e| self.local_err(Op::Set, e))
    }

    /// Go's `conn.SetWriteBuffer` (`SO_SNDBUF`).
    pub(crate) fn set_write_buffer(&self, bytes: usize) -> io::Result<()> {
        crate::sockopt_posix::set_write_buffer(&self.fd, bytes)
            .map_err(|e| self.local_err(Op::Set, e))
    }

    /// A blocking-mode duplicate of the socket (Go's `conn.File`).
    pub(crate) fn file(&self) -> io::Result<std::os::fd::OwnedFd> {
        self.fd.dup().map_err(|e| self.op_err(Op::File, e))
    }
}

/// What one conn type supplies so that [`conn_impls!`] can write its whole
/// public face: the operations, each already wrapped in Go's `OpError`,
/// and its two addresses as its own address type. The socket conns get
/// theirs from their [`ConnBase`] (the macro's `socket` arm writes it);
/// [`PipeConn`](crate::PipeConn) implements it by hand.
pub(crate) trait ConnCore {
    /// The conn's address type: `TcpAddr`, `UdpAddr`, `UnixAddr`,
    /// `PipeAddr`.
    type Addr: Addr + Clone;

    /// Go's `Read`.
    fn core_read(&self, b: &mut [u8]) -> io::Result<usize>;

    /// Go's `Write`: all of `b`, or the count before the error.
    fn core_write(&self, b: &[u8]) -> io::Result<usize>;

    /// A vectored write; by default, the first non-empty buffer (what
    /// `io::Write::write_vectored` does by default).
    fn core_writev(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let b = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
        self.core_write(b)
    }

    /// Go's `Close`.
    fn core_close(&self) -> io::Result<()>;

    /// Go's `CloseWrite`, for conns over a socket.
    fn core_close_write(&self) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Go's `LocalAddr`.
    fn core_local_addr(&self) -> Self::Addr;

    /// Go's `RemoteAddr`.
    fn core_remote_addr(&self) -> Option<Self::Addr>;

    /// Go's `SetDeadline`.
    fn core_set_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Go's `SetReadDeadline`.
    fn core_set_read_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Go's `SetWriteDeadline`.
    fn core_set_write_deadline(&self, t: Option<Instant>) -> io::Result<()>;
}

/// The one forwarding implementation of every conn and listener type.
///
/// Go gets each conn's methods by embedding its unexported `conn` struct;
/// Rust has no embedding, so this macro writes them, once, for all four
/// conn types and both listeners. Its arms:
///
/// * `conn T, A`: from `T`'s [`ConnCore`] (whose `Addr` is `A`), the inherent methods Go's `Conn`
///   has (`read`, `write`, `close`, `local_addr`, `remote_addr`, the three
///   deadlines) plus `write_all` through `&self`; `io::Read` and
///   `io::Write` for `T` and `&T`; and [`Conn`].
/// * `socket T, A`: `T`'s [`ConnCore`] from its `c: ConnBase` field, with
///   `A` as its address type; what every socket conn adds (buffer sizes,
///   `file`, `AsFd`, `AsRawFd`); then the `conn` arm.
/// * `stream T`: `close_read` and `close_write` (TCP and Unix).
/// * `packet T`: [`PacketConn`], from `T`'s `packet_read_from` and
///   `packet_write_to` (UDP and Unix).
/// * `listener T, A`: for a listener with an `fd: NetFD` field and its own
///   `accept` and `close`: `addr` (as `A`), `set_deadline`, `file`,
///   [`Listener`], `AsFd` and `AsRawFd`.
/// * `as_fd T, path`: `AsFd` and `AsRawFd` for a type whose `NetFD` is at
///   `self.path` (used by the two arms above).
macro_rules! conn_impls {
    (conn $t:ty, $addr:ty) => {
        impl $t {
            /// Reads into `b` (Go's `Read`): bytes from a stream, where
            /// `Ok(0)` for a non-empty `b` is end of file; one datagram or
            /// message from a packet socket, cut short if longer than `b`.
            /// Parks the goroutine until there is something to read.
            pub fn read(&self, b: &mut [u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_read(self, b)
            }

            /// Writes `b` (Go's `Write`): all of it to a stream, parking
            /// while the peer is slow; one datagram or message on a packet
            /// socket. If an error (closed, deadline, reset) stops it after
            /// some bytes, returns their count, and the next call the
            /// error.
            pub fn write(&self, b: &[u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_write(self, b)
            }

            /// Writes all of `b`, through a shared reference: what
            /// [`std::io::Write::write_all`] does, without its `&mut self`,
            /// so it works on a conn shared between goroutines and while a
            /// `BufReader::new(&conn)` reads from it.
            pub fn write_all(&self, b: &[u8]) -> std::io::Result<()> {
                std::io::Write::write_all(&mut &*self, b)
            }

            /// Closes the conn (Go's `Close`): blocked and later operations
            /// fail with "use of closed network connection" (for a pipe,
            /// "io: read/write on closed pipe"). Dropping a conn closes it
            /// too.
            pub fn close(&self) -> std::io::Result<()> {
                $crate::net::ConnCore::core_close(self)
            }

            /// The local address (Go's `LocalAddr`). Every conn has one;
            /// see the crate doc's rule on addresses.
            pub fn local_addr(&self) -> $addr {
                $crate::net::ConnCore::core_local_addr(self)
            }

            /// The peer's address (Go's `RemoteAddr`), `None` when the
            /// kernel reports no peer: an unconnected UDP or Unix datagram
            /// socket, or a socket made from an unconnected descriptor.
            pub fn remote_addr(&self) -> Option<$addr> {
                $crate::net::ConnCore::core_remote_addr(self)
            }

            /// Sets both deadlines (Go's `SetDeadline`): an operation still
            /// waiting at `t`, and every later one, fails with "i/o
            /// timeout" (kind `TimedOut`) until the deadline moves. `None`
            /// clears it.
            pub fn set_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_deadline(self, t)
            }

            /// Sets the read deadline (Go's `SetReadDeadline`); see
            /// `set_deadline`.
            pub fn set_read_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_read_deadline(self, t)
            }

            /// Sets the write deadline (Go's `SetWriteDeadline`); see
            /// `set_deadline`.
            pub fn set_write_deadline(
                &self,
                t: Option<std::time::Instant>,
            ) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_write_deadline(self, t)
            }
        }

        impl std::io::Read for $t {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_read(self, buf)
            }
        }

        impl std::io::Read for &$t {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_read(*self, buf)
            }
        }

        impl std::io::Write for $t {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_write(self, buf)
            }
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_writev(self, bufs)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Write for &$t {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_write(*self, buf)
            }
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_writev(*self, bufs)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl $crate::Conn for $t {
            fn read(&self, b: &mut [u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_read(self, b)
            }
            fn write(&self, b: &[u8]) -> std::io::Result<usize> {
                $crate::net::ConnCore::core_write(self, b)
            }
            fn close(&self) -> std::io::Result<()> {
                $crate::net::ConnCore::core_close(self)
            }
            fn local_addr(&self) -> Box<dyn $crate::Addr> {
                Box::new($crate::net::ConnCore::core_local_addr(self))
            }
            fn remote_addr(&self) -> Option<Box<dyn $crate::Addr>> {
                $crate::net::ConnCore::core_remote_addr(self)
                    .map(|a| Box::new(a) as Box<dyn $crate::Addr>)
            }
            fn set_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_deadline(self, t)
            }
            fn set_read_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_read_deadline(self, t)
            }
            fn set_write_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_write_deadline(self, t)
            }
            fn close_write(&self) -> std::io::Result<()> {
                $crate::net::ConnCore::core_close_write(self)
            }
        }
    };

    (socket $t:ty, $addr:ty) => {
        impl $crate::net::ConnCore for $t {
            type Addr = $addr;
            fn core_read(&self, b: &mut [u8]) -> std::io::Result<usize> {
                self.c.read(b)
            }
            fn core_write(&self, b: &[u8]) -> std::io::Result<usize> {
                self.c.write(b)
            }
            fn core_writev(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.c.writev(bufs)
            }
            fn core_close(&self) -> std::io::Result<()> {
                self.c.close()
            }
            fn core_close_write(&self) -> std::io::Result<()> {
                self.c.close_write()
            }
            fn core_local_addr(&self) -> $addr {
                $crate::sockaddr_posix::FromSockAddr::from_sock_addr(&self.c.fd.laddr)
            }
            fn core_remote_addr(&self) -> Option<$addr> {
                self.c
                    .fd
                    .raddr
                    .as_ref()
                    .map($crate::sockaddr_posix::FromSockAddr::from_sock_addr)
            }
            fn core_set_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                self.c.set_deadline(t)
            }
            fn core_set_read_deadline(
                &self,
                t: Option<std::time::Instant>,
            ) -> std::io::Result<()> {
                self.c.set_read_deadline(t)
            }
            fn core_set_write_deadline(
                &self,
                t: Option<std::time::Instant>,
            ) -> std::io::Result<()> {
                self.c.set_write_deadline(t)
            }
        }

        impl $t {
            /// Sets the kernel's receive buffer size (Go's `SetReadBuffer`,
            /// `SO_RCVBUF`).
            pub fn set_read_buffer(&self, bytes: usize) -> std::io::Result<()> {
                self.c.set_read_buffer(bytes)
            }

            /// Sets the kernel's send buffer size (Go's `SetWriteBuffer`,
            /// `SO_SNDBUF`).
            pub fn set_write_buffer(&self, bytes: usize) -> std::io::Result<()> {
                self.c.set_write_buffer(bytes)
            }

            /// A duplicate of the socket, independent of this conn: closing
            /// one leaves the other open (Go's `File`).
            pub fn file(&self) -> std::io::Result<std::os::fd::OwnedFd> {
                self.c.file()
            }

            /// The socket under the conn (Go's `c.fd`).
            pub(crate) fn net_fd(&self) -> &$crate::fd_posix::NetFD {
                &self.c.fd
            }
        }

        $crate::net::conn_impls!(as_fd $t, c.fd);
        $crate::net::conn_impls!(conn $t, $addr);
    };

    (stream $t:ty) => {
        impl $t {
            /// Shuts down the reading side (Go's `CloseRead`).
            pub fn close_read(&self) -> std::io::Result<()> {
                self.c.close_read()
            }

            /// Shuts down the writing side: the peer reads end of file once
            /// it has read what was sent (Go's `CloseWrite`).
            pub fn close_write(&self) -> std::io::Result<()> {
                self.c.close_write()
            }
        }
    };

    (packet $t:ty) => {
        impl $t {
            /// Go's OpError for a failed send to a named address: the local
            /// address as source, the destination as addr.
            fn write_err(
                &self,
                addr: Option<Box<dyn $crate::Addr>>,
                e: std::io::Error,
            ) -> std::io::Error {
                $crate::OpError::new(
                    $crate::Op::Write,
                    self.c.fd.net.as_str(),
                    Some(self.c.fd.laddr.boxed()),
                    addr,
                    e,
                )
            }
        }

        impl $crate::PacketConn for $t {
            fn read_from(
                &self,
                b: &mut [u8],
            ) -> std::io::Result<(usize, Option<Box<dyn $crate::Addr>>)> {
                <$t>::packet_read_from(self, b)
            }
            fn write_to(&self, b: &[u8], addr: &dyn $crate::Addr) -> std::io::Result<usize> {
                <$t>::packet_write_to(self, b, addr)
            }
            fn close(&self) -> std::io::Result<()> {
                $crate::net::ConnCore::core_close(self)
            }
            fn local_addr(&self) -> Box<dyn $crate::Addr> {
                Box::new($crate::net::ConnCore::core_local_addr(self))
            }
            fn set_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_deadline(self, t)
            }
            fn set_read_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_read_deadline(self, t)
            }
            fn set_write_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                $crate::net::ConnCore::core_set_write_deadline(self, t)
            }
        }
    };

    (listener $t:ty, $addr:ty) => {
        impl $t {
            /// The address it listens on, with the port the kernel picked
            /// for port 0 (Go's `Addr`).
            pub fn addr(&self) -> $addr {
                $crate::sockaddr_posix::FromSockAddr::from_sock_addr(&self.fd.laddr)
            }

            /// Sets the deadline for `accept` (Go's `SetDeadline`); `None`
            /// clears it. As in Go, an error (the listener is closed) comes
            /// from the poll layer bare, with no `OpError` around it.
            pub fn set_deadline(&self, t: Option<std::time::Instant>) -> std::io::Result<()> {
                self.fd.set_deadline(t)
            }

            /// A duplicate of the listening socket, independent of the
            /// listener (Go's `File`).
            pub fn file(&self) -> std::io::Result<std::os::fd::OwnedFd> {
                self.fd.dup().map_err(|e| self.op_err($crate::Op::File, e))
            }

            /// Go's OpError for an operation on the listener: its address.
            fn op_err(&self, op: $crate::Op, e: std::io::Error) -> std::io::Error {
                $crate::OpError::new(
                    op,
                    self.fd.net.as_str(),
                    None,
                    Some(self.fd.laddr.boxed()),
                    e,
                )
            }

            /// The listening socket (Go's `l.fd`).
            pub(crate) fn net_fd(&self) -> &$crate::fd_posix::NetFD {
                &self.fd
            }
        }

        impl $crate::Listener for $t {
            fn accept(&self) -> std::io::Result<Box<dyn $crate::Conn>> {
                <$t>::accept(self).map(|c| Box::new(c) as Box<dyn $crate::Conn>)
            }
            fn close(&self) -> std::io::Result<()> {
                <$t>::close(self)
            }
            fn addr(&self) -> Box<dyn $crate::Addr> {
                Box::new(<$t>::addr(self))
            }
        }

        $crate::net::conn_impls!(as_fd $t, fd);
    };

    (as_fd $t:ty, $($fd:ident).+) => {
        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                // SAFETY: the descriptor stays open while `self` is borrowed
                // and not closed; after an explicit `close` the number may
                // be stale, as with any `AsRawFd` type that can be closed
                // through `&self`.
                unsafe {
                    std::os::fd::BorrowedFd::borrow_raw(std::os::fd::AsRawFd::as_raw_fd(
                        &self.$($fd).+.pfd,
                    ))
                }
            }
        }

        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.$($fd).+.pfd)
            }
        }
    };
}
pub(crate) use conn_impls;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone)]
    struct A(&'static str);
    impl fmt::Display for A {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl Addr for A {
        fn network(&self) -> &'static str {
            "tcp"
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
        fn clone_box(&self) -> Box<dyn Addr> {
            Box::new(self.clone())
        }
    }

    #[test]
    fn op_error_text_is_gos() {
        let e = OpError::new(
            Op::Read,
            "tcp",
            Some(Box::new(A("127.0.0.1:5000"))),
            Some(Box::new(A("127.0.0.1:40000"))),
            gort_poll::fd::err_deadline_exceeded(),
        );
        assert_eq!(
            e.to_string(),
            "read tcp 127.0.0.1:5000->127.0.0.1:40000: i/o timeout"
        );
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(is_timeout(&e));
        let e = OpError::new(
            Op::Listen,
            "tcp",
            None,
            Some(Box::new(A("127.0.0.1:80"))),
            io::Error::other("x"),
        );
        assert_eq!(e.to_string(), "listen tcp 127.0.0.1:80: x");
        assert!(!is_timeout(&e));
        let e = OpError::new(Op::Dial, "", None, None, io::Error::other("y"));
        assert_eq!(e.to_string(), "dial: y");
    }

    #[test]
    fn small_errors_text_is_gos() {
        assert_eq!(
            AddrError::new("missing port in address", "1.2.3.4").to_string(),
            "address 1.2.3.4: missing port in address"
        );
        assert_eq!(AddrError::new("bad", "").to_string(), "bad");
        assert_eq!(
            UnknownNetworkError("tpc".into()).to_string(),
            "unknown network tpc"
        );
        let p = ParseError {
            typ: "IP address".into(),
            text: "1.2.3".into(),
        };
        assert_eq!(p.to_string(), "invalid IP address: 1.2.3");
        let d = DNSError {
            err: "no such host".into(),
            name: "x.invalid".into(),
            is_not_found: true,
            ..Default::default()
        };
        assert_eq!(d.to_string(), "lookup x.invalid: no such host");
        assert_eq!(io::Error::from(d).kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn closed_is_seen_through_op_error() {
        let e = OpError::new(
            Op::Read,
            "tcp",
            None,
            None,
            gort_poll::fd::err_net_closing(),
        );
        assert!(is_closed(&e));
        assert_eq!(e.to_string(), "read tcp: use of closed network connection");
    }

    #[test]
    fn buffers_consume_and_read() {
        let mut b = Buffers(vec![b"ab".to_vec(), b"cde".to_vec(), b"f".to_vec()]);
        assert_eq!(b.len(), 6);
        b.consume(3);
        assert_eq!(b.0, vec![b"de".to_vec(), b"f".to_vec()]);
        let mut out = Vec::new();
        let n = b.write_to(&mut out).unwrap();
        assert_eq!((n, out.as_slice()), (3, &b"def"[..]));
        assert!(b.is_empty());
        let mut b = Buffers(vec![b"xy".to_vec(), b"z".to_vec()]);
        let mut s = String::new();
        io::Read::read_to_string(&mut b, &mut s).unwrap();
        assert_eq!(s, "xyz");
    }
}
