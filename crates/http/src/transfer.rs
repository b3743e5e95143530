//! Mirrors Go src/net/http/transfer.go (go1.27): message bodies: how a request's length is decided, and the body reader a handler gets.
//!
//! A request body is framed in one of two ways: a `Content-Length`, or the
//! chunked coding, which wins when both are sent (and the server then closes
//! the connection after the request: see `request.rs`). Any other transfer
//! coding is refused with 501, and a request with neither has no body.
//!
//! The handler reads the body through [`Body`], but the bytes come from the
//! connection's buffered reader, which the serving goroutine needs again for
//! the next request. Both hold the reader through one lock (`ConnIn`); the
//! body of a finished request is marked closed there, so a handler that
//! kept it reads an error, never the next request's bytes. This is Go's
//! `body` with its mutex, shared between `Request.Body` and the server.

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

use gort_runtime::sync::Mutex;

use crate::bufio;
use crate::chunked::ChunkedState;
use crate::header::Header;
use crate::textproto::trim_string;

/// How a request body is framed.
#[derive(Debug, Clone)]
pub(crate) enum Framing {
    /// `Content-Length`: this many bytes are left.
    Length(u64),
    /// The chunked coding, with the decoder's state.
    Chunked(ChunkedState),
}

/// Whether the server still owes the client a `100 Continue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Continue {
    /// The client did not ask, or the answer was given.
    NotAsked,
    /// The client sent `Expect: 100-continue`; the first body read sends
    /// `100 Continue` (Go's `expectContinueReader`).
    Owed,
    /// Sent: the client was told to send the body.
    Sent,
    /// Not sent, and never will be: the response has started.
    Refused,
}

/// The body of the connection's current request, as the server's reader
/// sees it (Go's `body`, less its reader).
#[derive(Debug)]
pub(crate) struct BodyState {
    /// Which request of the connection this is; a [`Body`] reads only while
    /// its request's number is current and `closed` is false.
    pub(crate) seq: u64,
    pub(crate) framing: Framing,
    /// The whole body was read (and, for chunked, its trailer).
    pub(crate) saw_eof: bool,
    /// The server finished the request (Go's `body.closed`).
    pub(crate) closed: bool,
    /// A read failed: the rest of the connection cannot be trusted.
    pub(crate) broken: bool,
    /// A `max_bytes_reader` over this body hit its limit (Go's
    /// `requestBodyLimitHit`): the rest is not read, and the connection
    /// closes after the reply.
    pub(crate) too_large: bool,
    pub(crate) expect: Continue,
}

/// The reading half of a server connection: its buffered reader and the
/// current request's body, behind one lock shared by the serving goroutine
/// and the handler's [`Body`].
pub(crate) struct ConnIn {
    pub(crate) rd: bufio::Reader<crate::server::NetReader>,
    pub(crate) body: Option<BodyState>,
}

/// The handle a [`Body`] keeps on its connection.
pub(crate) type SharedIn = Arc<Mutex<ConnIn>>;

/// Go's `ErrBodyReadAfterClose`.
pub(crate) const READ_AFTER_CLOSE: &str = "http: invalid Read on closed Body";

impl ConnIn {
    /// Reads body bytes of request `seq` into `buf`.
    pub(crate) fn read_body(&mut self, seq: u64, buf: &mut [u8]) -> io::Result<usize> {
        let ConnIn { rd, body } = self;
        let Some(st) = body.as_mut().filter(|st| st.seq == seq && !st.closed) else {
            return Err(io::Error::other(READ_AFTER_CLOSE));
        };
        if st.saw_eof || buf.is_empty() {
            return Ok(0);
        }
        if st.expect == Continue::Owed {
            st.expect = Continue::Sent;
            crate::server::write_continue(rd.get_ref())?;
        }
        let res = match &mut st.framing {
            Framing::Length(left) => {
                let want = (buf.len() as u64).min(*left) as usize;
                match rd.read(&mut buf[..want]) {
                    Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => {
                        *left -= n as u64;
                        st.saw_eof = *left == 0;
                        Ok(n)
                    }
                    Err(e) => Err(e),
                }
            }
            Framing::Chunked(ch) => match ch.read(rd, buf) {
                // A bad trailer breaks the body (and the connection) as a
                // bad chunk does.
                Ok(0) if ch.done() => read_trailer(rd).map(|()| {
                    st.saw_eof = true;
                    0
                }),
                Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                // The last chunk may already be buffered: finish now, so a
                // handler that reads exactly the data still sees EOF.
                Ok(n) if ch.done() => read_trailer(rd).map(|()| {
                    st.saw_eof = true;
                    n
                }),
                Ok(n) => Ok(n),
                Err(e) => Err(e),
            },
        };
        if res.is_err() {
            st.broken = true;
        }
        res
    }

    /// Reads and drops at most `limit` more body bytes of the current
    /// request. Returns whether the body was read to its end.
    pub(crate) fn discard_body(&mut self, limit: u64) -> bool {
        let Some(seq) = self.body.as_ref().map(|b| b.seq) else {
            return true;
        };
        let mut scratch = [0u8; 4096];
        let mut left = limit;
        loop {
            let st = self.body.as_ref().expect("body checked above");
            if st.saw_eof {
                return true;
            }
            if st.broken || st.closed || left == 0 {
                return false;
            }
            let want = (scratch.len() as u64).min(left) as usize;
            match self.read_body(seq, &mut scratch[..want]) {
                Ok(n) => left -= n as u64,
                Err(_) => return false,
            }
        }
    }

    /// How many body bytes are known to be left (Go's
    /// `unreadDataSizeLocked`): the rest of a Content-Length, or the rest of
    /// the current chunk.
    pub(crate) fn unread_len(&self) -> u64 {
        match self.body.as_ref() {
            Some(BodyState {
                framing: Framing::Length(n),
                saw_eof: false,
                ..
            }) => *n,
            _ => 0,
        }
    }
}

/// Reads a chunked body's trailer and drops it (gort does not expose
/// trailers; the README says so), with Go's rules (`body.readTrailer`):
/// either the empty line at once, or fields up to an empty line, the
/// whole within the reader's 4 KiB buffer and ended by CRLF CRLF (until
/// then it waits for more); each field as the head's reader would take
/// it (a name up to a colon, no control bytes in the value, folded
/// lines joined).
pub(crate) fn read_trailer<R: Read>(rd: &mut bufio::Reader<R>) -> io::Result<()> {
    let invalid = |msg: &str| io::Error::new(io::ErrorKind::InvalidData, msg.to_string());
    let start = rd.peek(2)?;
    if start == b"\r\n" {
        rd.consume(2);
        return Ok(());
    }
    if start.len() < 2 {
        return Err(invalid("http: unexpected EOF reading trailer"));
    }
    // Go's seeUpcomingDoubleCRLF: the end must come within one buffer.
    loop {
        let window = &rd.buffer()[..rd.buffered().min(bufio::DEFAULT_BUF_SIZE)];
        if window.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        if window.len() >= bufio::DEFAULT_BUF_SIZE {
            return Err(invalid(
                "http: suspiciously long trailer after chunked body",
            ));
        }
        if rd.fill()? == 0 {
            return Err(invalid("http: unexpected EOF reading trailer"));
        }
    }
    let malformed = || invalid("malformed MIME header line");
    if matches!(rd.peek(1)?.first(), Some(b' ' | b'\t')) {
        return Err(invalid("malformed MIME header initial line"));
    }
    let mut fields = 0;
    loop {
        let mut kv = read_line(rd)?;
        if kv.is_empty() {
            return Ok(());
        }
        if !kv.contains(&b':') {
            return Err(invalid("malformed MIME header: missing colon"));
        }
        // Continuation lines, joined by a space (Go's readContinuedLineSlice).
        trim_in_place(&mut kv);
        while matches!(rd.peek(1)?.first(), Some(b' ' | b'\t')) {
            while matches!(rd.peek(1)?.first(), Some(b' ' | b'\t')) {
                rd.consume(1);
            }
            let mut more = read_line(rd)?;
            trim_in_place(&mut more);
            kv.push(b' ');
            kv.extend_from_slice(&more);
        }
        let colon = kv.iter().position(|&b| b == b':').expect("checked above");
        let (key, value) = (&kv[..colon], &kv[colon + 1..]);
        if key.is_empty()
            || !key
                .iter()
                .all(|&b| b == b' ' || crate::textproto::valid_header_field_byte(b))
            || !value
                .iter()
                .all(|&b| b == b' ' || b == b'\t' || (b > b' ' && b != 0x7f))
        {
            return Err(malformed());
        }
        fields += 1;
        if fields > crate::request::MAX_HEADER_VALUE_COUNT {
            return Err(invalid("message too large"));
        }
    }
}

/// One line without its LF and a CR before it (Go's `readLineSlice`).
fn read_line<R: Read>(rd: &mut bufio::Reader<R>) -> io::Result<Vec<u8>> {
    let line = match rd.read_slice(b'\n') {
        Ok(line) => line,
        Err(bufio::ReadSliceError::BufferFull) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "http: trailer line too long",
            ));
        }
        Err(bufio::ReadSliceError::Io(e)) => return Err(e),
    };
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    Ok(line.strip_suffix(b"\r").unwrap_or(line).to_vec())
}

/// Drops leading and trailing spaces and tabs.
fn trim_in_place(line: &mut Vec<u8>) {
    while matches!(line.last(), Some(b' ' | b'\t')) {
        line.pop();
    }
    let lead = line
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    line.drain(..lead);
}

/// A request body (Go's `Request.Body`): a reader over the message body,
/// ending at its end whatever its framing.
///
/// A handler reads it as any `Read` (`io::read_to_string(&mut r.body)`,
/// `serde_json::from_reader(&mut r.body)`), and may replace it with
/// [`Body::new`] around a reader of its own (as
/// [`max_bytes_reader`](crate::max_bytes_reader) does). A body read after
/// its request finished fails with `http: invalid Read on closed Body`.
#[derive(Default)]
pub struct Body {
    inner: BodyInner,
}

#[derive(Default)]
enum BodyInner {
    /// No body (Go's `http.NoBody`).
    #[default]
    Empty,
    /// A reader given by the user.
    Reader(Box<dyn Read + Send>),
    /// The body of a server request, read from its connection.
    Conn { shared: SharedIn, seq: u64 },
    /// A body bounded by `max_bytes_reader`.
    MaxBytes(Box<crate::request::MaxBytesReader>),
}

impl Body {
    /// An empty body (Go's `http.NoBody`).
    pub fn empty() -> Body {
        Body::default()
    }

    /// A body read from `r`.
    pub fn new(r: impl Read + Send + 'static) -> Body {
        Body {
            inner: BodyInner::Reader(Box::new(r)),
        }
    }

    /// The body of request `seq` on a server connection.
    pub(crate) fn from_conn(shared: SharedIn, seq: u64) -> Body {
        Body {
            inner: BodyInner::Conn { shared, seq },
        }
    }

    pub(crate) fn max_bytes(r: crate::request::MaxBytesReader) -> Body {
        Body {
            inner: BodyInner::MaxBytes(Box::new(r)),
        }
    }

    /// Tells the server that a `max_bytes_reader` over this body hit its
    /// limit (Go's `requestTooLarge`).
    pub(crate) fn mark_too_large(&self) {
        match &self.inner {
            BodyInner::Conn { shared, seq } => {
                if let Some(st) = shared.lock().body.as_mut().filter(|st| st.seq == *seq) {
                    st.too_large = true;
                }
            }
            BodyInner::MaxBytes(r) => r.mark_too_large(),
            BodyInner::Empty | BodyInner::Reader(_) => {}
        }
    }

    /// Whether `max_bytes_reader` bounds this body.
    pub(crate) fn is_max_bytes(&self) -> bool {
        matches!(self.inner, BodyInner::MaxBytes(_))
    }

    /// Whether this is the empty body.
    pub fn is_empty(&self) -> bool {
        matches!(self.inner, BodyInner::Empty)
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            BodyInner::Empty => Ok(0),
            BodyInner::Reader(r) => r.read(buf),
            BodyInner::Conn { shared, seq } => shared.lock().read_body(*seq, buf),
            BodyInner::MaxBytes(r) => r.read(buf),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.inner {
            BodyInner::Empty => "Body::Empty",
            BodyInner::Reader(_) => "Body::Reader",
            BodyInner::Conn { .. } => "Body::Conn",
            BodyInner::MaxBytes(_) => "Body::MaxBytes",
        })
    }
}

/// Why a request's framing is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FramingError {
    /// A transfer coding other than a single `chunked`: 501.
    UnsupportedTe(String),
    /// A bad or conflicting `Content-Length`: 400.
    Bad(String),
}

/// Decides how a request's body is framed from its header (Go's
/// `readTransfer` for a request: `parseTransferEncoding` then `fixLength`),
/// removing the fields it consumed as Go does. Returns the framing (None for
/// no body), the content length (-1 for chunked), and whether both
/// `Content-Length` and `Transfer-Encoding` were sent.
pub(crate) fn request_framing(
    header: &mut Header,
    proto_minor: u8,
) -> Result<(Option<Framing>, i64, bool), FramingError> {
    let mut chunked = false;
    let te: Vec<String> = header.values_c("Transfer-Encoding").to_vec();
    let had_te = !te.is_empty();
    if had_te {
        header.del_c("Transfer-Encoding");
        // HTTP/1.0 has no transfer codings: the field is ignored.
        if proto_minor >= 1 {
            if te.len() != 1 {
                return Err(FramingError::UnsupportedTe(format!(
                    "too many transfer encodings: {te:?}"
                )));
            }
            if !te[0].eq_ignore_ascii_case("chunked") {
                return Err(FramingError::UnsupportedTe(format!(
                    "unsupported transfer encoding: {:?}",
                    te[0]
                )));
            }
            chunked = true;
        }
    }

    let lens: Vec<String> = header.values_c("Content-Length").to_vec();
    let had_cl = !lens.is_empty();
    let mut n = 0i64;
    if had_cl {
        let first = trim_string(&lens[0]).to_string();
        if lens[1..].iter().any(|v| trim_string(v) != first) {
            return Err(FramingError::Bad(format!(
                "http: message cannot contain multiple Content-Length headers; got {lens:?}"
            )));
        }
        if lens.len() > 1 {
            header.set("Content-Length", first.clone());
        }
        n = parse_content_length(&first).map_err(FramingError::Bad)?;
    }
    let smuggling = chunked && had_cl;
    if chunked {
        header.del_c("Content-Length");
        check_declared_trailer(header)?;
        return Ok((
            Some(Framing::Chunked(ChunkedState::default())),
            -1,
            smuggling,
        ));
    }
    if n > 0 {
        return Ok((Some(Framing::Length(n as u64)), n, false));
    }
    if !had_cl {
        header.del_c("Content-Length");
    }
    Ok((None, 0, false))
}

/// Checks and drops the `Trailer` field of a chunked request (Go's
/// `fixTrailer`): it may not announce the fields that frame a message.
/// Without chunking the field is left alone, as Go leaves it.
fn check_declared_trailer(header: &mut Header) -> Result<(), FramingError> {
    let declared = header.values("Trailer").to_vec();
    if declared.is_empty() {
        return Ok(());
    }
    header.del("Trailer");
    let count: usize = declared.iter().map(|v| v.matches(',').count() + 1).sum();
    if count > crate::request::MAX_HEADER_VALUE_COUNT {
        return Err(FramingError::Bad("http: message too large".into()));
    }
    for key in declared.iter().flat_map(|v| v.split(',')) {
        let key = trim_string(key);
        if key.is_empty() {
            continue;
        }
        let key = crate::textproto::canonical_mime_header_key(key);
        if matches!(&*key, "Transfer-Encoding" | "Trailer" | "Content-Length") {
            return Err(FramingError::Bad(format!("bad trailer key: {key:?}")));
        }
    }
    Ok(())
}

/// Parses a `Content-Length` value strictly: decimal digits only, at most
/// 2⁶³−1 (Go's `parseContentLength`; no sign, no spaces inside, not empty).
pub(crate) fn parse_content_length(cl: &str) -> Result<i64, String> {
    let cl = trim_string(cl);
    if cl.is_empty() {
        return Err("invalid empty Content-Length \"\"".to_string());
    }
    let bad = || format!("bad Content-Length {cl:?}");
    if !cl.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    cl.parse::<u64>()
        .ok()
        .filter(|&n| n <= i64::MAX as u64)
        .map(|n| n as i64)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(
        fields: &[(&str, &str)],
        minor: u8,
    ) -> Result<(Option<Framing>, i64, bool), FramingError> {
        let mut h = Header::new();
        for (k, v) in fields {
            h.add(k, *v);
        }
        request_framing(&mut h, minor)
    }

    #[test]
    fn a_declared_trailer_is_checked_and_dropped_when_chunked() {
        let mut h = Header::new();
        h.add("Transfer-Encoding", "chunked");
        h.add("Trailer", "x-t, Y");
        assert!(request_framing(&mut h, 1).is_ok());
        assert!(!h.has("Trailer"));
        for bad in ["content-length", "a, Transfer-Encoding", "TRAILER"] {
            assert!(matches!(
                framing(&[("Transfer-Encoding", "chunked"), ("Trailer", bad)], 1),
                Err(FramingError::Bad(_))
            ));
        }
        // Not chunked: left alone, as Go leaves it.
        let mut h = Header::new();
        h.add("Content-Length", "1");
        h.add("Trailer", "Content-Length");
        assert!(request_framing(&mut h, 1).is_ok());
        assert!(h.has("Trailer"));
    }

    #[test]
    fn trailers_follow_go_rules() {
        let read = |raw: &[u8]| {
            let mut rd = bufio::Reader::new(raw);
            read_trailer(&mut rd).map(|()| rd.buffered())
        };
        assert_eq!(read(b"\r\nNEXT").unwrap(), 4);
        assert_eq!(read(b"X-T: 1\r\nY:2\r\n\r\nNEXT").unwrap(), 4);
        // Folded lines are joined; a bare LF ends a line once the trailer
        // as a whole ends with CRLF CRLF.
        assert_eq!(read(b"X: a\r\n b\r\n\r\n").unwrap(), 0);
        assert_eq!(read(b"X: a\nY: b\r\n\r\n").unwrap(), 0);
        for bad in [
            &b""[..],
            b"\r",
            b"nonsense\r\n\r\n",
            b" X: a\r\n\r\n",
            b"X: a\x01\r\n\r\n",
            b"X\x01: a\r\n\r\n",
            b": a\r\n\r\n",
            // No CRLF CRLF before the end.
            b"X: 1\n\r\n",
            b"X: 1\n\n",
        ] {
            assert!(read(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        // A name with a space passes, as in Go's reader.
        assert!(read(b"X Y: a\r\n\r\n").is_ok());
        // The end must come within one buffer.
        let mut long = b"X: ".to_vec();
        long.extend(std::iter::repeat_n(b'v', bufio::DEFAULT_BUF_SIZE));
        long.extend_from_slice(b"\r\n\r\n");
        assert!(read(&long).is_err());
    }

    #[test]
    fn content_length_is_parsed_strictly() {
        assert_eq!(parse_content_length("0"), Ok(0));
        assert_eq!(parse_content_length(" 42 "), Ok(42));
        assert_eq!(parse_content_length("9223372036854775807"), Ok(i64::MAX));
        assert!(parse_content_length("9223372036854775808").is_err());
        assert!(parse_content_length("+1").is_err());
        assert!(parse_content_length("-1").is_err());
        assert!(parse_content_length("1 2").is_err());
        assert!(parse_content_length("0x10").is_err());
        assert_eq!(
            parse_content_length(""),
            Err("invalid empty Content-Length \"\"".to_string())
        );
        assert_eq!(
            parse_content_length("1a"),
            Err("bad Content-Length \"1a\"".to_string())
        );
    }

    #[test]
    fn framing_follows_go_rules() {
        assert!(matches!(framing(&[], 1), Ok((None, 0, false))));
        assert!(matches!(
            framing(&[("Content-Length", "5")], 1),
            Ok((Some(Framing::Length(5)), 5, false))
        ));
        assert!(matches!(
            framing(&[("Content-Length", "5"), ("Content-Length", "5")], 1),
            Ok((Some(Framing::Length(5)), 5, false))
        ));
        assert!(matches!(
            framing(&[("Content-Length", "5"), ("Content-Length", "6")], 1),
            Err(FramingError::Bad(_))
        ));
        assert!(matches!(
            framing(&[("Transfer-Encoding", "chunked")], 1),
            Ok((Some(Framing::Chunked(_)), -1, false))
        ));
        // Both: chunked wins, and the caller is told.
        assert!(matches!(
            framing(
                &[("Transfer-Encoding", "chunked"), ("Content-Length", "3")],
                1
            ),
            Ok((Some(Framing::Chunked(_)), -1, true))
        ));
        assert!(matches!(
            framing(&[("Transfer-Encoding", "gzip")], 1),
            Err(FramingError::UnsupportedTe(_))
        ));
        assert!(matches!(
            framing(
                &[
                    ("Transfer-Encoding", "chunked"),
                    ("Transfer-Encoding", "chunked")
                ],
                1
            ),
            Err(FramingError::UnsupportedTe(_))
        ));
        // HTTP/1.0 ignores Transfer-Encoding.
        assert!(matches!(
            framing(
                &[("Transfer-Encoding", "chunked"), ("Content-Length", "2")],
                0
            ),
            Ok((Some(Framing::Length(2)), 2, false))
        ));
    }
}
