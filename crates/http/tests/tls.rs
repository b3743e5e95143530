//! TLS over loopback: `Server::serve_tls` against `tls::dial` clients
//! speaking HTTP/1.1 by hand, certificate verification, concurrent reads
//! and writes on one conn, Go's answers to plain HTTP and silent clients,
//! curl and openssl where installed, and many handshakes.
//!
//! Certificates are made per test with rcgen: a CA and a leaf for
//! `localhost` and `127.0.0.1`; no key is checked in.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gort::net::Conn as _;
use gort_http::tls::{self, Config};
use gort_http::{Request, ResponseWriter, Server};

/// A CA, a leaf it signed, and the PEM files of both in a directory of
/// their own (removed on drop).
struct Pki {
    dir: PathBuf,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    fn new(names: &[&str]) -> Pki {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("gort test CA {n}"));
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let dir = std::env::temp_dir().join(format!("gort-tls-test-{}-{}", std::process::id(), n));
        std::fs::create_dir_all(&dir).unwrap();
        let pki = Pki {
            dir,
            ca_pem: ca.pem(),
            cert_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
        };
        std::fs::write(pki.ca_file(), &pki.ca_pem).unwrap();
        std::fs::write(pki.cert_file(), &pki.cert_pem).unwrap();
        std::fs::write(pki.key_file(), &pki.key_pem).unwrap();
        pki
    }

    fn ca_file(&self) -> String {
        self.dir.join("ca.pem").to_string_lossy().into_owned()
    }
    fn cert_file(&self) -> String {
        self.dir.join("cert.pem").to_string_lossy().into_owned()
    }
    fn key_file(&self) -> String {
        self.dir.join("key.pem").to_string_lossy().into_owned()
    }

    /// A client config trusting this CA, offering `http/1.1`.
    fn client(&self) -> Arc<Config> {
        Arc::new(Config {
            root_cas: Some(Arc::new(
                tls::root_cas_from_pem(self.ca_pem.as_bytes()).unwrap(),
            )),
            next_protos: vec!["http/1.1".into()],
            ..Default::default()
        })
    }

    /// A server config with this leaf.
    fn server(&self) -> Arc<Config> {
        Arc::new(Config {
            certificates: vec![
                tls::x509_key_pair(self.cert_pem.as_bytes(), self.key_pem.as_bytes()).unwrap(),
            ],
            ..Default::default()
        })
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn hello_server() -> Server {
    Server {
        handler: Some(Arc::new(|w: &mut dyn ResponseWriter, r: &mut Request| {
            write!(w, "hello over tls: {}", r.url.path).unwrap();
        })),
        ..Default::default()
    }
}

/// Serves `srv` with `Server::serve_tls` and `pki`'s files on a loopback
/// port; returns the server and the address.
fn start(srv: Server, pki: &Pki) -> (Arc<Server>, String) {
    let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
    let addr = ln.addr().to_string();
    let srv = Arc::new(srv);
    let (s, cert, key) = (srv.clone(), pki.cert_file(), pki.key_file());
    gort::go!({
        let _ = s.serve_tls(ln, &cert, &key);
    });
    (srv, addr)
}

/// Sends a GET for `path` that closes the connection, and reads the whole
/// reply.
fn get(conn: &tls::Conn, path: &str) -> String {
    conn.set_deadline(Some(Instant::now() + Duration::from_secs(20)))
        .unwrap();
    let c: &dyn gort::net::Conn = conn;
    c.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut reply = String::new();
    let mut r = c;
    r.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn serve_tls_answers_a_dialed_client_and_negotiates_http11() {
    gort::run(|| {
        let pki = Pki::new(&["localhost", "127.0.0.1"]);
        let (srv, addr) = start(hello_server(), &pki);

        // By IP: the server name comes from the address.
        let conn = tls::dial("tcp", &addr, &pki.client()).unwrap();
        let cs = conn.connection_state();
        assert!(cs.handshake_complete);
        assert_eq!(cs.negotiated_protocol, "http/1.1");
        assert_eq!(cs.version, tls::VERSION_TLS13);
        assert_eq!(cs.server_name, "127.0.0.1");
        assert_eq!(cs.peer_certificates.len(), 1);
        assert_ne!(cs.cipher_suite, 0);
        let reply = get(&conn, "/a");
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\nhello over tls: /a"), "{reply}");

        // By name, over TLS 1.2, through `client` on a plain dial.
        let config = Arc::new(Config {
            server_name: "localhost".into(),
            max_version: tls::VERSION_TLS12,
            ..(*pki.client()).clone()
        });
        let raw = gort::net::dial("tcp", &addr).unwrap();
        let conn = tls::client(raw, config);
        conn.handshake().unwrap();
        let cs = conn.connection_state();
        assert_eq!(cs.version, tls::VERSION_TLS12);
        assert_eq!(cs.negotiated_protocol, "http/1.1");
        assert!(get(&conn, "/b").ends_with("hello over tls: /b"));

        // Keep-alive: two requests on one conn.
        let conn = tls::dial("tcp", &addr, &pki.client()).unwrap();
        let c: &dyn gort::net::Conn = &conn;
        for i in 0..2 {
            c.write_all(format!("GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .unwrap();
            let want = format!("hello over tls: /{i}");
            let mut buf = vec![0u8; 4096];
            let mut got = String::new();
            for _ in 0..100 {
                if got.ends_with(&want) {
                    break;
                }
                let n = c.read(&mut buf).unwrap();
                assert!(n > 0, "EOF after {got:?}");
                got.push_str(std::str::from_utf8(&buf[..n]).unwrap());
            }
            assert!(got.ends_with(&want), "{got}");
        }
        c.close().unwrap();
        srv.close().unwrap();
    });
}

#[test]
fn verification_failures_are_clear_errors() {
    gort::run(|| {
        let pki = Pki::new(&["localhost", "127.0.0.1"]);
        let (srv, addr) = start(hello_server(), &pki);

        // A name the certificate does not cover.
        let config = Arc::new(Config {
            server_name: "example.com".into(),
            ..(*pki.client()).clone()
        });
        let e = tls::dial("tcp", &addr, &config).unwrap_err().to_string();
        assert!(e.contains("not valid for name"), "{e}");

        // A CA the client does not trust.
        let other = Pki::new(&["localhost"]);
        let e = tls::dial("tcp", &addr, &other.client())
            .unwrap_err()
            .to_string();
        assert!(e.contains("UnknownIssuer"), "{e}");

        // Mozilla's roots (the default) do not know the test CA either.
        let e = tls::dial("tcp", &addr, &Arc::new(Config::default()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("UnknownIssuer"), "{e}");

        // A client with no name and no skip: Go's error, before any I/O.
        let raw = gort::net::dial("tcp", &addr).unwrap();
        let conn = tls::client(raw, pki.client());
        let e = conn.handshake().unwrap_err().to_string();
        assert!(e.contains("either ServerName or InsecureSkipVerify"), "{e}");
        // The error sticks.
        assert_eq!(conn.handshake().unwrap_err().to_string(), e);
        let c: &dyn gort::net::Conn = &conn;
        assert!(c.write(b"x").is_err());

        // The server is still fine.
        let conn = tls::dial("tcp", &addr, &pki.client()).unwrap();
        assert!(get(&conn, "/").ends_with("hello over tls: /"));
        srv.close().unwrap();
    });
}

#[test]
fn insecure_skip_verify_accepts_any_certificate() {
    gort::run(|| {
        let pki = Pki::new(&["localhost"]);
        let (srv, addr) = start(hello_server(), &pki);
        let config = Arc::new(Config {
            insecure_skip_verify: true,
            server_name: "not-the-name.example".into(),
            ..Default::default()
        });
        let conn = tls::dial("tcp", &addr, &config).unwrap();
        assert!(get(&conn, "/x").ends_with("hello over tls: /x"));

        // Without a name either (no SNI is sent).
        let config = Arc::new(Config {
            insecure_skip_verify: true,
            ..Default::default()
        });
        let conn = tls::client(gort::net::dial("tcp", &addr).unwrap(), config);
        assert!(get(&conn, "/y").ends_with("hello over tls: /y"));
        srv.close().unwrap();
    });
}

/// A TLS echo server on `tls::listen`: every conn gets back what it sends.
fn start_echo(pki: &Pki) -> (Box<dyn gort::net::Listener>, String) {
    let ln = tls::listen("tcp", "127.0.0.1:0", pki.server()).unwrap();
    let addr = ln.addr().to_string();
    (ln, addr)
}

fn serve_echo(ln: Arc<dyn gort::net::Listener>) {
    gort::go!({
        while let Ok(c) = ln.accept() {
            gort::go!({
                let mut buf = vec![0u8; 16 << 10];
                loop {
                    match gort::net::Conn::read(&*c, &mut buf) {
                        Ok(0) => break,
                        Err(e) => {
                            eprintln!("echo: {e}");
                            break;
                        }
                        Ok(n) => {
                            if let Err(e) = c.write_all(&buf[..n]) {
                                eprintln!("echo write: {e}");
                                break;
                            }
                        }
                    }
                }
                let _ = c.close();
            });
        }
    });
}

#[test]
fn a_parked_read_does_not_block_a_write_on_the_same_conn() {
    gort::run(|| {
        let pki = Pki::new(&["localhost", "127.0.0.1"]);
        let (ln, addr) = start_echo(&pki);
        let ln: Arc<dyn gort::net::Listener> = Arc::from(ln);
        serve_echo(ln.clone());

        let conn = Arc::new(tls::dial("tcp", &addr, &pki.client()).unwrap());
        conn.set_deadline(Some(Instant::now() + Duration::from_secs(20)))
            .unwrap();
        let c: &dyn gort::net::Conn = &*conn;
        // One round trip first, so the server's goroutine sits in its read.
        c.write_all(b"warm").unwrap();
        let mut b = [0u8; 4];
        (&mut { c }).read_exact(&mut b).unwrap();
        assert_eq!(&b, b"warm");

        // A reader parks on the socket; then another goroutine writes.
        let before = gort::parked(gort::WaitReason::IoWait);
        let reader = {
            let conn = conn.clone();
            gort::spawn(move || {
                let mut b = [0u8; 4];
                let c: &dyn gort::net::Conn = &*conn;
                (&mut { c }).read_exact(&mut b).map(|_| b)
            })
        };
        for _ in 0..100_000 {
            if gort::parked(gort::WaitReason::IoWait) > before {
                break;
            }
            gort::yield_now();
        }
        assert!(gort::parked(gort::WaitReason::IoWait) > before);
        let writer = {
            let conn = conn.clone();
            gort::spawn(move || {
                let c: &dyn gort::net::Conn = &*conn;
                c.write_all(b"ping")
            })
        };
        writer.join().unwrap().unwrap();
        assert_eq!(&reader.join().unwrap().unwrap(), b"ping");

        // Full duplex: 1 MiB written by one goroutine while another reads
        // the echo. A lock held across socket I/O deadlocks here.
        const TOTAL: usize = 1 << 20;
        let writer = {
            let conn = conn.clone();
            gort::spawn(move || {
                let chunk: Vec<u8> = (0..16 << 10).map(|i| (i % 251) as u8).collect();
                let c: &dyn gort::net::Conn = &*conn;
                for _ in 0..TOTAL / chunk.len() {
                    c.write_all(&chunk)?;
                }
                std::io::Result::Ok(())
            })
        };
        let mut got = 0usize;
        let mut buf = vec![0u8; 32 << 10];
        while got < TOTAL {
            let n = c.read(&mut buf).unwrap();
            assert!(n > 0, "EOF after {got} bytes");
            for (i, &x) in buf[..n].iter().enumerate() {
                assert_eq!(x, ((got + i) % (16 << 10) % 251) as u8);
            }
            got += n;
        }
        writer.join().unwrap().unwrap();
        assert_eq!(got, TOTAL);
        c.close().unwrap();
        ln.close().unwrap();
    });
}

#[test]
fn plain_http_to_the_tls_port_gets_gos_400() {
    gort::run(|| {
        let pki = Pki::new(&["localhost"]);
        let (srv, addr) = start(hello_server(), &pki);
        let conn = gort::net::dial("tcp", &addr).unwrap();
        conn.set_deadline(Some(Instant::now() + Duration::from_secs(20)))
            .unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        (&*conn).read_to_string(&mut reply).unwrap();
        assert_eq!(
            reply,
            "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
        );
        srv.close().unwrap();
    });
}

#[test]
fn a_silent_client_is_closed_after_read_header_timeout() {
    gort::run(|| {
        let pki = Pki::new(&["localhost"]);
        let (srv, addr) = start(
            Server {
                read_header_timeout: Some(Duration::from_millis(200)),
                ..hello_server()
            },
            &pki,
        );
        let conn = gort::net::dial("tcp", &addr).unwrap();
        conn.set_deadline(Some(Instant::now() + Duration::from_secs(20)))
            .unwrap();
        let t0 = Instant::now();
        let mut b = [0u8; 16];
        // Sends nothing: the handshake never starts, the server gives up.
        let n = gort::net::Conn::read(&*conn, &mut b).unwrap_or(0);
        let took = t0.elapsed();
        assert_eq!(n, 0);
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert!(took < Duration::from_secs(10), "{took:?}");

        // Half a ClientHello, then silence: the same.
        let conn = gort::net::dial("tcp", &addr).unwrap();
        conn.set_deadline(Some(Instant::now() + Duration::from_secs(20)))
            .unwrap();
        conn.write_all(&[0x16, 0x03, 0x01, 0x00, 0x80, 0x01])
            .unwrap();
        let t0 = Instant::now();
        let n = gort::net::Conn::read(&*conn, &mut b).unwrap_or(0);
        assert_eq!(n, 0);
        assert!(t0.elapsed() < Duration::from_secs(10));
        srv.close().unwrap();
    });
}

/// Runs `cmd` off the goroutine's thread; `None` if the tool is missing.
fn run_tool(cmd: &str, args: Vec<String>, stdin: &[u8]) -> Option<std::process::Output> {
    let cmd = cmd.to_string();
    let stdin = stdin.to_vec();
    gort::blocking(move || {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = match Command::new(&cmd)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                println!("note: {cmd} is not installed; skipping its check");
                return None;
            }
            Err(e) => panic!("{cmd}: {e}"),
        };
        let _ = child.stdin.take().unwrap().write_all(&stdin);
        Some(child.wait_with_output().unwrap())
    })
}

#[test]
fn curl_and_openssl_talk_to_serve_tls() {
    gort::run(|| {
        let pki = Pki::new(&["localhost", "127.0.0.1"]);
        let (srv, addr) = start(hello_server(), &pki);
        let port = addr.rsplit(':').next().unwrap().to_string();

        let curl = run_tool(
            "curl",
            vec![
                "-sS".into(),
                "--max-time".into(),
                "20".into(),
                "--cacert".into(),
                pki.ca_file(),
                format!("https://127.0.0.1:{port}/curl"),
            ],
            b"",
        );
        if let Some(out) = curl {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "curl failed: {stderr}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "hello over tls: /curl"
            );
            // And by name, through --resolve.
            let out = run_tool(
                "curl",
                vec![
                    "-sS".into(),
                    "--max-time".into(),
                    "20".into(),
                    "--cacert".into(),
                    pki.ca_file(),
                    "--resolve".into(),
                    format!("localhost:{port}:127.0.0.1"),
                    format!("https://localhost:{port}/name"),
                ],
                b"",
            )
            .unwrap();
            assert!(out.status.success());
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "hello over tls: /name"
            );
        }

        let openssl = run_tool(
            "openssl",
            vec![
                "s_client".into(),
                "-connect".into(),
                addr.clone(),
                "-alpn".into(),
                "http/1.1".into(),
                "-servername".into(),
                "localhost".into(),
                "-CAfile".into(),
                pki.ca_file(),
                "-ign_eof".into(),
            ],
            b"GET /openssl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if let Some(out) = openssl {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("ALPN protocol: http/1.1"), "{stdout}");
            assert!(stdout.contains("Verify return code: 0 (ok)"), "{stdout}");
            assert!(stdout.contains("hello over tls: /openssl"), "{stdout}");
        }
        srv.close().unwrap();
    });
}

#[test]
fn many_handshakes_sequential_and_concurrent() {
    gort::run(|| {
        let pki = Pki::new(&["localhost", "127.0.0.1"]);
        let (srv, addr) = start(hello_server(), &pki);
        let config = pki.client();

        const SEQ: usize = 200;
        let t0 = Instant::now();
        for i in 0..SEQ {
            let conn = tls::dial("tcp", &addr, &config).unwrap();
            let reply = get(&conn, &format!("/{i}"));
            assert!(reply.ends_with(&format!("hello over tls: /{i}")), "{reply}");
        }
        let took = t0.elapsed();
        println!(
            "{SEQ} sequential handshakes + requests in {took:?}: {:.0}/s",
            SEQ as f64 / took.as_secs_f64()
        );

        const CONC: usize = 50;
        let t0 = Instant::now();
        let handles: Vec<_> = (0..CONC)
            .map(|i| {
                let (addr, config) = (addr.clone(), config.clone());
                gort::spawn(move || {
                    let conn = tls::dial("tcp", &addr, &config)?;
                    let reply = get(&conn, &format!("/c{i}"));
                    std::io::Result::Ok(reply.ends_with(&format!("hello over tls: /c{i}")))
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap().unwrap());
        }
        println!(
            "{CONC} concurrent handshakes + requests in {:?}",
            t0.elapsed()
        );
        srv.close().unwrap();
    });
}

#[test]
fn key_pairs_and_configs_fail_clearly() {
    let pki = Pki::new(&["localhost"]);
    let other = Pki::new(&["localhost"]);
    let e = tls::x509_key_pair(b"", pki.key_pem.as_bytes()).unwrap_err();
    assert!(
        e.to_string()
            .contains("failed to find any PEM data in certificate input")
    );
    let e = tls::x509_key_pair(pki.cert_pem.as_bytes(), b"junk").unwrap_err();
    assert!(
        e.to_string()
            .contains("failed to find any PEM data in key input"),
        "{e}"
    );
    // A key that is not the leaf's.
    assert!(tls::x509_key_pair(pki.cert_pem.as_bytes(), other.key_pem.as_bytes()).is_err());
    assert!(tls::load_x509_key_pair(&pki.cert_file(), &pki.key_file()).is_ok());
    gort::run(|| {
        let e = tls::listen("tcp", "127.0.0.1:0", Arc::new(Config::default())).unwrap_err();
        assert!(e.to_string().contains("neither Certificates"), "{e}");
        // serve_tls without certificates or files fails before serving.
        let srv = Arc::new(hello_server());
        let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
        assert!(srv.serve_tls(ln, "", "").is_err());
    });
}

#[test]
fn the_client_fetches_https_over_pooled_connections_and_verifies() {
    gort::run(|| {
        let pki = Pki::new(&["localhost", "127.0.0.1"]);
        let (_srv, addr) = start(hello_server(), &pki);
        let client = gort_http::Client {
            transport: Some(Arc::new(gort_http::Transport {
                tls_client_config: Some(pki.client()),
                ..Default::default()
            })),
            ..Default::default()
        };
        let port = addr.rsplit(':').next().unwrap();
        for i in 0..5 {
            let url = format!("https://localhost:{port}/n{i}");
            let mut resp = client.get(&url).unwrap();
            assert_eq!(resp.status_code, 200);
            let mut body = String::new();
            resp.body.read_to_string(&mut body).unwrap();
            assert_eq!(body, format!("hello over tls: /n{i}"));
        }
        // One connection served all five: the pool keeps TLS conns too.
        let t = client.transport.as_ref().unwrap();
        assert_eq!(t.idle_conn_count(), 1);

        // A client that does not trust the CA refuses the server.
        let err = gort_http::Client::default()
            .get(&format!("https://localhost:{port}/"))
            .unwrap_err();
        assert!(err.to_string().contains("certificate"), "{err}");
    });
}
