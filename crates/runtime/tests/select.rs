//! `select!` (Go's src/runtime/select.go), with tests ported by name from
//! Go's runtime/chan_test.go: fairness, a select on both ends of one channel,
//! duplicate channels, stress across Ms with no lost or doubled values, and
//! non-blocking selects racing a close.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gort_runtime::chan::{self, Receiver, SendError, Sender};
use gort_runtime::{Runtime, select, spawn};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// Go's TestSelectFairness: with two cases always ready, each is chosen
/// 40–60% of 10,000 times (Go allows 10 sigma, about ±5%).
#[test]
fn test_select_fairness() {
    const TRIALS: usize = 10_000;
    let _w = watchdog::start("test_select_fairness", watchdog::LIMIT);
    let (cnt1, cnt2) = rt(2).block_on(|| {
        let (c1tx, c1) = chan::bounded::<u8>(TRIALS + 1);
        let (c2tx, c2) = chan::bounded::<u8>(TRIALS + 1);
        for _ in 0..=TRIALS {
            c1tx.send(1).unwrap();
            c2tx.send(2).unwrap();
        }
        // Never ready: their senders stay alive but never send.
        let (_c3tx, c3) = chan::bounded::<u8>(0);
        let (_c4tx, c4) = chan::bounded::<u8>(0);
        let (out_tx, out) = chan::bounded::<u8>(0);
        let (done_tx, done) = chan::bounded::<()>(0);
        let h = spawn(move || {
            loop {
                let b = select! {
                    recv(c3) -> b => b,
                    recv(c4) -> b => b,
                    recv(c1) -> b => b,
                    recv(c2) -> b => b,
                }
                .unwrap();
                let stop = select! {
                    send(out_tx, b) -> _r => false,
                    recv(done) -> _d => true,
                };
                if stop {
                    return;
                }
            }
        });
        let (mut cnt1, mut cnt2) = (0, 0);
        for _ in 0..TRIALS {
            match out.recv() {
                Some(1) => cnt1 += 1,
                Some(2) => cnt2 += 1,
                v => panic!("unexpected value {v:?} on channel"),
            }
        }
        done_tx.close();
        h.join().unwrap();
        (cnt1, cnt2)
    });
    assert_eq!(cnt1 + cnt2, TRIALS);
    assert!(
        (4_000..=6_000).contains(&cnt1),
        "unfair select: in {TRIALS} trials, results were {cnt1}, {cnt2}"
    );
}

/// Go's TestSelfSelect: two goroutines select between sending and receiving
/// on the same channel; nothing deadlocks, and on an unbuffered channel no
/// goroutine receives its own value.
#[test]
fn test_self_select() {
    let _w = watchdog::start("test_self_select", watchdog::LIMIT);
    rt(2).block_on(|| {
        for cap in [0, 10] {
            let (tx, rx) = chan::bounded::<usize>(cap);
            let hs: Vec<_> = (0..2usize)
                .map(|p| {
                    let (tx, rx) = (tx.clone(), rx.clone());
                    spawn(move || {
                        for i in 0..1000 {
                            let got = if p == 0 || i % 2 == 0 {
                                select! {
                                    send(tx, p) -> r => { r.unwrap(); None },
                                    recv(rx) -> v => v,
                                }
                            } else {
                                select! {
                                    recv(rx) -> v => v,
                                    send(tx, p) -> r => { r.unwrap(); None },
                                }
                            };
                            if cap == 0 {
                                assert_ne!(got, Some(p), "self receive");
                            }
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        }
    });
}

/// Go's TestSelectDuplicateChannel: a select waiting twice on one channel
/// is dequeued cleanly from it when another case wins, so a later waiter on
/// that channel is the one woken.
#[test]
fn test_select_duplicate_channel() {
    let _w = watchdog::start("test_select_duplicate_channel", watchdog::LIMIT);
    rt(2).block_on(|| {
        let (ctx, c) = chan::bounded::<i32>(0);
        let (dtx, d) = chan::bounded::<i32>(0);
        let (etx, e) = chan::bounded::<i32>(0);
        let a = {
            let (c, d) = (c.clone(), d.clone());
            spawn(move || {
                let which = select! {
                    recv(c) -> _v => "c",
                    recv(c) -> _v => "c",
                    recv(d) -> _v => "d",
                };
                etx.send(9).unwrap();
                which
            })
        };
        wait::parked(WaitReason::Select, 1); // A queues on c first
        let b = spawn(move || c.recv());
        wait::parked(WaitReason::ChanReceive, 1); // then B
        dtx.send(7).unwrap(); // wakes A, which leaves c's queue
        assert_eq!(e.recv(), Some(9));
        ctx.send(8).unwrap(); // must wake B, not A again
        assert_eq!(b.join().unwrap(), Some(8));
        assert_eq!(a.join().unwrap(), "d");
        drop(d);
    });
}

/// Go's TestNonblockSelectRace: a select with default, on a ready channel
/// and one being closed, never takes the default.
#[test]
fn test_nonblock_select_race() {
    let _w = watchdog::start("test_nonblock_select_race", watchdog::LIMIT);
    rt(2).block_on(|| {
        for _ in 0..2_000 {
            let (c1tx, c1) = chan::bounded::<i32>(1);
            let (c2tx, c2) = chan::bounded::<i32>(1);
            c1tx.send(1).unwrap();
            let h = spawn(move || {
                select! {
                    recv(c1) -> _v => true,
                    recv(c2) -> _v => true,
                    default => false,
                }
            });
            c2tx.close();
            assert!(h.join().unwrap(), "no chan is ready");
        }
    });
}

/// Go's TestNonblockSelectRace2: the same with the value arriving on the
/// channel that is then closed.
#[test]
fn test_nonblock_select_race2() {
    let _w = watchdog::start("test_nonblock_select_race2", watchdog::LIMIT);
    rt(2).block_on(|| {
        for _ in 0..2_000 {
            let (c1tx, c1) = chan::bounded::<i32>(1);
            let (c2tx, c2) = chan::bounded::<i32>(0);
            c1tx.send(1).unwrap();
            let h = spawn(move || {
                select! {
                    recv(c1) -> _v => true,
                    recv(c2) -> _v => true,
                    default => false,
                }
            });
            c2tx.close();
            assert!(h.join().unwrap(), "no chan is ready");
        }
    });
}

/// Go's TestSelectStress, with a count and checksum: four channels (two
/// unbuffered, capacities 2 and 3), a sender and a receiver goroutine per
/// channel, plus one goroutine sending N values on each through a single
/// select and one receiving N from each through a single select, on 4 Ps.
/// Every value sent arrives exactly once.
#[test]
fn test_select_stress() {
    const N: u64 = 10_000;
    let _w = watchdog::start("test_select_stress", watchdog::LIMIT);
    let (count, sum) = rt(4).block_on(|| {
        let chans: Vec<(Sender<u64>, Receiver<u64>)> =
            [0, 0, 2, 3].into_iter().map(chan::bounded).collect();
        // Go sets a finished case's channel to nil; a channel whose other
        // end stays alive and unused stands in for nil here (one for the
        // sends, one for the receives, so they cannot meet).
        let (nil_tx, nil_tx_peer) = chan::bounded::<u64>(0);
        let (nil_rx_peer, nil_rx) = chan::bounded::<u64>(0);
        let count = Arc::new(AtomicUsize::new(0));
        let sum = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for (k, (tx, rx)) in chans.iter().enumerate() {
            let tx = tx.clone();
            hs.push(spawn(move || {
                for i in 0..N {
                    tx.send(k as u64 * N + i).unwrap();
                }
            }));
            let (rx, count, sum) = (rx.clone(), count.clone(), sum.clone());
            hs.push(spawn(move || {
                for _ in 0..N {
                    sum.fetch_add(rx.recv().unwrap() as usize, Ordering::Relaxed);
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        {
            let txs: Vec<Sender<u64>> = chans.iter().map(|(t, _)| t.clone()).collect();
            let (nil_tx, _keep) = (nil_tx.clone(), nil_tx_peer.clone());
            hs.push(spawn(move || {
                let mut n = [0u64; 4];
                let mut c: Vec<&Sender<u64>> = txs.iter().collect();
                for _ in 0..4 * N {
                    let k = select! {
                        send(c[3], 4 * N + 3 * N + n[3]) -> r => { r.unwrap(); 3 },
                        send(c[2], 4 * N + 2 * N + n[2]) -> r => { r.unwrap(); 2 },
                        send(c[0], 4 * N + n[0]) -> r => { r.unwrap(); 0 },
                        send(c[1], 4 * N + N + n[1]) -> r => { r.unwrap(); 1 },
                    };
                    n[k] += 1;
                    if n[k] == N {
                        c[k] = &nil_tx;
                    }
                }
            }));
        }
        {
            let rxs: Vec<Receiver<u64>> = chans.iter().map(|(_, r)| r.clone()).collect();
            let (count, sum) = (count.clone(), sum.clone());
            let (nil_rx, _keep) = (nil_rx.clone(), nil_rx_peer.clone());
            hs.push(spawn(move || {
                let mut n = [0u64; 4];
                let mut c: Vec<&Receiver<u64>> = rxs.iter().collect();
                for _ in 0..4 * N {
                    let (k, v) = select! {
                        recv(c[0]) -> v => (0, v),
                        recv(c[1]) -> v => (1, v),
                        recv(c[2]) -> v => (2, v),
                        recv(c[3]) -> v => (3, v),
                    };
                    sum.fetch_add(v.unwrap() as usize, Ordering::Relaxed);
                    count.fetch_add(1, Ordering::Relaxed);
                    n[k] += 1;
                    if n[k] == N {
                        c[k] = &nil_rx;
                    }
                }
            }));
        }
        for h in hs {
            h.join().unwrap();
        }
        (count.load(Ordering::Relaxed), sum.load(Ordering::Relaxed))
    });
    let n = 8 * N;
    assert_eq!(count as u64, n);
    assert_eq!(sum as u64, n * (n - 1) / 2, "checksum");
}

/// Two senders race to a select waiting on both of their channels: exactly
/// one case fires, and the other value is still there afterwards.
#[test]
fn exactly_one_case_fires() {
    let _w = watchdog::start("exactly_one_case_fires", watchdog::LIMIT);
    rt(2).block_on(|| {
        for round in 0..2_000u32 {
            let (atx, a) = chan::bounded::<u32>(0);
            let (btx, b) = chan::bounded::<u32>(0);
            let sa = spawn(move || atx.send(round));
            let sb = spawn(move || btx.send(round + 1));
            let first = select! {
                recv(a) -> v => ('a', v.unwrap()),
                recv(b) -> v => ('b', v.unwrap()),
            };
            let second = match first.0 {
                'a' => ('b', b.recv().unwrap()),
                _ => ('a', a.recv().unwrap()),
            };
            let (mut x, mut y) = (first, second);
            if x.0 == 'b' {
                std::mem::swap(&mut x, &mut y);
            }
            assert_eq!((x, y), (('a', round), ('b', round + 1)));
            sa.join().unwrap().unwrap();
            sb.join().unwrap().unwrap();
        }
    });
}

#[test]
fn send_case_on_a_closed_channel_fires_with_the_value() {
    let _w = watchdog::start(
        "send_case_on_a_closed_channel_fires_with_the_value",
        watchdog::LIMIT,
    );
    let (tx, rx) = chan::bounded::<String>(0);
    drop(rx);
    let r = select! {
        send(tx, "v".to_string()) -> r => r,
    };
    assert_eq!(r, Err(SendError("v".to_string())));
}

#[test]
fn select_wakes_on_close() {
    let _w = watchdog::start("select_wakes_on_close", watchdog::LIMIT);
    rt(2).block_on(|| {
        let (atx, a) = chan::bounded::<u8>(0);
        let (btx, b) = chan::bounded::<u8>(0);
        let h = spawn(move || {
            select! {
                recv(a) -> v => ('a', v),
                send(btx, 1) -> r => ('b', r.err().map(|e| e.0)),
            }
        });
        wait::parked(WaitReason::Select, 1);
        drop(atx); // closes a: the recv case fires with None
        assert_eq!(h.join().unwrap(), ('a', None));
        drop(b);
    });
}

#[test]
fn default_runs_when_nothing_is_ready() {
    let _w = watchdog::start("default_runs_when_nothing_is_ready", watchdog::LIMIT);
    let (tx, rx) = chan::bounded::<u8>(0);
    let (_keep, other) = chan::bounded::<u8>(0);
    for _ in 0..100 {
        let got = select! {
            recv(rx) -> _v => 1,
            recv(other) -> _v => 2,
            send(tx, 0) -> _r => 3,
            default => 0,
        };
        assert_eq!(got, 0);
    }
    // Only a default: it runs.
    assert_eq!(select! { default => 5 }, 5);
}

/// Bodies may be blocks or expressions, and `break`/`continue` act on the
/// loop around the select; more cases than fit in selectgo's stack buffers.
#[test]
fn macro_syntax_and_many_cases() {
    let _w = watchdog::start("macro_syntax_and_many_cases", watchdog::LIMIT);
    rt(2).block_on(|| {
        let chans: Vec<_> = (0..12).map(|_| chan::bounded::<usize>(1)).collect();
        let r: Vec<&Receiver<usize>> = chans.iter().map(|(_, r)| r).collect();
        chans[11].0.send(11).unwrap();
        let got = select! {
            recv(r[0]) -> v => v,
            recv(r[1]) -> v => v,
            recv(r[2]) -> v => v,
            recv(r[3]) -> v => v,
            recv(r[4]) -> v => v,
            recv(r[5]) -> v => v,
            recv(r[6]) -> v => v,
            recv(r[7]) -> v => v,
            recv(r[8]) -> v => v,
            recv(r[9]) -> v => v,
            recv(r[10]) -> v => v,
            recv(r[11]) -> v => v
        };
        assert_eq!(got, Some(11));

        let (tx, rx) = chan::bounded::<u32>(4);
        for i in 0..4 {
            tx.send(i).unwrap();
        }
        tx.close();
        let mut seen = Vec::new();
        loop {
            select! {
                recv(rx) -> v => {
                    match v {
                        Some(1) => continue,
                        Some(v) => seen.push(v),
                        None => break,
                    }
                }
                default => unreachable!("closed channels are always ready")
            }
        }
        assert_eq!(seen, [0, 2, 3]);
    });
}

/// A select in a plain OS thread blocks the thread until a goroutine sends.
#[test]
fn select_in_a_plain_thread() {
    let _w = watchdog::start("select_in_a_plain_thread", watchdog::LIMIT);
    let rt = rt(2);
    let (atx, a) = chan::bounded::<u32>(0);
    let (btx, b) = chan::bounded::<u32>(0);
    let t = std::thread::spawn(move || {
        let mut total = 0;
        for _ in 0..200 {
            total += select! {
                recv(a) -> v => v.unwrap(),
                recv(b) -> v => v.unwrap() * 1000,
            };
        }
        total
    });
    rt.block_on(move || {
        for i in 0..100 {
            atx.send(i).unwrap();
            btx.send(i).unwrap();
        }
    });
    assert_eq!(t.join().unwrap(), (0..100).sum::<u32>() * 1001);
}
