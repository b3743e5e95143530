//! Go's `time` package on channels (sleep.go, tick.go): `Timer`, `after`,
//! `Ticker` and `tick`, checked the way Go's sleep_test.go and tick_test.go
//! check them: stopped timers never deliver, reset timers deliver once, a
//! slow reader of a ticker loses ticks instead of queueing them.

use std::time::{Duration, Instant};

use gort_runtime::chan::TryRecvError;
use gort_runtime::time::{Ticker, Timer, after, sleep, tick};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

const MS: Duration = Duration::from_millis(1);

#[test]
fn timer_delivers_once_after_its_duration() {
    let _w = watchdog::start("timer_delivers_once_after_its_duration", watchdog::LIMIT);
    gort_runtime::run(|| {
        let start = Instant::now();
        let t = Timer::new(10 * MS);
        let at = t.c.recv().unwrap();
        assert!(at >= start + 10 * MS);
        assert!(start.elapsed() >= 10 * MS);
        sleep(20 * MS);
        assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty), "fired twice");
        assert!(!t.stop(), "already fired");
    });
}

#[test]
fn stopped_timers_never_fire() {
    let _w = watchdog::start("stopped_timers_never_fire", watchdog::LIMIT);
    // Go's TestAfterStop, with many timers.
    gort_runtime::run(|| {
        let timers: Vec<Timer> = (0..200).map(|_| Timer::new(5 * MS)).collect();
        for t in &timers {
            assert!(t.stop());
        }
        sleep(30 * MS);
        for t in &timers {
            assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty));
        }
    });
}

#[test]
fn stop_and_reset_discard_a_value_nobody_took() {
    let _w = watchdog::start(
        "stop_and_reset_discard_a_value_nobody_took",
        watchdog::LIMIT,
    );
    // Go 1.23's guarantee: after Stop or Reset returns, no stale value.
    gort_runtime::run(|| {
        let t = Timer::new(MS);
        wait::until("the timer fired; its value sits in the channel", || {
            t.c.len() == 1
        });
        assert!(!t.stop());
        assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty));

        let t = Timer::new(MS);
        wait::until("the timer fired again", || t.c.len() == 1);
        let before_reset = Instant::now();
        assert!(!t.reset(5 * MS));
        let at = t.c.recv().unwrap();
        assert!(at >= before_reset + 5 * MS, "got the stale value");
    });
}

#[test]
fn reset_moves_an_armed_timer() {
    let _w = watchdog::start("reset_moves_an_armed_timer", watchdog::LIMIT);
    gort_runtime::run(|| {
        let start = Instant::now();
        let t = Timer::new(Duration::from_secs(3600));
        assert!(t.reset(5 * MS), "was armed");
        t.c.recv().unwrap();
        assert!(start.elapsed() < Duration::from_secs(60));
    });
}

#[test]
fn after_delivers_then_closes() {
    let _w = watchdog::start("after_delivers_then_closes", watchdog::LIMIT);
    gort_runtime::run(|| {
        let start = Instant::now();
        let rx = after(5 * MS);
        assert!(rx.recv().unwrap() >= start + 5 * MS);
        // Nothing can send any more: the channel closes (Go blocks forever).
        assert_eq!(rx.recv(), None);
    });
}

#[test]
fn ticker_ticks_regularly_and_stops() {
    let _w = watchdog::start("ticker_ticks_regularly_and_stops", watchdog::LIMIT);
    gort_runtime::run(|| {
        let t = Ticker::new(2 * MS);
        let mut last = Instant::now();
        for _ in 0..10 {
            let at = t.c.recv().unwrap();
            assert!(at >= last);
            last = at;
        }
        t.stop();
        let _ = t.c.try_recv(); // a tick that raced the stop may remain
        sleep(10 * MS);
        assert_eq!(
            t.c.try_recv(),
            Err(TryRecvError::Empty),
            "ticked after stop"
        );
    });
}

#[test]
fn slow_reader_loses_ticks_instead_of_queueing_them() {
    let _w = watchdog::start(
        "slow_reader_loses_ticks_instead_of_queueing_them",
        watchdog::LIMIT,
    );
    // Go's TestTicker: a reader that sleeps through many periods finds one
    // tick waiting, not a backlog.
    gort_runtime::run(|| {
        let t = Ticker::new(MS);
        sleep(30 * MS); // about 30 periods
        assert!(t.c.try_recv().is_ok(), "one tick waits");
        assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty), "only one");
        // And the beat goes on.
        t.c.recv().unwrap();
    });
}

#[test]
fn ticker_reset_changes_the_period() {
    let _w = watchdog::start("ticker_reset_changes_the_period", watchdog::LIMIT);
    gort_runtime::run(|| {
        let t = Ticker::new(Duration::from_secs(3600));
        t.reset(2 * MS);
        t.c.recv().unwrap();
        t.c.recv().unwrap();
    });
}

#[test]
#[should_panic(expected = "non-positive interval for NewTicker")]
fn zero_ticker_period_panics_as_in_go() {
    let _w = watchdog::start("zero_ticker_period_panics_as_in_go", watchdog::LIMIT);
    gort_runtime::run(|| {
        let _ = Ticker::new(Duration::ZERO);
    });
}

#[test]
fn tick_channel_ticks() {
    let _w = watchdog::start("tick_channel_ticks", watchdog::LIMIT);
    gort_runtime::run(|| {
        let rx = tick(MS);
        for _ in 0..3 {
            rx.recv().unwrap();
        }
        drop(rx); // the ticker stops once nobody listens
        sleep(5 * MS);
    });
}

#[test]
fn after_as_a_select_timeout() {
    let _w = watchdog::start("after_as_a_select_timeout", watchdog::LIMIT);
    gort_runtime::run(|| {
        let (tx, rx) = gort_runtime::chan::bounded::<u32>(0);
        let got = gort_runtime::select! {
            recv(rx) -> v => v,
            recv(after(5 * MS)) -> _t => None,
        };
        assert_eq!(got, None);
        // With a sender ready, the value wins over a long timeout.
        gort_runtime::spawn(move || tx.send(7).unwrap());
        let got = gort_runtime::select! {
            recv(rx) -> v => v,
            recv(after(Duration::from_secs(60))) -> _t => None,
        };
        assert_eq!(got, Some(7));
    });
}

#[test]
fn no_stale_value_after_stop_or_reset_even_while_the_timer_fires() {
    let _w = watchdog::start(
        "no_stale_value_after_stop_or_reset_even_while_the_timer_fires",
        watchdog::LIMIT,
    );
    // Go 1.23's promise, raced: the timer is due just as `stop`/`reset` is
    // called, so its callback is often running on the other P at that
    // moment. Whatever happened, nothing from the old arming may arrive
    // afterwards.
    let rt = gort_runtime::Builder::new().procs(2).build().unwrap();
    rt.block_on(|| {
        let start = Instant::now();
        let mut rounds = 0;
        while rounds < 3000 && start.elapsed() < 3 * 1000 * MS {
            rounds += 1;
            let t = Timer::new(Duration::from_micros(30));
            // Busy, so this P does not run its own timers: another M does.
            let due = Instant::now() + Duration::from_micros(30);
            while Instant::now() < due {
                std::hint::spin_loop();
            }
            if rounds % 2 == 0 {
                t.stop();
            } else {
                t.reset(Duration::from_secs(3600));
            }
            let checked = Instant::now() + Duration::from_micros(200);
            while Instant::now() < checked {
                assert_eq!(
                    t.c.try_recv(),
                    Err(TryRecvError::Empty),
                    "round {rounds}: a value from before stop/reset arrived"
                );
            }
            t.stop();
        }
        assert!(rounds >= 100, "only {rounds} rounds in 3 s");
    });
}

/// `Ticker::stop` racing a tick that another thread is delivering: after
/// `stop` returns (and the one tick delivered before it, if any, is taken),
/// nothing more arrives. Before the fix a firing in flight could deliver and
/// re-arm after `stop`, and the ticker kept ticking.
#[test]
fn no_tick_after_stop_even_while_a_tick_is_in_flight() {
    let _w = watchdog::start(
        "no_tick_after_stop_even_while_a_tick_is_in_flight",
        watchdog::LIMIT,
    );
    let rt = gort_runtime::Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        for _ in 0..200 {
            let t = Ticker::new(Duration::from_micros(100));
            t.c.recv().unwrap();
            t.stop();
            let _ = t.c.try_recv();
            sleep(Duration::from_micros(500));
            assert_eq!(
                t.c.try_recv(),
                Err(TryRecvError::Empty),
                "ticked after stop"
            );
        }
    });
}
