//! Mirrors Go src/net/http/server.go (go1.27): `Handler`, `ResponseWriter`, the connection's serving loop and `Server`.
//!
//! A [`Server`] accepts connections and runs one goroutine per connection,
//! Go's `conn.serve`, which is a loop of four steps:
//!
//! 1. **read a request** (`read_request` in `request.rs`) out of the
//!    connection's 4 KiB buffered reader, under the header timeout and the
//!    header size limit; a malformed one is answered with Go's status and
//!    the connection closed;
//! 2. **run the handler** with a [`Response`] writer: what the handler
//!    writes collects in a 2 KiB buffer, so that a small reply goes out in
//!    one write with a `Content-Length` computed for it; a longer one is
//!    sent chunked (HTTP/1.1) or delimited by closing (HTTP/1.0);
//! 3. **finish the request**: send what is buffered, end the chunked body,
//!    flush, and close the request's body so a handler that kept it cannot
//!    read the next request;
//! 4. **decide whether to keep the connection** by Go's rules (HTTP/1.0
//!    without keep-alive, `Connection: close`, an unread body over 256 KiB,
//!    a response shorter than its declared length, an error), and if so,
//!    park until the next request under the idle timeout.
//!
//! The goroutine parks on the netpoller at every read and write; a
//! connection that waits costs its goroutine's stack and buffers, no
//! thread. `Server::shutdown` closes the listeners, then closes idle
//! connections as they become idle until none is left, as Go's does.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime};

use gort_net::{Conn, Listener};
use gort_runtime::context::{self, CancelFunc, Context};
use gort_runtime::sync::Mutex;

use crate::bufio;
use crate::header::Header;
use crate::request::{ReadRequestError, Request, has_token, read_request};
use crate::status::*;
use crate::transfer::{Body, BodyState, ConnIn, Continue, SharedIn};

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
    pub conn: Arc<dyn Conn>,
    /// Bytes the client sent that the server had read but not used.
    pub buffered: Vec<u8>,
}

/// Replies with `error` as a plain-text body and `code` (Go's `http.Error`).
/// The handler should not write more after it.
pub fn error(w: &mut dyn ResponseWriter, error: &str, code: u16) {
    let h = w.header();
    h.del_c("Content-Length");
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

/// A panic payload that ends a handler quietly: the connection is closed
/// without the panic being logged (Go's `ErrAbortHandler`). Raise it with
/// `std::panic::panic_any(AbortHandler)`.
#[derive(Debug, Clone, Copy)]
pub struct AbortHandler;

/// The error `serve`, `listen_and_serve` and friends return after
/// [`Server::shutdown`] or [`Server::close`] (Go's `ErrServerClosed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerClosed;

impl fmt::Display for ServerClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("http: Server closed")
    }
}

impl std::error::Error for ServerClosed {}

impl From<ServerClosed> for io::Error {
    fn from(e: ServerClosed) -> io::Error {
        io::Error::other(e)
    }
}

/// Whether `err` is [`ServerClosed`]: the server was shut down, which is
/// how `serve` normally ends.
pub fn is_server_closed(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<ServerClosed>())
}

/// Go's `ErrHijacked`.
const HIJACKED: &str = "http: connection has been hijacked";
/// Go's `ErrBodyNotAllowed`.
const BODY_NOT_ALLOWED: &str = "http: request method or response status code does not allow body";
/// Go's `ErrContentLength`.
const CONTENT_LENGTH_EXCEEDED: &str = "http: wrote more than the declared Content-Length";

/// The header size limit when [`Server::max_header_bytes`] is 0 (Go's
/// `DefaultMaxHeaderBytes`, 1 MiB).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 1 << 20;

/// How much of an unread request body the server reads and drops so it can
/// reuse the connection; a longer one closes it (Go's
/// `maxPostHandlerReadBytes`).
const MAX_POST_HANDLER_READ_BYTES: u64 = 256 << 10;

/// How much a handler's output is buffered before the header must go out
/// (Go's `bufferBeforeChunkingSize`): a reply this short gets a
/// `Content-Length`, a longer one is chunked.
const BUFFER_BEFORE_CHUNKING_SIZE: usize = 2048;

/// The connection writer's buffer (Go's 4 KiB `bufio.Writer`).
const WRITE_BUF_SIZE: usize = 4 << 10;

/// How long a connection that got an error reply waits for the client to
/// read it before the socket closes (Go's `rstAvoidanceDelay`).
const RST_AVOIDANCE_DELAY: Duration = Duration::from_millis(500);

/// An HTTP server (Go's `http.Server`): its settings are public fields,
/// set once before serving; build one with `..Default::default()` and
/// share it in an `Arc`, which [`Server::serve`] and
/// [`Server::listen_and_serve`] take, so that another goroutine can call
/// [`Server::shutdown`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use gort_http::{ResponseWriter, Request, Server};
///
/// gort::run(|| {
///     let srv = Arc::new(Server {
///         handler: Some(Arc::new(|w: &mut dyn ResponseWriter, _r: &mut Request| {
///             w.write_all(b"hi\n").unwrap();
///         })),
///         read_header_timeout: Some(Duration::from_secs(5)),
///         ..Default::default()
///     });
///     let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
///     let addr = ln.addr().to_string();
///     let serving = {
///         let srv = srv.clone();
///         gort::spawn(move || srv.serve(ln))
///     };
///     let conn = gort::net::dial("tcp", &addr).unwrap();
///     conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
///     let mut reply = String::new();
///     std::io::Read::read_to_string(&mut &*conn, &mut reply).unwrap();
///     assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
///     assert!(reply.ends_with("\r\n\r\nhi\n"));
///
///     srv.shutdown(&gort::context::background()).unwrap();
///     assert!(gort_http::is_server_closed(&serving.join().unwrap().unwrap_err()));
/// });
/// ```
#[derive(Default)]
pub struct Server {
    /// The TCP address `listen_and_serve` listens on (`":http"` when empty,
    /// i.e. port 80 on every address).
    pub addr: String,
    /// The handler; `None` serves the package's default mux
    /// ([`default_serve_mux`](crate::default_serve_mux)).
    pub handler: Option<Arc<dyn Handler>>,
    /// The longest a whole request, body included, may take to read.
    pub read_timeout: Option<Duration>,
    /// The longest a request head may take to read; `None` uses
    /// `read_timeout`. Cuts off slow-loris clients.
    pub read_header_timeout: Option<Duration>,
    /// The longest writing a response may take, from the end of the head.
    pub write_timeout: Option<Duration>,
    /// The longest a keep-alive connection may wait for its next request;
    /// `None` uses `read_timeout`.
    pub idle_timeout: Option<Duration>,
    /// The largest request head, request line included; 0 means
    /// [`DEFAULT_MAX_HEADER_BYTES`]. A larger head gets 431.
    pub max_header_bytes: usize,
    /// The TLS settings [`Server::serve_tls`] and
    /// [`Server::listen_and_serve_tls`] start from (Go's `TLSConfig`);
    /// `serve` ignores it.
    pub tls_config: Option<Arc<crate::tls::Config>>,
    /// What the server tracks while it serves (listeners, connections, the
    /// shutdown flag). Opaque: leave it to `..Default::default()`, which is
    /// why it is public (Rust's struct update syntax needs every field
    /// visible).
    pub state: ServerState,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("read_timeout", &self.read_timeout)
            .field("read_header_timeout", &self.read_header_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_header_bytes", &self.max_header_bytes)
            .finish_non_exhaustive()
    }
}

/// What a [`Server`] tracks while it serves; opaque.
#[derive(Default)]
pub struct ServerState {
    /// Set once by `shutdown` or `close`; never cleared.
    in_shutdown: AtomicBool,
    /// Go's `disableKeepAlives`.
    disable_keep_alives: AtomicBool,
    /// Cancelled by `close`: the parent of every request's context.
    base: std::sync::OnceLock<(Context, CancelFunc)>,
    /// The listeners being served and the connections being served, keyed
    /// by an id. A plain lock: never held across a park.
    tracked: StdMutex<Tracked>,
}

#[derive(Default)]
struct Tracked {
    listeners: HashMap<u64, Arc<dyn Listener>>,
    conns: HashMap<u64, Arc<TrackedConn>>,
    next_id: u64,
}

/// A connection's state, as Go's `ConnState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum ConnState {
    /// Accepted; no request byte read yet.
    New = 0,
    /// Reading or serving a request.
    Active = 1,
    /// Between requests.
    Idle = 2,
    /// Taken over by a handler.
    Hijacked = 3,
}

/// A served connection as `shutdown` and `close` see it.
struct TrackedConn {
    conn: Arc<dyn Conn>,
    /// A [`ConnState`]; with `since`, written by the serving goroutine and
    /// read by `shutdown`. Relaxed: a stale read at worst closes an idle
    /// connection one poll later, or one that just turned active, which Go
    /// also allows.
    state: AtomicU8,
    /// When the state last changed, in Unix seconds.
    since: AtomicI64,
}

impl TrackedConn {
    fn set_state(&self, st: ConnState) {
        self.since.store(unix_now(), Ordering::Relaxed);
        self.state.store(st as u8, Ordering::Relaxed);
    }
    fn state(&self) -> (ConnState, i64) {
        let st = match self.state.load(Ordering::Relaxed) {
            0 => ConnState::New,
            1 => ConnState::Active,
            2 => ConnState::Idle,
            _ => ConnState::Hijacked,
        };
        (st, self.since.load(Ordering::Relaxed))
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Server {
    fn shutting_down(&self) -> bool {
        // Acquire pairs with the Release store in shutdown/close: a
        // goroutine that sees the flag also sees the listeners closed.
        self.state.in_shutdown.load(Ordering::Acquire)
    }

    fn base_context(&self) -> &Context {
        &self
            .state
            .base
            .get_or_init(|| context::with_cancel(&context::background()))
            .0
    }

    fn read_header_timeout(&self) -> Option<Duration> {
        self.read_header_timeout.or(self.read_timeout)
    }

    fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout.or(self.read_timeout)
    }

    fn head_limit(&self) -> usize {
        let max = if self.max_header_bytes == 0 {
            DEFAULT_MAX_HEADER_BYTES
        } else {
            self.max_header_bytes
        };
        // Go's slack for the request line and framing: 4096 bytes.
        max.saturating_add(4096)
    }

    /// Turns keep-alives on or off (Go's `SetKeepAlivesEnabled`): when off,
    /// each connection closes after one request.
    pub fn set_keep_alives_enabled(&self, on: bool) {
        self.state.disable_keep_alives.store(!on, Ordering::Relaxed);
    }

    fn keep_alives_enabled(&self) -> bool {
        !self.state.disable_keep_alives.load(Ordering::Relaxed) && !self.shutting_down()
    }

    /// Listens on TCP at [`Server::addr`] and serves (Go's
    /// `ListenAndServe`). Returns an error: [`ServerClosed`] after
    /// `shutdown` or `close`, or what stopped it.
    pub fn listen_and_serve(self: &Arc<Self>) -> io::Result<()> {
        if self.shutting_down() {
            return Err(ServerClosed.into());
        }
        let addr = if self.addr.is_empty() {
            ":http"
        } else {
            &self.addr
        };
        let ln = gort_net::listen("tcp", addr)?;
        self.serve(ln)
    }

    /// Accepts connections on `l` and serves each in a goroutine of its own
    /// (Go's `Serve`). Returns [`ServerClosed`] after `shutdown` or `close`;
    /// another accept error ends it too, except the temporary ones (out of
    /// descriptors, out of memory), after which it retries with a backoff
    /// from 5 ms to 1 s, as Go does. `l` is closed on return.
    pub fn serve(self: &Arc<Self>, l: Box<dyn Listener>) -> io::Result<()> {
        let l: Arc<dyn Listener> = Arc::from(l);
        let id = {
            let mut t = self.state.tracked.lock().unwrap_or_else(|e| e.into_inner());
            if self.shutting_down() {
                let _ = l.close();
                return Err(ServerClosed.into());
            }
            t.next_id += 1;
            let id = t.next_id;
            t.listeners.insert(id, l.clone());
            id
        };
        let res = self.accept_loop(&*l);
        let _ = l.close();
        self.state
            .tracked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .listeners
            .remove(&id);
        res
    }

    // ANCHOR: Serve
    fn accept_loop(self: &Arc<Self>, l: &dyn Listener) -> io::Result<()> {
        let mut temp_delay = Duration::ZERO;
        loop {
            let conn = match l.accept() {
                Ok(c) => c,
                Err(_) if self.shutting_down() => return Err(ServerClosed.into()),
                Err(e) if is_temporary_accept_error(&e) => {
                    temp_delay = if temp_delay.is_zero() {
                        Duration::from_millis(5)
                    } else {
                        (temp_delay * 2).min(Duration::from_secs(1))
                    };
                    log(&format!(
                        "http: Accept error: {e}; retrying in {temp_delay:?}"
                    ));
                    gort_runtime::time::sleep(temp_delay);
                    continue;
                }
                Err(e) => return Err(e),
            };
            temp_delay = Duration::ZERO;
            let conn: Arc<dyn Conn> = Arc::from(conn);
            let tracked = Arc::new(TrackedConn {
                conn,
                state: AtomicU8::new(ConnState::New as u8),
                since: AtomicI64::new(unix_now()),
            });
            let id = {
                let mut t = self.state.tracked.lock().unwrap_or_else(|e| e.into_inner());
                if self.shutting_down() {
                    let _ = tracked.conn.close();
                    return Err(ServerClosed.into());
                }
                t.next_id += 1;
                let id = t.next_id;
                t.conns.insert(id, tracked.clone());
                id
            };
            let srv = self.clone();
            gort_runtime::spawn(move || {
                let hijacked = serve_conn(&srv, &tracked);
                if !hijacked {
                    let _ = tracked.conn.close();
                }
                srv.state
                    .tracked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .conns
                    .remove(&id);
            });
        }
    }
    // ANCHOR_END: Serve

    /// Stops the server gracefully (Go's `Shutdown`): closes the listeners
    /// at once, then closes each connection once it is idle, polling (1 ms
    /// at first, doubling to 500 ms) until none is left or `ctx` is done,
    /// whose error it then returns. Handlers running are not interrupted.
    /// `serve` returns [`ServerClosed`] as soon as this starts.
    pub fn shutdown(&self, ctx: &Context) -> io::Result<()> {
        self.state.in_shutdown.store(true, Ordering::Release);
        let lnerr = self.close_listeners();
        let mut interval = Duration::from_millis(1);
        loop {
            if self.close_idle_conns() {
                return lnerr;
            }
            if let Some(e) = ctx.err() {
                return Err(e.into());
            }
            let done = ctx.done();
            let tick = gort_runtime::time::after(interval);
            gort_runtime::select! {
                recv(done) -> _ => {},
                recv(tick) -> _ => {},
            }
            interval = (interval * 2).min(Duration::from_millis(500));
        }
    }

    /// Stops the server at once (Go's `Close`): closes the listeners and
    /// every connection but hijacked ones, and cancels the requests'
    /// contexts. Handlers still running see their writes fail.
    pub fn close(&self) -> io::Result<()> {
        self.state.in_shutdown.store(true, Ordering::Release);
        if let Some((_, cancel)) = self.state.base.get() {
            cancel.cancel();
        }
        let res = self.close_listeners();
        let conns: Vec<_> = {
            let t = self.state.tracked.lock().unwrap_or_else(|e| e.into_inner());
            t.conns.values().cloned().collect()
        };
        for c in conns {
            if c.state().0 != ConnState::Hijacked {
                let _ = c.conn.close();
            }
        }
        res
    }

    fn close_listeners(&self) -> io::Result<()> {
        let listeners: Vec<_> = {
            let t = self.state.tracked.lock().unwrap_or_else(|e| e.into_inner());
            t.listeners.values().cloned().collect()
        };
        let mut res = Ok(());
        for l in listeners {
            if let Err(e) = l.close()
                && res.is_ok()
            {
                res = Err(e);
            }
        }
        res
    }

    /// Closes the idle connections; reports whether every connection was
    /// idle (Go's `closeIdleConns`). A connection that has been new for 5 s
    /// without sending a byte counts as idle.
    fn close_idle_conns(&self) -> bool {
        let conns: Vec<_> = {
            let t = self.state.tracked.lock().unwrap_or_else(|e| e.into_inner());
            t.conns.values().cloned().collect()
        };
        let now = unix_now();
        let mut quiescent = true;
        for c in conns {
            let (mut st, since) = c.state();
            if st == ConnState::New && since < now - 5 {
                st = ConnState::Idle;
            }
            match st {
                ConnState::Idle => {
                    let _ = c.conn.close();
                }
                ConnState::Hijacked => {}
                _ => quiescent = false,
            }
        }
        quiescent
    }

    // TLS: Go's ServeTLS, ListenAndServeTLS and the handshake step of
    // conn.serve, over tls.rs.

    /// Serves HTTPS on `l` (Go's `ServeTLS`): each connection is a TLS
    /// server conn whose handshake runs in its own goroutine. The files
    /// are PEM; both may be empty if [`Server::tls_config`] has
    /// certificates, else they replace them. `http/1.1` is added to the
    /// config's ALPN protocols.
    pub fn serve_tls(
        self: &Arc<Self>,
        l: Box<dyn Listener>,
        cert_file: &str,
        key_file: &str,
    ) -> io::Result<()> {
        let config =
            match crate::tls::http_server_config(self.tls_config.as_deref(), cert_file, key_file) {
                Ok(c) => c,
                Err(e) => {
                    let _ = l.close();
                    return Err(e);
                }
            };
        self.serve(crate::tls::new_listener(l, config))
    }

    /// Listens on TCP at [`Server::addr`] (`":https"` when empty) and
    /// serves HTTPS (Go's `ListenAndServeTLS`); see [`Server::serve_tls`].
    pub fn listen_and_serve_tls(
        self: &Arc<Self>,
        cert_file: &str,
        key_file: &str,
    ) -> io::Result<()> {
        if self.shutting_down() {
            return Err(ServerClosed.into());
        }
        let addr = if self.addr.is_empty() {
            ":https"
        } else {
            &self.addr
        };
        let ln = gort_net::listen("tcp", addr)?;
        self.serve_tls(ln, cert_file, key_file)
    }

    /// Runs a TLS conn's handshake before its first request (Go's
    /// `conn.serve`), under the read deadline `serve_conn` just set from
    /// `read_header_timeout` (or `read_timeout`); returns whether to go on.
    /// A failure is logged; a client that spoke plain HTTP gets Go's 400.
    /// On a plain conn the empty read returns at once.
    fn tls_handshake(&self, conn: &Arc<dyn Conn>, remote_addr: &str) -> bool {
        let err = match conn.read(&mut []) {
            Ok(_) => return true,
            Err(_) if self.shutting_down() => return false,
            Err(e) => e,
        };
        let header = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<crate::tls::RecordHeaderError>());
        let reason = match header {
            Some(h) if crate::tls::record_header_looks_like_http(&h.record_header) => {
                if let Some(raw) = &h.conn {
                    let _ = raw.write_all(
                        b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n",
                    );
                    let _ = raw.close();
                }
                "client sent an HTTP request to an HTTPS server".to_string()
            }
            _ => err.to_string(),
        };
        log(&format!(
            "http: TLS handshake error from {remote_addr}: {reason}"
        ));
        false
    }
}

/// Accept errors worth retrying: the process or system ran out of
/// descriptors or memory (Go's `Temporary` errors from accept).
fn is_temporary_accept_error(e: &io::Error) -> bool {
    let errno = e.raw_os_error().or_else(|| {
        let inner = e.get_ref()?;
        let op = inner.downcast_ref::<gort_net::OpError>()?;
        op.err.raw_os_error()
    });
    matches!(
        errno,
        Some(libc_errno::EMFILE | libc_errno::ENFILE | libc_errno::ENOBUFS | libc_errno::ENOMEM)
    )
}

/// The errno values of [`is_temporary_accept_error`] (Linux's).
mod libc_errno {
    pub const ENOMEM: i32 = 12;
    pub const ENFILE: i32 = 23;
    pub const EMFILE: i32 = 24;
    pub const ENOBUFS: i32 = 105;
}

/// Logs a server event as Go's `Server.logf` does: a line on stderr, and a
/// `tracing` event (target `gort::http`).
fn log(msg: &str) {
    tracing::error!(target: "gort::http", "{msg}");
    eprintln!("{msg}");
}

/// Serves `l` with `handler` (or the default mux): Go's `http.Serve`.
pub fn serve(l: Box<dyn Listener>, handler: Option<Arc<dyn Handler>>) -> io::Result<()> {
    Arc::new(Server {
        handler,
        ..Server::default()
    })
    .serve(l)
}

/// Listens on TCP at `addr` and serves with `handler`, or with the default
/// mux when it is `None` (Go's `http.ListenAndServe`). Returns only on an
/// error.
///
/// ```no_run
/// use gort_http::{ResponseWriter, Request};
/// gort::run(|| {
///     gort_http::handle_func("/", |w: &mut dyn ResponseWriter, r: &mut Request| {
///         write!(w, "Hello, {}!", r.url.path).unwrap();
///     });
///     gort_http::listen_and_serve(":3000", None).unwrap();
/// });
/// ```
pub fn listen_and_serve(addr: &str, handler: Option<Arc<dyn Handler>>) -> io::Result<()> {
    Arc::new(Server {
        addr: addr.to_string(),
        handler,
        ..Server::default()
    })
    .listen_and_serve()
}

/// Listens on TCP at `addr` and serves HTTPS with `handler` (or the
/// default mux), the certificate and key read from PEM files (Go's
/// `http.ListenAndServeTLS`). Returns only on an error.
pub fn listen_and_serve_tls(
    addr: &str,
    cert_file: &str,
    key_file: &str,
    handler: Option<Arc<dyn Handler>>,
) -> io::Result<()> {
    Arc::new(Server {
        addr: addr.to_string(),
        handler,
        ..Server::default()
    })
    .listen_and_serve_tls(cert_file, key_file)
}

/// Reading half of a served connection: a conn as `io::Read`.
pub(crate) struct NetReader(Arc<dyn Conn>);

impl Read for NetReader {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.0.read(b)
    }
}

/// Writing half of a served connection: a conn as `io::Write`.
struct NetWriter(Arc<dyn Conn>);

impl Write for NetWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sends `100 Continue` (the first read of a body whose client asked).
pub(crate) fn write_continue(r: &NetReader) -> io::Result<()> {
    r.0.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
}

/// Whether a response with `status` may have a body (Go's
/// `bodyAllowedForStatus`).
fn body_allowed_for_status(status: u16) -> bool {
    !matches!(status, 100..=199 | 204 | 304)
}

/// The per-connection state the serving loop and its [`Response`] share
/// (Go's `conn`).
struct ServerConn<'s> {
    srv: &'s Arc<Server>,
    tracked: &'s TrackedConn,
    cin: SharedIn,
    bw: BufWriter<NetWriter>,
    remote_addr: String,
    /// A handler took the connection over.
    hijacked: bool,
    /// A write to the client failed: nothing more can be sent.
    werr: bool,
}

// ANCHOR: conn_serve
/// Serves one connection until it should close; returns whether a handler
/// hijacked it (so the caller must not close it). Go's `conn.serve`.
fn serve_conn(srv: &Arc<Server>, tracked: &TrackedConn) -> bool {
    let conn = tracked.conn.clone();
    let mut c = ServerConn {
        srv,
        tracked,
        cin: Arc::new(Mutex::new(ConnIn {
            rd: bufio::Reader::new(NetReader(conn.clone())),
            body: None,
        })),
        bw: BufWriter::with_capacity(WRITE_BUF_SIZE, NetWriter(conn.clone())),
        remote_addr: conn
            .remote_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        hijacked: false,
        werr: false,
    };
    if let Some(d) = srv.read_header_timeout() {
        let _ = conn.set_read_deadline(Some(Instant::now() + d));
    }
    // TLS hook: a TLS conn's handshake, under the deadline just set.
    if !srv.tls_handshake(&conn, &c.remote_addr) {
        return false;
    }
    let mut seq = 0u64;
    loop {
        seq += 1;
        match serve_one(&mut c, seq) {
            Next::KeepGoing => {}
            Next::Close => return false,
            Next::Hijacked => return true,
        }
        tracked.set_state(ConnState::Idle);
        if !srv.keep_alives_enabled() {
            return false;
        }
        // Wait for the next request under the idle timeout; the buffer goes
        // back to its normal size first, if a long head grew it.
        let idle = srv.idle_timeout();
        if idle.is_some() || srv.read_timeout.is_some() || srv.read_header_timeout.is_some() {
            let _ = conn.set_read_deadline(idle.map(|d| Instant::now() + d));
        }
        {
            let mut cin = c.cin.lock();
            cin.rd.shrink();
            if cin.rd.buffered() == 0 && !matches!(cin.rd.fill(), Ok(n) if n > 0) {
                return false;
            }
        }
        if let Some(d) = srv.read_header_timeout() {
            let _ = conn.set_read_deadline(Some(Instant::now() + d));
        } else if idle.is_some() {
            let _ = conn.set_read_deadline(None);
        }
    }
}

// ANCHOR_END: conn_serve
/// What the serving loop does after a request.
enum Next {
    KeepGoing,
    Close,
    Hijacked,
}

// ANCHOR: serve_one
/// Reads, serves and finishes one request.
fn serve_one(c: &mut ServerConn<'_>, seq: u64) -> Next {
    let srv = c.srv;
    let conn = c.tracked.conn.clone();
    let t0 = srv.read_timeout.map(|_| Instant::now());
    let read = {
        let mut cin = c.cin.lock();
        let res = read_request(&mut cin.rd, srv.head_limit());
        if res.is_ok() || cin.rd.buffered() > 0 {
            c.tracked.set_state(ConnState::Active);
        }
        res
    };
    if srv.shutting_down() {
        return Next::Close;
    }
    let rr = match read {
        Ok(rr) => rr,
        Err(e) => {
            reply_to_bad_request(c, e);
            return Next::Close;
        }
    };
    c.tracked.set_state(ConnState::Active);
    if let (Some(d), Some(t0)) = (srv.read_timeout, t0) {
        let _ = conn.set_read_deadline(Some(t0 + d));
    } else if srv.read_header_timeout.is_some() {
        let _ = conn.set_read_deadline(None);
    }
    if let Some(d) = srv.write_timeout {
        let _ = conn.set_write_deadline(Some(Instant::now() + d));
    }

    let mut req = rr.req;
    req.remote_addr = c.remote_addr.clone();
    let expects_continue = req.expects_continue();
    if !expects_continue && !req.header.get_c("Expect").is_empty() {
        // Go's sendExpectationFailed: 417, and close.
        let _ = c.bw.write_all(
            b"HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        );
        let _ = c.bw.flush();
        return Next::Close;
    }
    let expect = if expects_continue && req.proto_at_least(1, 1) && req.content_length != 0 {
        Continue::Owed
    } else {
        Continue::NotAsked
    };
    {
        let mut cin = c.cin.lock();
        cin.body = rr.framing.map(|framing| BodyState {
            seq,
            framing,
            saw_eof: false,
            closed: false,
            broken: false,
            too_large: false,
            expect,
        });
    }
    if req.content_length != 0 {
        req.body = Body::from_conn(c.cin.clone(), seq);
    }
    req.server_ctx = Some(crate::request::LazyContext::new(srv.base_context().clone()));

    let handler: Arc<dyn Handler> = match &srv.handler {
        _ if req.method == "OPTIONS" && req.request_uri == "*" => Arc::new(serve_global_options),
        Some(h) => h.clone(),
        None => crate::default_handler(),
    };
    let mut w = Response::new(c, &req, seq, rr.ambiguous_framing);
    let res = catch_unwind(AssertUnwindSafe(|| handler.serve_http(&mut w, &mut req)));
    if let Some(lazy) = &req.server_ctx {
        lazy.cancel();
    }
    if let Err(payload) = res {
        let hijacked = w.c.hijacked;
        if payload.is::<gort_runtime::Goexit>() {
            // The runtime is unwinding this goroutine: let it.
            resume_unwind(payload);
        }
        if !payload.is::<AbortHandler>() {
            log(&format!(
                "http: panic serving {}: {}",
                w.c.remote_addr,
                panic_message(&*payload)
            ));
        }
        return if hijacked {
            Next::Hijacked
        } else {
            Next::Close
        };
    }
    if w.c.hijacked {
        return Next::Hijacked;
    }
    w.finish_request();
    let reuse = w.should_reuse_connection();
    let body_left_unread = w.body_left_unread;
    drop(w);
    if !reuse && body_left_unread {
        close_write_and_wait(&conn);
    }
    if srv.write_timeout.is_some() {
        let _ = conn.set_write_deadline(None);
    }
    if reuse { Next::KeepGoing } else { Next::Close }
}

// ANCHOR_END: serve_one

/// Answers `OPTIONS *` in place of the server's handler (Go's
/// `globalOptionsHandler`): an empty 200; of a body, at most 4 KiB is
/// read, and a longer one closes the connection.
fn serve_global_options(w: &mut dyn ResponseWriter, r: &mut Request) {
    const MAX_OPTIONS_BODY: u64 = 4 << 10;
    w.header().set("Content-Length", "0");
    if r.content_length != 0 {
        let read = io::copy(
            &mut (&mut r.body).take(MAX_OPTIONS_BODY + 1),
            &mut io::sink(),
        )
        .unwrap_or(0);
        if read > MAX_OPTIONS_BODY {
            w.header().set("Connection", "close");
        }
    }
}

fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Answers a request that could not be read, as Go's `conn.serve` does;
/// the connection closes after.
fn reply_to_bad_request(c: &mut ServerConn<'_>, e: ReadRequestError) {
    const ERROR_HEADERS: &str =
        "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n";
    let conn = &c.tracked.conn;
    tracing::debug!(target: "gort::http", remote = %c.remote_addr, "bad request: {e}");
    let msg = match e {
        ReadRequestError::Net(_) => return,
        ReadRequestError::TooLarge => {
            let public = "431 Request Header Fields Too Large";
            let _ = conn.write_all(format!("HTTP/1.1 {public}{ERROR_HEADERS}{public}").as_bytes());
            close_write_and_wait(conn);
            return;
        }
        ReadRequestError::UnsupportedTe(_) => format!(
            "HTTP/1.1 501 {}{ERROR_HEADERS}Unsupported transfer encoding",
            status_text(501)
        ),
        ReadRequestError::Status(code, text) => format!(
            "HTTP/1.1 {code} {}: {text}{ERROR_HEADERS}{code} {}: {text}",
            status_text(code),
            status_text(code)
        ),
        ReadRequestError::Bad(_) => {
            let public = "400 Bad Request";
            format!("HTTP/1.1 {public}{ERROR_HEADERS}{public}")
        }
    };
    let _ = conn.write_all(msg.as_bytes());
    close_write_and_wait(conn);
}

/// Half-closes the connection and gives the client a moment to read the
/// reply before the socket closes with unread input, which would send a
/// reset that can destroy the reply in flight (Go's `closeWriteAndWait`;
/// gort reads until the client closes, at most 500 ms, instead of
/// sleeping the whole delay).
fn close_write_and_wait(conn: &Arc<dyn Conn>) {
    if conn.close_write().is_err() {
        return;
    }
    let _ = conn.set_read_deadline(Some(Instant::now() + RST_AVOIDANCE_DELAY));
    let mut scratch = [0u8; 4096];
    for _ in 0..1024 {
        match conn.read(&mut scratch) {
            Ok(n) if n > 0 => {}
            _ => return,
        }
    }
}

thread_local! {
    /// The `Date` value for the current second, per thread (goroutines do
    /// not move between threads, and no lock is needed): Go formats it per
    /// response; formatting once a second saves that.
    static DATE: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((0, String::new())) };
}

/// Calls `f` with the current time as an IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn with_date<T>(f: impl FnOnce(&str) -> T) -> T {
    // The coarse clock lags by at most a tick (a few ms): fine for a value
    // with one-second precision.
    let secs = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse).tv_sec as u64;
    DATE.with(|cell| {
        let mut d = cell.borrow_mut();
        if d.0 != secs || d.1.is_empty() {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            *d = (secs, httpdate::fmt_http_date(at));
        }
        f(&d.1)
    })
}

/// The server's [`ResponseWriter`] (Go's `response` and its
/// `chunkWriter`).
struct Response<'a, 's> {
    c: &'a mut ServerConn<'s>,
    /// Which request of the connection this answers.
    seq: u64,
    is_head: bool,
    /// A CONNECT: the connection is not reused after it, even refused.
    is_connect: bool,
    /// The request is HTTP/1.1 or later.
    req_11: bool,
    req_content_length: i64,
    req_close: bool,
    wants_10_keep_alive: bool,
    expect_continue: bool,
    handler_header: Header,
    status: u16,
    /// `write_header` was called (or implied by a write).
    wrote_header: bool,
    /// The handler returned.
    handler_done: bool,
    /// The handler's output before the header went out.
    buf: Vec<u8>,
    /// The status line and header are in `c.bw`.
    header_sent: bool,
    /// The body is being sent chunked.
    chunking: bool,
    /// The declared `Content-Length`, -1 if none.
    content_length: i64,
    /// Body bytes the handler wrote.
    written: i64,
    close_after_reply: bool,
    /// The connection closes with request bytes unread (a body over the
    /// drain limit or past a `max_bytes_reader`): the client gets time to
    /// read the reply before the socket closes (Go's `closeWriteAndWait`
    /// after `requestBodyLimitHit` or `closedRequestBodyEarly`).
    body_left_unread: bool,
}

impl<'a, 's> Response<'a, 's> {
    fn new(c: &'a mut ServerConn<'s>, req: &Request, seq: u64, ambiguous_framing: bool) -> Self {
        Response {
            c,
            seq,
            is_head: req.method == "HEAD",
            is_connect: req.method == "CONNECT",
            req_11: req.proto_at_least(1, 1),
            req_content_length: req.content_length,
            req_close: req.close,
            wants_10_keep_alive: req.wants_http10_keep_alive(),
            expect_continue: req.expects_continue(),
            handler_header: Header::new(),
            status: 0,
            wrote_header: false,
            handler_done: false,
            buf: Vec::new(),
            header_sent: false,
            chunking: false,
            content_length: -1,
            written: 0,
            // RFC 9112 §6.1: after a request framed by both Content-Length
            // and chunked, the connection is not reused.
            close_after_reply: ambiguous_framing,
            body_left_unread: false,
        }
    }

    fn body_allowed(&self) -> bool {
        body_allowed_for_status(self.status)
    }

    // ANCHOR: writeHeader
    /// Sends the status line and header (Go's `chunkWriter.writeHeader`),
    /// deciding the framing; `p` is the first body bytes (all of them if
    /// the handler is done), used to sniff a type and count a length.
    fn send_header(&mut self, p: &[u8]) {
        if self.header_sent {
            return;
        }
        self.header_sent = true;
        let mut header = std::mem::take(&mut self.handler_header);
        let code = self.status;
        let keep_alives = self.c.srv.keep_alives_enabled();
        let mut set_content_length = None;
        let mut set_connection: Option<&str> = None;
        let mut set_content_type = None;
        let mut set_chunked = false;

        // A reply that is all in the buffer gets its length.
        if self.handler_done
            && body_allowed_for_status(code)
            && !header.has_c("Content-Length")
            && header.get_c("Transfer-Encoding").is_empty()
            && (!self.is_head || !p.is_empty())
        {
            self.content_length = p.len() as i64;
            set_content_length = Some(p.len());
        }

        // HTTP/1.0 keep-alive needs a length to delimit the body.
        if self.wants_10_keep_alive && keep_alives {
            let sent_length = header.has_c("Content-Length") || set_content_length.is_some();
            if sent_length && header.get_c("Connection").is_empty() {
                set_connection = Some("keep-alive");
            } else if !sent_length {
                self.close_after_reply = true;
            }
        } else if !self.req_11 && !self.wants_10_keep_alive {
            self.close_after_reply = true;
        }
        if self.req_close || !keep_alives {
            self.close_after_reply = true;
        }
        if header
            .values_c("Connection")
            .iter()
            .any(|v| has_token(v, "close"))
        {
            self.close_after_reply = true;
        }
        if self.is_connect {
            self.close_after_reply = true;
        }

        self.settle_request_body();

        let has_te = !header.get_c("Transfer-Encoding").is_empty();
        let has_cl = header.has_c("Content-Length") || set_content_length.is_some();
        if body_allowed_for_status(code) {
            if header.get_c("Content-Type").is_empty() && !has_te && !p.is_empty() {
                set_content_type = Some(crate::sniff::detect_content_type(p));
            }
        } else {
            let suppressed: &[&str] = if code == 304 {
                &["Content-Type", "Content-Length", "Transfer-Encoding"]
            } else {
                &["Content-Length", "Transfer-Encoding"]
            };
            for k in suppressed {
                header.del(k);
            }
        }
        if self.is_head || !body_allowed_for_status(code) || has_cl {
            header.del_c("Transfer-Encoding");
        } else if self.req_11 {
            if has_te && header.get_c("Transfer-Encoding") == "identity" {
                self.close_after_reply = true;
                header.del_c("Transfer-Encoding");
            } else {
                self.chunking = true;
                set_chunked = true;
                header.del_c("Transfer-Encoding");
            }
        } else {
            // HTTP/1.0 without a length: the body ends when the
            // connection does.
            self.close_after_reply = true;
            header.del_c("Transfer-Encoding");
        }
        if self.close_after_reply
            && (!keep_alives
                || !header
                    .values_c("Connection")
                    .iter()
                    .any(|v| has_token(v, "close")))
        {
            header.del_c("Connection");
            if self.req_11 {
                set_connection = Some("close");
            }
        }

        let bw = &mut self.c.bw;
        let mut res = write_status_line(bw, self.req_11, code);
        if res.is_ok() {
            res = header.write(bw);
        }
        let mut extra = String::with_capacity(96);
        if let Some(ct) = set_content_type {
            extra.push_str("Content-Type: ");
            extra.push_str(ct);
            extra.push_str("\r\n");
        }
        if let Some(cn) = set_connection {
            extra.push_str("Connection: ");
            extra.push_str(cn);
            extra.push_str("\r\n");
        }
        if set_chunked {
            extra.push_str("Transfer-Encoding: chunked\r\n");
        }
        if !header.has_c("Date") {
            with_date(|d| {
                extra.push_str("Date: ");
                extra.push_str(d);
                extra.push_str("\r\n");
            });
        }
        if let Some(n) = set_content_length {
            use std::fmt::Write as _;
            let _ = write!(extra, "Content-Length: {n}\r\n");
        }
        extra.push_str("\r\n");
        if res.is_ok() {
            res = bw.write_all(extra.as_bytes());
        }
        if res.is_err() {
            self.c.werr = true;
        }
        self.handler_header = header;
    }
    // ANCHOR_END: writeHeader

    /// Before the reply goes out: refuse a `100 Continue` not yet sent, and
    /// read and drop what is left of the request body (up to 256 KiB) so
    /// the connection can be reused, or mark it for closing (Go's logic in
    /// `chunkWriter.writeHeader`).
    fn settle_request_body(&mut self) {
        if self.req_content_length == 0 {
            return;
        }
        let mut cin = self.c.cin.lock();
        let Some(st) = cin.body.as_mut().filter(|b| b.seq == self.seq) else {
            return;
        };
        if st.expect == Continue::Owed {
            st.expect = Continue::Refused;
        }
        if self.expect_continue && st.expect == Continue::Refused && !st.saw_eof {
            // The client is waiting to be told to send the body: it never
            // will be, so the connection cannot carry another request.
            self.close_after_reply = true;
            return;
        }
        if st.too_large {
            self.close_after_reply = true;
            self.body_left_unread = true;
            return;
        }
        if self.close_after_reply {
            return;
        }
        if st.broken || (st.closed && !st.saw_eof) {
            self.close_after_reply = true;
            return;
        }
        if cin.unread_len() >= MAX_POST_HANDLER_READ_BYTES
            || !cin.discard_body(MAX_POST_HANDLER_READ_BYTES + 1)
        {
            self.close_after_reply = true;
            self.body_left_unread = true;
        }
    }

    /// Writes body bytes to the connection in the framing chosen.
    fn write_body(&mut self, p: &[u8]) -> io::Result<()> {
        if self.is_head || p.is_empty() {
            return Ok(());
        }
        let bw = &mut self.c.bw;
        let res = if self.chunking {
            write!(bw, "{:x}\r\n", p.len())
                .and_then(|_| bw.write_all(p))
                .and_then(|_| bw.write_all(b"\r\n"))
        } else {
            bw.write_all(p)
        };
        if res.is_err() {
            self.c.werr = true;
        }
        res
    }

    /// Sends the header (if not yet sent) and whatever is buffered.
    fn flush_buffer(&mut self) -> io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        if !self.header_sent {
            self.send_header(&buf);
        }
        let res = self.write_body(&buf);
        self.buf = buf;
        self.buf.clear();
        res
    }

    /// Ends the response after the handler returned (Go's
    /// `finishRequest`): sends what is buffered, ends a chunked body,
    /// flushes, and closes the request body.
    fn finish_request(&mut self) {
        self.handler_done = true;
        if !self.wrote_header {
            self.write_header(STATUS_OK);
        }
        let _ = self.flush_buffer();
        if self.chunking && !self.c.werr && self.c.bw.write_all(b"0\r\n\r\n").is_err() {
            self.c.werr = true;
        }
        if self.c.bw.flush().is_err() {
            self.c.werr = true;
        }
        let mut cin = self.c.cin.lock();
        if let Some(st) = cin.body.as_mut().filter(|b| b.seq == self.seq) {
            st.closed = true;
            if !st.saw_eof {
                self.close_after_reply = true;
                self.body_left_unread = true;
            }
        }
    }

    /// Whether the connection can carry another request (Go's
    /// `shouldReuseConnection`).
    fn should_reuse_connection(&self) -> bool {
        if self.close_after_reply || self.c.werr {
            return false;
        }
        // A body shorter than its declared length leaves the client
        // waiting for bytes that will not come.
        if !self.is_head
            && self.content_length != -1
            && self.body_allowed()
            && self.content_length != self.written
        {
            return false;
        }
        true
    }
}

fn write_status_line(bw: &mut impl Write, is_11: bool, code: u16) -> io::Result<()> {
    let proto = if is_11 { "HTTP/1.1" } else { "HTTP/1.0" };
    let text = status_text(code);
    if text.is_empty() {
        write!(bw, "{proto} {code:03} status code {code}\r\n")
    } else {
        write!(bw, "{proto} {code:03} {text}\r\n")
    }
}

impl Write for Response<'_, '_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.c.hijacked {
            return Err(io::Error::other(HIJACKED));
        }
        if !self.wrote_header {
            self.write_header(STATUS_OK);
        }
        if data.is_empty() {
            return Ok(0);
        }
        if !self.body_allowed() {
            return Err(io::Error::other(BODY_NOT_ALLOWED));
        }
        self.written += data.len() as i64;
        if self.content_length != -1 && self.written > self.content_length {
            return Err(io::Error::other(CONTENT_LENGTH_EXCEEDED));
        }
        if self.c.werr {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if !self.header_sent && self.buf.len() + data.len() <= BUFFER_BEFORE_CHUNKING_SIZE {
            self.buf.extend_from_slice(data);
            return Ok(data.len());
        }
        if !self.header_sent {
            if self.buf.is_empty() {
                self.send_header(data);
            } else {
                self.flush_buffer()?;
            }
        } else if !self.buf.is_empty() {
            self.flush_buffer()?;
        }
        self.write_body(data)?;
        Ok(data.len())
    }

    /// Sends the header and everything written so far to the client (Go's
    /// `Flusher.Flush`): the rest of the body is then chunked.
    fn flush(&mut self) -> io::Result<()> {
        if self.c.hijacked {
            return Err(io::Error::other(HIJACKED));
        }
        if !self.wrote_header {
            self.write_header(STATUS_OK);
        }
        self.flush_buffer()?;
        self.c.bw.flush().inspect_err(|_| self.c.werr = true)
    }
}

impl ResponseWriter for Response<'_, '_> {
    fn header(&mut self) -> &mut Header {
        &mut self.handler_header
    }

    fn write_header(&mut self, code: u16) {
        if self.c.hijacked {
            log("http: response.WriteHeader on hijacked connection");
            return;
        }
        if self.wrote_header {
            log("http: superfluous response.WriteHeader call");
            return;
        }
        assert!(
            (100..=999).contains(&code),
            "invalid WriteHeader code {code}"
        );
        // An informational reply goes out at once, and a final one follows.
        if (100..=199).contains(&code) && code != STATUS_SWITCHING_PROTOCOLS {
            let bw = &mut self.c.bw;
            let res = write_status_line(bw, self.req_11, code)
                .and_then(|_| self.handler_header.write(bw))
                .and_then(|_| bw.write_all(b"\r\n"))
                .and_then(|_| bw.flush());
            if res.is_err() {
                self.c.werr = true;
            }
            return;
        }
        self.wrote_header = true;
        self.status = code;
        let cl = self.handler_header.get_c("Content-Length").to_string();
        if !cl.is_empty() {
            match crate::transfer::parse_content_length(&cl) {
                Ok(n) => self.content_length = n,
                Err(_) => {
                    log(&format!("http: invalid Content-Length of {cl:?}"));
                    self.handler_header.del_c("Content-Length");
                }
            }
        }
    }

    fn hijack(&mut self) -> io::Result<Hijacked> {
        if self.c.hijacked {
            return Err(io::Error::other(HIJACKED));
        }
        if self.wrote_header {
            self.flush_buffer()?;
        }
        self.c.bw.flush()?;
        self.c.hijacked = true;
        self.c.tracked.set_state(ConnState::Hijacked);
        let mut cin = self.c.cin.lock();
        let buffered = cin.rd.buffer().to_vec();
        let n = buffered.len();
        cin.rd.consume(n);
        cin.body = None;
        Ok(Hijacked {
            conn: self.c.tracked.conn.clone(),
            buffered,
        })
    }
}
