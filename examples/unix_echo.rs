//! An echo server on a Unix domain stream socket: the same code as a TCP
//! server, with a file path (or a Linux abstract name) for an address.
//!
//! It shows `listen_unix` / `UnixConn` (Go's `net.ListenUnix`), the byte
//! stream they carry, and the socket file's life: listening creates it,
//! closing the listener removes it (Go's unlink-on-close).
//!
//! ```text
//! cargo run --release --example unix_echo -- [PATH] [N]
//! nc -U /tmp/gort_unix_echo.sock                        # type; lines come back
//! ```
//!
//! `PATH` defaults to `gort_unix_echo.sock` in the temporary directory
//! (`std::env::temp_dir()`); a name starting with `@` is in Linux's
//! abstract namespace and has no file (`nc -U @name` does not know it;
//! `socat - ABSTRACT-CONNECT:name` does). With `N` the server stops after
//! its N-th connection: it closes the listener (which removes the socket
//! file), waits for its clients to finish and exits; without, it runs until
//! killed. A socket file left behind by a killed server (nothing answers a
//! connect there) is removed at start; a path where a server still answers
//! is refused.
//!
//! It prints `listening on PATH`, then `connection #K` and
//! `closed #K: echoed B bytes` per client.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        let p = std::env::temp_dir().join("gort_unix_echo.sock");
        p.to_string_lossy().into_owned()
    });
    let limit = match args.next().map(|s| s.parse::<u64>()) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => {
            eprintln!("unix_echo: N must be a positive number of connections");
            return ExitCode::FAILURE;
        }
    };
    match gort::run(move || serve(&path, limit)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("unix_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Echoes on `path`, for `limit` connections or forever.
fn serve(path: &str, limit: Option<u64>) -> std::io::Result<()> {
    let addr = gort::net::resolve_unix_addr("unix", path)?;
    remove_stale(&addr)?;
    let ln = gort::net::listen_unix("unix", &addr)?;
    println!("listening on {}", ln.addr());
    let mut clients = Vec::new();
    let mut k = 0u64;
    while limit.is_none_or(|n| k < n) {
        let conn = match ln.accept() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        k += 1;
        println!("connection #{k}");
        clients.push(gort::spawn(move || {
            let (mut from, mut to) = (&conn, &conn);
            match std::io::copy(&mut from, &mut to) {
                Ok(n) => println!("closed #{k}: echoed {n} bytes"),
                Err(e) => eprintln!("#{k}: {e}"),
            }
        }));
        // Forget the clients that are done, so a long run does not grow.
        clients.retain(|c| !c.is_finished());
    }
    // Close the listener (this removes the socket file), then let the
    // clients still connected finish.
    ln.close()?;
    for c in clients {
        let _ = c.join();
    }
    if !path.starts_with('@') && !std::path::Path::new(path).exists() {
        println!("removed {path}");
    }
    Ok(())
}

/// Removes the socket file at `addr` if a server that died without
/// closing its listener left it there: a connect to it is refused. An
/// answered connect means a live server; that is an error.
fn remove_stale(addr: &gort::net::UnixAddr) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let path = std::path::Path::new(&addr.name);
    let is_socket = !addr.name.starts_with('@')
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    if !is_socket {
        return Ok(()); // nothing there, or not ours to touch: listen will say
    }
    match gort::net::dial_unix("unix", None, addr) {
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("{}: another server is listening there", addr.name),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path)?;
            eprintln!("unix_echo: removed stale socket {}", addr.name);
            Ok(())
        }
        Err(_) => Ok(()), // let listen report what is wrong
    }
}
