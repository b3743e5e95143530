//! The `/etc/services` parser on arbitrary file contents (Go's
//! `readServices`), through `gort_net::parse_services_for_fuzzing`.
//!
//! Besides never panicking, it checks that every entry has a port in
//! 1..16777215 (Go's `dtoi` ceiling) and a name and network without the
//! separators the format splits on, and that writing the table out as a
//! services file, one `name port/network` line per entry, parses back to
//! the same table.
#![no_main]

use gort_net::parse_services_for_fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let table = parse_services_for_fuzzing(data);
    let mut file = String::new();
    for (net, name, port) in &table {
        assert!((1..0xFF_FFFF).contains(port), "{name:?} {port}/{net:?}");
        assert!(!name.is_empty(), "{port}/{net:?}");
        for field in [net, name] {
            assert!(!field.contains([' ', '\t', '\r', '\n', '#']), "{field:?}");
        }
        file.push_str(&format!("{name} {port}/{net}\n"));
    }
    assert_eq!(
        parse_services_for_fuzzing(file.as_bytes()),
        table,
        "written out as {file:?}"
    );
});
