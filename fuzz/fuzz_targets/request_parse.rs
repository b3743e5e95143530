//! gort-http's request reader on arbitrary bytes: heads parsed by httparse
//! with Go's rules on top, bodies framed by Content-Length or Go's chunked
//! decoder, several requests in a row as on a keep-alive connection.
//!
//! Besides never panicking, it checks what the server relies on: a request
//! read has a method that is a token and a target that is not empty, and
//! reading the same bytes again gives the same requests (no hidden state).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = gort_http::fuzzing::read_requests(data);
    if let Ok(reqs) = &first {
        for (method, target, _) in reqs {
            assert!(!method.is_empty() && method.bytes().all(|b| b.is_ascii_graphic()));
            assert!(!target.is_empty());
        }
    }
    assert_eq!(first, gort_http::fuzzing::read_requests(data));
});
