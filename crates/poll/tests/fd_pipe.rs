//! Integration tests of gort-poll's `FD` on pipes: deadlines, close while blocked, full pipes, writev and `BufRead`.

use std::io::{BufRead, BufReader, IoSlice, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gort_poll::fd::{is_deadline_exceeded, is_file_closing};
use gort_poll::{FD, FdKind};
use rustix::pipe::{PipeFlags, pipe_with};

mod common;
use common::{pipe, rt};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn fd_is_open(n: i32) -> bool {
    std::path::Path::new(&format!("/proc/self/fd/{n}")).exists()
}

#[test]
fn read_deadline_fires_then_extended_deadline_reads() {
    let _w = watchdog::start(
        "read_deadline_fires_then_extended_deadline_reads",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let (r, w) = pipe();
        r.set_read_deadline(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap();
        let mut buf = [0u8; 8];
        let err = r.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "i/o timeout");
        assert!(is_deadline_exceeded(&err));
        // Still expired: fails again at once.
        assert!(is_deadline_exceeded(&r.read(&mut buf).unwrap_err()));
        // Extend it: the same FD reads normally.
        r.set_read_deadline(Some(Instant::now() + Duration::from_secs(60)))
            .unwrap();
        w.write(b"abc").unwrap();
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
        // And clearing it works too.
        r.set_read_deadline(None).unwrap();
        w.write(b"d").unwrap();
        assert_eq!(r.read(&mut buf).unwrap(), 1);
    });
}

#[test]
fn deadline_set_while_blocked_ends_that_read() {
    let _w = watchdog::start("deadline_set_while_blocked_ends_that_read", watchdog::LIMIT);
    rt().block_on(|| {
        let (r, _w) = pipe();
        let r = Arc::new(r);
        let reader = {
            let r = r.clone();
            gort_runtime::spawn(move || r.read(&mut [0u8; 4]))
        };
        wait::parked(WaitReason::IoWait, 1);
        assert!(!reader.is_finished());
        // A deadline in the past releases the blocked read at once...
        r.set_read_deadline(Some(Instant::now() - Duration::from_secs(1)))
            .unwrap();
        let err = reader.join().unwrap().unwrap_err();
        assert!(is_deadline_exceeded(&err), "{err}");
        // ...and a future one set while blocked fires on that read.
        r.set_read_deadline(None).unwrap();
        let reader = {
            let r = r.clone();
            gort_runtime::spawn(move || r.read(&mut [0u8; 4]))
        };
        wait::parked(WaitReason::IoWait, 1);
        r.set_read_deadline(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap();
        let err = reader.join().unwrap().unwrap_err();
        assert!(is_deadline_exceeded(&err), "{err}");
    });
}

#[test]
fn write_deadline_on_full_pipe() {
    let _w = watchdog::start("write_deadline_on_full_pipe", watchdog::LIMIT);
    rt().block_on(|| {
        let (_r, w) = pipe();
        w.set_write_deadline(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap();
        let big = vec![7u8; 1 << 20]; // larger than a pipe's buffer
        // Partial progress is reported first, then the deadline.
        let mut total = 0;
        let err = loop {
            match w.write(&big) {
                Ok(n) => {
                    assert!(n < big.len());
                    total += n;
                }
                Err(e) => break e,
            }
        };
        assert!(total > 0);
        assert!(is_deadline_exceeded(&err), "{err}");
    });
}

#[test]
fn close_wakes_blocked_pipe_read_with_file_closing() {
    let _w = watchdog::start(
        "close_wakes_blocked_pipe_read_with_file_closing",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let (r, _w) = pipe();
        let r = Arc::new(r);
        let reader = {
            let r = r.clone();
            gort_runtime::spawn(move || r.read(&mut [0u8; 4]))
        };
        wait::parked(WaitReason::IoWait, 1);
        let n = r.as_raw_fd();
        r.close().unwrap();
        assert!(!fd_is_open(n) || n == -1);
        let err = reader.join().unwrap().unwrap_err();
        assert!(is_file_closing(&err), "{err}");
        assert_eq!(err.to_string(), "use of closed file");
        // Every later call fails the same way, and so does a second close.
        assert!(is_file_closing(&r.read(&mut [0u8; 1]).unwrap_err()));
        assert!(is_file_closing(&r.close().unwrap_err()));
        assert!(is_file_closing(
            &r.set_deadline(Some(Instant::now())).unwrap_err()
        ));
    });
}

/// Go's Close waits until the last operation in flight has returned, and
/// only then is the descriptor closed.
#[test]
fn close_waits_for_in_flight_operation() {
    let _w = watchdog::start("close_waits_for_in_flight_operation", watchdog::LIMIT);
    rt().block_on(|| {
        let (r, w) = pipe();
        let (gate_r, gate_w) = pipe();
        let r = Arc::new(r);
        let n = r.as_raw_fd();
        let holder = {
            let r = r.clone();
            // Holds a reference on `r` until the gate opens.
            gort_runtime::spawn(move || {
                r.raw_control(|_| {
                    let mut b = [0u8; 1];
                    gate_r.read(&mut b).unwrap()
                })
            })
        };
        // The holder is inside raw_control, parked on the gate.
        wait::parked(WaitReason::IoWait, 1);
        let closer = {
            let r = r.clone();
            gort_runtime::spawn(move || r.close())
        };
        // Close waits (on its semaphore) for the holder.
        wait::parked(WaitReason::Semacquire, 1);
        // Bounded: 20 checks over ~100 ms, the descriptor must stay open.
        for _ in 0..20 {
            gort_runtime::time::sleep(Duration::from_millis(5));
            assert!(fd_is_open(n), "fd closed while in use");
            assert!(!closer.is_finished(), "close returned early");
            // A new descriptor never gets the number that is still in use.
            let (a, b) = pipe_with(PipeFlags::CLOEXEC).unwrap();
            assert!(a.as_raw_fd() != n && b.as_raw_fd() != n);
        }
        // New operations already fail.
        assert!(is_file_closing(&r.read(&mut [0u8; 1]).unwrap_err()));
        (&gate_w).write_all(b"x").unwrap();
        assert_eq!(holder.join().unwrap().unwrap(), 1);
        closer.join().unwrap().unwrap();
        assert!(
            !fd_is_open(n) || {
                // The number may have been reused by another test's descriptor;
                // ours is gone if writing to its peer now fails with EPIPE.
                w.write(b"x").is_err()
            }
        );
        assert!(w.write(b"x").is_err(), "read end still open");
    });
}

#[test]
fn write_on_full_pipe_parks_until_drained() {
    let _w = watchdog::start("write_on_full_pipe_parks_until_drained", watchdog::LIMIT);
    rt().block_on(|| {
        let (r, w) = pipe();
        let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
        let want = data.clone();
        let writer = gort_runtime::spawn(move || {
            let n = w.write(&data).unwrap();
            assert_eq!(n, data.len(), "a write without error writes everything");
        });
        wait::parked(WaitReason::IoWait, 1);
        assert!(!writer.is_finished(), "1 MiB fit in a pipe?");
        let mut got = Vec::new();
        (&r).read_to_end(&mut got).unwrap();
        writer.join().unwrap();
        assert_eq!(got, want);
    });
}

#[test]
fn writev_delivers_many_slices_in_order() {
    let _w = watchdog::start("writev_delivers_many_slices_in_order", watchdog::LIMIT);
    rt().block_on(|| {
        let (r, w) = pipe();
        // 3000 slices (more than IOV_MAX), some empty, ~600 KiB in all (more
        // than a pipe holds, so writev parks too).
        let chunks: Vec<Vec<u8>> = (0..3000u32)
            .map(|i| {
                let len = if i % 7 == 0 { 0 } else { (i % 400) as usize };
                (0..len).map(|j| (i as usize + j) as u8).collect()
            })
            .collect();
        let want: Vec<u8> = chunks.concat();
        let writer = gort_runtime::spawn(move || {
            let slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
            w.writev(&slices).unwrap()
        });
        let mut got = Vec::new();
        (&r).read_to_end(&mut got).unwrap();
        assert_eq!(writer.join().unwrap(), want.len());
        assert_eq!(got.len(), want.len());
        assert!(got == want, "bytes out of order");
    });
}

#[test]
fn bufreader_reads_lines_in_a_goroutine() {
    let _w = watchdog::start("bufreader_reads_lines_in_a_goroutine", watchdog::LIMIT);
    rt().block_on(|| {
        let (r, w) = pipe();
        let writer = gort_runtime::spawn(move || {
            for i in 0..100 {
                writeln!(&w, "line {i}").unwrap();
                if i % 10 == 0 {
                    gort_runtime::yield_now();
                }
            }
        });
        let reader = gort_runtime::spawn(move || {
            BufReader::new(&r)
                .lines()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
        });
        writer.join().unwrap();
        let lines = reader.join().unwrap();
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[42], "line 42");
    });
}

#[test]
fn empty_read_returns_at_once_and_eof_is_zero() {
    let _w = watchdog::start(
        "empty_read_returns_at_once_and_eof_is_zero",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let (r, w) = pipe();
        assert_eq!(r.read(&mut []).unwrap(), 0);
        w.write(b"z").unwrap();
        drop(w);
        let mut b = [0u8; 4];
        assert_eq!(r.read(&mut b).unwrap(), 1);
        assert_eq!(r.read(&mut b).unwrap(), 0);
    });
}

#[test]
fn regular_file_runs_in_blocking_mode() {
    let _w = watchdog::start("regular_file_runs_in_blocking_mode", watchdog::LIMIT);
    let path = std::env::temp_dir().join(format!("gort-poll-fd-{}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let res = rt().block_on(move || {
        let fd = FD::new(OwnedFd::from(file), FdKind::File, true);
        assert!(!fd.pollable());
        assert!(fd.init_error().is_some());
        assert!(gort_poll::fd::is_no_deadline(
            &fd.set_deadline(Some(Instant::now())).unwrap_err()
        ));
        fd.write(b"hello").unwrap();
        let mut b = [0u8; 5];
        assert_eq!(fd.pread(&mut b, 0).unwrap(), 5);
        fd.ftruncate(2).unwrap();
        fd.fstat().unwrap().st_size
    });
    std::fs::remove_file(&path).unwrap();
    assert_eq!(res, 2);
}

#[test]
fn plain_thread_falls_back_to_poll() {
    let _w = watchdog::start("plain_thread_falls_back_to_poll", watchdog::LIMIT);
    let rt = rt();
    let (r, w) = rt.block_on(pipe);
    // Outside any goroutine: the read waits on the thread, then gets data.
    let reader = rustix::thread::gettid();
    let t = std::thread::spawn(move || {
        wait::thread_polling(reader);
        w.write(b"thread").unwrap();
        w // kept open: EOF would end the next read early
    });
    let mut b = [0u8; 6];
    (&r).read_exact(&mut b).unwrap();
    assert_eq!(&b, b"thread");
    let _w = t.join().unwrap();
    // A deadline is honoured too.
    r.set_read_deadline(Some(Instant::now() + Duration::from_millis(10)))
        .unwrap();
    assert!(is_deadline_exceeded(&r.read(&mut b).unwrap_err()));
}

/// Close racing with a busy reader and writer: every operation either
/// succeeds or fails with the closing error, and each round's descriptors
/// are closed exactly once (the fd count comes back; a double close would
/// fail loudly in `destroy`).
#[test]
fn close_races_with_reads_and_writes() {
    let _w = watchdog::start("close_races_with_reads_and_writes", watchdog::LIMIT);
    rt().block_on(|| {
        for round in 0..200u32 {
            let (r, w) = pipe();
            let (r, w) = (Arc::new(r), Arc::new(w));
            let reader = {
                let r = r.clone();
                gort_runtime::spawn(move || {
                    let mut b = [0u8; 64];
                    loop {
                        match r.read(&mut b) {
                            Ok(0) => return,
                            Ok(_) => {}
                            Err(e) => return assert!(is_file_closing(&e), "{e}"),
                        }
                    }
                })
            };
            let writer = {
                let w = w.clone();
                gort_runtime::spawn(move || {
                    for _ in 0..1000 {
                        if let Err(e) = w.write(&[1u8; 100]) {
                            return assert!(
                                is_file_closing(&e) || e.kind() == std::io::ErrorKind::BrokenPipe,
                                "{e}"
                            );
                        }
                    }
                })
            };
            if round % 2 == 0 {
                gort_runtime::yield_now();
            }
            r.close().unwrap();
            w.close().unwrap();
            reader.join().unwrap();
            writer.join().unwrap();
        }
    });
}
