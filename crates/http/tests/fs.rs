//! Mirrors Go src/net/http/fs_test.go (go1.27): `file_server`, `serve_file` and `serve_content` on temporary directories, without a live server.
//!
//! Go's tests run most cases through a client and a server; these call the
//! handlers directly with a small in-memory response writer, and follow a
//! redirect by hand where Go's client would. Each test builds its own tree
//! under the system temp directory, shaped like Go's `testdata` (a `file`
//! of 11 bytes, `index.html`, `style.css`), and removes it afterwards.

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gort_http::{
    Handler, Header, Request, ResponseWriter, detect_content_type, file_server, serve_content,
    serve_file,
};

const FILE: &[u8] = b"0123456789\n";
const INDEX: &str = "index.html says hello\n";
const STYLE: &str = "body {}\n";

// ---------------------------------------------------------------------------
// Harness

/// A response writer that keeps everything (after Go's
/// `httptest.ResponseRecorder`): the header as it was when the status was
/// written, the status, and the body.
#[derive(Default)]
struct Recorder {
    header: Header,
    sent: Option<Header>,
    code: u16,
    body: Vec<u8>,
}

impl Recorder {
    /// The header the client would see.
    fn head(&self) -> &Header {
        self.sent.as_ref().unwrap_or(&self.header)
    }
    fn get(&self, key: &str) -> &str {
        self.head().get(key)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.sent.is_none() {
            self.write_header(200);
        }
        self.body.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ResponseWriter for Recorder {
    fn header(&mut self) -> &mut Header {
        &mut self.header
    }
    fn write_header(&mut self, code: u16) {
        if self.sent.is_none() {
            self.code = code;
            self.sent = Some(self.header.clone());
        }
    }
}

/// A request for `path` (already decoded), with `raw_path` as a client
/// that escaped part of it would have it.
fn request(method: &str, path: &str) -> Request {
    let mut r = gort_http::httptest::new_request(method, "/", b"");
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    r.url.path = p.to_string();
    r.url.raw_query = q.to_string();
    r
}

fn get(path: &str) -> Request {
    request("GET", path)
}

fn with(mut r: Request, headers: &[(&str, &str)]) -> Request {
    for (k, v) in headers {
        r.header.set(k, *v);
    }
    r
}

fn serve(h: &impl Handler, mut r: Request) -> Recorder {
    let mut w = Recorder::default();
    h.serve_http(&mut w, &mut r);
    w
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "gort-http-fs-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn write(&self, rel: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    }
    fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tree shaped like Go's net/http `testdata`.
fn testdata() -> TempDir {
    let d = TempDir::new("testdata");
    d.write("testdata/file", FILE);
    d.write("testdata/index.html", INDEX.as_bytes());
    d.write("testdata/style.css", STYLE.as_bytes());
    d
}

fn http_date(t: SystemTime) -> String {
    httpdate_fmt(t)
}

/// IMF-fixdate of `t`, seconds truncated, written by hand so the tests do
/// not lean on the code under test.
fn httpdate_fmt(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let days = secs / 86400;
    let rem = secs % 86400;
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y} {h:02}:{m:02}:{s:02} GMT")
}

/// Splits a `multipart/byteranges` body into its parts' headers and bodies.
/// One part of a multipart body: its header lines and its bytes.
type Part = (Vec<(String, String)>, Vec<u8>);

fn parse_multipart(body: &[u8], boundary: &str) -> Vec<Part> {
    let delim = format!("\r\n--{boundary}");
    let mut text = b"\r\n".to_vec();
    text.extend_from_slice(body);
    let mut parts = Vec::new();
    let mut rest: &[u8] = &text;
    loop {
        let at = find(rest, delim.as_bytes()).expect("delimiter");
        rest = &rest[at + delim.len()..];
        if rest.starts_with(b"--\r\n") {
            assert_eq!(rest.len(), 4, "nothing after the close delimiter");
            return parts;
        }
        rest = rest.strip_prefix(b"\r\n").expect("CRLF after delimiter");
        let end_head = find(rest, b"\r\n\r\n").expect("end of part head");
        let head = std::str::from_utf8(&rest[..end_head]).unwrap();
        let headers = head
            .split("\r\n")
            .map(|l| {
                let (k, v) = l.split_once(": ").unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        rest = &rest[end_head + 4..];
        let end = find(rest, delim.as_bytes()).expect("next delimiter");
        parts.push((headers, rest[..end].to_vec()));
        rest = &rest[end..];
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------
// ServeFile

/// A Range header, the status, and the [start, end) parts wanted.
type RangeRow = (&'static str, u16, &'static [(usize, usize)]);

/// Go's `ServeFileRangeTests`, every row.
const SERVE_FILE_RANGE_TESTS: &[RangeRow] = &[
    ("", 200, &[]),
    ("bytes=0-4", 206, &[(0, 5)]),
    ("bytes=2-", 206, &[(2, 11)]),
    ("bytes=-5", 206, &[(11 - 5, 11)]),
    ("bytes=3-7", 206, &[(3, 8)]),
    ("bytes=0-0,-2", 206, &[(0, 1), (11 - 2, 11)]),
    ("bytes=0-1,5-8", 206, &[(0, 2), (5, 9)]),
    ("bytes=0-1,5-", 206, &[(0, 2), (5, 11)]),
    ("bytes=5-1000", 206, &[(5, 11)]),
    ("bytes=0-,1-,2-,3-,4-", 200, &[]), // ignore wasteful range request
    ("bytes=0-9", 206, &[(0, 11 - 1)]),
    ("bytes=0-10", 206, &[(0, 11)]),
    ("bytes=0-11", 206, &[(0, 11)]),
    ("bytes=10-11", 206, &[(11 - 1, 11)]),
    ("bytes=10-", 206, &[(11 - 1, 11)]),
    ("bytes=11-", 416, &[]),
    ("bytes=11-12", 416, &[]),
    ("bytes=12-12", 416, &[]),
    ("bytes=11-100", 416, &[]),
    ("bytes=12-100", 416, &[]),
    ("bytes=100-", 416, &[]),
    ("bytes=100-1000", 416, &[]),
];

#[test]
fn serve_file_ranges() {
    let d = testdata();
    let file = d.path().join("testdata/file");
    assert_eq!(SERVE_FILE_RANGE_TESTS.len(), 22);
    for &(range, code, want) in SERVE_FILE_RANGE_TESTS {
        let mut r = get("/");
        if !range.is_empty() {
            r.header.set("Range", range);
        }
        let mut w = Recorder::default();
        serve_file(&mut w, &r, &file);
        assert_eq!(w.code, code, "range {range:?}");
        assert_eq!(w.get("Accept-Ranges").is_empty(), code == 416, "{range:?}");
        if code == 416 {
            assert_eq!(w.get("Content-Range"), "bytes */11", "{range:?}");
            assert_eq!(w.text(), "invalid range: failed to overlap\n");
            continue;
        }
        let content_range = match want {
            [(s, e)] => format!("bytes {s}-{}/11", e - 1),
            _ => String::new(),
        };
        assert_eq!(w.get("Content-Range"), content_range, "range {range:?}");
        assert_eq!(
            w.get("Content-Length"),
            w.body.len().to_string(),
            "{range:?}"
        );
        let ct = w.get("Content-Type").to_string();
        match want {
            [] => assert_eq!(w.body, FILE),
            [(s, e)] => {
                assert_eq!(w.body, &FILE[*s..*e], "range {range:?}");
                assert_eq!(ct, "text/plain; charset=utf-8");
            }
            many => {
                let boundary = ct
                    .strip_prefix("multipart/byteranges; boundary=")
                    .unwrap_or_else(|| panic!("range {range:?}: content-type {ct:?}"));
                assert!(!boundary.is_empty());
                let parts = parse_multipart(&w.body, boundary);
                assert_eq!(parts.len(), many.len(), "range {range:?}");
                for ((headers, body), (s, e)) in parts.iter().zip(many) {
                    assert_eq!(
                        headers,
                        &[
                            ("Content-Range".into(), format!("bytes {s}-{}/11", e - 1)),
                            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
                        ]
                    );
                    assert_eq!(body, &FILE[*s..*e], "range {range:?}");
                }
            }
        }
    }
}

#[test]
fn serve_file_methods_and_head() {
    let d = testdata();
    let file = d.path().join("testdata/file");
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"] {
        let mut w = Recorder::default();
        serve_file(&mut w, &request(method, "/"), &file);
        assert_eq!((w.code, w.body.as_slice()), (200, FILE), "{method}");
    }
    let mut w = Recorder::default();
    serve_file(&mut w, &request("HEAD", "/"), &file);
    assert_eq!(w.code, 200);
    assert!(w.body.is_empty());
    assert_eq!(w.get("Content-Length"), "11");
    assert_eq!(w.get("Content-Type"), "text/plain; charset=utf-8");
    // HEAD with a range: the part's length, no body.
    let mut w = Recorder::default();
    serve_file(
        &mut w,
        &with(request("HEAD", "/"), &[("Range", "bytes=0-0,-2")]),
        &file,
    );
    assert_eq!(w.code, 206);
    assert!(w.body.is_empty());
    assert!(w.get("Content-Length").parse::<usize>().unwrap() > 3);
}

/// Go's `TestServeFile_DotDot`, every row.
#[test]
fn serve_file_rejects_dot_dot_in_the_request_path() {
    let d = testdata();
    let file = d.path().join("testdata/file");
    let table = [
        ("/testdata/file", 200),
        ("/../file", 400),
        ("/..", 400),
        ("/../", 400),
        ("/../foo", 400),
        ("/..\\foo", 400),
        ("/file/a", 200),
        ("/file/a..", 200),
        ("/file/a/..", 400),
        ("/file/a\\..", 400),
    ];
    for (path, code) in table {
        let mut w = Recorder::default();
        serve_file(&mut w, &get(path), &file);
        assert_eq!(w.code, code, "{path}");
        if code == 400 {
            assert_eq!(w.text(), "invalid URL path\n");
        }
    }
}

/// Go's `TestServeFileDirPanicEmptyPath`.
#[test]
fn serve_file_directory_with_empty_path_redirects() {
    let d = testdata();
    let mut w = Recorder::default();
    serve_file(&mut w, &get(""), d.path().join("testdata"));
    assert_eq!(w.code, 301);
    assert_eq!(w.get("Location"), "./");
}

/// Go's `TestServeDirWithoutTrailingSlash`.
#[test]
fn serve_file_directory_without_trailing_slash_redirects() {
    let d = testdata();
    let mut w = Recorder::default();
    serve_file(&mut w, &get("/testdata"), d.path());
    assert_eq!((w.code, w.get("Location")), (301, "testdata/"));
    let mut w = Recorder::default();
    serve_file(&mut w, &get("/testdata?x=1"), d.path());
    assert_eq!(w.get("Location"), "testdata/?x=1");
    // With the slash, the directory's index.html.
    let mut w = Recorder::default();
    serve_file(&mut w, &get("/testdata/"), d.path().join("testdata"));
    assert_eq!((w.code, w.text()), (200, INDEX.to_string()));
}

/// Go's `TestServeFileContentType` and `TestServeFileMimeType`.
#[test]
fn serve_file_content_types() {
    let d = testdata();
    let file = d.path().join("testdata/file");
    let mut w = Recorder::default();
    serve_file(&mut w, &get("/"), &file);
    assert_eq!(
        w.head().values("Content-Type"),
        ["text/plain; charset=utf-8"]
    );

    let mut w = Recorder::default();
    w.header().set("Content-Type", "icecream/chocolate");
    serve_file(&mut w, &get("/"), &file);
    assert_eq!(w.head().values("Content-Type"), ["icecream/chocolate"]);

    // An empty Content-Type set by the handler turns sniffing off. (Go's
    // variant, a present key with no values, cannot be spelled in gort's
    // Header, which never keeps an empty value list.)
    let mut w = Recorder::default();
    w.header().set("Content-Type", "");
    serve_file(&mut w, &get("/"), &file);
    assert_eq!(w.head().values("Content-Type"), [""]);

    let mut w = Recorder::default();
    serve_file(&mut w, &get("/"), d.path().join("testdata/style.css"));
    assert_eq!(w.get("Content-Type"), "text/css; charset=utf-8");

    for (name, data, want) in [
        ("a.JSON", &b"{}"[..], "application/json"),
        ("b.wasm", b"\0asm", "application/wasm"),
        ("c.unknown", b"<html><p>", "text/html; charset=utf-8"),
        ("d", b"\x89PNG\r\n\x1a\n", "image/png"),
    ] {
        let p = d.write(name, data);
        let mut w = Recorder::default();
        serve_file(&mut w, &get("/"), &p);
        assert_eq!(w.get("Content-Type"), want, "{name}");
    }
}

/// Go's `TestServeFileWithContentEncoding`.
#[test]
fn serve_file_with_content_encoding_has_no_length() {
    let d = testdata();
    let mut w = Recorder::default();
    w.header().set("Content-Encoding", "foo");
    serve_file(&mut w, &get("/"), d.path().join("testdata/file"));
    assert_eq!(w.code, 200);
    assert!(!w.head().has("Content-Length"));
    // A range still gets one.
    let mut w = Recorder::default();
    w.header().set("Content-Encoding", "foo");
    serve_file(
        &mut w,
        &with(get("/"), &[("Range", "bytes=0-1")]),
        d.path().join("testdata/file"),
    );
    assert_eq!((w.code, w.get("Content-Length")), (206, "2"));
}

/// Go's `TestServeFileNotModified`.
#[test]
fn serve_file_not_modified_drops_representation_headers() {
    let d = testdata();
    let mut w = Recorder::default();
    w.header().set("Content-Type", "application/json");
    w.header().set("Content-Encoding", "foo");
    w.header().set("Etag", "\"123\"");
    serve_file(
        &mut w,
        &with(get("/"), &[("If-None-Match", "\"123\"")]),
        d.path().join("testdata/file"),
    );
    assert_eq!(w.code, 304);
    assert!(w.body.is_empty());
    for k in [
        "Content-Type",
        "Content-Encoding",
        "Content-Length",
        "Last-Modified",
    ] {
        assert!(!w.head().has(k), "{k}");
    }
    assert_eq!(w.get("Etag"), "\"123\"");
}

/// Go's `TestServeContentWithEmptyContentIgnoreRanges`.
#[test]
fn serve_content_empty_content_ignores_ranges() {
    for range in ["bytes=0-128", "bytes=1-"] {
        let mut w = Recorder::default();
        let r = with(get("/"), &[("Range", range)]);
        serve_content(
            &mut w,
            &r,
            "nothing",
            Some(SystemTime::now()),
            &mut Cursor::new(Vec::new()),
        );
        assert_eq!(w.code, 200, "{range}");
        assert!(w.body.is_empty());
        assert_eq!(w.get("Content-Length"), "0");
    }
}

// ---------------------------------------------------------------------------
// ServeContent's precondition table

/// Content whose every read or seek is a test failure: a 304 decided by the
/// ETag alone must not touch it.
struct PanicOnSeek;
impl Read for PanicOnSeek {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        panic!("read called")
    }
}
impl Seek for PanicOnSeek {
    fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
        panic!("seek called")
    }
}

#[derive(Default, Clone)]
struct ServeContentCase {
    name: &'static str,
    /// A file of the testdata tree, or else `content`.
    file: &'static str,
    content: Option<&'static str>,
    no_seek: bool,
    modtime: Option<SystemTime>,
    serve_etag: &'static str,
    serve_content_type: &'static str,
    req_header: Vec<(&'static str, String)>,
    want_last_mod: String,
    want_content_type: &'static str,
    want_content_range: &'static str,
    want_status: u16,
}

/// Go's `TestServeContent` table, every row, each with GET and HEAD.
#[test]
fn serve_content_preconditions() {
    let d = testdata();
    // A modification time with nanoseconds, as a real file's has.
    let html_mod = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    let html_mod_str = http_date(html_mod);
    let june = UNIX_EPOCH + Duration::from_secs(1_403_716_338); // Wed, 25 Jun 2014 17:12:18 GMT
    assert_eq!(http_date(june), "Wed, 25 Jun 2014 17:12:18 GMT");
    let css = "testdata/style.css";
    let base = ServeContentCase::default;
    let h = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    };
    let css_type = "text/css; charset=utf-8";
    let cases = vec![
        ServeContentCase {
            name: "no_last_modified",
            file: css,
            want_content_type: css_type,
            want_status: 200,
            ..base()
        },
        ServeContentCase {
            name: "with_last_modified",
            file: "testdata/index.html",
            want_content_type: "text/html; charset=utf-8",
            modtime: Some(html_mod),
            want_last_mod: html_mod_str.clone(),
            want_status: 200,
            ..base()
        },
        ServeContentCase {
            name: "not_modified_modtime",
            file: css,
            serve_etag: "\"foo\"", // Last-Modified sent only when no ETag
            modtime: Some(html_mod),
            req_header: h(&[("If-Modified-Since", &html_mod_str)]),
            want_status: 304,
            ..base()
        },
        ServeContentCase {
            name: "not_modified_modtime_with_contenttype",
            file: css,
            serve_content_type: "text/css", // explicit content type
            serve_etag: "\"foo\"",          // Last-Modified sent only when no ETag
            modtime: Some(html_mod),
            req_header: h(&[("If-Modified-Since", &html_mod_str)]),
            want_status: 304,
            ..base()
        },
        ServeContentCase {
            name: "not_modified_etag",
            file: css,
            serve_etag: "\"foo\"",
            req_header: h(&[("If-None-Match", "\"foo\"")]),
            want_status: 304,
            ..base()
        },
        ServeContentCase {
            name: "not_modified_etag_no_seek",
            no_seek: true,
            serve_etag: "W/\"foo\"", // If-None-Match uses weak ETag comparison
            req_header: h(&[("If-None-Match", "\"baz\", W/\"foo\"")]),
            want_status: 304,
            ..base()
        },
        ServeContentCase {
            name: "if_none_match_mismatch",
            file: css,
            serve_etag: "\"foo\"",
            req_header: h(&[("If-None-Match", "\"Foo\"")]),
            want_status: 200,
            want_content_type: css_type,
            ..base()
        },
        ServeContentCase {
            name: "if_none_match_malformed",
            file: css,
            serve_etag: "\"foo\"",
            req_header: h(&[("If-None-Match", ",")]),
            want_status: 200,
            want_content_type: css_type,
            ..base()
        },
        ServeContentCase {
            name: "range_good",
            file: css,
            serve_etag: "\"A\"",
            req_header: h(&[("Range", "bytes=0-4")]),
            want_status: 206,
            want_content_type: css_type,
            want_content_range: "bytes 0-4/8",
            ..base()
        },
        ServeContentCase {
            name: "range_match",
            file: css,
            serve_etag: "\"A\"",
            req_header: h(&[("Range", "bytes=0-4"), ("If-Range", "\"A\"")]),
            want_status: 206,
            want_content_type: css_type,
            want_content_range: "bytes 0-4/8",
            ..base()
        },
        ServeContentCase {
            name: "range_match_weak_etag",
            file: css,
            serve_etag: "W/\"A\"",
            req_header: h(&[("Range", "bytes=0-4"), ("If-Range", "W/\"A\"")]),
            want_status: 200,
            want_content_type: css_type,
            ..base()
        },
        ServeContentCase {
            name: "range_no_overlap",
            file: css,
            serve_etag: "\"A\"",
            req_header: h(&[("Range", "bytes=10-20")]),
            want_status: 416,
            want_content_type: "text/plain; charset=utf-8",
            want_content_range: "bytes */8",
            ..base()
        },
        // An If-Range resource for entity "A", but entity "B" is now
        // current: the Range request is ignored.
        ServeContentCase {
            name: "range_no_match",
            file: css,
            serve_etag: "\"A\"",
            req_header: h(&[("Range", "bytes=0-4"), ("If-Range", "\"B\"")]),
            want_status: 200,
            want_content_type: css_type,
            ..base()
        },
        ServeContentCase {
            name: "range_with_modtime",
            file: css,
            modtime: Some(june),
            req_header: h(&[
                ("Range", "bytes=0-4"),
                ("If-Range", "Wed, 25 Jun 2014 17:12:18 GMT"),
            ]),
            want_status: 206,
            want_content_type: css_type,
            want_content_range: "bytes 0-4/8",
            want_last_mod: "Wed, 25 Jun 2014 17:12:18 GMT".into(),
            ..base()
        },
        ServeContentCase {
            name: "range_with_modtime_mismatch",
            file: css,
            modtime: Some(june),
            req_header: h(&[
                ("Range", "bytes=0-4"),
                ("If-Range", "Wed, 25 Jun 2014 17:12:19 GMT"),
            ]),
            want_status: 200,
            want_content_type: css_type,
            want_last_mod: "Wed, 25 Jun 2014 17:12:18 GMT".into(),
            ..base()
        },
        ServeContentCase {
            name: "range_with_modtime_nanos",
            file: css,
            modtime: Some(june + Duration::from_nanos(123)),
            req_header: h(&[
                ("Range", "bytes=0-4"),
                ("If-Range", "Wed, 25 Jun 2014 17:12:18 GMT"),
            ]),
            want_status: 206,
            want_content_type: css_type,
            want_content_range: "bytes 0-4/8",
            want_last_mod: "Wed, 25 Jun 2014 17:12:18 GMT".into(),
            ..base()
        },
        ServeContentCase {
            name: "unix_zero_modtime",
            content: Some("<html>foo"),
            modtime: Some(UNIX_EPOCH),
            want_status: 200,
            want_content_type: "text/html; charset=utf-8",
            ..base()
        },
        ServeContentCase {
            name: "ifmatch_matches",
            file: css,
            serve_etag: "\"A\"",
            req_header: h(&[("If-Match", "\"Z\", \"A\"")]),
            want_status: 200,
            want_content_type: css_type,
            ..base()
        },
        ServeContentCase {
            name: "ifmatch_star",
            file: css,
            serve_etag: "\"A\"",
            req_header: h(&[("If-Match", "*")]),
            want_status: 200,
            want_content_type: css_type,
            ..base()
        },
        ServeContentCase {
            name: "ifmatch_failed",
            file: css,
            serve_etag: "\"A\"",
            req_header: h(&[("If-Match", "\"B\"")]),
            want_status: 412,
            ..base()
        },
        ServeContentCase {
            name: "ifmatch_fails_on_weak_etag",
            file: css,
            serve_etag: "W/\"A\"",
            req_header: h(&[("If-Match", "W/\"A\"")]),
            want_status: 412,
            ..base()
        },
        ServeContentCase {
            name: "if_unmodified_since_true",
            file: css,
            modtime: Some(html_mod),
            req_header: h(&[("If-Unmodified-Since", &html_mod_str)]),
            want_status: 200,
            want_content_type: css_type,
            want_last_mod: html_mod_str.clone(),
            ..base()
        },
        ServeContentCase {
            name: "if_unmodified_since_false",
            file: css,
            modtime: Some(html_mod),
            req_header: h(&[(
                "If-Unmodified-Since",
                &http_date(html_mod - Duration::from_secs(2)),
            )]),
            want_status: 412,
            want_last_mod: html_mod_str.clone(),
            ..base()
        },
    ];
    assert_eq!(cases.len(), 23);

    for tt in &cases {
        for method in ["GET", "HEAD"] {
            let mut w = Recorder::default();
            if !tt.serve_etag.is_empty() {
                w.header().set("ETag", tt.serve_etag);
            }
            if !tt.serve_content_type.is_empty() {
                w.header().set("Content-Type", tt.serve_content_type);
            }
            let mut r = request(method, "/");
            for (k, v) in &tt.req_header {
                r.header.set(k, v.as_str());
            }
            // Go passes filepath.Base(file): "." when there is no file.
            let name = Path::new(tt.file)
                .file_name()
                .map_or(".".to_string(), |n| n.to_string_lossy().into_owned());
            if tt.no_seek {
                serve_content(&mut w, &r, &name, tt.modtime, &mut PanicOnSeek);
            } else if let Some(c) = tt.content {
                serve_content(&mut w, &r, &name, tt.modtime, &mut Cursor::new(c));
            } else {
                let mut f = std::fs::File::open(d.path().join(tt.file)).unwrap();
                serve_content(&mut w, &r, &name, tt.modtime, &mut f);
            }
            let what = format!("{} using {method}", tt.name);
            assert_eq!(w.code, tt.want_status, "{what}: status");
            assert_eq!(
                w.get("Content-Type"),
                tt.want_content_type,
                "{what}: content-type"
            );
            assert_eq!(
                w.get("Content-Range"),
                tt.want_content_range,
                "{what}: content-range"
            );
            assert_eq!(
                w.get("Last-Modified"),
                tt.want_last_mod,
                "{what}: last-modified"
            );
            if method == "HEAD" {
                assert!(w.body.is_empty() || tt.want_status >= 400, "{what}: body");
            }
        }
    }
}

/// Go's `TestServeContentHeadersWithError` (default GODEBUG).
#[test]
fn serve_content_error_drops_caching_headers() {
    let mut w = Recorder::default();
    let h = w.header();
    h.set("Content-Type", "application/octet-stream");
    h.set("Content-Length", "7");
    h.set("Content-Encoding", "gzip");
    h.set("Etag", "\"abcdefgh\"");
    h.set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
    h.set("Cache-Control", "immutable");
    h.set("Other-Header", "test");
    let r = with(get("/"), &[("Range", "bytes=100-10000")]);
    serve_content(&mut w, &r, "", None, &mut Cursor::new(b"content"));
    assert_eq!(w.code, 416);
    assert_eq!(w.text(), "invalid range: failed to overlap\n");
    assert_eq!(w.get("Content-Type"), "text/plain; charset=utf-8");
    for k in [
        "Content-Length",
        "Content-Encoding",
        "Etag",
        "Last-Modified",
        "Cache-Control",
    ] {
        assert!(!w.head().has(k), "{k}");
    }
    assert_eq!(w.get("Content-Range"), "bytes */7");
    assert_eq!(w.get("Other-Header"), "test");
}

#[test]
fn serve_content_sniffs_and_rewinds() {
    let data = b"   <!DOCTYPE html><title>x</title>";
    let mut w = Recorder::default();
    serve_content(&mut w, &get("/"), "", None, &mut Cursor::new(&data[..]));
    assert_eq!(w.get("Content-Type"), "text/html; charset=utf-8");
    assert_eq!(w.body, data);
    assert_eq!(w.get("Content-Length"), data.len().to_string());
    assert_eq!(detect_content_type(data), "text/html; charset=utf-8");
    // Only the first 512 bytes are read to decide.
    let mut big = vec![b'x'; 600];
    big[520] = 0;
    let mut w = Recorder::default();
    serve_content(
        &mut w,
        &get("/"),
        "big",
        None,
        &mut Cursor::new(big.clone()),
    );
    assert_eq!(w.get("Content-Type"), "text/plain; charset=utf-8");
    assert_eq!(w.body, big);
}

/// Content that cannot seek is a 500 with Go's fixed text.
#[test]
fn serve_content_unseekable_is_500() {
    struct NoSeek(Cursor<&'static [u8]>);
    impl Read for NoSeek {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.0.read(b)
        }
    }
    impl Seek for NoSeek {
        fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
            Err(io::Error::other("secret detail"))
        }
    }
    let mut w = Recorder::default();
    w.header().set("Content-Type", "text/plain");
    serve_content(
        &mut w,
        &get("/"),
        "",
        None,
        &mut NoSeek(Cursor::new(b"abc")),
    );
    assert_eq!((w.code, w.text()), (500, "seeker can't seek\n".to_string()));
}

#[test]
fn serve_content_if_modified_since_and_methods() {
    let t = UNIX_EPOCH + Duration::new(1_000_000_000, 500);
    let serve = |method: &str, ims: &str| {
        let mut w = Recorder::default();
        let r = with(request(method, "/"), &[("If-Modified-Since", ims)]);
        serve_content(&mut w, &r, "a.txt", Some(t), &mut Cursor::new(b"hi"));
        w
    };
    let at = http_date(t);
    let before = http_date(t - Duration::from_secs(1));
    assert_eq!(serve("GET", &at).code, 304);
    assert_eq!(serve("HEAD", &at).code, 304);
    assert_eq!(serve("GET", &before).code, 200);
    // Only GET and HEAD are conditional on the date.
    assert_eq!(serve("POST", &at).code, 200);
    // An unparsable date is ignored; the RFC 850 and asctime forms count.
    assert_eq!(serve("GET", "yesterday").code, 200);
    assert_eq!(serve("GET", "Sunday, 09-Sep-01 01:46:40 GMT").code, 304);
    assert_eq!(serve("GET", "Sun Sep  9 01:46:40 2001").code, 304);
    // If-None-Match wins over If-Modified-Since; for other methods its
    // failure is 412.
    let mut w = Recorder::default();
    w.header().set("Etag", "\"x\"");
    let r = with(
        request("PUT", "/"),
        &[("If-None-Match", "*"), ("If-Modified-Since", &before)],
    );
    serve_content(&mut w, &r, "a.txt", Some(t), &mut Cursor::new(b"hi"));
    assert_eq!(w.code, 412);
}

// ---------------------------------------------------------------------------
// FileServer

/// Go's `fsRedirectTestData`, every row, behind a `/test` prefix stripped
/// by hand as `strip_prefix` would, following redirects as a client.
#[test]
fn file_server_redirects() {
    let d = testdata();
    let fs = file_server(d.path());
    // Rows whose request escapes a slash need a URL type whose
    // escaped_path keeps the client's spelling (raw_path).
    let probe = gort_http::url::URL {
        path: "/a/b".into(),
        raw_path: "/a%2fb".into(),
        ..Default::default()
    };
    let keeps_raw_path = probe.escaped_path() == "/a%2fb";
    let table = [
        ("/test/index.html", "/test/", 200),
        ("/test/testdata", "/test/testdata/", 200),
        ("/test/testdata/file/", "/test/testdata/file", 200),
        // A redirect from a path with an escaped slash is a 404; the same
        // path without a redirect is fine.
        ("/test%2ftestdata", "/test/testdata", 404),
        ("/test/testdata%2ffile/", "/test/testdata/file/", 404),
        (
            "/test/testdata%2Findex.html",
            "/test/testdata/index.html",
            404,
        ),
        ("/test/testdata%2ffile", "/test/testdata/file", 200),
        ("/test/testdata%2F", "/test/testdata/", 200),
    ];
    for (original, want_path, want_status) in table {
        if want_status == 404 && !keeps_raw_path {
            eprintln!("skipping {original}: url::URL::escaped_path ignores raw_path");
            continue;
        }
        let mut raw = original.to_string();
        let mut hops = 0;
        let (path, status) = loop {
            let decoded = raw.replace("%2f", "/").replace("%2F", "/");
            let mut r = get("/");
            // What strip_prefix("/test") leaves.
            r.url.path = decoded.strip_prefix("/test").unwrap().to_string();
            if decoded != raw {
                r.url.raw_path = raw.strip_prefix("/test").unwrap().to_string();
            }
            let w = serve(&fs, r);
            if w.code != 301 {
                break (decoded, w.code);
            }
            raw = resolve(&raw, w.get("Location"));
            hops += 1;
            assert!(hops < 5, "redirect loop from {original}");
        };
        assert_eq!(path, want_path, "redirect from {original}");
        assert_eq!(status, want_status, "status from {original}");
    }
}

/// Resolves a relative reference against an absolute path (RFC 3986 §5.2
/// for path-only references).
fn resolve(base: &str, rel: &str) -> String {
    let dir = &base[..=base.rfind('/').unwrap()];
    let mut out: Vec<&str> = Vec::new();
    let joined = format!("{dir}{rel}");
    let segs: Vec<&str> = joined.split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

/// Go's `TestFileServerCleans` and `TestFileServerImplicitLeadingSlash`.
#[test]
fn file_server_cleans_paths_and_adds_the_leading_slash() {
    let d = TempDir::new("clean");
    d.write("foo.txt", b"Hello world");
    let fs = file_server(d.path());
    for path in [
        "/foo.txt",
        "//foo.txt",
        "/../foo.txt",
        "/./x/../foo.txt",
        "foo.txt",
    ] {
        let w = serve(&fs, get(path));
        assert_eq!((w.code, w.text()), (200, "Hello world".into()), "{path}");
    }
    let w = serve(&fs, get(""));
    assert_eq!(w.code, 200);
    assert!(w.text().contains(">foo.txt<"));
}

/// Go's `TestFileServerEscapesNames`, every row.
#[test]
fn file_server_listing_escapes_names() {
    const PREFIX: &str =
        "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n";
    const SUFFIX: &str = "\n</pre>\n";
    let table = [
        ("simple_name", "<a href=\"simple_name\">simple_name</a>"),
        (
            "\"'<>&",
            "<a href=\"%22%27%3C%3E&\">&#34;&#39;&lt;&gt;&amp;</a>",
        ),
        (
            "?foo=bar#baz",
            "<a href=\"%3Ffoo=bar%23baz\">?foo=bar#baz</a>",
        ),
        (
            "<combo>?foo",
            "<a href=\"%3Ccombo%3E%3Ffoo\">&lt;combo&gt;?foo</a>",
        ),
        ("foo:bar", "<a href=\"./foo:bar\">foo:bar</a>"),
    ];
    let d = TempDir::new("escape");
    for (i, (name, _)) in table.iter().enumerate() {
        d.write(&format!("{i}/{name}"), b"");
    }
    let fs = file_server(d.path());
    for (i, (name, escaped)) in table.iter().enumerate() {
        let w = serve(&fs, get(&format!("/{i}/")));
        assert_eq!(w.code, 200, "{name}");
        assert_eq!(w.get("Content-Type"), "text/html; charset=utf-8");
        assert_eq!(w.text(), format!("{PREFIX}{escaped}{SUFFIX}"), "{name}");
    }
}

/// Go's `TestFileServerSortsNames`, plus directories' trailing slashes.
#[test]
fn file_server_listing_sorts_and_marks_directories() {
    let d = TempDir::new("sort");
    d.write("b", b"I am a fake file");
    d.write("a", b"I am a fake file");
    d.mkdir("c");
    d.write("B", b"");
    let w = serve(&file_server(d.path()), get("/"));
    assert!(
        w.text().contains(
            "<pre>\n<a href=\"B\">B</a>\n<a href=\"a\">a</a>\n<a href=\"b\">b</a>\n<a href=\"c/\">c/</a>\n</pre>"
        ),
        "{}",
        w.text()
    );
    assert!(!w.get("Last-Modified").is_empty());
}

/// Go's `TestServeIndexHtml` and `TestFileServerCleanPath`.
#[test]
fn file_server_index_html() {
    let d = testdata();
    d.mkdir("dir");
    let fs = file_server(d.path());
    let w = serve(&fs, get("/testdata/"));
    assert_eq!((w.code, w.text()), (200, INDEX.to_string()));
    assert_eq!(w.get("Content-Type"), "text/html; charset=utf-8");
    let w = serve(&fs, get("/testdata/index.html"));
    assert_eq!((w.code, w.get("Location")), (301, "./"));
    let w = serve(&fs, get("/testdata/index.html?q=1"));
    assert_eq!(w.get("Location"), "./?q=1");
    // Without index.html: a listing.
    assert_eq!(serve(&fs, get("/")).code, 200);
    assert_eq!(serve(&fs, get("/dir/")).code, 200);
    let w = serve(&fs, get("/dir"));
    assert_eq!((w.code, w.get("Location")), (301, "dir/"));
    let w = serve(&fs, get("/testdata/file/"));
    assert_eq!((w.code, w.get("Location")), (301, "../file"));
}

/// Go's `TestDirectoryIfNotModified`, with a real file's times.
#[test]
fn file_server_directory_if_modified_since_uses_the_index() {
    let d = TempDir::new("ims");
    let index = d.write("index.html", b"I am a fake index.html file");
    let file_mod = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&index)
        .unwrap()
        .set_modified(file_mod)
        .unwrap();
    let fs = file_server(d.path());
    let w = serve(&fs, get("/"));
    assert_eq!(w.text(), "I am a fake index.html file");
    let last_mod = w.get("Last-Modified").to_string();
    assert_eq!(last_mod, "Sun, 09 Sep 2001 01:46:40 GMT");

    let w = serve(&fs, with(get("/"), &[("If-Modified-Since", &last_mod)]));
    assert_eq!(w.code, 304);

    std::fs::File::options()
        .write(true)
        .open(&index)
        .unwrap()
        .set_modified(file_mod + Duration::from_secs(3600))
        .unwrap();
    let w = serve(&fs, with(get("/"), &[("If-Modified-Since", &last_mod)]));
    assert_eq!(w.code, 200);

    // A listing answers If-Modified-Since by the directory's own time.
    let sub = d.mkdir("sub");
    std::fs::File::open(&sub)
        .unwrap()
        .set_modified(file_mod)
        .unwrap_or(());
    let w = serve(&fs, get("/sub/"));
    let dir_mod = w.get("Last-Modified").to_string();
    let w = serve(&fs, with(get("/sub/"), &[("If-Modified-Since", &dir_mod)]));
    assert_eq!(w.code, 304);
}

/// Go's `TestFileServerZeroByte`, `TestFileServerNullByte`,
/// `TestFileServerNamesEscape` and `TestFileServerNotDirError`.
#[test]
fn file_server_refuses_bad_names() {
    let d = testdata();
    let fs = file_server(d.path().join("testdata"));
    for path in [
        "/..\0",
        "/file\0",
        "/\0",
        "/file/qwe/\0",
        "/../testdata/file",
        "/NUL",
        "/index.html/not-a-file",
        "/index.html/not-a-dir/not-a-file",
    ] {
        let w = serve(&fs, get(path));
        assert_eq!(w.code, 404, "{path:?}");
        assert_eq!(w.text(), "404 page not found\n", "{path:?}");
    }
}

/// Go's `TestFileServerErrorMessages` (404 and 500; a 403 needs a
/// permission the test runner may bypass, as root does).
#[test]
fn file_server_errors_are_fixed_texts_without_caching_headers() {
    let d = TempDir::new("errors");
    #[cfg(unix)]
    std::os::unix::fs::symlink("loop", d.path().join("loop")).unwrap();
    let fs = file_server(d.path());
    let mut cases = vec![("/404", 404, "404 page not found\n")];
    if cfg!(unix) {
        cases.push(("/loop", 500, "500 Internal Server Error\n"));
    }
    for (path, code, text) in cases {
        let mut w = Recorder::default();
        let h = w.header();
        h.set("Etag", "étude");
        h.set("Cache-Control", "yes");
        h.set("Content-Type", "awesome");
        h.set("Last-Modified", "yesterday");
        fs.serve_http(&mut w, &mut get(path));
        assert_eq!((w.code, w.text().as_str()), (code, text), "{path}");
        for k in ["Etag", "Last-Modified", "Cache-Control"] {
            assert!(!w.head().has(k), "{path}: {k}");
        }
        assert_eq!(w.get("Content-Type"), "text/plain; charset=utf-8");
    }
}

/// Go's `TestServeFileRejectsInvalidSuffixLengths`, every row.
#[test]
fn file_server_suffix_lengths() {
    let d = testdata();
    let fs = file_server(d.path().join("testdata"));
    let table = [
        ("bytes=--6", 416, "invalid range\n"),
        ("bytes=--0", 416, "invalid range\n"),
        ("bytes=---0", 416, "invalid range\n"),
        ("bytes=-6", 206, "hello\n"),
        ("bytes=6-", 206, "html says hello\n"),
        ("bytes=-6-", 416, "invalid range\n"),
        ("bytes=-0", 206, ""),
        ("bytes=", 200, "index.html says hello\n"),
    ];
    for (range, code, body) in table {
        let w = serve(&fs, with(get("/index.html"), &[("Range", range)]));
        // /index.html redirects to ./ first; serve the directory instead.
        assert_eq!(w.code, 301);
        let w = serve(&fs, with(get("/"), &[("Range", range)]));
        assert_eq!((w.code, w.text().as_str()), (code, body), "{range}");
    }
}

/// Go's `TestFileServerMethods`.
#[test]
fn file_server_methods() {
    let d = testdata();
    let fs = file_server(d.path().join("testdata"));
    for method in [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
    ] {
        let w = serve(&fs, request(method, "/file"));
        let want: &[u8] = if method == "HEAD" { b"" } else { FILE };
        assert_eq!(w.body, want, "{method}");
        assert_eq!(w.get("Content-Length"), "11", "{method}");
    }
}

/// Go's `TestFileServerDirWithRootFile`.
#[test]
fn file_server_root_that_is_a_file() {
    let d = testdata();
    let fs = file_server(d.path().join("testdata/index.html"));
    let w = serve(&fs, get("/"));
    assert_eq!(w.code, 500);
}

/// Symbolic links are followed, also out of the root, as Go's `Dir` does;
/// a listing shows a link by its own type.
#[cfg(unix)]
#[test]
fn file_server_follows_symlinks() {
    let outside = TempDir::new("outside");
    outside.write("secret.txt", b"outside");
    let d = TempDir::new("links");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.path().join("s.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), d.path().join("out")).unwrap();
    let fs = file_server(d.path());
    assert_eq!(serve(&fs, get("/s.txt")).text(), "outside");
    assert_eq!(serve(&fs, get("/out/secret.txt")).text(), "outside");
    let listing = serve(&fs, get("/")).text();
    assert!(listing.contains("<a href=\"out\">out</a>"), "{listing}");
    // But `..` never leaves the root lexically.
    let w = serve(&fs, get("/../../../../etc/passwd"));
    assert_eq!(w.code, 404);
}

/// Go's `TestServeFileFromCWD` and `TestEmptyDirOpenCWD`: relative names
/// and an empty root mean the current directory.
#[test]
fn relative_names_and_empty_root() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(manifest).unwrap();
    let mut w = Recorder::default();
    serve_file(&mut w, &get("/"), "Cargo.toml");
    assert_eq!(w.code, 200);
    let fs = file_server("");
    assert_eq!(serve(&fs, get("/Cargo.toml")).code, 200);
}
