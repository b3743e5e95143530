//! 10,000 concurrent TCP connections, each echoing 100 messages, all data
//! checked: the scale a Go server handles without thought.
//!
//! The hard `RLIMIT_NOFILE` here is 20,000 descriptors per process and
//! cannot be raised, so the two sides live in two processes: this test
//! process runs the server (a gort listener and one goroutine per accepted
//! conn, as in `examples/echo_server.rs`), and a child process (this test
//! binary re-run with [`CHILD_ENV`] naming the server's address) runs the
//! 10,000 clients as goroutines. Both raise their soft limit to the hard one.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use gort::net::{self, TcpConn};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

/// Set (to the server's address) in the child's environment.
const CHILD_ENV: &str = "GORT_TCP_10K_SERVER";
/// The test's name, for re-running it in child mode (`--exact`).
const TEST: &str = "ten_thousand_connections_each_echo_100_messages";
/// Connections open at once.
const CONNS: usize = 10_000;
/// Messages per connection.
const ROUNDS: u32 = 100;
/// Bytes per message.
const MSG: usize = 32;
/// Descriptors each process needs beside its 10,000 sockets.
const HEADROOM: u64 = 500;
/// How long either side may take before it gives up as hung.
const LIMIT: Duration = Duration::from_secs(240);

/// The message client `i` sends in round `round`: its numbers, then a
/// pattern derived from them, so a byte from another conn or round shows.
fn message(i: usize, round: u32) -> [u8; MSG] {
    let mut m = [0u8; MSG];
    m[..4].copy_from_slice(&(i as u32).to_le_bytes());
    m[4..8].copy_from_slice(&round.to_le_bytes());
    for (k, b) in m[8..].iter_mut().enumerate() {
        *b = (i as u8) ^ (round as u8).wrapping_mul(7) ^ (k as u8).wrapping_mul(13);
    }
    m
}

#[test]
fn ten_thousand_connections_each_echo_100_messages() {
    // Beyond LIMIT, so that a slow child fails by `wait_exit` below, and the
    // watchdog catches only a hang elsewhere (the server, a runtime drop).
    let w = watchdog::start(TEST, LIMIT + Duration::from_secs(60));
    if let Some(addr) = std::env::var_os(CHILD_ENV) {
        return clients(addr.to_str().unwrap());
    }
    let limit = gort_poll::raise_nofile_limit().unwrap();
    if limit < CONNS as u64 + HEADROOM {
        eprintln!(
            "skipping {TEST}: RLIMIT_NOFILE hard limit {limit} < {}",
            CONNS as u64 + HEADROOM
        );
        return;
    }
    let (tx, rx) = mpsc::channel();
    // The server runs on its own thread so that this one can bound it.
    let server = std::thread::spawn(move || serve(tx));
    let addr = rx.recv().unwrap();
    // The child's stdout (libtest's chatter) is dropped; its stderr (panics)
    // is ours.
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture"])
        .env(CHILD_ENV, &addr)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let child = Arc::new(Mutex::new(child));
    let _reaper = KillOnDrop(child.clone());
    // The child would outlive a hung parent.
    let reaped = child.clone();
    w.on_expiry(move || drop(KillOnDrop(reaped)));
    let status = wait_exit(&child, LIMIT);
    // The server stops accepting once the child has gone (see `serve`).
    CHILD_GONE.store(true, Ordering::Release);
    let served = server.join().unwrap();
    let status = status.expect("the client process did not finish in time");
    assert!(status.success(), "client process: {status}");
    assert_eq!(served.len(), CONNS, "connections served");
    let bad: Vec<_> = served
        .iter()
        .filter(|r| !matches!(r, Ok(n) if *n == u64::from(ROUNDS) * MSG as u64))
        .take(3)
        .collect();
    assert!(bad.is_empty(), "conns that did not echo it all: {bad:?}");
}

/// Set once the child process has exited. Release/Acquire: the flag is the
/// whole message.
static CHILD_GONE: AtomicBool = AtomicBool::new(false);

/// Accepts [`CONNS`] connections and echoes each until EOF; returns the
/// bytes each echoed (or its error). Sends the listening address first.
fn serve(addr_tx: mpsc::Sender<String>) -> Vec<Result<u64, String>> {
    gort::run(move || {
        let ln = net::listen_tcp("tcp", Some(&"127.0.0.1:0".parse().unwrap())).unwrap();
        addr_tx.send(ln.addr().to_string()).unwrap();
        let start = Instant::now();
        let mut handlers = Vec::with_capacity(CONNS);
        while handlers.len() < CONNS && start.elapsed() < LIMIT {
            // Wake up each second to see whether the clients are gone.
            ln.set_deadline(Some(Instant::now() + Duration::from_secs(1)))
                .unwrap();
            match ln.accept() {
                Ok(c) => handlers.push(gort::spawn(move || echo(c))),
                Err(e) if net::is_timeout(&e) => {
                    if CHILD_GONE.load(Ordering::Acquire) {
                        break;
                    }
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
        handlers.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Echoes through a 4 KiB buffer until EOF; returns the bytes echoed.
fn echo(c: TcpConn) -> Result<u64, String> {
    c.set_deadline(Some(Instant::now() + LIMIT)).unwrap();
    let mut buf = [0u8; 4096];
    let mut total = 0u64;
    loop {
        let n = c.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Ok(total);
        }
        c.write_all(&buf[..n]).map_err(|e| format!("write: {e}"))?;
        total += n as u64;
    }
}

/// Child mode: 10,000 client goroutines, all connected at once, each
/// sending [`ROUNDS`] messages and checking every echo.
fn clients(addr: &str) {
    let limit = gort_poll::raise_nofile_limit().unwrap();
    assert!(
        limit >= CONNS as u64 + HEADROOM,
        "child: RLIMIT_NOFILE {limit}"
    );
    let addr = addr.to_string();
    let failed = gort::run(move || {
        let raddr = net::resolve_tcp_addr("tcp", &addr).unwrap();
        let deadline = Instant::now() + LIMIT;
        // Everyone connects first, then everyone talks: 10,000 connections
        // are open together.
        let conns: Vec<_> = (0..CONNS)
            .map(|_| {
                let raddr = raddr.clone();
                gort::spawn(move || net::dial_tcp("tcp", None, &raddr))
            })
            .collect();
        let conns: Vec<TcpConn> = conns
            .into_iter()
            .enumerate()
            .map(|(i, h)| {
                h.join()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("dial {i}: {e}"))
            })
            .collect();
        let talkers: Vec<_> = conns
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                gort::spawn(move || -> Result<(), String> {
                    c.set_deadline(Some(deadline)).unwrap();
                    let mut echo = [0u8; MSG];
                    for round in 0..ROUNDS {
                        let m = message(i, round);
                        c.write_all(&m)
                            .and_then(|()| (&c).read_exact(&mut echo))
                            .map_err(|e| format!("conn {i}, round {round}: {e}"))?;
                        if echo != m {
                            return Err(format!("conn {i}, round {round}: wrong echo"));
                        }
                    }
                    // Dropping `c` closes it: the server's echo sees EOF.
                    Ok(())
                })
            })
            .collect();
        let errs: Vec<String> = talkers
            .into_iter()
            .filter_map(|t| t.join().unwrap().err())
            .collect();
        errs
    });
    assert!(
        failed.is_empty(),
        "{} conns failed, first: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );
}

/// Waits up to `limit` for the child to exit; `None` if it did not.
fn wait_exit(child: &Mutex<Child>, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        let st = child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_wait()
            .unwrap();
        if st.is_some() {
            return st;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Kills and reaps the child when dropped, on every way out of the test.
struct KillOnDrop(Arc<Mutex<Child>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Both are no-ops on a child already reaped.
        let _ = c.kill();
        let _ = c.wait();
    }
}
