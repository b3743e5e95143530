//! The tokio + hyper 1 HTTP server that `cargo xtask bench` measures gort's
//! `net/http` against: hyper's HTTP/1.1 connection (`http1::Builder`, its
//! defaults: keep-alive on, a `Date` header on every response) on tokio's
//! multi-thread runtime, a task per connection, `TCP_NODELAY` on (as Go and
//! gort set it on every TCP connection).
//!
//! ```text
//! hyper_http [--addr ADDR | ADDR]
//! ```
//!
//! ADDR defaults to 127.0.0.1:0. It serves
//!
//! * `GET /plaintext`: 200, `Content-Type: text/plain`, body `Hello, World!`;
//! * `GET /json`: 200, `Content-Type: application/json`, body
//!   `{"message":"Hello, World!"}`, serialized with serde_json per request;
//!
//! HEAD as GET, 405 for another method on those paths and 404 for any other
//! path (as Go's `ServeMux` with `GET /plaintext` patterns replies). The first stdout line
//! is `listening on ADDR`; then it serves until killed, printing nothing per
//! request.

use std::convert::Infallible;
use std::io::Write;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;

/// The `/json` body.
#[derive(Serialize)]
struct Message {
    message: &'static str,
}

fn main() -> ExitCode {
    let mut addr = "127.0.0.1:0".to_string();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--addr" => match it.next() {
                Some(v) => addr = v,
                None => return usage("--addr needs a value"),
            },
            s if s.starts_with('-') => return usage(&format!("unknown flag {s:?}")),
            s => addr = s.to_string(),
        }
    }
    raise_nofile_limit();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hyper_http: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(&addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hyper_http: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("hyper_http: {msg}");
    eprintln!("usage: hyper_http [--addr HOST:PORT | HOST:PORT]");
    ExitCode::FAILURE
}

/// Raises the soft limit on open files to the hard limit, as Go's runtime
/// does for every Go program at start-up (see tokio_echo). A failure is
/// reported and otherwise ignored.
fn raise_nofile_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        eprintln!(
            "hyper_http: getrlimit(RLIMIT_NOFILE): {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit, read by setrlimit only.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            eprintln!(
                "hyper_http: setrlimit(RLIMIT_NOFILE): {}",
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
                let _ = conn.set_nodelay(true);
                tokio::spawn(async move {
                    // A client that goes away mid-request is not news.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(conn), service_fn(route))
                        .await;
                });
            }
            // Out of descriptors, say: pause, then keep serving the others
            // (as Go's http.Server does after a temporary accept error).
            Err(e) => {
                eprintln!("hyper_http: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
}

/// One request's response.
async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (content_type, body) = match req.uri().path() {
        "/plaintext" => ("text/plain", Bytes::from_static(b"Hello, World!")),
        "/json" => {
            let body = serde_json::to_vec(&Message {
                message: "Hello, World!",
            })
            .expect("a struct of one string serializes");
            ("application/json", Bytes::from(body))
        }
        _ => return Ok(status(StatusCode::NOT_FOUND)),
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = status(StatusCode::METHOD_NOT_ALLOWED);
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(r);
    }
    let mut r = Response::new(Full::new(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(r)
}

/// An empty response with `code`.
fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}
