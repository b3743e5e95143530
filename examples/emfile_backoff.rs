//! A server that runs out of file descriptors and keeps going: when
//! `accept` fails with a temporary error (`EMFILE`, too many open files,
//! above all), it sleeps and tries again with net/http's backoff, and
//! picks up the waiting clients once descriptors are free.
//!
//! ```text
//! cargo run --release --example emfile_backoff -- [--addr ADDR] [--fd-limit N]
//!                                   # default 127.0.0.1:8080, no limit
//! cargo run --release --example emfile_backoff -- --fd-limit 12 &
//! for i in $(seq 10); do (sleep 1; echo hi $i) | nc 127.0.0.1 8080 & done
//! ```
//!
//! Each connection is served by a goroutine that echoes one line and
//! closes the connection (freeing its descriptor); a client has 30 s to
//! send its line.
//!
//! A full descriptor table does not make `accept` block: the kernel has a
//! finished connection for us, but `accept4(2)` cannot give it a number, so
//! it fails with `EMFILE` at once, and keeps failing, while the connection
//! waits in the listen queue. A loop that logs and retries at once spins
//! on the CPU; one that gives up stops serving for good. Go's `net/http`
//! (`Server.Serve`) sleeps instead: 5 ms after the first failure, doubling
//! on each further one up to 1 s, back to nothing after a success. This
//! example does the same, printing each failure to stderr as
//! `accept error: ...: too many open files; retrying in 5ms`, and
//! `accept resumed after N failed attempt(s)` once an accept succeeds
//! again. Temporary means `EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`,
//! `ECONNABORTED`, `ECONNRESET` or `EINTR` (the errno under gort-net's
//! `OpError` and `SyscallError`); any other error ends the server.
//!
//! `--fd-limit N` lowers this process's soft `RLIMIT_NOFILE` to `N` so the
//! limit is easy to reach. It is applied from inside the main goroutine:
//! `gort::run`, like a Go program at start-up, first raises the soft limit
//! to the hard one. The example then prints
//! `fd limit N: M open, F free for connections`.
//!
//! Output: `listening on ADDR`, the fd-limit line if asked, and
//! `served #K REMOTE` per client on stdout; the backoff lines on stderr.

use std::io::{self, BufRead, BufReader};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use gort::net::{OpError, SyscallError, TcpConn};
use rustix::io::Errno;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

const USAGE: &str = "usage: emfile_backoff [--addr ADDR] [--fd-limit N]";

/// net/http's first retry delay after a temporary accept error...
const FIRST_DELAY: Duration = Duration::from_millis(5);
/// ...doubled on each further failure up to this.
const MAX_DELAY: Duration = Duration::from_secs(1);
/// How long a client may take to send its line.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let mut addr = "127.0.0.1:8080".to_string();
    let mut fd_limit = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let parsed = match (flag.as_str(), value) {
            ("--addr", Some(v)) => {
                addr = v;
                Ok(())
            }
            ("--fd-limit", Some(v)) => match v.parse::<u64>() {
                Ok(n) if n > 0 => {
                    fd_limit = Some(n);
                    Ok(())
                }
                _ => Err(format!(
                    "invalid --fd-limit {v:?} (a positive whole number)"
                )),
            },
            ("--addr" | "--fd-limit", None) => Err(format!("{flag} needs a value")),
            (other, _) => Err(format!("unknown argument {other:?}")),
        };
        if let Err(msg) = parsed {
            eprintln!("emfile_backoff: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Err(e) = gort::run(move || serve(&addr, fd_limit));
    eprintln!("emfile_backoff: {e}");
    ExitCode::FAILURE
}

/// Serves until a non-temporary error.
fn serve(addr: &str, fd_limit: Option<u64>) -> io::Result<std::convert::Infallible> {
    let laddr = gort::net::resolve_tcp_addr("tcp", addr)?;
    let ln = gort::net::listen_tcp("tcp", Some(&laddr))?;
    println!("listening on {}", ln.addr());
    if let Some(n) = fd_limit {
        let (open, free) = lower_fd_limit(n)?;
        println!("fd limit {n}: {open} open, {free} free for connections");
    }

    // Go's `tempDelay` in net/http's Server.Serve.
    let mut temp_delay = Duration::ZERO;
    let mut failures = 0u64;
    let mut served = 0u64;
    loop {
        match ln.accept() {
            Ok(conn) => {
                if failures > 0 {
                    eprintln!("emfile_backoff: accept resumed after {failures} failed attempt(s)");
                }
                failures = 0;
                temp_delay = Duration::ZERO;
                served += 1;
                let k = served;
                gort::go!(echo_one_line(conn, k));
            }
            Err(e) if is_temporary(&e) => {
                failures += 1;
                temp_delay = if temp_delay.is_zero() {
                    FIRST_DELAY
                } else {
                    (temp_delay * 2).min(MAX_DELAY)
                };
                eprintln!("emfile_backoff: accept error: {e}; retrying in {temp_delay:?}");
                // Parks this goroutine only; the connections being served
                // go on, and closing them frees descriptors.
                gort::time::sleep(temp_delay);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Echoes one line, then closes the connection.
fn echo_one_line(conn: TcpConn, k: u64) {
    let remote = conn.remote_addr().map(|a| a.to_string());
    let remote = remote.unwrap_or_default();
    let _ = conn.set_read_deadline(Some(Instant::now() + READ_TIMEOUT));
    let mut line = Vec::new();
    let result = BufReader::new(&conn)
        .read_until(b'\n', &mut line)
        .and_then(|_| conn.write_all(&line));
    match result {
        Ok(()) => println!("served #{k} {remote}"),
        Err(e) => eprintln!("emfile_backoff: #{k} {remote}: {e}"),
    }
    // Dropping `conn` closes it and frees its descriptor.
}

/// Sets the soft `RLIMIT_NOFILE` to `n`; returns how many descriptors are
/// open and how many of the `n` are left.
fn lower_fd_limit(n: u64) -> io::Result<(u64, u64)> {
    let lim = getrlimit(Resource::Nofile);
    if lim.maximum.is_some_and(|hard| n > hard) {
        return Err(io::Error::other(format!(
            "--fd-limit {n} is above the hard limit {}",
            lim.maximum.unwrap_or_default()
        )));
    }
    // Counted first: at the new limit there may be no descriptor left to
    // list the directory with. Listing takes one of its own, counted in it.
    let open = std::fs::read_dir("/proc/self/fd")?.count() as u64 - 1;
    if open >= n {
        return Err(io::Error::other(format!(
            "--fd-limit {n} leaves no descriptor for connections ({open} are open)"
        )));
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(n),
            maximum: lim.maximum,
        },
    )?;
    Ok((open, n - open))
}

/// Whether an accept error is worth waiting out (Go's `Temporary()` on
/// the errno, plus the allocation failures net/http also rides out).
fn is_temporary(e: &io::Error) -> bool {
    matches!(
        errno(e).map(Errno::from_raw_os_error),
        Some(
            Errno::MFILE
                | Errno::NFILE
                | Errno::NOBUFS
                | Errno::NOMEM
                | Errno::CONNABORTED
                | Errno::CONNRESET
                | Errno::INTR
        )
    )
}

/// The errno inside a gort-net error: `OpError` → `SyscallError` → OS error.
fn errno(e: &io::Error) -> Option<i32> {
    if let Some(code) = e.raw_os_error() {
        return Some(code);
    }
    let inner = e.get_ref()?;
    if let Some(op) = inner.downcast_ref::<OpError>() {
        return errno(&op.err);
    }
    inner
        .downcast_ref::<SyscallError>()
        .and_then(|sys| errno(&sys.err))
}
