//! gort: Go's network runtime, rebuilt in Rust.
//!
//! Write blocking code in goroutines; the runtime parks the goroutine, not the
//! thread, exactly as Go does. This facade is the crate users import: it
//! starts the scheduler with the epoll netpoller installed and re-exports
//! the runtime, Go's `net` package ([`net`]) and timers ([`time`]), so that
//! user code never names the inner crates.
//!
//! An echo server in Go's shape, one goroutine per connection, with a client
//! talking to it:
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//!
//! gort::run(|| {
//!     let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
//!     let addr = ln.addr().to_string();
//!     gort::go!(loop {
//!         let Ok(conn) = ln.accept() else { return };
//!         gort::go!(serve(conn));
//!     });
//!
//!     let conn = gort::net::dial("tcp", &addr).unwrap();
//!     conn.write_all(b"hello, gort\n").unwrap();
//!     let mut reply = String::new();
//!     BufReader::new(&conn).read_line(&mut reply).unwrap();
//!     assert_eq!(reply, "hello, gort\n");
//! });
//!
//! fn serve(conn: Box<dyn gort::net::Conn>) {
//!     // Plain blocking std::io code: each read parks this goroutine on the
//!     // netpoller, not the thread.
//!     let mut lines = BufReader::new(&conn);
//!     let mut line = String::new();
//!     while lines.read_line(&mut line).unwrap_or(0) > 0 {
//!         if conn.write_all(line.as_bytes()).is_err() {
//!             return;
//!         }
//!         line.clear();
//!     }
//! }
//! ```
//!
//! See the README for the rules of cooperative scheduling and the
//! limitations, and `examples/` for more programs.

pub use gort_runtime::{
    GoBuilder, Goexit, JoinHandle, Stats, blocking, can_park, go, goid, preempt_point, select,
    spawn, yield_now,
};
pub use gort_runtime::{WaitReason, parked};

use std::io;
use std::sync::Arc;

/// Go's `runtime/debug`: [`free_os_memory`](debug::free_os_memory) gives the
/// pages of free goroutine stacks back to the kernel now (as Go's
/// `debug.FreeOSMemory` does), rather than when the runtime's scavenger
/// finds them unused for a second or two.
pub mod debug {
    pub use gort_runtime::debug::*;
}

/// Go's `net` package: TCP, UDP and Unix sockets, addresses, the resolver
/// (all of gort-net). Blocking calls park the goroutine on the netpoller.
pub mod net {
    pub use gort_net::*;
}

/// Go's `net/http` and `net/url` (all of gort-http): an HTTP/1.1 server with
/// Go's `ServeMux` patterns, handlers run one goroutine per connection.
pub mod http {
    pub use gort_http::*;
}

/// Settings for a [`Runtime`] (GOMAXPROCS, stack size, tracing), which
/// always has gort-netpoll's netpoller installed.
///
/// ```
/// let rt = gort::Builder::new().procs(2).build().unwrap();
/// assert_eq!(rt.block_on(|| 6 * 7), 42);
/// ```
#[derive(Default)]
pub struct Builder {
    inner: gort_runtime::Builder,
}

impl Builder {
    /// Default settings: GOMAXPROCS from `GORT_MAXPROCS` or the CPU count,
    /// 256 KiB goroutine stacks, gort-netpoll's epoll poller.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The number of Ps (Go's GOMAXPROCS).
    pub fn procs(&mut self, n: usize) -> &mut Builder {
        self.inner.procs(n);
        self
    }

    /// The size of each goroutine's stack, in bytes.
    pub fn stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.inner.stack_size(bytes);
        self
    }

    /// Prints a `SCHED` line every `ms` milliseconds (Go's `schedtrace`).
    pub fn schedtrace(&mut self, ms: u64) -> &mut Builder {
        self.inner.schedtrace(ms);
        self
    }

    /// After how long a goroutine that holds its thread without parking is
    /// reported (100 ms by default; see
    /// [`gort_runtime::Builder::warn_blocked_after`]).
    pub fn warn_blocked_after(&mut self, d: std::time::Duration) -> &mut Builder {
        self.inner.warn_blocked_after(d);
        self
    }

    /// Starts the runtime.
    ///
    /// Like a Go program at start-up, this raises the process's soft limit
    /// on open files to the hard limit
    /// ([`gort_poll::raise_nofile_limit`]), so a server is not stopped at
    /// 1024 connections by a limit meant for `select(2)`.
    pub fn build(&self) -> io::Result<Runtime> {
        // A failure leaves the old limit, which is still a working one.
        let _ = gort_poll::raise_nofile_limit();
        let mut b = self.inner.clone();
        b.netpoll(Arc::new(gort_netpoll::Poller::new()?));
        Ok(Runtime(b.build()?))
    }
}

/// A running gort runtime (Ms, Ps, sysmon and the netpoller): see
/// [`gort_runtime::Runtime`], which it wraps with the netpoller installed.
pub struct Runtime(gort_runtime::Runtime);

impl Runtime {
    /// A [`Builder`] with default settings.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A runtime with default settings and the netpoller.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Runs `f` as a goroutine and blocks this thread until it returns.
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.0.block_on(f)
    }

    /// Starts `f` as a goroutine of this runtime.
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.0.spawn(f)
    }

    /// Scheduler counters.
    pub fn stats(&self) -> Stats {
        self.0.stats()
    }

    /// The inner runtime.
    pub fn inner(&self) -> &gort_runtime::Runtime {
        &self.0
    }

    /// The number of this runtime's goroutines parked with `reason` right
    /// now (see [`parked`]).
    pub fn parked(&self, reason: WaitReason) -> usize {
        self.0.parked(reason)
    }
}

/// Runs `f` as the main goroutine of a new runtime (with the netpoller) and
/// returns its result once it finishes (Go's `main`).
pub fn run<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Runtime::new()
        .expect("gort: failed to start the runtime")
        .block_on(f)
}

/// Go's `time` package, the parts that wait: sleeping without blocking the
/// thread, [`Timer`](time::Timer) and [`after`](time::after) for one event
/// on a channel, [`Ticker`](time::Ticker) and [`tick`](time::tick) for
/// periodic ones, and [`after_func`](time::after_func).
pub mod time {
    pub use gort_runtime::time::{AfterFunc, Ticker, Timer, after, after_func, sleep, tick};
}

/// Go's channels (`make(chan T, n)`): [`bounded`](chan::bounded) gives a
/// cloneable [`Sender`](chan::Sender) and [`Receiver`](chan::Receiver);
/// waiting parks the goroutine. Wait on several with [`select!`].
pub mod chan {
    pub use gort_runtime::chan::*;
}

/// Go's `sync` package: goroutine-aware `Mutex`, `RwLock`, `WaitGroup`,
/// `Once`, `Cond` and a counting `Semaphore`.
pub mod sync {
    pub use gort_runtime::sync::*;
}

/// Go's `context` package: cancellation, deadlines and values down a call
/// tree; `Dialer::dial_context` takes one.
pub mod context {
    pub use gort_runtime::context::*;
}

/// Go's `os/signal`: [`notify`](signal::notify) relays Unix signals to a
/// channel, so shutting down on `SIGINT`/`SIGTERM` is a `recv` (or a
/// [`select!`] case beside a timer); dropping the
/// [`Notify`](signal::Notify) gives the signals their old behaviour back.
/// See `examples/graceful_shutdown.rs`.
///
/// ```no_run
/// use gort::signal::{self, SIGINT, SIGTERM};
///
/// gort::run(|| {
///     let stop = signal::notify(&[SIGINT, SIGTERM]).unwrap();
///     // ... start serving in other goroutines ...
///     let sig = stop.c.recv().unwrap();
///     eprintln!("got {sig:?}, shutting down");
/// });
/// ```
pub mod signal {
    pub use gort_runtime::signal::*;
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
