//! A line-based chat room: every line a client sends reaches every other
//! client as `[ADDR] line`, where ADDR is the sender's address, and
//! everyone hears `* ADDR joined` and `* ADDR left`.
//!
//! It shows many goroutines sharing state: one reader goroutine per
//! client, and a hub (the set of connected clients) that each of them
//! locks just long enough to copy the list, then writes to the others
//! with no lock held. Writes to one conn from several goroutines are safe:
//! each `write` call sends its whole buffer under the conn's write lock
//! (Go's `fdMutex`), so lines never interleave.
//!
//! ```text
//! cargo run --release --example chat [ADDR]             # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                                     # in two or more terminals
//! ```
//!
//! A newcomer is greeted with `* welcome ADDR (N here)`. The server prints
//! `listening on ADDR`, then the join and leave lines.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gort::net::TcpConn;

/// How long one client may take to accept a line before it is dropped;
/// bounds how long a stuck client can hold up the sender's goroutine.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The connected clients, by id.
///
/// This is a plain `std::sync::Mutex` because gort has no channels yet.
/// It is held only to insert, remove or copy the list, never across a
/// write or any other call that can park, since a goroutine may resume on
/// another thread (see the README's rules). Once gort has channels this
/// becomes Go's usual hub: one goroutine owning the map, fed by `join`,
/// `leave` and `message` channels.
type Clients = Arc<Mutex<HashMap<u64, Arc<TcpConn>>>>;

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
    let clients = Clients::default();
    let mut next_id = 0u64;
    loop {
        match ln.accept() {
            Ok(conn) => {
                next_id += 1;
                let clients = clients.clone();
                gort::go!(client(next_id, Arc::new(conn), clients));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

/// Adds one client to the room, broadcasts its lines until it leaves, and
/// removes it.
fn client(id: u64, conn: Arc<TcpConn>, clients: Clients) {
    let who = conn.remote_addr().to_string();
    let here = {
        let mut list = lock(&clients);
        list.insert(id, conn.clone());
        list.len()
    };
    println!("* {who} joined");
    broadcast(&clients, id, &format!("* {who} joined\n"));
    // The others were sent the join line before the newcomer gets this.
    send(&conn, &format!("* welcome {who} ({here} here)\n"));
    let mut line = Vec::new();
    let mut reader = std::io::BufReader::new(&*conn);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\r', '\n']);
                broadcast(&clients, id, &format!("[{who}] {text}\n"));
            }
            Err(e) => {
                // A close by `send` (a stuck client) lands here too.
                if !gort::net::is_closed(&e) {
                    eprintln!("{e}");
                }
                break;
            }
        }
    }
    lock(&clients).remove(&id);
    let _ = conn.close();
    println!("* {who} left");
    broadcast(&clients, id, &format!("* {who} left\n"));
}

/// Sends `msg` to every client but `from`.
fn broadcast(clients: &Clients, from: u64, msg: &str) {
    // Copy the list, then drop the guard at the end of this statement:
    // writes park, and a std guard must not be held across that.
    let others: Vec<Arc<TcpConn>> = lock(clients)
        .iter()
        .filter(|(id, _)| **id != from)
        .map(|(_, c)| c.clone())
        .collect();
    for conn in others {
        send(&conn, msg);
    }
}

/// Writes `msg` to `conn` in one call, so that it is not interleaved with
/// other goroutines' lines. A client too slow to take it within
/// [`WRITE_TIMEOUT`], or gone, is closed: its reader goroutine then sees
/// the close and leaves.
fn send(conn: &TcpConn, msg: &str) {
    let sent = conn
        .set_write_deadline(Some(Instant::now() + WRITE_TIMEOUT))
        .and_then(|()| conn.write(msg.as_bytes()));
    if let Err(e) = sent {
        if !gort::net::is_closed(&e) {
            eprintln!("{e}");
        }
        let _ = conn.close();
    }
}

/// Locks the client list. A goroutine that panicked while holding it
/// left the map itself intact (every change is one call), so a poisoned
/// lock is used as is.
fn lock(clients: &Clients) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<TcpConn>>> {
    clients.lock().unwrap_or_else(|e| e.into_inner())
}
