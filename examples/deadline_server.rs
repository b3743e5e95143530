//! An echo server that drops idle clients: each connection gets an idle
//! timeout, renewed before every read, and is closed when it expires.
//!
//! It shows deadlines, Go's way of bounding any blocking call: before
//! each read the server sets `set_read_deadline(Some(now + idle))`; a read
//! still waiting when that instant passes fails with Go's `i/o timeout`,
//! which `gort::net::is_timeout` recognises. The timer lives in the
//! runtime, so a parked reader costs no thread while it waits.
//!
//! ```text
//! cargo run --release --example deadline_server -- [ADDR] [IDLE]   # defaults 127.0.0.1:8080, 5s
//! nc 127.0.0.1 8080                                             # type, then stay quiet
//! ```
//!
//! `IDLE` is seconds (`5`, `2.5`) or has a unit (`500ms`, `5s`). It prints
//! `listening on ADDR`, `new connection: [LOCAL --> REMOTE]` per client,
//! then `idle timeout: [LOCAL --> REMOTE]` when a client stays quiet too
//! long (or `closed: [LOCAL --> REMOTE]` when it hangs up first).

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let idle = match args.next() {
        None => Duration::from_secs(5),
        Some(s) => match parse_duration(&s) {
            Some(d) if !d.is_zero() => d,
            _ => {
                eprintln!("deadline_server: invalid idle timeout {s:?} (try 5s, 500ms or 2.5)");
                std::process::exit(1);
            }
        },
    };
    let Err(e) = gort::run(move || serve(&addr, idle));
    eprintln!("deadline_server: {e}");
    std::process::exit(1);
}

/// Listens on `addr`, one goroutine per connection; returns only on error.
fn serve(addr: &str, idle: Duration) -> std::io::Result<std::convert::Infallible> {
    let ln = gort::net::listen("tcp", addr)?;
    println!("listening on {}", ln.addr());
    loop {
        match ln.accept() {
            Ok(conn) => gort::go!(echo(conn, idle)),
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

/// Echoes until the client closes, an error, or `idle` without a byte.
fn echo(conn: Box<dyn gort::net::Conn>, idle: Duration) {
    let local = conn.local_addr().to_string();
    let remote = conn.remote_addr().map(|a| a.to_string());
    let remote = remote.unwrap_or_default();
    println!("new connection: [{local} --> {remote}]");
    let mut buf = [0u8; 4096];
    loop {
        // Renew the deadline: the client has `idle` from now to send more.
        if let Err(e) = conn.set_read_deadline(Some(Instant::now() + idle)) {
            eprintln!("{e}");
            break;
        }
        let n = match conn.read(&mut buf) {
            Ok(0) => {
                println!("closed: [{local} --> {remote}]");
                break;
            }
            Ok(n) => n,
            Err(e) if gort::net::is_timeout(&e) => {
                println!("idle timeout: [{local} --> {remote}]");
                break;
            }
            Err(e) => {
                eprintln!("{e}");
                break;
            }
        };
        if let Err(e) = conn.write_all(&buf[..n]) {
            eprintln!("{e}");
            break;
        }
    }
    // Dropping `conn` closes it; the client reads end of file.
}

/// `5`, `2.5`, `5s` or `500ms` as a duration.
fn parse_duration(s: &str) -> Option<Duration> {
    let (number, unit) = match s.strip_suffix("ms") {
        Some(ms) => (ms, 1e-3),
        None => (s.strip_suffix('s').unwrap_or(s), 1.0),
    };
    let v: f64 = number.parse().ok()?;
    Duration::try_from_secs_f64(v * unit).ok()
}
