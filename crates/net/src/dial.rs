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
//! The context-taking variants of Go (`DialContext`, `ListenConfig.Listen`
//! with a context) belong with the context package (gort's sync/context
//! work); the seam is the `deadline` every dial already carries.

use std::io;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ipsock::{AddrList, InetAddr};
use crate::net::errs;
use crate::sock_posix::Control;
use crate::tcpsock::{KeepAliveConfig, do_dial_tcp, do_listen_tcp, static_net};
use crate::udpsock_posix::{do_dial_udp, do_listen_udp};
use crate::unixsock_posix::{do_dial_unix, do_listen_unix, do_listen_unixgram};
use crate::{
    Addr, AddrError, Conn, Listener, OpError, PacketConn, TcpAddr, UdpAddr, UnixAddr,
    UnknownNetworkError,
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
/// `"unix"`, `"unixgram"`, `"unixpacket"`. For TCP and UDP, `address` is
/// `host:port` (`"localhost:http"`, `"[::1]:80"`, `"198.51.100.1:80"`);
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
    fn deadline(&self, now: Instant) -> Option<Instant> {
        let t = self.timeout.map(|t| now + t);
        match (t, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Connects to `address` on `network` with these options (Go's `Dial`).
    #[doc(alias = "Dial")]
    pub fn dial(&self, network: &str, address: &str) -> io::Result<Box<dyn Conn>> {
        let deadline = self.deadline(Instant::now());
        let addrs = resolve_addr_list("dial", network, address, self.local_addr.as_deref())
            .map_err(|e| OpError::new("dial", network, None, None, e))?;
        let sd = SysDialer {
            dialer: self.clone(),
            network: network.to_string(),
            address: address.to_string(),
        };
        let (primaries, fallbacks) = match &addrs {
            Resolved::Inet(list)
                if network == "tcp" && self.fallback_delay != Some(Duration::ZERO) =>
            {
                list.partition_by_first_family()
            }
            Resolved::Inet(list) => (list.clone(), AddrList::default()),
            Resolved::Unix(u) => return sd.dial_unix(u, deadline),
        };
        sd.dial_parallel(primaries, fallbacks, deadline)
    }
}

/// A resolved dial or listen target.
enum Resolved {
    Inet(AddrList),
    Unix(UnixAddr),
}

/// Resolves `addr` on `network` for `op` ("dial" or "listen"), checking it
/// against the local address `hint` (Go's `Resolver.resolveAddrList`).
fn resolve_addr_list(
    op: &str,
    network: &str,
    addr: &str,
    hint: Option<&dyn Addr>,
) -> io::Result<Resolved> {
    let afnet = parse_network(network)?;
    if op == "dial" && addr.is_empty() {
        return Err(errs::missing_address());
    }
    if matches!(afnet, "unix" | "unixgram" | "unixpacket") {
        let a = UnixAddr::new(afnet, addr)?;
        if op == "dial" && hint.is_some_and(|h| h.network() != a.network()) {
            let h = hint.map(|h| h.to_string()).unwrap_or_default();
            return Err(AddrError::new("mismatched local address type", h).into());
        }
        return Ok(Resolved::Unix(a));
    }
    let mut list = crate::ipsock::internet_addr_list(afnet, addr)?;
    if op != "dial" {
        return Ok(Resolved::Inet(list));
    }
    let Some(hint) = hint else {
        return Ok(Resolved::Inet(list));
    };
    // The local address must be of the network's kind, and of a family the
    // remote addresses can be reached from.
    let hint_ip = if afnet.starts_with("tcp") {
        hint.as_any().downcast_ref::<TcpAddr>().map(|a| a.ip)
    } else {
        hint.as_any().downcast_ref::<UdpAddr>().map(|a| a.ip)
    };
    let Some(hint_ip) = hint_ip else {
        return Err(AddrError::new("mismatched local address type", hint.to_string()).into());
    };
    let wildcard = hint_ip.is_nil() || hint_ip.is_unspecified();
    if !wildcard {
        let hint_v4 = hint_ip.to4().is_some();
        list.retain(|a| (a.ip.to4().is_some()) == hint_v4 || a.ip.is_nil());
        if list.is_empty() {
            return Err(AddrError::new("no suitable address found", hint.to_string()).into());
        }
    }
    Ok(Resolved::Inet(list))
}

/// Checks a network name (Go's `parseNetwork`, for the networks gort
/// implements; raw IP networks are not).
fn parse_network(network: &str) -> io::Result<&'static str> {
    static_net(network).ok_or_else(|| UnknownNetworkError(network.into()).into())
}

/// One dial in progress (Go's `sysDialer`).
struct SysDialer {
    dialer: Dialer,
    network: String,
    address: String,
}

/// What one racer of `dial_parallel` reports.
struct Outcome {
    primary: bool,
    result: io::Result<Box<dyn Conn>>,
}

impl SysDialer {
    /// Races the two families (Go's `dialParallel`). With no fallbacks it
    /// is `dial_serial` on the primaries.
    fn dial_parallel(
        &self,
        primaries: AddrList,
        fallbacks: AddrList,
        deadline: Option<Instant>,
    ) -> io::Result<Box<dyn Conn>> {
        if fallbacks.is_empty() {
            return self.dial_serial(&primaries, deadline);
        }
        let delay = self.dialer.fallback_delay.unwrap_or(DEFAULT_FALLBACK_DELAY);
        // Results and the semaphore the waiting goroutine sleeps on; the
        // fallback racer waits on its own semaphore, released by a timer
        // after `delay` or by the primary's failure, whichever comes first.
        struct Race {
            results: Mutex<Vec<Outcome>>,
            /// A racer won. Stored (Release) by the waiter, loaded (Acquire)
            /// by the racers; it only lets a late racer skip its dial or
            /// close its conn early, so a stale read costs time, not
            /// correctness (the conn is closed when `results` drops).
            done: std::sync::atomic::AtomicBool,
            ready: AtomicU32,
            start_fallback: AtomicU32,
        }
        let race = Arc::new(Race {
            results: Mutex::new(Vec::new()),
            done: std::sync::atomic::AtomicBool::new(false),
            ready: AtomicU32::new(0),
            start_fallback: AtomicU32::new(0),
        });
        let this = Arc::new(SysDialer {
            dialer: self.dialer.clone(),
            network: self.network.clone(),
            address: self.address.clone(),
        });
        let racer = |primary: bool, list: AddrList| {
            let race = race.clone();
            let this = this.clone();
            gort_runtime::spawn(move || {
                if !primary {
                    gort_runtime::semacquire(&race.start_fallback);
                    if race.done.load(std::sync::atomic::Ordering::Acquire) {
                        return;
                    }
                }
                let result = this.dial_serial(&list, deadline);
                if primary && result.is_err() {
                    gort_runtime::semrelease(&race.start_fallback);
                }
                // A winner already returned: close what we made now rather
                // than when the race is dropped. Acquire pairs with the
                // winner's Release store; a stale `false` only delays the
                // close to the drop of `results`.
                if race.done.load(std::sync::atomic::Ordering::Acquire)
                    && let Ok(c) = &result
                {
                    let _ = c.close();
                }
                race.results
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Outcome { primary, result });
                gort_runtime::semrelease(&race.ready);
            });
        };
        racer(true, primaries);
        racer(false, fallbacks);
        let timer = {
            let race = race.clone();
            gort_runtime::time::after_func(delay, move || {
                gort_runtime::semrelease(&race.start_fallback)
            })
        };
        let mut first_primary_err = None;
        let mut first_fallback_err = None;
        for _ in 0..2 {
            gort_runtime::semacquire(&race.ready);
            let out = race
                .results
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .expect("dialParallel: a racer signalled without a result");
            match out.result {
                Ok(c) => {
                    race.done.store(true, std::sync::atomic::Ordering::Release);
                    timer.stop();
                    // Let a fallback still waiting to start go, and exit.
                    gort_runtime::semrelease(&race.start_fallback);
                    // The loser, when it finishes, sees `done` and closes
                    // its conn; we do not wait for it.
                    return Ok(c);
                }
                Err(e) if out.primary => first_primary_err = Some(e),
                Err(e) => first_fallback_err = Some(e),
            }
        }
        Err(first_primary_err
            .or(first_fallback_err)
            .unwrap_or_else(errs::missing_address))
    }

    /// Tries each address in turn until one connects (Go's `dialSerial`).
    fn dial_serial(&self, ras: &AddrList, deadline: Option<Instant>) -> io::Result<Box<dyn Conn>> {
        let mut first_err = None;
        for (i, ra) in ras.iter().enumerate() {
            let now = Instant::now();
            let d = match deadline {
                Some(dl) if dl <= now => {
                    return Err(first_err.unwrap_or_else(|| {
                        OpError::new(
                            "dial",
                            &self.network,
                            None,
                            None,
                            crate::TimeoutError.into(),
                        )
                    }));
                }
                Some(dl) => Some(partial_deadline(now, dl, ras.len() - i)),
                None => None,
            };
            match self.dial_single(ra, d) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| {
            OpError::new("dial", &self.network, None, None, errs::missing_address())
        }))
    }

    /// Dials one address (Go's `dialSingle`): the OpError names it.
    fn dial_single(&self, ra: &InetAddr, deadline: Option<Instant>) -> io::Result<Box<dyn Conn>> {
        let net = static_net(&self.network).unwrap_or("tcp");
        let la = self.dialer.local_addr.as_deref();
        if net.starts_with("tcp") {
            let raddr = TcpAddr {
                ip: ra.ip,
                port: ra.port,
                zone: ra.zone.clone(),
            };
            let laddr = la.and_then(|a| a.as_any().downcast_ref::<TcpAddr>());
            do_dial_tcp(
                net,
                laddr,
                &raddr,
                deadline,
                self.dialer.control.as_deref(),
                self.dialer.keep_alive,
                self.dialer.keep_alive_config,
            )
            .map(|c| Box::new(c) as Box<dyn Conn>)
            .map_err(|e| {
                OpError::new(
                    "dial",
                    &self.network,
                    TcpAddr::op_addr(laddr),
                    TcpAddr::op_addr(Some(&raddr)),
                    e,
                )
            })
        } else {
            let raddr = UdpAddr {
                ip: ra.ip,
                port: ra.port,
                zone: ra.zone.clone(),
            };
            let laddr = la.and_then(|a| a.as_any().downcast_ref::<UdpAddr>());
            do_dial_udp(net, laddr, &raddr, self.dialer.control.as_deref())
                .map(|c| Box::new(c) as Box<dyn Conn>)
                .map_err(|e| {
                    OpError::new(
                        "dial",
                        &self.network,
                        op_addr(laddr),
                        op_addr(Some(&raddr)),
                        e,
                    )
                })
        }
    }

    /// Dials a Unix address (Go's `dialSingle`, Unix case).
    fn dial_unix(&self, raddr: &UnixAddr, deadline: Option<Instant>) -> io::Result<Box<dyn Conn>> {
        let laddr = self
            .dialer
            .local_addr
            .as_deref()
            .and_then(|a| a.as_any().downcast_ref::<UnixAddr>());
        do_dial_unix(
            raddr.net,
            laddr,
            raddr,
            deadline,
            self.dialer.control.as_deref(),
        )
        .map(|c| Box::new(c) as Box<dyn Conn>)
        .map_err(|e| {
            OpError::new(
                "dial",
                &self.network,
                op_addr(laddr),
                op_addr(Some(raddr)),
                e,
            )
        })
    }
}

/// The address an error names, boxed (Go's `opAddr`).
fn op_addr<A: Addr + Clone>(a: Option<&A>) -> Option<Box<dyn Addr>> {
    a.map(|a| Box::new(a.clone()) as Box<dyn Addr>)
}

/// The deadline for one of `addrs_remaining` addresses: an equal share of
/// the time left, but at least [`SANE_MINIMUM`] if that much is left (Go's
/// `partialDeadline`).
fn partial_deadline(now: Instant, deadline: Instant, addrs_remaining: usize) -> Instant {
    let remaining = deadline.saturating_duration_since(now);
    let share = remaining / addrs_remaining.max(1) as u32;
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
#[doc(alias = "Listen")]
pub fn listen(network: &str, address: &str) -> io::Result<Box<dyn Listener>> {
    ListenConfig::default().listen(network, address)
}

/// Listens for datagrams on `address` (Go's `net.ListenPacket`): `"udp"`,
/// `"udp4"`, `"udp6"` or `"unixgram"`.
///
/// ```
/// gort::run(|| {
///     let pc = gort::net::listen_packet("udp", "127.0.0.1:0").unwrap();
///     let addr = pc.local_addr().unwrap();
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

impl ListenConfig {
    /// Go's `ListenConfig.Listen`.
    pub fn listen(&self, network: &str, address: &str) -> io::Result<Box<dyn Listener>> {
        let op_err =
            |addr: Option<Box<dyn Addr>>, e| OpError::new("listen", network, None, addr, e);
        // The network asks for another kind of socket than this call makes.
        let unexpected = |addr: Option<Box<dyn Addr>>| {
            op_err(
                addr,
                AddrError::new("unexpected address type", address).into(),
            )
        };
        let resolved =
            resolve_addr_list("listen", network, address, None).map_err(|e| op_err(None, e))?;
        match resolved {
            Resolved::Inet(list) => {
                let net = static_net(network).unwrap_or("tcp");
                let a = list.first_ipv4_or_any();
                let laddr = TcpAddr {
                    ip: a.ip,
                    port: a.port,
                    zone: a.zone,
                };
                if !net.starts_with("tcp") {
                    return Err(unexpected(op_addr(Some(&laddr))));
                }
                do_listen_tcp(net, &laddr, self.control.as_deref())
                    .map(|l| {
                        Box::new(l.with_keep_alive(self.keep_alive, self.keep_alive_config))
                            as Box<dyn Listener>
                    })
                    .map_err(|e| op_err(TcpAddr::op_addr(Some(&laddr)), e))
            }
            Resolved::Unix(u) => {
                if u.net == "unixgram" {
                    return Err(unexpected(op_addr(Some(&u))));
                }
                do_listen_unix(u.net, &u, self.control.as_deref())
                    .map(|l| Box::new(l) as Box<dyn Listener>)
                    .map_err(|e| op_err(op_addr(Some(&u)), e))
            }
        }
    }

    /// Go's `ListenConfig.ListenPacket`.
    #[doc(alias = "ListenPacket")]
    pub fn listen_packet(&self, network: &str, address: &str) -> io::Result<Box<dyn PacketConn>> {
        let op_err =
            |addr: Option<Box<dyn Addr>>, e| OpError::new("listen", network, None, addr, e);
        // The network asks for another kind of socket than this call makes.
        let unexpected = |addr: Option<Box<dyn Addr>>| {
            op_err(
                addr,
                AddrError::new("unexpected address type", address).into(),
            )
        };
        let resolved =
            resolve_addr_list("listen", network, address, None).map_err(|e| op_err(None, e))?;
        match resolved {
            Resolved::Inet(list) => {
                let net = static_net(network).unwrap_or("udp");
                let a = list.first_ipv4_or_any();
                let laddr = UdpAddr {
                    ip: a.ip,
                    port: a.port,
                    zone: a.zone,
                };
                if !net.starts_with("udp") {
                    return Err(unexpected(op_addr(Some(&laddr))));
                }
                do_listen_udp(net, &laddr, self.control.as_deref())
                    .map(|c| Box::new(c) as Box<dyn PacketConn>)
                    .map_err(|e| op_err(op_addr(Some(&laddr)), e))
            }
            Resolved::Unix(u) => {
                if u.net != "unixgram" {
                    return Err(unexpected(op_addr(Some(&u))));
                }
                do_listen_unixgram(&u, self.control.as_deref())
                    .map(|c| Box::new(c) as Box<dyn PacketConn>)
                    .map_err(|e| op_err(op_addr(Some(&u)), e))
            }
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
