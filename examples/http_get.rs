//! Go's `http.Get`: build a URL with query parameters (`url.Values`), GET
//! it with the default client, print the status line and the body.
//!
//! ```text
//! cargo run --release --example http_get -- URL [KEY=VALUE ...]
//! cargo run --release --example http_get -- http://127.0.0.1:8080/search q='gort http' page=2
//! ```
//!
//! Each `KEY=VALUE` is added to the URL's query (after the parameters the
//! URL already has), escaped by `Values::encode`: the request above is
//! `GET /search?page=2&q=gort+http`. The first line on stdout is the status
//! line (`HTTP/1.1 200 OK`), then the body as it came. The exit status is
//! 0 for a 2xx response, 1 for any other status (after printing it, with
//! `http_get: Get "URL": 404 Not Found` on stderr) and for a request that
//! failed (`http_get: Get "URL": dial tcp ...: connection refused`, the
//! client's own error text, as Go prints a `*url.Error`), 2 for a bad
//! command line.
//!
//! The Go program it mirrors:
//!
//! ```go
//! u, err := url.Parse(os.Args[1])
//! q := u.Query()
//! for _, kv := range os.Args[2:] {
//!     k, v, _ := strings.Cut(kv, "=")
//!     q.Add(k, v)
//! }
//! u.RawQuery = q.Encode()
//! resp, err := http.Get(u.String())
//! if err != nil {
//!     log.Fatal(err)
//! }
//! defer resp.Body.Close()
//! fmt.Println(resp.Proto, resp.Status)
//! io.Copy(os.Stdout, resp.Body)
//! if resp.StatusCode < 200 || resp.StatusCode > 299 {
//!     log.Fatalf("Get %q: %s", u, resp.Status)
//! }
//! ```

use std::io::{self, Write};
use std::process::ExitCode;

use gort::http::{self, url};

const USAGE: &str = "usage: http_get URL [KEY=VALUE ...]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((raw, params)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut pairs = Vec::new();
    for kv in params {
        match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => pairs.push((k.to_string(), v.to_string())),
            _ => {
                eprintln!("http_get: bad query parameter {kv:?}, want KEY=VALUE\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let target = match with_query(raw, pairs) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("http_get: {e}");
            return ExitCode::from(2);
        }
    };
    match gort::run(move || fetch(&target)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("http_get: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `raw` with `pairs` added to its query (Go's `u.Query()`, `q.Add`,
/// `u.RawQuery = q.Encode()`).
fn with_query(raw: &str, pairs: Vec<(String, String)>) -> Result<String, url::Error> {
    let mut u = url::parse(raw)?;
    if pairs.is_empty() {
        // Leave the URL's own query as it was written.
        return Ok(u.to_string());
    }
    let mut q = u.query();
    for (k, v) in pairs {
        q.add(k, v);
    }
    u.raw_query = q.encode();
    Ok(u.to_string())
}

/// GETs `target` and copies the response to stdout; the exit status.
fn fetch(target: &str) -> io::Result<ExitCode> {
    let mut resp = http::get(target)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{} {}", resp.proto, resp.status)?;
    io::copy(&mut resp.body, &mut out)?;
    out.flush()?;
    if !(200..=299).contains(&resp.status_code) {
        eprintln!("http_get: Get {target:?}: {}", resp.status);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
