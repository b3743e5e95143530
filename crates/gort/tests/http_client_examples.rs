//! Runs the HTTP client examples (`http_get`, `http_json_client`,
//! `bench_http_client`) against a gort-http `Server` started in this test
//! process, on 127.0.0.1:0 in a runtime of its own thread, whose handlers
//! check what the clients send (query parameters, JSON bodies, headers)
//! and record it. Each example runs to its end, bounded by [`LIMIT`];
//! stdout, stderr and the exit status are checked.
//!
//! `readme_client_snippet_shape` makes the calls of the README's client
//! snippet (which the doctests only compile: it needs a server) against the
//! same server.

use std::io::Read;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gort::http::{self, Request, ResponseWriter, ServeMux, Server};
use serde_json::{Value, json};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

#[path = "../../runtime/tests/support/dispositions.rs"]
mod dispositions;

#[path = "support/examples.rs"]
mod examples_support;
use examples_support::{Running, command};

/// The bound on every example run.
const LIMIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Running examples.

/// What an example run gave.
#[derive(Debug)]
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs example `name` with `args` to its end (at most [`LIMIT`], then
/// killed), with default signal dispositions.
fn run(name: &str, args: &[&str]) -> Run {
    let mut child = command(name)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let collect = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = collect(Box::new(child.stdout.take().unwrap()));
    let err = collect(Box::new(child.stderr.take().unwrap()));
    let mut running = Running(child);
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(st) = running.0.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "{name} did not exit");
        thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

// ---------------------------------------------------------------------------
// The server.

/// One request as a handler saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    content_type: String,
    user_agent: String,
    remote: String,
    body: String,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A server on 127.0.0.1:0 in a runtime of its own thread; closed when
/// dropped.
struct Serving {
    addr: String,
    log: Log,
    stop: Option<gort::chan::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Serving {
    fn start() -> Serving {
        let log: Log = Arc::default();
        let (tx, rx) = mpsc::channel();
        let handler = Arc::new(mux(log.clone()));
        let thread = thread::spawn(move || {
            gort::run(move || {
                let srv = Arc::new(Server {
                    handler: Some(handler),
                    ..Default::default()
                });
                let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
                let (stop_tx, stop_rx) = gort::chan::bounded::<()>(1);
                tx.send((ln.addr().to_string(), stop_tx)).unwrap();
                let s = srv.clone();
                let serving = gort::spawn(move || s.serve(ln));
                // None: the sender was dropped.
                let _ = stop_rx.recv();
                srv.close().unwrap();
                let _ = serving.join();
            })
        });
        let (addr, stop) = rx.recv().unwrap();
        Serving {
            addr,
            log,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests seen so far, and forget them.
    fn take_log(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        drop(self.stop.take());
        if !thread::panicking()
            && let Some(t) = self.thread.take()
        {
            t.join().unwrap();
        }
    }
}

/// The routes: `/search` (wants `q` and `page`), a todo API in
/// jsonplaceholder's shape under `/` and `/v2/`, a broken one under
/// `/broken/`, and the mux's 404 elsewhere.
fn mux(log: Log) -> ServeMux {
    let mux = ServeMux::new();
    let record = move |r: &mut Request| {
        let mut body = String::new();
        r.body.read_to_string(&mut body).unwrap();
        log.lock().unwrap().push(Seen {
            method: r.method.clone(),
            uri: r.request_uri.clone(),
            content_type: r.header.get("Content-Type").to_string(),
            user_agent: r.header.get("User-Agent").to_string(),
            remote: r.remote_addr.clone(),
            body: body.clone(),
        });
        body
    };
    let rec = record.clone();
    mux.handle_func(
        "GET /search",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            rec(r);
            let q = r.url.query();
            if q.get("q").is_empty() {
                return http::error(w, "missing q", 400);
            }
            w.header().set("Content-Type", "text/plain; charset=utf-8");
            writeln!(w, "results for {:?}, page {}", q.get("q"), q.get("page")).unwrap();
            for tag in q.0.get("tag").into_iter().flatten() {
                writeln!(w, "tag {tag}").unwrap();
            }
        },
    );
    let rec = record.clone();
    mux.handle_func(
        "GET /{api...}",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            rec(r);
            match r.path_value("api") {
                "todos/1" | "v2/todos/1" => {
                    w.header().set("Content-Type", "application/json");
                    let todo = json!({"userId": 7, "id": 1, "title": "delectus \"aut\" autem ✓",
                                      "completed": true, "extra": [1, 2]});
                    serde_json::to_writer(w, &todo).unwrap();
                }
                "broken/todos/1" => {
                    w.header().set("Content-Type", "application/json");
                    w.write_all(br#"{"userId": 1, "id": "#).unwrap();
                }
                _ => http::not_found(w, r),
            }
        },
    );
    let rec = record;
    mux.handle_func(
        "POST /{api...}",
        move |w: &mut dyn ResponseWriter, r: &mut Request| {
            let body = rec(r);
            if !matches!(r.path_value("api"), "todos" | "v2/todos") {
                return http::not_found(w, r);
            }
            if r.header.get("Content-Type") != "application/json" {
                return http::error(w, "want application/json", 415);
            }
            let mut todo: Value = match serde_json::from_str(&body) {
                Ok(v) => v,
                Err(e) => return http::error(w, &e.to_string(), 400),
            };
            if todo.get("id").is_some() || !todo["title"].is_string() {
                return http::error(w, "bad todo", 400);
            }
            if r.path_value("api") == "v2/todos" {
                // A reply without an id.
                w.header().set("Content-Type", "application/json");
                w.write_header(201);
                serde_json::to_writer(w, &todo).unwrap();
                return;
            }
            todo["id"] = json!(201);
            w.header().set("Content-Type", "application/json");
            w.write_header(201);
            serde_json::to_writer(w, &todo).unwrap();
        },
    );
    mux
}

// ---------------------------------------------------------------------------
// http_get

#[test]
fn http_get_sends_the_query_and_prints_status_and_body() {
    let _w = watchdog::start(
        "http_get_sends_the_query_and_prints_status_and_body",
        watchdog::LIMIT,
    );
    let srv = Serving::start();
    let base = srv.base();

    // Parameters from argv are escaped and sorted by key (Values::encode),
    // after the URL's own.
    let r = run(
        "http_get",
        &[
            &format!("{base}/search?tag=a+b"),
            "q=gort & go/http?",
            "page=2",
            "tag=ü",
        ],
    );
    assert!(r.status.success(), "{r:?}");
    assert_eq!(
        r.stdout,
        "HTTP/1.1 200 OK\nresults for \"gort & go/http?\", page 2\ntag a b\ntag ü\n"
    );
    assert_eq!(r.stderr, "");
    let seen = srv.take_log();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].uri,
        "/search?page=2&q=gort+%26+go%2Fhttp%3F&tag=a+b&tag=%C3%BC"
    );
    assert_eq!(seen[0].user_agent, "gort-http-client/1.1");

    // No parameters: the URL goes as written.
    let r = run("http_get", &[&format!("{base}/search?q=x&page=")]);
    assert!(r.status.success(), "{r:?}");
    assert_eq!(r.stdout, "HTTP/1.1 200 OK\nresults for \"x\", page \n");
    assert_eq!(srv.take_log()[0].uri, "/search?q=x&page=");

    // Not 2xx: printed, then exit 1 with the status on stderr.
    let r = run("http_get", &[&format!("{base}/search"), "page=1"]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert_eq!(r.stdout, "HTTP/1.1 400 Bad Request\nmissing q\n");
    assert_eq!(
        r.stderr,
        format!("http_get: Get \"{base}/search?page=1\": 400 Bad Request\n")
    );
    let r = run("http_get", &[&format!("{base}/nowhere")]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert_eq!(r.stdout, "HTTP/1.1 404 Not Found\n404 page not found\n");
    assert_eq!(
        r.stderr,
        format!("http_get: Get \"{base}/nowhere\": 404 Not Found\n")
    );

    assert_eq!(srv.take_log().len(), 2);

    // A refused connection: the client's error, Go's text.
    let r = run("http_get", &["http://127.0.0.1:1/x", "a=b"]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "http_get: Get \"http://127.0.0.1:1/x?a=b\": dial tcp 127.0.0.1:1: connect: connection refused\n"
    );

    // Bad command lines: exit 2.
    for (args, want) in [
        (&[][..], "usage: http_get URL [KEY=VALUE ...]\n"),
        (
            &["http://x:namedport/"][..],
            "http_get: parse \"http://x:namedport/\": invalid port \":namedport\" after host\n",
        ),
    ] {
        let r = run("http_get", args);
        assert_eq!(r.status.code(), Some(2), "{r:?}");
        assert_eq!(r.stderr, want);
    }
    let r = run("http_get", &["http://x/", "novalue"]);
    assert_eq!(r.status.code(), Some(2), "{r:?}");
    assert!(
        r.stderr
            .starts_with("http_get: bad query parameter \"novalue\""),
        "{r:?}"
    );
    // The bad command lines sent nothing.
    assert!(srv.take_log().is_empty());
}

// ---------------------------------------------------------------------------
// http_json_client

#[test]
fn http_json_client_decodes_a_todo_and_posts_one_as_json() {
    let _w = watchdog::start(
        "http_json_client_decodes_a_todo_and_posts_one_as_json",
        watchdog::LIMIT,
    );
    let srv = Serving::start();
    let base = srv.base();

    let r = run("http_json_client", &[&format!("{base}/"), "ship it ✓"]);
    assert!(r.status.success(), "{r:?}");
    assert_eq!(
        r.stdout,
        format!(
            "GET {base}/todos/1: 200 OK\n\
             todo 1 (user 7): \"delectus \\\"aut\\\" autem ✓\", completed: true\n\
             POST {base}/todos: 201 Created\n\
             created todo 201 (user 7): \"ship it ✓\", completed: false\n"
        )
    );
    assert_eq!(r.stderr, "");
    let seen = srv.take_log();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].uri.as_str()),
        ("GET", "/todos/1")
    );
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].uri, "/todos");
    assert_eq!(seen[1].content_type, "application/json");
    assert_eq!(
        seen[1].body,
        r#"{"userId":7,"title":"ship it ✓","completed":false}"#
    );
    // The GET's body was read to its end: the POST reused its connection.
    assert_eq!(seen[0].remote, seen[1].remote);

    // The default title.
    let r = run("http_json_client", &[&base]);
    assert!(r.status.success(), "{r:?}");
    assert!(
        r.stdout
            .ends_with("created todo 201 (user 7): \"write the client\", completed: false\n"),
        "{r:?}"
    );
    srv.take_log();

    // A reply without an id, a body that is not JSON, a 404: exit 1.
    let r = run("http_json_client", &[&format!("{base}/v2")]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert_eq!(
        r.stderr,
        format!("http_json_client: POST {base}/v2/todos: the reply has no id\n")
    );
    let r = run("http_json_client", &[&format!("{base}/broken")]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert_eq!(r.stdout, format!("GET {base}/broken/todos/1: 200 OK\n"));
    assert_eq!(
        r.stderr,
        format!(
            "http_json_client: decoding the reply to GET {base}/broken/todos/1: \
             EOF while parsing a value at line 1 column 20\n"
        )
    );
    let r = run("http_json_client", &[&format!("{base}/missing")]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert_eq!(
        r.stderr,
        format!("http_json_client: GET {base}/missing/todos/1: 404 Not Found\n")
    );
    let r = run("http_json_client", &["http://127.0.0.1:1"]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert_eq!(
        r.stderr,
        "http_json_client: Get \"http://127.0.0.1:1/todos/1\": dial tcp 127.0.0.1:1: \
         connect: connection refused\n"
    );
    let r = run("http_json_client", &["a", "b", "c"]);
    assert_eq!(r.status.code(), Some(2), "{r:?}");
    assert_eq!(r.stderr, "usage: http_json_client [BASE_URL [TITLE]]\n");
}

// ---------------------------------------------------------------------------
// bench_http_client

#[test]
fn bench_http_client_prints_one_json_line() {
    let _w = watchdog::start("bench_http_client_prints_one_json_line", watchdog::LIMIT);
    let srv = Serving::start();
    let url = format!("{}/todos/1", srv.base());
    let r = run(
        "bench_http_client",
        &[
            "--url",
            &url,
            "--conns",
            "4",
            "--duration",
            "0.3",
            "--warmup",
            "0.1",
        ],
    );
    assert!(r.status.success(), "{r:?}");
    assert_eq!(r.stderr, "");
    let v: Value = serde_json::from_str(r.stdout.trim_end()).unwrap();
    assert_eq!(r.stdout.lines().count(), 1, "{r:?}");
    assert_eq!(
        (v["client"].as_str(), v["conns"].as_u64()),
        (Some("gort"), Some(4))
    );
    assert_eq!(v["errors"], 0, "{v}");
    let requests = v["requests"].as_u64().unwrap();
    assert!(requests > 0, "{v}");
    let secs = v["seconds"].as_f64().unwrap();
    assert!((0.25..5.0).contains(&secs), "{v}");
    assert!(
        v["cpu_us"].as_f64().is_some() && v["cpu_us_per_req"].as_f64().is_some(),
        "{v}"
    );
    // Four connections at most, each kept: the requests came from at most
    // four client ports.
    let seen = srv.take_log();
    let mut ports: Vec<&str> = seen.iter().map(|s| s.remote.as_str()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert!((1..=4).contains(&ports.len()), "{ports:?}");

    // A status other than 200 counts as an error.
    let r = run(
        "bench_http_client",
        &[
            "--url",
            &format!("{}/nowhere", srv.base()),
            "--conns",
            "2",
            "--duration",
            "0.2",
            "--warmup",
            "0",
        ],
    );
    assert!(r.status.success(), "{r:?}");
    let v: Value = serde_json::from_str(r.stdout.trim_end()).unwrap();
    assert_eq!(v["requests"], 0, "{v}");
    assert!(v["errors"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["cpu_us_per_req"], Value::Null, "{v}");
    assert!(
        r.stderr.starts_with("bench_http_client: first error: GET "),
        "{r:?}"
    );

    let r = run("bench_http_client", &["--conns", "4"]);
    assert_eq!(r.status.code(), Some(2), "{r:?}");
    assert!(
        r.stderr
            .starts_with("bench_http_client: --url is required\n")
    );
}

// ---------------------------------------------------------------------------
// The README's client snippet

/// The README's client snippet, its calls made against the test server
/// (the README's copy is compiled by the doctests but cannot run there).
#[test]
fn readme_client_snippet_shape() {
    let _w = watchdog::start("readme_client_snippet_shape", watchdog::LIMIT);
    let srv = Serving::start();
    let base = srv.base();
    let out = gort::run(move || -> std::io::Result<(String, u16, String, u16)> {
        // GET, body read to its end.
        let mut resp = http::get(&format!("{base}/todos/1"))?;
        let mut body = String::new();
        resp.body.read_to_string(&mut body)?;
        // POST with a JSON body.
        let todo = json!({"userId": 1, "title": "from the README", "completed": false});
        let mut resp = http::post(
            &format!("{base}/todos"),
            "application/json",
            serde_json::to_vec(&todo)?,
        )?;
        let created: Value = serde_json::from_reader(&mut resp.body)?;
        // A client with a timeout.
        let client = http::Client {
            timeout: Some(Duration::from_secs(10)),
            ..Default::default()
        };
        let missing = client.get(&format!("{base}/nope"))?;
        Ok((
            body,
            resp.status_code,
            created["id"].to_string(),
            missing.status_code,
        ))
    })
    .unwrap();
    let (body, status, id, missing) = out;
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (got["id"].as_u64(), got["userId"].as_u64()),
        (Some(1), Some(7))
    );
    assert_eq!((status, id.as_str(), missing), (201, "201", 404));
    let seen = srv.take_log();
    let sent: Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(
        sent,
        json!({"userId": 1, "title": "from the README", "completed": false})
    );
    assert_eq!(seen[1].content_type, "application/json");
}
