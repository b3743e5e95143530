//! An echo server that shuts down gracefully on `SIGINT` or `SIGTERM`, in
//! the shape of Go's `http.Server.Shutdown`: stop accepting, close idle
//! connections, let busy ones finish, give up on stragglers after a grace
//! period.
//!
//! ```text
//! cargo run --release --example graceful_shutdown -- [--addr ADDR] [--grace SECS]
//!                                   # defaults 127.0.0.1:8080 and 5 s
//! nc 127.0.0.1 8080                 # type a few letters, no Enter yet...
//! kill -TERM <pid>                  # ...or Ctrl-C the server; then finish the line
//! ```
//!
//! It echoes bytes as they arrive. A line is one exchange: a connection is
//! *busy* from the first byte of a line until the server has echoed its
//! newline, *idle* in between. On the first `SIGINT`/`SIGTERM`
//! (`gort::signal::notify`, Go's `signal.Notify`) the server:
//!
//! 1. closes the listener: new clients are refused, and the accept loop
//!    ends with "use of closed network connection";
//! 2. closes every idle connection at once;
//! 3. lets each busy connection finish its line, then closes it;
//! 4. waits for all connection goroutines (a `WaitGroup`, whose `wait` in a
//!    helper goroutine closes a channel) in a `select!` against
//!    `gort::time::after(grace)` and a second signal;
//! 5. if the grace period ends first, or a second signal comes, closes the
//!    stragglers (their goroutines' reads fail and they return);
//! 6. prints `shutdown complete: ...` and exits.
//!
//! Exit status: 0 when every connection finished within the grace period
//! (none had to be cut), 1 when some were force-closed (as a Go program
//! that treats `Shutdown`'s `context.DeadlineExceeded` as an error) or the
//! server could not start, 2 for bad arguments.
//!
//! A client whose bytes arrive just as its idle connection is closed loses
//! them, as with Go's `Shutdown`: the server cannot tell "about to speak"
//! from "idle". Output, one line each: `listening on ADDR`, then
//! `shutdown: got SIGTERM; listener closed, N idle connection(s) closed,
//! waiting up to 5s for M busy`, `accept loop ended: accept tcp ADDR: use of
//! closed network connection`, possibly `shutdown: grace period over;
//! force-closing K connection(s)` (or `second signal SIGINT`), and
//! `shutdown complete: A accepted, F finished, I closed idle, K force-closed`.

use std::collections::HashMap;
use std::io;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gort::chan;
use gort::net::{TcpConn, TcpListener};
use gort::signal::{self, SIGINT, SIGTERM};
use gort::sync::WaitGroup;

const USAGE: &str = "usage: graceful_shutdown [--addr ADDR] [--grace SECS]";

/// Command-line settings.
struct Options {
    addr: String,
    grace: Duration,
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("graceful_shutdown: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match gort::run(move || serve(opts)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("graceful_shutdown: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        addr: "127.0.0.1:8080".to_string(),
        grace: Duration::from_secs(5),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => opts.addr = value()?,
            "--grace" => {
                let v = value()?;
                opts.grace = parse_duration(&v).ok_or(format!(
                    "invalid grace period {v:?} (try 5, 0.3, 500ms or 2s)"
                ))?;
            }
            "-h" | "--help" => return Err("help requested".to_string()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

/// Parses `5`, `0.3`, `500ms` or `2s`.
fn parse_duration(s: &str) -> Option<Duration> {
    let (num, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(secs) = s.strip_suffix('s') {
        (secs, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v * scale < 1e9).then(|| Duration::from_secs_f64(v * scale))
}

/// The open connections and the shutdown's bookkeeping, under one lock.
#[derive(Default)]
struct Conns {
    /// Set once, when the first signal arrives.
    shutting_down: bool,
    /// Each open connection by id, and whether it is busy (mid-line).
    open: HashMap<u64, Entry>,
    next_id: u64,
    /// Counts for the summary line.
    accepted: u64,
    finished: u64,
    closed_idle: u64,
    forced: u64,
}

struct Entry {
    conn: Arc<TcpConn>,
    busy: bool,
}

type Shared = Arc<Mutex<Conns>>;

/// Locks the registry. A handler that panicked while holding it cannot
/// have left it half-updated (every update is a single step), so a
/// poisoned lock is still usable.
fn lock(conns: &Shared) -> MutexGuard<'_, Conns> {
    conns.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves until a signal, then shuts down; returns how many connections had
/// to be force-closed.
fn serve(opts: Options) -> io::Result<u64> {
    // Subscribe before listening: once "listening on" is printed, a signal
    // means shutdown, never sudden death.
    let sigs = signal::notify(&[SIGINT, SIGTERM])?;
    let laddr = gort::net::resolve_tcp_addr("tcp", &opts.addr)?;
    let ln = Arc::new(gort::net::listen_tcp("tcp", Some(&laddr))?);
    println!("listening on {}", ln.addr());

    let conns: Shared = Arc::default();
    let wg = Arc::new(WaitGroup::new());
    let accept_loop = {
        let (ln, conns, wg) = (ln.clone(), conns.clone(), wg.clone());
        gort::spawn(move || accept_loop(&ln, &conns, &wg))
    };

    // 1. Wait for the first signal.
    let Some(sig) = sigs.c.recv() else {
        return Err(io::Error::other("the signal channel closed"));
    };
    // 2. No new connections; idle ones go now. Set the flag first: a
    // connection accepted from now on is closed at once.
    let (idle, busy) = {
        let mut c = lock(&conns);
        c.shutting_down = true;
        let ids: Vec<u64> = c
            .open
            .iter()
            .filter(|(_, e)| !e.busy)
            .map(|(&id, _)| id)
            .collect();
        c.closed_idle += ids.len() as u64;
        let idle: Vec<Arc<TcpConn>> = ids
            .iter()
            .filter_map(|id| c.open.remove(id))
            .map(|e| e.conn)
            .collect();
        (idle, c.open.len())
    };
    let _ = ln.close();
    for conn in &idle {
        let _ = conn.close();
    }
    println!(
        "shutdown: got {sig:?}; listener closed, {} idle connection(s) closed, \
         waiting up to {:?} for {busy} busy",
        idle.len(),
        opts.grace
    );
    match accept_loop.join() {
        Ok(e) => println!("accept loop ended: {e}"),
        Err(_) => eprintln!("graceful_shutdown: the accept loop panicked"),
    }

    // 3. Let busy connections finish, within the grace period.
    let (done_tx, all_done) = chan::bounded::<()>(0);
    {
        let wg = wg.clone();
        // Closes `all_done` (by dropping the only sender) when the count is zero.
        gort::go!({
            wg.wait();
            drop(done_tx);
        });
    }
    let cut = gort::select! {
        recv(all_done) -> _ => None,
        recv(gort::time::after(opts.grace)) -> _ => Some("grace period over".to_string()),
        recv(sigs.c) -> s => Some(match s {
            Some(s) => format!("second signal {s:?}"),
            None => "signal channel closed".to_string(),
        }),
    };
    if let Some(why) = cut {
        let stragglers: Vec<Arc<TcpConn>> = {
            let mut c = lock(&conns);
            c.forced += c.open.len() as u64;
            c.open.drain().map(|(_, e)| e.conn).collect()
        };
        println!(
            "shutdown: {why}; force-closing {} connection(s)",
            stragglers.len()
        );
        for conn in &stragglers {
            let _ = conn.close();
        }
        // Their reads fail at once, so the goroutines return promptly.
        gort::select! {
            recv(all_done) -> _ => {},
            recv(gort::time::after(Duration::from_secs(5))) -> _ => {
                eprintln!("graceful_shutdown: connection goroutines still running after force close");
            },
        }
    }
    let c = lock(&conns);
    println!(
        "shutdown complete: {} accepted, {} finished, {} closed idle, {} force-closed",
        c.accepted, c.finished, c.closed_idle, c.forced
    );
    Ok(c.forced)
}

/// Accepts connections until the listener is closed; returns the error
/// that ended it ("use of closed network connection" after shutdown).
fn accept_loop(ln: &TcpListener, conns: &Shared, wg: &Arc<WaitGroup>) -> io::Error {
    loop {
        let conn = match ln.accept() {
            Ok(c) => Arc::new(c),
            Err(e) if gort::net::is_closed(&e) => return e,
            Err(e) => {
                // Out of descriptors or similar: see emfile_backoff for
                // net/http's backoff. Here a short pause is enough.
                eprintln!("graceful_shutdown: accept: {e}");
                gort::time::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let id = {
            let mut c = lock(conns);
            if c.shutting_down {
                // Accepted in the instant before the listener closed.
                drop(c);
                let _ = conn.close();
                continue;
            }
            c.accepted += 1;
            let id = c.next_id;
            c.next_id += 1;
            c.open.insert(
                id,
                Entry {
                    conn: conn.clone(),
                    busy: false,
                },
            );
            id
        };
        let conns = conns.clone();
        wg.go(move || handle(&conn, id, &conns));
    }
}

/// Echoes what arrives, tracking whether a line is in progress; during
/// shutdown, closes the connection once its line is done.
fn handle(conn: &TcpConn, id: u64, conns: &Shared) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match conn.read(&mut buf) {
            // The client hung up, or shutdown closed the connection.
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let data = &buf[..n];
        let busy = data.last() != Some(&b'\n');
        let last_exchange = {
            let mut c = lock(conns);
            let Some(entry) = c.open.get_mut(&id) else {
                // Closed by shutdown as idle (or cut) just as these bytes
                // came: they are dropped.
                return;
            };
            entry.busy = busy;
            if c.shutting_down && !busy {
                c.open.remove(&id);
                c.finished += 1;
                true
            } else {
                false
            }
        };
        if conn.write_all(data).is_err() {
            break;
        }
        if last_exchange {
            let _ = conn.close();
            return;
        }
    }
    let mut c = lock(conns);
    if c.open.remove(&id).is_some() && c.shutting_down {
        // A busy client that hung up during the grace period finished too.
        c.finished += 1;
    }
    drop(c);
    let _ = conn.close();
}
