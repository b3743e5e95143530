//! The DNS client against a real server, dnsmasq (Go's dnsclient_unix_test.go
//! runs against fakes; these run the lookups end to end), and against fake
//! servers on gort sockets that answer with broken messages.
//!
//! The dnsmasq tests skip with a note when `dnsmasq` is not installed
//! (Debian's `dnsmasq-base`; .ci/run installs it).

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gort_net::{DNSError, Dialer, Resolver, listen, listen_packet};
use gort_runtime::context::{self, Context};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

fn dns_error(err: &io::Error) -> &DNSError {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<DNSError>())
        .unwrap_or_else(|| panic!("not a DNSError: {err:?}"))
}

/// A dnsmasq child on 127.0.0.1:port, killed on drop.
struct Dnsmasq {
    child: Child,
    port: u16,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The name with many A records: 300 of them make a 4.8 kB answer, more
/// than any UDP size, so it comes truncated and again over TCP.
const MANY: usize = 300;

/// A long TXT string, which dnsmasq sends as 255-byte pieces.
fn long_txt() -> String {
    (0..600)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

fn dnsmasq_path() -> Option<PathBuf> {
    ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The test zone: every record type but NS.
fn zone_args() -> Vec<String> {
    let mut args: Vec<String> = [
        "--local=/gort.test/",
        "--host-record=a.gort.test,192.0.2.1,2001:db8::1",
        "--host-record=v4only.gort.test,192.0.2.2",
        "--cname=c1.gort.test,c2.gort.test",
        "--cname=c2.gort.test,a.gort.test",
        "--mx-host=gort.test,mx-b.gort.test,20",
        "--mx-host=gort.test,mx-a.gort.test,10",
        "--mx-host=gort.test,mx-c.gort.test,30",
        "--txt-record=txt.gort.test,hello,world",
        "--srv-host=_http._tcp.gort.test,srv-b.gort.test,8080,20,5",
        "--srv-host=_http._tcp.gort.test,srv-a.gort.test,80,10,5",
        "--ptr-record=1.2.0.192.in-addr.arpa,a.gort.test",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--txt-record=long.gort.test,{}", long_txt()));
    for i in 0..MANY {
        args.push(format!(
            "--host-record=many.gort.test,10.9.{}.{}",
            i / 256,
            i % 256
        ));
    }
    args
}

/// An authoritative-only zone, for NS records: dnsmasq serves NS only in
/// its authoritative mode, which takes over the address it is bound to
/// (every other name is refused there), so it runs as a second server.
/// (Without an address, dnsmasq 2.90 answers NS queries with a broken
/// record.)
fn auth_args() -> Vec<String> {
    [
        "--auth-server=ns1.gort.test,127.0.0.1",
        "--auth-zone=zone.gort.test",
        "--auth-sec-servers=ns2.gort.test",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Starts dnsmasq with `zone` on a free port, or `None` (with a note)
/// when it is not installed.
fn start_dnsmasq(zone: &[String]) -> Option<Dnsmasq> {
    let Some(bin) = dnsmasq_path() else {
        eprintln!("dnsmasq not installed (apt-get install dnsmasq-base): skipping");
        return None;
    };
    for _ in 0..20 {
        // A port free for both UDP and TCP right now.
        let port = {
            let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = u.local_addr().unwrap().port();
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            port
        };
        let mut args: Vec<String> = [
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--pid-file",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--port={port}"));
        args.extend_from_slice(zone);
        let child = Command::new(&bin)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn dnsmasq");
        let mut d = Dnsmasq { child, port };
        // Ready once it accepts TCP.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = d.child.try_wait() {
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(d);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Lost the port race, or failed: say why, and try another port.
        let _ = d.child.kill();
        let out = d.child.wait_with_output_stderr();
        eprintln!("dnsmasq on port {port} did not start: {out}");
        drop(d);
    }
    panic!("dnsmasq did not start");
}

trait StderrOf {
    fn wait_with_output_stderr(&mut self) -> String;
}

impl StderrOf for Child {
    fn wait_with_output_stderr(&mut self) -> String {
        let _ = self.wait();
        let mut s = String::new();
        if let Some(mut e) = self.stderr.take() {
            let _ = io::Read::read_to_string(&mut e, &mut s);
        }
        s
    }
}

/// A scratch resolv.conf with `text`.
fn resolv_conf(tag: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gort-dns-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("resolv.conf");
    std::fs::write(&p, text).unwrap();
    p
}

/// Dials counted by network, for the transport checks.
#[derive(Default)]
struct Dials {
    udp: AtomicUsize,
    tcp: AtomicUsize,
}

/// A resolver whose queries all go to 127.0.0.1:`port`, with the
/// resolv.conf `conf` and no hosts file.
fn resolver_to(port: u16, conf: &Path, dials: Arc<Dials>) -> Resolver {
    Resolver {
        prefer_go: true,
        strict_errors: false,
        dial: Some(Arc::new(
            move |ctx: &Context, network: &str, _server: &str| {
                match network {
                    "udp" => dials.udp.fetch_add(1, Ordering::Relaxed),
                    _ => dials.tcp.fetch_add(1, Ordering::Relaxed),
                };
                Dialer::default().dial_context(ctx, network, &format!("127.0.0.1:{port}"))
            },
        )),
        resolv_conf: Some(conf.to_path_buf()),
        hosts_file: Some(PathBuf::from("/nonexistent/gort/hosts")),
    }
}

const CONF: &str = "nameserver 127.0.0.1\nsearch gort.test\noptions ndots:1 timeout:3 attempts:1\n";

#[test]
fn test_dnsmasq_lookups() {
    let _w = watchdog::start("test_dnsmasq_lookups", watchdog::LIMIT);
    let Some(d) = start_dnsmasq(&zone_args()) else {
        return;
    };
    let Some(auth) = start_dnsmasq(&auth_args()) else {
        return;
    };
    let (port, auth_port) = (d.port, auth.port);
    let conf = resolv_conf("lookups", CONF);
    gort::run(move || {
        let dials = Arc::new(Dials::default());
        let r = resolver_to(port, &conf, dials.clone());
        let ctx = context::background();

        // A and AAAA, asked at once; A first.
        let hosts = r.lookup_host(&ctx, "a.gort.test").unwrap();
        assert_eq!(hosts, ["192.0.2.1", "2001:db8::1"]);
        let ips = r.lookup_ip(&ctx, "ip6", "a.gort.test").unwrap();
        assert_eq!(ips.len(), 1);
        assert_eq!(ips[0].to_string(), "2001:db8::1");
        let ips = r.lookup_ip_addr(&ctx, "v4only.gort.test").unwrap();
        assert_eq!(ips.len(), 1);
        assert_eq!(ips[0].to_string(), "192.0.2.2");

        // The search list: "a" has fewer dots than ndots, so a.gort.test.
        // is tried first.
        assert_eq!(r.lookup_host(&ctx, "a").unwrap()[0], "192.0.2.1");

        // A CNAME chain: c1 -> c2 -> a.
        assert_eq!(
            r.lookup_cname(&ctx, "c1.gort.test").unwrap(),
            "a.gort.test."
        );
        assert_eq!(r.lookup_host(&ctx, "c1.gort.test").unwrap()[0], "192.0.2.1");
        // A name without CNAME is its own canonical name.
        assert_eq!(r.lookup_cname(&ctx, "a.gort.test").unwrap(), "a.gort.test.");

        // MX, by preference.
        let mx = r.lookup_mx(&ctx, "gort.test").unwrap();
        let got: Vec<(u16, &str)> = mx.iter().map(|m| (m.pref, m.host.as_str())).collect();
        assert_eq!(
            got,
            [
                (10, "mx-a.gort.test."),
                (20, "mx-b.gort.test."),
                (30, "mx-c.gort.test.")
            ]
        );

        // TXT: the strings of one record joined, and a 600-byte string
        // that came as 255-byte pieces.
        assert_eq!(r.lookup_txt(&ctx, "txt.gort.test").unwrap(), ["helloworld"]);
        assert_eq!(r.lookup_txt(&ctx, "long.gort.test").unwrap(), [long_txt()]);

        // SRV, by priority.
        let (cname, srv) = r.lookup_srv(&ctx, "http", "tcp", "gort.test").unwrap();
        assert_eq!(cname, "_http._tcp.gort.test.");
        let got: Vec<(&str, u16, u16)> = srv
            .iter()
            .map(|s| (s.target.as_str(), s.port, s.priority))
            .collect();
        assert_eq!(
            got,
            [("srv-a.gort.test.", 80, 10), ("srv-b.gort.test.", 8080, 20)]
        );

        // NS, from dnsmasq's authoritative zone.
        let ra = resolver_to(auth_port, &conf, Arc::default());
        let mut ns: Vec<String> = ra
            .lookup_ns(&ctx, "zone.gort.test")
            .unwrap()
            .into_iter()
            .map(|n| n.host)
            .collect();
        ns.sort();
        assert_eq!(ns, ["ns1.gort.test.", "ns2.gort.test."]);

        // PTR, with the reverse name built from the address.
        assert_eq!(r.lookup_addr(&ctx, "192.0.2.1").unwrap(), ["a.gort.test."]);

        // NXDOMAIN: Go's text and flags, the server as configured.
        let err = r.lookup_host(&ctx, "nosuch.gort.test").unwrap_err();
        assert_eq!(
            err.to_string(),
            "lookup nosuch.gort.test on 127.0.0.1:53: no such host"
        );
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let e = dns_error(&err);
        assert!(e.is_not_found && !e.timeout() && !e.temporary());
        assert_eq!(e.server, "127.0.0.1:53");
        let err = r.lookup_mx(&ctx, "nosuch.gort.test.").unwrap_err();
        assert!(dns_error(&err).is_not_found, "{err}");
        // A name with no record of the type asked for is not found either.
        let err = r.lookup_txt(&ctx, "a.gort.test.").unwrap_err();
        assert!(dns_error(&err).is_not_found, "{err}");

        // Every query so far fit in UDP.
        assert_eq!(dials.tcp.load(Ordering::Relaxed), 0);

        // Truncation: the 300 addresses come again over TCP.
        let ips = r.lookup_ip(&ctx, "ip4", "many.gort.test").unwrap();
        assert_eq!(ips.len(), MANY);
        assert_eq!(dials.tcp.load(Ordering::Relaxed), 1);
    });
}

/// `use-vc` sends every query over TCP; `single-request` asks A, then
/// AAAA; the package-level functions outside a goroutine work too.
#[test]
fn test_dnsmasq_use_vc_and_single_request() {
    let _w = watchdog::start("test_dnsmasq_use_vc_and_single_request", watchdog::LIMIT);
    let Some(d) = start_dnsmasq(&zone_args()) else {
        return;
    };
    let conf = resolv_conf(
        "usevc",
        "nameserver 127.0.0.1\noptions use-vc single-request timeout:3 attempts:1\n",
    );
    let dials = Arc::new(Dials::default());
    let r = resolver_to(d.port, &conf, dials.clone());
    // On a plain thread: sockets poll, the two queries run one after the
    // other.
    let hosts = r
        .lookup_host(&context::background(), "a.gort.test")
        .unwrap();
    assert_eq!(hosts, ["192.0.2.1", "2001:db8::1"]);
    assert_eq!(dials.udp.load(Ordering::Relaxed), 0);
    assert_eq!(dials.tcp.load(Ordering::Relaxed), 2);
    let r2 = r.clone();
    let mx = gort::run(move || r2.lookup_mx(&context::background(), "gort.test").unwrap());
    assert_eq!(mx.len(), 3);
    assert_eq!(dials.udp.load(Ordering::Relaxed), 0);
}

/// A UDP server that reads queries and never answers.
fn silent_udp() -> (std::net::UdpSocket, u16) {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.local_addr().unwrap().port();
    (s, port)
}

/// A server that drops every query: the lookup times out after the
/// configured timeout, with Go's flags.
#[test]
fn test_timeout_against_silent_server() {
    let _w = watchdog::start("test_timeout_against_silent_server", watchdog::LIMIT);
    let (_s, port) = silent_udp();
    let conf = resolv_conf(
        "silent",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    gort::run(move || {
        let r = resolver_to(port, &conf, Arc::default());
        let start = Instant::now();
        let err = r
            .lookup_host(&context::background(), "x.gort.test.")
            .unwrap_err();
        let took = start.elapsed();
        // Two queries (A and AAAA) at once: one timeout, not two.
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(3),
            "{took:?}"
        );
        let e = dns_error(&err);
        assert!(e.timeout() && e.temporary() && !e.is_not_found, "{e:?}");
        assert!(
            err.to_string()
                .starts_with("lookup x.gort.test. on 127.0.0.1:53: read udp"),
            "{err}"
        );
        assert!(err.to_string().ends_with("i/o timeout"), "{err}");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    });
}

/// Outside a goroutine sockets run in blocking mode, without the
/// netpoller's deadlines; a silent server still times the lookup out (the
/// kernel's socket timeouts bound it), instead of blocking forever. The
/// server listens on port 53 of another loopback address, since without a
/// dial hook the resolver dials resolv.conf's servers on port 53.
#[test]
fn test_timeout_outside_a_goroutine() {
    let _w = watchdog::start("test_timeout_outside_a_goroutine", watchdog::LIMIT);
    let s = match std::net::UdpSocket::bind("127.0.0.77:53") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("test_timeout_outside_a_goroutine: skipped, cannot bind 127.0.0.77:53: {e}");
            return;
        }
    };
    let conf = resolv_conf(
        "silent-blocking",
        "nameserver 127.0.0.77\noptions timeout:1 attempts:1\n",
    );
    let r = Resolver {
        prefer_go: true,
        strict_errors: false,
        dial: None,
        resolv_conf: Some(conf),
        hosts_file: Some(PathBuf::from("/nonexistent/gort/hosts")),
    };
    let start = Instant::now();
    let err = r
        .lookup_txt(&context::background(), "x.gort.test.")
        .unwrap_err();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    let e = dns_error(&err);
    assert!(e.timeout() && !e.is_not_found, "{e:?}");
    assert!(err.to_string().ends_with("i/o timeout"), "{err}");
    drop(s);
}

/// Cancelling the context ends a lookup waiting on a silent server at
/// once; a context deadline ends it as a timeout.
#[test]
fn test_context_cancel_and_deadline() {
    let _w = watchdog::start("test_context_cancel_and_deadline", watchdog::LIMIT);
    let (_s, port) = silent_udp();
    let conf = resolv_conf(
        "cancel",
        "nameserver 127.0.0.1\noptions timeout:10 attempts:3\n",
    );
    gort::run(move || {
        let r = resolver_to(port, &conf, Arc::default());
        let (ctx, cancel) = context::with_cancel(&context::background());
        let canceller = gort_runtime::spawn(move || {
            gort_runtime::time::sleep(Duration::from_millis(100));
            cancel.cancel();
        });
        let start = Instant::now();
        let err = r.lookup_mx(&ctx, "x.gort.test.").unwrap_err();
        canceller.join().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            err.to_string(),
            "lookup x.gort.test.: operation was canceled"
        );
        let e = dns_error(&err);
        assert_eq!(e.unwrap_err, Some(context::ContextError::Canceled));
        assert!(!e.timeout());

        let (ctx, cancel) =
            context::with_timeout(&context::background(), Duration::from_millis(200));
        let start = Instant::now();
        let err = r.lookup_host(&ctx, "x.gort.test.").unwrap_err();
        cancel.cancel();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        // The context's deadline is also the socket's: whichever the
        // runtime notices first reports it, the lookup (Go's mapped
        // context error) or the query (the conn's deadline, naming the
        // server, as Go's tryOneName does). Both are timeouts.
        let text = err.to_string();
        assert!(
            text == "lookup x.gort.test.: i/o timeout"
                || (text.starts_with("lookup x.gort.test. on 127.0.0.1:53: ")
                    && text.ends_with(": i/o timeout")),
            "{text}"
        );
        assert!(dns_error(&err).timeout());
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    });
}

// ---- Fake servers with broken answers ----

/// The end of the question in a query (header, name, type, class).
fn question_end(q: &[u8]) -> usize {
    let mut off = 12;
    while q[off] != 0 {
        off += 1 + q[off] as usize;
    }
    off + 5
}

/// A response to `query`: same ID and question, QR and RA set, RCODE
/// `rcode`, ANCOUNT `ancount`, then `answers` bytes as they are.
fn response(query: &[u8], rcode: u8, ancount: u16, answers: &[u8]) -> Vec<u8> {
    let end = question_end(query);
    let mut m = query[..end].to_vec();
    m[2] = 0x81;
    m[3] = 0x80 | rcode;
    m[6..8].copy_from_slice(&ancount.to_be_bytes());
    m[8..12].copy_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(answers);
    m
}

/// An answer record for the question's name (a pointer to offset 12).
fn record(typ: u16, rdata: &[u8]) -> Vec<u8> {
    let mut r = vec![0xC0, 12];
    r.extend_from_slice(&typ.to_be_bytes());
    r.extend_from_slice(&[0, 1, 0, 0, 1, 0]);
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend_from_slice(rdata);
    r
}

/// What a fake server sends back for a query.
type Answerer = fn(&[u8]) -> Vec<Vec<u8>>;

/// A fake DNS server goroutine on gort UDP and TCP sockets: `answer`
/// turns each query into the datagrams (or TCP messages) to send back.
fn fake_server(answer: Answerer) -> u16 {
    // One port for both: the kernel's pick for UDP, if TCP has it free
    // too (another test's connection may hold it).
    let (pc, ln, port) = (0..50)
        .find_map(|_| {
            let pc = listen_packet("udp", "127.0.0.1:0").unwrap();
            let port: u16 = pc
                .local_addr()
                .to_string()
                .rsplit(':')
                .next()?
                .parse()
                .ok()?;
            let ln = listen("tcp", &format!("127.0.0.1:{port}")).ok()?;
            Some((pc, ln, port))
        })
        .expect("no port free for both UDP and TCP");
    gort_runtime::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, Some(from))) = pc.read_from(&mut buf) {
            for m in answer(&buf[..n]) {
                let _ = pc.write_to(&m, &*from);
            }
        }
    });
    gort_runtime::spawn(move || {
        while let Ok(c) = ln.accept() {
            gort_runtime::spawn(move || {
                let mut len = [0u8; 2];
                if io::Read::read_exact(&mut &c, &mut len).is_err() {
                    return;
                }
                let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
                if io::Read::read_exact(&mut &c, &mut q).is_err() {
                    return;
                }
                for m in answer(&q) {
                    let mut out = (m.len() as u16).to_be_bytes().to_vec();
                    out.extend_from_slice(&m);
                    let _ = c.write_all(&out);
                }
            });
        }
    });
    port
}

/// A resolver to the fake server at `port`, with a 1 s timeout.
fn fake_resolver(port: u16, tag: &str, opts: &str) -> Resolver {
    let conf = resolv_conf(
        tag,
        &format!("nameserver 127.0.0.1\noptions timeout:1 attempts:1 {opts}\n"),
    );
    resolver_to(port, &conf, Arc::default())
}

fn a_record() -> Vec<u8> {
    record(1, &[192, 0, 2, 9])
}

/// Answers with a wrong ID are forgeries: ignored, and the real answer
/// after them is taken; with only wrong IDs the lookup times out.
#[test]
fn test_fake_wrong_id() {
    let _w = watchdog::start("test_fake_wrong_id", watchdog::LIMIT);
    gort::run(|| {
        let ctx = context::background();
        let port = fake_server(|q| {
            let mut bad = response(q, 0, 1, &a_record());
            bad[0] ^= 0xFF;
            let mut not_resp = response(q, 0, 1, &a_record());
            not_resp[2] &= 0x7F;
            vec![bad, not_resp, response(q, 0, 1, &a_record())]
        });
        let r = fake_resolver(port, "forged", "");
        let ips = r.lookup_ip(&ctx, "ip4", "x.test.").unwrap();
        assert_eq!(ips[0].to_string(), "192.0.2.9");

        let port = fake_server(|q| {
            let mut bad = response(q, 0, 1, &a_record());
            bad[1] ^= 0xFF;
            vec![bad]
        });
        let r = fake_resolver(port, "forged-only", "");
        let err = r.lookup_ip(&ctx, "ip4", "x.test.").unwrap_err();
        assert!(dns_error(&err).timeout(), "{err}");
    });
}

/// Broken answers over TCP (use-vc), where nothing is ignored: each a
/// clear error, none a panic or a hang.
#[test]
fn test_fake_malformed_answers() {
    let _w = watchdog::start("test_fake_malformed_answers", watchdog::LIMIT);
    gort::run(|| {
        let ctx = context::background();
        let cases: Vec<(&str, Answerer, &str)> = vec![
            (
                "truncated",
                |q| vec![response(q, 0, 1, &a_record())[..7].to_vec()],
                "cannot unmarshal DNS message",
            ),
            (
                "wrong-question",
                |q| {
                    let mut m = response(q, 0, 1, &a_record());
                    m[13] ^= 0x20 | 0x01; // another letter, not just its case
                    vec![m]
                },
                "invalid DNS response",
            ),
            (
                "compression-loop",
                |q| {
                    // An MX whose target points at itself.
                    let end = question_end(q);
                    let at = (end + 12 + 2) as u16;
                    let mut rdata = vec![0, 10];
                    rdata.extend_from_slice(&(0xC000 | at).to_be_bytes());
                    vec![response(q, 0, 1, &record(15, &rdata))]
                },
                "cannot unmarshal DNS message",
            ),
            (
                "lying-count",
                |q| {
                    let mut rdata = vec![0, 10];
                    rdata.extend_from_slice(&[0xC0, 12]);
                    vec![response(q, 0, 5, &record(15, &rdata))]
                },
                "cannot unmarshal DNS message",
            ),
            (
                "rdlength-past-end",
                |q| {
                    let mut r = record(15, &[0, 10, 0xC0, 12]);
                    r[10] = 0x40;
                    vec![response(q, 0, 1, &r)]
                },
                "cannot unmarshal DNS message",
            ),
            (
                "servfail",
                |q| vec![response(q, 2, 0, &[])],
                "server misbehaving",
            ),
            (
                "refused",
                |q| vec![response(q, 5, 0, &[])],
                "server misbehaving",
            ),
        ];
        for (tag, answer, want) in cases {
            let port = fake_server(answer);
            let r = fake_resolver(port, tag, "use-vc");
            let err = r.lookup_mx(&ctx, "x.test.").unwrap_err();
            let e = dns_error(&err);
            assert_eq!(
                err.to_string(),
                format!("lookup x.test. on 127.0.0.1:53: {want}"),
                "{tag}"
            );
            assert_eq!(e.temporary(), tag == "servfail", "{tag}");
            assert!(!e.is_not_found, "{tag}");
        }
    });
}

/// The hosts file is read before DNS: a name it has is never sent.
#[test]
fn test_hosts_file_first() {
    let _w = watchdog::start("test_hosts_file_first", watchdog::LIMIT);
    gort::run(|| {
        let dials = Arc::new(Dials::default());
        let conf = resolv_conf("hosts-first", CONF);
        let mut r = resolver_to(1, &conf, dials.clone());
        r.hosts_file = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/hosts"));
        let got = r.lookup_host(&context::background(), "odin").unwrap();
        assert_eq!(got, ["127.0.0.2", "127.0.0.3", "::2"]);
        assert_eq!(
            dials.udp.load(Ordering::Relaxed) + dials.tcp.load(Ordering::Relaxed),
            0
        );
    });
}
