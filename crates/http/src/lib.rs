//! gort-http: Go's `net/http` server and `net/url`, on goroutines.
//!
//! One goroutine serves each connection with plain blocking reads and
//! writes; the runtime parks it on the netpoller while the client is
//! silent. Handlers are Go's: a function of a [`ResponseWriter`] and a
//! [`Request`].

mod fs;
mod header;
mod method;
mod request;
mod server;
mod sniff;
mod status;
mod textproto;
mod transfer;
pub mod url;

pub use fs::{file_server, serve_content, serve_file};
pub use header::Header;
pub use method::*;
pub use request::Request;
pub use server::{Handler, Hijacked, ResponseWriter, error, not_found, not_found_handler};
pub use sniff::detect_content_type;
pub use status::*;
pub use textproto::canonical_mime_header_key;
pub use transfer::Body;
