//! Mirrors Go src/net/http/header.go (go1.27): `Header`, the key/values map of a request or response head, and how it is written.
//!
//! Go's `Header` is a `map[string][]string` whose keys are kept in canonical
//! form by its methods (`Get("content-type")` finds `Content-Type`) and which
//! is written sorted by key. gort keeps the same contract over a vector
//! sorted by key: heads are small (a dozen fields), so a binary search over
//! contiguous entries beats hashing, and writing in Go's order needs no sort.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use crate::textproto::{canonical_mime_header_key, valid_header_field_name};

/// The fields of a request or response head (Go's `http.Header`). Keys are
/// canonicalized by every method that takes one, as Go's are.
///
/// ```
/// let mut h = gort_http::Header::new();
/// h.add("accept", "text/html");
/// h.add("Accept", "application/json");
/// h.set("x-request-id", "7");
/// assert_eq!(h.get("ACCEPT"), "text/html");
/// assert_eq!(h.values("Accept"), ["text/html", "application/json"]);
/// assert_eq!(h.get("X-Request-Id"), "7");
/// h.del("accept");
/// assert!(!h.has("Accept"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Sorted by key, keys unique. A key is canonical unless it came in
    /// through [`Header::insert_raw`] or holds bytes canonicalization leaves
    /// alone; an entry's value list is never empty.
    entries: Vec<(String, Vec<String>)>,
}

impl Header {
    /// An empty header.
    pub fn new() -> Header {
        Header::default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Appends `value` to the values of `key` (Go's `Header.Add`).
    pub fn add(&mut self, key: &str, value: impl Into<String>) {
        let key = canonical_mime_header_key(key);
        self.insert_raw(key, value.into());
    }

    /// Appends to `key` as given, without canonicalizing it: the parser uses
    /// this with keys it has canonicalized already.
    pub(crate) fn insert_raw(&mut self, key: Cow<'_, str>, value: String) {
        match self.find(&key) {
            Ok(i) => self.entries[i].1.push(value),
            Err(i) => self.entries.insert(i, (key.into_owned(), vec![value])),
        }
    }

    /// Replaces the values of `key` with the single `value` (Go's `Header.Set`).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let key = canonical_mime_header_key(key);
        let value = value.into();
        match self.find(&key) {
            Ok(i) => self.entries[i].1 = vec![value],
            Err(i) => self.entries.insert(i, (key.into_owned(), vec![value])),
        }
    }

    /// The first value of `key`, or `""` when it has none (Go's `Header.Get`).
    pub fn get(&self, key: &str) -> &str {
        self.values(key).first().map_or("", String::as_str)
    }

    /// All values of `key`, in the order they were added (Go's `Header.Values`).
    pub fn values(&self, key: &str) -> &[String] {
        let key = canonical_mime_header_key(key);
        match self.find(&key) {
            Ok(i) => &self.entries[i].1,
            Err(_) => &[],
        }
    }

    /// [`values`](Header::values) for a key already in canonical form (the
    /// server's literals): no canonicalization pass.
    pub(crate) fn values_c(&self, key: &str) -> &[String] {
        debug_assert_eq!(canonical_mime_header_key(key), key);
        match self.find(key) {
            Ok(i) => &self.entries[i].1,
            Err(_) => &[],
        }
    }

    /// [`get`](Header::get) for a canonical key.
    pub(crate) fn get_c(&self, key: &str) -> &str {
        self.values_c(key).first().map_or("", String::as_str)
    }

    /// [`has`](Header::has) for a canonical key.
    pub(crate) fn has_c(&self, key: &str) -> bool {
        !self.values_c(key).is_empty()
    }

    /// [`del`](Header::del) for a canonical key.
    pub(crate) fn del_c(&mut self, key: &str) {
        debug_assert_eq!(canonical_mime_header_key(key), key);
        if let Ok(i) = self.find(key) {
            self.entries.remove(i);
        }
    }

    /// Whether `key` has any value (Go's `_, ok := h[key]`).
    pub fn has(&self, key: &str) -> bool {
        self.find(&canonical_mime_header_key(key)).is_ok()
    }

    /// Removes every value of `key` (Go's `Header.Del`).
    pub fn del(&mut self, key: &str) {
        if let Ok(i) = self.find(&canonical_mime_header_key(key)) {
            self.entries.remove(i);
        }
    }

    /// The number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the header has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The keys and their values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Writes the header in wire format, one `Key: value\r\n` line per value,
    /// sorted by key, leaving out the keys in `exclude` (canonical form) and
    /// keys that are not valid field names; a CR or LF inside a value is
    /// written as a space so a value cannot start a new field (Go's
    /// `Header.WriteSubset`).
    #[doc(alias = "WriteSubset")]
    pub fn write_subset(&self, w: &mut dyn Write, exclude: &[&str]) -> io::Result<()> {
        for (key, values) in &self.entries {
            if exclude.contains(&key.as_str()) || !valid_header_field_name(key) {
                continue;
            }
            for v in values {
                w.write_all(key.as_bytes())?;
                w.write_all(b": ")?;
                if v.bytes().any(|b| b == b'\r' || b == b'\n') {
                    let clean: String = v
                        .chars()
                        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                        .collect();
                    w.write_all(crate::textproto::trim_string(&clean).as_bytes())?;
                } else {
                    w.write_all(crate::textproto::trim_string(v).as_bytes())?;
                }
                w.write_all(b"\r\n")?;
            }
        }
        Ok(())
    }

    /// Writes the whole header in wire format (Go's `Header.Write`).
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        self.write_subset(w, &[])
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Header {
    type Item = (&'a str, &'a [String]);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a [String])> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl From<&http::HeaderMap> for Header {
    /// Copies an `http::HeaderMap`; values that are not UTF-8 are decoded
    /// lossily.
    fn from(map: &http::HeaderMap) -> Header {
        let mut h = Header::new();
        for (k, v) in map {
            h.add(
                k.as_str(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            );
        }
        h
    }
}

impl TryFrom<&Header> for http::HeaderMap {
    type Error = http::Error;
    /// Copies into an `http::HeaderMap`, failing on a key or value that it
    /// rejects.
    fn try_from(h: &Header) -> Result<http::HeaderMap, http::Error> {
        let mut map = http::HeaderMap::new();
        for (k, vs) in h.iter() {
            let name = http::header::HeaderName::from_bytes(k.as_bytes())?;
            for v in vs {
                map.append(name.clone(), http::HeaderValue::from_str(v)?);
            }
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(h: &Header, exclude: &[&str]) -> String {
        let mut out = Vec::new();
        h.write_subset(&mut out, exclude).unwrap();
        String::from_utf8(out).unwrap()
    }

    // After the shapes of Go's headerWriteTests (header_test.go).
    #[test]
    fn writes_sorted_excluded_and_without_line_breaks() {
        let mut h = Header::new();
        assert_eq!(written(&h, &[]), "");

        let mut h1 = Header::new();
        h1.add("Content-Type", "text/html; charset=UTF-8");
        h1.add("Content-Length", "0");
        assert_eq!(
            written(&h1, &[]),
            "Content-Length: 0\r\nContent-Type: text/html; charset=UTF-8\r\n"
        );

        h.add("Content-Length", "0\r\n");
        assert_eq!(written(&h, &[]), "Content-Length: 0\r\n");

        let mut h = Header::new();
        h.add("Content-Length", "0\n");
        h.add("Content-Length", "1\r");
        h.add("Content-Type", "\r\nthis is a dangerous header");
        assert_eq!(
            written(&h, &[]),
            "Content-Length: 0\r\nContent-Length: 1\r\nContent-Type: this is a dangerous header\r\n"
        );

        let mut h = Header::new();
        h.add("Blank", "");
        h.add("Double", "1");
        h.add("Double", "2");
        h.add("Hyphenated-Key", "a");
        assert_eq!(written(&h, &["Double"]), "Blank: \r\nHyphenated-Key: a\r\n");

        let mut h = Header::new();
        h.add("k1", "1a");
        h.add("k1", "1b");
        h.add("k2", "2a");
        assert_eq!(written(&h, &["K1"]), "K2: 2a\r\n");
        assert_eq!(written(&h, &["K2"]), "K1: 1a\r\nK1: 1b\r\n");
    }

    #[test]
    fn invalid_keys_are_not_written() {
        let mut h = Header::new();
        h.insert_raw(Cow::Borrowed("Bad Key"), "x".into());
        h.set("Good", "y");
        assert_eq!(written(&h, &[]), "Good: y\r\n");
    }

    #[test]
    fn converts_to_and_from_http_header_map() {
        let mut h = Header::new();
        h.add("x-a", "1");
        h.add("X-A", "2");
        h.set("content-type", "text/plain");
        let map = http::HeaderMap::try_from(&h).unwrap();
        assert_eq!(map.get_all("x-a").iter().count(), 2);
        assert_eq!(Header::from(&map), h);
    }
}
