//! `pipe()`: Go's in-memory synchronous Conn pair (pipe.go), checked as
//! golang.org/x/net/nettest's TestConn and Go's TestPipeCloseError check it:
//! data integrity, synchrony, close from either side, deadlines that fire,
//! move and clear, and use from plain threads.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gort::net::{self, ClosedPipeError, Conn, PipeConn};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

const MS: Duration = Duration::from_millis(1);

fn is_closed_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe && e.get_ref().is_some_and(|i| i.is::<ClosedPipeError>())
}

/// A deterministic byte pattern.
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn data_crosses_intact_in_both_directions() {
    let _w = watchdog::start("data_crosses_intact_in_both_directions", watchdog::LIMIT);
    gort::run(|| {
        let (a, b) = net::pipe();
        let (a, b) = (Arc::new(a), Arc::new(b));
        let data = pattern(300_000, 7);
        // a → b with odd-sized reads, and b → a at the same time.
        let w = {
            let (a, data) = (a.clone(), data.clone());
            gort::spawn(move || a.write_all(&data).unwrap())
        };
        let back = {
            let b = b.clone();
            gort::spawn(move || b.write_all(b"reply line\n").unwrap())
        };
        let mut got = vec![0u8; data.len()];
        let mut off = 0;
        while off < got.len() {
            let end = (off + 977).min(got.len());
            let n = b.read(&mut got[off..end]).unwrap();
            assert!(n > 0);
            off += n;
        }
        assert!(got == data, "bytes differ");
        let mut line = String::new();
        BufReader::new(&*a).read_line(&mut line).unwrap();
        assert_eq!(line, "reply line\n");
        w.join().unwrap();
        back.join().unwrap();
    });
}

#[test]
fn write_returns_only_after_the_reader_took_everything() {
    let _w = watchdog::start(
        "write_returns_only_after_the_reader_took_everything",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let (a, b) = net::pipe();
        let returned = Arc::new(AtomicBool::new(false));
        let w = {
            let returned = returned.clone();
            gort::spawn(move || {
                let n = a.write(b"0123456789").unwrap();
                // SeqCst: a plain flag read by the other goroutine.
                returned.store(true, Ordering::SeqCst);
                n
            })
        };
        // The write waits for a reader.
        wait::parked(WaitReason::Select, 1);
        assert!(!returned.load(Ordering::SeqCst), "nothing was read yet");
        let mut buf = [0u8; 3];
        let mut got = Vec::new();
        for _ in 0..3 {
            let n = b.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"012345678");
        // The write waits again, for a reader of the last byte.
        wait::parked(WaitReason::Select, 1);
        assert!(!returned.load(Ordering::SeqCst), "one byte is still unread");
        let n = b.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"9");
        assert_eq!(w.join().unwrap(), 10);
    });
}

#[test]
fn concurrent_writes_do_not_interleave() {
    let _w = watchdog::start("concurrent_writes_do_not_interleave", watchdog::LIMIT);
    gort::run(|| {
        let (a, b) = net::pipe();
        let a = Arc::new(a);
        let blocks: Vec<Vec<u8>> = (0..4).map(|i| vec![b'a' + i; 50_000]).collect();
        let writers: Vec<_> = blocks
            .iter()
            .cloned()
            .map(|blk| {
                let a = a.clone();
                gort::spawn(move || a.write(&blk).unwrap())
            })
            .collect();
        let mut got = vec![0u8; 200_000];
        let mut off = 0;
        while off < got.len() {
            let end = (off + 4093).min(got.len());
            off += b.read(&mut got[off..end]).unwrap();
        }
        for w in writers {
            assert_eq!(w.join().unwrap(), 50_000);
        }
        // Four runs of 50,000 equal bytes, each letter once.
        let mut seen: Vec<u8> = got.chunks(50_000).map(|c| c[0]).collect();
        for c in got.chunks(50_000) {
            assert!(c.iter().all(|&x| x == c[0]), "a write was interleaved");
        }
        seen.sort();
        assert_eq!(seen, b"abcd");
    });
}

#[test]
fn close_semantics_match_go() {
    let _w = watchdog::start("close_semantics_match_go", watchdog::LIMIT);
    gort::run(|| {
        // TestPipeCloseError: after c1.Close, c1's reads and writes fail
        // with io.ErrClosedPipe, c2 reads EOF and its writes fail too, and
        // neither side may set deadlines any more.
        let (c1, c2) = net::pipe();
        c1.close().unwrap();
        let mut buf = [0u8; 4];
        let e = c1.read(&mut buf).unwrap_err();
        assert!(is_closed_pipe(&e), "{e:?}");
        assert_eq!(e.to_string(), "io: read/write on closed pipe");
        assert!(is_closed_pipe(&c1.write(b"x").unwrap_err()));
        assert!(is_closed_pipe(&c1.set_deadline(None).unwrap_err()));
        assert_eq!(c2.read(&mut buf).unwrap(), 0, "the other end reads EOF");
        assert!(is_closed_pipe(&c2.write(b"x").unwrap_err()));
        assert!(is_closed_pipe(&c2.set_read_deadline(None).unwrap_err()));
        c1.close().unwrap(); // twice is fine
    });
}

#[test]
fn close_wakes_blocked_readers_and_writers() {
    let _w = watchdog::start("close_wakes_blocked_readers_and_writers", watchdog::LIMIT);
    gort::run(|| {
        let (a, b) = net::pipe();
        let (a, b) = (Arc::new(a), Arc::new(b));
        let reader = {
            let a = a.clone();
            gort::spawn(move || a.read(&mut [0u8; 8]))
        };
        let writer = {
            let b = b.clone();
            gort::spawn(move || b.write(b"never read"))
        };
        // Each is blocked, or done if it paired with the other.
        wait::until("the reader and the writer are blocked or done", || {
            let done = usize::from(reader.is_finished()) + usize::from(writer.is_finished());
            gort::parked(WaitReason::Select) + done >= 2
        });
        // The writer on b is waiting for a reader of a's side... which is
        // `reader`, so it may already have taken the bytes: both outcomes
        // are fine; what matters is that nobody hangs after the close.
        a.close().unwrap();
        let r = reader.join().unwrap();
        match r {
            Ok(n) => assert_eq!(n, 8),
            Err(e) => assert!(is_closed_pipe(&e), "{e:?}"),
        }
        let w = writer.join().unwrap();
        match w {
            Ok(n) => assert!(n == 8 || n == 10, "{n}"),
            Err(e) => assert!(is_closed_pipe(&e), "{e:?}"),
        }
        // And a lone blocked read is woken by the peer's drop.
        let (c, d) = net::pipe();
        let r = gort::spawn(move || c.read(&mut [0u8; 8]).unwrap());
        wait::parked(WaitReason::Select, 1);
        drop(d);
        assert_eq!(r.join().unwrap(), 0);
    });
}

#[test]
fn read_deadline_fires_and_reads_like_go() {
    let _w = watchdog::start("read_deadline_fires_and_reads_like_go", watchdog::LIMIT);
    gort::run(|| {
        let (a, _b) = net::pipe();
        a.set_read_deadline(Some(Instant::now() + 30 * MS)).unwrap();
        let start = Instant::now();
        let e = a.read(&mut [0u8; 4]).unwrap_err();
        assert!(start.elapsed() >= 30 * MS);
        assert_eq!(e.to_string(), "read pipe: i/o timeout");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(net::is_timeout(&e));
        // Once passed, it fails at once, until moved.
        assert!(net::is_timeout(&a.read(&mut [0u8; 4]).unwrap_err()));
        // A deadline in the past fails at once too.
        a.set_read_deadline(Some(Instant::now() - 10 * MS)).unwrap();
        assert!(net::is_timeout(&a.read(&mut [0u8; 4]).unwrap_err()));
    });
}

#[test]
fn moving_or_clearing_a_deadline_reaches_a_blocked_read() {
    let _w = watchdog::start(
        "moving_or_clearing_a_deadline_reaches_a_blocked_read",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let (a, b) = net::pipe();
        let a = Arc::new(a);
        a.set_read_deadline(Some(Instant::now() + 50 * MS)).unwrap();
        let reader = {
            let a = a.clone();
            gort::spawn(move || {
                let mut buf = [0u8; 8];
                a.read(&mut buf).map(|n| buf[..n].to_vec())
            })
        };
        wait::parked(WaitReason::Select, 1);
        a.set_read_deadline(None).unwrap(); // cleared while blocked
        gort::time::sleep(100 * MS); // well past the old deadline
        b.write(b"late").unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), b"late");

        // Pulled in while blocked: fires at the new time.
        let reader = {
            let a = a.clone();
            gort::spawn(move || a.read(&mut [0u8; 8]))
        };
        wait::parked(WaitReason::Select, 1);
        a.set_read_deadline(Some(Instant::now())).unwrap();
        assert!(net::is_timeout(&reader.join().unwrap().unwrap_err()));
    });
}

#[test]
fn write_deadline_reports_what_the_reader_took() {
    let _w = watchdog::start(
        "write_deadline_reports_what_the_reader_took",
        watchdog::LIMIT,
    );
    gort::run(|| {
        let (a, b) = net::pipe();
        a.set_write_deadline(Some(Instant::now() + 60 * MS))
            .unwrap();
        let reader = gort::spawn(move || {
            let mut buf = [0u8; 4];
            let n = b.read(&mut buf).unwrap();
            (n, b) // keep b open
        });
        // The reader takes 4 of 10 bytes; then the deadline passes.
        let n = a.write(b"0123456789").unwrap();
        assert_eq!(n, 4);
        let (got, _b) = reader.join().unwrap();
        assert_eq!(got, 4);
        let e = a.write(b"more").unwrap_err();
        assert_eq!(e.to_string(), "write pipe: i/o timeout");
        assert!(net::is_timeout(&e));
    });
}

#[test]
fn set_deadline_coversboth_directions() {
    let _w = watchdog::start("set_deadline_coversboth_directions", watchdog::LIMIT);
    gort::run(|| {
        let (a, b) = net::pipe();
        a.set_deadline(Some(Instant::now() + 10 * MS)).unwrap();
        assert!(net::is_timeout(&a.read(&mut [0u8; 1]).unwrap_err()));
        assert!(net::is_timeout(&a.write(b"x").unwrap_err()));
        a.set_deadline(None).unwrap();
        let w = gort::spawn(move || {
            let r = a.write(b"ok");
            (r.is_ok(), a)
        });
        let (ok, _a) = {
            let mut buf = [0u8; 2];
            let n = b.read(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"ok");
            w.join().unwrap()
        };
        assert!(ok);
    });
}

#[test]
fn empty_reads_and_writes_return_at_once() {
    let _w = watchdog::start("empty_reads_and_writes_return_at_once", watchdog::LIMIT);
    gort::run(|| {
        let (a, b) = net::pipe();
        assert_eq!(a.write(b"").unwrap(), 0);
        assert_eq!(b.read(&mut []).unwrap(), 0);
    });
}

#[test]
fn works_as_a_boxed_conn_with_pipe_addresses() {
    let _w = watchdog::start("works_as_a_boxed_conn_with_pipe_addresses", watchdog::LIMIT);
    gort::run(|| {
        let (a, b) = net::pipe();
        let (a, b): (Box<dyn Conn>, Box<dyn Conn>) = (Box::new(a), Box::new(b));
        assert_eq!(a.local_addr().to_string(), "pipe");
        assert_eq!(a.remote_addr().unwrap().network(), "pipe");
        let h = gort::spawn(move || {
            let mut s = String::new();
            (&b).read_to_string(&mut s).unwrap();
            s
        });
        a.write_all(b"through dyn Conn").unwrap();
        drop(a);
        assert_eq!(h.join().unwrap(), "through dyn Conn");
    });
}

#[test]
fn works_between_plain_threads_with_deadlines() {
    let _w = watchdog::start(
        "works_between_plain_threads_with_deadlines",
        watchdog::LIMIT,
    );
    let (a, b): (PipeConn, PipeConn) = net::pipe();
    let t = std::thread::spawn(move || {
        let mut s = String::new();
        BufReader::new(&b).read_line(&mut s).unwrap();
        b.set_read_deadline(Some(Instant::now() + 20 * MS)).unwrap();
        let e = b.read(&mut [0u8; 1]).unwrap_err();
        (s, net::is_timeout(&e))
    });
    a.write_all(b"from a thread\n").unwrap();
    let (s, timed_out) = t.join().unwrap();
    assert_eq!(s, "from a thread\n");
    assert!(timed_out);
}
