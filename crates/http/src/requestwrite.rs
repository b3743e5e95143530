//! Mirrors Go src/net/http/request.go (NewRequest and Request.write, with transfer.go's transferWriter: building a client request and writing it to a connection) (go1.27).
//!
//! [`Request::new`] is Go's `NewRequest`: it checks the method, parses the
//! URL, sets the host, and, for a body whose bytes it is given (a
//! `Vec<u8>`, `String`, `&str` or `&[u8]`), the content length and a
//! `get_body` that can replay it, as Go does for `bytes.Reader` and
//! `strings.Reader`. Any other [`Body`] has an unknown length and is sent
//! chunked.
//!
//! Writing follows Go's `Request.write`: the request line with the URL's
//! request URI, `Host`, a default `User-Agent` (`gort-http-client/1.1`, in
//! place of Go's `Go-http-client/1.1`; a header that sets `User-Agent` to
//! `""` sends none), the framing fields, the caller's header sorted, the
//! transport's extra fields, then the body: exactly `content_length` bytes
//! (a body of another length is an error, as in Go) or the chunked coding.
//! The head and the body are written separately, so the transport can wait
//! for `100 Continue` between them.

use std::fmt;
use std::io::{self, Read, Write};
use std::sync::Arc;

use gort_runtime::context::{self, Context};

use crate::chunked::ChunkedWriter;
use crate::header::Header;
use crate::method::valid_method;
use crate::request::Request;
use crate::textproto::{valid_header_field_name, valid_header_field_value};
use crate::transfer::Body;
use crate::url;

/// The `User-Agent` a client request carries unless its header sets one
/// (Go sends `Go-http-client/1.1`).
pub const DEFAULT_USER_AGENT: &str = "gort-http-client/1.1";

/// Makes a fresh copy of a request body (Go's `Request.GetBody`).
#[derive(Clone)]
pub struct GetBody(pub Arc<dyn Fn() -> io::Result<Body> + Send + Sync>);

impl GetBody {
    /// Wraps `f`.
    pub fn new(f: impl Fn() -> io::Result<Body> + Send + Sync + 'static) -> GetBody {
        GetBody(Arc::new(f))
    }

    /// A fresh copy of the body.
    pub fn call(&self) -> io::Result<Body> {
        (self.0)()
    }
}

impl fmt::Debug for GetBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GetBody")
    }
}

/// What [`Request::new`] accepts as a body: anything that becomes a
/// [`Body`], with its length (-1 when unknown) and a way to replay it.
pub trait IntoRequestBody {
    /// The body, its length (-1 when unknown), and a replay function if the
    /// bytes are at hand.
    fn into_request_body(self) -> (Body, i64, Option<GetBody>);
}

/// A cursor over shared bytes: the body of a request made from bytes, and
/// of each replay of it.
struct SharedBytes {
    data: Arc<[u8]>,
    pos: usize,
}

impl Read for SharedBytes {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.data[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

fn bytes_body(data: Arc<[u8]>) -> (Body, i64, Option<GetBody>) {
    let n = data.len() as i64;
    if n == 0 {
        return (Body::empty(), 0, Some(GetBody::new(|| Ok(Body::empty()))));
    }
    let again = data.clone();
    let get = GetBody::new(move || {
        Ok(Body::new(SharedBytes {
            data: again.clone(),
            pos: 0,
        }))
    });
    (Body::new(SharedBytes { data, pos: 0 }), n, Some(get))
}

impl IntoRequestBody for Vec<u8> {
    fn into_request_body(self) -> (Body, i64, Option<GetBody>) {
        bytes_body(self.into())
    }
}

impl IntoRequestBody for &[u8] {
    fn into_request_body(self) -> (Body, i64, Option<GetBody>) {
        bytes_body(self.into())
    }
}

impl<const N: usize> IntoRequestBody for &[u8; N] {
    fn into_request_body(self) -> (Body, i64, Option<GetBody>) {
        bytes_body(self[..].into())
    }
}

impl IntoRequestBody for String {
    fn into_request_body(self) -> (Body, i64, Option<GetBody>) {
        bytes_body(self.into_bytes().into())
    }
}

impl IntoRequestBody for &str {
    fn into_request_body(self) -> (Body, i64, Option<GetBody>) {
        bytes_body(self.as_bytes().into())
    }
}

impl IntoRequestBody for () {
    fn into_request_body(self) -> (Body, i64, Option<GetBody>) {
        (Body::empty(), 0, None)
    }
}

impl IntoRequestBody for Body {
    /// A streamed body: unknown length (sent chunked), not replayable;
    /// the empty body is length 0.
    fn into_request_body(self) -> (Body, i64, Option<GetBody>) {
        if self.is_empty() {
            (self, 0, Some(GetBody::new(|| Ok(Body::empty()))))
        } else {
            (self, -1, None)
        }
    }
}

impl Request {
    /// A client request for `method` (`""` is GET) on `url`, with `body`
    /// (Go's `NewRequest`): `()` for none, bytes or a string for a body of
    /// known length that redirects can replay, or a [`Body`] to stream.
    ///
    /// ```
    /// let r = gort_http::Request::new("POST", "http://example.com:8080/a?b=1", "x=1").unwrap();
    /// assert_eq!((r.host.as_str(), r.content_length), ("example.com:8080", 3));
    /// assert!(r.get_body.is_some());
    /// let err = gort_http::Request::new("BAD METHOD", "http://x/", ()).unwrap_err();
    /// assert_eq!(err.to_string(), r#"net/http: invalid method "BAD METHOD""#);
    /// ```
    #[doc(alias = "NewRequest")]
    pub fn new(method: &str, url: &str, body: impl IntoRequestBody) -> io::Result<Request> {
        Request::new_with_context(&context::background(), method, url, body)
    }

    /// [`Request::new`] under a context (Go's `NewRequestWithContext`):
    /// cancelling `ctx` cancels the request wherever it is, dialing,
    /// writing, waiting for the response or reading its body.
    #[doc(alias = "NewRequestWithContext")]
    pub fn new_with_context(
        ctx: &Context,
        method: &str,
        raw_url: &str,
        body: impl IntoRequestBody,
    ) -> io::Result<Request> {
        let method = if method.is_empty() { "GET" } else { method };
        if !valid_method(method) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("net/http: invalid method {}", url::go_quote(method)),
            ));
        }
        let mut u = url::parse(raw_url)?;
        // Go's removeEmptyPort: "host:" is "host".
        if u.host.ends_with(':') {
            u.host.pop();
        }
        let (body, content_length, get_body) = body.into_request_body();
        let mut req = Request {
            method: method.to_string(),
            host: u.host.clone(),
            url: u,
            proto: "HTTP/1.1".into(),
            proto_major: 1,
            proto_minor: 1,
            header: Header::new(),
            body,
            content_length,
            get_body,
            ..Request::default()
        };
        req.set_context(ctx.clone());
        Ok(req)
    }

    /// Whether the request can be sent again: its body is empty or can be
    /// replayed, and its method is idempotent or it carries an
    /// `Idempotency-Key` (Go's `isReplayable`).
    pub(crate) fn is_replayable(&self) -> bool {
        (self.body.is_empty() || self.get_body.is_some())
            && (matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE")
                || self.header.has_c("Idempotency-Key")
                || self.header.has_c("X-Idempotency-Key"))
    }

    /// Whether the request asks to close the connection after it.
    pub(crate) fn wants_close(&self) -> bool {
        self.close
            || self
                .header
                .values_c("Connection")
                .iter()
                .any(|v| crate::request::has_token(v, "close"))
    }
}

/// How the body goes after the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyPlan {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(i64),
    /// The chunked coding.
    Chunked,
}

/// Checks a client request's header fields (the checks of Go's
/// `Transport.roundTrip`).
pub(crate) fn validate_header(h: &Header) -> io::Result<()> {
    for (k, vs) in h.iter() {
        if !valid_header_field_name(k) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "net/http: invalid header field name {}",
                    url::go_quote(k.as_bytes())
                ),
            ));
        }
        if vs.iter().any(|v| !valid_header_field_value(v)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "net/http: invalid header field value for {}",
                    url::go_quote(k.as_bytes())
                ),
            ));
        }
    }
    Ok(())
}

/// Writes the request head (Go's `Request.write` up to the body), with
/// `extra` fields from the transport after the caller's. Returns how the
/// body must follow.
pub(crate) fn write_head(
    req: &mut Request,
    w: &mut dyn Write,
    extra: &[(&str, &str)],
) -> io::Result<BodyPlan> {
    let host = if req.host.is_empty() {
        req.url.host.as_str()
    } else {
        req.host.as_str()
    };
    if host.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "http: no Host in request URL",
        ));
    }
    // Go's cleanHost: everything from the first space or slash is dropped.
    let host = host
        .split([' ', '/', '\r', '\n', '\t'])
        .next()
        .unwrap_or("");
    let ruri = if req.method == "CONNECT" && req.url.path.is_empty() {
        host.to_string()
    } else {
        req.url.request_uri()
    };
    write!(w, "{} {} HTTP/1.1\r\nHost: {host}\r\n", req.method, ruri)?;
    if !req.header.has_c("User-Agent") {
        write!(w, "User-Agent: {DEFAULT_USER_AGENT}\r\n")?;
    } else if !req.header.get_c("User-Agent").is_empty() {
        write!(w, "User-Agent: {}\r\n", req.header.get_c("User-Agent"))?;
    }

    // Go's transferWriter for a request.
    let has_body = !req.body.is_empty() && req.content_length != 0;
    let plan = if !has_body {
        BodyPlan::None
    } else if req.content_length > 0 {
        BodyPlan::Length(req.content_length)
    } else {
        BodyPlan::Chunked
    };
    if req.close && !req.header.has_c("Connection") {
        w.write_all(b"Connection: close\r\n")?;
    }
    match plan {
        BodyPlan::Length(n) => write!(w, "Content-Length: {n}\r\n")?,
        BodyPlan::Chunked => w.write_all(b"Transfer-Encoding: chunked\r\n")?,
        // Go sends "Content-Length: 0" for the methods that expect a body.
        BodyPlan::None if matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") => {
            w.write_all(b"Content-Length: 0\r\n")?
        }
        BodyPlan::None => {}
    }
    req.header.write_subset(
        w,
        &[
            "Host",
            "User-Agent",
            "Content-Length",
            "Transfer-Encoding",
            "Trailer",
        ],
    )?;
    for (k, v) in extra {
        write!(w, "{k}: {v}\r\n")?;
    }
    w.write_all(b"\r\n")?;
    Ok(plan)
}

/// Writes the body as `plan` says (Go's `transferWriter.writeBody`),
/// taking it out of `req`.
pub(crate) fn write_body(req: &mut Request, w: &mut dyn Write, plan: BodyPlan) -> io::Result<()> {
    let mut body = std::mem::take(&mut req.body);
    match plan {
        BodyPlan::None => Ok(()),
        BodyPlan::Length(n) => {
            let copied = io::copy(&mut (&mut body).take(n as u64), w)?;
            // One byte more tells a longer body from an exact one.
            let mut probe = [0u8; 1];
            let extra = if copied == n as u64 {
                body.read(&mut probe)?
            } else {
                0
            };
            if copied != n as u64 || extra != 0 {
                let total = copied + extra as u64 + io::copy(&mut body, &mut io::sink())?;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("http: ContentLength={n} with Body length {total}"),
                ));
            }
            Ok(())
        }
        BodyPlan::Chunked => {
            let mut cw = ChunkedWriter::new(w);
            io::copy(&mut body, &mut cw)?;
            cw.close()?;
            cw.get_mut().write_all(b"\r\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(mut req: Request, extra: &[(&str, &str)]) -> String {
        let mut out = Vec::new();
        let plan = write_head(&mut req, &mut out, extra).unwrap();
        write_body(&mut req, &mut out, plan).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_gets_and_posts_as_go_does() {
        let r = Request::new("GET", "http://example.com/a%20b?q=1#frag", ()).unwrap();
        assert_eq!(
            written(r, &[("Accept-Encoding", "gzip")]),
            "GET /a%20b?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: gort-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n"
        );
        let mut r = Request::new("POST", "http://h:81/", "abc").unwrap();
        r.header.set("Content-Type", "text/plain");
        r.header.set("User-Agent", "");
        assert_eq!(
            written(r, &[]),
            "POST / HTTP/1.1\r\nHost: h:81\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nabc"
        );
        let r = Request::new("PUT", "http://h/", ()).unwrap();
        assert!(written(r, &[]).contains("Content-Length: 0\r\n"));
        let r = Request::new("PUT", "http://h/", Body::new(&b"streamed"[..])).unwrap();
        assert!(
            written(r, &[])
                .ends_with("Transfer-Encoding: chunked\r\n\r\n8\r\nstreamed\r\n0\r\n\r\n")
        );
    }

    #[test]
    fn a_body_of_the_wrong_length_fails() {
        for (declared, actual) in [(5, "abc"), (2, "abc")] {
            let mut r = Request::new("POST", "http://h/", actual).unwrap();
            r.content_length = declared;
            let mut out = Vec::new();
            let plan = write_head(&mut r, &mut out, &[]).unwrap();
            let err = write_body(&mut r, &mut out, plan).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("http: ContentLength={declared} with Body length 3")
            );
        }
    }

    #[test]
    fn new_request_checks() {
        assert!(Request::new("GET", "http://[::1", ()).is_err());
        let r = Request::new("", "http://h:/x", ()).unwrap();
        assert_eq!((r.method.as_str(), r.host.as_str()), ("GET", "h"));
        let r = Request::new("POST", "http://h/", vec![1, 2, 3]).unwrap();
        let mut again = Vec::new();
        r.get_body
            .unwrap()
            .call()
            .unwrap()
            .read_to_end(&mut again)
            .unwrap();
        assert_eq!(again, [1, 2, 3]);
    }
}
