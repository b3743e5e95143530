//! The HTTP client that `cargo xtask bench --suite client` measures gort's
//! `http::Client` with: N goroutines, each GETting one URL over and over
//! on keep-alive connections for a fixed time, through one `Client` over a
//! `Transport` that keeps N idle connections per host (Go's
//! `MaxIdleConnsPerHost`), so every goroutine keeps its connection. Each
//! response body is read to its end, which hands the connection back. Its
//! twin is `benches/peers/go/httpclient` (Go's `http.Client`).
//!
//! ```text
//! cargo run --release --example bench_http_client -- --url URL [--conns N]
//!     [--duration SECS] [--warmup SECS] [--procs N]
//! ```
//!
//! Defaults: 64 goroutines, 1 s of warm-up (connections dialed, caches
//! warm; not counted), then 3 s measured; `--procs` sets GOMAXPROCS
//! (default: `GORT_MAXPROCS` or the CPU count). At the end it prints one
//! JSON line:
//!
//! ```text
//! {"client":"gort","conns":64,"requests":N,"seconds":S,"errors":E,"req_per_s":R,"cpu_us":C,"cpu_us_per_req":X}
//! ```
//!
//! `requests` are the 200 responses read whole within the measured window,
//! `errors` the failed requests and other statuses in it (the first error
//! is also printed on stderr), `cpu_us` this process's user + system CPU
//! time over the window, read from `/proc/self/stat` at its two ends.

use std::io;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gort::http::{Client, Request, Transport};

/// Settings from the command line.
struct Args {
    url: String,
    conns: usize,
    duration: f64,
    warmup: f64,
    procs: Option<usize>,
}

const USAGE: &str = "usage: bench_http_client --url URL [--conns N] [--duration SECS] \
                     [--warmup SECS] [--procs N]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: String::new(),
        conns: 64,
        duration: 3.0,
        warmup: 1.0,
        procs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        let secs = |flag: &str, v: String| match v.parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
            _ => Err(format!("invalid {flag} {v:?}")),
        };
        let count = |flag: &str, v: String| match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("invalid {flag} {v:?}")),
        };
        match a.as_str() {
            "--url" => args.url = value("--url")?,
            "--conns" => args.conns = count("--conns", value("--conns")?)?,
            "--duration" => args.duration = secs("--duration", value("--duration")?)?,
            "--warmup" => args.warmup = secs("--warmup", value("--warmup")?)?,
            "--procs" => args.procs = Some(count("--procs", value("--procs")?)?),
            s => return Err(format!("unknown argument {s:?}")),
        }
    }
    if args.url.is_empty() {
        return Err("--url is required".into());
    }
    if args.duration <= 0.0 {
        return Err("--duration must be above 0".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_http_client: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut b = gort::Builder::new();
    if let Some(n) = args.procs {
        b.procs(n);
    }
    let rt = match b.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_http_client: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(move || bench(args)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_http_client: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the workers count.
#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    errors: AtomicU64,
    /// The first error was printed.
    reported: AtomicBool,
    stop: AtomicBool,
}

/// Runs the workers through the warm-up and the measured window; the JSON
/// line.
fn bench(args: Args) -> io::Result<String> {
    // A URL the client cannot request fails here, not in every worker.
    Request::new("GET", &args.url, ())?;
    let transport = Arc::new(Transport {
        max_idle_conns_per_host: args.conns,
        ..Default::default()
    });
    let client = Client {
        transport: Some(transport),
        ..Default::default()
    };
    let counters = Arc::new(Counters::default());
    let url: Arc<str> = args.url.as_str().into();
    let workers: Vec<_> = (0..args.conns)
        .map(|_| {
            let (client, counters, url) = (client.clone(), counters.clone(), url.clone());
            gort::spawn(move || worker(&client, &counters, &url))
        })
        .collect();

    gort::time::sleep(Duration::from_secs_f64(args.warmup));
    let (n0, e0, cpu0, t0) = snapshot(&counters);
    gort::time::sleep(Duration::from_secs_f64(args.duration));
    let (n1, e1, cpu1, t1) = snapshot(&counters);
    counters.stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }

    let requests = n1 - n0;
    let seconds = (t1 - t0).as_secs_f64();
    let cpu_us = match (cpu0, cpu1) {
        (Some(a), Some(b)) => Some((b - a) as f64 * 1e6 / clock_ticks()),
        _ => None,
    };
    let per_req = |x: f64| {
        if requests > 0 {
            format!("{:.3}", x / requests as f64)
        } else {
            "null".into()
        }
    };
    Ok(format!(
        "{{\"client\":\"gort\",\"conns\":{},\"requests\":{requests},\"seconds\":{seconds:.3},\
         \"errors\":{},\"req_per_s\":{:.1},\"cpu_us\":{},\"cpu_us_per_req\":{}}}",
        args.conns,
        e1 - e0,
        requests as f64 / seconds,
        cpu_us.map_or("null".into(), |c| format!("{c:.0}")),
        cpu_us.map_or("null".into(), per_req),
    ))
}

/// One goroutine: GET, read the body to its end, count, again.
fn worker(client: &Client, c: &Counters, url: &str) {
    while !c.stop.load(Ordering::Relaxed) {
        let res = client.get(url).and_then(|mut resp| {
            io::copy(&mut resp.body, &mut io::sink())?;
            if resp.status_code == 200 {
                Ok(())
            } else {
                Err(io::Error::other(format!("GET {url}: {}", resp.status)))
            }
        });
        match res {
            Ok(()) => {
                c.requests.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                if !c.reported.swap(true, Ordering::Relaxed) {
                    eprintln!("bench_http_client: first error: {e}");
                }
            }
        }
    }
}

/// The counters, this process's CPU ticks and the time, together.
fn snapshot(c: &Counters) -> (u64, u64, Option<u64>, Instant) {
    (
        c.requests.load(Ordering::Relaxed),
        c.errors.load(Ordering::Relaxed),
        cpu_ticks(),
        Instant::now(),
    )
}

/// utime + stime of this process (every thread), in clock ticks.
fn cpu_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces;
    // after the last ')' come field 3 (state) on; utime and stime are 14, 15.
    let rest = &s[s.rfind(')')? + 1..];
    let mut it = rest.split_whitespace().skip(11);
    let utime: u64 = it.next()?.parse().ok()?;
    let stime: u64 = it.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second for `/proc` times.
fn clock_ticks() -> f64 {
    // SAFETY: sysconf reads a constant; no memory is passed.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}
