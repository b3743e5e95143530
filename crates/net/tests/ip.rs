//! Ports of Go's src/net/ip_test.go (go1.27): the tables, as data, by name.
//!
//! Go's `nil` IP, mask or network is `None` (or [`IP::NIL`]) here, and Go's
//! literal `IP{...}` of a given length is `ip(&[...])`. The tests of
//! `MarshalText`/`AppendText`/`UnmarshalText` are not ported because those
//! methods are not; `FromStr` stands in for `UnmarshalText`.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use gort_net::{
    Addr, IP, IPMask, IPNet, IPV6_LEN, ParseError, cidr_mask, ipv4_mask, parse_cidr, parse_ip,
};

/// Go's `IP{...}` literal: the bytes as they are, any length up to 16.
fn ip(b: &[u8]) -> IP {
    IP::from_bytes(b).expect("at most 16 bytes")
}

/// Go's `IPMask{...}` literal.
fn mask(b: &[u8]) -> IPMask {
    IPMask::from_bytes(b).expect("at most 16 bytes")
}

/// Go's `ParseIP` for a literal the table knows is valid.
fn pip(s: &str) -> IP {
    parse_ip(s).unwrap_or_else(|| panic!("parse_ip({s:?})"))
}

/// Go's `IPMask(ParseIP(s))`.
fn pmask(s: &str) -> IPMask {
    IPMask::from(pip(s))
}

/// Go's `parseIPTests`: the input and the 16-byte result, `None` for nil.
fn parse_ip_tests() -> Vec<(&'static str, Option<IP>)> {
    let v6 = [
        0x20, 0x01, 0x48, 0x60, 0, 0, 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x68,
    ];
    vec![
        ("127.0.1.2", Some(IP::v4(127, 0, 1, 2))),
        ("127.0.0.1", Some(IP::v4(127, 0, 0, 1))),
        ("::ffff:127.1.2.3", Some(IP::v4(127, 1, 2, 3))),
        ("::ffff:7f01:0203", Some(IP::v4(127, 1, 2, 3))),
        ("0:0:0:0:0000:ffff:127.1.2.3", Some(IP::v4(127, 1, 2, 3))),
        ("0:0:0:0::ffff:127.1.2.3", Some(IP::v4(127, 1, 2, 3))),
        ("2001:4860:0:2001::68", Some(ip(&v6))),
        ("2001:4860:0000:2001:0000:0000:0000:0068", Some(ip(&v6))),
        ("-0.0.0.0", None),
        ("0.-1.0.0", None),
        ("0.0.-2.0", None),
        ("0.0.0.-3", None),
        ("127.0.0.256", None),
        ("abc", None),
        ("123:", None),
        ("fe80::1%lo0", None),
        ("fe80::1%911", None),
        ("", None),
        // Six zeros in one group.
        ("0:0:0:0:000000:ffff:127.1.2.3", None),
        // Five zeros in one group, the edge case.
        ("0:0:0:0:00000:ffff:127.1.2.3", None),
        ("a1:a2:a3:a4::b1:b2:b3:b4", None), // Go issue 6628
        ("127.001.002.003", None),
        ("::ffff:127.001.002.003", None),
        ("123.000.000.000", None),
        ("1.2..4", None),
        ("0123.0.0.1", None),
    ]
}

#[test]
fn test_parse_ip() {
    for (input, want) in parse_ip_tests() {
        let got = parse_ip(input);
        // Go compares with reflect.DeepEqual, so the length matters too.
        assert_eq!(
            got.map(|ip| ip.as_bytes().to_vec()),
            want.map(|ip| ip.as_bytes().to_vec()),
            "parse_ip({input:?})"
        );
        // FromStr stands in for UnmarshalText.
        match (input.parse::<IP>(), want) {
            (Ok(got), Some(want)) => assert_eq!(got.as_bytes(), want.as_bytes(), "{input:?}"),
            (Err(e), None) => assert_eq!(
                e,
                ParseError {
                    typ: "IP address".into(),
                    text: input.into()
                }
            ),
            (got, want) => panic!("{input:?}.parse::<IP>() = {got:?}, want {want:?}"),
        }
    }
}

/// More of netip's rules, which go1.27's ParseIP follows; each was checked
/// against `net.ParseIP` of go1.27.
#[test]
fn test_parse_ip_netip_rules() {
    let cases: &[(&str, Option<&str>)] = &[
        ("::", Some("::")),
        ("::1", Some("::1")),
        ("1::", Some("1::")),
        ("::ffff:1.2.3.4", Some("1.2.3.4")),
        ("::1.2.3.4", Some("::102:304")),
        ("64:ff9b::192.0.2.33", Some("64:ff9b::c000:221")),
        ("1:2:3:4:5:6:1.2.3.4", Some("1:2:3:4:5:6:102:304")),
        ("1:2:3:4:5:6:7:8", Some("1:2:3:4:5:6:7:8")),
        ("2001:DB8::1", Some("2001:db8::1")),
        ("0.0.0.0", Some("0.0.0.0")),
        ("255.255.255.255", Some("255.255.255.255")),
        // Too many or too few groups, misplaced "::".
        ("1:2:3:4:5:6:7:8:9", None),
        ("1:2:3:4:5:6:7", None),
        ("1:2:3:4:5:6:7:8::", None),
        ("::1:2:3:4:5:6:7:8", None),
        ("1:2:3:4::5:6:7:8", None),
        ("1::2::3", None),
        (":::", None),
        (":1", None),
        ("1:", None),
        (":", None),
        // IPv4 in the wrong place or malformed.
        ("1:2:3:4:5:6:7:1.2.3.4", None),
        ("1.2.3.4::", None),
        ("::1.2.3", None),
        ("::1.2.3.4.5", None),
        ("1:2:3:4:5:1.2.3.4", None),
        ("::ffff:01.2.3.4", None),
        // IPv4 shapes.
        ("1.2.3", None),
        ("1.2.3.4.5", None),
        (".1.2.3", None),
        ("1.2.3.", None),
        ("1.2.3.4 ", None),
        (" 1.2.3.4", None),
        ("1.2.3.04", None),
        ("1.2.3.0", Some("1.2.3.0")),
        // Zones and stray '%'.
        ("%eth0", None),
        ("fe80::1%", None),
        ("1.2.3.4%eth0", None),
        // Five hex digits, non-hex, non-ASCII.
        ("12345::", None),
        ("g::", None),
        ("1.2.3.４", None),
        ("١.2.3.4", None),
    ];
    for &(input, want) in cases {
        assert_eq!(
            parse_ip(input).map(|ip| ip.to_string()).as_deref(),
            want,
            "parse_ip({input:?})"
        );
        if let Some(ip) = parse_ip(input) {
            assert_eq!(ip.len(), IPV6_LEN, "{input:?} comes back in 16 bytes");
        }
    }
}

/// Go's `ipStringTests`: the address and its `String`. (The `MarshalText`
/// columns are not ported.)
fn ip_string_tests() -> Vec<(IP, &'static str)> {
    vec![
        // IPv4 address.
        (ip(&[192, 0, 2, 1]), "192.0.2.1"),
        (ip(&[0, 0, 0, 0]), "0.0.0.0"),
        // IPv4-mapped IPv6 address.
        (
            ip(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]),
            "192.0.2.1",
        ),
        (
            ip(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]),
            "0.0.0.0",
        ),
        // IPv6 address.
        (
            ip(&[
                0x20, 0x1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0x1, 0x23, 0, 0x12, 0, 0x1,
            ]),
            "2001:db8::123:12:1",
        ),
        (
            ip(&[0x20, 0x1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1]),
            "2001:db8::1",
        ),
        (
            ip(&[
                0x20, 0x1, 0xd, 0xb8, 0, 0, 0, 0x1, 0, 0, 0, 0x1, 0, 0, 0, 0x1,
            ]),
            "2001:db8:0:1:0:1:0:1",
        ),
        (
            ip(&[
                0x20, 0x1, 0xd, 0xb8, 0, 0x1, 0, 0, 0, 0x1, 0, 0, 0, 0x1, 0, 0,
            ]),
            "2001:db8:1:0:1:0:1:0",
        ),
        (
            ip(&[0x20, 0x1, 0, 0, 0, 0, 0, 0, 0, 0x1, 0, 0, 0, 0, 0, 0x1]),
            "2001::1:0:0:1",
        ),
        (
            ip(&[0x20, 0x1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0x1, 0, 0, 0, 0, 0, 0]),
            "2001:db8:0:0:1::",
        ),
        (
            ip(&[0x20, 0x1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0x1, 0, 0, 0, 0, 0, 0x1]),
            "2001:db8::1:0:0:1",
        ),
        (
            ip(&[
                0x20, 0x1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0xa, 0, 0xb, 0, 0xc, 0, 0xd,
            ]),
            "2001:db8::a:b:c:d",
        ),
        (IP::IPV6_UNSPECIFIED, "::"),
        // The IP wildcard of the Dial and Listen API.
        (IP::NIL, "<nil>"),
        // An opaque byte sequence.
        (
            ip(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]),
            "?0123456789abcdef",
        ),
    ]
}

#[test]
fn test_ip_string() {
    for (input, want) in ip_string_tests() {
        assert_eq!(input.to_string(), want, "{:?}", input.as_bytes());
        assert_eq!(format!("{input:?}"), want, "Debug is Display");
    }
    // Width and alignment apply to the whole text.
    assert_eq!(format!("[{:>9}]", IP::v4(1, 2, 3, 4)), "[  1.2.3.4]");
}

/// Go's `ipMaskTests`.
#[test]
fn test_ip_mask() {
    let tests: Vec<(IP, IPMask, IP)> = vec![
        (
            IP::v4(192, 168, 1, 127),
            ipv4_mask(255, 255, 255, 128),
            IP::v4(192, 168, 1, 0),
        ),
        (
            IP::v4(192, 168, 1, 127),
            pmask("255.255.255.192"),
            IP::v4(192, 168, 1, 64),
        ),
        (
            IP::v4(192, 168, 1, 127),
            pmask("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffe0"),
            IP::v4(192, 168, 1, 96),
        ),
        (
            IP::v4(192, 168, 1, 127),
            ipv4_mask(255, 0, 255, 0),
            IP::v4(192, 0, 1, 0),
        ),
        (pip("2001:db8::1"), pmask("ffff:ff80::"), pip("2001:d80::")),
        (pip("2001:db8::1"), pmask("f0f0:0f0f::"), pip("2000:d08::")),
    ];
    for (input, m, want) in tests {
        let got = input.mask(&m);
        assert!(
            got.is_some_and(|g| want.equal(&g)),
            "{input}.mask({m}) = {got:?}, want {want}"
        );
    }
}

/// Length rules of `Mask` beyond Go's table.
#[test]
fn test_ip_mask_lengths() {
    // A 4-byte mask on a 16-byte IPv4-mapped address: 4-byte result.
    let got = IP::v4(10, 1, 2, 3).mask(&ipv4_mask(255, 0, 0, 0)).unwrap();
    assert_eq!(got.as_bytes(), &[10, 0, 0, 0]);
    // A 16-byte mask with all-ones head on a 4-byte address: 4-byte result.
    let got = ip(&[10, 1, 2, 3])
        .mask(&cidr_mask(104, 128).unwrap())
        .unwrap();
    assert_eq!(got.as_bytes(), &[10, 0, 0, 0]);
    // A 4-byte mask on real IPv6, or a short head on IPv4: no result.
    assert_eq!(pip("2001:db8::1").mask(&ipv4_mask(255, 0, 0, 0)), None);
    assert_eq!(ip(&[10, 1, 2, 3]).mask(&cidr_mask(64, 128).unwrap()), None);
    assert_eq!(IP::NIL.mask(&ipv4_mask(255, 0, 0, 0)), None);
}

/// Go's `ipMaskStringTests`.
#[test]
fn test_ip_mask_string() {
    let tests: Vec<(IPMask, &str)> = vec![
        (ipv4_mask(255, 255, 255, 240), "fffffff0"),
        (ipv4_mask(255, 0, 128, 0), "ff008000"),
        (pmask("ffff:ff80::"), "ffffff80000000000000000000000000"),
        (
            pmask("ef00:ff80::cafe:0"),
            "ef00ff800000000000000000cafe0000",
        ),
        (IPMask::NIL, "<nil>"),
    ];
    for (input, want) in tests {
        assert_eq!(input.to_string(), want);
        assert_eq!(format!("{input:?}"), want);
    }
}

/// The address, network number and mask `parse_cidr` should return.
type CidrWant = (IP, IP, IPMask);

/// Go's `parseCIDRTests`: the input, then the address and network, or
/// `None` for the error `invalid CIDR address: <input>`.
fn parse_cidr_tests() -> Vec<(&'static str, Option<CidrWant>)> {
    let ok = |ip: IP, net: IP, m: IPMask| Some((ip, net, m));
    vec![
        (
            "135.104.0.0/32",
            ok(
                IP::v4(135, 104, 0, 0),
                IP::v4(135, 104, 0, 0),
                ipv4_mask(255, 255, 255, 255),
            ),
        ),
        (
            "0.0.0.0/24",
            ok(
                IP::v4(0, 0, 0, 0),
                IP::v4(0, 0, 0, 0),
                ipv4_mask(255, 255, 255, 0),
            ),
        ),
        (
            "135.104.0.0/24",
            ok(
                IP::v4(135, 104, 0, 0),
                IP::v4(135, 104, 0, 0),
                ipv4_mask(255, 255, 255, 0),
            ),
        ),
        (
            "135.104.0.1/32",
            ok(
                IP::v4(135, 104, 0, 1),
                IP::v4(135, 104, 0, 1),
                ipv4_mask(255, 255, 255, 255),
            ),
        ),
        (
            "135.104.0.1/24",
            ok(
                IP::v4(135, 104, 0, 1),
                IP::v4(135, 104, 0, 0),
                ipv4_mask(255, 255, 255, 0),
            ),
        ),
        (
            "::1/128",
            ok(
                pip("::1"),
                pip("::1"),
                pmask("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ),
        ),
        (
            "abcd:2345::/127",
            ok(
                pip("abcd:2345::"),
                pip("abcd:2345::"),
                pmask("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
            ),
        ),
        (
            "abcd:2345::/65",
            ok(
                pip("abcd:2345::"),
                pip("abcd:2345::"),
                pmask("ffff:ffff:ffff:ffff:8000::"),
            ),
        ),
        (
            "abcd:2345::/64",
            ok(
                pip("abcd:2345::"),
                pip("abcd:2345::"),
                pmask("ffff:ffff:ffff:ffff::"),
            ),
        ),
        (
            "abcd:2345::/63",
            ok(
                pip("abcd:2345::"),
                pip("abcd:2345::"),
                pmask("ffff:ffff:ffff:fffe::"),
            ),
        ),
        (
            "abcd:2345::/33",
            ok(
                pip("abcd:2345::"),
                pip("abcd:2345::"),
                pmask("ffff:ffff:8000::"),
            ),
        ),
        (
            "abcd:2345::/32",
            ok(pip("abcd:2345::"), pip("abcd:2345::"), pmask("ffff:ffff::")),
        ),
        (
            "abcd:2344::/31",
            ok(pip("abcd:2344::"), pip("abcd:2344::"), pmask("ffff:fffe::")),
        ),
        (
            "abcd:2300::/24",
            ok(pip("abcd:2300::"), pip("abcd:2300::"), pmask("ffff:ff00::")),
        ),
        (
            "abcd:2345::/24",
            ok(pip("abcd:2345::"), pip("abcd:2300::"), pmask("ffff:ff00::")),
        ),
        (
            "2001:DB8::/48",
            ok(
                pip("2001:DB8::"),
                pip("2001:DB8::"),
                pmask("ffff:ffff:ffff::"),
            ),
        ),
        (
            "2001:DB8::1/48",
            ok(
                pip("2001:DB8::1"),
                pip("2001:DB8::"),
                pmask("ffff:ffff:ffff::"),
            ),
        ),
        ("192.168.1.1/255.255.255.0", None),
        ("192.168.1.1/35", None),
        ("2001:db8::1/-1", None),
        ("2001:db8::1/-0", None),
        ("-0.0.0.0/32", None),
        ("0.-1.0.0/32", None),
        ("0.0.-2.0/32", None),
        ("0.0.0.-3/32", None),
        ("0.0.0.0/-0", None),
        ("127.000.000.001/32", None),
        ("", None),
    ]
}

#[test]
fn test_parse_cidr() {
    for (input, want) in parse_cidr_tests() {
        match (parse_cidr(input), want) {
            (Ok((ip, net)), Some((want_ip, want_net, want_mask))) => {
                assert!(want_ip.equal(&ip), "{input:?}: ip {ip}, want {want_ip}");
                assert!(
                    want_net.equal(&net.ip),
                    "{input:?}: net ip {}, want {want_net}",
                    net.ip
                );
                // Go compares masks with reflect.DeepEqual: length matters.
                assert_eq!(net.mask, want_mask, "{input:?}: mask");
            }
            (Err(e), None) => {
                assert_eq!(
                    e,
                    ParseError {
                        typ: "CIDR address".into(),
                        text: input.into()
                    }
                );
                assert_eq!(e.to_string(), format!("invalid CIDR address: {input}"));
            }
            (got, want) => panic!("parse_cidr({input:?}) = {got:?}, want {want:?}"),
        }
    }
}

/// Shapes `parse_cidr` returns, and inputs beyond Go's table.
#[test]
fn test_parse_cidr_shapes() {
    let (ip, net) = parse_cidr("192.0.2.1/24").unwrap();
    assert_eq!(ip.len(), 16, "the address comes back in 16 bytes");
    assert_eq!(net.ip.len(), 4, "an IPv4 network number is 4 bytes");
    assert_eq!(net.mask.len(), 4);
    assert_eq!(net.to_string(), "192.0.2.0/24");

    // IPv4-mapped written as IPv6 counts as IPv6: prefixes up to 128.
    let (_, net) = parse_cidr("::ffff:192.0.2.1/120").unwrap();
    assert_eq!(net.mask.len(), 16);
    assert_eq!(net.to_string(), "192.0.2.0/24");

    for bad in [
        "192.0.2.1",
        "192.0.2.1/",
        "192.0.2.1/24/",
        "192.0.2.1/+24",
        "192.0.2.1/24 ",
        "192.0.2.1/33",
        "::/129",
        "fe80::1%eth0/64",
        "/24",
        "1.2.3.4/99999999999999999999",
    ] {
        assert!(parse_cidr(bad).is_err(), "parse_cidr({bad:?})");
    }
    assert!(parse_cidr("0.0.0.0/0").is_ok());
    assert!(parse_cidr("::/0").is_ok());
    assert!(
        parse_cidr("1.2.3.4/032").is_ok(),
        "leading zeros in the prefix are fine"
    );
}

/// Go's `ipNetContainsTests`.
#[test]
fn test_ip_net_contains() {
    let net = |ip: IP, mask: IPMask| IPNet { ip, mask };
    let tests: Vec<(IP, IPNet, bool)> = vec![
        (
            IP::v4(172, 16, 1, 1),
            net(IP::v4(172, 16, 0, 0), cidr_mask(12, 32).unwrap()),
            true,
        ),
        (
            IP::v4(172, 24, 0, 1),
            net(IP::v4(172, 16, 0, 0), cidr_mask(13, 32).unwrap()),
            false,
        ),
        (
            IP::v4(192, 168, 0, 3),
            net(IP::v4(192, 168, 0, 0), ipv4_mask(0, 0, 255, 252)),
            true,
        ),
        (
            IP::v4(192, 168, 0, 4),
            net(IP::v4(192, 168, 0, 0), ipv4_mask(0, 255, 0, 252)),
            false,
        ),
        (
            pip("2001:db8:1:2::1"),
            net(pip("2001:db8:1::"), cidr_mask(47, 128).unwrap()),
            true,
        ),
        (
            pip("2001:db8:1:2::1"),
            net(pip("2001:db8:2::"), cidr_mask(47, 128).unwrap()),
            false,
        ),
        (
            pip("2001:db8:1:2::1"),
            net(pip("2001:db8:1::"), pmask("ffff:0:ffff::")),
            true,
        ),
        (
            pip("2001:db8:1:2::1"),
            net(pip("2001:db8:1::"), pmask("0:0:0:ffff::")),
            false,
        ),
    ];
    for (ip, n, want) in tests {
        assert_eq!(n.contains(&ip), want, "{n}.contains({ip})");
    }
}

/// Go's `ipNetStringTests`. Go's nil `*IPNet` has no counterpart; a
/// network whose address and mask do not fit together prints the same.
#[test]
fn test_ip_net_string() {
    let net = |ip: IP, mask: IPMask| IPNet { ip, mask };
    let tests: Vec<(IPNet, &str)> = vec![
        (
            net(IP::v4(192, 168, 1, 0), cidr_mask(26, 32).unwrap()),
            "192.168.1.0/26",
        ),
        (
            net(IP::v4(192, 168, 1, 0), ipv4_mask(255, 0, 255, 0)),
            "192.168.1.0/ff00ff00",
        ),
        (
            net(pip("2001:db8::"), cidr_mask(55, 128).unwrap()),
            "2001:db8::/55",
        ),
        (
            net(pip("2001:db8::"), pmask("8000:f123:0:cafe::")),
            "2001:db8::/8000f1230000cafe0000000000000000",
        ),
        (IPNet::default(), "<nil>"),
        (net(pip("2001:db8::"), ipv4_mask(255, 0, 0, 0)), "<nil>"),
    ];
    for (input, want) in tests {
        assert_eq!(input.to_string(), want);
        assert_eq!(format!("{input:?}"), want);
    }
    let n = net(IP::v4(10, 0, 0, 0), ipv4_mask(255, 0, 0, 0));
    assert_eq!(n.network(), "ip+net");
    let boxed: Box<dyn Addr> = Box::new(n);
    assert_eq!(boxed.network(), "ip+net");
    assert_eq!(boxed.to_string(), "10.0.0.0/8");
    assert_eq!(boxed.as_any().downcast_ref::<IPNet>(), Some(&n));
}

/// Go's `cidrMaskTests`.
#[test]
fn test_cidr_mask() {
    let tests: Vec<(i32, i32, Option<IPMask>)> = vec![
        (0, 32, Some(ipv4_mask(0, 0, 0, 0))),
        (12, 32, Some(ipv4_mask(255, 240, 0, 0))),
        (24, 32, Some(ipv4_mask(255, 255, 255, 0))),
        (32, 32, Some(ipv4_mask(255, 255, 255, 255))),
        (0, 128, Some(mask(&[0; 16]))),
        (
            4,
            128,
            Some(mask(&[0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
        ),
        (
            48,
            128,
            Some(mask(&[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ])),
        ),
        (128, 128, Some(mask(&[0xff; 16]))),
        (33, 32, None),
        (32, 33, None),
        (-1, 128, None),
        (128, -1, None),
    ];
    for (ones, bits, want) in tests {
        assert_eq!(cidr_mask(ones, bits), want, "cidr_mask({ones}, {bits})");
    }
}

/// `IPMask.Size`, the inverse of `CIDRMask` (Go tests it through
/// `cidrMaskTests` and `ipNetStringTests`).
#[test]
fn test_ip_mask_size() {
    for bits in [32, 128] {
        for ones in 0..=bits {
            assert_eq!(cidr_mask(ones, bits).unwrap().size(), (ones, bits));
        }
    }
    assert_eq!(ipv4_mask(255, 0, 255, 0).size(), (0, 0));
    assert_eq!(ipv4_mask(255, 255, 0, 1).size(), (0, 0));
    assert_eq!(IPMask::NIL.size(), (0, 0));
    assert_eq!(mask(&[0xff, 0xff, 0xc0]).size(), (18, 24));
}

/// Go's `ipAddrFamilyTests`.
#[test]
fn test_ip_addr_family() {
    let tests: Vec<(IP, bool, bool)> = vec![
        (IP::IPV4_BCAST, true, false),
        (IP::IPV4_ALLSYS, true, false),
        (IP::IPV4_ALLROUTER, true, false),
        (IP::IPV4_ZERO, true, false),
        (IP::v4(224, 0, 0, 1), true, false),
        (IP::v4(127, 0, 0, 1), true, false),
        (IP::v4(240, 0, 0, 1), true, false),
        (IP::IPV6_UNSPECIFIED, false, true),
        (IP::IPV6_LOOPBACK, false, true),
        (IP::IPV6_INTERFACE_LOCAL_ALL_NODES, false, true),
        (IP::IPV6_LINK_LOCAL_ALL_NODES, false, true),
        (IP::IPV6_LINK_LOCAL_ALL_ROUTERS, false, true),
        (pip("ff05::a:b:c:d"), false, true),
        (pip("fe80::1:2:3:4"), false, true),
        (pip("2001:db8::123:12:1"), false, true),
    ];
    for (input, af4, af6) in tests {
        assert_eq!(input.to4().is_some(), af4, "IPv4 family of {input}");
        assert_eq!(
            input.len() == IPV6_LEN && input.to4().is_none(),
            af6,
            "IPv6 family of {input}"
        );
    }
}

/// Go's `ipAddrScopeTests`: each predicate on the address, and again on its
/// 4-byte form when it has one.
#[test]
fn test_ip_addr_scope() {
    type Scope = fn(&IP) -> bool;
    type Cases<'a> = &'a [(IP, bool)];
    let v4 = IP::v4;
    // Go's 16-byte literals, written as text for brevity.
    let ff05 = pip("ff05::");
    let fe80 = pip("fe80::");
    let fec0 = pip("fec0::");
    let tests: &[(&str, Scope, Cases<'_>)] = &[
        (
            "is_unspecified",
            IP::is_unspecified,
            &[
                (IP::IPV4_ZERO, true),
                (v4(127, 0, 0, 1), false),
                (IP::IPV6_UNSPECIFIED, true),
                (IP::IPV6_INTERFACE_LOCAL_ALL_NODES, false),
                (IP::NIL, false),
            ],
        ),
        (
            "is_loopback",
            IP::is_loopback,
            &[
                (v4(127, 0, 0, 1), true),
                (v4(127, 255, 255, 254), true),
                (v4(128, 1, 2, 3), false),
                (IP::IPV6_LOOPBACK, true),
                (IP::IPV6_LINK_LOCAL_ALL_ROUTERS, false),
                (IP::NIL, false),
            ],
        ),
        (
            "is_multicast",
            IP::is_multicast,
            &[
                (v4(224, 0, 0, 0), true),
                (v4(239, 0, 0, 0), true),
                (v4(240, 0, 0, 0), false),
                (IP::IPV6_LINK_LOCAL_ALL_NODES, true),
                (ff05, true),
                (fe80, false),
                (IP::NIL, false),
            ],
        ),
        (
            "is_interface_local_multicast",
            IP::is_interface_local_multicast,
            &[
                (v4(224, 0, 0, 0), false),
                (v4(0xff, 0x01, 0, 0), false),
                (IP::IPV6_INTERFACE_LOCAL_ALL_NODES, true),
                (IP::NIL, false),
            ],
        ),
        (
            "is_link_local_multicast",
            IP::is_link_local_multicast,
            &[
                (v4(224, 0, 0, 0), true),
                (v4(239, 0, 0, 0), false),
                (v4(0xff, 0x02, 0, 0), false),
                (IP::IPV6_LINK_LOCAL_ALL_ROUTERS, true),
                (ff05, false),
                (IP::NIL, false),
            ],
        ),
        (
            "is_link_local_unicast",
            IP::is_link_local_unicast,
            &[
                (v4(169, 254, 0, 0), true),
                (v4(169, 255, 0, 0), false),
                (v4(0xfe, 0x80, 0, 0), false),
                (fe80, true),
                (fec0, false),
                (IP::NIL, false),
            ],
        ),
        (
            "is_global_unicast",
            IP::is_global_unicast,
            &[
                (v4(240, 0, 0, 0), true),
                (v4(232, 0, 0, 0), false),
                (v4(169, 254, 0, 0), false),
                (IP::IPV4_BCAST, false),
                (pip("2001:db8::123:12:1"), true),
                (fe80, false),
                (ff05, false),
                (IP::NIL, false),
            ],
        ),
        (
            "is_private",
            IP::is_private,
            &[
                (IP::NIL, false),
                (v4(1, 1, 1, 1), false),
                (v4(9, 255, 255, 255), false),
                (v4(10, 0, 0, 0), true),
                (v4(10, 255, 255, 255), true),
                (v4(11, 0, 0, 0), false),
                (v4(172, 15, 255, 255), false),
                (v4(172, 16, 0, 0), true),
                (v4(172, 16, 255, 255), true),
                (v4(172, 23, 18, 255), true),
                (v4(172, 31, 255, 255), true),
                (v4(172, 31, 0, 0), true),
                (v4(172, 32, 0, 0), false),
                (v4(192, 167, 255, 255), false),
                (v4(192, 168, 0, 0), true),
                (v4(192, 168, 255, 255), true),
                (v4(192, 169, 0, 0), false),
                (pip("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), false),
                (pip("fc00::"), true),
                (pip("fcff:1200:0:44::"), true),
                (pip("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), true),
                (pip("fe00::"), false),
            ],
        ),
    ];
    for &(name, scope, cases) in tests {
        for &(input, want) in cases {
            assert_eq!(scope(&input), want, "{name}({input})");
            if let Some(four) = input.to4() {
                assert_eq!(scope(&four), want, "{name}({input}) in 4 bytes");
            }
        }
    }
}

/// `Equal` (Go exercises it through `TestParseCIDR`, `TestIPMask` and
/// `BenchmarkIPEqual`; this table states its rules directly), and the
/// `==` and `Hash` that follow it.
#[test]
fn test_ip_equal() {
    let v4 = ip(&[192, 168, 0, 1]);
    let v4mapped = ip(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 0, 1]);
    let v4compat = ip(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 168, 0, 1]);
    let v6 = pip("2001:db8::1");
    let odd = ip(&[192, 168, 0]);
    let tests: Vec<(IP, IP, bool)> = vec![
        (v4, v4, true),
        (v4, v4mapped, true),
        (v4mapped, v4, true),
        (v4, v4compat, false),
        (v4compat, v4, false),
        (v4, IP::v4(192, 168, 0, 2), false),
        (v6, v6, true),
        (v6, pip("2001:db8::2"), false),
        (v6, v4, false),
        (IP::NIL, IP::NIL, true),
        (IP::NIL, IP::IPV4_ZERO, false),
        (IP::IPV4_ZERO, IP::NIL, false),
        (IP::IPV6_UNSPECIFIED, IP::NIL, false),
        (IP::IPV4_ZERO, IP::IPV6_ZERO, false),
        (IP::IPV6_ZERO, IP::IPV6_UNSPECIFIED, true),
        (odd, odd, true),
        (odd, v4, false),
        (
            ip(&[1, 2, 3, 4, 5, 6, 7, 8]),
            ip(&[1, 2, 3, 4, 5, 6, 7, 8]),
            true,
        ),
    ];
    for (a, b, want) in tests {
        assert_eq!(a.equal(&b), want, "{a}.equal({b})");
        assert_eq!(a == b, want, "{a} == {b}");
    }

    // Hash agrees with ==.
    let set: HashSet<IP> = [v4, v4mapped, IP::v4(192, 168, 0, 1)].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert!(set.contains(&IP::from(Ipv4Addr::new(192, 168, 0, 1))));
    assert!(!set.contains(&v4compat));
}

#[test]
fn test_ip_constructors() {
    assert_eq!(IP::v4(1, 2, 3, 4).len(), 16);
    assert_eq!(IP::v4(1, 2, 3, 4).to4().unwrap().as_bytes(), &[1, 2, 3, 4]);
    assert_eq!(
        ip(&[1, 2, 3, 4]).to16().unwrap().as_bytes(),
        IP::v4(1, 2, 3, 4).as_bytes()
    );
    assert_eq!(IP::from_slice(&[1, 2, 3]), None);
    assert_eq!(IP::from_slice(&[]), None);
    assert_eq!(IP::from_slice(&[0; 17]), None);
    assert_eq!(IP::from_bytes(&[0; 17]), None);
    assert!(IP::from_bytes(&[]).unwrap().is_nil());
    assert!(IP::default().is_nil() && IP::NIL.is_empty());
    assert_eq!(IP::NIL.as_bytes(), &[] as &[u8]);
    assert_eq!(IP::NIL.to4(), None);
    assert_eq!(IP::NIL.to16(), None);
    assert_eq!(ip(&[1, 2, 3]).to16(), None);
    assert_eq!(IP::IPV6_LOOPBACK.to4(), None);

    assert_eq!(
        IP::v4(10, 0, 0, 1).default_mask(),
        Some(ipv4_mask(255, 0, 0, 0))
    );
    assert_eq!(
        IP::v4(172, 16, 0, 1).default_mask(),
        Some(ipv4_mask(255, 255, 0, 0))
    );
    assert_eq!(
        IP::v4(192, 0, 2, 1).default_mask(),
        Some(ipv4_mask(255, 255, 255, 0))
    );
    assert_eq!(IP::IPV6_LOOPBACK.default_mask(), None);

    for (name, c, s) in [
        ("IPv4bcast", IP::IPV4_BCAST, "255.255.255.255"),
        ("IPv4allsys", IP::IPV4_ALLSYS, "224.0.0.1"),
        ("IPv4allrouter", IP::IPV4_ALLROUTER, "224.0.0.2"),
        ("IPv4zero", IP::IPV4_ZERO, "0.0.0.0"),
        ("IPv6zero", IP::IPV6_ZERO, "::"),
        ("IPv6unspecified", IP::IPV6_UNSPECIFIED, "::"),
        ("IPv6loopback", IP::IPV6_LOOPBACK, "::1"),
        (
            "IPv6interfacelocalallnodes",
            IP::IPV6_INTERFACE_LOCAL_ALL_NODES,
            "ff01::1",
        ),
        (
            "IPv6linklocalallnodes",
            IP::IPV6_LINK_LOCAL_ALL_NODES,
            "ff02::1",
        ),
        (
            "IPv6linklocalallrouters",
            IP::IPV6_LINK_LOCAL_ALL_ROUTERS,
            "ff02::2",
        ),
    ] {
        assert_eq!(c.to_string(), s, "{name}");
        assert_eq!(c.len(), 16, "{name} is in 16 bytes");
    }
}

#[test]
fn test_ip_std_conversions() {
    let v4 = Ipv4Addr::new(192, 0, 2, 1);
    let v6: Ipv6Addr = "2001:db8::1".parse().unwrap();
    assert_eq!(IP::from(v4).as_bytes(), IP::v4(192, 0, 2, 1).as_bytes());
    assert_eq!(IP::from(IpAddr::V4(v4)).len(), 16);
    assert_eq!(IP::from(v6), pip("2001:db8::1"));
    assert_eq!(IP::from(IpAddr::V6(v6)), pip("2001:db8::1"));

    assert_eq!(IP::from(v4).to_std(), Some(IpAddr::V4(v4)));
    assert_eq!(ip(&[192, 0, 2, 1]).to_std(), Some(IpAddr::V4(v4)));
    assert_eq!(IP::from(v6).to_std(), Some(IpAddr::V6(v6)));
    assert_eq!(IP::NIL.to_std(), None);
    assert_eq!(ip(&[1, 2, 3]).to_std(), None);

    // Every std IPv6 address survives the round trip, and prints as Go
    // does; std prints IPv4-mapped addresses in IPv6 form, Go dotted.
    for s in ["::", "::1", "fe80::1", "2001:db8:0:1:0:1:0:1", "1:0:0:2::3"] {
        let a: Ipv6Addr = s.parse().unwrap();
        assert_eq!(IP::from(a).to_std(), Some(IpAddr::V6(a)));
        assert_eq!(IP::from(a).to_string(), a.to_string());
    }
    let mapped: Ipv6Addr = "::ffff:1.2.3.4".parse().unwrap();
    assert_eq!(IP::from(mapped).to_string(), "1.2.3.4");
    assert_eq!(
        IP::from(mapped).to_std(),
        Some(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)))
    );
}

/// Every 16-byte address made of zero and non-zero groups (all 256 shapes)
/// prints in RFC 5952 form and parses back to itself.
#[test]
fn test_ip_string_round_trip() {
    for shape in 0u32..256 {
        let mut b = [0u8; 16];
        for g in 0..8 {
            if shape & (1 << g) != 0 {
                b[2 * g] = 0x0a;
                b[2 * g + 1] = u8::try_from(g).unwrap();
            }
        }
        let a = IP::from(b);
        let s = a.to_string();
        assert_eq!(s, Ipv6Addr::from(b).to_string(), "shape {shape:08b}");
        assert_eq!(
            parse_ip(&s).map(|p| p.as_bytes().to_vec()),
            Some(b.to_vec()),
            "{s}"
        );
    }
}

/// The parsers take any text without panicking: every string of up to
/// three characters from an alphabet of the characters they care about.
#[test]
fn test_parse_no_panic() {
    let alphabet = [
        "", "0", "1", "f", ":", "::", ".", "%", "/", "[", "]", "9", "é",
    ];
    for a in alphabet {
        for b in alphabet {
            for c in alphabet {
                for d in ["", "1.2.3.4", ":1", "/24", "255"] {
                    let s = format!("{a}{b}{c}{d}");
                    if let Some(ip) = parse_ip(&s) {
                        assert_eq!(parse_ip(&ip.to_string()), Some(ip), "{s:?}");
                    }
                    let _ = parse_cidr(&s);
                    let _ = gort_net::split_host_port(&s);
                }
            }
        }
    }
}
