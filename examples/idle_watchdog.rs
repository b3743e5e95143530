//! An echo server whose idle connections are closed by a watchdog
//! goroutine: the Go pattern of a reader that reports activity on a
//! channel and a watchdog that `select`s on that channel and a timer.
//!
//! ```text
//! cargo run --release --example idle_watchdog -- [ADDR] [IDLE]   # defaults 127.0.0.1:8080, 3s
//! nc 127.0.0.1 8080                                           # type, then stay quiet
//! ```
//!
//! Each connection gets two goroutines. The reader echoes lines and, after
//! each one, offers a token on an `activity` channel of capacity one
//! (`try_send`: if the watchdog has not taken the last token yet, one is
//! enough). The watchdog loops on
//!
//! ```text
//! select! {
//!     recv(activity) -> _ => keep waiting,       // the client spoke: restart the clock
//!     recv(after(idle)) -> _ => close the conn,  // silence for `idle`
//! }
//! ```
//!
//! Closing the conn wakes the reader's blocked read with "use of closed
//! network connection", so both goroutines end. Compare `deadline_server`,
//! which does the same job with a read deadline and no second goroutine.
//!
//! It prints `listening on ADDR`, then `new connection: [LOCAL --> REMOTE]`,
//! and `idle timeout: [LOCAL --> REMOTE]` or `closed: [LOCAL --> REMOTE]`.
//! `IDLE` is seconds (`3`, `0.5`) or has a unit (`500ms`, `3s`).

use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::Duration;

use gort::chan;
use gort::net::TcpConn;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let idle = match args.next() {
        None => Duration::from_secs(3),
        Some(s) => match parse_duration(&s) {
            Some(d) if !d.is_zero() => d,
            _ => {
                eprintln!("idle_watchdog: invalid idle timeout {s:?} (try 3s, 500ms or 0.5)");
                std::process::exit(1);
            }
        },
    };
    let Err(e) = gort::run(move || serve(&addr, idle));
    eprintln!("idle_watchdog: {e}");
    std::process::exit(1);
}

/// Listens on `addr`; returns only on error.
fn serve(addr: &str, idle: Duration) -> std::io::Result<std::convert::Infallible> {
    let laddr = gort::net::resolve_tcp_addr("tcp", addr)?;
    let ln = gort::net::listen_tcp("tcp", Some(&laddr))?;
    println!("listening on {}", ln.addr());
    loop {
        match ln.accept() {
            Ok(conn) => {
                let conn = Arc::new(conn);
                let remote = conn.remote_addr().map(|a| a.to_string());
                let name = format!("[{} --> {}]", conn.local_addr(), remote.unwrap_or_default());
                println!("new connection: {name}");
                let (activity, seen) = chan::bounded::<()>(1);
                let watched = conn.clone();
                gort::go!(watchdog(watched, seen, idle, name));
                gort::go!(reader(conn, activity));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

/// Echoes lines, reporting each on `activity`. Returning drops the sender,
/// which closes the channel: the watchdog learns the reader is done.
fn reader(conn: Arc<TcpConn>, activity: chan::Sender<()>) {
    let mut lines = BufReader::new(conn.as_ref());
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                // Full means a token is already waiting: that is enough.
                let _ = activity.try_send(());
                if conn.write_all(&line).is_err() {
                    return;
                }
            }
        }
    }
}

/// Closes `conn` after `idle` without activity.
fn watchdog(conn: Arc<TcpConn>, seen: chan::Receiver<()>, idle: Duration, name: String) {
    loop {
        let still_open = gort::select! {
            recv(seen) -> token => token.is_some(), // None: the reader ended
            recv(gort::time::after(idle)) -> _t => {
                println!("idle timeout: {name}");
                let _ = conn.close();
                return;
            },
        };
        if !still_open {
            println!("closed: {name}");
            let _ = conn.close();
            return;
        }
    }
}

/// Parses `5`, `2.5`, `500ms` or `5s`.
fn parse_duration(s: &str) -> Option<Duration> {
    let (num, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(secs) = s.strip_suffix('s') {
        (secs, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| Duration::from_secs_f64(v * scale))
}
