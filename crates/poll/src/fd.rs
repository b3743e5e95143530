//! Mirrors Go src/internal/poll/fd.go (go1.27): the errors of the poll layer.
//!
//! Go's `internal/poll` reports its own conditions with a handful of sentinel
//! errors (`ErrNetClosing`, `ErrFileClosing`, `ErrNoDeadline`,
//! `ErrDeadlineExceeded`, `ErrNotPollable`) that the `net` and `os` packages
//! compare against. gort hands every error to its caller as a
//! [`std::io::Error`], so each sentinel here is a small typed error carried
//! *inside* an `io::Error` (`io::Error::new(kind, typed)`): code that only
//! looks at [`io::ErrorKind`] sees a sensible kind, and code that wants Go's
//! exact sentinel asks with the `is_*` predicates below (which use
//! [`io::Error::get_ref`] and `downcast_ref`).
//!
//! | Go sentinel           | typed error               | `io::ErrorKind` | message                               |
//! |-----------------------|---------------------------|-----------------|---------------------------------------|
//! | `ErrNetClosing`       | [`NetClosingError`]       | `NotConnected`  | use of closed network connection      |
//! | `ErrFileClosing`      | [`FileClosingError`]      | `Other`         | use of closed file                    |
//! | `ErrNoDeadline`       | [`NoDeadlineError`]       | `Unsupported`   | file type does not support deadline   |
//! | `ErrDeadlineExceeded` | [`DeadlineExceededError`] | `TimedOut`      | i/o timeout                           |
//! | `ErrNotPollable`      | [`NotPollableError`]      | `Unsupported`   | not pollable                          |
//!
//! Go's `io.EOF` needs no counterpart: a read that returns `Ok(0)` for a
//! non-empty buffer is end of file in Rust (Go's `eofError`).

use std::error::Error;
use std::fmt;
use std::io;

macro_rules! sentinel {
    ($(#[$meta:meta])* $name:ident, $msg:literal, $kind:ident, $ctor:ident, $is:ident, $alias:literal) => {
        $(#[$meta])*
        #[doc(alias = $alias)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }

        impl Error for $name {}

        impl From<$name> for io::Error {
            fn from(e: $name) -> io::Error {
                io::Error::new(io::ErrorKind::$kind, e)
            }
        }

        #[doc = concat!("A new `io::Error` (kind `", stringify!($kind), "`) carrying [`", stringify!($name), "`] (Go's `", $alias, "`).")]
        pub fn $ctor() -> io::Error {
            $name.into()
        }

        #[doc = concat!("Whether `err` carries [`", stringify!($name), "`] (Go's `err == ", $alias, "`).")]
        pub fn $is(err: &io::Error) -> bool {
            err.get_ref().is_some_and(|inner| inner.is::<$name>())
        }
    };
}

sentinel!(
    /// An operation on a network connection that was closed (Go's
    /// `ErrNetClosing`, which `net` exposes as `net.ErrClosed`).
    NetClosingError,
    "use of closed network connection",
    NotConnected,
    err_net_closing,
    is_net_closing,
    "ErrNetClosing"
);

sentinel!(
    /// An operation on a file (not a socket) that was closed (Go's
    /// `ErrFileClosing`, which `os` exposes as `os.ErrClosed`).
    FileClosingError,
    "use of closed file",
    Other,
    err_file_closing,
    is_file_closing,
    "ErrFileClosing"
);

sentinel!(
    /// Deadlines were set on a descriptor that the netpoller does not manage,
    /// such as a regular file (Go's `ErrNoDeadline`).
    NoDeadlineError,
    "file type does not support deadline",
    Unsupported,
    err_no_deadline,
    is_no_deadline,
    "ErrNoDeadline"
);

sentinel!(
    /// The deadline of an operation passed before it completed (Go's
    /// `ErrDeadlineExceeded`, of type `*DeadlineExceededError`, whose
    /// `Timeout()` is true: see [`DeadlineExceededError::timeout`]).
    DeadlineExceededError,
    "i/o timeout",
    TimedOut,
    err_deadline_exceeded,
    is_deadline_exceeded,
    "ErrDeadlineExceeded"
);

sentinel!(
    /// The descriptor cannot be waited on by the netpoller (Go's
    /// `ErrNotPollable`).
    NotPollableError,
    "not pollable",
    Unsupported,
    err_not_pollable,
    is_not_pollable,
    "ErrNotPollable"
);

impl DeadlineExceededError {
    /// Always true: this error is a timeout (Go's `Timeout()` method, which
    /// `net.Error` callers test).
    pub fn timeout(&self) -> bool {
        true
    }

    /// Always true, as in Go (`Temporary()`, deprecated there too).
    pub fn temporary(&self) -> bool {
        true
    }
}

impl NetClosingError {
    /// Always false: closing is not a timeout (Go's `Timeout()`).
    pub fn timeout(&self) -> bool {
        false
    }

    /// Always false (Go's `Temporary()`).
    pub fn temporary(&self) -> bool {
        false
    }
}

/// The error for an operation on a closed descriptor: [`FileClosingError`]
/// for files, [`NetClosingError`] for sockets (Go's `errClosing`).
#[doc(alias = "errClosing")]
pub fn err_closing(is_file: bool) -> io::Error {
    if is_file {
        err_file_closing()
    } else {
        err_net_closing()
    }
}

/// Whether `err` reports a closed descriptor, file or socket.
pub fn is_closing(err: &io::Error) -> bool {
    is_net_closing(err) || is_file_closing(err)
}

/// Go's `consume`: drops the first `n` bytes from the front of `v`, emptying
/// and removing the buffers they cover. Stops quietly when `v` runs out.
pub(crate) fn consume<B: std::ops::Deref<Target = [u8]>>(
    v: &mut &[B],
    first_off: &mut usize,
    mut n: usize,
) {
    // `first_off` is how much of v[0] was consumed already: the slices are
    // borrowed, so the partial first buffer is kept as an offset.
    while let Some((first, rest)) = v.split_first() {
        let left = first.len() - *first_off;
        if left > n {
            *first_off += n;
            return;
        }
        n -= left;
        *first_off = 0;
        *v = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinels_keep_go_messages_and_kinds() {
        let cases: [(io::Error, &str, io::ErrorKind); 5] = [
            (
                err_net_closing(),
                "use of closed network connection",
                io::ErrorKind::NotConnected,
            ),
            (
                err_file_closing(),
                "use of closed file",
                io::ErrorKind::Other,
            ),
            (
                err_no_deadline(),
                "file type does not support deadline",
                io::ErrorKind::Unsupported,
            ),
            (
                err_deadline_exceeded(),
                "i/o timeout",
                io::ErrorKind::TimedOut,
            ),
            (
                err_not_pollable(),
                "not pollable",
                io::ErrorKind::Unsupported,
            ),
        ];
        for (err, msg, kind) in cases {
            assert_eq!(err.to_string(), msg);
            assert_eq!(err.kind(), kind);
        }
    }

    #[test]
    fn predicates_tell_sentinels_apart() {
        let e = err_deadline_exceeded();
        assert!(is_deadline_exceeded(&e));
        assert!(!is_net_closing(&e) && !is_closing(&e));
        assert!(
            e.get_ref()
                .and_then(|i| i.downcast_ref::<DeadlineExceededError>())
                .is_some_and(|d| d.timeout())
        );
        assert!(is_file_closing(&err_closing(true)));
        assert!(is_net_closing(&err_closing(false)));
        assert!(!is_not_pollable(&err_no_deadline()));
        // A plain OS error of the same kind is not the sentinel.
        let os = io::Error::from(io::ErrorKind::TimedOut);
        assert!(!is_deadline_exceeded(&os));
    }

    #[test]
    fn consume_walks_across_buffers() {
        let bufs: [&[u8]; 3] = [b"ab", b"", b"cde"];
        let mut v: &[&[u8]] = &bufs;
        let mut off = 0;
        consume(&mut v, &mut off, 1);
        assert_eq!((v.len(), off), (3, 1));
        consume(&mut v, &mut off, 2);
        assert_eq!((v.len(), off), (1, 1));
        consume(&mut v, &mut off, 10);
        assert!(v.is_empty());
    }
}
