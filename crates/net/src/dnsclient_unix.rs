//! Mirrors Go src/net/dnsclient_unix.go (go1.27): the DNS stub resolver, on goroutines.
//!
//! A lookup here never occupies a thread while it waits: each query is a
//! gort UDP (or TCP) conn whose reads park the goroutine on the netpoller.
//! The path is Go's:
//!
//! * [`Resolver::lookup`] checks the name ([`is_domain_name`]), expands it
//!   with the search list ([`name_list`]) and tries each candidate with
//!   `try_one_name`, which goes round the servers `attempts` times
//!   (starting further along each time with `rotate`).
//! * `exchange` sends one query: a new random 16-bit ID, a new socket
//!   (so the kernel picks a new random source port), the question and
//!   Go's EDNS(0) OPT record offering 1232 bytes. The socket gets the
//!   query's deadline (now + `timeout`, or the context's if sooner);
//!   cancelling the context moves that deadline to now, so the wait ends
//!   at once. A UDP answer that does not parse, has another ID, is not a
//!   response or does not echo the question is dropped and the wait goes
//!   on (a forgery must not end a lookup: golang.org/issue/13281). A
//!   truncated UDP answer is asked again over TCP; with `use-vc`, TCP is
//!   the only transport.
//! * `check_header` reads the RCODE (extended by the OPT record):
//!   NXDOMAIN is "no such host" at once (another server will not know
//!   better), SERVFAIL a temporary "server misbehaving", other codes and
//!   lame referrals move on to the next server.
//! * Host lookups ask for A and AAAA in two goroutines at once (one after
//!   the other with `single-request`, or outside a goroutine), and use
//!   the first candidate name that has addresses; `/etc/hosts` is read
//!   before or after, as [`crate::conf`] decides.
//!
//! A [`Resolver`] can bring its own dial function (Go's `Resolver.Dial`):
//! every query conn comes from it, with the network (`"udp"` or `"tcp"`)
//! and the server address from the configuration; a conn whose local
//! address is a datagram one is read as packets, any other as a stream,
//! as Go tells them by `PacketConn`.
//!
//! Left out from Go's: `singleflight` (concurrent lookups of one name are
//! not merged), the RFC 6724 sort of the addresses (A answers come before
//! AAAA answers, each in the server's order), and the `dnsWaitGroup`.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use gort_runtime::chan::bounded;
use gort_runtime::context::{self, Context, ContextError};

use crate::cgo_unix::ERR_NO_SUCH_HOST;
use crate::conf::{HostLookupOrder, go_debug_no_edns0};
use crate::dial::Dialer;
use crate::dnsclient::{MX, NS, SRV, is_domain_name, rand_u64, reverseaddr, sort_mx, sort_srv};
use crate::dnsconfig_unix::{DnsConfig, name_list, system_dns_config};
use crate::dnsmessage::{
    self, CLASS_INET, Header, MsgError, Name, Parser, Question, RCODE_NAME_ERROR,
    RCODE_SERVER_FAILURE, RCODE_SUCCESS, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_MX, TYPE_NS, TYPE_OPT,
    TYPE_PTR, TYPE_SRV, TYPE_TXT, Type,
};
use crate::hosts;
use crate::iprawsock::IPAddr;
use crate::lookup::Resolver;
use crate::net::{Conn, DNSError, OpError};
use crate::parse::split_host_zone;
use crate::{IP, parse_ip};

/// Go's `errCannotUnmarshalDNSMessage`.
const ERR_CANNOT_UNMARSHAL: &str = "cannot unmarshal DNS message";
/// Go's `errCannotMarshalDNSMessage`.
const ERR_CANNOT_MARSHAL: &str = "cannot marshal DNS message";
/// Go's `errServerMisbehaving` (and, temporary, for SERVFAIL).
const ERR_SERVER_MISBEHAVING: &str = "server misbehaving";
/// Go's `errInvalidDNSResponse`.
const ERR_INVALID_DNS_RESPONSE: &str = "invalid DNS response";
/// Go's `errNoAnswerFromDNSServer`.
const ERR_NO_ANSWER: &str = "no answer from DNS server";
/// Go's `errLameReferral`.
const ERR_LAME_REFERRAL: &str = "lame referral";

/// Why one exchange or one answer failed, before it becomes a
/// [`DNSError`] naming the name and the server (Go's plain errors).
#[derive(Debug)]
pub(crate) enum QueryError {
    /// A socket error: dialing, writing or reading (with its deadline).
    Io(io::Error),
    /// The name does not exist (NXDOMAIN, or no record of the type).
    NoSuchHost,
    /// A protocol failure, Go's text; temporary if the bool is set.
    Msg(&'static str, bool),
}

impl QueryError {
    /// Go's `newDNSError(err, name, server)`, with `tryOneName`'s rule
    /// that a socket error (an `*OpError`) is temporary.
    fn into_dns_error(self, name: &str, server: &str) -> DNSError {
        let mut e = DNSError {
            name: name.to_string(),
            server: server.to_string(),
            ..DNSError::default()
        };
        match self {
            QueryError::Io(err) => {
                e.is_timeout = err.kind() == io::ErrorKind::TimedOut;
                let op_error = err
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<OpError>().is_some());
                e.is_temporary = e.is_timeout || op_error;
                e.err = err.to_string();
            }
            QueryError::NoSuchHost => {
                e.err = ERR_NO_SUCH_HOST.into();
                e.is_not_found = true;
            }
            QueryError::Msg(s, temporary) => {
                e.err = s.into();
                e.is_temporary = temporary;
            }
        }
        e
    }
}

/// A "no such host" error for `name` (Go's `newDNSError(errNoSuchHost,
/// name, server)`).
pub(crate) fn no_such_host_on(name: &str, server: &str) -> DNSError {
    QueryError::NoSuchHost.into_dns_error(name, server)
}

/// The error for a lookup whose context ended (Go's `mapErr(ctx.Err())`
/// wrapped in a [`DNSError`], as `lookupIPAddr` returns it): `operation
/// was canceled`, or `i/o timeout` (a timeout, temporary) for a deadline.
pub(crate) fn context_dns_error(e: ContextError, name: &str) -> DNSError {
    let deadline = e == ContextError::DeadlineExceeded;
    DNSError {
        err: crate::net::map_err(e).to_string(),
        name: name.to_string(),
        is_timeout: deadline,
        is_temporary: deadline,
        unwrap_err: Some(e),
        ..DNSError::default()
    }
}

/// A validated answer: the message, and the server that sent it.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    msg: Vec<u8>,
    server: String,
}

impl Answer {
    /// A parser standing at the first answer record of type `qtype` (where
    /// Go's `tryOneName` leaves it, after `skipToAnswer`); the records
    /// before it are skipped.
    fn answers(&self, qtype: Type) -> Parser<'_> {
        let (mut p, _) = Parser::start(&self.msg).expect("checked by exchange");
        let _ = p.skip_all_questions();
        loop {
            match p.answer_header() {
                Ok(h) if h.typ == qtype => {
                    return p;
                }
                Ok(_) => {
                    if p.skip_answer().is_err() {
                        return p;
                    }
                }
                Err(_) => return p,
            }
        }
    }
}

/// Whether a response answers the query (Go's `checkResponse`).
fn check_response(req_id: u16, req: &Question, h: &Header, q: &Question) -> bool {
    h.response
        && h.id == req_id
        && req.typ == q.typ
        && req.class == q.class
        && req.name.equal_ascii(&q.name)
}

/// The first question of `msg`, if it answers the query (the checks of
/// Go's `dnsPacketRoundTrip` and `dnsStreamRoundTrip`).
fn validate(msg: &[u8], id: u16, query: &Question) -> Result<Header, &'static str> {
    let (mut p, h) = Parser::start(msg).map_err(|_| ERR_CANNOT_UNMARSHAL)?;
    let q = p.question().map_err(|_| ERR_CANNOT_UNMARSHAL)?;
    if !check_response(id, query, &h, &q) {
        return Err(ERR_INVALID_DNS_RESPONSE);
    }
    Ok(h)
}

/// Sends `b` on a datagram conn and waits for a valid answer, dropping
/// the rest (Go's `dnsPacketRoundTrip`).
fn dns_packet_round_trip(
    c: &dyn Conn,
    id: u16,
    query: &Question,
    b: &[u8],
) -> Result<(Vec<u8>, Header), QueryError> {
    c.write(b).map_err(QueryError::Io)?;
    let mut buf = vec![0u8; dnsmessage::MAX_DNS_PACKET_SIZE];
    loop {
        let n = c.read(&mut buf).map_err(QueryError::Io)?;
        // Anything that is not the answer may be a forgery: ignore it and
        // wait on, until the deadline.
        if let Ok(h) = validate(&buf[..n], id, query) {
            buf.truncate(n);
            return Ok((buf, h));
        }
    }
}

/// Sends `b` (length-prefixed) on a stream conn and reads one
/// length-prefixed answer (Go's `dnsStreamRoundTrip`).
fn dns_stream_round_trip(
    c: &dyn Conn,
    id: u16,
    query: &Question,
    b: &[u8],
) -> Result<(Vec<u8>, Header), QueryError> {
    c.write(b).map_err(QueryError::Io)?;
    let mut r = c;
    let mut len = [0u8; 2];
    r.read_exact(&mut len).map_err(QueryError::Io)?;
    let l = usize::from(u16::from_be_bytes(len));
    let mut buf = vec![0u8; l];
    r.read_exact(&mut buf).map_err(QueryError::Io)?;
    let h = validate(&buf, id, query).map_err(|e| QueryError::Msg(e, false))?;
    Ok((buf, h))
}

/// Dials `server` for a query made outside a goroutine. There sockets run
/// in blocking mode, where the netpoller's deadlines do not exist, so the
/// kernel's own timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`) bound each read and
/// write instead, and their expiry reads as Go's `i/o timeout`. (A TCP
/// connect is bounded by the kernel's SYN retries; TCP follows only a
/// truncated UDP answer, from a server that is there.) A `dial` hook's
/// conns get no such bound.
fn dial_blocking(network: &str, server: &str, deadline: Instant) -> io::Result<Box<dyn Conn>> {
    use rustix::net::sockopt::{Timeout, set_socket_timeout};
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(std::time::Duration::from_millis(1));
    fn bound(fd: &impl std::os::fd::AsFd, left: std::time::Duration) -> io::Result<()> {
        set_socket_timeout(fd, Timeout::Recv, Some(left))?;
        set_socket_timeout(fd, Timeout::Send, Some(left))?;
        Ok(())
    }
    let conn: Box<dyn Conn> = if network.starts_with("udp") {
        let c = crate::dial_udp(network, None, &crate::resolve_udp_addr(network, server)?)?;
        bound(&c, left)?;
        Box::new(c)
    } else {
        let c = crate::dial_tcp(network, None, &crate::resolve_tcp_addr(network, server)?)?;
        bound(&c, left)?;
        Box::new(c)
    };
    Ok(Box::new(KernelTimeouts(conn)))
}

/// A blocking-mode conn whose kernel timeouts (`EAGAIN` from a read or
/// write) read as Go's `i/o timeout`, the error the query's deadline gives
/// inside a goroutine.
#[derive(Debug)]
struct KernelTimeouts(Box<dyn Conn>);

impl KernelTimeouts {
    fn map(r: io::Result<usize>) -> io::Result<usize> {
        r.map_err(|e| {
            if e.kind() == io::ErrorKind::WouldBlock
                || e.get_ref().is_some_and(|i| {
                    i.downcast_ref::<crate::OpError>()
                        .is_some_and(|o| o.err.kind() == io::ErrorKind::WouldBlock)
                })
            {
                io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")
            } else {
                e
            }
        })
    }
}

impl Conn for KernelTimeouts {
    fn read(&self, b: &mut [u8]) -> io::Result<usize> {
        Self::map(Conn::read(&*self.0, b))
    }
    fn write(&self, b: &[u8]) -> io::Result<usize> {
        Self::map(Conn::write(&*self.0, b))
    }
    fn close(&self) -> io::Result<()> {
        self.0.close()
    }
    fn local_addr(&self) -> Box<dyn crate::Addr> {
        self.0.local_addr()
    }
    fn remote_addr(&self) -> Option<Box<dyn crate::Addr>> {
        self.0.remote_addr()
    }
    fn set_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.0.set_deadline(t)
    }
    fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.0.set_read_deadline(t)
    }
    fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.0.set_write_deadline(t)
    }
}

/// Whether a conn is read as packets (Go's `c.(PacketConn)` test).
fn is_packet_conn(c: &dyn Conn) -> bool {
    matches!(
        c.local_addr().network(),
        "udp" | "udp4" | "udp6" | "unixgram" | "ip" | "ip4" | "ip6"
    )
}

/// Moves a conn's deadline to now when a context is cancelled, until
/// stopped (Go's interrupter goroutines): so a cancel ends a wait on an
/// answer at once.
struct Interrupter {
    stop: Option<gort_runtime::chan::Sender<()>>,
    handle: Option<gort_runtime::JoinHandle<()>>,
}

impl Interrupter {
    fn start(ctx: &Context, c: &Arc<Box<dyn Conn>>) -> Interrupter {
        if !ctx.cancellable() || gort_runtime::goid().is_none() {
            return Interrupter {
                stop: None,
                handle: None,
            };
        }
        let (stop_tx, stop_rx) = bounded::<()>(0);
        let (done, c) = (ctx.done(), c.clone());
        let handle = gort_runtime::spawn(move || {
            gort_runtime::select! {
                recv(done) -> _closed => {
                    let _ = c.set_deadline(Some(Instant::now()));
                },
                recv(stop_rx) -> _closed => {},
            }
        });
        Interrupter {
            stop: Some(stop_tx),
            handle: Some(handle),
        }
    }
}

impl Drop for Interrupter {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// What a host lookup asks for (Go's `network` argument of
/// `goLookupIPCNAMEOrder`: `"ip"`, `"ip4"`, `"ip6"` or `"CNAME"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpQuery {
    Any,
    V4,
    V6,
    Cname,
}

impl Resolver {
    /// The resolver configuration: the file this resolver names, or the
    /// system's.
    pub(crate) fn dns_config(&self) -> Arc<DnsConfig> {
        let path = self
            .resolv_conf
            .as_deref()
            .unwrap_or(Path::new(crate::dnsconfig_unix::RESOLV_CONF_PATH));
        system_dns_config(path)
    }

    /// The hosts file this resolver reads.
    pub(crate) fn hosts_path(&self) -> &Path {
        self.hosts_file
            .as_deref()
            .unwrap_or(Path::new(hosts::HOSTS_FILE_PATH))
    }

    /// A conn to `server` (Go's `Resolver.dial`): from the dial hook, or a
    /// default [`Dialer`].
    fn dial_dns(
        &self,
        ctx: &Context,
        network: &str,
        server: &str,
        deadline: Instant,
    ) -> io::Result<Box<dyn Conn>> {
        match &self.dial {
            Some(dial) => dial(ctx, network, server),
            None if gort_runtime::goid().is_none() => dial_blocking(network, server, deadline),
            None => Dialer::default().dial_context(ctx, network, server),
        }
    }

    /// Sends the query `q` to `server` and returns the answer (Go's
    /// `exchange`): over UDP, again over TCP if truncated; over TCP only
    /// with `use_tcp`.
    fn exchange(
        &self,
        ctx: &Context,
        server: &str,
        mut q: Question,
        timeout: std::time::Duration,
        use_tcp: bool,
        ad: bool,
    ) -> Result<(Vec<u8>, Header), QueryError> {
        q.class = CLASS_INET;
        let id = rand_u64() as u16;
        let (udp_req, tcp_req) = dnsmessage::new_request(id, &q, ad, !go_debug_no_edns0())
            .map_err(|_| QueryError::Msg(ERR_CANNOT_MARSHAL, false))?;
        let networks: &[&str] = if use_tcp { &["tcp"] } else { &["udp", "tcp"] };
        for &network in networks {
            let deadline = Instant::now() + timeout;
            let deadline = ctx.deadline().map_or(deadline, |d| d.min(deadline));
            // The hook sees the query's deadline on its context, as in Go;
            // outside a goroutine no timer can run, and the socket's own
            // deadline (below) bounds the query.
            let (qctx, cancel) = if gort_runtime::goid().is_some() {
                let (c, cancel) = context::with_deadline(ctx, deadline);
                (c, Some(cancel))
            } else {
                (ctx.clone(), None)
            };
            let result = (|| {
                let c = self
                    .dial_dns(&qctx, network, server, deadline)
                    .map_err(QueryError::Io)?;
                let c: Arc<Box<dyn Conn>> = Arc::new(c);
                let _ = c.set_deadline(Some(deadline));
                let interrupter = Interrupter::start(ctx, &c);
                let r = if is_packet_conn(&**c) {
                    dns_packet_round_trip(&**c, id, &q, &udp_req)
                } else {
                    dns_stream_round_trip(&**c, id, &q, &tcp_req)
                };
                drop(interrupter);
                let _ = c.close();
                r
            })();
            if let Some(cancel) = cancel {
                cancel.cancel();
            }
            let (msg, h) = result?;
            // Go checks that the question section ends where it should.
            let (mut p, _) = Parser::start(&msg)
                .map_err(|_| QueryError::Msg(ERR_INVALID_DNS_RESPONSE, false))?;
            if p.skip_question().is_err() || p.skip_question() != Err(MsgError::SectionDone) {
                return Err(QueryError::Msg(ERR_INVALID_DNS_RESPONSE, false));
            }
            // RFC 5966: a truncated UDP answer is asked again over TCP; a
            // truncated TCP answer is used as it is (glibc's way, Go's
            // golang.org/issue/64896).
            if h.truncated && network == "udp" {
                continue;
            }
            return Ok((msg, h));
        }
        Err(QueryError::Msg(ERR_NO_ANSWER, false))
    }

    /// Looks up one rooted name of type `qtype` on each server in turn,
    /// `attempts` rounds (Go's `tryOneName`).
    fn try_one_name(
        &self,
        ctx: &Context,
        cfg: &DnsConfig,
        name: &str,
        qtype: Type,
    ) -> Result<Answer, DNSError> {
        let qname = Name::new(name).map_err(|_| DNSError {
            err: ERR_CANNOT_MARSHAL.into(),
            name: name.to_string(),
            ..DNSError::default()
        })?;
        let q = Question {
            name: qname,
            typ: qtype,
            class: CLASS_INET,
        };
        let offset = cfg.server_offset() as usize;
        let n = cfg.servers.len();
        let mut last_err = None;
        for _ in 0..cfg.attempts {
            for j in 0..n {
                if let Some(e) = ctx.err() {
                    return Err(context_dns_error(e, name));
                }
                let server = &cfg.servers[(offset + j) % n];
                let (msg, h) = match self.exchange(
                    ctx,
                    server,
                    q.clone(),
                    cfg.timeout,
                    cfg.use_tcp,
                    cfg.trust_ad,
                ) {
                    Ok(r) => r,
                    Err(e) => {
                        last_err = Some(e.into_dns_error(name, server));
                        continue;
                    }
                };
                let answer = Answer {
                    msg,
                    server: server.clone(),
                };
                match check_header(&answer.msg, &h)
                    .and_then(|()| skip_to_answer(&answer.msg, qtype))
                {
                    Ok(()) => return Ok(answer),
                    // The name does not exist: another server will not
                    // know better.
                    Err(QueryError::NoSuchHost) => return Err(no_such_host_on(name, server)),
                    Err(e) => last_err = Some(e.into_dns_error(name, server)),
                }
            }
        }
        Err(last_err
            .unwrap_or_else(|| QueryError::Msg(ERR_NO_ANSWER, false).into_dns_error(name, "")))
    }

    /// Looks `name` up with the search list (Go's `Resolver.lookup`).
    pub(crate) fn lookup(
        &self,
        ctx: &Context,
        name: &str,
        qtype: Type,
        conf: Option<Arc<DnsConfig>>,
    ) -> Result<Answer, DNSError> {
        if !is_domain_name(name) {
            // As the C library says: no such host, not "invalid name".
            return Err(no_such_host_on(name, ""));
        }
        let conf = conf.unwrap_or_else(|| self.dns_config());
        let mut last = None;
        for fqdn in name_list(&conf, name) {
            match self.try_one_name(ctx, &conf, &fqdn, qtype) {
                Ok(a) => return Ok(a),
                Err(e) => {
                    let stop = (e.temporary() && self.strict_errors) || e.unwrap_err.is_some();
                    last = Some(e);
                    if stop {
                        break;
                    }
                }
            }
        }
        let mut err = last.unwrap_or_else(|| no_such_host_on(name, ""));
        // The name as asked, not the last suffixed one (golang.org/issue/6324).
        err.name = name.to_string();
        Err(err)
    }

    /// Host addresses as text (Go's `goLookupHostOrder`).
    pub(crate) fn go_lookup_host_order(
        &self,
        ctx: &Context,
        name: &str,
        order: HostLookupOrder,
        conf: Arc<DnsConfig>,
    ) -> Result<Vec<String>, DNSError> {
        if matches!(order, HostLookupOrder::FilesDns | HostLookupOrder::Files) {
            let (addrs, _) = hosts::lookup_static_host_at(self.hosts_path(), name);
            if !addrs.is_empty() {
                return Ok(addrs);
            }
            if order == HostLookupOrder::Files {
                return Err(no_such_host_on(name, ""));
            }
        }
        let (ips, _) = self.go_lookup_ip_cname_order(ctx, IpQuery::Any, name, order, conf)?;
        Ok(ips.iter().map(ToString::to_string).collect())
    }

    /// The addresses the hosts file gives `name`, and its canonical name
    /// (Go's `goLookupIPFiles`, without its RFC 6724 sort).
    fn go_lookup_ip_files(&self, name: &str) -> (Vec<IPAddr>, String) {
        let (addrs, canonical) = hosts::lookup_static_host_at(self.hosts_path(), name);
        let addrs = addrs
            .iter()
            .filter_map(|a| {
                let (ip, zone) = split_host_zone(a);
                Some(IPAddr {
                    ip: parse_ip(&ip)?,
                    zone,
                })
            })
            .collect();
        (addrs, canonical)
    }

    /// Host addresses and the canonical name (Go's
    /// `goLookupIPCNAMEOrder`).
    pub(crate) fn go_lookup_ip_cname_order(
        &self,
        ctx: &Context,
        network: IpQuery,
        name: &str,
        order: HostLookupOrder,
        conf: Arc<DnsConfig>,
    ) -> Result<(Vec<IPAddr>, String), DNSError> {
        if matches!(order, HostLookupOrder::FilesDns | HostLookupOrder::Files) {
            let (addrs, canonical) = self.go_lookup_ip_files(name);
            if !addrs.is_empty() {
                return Ok((addrs, canonical));
            }
            if order == HostLookupOrder::Files {
                return Err(no_such_host_on(name, ""));
            }
        }
        if !is_domain_name(name) {
            return Err(no_such_host_on(name, ""));
        }
        let qtypes: &[Type] = match network {
            IpQuery::V4 => &[TYPE_A],
            IpQuery::V6 => &[TYPE_AAAA],
            IpQuery::Any => &[TYPE_A, TYPE_AAAA],
            IpQuery::Cname => &[TYPE_A, TYPE_AAAA, TYPE_CNAME],
        };
        let parallel = !conf.single_request && gort_runtime::goid().is_some();
        let mut addrs: Vec<IPAddr> = Vec::new();
        let mut cname = Name::default();
        let mut last_err: Option<DNSError> = None;
        for fqdn in name_list(&conf, name) {
            // A and AAAA at once, each in its goroutine; the results are
            // taken in query order, so A addresses come first.
            let results: Vec<Result<Answer, DNSError>> = if parallel {
                let handles: Vec<_> = qtypes
                    .iter()
                    .map(|&qtype| {
                        let (r, ctx, conf, fqdn) =
                            (self.clone(), ctx.clone(), conf.clone(), fqdn.clone());
                        gort_runtime::spawn(move || r.try_one_name(&ctx, &conf, &fqdn, qtype))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            } else {
                qtypes
                    .iter()
                    .map(|&qtype| self.try_one_name(ctx, &conf, &fqdn, qtype))
                    .collect()
            };
            let mut hit_strict_error = false;
            for (result, &qtype) in results.into_iter().zip(qtypes) {
                let answer = match result {
                    Ok(a) => a,
                    Err(e) => {
                        if e.temporary() && self.strict_errors {
                            hit_strict_error = true;
                            last_err = Some(e);
                        } else if last_err.is_none() || fqdn == format!("{name}.") {
                            // Prefer the error for the name as given.
                            last_err = Some(e);
                        }
                        continue;
                    }
                };
                let unmarshal = || DNSError {
                    err: ERR_CANNOT_UNMARSHAL.into(),
                    name: name.to_string(),
                    server: answer.server.clone(),
                    ..DNSError::default()
                };
                // The servers are recursive: the answer holds the CNAME
                // chain and the addresses of its end, so CNAMEs need not
                // be followed (RFC 1034 4.3.1).
                let mut p = answer.answers(qtype);
                loop {
                    let h = match p.answer_header() {
                        Ok(h) => h,
                        Err(MsgError::SectionDone) => break,
                        Err(_) => {
                            last_err = Some(unmarshal());
                            break;
                        }
                    };
                    match h.typ {
                        TYPE_A => match p.a_resource() {
                            Ok(a) => {
                                addrs.push(IPAddr::new(IP::from_bytes(&a).unwrap_or(IP::NIL)));
                                if cname.is_empty() && !h.name.is_empty() {
                                    cname = h.name;
                                }
                            }
                            Err(_) => {
                                last_err = Some(unmarshal());
                                break;
                            }
                        },
                        TYPE_AAAA => match p.aaaa_resource() {
                            Ok(a) => {
                                addrs.push(IPAddr::new(IP::from_bytes(&a).unwrap_or(IP::NIL)));
                                if cname.is_empty() && !h.name.is_empty() {
                                    cname = h.name;
                                }
                            }
                            Err(_) => {
                                last_err = Some(unmarshal());
                                break;
                            }
                        },
                        TYPE_CNAME => match p.cname_resource() {
                            Ok(c) => {
                                if cname.is_empty() && !c.is_empty() {
                                    cname = c;
                                }
                            }
                            Err(_) => {
                                last_err = Some(unmarshal());
                                break;
                            }
                        },
                        _ => {
                            if p.skip_answer().is_err() {
                                last_err = Some(unmarshal());
                                break;
                            }
                        }
                    }
                }
            }
            if hit_strict_error {
                // One family failing must not make a dual-stack name look
                // single-stack: drop everything.
                addrs.clear();
                break;
            }
            if !addrs.is_empty() || (network == IpQuery::Cname && !cname.is_empty()) {
                break;
            }
            if ctx.err().is_some() {
                break;
            }
        }
        if let Some(e) = &mut last_err {
            e.name = name.to_string();
        }
        let cname_only = network == IpQuery::Cname && !cname.is_empty();
        if addrs.is_empty() && !cname_only {
            if order == HostLookupOrder::DnsFiles {
                let (addrs, canonical) = self.go_lookup_ip_files(name);
                if !addrs.is_empty() {
                    return Ok((addrs, canonical));
                }
            }
            if let Some(e) = last_err {
                return Err(e);
            }
        }
        Ok((addrs, cname.to_string()))
    }

    /// The canonical name (Go's `goLookupCNAME`).
    pub(crate) fn go_lookup_cname(
        &self,
        ctx: &Context,
        host: &str,
        order: HostLookupOrder,
        conf: Arc<DnsConfig>,
    ) -> Result<String, DNSError> {
        let (_, cname) = self.go_lookup_ip_cname_order(ctx, IpQuery::Cname, host, order, conf)?;
        Ok(cname)
    }

    /// The names of an address (Go's `goLookupPTR`).
    pub(crate) fn go_lookup_ptr(
        &self,
        ctx: &Context,
        addr: &str,
        order: HostLookupOrder,
        conf: Arc<DnsConfig>,
    ) -> Result<Vec<String>, DNSError> {
        if matches!(order, HostLookupOrder::Files | HostLookupOrder::FilesDns) {
            let names = hosts::lookup_static_addr_at(self.hosts_path(), addr);
            if !names.is_empty() {
                return Ok(names);
            }
            if order == HostLookupOrder::Files {
                return Err(no_such_host_on(addr, ""));
            }
        }
        let arpa = reverseaddr(addr)?;
        let answer = match self.lookup(ctx, &arpa, TYPE_PTR, Some(conf)) {
            Ok(a) => a,
            Err(e) => {
                if e.is_not_found && order == HostLookupOrder::DnsFiles {
                    let names = hosts::lookup_static_addr_at(self.hosts_path(), addr);
                    if !names.is_empty() {
                        return Ok(names);
                    }
                }
                return Err(e);
            }
        };
        collect(&answer, TYPE_PTR, addr, |p| {
            p.ptr_resource().map(|n| n.to_string())
        })
    }

    /// SRV records, sorted (Go's `goLookupSRV`).
    pub(crate) fn go_lookup_srv(
        &self,
        ctx: &Context,
        service: &str,
        proto: &str,
        name: &str,
    ) -> Result<(String, Vec<SRV>), DNSError> {
        let target = if service.is_empty() && proto.is_empty() {
            name.to_string()
        } else {
            format!("_{service}._{proto}.{name}")
        };
        let answer = self.lookup(ctx, &target, TYPE_SRV, None)?;
        let mut cname = None;
        let mut srvs = collect_with_header(&answer, TYPE_SRV, name, |p, h| {
            if cname.is_none() && !h.name.is_empty() {
                cname = Some(h.name.to_string());
            }
            p.srv_resource().map(|s| SRV {
                target: s.target.to_string(),
                port: s.port,
                priority: s.priority,
                weight: s.weight,
            })
        })?;
        sort_srv(&mut srvs);
        Ok((cname.unwrap_or_default(), srvs))
    }

    /// MX records, sorted (Go's `goLookupMX`).
    pub(crate) fn go_lookup_mx(&self, ctx: &Context, name: &str) -> Result<Vec<MX>, DNSError> {
        let answer = self.lookup(ctx, name, TYPE_MX, None)?;
        let mut mxs = collect(&answer, TYPE_MX, name, |p| {
            p.mx_resource().map(|m| MX {
                host: m.mx.to_string(),
                pref: m.pref,
            })
        })?;
        sort_mx(&mut mxs);
        Ok(mxs)
    }

    /// NS records (Go's `goLookupNS`).
    pub(crate) fn go_lookup_ns(&self, ctx: &Context, name: &str) -> Result<Vec<NS>, DNSError> {
        let answer = self.lookup(ctx, name, TYPE_NS, None)?;
        collect(&answer, TYPE_NS, name, |p| {
            p.ns_resource().map(|n| NS {
                host: n.to_string(),
            })
        })
    }

    /// TXT records, each record's strings joined (Go's `goLookupTXT`).
    pub(crate) fn go_lookup_txt(&self, ctx: &Context, name: &str) -> Result<Vec<String>, DNSError> {
        let answer = self.lookup(ctx, name, TYPE_TXT, None)?;
        collect(&answer, TYPE_TXT, name, |p| {
            p.txt_resource()
                .map(|parts| String::from_utf8_lossy(&parts.concat()).into_owned())
        })
    }
}

/// The bodies of the answer's records of type `qtype`, read by `read`;
/// other records are skipped (the loop of Go's `goLookupMX` and its
/// siblings).
fn collect<T>(
    answer: &Answer,
    qtype: Type,
    name: &str,
    mut read: impl FnMut(&mut Parser<'_>) -> Result<T, MsgError>,
) -> Result<Vec<T>, DNSError> {
    collect_with_header(answer, qtype, name, |p, _| read(p))
}

/// [`collect`], with the record's header handed to `read` too.
fn collect_with_header<T>(
    answer: &Answer,
    qtype: Type,
    name: &str,
    mut read: impl FnMut(&mut Parser<'_>, &dnsmessage::ResourceHeader) -> Result<T, MsgError>,
) -> Result<Vec<T>, DNSError> {
    let unmarshal = || DNSError {
        err: ERR_CANNOT_UNMARSHAL.into(),
        name: name.to_string(),
        server: answer.server.clone(),
        ..DNSError::default()
    };
    let mut p = answer.answers(qtype);
    let mut out = Vec::new();
    loop {
        let h = match p.answer_header() {
            Ok(h) => h,
            Err(MsgError::SectionDone) => return Ok(out),
            Err(_) => return Err(unmarshal()),
        };
        if h.typ != qtype {
            p.skip_answer().map_err(|_| unmarshal())?;
            continue;
        }
        out.push(read(&mut p, &h).map_err(|_| unmarshal())?);
    }
}

/// Basic checks of an answer's header (Go's `checkHeader`).
fn check_header(msg: &[u8], h: &Header) -> Result<(), QueryError> {
    let (rcode, has_add) = extract_extended_rcode(msg, h);
    if rcode == RCODE_NAME_ERROR {
        return Err(QueryError::NoSuchHost);
    }
    let (mut p, _) =
        Parser::start(msg).map_err(|_| QueryError::Msg(ERR_CANNOT_UNMARSHAL, false))?;
    let _ = p.skip_all_questions();
    let first = p.answer_header();
    if let Err(e) = &first
        && *e != MsgError::SectionDone
    {
        return Err(QueryError::Msg(ERR_CANNOT_UNMARSHAL, false));
    }
    // libresolv moves on after a referral it cannot use
    // (golang.org/issue/15434).
    if rcode == RCODE_SUCCESS
        && !h.authoritative
        && !h.recursion_available
        && first == Err(MsgError::SectionDone)
        && !has_add
    {
        return Err(QueryError::Msg(ERR_LAME_REFERRAL, false));
    }
    if rcode != RCODE_SUCCESS {
        // Nothing but success or NXDOMAIN makes sense for our query.
        return Err(QueryError::Msg(
            ERR_SERVER_MISBEHAVING,
            rcode == RCODE_SERVER_FAILURE,
        ));
    }
    Ok(())
}

/// Whether the answer section has a record of type `qtype` (Go's
/// `skipToAnswer`): none is "no such host".
fn skip_to_answer(msg: &[u8], qtype: Type) -> Result<(), QueryError> {
    let (mut p, _) =
        Parser::start(msg).map_err(|_| QueryError::Msg(ERR_CANNOT_UNMARSHAL, false))?;
    let _ = p.skip_all_questions();
    loop {
        match p.answer_header() {
            Err(MsgError::SectionDone) => return Err(QueryError::NoSuchHost),
            Err(_) => return Err(QueryError::Msg(ERR_CANNOT_UNMARSHAL, false)),
            Ok(h) if h.typ == qtype => return Ok(()),
            Ok(_) => p
                .skip_answer()
                .map_err(|_| QueryError::Msg(ERR_CANNOT_UNMARSHAL, false))?,
        }
    }
}

/// The RCODE extended by an OPT record, and whether the additional
/// section has any record (Go's `extractExtendedRCode`); a malformed
/// tail is no error here.
fn extract_extended_rcode(msg: &[u8], h: &Header) -> (u16, bool) {
    let Ok((mut p, _)) = Parser::start(msg) else {
        return (h.rcode, false);
    };
    if p.skip_all_questions().is_err()
        || p.skip_all_answers().is_err()
        || p.skip_all_authorities().is_err()
    {
        return (h.rcode, false);
    }
    let mut has_add = false;
    loop {
        let Ok(ah) = p.additional_header() else {
            return (h.rcode, has_add);
        };
        has_add = true;
        if ah.typ == TYPE_OPT {
            return (ah.extended_rcode(h.rcode), has_add);
        }
        if p.skip_additional().is_err() {
            return (h.rcode, has_add);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnsmessage::{Header, build_message};

    fn q(name: &str, typ: Type) -> Question {
        Question {
            name: Name::new(name).unwrap(),
            typ,
            class: CLASS_INET,
        }
    }

    fn resp(rcode: u16, aa: bool, ra: bool) -> Header {
        Header {
            id: 7,
            response: true,
            authoritative: aa,
            recursion_available: ra,
            rcode,
            ..Header::default()
        }
    }

    /// Go's `TestIgnoreLameReferrals` and `TestExtendedRCode` logic on
    /// `check_header`, and the RCODE table.
    #[test]
    fn test_check_header() {
        let question = [q("x.", TYPE_A)];
        let a = [("x.", TYPE_A, vec![1, 2, 3, 4])];
        let ok = build_message(resp(0, false, true), &question, &a);
        assert!(check_header(&ok, &resp(0, false, true)).is_ok());
        let lame = build_message(resp(0, false, false), &question, &[]);
        assert!(matches!(
            check_header(&lame, &resp(0, false, false)),
            Err(QueryError::Msg(ERR_LAME_REFERRAL, false))
        ));
        let nx = build_message(resp(RCODE_NAME_ERROR, false, true), &question, &[]);
        assert!(matches!(
            check_header(&nx, &resp(RCODE_NAME_ERROR, false, true)),
            Err(QueryError::NoSuchHost)
        ));
        let sf = resp(RCODE_SERVER_FAILURE, false, true);
        assert!(matches!(
            check_header(&build_message(sf, &question, &[]), &sf),
            Err(QueryError::Msg(ERR_SERVER_MISBEHAVING, true))
        ));
        let refused = resp(dnsmessage::RCODE_REFUSED, false, true);
        assert!(matches!(
            check_header(&build_message(refused, &question, &[]), &refused),
            Err(QueryError::Msg(ERR_SERVER_MISBEHAVING, false))
        ));
        let fe = resp(dnsmessage::RCODE_FORMAT_ERROR, false, true);
        assert!(check_header(&build_message(fe, &question, &[]), &fe).is_err());
        // An OPT record with extended RCODE bits: rcode 0 becomes BADVERS
        // (16), which is no success (Go's TestExtendedRCode).
        let mut m = build_message(resp(0, false, true), &question, &a);
        m[11] = 1;
        m.extend_from_slice(&[0, 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(
            extract_extended_rcode(&m, &resp(0, false, true)),
            (16, true)
        );
        assert!(matches!(
            check_header(&m, &resp(0, false, true)),
            Err(QueryError::Msg(ERR_SERVER_MISBEHAVING, false))
        ));
        assert!(matches!(
            skip_to_answer(&build_message(resp(0, true, true), &question, &[]), TYPE_A),
            Err(QueryError::NoSuchHost)
        ));
    }

    /// Go's `checkResponse`: ID, QR bit, question type, class and name
    /// (without regard to case).
    #[test]
    fn test_check_response() {
        let req = q("Example.COM.", TYPE_A);
        let h = resp(0, false, true);
        assert!(check_response(7, &req, &h, &q("example.com.", TYPE_A)));
        assert!(!check_response(8, &req, &h, &q("example.com.", TYPE_A)));
        assert!(!check_response(7, &req, &h, &q("example.org.", TYPE_A)));
        assert!(!check_response(7, &req, &h, &q("example.com.", TYPE_AAAA)));
        let not_resp = Header {
            response: false,
            ..h
        };
        assert!(!check_response(
            7,
            &req,
            &not_resp,
            &q("example.com.", TYPE_A)
        ));
    }
}
