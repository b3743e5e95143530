//! Mirrors Go src/net/interface_linux.go (go1.27): the interface and address tables, from netlink and /proc.
//!
//! Linux answers "which interfaces, which addresses" over a
//! `NETLINK_ROUTE` socket: a dump request (`RTM_GETLINK` for the links,
//! `RTM_GETADDR` for the addresses) brings back a stream of messages, one
//! per interface or address, ended by `NLMSG_DONE` (Go's
//! `syscall.NetlinkRIB`, here [`netlink_rib`]). Each message is a fixed
//! header (`ifinfomsg`, `ifaddrmsg`) followed by type-length-value route
//! attributes: the name, MTU and hardware address of a link; the address
//! of an address. Every length in those messages is checked against the
//! bytes actually received before it is used: a short or inconsistent
//! message is Go's `EINVAL` (`parsenetlinkmessage: invalid argument`),
//! never a panic.
//!
//! Multicast memberships are not in the netlink dumps; Go reads them from
//! `/proc/net/igmp` (IPv4, the group as a little-endian hex word under an
//! interface's line) and `/proc/net/igmp6` (IPv6, one line per group), and
//! so does gort. A missing file is an empty list.
//!
//! The netlink socket is a plain blocking one, as in Go: the kernel answers
//! a dump at once, from its own tables, so the calls never wait on the
//! network.

use std::io;

use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

use crate::error_posix::wrap_syscall_error;
use crate::parse::{split_at_bytes, xtoi2};
use crate::{
    Flags, HardwareAddr, IP, IPAddr, IPMask, IPNet, IPV4_LEN, IPV6_LEN, Interface, cidr_mask,
};

/// The size of a netlink message header (`struct nlmsghdr`, Go's
/// `NLMSG_HDRLEN`).
const NLMSG_HDRLEN: usize = 16;
/// The size of a route attribute header (`struct rtattr`).
const SIZEOF_RTATTR: usize = 4;
/// The size of `struct ifinfomsg`, the fixed part of a link message.
const SIZEOF_IFINFOMSG: usize = 16;
/// The size of `struct ifaddrmsg`, the fixed part of an address message.
const SIZEOF_IFADDRMSG: usize = 8;
/// How much one `recvfrom` may bring back. Go uses a page; the kernel
/// sizes dump batches by what readers ask for, up to 32 KiB, so this holds
/// any batch whole.
const RECV_BUF_SIZE: usize = 32 << 10;

/// Link types whose `IFLA_ADDRESS` is a tunnel's IP address rather than a
/// hardware address (Go's `sysARPHardware*`; `ARPHRD_*` in
/// `<linux/if_arp.h>`).
const ARP_HARDWARE_IPV4_IPV4: u16 = 768; // IPv4 over IPv4
const ARP_HARDWARE_IPV6_IPV6: u16 = 769; // IPv6 over IPv6
const ARP_HARDWARE_IPV6_IPV4: u16 = 776; // IPv6 over IPv4
const ARP_HARDWARE_GRE_IPV4: u16 = 778; // anything over GRE over IPv4
const ARP_HARDWARE_GRE_IPV6: u16 = 823; // anything over GRE over IPv6

/// Go's `EINVAL` from the netlink parsers, named after the step that
/// failed (`netlinkrib: invalid argument`).
fn einval(step: &'static str) -> io::Error {
    wrap_syscall_error(step, io::Error::from_raw_os_error(libc::EINVAL))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// `n` rounded up to the netlink alignment of 4 bytes (Go's `nlmAlignOf`
/// and `rtaAlignOf`, which are the same).
fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// One netlink message (Go's `syscall.NetlinkMessage`): the header fields
/// gort reads, and the payload after the header.
#[derive(Debug)]
pub(crate) struct NetlinkMessage<'a> {
    pub(crate) typ: u16,
    pub(crate) seq: u32,
    pub(crate) pid: u32,
    pub(crate) data: &'a [u8],
}

/// Splits a buffer of netlink messages (Go's `ParseNetlinkMessage`). A
/// header whose length is shorter than a header, or whose aligned length
/// runs past the buffer, is `EINVAL`; trailing bytes too few for a header
/// are ignored, as in Go.
pub(crate) fn parse_netlink_message(mut b: &[u8]) -> io::Result<Vec<NetlinkMessage<'_>>> {
    let bad = || einval("parsenetlinkmessage");
    let mut msgs = Vec::new();
    while b.len() >= NLMSG_HDRLEN {
        let len = u32_at(b, 0).ok_or_else(bad)? as usize;
        let aligned = align4(len);
        if len < NLMSG_HDRLEN || aligned > b.len() {
            return Err(bad());
        }
        msgs.push(NetlinkMessage {
            typ: u16_at(b, 4).ok_or_else(bad)?,
            seq: u32_at(b, 8).ok_or_else(bad)?,
            pid: u32_at(b, 12).ok_or_else(bad)?,
            data: &b[NLMSG_HDRLEN..len],
        });
        b = &b[aligned..];
    }
    Ok(msgs)
}

/// One route attribute (Go's `syscall.NetlinkRouteAttr`): its type and
/// value.
#[derive(Debug)]
pub(crate) struct RouteAttr<'a> {
    pub(crate) typ: u16,
    pub(crate) value: &'a [u8],
}

/// The route attributes after the fixed header of a link or address
/// message (Go's `ParseNetlinkRouteAttr`). A message of another type, one
/// too short for its fixed header, or an attribute whose length is shorter
/// than its header or runs past the message, is `EINVAL`.
pub(crate) fn parse_route_attrs<'a>(m: &NetlinkMessage<'a>) -> io::Result<Vec<RouteAttr<'a>>> {
    let bad = || einval("parsenetlinkrouteattr");
    let fixed = match m.typ {
        libc::RTM_NEWLINK | libc::RTM_DELLINK => SIZEOF_IFINFOMSG,
        libc::RTM_NEWADDR | libc::RTM_DELADDR => SIZEOF_IFADDRMSG,
        _ => return Err(bad()),
    };
    let mut b = m.data.get(fixed..).ok_or_else(bad)?;
    let mut attrs = Vec::new();
    while b.len() >= SIZEOF_RTATTR {
        let len = usize::from(u16_at(b, 0).ok_or_else(bad)?);
        if len < SIZEOF_RTATTR || len > b.len() {
            return Err(bad());
        }
        attrs.push(RouteAttr {
            typ: u16_at(b, 2).ok_or_else(bad)?,
            value: &b[SIZEOF_RTATTR..len],
        });
        // The last attribute's padding may be missing.
        b = b.get(align4(len)..).unwrap_or(&[]);
    }
    Ok(attrs)
}

/// Dumps one of the kernel's routing tables over a `NETLINK_ROUTE` socket
/// (Go's `syscall.NetlinkRIB`): `typ` is `RTM_GETLINK` or `RTM_GETADDR`,
/// `family` narrows the dump (`AF_UNSPEC`: all). Returns the raw messages,
/// all batches, up to and including `NLMSG_DONE`. Any message that is not
/// the answer to this request (another sequence number or port id), or an
/// `NLMSG_ERROR`, is `netlinkrib: invalid argument`, as in Go.
pub(crate) fn netlink_rib(typ: u16, family: u8) -> io::Result<Vec<u8>> {
    let rib = |e: rustix::io::Errno| wrap_syscall_error("netlinkrib", e.into());
    let s = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        None, // NETLINK_ROUTE
    )
    .map_err(rib)?;
    let kernel = SocketAddrNetlink::new(0, 0);
    rustix::net::bind(&s, &kernel).map_err(rib)?;

    // struct nlmsghdr, then struct rtgenmsg (one byte: the family). Go
    // sends exactly these 17 bytes, with sequence number 1.
    let mut req = Vec::with_capacity(NLMSG_HDRLEN + 1);
    req.extend_from_slice(&((NLMSG_HDRLEN + 1) as u32).to_ne_bytes());
    req.extend_from_slice(&typ.to_ne_bytes());
    req.extend_from_slice(&((libc::NLM_F_DUMP | libc::NLM_F_REQUEST) as u16).to_ne_bytes());
    req.extend_from_slice(&1u32.to_ne_bytes()); // seq
    req.extend_from_slice(&0u32.to_ne_bytes()); // pid: the kernel's
    req.push(family);
    rustix::net::sendto(&s, &req, SendFlags::empty(), &kernel).map_err(rib)?;

    let local = rustix::net::getsockname(&s).map_err(rib)?;
    let pid = SocketAddrNetlink::try_from(local)
        .map_err(|_| einval("netlinkrib"))?
        .pid();

    let mut tab = Vec::new();
    let mut rb = vec![0u8; RECV_BUF_SIZE];
    loop {
        let n = match rustix::net::recvfrom(&s, &mut rb[..], RecvFlags::empty()) {
            Ok((n, _, _)) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(rib(e)),
        };
        if n < NLMSG_HDRLEN {
            return Err(einval("netlinkrib"));
        }
        let batch = &rb[..n];
        tab.extend_from_slice(batch);
        for m in parse_netlink_message(batch)? {
            if m.seq != 1 || m.pid != pid {
                return Err(einval("netlinkrib"));
            }
            match i32::from(m.typ) {
                libc::NLMSG_DONE => return Ok(tab),
                libc::NLMSG_ERROR => return Err(einval("netlinkrib")),
                _ => {}
            }
        }
    }
}

/// The interfaces, or only the one with index `ifindex` if it is not 0
/// (Go's `interfaceTable`).
pub(crate) fn interface_table(ifindex: i32) -> io::Result<Vec<Interface>> {
    let tab = netlink_rib(libc::RTM_GETLINK, libc::AF_UNSPEC as u8)?;
    let msgs = parse_netlink_message(&tab)?;
    link_table(ifindex, &msgs)
}

/// The interfaces described by the `RTM_NEWLINK` messages of `msgs`, up to
/// `NLMSG_DONE`, or only the one with index `ifindex` if it is not 0.
fn link_table(ifindex: i32, msgs: &[NetlinkMessage<'_>]) -> io::Result<Vec<Interface>> {
    let mut ift = Vec::new();
    for m in msgs {
        match m.typ {
            t if i32::from(t) == libc::NLMSG_DONE => break,
            libc::RTM_NEWLINK => {
                // struct ifinfomsg: family, pad, type (u16), index (i32),
                // flags (u32), change (u32).
                if m.data.len() < SIZEOF_IFINFOMSG {
                    return Err(einval("parsenetlinkrouteattr"));
                }
                let index = u32_at(m.data, 4).unwrap_or(0) as i32;
                if ifindex != 0 && ifindex != index {
                    continue;
                }
                let hw_type = u16_at(m.data, 2).unwrap_or(0);
                let raw_flags = u32_at(m.data, 8).unwrap_or(0);
                let attrs = parse_route_attrs(m)?;
                ift.push(new_link(index, hw_type, raw_flags, &attrs));
                if ifindex == index {
                    break;
                }
            }
            _ => {}
        }
    }
    Ok(ift)
}

/// An interface from its link message (Go's `newLink`). The hardware
/// address is left empty when it is all zeros (a loopback's), or when it
/// is really a tunnel's endpoint IP address.
fn new_link(index: i32, hw_type: u16, raw_flags: u32, attrs: &[RouteAttr<'_>]) -> Interface {
    let mut ifi = Interface {
        index,
        flags: link_flags(raw_flags),
        ..Interface::default()
    };
    for a in attrs {
        match a.typ {
            libc::IFLA_ADDRESS => {
                let tunnel_ip = match a.value.len() {
                    IPV4_LEN => matches!(
                        hw_type,
                        ARP_HARDWARE_IPV4_IPV4 | ARP_HARDWARE_GRE_IPV4 | ARP_HARDWARE_IPV6_IPV4
                    ),
                    IPV6_LEN => matches!(hw_type, ARP_HARDWARE_IPV6_IPV6 | ARP_HARDWARE_GRE_IPV6),
                    _ => false,
                };
                if !tunnel_ip && a.value.iter().any(|&b| b != 0) {
                    ifi.hardware_addr = HardwareAddr::from(a.value);
                }
            }
            libc::IFLA_IFNAME => {
                // NUL-terminated.
                let name = a.value.split(|&b| b == 0).next().unwrap_or_default();
                ifi.name = String::from_utf8_lossy(name).into_owned();
            }
            libc::IFLA_MTU => {
                if let Some(mtu) = u32_at(a.value, 0) {
                    ifi.mtu = mtu as i32;
                }
            }
            _ => {}
        }
    }
    ifi
}

/// The kernel's `IFF_*` link flags as Go's [`Flags`] (Go's `linkFlags`).
fn link_flags(raw: u32) -> Flags {
    let pairs = [
        (libc::IFF_UP, Flags::UP),
        (libc::IFF_RUNNING, Flags::RUNNING),
        (libc::IFF_BROADCAST, Flags::BROADCAST),
        (libc::IFF_LOOPBACK, Flags::LOOPBACK),
        (libc::IFF_POINTOPOINT, Flags::POINT_TO_POINT),
        (libc::IFF_MULTICAST, Flags::MULTICAST),
    ];
    let mut f = Flags::default();
    for (iff, flag) in pairs {
        if raw & iff as u32 != 0 {
            f |= flag;
        }
    }
    f
}

/// The unicast addresses of `ifi`, or of every interface for `None` (Go's
/// `interfaceAddrTable`).
pub(crate) fn interface_addr_table(ifi: Option<&Interface>) -> io::Result<Vec<IPNet>> {
    let tab = netlink_rib(libc::RTM_GETADDR, libc::AF_UNSPEC as u8)?;
    let msgs = parse_netlink_message(&tab)?;
    addr_table(ifi, &msgs)
}

/// The addresses of the `RTM_NEWADDR` messages of `msgs` up to
/// `NLMSG_DONE`, of `ifi` only if given (Go's `addrTable`).
fn addr_table(ifi: Option<&Interface>, msgs: &[NetlinkMessage<'_>]) -> io::Result<Vec<IPNet>> {
    let mut ifat = Vec::new();
    for m in msgs {
        match m.typ {
            t if i32::from(t) == libc::NLMSG_DONE => break,
            libc::RTM_NEWADDR => {
                // struct ifaddrmsg: family, prefixlen, flags, scope (u8
                // each), index (u32).
                if m.data.len() < SIZEOF_IFADDRMSG {
                    return Err(einval("parsenetlinkrouteattr"));
                }
                let index = u32_at(m.data, 4).unwrap_or(0) as i32;
                if ifi.is_some_and(|ifi| ifi.index != index) {
                    continue;
                }
                let attrs = parse_route_attrs(m)?;
                if let Some(ifa) = new_addr(m.data[0], m.data[1], &attrs) {
                    ifat.push(ifa);
                }
            }
            _ => {}
        }
    }
    Ok(ifat)
}

/// The network of one address message (Go's `newAddr`): the value of its
/// first attribute, except that where an `IFA_LOCAL` attribute is present
/// (a point-to-point link, and every IPv4 address) `IFA_ADDRESS` holds the
/// peer's address and is skipped. `None` for another family, or a value
/// too short for its family (where Go would index out of range).
fn new_addr(family: u8, prefixlen: u8, attrs: &[RouteAttr<'_>]) -> Option<IPNet> {
    let point_to_point = attrs.iter().any(|a| a.typ == libc::IFA_LOCAL);
    let a = attrs
        .iter()
        .find(|a| !(point_to_point && a.typ == libc::IFA_ADDRESS))?;
    let ones = i32::from(prefixlen);
    match i32::from(family) {
        libc::AF_INET => {
            let v = a.value.get(..IPV4_LEN)?;
            Some(IPNet {
                ip: IP::v4(v[0], v[1], v[2], v[3]),
                mask: cidr_mask(ones, 8 * IPV4_LEN as i32).unwrap_or(IPMask::NIL),
            })
        }
        libc::AF_INET6 => {
            let mut b = [0u8; IPV6_LEN];
            let n = a.value.len().min(IPV6_LEN);
            b[..n].copy_from_slice(&a.value[..n]);
            Some(IPNet {
                ip: IP::from(b),
                mask: cidr_mask(ones, 8 * IPV6_LEN as i32).unwrap_or(IPMask::NIL),
            })
        }
        _ => None,
    }
}

/// The multicast groups `ifi` (or every interface) has joined, IPv4 then
/// IPv6 (Go's `interfaceMulticastAddrTable`).
pub(crate) fn interface_multicast_addr_table(ifi: Option<&Interface>) -> io::Result<Vec<IPAddr>> {
    let mut ifmat = parse_proc_net_igmp("/proc/net/igmp", ifi);
    ifmat.extend(parse_proc_net_igmp6("/proc/net/igmp6", ifi));
    Ok(ifmat)
}

/// The lines of the file at `path`, or none if it cannot be read.
fn read_lines(path: &str) -> Vec<String> {
    match std::fs::read(path) {
        Ok(data) => String::from_utf8_lossy(&data)
            .lines()
            .map(str::to_string)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The hex digits of `s` read two at a time into `out`, as far as both
/// go; a pair that is not hex reads as 0, as Go ignores `xtoi2`'s failure.
fn hex_bytes(s: &str, out: &mut [u8]) {
    for (slot, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        *slot = xtoi2(pair, 0).unwrap_or(0);
    }
}

/// The IPv4 groups in a `/proc/net/igmp` file (Go's `parseProcNetIGMP`).
/// After the heading line, an unindented line names an interface
/// (`1\tlo        :     1      V3`), and the indented lines under it are
/// its groups, each a 32-bit word in hex as the kernel stores it (network
/// order read as a host-order number: `010000E0` is 224.0.0.1 on a
/// little-endian machine).
pub(crate) fn parse_proc_net_igmp(path: &str, ifi: Option<&Interface>) -> Vec<IPAddr> {
    let mut ifmat = Vec::new();
    let mut name = String::new();
    for l in read_lines(path).iter().skip(1) {
        let f = split_at_bytes(l, " :\r\t\n");
        if f.len() < 4 {
            continue;
        }
        if !l.starts_with([' ', '\t']) {
            name = f[1].to_string();
        } else if f[0].len() == 8 && ifi.is_none_or(|ifi| ifi.name == name) {
            let mut b = [0u8; IPV4_LEN];
            hex_bytes(f[0], &mut b);
            let [a, b, c, d] = u32::from_ne_bytes(b).to_be_bytes();
            ifmat.push(IPAddr::new(IP::v4(a, b, c, d)));
        }
    }
    ifmat
}

/// The IPv6 groups in a `/proc/net/igmp6` file (Go's
/// `parseProcNetIGMP6`): one line per group, the interface's name second
/// and the group third, as 32 hex digits.
pub(crate) fn parse_proc_net_igmp6(path: &str, ifi: Option<&Interface>) -> Vec<IPAddr> {
    let mut ifmat = Vec::new();
    for l in read_lines(path) {
        let f = split_at_bytes(&l, " \r\t\n");
        if f.len() < 6 {
            continue;
        }
        if ifi.is_none_or(|ifi| ifi.name == f[1]) {
            let mut b = [0u8; IPV6_LEN];
            hex_bytes(f[2], &mut b);
            ifmat.push(IPAddr::new(IP::from(b)));
        }
    }
    ifmat
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's test data: the `/proc/net/igmp` and `/proc/net/igmp6` of a
    /// host with VLANs and a tap device (src/net/testdata, copied).
    fn testdata(name: &str) -> String {
        format!("{}/tests/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn named(names: &[&str]) -> Vec<Interface> {
        names
            .iter()
            .map(|n| Interface {
                name: n.to_string(),
                ..Interface::default()
            })
            .collect()
    }

    /// Go's TestParseProcNet: the groups of each interface of Go's tables
    /// add up to Go's counts (14 IPv4, 18 IPv6).
    #[test]
    fn test_parse_proc_net() {
        let igmp_interface_table = named(&[
            "lo",
            "eth0",
            "eth1",
            "eth2",
            "eth0.100",
            "eth0.101",
            "eth0.102",
            "eth0.103",
            "device1tap2",
        ]);
        let igmp6_interface_table = named(&[
            "lo",
            "eth0",
            "eth1",
            "eth2",
            "eth0.100",
            "eth0.101",
            "eth0.102",
            "eth0.103",
            "device1tap2",
            "pan0",
        ]);
        let ifmat4: Vec<IPAddr> = igmp_interface_table
            .iter()
            .flat_map(|ifi| parse_proc_net_igmp(&testdata("igmp"), Some(ifi)))
            .collect();
        assert_eq!(ifmat4.len(), 14);
        let ifmat6: Vec<IPAddr> = igmp6_interface_table
            .iter()
            .flat_map(|ifi| parse_proc_net_igmp6(&testdata("igmp6"), Some(ifi)))
            .collect();
        assert_eq!(ifmat6.len(), 18);

        // And the groups themselves, for lo and eth0.
        let lo = &igmp_interface_table[0];
        let eth0 = &igmp_interface_table[1];
        let s = |v: Vec<IPAddr>| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        if cfg!(target_endian = "little") {
            assert_eq!(
                s(parse_proc_net_igmp(&testdata("igmp"), Some(lo))),
                ["224.0.0.1"]
            );
            assert_eq!(
                s(parse_proc_net_igmp(&testdata("igmp"), Some(eth0))),
                ["224.0.0.251", "224.0.0.1"]
            );
        }
        assert_eq!(
            s(parse_proc_net_igmp6(&testdata("igmp6"), Some(eth0))),
            ["ff02::1:ffac:891e", "ff02::1"]
        );
        assert_eq!(parse_proc_net_igmp(&testdata("igmp"), None).len(), 14);
        assert!(parse_proc_net_igmp("/nonexistent/igmp", None).is_empty());
    }

    /// A netlink message header of this length and type, sequence 1, port
    /// 7, then `data`.
    fn nlmsg(len: u32, typ: u16, data: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&len.to_ne_bytes());
        m.extend_from_slice(&typ.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&1u32.to_ne_bytes());
        m.extend_from_slice(&7u32.to_ne_bytes());
        m.extend_from_slice(data);
        m
    }

    fn rtattr(typ: u16, value: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((SIZEOF_RTATTR + value.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&typ.to_ne_bytes());
        a.extend_from_slice(value);
        a.resize(align4(a.len()), 0);
        a
    }

    /// A link message for `eth9`, index 9, up and broadcasting, MTU 1500,
    /// with a MAC address.
    fn link_message() -> Vec<u8> {
        let mut body = vec![0u8; SIZEOF_IFINFOMSG];
        body[2..4].copy_from_slice(&1u16.to_ne_bytes()); // ARPHRD_ETHER
        body[4..8].copy_from_slice(&9u32.to_ne_bytes());
        body[8..12].copy_from_slice(&((libc::IFF_UP | libc::IFF_BROADCAST) as u32).to_ne_bytes());
        body.extend(rtattr(libc::IFLA_IFNAME, b"eth9\0"));
        body.extend(rtattr(libc::IFLA_MTU, &1500u32.to_ne_bytes()));
        body.extend(rtattr(libc::IFLA_ADDRESS, &[2, 0, 0x5e, 0, 0x53, 1]));
        nlmsg((NLMSG_HDRLEN + body.len()) as u32, libc::RTM_NEWLINK, &body)
    }

    #[test]
    fn a_link_message_becomes_an_interface() {
        let mut tab = link_message();
        tab.extend(nlmsg(NLMSG_HDRLEN as u32, libc::NLMSG_DONE as u16, &[]));
        let msgs = parse_netlink_message(&tab).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!((msgs[0].seq, msgs[0].pid), (1, 7));
        let ift = link_table(0, &msgs).unwrap();
        assert_eq!(
            ift,
            [Interface {
                index: 9,
                mtu: 1500,
                name: "eth9".into(),
                hardware_addr: HardwareAddr::from(vec![2, 0, 0x5e, 0, 0x53, 1]),
                flags: Flags::UP | Flags::BROADCAST,
            }]
        );
        assert!(link_table(3, &msgs).unwrap().is_empty());
    }

    /// Short and inconsistent messages are Go's EINVAL, never a panic:
    /// every prefix of a good message, and lengths that lie.
    #[test]
    fn broken_messages_are_einval_not_panics() {
        let good = link_message();
        for cut in 0..good.len() {
            let b = &good[..cut];
            // Either too short to hold a header (nothing parsed), or a
            // header that claims more than there is.
            match parse_netlink_message(b) {
                Ok(msgs) => assert!(msgs.is_empty(), "cut at {cut}"),
                Err(e) => assert_eq!(e.to_string(), "parsenetlinkmessage: invalid argument"),
            }
        }
        // A length under the header size.
        let err = parse_netlink_message(&nlmsg(4, libc::RTM_NEWLINK, &[])).unwrap_err();
        assert_eq!(err.to_string(), "parsenetlinkmessage: invalid argument");
        // A link message too short for its ifinfomsg.
        let m = nlmsg((NLMSG_HDRLEN + 4) as u32, libc::RTM_NEWLINK, &[0; 4]);
        let msgs = parse_netlink_message(&m).unwrap();
        let err = link_table(0, &msgs).unwrap_err();
        assert_eq!(err.to_string(), "parsenetlinkrouteattr: invalid argument");
        // An attribute that claims more than the message holds, or less
        // than its own header.
        for bad_len in [200u16, 2] {
            let mut body = vec![0u8; SIZEOF_IFINFOMSG];
            body.extend_from_slice(&bad_len.to_ne_bytes());
            body.extend_from_slice(&libc::IFLA_MTU.to_ne_bytes());
            body.extend_from_slice(&[0; 4]);
            let m = nlmsg((NLMSG_HDRLEN + body.len()) as u32, libc::RTM_NEWLINK, &body);
            let msgs = parse_netlink_message(&m).unwrap();
            let err = parse_route_attrs(&msgs[0]).unwrap_err();
            assert_eq!(err.to_string(), "parsenetlinkrouteattr: invalid argument");
        }
        // Attribute values too short for what they hold are skipped.
        let short = [
            RouteAttr {
                typ: libc::IFLA_MTU,
                value: &[1, 2],
            },
            RouteAttr {
                typ: libc::IFLA_IFNAME,
                value: &[],
            },
        ];
        let ifi = new_link(1, 1, 0, &short);
        assert_eq!((ifi.mtu, ifi.name.as_str()), (0, ""));
        let a = [RouteAttr {
            typ: libc::IFA_ADDRESS,
            value: &[127, 0],
        }];
        assert_eq!(new_addr(libc::AF_INET as u8, 8, &a), None);
    }

    #[test]
    fn address_messages_become_networks() {
        // IPv4: IFA_ADDRESS (the peer) then IFA_LOCAL; the local one wins.
        let attrs = [
            RouteAttr {
                typ: libc::IFA_ADDRESS,
                value: &[10, 0, 0, 2],
            },
            RouteAttr {
                typ: libc::IFA_LOCAL,
                value: &[10, 0, 0, 1],
            },
        ];
        let n = new_addr(libc::AF_INET as u8, 24, &attrs).unwrap();
        assert_eq!(n.to_string(), "10.0.0.1/24");
        let v6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let attrs = [RouteAttr {
            typ: libc::IFA_ADDRESS,
            value: &v6,
        }];
        let n = new_addr(libc::AF_INET6 as u8, 64, &attrs).unwrap();
        assert_eq!(n.to_string(), "fe80::1/64");
        assert_eq!(new_addr(libc::AF_UNIX as u8, 0, &attrs), None);
        // Tunnel endpoints are no hardware address; all zeros is none.
        let ip = [RouteAttr {
            typ: libc::IFLA_ADDRESS,
            value: &[192, 0, 2, 1],
        }];
        assert!(
            new_link(1, ARP_HARDWARE_GRE_IPV4, 0, &ip)
                .hardware_addr
                .is_empty()
        );
        assert_eq!(new_link(1, 1, 0, &ip).hardware_addr.len(), 4);
        let zero = [RouteAttr {
            typ: libc::IFLA_ADDRESS,
            value: &[0; 6],
        }];
        assert!(new_link(1, 772, 0, &zero).hardware_addr.is_empty());
    }
}
