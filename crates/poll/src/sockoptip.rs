//! Mirrors Go src/internal/poll/sockoptip.go (go1.27): joining and leaving multicast groups.
//!
//! Multicast membership is a socket option whose value is a request
//! structure: `ip_mreq` (group address and local interface address) for
//! IPv4 `IP_ADD_MEMBERSHIP` / `IP_DROP_MEMBERSHIP`, and `ipv6_mreq` (group
//! address and interface index) for IPv6 `IPV6_JOIN_GROUP` /
//! `IPV6_LEAVE_GROUP`. The net layer's multicast code fills them in; these
//! methods only hand them to the kernel under an fdMutex reference, as the
//! rest of `sockopt.rs` does. Linux's `ip_mreqn`, which names the
//! interface by index, is in `sockopt_linux.rs`.

use std::io;

use crate::fd_unix::FD;
use crate::sockopt::setsockopt_raw;

impl FD {
    /// Sets an IPv4 multicast request option (Go's `SetsockoptIPMreq`).
    #[doc(alias = "SetsockoptIPMreq")]
    pub fn setsockopt_ip_mreq(
        &self,
        level: i32,
        name: i32,
        mreq: &libc::ip_mreq,
    ) -> io::Result<()> {
        let r = self.incref()?;
        setsockopt_raw(r.sysfd(), level, name, mreq)
    }

    /// Sets an IPv6 multicast request option (Go's `SetsockoptIPv6Mreq`).
    #[doc(alias = "SetsockoptIPv6Mreq")]
    pub fn setsockopt_ipv6_mreq(
        &self,
        level: i32,
        name: i32,
        mreq: &libc::ipv6_mreq,
    ) -> io::Result<()> {
        let r = self.incref()?;
        setsockopt_raw(r.sysfd(), level, name, mreq)
    }
}
