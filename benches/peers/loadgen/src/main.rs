//! Load generator for `cargo xtask bench`: C TCP connections to one echo server,
//! driven by a single thread running one edge-triggered epoll loop.
//!
//! Why one epoll thread: on a 2-core machine the client shares the CPUs with the
//! server under test. One thread waiting in `epoll_wait` over every connection
//! costs the least client CPU per round trip (no thread switches, one syscall
//! returns many ready connections) and serves connections in the order the
//! kernel reports them ready, so every connection gets its turn. A
//! thread-per-connection blocking client instead burns CPU in context switches
//! the server needs, and the kernel's wakeup order decides who waits, which
//! inflates some servers and hides tail latency.
//!
//! Modes:
//! - `pingpong`: each connection writes `--size` bytes, reads the same bytes
//!   back, and repeats. Round trips completed in the measured window are counted
//!   and each one's latency (first write to last echoed byte) goes into an HDR
//!   histogram (1 µs .. 10 s, 3 significant digits).
//! - `stream`: each connection keeps writing `--size`-byte chunks and reading
//!   the echo, with at most `STREAM_WINDOW_CHUNKS` chunks in flight, and the
//!   echoed bytes per second are reported.
//! - `idle`: what an idle connection costs the server. Read the server's
//!   VmRSS (`/proc/PID/status`, so `--server-pid` is required), open the
//!   connections in waves of at most `IDLE_WAVE` (each wave's connections
//!   write one byte and read its echo before the next wave starts, so at most
//!   that many are ever waiting in the listen backlog and every server
//!   handler has done one read and is blocked in the next), wait `--settle`
//!   seconds, read VmRSS again and report the growth per connection, then
//!   close everything.
//!
//! Every echoed byte is checked against what was sent (a pattern that depends on
//! the connection and the byte offset); a mismatch exits with status 1. The
//! timeline is: connect every connection, warm up for `--warmup` seconds, measure
//! for `--duration` seconds, stop. With `--server-pid`, the server's user+system
//! CPU time (`/proc/PID/stat`) is read at both ends of the measured window.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Most chunks a stream connection keeps in flight (sent, not yet echoed back).
const STREAM_WINDOW_CHUNKS: usize = 4;
/// Reads or writes one connection may do per wakeup before the loop moves on to
/// the others (fairness; the connection is revisited without waiting).
const OPS_BUDGET: u32 = 64;
/// Events fetched per `epoll_wait`.
const MAX_EVENTS: usize = 1024;
/// Connect attempts per connection, and how long one round of connects may take.
const CONNECT_ROUNDS: u32 = 5;
const CONNECT_ROUND_TIMEOUT: Duration = Duration::from_secs(5);
/// Period of the byte pattern; prime so it does not line up with chunk sizes.
const PATTERN_PERIOD: usize = 251;
/// `--mode idle`: most connections connecting or waiting for their echo at
/// once. Below every listen backlog of the servers under test (tokio's is
/// 1024, Go's and epoll_echo's are `net.core.somaxconn`), so no SYN is dropped.
const IDLE_WAVE: usize = 512;
/// `--mode idle`: how long one wave may wait for all its echoes.
const IDLE_ECHO_TIMEOUT: Duration = Duration::from_secs(10);

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("loadgen: {msg}");
    std::process::exit(1);
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen --addr HOST:PORT [--conns C] [--mode pingpong|stream|idle] [--size S]\n\
         \x20              [--warmup SECS] [--duration SECS] [--settle SECS] [--server-pid PID] [--json]\n\
         defaults: --conns 1 --mode pingpong --size 64 (stream: 16384) --warmup 1 --duration 5\n\
         \x20         --settle 0.5 (idle only); --mode idle needs --server-pid"
    );
    std::process::exit(2);
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    PingPong,
    Stream,
}

struct Config {
    addr: SocketAddr,
    addr_text: String,
    conns: usize,
    /// `--mode idle`: open the connections and measure the server's memory
    /// instead of driving traffic; `mode`, `size`, `warmup` and `duration`
    /// are then unused.
    idle: bool,
    /// `--mode idle`: pause between the last echo and the second RSS reading.
    settle: Duration,
    mode: Mode,
    size: usize,
    warmup: Duration,
    duration: Duration,
    server_pid: Option<u32>,
    json: bool,
}

fn parse_secs(flag: &str, v: &str) -> Duration {
    match v.parse::<f64>() {
        Ok(s) if (0.0..1e6).contains(&s) => Duration::from_secs_f64(s),
        _ => {
            eprintln!("loadgen: bad {flag} {v:?} (seconds)");
            usage()
        }
    }
}

fn parse_args() -> Config {
    let mut addr_text = None;
    let mut conns = 1usize;
    let mut mode = Mode::PingPong;
    let mut idle = false;
    let mut settle = Duration::from_millis(500);
    let mut size = None;
    let mut warmup = Duration::from_secs(1);
    let mut duration = Duration::from_secs(5);
    let mut server_pid = None;
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("loadgen: {name} needs a value");
                usage()
            })
        };
        match a.as_str() {
            "--addr" => addr_text = Some(val("--addr")),
            "--conns" => {
                let v = val("--conns");
                conns = match v.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => {
                        eprintln!("loadgen: bad --conns {v:?}");
                        usage()
                    }
                }
            }
            "--mode" => {
                mode = match val("--mode").as_str() {
                    "pingpong" => Mode::PingPong,
                    "stream" => Mode::Stream,
                    "idle" => {
                        idle = true;
                        Mode::PingPong
                    }
                    v => {
                        eprintln!("loadgen: bad --mode {v:?} (pingpong, stream or idle)");
                        usage()
                    }
                }
            }
            "--size" => {
                let v = val("--size");
                size = match v.parse() {
                    Ok(n) if (1..=64 << 20).contains(&n) => Some(n),
                    _ => {
                        eprintln!("loadgen: bad --size {v:?} (1 .. 64 MiB)");
                        usage()
                    }
                }
            }
            "--warmup" => warmup = parse_secs("--warmup", &val("--warmup")),
            "--duration" => duration = parse_secs("--duration", &val("--duration")),
            "--settle" => settle = parse_secs("--settle", &val("--settle")),
            "--server-pid" => {
                let v = val("--server-pid");
                server_pid = Some(v.parse().unwrap_or_else(|_| {
                    eprintln!("loadgen: bad --server-pid {v:?}");
                    usage()
                }))
            }
            "--json" => json = true,
            "-h" | "--help" => usage(),
            other => {
                eprintln!("loadgen: unknown argument {other:?}");
                usage()
            }
        }
    }
    let addr_text = addr_text.unwrap_or_else(|| {
        eprintln!("loadgen: --addr is required");
        usage()
    });
    if idle && server_pid.is_none() {
        eprintln!("loadgen: --mode idle needs --server-pid (it reads the server's VmRSS)");
        usage()
    }
    let addr = match addr_text.to_socket_addrs().map(|mut it| it.next()) {
        Ok(Some(a)) => a,
        Ok(None) => fail(format!("--addr {addr_text:?} resolves to no address")),
        Err(e) => fail(format!("bad --addr {addr_text:?}: {e}")),
    };
    if duration.is_zero() {
        fail("--duration must be > 0");
    }
    let size = size.unwrap_or(match mode {
        Mode::PingPong => 64,
        Mode::Stream => 16384,
    });
    Config {
        addr,
        addr_text,
        conns,
        idle,
        settle,
        mode,
        size,
        warmup,
        duration,
        server_pid,
        json,
    }
}

// ---------------------------------------------------------------- syscalls

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn epoll_create() -> OwnedFd {
    // SAFETY: plain syscall with no pointer arguments.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        fail(format!(
            "epoll_create1: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: `fd` was just returned by epoll_create1 and nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn epoll_ctl(ep: RawFd, op: i32, fd: RawFd, events: u32, token: u64) {
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    if unsafe { libc::epoll_ctl(ep, op, fd, &mut ev) } != 0 {
        fail(format!("epoll_ctl: {}", std::io::Error::last_os_error()));
    }
}

/// Waits up to `timeout` for events; returns how many were stored.
fn epoll_wait(ep: RawFd, events: &mut [libc::epoll_event], timeout: Duration) -> usize {
    // Round up so a sub-millisecond remainder does not become a busy 0 ms poll.
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
    // SAFETY: `events` is valid for `events.len()` entries.
    let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, ms) };
    if n < 0 {
        if last_errno() == libc::EINTR {
            return 0;
        }
        fail(format!("epoll_wait: {}", std::io::Error::last_os_error()));
    }
    n as usize
}

/// Result of one nonblocking read or write.
enum Io {
    Done(usize),
    WouldBlock,
    Eof,
    Err(std::io::Error),
}

fn sys_read(fd: RawFd, buf: &mut [u8]) -> Io {
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            return Io::Done(n as usize);
        }
        if n == 0 {
            return Io::Eof;
        }
        match last_errno() {
            libc::EAGAIN => return Io::WouldBlock,
            libc::EINTR => continue,
            _ => return Io::Err(std::io::Error::last_os_error()),
        }
    }
}

fn sys_write(fd: RawFd, buf: &[u8]) -> Io {
    loop {
        // SAFETY: `buf` is valid for reads of `buf.len()` bytes.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Io::Done(n as usize);
        }
        match last_errno() {
            libc::EAGAIN => return Io::WouldBlock,
            libc::EINTR => continue,
            _ => return Io::Err(std::io::Error::last_os_error()),
        }
    }
}

fn set_int_opt(fd: RawFd, level: i32, name: i32, value: i32) {
    // SAFETY: `value` outlives the call and its size is passed.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        );
    }
}

/// `getsockopt(SO_ERROR)`: the outcome of a nonblocking connect.
fn socket_error(fd: RawFd) -> i32 {
    let mut err: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: `err` and `len` are valid for writes and `len` holds err's size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut i32).cast(),
            &mut len,
        )
    };
    if r != 0 { last_errno() } else { err }
}

/// Starts a nonblocking connect. Ok(true): connected at once; Ok(false): in
/// progress; Err: failed immediately.
fn start_connect(addr: &SocketAddr) -> Result<(OwnedFd, bool), std::io::Error> {
    // SAFETY: a zeroed sockaddr_storage is a valid (empty) value of that type.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let (family, len) = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            (libc::AF_INET, std::mem::size_of::<libc::sockaddr_in>())
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            (libc::AF_INET6, std::mem::size_of::<libc::sockaddr_in6>())
        }
    };
    // SAFETY: plain syscall with no pointer arguments.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket() and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    set_int_opt(fd.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY, 1);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&storage as *const libc::sockaddr_storage).cast(),
            len as libc::socklen_t,
        )
    };
    if r == 0 {
        return Ok((fd, true));
    }
    match last_errno() {
        libc::EINPROGRESS | libc::EINTR => Ok((fd, false)),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// Connects `n` sockets to `addr` concurrently (nonblocking connect, then wait
/// for writability), retrying failed ones a bounded number of times. Exits with
/// a message if any connection cannot be made.
fn connect_all(addr: &SocketAddr, addr_text: &str, n: usize) -> Vec<OwnedFd> {
    try_connect_all(addr, addr_text, n).unwrap_or_else(|e| fail(e))
}

/// [`connect_all`], returning the failure message instead of exiting.
fn try_connect_all(addr: &SocketAddr, addr_text: &str, n: usize) -> Result<Vec<OwnedFd>, String> {
    let ep = epoll_create();
    let mut done: Vec<Option<OwnedFd>> = (0..n).map(|_| None).collect();
    let mut last_err: Option<std::io::Error> = None;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
    for round in 0..CONNECT_ROUNDS {
        if round > 0 {
            std::thread::sleep(Duration::from_millis(100 << round.min(4)));
        }
        let mut pending: Vec<Option<OwnedFd>> = (0..n).map(|_| None).collect();
        let mut waiting = 0usize;
        for i in 0..n {
            if done[i].is_some() {
                continue;
            }
            match start_connect(addr) {
                Ok((fd, true)) => done[i] = Some(fd),
                Ok((fd, false)) => {
                    epoll_ctl(
                        ep.as_raw_fd(),
                        libc::EPOLL_CTL_ADD,
                        fd.as_raw_fd(),
                        libc::EPOLLOUT as u32,
                        i as u64,
                    );
                    pending[i] = Some(fd);
                    waiting += 1;
                }
                Err(e) => last_err = Some(e),
            }
        }
        let deadline = Instant::now() + CONNECT_ROUND_TIMEOUT;
        while waiting > 0 {
            let now = Instant::now();
            if now >= deadline {
                last_err = Some(std::io::Error::from_raw_os_error(libc::ETIMEDOUT));
                break;
            }
            let k = epoll_wait(ep.as_raw_fd(), &mut events, deadline - now);
            for ev in &events[..k] {
                let i = ev.u64 as usize;
                let Some(fd) = pending[i].take() else {
                    continue;
                };
                waiting -= 1;
                epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_DEL, fd.as_raw_fd(), 0, 0);
                match socket_error(fd.as_raw_fd()) {
                    0 => done[i] = Some(fd),
                    e => last_err = Some(std::io::Error::from_raw_os_error(e)),
                }
            }
        }
        // Sockets still pending after the round are dropped (closed) and retried.
        if done.iter().all(Option::is_some) {
            return Ok(done
                .into_iter()
                .map(|f| f.expect("all connected"))
                .collect());
        }
    }
    let ok = done.iter().filter(|f| f.is_some()).count();
    let why = last_err.map_or_else(|| "unknown error".to_string(), |e| e.to_string());
    Err(format!(
        "cannot connect to {addr_text} ({addr}): {why} ({ok} of {n} connections made after {CONNECT_ROUNDS} attempts); is the server running?"
    ))
}

// ---------------------------------------------------------------- /proc

/// Clock ticks per second for /proc/PID/stat times.
fn clock_ticks() -> u64 {
    // SAFETY: plain libc call.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

/// utime + stime of process `pid` (every thread), in clock ticks.
fn proc_cpu_ticks(pid: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields
    // after the last ')' start at field 3 (state); utime and stime are 14, 15.
    let rest = &s[s.rfind(')')? + 1..];
    let mut it = rest.split_whitespace().skip(11);
    let utime: u64 = it.next()?.parse().ok()?;
    let stime: u64 = it.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The resident set of process `pid` (`VmRSS` in `/proc/PID/status`), in KiB.
fn proc_vm_rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let v = s.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    v.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// Raises the soft limit on open files to the hard limit (as Go programs do
/// at start-up), so that thousands of connections fit. A failure is reported
/// and otherwise ignored: connecting then fails with EMFILE and says so.
fn raise_nofile_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        eprintln!(
            "loadgen: getrlimit(RLIMIT_NOFILE): {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit, read by setrlimit only.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            eprintln!(
                "loadgen: setrlimit(RLIMIT_NOFILE): {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

// ---------------------------------------------------------------- connections

/// One client connection's state. Sent and received byte counts index the
/// pattern, so the expected echo of any byte is known without storing it.
struct Conn {
    fd: OwnedFd,
    /// Offset of this connection's pattern (so connections send different bytes).
    phase: usize,
    /// Total bytes written / read on this connection.
    sent: u64,
    recvd: u64,
    /// Whether the last read / write returned EAGAIN (edge-triggered: do not
    /// try again until epoll reports readiness).
    read_blocked: bool,
    write_blocked: bool,
    /// pingpong: when the current round trip's first byte was written.
    rt_start: Instant,
}

/// Counters of the measured window.
struct Stats {
    round_trips: u64,
    bytes: u64,
    hist: Histogram<u64>,
}

struct Driver<'a> {
    mode: Mode,
    size: usize,
    /// `PATTERN_PERIOD + max chunk` bytes of the repeating pattern; any run of
    /// up to `size` bytes starting at offset k is `pattern[k % PERIOD..][..len]`.
    pattern: &'a [u8],
    rbuf: Vec<u8>,
    measuring: bool,
    stats: Stats,
}

impl Driver<'_> {
    fn expect(&self, c: &Conn, off: u64, len: usize) -> &[u8] {
        let k = (off as usize).wrapping_add(c.phase) % PATTERN_PERIOD;
        &self.pattern[k..k + len]
    }

    /// Does the connection's work until it would block or its budget is spent.
    /// Returns Ok(true) if it stopped on the budget (revisit without waiting).
    fn drive(&mut self, c: &mut Conn, now: &mut Instant) -> Result<bool, String> {
        let s = self.size as u64;
        let window = s * STREAM_WINDOW_CHUNKS as u64;
        for _ in 0..OPS_BUDGET {
            let mut progress = false;
            // Write: pingpong sends one message after the previous echo is
            // complete; stream keeps at most `window` bytes in flight.
            let limit = match self.mode {
                Mode::PingPong => c.recvd + s,
                Mode::Stream => c.recvd + window,
            };
            if !c.write_blocked && c.sent < limit {
                let chunk_left = (s - c.sent % s) as usize;
                let len = chunk_left.min((limit - c.sent) as usize);
                let k = (c.sent as usize).wrapping_add(c.phase) % PATTERN_PERIOD;
                if self.mode == Mode::PingPong && c.sent.is_multiple_of(s) {
                    c.rt_start = *now;
                }
                match sys_write(c.fd.as_raw_fd(), &self.pattern[k..k + len]) {
                    Io::Done(n) => {
                        c.sent += n as u64;
                        progress = true;
                    }
                    Io::WouldBlock => c.write_blocked = true,
                    Io::Eof => {}
                    Io::Err(e) => return Err(format!("write: {e}")),
                }
            }
            if !c.read_blocked && c.recvd < c.sent {
                let want = ((c.sent - c.recvd) as usize).min(self.rbuf.len());
                let mut rbuf = std::mem::take(&mut self.rbuf);
                let r = sys_read(c.fd.as_raw_fd(), &mut rbuf[..want]);
                let res = match r {
                    Io::Done(n) => {
                        if rbuf[..n] != *self.expect(c, c.recvd, n) {
                            let bad = rbuf[..n]
                                .iter()
                                .zip(self.expect(c, c.recvd, n))
                                .position(|(a, b)| a != b)
                                .unwrap_or(0);
                            Err(format!(
                                "echo mismatch at byte {} of the connection's stream",
                                c.recvd + bad as u64
                            ))
                        } else {
                            Ok(n)
                        }
                    }
                    Io::WouldBlock => {
                        c.read_blocked = true;
                        Ok(0)
                    }
                    Io::Eof => Err("server closed the connection".to_string()),
                    Io::Err(e) => Err(format!("read: {e}")),
                };
                self.rbuf = rbuf;
                let n = res?;
                if n > 0 {
                    progress = true;
                    let before = c.recvd;
                    c.recvd += n as u64;
                    match self.mode {
                        Mode::Stream => {
                            if self.measuring {
                                self.stats.bytes += n as u64;
                            }
                        }
                        Mode::PingPong => {
                            // A read never spans two messages: the next one is
                            // not sent before this one is fully echoed.
                            if c.recvd.is_multiple_of(s) && c.recvd > before {
                                *now = Instant::now();
                                if self.measuring {
                                    let us = now.duration_since(c.rt_start).as_micros() as u64;
                                    self.stats.hist.saturating_record(us.max(1));
                                    self.stats.round_trips += 1;
                                    self.stats.bytes += s;
                                }
                            }
                        }
                    }
                }
            }
            if !progress {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

// ---------------------------------------------------------------- idle

/// What `--mode idle` measured.
struct IdleReport {
    rss_before_kib: u64,
    rss_after_kib: u64,
}

/// `--mode idle`: reads the server's VmRSS, opens `cfg.conns` connections in
/// waves of at most [`IDLE_WAVE`], each of which writes one byte and reads
/// its echo before the next wave starts, waits `cfg.settle`, reads VmRSS
/// again and closes every connection. Exits with a message on any failure.
fn run_idle(cfg: &Config) -> IdleReport {
    let pid = cfg
        .server_pid
        .unwrap_or_else(|| fail("--mode idle needs --server-pid"));
    let rss = || {
        proc_vm_rss_kib(pid).unwrap_or_else(|| {
            fail(format!(
                "cannot read VmRSS from /proc/{pid}/status (is --server-pid right?)"
            ))
        })
    };
    let rss_before_kib = rss();
    let ep = epoll_create();
    let mut open: Vec<OwnedFd> = Vec::with_capacity(cfg.conns);
    while open.len() < cfg.conns {
        let first = open.len();
        let n = IDLE_WAVE.min(cfg.conns - first);
        let wave = try_connect_all(&cfg.addr, &cfg.addr_text, n)
            .unwrap_or_else(|e| fail(with_open(e, first)));
        echo_one_byte(ep.as_raw_fd(), &wave, first).unwrap_or_else(|e| fail(with_open(e, first)));
        open.extend(wave);
    }
    std::thread::sleep(cfg.settle);
    let rss_after_kib = rss();
    drop(open);
    IdleReport {
        rss_before_kib,
        rss_after_kib,
    }
}

/// `msg`, followed by how many connections were already open if any were.
fn with_open(msg: String, open: usize) -> String {
    if open == 0 {
        msg
    } else {
        format!("{msg} [{open} idle connections were already open]")
    }
}

/// Writes one byte on each of `fds` and waits (at most
/// [`IDLE_ECHO_TIMEOUT`]) until each has read its echo back, using the epoll
/// instance `ep` (every fd is removed from it again). `first` numbers the
/// connections in messages.
fn echo_one_byte(ep: RawFd, fds: &[OwnedFd], first: usize) -> Result<(), String> {
    // The byte each connection sends: its number, so a crossed echo shows.
    let byte = |i: usize| ((first + i) % PATTERN_PERIOD) as u8;
    for (i, fd) in fds.iter().enumerate() {
        match sys_write(fd.as_raw_fd(), &[byte(i)]) {
            Io::Done(1) => {}
            Io::Err(e) => return Err(format!("connection {}: write: {e}", first + i)),
            _ => {
                return Err(format!(
                    "connection {}: a fresh socket took no byte",
                    first + i
                ));
            }
        }
        epoll_ctl(
            ep,
            libc::EPOLL_CTL_ADD,
            fd.as_raw_fd(),
            libc::EPOLLIN as u32,
            i as u64,
        );
    }
    let mut waiting = vec![true; fds.len()];
    let mut left = fds.len();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
    let deadline = Instant::now() + IDLE_ECHO_TIMEOUT;
    while left > 0 {
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "{left} of {} connections (numbers {}..{}) got no echo within {IDLE_ECHO_TIMEOUT:?}; \
                 is the server out of file descriptors?",
                fds.len(),
                first,
                first + fds.len()
            ));
        }
        let k = epoll_wait(ep, &mut events, deadline - now);
        for ev in &events[..k] {
            let i = ev.u64 as usize;
            if !waiting[i] {
                continue;
            }
            let mut b = [0u8; 1];
            match sys_read(fds[i].as_raw_fd(), &mut b) {
                Io::Done(_) if b[0] == byte(i) => {}
                Io::Done(_) => {
                    return Err(format!(
                        "connection {}: echo mismatch (sent {}, got {})",
                        first + i,
                        byte(i),
                        b[0]
                    ));
                }
                Io::WouldBlock => continue,
                Io::Eof => {
                    return Err(format!(
                        "connection {}: the server closed the connection",
                        first + i
                    ));
                }
                Io::Err(e) => return Err(format!("connection {}: read: {e}", first + i)),
            }
            waiting[i] = false;
            left -= 1;
            epoll_ctl(ep, libc::EPOLL_CTL_DEL, fds[i].as_raw_fd(), 0, 0);
        }
    }
    Ok(())
}

fn print_idle_report(cfg: &Config, r: &IdleReport) {
    let per = (r.rss_after_kib as f64 - r.rss_before_kib as f64) / cfg.conns as f64;
    let mut out = std::io::stdout().lock();
    let res = if cfg.json {
        writeln!(
            out,
            "{{\"mode\":\"idle\",\"conns\":{},\"server_rss_before_kib\":{},\"server_rss_after_kib\":{},\"kib_per_conn\":{per:.3}}}",
            cfg.conns, r.rss_before_kib, r.rss_after_kib
        )
    } else {
        writeln!(
            out,
            "idle {} conns={} settle={:.2}s\n  server RSS: {} KiB before, {} KiB after, {per:.2} KiB per connection",
            cfg.addr_text,
            cfg.conns,
            cfg.settle.as_secs_f64(),
            r.rss_before_kib,
            r.rss_after_kib
        )
    };
    if res.and_then(|()| out.flush()).is_err() {
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------- main

struct Report {
    secs: f64,
    stats: Stats,
    server_cpu_us: Option<f64>,
    client_cpu_us: Option<f64>,
}

fn main() {
    let cfg = parse_args();
    raise_nofile_limit();
    if cfg.idle {
        let r = run_idle(&cfg);
        print_idle_report(&cfg, &r);
        return;
    }
    let fds = connect_all(&cfg.addr, &cfg.addr_text, cfg.conns);
    let report = run(&cfg, fds);
    print_report(&cfg, &report);
    if report.stats.bytes == 0 {
        // A server that accepts but never echoes must not pass as a result.
        fail("no echoed bytes in the measured window; is the server an echo server?");
    }
}

fn run(cfg: &Config, fds: Vec<OwnedFd>) -> Report {
    let ep = epoll_create();
    // Reads may be longer than one chunk (up to the read buffer), so the
    // pattern covers the larger of the two.
    let max_chunk = cfg.size.max(4096);
    let pattern: Vec<u8> = (0..PATTERN_PERIOD + max_chunk)
        .map(|i| (i % PATTERN_PERIOD) as u8)
        .collect();
    let start = Instant::now();
    let mut conns: Vec<Conn> = fds
        .into_iter()
        .enumerate()
        .map(|(i, fd)| Conn {
            fd,
            phase: (i * 37) % PATTERN_PERIOD,
            sent: 0,
            recvd: 0,
            read_blocked: false,
            write_blocked: false,
            rt_start: start,
        })
        .collect();
    let flags = libc::EPOLLIN as u32 | libc::EPOLLOUT as u32 | libc::EPOLLET as u32;
    for (i, c) in conns.iter().enumerate() {
        epoll_ctl(
            ep.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            c.fd.as_raw_fd(),
            flags,
            i as u64,
        );
    }
    let hist = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3)
        .unwrap_or_else(|e| fail(format!("histogram: {e}")));
    let mut d = Driver {
        mode: cfg.mode,
        size: cfg.size,
        pattern: &pattern,
        rbuf: vec![0; max_chunk],
        measuring: false,
        stats: Stats {
            round_trips: 0,
            bytes: 0,
            hist,
        },
    };
    let server_pid = cfg.server_pid.map(|p| p.to_string());
    if let Some(pid) = &server_pid
        && proc_cpu_ticks(pid).is_none()
    {
        fail(format!(
            "cannot read /proc/{pid}/stat (is --server-pid right?)"
        ));
    }
    let measure_start = start + cfg.warmup;
    let measure_end = measure_start + cfg.duration;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
    // Connections whose budget ran out: served again before the next wait.
    let mut again: Vec<usize> = Vec::new();
    let mut again_next: Vec<usize> = Vec::new();
    let mut cpu_start: Option<(Option<u64>, Option<u64>, Instant)> = None;
    let mut now = Instant::now();

    // Kick every connection once: they start writing without waiting for an event.
    for (i, c) in conns.iter_mut().enumerate() {
        match d.drive(c, &mut now) {
            Ok(true) => again.push(i),
            Ok(false) => {}
            Err(e) => fail(format!("connection {i}: {e}")),
        }
    }
    loop {
        now = Instant::now();
        if cpu_start.is_none() && now >= measure_start {
            d.measuring = true;
            let srv = server_pid.as_deref().and_then(proc_cpu_ticks);
            let me = proc_cpu_ticks("self");
            cpu_start = Some((srv, me, Instant::now()));
        }
        if now >= measure_end {
            break;
        }
        let boundary = if cpu_start.is_none() {
            measure_start
        } else {
            measure_end
        };
        let timeout = if again.is_empty() {
            boundary.saturating_duration_since(now)
        } else {
            Duration::ZERO
        };
        let n = epoll_wait(ep.as_raw_fd(), &mut events, timeout);
        now = Instant::now();
        for ev in &events[..n] {
            let i = ev.u64 as usize;
            let c = &mut conns[i];
            let e = ev.events;
            if e & (libc::EPOLLIN as u32 | libc::EPOLLHUP as u32 | libc::EPOLLERR as u32) != 0 {
                c.read_blocked = false;
            }
            if e & (libc::EPOLLOUT as u32 | libc::EPOLLHUP as u32 | libc::EPOLLERR as u32) != 0 {
                c.write_blocked = false;
            }
            match d.drive(c, &mut now) {
                Ok(true) => again_next.push(i),
                Ok(false) => {}
                Err(err) => fail(format!("connection {i}: {err}")),
            }
        }
        for &i in &again {
            match d.drive(&mut conns[i], &mut now) {
                Ok(true) => again_next.push(i),
                Ok(false) => {}
                Err(err) => fail(format!("connection {i}: {err}")),
            }
        }
        std::mem::swap(&mut again, &mut again_next);
        again_next.clear();
        again.sort_unstable();
        again.dedup();
    }
    d.measuring = false;
    let end = Instant::now();
    let (srv0, me0, t0) = cpu_start.unwrap_or((None, None, end));
    let tck = clock_ticks() as f64;
    let srv1 = server_pid.as_deref().and_then(proc_cpu_ticks);
    let me1 = proc_cpu_ticks("self");
    let to_us = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 * 1e6 / tck),
        _ => None,
    };
    drop(conns);
    Report {
        secs: end.duration_since(t0).as_secs_f64(),
        stats: d.stats,
        server_cpu_us: to_us(srv0, srv1),
        client_cpu_us: to_us(me0, me1),
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "null".to_string(), |x| format!("{x:.3}"))
}

fn print_report(cfg: &Config, r: &Report) {
    let st = &r.stats;
    let secs = r.secs.max(1e-9);
    let mib = st.bytes as f64 / (1024.0 * 1024.0);
    let mode = match cfg.mode {
        Mode::PingPong => "pingpong",
        Mode::Stream => "stream",
    };
    let rts = st.round_trips as f64 / secs;
    let mibs = mib / secs;
    // Per unit of work: round trips for pingpong, MiB echoed for stream.
    let per = |cpu: Option<f64>| {
        cpu.and_then(|us| match cfg.mode {
            Mode::PingPong if st.round_trips > 0 => Some(us / st.round_trips as f64),
            Mode::Stream if mib > 0.0 => Some(us / mib),
            _ => None,
        })
    };
    let q = |p: f64| st.hist.value_at_quantile(p);
    let mut out = std::io::stdout().lock();
    let res = if cfg.json {
        let unit = match cfg.mode {
            Mode::PingPong => "round_trip",
            Mode::Stream => "mib",
        };
        writeln!(
            out,
            "{{\"mode\":\"{mode}\",\"addr\":\"{}\",\"conns\":{},\"size\":{},\"warmup_s\":{},\"duration_s\":{},\
             \"measured_s\":{:.6},\"round_trips\":{},\"round_trips_per_s\":{:.1},\"bytes\":{},\"mib_per_s\":{:.3},\
             \"latency_us\":{{\"p50\":{},\"p99\":{},\"p999\":{},\"max\":{},\"mean\":{:.2}}},\
             \"server_cpu_us\":{},\"server_cpu_us_per_{unit}\":{},\"client_cpu_us\":{},\"client_cpu_us_per_{unit}\":{}}}",
            cfg.addr_text.replace('\\', "\\\\").replace('"', "\\\""),
            cfg.conns,
            cfg.size,
            cfg.warmup.as_secs_f64(),
            cfg.duration.as_secs_f64(),
            secs,
            st.round_trips,
            rts,
            st.bytes,
            mibs,
            q(0.5),
            q(0.99),
            q(0.999),
            st.hist.max(),
            st.hist.mean(),
            fmt_opt(r.server_cpu_us),
            fmt_opt(per(r.server_cpu_us)),
            fmt_opt(r.client_cpu_us),
            fmt_opt(per(r.client_cpu_us)),
        )
    } else {
        let mut s = format!(
            "{mode} {} conns={} size={} measured={secs:.2}s\n",
            cfg.addr_text, cfg.conns, cfg.size
        );
        match cfg.mode {
            Mode::PingPong => {
                s += &format!(
                    "  round trips/s: {rts:.0} ({} round trips)\n  latency µs: p50 {} p99 {} p99.9 {} max {} mean {:.1}\n",
                    st.round_trips,
                    q(0.5),
                    q(0.99),
                    q(0.999),
                    st.hist.max(),
                    st.hist.mean()
                );
            }
            Mode::Stream => {
                s += &format!("  echoed: {mibs:.1} MiB/s ({mib:.1} MiB)\n");
            }
        }
        let unit = match cfg.mode {
            Mode::PingPong => "round trip",
            Mode::Stream => "MiB",
        };
        if let (Some(us), Some(p)) = (r.server_cpu_us, per(r.server_cpu_us)) {
            s += &format!(
                "  server CPU: {:.1} ms, {p:.2} µs per {unit}\n",
                us / 1000.0
            );
        }
        if let (Some(us), Some(p)) = (r.client_cpu_us, per(r.client_cpu_us)) {
            s += &format!(
                "  client CPU: {:.1} ms, {p:.2} µs per {unit}\n",
                us / 1000.0
            );
        }
        write!(out, "{s}")
    };
    if res.and_then(|()| out.flush()).is_err() {
        std::process::exit(1);
    }
}
