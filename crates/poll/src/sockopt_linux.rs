//! Mirrors Go src/internal/poll/sockopt_linux.go (go1.27): Linux's interface-indexed IPv4 multicast request.
//!
//! Besides the portable `ip_mreq` (`sockoptip.rs`), which picks the local
//! interface by one of its IPv4 addresses, Linux accepts an `ip_mreqn` for
//! `IP_ADD_MEMBERSHIP`, `IP_DROP_MEMBERSHIP` and `IP_MULTICAST_IF`: it can
//! name the interface by index, which works for interfaces without an IPv4
//! address and is what Go's net package uses on Linux. As everywhere in
//! the sockopt files, the call holds an fdMutex reference and returns the
//! raw OS error.

use std::io;

use crate::fd_unix::FD;
use crate::sockopt::setsockopt_raw;

impl FD {
    /// Sets a Linux `ip_mreqn` option (Go's `SetsockoptIPMreqn`).
    #[doc(alias = "SetsockoptIPMreqn")]
    pub fn setsockopt_ip_mreqn(
        &self,
        level: i32,
        name: i32,
        mreq: &libc::ip_mreqn,
    ) -> io::Result<()> {
        let r = self.incref()?;
        setsockopt_raw(r.sysfd(), level, name, mreq)
    }
}
