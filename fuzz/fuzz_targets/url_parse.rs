//! gort-http's URL parsers on arbitrary text (Go's `url.Parse` and
//! `url.ParseRequestURI`).
//!
//! Besides never panicking, it checks that a URL that parsed prints as text
//! that parses again and prints the same (Go's `Parse(u.String())` round
//! trip; `parse_request_uri` for a request target), that a failure is a `parse` error naming its input, and that the
//! helpers built on a parsed URL (`request_uri`, `redacted`, `query`,
//! resolving the input against itself) do not panic either.
#![no_main]

use gort_http::url::{Error, URL, parse, parse_request_uri};
use libfuzzer_sys::fuzz_target;

/// `u` prints as text that `reparse` reads back as a URL printing the same
/// text. A request target is read back with `parse_request_uri`: Go's too
/// prints the path `//x` as `//x`, which `parse` takes for a host.
fn round_trips(input: &str, u: &URL, reparse: fn(&str) -> Result<URL, Error>) {
    // Go's kept quirks: a zone may hold raw non-ASCII, which printing
    // %-escapes, while a zone may not %-escape non-ASCII; and a zone may
    // hold `[` written as %5B, which printing leaves bare, making a second
    // bracket. Go cannot read either back.
    let odd_zone = |z: &str| !z.is_ascii() || z.contains('[');
    if u.host.starts_with('[') && u.host.split_once('%').is_some_and(|(_, z)| odd_zone(z)) {
        return;
    }
    // And Go guards a path starting "//" only when there is a scheme: a
    // relative one prints as a network-path reference (Go too).
    if u.scheme.is_empty()
        && u.host.is_empty()
        && u.user.is_none()
        && u.escaped_path().starts_with("//")
    {
        return;
    }
    let s = u.to_string();
    let again =
        reparse(&s).unwrap_or_else(|e| panic!("{input:?} printed as {s:?}, which fails: {e}"));
    assert_eq!(
        again.to_string(),
        s,
        "{input:?} printed as {s:?}, which reprints differently"
    );
    let _ = u.request_uri();
    let _ = u.redacted();
    let _ = u.query().encode();
    let _ = (u.hostname(), u.port());
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse(input) {
        Ok(u) => {
            round_trips(input, &u, parse);
            let _ = u.resolve_reference(&u);
            let _ = u.join_path(&["a", "..", "b/"]);
        }
        Err(e) => {
            assert_eq!(e.op, "parse");
            assert!(
                input.starts_with(e.url.as_str()),
                "{input:?} blamed on {:?}",
                e.url
            );
            let _ = e.to_string();
        }
    }
    match parse_request_uri(input) {
        Ok(u) => round_trips(input, &u, parse_request_uri),
        Err(e) => {
            assert_eq!((e.op.as_str(), e.url.as_str()), ("parse", input));
            let _ = e.to_string();
        }
    }
});
