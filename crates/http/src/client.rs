//! Mirrors Go src/net/http/client.go (go1.27): `Client`, which sends a request through a transport and follows redirects, and the package-level `get`, `head`, `post` and `post_form`.
//!
//! [`Client::send`] is Go's `Client.Do`: it sends the request with the
//! client's [`Transport`] (the package's [`default_transport`] when it has
//! none) and follows redirects as Go does: at most 10 by default
//! (`stopped after 10 redirects`, or the client's `check_redirect`); 301,
//! 302 and 303 turn any method but GET and HEAD into a GET without body;
//! 307 and 308 keep the method and send the body again when it can be
//! replayed (`Request::get_body`), and otherwise return the redirect
//! itself; the first request's header is copied onto each redirect, less
//! `Authorization`, `Cookie` and their kin once the redirect leaves the
//! first host and its subdomains; `Referer` is set.
//!
//! [`Client::timeout`] covers the whole exchange, redirects and the reading
//! of the final body included, as Go's does: it is a context deadline that
//! the body keeps until it is read to its end or dropped. Errors name the
//! method and URL as Go's `url.Error` does: `Get "http://x/": <cause>`.

use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use gort_runtime::context::{self, CancelFunc, Context, ContextError};

use crate::header::Header;
use crate::request::Request;
use crate::requestwrite::IntoRequestBody;
use crate::response::Response;
use crate::transfer::Body;
use crate::transport::{Transport, default_transport};
use crate::url::{self, URL, Values};

/// A redirect policy: called with the next request and the requests sent
/// so far, oldest first; an error stops the redirects (Go's
/// `Client.CheckRedirect`).
pub type CheckRedirect = dyn Fn(&Request, &[Request]) -> io::Result<()> + Send + Sync;

/// An HTTP client (Go's `http.Client`): a transport, a redirect policy and
/// a time limit. Cheap to clone; the default value uses the default
/// transport, follows 10 redirects and has no time limit.
///
/// ```
/// use std::io::Read;
/// use std::sync::Arc;
/// use gort_http::{Client, Request, ResponseWriter};
///
/// gort::run(|| {
///     let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
///     let base = format!("http://{}", ln.addr());
///     gort::go!({
///         let _ = gort_http::serve(ln, Some(Arc::new(|w: &mut dyn ResponseWriter, r: &mut Request| {
///             if r.url.path == "/old" {
///                 gort_http::redirect(w, r, "/new", 301);
///                 return;
///             }
///             write!(w, "at {}", r.url.path).unwrap();
///         })));
///     });
///     let c = Client { timeout: Some(std::time::Duration::from_secs(5)), ..Default::default() };
///     let mut resp = c.get(&format!("{base}/old")).unwrap();
///     let mut body = String::new();
///     resp.body.read_to_string(&mut body).unwrap();
///     assert_eq!(body, "at /new");
///
///     let err = c.get("http://127.0.0.1:1/").unwrap_err();
///     assert_eq!(
///         err.to_string(),
///         r#"Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused"#
///     );
/// });
/// ```
#[derive(Clone, Default)]
pub struct Client {
    /// The transport; `None`: [`default_transport`].
    pub transport: Option<Arc<Transport>>,
    /// The redirect policy; `None`: stop after 10 redirects.
    pub check_redirect: Option<Arc<CheckRedirect>>,
    /// The longest a whole exchange may take, from sending the request to
    /// the end of the response body, redirects included; `None`: no limit.
    pub timeout: Option<Duration>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field(
                "check_redirect",
                &self.check_redirect.as_ref().map(|_| "Fn"),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The error a `check_redirect` returns to stop following redirects and
/// return the redirect response itself, body unread (Go's
/// `ErrUseLastResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UseLastResponse;

impl fmt::Display for UseLastResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("net/http: use last response")
    }
}

impl std::error::Error for UseLastResponse {}

impl From<UseLastResponse> for io::Error {
    fn from(e: UseLastResponse) -> io::Error {
        io::Error::other(e)
    }
}

/// A failed request, with its method and URL (Go's `url.Error` as the
/// client returns it): `Get "http://x/": <cause>`. It is the inner error of
/// the `io::Error` the client returns, whose kind is the cause's.
#[derive(Debug)]
pub struct ClientError {
    /// `Get`, `Post`, ...: the method of the first request, capitalized as
    /// Go does.
    pub op: String,
    /// The URL of the request that failed, password removed.
    pub url: String,
    /// The cause.
    pub err: io::Error,
    /// Whether the client's timeout ran out.
    pub timeout: bool,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.op,
            url::go_quote(self.url.as_bytes()),
            self.err
        )?;
        if self.timeout {
            f.write_str(" (Client.Timeout exceeded while awaiting headers)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.err)
    }
}

impl From<ClientError> for io::Error {
    fn from(e: ClientError) -> io::Error {
        let kind = if e.timeout {
            io::ErrorKind::TimedOut
        } else {
            e.err.kind()
        };
        io::Error::new(kind, e)
    }
}

/// Go's `urlErrorOp`: `GET` is `Get`.
fn url_error_op(method: &str) -> String {
    if method.is_empty() {
        return "Get".into();
    }
    let mut s = method[..1].to_string();
    s.push_str(&method[1..].to_ascii_lowercase());
    s
}

/// The URL without its password (Go's `stripPassword`).
fn strip_password(u: &URL) -> String {
    match &u.user {
        Some(user) if user.password().is_some() => {
            let mut u = u.clone();
            u.user = Some(url::user_password(user.username(), "***"));
            u.to_string()
        }
        _ => u.to_string(),
    }
}

/// Go's `redirectBehavior`: the method of the next request, whether to
/// follow, and whether to send the body again.
fn redirect_behavior(method: &str, status: u16, replayable_body: bool) -> (String, bool, bool) {
    match status {
        301..=303 => {
            let m = if method != "GET" && method != "HEAD" {
                "GET"
            } else {
                method
            };
            (m.to_string(), true, false)
        }
        // Without a way to send the body again, the redirect is returned.
        307 | 308 => (method.to_string(), replayable_body, true),
        _ => (method.to_string(), false, false),
    }
}

/// Go's `isDomainOrSubdomain`.
fn is_domain_or_subdomain(sub: &str, parent: &str) -> bool {
    if sub == parent {
        return true;
    }
    if sub.contains([':', '%']) {
        return false;
    }
    sub.len() > parent.len() + 1
        && sub.ends_with(parent)
        && sub.as_bytes()[sub.len() - parent.len() - 1] == b'.'
}

/// Go's `shouldCopyHeaderOnRedirect`: sensitive fields go to the first
/// host and its subdomains only.
fn should_copy_header_on_redirect(initial: &URL, dest: &URL) -> bool {
    is_domain_or_subdomain(
        &dest.hostname().to_ascii_lowercase(),
        &initial.hostname().to_ascii_lowercase(),
    )
}

/// Go's `refererForURL`.
fn referer_for_url(last: &URL, next: &URL, explicit: &str) -> String {
    if last.scheme == "https" && next.scheme == "http" {
        return String::new();
    }
    if !explicit.is_empty() {
        return explicit.to_string();
    }
    let mut u = last.clone();
    u.user = None;
    u.to_string()
}

/// The most of a redirect's body read so its connection can be reused
/// (Go's `maxBodySlurpSize`).
const MAX_BODY_SLURP_SIZE: u64 = 2 << 10;

/// A response body under the client's timeout (Go's `cancelTimerBody`):
/// names the timeout in its errors and releases the deadline when done.
struct TimeoutBody {
    inner: Body,
    ctx: Context,
    cancel: CancelFunc,
}

impl Read for TimeoutBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.cancel.cancel();
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) if self.ctx.err().is_some() => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{e} (Client.Timeout or context cancellation while reading body)"),
            )),
            Err(e) => Err(e),
        }
    }
}

impl Drop for TimeoutBody {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Client {
    fn transport(&self) -> Arc<Transport> {
        self.transport.clone().unwrap_or_else(default_transport)
    }

    /// Sends `req` and follows redirects, returning the final response
    /// (Go's `Client.Do`). Its body must be read to the end or dropped.
    #[doc(alias = "Do")]
    pub fn send(&self, mut req: Request) -> io::Result<Response> {
        let tr = self.transport();
        let op = url_error_op(&req.method);
        let mut timeout_ctx = None;
        if let Some(t) = self.timeout {
            let (ctx, cancel) = context::with_timeout(&req.context(), t);
            req.set_context(ctx.clone());
            timeout_ctx = Some((ctx, cancel));
        }
        let uerr = |u: &URL, err: io::Error| -> io::Error {
            let timeout = timeout_ctx
                .as_ref()
                .is_some_and(|(ctx, _)| ctx.err() == Some(ContextError::DeadlineExceeded));
            ClientError {
                op: op.clone(),
                url: strip_password(u),
                err,
                timeout,
            }
            .into()
        };

        let ctx = req.context();
        let first_url = req.url.clone();
        let first_header = req.header.clone();
        let get_body = req.get_body.clone();
        let content_length = req.content_length;
        let replayable_body = get_body.is_some() || req.body.is_empty();
        let mut via: Vec<Request> = Vec::new();
        let mut include_body = true;
        let mut strip_sensitive = false;

        loop {
            let url_now = req.url.clone();
            let method_now = req.method.clone();
            let mut resp = match tr.round_trip(req) {
                Ok(r) => r,
                Err(e) => return Err(uerr(&url_now, e)),
            };
            let (next_method, follow, include_hop) =
                redirect_behavior(&method_now, resp.status_code, replayable_body);
            let loc = resp.header.get("Location").to_string();
            if !follow || loc.is_empty() {
                return Ok(self.finish(resp, timeout_ctx));
            }
            if !include_hop {
                include_body = false;
            }
            let prev = *resp
                .request
                .take()
                .expect("the transport sets Response::request");
            let u = match prev.url.parse(&loc) {
                Ok(u) => u,
                Err(e) => {
                    return Err(uerr(
                        &url_now,
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "failed to parse Location header {}: {e}",
                                url::go_quote(loc.as_bytes())
                            ),
                        ),
                    ));
                }
            };
            let mut host = String::new();
            if !prev.host.is_empty()
                && prev.host != prev.url.host
                && url::parse(&loc).is_ok_and(|l| !l.is_abs())
            {
                host = prev.host.clone();
            }
            let mut next = Request {
                method: next_method,
                host: if host.is_empty() {
                    u.host.clone()
                } else {
                    host
                },
                url: u,
                proto: "HTTP/1.1".into(),
                proto_major: 1,
                proto_minor: 1,
                header: Header::new(),
                ..Request::default()
            };
            next.set_context(ctx.clone());
            if include_body && let Some(g) = &get_body {
                next.body = match g.call() {
                    Ok(b) => b,
                    Err(e) => return Err(uerr(&url_now, e)),
                };
                next.get_body = Some(g.clone());
                next.content_length = content_length;
            }
            if !strip_sensitive
                && first_url.host != next.url.host
                && !should_copy_header_on_redirect(&first_url, &next.url)
            {
                strip_sensitive = true;
            }
            for (k, vs) in first_header.iter() {
                let sensitive = matches!(
                    k,
                    "Authorization"
                        | "Www-Authenticate"
                        | "Cookie"
                        | "Cookie2"
                        | "Proxy-Authorization"
                        | "Proxy-Authenticate"
                );
                let body_field = matches!(
                    k,
                    "Content-Encoding" | "Content-Language" | "Content-Location" | "Content-Type"
                );
                let dropped = (sensitive && strip_sensitive) || (body_field && !include_body);
                if !dropped {
                    for v in vs {
                        next.header.add(k, v.clone());
                    }
                }
            }
            let referer = referer_for_url(&prev.url, &next.url, next.header.get("Referer"));
            if !referer.is_empty() {
                next.header.set("Referer", referer);
            }
            via.push(prev);
            let checked = match &self.check_redirect {
                Some(f) => f(&next, &via),
                None => default_check_redirect(&next, &via),
            };
            if let Err(e) = &checked
                && e.get_ref().is_some_and(|i| i.is::<UseLastResponse>())
            {
                resp.request = via.pop().map(Box::new);
                return Ok(self.finish(resp, timeout_ctx));
            }
            // Read a little of the body, so a short one frees its
            // connection for reuse, then drop it.
            if resp.content_length == -1 || resp.content_length <= MAX_BODY_SLURP_SIZE as i64 {
                let _ = io::copy(
                    &mut (&mut resp.body).take(MAX_BODY_SLURP_SIZE),
                    &mut io::sink(),
                );
            }
            drop(resp);
            if let Err(e) = checked {
                return Err(ClientError {
                    op: op.clone(),
                    url: loc,
                    err: e,
                    timeout: false,
                }
                .into());
            }
            req = next;
        }
    }

    /// Puts the final response's body under the client's timeout.
    fn finish(&self, mut resp: Response, timeout: Option<(Context, CancelFunc)>) -> Response {
        if let Some((ctx, cancel)) = timeout {
            let inner = std::mem::take(&mut resp.body);
            resp.body = Body::new(TimeoutBody { inner, ctx, cancel });
        }
        resp
    }

    /// GETs `url` (Go's `Client.Get`).
    pub fn get(&self, url: &str) -> io::Result<Response> {
        self.send(Request::new("GET", url, ())?)
    }

    /// HEADs `url` (Go's `Client.Head`).
    pub fn head(&self, url: &str) -> io::Result<Response> {
        self.send(Request::new("HEAD", url, ())?)
    }

    /// POSTs `body` to `url` with `Content-Type: content_type` (Go's
    /// `Client.Post`).
    pub fn post(
        &self,
        url: &str,
        content_type: &str,
        body: impl IntoRequestBody,
    ) -> io::Result<Response> {
        let mut req = Request::new("POST", url, body)?;
        req.header.set("Content-Type", content_type);
        self.send(req)
    }

    /// POSTs `data` URL-encoded to `url` (Go's `Client.PostForm`).
    #[doc(alias = "PostForm")]
    pub fn post_form(&self, url: &str, data: &Values) -> io::Result<Response> {
        self.post(url, "application/x-www-form-urlencoded", data.encode())
    }

    /// Closes the transport's idle connections (Go's
    /// `Client.CloseIdleConnections`).
    pub fn close_idle_connections(&self) {
        self.transport().close_idle_connections();
    }
}

/// The default redirect policy: 10 redirects at most.
fn default_check_redirect(_req: &Request, via: &[Request]) -> io::Result<()> {
    if via.len() >= 10 {
        return Err(io::Error::other("stopped after 10 redirects"));
    }
    Ok(())
}

/// The package's default client (Go's `DefaultClient`).
#[doc(alias = "DefaultClient")]
pub fn default_client() -> &'static Client {
    static DEFAULT: OnceLock<Client> = OnceLock::new();
    DEFAULT.get_or_init(Client::default)
}

/// GETs `url` with the default client (Go's `http.Get`).
pub fn get(url: &str) -> io::Result<Response> {
    default_client().get(url)
}

/// HEADs `url` with the default client (Go's `http.Head`).
pub fn head(url: &str) -> io::Result<Response> {
    default_client().head(url)
}

/// POSTs with the default client (Go's `http.Post`).
pub fn post(url: &str, content_type: &str, body: impl IntoRequestBody) -> io::Result<Response> {
    default_client().post(url, content_type, body)
}

/// POSTs a form with the default client (Go's `http.PostForm`).
#[doc(alias = "PostForm")]
pub fn post_form(url: &str, data: &Values) -> io::Result<Response> {
    default_client().post_form(url, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_and_domains() {
        assert_eq!(url_error_op("GET"), "Get");
        assert_eq!(url_error_op("POST"), "Post");
        assert_eq!(url_error_op(""), "Get");
        assert!(is_domain_or_subdomain("foo.com", "foo.com"));
        assert!(is_domain_or_subdomain("sub.foo.com", "foo.com"));
        assert!(!is_domain_or_subdomain("notfoo.com", "foo.com"));
        assert!(!is_domain_or_subdomain("::1", "1"));
        assert_eq!(
            redirect_behavior("POST", 302, true),
            ("GET".into(), true, false)
        );
        assert_eq!(
            redirect_behavior("HEAD", 301, true),
            ("HEAD".into(), true, false)
        );
        assert_eq!(
            redirect_behavior("POST", 307, true),
            ("POST".into(), true, true)
        );
        assert_eq!(
            redirect_behavior("POST", 308, false),
            ("POST".into(), false, true)
        );
        assert!(!redirect_behavior("GET", 200, true).1);
    }

    #[test]
    fn referer_rules() {
        let a = url::parse("https://u:p@a.com/x").unwrap();
        let b = url::parse("http://b.com/").unwrap();
        assert_eq!(referer_for_url(&a, &b, ""), "");
        let c = url::parse("https://c.com/").unwrap();
        assert_eq!(referer_for_url(&a, &c, ""), "https://a.com/x");
        assert_eq!(referer_for_url(&a, &c, "r"), "r");
    }
}
