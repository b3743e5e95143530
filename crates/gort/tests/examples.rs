//! Runs the example programs and talks to them over loopback, as a user
//! would: start the binary on port 0 (or a temporary socket path), read the
//! address it prints, connect with std's blocking sockets.
//!
//! `cargo test` builds the examples next to the test binaries
//! (`target/<profile>/examples/`), which is where these tests find them.
//!
//! Everything is bounded: every socket read has a 10 s timeout, lines from
//! an example's stdout are awaited for at most 10 s, an example that should
//! exit is killed if it has not within 10 s, and a running example is
//! killed when its test ends (the `Running` guard). Each test also runs
//! under a watchdog (`runtime/tests/support/watchdog.rs`) that fails the
//! binary with the test's name if the test is not done in a minute.
//!
//! Examples start with SIGINT, SIGTERM and SIGHUP at their default action
//! and no signal blocked, whatever the test process inherited (`nohup`, a
//! background job), so the signal tests do not depend on their caller.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixStream;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

#[path = "../../runtime/tests/support/dispositions.rs"]
mod dispositions;

#[path = "support/examples.rs"]
mod examples_support;
use examples_support::{Running, command};

/// The bound on every wait in these tests.
const LIMIT: Duration = Duration::from_secs(10);

impl Running {
    /// Waits (at most [`LIMIT`]) for the example to exit by itself.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the example did not exit");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// An example's stdout, line by line, read by a helper thread so that a
/// silent example fails the test instead of hanging it.
struct Lines(mpsc::Receiver<String>);

impl Lines {
    /// Collects the lines of `r` until it ends.
    fn of(r: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(r).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines(rx)
    }

    /// The next line, waiting at most [`LIMIT`].
    fn line(&self) -> String {
        self.0
            .recv_timeout(LIMIT)
            .expect("no line from the example within the limit")
    }

    /// The address in the first line, `listening on ADDR`.
    fn listening(&self) -> String {
        let first = self.line();
        first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string()
    }

    /// Every line until the example closes its stdout (at most [`LIMIT`]).
    fn rest(&self) -> Vec<String> {
        let deadline = Instant::now() + LIMIT;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return lines,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("stdout still open: {lines:?}"),
            }
        }
    }
}

/// Starts an example with `args` and returns it with its stdout lines;
/// its stderr goes to the test's.
fn start(name: &str, args: &[&str]) -> (Running, Lines) {
    let mut child = command(name)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = Lines::of(child.stdout.take().unwrap());
    (Running(child), out)
}

/// What a finished example did.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs an example with `args` and `input` on its stdin until it exits
/// (killed after [`LIMIT`]).
fn run(name: &str, args: &[&str], input: &str) -> Finished {
    let mut child = command(name)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read_all = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let mut stdin = child.stdin.take().unwrap();
    // An example that exits early closes the pipe: not an error here.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let mut running = Running(child);
    let status = running.wait();
    Finished {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A loopback TCP connection with the test's read timeout.
fn connect(addr: &str) -> TcpStream {
    let c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c
}

/// One line from `r`, newline included.
fn read_line(r: &mut impl BufRead) -> String {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    line
}

/// A std TCP echo peer on loopback serving `conns` connections in turn;
/// the handle returns what each sent.
fn tcp_echo_peer(conns: usize) -> (String, thread::JoinHandle<Vec<Vec<u8>>>) {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap().to_string();
    let peer = thread::spawn(move || {
        (0..conns)
            .map(|_| {
                let (mut c, _) = ln.accept().unwrap();
                c.set_read_timeout(Some(LIMIT)).unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 1024];
                loop {
                    let n = match c.read(&mut buf) {
                        Ok(0) | Err(_) => break got, // the client closed or is gone
                        Ok(n) => n,
                    };
                    got.extend_from_slice(&buf[..n]);
                    if c.write_all(&buf[..n]).is_err() {
                        break got; // the client is gone after its one line
                    }
                }
            })
            .collect()
    });
    (addr, peer)
}

#[test]
fn echo_server_echoes_lines_and_reports_connections() {
    let _w = watchdog::start(
        "echo_server_echoes_lines_and_reports_connections",
        watchdog::LIMIT,
    );
    let (_server, out) = start("echo_server", &["127.0.0.1:0"]);
    let addr = out.listening();
    let mut c = connect(&addr);
    let mut r = BufReader::new(c.try_clone().unwrap());
    for msg in ["hello", "gort", "a longer line with spaces"] {
        writeln!(c, "{msg}").unwrap();
        assert_eq!(read_line(&mut r), format!("{msg}\n"));
    }
    let local = c.local_addr().unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let opened = out.line();
    assert_eq!(opened, format!("new connection: [{addr} --> {local}]"));
    let closed = out.line();
    let sent = "hello\ngort\na longer line with spaces\n".len();
    assert_eq!(
        closed,
        format!("closed: [{addr} --> {local}] read {sent} bytes, wrote {sent} bytes")
    );
}

#[test]
fn echo_once_echoes_one_client_then_exits_0() {
    let _w = watchdog::start("echo_once_echoes_one_client_then_exits_0", watchdog::LIMIT);
    let (mut server, out) = start("echo_once", &["127.0.0.1:0"]);
    let addr = out.listening();
    let mut c = connect(&addr);
    let local = c.local_addr().unwrap();
    assert_eq!(out.line(), format!("accepted {local}"));
    // Any bytes, not only lines.
    let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    c.write_all(&data).unwrap();
    let mut back = vec![0u8; data.len()];
    c.read_exact(&mut back).unwrap();
    assert_eq!(back, data);
    // The listener closed after the one accept.
    assert!(TcpStream::connect(&addr).is_err(), "a second client got in");
    c.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert_eq!(out.line(), format!("echoed {} bytes", data.len()));
    assert!(server.wait().success());
}

#[test]
fn tcp_client_prints_the_reply_line() {
    let _w = watchdog::start("tcp_client_prints_the_reply_line", watchdog::LIMIT);
    let (addr, peer) = tcp_echo_peer(2);
    let done = run("tcp_client", &[&addr, "hello gort"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, "hello gort\n");
    let done = run("tcp_client", &[&addr], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, "hello\n"); // the default message
    assert_eq!(peer.join().unwrap(), [&b"hello gort\n"[..], b"hello\n"]);
}

#[test]
fn stdin_client_sends_stdin_lines_and_prints_replies_until_bye_or_end_of_input() {
    let _w = watchdog::start(
        "stdin_client_sends_stdin_lines_and_prints_replies_until_bye_or_end_of_input",
        watchdog::LIMIT,
    );
    let cases = [
        // `bye` quits, and neither it nor what follows is sent.
        ("one\ntwo words\nbye\nthree\n", "one\ntwo words\n"),
        // So does the end of stdin; a last line gets its newline.
        ("last line without newline", "last line without newline\n"),
    ];
    for (input, sent) in cases {
        let (addr, peer) = tcp_echo_peer(1);
        let done = run("stdin_client", &[&addr], input);
        assert!(done.status.success(), "{}", done.stderr);
        assert_eq!(done.stdout, sent); // the echoed replies
        assert_eq!(peer.join().unwrap(), [sent.as_bytes()]);
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d`
/// (the inverse of the example's `civil_from_days`, counted the plain way).
fn days_since_epoch(y: u64, m: u64, d: u64) -> u64 {
    let leap = |y: u64| y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let years: u64 = (1970..y).map(|y| if leap(y) { 366 } else { 365 }).sum();
    // Days in the year before the first of each month, in a common year.
    const BEFORE: [u64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    years + BEFORE[(m - 1) as usize] + u64::from(m > 2 && leap(y)) + d - 1
}

#[test]
fn time_server_sends_the_current_utc_time_and_closes() {
    let _w = watchdog::start(
        "time_server_sends_the_current_utc_time_and_closes",
        watchdog::LIMIT,
    );
    let (_server, out) = start("time_server", &["127.0.0.1:0"]);
    let addr = out.listening();
    for _ in 0..2 {
        let mut c = connect(&addr);
        let mut text = String::new();
        c.read_to_string(&mut text).unwrap(); // the server closes after one line
        let line = text.strip_suffix('\n').expect("one line");
        // YYYY-MM-DDTHH:MM:SS.mmmZ
        let b = line.as_bytes();
        assert_eq!(b.len(), 24, "{line:?}");
        for (i, sep) in [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (23, b'Z'),
        ] {
            assert_eq!(b[i], sep, "{line:?}");
        }
        let num = |r: std::ops::Range<usize>| line[r].parse::<u64>().unwrap();
        let (mo, d, h, mi, s) = (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
        assert!((1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 60);
        let secs = days_since_epoch(num(0..4), mo, d) * 86_400 + h * 3600 + mi * 60 + s;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(secs.abs_diff(now) < 300, "{line} is not now");
        assert_eq!(
            out.line(),
            format!("sent {line} to {}", c.local_addr().unwrap())
        );
    }
}

#[test]
fn udp_server_echoes_datagrams_to_their_sender() {
    let _w = watchdog::start(
        "udp_server_echoes_datagrams_to_their_sender",
        watchdog::LIMIT,
    );
    let (_server, out) = start("udp_server", &["127.0.0.1:0"]);
    let addr: std::net::SocketAddr = out.listening().parse().unwrap();
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0u8; 2048];
    for msg in [&b"ping"[..], b"a second datagram", &[0u8; 1200]] {
        c.send_to(msg, addr).unwrap();
        let (n, from) = c.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], msg);
        assert_eq!(from, addr);
        assert_eq!(
            out.line(),
            format!("{} bytes from {}", msg.len(), c.local_addr().unwrap())
        );
    }
}

#[test]
fn udp_client_prints_the_reply() {
    let _w = watchdog::start("udp_client_prints_the_reply", watchdog::LIMIT);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(LIMIT)).unwrap();
    let addr = peer.local_addr().unwrap().to_string();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        peer.send_to(&buf[..n], from).unwrap();
        buf[..n].to_vec()
    });
    let done = run("udp_client", &[&addr, "hello udp"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, "hello udp\n");
    assert_eq!(echo.join().unwrap(), b"hello udp");
}

#[test]
fn udp_client_reports_a_timeout_with_gos_text() {
    let _w = watchdog::start(
        "udp_client_reports_a_timeout_with_gos_text",
        watchdog::LIMIT,
    );
    // A peer that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let done = run("udp_client", &[&addr, "anyone?", "300ms"], "");
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stdout, "");
    let err = done.stderr.trim_end();
    assert!(
        err.starts_with("udp_client: read udp 127.0.0.1:")
            && err.ends_with(&format!("->{addr}: i/o timeout")),
        "{err}"
    );
    let mut buf = [0u8; 64];
    silent.set_read_timeout(Some(LIMIT)).unwrap();
    let n = silent.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"anyone?");
}

#[test]
fn deadline_server_closes_a_connection_after_its_idle_timeout() {
    let _w = watchdog::start(
        "deadline_server_closes_a_connection_after_its_idle_timeout",
        watchdog::LIMIT,
    );
    let (_server, out) = start("deadline_server", &["127.0.0.1:0", "200ms"]);
    let addr = out.listening();
    let mut c = connect(&addr);
    let local = c.local_addr().unwrap();
    assert_eq!(out.line(), format!("new connection: [{addr} --> {local}]"));
    // Active: each read renews the deadline.
    let mut r = BufReader::new(c.try_clone().unwrap());
    for msg in ["one", "two", "three"] {
        writeln!(c, "{msg}").unwrap();
        assert_eq!(read_line(&mut r), format!("{msg}\n"));
    }
    // Then quiet: the server gives up and closes; we read end of file.
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap(); // fails after LIMIT if never closed
    assert!(rest.is_empty());
    assert_eq!(out.line(), format!("idle timeout: [{addr} --> {local}]"));
}

#[test]
fn idle_watchdog_closes_quiet_connections_and_spares_active_ones() {
    let _w = watchdog::start(
        "idle_watchdog_closes_quiet_connections_and_spares_active_ones",
        watchdog::LIMIT,
    );
    let (_server, out) = start("idle_watchdog", &["127.0.0.1:0", "300ms"]);
    let addr = out.listening();
    // An active client: a line every 100 ms keeps the watchdog at bay,
    // well past the 300 ms idle limit in total.
    let mut c = connect(&addr);
    let local = c.local_addr().unwrap();
    assert_eq!(out.line(), format!("new connection: [{addr} --> {local}]"));
    let mut r = BufReader::new(c.try_clone().unwrap());
    for i in 0..8 {
        writeln!(c, "line {i}").unwrap();
        assert_eq!(read_line(&mut r), format!("line {i}\n"));
        thread::sleep(Duration::from_millis(100));
    }
    // Then quiet: the watchdog closes it; we read end of file.
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert_eq!(out.line(), format!("idle timeout: [{addr} --> {local}]"));
    // A client that hangs up first is reported as closed.
    let c = connect(&addr);
    let local = c.local_addr().unwrap();
    assert_eq!(out.line(), format!("new connection: [{addr} --> {local}]"));
    drop(c);
    assert_eq!(out.line(), format!("closed: [{addr} --> {local}]"));
}

#[test]
fn backlog_demo_accepts_queued_clients_in_order() {
    let _w = watchdog::start(
        "backlog_demo_accepts_queued_clients_in_order",
        watchdog::LIMIT,
    );
    let (_server, out) = start("backlog_demo", &["127.0.0.1:0", "50"]);
    let addr = out.listening();
    assert!(
        out.line()
            .starts_with("accepting one connection every 50 ms")
    );
    // Each connect completes in the kernel, before the server accepts it.
    let clients: Vec<TcpStream> = (0..4).map(|_| connect(&addr)).collect();
    for (k, c) in (1..).zip(&clients) {
        let line = out.line();
        let prefix = format!("accepted #{k} {} after ", c.local_addr().unwrap());
        let secs = line
            .strip_prefix(&prefix)
            .and_then(|s| s.strip_suffix('s'))
            .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"));
        secs.parse::<f64>().unwrap();
        let mut greeting = String::new();
        BufReader::new(c).read_line(&mut greeting).unwrap();
        assert_eq!(greeting, format!("accepted #{k}\n"));
    }
}

/// Starts `unix_echo` with `args` (it must listen on `name`, a path or an
/// abstract `@name`, for one connection), echoes through the stream that
/// `dial` opens, and checks that the server then exits 0.
fn unix_echo_round_trip(args: &[&str], name: &str, dial: impl FnOnce() -> UnixStream) {
    let (mut server, out) = start("unix_echo", args);
    assert_eq!(out.listening(), name);
    let mut c = dial();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"hello unix\n").unwrap();
    let mut back = [0u8; 11];
    c.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello unix\n");
    c.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(server.wait().success());
    let lines = out.rest();
    assert_eq!(lines[..2], ["connection #1", "closed #1: echoed 11 bytes"]);
}

#[test]
fn unix_echo_echoes_and_removes_its_socket_file() {
    let _w = watchdog::start(
        "unix_echo_echoes_and_removes_its_socket_file",
        watchdog::LIMIT,
    );
    let path = std::env::temp_dir().join(format!("gort-examples-unix-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // A socket file left by a server that died: unix_echo clears it.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let name = path.to_str().unwrap();
    unix_echo_round_trip(&[name, "1"], name, || {
        assert!(path.exists(), "no socket file while listening");
        UnixStream::connect(&path).unwrap()
    });
    assert!(!path.exists(), "socket file left after close");
}

#[test]
fn unix_echo_listens_on_an_abstract_name() {
    use std::os::linux::net::SocketAddrExt;
    let _w = watchdog::start("unix_echo_listens_on_an_abstract_name", watchdog::LIMIT);
    let abs = format!("gort-examples-unix-{}", std::process::id());
    let name = format!("@{abs}");
    unix_echo_round_trip(&[&name, "1"], &name, || {
        let sa = std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes()).unwrap();
        UnixStream::connect_addr(&sa).unwrap()
    });
}

#[test]
fn chat_sends_each_line_to_the_other_clients_only() {
    let _w = watchdog::start(
        "chat_sends_each_line_to_the_other_clients_only",
        watchdog::LIMIT,
    );
    let (_server, out) = start("chat", &["127.0.0.1:0"]);
    let addr = out.listening();
    let mut a = connect(&addr);
    let a_name = a.local_addr().unwrap();
    let mut ra = BufReader::new(a.try_clone().unwrap());
    assert_eq!(read_line(&mut ra), format!("* welcome {a_name} (1 here)\n"));
    let mut b = connect(&addr);
    let b_name = b.local_addr().unwrap();
    let mut rb = BufReader::new(b.try_clone().unwrap());
    assert_eq!(read_line(&mut rb), format!("* welcome {b_name} (2 here)\n"));
    assert_eq!(read_line(&mut ra), format!("* {b_name} joined\n"));

    writeln!(a, "hi from a").unwrap();
    assert_eq!(read_line(&mut rb), format!("[{a_name}] hi from a\n"));
    writeln!(b, "hi from b").unwrap();
    // A's next line is B's, not its own echoed back.
    assert_eq!(read_line(&mut ra), format!("[{b_name}] hi from b\n"));

    a.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_line(&mut rb), format!("* {a_name} left\n"));
    // The server closed A's conn without ever sending A its own line.
    let mut rest = String::new();
    ra.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
    assert_eq!(out.line(), format!("* {a_name} joined"));
    assert_eq!(out.line(), format!("* {b_name} joined"));
    assert_eq!(out.line(), format!("* {a_name} left"));
}

#[test]
fn examples_report_bad_arguments_without_panicking() {
    let _w = watchdog::start(
        "examples_report_bad_arguments_without_panicking",
        watchdog::LIMIT,
    );
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "echo_server",
            &["nope"],
            "echo_server: listen tcp: address nope: missing port in address",
        ),
        (
            "echo_once",
            &["nope"],
            "echo_once: listen tcp: address nope: missing port in address",
        ),
        (
            "tcp_client",
            &["nope"],
            "tcp_client: dial tcp: address nope: missing port in address",
        ),
        (
            "stdin_client",
            &["nope"],
            "stdin_client: address nope: missing port in address",
        ),
        (
            "time_server",
            &["nope"],
            "time_server: listen tcp: address nope: missing port in address",
        ),
        (
            "udp_server",
            &["nope"],
            "udp_server: address nope: missing port in address",
        ),
        (
            "udp_client",
            &["nope"],
            "udp_client: address nope: missing port in address",
        ),
        (
            "udp_client",
            &["127.0.0.1:9", "x", "soon"],
            "udp_client: invalid wait \"soon\"",
        ),
        (
            "deadline_server",
            &["nope"],
            "deadline_server: listen tcp: address nope: missing port in address",
        ),
        (
            "deadline_server",
            &["127.0.0.1:0", "-1s"],
            "deadline_server: invalid idle timeout \"-1s\"",
        ),
        (
            "backlog_demo",
            &["nope"],
            "backlog_demo: listen tcp: address nope: missing port in address",
        ),
        (
            "backlog_demo",
            &["127.0.0.1:0", "1s"],
            "backlog_demo: the interval must be a whole number",
        ),
        (
            "unix_echo",
            &["/nonexistent-gort-dir/x.sock"],
            "unix_echo: listen unix /nonexistent-gort-dir/x.sock: bind: no such file or directory",
        ),
        (
            "unix_echo",
            &["@x", "0"],
            "unix_echo: N must be a positive number",
        ),
        (
            "chat",
            &["nope"],
            "chat: address nope: missing port in address",
        ),
    ];
    for (name, args, want) in cases {
        let done = run(name, args, "");
        assert_eq!(
            done.status.code(),
            Some(1),
            "{name} {args:?}: {}",
            done.stderr
        );
        assert!(
            done.stderr.starts_with(want),
            "{name} {args:?}: {}",
            done.stderr
        );
        assert!(
            !done.stderr.contains("panicked"),
            "{name} {args:?}: {}",
            done.stderr
        );
    }
}

#[test]
fn bench_echo_echoes_a_mebibyte_on_each_of_several_connections() {
    let _w = watchdog::start(
        "bench_echo_echoes_a_mebibyte_on_each_of_several_connections",
        watchdog::LIMIT,
    );
    let (_server, out) = start("bench_echo", &["--addr", "127.0.0.1:0", "--procs", "2"]);
    let addr = out.listening();
    // Four clients at once, each with its own pattern: a writer thread
    // sends 1 MiB while the test reads the echo back, so neither side's
    // socket buffers fill up and stall the other.
    let clients: Vec<_> = (0..4u8)
        .map(|k| {
            let c = connect(&addr);
            let data: Vec<u8> = (0..1 << 20)
                .map(|i: u32| (i % 251) as u8 ^ k.wrapping_mul(37))
                .collect();
            let mut w = c.try_clone().unwrap();
            let sent = data.clone();
            let writer = thread::spawn(move || {
                for chunk in sent.chunks(7919) {
                    w.write_all(chunk).unwrap();
                }
                w.shutdown(Shutdown::Write).unwrap();
            });
            (c, data, writer)
        })
        .collect();
    for (mut c, data, writer) in clients {
        let mut back = Vec::with_capacity(data.len());
        // End of file once the server has echoed everything and seen ours.
        c.read_to_end(&mut back).unwrap();
        writer.join().unwrap();
        assert!(
            back == data,
            "echo differs: {} of {} bytes",
            back.len(),
            data.len()
        );
    }
    // The server goes on serving after those connections closed.
    let mut c = connect(&addr);
    c.write_all(b"still here").unwrap();
    let mut back = [0u8; 10];
    c.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"still here");
}

#[test]
fn bench_micro_prints_one_json_line_of_positive_figures() {
    let _w = watchdog::start(
        "bench_micro_prints_one_json_line_of_positive_figures",
        watchdog::LIMIT,
    );
    let done = run(
        "bench_micro",
        &["--quick", "--parked", "2000", "--burst", "2000"],
        "",
    );
    assert!(done.status.success(), "bench_micro failed: {}", done.stderr);
    let lines: Vec<&str> = done.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "want one line: {:?}", done.stdout);
    // A flat object of "key":value pairs: no value holds a comma or a colon.
    let body = lines[0]
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not a JSON object: {}", lines[0]));
    let fields: Vec<(&str, &str)> = body
        .split(',')
        .map(|kv| {
            kv.split_once(':')
                .unwrap_or_else(|| panic!("bad pair {kv:?} in {}", lines[0]))
        })
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "\"runtime\"",
            "\"spawn_join_ns\"",
            "\"park_ready_ns\"",
            "\"chan_rt_ns\"",
            "\"parked\"",
            "\"kib_per_parked\"",
            "\"fanout_ns\"",
            "\"burst\"",
            "\"burst_cold_ns\"",
            "\"burst_ns\""
        ],
        "{}",
        lines[0]
    );
    assert_eq!(fields[0].1, "\"gort\"");
    for (k, v) in &fields[1..] {
        let x: f64 = v
            .parse()
            .unwrap_or_else(|_| panic!("{k} is not a number: {v:?}"));
        assert!(x.is_finite() && x > 0.0, "{k} = {x}");
    }
    assert_eq!(fields[4].1, "2000", "parked");

    // Bad flags: a message and status 2, no panic.
    for args in [&["--parked", "0"][..], &["--procs"], &["--bogus"]] {
        let bad = run("bench_micro", args, "");
        assert_eq!(bad.status.code(), Some(2), "{args:?}: {}", bad.stderr);
        assert!(
            bad.stderr.starts_with("bench_micro: "),
            "{args:?}: {}",
            bad.stderr
        );
        assert!(!bad.stderr.contains("panicked"), "{args:?}: {}", bad.stderr);
        assert!(bad.stdout.is_empty(), "{args:?}: {}", bad.stdout);
    }
}

// ---------------------------------------------------------------------------
// Shutdown on signals, and running out of file descriptors.

/// Starts an example with `args`; returns it with its stdout and its
/// stderr, each line by line.
fn start_with_stderr(name: &str, args: &[&str]) -> (Running, Lines, Lines) {
    let mut child = command(name)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Lines::of(child.stdout.take().unwrap());
    let err = Lines::of(child.stderr.take().unwrap());
    (Running(child), out, err)
}

/// Sends `sig` to the example.
fn send_signal(running: &Running, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_child(&running.0);
    rustix::process::kill_process(pid, sig).unwrap();
}

/// Waits (at most [`LIMIT`]) until connecting to `addr` is refused.
fn wait_until_refused(addr: &str) {
    let deadline = Instant::now() + LIMIT;
    loop {
        match TcpStream::connect(addr) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return,
            other => assert!(
                Instant::now() < deadline,
                "{addr} still not refusing connections: {other:?}"
            ),
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Reads `c` until the server closes it; panics if it stays open for the
/// read timeout. An RST instead of a FIN counts as closed too.
fn read_until_closed(c: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    match c.read_to_end(&mut rest) {
        Ok(_) => rest,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => rest,
        Err(e) => panic!("the server did not close the connection: {e}"),
    }
}

/// A client that has sent `partial` (no newline) and got it echoed: the
/// server counts it busy.
fn busy_client(addr: &str, partial: &str) -> TcpStream {
    let mut c = connect(addr);
    c.write_all(partial.as_bytes()).unwrap();
    let mut back = vec![0u8; partial.len()];
    c.read_exact(&mut back).unwrap();
    assert_eq!(back, partial.as_bytes());
    c
}

#[test]
fn graceful_shutdown_closes_idle_lets_busy_finish_and_exits_0() {
    let _w = watchdog::start(
        "graceful_shutdown_closes_idle_lets_busy_finish_and_exits_0",
        watchdog::LIMIT,
    );
    let (mut server, out, _err) = start_with_stderr(
        "graceful_shutdown",
        &["--addr", "127.0.0.1:0", "--grace", "5"],
    );
    let addr = out.listening();
    let mut busy = busy_client(&addr, "hel");
    let mut idle = connect(&addr);
    writeln!(idle, "idle").unwrap();
    assert_eq!(read_line(&mut BufReader::new(&idle)), "idle\n");

    send_signal(&server, rustix::process::Signal::TERM);
    assert_eq!(
        out.line(),
        "shutdown: got SIGTERM; listener closed, 1 idle connection(s) closed, \
         waiting up to 5s for 1 busy"
    );
    wait_until_refused(&addr);
    assert_eq!(read_until_closed(&mut idle), b"", "idle connection");

    // The busy one finishes its line, then the server hangs up.
    busy.write_all(b"lo\n").unwrap();
    let mut r = BufReader::new(busy.try_clone().unwrap());
    assert_eq!(read_line(&mut r), "lo\n");
    assert_eq!(read_until_closed(&mut busy), b"");

    let status = server.wait();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let rest = out.rest();
    assert_eq!(
        rest,
        [
            format!("accept loop ended: accept tcp {addr}: use of closed network connection"),
            "shutdown complete: 2 accepted, 1 finished, 1 closed idle, 0 force-closed".to_string(),
        ]
    );
}

#[test]
fn graceful_shutdown_force_closes_stragglers_after_the_grace_and_exits_1() {
    let _w = watchdog::start(
        "graceful_shutdown_force_closes_stragglers_after_the_grace_and_exits_1",
        watchdog::LIMIT,
    );
    let (mut server, out, _err) = start_with_stderr(
        "graceful_shutdown",
        &["--addr", "127.0.0.1:0", "--grace", "0.3"],
    );
    let addr = out.listening();
    let mut c = busy_client(&addr, "a line that never ends");
    send_signal(&server, rustix::process::Signal::INT);
    assert!(
        out.line()
            .starts_with("shutdown: got SIGINT; listener closed"),
        "first line after the signal"
    );
    // Never finished: cut when the grace period ends.
    assert_eq!(read_until_closed(&mut c), b"");
    let status = server.wait();
    assert_eq!(status.code(), Some(1), "{status:?}");
    let rest = out.rest();
    assert_eq!(
        rest[1..],
        [
            "shutdown: grace period over; force-closing 1 connection(s)",
            "shutdown complete: 1 accepted, 0 finished, 0 closed idle, 1 force-closed",
        ],
        "{rest:?}"
    );
}

#[test]
fn graceful_shutdown_second_signal_cuts_the_grace_short() {
    let _w = watchdog::start(
        "graceful_shutdown_second_signal_cuts_the_grace_short",
        watchdog::LIMIT,
    );
    // A grace far beyond the test's limits: only the second signal can end
    // the wait in time.
    let (mut server, out, _err) = start_with_stderr(
        "graceful_shutdown",
        &["--addr", "127.0.0.1:0", "--grace", "3600"],
    );
    let addr = out.listening();
    let mut c = busy_client(&addr, "half");
    send_signal(&server, rustix::process::Signal::TERM);
    assert!(out.line().starts_with("shutdown: got SIGTERM"));
    send_signal(&server, rustix::process::Signal::INT);
    assert_eq!(read_until_closed(&mut c), b"");
    let status = server.wait();
    assert_eq!(status.code(), Some(1), "{status:?}");
    let rest = out.rest();
    assert!(
        rest.iter()
            .any(|l| l == "shutdown: second signal SIGINT; force-closing 1 connection(s)"),
        "{rest:?}"
    );
}

#[test]
fn emfile_backoff_serves_every_client_once_descriptors_are_free() {
    let _w = watchdog::start(
        "emfile_backoff_serves_every_client_once_descriptors_are_free",
        watchdog::LIMIT,
    );
    let (_server, out, err) = start_with_stderr(
        "emfile_backoff",
        &["--addr", "127.0.0.1:0", "--fd-limit", "16"],
    );
    let addr = out.listening();
    let limit_line = out.line();
    let free: usize = limit_line
        .strip_prefix("fd limit 16: ")
        .and_then(|l| l.strip_suffix(" free for connections"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {limit_line:?}"));
    assert!(free >= 1, "{limit_line}");

    // More clients than the server has descriptors for: the kernel
    // completes every handshake, the server accepts `free` and then fails.
    let n = free + 6;
    let mut clients: Vec<TcpStream> = (0..n).map(|_| connect(&addr)).collect();
    let first = err.line();
    assert!(
        first.starts_with(&format!(
            "emfile_backoff: accept error: accept tcp {addr}: "
        )) && first.ends_with("too many open files; retrying in 5ms"),
        "{first:?}"
    );

    // Each client sends a line; every one gets it back, those beyond the
    // limit once the first ones are done and closed.
    for (i, c) in clients.iter_mut().enumerate() {
        writeln!(c, "client {i}").unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let mut reply = String::new();
        BufReader::new(&*c).read_line(&mut reply).unwrap();
        assert_eq!(reply, format!("client {i}\n"));
    }
    for _ in 0..n {
        assert!(out.line().starts_with("served #"));
    }

    // The log shows the backoff growing (never beyond 1 s) and the loop
    // resuming.
    let mut delays = Vec::new();
    let resumed = loop {
        let line = err.line();
        if line.starts_with("emfile_backoff: accept resumed after ") {
            break line;
        }
        let delay = line
            .rsplit_once("retrying in ")
            .map(|(_, d)| d.to_string())
            .unwrap_or_else(|| panic!("unexpected stderr line {line:?}"));
        delays.push(delay);
        assert!(delays.len() < 100, "no resume: {delays:?}");
    };
    assert!(resumed.ends_with("failed attempt(s)"), "{resumed}");
    let wanted = ["10ms", "20ms", "40ms", "80ms", "160ms", "320ms", "640ms"];
    for (got, want) in delays
        .iter()
        .zip(wanted.iter().chain(std::iter::repeat(&"1s")))
    {
        assert_eq!(got, want, "delays after 5ms: {delays:?}");
    }
}

#[test]
fn graceful_shutdown_and_emfile_backoff_reject_bad_arguments() {
    let _w = watchdog::start(
        "graceful_shutdown_and_emfile_backoff_reject_bad_arguments",
        watchdog::LIMIT,
    );
    for (name, args, code, msg) in [
        (
            "graceful_shutdown",
            &["--grace", "soon"][..],
            2,
            "invalid grace period \"soon\"",
        ),
        ("graceful_shutdown", &["--addr"], 2, "--addr needs a value"),
        (
            "graceful_shutdown",
            &["--bogus"],
            2,
            "unknown argument \"--bogus\"",
        ),
        (
            "emfile_backoff",
            &["--fd-limit", "0"],
            2,
            "invalid --fd-limit \"0\"",
        ),
        (
            "emfile_backoff",
            &["--fd-limit"],
            2,
            "--fd-limit needs a value",
        ),
        (
            "emfile_backoff",
            &["--addr", "127.0.0.1:0", "--fd-limit", "3"],
            1,
            "--fd-limit 3 leaves no descriptor for connections",
        ),
    ] {
        let done = run(name, args, "");
        assert_eq!(
            done.status.code(),
            Some(code),
            "{name} {args:?}: {}",
            done.stderr
        );
        assert!(
            done.stderr.starts_with(&format!("{name}: {msg}")),
            "{name} {args:?}: {}",
            done.stderr
        );
        assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
    }
}

#[test]
fn https_hello_serves_curl_with_the_ca_it_printed() {
    let (_running, out) = start("https_hello", &["127.0.0.1:0"]);
    let addr = out.listening();
    let ca_line = out.line();
    let ca = ca_line
        .strip_prefix("CA certificate: ")
        .unwrap_or_else(|| panic!("unexpected line {ca_line:?}"))
        .to_string();
    let res = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert", &ca])
        .arg(format!("https://{addr}/gort"))
        .output();
    match res {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("note: curl is not installed; skipping the https_hello check");
        }
        Err(e) => panic!("curl: {e}"),
        Ok(o) => {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                "Hello over TLS, /gort!\n"
            );
        }
    }
}
