//! The micro figures `cargo xtask bench` reports for gort beside Go's and
//! tokio's: what a spawn, a park/ready hand-off and a channel round trip
//! cost, and how much memory a parked goroutine holds.
//!
//! ```text
//! cargo run --release --example bench_micro -- [--quick] [--parked N] [--procs P]
//! ```
//!
//! `--procs` sets GOMAXPROCS (default 2, the `-cpu 2` of the Go twins);
//! `--parked` is how many goroutines the memory figure parks (default
//! 100000); `--quick` shortens every timed batch from about 0.3 s to about
//! 0.05 s. The only stdout line is one JSON object:
//!
//! ```text
//! {"runtime":"gort","spawn_join_ns":F,"park_ready_ns":F,"chan_rt_ns":F,"parked":N,"kib_per_parked":F}
//! ```
//!
//! - `spawn_join_ns`: one goroutine that does nothing, spawned and joined
//!   from a goroutine, one after another (`CreateGoroutinesJoin` in
//!   `benches/runtime.rs`).
//! - `park_ready_ns`: one round trip (two hand-offs) of a token between two
//!   goroutines that park and ready each other through a raw
//!   [`ParkSlot`] per direction (`PingPong` there).
//! - `chan_rt_ns`: one round trip over two unbuffered channels: A sends on
//!   the first, B receives and sends on the second, A receives.
//! - `kib_per_parked`: the growth of VmRSS (`/proc/self/status`) while N
//!   goroutines wait in `recv` on one unbuffered channel, divided by N.
//!   They are released by closing the channel and joined before exit.
//!
//! Each time is the median of three batches, after a warm-up that also
//! sizes the batches. Bad flags print a message on stderr and exit with 2;
//! a runtime failure (say, no memory for the stacks) exits with 1.
//!
//! The twins are `benches/peers/go/micro` (Go) and `benches/peers/tokio_micro`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// The park/ready word under `join`, semaphores and the netpoller: a
// runtime hook, not gort's public API, named here because this figure
// measures it bare.
use gort_runtime::hooks::{ParkSlot, WaitReason};

/// Settings from the command line.
struct Args {
    quick: bool,
    parked: usize,
    procs: usize,
}

/// What the program prints, as one JSON line.
struct Figures {
    spawn_join_ns: f64,
    park_ready_ns: f64,
    chan_rt_ns: f64,
    parked: usize,
    kib_per_parked: f64,
}

/// How long to wait for the parked goroutines to start before giving up.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Goroutines parked and released once before the memory baseline is read,
/// so that the channel's and the scheduler's first-use costs are not
/// charged to the measured goroutines.
const WARM_PARKED: usize = 256;

const USAGE: &str = "usage: bench_micro [--quick] [--parked N] [--procs P]";

/// Parses `[--quick] [--parked N] [--procs P]`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        quick: false,
        parked: 100_000,
        procs: 2,
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut count = |flag: &str| -> Result<usize, String> {
            let v = it.next().ok_or(format!("{flag} needs a value"))?;
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "invalid {flag} {v:?} (want a positive whole number)"
                )),
            }
        };
        match a.as_str() {
            "--quick" => out.quick = true,
            "--parked" => out.parked = count("--parked")?,
            "--procs" => out.procs = count("--procs")?,
            s => return Err(format!("unknown argument {s:?}")),
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_micro: {e}");
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match gort::Builder::new().procs(args.procs).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_micro: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let batch = if args.quick {
        Duration::from_millis(50)
    } else {
        Duration::from_millis(300)
    };
    let parked = args.parked;
    let figures = rt.block_on(move || -> Result<Figures, String> {
        Ok(Figures {
            spawn_join_ns: ns_per_op(batch, spawn_join),
            park_ready_ns: ns_per_op(batch, park_ready),
            chan_rt_ns: ns_per_op(batch, chan_round_trip),
            parked,
            kib_per_parked: kib_per_parked(parked)?,
        })
    });
    let f = match figures {
        Ok(f) => f,
        Err(e) => {
            eprintln!("bench_micro: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let line = format!(
        "{{\"runtime\":\"gort\",\"spawn_join_ns\":{:.1},\"park_ready_ns\":{:.1},\"chan_rt_ns\":{:.1},\"parked\":{},\"kib_per_parked\":{:.3}}}",
        f.spawn_join_ns, f.park_ready_ns, f.chan_rt_ns, f.parked, f.kib_per_parked
    );
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The median ns per op of three runs of `run(iters)`, which does `iters`
/// ops and returns the time they took (criterion's `iter_custom`).
///
/// Warm-up doubles `iters` from 64 until one run takes at least an eighth
/// of `batch`; that run's rate then sizes the three timed runs to about
/// `batch` each.
fn ns_per_op(batch: Duration, mut run: impl FnMut(u64) -> Duration) -> f64 {
    let mut iters = 64u64;
    let mut took = run(iters);
    while took < batch / 8 && iters < 1 << 40 {
        iters *= 2;
        took = run(iters);
    }
    let per_op = took.as_nanos().max(1) as f64 / iters as f64;
    let n = ((batch.as_nanos() as f64 / per_op) as u64).max(1);
    let mut runs = [0.0; 3];
    for r in &mut runs {
        *r = run(n).as_nanos() as f64 / n as f64;
    }
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// `iters` times: spawn a goroutine that does nothing and join it.
fn spawn_join(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        gort::spawn(|| {})
            .join()
            .expect("an empty goroutine cannot panic");
    }
    start.elapsed()
}

/// A token's two directions between the pinger and the ponger.
#[derive(Default)]
struct Slots {
    ping: ParkSlot,
    pong: ParkSlot,
}

/// `iters` round trips of a token between this goroutine and a ponger,
/// each direction a [`ParkSlot`]: wake the other side (`goready`), then
/// park until it wakes us (`gopark`).
fn park_ready(iters: u64) -> Duration {
    let slots = Arc::new(Slots::default());
    let theirs = slots.clone();
    let ponger = gort::spawn(move || {
        for _ in 0..iters {
            theirs.ping.wait(WaitReason::Sync);
            theirs.pong.wake();
        }
    });
    let start = Instant::now();
    for _ in 0..iters {
        slots.ping.wake();
        slots.pong.wait(WaitReason::Sync);
    }
    let elapsed = start.elapsed();
    ponger.join().expect("the ponger cannot panic");
    elapsed
}

/// `iters` round trips over two unbuffered channels: this goroutine sends
/// on the first, an echo goroutine receives and sends it back on the
/// second, this goroutine receives.
fn chan_round_trip(iters: u64) -> Duration {
    let (tx1, rx1) = gort::chan::bounded::<u64>(0);
    let (tx2, rx2) = gort::chan::bounded::<u64>(0);
    let echo = gort::spawn(move || {
        for _ in 0..iters {
            let Some(v) = rx1.recv() else { return };
            if tx2.send(v).is_err() {
                return;
            }
        }
    });
    let start = Instant::now();
    for i in 0..iters {
        tx1.send(i).expect("the echo goroutine holds the receiver");
        rx2.recv().expect("the echo goroutine holds the sender");
    }
    let elapsed = start.elapsed();
    echo.join().expect("the echo goroutine cannot panic");
    elapsed
}

/// Parks `n` goroutines in `recv` on one unbuffered channel and returns the
/// growth of the process's RSS per goroutine, in KiB; then closes the
/// channel and joins them.
fn kib_per_parked(n: usize) -> Result<f64, String> {
    park_round(WARM_PARKED.min(n), || Ok(()))?;
    let before = vm_rss_kib()?;
    let after = park_round(n, vm_rss_kib)?;
    Ok((after as f64 - before as f64) / n as f64)
}

/// Spawns `n` goroutines that each count themselves and wait in `recv` on
/// one channel, waits until all have counted themselves, calls `probe`,
/// then closes the channel (waking them all) and joins them.
fn park_round<T>(n: usize, probe: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let (tx, rx) = gort::chan::bounded::<()>(0);
    let started = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::with_capacity(n);
    let mut failed = None;
    for _ in 0..n {
        let (rx, started) = (rx.clone(), started.clone());
        let spawned = gort::GoBuilder::new().spawn(move || {
            // Relaxed: a count only; nothing is published through it.
            started.fetch_add(1, Ordering::Relaxed);
            // None once the channel is closed: that is the release.
            let _ = rx.recv();
        });
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                failed = Some(format!("spawning goroutine {}: {e}", handles.len() + 1));
                break;
            }
        }
    }
    let result = match failed {
        Some(e) => Err(e),
        None => wait_started(&started, n).and_then(|()| probe()),
    };
    // Release and join whatever was spawned, on success and on failure.
    tx.close();
    for h in handles {
        h.join().expect("a parked goroutine cannot panic");
    }
    result
}

/// Waits until `started` reaches `n` (at most [`START_LIMIT`]), then a
/// little longer: a goroutine counts itself just before `recv`, with no
/// scheduling point in between, so the last ones to count (on another P)
/// are parked a few microseconds later.
fn wait_started(started: &AtomicUsize, n: usize) -> Result<(), String> {
    let deadline = Instant::now() + START_LIMIT;
    // Relaxed: see the increment; only the count is read.
    while started.load(Ordering::Relaxed) < n {
        if Instant::now() >= deadline {
            return Err(format!(
                "only {} of {n} goroutines started within {START_LIMIT:?}",
                started.load(Ordering::Relaxed)
            ));
        }
        gort::time::sleep(Duration::from_millis(1));
    }
    gort::time::sleep(Duration::from_millis(20));
    Ok(())
}

/// This process's resident set (`VmRSS` in `/proc/self/status`), in KiB.
fn vm_rss_kib() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("reading /proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| "no VmRSS line in /proc/self/status".to_string())
}
