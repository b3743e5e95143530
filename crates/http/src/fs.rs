//! Mirrors Go src/net/http/fs.go (go1.27): `FileServer` over a directory, `ServeFile` and `ServeContent`, with conditional requests, byte ranges and directory listings.
//!
//! Three entry points share one engine. [`file_server`] maps the request
//! path onto a directory tree the way Go's `FileServer(http.Dir(root))`
//! does: the path is cleaned lexically so it cannot climb above the root,
//! paths holding a NUL byte are refused, directories are answered with their
//! `index.html` or an HTML listing, and requests are redirected to the
//! canonical spelling (`/dir` to `/dir/`, `/x/index.html` to `/x/`) with
//! relative `Location`s, so the handler still works behind `strip_prefix`.
//! Symbolic links are followed wherever they point, as Go's `Dir` does: the
//! root must not hold links the world should not see. [`serve_file`]
//! serves one named file or directory, refusing request paths with a `..`
//! element as Go does. [`serve_content`] serves any seekable content.
//!
//! All three end in the same place: the preconditions of RFC 9110 §13
//! (`If-Match`, `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since`,
//! then `If-Range`) are evaluated in the RFC's order and may answer 304 or
//! 412; then the `Content-Type` comes from the handler, the name's
//! extension, or sniffing the first 512 bytes; then a `Range` header picks
//! one part (206 with `Content-Range`), several (206 with a
//! `multipart/byteranges` body) or none (416 with `Content-Range: bytes
//! */size`). Error replies carry only Go's fixed texts (`404 page not
//! found`, `403 Forbidden`, `500 Internal Server Error`), never the
//! operating system's message, and drop the caching headers the caller may
//! have set for a successful reply.
//!
//! Left out from Go: the `FileSystem`/`fs.FS` abstraction (only the real
//! filesystem is served), the system `mime.types` files (a built-in table
//! of common extensions, the one Go compiles in, is used), and the GODEBUG
//! switches `httpservecontentkeepheaders` and `httpservecontentmaxranges`
//! (their defaults are what gort does).

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::header::Header;
use crate::request::Request;
use crate::server::{Handler, ResponseWriter, error};
use crate::sniff::detect_content_type;
use crate::status::{
    STATUS_BAD_REQUEST, STATUS_FORBIDDEN, STATUS_INTERNAL_SERVER_ERROR, STATUS_MOVED_PERMANENTLY,
    STATUS_NOT_FOUND, STATUS_NOT_MODIFIED, STATUS_OK, STATUS_PARTIAL_CONTENT,
    STATUS_PRECONDITION_FAILED, STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
};
use crate::textproto::trim_string;

/// How many bytes are read to sniff a type, as [`detect_content_type`] looks at.
const SNIFF_LEN: usize = 512;

/// A `Range` header with more parts than this is ignored (Go's default
/// `httpservecontentmaxranges`).
const MAX_CONTENT_RANGES: usize = 200;

// ---------------------------------------------------------------------------
// Entry points

/// A handler that serves the files under `root` (Go's
/// `http.FileServer(http.Dir(root))`).
///
/// The request path, cleaned, names a file below `root`; `..` elements
/// cannot climb above it and a path holding a NUL byte is not found. A
/// directory is answered with its `index.html` when it has one, else with
/// an HTML listing of its entries. Requests are redirected (301, relative
/// `Location`) to the canonical spelling: a directory's path ends in `/`, a
/// file's does not, and `…/index.html` becomes `…/`. Files are served by
/// [`serve_content`]'s rules (conditional requests, ranges, types).
///
/// Symbolic links are followed, also out of `root`, and names starting with
/// a dot are served, as Go does: serve a tree whose contents are meant to be
/// public. An empty `root` is the current directory.
///
/// ```no_run
/// let static_files = gort_http::file_server("/srv/www");
/// # let _ = static_files;
/// ```
#[doc(alias = "FileServer")]
pub fn file_server(root: impl AsRef<Path>) -> impl Handler {
    FileHandler {
        root: Dir(root.as_ref().to_path_buf()),
    }
}

/// Replies with the contents of the file or directory `name` (Go's
/// `http.ServeFile`).
///
/// `name` is a filesystem path, relative to the current directory or
/// absolute, and may climb with `..`: do not build it from the request
/// without sanitizing it. As a guard against handlers that do, a request
/// whose URL path has a `..` element is refused with 400. A request path
/// ending in `/index.html` is redirected to the path without it. Otherwise
/// the request path is not looked at: only `name` selects what is served.
#[doc(alias = "ServeFile")]
pub fn serve_file(w: &mut dyn ResponseWriter, r: &Request, name: impl AsRef<Path>) {
    if contains_dot_dot(&r.url.path) {
        serve_error(w, "invalid URL path", STATUS_BAD_REQUEST);
        return;
    }
    let name = path_bytes(name.as_ref());
    let (dir, file) = split_last(&name);
    serve_file_from(w, r, &Dir(path_from_bytes(dir)), file, false);
}

/// Replies with `content`, honouring conditional and range requests (Go's
/// `http.ServeContent`).
///
/// The `Content-Type` is the one already in `w`'s header if the handler set
/// one (an empty value included, which turns sniffing off); else the type
/// of `name`'s extension; else what [`detect_content_type`] makes of the
/// first 512 bytes. `name` is used for nothing else and may be empty.
///
/// `modtime`, unless it is `None` or the Unix epoch, is sent as
/// `Last-Modified` and checked against `If-Modified-Since`,
/// `If-Unmodified-Since` and `If-Range`. An `ETag` the handler set in `w`'s
/// header is checked against `If-Match`, `If-None-Match` and `If-Range`.
///
/// The size is found by seeking to the end, so seeking must work. On an
/// error (an unsatisfiable range, a failing seek) the reply is an error
/// status with a short text, and the `Cache-Control`, `Content-Encoding`,
/// `ETag` and `Last-Modified` the handler may have set are removed.
///
/// ```
/// use std::io::Cursor;
/// use gort_http::{Request, ResponseWriter, serve_content};
///
/// fn handler(w: &mut dyn ResponseWriter, r: &mut Request) {
///     w.header().set("ETag", "\"v1\"");
///     serve_content(w, r, "hello.txt", None, &mut Cursor::new(b"hello, world\n"));
/// }
/// # let _ = handler;
/// ```
#[doc(alias = "ServeContent")]
pub fn serve_content(
    w: &mut dyn ResponseWriter,
    r: &Request,
    name: &str,
    modtime: Option<SystemTime>,
    content: &mut (impl Read + Seek),
) {
    serve_content_sized(w, r, name.as_bytes(), modtime, None, content);
}

/// The handler [`file_server`] returns.
struct FileHandler {
    root: Dir,
}

impl Handler for FileHandler {
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
        if !r.url.path.starts_with('/') {
            r.url.path.insert(0, '/');
        }
        let name = clean(r.url.path.as_bytes());
        serve_file_from(w, r, &self.root, &name, true);
    }
}

// ---------------------------------------------------------------------------
// Opening files below a root (Go's `Dir`)

/// A directory of the real filesystem that '/'-separated names are looked
/// up in (Go's `http.Dir`).
struct Dir(PathBuf);

/// Why a name could not be opened, as far as the reply cares.
#[derive(Debug)]
enum OpenError {
    NotExist,
    Permission,
    /// The name cannot be a local path (it holds a NUL).
    InvalidPath,
    Other,
}

/// An open file or directory and what `stat` said about it.
struct Opened {
    file: File,
    /// The full path it was opened by; a directory is listed through it.
    path: PathBuf,
    meta: std::fs::Metadata,
}

impl Opened {
    /// The final element of the path it was opened by (Go's
    /// `FileInfo.Name` for an `os.File`).
    fn base_name(&self) -> Vec<u8> {
        let p = path_bytes(&self.path);
        let trimmed = trim_trailing_slashes(&p);
        match trimmed.iter().rposition(|&b| b == b'/') {
            Some(i) => trimmed[i + 1..].to_vec(),
            None => trimmed.to_vec(),
        }
    }

    fn modtime(&self) -> Option<SystemTime> {
        self.meta.modified().ok()
    }
}

impl OpenError {
    fn from_io(e: &io::Error) -> OpenError {
        match e.kind() {
            io::ErrorKind::NotFound => OpenError::NotExist,
            io::ErrorKind::PermissionDenied => OpenError::Permission,
            _ => OpenError::Other,
        }
    }
}

impl Dir {
    /// Opens the '/'-separated `name` below the directory: the name is
    /// cleaned as if rooted, so `..` stops at the root, and refused if it
    /// holds a NUL byte.
    fn open(&self, name: &[u8]) -> Result<Opened, OpenError> {
        let rooted = [b"/", name].concat();
        let cleaned = clean(&rooted);
        let rel = if cleaned.len() == 1 {
            b"." as &[u8]
        } else {
            &cleaned[1..]
        };
        if rel.contains(&0) {
            return Err(OpenError::InvalidPath);
        }
        let dir = path_bytes(&self.0);
        let dir: &[u8] = if dir.is_empty() { b"." } else { &dir };
        let full = clean(&[dir, b"/", rel].concat());
        let full_path = path_from_bytes(&full);
        let file = File::open(&full_path).map_err(|e| map_open_error(&e, &full))?;
        let meta = file.metadata().map_err(|e| OpenError::from_io(&e))?;
        Ok(Opened {
            file,
            path: full_path,
            meta,
        })
    }
}

/// Turns an error from opening `full` into a clearer one: a path that runs
/// through a regular file (`/index.html/x`, ENOTDIR on Unix) does not exist
/// (Go's `mapOpenError`).
fn map_open_error(err: &io::Error, full: &[u8]) -> OpenError {
    let mapped = OpenError::from_io(err);
    if !matches!(mapped, OpenError::Other) {
        return mapped;
    }
    for (i, &b) in full.iter().enumerate() {
        let at_end = i + 1 == full.len();
        if !(b == b'/' || at_end) {
            continue;
        }
        let prefix = if at_end { full } else { &full[..i] };
        if prefix.is_empty() || prefix.ends_with(b"/") {
            continue;
        }
        match std::fs::metadata(path_from_bytes(prefix)) {
            Err(_) => return mapped,
            Ok(m) if !m.is_dir() => return OpenError::NotExist,
            Ok(_) => {}
        }
    }
    mapped
}

/// The fixed message and status for an open or stat error, never the
/// operating system's own text (Go's `toHTTPError`).
fn to_http_error(e: &OpenError) -> (&'static str, u16) {
    match e {
        OpenError::NotExist | OpenError::InvalidPath => ("404 page not found", STATUS_NOT_FOUND),
        OpenError::Permission => ("403 Forbidden", STATUS_FORBIDDEN),
        OpenError::Other => ("500 Internal Server Error", STATUS_INTERNAL_SERVER_ERROR),
    }
}

// ---------------------------------------------------------------------------
// Serving a name (Go's `serveFile`)

/// Serves `name` ('/'-separated, relative to `fs`); with `redirect`, first
/// sends requests whose path does not match the kind of thing found (a
/// directory without the trailing slash, a file with one) to the right
/// spelling.
fn serve_file_from(w: &mut dyn ResponseWriter, r: &Request, fs: &Dir, name: &[u8], redirect: bool) {
    const INDEX_PAGE: &str = "/index.html";

    // Relative, so it stays right when a prefix was stripped in front.
    if r.url.path.ends_with(INDEX_PAGE) {
        local_redirect(w, r, "./");
        return;
    }

    let mut f = match fs.open(name) {
        Ok(f) => f,
        Err(e) => {
            let (msg, code) = to_http_error(&e);
            serve_error(w, msg, code);
            return;
        }
    };

    let url = r.url.path.as_str();
    if redirect {
        if f.meta.is_dir() {
            if !url.ends_with('/') {
                local_redirect(w, r, &format!("{}/", base(url)));
                return;
            }
        } else if url.ends_with('/') {
            let b = base(url);
            if b == "/" || b == "." {
                // The root itself is a file: there is no "../file" to send
                // the client to.
                serve_error(
                    w,
                    "http: attempting to traverse a non-directory",
                    STATUS_INTERNAL_SERVER_ERROR,
                );
                return;
            }
            local_redirect(w, r, &format!("../{b}"));
            return;
        }
    }

    if f.meta.is_dir() {
        if !url.ends_with('/') {
            local_redirect(w, r, &format!("{}/", base(url)));
            return;
        }
        let dir = name.strip_suffix(b"/").unwrap_or(name);
        if let Ok(index) = fs.open(&[dir, INDEX_PAGE.as_bytes()].concat()) {
            f = index;
        }
    }

    // Still a directory: no index.html (or one that is a directory itself).
    if f.meta.is_dir() {
        let modtime = f.modtime();
        if check_if_modified_since(r, modtime) == Cond::False {
            write_not_modified(w);
            return;
        }
        set_last_modified(w, modtime);
        dir_list(w, &f.path);
        return;
    }

    let base_name = f.base_name();
    let size = f.meta.len();
    let modtime = f.modtime();
    serve_content_sized(w, r, &base_name, modtime, Some(size), &mut f.file);
}

/// Answers with an HTML listing of the directory at `path`, entries sorted
/// by name, directories marked with a trailing slash.
fn dir_list(w: &mut dyn ResponseWriter, path: &Path) {
    let read = std::fs::read_dir(path).and_then(|entries| {
        entries
            .map(|e| {
                let e = e?;
                // Like Go's ReadDir, the entry's own type: a link to a
                // directory is listed as a link, without the slash.
                let is_dir = e.file_type()?.is_dir();
                Ok((path_bytes(Path::new(&e.file_name())).into_owned(), is_dir))
            })
            .collect::<io::Result<Vec<_>>>()
    });
    let mut entries = match read {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("http: error reading directory: {e}");
            error(w, "Error reading directory", STATUS_INTERNAL_SERVER_ERROR);
            return;
        }
    };
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    w.header().set("Content-Type", "text/html; charset=utf-8");
    let mut out = Vec::with_capacity(128 + entries.len() * 64);
    out.extend_from_slice(
        b"<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n",
    );
    for (mut name, is_dir) in entries {
        if is_dir {
            name.push(b'/');
        }
        out.extend_from_slice(b"<a href=\"");
        out.extend_from_slice(relative_href(&name).as_bytes());
        out.extend_from_slice(b"\">");
        html_escape_into(&mut out, &name);
        out.extend_from_slice(b"</a>\n");
    }
    out.extend_from_slice(b"</pre>\n");
    let _ = w.write_all(&out);
}

/// `name` as a relative URL reference with a path only: escaped as a URL
/// path (so `?` and `#` stay part of it), and behind `./` when its first
/// segment has a colon, which would otherwise read as a scheme (what Go's
/// `url.URL{Path: name}.String()` gives).
fn relative_href(name: &[u8]) -> String {
    if name == b"*" {
        return "*".to_string();
    }
    let mut s = String::with_capacity(name.len() + 2);
    let first_segment = name.split(|&b| b == b'/').next().unwrap_or(b"");
    if first_segment.contains(&b':') {
        s.push_str("./");
    }
    for &b in name {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            s.push(b as char);
        } else {
            s.push('%');
            s.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            s.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    s
}

/// Appends `s` with the five HTML-special bytes as entities.
fn html_escape_into(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            _ => out.push(b),
        }
    }
}

/// A 301 to `new_path` as given, relative (Go's `localRedirect`, unlike
/// its `Redirect`, which makes paths absolute). The query is kept. A path
/// that arrived with an escaped slash gets 404 instead: with a prefix
/// stripped in front there is no telling where the relative path would
/// lead.
fn local_redirect(w: &mut dyn ResponseWriter, r: &Request, new_path: &str) {
    let escaped = r.url.escaped_path();
    if escaped.contains("%2f") || escaped.contains("%2F") {
        error(w, "404 page not found", STATUS_NOT_FOUND);
        return;
    }
    let mut location = new_path.to_string();
    if !r.url.raw_query.is_empty() {
        location.push('?');
        location.push_str(&r.url.raw_query);
    }
    w.header().set("Location", location);
    w.write_header(STATUS_MOVED_PERMANENTLY);
}

/// An error reply from the serving functions: the caching and encoding
/// headers the caller set for a successful reply do not apply to it (Go's
/// `serveError`).
fn serve_error(w: &mut dyn ResponseWriter, text: &str, code: u16) {
    let h = w.header();
    for k in ["Cache-Control", "Content-Encoding", "Etag", "Last-Modified"] {
        h.del(k);
    }
    error(w, text, code);
}

/// Whether `path` has a `..` element, with `/` or `\` as separators.
fn contains_dot_dot(path: &str) -> bool {
    path.contains("..") && path.split(['/', '\\']).any(|e| e == "..")
}

// ---------------------------------------------------------------------------
// Serving content (Go's `serveContent`)

/// Content that can be read and repositioned.
trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// Serves `content`, positioned at its start. `size` is its length when the
/// caller knows it; otherwise it is found by seeking.
fn serve_content_sized(
    w: &mut dyn ResponseWriter,
    r: &Request,
    name: &[u8],
    modtime: Option<SystemTime>,
    size: Option<u64>,
    content: &mut dyn ReadSeek,
) {
    set_last_modified(w, modtime);
    let range_header = match check_preconditions(w, r, modtime) {
        Preconditions::Done => return,
        Preconditions::Proceed { range } => range,
    };

    let mut code = STATUS_OK;

    // A Content-Type the handler set, even an empty one, is kept as is.
    let ctype = if w.header().has("Content-Type") {
        w.header().get("Content-Type").to_string()
    } else {
        let by_ext = type_by_extension(ext(name));
        let ctype = match by_ext {
            Some(t) => t,
            None => {
                let mut buf = [0u8; SNIFF_LEN];
                let n = read_full(content, &mut buf);
                let t = detect_content_type(&buf[..n]);
                if content.seek(SeekFrom::Start(0)).is_err() {
                    serve_error(w, "seeker can't seek", STATUS_INTERNAL_SERVER_ERROR);
                    return;
                }
                t
            }
        };
        w.header().set("Content-Type", ctype);
        ctype.to_string()
    };

    let size = match size.map_or_else(|| seek_size(content), Ok) {
        Ok(s) => s,
        Err(()) => {
            // The seeker's own message is not for the client.
            serve_error(w, "seeker can't seek", STATUS_INTERNAL_SERVER_ERROR);
            return;
        }
    };
    let Ok(size) = i64::try_from(size) else {
        serve_error(
            w,
            "negative content size computed",
            STATUS_INTERNAL_SERVER_ERROR,
        );
        return;
    };

    let mut ranges = match parse_range(&range_header, size) {
        Ok(r) => r,
        // Some clients put a Range on every request to cap the reply; an
        // empty body has nothing to cap, so it is sent whole with 200.
        Err(RangeError::NoOverlap) if size == 0 => Vec::new(),
        Err(e) => {
            if e == RangeError::NoOverlap {
                w.header().set("Content-Range", format!("bytes */{size}"));
            }
            serve_error(w, &e.to_string(), STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
            return;
        }
    };

    // Asking for more bytes than the whole file, in pieces, is abuse or a
    // broken client: the file is sent once, whole.
    if ranges
        .iter()
        .fold(0i64, |sum, ra| sum.saturating_add(ra.length))
        > size
    {
        ranges.clear();
    }

    let mut send_size = size;
    let mut boundary = None;
    match ranges.as_slice() {
        [] => {}
        [ra] => {
            // A single part is never sent as multipart (RFC 9110 §14.6).
            if let Err(e) = content.seek(SeekFrom::Start(ra.start as u64)) {
                serve_error(w, &e.to_string(), STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
                return;
            }
            send_size = ra.length;
            code = STATUS_PARTIAL_CONTENT;
            w.header().set("Content-Range", ra.content_range(size));
        }
        _ => {
            let b = random_boundary();
            send_size = multipart_size(&ranges, &b, &ctype, size);
            code = STATUS_PARTIAL_CONTENT;
            w.header().set(
                "Content-Type",
                format!("multipart/byteranges; boundary={b}"),
            );
            boundary = Some(b);
        }
    }

    w.header().set("Accept-Ranges", "bytes");
    // A handler that set Content-Encoding may be compressing what it is
    // given on the fly; the length on file would then be wrong, so it is
    // left out, except for ranges, which only make sense uncompressed.
    if !ranges.is_empty() || w.header().get("Content-Encoding").is_empty() {
        w.header().set("Content-Length", send_size.to_string());
    }
    w.write_header(code);

    if r.method == "HEAD" {
        return;
    }
    // A plain copy through the writer's buffer: sendfile(2) is not used,
    // because the response writer buffers the head and chunking in user
    // space (the server will gain a zero-copy path for files later). Copy
    // errors end the reply short, as Go's; the client sees a short body.
    match boundary {
        None => {
            let _ = io::copy(&mut (&mut *content).take(send_size as u64), w);
        }
        Some(b) => {
            let _ = write_multipart(w, content, &ranges, &b, &ctype, size);
        }
    }
}

/// Reads until `buf` is full or the content ends; errors end it early.
fn read_full(content: &mut dyn ReadSeek, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match content.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    n
}

/// The content's size, by seeking to its end and back to its start.
fn seek_size(content: &mut dyn ReadSeek) -> Result<u64, ()> {
    let size = content.seek(SeekFrom::End(0)).map_err(|_| ())?;
    content.seek(SeekFrom::Start(0)).map_err(|_| ())?;
    Ok(size)
}

/// The extension of the last element of `name`, dot included (`""` when
/// there is none), as Go's `filepath.Ext`.
fn ext(name: &[u8]) -> &[u8] {
    for (i, &b) in name.iter().enumerate().rev() {
        match b {
            b'.' => return &name[i..],
            b'/' => break,
            _ => {}
        }
    }
    b""
}

/// The type for a file extension (`.html`, dot included) from the table Go
/// builds in; an extension not found as given is looked up in lower case.
fn type_by_extension(ext: &[u8]) -> Option<&'static str> {
    let find = |e: &[u8]| {
        MIME_TYPES
            .binary_search_by(|(k, _)| k.as_bytes().cmp(e))
            .ok()
            .map(|i| MIME_TYPES[i].1)
    };
    if ext.is_empty() {
        return None;
    }
    find(ext).or_else(|| find(&ext.to_ascii_lowercase()))
}

/// Extensions and their types, sorted by extension: the table Go's `mime`
/// package compiles in (it reads the system's `mime.types` on top, which
/// gort does not).
static MIME_TYPES: &[(&str, &str)] = &[
    (".ai", "application/postscript"),
    (".apk", "application/vnd.android.package-archive"),
    (".apng", "image/apng"),
    (".avif", "image/avif"),
    (".bin", "application/octet-stream"),
    (".bmp", "image/bmp"),
    (".com", "application/octet-stream"),
    (".css", "text/css; charset=utf-8"),
    (".csv", "text/csv; charset=utf-8"),
    (".doc", "application/msword"),
    (
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (".ehtml", "text/html; charset=utf-8"),
    (".eml", "message/rfc822"),
    (".eps", "application/postscript"),
    (".exe", "application/octet-stream"),
    (".flac", "audio/flac"),
    (".gif", "image/gif"),
    (".gz", "application/gzip"),
    (".htm", "text/html; charset=utf-8"),
    (".html", "text/html; charset=utf-8"),
    (".ico", "image/vnd.microsoft.icon"),
    (".ics", "text/calendar; charset=utf-8"),
    (".jfif", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".jpg", "image/jpeg"),
    (".js", "text/javascript; charset=utf-8"),
    (".json", "application/json"),
    (".m4a", "audio/mp4"),
    (".mjs", "text/javascript; charset=utf-8"),
    (".mp3", "audio/mpeg"),
    (".mp4", "video/mp4"),
    (".oga", "audio/ogg"),
    (".ogg", "audio/ogg"),
    (".ogv", "video/ogg"),
    (".opus", "audio/ogg"),
    (".pdf", "application/pdf"),
    (".pjp", "image/jpeg"),
    (".pjpeg", "image/jpeg"),
    (".png", "image/png"),
    (".ppt", "application/vnd.ms-powerpoint"),
    (
        ".pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (".ps", "application/postscript"),
    (".rdf", "application/rdf+xml"),
    (".rtf", "application/rtf"),
    (".shtml", "text/html; charset=utf-8"),
    (".svg", "image/svg+xml"),
    (".text", "text/plain; charset=utf-8"),
    (".tif", "image/tiff"),
    (".tiff", "image/tiff"),
    (".txt", "text/plain; charset=utf-8"),
    (".vtt", "text/vtt; charset=utf-8"),
    (".wasm", "application/wasm"),
    (".wav", "audio/wav"),
    (".weba", "audio/webm"),
    (".webm", "video/webm"),
    (".webp", "image/webp"),
    (".xbl", "text/xml; charset=utf-8"),
    (".xbm", "image/x-xbitmap"),
    (".xht", "application/xhtml+xml"),
    (".xhtml", "application/xhtml+xml"),
    (".xls", "application/vnd.ms-excel"),
    (
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (".xml", "text/xml; charset=utf-8"),
    (".xsl", "text/xml; charset=utf-8"),
    (".zip", "application/zip"),
];

// ---------------------------------------------------------------------------
// Preconditions (RFC 9110 §13.2.2, Go's `checkPreconditions`)

/// The outcome of one precondition header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cond {
    /// The header is absent (or, for dates, unusable).
    None,
    True,
    False,
}

enum Preconditions {
    /// A 304 or 412 has been written.
    Done,
    /// Go on; `range` is the `Range` header still in force (`""` if none or
    /// if `If-Range` voided it).
    Proceed { range: String },
}

/// Evaluates the request's preconditions in RFC order; writes 412 or 304
/// when one decides the reply.
fn check_preconditions(
    w: &mut dyn ResponseWriter,
    r: &Request,
    modtime: Option<SystemTime>,
) -> Preconditions {
    let mut ch = check_if_match(w, r);
    if ch == Cond::None {
        ch = check_if_unmodified_since(r, modtime);
    }
    if ch == Cond::False {
        w.write_header(STATUS_PRECONDITION_FAILED);
        return Preconditions::Done;
    }
    match check_if_none_match(w, r) {
        Cond::False => {
            if r.method == "GET" || r.method == "HEAD" {
                write_not_modified(w);
            } else {
                w.write_header(STATUS_PRECONDITION_FAILED);
            }
            return Preconditions::Done;
        }
        Cond::None => {
            if check_if_modified_since(r, modtime) == Cond::False {
                write_not_modified(w);
                return Preconditions::Done;
            }
        }
        Cond::True => {}
    }
    let mut range = r.header.get("Range").to_string();
    if !range.is_empty() && check_if_range(w, r, modtime) == Cond::False {
        range.clear();
    }
    Preconditions::Proceed { range }
}

/// Finds the entity tag at the start of `s` (after whitespace): `"…"` or
/// `W/"…"`. Returns it and the text after it, or `None` if `s` does not
/// start with a well-formed tag (Go's `scanETag`).
fn scan_etag(s: &str) -> Option<(&str, &str)> {
    let s = trim_string(s);
    let start = if s.starts_with("W/") { 2 } else { 0 };
    let b = s.as_bytes();
    if b.len() - start < 2 || b[start] != b'"' {
        return None;
    }
    for (i, &c) in b.iter().enumerate().skip(start + 1) {
        match c {
            b'"' => return Some((&s[..i + 1], &s[i + 1..])),
            0x21 | 0x23..=0x7E | 0x80..=0xFF => {}
            _ => return None,
        }
    }
    None
}

/// Strong comparison: equal, and neither is weak.
fn etag_strong_match(a: &str, b: &str) -> bool {
    a == b && a.starts_with('"')
}

/// Weak comparison: equal once any `W/` is dropped.
fn etag_weak_match(a: &str, b: &str) -> bool {
    a.strip_prefix("W/").unwrap_or(a) == b.strip_prefix("W/").unwrap_or(b)
}

/// Walks a comma-separated list of entity tags: `hit` is the answer for
/// `*` or for a tag `matches` accepts; `None` when the list ends (or turns
/// malformed) without one.
fn walk_etag_list(list: &str, hit: Cond, matches: impl Fn(&str) -> bool) -> Option<Cond> {
    let mut rest = list;
    loop {
        rest = trim_string(rest);
        if rest.is_empty() {
            return None;
        }
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
            continue;
        }
        if rest.starts_with('*') {
            return Some(hit);
        }
        let (etag, remain) = scan_etag(rest)?;
        if matches(etag) {
            return Some(hit);
        }
        rest = remain;
    }
}

fn check_if_match(w: &mut dyn ResponseWriter, r: &Request) -> Cond {
    let im = r.header.get("If-Match");
    if im.is_empty() {
        return Cond::None;
    }
    let current = w.header().get("Etag").to_string();
    walk_etag_list(im, Cond::True, |t| etag_strong_match(t, &current)).unwrap_or(Cond::False)
}

fn check_if_none_match(w: &mut dyn ResponseWriter, r: &Request) -> Cond {
    let inm = r.header.get("If-None-Match");
    if inm.is_empty() {
        return Cond::None;
    }
    let current = w.header().get("Etag").to_string();
    walk_etag_list(inm, Cond::False, |t| etag_weak_match(t, &current)).unwrap_or(Cond::True)
}

fn check_if_unmodified_since(r: &Request, modtime: Option<SystemTime>) -> Cond {
    let ius = r.header.get("If-Unmodified-Since");
    let Some(m) = modtime.filter(|_| !ius.is_empty() && !is_zero_time(modtime)) else {
        return Cond::None;
    };
    match httpdate::parse_http_date(ius) {
        // Last-Modified has whole seconds, so the comparison does too.
        Ok(t) if unix_seconds(m) <= unix_seconds(t) => Cond::True,
        Ok(_) => Cond::False,
        Err(_) => Cond::None,
    }
}

fn check_if_modified_since(r: &Request, modtime: Option<SystemTime>) -> Cond {
    if r.method != "GET" && r.method != "HEAD" {
        return Cond::None;
    }
    let ims = r.header.get("If-Modified-Since");
    let Some(m) = modtime.filter(|_| !ims.is_empty() && !is_zero_time(modtime)) else {
        return Cond::None;
    };
    match httpdate::parse_http_date(ims) {
        Ok(t) if unix_seconds(m) <= unix_seconds(t) => Cond::False,
        Ok(_) => Cond::True,
        Err(_) => Cond::None,
    }
}

fn check_if_range(w: &mut dyn ResponseWriter, r: &Request, modtime: Option<SystemTime>) -> Cond {
    if r.method != "GET" && r.method != "HEAD" {
        return Cond::None;
    }
    let ir = r.header.get("If-Range");
    if ir.is_empty() {
        return Cond::None;
    }
    if let Some((etag, _)) = scan_etag(ir) {
        return if etag_strong_match(etag, w.header().get("Etag")) {
            Cond::True
        } else {
            Cond::False
        };
    }
    // Otherwise the value is a date, which must be the modification time
    // to the second. (Here only a missing time fails; the epoch is a time.)
    let Some(m) = modtime else {
        return Cond::False;
    };
    match httpdate::parse_http_date(ir) {
        Ok(t) if unix_seconds(t) == unix_seconds(m) => Cond::True,
        _ => Cond::False,
    }
}

/// Whether `t` is unknown: missing, or exactly the Unix epoch (what a
/// zeroed timestamp often is).
fn is_zero_time(t: Option<SystemTime>) -> bool {
    t.is_none_or(|t| t == UNIX_EPOCH)
}

/// Whole seconds since the Unix epoch, rounded down (also before 1970).
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            -s - i64::from(d.subsec_nanos() > 0)
        }
    }
}

/// `t` as an IMF-fixdate, when it is one: from 1970 to 9999, the years
/// that format and `httpdate` cover.
fn http_date(t: SystemTime) -> Option<String> {
    const YEAR_10000: u64 = 253_402_300_800;
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs();
    (secs < YEAR_10000).then(|| httpdate::fmt_http_date(t))
}

/// Sets `Last-Modified` unless the time is unknown (or, a gort limit,
/// outside the years 1970 to 9999).
fn set_last_modified(w: &mut dyn ResponseWriter, modtime: Option<SystemTime>) {
    if is_zero_time(modtime) {
        return;
    }
    if let Some(s) = modtime.and_then(http_date) {
        w.header().set("Last-Modified", s);
    }
}

/// Writes 304 without representation metadata (RFC 9110 §15.4.5);
/// `Last-Modified` stays only when there is no `ETag` to validate by.
fn write_not_modified(w: &mut dyn ResponseWriter) {
    let h: &mut Header = w.header();
    h.del("Content-Type");
    h.del("Content-Length");
    h.del("Content-Encoding");
    if !h.get("Etag").is_empty() {
        h.del("Last-Modified");
    }
    w.write_header(STATUS_NOT_MODIFIED);
}

// ---------------------------------------------------------------------------
// Ranges (RFC 9110 §14, Go's `parseRange`)

/// One byte range to send: `length` bytes from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HttpRange {
    pub(crate) start: i64,
    pub(crate) length: i64,
}

impl HttpRange {
    /// The `Content-Range` value for this range of a `size`-byte body.
    fn content_range(&self, size: i64) -> String {
        format!(
            "bytes {}-{}/{}",
            self.start,
            self.start + self.length - 1,
            size
        )
    }

    /// The head of this range's part in a multipart reply.
    fn part_header(&self, content_type: &str, size: i64) -> String {
        format!(
            "Content-Range: {}\r\nContent-Type: {}\r\n",
            self.content_range(size),
            content_type
        )
    }
}

/// Why a `Range` header cannot be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RangeError {
    /// Not a byte-range set gort understands.
    Invalid,
    /// Every range starts past the end.
    NoOverlap,
}

impl std::fmt::Display for RangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RangeError::Invalid => "invalid range",
            RangeError::NoOverlap => "invalid range: failed to overlap",
        })
    }
}

/// Parses a `Range` header for a body of `size` bytes into the ranges to
/// send, clamped to the body. An empty header is no ranges; so is one with
/// more than 200 parts (ignored rather than refused). Ranges starting past
/// the end are dropped, and if that leaves none the error is
/// [`RangeError::NoOverlap`]. Whitespace around parts and numbers and empty
/// parts are tolerated, as Apache does.
pub(crate) fn parse_range(s: &str, size: i64) -> Result<Vec<HttpRange>, RangeError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let Some(set) = s.strip_prefix("bytes=") else {
        return Err(RangeError::Invalid);
    };
    if set.bytes().filter(|&b| b == b',').count() + 1 > MAX_CONTENT_RANGES {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    let mut no_overlap = false;
    for part in set.split(',') {
        let part = trim_string(part);
        if part.is_empty() {
            continue;
        }
        let Some((start, end)) = part.split_once('-') else {
            return Err(RangeError::Invalid);
        };
        let (start, end) = (trim_string(start), trim_string(end));
        let r = if start.is_empty() {
            // `-N`: the last N bytes. N must be a plain non-negative number.
            if end.is_empty() || end.starts_with('-') {
                return Err(RangeError::Invalid);
            }
            let n = parse_int(end)
                .filter(|&n| n >= 0)
                .ok_or(RangeError::Invalid)?;
            let start = size - n.min(size);
            HttpRange {
                start,
                length: size - start,
            }
        } else {
            let first = parse_int(start)
                .filter(|&i| i >= 0)
                .ok_or(RangeError::Invalid)?;
            if first >= size {
                no_overlap = true;
                continue;
            }
            let length = if end.is_empty() {
                size - first
            } else {
                let last = parse_int(end)
                    .filter(|&i| first <= i)
                    .ok_or(RangeError::Invalid)?;
                last.min(size - 1) - first + 1
            };
            HttpRange {
                start: first,
                length,
            }
        };
        ranges.push(r);
    }
    if no_overlap && ranges.is_empty() {
        return Err(RangeError::NoOverlap);
    }
    Ok(ranges)
}

/// A decimal with an optional sign, fitting in an `i64` (what Go's
/// `strconv.ParseInt(s, 10, 64)` accepts).
fn parse_int(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// A fresh multipart boundary: 30 random bytes in hex, as Go's.
///
/// The bytes come from std's per-process random SipHash keys (seeded from
/// the OS) hashing a counter and the clock: unpredictable to a client, so
/// file content cannot be crafted to contain the boundary, without a new
/// dependency.
fn random_boundary() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut out = String::with_capacity(60);
    let state = RandomState::new();
    for _ in 0..4 {
        let mut h = state.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(nanos);
        for b in h.finish().to_be_bytes() {
            if out.len() < 60 {
                out.push_str(&format!("{b:02x}"));
            }
        }
    }
    out
}

/// The exact length of the multipart body [`write_multipart`] writes.
fn multipart_size(ranges: &[HttpRange], boundary: &str, ctype: &str, size: i64) -> i64 {
    let mut total = 0i64;
    for (i, ra) in ranges.iter().enumerate() {
        let delim = if i == 0 { 2 } else { 4 } + boundary.len() + 2;
        let head = ra.part_header(ctype, size).len() + 2;
        total = total
            .saturating_add((delim + head) as i64)
            .saturating_add(ra.length);
    }
    total.saturating_add((2 + 2 + boundary.len() + 2 + 2) as i64)
}

/// Writes each range as a part with its own `Content-Range` and
/// `Content-Type`, between `boundary` delimiters (RFC 9110 §14.6 and
/// RFC 2046 §5.1).
fn write_multipart(
    w: &mut dyn ResponseWriter,
    content: &mut dyn ReadSeek,
    ranges: &[HttpRange],
    boundary: &str,
    ctype: &str,
    size: i64,
) -> io::Result<()> {
    for (i, ra) in ranges.iter().enumerate() {
        let sep = if i == 0 { "" } else { "\r\n" };
        write!(
            w,
            "{sep}--{boundary}\r\n{}\r\n",
            ra.part_header(ctype, size)
        )?;
        content.seek(SeekFrom::Start(ra.start as u64))?;
        let want = ra.length as u64;
        if io::copy(&mut (&mut *content).take(want), w)? != want {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    write!(w, "\r\n--{boundary}--\r\n")
}

// ---------------------------------------------------------------------------
// Paths, lexically (Go's `path` and `filepath` on Unix)

/// The shortest path equal to `p` by purely lexical rules (Go's
/// `path.Clean`): one slash between elements, no `.` elements, `..` eating
/// the element before it (and at the root, nothing), no trailing slash
/// except for the root; an empty result is `.`.
pub(crate) fn clean(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let rooted = p[0] == b'/';
    let mut out: Vec<u8> = Vec::with_capacity(p.len());
    if rooted {
        out.push(b'/');
    }
    // Where `..` may no longer back up: just past the root, or past the
    // leading `..` elements of a relative path.
    let mut floor = out.len();
    for elem in p.split(|&b| b == b'/') {
        match elem {
            b"" | b"." => {}
            b".." => {
                if out.len() > floor {
                    let cut = out[floor..]
                        .iter()
                        .rposition(|&b| b == b'/')
                        .map_or(floor, |i| floor + i);
                    out.truncate(cut);
                } else if !rooted {
                    if !out.is_empty() {
                        out.push(b'/');
                    }
                    out.extend_from_slice(b"..");
                    floor = out.len();
                }
            }
            name => {
                if out.len() > usize::from(rooted) || (!rooted && !out.is_empty()) {
                    out.push(b'/');
                }
                out.extend_from_slice(name);
            }
        }
    }
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// The last element of a '/'-separated path, trailing slashes ignored:
/// `"."` for an empty path and `"/"` for slashes only (Go's `path.Base`).
fn base(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

fn trim_trailing_slashes(p: &[u8]) -> &[u8] {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    &p[..end]
}

/// Splits after the last `/`: the directory part keeps its slash (Go's
/// `filepath.Split`).
fn split_last(p: &[u8]) -> (&[u8], &[u8]) {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => p.split_at(i + 1),
        None => (b"", p),
    }
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    Cow::Borrowed(p.as_os_str().as_bytes())
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Cow<'_, [u8]> {
    match p.to_string_lossy() {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::new(&*String::from_utf8_lossy(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(v: &[(i64, i64)]) -> Vec<HttpRange> {
        v.iter()
            .map(|&(start, length)| HttpRange { start, length })
            .collect()
    }

    /// Go's `ParseRangeTests` (range_test.go), every row. As in Go's test,
    /// a row expecting no ranges accepts an error or an empty list.
    /// A header, a size, and the (start, length) ranges wanted.
    type RangeRow = (&'static str, i64, &'static [(i64, i64)]);

    #[test]
    fn parse_range_matches_go_table() {
        let table: &[RangeRow] = &[
            ("", 0, &[]),
            ("", 1000, &[]),
            ("foo", 0, &[]),
            ("bytes=", 0, &[]),
            ("bytes=7", 10, &[]),
            ("bytes= 7 ", 10, &[]),
            ("bytes=1-", 0, &[]),
            ("bytes=5-4", 10, &[]),
            ("bytes=0-2,5-4", 10, &[]),
            ("bytes=2-5,4-3", 10, &[]),
            ("bytes=--5,4--3", 10, &[]),
            ("bytes=A-", 10, &[]),
            ("bytes=A- ", 10, &[]),
            ("bytes=A-Z", 10, &[]),
            ("bytes= -Z", 10, &[]),
            ("bytes=5-Z", 10, &[]),
            ("bytes=Ran-dom, garbage", 10, &[]),
            ("bytes=0x01-0x02", 10, &[]),
            ("bytes=         ", 10, &[]),
            ("bytes= , , ,   ", 10, &[]),
            ("bytes=0-9", 10, &[(0, 10)]),
            ("bytes=0-", 10, &[(0, 10)]),
            ("bytes=5-", 10, &[(5, 5)]),
            ("bytes=0-20", 10, &[(0, 10)]),
            ("bytes=15-,0-5", 10, &[(0, 6)]),
            ("bytes=1-2,5-", 10, &[(1, 2), (5, 5)]),
            ("bytes=-2 , 7-", 11, &[(9, 2), (7, 4)]),
            ("bytes=0-0 ,2-2, 7-", 11, &[(0, 1), (2, 1), (7, 4)]),
            ("bytes=-5", 10, &[(5, 5)]),
            ("bytes=-15", 10, &[(0, 10)]),
            ("bytes=0-499", 10000, &[(0, 500)]),
            ("bytes=500-999", 10000, &[(500, 500)]),
            ("bytes=-500", 10000, &[(9500, 500)]),
            ("bytes=9500-", 10000, &[(9500, 500)]),
            ("bytes=0-0,-1", 10000, &[(0, 1), (9999, 1)]),
            ("bytes=500-600,601-999", 10000, &[(500, 101), (601, 399)]),
            ("bytes=500-700,601-999", 10000, &[(500, 201), (601, 399)]),
            // Match Apache laxity:
            (
                "bytes=   1 -2   ,  4- 5, 7 - 8 , ,,",
                11,
                &[(1, 2), (4, 2), (7, 2)],
            ),
        ];
        assert_eq!(table.len(), 38);
        for &(s, size, want) in table {
            let got = parse_range(s, size);
            if !want.is_empty() {
                assert_eq!(got, Ok(ranges(want)), "parse_range({s:?}, {size})");
            } else {
                assert!(
                    got.as_ref().map_or(true, Vec::is_empty),
                    "parse_range({s:?}, {size}) = {got:?}, want none"
                );
            }
        }
    }

    /// After Go's `TestParseRangeLimit` at the default limit (no GODEBUG).
    #[test]
    fn parse_range_limit() {
        for (n, want) in [(200, 200), (201, 0)] {
            let h = format!("bytes={}0-0", "0-0,".repeat(n - 1));
            assert_eq!(
                parse_range(&h, 10_000_000).unwrap().len(),
                want,
                "{n} ranges"
            );
        }
    }

    #[test]
    fn parse_range_errors() {
        assert_eq!(parse_range("bytes=10-", 10), Err(RangeError::NoOverlap));
        assert_eq!(
            parse_range("bytes=10-,11-20", 10),
            Err(RangeError::NoOverlap)
        );
        assert_eq!(parse_range("bytes=5-4", 10), Err(RangeError::Invalid));
        assert_eq!(parse_range("items=0-1", 10), Err(RangeError::Invalid));
        assert_eq!(parse_range("bytes=--6", 10), Err(RangeError::Invalid));
        assert_eq!(
            parse_range("bytes=99999999999999999999-", 10),
            Err(RangeError::Invalid)
        );
        assert_eq!(parse_range("bytes=-0", 10), Ok(ranges(&[(10, 0)])));
        assert_eq!(
            parse_range("bytes=0-99999999999999999999", 10),
            Err(RangeError::Invalid)
        );
    }

    /// Go's `TestScanETag` (fs_test.go), every row.
    #[test]
    fn scan_etag_matches_go_table() {
        let table = [
            (r#"W/"etag-1""#, r#"W/"etag-1""#, ""),
            (r#""etag-2""#, r#""etag-2""#, ""),
            (r#""etag-1", "etag-2""#, r#""etag-1""#, r#", "etag-2""#),
            ("", "", ""),
            ("W/", "", ""),
            (r#"W/"truc"#, "", ""),
            (r#"w/"case-sensitive""#, "", ""),
            (r#""spaced etag""#, "", ""),
        ];
        for (input, etag, remain) in table {
            assert_eq!(
                scan_etag(input).unwrap_or(("", "")),
                (etag, remain),
                "scan_etag({input:?})"
            );
        }
    }

    #[test]
    fn clean_matches_go_path_clean() {
        let table = [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("a/b/c/", "a/b/c"),
            ("./", "."),
            ("../", ".."),
            ("../../", "../.."),
            ("/abc/", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("//abc//", "/abc"),
            ("abc//", "abc"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
            ("/..\x00", "/..\x00"),
        ];
        for (input, want) in table {
            assert_eq!(
                String::from_utf8(clean(input.as_bytes())).unwrap(),
                want,
                "clean({input:?})"
            );
        }
    }

    #[test]
    fn base_ext_split_and_dot_dot() {
        assert_eq!(base(""), ".");
        assert_eq!(base("/"), "/");
        assert_eq!(base("///"), "/");
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("a"), "a");
        assert_eq!(ext(b"a/b.tar.gz"), b".gz");
        assert_eq!(ext(b"a.b/c"), b"");
        assert_eq!(ext(b"x."), b".");
        assert_eq!(split_last(b"/etc/hosts"), (&b"/etc/"[..], &b"hosts"[..]));
        assert_eq!(split_last(b"hosts"), (&b""[..], &b"hosts"[..]));
        assert!(contains_dot_dot("/a/../b"));
        assert!(contains_dot_dot("/..\\foo"));
        assert!(!contains_dot_dot("/file/a.."));
        assert!(!contains_dot_dot("/...x"));
    }

    #[test]
    fn types_by_extension() {
        assert!(MIME_TYPES.windows(2).all(|p| p[0].0 < p[1].0), "sorted");
        assert_eq!(
            type_by_extension(b".html"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(type_by_extension(b".PNG"), Some("image/png"));
        assert_eq!(type_by_extension(b".wasm"), Some("application/wasm"));
        assert_eq!(type_by_extension(b".nope"), None);
        assert_eq!(type_by_extension(b""), None);
    }

    #[test]
    fn hrefs_escape_like_go_urls() {
        assert_eq!(relative_href(b"simple_name"), "simple_name");
        assert_eq!(relative_href(b"\"'<>&"), "%22%27%3C%3E&");
        assert_eq!(relative_href(b"?foo=bar#baz"), "%3Ffoo=bar%23baz");
        assert_eq!(relative_href(b"foo:bar"), "./foo:bar");
        assert_eq!(relative_href(b"dir/"), "dir/");
        assert_eq!(relative_href("caf\u{e9} x".as_bytes()), "caf%C3%A9%20x");
        assert_eq!(relative_href(b"\xff"), "%FF");
        assert_eq!(relative_href(b"x/y:z"), "x/y:z");
        assert_eq!(relative_href(b"*"), "*");
        // Checked against go1.27's url.URL{Path: ...}.String().
        assert_eq!(
            relative_href(b"!$()*+,;=@[]`{}|^~%"),
            "%21$%28%29%2A+,;=@%5B%5D%60%7B%7D%7C%5E~%25"
        );
    }

    #[test]
    fn dates_outside_imf_fixdate_are_skipped() {
        use std::time::Duration;
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(1_403_716_338)).as_deref(),
            Some("Wed, 25 Jun 2014 17:12:18 GMT")
        );
        assert_eq!(http_date(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(253_402_300_800)),
            None
        );
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_millis(1)), -1);
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1999)), 1);
    }

    #[test]
    fn boundaries_are_60_hex_digits_and_differ() {
        let a = random_boundary();
        let b = random_boundary();
        assert_eq!(a.len(), 60);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
