//! Go's `net/url` test tables (src/net/url/url_test.go, go1.27), row for
//! row, against gort-http's `url` module. Rows that need a Go-only feature
//! are left out where the table is, with the reason.

use gort_http::url::{
    self, EscapeError, URL, Userinfo, Values, join_path, parse, parse_query, parse_query_into,
    parse_request_uri, path_escape, path_unescape, query_escape, query_unescape, user,
    user_password,
};

/// Converts a table cell into the type of the `URL` field it fills.
trait Cell<T> {
    fn cell(self) -> T;
}
impl Cell<String> for &str {
    fn cell(self) -> String {
        self.to_string()
    }
}
impl Cell<bool> for bool {
    fn cell(self) -> bool {
        self
    }
}
impl Cell<Option<Userinfo>> for Userinfo {
    fn cell(self) -> Option<Userinfo> {
        Some(self)
    }
}

/// A `URL` literal in the shape of Go's `&URL{Scheme: "http", ...}`.
macro_rules! url {
    ($($field:ident : $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut u = URL::default();
        $( u.$field = Cell::cell($value); )*
        u
    }};
}

/// A `Values` literal: each key with its list.
fn vals(pairs: &[(&str, &[&str])]) -> Values {
    let mut v = Values::default();
    for (k, vs) in pairs {
        v.0.insert(k.to_string(), vs.iter().map(|s| s.to_string()).collect());
    }
    v
}

/// Go's urltests (62 rows): input, expected parse, expected String ("" = same as input).
fn urltests() -> Vec<(&'static str, URL, &'static str)> {
    vec![
        (
            "http://www.google.com",
            url!(scheme: "http", host: "www.google.com"),
            "",
        ),
        (
            "http://www.google.com/",
            url!(scheme: "http", host: "www.google.com", path: "/"),
            "",
        ),
        (
            "http://www.google.com/file%20one%26two",
            url!(scheme: "http", host: "www.google.com", path: "/file one&two", raw_path: "/file%20one%26two"),
            "",
        ),
        (
            "http://www.google.com/#file%20one%26two",
            url!(scheme: "http", host: "www.google.com", path: "/", fragment: "file one&two", raw_fragment: "file%20one%26two"),
            "",
        ),
        (
            "ftp://webmaster@www.google.com/",
            url!(scheme: "ftp", user: user("webmaster"), host: "www.google.com", path: "/"),
            "",
        ),
        (
            "ftp://john%20doe@www.google.com/",
            url!(scheme: "ftp", user: user("john doe"), host: "www.google.com", path: "/"),
            "ftp://john%20doe@www.google.com/",
        ),
        (
            "http://www.google.com/?",
            url!(scheme: "http", host: "www.google.com", path: "/", force_query: true),
            "",
        ),
        (
            "http://www.google.com/?foo=bar?",
            url!(scheme: "http", host: "www.google.com", path: "/", raw_query: "foo=bar?"),
            "",
        ),
        (
            "http://www.google.com/?q=go+language",
            url!(scheme: "http", host: "www.google.com", path: "/", raw_query: "q=go+language"),
            "",
        ),
        (
            "http://www.google.com/?q=go%20language",
            url!(scheme: "http", host: "www.google.com", path: "/", raw_query: "q=go%20language"),
            "",
        ),
        (
            "http://www.google.com/a%20b?q=c+d",
            url!(scheme: "http", host: "www.google.com", path: "/a b", raw_query: "q=c+d"),
            "",
        ),
        (
            "http:www.google.com/?q=go+language",
            url!(scheme: "http", opaque: "www.google.com/", raw_query: "q=go+language"),
            "http:www.google.com/?q=go+language",
        ),
        (
            "http:%2f%2fwww.google.com/?q=go+language",
            url!(scheme: "http", opaque: "%2f%2fwww.google.com/", raw_query: "q=go+language"),
            "http:%2f%2fwww.google.com/?q=go+language",
        ),
        (
            "mailto:/webmaster@golang.org",
            url!(scheme: "mailto", path: "/webmaster@golang.org", omit_host: true),
            "",
        ),
        (
            "mailto:webmaster@golang.org",
            url!(scheme: "mailto", opaque: "webmaster@golang.org"),
            "",
        ),
        (
            "/foo?query=http://bad",
            url!(path: "/foo", raw_query: "query=http://bad"),
            "",
        ),
        ("//foo", url!(host: "foo"), ""),
        (
            "//user@foo/path?a=b",
            url!(user: user("user"), host: "foo", path: "/path", raw_query: "a=b"),
            "",
        ),
        ("///threeslashes", url!(path: "///threeslashes"), ""),
        (
            "http://user:password@google.com",
            url!(scheme: "http", user: user_password("user", "password"), host: "google.com"),
            "http://user:password@google.com",
        ),
        (
            "http://j@ne:password@google.com",
            url!(scheme: "http", user: user_password("j@ne", "password"), host: "google.com"),
            "http://j%40ne:password@google.com",
        ),
        (
            "http://jane:p@ssword@google.com",
            url!(scheme: "http", user: user_password("jane", "p@ssword"), host: "google.com"),
            "http://jane:p%40ssword@google.com",
        ),
        (
            "http://j@ne:password@google.com/p@th?q=@go",
            url!(scheme: "http", user: user_password("j@ne", "password"), host: "google.com", path: "/p@th", raw_query: "q=@go"),
            "http://j%40ne:password@google.com/p@th?q=@go",
        ),
        (
            "http://www.google.com/?q=go+language#foo",
            url!(scheme: "http", host: "www.google.com", path: "/", raw_query: "q=go+language", fragment: "foo"),
            "",
        ),
        (
            "http://www.google.com/?q=go+language#foo&bar",
            url!(scheme: "http", host: "www.google.com", path: "/", raw_query: "q=go+language", fragment: "foo&bar"),
            "http://www.google.com/?q=go+language#foo&bar",
        ),
        (
            "http://www.google.com/?q=go+language#foo%26bar",
            url!(scheme: "http", host: "www.google.com", path: "/", raw_query: "q=go+language", fragment: "foo&bar", raw_fragment: "foo%26bar"),
            "http://www.google.com/?q=go+language#foo%26bar",
        ),
        (
            "file:///home/adg/rabbits",
            url!(scheme: "file", path: "/home/adg/rabbits"),
            "file:///home/adg/rabbits",
        ),
        (
            "file:///C:/FooBar/Baz.txt",
            url!(scheme: "file", path: "/C:/FooBar/Baz.txt"),
            "file:///C:/FooBar/Baz.txt",
        ),
        (
            "MaIlTo:webmaster@golang.org",
            url!(scheme: "mailto", opaque: "webmaster@golang.org"),
            "mailto:webmaster@golang.org",
        ),
        ("a/b/c", url!(path: "a/b/c"), "a/b/c"),
        (
            "http://%3Fam:pa%3Fsword@google.com",
            url!(scheme: "http", user: user_password("?am", "pa?sword"), host: "google.com"),
            "",
        ),
        (
            "http://192.168.0.1/",
            url!(scheme: "http", host: "192.168.0.1", path: "/"),
            "",
        ),
        (
            "http://192.168.0.1:8080/",
            url!(scheme: "http", host: "192.168.0.1:8080", path: "/"),
            "",
        ),
        (
            "http://[fe80::1]/",
            url!(scheme: "http", host: "[fe80::1]", path: "/"),
            "",
        ),
        (
            "http://[fe80::1]:8080/",
            url!(scheme: "http", host: "[fe80::1]:8080", path: "/"),
            "",
        ),
        (
            "https://[2001:db8::1]:8443/test/path",
            url!(scheme: "https", host: "[2001:db8::1]:8443", path: "/test/path"),
            "",
        ),
        (
            "http://[fe80::1%25en0]/",
            url!(scheme: "http", host: "[fe80::1%en0]", path: "/"),
            "",
        ),
        (
            "http://[fe80::1%25en0]:8080/",
            url!(scheme: "http", host: "[fe80::1%en0]:8080", path: "/"),
            "",
        ),
        (
            "http://[fe80::1%25%65%6e%301-._~]/",
            url!(scheme: "http", host: "[fe80::1%en01-._~]", path: "/"),
            "http://[fe80::1%25en01-._~]/",
        ),
        (
            "http://[fe80::1%25%65%6e%301-._~]:8080/",
            url!(scheme: "http", host: "[fe80::1%en01-._~]:8080", path: "/"),
            "http://[fe80::1%25en01-._~]:8080/",
        ),
        (
            "http://rest.rsc.io/foo%2fbar/baz%2Fquux?alt=media",
            url!(scheme: "http", host: "rest.rsc.io", path: "/foo/bar/baz/quux", raw_path: "/foo%2fbar/baz%2Fquux", raw_query: "alt=media"),
            "",
        ),
        (
            "mysql://a,b,c/bar",
            url!(scheme: "mysql", host: "a,b,c", path: "/bar"),
            "",
        ),
        (
            "scheme://!$&'()*+,;=hello!:1/path",
            url!(scheme: "scheme", host: "!$&'()*+,;=hello!:1", path: "/path"),
            "",
        ),
        (
            "http://host/!$&'()*+,;=:@[hello]",
            url!(scheme: "http", host: "host", path: "/!$&'()*+,;=:@[hello]", raw_path: "/!$&'()*+,;=:@[hello]"),
            "",
        ),
        (
            "http://example.com/oid/[order_id]",
            url!(scheme: "http", host: "example.com", path: "/oid/[order_id]", raw_path: "/oid/[order_id]"),
            "",
        ),
        (
            "http://192.168.0.2:8080/foo",
            url!(scheme: "http", host: "192.168.0.2:8080", path: "/foo"),
            "",
        ),
        (
            "http://192.168.0.2:/foo",
            url!(scheme: "http", host: "192.168.0.2:", path: "/foo"),
            "",
        ),
        (
            "http://[2b01:e34:ef40:7730:8e70:5aff:fefe:edac]:8080/foo",
            url!(scheme: "http", host: "[2b01:e34:ef40:7730:8e70:5aff:fefe:edac]:8080", path: "/foo"),
            "",
        ),
        (
            "http://[2b01:e34:ef40:7730:8e70:5aff:fefe:edac]:/foo",
            url!(scheme: "http", host: "[2b01:e34:ef40:7730:8e70:5aff:fefe:edac]:", path: "/foo"),
            "",
        ),
        (
            "http://hello.世界.com/foo",
            url!(scheme: "http", host: "hello.世界.com", path: "/foo"),
            "http://hello.%E4%B8%96%E7%95%8C.com/foo",
        ),
        (
            "http://hello.%e4%b8%96%e7%95%8c.com/foo",
            url!(scheme: "http", host: "hello.世界.com", path: "/foo"),
            "http://hello.%E4%B8%96%E7%95%8C.com/foo",
        ),
        (
            "http://hello.%E4%B8%96%E7%95%8C.com/foo",
            url!(scheme: "http", host: "hello.世界.com", path: "/foo"),
            "",
        ),
        (
            "http://example.com//foo",
            url!(scheme: "http", host: "example.com", path: "//foo"),
            "",
        ),
        (
            "myscheme://authority<\"hi\">/foo",
            url!(scheme: "myscheme", host: "authority<\"hi\">", path: "/foo"),
            "",
        ),
        (
            "tcp://[2020::2020:20:2020:2020%25Windows%20Loves%20Spaces]:2020",
            url!(scheme: "tcp", host: "[2020::2020:20:2020:2020%Windows Loves Spaces]:2020"),
            "",
        ),
        (
            "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn",
            url!(scheme: "magnet", raw_query: "xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn"),
            "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn",
        ),
        (
            "mailto:?subject=hi",
            url!(scheme: "mailto", raw_query: "subject=hi"),
            "mailto:?subject=hi",
        ),
        (
            "postgres://host1:1,host2:2,host3:3",
            url!(scheme: "postgres", host: "host1:1,host2:2,host3:3"),
            "postgres://host1:1,host2:2,host3:3",
        ),
        (
            "postgresql://host1:1,host2:2,host3:3",
            url!(scheme: "postgresql", host: "host1:1,host2:2,host3:3"),
            "postgresql://host1:1,host2:2,host3:3",
        ),
        (
            "mongodb://user:password@host1:1,host2:2,host3:3",
            url!(scheme: "mongodb", user: user_password("user", "password"), host: "host1:1,host2:2,host3:3"),
            "",
        ),
        (
            "mongodb+srv://user:password@host1:1,host2:2,host3:3",
            url!(scheme: "mongodb+srv", user: user_password("user", "password"), host: "host1:1,host2:2,host3:3"),
            "",
        ),
        (
            "",
            url!(scheme: "http", path: "//host/path", omit_host: true),
            "http:%2F/host/path",
        ),
    ]
}

/// Go's parseRequestURLTests (44 rows).
const PARSE_REQUEST_URL_TESTS: &[(&str, bool)] = &[
    ("http://foo.com", true),
    ("http://foo.com/", true),
    ("http://foo.com/path", true),
    ("/", true),
    ("//not.a.user@not.a.host/just/a/path", true),
    ("//not.a.user@%66%6f%6f.com/just/a/path/also", true),
    ("*", true),
    ("http://192.168.0.1/", true),
    ("http://192.168.0.1:8080/", true),
    ("http://[fe80::1]/", true),
    ("http://[fe80::1]:8080/", true),
    ("http://[fe80::1%25en0]/", true),
    ("http://[fe80::1%25en0]:8080/", true),
    ("http://[fe80::1%25%65%6e%301-._~]/", true),
    ("http://[fe80::1%25%65%6e%301-._~]:8080/", true),
    ("foo.html", false),
    ("../dir/", false),
    (" http://foo.com", false),
    ("http://192.168.0.%31/", false),
    ("http://192.168.0.%31:8080/", false),
    ("http://[fe80::%31]/", false),
    ("http://[fe80::%31]:8080/", false),
    ("http://[fe80::%31%25en0]/", false),
    ("http://[fe80::%31%25en0]:8080/", false),
    ("http://[fe80::1%en0]/", false),
    ("http://[fe80::1%en0]:8080/", false),
    ("https://[1:2:3:4:5:6:7:8]", true),
    ("https://[2001:db8::a:b:c:d]", true),
    ("https://[fe80::1%25eth0]", true),
    ("https://[fe80::abc:def%254]", true),
    ("https://[2001:db8::1]/path", true),
    ("https://[fe80::1%25eth0]/path?query=1", true),
    ("https://[::ffff:192.0.2.1]", true),
    ("https://[:1] ", false),
    ("https://[1:2:3:4:5:6:7:8:9]", false),
    ("https://[1::1::1]", false),
    ("https://[1:2:3:]", false),
    ("https://[ffff::127.0.0.4000]", false),
    ("https://[0:0::test.com]:80", false),
    ("https://[2001:db8::test.com]", false),
    ("https://[test.com]", false),
    ("https://1:2:3:4:5:6:7:8", false),
    ("https://1:2:3:4:5:6:7:8:80", false),
    ("https://example.com:80:", false),
];

/// Go's stringURLTests (4 rows).
fn string_url_tests() -> Vec<(URL, &'static str)> {
    vec![
        (
            url!(scheme: "http", host: "www.google.com", path: "search"),
            "http://www.google.com/search",
        ),
        (url!(path: "this:that"), "./this:that"),
        (url!(path: "here/this:that"), "here/this:that"),
        (
            url!(scheme: "http", host: "www.google.com", path: "this:that"),
            "http://www.google.com/this:that",
        ),
    ]
}

/// Go's unescapeTests (13 rows): input, output, whether an error is expected.
const UNESCAPE_TESTS: &[(&str, &str, bool)] = &[
    ("", "", false),
    ("abc", "abc", false),
    ("1%41", "1A", false),
    ("1%41%42%43", "1ABC", false),
    ("%4a", "J", false),
    ("%6F", "o", false),
    ("%", "", true),
    ("%a", "", true),
    ("%1", "", true),
    ("123%45%6", "", true),
    ("%zzzzz", "", true),
    ("a+b", "a b", false),
    ("a%20b", "a b", false),
];

/// Go's queryEscapeTests (5 rows): input, output, whether an error is expected.
const QUERY_ESCAPE_TESTS: &[(&str, &str, bool)] = &[
    ("", "", false),
    ("abc", "abc", false),
    ("one two", "one+two", false),
    ("10%", "10%25", false),
    (
        " ?&=#+%!<>#\"{}|\\^[]`☺\t:/@$'()*,;",
        "+%3F%26%3D%23%2B%25%21%3C%3E%23%22%7B%7D%7C%5C%5E%5B%5D%60%E2%98%BA%09%3A%2F%40%24%27%28%29%2A%2C%3B",
        false,
    ),
];

/// Go's pathEscapeTests (7 rows): input, output, whether an error is expected.
const PATH_ESCAPE_TESTS: &[(&str, &str, bool)] = &[
    ("", "", false),
    ("abc", "abc", false),
    ("abc+def", "abc+def", false),
    ("a/b", "a%2Fb", false),
    ("one two", "one%20two", false),
    ("10%", "10%25", false),
    (
        " ?&=#+%!<>#\"{}|\\^[]`☺\t:/@$'()*,;",
        "%20%3F&=%23+%25%21%3C%3E%23%22%7B%7D%7C%5C%5E%5B%5D%60%E2%98%BA%09:%2F@$%27%28%29%2A%2C%3B",
        false,
    ),
];

/// Go's encodeQueryTests (6 rows; Go's nil and empty maps are both the empty Values).
fn encode_query_tests() -> Vec<(Values, &'static str)> {
    vec![
        (vals(&[]), ""),
        (vals(&[]), ""),
        (
            vals(&[("oe", &["utf8"]), ("q", &["puppies"])]),
            "oe=utf8&q=puppies",
        ),
        (vals(&[("q", &["dogs", "&", "7"])]), "q=dogs&q=%26&q=7"),
        (
            vals(&[
                ("a", &["a1", "a2", "a3"]),
                ("b", &["b1", "b2", "b3"]),
                ("c", &["c1", "c2", "c3"]),
            ]),
            "a=a1&a=a2&a=a3&b=b1&b=b2&b=b3&c=c1&c=c2&c=c3",
        ),
        (
            vals(&[
                ("a", &["a"]),
                ("b", &["b"]),
                ("c", &["c"]),
                ("d", &["d"]),
                ("e", &["e"]),
                ("f", &["f"]),
                ("g", &["g"]),
                ("h", &["h"]),
                ("i", &["i"]),
            ]),
            "a=a&b=b&c=c&d=d&e=e&f=f&g=g&h=h&i=i",
        ),
    ]
}

/// Go's resolveReferenceTests (94 rows).
const RESOLVE_REFERENCE_TESTS: &[(&str, &str, &str)] = &[
    ("http://foo.com?a=b", "https://bar.com/", "https://bar.com/"),
    (
        "http://foo.com/",
        "https://bar.com/?a=b",
        "https://bar.com/?a=b",
    ),
    ("http://foo.com/", "https://bar.com/?", "https://bar.com/?"),
    (
        "http://foo.com/bar",
        "mailto:foo@example.com",
        "mailto:foo@example.com",
    ),
    ("http://foo.com/bar", "/baz", "http://foo.com/baz"),
    ("http://foo.com/bar?a=b#f", "/baz", "http://foo.com/baz"),
    ("http://foo.com/bar?a=b", "/baz?", "http://foo.com/baz?"),
    (
        "http://foo.com/bar?a=b",
        "/baz?c=d",
        "http://foo.com/baz?c=d",
    ),
    (
        "http://foo.com/bar",
        "http://foo.com//baz",
        "http://foo.com//baz",
    ),
    (
        "http://foo.com/bar",
        "http://foo.com///baz/quux",
        "http://foo.com///baz/quux",
    ),
    (
        "https://foo.com/bar?a=b",
        "//bar.com/quux",
        "https://bar.com/quux",
    ),
    ("http://foo.com", ".", "http://foo.com/"),
    ("http://foo.com/bar", ".", "http://foo.com/"),
    ("http://foo.com/bar/", ".", "http://foo.com/bar/"),
    ("http://foo.com", "bar", "http://foo.com/bar"),
    ("http://foo.com/", "bar", "http://foo.com/bar"),
    ("http://foo.com/bar/baz", "quux", "http://foo.com/bar/quux"),
    (
        "http://foo.com/bar/baz/",
        "quux",
        "http://foo.com/bar/baz/quux",
    ),
    ("http://foo.com/bar/baz", "../quux", "http://foo.com/quux"),
    (
        "http://foo.com/bar/baz",
        "../../../../../quux",
        "http://foo.com/quux",
    ),
    ("http://foo.com/bar", "..", "http://foo.com/"),
    ("http://foo.com/bar/baz", "./..", "http://foo.com/"),
    (
        "http://foo.com/bar/baz",
        "quux/dotdot/../tail",
        "http://foo.com/bar/quux/tail",
    ),
    (
        "http://foo.com/bar/baz",
        "quux/./dotdot/../tail",
        "http://foo.com/bar/quux/tail",
    ),
    (
        "http://foo.com/bar/baz",
        "quux/./dotdot/.././tail",
        "http://foo.com/bar/quux/tail",
    ),
    (
        "http://foo.com/bar/baz",
        "quux/./dotdot/./../tail",
        "http://foo.com/bar/quux/tail",
    ),
    (
        "http://foo.com/bar/baz",
        "quux/./dotdot/dotdot/././../../tail",
        "http://foo.com/bar/quux/tail",
    ),
    (
        "http://foo.com/bar/baz",
        "quux/./dotdot/dotdot/./.././../tail",
        "http://foo.com/bar/quux/tail",
    ),
    (
        "http://foo.com/bar/baz",
        "quux/./dotdot/dotdot/dotdot/./../../.././././tail",
        "http://foo.com/bar/quux/tail",
    ),
    (
        "http://foo.com/bar/baz",
        "quux/./dotdot/../dotdot/../dot/./tail/..",
        "http://foo.com/bar/quux/dot/",
    ),
    (
        "http://foo.com/dot/./dotdot/../foo/bar",
        "../baz",
        "http://foo.com/dot/baz",
    ),
    ("http://foo.com/bar", "...", "http://foo.com/..."),
    ("http://foo.com/bar", ".#frag", "http://foo.com/#frag"),
    (
        "http://example.org/",
        "#!$&%27()*+,;=",
        "http://example.org/#!$&%27()*+,;=",
    ),
    ("http://foo.com/foo%2fbar/", "../baz", "http://foo.com/baz"),
    (
        "http://foo.com/1/2%2f/3%2f4/5",
        "../../a/b/c",
        "http://foo.com/1/a/b/c",
    ),
    (
        "http://foo.com/1/2/3",
        "./a%2f../../b/..%2fc",
        "http://foo.com/1/2/b/..%2fc",
    ),
    (
        "http://foo.com/1/2%2f/3%2f4/5",
        "./a%2f../b/../c",
        "http://foo.com/1/2%2f/3%2f4/a%2f../c",
    ),
    ("http://foo.com/foo%20bar/", "../baz", "http://foo.com/baz"),
    (
        "http://foo.com/foo",
        "../bar%2fbaz",
        "http://foo.com/bar%2fbaz",
    ),
    (
        "http://foo.com/foo%2dbar/",
        "./baz-quux",
        "http://foo.com/foo%2dbar/baz-quux",
    ),
    ("http://a/b/c/d;p?q", "g:h", "g:h"),
    ("http://a/b/c/d;p?q", "g", "http://a/b/c/g"),
    ("http://a/b/c/d;p?q", "./g", "http://a/b/c/g"),
    ("http://a/b/c/d;p?q", "g/", "http://a/b/c/g/"),
    ("http://a/b/c/d;p?q", "/g", "http://a/g"),
    ("http://a/b/c/d;p?q", "//g", "http://g"),
    ("http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y"),
    ("http://a/b/c/d;p?q", "g?y", "http://a/b/c/g?y"),
    ("http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s"),
    ("http://a/b/c/d;p?q", "g#s", "http://a/b/c/g#s"),
    ("http://a/b/c/d;p?q", "g?y#s", "http://a/b/c/g?y#s"),
    ("http://a/b/c/d;p?q", ";x", "http://a/b/c/;x"),
    ("http://a/b/c/d;p?q", "g;x", "http://a/b/c/g;x"),
    ("http://a/b/c/d;p?q", "g;x?y#s", "http://a/b/c/g;x?y#s"),
    ("http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q"),
    ("http://a/b/c/d;p?q", ".", "http://a/b/c/"),
    ("http://a/b/c/d;p?q", "./", "http://a/b/c/"),
    ("http://a/b/c/d;p?q", "..", "http://a/b/"),
    ("http://a/b/c/d;p?q", "../", "http://a/b/"),
    ("http://a/b/c/d;p?q", "../g", "http://a/b/g"),
    ("http://a/b/c/d;p?q", "../..", "http://a/"),
    ("http://a/b/c/d;p?q", "../../", "http://a/"),
    ("http://a/b/c/d;p?q", "../../g", "http://a/g"),
    ("http://a/b/c/d;p?q", "../../../g", "http://a/g"),
    ("http://a/b/c/d;p?q", "../../../../g", "http://a/g"),
    ("http://a/b/c/d;p?q", "/./g", "http://a/g"),
    ("http://a/b/c/d;p?q", "/../g", "http://a/g"),
    ("http://a/b/c/d;p?q", "g.", "http://a/b/c/g."),
    ("http://a/b/c/d;p?q", ".g", "http://a/b/c/.g"),
    ("http://a/b/c/d;p?q", "g..", "http://a/b/c/g.."),
    ("http://a/b/c/d;p?q", "..g", "http://a/b/c/..g"),
    ("http://a/b/c/d;p?q", "./../g", "http://a/b/g"),
    ("http://a/b/c/d;p?q", "./g/.", "http://a/b/c/g/"),
    ("http://a/b/c/d;p?q", "g/./h", "http://a/b/c/g/h"),
    ("http://a/b/c/d;p?q", "g/../h", "http://a/b/c/h"),
    ("http://a/b/c/d;p?q", "g;x=1/./y", "http://a/b/c/g;x=1/y"),
    ("http://a/b/c/d;p?q", "g;x=1/../y", "http://a/b/c/y"),
    ("http://a/b/c/d;p?q", "g?y/./x", "http://a/b/c/g?y/./x"),
    ("http://a/b/c/d;p?q", "g?y/../x", "http://a/b/c/g?y/../x"),
    ("http://a/b/c/d;p?q", "g#s/./x", "http://a/b/c/g#s/./x"),
    ("http://a/b/c/d;p?q", "g#s/../x", "http://a/b/c/g#s/../x"),
    ("https://a/b/c/d;p?q", "//g?q", "https://g?q"),
    ("https://a/b/c/d;p?q", "//g#s", "https://g#s"),
    (
        "https://a/b/c/d;p?q",
        "//g/d/e/f?y#s",
        "https://g/d/e/f?y#s",
    ),
    ("https://a/b/c/d;p#s", "?y", "https://a/b/c/d;p?y"),
    ("https://a/b/c/d;p?q#s", "?y", "https://a/b/c/d;p?y"),
    ("https://a/b/c/d;p?q#s", "?", "https://a/b/c/d;p?"),
    ("https://foo.com/bar?a=b", "http:opaque", "http:opaque"),
    (
        "http:opaque?x=y#zzz",
        "https:/foo?a=b#frag",
        "https:/foo?a=b#frag",
    ),
    ("http:opaque?x=y#zzz", "https:foo:bar", "https:foo:bar"),
    (
        "http:opaque?x=y#zzz",
        "https:bar/baz?a=b#frag",
        "https:bar/baz?a=b#frag",
    ),
    (
        "http:opaque?x=y#zzz",
        "https://user@host:1234?a=b#frag",
        "https://user@host:1234?a=b#frag",
    ),
    ("http:opaque?x=y#zzz", "?a=b#frag", "http:opaque?a=b#frag"),
];

/// Go's parseTests for ParseQuery (17 rows): query, values kept, ok.
fn parse_tests() -> Vec<(&'static str, Values, bool)> {
    vec![
        ("a=1", vals(&[("a", &["1"])]), true),
        ("a=1&b=2", vals(&[("a", &["1"]), ("b", &["2"])]), true),
        (
            "a=1&a=2&a=banana",
            vals(&[("a", &["1", "2", "banana"])]),
            true,
        ),
        (
            "ascii=%3Ckey%3A+0x90%3E",
            vals(&[("ascii", &["<key: 0x90>"])]),
            true,
        ),
        ("a=1;b=2", vals(&[]), false),
        ("a;b=1", vals(&[]), false),
        ("a=%3B", vals(&[("a", &[";"])]), true),
        ("a%3Bb=1", vals(&[("a;b", &["1"])]), true),
        ("a=1&a=2;a=banana", vals(&[("a", &["1"])]), false),
        ("a;b&c=1", vals(&[("c", &["1"])]), false),
        (
            "a=1&b=2;a=3&c=4",
            vals(&[("a", &["1"]), ("c", &["4"])]),
            false,
        ),
        ("a=1&b=2;c=3", vals(&[("a", &["1"])]), false),
        (";", vals(&[]), false),
        ("a=1;", vals(&[]), false),
        ("a=1&;", vals(&[("a", &["1"])]), false),
        (";a=1&b=2", vals(&[("b", &["2"])]), false),
        ("a=1&b=2;", vals(&[("a", &["1"])]), false),
    ]
}

/// Go's requritests (13 rows).
fn requritests() -> Vec<(URL, &'static str)> {
    vec![
        (url!(scheme: "http", host: "example.com"), "/"),
        (
            url!(scheme: "http", host: "example.com", path: "/a b"),
            "/a%20b",
        ),
        (
            url!(scheme: "http", opaque: "/%2F/%2F/", host: "example.com"),
            "/%2F/%2F/",
        ),
        (
            url!(scheme: "http", opaque: "//other.example.com/%2F/%2F/", host: "example.com"),
            "http://other.example.com/%2F/%2F/",
        ),
        (
            url!(scheme: "http", host: "example.com", path: "/////", raw_path: "/%2F/%2F/"),
            "/%2F/%2F/",
        ),
        (
            url!(scheme: "http", host: "example.com", path: "/////", raw_path: "/WRONG/"),
            "/////",
        ),
        (
            url!(scheme: "http", host: "example.com", path: "/a b", raw_query: "q=go+language"),
            "/a%20b?q=go+language",
        ),
        (
            url!(scheme: "http", host: "example.com", path: "/a b", raw_path: "/a b", raw_query: "q=go+language"),
            "/a%20b?q=go+language",
        ),
        (
            url!(scheme: "http", host: "example.com", path: "/a?b", raw_path: "/a?b", raw_query: "q=go+language"),
            "/a%3Fb?q=go+language",
        ),
        (url!(scheme: "myschema", opaque: "opaque"), "opaque"),
        (
            url!(scheme: "myschema", opaque: "opaque", raw_query: "q=go+language"),
            "opaque?q=go+language",
        ),
        (
            url!(scheme: "http", host: "example.com", path: "//foo"),
            "//foo",
        ),
        (
            url!(scheme: "http", host: "example.com", path: "/foo", force_query: true),
            "/foo?",
        ),
    ]
}

/// Go's TestParseErrors table (44 rows): input, whether Parse fails.
const PARSE_ERRORS_TESTS: &[(&str, bool)] = &[
    ("http://[::1]", false),
    ("http://[::1]:80", false),
    ("http://[::1]:namedport", true),
    ("http://x:namedport", true),
    ("http://[::1]/", false),
    ("http://[::1]a", true),
    ("http://[::1]%23", true),
    ("http://[::1%25en0]", false),
    ("http://[::1]:", false),
    ("http://x:", false),
    ("http://[::1]:%38%30", true),
    ("http://[::1%25%41]", false),
    ("http://[%10::1]", true),
    ("http://[::1]/%48", false),
    ("http://%41:8080/", true),
    ("mysql://x@y(z:123)/foo", true),
    ("mysql://x@y(1.2.3.4:123)/foo", true),
    (" http://foo.com", true),
    ("ht tp://foo.com", true),
    ("ahttp://foo.com", false),
    ("1http://foo.com", true),
    (
        "http://[]%20%48%54%54%50%2f%31%2e%31%0a%4d%79%48%65%61%64%65%72%3a%20%31%32%33%0a%0a/",
        true,
    ),
    ("http://a b.com/", true),
    ("cache_object://foo", true),
    ("cache_object:foo", true),
    ("cache_object:foo/bar", true),
    ("cache_object/:foo/bar", false),
    ("http://[192.168.0.1]/", true),
    ("http://[192.168.0.1]:8080/", true),
    ("http://[::ffff:192.168.0.1]/", false),
    ("http://[::ffff:192.168.0.1000]/", true),
    ("http://[::ffff:192.168.0.1]:8080/", false),
    ("http://[::ffff:c0a8:1]/", false),
    ("http://[not-an-ip]/", true),
    ("http://[fe80::1%foo]/", true),
    ("http://[fe80::1", true),
    ("http://fe80::1]/", true),
    ("http://[test.com]/", true),
    ("http://example.com[::1]", true),
    ("http://example.com[::1", true),
    ("http://[::1", true),
    ("http://.[::1]", true),
    ("http:// [::1]", true),
    ("hxxp://mathepqo[.]serveftp(.)com:9059", true),
];

/// Go's TestURLHostnameAndPort table (21 rows): host, hostname, port.
const HOSTNAME_PORT_TESTS: &[(&str, &str, &str)] = &[
    ("foo.com:80", "foo.com", "80"),
    ("foo.com", "foo.com", ""),
    ("foo.com:", "foo.com", ""),
    ("FOO.COM", "FOO.COM", ""),
    ("1.2.3.4", "1.2.3.4", ""),
    ("1.2.3.4:80", "1.2.3.4", "80"),
    ("[1:2:3:4]", "1:2:3:4", ""),
    ("[1:2:3:4]:80", "1:2:3:4", "80"),
    ("[::1]:80", "::1", "80"),
    ("[::1]", "::1", ""),
    ("[::1]:", "::1", ""),
    ("localhost", "localhost", ""),
    ("localhost:443", "localhost", "443"),
    (
        "some.super.long.domain.example.org:8080",
        "some.super.long.domain.example.org",
        "8080",
    ),
    (
        "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:17000",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "17000",
    ),
    (
        "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "",
    ),
    ("[google.com]:80", "google.com", "80"),
    ("google.com]:80", "google.com]", "80"),
    (
        "google.com:80_invalid_port",
        "google.com:80_invalid_port",
        "",
    ),
    ("[::1]extra]:80", "::1]extra", "80"),
    ("google.com]extra:extra", "google.com]extra:extra", ""),
];

/// Go's TestJoinPath table (24 rows): base, elements, result ("" = an error).
const JOIN_PATH_TESTS: &[(&str, &[&str], &str)] = &[
    (
        "https://go.googlesource.com",
        &["go"],
        "https://go.googlesource.com/go",
    ),
    (
        "https://go.googlesource.com/a/b/c",
        &["../../../go"],
        "https://go.googlesource.com/go",
    ),
    (
        "https://go.googlesource.com/",
        &["../go"],
        "https://go.googlesource.com/go",
    ),
    (
        "https://go.googlesource.com",
        &["../go", "../../go", "../../../go"],
        "https://go.googlesource.com/go",
    ),
    (
        "https://go.googlesource.com/../go",
        &[],
        "https://go.googlesource.com/go",
    ),
    (
        "https://go.googlesource.com/",
        &["./go"],
        "https://go.googlesource.com/go",
    ),
    (
        "https://go.googlesource.com//",
        &["/go"],
        "https://go.googlesource.com/go",
    ),
    (
        "https://go.googlesource.com//",
        &["/go", "a", "b", "c"],
        "https://go.googlesource.com/go/a/b/c",
    ),
    ("http://[fe80::1%en0]:8080/", &["/go"], ""),
    (
        "https://go.googlesource.com",
        &["go/"],
        "https://go.googlesource.com/go/",
    ),
    (
        "https://go.googlesource.com",
        &["go//"],
        "https://go.googlesource.com/go/",
    ),
    (
        "https://go.googlesource.com",
        &[],
        "https://go.googlesource.com/",
    ),
    (
        "https://go.googlesource.com/",
        &[],
        "https://go.googlesource.com/",
    ),
    (
        "https://go.googlesource.com/a%2fb",
        &["c"],
        "https://go.googlesource.com/a%2fb/c",
    ),
    (
        "https://go.googlesource.com/a%2fb",
        &["c%2fd"],
        "https://go.googlesource.com/a%2fb/c%2fd",
    ),
    (
        "https://go.googlesource.com/a/b",
        &["/go"],
        "https://go.googlesource.com/a/b/go",
    ),
    ("https://go.googlesource.com/", &["100%"], ""),
    ("/", &[], "/"),
    ("a", &[], "a"),
    ("a", &["b"], "a/b"),
    ("a", &["../b"], "b"),
    ("a", &["../../b"], "b"),
    ("", &["a"], "a"),
    ("", &["../a"], "a"),
];

// ---------------------------------------------------------------------------
// The tests, in url_test.go's order
// ---------------------------------------------------------------------------

#[test]
fn test_parse() {
    let tests = urltests();
    assert_eq!(tests.len(), 62);
    for (input, want, _) in &tests {
        if input.is_empty() {
            continue; // not reachable by parsing
        }
        let got = parse(input).unwrap_or_else(|e| panic!("parse({input:?}): {e}"));
        assert_eq!(&got, want, "parse({input:?})");
    }
}

#[test]
fn test_parse_request_uri() {
    assert_eq!(PARSE_REQUEST_URL_TESTS.len(), 44);
    for &(input, valid) in PARSE_REQUEST_URL_TESTS {
        let got = parse_request_uri(input);
        assert_eq!(got.is_ok(), valid, "parse_request_uri({input:?}) = {got:?}");
    }
    let path = "//not.a.user@not.a.host/just/a/path";
    assert_eq!(parse_request_uri(path).unwrap().path, path);
}

#[test]
fn test_url_string() {
    for (input, parsed, roundtrip) in urltests() {
        let u = if input.is_empty() {
            parsed
        } else {
            parse(input).unwrap()
        };
        let want = if roundtrip.is_empty() {
            input
        } else {
            roundtrip
        };
        assert_eq!(u.to_string(), want, "parse({input:?}).to_string()");
    }
    let tests = string_url_tests();
    assert_eq!(tests.len(), 4);
    for (u, want) in tests {
        assert_eq!(u.to_string(), want, "{u:?}");
    }
}

#[test]
fn test_url_redacted() {
    // Go's sixth case, a nil *URL, has no counterpart: a URL is a value.
    let base = url!(scheme: "http", host: "host.tld", path: "this:that");
    let cases = [
        (
            "non-blank Password",
            URL {
                user: Some(user_password("user", "password")),
                ..base.clone()
            },
            "http://user:xxxxx@host.tld/this:that",
        ),
        (
            "blank Password",
            URL {
                user: Some(user("user")),
                ..base.clone()
            },
            "http://user@host.tld/this:that",
        ),
        (
            "nil User",
            URL {
                user: Some(user_password("", "password")),
                ..base.clone()
            },
            "http://:xxxxx@host.tld/this:that",
        ),
        (
            "blank Username, blank Password",
            base.clone(),
            "http://host.tld/this:that",
        ),
        ("empty URL", URL::default(), ""),
    ];
    for (name, u, want) in cases {
        assert_eq!(u.redacted(), want, "{name}");
    }
}

#[test]
fn test_unescape() {
    assert_eq!(UNESCAPE_TESTS.len(), 13);
    for &(input, out, err) in UNESCAPE_TESTS {
        let got = query_unescape(input);
        match (&got, err) {
            (Ok(s), false) => assert_eq!(s, out, "query_unescape({input:?})"),
            (Err(_), true) => {}
            _ => panic!("query_unescape({input:?}) = {got:?}, want error: {err}"),
        }
        let (mut input2, mut out2) = (input.to_string(), out.to_string());
        if input.contains('+') {
            let spaced = input.replace('+', "%20");
            let got = path_unescape(&spaced);
            assert_eq!(got.is_err(), err, "path_unescape({spaced:?})");
            if !err {
                assert_eq!(got.unwrap(), out, "path_unescape({spaced:?})");
                match query_unescape(&input.replace('+', "XXX")) {
                    Ok(s) => out2 = s.replace("XXX", "+"),
                    Err(_) => continue,
                }
            } else {
                input2 = spaced;
            }
        }
        let got = path_unescape(&input2);
        assert_eq!(got.is_err(), err, "path_unescape({input2:?})");
        if !err {
            assert_eq!(got.unwrap(), out2, "path_unescape({input2:?})");
        }
    }
    // The error names the bad escape, as Go's EscapeError does.
    let want: [(&str, &[u8]); 5] = [
        ("%", b"%"),
        ("%a", b"%a"),
        ("%1", b"%1"),
        ("123%45%6", b"%6"),
        ("%zzzzz", b"%zz"),
    ];
    for (input, bad) in want {
        assert_eq!(
            query_unescape(input).unwrap_err().as_bytes(),
            bad,
            "{input:?}"
        );
    }
}

#[test]
fn test_query_escape() {
    assert_eq!(QUERY_ESCAPE_TESTS.len(), 5);
    for &(input, out, _) in QUERY_ESCAPE_TESTS {
        let got = query_escape(input);
        assert_eq!(got, out, "query_escape({input:?})");
        assert_eq!(
            query_unescape(&got).unwrap(),
            input,
            "round trip of {input:?}"
        );
    }
}

#[test]
fn test_path_escape() {
    assert_eq!(PATH_ESCAPE_TESTS.len(), 7);
    for &(input, out, _) in PATH_ESCAPE_TESTS {
        let got = path_escape(input);
        assert_eq!(got, out, "path_escape({input:?})");
        assert_eq!(
            path_unescape(&got).unwrap(),
            input,
            "round trip of {input:?}"
        );
    }
}

#[test]
fn test_encode_query() {
    let tests = encode_query_tests();
    assert_eq!(tests.len(), 6);
    for (v, want) in tests {
        assert_eq!(v.encode(), want, "{v:?}");
    }
}

#[test]
fn test_resolve_reference() {
    assert_eq!(RESOLVE_REFERENCE_TESTS.len(), 94);
    let opaque = url!(scheme: "scheme", opaque: "opaque");
    for &(base, rel, want) in RESOLVE_REFERENCE_TESTS {
        let b = parse(base).unwrap_or_else(|e| panic!("{e}"));
        let r = parse(rel).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            b.resolve_reference(&r).to_string(),
            want,
            "{base:?} resolve {rel:?}"
        );
        assert_eq!(
            b.parse(rel).unwrap().to_string(),
            want,
            "{base:?} parse {rel:?}"
        );
        assert_eq!(
            b.resolve_reference(&opaque),
            opaque,
            "{base:?} resolve opaque"
        );
        assert_eq!(
            b.parse("scheme:opaque").unwrap(),
            opaque,
            "{base:?} parse opaque"
        );
    }
}

#[test]
fn test_query_values() {
    let u = parse("http://x.com?foo=bar&bar=1&bar=2&baz").unwrap();
    let mut v = u.query();
    assert_eq!(v.len(), 3);
    assert_eq!(v.get("foo"), "bar");
    assert_eq!(v.get("Foo"), ""); // case-sensitive
    assert_eq!(v.get("bar"), "1");
    assert_eq!(v.get("baz"), "");
    assert!(v.has("foo"));
    assert!(v.has("bar"));
    assert!(v.has("baz"));
    assert!(!v.has("noexist"));
    v.del("bar");
    assert_eq!(v.get("bar"), "");
}

#[test]
fn test_parse_query() {
    let tests = parse_tests();
    assert_eq!(tests.len(), 17);
    for (query, want, ok) in tests {
        // parse_query_into keeps the good pairs alongside the error, as
        // Go's ParseQuery does.
        let mut got = Values::default();
        let res = parse_query_into(&mut got, query);
        assert_eq!(res.is_ok(), ok, "parse_query_into({query:?}) = {res:?}");
        assert_eq!(got, want, "parse_query_into({query:?})");
        let whole = parse_query(query);
        assert_eq!(whole.is_ok(), ok, "parse_query({query:?})");
        if ok {
            assert_eq!(whole.unwrap(), want, "parse_query({query:?})");
        }
    }
}

#[test]
fn test_parse_query_limits() {
    // Go's rows with GODEBUG=urlmaxqueryparams=... are left out: gort reads
    // no GODEBUG, so only the default limit applies.
    for (params, want_err) in [(10, false), (10_000, false), (10_001, true)] {
        let query = (0..params)
            .map(|i| format!("p{i}"))
            .collect::<Vec<_>>()
            .join("&");
        match parse_query(&query) {
            Ok(v) => {
                assert!(!want_err, "{params} params parsed");
                assert_eq!(v.len(), params);
            }
            Err(e) => {
                assert!(want_err, "{params} params: {e}");
                assert_eq!(
                    e.to_string(),
                    "number of URL query parameters exceeded limit"
                );
            }
        }
    }
}

#[test]
fn test_request_uri() {
    let tests = requritests();
    assert_eq!(tests.len(), 13);
    for (u, want) in tests {
        assert_eq!(u.request_uri(), want, "{u:?}");
    }
}

#[test]
fn test_parse_failure() {
    // The first error is the one returned.
    let err = parse_query("%gh&%ij").unwrap_err();
    assert!(err.to_string().contains("%gh"), "{err}");
}

#[test]
fn test_parse_errors() {
    assert_eq!(PARSE_ERRORS_TESTS.len(), 44);
    for &(input, want_err) in PARSE_ERRORS_TESTS {
        let got = parse(input);
        assert_eq!(got.is_err(), want_err, "parse({input:?}) = {got:?}");
    }
}

#[test]
fn test_star_request() {
    assert_eq!(parse("*").unwrap().request_uri(), "*");
}

// Go's TestShouldEscape and TestResolvePath test unexported functions; they
// are in src/url.rs's unit tests. TestURLErrorImplementsNetError is left
// out: gort's url::Error carries only parse causes, which are never
// timeouts, so there is no net.Error behaviour to forward.

#[test]
fn test_url_hostname_and_port() {
    assert_eq!(HOSTNAME_PORT_TESTS.len(), 21);
    for &(host, hostname, port) in HOSTNAME_PORT_TESTS {
        let u = url!(host: host);
        assert_eq!((u.hostname(), u.port()), (hostname, port), "host {host:?}");
    }
}

// TestJSON and TestGob exercise Go's encoding packages; the Rust analogue,
// a text round trip through Display and FromStr, is checked here.
#[test]
fn test_text_round_trip() {
    let u: URL = "https://www.google.com/x?y=z".parse().unwrap();
    let again: URL = u.to_string().parse().unwrap();
    assert_eq!(again, u);
}

#[test]
fn test_nil_user() {
    let u = parse("http://foo.com/").unwrap();
    assert_eq!(u.user, None);
}

#[test]
fn test_invalid_user_password() {
    let err = parse("http://user^:passwo^rd@foo.com/").unwrap_err();
    assert!(
        err.to_string().contains("net/url: invalid userinfo"),
        "{err}"
    );
    assert_eq!(err.err, url::ErrorKind::InvalidUserinfo);
}

#[test]
fn test_reject_control_characters() {
    for s in [
        "http://foo.com/?foo\nbar",
        "http\r://foo.com/",
        "http://foo\x7f.com/",
    ] {
        let err = parse(s).unwrap_err();
        assert!(
            err.to_string()
                .contains("net/url: invalid control character in URL"),
            "{err}"
        );
    }
    // Non-ASCII control characters are let through, as in Go.
    assert!(parse("http://foo.com/ctl\u{80}").is_ok());
}

#[test]
fn test_join_path() {
    assert_eq!(JOIN_PATH_TESTS.len(), 24);
    for &(base, elems, out) in JOIN_PATH_TESTS {
        let got = join_path(base, elems);
        if out.is_empty() {
            assert!(got.is_err(), "join_path({base:?}, {elems:?}) = {got:?}");
        } else {
            assert_eq!(
                got.as_deref().ok(),
                Some(out),
                "join_path({base:?}, {elems:?}) = {got:?}"
            );
        }
        let Ok(u) = parse(base) else {
            assert!(out.is_empty(), "parse({base:?}) failed");
            continue;
        };
        // The method has no error: on a bad element the URL is unchanged.
        let want = if out.is_empty() { base } else { out };
        assert_eq!(
            u.join_path(elems).to_string(),
            want,
            "{base:?}.join_path({elems:?})"
        );
    }
}

// TestParseStrictIpv6 sets GODEBUG=urlstrictcolons=0, which gort does not
// read; the strict default is covered by parseRequestURLTests' rows
// "https://1:2:3:4:5:6:7:8", "https://1:2:3:4:5:6:7:8:80" and
// "https://example.com:80:".

#[test]
fn test_url_clone() {
    // Go's TestURLClone checks a deep copy that shares no pointers; a
    // derived Clone of owned fields is that by construction.
    let u =
        url!(user: user_password("user", "password"), host: "foo", path: "/path", raw_query: "a=b");
    let mut c = u.clone();
    assert_eq!(c, u);
    c.scheme = "https".into();
    assert_ne!(c, u);
}

#[test]
fn test_values_clone() {
    for v in [
        vals(&[]),
        vals(&[("1", &[])]),
        vals(&[("1", &["a", "b"])]),
        vals(&[("1", &["a", "b"]), ("X", &[]), ("B", &["abcdefghi"])]),
    ] {
        let mut c = v.clone();
        assert_eq!(c, v);
        c.add("a", "A");
        assert!(c.has("a"));
        assert_ne!(c, v);
        c.del("a");
        assert_eq!(c, v);
        c.set("1", "good night");
        assert_eq!(c.get("1"), "good night");
        assert_ne!(c, v);
    }
}

// ---------------------------------------------------------------------------
// Beyond Go's tables: error texts and gort's own choices
// ---------------------------------------------------------------------------

#[test]
fn error_messages_match_go() {
    // Each text below is what go1.27's url.Parse prints.
    let tests = [
        ("http://[::1", r#"parse "http://[::1": missing ']' in host"#),
        (
            "http://x:namedport/",
            r#"parse "http://x:namedport/": invalid port ":namedport" after host"#,
        ),
        (
            "http://[fe80::%31]/",
            r#"parse "http://[fe80::%31]/": invalid URL escape "%31""#,
        ),
        (
            "http://a b.com/",
            r#"parse "http://a b.com/": invalid character " " in host name"#,
        ),
        (
            "http://[%e4%b8]/",
            r#"parse "http://[%e4%b8]/": invalid host: ParseAddr("\xe4\xb8"): unable to parse IP"#,
        ),
        (
            "http://%zz/",
            r#"parse "http://%zz/": invalid URL escape "%zz""#,
        ),
        (
            "http://x/%e4%b8%",
            r#"parse "http://x/%e4%b8%": invalid URL escape "%""#,
        ),
        (
            "https://[:1] ",
            r#"parse "https://[:1] ": invalid port " " after host"#,
        ),
        (
            "http://a:b:80/",
            r#"parse "http://a:b:80/": invalid port ":b:80" after host"#,
        ),
        (":x", r#"parse ":x": missing protocol scheme"#),
        ("a:b/c", "ok"),
        (
            "1a:b/c",
            r#"parse "1a:b/c": first path segment in URL cannot contain colon"#,
        ),
        (
            "http://[1.2.3.4]/",
            r#"parse "http://[1.2.3.4]/": invalid IP-literal"#,
        ),
        (
            "http://x/#%zz",
            r#"parse "http://x/#%zz": invalid URL escape "%zz""#,
        ),
        (
            "http://x\ty/",
            r#"parse "http://x\ty/": net/url: invalid control character in URL"#,
        ),
    ];
    for (input, want) in tests {
        match parse(input) {
            Ok(_) => assert_eq!(want, "ok", "{input:?} parsed"),
            Err(e) => assert_eq!(e.to_string(), want, "{input:?}"),
        }
    }
    let err = parse_request_uri("").unwrap_err();
    assert_eq!(err.to_string(), r#"parse "": empty url"#);
    let err = parse_request_uri("a/b").unwrap_err();
    assert_eq!(err.to_string(), r#"parse "a/b": invalid URI for request"#);
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(
        join_path("https://x/", &["100%"]).unwrap_err().to_string(),
        r#"invalid URL escape "%""#
    );
    let e: EscapeError = path_unescape("%").unwrap_err();
    assert_eq!(e.to_string(), r#"invalid URL escape "%""#);
}

#[test]
fn non_utf8_escapes_keep_their_spelling() {
    // Decoded bytes that are not UTF-8 become U+FFFD; the raw form keeps
    // the URL printing as written.
    let u = parse("http://x/%ff?q#%fe").unwrap();
    assert_eq!(u.path, "/\u{fffd}");
    assert_eq!(u.fragment, "\u{fffd}");
    assert_eq!(u.to_string(), "http://x/%ff?q#%fe");
    assert_eq!(query_unescape("%ff").unwrap(), "\u{fffd}");
}
