//! Mirrors Go src/syscall/rlimit.go (go1.27): raising the soft limit on open
//! files to the hard limit.
//!
//! Many systems start a process with a soft `RLIMIT_NOFILE` of 1024, a relic
//! of `select(2)` and its fixed-size `fd_set`. A netpoller-based server never
//! uses `select`, and 1024 connections is a small server, so Go raises the
//! soft limit to the hard one when a program starts (go.dev/issue/46279),
//! and gort's facade does the same when it builds a runtime. The hard limit
//! is a ceiling set by the administrator and is left alone.
//!
//! Go also remembers the original soft limit and puts it back in the
//! processes it starts, for old programs that still use `select`. Rust's
//! `std::process::Command` gives gort no such hook: children inherit the
//! raised soft limit (the README lists this).

use std::io;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// The soft limit asked for when the hard limit is `RLIM_INFINITY`: the
/// kernel refuses an infinite soft limit for open files (it is capped by
/// `fs.nr_open`, a million by default), so ask for that default instead.
const UNLIMITED_CAP: u64 = 1 << 20;

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit and returns
/// the soft limit now in force. Calling it again is cheap and harmless.
///
/// gort's facade calls it when it builds a runtime, as Go's `syscall`
/// package does at start-up, so a gort server can hold as many connections
/// as the administrator allows.
///
/// ```
/// let soft = gort_poll::raise_nofile_limit().unwrap();
/// assert!(soft >= 64);
/// ```
pub fn raise_nofile_limit() -> io::Result<u64> {
    let lim = getrlimit(Resource::Nofile);
    let want = lim.maximum.unwrap_or(UNLIMITED_CAP);
    match lim.current {
        Some(cur) if cur < want => {
            setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(want),
                    maximum: lim.maximum,
                },
            )?;
            Ok(want)
        }
        Some(cur) => Ok(cur),
        // Already unlimited (only possible if the hard limit is, too).
        None => Ok(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raises_soft_to_hard_and_leaves_hard_alone() {
        let before = getrlimit(Resource::Nofile);
        let soft = raise_nofile_limit().unwrap();
        let after = getrlimit(Resource::Nofile);
        assert_eq!(
            after.maximum, before.maximum,
            "the hard limit is left alone"
        );
        assert_eq!(after.current, Some(soft));
        assert_eq!(
            soft,
            before
                .maximum
                .unwrap_or(UNLIMITED_CAP)
                .max(before.current.unwrap_or(0))
        );
        // A second call changes nothing.
        assert_eq!(raise_nofile_limit().unwrap(), soft);
        assert_eq!(getrlimit(Resource::Nofile).current, Some(soft));
    }
}
