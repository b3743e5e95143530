//! The smallest complete server: listen, accept one connection, echo every
//! byte back until the client closes its side, then exit with status 0.
//!
//! It shows the life of one connection with no goroutines besides `main`:
//! `listen`, `accept`, a `std::io::copy` from the conn into itself (each
//! read parks the goroutine on the netpoller until bytes arrive), and the
//! end of file that a client's close (or half-close) produces.
//!
//! ```text
//! cargo run --release --example echo_once -- [ADDR]       # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                                    # type; Ctrl-D ends it
//! ```
//!
//! It prints `listening on ADDR` (with the port the kernel picked, for
//! port 0), then `accepted REMOTE` and `echoed N bytes`. The listener is
//! closed right after the accept, so a second client is refused.

use std::process::ExitCode;

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    match gort::run(move || echo_once(&addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_once: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves a single connection on `addr`.
fn echo_once(addr: &str) -> std::io::Result<()> {
    let ln = gort::net::listen("tcp", addr)?;
    println!("listening on {}", ln.addr());
    let conn = ln.accept()?;
    // One client only: stop listening (later dials are refused).
    ln.close()?;
    let remote = conn
        .remote_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!("accepted {remote}");
    // The conn is both the reader and the writer: `&Box<dyn Conn>` implements
    // `Read` and `Write`, and a read and a write may use it at once.
    let (mut from, mut to) = (&conn, &conn);
    let n = std::io::copy(&mut from, &mut to)?;
    println!("echoed {n} bytes");
    Ok(())
}
