//! Micro-benchmarks of [`FdMutex`], with Go twins in `go/fdmutex_test.go`.
//!
//! Go's src/internal/poll has no benchmark of `fdMutex` alone, so these are
//! ours:
//! * `RWLockUncontended`: one `rwlock(true)` / `rwunlock(true)` pair (the
//!   bracket around every `Read`) with nobody else on the mutex: two
//!   compare-and-swaps on the state word. Go offers no public path to it
//!   without a system call, so it has no Go twin.
//! * `IncrefDecref`: one `incref` / `decref` pair, the bracket of
//!   `RawConn::Control`; its Go twin calls `RawConn.Control` on an `*os.File`
//!   (run `go test -bench . -cpu 1` in `go/`).
//!
//! These never wait, so they run on the bench thread, with no runtime.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use gort_poll::FdMutex;

fn rwlock_uncontended(c: &mut Criterion) {
    let mu = FdMutex::new();
    c.bench_function("RWLockUncontended", |b| {
        b.iter(|| {
            let mu = black_box(&mu);
            assert!(mu.rwlock(true));
            assert!(!mu.rwunlock(true));
        })
    });
}

fn incref_decref(c: &mut Criterion) {
    let mu = FdMutex::new();
    c.bench_function("IncrefDecref", |b| {
        b.iter(|| {
            let mu = black_box(&mu);
            assert!(mu.incref());
            assert!(!mu.decref());
        })
    });
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    rwlock_uncontended(&mut c);
    incref_decref(&mut c);
    c.final_summary();
}
