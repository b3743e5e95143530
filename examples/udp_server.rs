//! A UDP echo server: every datagram is sent back, unchanged, to the
//! address it came from.
//!
//! It shows datagram sockets: no accept and no connection, one socket for
//! every client, and `read_from` / `write_to` carrying the peer's address
//! with each datagram (Go's `net.ListenUDP`, `ReadFromUDP`, `WriteToUDP`).
//! The goroutine parks on the netpoller between datagrams.
//!
//! ```text
//! cargo run --release --example udp_server -- [ADDR]                 # default 127.0.0.1:8080
//! cargo run --release --example udp_client -- 127.0.0.1:8080 hi      # or: nc -u 127.0.0.1 8080
//! ```
//!
//! It prints `listening on ADDR`, then `N bytes from PEER` per datagram.

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let Err(e) = gort::run(move || serve(&addr));
    eprintln!("udp_server: {e}");
    std::process::exit(1);
}

/// Echoes datagrams on `addr`; returns only on error.
fn serve(addr: &str) -> std::io::Result<std::convert::Infallible> {
    let laddr = gort::net::resolve_udp_addr("udp", addr)?;
    let conn = gort::net::listen_udp("udp", Some(&laddr))?;
    println!("listening on {}", conn.local_addr());
    // The largest UDP payload: a longer datagram would be cut short.
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, peer) = conn.read_from(&mut buf)?;
        println!("{n} bytes from {peer}");
        // A failed send (say, the peer's port closed) loses only that reply.
        if let Err(e) = conn.write_to(&buf[..n], &peer) {
            eprintln!("udp_server: {e}");
        }
    }
}
