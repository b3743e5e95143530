//! Mirrors Go src/net/http/transport.go (go1.27): `Transport`, the HTTP/1.1 round tripper with its pool of keep-alive connections per scheme and host.
//!
//! Go's transport runs two goroutines per connection (`readLoop` and
//! `writeLoop`) and hands responses between them and the caller over
//! channels. On goroutines that block cheaply the caller can do the work
//! itself, in order: take a connection (an idle one, or dial within the
//! per-host limit, or park in the host's wait queue until one is handed
//! over), write the request, read the response head, and hand back a body
//! that owns the connection. The body returns the connection to the pool
//! when it has been read to its end and the response allowed keep-alive;
//! dropping it earlier closes the connection, as Go's early `Close` does.
//!
//! A request's context is watched by one short-lived goroutine, started
//! only for a context that can be cancelled: it closes the connection when
//! the context ends (which fails the blocked dial, write or read at once)
//! and is stopped, under a lock, before the connection can be reused, so it
//! never touches a connection that another request took. Idle connections
//! expire by a runtime timer each (Go's `idleTimer`). A reused connection
//! that turns out to have been closed by the server before anything of the
//! response arrived is retried on a fresh one when the request can be
//! replayed (Go's `shouldRetryRequest`).
//!
//! https goes through [`Transport::dial_tls`]: a TCP dial, then a client
//! handshake from the `tls` module under `tls_handshake_timeout`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use gort_net::{Conn, Dialer};
use gort_runtime::chan::{self, Sender};
use gort_runtime::context::Context;
use gort_runtime::select;
use gort_runtime::time::AfterFunc;

use crate::bufio;
use crate::request::Request;
use crate::requestwrite::{BodyPlan, validate_header, write_body, write_head};
use crate::response::{
    DEFAULT_MAX_RESPONSE_HEADER_BYTES, HeadError, RespFraming, Response, read_body,
    read_response_head,
};
use crate::transfer::Body;

/// Go's `DefaultMaxIdleConnsPerHost`: used when
/// [`Transport::max_idle_conns_per_host`] is 0.
pub const DEFAULT_MAX_IDLE_CONNS_PER_HOST: usize = 2;

/// How many `1xx` responses are skipped before the final one (Go's
/// `max1xxResponses`).
const MAX_1XX_RESPONSES: usize = 5;

/// The write buffer for a request head (and small bodies).
const WRITE_BUF_SIZE: usize = 4 << 10;

/// An HTTP/1.1 transport with connection pooling (Go's `http.Transport`).
/// Its settings are public fields; build one with `..Default::default()`,
/// which gives Go's `DefaultTransport` values, and share it in an `Arc`.
///
/// ```
/// use std::io::Read;
/// use std::sync::Arc;
/// use gort_http::{Request, ResponseWriter, Transport};
///
/// gort::run(|| {
///     let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
///     let url = format!("http://{}/hi", ln.addr());
///     gort::go!({
///         let _ = gort_http::serve(ln, Some(Arc::new(|w: &mut dyn ResponseWriter, r: &mut Request| {
///             write!(w, "hello {}", r.url.path).unwrap();
///         })));
///     });
///     let tr = Transport { max_idle_conns_per_host: 4, ..Default::default() };
///     let mut resp = tr.round_trip(Request::new("GET", &url, ()).unwrap()).unwrap();
///     let mut body = String::new();
///     resp.body.read_to_string(&mut body).unwrap();
///     assert_eq!((resp.status_code, body.as_str()), (200, "hello /hi"));
/// });
/// ```
pub struct Transport {
    /// The most idle connections kept over all hosts; 0: no limit.
    pub max_idle_conns: usize,
    /// The most idle connections kept per host; 0:
    /// [`DEFAULT_MAX_IDLE_CONNS_PER_HOST`].
    pub max_idle_conns_per_host: usize,
    /// The most connections per host, dialing, active and idle; a request
    /// past it waits (parked) for one to be freed. 0: no limit.
    pub max_conns_per_host: usize,
    /// How long an idle connection is kept; `None`: no limit.
    pub idle_conn_timeout: Option<Duration>,
    /// The longest wait for a response head once the request is written;
    /// `None`: no limit but the context's.
    pub response_header_timeout: Option<Duration>,
    /// How long to wait for `100 Continue` before sending the body of a
    /// request with `Expect: 100-continue`; `None` sends it at once.
    pub expect_continue_timeout: Option<Duration>,
    /// Use each connection for one request only (and send
    /// `Connection: close`).
    pub disable_keep_alives: bool,
    /// Do not ask for gzip (and so do not decode it).
    pub disable_compression: bool,
    /// The largest response head read; 0:
    /// [`DEFAULT_MAX_RESPONSE_HEADER_BYTES`] (1 MiB, where Go allows
    /// 10 MiB).
    pub max_response_header_bytes: usize,
    /// How connections are dialed (timeouts, keep-alive, local address).
    pub dialer: Dialer,
    /// The TLS settings for `https` URLs (Go's `TLSClientConfig`); `None`
    /// verifies servers against webpki-roots. The server's name is the
    /// URL's host unless the config names one. ALPN offers `http/1.1`.
    pub tls_client_config: Option<Arc<crate::tls::Config>>,
    /// The longest a TLS handshake may take (Go's `TLSHandshakeTimeout`,
    /// 10 s by default).
    pub tls_handshake_timeout: Option<Duration>,
    /// The pool. Opaque: leave it to `..Default::default()` (public only
    /// because struct update syntax needs every field visible).
    pub state: TransportState,
}

impl Default for Transport {
    /// Go's `DefaultTransport`: 100 idle connections, 2 per host, kept
    /// 90 s, 1 s for `100 Continue`, dials limited to 30 s with 30 s TCP
    /// keep-alive.
    fn default() -> Transport {
        Transport {
            max_idle_conns: 100,
            max_idle_conns_per_host: DEFAULT_MAX_IDLE_CONNS_PER_HOST,
            max_conns_per_host: 0,
            idle_conn_timeout: Some(Duration::from_secs(90)),
            response_header_timeout: None,
            expect_continue_timeout: Some(Duration::from_secs(1)),
            disable_keep_alives: false,
            disable_compression: false,
            max_response_header_bytes: 0,
            dialer: Dialer {
                timeout: Some(Duration::from_secs(30)),
                keep_alive: Some(Duration::from_secs(30)),
                ..Default::default()
            },
            tls_client_config: None,
            tls_handshake_timeout: Some(Duration::from_secs(10)),
            state: TransportState::default(),
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("max_idle_conns", &self.max_idle_conns)
            .field("max_idle_conns_per_host", &self.max_idle_conns_per_host)
            .field("max_conns_per_host", &self.max_conns_per_host)
            .field("idle_conn_timeout", &self.idle_conn_timeout)
            .field("response_header_timeout", &self.response_header_timeout)
            .field("expect_continue_timeout", &self.expect_continue_timeout)
            .field("disable_keep_alives", &self.disable_keep_alives)
            .field("disable_compression", &self.disable_compression)
            .field("dialer", &self.dialer)
            .finish_non_exhaustive()
    }
}

/// The package's default transport (Go's `DefaultTransport`), used by a
/// [`Client`](crate::Client) without one.
#[doc(alias = "DefaultTransport")]
pub fn default_transport() -> Arc<Transport> {
    static DEFAULT: OnceLock<Arc<Transport>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Arc::new(Transport::default()))
        .clone()
}

/// A transport's pool; opaque.
#[derive(Default)]
pub struct TransportState {
    pool: Arc<Pool>,
}

impl fmt::Debug for TransportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransportState")
    }
}

/// Where a connection goes: scheme and `host:port` (Go's
/// `connectMethodKey`, without proxies).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ConnKey {
    scheme: String,
    addr: String,
}

/// The pool's settings, copied from the transport for a request's body,
/// which returns the connection after the call returned.
#[derive(Clone, Copy)]
struct Limits {
    max_idle: usize,
    max_idle_per_host: usize,
    idle_timeout: Option<Duration>,
    keep_alives: bool,
}

#[derive(Default)]
struct Pool {
    inner: StdMutex<PoolInner>,
    next_id: AtomicU64,
}

/// Changed only under `Pool::inner`, which is never held across a park
/// or while a connection is dropped (closing it takes the lock again).
#[derive(Default)]
struct PoolInner {
    /// Idle connections per host, most recently used last.
    idle: HashMap<ConnKey, Vec<IdleConn>>,
    idle_total: usize,
    /// Connections per host, dialing, in use or idle (Go's `connsPerHost`).
    conns: HashMap<ConnKey, usize>,
    /// Callers parked for a connection of the host, oldest first (Go's
    /// `connsPerHostWait`).
    waiters: HashMap<ConnKey, VecDeque<(u64, Sender<Handoff>)>>,
}

struct IdleConn {
    pc: PersistConn,
    id: u64,
    since: Instant,
    timer: Option<AfterFunc>,
}

/// What a parked caller is handed.
enum Handoff {
    /// An idle connection.
    Conn(PersistConn),
    /// Leave to dial: a closed connection's place in the host's count.
    Slot,
}

/// The reading half of a client connection.
struct ConnReader(Arc<dyn Conn>);

impl Read for ConnReader {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.0.read(b)
    }
}

/// The writing half of a client connection.
struct ConnWriter(Arc<dyn Conn>);

impl Write for ConnWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A pooled connection (Go's `persistConn`). Dropping it closes the
/// connection and frees its place in the host's count.
struct PersistConn {
    conn: Arc<dyn Conn>,
    rd: bufio::Reader<ConnReader>,
    key: ConnKey,
    pool: Arc<Pool>,
    /// It served a request before this one.
    reused: bool,
}

impl Drop for PersistConn {
    fn drop(&mut self) {
        let _ = self.conn.close();
        self.pool.release_slot(&self.key);
    }
}

impl Pool {
    /// Frees a closed connection's place: handed to the oldest waiter of
    /// the host, if any, else uncounted.
    fn release_slot(&self, key: &ConnKey) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = inner.waiters.get_mut(key) {
            while let Some((_, tx)) = q.pop_front() {
                if tx.try_send(Handoff::Slot).is_ok() {
                    return;
                }
            }
        }
        if let Some(n) = inner.conns.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                inner.conns.remove(key);
            }
        }
    }

    /// Hands `pc` to a waiter of its host, or keeps it idle within the
    /// limits, or closes it (Go's `tryPutIdleConn`).
    fn put_idle(self: &Arc<Self>, pc: PersistConn, lim: Limits) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut drop_later: Vec<PersistConn> = Vec::new();
        let timer = match lim.idle_timeout {
            Some(d) if gort_runtime::goid().is_some() => {
                let weak: Weak<Pool> = Arc::downgrade(self);
                let key = pc.key.clone();
                Some(gort_runtime::time::after_func(d, move || {
                    if let Some(pool) = weak.upgrade() {
                        pool.expire(&key, id);
                    }
                }))
            }
            _ => None,
        };
        {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let mut pc = pc;
            if let Some(q) = inner.waiters.get_mut(&pc.key) {
                while let Some((_, tx)) = q.pop_front() {
                    match tx.try_send(Handoff::Conn(pc)) {
                        Ok(()) => {
                            if let Some(t) = &timer {
                                t.stop();
                            }
                            return;
                        }
                        Err(e) => match e.into_inner() {
                            Handoff::Conn(back) => pc = back,
                            Handoff::Slot => unreachable!("sent a connection"),
                        },
                    }
                }
            }
            let per_host = if lim.max_idle_per_host == 0 {
                DEFAULT_MAX_IDLE_CONNS_PER_HOST
            } else {
                lim.max_idle_per_host
            };
            let host_idle = inner.idle.get(&pc.key).map_or(0, Vec::len);
            if !lim.keep_alives || host_idle >= per_host {
                drop_later.push(pc);
            } else {
                if lim.max_idle > 0 && inner.idle_total >= lim.max_idle {
                    // Evict the least recently used, over all hosts.
                    let oldest = inner
                        .idle
                        .iter()
                        .filter_map(|(k, v)| v.first().map(|c| (c.since, k.clone())))
                        .min_by_key(|(since, _)| *since)
                        .map(|(_, k)| k);
                    if let Some(k) = oldest {
                        let list = inner.idle.get_mut(&k).expect("found above");
                        let c = list.remove(0);
                        if list.is_empty() {
                            inner.idle.remove(&k);
                        }
                        inner.idle_total -= 1;
                        if let Some(t) = &c.timer {
                            t.stop();
                        }
                        drop_later.push(c.pc);
                    }
                }
                let key = pc.key.clone();
                inner.idle.entry(key).or_default().push(IdleConn {
                    pc,
                    id,
                    since: Instant::now(),
                    timer,
                });
                inner.idle_total += 1;
                return;
            }
        }
        if let Some(t) = &timer {
            t.stop();
        }
        drop(drop_later);
    }

    /// The idle timer of connection `id` fired: close it if still idle.
    fn expire(&self, key: &ConnKey, id: u64) {
        let gone = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let Some(list) = inner.idle.get_mut(key) else {
                return;
            };
            let Some(i) = list.iter().position(|c| c.id == id) else {
                return;
            };
            let c = list.remove(i);
            if list.is_empty() {
                inner.idle.remove(key);
            }
            inner.idle_total -= 1;
            c
        };
        drop(gone);
    }

    /// Takes the most recently used idle connection of `key` that has not
    /// outlived `timeout`, dropping the stale ones after the lock.
    fn take_idle(
        inner: &mut PoolInner,
        key: &ConnKey,
        timeout: Option<Duration>,
        stale: &mut Vec<IdleConn>,
    ) -> Option<PersistConn> {
        let list = inner.idle.get_mut(key)?;
        let mut found = None;
        while let Some(c) = list.pop() {
            inner.idle_total -= 1;
            if let Some(t) = &c.timer {
                t.stop();
            }
            if timeout.is_some_and(|d| c.since.elapsed() >= d) {
                stale.push(c);
                continue;
            }
            found = Some(c);
            break;
        }
        if list.is_empty() {
            inner.idle.remove(key);
        }
        found.map(|c| c.pc)
    }
}

/// Watches a request's context while it runs: closes the connection when
/// the context ends. Stopped before the connection may be reused.
struct Watch {
    stop_tx: Option<Sender<()>>,
    /// [`WATCHING`], then [`STOPPED`] or [`FIRED`], whichever comes first.
    /// An atomic, not a lock: the watcher and the request's goroutine may
    /// share a thread, and closing a connection can park.
    state: Arc<AtomicU8>,
}

const WATCHING: u8 = 0;
const STOPPED: u8 = 1;
const FIRED: u8 = 2;

impl Watch {
    fn start(ctx: &Context, conn: &Arc<dyn Conn>) -> Option<Watch> {
        if !ctx.cancellable() || gort_runtime::goid().is_none() {
            return None;
        }
        let (stop_tx, stop_rx) = chan::bounded::<()>(0);
        let state = Arc::new(AtomicU8::new(WATCHING));
        let (ctx2, conn2, state2) = (ctx.clone(), conn.clone(), state.clone());
        let _ = gort_runtime::spawn(move || {
            let done = ctx2.done();
            select! {
                recv(done) -> _ => {
                    if state2
                        .compare_exchange(WATCHING, FIRED, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        let _ = conn2.close();
                    }
                },
                recv(stop_rx) -> _ => {},
            }
        });
        Some(Watch {
            stop_tx: Some(stop_tx),
            state,
        })
    }

    /// Stops the watcher; returns whether it fired (and so closes, or
    /// closed, the connection).
    fn stop(&mut self) -> bool {
        let fired =
            self.state
                .compare_exchange(WATCHING, STOPPED, Ordering::AcqRel, Ordering::Acquire)
                == Err(FIRED);
        self.stop_tx.take();
        fired
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An error of one attempt, and whether the request may be sent again on
/// another connection.
struct AttemptError {
    err: io::Error,
    retry: bool,
}

/// `err`, or the context's error when the context ended (the watcher closed
/// the connection, which is what failed).
fn ctx_err(ctx: &Context, err: io::Error) -> io::Error {
    match ctx.err() {
        Some(e) => e.into(),
        None => err,
    }
}

/// The port a scheme implies.
fn default_port(scheme: &str) -> &'static str {
    if scheme == "https" { "443" } else { "80" }
}

/// `host:port` for a URL (Go's `canonicalAddr`).
fn canonical_addr(u: &crate::url::URL) -> String {
    let port = if u.port().is_empty() {
        default_port(&u.scheme)
    } else {
        u.port()
    };
    let host = u.hostname();
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl Transport {
    fn limits(&self) -> Limits {
        Limits {
            max_idle: self.max_idle_conns,
            max_idle_per_host: self.max_idle_conns_per_host,
            idle_timeout: self.idle_conn_timeout,
            keep_alives: !self.disable_keep_alives,
        }
    }

    fn pool(&self) -> &Arc<Pool> {
        &self.state.pool
    }

    /// Closes every idle connection (Go's `CloseIdleConnections`);
    /// connections in use are left alone.
    #[doc(alias = "CloseIdleConnections")]
    pub fn close_idle_connections(&self) {
        let all: Vec<IdleConn> = {
            let mut inner = self.pool().inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.idle_total = 0;
            inner.idle.drain().flat_map(|(_, v)| v).collect()
        };
        for c in &all {
            if let Some(t) = &c.timer {
                t.stop();
            }
        }
        drop(all);
    }

    /// How many connections are idle in the pool, over all hosts.
    pub fn idle_conn_count(&self) -> usize {
        self.pool()
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .idle_total
    }

    /// Dials an https connection: TCP through the dialer, then a client
    /// handshake under `tls_handshake_timeout` (Go's `dialConn` for https).
    fn dial_tls(&self, ctx: &Context, addr: &str, server_name: &str) -> io::Result<Box<dyn Conn>> {
        static DEFAULT: std::sync::OnceLock<Arc<crate::tls::Config>> = std::sync::OnceLock::new();
        let config = match &self.tls_client_config {
            Some(c) => c.clone(),
            None => DEFAULT
                .get_or_init(|| {
                    Arc::new(crate::tls::Config {
                        next_protos: vec!["http/1.1".to_string()],
                        ..Default::default()
                    })
                })
                .clone(),
        };
        let name = if config.server_name.is_empty() {
            server_name.to_string()
        } else {
            config.server_name.clone()
        };
        let raw = self.dialer.dial_context(ctx, "tcp", addr)?;
        let conn = crate::tls::client_for(Arc::<dyn Conn>::from(raw), config, &name);
        if let Some(d) = self.tls_handshake_timeout {
            conn.set_deadline(Some(std::time::Instant::now() + d))?;
        }
        let res = conn.handshake();
        if res.is_err() {
            let _ = conn.close();
        }
        res.map_err(|e| {
            if e.kind() == io::ErrorKind::TimedOut {
                io::Error::new(io::ErrorKind::TimedOut, "net/http: TLS handshake timeout")
            } else {
                e
            }
        })?;
        if self.tls_handshake_timeout.is_some() {
            conn.set_deadline(None)?;
        }
        Ok(Box::new(conn))
    }

    fn dial(&self, ctx: &Context, key: &ConnKey, server_name: &str) -> io::Result<PersistConn> {
        let conn = if key.scheme == "https" {
            self.dial_tls(ctx, &key.addr, server_name)
        } else {
            self.dialer.dial_context(ctx, "tcp", &key.addr)
        };
        let conn: Arc<dyn Conn> = match conn {
            Ok(c) => Arc::from(c),
            Err(e) => {
                self.pool().release_slot(key);
                return Err(e);
            }
        };
        Ok(PersistConn {
            rd: bufio::Reader::new(ConnReader(conn.clone())),
            conn,
            key: key.clone(),
            pool: self.pool().clone(),
            reused: false,
        })
    }

    /// An idle connection to `key`, or a new one within the host's limit,
    /// or the first one freed while parked (Go's `getConn` with
    /// `queueForIdleConn` and `queueForDial`).
    fn get_conn(&self, ctx: &Context, key: &ConnKey, server_name: &str) -> io::Result<PersistConn> {
        let pool = self.pool();
        let mut stale = Vec::new();
        let (tx, rx, id) = {
            let mut inner = pool.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(mut pc) =
                Pool::take_idle(&mut inner, key, self.idle_conn_timeout, &mut stale)
            {
                drop(inner);
                drop(stale);
                pc.reused = true;
                return Ok(pc);
            }
            let n = inner.conns.entry(key.clone()).or_insert(0);
            if self.max_conns_per_host == 0 || *n < self.max_conns_per_host {
                *n += 1;
                drop(inner);
                drop(stale);
                return self.dial(ctx, key, server_name);
            }
            let (tx, rx) = chan::bounded::<Handoff>(1);
            let id = pool.next_id.fetch_add(1, Ordering::Relaxed);
            inner
                .waiters
                .entry(key.clone())
                .or_default()
                .push_back((id, tx.clone()));
            (tx, rx, id)
        };
        drop(stale);
        drop(tx);
        let done = ctx.done();
        let got = select! {
            recv(rx) -> h => h,
            recv(done) -> _ => None,
        };
        let got = match got {
            Some(h) => Some(h),
            None => {
                // Cancelled (or the queue was dropped): leave the queue,
                // then give back whatever was handed over meanwhile.
                {
                    let mut inner = pool.inner.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(q) = inner.waiters.get_mut(key) {
                        q.retain(|(i, _)| *i != id);
                        if q.is_empty() {
                            inner.waiters.remove(key);
                        }
                    }
                }
                rx.try_recv().ok()
            }
        };
        match (got, ctx.err()) {
            (Some(Handoff::Conn(mut pc)), None) => {
                pc.reused = true;
                Ok(pc)
            }
            (Some(Handoff::Slot), None) => self.dial(ctx, key, server_name),
            (Some(Handoff::Conn(pc)), Some(e)) => {
                pool.put_idle(pc, self.limits());
                Err(e.into())
            }
            (Some(Handoff::Slot), Some(e)) => {
                pool.release_slot(key);
                Err(e.into())
            }
            (None, Some(e)) => Err(e.into()),
            (None, None) => Err(io::Error::other(
                "net/http: request canceled while waiting for connection",
            )),
        }
    }

    /// Sends `req` and returns the response head, its body to be read from
    /// the connection (Go's `Transport.RoundTrip`). Errors are bare (a
    /// [`Client`](crate::Client) wraps them with the method and URL).
    ///
    /// The response body must be read to its end, or dropped: the
    /// connection returns to the pool only after its end was read.
    #[doc(alias = "RoundTrip")]
    pub fn round_trip(&self, mut req: Request) -> io::Result<Response> {
        let scheme = req.url.scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unsupported protocol scheme {}",
                    crate::url::go_quote(&scheme)
                ),
            ));
        }
        if !crate::method::valid_method(&req.method) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "net/http: invalid method {}",
                    crate::url::go_quote(&req.method)
                ),
            ));
        }
        if req.url.host.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "http: no Host in request URL",
            ));
        }
        validate_header(&req.header)?;
        let ctx = req.context();
        if let Some(e) = ctx.err() {
            return Err(e.into());
        }
        let key = ConnKey {
            addr: canonical_addr(&req.url),
            scheme,
        };
        let server_name = req.url.hostname().to_string();
        loop {
            let pc = self.get_conn(&ctx, &key, &server_name)?;
            let reused = pc.reused;
            match self.attempt(pc, &mut req, &ctx) {
                Ok(mut resp) => {
                    resp.request = Some(Box::new(req));
                    return Ok(resp);
                }
                Err(AttemptError { err, retry }) => {
                    if !(retry && reused && req.is_replayable() && ctx.err().is_none()) {
                        return Err(err);
                    }
                    // The server closed a kept-alive connection before
                    // answering: send again on another.
                    if let Some(get) = &req.get_body {
                        req.body = get.call()?;
                    }
                }
            }
        }
    }

    /// One exchange on `pc` (Go's `persistConn.roundTrip` with its read and
    /// write loops, run in order).
    fn attempt(
        &self,
        mut pc: PersistConn,
        req: &mut Request,
        ctx: &Context,
    ) -> Result<Response, AttemptError> {
        let mut watch = Watch::start(ctx, &pc.conn);
        let fail = |err: io::Error, retry: bool| AttemptError {
            err: ctx_err(ctx, err),
            retry,
        };
        let requested_gzip = !self.disable_compression
            && !req.header.has_c("Accept-Encoding")
            && !req.header.has_c("Range")
            && req.method != "HEAD";
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if requested_gzip {
            extra.push(("Accept-Encoding", "gzip"));
        }
        if self.disable_keep_alives && !req.wants_close() {
            extra.push(("Connection", "close"));
        }
        let mut bw = BufWriter::with_capacity(WRITE_BUF_SIZE, ConnWriter(pc.conn.clone()));
        let plan = write_head(req, &mut bw, &extra).map_err(|e| fail(e, false))?;

        let limit = if self.max_response_header_bytes == 0 {
            DEFAULT_MAX_RESPONSE_HEADER_BYTES
        } else {
            self.max_response_header_bytes
        };
        let method = req.method.clone();
        let mut early: Option<(Response, RespFraming)> = None;
        let expects_continue = plan != BodyPlan::None
            && crate::request::has_token(req.header.get_c("Expect"), "100-continue");
        if let (true, Some(wait)) = (expects_continue, self.expect_continue_timeout) {
            bw.flush().map_err(|e| fail(e, true))?;
            let _ = pc.conn.set_read_deadline(Some(Instant::now() + wait));
            let got = read_response_head(&mut pc.rd, &method, limit);
            let _ = pc.conn.set_read_deadline(None);
            match got {
                Ok((resp, _)) if resp.status_code == 100 => {}
                Ok(final_resp) => early = Some(final_resp),
                Err(HeadError::NothingRead(e) | HeadError::Other(e))
                    if e.kind() == io::ErrorKind::TimedOut && ctx.err().is_none() => {}
                Err(e) => return Err(fail(e.into_io(), false)),
            }
        }
        let body_sent = early.is_none();
        if body_sent {
            write_body(req, &mut bw, plan).map_err(|e| fail(e, true))?;
        }
        bw.flush().map_err(|e| fail(e, true))?;
        drop(bw);

        let (mut resp, framing) = match early {
            Some(r) => r,
            None => {
                if let Some(t) = self.response_header_timeout {
                    let _ = pc.conn.set_read_deadline(Some(Instant::now() + t));
                }
                let mut got = read_response_head(&mut pc.rd, &method, limit);
                for _ in 0..MAX_1XX_RESPONSES {
                    match &got {
                        Ok((r, _))
                            if (100..200).contains(&r.status_code) && r.status_code != 101 =>
                        {
                            got = read_response_head(&mut pc.rd, &method, limit);
                        }
                        _ => break,
                    }
                }
                if self.response_header_timeout.is_some() {
                    let _ = pc.conn.set_read_deadline(None);
                }
                match got {
                    Ok((r, _)) if (100..200).contains(&r.status_code) && r.status_code != 101 => {
                        return Err(fail(
                            io::Error::other("net/http: too many 1xx informational responses"),
                            false,
                        ));
                    }
                    Ok(r) => r,
                    Err(e) => {
                        let retry = matches!(e, HeadError::NothingRead(_));
                        let broken = matches!(&e, HeadError::Other(e)
                            if e.kind() == io::ErrorKind::InvalidData
                                && !e.to_string().starts_with("net/http:"));
                        let e = e.into_io();
                        // A head that did not parse: Go's mapRoundTripError
                        // names the broken connection.
                        let e = if broken {
                            io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!("net/http: HTTP/1.x transport connection broken: {e}"),
                            )
                        } else {
                            e
                        };
                        let e = if e.kind() == io::ErrorKind::TimedOut
                            && self.response_header_timeout.is_some()
                            && ctx.err().is_none()
                        {
                            io::Error::new(
                                io::ErrorKind::TimedOut,
                                "net/http: timeout awaiting response headers",
                            )
                        } else {
                            e
                        };
                        return Err(fail(e, retry));
                    }
                }
            }
        };

        let reuse = !resp.close
            && body_sent
            && !req.wants_close()
            && !self.disable_keep_alives
            && resp.status_code != 101;
        let lim = self.limits();
        let mut body = ConnBody {
            pc: Some(pc),
            framing,
            reuse,
            watch: watch.take(),
            ctx: ctx.clone(),
            lim,
            failed: None,
        };
        if matches!(body.framing, RespFraming::None) || resp.status_code == 101 {
            body.finish();
            resp.body = Body::empty();
        } else if requested_gzip
            && resp
                .header
                .get_c("Content-Encoding")
                .eq_ignore_ascii_case("gzip")
        {
            resp.header.del_c("Content-Encoding");
            resp.header.del_c("Content-Length");
            resp.content_length = -1;
            resp.uncompressed = true;
            resp.body = Body::new(GzipBody {
                dec: flate2::read::MultiGzDecoder::new(body),
            });
        } else {
            resp.body = Body::new(body);
        }
        Ok(resp)
    }
}

/// A response body read from a pooled connection (Go's `bodyEOFSignal`
/// over the framing reader).
struct ConnBody {
    /// `None` once the body ended or failed.
    pc: Option<PersistConn>,
    framing: RespFraming,
    /// The connection may serve another request after this body.
    reuse: bool,
    watch: Option<Watch>,
    ctx: Context,
    lim: Limits,
    failed: Option<(io::ErrorKind, String)>,
}

impl ConnBody {
    /// The body ended: the connection goes back to the pool if it may.
    fn finish(&mut self) {
        let fired = self.watch.take().is_some_and(|mut w| w.stop());
        if let Some(pc) = self.pc.take() {
            // Bytes past the body's end are a response nobody asked for
            // (Go's "Unsolicited response"): the connection is not reused.
            if self.reuse && !fired && pc.rd.buffered() == 0 {
                let pool = pc.pool.clone();
                pool.put_idle(pc, self.lim);
            }
        }
    }
}

impl Read for ConnBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        let Some(pc) = self.pc.as_mut() else {
            return Ok(0);
        };

        match read_body(&mut pc.rd, &mut self.framing, buf) {
            Ok((n, done)) => {
                if done {
                    self.finish();
                }
                Ok(n)
            }
            Err(e) => {
                let e = ctx_err(&self.ctx, e);
                self.failed = Some((e.kind(), e.to_string()));
                self.watch.take();
                self.pc.take();
                Err(e)
            }
        }
    }
}

impl Drop for ConnBody {
    /// Dropped before its end: the connection is closed (Go's early
    /// `Close`), since the rest of the body would have to be read first.
    fn drop(&mut self) {
        self.watch.take();
        self.pc.take();
    }
}

/// The transparent gzip decoder over a body (Go's `gzipReader`).
struct GzipBody {
    dec: flate2::read::MultiGzDecoder<ConnBody>,
}

impl Read for GzipBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.dec.read(buf)
    }
}
