//! Mirrors Go src/net/http/internal/chunked.go (go1.27): the chunked transfer coding, read and written.
//!
//! A chunked body is a run of chunks, each a hexadecimal size line and that
//! many bytes followed by CRLF, ended by a chunk of size 0 (and a trailer,
//! which `transfer.rs` reads). The reader is strict where laxness lets two
//! parsers disagree about where a message ends, which is how requests are
//! smuggled: every size line must end in CRLF (a bare LF, or a CR anywhere
//! else, is an error), the size must be plain hex of at most 16 digits,
//! each chunk's data must be followed by exactly CRLF, and a sender that
//! pads its chunks with more than 16 KiB of overhead beyond what its data
//! justifies is cut off. It does not use `httparse::parse_chunk_size`,
//! which lets a bare LF end a chunk extension.
//!
//! The reader keeps its state between calls and takes the buffered reader
//! as an argument, because the server shares one connection reader between
//! the requests of a connection.

use std::fmt;
use std::io::{self, Read, Write};

use crate::bufio::{ReadSliceError, Reader};

/// The longest size line accepted (Go's `maxLineLength`; at most the
/// buffered reader's size, so a line always fits its buffer).
const MAX_LINE_LENGTH: usize = 4096;

/// How much framing beyond its data a body may carry before it is taken as
/// an attack (Go's 16 KiB of "excess").
const MAX_EXCESS: i64 = 16 * 1024;

/// Why a chunked body could not be read. The texts are Go's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedError {
    /// A chunk's data was not followed by CRLF.
    Malformed,
    /// A size line ended in LF without CR.
    BareLf,
    /// A CR appeared in a size line other than before its LF.
    InvalidCr,
    /// A size line longer than 4 KiB (Go's `ErrLineTooLong`).
    LineTooLong,
    /// A size line with no digits.
    EmptySize,
    /// A size with a byte that is not a hex digit.
    InvalidSizeByte,
    /// A size of more than 16 hex digits.
    SizeTooLarge,
    /// More than 16 KiB of framing beyond what the data justifies.
    TooMuchNonData,
    /// The body ended before its last chunk.
    UnexpectedEof,
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChunkedError::Malformed => "malformed chunked encoding",
            ChunkedError::BareLf => "chunked line ends with bare LF",
            ChunkedError::InvalidCr => "invalid CR in chunked line",
            ChunkedError::LineTooLong => "header line too long",
            ChunkedError::EmptySize => "empty hex number for chunk length",
            ChunkedError::InvalidSizeByte => "invalid byte in chunk length",
            ChunkedError::SizeTooLarge => "http chunk length too large",
            ChunkedError::TooMuchNonData => "chunked encoding contains too much non-data",
            ChunkedError::UnexpectedEof => "unexpected EOF",
        })
    }
}

impl std::error::Error for ChunkedError {}

impl From<ChunkedError> for io::Error {
    fn from(e: ChunkedError) -> io::Error {
        let kind = match e {
            ChunkedError::UnexpectedEof => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

/// Where a [`ChunkedState`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading data: `n` bytes of the current chunk are left (0: a size
    /// line comes next); `check_end`: the CRLF after a chunk's data is due.
    Data { n: u64, check_end: bool },
    /// The size-0 chunk was read; what follows is the trailer.
    Done,
    /// A sticky failure: every later read reports it again.
    Failed(ChunkedError),
}

/// The state of a chunked reader between reads (Go's `chunkedReader`
/// without its reader).
#[derive(Debug, Clone)]
pub(crate) struct ChunkedState {
    phase: Phase,
    /// Framing bytes seen beyond what the data justified, floored at 0.
    excess: i64,
}

impl Default for ChunkedState {
    fn default() -> Self {
        ChunkedState {
            phase: Phase::Data {
                n: 0,
                check_end: false,
            },
            excess: 0,
        }
    }
}

impl ChunkedState {
    /// Whether the last chunk has been read.
    pub(crate) fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Reads the next size line; leaves `phase` at the new chunk, `Done`
    /// or `Failed`.
    fn begin_chunk<R: Read>(&mut self, r: &mut Reader<R>) {
        self.phase = match self.size_line(r) {
            Ok(0) => Phase::Done,
            Ok(n) => Phase::Data {
                n,
                check_end: false,
            },
            Err(e) => Phase::Failed(e),
        };
    }

    fn size_line<R: Read>(&mut self, r: &mut Reader<R>) -> Result<u64, ChunkedError> {
        let line = read_chunk_line(r)?;
        self.excess += line.len() as i64 + 2; // the line and the CRLF after its data
        let line = trim_trailing_whitespace(line);
        // A chunk extension (";name=value") carries nothing gort uses.
        let size = match line.iter().position(|&b| b == b';') {
            Some(i) => &line[..i],
            None => line,
        };
        let n = parse_hex_uint(size)?;
        self.excess = (self.excess - 16 - 2 * n.min(i64::MAX as u64 / 4) as i64).max(0);
        if self.excess > MAX_EXCESS {
            return Err(ChunkedError::TooMuchNonData);
        }
        Ok(n)
    }

    /// Whether a whole size line is buffered (so reading it cannot block).
    fn chunk_header_available<R: Read>(r: &Reader<R>) -> bool {
        r.buffer().contains(&b'\n')
    }

    /// Reads body bytes into `b` from `r`: Ok(0) once the last chunk has
    /// been read. Like Go's, it returns what it has rather than block for
    /// the next chunk's header once some data was read.
    pub(crate) fn read<R: Read>(
        &mut self,
        r: &mut Reader<R>,
        mut b: &mut [u8],
    ) -> io::Result<usize> {
        let mut total = 0;
        loop {
            match self.phase {
                Phase::Done => return Ok(total),
                Phase::Failed(e) => {
                    return if total > 0 { Ok(total) } else { Err(e.into()) };
                }
                Phase::Data { n, check_end: true } => {
                    if total > 0 && r.buffered() < 2 {
                        return Ok(total);
                    }
                    self.phase = match r.peek(2) {
                        Ok(crlf) if crlf == b"\r\n" => {
                            r.consume(2);
                            Phase::Data {
                                n,
                                check_end: false,
                            }
                        }
                        Ok(crlf) if crlf.len() < 2 => Phase::Failed(ChunkedError::UnexpectedEof),
                        Ok(_) => Phase::Failed(ChunkedError::Malformed),
                        Err(e) => return if total > 0 { Ok(total) } else { Err(e) },
                    };
                }
                Phase::Data {
                    n: 0,
                    check_end: false,
                } => {
                    if total > 0 && !Self::chunk_header_available(r) {
                        return Ok(total);
                    }
                    self.begin_chunk(r);
                }
                Phase::Data {
                    n,
                    check_end: false,
                } => {
                    if b.is_empty() {
                        return Ok(total);
                    }
                    let want = (b.len() as u64).min(n) as usize;
                    let got = match r.read(&mut b[..want]) {
                        Ok(got) => got,
                        Err(e) => return if total > 0 { Ok(total) } else { Err(e) },
                    };
                    if got == 0 {
                        self.phase = Phase::Failed(ChunkedError::UnexpectedEof);
                        continue;
                    }
                    total += got;
                    b = &mut b[got..];
                    let n = n - got as u64;
                    self.phase = Phase::Data {
                        n,
                        check_end: n == 0,
                    };
                }
            }
        }
    }
}

/// Reads one size line, without its CRLF.
fn read_chunk_line<R: Read>(r: &mut Reader<R>) -> Result<&[u8], ChunkedError> {
    let line = match r.read_slice(b'\n') {
        Ok(line) => line,
        Err(ReadSliceError::BufferFull) => return Err(ChunkedError::LineTooLong),
        Err(ReadSliceError::Io(_)) => return Err(ChunkedError::UnexpectedEof),
    };
    match line.iter().position(|&b| b == b'\r') {
        None => return Err(ChunkedError::BareLf),
        Some(i) if i != line.len() - 2 => return Err(ChunkedError::InvalidCr),
        Some(_) => {}
    }
    let line = &line[..line.len() - 2];
    if line.len() >= MAX_LINE_LENGTH {
        return Err(ChunkedError::LineTooLong);
    }
    Ok(line)
}

fn trim_trailing_whitespace(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

fn parse_hex_uint(v: &[u8]) -> Result<u64, ChunkedError> {
    if v.is_empty() {
        return Err(ChunkedError::EmptySize);
    }
    let mut n: u64 = 0;
    for (i, &b) in v.iter().enumerate() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(ChunkedError::InvalidSizeByte),
        };
        if i == 16 {
            return Err(ChunkedError::SizeTooLarge);
        }
        n = (n << 4) | u64::from(d);
    }
    Ok(n)
}

/// A reader of a chunked body from any `Read` (Go's `NewChunkedReader`):
/// it ends at the size-0 chunk and leaves the trailer unread. It reads
/// ahead through a 4 KiB buffer of its own, so bytes after the body may be
/// consumed, as with Go's when not given a `bufio.Reader`.
pub struct ChunkedReader<R> {
    r: Reader<R>,
    state: ChunkedState,
}

impl<R: Read> ChunkedReader<R> {
    /// Decodes the chunked body read from `r`.
    #[doc(alias = "NewChunkedReader")]
    pub fn new(r: R) -> ChunkedReader<R> {
        ChunkedReader {
            r: Reader::new(r),
            state: ChunkedState::default(),
        }
    }
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.state.read(&mut self.r, b)
    }
}

/// A writer of the chunked coding (Go's `NewChunkedWriter`): each `write`
/// becomes one chunk; [`ChunkedWriter::close`] writes the size-0 chunk but
/// not the trailer's closing CRLF, which the caller writes after any
/// trailer fields.
pub struct ChunkedWriter<W: Write> {
    wire: W,
}

impl<W: Write> ChunkedWriter<W> {
    /// Encodes into `wire`.
    #[doc(alias = "NewChunkedWriter")]
    pub fn new(wire: W) -> ChunkedWriter<W> {
        ChunkedWriter { wire }
    }

    /// Writes the last chunk, `0\r\n`.
    pub fn close(&mut self) -> io::Result<()> {
        self.wire.write_all(b"0\r\n")
    }

    /// The writer underneath.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.wire
    }
}

impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // An empty chunk would read as the last one.
        if data.is_empty() {
            return Ok(0);
        }
        write!(self.wire, "{:x}\r\n", data.len())?;
        self.wire.write_all(data)?;
        self.wire.write_all(b"\r\n")?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.wire.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        ChunkedReader::new(input)
            .read_to_end(&mut out)
            .map(|_| out)
            .map_err(|e| e.to_string())
    }

    // Go's TestChunk: written then read back.
    #[test]
    fn chunk_round_trip() {
        let mut w = ChunkedWriter::new(Vec::new());
        w.write_all(b"hello, ").unwrap();
        w.write_all(b"world! 0123456789abcdef").unwrap();
        w.close().unwrap();
        let wire = w.get_mut().clone();
        assert_eq!(
            wire,
            b"7\r\nhello, \r\n17\r\nworld! 0123456789abcdef\r\n0\r\n"
        );
        assert_eq!(decode(&wire).unwrap(), b"hello, world! 0123456789abcdef");
    }

    // Go's TestChunkReadMultiple: data from several chunks in one read,
    // without blocking for a chunk whose header is not there yet.
    #[test]
    fn one_read_spans_buffered_chunks() {
        let wire = b"3\r\nfoo\r\n3\r\nbar\r\n0\r\n";
        let mut r = ChunkedReader::new(&wire[..]);
        let mut buf = [0u8; 64];
        let n = r.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"foobar");
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }

    // Go's TestChunkReaderAllocs / TestParseHexUint rows.
    #[test]
    fn parse_hex_uint_rows() {
        assert_eq!(parse_hex_uint(b"x"), Err(ChunkedError::InvalidSizeByte));
        assert_eq!(parse_hex_uint(b"0000000000000000"), Ok(0));
        assert_eq!(
            parse_hex_uint(b"10000000000000000"),
            Err(ChunkedError::SizeTooLarge)
        );
        assert_eq!(parse_hex_uint(b"ffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(parse_hex_uint(b"FFFFFFFFFFFFFFFF"), Ok(u64::MAX));
        assert_eq!(
            parse_hex_uint(b"00000000000000000"),
            Err(ChunkedError::SizeTooLarge)
        );
        assert_eq!(parse_hex_uint(b""), Err(ChunkedError::EmptySize));
        for i in 0..=1234u64 {
            assert_eq!(parse_hex_uint(format!("{i:x}").as_bytes()), Ok(i));
        }
    }

    // Go's TestChunkReadingIgnoresExtensions.
    #[test]
    fn extensions_are_ignored() {
        assert_eq!(
            decode(b"7;ext=\"some quoted string\"\r\nhello, \r\n17;someext\r\nworld! 0123456789abcdef\r\n0;someextension=sometoken\r\n").unwrap(),
            b"hello, world! 0123456789abcdef"
        );
    }

    // Go's TestChunkReaderTooMuchOverhead and TestChunkReaderByteAtATime
    // limits: overhead is tolerated in proportion to data.
    #[test]
    fn too_much_overhead_is_cut_off() {
        let mut wire = Vec::new();
        for _ in 0..10_000 {
            wire.extend_from_slice(b"1;aaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n");
        }
        wire.extend_from_slice(b"0\r\n");
        assert_eq!(
            decode(&wire).unwrap_err(),
            "chunked encoding contains too much non-data"
        );

        let mut wire = Vec::new();
        for _ in 0..10_000 {
            wire.extend_from_slice(b"10\r\n0123456789abcdef\r\n");
        }
        wire.extend_from_slice(b"0\r\n");
        assert_eq!(decode(&wire).unwrap().len(), 160_000);
    }

    #[test]
    fn malformed_framing_is_an_error_with_go_text() {
        let rows: &[(&[u8], &str)] = &[
            (b"3\nfoo\r\n0\r\n", "chunked line ends with bare LF"),
            (b"3;a\nb\r\nfoo\r\n0\r\n", "chunked line ends with bare LF"),
            (b"3\r\r\nfoo\r\n0\r\n", "invalid CR in chunked line"),
            (b"3\r\nfooXX0\r\n", "malformed chunked encoding"),
            (b"3\r\nfo", "unexpected EOF"),
            (b"3\r\nfoo\r\n", "unexpected EOF"),
            (b"\r\nfoo", "empty hex number for chunk length"),
            (b"-3\r\nfoo\r\n0\r\n", "invalid byte in chunk length"),
            (b"0x3\r\nfoo\r\n0\r\n", "invalid byte in chunk length"),
            (b"3 ;\r\nfoo\r\n0\r\n", "invalid byte in chunk length"),
        ];
        for (wire, want) in rows {
            assert_eq!(
                decode(wire).unwrap_err(),
                *want,
                "input {:?}",
                String::from_utf8_lossy(wire)
            );
        }
        let mut long = vec![b'1'; 5000];
        long.extend_from_slice(b"\r\n");
        assert_eq!(decode(&long).unwrap_err(), "header line too long");
    }

    #[test]
    fn trailing_whitespace_before_crlf_is_allowed() {
        assert_eq!(decode(b"3 \t\r\nfoo\r\n0\r\n").unwrap(), b"foo");
    }
}
