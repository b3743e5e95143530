//! Mirrors Go src/internal/poll/sockopt_unix.go (go1.27): socket options with a one-byte argument.
//!
//! A few options of the Unix socket API take a single `unsigned char`
//! rather than an `int`, the multicast TTL and loopback flag of IPv4
//! (`IP_MULTICAST_TTL`, `IP_MULTICAST_LOOP`) on the BSDs in particular;
//! Linux accepts either size. As in `sockopt.rs`, the call is made under an
//! fdMutex reference and its error is returned raw.

use std::io;

use crate::fd_unix::FD;
use crate::sockopt::setsockopt_raw;

impl FD {
    /// Sets a socket option whose value is one byte (Go's
    /// `SetsockoptByte`, `setsockopt(2)` with an option length of 1).
    #[doc(alias = "SetsockoptByte")]
    pub fn setsockopt_byte(&self, level: i32, name: i32, arg: u8) -> io::Result<()> {
        let r = self.incref()?;
        setsockopt_raw(r.sysfd(), level, name, &arg)
    }
}
