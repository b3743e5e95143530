//! Mirrors Go src/net/http/transfer.go (go1.27): message bodies: how their length is decided, and the body reader a handler gets.
//!
//! PLACEHOLDER: body framing lands with the server.

use std::fmt;
use std::io::{self, Read};

/// A request body (Go's `Request.Body`): a reader over the message body,
/// ending at its end whatever its framing.
///
/// A handler reads it as any `Read` (`io::read_to_string(&mut r.body)`,
/// `serde_json::from_reader(&mut r.body)`), and may replace it, with
/// [`Body::new`] around a reader of its own (as `max_bytes_reader` does).
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
}

impl Body {
    /// An empty body (Go's `http.NoBody`).
    pub fn empty() -> Body {
        Body::default()
    }

    /// A body read from `r`.
    pub fn new(r: impl Read + Send + 'static) -> Body {
        Body { inner: BodyInner::Reader(Box::new(r)) }
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            BodyInner::Empty => Ok(0),
            BodyInner::Reader(r) => r.read(buf),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.inner {
            BodyInner::Empty => "Body::Empty",
            BodyInner::Reader(_) => "Body::Reader",
        })
    }
}
