//! gort-http's chunked decoder (a port of Go's internal/chunked.go) on
//! arbitrary bytes.
//!
//! Besides never panicking, it checks that a body it decodes, written back
//! with the chunked writer in chunks of any size, decodes to the same bytes.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = gort_http::fuzzing::read_chunked(data) else {
        return;
    };
    let step = 1 + data.first().copied().unwrap_or(0) as usize;
    let mut w = gort_http::ChunkedWriter::new(Vec::new());
    for piece in body.chunks(step) {
        w.write_all(piece).unwrap();
    }
    w.close().unwrap();
    let mut wire = w.get_mut().clone();
    wire.extend_from_slice(b"\r\n");
    assert_eq!(gort_http::fuzzing::read_chunked(&wire).unwrap(), body);
});
