//! Sockets under a runtime without a netpoller.
//!
//! A runtime built with gort-runtime alone (`gort_runtime::run`,
//! `gort_runtime::Runtime`) has goroutines and timers but no netpoller. A
//! socket made in one of its goroutines could neither park the goroutine
//! nor enforce a deadline, so gort-net refuses to make it, with Go-shaped
//! text that says what to do instead. A plain thread (outside any
//! goroutine, or inside `blocking`) keeps today's blocking mode, and the
//! same calls under `gort::run` work with deadlines.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use gort_net::{dial, listen, listen_packet, op_error};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

/// What every refused socket reports after its operation and address.
const NO_POLLER: &str =
    "gort: this runtime has no network poller; build it with gort::Builder or gort::run";

/// Checks that `err` is the no-poller refusal of `what` (Go's `op net addr`
/// prefix), all the way down: the text, the kind, and the typed error
/// inside the `OpError`.
fn assert_no_poller(err: &io::Error, what: &str) {
    assert_eq!(err.to_string(), format!("{what}: {NO_POLLER}"));
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    let op = op_error(err).unwrap_or_else(|| panic!("not an OpError: {err:?}"));
    assert!(gort_netpoll::is_no_poller(&op.err), "{:?}", op.err);
}

#[test]
fn listen_in_a_goroutine_of_a_runtime_without_a_poller_fails_clearly() {
    let _w = watchdog::start(
        "listen_in_a_goroutine_of_a_runtime_without_a_poller_fails_clearly",
        watchdog::LIMIT,
    );
    gort_runtime::run(|| {
        let Err(err) = listen("tcp", "127.0.0.1:0") else {
            panic!("listen tcp succeeded");
        };
        assert_no_poller(&err, "listen tcp 127.0.0.1:0");
        let Err(err) = listen_packet("udp", "127.0.0.1:0") else {
            panic!("listen_packet udp succeeded");
        };
        assert_no_poller(&err, "listen udp 127.0.0.1:0");
        let path = std::env::temp_dir().join(format!("gort-no-poller-{}.sock", std::process::id()));
        let path = path.to_str().unwrap().to_owned();
        let _ = std::fs::remove_file(&path);
        let Err(err) = listen("unix", &path) else {
            panic!("listen unix succeeded");
        };
        assert_no_poller(&err, &format!("listen unix {path}"));
        // bind(2) made the file before the socket was refused.
        let _ = std::fs::remove_file(&path);
    });
}

#[test]
fn dial_in_a_goroutine_of_a_runtime_without_a_poller_fails_clearly() {
    let _w = watchdog::start(
        "dial_in_a_goroutine_of_a_runtime_without_a_poller_fails_clearly",
        watchdog::LIMIT,
    );
    // A peer that is not gort's, so that only the dial side is refused.
    let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = peer.local_addr().unwrap().to_string();
    let rt = gort_runtime::Runtime::builder().procs(2).build().unwrap();
    let a = addr.clone();
    let Some(err) = rt.block_on(move || dial("tcp", &a).err()) else {
        panic!("dial succeeded");
    };
    assert_no_poller(&err, &format!("dial tcp {addr}"));
}

#[test]
fn a_blocking_call_in_such_a_runtime_still_gets_a_blocking_mode_socket() {
    let _w = watchdog::start(
        "a_blocking_call_in_such_a_runtime_still_gets_a_blocking_mode_socket",
        watchdog::LIMIT,
    );
    // Inside `blocking` the code runs on a helper thread, which is a plain
    // thread: it cannot park, so blocking mode is what it asked for.
    let echoed = gort_runtime::run(|| {
        gort_runtime::blocking(|| {
            let ln = listen("tcp", "127.0.0.1:0").unwrap();
            let addr = ln.addr().to_string();
            let server = std::thread::spawn(move || {
                let mut c = ln.accept().unwrap();
                let mut b = [0; 4];
                c.read_exact(&mut b).unwrap();
                c.write_all(&b).unwrap();
            });
            let mut c = dial("tcp", &addr).unwrap();
            c.write_all(b"ping").unwrap();
            let mut b = [0; 4];
            c.read_exact(&mut b).unwrap();
            server.join().unwrap();
            b
        })
    });
    assert_eq!(&echoed, b"ping");
}

#[test]
fn a_plain_thread_keeps_blocking_mode() {
    let _w = watchdog::start("a_plain_thread_keeps_blocking_mode", watchdog::LIMIT);
    let ln = listen("tcp", "127.0.0.1:0").unwrap();
    let addr = ln.addr().to_string();
    let server = std::thread::spawn(move || {
        let c = ln.accept().unwrap();
        c.write_all(b"hi").unwrap();
    });
    let mut c = dial("tcp", &addr).unwrap();
    let mut b = [0; 2];
    c.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"hi");
    server.join().unwrap();
}

#[test]
fn the_same_calls_under_gort_run_work_with_deadlines() {
    let _w = watchdog::start(
        "the_same_calls_under_gort_run_work_with_deadlines",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let ln = listen("tcp", "127.0.0.1:0").unwrap();
        let addr = ln.addr().to_string();
        let mut c = dial("tcp", &addr).unwrap();
        let _peer = ln.accept().unwrap();
        // Nothing is sent, so the read can only end at its deadline.
        let start = Instant::now();
        c.set_read_deadline(Some(start + Duration::from_millis(50)))
            .unwrap();
        let err = c.read(&mut [0; 1]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(start.elapsed() >= Duration::from_millis(50));
    });
}
