//! tokio's twin of gort's `examples/bench_micro.rs`: the micro figures
//! `cargo xtask bench` reports beside gort's and Go's.
//!
//! ```text
//! tokio_micro [--flavor mt|ct] [--quick] [--parked N] [--procs P]
//! ```
//!
//! `--flavor mt` (the default) is the multi-thread runtime with `--procs`
//! workers (default 2, as gort and Go run with two Ps); `ct` is the
//! current-thread runtime, where `--procs` is accepted and has no effect.
//! `--parked` is how many tasks the memory figure parks (default 100000);
//! `--quick` shortens every timed batch from about 0.3 s to about 0.05 s.
//! The only stdout line is one JSON object (`"runtime"` is `"tokio-mt"` or
//! `"tokio-ct"`):
//!
//! ```text
//! {"runtime":"tokio-mt","spawn_join_ns":F,"park_ready_ns":F,"chan_rt_ns":F,"parked":N,"kib_per_parked":F}
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
//!
//! Each time is the median of three batches, after a warm-up that also
//! sizes the batches. Bad flags print a message on stderr and exit with 2.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, oneshot};

/// How long to wait for the parked tasks to start before giving up.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Tasks parked and released once before the memory baseline is read, as
/// in the gort and Go twins.
const WARM_PARKED: usize = 256;

const USAGE: &str = "usage: tokio_micro [--flavor mt|ct] [--quick] [--parked N] [--procs P]";

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
    procs: usize,
}

/// What the program prints, as one JSON line.
struct Figures {
    spawn_join_ns: f64,
    park_ready_ns: f64,
    chan_rt_ns: f64,
    kib_per_parked: f64,
}

/// Parses `[--flavor mt|ct] [--quick] [--parked N] [--procs P]`.
fn parse_args() -> Result<Args, String> {
    let mut out = Args {
        flavor: Flavor::MultiThread,
        quick: false,
        parked: 100_000,
        procs: 2,
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
            "--procs" => out.procs = count("--procs", value("--procs")?)?,
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
    let parked = args.parked;
    let main_task = rt.spawn(async move {
        Ok::<_, String>(Figures {
            spawn_join_ns: ns_per_op(batch, spawn_join).await,
            park_ready_ns: ns_per_op(batch, park_ready).await,
            chan_rt_ns: ns_per_op(batch, chan_round_trip).await,
            kib_per_parked: kib_per_parked(parked).await?,
        })
    });
    let f = match rt.block_on(main_task) {
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
    let mut out = std::io::stdout().lock();
    let line = format!(
        "{{\"runtime\":\"{name}\",\"spawn_join_ns\":{:.1},\"park_ready_ns\":{:.1},\"chan_rt_ns\":{:.1},\"parked\":{parked},\"kib_per_parked\":{:.3}}}",
        f.spawn_join_ns, f.park_ready_ns, f.chan_rt_ns, f.kib_per_parked
    );
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
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
