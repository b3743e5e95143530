//! Mirrors Go src/net/interface.go (go1.27): network interfaces, their flags and addresses.
//!
//! An [`Interface`] is what the kernel knows of one network link: its
//! index (positive, never 0), name (`lo`, `eth0`, `eth0.100`), MTU,
//! hardware address and [`Flags`]. [`interfaces`] lists them all;
//! [`interface_by_index`] and [`interface_by_name`] find one, and
//! [`Interface::addrs`], [`Interface::multicast_addrs`] and
//! [`interface_addrs`] give the unicast networks and multicast groups
//! assigned to one or all of them. The tables come from the kernel on each
//! call (interface_linux.rs says how); nothing is cached.
//!
//! Errors are Go's: an [`OpError`] with op `route` and network `ip+net`,
//! such as `route ip+net: no such network interface`.
//!
//! Go returns the addresses as `[]Addr` holding `*IPNet` (unicast) or
//! `*IPAddr` (multicast) values; gort returns the concrete types,
//! `Vec<IPNet>` and `Vec<IPAddr>`, following the crate's rule that
//! `dyn Addr` appears only in the Go-shaped traits. Go's `zoneCache`, the
//! name ⇄ index map behind IPv6 zones, stays with its callers in
//! ipsock_posix.rs, which ask the kernel through `if_nametoindex(3)`.

use std::fmt;
use std::io;
use std::ops::{BitAnd, BitOr, BitOrAssign};

use crate::interface_linux::{
    interface_addr_table, interface_multicast_addr_table, interface_table,
};
use crate::{HardwareAddr, IPAddr, IPNet, Op, OpError};

/// Go's `errInvalidInterfaceIndex`.
const ERR_INVALID_INTERFACE_INDEX: &str = "invalid network interface index";
/// Go's `errInvalidInterfaceName`.
const ERR_INVALID_INTERFACE_NAME: &str = "invalid network interface name";
/// Go's `errNoSuchInterface`.
const ERR_NO_SUCH_INTERFACE: &str = "no such network interface";

/// A plain message as the error inside a route `OpError`, of `kind`.
fn plain(kind: io::ErrorKind, msg: &'static str) -> io::Error {
    io::Error::new(kind, msg)
}

/// Wraps `err` as Go's interface functions do: `route ip+net: err`.
fn route_err(err: io::Error) -> io::Error {
    OpError::new(Op::Route, "ip+net", None, None, err)
}

/// One network interface (Go's `net.Interface`): the name and index the
/// kernel knows it by, its MTU, its hardware address and its flags.
///
/// ```
/// let lo = gort_net::interface_by_name("lo").unwrap();
/// assert!(lo.flags.contains(gort_net::Flags::LOOPBACK));
/// assert_eq!(gort_net::interface_by_index(lo.index).unwrap(), lo);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Interface {
    /// A positive number; 0 is never used (Go's `Index`).
    pub index: i32,
    /// The maximum transmission unit, in bytes (Go's `MTU`).
    pub mtu: i32,
    /// The name, such as `"lo"`, `"eth0"` or `"eth0.100"` (Go's `Name`).
    pub name: String,
    /// The link-layer address: MAC-48, EUI-48 or EUI-64; empty for an
    /// interface without one (a loopback, most tunnels) (Go's
    /// `HardwareAddr`).
    pub hardware_addr: HardwareAddr,
    /// Up, loopback, multicast, ... (Go's `Flags`).
    pub flags: Flags,
}

/// An interface's flags (Go's `net.Flags`): a set of the six constants
/// below, combined with `|`.
///
/// Displays as Go's `String()`: the names of the flags set, joined by `|`
/// in the order of the constants (`up|broadcast|multicast|running`), or
/// `0` for none.
///
/// ```
/// use gort_net::Flags;
///
/// let f = Flags::UP | Flags::MULTICAST;
/// assert!(f.contains(Flags::UP));
/// assert_eq!(f.to_string(), "up|multicast");
/// assert_eq!(Flags::default().to_string(), "0");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u32);

impl Flags {
    /// The interface is administratively up (Go's `FlagUp`).
    #[doc(alias = "FlagUp")]
    pub const UP: Flags = Flags(1 << 0);
    /// It can broadcast (Go's `FlagBroadcast`).
    #[doc(alias = "FlagBroadcast")]
    pub const BROADCAST: Flags = Flags(1 << 1);
    /// It is a loopback interface (Go's `FlagLoopback`).
    #[doc(alias = "FlagLoopback")]
    pub const LOOPBACK: Flags = Flags(1 << 2);
    /// It is one end of a point-to-point link (Go's `FlagPointToPoint`).
    #[doc(alias = "FlagPointToPoint")]
    pub const POINT_TO_POINT: Flags = Flags(1 << 3);
    /// It can multicast (Go's `FlagMulticast`).
    #[doc(alias = "FlagMulticast")]
    pub const MULTICAST: Flags = Flags(1 << 4);
    /// It is running: resources are allocated and the link is usable
    /// (Go's `FlagRunning`).
    #[doc(alias = "FlagRunning")]
    pub const RUNNING: Flags = Flags(1 << 5);

    /// Whether every flag of `other` is set in `self`.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Go's `flagNames`: the name of each flag bit, in bit order.
const FLAG_NAMES: [&str; 6] = [
    "up",
    "broadcast",
    "loopback",
    "pointtopoint",
    "multicast",
    "running",
];

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = FLAG_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, name)| *name)
            .collect();
        if names.is_empty() {
            return f.pad("0");
        }
        f.pad(&names.join("|"))
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Flags {
    type Output = Flags;
    fn bitand(self, rhs: Flags) -> Flags {
        Flags(self.0 & rhs.0)
    }
}

impl Interface {
    /// The unicast networks assigned to the interface, IPv4 and IPv6, each
    /// as the address with its prefix (`127.0.0.1/8`) (Go's `Addrs`).
    ///
    /// ```
    /// let lo = gort_net::interface_by_name("lo").unwrap();
    /// let addrs: Vec<String> = lo.addrs().unwrap().iter().map(|a| a.to_string()).collect();
    /// assert!(addrs.contains(&"127.0.0.1/8".to_string()));
    /// ```
    #[doc(alias = "Addrs")]
    pub fn addrs(&self) -> io::Result<Vec<IPNet>> {
        interface_addr_table(Some(self)).map_err(route_err)
    }

    /// The multicast groups the interface has joined, IPv4 then IPv6 (Go's
    /// `MulticastAddrs`). Where the kernel does not publish them (no
    /// `/proc/net/igmp`), the list is empty.
    #[doc(alias = "MulticastAddrs")]
    pub fn multicast_addrs(&self) -> io::Result<Vec<IPAddr>> {
        interface_multicast_addr_table(Some(self)).map_err(route_err)
    }
}

/// The system's network interfaces, in the kernel's order (Go's
/// `Interfaces`).
///
/// ```
/// let ift = gort_net::interfaces().unwrap();
/// assert!(ift.iter().any(|ifi| ifi.name == "lo"));
/// ```
#[doc(alias = "Interfaces")]
pub fn interfaces() -> io::Result<Vec<Interface>> {
    interface_table(0).map_err(route_err)
}

/// The unicast networks of every interface (Go's `InterfaceAddrs`).
///
/// ```
/// let all = gort_net::interface_addrs().unwrap();
/// assert!(all.iter().any(|n| n.to_string() == "127.0.0.1/8"));
/// ```
#[doc(alias = "InterfaceAddrs")]
pub fn interface_addrs() -> io::Result<Vec<IPNet>> {
    interface_addr_table(None).map_err(route_err)
}

/// The interface with this index (Go's `InterfaceByIndex`). An index of 0
/// or less is `route ip+net: invalid network interface index`; one no
/// interface has, `route ip+net: no such network interface` (kind
/// `NotFound`).
///
/// ```
/// let err = gort_net::interface_by_index(0).unwrap_err();
/// assert_eq!(err.to_string(), "route ip+net: invalid network interface index");
/// ```
#[doc(alias = "InterfaceByIndex")]
pub fn interface_by_index(index: i32) -> io::Result<Interface> {
    if index <= 0 {
        return Err(route_err(plain(
            io::ErrorKind::InvalidInput,
            ERR_INVALID_INTERFACE_INDEX,
        )));
    }
    let ift = interface_table(index).map_err(route_err)?;
    ift.into_iter()
        .find(|ifi| ifi.index == index)
        .ok_or_else(|| route_err(plain(io::ErrorKind::NotFound, ERR_NO_SUCH_INTERFACE)))
}

/// The interface with this name (Go's `InterfaceByName`). An empty name is
/// `route ip+net: invalid network interface name`; one no interface has,
/// `route ip+net: no such network interface` (kind `NotFound`).
///
/// ```
/// let err = gort_net::interface_by_name("nosuch0").unwrap_err();
/// assert_eq!(err.to_string(), "route ip+net: no such network interface");
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// ```
#[doc(alias = "InterfaceByName")]
pub fn interface_by_name(name: &str) -> io::Result<Interface> {
    if name.is_empty() {
        return Err(route_err(plain(
            io::ErrorKind::InvalidInput,
            ERR_INVALID_INTERFACE_NAME,
        )));
    }
    let ift = interface_table(0).map_err(route_err)?;
    ift.into_iter()
        .find(|ifi| ifi.name == name)
        .ok_or_else(|| route_err(plain(io::ErrorKind::NotFound, ERR_NO_SUCH_INTERFACE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_like_go() {
        assert_eq!(Flags(0).to_string(), "0");
        assert_eq!(
            Flags(63).to_string(),
            "up|broadcast|loopback|pointtopoint|multicast|running"
        );
        // A bit Go has no name for is not printed.
        assert_eq!(Flags(1 << 7).to_string(), "0");
        assert_eq!(
            (Flags::UP | Flags::BROADCAST | Flags::MULTICAST | Flags::RUNNING).to_string(),
            "up|broadcast|multicast|running"
        );
        let mut f = Flags::default();
        assert!(f.is_empty());
        f |= Flags::LOOPBACK;
        assert_eq!(f & Flags::LOOPBACK, Flags::LOOPBACK);
        assert!(!f.contains(Flags::LOOPBACK | Flags::UP));
        assert_eq!(format!("{:>10}", Flags::UP), "        up");
    }

    #[test]
    fn bad_arguments_read_like_go() {
        assert_eq!(
            interface_by_index(-1).unwrap_err().to_string(),
            "route ip+net: invalid network interface index"
        );
        let err = interface_by_name("").unwrap_err();
        assert_eq!(
            err.to_string(),
            "route ip+net: invalid network interface name"
        );
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            interface_by_index(i32::MAX).unwrap_err().to_string(),
            "route ip+net: no such network interface"
        );
    }
}
