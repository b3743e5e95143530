//! The `/etc/hosts` parser on arbitrary file contents (Go's `readHosts`),
//! through `gort_net::parse_hosts_for_fuzzing`.
//!
//! Besides never panicking, it checks that the two maps agree (every name
//! key is lower case and absolute, and lists only addresses the address map
//! has, whose names lead back to it), that every address key is an IP
//! literal (with an optional zone), and that writing the address map out
//! as a hosts file, one line per address, parses back to the same map.
#![no_main]

use gort_net::{parse_hosts_for_fuzzing, parse_ip};
use libfuzzer_sys::fuzz_target;

/// Go's `absDomainName`.
fn abs(s: &str) -> String {
    if s.contains('.') && !s.ends_with('.') {
        format!("{s}.")
    } else {
        s.to_string()
    }
}

fuzz_target!(|data: &[u8]| {
    let (names, addrs) = parse_hosts_for_fuzzing(data);
    for (key, canonical, list) in &names {
        assert_eq!(*key, abs(&key.to_ascii_lowercase()), "name key {key:?}");
        assert!(!canonical.is_empty() && !list.is_empty(), "{key:?}");
        for a in list {
            let names_of_a = &addrs
                .binary_search_by(|(k, _)| k.as_str().cmp(a))
                .map(|i| &addrs[i].1)
                .unwrap_or_else(|_| panic!("{key:?} lists {a:?}, which has no entry"));
            assert!(
                names_of_a
                    .iter()
                    .any(|n| abs(&n.to_ascii_lowercase()) == *key),
                "{a:?} does not lead back to {key:?}"
            );
        }
    }
    for (addr, list) in &addrs {
        let ip = addr.split('%').next().unwrap_or_default();
        assert!(parse_ip(ip).is_some(), "address key {addr:?}");
        assert!(!list.is_empty(), "{addr:?}");
    }
    let mut file = String::new();
    for (addr, list) in &addrs {
        file.push_str(addr);
        for n in list {
            file.push(' ');
            file.push_str(n);
        }
        file.push('\n');
    }
    let (_, again) = parse_hosts_for_fuzzing(file.as_bytes());
    assert_eq!(again, addrs, "written out as {file:?}");
});
