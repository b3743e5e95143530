//! A dropped runtime gives back what its goroutines hold: each goroutine
//! still parked where a wait can be withdrawn (a socket, a timer, a
//! channel, a select, a join, a pipe) is unwound, so its destructors run and
//! its `JoinHandle` reports a `Goexit`; one waiting on a `sync` primitive is
//! released by the unwinding of the goroutine it waits for.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gort::Goexit;
use gort::chan::bounded;
use gort::net::{dial_tcp, listen_tcp, resolve_tcp_addr};

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Waits until every P is idle and `n` goroutines are alive: all of them
/// parked.
fn wait_parked(rt: &gort::Runtime, n: usize) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let st = rt.stats();
        if st.idle_procs == st.procs && st.goroutines == n {
            return;
        }
        assert!(Instant::now() < end, "goroutines never all parked: {st:?}");
        std::thread::yield_now();
    }
}

#[test]
fn drop_unwinds_goroutines_parked_everywhere_and_runs_their_destructors() {
    let rt = gort::Builder::new().procs(2).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let (handles, n) = rt.block_on(move || {
        let mut hs = Vec::new();
        let guard = || Counted(d.clone());
        let ln = listen_tcp(
            "tcp",
            Some(&resolve_tcp_addr("tcp", "127.0.0.1:0").unwrap()),
        )
        .unwrap();
        let c = dial_tcp("tcp", None, &ln.addr()).unwrap();
        let s = ln.accept().unwrap();
        let g = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            let _keep = &c;
            let _ = s.read(&mut [0; 1]);
        }));
        let g = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            let _ = ln.accept();
        }));
        let g = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            gort::time::sleep(Duration::from_secs(3600));
        }));
        let (tx, rx) = bounded::<Counted>(0);
        let g = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            let _ = rx.recv();
        }));
        // A parked send: its value is dropped too.
        let (tx2, rx2) = bounded::<Counted>(0);
        let g = guard();
        let v = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            let _ = tx2.send(v);
        }));
        let (tx3, rx3) = bounded::<u8>(1);
        let (tx4, rx4) = bounded::<Counted>(0);
        let g = guard();
        let v = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            // Keeps the other channels open.
            let _keep = (&tx, &rx2);
            gort::select! {
                recv(rx3) -> _ => {},
                send(tx4, v) -> _ => {},
            }
        }));
        // A join of a sleeping goroutine: both unwind.
        let g = guard();
        let g2 = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            let inner = gort::spawn(move || {
                let _g = g2;
                gort::time::sleep(Duration::from_secs(3600));
            });
            let _ = inner.join();
        }));
        let (a, b) = gort::net::pipe();
        let g = guard();
        hs.push(gort::spawn(move || {
            let _g = g;
            // Keeps the pipe's other end and the select's channel open.
            let _keep = (&b, &tx3, &rx4);
            let _ = a.read(&mut [0; 1]);
        }));
        // A mutex held across a sleep, and a goroutine waiting for it: the
        // holder's unwinding hands the lock over, and the waiter finishes.
        let m = Arc::new(gort::sync::Mutex::new(0));
        let (held_tx, held_rx) = bounded::<()>(0);
        let g = guard();
        let m2 = m.clone();
        hs.push(gort::spawn(move || {
            let _g = g;
            let _held = m2.lock();
            held_tx.send(()).unwrap();
            gort::time::sleep(Duration::from_secs(3600));
        }));
        held_rx.recv().unwrap();
        let g = guard();
        let waiter = gort::spawn(move || {
            let _g = g;
            *m.lock() += 1;
        });
        // 9 goroutines above, the inner sleeper, the mutex waiter.
        ((hs, waiter), 11)
    });
    wait_parked(&rt, n);
    let (hs, waiter) = handles;
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(rt);
    // Every guard and every parked value was dropped: 9 goroutines' guards,
    // the inner sleeper's, the send's and the select's values, the waiter's.
    assert_eq!(drops.load(Ordering::SeqCst), 13);
    // A goroutine whose wake-up comes from another one's unwinding (a
    // channel closed by a dropped end, a join of an unwound goroutine) may
    // wake before its own sweep and return normally; the five that only a
    // sweep can end (the read, the accept, the sleep, the pipe read and the
    // mutex holder) are always unwound.
    let mut unwound = 0;
    for (i, h) in hs.into_iter().enumerate() {
        match h.join() {
            Ok(()) => {}
            Err(e) => {
                assert!(e.is::<Goexit>(), "goroutine {i}: not a Goexit");
                unwound += 1;
            }
        }
    }
    assert!(unwound >= 5, "only {unwound} goroutines were unwound");
    // The waiter got the lock and returned normally.
    waiter.join().expect("the mutex waiter finished");
}

#[test]
fn a_destructor_that_parks_again_waits_for_a_real_wake_up() {
    /// Receives on drop: blocks until the sender goes.
    struct RecvOnDrop(gort::chan::Receiver<u8>, Arc<AtomicUsize>);
    impl Drop for RecvOnDrop {
        fn drop(&mut self) {
            let got = self.0.recv();
            self.1
                .store(usize::from(got.is_none()) + 1, Ordering::SeqCst);
        }
    }
    let rt = gort::Builder::new().procs(1).build().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    rt.block_on(move || {
        let (tx, rx) = bounded::<u8>(0);
        // Parks in its destructor until the other goroutine's unwinding
        // drops the sender, which closes the channel.
        gort::spawn(move || {
            let _r = RecvOnDrop(rx, s);
            gort::time::sleep(Duration::from_secs(3600));
        });
        gort::spawn(move || {
            let _t = tx;
            gort::time::sleep(Duration::from_secs(3600));
        });
    });
    wait_parked(&rt, 2);
    drop(rt);
    // 2: the destructor's receive saw the close (None), not a forced return.
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[test]
fn goroutines_that_never_ran_are_dropped_not_started() {
    let rt = gort::Builder::new().procs(1).build().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let drops = Arc::new(AtomicUsize::new(0));
    let (r, d) = (ran.clone(), drops.clone());
    let hs = rt.block_on(move || {
        // The main goroutine spawns and returns without parking; with one P
        // the new goroutines are still queued when it returns, and the drop
        // below comes before the thread gets to them or after: either way
        // each one either ran to the end or never started.
        (0..64)
            .map(|_| {
                let (r, g) = (r.clone(), Counted(d.clone()));
                gort::spawn(move || {
                    let _g = g;
                    r.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect::<Vec<_>>()
    });
    drop(rt);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        64,
        "every closure was dropped"
    );
    let mut unwound = 0;
    for h in hs {
        match h.join() {
            Ok(()) => {}
            Err(e) => {
                assert!(e.is::<Goexit>());
                unwound += 1;
            }
        }
    }
    assert_eq!(ran.load(Ordering::SeqCst) + unwound, 64);
}

#[test]
fn a_panic_parked_in_a_destructor_is_not_unwound_twice() {
    /// Receives on drop, as above.
    struct RecvOnDrop(gort::chan::Receiver<u8>);
    impl Drop for RecvOnDrop {
        fn drop(&mut self) {
            let _ = self.0.recv();
        }
    }
    let rt = gort::Builder::new().procs(1).build().unwrap();
    let h = rt.block_on(move || {
        let (tx, rx) = bounded::<u8>(0);
        let (ready_tx, ready_rx) = bounded::<()>(0);
        // With one P, this goroutine has parked in its sleep by the time
        // the main goroutine runs again after the receive below.
        gort::go!({
            let _t = tx;
            ready_tx.send(()).unwrap();
            gort::time::sleep(Duration::from_secs(3600));
        });
        ready_rx.recv().unwrap();
        gort::spawn(move || {
            let _r = RecvOnDrop(rx);
            panic!("boom");
        })
    });
    wait_parked(&rt, 2);
    // Unwinding the panicking goroutine again from its destructor's receive
    // would abort the process; instead it waits, the sleeper is unwound and
    // drops the sender, and the receive sees the close.
    drop(rt);
    let err = h.join().unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
}
