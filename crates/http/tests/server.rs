//! The server over loopback with a raw client: framing, keep-alive, error
//! replies, Expect, hijacking, panics, timeouts and shutdown.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gort::net::Conn;
use gort_http::{Request, ResponseWriter, Server};

/// One response as the client read it.
#[derive(Debug)]
struct Resp {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, key: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(key).then(|| v.trim())
        })
    }
}

/// Reads one response off `r` (`head_only` for a reply to HEAD).
fn read_resp(r: &mut BufReader<&dyn Conn>, head_only: bool) -> Option<Resp> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    let mut resp = Resp {
        status,
        head,
        body: Vec::new(),
    };
    if head_only || status == 304 || status == 204 || (100..200).contains(&status) {
        return Some(resp);
    }
    if let Some(cl) = resp.header("Content-Length") {
        let n: usize = cl.parse().ok()?;
        resp.body = vec![0; n];
        r.read_exact(&mut resp.body).ok()?;
    } else if resp.header("Transfer-Encoding") == Some("chunked") {
        // A plain decoder: size line, data, CRLF; then the trailer's end.
        loop {
            let mut line = String::new();
            r.read_line(&mut line).ok()?;
            let size = usize::from_str_radix(line.trim_end().split(';').next()?, 16).ok()?;
            if size == 0 {
                let mut end = String::new();
                r.read_line(&mut end).ok()?;
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).ok()?;
            resp.body.extend_from_slice(&chunk[..size]);
        }
    } else {
        r.read_to_end(&mut resp.body).ok()?;
    }
    Some(resp)
}

/// Whether the server closed the connection (the next read is EOF).
fn closed(r: &mut BufReader<&dyn Conn>) -> bool {
    let mut b = [0u8; 1];
    matches!(r.read(&mut b), Ok(0) | Err(_))
}

/// Serves `handler` on a loopback port; returns the server and address.
fn start(srv: Server) -> (Arc<Server>, String) {
    let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
    let addr = ln.addr().to_string();
    let srv = Arc::new(srv);
    let s = srv.clone();
    gort::go!({
        let _ = s.serve(ln);
    });
    (srv, addr)
}

fn with_handler(
    h: impl Fn(&mut dyn ResponseWriter, &mut Request) + Send + Sync + 'static,
) -> Server {
    Server {
        handler: Some(Arc::new(h)),
        ..Default::default()
    }
}

fn echo_handler() -> Server {
    with_handler(|w, r| {
        let mut body = Vec::new();
        let res = r.body.read_to_end(&mut body);
        w.header().set("X-Method", r.method.clone());
        w.header().set("X-Path", r.url.path.clone());
        match res {
            Ok(_) => {
                w.write_all(&body).unwrap();
            }
            Err(e) => gort_http::error(w, &e.to_string(), 400),
        }
    })
}

#[test]
fn keep_alive_get_post_and_chunked_bodies() {
    gort::run(|| {
        let (_srv, addr) = start(echo_handler());
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        conn.write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("X-Path"), Some("/a"));
        assert_eq!(resp.header("Content-Length"), Some("0"));
        assert!(resp.header("Date").is_some());

        conn.write_all(b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.body, b"hello");
        assert_eq!(
            resp.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );

        conn.write_all(
            b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nTrailer: 1\r\n\r\n",
        )
        .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.body, b"abcde");

        // Pipelined: two requests in one write, two replies in order.
        conn.write_all(b"GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(
            read_resp(&mut r, false).unwrap().header("X-Path"),
            Some("/p1")
        );
        assert_eq!(
            read_resp(&mut r, false).unwrap().header("X-Path"),
            Some("/p2")
        );

        conn.write_all(b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.header("Connection"), Some("close"));
        assert!(closed(&mut r));
    });
}

#[test]
fn long_replies_are_chunked_on_1_1_and_closed_on_1_0() {
    gort::run(|| {
        let (_srv, addr) = start(with_handler(|w, _r| {
            for i in 0..1000 {
                writeln!(w, "line {i}").unwrap();
            }
        }));
        let want: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.header("Transfer-Encoding"), Some("chunked"));
        assert_eq!(resp.body, want.as_bytes());
        // HEAD: no body, and the connection stays usable.
        conn.write_all(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let resp = read_resp(&mut r, true).unwrap();
        eprintln!("C {:?}", resp.head);
        assert_eq!(resp.status, 200);
        conn.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert!(resp.head.starts_with("HTTP/1.0 200 OK"));
        assert_eq!(resp.header("Transfer-Encoding"), None);
        assert_eq!(resp.body, want.as_bytes());
    });
}

#[test]
fn http_1_0_keep_alive_with_a_length() {
    gort::run(|| {
        let (_srv, addr) = start(echo_handler());
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        conn.write_all(b"GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.header("Connection"), Some("keep-alive"));
        conn.write_all(b"GET /k2 HTTP/1.0\r\n\r\n").unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.header("X-Path"), Some("/k2"));
        assert!(closed(&mut r));
    });
}

/// Sends `raw` on a fresh connection; returns the reply and whether the
/// server closed the connection after it.
fn exchange(addr: &str, raw: &[u8]) -> (Resp, bool) {
    let conn = gort::net::dial("tcp", addr).unwrap();
    conn.set_deadline(Some(std::time::Instant::now() + Duration::from_secs(10)))
        .unwrap();
    let mut r = BufReader::new(&*conn);
    conn.write_all(raw).unwrap();
    let resp = read_resp(&mut r, false).expect("a reply");
    let closed = closed(&mut r);
    (resp, closed)
}

#[test]
fn malformed_requests_get_go_replies_and_a_close() {
    gort::run(|| {
        let (_srv, addr) = start(echo_handler());
        let rows: &[(&[u8], u16, &str)] = &[
            (
                b"GET / HTTP/1.1\r\n\r\n",
                400,
                "400 Bad Request: missing required Host header",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                400,
                "400 Bad Request",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
                400,
                "400 Bad Request: malformed Host header",
            ),
            (b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "400 Bad Request"),
            (
                b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
                505,
                "505 HTTP Version Not Supported: unsupported protocol version",
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
                501,
                "Unsupported transfer encoding",
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                400,
                "400 Bad Request",
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
                400,
                "400 Bad Request",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
                400,
                "400 Bad Request",
            ),
        ];
        for (raw, status, body) in rows {
            let (resp, closed) = exchange(&addr, raw);
            let what = String::from_utf8_lossy(raw);
            assert_eq!(resp.status, *status, "{what}");
            assert_eq!(String::from_utf8_lossy(&resp.body), *body, "{what}");
            assert!(closed, "{what}");
        }
    });
}

#[test]
fn oversized_heads_get_431() {
    gort::run(|| {
        let (_srv, addr) = start(Server {
            max_header_bytes: 4096,
            ..echo_handler()
        });
        let raw = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "y".repeat(10_000)
        );
        let (resp, closed) = exchange(&addr, raw.as_bytes());
        assert_eq!(resp.status, 431);
        assert!(closed);
        // Within the limit is fine.
        let raw = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\nConnection: close\r\n\r\n",
            "y".repeat(3000)
        );
        assert_eq!(exchange(&addr, raw.as_bytes()).0.status, 200);
    });
}

#[test]
fn content_length_with_chunked_is_read_chunked_then_the_conn_closes() {
    gort::run(|| {
        let (_srv, addr) = start(echo_handler());
        // A smuggling attempt: a front end that framed by Content-Length
        // would see "GET /smuggled" as a second request.
        let raw = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
        let (resp, closed) = exchange(&addr, raw);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"");
        assert_eq!(resp.header("Connection"), Some("close"));
        assert!(closed);
    });
}

#[test]
fn expect_100_continue_is_sent_on_the_first_body_read() {
    gort::run(|| {
        let (_srv, addr) = start(echo_handler());
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        conn.write_all(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
        let cont = read_resp(&mut r, false).unwrap();
        assert_eq!(cont.status, 100);
        conn.write_all(b"abc").unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.body, b"abc");

        // A handler that does not read: no 100, and the connection closes.
        let (_srv2, addr2) = start(with_handler(|w, _r| {
            w.write_all(b"no").unwrap();
        }));
        let (resp, closed) = exchange(
            &addr2,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
        );
        assert_eq!(resp.status, 200);
        assert!(closed);

        let (resp, closed) = exchange(
            &addr,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: something\r\n\r\nabc",
        );
        assert_eq!(resp.status, 417);
        assert!(closed);
    });
}

#[test]
fn unread_bodies_are_drained_up_to_256k() {
    gort::run(|| {
        let (_srv, addr) = start(with_handler(|w, _r| {
            w.write_all(b"ignored your body").unwrap();
        }));
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        let small = vec![b'x'; 1000];
        conn.write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n")
            .unwrap();
        conn.write_all(&small).unwrap();
        assert_eq!(read_resp(&mut r, false).unwrap().status, 200);
        conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        assert_eq!(read_resp(&mut r, false).unwrap().status, 200, "reused");

        // 1 MiB declared and not read: answered, then closed.
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        conn.write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n")
            .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.header("Connection"), Some("close"));
        assert!(closed(&mut r));
    });
}

#[test]
fn a_panicking_handler_closes_its_connection_and_the_server_goes_on() {
    gort::run(|| {
        let (_srv, addr) = start(with_handler(|w, r| {
            if r.url.path == "/panic" {
                panic!("boom");
            }
            if r.url.path == "/abort" {
                std::panic::panic_any(gort_http::AbortHandler);
            }
            w.write_all(b"fine").unwrap();
        }));
        for path in ["/panic", "/abort"] {
            let conn = gort::net::dial("tcp", &addr).unwrap();
            let mut r = BufReader::new(&*conn);
            conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
                .unwrap();
            assert!(
                read_resp(&mut r, false).is_none(),
                "{path}: no reply, closed"
            );
        }
        let (resp, _) = exchange(
            &addr,
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(resp.body, b"fine");
    });
}

#[test]
fn hijack_hands_over_the_connection_and_buffered_bytes() {
    gort::run(|| {
        let (_srv, addr) = start(with_handler(|w, _r| {
            let h = w.hijack().unwrap();
            h.conn
                .write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
                .unwrap();
            h.conn.write_all(&h.buffered).unwrap();
            let mut b = [0u8; 64];
            let n = h.conn.read(&mut b).unwrap();
            h.conn.write_all(&b[..n]).unwrap();
            h.conn.close().unwrap();
        }));
        let conn = gort::net::dial("tcp", &addr).unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nearly")
            .unwrap();
        let mut r = BufReader::new(&*conn);
        let resp = read_resp(&mut r, true).unwrap();
        assert_eq!(resp.status, 101);
        let mut early = [0u8; 5];
        r.read_exact(&mut early).unwrap();
        assert_eq!(&early, b"early");
        conn.write_all(b"late").unwrap();
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"late");
    });
}

#[test]
fn read_header_timeout_cuts_off_a_slow_client() {
    gort::run(|| {
        let (_srv, addr) = start(Server {
            read_header_timeout: Some(Duration::from_millis(200)),
            ..echo_handler()
        });
        let conn = gort::net::dial("tcp", &addr).unwrap();
        conn.set_deadline(Some(std::time::Instant::now() + Duration::from_secs(10)))
            .unwrap();
        // Half a head, then silence: the server gives up and closes.
        conn.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
        let mut r = BufReader::new(&*conn);
        assert!(read_resp(&mut r, false).is_none());
    });
}

#[test]
fn shutdown_waits_for_the_active_request_and_closes_idle_ones() {
    gort::run(|| {
        let (entered_tx, entered_rx) = gort::chan::bounded::<()>(1);
        let (release_tx, release_rx) = gort::chan::bounded::<()>(1);
        let served = Arc::new(AtomicUsize::new(0));
        let served2 = served.clone();
        let (srv, addr) = start(with_handler(move |w, r| {
            if r.url.path == "/slow" {
                entered_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            }
            served2.fetch_add(1, Ordering::SeqCst);
            w.write_all(b"done").unwrap();
        }));
        // An idle keep-alive connection.
        let idle = gort::net::dial("tcp", &addr).unwrap();
        let mut idle_r = BufReader::new(&*idle);
        idle.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        read_resp(&mut idle_r, false).unwrap();
        // An active one.
        let active = gort::net::dial("tcp", &addr).unwrap();
        active
            .write_all(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        entered_rx.recv().unwrap();

        let s = srv.clone();
        let shut = gort::spawn(move || s.shutdown(&gort::context::background()));
        // The idle connection is closed while the active one is served.
        assert!(closed(&mut idle_r));
        assert!(gort::net::dial("tcp", &addr).is_err(), "listener closed");
        release_tx.send(()).unwrap();
        let mut r = BufReader::new(&*active);
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.body, b"done");
        assert_eq!(resp.header("Connection"), Some("close"));
        shut.join().unwrap().unwrap();
        assert_eq!(served.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn shutdown_returns_the_context_error_when_it_expires() {
    gort::run(|| {
        let (entered_tx, entered_rx) = gort::chan::bounded::<()>(1);
        let (srv, addr) = start(with_handler(move |_w, _r| {
            entered_tx.send(()).unwrap();
            gort::time::sleep(Duration::from_secs(3600));
        }));
        let active = gort::net::dial("tcp", &addr).unwrap();
        active
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        entered_rx.recv().unwrap();
        let (ctx, _cancel) =
            gort::context::with_timeout(&gort::context::background(), Duration::from_millis(50));
        let err = srv.shutdown(&ctx).unwrap_err();
        assert_eq!(err.to_string(), "context deadline exceeded");
        srv.close().unwrap();
    });
}

#[test]
fn the_request_context_is_cancelled_when_the_handler_returns() {
    gort::run(|| {
        let (done_tx, done_rx) = gort::chan::bounded::<Option<gort::context::ContextError>>(1);
        let (_srv, addr) = start(with_handler(move |w, r| {
            let ctx = r.context();
            assert_eq!(ctx.err(), None, "live while the handler runs");
            let done_tx = done_tx.clone();
            gort::go!({
                ctx.done().recv();
                let _ = done_tx.send(ctx.err());
            });
            w.write_all(b"ok").unwrap();
        }));
        let (resp, _) = exchange(
            &addr,
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(resp.body, b"ok");
        assert_eq!(
            done_rx.recv().unwrap(),
            Some(gort::context::ContextError::Canceled)
        );
    });
}

#[test]
fn a_body_past_max_bytes_reader_gets_its_reply_then_the_conn_closes() {
    gort::run(|| {
        let (_srv, addr) = start(with_handler(|w, r| {
            let body = std::mem::take(&mut r.body);
            r.body = gort_http::max_bytes_reader(body, 10);
            let mut got = Vec::new();
            match r.body.read_to_end(&mut got) {
                Ok(_) => w.write_all(&got).unwrap(),
                Err(e) => gort_http::error(w, &e.to_string(), 413),
            }
        }));
        let mut raw = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n".to_vec();
        raw.extend_from_slice(&[b'x'; 100]);
        let (resp, closed) = exchange(&addr, &raw);
        assert_eq!(resp.status, 413);
        assert_eq!(resp.body, b"http: request body too large\n");
        assert_eq!(resp.header("Connection"), Some("close"));
        assert!(closed);
        // Within the limit, the connection is kept.
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        conn.write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd")
            .unwrap();
        assert_eq!(read_resp(&mut r, false).unwrap().body, b"abcd");
        conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        assert_eq!(read_resp(&mut r, false).unwrap().status, 200);
    });
}

#[test]
fn options_star_is_answered_by_the_server() {
    gort::run(|| {
        // The handler would say 500; Go's globalOptionsHandler answers.
        let (_srv, addr) = start(with_handler(|w, _r| w.write_header(500)));
        let conn = gort::net::dial("tcp", &addr).unwrap();
        let mut r = BufReader::new(&*conn);
        conn.write_all(b"OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap();
        let resp = read_resp(&mut r, false).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("Content-Length"), Some("0"));
        // The connection stays usable.
        conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        assert_eq!(read_resp(&mut r, false).unwrap().status, 500);
        // A body over 4 KiB is not read: the connection closes.
        let raw = format!(
            "OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n{}",
            "o".repeat(5000)
        );
        let (resp, closed) = exchange(&addr, raw.as_bytes());
        assert_eq!(resp.status, 200);
        assert!(closed);
        // Another method with `*` goes to the handler.
        let (resp, _) = exchange(
            &addr,
            b"GET * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(resp.status, 500);
    });
}

#[test]
fn the_connection_closes_after_a_connect_even_refused() {
    gort::run(|| {
        let (_srv, addr) = start(with_handler(|w, _r| w.write_header(405)));
        let (resp, closed) = exchange(
            &addr,
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        );
        assert_eq!(resp.status, 405);
        assert_eq!(resp.header("Connection"), Some("close"));
        assert!(closed);
    });
}
