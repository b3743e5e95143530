//! Every record type of one name, looked up by gort's DNS client on
//! goroutines: Go's `net.Resolver` with `PreferGo`, in Rust.
//!
//! ```text
//! cargo run --release --example dns_lookup -- NAME [--server IP:PORT] [--timeout SECS]
//! ```
//!
//! It asks for the addresses (A and AAAA, in two goroutines at once), the
//! canonical name, MX, TXT, NS and SRV (`NAME` itself as the SRV name;
//! pass `_service._proto.example.com`), all under one context with a
//! deadline (5 s unless `--timeout`), then a reverse (PTR) lookup of each
//! address found. With `--server`, every query goes to that server through
//! the resolver's dial hook (Go's `Resolver.Dial`), whatever
//! `/etc/resolv.conf` says. One line per record, `TYPE value`; a lookup
//! that fails prints `TYPE error: ` and Go's text (`lookup nosuch.example
//! on 127.0.0.1:53: no such host`). Exits 1 if no lookup found anything.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use gort::context::{self, Context};
use gort::net::{Dialer, Resolver};

fn main() -> ExitCode {
    let mut name = None;
    let mut server = None;
    let mut timeout = Duration::from_secs(5);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--server" => server = args.next(),
            "--timeout" => match args.next().and_then(|s| s.parse::<f64>().ok()) {
                Some(s) if s > 0.0 => timeout = Duration::from_secs_f64(s),
                _ => return usage(),
            },
            _ if name.is_none() && !a.starts_with('-') => name = Some(a),
            _ => return usage(),
        }
    }
    let Some(name) = name else { return usage() };
    let found = gort::run(move || lookup_all(&name, server, timeout));
    if found > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: dns_lookup NAME [--server IP:PORT] [--timeout SECS]");
    ExitCode::from(2)
}

/// Prints `TYPE value` for each item, or the error; returns how many.
fn show<T>(kind: &str, r: std::io::Result<Vec<T>>, fmt: impl Fn(&T) -> String) -> usize {
    match r {
        Ok(v) => {
            for x in &v {
                println!("{kind} {}", fmt(x));
            }
            v.len()
        }
        Err(e) => {
            println!("{kind} error: {e}");
            0
        }
    }
}

fn lookup_all(name: &str, server: Option<String>, timeout: Duration) -> usize {
    let mut r = Resolver {
        prefer_go: true,
        ..Resolver::default()
    };
    if let Some(server) = server {
        r.dial = Some(Arc::new(move |ctx: &Context, network: &str, _: &str| {
            Dialer::default().dial_context(ctx, network, &server)
        }));
    }
    let (ctx, cancel) = context::with_timeout(&context::background(), timeout);
    let mut found = 0;
    let addrs = r.lookup_ip_addr(&ctx, name);
    let ips: Vec<String> = addrs
        .as_ref()
        .map(|v| v.iter().map(|a| a.ip.to_string()).collect())
        .unwrap_or_default();
    found += show("IP", addrs, |a| a.to_string());
    found += show("CNAME", r.lookup_cname(&ctx, name).map(|c| vec![c]), |c| {
        c.clone()
    });
    found += show("MX", r.lookup_mx(&ctx, name), |m| {
        format!("{} {}", m.pref, m.host)
    });
    found += show("TXT", r.lookup_txt(&ctx, name), |t| format!("{t:?}"));
    found += show("NS", r.lookup_ns(&ctx, name), |n| n.host.clone());
    found += show(
        "SRV",
        r.lookup_srv(&ctx, "", "", name).map(|(_, v)| v),
        |s| format!("{} {} {} {}", s.priority, s.weight, s.port, s.target),
    );
    for ip in ips {
        found += show("PTR", r.lookup_addr(&ctx, &ip), |n| format!("{ip} {n}"));
    }
    cancel.cancel();
    found
}
