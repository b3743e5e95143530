//! The ServeMux tests of Go's net/http (serve_test.go, server_test.go,
//! request_test.go, go1.27), run in-process through `httptest` instead of
//! over sockets: a test that went through Go's client follows the mux's
//! redirects itself, as that client would.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gort_http::httptest::{ResponseRecorder, new_request};
use gort_http::url::URL;
use gort_http::{
    Handler, Request, ResponseWriter, ServeMux, not_found_handler, redirect, redirect_handler,
    strip_prefix,
};

/// A handler replying with just `code` (Go's `serve`).
fn serve_code(code: u16) -> impl Handler {
    move |w: &mut dyn ResponseWriter, _: &mut Request| w.write_header(code)
}

/// A handler setting `Result: msg` (Go's `stringHandler`).
fn string_handler(msg: &'static str) -> impl Handler {
    move |w: &mut dyn ResponseWriter, _: &mut Request| w.header().set("Result", msg)
}

/// Go's `checkQueryStringHandler`: 200 if the query spells the request's
/// own URL without scheme, else 500.
fn check_query_string(w: &mut dyn ResponseWriter, r: &mut Request) {
    let u = format!("http://{}{}", r.host, r.url.escaped_path());
    w.write_header(if format!("http://{}", r.url.raw_query) == u {
        200
    } else {
        500
    });
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Enough of Go's `url.Parse` for these tests: `[scheme://host]path[?query]`.
fn parse_url(s: &str) -> URL {
    let (mut rest, query) = s.split_once('?').unwrap_or((s, ""));
    let mut u = URL {
        raw_query: query.into(),
        ..URL::default()
    };
    if let Some(i) = rest.find("://") {
        u.scheme = rest[..i].into();
        rest = &rest[i + 3..];
        let end = rest.find('/').unwrap_or(rest.len());
        u.host = rest[..end].into();
        rest = &rest[end..];
    }
    u.path = percent_decode(rest);
    if u.path != rest {
        u.raw_path = rest.into();
    }
    u
}

/// A request built field by field, as Go's tests do with `&Request{...}`.
fn request(method: &str, host: &str, url: URL) -> Request {
    let mut r = Request::default();
    r.method = method.into();
    r.host = host.into();
    r.url = url;
    r
}

/// What Go's `http.NewRequest` (the client's) makes of an absolute URL.
fn client_request(method: &str, url: &str) -> Request {
    let u = parse_url(url);
    let host = u.host.clone();
    request(method, &host, u)
}

fn serve(h: &dyn Handler, r: &mut Request) -> ResponseRecorder {
    let mut w = ResponseRecorder::new();
    h.serve_http(&mut w, r);
    w
}

/// Serves `target` like Go's client would: following up to five 307s to
/// their `Location`, with the same method.
fn serve_following(mux: &ServeMux, method: &str, target: &str) -> ResponseRecorder {
    let mut target = target.to_string();
    for _ in 0..5 {
        let w = serve(mux, &mut new_request(method, &target, b""));
        if w.code != 307 {
            return w;
        }
        target = w.header_map.get("Location").to_string();
    }
    panic!("too many redirects for {method} {target}");
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

fn register_go_mux() -> ServeMux {
    // Go's serveMuxRegister.
    let mux = ServeMux::new();
    mux.handle("/dir/", serve_code(200));
    mux.handle("/search", serve_code(201));
    mux.handle("codesearch.google.com/search", serve_code(202));
    mux.handle("codesearch.google.com/", serve_code(203));
    mux.handle_func("example.com/", check_query_string);
    mux.handle("/pkg/bar/extra%2fpath", serve_code(200));
    mux
}

// Go's TestServeMuxHandler: all 24 serveMuxTests rows.
#[test]
fn serve_mux_handler() {
    let mux = register_go_mux();
    let rows = [
        ("GET", "google.com", "/", 404, ""),
        ("GET", "google.com", "/dir", 307, "/dir/"),
        ("GET", "google.com", "/dir/", 200, "/dir/"),
        ("GET", "google.com", "/dir/file", 200, "/dir/"),
        ("GET", "google.com", "/search", 201, "/search"),
        ("GET", "google.com", "/search/", 404, ""),
        ("GET", "google.com", "/search/foo", 404, ""),
        (
            "GET",
            "codesearch.google.com",
            "/search",
            202,
            "codesearch.google.com/search",
        ),
        (
            "GET",
            "codesearch.google.com",
            "/search/",
            203,
            "codesearch.google.com/",
        ),
        (
            "GET",
            "codesearch.google.com",
            "/search/foo",
            203,
            "codesearch.google.com/",
        ),
        (
            "GET",
            "codesearch.google.com",
            "/",
            203,
            "codesearch.google.com/",
        ),
        (
            "GET",
            "codesearch.google.com:443",
            "/",
            203,
            "codesearch.google.com/",
        ),
        ("GET", "images.google.com", "/search", 201, "/search"),
        ("GET", "images.google.com", "/search/", 404, ""),
        ("GET", "images.google.com", "/search/foo", 404, ""),
        ("GET", "google.com", "/../search", 307, "/search"),
        ("GET", "google.com", "/dir/..", 307, ""),
        ("GET", "google.com", "/dir/..", 307, ""),
        ("GET", "google.com", "/dir/./file", 307, "/dir/"),
        // The /foo -> /foo/ redirect applies to CONNECT, path cleaning not.
        ("CONNECT", "google.com", "/dir", 307, "/dir/"),
        ("CONNECT", "google.com", "/../search", 404, ""),
        ("CONNECT", "google.com", "/dir/..", 200, "/dir/"),
        ("CONNECT", "google.com", "/dir/..", 200, "/dir/"),
        ("CONNECT", "google.com", "/dir/./file", 200, "/dir/"),
    ];
    for (method, host, path, code, pattern) in rows {
        let mut r = request(
            method,
            host,
            URL {
                path: path.into(),
                ..URL::default()
            },
        );
        let (h, got_pattern) = mux.handler(&r);
        let w = serve(&h, &mut r);
        assert_eq!(
            (w.code, got_pattern.as_str()),
            (code, pattern),
            "{method} {host} {path}"
        );
    }
}

// Go's TestServeMuxHandlerTrailingSlash (issue 73688).
#[test]
fn serve_mux_handler_trailing_slash() {
    let mux = ServeMux::new();
    mux.handle("/{x}/", not_found_handler());
    let (_, p) = mux.handler(&new_request("POST", "/foo", b""));
    assert_eq!(p, "/{x}/");
}

// Go's TestServeMuxHandleFuncWithNilHandler is left out: a Rust handler
// cannot be nil, so there is nothing to refuse.

// Go's TestServeMuxHandlerRedirects: all 6 serveMuxTests2 rows.
#[test]
fn serve_mux_handler_redirects() {
    let mux = register_go_mux();
    let rows = [
        ("GET", "google.com", "/", 404, false),
        ("GET", "example.com", "/test/?example.com/test/", 200, false),
        ("GET", "example.com", "test/?example.com/test/", 200, true),
        ("GET", "google.com", "/pkg/bar//extra%2fpath", 200, true),
        ("GET", "google.com", "/dir/b%2fc/..", 200, true),
        ("GET", "google.com", "/doesnotexist/b%2fc/..", 404, true),
    ];
    for (method, host, url, code, redir_ok) in rows {
        let mut tries = 1;
        let mut turl = url.to_string();
        loop {
            let mut r = request(method, host, parse_url(&turl));
            let (h, _) = mux.handler(&r);
            let w = serve(&h, &mut r);
            if w.code != 307 {
                assert_eq!(w.code, code, "{method} {host} {url}");
                break;
            }
            assert!(redir_ok, "{method} {host} {url}: unexpected redirect");
            turl = w.header_map.get("Location").to_string();
            tries -= 1;
            assert!(tries >= 0, "{method} {host} {url}: too many redirects");
        }
    }
}

// Go's TestServeMuxHandlerRedirectPost.
#[test]
fn serve_mux_handler_redirect_post() {
    let mux = ServeMux::new();
    mux.handle_func("POST /test/", |w, _| w.write_header(200));
    let mut url = "http://example.com/test".to_string();
    let mut code = 0;
    for _ in 0..=1 {
        let mut r = new_request("POST", &url, b"hello world");
        let (h, _) = mux.handler(&r);
        let mut w = serve(&h, &mut r);
        code = w.code;
        match code {
            307 => url = w.result().header.get("Location").to_string(),
            200 => break,
            c => panic!("unhandled response code: {c}"),
        }
    }
    assert_eq!(code, 200);
}

// Go's TestMuxRedirectLeadingSlashes (issue 900): all 3 paths.
#[test]
fn mux_redirect_leading_slashes() {
    for path in ["//foo.txt", "///foo.txt", "/../../foo.txt"] {
        let mux = ServeMux::new();
        let mut r = new_request("GET", path, b"");
        r.host = "test".into();
        let w = serve(&mux, &mut r);
        assert_eq!(w.header_map.get("Location"), "/foo.txt", "{path}");
        assert_eq!(w.code, 307, "{path}");
    }
}

// Go's TestServeWithSlashRedirectKeepsQueryString (issue 17841): all 10
// rows, the client's redirect-following done by hand.
#[test]
fn serve_with_slash_redirect_keeps_query_string() {
    let write_back_query = |w: &mut dyn ResponseWriter, r: &mut Request| {
        w.write_all(r.url.raw_query.as_bytes()).unwrap();
    };
    let mux = ServeMux::new();
    mux.handle_func("/testOne", write_back_query);
    mux.handle_func("/testTwo/", write_back_query);
    mux.handle_func("/testThree", write_back_query);
    mux.handle_func("/testThree/", |w, r| {
        write!(w, "{}:bar", r.url.raw_query).unwrap();
    });
    let rows = [
        ("/testOne?this=that", "GET", "this=that", true),
        ("/testTwo?foo=bar", "GET", "foo=bar", true),
        ("/testTwo?a=1&b=2&a=3", "GET", "a=1&b=2&a=3", true),
        ("/testTwo?", "GET", "", true),
        ("/testThree?foo", "GET", "foo", true),
        ("/testThree/?foo", "GET", "foo:bar", true),
        ("/testThree?foo", "CONNECT", "foo", true),
        ("/testThree/?foo", "CONNECT", "foo:bar", true),
        ("/testOne/foo/..?foo", "GET", "foo", true),
        (
            "/testOne/foo/..?foo",
            "CONNECT",
            "404 page not found\n",
            false,
        ),
    ];
    for (i, (path, method, want, status_ok)) in rows.into_iter().enumerate() {
        let w = serve_following(&mux, method, path);
        if !status_ok {
            assert_eq!(w.code, 404, "#{i}");
        }
        assert_eq!(w.body_string(), want, "#{i}");
    }
}

// Go's TestServeWithSlashRedirectForHostPatterns: all 14 rows.
#[test]
fn serve_with_slash_redirect_for_host_patterns() {
    let mux = ServeMux::new();
    mux.handle(
        "example.com/pkg/foo/",
        string_handler("example.com/pkg/foo/"),
    );
    mux.handle("example.com/pkg/bar", string_handler("example.com/pkg/bar"));
    mux.handle(
        "example.com/pkg/bar/",
        string_handler("example.com/pkg/bar/"),
    );
    mux.handle(
        "example.com:3000/pkg/connect/",
        string_handler("example.com:3000/pkg/connect/"),
    );
    mux.handle("example.com:9000/", string_handler("example.com:9000/"));
    mux.handle("/pkg/baz/", string_handler("/pkg/baz/"));
    mux.handle("example.com/a%2fb/", string_handler("example.com/a%2fb/"));
    let rows = [
        ("GET", "http://example.com/", 404, "", ""),
        ("GET", "http://example.com/pkg/foo", 307, "/pkg/foo/", ""),
        (
            "GET",
            "http://example.com/pkg/bar",
            200,
            "",
            "example.com/pkg/bar",
        ),
        (
            "GET",
            "http://example.com/pkg/bar/",
            200,
            "",
            "example.com/pkg/bar/",
        ),
        ("GET", "http://example.com/pkg/baz", 307, "/pkg/baz/", ""),
        (
            "GET",
            "http://example.com:3000/pkg/foo",
            307,
            "/pkg/foo/",
            "",
        ),
        ("CONNECT", "http://example.com/", 404, "", ""),
        ("CONNECT", "http://example.com:3000/", 404, "", ""),
        (
            "CONNECT",
            "http://example.com:9000/",
            200,
            "",
            "example.com:9000/",
        ),
        (
            "CONNECT",
            "http://example.com/pkg/foo",
            307,
            "/pkg/foo/",
            "",
        ),
        ("CONNECT", "http://example.com:3000/pkg/foo", 404, "", ""),
        (
            "CONNECT",
            "http://example.com:3000/pkg/baz",
            307,
            "/pkg/baz/",
            "",
        ),
        (
            "CONNECT",
            "http://example.com:3000/pkg/connect",
            307,
            "/pkg/connect/",
            "",
        ),
        ("GET", "http://example.com/a%2fb", 307, "/a%2fb/", ""),
    ];
    for (i, (method, url, code, loc, want)) in rows.into_iter().enumerate() {
        let w = serve(&mux, &mut client_request(method, url));
        assert_eq!(w.code, code, "#{i}: {method} {url}");
        if code == 307 {
            assert_eq!(w.header_map.get("Location"), loc, "#{i}: {method} {url}");
        } else {
            assert_eq!(w.header_map.get("Result"), want, "#{i}: {method} {url}");
        }
    }
}

// Go's TestMuxNoSlashRedirectWithTrailingSlash (issue 65624).
#[test]
fn mux_no_slash_redirect_with_trailing_slash() {
    let mux = ServeMux::new();
    mux.handle_func("/{x}/", |w, _| writeln!(w, "ok").unwrap());
    assert_eq!(serve(&mux, &mut new_request("GET", "/", b"")).code, 404);
}

// Go's TestMuxNoSlash405WithTrailingSlash (issue 67657).
#[test]
fn mux_no_slash_405_with_trailing_slash() {
    let mux = ServeMux::new();
    mux.handle_func("GET /{x}/", |w, _| writeln!(w, "ok").unwrap());
    assert_eq!(serve(&mux, &mut new_request("GET", "/", b"")).code, 404);
}

// Go's TestFindHandler: all 16 rows. Go compares the handlers' %#v; here
// each registered handler tags the response with its number, and the
// redirect and not-found handlers are told by what they write.
#[test]
fn find_handler() {
    let mux = ServeMux::new();
    for (pat, i) in [
        ("/", "1"),
        ("/foo/", "2"),
        ("/foo", "3"),
        ("/bar/", "4"),
        ("//foo", "5"),
    ] {
        mux.handle(pat, string_handler(i));
    }
    let rows = [
        ("GET", "/", "handler 1"),
        ("GET", "//", "redirect /"),
        ("GET", "/foo/../bar/./..//baz", "redirect /baz"),
        ("GET", "/foo", "handler 3"),
        ("GET", "/foo/x", "handler 2"),
        ("GET", "/bar/x", "handler 4"),
        ("GET", "/bar", "redirect /bar/"),
        ("CONNECT", "", "not found"),
        ("CONNECT", "/", "handler 1"),
        ("CONNECT", "//", "handler 1"),
        ("CONNECT", "//foo", "handler 5"),
        ("CONNECT", "/foo/../bar/./..//baz", "handler 2"),
        ("CONNECT", "/foo", "handler 3"),
        ("CONNECT", "/foo/x", "handler 2"),
        ("CONNECT", "/bar/x", "handler 4"),
        ("CONNECT", "/bar", "redirect /bar/"),
    ];
    for (method, path, want) in rows {
        let mut r = request(
            method,
            "example.com",
            URL {
                path: path.into(),
                ..URL::default()
            },
        );
        let w = serve(&mux, &mut r);
        let got = match w.code {
            307 => format!("redirect {}", w.header_map.get("Location")),
            404 => "not found".to_string(),
            200 => format!("handler {}", w.header_map.get("Result")),
            c => format!("status {c}"),
        };
        assert_eq!(got, want, "{method} {path:?}");
    }
}

// Go's TestEmptyServeMux.
#[test]
fn empty_serve_mux() {
    let mux = ServeMux::new();
    let r = request(
        "GET",
        "example.com",
        URL {
            path: "/".into(),
            ..URL::default()
        },
    );
    assert_eq!(mux.handler(&r).1, "");
}

// Go's TestRegisterErr: 3 of its 5 rows (the two nil-handler rows cannot
// be written in Rust), plus TestRegisterConflict. Go returns these as
// errors from registerErr and panics with them; here the panic carries
// them.
#[test]
fn register_err() {
    let mux = ServeMux::new();
    mux.handle("/a", not_found_handler());
    assert_eq!(
        panic_message(|| mux.handle("", not_found_handler())),
        "http: invalid pattern"
    );
    assert_eq!(
        panic_message(|| mux.handle("/{x", not_found_handler())),
        "parsing \"/{x\": at offset 1: bad wildcard segment (must end with '}')"
    );
    let msg = panic_message(|| mux.handle("/a", not_found_handler()));
    let this_file = file!();
    assert!(
        msg.starts_with(&format!("pattern \"/a\" (registered at {this_file}:")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            ") conflicts with pattern \"/a\" (registered at {this_file}:"
        )),
        "{msg}"
    );
    assert!(
        msg.ends_with("):\n/a matches the same requests as /a"),
        "{msg}"
    );

    // TestRegisterConflict.
    let mux = ServeMux::new();
    mux.handle("/a/{x}/", not_found_handler());
    let msg = panic_message(|| mux.handle("/a/{y}/{z...}", not_found_handler()));
    assert!(msg.contains("matches the same requests as"), "{msg}");

    // The mux is still usable after a refused registration.
    mux.handle("/b", serve_code(204));
    assert_eq!(serve(&mux, &mut new_request("GET", "/b", b"")).code, 204);
}

// The conflict message names each registration's own line, as Go's does.
#[test]
fn conflict_message_names_both_lines() {
    let mux = ServeMux::new();
    let first = line!() + 1;
    mux.handle("GET /x/{id}", not_found_handler());
    let second = line!() + 1;
    let msg = panic_message(|| mux.handle("GET /{k}/y", not_found_handler()));
    let f = file!();
    assert_eq!(
        msg,
        format!(
            "pattern \"GET /{{k}}/y\" (registered at {f}:{second}) conflicts with pattern \"GET /x/{{id}}\" (registered at {f}:{first}):\n\
             GET /{{k}}/y and GET /x/{{id}} both match some paths, like \"/x/y\".\n\
             But neither is more specific than the other.\n\
             GET /{{k}}/y matches \"/k/y\", but GET /x/{{id}} doesn't.\n\
             GET /x/{{id}} matches \"/x/id\", but GET /{{k}}/y doesn't."
        )
    );
}

// Go's TestEscapedPathsAndPatterns, its "latest" half (the Go 1.21 half
// runs under GODEBUG=httpmuxgo121=1, a mode gort does not have): all 4
// patterns with their 9 paths.
#[test]
fn escaped_paths_and_patterns() {
    let rows: [(&str, &[&str]); 4] = [
        ("/a", &["/a", "/%61"]),
        ("/%62", &["/b", "/%62"]),
        ("/%7B/%7D", &["/{/}", "/%7b/}", "/{/%7d", "/%7B/%7D"]),
        ("/%x", &["/%25x"]),
    ];
    let mux = ServeMux::new();
    for (pattern, _) in rows {
        mux.handle_func(pattern, |_, _| {});
    }
    for (pattern, paths) in rows {
        for p in paths {
            let r = new_request("GET", p, b"");
            assert_eq!(mux.handler(&r).1, pattern, "{p}");
        }
    }
}

// Go's TestPathValueAndPattern: all 4 rows, and TestSetPathValue and
// TestPathValueNoMatch.
#[test]
fn path_value_and_pattern() {
    type Row<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let rows: [Row<'_>; 4] = [
        (
            "/{a}/is/{b}/{c...}",
            "/now/is/the/time/for/all",
            &[("a", "now"), ("b", "the"), ("c", "time/for/all"), ("d", "")],
        ),
        (
            "/names/{name}/{other...}",
            "/names/%2fjohn/address",
            &[("name", "/john"), ("other", "address")],
        ),
        (
            "/names/{name}/{other...}",
            "/names/john%2Fdoe/there/is%2F/more",
            &[("name", "john/doe"), ("other", "there/is//more")],
        ),
        (
            "/names/{name}/{other...}",
            "/names/n/*",
            &[("name", "n"), ("other", "*")],
        ),
    ];
    for (pattern, url, want) in rows {
        let mux = ServeMux::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let ran2 = Arc::clone(&ran);
        mux.handle_func(pattern, move |_, r| {
            for (name, value) in want {
                assert_eq!(r.path_value(name), *value, "{pattern:?}, {name:?}");
            }
            assert_eq!(r.pattern, pattern);
            ran2.fetch_add(1, Ordering::SeqCst);
        });
        let w = serve(&mux, &mut new_request("GET", url, b""));
        assert_eq!((w.code, ran.load(Ordering::SeqCst)), (200, 1), "{url}");
    }
}

#[test]
fn set_path_value() {
    let mux = ServeMux::new();
    mux.handle_func("/a/{b}/c/{d...}", |_, r| {
        assert_eq!((r.path_value("b"), r.path_value("d")), ("b", "d/e"));
        let kvs = [("b", "X"), ("d", "Y"), ("a", "Z")];
        for (k, v) in kvs {
            r.set_path_value(k, v);
        }
        for (k, v) in kvs {
            assert_eq!(r.path_value(k), v);
        }
    });
    assert_eq!(
        serve(&mux, &mut new_request("GET", "/a/b/c/d/e", b"")).code,
        200
    );

    // TestPathValueNoMatch.
    let mut r = Request::default();
    assert_eq!(r.path_value("x"), "");
    r.set_path_value("x", "a");
    assert_eq!(r.path_value("x"), "a");
}

// Go's TestStatus (request_test.go): all 12 rows on 405 and Allow, the
// client's redirect-following done by hand.
#[test]
fn status_405_and_allow() {
    let mux = ServeMux::new();
    let h = Arc::new(|_: &mut dyn ResponseWriter, _: &mut Request| {});
    mux.handle("GET /g", Arc::clone(&h));
    mux.handle("POST /p", Arc::clone(&h));
    mux.handle("PATCH /p", Arc::clone(&h));
    mux.handle("PUT /r", Arc::clone(&h));
    mux.handle("GET /r/", h);
    let rows = [
        ("GET", "/g", 200, ""),
        ("HEAD", "/g", 200, ""),
        ("POST", "/g", 405, "GET, HEAD"),
        ("GET", "/x", 404, ""),
        ("GET", "/p", 405, "PATCH, POST"),
        ("GET", "/./p", 405, "PATCH, POST"),
        ("GET", "/r/", 200, ""),
        ("GET", "/r", 200, ""),
        ("HEAD", "/r/", 200, ""),
        ("HEAD", "/r", 200, ""),
        ("PUT", "/r/", 405, "GET, HEAD"),
        ("PUT", "/r", 200, ""),
    ];
    for (method, path, status, allow) in rows {
        let w = serve_following(&mux, method, path);
        assert_eq!(w.code, status, "{method} {path}");
        assert_eq!(w.header_map.get("Allow"), allow, "{method} {path}: Allow");
    }
    let w = serve(&mux, &mut new_request("DELETE", "/p", b""));
    assert_eq!(w.body_string(), "Method Not Allowed\n");
    assert_eq!(
        w.header_map.get("Content-Type"),
        "text/plain; charset=utf-8"
    );
}

// Go's TestStripPrefix: all 4 rows; and TestStripPrefixNotModifyRequest.
#[test]
fn strip_prefix_rows() {
    let h = strip_prefix("/foo/bar", |w: &mut dyn ResponseWriter, r: &mut Request| {
        let (p, rp) = (r.url.path.clone(), r.url.raw_path.clone());
        w.header().set("X-Path", p);
        w.header().set("X-RawPath", rp);
    });
    let rows = [
        ("/foo/bar/qux", "/qux", ""),
        ("/foo/bar%2Fqux", "/qux", "%2Fqux"),
        ("/foo%2Fbar/qux", "", ""), // an escaped prefix does not match
        ("/bar", "", ""),
    ];
    for (req_path, path, raw_path) in rows {
        let w = serve(&h, &mut new_request("GET", req_path, b""));
        if path.is_empty() {
            assert_eq!(w.code, 404, "{req_path}");
            continue;
        }
        assert_eq!(w.code, 200, "{req_path}");
        assert_eq!(w.header_map.get("X-Path"), path, "{req_path}");
        assert_eq!(w.header_map.get("X-RawPath"), raw_path, "{req_path}");
    }

    let h = strip_prefix("/foo", not_found_handler());
    let mut r = new_request("GET", "/foo/bar", b"");
    serve(&h, &mut r);
    assert_eq!(r.url.path, "/foo/bar");

    // An empty prefix passes requests through.
    let w = serve(
        &strip_prefix("", serve_code(202)),
        &mut new_request("GET", "/x", b""),
    );
    assert_eq!(w.code, 202);
}

// Go's TestRedirect: all 12 rows.
#[test]
fn redirect_rows() {
    let r = client_request("GET", "http://example.com/qux/");
    let rows = [
        ("http://foobar.com/baz", "http://foobar.com/baz"),
        ("https://foobar.com/baz", "https://foobar.com/baz"),
        ("test://foobar.com/baz", "test://foobar.com/baz"),
        ("//foobar.com/baz", "//foobar.com/baz"),
        ("/foobar.com/baz", "/foobar.com/baz"),
        ("foobar.com/baz", "/qux/foobar.com/baz"),
        ("../quux/foobar.com/baz", "/quux/foobar.com/baz"),
        ("///foobar.com/baz", "/foobar.com/baz"),
        ("/foo?next=http://bar.com/", "/foo?next=http://bar.com/"),
        (
            "http://localhost:8080/_ah/login?continue=http://localhost:8080/",
            "http://localhost:8080/_ah/login?continue=http://localhost:8080/",
        ),
        ("/фубар", "/%d1%84%d1%83%d0%b1%d0%b0%d1%80"),
        (
            "http://foo.com/фубар",
            "http://foo.com/%d1%84%d1%83%d0%b1%d0%b0%d1%80",
        ),
    ];
    for (input, want) in rows {
        let mut w = ResponseRecorder::new();
        redirect(&mut w, &r, input, 302);
        assert_eq!(w.code, 302, "{input}");
        assert_eq!(w.header_map.get("Location"), want, "{input}");
    }
}

// Go's TestRedirectEscapedPath and TestRedirectBadPath.
#[test]
fn redirect_escaped_and_bad_paths() {
    let r = new_request("GET", "http://example.com/foo%2Fbar/", b"");
    let mut w = ResponseRecorder::new();
    redirect(&mut w, &r, "qux%2Fbaz", 301);
    assert_eq!(w.result().header.get("Location"), "/foo%2Fbar/qux%2Fbaz");

    // Not a valid request; it must not crash.
    let r = request(
        "GET",
        "",
        URL {
            scheme: "http".into(),
            path: "not-empty-but-no-leading-slash".into(),
            ..URL::default()
        },
    );
    let mut w = ResponseRecorder::new();
    redirect(&mut w, &r, "", 304);
    assert_eq!(w.code, 304);
}

// Go's TestRedirectContentTypeAndBody: 6 of its 8 rows. The two left out
// set `Content-Type` to an empty list of values, which gort's `Header`
// cannot hold (a key always has a value).
#[test]
fn redirect_content_type_and_body() {
    let rows = [
        (
            "GET",
            None,
            "text/html; charset=utf-8",
            "<a href=\"/foo\">Found</a>.\n\n",
        ),
        ("HEAD", None, "text/html; charset=utf-8", ""),
        ("POST", None, "", ""),
        ("DELETE", None, "", ""),
        ("foo", None, "", ""),
        ("GET", Some("application/test"), "application/test", ""),
    ];
    for (method, ct, want_ct, want_body) in rows {
        let r = new_request(method, "http://example.com/qux/", b"");
        let mut w = ResponseRecorder::new();
        if let Some(ct) = ct {
            w.header().set("Content-Type", ct);
        }
        redirect(&mut w, &r, "/foo", 302);
        assert_eq!(w.code, 302, "{method} {ct:?}");
        assert_eq!(w.header_map.get("Content-Type"), want_ct, "{method} {ct:?}");
        assert_eq!(w.result().body, want_body.as_bytes(), "{method} {ct:?}");
    }
}

#[test]
fn redirect_handler_redirects() {
    let h = redirect_handler("/new?x=1", 308);
    let w = serve(&h, &mut new_request("GET", "/old", b""));
    assert_eq!((w.code, w.header_map.get("Location")), (308, "/new?x=1"));
    assert_eq!(
        w.body_string(),
        "<a href=\"/new?x=1\">Permanent Redirect</a>.\n\n"
    );
}

// Go's TestMuxRedirectRelative.
#[test]
fn mux_redirect_relative() {
    let mux = ServeMux::new();
    let mut r = new_request("GET", "http://example.com", b"");
    r.host = "test".into();
    let w = serve(&mux, &mut r);
    assert_eq!(w.header_map.get("Location"), "/");
    assert_eq!(w.code, 307);
}

// Go's TestStripPortFromHost (issue 23351).
#[test]
fn strip_port_from_host() {
    let mux = ServeMux::new();
    mux.handle_func("example.com/", |w, _| w.write_all(b"OK").unwrap());
    mux.handle_func("example.com:9000/", |w, _| w.write_all(b"uh-oh!").unwrap());
    let w = serve(
        &mux,
        &mut new_request("GET", "http://example.com:9000/", b""),
    );
    assert_eq!(w.body_string(), "OK");
}

// Go's TestHostHandlers: all 9 vtests rows.
#[test]
fn host_handlers() {
    let mux = ServeMux::new();
    mux.handle("/", string_handler("Default"));
    mux.handle("/someDir/", string_handler("someDir"));
    mux.handle("/#/", string_handler("hash"));
    mux.handle(
        "someHost.com/someDir/",
        string_handler("someHost.com/someDir"),
    );
    let rows = [
        ("http://localhost/someDir/apage", "someDir"),
        ("http://localhost/%23/apage", "hash"),
        ("http://localhost/otherDir/apage", "Default"),
        ("http://someHost.com/someDir/apage", "someHost.com/someDir"),
        ("http://otherHost.com/someDir/apage", "someDir"),
        ("http://otherHost.com/aDir/apage", "Default"),
        ("http://localhost/someDir", "/someDir/"),
        ("http://localhost/%23", "/%23/"),
        ("http://someHost.com/someDir", "/someDir/"),
    ];
    for (url, expected) in rows {
        let w = serve(&mux, &mut client_request("GET", url));
        let got = match w.code {
            200 => w.header_map.get("Result"),
            307 => w.header_map.get("Location"),
            c => panic!("{url}: unhandled status code {c}"),
        };
        assert_eq!(got, expected, "{url}");
    }
}

#[test]
fn asterisk_requests_get_400() {
    let mux = ServeMux::new();
    mux.handle_func("/", |_, _| panic!("not for *"));
    let w = serve(&mux, &mut new_request("OPTIONS", "*", b""));
    assert_eq!(w.code, 400);
    assert_eq!(w.header_map.get("Connection"), "close");
}

// After Go's TestShouldRedirectConcurrency: registering while serving. A
// handler may even register on its own mux: no lock is held around it.
#[test]
fn registers_while_serving() {
    let mux = Arc::new(ServeMux::new());
    let m2 = Arc::clone(&mux);
    mux.handle_func("/add", move |w, _| {
        m2.handle_func("/added", |w, _| w.write_header(201));
        w.write_header(200);
    });
    assert_eq!(
        serve(&*mux, &mut new_request("GET", "/added", b"")).code,
        404
    );
    assert_eq!(serve(&*mux, &mut new_request("GET", "/add", b"")).code, 200);
    assert_eq!(
        serve(&*mux, &mut new_request("GET", "/added", b"")).code,
        201
    );

    let threads: Vec<_> = (0..4)
        .map(|t| {
            let mux = Arc::clone(&mux);
            std::thread::spawn(move || {
                for i in 0..100 {
                    mux.handle_func(&format!("/t{t}/{i}"), |w, _| w.write_header(202));
                    let w = serve(&*mux, &mut new_request("GET", &format!("/t{t}/{i}"), b""));
                    assert_eq!(w.code, 202);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

// The package-level mux, Go's DefaultServeMux with Handle and HandleFunc.
#[test]
fn default_serve_mux_registers() {
    gort_http::handle("GET /default-mux-test/a", serve_code(201));
    gort_http::handle_func("GET /default-mux-test/{x}", |w, r| {
        write!(w, "{}", r.path_value("x")).unwrap();
    });
    let mux = gort_http::default_serve_mux();
    assert_eq!(
        serve(&mux, &mut new_request("GET", "/default-mux-test/a", b"")).code,
        201
    );
    let w = serve(&mux, &mut new_request("GET", "/default-mux-test/b", b""));
    assert_eq!(w.body_string(), "b");
}

#[test]
fn more_specific_patterns_win() {
    let mux = ServeMux::new();
    mux.handle("/", string_handler("root"));
    mux.handle("/a/{x}", string_handler("wild"));
    mux.handle("/a/b", string_handler("lit"));
    mux.handle("GET /a/b", string_handler("get-lit"));
    mux.handle("h.test/a/{x}", string_handler("host-wild"));
    for (method, target, want) in [
        ("GET", "/a/b", "get-lit"),
        ("HEAD", "/a/b", "get-lit"),
        ("POST", "/a/b", "lit"),
        ("POST", "/a/c", "wild"),
        ("GET", "/a/b/c", "root"),
        ("GET", "http://h.test/a/b", "host-wild"),
        ("GET", "http://h.test/z", "root"),
    ] {
        let w = serve(&mux, &mut new_request(method, target, b""));
        assert_eq!(w.header_map.get("Result"), want, "{method} {target}");
    }
}
