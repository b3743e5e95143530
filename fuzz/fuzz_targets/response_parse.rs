//! gort-http's response reader (the client side) on arbitrary bytes: status
//! lines parsed by hand with Go's rules, header blocks by httparse, bodies
//! framed by Content-Length, Go's chunked decoder or the connection's end,
//! several responses in a row as on a kept-alive connection. The first byte
//! says whether they answer GET or HEAD.
//!
//! Besides never panicking, it checks what the transport relies on: a
//! status code has three digits (at most 999); a body framed by a length is exactly that
//! long; a response to HEAD has no body; and reading the same bytes again
//! gives the same responses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let method = if pick & 1 == 0 { "GET" } else { "HEAD" };
    let first = gort_http::fuzzing_client::read_responses(rest, method);
    if let Ok(resps) = &first {
        for (code, content_length, _, body) in resps {
            // Three digits; Go takes "000" too.
            assert!(*code <= 999);
            if method == "HEAD" {
                assert!(body.is_empty());
            } else if *content_length >= 0 {
                assert_eq!(body.len() as i64, *content_length);
            }
        }
    }
    assert_eq!(first, gort_http::fuzzing_client::read_responses(rest, method));
});
