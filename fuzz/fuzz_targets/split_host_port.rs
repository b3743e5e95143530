//! `split_host_port` and `join_host_port` on arbitrary text (Go's
//! `SplitHostPort` and `JoinHostPort`).
//!
//! Besides never panicking, it checks that a failure is an `AddrError`
//! naming the whole input (unless empty) with one of Go's five messages, and that a
//! successful split joins back into text that splits to the same host and
//! port (the host of a split never holds a bracket, so this always holds).
#![no_main]

use gort_net::{join_host_port, split_host_port};
use libfuzzer_sys::fuzz_target;

/// Go's messages, the only ones a split may fail with.
const WHY: [&str; 5] = [
    "missing port in address",
    "too many colons in address",
    "missing ']' in address",
    "unexpected '[' in address",
    "unexpected ']' in address",
];

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    match split_host_port(&s) {
        Ok((host, port)) => {
            assert!(!host.contains(['[', ']']), "{s:?} gave host {host:?}");
            assert!(!port.contains([':', '[', ']']), "{s:?} gave port {port:?}");
            let joined = join_host_port(&host, &port);
            let again = split_host_port(&joined)
                .unwrap_or_else(|e| panic!("{s:?} -> {joined:?}, which fails: {e}"));
            assert_eq!(again, (host, port), "{s:?} -> {joined:?}");
        }
        Err(e) => {
            // Go's AddrError leaves out "address : " for an empty address.
            let text = e.to_string();
            let named = |w: &str| {
                if s.is_empty() {
                    w.to_string()
                } else {
                    format!("address {s}: {w}")
                }
            };
            assert!(
                WHY.iter().any(|w| text == named(w)),
                "{s:?} failed with {text:?}"
            );
        }
    }
});
