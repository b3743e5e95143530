//! Runs `examples/dns_lookup.rs` against a real DNS server, dnsmasq
//! (Debian's `dnsmasq-base`; .ci/run installs it), through its `--server`
//! option. Skips with a note when dnsmasq is not installed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

#[path = "../../runtime/tests/support/dispositions.rs"]
mod dispositions;

#[path = "support/examples.rs"]
mod examples_support;
use examples_support::example;

/// dnsmasq on 127.0.0.1:port, killed on drop.
struct Dnsmasq(Child, u16);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_dnsmasq(zone: &[&str]) -> Option<Dnsmasq> {
    let bin = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    let Some(bin) = bin else {
        eprintln!("dnsmasq not installed (apt-get install dnsmasq-base): skipping");
        return None;
    };
    for _ in 0..20 {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        let child = Command::new(&bin)
            .args([
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--pid-file",
                &format!("--port={port}"),
            ])
            .args(zone)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dnsmasq");
        let mut d = Dnsmasq(child, port);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = d.0.try_wait() {
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(d);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("dnsmasq did not start");
}

/// Runs the example with `args`, returning its exit code and stdout.
fn run(args: &[&str]) -> (i32, String) {
    let path = example("dns_lookup");
    assert!(path.exists(), "{} not built", path.display());
    let out = Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn dns_lookup_prints_every_record_type() {
    let _w = watchdog::start("dns_lookup_prints_every_record_type", watchdog::LIMIT);
    let Some(d) = start_dnsmasq(&[
        "--local=/gort.test/",
        "--host-record=gort.test,192.0.2.7,2001:db8::7",
        "--mx-host=gort.test,mx2.gort.test,20",
        "--mx-host=gort.test,mx1.gort.test,10",
        "--txt-record=gort.test,v=spf1 -all",
        "--srv-host=gort.test,srv.gort.test,443,1,2",
        "--ptr-record=7.2.0.192.in-addr.arpa,gort.test",
    ]) else {
        return;
    };
    let server = format!("127.0.0.1:{}", d.1);
    let (code, out) = run(&["gort.test", "--server", &server, "--timeout", "3"]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    for want in [
        "IP 192.0.2.7",
        "IP 2001:db8::7",
        "CNAME gort.test.",
        "MX 10 mx1.gort.test.",
        "MX 20 mx2.gort.test.",
        "TXT \"v=spf1 -all\"",
        "SRV 1 2 443 srv.gort.test.",
        "PTR 192.0.2.7 gort.test.",
    ] {
        assert!(lines.contains(&want), "no {want:?} in:\n{out}");
    }
    // MX in preference order.
    let mx: Vec<&&str> = lines.iter().filter(|l| l.starts_with("MX ")).collect();
    assert_eq!(mx, [&"MX 10 mx1.gort.test.", &"MX 20 mx2.gort.test."]);
    // No NS records here: Go's text for a name without them (the server
    // named is the configured one; the dial hook sent the query here).
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("NS error: lookup gort.test on ") && l.ends_with("no such host")),
        "{out}"
    );

    // A name that does not exist: every lookup fails, exit status 1.
    let (code, out) = run(&["nosuch.gort.test", "--server", &server, "--timeout", "3"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("IP error: lookup nosuch.gort.test"), "{out}");
    assert!(out.contains("no such host"), "{out}");
}
