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
/// another writes, and a third may close. `Box<dyn Conn>` and `&dyn Conn`
/// implement [`io::Read`] and [`io::Write`], so a conn from
/// [`dial`](crate::dial) or an accept drops into any `std::io` code.
// ANCHOR: Conn
pub trait Conn: Send + Sync + fmt::Debug {
    /// Reads into `b`; `Ok(0)` for a non-empty `b` is end of file.
    fn read(&self, b: &mut [u8]) -> io::Result<usize>;

    /// Writes all of `b` (Go's Write loops until done or failed).
    fn write(&self, b: &[u8]) -> io::Result<usize>;

    /// Closes the connection; blocked reads and writes fail with
    /// "use of closed network connection".
    fn close(&self) -> io::Result<()>;

    /// The local address, if known.
    fn local_addr(&self) -> Option<Box<dyn Addr>>;

    /// The remote address, if known.
    fn remote_addr(&self) -> Option<Box<dyn Addr>>;

    /// Sets both deadlines (`None` clears them). A deadline in the past
    /// fails pending and future calls with a [`TimedOut`](io::ErrorKind::TimedOut) error.
    fn set_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Sets the read deadline.
    fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()>;

    /// Sets the write deadline.
    fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()>;
}
// ANCHOR_END: Conn

impl io::Read for dyn Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Conn::read(&*self, buf)
    }
}

impl io::Write for dyn Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Conn::write(&*self, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for &dyn Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Conn::read(*self, buf)
    }
}

impl io::Write for &dyn Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Conn::write(*self, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A generic packet-oriented network connection (Go's `net.PacketConn`).
pub trait PacketConn: Send + Sync + fmt::Debug {
    /// Reads one packet into `b`, returning its length and sender.
    fn read_from(&self, b: &mut [u8]) -> io::Result<(usize, Option<Box<dyn Addr>>)>;

    /// Sends `b` as one packet to `addr`.
    fn write_to(&self, b: &[u8], addr: &dyn Addr) -> io::Result<usize>;

    /// Closes the connection.
    fn close(&self) -> io::Result<()>;

    /// The local address, if known.
    fn local_addr(&self) -> Option<Box<dyn Addr>>;

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
    /// What went wrong: often a [`SyscallError`](crate::SyscallError) or an
    /// error of gort-poll (closed, i/o timeout).
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
        write!(f, ": {}", self.err)
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

/// A failed name lookup (Go's `*net.DNSError`): `lookup nosuch.invalid: no such host`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DNSError {
    /// What went wrong: `"no such host"`, `"unknown port"`, ...
    pub err: String,
    /// The name looked up.
    pub name: String,
    /// The server asked, if any.
    pub server: String,
    /// The lookup timed out.
    pub is_timeout: bool,
    /// The failure may pass if retried.
    pub is_temporary: bool,
    /// The name (or the record type asked for) does not exist.
    pub is_not_found: bool,
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

impl Error for DNSError {}

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
            self.fd.laddr.clone(),
            self.fd.raddr.clone(),
            err,
        )
    }

    /// An `OpError` for a local operation (`set`, `close`): only the local
    /// address, as Go reports them.
    pub(crate) fn local_err(&self, op: Op, err: io::Error) -> io::Error {
        OpError::new(op, self.fd.net.as_str(), None, self.fd.laddr.clone(), err)
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
