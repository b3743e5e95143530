//! Load and churn: a server that opens and closes connections for a long
//! time must hand every descriptor back and not grow, and a thousand
//! goroutines parked on a thousand sockets must each get their own data.
//!
//! The tests measure the whole process (open descriptors in
//! `/proc/self/fd`, resident memory from `VmRSS` less `LazyFree`),
//! so they take [`SERIAL`] and run one at a time. (Ten thousand concurrent
//! connections, which need a second process for their descriptors, are
//! `tcp_10k.rs`.)

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use gort::net::{self, TcpConn, dial_tcp, listen_tcp, resolve_tcp_addr};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

/// Held by every test in this file: each measures the whole process.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The process's open descriptors (the listing's own included, the same
/// each time).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The process's resident set less the pages the kernel may take back at
/// will, in KiB: `VmRSS` minus `LazyFree` (`/proc/self/smaps_rollup`).
/// Free goroutine stacks are released with `MADV_FREE`, so they stay in
/// `VmRSS` until there is memory pressure; they are not held memory.
fn rss_kib() -> u64 {
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    field(&status, "VmRSS:").saturating_sub(field(&rollup, "LazyFree:"))
}

/// Bytes each client writes before it closes.
const MSG: usize = 24;

/// Client `i`'s message: its number, then a pattern derived from it.
fn message(i: u64) -> [u8; MSG] {
    let mut m = [0u8; MSG];
    m[..8].copy_from_slice(&i.to_le_bytes());
    for (k, b) in m[8..].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ (k as u8).wrapping_mul(7);
    }
    m
}

/// Client goroutines dialing at once.
const CLIENTS: u64 = 8;
/// How long one churn run may take before it gives up as hung.
const LIMIT: Duration = Duration::from_secs(120);

/// What a churn run saw.
struct Churn {
    fds_before: usize,
    fds_after: usize,
    rss_before: u64,
    rss_after: u64,
    served: u64,
    bad: Vec<String>,
}

/// `warm` cycles, then a measurement, then `cycles` more: each a dial, a
/// write of [`MSG`] bytes and a close by the client, and on the server an
/// accept, a goroutine that reads to end of file and checks the message,
/// and a close; then a measurement once every server goroutine is done.
/// The warm-up opens the netpoller's epoll instance and fills the stack
/// pool and the allocator's caches, which stay.
fn churn(warm: u64, cycles: u64) -> Churn {
    gort::run(move || {
        let ln = listen_tcp(
            "tcp",
            Some(&resolve_tcp_addr("tcp", "127.0.0.1:0").unwrap()),
        )
        .unwrap();
        let addr = ln.addr();
        let served = Arc::new(AtomicU64::new(0));
        let bad = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let deadline = start + LIMIT;
        // One server: accepts `n` conns, a goroutine each, and waits for
        // them all.
        let serve = {
            let ln = Arc::new(ln);
            let (served, bad) = (served.clone(), bad.clone());
            move |n: u64| {
                let (served, bad, ln) = (served.clone(), bad.clone(), ln.clone());
                gort::spawn(move || {
                    let wg = Arc::new(gort::sync::WaitGroup::new());
                    for _ in 0..n {
                        ln.set_deadline(Some(deadline)).unwrap();
                        let c = ln.accept().unwrap_or_else(|e| panic!("accept: {e}"));
                        let (served, bad) = (served.clone(), bad.clone());
                        wg.go(move || match check(&c, deadline) {
                            Ok(()) => {
                                // Relaxed: a count read after the
                                // WaitGroup's wait, which orders it.
                                served.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => bad.lock().unwrap().push(e),
                        });
                    }
                    wg.wait();
                })
            }
        };
        let clients = |from: u64, n: u64| {
            let hs: Vec<_> = (0..CLIENTS)
                .map(|w| {
                    let addr = addr.clone();
                    gort::spawn(move || {
                        let mut i = from + w;
                        while i < from + n {
                            let c = dial_tcp("tcp", None, &addr)
                                .unwrap_or_else(|e| panic!("cycle {i}: {e}"));
                            c.write_all(&message(i)).unwrap();
                            c.close().unwrap();
                            i += CLIENTS;
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        };
        let server = serve(warm);
        clients(0, warm);
        server.join().unwrap();
        // Free stacks stay warm for a scavenger period or two; measure what
        // is held, not what the pool keeps for the next burst.
        gort::debug::free_os_memory();
        let (fds_before, rss_before) = (open_fds(), rss_kib());
        let server = serve(cycles);
        clients(warm, cycles);
        server.join().unwrap();
        gort::debug::free_os_memory();
        let (fds_after, rss_after) = (open_fds(), rss_kib());
        eprintln!(
            "{cycles} cycles in {:?}: {fds_before} -> {fds_after} fds, RSS less LazyFree {rss_before} -> {rss_after} KiB",
            start.elapsed()
        );
        let bad = std::mem::take(&mut *bad.lock().unwrap());
        Churn {
            fds_before,
            fds_after,
            rss_before,
            rss_after,
            // Relaxed: see the increment.
            served: served.load(Ordering::Relaxed),
            bad,
        }
    })
}

/// The server side of one cycle: reads to end of file under `deadline`
/// and checks that the message is one client's, whole.
fn check(c: &TcpConn, deadline: Instant) -> Result<(), String> {
    c.set_read_deadline(Some(deadline)).unwrap();
    let mut got = Vec::with_capacity(MSG);
    let mut r = c;
    r.read_to_end(&mut got).map_err(|e| e.to_string())?;
    if got.len() != MSG {
        return Err(format!("{} bytes, want {MSG}", got.len()));
    }
    let i = u64::from_le_bytes(got[..8].try_into().unwrap());
    if got[..] != message(i)[..] {
        return Err(format!("a garbled message: {got:?}"));
    }
    Ok(())
}

/// How much the resident set may grow over a churn run after its warm-up:
/// room for allocator and stack-pool noise, far below what leaking
/// anything per cycle would cost (one goroutine stack per cycle is
/// hundreds of MiB at these counts).
const RSS_SLACK_KIB: u64 = 24 << 10;

/// The caller holds `serial()`.
fn assert_churn_returns_everything(warm: u64, cycles: u64) {
    let r = churn(warm, cycles);
    assert!(
        r.bad.is_empty(),
        "{} bad cycles, first: {:?}",
        r.bad.len(),
        &r.bad[..r.bad.len().min(3)]
    );
    assert_eq!(
        r.served,
        warm + cycles,
        "cycles whose message arrived whole"
    );
    assert_eq!(
        r.fds_after, r.fds_before,
        "open descriptors before and after {cycles} cycles"
    );
    assert!(
        r.rss_after <= r.rss_before + RSS_SLACK_KIB,
        "resident set grew from {} KiB to {} KiB over {cycles} cycles",
        r.rss_before,
        r.rss_after
    );
}

/// 20,000 connect → write → close cycles against a gort server that
/// accepts each, reads it to end of file on its own goroutine and closes
/// it: every message arrives whole, and the process ends with the
/// descriptors it started with and about the same resident memory.
#[test]
fn connect_write_close_20k_cycles_give_back_fds_and_memory() {
    // The lock first: a watchdog must not count the wait for another test.
    let _serial = serial();
    let _w = watchdog::start(
        "connect_write_close_20k_cycles_give_back_fds_and_memory",
        watchdog::LIMIT,
    );
    assert_churn_returns_everything(2_000, 20_000);
}

/// The same for 100,000 cycles. About 17 s in a debug build on two cores,
/// so it runs in release builds (`cargo test --release`) or with
/// `--ignored`; the 20,000-cycle version always runs.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "100k cycles take ~17 s in a debug build; run with --release or --ignored"
)]
fn connect_write_close_100k_cycles_give_back_fds_and_memory() {
    let _serial = serial();
    let _w = watchdog::start(
        "connect_write_close_100k_cycles_give_back_fds_and_memory",
        Duration::from_secs(180),
    );
    assert_churn_returns_everything(5_000, 100_000);
}

/// Socket pairs in [`a_thousand_goroutines_each_read_their_own_udp_socket`].
const PAIRS: usize = 1000;
/// Datagrams each pair exchanges.
const DATAGRAMS: u32 = 20;

/// Datagram `round` of pair `i`: both numbers and a pattern of them.
fn datagram(i: usize, round: u32) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[..4].copy_from_slice(&(i as u32).to_le_bytes());
    d[4..8].copy_from_slice(&round.to_le_bytes());
    for (k, b) in d[8..].iter_mut().enumerate() {
        *b = (i as u8) ^ (round as u8).wrapping_mul(11) ^ k as u8;
    }
    d
}

/// A thousand UDP socket pairs on 127.0.0.1, a goroutine parked in
/// `read_from` on each listening socket and one in `read` on each dialed
/// one: every datagram reaches the goroutine of its own socket, intact,
/// and comes back. Closing them all returns every descriptor.
#[test]
fn a_thousand_goroutines_each_read_their_own_udp_socket() {
    let _serial = serial();
    let _w = watchdog::start(
        "a_thousand_goroutines_each_read_their_own_udp_socket",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let limit = gort_poll::raise_nofile_limit().unwrap();
        if limit < 2 * PAIRS as u64 + 200 {
            eprintln!(
                "skipped: RLIMIT_NOFILE {limit} is below {}",
                2 * PAIRS + 200
            );
            return;
        }
        let local = net::resolve_udp_addr("udp", "127.0.0.1:0").unwrap();
        // The netpoller opens its epoll instance with the first socket.
        drop(net::listen_udp("udp", Some(&local)).unwrap());
        let fds_before = open_fds();
        let deadline = Instant::now() + LIMIT;
        let (servers, clients): (Vec<_>, Vec<_>) = (0..PAIRS)
            .map(|_| {
                let s = net::listen_udp("udp", Some(&local)).unwrap();
                let c = net::dial_udp("udp", None, &s.local_addr()).unwrap();
                (s, c)
            })
            .unzip();
        let echoers: Vec<_> = servers
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                gort::spawn(move || -> Result<(), String> {
                    s.set_read_deadline(Some(deadline)).unwrap();
                    let mut buf = [0u8; 64];
                    for round in 0..DATAGRAMS {
                        let (n, from) = s
                            .read_from(&mut buf)
                            .map_err(|e| format!("pair {i}: {e}"))?;
                        if buf[..n] != datagram(i, round) {
                            return Err(format!("pair {i}, round {round}: {:?}", &buf[..n]));
                        }
                        s.write_to(&buf[..n], &from).map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        // The echoers park before anything is sent: a thousand
        // goroutines waiting in the netpoller at once.
        wait::parked(WaitReason::IoWait, PAIRS);
        let talkers: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                gort::spawn(move || -> Result<(), String> {
                    c.set_read_deadline(Some(deadline)).unwrap();
                    let mut buf = [0u8; 64];
                    for round in 0..DATAGRAMS {
                        let d = datagram(i, round);
                        c.write(&d).map_err(|e| e.to_string())?;
                        let n = c.read(&mut buf).map_err(|e| format!("pair {i}: {e}"))?;
                        if buf[..n] != d {
                            return Err(format!("pair {i}, round {round}: echo {:?}", &buf[..n]));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        let errs: Vec<String> = talkers
            .into_iter()
            .chain(echoers)
            .filter_map(|h| h.join().unwrap().err())
            .collect();
        assert!(
            errs.is_empty(),
            "{} failed, first: {:?}",
            errs.len(),
            &errs[..errs.len().min(3)]
        );
        // Every socket was dropped by its goroutine.
        assert_eq!(
            open_fds(),
            fds_before,
            "open descriptors after closing {PAIRS} pairs"
        );
    });
}
