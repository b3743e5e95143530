//! Go's hello-world web server: a handler on the default mux and
//! `http.ListenAndServe(addr, nil)`.
//!
//! ```text
//! cargo run --release --example http_hello -- [ADDR]   # default 127.0.0.1:8080
//! curl http://127.0.0.1:8080/gopher                    # Hello, gopher!
//! ```
//!
//! The Go program it mirrors:
//!
//! ```go
//! http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
//!     fmt.Fprintf(w, "Hello, %s!\n", name(r.URL.Path))
//! })
//! log.Fatal(http.ListenAndServe(addr, nil))
//! ```
//!
//! The first line on stdout is `listening on ADDR`, with the port the
//! kernel picked when ADDR ends in `:0`; then it serves until killed.

use gort::http::{self, Request, ResponseWriter};

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let res = gort::run(move || {
        http::handle_func("/", |w: &mut dyn ResponseWriter, r: &mut Request| {
            w.header().set("Content-Type", "text/plain; charset=utf-8");
            let _ = writeln!(w, "Hello, {}!", name(&r.url.path));
        });
        // `http::listen_and_serve(&addr, None)` is these two calls; they are
        // apart only to print the address the listener got.
        let ln = gort::net::listen("tcp", &addr)?;
        println!("listening on {}", ln.addr());
        http::serve(ln, None) // None: the default mux
    });
    if let Err(e) = res {
        eprintln!("http_hello: {e}");
        std::process::exit(1);
    }
}

/// Who to greet: the path without its leading slash, or "world".
fn name(path: &str) -> &str {
    match path.trim_start_matches('/') {
        "" => "world",
        name => name,
    }
}
