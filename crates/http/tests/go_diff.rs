//! A differential test against Go's net/http (go1.27): the same routes on
//! a Go `http.ServeMux` (tests/go_diff/main.go) and on a gort-http
//! `ServeMux`, the same raw requests sent to both over loopback, and per
//! request the replies compared: the status codes in order, the bodies
//! (each handler describes what it saw, so this compares the handlers'
//! views), the `Location` and `Allow` fields, and whether the server
//! closed the connection. Dates and other response fields are not
//! compared.
//!
//! Where gort differs from Go on purpose, the case is listed in
//! [`EXPECTED_DIFFERENCES`] with the reason; any other difference fails
//! the test, and so does a listed case that no longer differs.
//!
//! Needs `go` on PATH (CI has it); without it the test prints a note and
//! passes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gort_http::{Request, ResponseWriter, ServeMux, Server};

/// Cases where gort-http deliberately answers differently from Go, with
/// the reason.
const EXPECTED_DIFFERENCES: &[(&str, &str)] = &[
    // Deliberate.
    (
        "GET /users/%FF",
        "URL.path is a Rust String: an escape that decodes to invalid UTF-8 \
         decodes lossily (U+FFFD), and raw_path keeps the original",
    ),
    (
        "CL and TE",
        "Content-Length with chunked: read as chunked, as Go does, but the \
         connection closes after (RFC 9112 §6.1); Go keeps it open",
    ),
    ("TE and CL", "as \"CL and TE\""),
    (
        "obs-fold",
        "obsolete line folding is refused with 400 (RFC 9112 §5.2); Go folds",
    ),
    ("obs-fold tab", "as \"obs-fold\""),
    (
        "leading CRLF",
        "empty lines before a request line are skipped always (RFC 9112 \
         §2.2); Go skips them only after a POST",
    ),
    ("leading LF", "as \"leading CRLF\""),
    (
        "empty line only",
        "as \"leading CRLF\": gort waits for a request line",
    ),
    ("pipelined GET CRLF GET", "as \"leading CRLF\""),
    (
        "bare CR line end",
        "a bare CR is refused with 400 as soon as it is seen; Go waits for \
         the LF ending the line, then refuses it (a CR is valid nowhere in a head)",
    ),
    (
        "PRI preface",
        "gort-http speaks HTTP/1 only: the HTTP/2 preface gets 505; Go hands \
         `PRI * HTTP/2.0` to the handler (its mux then answers 400)",
    ),
];

/// The same limit on both servers.
const MAX_HEADER_BYTES: usize = 8 << 10;

/// How long a connection may be silent after its last byte before the
/// client stops waiting for more (when what it read parses as complete
/// responses, or as nothing at all).
const QUIET: Duration = Duration::from_millis(400);

/// The most a single exchange may take.
const DEADLINE: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------
// The gort-http twin of main.go.

/// main.go's `esc`: every byte outside `!`..`~`, and `%` and `\`, as %XX.
fn esc(s: &str) -> String {
    let mut out = String::new();
    for &c in s.as_bytes() {
        if c > b' ' && c < 0x7f && c != b'%' && c != b'\\' {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn describe(w: &mut dyn ResponseWriter, r: &Request, names: &[&str], body: &str) {
    let mut b = String::new();
    let mut line = |k: &str, v: &str| {
        b.push_str(k);
        b.push('=');
        b.push_str(v);
        b.push('\n');
    };
    line("pattern", &esc(&r.pattern));
    line("method", &esc(&r.method));
    line("path", &esc(&r.url.path));
    line("rawpath", &esc(&r.url.raw_path));
    line("query", &esc(&r.url.raw_query));
    line("uri", &esc(&r.request_uri));
    line("host", &esc(&r.host));
    line("urlhost", &esc(&r.url.host));
    line("proto", &esc(&r.proto));
    line("cl", &r.content_length.to_string());
    line("te", &esc(&r.transfer_encoding.join(",")));
    line("close", &r.close.to_string());
    for n in names {
        line(&format!("pv.{n}"), &esc(r.path_value(n)));
    }
    let mut fields: Vec<(&str, &[String])> = r.header.iter().collect();
    fields.sort();
    for (k, vs) in fields {
        line(&format!("hdr.{}", esc(k)), &esc(&vs.join("|")));
    }
    line("body", body);
    w.write_all(b.as_bytes()).unwrap();
}

fn plain(
    names: &'static [&'static str],
) -> impl Fn(&mut dyn ResponseWriter, &mut Request) + Send + Sync + 'static {
    move |w, r| describe(w, r, names, "-")
}

fn echo(w: &mut dyn ResponseWriter, r: &mut Request) {
    let mut b = Vec::new();
    let body = match r.body.read_to_end(&mut b) {
        Ok(_) => esc(&String::from_utf8_lossy(&b)),
        Err(_) => "ERR".to_string(),
    };
    describe(w, r, &[], &body);
}

fn form(w: &mut dyn ResponseWriter, r: &mut Request) {
    let mut b = String::new();
    if r.parse_form().is_err() {
        b.push_str("formerr\n");
    }
    for (k, vs) in &r.form.as_ref().expect("parsed").0 {
        b.push_str(&format!("form.{}={}\n", esc(k), esc(&vs.join("|"))));
    }
    describe(w, r, &[], &esc(&b));
}

fn gort_mux() -> ServeMux {
    let mux = ServeMux::new();
    mux.handle_func("GET /users/{id}", plain(&["id"]));
    mux.handle_func("POST /users", echo);
    mux.handle_func("DELETE /users/{id}", plain(&["id"]));
    mux.handle_func("PUT /items/{id}", echo);
    mux.handle_func("/items/{id}", plain(&["id"]));
    mux.handle_func("/files/{path...}", plain(&["path"]));
    mux.handle_func("/exact/{$}", plain(&[]));
    mux.handle_func("/static/", plain(&[]));
    mux.handle_func("example.com/host", plain(&[]));
    mux.handle_func("example.com/", plain(&[]));
    mux.handle_func("GET /{$}", plain(&[]));
    mux.handle_func("GET /any/", plain(&[]));
    mux.handle_func("/a/{x}/b", plain(&["x"]));
    mux.handle_func("/a/{x}/{y}", plain(&["x", "y"]));
    mux.handle_func("GET /b/{bucket}/o/{obj...}", plain(&["bucket", "obj"]));
    mux.handle_func("/echo", echo);
    mux.handle_func("/noread", plain(&[]));
    mux.handle_func("GET /head", plain(&[]));
    mux.handle_func("/form", form);
    mux.handle_func("OPTIONS /opt", plain(&[]));
    mux.handle_func("/tree/", plain(&[]));
    mux.handle_func("/tree/leaf/{$}", plain(&[]));
    mux.handle_func("/redirect", |w, r| {
        gort_http::redirect(w, r, "/users/1?x=y", 302)
    });
    mux.handle_func("/status/{code}", |w, r| {
        let code = match r.path_value("code").parse::<u16>() {
            Ok(c) if (200..=599).contains(&c) => c,
            _ => 500,
        };
        w.write_header(code);
        let _ = w.write_all(format!("status {code}\n").as_bytes());
    });
    mux.handle_func("/big", |w, _r| {
        for i in 0..500 {
            let _ = writeln!(w, "line {i}");
        }
    });
    mux
}

/// Serves the twin in a thread of its own; returns its address.
fn start_gort() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        gort::run(move || {
            let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
            tx.send(ln.addr().to_string()).unwrap();
            let srv = Arc::new(Server {
                handler: Some(Arc::new(gort_mux())),
                max_header_bytes: MAX_HEADER_BYTES,
                ..Default::default()
            });
            let _ = srv.serve(ln);
        })
    });
    rx.recv().unwrap()
}

/// The Go server; killed when dropped.
struct GoServer {
    child: Child,
    addr: String,
    _dir: TempDir,
}

impl Drop for GoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds and starts main.go; `None` without a `go` on PATH.
fn start_go() -> Option<GoServer> {
    if Command::new("go").arg("version").output().is_err() {
        return None;
    }
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/go_diff");
    let dir = TempDir(std::env::temp_dir().join(format!("gort-go-diff-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let bin = dir.0.join("server");
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(&src)
        .output()
        .expect("go build");
    assert!(
        out.status.success(),
        "go build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = Command::new(&bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the Go server");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    Some(GoServer {
        child,
        addr,
        _dir: dir,
    })
}

// ---------------------------------------------------------------------
// The client.

/// A complete response: status, Location, Allow, body.
type Reply = (u16, String, String, Vec<u8>);

/// What a server answered to one case.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// Each complete response.
    responses: Vec<Reply>,
    /// Bytes after the last complete response.
    trailing: Vec<u8>,
    closed: bool,
    timed_out: bool,
}

impl Outcome {
    fn statuses(&self) -> String {
        let s: Vec<String> = self.responses.iter().map(|r| r.0.to_string()).collect();
        let mut out = format!("[{}]", s.join(","));
        out.push_str(if self.closed { " closed" } else { " open" });
        if self.timed_out {
            out.push_str(" timeout");
        }
        if !self.trailing.is_empty() {
            out.push_str(&format!(" +{}B", self.trailing.len()));
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses responses off the front of `buf`; returns them and how many
/// bytes they took. `head` means the first response answers a HEAD.
fn parse_responses(buf: &[u8], head: bool, closed: bool) -> (Vec<Reply>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        let Some(end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let head_text = String::from_utf8_lossy(&rest[..end]).into_owned();
        let mut lines = head_text.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut fields = BTreeMap::new();
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                fields.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let mut pos = end + 4;
        let no_body = (head && out.is_empty())
            || status == 204
            || status == 304
            || (100..200).contains(&status);
        let mut body = Vec::new();
        if no_body {
        } else if let Ok(n) = field("content-length").parse::<usize>() {
            if rest.len() < pos + n {
                break;
            }
            body.extend_from_slice(&rest[pos..pos + n]);
            pos += n;
        } else if field("transfer-encoding") == "chunked" {
            let mut done = false;
            while let Some(eol) = find(&rest[pos..], b"\r\n") {
                let size_text = String::from_utf8_lossy(&rest[pos..pos + eol]).into_owned();
                let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap(), 16)
                else {
                    break;
                };
                pos += eol + 2;
                if size == 0 {
                    if rest.len() >= pos + 2 && &rest[pos..pos + 2] == b"\r\n" {
                        pos += 2;
                        done = true;
                    }
                    break;
                }
                if rest.len() < pos + size + 2 {
                    break;
                }
                body.extend_from_slice(&rest[pos..pos + size]);
                pos += size + 2;
            }
            if !done {
                break;
            }
        } else if closed {
            body.extend_from_slice(&rest[pos..]);
            pos = rest.len();
        } else {
            break;
        }
        out.push((status, field("location"), field("allow"), body));
        at += pos;
    }
    (out, at)
}

/// Sends `raw` on a fresh connection to `addr` and reads the replies.
fn exchange(addr: &str, raw: &[u8], head: bool) -> Outcome {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(25))).unwrap();
    s.set_write_timeout(Some(DEADLINE)).unwrap();
    let start = Instant::now();
    // A server may refuse before reading everything: ignore write errors.
    let _ = s.write_all(raw);
    let mut buf = Vec::new();
    let mut last = Instant::now();
    let mut closed = false;
    let mut timed_out = false;
    let mut chunk = [0u8; 16 << 10];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                last = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if start.elapsed() > DEADLINE {
                    timed_out = true;
                    break;
                }
                if last.elapsed() >= QUIET {
                    let (_, used) = parse_responses(&buf, head, false);
                    if used == buf.len() {
                        break;
                    }
                }
            }
            // A reset counts as a close.
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    let (responses, used) = parse_responses(&buf, head, closed);
    Outcome {
        responses,
        trailing: buf[used..].to_vec(),
        closed,
        timed_out,
    }
}

// ---------------------------------------------------------------------
// The cases.

struct Case {
    name: String,
    raw: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let mut c: Vec<Case> = Vec::new();
    let mut add = |name: &str, raw: &[u8]| {
        assert!(
            !c.iter().any(|k| k.name == name),
            "duplicate case name {name}"
        );
        c.push(Case {
            name: name.to_string(),
            raw: raw.to_vec(),
        })
    };

    // Paths, escapes, cleaning and mux precedence.
    let paths: &[&str] = &[
        "/",
        "/users/42",
        "/users/",
        "/users",
        "/users/a%2Fb",
        "/users/%2e%2e",
        "/users/a/b",
        "/users/%41",
        "/users/caf%C3%A9",
        "/users/%FF",
        "/users/a%20b",
        "/users/42?x=1&y=2",
        "/users/42?",
        "/users/42?a=%zz",
        "/users/42#frag",
        "/files/",
        "/files",
        "/files/a/b/c",
        "/files/a%2Fb/c",
        "/files/../etc/passwd",
        "/files/./x",
        "/files/a/../b",
        "/files/%2e%2e/x",
        "/files//x",
        "/files/x/",
        "//files/x",
        "/exact/",
        "/exact",
        "/exact/x",
        "/exact//",
        "/static",
        "/static/",
        "/static/a/b",
        "/static/%2e%2e/x",
        "/static/../users/1",
        "/a/1/b",
        "/a/1/c",
        "/a/1/b/",
        "/a/%2F/b",
        "/a//b",
        "/b/bk/o/x/y",
        "/b/bk/o/",
        "/b/bk/o",
        "/tree",
        "/tree/",
        "/tree/leaf",
        "/tree/leaf/",
        "/tree/leaf/x",
        "/x/../y",
        "/x/./y",
        "/x/..",
        "/.",
        "/..",
        "/%2e",
        "/%2e%2e",
        "/%zz",
        "/%",
        "/a%2",
        "/?a=b&c",
        "/?",
        "/?q=%20+x",
        "/head",
        "/echo",
        "/noread",
        "/redirect",
        "/redirect?a=b",
        "/big",
        "/status/204",
        "/status/304",
        "/status/404",
        "/status/201",
        "/status/999",
        "/form?a=1&b=2&a=3",
        "/form?a=1;b=2",
        "/form?%zz=1&ok=2",
        "/form?a=%E2%82%AC&b=+",
        "*",
        "/a*b",
        "/%00",
        "/a%0Ab",
        "/\u{e9}",
        "/a'b\"c",
        "/a[b]c",
        "/a{b}c",
        "/a|b",
        "/~user",
        "/a;b=c",
        "/a,b",
        "/a@b",
        "/a:b",
        "/users/a:b",
        "/tree/../tree/leaf/",
        "/any",
        "/any/x/y",
        "/any/%2F",
        "/nothing/here",
    ];
    for p in paths {
        add(
            &format!("GET {p}"),
            format!("GET {p} HTTP/1.1\r\nHost: h.test\r\n\r\n").as_bytes(),
        );
    }
    for p in ["/", "/users/42", "/head", "/big", "/files//x", "/exact"] {
        add(
            &format!("HEAD {p}"),
            format!("HEAD {p} HTTP/1.1\r\nHost: h.test\r\n\r\n").as_bytes(),
        );
    }

    // Methods and 405s.
    let methods: &[(&str, &str)] = &[
        (
            "POST /users",
            "POST /users HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "POST /users/42",
            "POST /users/42 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "DELETE /users/42",
            "DELETE /users/42 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "PUT /users/42",
            "PUT /users/42 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "PUT /users",
            "PUT /users HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "GET /users as POST path",
            "POST /users/ HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "PUT /items/3",
            "PUT /items/3 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nitem",
        ),
        (
            "PATCH /items/3",
            "PATCH /items/3 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx",
        ),
        ("FOO /items/3", "FOO /items/3 HTTP/1.1\r\nHost: h\r\n\r\n"),
        (
            "lower get /users/1",
            "get /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "lower post /users",
            "post /users HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "POST /",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "POST /nowhere",
            "POST /nowhere HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        ),
        ("OPTIONS /opt", "OPTIONS /opt HTTP/1.1\r\nHost: h\r\n\r\n"),
        (
            "OPTIONS /users/42",
            "OPTIONS /users/42 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        ("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"),
        (
            "OPTIONS * with body",
            "OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
        ),
        ("GET * ", "GET * HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("OPTIONS *x", "OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("TRACE /", "TRACE / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("M-SEARCH *", "M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n"),
        (
            "method with token chars",
            "A!#$%&'*+-.^_`|~ /items/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        ("method G(T", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("method G:T", "G:T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("empty method", " / HTTP/1.1\r\nHost: h\r\n\r\n"),
        (
            "CONNECT authority",
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        ),
        (
            "CONNECT no host field",
            "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
        ),
        (
            "CONNECT path",
            "CONNECT /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "CONNECT no port",
            "CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "DELETE with body",
            "DELETE /users/7 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi",
        ),
    ];
    for (name, raw) in methods {
        add(name, raw.as_bytes());
    }

    // Host rules and absolute-form targets.
    let hosts: &[(&str, &str)] = &[
        ("no Host 1.1", "GET /users/1 HTTP/1.1\r\n\r\n"),
        ("no Host 1.0", "GET /users/1 HTTP/1.0\r\n\r\n"),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        (
            "two equal Hosts",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        ),
        ("empty Host", "GET /users/1 HTTP/1.1\r\nHost:\r\n\r\n"),
        ("Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
        ("Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
        ("Host with at", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"),
        (
            "Host with port",
            "GET / HTTP/1.1\r\nHost: a.test:8080\r\n\r\n",
        ),
        ("Host ipv6", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"),
        (
            "Host utf8",
            "GET / HTTP/1.1\r\nHost: caf\u{e9}.test\r\n\r\n",
        ),
        (
            "Host percent",
            "GET / HTTP/1.1\r\nHost: ex%41mple.com\r\n\r\n",
        ),
        (
            "Host pattern",
            "GET /host HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        (
            "Host pattern port",
            "GET /host HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
        ),
        (
            "Host pattern upper",
            "GET /host HTTP/1.1\r\nHost: EXAMPLE.COM\r\n\r\n",
        ),
        (
            "Host pattern dot",
            "GET /host HTTP/1.1\r\nHost: example.com.\r\n\r\n",
        ),
        (
            "Host pattern POST",
            "POST /host HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "Host subtree",
            "GET /other HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        (
            "Host subtree clean",
            "GET /a/../host HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        (
            "Host subtree users",
            "GET /users/1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        (
            "Host subtree trailing slash",
            "GET /host/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        (
            "absolute form",
            "GET http://example.com/host HTTP/1.1\r\nHost: other\r\n\r\n",
        ),
        (
            "absolute form no Host",
            "GET http://example.com/host HTTP/1.1\r\n\r\n",
        ),
        (
            "absolute form https",
            "GET https://example.com/host?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "absolute form port",
            "GET http://example.com:80/host HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "absolute form userinfo",
            "GET http://u:p@example.com/host HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "absolute form no path",
            "GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "absolute form other",
            "GET http://other.test/users/5 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        (
            "absolute form dots",
            "GET http://h.test/a/../users/5 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "scheme-less target",
            "GET example.com/host HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "odd scheme",
            "GET ftp://example.com/host HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        ("Host tab", "GET / HTTP/1.1\r\nHost:\texample.com\t\r\n\r\n"),
        (
            "Host lowercase key",
            "GET /host HTTP/1.1\r\nhost: example.com\r\n\r\n",
        ),
        (
            "Host upper key",
            "GET /host HTTP/1.1\r\nHOST: example.com\r\n\r\n",
        ),
    ];
    for (name, raw) in hosts {
        add(name, raw.as_bytes());
    }

    // Content-Length.
    let cls: &[(&str, &str, &str)] = &[
        ("CL plain", "5", "hello"),
        ("CL leading zeros", "005", "hello"),
        ("CL plus", "+5", "hello"),
        ("CL minus", "-5", "hello"),
        ("CL spaces", "  5  ", "hello"),
        ("CL inner space", "5 5", "hello"),
        ("CL empty", "", "hello"),
        ("CL huge", "99999999999999999999", "hello"),
        ("CL max int64", "9223372036854775807", "hello"),
        ("CL hex", "0x5", "hello"),
        ("CL comma equal", "5, 5", "hello"),
        ("CL comma", "5,5", "hello"),
        ("CL zero", "0", ""),
        ("CL zeros", "000", ""),
        ("CL short", "3", "hello"),
        ("CL tab", "\t5", "hello"),
        ("CL letter", "5a", "hello"),
        ("CL exp", "5e0", "hello"),
        ("CL unicode digit", "\u{0665}", "hello"),
    ];
    for (name, cl, body) in cls {
        add(
            name,
            format!("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: {cl}\r\n\r\n{body}")
                .as_bytes(),
        );
    }
    let more_cl: &[(&str, &str)] = &[
        (
            "CL duplicate equal",
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        ),
        (
            "CL duplicate unequal",
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        ),
        (
            "CL duplicate one empty",
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length:\r\n\r\nhello",
        ),
        (
            "CL on GET",
            "GET /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody",
        ),
        (
            "CL on HEAD",
            "HEAD /users/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody",
        ),
        (
            "CL 0 on GET",
            "GET /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "CL longer than sent",
            "POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello",
        ),
        (
            "CL noread then GET",
            "POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /users/2 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "CL short then garbage",
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhello",
        ),
        ("no CL POST", "POST /echo HTTP/1.1\r\nHost: h\r\n\r\nhello"),
        ("no CL POST 1.0", "POST /echo HTTP/1.0\r\n\r\nhello"),
        (
            "CL 1.0",
            "POST /echo HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
        ),
        (
            "CL form body",
            "POST /form?q=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=2&q=3",
        ),
        (
            "CL form body bad",
            "POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\n%zz",
        ),
        (
            "CL form PUT",
            "PUT /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: 3\r\n\r\nk=v",
        ),
        (
            "CL form GET",
            "GET /form?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\nk=v",
        ),
    ];
    for (name, raw) in more_cl {
        add(name, raw.as_bytes());
    }

    // Chunked.
    let chunked: &[(&str, &str)] = &[
        ("chunked plain", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
        ("chunked ext", "3;a=b\r\nabc\r\n0;x\r\n\r\n"),
        ("chunked ext quoted", "3;a=\"b;c\"\r\nabc\r\n0\r\n\r\n"),
        ("chunked ext spaces", "3 ; a=b\r\nabc\r\n0\r\n\r\n"),
        ("chunked bare LF size", "3\nabc\r\n0\r\n\r\n"),
        ("chunked bare LF data", "3\r\nabc\n0\r\n\r\n"),
        ("chunked bare LF end", "3\r\nabc\r\n0\n\n"),
        ("chunked upper hex", "A\r\n0123456789\r\n0\r\n\r\n"),
        ("chunked lower hex", "a\r\n0123456789\r\n0\r\n\r\n"),
        ("chunked leading zeros", "0003\r\nabc\r\n0000\r\n\r\n"),
        (
            "chunked overlong size",
            "10000000000000000\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "chunked 16 hex digits",
            "0000000000000003\r\nabc\r\n0\r\n\r\n",
        ),
        ("chunked 0x", "0x3\r\nabc\r\n0\r\n\r\n"),
        ("chunked negative", "-3\r\nabc\r\n0\r\n\r\n"),
        ("chunked empty size", "\r\nabc\r\n0\r\n\r\n"),
        ("chunked size space", "3 \r\nabc\r\n0\r\n\r\n"),
        ("chunked size tab", "3\t\r\nabc\r\n0\r\n\r\n"),
        (
            "chunked trailers",
            "3\r\nabc\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n",
        ),
        ("chunked trailer bare LF", "3\r\nabc\r\n0\r\nX-T: 1\n\r\n"),
        (
            "chunked trailer no colon",
            "3\r\nabc\r\n0\r\nnonsense\r\n\r\n",
        ),
        ("chunked data too long", "3\r\nabcd\r\n0\r\n\r\n"),
        ("chunked data no CRLF", "3\r\nabcX\r\n0\r\n\r\n"),
        (
            "chunked missing final CRLF then GET",
            "3\r\nabc\r\n0\r\nGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "chunked then GET",
            "3\r\nabc\r\n0\r\n\r\nGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        ("chunked zero only", "0\r\n\r\n"),
        ("chunked CR in ext", "3;a\rb\r\nabc\r\n0\r\n\r\n"),
        ("chunked big chunk", "400\r\n"),
    ];
    for (name, body) in chunked {
        let mut body = body.to_string();
        if *name == "chunked big chunk" {
            body.push_str(&"x".repeat(0x400));
            body.push_str("\r\n0\r\n\r\n");
        }
        add(
            name,
            format!("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n{body}")
                .as_bytes(),
        );
    }
    let te: &[(&str, &str)] = &[
        (
            "TE Chunked case",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE gzip chunked",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE chunked chunked",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE two fields",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE identity",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
        ),
        (
            "TE gzip",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
        ),
        (
            "TE empty",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n",
        ),
        (
            "TE trailing space",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE on GET",
            "GET /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE on HTTP/1.0",
            "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE on HTTP/1.0 keep-alive",
            "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "CL and TE",
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE and CL",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "TE noread",
            "POST /noread HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /users/3 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "Trailer field",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
        ),
        (
            "Trailer field not chunked",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTrailer: X-T\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Trailer Content-Length",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "Trailer list",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTrailer: a, b\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nA: 1\r\nB: 2\r\n\r\n",
        ),
        (
            "chunked trailer folded",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: a\r\n b\r\n\r\n",
        ),
        (
            "chunked trailer leading space",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n X: a\r\n\r\n",
        ),
        (
            "chunked trailer bad value",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: a\x01\r\n\r\n",
        ),
        (
            "chunked trailer space name",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX Y: a\r\n\r\n",
        ),
        (
            "chunked trailer then GET",
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: 1\r\n\r\nGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "TE bad noread",
            "POST /noread HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        ),
    ];
    for (name, raw) in te {
        add(name, raw.as_bytes());
    }

    // Line endings and header oddities.
    let heads: &[(&str, &str)] = &[
        (
            "bare LF everywhere",
            "GET /users/1 HTTP/1.1\nHost: h\nX: y\n\n",
        ),
        (
            "bare LF mixed",
            "GET /users/1 HTTP/1.1\r\nHost: h\nX: y\r\n\n",
        ),
        (
            "bare LF request line",
            "GET /users/1 HTTP/1.1\nHost: h\r\n\r\n",
        ),
        (
            "bare CR in field",
            "GET /users/1 HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
        ),
        ("bare CR line end", "GET /users/1 HTTP/1.1\rHost: h\r\r"),
        (
            "obs-fold",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
        ),
        (
            "obs-fold tab",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n",
        ),
        (
            "first field folded",
            "GET /users/1 HTTP/1.1\r\n Host: h\r\n\r\n",
        ),
        (
            "space before colon",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n",
        ),
        (
            "tab before colon",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX-A\t: b\r\n\r\n",
        ),
        (
            "Host space before colon",
            "GET /users/1 HTTP/1.1\r\nHost : h\r\n\r\n",
        ),
        (
            "empty name",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n",
        ),
        (
            "no colon",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        ),
        (
            "name with space",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX A: b\r\n\r\n",
        ),
        (
            "name with ctl",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX\x01A: b\r\n\r\n",
        ),
        (
            "name with utf8",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX\u{e9}: b\r\n\r\n",
        ),
        (
            "name with underscore",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nx_y-z: b\r\n\r\n",
        ),
        (
            "name token chars",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nx!#$%&'*+.^`|~: b\r\n\r\n",
        ),
        (
            "name odd case",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\ncONTENT-tYPE: text/x\r\nx-custom-HEADER: 1\r\n\r\n",
        ),
        (
            "value ctl",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n",
        ),
        (
            "value NUL",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
        ),
        (
            "value DEL",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n",
        ),
        (
            "value tab inside",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: a\tb\r\n\r\n",
        ),
        (
            "value utf8",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: caf\u{e9}\r\n\r\n",
        ),
        (
            "value spaces",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX:    a  b   \r\n\r\n",
        ),
        (
            "value empty",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX:\r\nY: \r\n\r\n",
        ),
        (
            "value no space",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX:a\r\n\r\n",
        ),
        (
            "value colon",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: a:b: c\r\n\r\n",
        ),
        (
            "repeated fields",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: 1\r\nx: 2\r\nX: 3\r\n\r\n",
        ),
        (
            "Pragma no-cache",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
        ),
        (
            "Pragma and CC",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nCache-Control: max-age=1\r\n\r\n",
        ),
        (
            "Cookie fields",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
        ),
        (
            "leading CRLF",
            "\r\nGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        ("leading LF", "\nGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("leading space", " GET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        (
            "double space after method",
            "GET  /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "double space before version",
            "GET /users/1  HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "tab separators",
            "GET\t/users/1\tHTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "trailing space on line",
            "GET /users/1 HTTP/1.1 \r\nHost: h\r\n\r\n",
        ),
        ("space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("ctl in target", "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("DEL in target", "GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("empty target", "GET  HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("no target", "GET HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("only method", "GET\r\nHost: h\r\n\r\n"),
        ("garbage line", "hello there\r\n\r\n"),
        (
            "binary garbage",
            "\x16\x03\x01\x02\x00\x01\x00\x01\x7e\x03\x03\r\n\r\n",
        ),
        ("empty line only", "\r\n\r\n"),
        ("relative target", "GET users/1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("query only target", "GET ?a=b HTTP/1.1\r\nHost: h\r\n\r\n"),
        (
            "Connection close",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        ),
        (
            "Connection Close",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n",
        ),
        (
            "Connection list close",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n",
        ),
        (
            "Connection keep-alive 1.1",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
        ),
        (
            "Connection two fields",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: foo\r\nConnection: close\r\n\r\n",
        ),
        (
            "Connection upgrade",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        ),
        (
            "h2c upgrade",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
        ),
    ];
    for (name, raw) in heads {
        add(name, raw.as_bytes());
    }

    // Versions.
    let versions: &[(&str, &str)] = &[
        ("HTTP/1.0", "GET /users/1 HTTP/1.0\r\n\r\n"),
        ("HTTP/1.0 Host", "GET /users/1 HTTP/1.0\r\nHost: h\r\n\r\n"),
        (
            "HTTP/1.0 keep-alive",
            "GET /users/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ),
        (
            "HTTP/1.0 keep-alive pipelined",
            "GET /users/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /users/2 HTTP/1.0\r\n\r\nGET /users/3 HTTP/1.0\r\n\r\n",
        ),
        (
            "HTTP/1.0 keep-alive big",
            "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ),
        ("HTTP/1.0 big", "GET /big HTTP/1.0\r\n\r\n"),
        ("HTTP/1.0 redirect", "GET /tree HTTP/1.0\r\n\r\n"),
        ("HTTP/0.9 no version", "GET /users/1\r\n\r\n"),
        ("HTTP/0.9", "GET /users/1 HTTP/0.9\r\nHost: h\r\n\r\n"),
        ("HTTP/1.2", "GET /users/1 HTTP/1.2\r\nHost: h\r\n\r\n"),
        ("HTTP/1.2 no Host", "GET /users/1 HTTP/1.2\r\n\r\n"),
        ("HTTP/1.9", "GET /users/1 HTTP/1.9\r\nHost: h\r\n\r\n"),
        ("HTTP/1.10", "GET /users/1 HTTP/1.10\r\nHost: h\r\n\r\n"),
        ("HTTP/1", "GET /users/1 HTTP/1\r\nHost: h\r\n\r\n"),
        ("HTTP/01.1", "GET /users/1 HTTP/01.1\r\nHost: h\r\n\r\n"),
        ("HTTP/2.0", "GET /users/1 HTTP/2.0\r\nHost: h\r\n\r\n"),
        ("HTTP/2", "GET /users/1 HTTP/2\r\nHost: h\r\n\r\n"),
        ("HTTP/3.0", "GET /users/1 HTTP/3.0\r\nHost: h\r\n\r\n"),
        ("HTTP/9.9", "GET /users/1 HTTP/9.9\r\nHost: h\r\n\r\n"),
        (
            "http/1.1 lowercase",
            "GET /users/1 http/1.1\r\nHost: h\r\n\r\n",
        ),
        ("HTTPS/1.1", "GET /users/1 HTTPS/1.1\r\nHost: h\r\n\r\n"),
        ("PRI preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    ];
    for (name, raw) in versions {
        add(name, raw.as_bytes());
    }

    // Pipelining.
    let pipes: &[(&str, &str)] = &[
        (
            "pipelined two GETs",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined three",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET /exact/ HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined close first",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined bad second",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\n\r\nBAD\r\n\r\n",
        ),
        (
            "pipelined POST CRLF GET",
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi\r\nGET /users/2 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined GET CRLF GET",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined redirect then GET",
            "GET /tree HTTP/1.1\r\nHost: h\r\n\r\nGET /tree/ HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined 404 405 then GET",
            "GET /nothing/here HTTP/1.1\r\nHost: h\r\n\r\nPUT /users/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nxGET /users/9 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined HEAD-less big then GET",
            "GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        (
            "pipelined status then GET",
            "GET /status/204 HTTP/1.1\r\nHost: h\r\n\r\nGET /status/304 HTTP/1.1\r\nHost: h\r\n\r\nGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
    ];
    for (name, raw) in pipes {
        add(name, raw.as_bytes());
    }

    // Expect.
    let expects: &[(&str, &str)] = &[
        (
            "Expect 100 echo",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect 100 noread",
            "POST /noread HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect 100 case",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect 100 no body",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "Expect 100 GET",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
        ),
        (
            "Expect 100 chunked",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "Expect 100 HTTP/1.0",
            "POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect other",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect list",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, foo\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect empty",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect:\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect other GET",
            "GET /users/1 HTTP/1.1\r\nHost: h\r\nExpect: foo\r\n\r\n",
        ),
        (
            "Expect 100 405",
            "PUT /users/1 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            "Expect 100 pipelined",
            "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcGET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
    ];
    for (name, raw) in expects {
        add(name, raw.as_bytes());
    }

    // Sizes.
    let long_path = format!("/files/{}", "a".repeat(8000));
    add(
        "long URI 8k",
        format!("GET {long_path} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes(),
    );
    let longer = format!("/files/{}", "a".repeat(11_000));
    add(
        "long URI 11k",
        format!("GET {longer} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes(),
    );
    let longest = format!("/files/{}", "a".repeat(13_000));
    add(
        "long URI 13k",
        format!("GET {longest} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes(),
    );
    for (name, n) in [
        ("header 8000", 8000),
        ("header 12000", 12_000),
        ("header 12400", 12_400),
        ("header 20000", 20_000),
    ] {
        add(
            name,
            format!(
                "GET /users/1 HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
                "v".repeat(n)
            )
            .as_bytes(),
        );
    }
    let mut many = String::from("GET /users/1 HTTP/1.1\r\nHost: h\r\n");
    for i in 0..150 {
        many.push_str(&format!("X-{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    add("150 fields", many.as_bytes());
    let mut toomany = String::from("GET /users/1 HTTP/1.1\r\nHost: h\r\n");
    for i in 0..1500 {
        toomany.push_str(&format!("X-{i}: {i}\r\n"));
    }
    toomany.push_str("\r\n");
    add("1500 fields", toomany.as_bytes());
    let mut values = String::from("GET /users/1 HTTP/1.1\r\nHost: h\r\n");
    for _ in 0..600 {
        values.push_str("X: 1\r\n");
    }
    values.push_str("\r\n");
    add("600 values", values.as_bytes());
    let mut values = String::from("GET /users/1 HTTP/1.1\r\nHost: h\r\n");
    for _ in 0..499 {
        values.push_str("X: 1\r\n");
    }
    values.push_str("\r\n");
    add("500 values", values.as_bytes());
    add(
        "OPTIONS * 5k body",
        format!(
            "OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n{}",
            "o".repeat(5000)
        )
        .as_bytes(),
    );
    add("space name 1.0", b"GET /users/1 HTTP/1.0\r\nX A: b\r\n\r\n");
    add(
        "space name and bad host",
        b"GET /users/1 HTTP/1.1\r\nHost: a b\r\nX A: b\r\n\r\n",
    );
    add(
        "space name and two hosts",
        b"GET /users/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\nX A: b\r\n\r\n",
    );
    add(
        "space name and bad name",
        b"GET /users/1 HTTP/1.1\r\nHost: a\r\nX A: b\r\nX(: c\r\n\r\n",
    );
    let big_body = "b".repeat(300 << 10);
    add(
        "noread 300k body",
        format!(
            "POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n{big_body}",
            big_body.len()
        )
        .as_bytes(),
    );
    add(
        "noread 100k body then GET",
        format!(
            "POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n{}GET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n",
            100 << 10,
            "b".repeat(100 << 10)
        )
        .as_bytes(),
    );
    c
}

// ---------------------------------------------------------------------

fn render(o: &Outcome) -> String {
    let mut s = o.statuses();
    for (status, loc, allow, body) in &o.responses {
        s.push_str(&format!("\n  {status} location={loc:?} allow={allow:?}\n"));
        for l in String::from_utf8_lossy(body).lines() {
            s.push_str(&format!("    | {l}\n"));
        }
    }
    if !o.trailing.is_empty() {
        s.push_str(&format!(
            "\n  trailing {:?}\n",
            String::from_utf8_lossy(&o.trailing)
        ));
    }
    s
}

#[test]
fn replies_match_go_net_http() {
    let Some(go) = start_go() else {
        eprintln!("go_diff: `go` is not on PATH; skipping the differential test against net/http");
        return;
    };
    let gort_addr = start_gort();
    let cases = Arc::new(cases());
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let only = std::env::var("GO_DIFF_ONLY").ok();

    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(std::sync::Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let (cases, next, results) = (cases.clone(), next.clone(), results.clone());
            let (go_addr, gort_addr) = (go.addr.clone(), gort_addr.clone());
            let only = only.clone();
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
                        continue;
                    }
                    let head = case.raw.starts_with(b"HEAD ");
                    // A difference is retried, so that a slow moment on a
                    // busy machine does not pass for one.
                    let mut pair = None;
                    for _ in 0..3 {
                        let a = exchange(&go_addr, &case.raw, head);
                        let b = exchange(&gort_addr, &case.raw, head);
                        let same = a == b;
                        pair = Some((a, b));
                        if same {
                            break;
                        }
                    }
                    results.lock().unwrap().push((i, pair.unwrap()));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by_key(|r| r.0);

    let expected: BTreeMap<&str, &str> = EXPECTED_DIFFERENCES.iter().copied().collect();
    let mut table = String::new();
    let mut unexpected = Vec::new();
    let mut differing = Vec::new();
    for (i, (go_out, gort_out)) in &results {
        let case = &cases[*i];
        if go_out == gort_out {
            continue;
        }
        differing.push(case.name.as_str());
        let known = expected.get(case.name.as_str());
        table.push_str(&format!(
            "{:<40} go {:<28} gort {:<28} {}\n",
            case.name,
            go_out.statuses(),
            gort_out.statuses(),
            known.map_or("NEW".to_string(), |r| format!("expected: {r}"))
        ));
        if known.is_none() {
            unexpected.push(format!(
                "=== {}\nrequest: {:?}\n--- go: {}\n--- gort: {}\n",
                case.name,
                String::from_utf8_lossy(&case.raw[..case.raw.len().min(300)]),
                render(go_out),
                render(gort_out)
            ));
        }
    }
    eprintln!(
        "go_diff: {} requests, {} differ:\n{table}",
        results.len(),
        differing.len()
    );
    for u in &unexpected {
        eprintln!("{u}");
    }
    let stale: Vec<&str> = if only.is_some() {
        Vec::new()
    } else {
        expected
            .keys()
            .filter(|k| !differing.contains(k))
            .copied()
            .collect()
    };
    let missing: Vec<&&str> = expected
        .keys()
        .filter(|k| !cases.iter().any(|c| c.name == **k))
        .collect();
    assert!(
        missing.is_empty(),
        "expected differences with no case: {missing:?}"
    );
    assert!(
        unexpected.is_empty(),
        "{} new differences from Go's net/http (see above)",
        unexpected.len()
    );
    assert!(
        stale.is_empty(),
        "listed as expected differences but now the same as Go: {stale:?}"
    );
}
