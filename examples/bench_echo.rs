//! The echo server that `cargo xtask bench` measures gort with: one
//! goroutine per connection, a 4 KiB buffer, a plain blocking read followed
//! by a `write_all` of what was read, until end of file or an error. It is
//! the code a user would write, with no tuning, so the numbers are the ones
//! a user would get.
//!
//! ```text
//! cargo run --release --example bench_echo -- [--addr ADDR | ADDR] [--procs N]
//! ```
//!
//! ADDR defaults to 127.0.0.1:0 (the kernel picks the port); `--procs`
//! sets GOMAXPROCS (default: `GORT_MAXPROCS` or the CPU count). The first
//! line on stdout is `listening on ADDR`; then it serves until killed and
//! prints nothing per connection.

use std::io::Write;
use std::process::ExitCode;

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
            eprintln!("bench_echo: {e}");
            eprintln!("usage: bench_echo [--addr HOST:PORT | HOST:PORT] [--procs N]");
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
            eprintln!("bench_echo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(move || serve(&args.addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Listens on `addr` and starts a goroutine per accepted connection.
fn serve(addr: &str) -> std::io::Result<()> {
    let ln = gort::net::listen("tcp", addr)?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", ln.addr())?;
    out.flush()?;
    loop {
        match ln.accept() {
            Ok(conn) => {
                gort::go!(echo(conn));
            }
            // Running out of descriptors, say: the server goes on, as Go's
            // http.Server does after a temporary accept error.
            Err(e) => {
                eprintln!("bench_echo: accept: {e}");
                gort::time::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

/// Writes back whatever arrives on `conn` until end of file or an error.
fn echo(conn: Box<dyn gort::net::Conn>) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if conn.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = conn.close();
}
