//! Mirrors Go src/net/tcpsockopt_unix.go (go1.27): the keep-alive timings.
//!
//! TCP keep-alive has three knobs: how long a connection may sit idle
//! before the first probe (`TCP_KEEPIDLE`), the time between unanswered
//! probes (`TCP_KEEPINTVL`), and how many unanswered probes end the
//! connection (`TCP_KEEPCNT`). Go's defaults are 15 s, 15 s and 9, so a
//! dead peer is noticed within about two and a half minutes, rather than
//! the kernel's two hours. The kernel counts whole seconds: a duration is
//! rounded up to at least one second, as Go does.

use std::io;
use std::time::Duration;

use rustix::net::sockopt;

use crate::fd_posix::NetFD;
use crate::sockopt_posix::set;

/// Go's default keep-alive idle time and probe interval (`defaultTCPKeepAliveIdle`,
/// `defaultTCPKeepAliveInterval`).
pub(crate) const DEFAULT_KEEP_ALIVE_IDLE: Duration = Duration::from_secs(15);
/// Go's default probe interval.
pub(crate) const DEFAULT_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// Go's default probe count (`defaultTCPKeepAliveCount`).
pub(crate) const DEFAULT_KEEP_ALIVE_COUNT: u32 = 9;

/// Whole seconds, rounded up, at least one (Go's `roundDurationUp`).
/// `Duration::MAX` stays huge rather than overflowing; the kernel then
/// refuses it (`setsockopt: invalid argument`, as Go reports).
fn whole_secs(d: Duration) -> Duration {
    let s = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
    Duration::from_secs(s.max(1))
}

/// `TCP_KEEPIDLE`; zero means Go's default (Go's `setKeepAliveIdle`).
pub(crate) fn set_keep_alive_idle(fd: &NetFD, d: Duration) -> io::Result<()> {
    let d = if d.is_zero() {
        DEFAULT_KEEP_ALIVE_IDLE
    } else {
        d
    };
    set(fd, |s| sockopt::set_tcp_keepidle(s, whole_secs(d)))
}

/// `TCP_KEEPINTVL`; zero means Go's default (Go's `setKeepAliveInterval`).
pub(crate) fn set_keep_alive_interval(fd: &NetFD, d: Duration) -> io::Result<()> {
    let d = if d.is_zero() {
        DEFAULT_KEEP_ALIVE_INTERVAL
    } else {
        d
    };
    set(fd, |s| sockopt::set_tcp_keepintvl(s, whole_secs(d)))
}

/// `TCP_KEEPCNT`; zero means Go's default (Go's `setKeepAliveCount`).
pub(crate) fn set_keep_alive_count(fd: &NetFD, n: u32) -> io::Result<()> {
    let n = if n == 0 { DEFAULT_KEEP_ALIVE_COUNT } else { n };
    set(fd, |s| sockopt::set_tcp_keepcnt(s, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_whole_seconds() {
        assert_eq!(whole_secs(Duration::from_millis(1)), Duration::from_secs(1));
        assert_eq!(
            whole_secs(Duration::from_millis(1500)),
            Duration::from_secs(2)
        );
        assert_eq!(whole_secs(Duration::from_secs(7)), Duration::from_secs(7));
    }
}
