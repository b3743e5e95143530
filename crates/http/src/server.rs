//! Mirrors Go src/net/http/server.go (go1.27): `Handler`, `ResponseWriter`, the connection's serving loop and `Server`.

use std::io::{self, Write};

use crate::header::Header;
use crate::request::Request;
use crate::status::STATUS_NOT_FOUND;

/// Responds to an HTTP request (Go's `http.Handler`).
///
/// `serve_http` writes the reply's header and body to `w`, then returns;
/// returning ends the request. Any `Fn(&mut dyn ResponseWriter, &mut
/// Request)` closure is a handler (Go's `HandlerFunc`).
///
/// A handler that panics has its connection closed and the panic logged;
/// the server goes on serving, as Go's does.
pub trait Handler: Send + Sync + 'static {
    /// Writes the response to `r` into `w`.
    #[doc(alias = "ServeHTTP")]
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request);
}

impl<F> Handler for F
where
    F: Fn(&mut dyn ResponseWriter, &mut Request) + Send + Sync + 'static,
{
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
        self(w, r)
    }
}

impl<H: Handler + ?Sized> Handler for std::sync::Arc<H> {
    fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
        (**self).serve_http(w, r)
    }
}

/// What a handler writes its response to (Go's `http.ResponseWriter`, with
/// `Flusher` as [`Write::flush`] and `Hijacker` as [`ResponseWriter::hijack`]).
///
/// Set header fields through [`header`](ResponseWriter::header) before the
/// first write; [`write_header`](ResponseWriter::write_header) sends the
/// status line and the header, and the first `write` calls it with 200 if
/// the handler has not. `flush` sends what is buffered to the client.
pub trait ResponseWriter: Write {
    /// The header that `write_header` will send. Changing it after the
    /// header was sent has no effect.
    fn header(&mut self) -> &mut Header;

    /// Sends the status line and the header with `status_code`. Only the
    /// first call counts (later ones are logged as superfluous), except
    /// informational 1xx codes, which may precede the final one.
    #[doc(alias = "WriteHeader")]
    fn write_header(&mut self, status_code: u16);

    /// Takes the connection over from the server, for a protocol of the
    /// handler's own (a WebSocket, a CONNECT tunnel): the server forgets
    /// the connection and will neither write to it nor close it. Returns
    /// the connection and the bytes the server had read from it but not
    /// yet consumed. Writers that cannot be hijacked return an error
    /// (Go's `ErrNotSupported`).
    fn hijack(&mut self) -> io::Result<Hijacked> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "feature not supported",
        ))
    }
}

/// A connection a handler took over with [`ResponseWriter::hijack`].
#[derive(Debug)]
pub struct Hijacked {
    /// The connection; closing it is now the handler's job.
    pub conn: Box<dyn gort_net::Conn>,
    /// Bytes the client sent that the server had read but not used.
    pub buffered: Vec<u8>,
}

/// Replies with `error` as a plain-text body and `code` (Go's `http.Error`).
/// The handler should not write more after it.
pub fn error(w: &mut dyn ResponseWriter, error: &str, code: u16) {
    let h = w.header();
    h.del("Content-Length");
    h.set("Content-Type", "text/plain; charset=utf-8");
    h.set("X-Content-Type-Options", "nosniff");
    w.write_header(code);
    let _ = writeln!(w, "{error}");
}

/// Replies with 404 and `404 page not found` (Go's `http.NotFound`).
pub fn not_found(w: &mut dyn ResponseWriter, _r: &mut Request) {
    error(w, "404 page not found", STATUS_NOT_FOUND)
}

/// A handler that replies 404 to every request (Go's `http.NotFoundHandler`).
pub fn not_found_handler() -> impl Handler {
    not_found
}
