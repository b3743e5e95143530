//! A time-of-day server (in the spirit of RFC 867 "daytime"): each client
//! receives the current UTC time as one line of RFC 3339 text, such as
//! `2025-01-31T23:59:58.123Z`, and the server closes the connection.
//!
//! It shows the simplest request-free protocol: accept, hand the conn to a
//! goroutine, write, and let dropping the conn close it.
//!
//! ```text
//! cargo run --release --example time_server -- [ADDR]      # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                                     # prints the time, then ends
//! ```
//!
//! It prints `listening on ADDR`, then `sent TIME to REMOTE` per client.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let Err(e) = gort::run(move || serve(&addr));
    eprintln!("time_server: {e}");
    std::process::exit(1);
}

/// Listens on `addr` and answers every connection; returns only on error.
fn serve(addr: &str) -> std::io::Result<std::convert::Infallible> {
    let ln = gort::net::listen("tcp", addr)?;
    println!("listening on {}", ln.addr());
    loop {
        let conn = match ln.accept() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        gort::go!({
            let now = rfc3339_utc(SystemTime::now());
            let remote = conn
                .remote_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            match conn.write_all(format!("{now}\n").as_bytes()) {
                Ok(()) => println!("sent {now} to {remote}"),
                Err(e) => eprintln!("write {remote}: {e}"),
            }
            // `conn` drops here, which closes it: the client reads end of file.
        });
    }
}

/// `t` as RFC 3339 text in UTC with milliseconds: `YYYY-MM-DDTHH:MM:SS.mmmZ`
/// (Go's `t.UTC().Format("2006-01-02T15:04:05.000Z07:00")`).
fn rfc3339_utc(t: SystemTime) -> String {
    // Before 1970 only with a clock set very wrong; print the epoch then.
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01.
///
/// Counts in 400-year eras of 146,097 days, each starting on 1 March so
/// that the leap day falls at the end of its year; the month then follows
/// from the day of that year by the 153-days-per-5-months rule. This is
/// Howard Hinnant's `civil_from_days`, for days on or after the epoch.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let doe = z % 146_097; // day of the era, 0..=146_096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March year
    let mp = (5 * doy + 2) / 153; // month, March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + u64::from(month <= 2);
    (year, month, day)
}
