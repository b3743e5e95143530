//! A line-based chat room: every line a client sends reaches every other
//! client as `[ADDR] line`, where ADDR is the sender's address, and
//! everyone hears `* ADDR joined` and `* ADDR left`.
//!
//! It is Go's classic channel hub. One goroutine, the broadcaster, owns the
//! set of clients; nobody else touches it, so it needs no lock. The others
//! talk to it over three channels: `entering` (a new client and the
//! channel its lines go out on), `leaving`, and `messages`. Each client has
//! a reader goroutine (lines in, to `messages`) and a writer goroutine (its
//! own channel out, to the socket), so a slow client only ever slows
//! itself: the broadcaster hands it lines with `try_send`, and a client
//! whose queue is full is dropped.
//!
//! ```text
//! cargo run --release --example chat -- [ADDR]             # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                                     # in two or more terminals
//! ```
//!
//! A newcomer is greeted with `* welcome ADDR (N here)`, after the others
//! were told it joined. The server prints `listening on ADDR`, then the
//! join and leave lines.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gort::chan::{self, Receiver, Sender};
use gort::net::TcpConn;

/// Lines queued for one client before it counts as stuck and is dropped.
const QUEUE: usize = 64;
/// How long one client may take to accept a line.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// A client as the broadcaster knows it.
struct Client {
    who: String,
    /// Its writer goroutine's queue; dropping it ends the writer.
    out: Sender<String>,
    conn: Arc<TcpConn>,
}

/// What the other goroutines tell the broadcaster.
struct Hub {
    entering: Sender<(u64, Client)>,
    leaving: Sender<u64>,
    messages: Sender<(u64, String)>,
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let Err(e) = gort::run(move || serve(&addr));
    eprintln!("chat: {e}");
    std::process::exit(1);
}

/// Accepts clients on `addr`; returns only on error.
fn serve(addr: &str) -> std::io::Result<std::convert::Infallible> {
    let laddr = gort::net::resolve_tcp_addr("tcp", addr)?;
    let ln = gort::net::listen_tcp("tcp", Some(&laddr))?;
    println!("listening on {}", ln.addr());
    let (entering, entering_rx) = chan::bounded(0);
    let (leaving, leaving_rx) = chan::bounded(0);
    let (messages, messages_rx) = chan::bounded(0);
    gort::go!(broadcaster(entering_rx, leaving_rx, messages_rx));
    let hub = Arc::new(Hub {
        entering,
        leaving,
        messages,
    });
    let mut next_id = 0u64;
    loop {
        match ln.accept() {
            Ok(conn) => {
                next_id += 1;
                let hub = hub.clone();
                gort::go!(client(next_id, Arc::new(conn), hub));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

/// Owns the room: the only goroutine that reads or changes `clients`.
fn broadcaster(
    entering: Receiver<(u64, Client)>,
    leaving: Receiver<u64>,
    messages: Receiver<(u64, String)>,
) {
    let mut clients: HashMap<u64, Client> = HashMap::new();
    loop {
        gort::select! {
            recv(entering) -> c => {
                let Some((id, c)) = c else { return };
                println!("* {} joined", c.who);
                broadcast(&mut clients, id, format!("* {} joined\n", c.who));
                let welcome = format!("* welcome {} ({} here)\n", c.who, clients.len() + 1);
                let _ = c.out.try_send(welcome);
                clients.insert(id, c);
            },
            recv(leaving) -> id => {
                let Some(id) = id else { return };
                // Absent if it was already dropped as stuck.
                if let Some(c) = clients.remove(&id) {
                    println!("* {} left", c.who);
                    broadcast(&mut clients, id, format!("* {} left\n", c.who));
                }
            },
            recv(messages) -> m => {
                let Some((from, line)) = m else { return };
                broadcast(&mut clients, from, line);
            },
        }
    }
}

/// Queues `msg` for every client but `from`; drops those whose queue is
/// full (closing the conn ends their reader, which then reports leaving).
fn broadcast(clients: &mut HashMap<u64, Client>, from: u64, msg: String) {
    clients.retain(|id, c| {
        if *id == from {
            return true;
        }
        match c.out.try_send(msg.clone()) {
            Ok(()) => true,
            Err(_) => {
                eprintln!("dropping {}: too slow", c.who);
                let _ = c.conn.close();
                false
            }
        }
    });
}

/// One client: announces it, forwards its lines, and reports it gone.
fn client(id: u64, conn: Arc<TcpConn>, hub: Arc<Hub>) {
    let who = conn
        .remote_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (out, queue) = chan::bounded(QUEUE);
    let writer_conn = conn.clone();
    let writer = gort::spawn(move || client_writer(&writer_conn, queue));
    let entered = hub.entering.send((
        id,
        Client {
            who: who.clone(),
            out,
            conn: conn.clone(),
        },
    ));
    if entered.is_ok() {
        let mut line = Vec::new();
        let mut reader = std::io::BufReader::new(conn.as_ref());
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end_matches(['\r', '\n']);
                    if hub
                        .messages
                        .send((id, format!("[{who}] {text}\n")))
                        .is_err()
                    {
                        break;
                    }
                }
                Err(e) => {
                    // A close by the broadcaster (a stuck client) lands here.
                    if !gort::net::is_closed(&e) {
                        eprintln!("{e}");
                    }
                    break;
                }
            }
        }
        let _ = hub.leaving.send(id);
    }
    // The broadcaster dropped our queue's sender: the writer drains and ends.
    let _ = writer.join();
    let _ = conn.close();
}

/// Writes the client's queued lines to its conn, each in one call so that
/// lines never interleave, until the queue is closed.
fn client_writer(conn: &TcpConn, queue: Receiver<String>) {
    for msg in &queue {
        let sent = conn
            .set_write_deadline(Some(Instant::now() + WRITE_TIMEOUT))
            .and_then(|()| conn.write_all(msg.as_bytes()));
        if let Err(e) = sent {
            if !gort::net::is_closed(&e) {
                eprintln!("{e}");
            }
            let _ = conn.close();
            return;
        }
    }
}
