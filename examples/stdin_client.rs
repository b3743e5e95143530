//! An interactive line client (a tiny `nc`): every line typed on stdin goes
//! to the server, every line the server sends back is printed.
//!
//! It shows two goroutines sharing one connection, as Go code does: `main`
//! reads stdin and writes to the conn while a second goroutine reads the
//! conn and prints. Reading stdin blocks the thread (a terminal or a pipe
//! is not on the netpoller), so each read of a line runs inside
//! `gort::blocking(...)`: the read runs on a helper thread while the
//! goroutine parks, and the printing goroutine keeps running meanwhile.
//!
//! ```text
//! cargo run --release --example echo_server &              # something to talk to
//! cargo run --release --example stdin_client -- [ADDR]        # default 127.0.0.1:8080
//! ```
//!
//! The line `bye` (or the end of stdin, Ctrl-D) quits. `bye` itself is
//! **not** sent: the client half-closes the connection instead (TCP
//! `shutdown(SHUT_WR)`, Go's `CloseWrite`), prints the replies still on
//! their way until the server closes its side (at most 5 s), and exits
//! with status 0. If the server closes first, the client says so on stderr
//! and exits with status 0; errors exit with status 1.

use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gort::net::TcpConn;

/// How long to wait for the server's end of file after `bye`.
const DRAIN: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    match gort::run(move || client(&addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stdin_client: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Connects to `addr`, then sends stdin line by line until `bye` or end of
/// file while another goroutine prints the replies.
fn client(addr: &str) -> std::io::Result<()> {
    let raddr = gort::net::resolve_tcp_addr("tcp", addr)?;
    // `dial_tcp` rather than `dial`: a `TcpConn` can half-close.
    let conn = Arc::new(gort::net::dial_tcp("tcp", None, &raddr)?);
    // Set once stdin is done; tells the printer that the end of file it
    // sees is the answer to our half-close, not the server hanging up.
    // Release here, Acquire in the printer: the store comes before the
    // half-close, and the end of file it provokes can only be read after.
    let quitting = Arc::new(AtomicBool::new(false));
    let printer = gort::spawn({
        let (conn, quitting) = (conn.clone(), quitting.clone());
        move || print_replies(&conn, &quitting)
    });

    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        // read(2) on stdin blocks a thread: `blocking` runs it on a helper
        // thread while this goroutine parks, so the printer is not stalled.
        let n = gort::blocking(|| stdin.lock().read_line(&mut line))?;
        if n == 0 || line.trim_end() == "bye" {
            break;
        }
        if !line.ends_with('\n') {
            line.push('\n'); // the last line of a file without a newline
        }
        conn.write_all(line.as_bytes())?;
    }

    quitting.store(true, Ordering::Release);
    conn.close_write()?;
    // Bound the wait for the server's last replies and its end of file.
    conn.set_read_deadline(Some(Instant::now() + DRAIN))?;
    printer
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the reply printer panicked")))
}

/// Prints each line the server sends until it closes the connection.
fn print_replies(conn: &TcpConn, quitting: &AtomicBool) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) if quitting.load(Ordering::Acquire) => return Ok(()),
            Ok(0) => {
                // `main` is blocked reading stdin and cannot be woken, so end
                // the process from here, as a Go program would.
                eprintln!("stdin_client: the server closed the connection");
                std::process::exit(0);
            }
            Ok(_) => {
                if !line.ends_with(b"\n") {
                    line.push(b'\n');
                }
                std::io::stdout().write_all(&line)?;
            }
            Err(e) if quitting.load(Ordering::Acquire) && gort::net::is_timeout(&e) => {
                eprintln!(
                    "stdin_client: no end of file from the server within {DRAIN:?} of quitting"
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}
