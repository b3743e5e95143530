//! Mirrors Go src/bufio/bufio.go (go1.27): the Reader part: a buffered reader whose buffer can be peeked, scanned for a delimiter and grown for a request head.
//!
//! Go's server reads each connection through a `bufio.Reader` of 4 KiB:
//! the request head is parsed out of its buffer and the body is read
//! through it, so bytes the client pipelined after one request stay
//! buffered for the next. gort's twin adds one thing Go's lacks,
//! [`Reader::fill_up_to`]: `httparse` wants the whole head in one slice,
//! so the buffer grows, up to the server's header limit, while a head is
//! incomplete, and shrinks back to its normal size once the connection
//! goes idle.

use std::io::{self, Read};

/// The buffer a connection starts with and shrinks back to (Go's
/// `defaultBufSize`).
pub(crate) const DEFAULT_BUF_SIZE: usize = 4096;

/// Why [`Reader::read_slice`] did not return a line.
#[derive(Debug)]
pub(crate) enum ReadSliceError {
    /// The buffer filled up before the delimiter (Go's `ErrBufferFull`).
    BufferFull,
    /// The reader ended first (`UnexpectedEof` when bytes were pending, as
    /// well as at a clean end: callers treat both as a truncated message).
    Io(io::Error),
}

/// A buffered reader over `R`.
pub(crate) struct Reader<R> {
    /// `buf[r..w]` is read but not consumed; `r <= w <= buf.len()`.
    buf: Vec<u8>,
    r: usize,
    w: usize,
    rd: R,
}

impl<R: Read> Reader<R> {
    /// A reader with a buffer of [`DEFAULT_BUF_SIZE`], allocated on first use.
    pub(crate) fn new(rd: R) -> Reader<R> {
        Reader {
            buf: Vec::new(),
            r: 0,
            w: 0,
            rd,
        }
    }

    /// The underlying reader.
    pub(crate) fn get_ref(&self) -> &R {
        &self.rd
    }

    /// The bytes read from `R` but not yet consumed.
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buf[self.r..self.w]
    }

    /// How many bytes are buffered.
    pub(crate) fn buffered(&self) -> usize {
        self.w - self.r
    }

    /// Marks `n` buffered bytes consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.buffered(), "bufio: consumed more than buffered");
        self.r += n;
        if self.r == self.w {
            self.r = 0;
            self.w = 0;
        }
    }

    /// Moves the unconsumed bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.r > 0 {
            self.buf.copy_within(self.r..self.w, 0);
            self.w -= self.r;
            self.r = 0;
        }
    }

    /// Reads once from `R` into the free end of the buffer, first making
    /// room: compacting, and growing the buffer up to `limit` bytes in all.
    /// Returns the number of bytes read: 0 at the end of `R` or when the
    /// buffer already holds `limit` bytes.
    pub(crate) fn fill_up_to(&mut self, limit: usize) -> io::Result<usize> {
        let limit = limit.max(DEFAULT_BUF_SIZE);
        if self.buf.is_empty() {
            self.buf = vec![0; DEFAULT_BUF_SIZE];
        }
        if self.w == self.buf.len() {
            self.compact();
        }
        if self.w == self.buf.len() {
            if self.buf.len() >= limit {
                return Ok(0);
            }
            let grown = (self.buf.len() * 2).min(limit);
            self.buf.resize(grown, 0);
        }
        let n = self.rd.read(&mut self.buf[self.w..])?;
        self.w += n;
        Ok(n)
    }

    /// Reads once into the buffer without growing it past its normal size.
    pub(crate) fn fill(&mut self) -> io::Result<usize> {
        let cap = self.buf.len().max(DEFAULT_BUF_SIZE);
        self.fill_up_to(cap)
    }

    /// Returns the buffer to its normal size if a long head grew it and
    /// nothing is pending past that size.
    pub(crate) fn shrink(&mut self) {
        if self.buf.len() > DEFAULT_BUF_SIZE && self.buffered() <= DEFAULT_BUF_SIZE {
            self.compact();
            self.buf.truncate(DEFAULT_BUF_SIZE);
            self.buf.shrink_to_fit();
        }
    }

    /// The next `n` bytes without consuming them, reading as needed; fewer
    /// at the end of `R` (Go's `Peek`, which then also reports `io.EOF`).
    pub(crate) fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.buffered() < n {
            if self.fill()? == 0 {
                break;
            }
        }
        let end = self.r + n.min(self.buffered());
        Ok(&self.buf[self.r..end])
    }

    /// Reads up to and including `delim`, returning a slice of the buffer;
    /// fails with `BufferFull` when the buffer fills without it (Go's
    /// `ReadSlice`). The slice is consumed.
    pub(crate) fn read_slice(&mut self, delim: u8) -> Result<&[u8], ReadSliceError> {
        let mut searched = 0;
        loop {
            if let Some(i) = self.buffer()[searched..].iter().position(|&b| b == delim) {
                let start = self.r;
                let end = start + searched + i + 1;
                self.r = end;
                // Not reset to the front here: the slice borrows the buffer.
                return Ok(&self.buf[start..end]);
            }
            searched = self.buffered();
            if self.r == 0 && self.w == self.buf.len() && !self.buf.is_empty() {
                return Err(ReadSliceError::BufferFull);
            }
            match self.fill() {
                Ok(0) => {
                    return Err(ReadSliceError::Io(io::ErrorKind::UnexpectedEof.into()));
                }
                Ok(_) => {}
                Err(e) => return Err(ReadSliceError::Io(e)),
            }
        }
    }
}

impl<R: Read> Read for Reader<R> {
    /// Buffered bytes first; a read as large as the buffer with nothing
    /// buffered goes straight to `R` (no copy), as Go's does.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.buffered() == 0 {
            if out.len() >= self.buf.len().max(DEFAULT_BUF_SIZE) {
                return self.rd.read(out);
            }
            if self.fill()? == 0 {
                return Ok(0);
            }
        }
        let n = self.buffered().min(out.len());
        out[..n].copy_from_slice(&self.buf[self.r..self.r + n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its input a few bytes per read.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn read_slice_finds_lines_across_reads() {
        let mut r = Reader::new(Trickle(b"ab\ncd\nef", 2));
        assert_eq!(r.read_slice(b'\n').unwrap(), b"ab\n");
        assert_eq!(r.read_slice(b'\n').unwrap(), b"cd\n");
        assert!(matches!(r.read_slice(b'\n'), Err(ReadSliceError::Io(_))));
    }

    #[test]
    fn read_slice_reports_a_full_buffer() {
        let long = vec![b'x'; DEFAULT_BUF_SIZE + 10];
        let mut r = Reader::new(&long[..]);
        assert!(matches!(
            r.read_slice(b'\n'),
            Err(ReadSliceError::BufferFull)
        ));
    }

    #[test]
    fn fill_up_to_grows_to_the_limit_and_shrink_gives_it_back() {
        let long = vec![b'x'; 3 * DEFAULT_BUF_SIZE];
        let mut r = Reader::new(&long[..]);
        let mut total = 0;
        loop {
            let n = r.fill_up_to(2 * DEFAULT_BUF_SIZE).unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, 2 * DEFAULT_BUF_SIZE);
        r.consume(2 * DEFAULT_BUF_SIZE - 10);
        r.shrink();
        assert_eq!(r.buf.len(), DEFAULT_BUF_SIZE);
        assert_eq!(r.buffer(), &[b'x'; 10][..]);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.len(), 10 + DEFAULT_BUF_SIZE);
    }

    #[test]
    fn peek_does_not_consume() {
        let mut r = Reader::new(Trickle(b"hello world", 3));
        assert_eq!(r.peek(5).unwrap(), b"hello");
        r.consume(6);
        assert_eq!(r.peek(100).unwrap(), b"world");
    }
}
