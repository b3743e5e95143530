//! Descriptor accounting: 10,000 open/register/close cycles leave the process with exactly the descriptors it started with.

mod common;

use std::time::Duration;

use common::{Polled, pipe, runtime};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn ten_thousand_register_close_cycles_leak_no_descriptor() {
    let _w = watchdog::start(
        "ten_thousand_register_close_cycles_leak_no_descriptor",
        Duration::from_secs(300),
    );
    runtime(2).block_on(|| {
        // The first registration creates the epoll instance and its break
        // pipe (three descriptors that live as long as the poller).
        drop(Polled::open(pipe().0));
        let poller = gort_netpoll::Poller::current().unwrap();
        let before = open_fds();
        for _ in 0..10_000 {
            let (r, w) = pipe();
            let r = Polled::open(r);
            let w = Polled::open(w);
            drop((r, w));
        }
        assert_eq!(poller.registered(), 0);
        assert_eq!(open_fds(), before);
    });
}
