//! Mirrors Go src/net/sock_linux.go (go1.27): the listen backlog.
//!
//! Go asks `listen(2)` for the largest backlog the system allows, read from
//! `/proc/sys/net/core/somaxconn` (once, then cached by `listenerBacklog`
//! in net.go), falling back to `SOMAXCONN`. The kernel stores the backlog
//! in 16 bits before Linux 4.1 and 32 after; gort only runs on kernels far
//! newer, so only the 32-bit clamp applies.

use std::sync::OnceLock;

/// The backlog every listener asks for (Go's `listenerBacklog`).
// ANCHOR: listenerBacklog
pub(crate) fn listener_backlog() -> i32 {
    static BACKLOG: OnceLock<i32> = OnceLock::new();
    *BACKLOG.get_or_init(max_listener_backlog)
}
// ANCHOR_END: listenerBacklog

/// Reads the system's maximum backlog (Go's `maxListenerBacklog`).
// ANCHOR: maxListenerBacklog
fn max_listener_backlog() -> i32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| parse_backlog(&s))
        .unwrap_or(libc::SOMAXCONN)
}
// ANCHOR_END: maxListenerBacklog

/// The first field of `/proc/sys/net/core/somaxconn` as a backlog; `None`
/// for anything but a positive number.
fn parse_backlog(s: &str) -> Option<i32> {
    let n: u64 = s.split_whitespace().next()?.parse().ok()?;
    if n == 0 {
        return None;
    }
    Some(n.min(i32::MAX as u64) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_parsing() {
        assert_eq!(parse_backlog("4096\n"), Some(4096));
        assert_eq!(parse_backlog("0\n"), None);
        assert_eq!(parse_backlog("junk"), None);
        assert_eq!(parse_backlog("99999999999"), Some(i32::MAX));
        assert!(listener_backlog() > 0);
    }
}
