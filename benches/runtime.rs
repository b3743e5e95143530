//! Micro-benchmarks of gort's scheduler and timers, each shadowing a Go `Benchmark*`.
//!
//! Every benchmark id is the name of the Go benchmark it shadows, and its Go
//! twin, same shape, lives in `go/runtime_test.go` beside this file (run with
//! `-cpu 2`, i.e. GOMAXPROCS=2, as these run with two Ps unless noted). Three
//! twins copy a benchmark from Go's own tree: `PingPongHog` (runtime
//! `proc_test.go`), `StartStop1000` and `Reset/impl=func` (time
//! `sleep_test.go`). The other three are ours, written in the same style,
//! because Go has no benchmark of exactly that operation: `CreateGoroutinesJoin`,
//! `PingPong` and `Gosched`.
//!
//! Criterion's `b.iter` closure runs on the bench thread, not in a goroutine,
//! so each benchmark builds one [`gort::Runtime`] and times its loop inside
//! `block_on` with `iter_custom`: only the loop is on the clock, not entering
//! and leaving the runtime.
//!
//! Channels do not exist yet, so where the Go twin hands a token over an
//! unbuffered channel, gort uses a [`ParkSlot`] (the park/ready word under
//! `join` and semaphores) per direction.
//!
//! The Go figures quoted beside each benchmark were measured on the 2-core
//! development machine (go1.27, `-cpu 2`); `cargo xtask bench-runtime` runs
//! both sides and prints them together. The settings are kept short (1 s
//! warm-up, 3 s measurement, 20 samples) so the file finishes in well under a
//! minute; criterion's `--warm-up-time` / `--measurement-time` override them.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use gort::Runtime;
use gort::runtime::{ParkSlot, WaitReason};
use gort::time::{AfterFunc, after_func};

/// Ps for every benchmark except `PingPongHog` (Go's `-cpu 2`).
const PROCS: usize = 2;

/// Go's `time.Hour`: long enough that no benchmark timer ever fires.
const HOUR: Duration = Duration::from_secs(3600);

/// A runtime with `procs` Ps (Go's GOMAXPROCS).
fn runtime(procs: usize) -> Runtime {
    Runtime::builder()
        .procs(procs)
        .build()
        .expect("gort: cannot build the benchmark runtime")
}

/// Shadows `BenchmarkCreateGoroutinesJoin` (ours): per op, start one goroutine
/// that returns a value, and join it.
///
/// Go ≈ 440 ns/op (`go func() { done <- struct{}{} }(); <-done`); goal ≤ 150 ns.
fn create_goroutines_join(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    g.bench_function("CreateGoroutinesJoin", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let start = Instant::now();
                for i in 0..iters {
                    black_box(gort::spawn(move || i).join().unwrap());
                }
                start.elapsed()
            })
        })
    });
}

/// A token's two directions, as the two unbuffered channels of the Go twins.
#[derive(Default)]
struct PingPongSlots {
    ping: ParkSlot,
    pong: ParkSlot,
}

/// Shadows `BenchmarkPingPong` (ours): two goroutines pass a token back and
/// forth; one op is one round trip (ping's wake → pong's wait returns → pong's
/// wake → ping's wait returns).
///
/// Go ≈ 318 ns/op (`pong <- <-ping` over two unbuffered channels); goal ≤ 150 ns.
fn ping_pong(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    g.bench_function("PingPong", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let slots = Arc::new(PingPongSlots::default());
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
                ponger.join().unwrap();
                elapsed
            })
        })
    });
}

/// Shadows Go's `BenchmarkPingPongHog` (runtime/proc_test.go) at one P: a
/// goroutine hogs the CPU while a pair ping-pongs beside it; one op is one
/// round trip, as in [`ping_pong`].
///
/// Go's hog is a bare `select { case <-stop: ...; default: }` loop that sysmon
/// preempts asynchronously. gort's scheduling is cooperative (nothing preempts
/// a goroutine that never enters the runtime), so our hog calls
/// [`gort::yield_now`] on every turn of its loop; without it the hog would
/// keep the only P and the pair would never run.
///
/// Go ≈ 600 ns/op on this machine (go1.27); no goal set.
fn ping_pong_hog(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(1);
    g.bench_function("PingPongHog", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                // Go's `stop` channel: closed by the ponger once it has done
                // its b.N round trips; the hog polls it and the timer stops
                // when it is closed.
                let stop = Arc::new(AtomicBool::new(false));
                let stopped = Arc::new(ParkSlot::new());
                let hog = {
                    let stop = stop.clone();
                    gort::spawn(move || {
                        // Relaxed: the flag publishes no data, it only ends the loop.
                        while !stop.load(Ordering::Relaxed) {
                            gort::yield_now();
                        }
                    })
                };
                let slots = Arc::new(PingPongSlots::default());
                let ponger = {
                    let (slots, stop, stopped) = (slots.clone(), stop.clone(), stopped.clone());
                    gort::spawn(move || {
                        for _ in 0..iters {
                            slots.ping.wait(WaitReason::Sync);
                            slots.pong.wake();
                        }
                        stop.store(true, Ordering::Relaxed); // close(stop)
                        stopped.wake();
                    })
                };
                let pinger = {
                    let slots = slots.clone();
                    gort::spawn(move || {
                        for _ in 0..iters {
                            slots.pong.wait(WaitReason::Sync);
                            slots.ping.wake();
                        }
                    })
                };
                let start = Instant::now();
                slots.ping.wake(); // start ping-pong
                stopped.wait(WaitReason::Sync); // <-stop
                let elapsed = start.elapsed();
                // The pinger's last wake stays pending in `ping` (Go lets the
                // last ponger exit with `<-ping`); the slots are dropped here.
                for h in [hog, ponger, pinger] {
                    h.join().unwrap();
                }
                elapsed
            })
        })
    });
}

/// Shadows `BenchmarkGosched` (ours): one goroutine yields its P per op
/// (Go's `runtime.Gosched`).
///
/// Go ≈ 90 ns/op; goal ≤ 45 ns.
fn gosched(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    g.bench_function("Gosched", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let start = Instant::now();
                for _ in 0..iters {
                    gort::yield_now();
                }
                start.elapsed()
            })
        })
    });
}

/// Go's `(*testing.PB)`: hands out a shared count of iterations to the
/// goroutines of [`run_parallel`] in batches of `grain`.
struct Pb<'a> {
    next: &'a AtomicU64,
    total: u64,
    grain: u64,
    cache: u64,
}

impl Pb<'_> {
    /// Go's `pb.Next`: whether the caller should run one more iteration.
    fn next(&mut self) -> bool {
        if self.cache == 0 {
            let n = self.next.fetch_add(self.grain, Ordering::Relaxed);
            if n >= self.total {
                return false;
            }
            self.cache = self.grain.min(self.total - n);
        }
        self.cache -= 1;
        true
    }
}

/// The batch size of Go's `RunParallel`: as many iterations as took about
/// 100 µs in the previous run of the same benchmark, within 1..=1e4 (1 on the
/// first run). Keep one per benchmark across its `iter_custom` calls and
/// [`record`](Self::record) each run in it.
#[derive(Default)]
struct Grain {
    /// Iterations and wall time of the previous run.
    prev: Option<(u64, Duration)>,
}

impl Grain {
    fn get(&self) -> u64 {
        match self.prev {
            Some((n, d)) if !d.is_zero() => {
                let grain = 100_000 * u128::from(n) / d.as_nanos();
                grain.clamp(1, 10_000) as u64
            }
            _ => 1,
        }
    }

    fn record(&mut self, iters: u64, elapsed: Duration) {
        self.prev = Some((iters, elapsed));
    }
}

/// Go's `b.RunParallel` from inside a goroutine: runs `body` in one goroutine
/// per P until `iters` iterations are done in all, handed out `grain` at a
/// time (see [`Grain`]), and returns the wall time.
fn run_parallel<F>(iters: u64, grain: u64, body: F) -> Duration
where
    F: Fn(&mut Pb<'_>) + Send + Sync + 'static,
{
    let next = Arc::new(AtomicU64::new(0));
    let body = Arc::new(body);
    let start = Instant::now();
    let workers: Vec<_> = (0..PROCS)
        .map(|_| {
            let (next, body) = (next.clone(), body.clone());
            gort::spawn(move || {
                body(&mut Pb {
                    next: &next,
                    total: iters,
                    grain,
                    cache: 0,
                })
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    start.elapsed()
}

/// The setup of Go's time benchmarks (`benchmark` in time/sleep_test.go):
/// 1<<15 garbage `AfterFunc(Hour, nil)` timers created from each P, so that
/// the heaps the measured timers go into are not empty. Stop them with
/// [`stop_garbage`] when done.
fn make_garbage(rt: &Runtime) -> Vec<AfterFunc> {
    rt.block_on(|| {
        let makers: Vec<_> = (0..PROCS)
            .map(|_| {
                gort::spawn(|| {
                    (0..1 << 15)
                        .map(|_| after_func(HOUR, || {}))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        makers.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

/// Stops the timers of [`make_garbage`], as Go's `benchmark` does at its end.
fn stop_garbage(rt: &Runtime, garbage: Vec<AfterFunc>) {
    rt.block_on(move || {
        for t in garbage {
            t.stop();
        }
    });
}

/// Shadows Go's `BenchmarkStartStop1000` (time/sleep_test.go): per op, arm
/// 1000 one-hour `after_func` timers and stop them all, from one goroutine per
/// P (`RunParallel`) over the garbage timers of [`make_garbage`]. One op is
/// 1000 timers.
///
/// Go ≈ 180 µs/op on this machine (go1.27); no goal set.
fn start_stop_1000(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    let garbage = make_garbage(&rt);
    g.bench_function("StartStop1000", |b| {
        let mut grain = Grain::default();
        b.iter_custom(|iters| {
            let batch = grain.get();
            let elapsed = rt.block_on(move || {
                run_parallel(iters, batch, |pb| {
                    const N: usize = 1000;
                    while pb.next() {
                        let timers: Vec<AfterFunc> =
                            (0..N).map(|_| after_func(HOUR, || {})).collect();
                        for t in &timers {
                            t.stop();
                        }
                    }
                })
            });
            grain.record(iters, elapsed);
            elapsed
        })
    });
    stop_garbage(&rt, garbage);
}

/// Shadows Go's `BenchmarkReset/impl=func` (time/sleep_test.go): each
/// goroutine of `RunParallel` resets its own one-hour `after_func` timer once
/// per op, over the garbage timers of [`make_garbage`].
///
/// Go ≈ 25 ns/op on this machine (go1.27); no goal set.
fn reset(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    let garbage = make_garbage(&rt);
    g.bench_function("Reset/impl=func", |b| {
        let mut grain = Grain::default();
        b.iter_custom(|iters| {
            let batch = grain.get();
            let elapsed = rt.block_on(move || {
                run_parallel(iters, batch, |pb| {
                    let t = after_func(HOUR, || {});
                    while pb.next() {
                        t.reset(HOUR);
                    }
                    t.stop();
                })
            });
            grain.record(iters, elapsed);
            elapsed
        })
    });
    stop_garbage(&rt, garbage);
}

/// The group "runtime": every benchmark above, in the order of the Go twins.
fn runtime_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("runtime");
    create_goroutines_join(&mut g);
    ping_pong(&mut g);
    ping_pong_hog(&mut g);
    gosched(&mut g);
    start_stop_1000(&mut g);
    reset(&mut g);
    g.finish();
}

/// What `criterion_group!` + `criterion_main!` expand to, written out so the
/// entry point carries docs. The short settings are set on `Criterion` rather
/// than on the group so that criterion's command-line flags
/// (`--warm-up-time`, `--measurement-time`, `--sample-size`) still override
/// them: group settings would win over the flags.
fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    runtime_benches(&mut c);
    c.final_summary();
}
