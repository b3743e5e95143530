//! Mirrors Go src/net/http/request.go (go1.27): `Request`, reading one from a connection, and its forms.

use crate::header::Header;
use crate::transfer::Body;
use crate::url::{URL, Values};

/// An HTTP request received by a server (Go's `http.Request`).
///
/// The fields are public as Go's are; a handler gets `&mut Request` and may
/// read the body, parse forms and look at the path values its pattern
/// matched.
#[derive(Debug, Default)]
pub struct Request {
    /// The method (`GET`, `POST`, ...).
    pub method: String,
    /// The parsed request target. For a server request, `url.path` is
    /// decoded and `url.raw_query` is the query without the `?`.
    pub url: URL,
    /// The protocol version, `"HTTP/1.1"`.
    pub proto: String,
    /// The major protocol version (1).
    pub proto_major: u8,
    /// The minor protocol version (0 or 1).
    pub proto_minor: u8,
    /// The header fields, keys canonical. `Host` is moved to [`Request::host`].
    pub header: Header,
    /// The body; empty for a request without one.
    pub body: Body,
    /// The body's length, -1 when unknown (chunked).
    pub content_length: i64,
    /// The transfer codings, outermost first (`["chunked"]` or empty).
    pub transfer_encoding: Vec<String>,
    /// Whether the connection closes after this request (HTTP/1.0 without
    /// keep-alive, or `Connection: close`).
    pub close: bool,
    /// The host the request is for: the `Host` header or the host in an
    /// absolute request target.
    pub host: String,
    /// The parsed query and form body, after [`Request::parse_form`].
    pub form: Option<Values>,
    /// The parsed form body only, after [`Request::parse_form`].
    pub post_form: Option<Values>,
    /// The peer's address, `"ip:port"`.
    pub remote_addr: String,
    /// The unmodified request target from the request line.
    pub request_uri: String,
    /// The ServeMux pattern that matched, `""` if none did.
    pub pattern: String,
    /// The wildcard names of the matched pattern and their values.
    pub(crate) path_values: Vec<(String, String)>,
}

impl Request {
    /// The value the wildcard `name` of the matched pattern took, `""` if
    /// there is no such wildcard (Go's `Request.PathValue`).
    pub fn path_value(&self, name: &str) -> &str {
        self.path_values
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Sets the value `path_value(name)` returns (Go's `Request.SetPathValue`).
    pub fn set_path_value(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.path_values.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.path_values.push((name.to_string(), value)),
        }
    }
}
