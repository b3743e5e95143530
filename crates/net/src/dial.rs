//! Mirrors Go src/net/dial.go (go1.27): dialing and listening by network
//! name, the `Dialer` and the `ListenConfig`.
//!
//! `dial("tcp", "example.com:80")` is three steps. First the address is
//! resolved into a list (a name may have several IPv4 and IPv6 addresses;
//! [`resolve_addr_list`]). Then, for a plain `"tcp"` dial of a dual-stack
//! name, the list is split by family and the two halves race (RFC 6555,
//! "Happy Eyeballs", Go's `dialParallel`): the preferred family starts at
//! once, the other after [`Dialer::fallback_delay`] (300 ms) or as soon as
//! the first fails, and the first connection made wins. Within each half
//! the addresses are tried in order (`dialSerial`), each given a fair
//! share of the time left before the deadline.
//!
//! Every dial runs under a [`Context`] (Go's `DialContext`; plain `dial`
//! uses [`context::background`]): the dialer's timeout becomes a child
//! context with a deadline, each address of a serial dial gets a child with
//! its share of the time, each Happy Eyeballs racer a cancellable child,
//! and the connect itself watches the context (`fd_unix.rs`).

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gort_runtime::chan;
use gort_runtime::context::{self, CancelFunc, Context};

use crate::iprawsock_posix::{do_dial_ip, do_listen_ip};
use crate::ipsock::{AddrList, InetAddr};
use crate::net::{errs, map_err, op_addr};
use crate::network::{Network, socket_network};
use crate::sock_posix::Control;
use crate::sockaddr_posix::{FromSockAddr, SockAddr};
use crate::tcpsock::{KeepAliveConfig, do_dial_tcp, do_listen_tcp};
use crate::udpsock_posix::{do_dial_udp, do_listen_udp};
use crate::unixsock_posix::{do_dial_unix, do_listen_unix, do_listen_unixgram};
use crate::{
    Addr, AddrError, Conn, IPAddr, Listener, Op, OpError, PacketConn, TcpAddr, UdpAddr, UnixAddr,
};

/// Go's default Happy Eyeballs delay (`defaultFallbackDelay`).
const DEFAULT_FALLBACK_DELAY: Duration = Duration::from_millis(300);

/// The shortest time one address of several is given (Go's `saneMinimum`
/// in `partialDeadline`).
const SANE_MINIMUM: Duration = Duration::from_secs(2);

/// Options for connecting to an address (Go's `net.Dialer`). The zero
/// value (`Dialer::default()`) behaves like [`dial`].
///
/// ```
/// use std::time::Duration;
/// gort::run(|| {
///     let d = gort::net::Dialer { timeout: Some(Duration::from_secs(1)), ..Default::default() };
///     // Nothing listens on port 1 of the loopback: refused at once.
///     let err = d.dial("tcp", "127.0.0.1:1").unwrap_err();
///     assert_eq!(err.to_string(), "dial tcp 127.0.0.1:1: connect: connection refused");
///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
/// });
/// ```
#[derive(Clone, Default)]
pub struct Dialer {
    /// The longest a dial may take, name resolution included; `None`: no
    /// limit but the system's (Go's `Timeout`).
    pub timeout: Option<Duration>,
    /// An absolute time after which the dial fails; with `timeout`, the
    /// earlier wins (Go's `Deadline`).
    pub deadline: Option<Instant>,
    /// The local address to dial from: a [`TcpAddr`], [`UdpAddr`] or
    /// [`UnixAddr`] matching the network; `None` lets the system choose
    /// (Go's `LocalAddr`).
    pub local_addr: Option<Box<dyn Addr>>,
    /// How long the preferred family of a dual-stack name runs alone before
    /// the other starts (Go's `FallbackDelay`): `None` for Go's 300 ms;
    /// `Some(Duration::ZERO)` turns the race off (families are then tried
    /// one after the other).
    pub fallback_delay: Option<Duration>,
    /// TCP keep-alive idle time (Go's `KeepAlive`): `None` for Go's default
    /// (probes after 15 s), `Some(Duration::ZERO)` for none at all.
    pub keep_alive: Option<Duration>,
    /// Full keep-alive settings; when enabled, they override `keep_alive`
    /// (Go's `KeepAliveConfig`).
    pub keep_alive_config: Option<KeepAliveConfig>,
    /// Called on each new socket before it connects (Go's `Control`).
    pub control: Option<Arc<Control>>,
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialer")
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("local_addr", &self.local_addr)
            .field("fallback_delay", &self.fallback_delay)
            .field("keep_alive", &self.keep_alive)
            .field("keep_alive_config", &self.keep_alive_config)
            .field("control", &self.control.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// Connects to `address` on `network` (Go's `net.Dial`).
///
/// Networks: `"tcp"`, `"tcp4"`, `"tcp6"`, `"udp"`, `"udp4"`, `"udp6"`,
/// `"ip:proto"`, `"ip4:proto"`, `"ip6:proto"` (a raw [`IPConn`](crate::IPConn);
/// the protocol a number or a name, `"ip4:icmp"`), `"unix"`, `"unixgram"`,
/// `"unixpacket"`. For TCP and UDP, `address` is `host:port`
/// (`"localhost:http"`, `"[::1]:80"`, `"198.51.100.1:80"`); for the IP
/// networks it is a host without a port (`"127.0.0.1"`, `"fe80::1%eth0"`);
/// for Unix networks it is a path, or `@name` for the abstract namespace.
#[doc(alias = "Dial")]
pub fn dial(network: &str, address: &str) -> io::Result<Box<dyn Conn>> {
    Dialer::default().dial(network, address)
}

/// [`dial`] with a time limit (Go's `DialTimeout`).
#[doc(alias = "DialTimeout")]
pub fn dial_timeout(network: &str, address: &str, timeout: Duration) -> io::Result<Box<dyn Conn>> {
    Dialer {
        timeout: Some(timeout),
        ..Default::default()
    }
    .dial(network, address)
}

impl Dialer {
    /// The deadline of a dial starting at `now` (Go's `Dialer.deadline`).
    /// A timeout too long for an `Instant` (`Duration::MAX`) is no limit.
    fn deadline(&self, now: Instant) -> Option<Instant> {
        let t = self.timeout.and_then(|t| now.checked_add(t));
        match (t, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Connects to `address` on `network` with these options (Go's `Dial`).
    #[doc(alias = "Dial")]
    pub fn dial(&self, network: &str, address: &str) -> io::Result<Box<dyn Conn>> {
        self.dial_context(&context::background(), network, address)
    }

    /// [`dial`](Self::dial) under a context (Go's `DialContext`): the dial
    /// ends early, with `operation was canceled`, if `ctx` is cancelled
    /// while it connects, and no later than `ctx`'s deadline (`i/o
    /// timeout`). Once connected, the conn no longer depends on `ctx`.
    ///
    /// ```
    /// use gort::context;
    /// gort::run(|| {
    ///     let (ctx, cancel) = context::with_cancel(&context::background());
    ///     cancel.cancel();
    ///     let d = gort::net::Dialer::default();
    ///     let err = d.dial_context(&ctx, "tcp", "127.0.0.1:9").unwrap_err();
    ///     assert_eq!(err.to_string(), "dial tcp 127.0.0.1:9: operation was canceled");
    /// });
    /// ```
    #[doc(alias = "DialContext")]
    pub fn dial_context(
        &self,
        ctx: &Context,
        network: &str,
        address: &str,
    ) -> io::Result<Box<dyn Conn>> {
        let (ctx, _cancel) = narrow(ctx, self.deadline(Instant::now()));
        let dial_err = |e| OpError::new(Op::Dial, network, None, None, e);
        let net = socket_network(network).map_err(dial_err)?;
        let addrs = resolve_addr_list(Op::Dial, net, address, self.local_addr.as_deref())
            .map_err(dial_err)?;
        let sd = SysDialer {
            dialer: self.clone(),
            network: net,
            name: network.to_string(),
            // Checked against the network by resolve_addr_list.
            local: self.local_addr.as_deref().and_then(SockAddr::from_dyn),
        };
        let (primaries, fallbacks) = match &addrs {
            // Only a plain "tcp" dial races the families (Go's `dualStack`
            // check in `DialContext`).
            Resolved::Inet(list)
                if net == Network::Tcp && self.fallback_delay != Some(Duration::ZERO) =>
            {
                list.partition_by_first_family()
            }
            Resolved::Inet(list) => (list.clone(), AddrList::default()),
            Resolved::Unix(u) => {
                if let Some(err) = ctx.err() {
                    return Err(OpError::new(
                        Op::Dial,
                        net.as_str(),
                        None,
                        op_addr(Some(u)),
                        map_err(err),
                    ));
                }
                return sd.dial_unix(&ctx, u);
            }
        };
        Arc::new(sd).dial_parallel(&ctx, primaries, fallbacks)
    }
}

/// Cancels a context when dropped (Go's `defer cancel()`).
struct CancelOnDrop(Option<CancelFunc>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.cancel();
        }
    }
}

/// `ctx`, or a child of it that ends at `deadline` if that comes first
/// (Go's `context.WithDeadline` in `DialContext` and `dialSerial`).
/// Outside a goroutine sockets block and ignore deadlines, so no child is
/// made there.
fn narrow(ctx: &Context, deadline: Option<Instant>) -> (Context, CancelOnDrop) {
    match deadline {
        Some(d) if gort_runtime::goid().is_some() && ctx.deadline().is_none_or(|cur| d < cur) => {
            let (c, cancel) = context::with_deadline(ctx, d);
            (c, CancelOnDrop(Some(cancel)))
        }
        _ => (ctx.clone(), CancelOnDrop(None)),
    }
}

/// A resolved dial or listen target.
enum Resolved {
    Inet(AddrList),
    Unix(UnixAddr),
}

/// Resolves `addr` on `network` for `op` ([`Op::Dial`] or [`Op::Listen`]),
/// checking it against the local address `hint` (Go's
/// `Resolver.resolveAddrList`, after `parseNetwork`, which the caller ran).
// ANCHOR: resolveAddrList
fn resolve_addr_list(
    op: Op,
    network: Network,
    addr: &str,
    hint: Option<&dyn Addr>,
) -> io::Result<Resolved> {
    if op == Op::Dial && addr.is_empty() {
        return Err(errs::missing_address());
    }
    if network.is_unix() {
        let a = UnixAddr {
            name: addr.to_string(),
            net: network,
        };
        let same_kind = |h: &dyn Addr| matches!(SockAddr::from_dyn(h), Some(SockAddr::Unix(u)) if u.net == network);
        if op == Op::Dial
            && let Some(h) = hint
            && !same_kind(h)
        {
            return Err(AddrError::new("mismatched local address type", h.to_string()).into());
        }
        return Ok(Resolved::Unix(a));
    }
    let mut list = crate::ipsock::internet_addr_list(network, addr)?;
    if op != Op::Dial {
        return Ok(Resolved::Inet(list));
    }
    let Some(hint) = hint else {
        return Ok(Resolved::Inet(list));
    };
    // The local address must be of the network's kind, and of a family the
    // remote addresses can be reached from.
    let hint_ip = match SockAddr::from_dyn(hint) {
        Some(SockAddr::Tcp(a)) if network.is_tcp() => a.ip,
        Some(SockAddr::Udp(a)) if network.is_udp() => a.ip,
        Some(SockAddr::Ip(a)) if network.is_ip() => a.ip,
        _ => {
            return Err(AddrError::new("mismatched local address type", hint.to_string()).into());
        }
    };
    let wildcard = hint_ip.is_nil() || hint_ip.is_unspecified();
    if !wildcard {
        list.retain(|a| a.ip.is_nil() || a.ip.is_unspecified() || a.ip.match_addr_family(&hint_ip));
        if list.is_empty() {
            return Err(AddrError::new("no suitable address found", hint.to_string()).into());
        }
    }
    Ok(Resolved::Inet(list))
}
// ANCHOR_END: resolveAddrList

/// One dial in progress (Go's `sysDialer`).
struct SysDialer {
    dialer: Dialer,
    network: Network,
    /// The network as the caller named it (`"ip4:icmp"`), for errors, as
    /// Go's `sysDialer.network`.
    name: String,
    /// The dialer's local address, of the network's type (resolve_addr_list
    /// refused any other).
    local: Option<SockAddr>,
}

/// What one racer of `dial_parallel` reports (Go's `dialResult`).
struct DialResult {
    primary: bool,
    result: io::Result<Box<dyn Conn>>,
}

impl SysDialer {
    /// Races the two families (Go's `dialParallel`). With no fallbacks it
    /// is `dial_serial` on the primaries.
    ///
    /// The primary racer starts at once under its own child context; the
    /// fallback racer starts when the fallback timer fires, which is after
    /// the fallback delay or as soon as the primary fails. The first conn
    /// wins; returning cancels the racers' contexts, which aborts a connect
    /// still in flight, and a loser that connects anyway finds `returned`
    /// closed and drops (closes) its conn.
    fn dial_parallel(
        self: &Arc<Self>,
        ctx: &Context,
        primaries: AddrList,
        fallbacks: AddrList,
    ) -> io::Result<Box<dyn Conn>> {
        if fallbacks.is_empty() {
            return self.dial_serial(ctx, &primaries);
        }
        if gort_runtime::goid().is_none() {
            // A plain thread has no goroutines to race with: try the
            // primaries, then the fallbacks, in turn.
            let mut all = primaries;
            all.extend(fallbacks.0);
            return self.dial_serial(ctx, &all);
        }
        // Closed (by dropping its only sender) when we return.
        let (_returned, returned_rx) = chan::bounded::<()>(0);
        let (results_tx, results) = chan::bounded::<DialResult>(0);
        let start_racer = |ctx: Context, primary: bool| {
            let (sd, returned, results) = (self.clone(), returned_rx.clone(), results_tx.clone());
            let ras = if primary {
                primaries.clone()
            } else {
                fallbacks.clone()
            };
            gort_runtime::spawn(move || {
                let res = DialResult {
                    primary,
                    result: sd.dial_serial(&ctx, &ras),
                };
                gort_runtime::select! {
                    send(results, res) -> _sent => {},
                    // The dialer is gone: the unsent result (and any conn
                    // in it) is dropped, which closes the conn.
                    recv(returned) -> _closed => {},
                }
            });
        };
        let (primary_ctx, primary_cancel) = context::with_cancel(ctx);
        let _primary_cancel = CancelOnDrop(Some(primary_cancel));
        start_racer(primary_ctx, true);

        let delay = self.dialer.fallback_delay.unwrap_or(DEFAULT_FALLBACK_DELAY);
        let fallback_timer = gort_runtime::time::Timer::new(delay);
        let mut _fallback_cancel = CancelOnDrop(None);
        let mut primary_err = None;
        let mut fallback_err = None;
        loop {
            gort_runtime::select! {
                recv(fallback_timer.c) -> _t => {
                    let (fallback_ctx, cancel) = context::with_cancel(ctx);
                    _fallback_cancel = CancelOnDrop(Some(cancel));
                    start_racer(fallback_ctx, false);
                },
                recv(results) -> res => {
                    let res = res.expect("dialParallel: results closed while racers run");
                    match res.result {
                        Ok(c) => return Ok(c),
                        Err(e) if res.primary => primary_err = Some(e),
                        Err(e) => fallback_err = Some(e),
                    }
                    if primary_err.is_some() && fallback_err.is_some() {
                        return Err(primary_err.take().expect("checked"));
                    }
                    // The primary failed first: start the fallback now.
                    if res.primary && fallback_timer.stop() {
                        fallback_timer.reset(Duration::ZERO);
                    }
                },
            }
        }
    }

    /// The address an error names for `ra` on this dialer's network.
    fn inet_op_addr(&self, ra: &InetAddr) -> Option<Box<dyn Addr>> {
        Some(inet_addr_boxed(self.network, ra))
    }

    /// Tries each address in turn until one connects (Go's `dialSerial`),
    /// each under a share of the time left before `ctx`'s deadline.
    fn dial_serial(&self, ctx: &Context, ras: &AddrList) -> io::Result<Box<dyn Conn>> {
        let mut first_err = None;
        let local = || self.dialer.local_addr.as_ref().map(|a| a.clone_box());
        for (i, ra) in ras.iter().enumerate() {
            if let Some(err) = ctx.err() {
                return Err(OpError::new(
                    Op::Dial,
                    &self.name,
                    local(),
                    self.inet_op_addr(ra),
                    map_err(err),
                ));
            }
            let now = Instant::now();
            let share = match ctx.deadline() {
                Some(dl) if dl <= now => {
                    first_err.get_or_insert_with(|| {
                        OpError::new(
                            Op::Dial,
                            &self.name,
                            local(),
                            self.inet_op_addr(ra),
                            crate::TimeoutError.into(),
                        )
                    });
                    break;
                }
                Some(dl) => Some(partial_deadline(now, dl, ras.len() - i)),
                None => None,
            };
            let (dial_ctx, _cancel) = narrow(ctx, share);
            match self.dial_single(&dial_ctx, ra) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| {
            OpError::new(Op::Dial, &self.name, None, None, errs::missing_address())
        }))
    }

    /// Dials one address (Go's `dialSingle`): the OpError names it.
    fn dial_single(&self, ctx: &Context, ra: &InetAddr) -> io::Result<Box<dyn Conn>> {
        let net = self.network;
        if net.is_ip() {
            let raddr = IPAddr {
                ip: ra.ip,
                zone: ra.zone.clone(),
            };
            let laddr = self.local.as_ref().map(IPAddr::from_sock_addr);
            let laddr = laddr.as_ref();
            return do_dial_ip(
                net,
                laddr,
                &raddr,
                self.dialer.control.as_deref(),
                Some(ctx),
            )
            .map(|c| Box::new(c) as Box<dyn Conn>)
            .map_err(|e| {
                OpError::new(
                    Op::Dial,
                    &self.name,
                    op_addr(laddr),
                    op_addr(Some(&raddr)),
                    e,
                )
            });
        }
        if net.is_tcp() {
            let raddr = TcpAddr {
                ip: ra.ip,
                port: ra.port,
                zone: ra.zone.clone(),
            };
            let laddr = self.local.as_ref().map(TcpAddr::from_sock_addr);
            let laddr = laddr.as_ref();
            do_dial_tcp(
                net,
                laddr,
                &raddr,
                Some(ctx),
                self.dialer.control.as_deref(),
                self.dialer.keep_alive,
                self.dialer.keep_alive_config,
            )
            .map(|c| Box::new(c) as Box<dyn Conn>)
            .map_err(|e| {
                OpError::new(
                    Op::Dial,
                    &self.name,
                    op_addr(laddr),
                    op_addr(Some(&raddr)),
                    e,
                )
            })
        } else {
            let raddr = UdpAddr {
                ip: ra.ip,
                port: ra.port,
                zone: ra.zone.clone(),
            };
            let laddr = self.local.as_ref().map(UdpAddr::from_sock_addr);
            let laddr = laddr.as_ref();
            do_dial_udp(net, laddr, &raddr, self.dialer.control.as_deref())
                .map(|c| Box::new(c) as Box<dyn Conn>)
                .map_err(|e| {
                    OpError::new(
                        Op::Dial,
                        &self.name,
                        op_addr(laddr),
                        op_addr(Some(&raddr)),
                        e,
                    )
                })
        }
    }

    /// Dials a Unix address (Go's `dialSingle`, Unix case).
    fn dial_unix(&self, ctx: &Context, raddr: &UnixAddr) -> io::Result<Box<dyn Conn>> {
        let laddr = self.local.as_ref().map(UnixAddr::from_sock_addr);
        let laddr = laddr.as_ref();
        do_dial_unix(
            raddr.net,
            laddr,
            raddr,
            Some(ctx),
            self.dialer.control.as_deref(),
        )
        .map(|c| Box::new(c) as Box<dyn Conn>)
        .map_err(|e| {
            OpError::new(
                Op::Dial,
                &self.name,
                op_addr(laddr),
                op_addr(Some(raddr)),
                e,
            )
        })
    }
}

/// A resolved internet address as the address type of `network`, boxed
/// as Go's `Addr` (the `*TCPAddr`, `*UDPAddr` or `*IPAddr` Go's resolver
/// builds for it).
fn inet_addr_boxed(network: Network, a: &InetAddr) -> Box<dyn Addr> {
    let (ip, port, zone) = (a.ip, a.port, a.zone.clone());
    if network.is_ip() {
        Box::new(IPAddr { ip, zone })
    } else if network.is_udp() {
        Box::new(UdpAddr { ip, port, zone })
    } else {
        Box::new(TcpAddr { ip, port, zone })
    }
}

/// The deadline for one of `addrs_remaining` addresses: an equal share of
/// the time left, but at least [`SANE_MINIMUM`] if that much is left (Go's
/// `partialDeadline`).
fn partial_deadline(now: Instant, deadline: Instant, addrs_remaining: usize) -> Instant {
    let remaining = deadline.saturating_duration_since(now);
    let share = remaining / u32::try_from(addrs_remaining.max(1)).unwrap_or(u32::MAX);
    if share < SANE_MINIMUM {
        if remaining < SANE_MINIMUM {
            return deadline;
        }
        return now + SANE_MINIMUM;
    }
    now + share
}

/// Options for listening (Go's `net.ListenConfig`).
#[derive(Clone, Default)]
pub struct ListenConfig {
    /// Called on each new socket before it is bound (Go's `Control`):
    /// the place to set `SO_REUSEPORT`.
    pub control: Option<Arc<Control>>,
    /// Keep-alive for accepted TCP conns, as [`Dialer::keep_alive`].
    pub keep_alive: Option<Duration>,
    /// Full keep-alive settings for accepted TCP conns.
    pub keep_alive_config: Option<KeepAliveConfig>,
}

impl std::fmt::Debug for ListenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenConfig")
            .field("control", &self.control.as_ref().map(|_| "Fn"))
            .field("keep_alive", &self.keep_alive)
            .field("keep_alive_config", &self.keep_alive_config)
            .finish()
    }
}

/// Listens on `address` (Go's `net.Listen`): `"tcp"`, `"tcp4"`, `"tcp6"`,
/// `"unix"` or `"unixpacket"`. A TCP address with an empty or unspecified
/// host listens on every local address; port 0 picks a free port, which
/// [`Listener::addr`] then reports.
///
/// ```
/// gort::run(|| {
///     let ln = gort::net::listen("tcp", "127.0.0.1:0").unwrap();
///     assert!(ln.addr().to_string().starts_with("127.0.0.1:"));
///     let err = gort::net::listen("tcp", ln.addr().to_string().as_str()).unwrap_err();
///     assert!(err.to_string().ends_with("bind: address already in use"), "{err}");
/// });
/// ```
// ANCHOR: Listen
#[doc(alias = "Listen")]
pub fn listen(network: &str, address: &str) -> io::Result<Box<dyn Listener>> {
    ListenConfig::default().listen(network, address)
}
// ANCHOR_END: Listen

/// Listens for datagrams on `address` (Go's `net.ListenPacket`): `"udp"`,
/// `"udp4"`, `"udp6"`, `"unixgram"`, or a raw IP network with its protocol
/// (`"ip4:icmp"`, `"ip6:58"`; `address` is then a host without a port).
///
/// ```
/// gort::run(|| {
///     let pc = gort::net::listen_packet("udp", "127.0.0.1:0").unwrap();
///     let addr = pc.local_addr();
///     pc.write_to(b"ping", &*addr).unwrap();
///     let mut buf = [0u8; 16];
///     let (n, from) = pc.read_from(&mut buf).unwrap();
///     assert_eq!(&buf[..n], b"ping");
///     assert_eq!(from.unwrap().to_string(), addr.to_string());
/// });
/// ```
#[doc(alias = "ListenPacket")]
pub fn listen_packet(network: &str, address: &str) -> io::Result<Box<dyn PacketConn>> {
    ListenConfig::default().listen_packet(network, address)
}

/// A listen under a context that is already done fails before it starts.
fn listen_ctx_check(ctx: &Context, network: &str) -> io::Result<()> {
    match ctx.err() {
        Some(err) => Err(OpError::new(Op::Listen, network, None, None, map_err(err))),
        None => Ok(()),
    }
}

impl ListenConfig {
    /// [`listen`](Self::listen) under a context (Go's `ListenConfig.Listen`,
    /// which takes one): a context already cancelled fails the call with
    /// `operation was canceled`. As in Go, the context only bounds setting
    /// up the listener, not the listener's life.
    #[doc(alias = "Listen")]
    pub fn listen_context(
        &self,
        ctx: &Context,
        network: &str,
        address: &str,
    ) -> io::Result<Box<dyn Listener>> {
        listen_ctx_check(ctx, network)?;
        self.listen(network, address)
    }

    /// [`listen_packet`](Self::listen_packet) under a context (Go's
    /// `ListenConfig.ListenPacket`).
    #[doc(alias = "ListenPacket")]
    pub fn listen_packet_context(
        &self,
        ctx: &Context,
        network: &str,
        address: &str,
    ) -> io::Result<Box<dyn PacketConn>> {
        listen_ctx_check(ctx, network)?;
        self.listen_packet(network, address)
    }

    /// Go's `ListenConfig.Listen` with a background context.
    // ANCHOR: ListenConfig_Listen
    pub fn listen(&self, network: &str, address: &str) -> io::Result<Box<dyn Listener>> {
        let op_err =
            |addr: Option<Box<dyn Addr>>, e| OpError::new(Op::Listen, network, None, addr, e);
        // The network asks for another kind of socket than this call makes.
        let unexpected = |addr: Option<Box<dyn Addr>>| {
            op_err(
                addr,
                AddrError::new("unexpected address type", address).into(),
            )
        };
        let net = socket_network(network).map_err(|e| op_err(None, e))?;
        let resolved =
            resolve_addr_list(Op::Listen, net, address, None).map_err(|e| op_err(None, e))?;
        match resolved {
            Resolved::Inet(list) => {
                let a = list.first_ipv4_or_any();
                if !net.is_tcp() {
                    return Err(unexpected(Some(inet_addr_boxed(net, &a))));
                }
                let laddr = TcpAddr {
                    ip: a.ip,
                    port: a.port,
                    zone: a.zone,
                };
                do_listen_tcp(net, &laddr, self.control.as_deref())
                    .map(|l| {
                        Box::new(l.with_keep_alive(self.keep_alive, self.keep_alive_config))
                            as Box<dyn Listener>
                    })
                    .map_err(|e| op_err(op_addr(Some(&laddr)), e))
            }
            // Go's `case *UnixAddr`: every Unix network, "unixgram" too.
            Resolved::Unix(u) => do_listen_unix(u.net, &u, self.control.as_deref())
                .map(|l| Box::new(l) as Box<dyn Listener>)
                .map_err(|e| op_err(op_addr(Some(&u)), e)),
        }
    }
    // ANCHOR_END: ListenConfig_Listen

    /// Go's `ListenConfig.ListenPacket`.
    #[doc(alias = "ListenPacket")]
    pub fn listen_packet(&self, network: &str, address: &str) -> io::Result<Box<dyn PacketConn>> {
        let op_err =
            |addr: Option<Box<dyn Addr>>, e| OpError::new(Op::Listen, network, None, addr, e);
        // The network asks for another kind of socket than this call makes.
        let unexpected = |addr: Option<Box<dyn Addr>>| {
            op_err(
                addr,
                AddrError::new("unexpected address type", address).into(),
            )
        };
        let net = socket_network(network).map_err(|e| op_err(None, e))?;
        let resolved =
            resolve_addr_list(Op::Listen, net, address, None).map_err(|e| op_err(None, e))?;
        match resolved {
            Resolved::Inet(list) => {
                let a = list.first_ipv4_or_any();
                if net.is_ip() {
                    let laddr = IPAddr {
                        ip: a.ip,
                        zone: a.zone,
                    };
                    return do_listen_ip(net, &laddr, self.control.as_deref())
                        .map(|c| Box::new(c) as Box<dyn PacketConn>)
                        .map_err(|e| op_err(op_addr(Some(&laddr)), e));
                }
                if !net.is_udp() {
                    return Err(unexpected(Some(inet_addr_boxed(net, &a))));
                }
                let laddr = UdpAddr {
                    ip: a.ip,
                    port: a.port,
                    zone: a.zone,
                };
                do_listen_udp(net, &laddr, self.control.as_deref())
                    .map(|c| Box::new(c) as Box<dyn PacketConn>)
                    .map_err(|e| op_err(op_addr(Some(&laddr)), e))
            }
            // Go's `case *UnixAddr`: every Unix network, "unix" too.
            Resolved::Unix(u) => do_listen_unixgram(u.net, &u, self.control.as_deref())
                .map(|c| Box::new(c) as Box<dyn PacketConn>)
                .map_err(|e| op_err(op_addr(Some(&u)), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_deadline_shares_fairly_with_a_floor() {
        let now = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(partial_deadline(now, now + s(10), 1), now + s(10));
        assert_eq!(partial_deadline(now, now + s(10), 2), now + s(5));
        // A share under two seconds is raised to two...
        assert_eq!(partial_deadline(now, now + s(10), 10), now + s(2));
        // ...unless less than that is left at all.
        assert_eq!(partial_deadline(now, now + s(1), 3), now + s(1));
    }
}
