//! Mirrors Go src/net/http/server.go (go1.27): the ServeMux part: the request multiplexer with Go 1.22 patterns, the default mux, Redirect, RedirectHandler, StripPrefix and path cleaning.
//!
//! A [`ServeMux`] keeps its patterns in a routing tree (routing_tree.rs)
//! for matching and in an index (routing_index.rs) for refusing a new
//! pattern that conflicts with a registered one. Both sit behind one
//! `RwLock`: a request takes the read lock only long enough to find its
//! handler, which it then calls with no lock held, so handlers can be
//! added while the mux serves and a handler may itself register more.
//!
//! Before matching, the mux canonicalizes a request the way Go's does: the
//! port is dropped from the host, and a path with `.`/`..` elements or
//! doubled slashes is answered with a redirect to its clean form. A path
//! that misses only a trailing slash that some pattern has (`/dir` for
//! `/dir/`) is redirected to it too; both redirects are 307 Temporary
//! Redirect in go1.27. CONNECT requests are matched as they come, except for
//! the trailing-slash redirect. A path that matches a pattern for other
//! methods only gets 405 with a sorted `Allow` list; anything else 404.
//!
//! Paths are matched in their escaped form ([`URL::escaped_path`]), so that
//! `%2F` in a request does not split a segment; the tree decodes each
//! segment as Go's does. Escaping, parsing and printing URLs is
//! [`crate::url`]'s work.

use std::collections::BTreeSet;
use std::fmt;
use std::panic::Location;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use crate::pattern::{Pattern, describe_conflict, parse_pattern};
use crate::request::Request;
use crate::routing_index::RoutingIndex;
use crate::routing_tree::RoutingNode;
use crate::server::{Handler, ResponseWriter, error, not_found};
use crate::status::{
    STATUS_BAD_REQUEST, STATUS_METHOD_NOT_ALLOWED, STATUS_TEMPORARY_REDIRECT, status_text,
};
use crate::url::{self, URL, go_quote};

/// An HTTP request multiplexer (Go's `http.ServeMux`): it matches each
/// request against its registered patterns and calls the handler of the
/// most specific one that matches.
///
/// # Patterns
///
/// A pattern is `[METHOD ][HOST]/[PATH]`, as in Go 1.22 and later:
///
/// * `METHOD` (followed by spaces or tabs) restricts the pattern to that
///   method; `GET` also matches `HEAD`. Without one, any method matches.
/// * `HOST` restricts it to requests for that host; patterns with a host
///   take precedence over patterns without.
/// * `PATH` segments are literals (percent-decoded), `{name}` wildcards
///   matching one segment, and at the end `{name...}` matching the rest of
///   the path or `{$}` matching only the path ending there with a slash.
///   A path ending in `/` matches every path below it.
///
/// The handler reads wildcard values with [`Request::path_value`] and the
/// pattern with [`Request::pattern`].
///
/// When two patterns match a request, the more specific one wins: the one
/// that matches a strict subset of the other's requests. Registering a
/// pattern that matches some request as well as a registered one, with
/// neither more specific, panics, naming both registration sites.
///
/// Registration takes `&self`: share a mux in an `Arc` and add handlers
/// while it serves.
///
/// # Example
///
/// ```
/// use gort_http::httptest::{ResponseRecorder, new_request};
/// use gort_http::{Handler, Request, ResponseWriter, ServeMux};
///
/// let mux = ServeMux::new();
/// mux.handle_func("GET /items/{id}", |w: &mut dyn ResponseWriter, r: &mut Request| {
///     write!(w, "item {}", r.path_value("id")).unwrap();
/// });
/// mux.handle_func("/static/", |w: &mut dyn ResponseWriter, _r: &mut Request| {
///     w.write_all(b"a file").unwrap();
/// });
///
/// let mut w = ResponseRecorder::new();
/// mux.serve_http(&mut w, &mut new_request("GET", "/items/42", b""));
/// assert_eq!((w.code, w.body_string().as_str()), (200, "item 42"));
///
/// // Only GET and HEAD are registered for this path: 405, with Allow.
/// let mut w = ResponseRecorder::new();
/// mux.serve_http(&mut w, &mut new_request("POST", "/items/42", b""));
/// assert_eq!(w.code, 405);
/// assert_eq!(w.header_map.get("Allow"), "GET, HEAD");
///
/// // The subtree's root without its slash is redirected to it.
/// let mut w = ResponseRecorder::new();
/// mux.serve_http(&mut w, &mut new_request("GET", "/static", b""));
/// assert_eq!(w.code, 307);
/// assert_eq!(w.header_map.get("Location"), "/static/");
/// ```
pub struct ServeMux {
    inner: RwLock<MuxInner>,
}

#[derive(Default)]
struct MuxInner {
    tree: RoutingNode<Arc<dyn Handler>>,
    index: RoutingIndex,
}

/// A matched pattern and its handler, copied out from under the lock.
type Leaf = (Arc<Pattern>, Arc<dyn Handler>);

/// What [`ServeMux::find_handler`] decided.
struct Found {
    handler: Arc<dyn Handler>,
    /// The pattern to report: the matched one, or the one a redirect leads to.
    pattern: String,
    /// Set only for a real match, with its wildcard values.
    matched: Option<(Arc<Pattern>, Vec<String>)>,
}

impl Found {
    fn synthetic(handler: impl Handler, pattern: String) -> Found {
        Found {
            handler: Arc::new(handler),
            pattern,
            matched: None,
        }
    }
}

impl Default for ServeMux {
    fn default() -> Self {
        ServeMux::new()
    }
}

impl fmt::Debug for ServeMux {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeMux").finish_non_exhaustive()
    }
}

impl ServeMux {
    /// An empty mux (Go's `http.NewServeMux`).
    pub fn new() -> ServeMux {
        ServeMux {
            inner: RwLock::new(MuxInner::default()),
        }
    }

    /// Registers `handler` for `pattern` (Go's `ServeMux.Handle`).
    ///
    /// # Panics
    ///
    /// If the pattern is invalid, or conflicts with one registered before;
    /// the message is Go's and names the source locations of both
    /// registrations.
    #[track_caller]
    pub fn handle(&self, pattern: &str, handler: impl Handler) {
        self.register(pattern, Arc::new(handler));
    }

    /// Registers the function `handler` for `pattern` (Go's
    /// `ServeMux.HandleFunc`); panics as [`handle`](ServeMux::handle) does.
    #[track_caller]
    pub fn handle_func<F>(&self, pattern: &str, handler: F)
    where
        F: Fn(&mut dyn ResponseWriter, &mut Request) + Send + Sync + 'static,
    {
        self.register(pattern, Arc::new(handler));
    }

    /// The handler the mux would use for `r`, and the pattern it matched
    /// (Go's `ServeMux.Handler`). For a request the mux would redirect,
    /// the handler is that redirect and the pattern the one the new URL
    /// matches; for no match, a 404 or 405 handler and `""`.
    ///
    /// It looks at `r.method`, `r.host` and `r.url` only and changes
    /// nothing in `r`: path values are set by serving through the mux.
    pub fn handler(&self, r: &Request) -> (Arc<dyn Handler>, String) {
        let found = self.find_handler(r);
        (found.handler, found.pattern)
    }

    #[track_caller]
    fn register(&self, pattern: &str, handler: Arc<dyn Handler>) {
        let caller = Location::caller();
        let loc = format!("{}:{}", caller.file(), caller.line());
        if let Err(msg) = self.register_err(pattern, handler, loc) {
            // The lock is released by now, so the panic poisons nothing.
            panic!("{msg}");
        }
    }

    fn register_err(
        &self,
        patstr: &str,
        handler: Arc<dyn Handler>,
        loc: String,
    ) -> Result<(), String> {
        if patstr.is_empty() {
            return Err("http: invalid pattern".into());
        }
        let mut pat =
            parse_pattern(patstr).map_err(|e| format!("parsing {}: {e}", go_quote(patstr)))?;
        pat.loc = loc;
        let pat = Arc::new(pat);

        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.index.possibly_conflicting_patterns(&pat, |pat2| {
            if pat.conflicts_with(pat2) {
                return Err(format!(
                    "pattern {} (registered at {}) conflicts with pattern {} (registered at {}):\n{}",
                    go_quote(&pat.str),
                    pat.loc,
                    go_quote(&pat2.str),
                    pat2.loc,
                    describe_conflict(&pat, pat2)
                ));
            }
            Ok(())
        })?;
        inner.tree.add_pattern(Arc::clone(&pat), handler);
        inner.index.add_pattern(pat);
        Ok(())
    }

    /// Go's `findHandler`: the handler for `r` with its pattern and, for a
    /// real match, the wildcard values.
    fn find_handler(&self, r: &Request) -> Found {
        let escaped = r.url.escaped_path();
        let host: String;
        let path: String;
        let leaf: Option<Leaf>;
        let matches: Vec<String>;
        if r.method == "CONNECT" {
            // CONNECT paths are not cleaned, but `/tree` still leads to a
            // registered `/tree/`. That check uses the URL's host; the
            // match proper uses the Host header, port and all.
            host = r.url.host.clone();
            path = escaped;
            if let (_, _, Some(u)) = self.match_or_redirect(&host, &r.method, &path, Some(&r.url)) {
                let target = u.to_string();
                return Found::synthetic(
                    redirect_handler(target, STATUS_TEMPORARY_REDIRECT),
                    u.path,
                );
            }
            (leaf, matches, _) = self.match_or_redirect(&r.host, &r.method, &path, None);
        } else {
            host = strip_host_port(&r.host);
            path = clean_path(&escaped);
            let u;
            (leaf, matches, u) = self.match_or_redirect(&host, &r.method, &path, Some(&r.url));
            if let Some(u) = u {
                let pattern = leaf
                    .as_ref()
                    .map(|(p, _)| p.str.clone())
                    .unwrap_or_default();
                return Found::synthetic(
                    redirect_handler(u.to_string(), STATUS_TEMPORARY_REDIRECT),
                    pattern,
                );
            }
            if path != escaped {
                let pattern = leaf
                    .as_ref()
                    .map(|(p, _)| p.str.clone())
                    .unwrap_or_default();
                let u = url_from_escaped(&path, &r.url.raw_query);
                return Found::synthetic(
                    redirect_handler(u.to_string(), STATUS_TEMPORARY_REDIRECT),
                    pattern,
                );
            }
        }
        let Some((pat, handler)) = leaf else {
            // Tell "no such path" from "not with this method".
            let allowed = self.matching_methods(&host, &path);
            if !allowed.is_empty() {
                let allow = allowed.join(", ");
                let h = move |w: &mut dyn ResponseWriter, _r: &mut Request| {
                    w.header().set("Allow", allow.as_str());
                    error(
                        w,
                        status_text(STATUS_METHOD_NOT_ALLOWED),
                        STATUS_METHOD_NOT_ALLOWED,
                    );
                };
                return Found::synthetic(h, String::new());
            }
            return Found::synthetic(not_found, String::new());
        };
        Found {
            handler,
            pattern: pat.str.clone(),
            matched: Some((pat, matches)),
        }
    }

    /// Go's `matchOrRedirect`: the match for host, method and path; and, if
    /// `u` is given and the path is not matched exactly, the URL with a
    /// slash appended when that would be an exact match.
    fn match_or_redirect(
        &self,
        host: &str,
        method: &str,
        path: &str,
        u: Option<&URL>,
    ) -> (Option<Leaf>, Vec<String>, Option<URL>) {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let found = inner.tree.match_request(host, method, path);
        let leaf_of = |n: &RoutingNode<Arc<dyn Handler>>| -> Option<Leaf> {
            Some((Arc::clone(n.pattern()?), Arc::clone(n.value()?)))
        };
        let exact = found
            .as_ref()
            .is_some_and(|(n, _)| exact_match(n.pattern(), path));
        if let Some(u) = u
            && !exact
            && !path.is_empty()
            && !path.ends_with('/')
        {
            let with_slash = format!("{path}/");
            if let Some((n2, _)) = inner.tree.match_request(host, method, &with_slash)
                && exact_match(n2.pattern(), &with_slash)
            {
                // The caller only reads the pattern of this leaf.
                return (
                    leaf_of(n2),
                    Vec::new(),
                    Some(url_from_escaped(&with_slash, &u.raw_query)),
                );
            }
        }
        match found {
            Some((n, matches)) => (leaf_of(n), matches, None),
            None => (None, Vec::new(), None),
        }
    }

    /// The methods some pattern accepts for host and path (or path with a
    /// slash appended, which the redirect would try), sorted.
    fn matching_methods(&self, host: &str, path: &str) -> Vec<String> {
        // One read lock for both lookups, so they see the same patterns.
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut ms = BTreeSet::new();
        inner.tree.matching_methods(host, path, &mut ms);
        if !path.ends_with('/') {
            inner
                .tree
                .matching_methods(host, &format!("{path}/"), &mut ms);
        }
        ms.into_iter().collect()
    }
}

/// Whether the match of `pattern` on `path` is exact: any match except a
/// multi wildcard taking a non-empty rest of the path (Go's `exactMatch`).
fn exact_match(pattern: Option<&Arc<Pattern>>, path: &str) -> bool {
    let Some(p) = pattern else { return false };
    if !p.last_segment().multi {
        return true;
    }
    if !path.is_empty() && !path.ends_with('/') {
        return false;
    }
    // A multi matches the empty rest only when the pattern has one segment
    // per slash of the path ("/a/b/" for "/a/b/{x...}", not for "/a/").
    p.segments.len() == path.matches('/').count()
}

/// A URL with an already escaped path and a query (Go's `urlFromEscaped`).
fn url_from_escaped(escaped: &str, raw_query: &str) -> URL {
    URL {
        // An escaped request path always decodes; keep it if not.
        path: url::path_unescape(escaped).unwrap_or_else(|_| escaped.to_string()),
        raw_path: escaped.to_string(),
        raw_query: raw_query.to_string(),
        ..URL::default()
    }
}

impl Handler for ServeMux {
    /// Dispatches `r` to the handler of the pattern that matches it best,
    /// after setting `r.pattern` and the path values (Go's
    /// `ServeMux.ServeHTTP`). `OPTIONS *` and other `*` requests get 400.
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
        if r.request_uri == "*" {
            if (r.proto_major, r.proto_minor) >= (1, 1) {
                w.header().set("Connection", "close");
            }
            w.write_header(STATUS_BAD_REQUEST);
            return;
        }
        let found = self.find_handler(r);
        r.pattern = found.pattern;
        r.path_values = match found.matched {
            Some((pat, matches)) => pat
                .wildcard_names()
                .map(str::to_string)
                .zip(matches)
                .collect(),
            None => Vec::new(),
        };
        found.handler.serve_http(w, r);
    }
}

impl Handler for &'static ServeMux {
    /// Serves through the shared mux, [`default_serve_mux`] in particular.
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
        (**self).serve_http(w, r)
    }
}

/// The process-wide mux that [`handle`] and [`handle_func`] register with
/// (Go's `http.DefaultServeMux`).
pub fn default_serve_mux() -> &'static ServeMux {
    static DEFAULT: OnceLock<ServeMux> = OnceLock::new();
    DEFAULT.get_or_init(ServeMux::new)
}

/// Registers `handler` for `pattern` with [`default_serve_mux`] (Go's
/// `http.Handle`); panics as [`ServeMux::handle`] does.
#[track_caller]
pub fn handle(pattern: &str, handler: impl Handler) {
    default_serve_mux().register(pattern, Arc::new(handler));
}

/// Registers the function `handler` for `pattern` with
/// [`default_serve_mux`] (Go's `http.HandleFunc`); panics as
/// [`ServeMux::handle`] does.
#[track_caller]
pub fn handle_func<F>(pattern: &str, handler: F)
where
    F: Fn(&mut dyn ResponseWriter, &mut Request) + Send + Sync + 'static,
{
    default_serve_mux().register(pattern, Arc::new(handler));
}

/// The canonical form of a request path: rooted, with `.` and `..`
/// resolved and repeated slashes folded, keeping a trailing slash (Go's
/// `cleanPath`).
pub(crate) fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return "/".into();
    }
    let rooted;
    let p = if p.starts_with('/') {
        p
    } else {
        rooted = format!("/{p}");
        rooted.as_str()
    };
    let mut np = url::path_clean(p);
    if p.ends_with('/') && np != "/" {
        np.push('/');
    }
    np
}

/// The host without a trailing `:port` (Go's `stripHostPort`); unchanged
/// if it has no port or does not split.
fn strip_host_port(h: &str) -> String {
    if !h.contains(':') {
        return h.to_string();
    }
    match gort_net::split_host_port(h) {
        Ok((host, _)) => host,
        Err(_) => h.to_string(),
    }
}

/// Replies with a redirect to `url`, which may be relative to the
/// request's path (Go's `http.Redirect`).
///
/// A relative `url` is made absolute against `r.url`'s directory and
/// cleaned, keeping a trailing slash and the query; non-ASCII bytes in the
/// `Location` are percent-encoded. `code` should be a 3xx, usually
/// [`STATUS_MOVED_PERMANENTLY`](crate::STATUS_MOVED_PERMANENTLY),
/// [`STATUS_FOUND`](crate::STATUS_FOUND) or
/// [`STATUS_SEE_OTHER`](crate::STATUS_SEE_OTHER). Unless the handler set a
/// `Content-Type`, a GET or HEAD reply gets `text/html` and GET a short
/// HTML body linking to the target.
pub fn redirect(w: &mut dyn ResponseWriter, r: &Request, url: &str, code: u16) {
    let mut url = url.to_string();
    // A URL without scheme and host is resolved against the request path.
    if crate::url::parse(&url).is_ok_and(|u| u.scheme.is_empty() && u.host.is_empty()) {
        let mut oldpath = r.url.escaped_path();
        if oldpath.is_empty() {
            // Not a valid request path; do not fail on it.
            oldpath = "/".into();
        }
        if !url.starts_with('/') {
            let dir_end = oldpath.rfind('/').map_or(0, |i| i + 1);
            url = format!("{}{url}", &oldpath[..dir_end]);
        }
        let (path, query) = match url.find('?') {
            Some(i) => url.split_at(i),
            None => (url.as_str(), ""),
        };
        let mut cleaned = crate::url::path_clean(path);
        if path.ends_with('/') && !cleaned.ends_with('/') {
            cleaned.push('/');
        }
        cleaned.push_str(query);
        url = cleaned;
    }

    let had_ct = w.header().has("Content-Type");
    w.header().set("Location", hex_escape_non_ascii(&url));
    if !had_ct && (r.method == "GET" || r.method == "HEAD") {
        w.header().set("Content-Type", "text/html; charset=utf-8");
    }
    w.write_header(code);
    // A body only for GET: not for HEAD, and a POST's client follows anyway.
    if !had_ct && r.method == "GET" {
        let body = format!(
            "<a href=\"{}\">{}</a>.\n",
            html_escape(&url),
            status_text(code)
        );
        let _ = writeln!(w, "{body}");
    }
}

/// The handler [`redirect_handler`] returns.
struct RedirectHandler {
    url: String,
    code: u16,
}

impl Handler for RedirectHandler {
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
        redirect(w, r, &self.url, self.code)
    }
}

/// A handler that redirects every request to `url` with `code` (Go's
/// `http.RedirectHandler`); see [`redirect`].
pub fn redirect_handler(url: impl Into<String>, code: u16) -> impl Handler {
    RedirectHandler {
        url: url.into(),
        code,
    }
}

/// The handler [`strip_prefix`] returns.
struct StripPrefix<H> {
    prefix: String,
    h: H,
}

impl<H: Handler> Handler for StripPrefix<H> {
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
        if self.prefix.is_empty() {
            return self.h.serve_http(w, r);
        }
        let path = r.url.path.strip_prefix(self.prefix.as_str());
        let raw = r.url.raw_path.strip_prefix(self.prefix.as_str());
        // The prefix must match the path, and the raw path too when there
        // is one: an escaped prefix does not match.
        let (Some(path), true) = (path, r.url.raw_path.is_empty() || raw.is_some()) else {
            return not_found(w, r);
        };
        let (path, raw) = (path.to_string(), raw.unwrap_or("").to_string());

        // Go hands the handler a copy of the request; this hands it the
        // request with the stripped paths and puts the caller's back after,
        // even if the handler panics.
        struct Restore<'a> {
            r: &'a mut Request,
            path: String,
            raw: String,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                std::mem::swap(&mut self.r.url.path, &mut self.path);
                std::mem::swap(&mut self.r.url.raw_path, &mut self.raw);
            }
        }
        let old_path = std::mem::replace(&mut r.url.path, path);
        let old_raw = std::mem::replace(&mut r.url.raw_path, raw);
        let guard = Restore {
            r,
            path: old_path,
            raw: old_raw,
        };
        self.h.serve_http(w, guard.r);
    }
}

/// A handler that removes `prefix` from the request's `url.path` (and
/// `url.raw_path`, if set) and passes it to `h`, answering 404 to a request
/// whose path does not start with `prefix` (Go's `http.StripPrefix`). The
/// prefix must match exactly: an escaped form of it in the request does
/// not. The caller's request is unchanged once `h` returns.
pub fn strip_prefix(prefix: impl Into<String>, h: impl Handler) -> impl Handler {
    StripPrefix {
        prefix: prefix.into(),
        h,
    }
}

/// Escapes the five HTML-special characters (Go's `htmlEscape`).
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes each byte at or above 0x80, in lower-case hex, leaving
/// the rest (and existing escapes) alone (Go's `hexEscapeNonASCII`).
fn hex_escape_non_ascii(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() * 2);
    for &b in s.as_bytes() {
        if b >= 0x80 {
            out.push_str(&format!("%{b:x}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Go's TestCleanPath: all 6 rows.
    #[test]
    fn clean_path_rows() {
        for (input, want) in [
            ("//", "/"),
            ("/x", "/x"),
            ("//x", "/x"),
            ("x//", "/x/"),
            ("a//b/////c", "/a/b/c"),
            ("/foo/../bar/./..//baz", "/baz"),
        ] {
            assert_eq!(clean_path(input), want, "{input:?}");
        }
    }

    // Go's TestExactMatch: all 8 rows.
    #[test]
    fn exact_match_rows() {
        for (pattern, path, want) in [
            ("", "/a", false),
            ("/", "/a", false),
            ("/a", "/a", true),
            ("/a/{x...}", "/a/b", false),
            ("/a/{x}", "/a/b", true),
            ("/a/b/", "/a/b/", true),
            ("/a/b/{$}", "/a/b/", true),
            ("/a/", "/a/b/", false),
        ] {
            let p = (!pattern.is_empty()).then(|| Arc::new(parse_pattern(pattern).unwrap()));
            assert_eq!(exact_match(p.as_ref(), path), want, "{pattern:?}, {path}");
        }
    }

    #[test]
    fn strip_host_port_rows() {
        for (input, want) in [
            ("example.com", "example.com"),
            ("example.com:443", "example.com"),
            ("[::1]:80", "::1"),
            ("a:b:c", "a:b:c"),
        ] {
            assert_eq!(strip_host_port(input), want, "{input:?}");
        }
    }

    // Which targets Redirect resolves against the request path: those
    // url::parse reads with no scheme and no host. Locations from go1.27.
    #[test]
    fn redirect_resolves_relative_targets() {
        use crate::httptest::{ResponseRecorder, new_request};
        for (input, want) in [
            ("", "/dir/"),
            ("foo", "/dir/foo"),
            ("/foo?next=http://bar.com/", "/foo?next=http://bar.com/"),
            ("///foobar.com/baz", "/foobar.com/baz"),
            ("//foobar.com/baz", "//foobar.com/baz"),
            ("http://foo.com/", "http://foo.com/"),
            ("test://foobar.com/baz", "test://foobar.com/baz"),
            (":foo", ":foo"),
            ("a%zz", "a%zz"),
            ("1a:b", "1a:b"),
            ("../x/./y/", "/x/y/"),
            ("b?c=d#f", "/dir/b?c=d#f"),
        ] {
            let mut w = ResponseRecorder::new();
            redirect(&mut w, &new_request("GET", "/dir/page", b""), input, 302);
            assert_eq!(w.header_map.get("Location"), want, "{input:?}");
        }
    }
}
