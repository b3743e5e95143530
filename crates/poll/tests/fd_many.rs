//! Scale tests of gort-poll's `FD`: a thousand goroutines parked on a thousand pipes, 4,000 pipes ping-ponging, and 10,000 socket pairs × 100 round trips between two processes, all with no lost wake-up.
//!
//! The 10k-pair case cannot be made of pipes in one process: the hard
//! `RLIMIT_NOFILE` here is 20,000 descriptors per process and cannot be
//! raised, and 10,000 ping pipes plus 10,000 pong pipes are 40,000
//! descriptors. Split across two processes that is still 20,000 in each
//! (one end of every pipe), over the limit once stdio and the runtime's own
//! descriptors are counted. So each pair is one bidirectional
//! `socketpair(AF_UNIX, SOCK_STREAM)`: the test process keeps one end of
//! each (10,000 descriptors) and a child process, the same test binary
//! re-run with [`CHILD_ENV`] set, gets the other end over a control socket
//! (`SCM_RIGHTS`, [`BATCH`] at a time, the parent closing its copies as it
//! goes) and echoes. [`thousands_of_pipes_ping_pong_without_lost_wakeups`]
//! keeps pipes proper covered, at the 8,000 descriptors one process allows
//! beside the rest.

use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use gort_poll::{FD, FdKind};
use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags,
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketFlags, SocketType,
};

mod common;
use common::{pipe, rt};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

/// Serializes the tests that each need thousands of descriptors, so that
/// together they stay under `RLIMIT_NOFILE`.
fn fd_budget() -> MutexGuard<'static, ()> {
    static BUDGET: Mutex<()> = Mutex::new(());
    BUDGET.lock().unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn thousand_parked_readers_all_wake() {
    let _budget = fd_budget();
    let _w = watchdog::start("thousand_parked_readers_all_wake", Duration::from_secs(120));
    rt().block_on(|| {
        const N: usize = 1000;
        let mut writers = Vec::with_capacity(N);
        let mut readers = Vec::with_capacity(N);
        for i in 0..N {
            let (r, w) = pipe();
            writers.push(w);
            readers.push(gort_runtime::spawn(move || {
                let mut b = [0u8; 8];
                let n = r.read(&mut b).unwrap();
                assert_eq!(&b[..n], &(i as u64).to_le_bytes()[..n]);
                n
            }));
        }
        wait::parked(WaitReason::IoWait, N);
        for (i, w) in writers.iter().enumerate() {
            assert_eq!(w.write(&(i as u64).to_le_bytes()).unwrap(), 8);
        }
        let total: usize = readers.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, N * 8);
    });
}

/// 2,000 pairs of pipes (4,000 pipes, 8,000 descriptors) × 100 round
/// trips in one process: the pipe flavour of
/// [`ten_thousand_socket_pairs_across_two_processes_without_lost_wakeups`].
#[test]
fn thousands_of_pipes_ping_pong_without_lost_wakeups() {
    const PAIRS: usize = 2000;
    const ROUNDS: u32 = 100;
    let _budget = fd_budget();
    let _w = watchdog::start(
        "thousands_of_pipes_ping_pong_without_lost_wakeups",
        Duration::from_secs(300),
    );
    rt().block_on(|| {
        let mut clients = Vec::with_capacity(PAIRS);
        for _ in 0..PAIRS {
            let (ping_r, ping_w) = pipe();
            let (pong_r, pong_w) = pipe();
            // Echo server: returns each number plus one.
            gort_runtime::spawn(move || {
                let mut b = [0u8; 4];
                for _ in 0..ROUNDS {
                    read_full(&ping_r, &mut b);
                    let v = u32::from_le_bytes(b) + 1;
                    assert_eq!(pong_w.write(&v.to_le_bytes()).unwrap(), 4);
                }
            });
            clients.push(gort_runtime::spawn(move || {
                let mut b = [0u8; 4];
                let mut v = 0u32;
                for _ in 0..ROUNDS {
                    assert_eq!(ping_w.write(&v.to_le_bytes()).unwrap(), 4);
                    read_full(&pong_r, &mut b);
                    v = u32::from_le_bytes(b);
                }
                v
            }));
        }
        for c in clients {
            assert_eq!(c.join().unwrap(), ROUNDS);
        }
    });
}

fn read_full(fd: &FD, buf: &mut [u8]) {
    try_read_full(fd, buf).unwrap();
}

/// The environment variable that turns this test binary into the echoing
/// child of [`ten_thousand_socket_pairs_across_two_processes_without_lost_wakeups`].
const CHILD_ENV: &str = "GORT_FD_MANY_CHILD";
/// The name the child is re-run with (`--exact`).
const TEN_K_TEST: &str = "ten_thousand_socket_pairs_across_two_processes_without_lost_wakeups";
/// Socket pairs: one goroutine at each end of each.
const SOCK_PAIRS: usize = 10_000;
/// Round trips per pair.
const SOCK_ROUNDS: u32 = 100;
/// Descriptors per `SCM_RIGHTS` message (Linux takes at most 253).
const BATCH: usize = 200;
/// Descriptors each process needs beside its 10,000 ends: stdio, the
/// runtime's epoll and wake-up descriptors, the control socket and a batch
/// in flight (the other fd-hungry tests wait for [`fd_budget`]).
const HEADROOM: u64 = 500;
/// How long either process may take before it aborts as hung.
const TEN_K_LIMIT: Duration = Duration::from_secs(240);

/// 10,000 socket pairs × 100 round trips, every pair at once: this process
/// writes a distinct 8-byte value per pair and round and checks that the
/// echo is that value; a child process (this binary, re-run in child mode)
/// holds the other ends and echoes. A lost wake-up on either side stalls a
/// pair and trips the time limit.
#[test]
fn ten_thousand_socket_pairs_across_two_processes_without_lost_wakeups() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return echo_child();
    }
    let _budget = fd_budget();
    let watchdog = watchdog::start(TEN_K_TEST, TEN_K_LIMIT);
    let limit = gort_poll::raise_nofile_limit().unwrap();
    if limit < SOCK_PAIRS as u64 + HEADROOM {
        eprintln!(
            "skipping {TEN_K_TEST}: RLIMIT_NOFILE hard limit {limit} < {}",
            SOCK_PAIRS as u64 + HEADROOM
        );
        return;
    }
    // SEQPACKET keeps each batch one message, its count beside its rights.
    let (ctl, child_ctl) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    // The child's end of the control socket becomes its stdin. Its stdout
    // (libtest's chatter) is dropped; its stderr (panics) is ours.
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEN_K_TEST, "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::from(child_ctl))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let child = Arc::new(Mutex::new(child));
    // Kills and reaps the child if the test fails before it has exited.
    let _reaper = KillOnDrop(Arc::clone(&child));
    // The child would outlive a hung parent.
    let reaped = Arc::clone(&child);
    watchdog.on_expiry(move || kill_and_reap(&reaped));
    let mine = send_peer_ends(&ctl);
    drop(ctl);
    let failed = rt().block_on(move || {
        let pingers: Vec<_> = mine
            .into_iter()
            .enumerate()
            .map(|(i, end)| {
                let fd = FD::new(end, FdKind::Stream, true);
                assert!(fd.pollable(), "{:?}", fd.init_error());
                gort_runtime::spawn(move || -> Result<(), String> {
                    let mut echo = [0u8; 8];
                    for round in 0..SOCK_ROUNDS {
                        let sent = ((i as u64) << 32 | u64::from(round)).to_le_bytes();
                        try_write_read(&fd, &sent, &mut echo)
                            .map_err(|e| format!("pair {i}, round {round}: {e}"))?;
                        assert_eq!(echo, sent, "pair {i}, round {round}: wrong echo");
                    }
                    // Dropping `fd` closes our end: the child sees EOF.
                    Ok(())
                })
            })
            .collect();
        failures(pingers)
    });
    let status = wait_exit(&child);
    assert!(status.success(), "echo child: {status}");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Child mode: receives the 10,000 ends on stdin, then echoes
/// [`SOCK_ROUNDS`] 8-byte messages on each, all at once, and checks that
/// the parent then closes its end.
fn echo_child() {
    let limit = gort_poll::raise_nofile_limit().unwrap();
    assert!(
        limit >= SOCK_PAIRS as u64 + HEADROOM,
        "child: RLIMIT_NOFILE {limit}"
    );
    let _w = watchdog::start(&format!("{TEN_K_TEST} (child)"), TEN_K_LIMIT);
    let ends = recv_peer_ends(std::io::stdin().as_fd());
    rt().block_on(move || {
        let echoers: Vec<_> = ends
            .into_iter()
            .map(|end| {
                let fd = FD::new(end, FdKind::Stream, true);
                assert!(fd.pollable(), "{:?}", fd.init_error());
                gort_runtime::spawn(move || -> Result<(), String> {
                    let mut b = [0u8; 8];
                    for round in 0..SOCK_ROUNDS {
                        try_read_full(&fd, &mut b)
                            .and_then(|()| try_write_all(&fd, &b))
                            .map_err(|e| format!("echo, round {round}: {e}"))?;
                    }
                    let n = fd.read(&mut b).map_err(|e| format!("echo, at EOF: {e}"))?;
                    assert_eq!(n, 0, "bytes after the last round");
                    Ok(())
                })
            })
            .collect();
        let failed = failures(echoers);
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    });
}

/// Joins `gs`; returns at most a few of their errors, and how many there
/// were (when one side dies, every pair fails alike).
fn failures(gs: Vec<gort_runtime::JoinHandle<Result<(), String>>>) -> Vec<String> {
    let mut errs: Vec<String> = gs
        .into_iter()
        .filter_map(|g| g.join().unwrap().err())
        .collect();
    if errs.len() > 3 {
        let n = errs.len();
        errs.truncate(3);
        errs.push(format!("... {n} pairs failed in all"));
    }
    errs
}

/// Writes all of `msg` and reads its echo into `echo`.
fn try_write_read(fd: &FD, msg: &[u8], echo: &mut [u8]) -> std::io::Result<()> {
    try_write_all(fd, msg)?;
    try_read_full(fd, echo)
}

fn try_write_all(fd: &FD, msg: &[u8]) -> std::io::Result<()> {
    let n = fd.write(msg)?;
    assert_eq!(n, msg.len(), "short write without an error");
    Ok(())
}

/// Fills `buf`, failing with `UnexpectedEof` if the peer closes first.
fn try_read_full(fd: &FD, buf: &mut [u8]) -> std::io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        match fd.read(&mut buf[got..])? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(())
}

/// Makes the socket pairs, keeping one end of each and sending the other
/// to the child over `ctl`, [`BATCH`] at a time; each sent end is closed
/// here at once, so this process never holds more than
/// `SOCK_PAIRS + BATCH` of them.
fn send_peer_ends(ctl: &OwnedFd) -> Vec<OwnedFd> {
    let mut mine = Vec::with_capacity(SOCK_PAIRS);
    let mut theirs = Vec::with_capacity(BATCH);
    for i in 0..SOCK_PAIRS {
        let (a, b) = rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        mine.push(a);
        theirs.push(b);
        if theirs.len() == BATCH || i + 1 == SOCK_PAIRS {
            send_fds(ctl.as_fd(), &theirs);
            theirs.clear(); // the child holds its own copies now
        }
    }
    mine
}

/// Sends `fds` in one `SCM_RIGHTS` message whose data is their count
/// (little-endian `u32`).
fn send_fds(ctl: BorrowedFd<'_>, fds: &[OwnedFd]) {
    let rights: Vec<BorrowedFd<'_>> = fds.iter().map(AsFd::as_fd).collect();
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(BATCH))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    assert!(control.push(SendAncillaryMessage::ScmRights(&rights)));
    let count = u32::try_from(fds.len()).unwrap().to_le_bytes();
    let n = loop {
        match rustix::net::sendmsg(
            ctl,
            &[IoSlice::new(&count)],
            &mut control,
            SendFlags::NOSIGNAL,
        ) {
            Err(Errno::INTR) => continue,
            r => break r.expect("sendmsg to the echo child"),
        }
    };
    assert_eq!(n, count.len());
}

/// Receives [`SOCK_PAIRS`] descriptors sent by [`send_fds`] (close-on-exec).
fn recv_peer_ends(ctl: BorrowedFd<'_>) -> Vec<OwnedFd> {
    let mut got = Vec::with_capacity(SOCK_PAIRS);
    while got.len() < SOCK_PAIRS {
        let mut count = [0u8; 4];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(BATCH))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let msg = loop {
            match rustix::net::recvmsg(
                ctl,
                &mut [IoSliceMut::new(&mut count)],
                &mut control,
                RecvFlags::CMSG_CLOEXEC,
            ) {
                Err(Errno::INTR) => continue,
                r => break r.expect("recvmsg from the parent"),
            }
        };
        assert_eq!(
            msg.bytes,
            count.len(),
            "control socket ended after {} descriptors",
            got.len()
        );
        assert!(
            !msg.flags.contains(ReturnFlags::CTRUNC),
            "descriptors truncated"
        );
        let before = got.len();
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = m {
                got.extend(rights);
            }
        }
        assert_eq!(got.len() - before, u32::from_le_bytes(count) as usize);
    }
    got
}

/// Waits for the child to exit, polling so that the lock is free for
/// [`kill_and_reap`] in between (the caller's time limit bounds the wait).
fn wait_exit(child: &Mutex<Child>) -> ExitStatus {
    loop {
        let st = child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_wait()
            .unwrap();
        if let Some(st) = st {
            return st;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Kills the child (if it still runs) and reaps it.
fn kill_and_reap(child: &Mutex<Child>) {
    let mut c = child.lock().unwrap_or_else(PoisonError::into_inner);
    // Both are no-ops on a child already reaped.
    let _ = c.kill();
    let _ = c.wait();
}

/// Kills and reaps the child when dropped, on every way out of the test.
struct KillOnDrop(Arc<Mutex<Child>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        kill_and_reap(&self.0);
    }
}
