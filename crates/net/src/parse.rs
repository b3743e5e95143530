//! Mirrors Go src/net/parse.go (go1.27): the small number parsers (`dtoi`).
//!
//! Go's `parse.go` is the package's toolbox of hand-rolled text helpers: a
//! line reader for files like `/etc/hosts`, field splitters, and tiny
//! decimal and hexadecimal readers that stop at the first non-digit and
//! report how far they got, so a caller can check that a whole field was
//! consumed. Only the pieces that have a caller live here; today that is
//! [`dtoi`], which [`parse_cidr`](crate::parse_cidr) uses for the prefix
//! length. The file readers arrive with the resolver code that needs them.

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

#[cfg(test)]
mod tests {
    use super::*;

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
