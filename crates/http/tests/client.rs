//! The client over loopback: against gort-http's own server, against raw
//! fake servers sending bad replies, against Python's `http.server` and
//! against Go's net/http server. Pooling, redirects, gzip, cancellation
//! and timeouts.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gort::context;
use gort::net::Conn;
use gort_http::{Client, Request, ResponseWriter, Server, Transport};

/// Serves `h` on a loopback port; returns the base URL and the set of
/// peer addresses (one per client connection) the server saw.
fn serve(
    h: impl Fn(&mut dyn ResponseWriter, &mut Request) + Send + Sync + 'static,
) -> (String, Arc<Mutex<HashSet<String>>>) {
    let peers = Arc::new(Mutex::new(HashSet::new()));
    let p = peers.clone();
    let srv = Arc::new(Server {
        handler: Some(Arc::new(
            move |w: &mut dyn ResponseWriter, r: &mut Request| {
                p.lock().unwrap().insert(r.remote_addr.clone());
                h(w, r)
            },
        )),
        ..Default::default()
    });
    let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
    let base = format!("http://{}", ln.addr());
    gort::go!({
        let _ = srv.serve(ln);
    });
    (base, peers)
}

/// Echoes the body, the method and the `X-Id` header.
fn echo(w: &mut dyn ResponseWriter, r: &mut Request) {
    let mut body = Vec::new();
    r.body.read_to_end(&mut body).unwrap();
    w.header().set("X-Method", r.method.clone());
    w.header().set("X-Id", r.header.get("X-Id").to_string());
    w.header()
        .set("X-Auth", r.header.get("Authorization").to_string());
    w.write_all(&body).unwrap();
}

fn body_string(resp: &mut gort_http::Response) -> String {
    let mut s = String::new();
    resp.body.read_to_string(&mut s).unwrap();
    s
}

/// A fake server: for each connection, reads one request head and calls
/// `reply` with the connection.
fn fake(reply: impl Fn(&dyn Conn) + Send + Sync + 'static) -> String {
    let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
    let base = format!("http://{}", ln.addr());
    let reply = Arc::new(reply);
    gort::go!({
        while let Ok(conn) = ln.accept() {
            let reply = reply.clone();
            gort::go!({
                let _ = conn.set_deadline(Some(Instant::now() + Duration::from_secs(20)));
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match Conn::read(&*conn, &mut b) {
                        Ok(1) => head.push(b[0]),
                        _ => return,
                    }
                }
                reply(&*conn);
            });
        }
    });
    base
}

fn client_with(tr: Transport) -> Client {
    Client {
        transport: Some(Arc::new(tr)),
        ..Default::default()
    }
}

#[test]
fn get_and_post_against_gort_server() {
    gort::run(|| {
        let (base, _) = serve(echo);
        let c = Client::default();
        let mut resp = c.get(&format!("{base}/x")).unwrap();
        assert_eq!(resp.status_code, 200);
        assert_eq!(resp.status, "200 OK");
        assert_eq!(resp.proto, "HTTP/1.1");
        assert_eq!(resp.header.get("X-Method"), "GET");
        assert_eq!(body_string(&mut resp), "");
        let mut resp = c.post(&format!("{base}/x"), "text/plain", "hello").unwrap();
        assert_eq!(resp.header.get("X-Method"), "POST");
        assert_eq!(body_string(&mut resp), "hello");
        assert_eq!(resp.request.as_ref().unwrap().method, "POST");
        // A streamed body goes chunked.
        let req = Request::new(
            "PUT",
            &format!("{base}/x"),
            gort_http::Body::new(&b"streamed body"[..]),
        )
        .unwrap();
        let mut resp = c.send(req).unwrap();
        assert_eq!(body_string(&mut resp), "streamed body");
        let form: gort_http::url::Values = [("a", "1"), ("b", "x y")].into_iter().collect();
        let mut resp = gort_http::post_form(&format!("{base}/x"), &form).unwrap();
        assert_eq!(body_string(&mut resp), "a=1&b=x+y");
        let resp = gort_http::head(&format!("{base}/x")).unwrap();
        assert_eq!(resp.header.get("X-Method"), "HEAD");
    });
}

#[test]
fn sequential_requests_reuse_one_connection_and_an_unread_body_costs_one() {
    gort::run(|| {
        let (base, peers) = serve(|w, r| {
            if r.url.path == "/big" {
                w.write_all(&vec![b'x'; 256 << 10]).unwrap();
            } else {
                echo(w, r)
            }
        });
        let tr = Arc::new(Transport::default());
        let c = Client {
            transport: Some(tr.clone()),
            ..Default::default()
        };
        for i in 0..20 {
            let mut req = Request::new("POST", &format!("{base}/e"), format!("n{i}")).unwrap();
            req.header.set("X-Id", i.to_string());
            let mut resp = c.send(req).unwrap();
            assert_eq!(body_string(&mut resp), format!("n{i}"));
        }
        assert_eq!(peers.lock().unwrap().len(), 1);
        assert_eq!(tr.idle_conn_count(), 1);
        // Dropped unread: that connection closes, the next request dials.
        let resp = c.get(&format!("{base}/big")).unwrap();
        drop(resp);
        assert_eq!(tr.idle_conn_count(), 0);
        let mut resp = c.get(&format!("{base}/e")).unwrap();
        body_string(&mut resp);
        assert_eq!(peers.lock().unwrap().len(), 2);
        tr.close_idle_connections();
        assert_eq!(tr.idle_conn_count(), 0);
    });
}

#[test]
fn many_goroutines_share_two_connections() {
    const GOROUTINES: usize = 200;
    const REQUESTS: usize = 100;
    gort::run(|| {
        let (base, peers) = serve(echo);
        let tr = Arc::new(Transport {
            max_idle_conns_per_host: 2,
            max_conns_per_host: 2,
            ..Default::default()
        });
        let start = Instant::now();
        let mut handles = Vec::new();
        for g in 0..GOROUTINES {
            let tr = tr.clone();
            let base = base.clone();
            handles.push(gort::spawn(move || {
                let c = Client {
                    transport: Some(tr),
                    timeout: Some(Duration::from_secs(60)),
                    ..Default::default()
                };
                for i in 0..REQUESTS {
                    let id = format!("{g}-{i}");
                    let mut req = Request::new("POST", &format!("{base}/e"), id.clone()).unwrap();
                    req.header.set("X-Id", id.clone());
                    let mut resp = c.send(req).unwrap();
                    assert_eq!(resp.header.get("X-Id"), id);
                    assert_eq!(body_string(&mut resp), id);
                }
            }));
        }
        for h in handles {
            h.join().unwrap();
        }
        let n = peers.lock().unwrap().len();
        println!(
            "{} requests over {n} connections in {:?}",
            GOROUTINES * REQUESTS,
            start.elapsed()
        );
        assert!(n <= 2, "server saw {n} connections");
    });
}

#[test]
fn a_malformed_status_line_is_a_clear_error() {
    gort::run(|| {
        let base = fake(|c| {
            let _ = c.write_all(b"garbage\r\n\r\n");
            let _ = c.close();
        });
        let err = gort_http::get(&format!("{base}/")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "Get \"{base}/\": net/http: HTTP/1.x transport connection broken: malformed HTTP response \"garbage\""
            )
        );
        let base = fake(|c| {
            let _ = c.write_all(b"HTTP/1.1 99999 Huh\r\n\r\n");
        });
        let err = gort_http::get(&format!("{base}/")).unwrap_err();
        assert!(
            err.to_string()
                .ends_with(r#"malformed HTTP status code "99999""#),
            "{err}"
        );
    });
}

#[test]
fn a_content_length_longer_than_the_body_fails_with_unexpected_eof() {
    gort::run(|| {
        let base = fake(|c| {
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
            let _ = c.close();
        });
        let mut resp = gort_http::get(&format!("{base}/")).unwrap();
        let mut got = Vec::new();
        let err = resp.body.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.to_string(), "unexpected EOF");
        assert_eq!(got, b"only this");
    });
}

#[test]
fn a_content_length_shorter_than_the_body_cuts_it_and_the_conn_is_not_reused() {
    gort::run(|| {
        let base = fake(|c| {
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef");
        });
        let c = client_with(Transport::default());
        for _ in 0..3 {
            let mut resp = c.get(&format!("{base}/")).unwrap();
            assert_eq!(body_string(&mut resp), "abc");
        }
        assert_eq!(c.transport.as_ref().unwrap().idle_conn_count(), 0);
    });
}

#[test]
fn an_endless_header_is_cut_at_the_limit() {
    gort::run(|| {
        let base = fake(|c| {
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\n");
            let line = [b"X-Long: ".as_slice(), &[b'a'; 1000], b"\r\n"].concat();
            // Bounded: 8 MiB at most, or until the client hangs up.
            for _ in 0..8 << 10 {
                if c.write_all(&line).is_err() {
                    return;
                }
            }
        });
        let start = Instant::now();
        let err = gort_http::get(&format!("{base}/")).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("net/http: server response headers exceeded 1048576 bytes; aborted"),
            "{err}"
        );
        assert!(start.elapsed() < Duration::from_secs(10));
    });
}

#[test]
fn a_never_ending_chunked_body_stops_at_the_client_timeout() {
    gort::run(|| {
        let base = fake(|c| {
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            for _ in 0..200 {
                if c.write_all(b"5\r\nhello\r\n").is_err() {
                    return;
                }
                gort::time::sleep(Duration::from_millis(20));
            }
        });
        let c = Client {
            timeout: Some(Duration::from_millis(300)),
            ..Default::default()
        };
        let start = Instant::now();
        let mut resp = c.get(&format!("{base}/")).unwrap();
        let mut got = Vec::new();
        let err = resp.body.read_to_end(&mut got).unwrap_err();
        assert!(!got.is_empty());
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(
            err.to_string(),
            "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
        );
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
    });
}

#[test]
fn a_close_mid_body_fails_with_unexpected_eof() {
    gort::run(|| {
        let base = fake(|c| {
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
            let _ = c.close();
        });
        let mut resp = gort_http::get(&format!("{base}/")).unwrap();
        let err = resp.body.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        // And a server that hangs up before any reply.
        let base = fake(|c| {
            let _ = c.close();
        });
        let err = gort_http::get(&format!("{base}/")).unwrap_err();
        assert_eq!(err.to_string(), format!("Get \"{base}/\": EOF"));
    });
}

#[test]
fn redirects_follow_go_rules() {
    gort::run(|| {
        let (base, _) = serve(|w, r| match r.url.path.as_str() {
            "/301" => gort_http::redirect(w, r, "/echo", 301),
            "/307" => gort_http::redirect(w, r, "/echo", 307),
            "/other-host" => {
                let port = r.host.rsplit(':').next().unwrap().to_string();
                gort_http::redirect(w, r, &format!("http://localhost:{port}/echo"), 302)
            }
            p if p.starts_with("/loop/") => {
                let n: u32 = p[6..].parse().unwrap();
                gort_http::redirect(w, r, &format!("/loop/{}", n + 1), 302)
            }
            _ => echo(w, r),
        });
        let c = Client::default();
        // 301 turns a POST into a GET without body.
        let mut resp = c
            .post(&format!("{base}/301"), "text/plain", "data")
            .unwrap();
        assert_eq!(resp.header.get("X-Method"), "GET");
        assert_eq!(body_string(&mut resp), "");
        assert_eq!(resp.request.as_ref().unwrap().url.path, "/echo");
        // 307 keeps the method and the body.
        let mut resp = c
            .post(&format!("{base}/307"), "text/plain", "data")
            .unwrap();
        assert_eq!(resp.header.get("X-Method"), "POST");
        assert_eq!(body_string(&mut resp), "data");
        // ... unless the body cannot be replayed: the 307 is returned.
        let req = Request::new(
            "POST",
            &format!("{base}/307"),
            gort_http::Body::new(&b"stream"[..]),
        )
        .unwrap();
        let resp = c.send(req).unwrap();
        assert_eq!(resp.status_code, 307);
        // Ten redirects at most.
        let err = c.get(&format!("{base}/loop/0")).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Get "/loop/10": stopped after 10 redirects"#
        );
        // check_redirect may stop earlier, or ask for the redirect itself.
        let stop = Client {
            check_redirect: Some(Arc::new(|req: &Request, via: &[Request]| {
                assert_eq!(via.len(), 1);
                Err(std::io::Error::other(format!(
                    "no thanks: {}",
                    req.url.path
                )))
            })),
            ..Default::default()
        };
        let err = stop.get(&format!("{base}/loop/0")).unwrap_err();
        assert_eq!(err.to_string(), r#"Get "/loop/1": no thanks: /loop/1"#);
        let last = Client {
            check_redirect: Some(Arc::new(|_: &Request, _: &[Request]| {
                Err(gort_http::UseLastResponse.into())
            })),
            ..Default::default()
        };
        let resp = last.get(&format!("{base}/loop/0")).unwrap();
        assert_eq!(
            (resp.status_code, resp.header.get("Location")),
            (302, "/loop/1")
        );
        // Authorization goes along on the same host, not to another.
        let mut req = Request::new("GET", &format!("{base}/301"), ()).unwrap();
        req.header.set("Authorization", "secret");
        let resp = c.send(req).unwrap();
        assert_eq!(resp.header.get("X-Auth"), "secret");
        let mut req = Request::new("GET", &format!("{base}/other-host"), ()).unwrap();
        req.header.set("Authorization", "secret");
        let resp = c.send(req).unwrap();
        assert_eq!(resp.request.as_ref().unwrap().url.hostname(), "localhost");
        assert_eq!(resp.header.get("X-Auth"), "");
    });
}

#[test]
fn gzip_is_asked_for_and_decoded() {
    // Compressed here, on the test's thread: miniz_oxide's compressor
    // wants more stack than a goroutine's 256 KiB in a debug build.
    let text = "gophers and rustaceans ".repeat(500);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    gort::run(move || {
        let t = text.clone();
        let (base, _) = serve(move |w, r| {
            w.header().set(
                "X-Accept-Encoding",
                r.header.get("Accept-Encoding").to_string(),
            );
            if r.header.get("Accept-Encoding") == "gzip" {
                w.header().set("Content-Encoding", "gzip");
                w.write_all(&gz).unwrap();
            } else {
                w.write_all(t.as_bytes()).unwrap();
            }
        });
        let tr = Arc::new(Transport::default());
        let c = Client {
            transport: Some(tr.clone()),
            ..Default::default()
        };
        let mut resp = c.get(&format!("{base}/")).unwrap();
        assert_eq!(resp.header.get("X-Accept-Encoding"), "gzip");
        assert!(resp.uncompressed);
        assert!(!resp.header.has("Content-Encoding"));
        assert_eq!(resp.content_length, -1);
        assert_eq!(body_string(&mut resp), text);
        assert_eq!(tr.idle_conn_count(), 1);
        // Decoding fits in a spawned goroutine's stack.
        let (c2, url, want) = (c.clone(), format!("{base}/"), text.clone());
        gort::spawn(move || {
            let mut resp = c2.get(&url).unwrap();
            assert!(resp.uncompressed);
            assert_eq!(body_string(&mut resp), want);
        })
        .join()
        .unwrap();
        // A caller that sets Accept-Encoding gets the bytes as sent.
        let mut req = Request::new("GET", &format!("{base}/"), ()).unwrap();
        req.header.set("Accept-Encoding", "identity");
        let mut resp = c.send(req).unwrap();
        assert!(!resp.uncompressed);
        assert_eq!(body_string(&mut resp), text);
        let no_gzip = client_with(Transport {
            disable_compression: true,
            ..Default::default()
        });
        let resp = no_gzip.get(&format!("{base}/")).unwrap();
        assert_eq!(resp.header.get("X-Accept-Encoding"), "");
    });
}

/// A handler that answers only when released (or after 10 s).
fn slow_server() -> (String, gort::chan::Sender<()>) {
    let (release_tx, release_rx) = gort::chan::bounded::<()>(0);
    let (base, _) = serve(move |w, r| {
        if r.url.path == "/part" {
            w.write_all(b"first part").unwrap();
            w.flush().unwrap();
        }
        let rx = release_rx.clone();
        let timer = gort::time::after(Duration::from_secs(10));
        gort::select! {
            recv(rx) -> _ => {},
            recv(timer) -> _ => {},
        }
        let _ = w.write_all(b"late");
    });
    (base, release_tx)
}

#[test]
fn cancelling_the_context_stops_the_request_promptly() {
    gort::run(|| {
        let (base, release) = slow_server();
        let c = Client::default();
        // While waiting for the head.
        let (ctx, cancel) = context::with_cancel(&context::background());
        let req = Request::new_with_context(&ctx, "GET", &format!("{base}/wait"), ()).unwrap();
        let start = Instant::now();
        let canceller = gort::spawn(move || {
            gort::time::sleep(Duration::from_millis(100));
            cancel.cancel();
        });
        let err = c.send(req).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Get \"{base}/wait\": context canceled")
        );
        assert!(start.elapsed() < Duration::from_secs(3));
        canceller.join().unwrap();
        // While reading the body.
        let (ctx, cancel) = context::with_cancel(&context::background());
        let req = Request::new_with_context(&ctx, "GET", &format!("{base}/part"), ()).unwrap();
        let mut resp = c.send(req).unwrap();
        let mut buf = [0u8; 10];
        resp.body.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"first part");
        let start = Instant::now();
        let canceller = gort::spawn(move || {
            gort::time::sleep(Duration::from_millis(100));
            cancel.cancel();
        });
        let err = resp.body.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "context canceled");
        assert!(start.elapsed() < Duration::from_secs(3));
        canceller.join().unwrap();
        // Already cancelled: nothing is sent.
        let (ctx, cancel) = context::with_cancel(&context::background());
        cancel.cancel();
        let req = Request::new_with_context(&ctx, "GET", &format!("{base}/wait"), ()).unwrap();
        assert!(
            c.send(req)
                .unwrap_err()
                .to_string()
                .ends_with("context canceled")
        );
        release.close();
    });
}

#[test]
fn client_timeout_while_awaiting_headers() {
    gort::run(|| {
        let (base, release) = slow_server();
        let c = Client {
            timeout: Some(Duration::from_millis(200)),
            ..Default::default()
        };
        let start = Instant::now();
        let err = c.get(&format!("{base}/wait")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "Get \"{base}/wait\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
            )
        );
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(3));
        release.close();
    });
}

#[test]
fn response_header_timeout_and_scheme_errors() {
    gort::run(|| {
        let (base, release) = slow_server();
        let c = client_with(Transport {
            response_header_timeout: Some(Duration::from_millis(100)),
            ..Default::default()
        });
        let err = c.get(&format!("{base}/wait")).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("net/http: timeout awaiting response headers"),
            "{err}"
        );
        let err = c.get("https://127.0.0.1:1/").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Get "https://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused"#
        );
        let err = c.get("ftp://127.0.0.1/").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Get "ftp://127.0.0.1/": unsupported protocol scheme "ftp""#
        );
        release.close();
    });
}

#[test]
fn expect_100_continue_waits_for_the_server() {
    gort::run(|| {
        let (base, _) = serve(echo);
        let c = client_with(Transport {
            expect_continue_timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        });
        let mut req = Request::new("POST", &format!("{base}/e"), "body after 100").unwrap();
        req.header.set("Expect", "100-continue");
        let start = Instant::now();
        let mut resp = c.send(req).unwrap();
        assert_eq!(body_string(&mut resp), "body after 100");
        // The server said 100 Continue: no wait for the timeout.
        assert!(start.elapsed() < Duration::from_secs(4));
    });
}

/// Reads the first line a child prints on stdout.
fn first_line(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    line
}

#[test]
fn against_python_http_server() {
    let dir = std::env::temp_dir().join(format!("gort-client-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), "hello from a file\n").unwrap();
    let child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "0",
            "--directory",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("note: python3 not found; skipping the http.server test");
        return;
    };
    // "Serving HTTP on 127.0.0.1 port 45678 (http://127.0.0.1:45678/) ..."
    let line = first_line(&mut child);
    let port: u16 = line
        .split(" port ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let base = format!("http://127.0.0.1:{port}");
    let res = std::panic::catch_unwind(|| {
        gort::run(move || {
            let c = Client {
                timeout: Some(Duration::from_secs(10)),
                ..Default::default()
            };
            let mut resp = c.get(&format!("{base}/hello.txt")).unwrap();
            assert_eq!(resp.status_code, 200);
            assert!(resp.close, "HTTP/1.0 server");
            assert_eq!(resp.content_length, 18);
            assert_eq!(body_string(&mut resp), "hello from a file\n");
            let resp = c.head(&format!("{base}/hello.txt")).unwrap();
            assert_eq!(resp.content_length, 18);
            let mut resp = c.get(&format!("{base}/missing")).unwrap();
            assert_eq!(resp.status_code, 404);
            body_string(&mut resp);
        })
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    res.unwrap();
}

#[test]
fn against_go_net_http_server() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/client_go/main.go");
    let dir = std::env::temp_dir().join(format!("gort-client-go-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("server");
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(&src)
        .env("GO111MODULE", "off")
        .status();
    match built {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("go build failed: {s}"),
        Err(_) => {
            eprintln!("note: go not found; skipping the Go server test");
            return;
        }
    }
    let mut child = Command::new(&bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = first_line(&mut child).trim().to_string();
    let base = format!("http://{addr}");
    let res = std::panic::catch_unwind(|| {
        gort::run(move || {
            let tr = Arc::new(Transport::default());
            let c = Client {
                transport: Some(tr.clone()),
                timeout: Some(Duration::from_secs(10)),
                ..Default::default()
            };
            for i in 0..10 {
                let mut req =
                    Request::new("POST", &format!("{base}/echo"), format!("b{i}")).unwrap();
                req.header.set("X-Id", i.to_string());
                let mut resp = c.send(req).unwrap();
                assert_eq!(resp.header.get("X-Id"), i.to_string());
                assert_eq!(
                    resp.header.get("X-User-Agent"),
                    gort_http::DEFAULT_USER_AGENT
                );
                assert_eq!(body_string(&mut resp), format!("b{i}"));
            }
            assert_eq!(tr.idle_conn_count(), 1);
            let mut resp = c.get(&format!("{base}/chunked")).unwrap();
            assert_eq!(resp.transfer_encoding, ["chunked"]);
            assert_eq!(
                body_string(&mut resp),
                "part 0\npart 1\npart 2\npart 3\npart 4\n"
            );
            let mut resp = c.get(&format!("{base}/gzip")).unwrap();
            assert!(resp.uncompressed);
            assert_eq!(body_string(&mut resp), "gophers ".repeat(1000));
            let mut resp = c
                .post(&format!("{base}/redirect"), "text/plain", "again")
                .unwrap();
            assert_eq!(resp.header.get("X-Method"), "POST");
            assert_eq!(body_string(&mut resp), "again");
            // Still one connection: every body was read to its end.
            assert_eq!(tr.idle_conn_count(), 1);
        })
    });
    drop(child.stdin.take());
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    res.unwrap();
}
