//! The micro figures `cargo xtask bench` reports for gort beside Go's and
//! tokio's: what a spawn, a park/ready hand-off and a channel round trip
//! cost, how much memory a parked goroutine holds, and two patterns real
//! programs have: a burst of goroutines all live at once, and a fan-out /
//! fan-in through channels.
//!
//! ```text
//! cargo run --release --example bench_micro -- [--quick] [--parked N] [--burst N] [--procs P] [--only F,F..]
//! ```
//!
//! `--procs` sets GOMAXPROCS (default 2, the `-cpu 2` of the Go twins);
//! `--parked` is how many goroutines the memory figure parks (default
//! 100000); `--burst` how many goroutines each burst spawns (default
//! 100000; the xtask passes 20000 with its `--quick`); `--quick` shortens
//! every timed batch from about 0.3 s to about 0.05 s. `--only` runs some
//! of the figures, named `spawn_join`, `park_ready`, `chan_rt`, `parked`,
//! `fanout` and `burst` (default: all, in that order). The only stdout line
//! is one JSON object, with the fields of the figures that ran:
//!
//! ```text
//! {"runtime":"gort","spawn_join_ns":F,"park_ready_ns":F,"chan_rt_ns":F,"parked":N,"kib_per_parked":F,"fanout_ns":F,"burst":N,"burst_cold_ns":F,"burst_ns":F}
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
//! - `fanout_ns`: one job through a fan-out / fan-in, per job: a producer
//!   goroutine sends M = 100000 integers on a channel of capacity 1024 and
//!   closes it; 64 worker goroutines receive them and send each doubled on
//!   a results channel of capacity 1024; the main goroutine receives the M
//!   results and checks their sum. The time runs from making the channels
//!   to joining the producer and the workers.
//! - `burst_ns`, `burst_cold_ns`: per goroutine, a burst of N goroutines all
//!   live at once: each waits in `recv` on a gate channel, then returns its
//!   index; the spawner spawns all N, closes the gate, joins all N and
//!   checks the sum of what they returned. `burst_cold_ns` is the first
//!   burst of the process, `burst_ns` the median of the three after it.
//!   The first burst is the cold one a fresh server sees only when it runs
//!   first: run it alone (`--only burst`), as the xtask does, since every
//!   other figure spawns goroutines before it.
//!
//! Each of the first three times is the median of three batches, after a
//! warm-up that also sizes the batches; `fanout_ns` is the median of three
//! rounds after one warm-up round. Bad flags print a message on stderr and
//! exit with 2; a runtime failure (say, no memory for the stacks) exits
//! with 1.
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

/// The figures `--only` picks from, in the order they run.
const PARTS: [&str; 6] = [
    "spawn_join",
    "park_ready",
    "chan_rt",
    "parked",
    "fanout",
    "burst",
];

/// Settings from the command line.
struct Args {
    quick: bool,
    parked: usize,
    burst: usize,
    procs: usize,
    /// The figures to run, from [`PARTS`].
    only: Vec<&'static str>,
}

impl Args {
    fn wants(&self, part: &str) -> bool {
        self.only.contains(&part)
    }
}

/// The fan-out: jobs sent, worker goroutines, capacity of both channels.
const FANOUT_JOBS: u64 = 100_000;
const FANOUT_WORKERS: usize = 64;
const FANOUT_CAP: usize = 1024;

/// How long to wait for the parked goroutines to start before giving up.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Goroutines parked and released once before the memory baseline is read,
/// so that the channel's and the scheduler's first-use costs are not
/// charged to the measured goroutines.
const WARM_PARKED: usize = 256;

const USAGE: &str =
    "usage: bench_micro [--quick] [--parked N] [--burst N] [--procs P] [--only F,F..]";

/// Parses `[--quick] [--parked N] [--burst N] [--procs P] [--only F,F..]`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        quick: false,
        parked: 100_000,
        burst: 100_000,
        procs: 2,
        only: PARTS.to_vec(),
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
            "--burst" => out.burst = count("--burst")?,
            "--procs" => out.procs = count("--procs")?,
            "--only" => {
                let v = it.next().ok_or("--only needs a value")?;
                let names: Vec<&str> = v.split(',').collect();
                if let Some(bad) = names.iter().find(|n| !PARTS.contains(n)) {
                    return Err(format!(
                        "invalid --only {bad:?} (figures are {})",
                        PARTS.join(", ")
                    ));
                }
                // In PARTS order, whatever the order given.
                out.only = PARTS.into_iter().filter(|p| names.contains(p)).collect();
            }
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
    let figures = rt.block_on(move || figures(&args, batch));
    let fields = match figures {
        Ok(f) => f,
        Err(e) => {
            eprintln!("bench_micro: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut line = String::from("{\"runtime\":\"gort\"");
    for (k, v) in fields {
        line.push_str(&format!(",\"{k}\":{v}"));
    }
    line.push('}');
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Runs the figures `args` asks for, in [`PARTS`] order, and returns the
/// JSON fields: (name, value as written).
fn figures(args: &Args, batch: Duration) -> Result<Vec<(&'static str, String)>, String> {
    let mut f = Vec::new();
    if args.wants("spawn_join") {
        f.push(("spawn_join_ns", ns(ns_per_op(batch, spawn_join))));
    }
    if args.wants("park_ready") {
        f.push(("park_ready_ns", ns(ns_per_op(batch, park_ready))));
    }
    if args.wants("chan_rt") {
        f.push(("chan_rt_ns", ns(ns_per_op(batch, chan_round_trip))));
    }
    if args.wants("parked") {
        f.push(("parked", args.parked.to_string()));
        let kib = kib_per_parked(args.parked)?;
        f.push(("kib_per_parked", format!("{kib:.3}")));
    }
    if args.wants("fanout") {
        f.push(("fanout_ns", ns(median_of_3_after_1(fanout)?)));
    }
    if args.wants("burst") {
        f.push(("burst", args.burst.to_string()));
        let cold = burst(args.burst)?;
        f.push(("burst_cold_ns", ns(cold)));
        f.push(("burst_ns", ns(median_of_3(|| burst(args.burst))?)));
    }
    Ok(f)
}

/// A time in ns as the JSON line writes it.
fn ns(x: f64) -> String {
    format!("{x:.1}")
}

/// The median of three runs of `run`.
fn median_of_3(mut run: impl FnMut() -> Result<f64, String>) -> Result<f64, String> {
    let mut runs = [run()?, run()?, run()?];
    runs.sort_by(f64::total_cmp);
    Ok(runs[1])
}

/// The median of three runs of `run`, after one run not counted.
fn median_of_3_after_1(mut run: impl FnMut() -> Result<f64, String>) -> Result<f64, String> {
    run()?;
    median_of_3(run)
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

/// One fan-out / fan-in of [`FANOUT_JOBS`] jobs over [`FANOUT_WORKERS`]
/// workers (see the module doc); returns ns per job.
fn fanout() -> Result<f64, String> {
    let start = Instant::now();
    let (jobs_tx, jobs_rx) = gort::chan::bounded::<u64>(FANOUT_CAP);
    let (results_tx, results_rx) = gort::chan::bounded::<u64>(FANOUT_CAP);
    let mut workers = Vec::with_capacity(FANOUT_WORKERS);
    for _ in 0..FANOUT_WORKERS {
        let (jobs, results) = (jobs_rx.clone(), results_tx.clone());
        workers.push(gort::spawn(move || {
            while let Some(j) = jobs.recv() {
                if results.send(j * 2).is_err() {
                    return;
                }
            }
        }));
    }
    // Only the workers hold these now: the results channel closes when the
    // last worker returns.
    drop((jobs_rx, results_tx));
    let producer = gort::spawn(move || {
        for j in 0..FANOUT_JOBS {
            if jobs_tx.send(j).is_err() {
                return;
            }
        }
        jobs_tx.close();
    });
    let mut sum = 0u64;
    for _ in 0..FANOUT_JOBS {
        sum += results_rx
            .recv()
            .ok_or("fan-out: the results channel closed early")?;
    }
    producer.join().expect("the producer cannot panic");
    for w in workers {
        w.join().expect("a worker cannot panic");
    }
    let elapsed = start.elapsed();
    let want = FANOUT_JOBS * (FANOUT_JOBS - 1);
    if sum != want {
        return Err(format!("fan-out: results sum to {sum}, want {want}"));
    }
    Ok(elapsed.as_nanos() as f64 / FANOUT_JOBS as f64)
}

/// One burst of `n` goroutines (see the module doc); returns ns per
/// goroutine.
fn burst(n: usize) -> Result<f64, String> {
    let start = Instant::now();
    let (gate, gate_rx) = gort::chan::bounded::<()>(0);
    let mut handles = Vec::with_capacity(n);
    let mut failed = None;
    for i in 0..n {
        let gate_rx = gate_rx.clone();
        let spawned = gort::GoBuilder::new().spawn(move || {
            // None once the gate is closed: that is the start.
            let _ = gate_rx.recv();
            i as u64
        });
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                failed = Some(format!("burst: spawning goroutine {}: {e}", i + 1));
                break;
            }
        }
    }
    // Open the gate, on success and on failure, and join what was spawned.
    gate.close();
    let mut sum = 0u64;
    for h in handles {
        sum += h.join().expect("a burst goroutine cannot panic");
    }
    let elapsed = start.elapsed();
    if let Some(e) = failed {
        return Err(e);
    }
    let want = (n as u64) * (n as u64 - 1) / 2;
    if sum != want {
        return Err(format!(
            "burst: goroutines returned {sum} in all, want {want}"
        ));
    }
    Ok(elapsed.as_nanos() as f64 / n as f64)
}
