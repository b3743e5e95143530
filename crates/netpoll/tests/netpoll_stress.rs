//! Stress test of the netpoller: many goroutine pairs ping-ponging over pipes, so every wake-up path races; none may be lost.

mod common;

use std::time::Duration;

use common::{Polled, pipe, runtime};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

/// Pairs and round trips: enough to race the READY/WAIT handshake many
/// thousand times, small enough for a debug build to finish in seconds.
const PAIRS: usize = 1000;
const ROUNDS: usize = 100;

#[test]
fn ping_pong_pairs_lose_no_wakeup() {
    let _w = watchdog::start("ping_pong_pairs_lose_no_wakeup", Duration::from_secs(300));
    let total = runtime(2).block_on(|| {
        let mut handles = Vec::new();
        for _ in 0..PAIRS {
            let (a_r, b_w) = pipe(); // b → a
            let (b_r, a_w) = pipe(); // a → b
            let pong = gort_runtime::spawn(move || {
                let r = Polled::open(b_r);
                let w = Polled::open(b_w);
                let mut buf = [0u8; 1];
                for i in 0..ROUNDS {
                    assert_eq!(r.read(&mut buf).unwrap(), 1);
                    assert_eq!(buf[0], i as u8);
                    w.write(&buf).unwrap();
                }
            });
            let ping = gort_runtime::spawn(move || {
                let r = Polled::open(a_r);
                let w = Polled::open(a_w);
                let mut buf = [0u8; 1];
                for i in 0..ROUNDS {
                    w.write(&[i as u8]).unwrap();
                    assert_eq!(r.read(&mut buf).unwrap(), 1);
                    assert_eq!(buf[0], i as u8);
                }
                ROUNDS
            });
            handles.push((ping, pong));
        }
        handles
            .into_iter()
            .map(|(ping, pong)| {
                pong.join().unwrap();
                ping.join().unwrap()
            })
            .sum::<usize>()
    });
    assert_eq!(total, PAIRS * ROUNDS);
}

/// Races a wait that is just starting against a deadline set in the past
/// or a close from another goroutine, many times: the waiter must always
/// come back with the error, never sleep through it (the store-load
/// handshake between `rg` and `info`).
#[test]
fn deadline_and_close_racing_a_starting_wait_are_never_missed() {
    use std::sync::Arc;

    use gort_netpoll::{Mode, PollError};

    let _w = watchdog::start(
        "deadline_and_close_racing_a_starting_wait_are_never_missed",
        Duration::from_secs(300),
    );
    runtime(2).block_on(|| {
        for i in 0..2000 {
            let (r, _w) = pipe();
            let r = Arc::new(Polled::open(r));
            let r2 = r.clone();
            let waiter = gort_runtime::spawn(move || {
                let mut buf = [0u8; 1];
                r2.read(&mut buf)
            });
            if i % 3 == 1 {
                gort_runtime::yield_now();
            }
            let want = if i % 2 == 0 {
                r.pd.poll_set_deadline(-1, Mode::Read);
                PollError::Timeout
            } else {
                r.pd.poll_unblock();
                PollError::Closing
            };
            assert_eq!(waiter.join().unwrap(), Err(want), "iteration {i}");
        }
    });
}
