//! Mirrors Go src/net/http/response.go (go1.27): `Response`, and reading one from a connection (`ReadResponse`), with the response side of `readTransfer`.
//!
//! A response head is read out of the connection's buffered reader without
//! consuming anything until it is complete, so a read that times out (the
//! transport's wait for `100 Continue`) can be resumed. The status line is
//! parsed by hand with Go's rules and errors (`malformed HTTP response`,
//! `malformed HTTP status code`, `malformed HTTP version`); the header
//! block is tokenized by `httparse`. The head is bounded: past the limit
//! (1 MiB unless the transport says otherwise, where Go's transport allows
//! 10 MiB) the read fails with Go's `server response headers exceeded`
//! message instead of buffering without end.
//!
//! The body's framing follows RFC 9112 as Go's `readTransfer` does for a
//! response: none for HEAD, 1xx, 204 and 304; chunked (decoded by
//! `chunked.rs`) over `Content-Length`; otherwise the body runs until the
//! server closes, and the connection is not reused. A body stops exactly
//! at its end, so the bytes after it are the next response's.

use std::fmt;
use std::io::{self, Read};

use crate::bufio;
use crate::chunked::ChunkedState;
use crate::header::Header;
use crate::request::{Request, has_token};
use crate::textproto::{canonical_mime_header_key, trim_string};
use crate::transfer::{Body, parse_content_length, read_trailer};
use crate::url::{self, URL};

/// The response to an HTTP request (Go's `http.Response`).
///
/// The body must be read to its end (or dropped) by the caller: a body read
/// to EOF hands its connection back to the transport's pool; a body dropped
/// early closes its connection.
#[derive(Debug, Default)]
pub struct Response {
    /// The status line's code and reason, `"200 OK"`.
    pub status: String,
    /// The status code, `200`.
    pub status_code: u16,
    /// The protocol, `"HTTP/1.1"`.
    pub proto: String,
    /// The major protocol version.
    pub proto_major: u8,
    /// The minor protocol version.
    pub proto_minor: u8,
    /// The header fields, keys canonical.
    pub header: Header,
    /// The body; empty when the response has none.
    pub body: Body,
    /// The body's length, -1 when unknown (chunked, or read until close).
    /// For a response to HEAD, the `Content-Length` the server sent.
    pub content_length: i64,
    /// The transfer codings, outermost first (`["chunked"]` or empty).
    pub transfer_encoding: Vec<String>,
    /// Whether the server closes the connection after this response.
    pub close: bool,
    /// Whether the body was gzip-compressed on the wire and the transport
    /// decoded it (`Content-Encoding` and `Content-Length` are then
    /// removed from the header).
    pub uncompressed: bool,
    /// The request this answers, body already sent (the last request of a
    /// redirect chain, for [`Client`](crate::Client)).
    pub request: Option<Box<Request>>,
}

impl Response {
    /// Whether the response is at least HTTP/`major`.`minor`.
    #[doc(alias = "ProtoAtLeast")]
    pub fn proto_at_least(&self, major: u8, minor: u8) -> bool {
        self.proto_major > major || (self.proto_major == major && self.proto_minor >= minor)
    }

    /// The `Location` header resolved against the request's URL (Go's
    /// `Response.Location`); `http: no Location header in response` when
    /// there is none.
    pub fn location(&self) -> io::Result<URL> {
        let lv = self.header.get("Location");
        if lv.is_empty() {
            return Err(io::Error::other("http: no Location header in response"));
        }
        match &self.request {
            Some(r) => Ok(r.url.parse(lv)?),
            None => Ok(url::parse(lv)?),
        }
    }
}

/// How a response body is framed.
#[derive(Debug)]
pub(crate) enum RespFraming {
    /// No body.
    None,
    /// `Content-Length`: this many bytes are left.
    Length(u64),
    /// The chunked coding.
    Chunked(ChunkedState),
    /// Until the server closes the connection.
    UntilClose,
}

/// Why a response head could not be read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The connection ended, failed or timed out before any byte of the
    /// response arrived: on a reused connection, the request may be retried
    /// (Go's `errServerClosedIdle` and `nothingWrittenError` cases).
    NothingRead(io::Error),
    /// Anything else.
    Other(io::Error),
}

impl HeadError {
    pub(crate) fn into_io(self) -> io::Error {
        match self {
            HeadError::NothingRead(e) | HeadError::Other(e) => e,
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::NothingRead(e) | HeadError::Other(e) => e.fmt(f),
        }
    }
}

/// The head size a response is read to when nobody said otherwise: 1 MiB,
/// the server's own default. Go's transport allows 10 MiB
/// (`Transport.MaxResponseHeaderBytes`); a 1 MiB head is already far past
/// anything real, and the buffer grows to the limit before failing.
pub const DEFAULT_MAX_RESPONSE_HEADER_BYTES: usize = 1 << 20;

/// How many header fields are parsed without a heap allocation.
const INLINE_HEADERS: usize = 32;

fn bad_string(what: &str, val: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what} {}", url::go_quote(val.as_bytes())),
    )
}

/// Go's `unexpected EOF` (`io.ErrUnexpectedEOF`).
pub(crate) fn unexpected_eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected EOF")
}

/// Go's `ParseHTTPVersion`: `HTTP/1.0`, `HTTP/1.1`, or any `HTTP/D.D`.
fn parse_http_version(v: &str) -> Option<(u8, u8)> {
    match v {
        "HTTP/1.1" => return Some((1, 1)),
        "HTTP/1.0" => return Some((1, 0)),
        _ => {}
    }
    let b = v.as_bytes();
    if b.len() != 8 || !v.starts_with("HTTP/") || b[6] != b'.' {
        return None;
    }
    if !b[5].is_ascii_digit() || !b[7].is_ascii_digit() {
        return None;
    }
    Some((b[5] - b'0', b[7] - b'0'))
}

/// Parses the status line `line` (without its line break) into the
/// response's first fields, with Go's checks and messages.
fn parse_status_line(line: &str, resp: &mut Response) -> io::Result<()> {
    let Some((proto, status)) = line.split_once(' ') else {
        return Err(bad_string("malformed HTTP response", line));
    };
    resp.proto = proto.to_string();
    resp.status = status.trim_start_matches(' ').to_string();
    let code = resp.status.split(' ').next().unwrap_or("");
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_string("malformed HTTP status code", code));
    }
    resp.status_code = code.parse().expect("three digits");
    let Some((major, minor)) = parse_http_version(proto) else {
        return Err(bad_string("malformed HTTP version", proto));
    };
    resp.proto_major = major;
    resp.proto_minor = minor;
    Ok(())
}

/// Tries to parse a complete head out of `buf`: `Ok(None)` when more bytes
/// are needed, else the response and the head's length.
fn parse_head(buf: &[u8]) -> io::Result<Option<(Response, usize)>> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let mut line = &buf[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    let line = String::from_utf8_lossy(line);
    let mut resp = Response::default();
    parse_status_line(&line, &mut resp)?;
    let rest = &buf[nl + 1..];

    let mut inline = [httparse::EMPTY_HEADER; INLINE_HEADERS];
    let mut heap;
    let mut parsed = httparse::parse_headers(rest, &mut inline);
    let fields: &[httparse::Header<'_>] = match parsed {
        Err(httparse::Error::TooManyHeaders) => {
            let lines = rest.iter().filter(|&&b| b == b'\n').count();
            heap = vec![httparse::EMPTY_HEADER; lines + 1];
            parsed = httparse::parse_headers(rest, &mut heap);
            match parsed {
                Ok(httparse::Status::Complete((_, f))) => f,
                _ => &[],
            }
        }
        Ok(httparse::Status::Complete((_, f))) => f,
        _ => &[],
    };
    let len = match parsed {
        Ok(httparse::Status::Complete((n, _))) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("malformed MIME header: {e}"),
            ));
        }
    };
    for f in fields {
        let key = canonical_mime_header_key(f.name);
        let value = String::from_utf8_lossy(f.value).into_owned();
        resp.header.insert_raw(key, value);
    }
    Ok(Some((resp, nl + 1 + len)))
}

/// Reads one response head from `rd` (Go's `ReadResponse` up to the body),
/// at most `limit` bytes of it, and decides its body's framing for a
/// request with `method` (Go's `readTransfer`). Nothing is consumed until
/// the head is complete. The body is left in `rd`.
pub(crate) fn read_response_head<R: Read>(
    rd: &mut bufio::Reader<R>,
    method: &str,
    limit: usize,
) -> Result<(Response, RespFraming), HeadError> {
    let limit = limit.max(bufio::DEFAULT_BUF_SIZE);
    loop {
        match parse_head(rd.buffer()) {
            Ok(Some((mut resp, len))) => {
                rd.consume(len);
                let framing = response_framing(&mut resp, method).map_err(HeadError::Other)?;
                return Ok((resp, framing));
            }
            Ok(None) => {}
            Err(e) => return Err(HeadError::Other(e)),
        }
        if rd.buffered() >= limit {
            return Err(HeadError::Other(too_large(limit)));
        }
        match rd.fill_up_to(limit) {
            Ok(0) if rd.buffered() == 0 => {
                return Err(HeadError::NothingRead(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "EOF",
                )));
            }
            Ok(0) if rd.buffered() >= limit => return Err(HeadError::Other(too_large(limit))),
            Ok(0) => return Err(HeadError::Other(unexpected_eof())),
            Ok(_) => {}
            Err(e) if rd.buffered() == 0 => return Err(HeadError::NothingRead(e)),
            Err(e) => return Err(HeadError::Other(e)),
        }
    }
}

fn too_large(limit: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("net/http: server response headers exceeded {limit} bytes; aborted"),
    )
}

/// Go's `shouldClose` for a response, removing a `Connection: close` as Go
/// does.
fn should_close(resp: &mut Response) -> bool {
    if resp.proto_major < 1 {
        return true;
    }
    let conv = resp.header.values_c("Connection");
    let has_close = conv.iter().any(|v| has_token(v, "close"));
    if resp.proto_major == 1 && resp.proto_minor == 0 {
        return has_close || !conv.iter().any(|v| has_token(v, "keep-alive"));
    }
    if has_close {
        resp.header.del_c("Connection");
    }
    has_close
}

/// Decides a response body's framing from its head (the response side of
/// Go's `readTransfer` and `fixLength`), setting `content_length`,
/// `transfer_encoding` and `close`.
fn response_framing(resp: &mut Response, method: &str) -> io::Result<RespFraming> {
    resp.close = should_close(resp);
    if resp.header.values_c("Pragma").first().map(String::as_str) == Some("no-cache")
        && !resp.header.has_c("Cache-Control")
    {
        resp.header.set("Cache-Control", "no-cache");
    }

    // Transfer-Encoding: only a single "chunked", and only from HTTP/1.1.
    let mut chunked = false;
    let te = resp.header.values_c("Transfer-Encoding").to_vec();
    if !te.is_empty() {
        resp.header.del_c("Transfer-Encoding");
        if resp.proto_at_least(1, 1) {
            if te.len() != 1 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("too many transfer encodings: {te:?}"),
                ));
            }
            if !te[0].eq_ignore_ascii_case("chunked") {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unsupported transfer encoding: {:?}", te[0]),
                ));
            }
            chunked = true;
        }
    }

    // Content-Length: duplicates must agree.
    let lens = resp.header.values_c("Content-Length").to_vec();
    let mut n = -1i64;
    if !lens.is_empty() {
        let first = trim_string(&lens[0]).to_string();
        if lens[1..].iter().any(|v| trim_string(v) != first) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "http: message cannot contain multiple Content-Length headers; got {lens:?}"
                ),
            ));
        }
        if lens.len() > 1 {
            resp.header.set("Content-Length", first.clone());
        }
        n = parse_content_length(&first)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    }

    let no_body = method == "HEAD"
        || (100..200).contains(&resp.status_code)
        || resp.status_code == 204
        || resp.status_code == 304;
    if no_body {
        // A HEAD response's Content-Length says what a GET would carry.
        resp.content_length = if method == "HEAD" { n } else { 0 };
        if chunked && method != "HEAD" {
            resp.transfer_encoding = vec!["chunked".into()];
        }
        return Ok(RespFraming::None);
    }
    if chunked {
        resp.header.del_c("Content-Length");
        resp.content_length = -1;
        resp.transfer_encoding = vec!["chunked".into()];
        return Ok(RespFraming::Chunked(ChunkedState::default()));
    }
    if n >= 0 {
        resp.content_length = n;
        return Ok(if n == 0 {
            RespFraming::None
        } else {
            RespFraming::Length(n as u64)
        });
    }
    // Neither: the body runs until the server closes.
    resp.content_length = -1;
    resp.close = true;
    Ok(RespFraming::UntilClose)
}

/// Reads body bytes framed by `framing` from `rd` into `buf`. Returns the
/// count and whether the body has ended (possibly together with the last
/// bytes, so a caller reading exactly the body still learns it ended).
pub(crate) fn read_body<R: Read>(
    rd: &mut bufio::Reader<R>,
    framing: &mut RespFraming,
    buf: &mut [u8],
) -> io::Result<(usize, bool)> {
    if buf.is_empty() {
        return Ok((0, matches!(framing, RespFraming::None)));
    }
    match framing {
        RespFraming::None => Ok((0, true)),
        RespFraming::Length(left) => {
            let want = (buf.len() as u64).min(*left) as usize;
            match rd.read(&mut buf[..want])? {
                0 => Err(unexpected_eof()),
                n => {
                    *left -= n as u64;
                    let done = *left == 0;
                    if done {
                        *framing = RespFraming::None;
                    }
                    Ok((n, done))
                }
            }
        }
        RespFraming::Chunked(ch) => {
            let n = ch.read(rd, buf)?;
            if ch.done() {
                read_trailer(rd)?;
                *framing = RespFraming::None;
                return Ok((n, true));
            }
            if n == 0 {
                return Err(unexpected_eof());
            }
            Ok((n, false))
        }
        RespFraming::UntilClose => {
            let n = rd.read(buf)?;
            if n == 0 {
                *framing = RespFraming::None;
            }
            Ok((n, n == 0))
        }
    }
}

/// The body of a response read by [`read_response`]: it owns the buffered
/// reader.
struct ReaderBody<R> {
    rd: bufio::Reader<R>,
    framing: RespFraming,
    failed: Option<(io::ErrorKind, String)>,
}

impl<R: Read> Read for ReaderBody<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        match read_body(&mut self.rd, &mut self.framing, buf) {
            Ok((n, _)) => Ok(n),
            Err(e) => {
                self.failed = Some((e.kind(), e.to_string()));
                Err(e)
            }
        }
    }
}

/// Reads an HTTP/1.x response from `r`, answering a request with `method`
/// (Go's `ReadResponse`; `""` is taken as GET). The head is bounded by
/// [`DEFAULT_MAX_RESPONSE_HEADER_BYTES`]; the body reads from `r` through
/// the same buffer and ends at the response's end. Unlike Go's, `r` is
/// owned by the body, so bytes after this response are not reachable.
///
/// ```
/// use std::io::Read;
/// let raw = &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA"[..];
/// let mut resp = gort_http::read_response(raw, "GET").unwrap();
/// assert_eq!((resp.status_code, resp.status.as_str()), (200, "200 OK"));
/// let mut body = String::new();
/// resp.body.read_to_string(&mut body).unwrap();
/// assert_eq!(body, "hello");
///
/// let err = gort_http::read_response(&b"HTTP/1.1 2000 OK\r\n\r\n"[..], "GET").unwrap_err();
/// assert_eq!(err.to_string(), r#"malformed HTTP status code "2000""#);
/// ```
#[doc(alias = "ReadResponse")]
pub fn read_response<R: Read + Send + 'static>(r: R, method: &str) -> io::Result<Response> {
    let method = if method.is_empty() { "GET" } else { method };
    let mut rd = bufio::Reader::new(r);
    let (mut resp, framing) = read_response_head(
        &mut rd,
        method,
        DEFAULT_MAX_RESPONSE_HEADER_BYTES,
    )
    .map_err(|e| match e {
        HeadError::NothingRead(e) if e.kind() == io::ErrorKind::UnexpectedEof => unexpected_eof(),
        e => e.into_io(),
    })?;
    if !matches!(framing, RespFraming::None) {
        resp.body = Body::new(ReaderBody {
            rd,
            framing,
            failed: None,
        });
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(raw: &'static [u8], method: &str) -> io::Result<(Response, Vec<u8>)> {
        let mut resp = read_response(raw, method)?;
        let mut body = Vec::new();
        resp.body.read_to_end(&mut body)?;
        Ok((resp, body))
    }

    #[test]
    fn status_line_errors_are_gos() {
        let e = |raw: &'static [u8]| read_response(raw, "GET").unwrap_err().to_string();
        assert_eq!(
            e(b"garbage\r\n\r\n"),
            r#"malformed HTTP response "garbage""#
        );
        assert_eq!(
            e(b"HTTP/1.1 20 OK\r\n\r\n"),
            r#"malformed HTTP status code "20""#
        );
        assert_eq!(
            e(b"HTTP/1.1 2x0 OK\r\n\r\n"),
            r#"malformed HTTP status code "2x0""#
        );
        assert_eq!(
            e(b"HTTP/x 200 OK\r\n\r\n"),
            r#"malformed HTTP version "HTTP/x""#
        );
        assert_eq!(e(b"HTTP/1.1 200 OK\r\nX-A: b"), "unexpected EOF");
        assert_eq!(e(b""), "unexpected EOF");
        assert!(e(b"HTTP/1.1 200 OK\r\nbad key: x\r\n\r\n").starts_with("malformed MIME header"));
    }

    #[test]
    fn status_without_reason() {
        let (r, _) = read_all(b"HTTP/1.0 404\r\n\r\n", "GET").unwrap();
        assert_eq!((r.status_code, r.status.as_str()), (404, "404"));
        assert!(r.close);
    }

    #[test]
    fn framing() {
        let (r, b) =
            read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", "GET").unwrap();
        assert_eq!((r.content_length, &b[..]), (3, &b"abc"[..]));
        let (r, b) = read_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "GET",
        )
        .unwrap();
        assert_eq!((r.content_length, &b[..]), (-1, &b"abc"[..]));
        assert_eq!(r.transfer_encoding, ["chunked"]);
        assert!(!r.header.has("Content-Length"));
        let (r, b) = read_all(b"HTTP/1.1 200 OK\r\n\r\nuntil close", "GET").unwrap();
        assert_eq!(
            (r.content_length, r.close, &b[..]),
            (-1, true, &b"until close"[..])
        );
        let (r, b) = read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD").unwrap();
        assert_eq!((r.content_length, b.len()), (10, 0));
        let (r, b) = read_all(
            b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nxx",
            "GET",
        )
        .unwrap();
        assert_eq!((r.content_length, b.len()), (0, 0));
        let (r, _) = read_all(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            "GET",
        )
        .unwrap();
        assert!(r.close);
        assert!(!r.header.has("Connection"));
    }

    #[test]
    fn bad_bodies_fail() {
        let err = read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "GET").unwrap_err();
        assert_eq!(err.to_string(), "unexpected EOF");
        let err = read_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            "GET",
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let err =
            read_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET").unwrap_err();
        assert_eq!(err.to_string(), r#"unsupported transfer encoding: "gzip""#);
        let err = read_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "GET",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("http: message cannot contain multiple Content-Length")
        );
        let err = read_all(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "GET").unwrap_err();
        assert_eq!(err.to_string(), r#"bad Content-Length "-1""#);
    }

    #[test]
    fn head_is_bounded() {
        let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
        raw.extend(std::iter::repeat_n(b'x', 8 << 10));
        let mut rd = bufio::Reader::new(&raw[..]);
        let err = read_response_head(&mut rd, "GET", 4096).unwrap_err();
        assert_eq!(
            err.to_string(),
            "net/http: server response headers exceeded 4096 bytes; aborted"
        );
    }

    #[test]
    fn many_fields() {
        let mut raw = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..100 {
            raw.push_str(&format!("X-{i}: {i}\r\n"));
        }
        raw.push_str("Content-Length: 0\r\n\r\n");
        let r = read_response(std::io::Cursor::new(raw.into_bytes()), "GET").unwrap();
        assert_eq!(r.header.len(), 101);
        assert_eq!(r.header.get("x-99"), "99");
    }
}
