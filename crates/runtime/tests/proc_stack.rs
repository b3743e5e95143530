//! Goroutine stacks as a user sees them: a stack overflow is reported and
//! kills the process (checked in a child process), and 100k parked
//! goroutines fit in the address space and in memory.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use gort_runtime::hooks::{semacquire, semrelease};
use gort_runtime::{Runtime, spawn};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

const CHILD_ENV: &str = "GORT_TEST_STACK_CHILD";

/// Recurses until `limit` (never reached in practice: the stack ends first).
#[inline(never)]
fn recurse(depth: u64, limit: u64) -> u64 {
    let pad = std::hint::black_box([depth; 64]);
    if depth == limit {
        return pad[0];
    }
    pad[0] + recurse(depth + 1, limit) + pad[63]
}

/// In the child: overflow a goroutine's 64 KiB stack.
fn overflow_child() {
    let rt = Runtime::builder()
        .procs(1)
        .stack_size(64 * 1024)
        .build()
        .unwrap();
    rt.block_on(|| {
        let h = spawn(|| recurse(0, u64::MAX));
        let _ = h.join();
    });
    unreachable!("the overflow should have killed the process");
}

#[test]
fn stack_overflow_is_reported_and_aborts() {
    let _w = watchdog::start("stack_overflow_is_reported_and_aborts", watchdog::LIMIT);
    if std::env::var_os(CHILD_ENV).is_some() {
        overflow_child();
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "stack_overflow_is_reported_and_aborts",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The main goroutine is goroutine 1, the recursing one goroutine 2.
    assert!(
        stderr.contains(
            "fatal error: stack overflow in goroutine 2 (stack size 64 KiB; raise it with Builder::stack_size)"
        ),
        "stderr was: {stderr}"
    );
    assert_eq!(
        out.status.signal(),
        Some(libc_sigabrt()),
        "status: {:?}",
        out.status
    );
}

fn libc_sigabrt() -> i32 {
    6
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 4096
}

fn map_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

/// 100k goroutines parked at once (on a semaphore) with the default 256 KiB
/// stacks: 25 GiB of address space, but few mappings and a few KiB of memory
/// each. Prints the RSS per parked goroutine.
#[test]
fn hundred_thousand_parked_goroutines() {
    const N: u32 = 100_000;
    let _w = watchdog::start("hundred_thousand_parked_goroutines", watchdog::LIMIT);
    let rt = Runtime::builder().procs(2).build().unwrap();
    let (rss, maps) = rt.block_on(|| {
        let sem = Arc::new(AtomicU32::new(0));
        let before = rss_bytes();
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let sem = sem.clone();
                spawn(move || semacquire(&sem))
            })
            .collect();
        wait::parked(WaitReason::Semacquire, N as usize);
        let rss = rss_bytes().saturating_sub(before);
        let maps = map_count();
        for _ in 0..N {
            semrelease(&sem);
        }
        for h in handles {
            h.join().unwrap();
        }
        (rss, maps)
    });
    println!(
        "100000 parked goroutines: RSS +{} KiB total, {:.2} KiB per goroutine, {} mappings",
        rss / 1024,
        rss as f64 / 1024.0 / f64::from(N),
        maps
    );
    assert!(maps < 10_000, "{maps} mappings for 100k stacks");
    // A parked goroutine costs its G, the touched top of its stack and its
    // closure: a few pages at most, nowhere near its 256 KiB reservation.
    assert!(rss < u64::from(N) * 32 * 1024, "RSS grew by {rss} bytes");
}

/// Bytes the kernel may take back at will (`LazyFree` in
/// `/proc/self/smaps_rollup`): pages released with `MADV_FREE`.
fn lazy_free_bytes() -> u64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("LazyFree:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// Writes `N` bytes of the calling goroutine's stack.
#[inline(never)]
fn touch_stack<const N: usize>() -> u8 {
    let buf = std::hint::black_box([1u8; N]);
    buf[N / 2]
}

/// The stacks of goroutines that have exited stay warm, and sysmon's
/// scavenger releases them once they have gone unused for a whole period
/// (a second): within a few seconds, with nobody calling `free_os_memory`.
#[test]
fn scavenger_releases_idle_stacks() {
    const N: usize = 1000;
    let _w = watchdog::start("scavenger_releases_idle_stacks", watchdog::LIMIT);
    // A stack size of its own, so that no other test reuses these stacks.
    let rt = Runtime::builder()
        .procs(2)
        .stack_size(192 * 1024)
        .build()
        .unwrap();
    let released = rt.block_on(|| {
        let before = lazy_free_bytes();
        let handles: Vec<_> = (0..N)
            .map(|_| spawn(touch_stack::<{ 32 * 1024 }>))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 1);
        }
        // 1000 stacks with 32 KiB touched each: 32 MiB, released after one
        // to two periods of the scavenger.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let released = lazy_free_bytes().saturating_sub(before);
            if released >= 16 << 20 || std::time::Instant::now() > deadline {
                return released;
            }
            gort_runtime::time::sleep(std::time::Duration::from_millis(50));
        }
    });
    assert!(
        released >= 16 << 20,
        "only {released} bytes of idle stacks released after 10 s"
    );
}

/// Dropping a runtime stops its sysmon, the scavenger with it, so the drop
/// releases the warm stacks itself instead of holding the last burst's
/// stacks for good.
#[test]
fn dropping_a_runtime_releases_warm_stacks() {
    const N: usize = 500;
    let _w = watchdog::start("dropping_a_runtime_releases_warm_stacks", watchdog::LIMIT);
    // A stack size of its own, so that no other test reuses these stacks.
    let rt = Runtime::builder()
        .procs(2)
        .stack_size(160 * 1024)
        .build()
        .unwrap();
    rt.block_on(|| {
        let handles: Vec<_> = (0..N)
            .map(|_| spawn(touch_stack::<{ 32 * 1024 }>))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 1);
        }
    });
    let before = lazy_free_bytes();
    drop(rt);
    // 500 stacks with 32 KiB touched each: 16 MiB.
    let released = lazy_free_bytes().saturating_sub(before);
    assert!(
        released >= 8 << 20,
        "dropping the runtime released only {released} bytes of stacks"
    );
}
