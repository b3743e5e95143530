//! Mirrors Go src/net/parse.go (go1.27): the small text helpers (`dtoi`, `getFields`).
//!
//! Go's `parse.go` is the package's toolbox of hand-rolled text helpers: a
//! line reader for files like `/etc/hosts`, field splitters, and tiny
//! decimal and hexadecimal readers that stop at the first non-digit and
//! report how far they got, so a caller can check that a whole field was
//! consumed. Only the pieces that have a caller live here: [`dtoi`] (the
//! prefix length of [`parse_cidr`](crate::parse_cidr), the protocol of
//! `"ip4:1"`, the numbers of `/etc/services` and `/etc/protocols`),
//! [`get_fields`] (the fields of a line of those files and of
//! `/etc/hosts`), [`split_at_bytes`] (the fields of `/proc/net/igmp`), and
//! [`xtoi`] and [`xtoi2`] (the hex pairs of a MAC address and of the group
//! addresses in `/proc/net/igmp*`). The files themselves are read whole,
//! with `std::fs::read`, so Go's line reader has no counterpart.
//!
//! [`split_host_zone`] is here too, although Go keeps it in ipsock.go: the
//! resolver (lookup.rs) needs it for the addresses of `/etc/hosts`, and
//! ipsock.rs sits above the resolver, so taking it from there would make
//! the two files import each other.

/// The ceiling of [`dtoi`]: a value at or above it is treated as an
/// overflow. Go picks a limit far above anything a prefix length, port or
/// resolver option needs, and far below where an `int` could wrap.
pub(crate) const BIG: i32 = 0xFF_FFFF;

/// Reads the decimal digits at the start of `s` (Go's `dtoi`).
///
/// Returns the value and the number of bytes consumed, or `None` when `s`
/// does not start with a digit or the value reaches [`BIG`]. A sign is not a
/// digit: `"-1"` and `"+1"` are both `None`.
pub(crate) fn dtoi(s: &str) -> Option<(i32, usize)> {
    let mut n: i32 = 0;
    let mut used = 0;
    for &c in s.as_bytes() {
        if !c.is_ascii_digit() {
            break;
        }
        n = n * 10 + i32::from(c - b'0');
        if n >= BIG {
            return None;
        }
        used += 1;
    }
    if used == 0 {
        return None;
    }
    Some((n, used))
}

/// Splits `s` at ASCII spaces, tabs, carriage returns and newlines,
/// dropping empty fields (Go's `getFields`).
#[doc(alias = "getFields")]
pub(crate) fn get_fields(s: &str) -> Vec<&str> {
    s.split([' ', '\r', '\t', '\n'])
        .filter(|f| !f.is_empty())
        .collect()
}

/// Splits `s` at every byte that is in `seps`, dropping empty fields (Go's
/// `splitAtBytes`).
#[doc(alias = "splitAtBytes")]
pub(crate) fn split_at_bytes<'a>(s: &'a str, seps: &str) -> Vec<&'a str> {
    s.split(|c| seps.contains(c))
        .filter(|f| !f.is_empty())
        .collect()
}

/// Reads the hexadecimal digits (either case) at the start of `s` (Go's
/// `xtoi`): the value and the number of bytes consumed, or `None` when `s`
/// does not start with a hex digit or the value reaches [`BIG`].
pub(crate) fn xtoi(s: &[u8]) -> Option<(i32, usize)> {
    let mut n: i32 = 0;
    let mut used = 0;
    for &c in s {
        let Some(d) = char::from(c).to_digit(16) else {
            break;
        };
        n = n * 16 + d as i32;
        if n >= BIG {
            return None;
        }
        used += 1;
    }
    if used == 0 {
        return None;
    }
    Some((n, used))
}

/// Reads exactly two hex digits at the start of `s` as a byte (Go's
/// `xtoi2`); when `s` goes on, its third byte must be `sep` (a separator
/// such as `:`, or 0 when nothing may follow). `None` for anything else,
/// and for an `s` shorter than two bytes, where Go would index out of
/// range (its callers never let that happen).
pub(crate) fn xtoi2(s: &[u8], sep: u8) -> Option<u8> {
    if s.len() < 2 || (s.len() > 2 && s[2] != sep) {
        return None;
    }
    match xtoi(&s[..2]) {
        Some((n, 2)) => Some(n as u8),
        _ => None,
    }
}

/// Splits a host into the address and the IPv6 zone after its last `%`
/// (Go's `splitHostZone`, from ipsock.go): `"fe80::1%eth0"` gives
/// `("fe80::1", "eth0")`. A `%` at the very start is not a zone separator,
/// and without one the zone is empty.
#[doc(alias = "splitHostZone")]
pub(crate) fn split_host_zone(s: &str) -> (String, String) {
    match s.rfind('%') {
        Some(i) if i > 0 => (s[..i].to_string(), s[i + 1..].to_string()),
        _ => (s.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_xtoi_and_xtoi2() {
        assert_eq!(xtoi(b"fF:"), Some((255, 2)));
        assert_eq!(xtoi(b"g"), None);
        assert_eq!(xtoi(b"FFFFFF"), None, "reaches BIG");
        assert_eq!(xtoi2(b"0a", 0), Some(10));
        assert_eq!(xtoi2(b"0a:", b':'), Some(10));
        assert_eq!(xtoi2(b"0a-", b':'), None);
        assert_eq!(xtoi2(b"0x", 0), None);
        assert_eq!(xtoi2(b"a", 0), None);
    }

    #[test]
    fn test_split_at_bytes() {
        assert_eq!(
            split_at_bytes("1\tlo  :  1 V3\n", " :\r\t\n"),
            ["1", "lo", "1", "V3"]
        );
        assert!(split_at_bytes("", " ").is_empty());
    }

    #[test]
    fn test_get_fields() {
        assert_eq!(get_fields(" a\tb  c\r\n"), ["a", "b", "c"]);
        assert!(get_fields(" \t ").is_empty());
    }

    #[test]
    fn test_split_host_zone() {
        let cases: &[(&str, &str, &str)] = &[
            ("", "", ""),
            ("::1", "::1", ""),
            ("fe80::1%eth0", "fe80::1", "eth0"),
            ("fe80::1%", "fe80::1", ""),
            ("%eth0", "%eth0", ""),
            ("a%b%c", "a%b", "c"),
            ("localhost%lo0", "localhost", "lo0"),
        ];
        for &(s, host, zone) in cases {
            assert_eq!(
                split_host_zone(s),
                (host.to_string(), zone.to_string()),
                "split_host_zone({s:?})"
            );
        }
    }

    #[test]
    fn test_dtoi() {
        let cases: &[(&str, Option<(i32, usize)>)] = &[
            ("", None),
            ("0", Some((0, 1))),
            ("24", Some((24, 2))),
            ("128/", Some((128, 3))),
            ("007x", Some((7, 3))),
            ("-1", None),
            ("+1", None),
            ("x1", None),
            ("16777214", Some((16_777_214, 8))),
            ("16777215", None),
            ("99999999999999999999", None),
        ];
        for &(s, want) in cases {
            assert_eq!(dtoi(s), want, "dtoi({s:?})");
        }
    }
}
