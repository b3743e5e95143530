//! Mirrors Go src/net/http/method.go (go1.27): the request method names.
//!
//! Go spells methods as string constants (`http.MethodGet`), and a request's
//! method is a plain string, since an extension method is any token. So does
//! gort: `METHOD_GET` is `"GET"`, and `Request::method` is a `String`.

/// `GET`.
pub const METHOD_GET: &str = "GET";
/// `HEAD`.
pub const METHOD_HEAD: &str = "HEAD";
/// `POST`.
pub const METHOD_POST: &str = "POST";
/// `PUT`.
pub const METHOD_PUT: &str = "PUT";
/// `PATCH` (RFC 5789).
pub const METHOD_PATCH: &str = "PATCH";
/// `DELETE`.
pub const METHOD_DELETE: &str = "DELETE";
/// `CONNECT`.
pub const METHOD_CONNECT: &str = "CONNECT";
/// `OPTIONS`.
pub const METHOD_OPTIONS: &str = "OPTIONS";
/// `TRACE`.
pub const METHOD_TRACE: &str = "TRACE";

/// Whether `method` is a valid method token (RFC 9110 §9.1: a non-empty run
/// of `tchar`), Go's `validMethod`.
pub(crate) fn valid_method(method: &str) -> bool {
    crate::textproto::valid_header_field_name(method)
}
