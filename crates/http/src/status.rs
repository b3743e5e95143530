//! Mirrors Go src/net/http/status.go (go1.27): the status codes registered with IANA and their reason phrases.
//!
//! Go spells a status as a plain `int` constant (`http.StatusNotFound`); so
//! does gort, as a `u16` (`STATUS_NOT_FOUND`). [`status_text`] gives the
//! reason phrase the server writes after the code in a status line. The
//! `http` crate's `StatusCode` converts to and from these numbers for code
//! that mixes gort-http with the hyper ecosystem.

macro_rules! status_codes {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        $(
            #[doc = concat!("`", stringify!($code), " ", $text, "`.")]
            pub const $name: u16 = $code;
        )*

        /// The reason phrase for an HTTP status code (`"Not Found"` for 404),
        /// or `""` for a code with none, as Go's `StatusText`.
        #[doc(alias = "StatusText")]
        pub fn status_text(code: u16) -> &'static str {
            match code {
                $($code => $text,)*
                _ => "",
            }
        }
    };
}

status_codes! {
    STATUS_CONTINUE = 100, "Continue"; // RFC 9110, 15.2.1
    STATUS_SWITCHING_PROTOCOLS = 101, "Switching Protocols"; // RFC 9110, 15.2.2
    STATUS_PROCESSING = 102, "Processing"; // RFC 2518, 10.1
    STATUS_EARLY_HINTS = 103, "Early Hints"; // RFC 8297
    STATUS_OK = 200, "OK"; // RFC 9110, 15.3.1
    STATUS_CREATED = 201, "Created"; // RFC 9110, 15.3.2
    STATUS_ACCEPTED = 202, "Accepted"; // RFC 9110, 15.3.3
    STATUS_NON_AUTHORITATIVE_INFO = 203, "Non-Authoritative Information"; // RFC 9110, 15.3.4
    STATUS_NO_CONTENT = 204, "No Content"; // RFC 9110, 15.3.5
    STATUS_RESET_CONTENT = 205, "Reset Content"; // RFC 9110, 15.3.6
    STATUS_PARTIAL_CONTENT = 206, "Partial Content"; // RFC 9110, 15.3.7
    STATUS_MULTI_STATUS = 207, "Multi-Status"; // RFC 4918, 11.1
    STATUS_ALREADY_REPORTED = 208, "Already Reported"; // RFC 5842, 7.1
    STATUS_IM_USED = 226, "IM Used"; // RFC 3229, 10.4.1
    STATUS_MULTIPLE_CHOICES = 300, "Multiple Choices"; // RFC 9110, 15.4.1
    STATUS_MOVED_PERMANENTLY = 301, "Moved Permanently"; // RFC 9110, 15.4.2
    STATUS_FOUND = 302, "Found"; // RFC 9110, 15.4.3
    STATUS_SEE_OTHER = 303, "See Other"; // RFC 9110, 15.4.4
    STATUS_NOT_MODIFIED = 304, "Not Modified"; // RFC 9110, 15.4.5
    STATUS_USE_PROXY = 305, "Use Proxy"; // RFC 9110, 15.4.6
    STATUS_TEMPORARY_REDIRECT = 307, "Temporary Redirect"; // RFC 9110, 15.4.8
    STATUS_PERMANENT_REDIRECT = 308, "Permanent Redirect"; // RFC 9110, 15.4.9
    STATUS_BAD_REQUEST = 400, "Bad Request"; // RFC 9110, 15.5.1
    STATUS_UNAUTHORIZED = 401, "Unauthorized"; // RFC 9110, 15.5.2
    STATUS_PAYMENT_REQUIRED = 402, "Payment Required"; // RFC 9110, 15.5.3
    STATUS_FORBIDDEN = 403, "Forbidden"; // RFC 9110, 15.5.4
    STATUS_NOT_FOUND = 404, "Not Found"; // RFC 9110, 15.5.5
    STATUS_METHOD_NOT_ALLOWED = 405, "Method Not Allowed"; // RFC 9110, 15.5.6
    STATUS_NOT_ACCEPTABLE = 406, "Not Acceptable"; // RFC 9110, 15.5.7
    STATUS_PROXY_AUTH_REQUIRED = 407, "Proxy Authentication Required"; // RFC 9110, 15.5.8
    STATUS_REQUEST_TIMEOUT = 408, "Request Timeout"; // RFC 9110, 15.5.9
    STATUS_CONFLICT = 409, "Conflict"; // RFC 9110, 15.5.10
    STATUS_GONE = 410, "Gone"; // RFC 9110, 15.5.11
    STATUS_LENGTH_REQUIRED = 411, "Length Required"; // RFC 9110, 15.5.12
    STATUS_PRECONDITION_FAILED = 412, "Precondition Failed"; // RFC 9110, 15.5.13
    STATUS_REQUEST_ENTITY_TOO_LARGE = 413, "Request Entity Too Large"; // RFC 9110, 15.5.14
    STATUS_REQUEST_URI_TOO_LONG = 414, "Request URI Too Long"; // RFC 9110, 15.5.15
    STATUS_UNSUPPORTED_MEDIA_TYPE = 415, "Unsupported Media Type"; // RFC 9110, 15.5.16
    STATUS_REQUESTED_RANGE_NOT_SATISFIABLE = 416, "Requested Range Not Satisfiable"; // RFC 9110, 15.5.17
    STATUS_EXPECTATION_FAILED = 417, "Expectation Failed"; // RFC 9110, 15.5.18
    STATUS_TEAPOT = 418, "I'm a teapot"; // RFC 9110, 15.5.19 (Unused)
    STATUS_MISDIRECTED_REQUEST = 421, "Misdirected Request"; // RFC 9110, 15.5.20
    STATUS_UNPROCESSABLE_ENTITY = 422, "Unprocessable Entity"; // RFC 9110, 15.5.21
    STATUS_LOCKED = 423, "Locked"; // RFC 4918, 11.3
    STATUS_FAILED_DEPENDENCY = 424, "Failed Dependency"; // RFC 4918, 11.4
    STATUS_TOO_EARLY = 425, "Too Early"; // RFC 8470, 5.2.
    STATUS_UPGRADE_REQUIRED = 426, "Upgrade Required"; // RFC 9110, 15.5.22
    STATUS_PRECONDITION_REQUIRED = 428, "Precondition Required"; // RFC 6585, 3
    STATUS_TOO_MANY_REQUESTS = 429, "Too Many Requests"; // RFC 6585, 4
    STATUS_REQUEST_HEADER_FIELDS_TOO_LARGE = 431, "Request Header Fields Too Large"; // RFC 6585, 5
    STATUS_UNAVAILABLE_FOR_LEGAL_REASONS = 451, "Unavailable For Legal Reasons"; // RFC 7725, 3
    STATUS_INTERNAL_SERVER_ERROR = 500, "Internal Server Error"; // RFC 9110, 15.6.1
    STATUS_NOT_IMPLEMENTED = 501, "Not Implemented"; // RFC 9110, 15.6.2
    STATUS_BAD_GATEWAY = 502, "Bad Gateway"; // RFC 9110, 15.6.3
    STATUS_SERVICE_UNAVAILABLE = 503, "Service Unavailable"; // RFC 9110, 15.6.4
    STATUS_GATEWAY_TIMEOUT = 504, "Gateway Timeout"; // RFC 9110, 15.6.5
    STATUS_HTTP_VERSION_NOT_SUPPORTED = 505, "HTTP Version Not Supported"; // RFC 9110, 15.6.6
    STATUS_VARIANT_ALSO_NEGOTIATES = 506, "Variant Also Negotiates"; // RFC 2295, 8.1
    STATUS_INSUFFICIENT_STORAGE = 507, "Insufficient Storage"; // RFC 4918, 11.5
    STATUS_LOOP_DETECTED = 508, "Loop Detected"; // RFC 5842, 7.2
    STATUS_NOT_EXTENDED = 510, "Not Extended"; // RFC 2774, 7
    STATUS_NETWORK_AUTHENTICATION_REQUIRED = 511, "Network Authentication Required"; // RFC 6585, 6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases_match_go() {
        assert_eq!(status_text(STATUS_OK), "OK");
        assert_eq!(status_text(STATUS_TEAPOT), "I'm a teapot");
        assert_eq!(
            status_text(STATUS_REQUEST_HEADER_FIELDS_TOO_LARGE),
            "Request Header Fields Too Large"
        );
        assert_eq!(status_text(306), "");
        assert_eq!(status_text(999), "");
    }
}
