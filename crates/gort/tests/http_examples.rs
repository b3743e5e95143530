//! Runs the `http_*` examples and drives them over loopback as users would:
//! with a small HTTP/1.1 client over std's blocking sockets (several
//! requests on one keep-alive connection), and with real clients when they
//! are installed: `curl`, Python's `http.client` (`python3 -c`, keep-alive
//! checked by the socket staying the same) and `wrk` (a one-second load
//! run). A missing client skips its part with a note on stderr.
//!
//! Everything is bounded as in `examples.rs`: socket reads time out after
//! 10 s, the `listening on ADDR` line is awaited at most 10 s (the tests
//! wait for it, never sleep for readiness), curl and Python get a 10 s
//! timeout of their own and are killed if they outlive [`LIMIT`], and each
//! test runs under the shared watchdog.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

#[path = "../../runtime/tests/support/dispositions.rs"]
mod dispositions;

#[path = "support/examples.rs"]
mod examples_support;
use examples_support::{Running, command};

/// The bound on every wait in these tests.
const LIMIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Starting examples (as in examples.rs).

/// Waits at most [`LIMIT`] for `child` to exit; kills it if it has not.
fn wait_bounded(child: Child) -> ExitStatus {
    let mut running = Running(child);
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not exit");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Starts example `name` with `args`, waits for its `listening on ADDR`
/// line and returns it with the address. Its stderr goes to the test's.
fn start(name: &str, args: &[&str]) -> (Running, String) {
    let mut child = command(name)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx
        .recv_timeout(LIMIT)
        .unwrap_or_else(|e| panic!("{name}: no first line: {e}"));
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{name}: unexpected first line {first:?}"))
        .to_string();
    (running, addr)
}

/// Runs example `name` with `args` to its end (bounded); returns its
/// status and stderr.
fn run_to_end(name: &str, args: &[&str]) -> (ExitStatus, String) {
    let mut child = command(name)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = wait_bounded(child);
    (status, reader.join().unwrap())
}

// ---------------------------------------------------------------------------
// A small HTTP/1.1 client.

/// One response as the client read it.
#[derive(Debug)]
struct Resp {
    status: u16,
    /// Header fields in the order they came, names as sent.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    /// The first value of field `key` (any case).
    fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }
}

/// A keep-alive connection to a server.
struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect(addr: &str) -> Client {
        let c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(LIMIT)).unwrap();
        Client {
            r: BufReader::new(c.try_clone().unwrap()),
            w: c,
        }
    }

    /// The client's local address: the same one means the same connection.
    fn local_port(&self) -> u16 {
        self.w.local_addr().unwrap().port()
    }

    fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, &[], b"")
    }

    /// Sends one request (with `Content-Length` when `body` is not empty)
    /// and reads its response.
    fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: gort.test\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || matches!(method, "POST" | "PUT") {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.w.write_all(&bytes).unwrap();
        self.read_response(method == "HEAD")
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        let n = self.r.read_line(&mut line).unwrap();
        assert!(n > 0, "the server closed the connection");
        line
    }

    fn read_response(&mut self, head_only: bool) -> Resp {
        let status_line = self.read_line();
        let status: u16 = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.read_line();
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').expect("a header field");
            headers.push((k.to_string(), v.trim().to_string()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        if head_only || matches!(status, 204 | 304) {
            return resp;
        }
        if let Some(n) = resp.header("Content-Length") {
            resp.body = vec![0; n.parse().unwrap()];
            self.r.read_exact(&mut resp.body).unwrap();
        } else if resp.header("Transfer-Encoding") == Some("chunked") {
            loop {
                let size = self.read_line();
                let size = usize::from_str_radix(size.trim_end(), 16).unwrap();
                if size == 0 {
                    assert_eq!(self.read_line(), "\r\n");
                    break;
                }
                let mut chunk = vec![0; size + 2];
                self.r.read_exact(&mut chunk).unwrap();
                resp.body.extend_from_slice(&chunk[..size]);
            }
        } else {
            self.r.read_to_end(&mut resp.body).unwrap();
        }
        resp
    }
}

// ---------------------------------------------------------------------------
// Real clients, when installed.

/// Runs `program` with `args` to its end, killed after [`LIMIT`]; `None`
/// (with a note) if it is not installed.
fn real_client(program: &str, args: &[&str], stdin: &[u8]) -> Option<Output> {
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: {program} is not installed; skipping its part of the test");
            return None;
        }
        Err(e) => panic!("{program}: {e}"),
    };
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let collect = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = collect(Box::new(child.stdout.take().unwrap()));
    let err = collect(Box::new(child.stderr.take().unwrap()));
    let status = wait_bounded(child);
    writer.join().unwrap();
    Some(Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    })
}

/// `curl --silent --show-error --max-time 10 ARGS`.
fn curl(args: &[&str]) -> Option<Output> {
    let mut all = vec!["--silent", "--show-error", "--max-time", "10"];
    all.extend_from_slice(args);
    real_client("curl", &all, b"")
}

/// `python3 -c SCRIPT ARGS`; the script's stdout, after checking it
/// exited 0.
fn python(script: &str, args: &[&str]) -> Option<String> {
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    let out = real_client("python3", &all, b"")?;
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// What a successful real client printed.
fn stdout_of(out: &Output) -> &str {
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    std::str::from_utf8(&out.stdout).unwrap()
}

/// Splits `curl --include` output into the status, the head and the body.
fn split_curl(out: &str) -> (u16, &str, &str) {
    let (head, body) = out.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, head, body)
}

// ---------------------------------------------------------------------------
// http_hello

#[test]
fn http_hello_greets_over_keep_alive_with_curl_python_and_wrk() {
    let _w = watchdog::start(
        "http_hello_greets_over_keep_alive_with_curl_python_and_wrk",
        watchdog::LIMIT,
    );
    let (_server, addr) = start("http_hello", &["127.0.0.1:0"]);

    // Three requests on one connection.
    let mut c = Client::connect(&addr);
    let port = c.local_port();
    for (path, want) in [
        ("/", "Hello, world!\n"),
        ("/gopher", "Hello, gopher!\n"),
        ("/a/b?x=1", "Hello, a/b!\n"),
    ] {
        let r = c.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.text(), want, "{path}");
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert!(r.header("Date").is_some());
        assert_eq!(r.header("Connection"), None, "{path}: keep-alive");
    }
    assert_eq!(c.local_port(), port);

    if let Some(out) = curl(&["--include", &format!("http://{addr}/curl")]) {
        let (status, _, body) = split_curl(stdout_of(&out));
        assert_eq!(status, 200);
        assert_eq!(body, "Hello, curl!\n");
    }

    // http.client over one connection: `sock` would be None (and the next
    // request would reconnect) had the server closed it.
    let script = r#"
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], timeout=10)
ports = set()
for name in ["py1", "py2", "py3", "py4"]:
    c.request("GET", "/" + name)
    r = c.getresponse()
    body = r.read().decode()
    assert r.status == 200, r.status
    assert body == "Hello, %s!\n" % name, body
    assert c.sock is not None, "the server closed the connection"
    ports.add(c.sock.getsockname()[1])
print(len(ports), "connection(s) for 4 requests")
"#;
    if let Some(out) = python(script, &[&addr]) {
        assert_eq!(out, "1 connection(s) for 4 requests\n");
    }

    // One second of load: every request answered 2xx, no socket error.
    let url = format!("http://{addr}/wrk");
    if let Some(out) = real_client(
        "wrk",
        &["-t2", "-c16", "-d1s", "--timeout", "5s", &url],
        b"",
    ) {
        let text = stdout_of(&out);
        let requests: u64 = text
            .lines()
            .find_map(|l| l.trim().split_once(" requests in "))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("no request count in wrk's output:\n{text}"));
        assert!(requests > 0, "{text}");
        assert!(!text.contains("Socket errors"), "{text}");
        assert!(!text.contains("Non-2xx"), "{text}");
        eprintln!("wrk against http_hello: {requests} requests in 1 s, no errors");
    }

    // The server still serves after the load.
    assert_eq!(
        Client::connect(&addr).get("/after").text(),
        "Hello, after!\n"
    );
}

// ---------------------------------------------------------------------------
// http_time_headers

/// Whether `s` is `YYYY-MM-DDTHH:MM:SSZ`.
fn is_rfc3339_utc(s: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:ddZ";
    s.len() == shape.len()
        && s.bytes().zip(shape.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            p => c == p,
        })
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn http_time_headers_tells_the_time_and_echoes_sorted_headers() {
    let _w = watchdog::start(
        "http_time_headers_tells_the_time_and_echoes_sorted_headers",
        watchdog::LIMIT,
    );
    let (_server, addr) = start("http_time_headers", &["127.0.0.1:0"]);
    let mut c = Client::connect(&addr);

    let r = c.get("/time");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    let text = r.text().strip_suffix('\n').expect("a line");
    assert!(is_rfc3339_utc(text), "{text:?}");

    // JSON, asked for either way; the time is now.
    for (path, headers) in [
        ("/time?format=json", &[][..]),
        ("/time", &[("Accept", "application/json")][..]),
    ] {
        let before = now_unix();
        let r = c.request("GET", path, headers, b"");
        let after = now_unix();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        let v = r.json();
        let unix = v["unix"].as_u64().expect("unix");
        assert!((before..=after).contains(&unix), "{v}");
        assert_eq!(v["unix_nano"].as_u64().unwrap() / 1_000_000_000, unix);
        assert!(is_rfc3339_utc(v["rfc3339"].as_str().unwrap()), "{v}");
    }

    // Sorted by key, values of one key in their order, names canonical,
    // Host included.
    let r = c.request(
        "GET",
        "/headers",
        &[
            ("x-zeta", "last"),
            ("X-Alpha", "one"),
            ("user-agent", "gort-test"),
            ("x-alpha", "two"),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        "Host: gort.test\nUser-Agent: gort-test\nX-Alpha: one\nX-Alpha: two\nX-Zeta: last\n"
    );

    // The mux: 405 with Allow for another method, 404 elsewhere.
    let r = c.request("POST", "/time", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET, HEAD"));
    assert_eq!(c.get("/nope").status, 404);
    let r = c.request("HEAD", "/time", &[], b"");
    assert_eq!(r.status, 200);

    // curl's JSON, its date checked against Python's datetime.
    if let Some(out) = curl(&[
        "-H",
        "Accept: application/json",
        &format!("http://{addr}/time"),
    ]) {
        let v: serde_json::Value = serde_json::from_str(stdout_of(&out)).unwrap();
        let unix = v["unix"].as_u64().unwrap().to_string();
        let script = "import datetime, sys\n\
            t = datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc)\n\
            print(t.strftime('%Y-%m-%dT%H:%M:%SZ'))";
        if let Some(py) = python(script, &[&unix]) {
            assert_eq!(py.trim_end(), v["rfc3339"].as_str().unwrap(), "unix {unix}");
        }
    }
    if let Some(out) = curl(&["-H", "X-From: curl", &format!("http://{addr}/headers")]) {
        let body = stdout_of(&out);
        let lines: Vec<&str> = body.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
        assert!(lines.contains(&"X-From: curl"), "{body}");
        assert!(lines.contains(&&*format!("Host: {addr}")), "{body}");
        assert!(
            lines.iter().any(|l| l.starts_with("User-Agent: curl/")),
            "{body}"
        );
    }
}

// ---------------------------------------------------------------------------
// http_rest

#[test]
fn http_rest_creates_reads_updates_and_deletes_users_as_json() {
    let _w = watchdog::start(
        "http_rest_creates_reads_updates_and_deletes_users_as_json",
        watchdog::LIMIT,
    );
    let (_server, addr) = start("http_rest", &["127.0.0.1:0"]);
    let mut c = Client::connect(&addr);
    let port = c.local_port();
    let json = [("Content-Type", "application/json")];

    let r = c.get("/users");
    assert_eq!((r.status, r.text()), (200, "[]\n"));

    // Create two; ids count from 1; Location names the new one.
    let r = c.request(
        "POST",
        "/users",
        &json,
        br#"{"name":"Ada Lovelace","email":"ada@example.com"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("Location"), Some("/users/1"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(
        r.json(),
        serde_json::json!({"id": 1, "name": "Ada Lovelace", "email": "ada@example.com"})
    );
    // Unicode and escapes survive the round trip.
    let grace = serde_json::json!({"name": "Grace \"Amazing\" Hopper ✓", "email": "g@h.example"});
    let r = c.request("POST", "/users", &json, grace.to_string().as_bytes());
    assert_eq!(r.status, 201);
    assert_eq!(r.header("Location"), Some("/users/2"));
    let r = c.get("/users/2");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], grace["name"]);

    let r = c.get("/users");
    let list = r.json();
    let ids: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);

    // Update, then read back.
    let r = c.request(
        "PUT",
        "/users/1",
        &json,
        br#"{"name":"Ada King","email":"countess@example.com"}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        c.get("/users/1").json(),
        serde_json::json!({"id": 1, "name": "Ada King", "email": "countess@example.com"})
    );

    // Bad bodies: 400, and nothing changes.
    for bad in [
        &b"{not json"[..],
        b"",
        br#"{"name":"x"}"#,
        br#"{"name":"","email":"e"}"#,
        br#"{"name":"x","email":"e","admin":true}"#,
        br#"[1,2]"#,
    ] {
        let r = c.request("POST", "/users", &json, bad);
        assert_eq!(
            r.status,
            400,
            "{:?}: {}",
            String::from_utf8_lossy(bad),
            r.text()
        );
    }
    let r = c.request("PUT", "/users/2", &json, b"{");
    assert_eq!(r.status, 400);
    assert_eq!(c.get("/users/2").json()["name"], grace["name"]);
    assert_eq!(c.get("/users/abc").status, 400);

    // Missing ones: 404.
    assert_eq!(c.get("/users/99").status, 404);
    let r = c.request("PUT", "/users/99", &json, br#"{"name":"n","email":"e"}"#);
    assert_eq!(r.status, 404);
    assert_eq!(c.request("DELETE", "/users/99", &[], b"").status, 404);

    // Delete: 204 without a body, then gone.
    let r = c.request("DELETE", "/users/1", &[], b"");
    assert_eq!(r.status, 204);
    assert_eq!(c.get("/users/1").status, 404);
    assert_eq!(c.get("/users").json().as_array().unwrap().len(), 1);

    // The mux's 405 with Allow, and its 404.
    let r = c.request("PATCH", "/users/2", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("DELETE, GET, HEAD, PUT"));
    let r = c.request("DELETE", "/users", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET, HEAD, POST"));
    assert_eq!(c.get("/user").status, 404);

    // All of that on one connection.
    assert_eq!(c.local_port(), port);

    // A body over the 64 KiB bound: 413. Go's server closes the
    // connection after it (MaxBytesReader marks the response); gort's
    // reads and drops the rest of the body (it is under 256 KiB) and keeps
    // the connection. Either way the next request must not be read from
    // the middle of the old body.
    let long = format!(r#"{{"name":"{}","email":"e"}}"#, "n".repeat(70_000));
    let r = c.request("POST", "/users", &json, long.as_bytes());
    assert_eq!(r.status, 413, "{}", r.text());
    if r.header("Connection") == Some("close") {
        let mut rest = Vec::new();
        c.r.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "bytes after a closing reply");
    } else {
        assert_eq!(c.get("/users/2").json()["name"], grace["name"]);
    }

    // curl: create one, and see the Location.
    let url = format!("http://{addr}/users");
    let body = r#"{"name":"Curl","email":"curl@example.com"}"#;
    if let Some(out) = curl(&[
        "--include",
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
        &url,
    ]) {
        let (status, head, body) = split_curl(stdout_of(&out));
        assert_eq!(status, 201, "{head}");
        assert!(head.contains("\r\nLocation: /users/3"), "{head}");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["name"], "Curl");
    }

    // Python: the whole cycle over one connection.
    let script = r#"
import http.client, json, sys
c = http.client.HTTPConnection(sys.argv[1], timeout=10)
ports = set()
def req(method, path, body=None):
    data = None if body is None else json.dumps(body)
    c.request(method, path, body=data, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    raw = r.read()
    assert c.sock is not None, "closed after %s %s" % (method, path)
    ports.add(c.sock.getsockname()[1])
    is_json = r.getheader("Content-Type") == "application/json"
    return r.status, r.getheader("Location"), (json.loads(raw) if is_json else raw)
s, loc, u = req("POST", "/users", {"name": "Py", "email": "py@example.com"})
assert s == 201 and loc == "/users/%d" % u["id"], (s, loc, u)
s, _, got = req("GET", loc)
assert s == 200 and got == u, (s, got)
s, _, got = req("PUT", loc, {"name": "Py 3", "email": "py3@example.com"})
assert s == 200 and got["name"] == "Py 3", (s, got)
s, _, users = req("GET", "/users")
assert s == 200 and [x["id"] for x in users] == sorted(x["id"] for x in users), users
assert any(x["name"] == "Py 3" for x in users), users
s, _, body = req("DELETE", loc)
assert s == 204 and body == b"", (s, body)
s, _, body = req("GET", loc)
assert s == 404 and body == b"user not found\n", (s, body)
print("ok", len(ports))
"#;
    if let Some(out) = python(script, &[&addr]) {
        assert_eq!(out, "ok 1\n");
    }
}

// ---------------------------------------------------------------------------
// http_files

/// A directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!("gort-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn http_files_serves_the_directory_under_static() {
    let _w = watchdog::start(
        "http_files_serves_the_directory_under_static",
        watchdog::LIMIT,
    );
    let tmp = TempDir::new("http-files");
    // A secret beside the served directory must stay out of reach.
    std::fs::write(tmp.path().join("secret.txt"), "do not serve").unwrap();
    let root = tmp.path().join("public");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("hello.txt"), "hello, files\n").unwrap();
    std::fs::write(root.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
    let blob: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(root.join("blob.bin"), &blob).unwrap();
    let (_server, addr) = start("http_files", &[root.to_str().unwrap(), "127.0.0.1:0"]);
    let mut c = Client::connect(&addr);

    let r = c.get("/static/hello.txt");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "hello, files\n");
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert!(r.header("Last-Modified").is_some());

    // A large file, whole, on the same connection.
    let r = c.get("/static/blob.bin");
    assert_eq!(r.status, 200);
    assert!(r.body == blob, "blob.bin differs ({} bytes)", r.body.len());

    // A directory with an index, and the listing of the root.
    let r = c.get("/static/docs/");
    assert_eq!((r.status, r.text()), (200, "<h1>docs</h1>\n"));
    let r = c.get("/static/docs");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("Location"), Some("docs/"));
    let r = c.get("/static/");
    assert_eq!(r.status, 200);
    for entry in ["hello.txt", "blob.bin", "docs/"] {
        assert!(
            r.text().contains(&format!("href=\"{entry}\"")),
            "{}",
            r.text()
        );
    }

    // `/` sends users to `/static/`; unknown paths are 404.
    let r = c.get("/");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("Location"), Some("/static/"));
    assert_eq!(c.get("/static/missing.txt").status, 404);
    assert_eq!(c.get("/elsewhere").status, 404);

    // No way out of the directory.
    for path in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
    ] {
        let r = c.get(path);
        assert!(
            !String::from_utf8_lossy(&r.body).contains("do not serve"),
            "{path} served the secret"
        );
        assert_ne!(r.status, 200, "{path}");
    }

    if let Some(out) = curl(&[
        "--include",
        "-r",
        "0-4",
        &format!("http://{addr}/static/hello.txt"),
    ]) {
        let (status, head, body) = split_curl(stdout_of(&out));
        assert_eq!(status, 206, "{head}");
        assert!(head.contains("\r\nContent-Range: bytes 0-4/13"), "{head}");
        assert_eq!(body, "hello");
    }
    if let Some(out) = curl(&["--output", "-", &format!("http://{addr}/static/blob.bin")]) {
        assert!(out.status.success());
        assert!(out.stdout == blob, "curl's blob.bin differs");
    }

    // Bad command lines.
    let (status, err) = run_to_end("http_files", &[]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.starts_with("usage: http_files DIR"), "{err}");
    let missing = tmp.path().join("missing");
    let (status, err) = run_to_end("http_files", &[missing.to_str().unwrap()]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.ends_with("not a directory\n"), "{err}");
}

// ---------------------------------------------------------------------------
// http_template

#[test]
fn http_template_renders_the_form_and_echoes_input_escaped() {
    let _w = watchdog::start(
        "http_template_renders_the_form_and_echoes_input_escaped",
        watchdog::LIMIT,
    );
    let (_server, addr) = start("http_template", &["127.0.0.1:0"]);
    let mut c = Client::connect(&addr);
    let form = [("Content-Type", "application/x-www-form-urlencoded")];

    let r = c.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    let page = r.text();
    assert!(page.starts_with("<!doctype html>\n"), "{page}");
    assert!(page.contains("<title>Say something</title>"), "{page}");
    assert!(
        page.contains(r#"<form method="post" action="/echo">"#),
        "{page}"
    );
    assert!(page.ends_with("</html>\n"), "{page}");

    // Markup in the message comes back as text.
    let r = c.request(
        "POST",
        "/echo",
        &form,
        b"message=%3Cscript%3Ealert(%22hi%22)%3C%2Fscript%3E+%26+%27co%27",
    );
    assert_eq!(r.status, 200);
    let page = r.text();
    assert!(
        page.contains(
            "<q class=\"message\">&lt;script&gt;alert(&quot;hi&quot;)&lt;&#x2f;script&gt; \
             &amp; &#x27;co&#x27;</q>"
        ),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("(35 characters)"), "{page}");

    // No message: the form again, with an error, status 400, and what was
    // typed back in the field.
    let r = c.request("POST", "/echo", &form, b"message=+");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("Please type a message."), "{}", r.text());
    assert!(r.text().contains(r#"value=" ""#), "{}", r.text());
    let r = c.request("POST", "/echo", &form, b"message=");
    assert_eq!(r.status, 400);
    let r = c.request("GET", "/echo", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(c.get("/other").status, 404);

    let url = format!("http://{addr}/echo");
    if let Some(out) = curl(&["--data-urlencode", "message=<b>\"quoted\" & bold</b>", &url]) {
        let page = stdout_of(&out);
        assert!(
            page.contains("&lt;b&gt;&quot;quoted&quot; &amp; bold&lt;&#x2f;b&gt;"),
            "{page}"
        );
        assert!(!page.contains("<b>"), "{page}");
    }
    let script = r#"
import http.client, sys, urllib.parse
c = http.client.HTTPConnection(sys.argv[1], timeout=10)
for msg in ["<img src=x onerror=alert(1)>", "plain words"]:
    body = urllib.parse.urlencode({"message": msg})
    c.request("POST", "/echo", body, {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    page = r.read().decode()
    assert r.status == 200, r.status
    assert "<img" not in page, page
    assert c.sock is not None
    print(page.split('<q class="message">')[1].split("</q>")[0])
"#;
    if let Some(out) = python(script, &[&addr]) {
        assert_eq!(out, "&lt;img src=x onerror=alert(1)&gt;\nplain words\n");
    }
}
