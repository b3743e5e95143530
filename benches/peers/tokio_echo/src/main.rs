//! The tokio echo server that `cargo xtask bench` measures gort against:
//! a task per connection, a 4 KiB buffer, `read` then `write_all` of what
//! was read until end of file or an error, `TCP_NODELAY` on (as Go and gort
//! set it on every TCP connection).
//!
//! ```text
//! tokio_echo [--addr ADDR | ADDR] [--flavor mt|ct]
//! ```
//!
//! ADDR defaults to 127.0.0.1:0. `--flavor mt` (the default) is tokio's
//! multi-thread runtime with its default worker count (one per CPU);
//! `ct` is the current-thread runtime. The first stdout line is
//! `listening on ADDR`; then it serves until killed, printing nothing per
//! connection.

use std::io::Write;
use std::process::ExitCode;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which tokio runtime to serve on.
#[derive(Clone, Copy)]
enum Flavor {
    /// `Builder::new_multi_thread()`, default workers.
    MultiThread,
    /// `Builder::new_current_thread()`.
    CurrentThread,
}

/// Settings from the command line.
struct Args {
    addr: String,
    flavor: Flavor,
}

/// Parses `[--addr ADDR | ADDR] [--flavor mt|ct]`.
fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:0".to_string(),
        flavor: Flavor::MultiThread,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match a.as_str() {
            "--addr" => args.addr = value("--addr")?,
            "--flavor" => {
                args.flavor = match value("--flavor")?.as_str() {
                    "mt" => Flavor::MultiThread,
                    "ct" => Flavor::CurrentThread,
                    v => return Err(format!("invalid --flavor {v:?} (want mt or ct)")),
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
            eprintln!("tokio_echo: {e}");
            eprintln!("usage: tokio_echo [--addr HOST:PORT | HOST:PORT] [--flavor mt|ct]");
            return ExitCode::FAILURE;
        }
    };
    raise_nofile_limit();
    let mut b = match args.flavor {
        Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
    };
    let rt = match b.enable_io().enable_time().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio_echo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(&args.addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokio_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Raises the soft limit on open files to the hard limit, as Go's runtime
/// does for every Go program at start-up (see
/// https://github.com/golang/go/blob/go1.27/src/syscall/rlimit.go), so that
/// this server can hold as many connections as the hard limit allows (the soft
/// limit is often 1024). A failure is reported and otherwise ignored: the
/// program still works, with fewer descriptors.
fn raise_nofile_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        eprintln!(
            "tokio_echo: getrlimit(RLIMIT_NOFILE): {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit, read by setrlimit only.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            eprintln!(
                "tokio_echo: setrlimit(RLIMIT_NOFILE): {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Listens on `addr` and spawns a task per accepted connection.
async fn serve(addr: &str) -> std::io::Result<()> {
    let ln = TcpListener::bind(addr).await?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", ln.local_addr()?)?;
    out.flush()?;
    loop {
        match ln.accept().await {
            Ok((conn, _)) => {
                tokio::spawn(echo(conn));
            }
            // Out of descriptors, say: pause, then keep serving the others
            // (as Go's http.Server does after a temporary accept error).
            Err(e) => {
                eprintln!("tokio_echo: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
}

/// Writes back whatever arrives on `conn` until end of file or an error.
async fn echo(mut conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    let mut buf = [0u8; 4096];
    loop {
        let n = match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if conn.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
