//! The HTTP server that `cargo xtask bench` measures gort's `net/http`
//! with: `http::serve` over a `ServeMux`, with the server's defaults
//! (keep-alive, a `Date` header on every response), serving
//!
//! * `GET /plaintext`: 200, `Content-Type: text/plain`, body `Hello, World!`;
//! * `GET /json`: 200, `Content-Type: application/json`, body
//!   `{"message":"Hello, World!"}`, serialized with serde_json per request;
//!
//! and the mux's 404 and 405 replies otherwise. It is the code a user would
//! write, with no tuning; its twins are `benches/peers/go/http` (Go's
//! net/http) and `benches/peers/hyper_http` (tokio + hyper 1).
//!
//! ```text
//! cargo run --release --example bench_http -- [--addr ADDR | ADDR] [--procs N]
//! ```
//!
//! ADDR defaults to 127.0.0.1:0 (the kernel picks the port); `--procs`
//! sets GOMAXPROCS (default: `GORT_MAXPROCS` or the CPU count). The first
//! line on stdout is `listening on ADDR`; then it serves until killed and
//! prints nothing per request.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use gort::http::{self, Request, ResponseWriter, ServeMux};
use serde::Serialize;

/// The `/json` body.
#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// Settings from the command line.
struct Args {
    addr: String,
    procs: Option<usize>,
}

/// Parses `[--addr ADDR | ADDR] [--procs N]`.
fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:0".to_string(),
        procs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match a.as_str() {
            "--addr" => args.addr = value("--addr")?,
            "--procs" => {
                let v = value("--procs")?;
                match v.parse::<usize>() {
                    Ok(n) if n > 0 => args.procs = Some(n),
                    _ => return Err(format!("invalid --procs {v:?}")),
                }
            }
            s if s.starts_with('-') => return Err(format!("unknown flag {s:?}")),
            s => args.addr = s.to_string(),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_http: {e}");
            eprintln!("usage: bench_http [--addr HOST:PORT | HOST:PORT] [--procs N]");
            return ExitCode::FAILURE;
        }
    };
    let mut b = gort::Builder::new();
    if let Some(n) = args.procs {
        b.procs(n);
    }
    let rt = match b.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_http: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(move || serve(&args.addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_http: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Listens on `addr` and serves the two routes (Go's `http.Serve(l, mux)`).
fn serve(addr: &str) -> std::io::Result<()> {
    let mux = ServeMux::new();
    mux.handle_func(
        "GET /plaintext",
        |w: &mut dyn ResponseWriter, _r: &mut Request| {
            w.header().set("Content-Type", "text/plain");
            w.write_all(b"Hello, World!").unwrap();
        },
    );
    mux.handle_func(
        "GET /json",
        |w: &mut dyn ResponseWriter, _r: &mut Request| {
            w.header().set("Content-Type", "application/json");
            serde_json::to_writer(
                &mut *w,
                &Message {
                    message: "Hello, World!",
                },
            )
            .unwrap();
        },
    );
    let ln = gort::net::listen("tcp", addr)?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", ln.addr())?;
    out.flush()?;
    http::serve(ln, Some(Arc::new(mux)))
}
