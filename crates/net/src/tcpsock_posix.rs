//! Mirrors Go src/net/tcpsock_posix.go (go1.27), its `readFrom` and `writeTo`, with `genericReadFrom` and `genericWriteTo` of net.go: how a TCP conn copies from and to other sources without a trip through user space.
//!
//! Go's `TCPConn.ReadFrom(r)` tries, in order: `splice(2)` when `r` is a
//! TCP or Unix stream conn (`splice_linux.rs`), `sendfile(2)` when `r` is a
//! file (`sendfile_nonwindows.rs`), and otherwise a plain copy through a
//! buffer. `WriteTo(w)` splices when `w` is a Unix stream conn, and
//! otherwise copies, which for a TCP `w` lands in `w.ReadFrom` and so
//! splices too. Each zero-copy step reports whether it *handled* the
//! transfer; when it did not, it moved nothing and the next step runs.
//!
//! Go picks the step with a type switch on the `io.Reader`. Rust cannot
//! ask a `dyn Read` what it is, so the caller says it: [`Source`] and
//! [`Sink`] name the kinds of ends gort can do better than copy for, and
//! `TcpConn`'s methods `read_from_tcp`, `read_from_unix`,
//! `read_from_file`, `write_to_tcp` and `write_to_unix` build them.
//! `read_from` and `write_to` with a `dyn Read`/`dyn Write` always copy,
//! and so does `std::io::copy(&mut &src, &mut &dst)` between gort conns:
//! std's own in-kernel copy (`copy_file_range`, `sendfile`, `splice`)
//! applies only to std's own types, so for gort conns it reads and writes
//! through an 8 KiB buffer, parking the goroutine as any read or write does.
//!
//! A copy through a buffer uses 32 KiB, as Go's `io.Copy`; reads from a
//! file in that fallback run inside [`gort_runtime::blocking`], as the
//! README asks of file I/O in goroutines.

use std::fs::File;
use std::io::{self, Read, Write};

use crate::sendfile_nonwindows::send_file;
use crate::splice_linux::{splice_from, splice_to};
use crate::{TcpConn, UnixConn};

/// The buffer of a plain copy (Go's `io.Copy` default, 32 KiB).
const COPY_BUF_SIZE: usize = 32 << 10;

/// Where the bytes of a `read_from` come from: Go's type switch on the
/// `io.Reader`, made explicit.
pub(crate) enum Source<'a> {
    /// A TCP conn (Go's `*TCPConn` case): spliced.
    Tcp(&'a TcpConn),
    /// A Unix conn (Go's `*UnixConn` case): spliced if a `"unix"` stream,
    /// else copied.
    Unix(&'a UnixConn),
    /// A file, from its current offset (Go's `*os.File` case): sent with
    /// `sendfile(2)` when the kernel can, else copied.
    File(&'a File),
    /// Anything else: copied (Go's `genericReadFrom`).
    Reader(&'a mut dyn Read),
}

/// Where the bytes of a `write_to` go: Go's type switch on the
/// `io.Writer`, made explicit.
pub(crate) enum Sink<'a> {
    /// A TCP conn: its `read_from` splices (Go's `genericWriteTo` reaches
    /// `w.ReadFrom`).
    Tcp(&'a TcpConn),
    /// A Unix conn (Go's `spliceTo` case): spliced if a `"unix"` stream.
    Unix(&'a UnixConn),
    /// Anything else: copied (Go's `genericWriteTo`).
    Writer(&'a mut dyn Write),
}

/// Turns a zero-copy step's `(written, err)` into the method's result.
/// Rust's `io::Result` cannot carry both, so the count of a transfer that
/// failed partway is lost, as with `std::io::copy`.
fn done(n: i64, res: io::Result<()>) -> io::Result<u64> {
    res.map(|()| n as u64)
}

/// Copies `r` into `c` until `r` ends (Go's `TCPConn.readFrom`), trying
/// splice, then sendfile, then a buffer. Errors are not yet wrapped in the
/// `readfrom` OpError; the caller does that.
#[doc(alias = "readFrom")]
pub(crate) fn read_from(c: &TcpConn, r: Source<'_>) -> io::Result<u64> {
    let spliceable = match &r {
        Source::Tcp(t) => Some(t.net_fd()),
        Source::Unix(u) => Some(u.net_fd()),
        Source::File(_) | Source::Reader(_) => None,
    };
    if let Some(s) = spliceable {
        let (n, res, handled) = splice_from(c.net_fd(), s, i64::MAX);
        if handled {
            return done(n, res);
        }
    }
    if let Source::File(f) = &r {
        let (n, res, handled) = send_file(c.net_fd(), f, 0);
        if handled {
            return done(n, res);
        }
    }
    generic_read_from(c, r)
}

/// Copies from `c` into `w` until `c` reads end of file (Go's
/// `TCPConn.writeTo`). Errors are not yet wrapped in the `writeto`
/// OpError; the caller does that.
#[doc(alias = "writeTo")]
pub(crate) fn write_to(c: &TcpConn, w: Sink<'_>) -> io::Result<u64> {
    if let Sink::Unix(u) = &w {
        let (n, res, handled) = splice_to(u.net_fd(), c.net_fd());
        if handled {
            return done(n, res);
        }
    }
    generic_write_to(c, w)
}

/// Go's `genericReadFrom`: a plain copy from `r` into `c`. A socket source
/// is read through its own `read` (errors `read tcp ...`), a file inside
/// `blocking`; writes go through `c.write` (errors `write tcp ...`).
#[doc(alias = "genericReadFrom")]
fn generic_read_from(c: &TcpConn, r: Source<'_>) -> io::Result<u64> {
    match r {
        Source::Tcp(t) => copy_into(c, &mut &*t),
        Source::Unix(u) => copy_into(c, &mut &*u),
        Source::File(f) => copy_into(c, &mut BlockingRead(f)),
        Source::Reader(r) => copy_into(c, r),
    }
}

/// Go's `genericWriteTo`: for a TCP `w`, Go's `io.Copy` hands the copy to
/// `w.ReadFrom`, which splices; for anything else, a plain copy from `c`.
#[doc(alias = "genericWriteTo")]
fn generic_write_to(c: &TcpConn, w: Sink<'_>) -> io::Result<u64> {
    match w {
        Sink::Tcp(t) => t.read_from_tcp(c),
        Sink::Unix(u) => copy_from(c, &mut &*u),
        Sink::Writer(w) => copy_from(c, w),
    }
}

/// Reads of a file inside `blocking`, so the P serves other goroutines
/// while the thread waits for the disk.
struct BlockingRead<'a>(&'a File);

impl Read for BlockingRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let f = self.0;
        gort_runtime::blocking(|| (&*f).read(buf))
    }
}

/// Copies `r` into `c` until `r` ends, through a 32 KiB buffer.
fn copy_into(c: &TcpConn, r: &mut dyn Read) -> io::Result<u64> {
    let mut buf = vec![0u8; COPY_BUF_SIZE];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // `TcpConn::write` writes everything or reports what stopped it;
        // loop for the count it returns before the error.
        let mut off = 0;
        while off < n {
            match c.write(&buf[off..n])? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                k => off += k,
            }
        }
        total += n as u64;
    }
}

/// Copies from `c` into `w` until `c` reads end of file, through a 32 KiB
/// buffer.
fn copy_from(c: &TcpConn, w: &mut dyn Write) -> io::Result<u64> {
    let mut buf = vec![0u8; COPY_BUF_SIZE];
    let mut total = 0u64;
    loop {
        let n = match c.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
}
