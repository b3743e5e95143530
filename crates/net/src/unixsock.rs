//! Mirrors Go src/net/unixsock.go (go1.27): Unix domain socket addresses
//! and connections.
//!
//! Three socket types share one address type: `"unix"` (a byte stream,
//! like TCP), `"unixgram"` (datagrams, like UDP) and `"unixpacket"`
//! (`SOCK_SEQPACKET`: connected, reliable, and message boundaries kept).
//! A name that starts with `@` is in Linux's abstract namespace (no file on
//! disk; the `@` stands for the leading NUL byte), as in Go.

use std::any::Any;
use std::fmt;
use std::io;

use rustix::net::{SocketAddrAny, SocketAddrUnix};

use crate::sockaddr_posix::Sockaddr;
use crate::{Addr, UnknownNetworkError};

/// The address of a Unix domain socket end point (Go's `*net.UnixAddr`).
/// Displays as its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnixAddr {
    /// The path, `@name` for an abstract address, or empty (unnamed).
    pub name: String,
    /// `"unix"`, `"unixgram"` or `"unixpacket"`.
    pub net: &'static str,
}

impl UnixAddr {
    /// The address `name` on `net`, which must be `"unix"`, `"unixgram"`
    /// or `"unixpacket"` (Go's `ResolveUnixAddr`).
    pub fn new(net: &str, name: impl Into<String>) -> io::Result<UnixAddr> {
        let net = match net {
            "unix" => "unix",
            "unixgram" => "unixgram",
            "unixpacket" => "unixpacket",
            _ => return Err(UnknownNetworkError(net.into()).into()),
        };
        Ok(UnixAddr {
            name: name.into(),
            net,
        })
    }

    /// Decodes a kernel address; an unnamed socket has an empty name.
    pub(crate) fn from_sockaddr(sa: &SocketAddrAny, net: &'static str) -> Option<UnixAddr> {
        let u = SocketAddrUnix::try_from(sa.clone()).ok()?;
        let name = if let Some(p) = u.path_bytes() {
            String::from_utf8_lossy(p).into_owned()
        } else if let Some(a) = u.abstract_name() {
            format!("@{}", String::from_utf8_lossy(a))
        } else {
            String::new()
        };
        Some(UnixAddr { name, net })
    }
}

/// Resolves a Unix address: it is the name itself (Go's `ResolveUnixAddr`).
#[doc(alias = "ResolveUnixAddr")]
pub fn resolve_unix_addr(network: &str, address: &str) -> io::Result<UnixAddr> {
    UnixAddr::new(network, address)
}

impl fmt::Display for UnixAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Addr for UnixAddr {
    fn network(&self) -> &'static str {
        self.net
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(self.clone())
    }
}

impl Sockaddr for UnixAddr {
    fn family(&self) -> i32 {
        libc::AF_UNIX
    }
    fn is_wildcard(&self) -> bool {
        false
    }
    /// `None` for an empty name (nothing to bind: the kernel autobinds);
    /// `@name` is abstract.
    fn sockaddr(&self, _family: i32) -> io::Result<Option<SocketAddrAny>> {
        if self.name.is_empty() {
            return Ok(None);
        }
        let sa = match self.name.strip_prefix('@') {
            Some(abs) => SocketAddrUnix::new_abstract_name(abs.as_bytes()),
            None => SocketAddrUnix::new(self.name.as_str()),
        }
        .map_err(|_| {
            io::Error::from(crate::AddrError::new("invalid address", self.name.clone()))
        })?;
        Ok(Some(sa.into()))
    }
}
