//! Mirrors Go src/net/port.go (go1.27): reading a service as a port number.
//!
//! The port half of `"host:port"` may be a number (`"80"`) or a service
//! name (`"http"`). [`parse_port`] settles the numeric case and tells the
//! caller when it must look the name up instead (in `/etc/services`, which
//! is the resolver's job). It never fails: an out-of-range number comes back
//! as an out-of-range `i32`, so the caller, which knows the network, reports
//! "invalid port". Huge numbers are clamped rather than rejected early,
//! because some system resolvers accept numbers above 65535 and Go keeps the
//! decision in one place, the range check after this call.

/// Where the magnitude stops being tracked: any number at or beyond 2^30
/// is reported as 2^30 - 1 (or -2^30 when negative), which every caller's
/// range check rejects.
const CUTOFF: u32 = 1 << 30;

/// Parses `service` as a signed decimal port (Go's `parsePort`).
///
/// Returns `(port, needs_lookup)`:
/// - `""` is port 0 (Go has always read an empty port as "any port");
/// - one leading `+` or `-` is allowed, and `"-0"` is 0;
/// - a value whose magnitude reaches 2^30 is clamped to `2^30 - 1`, or to
///   `-2^30` when negative, so it stays out of range (but see the quirk
///   below);
/// - a non-digit before the clamp is reached means `service` is a name,
///   `(0, true)`, and the caller must look it up. Once the clamp is reached
///   the rest of the text is not examined, exactly as in Go.
///
/// # A Go quirk kept on purpose
///
/// The clamp is checked before each digit is added, and the multiplication
/// by ten wraps in 32 bits, so a 10-digit number from 4294967300 to
/// 10737418239 wraps instead of clamping: Go reads `"4294967376"` as port
/// 80 (`net.ResolveTCPAddr("tcp", "127.0.0.1:4294967376")` gives
/// `127.0.0.1:80` in go1.27). This port keeps the wrap so the two agree on
/// every input; `test_parse_port_edges` pins it.
#[doc(alias = "parsePort")]
pub(crate) fn parse_port(service: &str) -> (i32, bool) {
    let mut digits = service.as_bytes();
    if digits.is_empty() {
        return (0, false);
    }
    let negative = match digits[0] {
        b'+' => {
            digits = &digits[1..];
            false
        }
        b'-' => {
            digits = &digits[1..];
            true
        }
        _ => false,
    };

    // The magnitude, saturating at u32::MAX once it reaches CUTOFF.
    let mut n: u32 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return (0, true);
        }
        if n >= CUTOFF {
            n = u32::MAX;
            break;
        }
        // Go multiplies in wrapping uint32 arithmetic and only catches a
        // carry out of the addition; see the note on this function.
        n = n.wrapping_mul(10);
        let next = n.wrapping_add(u32::from(c - b'0'));
        if next < n {
            n = u32::MAX;
            break;
        }
        n = next;
    }

    // Both results fit an i32: CUTOFF - 1 and -CUTOFF.
    let magnitude = if !negative && n >= CUTOFF {
        CUTOFF - 1
    } else if negative && n > CUTOFF {
        CUTOFF
    } else {
        n
    };
    let port = i64::from(magnitude);
    let port = if negative { -port } else { port };
    (i32::try_from(port).unwrap_or(i32::MIN), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `parsePortTests` (port_test.go), as data.
    const PARSE_PORT_TESTS: &[(&str, i32, bool)] = &[
        ("", 0, false),
        // Decimal number literals.
        ("-1073741825", -(1 << 30), false),
        ("-1073741824", -(1 << 30), false),
        ("-1073741823", -((1 << 30) - 1), false),
        ("-123456789", -123_456_789, false),
        ("-1", -1, false),
        ("-0", 0, false),
        ("0", 0, false),
        ("+0", 0, false),
        ("+1", 1, false),
        ("65535", 65535, false),
        ("65536", 65536, false),
        ("123456789", 123_456_789, false),
        ("1073741822", (1 << 30) - 2, false),
        ("1073741823", (1 << 30) - 1, false),
        ("1073741824", (1 << 30) - 1, false),
        ("1073741825", (1 << 30) - 1, false),
        // Others.
        ("abc", 0, true),
        ("9pfs", 0, true),
        ("123badport", 0, true),
        ("bad123port", 0, true),
        ("badport123", 0, true),
        ("123456789badport", 0, true),
        ("-2147483649badport", 0, true),
        ("2147483649badport", 0, true),
    ];

    #[test]
    fn test_parse_port() {
        for &(service, port, needs_lookup) in PARSE_PORT_TESTS {
            assert_eq!(
                parse_port(service),
                (port, needs_lookup),
                "parse_port({service:?})"
            );
        }
    }

    /// Edge cases beyond Go's table, checked against Go's code by hand.
    #[test]
    fn test_parse_port_edges() {
        let cases: &[(&str, i32, bool)] = &[
            // A bare sign has no digits: port 0.
            ("+", 0, false),
            ("-", 0, false),
            // Only one sign is allowed; the second is a non-digit.
            ("--1", 0, true),
            ("+-1", 0, true),
            // Past the clamp the tail is not examined.
            ("12345678901x", (1 << 30) - 1, false),
            ("-12345678901x", -(1 << 30), false),
            ("99999999999999999999999999", (1 << 30) - 1, false),
            ("-99999999999999999999999999", -(1 << 30), false),
            // Go's 32-bit wrap (see parse_port's doc): not clamped.
            ("4294967300", 4, false),
            ("4294967376", 80, false),
            ("-4294967380", -84, false),
            ("5000000000", 705_032_704, false),
            ("4294967296", (1 << 30) - 1, false),
            // Non-ASCII is a name.
            ("８０", 0, true),
            (" 80", 0, true),
        ];
        for &(service, port, needs_lookup) in cases {
            assert_eq!(
                parse_port(service),
                (port, needs_lookup),
                "parse_port({service:?})"
            );
        }
    }
}
