//! Mirrors Go src/net/http/httptest/recorder.go (go1.27): `ResponseRecorder`, a ResponseWriter that records what a handler wrote, and `new_request` (from httptest.go), a server request built without a connection.
//!
//! Together they test handlers in-process: build a request with
//! [`new_request`], pass it and a [`ResponseRecorder`] to the handler's
//! `serve_http`, then look at the recorded status, header and body. No
//! socket, no goroutine, no server loop.
//!
//! The recorder follows Go's: the status defaults to 200, the first write
//! sends the header (sniffing a `Content-Type` if none was set), and the
//! header as it was at that moment is what [`ResponseRecorder::result`]
//! reports, while [`ResponseRecorder::header_map`] keeps changing with the
//! handler's later edits. The sniffing is [`detect_content_type`], Go's
//! `DetectContentType`.

use std::io::{self, Write};

use crate::bufio;
use crate::header::Header;
use crate::request::{Request, read_request};
use crate::server::ResponseWriter;
use crate::sniff::detect_content_type;
use crate::status::status_text;
use crate::transfer::Body;

/// A [`ResponseWriter`] that records the response (Go's
/// `httptest.ResponseRecorder`).
///
/// ```
/// use std::io::Write;
/// use gort_http::ResponseWriter;
/// use gort_http::httptest::ResponseRecorder;
///
/// let mut w = ResponseRecorder::new();
/// w.header().set("X-Id", "7");
/// w.write_all(b"<html>hi</html>").unwrap();
/// w.header().set("X-Late", "ignored by result()");
/// let res = w.result();
/// assert_eq!(res.status_code, 200);
/// assert_eq!(res.header.get("Content-Type"), "text/html; charset=utf-8");
/// assert!(!res.header.has("X-Late"));
/// assert_eq!(res.body, b"<html>hi</html>");
/// ```
#[derive(Debug, Clone)]
pub struct ResponseRecorder {
    /// The status code from `write_header`; 200 until one is written.
    pub code: u16,
    /// The header the handler sees through [`ResponseWriter::header`],
    /// including changes made after the header was written.
    pub header_map: Header,
    /// The bytes written.
    pub body: Vec<u8>,
    /// Whether the handler called `flush`.
    pub flushed: bool,
    /// `header_map` as it was when the header was written.
    snap_header: Option<Header>,
    wrote_header: bool,
}

impl Default for ResponseRecorder {
    fn default() -> Self {
        ResponseRecorder::new()
    }
}

/// The response a [`ResponseRecorder`] recorded, as a client would see it
/// (what Go's `ResponseRecorder.Result` returns, reduced to its fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedResponse {
    /// The status code.
    pub status_code: u16,
    /// The status line's text, `"200 OK"`.
    pub status: String,
    /// The header as it was when it was written.
    pub header: Header,
    /// The body.
    pub body: Vec<u8>,
    /// The `Content-Length` header's value, -1 if absent or invalid.
    pub content_length: i64,
}

const ERR_BODY_NOT_ALLOWED: &str =
    "http: request method or response status code does not allow body";

impl ResponseRecorder {
    /// A recorder with status 200 and nothing written (Go's
    /// `httptest.NewRecorder`).
    pub fn new() -> ResponseRecorder {
        ResponseRecorder {
            code: 200,
            header_map: Header::new(),
            body: Vec::new(),
            flushed: false,
            snap_header: None,
            wrote_header: false,
        }
    }

    /// The body as text (invalid UTF-8 replaced), Go's `Body.String()`.
    pub fn body_string(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The recorded response (Go's `ResponseRecorder.Result`). Its header
    /// is the one written with the status, or the current one if the
    /// handler wrote nothing.
    pub fn result(&mut self) -> RecordedResponse {
        let header = self
            .snap_header
            .get_or_insert_with(|| self.header_map.clone())
            .clone();
        let status_code = if self.code == 0 { 200 } else { self.code };
        let content_length = {
            let cl = crate::textproto::trim_string(header.get("Content-Length"));
            cl.parse::<u64>()
                .ok()
                .filter(|&n| n <= i64::MAX as u64)
                .map_or(-1, |n| n as i64)
        };
        RecordedResponse {
            status_code,
            status: format!("{status_code:03} {}", status_text(status_code)),
            header,
            body: self.body.clone(),
            content_length,
        }
    }

    /// Writes the header before the first body bytes, sniffing a
    /// `Content-Type` from them if none is set.
    fn write_header_for(&mut self, first: &[u8]) {
        if self.wrote_header {
            return;
        }
        let has_type = self.header_map.has("Content-Type");
        let has_te = !self.header_map.get("Transfer-Encoding").is_empty();
        if !has_type && !has_te {
            let n = first.len().min(512);
            self.header_map
                .set("Content-Type", detect_content_type(&first[..n]));
        }
        self.write_header(200);
    }
}

fn body_allowed_for_status(code: u16) -> bool {
    !((100..=199).contains(&code) || code == 204 || code == 304)
}

impl Write for ResponseRecorder {
    /// Appends to the body, writing the header first if needed. As in
    /// Go, for a status without a body (1xx, 204, 304) the bytes are still
    /// recorded but the write fails.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_header_for(buf);
        self.body.extend_from_slice(buf);
        if !body_allowed_for_status(self.code) {
            return Err(io::Error::other(ERR_BODY_NOT_ALLOWED));
        }
        Ok(buf.len())
    }

    /// Go's `Flush`: writes the header with 200 if not yet written and
    /// sets `flushed`.
    fn flush(&mut self) -> io::Result<()> {
        if !self.wrote_header {
            self.write_header(200);
        }
        self.flushed = true;
        Ok(())
    }
}

impl ResponseWriter for ResponseRecorder {
    fn header(&mut self) -> &mut Header {
        &mut self.header_map
    }

    /// Records `code` and a snapshot of the header; later calls are
    /// ignored.
    ///
    /// # Panics
    ///
    /// If `code` is not a three-digit number, as Go's does.
    fn write_header(&mut self, code: u16) {
        if self.wrote_header {
            return;
        }
        assert!(
            (100..=999).contains(&code),
            "invalid WriteHeader code {code}"
        );
        self.code = code;
        self.wrote_header = true;
        self.snap_header = Some(self.header_map.clone());
    }
}

/// A server request for `method` and `target`, as a handler would get it
/// from the server (Go's `httptest.NewRequest`). `method` `""` means GET.
///
/// `target` is a request target: a path (`/a?b=c`), an absolute URL
/// (`http://host/a`, whose host becomes `host`), or for CONNECT an
/// authority (`host:443`). The request is HTTP/1.1, from
/// `192.0.2.1:1234`, for host `example.com` unless the target names one,
/// with `body` as its body.
///
/// Like Go's, it reads the request line `{method} {target}` with the
/// server's own parser, so the URL, `host` and `request_uri` are what a
/// server would make of that line.
///
/// # Panics
///
/// If `method` is not a valid method or `target` cannot be a request
/// target, as Go's does.
pub fn new_request(method: &str, target: &str, body: &[u8]) -> Request {
    let method = if method.is_empty() { "GET" } else { method };
    // Go reads the request from a synthetic HTTP/1.0 head, which needs no
    // Host field, and then makes it HTTP/1.1.
    let head = format!("{method} {target} HTTP/1.0\r\n\r\n");
    let mut rd = bufio::Reader::new(head.as_bytes());
    let mut req = match read_request(&mut rd, usize::MAX) {
        Ok(read) => read.req,
        Err(e) => panic!("invalid NewRequest arguments; {e}"),
    };
    req.proto = "HTTP/1.1".into();
    req.proto_minor = 1;
    req.close = false;
    if !body.is_empty() {
        req.body = Body::new(io::Cursor::new(body.to_vec()));
        req.content_length = body.len() as i64;
    }
    req.remote_addr = "192.0.2.1:1234".into();
    if req.host.is_empty() {
        req.host = "example.com".into();
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_request_like_go() {
        let r = new_request("", "/a%2Fb?x=1", b"hello");
        assert_eq!(r.method, "GET");
        assert_eq!(r.host, "example.com");
        assert_eq!(
            (r.url.path.as_str(), r.url.raw_path.as_str()),
            ("/a/b", "/a%2Fb")
        );
        assert_eq!(r.url.raw_query, "x=1");
        assert_eq!(
            (r.proto.as_str(), r.proto_major, r.proto_minor),
            ("HTTP/1.1", 1, 1)
        );
        assert_eq!(r.remote_addr, "192.0.2.1:1234");
        assert_eq!(r.request_uri, "/a%2Fb?x=1");
        assert_eq!(r.content_length, 5);
        let mut body = r.body;
        assert_eq!(io::read_to_string(&mut body).unwrap(), "hello");

        let r = new_request("POST", "http://example.com:9000/x/", b"");
        assert_eq!(r.host, "example.com:9000");
        assert_eq!(
            (
                r.url.scheme.as_str(),
                r.url.host.as_str(),
                r.url.path.as_str()
            ),
            ("http", "example.com:9000", "/x/")
        );

        let r = new_request("CONNECT", "example.com:443", b"");
        assert_eq!(
            (
                r.url.scheme.as_str(),
                r.url.host.as_str(),
                r.url.path.as_str()
            ),
            ("", "example.com:443", "")
        );
        assert_eq!(r.host, "example.com:443");

        let r = new_request("GET", "http://example.com", b"");
        assert_eq!(r.url.path, "");
    }

    #[test]
    #[should_panic(expected = "invalid NewRequest arguments")]
    fn new_request_rejects_a_bad_target() {
        new_request("GET", "no-slash", b"");
    }

    #[test]
    fn recorder_follows_go() {
        let mut w = ResponseRecorder::new();
        assert_eq!(w.code, 200);
        w.header().set("A", "1");
        w.write_header(201);
        w.header().set("B", "2");
        w.write_header(500); // ignored
        w.write_all(b"x").unwrap();
        assert_eq!(w.code, 201);
        let res = w.result();
        assert_eq!(res.status, "201 Created");
        assert!(res.header.has("A") && !res.header.has("B"));
        assert!(w.header_map.has("B"));
        assert!(
            !res.header.has("Content-Type"),
            "the header went out before the write"
        );

        let mut w = ResponseRecorder::new();
        w.write_all(b"plain words").unwrap();
        assert_eq!(
            w.header_map.get("Content-Type"),
            "text/plain; charset=utf-8"
        );
        let mut w = ResponseRecorder::new();
        w.write_all(b"\x00\x01").unwrap();
        assert_eq!(w.header_map.get("Content-Type"), "application/octet-stream");

        let mut w = ResponseRecorder::new();
        w.write_header(304);
        assert!(w.write(b"no").is_err());
        assert_eq!(w.body, b"no");

        let mut w = ResponseRecorder::new();
        w.flush().unwrap();
        assert!(w.flushed);
        assert_eq!(w.result().status_code, 200);
    }

    #[test]
    #[should_panic(expected = "invalid WriteHeader code 42")]
    fn recorder_rejects_a_bad_code() {
        ResponseRecorder::new().write_header(42);
    }
}
