//! A one-shot TCP client: dial, send one line, print the line that comes
//! back, exit. The client half of `echo_server` (Go's `net.Dial` followed
//! by `fmt.Fprintln(conn, msg)` and `bufio.Reader.ReadString('\n')`).
//!
//! ```text
//! cargo run --release --example echo_server &                      # something to talk to
//! cargo run --release --example tcp_client -- [ADDR] [MESSAGE]        # defaults 127.0.0.1:8080, hello
//! ```
//!
//! Errors (a bad address, a refused connection, the server closing before
//! it replies) are printed with Go's text, and the exit status is 1.

use std::io::{BufRead, BufReader};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let msg = args.next().unwrap_or_else(|| "hello".to_string());
    match gort::run(move || round_trip(&addr, &msg)) {
        Ok(reply) => {
            println!("{reply}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tcp_client: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sends `msg` and a newline to `addr` and returns the first line of the
/// reply, without its newline.
fn round_trip(addr: &str, msg: &str) -> std::io::Result<String> {
    let conn = gort::net::dial("tcp", addr)?;
    conn.write_all(format!("{msg}\n").as_bytes())?;
    let mut line = String::new();
    if BufReader::new(&conn).read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection without replying",
        ));
    }
    let reply = line.strip_suffix('\n').unwrap_or(&line);
    Ok(reply.strip_suffix('\r').unwrap_or(reply).to_string())
}
