//! Mirrors Go src/net/textproto/reader.go (go1.27): the MIME header rules net/http reads requests by (canonical keys, valid field bytes, trimming).
//!
//! Go's HTTP server reads a request head with `textproto.Reader`. gort reads
//! the head with `httparse` instead (see `request.rs`), but the rules Go
//! applies on top are textproto's, and they live here: which bytes may form a
//! field name, how a key is canonicalized (`content-length` becomes
//! `Content-Length`), and how a value is trimmed.

use std::borrow::Cow;

/// Whether `c` may appear in a header field name: RFC 9110's `tchar`
/// (letters, digits and ``!#$%&'*+-.^_`|~``).
pub(crate) fn valid_header_field_byte(c: u8) -> bool {
    // One bit per ASCII byte; bytes >= 128 fall outside both words.
    const MASK: u128 = {
        let mut m = 0u128;
        let mut c = 0u8;
        while c < 128 {
            let ok = c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                );
            if ok {
                m |= 1 << c;
            }
            c += 1;
        }
        m
    };
    c < 128 && MASK & (1u128 << c) != 0
}

/// Whether `s` is a valid header field name (a non-empty token).
pub(crate) fn valid_header_field_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(valid_header_field_byte)
}

/// Whether `s` is a valid header field value: no control bytes but tab
/// (Go's `httpguts.ValidHeaderFieldValue`; obs-text above 0x7f is allowed).
pub(crate) fn valid_header_field_value(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// The canonical form of a header key: the first letter and each letter after
/// a hyphen upper case, the rest lower case (`accept-encoding` becomes
/// `Accept-Encoding`). A key holding a byte that may not appear in a field
/// name (a space, say) is returned unchanged, as Go's
/// `CanonicalMIMEHeaderKey` does.
#[doc(alias = "CanonicalMIMEHeaderKey")]
pub fn canonical_mime_header_key(s: &str) -> Cow<'_, str> {
    // The common case is a key that is already canonical: no allocation.
    let mut upper = true;
    let mut canonical = true;
    for c in s.bytes() {
        if !valid_header_field_byte(c) {
            return Cow::Borrowed(s);
        }
        if (upper && c.is_ascii_lowercase()) || (!upper && c.is_ascii_uppercase()) {
            canonical = false;
        }
        upper = c == b'-';
    }
    if canonical {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut upper = true;
    for c in s.bytes() {
        let c = if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        };
        out.push(c as char);
        upper = c == b'-';
    }
    Cow::Owned(out)
}

/// `s` without leading and trailing ASCII white space (space, tab, CR, LF:
/// Go's `textproto.TrimString`, which is what header values get).
pub(crate) fn trim_string(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

#[cfg(test)]
mod tests {
    use super::*;

    // Go's canonicalHeaderKeyTests (net/textproto/header_test.go), by row.
    #[test]
    fn canonical_header_key_tests() {
        let rows = [
            ("a-b-c", "A-B-C"),
            ("a-1-c", "A-1-C"),
            ("User-Agent", "User-Agent"),
            ("uSER-aGENT", "User-Agent"),
            ("user-agent", "User-Agent"),
            ("USER-AGENT", "User-Agent"),
            // Other valid tchar bytes must not cause canonicalization to fail.
            ("foo-bar_baz", "Foo-Bar_baz"),
            ("foo-bar$baz", "Foo-Bar$baz"),
            ("foo-bar~baz", "Foo-Bar~baz"),
            ("foo-bar*baz", "Foo-Bar*baz"),
            // Non-ASCII or anything with spaces or non-token chars is unchanged.
            ("üser-agenT", "üser-agenT"),
            ("a B", "a B"),
            // This caused a panic due to mishandling of a space.
            ("C Ontent-Transfer-Encoding", "C Ontent-Transfer-Encoding"),
            ("foo bar", "foo bar"),
        ];
        for (input, want) in rows {
            assert_eq!(canonical_mime_header_key(input), want, "input {input:?}");
        }
    }

    #[test]
    fn field_bytes_are_rfc9110_tokens() {
        assert!(valid_header_field_name("X-Forwarded-For"));
        assert!(!valid_header_field_name(""));
        assert!(!valid_header_field_name("a:b"));
        assert!(!valid_header_field_name("a b"));
        assert!(!valid_header_field_name("é"));
        assert!(valid_header_field_value("text/html; q=0.9\tx"));
        assert!(!valid_header_field_value("a\r\nb"));
        assert!(!valid_header_field_value("a\0"));
    }
}
