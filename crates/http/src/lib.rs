//! gort-http: Go's `net/http` server and `net/url`, on goroutines.
//!
//! One goroutine serves each connection with plain blocking reads and
//! writes; the runtime parks it on the netpoller while the client is
//! silent. Handlers are Go's: a function of a [`ResponseWriter`] and a
//! [`Request`].

mod bufio;
mod chunked;
mod fs;
mod header;
pub mod httptest;
mod method;
mod pattern;
mod request;
mod routing_index;
mod routing_tree;
mod servemux;
mod server;
mod sniff;
mod status;
mod textproto;
mod transfer;
pub mod url;

pub use chunked::{ChunkedError, ChunkedReader, ChunkedWriter};
pub use fs::{file_server, serve_content, serve_file};
pub use header::Header;
pub use method::*;
pub use request::{FormError, MaxBytesError, Request, max_bytes_reader};
pub use servemux::{
    ServeMux, default_serve_mux, handle, handle_func, redirect, redirect_handler, strip_prefix,
};
pub use server::{
    AbortHandler, DEFAULT_MAX_HEADER_BYTES, Handler, Hijacked, ResponseWriter, Server,
    ServerClosed, ServerState, error, is_server_closed, listen_and_serve, not_found,
    not_found_handler, serve,
};
pub use sniff::detect_content_type;
pub use status::*;
pub use textproto::canonical_mime_header_key;
pub use transfer::Body;

/// The handler a server with none serves: the default mux.
pub(crate) fn default_handler() -> std::sync::Arc<dyn Handler> {
    struct DefaultMux;
    impl Handler for DefaultMux {
        fn serve_http(&self, w: &mut dyn ResponseWriter, r: &mut Request) {
            default_serve_mux().serve_http(w, r)
        }
    }
    static DEFAULT: std::sync::OnceLock<std::sync::Arc<dyn Handler>> = std::sync::OnceLock::new();
    DEFAULT
        .get_or_init(|| std::sync::Arc::new(DefaultMux))
        .clone()
}
