//! The floor of `cargo xtask bench`: a raw edge-triggered epoll TCP echo server.
//!
//! No runtime, no futures, no goroutines: one thread calls `epoll_wait`, accepts
//! until `EAGAIN`, and for each ready connection reads into a 4 KiB buffer until
//! `EAGAIN`, writing back what it read. When the socket send buffer is full the
//! unsent tail stays in the buffer, reading stops, and the connection waits for
//! `EPOLLOUT` (every connection is registered once for `EPOLLIN | EPOLLOUT |
//! EPOLLET`, so there is exactly one `epoll_ctl` per connection). A runtime that
//! serves the same echo costs at least this much CPU per round trip; this server is
//! the number no runtime can beat.
//!
//! ```text
//! epoll_echo --addr 127.0.0.1:0 [--threads N]
//! ```
//!
//! The first stdout line is `listening on ADDR` (flushed), then it serves until it
//! is killed. With `--threads N`, N independent epoll loops share one listening
//! socket (registered with `EPOLLEXCLUSIVE` in each) and accepted connections are
//! handed out round-robin: the accepting loop adds the new fd to loop `k % N`'s
//! epoll set, and that loop adopts it on its first event. Each connection is then
//! served by one thread only.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Per-connection buffer size, the same 4 KiB the other servers under test use.
const BUF_SIZE: usize = 4096;
/// `epoll_event.u64` of the listening socket; connections carry their fd.
const LISTENER_TOKEN: u64 = u64::MAX;
/// Events fetched per `epoll_wait`.
const MAX_EVENTS: usize = 256;

fn usage() -> ! {
    eprintln!("usage: epoll_echo --addr HOST:PORT [--threads N]");
    std::process::exit(2);
}

fn main() {
    let mut addr: Option<SocketAddr> = None;
    let mut threads = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("epoll_echo: {name} needs a value");
                usage()
            })
        };
        match a.as_str() {
            "--addr" => {
                let v = val("--addr");
                addr = Some(v.parse().unwrap_or_else(|e| {
                    eprintln!("epoll_echo: bad --addr {v:?}: {e}");
                    usage()
                }));
            }
            "--threads" => {
                let v = val("--threads");
                threads = match v.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => {
                        eprintln!("epoll_echo: bad --threads {v:?}");
                        usage()
                    }
                };
            }
            "-h" | "--help" => usage(),
            other => {
                eprintln!("epoll_echo: unknown argument {other:?}");
                usage()
            }
        }
    }
    let addr = addr.unwrap_or_else(|| usage());
    raise_nofile_limit();
    if let Err(e) = run(addr, threads) {
        eprintln!("epoll_echo: {e}");
        std::process::exit(1);
    }
}

/// Raises the soft limit on open files to the hard limit, as Go's runtime
/// does for every Go program at start-up (see
/// https://github.com/golang/go/blob/go1.27/src/syscall/rlimit.go), so that
/// this server can hold as many connections as the hard limit allows (the soft
/// limit is often 1024). A failure is reported and otherwise ignored: the
/// program still works, with fewer descriptors.
fn raise_nofile_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        eprintln!(
            "epoll_echo: getrlimit(RLIMIT_NOFILE): {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit, read by setrlimit only.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            eprintln!(
                "epoll_echo: setrlimit(RLIMIT_NOFILE): {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

fn run(addr: SocketAddr, threads: usize) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    // std listens with a small backlog; a second listen() on a listening socket
    // only raises it (the kernel caps it at net.core.somaxconn), so 1024
    // simultaneous connects are not dropped and retried a second later.
    // SAFETY: the fd is a valid listening socket owned by `listener`.
    if unsafe { libc::listen(listener.as_raw_fd(), 4096) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let local = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {local}")?;
        out.flush()?;
    }

    let epfds: Vec<OwnedFd> = (0..threads)
        .map(|_| epoll_create())
        .collect::<Result<_, _>>()?;
    // Level-triggered and exclusive: one loop wakes per new connection, and it
    // accepts until EAGAIN.
    let listen_flags = if threads > 1 {
        libc::EPOLLIN as u32 | libc::EPOLLEXCLUSIVE as u32
    } else {
        libc::EPOLLIN as u32
    };
    for ep in &epfds {
        epoll_add(
            ep.as_raw_fd(),
            listener.as_raw_fd(),
            listen_flags,
            LISTENER_TOKEN,
        )?;
    }
    let shared = Arc::new(Shared {
        listener,
        epfds,
        next: AtomicUsize::new(0),
    });
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("epoll-{i}"))
                .spawn(move || serve(&shared, i))
        })
        .collect::<Result<_, _>>()?;
    for h in handles {
        match h.join() {
            Ok(r) => r?,
            Err(_) => return Err(std::io::Error::other("an epoll thread panicked")),
        }
    }
    Ok(())
}

/// State every loop reads: the listener, every loop's epoll fd and the
/// round-robin counter for handing out connections.
struct Shared {
    listener: TcpListener,
    epfds: Vec<OwnedFd>,
    /// Round-robin position. Relaxed suffices: it only spreads load; the fd
    /// itself is published to the target loop by `epoll_ctl`, a syscall.
    next: AtomicUsize,
}

/// One connection: its socket and the bytes read but not yet echoed
/// (`buf[start..end]`).
struct Conn {
    fd: OwnedFd,
    start: usize,
    end: usize,
    buf: [u8; BUF_SIZE],
}

fn epoll_create() -> std::io::Result<OwnedFd> {
    // SAFETY: plain syscall with no pointer arguments.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by epoll_create1 and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn epoll_add(ep: RawFd, fd: RawFd, events: u32, token: u64) -> std::io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    if unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// One epoll loop. Never returns except on an epoll error.
fn serve(shared: &Shared, me: usize) -> std::io::Result<()> {
    let ep = shared.epfds[me].as_raw_fd();
    let mut conns: Vec<Option<Box<Conn>>> = Vec::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
    // Fds this loop closed while handling the current batch: a later event of
    // the same batch for that number is stale (the number may already belong
    // to a new connection handed to another loop) and must be skipped.
    let mut closed: Vec<RawFd> = Vec::new();
    loop {
        // SAFETY: `events` has room for MAX_EVENTS entries.
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), MAX_EVENTS as i32, -1) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        closed.clear();
        for ev in &events[..n as usize] {
            let token = ev.u64;
            if token == LISTENER_TOKEN {
                accept_all(shared);
                continue;
            }
            let fd = token as RawFd;
            if closed.contains(&fd) {
                continue;
            }
            let idx = fd as usize;
            if conns.len() <= idx {
                conns.resize_with(idx + 1, || None);
            }
            let slot = &mut conns[idx];
            if slot.is_none() {
                // First event of a connection handed to this loop: adopt it.
                *slot = Some(Box::new(Conn {
                    // SAFETY: accept_all gave up ownership of this fd when it
                    // registered it with this loop's epoll; this loop is its
                    // only owner from now on.
                    fd: unsafe { OwnedFd::from_raw_fd(fd) },
                    start: 0,
                    end: 0,
                    buf: [0; BUF_SIZE],
                }));
            }
            let conn = slot.as_mut().expect("slot was just filled");
            if !echo(conn) {
                // Dropping the OwnedFd closes it, which also removes it from epoll.
                *slot = None;
                closed.push(fd);
            }
        }
    }
}

/// Accepts until EAGAIN, handing each connection to a loop round-robin.
fn accept_all(shared: &Shared) {
    let lfd = shared.listener.as_raw_fd();
    loop {
        // SAFETY: null address pointers are allowed when the peer address is
        // not wanted.
        let fd = unsafe {
            libc::accept4(
                lfd,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EAGAIN) => return,
                Some(libc::EINTR) | Some(libc::ECONNABORTED) => continue,
                _ => {
                    // EMFILE and friends: report and let the next wakeup retry.
                    eprintln!("epoll_echo: accept: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    return;
                }
            }
        }
        let one: libc::c_int = 1;
        // SAFETY: `one` outlives the call and its size is passed.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        let k = shared.next.fetch_add(1, Ordering::Relaxed) % shared.epfds.len();
        let flags = libc::EPOLLIN as u32 | libc::EPOLLOUT as u32 | libc::EPOLLET as u32;
        if let Err(e) = epoll_add(shared.epfds[k].as_raw_fd(), fd, flags, fd as u64) {
            eprintln!("epoll_echo: epoll_ctl: {e}");
            // SAFETY: registration failed, so nobody else will adopt `fd`.
            unsafe { libc::close(fd) };
        }
        // On success the fd is owned by loop k, which adopts it on its first
        // event (a fresh socket is writable, so that event comes at once).
    }
}

/// Edge-triggered service of one connection: flush what is pending, then read
/// until EAGAIN echoing each read. Returns false when the connection must close
/// (EOF or error).
fn echo(c: &mut Conn) -> bool {
    let fd = c.fd.as_raw_fd();
    loop {
        while c.start < c.end {
            // SAFETY: the range lies inside `c.buf`.
            let n = unsafe { libc::write(fd, c.buf[c.start..].as_ptr().cast(), c.end - c.start) };
            if n < 0 {
                match std::io::Error::last_os_error().raw_os_error() {
                    // Socket buffer full: keep the tail, wait for EPOLLOUT.
                    Some(libc::EAGAIN) => return true,
                    Some(libc::EINTR) => continue,
                    _ => return false,
                }
            }
            c.start += n as usize;
        }
        c.start = 0;
        c.end = 0;
        // SAFETY: `c.buf` has BUF_SIZE writable bytes.
        let n = unsafe { libc::read(fd, c.buf.as_mut_ptr().cast(), BUF_SIZE) };
        if n < 0 {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EAGAIN) => return true,
                Some(libc::EINTR) => continue,
                _ => return false,
            }
        }
        if n == 0 {
            return false;
        }
        c.end = n as usize;
    }
}
