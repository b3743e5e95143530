//! For tests that start a child process: the signals the tests send
//! (SIGINT, SIGTERM) and SIGHUP get their default action in the child, and
//! nothing is blocked there, whatever the test process inherited (`nohup`,
//! a background job, a CI runner that ignores SIGINT). Included by path, as
//! `support/watchdog.rs` is.

/// Runs in a child between fork and exec (give it to
/// `CommandExt::pre_exec`).
pub fn default_dispositions() -> std::io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: signal(2) with a valid, catchable signal number and
        // SIG_DFL; it is async-signal-safe, so callable after fork.
        if unsafe { libc::signal(sig, libc::SIG_DFL) } == libc::SIG_ERR {
            return Err(std::io::Error::last_os_error());
        }
    }
    let mut none = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initializes the set it is given; sigprocmask reads
    // that initialized set. Both are async-signal-safe.
    let rc = unsafe {
        libc::sigemptyset(none.as_mut_ptr());
        libc::sigprocmask(libc::SIG_SETMASK, none.as_ptr(), std::ptr::null_mut())
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
