//! Micro-benchmarks of gort's scheduler and timers, each shadowing a Go `Benchmark*`.
//!
//! Every benchmark id is the name of the Go benchmark it shadows, and its Go
//! twin, same shape, lives in `go/runtime_test.go` beside this file (run with
//! `-cpu 2`, i.e. GOMAXPROCS=2, as these run with two Ps unless noted). Three
//! twins copy a benchmark from Go's own tree: `PingPongHog` (runtime
//! `proc_test.go`), `StartStop1000` and `Reset/impl=func` (time
//! `sleep_test.go`). The other three are ours, written in the same style,
//! because Go has no benchmark of exactly that operation: `CreateGoroutinesJoin`,
//! `PingPong` and `Gosched`. `MutexUncontended`, `Mutex`, `MutexWork` and
//! `WaitGroupUncontended` shadow the sync benchmarks of those names
//! (`sync/mutex_test.go`, `sync/waitgroup_test.go`), over
//! `gort::sync`; their twins are written in the same shape. `ChanSync`,
//! `ChanProdCons10` and `SelectUncontended` shadow those of
//! runtime/chan_test.go over `gort::chan` and `gort::select!`, with twins
//! written in the same shape.
//!
//! Criterion's `b.iter` closure runs on the bench thread, not in a goroutine,
//! so each benchmark builds one [`gort::Runtime`] and times its loop inside
//! `block_on` with `iter_custom`: only the loop is on the clock, not entering
//! and leaving the runtime.
//!
//! Where the `PingPong` twins hand a token over an unbuffered channel, gort
//! uses a [`ParkSlot`] (the park/ready word under `join` and semaphores) per
//! direction; they predate gort's channels, which `ChanSync` measures.
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
use gort::sync::{Mutex, WaitGroup};
use gort::time::{AfterFunc, after_func};
// The park/ready word under `join` and semaphores: a runtime hook, not
// gort's public API, named here because `PingPong` measures it bare.
use gort_runtime::hooks::{ParkSlot, WaitReason};

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
    // Outside the closure: criterion calls it afresh for every batch of
    // iterations, and the grain must carry over from one batch to the next.
    let mut grain = Grain::default();
    g.bench_function("StartStop1000", |b| {
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
    // Outside the closure: criterion calls it afresh for every batch of
    // iterations, and the grain must carry over from one batch to the next.
    let mut grain = Grain::default();
    g.bench_function("Reset/impl=func", |b| {
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

/// Go's `PaddedMutex` in the uncontended benchmarks: a lock alone on its
/// cache lines, so the goroutines of `run_parallel` do not share one.
#[repr(align(128))]
#[derive(Default)]
struct Padded<T>(T);

/// Shadows Go's `BenchmarkMutexUncontended` (sync/mutex_test.go): each
/// goroutine of `RunParallel` locks and unlocks its own mutex per op.
///
/// Go ≈ 13.7 ns/op on this machine (go1.27, `-cpu 2`); goal ≤ 0.5× Go's.
fn mutex_uncontended(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    // Outside the closure: criterion calls it afresh for every batch of
    // iterations, and the grain must carry over from one batch to the next.
    let mut grain = Grain::default();
    g.bench_function("MutexUncontended", |b| {
        b.iter_custom(|iters| {
            let batch = grain.get();
            let elapsed = rt.block_on(move || {
                run_parallel(iters, batch, |pb| {
                    let mu = Padded(Mutex::new(()));
                    while pb.next() {
                        drop(mu.0.lock());
                    }
                })
            });
            grain.record(iters, elapsed);
            elapsed
        })
    });
}

/// The body of Go's `benchmarkMutex(b, slack=false, work)`: the goroutines
/// of `RunParallel` lock and unlock one shared mutex per op, and with
/// `work` then spin through 100 rounds of local arithmetic outside it.
fn mutex_shared(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, work: bool) {
    let rt = runtime(PROCS);
    // Outside the closure: criterion calls it afresh for every batch of
    // iterations, and the grain must carry over from one batch to the next.
    let mut grain = Grain::default();
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let batch = grain.get();
            let elapsed = rt.block_on(move || {
                let mu = Arc::new(Mutex::new(()));
                run_parallel(iters, batch, move |pb| {
                    let mut acc = 0u64;
                    while pb.next() {
                        drop(mu.lock());
                        if work {
                            for _ in 0..100 {
                                acc = black_box(acc * 2) / 2;
                            }
                        }
                    }
                    black_box(acc);
                })
            });
            grain.record(iters, elapsed);
            elapsed
        })
    });
}

/// Shadows Go's `BenchmarkMutex` (sync/mutex_test.go): one mutex shared by
/// the goroutines of `RunParallel`, locked and unlocked per op.
///
/// Go ≈ 12.8 ns/op on this machine (go1.27, `-cpu 2`); goal ≤ 0.5× Go's.
fn mutex(g: &mut BenchmarkGroup<'_, WallTime>) {
    mutex_shared(g, "Mutex", false);
}

/// Shadows Go's `BenchmarkMutexWork` (sync/mutex_test.go): as `Mutex`, with
/// a little local work after each unlock. No goal set.
fn mutex_work(g: &mut BenchmarkGroup<'_, WallTime>) {
    mutex_shared(g, "MutexWork", true);
}

/// Shadows Go's `BenchmarkWaitGroupUncontended` (sync/waitgroup_test.go):
/// each goroutine of `RunParallel` does `add(1)`, `done()`, `wait()` on its
/// own wait group per op.
///
/// Go ≈ 23 ns/op on this machine (go1.27, `-cpu 2`); goal ≤ 0.5× Go's.
fn wait_group_uncontended(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    // Outside the closure: criterion calls it afresh for every batch of
    // iterations, and the grain must carry over from one batch to the next.
    let mut grain = Grain::default();
    g.bench_function("WaitGroupUncontended", |b| {
        b.iter_custom(|iters| {
            let batch = grain.get();
            let elapsed = rt.block_on(move || {
                run_parallel(iters, batch, |pb| {
                    let wg = Padded(WaitGroup::new());
                    while pb.next() {
                        wg.0.add(1);
                        wg.0.done();
                        wg.0.wait();
                    }
                })
            });
            grain.record(iters, elapsed);
            elapsed
        })
    });
}

/// Go's `CallsPerSched` (runtime/chan_test.go): the ops a goroutine does per
/// claim on the shared count of batches in the channel benchmarks.
const CALLS_PER_SCHED: u64 = 1000;

/// `elapsed` for `done` ops, scaled to `iters` ops: the channel benchmarks run
/// whole batches of [`CALLS_PER_SCHED`], so they may do a few more than asked.
fn scaled(elapsed: Duration, done: u64, iters: u64) -> Duration {
    elapsed.mul_f64(iters as f64 / done as f64)
}

/// Shadows Go's `BenchmarkChanSync` (runtime/chan_test.go): two goroutines
/// meet over one unbuffered channel in batches of 1000 turns; by the parity
/// of the batch number it claims, a goroutine receives then sends, or sends
/// then receives. One op is one receive and one send by one of them.
///
/// Go ≈ 162 ns/op on this machine (go1.27, `-cpu 2`); goal ≤ 0.5× Go's.
fn chan_sync(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    g.bench_function("ChanSync", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                // An even number of batches, so the last two pair up.
                let batches = iters.div_ceil(CALLS_PER_SCHED).next_multiple_of(2);
                let left = Arc::new(std::sync::atomic::AtomicI64::new(batches as i64));
                let (tx, rx) = gort::chan::bounded::<u32>(0);
                let start = Instant::now();
                let workers: Vec<_> = (0..2)
                    .map(|_| {
                        let (left, tx, rx) = (left.clone(), tx.clone(), rx.clone());
                        gort::spawn(move || {
                            loop {
                                // Relaxed: a counter; the channel orders the rest.
                                let i = left.fetch_sub(1, Ordering::Relaxed) - 1;
                                if i < 0 {
                                    return;
                                }
                                for _ in 0..CALLS_PER_SCHED {
                                    if i % 2 == 0 {
                                        rx.recv().unwrap();
                                        tx.send(0).unwrap();
                                    } else {
                                        tx.send(0).unwrap();
                                        rx.recv().unwrap();
                                    }
                                }
                            }
                        })
                    })
                    .collect();
                for w in workers {
                    w.join().unwrap();
                }
                scaled(start.elapsed(), batches * CALLS_PER_SCHED, iters)
            })
        })
    });
}

/// Shadows Go's `BenchmarkChanProdCons10` (runtime/chan_test.go): a producer
/// and a consumer goroutine per P share one channel of capacity 10;
/// producers send batches of 1000 values while batches are left, then a 0
/// that stops one consumer. One op is one value sent and received.
///
/// Go ≈ 127 ns/op on this machine (go1.27, `-cpu 2`); goal ≤ 0.5× Go's.
fn chan_prod_cons10(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    g.bench_function("ChanProdCons10", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let batches = iters.div_ceil(CALLS_PER_SCHED);
                let left = Arc::new(std::sync::atomic::AtomicI64::new(batches as i64));
                let (tx, rx) = gort::chan::bounded::<u32>(10);
                let start = Instant::now();
                let mut workers = Vec::new();
                for _ in 0..PROCS {
                    let (left, tx) = (left.clone(), tx.clone());
                    workers.push(gort::spawn(move || {
                        // Relaxed: a counter; the channel orders the rest.
                        while left.fetch_sub(1, Ordering::Relaxed) > 0 {
                            for _ in 0..CALLS_PER_SCHED {
                                tx.send(1).unwrap();
                            }
                        }
                        tx.send(0).unwrap();
                    }));
                    let rx = rx.clone();
                    workers.push(gort::spawn(move || while rx.recv().unwrap() != 0 {}));
                }
                for w in workers {
                    w.join().unwrap();
                }
                scaled(start.elapsed(), batches * CALLS_PER_SCHED, iters)
            })
        })
    });
}

/// Shadows Go's `BenchmarkSelectUncontended` (runtime/chan_test.go): each
/// goroutine of `RunParallel` owns two channels of capacity 1 and passes
/// one token between them, one `select!` over both (and one send) per op.
///
/// Go ≈ 31 ns/op on this machine (go1.27, `-cpu 2`); goal ≤ 0.5× Go's.
fn select_uncontended(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = runtime(PROCS);
    // Outside the closure: criterion calls it afresh for every batch of
    // iterations, and the grain must carry over from one batch to the next.
    let mut grain = Grain::default();
    g.bench_function("SelectUncontended", |b| {
        b.iter_custom(|iters| {
            let batch = grain.get();
            let elapsed = rt.block_on(move || {
                run_parallel(iters, batch, |pb| {
                    let (tx1, rx1) = gort::chan::bounded::<u32>(1);
                    let (tx2, rx2) = gort::chan::bounded::<u32>(1);
                    tx1.send(0).unwrap();
                    while pb.next() {
                        gort::select! {
                            recv(rx1) -> _v => tx2.send(0).unwrap(),
                            recv(rx2) -> _v => tx1.send(0).unwrap(),
                        }
                    }
                })
            });
            grain.record(iters, elapsed);
            elapsed
        })
    });
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
    mutex_uncontended(&mut g);
    mutex(&mut g);
    mutex_work(&mut g);
    wait_group_uncontended(&mut g);
    chan_sync(&mut g);
    chan_prod_cons10(&mut g);
    select_uncontended(&mut g);
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
