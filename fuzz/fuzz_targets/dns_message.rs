//! The DNS message parser (the resolver's port of Go's `dnsmessage.Parser`)
//! on arbitrary bytes, through `gort_net::parse_message_for_fuzzing`.
//!
//! Besides never panicking or hanging (a compression loop must end at
//! the pointer limit), it checks that the walk is deterministic and that
//! a message never yields more records than its header counts.
#![no_main]

use gort_net::parse_message_for_fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = parse_message_for_fuzzing(data);
    assert_eq!(first, parse_message_for_fuzzing(data), "not deterministic");
    if let Ok(n) = first {
        let count = |i: usize| usize::from(u16::from_be_bytes([data[i], data[i + 1]]));
        assert!(n <= count(6) + count(8) + count(10), "{n} records");
    }
});
