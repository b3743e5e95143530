//! Runs the example programs and talks to them over loopback, as a user
//! would: start the binary on port 0, read the address it prints, connect.
//!
//! `cargo test` builds the examples next to the test binaries
//! (`target/<profile>/examples/`), which is where these tests find them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The built example `name`.
fn example(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop(); // the test binary
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("examples").join(name)
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts an example with `args` and returns it with its stdout lines.
fn start(
    name: &str,
    args: &[&str],
) -> (
    Running,
    std::io::Lines<BufReader<std::process::ChildStdout>>,
) {
    let path = example(name);
    assert!(
        path.exists(),
        "{} not built (run through cargo test)",
        path.display()
    );
    let mut child = Command::new(path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap()).lines();
    (Running(child), out)
}

#[test]
fn echo_server_echoes_lines_and_reports_connections() {
    let (_server, mut out) = start("echo_server", &["127.0.0.1:0"]);
    let first = out.next().unwrap().unwrap();
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    let mut c = TcpStream::connect(&addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    for msg in ["hello", "gort", "a longer line with spaces"] {
        writeln!(c, "{msg}").unwrap();
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, format!("{msg}\n"));
    }
    let local = c.local_addr().unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let opened = out.next().unwrap().unwrap();
    assert_eq!(opened, format!("new connection: [{addr} --> {local}]"));
    let closed = out.next().unwrap().unwrap();
    let sent = "hello\ngort\na longer line with spaces\n".len();
    assert_eq!(
        closed,
        format!("closed: [{addr} --> {local}] read {sent} bytes, wrote {sent} bytes")
    );
}
