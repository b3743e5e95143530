//! netpoll_break: concurrent breaks fold into one wake-up that a single blocking poll consumes; a poller that never registered a descriptor still sleeps and wakes.

use std::os::fd::AsFd;
use std::sync::Arc;

use gort_netpoll::Poller;
use gort_runtime::hooks::Netpoll;

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

#[test]
fn hundred_concurrent_breaks_then_one_blocking_poll_returns() {
    let _w = watchdog::start(
        "hundred_concurrent_breaks_then_one_blocking_poll_returns",
        watchdog::LIMIT,
    );
    let poller = Arc::new(Poller::new().unwrap());
    let (r, _write_end) = rustix::pipe::pipe_with(
        rustix::pipe::PipeFlags::NONBLOCK | rustix::pipe::PipeFlags::CLOEXEC,
    )
    .unwrap();
    // SAFETY: `r` outlives `pd` (dropped first at the end of the test).
    let pd = unsafe { poller.poll_open(r.as_fd()) }.unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let p = poller.clone();
            std::thread::spawn(move || (0..25).for_each(|_| p.netpoll_break()))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    // A non-blocking poll sees the break but leaves it for a blocking one.
    let mut ready = Vec::new();
    assert_eq!(poller.netpoll(0, &mut ready), 0);
    // Blocks forever unless the break is still pending.
    assert_eq!(poller.netpoll(-1, &mut ready), 0);
    assert!(ready.is_empty());
    // Each round of break + blocking poll wakes it again: the flag was reset.
    for _ in 0..100 {
        poller.netpoll_break();
        poller.netpoll(-1, &mut Vec::new());
    }
    drop(pd);
}

#[test]
fn poller_without_descriptors_sleeps_and_breaks() {
    let _w = watchdog::start(
        "poller_without_descriptors_sleeps_and_breaks",
        watchdog::LIMIT,
    );
    let poller = Arc::new(Poller::new().unwrap());
    let mut ready = Vec::new();
    assert_eq!(poller.netpoll(0, &mut ready), 0);
    assert_eq!(poller.netpoll(1_000_000, &mut ready), 0);
    poller.netpoll_break();
    // Blocks forever unless the break wakes it.
    poller.netpoll(-1, &mut Vec::new());
}

#[test]
fn runtime_with_poller_runs_sleeps_and_timers() {
    let _w = watchdog::start(
        "runtime_with_poller_runs_sleeps_and_timers",
        watchdog::LIMIT,
    );
    let rt = gort_runtime::Runtime::builder()
        .procs(2)
        .netpoll(Arc::new(Poller::new().unwrap()))
        .build()
        .unwrap();
    let n = rt.block_on(|| {
        let hs: Vec<_> = (0..20u64)
            .map(|i| {
                gort_runtime::spawn(move || {
                    gort_runtime::time::sleep(std::time::Duration::from_millis(i % 5));
                    i
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(n, 190);
}
