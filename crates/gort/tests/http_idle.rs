//! The server's timeouts against real sockets, and the descriptors they
//! give back: 10,000 idle keep-alive connections closed by
//! `Server::idle_timeout`, and a slow-loris client cut off by
//! `read_header_timeout`.
//!
//! The server runs in this test process, so that its open descriptors can
//! be counted (`/proc/self/fd`). Each test waits, with a bounded poll, for
//! the count to come back to what it was before the clients came. The two
//! tests take turns ([`FD_TESTS`]): descriptors opened by one would show in
//! the other's count.
//!
//! The hard `RLIMIT_NOFILE` here is 20,000 per process, so the 10,000
//! clients live in a child process: this test binary run again with
//! [`CHILD_ENV`] naming the server's address (as `net/tests/tcp_10k.rs`
//! does). Both processes raise their soft limit to the hard one.

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gort::http::{self, Request, ResponseWriter, Server};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

/// Held by each test: one at a time, so each sees only its own
/// descriptors.
static FD_TESTS: Mutex<()> = Mutex::new(());

/// Set (to the server's address) in the child's environment.
const CHILD_ENV: &str = "GORT_HTTP_IDLE_SERVER";
/// The idle test's name, for re-running it in child mode (`--exact`).
const IDLE_TEST: &str = "idle_keep_alive_connections_are_closed_and_their_descriptors_freed";
/// Idle connections, in every build: 10,000 take about a second in a
/// debug build on 2 cores, so there is no need to scale them down there.
const CONNS: usize = 10_000;
/// The server's idle timeout.
const IDLE: Duration = Duration::from_millis(200);
/// Descriptors each process needs beside its sockets.
const HEADROOM: u64 = 500;
/// The bound on each side of the idle test: the child's run, the
/// descriptors' return.
const LIMIT: Duration = Duration::from_secs(120);
/// The reply to every request.
const REPLY: &[u8] = b"ok\n";

/// Open descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Polls (every 20 ms, at most `limit`) until this process has `want`
/// open descriptors; returns how long that took, or panics with the count.
fn wait_for_fds(want: usize, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let now = open_fds();
        if now == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{now} descriptors open after {limit:?}, want {want}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// A server on 127.0.0.1:0 in a runtime of its own thread; closed (and
/// its runtime dropped) by [`Serving::stop`].
struct Serving {
    addr: String,
    /// Dropping it tells the runtime's main goroutine to close the server.
    stop: Option<gort::chan::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Serving {
    fn start(srv: Server) -> Serving {
        let (tx, rx) = mpsc::channel();
        let thread = thread::spawn(move || {
            gort::run(move || {
                let srv = Arc::new(srv);
                let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
                let (stop_tx, stop_rx) = gort::chan::bounded::<()>(1);
                tx.send((ln.addr().to_string(), stop_tx)).unwrap();
                let s = srv.clone();
                let serving = gort::spawn(move || s.serve(ln));
                // None: the sender was dropped.
                let _ = stop_rx.recv();
                srv.close().unwrap();
                let err = serving.join().unwrap().unwrap_err();
                assert!(http::is_server_closed(&err), "{err}");
            })
        });
        let (addr, stop) = rx.recv().unwrap();
        Serving {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        drop(self.stop.take());
        self.thread.take().unwrap().join().unwrap();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        drop(self.stop.take());
        // On a failing test's unwind, do not wait for the thread: the
        // watchdog bounds the process.
    }
}

fn ok_handler(w: &mut dyn ResponseWriter, _r: &mut Request) {
    w.header().set("Content-Type", "text/plain");
    let _ = w.write_all(REPLY);
}

#[test]
fn idle_keep_alive_connections_are_closed_and_their_descriptors_freed() {
    // Beyond the two LIMITs, so that those fail first with their message.
    let w = watchdog::start(IDLE_TEST, 2 * LIMIT + Duration::from_secs(60));
    if let Some(addr) = std::env::var_os(CHILD_ENV) {
        return clients(addr.to_str().unwrap());
    }
    let _turn = FD_TESTS.lock().unwrap_or_else(PoisonError::into_inner);
    let limit = gort_poll::raise_nofile_limit().unwrap();
    if limit < CONNS as u64 + HEADROOM {
        eprintln!(
            "skipping {IDLE_TEST}: RLIMIT_NOFILE hard limit {limit} < {}",
            CONNS as u64 + HEADROOM
        );
        return;
    }
    let server = Serving::start(Server {
        handler: Some(Arc::new(ok_handler)),
        idle_timeout: Some(IDLE),
        read_header_timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    });
    let baseline = open_fds();
    let start = Instant::now();

    // The child's stdout carries libtest's chatter and the result line;
    // its stderr (panics) is ours.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", IDLE_TEST, "--nocapture"])
        .env(CHILD_ENV, &server.addr)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Arc::new(Mutex::new(child));
    let _reaper = KillOnDrop(child.clone());
    let reaped = child.clone();
    w.on_expiry(move || drop(KillOnDrop(reaped)));
    let output = thread::spawn(move || {
        let mut s = String::new();
        let _ = BufReader::new(stdout).read_to_string(&mut s);
        s
    });

    // The peak of the server's descriptors, sampled while the child runs.
    let mut peak = baseline;
    let status = loop {
        let st = child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_wait()
            .unwrap();
        if let Some(st) = st {
            break st;
        }
        assert!(start.elapsed() < LIMIT, "the client process did not finish");
        peak = peak.max(open_fds());
        thread::sleep(Duration::from_millis(50));
    };
    let child_done = start.elapsed();
    let out = output.join().unwrap();
    assert!(status.success(), "client process: {status}\n{out}");
    let result = out
        .lines()
        .find(|l| l.starts_with("idle-clients "))
        .unwrap_or_else(|| panic!("no result line from the child:\n{out}"));

    // Every connection the server accepted is closed: the count is back.
    let settled = wait_for_fds(baseline, LIMIT);
    eprintln!(
        "{CONNS} idle connections ({} build): {result}; server fds {baseline} -> peak {peak} -> \
         {baseline} ({:?} after the child exited); whole test {:?}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        settled,
        child_done + settled,
    );
    // All dial before any sends, and the first close comes an idle timeout
    // after the first request: the server holds (nearly) all at once, and
    // the 50 ms sampler sees it (a tenth spared for a loaded machine).
    assert!(
        peak >= baseline + CONNS * 9 / 10,
        "at most {} connections open at once",
        peak - baseline
    );
    server.stop();
}

/// Child mode: [`CONNS`] clients as goroutines. All connect first; then
/// each sends one request, reads the reply, and waits for the server to
/// close the connection. Prints `idle-clients N eof after MIN..MAX ms`
/// (from each request's sending).
fn clients(addr: &str) {
    let limit = gort_poll::raise_nofile_limit().unwrap();
    assert!(
        limit >= CONNS as u64 + HEADROOM,
        "child: RLIMIT_NOFILE {limit}"
    );
    let addr = addr.to_string();
    let results = gort::run(move || {
        let deadline = Instant::now() + LIMIT;
        let dials: Vec<_> = (0..CONNS)
            .map(|_| {
                let addr = addr.clone();
                gort::spawn(move || gort::net::dial("tcp", &addr))
            })
            .collect();
        let conns: Vec<_> = dials
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
                gort::spawn(move || -> Result<Duration, String> {
                    c.set_deadline(Some(deadline)).unwrap();
                    one_request_then_eof(&*c).map_err(|e| format!("conn {i}: {e}"))
                })
            })
            .collect();
        talkers
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    let errs: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errs.is_empty(),
        "{} of {CONNS} clients failed, first: {:?}",
        errs.len(),
        &errs[..errs.len().min(3)]
    );
    let waits: Vec<Duration> = results.into_iter().map(Result::unwrap).collect();
    let min = waits.iter().min().unwrap();
    let max = waits.iter().max().unwrap();
    // Not closed right after the reply: the server kept each connection
    // until it had been idle for its timeout. (Timed from before the
    // request was sent, which the server's idle time cannot precede; from
    // the client's reading of the reply it would depend on how late that
    // goroutine ran.)
    assert!(
        *min >= IDLE * 9 / 10,
        "a connection closed {min:?} after its request was sent"
    );
    println!(
        "idle-clients {} eof after {}..{} ms",
        waits.len(),
        min.as_millis(),
        max.as_millis()
    );
}

/// Sends a request, reads its reply (which must keep the connection
/// open), then reads until the server closes; returns the time from just
/// before the request was sent to the close.
fn one_request_then_eof(c: &dyn gort::net::Conn) -> Result<Duration, String> {
    let sent_at = Instant::now();
    c.write_all(b"GET / HTTP/1.1\r\nHost: gort.test\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    // The head and the 3-byte body; the reply is one small write.
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    let head_end = loop {
        let n = c.read(&mut buf).map_err(|e| format!("read reply: {e}"))?;
        if n == 0 {
            return Err(format!("EOF before the reply: {got:?}"));
        }
        got.extend_from_slice(&buf[..n]);
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n")
            && got.len() >= i + 4 + REPLY.len()
        {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_string();
    if !head.starts_with("HTTP/1.1 200 OK\r\n")
        || !head.contains("\r\nContent-Length: 3\r\n")
        || head.contains("Connection: close")
        || &got[head_end..] != REPLY
    {
        return Err(format!(
            "unexpected reply {:?}",
            String::from_utf8_lossy(&got)
        ));
    }
    match c.read(&mut buf) {
        Ok(0) => Ok(sent_at.elapsed()),
        Ok(n) => Err(format!("{n} bytes after the reply")),
        Err(e) => Err(format!("waiting for EOF: {e}")),
    }
}

/// Kills and reaps the child when dropped, on every way out of the test.
struct KillOnDrop(Arc<Mutex<Child>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = c.kill();
        let _ = c.wait();
    }
}

#[test]
fn a_slow_loris_client_is_cut_off_by_read_header_timeout() {
    let _w = watchdog::start(
        "a_slow_loris_client_is_cut_off_by_read_header_timeout",
        watchdog::LIMIT,
    );
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // not this test's child
    }
    let _turn = FD_TESTS.lock().unwrap_or_else(PoisonError::into_inner);
    let header_timeout = Duration::from_millis(500);
    let server = Serving::start(Server {
        handler: Some(Arc::new(ok_handler)),
        read_header_timeout: Some(header_timeout),
        ..Default::default()
    });

    let baseline = open_fds();

    // A well-behaved client first: the server answers, and its side of
    // the connection is released after.
    let mut fast = TcpStream::connect(&server.addr).unwrap();
    fast.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    fast.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    fast.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("\r\n\r\nok\n"), "{reply}");
    drop(fast);
    wait_for_fds(baseline, Duration::from_secs(10));

    // The slow one: a byte every 100 ms of a head that would take over 5 s.
    let head: &[u8] =
        b"GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: slow-loris\r\nX-Padding: aaaaaaaaaa\r\n\r\n";
    let slow = TcpStream::connect(&server.addr).unwrap();
    // The server's header deadline starts after this: it accepts later.
    let started = Instant::now();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The client's side and the server's once it has accepted.
    wait_for_fds(baseline + 2, Duration::from_secs(10));
    // A reader notices the close while the writer trickles.
    let mut reader = slow.try_clone().unwrap();
    let closed = thread::spawn(move || {
        let mut rest = Vec::new();
        let res = reader.read_to_end(&mut rest);
        (Instant::now(), res.map(|_| rest))
    });
    let mut w = &slow;
    let mut sent = 0;
    for &b in head {
        if closed.is_finished() || w.write_all(&[b]).is_err() {
            break;
        }
        sent += 1;
        thread::sleep(Duration::from_millis(100));
    }
    let (at, res) = closed.join().unwrap();
    let cut_after = at - started;
    match res {
        // A FIN, with nothing sent back: no reply to a head never finished.
        Ok(rest) => assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest)),
        // Or a reset, if a byte arrived after the server closed.
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert!(sent < head.len(), "the whole head got through");
    assert!(
        cut_after >= header_timeout * 9 / 10 && cut_after < header_timeout + Duration::from_secs(3),
        "cut off after {cut_after:?} ({sent} bytes sent)"
    );
    drop(slow);
    // Both sides' descriptors are released.
    let freed = wait_for_fds(baseline, Duration::from_secs(10));
    eprintln!(
        "slow loris: cut off after {cut_after:?}, {sent} of {} bytes sent; fds back in {freed:?}",
        head.len()
    );
    server.stop();
}
