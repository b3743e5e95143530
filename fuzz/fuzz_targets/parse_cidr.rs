//! `parse_cidr` on arbitrary text (Go's `ParseCIDR`).
//!
//! Besides never panicking, it checks that a failure is Go's `ParseError`
//! text naming the input; that a network contains the address it was
//! parsed with (but for Go's quirk noted below), and its mask has the written prefix length out of 32 or
//! 128 bits; that the address half alone parses to the same address; and
//! that the network prints as CIDR text that parses back to the same
//! network (Go's `ParseCIDR(n.String())`). That last round trip is checked
//! except for IPv6-written networks that land in the IPv4-mapped range,
//! which Go, and gort, print in IPv4 form with a shorter prefix.
#![no_main]

use gort_net::{parse_cidr, parse_ip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let (ip, net) = match parse_cidr(&s) {
        Ok(v) => v,
        Err(e) => {
            assert_eq!(e.to_string(), format!("invalid CIDR address: {s}"));
            return;
        }
    };
    let (addr, prefix) = s.split_once('/').expect("a CIDR has a '/'");
    assert_eq!(parse_ip(addr), Some(ip), "{s:?}");
    // Go's quirk, kept: an IPv4-mapped address written in IPv6 form with a
    // prefix shorter than 96 bits gives an IPv6 network that does not
    // contain the address, which Contains compares in its IPv4 form.
    let split_family = addr.contains(':') && ip.to4().is_some() && net.ip.to4().is_none();
    if !split_family {
        assert!(net.contains(&ip), "{net} does not contain {ip} ({s:?})");
    }
    let (ones, bits) = net.mask.size();
    assert!(bits == 32 || bits == 128, "{s:?}: {bits} bits");
    assert_eq!(prefix.parse::<i32>().ok(), Some(ones), "{s:?}");
    let text = net.to_string();
    let mapped = addr.contains(':') && net.ip.to4().is_some();
    if !mapped {
        let (ip2, net2) = parse_cidr(&text)
            .unwrap_or_else(|e| panic!("{s:?} printed as {text:?}, which fails: {e}"));
        assert_eq!(net2, net, "{s:?} -> {text:?}");
        assert_eq!(ip2, net.ip, "{s:?} -> {text:?}");
    }
});
