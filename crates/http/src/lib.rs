//! Mirrors Go src/net/http/doc.go (go1.27), its package overview: gort-http is Go's `net/http` server side and `net/url`, on goroutines.
//!
//! A server is Go's: a [`Handler`] (any `Fn(&mut dyn ResponseWriter, &mut
//! Request)` closure) registered on a [`ServeMux`] with Go 1.22 patterns,
//! served by [`listen_and_serve`] or a configured [`Server`]. Each
//! connection is served by a goroutine of its own, running plain blocking
//! reads and writes; the runtime parks it on the netpoller while the client
//! is silent, so a handler is ordinary sequential code that may block.
//!
//! ```
//! use std::io::Read;
//! use std::sync::Arc;
//! use gort_http::{Request, ResponseWriter, ServeMux};
//!
//! gort::run(|| {
//!     let mux = ServeMux::new();
//!     mux.handle_func("GET /users/{id}", |w: &mut dyn ResponseWriter, r: &mut Request| {
//!         write!(w, "user {}", r.path_value("id")).unwrap();
//!     });
//!     let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
//!     let addr = ln.addr().to_string();
//!     gort::go!({
//!         let _ = gort_http::serve(ln, Some(Arc::new(mux)));
//!     });
//!
//!     let conn = gort::net::dial("tcp", &addr).unwrap();
//!     conn.write_all(b"GET /users/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
//!     let mut reply = String::new();
//!     (&*conn).read_to_string(&mut reply).unwrap();
//!     assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
//!     assert!(reply.ends_with("\r\n\r\nuser 7"));
//! });
//! ```
//!
//! The files follow Go's: `server.rs` (the serving loop and the response
//! writer), `request.rs` (reading a request head, forms), `transfer.rs`
//! (body framing), `chunked.rs` (`internal/chunked.go`), `header.rs`,
//! `servemux.rs` with `pattern.rs`, `routing_tree.rs` and
//! `routing_index.rs` (the mux), `fs.rs` (file serving), `sniff.rs`,
//! `status.rs`, `method.rs`, and `url.rs` (`net/url`). The request head is
//! tokenized by `httparse`; everything after it is Go's rules.
//!
//! TLS is Go's `crypto/tls` shape over rustls ([`tls`]): `Server::serve_tls`
//! and [`listen_and_serve_tls`] serve HTTPS, and the handshake parks the
//! connection's goroutine like any read.
//!
//! The client side is Go's too: a [`Client`] (redirects, a whole-exchange
//! timeout) over a pooling [`Transport`], in `client.rs`, `transport.rs`,
//! `response.rs` and `requestwrite.rs` (Go's `NewRequest` and
//! `Request.write`), dialing `https` URLs through [`tls`].
//!
//! Not built yet: HTTP/2, proxies, trailers (read and dropped), cookies,
//! multipart forms. The README lists every difference from Go's behaviour.

mod bufio;
mod chunked;
mod client;
mod fs;
mod header;
pub mod httptest;
mod method;
mod pattern;
mod request;
mod requestwrite;
mod response;
mod routing_index;
mod routing_tree;
mod servemux;
mod server;
mod sniff;
mod status;
mod textproto;
pub mod tls;
mod transfer;
mod transport;
pub mod url;

pub use chunked::{ChunkedError, ChunkedReader, ChunkedWriter};
pub use fs::{file_server, serve_content, serve_file};
pub use header::Header;
pub use method::*;
pub use request::{FormError, MaxBytesError, Request, max_bytes_reader};
pub use servemux::{
    ServeMux, default_serve_mux, handle, handle_func, redirect, redirect_handler, strip_prefix,
};
pub use server::listen_and_serve_tls;
pub use server::{
    AbortHandler, DEFAULT_MAX_HEADER_BYTES, Handler, Hijacked, ResponseWriter, Server,
    ServerClosed, ServerState, error, is_server_closed, listen_and_serve, not_found,
    not_found_handler, serve,
};
pub use sniff::detect_content_type;
pub use status::*;
pub use textproto::canonical_mime_header_key;
pub use transfer::Body;

pub use client::{
    CheckRedirect, Client, ClientError, UseLastResponse, default_client, get, head, post, post_form,
};
pub use requestwrite::{DEFAULT_USER_AGENT, GetBody, IntoRequestBody};
pub use response::{DEFAULT_MAX_RESPONSE_HEADER_BYTES, Response, read_response};
pub use transport::{
    DEFAULT_MAX_IDLE_CONNS_PER_HOST, Transport, TransportState, default_transport,
};

/// The handler a server with none serves: the default mux.
pub(crate) fn default_handler() -> std::sync::Arc<dyn Handler> {
    struct DefaultMux;
    impl Handler for DefaultMux {
        fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
            default_serve_mux().serve_http(w, r)
        }
    }
    static DEFAULT: std::sync::OnceLock<std::sync::Arc<dyn Handler>> = std::sync::OnceLock::new();
    DEFAULT
        .get_or_init(|| std::sync::Arc::new(DefaultMux))
        .clone()
}

/// Entry points for the fuzz targets in `fuzz/` (not part of the API).
#[doc(hidden)]
pub mod fuzzing {
    use std::io::Read;

    use crate::bufio;
    use crate::chunked::ChunkedState;
    use crate::request::read_request as read_head;
    use crate::transfer::{Framing, read_trailer};

    /// Reads `data` as the server reads a connection: request heads (at
    /// most 64 KiB each) and their bodies, until the input ends or a request
    /// is refused. Returns, per request read, its method, target and body.
    pub fn read_requests(data: &[u8]) -> Result<Vec<(String, String, Vec<u8>)>, String> {
        let mut rd = bufio::Reader::new(data);
        let mut out = Vec::new();
        for _ in 0..64 {
            let rr = match read_head(&mut rd, 64 << 10) {
                Ok(rr) => rr,
                Err(crate::request::ReadRequestError::Net(_)) => return Ok(out),
                Err(e) => return Err(e.to_string()),
            };
            let mut body = Vec::new();
            match rr.framing {
                None => {}
                Some(Framing::Length(n)) => {
                    (&mut rd)
                        .take(n)
                        .read_to_end(&mut body)
                        .map_err(|e| e.to_string())?;
                    if (body.len() as u64) < n {
                        return Err("unexpected EOF".into());
                    }
                }
                Some(Framing::Chunked(mut st)) => {
                    let mut buf = [0u8; 512];
                    loop {
                        let n = st.read(&mut rd, &mut buf).map_err(|e| e.to_string())?;
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&buf[..n]);
                    }
                    read_trailer(&mut rd).map_err(|e| e.to_string())?;
                }
            }
            out.push((rr.req.method, rr.req.request_uri, body));
        }
        Ok(out)
    }

    /// Decodes `data` as a chunked body with the server's decoder.
    pub fn read_chunked(data: &[u8]) -> Result<Vec<u8>, String> {
        let mut rd = bufio::Reader::new(data);
        let mut st = ChunkedState::default();
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            match st.read(&mut rd, &mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// Entry points for the fuzz targets in `fuzz/` (not part of the API):
/// the client side.
#[doc(hidden)]
pub mod fuzzing_client {
    use crate::bufio;
    use crate::response::{RespFraming, read_body, read_response_head};

    /// One response as the client read it: status code, content length,
    /// whether the connection closes after it, and its body.
    pub type ReadResponse = (u16, i64, bool, Vec<u8>);

    /// Reads `data` as the transport reads a kept-alive connection:
    /// response heads (at most 64 KiB each) and their bodies, answering
    /// requests of `method`, until the input ends, a response closes the
    /// connection, or one is refused.
    pub fn read_responses(data: &[u8], method: &str) -> Result<Vec<ReadResponse>, String> {
        let mut rd = bufio::Reader::new(data);
        let mut out = Vec::new();
        for _ in 0..64 {
            if rd.buffered() == 0 && rd.fill().map_err(|e| e.to_string())? == 0 {
                return Ok(out);
            }
            let (resp, mut framing) =
                read_response_head(&mut rd, method, 64 << 10).map_err(|e| e.to_string())?;
            let until_close = matches!(framing, RespFraming::UntilClose);
            let mut body = Vec::new();
            let mut buf = [0u8; 512];
            loop {
                let (n, done) =
                    read_body(&mut rd, &mut framing, &mut buf).map_err(|e| e.to_string())?;
                body.extend_from_slice(&buf[..n]);
                if done {
                    break;
                }
            }
            out.push((resp.status_code, resp.content_length, resp.close, body));
            if until_close {
                return Ok(out);
            }
        }
        Ok(out)
    }
}
