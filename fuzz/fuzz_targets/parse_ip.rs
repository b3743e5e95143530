//! `parse_ip` on arbitrary text (Go's `ParseIP`).
//!
//! Besides never panicking, it checks that an address that parses is in
//! 16-byte form and prints as text that parses back to the same bytes (Go's
//! `ParseIP(ip.String())` round trip); that `FromStr` agrees and its error
//! names the input as Go's `ParseError` does; and that wherever `std` reads
//! the text as an address, gort reads the same address, printed the same
//! way (IPv4-mapped addresses aside, which Go prints dotted).
#![no_main]

use gort_net::{IP, parse_ip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let got = parse_ip(&s);
    match s.parse::<IP>() {
        Ok(ip) => assert_eq!(Some(ip), got, "FromStr and parse_ip disagree on {s:?}"),
        Err(e) => {
            assert!(
                got.is_none(),
                "FromStr failed where parse_ip did not: {s:?}"
            );
            assert_eq!(e.to_string(), format!("invalid IP address: {s}"));
        }
    }
    if let Some(ip) = got {
        assert_eq!(ip.len(), 16, "{s:?} parsed to {} bytes", ip.len());
        let text = ip.to_string();
        let back = parse_ip(&text)
            .unwrap_or_else(|| panic!("{s:?} printed as {text:?}, which does not parse"));
        assert_eq!(back.as_bytes(), ip.as_bytes(), "{s:?} -> {text:?}");
        assert_eq!(back.to_string(), text, "printing is not stable for {s:?}");
    }
    if let Ok(std_ip) = s.parse::<std::net::IpAddr>() {
        let ip = got.unwrap_or_else(|| panic!("std reads {s:?} as {std_ip}, gort does not"));
        assert_eq!(ip, IP::from(std_ip), "{s:?}");
        if ip.to4().is_none() {
            assert_eq!(ip.to_string(), std_ip.to_string(), "{s:?}");
        }
    }
});
