//! Mirrors Go src/internal/poll/sockopt.go (go1.27): socket options with an integer, IPv4 address or linger argument.
//!
//! The `net` layer sets and reads socket options through the `FD`, never
//! on a bare descriptor number, so that a concurrent `close` cannot free
//! the number (and let it be reused) under the system call: each method
//! holds a plain fdMutex reference (`incref`) for the one `setsockopt(2)`
//! or `getsockopt(2)` it makes. Errors come back as the raw OS error; the
//! caller names the system call (Go's `os.NewSyscallError`). On a closed
//! `FD` they fail with the same closing error as every other operation.
//!
//! The options with other argument types live beside this file:
//! `sockopt_unix.rs` (a single byte), `sockoptip.rs` (multicast group
//! requests) and `sockopt_linux.rs` (Linux's `ip_mreqn`).

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};

use crate::fd_unix::FD;

/// Makes one `setsockopt(2)` with `val`'s bytes as the option value, and
/// `size_of::<T>()` as its length.
///
/// `T` must be the C type the kernel expects for `(level, name)` (a
/// `c_int`, a `u8`, a `linger`, ...). A wrong one is not a memory error:
/// the kernel only reads the `size_of::<T>()` bytes it is given and fails
/// with `EINVAL` if that is too few. Like Go's `syscall.Setsockopt*`, it is
/// not retried on `EINTR` (the call does not block).
pub(crate) fn setsockopt_raw<T: Copy>(
    fd: BorrowedFd<'_>,
    level: i32,
    name: i32,
    val: &T,
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(size_of::<T>())
        .expect("gort-poll: socket option value larger than socklen_t");
    // SAFETY: `fd` is borrowed, so it stays open for the call; `val` points
    // to `len` readable bytes that live across it, and the kernel only
    // reads them (copies them in) and keeps no pointer.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(val).cast::<libc::c_void>(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl FD {
    /// Sets an integer socket option (Go's `SetsockoptInt`,
    /// `setsockopt(2)` with a C `int`), e.g. `SO_RCVBUF` or `TCP_NODELAY`.
    #[doc(alias = "SetsockoptInt")]
    pub fn setsockopt_int(&self, level: i32, name: i32, arg: i32) -> io::Result<()> {
        let r = self.incref()?;
        setsockopt_raw(r.sysfd(), level, name, &arg)
    }

    /// Sets a socket option whose value is an IPv4 address in network byte
    /// order (Go's `SetsockoptInet4Addr`), e.g. `IP_MULTICAST_IF`.
    #[doc(alias = "SetsockoptInet4Addr")]
    pub fn setsockopt_inet4_addr(&self, level: i32, name: i32, arg: [u8; 4]) -> io::Result<()> {
        let r = self.incref()?;
        setsockopt_raw(r.sysfd(), level, name, &arg)
    }

    /// Sets a `linger` socket option (Go's `SetsockoptLinger`), i.e.
    /// `SO_LINGER`: whether, and for how many seconds, `close` waits for
    /// unsent data.
    #[doc(alias = "SetsockoptLinger")]
    pub fn setsockopt_linger(
        &self,
        level: i32,
        name: i32,
        linger: &libc::linger,
    ) -> io::Result<()> {
        let r = self.incref()?;
        setsockopt_raw(r.sysfd(), level, name, linger)
    }

    /// Reads an integer socket option (Go's `GetsockoptInt`,
    /// `getsockopt(2)` with a C `int`).
    #[doc(alias = "GetsockoptInt")]
    pub fn getsockopt_int(&self, level: i32, name: i32) -> io::Result<i32> {
        let r = self.incref()?;
        let mut val: libc::c_int = 0;
        let mut len = libc::socklen_t::try_from(size_of::<libc::c_int>())
            .expect("gort-poll: c_int larger than socklen_t");
        // SAFETY: the descriptor is held open by `r`; `val` and `len` are
        // live, writable locals and `len` is `val`'s size, so the kernel
        // writes at most that many bytes into `val`, then the length into
        // `len`; it keeps neither pointer.
        let rc = unsafe {
            libc::getsockopt(
                r.sysfd().as_raw_fd(),
                level,
                name,
                std::ptr::from_mut(&mut val).cast::<libc::c_void>(),
                &mut len,
            )
        };
        if rc == 0 {
            Ok(val)
        } else {
            Err(io::Error::last_os_error())
        }
    }
}
