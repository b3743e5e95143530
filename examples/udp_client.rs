//! A one-shot UDP client: send one datagram, wait for one back, print it.
//!
//! It shows a "connected" UDP socket (Go's `net.DialUDP`: the kernel
//! remembers the peer, so plain `write`/`read` work and datagrams from
//! anyone else are dropped) and a read deadline. UDP has no connection to
//! fail, so a lost datagram or a silent server looks like nothing at all:
//! the deadline turns that into Go's `i/o timeout` error.
//!
//! ```text
//! cargo run --release --example udp_server &                         # something to talk to
//! cargo run --release --example udp_client -- [ADDR] [MESSAGE] [WAIT]
//! ```
//!
//! Defaults: `127.0.0.1:8080`, `hello`, and a wait of 5 s (`WAIT` is
//! seconds, `2.5`, or has a unit: `500ms`, `5s`). With no reply in time it
//! prints Go's error text, e.g.
//! `udp_client: read udp 127.0.0.1:40000->127.0.0.1:8080: i/o timeout`,
//! and exits with status 1.

use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let msg = args.next().unwrap_or_else(|| "hello".to_string());
    let wait = match args.next() {
        None => Duration::from_secs(5),
        Some(s) => match parse_duration(&s) {
            Some(d) => d,
            None => {
                eprintln!("udp_client: invalid wait {s:?} (try 5s, 500ms or 2.5)");
                return ExitCode::FAILURE;
            }
        },
    };
    match gort::run(move || round_trip(&addr, &msg, wait)) {
        Ok(reply) => {
            println!("{}", String::from_utf8_lossy(&reply));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("udp_client: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sends `msg` to `addr` as one datagram and returns the first datagram
/// that comes back within `wait`.
fn round_trip(addr: &str, msg: &str, wait: Duration) -> std::io::Result<Vec<u8>> {
    let raddr = gort::net::resolve_udp_addr("udp", addr)?;
    let conn = gort::net::dial_udp("udp", None, &raddr)?;
    conn.write(msg.as_bytes())?;
    conn.set_read_deadline(Some(Instant::now() + wait))?;
    let mut buf = vec![0u8; 65_535];
    let n = conn.read(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
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
