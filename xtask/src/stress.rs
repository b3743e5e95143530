//! `cargo xtask stress`: runs test binaries over and over, optionally with
//! every CPU kept busy, and reports each failure and hang with its test.
//!
//! 1. Build once: `cargo test --no-run --message-format=json` for the
//!    chosen packages and targets (default: the integration tests of
//!    gort-net, gort-poll, gort-netpoll and gort-runtime); the
//!    `compiler-artifact` messages name each test executable.
//! 2. List each binary's tests (`BINARY --list`, with the same filter).
//! 3. Run every binary `--runs` times, at most `--jobs` at once, each run in
//!    its own process group under `--timeout`. `--load` first starts one
//!    busy-loop process per CPU (this program again, in a hidden mode) and
//!    keeps them running until the end.
//! 4. Classify each run from libtest's output and exit status:
//!    * pass: exit status 0;
//!    * failure: the tests libtest printed as `FAILED`, or a death by a
//!      signal (then the tests that had not finished);
//!    * hang caught by a test's watchdog (`tests/support/watchdog.rs`):
//!      its `<name>: not done after ...` line names the test, and the
//!      watchdog has printed the threads and stacks on stderr;
//!    * hang caught here, at the timeout. libtest prints a test's line only
//!      when it finishes, so the tests still running are found from the
//!      process's threads: libtest names each test's thread after the test
//!      (`/proc/PID/task/*/comm`, cut to 15 bytes), and a listed test with
//!      no result line whose name starts with a thread's name had started.
//!      Then `gdb -p PID` prints every thread's stack (when gdb is
//!      installed), and the process group is killed.
//! 5. Keep, for every run that did not pass, its stdout, stderr and stacks
//!    in `target/stress/` and print the tail of stderr, where the
//!    scheduler's `SCHED` lines are when the run had
//!    `GORT_DEBUG=schedtrace=MS` (`--schedtrace MS` sets it and runs the
//!    tests with `--nocapture`, since libtest would otherwise hold a test's
//!    output until it ends).
//! 6. Print a table of runs, passes, failures and hangs per binary; the
//!    task fails if any run did not pass.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{show, target_dir, workspace_root};

pub(crate) const USAGE: &str = "
  stress [--runs N] [--jobs J] [--timeout SECS] [--load] [-p PKG].. [--test T]..
         [--filter S] [--schedtrace MS] [--release] [-- TEST-ARGS]
                            build the chosen test binaries once and run each N
                            times (default 10), J at a time (default 1), each
                            run killed after SECS (default 600); --load keeps
                            every CPU busy with spinning processes meanwhile.
                            Default: the integration tests of gort-net,
                            gort-poll, gort-netpoll and gort-runtime; -p and
                            --test choose packages and test targets; --filter
                            passes S to each binary (a libtest name filter);
                            --schedtrace sets GORT_DEBUG=schedtrace=MS and
                            --nocapture; TEST-ARGS go to every binary. Reports
                            each failure and hang with its tests (for a hang:
                            the tests still running, every thread's stack via
                            gdb, the tail of stderr), a table per binary, and
                            fails if any run failed or hung; the output of each
                            such run is kept in target/stress/";

/// The packages whose integration tests run when no `-p` is given.
const DEFAULT_PACKAGES: [&str; 4] = ["gort-net", "gort-poll", "gort-netpoll", "gort-runtime"];

/// How long gdb may take to print the stacks of a hung run.
const GDB_LIMIT: Duration = Duration::from_secs(120);

/// Lines of stderr shown for a run that did not pass.
const TAIL_LINES: usize = 30;

/// The hidden argument that turns this program into a busy loop (`--load`).
const BUSY_LOOP: &str = "--busy-loop";

/// What to run, from the command line.
#[derive(Debug, PartialEq)]
struct Options {
    runs: usize,
    jobs: usize,
    timeout: Duration,
    load: bool,
    packages: Vec<String>,
    tests: Vec<String>,
    filter: Option<String>,
    schedtrace: Option<u64>,
    release: bool,
    /// Passed to every test binary, after the filter.
    test_args: Vec<String>,
}

impl Options {
    fn parse(args: &[&str]) -> Result<Options, String> {
        let mut o = Options {
            runs: 10,
            jobs: 1,
            timeout: Duration::from_secs(600),
            load: false,
            packages: Vec::new(),
            tests: Vec::new(),
            filter: None,
            schedtrace: None,
            release: false,
            test_args: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(&a) = it.next() {
            let mut value = || {
                it.next()
                    .map(|v| (*v).to_owned())
                    .ok_or_else(|| format!("stress: {a} needs a value"))
            };
            let number = |v: String, min: u64| {
                v.parse::<u64>().ok().filter(|n| *n >= min).ok_or_else(|| {
                    format!("stress: bad {a} {v:?} (a whole number, at least {min})")
                })
            };
            match a {
                "--runs" => o.runs = number(value()?, 1)? as usize,
                "--jobs" | "-j" => o.jobs = number(value()?, 1)? as usize,
                "--timeout" => o.timeout = Duration::from_secs(number(value()?, 1)?),
                "--schedtrace" => o.schedtrace = Some(number(value()?, 1)?),
                "--load" => o.load = true,
                "--release" => o.release = true,
                "-p" | "--package" => o.packages.push(value()?),
                "--test" => o.tests.push(value()?),
                "--filter" => o.filter = Some(value()?),
                "--" => {
                    o.test_args = it.map(|s| (*s).to_owned()).collect();
                    break;
                }
                other => return Err(format!("stress: unknown argument {other:?}\n{USAGE}")),
            }
        }
        if o.packages.is_empty() {
            o.packages = DEFAULT_PACKAGES.iter().map(|p| (*p).to_owned()).collect();
        }
        Ok(o)
    }

    /// The arguments every run of a binary gets (and its `--list`).
    fn binary_args(&self) -> Vec<String> {
        let mut args: Vec<String> = self.filter.iter().cloned().collect();
        args.extend(self.test_args.iter().cloned());
        if self.wants_nocapture() && !args.iter().any(|a| a == "--nocapture") {
            args.push("--nocapture".into());
        }
        args
    }

    /// Whether SCHED lines may be printed: only with `--nocapture` do they
    /// reach stderr while a test still runs.
    fn wants_nocapture(&self) -> bool {
        self.schedtrace.is_some()
            || std::env::var("GORT_DEBUG").is_ok_and(|v| v.contains("schedtrace"))
    }
}

/// One test executable.
#[derive(Debug, Clone, PartialEq)]
struct Binary {
    /// `package/target`, e.g. `gort-net/splice`.
    name: String,
    exe: PathBuf,
    /// The package's directory, where `cargo test` runs it too.
    dir: PathBuf,
    /// Its tests, as `--list` names them (after the filter).
    tests: Vec<String>,
}

/// What one run did.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Pass,
    /// Tests that failed (empty if none was named), and why in a few words.
    Fail {
        tests: Vec<String>,
        why: String,
    },
    /// Still running at the timeout, or stopped by a test's watchdog.
    Hang {
        /// The tests that had started and not finished.
        running: Vec<String>,
        /// Tests not finished and not seen running (queued, or unknown).
        unfinished: usize,
        why: String,
    },
}

/// One finished run, with what the report needs.
struct Report {
    binary: usize,
    run: usize,
    loaded: bool,
    outcome: Outcome,
    elapsed: Duration,
    /// Extra lines for the report: stderr's tail, stack summaries, files.
    details: Vec<String>,
}

pub(crate) fn run(args: &[&str]) -> Result<(), String> {
    if args == [BUSY_LOOP] {
        busy_loop();
    }
    let opts = Options::parse(args)?;
    let root = workspace_root();
    let out_dir = target_dir(&root).join("stress");
    fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;

    let mut binaries = build(&root, &opts)?;
    for b in &mut binaries {
        b.tests = list_tests(b, &opts)?;
    }
    binaries.retain(|b| !b.tests.is_empty());
    if binaries.is_empty() {
        return Err("stress: no tests to run (check -p, --test and --filter)".into());
    }

    let load = if opts.load {
        Some(Load::start()?)
    } else {
        None
    };
    let loaded = load.as_ref().map_or(0, |l| l.procs.len());
    eprintln!(
        "== stress: {} binaries × {} runs, {} at a time, timeout {} s{}{}",
        binaries.len(),
        opts.runs,
        opts.jobs,
        opts.timeout.as_secs(),
        if loaded > 0 {
            format!(", {loaded} busy-loop processes")
        } else {
            String::new()
        },
        opts.schedtrace
            .map_or(String::new(), |ms| format!(", GORT_DEBUG=schedtrace={ms}")),
    );
    let started = Instant::now();
    let reports = run_all(&binaries, &opts, loaded > 0, &out_dir);
    drop(load);

    let summary = summary(&binaries, &reports, started.elapsed());
    println!("{summary}");
    let bad = reports
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .count();
    if bad > 0 {
        return Err(format!(
            "stress: {bad} of {} runs failed or hung (details above; output in {})",
            reports.len(),
            out_dir.display()
        ));
    }
    Ok(())
}

/// Builds the test binaries and returns them, tests not yet listed.
fn build(root: &Path, opts: &Options) -> Result<Vec<Binary>, String> {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(root).args([
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    for p in &opts.packages {
        cargo.args(["-p", p]);
    }
    if opts.tests.is_empty() {
        cargo.arg("--tests");
    }
    for t in &opts.tests {
        cargo.args(["--test", t]);
    }
    if opts.packages.iter().any(|p| p == "gort") {
        // gort's examples test runs the built examples.
        cargo.arg("--examples");
    }
    if opts.release {
        cargo.arg("--release");
    }
    eprintln!("== {}", show(&cargo));
    let out = cargo
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo test --no-run failed ({})", out.status));
    }
    let mut binaries: Vec<Binary> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(parse_artifact)
        .collect();
    binaries.sort_by(|a, b| a.name.cmp(&b.name));
    binaries.dedup_by(|a, b| a.name == b.name);
    Ok(binaries)
}

/// A test executable from one line of cargo's JSON output: integration
/// tests only (target kind `test`), not unit tests or examples.
fn parse_artifact(line: &str) -> Option<Binary> {
    let v: Value = serde_json::from_str(line).ok()?;
    if v.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let target = v.get("target")?;
    let kinds = target.get("kind")?.as_array()?;
    if kinds.len() != 1 || kinds[0].as_str()? != "test" {
        return None;
    }
    let exe = PathBuf::from(v.get("executable")?.as_str()?);
    let dir = Path::new(v.get("manifest_path")?.as_str()?)
        .parent()?
        .to_path_buf();
    let package = package_name(v.get("package_id")?.as_str()?)?;
    let name = format!("{package}/{}", target.get("name")?.as_str()?);
    Some(Binary {
        name,
        exe,
        dir,
        tests: Vec::new(),
    })
}

/// The package name in a cargo package id, in either of its forms:
/// `path+file:///w/crates/net#gort-net@0.1.0` (cargo ≥ 1.77) or
/// `gort-net 0.1.0 (path+file:///w/crates/net)`.
fn package_name(id: &str) -> Option<String> {
    if let Some((_, tail)) = id.rsplit_once('#') {
        // `#name@version`, or `#version` when the name is the path's last part.
        return match tail.split_once('@') {
            Some((name, _)) => Some(name.to_owned()),
            None => id.split('#').next()?.rsplit('/').next().map(str::to_owned),
        };
    }
    id.split_whitespace().next().map(str::to_owned)
}

/// The tests of a binary (`BINARY [FILTER] --list`).
fn list_tests(b: &Binary, opts: &Options) -> Result<Vec<String>, String> {
    let out = Command::new(&b.exe)
        .args(opts.binary_args())
        .arg("--list")
        .current_dir(&b.dir)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", b.exe.display()))?;
    if !out.status.success() {
        return Err(format!("{} --list failed ({})", b.name, out.status));
    }
    Ok(parse_list(&String::from_utf8_lossy(&out.stdout)))
}

/// Test names from libtest's `--list` output (`name: test` lines).
fn parse_list(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// A test's result as libtest prints it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Ok,
    Failed,
    Ignored,
}

/// What libtest's stdout says so far: each finished test with its status,
/// and the tests announced but not finished (libtest announces a test
/// before it ends only when it runs one at a time).
#[derive(Debug, Default, PartialEq)]
struct Progress {
    finished: BTreeMap<String, Status>,
    announced: Vec<String>,
}

/// Reads libtest's `test NAME ... ok|FAILED|ignored` lines. A test's own
/// output (with `--nocapture`) may share a line with them, so the pattern
/// is looked for anywhere in a line.
fn parse_progress<'a>(lines: impl IntoIterator<Item = &'a str>) -> Progress {
    let mut p = Progress::default();
    for line in lines {
        let Some(at) = line.find("test ") else {
            continue;
        };
        let rest = &line[at + 5..];
        let Some((name, result)) = rest.split_once(" ... ") else {
            // `test NAME ...` with nothing after: started, one at a time.
            if let Some(name) = rest.strip_suffix(" ...")
                && !name.contains(' ')
            {
                p.announced.push(name.to_owned());
            }
            continue;
        };
        if name.contains(' ') {
            continue;
        }
        let status = match result.split_whitespace().next() {
            Some("ok") => Status::Ok,
            Some("FAILED") => Status::Failed,
            Some("ignored" | "ignored,") => Status::Ignored,
            // The result has not been printed yet (one at a time), or this
            // is not libtest's line.
            None => {
                p.announced.push(name.to_owned());
                continue;
            }
            Some(_) => continue,
        };
        p.finished.insert(name.to_owned(), status);
    }
    p.announced.retain(|n| !p.finished.contains_key(n));
    p
}

/// The test and limit of a watchdog's report on stderr
/// (`<name>: not done after <limit>; failing`), if any.
fn watchdog_expiry<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<(String, String)> {
    lines.into_iter().find_map(|l| {
        let (name, rest) = l.split_once(": not done after ")?;
        let limit = rest.strip_suffix("; failing")?;
        Some((name.to_owned(), limit.to_owned()))
    })
}

/// The listed tests that had started and not finished: those with a
/// thread of their name (libtest names a test's thread after it, and the
/// kernel keeps the first 15 bytes), or announced as started.
fn running_tests(
    tests: &[String],
    progress: &Progress,
    thread_names: &[String],
) -> (Vec<String>, usize) {
    let unfinished: Vec<&String> = tests
        .iter()
        .filter(|t| !progress.finished.contains_key(*t))
        .collect();
    let running: Vec<String> = unfinished
        .iter()
        .filter(|t| {
            progress.announced.contains(t)
                || thread_names.iter().any(|n| {
                    !n.is_empty()
                        && t.as_bytes().starts_with(n.as_bytes())
                        && (n.len() >= 15 || n == **t)
                })
        })
        .map(|t| (*t).clone())
        .collect();
    let rest = unfinished.len() - running.len();
    (running, rest)
}

/// One line per thread from gdb's `thread apply all bt`: its name and its
/// innermost frames in gort's crates (or its innermost frame if none).
fn summarize_stacks(gdb: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut thread: Option<(String, Vec<String>, Option<String>)> = None;
    let flush = |t: Option<(String, Vec<String>, Option<String>)>, out: &mut Vec<String>| {
        if let Some((name, gort, first)) = t {
            let frames = if gort.is_empty() {
                first.unwrap_or_default()
            } else {
                gort.join(" ← ")
            };
            out.push(format!("{name}: {frames}"));
        }
    };
    for line in gdb.lines() {
        if line.starts_with("Thread ") && line.ends_with("):") {
            flush(thread.take(), &mut out);
            // Thread 3 (Thread 0x7f.. (LWP 123) "gort-m1"):
            let name = line
                .split('"')
                .nth(1)
                .map_or_else(|| line.to_owned(), str::to_owned);
            thread = Some((name, Vec::new(), None));
        } else if let Some((_, gort, first)) = thread.as_mut() {
            let Some(frame) = line.strip_prefix('#') else {
                continue;
            };
            // `#4  0x... in gort_runtime::proc::stopm (...) at ...` or
            // `#0  syscall () at ...`: the function is before " (".
            let func = frame
                .split_once(" in ")
                .map_or_else(|| frame.split_once("  ").map_or(frame, |f| f.1), |f| f.1);
            let func = func.split(" (").next().unwrap_or(func).trim();
            if first.is_none() {
                *first = Some(func.to_owned());
            }
            if func.starts_with("gort") && gort.len() < 3 {
                gort.push(func.to_owned());
            }
        }
    }
    flush(thread, &mut out);
    out
}

/// The names of a process's threads (`/proc/PID/task/*/comm`).
fn thread_names(pid: u32) -> Vec<String> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| fs::read_to_string(t.path().join("comm")).ok())
        .map(|s| s.trim_end().to_owned())
        .collect()
}

/// Runs every binary `opts.runs` times on `opts.jobs` workers; prints each
/// result as it comes and returns them all.
fn run_all(binaries: &[Binary], opts: &Options, loaded: bool, out_dir: &Path) -> Vec<Report> {
    // Run-major order: every binary's first run, then every second run...
    let queue: VecDeque<(usize, usize)> = (1..=opts.runs)
        .flat_map(|run| (0..binaries.len()).map(move |b| (b, run)))
        .collect();
    let total = queue.len();
    let queue = Mutex::new(queue);
    let (tx, rx) = mpsc::channel::<Report>();
    let args = opts.binary_args();
    let mut reports = Vec::with_capacity(total);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(total) {
            let tx = tx.clone();
            let (queue, args) = (&queue, &args);
            s.spawn(move || {
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .pop_front();
                    let Some((b, run)) = next else { break };
                    let r = run_once(&binaries[b], b, run, opts, args, loaded, out_dir);
                    if tx.send(r).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for r in rx {
            let b = &binaries[r.binary];
            let what = match &r.outcome {
                Outcome::Pass => "ok".to_owned(),
                Outcome::Fail { tests, why } => format!("FAILED ({why}) {}", tests.join(", ")),
                Outcome::Hang { running, why, .. } => {
                    format!("HUNG ({why}) {}", running.join(", "))
                }
            };
            eprintln!(
                "[{}/{total}] {} run {}{}: {what} ({:.1} s)",
                reports.len() + 1,
                b.name,
                r.run,
                if r.loaded { " (loaded)" } else { "" },
                r.elapsed.as_secs_f64()
            );
            for d in &r.details {
                eprintln!("    {d}");
            }
            reports.push(r);
        }
    });
    reports
}

/// Lines a child wrote so far, read by a helper thread.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn collect(r: impl Read + Send + 'static) -> (Lines, std::thread::JoinHandle<()>) {
        let lines = Lines::default();
        let sink = lines.clone();
        let h = std::thread::spawn(move || {
            let mut r = BufReader::new(r);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
                        sink.0
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(line);
                    }
                }
            }
        });
        (lines, h)
    }

    fn snapshot(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs binary `b` once and classifies the run.
fn run_once(
    b: &Binary,
    index: usize,
    run: usize,
    opts: &Options,
    args: &[String],
    loaded: bool,
    out_dir: &Path,
) -> Report {
    let mut cmd = Command::new(&b.exe);
    cmd.args(args)
        .current_dir(&b.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so a timeout kills the children it started too.
        .process_group(0);
    if let Some(ms) = opts.schedtrace {
        cmd.env("GORT_DEBUG", format!("schedtrace={ms}"));
    }
    // SAFETY: the hook runs in the forked child before exec and only calls
    // prctl(2), which is async-signal-safe and allocates nothing.
    unsafe { cmd.pre_exec(test_child_setup) };
    let start = Instant::now();
    let report = |outcome, details| Report {
        binary: index,
        run,
        loaded,
        outcome,
        elapsed: start.elapsed(),
        details,
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let why = format!("cannot start: {e}");
            return report(Outcome::Fail { tests: vec![], why }, vec![]);
        }
    };
    let (stdout, out_reader) = Lines::collect(child.stdout.take().expect("piped"));
    let (stderr, err_reader) = Lines::collect(child.stderr.take().expect("piped"));
    let status = wait_timeout(&mut child, opts.timeout);
    let base = out_dir.join(format!("{}.run{run}", b.name.replace('/', "-")));
    let mut details = Vec::new();

    let outcome = match status {
        Some(status) => {
            // Exited: its pipes close unless a child of its own keeps them.
            join_within(out_reader, Duration::from_secs(5));
            join_within(err_reader, Duration::from_secs(5));
            let (out, err) = (stdout.snapshot(), stderr.snapshot());
            let outcome = classify_exit(b, status, &out, &err);
            if outcome != Outcome::Pass {
                keep(&base, &out, &err, None, &mut details);
            }
            outcome
        }
        None => {
            // Hung: look before killing it.
            let pid = child.id();
            let progress = parse_progress(stdout.snapshot().iter().map(String::as_str));
            let (running, unfinished) = running_tests(&b.tests, &progress, &thread_names(pid));
            let stacks = gdb_stacks(pid);
            kill_group(&mut child);
            join_within(out_reader, Duration::from_secs(5));
            join_within(err_reader, Duration::from_secs(5));
            let (out, err) = (stdout.snapshot(), stderr.snapshot());
            if stacks.is_none() {
                details.push("no stacks (gdb is not installed or could not attach)".into());
            }
            keep(&base, &out, &err, stacks.as_deref(), &mut details);
            let why = format!("killed after {} s", opts.timeout.as_secs());
            Outcome::Hang {
                running,
                unfinished,
                why,
            }
        }
    };
    report(outcome, details)
}

/// Classifies a run that exited.
fn classify_exit(b: &Binary, status: ExitStatus, out: &[String], err: &[String]) -> Outcome {
    if status.success() {
        return Outcome::Pass;
    }
    let progress = parse_progress(out.iter().map(String::as_str));
    if let Some((name, limit)) = watchdog_expiry(err.iter().map(String::as_str)) {
        // The watchdog names the hung test; others may have been running.
        let (mut running, _) = running_tests(&b.tests, &progress, &[]);
        if !running.contains(&name) {
            running.insert(0, name);
        }
        let unfinished = b
            .tests
            .iter()
            .filter(|t| !progress.finished.contains_key(*t) && !running.contains(t))
            .count();
        return Outcome::Hang {
            running,
            unfinished,
            why: format!("watchdog, {limit}"),
        };
    }
    let failed: Vec<String> = progress
        .finished
        .iter()
        .filter(|(_, s)| **s == Status::Failed)
        .map(|(n, _)| n.clone())
        .collect();
    let why = match status.signal() {
        Some(sig) => format!("killed by signal {sig}"),
        None => format!("exit status {}", status.code().unwrap_or(-1)),
    };
    if failed.is_empty() {
        // Died mid-run: the tests without a result were running or queued.
        let unfinished: Vec<String> = b
            .tests
            .iter()
            .filter(|t| !progress.finished.contains_key(*t))
            .cloned()
            .collect();
        let why = format!("{why}; {} tests had no result", unfinished.len());
        return Outcome::Fail {
            tests: unfinished.into_iter().take(8).collect(),
            why,
        };
    }
    Outcome::Fail { tests: failed, why }
}

/// A watchdog's report (`tests/support/watchdog.rs`) split out of a run's
/// stderr: the lines before it, its list of threads, and the stacks gdb
/// printed after it.
#[derive(Debug, Default, PartialEq)]
struct Split<'a> {
    before: Vec<&'a str>,
    threads: Vec<&'a str>,
    stacks: Option<String>,
}

fn split_watchdog_report(err: &[String]) -> Split<'_> {
    let lines: Vec<&str> = err.iter().map(String::as_str).collect();
    let Some(at) = lines.iter().position(|l| watchdog_expiry([*l]).is_some()) else {
        return Split {
            before: lines,
            ..Split::default()
        };
    };
    let report = &lines[at + 1..];
    let threads = report
        .iter()
        .skip_while(|l| !l.starts_with("threads ("))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .copied()
        .collect();
    let stacks = report
        .iter()
        .position(|l| l.starts_with("stacks (gdb"))
        .map(|from| {
            report[from + 1..]
                .iter()
                .take_while(|l| !l.ends_with(": failed by its watchdog"))
                .copied()
                .collect::<Vec<_>>()
                .join("\n")
        });
    Split {
        before: lines[..at].to_vec(),
        threads,
        stacks,
    }
}

/// Writes a run's output under `target/stress/` and adds to `details`:
/// every thread's innermost gort frames (from `gdb`, run here on a hang,
/// or printed by a test's watchdog), the watchdog's thread list, the last
/// SCHED lines and the tail of the rest of stderr.
fn keep(base: &Path, out: &[String], err: &[String], gdb: Option<&str>, details: &mut Vec<String>) {
    let mut files = Vec::new();
    let mut write = |ext: &str, text: String| {
        let path = PathBuf::from(format!("{}.{ext}", base.display()));
        if fs::write(&path, text).is_ok() {
            files.push(path.display().to_string());
        }
    };
    write("stdout", out.join("\n") + "\n");
    write("stderr", err.join("\n") + "\n");
    let split = split_watchdog_report(err);
    let stacks = gdb.map(str::to_owned).or(split.stacks);
    if let Some(s) = &stacks {
        write("gdb", s.clone());
        details.push("threads, innermost frames in gort's crates (all frames in .gdb):".into());
        details.extend(summarize_stacks(s).into_iter().map(|l| format!("  {l}")));
    }
    if !split.threads.is_empty() {
        details.push("the watchdog's thread list (id, name, state, system call):".into());
        details.extend(split.threads.iter().map(|l| format!("  {}", l.trim())));
    }
    let (sched, other): (Vec<&str>, Vec<&str>) =
        split.before.iter().partition(|l| l.starts_with("SCHED "));
    if !sched.is_empty() {
        details.push(format!("last SCHED lines ({} in all):", sched.len()));
        let from = sched.len().saturating_sub(6);
        details.extend(sched[from..].iter().map(|l| format!("  {l}")));
    }
    if !other.is_empty() {
        let from = other.len().saturating_sub(TAIL_LINES);
        details.push(format!("stderr, last {} lines:", other.len() - from));
        details.extend(other[from..].iter().map(|l| format!("  {l}")));
    }
    details.push(format!("kept: {}", files.join(", ")));
}

/// Waits for `child` at most `limit`; `None` if it is still running.
fn wait_timeout(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(st)) => return Some(st),
            Ok(None) if Instant::now() >= deadline => return None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("waiting for a test binary: {e}"),
        }
    }
}

/// Joins a reader thread, giving up after `limit` (a grandchild may hold
/// the pipe open).
fn join_within(h: std::thread::JoinHandle<()>, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !h.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if h.is_finished() {
        let _ = h.join();
    }
}

/// Every thread's stack, from `gdb -p PID` (None without gdb).
fn gdb_stacks(pid: u32) -> Option<String> {
    let mut gdb = Command::new("gdb")
        .args(["-p", &pid.to_string(), "-batch", "-nx", "-q"])
        .args([
            "-ex",
            "set pagination off",
            "-ex",
            "set print frame-arguments none",
        ])
        .args(["-ex", "thread apply all bt"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let (out, reader) = Lines::collect(gdb.stdout.take().expect("piped"));
    if wait_timeout(&mut gdb, GDB_LIMIT).is_none() {
        let _ = gdb.kill();
        let _ = gdb.wait();
    }
    join_within(reader, Duration::from_secs(5));
    let text = out.snapshot().join("\n");
    text.contains("Thread ").then_some(text)
}

/// Kills the child's process group (the child and what it started).
fn kill_group(child: &mut Child) {
    let pgid = child.id() as libc::pid_t;
    // SAFETY: kill(2) with a negative pid signals that process group; the
    // group is the child's own (process_group(0)), and the child is not
    // reaped yet, so its id cannot have been reused.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let _ = child.wait();
}

/// Runs in a forked child before exec: the child gets SIGKILL when the
/// thread that started it ends, so an interrupted `xtask stress` leaves no
/// test or busy loop behind (they are in their own process groups, out of
/// reach of the terminal's Ctrl-C).
fn die_with_parent() -> std::io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no
    // memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// [`die_with_parent`], and any process may attach a debugger to the test:
/// where Yama's `ptrace_scope` is 1 only ancestors may, and neither our gdb
/// (a sibling) nor a watchdog's (the test's own child) is one. Kernels
/// without Yama refuse the request, which changes nothing.
fn test_child_setup() -> std::io::Result<()> {
    die_with_parent()?;
    // SAFETY: prctl(PR_SET_PTRACER) takes a pid (here "any") and touches no
    // memory of ours; it survives exec.
    let _ = unsafe { libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY) };
    Ok(())
}

/// The `--load` processes, killed on drop.
struct Load {
    procs: Vec<Child>,
}

impl Load {
    /// One spinning process per CPU.
    fn start() -> Result<Load, String> {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut procs = Vec::with_capacity(n);
        for _ in 0..n {
            let mut cmd = Command::new(&exe);
            cmd.args(["stress", BUSY_LOOP]).stdin(Stdio::null());
            // SAFETY: only prctl(2), async-signal-safe, between fork and exec.
            unsafe { cmd.pre_exec(die_with_parent) };
            procs.push(
                cmd.spawn()
                    .map_err(|e| format!("cannot start a busy loop: {e}"))?,
            );
        }
        Ok(Load { procs })
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// Spins forever (killed by `Load`'s drop, or with its parent).
fn busy_loop() -> ! {
    let mut x: u64 = 1;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

/// The table of runs per binary, then one line per failure or hang.
fn summary(binaries: &[Binary], reports: &[Report], elapsed: Duration) -> String {
    let mut s = String::new();
    let width = binaries
        .iter()
        .map(|b| b.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(s, "\n{:<width$}  runs  pass  fail  hang", "binary");
    let mut totals = [0usize; 4];
    for (i, b) in binaries.iter().enumerate() {
        let mine: Vec<&Report> = reports.iter().filter(|r| r.binary == i).collect();
        let count = |f: fn(&Outcome) -> bool| mine.iter().filter(|r| f(&r.outcome)).count();
        let row = [
            mine.len(),
            count(|o| *o == Outcome::Pass),
            count(|o| matches!(o, Outcome::Fail { .. })),
            count(|o| matches!(o, Outcome::Hang { .. })),
        ];
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        let _ = writeln!(
            s,
            "{:<width$}  {:>4}  {:>4}  {:>4}  {:>4}",
            b.name, row[0], row[1], row[2], row[3]
        );
    }
    let _ = writeln!(
        s,
        "{:<width$}  {:>4}  {:>4}  {:>4}  {:>4}",
        "total", totals[0], totals[1], totals[2], totals[3]
    );
    let mut problems: Vec<&Report> = reports
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .collect();
    problems.sort_by_key(|r| (r.binary, r.run));
    for r in problems {
        let b = &binaries[r.binary];
        let load = if r.loaded { ", loaded" } else { "" };
        let _ = match &r.outcome {
            Outcome::Pass => Ok(()),
            Outcome::Fail { tests, why } => writeln!(
                s,
                "FAILED {} run {}{load} ({why}): {}",
                b.name,
                r.run,
                tests.join(", ")
            ),
            Outcome::Hang {
                running,
                unfinished,
                why,
            } => writeln!(
                s,
                "HUNG   {} run {}{load} ({why}): running {}; {unfinished} more without a result",
                b.name,
                r.run,
                if running.is_empty() {
                    "no test (all had finished, or none had started)".to_owned()
                } else {
                    running.join(", ")
                }
            ),
        };
    }
    let _ = write!(
        s,
        "{} runs in {:.0} s",
        reports.len(),
        elapsed.as_secs_f64()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(args)
    }

    #[test]
    fn defaults_are_the_four_crates_ten_runs_one_job() {
        let o = parse(&[]).unwrap();
        assert_eq!(o.runs, 10);
        assert_eq!(o.jobs, 1);
        assert_eq!(o.timeout, Duration::from_secs(600));
        assert!(!o.load && !o.release);
        assert_eq!(o.packages, DEFAULT_PACKAGES);
        assert!(o.tests.is_empty() && o.filter.is_none() && o.test_args.is_empty());
    }

    #[test]
    fn every_flag_is_read() {
        let o = parse(&[
            "--runs",
            "500",
            "-j",
            "2",
            "--timeout",
            "90",
            "--load",
            "-p",
            "gort-net",
            "--test",
            "splice",
            "--test",
            "bad_input",
            "--filter",
            "read_from",
            "--schedtrace",
            "200",
            "--release",
            "--",
            "--test-threads=1",
            "--exact",
        ])
        .unwrap();
        assert_eq!(
            o,
            Options {
                runs: 500,
                jobs: 2,
                timeout: Duration::from_secs(90),
                load: true,
                packages: vec!["gort-net".into()],
                tests: vec!["splice".into(), "bad_input".into()],
                filter: Some("read_from".into()),
                schedtrace: Some(200),
                release: true,
                test_args: vec!["--test-threads=1".into(), "--exact".into()],
            }
        );
        assert_eq!(
            o.binary_args(),
            ["read_from", "--test-threads=1", "--exact", "--nocapture"]
        );
    }

    #[test]
    fn bad_arguments_are_refused_with_the_reason() {
        let err = |a: &[&str]| parse(a).unwrap_err();
        assert!(err(&["--runs"]).contains("--runs needs a value"));
        assert!(err(&["--runs", "0"]).contains("bad --runs \"0\""));
        assert!(err(&["--jobs", "x"]).contains("bad --jobs \"x\""));
        assert!(err(&["--timeout", "-1"]).contains("bad --timeout"));
        assert!(err(&["--frobnicate"]).contains("unknown argument \"--frobnicate\""));
    }

    #[test]
    fn artifacts_are_integration_tests_only() {
        let line = |kind: &str, exe: &str| {
            format!(
                r#"{{"reason":"compiler-artifact","package_id":"path+file:///w/crates/net#gort-net@0.1.0","manifest_path":"/w/crates/net/Cargo.toml","target":{{"kind":["{kind}"],"name":"splice"}},"profile":{{"test":true}},"executable":{exe}}}"#
            )
        };
        assert_eq!(
            parse_artifact(&line("test", r#""/w/target/debug/deps/splice-1234""#)),
            Some(Binary {
                name: "gort-net/splice".into(),
                exe: "/w/target/debug/deps/splice-1234".into(),
                dir: "/w/crates/net".into(),
                tests: vec![],
            })
        );
        assert_eq!(parse_artifact(&line("lib", r#""/w/t/gort_net-1""#)), None);
        assert_eq!(parse_artifact(&line("example", r#""/w/t/echo""#)), None);
        assert_eq!(parse_artifact(&line("test", "null")), None);
        assert_eq!(
            parse_artifact(r#"{"reason":"build-finished","success":true}"#),
            None
        );
        assert_eq!(parse_artifact("Compiling gort"), None);
    }

    #[test]
    fn package_names_from_both_id_forms() {
        let name = |id| package_name(id).unwrap();
        assert_eq!(name("path+file:///w/crates/net#gort-net@0.1.0"), "gort-net");
        assert_eq!(name("path+file:///w/crates/xtask#0.1.0"), "xtask");
        assert_eq!(
            name("gort-net 0.1.0 (path+file:///w/crates/net)"),
            "gort-net"
        );
    }

    #[test]
    fn list_output_gives_test_names() {
        let out = "a_test: test\nmod_a::b_test: test\nsome_bench: bench\n\n2 tests, 1 benchmark\n";
        assert_eq!(parse_list(out), ["a_test", "mod_a::b_test"]);
    }

    #[test]
    fn progress_reads_results_also_amid_test_output() {
        let out = [
            "",
            "running 5 tests",
            "test a ... ok",
            "some output from a testtest b ... FAILED",
            "test c ... ignored, slow",
            "test d ... ",
            "test result: FAILED. 1 passed; 1 failed; 1 ignored",
            "the test is fine ... yes",
        ];
        let p = parse_progress(out);
        assert_eq!(
            p.finished,
            BTreeMap::from([
                ("a".to_owned(), Status::Ok),
                ("b".to_owned(), Status::Failed),
                ("c".to_owned(), Status::Ignored),
            ])
        );
        assert_eq!(p.announced, ["d"]);
    }

    #[test]
    fn a_watchdog_report_names_the_test() {
        let err = [
            "thread 'x' panicked",
            "splice_honors_the_source_read_deadline: not done after 120s; failing",
            "threads (id, name, state, system call):",
        ];
        assert_eq!(
            watchdog_expiry(err),
            Some((
                "splice_honors_the_source_read_deadline".into(),
                "120s".into()
            ))
        );
        assert_eq!(watchdog_expiry(["not done after 1s"]), None);
    }

    #[test]
    fn running_tests_are_the_unfinished_ones_with_a_thread() {
        let tests: Vec<String> = [
            "read_from_file_falls_back_for_a_pipe",
            "read_from_unix_moves_16_mib_intact",
            "read_from_on_a_closed_conn_reads_like_go",
            "short",
            "queued_test",
        ]
        .map(String::from)
        .to_vec();
        let p = parse_progress(["test read_from_unix_moves_16_mib_intact ... ok"]);
        // 15-byte names as the kernel keeps them, plus the runtime's threads.
        let threads = [
            "read_from_file_",
            "read_from_on_a_",
            "short",
            "gort-m1",
            "gort-sysmon",
            "",
        ]
        .map(String::from);
        let (running, rest) = running_tests(&tests, &p, &threads);
        assert_eq!(
            running,
            [
                "read_from_file_falls_back_for_a_pipe",
                "read_from_on_a_closed_conn_reads_like_go",
                "short"
            ]
        );
        assert_eq!(rest, 1, "queued_test had not started");
        // A thread named exactly "short" is not a prefix match for "shorter".
        let (running, _) = running_tests(&["shorter".to_owned()], &Progress::default(), &threads);
        assert!(running.is_empty());
    }

    #[test]
    fn stacks_are_summarized_per_thread() {
        let gdb = r#"[New LWP 2]
Thread 2 (Thread 0x7f (LWP 2) "gort-m1"):
#0  syscall () at syscall.S:38
#1  0x1 in parking_lot_core::thread_parker::imp::ThreadParker::futex_wait (...) at linux.rs:112
#2  0x2 in gort_runtime::lock_futex::Note::sleep (...) at crates/runtime/src/lock_futex.rs:34
#3  0x3 in gort_runtime::proc::stopm (...) at crates/runtime/src/proc.rs:1103
#4  0x4 in gort_runtime::proc::find_runnable (...) at crates/runtime/src/proc.rs:786
#5  0x5 in gort_runtime::proc::schedule (...) at crates/runtime/src/proc.rs:141

Thread 1 (Thread 0x7e (LWP 1) "splice-4b8da11b"):
#0  0x6 in __futex_abstimed_wait_common64 (...) at futex-internal.c:57
#1  0x7 in std::thread::JoinInner::join (...) at lib.rs:1
"#;
        assert_eq!(
            summarize_stacks(gdb),
            [
                "gort-m1: gort_runtime::lock_futex::Note::sleep ← gort_runtime::proc::stopm ← gort_runtime::proc::find_runnable",
                "splice-4b8da11b: __futex_abstimed_wait_common64",
            ]
        );
    }

    #[test]
    fn an_exit_is_a_pass_a_failure_or_a_watchdog_hang() {
        let b = Binary {
            name: "gort-net/splice".into(),
            exe: "x".into(),
            dir: "y".into(),
            tests: ["a", "b", "c"].map(String::from).to_vec(),
        };
        let lines = |s: &[&str]| s.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
        let status = ExitStatus::from_raw;
        assert_eq!(classify_exit(&b, status(0), &[], &[]), Outcome::Pass);
        let out = lines(&["test a ... ok", "test b ... FAILED", "test c ... ok"]);
        assert_eq!(
            classify_exit(&b, status(101 << 8), &out, &[]),
            Outcome::Fail {
                tests: vec!["b".into()],
                why: "exit status 101".into()
            }
        );
        let err = lines(&["b: not done after 60s; failing"]);
        assert_eq!(
            classify_exit(&b, status(101 << 8), &lines(&["test a ... ok"]), &err),
            Outcome::Hang {
                running: vec!["b".into()],
                unfinished: 1,
                why: "watchdog, 60s".into()
            }
        );
        // Killed by SIGSEGV (11) after a passed: b and c had no result.
        assert_eq!(
            classify_exit(&b, status(11), &lines(&["test a ... ok"]), &[]),
            Outcome::Fail {
                tests: vec!["b".into(), "c".into()],
                why: "killed by signal 11; 2 tests had no result".into()
            }
        );
    }

    #[test]
    fn a_watchdog_report_is_split_from_the_output_before_it() {
        let err: Vec<String> = [
            "SCHED 200ms: gomaxprocs=2",
            "some output",
            "t: not done after 60s; failing",
            "threads (id, name, state, system call):",
            "  10 t               S futex",
            "  11 gort-m1          S epoll_wait",
            "(GORT_DEBUG=schedtrace=200 with --nocapture prints the scheduler's SCHED lines)",
            "stacks (gdb; GORT_WATCHDOG_GDB=0 skips this):",
            "Thread 2 (Thread 0x7f (LWP 11) \"gort-m1\"):",
            "#0  0x1 in gort_netpoll::netpoll::Poller::netpoll (...) at x.rs:1",
            "t: failed by its watchdog",
        ]
        .map(String::from)
        .to_vec();
        let split = split_watchdog_report(&err);
        assert_eq!(split.before, ["SCHED 200ms: gomaxprocs=2", "some output"]);
        assert_eq!(
            split.threads,
            [
                "  10 t               S futex",
                "  11 gort-m1          S epoll_wait"
            ]
        );
        let stacks = split.stacks.unwrap();
        assert_eq!(
            summarize_stacks(&stacks),
            ["gort-m1: gort_netpoll::netpoll::Poller::netpoll"]
        );
        // Without a report, everything is "before".
        let plain = split_watchdog_report(&err[..2]);
        assert_eq!(plain.before.len(), 2);
        assert!(plain.threads.is_empty() && plain.stacks.is_none());
    }
}
