//! Mirrors Go src/net/net.go (go1.27), its package overview: gort-net is Go's `net` package (TCP, UDP and Unix sockets, addresses, errors,
//! the resolver) on gort-poll.
//!
//! Each module mirrors one file of Go's `src/net` and says which on its first
//! line; read them side by side.
//!
//! # Networks
//!
//! The Go-shaped entry points take the network by name, as Go's do
//! (`dial("tcp", ..)`, `listen_unix("unixpacket", ..)`), and read it once
//! into a [`Network`]; nothing below them looks at the name again. An
//! unknown one fails there with Go's text, `unknown network tpc`.
//!
//! # Addresses: one rule for every conn
//!
//! Each conn type has its own address type: [`TcpConn`] a [`TcpAddr`],
//! [`UdpConn`] a [`UdpAddr`], [`UnixConn`] a [`UnixAddr`], [`PipeConn`] a
//! [`PipeAddr`]; the listeners likewise ([`TcpListener::addr`],
//! [`UnixListener::addr`]).
//!
//! * `local_addr()` returns that type by value: every conn has a local
//!   address (a Unix socket that was never bound has the unnamed one,
//!   printed as `@` on Linux, as in Go).
//! * `remote_addr()` returns `Option` of it: `None` when the kernel reports
//!   no peer (an unconnected UDP or Unix datagram socket, a socket made
//!   from an unconnected descriptor); a dialed or accepted TCP conn always
//!   has one, and so does a pipe.
//! * The Go-shaped traits ([`Conn`], [`PacketConn`], [`Listener`]) return
//!   the same, boxed as Go's `Addr` interface: `Box<dyn Addr>` and
//!   `Option<Box<dyn Addr>>`. `dyn Addr` appears only there (and in
//!   [`OpError`] and [`Dialer::local_addr`], which are Go-shaped too).
//!
//! # Reading and writing
//!
//! Every conn method takes `&self`, as in Go: one goroutine may read while
//! another writes and a third closes. `write_all` does too, on the conn
//! types and on `dyn Conn`, so `conn.write_all(b)` works on an owned conn
//! and on a `Box<dyn Conn>` without `mut`, even while a
//! `BufReader::new(&conn)` reads from it. `io::Read` and `io::Write` are
//! implemented for each conn type, for a reference to it, and for
//! `&dyn Conn` and `&Box<dyn Conn>`; an owned `Box<dyn Conn>` is an
//! `io::Read`. The four conn types get all of this from one macro,
//! `conn_impls!` in net.rs, Go's embedded `conn` struct written once.

mod cgo_unix;
mod conf;
mod dial;
mod dnsclient;
mod dnsclient_unix;
mod dnsconfig_unix;
mod dnsmessage;
mod error_posix;
mod fd_posix;
mod fd_unix;
mod file_unix;
mod hosts;
mod interface;
mod interface_linux;
mod ip;
mod iprawsock;
mod iprawsock_posix;
mod ipsock;
mod ipsock_posix;
mod lookup;
mod lookup_unix;
mod mac;
mod net;
mod network;
mod parse;
mod pipe;
mod port;
mod port_unix;
mod rawconn;
mod sendfile_nonwindows;
mod sock_cloexec;
mod sock_linux;
mod sock_posix;
mod sockaddr_posix;
mod sockopt_linux;
mod sockopt_posix;
mod splice_linux;
mod tcpsock;
mod tcpsock_posix;
mod tcpsockopt_posix;
mod tcpsockopt_unix;
mod udpsock;
mod udpsock_posix;
mod unixsock;
mod unixsock_posix;

pub use dial::{Dialer, ListenConfig, dial, dial_timeout, listen, listen_packet};
pub use dnsclient::{MX, NS, SRV};
#[doc(hidden)]
pub use dnsmessage::parse_message_for_fuzzing;
pub use error_posix::{SyscallError, errno_text, wrap_syscall_error};
pub use file_unix::{file_conn, file_listener, file_packet_conn};
#[doc(hidden)]
pub use hosts::{HostsAddrEntry, HostsNameEntry, parse_hosts_for_fuzzing};
pub use interface::{
    Flags, Interface, interface_addrs, interface_by_index, interface_by_name, interfaces,
};
pub use ip::{IP, IPMask, IPNet, IPV4_LEN, IPV6_LEN, cidr_mask, ipv4_mask, parse_cidr, parse_ip};
pub use iprawsock::{IPAddr, IPConn, dial_ip, listen_ip, resolve_ip_addr};
pub use ipsock::{join_host_port, split_host_port};
pub use lookup::{
    DialFn, Resolver, default_resolver, lookup_addr, lookup_cname, lookup_host, lookup_ip,
    lookup_mx, lookup_ns, lookup_port, lookup_srv, lookup_txt,
};
pub use mac::{HardwareAddr, parse_mac};
pub use net::{
    Addr, AddrError, Buffers, CanceledError, Conn, DNSError, InvalidAddrError, Listener, NetError,
    Op, OpError, PacketConn, ParseError, TimeoutError, UnknownNetworkError, is_closed, is_timeout,
    op_error,
};
pub use network::{IpVersion, Network};
pub use pipe::{ClosedPipeError, PipeAddr, PipeConn, pipe};
#[doc(hidden)]
pub use port_unix::parse_services_for_fuzzing;
pub use rawconn::RawConn;
pub use sock_posix::Control;
pub use tcpsock::{
    KeepAliveConfig, TcpAddr, TcpConn, TcpListener, dial_tcp, listen_tcp, resolve_tcp_addr,
};
pub use udpsock::{UdpAddr, UdpConn, dial_udp, listen_multicast_udp, listen_udp, resolve_udp_addr};
pub use unixsock::{
    UnixAddr, UnixConn, UnixListener, dial_unix, listen_unix, listen_unixgram, resolve_unix_addr,
};
