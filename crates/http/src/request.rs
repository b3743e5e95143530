//! Mirrors Go src/net/http/request.go (go1.27): `Request`, reading one from a connection, and its forms.
//!
//! [`read_request`] turns the head of a request into a [`Request`]. The
//! request line and header fields are tokenized by `httparse` straight out
//! of the connection's buffer; Go's rules are then applied on top, in Go's
//! order: the method must be a token and the version `HTTP/1.x`; the target
//! must parse as a request URI (or, for CONNECT, an authority); keys are
//! canonicalized; at most one `Host` is allowed, and HTTP/1.1 requires one
//! (checked by the server); the body's framing is decided by `transfer.rs`.
//!
//! Where gort is stricter than Go it says so: a request that sends both
//! `Content-Length` and `Transfer-Encoding: chunked` is read as chunked, as
//! Go does, but the connection is closed after it (RFC 9112 §6.1), because
//! a proxy in front may have framed it by the length; and obsolete line
//! folding in a field is refused with 400 (RFC 9112 §5.2 allows either).

use std::io::{self, Read};

use gort_runtime::context::{self, Context};

use crate::bufio;
use crate::header::Header;
use crate::method::valid_method;
use crate::textproto::canonical_mime_header_key;
use crate::transfer::{Body, Framing, FramingError, request_framing};
use crate::url::{self, URL, Values};

/// An HTTP request received by a server (Go's `http.Request`).
///
/// The fields are public as Go's are; a handler gets `&mut Request` and may
/// read the body, parse forms and look at the path values its pattern
/// matched.
#[derive(Debug, Default)]
pub struct Request {
    /// The method (`GET`, `POST`, ...).
    pub method: String,
    /// The parsed request target. For a server request, `url.path` is
    /// decoded and `url.raw_query` is the query without the `?`.
    pub url: URL,
    /// The protocol version, `"HTTP/1.1"`.
    pub proto: String,
    /// The major protocol version (1).
    pub proto_major: u8,
    /// The minor protocol version (0 or 1).
    pub proto_minor: u8,
    /// The header fields, keys canonical. `Host` is moved to [`Request::host`].
    pub header: Header,
    /// The body; empty for a request without one.
    pub body: Body,
    /// The body's length, -1 when unknown (chunked).
    pub content_length: i64,
    /// The transfer codings, outermost first (`["chunked"]` or empty).
    pub transfer_encoding: Vec<String>,
    /// Whether the connection closes after this request (HTTP/1.0 without
    /// keep-alive, or `Connection: close`).
    pub close: bool,
    /// The host the request is for: the `Host` header or the host in an
    /// absolute request target.
    pub host: String,
    /// The parsed query and form body, after [`Request::parse_form`].
    pub form: Option<Values>,
    /// The parsed form body only, after [`Request::parse_form`].
    pub post_form: Option<Values>,
    /// The peer's address, `"ip:port"`.
    pub remote_addr: String,
    /// The unmodified request target from the request line.
    pub request_uri: String,
    /// The ServeMux pattern that matched, `""` if none did.
    pub pattern: String,
    /// For a client request, makes a fresh copy of the body, so the request
    /// can be sent again after a redirect (307, 308) or a lost connection
    /// (Go's `GetBody`); [`Request::new`] sets it for byte bodies.
    pub get_body: Option<crate::requestwrite::GetBody>,
    /// The wildcard names of the matched pattern and their values.
    pub(crate) path_values: Vec<(String, String)>,
    /// The context set by [`Request::set_context`], if any.
    pub(crate) ctx: Option<Context>,
    /// A server request's context, made on first use: most handlers never
    /// ask, and a cancellable context costs an allocation and a
    /// registration with its parent.
    pub(crate) server_ctx: Option<LazyContext>,
}

/// A child of `parent` created the first time it is asked for.
pub(crate) struct LazyContext {
    parent: Context,
    made: std::sync::OnceLock<(Context, context::CancelFunc)>,
}

impl LazyContext {
    pub(crate) fn new(parent: Context) -> LazyContext {
        LazyContext {
            parent,
            made: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> Context {
        self.made
            .get_or_init(|| context::with_cancel(&self.parent))
            .0
            .clone()
    }

    /// Cancels the context if it was made (the handler returned).
    pub(crate) fn cancel(&self) {
        if let Some((_, cancel)) = self.made.get() {
            cancel.cancel();
        }
    }
}

impl std::fmt::Debug for LazyContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LazyContext")
    }
}

impl Request {
    /// The value the wildcard `name` of the matched pattern took, `""` if
    /// there is no such wildcard (Go's `Request.PathValue`).
    pub fn path_value(&self, name: &str) -> &str {
        self.path_values
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Sets the value `path_value(name)` returns (Go's `Request.SetPathValue`).
    pub fn set_path_value(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.path_values.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.path_values.push((name.to_string(), value)),
        }
    }
}

impl Request {
    /// The request's context (Go's `Request.Context`): for a server request,
    /// cancelled when the server shuts down hard (`Server::close`) or the
    /// handler returns.
    pub fn context(&self) -> Context {
        match (&self.ctx, &self.server_ctx) {
            (Some(ctx), _) => ctx.clone(),
            (None, Some(lazy)) => lazy.get(),
            (None, None) => context::background(),
        }
    }

    /// Replaces the request's context (Go's `WithContext`, in place).
    pub fn set_context(&mut self, ctx: Context) {
        self.ctx = Some(ctx);
    }

    /// Whether the request is at least HTTP/`major`.`minor`.
    #[doc(alias = "ProtoAtLeast")]
    pub fn proto_at_least(&self, major: u8, minor: u8) -> bool {
        self.proto_major > major || (self.proto_major == major && self.proto_minor >= minor)
    }

    /// The `User-Agent` field.
    pub fn user_agent(&self) -> &str {
        self.header.get_c("User-Agent")
    }

    /// The `Referer` field.
    pub fn referer(&self) -> &str {
        self.header.get_c("Referer")
    }

    /// Whether the client asked for `100 Continue` (Go's `expectsContinue`).
    pub(crate) fn expects_continue(&self) -> bool {
        has_token(self.header.get_c("Expect"), "100-continue")
    }

    /// Whether an HTTP/1.0 client asked to keep the connection open.
    pub(crate) fn wants_http10_keep_alive(&self) -> bool {
        self.proto_major == 1
            && self.proto_minor == 0
            && self
                .header
                .values_c("Connection")
                .iter()
                .any(|v| has_token(v, "keep-alive"))
    }

    /// Parses the query string into [`Request::form`], and for POST, PUT
    /// and PATCH with an `application/x-www-form-urlencoded` body, the body
    /// into [`Request::post_form`] (also merged into `form`, body values
    /// first), as Go's `ParseForm`. A body over 10 MiB fails with
    /// `http: POST too large` unless the handler bounded it with
    /// [`max_bytes_reader`]. Calling it again does nothing.
    ///
    /// ```
    /// let mut r = gort_http::httptest::new_request("POST", "/search?q=go&page=2", b"q=rust");
    /// r.header.set("Content-Type", "application/x-www-form-urlencoded");
    /// r.parse_form().unwrap();
    /// assert_eq!(r.form_value("q"), "rust"); // the body's value comes first
    /// assert_eq!(r.form.as_ref().unwrap().get("page"), "2");
    /// assert_eq!(r.post_form_value("page"), "");
    /// ```
    #[doc(alias = "ParseForm")]
    pub fn parse_form(&mut self) -> Result<(), FormError> {
        let mut err = None;
        if self.post_form.is_none() {
            if matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") {
                match self.parse_post_form() {
                    Ok(v) => self.post_form = Some(v),
                    Err(e) => err = Some(e),
                }
            }
            self.post_form.get_or_insert_with(Values::default);
        }
        if self.form.is_none() {
            let mut form = self.post_form.clone().unwrap_or_default();
            match url::parse_query(&self.url.raw_query) {
                Ok(q) => merge_values(&mut form, q),
                Err(e) => {
                    // Go keeps the pairs that did parse.
                    err.get_or_insert(FormError::Query(e.to_string()));
                    let q = self.url.query();
                    merge_values(&mut form, q);
                }
            }
            self.form = Some(form);
        }
        err.map_or(Ok(()), Err)
    }

    fn parse_post_form(&mut self) -> Result<Values, FormError> {
        let ct = self.header.get_c("Content-Type");
        let ct = if ct.is_empty() {
            "application/octet-stream"
        } else {
            ct
        };
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media != "application/x-www-form-urlencoded" {
            return Ok(Values::default());
        }
        let bounded = self.body.is_max_bytes();
        let mut b = Vec::new();
        let res = if bounded {
            self.body.read_to_end(&mut b)
        } else {
            (&mut self.body).take(MAX_FORM_SIZE + 1).read_to_end(&mut b)
        };
        res.map_err(|e| FormError::Body(e.to_string()))?;
        if !bounded && b.len() as u64 > MAX_FORM_SIZE {
            return Err(FormError::TooLarge);
        }
        url::parse_query(&String::from_utf8_lossy(&b)).map_err(|e| FormError::Query(e.to_string()))
    }

    /// The first value of `key` in [`Request::form`], parsing the form first
    /// if needed; `""` when absent or unparsable (Go's `FormValue`).
    pub fn form_value(&mut self, key: &str) -> String {
        let _ = self.parse_form();
        self.form.as_ref().map_or("", |f| f.get(key)).to_string()
    }

    /// The first value of `key` in [`Request::post_form`] (Go's
    /// `PostFormValue`).
    pub fn post_form_value(&mut self, key: &str) -> String {
        let _ = self.parse_form();
        self.post_form
            .as_ref()
            .map_or("", |f| f.get(key))
            .to_string()
    }
}

/// The most a urlencoded form body is read to without a
/// [`max_bytes_reader`] (Go's 10 MB).
const MAX_FORM_SIZE: u64 = 10 << 20;

fn merge_values(dst: &mut Values, src: Values) {
    for (k, vs) in src.0 {
        for v in vs {
            dst.add(&k, &v);
        }
    }
}

/// Why [`Request::parse_form`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// The query or the body was not valid urlencoded data.
    Query(String),
    /// Reading the body failed.
    Body(String),
    /// The body was over 10 MiB.
    TooLarge,
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormError::Query(e) | FormError::Body(e) => f.write_str(e),
            FormError::TooLarge => f.write_str("http: POST too large"),
        }
    }
}

impl std::error::Error for FormError {}

/// Whether the comma-separated list `v` holds `token`, ignoring case and
/// spaces (Go's `httpguts.HeaderValuesContainsToken` for one value).
pub(crate) fn has_token(v: &str, token: &str) -> bool {
    v.split(',')
        .any(|t| t.trim_matches([' ', '\t']).eq_ignore_ascii_case(token))
}

/// A reader that fails once more than `n` bytes were read through it
/// (Go's `MaxBytesReader`): wrap a request body in it to bound what a
/// handler will read. Past the limit it returns [`MaxBytesError`], and the
/// server closes the connection after the response (first letting the
/// client read it), since the rest of the body is left unread.
///
/// ```
/// use std::io::Read;
/// let mut r = gort_http::httptest::new_request("POST", "/", b"0123456789");
/// let body = std::mem::take(&mut r.body);
/// r.body = gort_http::max_bytes_reader(body, 4);
/// let mut got = Vec::new();
/// let err = r.body.read_to_end(&mut got).unwrap_err();
/// assert_eq!(err.to_string(), "http: request body too large");
/// assert_eq!(got, b"0123");
/// ```
#[doc(alias = "MaxBytesReader")]
pub fn max_bytes_reader(body: Body, n: i64) -> Body {
    Body::max_bytes(MaxBytesReader {
        r: body,
        n: n.max(0),
        limit: n,
        failed: false,
    })
}

/// The reader behind [`max_bytes_reader`].
pub(crate) struct MaxBytesReader {
    r: Body,
    /// Bytes still allowed.
    n: i64,
    limit: i64,
    failed: bool,
}

impl MaxBytesReader {
    pub(crate) fn mark_too_large(&self) {
        self.r.mark_too_large();
    }
}

impl Read for MaxBytesReader {
    fn read(&mut self, p: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(MaxBytesError { limit: self.limit }.into());
        }
        if p.is_empty() {
            return Ok(0);
        }
        // One byte more than allowed, to tell "exactly n" from "more".
        let want = (p.len() as u64).min(self.n as u64 + 1) as usize;
        let got = self.r.read(&mut p[..want])?;
        if got as i64 <= self.n {
            self.n -= got as i64;
            return Ok(got);
        }
        let allowed = self.n as usize;
        self.n = 0;
        self.failed = true;
        self.r.mark_too_large();
        if allowed > 0 {
            return Ok(allowed);
        }
        Err(MaxBytesError { limit: self.limit }.into())
    }
}

/// A body read past the limit of [`max_bytes_reader`] (Go's
/// `MaxBytesError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxBytesError {
    /// The limit.
    pub limit: i64,
}

impl std::fmt::Display for MaxBytesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("http: request body too large")
    }
}

impl std::error::Error for MaxBytesError {}

impl From<MaxBytesError> for io::Error {
    fn from(e: MaxBytesError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// Why a request could not be read; each is answered differently by the
/// server (Go's error cases in `conn.serve`).
#[derive(Debug)]
pub(crate) enum ReadRequestError {
    /// The head is longer than `max_header_bytes`: 431.
    TooLarge,
    /// A transfer coding gort does not speak: 501.
    UnsupportedTe(String),
    /// The connection ended, failed or timed out between requests: no reply.
    Net(io::Error),
    /// A status with a reason, written as Go's `statusError` is.
    Status(u16, String),
    /// Malformed: `400 Bad Request` with no reason (Go's default case).
    Bad(String),
}

impl std::fmt::Display for ReadRequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadRequestError::TooLarge => f.write_str("request head too large"),
            ReadRequestError::UnsupportedTe(e) | ReadRequestError::Bad(e) => f.write_str(e),
            ReadRequestError::Net(e) => e.fmt(f),
            ReadRequestError::Status(code, text) => write!(f, "{code}: {text}"),
        }
    }
}

/// The most fields a request head, or a chunked body's trailer, may have;
/// more are answered with 431 (Go's `DefaultMaxHeaderValueCount`).
pub(crate) const MAX_HEADER_VALUE_COUNT: usize = 500;

/// How many header fields are parsed without a heap allocation.
const INLINE_HEADERS: usize = 48;

/// The result of reading a request head: the request, its body's framing,
/// and whether the connection must close after it because the framing was
/// ambiguous (both Content-Length and chunked).
pub(crate) struct ReadRequest {
    pub(crate) req: Request,
    pub(crate) framing: Option<Framing>,
    pub(crate) ambiguous_framing: bool,
}

// ANCHOR: readRequest
/// Reads one request head from `rd` (Go's `readRequest`), at most `limit`
/// bytes of it. The body is left in `rd`, to be read as `framing` says.
pub(crate) fn read_request<R: Read>(
    rd: &mut bufio::Reader<R>,
    limit: usize,
) -> Result<ReadRequest, ReadRequestError> {
    loop {
        match parse_head(rd.buffer()) {
            Ok(Some((mut parsed, len))) => {
                rd.consume(len);
                let framing = request_framing(&mut parsed.header, parsed.proto_minor);
                let (framing, content_length, ambiguous) = match framing {
                    Ok(f) => f,
                    Err(FramingError::UnsupportedTe(e)) => {
                        return Err(ReadRequestError::UnsupportedTe(e));
                    }
                    Err(FramingError::Bad(e)) => return Err(ReadRequestError::Bad(e)),
                };
                parsed.content_length = content_length;
                if content_length == -1 {
                    parsed.transfer_encoding = vec!["chunked".to_string()];
                }
                return Ok(ReadRequest {
                    req: parsed,
                    framing,
                    ambiguous_framing: ambiguous,
                });
            }
            Ok(None) => {}
            Err(e) => return Err(e),
        }
        // Incomplete: read more, within the limit.
        if rd.buffered() >= limit {
            return Err(ReadRequestError::TooLarge);
        }
        match rd.fill_up_to(limit) {
            Ok(0) if rd.buffered() == 0 => {
                return Err(ReadRequestError::Net(io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(0) if rd.buffered() >= limit => return Err(ReadRequestError::TooLarge),
            // The client stopped in the middle of a head.
            Ok(0) => return Err(ReadRequestError::Bad("unexpected EOF".into())),
            Ok(_) => {}
            Err(e) if rd.buffered() == 0 => return Err(ReadRequestError::Net(e)),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return Err(ReadRequestError::Net(e));
            }
            Err(e) => return Err(ReadRequestError::Bad(e.to_string())),
        }
    }
}
// ANCHOR_END: readRequest

/// Parses a complete head out of `buf`: Ok(None) if it is not all there.
fn parse_head(buf: &[u8]) -> Result<Option<(Request, usize)>, ReadRequestError> {
    match parse_with(buf, None) {
        Err(HeadError::Version) => {}
        Err(HeadError::Request(e)) => return Err(e),
        Ok(done) => return Ok(done),
    }
    // httparse knows HTTP/1.0 and 1.1 only; Go takes any HTTP/1.x as 1.x
    // and refuses other majors with 505.
    match version_of(buf) {
        Some((1, minor)) => {
            let at = version_offset(buf).expect("version found above");
            let mut copy = buf.to_vec();
            copy[at + 7] = b'1';
            match parse_with(&copy, Some(minor)) {
                Ok(done) => Ok(done),
                Err(HeadError::Request(e)) => Err(e),
                Err(HeadError::Version) => {
                    Err(ReadRequestError::Bad("malformed HTTP version".into()))
                }
            }
        }
        Some(_) => Err(ReadRequestError::Status(
            crate::status::STATUS_HTTP_VERSION_NOT_SUPPORTED,
            "unsupported protocol version".into(),
        )),
        None => Err(ReadRequestError::Bad("malformed HTTP version".into())),
    }
}

enum HeadError {
    /// httparse refused the version.
    Version,
    Request(ReadRequestError),
}

fn parse_with(
    buf: &[u8],
    minor_override: Option<u8>,
) -> Result<Option<(Request, usize)>, HeadError> {
    parse_configured(buf, minor_override, false)
}

/// Runs httparse over `buf`; `skip_bad_fields` drops the field lines it
/// refuses instead of failing.
fn parse_configured(
    buf: &[u8],
    minor_override: Option<u8>,
    skip_bad_fields: bool,
) -> Result<Option<(Request, usize)>, HeadError> {
    let mut config = httparse::ParserConfig::default();
    config.ignore_invalid_headers_in_requests(skip_bad_fields);
    let mut inline = [httparse::EMPTY_HEADER; INLINE_HEADERS];
    let mut req = httparse::Request::new(&mut inline);
    let parsed = config.parse_request(&mut req, buf);
    let mut heap;
    let (req, parsed) = if let Err(httparse::Error::TooManyHeaders) = parsed {
        let lines = buf.iter().filter(|&&b| b == b'\n').count();
        heap = vec![httparse::EMPTY_HEADER; lines + 1];
        let mut req = httparse::Request::new(&mut heap);
        let parsed = config.parse_request(&mut req, buf);
        (req, parsed)
    } else {
        (req, parsed)
    };
    match parsed {
        Ok(httparse::Status::Complete(len)) => build_request(&req, minor_override)
            .map(|r| Some((r, len)))
            .map_err(HeadError::Request),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::Version) => Err(HeadError::Version),
        Err(httparse::Error::HeaderName) if !skip_bad_fields => {
            // Go's reader takes a name holding spaces (`X A: b`, `Host : h`)
            // and its server refuses it afterwards, after the Host checks.
            match spaced_names_only(buf) {
                None => Ok(None),
                Some(true) => match parse_configured(buf, minor_override, true)? {
                    Some(_) => Err(HeadError::Request(ReadRequestError::Status(
                        crate::status::STATUS_BAD_REQUEST,
                        "invalid header name".into(),
                    ))),
                    None => Ok(None),
                },
                Some(false) => Err(HeadError::Request(ReadRequestError::Bad(
                    "invalid header name".into(),
                ))),
            }
        }
        Err(e) => Err(HeadError::Request(ReadRequestError::Bad(e.to_string()))),
    }
}

/// Whether the field lines of the head in `buf` are all ones Go's reader
/// takes, some with a name holding spaces, which its server then refuses
/// with "invalid header name" (Go's `canonicalMIMEHeaderKey` lets a space
/// through uncanonicalized). `None` if the head is not all there yet.
fn spaced_names_only(buf: &[u8]) -> Option<bool> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let mut rest = &buf[start..];
    // The request line.
    rest = &rest[rest.iter().position(|&b| b == b'\n')? + 1..];
    let mut spaced = false;
    loop {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let line = &rest[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        rest = &rest[end + 1..];
        if line.is_empty() {
            return Some(spaced);
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Some(false);
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let name_ok = !name.is_empty()
            && name[0] != b' '
            && name
                .iter()
                .all(|&b| b == b' ' || crate::textproto::valid_header_field_byte(b));
        let value_ok = value
            .iter()
            .all(|&b| b == b' ' || b == b'\t' || (b > b' ' && b != 0x7f));
        if !name_ok || !value_ok {
            return Some(false);
        }
        spaced |= name.contains(&b' ');
    }
}

/// Where the version token of the request line starts, if the line is
/// complete and has three parts.
fn version_offset(buf: &[u8]) -> Option<usize> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let end = start + buf[start..].iter().position(|&b| b == b'\n')?;
    let line = &buf[start..end];
    let last_space = line.iter().rposition(|&b| b == b' ')?;
    Some(start + last_space + 1)
}

/// The version `HTTP/D.D` of the request line, if it has that shape.
fn version_of(buf: &[u8]) -> Option<(u8, u8)> {
    let at = version_offset(buf)?;
    let v = buf.get(at..at + 8)?;
    let rest = &buf[at + 8..];
    let ends = matches!(rest.first(), Some(b'\r' | b'\n'));
    if ends
        && v.starts_with(b"HTTP/")
        && v[5].is_ascii_digit()
        && v[6] == b'.'
        && v[7].is_ascii_digit()
    {
        Some((v[5] - b'0', v[7] - b'0'))
    } else {
        None
    }
}

/// Go's `ValidHostHeader`: the bytes a host and port may hold, leniently.
fn valid_host_header(h: &str) -> bool {
    h.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'$'
                    | b'%'
                    | b'&'
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b'-'
                    | b'.'
                    | b':'
                    | b';'
                    | b'='
                    | b'['
                    | b'\''
                    | b']'
                    | b'_'
                    | b'~'
            )
    })
}

fn build_request(
    p: &httparse::Request<'_, '_>,
    minor_override: Option<u8>,
) -> Result<Request, ReadRequestError> {
    let method = p.method.unwrap_or("");
    if !valid_method(method) {
        return Err(ReadRequestError::Bad(format!("invalid method {method:?}")));
    }
    let target = p.path.unwrap_or("");
    let minor = minor_override.unwrap_or(p.version.unwrap_or(1));

    // CONNECT's target is an authority (host:port), not a path.
    let just_authority = method == "CONNECT" && !target.starts_with('/');
    let parsed = if just_authority {
        url::parse_request_uri(&format!("http://{target}")).map(|mut u| {
            u.scheme.clear();
            u
        })
    } else {
        url::parse_request_uri(target)
    };
    let url = parsed.map_err(|e| ReadRequestError::Bad(e.to_string()))?;
    if p.headers.len() > MAX_HEADER_VALUE_COUNT {
        return Err(ReadRequestError::TooLarge);
    }

    let mut header = Header::new();
    let mut hosts = 0;
    for f in p.headers.iter() {
        let key = std::str::from_utf8(f.name.as_bytes()).unwrap_or("");
        let key = canonical_mime_header_key(key);
        let value = match std::str::from_utf8(f.value) {
            Ok(v) => v.to_string(),
            Err(_) => String::from_utf8_lossy(f.value).into_owned(),
        };
        if key == "Host" {
            hosts += 1;
        }
        header.insert_raw(key, value);
    }
    if hosts > 1 {
        return Err(ReadRequestError::Bad("too many Host headers".into()));
    }
    let host_field = header.get_c("Host").to_string();
    if minor >= 1 && hosts == 0 && method != "CONNECT" {
        return Err(ReadRequestError::Status(
            crate::status::STATUS_BAD_REQUEST,
            "missing required Host header".into(),
        ));
    }
    if hosts == 1 && !valid_host_header(&host_field) {
        return Err(ReadRequestError::Status(
            crate::status::STATUS_BAD_REQUEST,
            "malformed Host header".into(),
        ));
    }
    for (_, values) in header.iter() {
        if values
            .iter()
            .any(|v| !crate::textproto::valid_header_field_value(v))
        {
            return Err(ReadRequestError::Status(
                crate::status::STATUS_BAD_REQUEST,
                "invalid header value".into(),
            ));
        }
    }
    header.del_c("Host");
    let host = if url.host.is_empty() {
        host_field
    } else {
        url.host.clone()
    };
    // Go's fixPragmaCacheControl: HTTP/1.0's Pragma: no-cache implies
    // Cache-Control: no-cache.
    if header.values_c("Pragma").iter().any(|v| v == "no-cache") && !header.has_c("Cache-Control") {
        header.set("Cache-Control", "no-cache");
    }
    let conn_close = header
        .values_c("Connection")
        .iter()
        .any(|v| has_token(v, "close"));
    let keep_alive = header
        .values_c("Connection")
        .iter()
        .any(|v| has_token(v, "keep-alive"));
    let close = if minor == 0 {
        conn_close || !keep_alive
    } else {
        conn_close
    };
    Ok(Request {
        method: method.to_string(),
        url,
        proto: format!("HTTP/1.{minor}"),
        proto_major: 1,
        proto_minor: minor,
        header,
        body: Body::empty(),
        content_length: 0,
        transfer_encoding: Vec::new(),
        close,
        host,
        request_uri: target.to_string(),
        ..Request::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> Result<ReadRequest, ReadRequestError> {
        let mut rd = bufio::Reader::new(raw.as_bytes());
        read_request(&mut rd, 1 << 20)
    }

    #[test]
    fn reads_a_simple_get() {
        let r = read("GET /a%20b?x=1 HTTP/1.1\r\nhost: example.com\r\nuser-agent: t\r\n\r\n")
            .ok()
            .unwrap();
        assert_eq!(r.req.method, "GET");
        assert_eq!(r.req.request_uri, "/a%20b?x=1");
        assert_eq!(r.req.url.raw_query, "x=1");
        assert_eq!(r.req.host, "example.com");
        assert!(!r.req.header.has_c("Host"));
        assert_eq!(r.req.user_agent(), "t");
        assert_eq!(r.req.proto, "HTTP/1.1");
        assert!(!r.req.close);
        assert!(r.framing.is_none());
    }

    #[test]
    fn host_rules() {
        assert!(matches!(
            read("GET / HTTP/1.1\r\n\r\n"),
            Err(ReadRequestError::Status(400, e)) if e == "missing required Host header"
        ));
        assert!(read("GET / HTTP/1.0\r\n\r\n").is_ok());
        assert!(matches!(
            read("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            Err(ReadRequestError::Bad(e)) if e == "too many Host headers"
        ));
        assert!(matches!(
            read("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            Err(ReadRequestError::Status(400, e)) if e == "malformed Host header"
        ));
    }

    #[test]
    fn versions() {
        assert!(read("GET / HTTP/1.0\r\n\r\n").ok().unwrap().req.close);
        let r = read("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .ok()
            .unwrap();
        assert!(!r.req.close);
        let r = read("GET / HTTP/1.2\r\nHost: a\r\n\r\n").ok().unwrap();
        assert_eq!((r.req.proto.as_str(), r.req.proto_minor), ("HTTP/1.2", 2));
        assert!(matches!(
            read("GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
            Err(ReadRequestError::Status(505, _))
        ));
        assert!(matches!(
            read("GET / HTTP/x\r\n\r\n"),
            Err(ReadRequestError::Bad(_))
        ));
    }

    #[test]
    fn incomplete_and_oversized_heads() {
        let mut rd = bufio::Reader::new(&b"GET / HTTP/1.1\r\nHost: a\r\n"[..]);
        assert!(matches!(
            read_request(&mut rd, 1 << 20),
            Err(ReadRequestError::Bad(_))
        ));
        let mut rd = bufio::Reader::new(&b""[..]);
        assert!(matches!(
            read_request(&mut rd, 1 << 20),
            Err(ReadRequestError::Net(_))
        ));
        let big = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "y".repeat(10_000)
        );
        let mut rd = bufio::Reader::new(big.as_bytes());
        assert!(matches!(
            read_request(&mut rd, 8192),
            Err(ReadRequestError::TooLarge)
        ));
        let mut rd = bufio::Reader::new(big.as_bytes());
        assert!(read_request(&mut rd, 20_000).is_ok());
    }

    #[test]
    fn many_fields_are_read() {
        let mut raw = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
        for i in 0..200 {
            raw.push_str(&format!("X-{i}: {i}\r\n"));
        }
        raw.push_str("\r\n");
        assert_eq!(read(&raw).ok().unwrap().req.header.len(), 200);
    }

    #[test]
    fn names_with_spaces_are_refused_after_the_host_checks() {
        let status = |raw: &str| match read(raw) {
            Err(ReadRequestError::Status(code, text)) => format!("{code} {text}"),
            Err(ReadRequestError::Bad(_)) => "bad".into(),
            Err(_) => "other".into(),
            Ok(_) => "ok".into(),
        };
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: a\r\nX A : b\r\n\r\n"),
            "400 invalid header name"
        );
        assert_eq!(
            status("GET / HTTP/1.0\r\nX : b\r\n\r\n"),
            "400 invalid header name"
        );
        // `Host ` is not `Host`.
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
            "400 missing required Host header"
        );
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: a b\r\nX A: b\r\n\r\n"),
            "400 malformed Host header"
        );
        // Other bad names are refused by the reader itself, plainly.
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\nX(: c\r\n\r\n"),
            "bad"
        );
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nX\t: b\r\n\r\n"), "bad");
        // Incomplete: wait for the rest, as Go does.
        let mut rd = bufio::Reader::new(&b"GET / HTTP/1.1\r\nX A: b\r\n"[..]);
        assert!(matches!(
            read_request(&mut rd, 1 << 20),
            Err(ReadRequestError::Bad(e)) if e == "unexpected EOF"
        ));
    }

    #[test]
    fn more_than_500_fields_are_too_large() {
        let head = |n: usize| {
            let mut raw = String::from("GET / HTTP/1.1\r\n");
            raw.push_str(&"X: 1\r\n".repeat(n - 1));
            raw.push_str("Host: a\r\n\r\n");
            raw
        };
        assert!(read(&head(500)).is_ok());
        assert!(matches!(read(&head(501)), Err(ReadRequestError::TooLarge)));
    }

    #[test]
    fn pipelined_requests_leave_the_next_one_buffered() {
        let raw = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut rd = bufio::Reader::new(raw.as_bytes());
        assert_eq!(
            read_request(&mut rd, 1 << 20).ok().unwrap().req.url.path,
            "/1"
        );
        assert_eq!(
            read_request(&mut rd, 1 << 20).ok().unwrap().req.url.path,
            "/2"
        );
    }

    #[test]
    fn connect_takes_an_authority() {
        let r = read("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
            .ok()
            .unwrap();
        assert_eq!(r.req.url.host, "example.com:443");
        assert_eq!(r.req.url.scheme, "");
        assert_eq!(r.req.host, "example.com:443");
    }
}
