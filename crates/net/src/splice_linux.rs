//! Mirrors Go src/net/splice_linux.go (go1.27): which sockets `TcpConn`'s zero-copy transfers may splice from and to.
//!
//! gort-poll's [`splice`](gort_poll::splice) moves bytes between two
//! stream sockets through a kernel pipe. This file decides when it
//! applies, as Go's `spliceFrom` and `spliceTo` do with a type switch on
//! the reader or writer:
//!
//! | direction | the other end | spliced? |
//! |-----------|---------------|----------|
//! | into a TCP conn ([`splice_from`]) | a TCP conn | yes |
//! | into a TCP conn | a `"unix"` (stream) Unix conn | yes |
//! | into a TCP conn | a `"unixgram"` or `"unixpacket"` conn | no: message boundaries would be lost |
//! | out of a TCP conn ([`splice_to`]) | a `"unix"` Unix conn | yes |
//! | out of a TCP conn | a TCP conn | through the destination's `read_from` (Go's `genericWriteTo` reaches `ReadFrom`), so yes |
//!
//! Rust has no type switch on `io::Read`, so the callers in
//! `tcpsock_posix.rs` pass the other conn's socket directly; the checks on
//! its network stay here. A transfer copies until end of file, or at
//! most `remain` bytes (Go's `io.LimitedReader` case).

use std::io;

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;
use crate::network::Network;

/// Whether `s` may be spliced from: a TCP socket, or a Unix stream socket
/// (Go's cases `*TCPConn` and `*UnixConn` with `net == "unix"`).
fn spliceable(s: &NetFD) -> bool {
    s.sotype == libc::SOCK_STREAM && (s.net.is_tcp() || s.net == Network::Unix)
}

/// Copies from the socket `s` into the TCP socket `c` with `splice(2)`,
/// until `s` reaches end of file or `remain` bytes have moved (Go's
/// `spliceFrom`). Returns the bytes moved, the error that stopped the
/// transfer (a failed splice named `splice: ...`), and whether splice did
/// the work; with `handled == false` nothing was moved and the caller
/// copies through a buffer.
#[doc(alias = "spliceFrom")]
pub(crate) fn splice_from(c: &NetFD, s: &NetFD, remain: i64) -> (i64, io::Result<()>, bool) {
    if remain <= 0 {
        return (0, Ok(()), true);
    }
    if !spliceable(s) {
        return (0, Ok(()), false);
    }
    let (written, handled, res) = gort_poll::splice(&c.pfd, &s.pfd, remain);
    (
        written,
        res.map_err(|e| wrap_syscall_error("splice", e)),
        handled,
    )
}

/// Copies from the TCP socket `c` into the Unix stream socket `w` with
/// `splice(2)`, until `c` reaches end of file (Go's `spliceTo`). Any other
/// kind of `w` is not handled.
#[doc(alias = "spliceTo")]
pub(crate) fn splice_to(w: &NetFD, c: &NetFD) -> (i64, io::Result<()>, bool) {
    if w.net != Network::Unix || w.sotype != libc::SOCK_STREAM {
        return (0, Ok(()), false);
    }
    let (written, handled, res) = gort_poll::splice(&w.pfd, &c.pfd, i64::MAX);
    (
        written,
        res.map_err(|e| wrap_syscall_error("splice", e)),
        handled,
    )
}
