//! Integration tests of poll_wait, deadlines and close on pipes, in a runtime with the epoll Poller installed.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Polled, pipe, runtime, write_now};
use gort_netpoll::{Mode, PollError, Poller};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

const MS: i64 = 1_000_000;

#[test]
fn goroutine_parked_on_empty_pipe_wakes_when_another_writes() {
    let _w = watchdog::start(
        "goroutine_parked_on_empty_pipe_wakes_when_another_writes",
        watchdog::LIMIT,
    );
    runtime(2).block_on(|| {
        let (r, w) = pipe();
        let r = Polled::open(r);
        let wrote = Arc::new(AtomicBool::new(false));
        let wrote2 = wrote.clone();
        let writer = gort_runtime::spawn(move || {
            // The reader has parked on the empty pipe.
            wait::parked(WaitReason::IoWait, 1);
            wrote2.store(true, Ordering::SeqCst);
            write_now(&w, b"hello");
            w
        });
        let mut buf = [0u8; 16];
        let n = r.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert!(wrote.load(Ordering::SeqCst));
        drop(writer.join().unwrap());
    });
}

#[test]
fn writer_parked_on_full_pipe_wakes_when_reader_drains() {
    let _w = watchdog::start(
        "writer_parked_on_full_pipe_wakes_when_reader_drains",
        watchdog::LIMIT,
    );
    runtime(2).block_on(|| {
        let (r, w) = pipe();
        let w = Polled::open(w);
        // Fill the pipe.
        let chunk = [7u8; 4096];
        let mut filled = 0usize;
        for _ in 0..10_000 {
            match rustix::io::write(&w.fd, &chunk) {
                Ok(n) => filled += n,
                Err(_) => break,
            }
        }
        let reader = gort_runtime::spawn(move || {
            // The writer has parked on the full pipe.
            wait::parked(WaitReason::IoWait, 1);
            let r = Polled::open(r);
            let mut buf = vec![0u8; 1 << 16];
            let mut got = 0;
            for _ in 0..10_000 {
                if got == filled + 4 {
                    break;
                }
                got += r.read(&mut buf).unwrap();
            }
            got
        });
        w.write(b"more").unwrap();
        assert_eq!(reader.join().unwrap(), filled + 4);
    });
}

#[test]
fn read_deadline_times_out_then_extending_it_lets_a_wait_succeed() {
    let _w = watchdog::start(
        "read_deadline_times_out_then_extending_it_lets_a_wait_succeed",
        watchdog::LIMIT,
    );
    runtime(2).block_on(|| {
        let (r, w) = pipe();
        let r = Polled::open(r);
        r.pd.poll_set_deadline(2 * MS, Mode::Read);
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf), Err(PollError::Timeout));
        // Still expired: fails at once, reset included.
        assert_eq!(r.pd.poll_reset(Mode::Read), Err(PollError::Timeout));
        // The write side has no deadline.
        assert_eq!(r.pd.poll_reset(Mode::Write), Ok(()));
        // Extend it: a wait that data ends succeeds.
        r.pd.poll_set_deadline(60_000 * MS, Mode::Read);
        let writer = gort_runtime::spawn(move || {
            wait::parked(WaitReason::IoWait, 1);
            write_now(&w, b"ok");
            w
        });
        let n = r.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ok");
        // Clearing it (0) also lets waits proceed.
        r.pd.poll_set_deadline(-1, Mode::Read);
        assert_eq!(r.pd.poll_wait(Mode::Read), Err(PollError::Timeout));
        r.pd.poll_set_deadline(0, Mode::Read);
        assert_eq!(r.pd.poll_reset(Mode::Read), Ok(()));
        drop(writer.join().unwrap());
    });
}

#[test]
fn a_stale_deadline_timer_never_fails_the_new_deadline() {
    let _w = watchdog::start(
        "a_stale_deadline_timer_never_fails_the_new_deadline",
        watchdog::LIMIT,
    );
    runtime(2).block_on(|| {
        let (r, w) = pipe();
        let r = Polled::open(r);
        // Arm for 1 ms, then push it far out many times: the first
        // arming's timer may still fire, and must not expire the new one.
        for _ in 0..50 {
            r.pd.poll_set_deadline(MS, Mode::Read);
            r.pd.poll_set_deadline(60_000 * MS, Mode::Read);
        }
        gort_runtime::time::sleep(Duration::from_millis(10));
        assert_eq!(r.pd.poll_reset(Mode::Read), Ok(()));
        write_now(&w, b"z");
        let mut buf = [0u8; 1];
        assert_eq!(r.read(&mut buf), Ok(1));
    });
}

#[test]
fn deadline_set_while_a_wait_is_blocked_takes_effect_on_that_wait() {
    let _w = watchdog::start(
        "deadline_set_while_a_wait_is_blocked_takes_effect_on_that_wait",
        watchdog::LIMIT,
    );
    runtime(2).block_on(|| {
        for d in [-1, MS] {
            let (r, _w) = pipe();
            let r = Arc::new(Polled::open(r));
            let r2 = r.clone();
            let waiter = gort_runtime::spawn(move || {
                let mut buf = [0u8; 1];
                r2.read(&mut buf)
            });
            // The deadline must reach a wait that is already parked.
            wait::parked(WaitReason::IoWait, 1);
            r.pd.poll_set_deadline(d, Mode::Read);
            assert_eq!(
                waiter.join().unwrap(),
                Err(PollError::Timeout),
                "deadline {d}"
            );
        }
    });
}

#[test]
fn write_deadline_and_combined_deadline() {
    let _w = watchdog::start("write_deadline_and_combined_deadline", watchdog::LIMIT);
    runtime(2).block_on(|| {
        let (r, w) = pipe();
        let w = Polled::open(w);
        let chunk = [1u8; 4096];
        for _ in 0..10_000 {
            if rustix::io::write(&w.fd, &chunk).is_err() {
                break;
            }
        }
        w.pd.poll_set_deadline(2 * MS, Mode::Write);
        assert_eq!(w.write(b"x"), Err(PollError::Timeout));
        // One deadline for both sides (Go's combo timer) expires both.
        w.pd.poll_set_deadline(2 * MS, Mode::ReadWrite);
        assert_eq!(w.write(b"x"), Err(PollError::Timeout));
        assert_eq!(w.pd.poll_wait(Mode::Read), Err(PollError::Timeout));
        drop(r);
    });
}

#[test]
fn unblock_wakes_a_blocked_waiter_with_closing() {
    let _w = watchdog::start(
        "unblock_wakes_a_blocked_waiter_with_closing",
        watchdog::LIMIT,
    );
    runtime(2).block_on(|| {
        let (r, _w) = pipe();
        let r = Arc::new(Polled::open(r));
        let r2 = r.clone();
        let waiter = gort_runtime::spawn(move || {
            let mut buf = [0u8; 1];
            r2.read(&mut buf)
        });
        wait::parked(WaitReason::IoWait, 1);
        r.pd.poll_unblock();
        assert_eq!(waiter.join().unwrap(), Err(PollError::Closing));
        // Later waits, resets and deadlines see it closing.
        assert_eq!(r.pd.poll_wait(Mode::Write), Err(PollError::Closing));
        assert_eq!(r.pd.poll_reset(Mode::Read), Err(PollError::Closing));
        r.pd.poll_set_deadline(MS, Mode::Read);
        r.pd.poll_unblock();
        r.pd.poll_close();
        r.pd.poll_close();
        assert_eq!(r.pd.poll_wait(Mode::Read), Err(PollError::Closing));
    });
}

#[test]
fn a_thousand_goroutines_on_a_thousand_pipes_all_wake() {
    let _w = watchdog::start(
        "a_thousand_goroutines_on_a_thousand_pipes_all_wake",
        Duration::from_secs(120),
    );
    runtime(2).block_on(|| {
        let mut writers = Vec::new();
        let mut waiters = Vec::new();
        for i in 0..1000u32 {
            let (r, w) = pipe();
            writers.push(w);
            waiters.push(gort_runtime::spawn(move || {
                let r = Polled::open(r);
                let mut buf = [0u8; 4];
                let n = r.read(&mut buf).unwrap();
                assert_eq!(n, 4);
                u32::from_le_bytes(buf) == i
            }));
        }
        // Every one parks, then all are woken.
        wait::parked(WaitReason::IoWait, 1000);
        for (i, w) in writers.iter().enumerate() {
            write_now(w, &(i as u32).to_le_bytes());
        }
        let ok = waiters
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|&b| b)
            .count();
        assert_eq!(ok, 1000);
    });
}

#[test]
fn waiting_outside_a_goroutine_is_not_pollable() {
    let _w = watchdog::start(
        "waiting_outside_a_goroutine_is_not_pollable",
        watchdog::LIMIT,
    );
    let poller = Arc::new(Poller::new().unwrap());
    let (r, w) = pipe();
    // SAFETY: `r` outlives `pd` (dropped first, below).
    let pd = unsafe { poller.poll_open(std::os::fd::AsFd::as_fd(&r)) }.unwrap();
    assert_eq!(pd.poll_wait(Mode::Read), Err(PollError::NotPollable));
    assert_eq!(pd.poll_wait(Mode::ReadWrite), Err(PollError::NotPollable));
    pd.poll_wait_canceled(Mode::Read); // returns at once outside a goroutine
    // Closing and deadline checks come first.
    pd.poll_set_deadline(-1, Mode::Read);
    assert_eq!(pd.poll_wait(Mode::Read), Err(PollError::Timeout));
    assert_eq!(poller.registered(), 1);
    drop(pd);
    assert_eq!(poller.registered(), 0);
    drop((r, w));

    // Inside `blocking` a goroutine cannot park either.
    runtime(1).block_on(|| {
        let (r, _w) = pipe();
        let r = Polled::open(r);
        let got = gort_runtime::blocking(|| r.pd.poll_wait(Mode::Read));
        assert_eq!(got, Err(PollError::NotPollable));
    });
}

#[test]
fn poll_open_outside_a_runtime_with_a_poller_is_unsupported() {
    let _w = watchdog::start(
        "poll_open_outside_a_runtime_with_a_poller_is_unsupported",
        watchdog::LIMIT,
    );
    let (r, _w) = pipe();
    // SAFETY: `r` outlives the (failed) registration.
    let e =
        unsafe { gort_netpoll::poll_runtime_poll_open(std::os::fd::AsFd::as_fd(&r)) }.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
    // A runtime without a Poller installed: same.
    let e = gort_runtime::Runtime::new().unwrap().block_on(move || {
        // SAFETY: as above.
        unsafe { gort_netpoll::poll_runtime_poll_open(std::os::fd::AsFd::as_fd(&r)) }.unwrap_err()
    });
    assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
}

#[test]
fn registering_a_regular_file_reports_epoll_error() {
    let _w = watchdog::start(
        "registering_a_regular_file_reports_epoll_error",
        watchdog::LIMIT,
    );
    runtime(1).block_on(|| {
        let f = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        // SAFETY: `f` outlives the (failed) registration.
        let e = unsafe { gort_netpoll::poll_runtime_poll_open(std::os::fd::AsFd::as_fd(&f)) }
            .unwrap_err();
        assert_eq!(
            e.raw_os_error(),
            Some(rustix::io::Errno::PERM.raw_os_error())
        );
        assert_eq!(Poller::current().unwrap().registered(), 0);
    });
}

#[test]
fn close_and_past_deadline_from_a_plain_thread_wake_the_goroutine() {
    let _w = watchdog::start(
        "close_and_past_deadline_from_a_plain_thread_wake_the_goroutine",
        watchdog::LIMIT,
    );
    runtime(2).block_on(|| {
        for past_deadline in [true, false] {
            let (r, _w) = pipe();
            let r = Arc::new(Polled::open(r));
            let r2 = r.clone();
            let waiter = gort_runtime::spawn(move || {
                let mut buf = [0u8; 1];
                r2.read(&mut buf)
            });
            wait::parked(WaitReason::IoWait, 1);
            // A thread outside the runtime releases it (as a Close from
            // foreign code would).
            let r3 = r.clone();
            let t = std::thread::spawn(move || {
                if past_deadline {
                    r3.pd.poll_set_deadline(-1, Mode::Read);
                } else {
                    r3.pd.poll_unblock();
                }
            });
            let want = if past_deadline {
                PollError::Timeout
            } else {
                PollError::Closing
            };
            assert_eq!(waiter.join().unwrap(), Err(want));
            gort_runtime::blocking(|| t.join().unwrap());
        }
    });
}
