//! Mirrors Go src/net/url/url.go (go1.27): URL parsing and escaping by Go's rules, and `Values`, the decoded query string.
//!
//! A [`URL`] is a URI reference split into the parts RFC 3986 names:
//! `[scheme:][//[userinfo@]host][/]path[?query][#fragment]`, or
//! `scheme:opaque[?query][#fragment]` when nothing but the scheme precedes a
//! path that does not start with `/`. [`parse`] reads any reference, relative
//! ones included; [`parse_request_uri`] reads what arrives on an HTTP request
//! line (an absolute URL, an absolute path or `*`). The path and fragment are
//! stored decoded, and `raw_path` / `raw_fragment` remember the original
//! spelling only when it differs from the default encoding, so that
//! `/a%2Fb` survives a round trip; [`URL::escaped_path`] and
//! [`URL::escaped_fragment`] pick the right form, and `Display` (Go's
//! `String`) reassembles the whole. The query stays encoded in `raw_query`;
//! [`URL::query`] and [`parse_query`] decode it into [`Values`], and
//! [`Values::encode`] writes one back, keys sorted. The escaping rules differ
//! per component (path, path segment, host, IPv6 zone, userinfo, query
//! component, fragment) exactly as Go's do, and [`query_escape`],
//! [`path_escape`] and their inverses expose two of them. Relative
//! references resolve against a base with [`URL::resolve_reference`]
//! (RFC 3986 section 5.2, dot segments removed), and [`URL::join_path`]
//! appends cleaned path elements.
//!
//! # Differences from Go
//!
//! - Go's strings are byte strings; here the fields are `String`s. When
//!   %-decoding produces bytes that are not UTF-8 (`/%FF`), the decoded field
//!   holds U+FFFD in their place. The raw form is kept (`raw_path`,
//!   `raw_fragment`), so such a URL still prints as it was written; the
//!   decoded host is written back %-escaped from its UTF-8 (`%EF%BF%BD`).
//!   Error messages quote the original bytes, as Go's do.
//! - The `GODEBUG` settings `urlmaxqueryparams` and `urlstrictcolons` are not
//!   read: the defaults apply (at most 10,000 query parameters; an `http` or
//!   `https` host with more than one colon is an error).
//! - Go's `ParseQuery`, and `JoinPath` when an element has a bad escape,
//!   return a bare cause rather than a `*url.Error`. Here they return an
//!   [`Error`] whose `op` and `url` are empty, and whose `Display` is then
//!   the cause alone, Go's text. [`parse_query_into`] is Go's unexported
//!   `parseQuery`: it keeps the pairs that did decode, as `net/http` needs.
//! - Error messages quote text as Go's `strconv.Quote` does, which escapes
//!   every non-printable code point. This port knows the non-printable
//!   ranges that matter in practice (controls, spaces other than ASCII space,
//!   format characters, private use, the unassigned planes 4-13); any other
//!   unassigned code point is printed as itself where Go would escape it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::str::FromStr;

// ---------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------

/// A URL component, which decides what must be %-escaped in it (Go's
/// `encoding`). Each is one bit of the byte table below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Encoding(u8);

impl Encoding {
    const PATH: Encoding = Encoding(1);
    const PATH_SEGMENT: Encoding = Encoding(1 << 1);
    const HOST: Encoding = Encoding(1 << 2);
    const ZONE: Encoding = Encoding(1 << 3);
    const USER_PASSWORD: Encoding = Encoding(1 << 4);
    const QUERY_COMPONENT: Encoding = Encoding(1 << 5);
    const FRAGMENT: Encoding = Encoding(1 << 6);
    const ALL: [Encoding; 7] = [
        Encoding::PATH,
        Encoding::PATH_SEGMENT,
        Encoding::HOST,
        Encoding::ZONE,
        Encoding::USER_PASSWORD,
        Encoding::QUERY_COMPONENT,
        Encoding::FRAGMENT,
    ];
}

/// Whether `c` is one of RFC 3986's sub-delims (section 2.2):
/// `!$&'()*+,;=`.
const fn is_sub_delim(c: u8) -> bool {
    matches!(
        c,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// The rule itself: whether `c` must be written as `%XX` in `mode`. Only
/// used at compile time, to fill [`ALLOWED`].
const fn must_escape(c: u8, mode: Encoding) -> bool {
    // Letters and digits are unreserved everywhere (RFC 3986 section 2.3).
    if c.is_ascii_alphanumeric() {
        return false;
    }
    let host_like = mode.0 == Encoding::HOST.0 || mode.0 == Encoding::ZONE.0;
    // A host may hold the sub-delims (section 3.2.2), plus ':' for the port
    // and brackets for IPv6. '<', '>' and '"' are let through too: they are
    // the only ASCII left, and parsing would refuse them %-escaped since a
    // host may %-escape only non-ASCII bytes.
    if host_like && (is_sub_delim(c) || matches!(c, b':' | b'[' | b']' | b'<' | b'>' | b'"')) {
        return false;
    }
    match c {
        // The unreserved marks.
        b'-' | b'_' | b'.' | b'~' => return false,
        // The reserved characters of RFC 2396: each component admits some.
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            if mode.0 == Encoding::PATH.0 {
                // The whole path is handled as one string, so only '?'
                // (which would start the query) needs escaping.
                return c == b'?';
            }
            if mode.0 == Encoding::PATH_SEGMENT.0 {
                return matches!(c, b'/' | b';' | b',' | b'?');
            }
            if mode.0 == Encoding::USER_PASSWORD.0 {
                // ':' separates user from password, so it is escaped too.
                return matches!(c, b'@' | b'/' | b'?' | b':');
            }
            if mode.0 == Encoding::QUERY_COMPONENT.0 {
                return true;
            }
            if mode.0 == Encoding::FRAGMENT.0 {
                return false;
            }
        }
        _ => {}
    }
    // A fragment also keeps these sub-delims (never the single quote, which
    // callers have long seen escaped).
    if mode.0 == Encoding::FRAGMENT.0 && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

/// For each byte, the set of components in which it may appear unescaped.
static ALLOWED: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c: u8 = 0;
    loop {
        let mut m = 0;
        while m < Encoding::ALL.len() {
            if !must_escape(c, Encoding::ALL[m]) {
                table[c as usize] |= Encoding::ALL[m].0;
            }
            m += 1;
        }
        if c == 255 {
            break;
        }
        c += 1;
    }
    table
};

fn should_escape(c: u8, mode: Encoding) -> bool {
    ALLOWED[usize::from(c)] & mode.0 == 0
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A `%` not followed by two hex digits, or (in a host) an escape that is
/// not allowed there (Go's `EscapeError`). Holds the offending text, at
/// most three bytes, which need not be UTF-8.
///
/// ```
/// use gort_http::url::{EscapeError, query_unescape};
///
/// let err: EscapeError = query_unescape("100%zz").unwrap_err();
/// assert_eq!(err.to_string(), r#"invalid URL escape "%zz""#);
/// assert_eq!(err.as_bytes(), b"%zz");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscapeError(Vec<u8>);

impl EscapeError {
    /// The offending escape as it appeared in the input.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for EscapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid URL escape {}", go_quote(&self.0))
    }
}

impl std::error::Error for EscapeError {}

/// An ASCII byte that may not appear in a host name (Go's
/// `InvalidHostError`), such as a space.
///
/// ```
/// use gort_http::url::{ErrorKind, parse};
///
/// let err = parse("http://a b.com/").unwrap_err();
/// assert!(matches!(err.err, ErrorKind::InvalidHost(_)));
/// assert_eq!(err.err.to_string(), r#"invalid character " " in host name"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidHostError(pub String);

impl fmt::Display for InvalidHostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid character {} in host name",
            go_quote(self.0.as_bytes())
        )
    }
}

impl std::error::Error for InvalidHostError {}

/// Decodes the %-escapes of `s` as they are read in component `mode`
/// (Go's `unescape`). In a query component `+` means a space. In a host
/// only non-ASCII bytes may be escaped (and `%25`, for an IPv6 zone), and
/// ASCII that the host rules exclude is an error.
fn unescape(s: &str, mode: Encoding) -> Result<Cow<'_, [u8]>, ErrorKind> {
    let b = s.as_bytes();
    let host_like = mode == Encoding::HOST || mode == Encoding::ZONE;
    // First pass: validate, and find out whether there is anything to do.
    let mut escapes = 0;
    let mut plus = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(hi), Some(lo)) = (
                    b.get(i + 1).copied().and_then(hex_value),
                    b.get(i + 2).copied().and_then(hex_value),
                ) else {
                    let end = b.len().min(i + 3);
                    return Err(ErrorKind::Escape(EscapeError(b[i..end].to_vec())));
                };
                let triple = &b[i..i + 3];
                // RFC 3986 lets a host %-escape only non-ASCII; RFC 6874
                // adds "%25", which introduces a zone.
                if mode == Encoding::HOST && hi < 8 && triple != b"%25" {
                    return Err(ErrorKind::Escape(EscapeError(triple.to_vec())));
                }
                // A zone may escape anything it could have written plainly
                // (and a space, which Windows zone names contain).
                if mode == Encoding::ZONE {
                    let v = hi << 4 | lo;
                    if triple != b"%25" && v != b' ' && should_escape(v, Encoding::HOST) {
                        return Err(ErrorKind::Escape(EscapeError(triple.to_vec())));
                    }
                }
                escapes += 1;
                i += 3;
            }
            b'+' => {
                plus = mode == Encoding::QUERY_COMPONENT;
                i += 1;
            }
            c => {
                if host_like && c < 0x80 && should_escape(c, mode) {
                    return Err(ErrorKind::InvalidHost(InvalidHostError(
                        char::from(c).to_string(),
                    )));
                }
                i += 1;
            }
        }
    }
    if escapes == 0 && !plus {
        return Ok(Cow::Borrowed(b));
    }
    // Second pass: decode; every escape is known to be well formed.
    let mut out = Vec::with_capacity(b.len() - 2 * escapes);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hi = hex_value(b[i + 1]).unwrap_or(0);
                let lo = hex_value(b[i + 2]).unwrap_or(0);
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if mode == Encoding::QUERY_COMPONENT => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Decoded bytes as a `String`; bytes that are not UTF-8 become U+FFFD.
fn bytes_to_string(b: Cow<'_, [u8]>) -> String {
    match b {
        Cow::Borrowed(b) => String::from_utf8_lossy(b).into_owned(),
        Cow::Owned(v) => String::from_utf8(v)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// [`unescape`] for a component other than the host, where the only
/// possible failure is a bad escape.
fn unescape_string(s: &str, mode: Encoding) -> Result<String, EscapeError> {
    match unescape(s, mode) {
        Ok(b) => Ok(bytes_to_string(b)),
        Err(ErrorKind::Escape(e)) => Err(e),
        // Host rules apply only in the host modes, which never get here.
        Err(other) => Err(EscapeError(other.to_string().into_bytes())),
    }
}

/// %-escapes `s` for component `mode` (Go's `escape`); in a query
/// component a space becomes `+`.
fn escape(s: &str, mode: Encoding) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c == b' ' && mode == Encoding::QUERY_COMPONENT {
            out.push('+');
        } else if should_escape(c, mode) {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(c >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(c & 15)]));
        } else {
            // Only ASCII is ever left unescaped.
            out.push(char::from(c));
        }
    }
    out
}

/// Decodes a query component (Go's `QueryUnescape`): `%XX` becomes byte
/// 0xXX and `+` becomes a space.
///
/// ```
/// use gort_http::url::query_unescape;
///
/// assert_eq!(query_unescape("a+b%26c").unwrap(), "a b&c");
/// assert!(query_unescape("%zz").is_err());
/// ```
pub fn query_unescape(s: &str) -> Result<String, EscapeError> {
    unescape_string(s, Encoding::QUERY_COMPONENT)
}

/// Decodes a path segment (Go's `PathUnescape`): like [`query_unescape`]
/// but `+` stays a plus sign.
///
/// ```
/// use gort_http::url::path_unescape;
///
/// assert_eq!(path_unescape("a+b%2Fc").unwrap(), "a+b/c");
/// ```
pub fn path_unescape(s: &str) -> Result<String, EscapeError> {
    unescape_string(s, Encoding::PATH_SEGMENT)
}

/// Escapes `s` for use as one query key or value (Go's `QueryEscape`).
///
/// ```
/// use gort_http::url::query_escape;
///
/// assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
/// ```
pub fn query_escape(s: &str) -> String {
    escape(s, Encoding::QUERY_COMPONENT)
}

/// Escapes `s` for use as one path segment (Go's `PathEscape`): `/` is
/// escaped too.
///
/// ```
/// use gort_http::url::path_escape;
///
/// assert_eq!(path_escape("a b/c+d"), "a%20b%2Fc+d");
/// ```
pub fn path_escape(s: &str) -> String {
    escape(s, Encoding::PATH_SEGMENT)
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a URL or query did not parse. `Display` is Go's message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A malformed or disallowed `%` escape.
    Escape(EscapeError),
    /// A byte a host name may not contain.
    InvalidHost(InvalidHostError),
    /// An ASCII control byte anywhere in the URL.
    ControlCharacter,
    /// [`parse_request_uri`] of the empty string.
    EmptyUrl,
    /// The URL starts with `:`.
    MissingScheme,
    /// A request target that is neither absolute nor an absolute path.
    InvalidRequestUri,
    /// A relative reference whose first segment has a colon
    /// (`cache_object:foo` with an invalid scheme).
    ColonInFirstSegment,
    /// Userinfo with a byte RFC 3986 does not allow there.
    InvalidUserinfo,
    /// A `[` not at the start of the host, or an IPv4 address in brackets.
    InvalidIpLiteral,
    /// A host starting with `[` and no `]`.
    MissingBracket,
    /// What follows the host is not `:` and digits; holds that text.
    InvalidPort(String),
    /// The bracketed host is not an IPv6 address; holds the address
    /// parser's message (Go's `netip.ParseAddr` error).
    InvalidIpAddress(String),
    /// A query pair with an unescaped `;`.
    SemicolonInQuery,
    /// A query with more than 10,000 parameters.
    TooManyQueryParams,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Escape(e) => e.fmt(f),
            ErrorKind::InvalidHost(e) => e.fmt(f),
            ErrorKind::ControlCharacter => f.write_str("net/url: invalid control character in URL"),
            ErrorKind::EmptyUrl => f.write_str("empty url"),
            ErrorKind::MissingScheme => f.write_str("missing protocol scheme"),
            ErrorKind::InvalidRequestUri => f.write_str("invalid URI for request"),
            ErrorKind::ColonInFirstSegment => {
                f.write_str("first path segment in URL cannot contain colon")
            }
            ErrorKind::InvalidUserinfo => f.write_str("net/url: invalid userinfo"),
            ErrorKind::InvalidIpLiteral => f.write_str("invalid IP-literal"),
            ErrorKind::MissingBracket => f.write_str("missing ']' in host"),
            ErrorKind::InvalidPort(p) => {
                write!(f, "invalid port {} after host", go_quote(p.as_bytes()))
            }
            ErrorKind::InvalidIpAddress(msg) => write!(f, "invalid host: {msg}"),
            ErrorKind::SemicolonInQuery => f.write_str("invalid semicolon separator in query"),
            ErrorKind::TooManyQueryParams => {
                f.write_str("number of URL query parameters exceeded limit")
            }
        }
    }
}

impl std::error::Error for ErrorKind {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ErrorKind::Escape(e) => Some(e),
            ErrorKind::InvalidHost(e) => Some(e),
            _ => None,
        }
    }
}

impl From<EscapeError> for ErrorKind {
    fn from(e: EscapeError) -> ErrorKind {
        ErrorKind::Escape(e)
    }
}

/// An error with the operation and the URL that caused it (Go's
/// `url.Error`).
///
/// ```
/// use gort_http::url::parse;
///
/// let err = parse("http://[::1").unwrap_err();
/// assert_eq!(err.to_string(), r#"parse "http://[::1": missing ']' in host"#);
/// assert_eq!((err.op.as_str(), err.url.as_str()), ("parse", "http://[::1"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The operation, `"parse"`; empty for the bare causes Go returns
    /// unwrapped (see the module notes).
    pub op: String,
    /// The URL (or the part of it being parsed).
    pub url: String,
    /// What was wrong.
    pub err: ErrorKind,
}

impl Error {
    fn new(op: &str, url: &str, err: impl Into<ErrorKind>) -> Error {
        Error {
            op: op.to_string(),
            url: url.to_string(),
            err: err.into(),
        }
    }

    /// A cause that Go returns without a `url.Error` around it.
    fn bare(err: impl Into<ErrorKind>) -> Error {
        Error {
            op: String::new(),
            url: String::new(),
            err: err.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.op.is_empty() && self.url.is_empty() {
            return self.err.fmt(f);
        }
        write!(
            f,
            "{} {}: {}",
            self.op,
            go_quote(self.url.as_bytes()),
            self.err
        )
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.err)
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
    }
}

// ---------------------------------------------------------------------------
// Userinfo
// ---------------------------------------------------------------------------

/// The `user[:password]` part of a URL (Go's `Userinfo`). Immutable: it
/// always has a user name (possibly empty) and maybe a password.
///
/// ```
/// use gort_http::url::{user, user_password};
///
/// let u = user_password("j@ne", "p:w");
/// assert_eq!((u.username(), u.password()), ("j@ne", Some("p:w")));
/// assert_eq!(u.to_string(), "j%40ne:p%3Aw");
/// assert_eq!(user("bob").password(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Userinfo {
    username: String,
    password: Option<String>,
}

/// A [`Userinfo`] with a user name and no password (Go's `User`).
pub fn user(username: &str) -> Userinfo {
    Userinfo {
        username: username.to_string(),
        password: None,
    }
}

/// A [`Userinfo`] with a user name and a password (Go's `UserPassword`).
/// Passwords in URLs are a legacy practice (RFC 2396 advises against).
pub fn user_password(username: &str, password: &str) -> Userinfo {
    Userinfo {
        username: username.to_string(),
        password: Some(password.to_string()),
    }
}

impl Userinfo {
    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password, if one was set.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
}

/// The encoded `user[:password]` form.
impl fmt::Display for Userinfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(&self.username, Encoding::USER_PASSWORD))?;
        if let Some(p) = &self.password {
            f.write_char(':')?;
            f.write_str(&escape(p, Encoding::USER_PASSWORD))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// URL
// ---------------------------------------------------------------------------

/// A parsed URL, technically a URI reference (Go's `url.URL`).
///
/// `path` and `fragment` are decoded; `raw_path` and `raw_fragment` hold
/// the original encoding only when it differs from the default one, so use
/// [`URL::escaped_path`] and [`URL::escaped_fragment`] rather than reading
/// them. `host` is `host` or `host:port`, IPv6 in brackets.
///
/// ```
/// use gort_http::url::parse;
///
/// let u = parse("https://bob:pw@example.com:8443/a%2Fb/c?q=1&q=2#top").unwrap();
/// assert_eq!(u.scheme, "https");
/// assert_eq!(u.hostname(), "example.com");
/// assert_eq!(u.port(), "8443");
/// assert_eq!(u.path, "/a/b/c");
/// assert_eq!(u.escaped_path(), "/a%2Fb/c");
/// assert_eq!(u.query().0["q"], ["1", "2"]);
/// assert_eq!(u.redacted(), "https://bob:xxxxx@example.com:8443/a%2Fb/c?q=1&q=2#top");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct URL {
    /// `http`, `mailto`, ... (lower case); empty for a relative reference.
    pub scheme: String,
    /// Encoded opaque data: what follows `scheme:` when it does not start
    /// with `/`.
    pub opaque: String,
    /// User name and password, if the authority had `userinfo@`.
    pub user: Option<Userinfo>,
    /// `host` or `host:port` (see [`URL::hostname`] and [`URL::port`]).
    pub host: String,
    /// The path, decoded (relative paths may omit the leading slash).
    pub path: String,
    /// The encoded path, when it differs from the default encoding of
    /// `path` (see [`URL::escaped_path`]).
    pub raw_path: String,
    /// The authority was empty (`mailto:/x`): print no `//`.
    pub omit_host: bool,
    /// The URL had a `?` with an empty query: print it.
    pub force_query: bool,
    /// The encoded query, without the `?`.
    pub raw_query: String,
    /// The fragment, decoded, without the `#`.
    pub fragment: String,
    /// The encoded fragment, when it differs from the default encoding of
    /// `fragment` (see [`URL::escaped_fragment`]).
    pub raw_fragment: String,
}

/// Splits a leading `scheme:` off `raw` (Go's `getScheme`). A scheme is a
/// letter followed by letters, digits, `+`, `-` or `.`; anything else
/// before the first `:` means there is no scheme.
fn get_scheme(raw: &str) -> Result<(&str, &str), ErrorKind> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err(ErrorKind::MissingScheme),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Parses a URL, absolute or relative (Go's `Parse`). A host without a
/// scheme (`example.com/x`) reads as a relative path, not an error.
///
/// ```
/// use gort_http::url::parse;
///
/// let u = parse("http://[fe80::1%25en0]:8080/p?q#f").unwrap();
/// assert_eq!((u.host.as_str(), u.hostname(), u.port()), ("[fe80::1%en0]:8080", "fe80::1%en0", "8080"));
/// assert_eq!(u.to_string(), "http://[fe80::1%25en0]:8080/p?q#f");
///
/// let rel = parse("../a b?q").unwrap();
/// assert_eq!((rel.path.as_str(), rel.to_string().as_str()), ("../a b", "../a%20b?q"));
///
/// let err = parse("http://x:namedport/").unwrap_err();
/// assert_eq!(err.to_string(), r#"parse "http://x:namedport/": invalid port ":namedport" after host"#);
/// ```
pub fn parse(raw: &str) -> Result<URL, Error> {
    let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
    let mut url = parse_reference(u, false).map_err(|e| Error::new("parse", u, e))?;
    if !frag.is_empty() {
        url.set_fragment(frag)
            .map_err(|e| Error::new("parse", raw, e))?;
    }
    Ok(url)
}

/// Parses a request target as it arrives on an HTTP request line (Go's
/// `ParseRequestURI`): an absolute URL, an absolute path, or `*`. There is
/// no fragment: a `#` is part of the path or query.
///
/// ```
/// use gort_http::url::parse_request_uri;
///
/// let u = parse_request_uri("/search?q=go+lang").unwrap();
/// assert_eq!((u.path.as_str(), u.raw_query.as_str()), ("/search", "q=go+lang"));
/// assert_eq!(u.query().get("q"), "go lang");
/// // "//x/y" is a path here, not a host.
/// assert_eq!(parse_request_uri("//x/y").unwrap().path, "//x/y");
/// assert!(parse_request_uri("foo.html").is_err());
/// ```
pub fn parse_request_uri(raw: &str) -> Result<URL, Error> {
    parse_reference(raw, true).map_err(|e| Error::new("parse", raw, e))
}

/// The shared parser (Go's `parse`): `via_request` admits only what an
/// HTTP request line may carry.
fn parse_reference(raw: &str, via_request: bool) -> Result<URL, ErrorKind> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err(ErrorKind::ControlCharacter);
    }
    if raw.is_empty() && via_request {
        return Err(ErrorKind::EmptyUrl);
    }
    let mut url = URL::default();
    if raw == "*" {
        url.path = "*".to_string();
        return Ok(url);
    }

    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();

    if rest.ends_with('?') && rest.bytes().filter(|&b| b == b'?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((before, query)) = rest.split_once('?') {
        rest = before;
        url.raw_query = query.to_string();
    }

    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // A rootless path after a scheme is opaque (RFC 3986).
            url.opaque = rest.to_string();
            return Ok(url);
        }
        if via_request {
            return Err(ErrorKind::InvalidRequestUri);
        }
        // A colon in the first segment of a relative path would read as a
        // scheme (RFC 3986 section 3.3); `cache_object:foo/bar` lands here.
        let first = rest.split('/').next().unwrap_or("");
        if first.contains(':') {
            return Err(ErrorKind::ColonInFirstSegment);
        }
    }

    let has_authority = (!url.scheme.is_empty() || !via_request && !rest.starts_with("///"))
        && rest.starts_with("//");
    if has_authority {
        let after = &rest[2..];
        let (authority, path) = match after.find('/') {
            Some(i) => after.split_at(i),
            None => (after, ""),
        };
        let (user, host) = parse_authority(&url.scheme, authority)?;
        url.user = user;
        url.host = host;
        rest = path;
    } else if !url.scheme.is_empty() && rest.starts_with('/') {
        // `scheme:/path`: the authority is absent, not empty.
        url.omit_host = true;
    }

    url.set_path(rest)?;
    Ok(url)
}

/// Splits `[userinfo@]host[:port]` (Go's `parseAuthority`). The last `@`
/// ends the userinfo, so an unescaped `@` in a password still works.
fn parse_authority(scheme: &str, authority: &str) -> Result<(Option<Userinfo>, String), ErrorKind> {
    let at = authority.rfind('@');
    let host = parse_host(scheme, at.map_or(authority, |i| &authority[i + 1..]))?;
    let Some(at) = at else {
        return Ok((None, host));
    };
    let info = &authority[..at];
    if !valid_userinfo(info) {
        return Err(ErrorKind::InvalidUserinfo);
    }
    let user = match info.split_once(':') {
        None => user(&unescape_string(info, Encoding::USER_PASSWORD)?),
        Some((name, pass)) => user_password(
            &unescape_string(name, Encoding::USER_PASSWORD)?,
            &unescape_string(pass, Encoding::USER_PASSWORD)?,
        ),
    };
    Ok((Some(user), host))
}

/// Checks and decodes `host[:port]` (Go's `parseHost`): a bracketed IPv6
/// literal with an optional RFC 6874 zone, or a registered name or IPv4
/// address with an optional numeric port.
fn parse_host(scheme: &str, host: &str) -> Result<String, ErrorKind> {
    match host.rfind('[') {
        Some(i) if i > 0 => Err(ErrorKind::InvalidIpLiteral),
        Some(_) => {
            let close = host.rfind(']').ok_or(ErrorKind::MissingBracket)?;
            let colon_port = &host[close + 1..];
            if !valid_optional_port(colon_port) {
                return Err(ErrorKind::InvalidPort(colon_port.to_string()));
            }
            let inside = &host[1..close];
            // "%25" starts the zone, which has looser escaping rules.
            let address: Vec<u8> = match inside.find("%25") {
                Some(z) => {
                    let mut a = unescape(&inside[..z], Encoding::HOST)?.into_owned();
                    a.extend_from_slice(&unescape(&inside[z..], Encoding::ZONE)?);
                    a
                }
                None => unescape(inside, Encoding::HOST)?.into_owned(),
            };
            // Brackets hold IPv6 only (IPv4-mapped included), RFC 3986.
            match parse_addr(&address) {
                Err(msg) => Err(ErrorKind::InvalidIpAddress(msg)),
                Ok(Family::V4) => Err(ErrorKind::InvalidIpLiteral),
                Ok(Family::V6) => {
                    let address = bytes_to_string(Cow::Owned(address));
                    Ok(format!("[{address}]{colon_port}"))
                }
            }
        }
        None => {
            if let Some(first) = host.find(':') {
                // Only http and https insist on a single colon; other
                // schemes (PostgreSQL, MongoDB host lists) may have more,
                // and the last one starts the port.
                let mut colon = first;
                if scheme != "http" && scheme != "https" {
                    colon = host.rfind(':').unwrap_or(first);
                }
                let colon_port = &host[colon..];
                if !valid_optional_port(colon_port) {
                    return Err(ErrorKind::InvalidPort(colon_port.to_string()));
                }
            }
            Ok(bytes_to_string(unescape(host, Encoding::HOST)?))
        }
    }
}

/// Whether `port` is empty or `:` followed by digits only.
fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    }
}

/// Whether `s` uses only bytes RFC 3986 allows in userinfo (unreserved,
/// sub-delims, `:`, `%`), plus `@`, which real URLs put in passwords.
fn valid_userinfo(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || is_sub_delim(c)
            || matches!(c, b'-' | b'.' | b'_' | b':' | b'~' | b'%' | b'@')
    })
}

/// Whether `s` may stand as the encoded form in component `mode`: nothing
/// in it would have to be escaped (Go's `validEncoded`). RFC 3986's
/// sub-delims, `:`, `@`, brackets and `%` are all accepted.
fn valid_encoded(s: &str, mode: Encoding) -> bool {
    s.bytes().all(|c| {
        is_sub_delim(c) || matches!(c, b':' | b'@' | b'[' | b']' | b'%') || !should_escape(c, mode)
    })
}

impl URL {
    /// Sets `path` from the encoded path `p`, and `raw_path` to `p` only if
    /// `p` is not the default encoding of the result (Go's `setPath`).
    /// Fails, changing nothing, if `p` has a malformed escape.
    ///
    /// ```
    /// use gort_http::url::URL;
    ///
    /// let mut u = URL::default();
    /// u.set_path("/a%2fb").unwrap();
    /// assert_eq!((u.path.as_str(), u.raw_path.as_str()), ("/a/b", "/a%2fb"));
    /// u.set_path("/a%20b").unwrap();
    /// assert_eq!((u.path.as_str(), u.raw_path.as_str()), ("/a b", ""));
    /// assert!(u.set_path("/100%").is_err());
    /// ```
    pub fn set_path(&mut self, p: &str) -> Result<(), EscapeError> {
        let path = unescape_string(p, Encoding::PATH)?;
        self.raw_path = if escape(&path, Encoding::PATH) == p {
            String::new()
        } else {
            p.to_string()
        };
        self.path = path;
        Ok(())
    }

    /// The fragment counterpart of [`URL::set_path`].
    fn set_fragment(&mut self, f: &str) -> Result<(), EscapeError> {
        let frag = unescape_string(f, Encoding::FRAGMENT)?;
        self.raw_fragment = if escape(&frag, Encoding::FRAGMENT) == f {
            String::new()
        } else {
            f.to_string()
        };
        self.fragment = frag;
        Ok(())
    }

    /// The encoded path: `raw_path` if it is a valid encoding of `path`,
    /// else `path` escaped the default way (Go's `EscapedPath`). `*` stays
    /// as it is.
    ///
    /// ```
    /// use gort_http::url::URL;
    ///
    /// let u = URL { path: "/a b".into(), raw_path: "/a%20b".into(), ..URL::default() };
    /// assert_eq!(u.escaped_path(), "/a%20b");
    /// let u = URL { path: "/a?b".into(), raw_path: "/WRONG".into(), ..URL::default() };
    /// assert_eq!(u.escaped_path(), "/a%3Fb");
    /// ```
    pub fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Encoding::PATH)
            && unescape_string(&self.raw_path, Encoding::PATH).is_ok_and(|p| p == self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".to_string();
        }
        escape(&self.path, Encoding::PATH)
    }

    /// The encoded fragment: `raw_fragment` if it is a valid encoding of
    /// `fragment`, else `fragment` escaped the default way (Go's
    /// `EscapedFragment`).
    ///
    /// ```
    /// use gort_http::url::parse;
    ///
    /// let u = parse("http://x/#a%26b").unwrap();
    /// assert_eq!((u.fragment.as_str(), u.escaped_fragment().as_str()), ("a&b", "a%26b"));
    /// ```
    pub fn escaped_fragment(&self) -> String {
        if !self.raw_fragment.is_empty()
            && valid_encoded(&self.raw_fragment, Encoding::FRAGMENT)
            && unescape_string(&self.raw_fragment, Encoding::FRAGMENT)
                .is_ok_and(|f| f == self.fragment)
        {
            return self.raw_fragment.clone();
        }
        escape(&self.fragment, Encoding::FRAGMENT)
    }

    /// Like `to_string`, but with any password replaced by `xxxxx` (Go's
    /// `Redacted`).
    pub fn redacted(&self) -> String {
        match &self.user {
            Some(u) if u.password.is_some() => {
                let mut copy = self.clone();
                copy.user = Some(user_password(u.username(), "xxxxx"));
                copy.to_string()
            }
            _ => self.to_string(),
        }
    }

    /// Whether the URL has a scheme (Go's `IsAbs`).
    pub fn is_abs(&self) -> bool {
        !self.scheme.is_empty()
    }

    /// Parses `reference` and resolves it against `self` (Go's
    /// `URL.Parse`).
    ///
    /// ```
    /// use gort_http::url::parse;
    ///
    /// let base = parse("http://a/b/c/d;p?q").unwrap();
    /// assert_eq!(base.parse("../g?y#s").unwrap().to_string(), "http://a/b/g?y#s");
    /// ```
    pub fn parse(&self, reference: &str) -> Result<URL, Error> {
        Ok(self.resolve_reference(&parse(reference)?))
    }

    /// Resolves a URI reference against `self` as base, per RFC 3986
    /// section 5.2 (Go's `ResolveReference`). An absolute `reference` comes
    /// back as a copy, its path cleaned of dot segments.
    ///
    /// ```
    /// use gort_http::url::parse;
    ///
    /// let base = parse("http://foo.com/bar/baz").unwrap();
    /// let rel = parse("../quux?x=1").unwrap();
    /// assert_eq!(base.resolve_reference(&rel).to_string(), "http://foo.com/quux?x=1");
    /// ```
    pub fn resolve_reference(&self, reference: &URL) -> URL {
        let mut url = reference.clone();
        if reference.scheme.is_empty() {
            url.scheme.clone_from(&self.scheme);
        }
        // A path produced by escaped_path always decodes, so set_path
        // cannot fail below.
        if !reference.scheme.is_empty() || !reference.host.is_empty() || reference.user.is_some() {
            // An absolute URL or a network-path reference: keep its
            // authority, only clean the path.
            let _ = url.set_path(&resolve_path(&reference.escaped_path(), ""));
            return url;
        }
        if !reference.opaque.is_empty() {
            url.user = None;
            url.host.clear();
            url.path.clear();
            return url;
        }
        if reference.path.is_empty() && !reference.force_query && reference.raw_query.is_empty() {
            url.raw_query.clone_from(&self.raw_query);
            if reference.fragment.is_empty() {
                url.fragment.clone_from(&self.fragment);
                url.raw_fragment.clone_from(&self.raw_fragment);
            }
        }
        if reference.path.is_empty() && !self.opaque.is_empty() {
            url.opaque.clone_from(&self.opaque);
            url.user = None;
            url.host.clear();
            url.path.clear();
            return url;
        }
        // An absolute or relative path.
        url.host.clone_from(&self.host);
        url.user.clone_from(&self.user);
        let _ = url.set_path(&resolve_path(
            &self.escaped_path(),
            &reference.escaped_path(),
        ));
        url
    }

    /// The decoded query (Go's `Query`). Malformed pairs are dropped; use
    /// [`parse_query`] to see the error.
    pub fn query(&self) -> Values {
        let mut v = Values::default();
        let _ = parse_query_into(&mut v, &self.raw_query);
        v
    }

    /// The encoded `path?query` (or `opaque?query`) to send in an HTTP
    /// request line (Go's `RequestURI`); an empty path is `/`.
    ///
    /// ```
    /// use gort_http::url::parse;
    ///
    /// assert_eq!(parse("http://x.com").unwrap().request_uri(), "/");
    /// assert_eq!(parse("http://x.com/a%20b?q=1").unwrap().request_uri(), "/a%20b?q=1");
    /// ```
    pub fn request_uri(&self) -> String {
        let mut result = if self.opaque.is_empty() {
            let p = self.escaped_path();
            if p.is_empty() { "/".to_string() } else { p }
        } else if self.opaque.starts_with("//") {
            format!("{}:{}", self.scheme, self.opaque)
        } else {
            self.opaque.clone()
        };
        if self.force_query || !self.raw_query.is_empty() {
            result.push('?');
            result.push_str(&self.raw_query);
        }
        result
    }

    /// `host` without a valid `:port`, and without the brackets of an IPv6
    /// literal (Go's `Hostname`). The host itself is not validated.
    ///
    /// ```
    /// use gort_http::url::URL;
    ///
    /// let u = URL { host: "[::1]:80".into(), ..URL::default() };
    /// assert_eq!((u.hostname(), u.port()), ("::1", "80"));
    /// ```
    pub fn hostname(&self) -> &str {
        split_host_port(&self.host).0
    }

    /// The digits of `host`'s port, or `""` if it has no valid numeric
    /// port (Go's `Port`).
    pub fn port(&self) -> &str {
        split_host_port(&self.host).1
    }

    /// A copy with `elems` appended to the path and the result cleaned of
    /// `.`, `..` and repeated slashes (Go's `URL.JoinPath`). The elements
    /// must already be escaped. If one holds a bad escape, the copy keeps
    /// the old path.
    ///
    /// ```
    /// use gort_http::url::parse;
    ///
    /// let u = parse("https://go.dev/a/b").unwrap();
    /// assert_eq!(u.join_path(&["../c", "d/"]).to_string(), "https://go.dev/a/c/d/");
    /// ```
    pub fn join_path(&self, elems: &[&str]) -> URL {
        self.join_path_checked(elems)
            .unwrap_or_else(|_| self.clone())
    }

    fn join_path_checked(&self, elems: &[&str]) -> Result<URL, EscapeError> {
        let mut all: Vec<Cow<'_, str>> = Vec::with_capacity(elems.len() + 1);
        all.push(Cow::Owned(self.escaped_path()));
        all.extend(elems.iter().map(|&e| Cow::Borrowed(e)));
        let mut p = if all[0].starts_with('/') {
            path_join(&all)
        } else {
            // A relative base stays relative, but may not climb out with
            // "..": join as if rooted, then drop the root.
            all[0] = Cow::Owned(format!("/{}", all[0]));
            let joined = path_join(&all);
            joined.strip_prefix('/').unwrap_or(&joined).to_string()
        };
        // Cleaning drops a trailing slash; keep one if the last element
        // had it.
        if all.last().is_some_and(|e| e.ends_with('/')) && !p.ends_with('/') {
            p.push('/');
        }
        let mut url = self.clone();
        url.set_path(&p)?;
        Ok(url)
    }
}

/// Reassembles the URL (Go's `String`): `scheme:opaque?query#fragment`
/// when `opaque` is set, else `scheme://userinfo@host/path?query#fragment`
/// with absent parts left out. The host's non-ASCII is escaped.
impl fmt::Display for URL {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            let no_authority = self.host.is_empty() && self.user.is_none();
            // An authority is written if there is one, or if a scheme needs
            // "//" before an empty one, unless the original had none.
            let skip = self.omit_host && no_authority;
            if (!self.scheme.is_empty() || !no_authority) && !skip {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.push_str("//");
                }
                if let Some(u) = &self.user {
                    write!(buf, "{u}@")?;
                }
                if !self.host.is_empty() {
                    buf.push_str(&escape(&self.host, Encoding::HOST));
                }
            }
            let escaped = self.escaped_path();
            let mut path = escaped.as_str();
            if self.omit_host && no_authority && path.starts_with("//") {
                // Without an authority, a path starting "//" would read back
                // as one; escape its first slash.
                buf.push_str("%2F");
                path = &path[1..];
            }
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                buf.push('/');
            }
            // A relative path whose first segment has a colon would read
            // back as a scheme; "./" prevents that (RFC 3986 section 4.2).
            if buf.is_empty() && path.split('/').next().is_some_and(|s| s.contains(':')) {
                buf.push_str("./");
            }
            buf.push_str(path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push('#');
            buf.push_str(&self.escaped_fragment());
        }
        f.write_str(&buf)
    }
}

/// [`parse`] as `str::parse`.
impl FromStr for URL {
    type Err = Error;
    fn from_str(s: &str) -> Result<URL, Error> {
        parse(s)
    }
}

/// Splits `host:port` where the port must be numeric (unlike
/// `net::split_host_port`); an invalid port stays part of the host.
fn split_host_port(host_port: &str) -> (&str, &str) {
    let mut host = host_port;
    let mut port = "";
    if let Some(colon) = host.rfind(':')
        && valid_optional_port(&host[colon..])
    {
        port = &host[colon + 1..];
        host = &host[..colon];
    }
    if host.len() >= 2 && host.starts_with('[') && host.ends_with(']') {
        host = &host[1..host.len() - 1];
    }
    (host, port)
}

/// Merges a reference path onto a base path and removes dot segments
/// (RFC 3986 sections 5.2.3 and 5.2.4; Go's `resolvePath`).
fn resolve_path(base: &str, reference: &str) -> String {
    let full: Cow<'_, str> = if reference.is_empty() {
        Cow::Borrowed(base)
    } else if !reference.starts_with('/') {
        let dir = base.rfind('/').map_or("", |i| &base[..=i]);
        Cow::Owned(format!("{dir}{reference}"))
    } else {
        Cow::Borrowed(reference)
    };
    if full.is_empty() {
        return String::new();
    }
    // Built with a leading '/', dropped at the end if the path had its own.
    let mut out = String::with_capacity(full.len() + 1);
    out.push('/');
    let mut at_start = true;
    let mut last = "";
    for seg in full.split('/') {
        last = seg;
        match seg {
            "." => at_start = false,
            ".." => {
                let keep = out[1..].rfind('/').map_or(1, |i| i + 1);
                out.truncate(keep);
                at_start = out.len() == 1;
            }
            _ => {
                if !at_start {
                    out.push('/');
                }
                out.push_str(seg);
                at_start = false;
            }
        }
    }
    // A path ending in a dot segment names a directory.
    if last == "." || last == ".." {
        out.push('/');
    }
    if out.len() > 1 && out.as_bytes()[1] == b'/' {
        out.remove(0);
    }
    out
}

/// Go's `path.Clean` for text: the shortest path naming the same file,
/// by purely lexical processing. The algorithm is [`crate::fs`]'s, which
/// works on bytes; net/url and the ServeMux use it through this.
pub(crate) fn path_clean(p: &str) -> String {
    String::from_utf8(crate::fs::clean(p.as_bytes())).expect("cleaning splits only at ASCII bytes")
}

/// Go's `path.Join`: the non-empty elements joined by `/` and cleaned; ""
/// if all are empty.
fn path_join(elems: &[Cow<'_, str>]) -> String {
    let parts: Vec<&str> = elems
        .iter()
        .map(|e| e.as_ref())
        .filter(|e| !e.is_empty())
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    path_clean(&parts.join("/"))
}

/// Appends `elems` to the path of the URL `base` and cleans the result
/// (Go's `JoinPath`). The elements must already be escaped.
///
/// ```
/// use gort_http::url::join_path;
///
/// assert_eq!(join_path("https://go.dev/a/", &["../b", "c"]).unwrap(), "https://go.dev/b/c");
/// assert_eq!(join_path("https://go.dev/", &["100%"]).unwrap_err().to_string(), r#"invalid URL escape "%""#);
/// ```
pub fn join_path(base: &str, elems: &[&str]) -> Result<String, Error> {
    let url = parse(base)?;
    Ok(url
        .join_path_checked(elems)
        .map_err(Error::bare)?
        .to_string())
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// Query parameters or form values: each key with its list of values
/// (Go's `url.Values`). Keys are case-sensitive. The map is public for
/// direct access to all values of a key.
///
/// ```
/// use gort_http::url::Values;
///
/// let mut v = Values::default();
/// v.set("name", "Ava");
/// v.add("friend", "Jess");
/// v.add("friend", "Sarah & Zoe");
/// assert_eq!(v.get("friend"), "Jess");
/// assert_eq!(v.0["friend"], ["Jess", "Sarah & Zoe"]);
/// assert_eq!(v.encode(), "friend=Jess&friend=Sarah+%26+Zoe&name=Ava");
/// v.del("friend");
/// assert!(!v.has("friend"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values(pub BTreeMap<String, Vec<String>>);

impl Values {
    /// The first value for `key`, or `""` if there is none.
    pub fn get(&self, key: &str) -> &str {
        self.0
            .get(key)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// Replaces the values of `key` with `value`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), vec![value.into()]);
    }

    /// Appends `value` to the values of `key`.
    pub fn add(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.entry(key.into()).or_default().push(value.into());
    }

    /// Removes `key` and its values.
    pub fn del(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// Whether `key` is present (even with no values).
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The URL-encoded form, `k=v` pairs joined by `&`, sorted by key and
    /// in insertion order within a key (Go's `Encode`).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (k, vs) in &self.0 {
            let key = query_escape(k);
            for v in vs {
                if !out.is_empty() {
                    out.push('&');
                }
                out.push_str(&key);
                out.push('=');
                out.push_str(&query_escape(v));
            }
        }
        out
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Values {
    /// Adds each pair in turn, as [`Values::add`].
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Values {
        let mut v = Values::default();
        for (k, val) in iter {
            v.add(k, val);
        }
        v
    }
}

/// The most query parameters [`parse_query`] accepts (Go's default for
/// `urlmaxqueryparams`).
const MAX_QUERY_PARAMS: usize = 10_000;

/// Decodes a URL-encoded query string (Go's `ParseQuery`). A pair without
/// `=` is a key with an empty value; a pair with an unescaped `;` is
/// invalid (since Go 1.17). Decoding goes on past bad pairs and the first
/// error is returned; [`parse_query_into`] also keeps the good pairs.
///
/// ```
/// use gort_http::url::parse_query;
///
/// let v = parse_query("x=1&y=2&y=3&z").unwrap();
/// assert_eq!((v.get("x"), v.get("z"), v.0["y"].len()), ("1", "", 2));
/// assert_eq!(parse_query("a=1;b=2").unwrap_err().to_string(), "invalid semicolon separator in query");
/// ```
pub fn parse_query(query: &str) -> Result<Values, Error> {
    let mut v = Values::default();
    parse_query_into(&mut v, query)?;
    Ok(v)
}

/// Adds the pairs of `query` to `m`, skipping the ones that do not decode,
/// and returns the first error, if any (Go's unexported `parseQuery`, as
/// `net/http` uses it for forms). A query with more than 10,000 parameters
/// is refused whole.
///
/// ```
/// use gort_http::url::{Values, parse_query_into};
///
/// let mut v = Values::default();
/// let err = parse_query_into(&mut v, "a=1&b=%zz&c=3").unwrap_err();
/// assert_eq!(err.to_string(), r#"invalid URL escape "%zz""#);
/// assert_eq!(v.encode(), "a=1&c=3");
/// ```
pub fn parse_query_into(m: &mut Values, query: &str) -> Result<(), Error> {
    if query.bytes().filter(|&b| b == b'&').count() + 1 > MAX_QUERY_PARAMS {
        return Err(Error::bare(ErrorKind::TooManyQueryParams));
    }
    let mut err: Option<ErrorKind> = None;
    for pair in query.split('&') {
        if pair.contains(';') {
            // Go lets a later semicolon error replace an earlier error.
            err = Some(ErrorKind::SemicolonInQuery);
            continue;
        }
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match query_unescape(k).and_then(|k| Ok((k, query_unescape(v)?))) {
            Ok((k, v)) => m.add(k, v),
            Err(e) => {
                err.get_or_insert(ErrorKind::Escape(e));
            }
        }
    }
    match err {
        Some(e) => Err(Error::bare(e)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The IP literal check (Go's netip.ParseAddr, for its verdict and messages)
// ---------------------------------------------------------------------------

/// Which family an address literal was written in.
#[derive(Debug, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

/// Checks an address literal as Go's `netip.ParseAddr` does, IPv6 zones
/// included, and returns its family or `ParseAddr`'s error message. The
/// first `.`, `:` or `%` decides what is being parsed.
fn parse_addr(input: &[u8]) -> Result<Family, String> {
    let fail = |(msg, at): (&str, &[u8])| {
        let mut s = format!("ParseAddr({}): {msg}", go_quote(input));
        if !at.is_empty() {
            let _ = write!(s, " (at {})", go_quote(at));
        }
        s
    };
    match input.iter().find(|&&c| matches!(c, b'.' | b':' | b'%')) {
        Some(b'.') => check_ipv4(input).map(|()| Family::V4).map_err(fail),
        Some(b':') => check_ipv6(input).map(|()| Family::V6).map_err(fail),
        Some(_) => Err(fail(("missing IPv6 address", b""))),
        None => Err(fail(("unable to parse IP", b""))),
    }
}

/// A `ParseAddr` failure: the message and the text it failed at (may be
/// empty).
type AddrFailure<'a> = (&'static str, &'a [u8]);

/// Four dotted decimal octets, each 0-255 without leading zeros.
fn check_ipv4(s: &[u8]) -> Result<(), AddrFailure<'_>> {
    let mut dots = 0;
    let mut value = 0u32;
    let mut digits = 0;
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                if digits == 1 && value == 0 {
                    return Err(("IPv4 field has octet with leading zero", b""));
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if value > 255 {
                    return Err(("IPv4 field has value >255", b""));
                }
            }
            b'.' => {
                if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                    return Err(("IPv4 field must have at least one digit", &s[i..]));
                }
                if dots == 3 {
                    return Err(("IPv4 address too long", b""));
                }
                dots += 1;
                value = 0;
                digits = 0;
            }
            _ => return Err(("unexpected character", &s[i..])),
        }
    }
    if dots < 3 {
        return Err(("IPv4 address too short", b""));
    }
    Ok(())
}

/// Hex groups separated by colons, at most one `::`, optionally ending in
/// an embedded IPv4 address, optionally followed by `%zone`.
fn check_ipv6(input: &[u8]) -> Result<(), AddrFailure<'_>> {
    let mut s = input;
    if let Some(p) = s.iter().position(|&c| c == b'%') {
        if p + 1 == s.len() {
            return Err(("zone must be a non-empty string", b""));
        }
        s = &s[..p];
    }
    // `filled` counts bytes of the 16-byte address; `gap` is where "::" is.
    let mut gap: Option<usize> = None;
    if let Some(rest) = s.strip_prefix(b"::") {
        gap = Some(0);
        s = rest;
        if s.is_empty() {
            return Ok(());
        }
    }
    let mut filled = 0;
    while filled < 16 {
        let mut n = 0;
        let mut value = 0u32;
        while let Some(d) = s.get(n).copied().and_then(hex_value) {
            value = value << 4 | u32::from(d);
            if n > 3 {
                return Err(("each group must have 4 or less digits", s));
            }
            if value > 0xffff {
                return Err(("IPv6 field has value >=2^16", s));
            }
            n += 1;
        }
        if n == 0 {
            return Err(("each colon-separated field must have at least one digit", s));
        }
        if s.get(n) == Some(&b'.') {
            if gap.is_none() && filled != 12 {
                return Err((
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                ));
            }
            if filled + 4 > 16 {
                return Err((
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                ));
            }
            check_ipv4(s)?;
            s = b"";
            filled += 4;
            break;
        }
        filled += 2;
        s = &s[n..];
        if s.is_empty() {
            break;
        }
        if s[0] != b':' {
            return Err(("unexpected character, want colon", s));
        }
        if s.len() == 1 {
            return Err(("colon must be followed by more characters", s));
        }
        s = &s[1..];
        if s[0] == b':' {
            if gap.is_some() {
                return Err(("multiple :: in address", s));
            }
            gap = Some(filled);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(("trailing garbage after address", s));
    }
    match (filled < 16, gap.is_some()) {
        (true, false) => Err(("address string too short", b"")),
        (false, true) => Err(("the :: must expand to at least one field of zeros", b"")),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Go-style quoting for messages
// ---------------------------------------------------------------------------

/// `s` in double quotes as Go's `strconv.Quote` writes it: Go escapes,
/// `\xNN` for bytes that are not UTF-8, `\u`/`\U` for non-printable code
/// points. Used for net/http's messages too (Go's `%q`).
pub(crate) fn go_quote(s: impl AsRef<[u8]>) -> String {
    let s = s.as_ref();
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if is_go_printable(c) => out.push(c),
                c if u32::from(c) < 0x80 => {
                    let _ = write!(out, "\\x{:02x}", u32::from(c));
                }
                c if u32::from(c) < 0x10000 => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => {
                    let _ = write!(out, "\\U{:08x}", u32::from(c));
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols
/// and the ASCII space. Of the unassigned code points, only planes 4-13
/// (wholly unassigned) are known here; others print as themselves.
fn is_go_printable(c: char) -> bool {
    let u = u32::from(c);
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    !(c.is_control()
        || (c.is_whitespace())
        || matches!(
            u,
            0xa0 | 0xad
                | 0x600..=0x605
                | 0x61c
                | 0x6dd
                | 0x70f
                | 0x890..=0x891
                | 0x8e2
                | 0x180e
                | 0x200b..=0x200f
                | 0x202a..=0x202e
                | 0x2060..=0x2064
                | 0x2066..=0x206f
                | 0xfeff
                | 0xfff9..=0xfffb
                | 0xfffe..=0xffff
                | 0x110bd
                | 0x110cd
                | 0x13430..=0x1343f
                | 0x1bca0..=0x1bca3
                | 0x1d173..=0x1d17a
                | 0xe0001
                | 0xe0020..=0xe007f
                | 0xe000..=0xf8ff
                | 0x40000..=0xdffff
                | 0xf0000..=0x10ffff
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's resolvePathTests.
    #[test]
    fn resolve_path_table() {
        let tests = [
            ("a/b", ".", "/a/"),
            ("a/b", "c", "/a/c"),
            ("a/b", "..", "/"),
            ("a/", "..", "/"),
            ("a/", "../..", "/"),
            ("a/b/c", "..", "/a/"),
            ("a/b/c", "../d", "/a/d"),
            ("a/b/c", ".././d", "/a/d"),
            ("a/b", "./..", "/"),
            ("a/./b", ".", "/a/"),
            ("a/../", ".", "/"),
            ("a/.././b", "c", "/c"),
        ];
        for (base, reference, want) in tests {
            assert_eq!(
                resolve_path(base, reference),
                want,
                "{base:?} + {reference:?}"
            );
        }
    }

    /// Go's shouldEscapeTests.
    #[test]
    fn should_escape_table() {
        use Encoding as E;
        let tests: &[(u8, Encoding, bool)] = &[
            // Unreserved characters (section 2.3)
            (b'a', E::PATH, false),
            (b'a', E::USER_PASSWORD, false),
            (b'a', E::QUERY_COMPONENT, false),
            (b'a', E::FRAGMENT, false),
            (b'a', E::HOST, false),
            (b'z', E::PATH, false),
            (b'A', E::PATH, false),
            (b'Z', E::PATH, false),
            (b'0', E::PATH, false),
            (b'9', E::PATH, false),
            (b'-', E::PATH, false),
            (b'-', E::USER_PASSWORD, false),
            (b'-', E::QUERY_COMPONENT, false),
            (b'-', E::FRAGMENT, false),
            (b'.', E::PATH, false),
            (b'_', E::PATH, false),
            (b'~', E::PATH, false),
            // User information (section 3.2.1)
            (b':', E::USER_PASSWORD, true),
            (b'/', E::USER_PASSWORD, true),
            (b'?', E::USER_PASSWORD, true),
            (b'@', E::USER_PASSWORD, true),
            (b'$', E::USER_PASSWORD, false),
            (b'&', E::USER_PASSWORD, false),
            (b'+', E::USER_PASSWORD, false),
            (b',', E::USER_PASSWORD, false),
            (b';', E::USER_PASSWORD, false),
            (b'=', E::USER_PASSWORD, false),
            // Host (section 3.2.2)
            (b'!', E::HOST, false),
            (b'$', E::HOST, false),
            (b'&', E::HOST, false),
            (b'\'', E::HOST, false),
            (b'(', E::HOST, false),
            (b')', E::HOST, false),
            (b'*', E::HOST, false),
            (b'+', E::HOST, false),
            (b',', E::HOST, false),
            (b';', E::HOST, false),
            (b'=', E::HOST, false),
            (b':', E::HOST, false),
            (b'[', E::HOST, false),
            (b']', E::HOST, false),
            (b'0', E::HOST, false),
            (b'9', E::HOST, false),
            (b'A', E::HOST, false),
            (b'z', E::HOST, false),
            (b'_', E::HOST, false),
            (b'-', E::HOST, false),
            (b'.', E::HOST, false),
        ];
        assert_eq!(tests.len(), 48);
        for &(c, mode, want) in tests {
            assert_eq!(
                should_escape(c, mode),
                want,
                "{:?} in {mode:?}",
                char::from(c)
            );
        }
        // Bytes outside ASCII are escaped in every component.
        for c in 0x80..=0xff {
            assert!(Encoding::ALL.iter().all(|&m| should_escape(c, m)));
        }
    }

    #[test]
    fn parse_addr_messages() {
        let tests: &[(&str, Result<Family, &str>)] = &[
            ("::1", Ok(Family::V6)),
            ("fe80::1%en0", Ok(Family::V6)),
            ("::ffff:1.2.3.4", Ok(Family::V6)),
            ("1.2.3.4", Ok(Family::V4)),
            (
                "not-an-ip",
                Err(r#"ParseAddr("not-an-ip"): unable to parse IP"#),
            ),
            ("%x", Err(r#"ParseAddr("%x"): missing IPv6 address"#)),
            (
                "fe80::1%",
                Err(r#"ParseAddr("fe80::1%"): zone must be a non-empty string"#),
            ),
            (
                "1:2:3:4:5:6:7:8:9",
                Err(r#"ParseAddr("1:2:3:4:5:6:7:8:9"): trailing garbage after address (at "9")"#),
            ),
            (
                "1::1::1",
                Err(r#"ParseAddr("1::1::1"): multiple :: in address (at ":1")"#),
            ),
            (
                "1:2:3:",
                Err(r#"ParseAddr("1:2:3:"): colon must be followed by more characters (at ":")"#),
            ),
            (
                "ffff::127.0.0.4000",
                Err(r#"ParseAddr("ffff::127.0.0.4000"): IPv4 field has value >255"#),
            ),
            (
                "0:0::test.com",
                Err(
                    r#"ParseAddr("0:0::test.com"): each colon-separated field must have at least one digit (at "test.com")"#,
                ),
            ),
            (
                "12345::",
                Err(
                    r#"ParseAddr("12345::"): each group must have 4 or less digits (at "12345::")"#,
                ),
            ),
            ("1:2", Err(r#"ParseAddr("1:2"): address string too short"#)),
            (
                "1:2:3:4:5:6:7::8",
                Err(
                    r#"ParseAddr("1:2:3:4:5:6:7::8"): the :: must expand to at least one field of zeros"#,
                ),
            ),
            (
                "1:2:3:4:5:6:1.2.3.4.5",
                Err(r#"ParseAddr("1:2:3:4:5:6:1.2.3.4.5"): IPv4 address too long"#),
            ),
            (
                "1:2:3:4:5:1.2.3.4",
                Err(
                    r#"ParseAddr("1:2:3:4:5:1.2.3.4"): embedded IPv4 address must replace the final 2 fields of the address (at "1.2.3.4")"#,
                ),
            ),
            (
                "1:2:3:4:5:6:7::1.2.3.4",
                Err(
                    r#"ParseAddr("1:2:3:4:5:6:7::1.2.3.4"): too many hex fields to fit an embedded IPv4 at the end of the address (at "1.2.3.4")"#,
                ),
            ),
            (
                "1.2.3.4%eth0",
                Err(r#"ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")"#),
            ),
            (
                "1.2.3.04",
                Err(r#"ParseAddr("1.2.3.04"): IPv4 field has octet with leading zero"#),
            ),
            (
                "1.2..4",
                Err(r#"ParseAddr("1.2..4"): IPv4 field must have at least one digit (at ".4")"#),
            ),
            (
                "1.2.3",
                Err(r#"ParseAddr("1.2.3"): IPv4 address too short"#),
            ),
            (
                "1:x",
                Err(
                    r#"ParseAddr("1:x"): each colon-separated field must have at least one digit (at "x")"#,
                ),
            ),
            (
                "1x:",
                Err(r#"ParseAddr("1x:"): unexpected character, want colon (at "x:")"#),
            ),
        ];
        for (input, want) in tests {
            let got = parse_addr(input.as_bytes());
            assert_eq!(
                got.as_ref().map_err(String::as_str),
                want.as_ref().map_err(|s| *s),
                "{input:?}"
            );
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(go_quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote(b"\x00\x7f\n\t"), r#""\x00\x7f\n\t""#);
        assert_eq!(go_quote(b"%\xe4\xb8"), r#""%\xe4\xb8""#);
        assert_eq!(
            go_quote("é世\u{a0}\u{200b}\u{1F600}".as_bytes()),
            "\"é世\\u00a0\\u200b\u{1F600}\""
        );
        assert_eq!(go_quote("\u{9d2cf}".as_bytes()), r#""\U0009d2cf""#);
    }
}
