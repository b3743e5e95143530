//! tokio's twin of gort's `examples/bench_micro.rs`: the micro figures
//! `cargo xtask bench` reports beside gort's and Go's.
//!
//! ```text
//! tokio_micro [--flavor mt|ct] [--quick] [--parked N] [--burst N] [--procs P] [--only F,F..]
//! ```
//!
//! `--flavor mt` (the default) is the multi-thread runtime with `--procs`
//! workers (default 2, as gort and Go run with two Ps); `ct` is the
//! current-thread runtime, where `--procs` is accepted and has no effect.
//! `--parked` is how many tasks the memory figure parks (default 100000);
//! `--burst` how many tasks each burst spawns (default 100000; the xtask
//! passes 20000 with its `--quick`); `--quick` shortens every timed batch
//! from about 0.3 s to about 0.05 s. `--only` runs some of the figures,
//! named `spawn_join`, `park_ready`, `chan_rt`, `parked`, `fanout` and
//! `burst` (default: all, in that order). The only stdout line is one JSON
//! object with the fields of the figures that ran (`"runtime"` is
//! `"tokio-mt"` or `"tokio-ct"`):
//!
//! ```text
//! {"runtime":"tokio-mt","spawn_join_ns":F,"park_ready_ns":F,"chan_rt_ns":F,"parked":N,"kib_per_parked":F,"fanout_ns":F,"burst":N,"burst_cold_ns":F,"burst_ns":F}
//! ```
//!
//! Everything runs inside a spawned task, the counterpart of a goroutine
//! (with the multi-thread flavor, `block_on`'s own future runs on the
//! calling thread, outside the workers).
//!
//! - `spawn_join_ns`: `tokio::spawn(async {}).await`, one after another.
//! - `park_ready_ns`: one round trip of a token between two tasks through
//!   a [`Notify`] per direction (`notify_one` leaves a permit when nobody
//!   waits, so no wake-up is lost): tokio's park/ready.
//! - `chan_rt_ns`: one round trip over two `mpsc::channel(1)`: A sends on
//!   the first, B receives and sends on the second, A receives.
//! - `kib_per_parked`: the growth of VmRSS (`/proc/self/status`) while N
//!   tasks each await a [`oneshot`] receiver, divided by N. They are
//!   released by dropping the senders and joined before exit.
//! - `fanout_ns`: one job through a fan-out / fan-in, per job: a producer
//!   task sends M = 100000 integers on an [`async_channel::bounded`] of
//!   capacity 1024 (tokio has no multi-consumer channel) and closes it; 64
//!   worker tasks receive them and send each doubled on a results
//!   `mpsc::channel(1024)`; the main task receives the M results and checks
//!   their sum. The time runs from making the channels to joining the
//!   producer and the workers.
//! - `burst_ns`, `burst_cold_ns`: per task, a burst of N tasks all live at
//!   once: each waits on a [`watch`] gate until it reads `true`, then
//!   returns its index; the spawner spawns all N, opens the gate, awaits
//!   all N `JoinHandle`s and checks the sum of what they returned.
//!   `burst_cold_ns` is the first burst of the process, `burst_ns` the
//!   median of the three after it. The first burst is the cold one a fresh
//!   server sees only when it runs first: run it alone (`--only burst`), as
//!   the xtask does, since every other figure spawns tasks before it.
//!
//! Each of the first three times is the median of three batches, after a
//! warm-up that also sizes the batches; `fanout_ns` is the median of three
//! rounds after one warm-up round. Bad flags print a message on stderr and
//! exit with 2.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, oneshot, watch};

/// How long to wait for the parked tasks to start before giving up.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Tasks parked and released once before the memory baseline is read, as
/// in the gort and Go twins.
const WARM_PARKED: usize = 256;

const USAGE: &str = "usage: tokio_micro [--flavor mt|ct] [--quick] [--parked N] [--burst N] \
                     [--procs P] [--only F,F..]";

/// The figures `--only` picks from, in the order they run.
const PARTS: [&str; 6] = [
    "spawn_join",
    "park_ready",
    "chan_rt",
    "parked",
    "fanout",
    "burst",
];

/// The fan-out: jobs sent, worker tasks, capacity of both channels.
const FANOUT_JOBS: u64 = 100_000;
const FANOUT_WORKERS: usize = 64;
const FANOUT_CAP: usize = 1024;

/// Which tokio runtime to measure.
#[derive(Clone, Copy)]
enum Flavor {
    /// `Builder::new_multi_thread()` with `--procs` workers.
    MultiThread,
    /// `Builder::new_current_thread()`.
    CurrentThread,
}

/// Settings from the command line.
struct Args {
    flavor: Flavor,
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

/// Parses `[--flavor mt|ct] [--quick] [--parked N] [--burst N] [--procs P]
/// [--only F,F..]`.
fn parse_args() -> Result<Args, String> {
    let mut out = Args {
        flavor: Flavor::MultiThread,
        quick: false,
        parked: 100_000,
        burst: 100_000,
        procs: 2,
        only: PARTS.to_vec(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        let count = |flag: &str, v: String| match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "invalid {flag} {v:?} (want a positive whole number)"
            )),
        };
        match a.as_str() {
            "--flavor" => {
                out.flavor = match value("--flavor")?.as_str() {
                    "mt" => Flavor::MultiThread,
                    "ct" => Flavor::CurrentThread,
                    v => return Err(format!("invalid --flavor {v:?} (want mt or ct)")),
                }
            }
            "--quick" => out.quick = true,
            "--parked" => out.parked = count("--parked", value("--parked")?)?,
            "--burst" => out.burst = count("--burst", value("--burst")?)?,
            "--procs" => out.procs = count("--procs", value("--procs")?)?,
            "--only" => {
                let v = value("--only")?;
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
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tokio_micro: {e}");
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (mut b, name) = match args.flavor {
        Flavor::MultiThread => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(args.procs);
            (b, "tokio-mt")
        }
        Flavor::CurrentThread => (tokio::runtime::Builder::new_current_thread(), "tokio-ct"),
    };
    let rt = match b.enable_time().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio_micro: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let batch = if args.quick {
        Duration::from_millis(50)
    } else {
        Duration::from_millis(300)
    };
    let main_task = rt.spawn(async move { figures(&args, batch).await });
    let fields = match rt.block_on(main_task) {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            eprintln!("tokio_micro: {e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("tokio_micro: the benchmark task failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut line = format!("{{\"runtime\":\"{name}\"");
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
async fn figures(args: &Args, batch: Duration) -> Result<Vec<(&'static str, String)>, String> {
    let mut f = Vec::new();
    if args.wants("spawn_join") {
        f.push(("spawn_join_ns", ns(ns_per_op(batch, spawn_join).await)));
    }
    if args.wants("park_ready") {
        f.push(("park_ready_ns", ns(ns_per_op(batch, park_ready).await)));
    }
    if args.wants("chan_rt") {
        f.push(("chan_rt_ns", ns(ns_per_op(batch, chan_round_trip).await)));
    }
    if args.wants("parked") {
        f.push(("parked", args.parked.to_string()));
        let kib = kib_per_parked(args.parked).await?;
        f.push(("kib_per_parked", format!("{kib:.3}")));
    }
    if args.wants("fanout") {
        fanout().await?; // warm-up
        let runs = [fanout().await?, fanout().await?, fanout().await?];
        f.push(("fanout_ns", ns(median(runs))));
    }
    if args.wants("burst") {
        let n = args.burst;
        f.push(("burst", n.to_string()));
        f.push(("burst_cold_ns", ns(burst(n).await?)));
        let runs = [burst(n).await?, burst(n).await?, burst(n).await?];
        f.push(("burst_ns", ns(median(runs))));
    }
    Ok(f)
}

/// A time in ns as the JSON line writes it.
fn ns(x: f64) -> String {
    format!("{x:.1}")
}

/// The median of three.
fn median(mut runs: [f64; 3]) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// The median ns per op of three runs of `run(iters)`, which does `iters`
/// ops and returns the time they took.
///
/// Warm-up doubles `iters` from 64 until one run takes at least an eighth
/// of `batch`; that run's rate then sizes the three timed runs to about
/// `batch` each.
async fn ns_per_op<F, Fut>(batch: Duration, mut run: F) -> f64
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Duration>,
{
    let mut iters = 64u64;
    let mut took = run(iters).await;
    while took < batch / 8 && iters < 1 << 40 {
        iters *= 2;
        took = run(iters).await;
    }
    let per_op = took.as_nanos().max(1) as f64 / iters as f64;
    let n = ((batch.as_nanos() as f64 / per_op) as u64).max(1);
    let mut runs = [0.0; 3];
    for r in &mut runs {
        *r = run(n).await.as_nanos() as f64 / n as f64;
    }
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// `iters` times: spawn a task that does nothing and await it.
async fn spawn_join(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        tokio::spawn(async {})
            .await
            .expect("an empty task cannot fail");
    }
    start.elapsed()
}

/// `iters` round trips of a token between this task and a ponger, each
/// direction a [`Notify`].
async fn park_ready(iters: u64) -> Duration {
    let ping = Arc::new(Notify::new());
    let pong = Arc::new(Notify::new());
    let ponger = {
        let (ping, pong) = (ping.clone(), pong.clone());
        tokio::spawn(async move {
            for _ in 0..iters {
                ping.notified().await;
                pong.notify_one();
            }
        })
    };
    let start = Instant::now();
    for _ in 0..iters {
        ping.notify_one();
        pong.notified().await;
    }
    let elapsed = start.elapsed();
    ponger.await.expect("the ponger cannot fail");
    elapsed
}

/// `iters` round trips over two `mpsc::channel(1)`: this task sends on the
/// first, an echo task receives and sends it back on the second, this task
/// receives.
async fn chan_round_trip(iters: u64) -> Duration {
    let (tx1, mut rx1) = mpsc::channel::<u64>(1);
    let (tx2, mut rx2) = mpsc::channel::<u64>(1);
    let echo = tokio::spawn(async move {
        for _ in 0..iters {
            let Some(v) = rx1.recv().await else { return };
            if tx2.send(v).await.is_err() {
                return;
            }
        }
    });
    let start = Instant::now();
    for i in 0..iters {
        tx1.send(i).await.expect("the echo task holds the receiver");
        rx2.recv().await.expect("the echo task holds the sender");
    }
    let elapsed = start.elapsed();
    echo.await.expect("the echo task cannot fail");
    elapsed
}

/// Parks `n` tasks on a oneshot receiver each and returns the growth of the
/// process's RSS per task, in KiB; then releases and joins them.
async fn kib_per_parked(n: usize) -> Result<f64, String> {
    park_round(WARM_PARKED.min(n), false).await?;
    let before = vm_rss_kib()?;
    let after = park_round(n, true).await?;
    Ok((after as f64 - before as f64) / n as f64)
}

/// Spawns `n` tasks that each count themselves and await a oneshot
/// receiver, waits until all have counted themselves, reads VmRSS if
/// `probe` (0 if not), then drops the senders (waking every task) and
/// joins them.
async fn park_round(n: usize, probe: bool) -> Result<u64, String> {
    let started = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::with_capacity(n);
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, rx) = oneshot::channel::<()>();
        let started = started.clone();
        senders.push(tx);
        handles.push(tokio::spawn(async move {
            // Relaxed: a count only; nothing is published through it.
            started.fetch_add(1, Ordering::Relaxed);
            // Err once the sender is dropped: that is the release.
            let _ = rx.await;
        }));
    }
    let result = match wait_started(&started, n).await {
        Ok(()) if probe => vm_rss_kib(),
        Ok(()) => Ok(0),
        Err(e) => Err(e),
    };
    drop(senders);
    for h in handles {
        h.await.expect("a parked task cannot fail");
    }
    result
}

/// Waits until `started` reaches `n` (at most [`START_LIMIT`]), then a
/// little longer: a task counts itself and registers its wait in the same
/// poll, so the last ones (on another worker) are parked a few
/// microseconds after their count shows.
async fn wait_started(started: &AtomicUsize, n: usize) -> Result<(), String> {
    let deadline = Instant::now() + START_LIMIT;
    // Relaxed: see the increment; only the count is read.
    while started.load(Ordering::Relaxed) < n {
        if Instant::now() >= deadline {
            return Err(format!(
                "only {} of {n} tasks started within {START_LIMIT:?}",
                started.load(Ordering::Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
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
async fn fanout() -> Result<f64, String> {
    let start = Instant::now();
    let (jobs_tx, jobs_rx) = async_channel::bounded::<u64>(FANOUT_CAP);
    let (results_tx, mut results_rx) = mpsc::channel::<u64>(FANOUT_CAP);
    let mut workers = Vec::with_capacity(FANOUT_WORKERS);
    for _ in 0..FANOUT_WORKERS {
        let (jobs, results) = (jobs_rx.clone(), results_tx.clone());
        workers.push(tokio::spawn(async move {
            while let Ok(j) = jobs.recv().await {
                if results.send(j * 2).await.is_err() {
                    return;
                }
            }
        }));
    }
    // Only the workers hold these now: the results channel closes when the
    // last worker returns.
    drop((jobs_rx, results_tx));
    let producer = tokio::spawn(async move {
        for j in 0..FANOUT_JOBS {
            if jobs_tx.send(j).await.is_err() {
                return;
            }
        }
        jobs_tx.close();
    });
    let mut sum = 0u64;
    for _ in 0..FANOUT_JOBS {
        sum += results_rx
            .recv()
            .await
            .ok_or("fan-out: the results channel closed early")?;
    }
    producer.await.expect("the producer cannot fail");
    for w in workers {
        w.await.expect("a worker cannot fail");
    }
    let elapsed = start.elapsed();
    let want = FANOUT_JOBS * (FANOUT_JOBS - 1);
    if sum != want {
        return Err(format!("fan-out: results sum to {sum}, want {want}"));
    }
    Ok(elapsed.as_nanos() as f64 / FANOUT_JOBS as f64)
}

/// One burst of `n` tasks (see the module doc); returns ns per task.
async fn burst(n: usize) -> Result<f64, String> {
    let start = Instant::now();
    let (gate, gate_rx) = watch::channel(false);
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let mut gate_rx = gate_rx.clone();
        handles.push(tokio::spawn(async move {
            // Err only if the gate's sender is gone, which it is not here.
            let _ = gate_rx.wait_for(|&open| open).await;
            i as u64
        }));
    }
    gate.send_replace(true);
    let mut sum = 0u64;
    for h in handles {
        sum += h.await.expect("a burst task cannot fail");
    }
    let elapsed = start.elapsed();
    let want = (n as u64) * (n as u64 - 1) / 2;
    if sum != want {
        return Err(format!("burst: tasks returned {sum} in all, want {want}"));
    }
    Ok(elapsed.as_nanos() as f64 / n as f64)
}
