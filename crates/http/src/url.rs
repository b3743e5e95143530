//! Mirrors Go src/net/url/url.go (go1.27): URL parsing and escaping by Go's rules, and `Values`, the decoded query string.
//!
//! PLACEHOLDER during development: replaced by the full port.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed URL (Go's `url.URL`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct URL {
    /// `http`, `https`, ... (lower case).
    pub scheme: String,
    /// Encoded opaque data.
    pub opaque: String,
    /// Host or host:port.
    pub host: String,
    /// Path (decoded).
    pub path: String,
    /// Encoded path hint.
    pub raw_path: String,
    /// Encoded query values, without '?'.
    pub raw_query: String,
    /// Fragment, decoded.
    pub fragment: String,
}

/// A URL parse error (Go's `url.Error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The operation.
    pub op: String,
    /// The URL.
    pub url: String,
    /// What was wrong.
    pub err: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.op, self.url, self.err)
    }
}
impl std::error::Error for Error {}

/// Parses a request target.
pub fn parse_request_uri(raw: &str) -> Result<URL, Error> {
    let (p, q) = raw.split_once('?').unwrap_or((raw, ""));
    if !p.starts_with('/') && p != "*" {
        return Err(Error { op: "parse".into(), url: raw.into(), err: "invalid URI for request".into() });
    }
    Ok(URL { path: p.into(), raw_query: q.into(), ..URL::default() })
}

impl URL {
    /// The decoded query.
    pub fn query(&self) -> Values {
        parse_query(&self.raw_query).unwrap_or_default()
    }
    /// The escaped path.
    pub fn escaped_path(&self) -> String {
        self.path.clone()
    }
    /// path?query.
    pub fn request_uri(&self) -> String {
        if self.raw_query.is_empty() { self.path.clone() } else { format!("{}?{}", self.path, self.raw_query) }
    }
}

/// A query string's keys and values (Go's `url.Values`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values(pub BTreeMap<String, Vec<String>>);

impl Values {
    /// First value or "".
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).and_then(|v| v.first()).map_or("", String::as_str)
    }
    /// Append.
    pub fn add(&mut self, key: &str, value: &str) {
        self.0.entry(key.into()).or_default().push(value.into());
    }
}

/// Parses a query string.
pub fn parse_query(q: &str) -> Result<Values, Error> {
    let mut v = Values::default();
    for kv in q.split('&').filter(|s| !s.is_empty()) {
        let (k, val) = kv.split_once('=').unwrap_or((kv, ""));
        v.add(k, val);
    }
    Ok(v)
}
