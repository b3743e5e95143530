//! Mirrors Go src/net/dnsclient.go (go1.27): what every DNS client shares: names, reverse names, random numbers and the record orders.
//!
//! [`is_domain_name`] decides which text may be sent as a query or
//! returned from an answer; [`reverseaddr`] turns an address into the
//! `in-addr.arpa.` or `ip6.arpa.` name a PTR query asks for. The record
//! types the lookups return live here too, with their orders: [`SRV`]
//! records sorted by priority and shuffled by weight within one priority
//! (RFC 2782, Go's `byPriorityWeight`), [`MX`] records shuffled and then
//! sorted by preference (Go's `byPref`), so equal preferences share the
//! load.
//!
//! Random numbers (query IDs, the shuffles) come from the kernel's
//! `getrandom(2)`, as Go's come from its runtime's per-thread generator:
//! a query ID must not be guessable, or an off-path attacker could forge
//! answers.

use crate::net::DNSError;
use crate::parse::split_host_zone;
use crate::{IP, parse_ip};

/// A random `u64` from the kernel (Go's `runtime_rand`).
pub(crate) fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    let mut got = 0;
    while got < b.len() {
        match rustix::rand::getrandom(&mut b[got..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => {
                // getrandom(2) cannot fail on Linux 3.17+ with a valid
                // buffer; should it, fall back to the clock rather than a
                // constant.
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                return t.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32);
            }
        }
    }
    u64::from_ne_bytes(b)
}

/// A random number in `0..n` (Go's `randIntn`); `n` must be positive.
pub(crate) fn rand_intn(n: usize) -> usize {
    (rand_u64() % n as u64) as usize
}

/// The name a PTR query for `addr` asks for (Go's `reverseaddr`):
/// `4.3.2.1.in-addr.arpa.` for `1.2.3.4`, the 32 nibbles of an IPv6
/// address in reverse followed by `ip6.arpa.`. Text that is not an IP
/// address is `unrecognized address`.
pub(crate) fn reverseaddr(addr: &str) -> Result<String, DNSError> {
    let Some(ip) = parse_ip(addr).and_then(|ip| ip.to16()) else {
        return Err(DNSError {
            err: "unrecognized address".into(),
            name: addr.to_string(),
            ..DNSError::default()
        });
    };
    let b = ip.as_bytes();
    if ip.to4().is_some() {
        return Ok(format!(
            "{}.{}.{}.{}.in-addr.arpa.",
            b[15], b[14], b[13], b[12]
        ));
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 4 + "ip6.arpa.".len());
    for &v in b.iter().rev() {
        s.push(HEX[usize::from(v & 0xF)] as char);
        s.push('.');
        s.push(HEX[usize::from(v >> 4)] as char);
        s.push('.');
    }
    s.push_str("ip6.arpa.");
    Ok(s)
}

/// Whether `s` is a valid domain name in presentation form (Go's
/// `isDomainName`, RFC 1035 and 3696): labels of 1 to 63 letters, digits,
/// `_` and `-` (not first or last), at most 253 bytes (254 with the
/// trailing dot), not all digits; `"."` is valid.
#[doc(alias = "isDomainName")]
pub(crate) fn is_domain_name(s: &str) -> bool {
    if s == "." {
        return true;
    }
    let b = s.as_bytes();
    let l = b.len();
    if l == 0 || l > 254 || (l == 254 && b[l - 1] != b'.') {
        return false;
    }
    let mut last = b'.';
    let mut non_numeric = false;
    let mut partlen = 0;
    for &c in b {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                non_numeric = true;
                partlen += 1;
            }
            b'0'..=b'9' => partlen += 1,
            b'-' => {
                if last == b'.' {
                    return false;
                }
                partlen += 1;
                non_numeric = true;
            }
            b'.' => {
                if last == b'.' || last == b'-' || partlen > 63 || partlen == 0 {
                    return false;
                }
                partlen = 0;
            }
            _ => return false,
        }
        last = c;
    }
    last != b'-' && partlen <= 63 && non_numeric
}

/// Whether an MX host is usable (the check in Go's `Resolver.LookupMX`):
/// a domain name, or an IP address without a zone, with or without a
/// trailing dot.
pub(crate) fn is_mx_host(host: &str) -> bool {
    if is_domain_name(host) {
        return true;
    }
    let h = host.strip_suffix('.').unwrap_or(host);
    let (ip, zone) = split_host_zone(h);
    zone.is_empty() && !h.contains('%') && parse_ip(&ip).is_some_and(|ip: IP| !ip.is_nil())
}

/// A DNS SRV record (Go's `net.SRV`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SRV {
    /// The host offering the service, absolute (`"srv1.example.com."`).
    pub target: String,
    /// The port of the service.
    pub port: u16,
    /// Lower is tried first.
    pub priority: u16,
    /// The share of the load among records of one priority.
    pub weight: u16,
}

/// A DNS MX record (Go's `net.MX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MX {
    /// The mail exchanger, absolute (`"mx1.example.com."`).
    pub host: String,
    /// The preference: lower is tried first.
    pub pref: u16,
}

/// A DNS NS record (Go's `net.NS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NS {
    /// The name server, absolute (`"ns1.example.com."`).
    pub host: String,
}

/// Moves records to the front one at a time, each picked with a chance
/// proportional to its weight (Go's `byPriorityWeight.shuffleByWeight`,
/// RFC 2782).
fn shuffle_by_weight(addrs: &mut [SRV]) {
    let mut sum: usize = addrs.iter().map(|a| usize::from(a.weight)).sum();
    let mut rest = addrs;
    while sum > 0 && rest.len() > 1 {
        let n = rand_intn(sum);
        let mut s = 0;
        for i in 0..rest.len() {
            s += usize::from(rest[i].weight);
            if s > n {
                rest.swap(0, i);
                break;
            }
        }
        sum -= usize::from(rest[0].weight);
        rest = &mut rest[1..];
    }
}

/// Sorts SRV records by priority, then shuffles each priority's records
/// by weight (Go's `byPriorityWeight.sort`).
#[doc(alias = "byPriorityWeight")]
pub(crate) fn sort_srv(addrs: &mut [SRV]) {
    addrs.sort_by_key(|a| (a.priority, a.weight));
    let mut i = 0;
    for j in 1..addrs.len() {
        if addrs[i].priority != addrs[j].priority {
            shuffle_by_weight(&mut addrs[i..j]);
            i = j;
        }
    }
    shuffle_by_weight(&mut addrs[i..]);
}

/// Shuffles MX records, then sorts them by preference, stably (Go's
/// `byPref.sort`): equal preferences come in random order.
#[doc(alias = "byPref")]
pub(crate) fn sort_mx(mxs: &mut [MX]) {
    for i in 0..mxs.len() {
        let j = rand_intn(i + 1);
        mxs.swap(i, j);
    }
    mxs.sort_by_key(|m| m.pref);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `TestDNSSRVUniformity`-like check, and the order by priority
    /// (dnsclient_test.go's `testUniformity` and `TestWeighting`).
    #[test]
    fn test_sort_srv() {
        let srv = |p, w, t: &str| SRV {
            target: t.into(),
            port: 1,
            priority: p,
            weight: w,
        };
        let mut counts = [0usize; 2];
        for _ in 0..2000 {
            let mut v = vec![srv(2, 0, "c"), srv(1, 1, "a"), srv(1, 3, "b")];
            sort_srv(&mut v);
            assert_eq!(v[2].target, "c");
            counts[usize::from(v[0].target == "b")] += 1;
        }
        // "b" has 3/4 of the weight: first about 1500 times in 2000.
        assert!((1300..1700).contains(&counts[1]), "{counts:?}");
        let mut none: Vec<SRV> = Vec::new();
        sort_srv(&mut none);
        let mut zero = vec![srv(0, 0, "x"), srv(0, 0, "y")];
        sort_srv(&mut zero);
        assert_eq!(zero.len(), 2);
    }

    #[test]
    fn test_sort_mx() {
        let mx = |p, h: &str| MX {
            host: h.into(),
            pref: p,
        };
        let mut firsts = [0usize; 2];
        for _ in 0..400 {
            let mut v = vec![mx(20, "z"), mx(10, "a"), mx(10, "b"), mx(5, "f")];
            sort_mx(&mut v);
            let prefs: Vec<u16> = v.iter().map(|m| m.pref).collect();
            assert_eq!(prefs, [5, 10, 10, 20]);
            firsts[usize::from(v[1].host == "b")] += 1;
        }
        assert!(firsts[0] > 100 && firsts[1] > 100, "{firsts:?}");
    }

    /// Go's `revAddrTests` (lookup_test.go, `TestReverseAddress`).
    #[test]
    fn test_reverse_address() {
        let cases: &[(&str, &str, &str)] = &[
            ("1.2.3.4", "4.3.2.1.in-addr.arpa.", ""),
            (
                "::1",
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
                "",
            ),
            (
                "1::",
                "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.ip6.arpa.",
                "",
            ),
            (
                "1234:567::89a:bcde",
                "e.d.c.b.a.9.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.6.5.0.4.3.2.1.ip6.arpa.",
                "",
            ),
            (
                "1234::567:89ab:cdef",
                "f.e.d.c.b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.4.3.2.1.ip6.arpa.",
                "",
            ),
            ("1.2.3", "", "lookup 1.2.3: unrecognized address"),
            ("1.2.3.4.5", "", "lookup 1.2.3.4.5: unrecognized address"),
            (
                "1234:567:bcbca::89a:bcde",
                "",
                "lookup 1234:567:bcbca::89a:bcde: unrecognized address",
            ),
            (
                "1234:567::bcbca:89a:bcde",
                "",
                "lookup 1234:567::bcbca:89a:bcde: unrecognized address",
            ),
        ];
        for &(addr, want, err) in cases {
            match reverseaddr(addr) {
                Ok(got) => assert_eq!((got.as_str(), ""), (want, err), "{addr}"),
                Err(e) => assert_eq!(("", e.to_string().as_str()), (want, err), "{addr}"),
            }
        }
    }

    /// Go's `dnsNameTests` (dnsname_test.go), plus edges.
    #[test]
    fn test_is_domain_name() {
        let long63 = "a".repeat(63);
        let long64 = "a".repeat(64);
        let cases: Vec<(String, bool)> = vec![
            ("_xmpp-server._tcp.google.com".into(), true),
            ("foo.com".into(), true),
            ("1foo.com".into(), true),
            ("26.0.0.73.com".into(), true),
            ("10-0-0-1".into(), true),
            ("fo-o.com".into(), true),
            ("fo1o.com".into(), true),
            ("foo1.com".into(), true),
            ("a.b..com".into(), false),
            ("a.b-.com".into(), false),
            ("a.b.com-".into(), false),
            ("a.b..".into(), false),
            ("b.com.".into(), true),
            (".".into(), true),
            ("".into(), false),
            ("123".into(), false),
            ("-a".into(), false),
            ("a b".into(), false),
            (format!("{long63}.com"), true),
            (format!("{long64}.com"), false),
        ];
        for (name, want) in cases {
            assert_eq!(is_domain_name(&name), want, "is_domain_name({name:?})");
        }
    }

    #[test]
    fn test_is_mx_host() {
        assert!(is_mx_host("mx.example.com."));
        assert!(is_mx_host("192.0.2.1."));
        assert!(is_mx_host("2001:db8::1"));
        assert!(!is_mx_host("fe80::1%eth0"));
        assert!(!is_mx_host("bad name."));
    }
}
