//! A line echo server in Go's style: one goroutine per connection, plain
//! blocking reads through a `BufReader`, and the runtime parks goroutines
//! (not threads) while they wait.
//!
//! ```text
//! cargo run --release --example echo_server -- [ADDR]      # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                                     # type lines; they come back
//! ```
//!
//! For each connection it prints `new connection: [local --> remote]`, and
//! on close the bytes read and written.

use std::io::{BufRead, BufReader};

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    gort::run(move || {
        let ln = match gort::net::listen("tcp", &addr) {
            Ok(ln) => ln,
            Err(e) => {
                eprintln!("echo_server: {e}");
                std::process::exit(1);
            }
        };
        println!("listening on {}", ln.addr());
        loop {
            let conn = match ln.accept() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            gort::go!(serve(conn));
        }
    })
}

/// Echoes each line back until the client closes or an error occurs.
fn serve(conn: Box<dyn gort::net::Conn>) {
    let local = conn.local_addr().to_string();
    let remote = conn
        .remote_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!("new connection: [{local} --> {remote}]");
    let (mut read, mut written) = (0usize, 0usize);
    let mut reader = BufReader::new(&conn);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => {
                eprintln!("read {remote}: {e}");
                break;
            }
        }
        if let Err(e) = conn.write_all(&line) {
            eprintln!("write {remote}: {e}");
            break;
        }
        written += line.len();
    }
    println!("closed: [{local} --> {remote}] read {read} bytes, wrote {written} bytes");
}
