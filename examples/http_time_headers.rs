//! Two small endpoints in Go's style, on a `ServeMux`:
//!
//! * `GET /time`: the current UTC time as RFC 3339 text, or as JSON
//!   (`{"unix":…,"unix_nano":…,"rfc3339":"…"}`) when the client asks with
//!   `?format=json` or `Accept: application/json`;
//! * `GET /headers`: the request's header fields, one `Key: value` line per
//!   value, sorted by key (the `Host` field included, which Go keeps in
//!   `r.Host` rather than in `r.Header`).
//!
//! ```text
//! cargo run --release --example http_time_headers -- [ADDR]   # default 127.0.0.1:8080
//! curl http://127.0.0.1:8080/time
//! curl -H 'Accept: application/json' http://127.0.0.1:8080/time
//! curl -H 'X-Hello: gort' http://127.0.0.1:8080/headers
//! ```
//!
//! The first line on stdout is `listening on ADDR`; other paths get the
//! mux's 404, other methods its 405.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use gort::http::{self, Request, ResponseWriter, ServeMux};
use serde::Serialize;

/// The JSON form of `/time`.
#[derive(Serialize)]
struct Now {
    unix: u64,
    unix_nano: u128,
    rfc3339: String,
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let res = gort::run(move || {
        let mux = ServeMux::new();
        mux.handle_func("GET /time", time);
        mux.handle_func("GET /headers", headers);
        let ln = gort::net::listen("tcp", &addr)?;
        println!("listening on {}", ln.addr());
        http::serve(ln, Some(Arc::new(mux)))
    });
    if let Err(e) = res {
        eprintln!("http_time_headers: {e}");
        std::process::exit(1);
    }
}

/// `GET /time`.
fn time(w: &mut dyn ResponseWriter, r: &mut Request) {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let text = rfc3339(since.as_secs());
    let json = r.url.query().get("format") == "json"
        || r.header.get("Accept").contains("application/json");
    if json {
        w.header().set("Content-Type", "application/json");
        let now = Now {
            unix: since.as_secs(),
            unix_nano: since.as_nanos(),
            rfc3339: text,
        };
        let _ = serde_json::to_writer(&mut *w, &now);
        let _ = w.write_all(b"\n");
    } else {
        w.header().set("Content-Type", "text/plain; charset=utf-8");
        let _ = writeln!(w, "{text}");
    }
}

/// `GET /headers`.
fn headers(w: &mut dyn ResponseWriter, r: &mut Request) {
    let mut lines: Vec<(&str, &str)> = r
        .header
        .iter()
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k, v.as_str())))
        .collect();
    lines.push(("Host", &r.host));
    // Stable: the values of one key stay in the order they came.
    lines.sort_by_key(|&(k, _)| k);
    let mut body = String::new();
    for (k, v) in lines {
        body.push_str(&format!("{k}: {v}\n"));
    }
    w.header().set("Content-Type", "text/plain; charset=utf-8");
    let _ = w.write_all(body.as_bytes());
}

/// `secs` after the Unix epoch as RFC 3339 in UTC (Go's
/// `time.Now().UTC().Format(time.RFC3339)`), e.g. `2026-05-01T12:34:56Z`.
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of day `z` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
