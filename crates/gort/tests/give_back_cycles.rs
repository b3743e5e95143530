//! 10,000 times over: build a runtime, leave a listener and an accepted
//! connection with goroutines parked on them and a few on far-off timers,
//! drop the runtime. Before dropped runtimes gave back what their goroutines
//! held, each cycle leaked about four descriptors and every goroutine's
//! stack, and `socket` failed with EMFILE after about 4,000 cycles. Now the
//! descriptor count ends where it started and so, give or take the
//! allocator, does the resident memory.
//!
//! One test in its own binary: nothing else opens descriptors meanwhile.

use std::time::Duration;

use gort::net::{dial_tcp, listen_tcp, resolve_tcp_addr};

const CYCLES: usize = 10_000;

/// Cycles run before the baseline is taken: thread-local caches, the
/// allocator's arenas and the global stack pool fill up in the first ones.
const WARM_UP: usize = 200;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The process's resident set less the pages the kernel may take back at
/// will, in KiB: `VmRSS` minus `LazyFree` (`/proc/self/smaps_rollup`).
/// Free goroutine stacks are released with `MADV_FREE` (by the scavenger,
/// or at once by `gort::debug::free_os_memory`, which the test calls first),
/// so they stay in `VmRSS` until there is memory pressure; they are not held
/// memory.
fn rss_kib() -> u64 {
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    field(&status, "VmRSS:").saturating_sub(field(&rollup, "LazyFree:"))
}

fn cycle() {
    let rt = gort::Builder::new().procs(2).build().unwrap();
    rt.block_on(|| {
        let ln = listen_tcp(
            "tcp",
            Some(&resolve_tcp_addr("tcp", "127.0.0.1:0").unwrap()),
        )
        .unwrap();
        let c = dial_tcp("tcp", None, &ln.addr()).unwrap();
        let s = ln.accept().unwrap();
        // Closed with a reset: 10,000 connections in TIME_WAIT would hold
        // a third of the ephemeral ports for a minute after the test.
        c.set_linger(Some(Duration::ZERO)).unwrap();
        s.set_linger(Some(Duration::ZERO)).unwrap();
        gort::go!({
            let _ = ln.accept();
        });
        gort::go!({
            let _ = s.read(&mut [0; 4096]);
        });
        gort::go!({
            let _ = c.read(&mut [0; 4096]);
        });
        for _ in 0..3 {
            gort::go!(gort::time::sleep(Duration::from_secs(3600)));
        }
    });
    drop(rt);
}

#[test]
fn ten_thousand_build_serve_drop_cycles_give_every_descriptor_and_stack_back() {
    for _ in 0..WARM_UP {
        cycle();
    }
    // Free stacks stay warm for a scavenger period or two; measure what is
    // held, not what the pool keeps for the next burst.
    gort::debug::free_os_memory();
    let (fds0, rss0) = (open_fds(), rss_kib());
    for _ in 0..CYCLES {
        cycle();
    }
    gort::debug::free_os_memory();
    let (fds1, rss1) = (open_fds(), rss_kib());
    eprintln!(
        "after {WARM_UP} warm-up cycles: {fds0} fds, {rss0} KiB resident; \
         after {CYCLES} more: {fds1} fds, {rss1} KiB resident"
    );
    assert_eq!(fds1, fds0, "descriptors leaked");
    // A leaked goroutine costs at least one touched stack page (4 KiB), and
    // each cycle leaves six: 10,000 cycles would leak over 230 MiB.
    assert!(
        rss1 < rss0 + 16 * 1024,
        "resident memory grew from {rss0} KiB to {rss1} KiB"
    );
}
