//! Dropping a runtime returns promptly, whatever its goroutines are doing:
//! parked on sockets and on timers an hour away, with the poller blocked
//! (or about to block) until then. Issue 15's hang: `Runtime::drop` broke
//! the poller once, another M consumed the break, and the next M to take
//! the poller role blocked with nothing left to wake it.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use gort::net::{TcpListener, dial_tcp, listen_tcp, resolve_tcp_addr};

/// When the runtime is dropped.
#[derive(Clone, Copy, Debug)]
enum Order {
    /// As soon as the main goroutine returns: Ms are still on their way
    /// into the scheduler and the poller.
    Immediately,
    /// Once every P is idle: one M blocked in the poller, the others asleep.
    WhenIdle,
    /// After a delay that differs from cycle to cycle (0 to 150 µs, spun,
    /// not slept): sometimes while an M is between its last look at the
    /// shutdown flag and taking the poller role, the window of the hang.
    Jittered,
}

/// Cycles run so far with `Order::Jittered`; picks each one's delay.
static JITTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn listener() -> TcpListener {
    listen_tcp(
        "tcp",
        Some(&resolve_tcp_addr("tcp", "127.0.0.1:0").unwrap()),
    )
    .unwrap()
}

/// Builds a runtime whose goroutines park on an accept, a read and a far-off
/// timer, then drops it, and returns how long the drop took.
fn cycle(order: Order) -> Duration {
    let rt = gort::Builder::new().procs(2).build().unwrap();
    rt.block_on(|| {
        let ln = listener();
        let c = dial_tcp("tcp", None, &ln.addr()).unwrap();
        let s = ln.accept().unwrap();
        gort::go!({
            let _ = ln.accept();
        });
        gort::go!({
            let _keep = &c;
            let _ = s.read(&mut [0; 1]);
        });
        gort::go!(gort::time::sleep(Duration::from_secs(3600)));
    });
    if let Order::WhenIdle = order {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let st = rt.stats();
            if st.idle_procs == st.procs && st.goroutines == 3 {
                break;
            }
            assert!(Instant::now() < end, "the runtime never went idle: {st:?}");
            std::thread::yield_now();
        }
    }
    if let Order::Jittered = order {
        let n = JITTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let until = Instant::now() + Duration::from_micros(u64::from(n * 37 % 151));
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }
    let t = Instant::now();
    drop(rt);
    t.elapsed()
}

/// Runs `cycles` build/park/drop cycles on another thread; each drop must
/// return within a few seconds (a hang would block until the hour-long
/// timer), and the whole run within a minute.
fn cycles(order: Order, cycles: usize) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for i in 0..cycles {
            let took = cycle(order);
            if tx.send((i, took)).is_err() {
                return;
            }
        }
    });
    let end = Instant::now() + Duration::from_secs(120);
    for _ in 0..cycles {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_secs(10))) {
            Ok((i, took)) => assert!(
                took < Duration::from_secs(5),
                "{order:?}: drop {i} took {took:?}"
            ),
            Err(_) => panic!("{order:?}: a drop did not return (runtime shutdown hang)"),
        }
    }
}

#[test]
fn drop_returns_promptly_right_after_main_returns() {
    cycles(Order::Immediately, 600);
}

#[test]
fn drop_returns_promptly_with_the_poller_blocked() {
    cycles(Order::WhenIdle, 600);
}

#[test]
fn drop_returns_promptly_at_any_moment_after_main_returns() {
    cycles(Order::Jittered, 1_000);
}
