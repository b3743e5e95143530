//! Mirrors Go src/net/error_posix.go (go1.27): naming the syscall that failed.
//!
//! When a system call fails, Go's `net` wraps the bare errno in an
//! `os.SyscallError` that carries the call's name, so the final message
//! reads `dial tcp 127.0.0.1:1: connect: connection refused` rather than
//! just `connection refused`. [`SyscallError`] is that wrapper (Go keeps it
//! in package `os`; gort-net has no `os` crate, so it lives here beside the
//! one function that makes it).
//!
//! Go prints an errno with its own table of messages, which are the C
//! library's with a lower-case first letter ("connection refused");
//! [`errno_text`] produces the same text from the C library's message.

use std::error::Error;
use std::fmt;
use std::io;

/// A failed system call, named (Go's `*os.SyscallError`): `connect: connection refused`.
#[derive(Debug)]
pub struct SyscallError {
    /// The call: `"socket"`, `"connect"`, `"bind"`, `"listen"`, ...
    pub syscall: &'static str,
    /// The errno, as an OS `io::Error`.
    pub err: io::Error,
}

impl fmt::Display for SyscallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.syscall)?;
        match self.err.raw_os_error() {
            Some(code) => f.write_str(&errno_text(code)),
            None => write!(f, "{}", self.err),
        }
    }
}

impl Error for SyscallError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.err)
    }
}

/// Go's text for an errno: the C library's message with its first letter
/// in lower case (`ECONNREFUSED` → `connection refused`).
pub fn errno_text(code: i32) -> String {
    let full = io::Error::from_raw_os_error(code).to_string();
    // std formats OS errors as "<message> (os error N)".
    let msg = match full.rfind(" (os error ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let mut chars = msg.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => format!("errno {code}"),
    }
}

/// Wraps an OS error in a [`SyscallError`] naming `name`; any other error
/// passes through unchanged (Go's `wrapSyscallError`). The kind is kept.
// ANCHOR: wrapSyscallError
pub fn wrap_syscall_error(name: &'static str, err: io::Error) -> io::Error {
    if err.raw_os_error().is_some() {
        let kind = err.kind();
        io::Error::new(kind, SyscallError { syscall: name, err })
    } else {
        err
    }
}
// ANCHOR_END: wrapSyscallError

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_text_is_gos() {
        // The messages of Go's syscall table for the errors users meet most.
        for (code, want) in [
            (libc::ECONNREFUSED, "connection refused"),
            (libc::EADDRINUSE, "address already in use"),
            (libc::ECONNRESET, "connection reset by peer"),
            (libc::EPIPE, "broken pipe"),
            (libc::ENOENT, "no such file or directory"),
            (libc::EACCES, "permission denied"),
            (libc::EADDRNOTAVAIL, "cannot assign requested address"),
            (libc::ENETUNREACH, "network is unreachable"),
            (libc::ETIMEDOUT, "connection timed out"),
            (libc::EINVAL, "invalid argument"),
        ] {
            assert_eq!(errno_text(code), want);
        }
    }

    #[test]
    fn wrap_names_the_call_and_keeps_the_kind() {
        let e = wrap_syscall_error("connect", io::Error::from_raw_os_error(libc::ECONNREFUSED));
        assert_eq!(e.to_string(), "connect: connection refused");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        let plain = wrap_syscall_error("read", io::Error::other("not an errno"));
        assert_eq!(plain.to_string(), "not an errno");
    }
}
