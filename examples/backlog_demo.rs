//! A deliberately slow server: it accepts one connection every `N` ms, so
//! you can watch the kernel's accept queue (the listen backlog) at work.
//!
//! A client's `connect` completes as soon as the *kernel* has finished the
//! TCP handshake, long before the program calls `accept`: finished
//! connections wait in the listener's accept queue, oldest first, and each
//! `accept` takes the head. gort asks `listen(2)` for the largest backlog
//! the system allows, as Go does (`/proc/sys/net/core/somaxconn`, often
//! 4096). Clients beyond the backlog queue in SYN state: once the queue is
//! full, Linux stops completing handshakes, so a new client's SYN goes
//! unanswered (it waits in `SYN_SENT`, retransmitting with growing delays,
//! and its `connect` fails with a timeout after about two minutes), and a
//! handshake already under way is left half-open (`SYN_RECV` on the
//! server) until an accept frees a slot.
//!
//! ```text
//! cargo run --release --example backlog_demo -- [ADDR] [N]    # defaults 127.0.0.1:8080, 1000 ms
//! for i in 1 2 3 4 5; do nc 127.0.0.1 8080 & done          # all connect at once...
//! ```
//!
//! ...and are accepted one per `N` ms, in the order they connected. It
//! prints `listening on ADDR`, a line about the pace, then
//! `accepted #K REMOTE after S.SSSs` per connection (the time since it
//! started listening), and sends the client the same `accepted #K` line
//! before closing.

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let every = match args.next().map(|s| s.parse::<u64>()) {
        None => Duration::from_millis(1000),
        Some(Ok(ms)) => Duration::from_millis(ms),
        Some(Err(_)) => {
            eprintln!("backlog_demo: the interval must be a whole number of milliseconds");
            std::process::exit(1);
        }
    };
    let Err(e) = gort::run(move || serve(&addr, every));
    eprintln!("backlog_demo: {e}");
    std::process::exit(1);
}

/// Accepts a connection every `every`; returns only on error.
fn serve(addr: &str, every: Duration) -> std::io::Result<std::convert::Infallible> {
    let ln = gort::net::listen("tcp", addr)?;
    let start = Instant::now();
    println!("listening on {}", ln.addr());
    println!(
        "accepting one connection every {} ms; the kernel queues the rest",
        every.as_millis()
    );
    let mut k = 0u64;
    loop {
        // Parks this goroutine only; meanwhile the kernel keeps completing
        // handshakes and queueing them.
        gort::time::sleep(every);
        let conn = match ln.accept() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        k += 1;
        let remote = conn
            .remote_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        println!(
            "accepted #{k} {remote} after {:.3}s",
            start.elapsed().as_secs_f64()
        );
        gort::go!({
            if let Err(e) = conn.write_all(format!("accepted #{k}\n").as_bytes()) {
                eprintln!("write {remote}: {e}");
            }
        });
    }
}
