//! Mirrors Go src/net/sendfile_nonwindows.go and sendfile.go (go1.27): sending a file into a TCP conn with `sendfile(2)`.
//!
//! Go's `TCPConn.ReadFrom` recognises an `*os.File` reader (possibly inside
//! an `io.LimitedReader`) and hands its descriptor to `poll.SendFile`,
//! which copies from the page cache to the socket inside the kernel,
//! starting at the file's offset and moving it. gort's caller is
//! `TcpConn::read_from_file`, which names the file outright since Rust
//! cannot ask an `io::Read` what it is. Go's `sendfile_nonwindows.go` only
//! says that every non-Windows system it builds this file for has
//! sendfile ([`supports_sendfile`]); `sendfile.go` holds the logic, here
//! [`send_file`].

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use crate::error_posix::wrap_syscall_error;
use crate::fd_posix::NetFD;

/// Whether the system has `sendfile(2)` (Go's `supportsSendfile`): always,
/// on Linux.
#[doc(alias = "supportsSendfile")]
pub(crate) fn supports_sendfile() -> bool {
    true
}

/// Sends `f`, from its current offset, into the socket `c` (Go's
/// `sendFile`): to the end of the file when `remain` is 0, else at most
/// `remain` bytes. The file offset moves past what was sent. Returns the
/// bytes sent, the error that stopped it (`sendfile: ...` for a failed
/// call), and whether sendfile did the work; with `handled == false`
/// nothing was sent and the caller copies through a buffer.
#[doc(alias = "sendFile")]
pub(crate) fn send_file(c: &NetFD, f: &File, remain: i64) -> (i64, io::Result<()>, bool) {
    if !supports_sendfile() {
        return (0, Ok(()), false);
    }
    let (written, handled, res) = gort_poll::send_file(&c.pfd, f.as_fd(), remain);
    (
        written,
        res.map_err(|e| wrap_syscall_error("sendfile", e)),
        handled,
    )
}
