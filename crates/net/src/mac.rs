//! Mirrors Go src/net/mac.go (go1.27): hardware (MAC) addresses, printed and parsed.
//!
//! A [`HardwareAddr`] is the link-layer address of a network interface, as
//! [`Interface::hardware_addr`](crate::Interface) reports it: six bytes for
//! Ethernet (IEEE MAC-48 or EUI-48), eight for EUI-64, twenty for an
//! IP-over-InfiniBand link. It prints as Go prints it, lower-case hex pairs
//! joined by colons, and [`parse_mac`] reads the three spellings Go reads:
//! pairs joined by `:` or by `-` (`00:00:5e:00:53:01`), groups of four
//! joined by `.` (`0000.5e00.5301`), or the bare hex (`00005e005301`), in
//! either case, for those three lengths only. Anything else is Go's
//! [`AddrError`] `address <s>: invalid MAC address`.

use std::fmt;
use std::str::FromStr;

use crate::AddrError;
use crate::parse::xtoi2;

/// A physical hardware address (Go's `net.HardwareAddr`, a byte slice).
///
/// Displays as Go's `String()`: lower-case hex pairs joined by colons; an
/// empty address prints as the empty string.
///
/// ```
/// use gort_net::{HardwareAddr, parse_mac};
///
/// let hw = HardwareAddr::from(vec![0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]);
/// assert_eq!(hw.to_string(), "00:00:5e:00:53:01");
/// assert_eq!(parse_mac("00-00-5E-00-53-01").unwrap(), hw);
/// assert_eq!(HardwareAddr::default().to_string(), "");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HardwareAddr(pub Vec<u8>);

impl HardwareAddr {
    /// The address's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Its length in bytes: 6, 8 or 20 for a parsed address; 0 for an
    /// interface without one (a loopback or a tunnel).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no bytes (Go's `len(a) == 0`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for HardwareAddr {
    fn from(b: Vec<u8>) -> HardwareAddr {
        HardwareAddr(b)
    }
}

impl From<&[u8]> for HardwareAddr {
    fn from(b: &[u8]) -> HardwareAddr {
        HardwareAddr(b.to_vec())
    }
}

impl fmt::Display for HardwareAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(self.0.len() * 3);
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&format!("{b:02x}"));
        }
        f.pad(&s)
    }
}

impl fmt::Debug for HardwareAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HardwareAddr({self})")
    }
}

impl FromStr for HardwareAddr {
    type Err = AddrError;

    /// [`parse_mac`].
    fn from_str(s: &str) -> Result<HardwareAddr, AddrError> {
        parse_mac(s)
    }
}

/// Whether `n` bytes is a hardware address length Go accepts: MAC-48 or
/// EUI-48 (6), EUI-64 (8), IP over InfiniBand (20).
fn valid_len(n: usize) -> bool {
    matches!(n, 6 | 8 | 20)
}

/// Parses a hardware address (Go's `ParseMAC`) in any of these forms, hex
/// digits in either case:
///
/// | form | 6 bytes | 8 bytes | 20 bytes |
/// |---|---|---|---|
/// | colons | `00:00:5e:00:53:01` | `02:00:5e:10:00:00:00:01` | 20 pairs |
/// | hyphens | `00-00-5e-00-53-01` | `02-00-5e-10-00-00-00-01` | 20 pairs |
/// | dots | `0000.5e00.5301` | `0200.5e10.0000.0001` | 10 groups |
/// | bare | `00005e005301` | `02005e1000000001` | 40 digits |
///
/// One separator throughout; any other text is Go's
/// `address <s>: invalid MAC address`.
///
/// ```
/// use gort_net::parse_mac;
///
/// assert_eq!(parse_mac("0000.5e00.5301").unwrap().to_string(), "00:00:5e:00:53:01");
/// let err = parse_mac("01-02:03:04:05:06").unwrap_err();
/// assert_eq!(err.to_string(), "address 01-02:03:04:05:06: invalid MAC address");
/// ```
#[doc(alias = "ParseMAC")]
pub fn parse_mac(s: &str) -> Result<HardwareAddr, AddrError> {
    parse_hw(s.as_bytes())
        .filter(|hw| valid_len(hw.len()))
        .map(HardwareAddr)
        .ok_or_else(|| AddrError::new("invalid MAC address", s))
}

/// The bytes of `s` in whichever form its separators say, or `None`; the
/// caller checks the length.
fn parse_hw(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() < 12 {
        return None;
    }
    if s[2] == b':' || s[2] == b'-' {
        // "xx:xx:...": each pair but the last is followed by the separator.
        let sep = s[2];
        if !(s.len() + 1).is_multiple_of(3) || !valid_len((s.len() + 1) / 3) {
            return None;
        }
        return s.chunks(3).map(|c| xtoi2(c, sep)).collect();
    }
    if s[4] == b'.' {
        // "xxxx.xxxx...": two bytes per group, groups joined by dots.
        if !(s.len() + 1).is_multiple_of(5) || !valid_len(2 * (s.len() + 1) / 5) {
            return None;
        }
        let mut hw = Vec::with_capacity(2 * (s.len() + 1) / 5);
        for group in s.chunks(5) {
            hw.push(xtoi2(group.get(..2)?, 0)?);
            hw.push(xtoi2(&group[2..], b'.')?);
        }
        return Some(hw);
    }
    // Bare hex: two digits a byte.
    if !s.len().is_multiple_of(2) || !valid_len(s.len() / 2) {
        return None;
    }
    s.chunks(2).map(|c| xtoi2(c, 0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `parseMACTests`, every row: the input, the bytes it parses to
    /// (`None`: Go's nil), and the text the error must contain ("" for
    /// none).
    #[allow(clippy::type_complexity)]
    const PARSE_MAC_TESTS: &[(&str, Option<&[u8]>, &str)] = &[
        // RFC 7042, section 2.1.1.
        (
            "00:00:5e:00:53:01",
            Some(&[0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
            "",
        ),
        (
            "00-00-5e-00-53-01",
            Some(&[0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
            "",
        ),
        (
            "0000.5e00.5301",
            Some(&[0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
            "",
        ),
        (
            "00005e005301",
            Some(&[0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
            "",
        ),
        // RFC 7042, section 2.2.2.
        (
            "02:00:5e:10:00:00:00:01",
            Some(&[0x02, 0x00, 0x5e, 0x10, 0x00, 0x00, 0x00, 0x01]),
            "",
        ),
        (
            "02-00-5e-10-00-00-00-01",
            Some(&[0x02, 0x00, 0x5e, 0x10, 0x00, 0x00, 0x00, 0x01]),
            "",
        ),
        (
            "0200.5e10.0000.0001",
            Some(&[0x02, 0x00, 0x5e, 0x10, 0x00, 0x00, 0x00, 0x01]),
            "",
        ),
        (
            "02005e1000000001",
            Some(&[0x02, 0x00, 0x5e, 0x10, 0x00, 0x00, 0x00, 0x01]),
            "",
        ),
        // RFC 4391, section 9.1.1.
        (
            "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01",
            Some(IPOIB),
            "",
        ),
        (
            "00-00-00-00-fe-80-00-00-00-00-00-00-02-00-5e-10-00-00-00-01",
            Some(IPOIB),
            "",
        ),
        (
            "0000.0000.fe80.0000.0000.0000.0200.5e10.0000.0001",
            Some(IPOIB),
            "",
        ),
        ("00000000fe8000000000000002005e1000000001", Some(IPOIB), ""),
        (
            "ab:cd:ef:AB:CD:EF",
            Some(&[0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef]),
            "",
        ),
        (
            "ab:cd:ef:AB:CD:EF:ab:cd",
            Some(&[0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0xab, 0xcd]),
            "",
        ),
        (
            "ab:cd:ef:AB:CD:EF:ab:cd:ef:AB:CD:EF:ab:cd:ef:AB:CD:EF:ab:cd",
            Some(ABCD20),
            "",
        ),
        ("01.02.03.04.05.06", None, "invalid MAC address"),
        ("01:02:03:04:05:06:", None, "invalid MAC address"),
        ("x1:02:03:04:05:06", None, "invalid MAC address"),
        ("01002:03:04:05:06", None, "invalid MAC address"),
        ("01:02003:04:05:06", None, "invalid MAC address"),
        ("01:02:03004:05:06", None, "invalid MAC address"),
        ("01:02:03:04005:06", None, "invalid MAC address"),
        ("01:02:03:04:05006", None, "invalid MAC address"),
        ("01-02:03:04:05:06", None, "invalid MAC address"),
        ("01:02-03-04-05-06", None, "invalid MAC address"),
        ("0123:4567:89AF", None, "invalid MAC address"),
        ("0123-4567-89AF", None, "invalid MAC address"),
        ("0123456789AF0", None, "invalid MAC address"),
    ];

    /// The 20-byte IP-over-InfiniBand address of RFC 4391's example.
    const IPOIB: &[u8] = &[
        0x00, 0x00, 0x00, 0x00, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x5e,
        0x10, 0x00, 0x00, 0x00, 0x01,
    ];

    /// `ab cd ef` five and two thirds times: Go's 20-byte mixed-case row.
    const ABCD20: &[u8] = &[
        0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef,
        0xab, 0xcd, 0xef, 0xab, 0xcd,
    ];

    /// Go's TestParseMAC: every row parses (or fails) as Go's does, and a
    /// parsed address prints in a form that parses back to it.
    #[test]
    fn test_parse_mac() {
        assert_eq!(PARSE_MAC_TESTS.len(), 28, "every row of Go's table");
        for &(input, want, err) in PARSE_MAC_TESTS {
            let got = parse_mac(input);
            match (want, &got) {
                (Some(w), Ok(hw)) => {
                    assert_eq!(hw.as_bytes(), w, "{input}");
                    let again = parse_mac(&hw.to_string()).expect(input);
                    assert_eq!(&again, hw, "{input}: round trip through {hw}");
                }
                (None, Err(e)) => {
                    assert!(e.to_string().contains(err), "{input}: {e}");
                    assert_eq!(
                        e.to_string(),
                        format!("address {input}: invalid MAC address")
                    );
                }
                _ => panic!("parse_mac({input:?}) = {got:?}, want {want:?}, {err:?}"),
            }
        }
    }

    #[test]
    fn hardware_addr_prints_like_go() {
        let hw = HardwareAddr::from(&[0xAB, 0x01, 0xff][..]);
        assert_eq!(hw.to_string(), "ab:01:ff");
        assert_eq!(format!("{hw:?}"), "HardwareAddr(ab:01:ff)");
        assert_eq!("00005e005301".parse::<HardwareAddr>().unwrap().len(), 6);
        // Shorter than 12 bytes, or no room for the separator Go looks at.
        for s in ["", "00:00", "0000000000:", "0000.000.0000"] {
            assert!(parse_mac(s).is_err(), "{s:?}");
        }
    }
}
