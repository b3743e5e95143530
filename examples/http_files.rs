//! A static file server in Go's style: `http.FileServer(http.Dir(dir))`
//! under `/static/` through `http.StripPrefix`, and `/` redirecting there.
//!
//! ```text
//! cargo run --release --example http_files -- DIR [ADDR]   # default 127.0.0.1:8080
//! curl http://127.0.0.1:8080/static/            # DIR's index.html, or a listing
//! curl http://127.0.0.1:8080/static/notes.txt   # DIR/notes.txt
//! curl -r 0-9 http://127.0.0.1:8080/static/notes.txt   # its first 10 bytes (206)
//! ```
//!
//! Files get a type from their extension or their first bytes, ranges,
//! `Last-Modified` and conditional requests (`If-Modified-Since`, ...);
//! `..` cannot climb out of DIR. Everything under DIR is public, dot-files
//! and symbolic links included, as with Go's: serve only a tree meant to
//! be.
//!
//! The first line on stdout is `listening on ADDR`.

use std::sync::Arc;

use gort::http::{self, ServeMux};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: http_files DIR [ADDR]");
        std::process::exit(2);
    };
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    if !std::path::Path::new(&dir).is_dir() {
        eprintln!("http_files: {dir}: not a directory");
        std::process::exit(1);
    }
    let res = gort::run(move || {
        let mux = ServeMux::new();
        // `/static/notes.txt` is served as DIR's `/notes.txt`.
        mux.handle(
            "/static/",
            http::strip_prefix("/static", http::file_server(&dir)),
        );
        // Only `/` itself ({$}): other paths get the mux's 404.
        mux.handle(
            "GET /{$}",
            http::redirect_handler("/static/", http::STATUS_FOUND),
        );
        let ln = gort::net::listen("tcp", &addr)?;
        println!("listening on {}", ln.addr());
        http::serve(ln, Some(Arc::new(mux)))
    });
    if let Err(e) = res {
        eprintln!("http_files: {e}");
        std::process::exit(1);
    }
}
