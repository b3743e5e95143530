//! Channels (Go's src/runtime/chan.go), with tests ported by name from Go's
//! runtime/chan_test.go where they fit: blocking and non-blocking send and
//! receive at every capacity, FIFO order, close waking every waiter, value
//! accounting, and channels shared with plain OS threads.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use gort_runtime::chan::{self, Receiver, SendError, Sender, TryRecvError, TrySendError};
use gort_runtime::{Runtime, spawn};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// Go's TestChan, at every capacity in 0..=32 (Go: 0..200, 0..20 in -short).
#[test]
fn test_chan() {
    let _w = watchdog::start("test_chan", watchdog::LIMIT);
    rt(4).block_on(|| {
        for cap in 0..=32usize {
            // A receive from an empty channel blocks; try_recv does not.
            {
                let (tx, rx) = chan::bounded::<i32>(cap);
                let got = Arc::new(AtomicUsize::new(0));
                let hs: Vec<_> = (0..2)
                    .map(|_| {
                        let (rx, got) = (rx.clone(), got.clone());
                        spawn(move || {
                            rx.recv().unwrap();
                            got.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                wait::parked(WaitReason::ChanReceive, 2);
                assert_eq!(
                    got.load(Ordering::SeqCst),
                    0,
                    "chan[{cap}]: receive from empty chan"
                );
                assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "chan[{cap}]");
                tx.send(0).unwrap();
                tx.send(0).unwrap();
                for h in hs {
                    h.join().unwrap();
                }
                assert_eq!(got.load(Ordering::SeqCst), 2);
            }

            // A send to a full channel blocks; try_send does not.
            {
                let (tx, rx) = chan::bounded::<i32>(cap);
                for i in 0..cap {
                    tx.send(i as i32).unwrap();
                }
                let sent = Arc::new(AtomicBool::new(false));
                let h = {
                    let (tx, sent) = (tx.clone(), sent.clone());
                    spawn(move || {
                        tx.send(0).unwrap();
                        sent.store(true, Ordering::SeqCst);
                    })
                };
                wait::parked(WaitReason::ChanSend, 1);
                assert!(
                    !sent.load(Ordering::SeqCst),
                    "chan[{cap}]: send to full chan"
                );
                assert!(
                    matches!(tx.try_send(0), Err(TrySendError::Full(0))),
                    "chan[{cap}]"
                );
                rx.recv().unwrap();
                h.join().unwrap();
                assert!(sent.load(Ordering::SeqCst));
            }

            // A closed channel drains in order, then yields None.
            {
                let (tx, rx) = chan::bounded::<i32>(cap);
                for i in 0..cap {
                    tx.send(i as i32).unwrap();
                }
                tx.close();
                for i in 0..cap {
                    assert_eq!(rx.recv(), Some(i as i32), "chan[{cap}]");
                }
                assert_eq!(rx.recv(), None, "chan[{cap}]");
                assert_eq!(rx.recv(), None, "chan[{cap}]");
            }

            // Close unblocks a receive.
            {
                let (tx, rx) = chan::bounded::<i32>(cap);
                let h = spawn(move || rx.recv());
                wait::parked(WaitReason::ChanReceive, 1);
                tx.close();
                assert_eq!(h.join().unwrap(), None, "chan[{cap}]");
            }

            // 100 values arrive uncorrupted, in FIFO order.
            {
                let (tx, rx) = chan::bounded::<i32>(cap);
                let h = {
                    let tx = tx.clone();
                    spawn(move || {
                        for i in 0..100 {
                            tx.send(i).unwrap();
                        }
                    })
                };
                for i in 0..100 {
                    assert_eq!(rx.recv(), Some(i), "chan[{cap}]");
                }
                h.join().unwrap();

                // 4 senders × 1000 values, 4 receivers: everything arrives once.
                const P: usize = 4;
                const L: i32 = 1000;
                let senders: Vec<_> = (0..P)
                    .map(|_| {
                        let tx = tx.clone();
                        spawn(move || {
                            for i in 0..L {
                                tx.send(i).unwrap();
                            }
                        })
                    })
                    .collect();
                let receivers: Vec<_> = (0..P)
                    .map(|_| {
                        let rx = rx.clone();
                        spawn(move || {
                            let mut got = HashMap::new();
                            for _ in 0..L {
                                *got.entry(rx.recv().unwrap()).or_insert(0usize) += 1;
                            }
                            got
                        })
                    })
                    .collect();
                for s in senders {
                    s.join().unwrap();
                }
                let mut total: HashMap<i32, usize> = HashMap::new();
                for r in receivers {
                    for (k, v) in r.join().unwrap() {
                        *total.entry(k).or_insert(0) += v;
                    }
                }
                assert_eq!(total.len(), L as usize, "chan[{cap}]: distinct values");
                assert!(
                    total.values().all(|&n| n == P),
                    "chan[{cap}]: each value {P} times"
                );
            }

            // len and cap.
            {
                let (tx, rx) = chan::bounded::<i32>(cap);
                assert_eq!((rx.len(), rx.cap(), tx.cap()), (0, cap, cap));
                assert!(tx.is_empty() && rx.is_empty());
                for i in 0..cap {
                    tx.send(i as i32).unwrap();
                }
                assert_eq!((tx.len(), rx.len(), rx.cap()), (cap, cap, cap));
            }
        }
    });
}

/// Go's TestNonblockRecvRace: a non-blocking receive on a channel that holds
/// a value and is being closed never reports "empty".
#[test]
fn test_nonblock_recv_race() {
    let _w = watchdog::start("test_nonblock_recv_race", watchdog::LIMIT);
    rt(2).block_on(|| {
        for _ in 0..2_000 {
            let (tx, rx) = chan::bounded::<i32>(1);
            tx.send(1).unwrap();
            let h = {
                let rx = rx.clone();
                spawn(move || rx.try_recv())
            };
            tx.close();
            let theirs = h.join().unwrap();
            assert_ne!(theirs, Err(TryRecvError::Empty), "chan is not ready");
            let mine = rx.try_recv();
            // Exactly one of the two got the value.
            assert!(theirs.is_ok() ^ mine.is_ok(), "{theirs:?} {mine:?}");
        }
    });
}

#[test]
fn close_wakes_every_waiting_receiver() {
    let _w = watchdog::start("close_wakes_every_waiting_receiver", watchdog::LIMIT);
    rt(2).block_on(|| {
        for cap in [0, 3] {
            let (tx, rx) = chan::bounded::<u32>(cap);
            let hs: Vec<_> = (0..16)
                .map(|_| {
                    let rx = rx.clone();
                    spawn(move || rx.recv())
                })
                .collect();
            wait::parked(WaitReason::ChanReceive, 16);
            tx.close();
            for h in hs {
                assert_eq!(h.join().unwrap(), None);
            }
            assert!(rx.is_closed() && tx.is_closed());
        }
    });
}

#[test]
fn close_wakes_every_waiting_sender_with_its_value() {
    let _w = watchdog::start(
        "close_wakes_every_waiting_sender_with_its_value",
        watchdog::LIMIT,
    );
    rt(2).block_on(|| {
        for cap in [0, 2] {
            let (tx, rx) = chan::bounded::<u32>(cap);
            for i in 0..cap as u32 {
                tx.send(100 + i).unwrap();
            }
            let hs: Vec<_> = (0..16u32)
                .map(|i| {
                    let tx = tx.clone();
                    spawn(move || tx.send(i))
                })
                .collect();
            wait::parked(WaitReason::ChanSend, 16);
            tx.close();
            let mut back: Vec<u32> = hs
                .into_iter()
                .map(|h| h.join().unwrap().unwrap_err().into_inner())
                .collect();
            back.sort_unstable();
            assert_eq!(back, (0..16).collect::<Vec<_>>(), "cap {cap}");
            // What was buffered before the close is still received.
            for i in 0..cap as u32 {
                assert_eq!(rx.recv(), Some(100 + i));
            }
            assert_eq!(rx.recv(), None);
        }
    });
}

#[test]
fn close_twice_is_harmless_and_send_after_close_fails() {
    let _w = watchdog::start(
        "close_twice_is_harmless_and_send_after_close_fails",
        watchdog::LIMIT,
    );
    let (tx, rx) = chan::bounded::<String>(1);
    tx.close();
    tx.close();
    let err = tx.send("x".to_string()).unwrap_err();
    assert_eq!(err, SendError("x".to_string()));
    assert_eq!(err.to_string(), "send on closed channel");
    assert!(matches!(tx.try_send("y".into()), Err(TrySendError::Closed(s)) if s == "y"));
    assert_eq!(rx.recv(), None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn buffered_fifo() {
    let _w = watchdog::start("buffered_fifo", watchdog::LIMIT);
    rt(2).block_on(|| {
        let (tx, rx) = chan::bounded::<u32>(8);
        let h = spawn(move || {
            for i in 0..10_000 {
                tx.send(i).unwrap();
            }
        });
        let mut next = 0;
        for v in &rx {
            assert_eq!(v, next);
            next += 1;
            if next % 97 == 0 {
                gort_runtime::yield_now(); // let the buffer fill up
            }
        }
        assert_eq!(next, 10_000);
        h.join().unwrap();
    });
}

#[test]
fn try_ops_on_full_empty_and_closed() {
    let _w = watchdog::start("try_ops_on_full_empty_and_closed", watchdog::LIMIT);
    for cap in [0, 1, 4] {
        let (tx, rx) = chan::bounded::<u8>(cap);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        for i in 0..cap as u8 {
            tx.try_send(i).unwrap();
        }
        assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
        let e = tx.try_send(9).unwrap_err();
        assert!(e.is_full() && !e.is_closed());
        assert_eq!(e.to_string(), "send on full channel");
        drop(tx);
        for i in 0..cap as u8 {
            assert_eq!(rx.try_recv(), Ok(i));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(
            TryRecvError::Closed.to_string(),
            "receive from closed channel"
        );
    }
}

#[test]
fn for_loop_ends_when_the_last_sender_is_dropped() {
    let _w = watchdog::start(
        "for_loop_ends_when_the_last_sender_is_dropped",
        watchdog::LIMIT,
    );
    let got = rt(2).block_on(|| {
        let (tx, rx) = chan::bounded::<u64>(0);
        for k in 0..4 {
            let tx = tx.clone();
            spawn(move || {
                for i in 0..250 {
                    tx.send(k * 1000 + i).unwrap();
                }
            });
        }
        drop(tx);
        let mut n = 0;
        for _ in &rx {
            n += 1;
        }
        // And the owning iterator.
        assert_eq!(rx.into_iter().count(), 0);
        n
    });
    assert_eq!(got, 1000);
}

#[test]
fn dropping_the_last_receiver_fails_blocked_and_later_sends() {
    let _w = watchdog::start(
        "dropping_the_last_receiver_fails_blocked_and_later_sends",
        watchdog::LIMIT,
    );
    rt(2).block_on(|| {
        let (tx, rx) = chan::bounded::<u32>(1);
        tx.send(1).unwrap();
        let hs: Vec<_> = (0..4u32)
            .map(|i| {
                let tx = tx.clone();
                spawn(move || tx.send(10 + i))
            })
            .collect();
        wait::parked(WaitReason::ChanSend, 4);
        let rx2 = rx.clone();
        drop(rx);
        assert!(!tx.is_closed(), "a receiver is still alive");
        drop(rx2);
        for (i, h) in hs.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), Err(SendError(10 + i as u32)));
        }
        assert!(tx.is_closed());
        assert_eq!(tx.send(5), Err(SendError(5)));
        assert!(matches!(tx.try_send(6), Err(TrySendError::Closed(6))));
    });
}

/// Counts live values, to check that the channel neither leaks nor
/// double-drops what passes through it.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(live: &Arc<AtomicUsize>) -> Counted {
        live.fetch_add(1, Ordering::SeqCst);
        Counted(live.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Like Go's TestChanSendInterface (values sent, rejected, or left in the
/// channel), with a count of live values: every value is dropped once.
#[test]
fn test_chan_send_interface_drop_accounting() {
    let _w = watchdog::start("test_chan_send_interface_drop_accounting", watchdog::LIMIT);
    let live = Arc::new(AtomicUsize::new(0));
    {
        let live = live.clone();
        rt(2).block_on(move || {
            // Left in the buffer when the channel goes.
            let (tx, rx) = chan::bounded(4);
            for _ in 0..3 {
                tx.send(Counted::new(&live)).unwrap();
            }
            drop(rx.recv());
            drop((tx, rx));
            assert_eq!(live.load(Ordering::SeqCst), 0);

            // Rejected by a full or closed channel: handed back.
            let (tx, rx) = chan::bounded(1);
            tx.send(Counted::new(&live)).unwrap();
            let back = tx.try_send(Counted::new(&live)).unwrap_err().into_inner();
            assert_eq!(live.load(Ordering::SeqCst), 2);
            drop(back);
            tx.close();
            drop(tx.send(Counted::new(&live)).unwrap_err());
            assert_eq!(live.load(Ordering::SeqCst), 1);
            drop(rx);
            assert_eq!(
                live.load(Ordering::SeqCst),
                1,
                "the sender still holds the channel"
            );
            drop(tx);
            assert_eq!(live.load(Ordering::SeqCst), 0);

            // Select: the send case that does not fire drops its value.
            let (tx, rx) = chan::bounded(1);
            let (tx2, _rx2) = chan::bounded::<Counted>(0);
            tx.send(Counted::new(&live)).unwrap();
            gort_runtime::select! {
                send(tx, Counted::new(&live)) -> _r => panic!("full"),
                send(tx2, Counted::new(&live)) -> _r => panic!("no receiver"),
                default => {},
            }
            assert_eq!(live.load(Ordering::SeqCst), 1);
            drop(rx.recv().unwrap());

            // Through parked receivers and senders, across goroutines.
            let (tx, rx) = chan::bounded::<Counted>(0);
            let h = spawn(move || {
                let mut n = 0;
                while let Some(v) = rx.recv() {
                    drop(v);
                    n += 1;
                }
                n
            });
            for _ in 0..1000 {
                tx.send(Counted::new(&live)).unwrap();
            }
            drop(tx);
            assert_eq!(h.join().unwrap(), 1000);
        });
    }
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

/// A plain OS thread and a goroutine talk over channels both ways: the
/// thread blocks its thread, the goroutine parks.
#[test]
fn plain_thread_talks_to_a_goroutine() {
    let _w = watchdog::start("plain_thread_talks_to_a_goroutine", watchdog::LIMIT);
    let rt = rt(2);
    let (req_tx, req_rx) = chan::bounded::<u64>(0);
    let (resp_tx, resp_rx) = chan::bounded::<u64>(0);
    let server = rt.spawn(move || {
        let mut n = 0;
        for v in &req_rx {
            resp_tx.send(v * 2).unwrap();
            n += 1;
        }
        n
    });
    let client = std::thread::spawn(move || {
        for i in 0..2_000 {
            req_tx.send(i).unwrap();
            assert_eq!(resp_rx.recv(), Some(i * 2));
        }
        // The goroutine waits on us now; closing ends its loop.
    });
    client.join().unwrap();
    assert_eq!(rt.block_on(move || server.join().unwrap()), 2_000);
}

/// A thread blocked in recv is woken by a goroutine's send, and a thread's
/// send wakes a parked goroutine, with buffered channels too.
#[test]
fn threads_and_goroutines_wake_each_other() {
    let _w = watchdog::start("threads_and_goroutines_wake_each_other", watchdog::LIMIT);
    let rt = rt(2);
    for cap in [0, 1, 16] {
        let (tx, rx): (Sender<u32>, Receiver<u32>) = chan::bounded(cap);
        let t = std::thread::spawn(move || rx.iter().sum::<u32>());
        rt.block_on(move || {
            for i in 0..1_000 {
                tx.send(i).unwrap();
            }
        });
        assert_eq!(t.join().unwrap(), (0..1_000).sum::<u32>());
    }
}

#[test]
fn debug_and_display() {
    let _w = watchdog::start("debug_and_display", watchdog::LIMIT);
    let (tx, rx) = chan::bounded::<std::cell::Cell<u8>>(2); // T is not Debug
    assert_eq!(format!("{tx:?}"), "Sender { len: 0, cap: 2, .. }");
    assert_eq!(format!("{rx:?}"), "Receiver { len: 0, cap: 2, .. }");
    tx.close();
    let e = tx.send(std::cell::Cell::new(1)).unwrap_err();
    assert_eq!(format!("{e:?}"), "SendError { .. }");
    let e = tx.try_send(std::cell::Cell::new(1)).unwrap_err();
    assert_eq!(format!("{e:?}"), "Closed(..)");
    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    is_error(&SendError(1u8));
    is_error(&TrySendError::Full(1u8));
    is_error(&TryRecvError::Empty);
    fn is_send_sync<X: Send + Sync>() {}
    is_send_sync::<Sender<Vec<u8>>>();
    is_send_sync::<Receiver<Vec<u8>>>();
}
